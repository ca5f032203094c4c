"""The scored workbook: the unit's own file, with 自评得分 filled, findings marked, and 评分结果 in front."""

from __future__ import annotations

import io
import re
from collections import defaultdict
from pathlib import Path

from . import a1, copy_formats
from .findings import SEVERITY_COLOURS, SEVERITY_RANK, Finding
from .model import SHEET_RESULT, Result, Workbook
from .result_sheet import build_result_sheet
from .rules import Rules
from .writeback import CellEdit, write_scored

SCORE_HEADER = "自评得分"


def write_result(wb: Workbook, result: Result, dest: Path, rules: Rules) -> None:
    """Write the scored copy of ``wb`` to ``dest`` (atomically; the input is never touched)."""
    edits = score_edits(wb, result) + finding_edits(result.findings)
    front = build_result_sheet(result, rules, result_sheet_name(wb))
    src: Path | io.BytesIO = wb.path
    if wb.kind in ("xls", "ods"):  # read, not written back: the scored copy is an .xlsx of their values
        src = io.BytesIO()
        values_copy(wb.path, src)
    write_scored(src, dest, edits, front)


def result_sheet_name(wb: Workbook) -> str:
    """评分结果, unless the unit has a sheet of its own by that name: then 评分结果 (2), (3) …
    A 评分结果 written by an earlier run is ours to replace."""
    taken = set(wb.all_sheets) - {wb.scored_sheet}
    name, n = SHEET_RESULT, 2
    while name in taken:
        name, n = f"{SHEET_RESULT} ({n})", n + 1
    return name


def values_copy(path: Path, dest: Path | io.BytesIO) -> None:
    """Every sheet of an .xls or .ods as an .xlsx: its values (text stays text, dates, times and durations stay
    what they were) and its looks (copy_formats: number formats, fonts, fills, borders, alignment, column widths,
    row heights, merges). Sheet names an .xlsx cannot hold (over 31 characters, or with []:*?/\\) are shortened
    or mended; only the unit's own sheets can have such names, so no finding points at them."""
    looks = copy_formats.read_looks(path)
    try:
        _copy(path, dest, looks)
    except Exception:
        if looks is None:
            raise
        if isinstance(dest, io.BytesIO):  # looks xlsxwriter would not write: the values alone, as before looks
            dest.seek(0)
            dest.truncate()
        _copy(path, dest, None)


def _copy(path: Path, dest: Path | io.BytesIO, looks: copy_formats.BookLooks | None) -> None:
    import datetime as dt

    import python_calamine
    import xlsxwriter

    options: dict[str, object] = {
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "strings_to_numbers": False,
        "in_memory": True,
    }
    if looks and looks.default:
        options["default_format_properties"] = looks.default  # the unit's default font, as its widths assume
    book = xlsxwriter.Workbook(dest if isinstance(dest, io.BytesIO) else str(dest), options)
    book.set_properties({"created": dt.datetime(1980, 1, 1)})  # not now: the same input gives the same bytes
    formats = copy_formats.CellFormats(book, looks)
    with path.open("rb") as f:  # by content: an .xls may arrive named .xlsx
        source = python_calamine.CalamineWorkbook.from_filelike(f)
    used: set[str] = set()
    for name in source.sheet_names:
        ws = book.add_worksheet(_xlsx_sheet_name(name, used))
        sheet = looks.sheets.get(name) if looks else None
        rows = source.get_sheet_by_name(name).to_python(skip_empty_area=False)
        if sheet:
            copy_formats.apply_sheet(ws, sheet, formats, len(rows))
        style = sheet.style if sheet else lambda r, c: None
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value == "" or value is None:
                    continue
                fmt = formats.get(style(r, c), value)
                if sheet:
                    sheet.blanks.discard((r, c))
                if isinstance(value, str):
                    ws.write_string(r, c, value, fmt)
                elif isinstance(value, bool):
                    ws.write_boolean(r, c, value, fmt)
                elif isinstance(value, (int, float)):
                    ws.write_number(r, c, value, fmt)
                elif isinstance(value, dt.timedelta):
                    ws.write_number(r, c, value.total_seconds() / 86400, fmt)
                else:  # date, datetime, time
                    ws.write_datetime(r, c, value, fmt)
        for r, c in sorted(sheet.blanks) if sheet else ():  # empty cells kept for their borders and fills
            ws.write_blank(r, c, None, formats.get(style(r, c)))
    book.close()


def _xlsx_sheet_name(name: str, used: set[str]) -> str:
    mended = re.sub(r"[\[\]:*?/\\]", "_", name)[:31] or "Sheet"
    candidate, n = mended, 2
    while candidate.casefold() in used:
        suffix = f" ({n})"
        candidate, n = mended[: 31 - len(suffix)] + suffix, n + 1
    used.add(candidate.casefold())
    return candidate


def score_edits(wb: Workbook, result: Result) -> list[CellEdit]:
    """Each computed score into 自评得分 (a new column after the table when the sheet has none)."""
    if not result.scored or not wb.indicators:
        return []
    sheet = result.indicator_sheet
    edits = []
    header = wb.indicator_header
    if "claimed" in header:
        column = a1.column_letters(a1.parse(header["claimed"])[1])
    else:
        cells = [a1.parse(cell) for cell in header.values()]
        column = a1.column_letters(max(col for _, col in cells) + 1)
        edits.append(CellEdit(sheet, f"{column}{cells[0][0]}", value=SCORE_HEADER))
    for s in result.indicators:
        value = s.score if s.applicable else "不适用"
        edits.append(CellEdit(sheet, f"{column}{s.indicator.row}", value=value))
    return edits


def finding_edits(findings: list[Finding]) -> list[CellEdit]:
    """One fill (the worst severity's colour) and one note per cell that has findings."""
    by_cell: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in findings:
        if f.sheet and f.cell:
            by_cell[(f.sheet, f.cell)].append(f)
    edits = []
    for (sheet, cell), group in by_cell.items():
        worst = min(group, key=lambda f: SEVERITY_RANK[f.severity.value]).severity
        note = "\n".join(f"[{f.code}] {f.message}" for f in group)
        edits.append(CellEdit(sheet, cell, fill=SEVERITY_COLOURS[worst.value], note=note))
    return edits
