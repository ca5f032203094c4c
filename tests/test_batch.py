"""Batch convert: a whole intake, in parallel, with the summary a finance bureau sends upward."""

import datetime as dt
import hashlib
import json
import os
import shutil
import time
from pathlib import Path

import badfiles
import openpyxl
import pytest
from conftest import write_workbook
from typer.testing import CliRunner

import xlsx_eval
from xlsx_eval import isolate
from xlsx_eval.cli import app

# (unit, project, 全年执行数 of a 35 万元 budget) → rate, execution score, total (the nine indicators are met: 90)
CASES = [
    ("乙局", "档案数字化", 35, 100, 10.0, 100.0),     # 35 / 35 = 100% → 10
    ("甲办", "值班视频系统", 28, 80, 8.0, 98.0),      # 28 / 35 = 80% → 8
    ("甲办", "会议系统", 17.5, 50, 5.0, 95.0),        # 17.5 / 35 = 50% → 5
    ("丙所", "设备更新", 31.5, 90, 9.0, 99.0),        # 31.5 / 35 = 90% → 9
]


@pytest.fixture
def inbox(tmp_path):
    folder = tmp_path / "inbox"
    (folder / "二组").mkdir(parents=True)
    for i, (unit, project, executed, *_rest) in enumerate(CASES):
        where = folder / "二组" if i == 3 else folder
        write_workbook(where / f"{i + 1}-{unit}.xlsx", info={"单位名称": unit, "项目名称": project, "全年执行数": executed},
                       payments=[(dt.date(2020, 6, 1), "全年支出", executed)])
    shutil.copy(folder / "1-乙局.xlsx", folder / "二组" / "1-乙局.xlsx")  # a duplicate stem in another folder
    badfiles.truncated(folder / "5-坏文件.xlsx")
    shutil.copy(folder / "2-甲办.xlsx", folder / "~$2-甲办.xlsx")  # Excel's lock file: skipped
    (folder / "说明.txt").write_text("不是工作簿", encoding="utf-8")
    return folder


def run(inbox, out, *args):
    result = CliRunner().invoke(app, ["convert", str(inbox), "-o", str(out), "--json", *args])
    return result, json.loads(result.stdout)


def test_a_batch_with_known_totals(inbox, tmp_path):
    result, document = run(inbox, tmp_path / "out", "--jobs", "2")
    assert result.exit_code == 1  # the corrupt file is an error; the others are written
    files = [os.path.relpath(r["file"], inbox) for r in document["results"]]
    assert files == ["1-乙局.xlsx", "2-甲办.xlsx", "3-甲办.xlsx", "5-坏文件.xlsx", "二组/1-乙局.xlsx", "二组/4-丙所.xlsx"]
    totals = [r["total"] for r in document["results"]]
    assert totals == [100.0, 98.0, 95.0, None, 100.0, 99.0]
    assert document["summary"] == {"files": 6, "scored": 5, "errors": 1, "warnings": 0}
    outputs = sorted(p.name for p in (tmp_path / "out").glob("*.scored.xlsx"))
    assert outputs == ["1-乙局-2.scored.xlsx", "1-乙局.scored.xlsx", "2-甲办.scored.xlsx", "3-甲办.scored.xlsx",
                       "4-丙所.scored.xlsx"]
    assert "无法读取 1 个，跳过 2 个" in result.stderr


def test_the_same_results_in_the_same_order_for_any_number_of_jobs(inbox, tmp_path):
    _, one = run(inbox, tmp_path / "one", "--jobs", "1")
    _, two = run(inbox, tmp_path / "two", "--jobs", "2")

    def comparable(document):
        return [{k: v for k, v in r.items() if k != "output"} for r in document["results"]]

    assert comparable(one) == comparable(two)


def test_the_summary_workbook_cell_by_cell(inbox, tmp_path):
    run(inbox, tmp_path / "out", "--jobs", "2")
    wb = openpyxl.load_workbook(tmp_path / "out" / "summary.xlsx")
    assert wb.sheetnames == ["项目汇总", "问题清单", "统计"]
    rows = [[c.value for c in row] for row in wb["项目汇总"].iter_rows()]
    assert rows[0] == ["单位名称", "项目名称", "全年预算数（万元）", "全年执行数（万元）", "支出明细合计（万元）",
                       "差额（万元）", "预算执行率", "总分", "等级", "错误数", "警告数", "文件", "所在文件夹", "评分规则"]
    # sorted by unit, then project; the unreadable file last
    assert [r[:2] for r in rows[1:]] == [["丙所", "设备更新"], ["乙局", "档案数字化"], ["乙局", "档案数字化"],
                                         ["甲办", "会议系统"], ["甲办", "值班视频系统"], [None, None]]
    assert rows[1][2:11] == [35, 31.5, 31.5, 0, 0.9, 99, "优秀", 0, 0]
    assert rows[4][2:11] == [35, 17.5, 17.5, 0, 0.5, 95, "优秀", 0, 0]
    assert rows[6][8:12] == ["未评分", 1, 0, "5-坏文件.xlsx"]
    national = hashlib.sha256((Path(xlsx_eval.__file__).parent / "profiles" / "national.toml").read_bytes())
    assert rows[1][12] == str(inbox / "二组") and rows[2][12] == str(inbox)  # same name, told apart by the folder
    assert rows[1][13] == f"national（{national.hexdigest()[:12]}）"  # the rules, traceable to their file
    link = wb["项目汇总"]["L2"].hyperlink
    assert link.target == "4-丙所.scored.xlsx"
    findings = [[c.value for c in row] for row in wb["问题清单"].iter_rows(min_row=2)]
    assert [(f[0], f[4], f[5]) for f in findings] == [("5-坏文件.xlsx", "错误", "UNREADABLE_FILE")]
    stats = {row[0].value: row[1].value for row in wb["统计"].iter_rows(min_row=3, max_col=2) if row[0].value}
    assert (stats["优秀"], stats["未评分"], stats["90分及以上"], stats["错误"]) == (5, 1, 5, 1)
    # mean of the totals: (99 + 100 + 100 + 95 + 98) / 5 = 98.4
    assert stats["平均"] == 98.4


def test_changed_only_redoes_exactly_the_changed_file(inbox, tmp_path):
    out = tmp_path / "out"
    run(inbox, out)
    before = {p.name: p.stat().st_mtime_ns for p in out.glob("*.scored.xlsx")}
    time.sleep(0.05)
    write_workbook(inbox / "3-甲办.xlsx", info={"单位名称": "甲办", "项目名称": "会议系统", "全年执行数": 35},
                   payments=[(dt.date(2020, 6, 1), "全年支出", 35)])  # a late correction: now 100% → 100
    result, document = run(inbox, out, "--changed-only")
    after = {p.name: p.stat().st_mtime_ns for p in out.glob("*.scored.xlsx")}
    assert [name for name in before if after[name] != before[name]] == ["3-甲办.scored.xlsx"]
    assert [r["total"] for r in document["results"]] == [100.0, 98.0, 100.0, None, 100.0, 99.0]
    assert "其中 5 个未改动，沿用上次结果" in result.stderr
    summary = openpyxl.load_workbook(out / "summary.xlsx")["项目汇总"]
    assert [row[7].value for row in summary.iter_rows(min_row=2)] == [99, 100, 100, 100, 98, None]


def _crash_on(path):
    if "crash" in path:
        os.abort()  # what python-calamine does on some files: no exception, the process is gone
    if "hang" in path:
        time.sleep(60)
    if "hog" in path:
        bytearray(4 << 30)  # past the worker's memory ceiling
    return path.upper()


def test_a_worker_that_crashes_hangs_or_runs_out_of_memory_costs_only_its_file():
    tasks = [("a",), ("crash",), ("b",), ("hang",), ("c",), ("hog",), ("d",)]
    limits = isolate.ProcessLimits(seconds=3, memory_bytes=1 << 30)
    results = isolate.run_all(_crash_on, tasks, jobs=2, limits=limits)
    assert [results[i] for i in (0, 2, 4, 6)] == ["A", "B", "C", "D"]
    assert isinstance(results[1], isolate.ChildFailed) and "异常退出" in str(results[1])
    assert isinstance(results[3], isolate.ChildFailed) and "3 秒" in str(results[3])
    assert isinstance(results[5], isolate.ChildFailed) and "内存" in str(results[5])


def test_progress_and_messages_stay_off_stdout_with_json(inbox, tmp_path):
    result, document = run(inbox, tmp_path / "out")
    assert len(document["results"]) == 6  # stdout held exactly one JSON document
    assert "完成：" in result.stderr


def test_help_starts_without_pandas():
    import subprocess
    import sys

    code = "import sys; from xlsx_eval.cli import app; sys.argv=['xlsx-eval','--help']\n" \
           "try: app()\nexcept SystemExit: pass\nprint('pandas' in sys.modules, 'openpyxl' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "False False"


def test_workers_left_idle_at_the_end_do_not_keep_the_pool_waiting():
    # Two workers answer in the same round while one task is left: one takes it, the other is idle with
    # nothing more to do. A slowed wait makes both answers arrive together; run in a child with a time limit,
    # since the failure this guards against is a pool that never returns.
    import subprocess
    import sys

    code = ("import time\nfrom xlsx_eval import isolate\n"
            "real_wait = isolate._wait\n"
            "def slow_wait(workers, seconds):\n    time.sleep(0.3)\n    return real_wait(workers, seconds)\n"
            "isolate._wait = slow_wait\n"
            "print(isolate.run_all(str, [(1,), (2,), (3,)], jobs=2))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "['1', '2', '3']"
