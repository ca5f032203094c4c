"""A workbook of two national forms, from the command line to the bureau's summary and the unit's e-mail: a result
per form everywhere (JSON, store, summary, scored copy, message), the form's own cells holding our figures."""

import email
import json
from email import policy
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from xlsx_eval.cli import app

runner = CliRunner()


@pytest.fixture
def two_forms(example, tmp_path):
    """The example exported as the national form, then a second form beside it (another project, whose unit
    claims 95% and 100 points), and a cover sheet in front."""
    out = tmp_path / "export"
    assert runner.invoke(app, ["export", str(example), "-o", str(out), "--form", "national"]).exit_code == 0
    wb = openpyxl.load_workbook(out / "example.national.xlsx")
    first = wb.active
    first.title = "值班视频"
    second = wb.copy_worksheet(first)
    second.title = "会议系统"
    name_cell = next(c for row in second.iter_rows() for c in row if c.value == "项目名称").offset(column=1)
    name_cell.value = "会议系统改造"
    rate_cell, total_cell = _cell(second, "执行率").offset(row=1), _cell(second, "总分")
    rate_cell.value = "95%"
    claimed_total = next(c for c in second[total_cell.row] if isinstance(c.value, (int, float)) and c.value < 100)
    claimed_total.value = 100
    cover = wb.create_sheet("封面", 0)
    cover["A1"] = "2020年度项目支出绩效自评材料"
    path = tmp_path / "inbox" / "两个项目.xlsx"
    path.parent.mkdir()
    wb.save(path)
    return path, rate_cell.coordinate, claimed_total.coordinate


def _cell(ws, text):
    return next(c for row in ws.iter_rows() for c in row if c.value == text)


def test_each_form_is_a_result_in_the_json_and_the_summary(two_forms, tmp_path):
    path, rate_cell, total_cell = two_forms
    out = tmp_path / "out"
    result = runner.invoke(app, ["convert", str(path), "-o", str(out), "--json"])
    document = json.loads(result.stdout)
    results = document["results"]
    assert [(r["layout"], r["sheet"]) for r in results] == [("national", "值班视频"), ("national", "会议系统")]
    # both forms hold the seed's figures: 32.88 / 35 = 93.94% → 94% → 9.4 of 10, indicators 90 → 99.4
    assert [(r["total"], r["grade"]) for r in results] == [(99.4, "优秀"), (99.4, "优秀")]
    assert {r["output"] for r in results} == {str(out / "两个项目.scored.xlsx")}
    assert document["summary"]["files"] == 1
    second = {(f["code"], f["cell"]) for f in results[1]["findings"]}
    assert ("EXECUTION_RATE_MISMATCH", rate_cell) in second  # 95% printed for 93.94%
    assert ("CLAIMED_TOTAL_MISMATCH", total_cell) in second  # 100 claimed, 99.4 computed
    assert not {c for c, _ in {(f["code"], f["cell"]) for f in results[0]["findings"]}} & {
        "EXECUTION_RATE_MISMATCH",
        "CLAIMED_TOTAL_MISMATCH",
    }

    scored = openpyxl.load_workbook(out / "两个项目.scored.xlsx")
    assert scored.sheetnames == ["评分结果-值班视频", "评分结果-会议系统", "封面", "值班视频", "会议系统"]
    ws = scored["会议系统"]
    assert (ws[rate_cell].value, ws[total_cell].value) == ("94%", 99.4)  # our figures in the form's own cells
    assert "100" in ws[total_cell].comment.text and "99.4" in ws[total_cell].comment.text

    rows = [[c.value for c in row] for row in openpyxl.load_workbook(out / "summary.xlsx")["项目汇总"].iter_rows()]
    sheet_column = rows[0].index("工作表")
    assert sorted((r[1], r[sheet_column]) for r in rows[1:]) == [
        ("会议系统改造", "会议系统"),
        ("值班视频系统安装经费", "值班视频"),
    ]


def test_a_rerun_reuses_both_forms_and_the_mail_has_a_part_for_each(two_forms, tmp_path, monkeypatch):
    path, _, _ = two_forms
    out = tmp_path / "out"
    convert = ["convert", str(path), "-o", str(out), "--report"]
    assert runner.invoke(app, convert).exit_code == 0  # the claims are warnings
    monkeypatch.chdir(tmp_path)  # the folder named another way: each reused result names its files as now
    reuse = ["convert", str(path), "-o", "out", "--report", "--changed-only", "--json"]
    again = json.loads(runner.invoke(app, reuse).stdout)
    assert [r["output"] for r in again["results"]] == [str(Path("out") / "两个项目.scored.xlsx")] * 2
    assert [Path(r["report"]).name for r in again["results"]] == [
        "两个项目.值班视频.report.docx",
        "两个项目.会议系统.report.docx",
    ]
    assert [r["sheet"] for r in again["results"]] == ["值班视频", "会议系统"]

    mail = ["email", str(out), "--dry-run", "--from", "绩效科 <kpi@example.gov.cn>"]
    unaddressed = runner.invoke(app, mail)  # the national form has no place for an address
    assert unaddressed.exit_code == 1 and "自评表上没有联系人邮箱" in unaddressed.output
    sent = runner.invoke(app, [*mail, "--to", "office@example.gov.cn"])
    assert sent.exit_code == 0, sent.output
    [eml] = (out / "outbox").iterdir()
    message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert message["Subject"] == (
        "【绩效自评结果】长安区委办公室：2张自评表（值班视频系统安装经费 99.4分（优秀）；会议系统改造 99.4分（优秀））"
    )
    text = message.get_body(("plain",)).get_content()
    assert "一、工作表“值班视频”" in text and "二、工作表“会议系统”" in text
    assert text.count("总分：99.4分") == 2
    assert [part.get_filename() for part in message.iter_attachments()] == [
        "两个项目.scored.xlsx",
        "两个项目.值班视频.report.docx",
        "两个项目.会议系统.report.docx",
    ]


def test_report_writes_one_report_per_form(two_forms, tmp_path):
    path, _, _ = two_forms
    dest = tmp_path / "自评报告.docx"
    result = runner.invoke(app, ["report", str(path), "-o", str(dest)])
    assert result.exit_code == 0, result.output
    assert dest.is_file() and (tmp_path / "自评报告.会议系统.docx").is_file()
    assert result.output.count("已写出报告") == 2
