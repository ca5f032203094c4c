"""The scoring rules in force: one typed, frozen object with the national form's defaults.

Every figure in scoring.md that a finance bureau may change lives here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Level:
    """A qualitative level (达成, 部分达成, 未达成): the words that name it and its score band.

    ``low``/``high`` are shares of the indicator's weight; the band is [low, high], or
    [low, high) when ``high_open``.
    """

    name: str
    words: tuple[str, ...]
    low: Decimal
    high: Decimal
    default: Decimal
    high_open: bool

    def holds(self, share: Decimal) -> bool:
        return self.low <= share and (share < self.high if self.high_open else share <= self.high)


DEFAULT_LEVELS: tuple[Level, ...] = (
    Level(
        "达成",
        ("达成预期指标", "达成年度指标", "达成", "已完成", "完成", "是", "符合"),
        Decimal("0.8"),
        Decimal("1"),
        Decimal("1"),
        high_open=False,
    ),
    Level(
        "部分达成",
        ("部分达成", "基本达成", "基本完成", "部分完成"),
        Decimal("0.6"),
        Decimal("0.8"),
        Decimal("0.7"),
        high_open=True,
    ),
    Level("未达成", ("未达成", "未完成", "否", "不符合"), Decimal("0"), Decimal("0.6"), Decimal("0.3"), high_open=True),
)

DEFAULT_GRADES: tuple[tuple[Decimal, str], ...] = (
    (Decimal("90"), "优秀"),
    (Decimal("80"), "良好"),
    (Decimal("60"), "中"),
    (Decimal("0"), "差"),
)


@dataclass(frozen=True)
class ReviewCheck:
    """One check of the bureau's review (review.md): whether it runs, its threshold (None for a check that has
    none), and its weight in a form's risk."""

    enabled: bool
    threshold: Decimal | None
    weight: Decimal


#: The review checks of review.md with their defaults, and what each one's threshold is (None: it has none).
REVIEW_CHECKS: dict[str, tuple[ReviewCheck, str | None]] = {
    "SCORE_OUTRUNS_SPENDING": (
        ReviewCheck(True, Decimal("5"), Decimal("3")),
        "指标得分率超过预算执行得分率的幅度（占指标得分率的百分比）超过此数时提示",
    ),
    "UNSPENT_SHARE": (ReviewCheck(True, Decimal("20"), Decimal("1")), "全年预算数未支出的部分超过此百分比时提示"),
    "BUDGET_ADJUSTED": (
        ReviewCheck(True, Decimal("30"), Decimal("1")),
        "全年预算数与年初预算数相差达到年初预算数的此百分比、且未说明调整原因时提示",
    ),
    "VAGUE_TARGET": (ReviewCheck(True, None, Decimal("1")), None),
    "PLACEHOLDER_INDICATOR": (ReviewCheck(True, None, Decimal("1")), None),
    "ACTUAL_COPIES_TARGET": (
        ReviewCheck(True, Decimal("50"), Decimal("1")),
        "实际完成值与指标值一字不差的指标超过全部指标的此百分比时提示",
    ),
    "SATISFACTION_NO_SURVEY": (
        ReviewCheck(True, Decimal("95"), Decimal("0")),
        "满意度达到此百分比、而依据和说明都没有提到调查时提示",
    ),
    "NO_COST_INDICATOR": (ReviewCheck(True, None, Decimal("0")), None),
    "LOW_SCORE_NO_MEASURES": (
        ReviewCheck(True, Decimal("80"), Decimal("1")),
        "总分低于此数、而没有填写问题或措施时提示",
    ),
    "TARGET_CHANGED": (ReviewCheck(True, None, Decimal("3")), None),
    "INDICATOR_DROPPED": (ReviewCheck(True, None, Decimal("1")), None),
    "INDICATOR_ADDED": (ReviewCheck(True, None, Decimal("1")), None),
}


@dataclass(frozen=True)
class Rules:
    """Scoring and reconciliation settings (scoring.md). Defaults: the national form."""

    name: str = "national"
    #: how the rules are named to people (on the 评分结果 sheet)
    title: str = "财政部项目支出绩效自评表（默认规则）"
    #: SHA-256 of the rules file they came from ("" for the built-in defaults), recorded in every output
    digest: str = ""
    #: 预算执行率分值 when the workbook leaves it blank.
    execution_weight: Decimal = Decimal("10")
    #: decimals of the execution rate in percent, as shown and scored ("94%").
    rate_decimals: int = 0
    #: tiered execution scoring, ((lowest rate in %, share of the weight), …) highest first; empty:
    #: weight × rate. E.g. ((90, 1), (80, 0.8), (70, 0.6), (0, 0)).
    execution_tiers: tuple[tuple[Decimal, Decimal], ...] = ()
    #: the total capped by the execution rate, ((rate in % below which, highest total), …); empty: none.
    #: A deployed platform's rule: ((80, 89), (70, 79), (60, 69), (50, 59)).
    total_caps: tuple[tuple[Decimal, Decimal], ...] = ()
    #: decimals of every score and of the total (0: whole points).
    score_decimals: int = 2
    #: a "≤" indicator over its target: "ratio" (weight × T / A) or "linear" (weight × (1 − (A − T) / T), 0 at 2T).
    reverse_formula: str = "ratio"
    #: a 满意度指标 in percent: "target" (against its target like any ≥ indicator) or "rate" (weight × the rate).
    satisfaction_mode: str = "target"
    #: an actual at or above this × its target is 指标偏离 and loses ``deviation_penalty`` points; 0: off.
    deviation_ratio: Decimal = Decimal("0")
    deviation_penalty: Decimal = Decimal("2")
    #: an actual at or above this × its target asks for a 偏差原因 (MISSING_DEVIATION_REASON); 0: never.
    reason_ratio: Decimal = Decimal("0")
    #: the highest total of a form whose budget changed by BUDGET_ADJUSTED's threshold with no reason given; 0: none.
    adjusted_budget_cap: Decimal = Decimal("0")
    #: what a total below LOW_SCORE_NO_MEASURES' threshold must have written: "any" (问题 or 措施) or "both".
    measures_required: str = "any"
    #: points a form without any 成本指标 loses from its total; 0: none.
    no_cost_deduction: Decimal = Decimal("0")
    #: |A − T| within this counts as met for an "=" indicator.
    equal_tolerance: Decimal = Decimal("0")
    #: A ≥ this × T on a "≥" indicator is flagged OVERACHIEVED.
    overachieve_ratio: Decimal = Decimal("1.5")
    #: qualitative levels, checked in order; the first whose word matches wins.
    levels: tuple[Level, ...] = DEFAULT_LEVELS
    #: an actual value (or 指标性质) with one of these words leaves the indicator out.
    not_applicable_words: tuple[str, ...] = ("不适用",)
    #: what weights should add up to, execution weight included.
    weight_total: Decimal = Decimal("100")
    #: (lowest total, label), highest first.
    grades: tuple[tuple[Decimal, str], ...] = DEFAULT_GRADES
    #: how far two amounts may differ and still agree, per money unit.
    money_tolerance: tuple[tuple[str, Decimal], ...] = (
        ("万元", Decimal("0.005")),
        ("元", Decimal("0.5")),
    )
    #: an amount this many times larger (or smaller) than the budget looks like 元 typed as 万元.
    unit_suspect_ratio: Decimal = Decimal("1000")
    #: the review checks (review.md), by code, in REVIEW_CHECKS' order.
    review: tuple[tuple[str, ReviewCheck], ...] = tuple((code, check) for code, (check, _) in REVIEW_CHECKS.items())

    @property
    def achieved(self) -> Level:
        """The top level (达成): what an actual equal to the target text means."""
        return self.levels[0]

    def grade(self, total: Decimal) -> str:
        for lowest, label in self.grades:
            if total >= lowest:
                return label
        return self.grades[-1][1]

    def check(self, code: str) -> ReviewCheck | None:
        """The review check ``code`` when it is switched on, else None."""
        found = dict(self.review)[code]
        return found if found.enabled else None

    def tolerance(self, money_unit: str) -> Decimal:
        return dict(self.money_tolerance).get(money_unit, Decimal("0.005"))


DEFAULT_RULES = Rules()
