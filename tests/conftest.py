"""Tiny workbooks built with openpyxl straight from template.md, independently of xlsx_eval.write.template.

The default content is the seed report's case, typed in by hand from seed-report.txt.
Layout of what ``build`` writes (tests refer to these cells):

- 项目信息: header row 1, then one label per row in the order of INFO (评价年度 in A2/B2 …
  全年执行数 in A10/B10, 预算执行率分值 in A11/B11).
- 绩效指标: header row 1, columns in a different order from the shipped template on purpose:
  A 一级指标, B 二级指标, C 三级指标, D 年度指标值, E 指标性质, F 实际完成值, G 计量单位,
  H 分值, I 自评得分, J 偏差原因分析及改进措施; first indicator on row 2.
- 支出明细: header row 1 (日期, 摘要, 金额, 支出类别), first payment on row 2.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pytest
from smtp_server import Recorder, free_port

from xlsx_eval.score.rules import REVIEW_CHECKS

INFO = {
    "评价年度": 2020,
    "单位名称": "长安区委办公室",
    "项目名称": "值班视频系统安装经费",
    "联系人邮箱": "office@example.com",
    "金额单位": "万元",
    "全年预算数": 35,
    "资金到位数": 35,
    "其中财政资金": 35,
    "全年执行数": 32.88,
    "预算执行率分值": 10,
}

INDICATOR_HEADER = [
    "一级指标",
    "二级指标",
    "三级指标",
    "年度指标值",
    "指标性质",
    "实际完成值",
    "计量单位",
    "分值",
    "自评得分",
    "偏差原因分析及改进措施",
]


def ind(level1, level2, name, target, actual, weight, nature=None, unit=None, claimed=None, reason=None):
    return [level1, level2, name, target, nature, actual, unit, weight, claimed, reason]


SEED_INDICATORS = [
    ind("产出指标", "成本指标", "经费严格控制在预算内", "≥100%", "100%", 10),
    ind("产出指标", "质量指标", "值班设备时刻处于工作状态并实时维护", "≥100%", "100%", 10),
    ind("产出指标", "质量指标", "保证系统7*24小时运行", "≥100%", "100%", 20),
    ind("效益指标", "可持续影响指标", "值班工作作为长期性日常性工作开展", "≥100%", "100%", 20),
    ind("效益指标", "社会效益指标", "确保办公设备正常运转", "≥100%", "100%", 10),
    ind("效益指标", "可持续影响指标", "做好服务保障，提高工作效率", "≥100%", "100%", 10),
    ind("满意度指标", "服务对象满意度指标", "上级单位满意度", "≥100%", "100%", 5),
    ind("满意度指标", "服务对象满意度指标", "值班人员对值班环境及系统使用方面满意度", "≥100%", "100%", 3),
    ind("满意度指标", "服务对象满意度指标", "其他部门单位对本单位值班情况的满意度", "≥100%", "100%", 2),
]

SEED_PAYMENTS = [
    (dt.date(2020, 1, 30), "值班室视频系统安装经费", 14.3),
    (dt.date(2020, 1, 30), "候会议室视频系统安装经费", 4.82),
    (dt.date(2020, 1, 30), "购置会议室音频设备", 8.11),
    (dt.date(2020, 4, 7), "购置值班室无线话筒", 0.6),
    (dt.date(2020, 5, 11), "制作值班室制度标牌", 1.3),
    (dt.date(2020, 6, 30), "购置应急值守电视", 1.62),
    (dt.date(2020, 7, 1), "购置音视频线", 0.13),
    (dt.date(2020, 10, 25), "视频会议通信费及购置机柜等", 2),
]


def not_review(findings: list) -> list:
    """The findings without the bureau's review checks (test_review.py tests those): what a test of another check
    compares, since the seed itself scores ahead of its spending and names no survey for its 满意度."""
    return [f for f in findings if f.code not in REVIEW_CHECKS]


def clean(result) -> bool:
    """No error and no warning but the review checks': what a test of reading or scoring a sound form asserts."""
    return not [f for f in not_review(result.findings) if f.severity.value in ("error", "warning")]


def write_workbook(
    path: Path, info=None, indicators=None, payments=None, *, omit_sheets=(), percent_cells=(), extra=None
) -> Path:
    """Write a filled workbook; ``info`` entries override INFO (value None drops the label)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    if "项目信息" not in omit_sheets:
        ws = wb.create_sheet("项目信息")
        ws.append(["字段", "内容"])
        merged = {**INFO, **(info or {})}
        for label, value in merged.items():
            if value is not None:
                ws.append([label, value])
    if "绩效指标" not in omit_sheets:
        ws = wb.create_sheet("绩效指标")
        ws.append(INDICATOR_HEADER)
        for row in SEED_INDICATORS if indicators is None else indicators:
            ws.append(row)
        for cell in percent_cells:
            ws[cell].number_format = "0%"
    if "支出明细" not in omit_sheets:
        ws = wb.create_sheet("支出明细")
        ws.append(["日期", "摘要", "金额", "支出类别"])
        for date, summary, amount in SEED_PAYMENTS if payments is None else payments:
            ws.append([date, summary, amount, None])
            if isinstance(date, dt.date):
                ws.cell(ws.max_row, 1).number_format = "yyyy-mm-dd"
    for ws in wb.worksheets:  # "=1套" is a target, not a formula
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"
    if extra:
        extra(wb)
    wb.save(path)
    return path


@pytest.fixture
def build(tmp_path):
    """build(name="x.xlsx", info=..., indicators=..., payments=...) → path of a new workbook in tmp_path."""

    def _build(name: str = "case.xlsx", **kwargs) -> Path:
        return write_workbook(tmp_path / name, **kwargs)

    return _build


@pytest.fixture
def example() -> Path:
    return Path(__file__).resolve().parent.parent / "workbook_templates" / "example.xlsx"


@pytest.fixture
def start_server():
    """start_server(**aiosmtpd options) → an SMTP server running on 127.0.0.1 (``port``, ``handler``: a
    smtp_server.Recorder)."""
    from aiosmtpd.controller import Controller

    controllers = []

    def start(**kwargs) -> SimpleNamespace:
        handler = Recorder()
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
        controller.start()
        controllers.append(controller)
        return SimpleNamespace(port=port, handler=handler)

    yield start
    for c in controllers:
        c.stop()


@pytest.fixture
def server(start_server):
    return start_server()


def soffice(path: Path, outdir: Path, fmt: str, c_locale: bool = False) -> Path:
    """``path`` converted by LibreOffice (as a user's office suite opens and saves it) into ``outdir``, with a
    profile of its own; ``fmt`` as soffice takes it ("pdf", "csv:…", "xlsx:Calc MS Excel 2007 XML"). Returns the
    file written; fails the test when LibreOffice does not write it."""
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"} if c_locale else None
    done = subprocess.run(
        [
            "soffice",
            "--headless",
            f"-env:UserInstallation=file://{outdir}/.profile",
            "--convert-to",
            fmt,
            "--outdir",
            str(outdir),
            str(path),
        ],
        capture_output=True,
        timeout=180,
        env=env,
    )
    out = outdir / f"{Path(path).stem}.{fmt.split(':')[0]}"
    assert done.returncode == 0 and out.exists(), done.stdout + done.stderr
    return out
