"""convert: the scored workbook keeps everything the input had, and shows the result on its first sheet."""

import hashlib
import json
import shutil
import subprocess

import openpyxl
import pytest
from conftest import INDICATOR_HEADER, SEED_INDICATORS, not_review
from typer.testing import CliRunner

from xlsx_eval import convert, evaluate
from xlsx_eval.cli import app


def values(ws):
    return [[c.value for c in row] for row in ws.iter_rows()]


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_convert_the_example(example, tmp_path):
    before = digest(example)
    [r] = convert(example, tmp_path)
    assert digest(example) == before  # the input is never touched
    assert r.output == tmp_path / "example.scored.xlsx"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["example.scored.xlsx"]  # no temporary left over

    out = openpyxl.load_workbook(r.output)
    original = openpyxl.load_workbook(example)
    assert out.sheetnames == ["评分结果"] + original.sheetnames
    assert out.active.title == "评分结果"
    shown = [v for row in values(out["评分结果"]) for v in row]
    assert 99.4 in shown and "优秀" in shown and "值班视频系统安装经费" in shown

    # 自评得分 (column I) holds the scores: every indicator met, so its weight
    scored = out["绩效指标"]
    assert [scored[f"I{r}"].value for r in range(2, 11)] == [10, 10, 20, 20, 10, 10, 5, 3, 2]
    # everything else is as it was
    for name in original.sheetnames:
        a, b = values(original[name]), values(out[name])
        if name == "绩效指标":
            a = [row[:8] + row[9:] for row in a]
            b = [row[:8] + row[9:] for row in b]
        assert a == b, name


def test_convert_marks_the_slip_and_links_to_it(example, tmp_path):
    wb = openpyxl.load_workbook(example)
    wb["项目信息"]["B21"] = 30.88
    src = tmp_path / "in" / "slip.xlsx"
    src.parent.mkdir()
    wb.save(src)

    [r] = convert(src, tmp_path / "out")
    out = openpyxl.load_workbook(r.output)
    cell = out["项目信息"]["B21"]
    assert cell.value == 30.88
    assert cell.fill.fgColor.rgb.endswith("FFC7CE")
    assert "EXECUTED_MISMATCH" in cell.comment.text and "2.00万元" in cell.comment.text
    links = [c.hyperlink.location for row in out["评分结果"].iter_rows() for c in row if c.hyperlink]
    assert "'项目信息'!B21" in links


def test_a_workbook_without_a_score_column_gets_one(build, tmp_path):
    rows = [row[:8] + row[9:] for row in SEED_INDICATORS]  # drop 自评得分

    def header(wb):
        ws = wb["绩效指标"]
        ws.delete_rows(1)
        ws.insert_rows(1)
        for col, name in enumerate(INDICATOR_HEADER[:8] + INDICATOR_HEADER[9:], start=1):
            ws.cell(1, col, name)

    [r] = convert(build(indicators=rows, extra=header), tmp_path / "out")
    assert r.total == 99.4
    ws = openpyxl.load_workbook(r.output)["绩效指标"]
    assert ws["J1"].value == "自评得分"
    assert ws["J2"].value == 10 and ws["J4"].value == 20


def test_the_scored_workbook_scores_the_same_again(example, tmp_path):
    [first] = convert(example, tmp_path / "a")
    [again] = evaluate(first.output)
    assert again.total == 99.4 and not_review(again.findings) == []
    # scoring an output again replaces its 评分结果 sheet rather than adding another
    [second] = convert(first.output, tmp_path / "b")
    assert openpyxl.load_workbook(second.output).sheetnames.count("评分结果") == 1


def test_unreadable_input_writes_nothing(tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"\xd0\xcf\x11\xe0 not really")
    [r] = convert(bad, tmp_path / "out")
    assert r.output is None and [f.code for f in r.findings] == ["UNREADABLE_FILE"]
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_cli_convert_json_and_exit_code(example, tmp_path):
    result = CliRunner().invoke(app, ["convert", str(example), "-o", str(tmp_path), "--json"])
    assert result.exit_code == 0
    assert '"total": 99.4' in result.stdout
    assert (tmp_path / "example.scored.xlsx").exists()


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_opens_the_scored_example(example, tmp_path):
    [r] = convert(example, tmp_path)
    done = subprocess.run(
        [
            "soffice",
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76",
            "--outdir",
            str(tmp_path),
            str(r.output),
        ],
        capture_output=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    csv = (tmp_path / "example.scored.csv").read_text(encoding="utf-8")  # 76: UTF-8
    assert "99.4" in csv and "优秀" in csv  # the first, active sheet is 评分结果


def test_inputs_with_the_same_name_do_not_overwrite_each_other(example, tmp_path):
    for folder in ("a", "b"):
        (tmp_path / "inbox" / folder).mkdir(parents=True)
        shutil.copy(example, tmp_path / "inbox" / folder / "x.xlsx")
    result = CliRunner().invoke(app, ["convert", str(tmp_path / "inbox"), "-o", str(tmp_path / "out"), "--json"])
    assert result.exit_code == 0
    outputs = [r["output"] for r in json.loads(result.stdout)["results"]]
    assert [p.rsplit("/", 1)[1] for p in outputs] == ["x.scored.xlsx", "x-2.scored.xlsx"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        ".xlsx-eval.lock",
        "manifest.json",
        "summary.xlsx",
        "x-2.scored.xlsx",
        "x.scored.xlsx",
        "xlsx-eval.db",
    ]


def test_output_folder_that_is_a_file_is_a_usage_error(example, tmp_path):
    (tmp_path / "afile").write_text("")
    result = CliRunner().invoke(app, ["convert", str(example), "-o", str(tmp_path / "afile")])
    assert result.exit_code == 2
    assert "不是文件夹" in result.output


def test_a_scored_copy_with_not_applicable_checks_clean(build, tmp_path):
    rows = SEED_INDICATORS[:-1] + [
        [*SEED_INDICATORS[-1][:5], "不适用", *SEED_INDICATORS[-1][6:]]
    ]  # the last one (2 points) left out
    [first] = convert(build(indicators=rows), tmp_path / "out")
    # (9.4 + 88) / (10 + 88) × 100 = 99.387… → 99.39
    assert first.total == 99.39
    assert openpyxl.load_workbook(first.output)["绩效指标"]["I10"].value == "不适用"
    [again] = evaluate(first.output)
    assert again.total == 99.39 and again.errors == 0


def test_the_scored_copy_is_recalculated_on_opening(build, tmp_path):
    def total_row(wb):
        wb["绩效指标"]["A11"] = "合计"
        wb["绩效指标"]["I11"] = "=SUM(I2:I10)"

    [r] = convert(build(extra=total_row), tmp_path / "out")
    assert openpyxl.load_workbook(r.output).calculation.fullCalcOnLoad
    assert not_review(evaluate(r.output)[0].findings) == []  # its own mark does not make its values untrusted
