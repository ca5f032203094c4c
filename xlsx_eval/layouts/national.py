"""The national 项目支出绩效自评表 (national-form.md): one form a sheet, every part found by its label.

Labels are matched by ``national_key``: template.md's normalisation, then any ``其中：`` in front and every
trailing bracket (a unit such as （万元）, a marker such as （B/A）, a weight such as （20分）) taken off, so
``其中：当年财政拨款`` is 当年财政拨款 and ``预算执行情况（万元）（20分）`` is 预算执行情况. What the brackets said (the
money unit, the weight) is read from the label's text by ``bracket_unit`` and ``bracket_weight``.
"""

from __future__ import annotations

import re
from decimal import Decimal

from ..values import canon
from . import Label

#: The form's title, in its variants: 项目支出绩效自评表, 项目支出绩效目标自评表, 2020年度预算项目绩效自评表,
#: <项目名称>项目支出绩效自评表.
TITLE = re.compile(r"绩效(目标)?自评表$")
YEAR = re.compile(r"((?:19|20|21)\d{2})\s*年")

#: Label / value rows above the money block: the value stands to the right of its label.
PROJECT_LABELS = (
    Label("项目名称", "name", required=True),
    Label("项目编码", "code"),
    Label("主管部门", "department", ("主管部门及代码", "主管预算部门")),
    Label("实施单位", "unit", ("项目实施单位", "预算单位", "单位名称")),
    Label("联系人", "contact"),
    Label("联系电话", "phone"),
    Label("联系人邮箱", "email", ("电子邮箱", "邮箱", "电子信箱", "E-mail", "Email")),  # not on every form
)

#: The money block's own label (merged down over its rows, in the first column).
MONEY_BLOCK = ("项目资金", "预算执行情况", "项目资金预算安排及执行进度", "预算执行")

MONEY_COLUMNS = (
    Label("年初预算数", "initial_budget", kind="amount"),
    Label("全年预算数", "budget", ("调整后预算数",), required=True, kind="amount"),
    Label("全年执行数", "executed", ("实际支出数", "执行数"), required=True, kind="amount"),
    Label("分值", "weight", ("权重",), kind="number"),
    Label("执行率", "rate", ("预算执行率",)),
    Label("得分", "score", kind="number"),
)

#: The money block's rows: the total (``total``), its 其中 parts (``part``), and the funding sources that some
#: forms list (``source``): they break down 当年财政拨款 where that row exists, else they are the parts.
MONEY_ROWS = (
    Label("年度资金总额", "total", ("资金总额", "合计", "年度资金总额合计")),
    Label("当年财政拨款", "fiscal", ("本年财政拨款", "财政拨款")),
    Label("专项债券资金", "part", ("专项债券",)),
    Label("上年结转资金", "part", ("上年结转",)),
    Label("其他资金", "part", ("其他",)),
    Label("一般公共预算拨款", "source", ("一般公共预算", "一般公共预算资金")),
    Label("政府性基金", "source", ("政府性基金预算", "政府性基金预算拨款")),
    Label("国有资本经营预算", "source", ("国有资本经营预算拨款",)),
)

GOALS_BLOCK = "年度总体目标"
GOALS = (
    Label("预期目标", "goals", ("年初预期目标", "年度目标", "年初设定目标")),
    Label("实际完成情况", "goals_met", ("年度实际完成情况", "全年实际完成情况")),
)

INDICATOR_BLOCK = ("绩效指标", "项目绩效目标衡量指标")
INDICATOR_COLUMNS = (
    Label("一级指标", "level1"),
    Label("二级指标", "level2"),
    Label("三级指标", "name", ("指标内容", "指标名称"), required=True),
    Label("指标性质", "nature"),
    Label("年度指标值", "target", ("指标值", "年度目标值", "全年指标值")),
    Label("年初指标值", "target_initial"),
    Label("调整后指标值", "target_adjusted"),
    Label("计量单位", "unit", ("度量单位",)),
    Label("实际完成值", "actual", ("全年实际值", "实际值", "全年实际完成值"), required=True),
    Label("分值", "weight", ("权重",), required=True),
    Label("得分", "claimed", ("指标得分", "自评得分")),
    Label("偏差原因分析及改进措施", "reason", ("未完成原因分析", "偏差原因及改进措施", "偏差原因分析", "偏差原因")),
    Label("定性值情况说明", "basis"),
    Label("完成情况简要描述", "description"),
)

TOTAL = "总分"

#: The narrative rows below the table, and whether each tells problems (问题) or measures (措施), as our
#: workbook's 问题与措施 would; None: told in the report as it is, under neither.
NARRATIVE = (
    Label("存在问题", "问题", ("偏差大或目标未完成原因分析", "绩效目标偏离原因分析", "主要问题")),
    Label("改进措施", "措施", ("改进措施及结果应用方案", "整改措施及建议", "整改措施")),
    Label("自评结论", "结论", ("自评结论及说明",)),
    Label("其他需说明问题", "其他", ("其他需要说明的问题", "其他说明")),
)

_BRACKETS = re.compile(r"\([^()]*\)$")
_WEIGHT = re.compile(r"\((\d+(?:\.\d+)?)分\)")
_UNIT = re.compile(r"\((万元|元)\)")


def national_key(value: object) -> str:
    """A label as matched: see the module's docstring."""
    t = canon(str(value)).strip("*:")
    t = t.removeprefix("其中:").removeprefix("其中")
    while True:
        stripped = _BRACKETS.sub("", t).rstrip("*:")
        if stripped == t:
            return t
        t = stripped


def bracket_weight(value: object) -> Decimal | None:
    """The weight a label carries: 产出指标(50分) → 50; None when it carries none."""
    m = _WEIGHT.search(canon(str(value)))
    return Decimal(m.group(1)) if m else None


def bracket_unit(value: object) -> str | None:
    """The money unit a label names: 项目资金（元） → 元."""
    m = _UNIT.search(canon(str(value)))
    return m.group(1) if m else None
