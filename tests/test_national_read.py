"""The national 项目支出绩效自评表 read and scored, one variant of national-form.md a test.

The forms are built by tests/national_forms.py, independently of the reader and of xlsx_eval.write; its docstring
maps the seed form's cells (money block rows 5–9, indicator header row 12, indicators 13–21, 总分 row 22, 执行率
H6, execution 得分 I6, indicator 得分 column H). Every expected figure is worked out by hand from scoring.md in the
comment beside it.

The seed's figures: 32.88 / 35 = 0.939428… = 93.94% → shown and scored as 94% → 10 × 94% = 9.4; nine indicators
met ("≥100%", actual "100%": ratio min(100/100, 1) = 1, full weight): 10+10+20+20+10+10+5+3+2 = 90;
total 9.4 + 90 = 99.4 ≥ 90 → 优秀.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace

import openpyxl
import pytest
import xlrd
from conftest import clean, not_review
from national_forms import (
    DASH,
    PLATFORM,
    SEED,
    SEED_INDICATORS,
    Cover,
    Ind,
    Money,
    changed,
    seed,
    write_spreadsheetml,
    write_xls,
    write_xlsx,
)

from xlsx_eval.pipeline import evaluate

SEED_ROWS = list(range(13, 22))
SEED_WEIGHTS = [10.0, 10.0, 20.0, 20.0, 10.0, 10.0, 5.0, 3.0, 2.0]
SEED_SCORES = SEED_WEIGHTS  # every indicator met: score = weight × 1
SEED_LEVEL1 = ["产出指标"] * 3 + ["效益指标"] * 3 + ["满意度指标"] * 3
SEED_LEVEL2 = ["成本指标", "质量指标", "质量指标", "可持续影响指标", "社会效益指标", "可持续影响指标"] + [
    "服务对象满意度指标"
] * 3


def read(tmp_path, *sheets, write=write_xlsx, name="自评表.xlsx"):
    """The results of a workbook of ``sheets`` written by ``write``."""
    return evaluate(write(tmp_path / name, *sheets))


def one(tmp_path, form=SEED, **kw):
    [result] = read(tmp_path, form, **kw)
    return result


def cells(result, code) -> list[str]:
    return sorted(f.cell for f in result.findings if f.code == code)


def only(result, code, cell):
    """The one finding of ``code``, which must stand on ``cell`` of the form's sheet."""
    found = [f for f in result.findings if f.code == code]
    assert [f.cell for f in found] == [cell], [(f.code, f.cell, f.message) for f in result.findings]
    assert found[0].sheet == result.sheet
    return found[0]


def names(finding, *figures: str) -> bool:
    return all(figure in finding.message for figure in figures)


def scores(result) -> list:
    return [s.score for s in result.indicators]


def assert_seed_scores(r):
    assert r.scored
    assert (r.funds.execution_rate, r.execution_weight, r.execution_score) == (94.0, 10.0, 9.4)
    assert scores(r) == SEED_SCORES
    assert (r.total, r.grade) == (99.4, "优秀")


# 1 ---------------------------------------------------------------------------------------------------------------


def test_the_seed_form_with_merged_groups(tmp_path):
    r = one(tmp_path)
    assert (r.layout, r.sheet, r.scored) == ("national", "项目支出绩效自评表", True)
    assert (r.funds.unit, r.funds.budget, r.funds.executed, r.funds.fiscal) == ("万元", 35, 32.88, 35)
    assert r.funds.ledger_total is None  # no ledger on this form
    assert r.funds.execution_rate == 94.0  # 32.88 / 35 = 93.94% → 94
    assert r.execution_weight == 10.0  # G6
    assert r.execution_score == 9.4  # 10 × 94%
    assert [s.indicator.row for s in r.indicators] == SEED_ROWS
    assert [s.indicator.level1 for s in r.indicators] == SEED_LEVEL1  # merged B13:B15, B16:B18, B19:B21
    assert [s.indicator.level2 for s in r.indicators] == SEED_LEVEL2  # merged C14:C15, C19:C21
    assert [s.indicator.name for s in r.indicators] == [i.name for i in SEED_INDICATORS]
    assert {s.indicator.target for s in r.indicators} == {"≥100%"}
    assert [s.indicator.weight for s in r.indicators] == SEED_WEIGHTS
    assert all(s.applicable for s in r.indicators)
    assert scores(r) == SEED_SCORES  # each ≥100% met at 100%: full weight
    assert (r.total, r.grade) == (99.4, "优秀")  # 9.4 + 90
    # every claim agrees ("94%" for 93.94%, 9.4, each 得分, 99.4), the weights add up (10 + 90), no ledger to miss
    assert clean(r)
    assert "LEDGER_MISSING" not in {f.code for f in r.findings}


# 2 ---------------------------------------------------------------------------------------------------------------


def test_groups_left_blank_below_their_first_row(tmp_path):
    form = seed(
        groups="blank",
        title="项目支出绩效目标自评表",
        department=("主管预算部门", "[105]中共石家庄市长安区委员会"),
        unit=("项目实施单位", "105210-长安区委办公室"),
    )
    r = one(tmp_path, form)
    # B13 产出指标, B14 and B15 blank → carried down; likewise C15 (质量指标), C20:C21 (服务对象满意度指标)
    assert [s.indicator.level1 for s in r.indicators] == SEED_LEVEL1
    assert [s.indicator.level2 for s in r.indicators] == SEED_LEVEL2
    assert_seed_scores(r)  # 9.4 + 90 = 99.4


# 3 ---------------------------------------------------------------------------------------------------------------


def test_weights_in_group_labels_are_a_check_not_a_name(tmp_path):
    labels = {
        "产出指标": "产出指标(40分)",  # 10 + 10 + 20 = 40 ✓
        "效益指标": "效益指标（40分）",  # 20 + 10 + 10 = 40 ✓
        "满意度指标": "满意度指标(15分)",  # 5 + 3 + 2 = 10 ✗ (B19)
        "质量指标": "质量指标（30分）",  # 10 + 20 = 30 ✓ (C14)
    }
    r = one(tmp_path, seed(group_labels=labels))
    assert [s.indicator.level1 for s in r.indicators] == SEED_LEVEL1
    assert [s.indicator.level2 for s in r.indicators] == SEED_LEVEL2
    f = only(r, "WEIGHT_SUM", "B19")  # the only one: all weights 10 + 90 = 100
    assert f.severity.value == "warning"
    assert names(f, "15", "10")
    assert_seed_scores(r)


# 4 ---------------------------------------------------------------------------------------------------------------


def test_money_in_yuan(tmp_path):
    form = seed(
        money_label="项目资金（元）",
        money_headers={"executed": "实际支出数"},
        money_rows=(
            Money("年度资金总额", 350000, 350000, 328800),
            Money("其中：当年财政拨款", 350000, 350000, 328800),
            Money("上年结转资金"),
            Money("其他资金", DASH, DASH, DASH),
        ),
    )
    r = one(tmp_path, form)
    assert (r.funds.unit, r.funds.budget, r.funds.executed, r.funds.fiscal) == ("元", 350000, 328800, 350000)
    assert_seed_scores(r)  # 328800 / 350000 = 93.94% → 94% → 9.4; total 99.4
    assert r.errors == 0


# 5 ---------------------------------------------------------------------------------------------------------------


def test_a_b_markers_in_the_headers(tmp_path):
    form = seed(
        title="2020年度预算项目绩效自评表",
        year_row=None,  # the year in the title: every row one up from the seed's
        money_headers={"budget": "全年预算数（A）", "executed": "执行数（B）", "rate": "执行率（B/A）"},
        headers={"target": "年度指标值（A）", "actual": "实际完成值（B）"},
        claimed_rate="95%",  # 95 − 93.94 = 1.06 > 0.5: the （B/A） column is read
    )
    r = one(tmp_path, form)
    assert_seed_scores(r)
    assert [s.indicator.row for s in r.indicators] == list(range(12, 21))
    assert {s.indicator.target for s in r.indicators} == {"≥100%"}
    f = only(r, "EXECUTION_RATE_MISMATCH", "H5")  # the total row is row 5
    assert names(f, "95", "94")


# 6 ---------------------------------------------------------------------------------------------------------------


def test_nature_and_unit_columns(tmp_path):
    # columns B 一级 C 二级 D 三级 E 指标性质 F 年度指标值 G 计量单位 H 实际完成值 I 分值 J 得分 K 偏差; the money
    # block takes the last six (F..K): 执行率 J6, 得分 K6
    cost = Ind("产出指标", "成本指标", "设备购置成本", "35", "38.5", 10, 9.09, "设备涨价，超支3.5万元", "≤", "万元")
    others = [replace(i, nature="≥", target="100", actual="100", unit="%") for i in SEED_INDICATORS[1:]]
    form = seed(
        columns=("level1", "level2", "name", "nature", "target", "unit", "actual", "weight", "score", "reason"),
        indicators=(cost, *others),
    )
    r = one(tmp_path, form)
    # ≤ 35 万元, actual 38.5 > 35 → ratio 35 / 38.5 = 0.909090… → 10 × 0.90909 = 9.0909 → 9.09
    # the others ≥ 100 %, actual 100 → 1 → full
    assert scores(r) == [9.09, 10.0, 20.0, 20.0, 10.0, 10.0, 5.0, 3.0, 2.0]
    assert r.indicators[0].nature == "≤"
    assert r.execution_score == 9.4
    assert (r.total, r.grade) == (98.49, "优秀")  # 9.4 + 9.09 + 80
    assert r.errors == 0
    assert cells(r, "CLAIMED_SCORE_MISMATCH") == []  # 9.09 claimed in J13


# 7 ---------------------------------------------------------------------------------------------------------------


def test_weight_headed_quanzhong_and_other_spellings(tmp_path):
    indicators = changed(SEED_INDICATORS, 2, actual="90%", claimed=18, reason="系统升级停机两天")
    indicators = changed(indicators, 0, claimed=9)
    form = seed(
        headers={"weight": "权重", "actual": "全年实际值", "score": "指标得分", "reason": "偏差原因及改进措施"},
        indicators=indicators,
    )
    r = one(tmp_path, form)
    assert [s.indicator.weight for s in r.indicators] == SEED_WEIGHTS  # from 权重
    # row 15: ≥100%, actual 90% → 90 / 100 = 0.9 → 20 × 0.9 = 18 (its claim, 18, agrees)
    assert scores(r) == [10.0, 10.0, 18.0, 20.0, 10.0, 10.0, 5.0, 3.0, 2.0]
    assert (r.total, r.grade) == (97.4, "优秀")  # 9.4 + 88
    f = only(r, "CLAIMED_SCORE_MISMATCH", "H13")  # 指标得分 9 written, 10 computed
    assert names(f, "9", "10")
    assert cells(r, "MISSING_DEVIATION_REASON") == []  # I15, under 偏差原因及改进措施, gives the reason


# 8 ---------------------------------------------------------------------------------------------------------------


def test_goals_block_above_the_money_block(tmp_path):
    # goals on rows 5–6, money block header 7, total row 8, 其中 9–11, indicator header 12, indicators 13–21
    r = one(tmp_path, seed(goals_first=True, claimed_rate="90%"))
    assert_seed_scores(r)
    assert (r.funds.budget, r.funds.executed) == (35, 32.88)
    assert [s.indicator.row for s in r.indicators] == SEED_ROWS
    f = only(r, "EXECUTION_RATE_MISMATCH", "H8")  # 90% printed, 93.94% computed
    assert names(f, "90", "94")


# 9 ---------------------------------------------------------------------------------------------------------------


def test_adjusted_target_when_filled_initial_otherwise(tmp_path):
    # columns B 一级 C 二级 D 三级 E 年初指标值 F 调整后指标值 G 实际完成值 H 分值 I 得分 J 偏差
    indicators = tuple(replace(i, initial="≥100%") for i in SEED_INDICATORS)
    indicators = changed(indicators, 0, name="视频终端安装数量", initial="≥50个", target="≥40个", actual="40个")
    indicators = changed(indicators, 1, target=None, actual="95%", claimed=9.5, reason="两台设备返修")
    form = seed(
        columns=("level1", "level2", "name", "initial", "target", "actual", "weight", "score", "reason"),
        headers={"target": "调整后指标值"},
        indicators=indicators,
    )
    r = one(tmp_path, form)
    assert [s.indicator.target for s in r.indicators][:3] == ["≥40个", "≥100%", "≥100%"]
    # row 13: adjusted ≥40个, actual 40 → 40 / 40 = 1 → 10 (年初 ≥50个 would give 0.8 → 8)
    # row 14: adjusted blank → 年初 ≥100%, actual 95% → 0.95 → 10 × 0.95 = 9.5
    assert scores(r) == [10.0, 9.5, 20.0, 20.0, 10.0, 10.0, 5.0, 3.0, 2.0]
    assert (r.total, r.grade) == (98.9, "优秀")  # 9.4 + 10 + 9.5 + 70
    assert cells(r, "CLAIMED_SCORE_MISMATCH") == []


# 10 --------------------------------------------------------------------------------------------------------------


def test_funding_sources_are_a_breakdown_not_more_rows_to_add(tmp_path):
    form = seed(
        money_rows=(
            Money("年度资金总额", 35, 35, 32.88),
            Money("其中：当年财政拨款", 35, 35, 32.88),
            Money("一般公共预算拨款", 30, 30, 28.88),  # of the 当年财政拨款
            Money("政府性基金", 5, 5, 4),
            Money("上年结转资金", DASH, DASH, DASH),
            Money("其他资金", DASH, DASH, DASH),
        )
    )
    r = one(tmp_path, form)
    # 当年财政拨款 35 + 上年结转 — + 其他 — = 35 in each column: no mismatch
    assert cells(r, "FUNDS_ROWS_MISMATCH") == []
    assert r.funds.fiscal == 35
    # money rows 6–11, goals 12–13, indicator header 14, indicators 15–23
    assert [s.indicator.row for s in r.indicators] == list(range(15, 24))
    assert_seed_scores(r)


def test_funds_rows_that_do_not_add_up(tmp_path):
    form = seed(
        money_rows=(
            Money("年度资金总额", 35, 35, 32.88),
            Money("其中：当年财政拨款", DASH, 30, 28.88),
            Money("上年结转资金", DASH, 4, 4),
            Money("其他资金", DASH, DASH, DASH),
        )
    )
    r = one(tmp_path, form)
    # 年初预算数 (D): every 其中 cell a dash → not checked; 全年预算数 (E): 30 + 4 = 34 ≠ 35 → E6;
    # 全年执行数 (F): 28.88 + 4 = 32.88 ✓
    f = only(r, "FUNDS_ROWS_MISMATCH", "E6")
    assert f.severity.value == "error"
    assert names(f, "34", "35")
    assert (r.total, r.grade) == (99.4, "优秀")  # scored as filled: 32.88 / 35 → 9.4, + 90


# 11 --------------------------------------------------------------------------------------------------------------


def test_execution_weight_in_the_block_label(tmp_path):
    indicators = changed(changed(SEED_INDICATORS, 2, weight=15, claimed=15), 3, weight=15, claimed=15)
    form = seed(
        money_label="预算执行情况（万元）（20分）",
        money_columns=("initial", "budget", "executed", "rate", "score"),  # no 分值 column: E..I, 得分 I6
        execution_weight=None,
        claimed_execution=18.8,
        indicators=indicators,  # 10+10+15+15+10+10+5+3+2 = 80
        claimed_total=98.8,
    )
    r = one(tmp_path, form)
    assert r.execution_weight == 20.0
    assert r.funds.execution_rate == 94.0
    assert r.execution_score == 18.8  # 20 × 94%
    assert [s.indicator.weight for s in r.indicators] == [10.0, 10.0, 15.0, 15.0, 10.0, 10.0, 5.0, 3.0, 2.0]
    assert (r.total, r.grade) == (98.8, "优秀")  # 18.8 + 80
    assert cells(r, "WEIGHT_SUM") == []  # 20 + 80 = 100
    assert clean(r)


# 12 --------------------------------------------------------------------------------------------------------------


def test_two_forms_in_one_workbook(tmp_path):
    second = seed(
        sheet="会议系统",
        title="会议系统改造项目支出绩效自评表",
        name="会议系统改造",
        money_rows=(
            Money("年度资金总额", 50, 50, 30),
            Money("其中：当年财政拨款", 50, 50, 30),
            Money("上年结转资金"),
            Money("其他资金", DASH, DASH, DASH),
        ),
        claimed_rate="60%",
        claimed_execution=6,
        indicators=changed(SEED_INDICATORS, 2, actual="50%", claimed=10, reason="系统未按期上线"),
        claimed_total=86,
    )
    first, other = read(tmp_path, seed(sheet="值班视频"), second)
    assert (first.sheet, first.total, first.grade, first.funds.budget) == ("值班视频", 99.4, "优秀", 35)
    assert (other.sheet, other.funds.budget, other.funds.executed) == ("会议系统", 50, 30)
    assert other.funds.execution_rate == 60.0  # 30 / 50 = 60%
    assert other.execution_score == 6.0  # 10 × 60%
    assert scores(other)[2] == 10.0  # ≥100%, actual 50% → 0.5 → 20 × 0.5
    assert (other.total, other.grade) == (86.0, "良好")  # 6 + 90 − 10 = 86, in [80, 90)
    assert clean(other)
    assert {f.sheet for r in (first, other) for f in r.findings} <= {"值班视频", "会议系统"}


# 13 --------------------------------------------------------------------------------------------------------------


def test_a_cover_sheet_and_an_empty_sheet_are_read_past(tmp_path):
    [r] = read(tmp_path, Cover(), SEED, Cover("Sheet2", ()))
    assert (r.layout, r.sheet) == ("national", "项目支出绩效自评表")
    assert_seed_scores(r)


# 14 --------------------------------------------------------------------------------------------------------------


def test_claims_that_differ_are_reported_on_their_cells(tmp_path):
    form = seed(
        claimed_rate="90%",
        claimed_execution=10,
        indicators=changed(SEED_INDICATORS, 1, claimed=8),
        claimed_total=100,
    )
    r = one(tmp_path, form)
    assert_seed_scores(r)  # our figures stand: 9.4, each weight, 99.4
    rate = only(r, "EXECUTION_RATE_MISMATCH", "H6")
    assert names(rate, "90", "94")  # 90% printed; 32.88 / 35 = 93.94%
    assert cells(r, "CLAIMED_SCORE_MISMATCH") == ["H14", "I6"]
    [indicator] = [f for f in r.findings if f.cell == "H14"]
    assert names(indicator, "8", "10")  # 8 written; ≥100% met at 100% → 10
    [execution] = [f for f in r.findings if f.cell == "I6"]
    assert names(execution, "10", "9.4")  # 10 written; 10 × 94% = 9.4
    total = only(r, "CLAIMED_TOTAL_MISMATCH", "H22")
    assert names(total, "100", "99.4")
    assert {f.severity.value for f in r.findings if f.code.startswith(("CLAIMED_", "EXECUTION_"))} == {"warning"}


@pytest.mark.parametrize(
    ("printed", "reported"),
    [
        ("94%", False),  # |94 − 93.943| = 0.057 ≤ 0.5 (half a unit of 1%)
        ("93.9%", False),  # |93.9 − 93.943| = 0.043 ≤ 0.05
        (0.94, False),  # bare: nearer as a fraction → 94%, ≤ 0.5
        (94, False),  # bare: nearer as a percent → 94%
        ("95%", True),  # 1.057 > 0.5
        ("93.8%", True),  # 0.143 > 0.05
        (0.95, True),  # 95%
        (90, True),  # 90%
    ],
)
def test_the_printed_rate_is_checked_to_its_own_precision(tmp_path, printed, reported):
    r = one(tmp_path, seed(claimed_rate=printed))
    assert cells(r, "EXECUTION_RATE_MISMATCH") == (["H6"] if reported else [])
    assert r.funds.execution_rate == 94.0


# 15 --------------------------------------------------------------------------------------------------------------


def test_placeholder_rows_are_not_indicators(tmp_path):
    indicators = (
        Ind("产出指标", "数量指标", "指标1："),  # row 13
        Ind("产出指标", "数量指标", "指标2："),  # row 14
        *SEED_INDICATORS[:3],  # rows 15–17
        Ind("产出指标", "时效指标", None),  # row 18: only a 二级 label
        *SEED_INDICATORS[3:],  # rows 19–24
        Ind("满意度指标", "服务对象满意度指标", "……"),  # row 25
    )
    r = one(tmp_path, seed(indicators=indicators))
    assert [s.indicator.row for s in r.indicators] == [15, 16, 17, 19, 20, 21, 22, 23, 24]
    assert [s.indicator.name for s in r.indicators] == [i.name for i in SEED_INDICATORS]
    assert_seed_scores(r)
    assert clean(r)  # nothing asked of rows 13, 14, 18, 25


# 16 --------------------------------------------------------------------------------------------------------------


def test_the_seed_form_as_xls(tmp_path):
    r = one(tmp_path, write=write_xls, name="自评表.xls")
    assert (r.layout, r.sheet) == ("national", "项目支出绩效自评表")
    assert [s.indicator.row for s in r.indicators] == SEED_ROWS
    assert [s.indicator.level2 for s in r.indicators] == SEED_LEVEL2
    assert_seed_scores(r)
    assert clean(r)  # H6 holds 0.94 formatted 0%: 94%


# 17 --------------------------------------------------------------------------------------------------------------


def test_a_platform_export_with_uncalculated_formulas(tmp_path):
    # PLATFORM: total row 6 (D6:F6 =R[1]C+R[2]C+R[3]C+R[4]C, placeholders 0), H6 =RC[-2]/RC[-3] (#DIV/0!),
    # I6 =IF(RC[-1]*RC[-2]>10,10,RC[-1]*RC[-2]) (0), indicators 14–22, 总分 H23 =SUM(R[-9]C:R[-1]C)+R[-17]C[1] (0)
    r = one(tmp_path, PLATFORM, write=write_spreadsheetml, name="platform.xls")
    # E6 = E7+E8+E9+E10 = 35 + 0 + 0 + 0 = 35; F6 = 32.88 + 0 + 0 + 0 = 32.88
    assert (r.funds.budget, r.funds.executed, r.funds.fiscal) == (35, 32.88, 35)
    assert [s.indicator.row for s in r.indicators] == list(range(14, 23))
    assert_seed_scores(r)  # 32.88 / 35 → 94% → 9.4, + 90 = 99.4
    assert not [f for f in r.findings if f.code.startswith("FORMULA_")]
    assert cells(r, "FUNDS_ROWS_MISMATCH") == []  # 35 = 35 + blanks, once calculated
    assert cells(r, "EXECUTION_RATE_MISMATCH") == []  # H6 = 32.88 / 35 = 0.939428…, the rate itself
    # I6 = 0.939428… × 10 = 9.394… and H23 = 90 + 9.394… = 99.394…: the platform scores the unrounded rate, the
    # rules the rounded one (9.4, 99.4). A formula's result is the sheet's arithmetic, not a claim the unit typed
    # (docs/decisions.md): neither is reported, and no indicator's claim differs (each 得分 is its weight)
    assert cells(r, "CLAIMED_SCORE_MISMATCH") == [] and cells(r, "CLAIMED_TOTAL_MISMATCH") == []
    assert not_review(r.findings) == []


def exact_platform(**changes):
    """The platform export with 40 budgeted and 36 spent: 36 / 40 = 0.9 exactly, so its formulas give our figures."""
    money = (Money("年度资金总额"), Money("其中：当年财政拨款", 40, 40, 36), *PLATFORM.money_rows[2:])
    return replace(PLATFORM, money_rows=money, **changes)


def test_a_platform_exports_claims_are_its_formulas_values(tmp_path):
    r = one(tmp_path, exact_platform(), write=write_spreadsheetml, name="platform.xls")
    # E6 = 40, F6 = 36, H6 = 36 / 40 = 0.9 → 90%, I6 = 0.9 × 10 = 9 (≤ 10) → ours 10 × 90% = 9.0;
    # H23 = 90 + 9 = 99 → ours 9 + 90 = 99.0 → 优秀. Every claim agrees (the placeholders 0 would not).
    assert (r.funds.budget, r.funds.executed, r.funds.execution_rate) == (40, 36, 90.0)
    assert (r.execution_score, r.total, r.grade) == (9.0, 99.0, "优秀")
    assert clean(r)


def test_a_platform_exports_typed_claims_are_still_checked(tmp_path):
    form = exact_platform(indicators=changed(SEED_INDICATORS, 1, claimed=8))
    r = one(tmp_path, form, write=write_spreadsheetml, name="platform.xls")
    f = only(r, "CLAIMED_SCORE_MISMATCH", "H15")  # 8 typed in H15; ≥100% met at 100% → 10
    assert names(f, "8", "10")
    assert (r.total, r.grade) == (99.0, "优秀")  # ours: 9 + 90, whatever the sheet's H23 = 88 + 9 = 97 says
    assert cells(r, "CLAIMED_TOTAL_MISMATCH") == []  # H23 is the sheet's own SUM of those claims, not typed


# 18 --------------------------------------------------------------------------------------------------------------


def test_an_indicator_header_without_weights_cannot_be_scored(tmp_path):
    columns = ("level1", "level2", "name", "target", "actual", "score", "reason")  # no 分值 / 权重
    r = one(tmp_path, seed(columns=columns))
    assert (r.scored, r.total, r.grade) == (False, None, None)
    [f] = [f for f in r.findings if f.code == "MISSING_COLUMN"]
    assert f.sheet == r.sheet and f.cell.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ") == "12"  # on the header row
    assert "分值" in f.message
    assert f.severity.value == "error"


def test_a_form_without_a_project_name_cannot_be_scored(tmp_path):
    r = one(tmp_path, seed(name=None))
    assert (r.scored, r.total) == (False, None)
    f = only(r, "MISSING_FIELD", "B3")  # the value cell beside 项目名称 (A3)
    assert "项目名称" in f.message


# 19 --------------------------------------------------------------------------------------------------------------


def test_total_label_spaced_out(tmp_path):
    r = one(tmp_path, seed(total_label="总    分", claimed_total=98))
    assert_seed_scores(r)
    assert names(only(r, "CLAIMED_TOTAL_MISMATCH", "H22"), "98", "99.4")  # the row was found by 总    分


# 20 --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("claimed", "reported"), [(99.4, False), (98, True)])
def test_a_total_formatted_as_percent_is_points(tmp_path, claimed, reported):
    # H22 holds 99.4 formatted 0% (Excel shows 9940%): 99.4 points, our total; 98 points is not
    r = one(tmp_path, seed(claimed_total=claimed, total_format="0%"))
    assert r.total == 99.4
    assert cells(r, "CLAIMED_TOTAL_MISMATCH") == (["H22"] if reported else [])
    if reported:
        [f] = [f for f in r.findings if f.code == "CLAIMED_TOTAL_MISMATCH"]
        assert names(f, "98", "99.4") and "9800" not in f.message and "0.98" not in f.message


# the builders themselves -----------------------------------------------------------------------------------------


def test_the_builders_write_the_seed_form_as_documented(tmp_path):
    ws = openpyxl.load_workbook(write_xlsx(tmp_path / "seed.xlsx")).active
    assert [ws[c].value for c in ("A1", "A3", "A5", "B6", "E6", "F6", "A12", "B13", "A22", "H22")] == [
        "项目支出绩效自评表",
        "项目名称",
        "项目资金（万元）",
        "年度资金总额",
        35,
        32.88,
        "绩效指标",
        "产出指标",
        "总分",
        99.4,
    ]
    assert (ws["H6"].value, ws["H6"].number_format, ws["D13"].font.name) == (0.94, "0%", "宋体")
    assert {"A5:A9", "B13:B15", "C14:C15", "A22:F22"} <= {str(m) for m in ws.merged_cells.ranges}

    book = xlrd.open_workbook(write_xls(tmp_path / "seed.xls"), formatting_info=True)
    sheet = book.sheet_by_index(0)
    assert (sheet.name, sheet.cell_value(5, 7), sheet.cell_value(21, 7)) == ("项目支出绩效自评表", 0.94, 99.4)
    assert (4, 9, 0, 1) in sheet.merged_cells  # A5:A9, 0-based and half-open
    fmt = book.format_map[book.xf_list[sheet.cell_xf_index(5, 7)].format_key].format_str
    assert fmt == "0%"

    path = write_spreadsheetml(tmp_path / "platform.xls")
    assert path.read_bytes().startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<?mso-application')
    ss = "{urn:schemas-microsoft-com:office:spreadsheet}"
    root = ET.parse(path).getroot()
    assert root.tag == f"{ss}Workbook"
    formulas = [c.get(f"{ss}Formula") for c in root.iter(f"{ss}Cell") if c.get(f"{ss}Formula")]
    assert formulas == [
        "=R[1]C+R[2]C+R[3]C+R[4]C",  # D6 = D7 + D8 + D9 + D10, and so for E6, F6
        "=R[1]C+R[2]C+R[3]C+R[4]C",
        "=R[1]C+R[2]C+R[3]C+R[4]C",
        "=RC[-2]/RC[-3]",  # H6 = F6 / E6
        "=IF(RC[-1]*RC[-2]>10,10,RC[-1]*RC[-2])",  # I6 = H6 × G6, at most 10
        "=SUM(R[-9]C:R[-1]C)+R[-17]C",  # G23 = SUM(G14:G22) + G6
        "=SUM(R[-9]C:R[-1]C)+R[-17]C[1]",  # H23 = SUM(H14:H22) + I6
    ]
