"""The SpreadsheetML 2003 reader and its R1C1 evaluator, cell by cell: placement, types, styles and looks, the
platform's formulas, and hostile files (entities, huge indexes, a million rows, long formula chains).

Every workbook is hand-written text; each expected value is worked out by hand in the comment beside it.
"""

import datetime as dt
import time

import pytest

from xlsx_eval.errors import UnreadableWorkbook
from xlsx_eval.read import r1c1
from xlsx_eval.read.sniff import Limits
from xlsx_eval.read.spreadsheetml import is_spreadsheetml, read_spreadsheetml

ROOT = (
    '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
    'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">'
)
HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<?mso-application progid="Excel.Sheet"?>\n' + ROOT


def write(tmp_path, table, styles="", table_attrs="", name="a.xls"):
    path = tmp_path / name
    path.write_text(
        f'{HEAD}{styles}<Worksheet ss:Name="表1"><Table{table_attrs}>{table}</Table></Worksheet></Workbook>', "utf-8"
    )
    return path


def sheet_of(tmp_path, table, **kw):
    [sheet] = read_spreadsheetml(write(tmp_path, table, **kw)).sheets
    return sheet


def at(sheet, ref):
    """The value of an A1 cell, None past a short row (rows need not be padded)."""
    col = ord(ref[0]) - 65
    row = int(ref[1:]) - 1
    return sheet.rows[row][col] if row < len(sheet.rows) and col < len(sheet.rows[row]) else None


def num(v):
    return f'<Cell><Data ss:Type="Number">{v}</Data></Cell>'


def text(v):
    return f'<Cell><Data ss:Type="String">{v}</Data></Cell>'


def formula(f, placeholder=""):
    return f'<Cell ss:Formula="{f}">{placeholder}</Cell>'


def refused(path, limits=None):
    with pytest.raises(UnreadableWorkbook) as caught:
        read_spreadsheetml(path, limits)
    message = str(caught.value)
    assert "\n" not in message and "另存" in message  # one line, saying what to do
    return message


# ------------------------------------------------------------------------------------------------ placement


def test_placement_by_index_merge_across_and_merge_down(tmp_path):
    table = (
        '<Row><Cell ss:MergeAcross="2"><Data ss:Type="String">标题</Data></Cell>' + num(1) + "</Row>"
        '<Row ss:Index="3"><Cell ss:Index="2" ss:MergeAcross="1" ss:MergeDown="2"><Data ss:Type="String">类</Data>'
        "</Cell>" + text("x") + "</Row>"
        "<Row>" + text("左") + '<Cell ss:Index="4"><Data ss:Type="String">右</Data></Cell></Row>'
        "<Row>" + text("p") + text("q") + "</Row>"
    )
    sheet = sheet_of(tmp_path, table)
    # row 1: A1 spans A1:C1, so the next cell without an index is D1
    assert at(sheet, "A1") == "标题" and at(sheet, "D1") == 1.0 and at(sheet, "B1") is None
    # row 2 skipped by ss:Index="3"; B3 spans B3:C5, so "x" (no index) follows at D3
    assert sheet.rows[1] in ([], [None] * len(sheet.rows[1])) and at(sheet, "B3") == "类" and at(sheet, "D3") == "x"
    # row 4: the writer skips the merged B4:C4 with ss:Index="4"
    assert at(sheet, "A4") == "左" and at(sheet, "D4") == "右"
    # row 5: Excel's rule, a cell without index follows the previous one, merged-down positions are not skipped
    assert at(sheet, "A5") == "p" and at(sheet, "B5") == "q"
    # merges as 0-based (first_row, first_col, last_row, last_col): A1:C1 and B3:C5
    assert sorted(sheet.merges) == [(0, 0, 0, 2), (2, 1, 4, 2)]


def test_prefixed_elements_and_unprefixed_attributes(tmp_path):
    table = '<ss:Row><ss:Cell ss:Index="2"><ss:Data ss:Type="Number">3</ss:Data></ss:Cell></ss:Row>'
    table += '<Row Index="3"><Cell Index="3"><Data Type="Number">4</Data></Cell></Row>'
    sheet = sheet_of(tmp_path, table)
    assert at(sheet, "B1") == 3.0  # ss:Index="2" on the cell
    assert at(sheet, "C3") == 4.0  # Index="3" without the prefix, on the row and on the cell


# ---------------------------------------------------------------------------------------------------- values


def test_typed_data_rich_text_and_comments(tmp_path):
    rich = (
        '<Cell><ss:Data ss:Type="String" xmlns="http://www.w3.org/TR/REC-html40"><B>加粗</B>'
        '<Font Color="#FF0000">红字</Font>尾</ss:Data>'
        '<Comment ss:Author="审核"><ss:Data xmlns="http://www.w3.org/TR/REC-html40"><B>批注</B></ss:Data></Comment></Cell>'
    )
    table = (
        "<Row>"
        + num(35)
        + num("-1.5E-3")
        + '<Cell><Data ss:Type="DateTime">2024-03-31T00:00:00.000</Data></Cell>'
        + '<Cell><Data ss:Type="Boolean">1</Data></Cell>'
        + '<Cell><Data ss:Type="Error">#N/A</Data></Cell>'
        + text("项目名称")
        + rich
        + "</Row>"
    )
    sheet = sheet_of(tmp_path, table)
    a1 = at(sheet, "A1")
    assert a1 == 35.0 and type(a1) is float  # an integral Number comes out as a float, always
    assert at(sheet, "B1") == -0.0015  # -1.5 × 10⁻³
    assert at(sheet, "C1") == dt.datetime(2024, 3, 31)
    assert at(sheet, "D1") is True
    assert at(sheet, "E1") is None and sheet.suspect == {"E1": "#N/A"}  # an error value is no value
    assert at(sheet, "F1") == "项目名称"
    assert at(sheet, "G1") == "加粗红字尾"  # all the rich text, and not the comment's 批注


def test_a_number_that_is_not_finite_stays_text(tmp_path):
    sheet = sheet_of(tmp_path, "<Row>" + num("NaN") + num("inf") + "</Row>")
    assert (at(sheet, "A1"), at(sheet, "B1")) == ("NaN", "inf")  # not float("nan") / float("inf")


# ---------------------------------------------------------------------------------------------------- looks

STYLES = """<Styles>
 <Style ss:ID="Default" ss:Name="Normal"><Alignment ss:Vertical="Center"/><Font ss:FontName="宋体" ss:Size="11"/></Style>
 <Style ss:ID="base"><Alignment ss:Horizontal="Center" ss:WrapText="1"/><Font ss:Bold="1" ss:Color="#ff0000"/>
  <Borders><Border ss:Position="Left" ss:LineStyle="Continuous" ss:Weight="1"/>
   <Border ss:Position="Bottom" ss:LineStyle="Double" ss:Weight="3"/></Borders>
  <Interior ss:Color="#FFFF00" ss:Pattern="Solid"/></Style>
 <Style ss:ID="child" ss:Parent="base"><Font ss:Bold="0" ss:Italic="1" ss:Size="14"/><NumberFormat ss:Format="0.00%"/></Style>
 <Style ss:ID="named"><NumberFormat ss:Format="Percent"/></Style>
 <Style ss:ID="quoted"><NumberFormat ss:Format="0&quot;%&quot;"/></Style>
 <Style ss:ID="plain"><NumberFormat ss:Format="0.00"/></Style>
</Styles>"""


def test_styles_resolve_their_parents_down_to_default(tmp_path):
    book = read_spreadsheetml(write(tmp_path, "<Row>" + num(1) + "</Row>", styles=STYLES))
    base, child = book.styles["base"], book.styles["child"]
    # base has no ss:Parent: Default under it (宋体 11, vertical Center), its own bold red, centred, wrapped, filled
    assert (base.font_name, base.font_size, base.bold, base.color) == ("宋体", 11.0, True, "#FF0000")
    assert (base.horizontal, base.vertical, base.wrap, base.fill, base.parent) == (
        "Center",
        "Center",
        True,
        "#FFFF00",
        None,
    )
    # child over base: size 14, italic, and its Bold="0" undoes base's bold; the rest inherited
    assert (child.font_name, child.font_size, child.bold, child.italic) == ("宋体", 14.0, False, True)
    assert (child.color, child.fill, child.horizontal, child.vertical, child.wrap) == (
        "#FF0000",
        "#FFFF00",
        "Center",
        "Center",
        True,
    )
    assert child.borders == {"Left": ("Continuous", 1), "Bottom": ("Double", 3)}
    assert (child.number_format, child.parent) == ("0.00%", "base")


def test_percent_cells_are_numbers_in_a_percent_format(tmp_path):
    def styled(style, data):
        return f'<Cell ss:StyleID="{style}">{data}</Cell>'

    row = (
        styled("child", '<Data ss:Type="Number">0.94</Data>')  # A1: 0.00%  → percent
        + styled("named", '<Data ss:Type="Number">0.5</Data>')  # B1: "Percent" → percent
        + styled("quoted", '<Data ss:Type="Number">5</Data>')  # C1: 0"%" is a literal sign → not
        + styled("plain", '<Data ss:Type="Number">1</Data>')  # D1: 0.00 → not
        + styled("child", '<Data ss:Type="String">94%</Data>')  # E1: text → not
        + '<Cell ss:StyleID="child" ss:Formula="=RC[-5]"><Data ss:Type="Number">0</Data></Cell>'  # F1 = A1 = 0.94
    )
    sheet = sheet_of(tmp_path, f"<Row>{row}</Row>", styles=STYLES)
    assert sheet.percent_cells == {"A1", "B1", "F1"}
    assert sheet.styles[(0, 0)] == "child" and sheet.styles[(0, 2)] == "quoted"
    assert at(sheet, "F1") == 0.94


def test_widths_with_span_heights_and_hidden_rows_and_columns(tmp_path):
    table = (
        '<Column ss:Width="30"/>'  # A: 30
        '<Column ss:Index="3" ss:Span="2" ss:Width="80"/>'  # C, D, E: 80
        '<Column ss:Hidden="1" ss:Width="10"/>'  # F (after the span's last, E): 10, hidden
        '<Row ss:Height="30">' + text("a") + "</Row>"  # row 1: 30 points
        '<Row ss:Hidden="1">' + text("b") + "</Row>"  # row 2: hidden
        '<Row ss:Index="4" ss:Height="20.5">' + text("c") + "</Row>"  # row 4: 20.5 points
    )
    sheet = sheet_of(tmp_path, table, table_attrs=' ss:DefaultColumnWidth="54" ss:DefaultRowHeight="14.25"')
    assert sheet.column_widths == {0: 30.0, 2: 80.0, 3: 80.0, 4: 80.0, 5: 10.0}
    assert sheet.hidden_columns == {5}
    assert sheet.row_heights == {0: 30.0, 3: 20.5}
    assert sheet.hidden_rows == {1}
    assert (sheet.default_column_width, sheet.default_row_height) == (54.0, 14.25)


# ------------------------------------------------------------------------------------------------- formulas


def test_the_platforms_formulas_are_computed(tmp_path):
    table = (
        "<Row>"
        + num(35)  # A1 全年预算数
        + num(32.88)  # B1 全年执行数
        + num(10)  # C1 分值
        + formula("=RC[-2]/RC[-3]", '<Data ss:Type="Error">#DIV/0!</Data>')  # D1 执行率, placeholder #DIV/0!
        + formula("=IF(RC[-1]*RC[-2]&gt;10,10,RC[-1]*RC[-2])", '<Data ss:Type="Number">0</Data>')  # E1 得分
        + "</Row><Row>"
        + '<Cell ss:Index="2" ss:Formula="=R[1]C+R[2]C+R[3]C+R[4]C"><Data ss:Type="Number">0</Data></Cell>'
        + "</Row>"
        + '<Row><Cell ss:Index="2"><Data ss:Type="Number">20</Data></Cell></Row>'  # B3 其中：财政拨款
        + '<Row><Cell ss:Index="2"><Data ss:Type="Number">10</Data></Cell></Row>'  # B4
        + "<Row/>"  # B5 blank: 0
        + '<Row><Cell ss:Index="2"><Data ss:Type="Number">2.88</Data></Cell></Row>'  # B6
    )
    sheet = sheet_of(tmp_path, table)
    # 32.88 / 35 = 0.939428571428…  (35 × 0.9394 = 32.879, and 0.001 / 35 = 0.0000285714…)
    assert at(sheet, "D1") == pytest.approx(0.9394285714285714, rel=1e-12)
    # 0.939428… × 10 = 9.39428… ≤ 10, so IF gives the product
    assert at(sheet, "E1") == pytest.approx(9.394285714285714, rel=1e-12)
    # 20 + 10 + 0 + 2.88 = 32.88
    assert at(sheet, "B2") == pytest.approx(32.88, rel=1e-12)
    assert sheet.suspect == {}  # the placeholder #DIV/0! is replaced by the computed value
    assert sheet.formulas == {
        "D1": "=RC[-2]/RC[-3]",
        "E1": "=IF(RC[-1]*RC[-2]>10,10,RC[-1]*RC[-2])",
        "B2": "=R[1]C+R[2]C+R[3]C+R[4]C",
    }


def test_the_score_is_capped_by_if(tmp_path):
    # rate 1.2 × weight 10 = 12 > 10 → 10
    sheet = sheet_of(
        tmp_path, "<Row>" + num(10) + num(1.2) + formula("=IF(RC[-1]*RC[-2]&gt;10,10,RC[-1]*RC[-2])") + "</Row>"
    )
    assert at(sheet, "C1") == 10.0


def test_a_total_sums_a_range_and_one_more_cell(tmp_path):
    rows = [num(5), "<Cell/>"] + [num(n) if n != 5 else text("说明") for n in range(1, 10)]  # A1=5, A2 blank, A3..A11
    table = "".join(f"<Row>{cell}</Row>" for cell in rows) + "<Row>" + formula("=SUM(R[-9]C:R[-1]C)+R[-11]C") + "</Row>"
    sheet = sheet_of(tmp_path, table)
    # A12: SUM(A3:A11) = 1+2+3+4+6+7+8+9 = 40 (the text 说明 in place of 5 is passed over), + A1 (5) = 45
    assert at(sheet, "A12") == 45.0


def test_chains_cycles_errors_and_what_is_not_supported(tmp_path):
    table = (
        "<Row>"
        + formula("=R[1]C*2")  # A1 = A2 × 2
        + formula("=R[1]C")  # B1 = B2, B2 = B1: a cycle
        + formula("=1/RC[1]")  # C1: D1 is blank → #DIV/0!
        + "</Row><Row>"
        + formula("=R[1]C+1")  # A2 = A3 + 1
        + formula("=R[-1]C")  # B2
        + formula("=VLOOKUP(1,R1C1:R2C2,2,0)")  # C2: a function outside the subset
        + "</Row><Row>"
        + num(4)  # A3
        + formula("=RC")  # B3: itself
        + formula("=Sheet2!R1C1")  # C3: another sheet
        + "</Row><Row>"
        + "<Cell/>"
        + formula("=R[-3]C+1")  # B4: from the cycle
        + formula("=RC[1]+1")  # C4: D4 is text → #VALUE!
        + text("无")
        + "</Row><Row>"
        + '<Cell ss:Index="3" ss:Formula="=RC[1]+1"/>'  # C5: D5 is the text "35", converted → 36
        + text("35")
        + "</Row><Row>"
        + '<Cell ss:Index="3" ss:Formula="=R[-5]C*2"/>'  # C6: C1's error passes through
        + "</Row>"
    )
    sheet = sheet_of(tmp_path, table)
    assert (at(sheet, "A2"), at(sheet, "A1")) == (5.0, 10.0)  # A2 = 4 + 1 = 5, A1 = 5 × 2 = 10
    assert at(sheet, "C5") == 36.0
    assert sheet.suspect == {
        "B1": "",
        "B2": "",
        "B3": "",
        "B4": "",
        "C1": "#DIV/0!",
        "C2": "",
        "C3": "",
        "C4": "#VALUE!",
        "C6": "#DIV/0!",
    }
    assert all(at(sheet, ref) is None for ref in sheet.suspect)


def test_a_long_chain_of_formulas_is_computed_to_its_end(tmp_path):
    # A1 = A2 + 1, …, A5000 = A5001 + 1, A5001 = 1: A(k) = 5002 − k, so A1 = 5001 (deeper than Python's recursion)
    table = "<Row>" + formula("=R[1]C+1") + "</Row>"
    table = table * 5000 + "<Row>" + num(1) + "</Row>"
    start = time.monotonic()
    sheet = sheet_of(tmp_path, table)
    assert time.monotonic() - start < 10  # a generous guard: well under a second here
    assert at(sheet, "A1") == 5001.0 and at(sheet, "A5000") == 2.0 and sheet.suspect == {}


def test_formulas_reading_too_many_cells_stop_in_time(tmp_path):
    # 3,000 rows each summing A1:A3000 (3,000 ones = 3000) would read 9,000,000 cells: past the budget the rest
    # are said not computed, instead of a worker busy for minutes
    table = ("<Row>" + num(1) + formula("=SUM(R1C1:R3000C1)") + "</Row>") * 3000
    start = time.monotonic()
    sheet = sheet_of(tmp_path, table)
    assert time.monotonic() - start < 20
    assert at(sheet, "B1") == 3000.0
    assert all(at(sheet, f"B{r}") == 3000.0 or sheet.suspect.get(f"B{r}") == "" for r in range(1, 3001))


# ---------------------------------------------------------------------------------------------------- r1c1

#: the cells the formulas below read: A1 = 1, B1 = 2, A2 = "x", A3 blank, A4 = TRUE, A5 = 2, D3 = 7, A6 = "35", A7 = "无"
CELLS = {(0, 0): 1.0, (0, 1): 2.0, (1, 0): "x", (3, 0): True, (4, 0): 2.0, (2, 3): 7.0, (5, 0): "35", (6, 0): "无"}


def ev(text, row=2, col=2):  # from C3
    return r1c1.evaluate(text, row, col, lambda r, c: CELLS.get((r, c)))


@pytest.mark.parametrize(
    "text, value",
    [
        ("=1+2*3", 7.0),  # * before +
        ("=(1+2)*3", 9.0),
        ("=10/4", 2.5),
        ("=-3+5", 2.0),  # the sign binds to 3
        ("=50%", 0.5),
        ("=1+2>2", True),  # 3 > 2: comparisons bind loosest
        ("=R1C1", 1.0),  # absolute: A1
        ("=RC[1]", 7.0),  # relative from C3: D3
        ("=R[-2]C[-1]", 2.0),  # C3 up 2, left 1: B1
        ("=R1C[-1]", 2.0),  # mixed: row 1, one column left of C: B1
        ("=R[-2]C1", 1.0),  # mixed: two rows up, column 1: A1
        ("=R9C9+1", 1.0),  # a blank cell is 0
        ("=R6C1+1", 36.0),  # the text "35" converts
        ("=SUM(R1C1:R5C1)", 3.0),  # 1 + 2: the text, the blank and TRUE in a range are passed over
        ("=sum(1,2,R1C1)", 4.0),  # function names in any case; 1 + 2 + A1
        ("=IF(1>2,5)", False),  # IF without its third argument
        ("=IF(2>1,5)", 5.0),
        ("=MIN(R1C1:R5C1)", 1.0),
        ("=MAX(R1C1:R5C1)", 2.0),
        ("=ABS(-3)", 3.0),
        ("=ROUND(2.5,0)", 3.0),  # half away from zero
        ("=ROUND(-2.5,0)", -3.0),
        ("=ROUND(2.675,2)", 2.68),  # Excel's 2.68, where Python's round(2.675, 2) is 2.67
        ("=ROUND(1234,-2)", 1200.0),
        ("=ROUND(1E+30,2)", 1e30),  # a number wider than Decimal's default precision
    ],
)
def test_r1c1_values(text, value):
    assert ev(text) == value


@pytest.mark.parametrize(
    "text, error",
    [
        ("=1/0", "#DIV/0!"),
        ("=R7C1+1", "#VALUE!"),  # 无 in arithmetic
        ("=1E+308*10", "#NUM!"),  # past the largest float
        ("=ROUND(1,1E+400)", "#NUM!"),  # 1E+400 reads as infinity
    ],
)
def test_r1c1_errors_are_values(text, error):
    result = ev(text)
    assert isinstance(result, r1c1.FormulaError) and result == error


@pytest.mark.parametrize("text", ["=-2^", "=2^3", "=1&2", "=VLOOKUP(1,R1C1:R2C2,2)", "=Sheet2!R1C1", "=R1C1:R2C2"])
def test_r1c1_outside_the_subset(text):
    with pytest.raises(r1c1.Unsupported):
        ev(text)


# ------------------------------------------------------------------------------------------------- hostile

ONE_CELL = '<Worksheet ss:Name="a"><Table><Row><Cell><Data ss:Type="String">{}</Data></Cell></Row></Table></Worksheet>'


def test_billion_laughs_is_refused_quickly(tmp_path):
    laughs = '<!ENTITY l0 "lol">' + "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    path = tmp_path / "bomb.xls"
    path.write_text(f'<?xml version="1.0"?><!DOCTYPE Workbook [{laughs}]>{ROOT}{ONE_CELL.format("&l9;")}</Workbook>')
    start = time.monotonic()
    assert "DTD" in refused(path)
    assert time.monotonic() - start < 10


@pytest.mark.parametrize("padding", [0, 70_000])  # also past the first 64 KB the prolog scan looks at
def test_an_external_entity_is_refused_and_never_read(tmp_path, padding):
    comment = f"<!--{'x' * padding}-->" if padding else ""
    path = tmp_path / "external.xls"
    declared = '<!DOCTYPE Workbook [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    path.write_text(f'<?xml version="1.0"?>{comment}{declared}{ROOT}{ONE_CELL.format("&e;")}</Workbook>')
    message = refused(path)
    assert "DTD" in message and "root:" not in message


@pytest.mark.parametrize(
    "table",
    [
        '<Row><Cell ss:Index="99999999"><Data ss:Type="Number">1</Data></Cell></Row>',  # past 16,384 columns
        '<Row ss:Index="99999999"><Cell><Data ss:Type="Number">1</Data></Cell></Row>',  # past 1,048,576 rows
        '<Row ss:Index="3"/><Row ss:Index="2"/>',  # a row index going back
        "<Row>" + num(1) + '<Cell ss:Index="1"><Data ss:Type="Number">2</Data></Cell></Row>',  # a cell going back
        '<Row><Cell ss:Index="inf"><Data ss:Type="Number">1</Data></Cell></Row>',  # not a number at all
        '<Row><Cell ss:MergeAcross="inf"><Data ss:Type="Number">1</Data></Cell></Row>',
        '<Row ss:Index="5" ss:Span="-4">' + text("a") + "</Row><Row>" + text("b") + "</Row>",  # a span back
    ],
)
def test_impossible_positions_are_a_damaged_file(tmp_path, table):
    start = time.monotonic()
    assert "已损坏" in refused(write(tmp_path, table))
    assert time.monotonic() - start < 10


def test_a_far_empty_row_and_a_million_empty_rows_are_read_past(tmp_path):
    path = tmp_path / "rows.xls"
    with path.open("w", encoding="utf-8") as f:  # about 6 MB
        f.write(f'{HEAD}<Worksheet ss:Name="a"><Table><Row><Cell><Data ss:Type="String">项目</Data></Cell></Row>')
        f.write("<Row/>" * 1_000_000)
        f.write('<Row ss:Index="1048576"/></Table></Worksheet></Workbook>')
    start = time.monotonic()
    [sheet] = read_spreadsheetml(path).sheets
    assert time.monotonic() - start < 30  # 2–5 s on a shared machine: a guard against minutes, not a benchmark
    assert sheet.rows == [["项目"]]  # the trailing empty rows are dropped


def test_over_the_limits(tmp_path):
    path = write(tmp_path, "<Row>" + num(1) + num(2) + "</Row><Row>" + num(3) + num(4) + "</Row>")
    assert "上限" in refused(path, Limits(max_file_bytes=100))  # the file is some 300 bytes
    assert "上限" in refused(path, Limits(max_cells=3))  # four cells
    assert "上限" in refused(path, Limits(max_rows=1))  # two rows


def test_malformed_xml_and_no_sheet(tmp_path):
    cut = tmp_path / "cut.xls"
    cut.write_text(f'{HEAD}<Worksheet ss:Name="a"><Table><Row><Cell><Data ss:Type="Number">1', "utf-8")
    assert "已损坏" in refused(cut)
    empty = tmp_path / "empty.xls"
    empty.write_text(f"{HEAD}</Workbook>", "utf-8")
    assert "没有工作表" in refused(empty)


def test_a_long_chain_of_parent_styles(tmp_path):
    # s0's parent is s1, …, s2999's is s3000: resolved without recursion; every one bold from its own Font
    chain = "".join(f'<Style ss:ID="s{i}" ss:Parent="s{i + 1}"><Font ss:Bold="1"/></Style>' for i in range(3000))
    book = read_spreadsheetml(
        write(tmp_path, "<Row>" + num(1) + "</Row>", styles=f'<Styles>{chain}<Style ss:ID="s3000"/></Styles>')
    )
    assert book.styles["s0"].bold and book.styles["s0"].parent == "s1" and not book.styles["s3000"].bold


# ------------------------------------------------------------------------------------------------- sniffing


@pytest.mark.parametrize(
    "head, expected",
    [
        (HEAD.encode(), True),
        (b"\xef\xbb\xbf" + HEAD.encode(), True),  # UTF-8 with its mark
        (HEAD.replace("UTF-8", "UTF-16").encode("utf-16"), True),  # UTF-16 with its mark (little-endian here)
        ("\ufeff".encode("utf-16-be") + HEAD.encode("utf-16-be"), True),  # big-endian
        (b'<!-- exported --><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">', True),
        (b'<ss:Workbook xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">', True),
        (b"PK\x03\x04\x14\x00\x06\x00", False),  # an .xlsx
        (b"<html><head><meta charset='utf-8'></head><table><tr><td>1</td></tr></table></html>", False),
        (
            b'<?xml version="1.0"?><office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0">',
            False,
        ),
        (b"", False),
        (b"\xff\xfe\x00", False),  # a mark and half a character
    ],
)
def test_is_spreadsheetml(head, expected):
    assert is_spreadsheetml(head[:4096]) is expected
