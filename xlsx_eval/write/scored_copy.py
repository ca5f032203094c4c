"""The scored workbook: the unit's own file, with 自评得分 filled, findings marked, and 评分结果 in front."""

from __future__ import annotations

import io
from collections import defaultdict
from pathlib import Path

from .. import a1
from ..findings import SEVERITY_COLOURS, SEVERITY_RANK, Finding
from ..model import SHEET_RESULT, Form, Result
from ..score.rules import Rules
from .result_sheet import build_result_sheet
from .values_copy import values_copy
from .writeback import CellEdit, write_scored

SCORE_HEADER = "自评得分"


def write_result(wb: Form, result: Result, dest: Path, rules: Rules) -> None:
    """Write the scored copy of ``wb`` to ``dest`` (atomically; the input is never touched)."""
    edits = score_edits(wb, result) + finding_edits(result.findings)
    front = build_result_sheet(result, rules, result_sheet_name(wb))
    src: Path | io.BytesIO = wb.path
    if wb.kind in ("xls", "ods"):  # read, not written back: the scored copy is an .xlsx of their values
        src = io.BytesIO()
        values_copy(wb.path, src)
    write_scored(src, dest, edits, front)


def result_sheet_name(wb: Form) -> str:
    """评分结果, unless the unit has a sheet of its own by that name: then 评分结果 (2), (3) …
    A 评分结果 written by an earlier run is ours to replace."""
    taken = set(wb.all_sheets) - {wb.scored_sheet}
    name, n = SHEET_RESULT, 2
    while name in taken:
        name, n = f"{SHEET_RESULT} ({n})", n + 1
    return name


def score_edits(wb: Form, result: Result) -> list[CellEdit]:
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
