"""The 评分结果 sheet: what it shows, how it prints, and that workbook text stays text."""

import datetime as dt
import hashlib
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import badfiles
import openpyxl
import pytest
from conftest import SEED_PAYMENTS, not_review, soffice
from lxml import etree

import xlsx_eval
from xlsx_eval import convert, evaluate
from xlsx_eval.findings import finding
from xlsx_eval.score.rules import DEFAULT_RULES
from xlsx_eval.score.rules_file import load_rules
from xlsx_eval.score.rules_file import national as national_rules
from xlsx_eval.write.result_sheet import build_result_sheet
from xlsx_eval.write.template import write_template
from xlsx_eval.write.writeback import write_scored

PROFILES = Path(xlsx_eval.__file__).parent / "score" / "profiles"
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
    return convert(example, tmp_path)[0].output


def test_the_result_sheet_of_the_example(example_out):
    wb = openpyxl.load_workbook(example_out)
    ws = wb.worksheets[0]
    assert ws.title == "评分结果" and wb.active.title == "评分结果"
    assert ws["A1"].value == "财政支出绩效自评 · 评分结果" and "A1:F1" in {str(r) for r in ws.merged_cells.ranges}
    assert [ws[f"A{r}"].value for r in range(3, 7)] == ["评价年度", "单位名称", "项目名称", "评分规则"]
    assert [ws[f"B{r}"].value for r in range(3, 6)] == ["2020", "长安区委办公室", "值班视频系统安装经费"]
    national = national_rules()
    # the rules' title on the line, their file in small print below it
    assert ws["B6"].value == "财政部项目支出绩效自评表（默认规则）"
    assert ws["B7"].value == f"规则 national，文件摘要 {national.digest[:12]}" and ws["B7"].font.sz == 9
    assert ws["F3"].value == 99.4 and ws["F3"].font.sz == 28 and ws["F3"].font.b
    assert ws["F5"].value == "优秀" and ws["F5"].font.sz == 20
    assert ws["E7"].value is None  # no errors: nothing by the total
    assert ws["A8"].value == "预算执行（金额单位：万元）"
    assert [ws[f"B{r}"].value for r in range(9, 14)] == [35, 35, 32.88, 32.88, 0]
    assert ws["B9"].number_format == "#,##0.00" and ws["B14"].number_format == "0%"
    assert ws["B14"].value == pytest.approx(0.94)

    assert [ws[f"{c}17"].value for c in "ABCD"] == ["一级指标", "分值", "得分", "得分率"]
    assert [ws[f"A{r}"].value for r in range(18, 22)] == ["预算执行率", "产出指标", "效益指标", "满意度指标"]
    assert [ws[f"B{r}"].value for r in range(18, 22)] == [10, 40, 40, 10]
    assert ws["C18"].value == pytest.approx(9.4) and ws["C18"].number_format == "0.00"
    # the review's findings, as found (test_review.py): 90 of 90 against 94% spent, actuals copied, 满意度 ×3
    assert ws["A26"].value == "发现的问题（5 条）"
    assert [(ws[f"A{r}"].value, ws[f"C{r}"].value, ws[f"D{r}"].value) for r in range(28, 33)] == [
        ("警告", "B21", "SCORE_OUTRUNS_SPENDING"),
        ("警告", "G2", "ACTUAL_COPIES_TARGET"),
        ("提示", "G8", "SATISFACTION_NO_SURVEY"),
        ("提示", "G9", "SATISFACTION_NO_SURVEY"),
        ("提示", "G10", "SATISFACTION_NO_SURVEY"),
    ]

    assert ws.sheet_properties.codeName == "xlsx_eval_result"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 0
    assert ws.page_setup.fitToWidth == 1
    assert not ws.sheet_view.showGridLines
    assert len(ws._charts) == 1


def test_the_chart_refers_to_the_sheet_by_its_quoted_name(example_out):
    chart = chart_xml(example_out)
    assert '<c:barDir val="col"/><c:grouping val="clustered"/>' in chart
    refs = re.findall(r"<c:f>([^<]*)</c:f>", chart)
    assert refs == [
        "'评分结果'!$A$18:$A$21",
        "'评分结果'!$B$18:$B$21",
        "'评分结果'!$A$18:$A$21",
        "'评分结果'!$C$18:$C$21",
    ]
    assert "<c:v>分值</c:v>" in chart and "<c:v>得分</c:v>" in chart


def test_next_to_a_units_own_result_sheet(build, tmp_path):
    def own(wb):
        wb.create_sheet("评分结果", 0)["A1"] = "单位自己的评分表"

    out = convert(build(extra=own), tmp_path / "out")[0].output
    assert openpyxl.load_workbook(out).sheetnames[:2] == ["评分结果 (2)", "评分结果"]
    assert "'评分结果 (2)'!$B$18:$B$21" in chart_xml(out)
    assert 'codeName="xlsx_eval_result"' in front_xml(out, "评分结果 (2)")
    assert "codeName" not in front_xml(out, "评分结果")


def test_findings_link_to_their_cells_and_rows_fit_the_message(build, tmp_path):
    def sheet(wb):
        wb.create_sheet("O'Neil 表")

    src = build(extra=sheet)
    [result] = evaluate(src)
    long = "说明" * 60  # 120 characters: four lines of about 38
    result.findings = [
        finding("BAD_AMOUNT", "O'Neil 表", "C3", long),
        finding("WEIGHT_SUM", "绩效指标", "H1", "分值合计不是 100"),
        finding("NO_LEDGER", "", "", "没有支出明细"),
    ]
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
    out = convert(build(info={"单位名称": unit}), tmp_path / "out")[0].output
    xml = front_xml(out)
    assert "<f>" not in xml and "<f " not in xml and 't="s"' not in xml
    root = etree.fromstring(xml.encode())
    b4 = root.find(".//m:c[@r='B4']", NS)
    assert b4.get("t") == "inlineStr" and b4.findtext("m:is/m:t", namespaces=NS) == unit
    ws = openpyxl.load_workbook(out)["评分结果"]
    assert ws["B4"].value == unit and ws["B4"].data_type == "s"


def test_an_unscored_workbook_has_no_chart(build, tmp_path):
    out = convert(build(omit_sheets=("绩效指标",)), tmp_path / "out")[0].output
    ws = openpyxl.load_workbook(out)["评分结果"]
    assert ws["F3"].value == "未评分" and ws["F5"].value == "请先修正下列错误"
    with zipfile.ZipFile(out) as zf:
        assert not [n for n in zf.namelist() if n.startswith(("xl/charts/", "xl/drawings/drawing"))]
    assert "<drawing" not in front_xml(out)


@pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdftotext") is None,
    reason="LibreOffice (soffice) or pdftotext not installed",
)
def test_libreoffice_prints_the_sheet_with_its_chart(example_out, tmp_path):
    pdf = soffice(example_out, tmp_path / "pdf", "pdf")
    first_page = subprocess.run(
        ["pdftotext", "-l", "1", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "99.4" in first_page and "优秀" in first_page
    assert "各一级指标得分与分值" in first_page  # the chart's title: the chart was drawn


def test_errors_are_shown_by_the_total(build, tmp_path):
    # 全年执行数 30 against a ledger of 32.88: EXECUTED_MISMATCH; a payment of "若干": BAD_AMOUNT (left out of the
    # ledger total). Scored as filled: 30 / 35 = 85.7% → 86% → 8.6 + the nine indicators' 90 = 98.6.
    payments = [(dt.date(2020, 3, 1), "办公用品", "若干"), *SEED_PAYMENTS]
    [result] = convert(build(info={"全年执行数": 30}, payments=payments), tmp_path / "out")
    assert sorted(f.code for f in result.findings if f.severity.value == "error") == ["BAD_AMOUNT", "EXECUTED_MISMATCH"]
    ws = openpyxl.load_workbook(result.output)["评分结果"]
    assert ws["F3"].value == 98.6 and ws["F5"].value == "优秀"
    assert ws["E7"].value == "有 2 个错误，得分可能不准确" and "E7:F7" in {str(r) for r in ws.merged_cells.ranges}
    assert ws["E7"].font.b and ws["E7"].font.color.rgb == "FFC00000"


def test_an_unscored_workbook_says_how_many_errors_stop_it(build, tmp_path):
    out = convert(build(omit_sheets=("绩效指标",)), tmp_path / "out")[0].output  # MISSING_SHEET: the one error
    ws = openpyxl.load_workbook(out)["评分结果"]
    assert ws["E7"].value == "有 1 个错误，未能评分"


def test_a_bureaus_rules_by_their_title(example, tmp_path):
    rules = load_rules("hubei")
    out = convert(example, tmp_path, rules)[0].output
    ws = openpyxl.load_workbook(out)["评分结果"]
    assert ws["B6"].value == "湖北省项目支出绩效自评规则"
    digest = hashlib.sha256((PROFILES / "hubei.toml").read_bytes()).hexdigest()
    assert ws["B7"].value == f"规则 hubei，文件摘要 {digest[:12]}"
    assert ws["F5"].value == "优"  # 99.4 ≥ 90, in Hubei's words


def test_the_built_in_rules_have_no_file_to_name(example, tmp_path):
    out = convert(example, tmp_path, DEFAULT_RULES)[0].output
    ws = openpyxl.load_workbook(out)["评分结果"]
    assert ws["B6"].value == "财政部项目支出绩效自评表（默认规则）" and ws["B7"].value == "规则 national（内置默认）"


@pytest.mark.parametrize("case", ["no ledger sheet", "empty ledger"])
def test_without_a_ledger_the_reconciliation_reads_not_checked(build, tmp_path, case):
    src = build(omit_sheets=("支出明细",)) if case == "no ledger sheet" else build(payments=[])
    [result] = convert(src, tmp_path / "out")
    code = "LEDGER_MISSING" if case == "no ledger sheet" else "NO_LEDGER"
    assert [f.code for f in not_review(result.findings)] == [code]
    ws = openpyxl.load_workbook(result.output)["评分结果"]
    assert [ws[f"A{r}"].value for r in (12, 13)] == ["支出明细合计", "差额（执行数−明细合计）"]
    assert [ws[f"B{r}"].value for r in range(9, 15)] == [35, 35, 32.88, "未核对", "未核对", pytest.approx(0.94)]
    # listed first, as found; then the seed's SCORE_OUTRUNS_SPENDING and its three 满意度 (test_review.py)
    assert ws["A28"].value == ("警告" if code == "LEDGER_MISSING" else "提示")
    assert ws["D28"].value == code and ws["A26"].value == "发现的问题（5 条）"
    assert [ws[f"D{r}"].value for r in range(29, 33)] == ["SCORE_OUTRUNS_SPENDING"] + ["SATISFACTION_NO_SURVEY"] * 3


def test_no_cell_holds_more_than_excel_allows(build, tmp_path):
    src = build()
    [result] = evaluate(src)
    long = "长" * 40000
    astral = "𠀀" * 20000  # outside the BMP: two UTF-16 units each, 40000 in all
    result.findings = [finding("BAD_AMOUNT", "支出明细", "C2", long), finding("BAD_AMOUNT", "支出明细", "C3", astral)]
    result.project.unit = "单" * 33000
    dest = tmp_path / "out.xlsx"
    write_scored(src, dest, [], build_result_sheet(result, DEFAULT_RULES))
    ws = openpyxl.load_workbook(dest)["评分结果"]
    # 32,767 units in all: 32,761 of the text and the 6 of "…（已截断）"
    assert ws["E28"].value == "长" * 32761 + "…（已截断）"
    assert ws["B4"].value == "单" * 32761 + "…（已截断）"
    # 32,761 units would split a character: 16,380 whole ones (32,760 units) are kept
    assert ws["E29"].value == "𠀀" * 16380 + "…（已截断）"
    assert ws.row_dimensions[28].height == 408.75  # Excel's highest row is 409 points (545 whole pixels)
    short = finding("BAD_AMOUNT", "支出明细", "C2", "长" * 32767)  # exactly the limit: kept whole
    result.findings = [short]
    write_scored(src, dest, [], build_result_sheet(result, DEFAULT_RULES))
    assert openpyxl.load_workbook(dest)["评分结果"]["E28"].value == "长" * 32767


# CT_Worksheet's sequence (ECMA-376 Part 1, sml.xsd): Excel "repairs" a sheet whose elements are out of order.
WORKSHEET_ORDER = [
    "sheetPr",
    "dimension",
    "sheetViews",
    "sheetFormatPr",
    "cols",
    "sheetData",
    "sheetCalcPr",
    "sheetProtection",
    "protectedRanges",
    "scenarios",
    "autoFilter",
    "sortState",
    "dataConsolidate",
    "customSheetViews",
    "mergeCells",
    "phoneticPr",
    "conditionalFormatting",
    "dataValidations",
    "hyperlinks",
    "printOptions",
    "pageMargins",
    "pageSetup",
    "headerFooter",
    "rowBreaks",
    "colBreaks",
    "customProperties",
    "cellWatches",
    "ignoredErrors",
    "smartTags",
    "drawing",
    "legacyDrawing",
    "legacyDrawingHF",
    "drawingHF",
    "picture",
    "oleObjects",
    "controls",
    "webPublishItems",
    "tableParts",
    "extLst",
]


def test_the_sheet_xml_is_in_the_schemas_order_and_prints_on_a4_one_page_wide(build, tmp_path):
    [result] = evaluate(build(info={"全年执行数": 30}))  # findings (with links) and a chart: every element used
    dest = tmp_path / "out.xlsx"
    write_scored(build(), dest, [], build_result_sheet(result, DEFAULT_RULES))
    root = etree.fromstring(front_xml(dest).encode())
    names = [etree.QName(child).localname for child in root]
    assert names == [
        "sheetPr",
        "dimension",
        "sheetViews",
        "sheetFormatPr",
        "cols",
        "sheetData",
        "mergeCells",
        "hyperlinks",
        "pageMargins",
        "pageSetup",
        "drawing",
    ]
    assert names == sorted(names, key=WORKSHEET_ORDER.index)
    assert [etree.QName(c).localname for c in root.find("m:sheetPr", NS)] == ["pageSetUpPr"]
    assert root.find("m:sheetPr/m:pageSetUpPr", NS).get("fitToPage") == "1"
    setup = root.find("m:pageSetup", NS).attrib
    assert (setup["paperSize"], setup["fitToWidth"], setup["fitToHeight"], setup["orientation"]) == (
        "9",
        "1",
        "0",
        "landscape",
    )
    for row in root.iterfind("m:sheetData/m:row", NS):  # cells in column order, each CT_Cell's is after its v
        refs = [c.get("r") for c in row]
        assert refs == sorted(refs, key=lambda ref: (len(ref), ref))
        for c in row:
            assert [etree.QName(x).localname for x in c] in ([], ["v"], ["is"])


def _pdf_pages(pdf):
    info = subprocess.run(
        ["pdfinfo", "-f", "1", "-l", "999", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    return re.findall(r"Page +\d+ size: +([\d.]+) x ([\d.]+) pts", info)


@pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdfinfo") is None,
    reason="LibreOffice (soffice) or pdfinfo not installed",
)
def test_libreoffice_prints_every_sheet_we_write_on_a4_in_a_c_locale(tmp_path):
    # The example as template.py writes it (every sheet A4), scored: LibreOffice's own default in a C locale
    # is Letter (612 x 792 points); A4 is 595.3 x 841.9.
    src = write_template(tmp_path / "example.xlsx", example=True)
    out = convert(src, tmp_path / "out")[0].output
    pages = _pdf_pages(soffice(out, tmp_path / "pdf", "pdf", c_locale=True))
    assert pages[0] == ("841.89", "595.304")  # 评分结果: A4 landscape, on one page
    assert len(pages) >= 6 and {tuple(sorted(p)) for p in pages} == {("595.304", "841.89")}
