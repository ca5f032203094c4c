"""The bureau's review checks (review.md) on one scored form: where a reviewer should look first, and why, each
finding on the cell to look at. Every check can be switched off and has its threshold in the rules' [review].

The declared targets (TARGET_CHANGED, INDICATOR_DROPPED, INDICATOR_ADDED) need the 绩效目标申报表 and are not here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

from ..findings import Finding, finding
from ..model import SHEET_INFO, SHEET_PROBLEMS, Form, Indicator, Result
from ..values import canon, half_up, money, parse_quantity, plain, quoted, split_comparison, to_decimal
from .rules import Rules

#: Words that say a 满意度 was measured, not guessed.
SURVEY_WORDS = ("调查", "问卷", "测评", "抽样", "回访", "样本")
#: Words that say why the budget was changed during the year.
ADJUSTMENT_WORDS = ("调整", "追加", "调增", "调减", "压减", "收回", "调剂")
#: The 二级指标 whose targets must be measurable: a number, not "按时完成".
MEASURED_KINDS = ("数量", "质量", "时效", "成本")
_NUMBER = re.compile(r"[0-9零〇一二两三四五六七八九十百千万]")  # matched on canon(): full-width digits are digits
# A name left as the template's example or filled to have something there.
_PLACEHOLDER = re.compile(r"指标[0-9一二三四五六七八九十]*|[xX×*]+|[.…。、\-—_~]+|待定|无|略", re.IGNORECASE)


def review(wb: Form, result: Result, rules: Rules) -> list[Finding]:
    """Every review check that is switched on, for a form that was scored (pipeline._score calls it for those)."""
    checks: list[Callable[[Form, Result, Rules], list[Finding]]] = [
        _score_outruns_spending,
        _unspent_share,
        _budget_adjusted,
        _vague_targets,
        _placeholders,
        _actual_copies_target,
        _satisfaction_without_survey,
        _no_cost_indicator,
        _low_score_without_measures,
    ]
    return [f for check in checks for f in check(wb, result, rules)]


def _percent(d: Decimal, beyond: Decimal | None = None) -> str:
    """``d`` (a percentage) to one decimal, or to as many more as it takes not to read as ``beyond``, the threshold
    it passed (20.04 past 20 is "20.04", not "20")."""
    places = 1
    while beyond is not None and places < 6 and half_up(d, places) == beyond:
        places += 1
    return plain(half_up(d, places))


def _score_outruns_spending(wb: Form, result: Result, rules: Rules) -> list[Finding]:
    check = rules.check("SCORE_OUTRUNS_SPENDING")
    scored = [
        (s.score, s.indicator.weight)
        for s in result.indicators
        if s.applicable and s.score is not None and s.indicator.weight is not None
    ]
    weights = sum((to_decimal(weight) for _, weight in scored), Decimal(0))
    if check is None or weights <= 0 or not result.execution_weight or result.execution_score is None:
        return []
    indicators = sum((to_decimal(score) for score, _ in scored), Decimal(0)) / weights * 100
    spending = to_decimal(result.execution_score) / to_decimal(result.execution_weight) * 100
    assert check.threshold is not None
    if indicators <= 0:
        return []
    gap = (indicators - spending) / indicators * 100
    if gap <= check.threshold:
        return []
    p = wb.project
    return [
        finding(
            "SCORE_OUTRUNS_SPENDING",
            wb.sheet(SHEET_INFO),
            p.cells.get("executed", ""),
            f"指标得分率 {_percent(indicators)}%，预算执行得分率 {_percent(spending)}%：指标完成得比资金执行快 "
            f"{_percent(gap, check.threshold)}%（超过 {plain(check.threshold)}%）；请核实各项实际完成值是否都有相应的支出",
        )
    ]


def _unspent_share(wb: Form, result: Result, rules: Rules) -> list[Finding]:
    check = rules.check("UNSPENT_SHARE")
    p = wb.project
    if check is None or not p.budget or p.budget <= 0 or p.executed is None:
        return []
    budget, executed = to_decimal(p.budget), to_decimal(p.executed)
    unspent = (budget - executed) / budget * 100
    assert check.threshold is not None
    if unspent <= check.threshold:
        return []
    return [
        finding(
            "UNSPENT_SHARE",
            wb.sheet(SHEET_INFO),
            p.cells.get("executed", ""),
            f"全年预算数 {money(budget)}{p.money_unit}，全年执行数 {money(executed)}{p.money_unit}，"
            f"{_percent(unspent, check.threshold)}% 未支出（超过 {plain(check.threshold)}%）；请说明资金结余的原因，或核实全年执行数",
        )
    ]


def unexplained_adjustment(wb: Form, rules: Rules) -> Decimal | None:
    """How far (in %) 全年预算数 moved from 年初预算数, when it moved by BUDGET_ADJUSTED's threshold or more and the
    form says nowhere why; else None. (Also what a rules file's adjusted_budget_cap caps the total by.)"""
    p = wb.project
    threshold = dict(rules.review)["BUDGET_ADJUSTED"].threshold
    if threshold is None or not p.initial_budget or p.initial_budget <= 0 or p.budget is None:
        return None
    initial, budget = to_decimal(p.initial_budget), to_decimal(p.budget)
    change = abs(budget - initial) / initial * 100
    return None if change < threshold or _explains_adjustment(wb) else change


def _budget_adjusted(wb: Form, result: Result, rules: Rules) -> list[Finding]:
    check = rules.check("BUDGET_ADJUSTED")
    change = unexplained_adjustment(wb, rules)
    if check is None or change is None:
        return []
    assert check.threshold is not None
    p = wb.project
    initial, budget = to_decimal(p.initial_budget or 0), to_decimal(p.budget or 0)
    return [
        finding(
            "BUDGET_ADJUSTED",
            wb.sheet(SHEET_INFO),
            p.cells.get("budget", ""),
            f"全年预算数 {money(budget)}{p.money_unit} 比年初预算数 {money(initial)}{p.money_unit}"
            f"{'增加' if budget > initial else '减少'}了 {_percent(change)}%（达到 {plain(check.threshold)}%），"
            f"表中没有说明调整原因；请在项目概况、偏差原因或问题与措施中写明预算为何调整",
        )
    ]


def _explains_adjustment(wb: Form) -> bool:
    p = wb.project
    texts = [p.overview, p.goals_met, p.method] + [r.text for r in wb.remarks] + [i.reason for i in wb.indicators]
    return any(word in t for t in texts if t for word in ADJUSTMENT_WORDS)


def _vague_targets(wb: Form, result: Result, rules: Rules) -> list[Finding]:
    if rules.check("VAGUE_TARGET") is None:
        return []
    return [
        finding(
            "VAGUE_TARGET",
            result.indicator_sheet,
            ind.cells.get("target", ""),
            f"{ind.level2}“{quoted(ind.name or '')}”的指标值“{quoted(ind.target)}”没有数字，无法衡量是否完成；"
            f"请写成可以核对的数值，如“≥95%”“≤30个工作日”",
        )
        for ind in wb.indicators
        if ind.target
        and any(kind in (ind.level2 or "") for kind in MEASURED_KINDS)
        and not _NUMBER.search(canon(ind.target))
    ]


def _placeholders(wb: Form, result: Result, rules: Rules) -> list[Finding]:
    if rules.check("PLACEHOLDER_INDICATOR") is None:
        return []
    found = []
    for ind in wb.indicators:
        name = canon(ind.name or "")
        if not name:
            continue
        if _PLACEHOLDER.fullmatch(name):
            why = "像是模板中的示例或占位文字"
        elif ind.target and canon(ind.target) == name:
            why = "与其指标值相同"
        else:
            continue
        found.append(
            finding(
                "PLACEHOLDER_INDICATOR",
                result.indicator_sheet,
                ind.cells.get("name", ""),
                f"三级指标“{quoted(ind.name)}”{why}，不是实际的绩效指标；请写明该项目具体衡量的内容",
            )
        )
    return found


def _actual_copies_target(wb: Form, result: Result, rules: Rules) -> list[Finding]:
    check = rules.check("ACTUAL_COPIES_TARGET")
    filled = [ind for ind in wb.indicators if ind.target and ind.actual]
    copied = [ind for ind in filled if canon(ind.actual or "") == canon(ind.target or "")]
    if check is None or not copied:
        return []
    assert check.threshold is not None
    share = Decimal(len(copied)) / len(filled) * 100
    if share <= check.threshold:
        return []
    first: Indicator = copied[0]
    return [
        finding(
            "ACTUAL_COPIES_TARGET",
            result.indicator_sheet,
            first.cells.get("actual", ""),
            f"{len(filled)} 项指标中有 {len(copied)} 项的实际完成值与指标值一字不差（超过 {plain(check.threshold)}%），"
            f"像是照抄了指标值而没有实际测量；请逐项填写实际测得的数值",
        )
    ]


def _satisfaction_without_survey(wb: Form, result: Result, rules: Rules) -> list[Finding]:
    check = rules.check("SATISFACTION_NO_SURVEY")
    if check is None:
        return []
    assert check.threshold is not None
    found = []
    for ind in wb.indicators:
        if "满意度" not in f"{ind.level1 or ''}{ind.level2 or ''}" or not ind.actual:
            continue
        quantity = parse_quantity(split_comparison(ind.actual)[1])
        if quantity is None or quantity.unit != "%" or quantity.value < check.threshold:
            continue
        said = "".join(t for t in (ind.basis, ind.description, ind.reason) if t)
        if any(word in said for word in SURVEY_WORDS):
            continue
        found.append(
            finding(
                "SATISFACTION_NO_SURVEY",
                result.indicator_sheet,
                ind.cells.get("actual", ""),
                f"满意度“{quoted(ind.name or '')}”为 {quoted(ind.actual)}，但指标依据和说明中没有提到调查；"
                f"请写明满意度是怎样得来的（问卷调查、抽样回访等，样本多少）",
            )
        )
    return found


def has_cost_indicator(wb: Form) -> bool:
    """Whether some indicator stands under a 成本指标 (also what a rules file's no_cost_deduction goes by)."""
    return any("成本" in (ind.level2 or "") for ind in wb.indicators)


def _no_cost_indicator(wb: Form, result: Result, rules: Rules) -> list[Finding]:
    if rules.check("NO_COST_INDICATOR") is None or has_cost_indicator(wb):
        return []
    return [
        finding(
            "NO_COST_INDICATOR",
            result.indicator_sheet,
            wb.indicator_header.get("level2", ""),
            "绩效指标中没有成本指标；请考虑设置成本指标（如“≤预算数”“单位成本≤…元”），以衡量资金使用的经济性",
        )
    ]


def _is_measure(wb: Form, kind: str | None) -> bool:
    """A line of 问题 or 措施: on our 问题与措施 sheet any line (its 类别 may be blank); on a national form only the
    rows labelled so (not its 自评结论 or 其他需说明问题)."""
    return kind in ("问题", "措施") or (wb.layout == "workbook" and kind is None)


def _low_score_without_measures(wb: Form, result: Result, rules: Rules) -> list[Finding]:
    check = rules.check("LOW_SCORE_NO_MEASURES")
    if check is None or result.total is None:
        return []
    assert check.threshold is not None
    if to_decimal(result.total) >= check.threshold:
        return []
    written = {r.kind for r in wb.remarks if _is_measure(wb, r.kind) and r.text.strip()}
    missing = () if None in written else tuple(k for k in ("问题", "措施") if k not in written)  # None: ours, either
    if written and (rules.measures_required == "any" or not missing):
        return []
    named: dict[tuple[str, ...], str] = {("问题",): "存在的问题", ("措施",): "改进措施"}
    said = named.get(missing, "存在的问题和改进措施")
    return [
        finding(
            "LOW_SCORE_NO_MEASURES",
            wb.form_sheet or wb.sheet(SHEET_PROBLEMS),
            "",
            f"总分 {plain(to_decimal(result.total))} 低于 {plain(check.threshold)} 分，但没有填写{said}；"
            f"请写明未完成目标的原因和下一步的改进措施",
        )
    ]
