"""The 评分结果 sheet: the one page a person reads first in a scored workbook.

Laid out here as a ``FrontSheet``; ``writeback`` writes it into the unit's file. A FrontSheet holds
text only as text, so a 摘要 reading "=HYPERLINK(…)" stays text.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from dataclasses import replace

from ..findings import SEVERITY_COLOURS, SEVERITY_LABELS
from ..model import SHEET_RESULT, Result
from ..read.sniff import RESULT_CODE_NAME
from ..score.rules import Rules
from .writeback import CellFormat, ColumnChart, FrontSheet, Series


def scores_by_level(result: Result) -> list[tuple[str, float, float]]:
    """(一级指标, weight, score) rows: 预算执行率 first, then each 一级指标 in the workbook's order."""
    rows: OrderedDict[str, list[float]] = OrderedDict()
    rows["预算执行率"] = [result.execution_weight or 0.0, result.execution_score or 0.0]
    for s in result.indicators:
        if not s.applicable:
            continue
        acc = rows.setdefault(s.indicator.level1 or "（未填一级指标）", [0.0, 0.0])
        acc[0] += s.indicator.weight or 0.0
        acc[1] += s.score or 0.0
    return [(name, round(w, 6), round(sc, 6)) for name, (w, sc) in rows.items()]


def build_result_sheet(result: Result, rules: Rules, name: str = SHEET_RESULT) -> FrontSheet:
    """The 评分结果 sheet (named ``name``) for ``result``.

    Layout (one landscape A4 page wide): title; project, the rules' title (their file's digest in small print
    below), the total and grade in large type and, when there are errors, how many; the budget
    reconciliation (未核对 without a ledger to check against) beside the chart; score against weight per
    一级指标; the findings, each linked to its cell.
    """
    # the code name is how a later run tells this sheet from a unit's own 评分结果
    ws = FrontSheet(name, code_name=RESULT_CODE_NAME)
    f = _formats(rules.rate_decimals)
    for col, width in zip("ABCDEF", (24, 14, 14, 24, 18, 62)):
        ws.widen(col, width)
    ws.row_height(1, 32)
    ws.merge("A1:F1", "财政支出绩效自评 · 评分结果", f["title"])
    _project_block(ws, f, result, rules)
    _funds_block(ws, f, result)
    levels = scores_by_level(result) if result.scored else []
    end = _levels_block(ws, f, levels, header_row=17)
    if levels:
        ws.chart = _chart(first=18, last=18 + len(levels) - 1)
    _findings_block(ws, f, result, header_row=max(end, 25) + 2)  # below the chart too
    return ws


def _rules_print(rules: Rules) -> str:
    """The small print under the rules' title: which file they came from, by name and the start of its digest."""
    if not rules.digest:
        return f"规则 {rules.name}（内置默认）"
    return f"规则 {rules.name}，文件摘要 {rules.digest[:12]}"


def _project_block(ws: FrontSheet, f: dict[str, CellFormat], result: Result, rules: Rules) -> None:
    p = result.project
    info = [
        ("评价年度", str(p.year) if p and p.year else ""),
        ("单位名称", p.unit if p else ""),
        ("项目名称", p.name if p else ""),
        ("评分规则", rules.title),
    ]
    for row, (label, value) in enumerate(info, start=3):
        ws.write(f"A{row}", label, f["label"])
        ws.merge(f"B{row}:D{row}", value or "", f["text"])
        ws.row_height(row, 24)
    # the digest only in small print: the rules' title is what people read, the digest what traces the file
    ws.merge("B7:D7", _rules_print(rules), f["small"])
    ws.merge("E3:E4", "总分", f["label"])
    ws.merge("E5:E6", "等级", f["label"])
    if result.total is not None:
        ws.merge("F3:F4", result.total, f["total"])
        ws.merge("F5:F6", result.grade or "", f["grade"])
    else:
        ws.merge("F3:F4", "未评分", f["grade"])
        ws.merge("F5:F6", "请先修正下列错误", f["text"])
    errors = sum(fd.severity.value == "error" for fd in result.findings)
    if errors:  # right by the total, so that nobody quotes a score the findings put in doubt
        doubt = "得分可能不准确" if result.total is not None else "未能评分"
        ws.merge("E7:F7", f"有 {errors} 个错误，{doubt}", f["doubt"])
        ws.row_height(7, 20)


#: What stops the spending check: no 支出明细 sheet, or one with no payments in it.
_UNCHECKED = frozenset({"LEDGER_MISSING", "NO_LEDGER"})


def _funds_block(ws: FrontSheet, f: dict[str, CellFormat], result: Result) -> None:
    funds = result.funds
    unit = funds.unit if funds else "万元"
    ws.write("A8", f"预算执行（金额单位：{unit}）", f["section"])
    rate = funds.execution_rate / 100 if funds and funds.execution_rate is not None else None
    figures = [
        ("全年预算数", funds.budget if funds else None, f["money"]),
        ("资金到位数", funds.received if funds else None, f["money"]),
        ("全年执行数", funds.executed if funds else None, f["money"]),
        ("支出明细合计", funds.ledger_total if funds else None, f["money"]),
        ("差额（执行数−明细合计）", funds.difference if funds else None, f["money"]),
        ("预算执行率", rate, f["pct"]),
    ]
    unchecked = any(fd.code in _UNCHECKED for fd in result.findings)
    for row, (label, value, fmt) in enumerate(figures, start=9):
        ws.write(f"A{row}", label, f["label"])
        if unchecked and label in ("支出明细合计", "差额（执行数−明细合计）"):
            ws.write(f"B{row}", "未核对", f["unchecked"])
        elif value is None:
            ws.write(f"B{row}", "—", f["text"])
        else:
            ws.write(f"B{row}", value, fmt)


def _levels_block(
    ws: FrontSheet, f: dict[str, CellFormat], levels: list[tuple[str, float, float]], header_row: int
) -> int:
    """Score against weight per 一级指标; returns the last row used."""
    ws.write(f"A{header_row - 1}", "分项得分", f["section"])
    for col, label in zip("ABCD", ["一级指标", "分值", "得分", "得分率"]):
        ws.write(f"{col}{header_row}", label, f["header"])
    row = header_row
    for row, (name, weight, score) in enumerate(levels, start=header_row + 1):
        ws.write(f"A{row}", name, f["text"])
        ws.write(f"B{row}", weight, f["score"])
        ws.write(f"C{row}", score, f["score"])
        ws.write(f"D{row}", score / weight if weight else 0, f["share"])
    return row


def _chart(first: int, last: int) -> ColumnChart:
    return ColumnChart(
        title="各一级指标得分与分值",
        categories=f"A{first}:A{last}",
        series=(Series("分值", f"B{first}:B{last}", "BFBFBF"), Series("得分", f"C{first}:C{last}", "2F75B5")),
        anchor="E8",
        offset=(8, 4),
        size=(600, 330),
        title_size=12,
        gap=80,
    )


def _findings_block(ws: FrontSheet, f: dict[str, CellFormat], result: Result, header_row: int) -> None:
    ws.write(f"A{header_row - 1}", f"发现的问题（{len(result.findings)} 条）", f["section"])
    for col, label in zip("ABCD", ["严重程度", "工作表", "单元格", "代码"]):
        ws.write(f"{col}{header_row}", label, f["header"])
    ws.merge(f"E{header_row}:F{header_row}", "说明（点击单元格可跳转）", f["header"])
    if not result.findings:
        ws.merge(f"A{header_row + 1}:F{header_row + 1}", "未发现问题", f["text"])
    for row, fd in enumerate(result.findings, start=header_row + 1):
        sev = fd.severity.value
        ws.write(f"A{row}", SEVERITY_LABELS[sev], f[sev])
        ws.write(f"B{row}", fd.sheet, f["text"])
        if fd.sheet and fd.cell:
            target = fd.sheet.replace("'", "''")
            ws.link(f"C{row}", fd.cell, f"'{target}'!{fd.cell}", f["link"], tip="转到该单元格")
        else:
            ws.write(f"C{row}", fd.cell, f["text"])
        ws.write(f"D{row}", fd.code, f["text"])
        ws.merge(f"E{row}:F{row}", fd.message, f["wrap"])
        # merged cells do not grow to fit: about 38 CJK characters fit on a line of E:F (at most 409 points)
        ws.row_height(row, 16 * max(1, -(-len(fd.message) // 38)))


@functools.cache  # the same few formats for every sheet (never changed: CellFormat is frozen)
def _formats(rate_decimals: int) -> dict[str, CellFormat]:
    border = CellFormat(border="BFBFBF", vertical="center")
    return {
        "title": CellFormat(bold=True, size=18, horizontal="center", vertical="center"),
        "section": CellFormat(bold=True, size=12, colour="1F4E78"),
        "label": replace(border, bold=True, fill="F2F2F2", horizontal="left"),
        "header": replace(border, bold=True, fill="D9E1F2", horizontal="center"),
        "text": border,
        "wrap": replace(border, wrap=True, vertical="top"),
        "money": replace(border, number_format="#,##0.00"),
        "score": replace(border, number_format="0.00"),
        "pct": replace(border, number_format=f"{0:.{rate_decimals}f}%"),
        "share": replace(border, number_format="0%"),
        "total": replace(border, bold=True, size=28, horizontal="center", colour="1F4E78"),
        "grade": replace(border, bold=True, size=20, horizontal="center", colour="C00000"),
        "link": replace(border, colour="0563C1", underline=True),
        "small": CellFormat(size=9, colour="7F7F7F", vertical="top"),
        "doubt": replace(border, bold=True, colour="C00000", fill=SEVERITY_COLOURS["error"], horizontal="center"),
        "unchecked": replace(border, colour="9C5700", fill=SEVERITY_COLOURS["warning"], horizontal="right"),
        **{sev: replace(border, fill=colour) for sev, colour in SEVERITY_COLOURS.items()},
    }
