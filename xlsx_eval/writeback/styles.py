"""Styles: append fills, cell formats and the front sheet's formats; never renumber."""

from __future__ import annotations

import copy

from lxml import etree

from .ooxml import (
    _MAIN,
    _STYLE_ITEM,
    _STYLES_ORDER,
    _children,
    _insert_in_order,
    _local,
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
    return (_local(el), tuple(sorted(el.attrib.items())), (el.text or "").strip(),
            tuple(_style_key(c) for c in el if isinstance(c.tag, str)))


class _Styles:
    def __init__(self, pkg: _Package, part: str) -> None:
        self.pkg, self.part = pkg, part
        self.root = pkg.xml(part).getroot()
        self._index: dict[str, dict[tuple, int]] = {}

    def _container(self, name: str) -> etree._Element:
        found = self.root.find(_q(name))
        if found is None:
            found = etree.SubElement(self.root, _q(name))
            _insert_in_order(self.root, found, _STYLES_ORDER)
        return found

    def items(self, name: str) -> list[etree._Element]:
        return _style_items(self.root, name)

    def append(self, name: str, el: etree._Element) -> int:
        """Index of an identical item, or of `el` appended at the end of the list."""
        if name not in self._index:
            index: dict[tuple, int] = {}
            for i, item in enumerate(self.items(name)):
                index.setdefault(_style_key(item), i)
            self._index[name] = index
        key = _style_key(el)
        if key in self._index[name]:
            return self._index[name][key]
        container = self._container(name)
        count = len(self.items(name))
        last = self.items(name)[-1] if count else None
        if last is not None:
            last.addnext(el)  # after the last item, before an extLst if there is one
        else:
            container.insert(0, el)
        container.set("count", str(count + 1))
        self._index[name][key] = count
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

    def merge(self, other: etree._Element) -> tuple[dict[int, int], dict[int, int]]:
        """Append another styleSheet's formats; return its cellXfs and dxfs index maps."""
        numfmt = self._merge_numfmts(other)
        maps = {name: {i: self.append(name, copy.deepcopy(el))
                       for i, el in enumerate(_style_items(other, name))}
                for name in ("fonts", "fills", "borders")}
        dxf_map = {}
        for i, el in enumerate(_style_items(other, "dxfs")):
            dxf = copy.deepcopy(el)
            for nf in dxf.iter(_q("numFmt")):
                num = int(nf.get("numFmtId", "0"))
                nf.set("numFmtId", str(numfmt.get(num, num)))
            dxf_map[i] = self.append("dxfs", dxf)
        has_style_xf = bool(self.items("cellStyleXfs"))
        xf_map = {}
        for i, el in enumerate(_style_items(other, "cellXfs")):
            xf = copy.deepcopy(el)
            num = int(xf.get("numFmtId", "0"))
            xf.set("numFmtId", str(numfmt.get(num, num)))
            for attr, name in (("fontId", "fonts"), ("fillId", "fills"), ("borderId", "borders")):
                xf.set(attr, str(maps[name].get(int(xf.get(attr, "0")), 0)))
            # Cut the link to their named cell styles: everything the cell shows is in this xf.
            for attr in ("applyNumberFormat", "applyFont", "applyFill", "applyBorder"):
                xf.set(attr, "1")
            for attr, child in (("applyAlignment", "alignment"), ("applyProtection", "protection")):
                if xf.find(_q(child)) is not None:
                    xf.set(attr, "1")
                elif attr in xf.attrib:
                    del xf.attrib[attr]
            if has_style_xf:
                xf.set("xfId", "0")
            elif "xfId" in xf.attrib:
                del xf.attrib["xfId"]
            xf_map[i] = self.append("cellXfs", xf)
        return xf_map, dxf_map

    def _merge_numfmts(self, other: etree._Element) -> dict[int, int]:
        mine = {nf.get("formatCode"): int(nf.get("numFmtId", "0")) for nf in self.items("numFmts")}
        used = set(mine.values())
        result = {}
        for nf in _style_items(other, "numFmts"):
            old, code = int(nf.get("numFmtId", "0")), nf.get("formatCode", "")
            if code in mine:
                result[old] = mine[code]
                continue
            new = 164
            while new in used:
                new += 1
            used.add(new)
            mine[code] = result[old] = new
            self.append("numFmts", etree.Element(_q("numFmt"), numFmtId=str(new), formatCode=code))
        return result
