"""The standard self-evaluation workbook of template.md, blank or with the seed's case in it."""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from xlsx_eval.files import atomic_path
from xlsx_eval.layouts.workbook import PROJECT_FIELDS, TABLES, Table
from xlsx_eval.model import SHEET_HELP as GUIDE
from xlsx_eval.model import SHEET_INDICATORS as INDICATORS
from xlsx_eval.model import SHEET_INFO as PROJECT
from xlsx_eval.model import SHEET_LEDGER as LEDGER
from xlsx_eval.model import SHEET_PROBLEMS as ISSUES
from xlsx_eval.model import SHEET_TEAM as TEAM

INPUT_FILL = "#FFF2CC"  # light yellow: where staff type
TOOL_FILL = "#E2EFDA"  # light green: 自评得分, filled by the tool
HEADER_FILL = "#D9D9D9"
REQUIRED_RED = "#C00000"
GRID = "#A6A6A6"

# Wrapped text written by a program does not make its row taller when the file is opened
# (LibreOffice keeps the default height), so rows with more lines get an estimated height.
LINE_HEIGHT = 15.5  # points per line of 11-point text

# Fixed so that the same call always writes the same workbook.
CREATED = dt.datetime(2020, 1, 1)


# Cell kinds, each with its number format. "literal" is Excel's text format (@): what is
# typed stays as typed, so "=1套" or "=" is not taken for a formula and "100%" stays "100%".
NUM_FORMATS = {
    "text": None,
    "literal": "@",
    "amount": "0.00",
    "int": "0",
    "date": "yyyy-mm-dd",
}


PROJECT_HEADER = ("字段", "内容", "填写说明")
PROJECT_WIDTHS = (16, 64, 56)

SCORE_COLUMN = "自评得分"
SCORE_NOTE = (
    "自评得分由工具计算后填写，可留空。\n"
    "定性指标可填写本单位的建议得分（达成 80%–100%、部分达成 60%–80%、未达成 0–60% 的分值）。"
)


def _choice(values: list[str], title: str, message: str, strict: bool = True) -> dict:
    return {
        "validate": "list",
        "source": values,
        "input_title": title,
        "input_message": message,
        "error_type": "stop" if strict else "warning",
        "error_title": title,
        "error_message": "请从下拉列表中选择：" + "、".join(values),
    }


def _hint(title: str, message: str) -> dict:
    """An input message only: shown when the cell is selected, accepts anything."""
    return {"validate": "any", "input_title": title, "input_message": message}


def _number(title: str, message: str, criteria: str = ">=", value: float = 0) -> dict:
    return {
        "validate": "decimal",
        "criteria": criteria,
        "value": value,
        "input_title": title,
        "input_message": message,
        "error_title": title,
        "error_message": "请填写数字，不带单位。",
    }


NATURES = ["≥", "≤", "=", "定性", "不适用"]
LEVELS1 = ["产出指标", "效益指标", "满意度指标", "成本指标"]
ROLES = ["组长", "成员"]
MONEY_UNITS = ["万元", "元"]
ISSUE_KINDS = ["问题", "措施"]

# Validations over each table's input rows, by column name.
TABLE_VALIDATIONS = {
    INDICATORS: {
        # A warning, not a stop: published forms also use names such as 效果指标.
        "一级指标": _choice(LEVELS1, "一级指标", "请选择：产出指标、效益指标、满意度指标、成本指标", strict=False),
        "指标性质": _choice(
            NATURES,
            "指标性质",
            "≥ 越高越好；≤ 越低越好；= 须恰好达到；定性 按等级评价；不适用 本年度不评价。留空则按年度指标值判断。",
        ),
        "年度指标值": _hint("年度指标值", "如 ≥100%、≤35万元、=1套、7*24小时，或定性描述如“效果明显”"),
        "实际完成值": _hint(
            "实际完成值",
            "填数字或百分比（如 94%）；定性指标填 达成预期指标、部分达成 或 未达成；本年度不评价填 不适用。",
        ),
        "分值": _number("分值", "该指标的分值，大于 0；各指标分值加预算执行率分值应为 100。", ">", 0),
        "自评得分": _hint("自评得分", "由工具计算填写，可留空；定性指标可填本单位的建议得分。"),
    },
    LEDGER: {
        "日期": {
            "validate": "date",
            "criteria": "between",
            "minimum": dt.datetime(2000, 1, 1),
            "maximum": dt.datetime(2099, 12, 31),
            "input_title": "日期",
            "input_message": "支付日期，如 2020-01-30",
            "error_title": "日期",
            "error_message": "请填写日期，如 2020-01-30。",
        },
        "金额": _hint("金额", "填数字，单位同项目信息中的金额单位（默认万元）；退款填负数。"),
    },
    TEAM: {"分工": _choice(ROLES, "分工", "组长 或 成员")},
    ISSUES: {"类别": _choice(ISSUE_KINDS, "类别", "问题 或 措施；每条问题、每条措施各占一行")},
}

PROJECT_VALIDATIONS = {
    "评价年度": {
        "validate": "integer",
        "criteria": "between",
        "minimum": 2000,
        "maximum": 2099,
        "input_title": "评价年度",
        "input_message": "四位数字，如 2020",
        "error_title": "评价年度",
        "error_message": "请填写四位数字年份，如 2020。",
    },
    "金额单位": _choice(MONEY_UNITS, "金额单位", "万元 或 元，适用于本工作簿中的所有金额"),
    "年初预算数": _number("年初预算数", "填数字，不带单位"),
    "全年预算数": _number("全年预算数", "填数字，不带单位，须大于 0", ">", 0),
    "资金到位数": _number("资金到位数", "填数字，不带单位"),
    "其中财政资金": _number("其中财政资金", "填数字，不带单位"),
    "全年执行数": _number("全年执行数", "填数字，不带单位；应等于支出明细金额合计"),
    "预算执行率分值": _number("预算执行率分值", "默认 10 分"),
}

# 填表说明: (style, text) lines in one wide column.
GUIDE_LINES = (
    ("title", "财政支出项目绩效自评工作簿 填表说明"),
    ("text", "本工作簿按工作表分项填写，填好后交由自评工具核对、评分并生成自评报告。"),
    ("blank", ""),
    ("heading", "通用约定"),
    ("required", "红色表头（或红色字段名）为必填项，其余为选填。"),
    ("input", "浅黄色单元格为填写区域。"),
    ("tool", "浅绿色的“自评得分”列由工具计算填写。"),
    ("text", "所有金额均以“项目信息”中的金额单位计（默认万元），只填数字，不带单位。"),
    ("text", "请勿修改工作表名称和表头文字。本工作簿以外另加的工作表会原样保留，不参与评分。"),
    ("blank", ""),
    ("heading", "项目信息"),
    ("text", "A 列为字段名，B 列填写内容，C 列为填写说明。"),
    ("text", "评价年度填四位数字，如 2020；金额单位从下拉列表选择“万元”或“元”。"),
    ("text", "年初预算数、全年预算数、资金到位数、其中财政资金、全年执行数只填数字。"),
    ("text", "全年执行数必须等于“支出明细”表中金额的合计。"),
    ("text", "预算执行率分值默认 10 分；各绩效指标的分值加上预算执行率分值应合计 100 分。"),
    ("text", "年度总体目标每行一条，单元格内换行按 Alt+Enter。联系人邮箱用于接收评分后的工作簿。"),
    ("blank", ""),
    ("heading", "绩效指标"),
    ("text", "每行填一个三级指标。一级指标、二级指标可逐行填写，也可只填在每组的第一行。"),
    ("text", "一级指标：产出指标、效益指标、满意度指标、成本指标（成本指标也可作为产出指标下的二级指标）。"),
    ("text", "二级指标如：数量指标、质量指标、时效指标、成本指标、社会效益指标、可持续影响指标、服务对象满意度指标。"),
    ("text", "年度指标值填目标值，如“≥100%”“≤35万元”“=1套”“7*24小时”，或定性描述如“效果明显”。"),
    (
        "text",
        "指标性质：≥ 表示越高越好；≤ 表示越低越好；= 表示须恰好达到；定性 表示按达成程度评价；"
        "不适用 表示本年度不评价（其分值不计，总分按比例折算为百分制）。留空则根据年度指标值判断。",
    ),
    ("text", "计量单位填目标值和实际完成值的单位，如 %、个、万元、小时。"),
    (
        "text",
        "实际完成值填数字或百分比（如“94%”）；定性指标填“达成预期指标”“部分达成”或“未达成”；本年度不评价的填“不适用”。",
    ),
    ("text", "分值填该指标的权重（大于 0 的数字）。"),
    (
        "text",
        "自评得分由工具计算填写，可留空。定性指标可填写本单位的建议得分：达成为分值的 80%–100%，"
        "部分达成为 60%–80%，未达成为 0–60%。",
    ),
    ("text", "未达到目标的指标，请在“偏差原因分析及改进措施”中说明原因和改进办法。"),
    ("blank", ""),
    ("heading", "支出明细"),
    ("text", "每笔支出一行：日期（如 2020-01-30）、摘要、金额（按金额单位，只填数字），支出类别、凭证号、备注选填。"),
    ("text", "退款或红字冲销填负数；金额合计应等于项目信息中的全年执行数。"),
    ("blank", ""),
    ("heading", "评价工作组"),
    ("text", "每人一行：姓名、工作单位、职务、职称，分工从下拉列表选择“组长”或“成员”。"),
    ("blank", ""),
    ("heading", "问题与措施"),
    ("text", "类别选择“问题”或“措施”，内容写一条问题或一条改进措施；每条各占一行。"),
)
GUIDE_WIDTH = 88

# ---- The seed's case (seed-report.txt) ----

EXAMPLE_TITLE = "值班视频系统安装经费 绩效自评工作簿（示例）"
TEMPLATE_TITLE = "财政支出项目绩效自评工作簿"

EXAMPLE_PROJECT = {
    "评价年度": 2020,
    "单位名称": "长安区委办公室",
    "项目名称": "值班视频系统安装经费",
    "联系人邮箱": "changan-qwb@example.com",
    "评价依据": "《石家庄市财政支出绩效评价办法》（石财绩[2013]2号）",
    "项目概况": (
        "为了更好的开展值班工作，加强上级对本单位值班工作的监督和管理，提高通知信息等的传达效率，"
        "市委办公室要求安装全市统一的值班视频系统。"
    ),
    "年度总体目标": "对值班人员及其工作进行有效的监督和管理\n更好地开展值班工作",
    "目标完成情况": (
        "截至2020年12月，市委办公室要求的值班视频系统已安装完成，并且保持7*24小时不间断运行，"
        "保证系统音视频设备均可正常使用，实现了与上级值班室的实时联通，"
        "满足了上级单位对我单位值班工作进行监督管理的需求。此外，在购置相关设备时，尽量降低成本，"
        "使各项支出严格控制在预算范围内。"
    ),
    # The report's "由以下人员构成:" and its name list are left out: the names live in 评价工作组.
    "自评组织工作": (
        "按照绩效自评工作要求，我单位及时成立了区委办财政绩效自评工作领导小组。\n"
        "由领导小组对2020年财政预算项目支出执行情况进行绩效自评，对内设机构根据部门职能和"
        "年初制定的绩效考核目标进行实地绩效考评。对考评过程中收集的资料进行归纳汇总分析，"
        "依据设定的单位整体支出绩效评价指标体系进行评分。"
    ),
    "自评方法和过程": (
        "按照重点项目绩效自评工作要求，我单位对值班视频系统安装项目经费进行绩效自评，"
        "由领导小组对办公室值班期间各项工作的完成情况进行考评，同时向上级收集资料信息，"
        "征集上级单位对本单位值班情况的满意度，最终对本单位的值班工作进行综合性评价。"
    ),
    "金额单位": "万元",
    "年初预算数": 35,
    "全年预算数": 35,
    "资金到位数": 35,
    "其中财政资金": 35,
    "全年执行数": 32.88,
    "预算执行率分值": 10,
}

# (一级指标, 二级指标, 三级指标, 分值, 绩效指标描述); every one is "≥100%", met at 100%.
_SEED_INDICATORS = (
    ("产出指标", "成本指标", "经费严格控制在预算内", 10, None),
    ("产出指标", "质量指标", "值班设备时刻处于工作状态并实时维护", 10, None),
    (
        "产出指标",
        "质量指标",
        "保证系统7*24小时运行",
        20,
        "通过日常维护做到值班视频系统7*24小时正常运行，保证与上级单位的连通",
    ),
    (
        "效益指标",
        "可持续影响指标",
        "值班工作作为长期性日常性工作开展",
        20,
        "值班工作作为一项长期性工作，视频系统能够保证值班工作的正常开展，提高工作质量",
    ),
    ("效益指标", "社会效益指标", "确保办公设备正常运转", 10, None),
    ("效益指标", "可持续影响指标", "做好服务保障，提高工作效率", 10, None),
    (
        "满意度指标",
        "服务对象满意度指标",
        "上级单位满意度",
        5,
        "要求值班人员能够保证在岗在位，保证与上级单位的连通",
    ),
    ("满意度指标", "服务对象满意度指标", "值班人员对值班环境及系统使用方面满意度", 3, None),
    ("满意度指标", "服务对象满意度指标", "其他部门单位对本单位值班情况的满意度", 2, None),
)
EXAMPLE_INDICATORS = [
    {
        "一级指标": level1,
        "二级指标": level2,
        "三级指标": name,
        "指标性质": "≥",
        "年度指标值": "100%",
        "计量单位": "%",
        "实际完成值": "100%",
        "分值": weight,
        "指标值确定依据": "市委办公室要求",
        "绩效指标描述": description,
    }
    for level1, level2, name, weight, description in _SEED_INDICATORS
]

_SEED_PAYMENTS = (
    (dt.datetime(2020, 1, 30), "值班室视频系统安装经费", 14.3, "安装费"),
    (dt.datetime(2020, 1, 30), "候会议室视频系统安装经费", 4.82, "安装费"),
    (dt.datetime(2020, 1, 30), "购置会议室音频设备", 8.11, "设备购置"),
    (dt.datetime(2020, 4, 7), "购置值班室无线话筒", 0.6, "设备购置"),
    (dt.datetime(2020, 5, 11), "制作值班室制度标牌", 1.3, "其他"),
    (dt.datetime(2020, 6, 30), "购置应急值守电视", 1.62, "设备购置"),
    (dt.datetime(2020, 7, 1), "购置音视频线", 0.13, "设备购置"),
    (dt.datetime(2020, 10, 25), "视频会议通信费及购置机柜等", 2, "通信费"),
)
EXAMPLE_LEDGER = [
    {"日期": date, "摘要": summary, "金额": amount, "支出类别": category}
    for date, summary, amount, category in _SEED_PAYMENTS
]

_SEED_UNIT = "长安区委办公室"
EXAMPLE_TEAM = [
    {"姓名": "卢玉杰", "工作单位": _SEED_UNIT, "职务": "常务副主任", "分工": "组长"},
    {"姓名": "赵洪涛", "工作单位": _SEED_UNIT, "分工": "成员"},
    {"姓名": "梅常青", "工作单位": _SEED_UNIT, "职务": "副主任", "分工": "成员"},
    {"姓名": "贾士恩", "工作单位": _SEED_UNIT, "分工": "成员"},
    {"姓名": "张静", "工作单位": _SEED_UNIT, "分工": "成员"},
    {"姓名": "刘敏", "工作单位": _SEED_UNIT, "职务": "二级主任科员", "分工": "成员"},
]

EXAMPLE_ISSUES = [
    {"类别": "问题", "内容": "值班视频系统安装系统经费项目所有绩效目标执行情况均已达到年初目标,未发现明显问题。"},
    {"类别": "措施", "内容": "一是加强预算支出管理，严格控制成本，进一步完善经费支出的审批环节。"},
    {
        "类别": "措施",
        "内容": (
            "二是加强值班工作的督导和管理，提高工作效率。值班视频系统以及其他值班工作相关系统设备"
            "使用都应做到应知应会，使值班期间的日常工作得到有效运转。"
        ),
    },
    {
        "类别": "措施",
        "内容": (
            "三是加强收集对值班情况的意见反馈。值班工作情况反馈包括上级单位、其他部门或单位以及"
            "本单位值班人员的意见建议，从而进一步提高本单位值班工作的质量。"
        ),
    },
    {
        "类别": "措施",
        "内容": (
            "四是加强对经费支出的监控和绩效考评。财政预算绩效监控工作领导小组定期对经费使用、"
            "预算执行进度、报账材料等工作进行检查，确保经费支出安全高效。"
        ),
    },
]

EXAMPLE_ROWS: dict[str, list[dict]] = {
    INDICATORS: EXAMPLE_INDICATORS,
    LEDGER: EXAMPLE_LEDGER,
    TEAM: EXAMPLE_TEAM,
    ISSUES: EXAMPLE_ISSUES,
}


def write_template(dest: Path, example: bool = False) -> Path:
    """Write the standard template (example=True: the seed's case filled in) to dest; return dest.

    The blank template holds only the defaults (金额单位 万元, 预算执行率分值 10). The example is
    seed-report.txt in cells. The file is written under a temporary name and renamed into place.
    """
    dest = Path(dest)
    with atomic_path(dest) as tmp:
        workbook = xlsxwriter.Workbook(str(tmp))
        workbook.set_properties(
            {
                "title": EXAMPLE_TITLE if example else TEMPLATE_TITLE,
                "subject": "财政支出项目绩效自评",
                "author": "xlsx-eval",
                "created": CREATED,
            }
        )
        formats = _Formats(workbook)
        _write_guide(workbook.add_worksheet(GUIDE), formats)
        _write_project(workbook.add_worksheet(PROJECT), formats, EXAMPLE_PROJECT if example else None)
        for table in TABLES:
            rows = EXAMPLE_ROWS[table.sheet] if example else []
            _write_table(workbook.add_worksheet(table.sheet), table, rows, formats)
        workbook.close()
    return dest


class _Formats:
    """The workbook's cell formats, each made once."""

    def __init__(self, workbook: Workbook) -> None:
        add = workbook.add_format
        grid = {"border": 1, "border_color": GRID}
        header = {
            **grid,
            "bold": True,
            "bg_color": HEADER_FILL,
            "align": "center",
            "valign": "vcenter",
            "text_wrap": True,
        }
        self.header = add(header)
        self.header_required = add({**header, "font_color": REQUIRED_RED})
        label = {**grid, "bg_color": HEADER_FILL, "valign": "top"}
        self.label = add(label)
        self.label_required = add({**label, "bold": True, "font_color": REQUIRED_RED})
        self.hint = add({**grid, "font_color": "#595959", "text_wrap": True, "valign": "top"})
        self.input = {kind: add(_cell_spec(grid, INPUT_FILL, kind)) for kind in NUM_FORMATS}
        self.tool = add(_cell_spec(grid, TOOL_FILL, "amount"))
        self.guide = {
            "title": add({"bold": True, "font_size": 16}),
            "heading": add({"bold": True, "font_size": 12, "bottom": 1}),
            "text": add({"text_wrap": True, "valign": "top"}),
            "required": add({"text_wrap": True, "bold": True, "font_color": REQUIRED_RED}),
            "input": add({**grid, "text_wrap": True, "bg_color": INPUT_FILL}),
            "tool": add({**grid, "text_wrap": True, "bg_color": TOOL_FILL}),
        }


def _cell_spec(grid: dict, fill: str, kind: str) -> dict:
    spec = {**grid, "bg_color": fill, "valign": "top"}
    if NUM_FORMATS[kind]:
        spec["num_format"] = NUM_FORMATS[kind]
    if kind in ("text", "literal"):
        spec["text_wrap"] = True
    return spec


def _write_guide(ws: Worksheet, formats: _Formats) -> None:
    ws.activate()
    ws.set_column(0, 0, GUIDE_WIDTH)
    ws.hide_gridlines(2)
    for row, (style, text) in enumerate(GUIDE_LINES):
        if style == "blank":
            continue
        ws.write_string(row, 0, text, formats.guide[style])
        if style != "title":
            _fit_height(ws, row, [(text, GUIDE_WIDTH)])
    ws.set_row(0, 28)
    _page(ws, landscape=False)


def _write_project(ws: Worksheet, formats: _Formats, values: dict | None) -> None:
    """values None: the blank template, holding only the fields' defaults."""
    for col, (name, width) in enumerate(zip(PROJECT_HEADER, PROJECT_WIDTHS)):
        ws.set_column(col, col, width)
        ws.write_string(0, col, name, formats.header)
    ws.freeze_panes(1, 0)
    for row, field in enumerate(PROJECT_FIELDS, start=1):
        label_format = formats.label_required if field.required else formats.label
        ws.write_string(row, 0, field.name, label_format)
        value = field.default if values is None else values.get(field.name)
        _write_value(ws, row, 1, value, formats.input[field.cell])
        ws.write_string(row, 2, field.hint, formats.hint)
        cells = [(value, PROJECT_WIDTHS[1]), (field.hint, PROJECT_WIDTHS[2])]
        _fit_height(ws, row, cells, field.lines)
        if field.name in PROJECT_VALIDATIONS:
            ws.data_validation(row, 1, row, 1, PROJECT_VALIDATIONS[field.name])
    # 联系电话 is text-formatted: digits typed there are meant as text.
    ws.ignore_errors({"number_stored_as_text": f"B2:B{len(PROJECT_FIELDS) + 1}"})
    _page(ws)


def _write_table(ws: Worksheet, table: Table, rows: list[dict], formats: _Formats) -> None:
    """Header on row 1, then table.rows input rows, the first len(rows) of them filled."""
    padded = rows + [{}] * (table.rows - len(rows))
    for col, column in enumerate(table.columns):
        ws.set_column(col, col, column.width)
        header_format = formats.header_required if column.marked else formats.header
        ws.write_string(0, col, column.name, header_format)
        cell_format = formats.tool if column.name == SCORE_COLUMN else formats.input[column.cell]
        for row, values in enumerate(padded, start=1):
            _write_value(ws, row, col, values.get(column.name), cell_format)
        validation = TABLE_VALIDATIONS.get(table.sheet, {}).get(column.name)
        if validation:
            ws.data_validation(1, col, table.rows, col, validation)
        if column.name == SCORE_COLUMN:
            note = {"author": "xlsx-eval", "x_scale": 2.2, "y_scale": 1.5}
            ws.write_comment(0, col, SCORE_NOTE, note)
    for row, values in enumerate(rows, start=1):
        _fit_height(ws, row, [(values.get(c.name), c.width) for c in table.columns])
    ws.set_row(0, 30)
    ws.freeze_panes(1, 0)
    ws.repeat_rows(0)
    _page(ws)
    # Text-formatted cells holding "100%" are meant as text: no green warning triangles.
    last_cell = f"{xl_col_to_name(len(table.columns) - 1)}{table.rows + 1}"
    ws.ignore_errors({"number_stored_as_text": f"A2:{last_cell}"})


def _page(ws: Worksheet, landscape: bool = True) -> None:
    """Printed on A4, one page wide and as many pages long as it takes (whatever the printer's default paper)."""
    if landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)


def _write_value(ws: Worksheet, row: int, col: int, value: object, cell_format) -> None:
    # Typed writes only: ws.write() would turn a string such as "=" or "=1套" into a formula.
    if value is None:
        ws.write_blank(row, col, None, cell_format)
    elif isinstance(value, dt.datetime):
        ws.write_datetime(row, col, value, cell_format)
    elif isinstance(value, (int, float)):
        ws.write_number(row, col, value, cell_format)
    else:
        ws.write_string(row, col, str(value), cell_format)


def _fit_height(ws: Worksheet, row: int, cells: Sequence[tuple[object, float]], min_lines: int = 1) -> None:
    """Give the row room for its longest wrapped text; a one-line row keeps Excel's default."""
    lines = max([min_lines, *(_line_count(value, width) for value, width in cells)])
    if lines > 1:
        ws.set_row(row, lines * LINE_HEIGHT)


def _line_count(value: object, width: float) -> int:
    if not isinstance(value, str):
        return 1
    room = max(width - 1, 1)  # a little padding inside the cell
    return sum(max(1, math.ceil(_display_width(line) / room)) for line in value.split("\n"))


def _display_width(text: str) -> int:
    """Width in column units: CJK and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
