"""The 评分结果 sheet: the one page a person reads first in a scored workbook.

Written with xlsxwriter into a scratch workbook; ``writeback`` grafts it into the unit's file.
Everything that came from the workbook is written with ``write_string``: a 摘要 reading
"=HYPERLINK(…)" stays text.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

from .model import SHEET_RESULT, Result
from .rules import Rules

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


def write_result_sheet(result: Result, rules: Rules, dest: Path) -> None:
    """Write a one-sheet workbook holding 评分结果 for ``result`` to ``dest``."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(dest), {"strings_to_formulas": False, "strings_to_urls": False})
    ws = wb.add_worksheet(SHEET_RESULT)
    f = _formats(wb, rules.rate_decimals)
    ws.set_column("A:A", 22)
    ws.set_column("B:C", 16)
    ws.set_column("D:D", 14)
    ws.set_column("E:E", 18)
    ws.set_column("F:F", 70)

    p = result.project
    unit = result.funds.unit if result.funds else "万元"
    ws.merge_range("A1:F1", "财政支出绩效自评评分结果", f["title"])
    info = [("评价年度", str(p.year) if p and p.year else ""), ("单位名称", p.unit if p else ""),
            ("项目名称", p.name if p else ""), ("评分规则", rules.name)]
    for i, (label, value) in enumerate(info, start=2):
        ws.write_string(i, 0, label, f["label"])
        ws.merge_range(i, 1, i, 3, "", f["text"])
        ws.write_string(i, 1, value or "", f["text"])

    ws.write_string(2, 4, "总分", f["label"])
    ws.write_string(4, 4, "等级", f["label"])
    if result.total is not None:
        ws.merge_range("F3:F4", result.total, f["total"])
        ws.write_string(4, 5, result.grade or "", f["grade"])
    else:
        ws.merge_range("F3:F4", "未评分", f["grade"])
        ws.write_string(4, 5, "请先修正下列错误", f["text"])

    row = 7
    ws.write_string(row, 0, f"预算执行（金额单位：{unit}）", f["section"])
    funds = result.funds
    figures = [
        ("全年预算数", funds.budget if funds else None, f["money"]),
        ("资金到位数", funds.received if funds else None, f["money"]),
        ("全年执行数", funds.executed if funds else None, f["money"]),
        ("支出明细合计", funds.ledger_total if funds else None, f["money"]),
        ("差额（执行数−明细合计）", funds.difference if funds else None, f["money"]),
        ("预算执行率", funds.execution_rate / 100 if funds and funds.execution_rate is not None else None, f["pct"]),
    ]
    for i, (label, value, fmt) in enumerate(figures, start=row + 1):
        ws.write_string(i, 0, label, f["label"])
        if value is None:
            ws.write_string(i, 1, "—", f["text"])
        else:
            ws.write_number(i, 1, value, fmt)

    row += len(figures) + 2
    ws.write_string(row, 0, "分项得分", f["section"])
    ws.write_row(row + 1, 0, ["一级指标", "分值", "得分", "得分率"], f["header"])
    levels = scores_by_level(result) if result.scored else []
    first = row + 2
    for i, (name, weight, score) in enumerate(levels, start=first):
        ws.write_string(i, 0, name, f["text"])
        ws.write_number(i, 1, weight, f["score"])
        ws.write_number(i, 2, score, f["score"])
        ws.write_number(i, 3, score / weight if weight else 0, f["pct"])
    if levels:
        last = first + len(levels) - 1
        chart = wb.add_chart({"type": "column"})
        for col, name, colour in ((1, "分值", "#BFBFBF"), (2, "得分", "#2F75B5")):
            chart.add_series({
                "name": name,
                "categories": [SHEET_RESULT, first, 0, last, 0],
                "values": [SHEET_RESULT, first, col, last, col],
                "fill": {"color": colour},
                "data_labels": {"value": True},
            })
        chart.set_title({"name": "各一级指标得分与分值"})
        chart.set_legend({"position": "bottom"})
        chart.set_size({"width": 520, "height": 300})
        ws.insert_chart(row, 5, chart, {"x_offset": 10})
        row = max(last, row + 15)
    else:
        row = first

    row += 2
    ws.write_string(row, 0, f"发现的问题（{len(result.findings)} 条）", f["section"])
    ws.write_row(row + 1, 0, ["严重程度", "工作表", "单元格", "代码", "说明"], f["header"])
    ws.merge_range(row + 1, 4, row + 1, 5, "说明", f["header"])
    if not result.findings:
        ws.write_string(row + 2, 0, "未发现问题", f["text"])
    for i, fd in enumerate(result.findings, start=row + 2):
        sev = fd.severity.value
        ws.write_string(i, 0, SEVERITY_LABELS[sev], f[sev])
        ws.write_string(i, 1, fd.sheet, f["text"])
        if fd.sheet and fd.cell and fd.code != "MISSING_SHEET":
            target = fd.sheet.replace("'", "''")
            ws.write_url(i, 2, f"internal:'{target}'!{fd.cell}", f["link"], string=fd.cell,
                         tip="转到该单元格")
        else:
            ws.write_string(i, 2, fd.cell, f["text"])
        ws.write_string(i, 3, fd.code, f["text"])
        ws.merge_range(i, 4, i, 5, "", f["wrap"])
        ws.write_string(i, 4, fd.message, f["wrap"])

    ws.activate()
    ws.set_first_sheet()
    wb.close()


def _formats(wb, rate_decimals: int) -> dict:
    border = {"border": 1, "border_color": "#BFBFBF", "valign": "vcenter"}
    return {
        "title": wb.add_format({"bold": True, "font_size": 18, "align": "center", "valign": "vcenter"}),
        "section": wb.add_format({"bold": True, "font_size": 12, "font_color": "#1F4E78"}),
        "label": wb.add_format({**border, "bold": True, "bg_color": "#F2F2F2"}),
        "header": wb.add_format({**border, "bold": True, "bg_color": "#D9E1F2", "align": "center"}),
        "text": wb.add_format(border),
        "wrap": wb.add_format({**border, "text_wrap": True}),
        "money": wb.add_format({**border, "num_format": "#,##0.00"}),
        "score": wb.add_format({**border, "num_format": "0.00"}),
        "pct": wb.add_format({**border, "num_format": f"{0:.{rate_decimals}f}%"}),
        "total": wb.add_format({**border, "bold": True, "font_size": 36, "align": "center",
                                "font_color": "#1F4E78"}),
        "grade": wb.add_format({**border, "bold": True, "font_size": 24, "align": "center",
                                "font_color": "#C00000"}),
        "link": wb.add_format({**border, "font_color": "#0563C1", "underline": 1}),
        **{sev: wb.add_format({**border, "bg_color": colour}) for sev, colour in SEVERITY_COLOURS.items()},
    }
