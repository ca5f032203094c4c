"""A worksheet part edited without a tree of all its rows.

Everything around <sheetData> (views, columns, the dimension, <legacyDrawing>…) is parsed as a small
skeleton. The rows are found by their byte offsets; only a row that changes is parsed, on its own, and
serialized back among the other rows' bytes, which are copied as they are. A ledger of 100,000 rows with a
few hundred cells marked costs about its bytes twice, not a tree of every cell.
"""

from __future__ import annotations

import bisect
import re

from lxml import etree

from .cells import _add_cell, _escaped
from .ooxml import _WORKSHEET_ORDER, _insert_in_order, _q
from .package import _PARSER, _serialize

_SHEET_DATA = re.compile(rb"<((?:[\w.-]+:)?sheetData)(?=[\s/>])[^>]*>")
# A row's start tag, and its number when it has one (a row without r follows the one before it): the attributes
# before r are stepped over whole, so a ">" in a quoted value does not end the tag. The same without a namespace
# prefix is three times as fast on a long sheet, for the sheets that have none (nearly all).
_ATTRS_BEFORE_R = rb'(?:\s+(?!r\s*=)[^\s=>/]+\s*=\s*(?:"[^"]*"|\'[^\']*\'))*(?:\s+r\s*=\s*["\'](\d+)["\'])?'
_ROW = re.compile(rb"<(?:[\w.-]+:)?row(?=[\s/>])" + _ATTRS_BEFORE_R)
_PLAIN_ROW = re.compile(rb"<row(?=[\s/>])" + _ATTRS_BEFORE_R)
# What a "<row" could hide in: a comment, a CDATA section, a processing instruction (and a DOCTYPE, which sniff
# refuses); and the declaration, whose encoding must be UTF-8 for bytes to be copied into a UTF-8 part.
_MARKUP = re.compile(rb"<[!?]")
_DECLARATION = re.compile(rb"\A(?:\xef\xbb\xbf)?<\?xml[^>]*\?>")
_UTF8 = re.compile(rb"""encoding\s*=\s*["']utf-?8["']""", re.IGNORECASE)
_WRAPPER_END = b"</w>"


class SheetRows:
    """One worksheet part: its skeleton (``root``) and its rows, parsed one by one on demand."""

    def __init__(self, data: bytes, where: str) -> None:
        self.where = where
        data = self._data = self._plain(data)
        found = _SHEET_DATA.search(data)
        if found is None:  # no <sheetData> at all: the part is small, and gets an empty one
            self.root = self._parse(data).getroot()
            self.sheet_data = etree.SubElement(self.root, _q("sheetData"))
            _insert_in_order(self.root, self.sheet_data, _WORKSHEET_ORDER)
            self._body = self._body_end = len(data)
        else:
            start_tag = found.group()
            self._body = self._body_end = tail = found.end()
            if not start_tag.endswith(b"/>"):
                self._body_end = data.rfind(b"</" + found.group(1))
                if self._body_end < self._body:
                    raise ValueError(f"{where}: <sheetData> is never closed, so the sheet is not well-formed XML")
                tail = data.index(b">", self._body_end) + 1
                start_tag = start_tag[:-1].rstrip() + b"/>"
            self.root = self._parse(data[: found.start()] + start_tag + data[tail:]).getroot()
            self.sheet_data = self.root.find(_q("sheetData"))
        decls = " ".join(
            f'xmlns{":" + p if p else ""}="{_escaped(uri, {chr(34): "&quot;"})}"'
            for p, uri in self.sheet_data.nsmap.items()
        )
        self._wrapper = f"<w {decls}>".encode()
        self._starts: list[int] = []  # each row's offset in the part, in the part's order
        self._numbers: list[int] = []
        plain = found is None or (b":" not in found.group(1) and data.find(b":row", self._body, self._body_end) < 0)
        number = 0
        for m in (_PLAIN_ROW if plain else _ROW).finditer(data, self._body, self._body_end):
            number = int(m.group(1)) if m.group(1) else number + 1
            self._starts.append(m.start())
            self._numbers.append(number)
        self._index = {n: i for i, n in enumerate(self._numbers)}
        self._sorted = all(a < b for a, b in zip(self._numbers, self._numbers[1:]))
        self._parsed: dict[int, etree._Element] = {}  # row number -> the row, parsed (or new)
        self.col_styles = [
            (int(c.get("min", "0")), int(c.get("max", "0")), c.get("style"))
            for c in self.root.iterfind(f"{_q('cols')}/{_q('col')}")
            if c.get("style")
        ]

    def _plain(self, data: bytes) -> bytes:
        """The part as UTF-8 elements and text, as Excel, WPS and LibreOffice write it (returned as it is). A part
        in another encoding, or with comments, CDATA or processing instructions, is parsed and written again
        without the comments and instructions, which a spreadsheet ignores, and with CDATA as plain text."""
        declared = _DECLARATION.match(data)
        if declared is not None:
            utf8 = b"encoding" not in declared.group() or bool(_UTF8.search(declared.group()))
        else:
            utf8 = data[:2] not in (b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<")  # UTF-16, with or without a mark
        if utf8 and not _MARKUP.search(data, declared.end() if declared else 0):
            return data
        tree = self._parse(data)
        for node in tree.getroot().xpath("//comment() | //processing-instruction()"):
            parent = node.getparent()
            if node.tail:  # the text after it stays
                before = node.getprevious()
                if before is not None:
                    before.tail = (before.tail or "") + node.tail
                else:
                    parent.text = (parent.text or "") + node.tail
            parent.remove(node)
        return _serialize(tree)

    def _parse(self, data: bytes) -> etree._ElementTree:
        try:
            return etree.ElementTree(etree.fromstring(data, _PARSER))
        except etree.XMLSyntaxError as exc:
            raise ValueError(f"{self.where} is not well-formed XML ({exc})") from exc

    def _chunk(self, i: int) -> memoryview:
        end = self._starts[i + 1] if i + 1 < len(self._starts) else self._body_end
        return memoryview(self._data)[self._starts[i] : end]

    def row(self, number: int) -> etree._Element:
        """Row `number`, parsed; a new empty one in its sorted place when the sheet has none."""
        row = self._parsed.get(number)
        if row is not None:
            return row
        i = self._index.get(number)
        wrapper = self._parse(self._wrapper + (b"" if i is None else bytes(self._chunk(i))) + _WRAPPER_END).getroot()
        if i is None:
            row = etree.SubElement(wrapper, _q("row"), r=str(number))
        else:
            row = wrapper[0]
            row.set("r", str(number))  # an implicit row number made explicit
        self._parsed[number] = row
        return row

    def cell(self, row: int, col: int) -> etree._Element:
        """Cell (row, col), created in its sorted place (with the row's or column's format) when missing."""
        row_el = self.row(row)
        return _add_cell(row_el, row, col, self._default_style(row_el, col))

    def _default_style(self, row_el: etree._Element, col: int) -> str | None:
        if row_el.get("customFormat") in ("1", "true"):
            return row_el.get("s")
        return next((s for lo, hi, s in self.col_styles if lo <= col <= hi), None)

    def rows_mentioning(self, pattern: re.Pattern[bytes]) -> list[etree._Element]:
        """The rows whose bytes match `pattern` (and every row already parsed), parsed, in sheet order."""
        numbers = set(self._parsed)
        for m in pattern.finditer(self._data, self._body, self._body_end):
            i = bisect.bisect_right(self._starts, m.start()) - 1
            if i >= 0:
                numbers.add(self._numbers[i])
        return [self.row(n) for n in sorted(numbers)]

    def to_bytes(self) -> bytes:
        """The part: the skeleton serialized, its <sheetData> holding every row, the changed ones as they now are."""
        skeleton = _serialize(self.root.getroottree())
        found = _SHEET_DATA.search(skeleton)
        assert found is not None and found.group().endswith(b"/>")
        if not self._starts and not self._parsed:
            return skeleton
        splices = []  # (offset, 0 for a new row and 1 for a changed one, number, end)
        for number in self._parsed:
            i = self._index.get(number)
            if i is None:  # new: before the first row numbered after it
                at = self._first_after(number)
                start = self._starts[at] if at < len(self._starts) else self._body_end
                splices.append((start, 0, number, start))
            else:
                splices.append((self._starts[i], 1, number, self._starts[i] + len(self._chunk(i))))
        data = memoryview(self._data)
        pieces: list[bytes | memoryview] = [skeleton[: found.start()], found.group()[:-2] + b">"]
        pos = self._body
        for start, _, number, end in sorted(splices):
            pieces += [data[pos:start], self._serialize_row(self._parsed[number])]
            pos = end
        pieces += [data[pos : self._body_end], b"</" + found.group(1) + b">", skeleton[found.end() :]]
        return b"".join(pieces)

    def _first_after(self, number: int) -> int:
        """The index of the first row, in the part's order, numbered after `number` (len: none is)."""
        if self._sorted:
            return bisect.bisect_right(self._numbers, number)
        return next((i for i, n in enumerate(self._numbers) if n > number), len(self._numbers))

    @staticmethod
    def _serialize_row(row: etree._Element) -> bytes:
        """The row and what follows it up to the next row, without the namespace declarations its wrapper
        holds for it (the worksheet's root declares them)."""
        text = etree.tostring(row.getparent(), encoding="UTF-8", xml_declaration=False)
        return text[text.index(b">") + 1 : text.rindex(_WRAPPER_END)]
