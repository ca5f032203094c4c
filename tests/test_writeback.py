"""The scored copy keeps the input's parts, carries the edits and opens everywhere."""

from __future__ import annotations

import os
import re
import shutil
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from conftest import soffice
from lxml import etree
from python_calamine import CalamineWorkbook

from xlsx_eval.write.writeback import CellEdit, CellFormat, ColumnChart, FrontSheet, Series, write_scored
from xlsx_eval.write.writeback.shared_formulas import _shift_formula

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS = {"m": MAIN}
FRONT = "评分结果"
PINK = "FFC7CE"


# ---------------------------------------------------------------------------------------------
# Inputs


def make_src(path: Path, ledger_rows: int = 20) -> Path:
    """A filled workbook: project info, indicators with a formula and a note, a hidden sheet,
    a ledger that is the selected tab, sheet-scoped names and a print area."""
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": ledger_rows > 1000})
    bold = wb.add_format({"bold": True, "border": 1, "num_format": "0.00", "align": "center"})
    title = wb.add_format({"bold": True, "font_size": 16})

    info = wb.add_worksheet("项目信息")
    info.merge_range("A1:D1", "项目基本信息", title)
    info.write_row("A2", ["项目名称", "值班视频系统安装经费"])
    info.write("A3", "全年预算数")
    info.write_number("B3", 35, bold)
    info.write("A4", "全年执行数")
    info.write_number("B4", 32.88)

    ind = wb.add_worksheet("绩效指标")
    ind.write_row(
        "A1",
        [
            "一级指标",
            "二级指标",
            "三级指标",
            "指标性质",
            "年度指标值",
            "实际完成值",
            "权重",
            "得分系数",
            "偏差原因",
            "自评得分",
        ],
    )
    for r in range(2, 7):
        ind.write_row(f"A{r}", ["产出指标", "数量指标", f"指标{r}", "≥", "100%", "100%", 10, 1])
    ind.write_formula("I5", "=G5*H5", None, 10)  # a formula with its cached value
    ind.write_comment("B2", "单位的原有批注", {"author": "单位"})
    ind.print_area("A1:J6")

    hidden = wb.add_worksheet("隐藏")
    hidden.write("A1", "隐藏的参数")
    hidden.hide()

    ledger = wb.add_worksheet("支出明细")
    ledger.write_row(0, 0, ["日期", "摘要", "金额"])
    for r in range(1, ledger_rows + 1):
        ledger.write_row(r, 0, [f"2020-01-{r % 28 + 1:02d}", f"支出{r}", r * 0.01])
    ledger.activate()  # the unit saved with this tab selected

    wb.define_name("'项目信息'!预算", "='项目信息'!$B$3")
    wb.define_name("全年执行", "='项目信息'!$B$4")
    wb.close()
    return path


def make_front() -> FrontSheet:
    """A front sheet with what the 评分结果 sheet uses: a merged title, number formats, a link,
    text that looks like a formula, text that needs escaping, a column chart."""
    ws = FrontSheet(FRONT, code_name="xlsx_eval_result")
    big = CellFormat(bold=True, size=20, fill="DDEBF7", border="000000", horizontal="center")
    pct = CellFormat(number_format="0.0%", colour="C00000")
    score = CellFormat(number_format="0.00", bold=True)
    ws.merge("A1:D1", "绩效自评结果", big)
    for row, (level, value) in enumerate([("产出指标", 40), ("效益指标", 28.5), ("满意度指标", 9.4)], start=2):
        ws.write(f"A{row}", level)
        ws.write(f"B{row}", value, score)
    ws.write("C2", 0.94, pct)
    ws.link("A6", "绩效指标!I5：得分系数有误", "'绩效指标'!I5", tip="转到该单元格")
    ws.write("A7", "=这不是公式")
    ws.write("A8", '<单位> & "引号" ')
    ws.widen("A", 36)
    ws.row_height(8, 32)
    ws.chart = ColumnChart(
        "各一级指标得分", categories="A2:A4", series=(Series("得分", "B2:B4", "2F75B5"),), anchor="F2"
    )
    return ws


def rewrite_zip(path: Path, changes: dict[str, bytes | None]) -> None:
    """Replace, add (bytes) or delete (None) members of a zip in place."""
    with zipfile.ZipFile(path) as zin:
        members = [(i, zin.read(i)) for i in zin.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in members:
            if info.filename in changes:
                data = changes.pop(info.filename)
                if data is None:
                    continue
            zout.writestr(info.filename, data)
        for name, data in changes.items():
            if data is not None:
                zout.writestr(name, data)


def part(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as z:
        return z.read(name)


def sheet_part(path: Path, sheet: str) -> str:
    """The part name of a sheet, through workbook.xml and its rels."""
    wb = etree.fromstring(part(path, "xl/workbook.xml"))
    rels = etree.fromstring(part(path, "xl/_rels/workbook.xml.rels"))
    rid = wb.find(f"m:sheets/m:sheet[@name='{sheet}']", NS).get(
        "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    )
    target = next(r.get("Target") for r in rels if r.get("Id") == rid)
    return target.lstrip("/") if target.startswith("/") else "xl/" + target


def add_calc_chain(path: Path) -> None:
    """Give the workbook a calcChain part, as Excel writes one."""
    ct = part(path, "[Content_Types].xml").replace(
        b"</Types>",
        b'<Override PartName="/xl/calcChain.xml" ContentType="application/vnd.'
        b'openxmlformats-officedocument.spreadsheetml.calcChain+xml"/></Types>',
    )
    rels = part(path, "xl/_rels/workbook.xml.rels").replace(
        b"</Relationships>",
        b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/'
        b'officeDocument/2006/relationships/calcChain" Target="calcChain.xml"/></Relationships>',
    )
    chain = f'<calcChain xmlns="{MAIN}"><c r="I5" i="2"/></calcChain>'.encode()
    rewrite_zip(path, {"[Content_Types].xml": ct, "xl/_rels/workbook.xml.rels": rels, "xl/calcChain.xml": chain})


EDITS = [
    *[CellEdit("绩效指标", f"J{r}", value=v) for r, v in zip(range(2, 7), [10, 9.5, 8, 7.25, 0])],
    CellEdit("绩效指标", "J3", fill=PINK),
    CellEdit("绩效指标", "J3", note="自评得分与计算得分不一致"),
    CellEdit("绩效指标", "J3", note="请核对得分系数"),
    CellEdit("绩效指标", "I5", value=7.5, fill=PINK, note="公式已替换为数值"),
    CellEdit("绩效指标", "K9", value="=SUM(A1)"),  # a new row; text, never a formula
    CellEdit("绩效指标", "B2", note="评分备注"),  # the cell that already has the unit's note
    CellEdit("项目信息", "B3", fill=PINK, note="预算数与台账不符"),
    CellEdit("项目信息", "A1", fill=PINK),  # shares no xf with B3
    CellEdit("项目信息", "C4", value="新单元格"),  # an existing row, a new cell
]
CHANGED_PARTS = {  # parts the edits above are meant to change (plus new ones)
    "[Content_Types].xml",
    "xl/workbook.xml",
    "xl/_rels/workbook.xml.rels",
    "xl/styles.xml",
    "docProps/app.xml",
    "xl/calcChain.xml",
}


@pytest.fixture
def scored(tmp_path: Path) -> tuple[Path, Path]:
    src = make_src(tmp_path / "单位.xlsx")
    add_calc_chain(src)
    front = make_front()
    dest = tmp_path / "out" / "单位.scored.xlsx"
    before = src.read_bytes()
    write_scored(src, dest, EDITS, front)
    assert src.read_bytes() == before
    return src, dest


# ---------------------------------------------------------------------------------------------
# The package


def test_untouched_parts_are_identical(scored):
    src, dest = scored
    edited = {sheet_part(src, "绩效指标"), sheet_part(src, "项目信息")}
    edited |= {p.replace("worksheets/", "worksheets/_rels/") + ".rels" for p in edited}
    ledger = sheet_part(src, "支出明细")
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest) as zout:
        assert zout.testzip() is None
        assert zout.namelist()[0] == "[Content_Types].xml"
        out_names = set(zout.namelist())
        for name in zin.namelist():
            if name in CHANGED_PARTS | edited | {ledger} or "comments" in name or name.endswith(".vml"):
                continue
            assert name in out_names, name
            assert zin.read(name) == zout.read(name), name
        # the selected tab moved to 评分结果: the ledger differs only by that attribute
        assert zin.read(ledger).replace(b' tabSelected="1"', b"") == zout.read(ledger)
        assert "xl/calcChain.xml" not in out_names
        assert b"calcChain" not in zout.read("[Content_Types].xml")
        assert b"calcChain" not in zout.read("xl/_rels/workbook.xml.rels")


def test_openpyxl_sees_front_sheet_and_every_original_value(scored):
    src, dest = scored
    before = openpyxl.load_workbook(src)
    after = openpyxl.load_workbook(dest)
    assert after.sheetnames == [FRONT] + before.sheetnames
    assert after.active.title == FRONT
    assert [bool(ws.sheet_view.tabSelected) for ws in after] == [True] + [False] * len(before.sheetnames)
    edited = {(e.sheet, e.cell) for e in EDITS if e.value is not None}
    for ws in before:
        out = after[ws.title]
        for row in ws.iter_rows():
            for cell in row:
                if (ws.title, cell.coordinate) not in edited:
                    assert out[cell.coordinate].value == cell.value, (ws.title, cell.coordinate)
    assert after["隐藏"].sheet_state == "hidden"
    assert after["项目信息"]["A1"].value == "项目基本信息"
    assert "A1:D1" in {str(r) for r in after["项目信息"].merged_cells.ranges}


def test_edited_values_fills_and_notes(scored):
    _, dest = scored
    wb = openpyxl.load_workbook(dest)
    ind = wb["绩效指标"]
    assert [ind[f"J{r}"].value for r in range(2, 7)] == [10, 9.5, 8, 7.25, 0]
    assert all(ind[f"J{r}"].data_type == "n" for r in range(2, 7))
    assert ind["I5"].value == 7.5 and ind["I5"].data_type == "n"
    assert ind["K9"].value == "=SUM(A1)" and ind["K9"].data_type == "s"
    xml = etree.fromstring(part(dest, sheet_part(dest, "绩效指标")))
    k9 = xml.find(".//m:c[@r='K9']", NS)
    assert k9.get("t") == "inlineStr" and k9.find("m:f", NS) is None
    assert xml.find(".//m:c[@r='I5']/m:f", NS) is None

    for cell in (ind["J3"], ind["I5"]):
        assert cell.fill.fill_type == "solid"
        assert cell.fill.fgColor.rgb == "FF" + PINK
    assert ind["J3"].comment.text == "自评得分与计算得分不一致\n请核对得分系数"
    assert ind["J3"].comment.author == "xlsx-eval"
    assert ind["I5"].comment.text == "公式已替换为数值"
    assert "单位的原有批注" in ind["B2"].comment.text  # the unit's note is kept...
    assert "评分备注" in ind["B2"].comment.text  # ...with ours added

    info = wb["项目信息"]
    b3 = info["B3"]  # the fill keeps the cell's font, border, number format, alignment
    assert b3.fill.fgColor.rgb == "FF" + PINK
    assert b3.font.b and b3.border.left.style == "thin"
    assert b3.number_format == "0.00" and b3.alignment.horizontal == "center"
    assert info["A1"].font.sz == 16 and info["A1"].fill.fgColor.rgb == "FF" + PINK
    assert b3.comment.text == "预算数与台账不符"
    assert info["C4"].value == "新单元格"


def test_defined_names_stay_with_their_sheets(scored):
    _, dest = scored
    wb = openpyxl.load_workbook(dest)
    assert wb["绩效指标"].print_area == "'绩效指标'!$A$1:$J$6"
    assert wb["项目信息"].defined_names["预算"].attr_text == "'项目信息'!$B$3"
    assert wb.defined_names["全年执行"].attr_text == "'项目信息'!$B$4"
    assert not wb[FRONT].defined_names


def test_front_sheet_keeps_formats_links_merges_chart(scored):
    _, dest = scored
    ws = openpyxl.load_workbook(dest)[FRONT]
    assert ws["A1"].value == "绩效自评结果"
    assert ws["A1"].font.sz == 20 and ws["A1"].font.b
    assert ws["A1"].fill.fgColor.rgb == "FFDDEBF7" and ws["D1"].border.top.style == "thin"
    assert "A1:D1" in {str(r) for r in ws.merged_cells.ranges}
    assert ws["B3"].value == 28.5 and ws["B3"].number_format == "0.00" and ws["B3"].font.b
    assert ws["C2"].number_format == "0.0%" and ws["C2"].font.color.rgb == "FFC00000"
    assert ws["A7"].value == "=这不是公式" and ws["A7"].data_type == "s"
    assert ws["A8"].value == '<单位> & "引号" '
    assert ws["A6"].hyperlink.location == "'绩效指标'!I5" and ws["A6"].hyperlink.tooltip == "转到该单元格"
    assert ws.column_dimensions["A"].width > 36 and ws.row_dimensions[8].height == 32.25
    assert ws.sheet_properties.codeName == "xlsx_eval_result"
    assert not ws.sheet_view.showGridLines and ws.page_setup.orientation == "landscape"
    assert len(ws._charts) == 1
    xml = etree.fromstring(part(dest, sheet_part(dest, FRONT)))
    assert not xml.xpath(".//m:c[@t='s']", namespaces=NS)  # inline strings only
    assert not xml.xpath(".//m:f", namespaces=NS)
    drawing = xml.find("m:drawing", NS)
    rels = etree.fromstring(part(dest, sheet_part(dest, FRONT).replace("worksheets/", "worksheets/_rels/") + ".rels"))
    target = next(r.get("Target") for r in rels if r.get("Id") == drawing.get(f"{{{REL}}}id"))
    with zipfile.ZipFile(dest) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/")]
        assert target == "../drawings/drawing1.xml" and "xl/drawings/_rels/drawing1.xml.rels" in z.namelist()
        chart = z.read(charts[0]).decode()
        types = z.read("[Content_Types].xml").decode()
    assert len(charts) == 1 and f"/{charts[0]}" in types and "/xl/drawings/drawing1.xml" in types
    assert f"<c:f>'{FRONT}'!$B$2:$B$4</c:f>" in chart and "<c:v>28.5</c:v>" in chart
    app = part(dest, "docProps/app.xml").decode()
    assert app.index(FRONT) < app.index("项目信息")
    assert "<vt:i4>5</vt:i4>" in app


def test_calamine_reads_every_sheet(scored):
    _, dest = scored
    wb = CalamineWorkbook.from_path(str(dest))
    assert wb.sheet_names[0] == FRONT
    data = {name: wb.get_sheet_by_name(name).to_python() for name in wb.sheet_names}
    assert data[FRONT][0][0] == "绩效自评结果"
    assert data["绩效指标"][2][9] == 9.5
    assert data["支出明细"][1][1] == "支出1"


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_libreoffice_opens_the_scored_copy(scored, tmp_path):
    _, dest = scored
    pdf = soffice(dest, tmp_path / "pdf", "pdf")
    assert pdf.stat().st_size > 1000
    # LibreOffice's own re-save shows what it understood of the scored copy
    wb = openpyxl.load_workbook(soffice(dest, tmp_path / "xlsx", "xlsx"))
    assert wb.sheetnames[0] == FRONT and wb.active.title == FRONT
    assert wb["隐藏"].sheet_state == "hidden"
    assert wb["绩效指标"].print_area == "'绩效指标'!$A$1:$J$6"
    ind = wb["绩效指标"]
    assert [ind[f"J{r}"].value for r in range(2, 7)] == [10, 9.5, 8, 7.25, 0]
    assert ind["K9"].value == "=SUM(A1)" and ind["K9"].data_type == "s"
    assert ind["J3"].fill.fgColor.rgb == "FF" + PINK
    assert ind["J3"].comment.text == "自评得分与计算得分不一致\n请核对得分系数"
    assert "单位的原有批注" in ind["B2"].comment.text
    front = wb[FRONT]
    assert front["A1"].value == "绩效自评结果" and front["A1"].font.sz == 20
    assert len(front._charts) == 1
    assert front["A6"].hyperlink.location == "'绩效指标'!I5"


# ---------------------------------------------------------------------------------------------
# Cells


def test_new_rows_and_cells_go_in_sorted_place(tmp_path):
    src = make_src(tmp_path / "in.xlsx")
    dest = tmp_path / "out.xlsx"
    edits = [CellEdit("绩效指标", ref, value=1) for ref in ("A20", "A8", "L1", "$K$3", "A7")]
    write_scored(src, dest, edits, make_front())
    xml = etree.fromstring(part(dest, sheet_part(dest, "绩效指标")))
    rows = [int(r.get("r")) for r in xml.iterfind(".//m:row", NS)]
    assert rows == sorted(rows) and {7, 8, 20} <= set(rows)
    for row in xml.iterfind(".//m:row", NS):
        cols = [openpyxl.utils.cell.coordinate_from_string(c.get("r"))[0] for c in row]
        nums = [openpyxl.utils.column_index_from_string(c) for c in cols]
        assert nums == sorted(nums)
    assert xml.find("m:dimension", NS).get("ref") == "A1:L20"
    assert openpyxl.load_workbook(dest)["绩效指标"]["K3"].value == 1


def test_shared_formula_master_moves_to_the_next_cell(tmp_path):
    src = tmp_path / "shared.xlsx"
    wb = xlsxwriter.Workbook(str(src))
    ws = wb.add_worksheet("绩效指标")
    for r in range(1, 5):
        ws.write_row(f"A{r}", [r, 10 * r])
        ws.write_formula(f"C{r}", f"=A{r}+$B$1", None, r + 10)
    wb.close()
    name = sheet_part(src, "绩效指标")
    xml = part(src, name).decode()
    xml = xml.replace("<f>A1+$B$1</f>", '<f t="shared" ref="C1:C4" si="0">A1+$B$1</f>')
    for r in range(2, 5):
        xml = xml.replace(f"<f>A{r}+$B$1</f>", '<f t="shared" si="0"/>')
    rewrite_zip(src, {name: xml.encode()})

    dest = tmp_path / "out.xlsx"
    write_scored(src, dest, [CellEdit("绩效指标", "C1", value=99)], make_front())
    out = etree.fromstring(part(dest, sheet_part(dest, "绩效指标")))
    f = out.find(".//m:c[@r='C2']/m:f", NS)
    assert (f.text, f.get("ref"), f.get("si")) == ("A2+$B$1", "C2:C4", "0")
    ws = openpyxl.load_workbook(dest)["绩效指标"]
    assert ws["C1"].value == 99 and ws["C4"].value == "=A4+$B$1"


def test_shift_formula():
    assert _shift_formula("A1+$B$1+B$2+$C3", 1, 1) == "B2+$B$1+C$2+$C4"
    assert _shift_formula("SUM(A1:B2)*LOG10(A1)", 2, 0) == "SUM(A3:B4)*LOG10(A3)"
    assert _shift_formula("'Sheet A1'!A1&\"A1\"", 1, 0) == "'Sheet A1'!A2&\"A1\""
    assert _shift_formula("SUM(A:A)+SUM($1:2)", 1, 1) == "SUM(B:B)+SUM($1:3)"
    assert _shift_formula("A1", -1, 0) == "#REF!"


def test_edit_of_a_missing_sheet_raises(tmp_path):
    src = make_src(tmp_path / "in.xlsx")
    dest = tmp_path / "out.xlsx"
    with pytest.raises(ValueError, match="no sheet '不存在'"):
        write_scored(src, dest, [CellEdit("不存在", "A1", value=1)], make_front())
    with pytest.raises(ValueError, match="not a cell reference"):
        write_scored(src, dest, [CellEdit("绩效指标", "1A", value=1)], make_front())
    assert not dest.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


# ---------------------------------------------------------------------------------------------
# Inputs that are not workbooks, .xlsm, re-scoring


def test_bad_src_raises(tmp_path):
    front = make_front()
    text = tmp_path / "notes.xlsx"
    text.write_text("not a workbook")
    with pytest.raises(ValueError, match="not a zip"):
        write_scored(text, tmp_path / "o.xlsx", [], front)
    other = tmp_path / "other.xlsx"
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(ValueError, match="not an OOXML workbook"):
        write_scored(other, tmp_path / "o.xlsx", [], front)
    docx = tmp_path / "report.xlsx"
    with zipfile.ZipFile(docx, "w") as z:
        z.writestr(
            "[Content_Types].xml", '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
        )
    with pytest.raises(ValueError, match="not an OOXML workbook"):
        write_scored(docx, tmp_path / "o.xlsx", [], front)
    ole = tmp_path / "encrypted.xlsx"
    ole.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    with pytest.raises(ValueError, match="OLE2"):
        write_scored(ole, tmp_path / "o.xlsx", [], front)
    assert not (tmp_path / "o.xlsx").exists()


def test_front_sheet_name_must_be_a_sheet_name(tmp_path):
    for name in ("", "评分[结果]", "a" * 32, "'评分结果'"):
        with pytest.raises(ValueError, match="cannot be a sheet name"):
            FrontSheet(name)
    src = make_src(tmp_path / "in.xlsx")
    with pytest.raises(ValueError, match="front sheet"):
        write_scored(src, tmp_path / "o.xlsx", [CellEdit(FRONT, "A1", value=1)], make_front())


def test_xlsm_keeps_its_vba_project(tmp_path):
    src = make_src(tmp_path / "in.xlsm")
    vba = b"\xd0\xcf\x11\xe0 stand-in for a VBA project: carried, never read"
    ct = (
        part(src, "[Content_Types].xml")
        .replace(
            b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
            b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
        )
        .replace(b"</Types>", b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>')
    )
    rels = part(src, "xl/_rels/workbook.xml.rels").replace(
        b"</Relationships>",
        b'<Relationship Id="rId98" Type="http://schemas.microsoft.com/'
        b'office/2006/relationships/vbaProject" Target="vbaProject.bin"/></Relationships>',
    )
    rewrite_zip(src, {"[Content_Types].xml": ct, "xl/_rels/workbook.xml.rels": rels, "xl/vbaProject.bin": vba})
    dest = tmp_path / "out.xlsm"
    write_scored(src, dest, [CellEdit("绩效指标", "J2", value=5)], make_front())
    assert part(dest, "xl/vbaProject.bin") == vba
    assert b"ms-excel.sheet.macroEnabled.main+xml" in part(dest, "[Content_Types].xml")
    assert b"vbaProject.bin" in part(dest, "xl/_rels/workbook.xml.rels")
    wb = openpyxl.load_workbook(dest, keep_vba=True)
    assert wb.sheetnames[0] == FRONT and wb["绩效指标"]["J2"].value == 5


def test_rescoring_replaces_the_front_sheet(scored, tmp_path):
    _, first = scored
    second = tmp_path / "again.xlsx"
    write_scored(first, second, EDITS, make_front())
    wb = openpyxl.load_workbook(second)
    assert wb.sheetnames.count(FRONT) == 1 and wb.sheetnames[0] == FRONT
    assert wb.active.title == FRONT
    assert wb["绩效指标"].print_area == "'绩效指标'!$A$1:$J$6"
    assert wb["项目信息"].defined_names["预算"].attr_text == "'项目信息'!$B$3"
    assert wb["绩效指标"]["J3"].comment.text == "自评得分与计算得分不一致\n请核对得分系数"
    with zipfile.ZipFile(second) as z:
        names = z.namelist()
        assert len([n for n in names if n.startswith("xl/charts/chart")]) == 1
        assert len([n for n in names if n.startswith("xl/drawings/drawing")]) == 1
        assert z.read("docProps/app.xml").decode().count(FRONT) == 1
    assert len(part(second, "xl/styles.xml")) == len(part(first, "xl/styles.xml"))
    CalamineWorkbook.from_path(str(second)).get_sheet_by_name(FRONT).to_python()


def test_workbook_written_by_openpyxl(tmp_path):
    src = tmp_path / "openpyxl.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "绩效指标"
    ws.append(["指标", "得分"])
    ws.append(["产出", None])
    wb.create_sheet("支出明细").append(["日期", "金额"])
    wb.save(src)
    dest = tmp_path / "out.xlsx"
    write_scored(src, dest, [CellEdit("绩效指标", "B2", value=3.5, fill=PINK, note="说明")], make_front())
    out = openpyxl.load_workbook(dest)
    assert out.sheetnames == [FRONT, "绩效指标", "支出明细"]
    assert out["绩效指标"]["B2"].value == 3.5
    assert out["绩效指标"]["B2"].comment.text == "说明"


# ---------------------------------------------------------------------------------------------
# A big untouched ledger is copied as raw zip bytes


def raw_member(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as z, open(path, "rb") as fp:
        info = z.getinfo(name)
        fp.seek(info.header_offset + 26)
        n, m = int.from_bytes(fp.read(2), "little"), int.from_bytes(fp.read(2), "little")
        fp.seek(info.header_offset + 30 + n + m)
        return fp.read(info.compress_size)


def test_big_ledger_is_copied_raw(tmp_path):
    src = make_src(tmp_path / "big.xlsx", ledger_rows=100_000)
    # the unit last saved on 绩效指标, so nothing in the ledger needs a change
    name = sheet_part(src, "支出明细")
    rewrite_zip(src, {name: part(src, name).replace(b' tabSelected="1"', b"")})
    front = make_front()
    edits = [CellEdit("绩效指标", f"J{r}", value=r, fill=PINK, note="说明") for r in range(2, 7)]
    dest = tmp_path / "big.scored.xlsx"
    start = time.perf_counter()
    write_scored(src, dest, edits, front)
    took = time.perf_counter() - start
    assert raw_member(src, name) == raw_member(dest, name)
    print(f"\nwrite_scored, 100,000-row ledger: {took:.2f} s")
    if os.environ.get("XLSX_EVAL_BENCH"):
        start = time.perf_counter()
        openpyxl.load_workbook(src).save(tmp_path / "openpyxl.xlsx")
        print(f"openpyxl load + save of the same file: {time.perf_counter() - start:.2f} s")


# ---------------------------------------------------------------------------------------------
# Styles and Excel's own markup


def test_fills_append_styles_without_renumbering(scored):
    src, dest = scored
    before = etree.fromstring(part(src, "xl/styles.xml"))
    after = etree.fromstring(part(dest, "xl/styles.xml"))
    for name in ("fonts", "fills", "borders", "cellXfs", "numFmts"):
        old, new = before.find(f"m:{name}", NS), after.find(f"m:{name}", NS)
        assert [etree.tostring(e) for e in old] == [etree.tostring(e) for e in new[: len(old)]]
        assert int(new.get("count")) == len(new)
    xml = etree.fromstring(part(dest, sheet_part(dest, "绩效指标")))
    styles = {xml.find(f".//m:c[@r='{ref}']", NS).get("s") for ref in ("J3", "I5")}
    assert len(styles) == 1  # cells that shared a format and a colour share the new format
    custom = [int(n.get("numFmtId")) for n in after.find("m:numFmts", NS)]
    assert len(custom) == len(set(custom)) and min(custom) >= 164


def test_front_formats_for_a_styles_xml_seen_before_come_from_memory(tmp_path):
    """A second workbook with the same styles.xml gets the front sheet's formats without parsing it: the same parts."""
    from xlsx_eval.write.writeback import styles

    src = make_src(tmp_path / "单位.xlsx")
    styles._FORMATS_ADDED.clear()
    write_scored(src, tmp_path / "first.xlsx", [], make_front())
    write_scored(src, tmp_path / "again.xlsx", [], make_front())
    assert len(styles._FORMATS_ADDED) == 1
    with zipfile.ZipFile(tmp_path / "first.xlsx") as first, zipfile.ZipFile(tmp_path / "again.xlsx") as again:
        assert [(n, first.read(n)) for n in first.namelist()] == [(n, again.read(n)) for n in again.namelist()]
    # The front's formats go in before any cell is painted, so a form with marked cells is remembered too (nearly
    # every form has some: the review's findings), its fills added after them.
    styles._FORMATS_ADDED.clear()
    fill = [CellEdit("绩效指标", "J3", fill=PINK)]
    write_scored(src, tmp_path / "filled.xlsx", fill, make_front())
    write_scored(src, tmp_path / "filled-again.xlsx", fill, make_front())
    assert len(styles._FORMATS_ADDED) == 1
    assert (tmp_path / "filled.xlsx").read_bytes() == (tmp_path / "filled-again.xlsx").read_bytes()
    assert openpyxl.load_workbook(tmp_path / "filled.xlsx")["绩效指标"]["J3"].fill.fgColor.rgb == "FF" + PINK


def test_excel_namespaces_and_unknown_elements_are_kept(tmp_path):
    src = make_src(tmp_path / "excel.xlsx")
    name = sheet_part(src, "绩效指标")
    sheet = (
        part(src, name)
        .replace(
            b'<worksheet xmlns="' + MAIN.encode() + b'"',
            b'<worksheet xmlns="' + MAIN.encode() + b'" xmlns:mc="http://schemas.openxmlformats.org/'
            b'markup-compatibility/2006" xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/'
            b'2009/9/ac" mc:Ignorable="x14ac"',
        )
        .replace(b'<row r="2" spans="1:10">', b'<row r="2" spans="1:10" x14ac:dyDescent="0.25">')
    )
    book = (
        part(src, "xl/workbook.xml")
        .replace(
            b'<workbook xmlns="' + MAIN.encode() + b'"',
            b'<workbook xmlns="' + MAIN.encode() + b'" xmlns:mc="http://schemas.openxmlformats.org/'
            b'markup-compatibility/2006" xmlns:xr="http://schemas.microsoft.com/office/spreadsheetml/'
            b'2014/revision" mc:Ignorable="xr"',
        )
        .replace(b"<bookViews>", b'<xr:revisionPtr documentId="13_ncr:1_{X}"/><bookViews>')
    )
    rewrite_zip(src, {name: sheet, "xl/workbook.xml": book})
    dest = tmp_path / "out.xlsx"
    write_scored(src, dest, [CellEdit("绩效指标", "J2", value=1, note="说明")], make_front())
    out_sheet = part(dest, name)
    assert b'mc:Ignorable="x14ac"' in out_sheet and b"xmlns:x14ac=" in out_sheet
    assert b'x14ac:dyDescent="0.25"' in out_sheet
    out_book = part(dest, "xl/workbook.xml")
    assert b'mc:Ignorable="xr"' in out_book and b"xmlns:xr=" in out_book
    order = [etree.QName(e).localname for e in etree.fromstring(out_book)]
    assert order.index("revisionPtr") < order.index("bookViews") < order.index("sheets")
    assert order.index("sheets") < order.index("definedNames")
    assert openpyxl.load_workbook(dest)["绩效指标"]["J2"].comment.text == "说明"


def test_empty_styled_row_gets_its_cell_not_a_second_row(tmp_path):
    src = make_src(tmp_path / "in.xlsx")
    name = sheet_part(src, "绩效指标")
    sheet = part(src, name).replace(b"</sheetData>", b'<row r="8" s="1" customFormat="1"/></sheetData>')
    rewrite_zip(src, {name: sheet})
    dest = tmp_path / "out.xlsx"
    write_scored(src, dest, [CellEdit("绩效指标", "B8", value=2)], make_front())
    xml = etree.fromstring(part(dest, name))
    assert len(xml.findall(".//m:row[@r='8']", NS)) == 1
    assert xml.find(".//m:c[@r='B8']", NS).get("s") == "1"  # the row's format


def test_damaged_member_raises_value_error(tmp_path):
    src = make_src(tmp_path / "in.xlsx")
    data = bytearray(src.read_bytes())
    with zipfile.ZipFile(src) as z:
        info = z.getinfo("xl/workbook.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start : start + 8] = b"\xff" * 8  # scramble the deflated workbook part
    src.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="xl/workbook.xml"):
        write_scored(src, tmp_path / "o.xlsx", [], make_front())


# ---------------------------------------------------------------------------------------------
# A sheet edited row by row: only the rows that change are parsed, the others copied as their bytes


def prefixed_sheet(src: Path, name: str, rows: bytes) -> None:
    """Sheet `name` rewritten with the main namespace under the prefix x: and `rows` as its <sheetData>."""
    sheet = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<x:worksheet xmlns:x="' + MAIN.encode() + b'"><x:dimension ref="A1:C5"/>'
        b"<x:sheetData>" + rows + b"</x:sheetData></x:worksheet>"
    )
    rewrite_zip(src, {name: sheet})


def test_rows_that_do_not_change_keep_their_bytes(tmp_path):
    src = make_src(tmp_path / "in.xlsx")
    name = sheet_part(src, "支出明细")
    # Row 1 numbered, rows 2 and 3 implicit (each follows the one before), row 5 numbered; the quotes and the
    # spaces are not how lxml would write them, so a row that was parsed and written again would show it.
    untouched = "<x:row r='1' ><x:c r='A1' t='inlineStr'><x:is><x:t>日期</x:t></x:is></x:c></x:row>\n".encode()
    implicit_2 = b"<x:row><x:c><x:v>2</x:v></x:c></x:row>\n"
    implicit_3 = b"<x:row ><x:c r='A3'><x:v>3</x:v></x:c><x:c><x:v>33</x:v></x:c></x:row>\n"
    row_5 = b"<x:row r='5'><x:c r='C5'><x:v>5</x:v></x:c></x:row>"
    prefixed_sheet(src, name, untouched + implicit_2 + implicit_3 + row_5)
    edits = [
        CellEdit("支出明细", "B3", fill=PINK, note="重复"),  # row 3, counted from row 1
        CellEdit("支出明细", "C4", value=4),  # a row the sheet lacks, between 3 and 5
        CellEdit("支出明细", "A7", value="末行"),  # after the last row
    ]
    dest = tmp_path / "out.xlsx"
    write_scored(src, dest, edits, make_front())

    out = part(dest, name)
    assert untouched in out and implicit_2 in out and row_5 in out
    assert implicit_3 not in out  # the row that changed was written again
    rows = etree.fromstring(out).findall("x:sheetData/x:row", {"x": MAIN})
    assert [r.get("r") for r in rows] == ["1", None, "3", "4", "5", "7"]
    assert [c.get("r") for c in rows[2]] == ["A3", "B3"]  # its implicit cell B3 numbered, no second B3
    assert etree.fromstring(out).find("x:dimension", {"x": MAIN}).get("ref") == "A1:C7"
    ws = openpyxl.load_workbook(dest)["支出明细"]
    assert (ws["A2"].value, ws["A3"].value, ws["B3"].value, ws["C4"].value, ws["C5"].value) == (2, 3, 33, 4, 5)
    assert ws["A7"].value == "末行" and ws["B3"].comment.text == "重复"
    assert ws["B3"].fill.fgColor.rgb == "FF" + PINK


def test_an_empty_sheet_data_gets_its_rows(tmp_path):
    src = make_src(tmp_path / "in.xlsx")
    name = sheet_part(src, "隐藏")
    rewrite_zip(src, {name: re.sub(rb"<sheetData>.*</sheetData>", b"<sheetData/>", part(src, name), flags=re.S)})
    assert b"<sheetData/>" in part(src, name)
    dest = tmp_path / "out.xlsx"
    write_scored(src, dest, [CellEdit("隐藏", "B2", value=7), CellEdit("隐藏", "A1", value="一")], make_front())
    rows = etree.fromstring(part(dest, name)).findall("m:sheetData/m:row", NS)
    assert [(r.get("r"), [c.get("r") for c in r]) for r in rows] == [("1", ["A1"]), ("2", ["B2"])]
    ws = openpyxl.load_workbook(dest)["隐藏"]
    assert (ws["A1"].value, ws["B2"].value) == ("一", 7)


def test_a_shared_formula_far_below_its_master_is_found(tmp_path):
    """The cells sharing a formula are found by their bytes, wherever they are in a long sheet."""
    src = make_src(tmp_path / "in.xlsx")
    name = sheet_part(src, "支出明细")
    rows = [b'<row r="1"><c r="D1"><f t="shared" ref="D1:D3000" si="4">C1*2</f><v>0</v></c></row>']
    rows += [f'<row r="{r}"><c r="C{r}"><v>{r}</v></c></row>'.encode() for r in range(2, 3000)]
    rows.append(b'<row r="3000"><c r="C3000"><v>1</v></c><c r="D3000"><f t="shared" si="4"/><v>2</v></c></row>')
    sheet = part(src, name)
    head, rest = sheet.split(b"<sheetData>", 1)
    rewrite_zip(
        src, {name: head + b"<sheetData>" + b"".join(rows) + b"</sheetData>" + rest.split(b"</sheetData>", 1)[1]}
    )
    dest = tmp_path / "out.xlsx"
    write_scored(src, dest, [CellEdit("支出明细", "D1", value=0)], make_front())
    f = etree.fromstring(part(dest, name)).find(".//m:c[@r='D3000']/m:f", NS)
    assert (f.text, f.get("ref"), f.get("si")) == ("C3000*2", "D3000:D3000", "4")


def sheet_rows_of(rows: bytes, declaration: bytes = b'<?xml version="1.0" encoding="UTF-8"?>', root: bytes = b""):
    from xlsx_eval.write.writeback.sheet_rows import SheetRows

    data = (
        declaration
        + b'<worksheet xmlns="'
        + MAIN.encode()
        + b'"'
        + root
        + b"><sheetData>"
        + rows
        + b"</sheetData></worksheet>"
    )
    return SheetRows(data, "test")


def cells_of(part: bytes) -> list[tuple[str | None, list[str | None]]]:
    """Each row of a worksheet part: its r and its cells' r (the part parsed, so it must be well-formed)."""
    return [(r.get("r"), [c.get("r") for c in r]) for r in etree.fromstring(part).iterfind("m:sheetData/m:row", NS)]


def test_a_row_tag_hidden_in_a_comment_or_cdata_is_not_a_row():
    rows = sheet_rows_of(
        b'<row r="1"><c r="A1"><v>1</v></c></row><!-- <row r="5"> -->'
        b'<row r="2"><c r="A2" t="inlineStr"><is><t><![CDATA[<row r="9">]]></t></is></c></row>'
    )
    rows.cell(1, 2).set("s", "1")
    rows.cell(2, 2).set("s", "1")
    rows.cell(3, 1).set("s", "1")  # new, after row 2 (not before the commented-out row 5)
    out = rows.to_bytes()
    assert cells_of(out) == [("1", ["A1", "B1"]), ("2", ["A2", "B2"]), ("3", ["A3"])]
    assert etree.fromstring(out).findtext(".//m:c[@r='A2']//m:t", namespaces=NS) == '<row r="9">'  # the text kept


def test_a_part_in_another_encoding_is_written_as_utf8():
    rows = sheet_rows_of(
        '<row r="1"><c r="A1" t="inlineStr"><is><t>café</t></is></c></row><row r="2"/>'.encode("latin-1"),
        declaration=b'<?xml version="1.0" encoding="ISO-8859-1"?>',
    )
    rows.cell(2, 1).set("s", "1")
    out = rows.to_bytes()
    assert cells_of(out) == [("1", ["A1"]), ("2", ["A2"])]
    assert etree.fromstring(out).findtext(".//m:t", namespaces=NS) == "café"


def test_a_quoted_angle_bracket_and_an_odd_namespace_do_not_confuse_the_rows():
    rows = sheet_rows_of(b'<row x="a>b" r="7"><c r="A7"><v>7</v></c></row>', root=b' xmlns:z="urn:a&amp;b"')
    rows.cell(7, 2).set("s", "1")  # row 7 is the one that exists, not a second one
    assert cells_of(rows.to_bytes()) == [("7", ["A7", "B7"])]
