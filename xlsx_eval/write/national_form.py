"""The national 项目支出绩效自评表 (national-form.md) of one scored form, print-ready on one A4 page wide.

Top to bottom, with the labels the national-form reader looks for (the first spelling of each)::

    项目支出绩效自评表                                  title, merged across, 16 pt bold
    （2020年度）
    项目名称 | name …
    项目编码 | code …                                  only when the project has one
    主管部门 | …        | 实施单位 | …
    项目资金（万元） | (row label) | 年初预算数 | 全年预算数 | 全年执行数 | 分值 | 执行率 | 得分
                     | 年度资金总额 / 其中：当年财政拨款 / 上年结转资金 / 其他资金
    年度总体目标 | 预期目标 … | 实际完成情况 …  (their texts in the row below)
    绩效指标 | 一级指标 | 二级指标 | 三级指标 | [指标性质] | 年度指标值 | [计量单位] | 实际完成值 | 分值 | 得分 | 偏差原因…
    总分 …                               | Σ分值 | total |
    自评等级 …                           | grade
    存在问题 / 改进措施 / [其他需说明问题] / 自评结论 | text …
    联系人 | … | 联系电话 | …

Column A holds the block labels, merged down over their blocks; the indicator table's columns set the
grid, and the other blocks share its vertical lines: the money block's six figures stand in its last six
columns, and 实施单位, 实际完成情况 and 联系电话 in its 年度指标值 column.

The 其中 rows add up to the total row wherever they hold figures: the workbook knows only its fiscal amount
(其中财政资金), so a wholly fiscal project repeats the total row's figures on 当年财政拨款, and a partly fiscal
one shows the fiscal amount and the remainder (其他资金) in 全年预算数 only; what is not known is "—".
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

from ..files import atomic_path
from ..model import IndicatorScore, Project, Remark, Result
from ..values import plain, to_decimal
from .template import CREATED, LINE_HEIGHT, _line_count, _page, _write_value

SHEET = "项目支出绩效自评表"
TITLE = "项目支出绩效自评表"
DASH = "—"
NOT_APPLICABLE = "不适用"  # the 得分 of an indicator left out, as the scored copy writes it

# 宋体 for every script: the name alone leaves the East Asian font to Excel's guess, the GB2312 character
# set (and the font's family, as Chinese Excel writes it) make it pick 宋体 for CJK too.
FONT = {"font_name": "宋体", "font_charset": 134, "font_family": 3, "font_size": 11}
TITLE_SIZE = 16

LABEL_WIDTH = 12  # column A: 项目名称, 项目资金（万元）, 年度总体目标, 绩效指标, 总分 …
ROW_HEIGHT = 20.0  # one line of the form: a little roomier than Excel's 15 points
ROW_PADDING = 4.0  # above and below wrapped text

# A4 with margins of about 1.5 cm (in inches, as Excel takes them).
MARGIN = 0.59
FOOTER_MARGIN = 0.3


@dataclass(frozen=True)
class Column:
    """One column of the indicator table, which sets the form's grid."""

    key: str
    header: str
    width: float
    optional: bool = False  # shown only when some indicator has a value for it


INDICATOR_COLUMNS = (
    Column("level1", "一级指标", 10),
    Column("level2", "二级指标", 15),
    Column("name", "三级指标", 23),
    Column("nature", "指标性质", 9, optional=True),
    Column("target", "年度指标值", 11),
    Column("unit", "计量单位", 9, optional=True),
    Column("actual", "实际完成值", 11),
    Column("weight", "分值", 7),
    Column("score", "得分", 7),
    Column("reason", "偏差原因分析及改进措施", 20),
)

#: The money block's header, each over the indicator columns it shares (those of them the form has): its
#: figures stay as wide as the table's, whichever optional columns it shows.
MONEY_HEADERS = (
    ("年初预算数", ("name", "nature")),
    ("全年预算数", ("target", "unit")),
    ("全年执行数", ("actual",)),
    ("分值", ("weight",)),
    ("执行率", ("score",)),
    ("得分", ("reason",)),
)
MONEY_LABEL = ("level1", "level2")  # the columns of the rows' own labels
MONEY_ROWS = ("年度资金总额", "其中：当年财政拨款", "上年结转资金", "其他资金")


class Source(Protocol):
    """What the writer takes from the reader's record of a form (``model.Form``)."""

    project: Project
    remarks: list[Remark]


def write_national_form(wb: Source, result: Result, dest: Path) -> Path:
    """The national 项目支出绩效自评表 of one scored form, written atomically to ``dest`` (.xlsx).

    Filled with the computed figures (each indicator's 得分, the execution 执行率 and 得分, the 总分), so that
    reading it back gives the same result. The same inputs always give the same bytes.
    """
    dest = Path(dest)
    p = wb.project
    with atomic_path(dest) as tmp:
        book = xlsxwriter.Workbook(str(tmp), {"default_format_properties": {**FONT, "font_scheme": "none"}})
        book.set_properties(
            {
                "title": f"{p.name} {TITLE}" if p.name else TITLE,
                "subject": "财政支出项目绩效自评",
                "author": "xlsx-eval",
                "created": CREATED,
            }
        )
        ws = book.add_worksheet(SHEET)
        _Layout(ws, _Formats(book), wb, result).write()
        book.close()
    return dest


class _Formats:
    """The form's cell formats, each made once: 宋体; inside the form thin borders and wrapped text."""

    def __init__(self, book: xlsxwriter.Workbook) -> None:
        self._book = book
        box = {"border": 1, "valign": "vcenter", "text_wrap": True}
        self.title = self._add({"bold": True, "font_size": TITLE_SIZE, "align": "center", "valign": "vcenter"})
        self.year = self._add({"align": "center", "valign": "vcenter"})
        self.label = self._add({**box, "align": "center"})
        self.text = self._add({**box, "align": "left"})
        self.literal = self._add({**box, "align": "center", "num_format": "@"})  # "≥100%", "=1套" stay as written
        self.paragraph = self._add({**box, "align": "left", "valign": "top"})
        self.number = self._add({**box, "align": "center"})
        self.money = self._add({**box, "align": "right", "num_format": "#,##0.00"})
        self.total = self._add({**box, "align": "center", "bold": True})
        self._box = box
        self._rates: dict[int, Format] = {}

    def rate(self, decimals: int) -> Format:
        """Percent with as many decimals as the scored rate has: 94%, 93.94%."""
        if decimals not in self._rates:
            pattern = "0." + "0" * decimals + "%" if decimals else "0%"
            self._rates[decimals] = self._add({**self._box, "align": "center", "num_format": pattern})
        return self._rates[decimals]

    def _add(self, spec: dict[str, object]) -> Format:
        return self._book.add_format({**FONT, **spec})


class _Layout:
    """Writes the form row by row, keeping what each row needs in height and which cells are written, so
    that every cell inside the form gets its border and the print area covers the form."""

    def __init__(self, ws: Worksheet, f: _Formats, wb: Source, result: Result) -> None:
        self.ws, self.f, self.wb, self.result = ws, f, wb, result
        self.columns = _columns(result.indicators)
        self.widths = [LABEL_WIDTH, *(c.width for c in self.columns)]
        self.last_col = len(self.widths) - 1
        self.col = {c.key: i for i, c in enumerate(self.columns, start=1)}
        self.row = 0
        self.lines: dict[int, int] = {}  # row -> lines of wrapped text it must show
        self.written: set[tuple[int, int]] = set()

    # ---- cells ----

    def cell(
        self, row: int, col: int, value: object, fmt: Format, last_row: int | None = None, last_col: int | None = None
    ) -> None:
        """``value`` in ``row``/``col``, merged down to ``last_row`` and across to ``last_col`` when given."""
        last_row = row if last_row is None else last_row
        last_col = col if last_col is None else last_col
        if (last_row, last_col) != (row, col):
            self.ws.merge_range(row, col, last_row, last_col, "", fmt)
        # typed writes only: a text such as "=1套" must not become a formula
        _write_value(self.ws, row, col, value, fmt)
        self.written.update((r, c) for r in range(row, last_row + 1) for c in range(col, last_col + 1))
        if last_row == row and isinstance(value, str):
            width = sum(self.widths[col : last_col + 1])
            self.lines[row] = max(self.lines.get(row, 1), _line_count(value, width))

    def label_value(self, row: int, label: str, value: object, first: int = 1, last: int | None = None) -> None:
        """A label in column A and its value across ``first``..``last`` (default: to the form's right edge)."""
        self.cell(row, 0, label, self.f.label)
        self.cell(row, first, value, self.f.text, last_col=self.last_col if last is None else last)

    def span(self, keys: tuple[str, ...]) -> tuple[int, int]:
        """The first and last column of those indicator columns ``keys`` that the form has."""
        cols = [self.col[k] for k in keys if k in self.col]
        return min(cols), max(cols)

    # ---- the form ----

    def write(self) -> None:
        ws = self.ws
        for col, width in enumerate(self.widths):
            ws.set_column(col, col, width)
        self._title()
        top = self.row
        self._project()
        self._money()
        self._goals()
        self._indicators()
        self._totals()
        self._narrative()
        bottom = self.row - 1
        for r in range(top, bottom + 1):  # a border on every cell of the form, written or not
            for c in range(self.last_col + 1):
                if (r, c) not in self.written:
                    ws.write_blank(r, c, None, self.f.text)
        for r in range(top, bottom + 1):
            lines = self.lines.get(r, 1)
            ws.set_row(r, ROW_HEIGHT if lines == 1 else lines * LINE_HEIGHT + ROW_PADDING)
        self._page(bottom)

    def _title(self) -> None:
        p = self.wb.project
        self.ws.merge_range(0, 0, 0, self.last_col, TITLE, self.f.title)
        self.ws.set_row(0, 32)
        year = f"（{p.year}年度）" if p.year else "（　　　年度）"
        self.ws.merge_range(1, 0, 1, self.last_col, year, self.f.year)
        self.ws.set_row(1, 20)
        self.row = 2

    def _project(self) -> None:
        p = self.wb.project
        split = self.col["target"]  # 实施单位 stands in the 年度指标值 column
        self.label_value(self.row, "项目名称", p.name)
        self.row += 1
        code = getattr(p, "code", None)
        if code:
            self.label_value(self.row, "项目编码", code)
            self.row += 1
        self.label_value(self.row, "主管部门", p.department, last=split - 1)
        self.cell(self.row, split, "实施单位", self.f.label)
        self.cell(self.row, split + 1, p.unit, self.f.text, last_col=self.last_col)
        self.row += 1

    def _money(self) -> None:
        f, r0 = self.f, self.row
        p, funds = self.wb.project, self.result.funds
        budget = funds.budget if funds else p.budget
        executed = funds.executed if funds else p.executed
        fiscal = funds.fiscal if funds else p.fiscal
        rate = funds.execution_rate if funds else None
        label_first, label_last = self.span(MONEY_LABEL)
        spans = [self.span(keys) for _, keys in MONEY_HEADERS]

        # broken before the unit, as printed forms break it (a reader ignores the line break)
        self.cell(r0, 0, f"项目资金\n（{p.money_unit or '万元'}）", f.label, last_row=r0 + len(MONEY_ROWS))
        self.cell(r0, label_first, "", f.label, last_col=label_last)
        for (header, _), (first, last) in zip(MONEY_HEADERS, spans):
            self.cell(r0, first, header, f.label, last_col=last)

        total = [
            (p.initial_budget, f.money),
            (budget, f.money),
            (executed, f.money),
            (self.result.execution_weight, f.number),
            (None if rate is None else rate / 100, f.rate(_decimals(rate))),
            (self.result.execution_score, f.number),
        ]
        whole = fiscal is not None and budget is not None and abs(fiscal - budget) < 1e-9
        fiscal_row: list[float | None]
        if whole:  # all of it fiscal: the 财政拨款 row repeats the total's figures
            fiscal_row = [p.initial_budget, budget, executed]
        else:
            fiscal_row = [None, fiscal, None]
        remainder = budget - fiscal if fiscal is not None and budget is not None and fiscal < budget else None
        shares: dict[str, list[float | None]] = {
            "其中：当年财政拨款": fiscal_row,
            "上年结转资金": [None, None, None],
            "其他资金": [None, remainder, None],
        }
        for i, name in enumerate(MONEY_ROWS, start=1):
            row = r0 + i
            self.cell(row, label_first, name, f.label, last_col=label_last)
            if name == "年度资金总额":
                for (first, last), (value, fmt) in zip(spans, total):
                    self.cell(row, first, DASH if value is None else value, fmt, last_col=last)
                continue
            figures = [*shares[name], None, None, None]  # 分值, 执行率, 得分: only on the total row
            for (first, last), amount in zip(spans, figures):
                if amount is None:
                    self.cell(row, first, DASH, f.number, last_col=last)
                else:
                    self.cell(row, first, _tidy(amount), f.money, last_col=last)
        self.row = r0 + len(MONEY_ROWS) + 1

    def _goals(self) -> None:
        f, r0 = self.f, self.row
        p = self.wb.project
        split = self.col["target"]  # 实际完成情况 from the 年度指标值 column on
        self.cell(r0, 0, "年度总体目标", f.label, last_row=r0 + 1)
        self.cell(r0, 1, "预期目标", f.label, last_col=split - 1)
        self.cell(r0, split, "实际完成情况", f.label, last_col=self.last_col)
        self.cell(r0 + 1, 1, p.goals or "", f.paragraph, last_col=split - 1)
        self.cell(r0 + 1, split, p.goals_met or "", f.paragraph, last_col=self.last_col)
        self.lines[r0 + 1] = max(self.lines.get(r0 + 1, 1), 3)  # room to write, as on the printed form
        self.row = r0 + 2

    def _indicators(self) -> None:
        f, header = self.f, self.row
        scores = self.result.indicators
        self.cell(header, 0, "绩效指标", f.label, last_row=header + max(len(scores), 1))
        for col, column in enumerate(self.columns, start=1):
            self.cell(header, col, column.header, f.label)
        first = header + 1
        for level_key, key_of in (("level1", _level1), ("level2", _level2)):
            for start, end, value in _runs([key_of(s) for s in scores]):
                label = value[-1] if value else None
                self.cell(first + start, self.col[level_key], label or "", f.label, last_row=first + end)
        for i, s in enumerate(scores):
            row, ind = first + i, s.indicator
            self.cell(row, self.col["name"], ind.name or "", f.text)
            for key in ("nature", "target", "unit", "actual"):
                if key in self.col:
                    self.cell(row, self.col[key], getattr(ind, key) or "", f.literal)
            self.cell(row, self.col["weight"], ind.weight, f.number)
            score = s.score if s.applicable else NOT_APPLICABLE
            self.cell(row, self.col["score"], score, f.number)
            self.cell(row, self.col["reason"], ind.reason or "", f.text)
        self.row = first + max(len(scores), 1)

    def _totals(self) -> None:
        f, result = self.f, self.result
        weight_col, score_col = self.col["weight"], self.col["score"]
        weights = (result.execution_weight or 0.0) + sum(s.indicator.weight or 0.0 for s in result.indicators)
        self.cell(self.row, 0, "总分", f.total, last_col=weight_col - 1)
        self.cell(self.row, weight_col, _tidy(weights), f.total)
        self.cell(self.row, score_col, result.total, f.total)
        self.row += 1
        self.cell(self.row, 0, "自评等级", f.total, last_col=weight_col - 1)
        self.cell(self.row, weight_col, result.grade or "", f.total, last_col=self.last_col)
        self.row += 1

    def _narrative(self) -> None:
        remarks = self.wb.remarks
        for label, texts in (
            ("存在问题", [r.text for r in remarks if r.kind == "问题"]),
            ("改进措施", [r.text for r in remarks if r.kind == "措施"]),
            ("其他需说明问题", [r.text for r in remarks if r.kind not in ("问题", "措施")]),
        ):
            if texts or label != "其他需说明问题":
                self.label_value(self.row, label, "\n".join(texts))
                self.row += 1
        self.label_value(self.row, "自评结论", _conclusion(self.result))
        self.row += 1
        p, split = self.wb.project, self.col["target"]
        self.label_value(self.row, "联系人", p.contact, last=split - 1)
        self.cell(self.row, split, "联系电话", self.f.label)
        self.cell(self.row, split + 1, p.phone, self.f.text, last_col=self.last_col)
        self.row += 1

    def _page(self, bottom: int) -> None:
        ws = self.ws
        _page(ws, landscape=False)  # A4 portrait, one page wide
        ws.set_margins(left=MARGIN, right=MARGIN, top=MARGIN, bottom=MARGIN)
        ws.set_footer("&C第 &P 页，共 &N 页", {"margin": FOOTER_MARGIN})
        ws.center_horizontally()
        ws.print_area(0, 0, bottom, self.last_col)
        ws.repeat_rows(0, 1)  # the title and year on every page (print titles must be one block of rows)
        ws.hide_gridlines(2)
        ws.ignore_errors({"number_stored_as_text": f"A1:{xl_rowcol_to_cell(bottom, self.last_col)}"})


def _columns(scores: list[IndicatorScore]) -> list[Column]:
    """The indicator table's columns: 指标性质 and 计量单位 only when some indicator has one (reading the form
    back then takes them as the unit wrote them, 不适用 included)."""
    return [c for c in INDICATOR_COLUMNS if not c.optional or any(getattr(s.indicator, c.key) for s in scores)]


def _level1(s: IndicatorScore) -> tuple[str | None, ...]:
    return (s.indicator.level1,)


def _level2(s: IndicatorScore) -> tuple[str | None, ...]:
    return (s.indicator.level1, s.indicator.level2)  # a 二级 group never runs across two 一级 groups


def _runs(keys: list[tuple[str | None, ...]]) -> Iterator[tuple[int, int, tuple[str | None, ...] | None]]:
    """(start, end, key) of each run of equal keys, ends inclusive; a blank label is a run of its own row."""
    start = 0
    for i in range(1, len(keys) + 1):
        if i == len(keys) or keys[i] != keys[start] or not keys[start][-1]:
            yield start, i - 1, keys[start]
            start = i


def _decimals(rate: float | None) -> int:
    """How many decimals a percent needs to show as scored: 94 → 0, 93.94 → 2."""
    if rate is None:
        return 0
    text = plain(to_decimal(rate))
    return len(text.split(".")[1]) if "." in text else 0


def _tidy(x: float) -> float:
    """A sum of weights as typed: 100, not 99.99999999999999."""
    return round(x, 6)


def _conclusion(result: Result) -> str:
    if result.total is None:
        return ""
    scores = result.indicators
    applicable = [s for s in scores if s.applicable]
    full = sum(1 for s in applicable if s.score is not None and s.indicator.weight and s.score >= s.indicator.weight)
    parts = [f"本项目绩效自评总分{_num(result.total)}分，自评等级为“{result.grade or ''}”"]
    rate = result.funds.execution_rate if result.funds else None
    if rate is not None and result.execution_score is not None:
        parts.append(
            f"预算执行率{_num(rate)}%，预算执行得分{_num(result.execution_score)}分"
            f"（分值{_num(result.execution_weight or 0.0)}分）"
        )
    if scores:
        done = f"{len(applicable)}项绩效指标中{full}项得满分"
        if len(applicable) < len(scores):
            done += f"，另有{len(scores) - len(applicable)}项本年度不适用，总分按其余指标折算为百分制"
        parts.append(done)
    return "；".join(parts) + "。"


def _num(x: float) -> str:
    return plain(to_decimal(round(x, 6)))
