"""The scored workbook: the unit's own file, with 自评得分 filled, findings marked, and 评分结果 in front."""

from __future__ import annotations

import io
from collections import defaultdict
from pathlib import Path

from .. import a1
from ..findings import SEVERITY_COLOURS, SEVERITY_RANK, Finding
from ..model import SHEET_RESULT, Form, Result
from ..score.rules import Rules
from ..values import plain, to_decimal
from .result_sheet import build_result_sheet
from .values_copy import values_copy
from .writeback import CellEdit, write_scored

SCORE_HEADER = "自评得分"


def write_result(forms: list[tuple[Form, Result]], dest: Path, rules: Rules) -> None:
    """Write the scored copy of a workbook's forms to ``dest`` (atomically; the input is never touched): one
    评分结果 sheet per form, first, in the forms' order."""
    wb = forms[0][0]
    edits = [e for form, result in forms for e in score_edits(form, result) + finding_edits(result.findings)]
    names = result_sheet_names([form for form, _ in forms])
    fronts = [build_result_sheet(result, rules, name) for (_, result), name in zip(forms, names, strict=True)]
    src: Path | io.BytesIO = wb.path
    if wb.kind in ("xls", "ods", "xml"):  # read, not written back: the scored copy is an .xlsx of their values
        src = io.BytesIO()
        values_copy(wb.path, src, wb.kind)
    write_scored(src, dest, edits, *fronts)


def result_sheet_names(forms: list[Form]) -> list[str]:
    """评分结果, or for a workbook of several forms 评分结果-<its sheet>, unless the unit has a sheet of its own by
    that name: then with (2), (3) … A 评分结果 written by an earlier run is ours to replace."""
    wb = forms[0]  # the forms of one workbook share its sheets
    taken = {name.casefold() for name in wb.all_sheets if name != wb.scored_sheet}
    names = []
    for form in forms:
        wanted = SHEET_RESULT if len(forms) == 1 else f"{SHEET_RESULT}-{form.form_sheet}"[:31]
        name, n = wanted, 2
        while name.casefold() in taken:
            suffix = f" ({n})"
            name, n = wanted[: 31 - len(suffix)] + suffix, n + 1
        taken.add(name.casefold())
        names.append(name)
    return names


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
    return edits + claim_edits(wb, result)


def claim_edits(wb: Form, result: Result) -> list[CellEdit]:
    """A national form's own figures replaced by ours: 执行率 (as the cell shows it: a fraction in a cell
    formatted as a percentage, else "94%"), the execution 得分 and the 总分."""
    assert result.funds is not None  # a scored result has its funds
    ours: dict[str, float | str | None] = {"execution_score": result.execution_score, "total": result.total}
    edits = []
    for claim in wb.claims:
        rate = result.funds.execution_rate
        if claim.what == "execution_rate" and rate is not None:
            value: float | str | None = rate / 100 if claim.percent else f"{plain(to_decimal(rate))}%"
        else:
            value = ours.get(claim.what)
        if value is not None:
            edits.append(CellEdit(wb.form_sheet or "", claim.cell, value=value))
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
