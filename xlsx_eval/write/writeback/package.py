"""The zip package: a zip read once, parts changed in memory, untouched members copied raw as
their compressed bytes; [Content_Types].xml (each part's content type, by extension or by
override) and the relationships (a part's _rels/NAME.rels, and the paths they point at).
"""

from __future__ import annotations

import functools
import posixpath
import re
import struct
import zipfile
import zlib
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote

from lxml import etree

from xlsx_eval.read.sniff import unsafe_part

from .ooxml import _CT, _PKG_REL, _children, _q

_PARSER = etree.XMLParser(resolve_entities=False, huge_tree=True, no_network=True)


class _Package:
    def __init__(self, path: Path | BinaryIO, zf: zipfile.ZipFile) -> None:
        self.path = path
        self._zip = zf
        self._raw_fp: BinaryIO = open(path, "rb") if isinstance(path, Path) else path
        # a repeated name once; a member whose name climbs out of the package never (sniff reports it)
        self._infos = {i.filename: i for i in zf.infolist() if not unsafe_part(i.filename)}
        self._order = list(dict.fromkeys(i.filename for i in zf.infolist() if not unsafe_part(i.filename)))
        self._data: dict[str, bytes] = {}
        self._trees: dict[str, etree._ElementTree] = {}
        self._dirty: set[str] = set()
        self._removed: set[str] = set()
        self._added: list[str] = []
        self._reserved: set[str] = set()

    @classmethod
    def open(cls, path: Path | BinaryIO, what: str) -> _Package:
        """A package from a file, or from a file object (a workbook built in memory)."""
        try:
            if isinstance(path, Path):
                with open(path, "rb") as fp:
                    magic = fp.read(8)
            else:
                magic = path.read(8)
                path.seek(0)
        except OSError as exc:
            raise ValueError(f"{what} {path}: cannot be read ({exc.strerror})") from exc
        if magic.startswith(b"\xd0\xcf\x11\xe0"):
            raise ValueError(
                f"{what} {path}: an OLE2 file (an encrypted workbook or a legacy .xls), not an .xlsx/.xlsm zip package"
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
        return self.head(name, -1)

    def head(self, name: str, size: int) -> bytes:
        """The first `size` bytes (all for -1) of an untouched member, inflating no more than that."""
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
        # Rewritten and new parts are dated like the input's newest part, not now: the same input and rules
        # give the same bytes, so a rerun of convert does not make `email` send an unchanged result again.
        dated = max((info.date_time for info in self._infos.values()), default=(1980, 1, 1, 0, 0, 0))
        with open(dest, "wb") as fp:
            out = _ZipWriter(fp, dated)
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


def _serialize(tree: etree._ElementTree) -> bytes:
    # The declaration as Excel writes it (lxml's own uses single quotes).
    standalone = "no" if tree.docinfo.standalone is False else "yes"
    declaration = f'<?xml version="1.0" encoding="UTF-8" standalone="{standalone}"?>\r\n'
    return declaration.encode() + etree.tostring(tree.getroot(), encoding="UTF-8", xml_declaration=False)


_SMALL_PART = 1 << 16


def _deflate(data: bytes) -> tuple[bytes, int]:
    """The raw deflate stream of a member's bytes, and their CRC."""
    comp = zlib.compressobj(6, zlib.DEFLATED, -15)
    return comp.compress(data) + comp.flush(), zlib.crc32(data)


# A batch's scored copies have many small parts alike (the front sheet's drawing, chart and relationships,
# often the content types, workbook and styles of one template): each is deflated once a worker.
_deflate_small = functools.lru_cache(maxsize=128)(_deflate)


class _ZipWriter:
    """A plain zip writer that can take members already compressed (no zip64: < 4 GiB)."""

    def __init__(self, fp: BinaryIO, date_time: tuple[int, ...]) -> None:
        self._fp = fp
        self._central: list[bytes] = []
        self._date_time = date_time  # of the members added

    def add(self, name: str, data: bytes) -> None:
        raw, crc = (_deflate_small if len(data) <= _SMALL_PART else _deflate)(data)
        self._entry(name, zipfile.ZIP_DEFLATED, crc, raw, len(data), self._date_time, 0, 0)

    def add_raw(self, info: zipfile.ZipInfo, raw: bytes) -> None:
        # Keep the deflate option bits; sizes go in the header, so no data descriptor (bit 3).
        self._entry(
            info.filename,
            info.compress_type,
            info.CRC,
            raw,
            info.file_size,
            info.date_time,
            info.flag_bits & 0x6,
            info.external_attr,
        )

    def _entry(
        self,
        name: str,
        method: int,
        crc: int,
        raw: bytes,
        size: int,
        date_time: tuple[int, ...],
        flags: int,
        external_attr: int,
    ) -> None:
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
            struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, *fixed, 0, 0, 0, 0, external_attr, offset) + encoded
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


class _ContentTypes:
    def __init__(self, pkg: _Package) -> None:
        self.pkg = pkg
        if not pkg.has("[Content_Types].xml"):
            raise ValueError(f"{pkg.path}: no [Content_Types].xml, so not an OOXML workbook")
        self.root = pkg.xml("[Content_Types].xml").getroot()

    def _default(self, part: str) -> etree._Element | None:
        ext = posixpath.splitext(part)[1][1:].lower()
        return next((d for d in _children(self.root, "Default") if d.get("Extension", "").lower() == ext), None)

    def _override(self, part: str) -> etree._Element | None:
        name = "/" + part
        return next(
            (o for o in _children(self.root, "Override") if o.get("PartName", "").lower() == name.lower()), None
        )

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
            etree.SubElement(self.root, _q("Override", _CT), PartName="/" + part, ContentType=content_type)
        else:
            override.set("ContentType", content_type)
        self.pkg.touch("[Content_Types].xml")

    def remove(self, part: str) -> None:
        override = self._override(part)
        if override is not None:
            self.root.remove(override)
            self.pkg.touch("[Content_Types].xml")


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
            self.tree = etree.ElementTree(etree.Element(_q("Relationships", _PKG_REL), nsmap={None: _PKG_REL}))
        self.root = self.tree.getroot()

    def __iter__(self):
        return iter(_children(self.root, "Relationship"))

    def by_id(self, rid: str) -> etree._Element | None:
        return next((r for r in self if r.get("Id") == rid), None)

    def of_type(self, rel_type: str) -> list[etree._Element]:
        return [r for r in self if r.get("Type") == rel_type]

    def first_target(self, rel_type: str) -> str | None:
        """The part the first relationship of rel_type points at (None: none, or external)."""
        rels = self.of_type(rel_type)
        return self.target(rels[0]) if rels else None

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
        etree.SubElement(
            self.root, _q("Relationship", _PKG_REL), Id=rid, Type=rel_type, Target=_relative(self.source, target_part)
        )
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
