"""Batch convert: a whole intake, in parallel, with the summary a finance bureau sends upward."""

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import time
import zipfile
from collections import Counter
from pathlib import Path

import badfiles
import openpyxl
import pytest
from conftest import soffice, write_workbook
from typer.testing import CliRunner

import xlsx_eval
from xlsx_eval import isolate
from xlsx_eval.batch.summary import count_step, write_summary
from xlsx_eval.cli import app
from xlsx_eval.score.rules import REVIEW_CHECKS

# (unit, project, 全年执行数 of a 35 万元 budget) → rate, execution score, total (the nine indicators are met: 90)
CASES = [
    ("乙局", "档案数字化", 35, 100, 10.0, 100.0),  # 35 / 35 = 100% → 10
    ("甲办", "值班视频系统", 28, 80, 8.0, 98.0),  # 28 / 35 = 80% → 8
    ("甲办", "会议系统", 17.5, 50, 5.0, 95.0),  # 17.5 / 35 = 50% → 5
    ("丙所", "设备更新", 31.5, 90, 9.0, 99.0),  # 31.5 / 35 = 90% → 9
]


@pytest.fixture
def inbox(tmp_path):
    folder = tmp_path / "inbox"
    (folder / "二组").mkdir(parents=True)
    for i, (unit, project, executed, *_rest) in enumerate(CASES):
        where = folder / "二组" if i == 3 else folder
        write_workbook(
            where / f"{i + 1}-{unit}.xlsx",
            info={"单位名称": unit, "项目名称": project, "全年执行数": executed},
            payments=[(dt.date(2020, 6, 1), "全年支出", executed)],
        )
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
    assert files == [
        "1-乙局.xlsx",
        "2-甲办.xlsx",
        "3-甲办.xlsx",
        "5-坏文件.xlsx",
        "二组/1-乙局.xlsx",
        "二组/4-丙所.xlsx",
    ]
    totals = [r["total"] for r in document["results"]]
    assert totals == [100.0, 98.0, 95.0, None, 100.0, 99.0]
    # SCORE_OUTRUNS_SPENDING where 90 of 90 outruns the rate (80%, 50%, 90%), UNSPENT_SHARE where 50% is unspent
    assert document["summary"] == {"files": 6, "forms": 6, "scored": 5, "errors": 1, "warnings": 4}
    outputs = sorted(p.name for p in (tmp_path / "out").glob("*.scored.xlsx"))
    assert outputs == [
        "1-乙局-2.scored.xlsx",
        "1-乙局.scored.xlsx",
        "2-甲办.scored.xlsx",
        "3-甲办.scored.xlsx",
        "4-丙所.scored.xlsx",
    ]
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
    assert rows[0] == [
        "单位名称",
        "项目名称",
        "全年预算数（万元）",
        "全年执行数（万元）",
        "支出明细合计（万元）",
        "差额（万元）",
        "预算执行率",
        "总分",
        "等级",
        "错误数",
        "警告数",
        "文件",
        "所在文件夹",
        "评分规则",
        "工作表",
    ]
    # sorted by unit, then project; the unreadable file last
    assert [r[:2] for r in rows[1:]] == [
        ["丙所", "设备更新"],
        ["乙局", "档案数字化"],
        ["乙局", "档案数字化"],
        ["甲办", "会议系统"],
        ["甲办", "值班视频系统"],
        [None, None],
    ]
    assert rows[1][2:11] == [35, 31.5, 31.5, 0, 0.9, 99, "优秀", 0, 1]  # SCORE_OUTRUNS_SPENDING: (100 − 90) / 100
    assert rows[4][2:11] == [35, 17.5, 17.5, 0, 0.5, 95, "优秀", 0, 2]  # and UNSPENT_SHARE: 50% unspent
    assert rows[6][8:12] == ["无法读取", 1, 0, "5-坏文件.xlsx"]  # not 未评分: the file could not be read at all
    national = hashlib.sha256((Path(xlsx_eval.__file__).parent / "score" / "profiles" / "national.toml").read_bytes())
    assert rows[1][12] == str(inbox / "二组") and rows[2][12] == str(inbox)  # same name, told apart by the folder
    # the rules by their title, traceable to their file
    assert rows[1][13] == f"财政部项目支出绩效自评表（默认规则），文件摘要 {national.hexdigest()[:12]}"
    link = wb["项目汇总"]["L2"].hyperlink
    assert link.target == "4-丙所.scored.xlsx"
    findings = [[c.value for c in row] for row in wb["问题清单"].iter_rows()]
    assert findings[0] == ["文件", "单位名称", "工作表", "单元格", "严重程度", "代码", "问题类型", "说明"]
    assert [f[:7] for f in findings[1:] if f[5] not in REVIEW_CHECKS] == [
        ["5-坏文件.xlsx", None, None, None, "错误", "UNREADABLE_FILE", "文件无法读取"]
    ]
    # the review's: the three 满意度 of each of the five forms, the three forms whose rate trails, the one half unspent
    reviewed = Counter(f[5] for f in findings[1:] if f[5] in REVIEW_CHECKS)
    assert reviewed == {"SATISFACTION_NO_SURVEY": 15, "SCORE_OUTRUNS_SPENDING": 3, "UNSPENT_SHARE": 1}
    stats = {row[0].value: row[1].value for row in wb["统计"].iter_rows(min_row=3, max_col=2) if row[0].value}
    assert (stats["优秀"], stats["未评分"], stats["无法读取"], stats["90分及以上"], stats["错误"]) == (5, 0, 1, 5, 1)
    assert stats["文件无法读取"] == 1  # the finding code by its description
    # mean of the totals: (99 + 100 + 100 + 95 + 98) / 5 = 98.4
    assert stats["平均"] == 98.4


def test_the_summary_looks_like_a_finished_table(inbox, tmp_path):
    run(inbox, tmp_path / "out")
    ws = openpyxl.load_workbook(tmp_path / "out" / "summary.xlsx")["项目汇总"]
    for cell in ws[1]:  # the header: filled, bold, wrapped, bordered
        assert cell.fill.fgColor.rgb == "FFD9E1F2" and cell.font.b and cell.alignment.wrap_text
        assert cell.border.left.style == "thin" and cell.border.bottom.style == "thin"
    for row in ws.iter_rows(min_row=2, max_row=7):  # every data cell bordered, blanks included
        assert all(c.border.left.style == "thin" and c.border.top.style == "thin" for c in row)
    assert ws["A7"].value is None and ws["A7"].border.right.style == "thin"
    widths = {c: int(ws.column_dimensions[c].width) for c in "ABCLM"}  # the file adds 0.71 of cell padding
    # widest text + 2, a CJK character counting two; a header may wrap before its "（":
    # 单位名称 8 (丙所 4) → 10; 项目名称 (值班视频系统 12) → 14; 全年预算数（万元） → 全年预算数 10 → 12;
    # 文件 (5-坏文件.xlsx: 2 + 6 + 5 = 13) → 15; 所在文件夹: the longest folder, …/inbox/二组, at most 60
    folder = len(str(inbox)) + 1 + 4
    assert widths == {"A": 10, "B": 14, "C": 12, "L": 15, "M": min(60, folder + 2)}


def test_grade_counts_in_the_words_of_the_rules_that_scored(inbox, tmp_path):
    write_workbook(inbox / "6-丁站.xlsx", info={"单位名称": "丁站"}, omit_sheets=("绩效指标",))  # read, not scored
    run(inbox, tmp_path / "out", "--rules", "hubei")
    wb = openpyxl.load_workbook(tmp_path / "out" / "summary.xlsx")
    grades = [row[8].value for row in wb["项目汇总"].iter_rows(min_row=2)]
    # totals 99, 100, 100, 95, 98 (the workbooks' own 预算执行率分值 10): all ≥ 90, Hubei's 优
    assert grades == ["未评分", "优", "优", "优", "优", "优", "无法读取"]
    stats = [[c.value for c in row] for row in wb["统计"].iter_rows(min_row=3, max_row=9, max_col=2)]
    assert stats == [["等级", "个数"], ["优", 5], ["良", 0], ["中", 0], ["差", 0], ["未评分", 1], ["无法读取", 1]]
    fills = {
        r.formula[0]: r.dxf.fill.bgColor.rgb
        for cf in wb["项目汇总"].conditional_formatting
        for r in cf.rules
        if cf.sqref == "I2:I8" and r.operator == "equal"
    }
    assert fills == {'"优"': "FFC6EFCE", '"良"': "FFDDEBF7", '"中"': "FFFFEB9C", '"差"': "FFFFC7CE"}
    rules = [
        [c.value for c in row]
        for row in wb["统计"].iter_rows(min_col=1, max_col=3)
        if row[0].value == "湖北省项目支出绩效自评规则"
    ]
    digest = hashlib.sha256(
        (Path(xlsx_eval.__file__).parent / "score" / "profiles" / "hubei.toml").read_bytes()
    ).hexdigest()
    assert rules == [["湖北省项目支出绩效自评规则", "hubei", digest[:12]]]
    assert wb["项目汇总"]["N3"].value == f"湖北省项目支出绩效自评规则，文件摘要 {digest[:12]}"
    codes = {row[0].value: (row[1].value, row[2].value) for row in wb["统计"].iter_rows(min_row=3, max_col=3)}
    assert codes["缺少必需的工作表"] == (1, "MISSING_SHEET") and codes["文件无法读取"] == (1, "UNREADABLE_FILE")


def test_results_kept_from_before_rules_named_their_grades(tmp_path):
    # a manifest written by an earlier version: the rules record has no "grades"; the grades given still count
    def result(name, grade, total, findings=()):
        return {
            "file": f"in/{name}.xlsx",
            "output": None,
            "project": {"unit": name, "name": "项目"},
            "funds": None,
            "total": total,
            "grade": grade,
            "findings": list(findings),
            "rules": {"name": "hubei", "digest": "ab"},
        }

    unreadable = {"severity": "error", "code": "UNREADABLE_FILE", "sheet": "", "cell": "", "message": "坏"}
    write_summary(
        [result("甲", "优", 95.0), result("乙", "良", 85.0), result("丙", None, None, [unreadable])],
        tmp_path / "summary.xlsx",
    )
    ws = openpyxl.load_workbook(tmp_path / "summary.xlsx")["统计"]
    stats = [[c.value for c in row] for row in ws.iter_rows(min_row=4, max_row=7, max_col=2)]
    assert stats == [["优", 1], ["良", 1], ["未评分", 0], ["无法读取", 1]]


def test_chart_axes_count_in_whole_numbers(inbox, tmp_path):
    run(inbox, tmp_path / "out")
    with zipfile.ZipFile(tmp_path / "out" / "summary.xlsx") as zf:
        charts = [zf.read(n).decode() for n in sorted(zf.namelist()) if n.startswith("xl/charts/chart")]
    assert len(charts) == 2
    for chart in charts:
        axis = re.search(r"<c:valAx>.*</c:valAx>", chart).group()
        assert '<c:majorUnit val="1"/>' in axis and '<c:numFmt formatCode="0" sourceLinked="0"/>' in axis
        assert '<c:min val="0"/>' in axis


@pytest.mark.parametrize(
    ("highest", "step"), [(0, 1), (10, 1), (11, 2), (20, 2), (21, 5), (50, 5), (51, 10), (1000, 100), (1001, 200)]
)
def test_a_big_batch_counts_in_round_steps_of_at_most_ten(highest, step):
    assert count_step(highest) == step


def test_every_summary_sheet_prints_on_a4_one_page_wide(inbox, tmp_path):
    run(inbox, tmp_path / "out")
    wb = openpyxl.load_workbook(tmp_path / "out" / "summary.xlsx")
    for ws in wb:
        # fitToWidth absent: the schema's default, 1 page wide
        assert ws.page_setup.paperSize == 9 and ws.page_setup.fitToWidth in (None, 1), ws.title
        assert ws.page_setup.fitToHeight == 0 and ws.sheet_properties.pageSetUpPr.fitToPage, ws.title


@pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdfinfo") is None,
    reason="LibreOffice (soffice) or pdfinfo not installed",
)
def test_libreoffice_prints_the_summary_on_a4_in_a_c_locale(inbox, tmp_path):
    import subprocess

    run(inbox, tmp_path / "out")
    soffice(tmp_path / "out" / "summary.xlsx", tmp_path / "pdf", "pdf", c_locale=True)
    info = subprocess.run(
        ["pdfinfo", "-f", "1", "-l", "99", str(tmp_path / "pdf" / "summary.pdf")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # one landscape A4 page a sheet (Letter would be 792 x 612)
    assert re.findall(r"Page +\d+ size: +([\d.]+ x [\d.]+) pts", info) == ["841.89 x 595.304"] * 3


def test_changed_only_redoes_exactly_the_changed_file(inbox, tmp_path):
    out = tmp_path / "out"
    run(inbox, out)
    before = {p.name: p.stat().st_mtime_ns for p in out.glob("*.scored.xlsx")}
    time.sleep(0.05)
    write_workbook(
        inbox / "3-甲办.xlsx",
        info={"单位名称": "甲办", "项目名称": "会议系统", "全年执行数": 35},
        payments=[(dt.date(2020, 6, 1), "全年支出", 35)],
    )  # a late correction: now 100% → 100
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


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_worker_that_crashes_hangs_or_runs_out_of_memory_costs_only_its_file(jobs):
    # Each worker holds the next task while it runs one: the task queued behind one that kills the worker is
    # given to the next worker, not lost nor counted as failed.
    tasks = [("a",), ("crash",), ("b",), ("hang",), ("c",), ("hog",), ("d",)]
    limits = isolate.ProcessLimits(seconds=3, memory_bytes=1 << 30)
    results = isolate.run_all(_crash_on, tasks, jobs=jobs, limits=limits)
    assert [results[i] for i in (0, 2, 4, 6)] == ["A", "B", "C", "D"]
    assert isinstance(results[1], isolate.ChildFailed) and "异常退出" in str(results[1])
    assert isinstance(results[3], isolate.ChildFailed) and "3 秒" in str(results[3])
    assert isinstance(results[5], isolate.ChildFailed) and "内存" in str(results[5])


def _pid_after(seconds):
    time.sleep(seconds)
    return os.getpid()


def test_two_tasks_on_two_workers_run_side_by_side():
    # Two big files, two workers: each takes one (the second queued behind the first would double the run).
    pids = isolate.run_all(_pid_after, [(0.3,), (0.3,)], jobs=2)
    assert len(set(pids)) == 2


def test_progress_and_messages_stay_off_stdout_with_json(inbox, tmp_path):
    result, document = run(inbox, tmp_path / "out")
    assert len(document["results"]) == 6  # stdout held exactly one JSON document
    assert "完成：" in result.stderr


def test_help_starts_without_pandas():
    import subprocess
    import sys

    code = (
        "import sys; from xlsx_eval.cli import app; sys.argv=['xlsx-eval','--help']\n"
        "try: app()\nexcept SystemExit: pass\nprint('pandas' in sys.modules, 'openpyxl' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "False False"


def test_workers_left_idle_at_the_end_do_not_keep_the_pool_waiting():
    # Two workers answer in the same round while one task is left: one takes it, the other is idle with
    # nothing more to do. A slowed wait makes both answers arrive together; run in a child with a time limit,
    # since the failure this guards against is a pool that never returns.
    import subprocess
    import sys

    code = (
        "import time\nfrom xlsx_eval import isolate\n"
        "real_wait = isolate._wait\n"
        "def slow_wait(workers, seconds):\n    time.sleep(0.3)\n    return real_wait(workers, seconds)\n"
        "isolate._wait = slow_wait\n"
        "print(isolate.run_all(str, [(1,), (2,), (3,)], jobs=2))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "['1', '2', '3']"


def test_a_worker_that_aborts_prints_nothing_into_the_log():
    import subprocess
    import sys

    # as pytest sets it up: the fault handler writes to a copy of stderr, which a worker's own redirect misses
    code = (
        "import faulthandler, os\nfaulthandler.enable(file=os.fdopen(os.dup(2), 'w'))\n"
        "from xlsx_eval import isolate\n"
        "print(type(isolate.run_all(os.abort, [()], jobs=1)[0]).__name__)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "ChildFailed" and "Fatal Python error" not in done.stderr and done.stderr == ""
