"""The 评分结果 sheet: what it shows, how it prints, and that workbook text stays text."""

import re
import shutil
import subprocess
import zipfile

import openpyxl
import pytest
from lxml import etree

import badfiles
from xlsx_eval import convert, evaluate
from xlsx_eval.findings import finding
from xlsx_eval.result_sheet import build_result_sheet
from xlsx_eval.rules import DEFAULT_RULES
from xlsx_eval.rules_file import national as national_rules
from xlsx_eval.writeback import write_scored

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def front_xml(path, name="评分结果"):
    with zipfile.ZipFile(path) as zf:
        return zf.read(badfiles.sheet_part(name, path)).decode()


def chart_xml(path):
    with zipfile.ZipFile(path) as zf:
        charts = [n for n in zf.namelist() if n.startswith("xl/charts/")]
        assert len(charts) == 1
        return zf.read(charts[0]).decode()


@pytest.fixture
def example_out(example, tmp_path):
    return convert(example, tmp_path).output


def test_the_result_sheet_of_the_example(example_out):
    wb = openpyxl.load_workbook(example_out)
    ws = wb.worksheets[0]
    assert ws.title == "评分结果" and wb.active.title == "评分结果"
    assert ws["A1"].value == "财政支出绩效自评 · 评分结果" and "A1:F1" in {str(r) for r in ws.merged_cells.ranges}
    assert [ws[f"A{r}"].value for r in range(3, 7)] == ["评价年度", "单位名称", "项目名称", "评分规则"]
    assert [ws[f"B{r}"].value for r in range(3, 6)] == ["2020", "长安区委办公室", "值班视频系统安装经费"]
    national = national_rules()
    assert ws["B6"].value == f"{national.title}（national，文件摘要 {national.digest[:12]}）"
    assert ws["F3"].value == 99.4 and ws["F3"].font.sz == 28 and ws["F3"].font.b
    assert ws["F5"].value == "优秀" and ws["F5"].font.sz == 20
    assert ws["A8"].value == "预算执行（金额单位：万元）"
    assert [ws[f"B{r}"].value for r in range(9, 14)] == [35, 35, 32.88, 32.88, 0]
    assert ws["B9"].number_format == "#,##0.00" and ws["B14"].number_format == "0%"
    assert ws["B14"].value == pytest.approx(0.94)

    assert [ws[f"{c}17"].value for c in "ABCD"] == ["一级指标", "分值", "得分", "得分率"]
    assert [ws[f"A{r}"].value for r in range(18, 22)] == ["预算执行率", "产出指标", "效益指标", "满意度指标"]
    assert [ws[f"B{r}"].value for r in range(18, 22)] == [10, 40, 40, 10]
    assert ws["C18"].value == pytest.approx(9.4) and ws["C18"].number_format == "0.00"
    assert ws["A26"].value == "发现的问题（0 条）" and ws["A28"].value == "未发现问题"

    assert ws.sheet_properties.codeName == "xlsx_eval_result"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 0
    assert not ws.sheet_view.showGridLines
    assert len(ws._charts) == 1


def test_the_chart_refers_to_the_sheet_by_its_quoted_name(example_out):
    chart = chart_xml(example_out)
    assert '<c:barDir val="col"/><c:grouping val="clustered"/>' in chart
    refs = re.findall(r"<c:f>([^<]*)</c:f>", chart)
    assert refs == ["'评分结果'!$A$18:$A$21", "'评分结果'!$B$18:$B$21",
                    "'评分结果'!$A$18:$A$21", "'评分结果'!$C$18:$C$21"]
    assert "<c:v>分值</c:v>" in chart and "<c:v>得分</c:v>" in chart


def test_next_to_a_units_own_result_sheet(build, tmp_path):
    def own(wb):
        wb.create_sheet("评分结果", 0)["A1"] = "单位自己的评分表"

    out = convert(build(extra=own), tmp_path / "out").output
    assert openpyxl.load_workbook(out).sheetnames[:2] == ["评分结果 (2)", "评分结果"]
    assert "'评分结果 (2)'!$B$18:$B$21" in chart_xml(out)
    assert 'codeName="xlsx_eval_result"' in front_xml(out, "评分结果 (2)")
    assert "codeName" not in front_xml(out, "评分结果")


def test_findings_link_to_their_cells_and_rows_fit_the_message(build, tmp_path):
    def sheet(wb):
        wb.create_sheet("O'Neil 表")

    src = build(extra=sheet)
    result = evaluate(src)
    long = "说明" * 60  # 120 characters: four lines of about 38
    result.findings = [finding("BAD_AMOUNT", "O'Neil 表", "C3", long),
                       finding("WEIGHT_SUM", "绩效指标", "H1", "分值合计不是 100"),
                       finding("NO_LEDGER", "", "", "没有支出明细")]
    dest = tmp_path / "out.xlsx"
    write_scored(src, dest, [], build_result_sheet(result, DEFAULT_RULES))
    ws = openpyxl.load_workbook(dest)["评分结果"]
    first = 28
    assert ws[f"C{first}"].hyperlink.location == "'O''Neil 表'!C3"
    assert ws[f"C{first + 1}"].hyperlink.location == "'绩效指标'!H1"
    assert ws[f"C{first + 2}"].hyperlink is None
    assert [ws[f"A{r}"].value for r in range(first, first + 3)] == ["错误", "警告", "提示"]
    assert ws[f"E{first}"].value == long and ws[f"E{first}"].alignment.wrap_text
    assert ws.row_dimensions[first].height == 63.75  # 4 lines of 16 points, in whole pixels
    assert ws.row_dimensions[first + 1].height == 15.75


def test_text_from_the_workbook_is_escaped_inline_text(build, tmp_path):
    unit = '=HYPERLINK("http://x","<b>")&"A&B"'
    out = convert(build(info={"单位名称": unit}), tmp_path / "out").output
    xml = front_xml(out)
    assert "<f>" not in xml and "<f " not in xml and 't="s"' not in xml
    root = etree.fromstring(xml.encode())
    b4 = root.find(".//m:c[@r='B4']", NS)
    assert b4.get("t") == "inlineStr" and b4.findtext("m:is/m:t", namespaces=NS) == unit
    ws = openpyxl.load_workbook(out)["评分结果"]
    assert ws["B4"].value == unit and ws["B4"].data_type == "s"


def test_an_unscored_workbook_has_no_chart(build, tmp_path):
    out = convert(build(omit_sheets=("绩效指标",)), tmp_path / "out").output
    ws = openpyxl.load_workbook(out)["评分结果"]
    assert ws["F3"].value == "未评分" and ws["F5"].value == "请先修正下列错误"
    with zipfile.ZipFile(out) as zf:
        assert not [n for n in zf.namelist() if n.startswith(("xl/charts/", "xl/drawings/drawing"))]
    assert "<drawing" not in front_xml(out)


@pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdftotext") is None,
                    reason="LibreOffice (soffice) or pdftotext not installed")
def test_libreoffice_prints_the_sheet_with_its_chart(example_out, tmp_path):
    done = subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                           "--convert-to", "pdf", "--outdir", str(tmp_path / "pdf"), str(example_out)],
                          capture_output=True, timeout=180)
    assert done.returncode == 0, done.stderr
    pdf = tmp_path / "pdf" / (example_out.stem + ".pdf")
    first_page = subprocess.run(["pdftotext", "-l", "1", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "99.4" in first_page and "优秀" in first_page
    assert "各一级指标得分与分值" in first_page  # the chart's title: the chart was drawn
