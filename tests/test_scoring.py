"""Scoring as scoring.md §1–5 and §8, with every figure worked out by hand in the comments."""

from decimal import Decimal

import pytest
from conftest import SEED_INDICATORS, clean, ind

from xlsx_eval import evaluate
from xlsx_eval.score.rules import Rules
from xlsx_eval.score.scoring import execution
from xlsx_eval.values import half_up


def codes_at(result, code):
    return [f.cell for f in result.findings if f.code == code]


def test_seed_scores_as_the_report(build):
    [r] = evaluate(build())
    # 32.88 / 35 = 93.94% → shown and scored as 94% → 10 × 94% = 9.4; nine indicators met: 90.
    assert r.funds.execution_rate == 94.0
    assert r.execution_score == 9.4
    assert r.total == 99.4
    assert r.grade == "优秀"
    assert r.funds.ledger_total == pytest.approx(32.88)
    assert clean(r)


def test_the_shipped_example_scores_as_the_report(example):
    [r] = evaluate(example)
    assert (r.funds.execution_rate, r.execution_score, r.total, r.grade) == (94.0, 9.4, 99.4, "优秀")
    assert r.funds.ledger_total == pytest.approx(32.88)
    assert r.errors == 0


# The case that uses every rule. Budget 200, executed 150: rate 75% → 10 × 75% = 7.50.
EVERY_RULE = [
    # row 2, ≥ below target: 47 / 50 = 0.94 → 20 × 0.94 = 18.80 (a reason is given)
    ind("产出指标", "数量指标", "培训人数", "≥50个", "47", 20, reason="两人因病缺席"),
    # row 3, ≤ above target: 35 / 38.5 = 0.909090… → 10 × 0.90909 = 9.0909 → 9.09
    ind("产出指标", "成本指标", "单位成本", "≤35万元", "38.5万元", 10),
    # row 4, = off target: min/max = 98 / 100 → 10 × 0.98 = 9.80
    ind("产出指标", "质量指标", "验收合格率", "100%", "98%", 10, nature="="),
    # row 5, 定性 部分达成, proposed 7 of 10 = 70% inside [60%, 80%): stands → 7.00
    ind("效益指标", "社会效益指标", "群众知晓度", "明显提高", "部分达成", 10, nature="定性", claimed=7),
    # row 6, 定性 部分达成, proposed 9 of 10 = 90% outside [60%, 80%): default 70% → 7.00, warned
    ind("效益指标", "可持续影响指标", "长效机制", "建立", "基本达成", 10, nature="定性", claimed=9),
    # row 7, 不适用: left out, total rescaled
    ind("效益指标", "经济效益指标", "带动收入", "≥10万元", "不适用", 10),
    # row 8, half up at a .xx5 boundary: 73 / 80 = 0.9125 → 10 × 0.9125 = 9.125 → 9.13 (round() gives 9.12)
    ind("满意度指标", "服务对象满意度指标", "满意度", "≥80%", "73%", 10),
]


def test_every_rule_by_hand(build):
    [r] = evaluate(
        build(
            info={"全年预算数": 200, "资金到位数": 200, "其中财政资金": 200, "全年执行数": 150},
            indicators=EVERY_RULE,
            payments=[],
        )
    )
    assert r.execution_score == 7.5
    assert [s.score for s in r.indicators] == [18.8, 9.09, 9.8, 7.0, 7.0, None, 9.13]
    assert [s.nature for s in r.indicators] == ["≥", "≤", "=", "定性", "定性", None, "≥"]
    assert [s.applicable for s in r.indicators] == [True] * 5 + [False, True]
    # applicable: 7.5 + 18.8 + 9.09 + 9.8 + 7 + 7 + 9.13 = 68.32 of 10+20+10+10+10+10+10 = 80 weights
    # → 68.32 / 80 × 100 = 85.40 → 良好
    assert r.total == 85.4
    assert r.grade == "良好"
    # weights: 10 + 20 + 10×6 = 90 ≠ 100
    assert codes_at(r, "WEIGHT_SUM") == ["H1"]
    assert codes_at(r, "NOT_APPLICABLE") == ["F7"]
    assert codes_at(r, "CLAIMED_SCORE_MISMATCH") == ["I6"]
    # below weight with no reason: rows 3, 4, 5, 6, 8 (row 2 has its reason)
    assert codes_at(r, "MISSING_DEVIATION_REASON") == ["J3", "J4", "J5", "J6", "J8"]
    assert r.errors == 0


def test_half_up_not_bankers():
    assert half_up(Decimal("0.125"), 2) == Decimal("0.13")
    assert half_up(Decimal("9.125"), 2) == Decimal("9.13")
    assert half_up(Decimal("48.5"), 0) == Decimal("49")


def test_execution_rate_is_scored_from_the_rounded_percentage():
    rules = Rules()
    # 32.88 / 35 = 93.94…% → 94% → 9.4 (not 9.39)
    assert execution(Decimal("32.88"), Decimal("35"), Decimal("10"), rules) == (Decimal("94"), Decimal("9.40"))
    # 97 / 200 = 48.5% → half up 49% (banker's would give 48%) → 4.9
    assert execution(Decimal("97"), Decimal("200"), Decimal("10"), rules) == (Decimal("49"), Decimal("4.90"))
    # over budget is capped at full weight
    assert execution(Decimal("36"), Decimal("35"), Decimal("10"), rules)[1] == Decimal("10.00")


def test_reverse_and_zero_edges(build):
    [r] = evaluate(
        build(
            indicators=[
                ind("产出指标", "成本指标", "成本", "≤35万元", "0", 45),  # A = 0 → 1 → 45
                ind("产出指标", "数量指标", "投诉", "≥0件", "3件", 45),  # T = 0, A ≥ 0 → 1 → 45
            ]
        )
    )
    assert [s.score for s in r.indicators] == [45.0, 45.0]


def test_blank_nature_read_from_target_and_bare_number_means_at_least(build):
    [r] = evaluate(
        build(
            indicators=[
                ind("产出指标", "数量指标", "设备", "=1套", "1套", 30),
                ind("产出指标", "数量指标", "场次", "10", "8", 30),  # bare number: ≥ → 8/10 → 24
                ind("产出指标", "时效指标", "运行", "7*24小时", "达成预期指标", 30),  # not one number: 定性, 达成 → 30
            ]
        )
    )
    assert [s.nature for s in r.indicators] == ["=", "≥", "定性"]
    assert [s.score for s in r.indicators] == [30.0, 24.0, 30.0]


def test_qualitative_levels(build):
    [r] = evaluate(
        build(
            indicators=[
                ind("效益指标", "社会效益指标", "a", "效果明显", "效果明显", 20, nature="定性"),  # = target text: 达成
                ind("效益指标", "社会效益指标", "b", "效果明显", "未达成", 20, nature="定性"),  # default 30% → 6
                ind(
                    "效益指标", "社会效益指标", "c", "效果明显", "达成", 20, nature="定性", claimed=17
                ),  # 85% in [80,100] → 17
                ind("效益指标", "社会效益指标", "d", "效果明显", "还行吧", 20, nature="定性"),  # unknown: 0, error
                ind(
                    "效益指标", "社会效益指标", "e", "效果明显", "部分完成", 10, nature="定性", claimed=6
                ),  # 60% in band → 6
            ]
        )
    )
    assert [s.score for s in r.indicators] == [20.0, 6.0, 17.0, 0.0, 6.0]
    assert codes_at(r, "MISSING_PROPOSED_SCORE") == ["I3"]
    assert codes_at(r, "UNKNOWN_LEVEL") == ["F5"]


def test_claimed_score_the_rule_does_not_give(build):
    # a "≥100%" indicator met at 100% but scored 7 of 10 by the unit (scoring.md §7)
    rows = [list(r) for r in SEED_INDICATORS]
    rows[0][8] = 7
    [r] = evaluate(build(indicators=rows))
    assert r.indicators[0].score == 10.0
    [f] = [f for f in r.findings if f.code == "CLAIMED_SCORE_MISMATCH"]
    assert (f.sheet, f.cell) == ("绩效指标", "I2")
    assert "7" in f.message and "10" in f.message


def test_overachieved(build):
    rows = [ind("产出指标", "数量指标", "培训人数", "≥50人", "80人", 90)]  # 80 ≥ 1.5 × 50
    [r] = evaluate(build(indicators=rows))
    assert r.indicators[0].score == 90.0
    assert codes_at(r, "OVERACHIEVED") == ["F2"]


def test_percent_formatted_cell_is_read_as_percent(build):
    rows = [ind("产出指标", "质量指标", "合格率", "≥95%", 0.94, 90)]
    [r] = evaluate(build(indicators=rows, percent_cells=["F2"]))
    # 94 / 95 = 0.98947… → 90 × that = 89.0526… → 89.05
    assert r.indicators[0].indicator.actual == "94%"
    assert r.indicators[0].score == 89.05


def test_unit_conversion_and_mismatch(build):
    [r] = evaluate(
        build(
            indicators=[
                ind(
                    "产出指标", "成本指标", "成本", "≤35万元", "380000元", 45
                ),  # 38 万元 → 35/38 × 45 = 41.447… → 41.45
                ind("产出指标", "数量指标", "人数", "≥50个", "90%", 45),  # % against 个: finding, 0
            ]
        )
    )
    assert [s.score for s in r.indicators] == [41.45, 0.0]
    assert codes_at(r, "UNIT_MISMATCH") == ["F3"]


def test_grades_at_their_thresholds():
    rules = Rules()
    assert [rules.grade(Decimal(x)) for x in ("90", "89.99", "80", "79.99", "60", "59.99")] == [
        "优秀",
        "良好",
        "良好",
        "中",
        "中",
        "差",
    ]


def test_the_forms_own_phrases_for_partly_and_not_met(build):
    [r] = evaluate(
        build(
            indicators=[
                ind("效益指标", "社会效益指标", "a", "效果明显", "部分达成预期指标并具有一定效果", 15, nature="定性"),
                ind("效益指标", "社会效益指标", "b", "效果明显", "未达成预期指标且效果较差", 15, nature="定性"),
                ind("效益指标", "社会效益指标", "c", "效果明显", "基本达成年度指标", 15, nature="定性"),
                ind("效益指标", "社会效益指标", "d", "效果明显", "已达成预期指标", 15, nature="定性"),
            ]
        )
    )
    # 部分达成 and 基本达成: 70% of 15 = 10.5; 未达成: 30% of 15 = 4.5; 达成: 15
    assert [s.score for s in r.indicators] == [10.5, 4.5, 10.5, 15.0]
    assert codes_at(r, "MISSING_PROPOSED_SCORE") == ["I2", "I3", "I4"]
    assert "9分至12分" in r.findings[[f.code for f in r.findings].index("MISSING_PROPOSED_SCORE")].message


def test_negative_target_is_refused_not_scored_backwards(build):
    [r] = evaluate(build(indicators=[ind("产出指标", "数量指标", "a", "≥-5", "-3", 90)]))
    assert codes_at(r, "BAD_TARGET") == ["D2"]
    assert r.indicators[0].score == 0.0


def test_not_applicable_in_nature_is_reported_there(build):
    [r] = evaluate(
        build(
            indicators=SEED_INDICATORS
            + [ind("效益指标", "经济效益指标", "带动收入", "≥10万元", None, 10, nature="不适用")]
        )
    )
    assert codes_at(r, "NOT_APPLICABLE") == ["E11"]
