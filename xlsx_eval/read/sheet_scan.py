"""Measuring a worksheet part before a parser reads it: its used range, and the cells whose value must
not be taken as it reads (formulas without a trustworthy saved value, error values) or that show a
number as a percentage.

The common form of a sheet (what Excel, WPS, LibreOffice, xlsxwriter and openpyxl write: double-quoted
attributes, no namespace prefix, an r="A1" on every cell) is measured with a byte scan, fast enough for a
100,000-row ledger. Any other valid form (single quotes, a prefix, cells without r=) is measured exactly,
with a streaming XML parser that counts positions the way a spreadsheet parser does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO

from lxml import etree

from ..a1 import cell, column_letters, column_number

_CHUNK = 1 << 20
_FIRST_COLUMN = re.compile(rb'<c r="([A-Z]{1,3})')
_FIRST_ROW = re.compile(rb'<row r="([0-9]+)"')
_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?worksheet\b")
_PREFIXED_ROOT = re.compile(rb"<[A-Za-z_][\w.-]*:worksheet\b")
_REF = re.compile(r"^([A-Z]{1,3})([0-9]+)$")
_FORMULA = re.compile(rb"<f[\s/>]")  # a cell's formula; not <formula1> of a data validation
# A shared-string cell whose index is negative: a damaged file (a parser reads it as the first string).
_NEGATIVE_STRING = re.compile(rb'<c r="([A-Z]{1,3}[0-9]+)"[^>]*?\bt="s"[^>]*><v>\s*-')

#: Opens a part of the package by name, for reading: ``ZipFile.open``, or one that serves parts already inflated.
Opener = Callable[[str], IO[bytes]]


@dataclass
class SheetScan:
    max_row: int = 0
    max_col: int = 0  # of the cells that hold something
    has_formulas: bool = False  # formulas or error values: their cells need a closer look
    #: A1 ref -> "" for a formula with no trustworthy saved value, or the error it shows ("#DIV/0!")
    suspect: dict[str, str] = field(default_factory=dict)
    percent: set[str] = field(default_factory=set)  # number cells whose style is a percent format
    bad_string: str | None = None  # a shared-string cell whose index is not a whole number ≥ 0: the file is damaged
    formulas: dict[str, str] = field(default_factory=dict)  # A1 ref -> a short formula's text, when asked for


def measure(open_part: Opener, part: str, max_rows: int, max_cells: int) -> SheetScan:
    """The used range and whether there are formulas.

    A byte scan first: an upper bound (it counts empty formatted cells too), exact enough when it is within
    the limits. Otherwise, or when the XML is not in the common form, the cells that hold something are
    counted with the streaming parser, as python-calamine counts them.
    """
    scan, common = _byte_scan(open_part, part)
    if common and scan.max_row <= max_rows and scan.max_row * scan.max_col <= max_cells:
        return scan
    return cells(open_part, part, full_calc=False, percent_styles=frozenset())


def _byte_scan(open_part: Opener, part: str) -> tuple[SheetScan, bool]:
    scan = SheetScan()
    columns: set[bytes] = set()
    common = None
    with open_part(part) as f:
        rest = b""
        while True:
            chunk = f.read(_CHUNK)
            data = rest + chunk
            cut = data.rfind(b">") + 1 if chunk else len(data)  # whole tags only: none is split in two
            piece, rest = data[:cut], data[cut:]
            if common is None and piece:
                common = bool(_ROOT.search(piece)) and not _PREFIXED_ROOT.search(piece)
            # the common form: every <c> and <row> starts with its r="…", and none has a namespace prefix
            common = (
                common
                and piece.count(b"<c ") + piece.count(b"<c>") == piece.count(b'<c r="')
                and piece.count(b"<row ") + piece.count(b"<row>") == piece.count(b'<row r="')
                and b":c " not in piece
                and b":c>" not in piece
                and b":row" not in piece
            )
            columns.update(_FIRST_COLUMN.findall(piece))
            rows = _FIRST_ROW.findall(piece)
            if rows:
                scan.max_row = max(scan.max_row, max(map(int, rows)))
            scan.has_formulas = scan.has_formulas or bool(_FORMULA.search(piece)) or b't="e"' in piece
            if scan.bad_string is None and b"<v>-" in piece:
                bad = _NEGATIVE_STRING.search(piece)
                scan.bad_string = bad.group(1).decode() if bad else None
            if not chunk:
                break
    scan.max_col = max((column_number(c.decode()) for c in columns), default=0)
    return scan, bool(common)


def cells(
    open_part: Opener, part: str, full_calc: bool, percent_styles: frozenset[str], formulas: bool = False
) -> SheetScan:
    """Walk every cell with a streaming parser: exact positions, suspect cells, percent cells (and with
    ``formulas`` the text of each short formula).

    ``full_calc``: the file asks for a full recalculation on load, so no formula's saved value is trusted.
    """
    scan = SheetScan()
    row = 0
    with open_part(part) as f:
        # Each row whole, when it ends: its cells are looked at from there, one event a row instead of four a cell.
        for _, row_el in etree.iterparse(
            f, events=("end",), tag="{*}row", huge_tree=True, resolve_entities=False, no_network=True, load_dtd=False
        ):
            r = row_el.get("r") or ""
            row = int(r) if r.isdigit() else row + 1
            col = 0
            for el in row_el:
                if el.tag.rpartition("}")[2] != "c":
                    continue
                ref = _REF.match(el.get("r") or "")
                if ref:
                    col = column_number(ref.group(1))
                    row = int(ref.group(2))
                else:
                    col += 1
                _look_at_cell(scan, el, row, col, full_calc, percent_styles, formulas)
            row_el.clear()
            while row_el.getprevious() is not None:  # keep memory flat on a long sheet
                del row_el.getparent()[0]
    return scan


def _look_at_cell(
    scan: SheetScan, el, row: int, col: int, full_calc: bool, percent_styles: frozenset[str], formulas: bool
) -> None:
    children = {child.tag.rpartition("}")[2]: child for child in el if isinstance(child.tag, str)}
    value = children.get("v")
    has_value = (value is not None and (value.text or "") != "") or "is" in children
    if not (has_value or "f" in children or el.get("t") == "e"):
        return  # an empty, formatted cell: no parser allocates for it
    scan.max_col = max(scan.max_col, col)
    scan.max_row = max(scan.max_row, row)
    kind = el.get("t") or "n"  # an A1 ref is made only for a cell listed below: most cells are neither
    if kind == "e":
        scan.has_formulas = True
        scan.suspect[cell(row, col)] = value.text if value is not None and value.text else "#VALUE!"
    elif "f" in children:
        scan.has_formulas = True
        if full_calc or not has_value:
            scan.suspect[cell(row, col)] = ""
    if formulas and "f" in children and 0 < len(children["f"].text or "") <= _FORMULA_KEPT:
        scan.formulas[cell(row, col)] = children["f"].text
    if kind == "n" and has_value and el.get("s") in percent_styles:
        scan.percent.add(cell(row, col))
    elif kind == "s" and scan.bad_string is None and not (value is not None and (value.text or "").strip().isdigit()):
        scan.bad_string = cell(row, col)


_FORMULA_KEPT = 64  # longer formulas are real ones, never a value typed with "=" in front

_TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_REPEAT_KEEP = 1000  # a percent cell repeated more often than this is not listed cell by cell


def ods_tables(open_part: Opener, percent_table: Callable[[str], bool]) -> dict[str, SheetScan]:
    """The used range of every table of an .ods (repeated rows and cells counted, as a parser expands them:
    python-calamine expands all of them on opening) and, for each ``percent_table(name)``, its percentage cells."""
    scans: dict[str, SheetScan] = {}
    scan: SheetScan | None = None
    name = ""
    row = col = 0
    repeat_rows = 1
    with open_part("content.xml") as f:
        for event, el in etree.iterparse(
            f, events=("start", "end"), huge_tree=True, resolve_entities=False, no_network=True, load_dtd=False
        ):
            tag = etree.QName(el)
            if tag.namespace != _TABLE_NS:
                continue
            if event == "start":
                if tag.localname == "table":
                    name = el.get(f"{{{_TABLE_NS}}}name", "")
                    scan = scans.setdefault(name, SheetScan())
                    row = 0
                elif tag.localname == "table-row":
                    repeat_rows = _repeat(el, "number-rows-repeated")
                    col = 0
                continue
            if scan is None:
                continue
            if tag.localname in ("table-cell", "covered-table-cell"):
                repeat = _repeat(el, "number-columns-repeated")
                if el.get(f"{{{_OFFICE_NS}}}value-type") is not None or len(el):
                    scan.max_col = max(scan.max_col, col + repeat)
                    scan.max_row = max(scan.max_row, row + repeat_rows)
                    if (
                        el.get(f"{{{_OFFICE_NS}}}value-type") == "percentage"
                        and percent_table(name)
                        and repeat * repeat_rows <= _REPEAT_KEEP
                    ):
                        for r in range(row + 1, row + repeat_rows + 1):
                            scan.percent.update(f"{column_letters(c)}{r}" for c in range(col + 1, col + repeat + 1))
                col += repeat
                el.clear()
            elif tag.localname == "table-row":
                row += repeat_rows
                el.clear()
    return scans


def _repeat(el, attribute: str) -> int:
    value = el.get(f"{{{_TABLE_NS}}}{attribute}") or "1"
    return int(value) if value.isdigit() else 1
