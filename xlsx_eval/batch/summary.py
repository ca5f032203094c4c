"""The batch summary a finance bureau sorts, filters and sends upward: OUTDIR/summary.xlsx.

Built from the JSON results (output.md), so that a rerun with --changed-only can rebuild it from results
kept in the manifest. Amounts are shown in 万元 whatever each workbook's 金额单位, so that they sort and
add up. Everything that came from a workbook is written with write_string: never a formula, never a link.
"""

from __future__ import annotations

import math
import statistics
import unicodedata
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..files import atomic_path
from ..findings import CODES, SEVERITY_LABELS
from ..score.rules import DEFAULT_GRADES

#: Grade fills by rank in the rules that gave the grade: the best green … the worst red (a rules file may name
#: its grades as it likes, "优秀" or "优").
RANK_COLOURS = ("#C6EFCE", "#DDEBF7", "#FFEB9C")
WORST_COLOUR = "#FFC7CE"
TO_WAN = {"万元": 1.0, "元": 1 / 10000}
HISTOGRAM_BINS = [
    (0, 60, "60分以下"),
    (60, 70, "60–70分"),
    (70, 80, "70–80分"),
    (80, 90, "80–90分"),
    (90, 100.0001, "90分及以上"),
]
#: What 等级 says of a result without a grade: the file could not be read at all, or it was read and lacks
#: what scoring needs.
UNREADABLE, UNSCORED = "无法读取", "未评分"
GRID, HEADER_FILL = "#BFBFBF", "#D9E1F2"
MESSAGE_WIDTH = 90  # 问题清单's 说明, in characters


def write_summary(results: list[dict[str, Any]], dest: Path) -> None:
    """Write summary.xlsx for these results (one JSON result per input) to ``dest``, atomically."""
    import xlsxwriter

    def order(r: dict) -> tuple:
        project = r["project"] or {}
        return (not project.get("unit"), project.get("unit") or "", project.get("name") or "", r["file"])

    rows = sorted(results, key=order)  # by unit, then project; files that could not be read last
    with atomic_path(dest) as tmp:
        wb = xlsxwriter.Workbook(
            str(tmp), {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
        )
        grid = {"border": 1, "border_color": GRID, "valign": "vcenter"}
        f = {
            "money": wb.add_format({**grid, "num_format": "#,##0.00"}),
            "pct": wb.add_format({**grid, "num_format": "0%"}),
            "score": wb.add_format({**grid, "num_format": "0.00"}),
            "count": wb.add_format({**grid, "num_format": "0"}),
            "text": wb.add_format(grid),
            "top": wb.add_format({**grid, "valign": "top"}),
            "wrap": wb.add_format({**grid, "text_wrap": True, "valign": "top"}),
            "link": wb.add_format({**grid, "font_color": "#0563C1", "underline": 1}),
            "bold": wb.add_format({"bold": True}),
            "plain_score": wb.add_format({"num_format": "0.00"}),
            "title": wb.add_format({"bold": True, "font_size": 14}),
            "header": wb.add_format(
                {**grid, "bold": True, "text_wrap": True, "align": "center", "bg_color": HEADER_FILL}
            ),
        }
        _projects(wb, f, rows, dest.parent)
        _findings(wb, f, rows)
        _statistics(wb, f, rows)
        wb.close()


def grade_of(result: dict) -> str:
    """What 等级 shows: the grade, or why there is none (无法读取 / 未评分)."""
    if result["grade"]:
        return result["grade"]
    if any(x["code"] == "UNREADABLE_FILE" for x in result["findings"]):
        return UNREADABLE
    return UNSCORED


def grade_names(rows: list[dict]) -> list[str]:
    """Every grade label of the rules that scored these results, each rules' best first, then any other grade
    given (a result kept from before rules records named their grades); the national ones when none."""
    names: dict[str, None] = {}
    for r in rows:
        names.update(dict.fromkeys((r.get("rules") or {}).get("grades") or []))
    best: dict[str, float] = {}  # a grade no rules record names ranks by the highest total that got it
    for r in rows:
        if r["grade"] and r["grade"] not in names:
            best[r["grade"]] = max(best.get(r["grade"], -math.inf), r["total"] if r["total"] is not None else -math.inf)
    names.update(dict.fromkeys(sorted(best, key=lambda g: -best[g])))
    return list(names) or [label for _, label in DEFAULT_GRADES]


def _grade_colours(rows: list[dict]) -> dict[str, str]:
    """Each grade's fill, by its rank in the rules that gave it."""
    colours: dict[str, str] = {}
    for r in rows:
        labels = (r.get("rules") or {}).get("grades") or []
        for rank, label in enumerate(labels):
            colours.setdefault(label, WORST_COLOUR if rank == len(labels) - 1 else RANK_COLOURS[min(rank, 2)])
    if not colours:
        labels = [label for _, label in DEFAULT_GRADES]
        colours = {label: WORST_COLOUR if i == len(labels) - 1 else RANK_COLOURS[i] for i, label in enumerate(labels)}
    return colours


def rules_label(rules: dict) -> str:
    """The rules as 项目汇总 names them: their title, with the start of their file's digest to trace it."""
    title = rules.get("title") or rules.get("name") or ""
    return f"{title}，文件摘要 {rules['digest'][:12]}" if rules.get("digest") else title


def code_text(code: str) -> str:
    """A finding code's description in Chinese (the code itself when the table does not know it)."""
    return CODES[code][1] if code in CODES else code


def _projects(wb, f, rows: list[dict], outdir: Path) -> None:
    ws = wb.add_worksheet("项目汇总")
    headers = [
        "单位名称",
        "项目名称",
        "全年预算数（万元）",
        "全年执行数（万元）",
        "支出明细合计（万元）",
        "差额（万元）",
        "预算执行率",
        "总分",
        "等级",
        "错误数",
        "警告数",
        "文件",
        "所在文件夹",
        "评分规则",
        "工作表",  # a national form's sheet: a workbook of several forms has a row for each
    ]
    last = max(len(rows), 1)
    ws.add_table(
        0,
        0,
        last,
        len(headers) - 1,
        {
            "name": "项目汇总表",
            "style": None,  # drawn with cell formats: an office suite without table styles shows it too
            "columns": [{"header": h, "header_format": f["header"]} for h in headers],
        },
    )
    ws.set_row(0, 32)
    landscape(ws)
    ws.freeze_panes(1, 0)
    shown: list[list[str]] = [[] for _ in headers]  # what each column shows, to size it
    for i, r in enumerate(rows, start=1):
        project, funds = r["project"] or {}, r["funds"] or {}
        scale = TO_WAN.get(funds.get("unit") or "", 1.0)
        executed, ledger = funds.get("executed"), funds.get("ledger_total")
        difference = executed - ledger if executed is not None and ledger is not None else None
        rate = funds["execution_rate"] / 100 if funds.get("execution_rate") is not None else None
        rules = r.get("rules") or {}
        cells: list[tuple[Any, str]] = [
            (project.get("unit") or None, "text"),
            (project.get("name") or None, "text"),
            *(
                (round(v * scale, 6) if v is not None else None, "money")
                for v in (funds.get("budget"), executed, ledger, difference)
            ),
            (rate, "pct"),
            (r["total"], "score"),
            (grade_of(r), "text"),
            (sum(x["severity"] == "error" for x in r["findings"]), "count"),
            (sum(x["severity"] == "warning" for x in r["findings"]), "count"),
            (Path(r["file"]).name, "link" if r["output"] else "text"),
            (str(Path(r["file"]).parent), "text"),  # two inputs of one name are told apart by it
            (rules_label(rules) or None, "text"),
            (r.get("sheet"), "text"),
        ]
        for col, (value, kind) in enumerate(cells):
            shown[col].append(_shown(value, kind))
            if value is None:
                ws.write_blank(i, col, None, f[kind])
            elif kind == "link":
                target = Path(r["output"])
                link = target.name if target.parent.resolve() == outdir.resolve() else target.resolve().as_posix()
                ws.write_url(
                    i, col, f"external:{escaped_link(link)}", f["link"], string=value, tip="打开评分后的工作簿"
                )
            elif isinstance(value, str):
                ws.write_string(i, col, value, f[kind])
            else:
                ws.write_number(i, col, value, f[kind])
    if not rows:
        for col in range(len(headers)):
            ws.write_blank(1, col, None, f["text"])
    for col, header in enumerate(headers):
        ws.set_column(col, col, _fit(header, shown[col]))
    for grade, colour in _grade_colours(rows).items():
        ws.conditional_format(
            1,
            8,
            last,
            8,
            {"type": "cell", "criteria": "==", "value": f'"{grade}"', "format": wb.add_format({"bg_color": colour})},
        )
    ws.conditional_format(
        1,
        9,
        last,
        9,
        {"type": "cell", "criteria": ">", "value": 0, "format": wb.add_format({"bg_color": "#FFC7CE", "bold": True})},
    )
    ws.activate()


def _findings(wb, f, rows: list[dict]) -> None:
    ws = wb.add_worksheet("问题清单")
    headers = ["文件", "单位名称", "工作表", "单元格", "严重程度", "代码", "问题类型", "说明"]
    findings = [(r, x) for r in rows for x in r["findings"]]
    ws.add_table(
        0,
        0,
        max(len(findings), 1),
        len(headers) - 1,
        {
            "name": "问题清单表",
            "style": None,
            "columns": [{"header": h, "header_format": f["header"]} for h in headers],
        },
    )
    ws.set_row(0, 20)
    landscape(ws)
    ws.freeze_panes(1, 0)
    shown: list[list[str]] = [[] for _ in headers]
    for i, (r, x) in enumerate(findings, start=1):
        values = [
            Path(r["file"]).name,
            (r["project"] or {}).get("unit") or "",
            x["sheet"],
            x["cell"],
            SEVERITY_LABELS[x["severity"]],
            x["code"],
            code_text(x["code"]),
            x["message"],
        ]
        for col, value in enumerate(values):
            kind = "wrap" if col == len(headers) - 1 else "top"
            shown[col].append(value)
            if value:
                ws.write_string(i, col, value, f[kind])
            else:
                ws.write_blank(i, col, None, f[kind])
        lines = math.ceil(display_width(x["message"]) / (MESSAGE_WIDTH - 2)) or 1
        if lines > 1:  # an office suite does not grow a row to its wrapped text by itself
            ws.set_row(i, min(409, 15 * lines))
    if not findings:
        for col in range(len(headers)):
            ws.write_blank(1, col, None, f["text"])
    for col, header in enumerate(headers[:-1]):
        ws.set_column(col, col, _fit(header, shown[col]))
    ws.set_column(len(headers) - 1, len(headers) - 1, MESSAGE_WIDTH)  # 说明 wraps


def _statistics(wb, f, rows: list[dict]) -> None:
    ws = wb.add_worksheet("统计")
    ws.set_column(1, 3, 12)
    ws.write_string(0, 0, "绩效自评汇总统计", f["title"])
    landscape(ws)
    column_a = ["绩效自评汇总统计"]
    ws.write_row(2, 0, ["等级", "个数"], f["bold"])
    grades = Counter(grade_of(r) for r in rows)
    grade_rows = [(g, grades.get(g, 0)) for g in [*grade_names(rows), UNSCORED, UNREADABLE]]
    for i, (grade, count) in enumerate(grade_rows, start=3):
        ws.write_string(i, 0, grade)
        ws.write_number(i, 1, count)
    _column_chart(wb, ws, "等级分布", 3, 3 + len(grade_rows) - 1, "E3", max(c for _, c in grade_rows))

    totals = [r["total"] for r in rows if r["total"] is not None]
    row = 3 + len(grade_rows) + 1
    ws.write_row(row, 0, ["总分分布", "个数"], f["bold"])
    bins = [sum(low <= t < high for t in totals) for low, high, _ in HISTOGRAM_BINS]
    for i, ((_, _, label), count) in enumerate(zip(HISTOGRAM_BINS, bins), start=row + 1):
        ws.write_string(i, 0, label)
        ws.write_number(i, 1, count)
    _column_chart(wb, ws, "总分分布", row + 1, row + len(HISTOGRAM_BINS), "E20", max(bins))  # under the first

    row += len(HISTOGRAM_BINS) + 2
    rates = [r["funds"]["execution_rate"] for r in rows if r["funds"] and r["funds"]["execution_rate"] is not None]
    ws.write_row(row, 0, ["", "总分", "预算执行率（%）"], f["bold"])
    measures: list[tuple[str, Callable[[list[float]], float]]] = [
        ("平均", statistics.fmean),
        ("标准差", _spread),
        ("最低", min),
        ("最高", max),
    ]
    for i, (label, fn) in enumerate(measures, start=row + 1):
        ws.write_string(i, 0, label)
        for col, values in ((1, totals), (2, rates)):
            if values:
                ws.write_number(i, col, round(fn(values), 2), f["plain_score"])

    row += 6
    ws.write_row(row, 0, ["严重程度", "条数"], f["bold"])
    severities = Counter(x["severity"] for r in rows for x in r["findings"])
    for i, severity in enumerate(("error", "warning", "info"), start=row + 1):
        ws.write_string(i, 0, SEVERITY_LABELS[severity])
        ws.write_number(i, 1, severities.get(severity, 0))

    row += 5
    used = sorted(
        {
            (r["rules"].get("title") or r["rules"]["name"], r["rules"]["name"], r["rules"]["digest"])
            for r in rows
            if r.get("rules")
        }
    )
    ws.write_row(row, 0, ["评分规则", "名称", "文件摘要"], f["bold"])
    for i, (title, name, digest) in enumerate(used, start=row + 1):
        ws.write_string(i, 0, title)
        ws.write_string(i, 1, name)
        ws.write_string(i, 2, digest[:12] or "（内置默认）")  # as 评分结果 and 项目汇总 show it; in full in the JSON
        column_a.append(title)
    row += len(used) + 2
    ws.write_row(row, 0, ["问题类型", "条数", "代码"], f["bold"])
    codes = Counter(x["code"] for r in rows for x in r["findings"])
    for i, (code, count) in enumerate(sorted(codes.items(), key=lambda kv: (-kv[1], kv[0])), start=row + 1):
        ws.write_string(i, 0, code_text(code))
        ws.write_number(i, 1, count)
        ws.write_string(i, 2, code)
        column_a.append(code_text(code))
    ws.set_column(0, 0, _fit("", column_a, low=16))


def escaped_link(link: str) -> str:
    """A file link escaped as Excel writes it, ``#`` included (xlsxwriter would take what follows a ``#`` for a
    place inside the file, and escapes nothing in a link that already holds an escape)."""
    for char in '%" <>[]^`{}#':
        link = link.replace(char, f"%{ord(char):02x}")
    return link


def landscape(ws) -> None:
    """A4 landscape, one page wide, the header row on every page (summary.xlsx and review.xlsx alike)."""
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)


def _spread(values: list[float]) -> float:
    return statistics.pstdev(values) if len(values) > 1 else 0.0


def _column_chart(wb, ws, title: str, first: int, last: int, where: str, highest: int) -> None:
    """A column chart of counts: its value axis in whole numbers from 0."""
    chart = wb.add_chart({"type": "column"})
    chart.add_series(
        {
            "name": title,
            "categories": ["统计", first, 0, last, 0],
            "values": ["统计", first, 1, last, 1],
            "fill": {"color": "#2F75B5"},
            "gap": 60,
        }
    )
    chart.set_title({"name": title, "name_font": {"size": 12}})
    chart.set_legend({"none": True})
    chart.set_y_axis(
        {
            "min": 0,
            "major_unit": count_step(highest),
            "num_format": "0",
            "num_font": {"size": 9},
            "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}},
        }
    )
    chart.set_size({"width": 480, "height": 260})
    ws.insert_chart(where, chart)


def count_step(highest: int) -> int:
    """A count axis's step: 1 up to 10, then 2, 5, 10, 20, 50 … so that it has at most ten steps."""
    step = 1
    while highest > 10 * step:
        step = step * 5 // 2 if str(step)[0] == "2" else step * 2  # 1 → 2 → 5 → 10 → 20 → 50 …
    return step


def _fit(header: str, shown: list[str], low: float = 6, high: float = 60) -> float:
    """A column width that fits what it shows: its widest value, and its header (wrapped before a "（")."""
    widest = max((display_width(text) for text in shown if text), default=0)
    head = max((display_width(line) for line in header.replace("（", "\n（").splitlines()), default=0)
    return max(low, min(high, max(widest, head) + 2))


def display_width(text: str) -> int:
    """Width in Excel's character units: a CJK character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _shown(value: Any, kind: str) -> str:
    """A value as its cell shows it (for sizing the column)."""
    if value is None:
        return ""
    if kind == "money":
        return f"{value:,.2f}"
    if kind == "pct":
        return f"{value:.0%}"
    if kind == "score":
        return f"{value:.2f}"
    return str(value)
