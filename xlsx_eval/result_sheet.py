"""The 评分结果 sheet: the one page a person reads first in a scored workbook.

Written with xlsxwriter into a scratch workbook; ``writeback`` grafts it into the unit's file.
Everything that came from the workbook is written with ``write_string``: a 摘要 reading
"=HYPERLINK(…)" stays text.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import BinaryIO

from .model import SHEET_RESULT, Result
from .rules import Rules
from .sniff import RESULT_CODE_NAME

SEVERITY_LABELS = {"error": "错误", "warning": "警告", "info": "提示"}
SEVERITY_COLOURS = {"error": "#FFC7CE", "warning": "#FFEB9C", "info": "#DDEBF7"}


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


def write_result_sheet(result: Result, rules: Rules, dest: Path | BinaryIO, name: str = SHEET_RESULT) -> None:
    """Write a one-sheet workbook holding 评分结果 (as sheet ``name``) for ``result`` to ``dest``.

    Layout (one landscape page wide): title; project and the total and grade in large type;
    the budget reconciliation beside the chart; score against weight per 一级指标; the findings,
    each linked to its cell.
    """
    import xlsxwriter

    wb = xlsxwriter.Workbook(dest if not isinstance(dest, Path) else str(dest),
                             {"strings_to_formulas": False, "strings_to_urls": False, "in_memory": True})
    ws = wb.add_worksheet(name)
    ws.set_vba_name(RESULT_CODE_NAME)  # how a later run tells this sheet from a unit's own 评分结果
    f = _formats(wb, rules.rate_decimals)
    for col, width in zip("ABCDEF", (24, 14, 14, 24, 18, 62)):
        ws.set_column(f"{col}:{col}", width)
    ws.hide_gridlines(2)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)

    ws.set_row(0, 32)
    ws.merge_range("A1:F1", "财政支出绩效自评 · 评分结果", f["title"])
    _project_block(ws, f, result, rules)
    _funds_block(ws, f, result)
    levels = scores_by_level(result) if result.scored else []
    end = _levels_block(ws, f, levels, first_row=16)
    if levels:
        _chart(wb, ws, name, first=17, last=17 + len(levels) - 1)
    _findings_block(ws, f, result, first_row=max(end, 24) + 2)
    ws.activate()
    wb.close()


def _project_block(ws, f, result: Result, rules: Rules) -> None:
    p = result.project
    info = [("评价年度", str(p.year) if p and p.year else ""), ("单位名称", p.unit if p else ""),
            ("项目名称", p.name if p else ""), ("评分规则", f"{rules.title}（{rules.name}）")]
    for row, (label, value) in enumerate(info, start=2):
        ws.write_string(row, 0, label, f["label"])
        ws.merge_range(row, 1, row, 3, "", f["text"])
        ws.write_string(row, 1, value or "", f["text"])
    for row in range(2, 6):
        ws.set_row(row, 24)
    ws.merge_range("E3:E4", "总分", f["label"])
    ws.merge_range("E5:E6", "等级", f["label"])
    if result.total is not None:
        ws.merge_range("F3:F4", result.total, f["total"])
        ws.merge_range("F5:F6", result.grade or "", f["grade"])
    else:
        ws.merge_range("F3:F4", "未评分", f["grade"])
        ws.merge_range("F5:F6", "请先修正下列错误", f["text"])


def _funds_block(ws, f, result: Result) -> None:
    funds = result.funds
    unit = funds.unit if funds else "万元"
    ws.write_string(7, 0, f"预算执行（金额单位：{unit}）", f["section"])
    rate = funds.execution_rate / 100 if funds and funds.execution_rate is not None else None
    figures = [
        ("全年预算数", funds.budget if funds else None, f["money"]),
        ("资金到位数", funds.received if funds else None, f["money"]),
        ("全年执行数", funds.executed if funds else None, f["money"]),
        ("支出明细合计", funds.ledger_total if funds else None, f["money"]),
        ("差额（执行数−明细合计）", funds.difference if funds else None, f["money"]),
        ("预算执行率", rate, f["pct"]),
    ]
    for row, (label, value, fmt) in enumerate(figures, start=8):
        ws.write_string(row, 0, label, f["label"])
        if value is None:
            ws.write_string(row, 1, "—", f["text"])
        else:
            ws.write_number(row, 1, value, fmt)


def _levels_block(ws, f, levels: list[tuple[str, float, float]], first_row: int) -> int:
    """Score against weight per 一级指标; returns the last row used."""
    ws.write_string(first_row - 1, 0, "分项得分", f["section"])
    ws.write_row(first_row, 0, ["一级指标", "分值", "得分", "得分率"], f["header"])
    row = first_row
    for row, (name, weight, score) in enumerate(levels, start=first_row + 1):
        ws.write_string(row, 0, name, f["text"])
        ws.write_number(row, 1, weight, f["score"])
        ws.write_number(row, 2, score, f["score"])
        ws.write_number(row, 3, score / weight if weight else 0, f["share"])
    return row


def _chart(wb, ws, sheet: str, first: int, last: int) -> None:
    chart = wb.add_chart({"type": "column"})
    for col, name, colour in ((1, "分值", "#BFBFBF"), (2, "得分", "#2F75B5")):
        chart.add_series({
            "name": name,
            "categories": [sheet, first, 0, last, 0],
            "values": [sheet, first, col, last, col],
            "fill": {"color": colour},
            "gap": 80,
        })
    chart.set_title({"name": "各一级指标得分与分值", "name_font": {"size": 12}})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 600, "height": 330})
    ws.insert_chart(7, 4, chart, {"x_offset": 8, "y_offset": 4})


def _findings_block(ws, f, result: Result, first_row: int) -> None:
    ws.write_string(first_row - 1, 0, f"发现的问题（{len(result.findings)} 条）", f["section"])
    ws.write_row(first_row, 0, ["严重程度", "工作表", "单元格", "代码"], f["header"])
    ws.merge_range(first_row, 4, first_row, 5, "说明（点击单元格可跳转）", f["header"])
    if not result.findings:
        ws.merge_range(first_row + 1, 0, first_row + 1, 5, "未发现问题", f["text"])
    for row, fd in enumerate(result.findings, start=first_row + 1):
        sev = fd.severity.value
        ws.write_string(row, 0, SEVERITY_LABELS[sev], f[sev])
        ws.write_string(row, 1, fd.sheet, f["text"])
        if fd.sheet and fd.cell:
            target = fd.sheet.replace("'", "''")
            ws.write_url(row, 2, f"internal:'{target}'!{fd.cell}", f["link"], string=fd.cell, tip="转到该单元格")
        else:
            ws.write_string(row, 2, fd.cell, f["text"])
        ws.write_string(row, 3, fd.code, f["text"])
        ws.merge_range(row, 4, row, 5, "", f["wrap"])
        ws.write_string(row, 4, fd.message, f["wrap"])
        # merged cells do not grow to fit: about 38 CJK characters fit on a line of E:F
        ws.set_row(row, 16 * max(1, -(-len(fd.message) // 38)))


def _formats(wb, rate_decimals: int) -> dict:
    border = {"border": 1, "border_color": "#BFBFBF", "valign": "vcenter"}
    return {
        "title": wb.add_format({"bold": True, "font_size": 18, "align": "center", "valign": "vcenter"}),
        "section": wb.add_format({"bold": True, "font_size": 12, "font_color": "#1F4E78"}),
        "label": wb.add_format({**border, "bold": True, "bg_color": "#F2F2F2", "align": "left"}),
        "header": wb.add_format({**border, "bold": True, "bg_color": "#D9E1F2", "align": "center"}),
        "text": wb.add_format(border),
        "wrap": wb.add_format({**border, "text_wrap": True, "valign": "top"}),
        "money": wb.add_format({**border, "num_format": "#,##0.00"}),
        "score": wb.add_format({**border, "num_format": "0.00"}),
        "pct": wb.add_format({**border, "num_format": f"{0:.{rate_decimals}f}%"}),
        "share": wb.add_format({**border, "num_format": "0%"}),
        "total": wb.add_format({**border, "bold": True, "font_size": 28, "align": "center",
                                "font_color": "#1F4E78"}),
        "grade": wb.add_format({**border, "bold": True, "font_size": 20, "align": "center",
                                "font_color": "#C00000"}),
        "link": wb.add_format({**border, "font_color": "#0563C1", "underline": 1}),
        **{sev: wb.add_format({**border, "bg_color": colour}) for sev, colour in SEVERITY_COLOURS.items()},
    }
