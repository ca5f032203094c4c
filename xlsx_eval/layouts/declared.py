"""The 项目支出绩效目标申报表 (review.md, "Declared targets"): what a unit declared before the year, one project a
sheet, every part found by its label as on the self-evaluation forms (labels matched by ``national.national_key``).
"""

from __future__ import annotations

import re

from . import Label

#: The title (as ``national_key`` leaves it: a trailing （2020年度） aside): 项目支出绩效目标申报表,
#: 二级项目支出绩效目标申报表, 2020年度…绩效目标申报表.
TITLE = re.compile(r"绩效目标申报表$")

#: Label / value rows: the value stands to the right of its label.
PROJECT_LABELS = (
    Label("项目名称", "name", required=True),
    Label("项目编码", "code", ("项目代码",)),
    Label("申请单位", "unit", ("实施单位", "项目实施单位", "预算单位", "单位名称")),
    Label("主管部门", "department", ("一级预算单位", "主管部门及代码", "主管预算部门")),
    Label("项目总金额", "total_amount", ("项目总额",), kind="amount"),
    Label("本年度项目金额", "year_amount", ("本年度金额", "年度项目金额"), kind="amount"),
)

#: The goals: each text to the right of its label, or in the cell below it.
GOALS = (
    Label("年度目标", "goals", ("年度绩效目标", "本年度目标")),
    Label("长期目标", "long_goals", ("中长期目标", "总体目标")),
)

INDICATOR_COLUMNS = (
    Label("一级指标", "level1"),
    Label("二级指标", "level2"),
    Label("三级指标", "name", ("指标内容", "指标名称"), required=True),
    Label("目标值", "target", ("指标值", "年度指标值", "年度目标值"), required=True),
    Label("指标解释", "explanation", ("指标说明", "备注")),
)
