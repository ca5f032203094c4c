"""Notes: the comments part, its VML shapes, the sheet's rels and <legacyDrawing>."""

from __future__ import annotations

import re

from lxml import etree

from ...a1 import parse as _parse_ref
from .cells import _text_element
from .ooxml import (
    _CT_COMMENTS,
    _CT_VML,
    _MAIN,
    _R,
    _REL_COMMENTS,
    _REL_VML,
    _WORKSHEET_ORDER,
    _children,
    _insert_in_order,
    _local,
    _q,
)
from .package import _Package, _Rels
from .workbook import _Book, _Sheet

NOTE_AUTHOR = "xlsx-eval"

_VML_HEAD = (
    '<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office"'
    ' xmlns:x="urn:schemas-microsoft-com:office:excel">\n'
    ' <o:shapelayout v:ext="edit">\n  <o:idmap v:ext="edit" data="{blocks}"/>\n </o:shapelayout>\n'
)
_VML_NOTE_TYPE = (
    ' <v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202"'
    ' path="m,l,21600r21600,l21600,xe">\n'
    '  <v:stroke joinstyle="miter"/>\n  <v:path gradientshapeok="t" o:connecttype="rect"/>\n'
    " </v:shapetype>\n"
)
_VML_NOTE = (
    ' <v:shape id="_x0000_s{sid}" type="#_x0000_t202" style="position:absolute;'
    'margin-left:80pt;margin-top:2pt;width:160pt;height:{height}pt;z-index:{z};visibility:hidden"'
    ' fillcolor="#ffffe1" o:insetmode="auto">\n'
    '  <v:fill color2="#ffffe1"/>\n  <v:shadow on="t" color="black" obscured="t"/>\n'
    '  <v:path o:connecttype="none"/>\n'
    '  <v:textbox style="mso-direction-alt:auto"><div style="text-align:left"></div></v:textbox>\n'
    '  <x:ClientData ObjectType="Note">\n   <x:MoveWithCells/>\n   <x:SizeWithCells/>\n'
    "   <x:Anchor>{anchor}</x:Anchor>\n   <x:AutoFill>False</x:AutoFill>\n"
    "   <x:Row>{row}</x:Row>\n   <x:Column>{col}</x:Column>\n  </x:ClientData>\n </v:shape>\n"
)


def _add_notes(book: _Book, sheet: _Sheet, root: etree._Element, notes: dict[str, str]) -> None:
    pkg = book.pkg
    assert sheet.part is not None
    rels = _Rels(pkg, sheet.part)
    found = [t for r in rels.of_type(_REL_COMMENTS) if (t := rels.target(r)) and pkg.has(t)]
    if found:
        comments_part = found[0]
        comments = pkg.xml(comments_part).getroot()
    else:
        comments_part = pkg.fresh("xl/comments1.xml")
        comments = etree.Element(_q("comments"), nsmap={None: _MAIN})
        etree.SubElement(comments, _q("authors"))
        etree.SubElement(comments, _q("commentList"))
        pkg.put_xml(comments_part, etree.ElementTree(comments))
        rels.add(_REL_COMMENTS, comments_part)
        book.ct.set(comments_part, _CT_COMMENTS)
    new_refs = _write_comments(comments, notes)
    pkg.touch(comments_part)

    legacy = root.find(_q("legacyDrawing"))
    vml_rel = rels.by_id(legacy.get(_q("id", _R), "")) if legacy is not None else None
    vml_part = rels.target(vml_rel) if vml_rel is not None else None
    if vml_part and pkg.has(vml_part):
        vml = pkg.read(vml_part)
    else:
        vml_part = pkg.fresh("xl/drawings/vmlDrawing1.vml")
        vml = (_VML_HEAD.format(blocks=_free_vml_block(pkg, len(new_refs))) + "</xml>").encode()
        rid = rels.add(_REL_VML, vml_part)
        if legacy is None:
            nsmap = None if root.nsmap.get("r") == _R else {"r": _R}
            legacy = etree.SubElement(root, _q("legacyDrawing"), nsmap=nsmap)
            _insert_in_order(root, legacy, _WORKSHEET_ORDER)
        legacy.set(_q("id", _R), rid)
        book.ct.set(vml_part, _CT_VML)
    pkg.put(vml_part, _add_vml_shapes(vml, [(r, notes[r]) for r in new_refs]))


def _write_comments(comments: etree._Element, notes: dict[str, str]) -> list[str]:
    """Put the notes in a comments part; return the refs that got a new comment (need a shape).

    A cell's earlier xlsx-eval note is replaced; someone else's note gets ours appended."""
    authors = comments.find(_q("authors"))
    if authors is None:
        authors = etree.Element(_q("authors"))
        comments.insert(0, authors)
    names = [a.text or "" for a in _children(authors, "author")]
    if NOTE_AUTHOR not in names:
        etree.SubElement(authors, _q("author")).text = NOTE_AUTHOR
        names.append(NOTE_AUTHOR)
    author_id = str(names.index(NOTE_AUTHOR))
    comment_list = comments.find(_q("commentList"))
    if comment_list is None:
        comment_list = etree.SubElement(comments, _q("commentList"))
        authors.addnext(comment_list)
    existing = {c.get("ref", "").upper(): c for c in _children(comment_list, "comment")}
    new_refs = []
    for ref, text in notes.items():
        old = existing.get(ref)
        if old is not None and old.get("authorId") == author_id:
            body = old.find(_q("text"))
            if body is None:
                body = etree.SubElement(old, _q("text"))
            body.clear()
            _text_element(body, text)
        elif old is not None:
            body = old.find(_q("text"))
            if body is None:
                body = etree.SubElement(old, _q("text"))
            run = etree.Element(_q("r"))
            _text_element(run, "\n" + text)
            phonetic = next((c for c in body if _local(c) in ("rPh", "phoneticPr")), None)
            if phonetic is not None:
                phonetic.addprevious(run)
            else:
                body.append(run)
        else:
            comment = etree.SubElement(comment_list, _q("comment"), ref=ref, authorId=author_id)
            _text_element(etree.SubElement(comment, _q("text")), text)
            new_refs.append(ref)
    return new_refs


def _free_vml_block(pkg: _Package, shapes: int) -> str:
    """Shape-id blocks (of 1024) that no other VML part of the package uses."""
    used = [0]
    for name in pkg.names():
        if name.lower().endswith(".vml"):
            for m in re.finditer(rb'idmap[^>]*data="([0-9, ]*)"', pkg.read(name)):
                used += [int(x) for x in re.findall(rb"\d+", m.group(1))]
    first = max(used) + 1
    return ",".join(str(first + i) for i in range(shapes // 1024 + 1))


def _add_vml_shapes(vml: bytes, notes: list[tuple[str, str]]) -> bytes:
    if not notes:
        return vml
    ids = [int(x) for x in re.findall(rb"_x0000_s(\d+)", vml)]
    if ids:
        next_id = max(ids) + 1
    else:
        blocks = re.search(rb'idmap[^>]*data="\s*(\d+)', vml)
        next_id = (int(blocks.group(1)) if blocks else 1) * 1024 + 1
    shapes = [] if b"_x0000_t202" in vml else [_VML_NOTE_TYPE]
    for i, (ref, text) in enumerate(notes):
        row, col = _parse_ref(ref)
        top = max(row - 2, 0)
        lines = max(4, min(text.count("\n") + 2, 20))
        anchor = f"{col}, 15, {top}, 10, {col + 2}, 15, {top + lines}, 4"
        shapes.append(
            _VML_NOTE.format(
                sid=next_id + i, height=lines * 15, z=len(ids) + i + 1, anchor=anchor, row=row - 1, col=col - 1
            )
        )
    end = vml.rfind(b"</xml>")
    if end < 0:
        raise ValueError("existing VML drawing part has no closing </xml>")
    return vml[:end] + "".join(shapes).encode() + vml[end:]
