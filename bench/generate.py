"""Realistic filled workbooks for the benchmark: N workbooks with R ledger rows each, from a fixed seed.

Each has the standard sheets (项目信息, 绩效指标 with nine indicators, 支出明细 with R payments that add up to
全年执行数, 评价工作组, 问题与措施), written with xlsxwriter the way the shipped template lays them out. With
``findings`` (a share of the payments, e.g. 0.01) that many payments repeat the one before them (same date,
摘要 and 金额: DUPLICATE_EXPENSE) or are dated in 2019 (DATE_OUT_OF_YEAR), half each, so their cells are marked.

    python bench/generate.py OUTDIR --workbooks 200 --rows 20 [--findings 0.01]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
from pathlib import Path

import xlsxwriter

UNITS = ["长安区委办公室", "桥西区财政局", "新华区教育局", "裕华区卫健局", "高新区管委会", "井陉县农业农村局"]
PROJECTS = ["值班视频系统安装经费", "档案数字化", "校舍维修", "基层卫生设备购置", "农田水利建设", "会议系统改造"]
LEVELS = [
    ("产出指标", "数量指标"),
    ("产出指标", "质量指标"),
    ("产出指标", "时效指标"),
    ("产出指标", "成本指标"),
    ("效益指标", "社会效益指标"),
    ("效益指标", "可持续影响指标"),
    ("满意度指标", "服务对象满意度指标"),
]


def write_one(path: Path, rng: random.Random, rows: int, findings: float = 0.0) -> None:
    # A ledger of thousands of payments is kept in 元; the seed's small one in 万元.
    unit, scale = ("元", 10000) if rows > 1000 else ("万元", 1)
    budget = round(rng.uniform(10, 500) * scale, 2)
    shares = [rng.random() for _ in range(rows)]
    spend = budget * rng.uniform(0.7, 1.0) / sum(shares)
    amounts = [max(round(share * spend, 2), 0.01) for share in shares]
    start = dt.datetime(2020, 1, 1)
    dates = [start + dt.timedelta(days=rng.randrange(365)) for _ in amounts]
    summaries = [f"第{r}笔支出" for r in range(1, rows + 1)]
    for n, i in enumerate(sorted(rng.sample(range(1, rows), min(int(rows * findings), rows - 1)))):
        if n % 2:
            dates[i] = dt.datetime(2019, 12, 1) + dt.timedelta(days=rng.randrange(31))  # outside 评价年度
        else:  # the payment before it, entered twice
            dates[i], summaries[i], amounts[i] = dates[i - 1], summaries[i - 1], amounts[i - 1]
    executed = round(sum(amounts), 2)
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False})
    info = wb.add_worksheet("项目信息")
    fields = [
        ("字段", "内容"),
        ("评价年度", 2020),
        ("单位名称", rng.choice(UNITS)),
        ("项目名称", rng.choice(PROJECTS)),
        ("联系人邮箱", f"unit{rng.randrange(1000)}@example.com"),
        ("金额单位", unit),
        ("年初预算数", budget),
        ("全年预算数", budget),
        ("资金到位数", budget),
        ("其中财政资金", budget),
        ("全年执行数", executed),
        ("预算执行率分值", 10),
    ]
    for r, (label, value) in enumerate(fields):
        info.write(r, 0, label)
        info.write(r, 1, value)
    ind = wb.add_worksheet("绩效指标")
    ind.write_row(
        0,
        0,
        [
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
        ],
    )
    weights = [10, 10, 20, 10, 10, 10, 10, 5, 5]
    for r, weight in enumerate(weights, start=1):
        level1, level2 = LEVELS[min(r - 1, len(LEVELS) - 1)]
        target = rng.choice([90, 95, 100])
        actual = rng.choice([target, target, target - rng.randrange(1, 10)])
        ind.write_row(
            r,
            0,
            [
                level1,
                level2,
                f"指标{r}",
                "≥",
                f"{target}%",
                "%",
                f"{actual}%",
                weight,
                None,
                "已说明" if actual < target else None,
            ],
        )
    ledger = wb.add_worksheet("支出明细")
    ledger.write_row(0, 0, ["日期", "摘要", "金额", "支出类别", "凭证号", "备注"])
    date_format = wb.add_format({"num_format": "yyyy-mm-dd"})
    for r, (date, summary, amount) in enumerate(zip(dates, summaries, amounts), start=1):
        ledger.write_datetime(r, 0, date, date_format)
        ledger.write_row(r, 1, [summary, amount, rng.choice(["设备购置", "安装费", "通信费"]), f"记-{r:06d}", None])
    team = wb.add_worksheet("评价工作组")
    team.write_row(0, 0, ["姓名", "工作单位", "职务", "职称", "分工"])
    team.write_row(1, 0, ["张三", "本单位", "主任", None, "组长"])
    remarks = wb.add_worksheet("问题与措施")
    remarks.write_row(0, 0, ["类别", "内容"])
    remarks.write_row(1, 0, ["措施", "加强预算支出管理"])
    wb.close()


def generate(folder: Path, workbooks: int, rows: int, seed: int = 20201, findings: float = 0.0) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    paths = []
    for i in range(workbooks):
        path = folder / f"unit{i:04d}.xlsx"
        write_one(path, rng, rows, findings)
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--workbooks", type=int, default=200)
    parser.add_argument("--rows", type=int, default=20)
    parser.add_argument("--seed", type=int, default=20201)
    parser.add_argument("--findings", type=float, default=0.0, help="share of payments with a finding, e.g. 0.01")
    args = parser.parse_args()
    generate(args.outdir, args.workbooks, args.rows, args.seed, args.findings)


if __name__ == "__main__":
    main()
