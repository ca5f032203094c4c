"""Issue 15, part 1: the review checks of review.md on one form, each on its cell, each computed by hand below.

The seed as ``build`` writes it (conftest): 全年预算数 35 in 项目信息!B7, 全年执行数 32.88 in B10, nine indicators
whose actuals all reach their targets (scores 90 of 90), 执行率 94% scored 9.4 of 10.
"""

from __future__ import annotations

import dataclasses
import re

import pytest
from conftest import SEED_INDICATORS, ind

from xlsx_eval import evaluate
from xlsx_eval.errors import RulesError
from xlsx_eval.score.rules import REVIEW_CHECKS
from xlsx_eval.score.rules_file import load_rules


def review(result):
    return [(f.code, f.sheet, f.cell) for f in result.findings if f.code in REVIEW_CHECKS]


def message(result, code):
    [text] = [f.message for f in result.findings if f.code == code]
    return text


def rules_file(tmp_path, text):
    path = tmp_path / "review.toml"
    path.write_text(text, encoding="utf-8")
    return load_rules(str(path))


def test_the_seed_scores_ahead_of_its_spending_and_has_no_survey(build):
    [r] = evaluate(build())
    assert review(r) == [
        ("SCORE_OUTRUNS_SPENDING", "项目信息", "B10"),
        ("SATISFACTION_NO_SURVEY", "绩效指标", "F8"),
        ("SATISFACTION_NO_SURVEY", "绩效指标", "F9"),
        ("SATISFACTION_NO_SURVEY", "绩效指标", "F10"),
    ]
    # P = 90 / 90 = 100%, E = 9.4 / 10 = 94%: (P − E) / P = 6% > 5%
    assert "指标得分率 100%，预算执行得分率 94%" in message(r, "SCORE_OUTRUNS_SPENDING")
    assert "快 6%（超过 5%）" in message(r, "SCORE_OUTRUNS_SPENDING")
    assert r.total == 99.4  # a review finding changes no score


def test_spending_that_keeps_up_with_the_indicators(build):
    # 33.6 / 35 = 96%: E = 9.6 / 10 = 96%, (100 − 96) / 100 = 4% ≤ 5%
    [r] = evaluate(build(info={"全年执行数": 33.6}))
    assert "SCORE_OUTRUNS_SPENDING" not in [c for c, _, _ in review(r)]


@pytest.mark.parametrize(("executed", "flagged"), [(26, "25.7%"), (28, None), (27.986, "20.04%")])
def test_unspent_share(build, executed, flagged):
    # (35 − 26) / 35 = 25.71% > 20%; (35 − 28) / 35 = 20%, not more than 20%; (35 − 27.986) / 35 = 20.04%, shown with
    # the decimals that tell it from the 20% it passed
    [r] = evaluate(build(info={"全年执行数": executed}))
    if flagged:
        assert ("UNSPENT_SHARE", "项目信息", "B10") in review(r)
        assert f"{flagged} 未支出（超过 20%）" in message(r, "UNSPENT_SHARE")
    else:
        assert "UNSPENT_SHARE" not in [c for c, _, _ in review(r)]


def test_a_budget_adjusted_without_a_reason(build):
    # 年初预算数 25 (the twelfth label, B12) → 全年预算数 35: |35 − 25| / 25 = 40% ≥ 30%
    [r] = evaluate(build(info={"年初预算数": 25}))
    assert ("BUDGET_ADJUSTED", "项目信息", "B7") in review(r)
    assert "增加了 40%（达到 30%）" in message(r, "BUDGET_ADJUSTED")
    # 27 → 35 is 29.6%; and 40% with a reason written in a 偏差原因 is not flagged either
    [r] = evaluate(build(info={"年初预算数": 27}))
    assert "BUDGET_ADJUSTED" not in [c for c, _, _ in review(r)]
    explained = [list(x) for x in SEED_INDICATORS]
    explained[0][9] = "年中追加预算10万元用于更换设备"
    [r] = evaluate(build(info={"年初预算数": 25}, indicators=explained))
    assert "BUDGET_ADJUSTED" not in [c for c, _, _ in review(r)]


def test_vague_targets_and_placeholders(build):
    rows = [list(x) for x in SEED_INDICATORS[:6]] + [
        ind(
            "产出指标", "时效指标", "按时完成", "按时完成", "按时完成", 5, nature="定性"
        ),  # row 8: vague, and its own name
        ind("产出指标", "数量指标", "购置设备", "一套", "一套", 5, nature="定性"),  # row 9: a number in words
        ind(
            "效益指标", "社会效益指标", "指标1", "效果明显", "效果明显", 10, nature="定性"
        ),  # row 10: not measured kind
        ind("产出指标", "数量指标", "培训人数", "≥１００人", "１２０人", 0),  # row 11: full-width digits are digits
        ind("产出指标", "质量指标", "安全生产", "零事故", "零事故", 0, nature="定性"),  # row 12: 零 is a number
    ]
    [r] = evaluate(build(indicators=rows))
    found = review(r)
    assert [c for c in found if c[0] == "VAGUE_TARGET"] == [("VAGUE_TARGET", "绩效指标", "D8")]
    assert [c for c in found if c[0] == "PLACEHOLDER_INDICATOR"] == [
        ("PLACEHOLDER_INDICATOR", "绩效指标", "C8"),
        ("PLACEHOLDER_INDICATOR", "绩效指标", "C10"),
    ]


@pytest.mark.parametrize(("copied", "flagged"), [(9, True), (5, True), (4, False)])
def test_actuals_that_copy_their_targets(build, copied, flagged):
    # 9 of 9 and 5 of 9 (55.6%) are more than 50%; 4 of 9 (44.4%) is not
    rows = [list(x) for x in SEED_INDICATORS]
    for row in rows[:copied]:
        row[5] = row[3]  # the actual typed as "≥100%", the target word for word
    [r] = evaluate(build(indicators=rows))
    if flagged:
        assert ("ACTUAL_COPIES_TARGET", "绩效指标", "F2") in review(r)
        assert f"9 项指标中有 {copied} 项" in message(r, "ACTUAL_COPIES_TARGET")
    else:
        assert "ACTUAL_COPIES_TARGET" not in [c for c, _, _ in review(r)]


def test_a_satisfaction_that_names_its_survey_or_is_below_95(build):
    rows = [list(x) for x in SEED_INDICATORS]
    rows[6][9] = "经问卷调查，发放问卷20份"  # row 8: its survey named
    rows[7][5] = "94%"  # row 9: below 95%
    [r] = evaluate(build(indicators=rows))
    assert [c for c in review(r) if c[0] == "SATISFACTION_NO_SURVEY"] == [("SATISFACTION_NO_SURVEY", "绩效指标", "F10")]


def test_no_cost_indicator(build):
    rows = [list(x) for x in SEED_INDICATORS]
    rows[0][1] = "数量指标"  # the seed's only 成本指标
    [r] = evaluate(build(indicators=rows))
    assert ("NO_COST_INDICATOR", "绩效指标", "B1") in review(r)


def test_a_low_score_without_problems_or_measures(build):
    rows = [list(x) for x in SEED_INDICATORS]
    for row in rows:
        row[5] = "50%"  # each ≥100% indicator half done: 45 of 90, + 9.4 = 54.4
    [r] = evaluate(build(indicators=rows))
    assert r.total == 54.4
    assert ("LOW_SCORE_NO_MEASURES", "问题与措施", "") in review(r)
    assert "总分 54.4 低于 80 分" in message(r, "LOW_SCORE_NO_MEASURES")

    def measures(wb):
        ws = wb.create_sheet("问题与措施")
        ws.append(["类别", "内容"])
        ws.append(["措施", "下半年加快设备采购进度"])

    [r] = evaluate(build(indicators=rows, extra=measures))
    assert "LOW_SCORE_NO_MEASURES" not in [c for c, _, _ in review(r)]


def test_each_check_is_a_setting_of_the_rules(build, tmp_path):
    rules = rules_file(
        tmp_path,
        "[review.SCORE_OUTRUNS_SPENDING]\nenabled = false\n\n[review.UNSPENT_SHARE]\nthreshold = 5\nweight = 2\n",
    )
    assert rules.check("SCORE_OUTRUNS_SPENDING") is None
    assert dict(rules.review)["UNSPENT_SHARE"].weight == 2
    [r] = evaluate(build(), rules)
    # (35 − 32.88) / 35 = 6.06% > 5%
    assert [c for c, _, _ in review(r)][:1] == ["UNSPENT_SHARE"] and "SCORE_OUTRUNS_SPENDING" not in str(review(r))
    assert "6.1% 未支出（超过 5%）" in message(r, "UNSPENT_SHARE")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[review.NO_SUCH_CHECK]\nenabled = false\n", "第 1 行：不认识的复核检查“NO_SUCH_CHECK”"),
        ("[review.VAGUE_TARGET]\nthreshold = 3\n", "第 2 行：[review.VAGUE_TARGET] 中不认识的设置“threshold”"),
        ("[review.UNSPENT_SHARE]\nweight = -1\n", "第 2 行：“weight”应为不小于 0 的数"),
        ("[review.UNSPENT_SHARE]\nenabled = 1\n", "第 2 行：“enabled”应为 true 或 false"),
        ("[review.UNSPENT_SHARE]\nthreshold = nan\n", "第 2 行：“threshold”应为不小于 0 的数"),
        ("[review.UNSPENT_SHARE]\nweight = inf\n", "第 2 行：“weight”应为不小于 0 的数"),
    ],
)
def test_review_settings_that_are_wrong_are_named_with_their_line(tmp_path, text, expected):
    with pytest.raises(RulesError, match=re.escape(expected)):
        rules_file(tmp_path, text)


def test_the_national_form_is_reviewed_on_its_own_cells(tmp_path):
    from national_forms import SEED, write_xlsx

    [r] = evaluate(write_xlsx(tmp_path / "自评表.xlsx", SEED))
    executed = r.project.cells["executed"]  # the money block's 全年执行数 of the total row
    assert review(r) == [
        ("SCORE_OUTRUNS_SPENDING", "项目支出绩效自评表", executed),
        ("SATISFACTION_NO_SURVEY", "项目支出绩效自评表", "F19"),
        ("SATISFACTION_NO_SURVEY", "项目支出绩效自评表", "F20"),
        ("SATISFACTION_NO_SURVEY", "项目支出绩效自评表", "F21"),
    ]


def test_guangxi_asks_a_reason_at_130_percent_and_caps_an_unexplained_adjustment_at_90(build):
    guangxi = load_rules("guangxi")
    rows = [list(x) for x in SEED_INDICATORS]
    rows[0][3], rows[0][5] = "≥10", "13"  # 13 / 10 = 130%: a reason is asked for (none written)
    rows[1][3], rows[1][5] = "≥10", "12.9"  # 129%: not yet
    [r] = evaluate(build(indicators=rows), guangxi)
    asked = [f.cell for f in r.findings if f.code == "MISSING_DEVIATION_REASON"]
    assert asked == ["J2"]  # its 偏差原因 cell
    assert "达到年度指标值10的130%，按评分规则达到130%须说明偏差原因" in message(r, "MISSING_DEVIATION_REASON")
    assert r.total == 99.4  # the reason is asked for; the score is the seed's
    # 年初预算数 25 → 全年预算数 35 (40%), no reason: 99.4 is capped at 90, still 优秀 (90 and above)
    [r] = evaluate(build(info={"年初预算数": 25}), guangxi)
    assert (r.total, r.grade) == (90.0, "优秀")
    assert ("TOTAL_CAPPED", "项目信息", "B7") in [(f.code, f.sheet, f.cell) for f in r.findings]
    assert "原总分99.4分扣减9.4分" in message(r, "TOTAL_CAPPED")
    # the national rules neither ask nor cap
    [r] = evaluate(build(info={"年初预算数": 25}, indicators=rows))
    assert r.total == 99.4 and "MISSING_DEVIATION_REASON" not in [f.code for f in r.findings]


def test_a_national_forms_conclusion_is_not_a_measure(tmp_path):
    # 总分 99.4 below a threshold of 100: the seed's 存在问题 and 改进措施 answer it; its 自评结论 alone does not
    from national_forms import SEED, write_xlsx

    strict = rules_file(tmp_path, "[review.LOW_SCORE_NO_MEASURES]\nthreshold = 100\n")
    [r] = evaluate(write_xlsx(tmp_path / "全.xlsx", SEED), strict)
    assert "LOW_SCORE_NO_MEASURES" not in [c for c, _, _ in review(r)]
    conclusion_only = dataclasses.replace(SEED, narrative=(SEED.narrative[0],))
    [r] = evaluate(write_xlsx(tmp_path / "结论.xlsx", conclusion_only), strict)
    assert ("LOW_SCORE_NO_MEASURES", "项目支出绩效自评表", "") in review(r)


def test_ningxia_asks_both_problems_and_measures_below_80(tmp_path):
    from national_forms import SEED, changed, write_xlsx

    ningxia = load_rules("ningxia")
    # 保证系统7*24小时运行 (20 points) at 0% of its ≥100%: 0 points, 9.4 + 70 = 79.4, below 80
    failed = changed(SEED.indicators, 2, actual="0%", claimed=0)
    problems_only = dataclasses.replace(SEED, indicators=failed, narrative=SEED.narrative[:2])  # 自评结论, 存在问题
    [r] = evaluate(write_xlsx(tmp_path / "问题.xlsx", problems_only), ningxia)
    assert r.total == 79.4
    assert ("LOW_SCORE_NO_MEASURES", "项目支出绩效自评表", "") in review(r)
    assert "总分 79.4 低于 80 分，但没有填写改进措施" in message(r, "LOW_SCORE_NO_MEASURES")
    # the national rules take either one
    [r] = evaluate(write_xlsx(tmp_path / "问题.xlsx", problems_only))
    assert "LOW_SCORE_NO_MEASURES" not in [c for c, _, _ in review(r)]
    # both written: nothing to ask
    [r] = evaluate(write_xlsx(tmp_path / "全.xlsx", dataclasses.replace(SEED, indicators=failed)), ningxia)
    assert "LOW_SCORE_NO_MEASURES" not in [c for c, _, _ in review(r)]


def test_shanxi_takes_5_points_from_a_form_without_a_cost_indicator(build):
    shanxi = load_rules("shanxi")
    rows = [list(x) for x in SEED_INDICATORS]
    rows[0][1] = "数量指标"  # the seed's one 成本指标 (经费严格控制在预算内) filed as 数量
    [r] = evaluate(build(indicators=rows), shanxi)
    assert (r.total, r.grade) == (94.4, "优秀")  # 99.4 − 5
    assert ("TOTAL_DEDUCTED", "绩效指标", "B1") in [(f.code, f.sheet, f.cell) for f in r.findings]
    assert "没有成本指标，按评分规则总分扣减5分（99.4 → 94.4）" in message(r, "TOTAL_DEDUCTED")
    [r] = evaluate(build(indicators=rows))  # national: only the review's note
    assert r.total == 99.4 and "NO_COST_INDICATOR" in [c for c, _, _ in review(r)]
    [r] = evaluate(build(), shanxi)  # with its 成本指标: nothing taken
    assert r.total == 99.4 and "TOTAL_DEDUCTED" not in [f.code for f in r.findings]
