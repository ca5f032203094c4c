"""Our own workbook (template.md): 项目信息 as label / value rows, and four tables with a header row.

Each entry says what the reader looks for and what the template writes: the label or header, the model field,
whether it is required, how its value is read, and for the template its hint, width and cell format
("text", "literal" for the text format @, "amount", "int", "date").
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import SHEET_INDICATORS, SHEET_INFO, SHEET_LEDGER, SHEET_PROBLEMS, SHEET_TEAM
from . import Label


@dataclass(frozen=True)
class Field(Label):
    """One label of 项目信息: column A the label, column B the value, column C the hint."""

    hint: str = ""
    cell: str = "text"
    default: object = None
    lines: int = 1  # the template's row is at least this many lines high: paragraphs get room to write


@dataclass(frozen=True)
class Column(Label):
    """One column of a table; ``starred``: marked required in the template (red header)."""

    width: float = 10
    cell: str = "text"
    starred: bool | None = None  # None: as ``required``

    @property
    def marked(self) -> bool:
        return self.required if self.starred is None else self.starred


@dataclass(frozen=True)
class Table:
    """A data sheet: its header on row 1 of the template, then ``rows`` input rows."""

    sheet: str
    columns: tuple[Column, ...]
    rows: int

    @property
    def required(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)


# 项目信息, in the template's order (评价年度 on row 2, 预算执行率分值 on row 22).
PROJECT_FIELDS = (
    Field("评价年度", "year", required=True, kind="year", hint="被评价的预算年度，四位数字，如 2020", cell="int"),
    Field("单位名称", "unit", required=True, hint="开展自评的单位全称"),
    Field("主管部门", "department", hint="本单位的主管部门"),
    Field("项目名称", "name", required=True, hint="与预算批复一致的项目名称"),
    Field("项目负责人", "manager", hint="项目负责人姓名"),
    Field("联系人", "contact", hint="填表联系人姓名"),
    Field("联系电话", "phone", hint="座机或手机号码", cell="literal"),
    Field("联系人邮箱", "email", hint="评分后的工作簿将发送到此邮箱"),
    Field("评价依据", "basis", hint="所依据的绩效评价办法，如《石家庄市财政支出绩效评价办法》"),
    Field("项目概况", "overview", hint="项目背景、立项依据和主要内容", lines=3),
    Field("年度总体目标", "goals", hint="本年度的总体绩效目标，每行一条（单元格内按 Alt+Enter 换行）", lines=3),
    Field("目标完成情况", "goals_met", hint="年度目标的实际完成情况", lines=3),
    Field("自评组织工作", "organisation", hint="自评工作如何组织；工作组名单填在“评价工作组”表", lines=3),
    Field("自评方法和过程", "method", hint="自评采用的方法和工作过程", lines=3),
    Field("金额单位", "money_unit", hint="万元（默认）或 元，适用于本工作簿中的所有金额", default="万元"),
    Field("年初预算数", "initial_budget", kind="amount", hint="年初批复的预算金额，填数字", cell="amount"),
    Field(
        "全年预算数",
        "budget",
        required=True,
        kind="amount",
        hint="经调整后的全年预算金额，填数字，须大于 0",
        cell="amount",
    ),
    Field("资金到位数", "received", kind="amount", hint="实际到位的资金，填数字", cell="amount"),
    Field("其中财政资金", "fiscal", kind="amount", hint="到位资金中的财政资金，填数字", cell="amount"),
    Field(
        "全年执行数",
        "executed",
        required=True,
        kind="amount",
        hint="全年实际支出，应等于支出明细金额合计",
        cell="amount",
    ),
    Field(
        "预算执行率分值",
        "execution_weight",
        kind="number",
        hint="预算执行率指标的分值，默认 10 分",
        cell="amount",
        default=10,
    ),
)

INDICATOR_TABLE = Table(
    SHEET_INDICATORS,
    (
        Column("一级指标", "level1", required=True, width=12),
        Column("二级指标", "level2", required=True, width=20),
        Column("三级指标", "name", required=True, width=40),
        Column("指标性质", "nature", width=9, cell="literal"),
        Column("年度指标值", "target", required=True, width=12, cell="literal"),
        Column("计量单位", "unit", width=9),
        # not starred in template.md, but nothing can be scored without it
        Column("实际完成值", "actual", required=True, starred=False, width=12, cell="literal"),
        Column("分值", "weight", required=True, width=8, cell="amount"),
        Column("自评得分", "claimed", width=10, cell="amount"),
        Column("偏差原因分析及改进措施", "reason", width=30),
        Column("指标值确定依据", "basis", width=16),
        Column("绩效指标描述", "description", width=44),
    ),
    rows=30,
)

LEDGER_TABLE = Table(
    SHEET_LEDGER,
    (
        Column("日期", "date", required=True, width=12, cell="date"),
        Column("摘要", "summary", required=True, width=36),
        Column("金额", "amount", required=True, width=12, cell="amount"),
        Column("支出类别", "category", width=12),
        Column("凭证号", "voucher", width=12, cell="literal"),
        Column("备注", "note", width=24),
    ),
    rows=200,
)

TEAM_TABLE = Table(
    SHEET_TEAM,
    (
        Column("姓名", "name", required=True, width=10),
        Column("工作单位", "organisation", width=24),
        Column("职务", "post", width=16),
        Column("职称", "title", width=14),
        Column("分工", "role", width=10),
    ),
    rows=15,
)

REMARK_TABLE = Table(
    SHEET_PROBLEMS,
    (Column("类别", "kind", width=10), Column("内容", "text", required=True, starred=False, width=90)),
    rows=15,
)

TABLES = (INDICATOR_TABLE, LEDGER_TABLE, TEAM_TABLE, REMARK_TABLE)
SHEETS = (SHEET_INFO, SHEET_INDICATORS, SHEET_LEDGER, SHEET_TEAM, SHEET_PROBLEMS)
