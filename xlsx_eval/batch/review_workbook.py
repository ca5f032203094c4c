"""OUTDIR/review.xlsx (review.md): 复核清单, 抽评名单 and 分部门统计 with its chart; with --declared, 申报表对照 (which
绩效目标申报表 each form was compared with, and what matched nothing). Everything that came from a workbook is
written as a string: never a formula; the only links are ours, to the scored copies' cells."""

from __future__ import annotations

import math
from pathlib import Path

from ..files import atomic_path
from ..findings import SEVERITY_LABELS
from .review import RATE_BUCKETS, Matching, Review, ReviewRow
from .summary import GRID, HEADER_FILL, display_width, escaped_link, landscape

REASONS_WIDTH = 90  # characters of 复核要点, every reason a line
SHOWN_REASONS = 20  # a form's reasons shown (a ledger of bad rows can have thousands; the JSON keeps them all)
REASON_WIDTH = 60  # characters of each reason's own column


def write_review(review: Review, dest: Path) -> None:
    """Write review.xlsx to ``dest``, atomically; links to the scored copies are relative when they sit beside it."""
    import xlsxwriter

    with atomic_path(dest) as tmp:
        wb = xlsxwriter.Workbook(
            str(tmp), {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
        )
        grid = {"border": 1, "border_color": GRID, "valign": "top"}
        f = {
            "text": wb.add_format(grid),
            "wrap": wb.add_format({**grid, "text_wrap": True}),
            "link": wb.add_format({**grid, "text_wrap": True, "font_color": "#0563C1", "underline": 1}),
            "score": wb.add_format({**grid, "num_format": "0.00"}),
            "pct": wb.add_format({**grid, "num_format": "0%"}),
            "count": wb.add_format({**grid, "num_format": "0"}),
            "header": wb.add_format(
                {
                    **grid,
                    "bold": True,
                    "text_wrap": True,
                    "align": "center",
                    "valign": "vcenter",
                    "bg_color": HEADER_FILL,
                }
            ),
        }
        _review_list(wb, f, review.rows, dest.parent)
        _sample_list(wb, f, review, dest.parent)
        _departments(wb, f, review)
        if review.declared is not None:
            _declared(wb, f, review.declared)
        wb.close()


def _link(row: ReviewRow, outdir: Path, sheet: str = "", cell: str = "") -> str | None:
    """The scored copy (and a cell of it) as a link from review.xlsx."""
    if not row.output:
        return None
    target = Path(row.output)
    name = target.name if target.parent.resolve() == outdir.resolve() else target.resolve().as_posix()
    place = f"#'{sheet.replace(chr(39), chr(39) * 2)}'!{cell}" if sheet and cell else ""
    return f"external:{escaped_link(name)}{place}"


def _write(ws, row: int, col: int, value, fmt) -> None:
    if value is None:
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, str):
        ws.write_string(row, col, value, fmt)
    else:
        ws.write_number(row, col, value, fmt)


def _header(ws, f, names: list[str], widths: list[int]) -> None:
    for col, (name, width) in enumerate(zip(names, widths, strict=True)):
        ws.write_string(0, col, name, f["header"])
        ws.set_column(col, col, width)
    ws.freeze_panes(1, 0)
    landscape(ws)


def _rate(row: ReviewRow) -> float | None:
    return None if row.execution_rate is None else row.execution_rate / 100


def _review_list(wb, f, rows: list[ReviewRow], outdir: Path) -> None:
    """One row per form. 复核要点 holds every reason, one a line, weightiest first; each reason also has a column of
    its own after it, linked to its cell of the scored copy (outside the printed area, which stays one page wide)."""
    ws = wb.add_worksheet("复核清单")
    most = min(SHOWN_REASONS, max((len(r.reasons) for r in rows), default=0))
    names = [
        "序号",
        "风险分",
        "单位名称",
        "主管部门",
        "项目名称",
        "单位自评总分",
        "复核总分",
        "预算执行率",
        "等级",
        "文件",
        "工作表",
    ]
    names.append("复核要点（按风险权重从高到低；右侧“要点”各列可点击打开评分后工作簿的单元格）")
    widths = [6, 8, 22, 18, 26, 10, 10, 10, 8, 20, 14, REASONS_WIDTH]
    _header(ws, f, names + [f"要点{i}" for i in range(1, most + 1)], widths + [REASON_WIDTH] * most)
    for i, r in enumerate(rows, start=1):
        cells = [
            (i, "count"),
            (r.risk, "score"),
            (r.unit, "text"),
            (r.department, "text"),
            (r.project, "text"),
            (r.claimed_total, "score"),
            (r.total, "score"),
            (_rate(r), "pct"),
            (r.grade, "text"),
            (Path(r.file).name, "text"),
            (r.sheet, "text"),
        ]
        for col, (value, kind) in enumerate(cells):
            _write(ws, i, col, value, f[kind])
        shown = r.reasons[:SHOWN_REASONS]
        lines = [_reason_text(x) for x in shown]
        if len(r.reasons) > len(shown):
            lines.append(f"……另有 {len(r.reasons) - len(shown)} 条，见评分后工作簿的“评分结果”表")
        height = sum(math.ceil(display_width(line) / (REASONS_WIDTH - 2)) for line in lines)
        if height > 1:  # an office suite does not grow a row to its wrapped text by itself
            ws.set_row(i, min(409, 15 * height))
        _write(ws, i, len(cells), "\n".join(lines) or None, f["wrap"])  # plain: a suite shows a link on one line
        for col, reason in enumerate(shown, start=len(cells) + 1):
            link = _link(r, outdir, reason.sheet, reason.cell) or _link(r, outdir)
            if link:
                ws.write_url(
                    i, col, link, f["link"], string=_reason_text(reason), tip="打开评分后的工作簿，转到这个单元格"
                )
            else:
                ws.write_string(i, col, _reason_text(reason), f["wrap"])
    ws.autofilter(0, 0, max(len(rows), 1), len(names) - 1)
    ws.print_area(0, 0, max(len(rows), 1), len(names) - 1)


def _reason_text(reason) -> str:
    where = f"{reason.sheet}!{reason.cell}" if reason.cell else reason.sheet
    head = " ".join(x for x in (f"[{SEVERITY_LABELS.get(reason.severity, reason.severity)}]", reason.code, where) if x)
    return f"{head}：{reason.message}"


def _sample_list(wb, f, review: Review, outdir: Path) -> None:
    ws = wb.add_worksheet("抽评名单")
    names = ["序号", "单位名称", "主管部门", "项目名称", "复核总分", "风险分", "抽取原因", "评分后的工作簿"]
    _header(ws, f, names, [6, 22, 18, 26, 10, 8, 60, 30])
    for i, r in enumerate(review.sample, start=1):
        for col, (value, kind) in enumerate(
            [
                (i, "count"),
                (r.unit, "text"),
                (r.department, "text"),
                (r.project, "text"),
                (r.total, "score"),
                (r.risk, "score"),
                (r.why_sampled, "wrap"),
            ]
        ):
            _write(ws, i, col, value, f[kind])
        link = _link(r, outdir, r.sheet or "", "A1" if r.sheet else "")  # a workbook of several forms: this one
        if link:
            ws.write_url(i, 7, link, f["link"], string=Path(r.output or "").name, tip="打开评分后的工作簿")
        else:
            ws.write_blank(i, 7, None, f["text"])
    if not review.sample:
        why = (
            "没有已评分的自评表可供抽评"
            if review.sample_asked
            else "未抽取（用 --sample 指定抽评份数，如 --sample 10 或 10%）"
        )
        ws.write_string(1, 0, why)


def _departments(wb, f, review: Review) -> None:
    ws = wb.add_worksheet("分部门统计")
    best = review.departments[0]["best_grade"] if review.departments else "优秀"
    labels = [label for label, _, _ in RATE_BUCKETS]
    names = ["主管部门", "份数", "已评分", "平均复核总分", "平均单位自评总分", f"{best}占比", "平均预算执行率"]
    names += [f"执行率 {label}" for label in labels]
    _header(ws, f, names, [22, 8, 8, 12, 14, 10, 12] + [10] * len(labels))
    for i, d in enumerate(review.departments, start=1):
        rate = None if d["mean_execution_rate"] is None else d["mean_execution_rate"] / 100
        values = [
            (d["department"], "text"),
            (d["forms"], "count"),
            (d["scored"], "count"),
            (d["mean_total"], "score"),
            (d["mean_claimed_total"], "score"),
            (d["best_share"], "pct"),
            (rate, "pct"),
        ] + [(d["rate_buckets"][label], "count") for label in labels]
        for col, (value, kind) in enumerate(values):
            _write(ws, i, col, value, f[kind])
    count = len(review.departments)
    if not count:
        ws.write_string(1, 0, "没有自评表")
        return
    chart = wb.add_chart({"type": "column", "subtype": "stacked"})
    for col in range(7, 7 + len(labels)):
        chart.add_series(
            {
                "name": ["分部门统计", 0, col],
                "categories": ["分部门统计", 1, 0, count, 0],
                "values": ["分部门统计", 1, col, count, col],
            }
        )
    chart.set_title({"name": "各主管部门的预算执行率分布（份数）"})
    chart.set_y_axis({"name": "份数", "major_gridlines": {"visible": True}})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 720, "height": 360})
    ws.insert_chart(count + 2, 0, chart)


MATCHED_BY = {"code": "项目编码", "name": "申请单位和项目名称"}


def _declared(wb, f, matching: Matching) -> None:
    """Each form and its declaration (or why it has none), then the declarations that no form matched."""
    ws = wb.add_worksheet("申报表对照")
    names = ["类别", "单位名称", "项目名称", "项目编码", "文件", "工作表", "对应的绩效目标申报表", "匹配依据或原因"]
    _header(ws, f, names, [16, 22, 26, 18, 20, 14, 30, 50])
    rows = [
        (
            "自评表" if m["declaration"] else "自评表（未匹配）",
            m,
            m["declaration"],
            MATCHED_BY.get(m["matched_by"]) or m["why"],
        )
        for m in matching.forms
    ] + [("申报表（未匹配）", m, None, m["why"]) for m in matching.unmatched]
    for i, (kind, m, declaration, why) in enumerate(rows, start=1):
        values = [kind, m["unit"], m["project"], m["code"], Path(m["file"]).name, m["sheet"], declaration, why]
        for col, value in enumerate(values):
            _write(ws, i, col, value, f["wrap" if col == len(values) - 1 else "text"])
    ws.autofilter(0, 0, max(len(rows), 1), len(names) - 1)
