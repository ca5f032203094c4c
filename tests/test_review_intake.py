"""Issue 15: a built intake of 32 forms of both layouts with their 绩效目标申报表, ten of them with a planted problem,
reviewed as a bureau would: `xlsx-eval review inbox/ -o out --declared 申报表/ --sample 8 --rules r.toml --json`.

The clean forms: 全年预算数 35 all spent (执行率 100%, 10 of 10 points), nine indicators met (90 of 90), every 满意度
backed by a 问卷调查: total 100, no finding. The planted ones (tag, layout, 主管部门: what, where, risk):

    T  national 教育局  a target rewritten, ≥100% declared, ≥90% in the form; matched by 项目编码, so its rows
                        sit one lower: TARGET_CHANGED E15                                                   3
    U  ours     教育局  22.75 of 35 spent, 35% unspent: UNSPENT_SHARE B10; 65% against 100% of the indicators'
                        points, (100 − 65) / 100 > 5%: SCORE_OUTRUNS_SPENDING B10; total 6.5 + 90 = 96.5     1 + 3 = 4
    S  national 卫健委  21 of 35 spent (60%), total 6 + 90 = 96: SCORE_OUTRUNS_SPENDING and UNSPENT_SHARE F6   4
    V  ours     教育局  a 时效指标 targeted "按时完成": VAGUE_TARGET D3                                     1
    H  ours     卫健委  an indicator named "xxx" (so declared): PLACEHOLDER_INDICATOR C5                   1
    C  national 卫健委  every actual copies its target: ACTUAL_COPIES_TARGET F13                             1
    Q  ours     教育局  its three 满意度 at 100% name no survey: SATISFACTION_NO_SURVEY F8, F9, F10         3 × 0.5
    L  national 交通局  保证系统7*24小时运行 (20) and 上级单位满意度 (5) at 0%, reasons given: 10 + 65 = 75, and
                        no 存在问题 or 改进措施: LOW_SCORE_NO_MEASURES                                       1
    D  ours     交通局  its declaration has a tenth indicator: INDICATOR_DROPPED C1 (the 三级指标 header)    1
    A  national 交通局  its declaration lacks 做好服务保障，提高工作效率: INDICATOR_ADDED D18                1

The rules file gives SATISFACTION_NO_SURVEY a weight of 0.5 (review.md's default for an info is 0, which would
rank Q with the clean forms); every other weight is review.md's. Ties go by 主管部门, then unit, in code point
order: 交通局 < 卫健委 < 教育局, and the planted units are named "<tag>单位", so A < C < D < H < L.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
from conftest import SEED_INDICATORS, ind, write_workbook
from declared_forms import SEED_DECLARED, Declaration, write_declarations
from national_forms import DASH, SEED, Money, changed, write_xlsx
from typer.testing import CliRunner

from xlsx_eval.cli import app
from xlsx_eval.score.rules import REVIEW_CHECKS

SURVEY = "问卷调查，样本 60 份"
VAGUE = ("产出指标", "时效指标", "项目按期完工", "按时完成")
PLANTED = {  # tag → (the finding codes and cells, the risk)
    "S": ([("SCORE_OUTRUNS_SPENDING", "F6"), ("UNSPENT_SHARE", "F6")], 4),
    "U": ([("SCORE_OUTRUNS_SPENDING", "B10"), ("UNSPENT_SHARE", "B10")], 4),
    "T": ([("TARGET_CHANGED", "E15")], 3),
    "Q": ([("SATISFACTION_NO_SURVEY", "F8"), ("SATISFACTION_NO_SURVEY", "F9"), ("SATISFACTION_NO_SURVEY", "F10")], 1.5),
    "A": ([("INDICATOR_ADDED", "D18")], 1),
    "D": ([("INDICATOR_DROPPED", "C1")], 1),
    "L": ([("LOW_SCORE_NO_MEASURES", "")], 1),
    "C": ([("ACTUAL_COPIES_TARGET", "F13")], 1),
    "H": ([("PLACEHOLDER_INDICATOR", "C5")], 1),
    "V": ([("VAGUE_TARGET", "D3")], 1),
}  # fmt: skip
RANKED = list(PLANTED)  # highest risk first, ties as the docstring says
DEPARTMENT = {"T": "教育局", "U": "教育局", "V": "教育局", "Q": "教育局", "S": "卫健委", "H": "卫健委", "C": "卫健委"}
DEPARTMENT |= {"L": "交通局", "D": "交通局", "A": "交通局"}
CLEAN = {"教育局": (4, 4), "卫健委": (4, 3), "交通局": (3, 4)}  # (ours, national) clean forms
NAMES = {"T": "值班视频系统升级", "A": "值班视频系统维护"}  # the other forms keep the seed's project name


def _money(executed: float) -> tuple[Money, ...]:
    return (
        Money("年度资金总额", 35, 35, executed),
        Money("其中：当年财政拨款", 35, 35, executed),
        Money("上年结转资金"),
        Money("其他资金", DASH, DASH, DASH),
    )


SURVEYED = tuple(dataclasses.replace(i, reason=SURVEY) if i.level1 == "满意度指标" else i for i in SEED.indicators)
CLEAN_NATIONAL = dataclasses.replace(
    SEED, money_rows=_money(35), claimed_rate="100%", claimed_execution=10, claimed_total=100, indicators=SURVEYED
)


def _ours_rows(*, surveyed: bool = True) -> list[list]:
    rows = [list(x) for x in SEED_INDICATORS]
    for row in rows[6:] if surveyed else ():
        row[9] = SURVEY
    return rows


def _national(tag: str, department: str) -> dataclasses:  # type: ignore[valid-type]
    form = dataclasses.replace(
        CLEAN_NATIONAL,
        unit=("实施单位", f"{tag}单位"),
        department=("主管部门", department),
        name=NAMES.get(tag, SEED.name),
    )
    if tag == "T":
        return dataclasses.replace(form, code="130102-2020-017", indicators=changed(SURVEYED, 1, target="≥90%"))
    if tag == "S":
        return dataclasses.replace(
            form, money_rows=_money(21), claimed_rate="60%", claimed_execution=6, claimed_total=96
        )
    if tag == "C":
        return dataclasses.replace(form, indicators=tuple(dataclasses.replace(i, actual=i.target) for i in SURVEYED))
    if tag == "L":
        failed = changed(SURVEYED, 2, actual="0%", claimed=0, reason="系统升级停机两个月")
        failed = changed(failed, 6, actual="0%", claimed=0, reason="问卷调查显示不满意")
        return dataclasses.replace(form, indicators=failed, claimed_total=75, narrative=SEED.narrative[:1])
    return form


def _ours(folder: Path, tag: str, department: str) -> None:
    executed, rows = 35, _ours_rows(surveyed=tag != "Q")
    if tag == "U":
        executed = 22.75
    elif tag == "V":
        rows[1] = ind(*VAGUE, "按时完成", 10, nature="定性")
    elif tag == "H":
        rows[3][2] = "xxx"
    write_workbook(
        folder / f"{tag}.xlsx",
        info={"单位名称": f"{tag}单位", "主管部门": department, "全年执行数": executed},
        indicators=rows,
        payments=[(dt.date(2020, 6, 1), "全年支出", executed)],
    )


def _declaration(tag: str) -> Declaration:
    d = Declaration(name=SEED.name, unit=f"{tag}单位", sheet=tag)
    if tag == "T":  # matched by its code: the name was changed after the declaration
        return dataclasses.replace(d, name="值班视频系统升级改造", code="130102-2020-017")
    if tag == "A":
        return dataclasses.replace(d, name=NAMES["A"], indicators=SEED_DECLARED[:5] + SEED_DECLARED[6:])
    if tag in ("H", "V"):  # the placeholder, the vague target were declared so too
        i, row = (3, (*SEED_DECLARED[3][:2], "xxx", "≥100%")) if tag == "H" else (1, VAGUE)
        return dataclasses.replace(d, indicators=SEED_DECLARED[:i] + (row,) + SEED_DECLARED[i + 1 :])
    if tag == "D":
        return dataclasses.replace(
            d, indicators=SEED_DECLARED + (("产出指标", "数量指标", "安装视频终端数量", "≥12台"),)
        )
    return d


@pytest.fixture(scope="module")
def intake(tmp_path_factory):
    """inbox/ (32 forms), 申报表/ (one workbook per 主管部门, a sheet per project), and the rules file."""
    root = tmp_path_factory.mktemp("intake")
    inbox, declared = root / "inbox", root / "申报表"
    inbox.mkdir()
    declared.mkdir()
    sheets: dict[str, list[Declaration]] = {}
    for tag, department in DEPARTMENT.items():
        if tag in ("T", "S", "C", "L", "A"):
            write_xlsx(inbox / f"{tag}.xlsx", _national(tag, department))
        else:
            _ours(inbox, tag, department)
        sheets.setdefault(department, []).append(_declaration(tag))
    for department, (ours, national) in CLEAN.items():
        for n in range(ours + national):
            tag = f"{department[:1]}{n + 1:02d}"  # 教01 …: after the planted units ("<letter>单位") in code points
            if n < ours:
                _ours(inbox, tag, department)
            else:
                write_xlsx(inbox / f"{tag}.xlsx", _national(tag, department))
            if tag != "卫01":  # the one form without a declaration
                sheets[department].append(_declaration(tag))
    sheets["交通局"].append(Declaration(name="公路养护", unit="交通局养护中心", sheet="未自评"))
    for department, declarations in sheets.items():
        write_declarations(declared / f"{department}.xlsx", *declarations)
    rules = root / "r.toml"
    rules.write_text("[review.SATISFACTION_NO_SURVEY]\nweight = 0.5\n", encoding="utf-8")
    return root


def run(intake: Path, out: Path, *args: str) -> dict:
    done = CliRunner().invoke(
        app,
        ["review", str(intake / "inbox"), "-o", str(out), "--declared", str(intake / "申报表"),
         "--rules", str(intake / "r.toml"), "--json", "--jobs", "2", *args],
    )  # fmt: skip
    assert done.exit_code == 1, done.output  # T's TARGET_CHANGED is an error
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def reviewed(intake, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    return out, run(intake, out, "--sample", "8", "--seed", "7")


def tag_of(row: dict) -> str:
    return Path(row["file"]).stem


def test_every_planted_problem_is_found_on_its_cell_and_none_on_the_clean_forms(reviewed):
    _, document = reviewed
    assert len(document["review"]) == 32
    for row in document["review"]:
        tag = tag_of(row)
        found = [(x["code"], x["cell"]) for x in row["reasons"]]
        if tag in PLANTED:
            assert found == PLANTED[tag][0], tag
        else:
            assert found == [] and row["total"] == 100, tag


def test_the_ranking_puts_the_planted_forms_first_in_the_order_of_their_weights(reviewed):
    _, document = reviewed
    rows = document["review"]
    assert [tag_of(r) for r in rows[:10]] == RANKED
    assert [r["risk"] for r in rows[:10]] == [PLANTED[t][1] for t in RANKED]
    assert all(r["risk"] == 0 for r in rows[10:])
    totals = {tag_of(r): r["total"] for r in rows}
    assert (totals["U"], totals["S"], totals["L"]) == (96.5, 96, 75)


def picks(document: dict) -> list[str]:
    return [tag_of(r) for r in document["sample"]]


def test_the_sample_is_reproducible_and_keeps_the_department_proportions(intake, reviewed, tmp_path):
    _, document = reviewed
    sample = document["sample"]
    # the riskiest half of 8: S, U, T, Q; the shares of 8 are 教育局 12 × 8 / 32 = 3, 卫健委 2.5, 交通局 2.5; the top
    # four hold 3, 1 and 0 of them, so the draw of 4 lacks 0, 1.5 and 2.5: 1 and 2 whole, and the two remainders
    # of 0.5 go by name, 交通局 first: 卫健委 1, 交通局 3
    assert picks(document)[:4] == ["S", "U", "T", "Q"]
    assert Counter(r["department"] for r in sample[4:]) == {"卫健委": 1, "交通局": 3}
    assert Counter(r["department"] for r in sample) == {"教育局": 3, "卫健委": 2, "交通局": 3}
    assert len(set(picks(document))) == 8  # the draw is from the forms below the top four
    assert picks(run(intake, tmp_path / "again", "--sample", "8", "--seed", "7")) == picks(document)
    others = [picks(run(intake, tmp_path / f"s{seed}", "--sample", "8", "--seed", str(seed))) for seed in (8, 9)]
    assert any(other != picks(document) for other in others)


def test_the_declarations_matched_and_those_that_did_not(reviewed):
    _, document = reviewed
    forms = {tag_of(m): m for m in document["declared"]["forms"]}
    assert forms["T"]["matched_by"] == "code" and forms["T"]["declaration"] == "教育局.xlsx!T"
    assert forms["卫01"]["declaration"] is None
    assert sum(m["declaration"] is not None for m in forms.values()) == 31
    [unmatched] = document["declared"]["unmatched"]
    assert (unmatched["project"], unmatched["sheet"]) == ("公路养护", "未自评")


def test_departments_by_hand(reviewed):
    _, document = reviewed
    stats = {d["department"]: d for d in document["departments"]}
    assert list(stats) == ["教育局", "卫健委", "交通局"]  # most forms first; 卫健委 ranks first of the two of 10
    assert [stats[d]["forms"] for d in stats] == [12, 10, 10]
    assert stats["教育局"]["mean_total"] == pytest.approx(round((1200 - 3.5) / 12, 4))
    assert stats["卫健委"]["mean_total"] == pytest.approx(99.6)
    assert stats["交通局"]["mean_total"] == pytest.approx(97.5)
    assert stats["卫健委"]["mean_claimed_total"] == pytest.approx(99.2)  # S 96 and four national 100s
    assert stats["交通局"]["mean_claimed_total"] == pytest.approx(round(575 / 6, 4))
    assert stats["教育局"]["mean_execution_rate"] == pytest.approx(round((1200 - 35) / 12, 4))
    assert stats["交通局"]["best_share"] == 0.9  # L's 75 is 中
    assert stats["教育局"]["rate_buckets"] == {"<30%": 0, "30–60%": 0, "60–80%": 1, "80–100%": 0, "100%": 11}
    assert stats["卫健委"]["rate_buckets"]["60–80%"] == 1  # 60% is the bucket's floor


def test_review_xlsx_read_back_cell_by_cell_equals_the_json(reviewed):
    out, document = reviewed
    wb = openpyxl.load_workbook(out / "review.xlsx")
    assert wb.sheetnames == ["复核清单", "抽评名单", "分部门统计", "申报表对照"]
    ws = wb["复核清单"]
    for i, r in enumerate(document["review"], start=2):
        rate = None if r["execution_rate"] is None else pytest.approx(r["execution_rate"] / 100)
        assert [c.value for c in ws[i]][:11] == [
            i - 1, r["risk"], r["unit"], r["department"], r["project"], r["claimed_total"], r["total"], rate,
            r["grade"], Path(r["file"]).name, r["sheet"],
        ]  # fmt: skip
        lines = (ws.cell(i, 12).value or "").split("\n") if r["reasons"] else []
        assert len(lines) == len(r["reasons"])
        for line, x, col in zip(lines, r["reasons"], range(13, 13 + len(r["reasons"])), strict=True):
            assert line.endswith(f"{x['code']} {x['sheet']}!{x['cell']}：{x['message']}" if x["cell"] else x["message"])
            link = ws.cell(i, col).hyperlink
            assert link.target == Path(r["output"]).name
            assert link.location == (f"'{x['sheet']}'!{x['cell']}" if x["cell"] else None)
    sample = wb["抽评名单"]
    for i, r in enumerate(document["sample"], start=2):
        assert [sample.cell(i, c).value for c in range(1, 8)] == [
            i - 1, r["unit"], r["department"], r["project"], r["total"], r["risk"], r["why_sampled"]
        ]  # fmt: skip
    stats = wb["分部门统计"]
    for i, d in enumerate(document["departments"], start=2):
        rate = pytest.approx(d["mean_execution_rate"] / 100)
        assert [stats.cell(i, c).value for c in range(1, 8)] == [
            d["department"], d["forms"], d["scored"], pytest.approx(d["mean_total"]),
            pytest.approx(d["mean_claimed_total"]), d["best_share"], rate,
        ]  # fmt: skip
        assert [stats.cell(i, c).value for c in range(8, 13)] == list(d["rate_buckets"].values())
    matching = wb["申报表对照"]
    rows = list(matching.iter_rows(min_row=2, values_only=True))
    entries = document["declared"]["forms"] + document["declared"]["unmatched"]
    assert len(rows) == len(entries) == 33
    for row, m in zip(rows, entries, strict=True):
        assert row[1:6] == (m["unit"], m["project"], m["code"], Path(m["file"]).name, m["sheet"])
        assert row[6] == m.get("declaration")


def test_no_review_finding_on_a_clean_form_anywhere(reviewed):
    out, document = reviewed
    clean = [r for r in document["review"] if tag_of(r) not in PLANTED]
    assert len(clean) == 22
    summary = openpyxl.load_workbook(out / "summary.xlsx")
    codes = {c.value for ws in summary.worksheets for row in ws.iter_rows() for c in row if c.value in REVIEW_CHECKS}
    assert codes == {code for found, _ in PLANTED.values() for code, _ in found}
