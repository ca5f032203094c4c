"""The server's jobs: each upload is a folder DATA/jobs/<id>/ (``id`` random and unguessable) scored by the
library's own ``convert_batch`` in a process of its own, so that the server never waits on a batch and a hostile
upload costs only its own job (each file is isolated again inside, as on the command line).

A job's process comes from a forkserver (a clean single-threaded process with xlsx-eval imported, not a fork of
the server's threads) and ends with its job: no idle worker outlives the server. A thread per running job waits
for it; two units' checks run at once (each a second or so), one batch at a time (it has ``jobs`` processes of
its own); the others wait their turn.

A job's folder holds ``in/`` (the uploads, each in a folder of a random name), ``meta.json`` (what the user called them, what
was refused), ``out/`` (the output folder with its store, exactly as ``convert`` leaves it), ``progress.json``
(files done, written by the worker as each finishes) and, at the end, ``job.json`` (the results and the files
one may download). A job whose folder has no job.json and no worker was cut short by a restart.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import re
import secrets
import shutil
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from ..files import atomic_path
from .uploads import Saved

ID = re.compile(r"[A-Za-z0-9_-]{22}")
KINDS = ("check", "batch")  # one unit's workbook; the bureau's intake
WORKERS = {"check": 2, "batch": 1}


@dataclass
class Job:
    id: str
    kind: str
    status: str  # queued, running, done, failed, interrupted
    done: int
    total: int
    meta: dict[str, Any]
    data: dict[str, Any] = field(default_factory=dict)  # job.json, once done
    folder: Path = Path()


class JobDied(Exception):
    """A job's process ended without writing its job.json (killed, out of memory, or the server stopping)."""


class Jobs:
    """Every job of a server: created from an upload, run in a process of its own, looked up by id, swept after
    ``keep_hours``."""

    def __init__(self, data: Path, rules: str | None, jobs: int, keep_hours: float) -> None:
        self.root = data / "jobs"
        self.history = data / "history"
        self.root.mkdir(parents=True, exist_ok=True)
        self.rules, self.jobs, self.keep = rules, jobs, keep_hours * 3600
        self.futures: dict[str, Future] = {}
        self.running: dict[str, BaseProcess] = {}
        self.closing = False
        self.lock = threading.Lock()
        self.context = multiprocessing.get_context("forkserver")
        self.context.set_forkserver_preload(["xlsx_eval.web.run"])
        self.turns = {kind: ThreadPoolExecutor(WORKERS[kind], thread_name_prefix=f"job-{kind}") for kind in KINDS}

    def _run(self, job_id: str, folder: Path) -> None:
        """The job in its own process, waited for; JobDied when it ends without its job.json."""
        from .run import run_job

        process = self.context.Process(
            target=run_job, args=(str(folder), str(self.history), self.rules, self.jobs), name=f"xlsx-eval {job_id}"
        )
        with self.lock:
            if self.closing:
                raise JobDied("服务已停止，这项任务没有开始；请重新上传。")
            process.start()
            self.running[job_id] = process
        process.join()
        with self.lock:
            del self.running[job_id]
        if not (folder / "job.json").exists():
            raise JobDied(
                "服务已停止，这项任务没有完成；请重新上传。"
                if self.closing
                else "处理这批文件的进程意外退出（可能是内存不足）；请重新上传，或分几次上传。"
            )

    def create(
        self,
        kind: str,
        saved: Saved,
        folder: Path,
        sample: str | None = None,
        seed: int = 1,
        declared: Saved | None = None,
    ) -> str:
        """Start the job of an upload already saved in ``folder``/in (a ``new_folder``), with the 绩效目标申报表 of
        a batch in ``folder``/declared; its id."""
        job_id = folder.name
        meta = {
            "kind": kind,
            "created": dt.datetime.now().isoformat(timespec="seconds"),
            "names": saved.files,
            "declared": declared.files if declared else {},
            "refused": saved.refused
            + [(f"申报表 {name}", why) for name, why in (declared.refused if declared else [])],
            "sample": sample,
            "seed": seed,
        }
        with atomic_path(folder / "meta.json") as tmp:
            tmp.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        self.futures[job_id] = self.turns[kind].submit(self._run, job_id, folder)
        return job_id

    def new_folder(self) -> Path:
        """A job's folder, with its id as name; the uploads go in its ``in``."""
        folder = self.root / secrets.token_urlsafe(16)
        (folder / "in").mkdir(parents=True)
        return folder

    def get(self, job_id: str) -> Job | None:
        """The job of this id as it stands; None when there is none (or the id is no id)."""
        if not ID.fullmatch(job_id):
            return None
        folder = self.root / job_id
        try:
            meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        job = Job(job_id, meta["kind"], "queued", 0, len(meta["names"]), meta, folder=folder)
        try:
            job.data = json.loads((folder / "job.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass
        else:
            job.status, job.done = job.data["state"], job.total
            return job
        future = self.futures.get(job_id)
        if future is None:
            job.status = "interrupted"
        elif future.done():
            job.status = "failed"
            exc = (
                future.exception() if not future.cancelled() else JobDied("服务已停止，这项任务没有开始；请重新上传。")
            )
            job.data = {
                "error": str(exc) if isinstance(exc, JobDied) else f"处理时出错；请重新上传（技术信息：{exc!r}）"
            }
        else:
            job.status = "running" if future.running() else "queued"
            try:
                job.done = json.loads((folder / "progress.json").read_text(encoding="utf-8"))["done"]
            except (OSError, ValueError, KeyError):
                pass
        return job

    def sweep(self) -> int:
        """Remove the jobs (and the snapshots of projects) older than the keep time; how many jobs went."""
        cutoff = time.time() - self.keep
        gone = 0
        for folder in self.root.iterdir():
            future = self.futures.get(folder.name)
            if future is not None and not future.done():
                continue
            try:
                old = (folder / "meta.json").stat().st_mtime < cutoff
            except OSError:
                old = folder.stat().st_mtime < cutoff  # a folder whose upload never finished
            if old:
                shutil.rmtree(folder, ignore_errors=True)
                self.futures.pop(folder.name, None)
                gone += 1
        if self.history.is_dir():
            for snapshot in self.history.glob("*.json"):
                if snapshot.stat().st_mtime < cutoff:
                    snapshot.unlink(missing_ok=True)
        return gone

    def close(self) -> None:
        """Stop: jobs waiting their turn never start, running ones are stopped (their pages then say so, and a
        restarted server finds them cut short)."""
        with self.lock:
            self.closing = True
            for process in self.running.values():
                process.terminate()
        for turn in self.turns.values():
            turn.shutdown(wait=True, cancel_futures=True)
