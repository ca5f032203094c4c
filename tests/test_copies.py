"""Issue 12, item 16: the .xlsx copy of an .xls or .ods looks and prints like the unit's own form.

The inputs are built here, independently of xlsx_eval: the .xls with xlwt, the .ods by hand with zipfile so that
its styles are exactly the ones LibreOffice writes. Expected values are worked out by hand in the comments.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import time
import zipfile
from xml.sax.saxutils import escape

import openpyxl
import pytest
from conftest import INDICATOR_HEADER, INFO, SEED_INDICATORS, SEED_PAYMENTS, soffice

from xlsx_eval import convert

ONE_PIXEL = 1 / 7  # of a column width in characters (xlsxwriter sizes columns in whole pixels of a 7-pixel digit)


# .xls ---------------------------------------------------------------------------------------------------------


def write_xls(path):
    """The seed workbook as a unit formats it: bold headers, a wide 摘要 column, dates, amounts, a percent,
    and a cover sheet with a merged, filled, bordered title on a tall row."""
    xlwt = pytest.importorskip("xlwt")
    book = xlwt.Workbook(encoding="utf-8")
    header = xlwt.easyxf("font: bold on, name 宋体, height 240; align: horiz center")
    date = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    money = xlwt.easyxf("borders: left thin, right thin, top thin, bottom thin", num_format_str="#,##0.00")
    ws = book.add_sheet("项目信息")
    for c, text in enumerate(["字段", "内容"]):
        ws.write(0, c, text, header)
    for r, (label, value) in enumerate(INFO.items(), start=1):
        ws.write(r, 0, label)
        ws.write(r, 1, value)
    ws = book.add_sheet("绩效指标")
    for c, text in enumerate(INDICATOR_HEADER):
        ws.write(0, c, text, header)
    for r, row in enumerate(SEED_INDICATORS, start=1):
        for c, value in enumerate(row):
            if value is not None:
                ws.write(r, c, value)
    ws = book.add_sheet("支出明细")
    for c, text in enumerate(["日期", "摘要", "金额", "支出类别"]):
        ws.write(0, c, text, header)
    for r, (day, text, amount) in enumerate(SEED_PAYMENTS, start=1):
        ws.write(r, 0, dt.datetime.combine(day, dt.time()), date)
        ws.write(r, 1, text)
        ws.write(r, 2, amount, money)
    ws.col(1).width = 10000  # 10000 / 256 = 39.06 characters
    ws.col(0).width = 3000  # 11.72: "2020-01-30" fits; at the default 8.43 it showed ###
    ws = book.add_sheet("封面")
    title = xlwt.easyxf(
        "font: bold on, italic on, height 320, name 黑体, colour red;"
        "align: horiz center, vert center, wrap on;"
        "pattern: pattern solid, fore_colour light_yellow;"
        "borders: left medium, right medium, top medium, bottom medium"
    )
    ws.write_merge(0, 1, 0, 3, "长安区委办公室2020年度项目支出绩效自评表", title)  # A1:D2
    ws.row(0).height_mismatch = True
    ws.row(0).height = 600  # twips: 30 points
    ws.write(3, 0, "执行率")
    ws.write(3, 1, 0.9394, xlwt.easyxf(num_format_str="0.00%"))
    ws.write(4, 0, "编号")
    ws.write(4, 1, "0012", xlwt.easyxf(num_format_str="@"))  # text that looks like a number stays text
    ws.write(5, 0, "金额（元）")
    ws.write(5, 1, -1234.5, xlwt.easyxf(num_format_str="#,##0.00;[Red]-#,##0.00"))
    ws.write(7, 3, None, xlwt.easyxf("borders: bottom thin"))  # an empty cell with a border (a line to sign on)
    ws.col(1).width = 5000  # 19.53 characters
    ws.col(5).hidden = True
    book.save(str(path))
    return path


@pytest.fixture
def xls_copy(tmp_path):
    [r] = convert(write_xls(tmp_path / "格式.xls"), tmp_path / "out")
    assert r.output.name == "格式.scored.xlsx" and r.total == 99.4
    return r.output


def test_an_xls_is_opened_once_a_convert(tmp_path, monkeypatch):
    # sniff (the cells shown as percentages) and the copy (its looks) both need xlrd's formats: one parse serves both
    import xlrd

    from xlsx_eval import pipeline
    from xlsx_eval.read import xls_book
    from xlsx_eval.score.rules_file import national

    opened = []
    real = xlrd.open_workbook
    monkeypatch.setattr(xlrd, "open_workbook", lambda name, **kw: opened.append(name) or real(name, **kw))
    xls_book._open.cache_clear()
    src = write_xls(tmp_path / "格式.xls")
    [(_, result)] = pipeline._convert(src, national(), tmp_path, "格式")
    assert result.total == 99.4 and result.output.name == "格式.scored.xlsx"
    assert opened == [str(src.resolve())]


def test_xls_copy_keeps_number_formats_and_values(xls_copy):
    out = openpyxl.load_workbook(xls_copy)
    ledger = out["支出明细"]
    assert ledger["A2"].value == dt.datetime(2020, 1, 30) and ledger["A2"].number_format == "YYYY-MM-DD"
    assert ledger["C2"].value == 14.3 and ledger["C2"].number_format == "#,##0.00"
    cover = out["封面"]
    assert cover["B4"].value == 0.9394 and cover["B4"].number_format == "0.00%"
    assert cover["B5"].value == "0012" and cover["B5"].data_type == "s" and cover["B5"].number_format == "@"
    assert cover["B6"].value == -1234.5 and cover["B6"].number_format == "#,##0.00;[Red]-#,##0.00"
    assert cover["A4"].number_format == "General"


def test_xls_copy_keeps_widths_heights_merges_and_hidden_columns(xls_copy):
    out = openpyxl.load_workbook(xls_copy)
    ledger, cover = out["支出明细"], out["封面"]
    assert abs(ledger.column_dimensions["B"].width - 10000 / 256) <= ONE_PIXEL
    assert abs(ledger.column_dimensions["A"].width - 3000 / 256) <= ONE_PIXEL
    assert abs(cover.column_dimensions["B"].width - 5000 / 256) <= ONE_PIXEL
    assert cover.column_dimensions["F"].hidden
    assert [str(r) for r in cover.merged_cells.ranges] == ["A1:D2"]
    assert cover.row_dimensions[1].height == 30  # 600 twips / 20
    assert cover.row_dimensions[4].height is None  # a row of the default height is left to the application


def test_xls_copy_keeps_fonts_fills_borders_and_alignment(xls_copy):
    out = openpyxl.load_workbook(xls_copy)
    head = out["支出明细"]["A1"]
    assert head.font.b and head.font.name == "宋体" and head.font.sz == 12 and head.alignment.horizontal == "center"
    plain = out["支出明细"]["B2"]
    assert not plain.font.b and plain.font.name == "Arial" and plain.font.sz == 10  # xlwt's default font
    title = out["封面"]["A1"]
    assert title.value == "长安区委办公室2020年度项目支出绩效自评表"
    assert (title.font.b, title.font.i, title.font.sz, title.font.name) == (True, True, 16, "黑体")
    assert title.font.color.rgb == "FFFF0000"
    assert (title.alignment.horizontal, title.alignment.vertical, title.alignment.wrap_text) == (
        "center",
        "center",
        True,
    )
    assert title.fill.fill_type == "solid" and title.fill.fgColor.rgb == "FFFFFF99"  # BIFF palette 43, light yellow
    assert title.border.left.style == "medium" and out["封面"]["D2"].border.right.style == "medium"
    money = out["支出明细"]["C2"]
    assert [money.border.left.style, money.border.bottom.style] == ["thin", "thin"]
    assert out["封面"]["D8"].border.bottom.style == "thin" and out["封面"]["D8"].value is None


# .ods ---------------------------------------------------------------------------------------------------------

_ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0" '
    'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
    'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" office:version="1.3"'
)

# as LibreOffice 7 writes them: 5 cm and 1.5 cm columns, a 1 cm row, a bold red 14 pt title, dates, amounts,
# percentages and yuan with a red negative section
_ODS_STYLES = """
<style:style style:name="co1" style:family="table-column"><style:table-column-properties style:column-width="5cm"/></style:style>
<style:style style:name="co2" style:family="table-column"><style:table-column-properties style:column-width="2.258cm"/></style:style>
<style:style style:name="ro1" style:family="table-row"><style:table-row-properties style:row-height="1cm"
  style:use-optimal-row-height="false"/></style:style>
<style:style style:name="ro2" style:family="table-row"><style:table-row-properties style:row-height="0.452cm"
  style:use-optimal-row-height="true"/></style:style>
<number:date-style style:name="N37"><number:year number:style="long"/><number:text>-</number:text>
  <number:month number:style="long"/><number:text>-</number:text><number:day number:style="long"/></number:date-style>
<number:date-style style:name="N38"><number:year number:style="long"/><number:text>年</number:text>
  <number:month/><number:text>月</number:text><number:day/><number:text>日</number:text></number:date-style>
<number:number-style style:name="N4"><number:number number:decimal-places="2" number:min-decimal-places="2"
  number:min-integer-digits="1" number:grouping="true"/></number:number-style>
<number:percentage-style style:name="N11"><number:number number:decimal-places="1" number:min-decimal-places="1"
  number:min-integer-digits="1"/><number:text>%</number:text></number:percentage-style>
<number:currency-style style:name="N110P0" style:volatile="true"><number:currency-symbol number:language="zh"
  number:country="CN">¥</number:currency-symbol><number:number number:decimal-places="2" number:min-decimal-places="2"
  number:min-integer-digits="1" number:grouping="true"/></number:currency-style>
<number:currency-style style:name="N110"><style:text-properties fo:color="#ff0000"/><number:text>-</number:text>
  <number:currency-symbol number:language="zh" number:country="CN">¥</number:currency-symbol><number:number
  number:decimal-places="2" number:min-decimal-places="2" number:min-integer-digits="1" number:grouping="true"/>
  <style:map style:condition="value()&gt;=0" style:apply-style-name="N110P0"/></number:currency-style>
<style:style style:name="ce1" style:family="table-cell" style:parent-style-name="Default">
  <style:table-cell-properties fo:background-color="#ffff00" fo:border="1.76pt solid #000000"
    style:text-align-source="fix" style:repeat-content="false" fo:wrap-option="wrap" style:vertical-align="middle"/>
  <style:paragraph-properties fo:text-align="center"/>
  <style:text-properties fo:color="#c9211e" style:font-name="黑体" fo:font-size="14pt" fo:font-weight="bold"
    style:font-name-asian="黑体" style:font-size-asian="14pt" style:font-weight-asian="bold" fo:font-style="italic"
    style:font-style-asian="italic"/></style:style>
<style:style style:name="ce2" style:family="table-cell" style:parent-style-name="Default" style:data-style-name="N37"/>
<style:style style:name="ce3" style:family="table-cell" style:parent-style-name="Default" style:data-style-name="N4">
  <style:table-cell-properties fo:border-bottom="0.74pt solid #000000" fo:border-left="none" fo:border-right="none"
    fo:border-top="none"/></style:style>
<style:style style:name="ce4" style:family="table-cell" style:parent-style-name="Default" style:data-style-name="N11"/>
<style:style style:name="ce5" style:family="table-cell" style:parent-style-name="Default" style:data-style-name="N110"/>
<style:style style:name="ce6" style:family="table-cell" style:parent-style-name="Default" style:data-style-name="N38"/>
<style:style style:name="ce7" style:family="table-cell" style:parent-style-name="Heading"/>
<style:style style:name="ce8" style:family="table-cell" style:parent-style-name="Default">
  <style:text-properties fo:font-weight="bold"/></style:style>
"""

_ODS_COMMON_STYLES = """<office:document-styles {ns}>
<office:font-face-decls><style:font-face style:name="Liberation Sans" svg:font-family="&apos;Liberation Sans&apos;"/>
<style:font-face style:name="黑体" svg:font-family="SimHei"/></office:font-face-decls>
<office:styles>
<style:default-style style:family="table-cell"><style:text-properties style:font-name="Liberation Sans"
  fo:font-size="10pt"/></style:default-style>
<style:style style:name="Default" style:family="table-cell"/>
<style:style style:name="Heading" style:family="table-cell" style:parent-style-name="Default">
  <style:text-properties fo:font-size="24pt" fo:font-weight="bold" style:font-size-asian="24pt"
    style:font-weight-asian="bold"/></style:style>
</office:styles></office:document-styles>"""


def _ods_cell(value, style=None, span=None) -> str:
    attrs = f' table:style-name="{style}"' if style else ""
    if span:
        attrs += f' table:number-columns-spanned="{span[1]}" table:number-rows-spanned="{span[0]}"'
    if value is None:
        return f"<table:table-cell{attrs}/>"
    if isinstance(value, str):
        return (
            f'<table:table-cell{attrs} office:value-type="string"><text:p>{escape(value)}</text:p></table:table-cell>'
        )
    if isinstance(value, dt.date):
        return (
            f'<table:table-cell{attrs} office:value-type="date" office:date-value="{value.isoformat()}">'
            f"<text:p>{value.isoformat()}</text:p></table:table-cell>"
        )
    kind = "percentage" if style == "ce4" else "currency" if style == "ce5" else "float"
    currency = ' office:currency="CNY"' if kind == "currency" else ""
    return (
        f'<table:table-cell{attrs} office:value-type="{kind}"{currency} office:value="{value}">'
        f"<text:p>{value}</text:p></table:table-cell>"
    )


class Raw(str):
    """A cell written as it is (a covered cell)."""


def _ods_table(name, rows, columns="", row_styles=None) -> str:
    body = []
    for r, row in enumerate(rows):
        style = (row_styles or {}).get(r, "ro2")
        cells = "".join(
            c if isinstance(c, Raw) else _ods_cell(*c) if isinstance(c, tuple) else _ods_cell(c) for c in row
        )
        body.append(f'<table:table-row table:style-name="{style}">{cells}</table:table-row>')
    return f'<table:table table:name="{escape(name)}">{columns}{"".join(body)}</table:table>'


def write_ods(path):
    """The seed workbook as LibreOffice saves a formatted one."""
    info = [["字段", "内容"], *[[label, value] for label, value in INFO.items()]]
    indicators = [INDICATOR_HEADER, *[list(row) for row in SEED_INDICATORS]]
    ledger = [
        [("日期", "ce7"), ("摘要", "ce7"), ("金额", "ce7")],
        *[[(day, "ce2"), text, (amount, "ce3")] for day, text, amount in SEED_PAYMENTS],
    ]
    cover = [
        [
            ("长安区委办公室2020年度项目支出绩效自评表", "ce1", (2, 3)),
            Raw('<table:covered-table-cell table:number-columns-repeated="2" table:style-name="ce1"/>'),
        ],
        [Raw('<table:covered-table-cell table:number-columns-repeated="3" table:style-name="ce1"/>')],
        ["执行率", (0.9394, "ce4")],
        ["结余", (-1234.5, "ce5")],
        ["日期", (dt.date(2020, 12, 31), "ce6")],
        ["编号", "0012"],
        ["签字", (None, "ce3")],
        [("合计", "ce8"), ("Total", "ce8")],
    ]
    tables = [
        _ods_table("项目信息", info),
        _ods_table("绩效指标", indicators),
        _ods_table(
            "支出明细",
            ledger,
            '<table:table-column table:style-name="co2"/>'
            '<table:table-column table:style-name="co1"/>'
            '<table:table-column table:style-name="co2" table:number-columns-repeated="1022"/>',
        ),
        _ods_table(
            "封面",
            cover,
            '<table:table-column table:style-name="co2"/>'
            '<table:table-column table:style-name="co1"/>'
            '<table:table-column table:style-name="co2"/>'
            '<table:table-column table:style-name="co2" table:visibility="collapse"/>',
            row_styles={0: "ro1"},
        ),
    ]
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content {_ODS_NS}>'
        '<office:font-face-decls><style:font-face style:name="黑体" svg:font-family="SimHei"/>'
        f"</office:font-face-decls><office:automatic-styles>{_ODS_STYLES}</office:automatic-styles>"
        f"<office:body><office:spreadsheet>{''.join(tables)}</office:spreadsheet></office:body>"
        "</office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        '<manifest:file-entry manifest:full-path="styles.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(
            zipfile.ZipInfo("mimetype", (2020, 1, 1, 0, 0, 0)), "application/vnd.oasis.opendocument.spreadsheet"
        )
        for name, data in [
            ("content.xml", content),
            ("styles.xml", _ODS_COMMON_STYLES.format(ns=_ODS_NS)),
            ("META-INF/manifest.xml", manifest),
        ]:
            zf.writestr(zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
    return path


@pytest.fixture
def ods_copy(tmp_path):
    [r] = convert(write_ods(tmp_path / "格式.ods"), tmp_path / "out")
    assert r.output.name == "格式.scored.xlsx" and r.total == 99.4, r.findings
    return r.output


def test_ods_copy_keeps_number_formats_and_values(ods_copy):
    out = openpyxl.load_workbook(ods_copy)
    ledger, cover = out["支出明细"], out["封面"]
    assert ledger["A2"].value == dt.datetime(2020, 1, 30) and ledger["A2"].number_format == "yyyy-mm-dd"
    assert ledger["C2"].value == 14.3 and ledger["C2"].number_format == "#,##0.00"
    assert cover["B3"].value == 0.9394 and cover["B3"].number_format == "0.0%"
    # the negative section is the style itself, the positive one its map: positive;negative
    assert cover["B4"].value == -1234.5 and cover["B4"].number_format == '"¥"#,##0.00;[Red]-"¥"#,##0.00'
    assert cover["B5"].value == dt.datetime(2020, 12, 31) and cover["B5"].number_format == 'yyyy"年"m"月"d"日"'
    assert cover["B6"].value == "0012" and cover["B6"].data_type == "s"


def test_ods_copy_keeps_widths_heights_merges_and_fonts(ods_copy):
    out = openpyxl.load_workbook(ods_copy)
    ledger, cover = out["支出明细"], out["封面"]
    # 5 cm = 141.73 pt = 188.98 px → 189 px of a 7-pixel digit = 27 characters
    assert abs(ledger.column_dimensions["B"].width - 5 / 2.54 * 96 / 7) <= ONE_PIXEL
    # LibreOffice's default 2.258 cm is wider than Excel's 8.43 characters: 85 px, 12.14 characters
    assert abs(ledger.column_dimensions["C"].width - 2.258 / 2.54 * 96 / 7) <= ONE_PIXEL
    assert cover.column_dimensions["D"].hidden and not cover.column_dimensions["B"].hidden
    assert [str(r) for r in cover.merged_cells.ranges] == ["A1:C2"]
    assert abs(cover.row_dimensions[1].height - 72 / 2.54) <= 0.75  # 1 cm = 28.35 pt, to a whole pixel
    assert ledger.row_dimensions[2].height is None  # an optimal height is left to the application
    title = cover["A1"]
    assert (title.font.b, title.font.i, title.font.sz, title.font.name) == (True, True, 14, "SimHei")
    assert title.font.color.rgb == "FFC9211E"
    assert title.fill.fill_type == "solid" and title.fill.fgColor.rgb == "FFFFFF00"
    assert (title.alignment.horizontal, title.alignment.vertical, title.alignment.wrap_text) == (
        "center",
        "center",
        True,
    )
    assert title.border.left.style == "medium" and cover["C2"].border.bottom.style == "medium"  # 1.76 pt
    head = ledger["A1"]  # a named style (Heading) and its parent's font
    assert head.font.b and head.font.sz == 24 and head.font.name == "Liberation Sans"
    assert ledger["C2"].border.bottom.style == "thin" and ledger["C2"].border.left.style is None
    assert ledger["B2"].font.name == "Liberation Sans" and ledger["B2"].font.sz == 10  # the file's default font
    assert cover["B7"].border.bottom.style == "thin" and cover["B7"].value is None
    # bold for western text only (fo:font-weight, no style:font-weight-asian): LibreOffice shows 合计 plain
    assert (cover["A8"].font.b, cover["B8"].font.b) == (False, True)


# both ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("write", [write_xls, write_ods], ids=["xls", "ods"])
def test_a_formatted_copy_is_the_same_bytes_each_time(tmp_path, write):
    src = write(tmp_path / f"格式.{write.__name__[-3:]}")
    first = convert(src, tmp_path / "first")[0].output.read_bytes()
    time.sleep(2.1)  # more than the two-second step of zip member times
    assert convert(src, tmp_path / "again")[0].output.read_bytes() == first


@pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdftotext") is None,
    reason="LibreOffice (soffice) or pdftotext not installed",
)
@pytest.mark.parametrize("write", [write_xls, write_ods], ids=["xls", "ods"])
def test_the_copy_prints_its_dates_and_amounts(tmp_path, write):
    scored = convert(write(tmp_path / f"格式.{write.__name__[-3:]}"), tmp_path / "out")[0].output
    soffice(scored, tmp_path / "pdf", "pdf")
    text = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "pdf" / f"{scored.stem}.pdf"), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert "###" not in text
    assert "2020-01-30" in text and "2020-10-25" in text  # the ledger's dates, in the unit's format
    assert "93.94%" in text or "93.9%" in text


def _rewrite(src, dest, part, change):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            zout.writestr(info, change(data) if info.filename == part else data)
    return dest


def test_a_sheet_styled_to_its_last_row_is_copied_to_its_content(tmp_path):
    # LibreOffice ends a table with the rest of its rows repeated, then the sheet's last row on its own; a user who
    # formatted whole columns gives them all a style. Neither is a million rows of looks in the copy.
    rest = (
        '<table:table-row table:style-name="ro1" table:number-rows-repeated="1048566">'
        '<table:table-cell table:style-name="ce3" table:number-columns-repeated="1024"/></table:table-row>'
        '<table:table-row table:style-name="ro1"><table:table-cell table:style-name="ce3" '
        'table:number-columns-repeated="1024"/></table:table-row></table:table>'
    )
    src = _rewrite(
        write_ods(tmp_path / "plain.ods"),
        tmp_path / "整列.ods",
        "content.xml",
        lambda d: d.replace(
            b'</table:table><table:table table:name="\xe5\xb0\x81',
            rest.encode() + b'<table:table table:name="\xe5\xb0\x81',
            1,
        ),
    )  # after 支出明细, before 封面
    started = time.perf_counter()
    [r] = convert(src, tmp_path / "out")
    assert time.perf_counter() - started < 10 and r.total == 99.4
    ledger = openpyxl.load_workbook(r.output)["支出明细"]
    assert ledger.max_row == 9 and ledger["C2"].number_format == "#,##0.00"
    assert max(ledger.row_dimensions, default=0) <= 9


def test_looks_that_cannot_be_read_leave_the_values(tmp_path):
    src = _rewrite(write_ods(tmp_path / "plain.ods"), tmp_path / "坏样式.ods", "styles.xml", lambda d: d[:200])
    [r] = convert(src, tmp_path / "out")
    assert r.total == 99.4
    ledger = openpyxl.load_workbook(r.output)["支出明细"]
    assert ledger["A2"].value == dt.datetime(2020, 1, 30) and ledger["A2"].number_format == "yyyy-mm-dd"
    assert ledger["B2"].font.name == "Calibri"  # the copy as it was before looks
