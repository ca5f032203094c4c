"""template.md "Tolerance": what real filled workbooks look like, each read right."""

import datetime as dt
import time
import zipfile

import badfiles
import openpyxl
import pandas as pd
import pytest
from conftest import INFO, SEED_INDICATORS, SEED_PAYMENTS, ind, not_review

from xlsx_eval import convert, evaluate
from xlsx_eval.read import read_forms


def test_project_info_with_a_title_blank_rows_and_labels_in_any_order(build):
    def shuffle(wb):
        ws = wb["项目信息"]
        rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
        ws.delete_rows(1, ws.max_row)
        ws.append(["项目支出绩效自评表（2020年度）"])
        ws.append([])
        for label, value in reversed(rows):
            ws.append([f" {label} *", value])
            ws.append([])

    [r] = evaluate(build(extra=shuffle))
    assert r.total == 99.4 and not_review(r.findings) == []


def test_extra_columns_and_hidden_rows_and_columns(build):
    def extra(wb):
        ws = wb["绩效指标"]
        ws.insert_cols(1)
        ws["A1"] = "序号"
        for r in range(2, 11):
            ws.cell(r, 1, r - 1)
        ws["L1"] = "备注"
        ws.row_dimensions[5].hidden = True
        ws.column_dimensions["B"].hidden = True

    wb = read_forms(build(extra=extra))[0]
    assert len(wb.indicators) == 9
    assert wb.indicators[3].row == 5 and wb.indicators[3].cells["actual"] == "G5"
    assert evaluate(build("again.xlsx", extra=extra))[0].total == 99.4


def test_actual_written_as_a_bound_or_as_the_target_text(build):
    [r] = evaluate(
        build(
            indicators=[
                ind("产出指标", "质量指标", "a", "≥95%", "≥90%", 45),  # read as 90: 90 / 95 × 45 = 42.63
                ind("产出指标", "质量指标", "b", "≥95%", "≥95%", 45),  # the target text itself: met
            ]
        )
    )
    assert [s.score for s in r.indicators] == [42.63, 45.0]


def test_words_and_signs_pasted_from_pdfs_and_input_methods(build):
    [r] = evaluate(
        build(
            indicators=[
                ind("产出指标", "质量指标", "a", "不低于95%", "94%", 30),  # ≥: 94/95 × 30 = 29.68
                ind("产出指标", "成本指标", "b", "³95%", "95%", 20),  # Symbol-font ≥ from a PDF
                ind("产出指标", "成本指标", "c", "35万元以内", "38.5万元", 20),  # ≤: 35/38.5 × 20 = 18.18
                ind("产出指标", "数量指标", "d", "≧ 1,000 人次", "1,200人次", 20),
            ]
        )
    )
    assert [s.nature for s in r.indicators] == ["≥", "≥", "≤", "≥"]
    assert [s.score for s in r.indicators] == [29.68, 20.0, 18.18, 20.0]


def test_amounts_in_yuan(build):
    yuan = [(d, s, round(a * 10000, 2)) for d, s, a in SEED_PAYMENTS]
    [r] = evaluate(
        build(
            payments=yuan,
            info={
                "金额单位": "元",
                "全年预算数": "350,000",
                "资金到位数": 350000,
                "其中财政资金": 350000,
                "全年执行数": "32.88万元",
            },
        )
    )
    assert r.funds.unit == "元" and r.funds.executed == 328800 and r.funds.ledger_total == 328800
    assert r.total == 99.4 and not_review(r.findings) == []


def test_xlsm_keeps_its_macros_and_its_kind(tmp_path):
    src = badfiles.macro_workbook(tmp_path / "宏.xlsm")
    [r] = convert(src, tmp_path / "out")
    assert r.output.name == "宏.scored.xlsm" and r.total == 99.4
    with zipfile.ZipFile(r.output) as zf:
        assert zf.read("xl/vbaProject.bin") == badfiles.VBA_STANDIN
        assert b"macroEnabled" in zf.read("[Content_Types].xml")


def test_a_macro_workbook_named_xlsx_becomes_xlsm(tmp_path):
    [r] = convert(badfiles.macro_workbook(tmp_path / "named.xlsx"), tmp_path / "out")
    assert r.output.name == "named.scored.xlsm"  # never an .xlsx holding VBA


def _seed_frames():
    info = pd.DataFrame([("字段", "内容")] + list(INFO.items()))
    indicators = pd.DataFrame(
        [["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值"]]
        + [[r[0], r[1], r[2], r[3], r[5], r[7]] for r in SEED_INDICATORS]
    )
    ledger = pd.DataFrame([["日期", "摘要", "金额"]] + [[d.isoformat(), s, a] for d, s, a in SEED_PAYMENTS])
    return {"项目信息": info, "绩效指标": indicators, "支出明细": ledger, "自编说明": pd.DataFrame([["单位自己的表"]])}


def _write_ods(frames, path):
    with pd.ExcelWriter(path, engine="odf") as writer:
        for name, frame in frames.items():
            frame.to_excel(writer, sheet_name=name, header=False, index=False)
    return path


def _write_xls(frames, path, style_of=lambda value: None):
    """An .xls of these sheets; ``style_of(value)`` gives an xlwt style for a cell, or None for the default."""
    import xlwt

    book = xlwt.Workbook()
    for name, frame in frames.items():
        ws = book.add_sheet(name)
        for r, row in enumerate(frame.values.tolist()):
            for c, value in enumerate(row):
                ws.write(r, c, value, style_of(value) or xlwt.Style.default_style)
    book.save(str(path))
    return path


def test_ods_is_read_and_its_scored_copy_is_xlsx(tmp_path):
    pytest.importorskip("odf")
    src = _write_ods(_seed_frames(), tmp_path / "seed.ods")
    [r] = convert(src, tmp_path / "out")
    assert r.total == 99.4 and not_review(r.findings) == []
    out = openpyxl.load_workbook(r.output)
    assert r.output.name == "seed.scored.xlsx"
    assert out.sheetnames == ["评分结果", "项目信息", "绩效指标", "支出明细", "自编说明"]
    assert out["自编说明"]["A1"].value == "单位自己的表"
    assert [out["绩效指标"].cell(r, 7).value for r in range(2, 11)] == [10, 10, 20, 20, 10, 10, 5, 3, 2]


def test_xls_is_read_and_its_scored_copy_is_xlsx(tmp_path):
    pytest.importorskip("xlwt")
    src = _write_xls(_seed_frames(), tmp_path / "seed.xls")
    [r] = convert(src, tmp_path / "out")
    assert r.output.name == "seed.scored.xlsx" and r.total == 99.4
    assert openpyxl.load_workbook(r.output)["支出明细"]["B9"].value == "视频会议通信费及购置机柜等"


def test_dates_typed_as_text_and_as_excel_serials(build):
    payments = [
        ("2020年1月30日", "安装", 14.3),
        (43928, "话筒", 0.6),  # 43928 is 2020-04-07
        (dt.datetime(2020, 10, 25, 9, 30), "通信费", 17.98),
    ]
    wb = read_forms(build(payments=payments))[0]
    assert [p.date for p in wb.payments] == [dt.date(2020, 1, 30), dt.date(2020, 4, 7), dt.date(2020, 10, 25)]


def test_cells_without_references_are_placed_by_counting(build, tmp_path):
    # every cell of the table filled, so that counting positions is all a reader can do
    rows = [[*row[:4], "≥", row[5], "%", row[7], row[7], "无"] for row in SEED_INDICATORS]

    def formulas(wb):
        wb["绩效指标"]["F3"] = 0.94
        wb["绩效指标"]["F3"].number_format = "0%"
        wb["绩效指标"]["H4"] = "=10+10"  # openpyxl saves no value: never read as 0

    src = badfiles.without_refs(tmp_path / "norefs.xlsx", build(indicators=rows, extra=formulas))
    [r] = evaluate(src)
    assert r.indicators[1].indicator.actual == "94%"  # the percent format, found by position
    assert [(f.code, f.cell) for f in r.findings if f.code == "FORMULA_NO_VALUE"] == [("FORMULA_NO_VALUE", "H4")]


def test_a_units_own_sheet_named_like_ours_is_kept(build, tmp_path):
    def own(wb):
        ws = wb.create_sheet("评分结果", 0)
        ws["A1"] = "单位自己的评分表"

    [r] = convert(build(extra=own), tmp_path / "out")
    out = openpyxl.load_workbook(r.output)
    assert out.sheetnames[:2] == ["评分结果 (2)", "评分结果"]
    assert out["评分结果"]["A1"].value == "单位自己的评分表"
    [again] = convert(r.output, tmp_path / "again")  # scoring the scored copy replaces only our sheet
    assert openpyxl.load_workbook(again.output).sheetnames[:2] == ["评分结果 (2)", "评分结果"]


def _percent_frames():
    """The seed with one actual typed as 94% (a number 0.94 shown as a percentage) against ≥95%,
    and the ledger's dates as real dates."""
    frames = _seed_frames()
    frames["绩效指标"] = frames["绩效指标"].astype(object)
    frames["绩效指标"].iloc[3, 3] = "≥95%"
    frames["绩效指标"].iloc[3, 4] = 0.94
    frames["支出明细"] = pd.DataFrame(
        [["日期", "摘要", "金额"]] + [[dt.datetime.combine(d, dt.time()), s, a] for d, s, a in SEED_PAYMENTS]
    )
    return frames


# third indicator (20 points): 94 / 95 × 20 = 19.789… → 19.79; total 9.4 + 70 + 19.79 = 99.19
PERCENT_TOTAL = 99.19


def test_xls_percent_cells_and_dates(tmp_path):
    xlwt = pytest.importorskip("xlwt")
    percent, date = xlwt.easyxf(num_format_str="0%"), xlwt.easyxf(num_format_str="YYYY-MM-DD")
    src = _write_xls(
        _percent_frames(),
        tmp_path / "pct.xls",
        lambda value: percent if value == 0.94 else date if isinstance(value, dt.datetime) else None,
    )
    [r] = evaluate(src)
    assert r.indicators[2].indicator.actual == "94%"
    assert r.total == PERCENT_TOTAL
    assert [f.code for f in not_review(r.findings)] == ["MISSING_DEVIATION_REASON"]


def test_ods_percent_cells_and_dates(tmp_path):
    pytest.importorskip("odf")
    plain = _write_ods(_percent_frames(), tmp_path / "plain.ods")
    src = badfiles.rewrite(
        tmp_path / "pct.ods",
        {
            "content.xml": lambda d: d.replace(
                b'office:value-type="float" office:value="0.94"', b'office:value-type="percentage" office:value="0.94"'
            )
        },
        src=plain,
    )
    [r] = evaluate(src)
    assert r.indicators[2].indicator.actual == "94%"
    assert r.total == PERCENT_TOTAL
    assert [p.date for p in read_forms(src)[0].payments] == [d for d, _, _ in SEED_PAYMENTS]


def test_the_same_input_gives_the_same_scored_bytes(tmp_path, example):
    # email's send log keys on the scored copy's digest: converting again later must not look like a change
    pytest.importorskip("odf")
    pytest.importorskip("xlwt")
    inputs = [
        example,
        _write_ods(_seed_frames(), tmp_path / "seed.ods"),
        _write_xls(_seed_frames(), tmp_path / "seed2.xls"),
    ]
    first = [convert(p, tmp_path / "first")[0].output.read_bytes() for p in inputs]
    time.sleep(2.1)  # more than the two-second step of zip member times
    again = [convert(p, tmp_path / "again")[0].output.read_bytes() for p in inputs]
    assert first == again
