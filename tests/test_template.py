"""The standard template and the shipped example follow template.md and the seed report."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from xlsx_eval.write.template import write_template

SHIPPED = Path(__file__).resolve().parent.parent / "workbook_templates"
REGENERATE = (
    "请在项目根目录重新生成随附的工作簿 / regenerate the shipped workbooks from the project root:\n"
    '  python -c "from pathlib import Path; from xlsx_eval.write.template import write_template as w; '
    "w(Path('workbook_templates/template.xlsx')); "
    "w(Path('workbook_templates/example.xlsx'), example=True)\""
)

# From template.md.
SHEETS = ["填表说明", "项目信息", "绩效指标", "支出明细", "评价工作组", "问题与措施"]
HEADERS = {
    "项目信息": ["字段", "内容", "填写说明"],
    "绩效指标": [
        "一级指标",
        "二级指标",
        "三级指标",
        "指标性质",
        "年度指标值",
        "计量单位",
        "实际完成值",
        "分值",
        "自评得分",
        "偏差原因分析及改进措施",
        "指标值确定依据",
        "绩效指标描述",
    ],
    "支出明细": ["日期", "摘要", "金额", "支出类别", "凭证号", "备注"],
    "评价工作组": ["姓名", "工作单位", "职务", "职称", "分工"],
    "问题与措施": ["类别", "内容"],
}
REQUIRED_HEADERS = {
    "绩效指标": {"一级指标", "二级指标", "三级指标", "年度指标值", "分值"},
    "支出明细": {"日期", "摘要", "金额"},
    "评价工作组": {"姓名"},
    "问题与措施": set(),
}
PROJECT_LABELS = [
    "评价年度",
    "单位名称",
    "主管部门",
    "项目名称",
    "项目负责人",
    "联系人",
    "联系电话",
    "联系人邮箱",
    "评价依据",
    "项目概况",
    "年度总体目标",
    "目标完成情况",
    "自评组织工作",
    "自评方法和过程",
    "金额单位",
    "年初预算数",
    "全年预算数",
    "资金到位数",
    "其中财政资金",
    "全年执行数",
    "预算执行率分值",
]
REQUIRED_LABELS = {"评价年度", "单位名称", "项目名称", "全年预算数", "全年执行数"}
RED = "FFC00000"


@pytest.fixture(scope="module")
def blank(tmp_path_factory) -> Path:
    return write_template(tmp_path_factory.mktemp("blank") / "template.xlsx")


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> Path:
    return write_template(tmp_path_factory.mktemp("example") / "example.xlsx", example=True)


@pytest.fixture(params=["blank", "example"])
def both(request) -> Path:
    return request.getfixturevalue(request.param)


def _values(path: Path) -> dict[str, list[tuple]]:
    wb = openpyxl.load_workbook(path)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}


def _project(path: Path) -> dict[str, object]:
    ws = openpyxl.load_workbook(path)["项目信息"]
    return {row[0]: row[1] for row in ws.iter_rows(min_row=2, max_col=2, values_only=True)}


def _records(path: Path, sheet: str) -> list[dict[str, object]]:
    rows = list(openpyxl.load_workbook(path)[sheet].iter_rows(values_only=True))
    header = rows[0]
    return [dict(zip(header, row)) for row in rows[1:] if any(v is not None for v in row)]


@pytest.mark.parametrize(("shipped", "fixture"), [("template.xlsx", "blank"), ("example.xlsx", "example")])
def test_shipped_workbooks_are_what_write_template_writes(shipped, fixture, request):
    written = request.getfixturevalue(fixture)
    expected, actual = _values(written), _values(SHIPPED / shipped)
    assert list(actual) == list(expected), f"workbook_templates/{shipped}: 工作表不同。\n{REGENERATE}"
    for sheet, rows in expected.items():
        assert actual[sheet] == rows, f"workbook_templates/{shipped} 的 {sheet} 已过时。\n{REGENERATE}"


def test_sheets_in_order_with_the_guide_first_and_active(both):
    wb = openpyxl.load_workbook(both)
    assert wb.sheetnames == SHEETS
    assert wb.active.title == "填表说明"


def test_every_sheet_prints_on_a4_one_page_wide(both):
    # A4 whatever the printer's default (LibreOffice in a C locale would print Letter); the guide upright, the
    # tables landscape; as many pages long as the rows take (fitToWidth left out: the schema's default, 1)
    for ws in openpyxl.load_workbook(both):
        setup = ws.page_setup
        assert (setup.paperSize, setup.fitToWidth, setup.fitToHeight) == (9, None, 0), ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert setup.orientation == ("portrait" if ws.title == "填表说明" else "landscape"), ws.title


def test_header_rows_are_exactly_those_of_the_contract(both):
    wb = openpyxl.load_workbook(both)
    for sheet, header in HEADERS.items():
        ws = wb[sheet]
        assert [c.value for c in ws[1]] == header, sheet
        assert ws.freeze_panes == "A2", sheet


def test_required_columns_have_red_headers(blank):
    wb = openpyxl.load_workbook(blank)
    for sheet, required in REQUIRED_HEADERS.items():
        for cell in wb[sheet][1]:
            is_red = cell.font.color is not None and cell.font.color.rgb == RED
            assert is_red == (cell.value in required), f"{sheet}!{cell.coordinate}"
            assert cell.font.b


def test_project_labels_in_order_from_row_2(both):
    ws = openpyxl.load_workbook(both)["项目信息"]
    labels = [ws.cell(row, 1).value for row in range(2, 2 + len(PROJECT_LABELS))]
    assert labels == PROJECT_LABELS
    assert ws["A2"].value == "评价年度" and ws["A22"].value == "预算执行率分值"
    assert ws["A16"].value == "金额单位" and ws["A21"].value == "全年执行数"
    for row in range(2, 23):
        label = ws.cell(row, 1)
        assert (label.font.color is not None and label.font.color.rgb == RED) == (label.value in REQUIRED_LABELS), (
            label.value
        )
        assert ws.cell(row, 3).value, f"no hint for {label.value}"


def test_blank_template_holds_only_the_defaults(blank):
    project = _project(blank)
    assert project.pop("金额单位") == "万元"
    assert project.pop("预算执行率分值") == 10
    assert all(value is None for value in project.values()), project
    for sheet in ["绩效指标", "支出明细", "评价工作组", "问题与措施"]:
        assert _records(blank, sheet) == [], sheet


def _validations(path: Path, sheet: str) -> dict[str, str]:
    ws = openpyxl.load_workbook(path)[sheet]
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    return {str(dv.sqref): dv.formula1 for dv in lists}


def test_drop_down_lists(both):
    assert _validations(both, "绩效指标") == {
        "A2:A31": '"产出指标,效益指标,满意度指标,成本指标"',
        "D2:D31": '"≥,≤,=,定性,不适用"',
    }
    assert _validations(both, "评价工作组") == {"E2:E16": '"组长,成员"'}
    assert _validations(both, "项目信息") == {"B16": '"万元,元"'}
    assert _validations(both, "问题与措施") == {"A2:A16": '"问题,措施"'}


def test_no_formulas_anywhere(both):
    wb = openpyxl.load_workbook(both)
    formulas = [
        f"{ws.title}!{cell.coordinate}"
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]
    assert formulas == []


def test_created_date_is_fixed(both):
    assert openpyxl.load_workbook(both).properties.created == dt.datetime(2020, 1, 1)


def test_writes_atomically_leaving_only_the_destination(tmp_path):
    dest = tmp_path / "out" / "模板.xlsx"
    assert write_template(dest) == dest
    assert [p.name for p in dest.parent.iterdir()] == ["模板.xlsx"]


# ---- The example against seed-report.txt (figures taken from the report by hand) ----


def test_example_project_figures(example):
    project = _project(example)
    assert project["评价年度"] == 2020
    assert project["单位名称"] == "长安区委办公室"
    assert project["项目名称"] == "值班视频系统安装经费"
    assert project["评价依据"] == "《石家庄市财政支出绩效评价办法》（石财绩[2013]2号）"
    assert project["金额单位"] == "万元"
    assert project["年初预算数"] == 35
    assert project["全年预算数"] == 35
    assert project["资金到位数"] == 35
    assert project["其中财政资金"] == 35
    assert project["全年执行数"] == pytest.approx(32.88)
    assert project["预算执行率分值"] == 10
    assert project["年度总体目标"].splitlines() == [
        "对值班人员及其工作进行有效的监督和管理",
        "更好地开展值班工作",
    ]
    assert project["项目概况"].endswith("市委办公室要求安装全市统一的值班视频系统。")
    assert project["目标完成情况"].startswith("截至2020年12月")
    assert project["联系人邮箱"].endswith("@example.com")


def test_example_indicators(example):
    indicators = _records(example, "绩效指标")
    assert [(i["一级指标"], i["二级指标"], i["三级指标"], i["分值"]) for i in indicators] == [
        ("产出指标", "成本指标", "经费严格控制在预算内", 10),
        ("产出指标", "质量指标", "值班设备时刻处于工作状态并实时维护", 10),
        ("产出指标", "质量指标", "保证系统7*24小时运行", 20),
        ("效益指标", "可持续影响指标", "值班工作作为长期性日常性工作开展", 20),
        ("效益指标", "社会效益指标", "确保办公设备正常运转", 10),
        ("效益指标", "可持续影响指标", "做好服务保障，提高工作效率", 10),
        ("满意度指标", "服务对象满意度指标", "上级单位满意度", 5),
        ("满意度指标", "服务对象满意度指标", "值班人员对值班环境及系统使用方面满意度", 3),
        ("满意度指标", "服务对象满意度指标", "其他部门单位对本单位值班情况的满意度", 2),
    ]
    # With the 10 points of 预算执行率 the weights make 100.
    assert sum(i["分值"] for i in indicators) == 90
    for i in indicators:
        assert (i["指标性质"], i["年度指标值"], i["实际完成值"]) == ("≥", "100%", "100%")
        assert i["自评得分"] is None
        assert i["指标值确定依据"] == "市委办公室要求"


def test_example_ledger_adds_up_to_the_executed_amount(example):
    payments = _records(example, "支出明细")
    assert [(p["日期"], p["金额"]) for p in payments] == [
        (dt.datetime(2020, 1, 30), 14.3),
        (dt.datetime(2020, 1, 30), 4.82),
        (dt.datetime(2020, 1, 30), 8.11),
        (dt.datetime(2020, 4, 7), 0.6),
        (dt.datetime(2020, 5, 11), 1.3),
        (dt.datetime(2020, 6, 30), 1.62),
        (dt.datetime(2020, 7, 1), 0.13),
        (dt.datetime(2020, 10, 25), 2),
    ]
    assert round(sum(p["金额"] for p in payments), 2) == 32.88
    assert all(p["摘要"] and p["支出类别"] for p in payments)
    ws = openpyxl.load_workbook(example)["支出明细"]
    assert ws["A2"].number_format == "yyyy-mm-dd"


def test_example_team(example):
    team = _records(example, "评价工作组")
    assert [(m["姓名"], m["分工"]) for m in team] == [
        ("卢玉杰", "组长"),
        ("赵洪涛", "成员"),
        ("梅常青", "成员"),
        ("贾士恩", "成员"),
        ("张静", "成员"),
        ("刘敏", "成员"),
    ]
    assert {m["姓名"]: m["职务"] for m in team if m["职务"]} == {
        "卢玉杰": "常务副主任",
        "梅常青": "副主任",
        "刘敏": "二级主任科员",
    }
    assert {m["工作单位"] for m in team} == {"长安区委办公室"}


def test_example_problem_and_four_measures(example):
    issues = _records(example, "问题与措施")
    assert [i["类别"] for i in issues] == ["问题", "措施", "措施", "措施", "措施"]
    assert [i["内容"][:2] for i in issues[1:]] == ["一是", "二是", "三是", "四是"]
