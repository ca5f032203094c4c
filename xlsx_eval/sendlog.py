"""OUTDIR/sent.jsonl: what `xlsx-eval email` handed to the mail server, so that each scored workbook goes to
each recipient exactly once.

One JSON object a line, appended, flushed and fsynced as soon as the server has accepted a message for a
recipient (its 250 after the message data), before anything else is sent:

    {"time": "2026-11-27T10:02:03+08:00", "input": "/…/inbox/长安区委办.xlsx",
     "file": "长安区委办.scored.xlsx", "sha256": "…", "report": "长安区委办.report.docx", "report_sha256": "…",
     "to": "changan-qwb@example.com", "message_id": "<…@example.gov.cn>", "server": "smtp.example.gov.cn:587"}

A message is "already sent" to a recipient when a line has the same ``sha256`` (the scored workbook's bytes),
the same ``report_sha256`` (null when no report went with it) and the same ``to`` (compared without case).
A line that does not parse (a crash mid-write) is ignored, so at worst that one message is sent again.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any, Self

from .errors import MailError

NAME = "sent.jsonl"

Key = tuple[str, str | None, str]


def key(sha256: str, report_sha256: str | None, recipient: str) -> Key:
    return sha256, report_sha256, recipient.lower()


class SendLog:
    """The log of one output folder. ``open()`` it (a context manager) to record; reading needs no opening.

    While open, the file is locked (on POSIX), so two `xlsx-eval email` runs on one folder cannot both send.
    """

    def __init__(self, outdir: Path) -> None:
        self.path = Path(outdir) / NAME
        self._keys: set[Key] = set()
        self._file = None
        self._load()

    def _load(self) -> None:
        self._keys.clear()
        try:
            lines = self.path.read_bytes().splitlines()
        except FileNotFoundError:
            return
        except OSError as exc:
            raise MailError(f"无法读取发送记录 {self.path}（{exc.strerror}）") from None
        for line in lines:
            try:
                e = json.loads(line)
                self._keys.add(key(e["sha256"], e.get("report_sha256"), e["to"]))
            except (ValueError, KeyError, TypeError, AttributeError):
                continue

    def sent(self, sha256: str, report_sha256: str | None, recipient: str) -> bool:
        return key(sha256, report_sha256, recipient) in self._keys

    def __enter__(self) -> Self:
        created = not self.path.exists()
        try:
            self._file = self.path.open("ab")
        except OSError as exc:
            raise MailError(f"无法写入发送记录 {self.path}（{exc.strerror}）；请确认输出文件夹可以写入") from None
        try:
            _lock(self._file)
        except BlockingIOError:
            self._file.close()
            self._file = None
            raise MailError(f"另一个 xlsx-eval email 正在向这个文件夹发送（{self.path} 已被占用）；请等它结束后再运行") from None
        self._load()  # what a run that held the lock before us recorded
        if created:
            _fsync_dir(self.path.parent)
        elif self.path.stat().st_size and not self.path.read_bytes().endswith(b"\n"):
            self._write(b"\n")  # a line cut short by a crash stays on its own line
        return self

    def __exit__(self, *exc: object) -> None:
        if self._file is not None:
            self._file.close()  # closing releases the lock
            self._file = None

    def record(self, entry: dict[str, Any]) -> None:
        """Append one accepted (message, recipient); it is on disk when this returns."""
        entry = {"time": dt.datetime.now().astimezone().isoformat(timespec="seconds"), **entry}
        self._write(json.dumps(entry, ensure_ascii=False).encode("utf-8") + b"\n")
        self._keys.add(key(entry["sha256"], entry.get("report_sha256"), entry["to"]))

    def _write(self, data: bytes) -> None:
        if self._file is None:
            raise RuntimeError("SendLog.record outside `with log:`")
        self._file.write(data)
        self._file.flush()
        os.fsync(self._file.fileno())


def _lock(file) -> None:
    try:
        import fcntl
    except ImportError:  # Windows: no lock; two runs at once are the user's to avoid
        return
    fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
