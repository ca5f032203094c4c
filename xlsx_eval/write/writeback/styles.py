"""Styles: append fills and the front sheet's cell formats; never renumber."""

from __future__ import annotations

import copy
import functools
from collections.abc import Sequence

from lxml import etree

from .cells import _number
from .front_sheet import CellFormat
from .ooxml import (
    _MAIN,
    _STYLE_ITEM,
    _STYLES_ORDER,
    _children,
    _insert_in_order,
    _q,
)
from .package import _Package

_MINIMAL_STYLES = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="{_MAIN}">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
).encode()


def _style_items(root: etree._Element, name: str) -> list[etree._Element]:
    found = root.find(_q(name))
    return [] if found is None else _children(found, _STYLE_ITEM[name])


def _style_key(el: etree._Element) -> tuple:
    return (
        el.tag,
        tuple(sorted(el.items())),
        (el.text or "").strip(),
        tuple([_style_key(c) for c in el if isinstance(c.tag, str)]),
    )


#: (a styles.xml as read, formats) → (that styles.xml with the formats added, their cellXfs indexes): the last few
#: a worker made, for a styles.xml up to _REMEMBERED_SIZE. A batch's workbooks from one template mostly share it.
_FORMATS_ADDED: dict[tuple[bytes, tuple[CellFormat, ...]], tuple[bytes, list[int]]] = {}
_FORMATS_ADDED_KEPT = 8
_REMEMBERED_SIZE = 1 << 20


class _Styles:
    def __init__(self, pkg: _Package, part: str) -> None:
        self.pkg, self.part = pkg, part
        self._start()

    def _start(self) -> None:
        """Start from the part as the package has it: parsed when first needed, its lists indexed again."""
        self._root: etree._Element | None = None
        # per list: the index of each distinct item, and the list's length and last item
        self._index: dict[str, dict[tuple, int]] = {}
        self._end: dict[str, tuple[int, etree._Element | None]] = {}
        self._has_style_xfs: bool | None = None

    @property
    def root(self) -> etree._Element:
        if self._root is None:
            self._root = self.pkg.xml(self.part).getroot()
        return self._root

    def _container(self, name: str) -> etree._Element:
        found = self.root.find(_q(name))
        if found is None:
            found = etree.SubElement(self.root, _q(name))
            _insert_in_order(self.root, found, _STYLES_ORDER)
        return found

    def items(self, name: str) -> list[etree._Element]:
        return _style_items(self.root, name)

    def append(self, name: str, el: etree._Element, key: tuple | None = None) -> int:
        """Index of an item identical to `el` (whose _style_key is `key`), or of a copy of `el`
        appended at the end of the list."""
        index = self._index.get(name)
        if index is None:
            items = self.items(name)
            index = self._index[name] = {}
            for i, item in enumerate(items):
                index.setdefault(_style_key(item), i)
            self._end[name] = (len(items), items[-1] if items else None)
        key = key or _style_key(el)
        if key in index:
            return index[key]
        el = copy.deepcopy(el)
        count, last = self._end[name]
        container = self._container(name)
        if last is not None:
            last.addnext(el)  # after the last item, before an extLst if there is one
        else:
            container.insert(0, el)
        container.set("count", str(count + 1))
        index[key] = count
        self._end[name] = (count + 1, el)
        self.pkg.touch(self.part)
        return count

    def highlight(self, xf_index: int, rgb: str) -> int:
        """A cell format like cellXfs[xf_index] painted with a solid `rgb` fill."""
        fill = etree.Element(_q("fill"))
        pattern = etree.SubElement(fill, _q("patternFill"), patternType="solid")
        etree.SubElement(pattern, _q("fgColor"), rgb=rgb)
        etree.SubElement(pattern, _q("bgColor"), indexed="64")
        fill_id = self.append("fills", fill)
        xfs = self.items("cellXfs")
        if xfs:
            xf = copy.deepcopy(xfs[xf_index] if xf_index < len(xfs) else xfs[0])
        else:
            xf = etree.Element(_q("xf"), numFmtId="0", fontId="0", fillId="0", borderId="0")
        xf.set("fillId", str(fill_id))
        xf.set("applyFill", "1")
        return self.append("cellXfs", xf)

    def add_formats(self, fmts: Sequence[CellFormat]) -> list[int]:
        """The cellXfs index of each format (add_format). Into a styles.xml still as read, the formats go in once
        a worker: a package whose styles.xml and formats are those of a recent one takes its outcome, unparsed."""
        as_read = None if self.pkg.changed(self.part) else self.pkg.read(self.part)  # changed: a second front sheet's
        if as_read is None or len(as_read) > _REMEMBERED_SIZE:
            return [self.add_format(fmt) for fmt in fmts]
        key = (as_read, tuple(fmts))
        if key not in _FORMATS_ADDED:
            indexes = [self.add_format(fmt) for fmt in fmts]
            if len(_FORMATS_ADDED) >= _FORMATS_ADDED_KEPT:
                del _FORMATS_ADDED[next(iter(_FORMATS_ADDED))]
            _FORMATS_ADDED[key] = (self.pkg.read(self.part), indexes)
        added, indexes = _FORMATS_ADDED[key]
        self.pkg.put(self.part, added)
        self._start()
        return indexes

    def add_format(self, fmt: CellFormat) -> int:
        """The cellXfs index of a format that looks like `fmt`: an identical one, or one appended."""
        (font, font_key), (fill, fill_key), (border, border_key), alignment = _format_parts(fmt)
        xf = etree.Element(
            _q("xf"),
            {
                "numFmtId": str(self._numfmt(fmt.number_format)),
                "fontId": str(self.append("fonts", font, font_key)),
                "fillId": str(self.append("fills", fill, fill_key)),
                "borderId": str(self.append("borders", border, border_key)),
                # Every part of the look is in this xf, none taken from the named cell style.
                "applyNumberFormat": "1",
                "applyFont": "1",
                "applyFill": "1",
                "applyBorder": "1",
            },
        )
        if self._has_style_xfs is None:
            self._has_style_xfs = bool(self.items("cellStyleXfs"))
        if self._has_style_xfs:
            xf.set("xfId", "0")
        if alignment:
            xf.set("applyAlignment", "1")
            etree.SubElement(xf, _q("alignment"), alignment)
        return self.append("cellXfs", xf)

    def _numfmt(self, code: str | None) -> int:
        if code is None:
            return 0
        items = self.items("numFmts")
        for nf in items:
            if nf.get("formatCode") == code:
                return int(nf.get("numFmtId", "0"))
        used = {int(nf.get("numFmtId", "0")) for nf in items}
        new = max(used | {163}) + 1
        self.append("numFmts", etree.Element(_q("numFmt"), numFmtId=str(new), formatCode=code))
        return new


@functools.cache
def _format_parts(
    fmt: CellFormat,
) -> tuple[tuple[etree._Element, tuple], tuple[etree._Element, tuple], tuple[etree._Element, tuple], dict[str, str]]:
    """The font, fill and border of a format with their keys, and its alignment: built once a process,
    and copied into a styles.xml only when it has no identical item."""
    font = etree.Element(_q("font"))
    if fmt.bold:
        etree.SubElement(font, _q("b"))
    if fmt.underline:
        etree.SubElement(font, _q("u"))
    etree.SubElement(font, _q("sz"), val=_number(fmt.size))
    if fmt.colour:
        etree.SubElement(font, _q("color"), rgb=_argb(fmt.colour))
    else:
        etree.SubElement(font, _q("color"), theme="1")
    etree.SubElement(font, _q("name"), val="Calibri")
    etree.SubElement(font, _q("family"), val="2")
    etree.SubElement(font, _q("scheme"), val="minor")

    fill = etree.Element(_q("fill"))
    if fmt.fill:
        pattern = etree.SubElement(fill, _q("patternFill"), patternType="solid")
        etree.SubElement(pattern, _q("fgColor"), rgb=_argb(fmt.fill))
        etree.SubElement(pattern, _q("bgColor"), indexed="64")
    else:
        etree.SubElement(fill, _q("patternFill"), patternType="none")

    border = etree.Element(_q("border"))
    for side in ("left", "right", "top", "bottom"):
        edge = etree.SubElement(border, _q(side))
        if fmt.border:
            edge.set("style", "thin")
            etree.SubElement(edge, _q("color"), rgb=_argb(fmt.border))
    etree.SubElement(border, _q("diagonal"))

    alignment = {
        k: v
        for k, v in (
            ("horizontal", fmt.horizontal),
            ("vertical", fmt.vertical),
            ("wrapText", "1" if fmt.wrap else None),
        )
        if v
    }
    return (font, _style_key(font)), (fill, _style_key(fill)), (border, _style_key(border)), alignment


def _argb(colour: str) -> str:
    return "FF" + colour.lstrip("#").upper()
