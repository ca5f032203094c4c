"""The output folder as a store, tried the way a finance bureau uses it all spring: resubmissions of files that
share a name, two colleagues at once, a killed terminal, a full or read-only disk, odd names and odd inputs.

Commands run as real processes (``python -m xlsx_eval``) on real files wherever the point is a process: two at
once, a SIGKILL, workers left behind. Disks that fill up or are read-only are small tmpfs mounts, made when the
tests run as root and skipped with the reason otherwise.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import shutil
import signal
import socketserver
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import unquote

import openpyxl
import pytest
from conftest import write_workbook
from typer.testing import CliRunner

from xlsx_eval import isolate, pipeline
from xlsx_eval.cli import app
from xlsx_eval.files import NAME_MAX

FROM = "jxpj@czj.example.gov.cn"
MAIL_ENV = {"XLSX_EVAL_SMTP_TIMEOUT": "5", "XLSX_EVAL_SMTP_RETRY_DELAY": "0.01"}
#: A ledger of 3,000 payments: each such workbook takes a worker a noticeable moment, and its scored copy ~64 KB.
BIG_LEDGER = [(dt.date(2020, 1, 1) + dt.timedelta(days=i % 300), f"支出{i}", 0.001) for i in range(3000)]


def xe(*args, timeout: float = 180, env: dict | None = None) -> subprocess.CompletedProcess:
    """``xlsx-eval ARGS`` as a user runs it, in a process of its own."""
    return subprocess.run(
        [sys.executable, "-m", "xlsx_eval", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
    )


def start(*args) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "xlsx_eval", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )


def wait_for(condition, seconds: float = 60) -> None:
    end = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > end:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


def unit_of(data: bytes | Path) -> str:
    """The 单位名称 of a scored copy (项目信息!B3, as conftest writes it)."""
    source = io.BytesIO(data) if isinstance(data, bytes) else data
    return openpyxl.load_workbook(source, read_only=True)["项目信息"]["B3"].value


def status(out: Path) -> dict:
    done = xe("status", out, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def big_inbox(folder: Path, copies: int) -> Path:
    folder.mkdir(parents=True)
    first = write_workbook(folder / "000.xlsx", info={"全年执行数": 3.0}, payments=BIG_LEDGER)
    for i in range(1, copies):
        shutil.copy(first, folder / f"{i:03d}.xlsx")
    return folder


def paid(amount: float) -> list:
    """A ledger of one payment that matches a 全年执行数 of ``amount``."""
    return [(dt.date(2020, 6, 1), "全年支出", amount)]


def attachments(message) -> dict[str, bytes]:
    return {part.get_filename(): part.get_content() for part in message.iter_attachments()}


# ------------------------------------------------------------------------------------------------ identity


def test_a_resubmitted_file_of_a_shared_name_keeps_its_own_outputs_and_its_own_mail(tmp_path, server):
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    (inbox / "一组").mkdir(parents=True)
    (inbox / "二组").mkdir()
    write_workbook(inbox / "一组" / "自评表.xlsx", info={"单位名称": "甲局", "联系人邮箱": "jia@example.com"})
    b = write_workbook(inbox / "二组" / "自评表.xlsx", info={"单位名称": "乙局", "联系人邮箱": "yi@example.com"})
    assert xe("convert", inbox, "-o", out).returncode == 0
    assert unit_of(out / "自评表.scored.xlsx") == "甲局" and unit_of(out / "自评表-2.scored.xlsx") == "乙局"

    # 乙局 corrects its form (全年执行数 35 of 35: 100% → 100 points) and it is converted alone, later
    write_workbook(b, info={"单位名称": "乙局", "联系人邮箱": "yi@example.com", "全年执行数": 35}, payments=paid(35))
    again = xe("convert", b, "-o", out, "--json")
    assert again.returncode == 0, again.stderr
    [result] = json.loads(again.stdout)["results"]
    assert Path(result["output"]).name == "自评表-2.scored.xlsx" and result["total"] == 100.0
    assert unit_of(out / "自评表.scored.xlsx") == "甲局"  # 甲局's copy untouched

    shutil.move(b, tmp_path / "archived.xlsx")  # the bureau files the resubmission away, then sends
    sent = xe("email", out, "--from", FROM, "--smtp-host", "127.0.0.1", "--smtp-port", server.port, env=MAIL_ENV)
    assert sent.returncode == 0, sent.stderr
    received = server.handler.by_recipient()
    assert sorted(received) == ["jia@example.com", "yi@example.com"]
    for address, unit, subject in (
        ("jia@example.com", "甲局", "【绩效自评结果】甲局·值班视频系统安装经费：99.4分（优秀）"),
        ("yi@example.com", "乙局", "【绩效自评结果】乙局·值班视频系统安装经费：100分（优秀）"),
    ):
        [message] = received[address]
        assert message.message["Subject"] == subject
        [(name, data)] = attachments(message.message).items()
        assert unit_of(data) == unit


def test_a_file_in_the_folder_that_the_store_did_not_write_is_never_overwritten(tmp_path, example):
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    out.mkdir()
    shutil.copy(example, inbox / "x.xlsx")
    (out / "x.scored.xlsx").write_bytes(b"a colleague's own file")
    (out / "summary.xlsx").write_bytes(b"the unit's own summary")

    done = xe("convert", inbox, "-o", out, "--json")
    assert done.returncode == 0, done.stderr
    assert Path(json.loads(done.stdout)["results"][0]["output"]).name == "x-2.scored.xlsx"
    assert (out / "x.scored.xlsx").read_bytes() == b"a colleague's own file"
    assert (out / "summary.xlsx").read_bytes() == b"the unit's own summary"
    assert f"汇总表：{out / 'summary-2.xlsx'}" in done.stderr
    assert openpyxl.load_workbook(out / "summary-2.xlsx")["项目汇总"]["A2"].value == "长安区委办公室"


def test_an_output_folder_inside_an_input_folder_is_refused(tmp_path, example):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(example, inbox / "x.xlsx")
    (inbox / "summary.xlsx").write_bytes(b"the unit's own summary")
    for out in (inbox, inbox / "out"):
        done = xe("convert", inbox, "-o", out)
        assert done.returncode == 2
        assert f"✘ 输出文件夹 {out} 在输入文件夹 {inbox} 之内（或就是它）" in done.stderr
        assert f"请用 -o 指定输入文件夹以外的文件夹，如 -o {tmp_path / 'inbox-评分结果'}" in done.stderr
        assert "Traceback" not in done.stderr
    assert sorted(p.name for p in inbox.iterdir()) == ["summary.xlsx", "x.xlsx"]  # nothing written there
    assert (inbox / "summary.xlsx").read_bytes() == b"the unit's own summary"


def test_outputs_named_as_inputs_are_not_scored_again(tmp_path, example):
    folder = tmp_path / "收件"
    folder.mkdir()
    shutil.copy(example, folder / "a.xlsx")
    assert xe("convert", folder / "a.xlsx", "-o", folder).returncode == 0
    # what a shell makes of `xlsx-eval convert 收件/*.xlsx -o 收件`: every file named, our own outputs too
    named = sorted(p for p in folder.iterdir() if p.suffix == ".xlsx")
    assert [p.name for p in named] == ["a.scored.xlsx", "a.xlsx", "summary.xlsx"]
    again = xe("convert", *named, "-o", folder)
    assert again.returncode == 0, again.stderr
    for own in ("a.scored.xlsx", "summary.xlsx"):
        assert f"跳过 {folder / own}：xlsx-eval 的输出文件" in again.stderr
    assert "完成：共 1 个工作簿" in again.stderr and not (folder / "a.scored.scored.xlsx").exists()


# -------------------------------------------------------------------------------------- one writer at once


def test_a_second_convert_into_a_folder_in_use_is_refused_and_loses_nothing(tmp_path):
    first_inbox = big_inbox(tmp_path / "一批", 40)
    second_inbox = tmp_path / "二批"
    second_inbox.mkdir()
    for unit in ("甲局", "乙局", "丙局"):
        write_workbook(second_inbox / f"{unit}.xlsx", info={"单位名称": unit})
    out = tmp_path / "out"

    first = start("convert", first_inbox, "-o", out, "--jobs", "1")
    wait_for(
        lambda: (
            f'"pid": {first.pid}'
            in ((out / ".xlsx-eval.lock").read_text() if (out / ".xlsx-eval.lock").exists() else "")
        )
    )
    second = xe("convert", second_inbox, "-o", out)
    assert first.poll() is None  # the first was still at work when the second was turned away
    assert second.returncode == 2
    assert f"✘ 另一个 xlsx-eval convert（进程 {first.pid}，" in second.stderr
    assert f"正在使用输出文件夹 {out}；请等它结束后再运行，或用 -o 换一个输出文件夹" in second.stderr
    assert first.wait(120) == 0

    assert xe("convert", second_inbox, "-o", out).returncode == 0  # as the message said: run it again after
    summary = openpyxl.load_workbook(out / "summary.xlsx")["项目汇总"]
    assert summary.max_row - 1 == 43  # both runs' workbooks
    assert len(json.loads((out / "manifest.json").read_text(encoding="utf-8"))["entries"]) == 43
    plan = xe("email", out, "--dry-run", "--from", FROM)
    assert "写出 43 封邮件" in plan.stderr


# ------------------------------------------------------------------------------------------- kill -9


def _live_in_group(group: int) -> list[int]:
    """Processes of a process group that are still running (zombies, which hold nothing, not counted)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            pids.append(int(entry.name))
    return pids


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to see the worker processes")
def test_kill_9_mid_batch_keeps_what_finished_leaves_no_worker_and_the_rerun_does_the_rest(tmp_path):
    inbox, out = big_inbox(tmp_path / "inbox", 60), tmp_path / "out"
    run = start("convert", inbox, "-o", out, "--jobs", "2")
    wait_for(lambda: len(list(out.glob("*.scored.xlsx"))) >= 6)
    workers = [pid for pid in _live_in_group(run.pid) if pid != run.pid]
    assert workers  # the pool was at work
    os.kill(run.pid, signal.SIGKILL)
    run.wait(30)
    wait_for(lambda: not _live_in_group(run.pid), seconds=15)  # every worker went with its parent

    kept = status(out)["counts"]
    # what finished was committed, whole (at most the two workers' last files had not been recorded yet)
    assert 4 <= kept["scored"] < 60 and kept["stale_outputs"] == 0

    again = xe("convert", inbox, "-o", out, "--changed-only")
    assert again.returncode == 0, again.stderr
    assert f"完成：共 60 个工作簿（其中 {kept['scored']} 个未改动，沿用上次结果），评分 60 个" in again.stderr
    after = status(out)
    assert after["counts"]["scored"] == 60 and after["counts"]["stale_outputs"] == 0
    assert all(set(i["outputs"].values()) == {"ok"} for i in after["inputs"])


def test_an_input_reverted_after_a_killed_run_is_scored_again(tmp_path):
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    x = write_workbook(inbox / "x.xlsx", info={"全年执行数": 35}, payments=paid(35))  # 100% → 100 points
    write_workbook(inbox / "y.xlsx")
    assert xe("convert", inbox, "-o", out).returncode == 0
    reverted = x.read_bytes()
    scored_before = (out / "x.scored.xlsx").read_bytes()

    # A late correction (17.5 of 35: 50% → 95 points), converted with --changed-only and killed after its worker
    # had written the new scored copy but before the result was recorded: that copy is what such a run leaves.
    write_workbook(x, info={"全年执行数": 17.5}, payments=paid(17.5))
    assert xe("convert", x, "-o", tmp_path / "elsewhere").returncode == 0
    shutil.copy(tmp_path / "elsewhere" / "x.scored.xlsx", out / "x.scored.xlsx")
    x.write_bytes(reverted)  # then the unit takes the correction back

    done = xe("convert", inbox, "-o", out, "--changed-only", "--json")
    assert done.returncode == 0, done.stderr
    results = {Path(r["file"]).name: r for r in json.loads(done.stdout)["results"]}
    assert results["x.xlsx"]["total"] == 100.0
    assert (out / "x.scored.xlsx").read_bytes() == scored_before  # scored again, not trusted: the same bytes
    assert "其中 1 个未改动" in done.stderr  # y only


def test_a_file_that_timed_out_or_was_missing_is_tried_again(tmp_path, monkeypatch, example):
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    shutil.copy(example, inbox / "慢.xlsx")
    shutil.copy(example, inbox / "快.xlsx")
    late = inbox / "迟交.xlsx"
    hang_once = tmp_path / "hang-once"
    hang_once.touch()
    evaluate = pipeline._evaluate

    def slow_once(path, rules, declared=None):  # runs in the forked worker: the marker file says whether to hang
        if path.name == "慢.xlsx" and hang_once.exists():
            time.sleep(30)
        return evaluate(path, rules, declared)

    run_all = isolate.run_all
    monkeypatch.setattr(pipeline, "_evaluate", slow_once)
    monkeypatch.setattr(
        isolate,
        "run_all",
        lambda fn, tasks, jobs, limits=None, done=None: run_all(
            fn, tasks, jobs, isolate.ProcessLimits(seconds=2), done
        ),
    )
    runner = CliRunner()
    first = runner.invoke(app, ["convert", str(inbox), str(late), "-o", str(out), "--json"])
    by_name = {Path(r["file"]).name: r for r in json.loads(first.stdout)["results"]}
    assert "处理超过 2 秒仍未完成" in by_name["慢.xlsx"]["findings"][0]["message"]
    assert by_name["迟交.xlsx"]["findings"][0]["code"] == "UNREADABLE_FILE"
    assert status(out)["counts"]["retry"] == 2

    hang_once.unlink()
    shutil.copy(example, late)
    again = runner.invoke(app, ["convert", str(inbox), str(late), "-o", str(out), "--changed-only", "--json"])
    assert again.exit_code == 0, again.output
    assert [r["total"] for r in json.loads(again.stdout)["results"]] == [99.4, 99.4, 99.4]
    assert "其中 1 个未改动" in again.stderr  # 快.xlsx; the two that failed were not kept as failures


# -------------------------------------------------------------------------------------------- odd inputs


def test_fifos_devices_and_symlink_loops_are_skipped_and_counted(tmp_path, example):
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    (inbox / "子").mkdir(parents=True)
    shutil.copy(example, inbox / "好.xlsx")
    fifo = inbox / "管道.xlsx"
    os.mkfifo(fifo)
    (inbox / "环.xlsx").symlink_to("环.xlsx")
    (inbox / "子" / "上级").symlink_to("..")

    done = xe("convert", fifo, "/dev/zero", inbox, "-o", out, timeout=60)
    assert done.returncode == 0, done.stderr
    assert f"跳过 {fifo}：是管道（FIFO），不是普通文件" in done.stderr
    assert "跳过 /dev/zero：是设备文件，不是普通文件" in done.stderr
    assert f"跳过 {inbox / '环.xlsx'}：符号链接循环指向自身，无法打开" in done.stderr
    assert f"跳过 {inbox / '子' / '上级'}：符号链接指回上级文件夹，已跳过，避免重复" in done.stderr
    assert "完成：共 1 个工作簿，评分 1 个（其中 0 个有错误），未能评分 0 个，无法读取 0 个，跳过 4 个" in done.stderr

    by_glob = xe("check", str(inbox / "*.xlsx"), timeout=60)
    assert by_glob.returncode == 0 and f"跳过 {fifo}：是管道（FIFO），不是普通文件" in by_glob.stderr


def test_a_name_that_is_not_utf8_is_skipped_and_counted(tmp_path, example):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(example, inbox / "好.xlsx")
    shutil.copy(example, os.fsdecode(os.fsencode(inbox) + b"/\xb1\xa8\xb1\xed.xlsx"))  # 报表 in GBK
    done = xe("convert", inbox, "-o", tmp_path / "out", timeout=60)
    assert done.returncode == 0 and "Traceback" not in done.stderr
    assert f"跳过 {inbox}/\\xb1\\xa8\\xb1\\xed.xlsx：文件名不是有效的 UTF-8 文字" in done.stderr
    assert "评分 1 个" in done.stderr and "跳过 1 个" in done.stderr


def test_a_name_too_long_for_the_disk_gets_a_shorter_one_and_says_so(tmp_path, example):
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    stem = "关于" + "二〇二〇年度值班视频系统安装经费项目" * 4 + "绩效自评表定稿版本"  # 83 characters, 249 bytes
    assert len(stem.encode()) == 249
    shutil.copy(example, inbox / f"{stem}.xlsx")

    done = xe("convert", inbox, "-o", out, "--report", "--json")
    assert done.returncode == 0, done.stderr
    [result] = json.loads(done.stdout)["results"]
    written = Path(result["output"]).name
    assert written.endswith(".scored.xlsx") and len(written.encode()) <= NAME_MAX
    assert stem.startswith(written[: -len(".scored.xlsx")])
    assert (out / written).is_file() and Path(result["report"]).is_file()
    [note] = [f for f in result["findings"] if f["code"] == "NAME_SHORTENED"]
    assert note["severity"] == "info"
    assert len(written.encode()) == 255  # 81 of the 83 characters kept: 243 bytes, and ".scored.xlsx"
    assert note["message"] == (
        f"文件名过长：评分后的文件名会有 261 字节，超过系统允许的 255 字节，已改用较短的名称"
        f"“{written}”；建议把原文件改用较短的名称"
    )


def test_a_hash_in_a_name_keeps_the_summary_link_working(tmp_path, example):
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    shutil.copy(example, inbox / "第#1号 方案%20.xlsx")
    assert xe("convert", inbox, "-o", out).returncode == 0
    link = openpyxl.load_workbook(out / "summary.xlsx")["项目汇总"]["L2"].hyperlink
    assert link.target == "第%231号%20方案%2520.scored.xlsx"
    assert (out / unquote(link.target)).is_file()


# ------------------------------------------------------------------------------------ full and read-only disks


@pytest.fixture
def small_disk(tmp_path):
    """small_disk("3m", read_only=False) → a folder on a tmpfs of that size, unmounted afterwards."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("a small or read-only disk needs a tmpfs mount, which needs root")
    mounts = []

    def make(size: str, read_only: bool = False) -> Path:
        where = tmp_path / f"disk{len(mounts)}"
        where.mkdir()
        options = f"size={size}" + (",ro" if read_only else "")
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
        mounts.append(where)
        return where

    yield make
    for where in mounts:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def _fill(disk: Path, leave: int) -> Path:
    """A file that takes the disk's free space down to about ``leave`` bytes."""
    st = os.statvfs(disk)
    filler = disk / "filler"
    with open(filler, "wb") as f:
        f.write(bytes(max(0, st.f_bavail * st.f_frsize - leave)))
    return filler


def test_a_disk_that_fills_up_mid_batch(tmp_path, small_disk):
    inbox = big_inbox(tmp_path / "inbox", 20)
    disk = small_disk("4m")
    out = disk / "out"
    out.mkdir()
    filler = _fill(disk, (1 << 20) + 150_000)  # enough to start, not enough for 20 scored copies of ~64 KB

    full = xe("convert", inbox, "-o", out, "--jobs", "1")
    assert full.returncode in (1, 2) and "Traceback" not in full.stderr
    assert "磁盘已满" in full.stderr
    filler.unlink()
    kept = status(out)
    assert kept["counts"]["stale_outputs"] == 0  # whatever was recorded is on disk, whole
    assert kept["counts"]["scored"] < 20

    again = xe("convert", inbox, "-o", out, "--changed-only")
    assert again.returncode == 0, again.stderr
    assert status(out)["counts"]["scored"] == 20 and (out / "summary.xlsx").is_file()


def test_a_full_disk_is_refused_before_any_work(tmp_path, small_disk, example):
    disk = small_disk("2m")
    _fill(disk, 200_000)
    (disk / "out").mkdir()
    done = xe("convert", example, "-o", disk / "out")
    assert done.returncode == 2
    assert f"✘ 输出文件夹 {disk / 'out'} 所在的磁盘只剩" in done.stderr and "空间不足" in done.stderr
    assert "总分" not in done.stderr and "Traceback" not in done.stderr


def test_a_read_only_folder_is_refused_before_any_work(small_disk, example):
    disk = small_disk("1m", read_only=True)
    done = xe("convert", example, "-o", disk)
    assert done.returncode == 2
    assert done.stderr.strip() == f"✘ {disk} 所在的磁盘是只读的，无法写入；请用 -o 换一个可以写入的输出文件夹"


@pytest.fixture
def converted_on_small_disk(tmp_path, small_disk):
    """Four units converted into a folder on a 3 MB disk."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for unit in ("甲局", "乙局", "丙局", "丁局"):
        write_workbook(
            inbox / f"{unit}.xlsx", info={"单位名称": unit, "联系人邮箱": f"{unit.encode().hex()}@example.com"}
        )
    out = small_disk("3m") / "out"
    assert xe("convert", inbox, "-o", out).returncode == 0
    return out


def test_a_disk_full_after_the_server_accepted_never_gives_a_duplicate(converted_on_small_disk, server):
    out = converted_on_small_disk
    filler = out.parent / "filler"
    handler = server.handler
    accept = handler.handle_DATA

    async def fill_then_accept(srv, session, envelope):  # the disk fills while the second message is taken
        if handler.data_seen == 1:
            with contextlib.suppress(OSError), open(filler, "wb") as f:
                while True:
                    f.write(bytes(1 << 16))
                    f.flush()
        return await accept(srv, session, envelope)

    handler.handle_DATA = fill_then_accept
    args = ["email", out, "--from", FROM, "--smtp-host", "127.0.0.1", "--smtp-port", server.port]
    first = xe(*args, env=MAIL_ENV)
    assert first.returncode == 1 and "Traceback" not in first.stderr
    assert "但无法记入发送记录" in first.stderr and "为免重复，重新运行时不会再发这一封" in first.stderr
    second_unit = handler.messages[1].rcpts[0]

    filler.unlink()
    handler.handle_DATA = accept
    again = xe(*args, env=MAIL_ENV)
    assert again.returncode == 1  # one message's fate is not known: said, not guessed
    assert f"上次发给 {second_unit} 时中断，无法确定对方是否已收到，为免重复未再发送" in again.stderr
    assert sorted(len(v) for v in handler.by_recipient().values()) == [1, 1, 1, 1]  # every unit once, none twice


def test_email_proves_it_can_record_before_it_sends(converted_on_small_disk, server):
    out = converted_on_small_disk
    _fill(out.parent, 100_000)
    done = xe("email", out, "--from", FROM, "--smtp-host", "127.0.0.1", "--smtp-port", server.port, env=MAIL_ENV)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "无法写入发送记录，已停止发送" in done.stderr and "空间不足" in done.stderr
    assert server.handler.messages == []


# ----------------------------------------------------------------------------------------- a slow server


def _email_to_a_slow_server(tmp_path: Path, handler: type) -> tuple[subprocess.CompletedProcess, float, int]:
    """One unit converted, then `email` against a loopback server of ``handler`` with a 1 s command timeout:
    what it said, how long it took, and the server's port."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_workbook(inbox / "甲局.xlsx")
    assert xe("convert", inbox, "-o", tmp_path / "out").returncode == 0
    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler) as slow:
        slow.daemon_threads = True
        threading.Thread(target=slow.serve_forever, daemon=True).start()
        port = slow.server_address[1]
        began = time.monotonic()
        done = xe(
            "email",
            tmp_path / "out",
            "--from",
            FROM,
            "--smtp-host",
            "127.0.0.1",
            "--smtp-port",
            port,
            env={**MAIL_ENV, "XLSX_EVAL_SMTP_TIMEOUT": "1"},
        )
        took = time.monotonic() - began
        slow.shutdown()
    return done, took, port


class _Trickle(socketserver.StreamRequestHandler):
    """An SMTP server that answers every command, one line every 0.2 s, in 30 lines."""

    def handle(self) -> None:
        end = time.monotonic() + 60
        self.wfile.write(b"220 slow.example ESMTP\r\n")
        while time.monotonic() < end:
            line = self.rfile.readline()
            if not line:
                return
            try:
                for _ in range(29):
                    self.wfile.write(b"250-still answering\r\n")
                    self.wfile.flush()
                    time.sleep(0.2)
                self.wfile.write(b"250 OK\r\n")
            except OSError:
                return


def test_a_server_that_answers_one_line_at_a_time_meets_the_deadline(tmp_path):
    done, took, port = _email_to_a_slow_server(tmp_path, _Trickle)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"✘ 邮件服务器 127.0.0.1:{port} 回应过慢，一条命令超过 1 秒" in done.stderr
    assert took < 8  # one answer alone would take 6 s; a run of its commands, minutes


class _SlowGreeting(socketserver.StreamRequestHandler):
    """A server whose greeting never ends: one "220-" line a second."""

    def handle(self) -> None:
        end = time.monotonic() + 30
        try:
            while time.monotonic() < end:
                self.wfile.write(b"220-still greeting\r\n")
                self.wfile.flush()
                time.sleep(0.5)
        except OSError:
            return


def test_a_greeting_that_never_ends_meets_the_deadline(tmp_path):
    done, took, port = _email_to_a_slow_server(tmp_path, _SlowGreeting)
    assert done.returncode == 1 and "回应过慢" in done.stderr and "Traceback" not in done.stderr
    assert took < 8


# ------------------------------------------------------------------------------------------------ status


def test_status_says_what_the_folder_holds(tmp_path, server):
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    write_workbook(inbox / "甲局.xlsx", info={"单位名称": "甲局", "联系人邮箱": "jia@example.com"})
    write_workbook(inbox / "乙局.xlsx", info={"单位名称": "乙局", "联系人邮箱": "yi@example.com", "全年执行数": 30.88})
    (inbox / "坏.xlsx").write_bytes(b"not a workbook")
    xe("convert", inbox, "-o", out)

    counts = status(out)["counts"]
    assert counts == {
        "inputs": 3,
        "scored": 2,
        "not_scored": 0,
        "unreadable": 1,
        "retry": 0,
        "with_errors": 1,
        "sent": 0,
        "not_sent": 2,
        "uncertain": 0,
        "stale_outputs": 0,
        "inputs_changed": 0,
    }
    xe(
        "email",
        out,
        "--from",
        FROM,
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        server.port,
        "--to",
        "jia@example.com",
        env=MAIL_ENV,
    )  # --to: both go to 甲局's address
    (out / "乙局.scored.xlsx").write_bytes(b"changed by hand")
    write_workbook(inbox / "甲局.xlsx", info={"单位名称": "甲局", "全年执行数": 35}, payments=paid(35))

    done = xe("status", out)
    assert done.returncode == 0
    assert done.stdout.splitlines() == [
        f"输出文件夹 {out}（记录：{out / 'xlsx-eval.db'}）",
        "工作簿 3 个：已评分 2 个（其中 1 个有错误），未能评分 0 个，无法读取 1 个，上次未完成待重试 0 个",
        "发送：已发送 2 个，尚未发送 0 个，结果不明 0 个",
        "需要重新 convert：输出文件缺失或被改动 1 个，输入在 convert 之后有改动 1 个",
        f"  · {inbox / '乙局.xlsx'}：乙局.scored.xlsx 与记录不符",
        f"  · {inbox / '坏.xlsx'}：无法读取",
        f"  · {inbox / '甲局.xlsx'}：输入文件已改动或已不在原处",
    ]


def test_status_of_a_folder_that_is_not_an_output_folder(tmp_path):
    done = xe("status", tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"{tmp_path} 里没有 xlsx-eval 的记录（xlsx-eval.db），不是 xlsx-eval convert 的输出文件夹；"
        f"请先运行 xlsx-eval convert 输入文件 -o {tmp_path}"
    )


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_pdfs_are_recorded_with_their_input_and_made_only_when_missing(tmp_path, example):
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    shutil.copy(example, inbox / "x.xlsx")
    assert xe("convert", inbox, "-o", out, "--report").returncode == 0  # no PDF yet
    first = xe("convert", inbox, "-o", out, "--report", "--pdf", "--changed-only")
    assert first.returncode == 0, first.stderr
    assert f"已写出 PDF：{out / 'x.report.pdf'}" in first.stderr and "其中 1 个未改动" in first.stderr
    [entry] = status(out)["inputs"]
    assert entry["outputs"] == {"x.scored.xlsx": "ok", "x.report.docx": "ok", "x.report.pdf": "ok"}

    made = (out / "x.report.pdf").stat().st_mtime_ns
    again = xe("convert", inbox, "-o", out, "--report", "--pdf", "--changed-only", "--json")
    assert again.returncode == 0 and "已写出 PDF" not in again.stderr
    assert (out / "x.report.pdf").stat().st_mtime_ns == made
    [result] = json.loads(again.stdout)["results"]
    assert (result["output"], result["report"]) == (str(out / "x.scored.xlsx"), str(out / "x.report.docx"))
