"""项目支出绩效目标申报表 for the tests, built by hand with openpyxl, independently of xlsx_eval (review.md).

A ``Declaration`` is laid out on one sheet as the budget platform prints it (``write_declarations`` puts several in
one workbook, a sheet each):

    1   A1:H1 项目支出绩效目标申报表
    2   A2:H2 （2020年度）
    3   A3 项目名称   B3:D3 …        E3 项目编码   F3:H3 …
    4   A4 主管部门   B4:D4 …        E4 申请单位   F4:H4 …
    5   A5 项目总金额（万元） B5:D5  E5 本年度项目金额（万元） F5:H5
    6   A6 长期目标   B6:H6 …
    7   A7 年度目标   B7:H7 …
    8   A8 一级指标  B8 二级指标  C8:E8 三级指标  F8 目标值  G8:H8 指标解释
    9…  the indicators, 一级 and 二级 merged down over their rows
    then 填报人 and 联系电话 in a row of their own
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.worksheet.worksheet import Worksheet

#: (一级, 二级, 三级, 目标值) of the seed project as it was declared: the self-evaluation's nine indicators.
SEED_DECLARED = (
    ("产出指标", "成本指标", "经费严格控制在预算内", "≥100%"),
    ("产出指标", "质量指标", "值班设备时刻处于工作状态并实时维护", "≥100%"),
    ("产出指标", "质量指标", "保证系统7*24小时运行", "≥100%"),
    ("效益指标", "可持续影响指标", "值班工作作为长期性日常性工作开展", "≥100%"),
    ("效益指标", "社会效益指标", "确保办公设备正常运转", "≥100%"),
    ("效益指标", "可持续影响指标", "做好服务保障，提高工作效率", "≥100%"),
    ("满意度指标", "服务对象满意度指标", "上级单位满意度", "≥100%"),
    ("满意度指标", "服务对象满意度指标", "值班人员对值班环境及系统使用方面满意度", "≥100%"),
    ("满意度指标", "服务对象满意度指标", "其他部门单位对本单位值班情况的满意度", "≥100%"),
)
FIRST_INDICATOR_ROW = 9


@dataclass(frozen=True)
class Declaration:
    name: str = "值班视频系统安装经费"
    unit: str = "长安区委办公室"
    department: str = "中共石家庄市长安区委员会"
    code: str | None = None
    sheet: str = "绩效目标申报表"
    title: str = "项目支出绩效目标申报表"
    unit_label: str = "申请单位"
    department_label: str = "主管部门"
    target_label: str = "目标值"
    total: float = 35
    this_year: float = 35
    indicators: tuple[tuple[str, str, str, str], ...] = SEED_DECLARED
    explanations: dict[str, str] = field(default_factory=dict)  # 三级指标 → 指标解释


_THIN = Side(style="thin")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def target_cell(index: int) -> str:
    """The 目标值 cell of the declaration's ``index``-th indicator (0-based)."""
    return f"F{FIRST_INDICATOR_ROW + index}"


def write_declarations(path: Path, *declarations: Declaration) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for d in declarations:
        _lay_out(wb.create_sheet(d.sheet), d)
    wb.save(path)
    return path


def _put(ws: Worksheet, cell: str, value: object, to: str | None = None, bold: bool = False) -> None:
    ws[cell] = value
    ws[cell].font = Font(name="宋体", size=11, bold=bold)
    ws[cell].alignment = Alignment(vertical="center", wrap_text=True)
    if to:
        ws.merge_cells(f"{cell}:{to}")
    for row in ws[f"{cell}:{to or cell}"]:
        for c in row:
            c.border = _BOX


def _lay_out(ws: Worksheet, d: Declaration) -> None:
    _put(ws, "A1", d.title, "H1", bold=True)
    _put(ws, "A2", "（2020年度）", "H2")
    for row, (left, lv, right, rv) in enumerate(
        (
            ("项目名称", d.name, "项目编码", d.code),
            (d.department_label, d.department, d.unit_label, d.unit),
            ("项目总金额（万元）", d.total, "本年度项目金额（万元）", d.this_year),
        ),
        start=3,
    ):
        _put(ws, f"A{row}", left, bold=True)
        _put(ws, f"B{row}", lv, f"D{row}")
        _put(ws, f"E{row}", right, bold=True)
        _put(ws, f"F{row}", rv, f"H{row}")
    _put(ws, "A6", "长期目标", bold=True)
    _put(ws, "B6", "建成覆盖全区的值班视频系统并长期稳定运行", "H6")
    _put(ws, "A7", "年度目标", bold=True)
    _put(ws, "B7", "完成值班视频系统安装，保证7*24小时运行", "H7")
    for cell, label in (("A8", "一级指标"), ("B8", "二级指标"), ("C8", "三级指标"), ("F8", d.target_label)):
        _put(ws, cell, label, "E8" if cell == "C8" else None, bold=True)
    _put(ws, "G8", "指标解释", "H8", bold=True)
    row = FIRST_INDICATOR_ROW
    for i, (level1, level2, name, target) in enumerate(d.indicators):
        r = row + i
        for col, value, level in (("A", level1, 0), ("B", level2, 1)):
            if i == 0 or d.indicators[i - 1][: level + 1] != (level1, level2)[: level + 1]:
                end = i
                while (
                    end + 1 < len(d.indicators) and d.indicators[end + 1][: level + 1] == (level1, level2)[: level + 1]
                ):
                    end += 1
                _put(ws, f"{col}{r}", value, f"{col}{row + end}" if end > i else None)
        _put(ws, f"C{r}", name, f"E{r}")
        _put(ws, f"F{r}", target)
        _put(ws, f"G{r}", d.explanations.get(name), f"H{r}")
    last = row + len(d.indicators)
    ws[f"A{last + 1}"] = "填报人：张静"
    ws[f"E{last + 1}"] = "联系电话：0311-86012345"
    for col, width in zip("ABCDEFGH", (14, 16, 12, 12, 12, 12, 12, 12), strict=True):
        ws.column_dimensions[col].width = width
