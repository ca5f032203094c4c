"""The national 项目支出绩效自评表 written from a scored form (national-form.md §What comes back).

The seed's case is built by hand: 全年预算数 35, 全年执行数 32.88, 执行率 94%, 预算执行 9.4 of 10, nine
indicators at full marks, 总分 99.4, 优秀. With no 指标性质 or 计量单位 written, the form has columns A (block
labels) to I, and the seed's rows fall as listed in SEED_LAYOUT.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pytest
from conftest import SEED_INDICATORS, soffice

from xlsx_eval.model import Funds, Indicator, IndicatorScore, Project, Remark, Result
from xlsx_eval.pipeline import evaluate
from xlsx_eval.write.national_form import write_national_form

GOALS = "对值班人员及其工作进行有效的监督和管理\n更好地开展值班工作"
GOALS_MET = (
    "截至2020年12月，市委办公室要求的值班视频系统已安装完成，并且保持7*24小时不间断运行，"
    "保证系统音视频设备均可正常使用，实现了与上级值班室的实时联通。"
)
PROBLEM = "值班视频系统安装系统经费项目所有绩效目标执行情况均已达到年初目标,未发现明显问题。"
MEASURES = [
    "一是加强预算支出管理，严格控制成本，进一步完善经费支出的审批环节。",
    "二是加强值班工作的督导和管理，提高工作效率。",
]

# label or value → its cell on the seed's form
SEED_LAYOUT = {
    "A1": "项目支出绩效自评表",
    "A2": "（2020年度）",
    "A3": "项目名称",
    "B3": "值班视频系统安装经费",
    "A4": "主管部门",
    "B4": "中共石家庄市长安区委员会",
    "E4": "实施单位",
    "F4": "长安区委办公室",
    "A5": "项目资金\n（万元）",  # broken before the unit; labels are read without their line breaks
    "D5": "年初预算数",
    "E5": "全年预算数",
    "F5": "全年执行数",
    "G5": "分值",
    "H5": "执行率",
    "I5": "得分",
    "B6": "年度资金总额",
    "B7": "其中：当年财政拨款",
    "B8": "上年结转资金",
    "B9": "其他资金",
    "A10": "年度总体目标",
    "B10": "预期目标",
    "E10": "实际完成情况",
    "B11": GOALS,
    "E11": GOALS_MET,
    "A12": "绩效指标",
    "B12": "一级指标",
    "C12": "二级指标",
    "D12": "三级指标",
    "E12": "年度指标值",
    "F12": "实际完成值",
    "G12": "分值",
    "H12": "得分",
    "I12": "偏差原因分析及改进措施",
    "A22": "总分",
    "A23": "自评等级",
    "G23": "优秀",
    "A24": "存在问题",
    "B24": PROBLEM,
    "A25": "改进措施",
    "B25": "\n".join(MEASURES),
    "A26": "自评结论",
    "A27": "联系人",
    "B27": "张静",
    "E27": "联系电话",
    "F27": "0311-86012345",
}
LAST_CELL = "I27"


def seed_project(**changes) -> Project:
    project = Project(
        year=2020,
        unit="长安区委办公室",
        department="中共石家庄市长安区委员会",
        name="值班视频系统安装经费",
        contact="张静",
        phone="0311-86012345",
        goals=GOALS,
        goals_met=GOALS_MET,
        money_unit="万元",
        initial_budget=35,
        budget=35,
        received=35,
        fiscal=35,
        executed=32.88,
        execution_weight=10,
    )
    return replace(project, **changes)


def seed_scores() -> list[IndicatorScore]:
    scores = []
    for row, (level1, level2, name, target, nature, actual, unit, weight, claimed, reason) in enumerate(
        SEED_INDICATORS, start=2
    ):
        indicator = Indicator(row, level1, level2, name, nature, target, unit, actual, weight, claimed, reason)
        scores.append(IndicatorScore(indicator, "≥", float(weight), applicable=True))
    return scores


def seed_result(project: Project, scores: list[IndicatorScore] | None = None, **changes) -> Result:
    funds = Funds(
        unit=project.money_unit,
        budget=project.budget,
        received=project.received,
        fiscal=project.fiscal,
        executed=project.executed,
        ledger_total=32.88,
        execution_rate=94.0,
    )
    result = Result(
        file=Path("seed.xlsx"),
        output=None,
        scored=True,
        project=project,
        funds=funds,
        execution_weight=10.0,
        execution_score=9.4,
        indicators=seed_scores() if scores is None else scores,
        total=99.4,
        grade="优秀",
        findings=[],
    )
    return replace(result, **changes)


def seed_form(project: Project) -> SimpleNamespace:
    """What the writer takes from the reader's record: the project and its 问题与措施."""
    remarks = [Remark("问题", PROBLEM), *(Remark("措施", m) for m in MEASURES)]
    return SimpleNamespace(project=project, remarks=remarks)


def export(tmp_path: Path, name: str = "seed.xlsx", project: Project | None = None, **result_changes) -> Path:
    project = project or seed_project()
    return write_national_form(seed_form(project), seed_result(project, **result_changes), tmp_path / name)


@pytest.fixture
def sheet(tmp_path):
    wb = openpyxl.load_workbook(export(tmp_path))
    assert wb.sheetnames == ["项目支出绩效自评表"]
    return wb.active


def test_labels_stand_in_their_cells(sheet):
    for cell, text in SEED_LAYOUT.items():
        assert sheet[cell].value == text, cell


def test_the_money_block_holds_the_computed_execution(sheet):
    assert [sheet[f"{c}6"].value for c in "DEFGHI"] == [35, 35, 32.88, 10, 0.94, 9.4]
    assert sheet["H6"].number_format == "0%"
    assert sheet["D6"].number_format == "#,##0.00"
    # wholly fiscal: 当年财政拨款 repeats the total row, the other 其中 rows are dashes
    assert [sheet[f"{c}7"].value for c in "DEFGHI"] == [35, 35, 32.88, "—", "—", "—"]
    for row in (8, 9):
        assert [sheet[f"{c}{row}"].value for c in "DEFGHI"] == ["—"] * 6


def test_every_indicator_has_its_row_and_computed_score(sheet):
    for i, (_level1, _level2, name, target, _nature, actual, _unit, weight, *_rest) in enumerate(SEED_INDICATORS):
        row = 13 + i
        assert sheet[f"D{row}"].value == name
        assert sheet[f"E{row}"].value == target == "≥100%"  # as the unit wrote it, text
        assert sheet[f"F{row}"].value == actual
        assert sheet[f"G{row}"].value == weight
        assert sheet[f"H{row}"].value == weight  # full marks
    assert sheet["B13"].value == "产出指标" and sheet["B16"].value == "效益指标" and sheet["B19"].value == "满意度指标"
    assert [sheet[f"C{r}"].value for r in (13, 14, 16, 17, 18, 19)] == [
        "成本指标",
        "质量指标",
        "可持续影响指标",
        "社会效益指标",
        "可持续影响指标",
        "服务对象满意度指标",
    ]
    assert sheet["G22"].value == 100 and sheet["H22"].value == 99.4
    assert "99.4" in sheet["B26"].value and "优秀" in sheet["B26"].value


def test_merged_ranges(sheet):
    merged = {str(r) for r in sheet.merged_cells.ranges}
    expected = {
        "A1:I1",  # title
        "A2:I2",  # year
        "B3:I3",  # 项目名称's value
        "A5:A9",  # 项目资金（万元）, over the header and the four rows
        "B6:C6",
        "B7:C7",
        "A10:A11",  # 年度总体目标
        "B10:D10",
        "E10:I10",
        "A12:A21",  # 绩效指标
        "B13:B15",  # 产出指标
        "B16:B18",  # 效益指标
        "B19:B21",  # 满意度指标
        "C14:C15",  # 质量指标
        "C19:C21",  # 服务对象满意度指标
        "A22:F22",  # 总分
        "B24:I24",
    }
    assert expected <= merged
    assert "C16:C18" not in merged  # 可持续影响指标 twice, not in one run


def test_fonts_are_songti(sheet):
    title = sheet["A1"].font
    assert title.name == "宋体" and title.bold and title.size == 16
    assert sheet["A2"].alignment.horizontal == "center"
    for row in sheet["A1:" + LAST_CELL]:
        for cell in row:
            if cell.value is not None:
                assert cell.font.name == "宋体", cell.coordinate
                assert cell.font.charset == 134, cell.coordinate  # GB2312: Excel takes 宋体 for CJK too
    assert sheet["D12"].alignment.horizontal == "center" and sheet["D12"].alignment.wrap_text


def test_every_cell_of_the_form_has_a_thin_border(sheet):
    """Every cell from 项目名称 down is boxed; a merged range as a whole (openpyxl keeps a merged cell's
    borders on the range's edges only)."""
    ranges = list(sheet.merged_cells.ranges)
    for row in sheet["A3:" + LAST_CELL]:
        for cell in row:
            r, c = cell.row, cell.column
            span = next((m for m in ranges if cell.coordinate in m), None)
            top, left, bottom, right = (
                (r, c, r, c) if span is None else (span.min_row, span.min_col, span.max_row, span.max_col)
            )
            b = cell.border
            edges = {"left": c == left, "right": c == right, "top": r == top, "bottom": r == bottom}
            for side, edge in edges.items():
                if edge:
                    assert getattr(b, side).style == "thin", f"{cell.coordinate} {side}"
    assert sheet["J27"].border.left.style is None  # nothing outside the form


def test_page_setup_is_print_ready(sheet):
    assert sheet.page_setup.paperSize == 9  # A4
    assert sheet.page_setup.orientation == "portrait"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert (sheet.page_setup.fitToWidth or 1, sheet.page_setup.fitToHeight) == (1, 0)  # 1 wide is the default
    assert sheet.print_title_rows == "$1:$2"
    assert sheet.print_area == f"'项目支出绩效自评表'!$A$1:${LAST_CELL[0]}${LAST_CELL[1:]}"
    assert not sheet.sheet_view.showGridLines and not sheet.print_options.gridLines
    m = sheet.page_margins
    assert [round(x * 2.54, 1) for x in (m.left, m.right, m.top, m.bottom)] == [1.5] * 4
    # wrapped text gets taller rows: the indicator whose name takes two lines, the goals' texts
    assert sheet.row_dimensions[20].height > sheet.row_dimensions[13].height
    assert sheet.row_dimensions[11].height >= 3 * 15


def test_the_same_call_writes_the_same_bytes(tmp_path):
    assert export(tmp_path, "a.xlsx").read_bytes() == export(tmp_path, "b.xlsx").read_bytes()


def test_written_atomically(tmp_path):
    export(tmp_path, "seed.xlsx")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seed.xlsx"]


def test_partly_fiscal_rows_add_up_to_the_total(tmp_path):
    ws = openpyxl.load_workbook(export(tmp_path, project=seed_project(fiscal=30))).active
    assert [ws[f"{c}7"].value for c in "DEF"] == ["—", 30, "—"]  # how 30 was spent is not known
    assert [ws[f"{c}9"].value for c in "DEF"] == ["—", 5, "—"]  # 其他资金: the remainder
    assert ws["E7"].value + ws["E9"].value == ws["E6"].value


def test_unknown_fiscal_is_a_dash(tmp_path):
    ws = openpyxl.load_workbook(export(tmp_path, project=seed_project(fiscal=None))).active
    assert [ws[f"{c}{r}"].value for r in (7, 8, 9) for c in "DEF"] == ["—"] * 9


def test_money_in_yuan_and_a_project_code(tmp_path):
    project = seed_project(money_unit="元", budget=350000, executed=328800, initial_budget=350000, fiscal=350000)
    project.code = "13010220200001"  # type: ignore[attr-defined]  # a field Project may add later
    ws = openpyxl.load_workbook(export(tmp_path, project=project)).active
    assert (ws["A4"].value, ws["B4"].value) == ("项目编码", "13010220200001")
    assert ws["A6"].value == "项目资金\n（元）"
    assert (ws["F7"].value, ws["F8"].value) == (328800, 328800)  # 全年执行数, all of it fiscal


def test_nature_and_unit_columns_when_the_unit_wrote_them(tmp_path):
    scores = seed_scores()
    dropped = scores[2]
    scores[2] = IndicatorScore(replace(dropped.indicator, nature="不适用"), None, None, applicable=False)
    scores[0] = replace(scores[0], indicator=replace(scores[0].indicator, unit="%"))
    ws = openpyxl.load_workbook(export(tmp_path, scores=scores, total=99.3)).active
    header = [ws.cell(12, c).value for c in range(1, 12)]
    assert header == [
        "绩效指标",
        "一级指标",
        "二级指标",
        "三级指标",
        "指标性质",
        "年度指标值",
        "计量单位",
        "实际完成值",
        "分值",
        "得分",
        "偏差原因分析及改进措施",
    ]
    assert (ws["E15"].value, ws["J15"].value) == ("不适用", "不适用")
    assert ws["G13"].value == "%"
    # the money block's figures keep the table's widths: 年初预算数 over 三级指标 and 指标性质, 全年预算数 over
    # 年度指标值 and 计量单位, then one column each
    assert [ws[f"{c}5"].value for c in "DFHIJK"] == ["年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"]
    assert {"D5:E5", "F5:G5", "D6:E6", "F6:G6"} <= {str(r) for r in ws.merged_cells.ranges}
    assert [ws[f"{c}6"].value for c in "DFHIJK"] == [35, 35, 32.88, 10, 0.94, 9.4]
    assert "不适用" in ws["B26"].value


needs_office = pytest.mark.skipif(
    any(shutil.which(tool) is None for tool in ("soffice", "pdfinfo", "pdftotext", "pdftoppm")),
    reason="LibreOffice (soffice) or poppler-utils not installed",
)


@needs_office
def test_prints_as_one_a4_page(tmp_path):
    pdf = soffice(export(tmp_path), tmp_path / "pdf", "pdf")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Pages:\s+1$", info, re.M)
    size = next(line for line in info.splitlines() if line.startswith("Page size:"))
    assert "595" in size and ("841" in size or "842" in size)  # A4 portrait, in points
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for words in (
        "项目支出绩效自评表",
        "值班视频系统安装经费",
        "99.4",
        "94%",
        "上级单位满意度",
        "联系电话",
    ):
        assert words in text
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")], check=True)
    assert (tmp_path / "page-1.png").stat().st_size > 10_000


def test_reading_the_export_back_gives_the_same_result(tmp_path):
    [result] = evaluate(export(tmp_path))
    assert (result.layout, result.sheet) == ("national", "项目支出绩效自评表")
    assert (result.total, result.grade) == (99.4, "优秀")
    assert (result.funds.execution_rate, result.execution_score) == (94.0, 9.4)
    assert [s.score for s in result.indicators] == [float(row[7]) for row in SEED_INDICATORS]
    # the export's own figures are ours: no claim differs, no 其中 row disagrees
    codes = {f.code for f in result.findings}
    assert not codes & {
        "CLAIMED_SCORE_MISMATCH",
        "CLAIMED_TOTAL_MISMATCH",
        "EXECUTION_RATE_MISMATCH",
        "FUNDS_ROWS_MISMATCH",
    }
