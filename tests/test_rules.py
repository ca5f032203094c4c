"""A bureau's own rules in TOML (scoring.md §7): every variant scored by hand, every mistake named by line."""

import dataclasses
import hashlib
import json
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import ind
from typer.testing import CliRunner

import xlsx_eval
from xlsx_eval import evaluate
from xlsx_eval.cli import app
from xlsx_eval.errors import RulesError
from xlsx_eval.score.rules import DEFAULT_RULES
from xlsx_eval.score.rules_file import load_rules, parse_rules, rules_toml

PROFILES = Path(xlsx_eval.__file__).parent / "score" / "profiles"


def rules_from(tmp_path, text: str):
    path = tmp_path / "bureau.toml"
    path.write_text(text, encoding="utf-8")
    return load_rules(str(path))


def test_the_printed_rules_read_back_as_the_defaults():
    assert (
        dataclasses.replace(parse_rules(rules_toml()), digest="", name="national", title=DEFAULT_RULES.title)
        == DEFAULT_RULES
    )
    assert (PROFILES / "national.toml").read_text(encoding="utf-8") == rules_toml()


def test_a_partial_file_changes_only_what_it_names(tmp_path):
    rules = rules_from(tmp_path, "[scoring]\nscore_decimals = 0\n")
    assert rules.score_decimals == 0 and rules.name == "bureau"
    assert (
        dataclasses.replace(rules, score_decimals=2, name="national", title=DEFAULT_RULES.title, digest="")
        == DEFAULT_RULES
    )
    assert rules.digest == hashlib.sha256(b"[scoring]\nscore_decimals = 0\n").hexdigest()


@pytest.mark.parametrize(
    "text, expected",
    [
        ('[scoring]\nreverse = "lin"\n', "第 2 行：“reverse”应为 'ratio' 或 'linear'"),
        ('name = "x"\n\n[scoring]\nscore_decimal = 0\n', "第 4 行：不认识的设置“score_decimal”"),
        ('[execution]\nweight = "二十"\n', "第 2 行：“weight”应为数字"),
        ('[grades]\nbands = [[80, "良好"], [90, "优秀"], [0, "差"]]\n', "第 2 行：“bands”的总分下限应从高到低"),
        ('[grades]\nbands = [[90, "优秀"], [60, "中"]]\n', "最后一个等级的总分下限应为 0"),
        ("[execution]\ntiers = [[90, 1.0], [95, 0.8]]\n", "第 2 行：“tiers”的执行率下限应从高到低"),
        ("[scoring]\nscore_decimals = 2\nweight_total = \n", "不是有效的 TOML 文件，第 3 行第 16 列：这里的值无法识别"),
        ('[scoring]\nscore_decimals = 2\ntitle = "未完\n', "第 3 行第 12 列：有不允许的字符"),
        ("[executon]\nweight = 20\n", "第 1 行：不认识的表“[executon]”（可能拼写有误）；可用的表有：[execution]"),
    ],
)
def test_mistakes_are_named_with_their_line(tmp_path, text, expected):
    with pytest.raises(RulesError) as caught:
        rules_from(tmp_path, text)
    assert expected in str(caught.value)


LEVELS = """
[[levels]]
name = "达成"
words = ["达成"]
band = [80, 100]
default = 100

[[levels]]
name = "部分达成"
words = ["部分达成"]
band = [{low}, 80]
default = 70

[[levels]]
name = "未达成"
words = ["未达成"]
band = [0, {high}]
default = 30
"""


@pytest.mark.parametrize("low, high, problem", [(60, 50, "留有空档"), (50, 60, "重叠")])
def test_bands_that_leave_a_gap_or_overlap(tmp_path, low, high, problem):
    with pytest.raises(RulesError) as caught:
        rules_from(tmp_path, LEVELS.format(low=low, high=high))
    assert problem in str(caught.value) and "第 2 行" in str(caught.value)


def test_an_unknown_profile_lists_the_known_ones():
    with pytest.raises(RulesError) as caught:
        load_rules("guangdong")
    assert "hubei" in str(caught.value) and "national" in str(caught.value)


def test_hubei_execution_weight_labels_and_bands(build):
    rules = load_rules("hubei")
    [r] = evaluate(
        build(
            info={"预算执行率分值": None},
            indicators=[  # indicators worth 80, as Hubei's forms
                ind("产出指标", "数量指标", "a", "≥100%", "100%", 40),
                ind("产出指标", "质量指标", "b", "≥100%", "100%", 30),
                ind("效益指标", "社会效益指标", "c", "明显提高", "部分达成", 10, nature="定性", claimed=5.5),
            ],
        ),
        rules,
    )
    # blank 预算执行率分值: the profile's 20; 32.88 / 35 = 94% → 20 × 94% = 18.8
    assert r.execution_weight == 20 and r.execution_score == 18.8
    # 部分达成 proposed 5.5 of 10 = 55%: inside Hubei's [50%, 80%) (the national band starts at 60%)
    assert [s.score for s in r.indicators] == [40.0, 30.0, 5.5]
    # 18.8 + 40 + 30 + 5.5 = 94.3 → 优
    assert (r.total, r.grade) == (94.3, "优")
    assert r.rules == {
        "name": "hubei",
        "title": "湖北省项目支出绩效自评规则",
        "grades": ["优", "良", "中", "差"],
        "digest": hashlib.sha256((PROFILES / "hubei.toml").read_bytes()).hexdigest(),
    }


def test_the_workbook_weights_win_over_the_profile(build):
    [r] = evaluate(build(), load_rules("hubei"))  # the seed states 预算执行率分值 10
    assert (r.execution_weight, r.execution_score, r.total) == (10, 9.4, 99.4)


def test_satisfaction_scored_as_the_rate(build, tmp_path):
    rows = [
        ind("满意度指标", "服务对象满意度指标", "群众满意度", "≥95%", "98%", 20),
        ind("产出指标", "数量指标", "a", "≥100%", "100%", 70),
    ]
    [target] = evaluate(build(indicators=rows))
    [rate] = evaluate(build("b.xlsx", indicators=rows), rules_from(tmp_path, '[scoring]\nsatisfaction = "rate"\n'))
    assert target.indicators[0].score == 20.0  # 98 / 95 ≥ 1: full marks against the target
    assert rate.indicators[0].score == 19.6  # 20 × 98%


def test_whole_point_rounding(build, tmp_path):
    rows = [
        ind("产出指标", "质量指标", "a", "≥100%", "86.2%", 10),
        ind("产出指标", "数量指标", "b", "≥100%", "100%", 80),
    ]
    [r] = evaluate(build(indicators=rows), rules_from(tmp_path, "[scoring]\nscore_decimals = 0\n"))
    # 10 × 86.2% = 8.62 → 9; execution 94% of 10 = 9.4 → 9; 9 + 9 + 80 = 98
    assert [s.score for s in r.indicators] == [9.0, 80.0]
    assert (r.execution_score, r.total) == (9.0, 98.0)


def test_reverse_indicators_by_linear_deduction(build, tmp_path):
    rows = [
        ind("产出指标", "成本指标", "a", "≤35万元", "38.5万元", 10),
        ind("产出指标", "成本指标", "b", "≤35万元", "80万元", 10),
        ind("产出指标", "数量指标", "c", "≥100%", "100%", 70),
    ]
    [ratio] = evaluate(build(indicators=rows))
    [linear] = evaluate(build("b.xlsx", indicators=rows), rules_from(tmp_path, '[scoring]\nreverse = "linear"\n'))
    # ratio: 10 × 35 / 38.5 = 9.09; 10 × 35 / 80 = 4.375 → 4.38
    assert [s.score for s in ratio.indicators[:2]] == [9.09, 4.38]
    # linear: 10 × (1 − 3.5 / 35) = 9; beyond twice the target: 0
    assert [s.score for s in linear.indicators[:2]] == [9.0, 0.0]


def test_deviation_deduction(build, tmp_path):
    rows = [
        ind("产出指标", "数量指标", "培训人次", "≥100人次", "135人次", 10),
        ind("产出指标", "数量指标", "b", "≥100%", "100%", 80),
    ]
    [r] = evaluate(build(indicators=rows), rules_from(tmp_path, "[scoring]\ndeviation_ratio = 1.3\n"))
    # 135 ≥ 1.3 × 100: 指标偏离, 10 − 2 = 8
    assert r.indicators[0].score == 8.0
    [f] = [f for f in r.findings if f.code == "DEVIATION_DEDUCTION"]
    assert f.cell == "F2" and "扣2分" in f.message


def test_total_capped_by_the_execution_rate(build, tmp_path):
    caps = "[execution]\ncaps = [[80, 89], [70, 79], [60, 69], [50, 59]]\n"
    [r] = evaluate(
        build(info={"全年预算数": 100, "资金到位数": 100, "其中财政资金": 100, "全年执行数": 75}, payments=[]),
        rules_from(tmp_path, caps),
    )
    # 75% → 7.5; 7.5 + 90 = 97.5, but below 80% the total is at most 89
    assert r.execution_score == 7.5 and r.total == 89.0
    [f] = [f for f in r.findings if f.code == "TOTAL_CAPPED"]
    assert "最高89分" in f.message and "扣减8.5分" in f.message


def test_tiered_execution_scoring(build, tmp_path):
    tiers = "[execution]\ntiers = [[90, 1], [80, 0.8], [0, 0]]\n"
    [r] = evaluate(
        build(info={"全年预算数": 100, "资金到位数": 100, "其中财政资金": 100, "全年执行数": 85}, payments=[]),
        rules_from(tmp_path, tiers),
    )
    assert r.execution_score == 8.0  # 85% is in the [80%, 90%) tier: 80% of 10


def test_cli_rules_prints_and_checks(tmp_path):
    printed = CliRunner().invoke(app, ["rules"])
    assert printed.exit_code == 0 and printed.stdout == rules_toml()
    path = tmp_path / "mine.toml"
    path.write_text('[grades]\nbands = [[85, "优"], [75, "良"], [60, "中"], [0, "差"]]\n', encoding="utf-8")
    checked = CliRunner().invoke(app, ["rules", "--check", str(path)])
    assert checked.exit_code == 0 and "有效" in checked.output


def test_a_bad_rules_file_stops_before_any_workbook_is_read(tmp_path, example):
    path = tmp_path / "bad.toml"
    path.write_text("[scoring]\nsatisfaction = 1\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["convert", str(example), "-o", str(tmp_path / "out"), "--rules", str(path)])
    assert result.exit_code == 2 and "第 2 行" in result.output
    assert not (tmp_path / "out").exists()


def test_the_rules_are_recorded_in_the_json(example):
    result = CliRunner().invoke(app, ["check", "--json", "--rules", "hubei", str(example)])
    record = json.loads(result.stdout)["results"][0]
    assert record["rules"]["name"] == "hubei" and len(record["rules"]["digest"]) == 64
    assert record["grade"] == "优"
    assert Decimal(str(record["total"])) == Decimal("99.4")


def test_the_rules_are_named_on_the_result_sheet(example, tmp_path):
    import openpyxl

    from xlsx_eval import convert

    [r] = convert(example, tmp_path, load_rules("hubei"))
    shown = [c.value for row in openpyxl.load_workbook(r.output)["评分结果"].iter_rows() for c in row]
    assert "湖北省项目支出绩效自评规则" in shown  # the title, in full; the digest in small print under it
    assert openpyxl.load_workbook(r.output)["评分结果"]["B7"].value == f"规则 hubei，文件摘要 {r.rules['digest'][:12]}"
