"""Reading workbooks laid out as template.md says, and the findings for what is missing or unreadable."""

from conftest import SEED_INDICATORS, SEED_PAYMENTS, ind, not_review

from xlsx_eval import evaluate
from xlsx_eval.read import read_forms


def codes(result):
    return [(f.code, f.sheet, f.cell) for f in not_review(result.findings)]


def test_reads_the_shipped_example(example):
    wb = read_forms(example)[0]
    assert wb.project.year == 2020
    assert wb.project.unit == "长安区委办公室"
    assert wb.project.name == "值班视频系统安装经费"
    assert (wb.project.budget, wb.project.received, wb.project.fiscal, wb.project.executed) == (35, 35, 35, 32.88)
    assert wb.project.cells["executed"] == "B21"
    assert len(wb.indicators) == 9 and sum(i.weight for i in wb.indicators) == 90
    assert [p.amount for p in wb.payments] == [14.3, 4.82, 8.11, 0.6, 1.3, 1.62, 0.13, 2]
    assert [m.name for m in wb.team if m.role == "组长"] == ["卢玉杰"]
    assert len(wb.team) == 6
    assert [r.kind for r in wb.remarks] == ["问题", "措施", "措施", "措施", "措施"]


def test_every_value_remembers_its_cell(build):
    wb = read_forms(build())[0]
    first = wb.indicators[0]
    assert first.row == 2
    assert first.cells["actual"] == "F2" and first.cells["weight"] == "H2" and first.cells["claimed"] == "I2"
    assert wb.payments[7].cell("amount") == "C9"
    assert wb.project.cells["budget"] == "B7"


def test_groups_merged_down_or_left_blank_are_carried(build):
    rows = [
        ind("产出指标", "质量指标", "a", "≥100%", "100%", 30),
        ind(None, None, "b", "≥100%", "100%", 30),
        ind(None, "时效指标", "c", "≥100%", "100%", 10),
        ind("效益指标", None, "d", "≥100%", "100%", 20),
    ]

    def merge(wb):
        wb["绩效指标"].merge_cells("A2:A4")
        wb["绩效指标"].merge_cells("B2:B3")

    wb = read_forms(build(indicators=rows, extra=merge))[0]
    assert [(i.level1, i.level2) for i in wb.indicators] == [
        ("产出指标", "质量指标"),
        ("产出指标", "质量指标"),
        ("产出指标", "时效指标"),
        ("效益指标", None),
    ]


def test_title_rows_and_headers_with_stars_units_and_line_breaks(build):
    def retitle(wb):
        ws = wb["绩效指标"]
        ws.insert_rows(1, 2)
        ws["A1"] = "项目支出绩效自评表（2020年度）"
        ws["C3"] = "三级\n指标 *"
        ws["H3"] = "分值（分）"
        ledger = wb["支出明细"]
        ledger["C1"] = "金额（万元）"

    [r] = evaluate(build(extra=retitle))
    assert r.total == 99.4
    assert r.indicators[0].indicator.row == 4
    assert codes(r) == []


def test_total_rows_and_blank_rows_are_not_indicators(build):
    rows = SEED_INDICATORS[:4] + [[None] * 10] + SEED_INDICATORS[4:] + [ind(None, None, "合计", None, None, 90)]
    [r] = evaluate(build(indicators=rows))
    assert len(r.indicators) == 9 and r.total == 99.4


def test_missing_sheet(build):
    [r] = evaluate(build(omit_sheets=("绩效指标",)))
    assert not r.scored and r.total is None and r.grade is None
    assert codes(r) == [("MISSING_SHEET", "绩效指标", "")]
    assert "xlsx-eval template" in r.findings[0].message


def test_missing_column(build):
    def drop(wb):
        wb["绩效指标"]["H1"] = "备注"  # no 分值 column any more

    [r] = evaluate(build(extra=drop))
    assert not r.scored
    [f] = r.findings
    assert (f.code, f.sheet) == ("MISSING_COLUMN", "绩效指标")
    assert "分值" in f.message


def test_missing_field(build):
    [r] = evaluate(build(info={"全年预算数": None}))
    assert not r.scored
    assert codes(r) == [("MISSING_FIELD", "项目信息", "")]
    assert "全年预算数" in r.findings[0].message


def test_blank_required_field_points_at_its_cell(build):
    [r] = evaluate(build(info={"单位名称": " "}))
    assert codes(r) == [("MISSING_FIELD", "项目信息", "B3")]
    assert r.scored  # the unit's name is needed for the report, not for the score


def test_bad_numbers(build):
    rows = [list(x) for x in SEED_INDICATORS]
    rows[2][7] = "二十"
    [r] = evaluate(build(info={"全年预算数": "三十五万"}, indicators=rows))
    assert ("BAD_NUMBER", "项目信息", "B7") in codes(r)
    assert ("BAD_NUMBER", "绩效指标", "H4") in codes(r)
    assert not r.scored


def test_numbers_typed_as_text_are_read(build):
    [r] = evaluate(build(info={"全年预算数": "35", "全年执行数": "32.88万元", "资金到位数": "350,000元"}))
    assert r.funds.budget == 35 and r.funds.executed == 32.88 and r.funds.received == 35
    assert r.total == 99.4


def test_bad_target_missing_actual_unknown_level(build):
    rows = [
        ind("产出指标", "数量指标", "a", "≥百分百", "100%", 30, nature="≥"),
        ind("产出指标", "数量指标", "b", "≥100%", None, 30),
        ind("效益指标", "社会效益指标", "c", "效果明显", "还可以", 30, nature="定性"),
    ]
    [r] = evaluate(build(indicators=rows))
    assert codes(r) == [
        ("BAD_TARGET", "绩效指标", "D2"),
        ("MISSING_ACTUAL", "绩效指标", "F3"),
        ("UNKNOWN_LEVEL", "绩效指标", "F4"),
    ]
    assert "“≥百分百”" in r.findings[0].message and "≥100%" in r.findings[0].message
    assert [s.score for s in r.indicators] == [0.0, 0.0, 0.0]


def test_nature_and_target_that_disagree(build):
    [r] = evaluate(build(indicators=[ind("产出指标", "成本指标", "成本", "≥35万元", "30万元", 90, nature="≤")]))
    assert codes(r) == [("BAD_TARGET", "绩效指标", "D2")]


def test_full_width_and_look_alike_signs(build):
    rows = [
        ind("产出指标", "数量指标", "a", "＞＝５０个", "４７个", 30),  # full width: ≥ 50, 47 → 0.94 → 28.2
        ind("产出指标", "成本指标", "b", "≦35万元", "35万元", 30),  # look-alike ≤ → 30
        ind("产出指标", "质量指标", "c", "≥ 100 ％", "100%", 30),  # spaces and full-width % → 30
    ]
    [r] = evaluate(build(indicators=rows))
    assert [s.nature for s in r.indicators] == ["≥", "≤", "≥"]
    assert [s.score for s in r.indicators] == [28.2, 30.0, 30.0]


def test_bad_email(build):
    [r] = evaluate(build(info={"联系人邮箱": "office at example"}))
    assert codes(r) == [("BAD_EMAIL", "项目信息", "B5")]


def test_not_a_workbook_is_one_unreadable_finding(tmp_path):
    path = tmp_path / "notes.xlsx"
    path.write_text("这不是工作簿", encoding="utf-8")
    [r] = evaluate(path)
    assert not r.scored
    assert [f.code for f in r.findings] == ["UNREADABLE_FILE"]
    assert "另存为" in r.findings[0].message


def test_missing_file_is_unreadable(tmp_path):
    [r] = evaluate(tmp_path / "nope.xlsx")
    assert [f.code for f in r.findings] == ["UNREADABLE_FILE"]


def test_no_indicators_is_not_scored(build):
    [r] = evaluate(build(indicators=[]))
    assert not r.scored
    assert codes(r) == [("NO_INDICATORS", "绩效指标", "A2")]


def test_the_blank_template_says_what_to_fill(tmp_path):
    from xlsx_eval.write.template import write_template

    [r] = evaluate(write_template(tmp_path / "blank.xlsx"))
    assert not r.scored
    assert {f.code for f in r.findings} == {"MISSING_FIELD", "NO_INDICATORS", "NO_LEDGER"}
    assert sorted(f.cell for f in r.findings if f.code == "MISSING_FIELD") == ["B18", "B2", "B21", "B3", "B5"]


def test_a_copied_sheet_is_not_the_sheet(build):
    def copy_with_other_figures(wb):
        ws = wb.create_sheet("绩效指标 (2)")  # Excel's name for a copy of 绩效指标
        ws.append(["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值"])
        ws.append(["产出指标", "数量指标", "旧指标", "≥100", "1", 90])

    assert evaluate(build(extra=copy_with_other_figures))[0].total == 99.4


def test_text_that_pandas_would_take_for_missing_is_kept(build):
    rows = [list(x) for x in SEED_INDICATORS]
    rows[0][5] = "N/A"
    [r] = evaluate(build(info={"项目名称": "NA"}, indicators=rows))
    assert r.project.name == "NA"
    assert codes(r) == [("BAD_NUMBER", "绩效指标", "F2")]  # "N/A" is text, not a blank cell


def test_formula_error_and_unsaved_formula_are_reported_where_used(build):
    def formulas(wb):
        wb["项目信息"]["B8"] = "#DIV/0!"  # openpyxl stores it as an error value
        wb["项目信息"]["B10"] = "=SUM(支出明细!C2:C9)"  # openpyxl saves no value for it
        wb["绩效指标"]["A12"] = "合计"
        wb["绩效指标"]["H12"] = "=SUM(H2:H10)"  # not read: a 合计 row
        total = len(SEED_PAYMENTS) + 2  # the ledger's own 合计 row below its payments, its sum never read either
        wb["支出明细"][f"B{total}"] = "合计"
        wb["支出明细"][f"C{total}"] = f"=SUM(C2:C{total - 1})"

    [r] = evaluate(build(extra=formulas))
    assert codes(r) == [("FORMULA_ERROR", "项目信息", "B8"), ("FORMULA_NO_VALUE", "项目信息", "B10")]
    assert "#DIV/0!" in r.findings[0].message
    assert not r.scored  # 全年执行数 has no value to score with


def test_a_number_too_large_for_any_form_is_a_bad_number(build):
    rows = [list(x) for x in SEED_INDICATORS]
    rows[0][7] = 1e27
    [r] = evaluate(build(indicators=rows))
    assert ("BAD_NUMBER", "绩效指标", "H2") in codes(r)
    assert r.scored


def test_weights_and_proposed_scores_that_are_not_positive(build):
    rows = [list(x) for x in SEED_INDICATORS]
    rows[0][7] = 0
    rows[1][8] = 0  # a proposed score of 0 is a number like any other
    rows[2][8] = "不适用"  # what a scored copy holds for an indicator left out
    [r] = evaluate(build(indicators=rows))
    assert [c for c in codes(r) if c[0] == "BAD_NUMBER"] == [("BAD_NUMBER", "绩效指标", "H2")]
    assert "应大于0" in r.findings[0].message
