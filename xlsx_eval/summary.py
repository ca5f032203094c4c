"""The batch summary a finance bureau sorts, filters and sends upward: OUTDIR/summary.xlsx.

Built from the JSON results (output.md), so that a rerun with --changed-only can rebuild it from results
kept in the manifest. Amounts are shown in 万元 whatever each workbook's 金额单位, so that they sort and
add up. Everything that came from a workbook is written with write_string: never a formula, never a link.
"""

from __future__ import annotations

import statistics
from collections import Counter
from pathlib import Path
from typing import Any

from .files import atomic_path
from .findings import SEVERITY_LABELS

GRADE_COLOURS = {"优秀": "#C6EFCE", "良好": "#DDEBF7", "中": "#FFEB9C", "差": "#FFC7CE"}
TO_WAN = {"万元": 1.0, "元": 1 / 10000}
HISTOGRAM_BINS = [(0, 60, "60分以下"), (60, 70, "60–70分"), (70, 80, "70–80分"), (80, 90, "80–90分"),
                  (90, 100.0001, "90分及以上")]


def write_summary(results: list[dict[str, Any]], dest: Path) -> None:
    """Write summary.xlsx for these results (one JSON result per input) to ``dest``, atomically."""
    import xlsxwriter

    def order(r: dict) -> tuple:
        project = r["project"] or {}
        return (not project.get("unit"), project.get("unit") or "", project.get("name") or "", r["file"])

    rows = sorted(results, key=order)  # by unit, then project; files that could not be read last
    with atomic_path(dest) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False,
                                            "strings_to_numbers": False})
        f = {
            "money": wb.add_format({"num_format": "#,##0.00"}),
            "pct": wb.add_format({"num_format": "0%"}),
            "score": wb.add_format({"num_format": "0.00"}),
            "link": wb.add_format({"font_color": "#0563C1", "underline": 1}),
            "bold": wb.add_format({"bold": True}),
            "title": wb.add_format({"bold": True, "font_size": 14}),
            "header": wb.add_format({"bold": True, "text_wrap": True, "valign": "vcenter"}),
        }
        _projects(wb, f, rows, dest.parent)
        _findings(wb, rows)
        _statistics(wb, f, rows)
        wb.close()


def _projects(wb, f, rows: list[dict], outdir: Path) -> None:
    ws = wb.add_worksheet("项目汇总")
    headers = ["单位名称", "项目名称", "全年预算数（万元）", "全年执行数（万元）", "支出明细合计（万元）", "差额（万元）",
               "预算执行率", "总分", "等级", "错误数", "警告数", "文件", "所在文件夹", "评分规则"]
    widths = [24, 30, 14, 14, 16, 12, 11, 9, 7, 8, 8, 36, 30, 16]
    last = max(len(rows), 1)
    ws.add_table(0, 0, last, len(headers) - 1, {
        "name": "项目汇总表", "style": "Table Style Medium 2",
        "columns": [{"header": h, "header_format": f["header"]} for h in headers],
    })
    ws.set_row(0, 32)
    _landscape(ws)
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    ws.freeze_panes(1, 0)
    for i, r in enumerate(rows, start=1):
        project, funds = r["project"] or {}, r["funds"] or {}
        scale = TO_WAN.get(funds.get("unit"), 1.0)
        for col, value in ((0, project.get("unit")), (1, project.get("name"))):
            if value:
                ws.write_string(i, col, value)
        executed, ledger = funds.get("executed"), funds.get("ledger_total")
        difference = executed - ledger if executed is not None and ledger is not None else None
        for col, value in ((2, funds.get("budget")), (3, executed), (4, ledger), (5, difference)):
            if value is not None:
                ws.write_number(i, col, round(value * scale, 6), f["money"])
        if funds.get("execution_rate") is not None:
            ws.write_number(i, 6, funds["execution_rate"] / 100, f["pct"])
        if r["total"] is not None:
            ws.write_number(i, 7, r["total"], f["score"])
        ws.write_string(i, 8, r["grade"] or "未评分")
        ws.write_number(i, 9, sum(x["severity"] == "error" for x in r["findings"]))
        ws.write_number(i, 10, sum(x["severity"] == "warning" for x in r["findings"]))
        if r["output"]:
            target = Path(r["output"])
            link = target.name if target.parent.resolve() == outdir.resolve() else target.resolve().as_posix()
            ws.write_url(i, 11, f"external:{_escaped(link)}", f["link"], string=Path(r["file"]).name,
                         tip="打开评分后的工作簿")
        else:
            ws.write_string(i, 11, Path(r["file"]).name)
        ws.write_string(i, 12, str(Path(r["file"]).parent))  # two inputs of one name are told apart by it
        rules = r.get("rules") or {}
        if rules.get("name"):
            ws.write_string(i, 13, f"{rules['name']}（{rules.get('digest', '')[:12]}）" if rules.get("digest")
                            else rules["name"])
    for grade, colour in GRADE_COLOURS.items():
        ws.conditional_format(1, 8, last, 8, {"type": "cell", "criteria": "==", "value": f'"{grade}"',
                                              "format": wb.add_format({"bg_color": colour})})
    ws.conditional_format(1, 9, last, 9, {"type": "cell", "criteria": ">", "value": 0,
                                          "format": wb.add_format({"bg_color": "#FFC7CE", "bold": True})})
    ws.activate()


def _findings(wb, rows: list[dict]) -> None:
    ws = wb.add_worksheet("问题清单")
    headers = ["文件", "单位名称", "工作表", "单元格", "严重程度", "代码", "说明"]
    findings = [(r, x) for r in rows for x in r["findings"]]
    ws.add_table(0, 0, max(len(findings), 1), len(headers) - 1, {
        "name": "问题清单表", "style": "Table Style Light 9", "columns": [{"header": h} for h in headers]})
    _landscape(ws)
    for col, width in enumerate([28, 24, 10, 8, 9, 26, 90]):
        ws.set_column(col, col, width)
    ws.freeze_panes(1, 0)
    for i, (r, x) in enumerate(findings, start=1):
        values = [Path(r["file"]).name, (r["project"] or {}).get("unit") or "", x["sheet"], x["cell"],
                  SEVERITY_LABELS[x["severity"]], x["code"], x["message"]]
        for col, value in enumerate(values):
            if value:
                ws.write_string(i, col, value)


def _statistics(wb, f, rows: list[dict]) -> None:
    ws = wb.add_worksheet("统计")
    ws.set_column(0, 0, 26)
    ws.set_column(1, 3, 12)
    ws.write_string(0, 0, "绩效自评汇总统计", f["title"])
    _landscape(ws)
    ws.write_row(2, 0, ["等级", "个数"], f["bold"])
    grades = Counter(r["grade"] or "未评分" for r in rows)
    grade_rows = [(g, grades.get(g, 0)) for g in [*GRADE_COLOURS, "未评分"]]
    for i, (grade, count) in enumerate(grade_rows, start=3):
        ws.write_string(i, 0, grade)
        ws.write_number(i, 1, count)
    _column_chart(wb, ws, "等级分布", 3, 3 + len(grade_rows) - 1, "D3")

    totals = [r["total"] for r in rows if r["total"] is not None]
    row = 3 + len(grade_rows) + 1
    ws.write_row(row, 0, ["总分分布", "个数"], f["bold"])
    for i, (low, high, label) in enumerate(HISTOGRAM_BINS, start=row + 1):
        ws.write_string(i, 0, label)
        ws.write_number(i, 1, sum(low <= t < high for t in totals))
    _column_chart(wb, ws, "总分分布", row + 1, row + len(HISTOGRAM_BINS), "K3")

    row += len(HISTOGRAM_BINS) + 2
    rates = [r["funds"]["execution_rate"] for r in rows if r["funds"] and r["funds"]["execution_rate"] is not None]
    ws.write_row(row, 0, ["", "总分", "预算执行率（%）"], f["bold"])
    for i, (label, fn) in enumerate([("平均", statistics.fmean), ("标准差", _spread), ("最低", min), ("最高", max)],
                                    start=row + 1):
        ws.write_string(i, 0, label)
        for col, values in ((1, totals), (2, rates)):
            if values:
                ws.write_number(i, col, round(fn(values), 2), f["score"])

    row += 6
    ws.write_row(row, 0, ["严重程度", "条数"], f["bold"])
    severities = Counter(x["severity"] for r in rows for x in r["findings"])
    for i, severity in enumerate(("error", "warning", "info"), start=row + 1):
        ws.write_string(i, 0, SEVERITY_LABELS[severity])
        ws.write_number(i, 1, severities.get(severity, 0))

    row += 5
    used = sorted({(r["rules"]["name"], r["rules"]["digest"]) for r in rows if r.get("rules")})
    ws.write_string(row, 0, "评分规则", f["bold"])
    for i, (name, digest) in enumerate(used, start=row + 1):
        ws.write_string(i, 0, name)
        ws.write_string(i, 1, digest or "（内置默认）")
    row += len(used) + 2
    ws.write_row(row, 0, ["问题代码", "条数"], f["bold"])
    codes = Counter(x["code"] for r in rows for x in r["findings"])
    for i, (code, count) in enumerate(sorted(codes.items(), key=lambda kv: (-kv[1], kv[0])), start=row + 1):
        ws.write_string(i, 0, code)
        ws.write_number(i, 1, count)


def _escaped(link: str) -> str:
    """A file link escaped as Excel writes it, ``#`` included (xlsxwriter would take what follows a ``#`` for a
    place inside the file, and escapes nothing in a link that already holds an escape)."""
    for char in "%\" <>[]^`{}#":
        link = link.replace(char, f"%{ord(char):02x}")
    return link


def _landscape(ws) -> None:
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)


def _spread(values: list[float]) -> float:
    return statistics.pstdev(values) if len(values) > 1 else 0.0


def _column_chart(wb, ws, title: str, first: int, last: int, where: str) -> None:
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"name": title, "categories": ["统计", first, 0, last, 0], "values": ["统计", first, 1, last, 1],
                      "fill": {"color": "#2F75B5"}, "gap": 60})
    chart.set_title({"name": title, "name_font": {"size": 12}})
    chart.set_legend({"none": True})
    chart.set_size({"width": 480, "height": 260})
    ws.insert_chart(where, chart)
