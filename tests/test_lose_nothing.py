"""The scored copy keeps everything of the input; text from the workbook never becomes a formula."""

import shutil
import subprocess
import zipfile

import badfiles
import openpyxl
import pytest

from xlsx_eval import convert

# The parts a scored copy may change: the package's lists, the workbook, styles (new fills and formats),
# the sheet whose 自评得分 are written, and the sheet that was the selected tab (now 评分结果 is).
CHANGED = {"[Content_Types].xml", "docProps/app.xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml"}


def members(path):
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def test_every_untouched_part_is_carried_byte_for_byte(example, tmp_path):
    [r] = convert(example, tmp_path)
    before, after = members(example), members(r.output)
    scores = badfiles.sheet_part("绩效指标")
    selected = badfiles.sheet_part("填表说明")  # the template opens on its 填表说明 sheet
    # the review's marks: 项目信息!B21 (SCORE_OUTRUNS_SPENDING) gets a note, 绩效指标 more beside its own
    marked = {badfiles.sheet_part("项目信息")} | {n for n in before if n.startswith(("xl/comments", "xl/drawings/vml"))}
    kept = {name for name in before if name not in CHANGED | {scores, selected} | marked}
    assert kept  # the other sheets, shared strings, drawings, theme, core properties
    for name in sorted(kept):
        assert after[name] == before[name], name
    assert set(before) <= set(after)


def test_every_cell_value_and_formula_is_kept(example, tmp_path):
    src = tmp_path / "with-formulas.xlsx"
    wb = openpyxl.load_workbook(example)
    ws = wb.create_sheet("单位自用")
    ws["A1"] = "合计"
    ws["B1"] = "=SUM(绩效指标!H2:H10)"
    ws["C1"] = "备注：本表不参与评分"
    ws.sheet_state = "hidden"
    wb.save(src)
    [r] = convert(src, tmp_path / "out")
    a = openpyxl.load_workbook(src)
    b = openpyxl.load_workbook(r.output)
    for name in a.sheetnames:
        for row_a, row_b in zip(a[name].iter_rows(), b[name].iter_rows(), strict=True):
            for ca, cb in zip(row_a, row_b, strict=True):
                if name == "绩效指标" and ca.column_letter == "I" and 2 <= ca.row <= 10:
                    continue  # 自评得分: the scores
                assert (cb.value, cb.number_format) == (ca.value, ca.number_format), f"{name}!{ca.coordinate}"
    assert b["单位自用"].sheet_state == "hidden"
    assert b["单位自用"]["B1"].value == "=SUM(绩效指标!H2:H10)"


INJECTIONS = ['=HYPERLINK("http://example.com","点我")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1,1)"]


def test_text_from_the_workbook_is_never_a_formula(example, tmp_path):
    src = tmp_path / "inject.xlsx"
    wb = openpyxl.load_workbook(example)
    wb["项目信息"]["B3"] = INJECTIONS[0]  # 单位名称
    wb["项目信息"]["B3"].data_type = "s"
    wb["项目信息"]["B5"] = INJECTIONS[1]  # 项目名称
    for row, text in zip(range(2, 6), INJECTIONS, strict=False):
        wb["支出明细"].cell(row, 2).value = text
        wb["支出明细"].cell(row, 2).data_type = "s"
    wb["支出明细"]["C2"] = "十四万"  # a finding on the ledger, so that the 评分结果 sheet lists it
    wb.save(src)
    [r] = convert(src, tmp_path / "out")
    assert r.project.unit == INJECTIONS[0] and r.project.name == INJECTIONS[1]
    with zipfile.ZipFile(r.output) as zf:
        front = zf.read(badfiles.sheet_part("评分结果", r.output))
        ledger = zf.read(badfiles.sheet_part("支出明细", r.output))
    assert b"<f>" not in front and b"<f " not in front
    assert b"<f>" not in ledger
    out = openpyxl.load_workbook(r.output)
    shown = {c.value for row in out["评分结果"].iter_rows() for c in row if isinstance(c.value, str)}
    assert INJECTIONS[0] in shown and INJECTIONS[1] in shown


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
@pytest.mark.parametrize("make", ["example", "slip", "xlsm"])
def test_libreoffice_opens_scored_copies(example, tmp_path, make):
    src = {
        "example": lambda: example,
        "slip": lambda: _slip(example, tmp_path / "slip.xlsx"),
        "xlsm": lambda: badfiles.macro_workbook(tmp_path / "macro.xlsm"),
    }[make]()
    [r] = convert(src, tmp_path / "out")
    profile = f"-env:UserInstallation=file://{tmp_path}/lo"
    for target in ("pdf", "csv:Text - txt - csv (StarCalc):44,34,76"):
        done = subprocess.run(
            [
                "soffice",
                "--headless",
                profile,
                "--convert-to",
                target,
                "--outdir",
                str(tmp_path / "lo-out"),
                str(r.output),
            ],
            capture_output=True,
            timeout=180,
        )
        assert done.returncode == 0, done.stderr
    stem = r.output.name.rsplit(".", 1)[0]
    assert (tmp_path / "lo-out" / f"{stem}.pdf").stat().st_size > 1000
    csv = (tmp_path / "lo-out" / f"{stem}.csv").read_text(encoding="utf-8")
    assert str(r.total) in csv and r.grade in csv  # the first sheet, 评分结果


def _slip(example, dest):
    wb = openpyxl.load_workbook(example)
    wb["项目信息"]["B21"] = 30.88
    wb.save(dest)
    return dest


def _png(path):
    """A 2×2 red PNG, made by hand (no imaging library needed)."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
    return path


def test_images_validations_conditional_formats_links_names_and_notes_are_kept(example, tmp_path):
    import xlsxwriter

    src = tmp_path / "rich.xlsx"
    original = openpyxl.load_workbook(example)
    book = xlsxwriter.Workbook(str(src), {"strings_to_formulas": False})
    for ws_in in original.worksheets:
        ws = book.add_worksheet(ws_in.title)
        for row in ws_in.iter_rows():
            for c in row:
                if isinstance(c.value, str):
                    ws.write_string(c.row - 1, c.column - 1, c.value)
                elif c.value is not None:
                    ws.write(c.row - 1, c.column - 1, c.value)
    scores = book.get_worksheet_by_name("绩效指标")  # the sheet whose XML the scoring rewrites
    scores.insert_image("N2", str(_png(tmp_path / "red.png")))
    scores.conditional_format(
        "H2:H10", {"type": "cell", "criteria": ">=", "value": 10, "format": book.add_format({"bg_color": "#C6EFCE"})}
    )
    scores.data_validation("D2:D10", {"validate": "list", "source": ["≥", "≤", "=", "定性"]})
    scores.write_comment("C2", "单位的批注")
    scores.write_url("M2", "https://www.example.com/", string="依据文件")
    book.define_name("分值区", "=绩效指标!$H$2:$H$10")
    book.close()

    [r] = convert(src, tmp_path / "out")
    assert r.total == 99.4
    out = openpyxl.load_workbook(r.output)
    ws = out["绩效指标"]
    assert [str(rng.sqref) for rng in ws.conditional_formatting] == ["H2:H10"]
    assert [str(dv.sqref) for dv in ws.data_validations.dataValidation] == ["D2:D10"]
    assert ws["C2"].comment.text == "单位的批注"
    assert ws["M2"].hyperlink.target == "https://www.example.com/"
    assert out.defined_names["分值区"].attr_text == "绩效指标!$H$2:$H$10"
    before, after = members(src), members(r.output)
    images = [n for n in before if n.startswith("xl/media/")]
    assert images and all(after[n] == before[n] for n in images)
    sheet_xml = after[badfiles.sheet_part("绩效指标", r.output)]
    assert b"<drawing " in sheet_xml and b"<legacyDrawing " in sheet_xml
