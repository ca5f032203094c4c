"""Issue 15, part 3: `xlsx-eval review` ranks an intake by risk, draws the 抽评 sample and counts by 主管部门.

The intake, ten forms of both layouts, each one's risk worked out by hand (weights: SCORE_OUTRUNS_SPENDING 3,
UNSPENT_SHARE 1, VAGUE_TARGET 1, SATISFACTION_NO_SURVEY 0; a 35 万元 budget, nine indicators met: 90 of 90):

    甲 教育局  ours      executed 20:   57% → 5.7; (100 − 57) / 100 > 5% and 42.9% unspent      risk 4, total 95.7
    乙 教育局  ours      executed 35:  100% → 10                                               risk 0, total 100
    丙 卫健委  ours      executed 35, a 时效指标 targeted "按时完成" (VAGUE_TARGET)             risk 1, total 100
    丁 卫健委  ours      executed 35                                                           risk 0, total 100
    戊 交通局  ours      executed 33.6: 96% → 9.6; 4% ahead, 4% unspent: neither past its line  risk 0, total 99.6
    己 交通局  ours      executed 31.5: 90% → 9; 10% ahead                                     risk 3, total 99
    N1 教育局, N2 卫健委, N3 and N4 交通局: the national seed form, 94% spent, 6% ahead          risk 3, total 99.4

Ties are ordered by 主管部门, then unit (code point order: 交通局 < 卫健委 < 教育局, "N3" < "己").
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections import Counter

import openpyxl
import pytest
from conftest import SEED_INDICATORS, ind, write_workbook
from national_forms import SEED, write_xlsx
from typer.testing import CliRunner

import xlsx_eval
from xlsx_eval.cli import app

RANKED = ["甲", "N3", "N4", "己", "N2", "N1", "丙", "戊", "丁", "乙"]
RISKS = [4, 3, 3, 3, 3, 3, 1, 0, 0, 0]


@pytest.fixture(scope="module")
def intake(tmp_path_factory):
    folder = tmp_path_factory.mktemp("intake")
    ours = [
        ("甲", "教育局", 20),
        ("乙", "教育局", 35),
        ("丙", "卫健委", 35),
        ("丁", "卫健委", 35),
        ("戊", "交通局", 33.6),
        ("己", "交通局", 31.5),
    ]
    for unit, department, executed in ours:
        indicators = None
        if unit == "丙":
            indicators = [list(x) for x in SEED_INDICATORS]
            indicators[1] = ind("产出指标", "时效指标", "项目按期完工", "按时完成", "按时完成", 10, nature="定性")
        write_workbook(
            folder / f"{unit}.xlsx",
            info={"单位名称": unit, "主管部门": department, "全年执行数": executed},
            indicators=indicators,
            payments=[(dt.date(2020, 6, 1), "全年支出", executed)],
        )
    for unit, department in [("N1", "教育局"), ("N2", "卫健委"), ("N3", "交通局"), ("N4", "交通局")]:
        form = dataclasses.replace(SEED, unit=("实施单位", unit), department=("主管部门", department))
        write_xlsx(folder / f"{unit}.xlsx", form)
    return folder


def review(intake, out, *args):
    done = CliRunner().invoke(app, ["review", str(intake), "-o", str(out), "--json", "--jobs", "2", *args])
    assert done.exit_code == 0, done.output
    return json.loads(done.stdout)


def test_the_intake_is_ranked_by_risk_with_every_reason(intake, tmp_path):
    document = review(intake, tmp_path / "out")
    rows = document["review"]
    assert [r["unit"] for r in rows] == RANKED
    assert [r["risk"] for r in rows] == RISKS
    first = rows[0]
    assert (first["department"], first["total"], first["execution_rate"]) == ("教育局", 95.7, 57.0)
    assert [(x["code"], x["cell"], x["weight"]) for x in first["reasons"]][:2] == [
        ("SCORE_OUTRUNS_SPENDING", "B10", 3.0),
        ("UNSPENT_SHARE", "B10", 1.0),
    ]
    n1 = next(r for r in rows if r["unit"] == "N1")
    assert n1["claimed_total"] == 99.4 and n1["sheet"] == "项目支出绩效自评表"  # the national form's own 总分


def picks(sample):
    """Which forms were drawn and why (the output folder differs from one run to the next)."""
    return [(r["file"], r["why_sampled"]) for r in sample]


def test_the_sample_is_reproducible_and_keeps_the_department_proportions(intake, tmp_path):
    once = review(intake, tmp_path / "a", "--sample", "4", "--seed", "1")["sample"]
    again = review(intake, tmp_path / "b", "--sample", "4", "--seed", "1")["sample"]
    assert picks(once) == picks(again)
    # half of 4 from the top of the ranking (甲 of 教育局, N3 of 交通局); the whole sample's shares of 10 forms are
    # 交通局 4 × 4/10 = 1.6, 卫健委 1.2, 教育局 1.2, so what each still lacks is 0.6, 1.2 and 0.2: the other 2 go to
    # 卫健委 (its whole 1) and 交通局 (the largest remainder)
    assert [r["unit"] for r in once[:2]] == ["甲", "N3"] and "风险分最高的 2 份之一（第 1 位" in once[0]["why_sampled"]
    assert Counter(r["department"] for r in once[2:]) == {"交通局": 1, "卫健委": 1}
    assert all("按主管部门分层随机抽取" in r["why_sampled"] for r in once[2:])
    others = [
        review(intake, tmp_path / f"s{seed}", "--sample", "4", "--seed", str(seed))["sample"] for seed in range(2, 8)
    ]
    assert any(
        picks(other) != picks(once) for other in others
    )  # one pick of three in two departments: some seed differs
    # 6: the top 3 (甲, N3, N4); shares 2.4, 1.8, 1.8, lacking 交通局 0.4, 卫健委 1.8, 教育局 0.8: 卫健委 its whole 1,
    # then the remainders 0.8 (卫健委 before 教育局 by name) and 0.8 → the whole sample 2, 2, 2
    six = review(intake, tmp_path / "six", "--sample", "6", "--seed", "1")["sample"]
    assert Counter(r["department"] for r in six[3:]) == {"卫健委": 2, "教育局": 1}
    assert Counter(r["department"] for r in six) == {"交通局": 2, "卫健委": 2, "教育局": 2}
    # a share: 30% of the 10 scored forms is 3
    assert len(review(intake, tmp_path / "pct", "--sample", "30%")["sample"]) == 3


def test_departments_by_hand(intake, tmp_path):
    departments = {d["department"]: d for d in review(intake, tmp_path / "out")["departments"]}
    assert list(departments) == ["交通局", "教育局", "卫健委"]  # most forms first; then as they first rank
    traffic = departments["交通局"]
    assert traffic["forms"] == 4 and traffic["mean_total"] == pytest.approx((99.4 + 99.4 + 99 + 99.6) / 4)
    assert traffic["mean_claimed_total"] == pytest.approx(99.4)  # only the national forms claim a total
    assert traffic["mean_execution_rate"] == pytest.approx((94 + 94 + 90 + 96) / 4)
    assert traffic["rate_buckets"] == {"<30%": 0, "30–60%": 0, "60–80%": 0, "80–100%": 4, "100%": 0}
    education = departments["教育局"]
    assert education["mean_total"] == pytest.approx(round((95.7 + 99.4 + 100) / 3, 4))
    assert education["rate_buckets"] == {"<30%": 0, "30–60%": 1, "60–80%": 0, "80–100%": 1, "100%": 1}
    assert education["best_share"] == 1.0  # every total here is 优秀


def test_review_xlsx_read_back_cell_by_cell_equals_the_json(intake, tmp_path):
    out = tmp_path / "out"
    document = review(intake, out, "--sample", "4")
    wb = openpyxl.load_workbook(out / "review.xlsx")
    assert wb.sheetnames == ["复核清单", "抽评名单", "分部门统计"]
    ws = wb["复核清单"]
    assert [c.value for c in ws[1]][:11] == [
        "序号", "风险分", "单位名称", "主管部门", "项目名称", "单位自评总分", "复核总分", "预算执行率", "等级", "文件", "工作表"
    ]  # fmt: skip
    for i, r in enumerate(document["review"], start=2):
        shown = [c.value for c in ws[i]][:11]
        rate = None if r["execution_rate"] is None else pytest.approx(r["execution_rate"] / 100)
        assert shown == [i - 1, r["risk"], r["unit"], r["department"], r["project"], r["claimed_total"], r["total"],
                         rate, r["grade"], f"{r['unit']}.xlsx", r["sheet"]]  # fmt: skip
        reasons = ws.cell(i, 12).value.split("\n")
        assert len(reasons) == len(r["reasons"]) and reasons[0].endswith(r["reasons"][0]["message"])
        link = ws.cell(i, 13).hyperlink  # each reason its own column, linked to its cell of the scored copy
        assert link.target == f"{r['unit']}.scored.xlsx"
        assert link.location == f"'{r['reasons'][0]['sheet']}'!{r['reasons'][0]['cell']}"
    sample = wb["抽评名单"]
    assert [sample.cell(i, 2).value for i in range(2, 6)] == [r["unit"] for r in document["sample"]]
    assert [sample.cell(i, 7).value for i in range(2, 6)] == [r["why_sampled"] for r in document["sample"]]
    stats = wb["分部门统计"]
    for i, d in enumerate(document["departments"], start=2):
        assert [stats.cell(i, c).value for c in (1, 2, 3)] == [d["department"], d["forms"], d["scored"]]
        assert stats.cell(i, 4).value == pytest.approx(d["mean_total"])
        assert [stats.cell(i, c).value for c in range(8, 13)] == list(d["rate_buckets"].values())
    assert len(stats._charts) == 1


def test_a_bad_sample_is_a_usage_error(intake, tmp_path):
    done = CliRunner().invoke(app, ["review", str(intake), "-o", str(tmp_path / "out"), "--sample", "十份"])
    assert done.exit_code == 2 and "抽评数量“十份”无法识别" in done.output
    assert not (tmp_path / "out").exists()  # refused before anything was scored
    for spec, said in (("0", "应至少为 1 份"), ("150%", "应大于 0%、不超过 100%")):
        done = CliRunner().invoke(app, ["review", str(intake), "-o", str(tmp_path / "out"), "--sample", spec])
        assert done.exit_code == 2 and said in done.output


def test_an_unreadable_file_is_listed_by_its_name_and_never_sampled(intake, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("甲.xlsx", "乙.xlsx"):
        (folder / name).write_bytes((intake / name).read_bytes())
    (folder / "坏.xlsx").write_bytes(b"PK\x03\x04 truncated")
    done = CliRunner().invoke(app, ["review", str(folder), "-o", str(tmp_path / "out"), "--json", "--sample", "3"])
    document = json.loads(done.stdout)
    bad = next(r for r in document["review"] if r["file"].endswith("坏.xlsx"))
    assert bad["department"] == "（文件无法读取）" and bad["reasons"][0]["code"] == "UNREADABLE_FILE"
    assert [r["unit"] for r in document["sample"]] == ["甲", "乙"]  # 3 asked for, 2 scored: the unreadable one is not
    ws = openpyxl.load_workbook(tmp_path / "out" / "review.xlsx")["复核清单"]
    row = next(r for r in ws.iter_rows(min_row=2, values_only=True) if r[9] == "坏.xlsx")
    assert row[11].startswith("[错误] UNREADABLE_FILE：")  # no sheet, no stray space before the colon
    stats = {d["department"]: (d["forms"], d["scored"]) for d in document["departments"]}
    assert stats["（文件无法读取）"] == (1, 0)


def test_to_frame_one_row_per_form_or_per_finding(intake):
    results = xlsx_eval.evaluate(intake / "甲.xlsx") + xlsx_eval.evaluate(intake / "N1.xlsx")
    forms = xlsx_eval.to_frame(results)
    assert list(forms["unit"]) == ["甲", "N1"] and list(forms["department"]) == ["教育局", "教育局"]
    assert list(forms["total"]) == [95.7, 99.4] and list(forms["warnings"]) == [2, 1]
    findings = xlsx_eval.to_frame(results, findings=True)
    assert len(findings) == sum(len(r.findings) for r in results)
    assert list(findings[findings["unit"] == "甲"]["code"])[:2] == ["SCORE_OUTRUNS_SPENDING", "UNSPENT_SHARE"]
    assert set(findings["department"]) == {"教育局"}


def test_results_of_an_older_version_are_not_reused_by_changed_only(intake, tmp_path):
    # A folder an earlier xlsx-eval wrote holds results without the review's findings; its settings named no edition.
    import sqlite3

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "甲.xlsx").write_bytes((intake / "甲.xlsx").read_bytes())
    out = tmp_path / "out"
    runner = CliRunner()
    assert runner.invoke(app, ["convert", str(folder), "-o", str(out), "--rules", "hubei"]).exit_code == 0
    with sqlite3.connect(out / "xlsx-eval.db") as db:
        db.execute("UPDATE inputs SET settings = replace(settings, '|edition:3', '')")
    again = runner.invoke(app, ["convert", str(folder), "-o", str(out), "--rules", "hubei", "--changed-only"])
    assert "沿用上次结果" not in again.output
    kept = runner.invoke(app, ["convert", str(folder), "-o", str(out), "--rules", "hubei", "--changed-only"])
    assert "其中 1 个未改动，沿用上次结果" in kept.output  # now it is this version's, and kept
