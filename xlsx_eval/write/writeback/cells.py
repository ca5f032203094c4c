"""Cells: A1 references, values as SpreadsheetML writes them (numbers in <v>, text as inline
strings), a row's cells found or created in sorted place, and the worksheet's <dimension>.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

from lxml import etree

from ...a1 import column_letters as _col_letters
from ...a1 import parse as _parse_ref
from .ooxml import _children, _local, _q

_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xstring(text: str) -> str:
    """Text as an ST_Xstring: characters XML cannot hold become _xHHHH_ escapes."""
    text = re.sub(r"_(x[0-9A-Fa-f]{4}_)", r"_x005F_\1", text)
    return _ILLEGAL_XML.sub(lambda m: f"_x{ord(m.group()):04X}_", text)


def _escaped(text: str, entities: dict[str, str] | None = None) -> str:
    """An ST_Xstring as XML character data: & < > escaped, and ``entities`` too (an attribute's quotes…).
    As xml.sax.saxutils.escape, whose module would import urllib.request and http.client (tens of ms)."""
    text = _xstring(text).replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")
    for char, entity in (entities or {}).items():
        text = text.replace(char, entity)
    return text


def _text_element(parent: etree._Element, text: str) -> etree._Element:
    t = etree.SubElement(parent, _q("t"))
    t.text = _xstring(text)
    if text != text.strip() or "\n" in text:
        t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    return t


def _number(value: float) -> str:
    if not math.isfinite(value):
        raise ValueError(f"cannot write {value!r} into a cell")
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def _set_value(c: etree._Element, value: float | str) -> None:
    for child in list(c):
        if _local(child) in ("f", "v", "is"):
            c.remove(child)
    for attr in ("t", "cm", "vm"):  # type, dynamic-array and rich-value metadata
        c.attrib.pop(attr, None)
    if isinstance(value, str):
        c.set("t", "inlineStr")
        inline = etree.Element(_q("is"))
        _text_element(inline, value)
        c.insert(0, inline)
    else:
        v = etree.Element(_q("v"))
        v.text = _number(value)
        c.insert(0, v)


def _add_cell(row_el: etree._Element, row: int, col: int, style: str | None) -> etree._Element:
    """Cell `col` of the row, created in its sorted place with format `style` when the row has none."""
    ref = f"{_col_letters(col)}{row}"
    n = 0
    for c in _children(row_el, "c"):
        if c.get("r"):
            n = _parse_ref(c.get("r"))[1]
        else:
            n += 1
            c.set("r", f"{_col_letters(n)}{row}")  # an implicit column made explicit
        if n == col:
            return c
        if n > col:
            new = etree.Element(_q("c"), r=ref)
            c.addprevious(new)
            break
    else:
        new = etree.SubElement(row_el, _q("c"), r=ref)
        _before_ext(row_el, new)
    if style and style != "0":
        new.set("s", style)
    spans = row_el.get("spans")
    if spans:
        bounds = [int(x) for x in re.findall(r"\d+", spans)] + [col]
        row_el.set("spans", f"{min(bounds)}:{max(bounds)}")
    return new


def _widen_dimension(root: etree._Element, cells: Iterable[tuple[int, int]]) -> None:
    """The worksheet's <dimension> grown to hold `cells` (row, column)."""
    dim = root.find(_q("dimension"))
    if dim is None:
        return
    refs = [_parse_ref(p) for p in dim.get("ref", "A1").split(":") if p]
    points = refs + list(cells)
    top, left = min(p[0] for p in points), min(p[1] for p in points)
    bottom, right = max(p[0] for p in points), max(p[1] for p in points)
    dim.set("ref", f"{_col_letters(left)}{top}:{_col_letters(right)}{bottom}")


def _before_ext(parent: etree._Element, child: etree._Element) -> None:
    ext = parent.find(_q("extLst"))
    if ext is not None and ext is not child:
        ext.addprevious(child)
