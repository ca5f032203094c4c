"""Run one file's work in a child process, so that a parser's crash, hang or memory blow-up costs that
file and not the whole run.

python-calamine aborts the process on some files (no Python exception can catch that), and a hostile
file can make any parser allocate without bound. The child gets a memory ceiling and a time limit;
whatever happens to it, the parent gets a result or a ChildFailed it can report. Where the platform
cannot fork (Windows), the work runs in-process.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class ProcessLimits:
    seconds: float = 300.0
    memory_bytes: int = 2 << 30  # on top of what the parent already has mapped


DEFAULT_PROCESS_LIMITS = ProcessLimits()


class ChildFailed(Exception):
    """The child died, hung or ran out of memory; the message says so in Chinese."""


def call(fn: Callable[..., T], *args, limits: ProcessLimits = DEFAULT_PROCESS_LIMITS) -> T:
    """``fn(*args)`` in a forked child; its exceptions are raised here, its death is ChildFailed."""
    if not hasattr(os, "fork"):
        return fn(*args)
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_run, args=(send, fn, args, limits.memory_bytes), daemon=True)
    child.start()
    send.close()
    try:
        if not receive.poll(limits.seconds):
            child.kill()
            raise ChildFailed(f"处理超过 {limits.seconds:.0f} 秒仍未完成，已停止；该文件可能过大或已损坏")
        try:
            ok, payload = receive.recv()
        except EOFError:
            child.join()
            raise ChildFailed(_death(child.exitcode)) from None
    finally:
        receive.close()
        child.join(5)
        if child.is_alive():
            child.kill()
            child.join()
    if ok:
        return payload
    raise payload


def _run(send, fn, args, memory_bytes: int) -> None:
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
    try:
        outcome = (True, fn(*args))
    except MemoryError:
        outcome = (False, ChildFailed("处理该文件所需内存超过上限，已停止；该文件可能过大或已损坏"))
    except Exception as exc:  # sent to the parent, which raises it there
        outcome = (False, exc)
    except BaseException as exc:  # a Rust panic from a parser arrives as a BaseException
        outcome = (False, ChildFailed(f"解析该文件时程序内部出错（{type(exc).__name__}），该文件可能已损坏；"
                                      f"请用 Excel 或 WPS 打开后另存为 .xlsx 再提交"))
    try:
        send.send(outcome)
    except Exception as exc:  # an exception that does not pickle
        send.send((False, ChildFailed(f"{type(exc).__name__}: {exc}")))
    finally:
        send.close()


def _mapped_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _death(exitcode: int | None) -> str:
    return (f"解析该文件时程序异常退出（退出码 {exitcode}），该文件可能已损坏或含有异常内容；"
            f"请用 Excel 或 WPS 打开后另存为 .xlsx 再提交")
