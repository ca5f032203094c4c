"""The plain records that flow through the pipeline: read → reconcile → score → write.

Every record keeps the A1 cell each of its values came from (``cells``), so a finding about a
value can point at the cell a person has to change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .findings import Finding

SHEET_INFO = "项目信息"
SHEET_INDICATORS = "绩效指标"
SHEET_LEDGER = "支出明细"
SHEET_TEAM = "评价工作组"
SHEET_PROBLEMS = "问题与措施"
SHEET_HELP = "填表说明"
SHEET_RESULT = "评分结果"


@dataclass
class Project:
    """项目信息: one value per label. Amounts are in ``money_unit``."""

    year: int | None = None
    unit: str | None = None
    department: str | None = None
    name: str | None = None
    code: str | None = None  # 项目编码, where the form has one (a national form may)
    manager: str | None = None
    contact: str | None = None
    phone: str | None = None
    email: str | None = None
    basis: str | None = None
    overview: str | None = None
    goals: str | None = None
    goals_met: str | None = None
    organisation: str | None = None
    method: str | None = None
    money_unit: str = "万元"
    initial_budget: float | None = None
    budget: float | None = None
    received: float | None = None
    fiscal: float | None = None
    executed: float | None = None
    execution_weight: float | None = None
    cells: dict[str, str] = field(default_factory=dict)


@dataclass
class Indicator:
    """One row of 绩效指标. ``target`` and ``actual`` are the cell text as a person reads it."""

    row: int
    level1: str | None
    level2: str | None
    name: str | None
    nature: str | None
    target: str | None
    unit: str | None
    actual: str | None
    weight: float | None
    claimed: float | None
    reason: str | None = None
    basis: str | None = None
    description: str | None = None
    cells: dict[str, str] = field(default_factory=dict)


@dataclass
class Payment:
    """One row of 支出明细. ``amount`` is None when the cell is not a number."""

    row: int
    date: dt.date | None
    summary: str | None
    amount: float | None
    category: str | None = None
    voucher: str | None = None
    note: str | None = None
    columns: dict[str, str] = field(default_factory=dict)  # field -> column letter, shared by the ledger's rows

    def cell(self, field: str) -> str:
        """The A1 reference of one of this payment's values, e.g. cell("amount") == "C9"."""
        return f"{self.columns[field]}{self.row}"


@dataclass
class Member:
    """One row of 评价工作组."""

    name: str
    organisation: str | None = None
    post: str | None = None
    title: str | None = None
    role: str | None = None


@dataclass
class Remark:
    """One row of 问题与措施: ``kind`` is 问题 or 措施."""

    kind: str | None
    text: str


@dataclass
class Claim:
    """A figure the unit wrote on a national form that the toolkit computes itself (national-form.md): ``what``
    is "execution_rate", "execution_score" or "total"; ``value`` as read (None: left blank), in ``cell``."""

    what: str
    cell: str
    value: Any
    percent: bool = False  # the cell is formatted as a percentage (0.94 shown as 94%)
    formula: bool = False  # the figure is a formula's (the platform's or the sheet's arithmetic), not typed


@dataclass
class MoneyRow:
    """A row of the national form's money block: ``kind`` total, fiscal (当年财政拨款), part (the other 其中 rows)
    or source (a funding source). ``amounts`` by money column (initial_budget, budget, executed), None when
    blank or a dash; ``cells`` the same columns' A1 references."""

    label: str
    kind: str
    amounts: dict[str, float | None]
    cells: dict[str, str]


@dataclass
class DeclaredIndicator:
    """One indicator of a 绩效目标申报表: its 三级指标 and the 目标值 declared for it, in ``cell``."""

    level1: str | None
    level2: str | None
    name: str
    target: str | None
    explanation: str | None
    cell: str  # the 目标值's


@dataclass
class Declaration:
    """One 项目支出绩效目标申报表 (review.md): a project's declared targets, from ``sheet`` of ``file``; ``cells``
    by field (name, code, unit, department, …)."""

    file: Path
    sheet: str
    name: str | None
    code: str | None
    unit: str | None
    department: str | None
    total_amount: float | None
    year_amount: float | None
    goals: str | None
    long_goals: str | None
    indicators: list[DeclaredIndicator]
    cells: dict[str, str] = field(default_factory=dict)
    problem: str | None = None  # what keeps it from being matched or compared, in Chinese

    def where(self, cell: str) -> str:
        """A cell of this declaration as a person finds it: 申报表.xlsx!Sheet1!D12."""
        return f"{self.file.name}!{self.sheet}!{cell}"


@dataclass
class Form:
    """What the reader took from one form (our whole workbook, or one national form's sheet), and the problems it
    met on the way."""

    path: Path
    kind: str  # what the file really is: "xlsx", "xlsm", "xls", "ods" or "xml" (SpreadsheetML 2003)
    all_sheets: list[str]  # every sheet's name, in the workbook's order
    scored_sheet: str | None  # the 评分结果 sheet an earlier run of xlsx-eval wrote, if any
    sheet_names: dict[str, str]  # canonical name -> name as written in the file
    project: Project
    indicators: list[Indicator]
    payments: list[Payment] | None  # None: no 支出明细 sheet
    team: list[Member]
    remarks: list[Remark]
    indicator_header: dict[str, str]  # 绩效指标 field -> its header cell, e.g. "weight": "H1"
    findings: list[Finding]
    scorable: bool  # False when a required sheet, column or figure is missing
    layout: str = "workbook"  # or "national"
    form_sheet: str | None = None  # the national form's sheet
    claims: list[Claim] = field(default_factory=list)  # a national form's own figures, checked by score.claims
    money_rows: list[MoneyRow] = field(default_factory=list)

    def sheet(self, canonical: str) -> str:
        """The sheet's name as written in the file (names may carry stray spaces)."""
        return self.sheet_names.get(canonical, canonical)


@dataclass
class IndicatorScore:
    indicator: Indicator
    nature: str | None  # ≥ ≤ = 定性, or None when not applicable / unreadable
    score: float | None  # None when not applicable
    applicable: bool

    def to_dict(self, sheet: str) -> dict[str, Any]:
        ind = self.indicator
        return {
            "sheet": sheet,
            "row": ind.row,
            "level1": ind.level1,
            "level2": ind.level2,
            "name": ind.name,
            "nature": self.nature,
            "target": ind.target,
            "actual": ind.actual,
            "weight": ind.weight,
            "score": self.score,
            "applicable": self.applicable,
        }


@dataclass
class Funds:
    unit: str
    budget: float | None
    received: float | None
    fiscal: float | None
    executed: float | None
    ledger_total: float | None
    execution_rate: float | None  # percent, as scored (after rounding)

    @property
    def difference(self) -> float | None:
        """全年执行数 − 支出明细合计."""
        if self.executed is None or self.ledger_total is None:
            return None
        return round(self.executed - self.ledger_total, 6)


@dataclass
class Result:
    """The outcome for one input workbook; ``to_dict`` is the JSON of output.md."""

    file: Path
    output: Path | None
    scored: bool
    project: Project | None
    funds: Funds | None
    execution_weight: float | None
    execution_score: float | None
    indicators: list[IndicatorScore]
    total: float | None
    grade: str | None
    findings: list[Finding]
    indicator_sheet: str = SHEET_INDICATORS
    layout: str = "workbook"
    sheet: str | None = None  # the national form's sheet (one workbook may hold several forms)
    rules: dict[str, Any] = field(
        default_factory=dict
    )  # {"name", "title", "digest", "grades"} of the rules that scored it
    report: Path | None = None  # the 自评报告 .docx written beside the scored copy (convert --report)
    claimed_total: float | None = None  # the 总分 the unit typed on a national form (not a formula's value)
    #: the 绩效目标申报表 it was compared with: {"file", "sheet", "matched_by": "code" or "name"}; None: none
    declaration: dict[str, str] | None = None
    # The failure may not recur (a worker killed or timed out, a full disk): an output folder's store does not
    # keep such a result for --changed-only. Not part of the JSON.
    transient: bool = False

    @property
    def errors(self) -> int:
        return sum(f.severity.value == "error" for f in self.findings)

    @property
    def warnings(self) -> int:
        return sum(f.severity.value == "warning" for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        p = self.project
        f = self.funds
        return {
            "file": str(self.file),
            "layout": self.layout,
            "sheet": self.sheet,
            "output": str(self.output) if self.output else None,
            "report": str(self.report) if self.report else None,
            "scored": self.scored,
            "project": {
                "year": p.year,
                "unit": p.unit,
                "department": p.department,
                "name": p.name,
                "code": p.code,
                "contact": p.contact,
                "email": p.email,
            }
            if p
            else None,
            "funds": (
                {
                    "unit": f.unit,
                    "budget": f.budget,
                    "received": f.received,
                    "fiscal": f.fiscal,
                    "executed": f.executed,
                    "ledger_total": f.ledger_total,
                    "execution_rate": f.execution_rate,
                }
                if f
                else None
            ),
            "execution_weight": self.execution_weight,
            "execution_score": self.execution_score,
            "indicators": [s.to_dict(self.indicator_sheet) for s in self.indicators],
            "total": self.total,
            "claimed_total": self.claimed_total,
            "declaration": self.declaration,
            "grade": self.grade,
            "findings": [x.to_dict() for x in self.findings],
            "rules": self.rules,
        }
