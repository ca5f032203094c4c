"""Issue 15, part 2: the 绩效目标申报表 (review.md, "Declared targets") read, matched to the self-evaluations, and
their targets compared.

Cells worked out from the layouts (declared_forms.py, national_forms.py):
- a declaration's indicator i has its 目标值 in F(9 + i): the second one's is F10;
- the seed national form's indicator table has its header on row 12 (三级指标 in D12) and indicator i on row
  13 + i, its 年度指标值 in column E: the second one's is E14; with a 项目编码 row every row below shifts by one;
- our own workbook's 绩效指标 has indicator i on row 2 + i, 三级指标 in C, 年度指标值 in D.
"""

from __future__ import annotations

import dataclasses
import json
import shutil

import openpyxl
import pytest
from conftest import SEED_INDICATORS, soffice, write_workbook
from declared_forms import SEED_DECLARED, Declaration, write_declarations
from national_forms import SEED, Ind, changed, write_xlsx
from typer.testing import CliRunner

import xlsx_eval
from xlsx_eval.cli import app
from xlsx_eval.model import Indicator
from xlsx_eval.pipeline import process, read_declared
from xlsx_eval.read.declared import read_declarations
from xlsx_eval.score.declared import same_target
from xlsx_eval.score.rules_file import parse_rules

REVIEW = ("TARGET_CHANGED", "INDICATOR_DROPPED", "INDICATOR_ADDED")


def declared_findings(result) -> list[tuple[str, str]]:
    return [(f.code, f.cell) for f in result.findings if f.code in REVIEW]


def test_a_workbook_of_declarations_is_read_by_label(tmp_path):
    path = write_declarations(
        tmp_path / "申报表.xlsx",
        Declaration(code="130102-2020-017", explanations={"上级单位满意度": "问卷调查，样本 50 份"}),
        Declaration(
            name="机关食堂改造",
            sheet="第二张",
            title="二级项目支出绩效目标申报表",
            unit="[105]长安区机关事务服务中心",
            unit_label="实施单位",
            department_label="一级预算单位",
            target_label="指标值",
            total=120,
            this_year=80,
            indicators=(("产出指标", "数量指标", "改造面积", "≥600平方米"), ("满意度指标", "服务对象满意度指标", "就餐人员满意度", "≥90%")),
        ),
    )  # fmt: skip
    first, second = read_declarations(path)
    assert (first.sheet, first.name, first.code, first.unit, first.department) == (
        "绩效目标申报表", "值班视频系统安装经费", "130102-2020-017", "长安区委办公室", "中共石家庄市长安区委员会"
    )  # fmt: skip
    assert (first.total_amount, first.year_amount) == (35, 35)
    assert first.goals == "完成值班视频系统安装，保证7*24小时运行"
    assert first.long_goals == "建成覆盖全区的值班视频系统并长期稳定运行"
    assert [(i.level1, i.level2, i.name, i.target) for i in first.indicators] == list(SEED_DECLARED)  # carried down
    assert [i.cell for i in first.indicators] == [f"F{9 + k}" for k in range(9)]
    assert first.indicators[6].explanation == "问卷调查，样本 50 份"
    assert first.problem is None
    # the variants: 实施单位 and 一级预算单位 for the unit and department, 指标值 for 目标值, a code before the unit
    assert (second.sheet, second.name, second.unit, second.department) == (
        "第二张", "机关食堂改造", "长安区机关事务服务中心", "中共石家庄市长安区委员会"
    )  # fmt: skip
    assert (second.total_amount, second.year_amount) == (120, 80)
    assert [(i.name, i.target, i.cell) for i in second.indicators] == [
        ("改造面积", "≥600平方米", "F9"), ("就餐人员满意度", "≥90%", "F10")
    ]  # fmt: skip


def test_an_office_suites_copy_reads_the_same(tmp_path):
    if not shutil.which("soffice"):
        pytest.skip("LibreOffice is not installed")
    made = write_declarations(tmp_path / "申报表.xlsx", Declaration(code="130102-2020-017"))
    wanted = read_declarations(made)[0]
    for fmt in ("xls", "ods"):
        copy = read_declarations(soffice(made, tmp_path / fmt, fmt))[0]
        assert (copy.name, copy.code, copy.unit, copy.department) == (
            wanted.name, wanted.code, wanted.unit, wanted.department
        )  # fmt: skip
        assert [(i.name, i.target, i.cell) for i in copy.indicators] == [
            (i.name, i.target, i.cell) for i in wanted.indicators
        ]


def test_a_sheet_without_a_project_name_is_listed_with_why(tmp_path):
    path = write_declarations(tmp_path / "申报表.xlsx", Declaration(name=None))  # type: ignore[arg-type]
    [d] = read_declarations(path)
    assert d.problem == "没有填写项目名称（B3）"
    declared, _ = read_declared([path])
    assert not declared.by_name and not declared.by_code


def test_a_rewritten_target_a_dropped_and_an_added_indicator_are_on_the_self_evaluations_cells(tmp_path):
    dropped = ("产出指标", "数量指标", "安装视频终端数量", "≥12台")
    write_declarations(tmp_path / "申报表.xlsx", Declaration(indicators=SEED_DECLARED + (dropped,)))
    indicators = changed(SEED.indicators, 1, target="≥90%")  # declared ≥100%
    indicators += (Ind("效益指标", "社会效益指标", "值班制度上墙", "≥1项", "1项", 0.0001),)
    form = write_xlsx(tmp_path / "自评.xlsx", dataclasses.replace(SEED, indicators=indicators))
    declared, problems = read_declared([tmp_path / "申报表.xlsx"])
    assert problems == []
    [result] = process([form], declared=declared)
    assert result.declaration == {
        "file": str(tmp_path / "申报表.xlsx"),
        "sheet": "绩效目标申报表",
        "matched_by": "name",
    }
    assert declared_findings(result) == [
        ("TARGET_CHANGED", "E14"), ("INDICATOR_ADDED", "D22"), ("INDICATOR_DROPPED", "D12")
    ]  # fmt: skip
    changed_target, added, missing = (f for f in result.findings if f.code in REVIEW)
    assert changed_target.severity.value == "error" and changed_target.sheet == "项目支出绩效自评表"
    assert "“≥90%”与绩效目标申报表申报的“≥100%”（申报表.xlsx!绩效目标申报表!F10）不同" in changed_target.message
    assert "“值班制度上墙”不在绩效目标申报表（申报表.xlsx!绩效目标申报表）中" in added.message
    assert "“安装视频终端数量”（申报表.xlsx!绩效目标申报表!F18，目标值“≥12台”）在自评表中没有" in missing.message
    # and the same in our own workbook: 年度指标值 in D, 三级指标 in C, the header on row 1
    rows = [list(x) for x in SEED_INDICATORS]
    rows[1][3] = "≥90%"
    ours = write_workbook(tmp_path / "ours.xlsx", indicators=rows)
    [result] = process([ours], declared=declared)
    assert declared_findings(result) == [("TARGET_CHANGED", "D3"), ("INDICATOR_DROPPED", "C1")]


def test_matching_by_code_first_then_unit_and_name_normalised(tmp_path):
    write_declarations(
        tmp_path / "申报表.xlsx",
        Declaration(name="值班视频系统安装（一期）", code="130102-2020-017", sheet="按编码"),
        Declaration(name="机关食堂改造", unit="长安区委办公室", sheet="按名称"),
        Declaration(name="档案数字化", code="130102-2020-099", sheet="编码不同"),
    )
    declared, _ = read_declared([tmp_path / "申报表.xlsx"])
    cases = {
        # the code matches though the name was since changed
        "code.xlsx": (dataclasses.replace(SEED, code="130102-2020-017"), "按编码", "code"),
        # no code on the form: unit and name, with a full-width space and other punctuation
        "name.xlsx": (dataclasses.replace(SEED, name="机关食堂 改造。", unit=("实施单位", "长安区委办公室")), "按名称", "name"),
        # the name matches a declaration with another code: two projects, not matched
        "other.xlsx": (dataclasses.replace(SEED, name="档案数字化", code="130102-2020-100"), None, None),
    }  # fmt: skip
    for file, (form, sheet, how) in cases.items():
        [result] = process([write_xlsx(tmp_path / file, form)], declared=declared)
        assert (result.declaration or {}).get("sheet") == sheet and (result.declaration or {}).get("matched_by") == how
    assert xlsx_eval.evaluate(tmp_path / "code.xlsx")[0].project.code == "130102-2020-017"


def test_two_declarations_of_one_project_are_listed_not_guessed_between(tmp_path):
    write_declarations(tmp_path / "a.xlsx", Declaration())
    write_declarations(tmp_path / "b.xlsx", Declaration())
    declared, _ = read_declared([tmp_path / "a.xlsx", tmp_path / "b.xlsx"])
    [result] = process([write_xlsx(tmp_path / "自评.xlsx", SEED)], declared=declared)
    assert result.declaration is None and declared_findings(result) == []
    assert set(declared.ambiguous.values()) == {"与另外 1 份申报表的申请单位和项目名称相同，又都没有项目编码"}


@pytest.mark.parametrize(
    ("declared", "target", "nature", "unit", "same"),
    [
        ("≥100%", "≥ 100 %", None, None, True),
        ("≥100%", "100%", "≥", None, True),  # the sign in 指标性质
        ("≥1次", "1次", "定性", None, True),  # 定性 is no sign
        ("≤35万元", "≤35", None, "万元", True),  # the unit in 计量单位
        ("按时完成", "按时 完成", None, None, True),
        ("≥95%", "≥90%", None, None, False),
        ("≥100%", "≤100%", None, None, False),
        ("≤35万元", "≤35元", None, None, False),
        ("按时完成", "及时完成", None, None, False),
    ],
)
def test_what_counts_as_the_declared_target(declared, target, nature, unit, same):
    indicator = Indicator(1, None, None, "x", nature, target, unit, None, None, None)
    assert same_target(declared, indicator) is same


def test_each_check_can_be_switched_off(tmp_path):
    write_declarations(tmp_path / "申报表.xlsx", Declaration())
    form = write_xlsx(
        tmp_path / "自评.xlsx", dataclasses.replace(SEED, indicators=changed(SEED.indicators, 1, target="≥90%"))
    )
    declared, _ = read_declared([tmp_path / "申报表.xlsx"])
    rules = parse_rules("[review.TARGET_CHANGED]\nenabled = false\n")
    [result] = process([form], rules, declared=declared)
    assert declared_findings(result) == []


def test_a_self_evaluation_that_mentions_the_declaration_is_still_one(tmp_path):
    form = dataclasses.replace(SEED, year_row="（2020年度）年度指标值须与绩效目标申报表")
    [result] = xlsx_eval.evaluate(write_xlsx(tmp_path / "自评.xlsx", form))
    assert result.scored and result.total == 99.4


def test_a_declaration_given_as_a_self_evaluation_says_so(tmp_path):
    path = write_declarations(tmp_path / "申报表.xlsx", Declaration())
    [result] = xlsx_eval.evaluate(path)
    assert result.findings[0].code == "UNREADABLE_FILE"
    assert "这是绩效目标申报表（工作表“绩效目标申报表”），不是绩效自评表" in result.findings[0].message


def test_review_lists_what_matched_and_what_did_not(tmp_path):
    inbox, declared = tmp_path / "inbox", tmp_path / "申报表"
    inbox.mkdir()
    declared.mkdir()
    write_declarations(declared / "区委办.xlsx", Declaration(), Declaration(name="机关食堂改造", sheet="第二张"))
    (declared / "坏.xlsx").write_bytes(b"PK\x03\x04 truncated")
    openpyxl.Workbook().save(declared / "空白.xlsx")
    write_xlsx(inbox / "区委办.xlsx", dataclasses.replace(SEED, indicators=changed(SEED.indicators, 1, target="≥90%")))
    write_xlsx(inbox / "信访局.xlsx", dataclasses.replace(SEED, unit=("实施单位", "长安区信访局")))
    out = tmp_path / "out"
    done = CliRunner().invoke(app, ["review", str(inbox), "-o", str(out), "--declared", str(declared), "--json"])
    assert done.exit_code == 1, done.output  # a TARGET_CHANGED is an error
    document = json.loads(done.stdout)
    forms = {m["unit"]: m for m in document["declared"]["forms"]}
    assert forms["长安区委办公室"]["declaration"] == "区委办.xlsx!绩效目标申报表"
    assert forms["长安区信访局"]["declaration"] is None
    assert forms["长安区信访局"]["why"] == "没有项目编码相同、或申请单位和项目名称都相同的绩效目标申报表"
    unmatched = {(m["file"].rsplit("/", 1)[-1], m["sheet"]): m["why"] for m in document["declared"]["unmatched"]}
    assert unmatched[("区委办.xlsx", "第二张")] == "没有项目编码相同、或申请单位和项目名称都相同的自评表"
    assert unmatched[("空白.xlsx", None)].startswith("文件中没有绩效目标申报表")
    assert unmatched[("坏.xlsx", None)].startswith("文件已损坏或不完整")
    top = document["review"][0]
    assert top["unit"] == "长安区委办公室"
    assert [(x["code"], x["cell"], x["weight"]) for x in top["reasons"][:2]] == [
        ("SCORE_OUTRUNS_SPENDING", "F6", 3), ("TARGET_CHANGED", "E14", 3)
    ]  # fmt: skip
    assert top["risk"] == document["review"][1]["risk"] + 3  # the same form but for the rewritten target
    assert "申报表对照：1 份自评表找到了绩效目标申报表，1 份没有；3 份申报表没有对应的自评表" in done.stderr
    ws = openpyxl.load_workbook(out / "review.xlsx")["申报表对照"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 2 + 3
    for row, m in zip(rows, document["declared"]["forms"], strict=False):
        assert row[1:4] == (m["unit"], m["project"], m["code"]) and row[6] == m["declaration"]
    assert [r[0] for r in rows[2:]] == ["申报表（未匹配）"] * 3
    assert [r[7] for r in rows[2:]] == [m["why"] for m in document["declared"]["unmatched"]]
    # the scored copy marks the rewritten target
    scored = openpyxl.load_workbook(out / "区委办.scored.xlsx")
    assert any("TARGET_CHANGED" in str(c.value) for row in scored["评分结果"].iter_rows() for c in row)


def test_changed_declarations_are_not_answered_from_the_store(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_xlsx(inbox / "区委办.xlsx", dataclasses.replace(SEED, indicators=changed(SEED.indicators, 1, target="≥90%")))
    write_declarations(tmp_path / "申报表.xlsx", Declaration())
    out, runner = tmp_path / "out", CliRunner()
    first = runner.invoke(
        app, ["convert", str(inbox), "-o", str(out), "--json", "--declared", str(tmp_path / "申报表.xlsx")]
    )
    assert "TARGET_CHANGED" in first.stdout
    again = runner.invoke(app, ["convert", str(inbox), "-o", str(out), "--json", "--changed-only"])
    assert "TARGET_CHANGED" not in again.stdout  # not compared this time: not the stored result


def test_a_dash_is_no_code_and_filler_rows_are_no_indicators(tmp_path):
    filler = (
        ("产出指标", "数量指标", "……", None),
        ("产出指标", "数量指标", "指标4", None),
        ("效益指标", None, "/", "/"),
    )
    write_declarations(
        tmp_path / "申报表.xlsx",
        Declaration(code="—", indicators=SEED_DECLARED + filler),
        Declaration(name="机关食堂改造", code="—", sheet="第二张"),
    )
    declared, _ = read_declared([tmp_path / "申报表.xlsx"])
    assert not declared.by_code and not declared.ambiguous
    [result] = process([write_xlsx(tmp_path / "自评.xlsx", dataclasses.replace(SEED, code="—"))], declared=declared)
    assert result.declaration["matched_by"] == "name" and result.declaration["sheet"] == "绩效目标申报表"
    assert declared_findings(result) == []  # the filler rows were not declared indicators


def test_a_name_declared_twice_pairs_in_order(tmp_path):
    twice = (
        ("满意度指标", "服务对象满意度指标", "满意度", "≥90%"),
        ("满意度指标", "社会公众满意度指标", "满意度", "≥95%"),
    )
    write_declarations(tmp_path / "申报表.xlsx", Declaration(indicators=SEED_DECLARED[:7] + twice))
    indicators = SEED.indicators[:7] + tuple(
        Ind("满意度指标", level2, "满意度", target, "98%", weight, claimed=weight)
        for (_, level2, _, target), weight in zip(twice, (3, 2), strict=True)
    )
    form = write_xlsx(tmp_path / "自评.xlsx", dataclasses.replace(SEED, indicators=indicators))
    declared, _ = read_declared([tmp_path / "申报表.xlsx"])
    [result] = process([form], declared=declared)
    assert declared_findings(result) == []


def test_an_empty_indicator_table_is_a_problem_not_a_declaration_of_nothing(tmp_path):
    [d] = read_declarations(write_declarations(tmp_path / "申报表.xlsx", Declaration(indicators=())))
    assert d.problem == "绩效指标表（表头在第8行）中没有填写任何指标"


def test_a_deduction_below_zero_is_refused(tmp_path):
    from xlsx_eval.errors import RulesError

    with pytest.raises(RulesError, match="第 2 行：“no_cost_deduction”应为不小于 0 的数"):
        parse_rules("[scoring]\nno_cost_deduction = -5\n")
