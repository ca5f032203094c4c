"""National 项目支出绩效自评表 forms for the reader's tests, built by hand, independently of xlsx_eval.write.

One description, ``NationalForm`` (what the form says and which variant of national-form.md it is), is laid
out once on a grid (``lay_out``) and written by one writer per format:

- ``write_xlsx``: openpyxl, with merges, thin borders, 宋体, widths, A4 page setup, as a province prints it;
- ``write_xls``: xlwt (BIFF8), the same grid;
- ``write_spreadsheetml``: the budget platform's XML 表格 (SpreadsheetML 2003, named .xls by the caller), cells
  placed with ss:Index, spans with ss:MergeAcross / ss:MergeDown; with ``formulas=True`` the money block's
  total row, 执行率, 得分 and the 总分 row carry uncalculated R1C1 formulas with placeholder values.

Each writer takes the path and the sheets in order (``NationalForm`` or ``Cover``) and returns the path.

The seed form, ``SEED`` (the shipped example's case), as ``lay_out`` places it (tests refer to these cells):

    1   A1:I1 项目支出绩效自评表
    2   A2:I2 （2020年度）
    3   A3 项目名称                B3:I3 值班视频系统安装经费
    4   A4 主管部门  B4:D4 …       E4 实施单位  F4:I4 长安区委办公室
    5   A5:A9 项目资金（万元）  B5:C5 –   D5 年初预算数  E5 全年预算数  F5 全年执行数  G5 分值  H5 执行率  I5 得分
    6   B6:C6 年度资金总额          D6 35  E6 35  F6 32.88  G6 10  H6 0.94 (0%)  I6 9.4
    7   B7:C7 其中：当年财政拨款    35  35  32.88  —  —  —
    8   B8:C8 上年结转资金          (blank)
    9   B9:C9 其他资金              —  —  —
    10  A10:A11 年度总体目标  B10:D10 预期目标  E10:I10 实际完成情况;  row 11 their texts
    12  A12:A21 绩效指标  B12 一级指标  C12 二级指标  D12 三级指标  E12 年度指标值  F12 实际完成值  G12 分值  H12 得分
        I12 偏差原因分析及改进措施
    13–21 the nine indicators; 一级 merged B13:B15 产出, B16:B18 效益, B19:B21 满意度; 二级 C14:C15 质量指标,
        C19:C21 服务对象满意度指标
    22  A22:F22 总分  G22 100  H22 99.4
    23–26 narrative rows: A label, B:I text (自评结论, 存在问题, 改进措施, 联系人)

The money block's columns are the last ones of the sheet (its row labels span what is left after column A);
the indicator table's columns follow ``columns`` from column B; 总分 spans up to the first of 分值 / 得分.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl
import xlwt
from openpyxl.styles import Alignment, Border, Font, Side

DASH = "—"

Amount = float | int | str | None  # a number, a dash or blank


@dataclass(frozen=True)
class Money:
    """A row of the money block; the first row of a form's block is its total row (年度资金总额)."""

    label: str
    initial: Amount = None  # 年初预算数
    budget: Amount = None  # 全年预算数
    executed: Amount = None  # 全年执行数


@dataclass(frozen=True)
class Ind:
    """A row of the indicator table as the unit filled it; ``claimed`` is its 得分. With a 年初指标值 column,
    ``initial`` is that cell and ``target`` the 调整后指标值."""

    level1: str | None
    level2: str | None
    name: str | None
    target: str | None = None
    actual: str | None = None
    weight: float | None = None
    claimed: float | None = None
    reason: str | None = None
    nature: str | None = None
    unit: str | None = None
    initial: str | None = None


@dataclass(frozen=True)
class Error:
    """A SpreadsheetML error value, the placeholder a platform export leaves in an uncalculated cell."""

    text: str = "#DIV/0!"


INDICATOR_HEADERS = {
    "level1": "一级指标",
    "level2": "二级指标",
    "name": "三级指标",
    "nature": "指标性质",
    "initial": "年初指标值",
    "target": "年度指标值",
    "unit": "计量单位",
    "actual": "实际完成值",
    "weight": "分值",
    "score": "得分",
    "reason": "偏差原因分析及改进措施",
}
MONEY_HEADERS = {
    "initial": "年初预算数",
    "budget": "全年预算数",
    "executed": "全年执行数",
    "weight": "分值",
    "rate": "执行率",
    "score": "得分",
}
WIDTHS = {  # characters, by indicator column
    "level1": 10,
    "level2": 13,
    "name": 28,
    "nature": 7,
    "initial": 11,
    "target": 11,
    "unit": 7,
    "actual": 11,
    "weight": 7,
    "score": 7,
    "reason": 20,
}

GOALS = "对值班人员及其工作进行有效的监督和管理\n更好地开展值班工作"
GOALS_MET = (
    "截至2020年12月，市委办公室要求的值班视频系统已安装完成，并且保持7*24小时不间断运行，"
    "保证系统音视频设备均可正常使用，实现了与上级值班室的实时联通。"
)
PROBLEM = "值班视频系统安装系统经费项目所有绩效目标执行情况均已达到年初目标,未发现明显问题。"
MEASURES = (
    "一是加强预算支出管理，严格控制成本，进一步完善经费支出的审批环节。\n二是加强值班工作的督导和管理，提高工作效率。"
)

SEED_MONEY = (
    Money("年度资金总额", 35, 35, 32.88),
    Money("其中：当年财政拨款", 35, 35, 32.88),
    Money("上年结转资金"),
    Money("其他资金", DASH, DASH, DASH),
)


def _met(level1: str, level2: str, name: str, weight: float) -> Ind:
    return Ind(level1, level2, name, "≥100%", "100%", weight, claimed=weight)


# workbook_templates/example.xlsx, 绩效指标: nine indicators, all met, weights 10+10+20+20+10+10+5+3+2 = 90
SEED_INDICATORS = (
    _met("产出指标", "成本指标", "经费严格控制在预算内", 10),
    _met("产出指标", "质量指标", "值班设备时刻处于工作状态并实时维护", 10),
    _met("产出指标", "质量指标", "保证系统7*24小时运行", 20),
    _met("效益指标", "可持续影响指标", "值班工作作为长期性日常性工作开展", 20),
    _met("效益指标", "社会效益指标", "确保办公设备正常运转", 10),
    _met("效益指标", "可持续影响指标", "做好服务保障，提高工作效率", 10),
    _met("满意度指标", "服务对象满意度指标", "上级单位满意度", 5),
    _met("满意度指标", "服务对象满意度指标", "值班人员对值班环境及系统使用方面满意度", 3),
    _met("满意度指标", "服务对象满意度指标", "其他部门单位对本单位值班情况的满意度", 2),
)


@dataclass(frozen=True)
class NationalForm:
    """One filled 项目支出绩效自评表 on one sheet, with a switch for each variant."""

    sheet: str = "项目支出绩效自评表"
    title: str = "项目支出绩效自评表"
    year_row: str | None = "（2020年度）"  # the row below the title; None when the year stands in the title
    name: str | None = "值班视频系统安装经费"  # None: the 项目名称 row is there, its value blank
    code: str | None = None  # a 项目编码 row below 项目名称 (rows below shift by one)
    department: tuple[str, str] = ("主管部门", "中共石家庄市长安区委员会")
    unit: tuple[str, str] = ("实施单位", "长安区委办公室")
    # the money block
    money_label: str = "项目资金（万元）"
    money_columns: tuple[str, ...] = ("initial", "budget", "executed", "weight", "rate", "score")
    money_headers: dict[str, str] = field(default_factory=dict)  # key → header text, over MONEY_HEADERS
    money_rows: tuple[Money, ...] = SEED_MONEY
    execution_weight: float | None = 10  # the total row's 分值 cell
    claimed_rate: float | str | None = "94%"  # "94%" is written as Excel stores it: 0.94 formatted 0%
    claimed_execution: float | None = 9.4
    # 年度总体目标: (预期目标, 实际完成情况), None: no such block
    goals: tuple[str, str] | None = (GOALS, GOALS_MET)
    goals_first: bool = False  # the block above the money block
    # the indicator table
    table_label: str = "绩效指标"
    columns: tuple[str, ...] = ("level1", "level2", "name", "target", "actual", "weight", "score", "reason")
    headers: dict[str, str] = field(default_factory=dict)  # key → header text, over INDICATOR_HEADERS
    indicators: tuple[Ind, ...] = SEED_INDICATORS
    groups: str = "merged"  # 一级/二级 on the first row of a group: "merged" down, or "blank" below
    group_labels: dict[str, str] = field(default_factory=dict)  # group name → label as printed, "产出指标(40分)"
    # 总分 and below
    total_label: str = "总分"
    total_weight: float | None = 100
    claimed_total: float | None = 99.4
    total_format: str | None = None  # the 总分 得分 cell's number format, e.g. "0%"
    narrative: tuple[tuple[str, str], ...] = (
        ("自评结论", "项目各项绩效目标均已完成，资金使用规范，自评等级为优秀。"),
        ("存在问题", PROBLEM),
        ("改进措施", MEASURES),
        ("联系人", "张静  0311-86012345"),
    )
    formulas: bool = False  # platform export: uncalculated R1C1 formulas (write_spreadsheetml only)


@dataclass(frozen=True)
class Cover:
    """A sheet that holds no form: a cover page (封面), or with no lines an empty sheet."""

    sheet: str = "封面"
    lines: tuple[str, ...] = ("2020年度项目支出绩效自评材料", "单位：长安区委办公室", "二〇二一年三月")


SEED = NationalForm()

# The platform export of the seed: four 其中 rows below the total (their blanks sum as 0; a dash would not), so
# rows shift by one against SEED: total row 6, 其中 7–10, goals 11–12, header 13, indicators 14–22, 总分 23.
PLATFORM = replace(
    SEED,
    money_rows=(
        Money("年度资金总额"),  # =R[1]C+R[2]C+R[3]C+R[4]C: 35, 35, 32.88 once calculated
        Money("其中：当年财政拨款", 35, 35, 32.88),
        Money("专项债券资金"),
        Money("上年结转资金"),
        Money("其他资金"),
    ),
    formulas=True,
)


def seed(**changes) -> NationalForm:
    """SEED with some fields changed."""
    return replace(SEED, **changes)


def changed(indicators: tuple[Ind, ...], index: int, **changes) -> tuple[Ind, ...]:
    """``indicators`` with the one at ``index`` changed."""
    return tuple(replace(ind, **changes) if i == index else ind for i, ind in enumerate(indicators))


# ---------------------------------------------------------------------------------------------------------------
# the grid


@dataclass
class Cell:
    value: object = None
    style: str = "value"  # title, subtitle, label, text, value, plain
    fmt: str | None = None  # number format
    formula: str | None = None  # R1C1; ``value`` is then the placeholder
    covered: bool = False  # inside a merge, not its top-left cell


@dataclass
class Grid:
    name: str
    width: int  # columns
    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # r1, c1, r2, c2, 1-based, inclusive
    widths: list[float] = field(default_factory=list)
    heights: dict[int, float] = field(default_factory=dict)  # points

    def put(self, row: int, col: int, value: object, style: str = "value", *, to=None, **kw) -> None:
        """``value`` in (row, col), merged down and across to ``to`` = (row2, col2) when given."""
        r2, c2 = to or (row, col)
        for r in range(row, r2 + 1):
            for c in range(col, c2 + 1):
                assert (r, c) not in self.cells, f"{self.name}: R{r}C{c} laid out twice"
                self.cells[r, c] = Cell(None, style, covered=(r, c) != (row, col))
        self.cells[row, col] = Cell(value, style, **kw)
        if (r2, c2) != (row, col):
            self.merges.append((row, col, r2, c2))

    @property
    def rows(self) -> int:
        return max((r for r, _ in self.cells), default=0)


def _percent(value):
    """("94%" → 0.94 formatted "0%", "93.9%" → 0.939 formatted "0.0%"); anything else as it is, General."""
    if isinstance(value, str) and (m := re.fullmatch(r"(\d+)(?:\.(\d+))?%", value)):
        decimals = len(m.group(2) or "")
        return float(Decimal(value[:-1]) / 100), "0%" if not decimals else "0." + "0" * decimals + "%"
    return value, None


def _offset(rows: int, cols: int) -> str:
    """An R1C1 relative reference: _offset(1, 0) == "R[1]C"."""
    return ("R" if not rows else f"R[{rows}]") + ("C" if not cols else f"C[{cols}]")


def lay_out(sheet: NationalForm | Cover) -> Grid:
    """Where each part of the form stands (see the module's docstring for the seed's cells)."""
    if isinstance(sheet, Cover):
        grid = Grid(sheet.sheet, 8, widths=[12] * 8)
        for i, line in enumerate(sheet.lines, start=1):
            grid.put(i * 2, 1, line, "title" if i == 1 else "subtitle", to=(i * 2, 8))
        return grid
    form = sheet
    last = 1 + len(form.columns)
    grid = Grid(form.sheet, last, widths=[10] + [WIDTHS[k] for k in form.columns])
    half = (last - 1) // 2  # 主管部门's value and 预期目标 span B..half
    marks: dict[str, tuple[int, int]] = {}

    grid.put(1, 1, form.title, "title", to=(1, last))
    grid.heights[1] = 32
    row = 2
    if form.year_row:
        grid.put(row, 1, form.year_row, "subtitle", to=(row, last))
        row += 1
    grid.put(row, 1, "项目名称", "label")
    grid.put(row, 2, form.name, "text", to=(row, last))
    row += 1
    if form.code is not None:
        grid.put(row, 1, "项目编码", "label")
        grid.put(row, 2, form.code, "text", to=(row, last))
        row += 1
    (dept_label, dept), (unit_label, unit) = form.department, form.unit
    grid.put(row, 1, dept_label, "label")
    grid.put(row, 2, dept, "text", to=(row, half))
    grid.put(row, half + 1, unit_label, "label")
    grid.put(row, half + 2, unit, "text", to=(row, last))
    row += 1

    def goals(row: int) -> int:
        if not form.goals:
            return row
        grid.put(row, 1, "年度总体目标", "label", to=(row + 1, 1))
        grid.put(row, 2, "预期目标", "label", to=(row, half))
        grid.put(row, half + 1, "实际完成情况", "label", to=(row, last))
        grid.put(row + 1, 2, form.goals[0], "text", to=(row + 1, half))
        grid.put(row + 1, half + 1, form.goals[1], "text", to=(row + 1, last))
        grid.heights[row + 1] = 60
        return row + 2

    if form.goals_first:
        row = goals(row)

    # the money block: its columns are the sheet's last ones
    first = last - len(form.money_columns) + 1
    money_col = {key: first + i for i, key in enumerate(form.money_columns)}
    top = row
    grid.put(row, 2, None, "label", to=(row, first - 1))
    for key, col in money_col.items():
        grid.put(row, col, form.money_headers.get(key, MONEY_HEADERS[key]), "label")
    grid.heights[row] = 28
    row += 1
    total_row = row
    parts = len(form.money_rows) - 1
    for n, money in enumerate(form.money_rows):
        grid.put(row, 2, money.label, "label", to=(row, first - 1))
        for key, col in money_col.items():
            formula, fmt = None, None
            if key in ("initial", "budget", "executed"):
                value = getattr(money, key)
                if n == 0 and form.formulas:  # the sum of the 其中 rows below
                    value, formula = 0, "=" + "+".join(_offset(k, 0) for k in range(1, parts + 1))
            elif n:
                value = DASH
            elif key == "weight":
                value = form.execution_weight
            elif key == "rate":
                value, fmt = _percent(form.claimed_rate)
                if form.formulas:  # 全年执行数 / 全年预算数
                    fmt = "0%"
                    value = Error()
                    formula = f"={_offset(0, money_col['executed'] - col)}/{_offset(0, money_col['budget'] - col)}"
            else:  # score
                value = form.claimed_execution
                if form.formulas:  # 执行率 × 分值, at most the weight
                    product = f"{_offset(0, money_col['rate'] - col)}*{_offset(0, money_col['weight'] - col)}"
                    w = f"{form.execution_weight:g}"
                    value, formula = 0, f"=IF({product}>{w},{w},{product})"
                marks["execution_score"] = (row, col)
            grid.put(row, col, value, fmt=fmt, formula=formula)
        row += 1
    grid.put(top, 1, form.money_label, "label", to=(row - 1, 1))

    if not form.goals_first:
        row = goals(row)

    # the indicator table
    col_of = {key: 2 + i for i, key in enumerate(form.columns)}
    header_row = row
    for key, col in col_of.items():
        grid.put(row, col, form.headers.get(key, INDICATOR_HEADERS[key]), "label")
    grid.heights[row] = 28
    row += 1
    first_indicator = row
    inds = form.indicators
    group_keys = {
        "level1": [ind.level1 for ind in inds],
        "level2": [(ind.level1, ind.level2) for ind in inds],
    }
    for i, ind in enumerate(inds):
        for key, col in col_of.items():
            if key in group_keys:
                keys = group_keys[key]
                if i and keys[i] == keys[i - 1]:
                    if form.groups == "blank":
                        grid.put(row, col, None)
                    continue  # merged from the group's first row, or blank
                end = i
                while form.groups == "merged" and end + 1 < len(inds) and keys[end + 1] == keys[i]:
                    end += 1
                name = getattr(ind, key)
                label = form.group_labels.get(name, name) if name else None
                grid.put(row, col, label, "label", to=(row + end - i, col))
            elif key == "score":
                grid.put(row, col, ind.claimed)
            else:
                grid.put(row, col, getattr(ind, key), "text" if key in ("name", "reason") else "value")
        grid.heights[row] = 27
        row += 1
    grid.put(header_row, 1, form.table_label, "label", to=(row - 1, 1))

    # 总分
    weight_col, score_col = col_of.get("weight"), col_of["score"]
    grid.put(row, 1, form.total_label, "label", to=(row, min(c for c in (weight_col, score_col) if c) - 1))
    n = row - first_indicator  # the SUM over the indicator rows, plus the money block's cell
    for col, value in ((weight_col, form.total_weight), (score_col, form.claimed_total)):
        if col is None:
            continue
        formula, fmt = None, (form.total_format if col == score_col else None)
        if form.formulas:
            money = money_col["weight" if col == weight_col else "score"]
            value = 0
            formula = f"=SUM({_offset(-n, 0)}:{_offset(-1, 0)})+{_offset(total_row - row, money - col)}"
        grid.put(row, col, value, fmt=fmt, formula=formula)
    for col in range(2, last + 1):
        if (row, col) not in grid.cells:
            grid.put(row, col, None)
    row += 1

    for label, text in form.narrative:
        grid.put(row, 1, label, "label")
        grid.put(row, 2, text, "text", to=(row, last))
        grid.heights[row] = 40
        row += 1
    return grid


# ---------------------------------------------------------------------------------------------------------------
# the writers

FONT = "宋体"


def write_xlsx(path: Path, *sheets: NationalForm | Cover) -> Path:
    """An .xlsx of ``sheets`` (default: the seed form), laid out as a province prints the form."""
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for sheet in sheets or (SEED,):
        grid = lay_out(sheet)
        ws = wb.create_sheet(grid.name)
        for (r, c), cell in sorted(grid.cells.items()):
            if cell.formula:
                raise ValueError("uncalculated formulas are a SpreadsheetML export's: use write_spreadsheetml")
            xc = ws.cell(r, c)
            if not cell.covered:
                xc.value = cell.value
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    xc.data_type = "s"  # "=1套" is a target, not a formula
            xc.font = Font(
                name=FONT, size={"title": 18, "subtitle": 11}.get(cell.style, 10), bold=cell.style == "title"
            )
            horizontal = "left" if cell.style == "text" else "center"
            xc.alignment = Alignment(horizontal=horizontal, vertical="center", wrap_text=True)
            if cell.style not in ("title", "subtitle", "plain"):
                xc.border = border
            if cell.fmt:
                xc.number_format = cell.fmt
        for r1, c1, r2, c2 in grid.merges:
            ws.merge_cells(start_row=r1, start_column=c1, end_row=r2, end_column=c2)
        for i, width in enumerate(grid.widths, start=1):
            ws.column_dimensions[openpyxl.utils.get_column_letter(i)].width = width
        for r, height in grid.heights.items():
            ws.row_dimensions[r].height = height
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
    wb.save(path)
    return Path(path)


def write_xls(path: Path, *sheets: NationalForm | Cover) -> Path:
    """A BIFF8 .xls of ``sheets`` (default: the seed form), written by xlwt."""
    book = xlwt.Workbook(encoding="utf-8")
    styles: dict[tuple[str, str | None], xlwt.XFStyle] = {}

    def style(cell: Cell) -> xlwt.XFStyle:
        key = (cell.style, cell.fmt)
        if key not in styles:
            size = {"title": 360, "subtitle": 220}.get(cell.style, 200)  # twentieths of a point
            spec = f"font: name {FONT}, height {size}{', bold on' if cell.style == 'title' else ''}; "
            spec += f"align: horiz {'left' if cell.style == 'text' else 'center'}, vert center, wrap on"
            if cell.style not in ("title", "subtitle", "plain"):
                spec += "; borders: left thin, right thin, top thin, bottom thin"
            styles[key] = xlwt.easyxf(spec, num_format_str=cell.fmt or "General")
        return styles[key]

    for sheet in sheets or (SEED,):
        grid = lay_out(sheet)
        ws = book.add_sheet(grid.name)
        merged = {(r1, c1): (r2, c2) for r1, c1, r2, c2 in grid.merges}
        for (r, c), cell in sorted(grid.cells.items()):
            if cell.formula:
                raise ValueError("uncalculated formulas are a SpreadsheetML export's: use write_spreadsheetml")
            value = "" if cell.value is None else cell.value
            if (r, c) in merged:
                r2, c2 = merged[r, c]
                ws.write_merge(r - 1, r2 - 1, c - 1, c2 - 1, value, style(cell))
            elif not cell.covered:
                ws.write(r - 1, c - 1, value, style(cell))
        for i, width in enumerate(grid.widths):
            ws.col(i).width = int(width * 256)
        for r, height in grid.heights.items():
            ws.row(r - 1).height_mismatch = True
            ws.row(r - 1).height = int(height * 20)
        ws.paper_size_code = 9  # A4
    book.save(str(path))
    return Path(path)


def _xml_text(value: object) -> str:
    return escape(str(value), {'"': "&quot;"}).replace("\n", "&#10;")


def write_spreadsheetml(path: Path, *sheets: NationalForm | Cover) -> Path:
    """A SpreadsheetML 2003 document of ``sheets`` (default: the platform export of the seed), as the budget
    platform writes it: empty cells left out, positions skipped ahead with ss:Index, formulas uncalculated."""
    style_ids: dict[tuple[str, str | None], str] = {}
    worksheets = []
    for sheet in sheets or (PLATFORM,):
        grid = lay_out(sheet)
        spans = {(r1, c1): (r2 - r1, c2 - c1) for r1, c1, r2, c2 in grid.merges}
        columns = "".join(f'<Column ss:Index="{i}" ss:Width="{w * 6:g}"/>' for i, w in enumerate(grid.widths, 1))
        rows, next_row = [], 1
        for r in range(1, grid.rows + 1):
            cells, next_col = [], 1
            for c in range(1, grid.width + 1):
                cell = grid.cells.get((r, c))
                if cell is None or cell.covered or (cell.value is None and not cell.formula and (r, c) not in spans):
                    continue
                sid = style_ids.setdefault((cell.style, cell.fmt), f"s{len(style_ids) + 21}")
                attrs = "" if c == next_col else f' ss:Index="{c}"'
                down, across = spans.get((r, c), (0, 0))
                attrs += f' ss:MergeAcross="{across}"' * bool(across) + f' ss:MergeDown="{down}"' * bool(down)
                attrs += f' ss:StyleID="{sid}"'
                if cell.formula:
                    attrs += f' ss:Formula="{_xml_text(cell.formula)}"'
                value = cell.value
                if value is None:
                    data = ""
                elif isinstance(value, Error):
                    data = f'<Data ss:Type="Error">{_xml_text(value.text)}</Data>'
                elif isinstance(value, int | float):
                    data = f'<Data ss:Type="Number">{value!r}</Data>'
                else:
                    data = f'<Data ss:Type="String">{_xml_text(value)}</Data>'
                cells.append(f"<Cell{attrs}>{data}</Cell>" if data else f"<Cell{attrs}/>")
                next_col = c + across + 1
            if not cells:
                continue
            attrs = "" if r == next_row else f' ss:Index="{r}"'
            if r in grid.heights:
                attrs += f' ss:AutoFitHeight="0" ss:Height="{grid.heights[r]:g}"'
            rows.append(f"   <Row{attrs}>\n    " + "\n    ".join(cells) + "\n   </Row>")
            next_row = r + 1
        worksheets.append(
            f' <Worksheet ss:Name="{_xml_text(grid.name)}">\n'
            f'  <Table ss:ExpandedColumnCount="{grid.width}" ss:ExpandedRowCount="{grid.rows}"'
            f' x:FullColumns="1" x:FullRows="1" ss:DefaultRowHeight="18">\n   {columns}\n'
            + "\n".join(rows)
            + "\n  </Table>\n"
            '  <WorksheetOptions xmlns="urn:schemas-microsoft-com:office:excel">\n'
            '   <PageSetup><Layout x:Orientation="Portrait"/></PageSetup>\n'
            "   <Print><ValidPrinterInfo/><PaperSizeIndex>9</PaperSizeIndex></Print>\n"
            "  </WorksheetOptions>\n </Worksheet>"
        )
    styles = [
        '  <Style ss:ID="Default" ss:Name="Normal"><Font ss:FontName="宋体" x:CharSet="134" ss:Size="10"/></Style>'
    ]
    for (kind, fmt), sid in style_ids.items():
        size = {"title": 18, "subtitle": 11}.get(kind, 10)
        parts = [
            f'<Alignment ss:Horizontal="{"Left" if kind == "text" else "Center"}" ss:Vertical="Center" ss:WrapText="1"/>'
        ]
        if kind not in ("title", "subtitle", "plain"):
            parts.append(
                "<Borders>"
                + "".join(
                    f'<Border ss:Position="{p}" ss:LineStyle="Continuous" ss:Weight="1"/>'
                    for p in ("Bottom", "Left", "Right", "Top")
                )
                + "</Borders>"
            )
        bold = ' ss:Bold="1"' if kind == "title" else ""
        parts.append(f'<Font ss:FontName="宋体" x:CharSet="134" ss:Size="{size}"{bold}/>')
        if fmt:
            parts.append(f'<NumberFormat ss:Format="{_xml_text(fmt)}"/>')
        styles.append(f'  <Style ss:ID="{sid}">' + "".join(parts) + "</Style>")
    document = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<?mso-application progid="Excel.Sheet"?>\n'
        '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"'
        ' xmlns:o="urn:schemas-microsoft-com:office:office"'
        ' xmlns:x="urn:schemas-microsoft-com:office:excel"'
        ' xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"'
        ' xmlns:html="http://www.w3.org/TR/REC-html40">\n'
        ' <DocumentProperties xmlns="urn:schemas-microsoft-com:office:office">'
        "<Author>预算管理一体化系统</Author></DocumentProperties>\n"
        " <Styles>\n" + "\n".join(styles) + "\n </Styles>\n" + "\n".join(worksheets) + "\n</Workbook>\n"
    )
    Path(path).write_text(document, encoding="utf-8")
    return Path(path)
