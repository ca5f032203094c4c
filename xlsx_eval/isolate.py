"""Run each file's work in worker processes, so that a parser's crash, hang or memory blow-up costs that
file and not the whole run.

python-calamine aborts the process on some files (no Python exception can catch that), and a hostile
file can make any parser allocate without bound. Workers are forked from the parent (no second start-up
of Python and its imports), each with a memory ceiling; a task that overruns its time is stopped. A worker
that dies or is stopped is replaced, and its task's result is a ChildFailed the caller can report. Results
come back in the order of the tasks, whatever the number of workers. Where the platform cannot fork
(Windows), the work runs in-process, one task after another.

Workers die with their parent: each closes every descriptor it inherited but its own pipe (so an idle worker
reads end-of-file when the parent is gone, and no worker keeps the output folder's lock or another worker's
pipe open), and on Linux asks the kernel to kill it when the parent dies (a busy worker).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import Any

#: A worker is replaced after this many tasks, so that memory a parser leaves behind does not pile up.
TASKS_PER_WORKER = 50
#: Tasks a worker holds at once: the next is already there when one ends, so the worker does not wait while the
#: parent records the result (about a millisecond a file: a fifth of a small workbook's time). Only while more
#: tasks wait than there are workers: the last ones go to whichever worker is free first.
QUEUED_PER_WORKER = 2


@dataclass(frozen=True)
class ProcessLimits:
    seconds: float = 300.0  # per task
    memory_bytes: int = 2 << 30  # per worker, on top of what the parent already has mapped


DEFAULT_PROCESS_LIMITS = ProcessLimits()


class ChildFailed(Exception):
    """The worker died, hung or ran out of memory on a task; the message says so in Chinese."""


def call(fn: Callable[..., Any], *args, limits: ProcessLimits = DEFAULT_PROCESS_LIMITS) -> Any:
    """``fn(*args)`` in a worker; its exceptions are raised here, its death is ChildFailed."""
    [outcome] = run_all(fn, [args], jobs=1, limits=limits)
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


def run_all(
    fn: Callable[..., Any],
    tasks: Sequence[tuple],
    jobs: int,
    limits: ProcessLimits = DEFAULT_PROCESS_LIMITS,
    done: Callable[[int, Any], None] | None = None,
) -> list[Any]:
    """``fn(*task)`` for every task on up to ``jobs`` workers. Each result is the return value, or the
    exception the task raised, or a ChildFailed; ``done(index, result)`` is called as each one finishes."""
    results: list[Any] = [None] * len(tasks)
    if not hasattr(os, "fork"):
        for i, task in enumerate(tasks):
            results[i] = _outcome(fn, task)
            if done:
                done(i, results[i])
        return results
    if sys.platform.startswith("linux"):
        import ctypes  # noqa: F401  (imported once here, inherited by every worker for _die_with)
    pending = list(range(len(tasks)))[::-1]  # popped from the end: first task first
    workers: list[_Worker] = []
    try:
        while pending or any(w.queue for w in workers):  # idle workers are stopped below
            busy = sum(bool(w.queue) for w in workers)
            while len(workers) < min(max(1, jobs), busy + len(pending)):
                workers.append(_Worker(fn, tasks, limits.memory_bytes))
            for worker in workers:  # each idle worker its next task
                if pending and not worker.queue and worker.count < TASKS_PER_WORKER:
                    worker.give(pending.pop())
            for worker in workers:  # and one waiting behind it, while there are more than the workers can take next
                while len(pending) > len(workers) and len(worker.queue) < QUEUED_PER_WORKER:
                    if worker.count >= TASKS_PER_WORKER:
                        break
                    worker.give(pending.pop())
            for worker, (index, outcome) in _wait(workers, limits.seconds):
                results[index] = outcome
                if done:
                    done(index, outcome)
                if worker.count >= TASKS_PER_WORKER and not worker.queue:
                    worker.stop()
                if not worker.alive:  # what it had been given beyond the task that ended goes to another worker
                    pending.extend(reversed(worker.queue))
                    worker.queue.clear()
            workers = [w for w in workers if w.alive]
    finally:
        for worker in workers:
            worker.stop()
    return results


class _Worker:
    def __init__(self, fn: Callable[..., Any], tasks: Sequence[tuple], memory_bytes: int) -> None:
        ctx = multiprocessing.get_context("fork")
        self.conn, child_conn = ctx.Pipe()
        # What the worker is to close: every descriptor open now but its own end of the pipe (the ones start()
        # makes next, for the process's sentinel, stay open).
        inherited = _open_descriptors() - {0, 1, 2, child_conn.fileno()}
        # Forked, the worker inherits fn and the tasks: only a task's index is sent, nothing is pickled for it.
        self.process = ctx.Process(
            target=_serve, args=(child_conn, fn, tasks, memory_bytes, os.getpid(), inherited), daemon=True
        )
        self.process.start()
        child_conn.close()
        self.queue: deque[int] = deque()  # the tasks sent, in order: the first is the one running
        self.started = 0.0  # when the running task started
        self.count = 0
        self.alive = True

    def give(self, index: int) -> None:
        if not self.queue:
            self.started = time.monotonic()
        self.queue.append(index)
        self.count += 1
        self.conn.send(index)

    def finish(self) -> tuple[int, Any]:
        """The running task's outcome: what the worker sent, or ChildFailed when it died before answering."""
        index = self.queue.popleft()
        self.started = time.monotonic()  # the next one's clock
        try:
            sent_index, outcome = self.conn.recv()
            if not self.process.is_alive():
                self.stop()
            return sent_index, outcome
        except (EOFError, OSError):
            self.process.join(5)
            self.alive = False
            return index, ChildFailed(_death(self.process.exitcode))

    def overran(self, seconds: float) -> tuple[int, Any]:
        index = self.queue.popleft()
        self.stop()
        return index, ChildFailed(f"处理超过 {seconds:.0f} 秒仍未完成，已停止；该文件可能过大或已损坏")

    def stop(self) -> None:
        if self.alive:
            try:
                self.conn.send(None)
            except (BrokenPipeError, OSError):
                pass
        self.process.join(0.5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()
        self.alive = False


def _wait(workers: list[_Worker], seconds: float) -> list[tuple[_Worker, tuple[int, Any]]]:
    """Block until some busy worker answers, dies or overruns; return what finished."""
    busy = [w for w in workers if w.queue]
    if not busy:
        return []
    deadline = min(w.started for w in busy) + seconds
    ready = wait([w.conn for w in busy] + [w.process.sentinel for w in busy], max(0.0, deadline - time.monotonic()))
    finished = []
    for worker in busy:
        if worker.conn in ready or worker.process.sentinel in ready:
            finished.append((worker, worker.finish()))
        elif time.monotonic() - worker.started >= seconds:
            finished.append((worker, worker.overran(seconds)))
    return finished


def _serve(
    conn, fn: Callable[..., Any], tasks: Sequence[tuple], memory_bytes: int, parent: int, inherited: set[int]
) -> None:
    _die_with(parent, inherited)
    # A parser that aborts prints its own dying words (a Rust backtrace) to stderr; the parent reports the
    # death in one clear line instead.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    try:
        import resource

        ceiling = _mapped_bytes() + memory_bytes
        resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))
    except (ImportError, ValueError, OSError):
        pass  # no ceiling where the platform refuses one; the time limit still holds
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            break
        if message is None:
            break
        index = message
        outcome = _outcome(fn, tasks[index])
        try:
            conn.send((index, outcome))
        except Exception as exc:  # an outcome that does not pickle
            conn.send((index, ChildFailed(f"{type(exc).__name__}: {exc}")))
    conn.close()
    os._exit(0)


def _open_descriptors() -> set[int]:
    try:
        listed = {int(fd) for fd in os.listdir("/proc/self/fd")}
    except OSError:  # no /proc: nothing is closed, and a worker still exits when its parent is gone
        return set()
    open_now = set()
    for fd in listed:  # not the one the listing itself used, closed by now (and soon reused by start())
        try:
            os.fstat(fd)
        except OSError:
            continue
        open_now.add(fd)
    return open_now


def _die_with(parent: int, inherited: set[int]) -> None:
    """Close the descriptors inherited from the parent (the other ends of every worker's pipe, the output
    folder's lock and store), and be killed when ``parent`` dies."""
    import faulthandler

    # A fault handler the parent set up (pytest does) writes to a descriptor about to be closed, whose number a
    # file of the worker's may take next; and the parent reports a worker's death in one line of its own.
    faulthandler.disable()
    for fd in inherited:
        try:
            os.close(fd)
        except OSError:
            pass
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        try:
            ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before the request took hold
        os._exit(0)


def _outcome(fn: Callable[..., Any], task: tuple) -> Any:
    """The task's return value, or the exception it raised (handed to the caller with the results)."""
    try:
        return fn(*task)
    except MemoryError:
        return ChildFailed("处理该文件所需内存超过上限，已停止；该文件可能过大或已损坏")
    except Exception as exc:
        return exc
    except BaseException as exc:  # a Rust panic from a parser arrives as a BaseException
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        return ChildFailed(
            f"解析该文件时程序内部出错（{type(exc).__name__}），该文件可能已损坏；"
            f"请用 Excel 或 WPS 打开后另存为 .xlsx 再提交"
        )


def _mapped_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _death(exitcode: int | None) -> str:
    return (
        f"解析该文件时程序异常退出（退出码 {exitcode}），该文件可能已损坏或含有异常内容；"
        f"请用 Excel 或 WPS 打开后另存为 .xlsx 再提交"
    )
