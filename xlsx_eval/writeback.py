"""Write the scored copy of a workbook at the package level.

An .xlsx/.xlsm is a zip of XML parts. openpyxl's load + save rebuilds every part from its own
model: it drops what it does not model (text boxes, form controls, sparklines, rich text, some
validations) and takes seconds on a big ledger sheet that scoring never touches. Here only the
parts that must change are parsed and rewritten (workbook, its rels, content types, styles, the
edited sheets, their notes, docProps/app.xml); every other zip member is copied as its raw
compressed bytes. The front sheet (评分结果) is written by xlsxwriter into a scratch workbook and
grafted in: its sheet, drawing and chart parts are renamed, its styles appended to the target's
styles.xml and its shared strings turned into inline strings.

Spec: shared/spec/writeback.md. Element orders follow ECMA-376 (Excel "repairs" files whose
elements are out of order).
"""

from __future__ import annotations

import copy
import math
import posixpath
import re
import struct
import time
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote

from lxml import etree

from xlsx_eval.files import atomic_path

__all__ = ["CellEdit", "write_scored"]

NOTE_AUTHOR = "xlsx-eval"

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_EP = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
_VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"

_REL_OFFICE_DOCUMENT = _R + "/officeDocument"
_REL_WORKSHEET = _R + "/worksheet"
_REL_STYLES = _R + "/styles"
_REL_SHARED_STRINGS = _R + "/sharedStrings"
_REL_CALC_CHAIN = _R + "/calcChain"
_REL_COMMENTS = _R + "/comments"
_REL_VML = _R + "/vmlDrawing"
_REL_EXTENDED = _R + "/extended-properties"

_CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
_CT_COMMENTS = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
_CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"
_WORKBOOK_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    "application/vnd.ms-excel.template.macroEnabled.main+xml",
}

# Child order of CT_Worksheet, CT_Workbook and CT_Stylesheet (ECMA-376 Part 1, §18).
_WORKSHEET_ORDER = (
    "sheetPr dimension sheetViews sheetFormatPr cols sheetData sheetCalcPr sheetProtection "
    "protectedRanges scenarios autoFilter sortState dataConsolidate customSheetViews mergeCells "
    "phoneticPr conditionalFormatting dataValidations hyperlinks printOptions pageMargins "
    "pageSetup headerFooter rowBreaks colBreaks customProperties cellWatches ignoredErrors "
    "smartTags drawing legacyDrawing legacyDrawingHF drawingHF picture oleObjects controls "
    "webPublishItems tableParts extLst"
).split()
_WORKBOOK_ORDER = (
    "fileVersion fileSharing workbookPr workbookProtection bookViews sheets functionGroups "
    "externalReferences definedNames calcPr oleSize customWorkbookViews pivotCaches "
    "smartTagPr smartTagTypes webPublishing fileRecoveryPr webPublishObjects extLst"
).split()
_STYLES_ORDER = (
    "numFmts fonts fills borders cellStyleXfs cellXfs cellStyles dxfs tableStyles colors extLst"
).split()
_STYLE_ITEM = {
    "numFmts": "numFmt", "fonts": "font", "fills": "fill", "borders": "border",
    "cellStyleXfs": "xf", "cellXfs": "xf", "cellStyles": "cellStyle", "dxfs": "dxf",
}

_PARSER = etree.XMLParser(resolve_entities=False, huge_tree=True, no_network=True)


@dataclass(frozen=True)
class CellEdit:
    """One change to one cell of the scored copy."""

    sheet: str  # sheet name as it appears in the workbook
    cell: str  # A1 reference, e.g. "I5"
    value: float | str | None = None  # None keeps the value; a str is written as text, never a formula
    fill: str | None = None  # RGB hex like "FFC7CE": paint the cell, keep its other formatting
    note: str | None = None  # text of a cell note (comment), author "xlsx-eval"


def write_scored(
    src: Path,
    dest: Path,
    edits: Sequence[CellEdit],
    front: Path,
    front_name: str = "评分结果",
) -> None:
    """Write src + edits + the single sheet of the xlsxwriter workbook `front`, inserted as the
    first and active sheet named front_name, to dest, atomically.

    Parts that need no change are copied byte for byte. A sheet already named front_name (an
    earlier scored copy) is replaced. Raises ValueError when src is not an OOXML workbook, when
    an edit names a sheet that is not in it, or when front is not a one-sheet workbook named
    front_name.
    """
    pkg = _Package.open(Path(src), "src")
    front_pkg = None
    try:
        book = _Book(pkg, str(src))
        front_pkg = _Package.open(Path(front), "front")
        front_book = _Book(front_pkg, str(front))
        by_sheet = _merge_edits(edits, book, front_name)

        old_front = book.sheet_named(front_name)
        if old_front is not None:
            book.remove_sheet(old_front)
        dropped_formula = False
        for sheet, cells in by_sheet.items():
            dropped_formula |= _edit_sheet(book, sheet, cells)
        if dropped_formula:
            book.drop_calc_chain()
        for sheet in book.sheets:
            if sheet not in by_sheet and sheet.part:
                _clear_tab_selected_raw(pkg, sheet.part)

        _graft_front(book, front_book, front_name)
        _update_app_titles(book, front_name, old_front is not None)
        book.finish()
        with atomic_path(Path(dest)) as tmp:
            pkg.write(tmp)
    finally:
        pkg.close()
        if front_pkg is not None:
            front_pkg.close()


# ---------------------------------------------------------------------------------------------
# The package: a zip read once, parts changed in memory, untouched members copied raw.


class _Package:
    def __init__(self, path: Path, zf: zipfile.ZipFile) -> None:
        self.path = path
        self._zip = zf
        self._raw_fp: BinaryIO = open(path, "rb")
        self._infos = {i.filename: i for i in zf.infolist()}
        self._order = [i.filename for i in zf.infolist()]
        self._data: dict[str, bytes] = {}
        self._trees: dict[str, etree._ElementTree] = {}
        self._dirty: set[str] = set()
        self._removed: set[str] = set()
        self._added: list[str] = []
        self._reserved: set[str] = set()

    @classmethod
    def open(cls, path: Path, what: str) -> _Package:
        try:
            with open(path, "rb") as fp:
                magic = fp.read(8)
        except OSError as exc:
            raise ValueError(f"{what} {path}: cannot be read ({exc.strerror})") from exc
        if magic.startswith(b"\xd0\xcf\x11\xe0"):
            raise ValueError(
                f"{what} {path}: an OLE2 file (an encrypted workbook or a legacy .xls), "
                "not an .xlsx/.xlsm zip package"
            )
        try:
            zf = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise ValueError(f"{what} {path}: not a zip file, so not an .xlsx/.xlsm workbook") from exc
        return cls(path, zf)

    def close(self) -> None:
        self._zip.close()
        self._raw_fp.close()

    def has(self, name: str) -> bool:
        if name in self._removed:
            return False
        return name in self._infos or name in self._data or name in self._trees

    def names(self) -> list[str]:
        return [n for n in self._order + self._added if self.has(n)]

    def read(self, name: str) -> bytes:
        if not self.has(name):
            raise KeyError(name)
        if name in self._dirty:
            return _serialize(self._trees[name])
        if name in self._data:
            return self._data[name]
        try:
            return self._zip.read(self._infos[name])
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise ValueError(f"{self.path}: damaged zip member {name} ({exc})") from exc

    def head(self, name: str, size: int) -> bytes:
        """The first `size` bytes of an untouched member, inflating no more than that."""
        try:
            with self._zip.open(self._infos[name]) as fp:
                return fp.read(size)
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise ValueError(f"{self.path}: damaged zip member {name} ({exc})") from exc

    def xml(self, name: str) -> etree._ElementTree:
        """The parsed part; the same tree on every call, so edits accumulate. Call touch() to save."""
        if name not in self._trees:
            try:
                self._trees[name] = etree.ElementTree(etree.fromstring(self.read(name), _PARSER))
            except etree.XMLSyntaxError as exc:
                raise ValueError(f"{self.path}: part {name} is not well-formed XML ({exc})") from exc
        return self._trees[name]

    def touch(self, name: str) -> None:
        self._dirty.add(name)

    def put_xml(self, name: str, tree: etree._ElementTree) -> None:
        self._forget(name)
        self._trees[name] = tree
        self._dirty.add(name)
        self._note_added(name)

    def put(self, name: str, data: bytes) -> None:
        self._forget(name)
        self._data[name] = data
        self._note_added(name)

    def remove(self, name: str) -> None:
        self._forget(name)
        self._removed.add(name)

    def changed(self, name: str) -> bool:
        return name in self._dirty or name in self._data

    def fresh(self, like: str) -> str:
        """A free part name shaped like `like`: xl/charts/chart1.xml -> xl/charts/chartN.xml."""
        folder, base = posixpath.split(like)
        m = re.fullmatch(r"(.*?)(\d*)(\.[^.]+)", base)
        stem, ext = (m.group(1), m.group(3)) if m else (base, "")
        taken = {n.lower() for n in self.names()} | self._reserved
        n = 1
        while posixpath.join(folder, f"{stem}{n}{ext}").lower() in taken:
            n += 1
        name = posixpath.join(folder, f"{stem}{n}{ext}")
        self._reserved.add(name.lower())
        return name

    def _forget(self, name: str) -> None:
        self._data.pop(name, None)
        self._trees.pop(name, None)
        self._dirty.discard(name)
        self._removed.discard(name)

    def _note_added(self, name: str) -> None:
        if name not in self._infos and name not in self._added:
            self._added.append(name)

    def write(self, dest: Path) -> None:
        """Write the package to dest: [Content_Types].xml first, then the input's member order."""
        first = "[Content_Types].xml"
        order = [first] + [n for n in self._order + self._added if n != first]
        with open(dest, "wb") as fp:
            out = _ZipWriter(fp)
            for name in order:
                if not self.has(name):
                    continue
                if self.changed(name) or name not in self._infos:
                    out.add(name, self.read(name))
                else:
                    info = self._infos[name]
                    out.add_raw(info, self._raw_member(info))
            out.close()

    def _raw_member(self, info: zipfile.ZipInfo) -> bytes:
        fp = self._raw_fp
        fp.seek(info.header_offset)
        header = fp.read(30)
        if header[:4] != b"PK\x03\x04":
            raise ValueError(f"{self.path}: damaged zip member {info.filename}")
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        fp.seek(info.header_offset + 30 + name_len + extra_len)
        return fp.read(info.compress_size)


class _ZipWriter:
    """A plain zip writer that can take members already compressed (no zip64: < 4 GiB)."""

    def __init__(self, fp: BinaryIO) -> None:
        self._fp = fp
        self._central: list[bytes] = []
        self._now = time.localtime()[:6]

    def add(self, name: str, data: bytes) -> None:
        comp = zlib.compressobj(6, zlib.DEFLATED, -15)
        raw = comp.compress(data) + comp.flush()
        self._entry(name, zipfile.ZIP_DEFLATED, zlib.crc32(data), raw, len(data), self._now, 0, 0)

    def add_raw(self, info: zipfile.ZipInfo, raw: bytes) -> None:
        # Keep the deflate option bits; sizes go in the header, so no data descriptor (bit 3).
        self._entry(info.filename, info.compress_type, info.CRC, raw, info.file_size,
                    info.date_time, info.flag_bits & 0x6, info.external_attr)

    def _entry(self, name: str, method: int, crc: int, raw: bytes, size: int,
               date_time: tuple[int, ...], flags: int, external_attr: int) -> None:
        encoded = name.encode("utf-8")
        if not name.isascii():
            flags |= 0x800
        offset = self._fp.tell()
        if max(offset, len(raw), size) >= 0xFFFFFFFF:
            raise ValueError("the scored workbook would exceed 4 GiB")
        y, mo, d, h, mi, s = date_time
        dos_date = max(y - 1980, 0) << 9 | mo << 5 | d
        dos_time = h << 11 | mi << 5 | s // 2
        fixed = (20, flags, method, dos_time, dos_date, crc, len(raw), size, len(encoded))
        self._fp.write(struct.pack("<4s5H3LHH", b"PK\x03\x04", *fixed, 0) + encoded)
        self._fp.write(raw)
        self._central.append(
            struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, *fixed, 0, 0, 0, 0,
                        external_attr, offset) + encoded
        )

    def close(self) -> None:
        start = self._fp.tell()
        for record in self._central:
            self._fp.write(record)
        size = self._fp.tell() - start
        count = len(self._central)
        if count > 0xFFFF:
            raise ValueError("the scored workbook would have too many zip members")
        self._fp.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, size, start, 0))


def _serialize(tree: etree._ElementTree) -> bytes:
    # The declaration as Excel writes it (lxml's own uses single quotes).
    standalone = "no" if tree.docinfo.standalone is False else "yes"
    declaration = f'<?xml version="1.0" encoding="UTF-8" standalone="{standalone}"?>\r\n'
    return declaration.encode() + etree.tostring(tree.getroot(), encoding="UTF-8",
                                                 xml_declaration=False)


def _q(local: str, ns: str = _MAIN) -> str:
    return f"{{{ns}}}{local}"


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _children(parent: etree._Element, local: str) -> list[etree._Element]:
    return [c for c in parent if _local(c) == local]


def _insert_in_order(parent: etree._Element, child: etree._Element, order: list[str]) -> None:
    """Move `child` (a child of parent) right after the last sibling the schema puts before it.
    Siblings the order does not know (xr:revisionPtr...) are stepped over, not ranked."""
    rank = order.index(_local(child))
    parent.remove(child)
    anchor = None
    for sibling in parent:
        sibling_rank = _rank(sibling, order)
        if sibling_rank is not None and sibling_rank <= rank:
            anchor = sibling
    if anchor is None:
        parent.insert(0, child)
    else:
        anchor.addnext(child)


def _rank(el: etree._Element, order: list[str]) -> int | None:
    name = _local(el)
    if el.tag == _q("AlternateContent", _MC):  # ranked by what it wraps: <mc:Choice><controls>
        inner = [g for c in el for g in c if isinstance(g.tag, str)]
        name = _local(inner[0]) if inner else ""
    return order.index(name) if name in order else None


# ---------------------------------------------------------------------------------------------
# Relationships and content types.


def _rels_name(part: str) -> str:
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")


def _relative(source: str, target: str) -> str:
    return posixpath.relpath(target, posixpath.dirname(source) or ".")


class _Rels:
    """The relationships of one part (its _rels/NAME.rels), created on first add."""

    def __init__(self, pkg: _Package, source: str) -> None:
        self.pkg, self.source, self.part = pkg, source, _rels_name(source)
        if pkg.has(self.part):
            self.tree = pkg.xml(self.part)
        else:
            self.tree = etree.ElementTree(etree.Element(_q("Relationships", _PKG_REL),
                                                        nsmap={None: _PKG_REL}))
        self.root = self.tree.getroot()

    def __iter__(self):
        return iter(_children(self.root, "Relationship"))

    def by_id(self, rid: str) -> etree._Element | None:
        return next((r for r in self if r.get("Id") == rid), None)

    def of_type(self, rel_type: str) -> list[etree._Element]:
        return [r for r in self if r.get("Type") == rel_type]

    def target(self, rel: etree._Element) -> str | None:
        """The part a relationship points at, or None for an external target."""
        if rel.get("TargetMode") == "External":
            return None
        target = unquote(rel.get("Target", ""))
        if target.startswith("/"):
            return target[1:]
        return posixpath.normpath(posixpath.join(posixpath.dirname(self.source), target))

    def add(self, rel_type: str, target_part: str) -> str:
        ids = {r.get("Id") for r in self}
        n = len(ids) + 1
        while f"rId{n}" in ids:
            n += 1
        rid = f"rId{n}"
        etree.SubElement(self.root, _q("Relationship", _PKG_REL),
                         Id=rid, Type=rel_type, Target=_relative(self.source, target_part))
        self.save()
        return rid

    def remove(self, rel: etree._Element) -> None:
        self.root.remove(rel)
        self.save()

    def save(self) -> None:
        if self.pkg.has(self.part):
            self.pkg.touch(self.part)
        else:
            self.pkg.put_xml(self.part, self.tree)


class _ContentTypes:
    def __init__(self, pkg: _Package) -> None:
        self.pkg = pkg
        if not pkg.has("[Content_Types].xml"):
            raise ValueError(f"{pkg.path}: no [Content_Types].xml, so not an OOXML workbook")
        self.root = pkg.xml("[Content_Types].xml").getroot()

    def _default(self, part: str) -> etree._Element | None:
        ext = posixpath.splitext(part)[1][1:].lower()
        return next((d for d in _children(self.root, "Default")
                     if d.get("Extension", "").lower() == ext), None)

    def _override(self, part: str) -> etree._Element | None:
        name = "/" + part
        return next((o for o in _children(self.root, "Override")
                     if o.get("PartName", "").lower() == name.lower()), None)

    def of(self, part: str) -> str | None:
        found = self._override(part)
        if found is None:
            found = self._default(part)
        return None if found is None else found.get("ContentType")

    def set(self, part: str, content_type: str | None) -> None:
        if content_type is None or self.of(part) == content_type:
            return
        override = self._override(part)
        if override is None:
            etree.SubElement(self.root, _q("Override", _CT),
                             PartName="/" + part, ContentType=content_type)
        else:
            override.set("ContentType", content_type)
        self.pkg.touch("[Content_Types].xml")

    def remove(self, part: str) -> None:
        override = self._override(part)
        if override is not None:
            self.root.remove(override)
            self.pkg.touch("[Content_Types].xml")


# ---------------------------------------------------------------------------------------------
# The workbook: sheets, their order, the active tab, sheet-scoped names.


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
        office = _Rels(pkg, "").of_type(_REL_OFFICE_DOCUMENT) if pkg.has("_rels/.rels") else []
        self.part = _Rels(pkg, "").target(office[0]) if office else None
        if self.part is None or not pkg.has(self.part):
            raise ValueError(f"{label}: a zip file, but not an OOXML workbook (no workbook part)")
        if self.ct.of(self.part) not in _WORKBOOK_TYPES:
            raise ValueError(f"{label}: not a spreadsheet (content type {self.ct.of(self.part)})")
        self.root = pkg.xml(self.part).getroot()
        if self.root.tag != _q("workbook"):
            raise ValueError(f"{label}: workbook part {self.part} is not SpreadsheetML "
                             "transitional (strict OOXML is not supported)")
        self.rels = _Rels(pkg, self.part)
        self.sheets_el = self.root.find(_q("sheets"))
        if self.sheets_el is None:
            raise ValueError(f"{label}: workbook has no <sheets>")
        self.sheets = [self._sheet(el) for el in _children(self.sheets_el, "sheet")]
        self._original_order = [s.element for s in self.sheets]
        self._front_names: list[etree._Element] = []
        self._styles: _Styles | None = None

    def _sheet(self, el: etree._Element) -> _Sheet:
        rel = self.rels.by_id(el.get(_q("id", _R), ""))
        part = self.rels.target(rel) if rel is not None else None
        return _Sheet(el.get("name", ""), el, part if part and self.pkg.has(part) else None,
                      rel.get("Type", "") if rel is not None else "")

    def sheet_named(self, name: str) -> _Sheet | None:
        return next((s for s in self.sheets if s.name.casefold() == name.casefold()), None)

    @property
    def styles(self) -> _Styles:
        if self._styles is None:
            rels = self.rels.of_type(_REL_STYLES)
            part = self.rels.target(rels[0]) if rels else None
            if part is None or not self.pkg.has(part):
                part = part or self.pkg.fresh("xl/styles.xml")
                self.pkg.put(part, _MINIMAL_STYLES)
                if not rels:
                    self.rels.add(_REL_STYLES, part)
                self.ct.set(part, _CT_STYLES)
            self._styles = _Styles(self.pkg, part)
        return self._styles

    def shared_strings(self) -> list[etree._Element]:
        rels = self.rels.of_type(_REL_SHARED_STRINGS)
        part = self.rels.target(rels[0]) if rels else None
        if part is None or not self.pkg.has(part):
            return []
        return _children(self.pkg.xml(part).getroot(), "si")

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

    def insert_front(self, name: str, part: str, local_names: list[etree._Element]) -> None:
        rid = self.rels.add(_REL_WORKSHEET, part)
        ids = [int(s.element.get("sheetId", "0")) for s in self.sheets]
        el = etree.SubElement(self.sheets_el, _q("sheet"))
        el.set("name", name)
        el.set("sheetId", str(max(ids, default=0) + 1))
        el.set(_q("id", _R), rid)
        self.sheets_el.insert(0, el)
        self.sheets.insert(0, _Sheet(name, el, part, _REL_WORKSHEET))
        self._front_names = local_names
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
        front_names = self._front_names
        if front_names:
            if names is None:
                names = etree.SubElement(self.root, _q("definedNames"))
                _insert_in_order(self.root, names, _WORKBOOK_ORDER)
            for i, dn in enumerate(front_names):
                dn = copy.deepcopy(dn)
                dn.set("localSheetId", "0")
                names.insert(i, dn)
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
            source = posixpath.join(posixpath.dirname(posixpath.dirname(name)),
                                    posixpath.basename(name)[: -len(".rels")])
            rels = _Rels(pkg, source)
            kept.update(t for rel in rels if (t := rels.target(rel)))
    for part in reached - kept:
        pkg.remove(part)
        book.ct.remove(part)
        if pkg.has(_rels_name(part)):
            pkg.remove(_rels_name(part))


# ---------------------------------------------------------------------------------------------
# Styles: append fills, cell formats and the front sheet's formats; never renumber.

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


# ---------------------------------------------------------------------------------------------
# Sheet cells: values, fills, formulas dropped.


@dataclass
class _Merged:
    value: float | str | None = None
    fill: str | None = None
    notes: list[str] = field(default_factory=list)


_MAX_ROW, _MAX_COL = 1_048_576, 16_384


def _col_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _col_letters(n: int) -> str:
    letters = ""
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _parse_ref(ref: str) -> tuple[int, int]:
    m = re.fullmatch(r"\$?([A-Za-z]{1,3})\$?([1-9][0-9]{0,6})", ref.strip())
    if m:
        row, col = int(m.group(2)), _col_number(m.group(1).upper())
        if row <= _MAX_ROW and col <= _MAX_COL:
            return row, col
    raise ValueError(f"{ref!r} is not a cell reference like 'I5'")


def _rgb(colour: str) -> str:
    text = colour.strip().lstrip("#").upper()
    if re.fullmatch(r"[0-9A-F]{6}", text):
        return "FF" + text
    if re.fullmatch(r"[0-9A-F]{8}", text):
        return text
    raise ValueError(f"fill {colour!r} is not an RGB hex colour like 'FFC7CE'")


def _merge_edits(edits: Iterable[CellEdit], book: _Book,
                 front_name: str) -> dict[_Sheet, dict[tuple[int, int], _Merged]]:
    by_sheet: dict[_Sheet, dict[tuple[int, int], _Merged]] = {}
    for edit in edits:
        sheet = next((s for s in book.sheets if s.name == edit.sheet), None)
        if edit.sheet.casefold() == front_name.casefold():
            raise ValueError(f"edit of {edit.sheet}!{edit.cell}: {front_name!r} is the front "
                             "sheet, which write_scored replaces")
        if sheet is None:
            names = ", ".join(s.name for s in book.sheets)
            raise ValueError(f"edit of {edit.sheet}!{edit.cell}: no sheet {edit.sheet!r} in the "
                             f"workbook (it has: {names})")
        if not sheet.is_worksheet or sheet.part is None:
            raise ValueError(f"edit of {edit.sheet}!{edit.cell}: {edit.sheet!r} is not a worksheet")
        merged = by_sheet.setdefault(sheet, {}).setdefault(_parse_ref(edit.cell), _Merged())
        if edit.value is not None:
            if isinstance(edit.value, bool) or not isinstance(edit.value, (int, float, str)):
                raise TypeError(f"edit of {edit.sheet}!{edit.cell}: value must be a number or a str")
            merged.value = edit.value
        if edit.fill is not None:
            merged.fill = _rgb(edit.fill)
        if edit.note is not None:
            merged.notes.append(edit.note)
    return by_sheet


def _edit_sheet(book: _Book, sheet: _Sheet, cells: dict[tuple[int, int], _Merged]) -> bool:
    """Apply one sheet's edits; True when a formula was dropped (so calcChain must go)."""
    assert sheet.part is not None
    root = book.pkg.xml(sheet.part).getroot()
    grid = _Grid(root)
    dropped = False
    shared_masters: dict[str, tuple[str, tuple[int, int]]] = {}
    for (row, col), edit in sorted(cells.items()):
        c = grid.cell(row, col)
        if edit.value is not None:
            f = c.find(_q("f"))
            if f is not None:
                dropped = True
                if f.get("t") == "shared" and f.get("ref") and f.text:
                    shared_masters[f.get("si", "")] = (f.text, (row, col))
            _set_value(c, edit.value)
        if edit.fill is not None:
            c.set("s", str(book.styles.highlight(int(c.get("s", "0")), edit.fill)))
    for si, (text, origin) in shared_masters.items():
        _promote_shared(grid.sheet_data, si, text, origin)
    notes = {f"{_col_letters(col)}{row}": "\n".join(e.notes)
             for (row, col), e in sorted(cells.items()) if e.notes}
    if notes:
        _add_notes(book, sheet, root, notes)
    for view in root.iter(_q("sheetView")):
        view.attrib.pop("tabSelected", None)
    grid.widen_dimension(cells)
    book.pkg.touch(sheet.part)
    return dropped


class _Grid:
    """Row and cell lookup in <sheetData>, creating rows and cells in sorted place."""

    def __init__(self, root: etree._Element) -> None:
        self.root = root
        sheet_data = root.find(_q("sheetData"))
        if sheet_data is None:
            sheet_data = etree.SubElement(root, _q("sheetData"))
            _insert_in_order(root, sheet_data, _WORKSHEET_ORDER)
        self.sheet_data = sheet_data
        self.rows: dict[int, etree._Element] = {}
        r = 0
        for row in _children(sheet_data, "row"):
            if row.get("r"):
                r = int(row.get("r"))
            else:
                r += 1
                row.set("r", str(r))  # an implicit row number made explicit
            self.rows[r] = row
        self.col_styles = [(int(c.get("min", "0")), int(c.get("max", "0")), c.get("style"))
                           for c in root.iterfind(f"{_q('cols')}/{_q('col')}") if c.get("style")]

    def cell(self, row: int, col: int) -> etree._Element:
        row_el = self.rows.get(row)
        if row_el is None:
            row_el = self._new_row(row)
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
        style = self._default_style(row_el, col)
        if style and style != "0":
            new.set("s", style)
        spans = row_el.get("spans")
        if spans:
            bounds = [int(x) for x in re.findall(r"\d+", spans)] + [col]
            row_el.set("spans", f"{min(bounds)}:{max(bounds)}")
        return new

    def _new_row(self, row: int) -> etree._Element:
        new = etree.Element(_q("row"), r=str(row))
        after = [r for r in self.rows if r > row]
        if after:
            self.rows[min(after)].addprevious(new)
        else:
            self.sheet_data.append(new)
            _before_ext(self.sheet_data, new)
        self.rows[row] = new
        return new

    def _default_style(self, row_el: etree._Element, col: int) -> str | None:
        if row_el.get("customFormat") in ("1", "true"):
            return row_el.get("s")
        return next((s for lo, hi, s in self.col_styles if lo <= col <= hi), None)

    def widen_dimension(self, cells: Iterable[tuple[int, int]]) -> None:
        dim = self.root.find(_q("dimension"))
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


_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xstring(text: str) -> str:
    """Text as an ST_Xstring: characters XML cannot hold become _xHHHH_ escapes."""
    text = re.sub(r"_(x[0-9A-Fa-f]{4}_)", r"_x005F_\1", text)
    return _ILLEGAL_XML.sub(lambda m: f"_x{ord(m.group()):04X}_", text)


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


# Cell and whole-row/column references outside string literals, quoted names and [structured]
# parts; not followed by "(" (LOG10() is a function) or "!" (A1! would be a sheet name).
_TOKEN_SPLIT = re.compile(r"(\"(?:[^\"]|\"\")*\"|'(?:[^']|'')*'|\[[^\]]*\])")
_CELL_REF = re.compile(r"(?<![A-Za-z0-9_.$])(\$?)([A-Z]{1,3})(\$?)([0-9]+)(?![A-Za-z0-9_(!])")
_COLS_REF = re.compile(r"(?<![A-Za-z0-9_.$])(\$?)([A-Z]{1,3}):(\$?)([A-Z]{1,3})(?![A-Za-z0-9_(!])")
_ROWS_REF = re.compile(r"(?<![A-Za-z0-9_.$:])(\$?)([0-9]+):(\$?)([0-9]+)(?![A-Za-z0-9_(!:])")


def _shift_formula(formula: str, rows: int, cols: int) -> str:
    """A formula as it reads `rows` down and `cols` right: relative references move."""

    def col(absolute: str, letters: str) -> str | None:
        n = _col_number(letters) + (0 if absolute else cols)
        return absolute + _col_letters(n) if 1 <= n <= _MAX_COL else None

    def row(absolute: str, digits: str) -> str | None:
        n = int(digits) + (0 if absolute else rows)
        return f"{absolute}{n}" if 1 <= n <= _MAX_ROW else None

    def cell(m: re.Match) -> str:
        if _col_number(m.group(2)) > _MAX_COL:
            return m.group()
        c, r = col(m.group(1), m.group(2)), row(m.group(3), m.group(4))
        return c + r if c and r else "#REF!"

    def col_range(m: re.Match) -> str:
        a, b = col(m.group(1), m.group(2)), col(m.group(3), m.group(4))
        return f"{a}:{b}" if a and b else "#REF!"

    def row_range(m: re.Match) -> str:
        a, b = row(m.group(1), m.group(2)), row(m.group(3), m.group(4))
        return f"{a}:{b}" if a and b else "#REF!"

    parts = _TOKEN_SPLIT.split(formula)
    for i in range(0, len(parts), 2):
        text = _ROWS_REF.sub(row_range, parts[i])
        text = _COLS_REF.sub(col_range, text)
        parts[i] = _CELL_REF.sub(cell, text)
    return "".join(parts)


def _promote_shared(sheet_data: etree._Element, si: str, text: str,
                    origin: tuple[int, int]) -> None:
    """The master of shared formula `si` lost its formula: the first cell still sharing it
    becomes the master, with the formula as it reads there."""
    rest = sheet_data.xpath("m:row/m:c[m:f[@t='shared' and @si=$si]]",
                            namespaces={"m": _MAIN}, si=si)
    if not rest:
        return
    refs = [_parse_ref(c.get("r")) for c in rest]
    top, left = min(r for r, _ in refs), min(c for _, c in refs)
    bottom, right = max(r for r, _ in refs), max(c for _, c in refs)
    f = rest[0].find(_q("f"))
    f.text = _shift_formula(text, refs[0][0] - origin[0], refs[0][1] - origin[1])
    f.set("ref", f"{_col_letters(left)}{top}:{_col_letters(right)}{bottom}")


def _clear_tab_selected_raw(pkg: _Package, part: str) -> None:
    """Clear tabSelected on a sheet without parsing it: <sheetView> sits before <sheetData>."""
    head = pkg.head(part, 65536)
    end = head.find(b"sheetData")
    region = head if end < 0 else head[:end]
    pattern = re.compile(rb"(<(?:\w+:)?sheetView\b[^>]*?)\s+tabSelected=\"(?:1|true)\"")
    if not pattern.search(region):
        return
    data = pkg.read(part)
    patched = pattern.sub(rb"\1", data[: len(region)])
    pkg.put(part, patched + data[len(region):])


# ---------------------------------------------------------------------------------------------
# Notes: the comments part, its VML shapes, the sheet's rels and <legacyDrawing>.

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
    "margin-left:80pt;margin-top:2pt;width:160pt;height:{height}pt;z-index:{z};visibility:hidden\""
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
        shapes.append(_VML_NOTE.format(sid=next_id + i, height=lines * 15, z=len(ids) + i + 1,
                                       anchor=anchor, row=row - 1, col=col - 1))
    end = vml.rfind(b"</xml>")
    if end < 0:
        raise ValueError("existing VML drawing part has no closing </xml>")
    return vml[:end] + "".join(shapes).encode() + vml[end:]


# ---------------------------------------------------------------------------------------------
# The front sheet: graft the xlsxwriter sheet and what it reaches; restyle; inline its strings.


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


# ---------------------------------------------------------------------------------------------
# docProps/app.xml: the sheet names Excel shows in the file's properties.


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
        group = items[start:start + n]
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
