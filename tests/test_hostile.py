"""Bad and hostile files: one clear Chinese message each, no traceback, bounded time, and a batch goes on."""

import shutil
import time

import badfiles
import pytest
import xlsxwriter
from conftest import not_review
from typer.testing import CliRunner

from xlsx_eval import evaluate
from xlsx_eval.cli import app


def unreadable(path):
    """The one UNREADABLE_FILE message for ``path`` (and nothing else was reported)."""
    [r] = evaluate(path)
    assert not r.scored and r.total is None
    assert [f.code for f in r.findings] == ["UNREADABLE_FILE"], r.findings
    return r.findings[0].message


def test_not_a_zip(tmp_path):
    path = tmp_path / "a.xlsx"
    path.write_text("名称,金额\n办公费,3\n", encoding="utf-8")
    assert "不是 Excel 工作簿" in unreadable(path)


def test_an_html_table_named_xls_says_what_it_is(tmp_path):
    path = tmp_path / "导出.xls"  # some systems export a web page and name it .xls
    path.write_text('<html xmlns:x="urn:schemas-microsoft-com:office:excel"><table><tr><td>项目名称</td></tr></table>')
    message = unreadable(path)
    assert "网页（HTML）格式" in message and "另存为 .xlsx" in message


def test_truncated_zip(tmp_path):
    assert "损坏或不完整" in unreadable(badfiles.truncated(tmp_path / "half.xlsx"))


def test_empty_file(tmp_path):
    path = tmp_path / "empty.xlsx"
    path.touch()
    assert "空的" in unreadable(path)


def test_xls_renamed_xlsx_is_read_by_its_content(tmp_path):
    xlwt = pytest.importorskip("xlwt")
    book = xlwt.Workbook()
    info = book.add_sheet("项目信息")
    for r, (label, value) in enumerate(
        [("评价年度", 2020), ("单位名称", "甲单位"), ("项目名称", "乙项目"), ("全年预算数", 10), ("全年执行数", 9)]
    ):
        info.write(r, 0, label)
        info.write(r, 1, value)
    ind = book.add_sheet("绩效指标")
    for c, name in enumerate(["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值"]):
        ind.write(0, c, name)
    for c, value in enumerate(["产出指标", "数量指标", "台数", "≥10台", "10台", 90]):
        ind.write(1, c, value)
    path = tmp_path / "old.xlsx"  # an .xls under an .xlsx name
    book.save(str(path))
    [r] = evaluate(path)
    # 9 / 10 = 90% → 9.0; one indicator met → 90; total 99
    assert (r.execution_score, r.total, r.grade) == (9.0, 99.0, "优秀")


def test_encrypted_workbook_says_how_to_remove_the_password(tmp_path):
    msoffcrypto = pytest.importorskip("msoffcrypto.format.ooxml")
    path = tmp_path / "locked.xlsx"
    with badfiles.EXAMPLE.open("rb") as plain, path.open("wb") as locked:
        msoffcrypto.OOXMLFile(plain).encrypt("123456", locked)
    message = unreadable(path)
    assert "密码" in message and "用密码进行加密" in message


def test_zip_bomb_is_refused_before_inflating(tmp_path):
    path = badfiles.zip_bomb(tmp_path / "bomb.xlsx")
    assert path.stat().st_size < 2 << 20
    started = time.perf_counter()
    assert "压缩比" in unreadable(path)
    assert time.perf_counter() - started < 30  # refused from the declared sizes, not by inflating 200 MB


@pytest.mark.parametrize("part", ["xl/sharedStrings.xml", "xl/workbook.xml", "[Content_Types].xml"])
def test_entity_expansion_is_refused(tmp_path, part):
    assert "DTD" in unreadable(badfiles.billion_laughs(tmp_path / "lol.xlsx", part))


def test_claimed_dimension_of_the_whole_sheet_is_harmless(tmp_path):
    [r] = evaluate(badfiles.claimed_dimension(tmp_path / "claim.xlsx"))
    assert r.total == 99.4 and not_review(r.findings) == []


def test_a_cell_at_xfd1048576_is_refused_not_a_crash(tmp_path):
    assert "数据范围过大" in unreadable(badfiles.far_cell(tmp_path / "far.xlsx"))


def test_a_million_ledger_rows_are_refused_over_the_documented_limit(tmp_path):
    path = badfiles.million_rows(tmp_path / "million.xlsx")
    assert path.stat().st_size < 20 << 20
    message = unreadable(path)
    assert "支出明细" in message and "200000 行" in message


def test_control_characters_are_cleaned_and_said(tmp_path):
    # xlsxwriter stores control characters escaped (_x0001_); they come back as the characters
    import openpyxl

    src = tmp_path / "ctrl.xlsx"
    wb = openpyxl.load_workbook(badfiles.EXAMPLE)
    wb.save(src)
    book = xlsxwriter.Workbook(str(tmp_path / "ctrl2.xlsx"))
    for ws_src in wb.worksheets:
        ws = book.add_worksheet(ws_src.title)
        for row in ws_src.iter_rows():
            for c in row:
                if c.value is not None:
                    ws.write(c.row - 1, c.column - 1, c.value)
    book.get_worksheet_by_name("支出明细").write_string(1, 1, "值班室视频\x01系统安装经费\x07")
    book.close()
    [r] = evaluate(tmp_path / "ctrl2.xlsx")
    assert [(f.code, f.cell) for f in not_review(r.findings)] == [("CONTROL_CHARS", "B2")]
    assert r.total == 99.4


def test_a_batch_goes_on_past_every_bad_file(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    badfiles.truncated(inbox / "1-half.xlsx")
    badfiles.far_cell(inbox / "2-far.xlsx")
    badfiles.billion_laughs(inbox / "3-lol.xlsx")
    (inbox / "4-empty.xlsx").touch()
    shutil.copy(badfiles.EXAMPLE, inbox / "5-good.xlsx")
    shutil.copy(badfiles.EXAMPLE, inbox / "~$5-good.xlsx")  # Excel's lock file while 5-good is open: skipped
    result = CliRunner().invoke(app, ["convert", str(inbox), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert sorted(p.name for p in (tmp_path / "out").glob("*.scored.*")) == ["5-good.scored.xlsx"]
    lines = [line for line in result.output.splitlines() if line.startswith(("✔", "✘"))]
    # one verdict per file, as each finishes (with several workers, in the order they finish)
    assert sorted(line.split("：")[0] for line in lines) == [
        "✔ 5-good.xlsx",
        "✘ 1-half.xlsx",
        "✘ 2-far.xlsx",
        "✘ 3-lol.xlsx",
        "✘ 4-empty.xlsx",
    ]
    assert "跳过" in result.output and "~$5-good.xlsx" in result.output
    assert "无法读取 4 个，跳过 1 个" in result.output


def test_far_cells_written_in_other_valid_forms_are_refused_too(tmp_path):
    assert "数据范围过大" in unreadable(badfiles.far_cell_single_quotes(tmp_path / "quotes.xlsx"))
    assert "数据范围过大" in unreadable(badfiles.far_cell_prefixed(tmp_path / "prefixed.xlsx"))
    assert "400 行 × 16384 列" in unreadable(badfiles.wide_row_without_refs(tmp_path / "norefs.xlsx"))
