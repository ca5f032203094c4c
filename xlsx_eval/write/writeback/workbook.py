"""The workbook: sheets, their order, the active tab, sheet-scoped names; and docProps/app.xml,
the sheet names Excel shows in the file's properties.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from lxml import etree

from .ooxml import (
    _CT_STYLES,
    _EP,
    _R,
    _REL_CALC_CHAIN,
    _REL_EXTENDED,
    _REL_OFFICE_DOCUMENT,
    _REL_STYLES,
    _REL_WORKSHEET,
    _VT,
    _WORKBOOK_ORDER,
    _WORKBOOK_TYPES,
    _children,
    _insert_in_order,
    _q,
)
from .package import _ContentTypes, _Package, _Rels, _rels_name
from .styles import _MINIMAL_STYLES, _Styles


@dataclass(eq=False)
class _Sheet:
    name: str
    element: etree._Element  # the <sheet> in xl/workbook.xml
    part: str | None
    rel_type: str

    @property
    def is_worksheet(self) -> bool:
        return self.rel_type == _REL_WORKSHEET


class _Book:
    def __init__(self, pkg: _Package, label: str) -> None:
        self.pkg = pkg
        self.ct = _ContentTypes(pkg)
        part = _Rels(pkg, "").first_target(_REL_OFFICE_DOCUMENT)
        if part is None or not pkg.has(part):
            raise ValueError(f"{label}: a zip file, but not an OOXML workbook (no workbook part)")
        self.part: str = part
        if self.ct.of(self.part) not in _WORKBOOK_TYPES:
            raise ValueError(f"{label}: not a spreadsheet (content type {self.ct.of(self.part)})")
        self.root = pkg.xml(self.part).getroot()
        if self.root.tag != _q("workbook"):
            raise ValueError(
                f"{label}: workbook part {self.part} is not SpreadsheetML transitional (strict OOXML is not supported)"
            )
        self.rels = _Rels(pkg, self.part)
        self.sheets_el = self.root.find(_q("sheets"))
        if self.sheets_el is None:
            raise ValueError(f"{label}: workbook has no <sheets>")
        self.sheets = [self._sheet(el) for el in _children(self.sheets_el, "sheet")]
        self._original_order = [s.element for s in self.sheets]
        self._styles: _Styles | None = None

    def _sheet(self, el: etree._Element) -> _Sheet:
        rel = self.rels.by_id(el.get(_q("id", _R), ""))
        part = self.rels.target(rel) if rel is not None else None
        return _Sheet(
            el.get("name", ""),
            el,
            part if part and self.pkg.has(part) else None,
            rel.get("Type", "") if rel is not None else "",
        )

    def sheet_named(self, name: str) -> _Sheet | None:
        return next((s for s in self.sheets if s.name.casefold() == name.casefold()), None)

    @property
    def styles(self) -> _Styles:
        if self._styles is None:
            part = self.rels.first_target(_REL_STYLES)
            if part is None or not self.pkg.has(part):
                part = part or self.pkg.fresh("xl/styles.xml")
                self.pkg.put(part, _MINIMAL_STYLES)
                if not self.rels.of_type(_REL_STYLES):
                    self.rels.add(_REL_STYLES, part)
                self.ct.set(part, _CT_STYLES)
            self._styles = _Styles(self.pkg, part)
        return self._styles

    def remove_sheet(self, sheet: _Sheet) -> None:
        """Drop a sheet and the parts only it reaches (drawing, charts, notes...)."""
        self.sheets.remove(sheet)
        self.sheets_el.remove(sheet.element)
        rel = self.rels.by_id(sheet.element.get(_q("id", _R), ""))
        if rel is not None:
            self.rels.remove(rel)
        if sheet.part:
            _remove_subgraph(self, sheet.part)
        self.pkg.touch(self.part)

    def insert_front(self, name: str, part: str) -> None:
        rid = self.rels.add(_REL_WORKSHEET, part)
        ids = [int(s.element.get("sheetId", "0")) for s in self.sheets]
        el = etree.SubElement(self.sheets_el, _q("sheet"))
        el.set("name", name)
        el.set("sheetId", str(max(ids, default=0) + 1))
        el.set(_q("id", _R), rid)
        self.sheets_el.insert(0, el)
        self.sheets.insert(0, _Sheet(name, el, part, _REL_WORKSHEET))
        self.pkg.touch(self.part)

    def drop_calc_chain(self) -> None:
        for rel in self.rels.of_type(_REL_CALC_CHAIN):
            part = self.rels.target(rel)
            self.rels.remove(rel)
            if part:
                self.pkg.remove(part)
                self.ct.remove(part)

    def finish(self) -> None:
        """Shift sheet-scoped names to the new positions; make the first sheet the active tab."""
        position = {el: i for i, el in enumerate(s.element for s in self.sheets)}
        moved = {old: position.get(el) for old, el in enumerate(self._original_order)}
        names = self.root.find(_q("definedNames"))
        for dn in [] if names is None else _children(names, "definedName"):
            local = dn.get("localSheetId")
            if local is None or not local.isdigit():
                continue
            new = moved.get(int(local))
            if new is None:
                names.remove(dn)
            else:
                dn.set("localSheetId", str(new))
        if names is not None and len(names) == 0:
            self.root.remove(names)

        views = self.root.find(_q("bookViews"))
        if views is None:
            views = etree.SubElement(self.root, _q("bookViews"))
            _insert_in_order(self.root, views, _WORKBOOK_ORDER)
        if not _children(views, "workbookView"):
            etree.SubElement(views, _q("workbookView"))
        for view in _children(views, "workbookView"):
            view.set("activeTab", "0")
            view.set("firstSheet", "0")
        # Scores were written: formulas that add them up (a 合计 row, a summary sheet of the unit's own)
        # must not show their old results, so the office suite recalculates on opening.
        calc = self.root.find(_q("calcPr"))
        if calc is None:
            calc = etree.SubElement(self.root, _q("calcPr"))
            _insert_in_order(self.root, calc, _WORKBOOK_ORDER)
        calc.set("fullCalcOnLoad", "1")
        self.pkg.touch(self.part)


def _remove_subgraph(book: _Book, start: str) -> None:
    """Remove `start` and every part reachable from it that no other part refers to."""
    pkg = book.pkg
    reached, queue = {start}, [start]
    while queue:
        part = queue.pop()
        if pkg.has(_rels_name(part)):
            for rel in (rels := _Rels(pkg, part)):
                target = rels.target(rel)
                if target and target not in reached and pkg.has(target):
                    reached.add(target)
                    queue.append(target)
    reached_rels = {_rels_name(p) for p in reached}
    kept: set[str] = set()
    for name in pkg.names():
        if name.endswith(".rels") and name not in reached_rels:
            source = posixpath.join(
                posixpath.dirname(posixpath.dirname(name)), posixpath.basename(name)[: -len(".rels")]
            )
            rels = _Rels(pkg, source)
            kept.update(t for rel in rels if (t := rels.target(rel)))
    for part in reached - kept:
        pkg.remove(part)
        book.ct.remove(part)
        if pkg.has(_rels_name(part)):
            pkg.remove(_rels_name(part))


def _update_app_titles(book: _Book, front_name: str, replaced: bool) -> None:
    root_rels = _Rels(book.pkg, "")
    found = [t for r in root_rels.of_type(_REL_EXTENDED) if (t := root_rels.target(r))]
    part = found[0] if found else "docProps/app.xml"
    if not book.pkg.has(part):
        return
    root = book.pkg.xml(part).getroot()
    pairs = root.find(f"{_q('HeadingPairs', _EP)}/{_q('vector', _VT)}")
    titles = root.find(f"{_q('TitlesOfParts', _EP)}/{_q('vector', _VT)}")
    if pairs is None or titles is None:
        return
    variants = _children(pairs, "variant")
    items = _children(titles, "lpstr")
    worksheets = {s.name for s in book.sheets if s.is_worksheet}
    start = 0
    for label, count in zip(variants[::2], variants[1::2]):
        number = next((c for c in count if isinstance(c.tag, str)), None)
        label_text = "".join(label.itertext()).strip()
        n = int(number.text) if number is not None and (number.text or "").isdigit() else 0
        group = items[start : start + n]
        if label_text in ("Worksheets", "工作表") or any(t.text in worksheets for t in group):
            if number is None:
                return
            new = etree.Element(_q("lpstr", _VT))
            new.text = front_name
            if group:
                group[0].addprevious(new)
            elif start < len(items):
                items[start].addprevious(new)
            else:
                titles.append(new)
            old = [t for t in group if t.text == front_name] if replaced else []
            for t in old:
                titles.remove(t)
            number.text = str(n - len(old) + 1)
            titles.set("size", str(len(_children(titles, "lpstr"))))
            book.pkg.touch(part)
            return
        start += n
