"""The front sheet: graft the xlsxwriter sheet and what it reaches; restyle; inline its strings."""

from __future__ import annotations

import copy

from lxml import etree

from .ooxml import _CT_WORKSHEET, _REL_STYLES, _children, _q
from .package import _relative, _Rels, _rels_name
from .workbook import _Book


def _graft_front(book: _Book, front: _Book, front_name: str) -> None:
    sheets = front.sheets
    if len(sheets) != 1 or sheets[0].name != front_name or not sheets[0].part:
        found = ", ".join(s.name for s in sheets)
        raise ValueError(f"front {front.pkg.path}: must hold exactly one sheet named "
                         f"{front_name!r} (it has: {found})")
    source = sheets[0].part
    new_part = book.pkg.fresh("xl/worksheets/sheet1.xml")
    _copy_related(front, source, new_part, book)

    tree = etree.ElementTree(copy.deepcopy(front.pkg.xml(source).getroot()))
    styles_root = front.styles.root if front.rels.of_type(_REL_STYLES) else None
    xf_map, dxf_map = book.styles.merge(styles_root) if styles_root is not None else ({}, {})
    _restyle_front(tree.getroot(), xf_map, dxf_map, front.shared_strings())
    book.pkg.put_xml(new_part, tree)
    book.ct.set(new_part, _CT_WORKSHEET)

    names = front.root.find(_q("definedNames"))
    local = [] if names is None else [dn for dn in _children(names, "definedName")
                                       if dn.get("localSheetId") == "0"]
    book.insert_front(front_name, new_part, local)


def _copy_related(front: _Book, source: str, new_part: str, book: _Book) -> None:
    """Copy the parts `source` reaches (drawing, charts, images) under fresh names, with rels."""
    mapping, queue = {source: new_part}, [source]
    while queue:
        part = queue.pop(0)
        if not front.pkg.has(_rels_name(part)):
            continue
        rels = _Rels(front.pkg, part)
        for rel in rels:
            target = rels.target(rel)
            if target and target not in mapping and front.pkg.has(target):
                mapping[target] = book.pkg.fresh(target)
                queue.append(target)
    for old, new in mapping.items():
        if old != source:
            book.pkg.put(new, front.pkg.read(old))
            book.ct.set(new, front.ct.of(old))
        if front.pkg.has(_rels_name(old)):
            rels = _Rels(front.pkg, old)
            tree = copy.deepcopy(rels.tree)
            for rel, copied in zip(rels, _children(tree.getroot(), "Relationship")):
                target = rels.target(rel)
                if target in mapping:
                    copied.set("Target", _relative(new, mapping[target]))
            book.pkg.put_xml(_rels_name(new), tree)


def _restyle_front(root: etree._Element, xf_map: dict[int, int], dxf_map: dict[int, int],
                   strings: list[etree._Element]) -> None:
    def remap(el: etree._Element, attr: str, table: dict[int, int]) -> None:
        value = el.get(attr)
        if value is not None and value.isdigit():
            el.set(attr, str(table.get(int(value), 0)))

    for row in root.iter(_q("row")):
        remap(row, "s", xf_map)
    for col in root.iter(_q("col")):
        remap(col, "style", xf_map)
    for rule in root.iter(_q("cfRule")):
        remap(rule, "dxfId", dxf_map)
    for c in root.iter(_q("c")):
        remap(c, "s", xf_map)
        if c.get("t") != "s":
            continue
        v = c.find(_q("v"))
        index = int(v.text) if v is not None and (v.text or "").strip().isdigit() else -1
        c.remove(v)
        c.set("t", "inlineStr")
        inline = etree.Element(_q("is"))
        if 0 <= index < len(strings):
            inline.extend(copy.deepcopy(child) for child in strings[index])
        f = c.find(_q("f"))
        if f is not None:
            f.addnext(inline)
        else:
            c.insert(0, inline)
