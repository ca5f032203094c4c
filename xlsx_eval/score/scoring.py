"""Scoring (scoring.md §1–5, §8): execution rate, each indicator, the total and the grade.

All arithmetic is in Decimal and every shown figure is rounded half up, as the forms do.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ..findings import Finding, finding
from ..model import SHEET_INDICATORS, SHEET_INFO, Form, Indicator, IndicatorScore
from ..values import (
    MONEY_UNITS,
    Quantity,
    canon,
    half_up,
    parse_quantity,
    parse_target,
    plain,
    quoted,
    split_comparison,
    to_decimal,
)
from .review import has_cost_indicator, unexplained_adjustment
from .rules import Level, Rules

QUALITATIVE = "定性"
#: 指标性质 as written → the comparison it means (or 定性).
NATURES = {
    "≥": "≥",
    ">=": "≥",
    ">": "≥",
    "正向": "≥",
    "≤": "≤",
    "<=": "≤",
    "<": "≤",
    "反向": "≤",
    "=": "=",
    "等于": "=",
    QUALITATIVE: QUALITATIVE,
}


@dataclass
class Scores:
    execution_rate: Decimal  # percent, rounded as scored
    execution_weight: Decimal
    execution_score: Decimal
    indicators: list[IndicatorScore]
    total: Decimal
    grade: str
    findings: list[Finding]


def execution(executed: Decimal, budget: Decimal, weight: Decimal, rules: Rules) -> tuple[Decimal, Decimal]:
    """(rate in percent as shown, score): 32.88 / 35 → 94%, and 10 × 94% → 9.4."""
    rate = half_up(executed / budget * 100, rules.rate_decimals)
    if rules.execution_tiers:
        share = next((share for lowest, share in rules.execution_tiers if rate >= lowest), Decimal(0))
    else:
        share = min(rate, Decimal(100)) / 100
    score = half_up(weight * share, rules.score_decimals)
    return rate, score


def score_workbook(wb: Form, rules: Rules) -> Scores:
    """Score a workbook the reader found scorable (it has 全年预算数 and 全年执行数)."""
    project = wb.project
    assert project.budget is not None and project.executed is not None
    weight = to_decimal(project.execution_weight) if project.execution_weight is not None else rules.execution_weight
    rate, exec_score = execution(to_decimal(project.executed), to_decimal(project.budget), weight, rules)

    sheet = wb.sheet(SHEET_INDICATORS)
    findings: list[Finding] = []
    scores = []
    for ind in wb.indicators:
        item_findings: list[Finding] = []
        scores.append(score_indicator(ind, sheet, rules, item_findings))
        findings.extend(item_findings)

    applicable = [s for s in scores if s.applicable]
    got = exec_score + sum((to_decimal(s.score or 0.0) for s in applicable), Decimal(0))
    all_weights = weight + sum((to_decimal(s.indicator.weight) for s in scores if s.indicator.weight), Decimal(0))
    if len(applicable) < len(scores):
        applicable_weights = weight + sum(
            (to_decimal(s.indicator.weight) for s in applicable if s.indicator.weight), Decimal(0)
        )
        total = got / applicable_weights * 100 if applicable_weights else Decimal(0)
    else:
        total = got
    total = half_up(total, rules.score_decimals)
    if rules.no_cost_deduction and wb.indicators and not has_cost_indicator(wb):
        lost = min(rules.no_cost_deduction, total)
        findings.append(
            finding(
                "TOTAL_DEDUCTED",
                sheet,
                wb.indicator_header.get("level2", ""),
                f"绩效指标中没有成本指标，按评分规则总分扣减{plain(lost)}分（{plain(total)} → {plain(total - lost)}）；"
                "请设置成本指标（如“≤预算数”“单位成本≤…元”）",
            )
        )
        total -= lost
    info = wb.sheet(SHEET_INFO)
    cap = min((highest for below, highest in rules.total_caps if rate < below), default=None)
    total = _capped(total, cap, findings, info, project.cells.get("executed", ""), f"预算执行率{plain(rate)}%")
    change = unexplained_adjustment(wb, rules) if rules.adjusted_budget_cap else None
    if change is not None:
        why = f"全年预算数较年初预算数调整了{plain(half_up(change, 1))}%而未说明原因"
        cell = project.cells.get("budget", "")
        total = _capped(total, rules.adjusted_budget_cap, findings, info, cell, why, "；请写明预算调整的原因")

    if all_weights != rules.weight_total and wb.indicators:
        findings.append(
            finding(
                "WEIGHT_SUM",
                sheet,
                wb.indicator_header["weight"],
                f"各指标分值合计{plain(all_weights - weight)}，加预算执行率分值{plain(weight)}共{plain(all_weights)}，"
                f"应为{plain(rules.weight_total)}，请调整各指标分值；总分按各项得分直接相加",
            )
        )
    return Scores(rate, weight, exec_score, scores, total, rules.grade(total), findings)


def _capped(
    total: Decimal, cap: Decimal | None, findings: list[Finding], sheet: str, cell: str, why: str, then: str = ""
) -> Decimal:
    """``total``, or ``cap`` when it is lower, with a TOTAL_CAPPED finding that says ``why`` (and ``then``)."""
    if cap is None or total <= cap:
        return total
    findings.append(
        finding(
            "TOTAL_CAPPED",
            sheet,
            cell,
            f"{why}，按评分规则总分最高{plain(cap)}分，原总分{plain(total)}分扣减{plain(total - cap)}分{then}",
        )
    )
    return cap


def score_indicator(ind: Indicator, sheet: str, rules: Rules, findings: list[Finding]) -> IndicatorScore:
    """Score one indicator, appending what is wrong with it to ``findings``."""
    said = _not_applicable_in(ind, rules)
    if said:
        findings.append(
            finding(
                "NOT_APPLICABLE",
                sheet,
                ind.cells[said],
                f"“{quoted(ind.name)}”不适用，不计分，总分按其余指标折算为百分制",
            )
        )
        return IndicatorScore(ind, None, None, applicable=False)
    nature = _nature(ind, sheet, findings)
    if nature is None or ind.weight is None:
        return IndicatorScore(ind, nature, 0.0, applicable=True)
    weight = to_decimal(ind.weight)
    step = Decimal(1).scaleb(-rules.score_decimals)
    if weight < step:  # 0.004 points: even fully met it rounds to 0
        findings.append(
            finding(
                "BAD_NUMBER",
                sheet,
                ind.cells["weight"],
                f"分值{plain(weight)}小于计分的最小单位{plain(step)}分，得分只能为0；"
                f"请核对分值（如“4”误写成了“0.004”）",
            )
        )
        return IndicatorScore(ind, nature, 0.0, applicable=True)
    if ind.actual is None:
        findings.append(
            finding(
                "MISSING_ACTUAL",
                sheet,
                ind.cells["actual"],
                f"“{quoted(ind.name)}”未填写实际完成值，本项暂计0分；请填写实际完成的数值或“达成预期指标”等完成情况",
            )
        )
        return IndicatorScore(ind, nature, 0.0, applicable=True)
    if nature == QUALITATIVE:
        score = _qualitative(ind, weight, sheet, rules, findings)
    else:
        score = _quantitative(ind, nature, weight, sheet, rules, findings)
        if (
            score is not None
            and ind.claimed is not None
            and half_up(to_decimal(ind.claimed), rules.score_decimals) != score
        ):
            findings.append(
                finding(
                    "CLAIMED_SCORE_MISMATCH",
                    sheet,
                    ind.cells["claimed"],
                    f"填报的自评得分为{plain(to_decimal(ind.claimed))}，按评分规则应为{plain(score)}"
                    f"（{_rule_text(nature)}），已改为{plain(score)}",
                )
            )
    if score is None:
        return IndicatorScore(ind, nature, 0.0, applicable=True)
    if score < weight and not ind.reason:
        findings.append(
            finding(
                "MISSING_DEVIATION_REASON",
                sheet,
                ind.cells.get("reason", ind.cells["actual"]),
                f"“{quoted(ind.name)}”得分{plain(score)}低于分值{plain(weight)}，请在“偏差原因分析及改进措施”中说明原因和改进措施",
            )
        )
    return IndicatorScore(ind, nature, float(score), applicable=True)


def _not_applicable_in(ind: Indicator, rules: Rules) -> str | None:
    """The field ("nature" or "actual") that says the indicator does not apply, if one does."""
    words = {canon(w) for w in rules.not_applicable_words}
    for field in ("nature", "actual"):
        value = getattr(ind, field)
        if value is not None and canon(value) in words:
            return field
    return None


def _nature(ind: Indicator, sheet: str, findings: list[Finding]) -> str | None:
    """≥ ≤ = or 定性, from 指标性质 or, when blank, from the target text; None with a finding if neither works."""
    target_text = ind.target
    if target_text is None:
        findings.append(
            finding(
                "BAD_TARGET",
                sheet,
                ind.cells["target"],
                f"“{quoted(ind.name)}”未填写年度指标值，请填写如“≥100%”“≤35万元”或定性目标",
            )
        )
        return None
    target = parse_target(target_text)
    if ind.nature is not None:
        nature = NATURES.get(canon(ind.nature))
        if nature is None:
            findings.append(
                finding(
                    "BAD_TARGET",
                    sheet,
                    ind.cells["nature"],
                    f"指标性质“{quoted(ind.nature)}”无法识别，请填写“≥”“≤”“=”“定性”或“不适用”，或留空",
                )
            )
            return None
        if nature == QUALITATIVE:
            return nature
        if target is None:
            findings.append(
                finding(
                    "BAD_TARGET",
                    sheet,
                    ind.cells["target"],
                    f"年度指标值“{quoted(target_text)}”无法识别为数值，请填写如“{nature}100%”的指标值，"
                    f"或把指标性质改为“定性”",
                )
            )
            return None
        if target.quantity.value < 0:
            findings.append(
                finding("BAD_TARGET", sheet, ind.cells["target"], _NEGATIVE_TARGET.format(quoted(target_text)))
            )
            return None
        if target.op is not None and target.op != nature:
            findings.append(
                finding(
                    "BAD_TARGET",
                    sheet,
                    ind.cells["target"],
                    f"指标性质为“{nature}”，年度指标值却写作“{quoted(target_text)}”，请统一二者",
                )
            )
            return None
        return nature
    if target is None:
        return QUALITATIVE
    if target.quantity.value < 0:
        findings.append(finding("BAD_TARGET", sheet, ind.cells["target"], _NEGATIVE_TARGET.format(quoted(target_text))))
        return None
    return target.op or "≥"


_NEGATIVE_TARGET = (
    "年度指标值“{}”是负数，无法按实际值与指标值之比评分；请改写为正数的指标，"
    "如“下降5%”写作“≤95%”，或把指标性质改为“定性”"
)


def _rule_text(nature: str) -> str:
    return {
        "≥": "正向指标：分值×实际值/指标值，最高为满分",
        "≤": "反向指标：实际值不超过指标值得满分，否则分值×指标值/实际值",
        "=": "等值指标：相等得满分，否则分值×较小值/较大值",
    }[nature]


def _quantitative(
    ind: Indicator, nature: str, weight: Decimal, sheet: str, rules: Rules, findings: list[Finding]
) -> Decimal | None:
    assert ind.target is not None and ind.actual is not None  # _nature and score_indicator saw to it
    target = parse_target(ind.target)
    assert target is not None
    t_unit = target.quantity.unit or (canon(ind.unit) if ind.unit else "")
    if canon(ind.actual) == canon(ind.target):
        actual = Quantity(target.quantity.value, t_unit)
    else:
        _, rest = split_comparison(ind.actual)  # "≥90%" written as the actual means 90%
        parsed = parse_quantity(rest)
        if parsed is None:
            findings.append(
                finding(
                    "BAD_NUMBER",
                    sheet,
                    ind.cells["actual"],
                    f"实际完成值“{quoted(ind.actual)}”不是数值，本项暂计0分；请填写实际完成的数值，如“94%”",
                )
            )
            return None
        actual = parsed
    t = target.quantity.value
    if nature == "≤":
        pass  # a small plain number beside a ceiling of a few per cent (故障率 ≤10%, 0.5) is a percent already
    elif t_unit == "%" and not actual.unit and _hundredth_of(actual.value, t):
        findings.append(
            finding(
                "SCALE_MISMATCH",
                sheet,
                ind.cells["actual"],
                _scale_words("实际完成值", ind.actual, "年度指标值", ind.target, actual.value),
            )
        )
        actual = Quantity(actual.value * 100, "%")
    elif actual.unit == "%" and not t_unit and _hundredth_of(t, actual.value):
        findings.append(
            finding(
                "SCALE_MISMATCH",
                sheet,
                ind.cells["target"],
                _scale_words("年度指标值", ind.target, "实际完成值", ind.actual, t),
            )
        )
        t, t_unit = t * 100, "%"
    a_unit = actual.unit or (canon(ind.unit) if ind.unit else "") or t_unit
    a = _convert(actual.value, a_unit, t_unit or a_unit)
    if a is None:
        findings.append(
            finding(
                "UNIT_MISMATCH",
                sheet,
                ind.cells["actual"],
                f"实际完成值的单位“{quoted(a_unit)}”与年度指标值的单位“{quoted(t_unit)}”不一致，本项暂计0分；"
                f"请按“{quoted(t_unit)}”填写实际完成值",
            )
        )
        return None
    if rules.satisfaction_mode == "rate" and _is_satisfaction(ind) and (t_unit or a_unit) == "%":
        ratio = max(Decimal(0), min(a / 100, Decimal(1)))  # 98% satisfied → 98% of the weight
    else:
        ratio = _ratio(nature, a, t, rules)
    if nature == "≥" and t > 0 and a >= rules.overachieve_ratio * t:
        findings.append(
            finding(
                "OVERACHIEVED",
                sheet,
                ind.cells["actual"],
                f"实际完成值{plain(a)}达到年度指标值{plain(t)}的{plain(half_up(a / t, 2))}倍，"
                f"指标值可能定得偏低，请在偏差原因中说明超额完成的原因",
            )
        )
    if rules.reason_ratio and nature == "≥" and t > 0 and a >= rules.reason_ratio * t and not ind.reason:
        findings.append(
            finding(
                "MISSING_DEVIATION_REASON",
                sheet,
                ind.cells.get("reason", ind.cells["actual"]),
                f"“{quoted(ind.name)}”实际完成值{plain(a)}达到年度指标值{plain(t)}的{plain(half_up(a / t * 100, 0))}%，"
                f"按评分规则达到{plain(rules.reason_ratio * 100)}%须说明偏差原因；请在“偏差原因分析及改进措施”中说明",
            )
        )
    score = half_up(weight * ratio, rules.score_decimals)
    if rules.deviation_ratio and nature != "≤" and t > 0 and a >= rules.deviation_ratio * t:
        deducted = min(score, rules.deviation_penalty)
        findings.append(
            finding(
                "DEVIATION_DEDUCTION",
                sheet,
                ind.cells["actual"],
                f"实际完成值{plain(a)}超过年度指标值{plain(t)}的{plain((rules.deviation_ratio - 1) * 100)}%以上，"
                f"按评分规则属指标偏离，扣{plain(deducted)}分；请在偏差原因中说明",
            )
        )
        score -= deducted
    return score


def _hundredth_of(plain_value: Decimal, percent: Decimal) -> bool:
    """Whether a number without % next to a percentage looks like the same figure written as a fraction
    (0.95 beside 100%, 1 beside 95%): a hundred times it is of the percentage's order, and it itself is not."""
    if plain_value <= 0 or percent <= 0:
        return False
    return plain_value < percent / 5 and percent / 5 <= plain_value * 100 <= percent * 5


def _scale_words(field: str, written: str | None, other: str, other_written: str | None, value: Decimal) -> str:
    as_percent = plain(value * 100)
    return (
        f"{field}“{quoted(written)}”没有%，{other}“{quoted(other_written)}”却是百分数：{plain(value)} 是否指 "
        f"{as_percent}%？本项按 {as_percent}% 计分；如是，请写作“{as_percent}%”，如确为 {plain(value)}%，"
        f"请写作“{plain(value)}%”"
    )


def _is_satisfaction(ind: Indicator) -> bool:
    return any("满意度" in (level or "") for level in (ind.level1, ind.level2))


def _convert(value: Decimal, unit: str, to: str) -> Decimal | None:
    """value from one unit to another: equal units, or two money units; None otherwise."""
    if unit == to or not unit or not to:
        return value
    if unit in MONEY_UNITS and to in MONEY_UNITS:
        return value * MONEY_UNITS[unit] / MONEY_UNITS[to]
    return None


def _ratio(nature: str, a: Decimal, t: Decimal, rules: Rules) -> Decimal:
    """The share of the weight earned (scoring.md §2), between 0 and 1."""
    one, zero = Decimal(1), Decimal(0)
    if nature == "≥":
        if t == 0:
            return one if a >= 0 else zero
        r = a / t
    elif nature == "≤":
        if a <= t:
            return one
        r = one - (a - t) / t if rules.reverse_formula == "linear" and t > 0 else t / a
    else:
        if abs(a - t) <= rules.equal_tolerance:
            return one
        hi = max(a, t)
        r = min(a, t) / hi if hi else zero
    return max(zero, min(r, one))


def level_of(actual: str, target: str | None, rules: Rules) -> Level | None:
    """The qualitative level an actual value names: its exact words first, then the longest word it contains."""
    a = canon(actual)
    if target is not None and a == canon(target):
        return rules.achieved
    for lv in rules.levels:
        if a in (canon(w) for w in lv.words):
            return lv
    # The qualifier comes first: "部分达成预期指标" is 部分达成 and "未达成预期指标" is 未达成, though both
    # contain 达成预期指标. So the word found earliest wins, the longer one at the same place.
    contained = [
        (a.find(canon(w)), -len(canon(w)), i)
        for i, lv in enumerate(rules.levels)
        for w in lv.words
        if len(canon(w)) >= 2 and canon(w) in a
    ]
    return rules.levels[min(contained)[2]] if contained else None


def _qualitative(ind: Indicator, weight: Decimal, sheet: str, rules: Rules, findings: list[Finding]) -> Decimal | None:
    assert ind.actual is not None
    level = level_of(ind.actual, ind.target, rules)
    if level is None:
        names = "”“".join(lv.name for lv in rules.levels)
        if parse_quantity(split_comparison(ind.actual)[1]) is not None:
            advice = (
                f"实际完成值是数值，而本指标按定性评分；如为数量指标，请把指标性质改为“≥”“≤”或“=”，"
                f"年度指标值写成如“≥95%”；否则请填写“{names}”之一"
            )
        else:
            advice = f"请填写“{names}”之一，或填写与年度指标值相同的文字表示已达成"
        findings.append(
            finding(
                "UNKNOWN_LEVEL",
                sheet,
                ind.cells["actual"],
                f"实际完成值“{quoted(ind.actual)}”无法判断完成程度，本项暂计0分；{advice}",
            )
        )
        return None
    default = half_up(weight * level.default, rules.score_decimals)
    low, high = plain(weight * level.low), plain(weight * level.high)
    band = f"{low}分至{high}分（{'不含' if level.high_open else '含'}{high}分）"
    if ind.claimed is not None:
        claimed = to_decimal(ind.claimed)
        if level.holds(claimed / weight):
            return half_up(claimed, rules.score_decimals)
        findings.append(
            finding(
                "CLAIMED_SCORE_MISMATCH",
                sheet,
                ind.cells["claimed"],
                f"“{quoted(ind.name)}”{level.name}，得分应在{band}之间，填报的{plain(claimed)}分不在此范围，"
                f"已按默认计{plain(default)}分；请填写{band}之间的得分",
            )
        )
        return default
    if level is not rules.achieved:
        findings.append(
            finding(
                "MISSING_PROPOSED_SCORE",
                sheet,
                ind.cells.get("claimed", ind.cells["actual"]),
                f"“{quoted(ind.name)}”{level.name}，暂按分值的{plain(level.default * 100)}%计{plain(default)}分；"
                f"请在自评得分中填写{band}之间的得分",
            )
        )
    return default
