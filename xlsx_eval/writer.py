"""The scored workbook: the unit's own file, with 自评得分 filled, findings marked, and 评分结果 in front."""

from __future__ import annotations

import io
import re
from collections import defaultdict
from pathlib import Path

from . import a1
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
    """Every sheet of an .xls or .ods, values only, as an .xlsx: text stays text, dates, times and durations
    stay what they were. Sheet names an .xlsx cannot hold (over 31 characters, or with []:*?/\\) are shortened
    or mended; only the unit's own sheets can have such names, so no finding points at them."""
    import datetime as dt

    import python_calamine
    import xlsxwriter

    book = xlsxwriter.Workbook(dest if isinstance(dest, io.BytesIO) else str(dest),
                               {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
                                "in_memory": True})
    book.set_properties({"created": dt.datetime(1980, 1, 1)})  # not now: the same input gives the same bytes
    formats = {dt.datetime: book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
               dt.date: book.add_format({"num_format": "yyyy-mm-dd"}),
               dt.time: book.add_format({"num_format": "hh:mm:ss"}),
               dt.timedelta: book.add_format({"num_format": "[h]:mm:ss"})}
    with path.open("rb") as f:  # by content: an .xls may arrive named .xlsx
        source = python_calamine.CalamineWorkbook.from_filelike(f)
    used: set[str] = set()
    for name in source.sheet_names:
        ws = book.add_worksheet(_xlsx_sheet_name(name, used))
        for r, row in enumerate(source.get_sheet_by_name(name).to_python(skip_empty_area=False)):
            for c, value in enumerate(row):
                if value == "" or value is None:
                    continue
                if isinstance(value, str):
                    ws.write_string(r, c, value)
                elif isinstance(value, bool):
                    ws.write_boolean(r, c, value)
                elif isinstance(value, (int, float)):
                    ws.write_number(r, c, value)
                elif isinstance(value, dt.timedelta):
                    ws.write_number(r, c, value.total_seconds() / 86400, formats[dt.timedelta])
                else:  # date, datetime, time
                    ws.write_datetime(r, c, value, formats[type(value)])
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

