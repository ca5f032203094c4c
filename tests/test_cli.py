"""The command line: exit codes, messages, --json equal to the library's result, --help with examples."""

import json

import openpyxl
import pytest
from typer.testing import CliRunner

from xlsx_eval import evaluate
from xlsx_eval.cli import app

runner = CliRunner()


def slip(example, tmp_path):
    """The seed's own slip: 全年执行数 typed as 30.88 with the eight payments."""
    wb = openpyxl.load_workbook(example)
    wb["项目信息"]["B21"] = 30.88
    path = tmp_path / "slip.xlsx"
    wb.save(path)
    return path


def test_check_the_example(example):
    result = runner.invoke(app, ["check", str(example)])
    assert result.exit_code == 0
    # the review's: 90 of 90 against 94% spent (6% ahead), every actual its target word for word, three 满意度 of 100%
    # with no survey named (test_review.py)
    assert result.stdout.strip().endswith("✔ example.xlsx：总分 99.4（优秀），0 个错误，2 个警告")
    for code in ("SCORE_OUTRUNS_SPENDING", "ACTUAL_COPIES_TARGET", "SATISFACTION_NO_SURVEY"):
        assert code in result.stdout


def test_check_the_slip_points_at_the_cell(example, tmp_path):
    result = runner.invoke(app, ["check", str(slip(example, tmp_path))])
    assert result.exit_code == 1
    assert "B21" in result.stdout and "EXECUTED_MISMATCH" in result.stdout
    assert "全年执行数为30.88万元，但支出明细金额合计为32.88万元，相差2.00万元" in result.stdout
    assert result.stdout.strip().endswith("✘ slip.xlsx：总分 98.8（优秀），1 个错误，2 个警告")  # the review's two


def test_check_json_equals_the_library(example, tmp_path):
    path = slip(example, tmp_path)
    result = runner.invoke(app, ["check", "--json", str(path)])
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["results"] == [evaluate(path)[0].to_dict()]
    assert document["summary"] == {"files": 1, "forms": 1, "scored": 1, "errors": 1, "warnings": 2}


def test_unreadable_only_is_exit_2_without_traceback(tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 truncated")
    result = runner.invoke(app, ["check", str(bad)])
    assert result.exit_code == 2
    assert "✘ bad.xlsx：无法读取" in result.stdout
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_one_bad_file_does_not_stop_the_others(example, tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_text("x")
    result = runner.invoke(app, ["check", "--json", str(bad), str(example)])
    assert result.exit_code == 1  # one unreadable file is an error; the other was still scored
    totals = [r["total"] for r in json.loads(result.stdout)["results"]]
    assert totals == [None, 99.4]


def test_no_inputs_found_is_a_usage_error(tmp_path):
    result = runner.invoke(app, ["check", str(tmp_path / "*.xlsx")])
    assert result.exit_code == 2


def test_template_writes_and_does_not_overwrite(tmp_path):
    dest = tmp_path / "t.xlsx"
    assert runner.invoke(app, ["template", str(dest)]).exit_code == 0
    assert openpyxl.load_workbook(dest).sheetnames[:3] == ["填表说明", "项目信息", "绩效指标"]
    again = runner.invoke(app, ["template", str(dest)])
    assert again.exit_code == 2 and "--force" in again.output
    assert runner.invoke(app, ["template", "--example", "--force", str(dest)]).exit_code == 0
    assert evaluate(dest)[0].total == 99.4


@pytest.mark.parametrize("command", [c.name or c.callback.__name__ for c in app.registered_commands])
def test_every_command_has_help_with_an_example(command):
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "示例" in result.stdout and f"xlsx-eval {command}" in result.stdout
