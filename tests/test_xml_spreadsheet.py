"""SpreadsheetML 2003 ("XML 表格"), as the budget platform exports it and names it .xls: placement by ss:Index and
merges, typed data, styles, the platform's uncalculated R1C1 formulas computed as Excel does on opening, the
scored .xlsx copy keeping the form's layout, and hostile files refused with one clear line.

Every document here is written by hand, as text; the expected values are worked out in the comments.
"""

import datetime as dt
import shutil
import time

import openpyxl
import pytest
from conftest import not_review, soffice

from xlsx_eval import evaluate
from xlsx_eval.pipeline import convert
from xlsx_eval.read import r1c1
from xlsx_eval.read.spreadsheetml import is_spreadsheetml, read_spreadsheetml

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<?mso-application progid="Excel.Sheet"?>\n'
    '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
    'xmlns:x="urn:schemas-microsoft-com:office:excel" xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">\n'
)
STYLES = """<Styles>
 <Style ss:ID="Default" ss:Name="Normal"><Alignment ss:Vertical="Center"/><Font ss:FontName="宋体" ss:Size="11"/></Style>
 <Style ss:ID="b"><Alignment ss:Horizontal="Center" ss:WrapText="1"/><Borders>
  <Border ss:Position="Left" ss:LineStyle="Continuous" ss:Weight="1"/><Border ss:Position="Top" ss:LineStyle="Continuous" ss:Weight="2"/>
 </Borders></Style>
 <Style ss:ID="pct" ss:Parent="b"><NumberFormat ss:Format="0%"/><Interior ss:Color="#FFFF00" ss:Pattern="Solid"/></Style>
 <Style ss:ID="title"><Font ss:FontName="黑体" ss:Size="16" ss:Bold="1" ss:Color="#C00000"/></Style>
</Styles>"""


def book(tmp_path, table, name="form.xls", styles=STYLES, sheet="表1"):
    path = tmp_path / name
    path.write_text(
        f'{HEAD}{styles}<Worksheet ss:Name="{sheet}"><Table>{table}</Table></Worksheet></Workbook>', "utf-8"
    )
    return path


def sheet_of(path):
    [sheet] = read_spreadsheetml(path).sheets
    return sheet


# ----------------------------------------------------------------------------------------------- placement


def test_cells_are_placed_by_index_and_merges_as_excel_places_them(tmp_path):
    table = """
    <Row><Cell ss:MergeAcross="2"><Data ss:Type="String">标题</Data></Cell><Cell><Data ss:Type="String">D</Data></Cell></Row>
    <Row ss:Index="3"><Cell ss:Index="2" ss:MergeDown="1"><Data ss:Type="Number">7</Data></Cell><Cell><Data ss:Type="Number">8</Data></Cell></Row>
    <Row><Cell ss:Index="3"><Data ss:Type="String">下</Data></Cell></Row>
    """
    sheet = sheet_of(book(tmp_path, table))
    # row 1: A1 spans A1:C1, so the next cell without an index is D1; row 2 is skipped by ss:Index="3";
    # row 3: B3 spans B3:B4, C3 follows it; row 4 comes after row 3, its cell placed at C4 by its index
    assert sheet.rows == [["标题", None, None, "D"], [], [None, 7.0, 8.0], [None, None, "下"]]
    assert sheet.merges == [(0, 0, 0, 2), (2, 1, 3, 1)]


def test_typed_data_and_rich_text(tmp_path):
    table = """<Row>
      <Cell><Data ss:Type="Number">32.88</Data></Cell>
      <Cell><Data ss:Type="DateTime">2020-01-30T00:00:00.000</Data></Cell>
      <Cell><Data ss:Type="Boolean">1</Data></Cell>
      <Cell><Data ss:Type="Error">#N/A</Data></Cell>
      <Cell><ss:Data ss:Type="String" xmlns="http://www.w3.org/TR/REC-html40"><B>年度</B><Font>目标</Font></ss:Data></Cell>
      <Cell><Data ss:Type="String">35</Data><Comment><Data>批注不是单元格的文字</Data></Comment></Cell>
    </Row>"""
    sheet = sheet_of(book(tmp_path, table))
    assert sheet.rows == [[32.88, dt.datetime(2020, 1, 30), True, None, "年度目标", "35"]]
    assert sheet.suspect == {"D1": "#N/A"}  # an error value reads as blank and is reported where it is used


def test_styles_widths_heights_and_percent_cells(tmp_path):
    table = """
    <Column ss:Width="80"/><Column ss:Width="40" ss:Span="1"/><Column ss:Index="5" ss:Hidden="1" ss:Width="10"/>
    <Row ss:Height="30"><Cell ss:StyleID="title"><Data ss:Type="String">项目支出绩效自评表</Data></Cell></Row>
    <Row ss:Hidden="1"><Cell ss:StyleID="pct"><Data ss:Type="Number">0.94</Data></Cell>
      <Cell ss:StyleID="pct"><Data ss:Type="String">94%</Data></Cell><Cell ss:StyleID="b"/></Row>
    """
    parsed = read_spreadsheetml(book(tmp_path, table))
    [sheet] = parsed.sheets
    # columns: A 80; B and C 40 (Span="1" is one more); E hidden, 10
    assert sheet.column_widths == {0: 80.0, 1: 40.0, 2: 40.0, 4: 10.0}
    assert sheet.hidden_columns == {4}
    assert (sheet.row_heights, sheet.hidden_rows) == ({0: 30.0}, {1})
    assert sheet.percent_cells == {"A2"}  # a number shown as a percentage; B2 is text, C2 empty
    assert sheet.styles == {(0, 0): "title", (1, 0): "pct", (1, 1): "pct", (1, 2): "b"}
    pct = parsed.styles["pct"]
    # its own format and fill, its parent's alignment and borders, Default's font
    assert (pct.number_format, pct.fill, pct.horizontal, pct.wrap) == ("0%", "#FFFF00", "Center", True)
    assert pct.borders == {"Left": ("Continuous", 1), "Top": ("Continuous", 2)}
    assert (pct.font_name, pct.font_size, pct.vertical) == ("宋体", 11.0, "Center")
    title = parsed.styles["title"]
    assert (title.font_name, title.font_size, title.bold, title.color) == ("黑体", 16.0, True, "#C00000")


# ------------------------------------------------------------------------------------------------ formulas


def test_the_platforms_formulas_are_computed_from_the_cells_they_refer_to(tmp_path):
    # B1 budget 35 = B2 + B3 + B4 (20 + 15 + blank); C1 executed 32.88 = 30 + 2.88 + blank;
    # D1 rate = C1 / B1 = 32.88 / 35 = 0.939428…; E1 weight 10; F1 score = IF(D1*E1 > 10, 10, D1*E1) = 9.39428…
    table = """
    <Row><Cell><Data ss:Type="String">年度资金总额</Data></Cell>
      <Cell ss:Formula="=R[1]C+R[2]C+R[3]C"><Data ss:Type="Number">0</Data></Cell>
      <Cell ss:Formula="=R[1]C+R[2]C+R[3]C"><Data ss:Type="Number">0</Data></Cell>
      <Cell ss:Formula="=RC[-1]/RC[-2]"><Data ss:Type="Error">#DIV/0!</Data></Cell>
      <Cell><Data ss:Type="Number">10</Data></Cell>
      <Cell ss:Formula="=IF(RC[-2]*RC[-1]&gt;10,10,RC[-2]*RC[-1])"><Data ss:Type="Number">0</Data></Cell></Row>
    <Row><Cell ss:Index="2"><Data ss:Type="Number">20</Data></Cell><Cell><Data ss:Type="Number">30</Data></Cell></Row>
    <Row><Cell ss:Index="2"><Data ss:Type="Number">15</Data></Cell><Cell><Data ss:Type="Number">2.88</Data></Cell></Row>
    <Row><Cell ss:Index="2"/><Cell/></Row>
    <Row><Cell><Data ss:Type="String">总分</Data></Cell>
      <Cell ss:Index="6" ss:Formula="=SUM(R[-4]C:R[-1]C)+R1C5"><Data ss:Type="Number">0</Data></Cell></Row>
    """
    sheet = sheet_of(book(tmp_path, table))
    budget, executed, rate, weight, score = sheet.rows[0][1:6]
    assert (budget, executed, weight) == (35.0, 32.88, 10.0)
    assert rate == pytest.approx(32.88 / 35)
    assert score == pytest.approx(32.88 / 35 * 10)
    assert sheet.rows[4][5] == pytest.approx(32.88 / 35 * 10 + 10)  # F1..F4 sum to F1 (the rest blank) + E1
    assert sheet.suspect == {}  # the #DIV/0! placeholder is replaced by the computed rate
    assert sheet.formulas["D1"] == "=RC[-1]/RC[-2]"


def test_what_cannot_be_computed_is_said_not_guessed(tmp_path):
    table = """<Row>
      <Cell><Data ss:Type="Number">0</Data></Cell>
      <Cell ss:Formula="=5/RC[-1]"><Data ss:Type="Number">0</Data></Cell>
      <Cell ss:Formula="=VLOOKUP(1,R2C1:R3C2,2)"><Data ss:Type="Number">3</Data></Cell>
      <Cell ss:Formula="=RC[1]+1"><Data ss:Type="Number">0</Data></Cell>
      <Cell ss:Formula="=RC[-1]+1"><Data ss:Type="Number">0</Data></Cell>
      <Cell><Data ss:Type="String">—</Data></Cell>
      <Cell ss:Formula="=RC[-1]+1"><Data ss:Type="Number">0</Data></Cell>
    </Row>"""
    sheet = sheet_of(book(tmp_path, table))
    # 5 / 0: Excel's #DIV/0!; an unknown function and the D1↔E1 cycle: not computable (""); text + 1: #VALUE!
    assert sheet.suspect == {"B1": "#DIV/0!", "C1": "", "D1": "", "E1": "", "G1": "#VALUE!"}
    assert sheet.rows[0][1:5] == [None, None, None, None]


@pytest.mark.parametrize(
    ("formula", "value"),
    [
        ("=1+2*3", 7.0),  # * before +
        ("=(1+2)*3", 9.0),
        ("=10/4", 2.5),
        ("=-2*3+10", 4.0),
        ("=50%", 0.5),
        ("=IF(3>2,1)", 1.0),
        ("=IF(3<2,1)", False),  # IF without its third argument gives FALSE
        ("=MAX(1,R1C1,2)", 5.0),  # R1C1 holds 5
        ("=ROUND(2.345,2)", 2.35),  # half away from zero, as Excel (not binary 2.34)
        ("=round(-2.5,0)", -3.0),
        ("=R1C1*R[-1]C[-1]", 25.0),  # from B2, R[-1]C[-1] is A1
    ],
)
def test_r1c1_arithmetic(formula, value):
    cells = {(0, 0): 5.0}
    assert r1c1.evaluate(formula, 1, 1, lambda r, c: cells.get((r, c))) == value


@pytest.mark.parametrize("formula", ["=2^3", '="a"&"b"', "=Sheet2!R1C1", "=R1C1:R2C2", "=SUMIF(R1C1:R2C1,1)"])
def test_r1c1_outside_the_subset_is_unsupported(formula):
    with pytest.raises(r1c1.Unsupported):
        r1c1.evaluate(formula, 0, 0, lambda r, c: None)


# -------------------------------------------------------------------------------------------- recognising


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (HEAD.encode(), True),
        (b"\xef\xbb\xbf" + HEAD.encode(), True),
        ("\ufeff".encode("utf-16-le") + HEAD.encode("utf-16-le"), True),
        (b'<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">', True),  # no declaration
        (b"PK\x03\x04\x14\x00", False),
        (b"<html><table><tr><td>1</td></tr></table></html>", False),
        (
            b'<?xml version="1.0"?><office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0">',
            False,
        ),
    ],
)
def test_recognised_by_its_content(head, expected):
    assert is_spreadsheetml(head) is expected


# ---------------------------------------------------------------------------------------------- the form


def platform_form() -> str:
    """The seed's case as the budget platform exports it: totals, rate, execution score and 总分 as formulas
    with placeholders (0, #DIV/0!), merged block labels, widths, a percent-formatted rate."""

    def c(value=None, kind="String", style="b", **attrs):
        extra = "".join(f' ss:{k}="{v}"' for k, v in attrs.items())
        data = "" if value is None else f'<Data ss:Type="{kind}">{value}</Data>'
        return f'<Cell ss:StyleID="{style}"{extra}>{data}</Cell>'

    def n(value, **attrs):
        return c(value, "Number", **attrs)

    rows = [
        [c("项目支出绩效自评表", style="title", MergeAcross=8)],
        [c("（2020年度）", MergeAcross=8)],
        [c("项目名称"), c("值班视频系统安装经费", MergeAcross=7)],
        [c("主管部门"), c("[105]长安区委", MergeAcross=3), c("实施单位"), c("长安区委办公室", MergeAcross=2)],
        [
            c("项目资金（万元）", MergeDown=3),
            c(),
            c("年初预算数"),
            c("全年预算数"),
            c("全年执行数"),
            c("分值"),
            c("执行率"),
            c("得分"),
        ],
        # the total row: each figure the sum of the three 其中 rows; rate = executed / budget; score capped at 10
        [
            c("年度资金总额", Index=2),
            *(n(0, Formula="=R[1]C+R[2]C+R[3]C") for _ in range(3)),
            n(10),
            c("#DIV/0!", "Error", style="pct", Formula="=RC[-2]/RC[-3]"),
            n(0, Formula="=IF(RC[-1]*RC[-2]&gt;10,10,RC[-1]*RC[-2])"),
        ],
        [c("其中：当年财政拨款", Index=2), n(35), n(35), n(32.88)],
        [c("上年结转资金", Index=2), n(0), n(0), n(0)],
        [c("其他资金", Index=2), c(), c(), c()],
        [c("年度总体目标"), c("预期目标", MergeAcross=3), c("实际完成情况", MergeAcross=3)],
        [c("完成值班视频系统安装", Index=2, MergeAcross=3), c("已完成安装并投入使用", MergeAcross=3)],
        [
            c("绩效指标", MergeDown=4),
            c("一级指标"),
            c("二级指标"),
            c("三级指标"),
            c("年度指标值"),
            c("实际完成值"),
            c("分值"),
            c("得分"),
            c("偏差原因分析及改进措施"),
        ],
        [c("产出指标", Index=2, MergeDown=1), c("数量指标"), c("安装点位"), c("=1套"), c("1套"), n(40), n(40)],
        [c("质量指标", Index=3), c("验收合格率"), c("100%"), c("100%"), n(20), n(20)],
        [c("效益指标", Index=2), c("社会效益指标"), c("值班效率"), c("提升"), c("达成预期指标"), n(20), n(20)],
        [c("满意度指标", Index=2), c("服务对象满意度指标"), c("满意度"), c("≥90%"), c("95%"), n(10), n(10)],
        [
            c("总    分", MergeAcross=5),
            n(0, Index=7, Formula="=SUM(R[-4]C:R[-1]C)"),
            n(0, Formula="=SUM(R[-4]C:R[-1]C)+R[-11]C"),
        ],
    ]
    columns = '<Column ss:Width="80"/><Column ss:Width="70" ss:Span="1"/><Column ss:Index="4" ss:Width="150"/>'
    body = "".join(f'<Row ss:Height="{30 if i == 0 else 20}">{"".join(r)}</Row>' for i, r in enumerate(rows))
    return (
        f'{HEAD}{STYLES}<Worksheet ss:Name="项目支出绩效自评表"><Table>{columns}{body}</Table></Worksheet></Workbook>'
    )


def test_the_platform_export_scores_as_the_seed(tmp_path):
    path = tmp_path / "值班视频.xls"  # named .xls, as the platform names it
    path.write_text(platform_form(), "utf-8")
    [r] = evaluate(path)
    assert (r.layout, r.sheet) == ("national", "项目支出绩效自评表")
    # 32.88 / 35 = 93.94% → 94% → 9.4 of 10; indicators 40 + 20 + 20 + 10 = 90 in full → 99.4
    assert (r.funds.budget, r.funds.executed, r.funds.execution_rate) == (35.0, 32.88, 94.0)
    assert (r.execution_score, r.total, r.grade) == (9.4, 99.4, "优秀")
    assert [s.score for s in r.indicators] == [40.0, 20.0, 20.0, 10.0]
    # the platform's formulas score the unrounded rate (9.394…): its arithmetic, not a claim the unit made
    assert not_review(r.findings) == []


def test_the_scored_copy_is_an_xlsx_that_keeps_the_form(tmp_path):
    path = tmp_path / "值班视频.xls"
    path.write_text(platform_form(), "utf-8")
    [r] = convert(path, tmp_path / "out")
    assert r.output.name == "值班视频.scored.xlsx"
    wb = openpyxl.load_workbook(r.output)
    assert wb.sheetnames == ["评分结果", "项目支出绩效自评表"]
    ws = wb["项目支出绩效自评表"]
    merges = {str(m) for m in ws.merged_cells.ranges}
    assert {"A1:I1", "B3:I3", "A5:A8", "A12:A16", "B13:B14", "A17:F17"} <= merges
    # widths in points → pixels (× 4/3), which the file holds as pixels / 7 (the digit width, padding included):
    # 80 pt = 107 px → 15.29; 150 pt = 200 px → 28.57
    assert ws.column_dimensions["A"].width == pytest.approx(107 / 7, abs=0.01)
    assert ws.column_dimensions["D"].width == pytest.approx(200 / 7, abs=0.01)
    assert ws.row_dimensions[1].height == 30
    assert (ws["A1"].font.name, ws["A1"].font.sz, ws["A1"].font.b) == ("黑体", 16, True)
    assert ws["C5"].border.left.style == "thin" and ws["C5"].border.top.style == "medium"
    # our figures in the form's own cells: the rate (a percentage cell), the execution score, the total
    assert (ws["G6"].value, ws["G6"].number_format, ws["H6"].value, ws["H17"].value) == (0.94, "0%", 9.4, 99.4)


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_the_scored_copy_opens_in_libreoffice_with_its_merges_and_widths(tmp_path):
    path = tmp_path / "值班视频.xls"
    path.write_text(platform_form(), "utf-8")
    [r] = convert(path, tmp_path / "out")
    saved = soffice(r.output, tmp_path / "saved", "xlsx:Calc MS Excel 2007 XML")
    ws = openpyxl.load_workbook(saved)["项目支出绩效自评表"]
    assert {"A1:I1", "A5:A8", "A12:A16", "A17:F17"} <= {str(m) for m in ws.merged_cells.ranges}
    assert ws.column_dimensions["D"].width == pytest.approx(200 / 7, abs=0.01)  # 150 pt, as above
    assert ws["H17"].value == 99.4


# ----------------------------------------------------------------------------------------------- hostile


def unreadable(path):
    start = time.monotonic()
    [r] = evaluate(path)
    assert time.monotonic() - start < 30  # a generous guard: each of these is refused in well under a second
    assert [f.code for f in r.findings] == ["UNREADABLE_FILE"], r.findings
    return r.findings[0].message


ROOT = HEAD.split("?>", 2)[2]  # the <Workbook> start tag, after the declaration and the mso-application PI
ONE_CELL = '<Worksheet ss:Name="a"><Table><Row><Cell><Data ss:Type="String">{}</Data></Cell></Row></Table></Worksheet>'


def test_entities_and_a_dtd_are_refused(tmp_path):
    # billion laughs: l9 expands to 10^9 "lol"s
    laughs = '<!ENTITY l0 "lol">' + "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    bomb = tmp_path / "bomb.xls"
    bomb.write_text(f'<?xml version="1.0"?><!DOCTYPE Workbook [{laughs}]>{ROOT}{ONE_CELL.format("&l9;")}</Workbook>')
    assert "DTD 或实体声明" in unreadable(bomb)
    external = tmp_path / "external.xls"
    declared = '<!DOCTYPE Workbook [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    external.write_text(f'<?xml version="1.0"?>{declared}{ROOT}{ONE_CELL.format("&e;")}</Workbook>')
    message = unreadable(external)
    assert "DTD 或实体声明" in message and "root:" not in message


def test_an_undeclared_entity_is_a_damaged_file(tmp_path):
    path = book(tmp_path, '<Row><Cell><Data ss:Type="String">&e;</Data></Cell></Row>')
    assert "已损坏" in unreadable(path)


@pytest.mark.parametrize("where", ["Cell", "Row"])
def test_a_huge_index_is_refused_without_allocating(tmp_path, where):
    cell = '<Cell ss:Index="99999999"><Data ss:Type="Number">1</Data></Cell>'
    table = (
        f"<Row>{cell}</Row>"
        if where == "Cell"
        else '<Row ss:Index="99999999"><Cell><Data ss:Type="Number">1</Data></Cell></Row>'
    )
    assert "ss:Index=99999999" in unreadable(book(tmp_path, table))


def test_data_far_down_the_sheet_is_over_the_limit(tmp_path):
    table = '<Row ss:Index="1000000"><Cell><Data ss:Type="Number">1</Data></Cell></Row>'
    assert "超过 200000 行" in unreadable(book(tmp_path, table))


def test_a_million_empty_rows_are_read_past(tmp_path):
    path = tmp_path / "rows.xls"
    with path.open("w", encoding="utf-8") as f:
        f.write(f'{HEAD}<Worksheet ss:Name="a"><Table><Row><Cell><Data ss:Type="String">项目名称</Data></Cell></Row>')
        f.write("<Row/>" * 1_000_000)
        f.write("</Table></Worksheet></Workbook>")
    start = time.monotonic()
    sheet = sheet_of(path)
    assert time.monotonic() - start < 30  # about two seconds here; the empty rows are not kept
    assert sheet.rows == [["项目名称"]]


def test_malformed_xml_is_a_damaged_file(tmp_path):
    path = tmp_path / "half.xls"
    path.write_text(platform_form()[:2000], "utf-8")  # cut off, as a download that did not finish
    assert "已损坏或不完整" in unreadable(path)


def test_no_sheet_at_all(tmp_path):
    path = tmp_path / "empty.xls"
    path.write_text(f"{HEAD}{STYLES}</Workbook>", "utf-8")
    assert "没有工作表" in unreadable(path)


def test_a_folder_gives_its_xml_workbooks_and_passes_over_other_xml(tmp_path):
    from xlsx_eval.batch.inputs import expand_inputs

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "导出.xml").write_text(platform_form(), "utf-8")
    (inbox / "配置.xml").write_text('<?xml version="1.0"?><config><a>1</a></config>', "utf-8")
    found = expand_inputs([str(inbox)])
    assert found.paths == [inbox / "导出.xml"]
    assert found.skipped == [(inbox / "配置.xml", "XML 文件，但不是 XML 表格")]


def test_the_copy_prints_as_the_form_was_set_to_print(tmp_path):
    options = (
        '<WorksheetOptions xmlns="urn:schemas-microsoft-com:office:excel"><PageSetup>'
        '<Layout x:Orientation="Landscape" x:CenterHorizontal="1"/>'
        '<PageMargins x:Bottom="0.5" x:Left="0.4" x:Right="0.4" x:Top="0.6"/></PageSetup>'
        "<FitToPage/><Print><FitHeight>0</FitHeight><PaperSizeIndex>9</PaperSizeIndex></Print></WorksheetOptions>"
    )
    path = tmp_path / "值班视频.xls"
    path.write_text(platform_form().replace("</Table></Worksheet>", f"</Table>{options}</Worksheet>"), "utf-8")
    [r] = convert(path, tmp_path / "out")
    ws = openpyxl.load_workbook(r.output)["项目支出绩效自评表"]
    # landscape A4 (paper 9), one page wide and as many high as it takes (FitHeight 0), centred across the page
    assert (ws.page_setup.orientation, ws.page_setup.paperSize) == ("landscape", 9)
    fit = ws.sheet_properties.pageSetUpPr.fitToPage, ws.page_setup.fitToWidth or 1, ws.page_setup.fitToHeight
    assert fit == (True, 1, 0)  # a width of 1 is the file's default, left unwritten
    assert ws.print_options.horizontalCentered
    margins = ws.page_margins
    assert (margins.left, margins.right, margins.top, margins.bottom) == (0.4, 0.4, 0.6, 0.5)
