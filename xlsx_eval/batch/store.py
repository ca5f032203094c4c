"""OUTDIR/xlsx-eval.db: the output folder's one record of what was converted, from which input, into which
files, and what was sent to whom (SQLite in WAL mode, standard library only).

- **Identity.** An input is its resolved path. The first time the store sees it, it gets a stem of its own
  (its file stem, or ``stem-2``, ``stem-3`` … when another input, or a file the store did not write, has it),
  and keeps it: its outputs are ``<stem>.scored.xlsx``, ``<stem>.report.docx``, ``<stem>.report.pdf``. No
  input is ever given a name another input or a foreign file holds.
- **Transactions.** Each input's result is committed as it finishes, with the SHA-256 of every file written
  for it; a result is reused (``--changed-only``) only when the input's bytes, the settings and every
  recorded output are as recorded. A result that may not recur (a worker killed or timed out, a full disk,
  a file missing) is marked transient and never reused.
- **One writer.** ``Store.open`` takes an exclusive lock on OUTDIR/.xlsx-eval.lock for the whole command
  (convert or email); a second one is refused at once, naming who holds it. The lock is released by the
  kernel when its holder dies, however it dies. ``Store.peek`` reads without it (``status``).
- **Sending.** Before a message goes, a 'sending' row per recipient is committed; after the server's 250 it
  becomes 'sent'. A row still 'sending' means the message's fate is unknown (the process was killed, or the
  server accepted it and the record could not be written): it is not sent again without ``--resend``.
- **Compatibility.** manifest.json and sent.jsonl are written as exports of the store after each run; a
  folder that has them and no store (made by an earlier version, or whose store was moved away) is taken over
  from them, send history included.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import StoreError
from ..files import MAX_STEM_BYTES, digest, fault, shorten
from . import manifest, sendlog

DB_NAME = "xlsx-eval.db"
LOCK_NAME = ".xlsx-eval.lock"
SCHEMA_VERSION = 1
#: Each kind of output of an input is named <stem><suffix>; a new stem must be free under every one.
OUTPUT_SUFFIXES = {"scored": (".scored.xlsx", ".scored.xlsm"), "report": (".report.docx",), "pdf": (".report.pdf",)}
#: The result field that names each kind of output (the PDF is recorded beside the report, not in the result).
RESULT_FIELDS = {"scored": "output", "report": "report"}
#: Free space a command wants before it starts writing.
MIN_FREE_BYTES = 1 << 20

_SCHEMA = [
    """CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)""",
    """CREATE TABLE inputs (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL UNIQUE,
        stem TEXT NOT NULL,
        stem_key TEXT NOT NULL UNIQUE,
        digest TEXT,
        settings TEXT,
        result TEXT,
        transient INTEGER NOT NULL DEFAULT 0,
        converted TEXT)""",
    """CREATE TABLE outputs (
        input_id INTEGER NOT NULL REFERENCES inputs(id),
        kind TEXT NOT NULL,
        name TEXT NOT NULL UNIQUE,
        sha256 TEXT NOT NULL,
        PRIMARY KEY (input_id, kind))""",
    """CREATE TABLE folder_files (role TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, sha256 TEXT)""",
    """CREATE TABLE sent (
        id INTEGER PRIMARY KEY,
        input_id INTEGER REFERENCES inputs(id),
        input TEXT,
        file TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        report TEXT,
        report_sha256 TEXT,
        recipient TEXT NOT NULL,
        message_id TEXT,
        server TEXT,
        state TEXT NOT NULL CHECK (state IN ('sending', 'sent')),
        time TEXT NOT NULL)""",
    """CREATE INDEX sent_by_files ON sent (sha256, recipient)""",
]


@dataclass(frozen=True)
class Output:
    kind: str  # scored, report, pdf
    name: str  # file name in the output folder
    sha256: str  # of the bytes written


@dataclass(frozen=True)
class Entry:
    """One input as the store knows it: its name, and its latest result with the files written for it."""

    id: int
    path: str
    stem: str
    digest: str | None
    settings: str | None
    results: list[dict[str, Any]]  # a result per form: our workbook has one, a workbook of national forms several
    transient: bool
    outputs: dict[str, Output]
    converted: str | None

    @property
    def result(self) -> dict[str, Any] | None:
        """The input's (first form's) result; None when it has none yet."""
        return self.results[0] if self.results else None

    @property
    def reports(self) -> list[Output]:
        """The recorded 自评报告, in the order of the forms."""
        kinds = (_output_kind("report", n) for n in range(1, len(self.results) + 1))
        return [self.outputs[kind] for kind in kinds if kind in self.outputs]


class Store:
    """The store of one output folder. ``Store.open`` (a context manager) to change it, ``Store.peek`` to read."""

    def __init__(self, outdir: Path, db: sqlite3.Connection, lock: int | None) -> None:
        self.outdir = outdir
        self.path = outdir / DB_NAME
        self.db = db
        self._lock = lock

    # ------------------------------------------------------------------------------------------- opening

    @classmethod
    def open(cls, outdir: Path | str, command: str) -> Store:
        """Lock ``outdir`` for ``command`` ("convert", "email") and open its store, creating it (and taking
        over an earlier version's manifest.json and sent.jsonl) when there is none. Raises StoreError."""
        outdir = Path(outdir)
        lock = _lock(outdir, command)
        try:
            store = cls(outdir, _connect(outdir / DB_NAME), lock)
            store._migrate()
        except BaseException:
            os.close(lock)
            raise
        return store

    @classmethod
    def peek(cls, outdir: Path | str) -> Store | None:
        """The store of ``outdir`` for reading only, without the lock (a convert may be running); None when
        the folder has no store yet."""
        outdir = Path(outdir)
        if not (outdir / DB_NAME).is_file():
            return None
        db = _connect(outdir / DB_NAME, read_only=True)
        store = cls(outdir, db, None)
        with store._reading():
            version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(_newer(store.path))
        return store

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.db.close()
        if self._lock is not None:
            os.close(self._lock)  # releases the folder's lock
            self._lock = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _migrate(self) -> None:
        with self._writing() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(_newer(self.path))
            if version == 0:
                for statement in _SCHEMA:
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                self._take_over(db)

    @contextlib.contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed when the block ends, rolled back (and a StoreError) on failure."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreError(_db_fault(exc, self.path)) from None
        try:
            yield self.db
            self.db.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            raise StoreError(_db_fault(exc, self.path)) from None
        except BaseException:
            self._rollback()
            raise

    @contextlib.contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        try:
            yield self.db
        except sqlite3.Error as exc:
            raise StoreError(_db_fault(exc, self.path)) from None

    def _rollback(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.db.execute("ROLLBACK")

    def ensure_writable(self, need: int = MIN_FREE_BYTES) -> None:
        """Prove, before any work, that the folder takes files and the store takes records: free space of at
        least ``need`` bytes, a probe file written and synced, a committed write. Raises StoreError."""
        try:
            st = os.statvfs(self.outdir)
            free = st.f_bavail * st.f_frsize
        except (OSError, AttributeError):
            free = None
        if free is not None and free < need:
            raise StoreError(
                f"输出文件夹 {self.outdir} 所在的磁盘只剩 {free >> 10} KB，空间不足；"
                "请腾出磁盘空间（或用 -o 换一个输出文件夹）后重新运行"
            )
        probe = self.outdir / f".xlsx-eval-probe-{os.getpid()}.tmp"
        try:
            with open(probe, "wb") as f:
                f.write(bytes(64 << 10))
                f.flush()
                os.fsync(f.fileno())
        except OSError as exc:
            raise StoreError(
                fault(exc, self.outdir) or f"无法写入输出文件夹 {self.outdir}（{exc.strerror or exc}）"
            ) from None
        finally:
            with contextlib.suppress(OSError):
                probe.unlink()
        with self._writing() as db:
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('last_write', ?)", (_now(),))

    # -------------------------------------------------------------------------------------------- inputs

    def assign(self, paths: Iterable[Path]) -> dict[Path, str]:
        """The stem each input's outputs are named by: the one it was given before, or a new one that no other
        input and no file in the folder holds. Committed before any output is written."""
        stems: dict[Path, str] = {}
        with self._writing() as db:
            taken = {row[0] for row in db.execute("SELECT stem_key FROM inputs")}
            for path in paths:
                key = _key(path)
                row = db.execute("SELECT stem FROM inputs WHERE path = ?", (key,)).fetchone()
                if row is None:
                    stem = self._free_stem(path.stem, taken)
                    db.execute(
                        "INSERT INTO inputs (path, stem, stem_key) VALUES (?, ?, ?)", (key, stem, _stem_key(stem))
                    )
                    taken.add(_stem_key(stem))
                    row = (stem,)
                stems[path] = row[0]
        return stems

    def _free_stem(self, wanted: str, taken: set[str]) -> str:
        """``wanted``, or ``wanted-2``, ``wanted-3`` …, cut short where the outputs' names would not fit."""
        n = 1
        while True:
            tail = "" if n == 1 else f"-{n}"
            stem = (shorten(wanted, MAX_STEM_BYTES - len(tail)) or "工作簿") + tail
            if _stem_key(stem) not in taken and not any(
                os.path.lexists(self.outdir / f"{stem}{suffix}")
                for suffixes in OUTPUT_SUFFIXES.values()
                for suffix in suffixes
            ):
                return stem
            n += 1

    def entry(self, path: Path | str) -> Entry | None:
        with self._reading() as db:
            row = db.execute(f"SELECT {_ENTRY_COLUMNS} FROM inputs WHERE path = ?", (_key(path),)).fetchone()
            return self._entry(row) if row else None

    def entries(self) -> list[Entry]:
        """Every input that has a result, in the order the store first saw them."""
        with self._reading() as db:
            rows = db.execute(f"SELECT {_ENTRY_COLUMNS} FROM inputs WHERE result IS NOT NULL ORDER BY id").fetchall()
            return [self._entry(row) for row in rows]

    def _entry(self, row: tuple) -> Entry:
        id_, path, stem, file_digest, settings, result, transient, converted = row
        outputs = {
            kind: Output(kind, name, sha)
            for kind, name, sha in self.db.execute("SELECT kind, name, sha256 FROM outputs WHERE input_id = ?", (id_,))
        }
        return Entry(
            id_,
            path,
            stem,
            file_digest,
            settings,
            _results(result),
            bool(transient),
            outputs,
            converted,
        )

    def intact(self, output: Output) -> bool:
        """Whether the file is in the folder with the bytes the store recorded for it."""
        return digest(self.outdir / output.name) == output.sha256

    def reusable(self, path: Path, file_digest: str, settings: str) -> list[dict[str, Any]] | None:
        """The recorded results of ``path`` when the input's bytes, the settings and every file written for it
        are as recorded; None when anything differs (the input is then scored again)."""
        e = self.entry(path)
        if (
            e is None
            or e.result is None
            or e.transient
            or not file_digest
            or e.digest != file_digest
            or e.settings != settings
        ):
            return None
        if any(kind not in e.outputs for kind, _, _ in _files(e.results)):
            return None
        if not all(self.intact(o) for o in e.outputs.values()):
            return None
        here = [{**result} for result in e.results]  # the files where they are now, as this run names the folder
        for kind, field, result in _files(here):
            result[field] = str(self.outdir / e.outputs[kind].name)
        return here

    def record(
        self, path: Path, file_digest: str, settings: str, results: list[dict[str, Any]], transient: bool
    ) -> None:
        """Commit ``path``'s new results (one per form), with the digest of each file they name; the earlier ones
        are replaced."""
        outputs = {}
        for kind, field, result in _files(results):
            name = Path(result[field]).name
            sha = digest(self.outdir / name) if kind not in outputs else None  # the scored copy: once
            if sha:
                outputs[kind] = (kind, name, sha)
        stored = results[0] if len(results) == 1 else results  # one form: the result as earlier versions kept it
        with self._writing() as db:
            (id_,) = db.execute("SELECT id FROM inputs WHERE path = ?", (_key(path),)).fetchone()
            db.execute(
                "UPDATE inputs SET digest = ?, settings = ?, result = ?, transient = ?, converted = ? WHERE id = ?",
                (file_digest or None, settings, json.dumps(stored, ensure_ascii=False), int(transient), _now(), id_),
            )
            db.execute("DELETE FROM outputs WHERE input_id = ?", (id_,))
            db.executemany(
                "INSERT INTO outputs (input_id, kind, name, sha256) VALUES (?, ?, ?, ?)",
                [(id_, *o) for o in outputs.values()],
            )

    def add_output(self, path: Path, kind: str, file: Path) -> None:
        """Record one more file written for ``path``'s current result (its PDF)."""
        sha = digest(file)
        if not sha:
            return
        with self._writing() as db:
            (id_,) = db.execute("SELECT id FROM inputs WHERE path = ?", (_key(path),)).fetchone()
            db.execute(
                "INSERT OR REPLACE INTO outputs (input_id, kind, name, sha256) VALUES (?, ?, ?, ?)",
                (id_, kind, file.name, sha),
            )

    def results(self) -> list[dict[str, Any]]:
        """The latest results of every input the folder holds (one per form), in the order the store first saw
        them."""
        return [result for e in self.entries() for result in e.results]

    # -------------------------------------------------------------------------------------- folder files

    def folder_file(self, role: str, wanted: str) -> Path:
        """Where the folder-wide file ``role`` (summary, manifest, sent) is written: the name it was written
        under before, else ``wanted``, or ``wanted`` with -2, -3 … when a file the store did not write has it."""
        with self._reading() as db:
            row = db.execute("SELECT name FROM folder_files WHERE role = ?", (role,)).fetchone()
        if row:
            return self.outdir / row[0]
        stem, suffix = os.path.splitext(wanted)
        name, n = wanted, 2
        with self._writing() as db:
            while (
                os.path.lexists(self.outdir / name)
                or db.execute(
                    "SELECT 1 FROM folder_files WHERE name = ? UNION SELECT 1 FROM outputs WHERE name = ?", (name, name)
                ).fetchone()
            ):
                name, n = f"{stem}-{n}{suffix}", n + 1
            db.execute("INSERT INTO folder_files (role, name) VALUES (?, ?)", (role, name))
        return self.outdir / name

    def wrote(self, role: str, file: Path) -> None:
        with self._writing() as db:
            db.execute("UPDATE folder_files SET sha256 = ? WHERE role = ?", (digest(file) or None, role))

    def own_files(self) -> set[Path]:
        """Every file the store wrote into the folder (never to be taken as an input)."""
        with self._reading() as db:
            names = db.execute("SELECT name FROM folder_files UNION SELECT name FROM outputs").fetchall()
        return {(self.outdir / name).resolve() for (name,) in names}

    # ------------------------------------------------------------------------------------------- sending

    def send_state(self, sha256: str, report_sha256: str | None, recipient: str) -> str | None:
        """'sent' when the server accepted these exact files for ``recipient``, 'sending' when a send of them
        was begun and its end never recorded, None when they never went."""
        with self._reading() as db:
            states = {
                s
                for (s,) in db.execute(
                    "SELECT state FROM sent WHERE sha256 = ? AND report_sha256 IS ? AND lower(recipient) = ?",
                    (sha256, report_sha256, recipient.lower()),
                )
            }
        return "sent" if "sent" in states else "sending" if states else None

    def begin_send(self, entry_id: int | None, record: dict[str, Any], recipients: list[str]) -> dict[str, int]:
        """Commit a 'sending' row for each recipient before the message goes; returns their ids by recipient.
        ``record``: input, file, sha256, report, report_sha256, message_id, server."""
        ids = {}
        with self._writing() as db:
            for rcpt in recipients:
                cursor = db.execute(
                    "INSERT INTO sent (input_id, input, file, sha256, report, report_sha256, recipient, message_id,"
                    " server, state, time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'sending', ?)",
                    (
                        entry_id,
                        record["input"],
                        record["file"],
                        record["sha256"],
                        record.get("report"),
                        record.get("report_sha256"),
                        rcpt,
                        record.get("message_id"),
                        record.get("server"),
                        _now(),
                    ),
                )
                ids[rcpt] = int(cursor.lastrowid or 0)
        return ids

    def settle(self, ids: dict[str, int], accepted: Iterable[str]) -> None:
        """After the server's answer: the accepted recipients' rows become 'sent', the others are removed."""
        accepted = set(accepted)
        with self._writing() as db:
            for rcpt, row in ids.items():
                if rcpt in accepted:
                    db.execute("UPDATE sent SET state = 'sent', time = ? WHERE id = ?", (_now(), row))
                else:
                    db.execute("DELETE FROM sent WHERE id = ?", (row,))

    def sent_rows(self, state: str = "sent") -> list[dict[str, Any]]:
        with self._reading() as db:
            rows = db.execute(
                "SELECT time, input, file, sha256, report, report_sha256, recipient, message_id, server"
                " FROM sent WHERE state = ? ORDER BY id",
                (state,),
            ).fetchall()
        keys = ("time", "input", "file", "sha256", "report", "report_sha256", "to", "message_id", "server")
        return [dict(zip(keys, row)) for row in rows]

    def _log_lines(self) -> list[dict[str, Any]]:
        """sent.jsonl's lines: what was sent, as earlier versions wrote it, then what may have been
        (``"state": "sending"``), so that a store rebuilt from the export does not send those again."""
        return self.sent_rows("sent") + [{**row, "state": "sending"} for row in self.sent_rows("sending")]

    # ------------------------------------------------------------------------------------------- exports

    def export(self) -> list[str]:
        """Rewrite manifest.json and sent.jsonl from the store (formats others may read); returns a Chinese
        line for each that could not be written (the store itself is unharmed)."""
        problems = []
        manifest_entries = {
            e.path: {"digest": e.digest or "", "settings": e.settings, "result": e.result}
            | ({"results": e.results} if len(e.results) > 1 else {})
            for e in self.entries()
            if not e.transient
        }
        for role, wanted, write in (
            ("manifest", manifest.NAME, lambda p: manifest.save(p, manifest_entries)),
            ("sent", sendlog.NAME, lambda p: sendlog.save(p, self._log_lines())),
        ):
            if role == "sent" and not self._log_lines() and not os.path.lexists(self.outdir / wanted):
                continue
            dest = self.folder_file(role, wanted)
            try:
                write(dest)
            except OSError as exc:
                problems.append(fault(exc, dest) or f"无法写出 {dest}（{exc.strerror or exc}）")
                continue
            self.wrote(role, dest)
        return problems

    def _take_over(self, db: sqlite3.Connection) -> None:
        """A folder an earlier version made: its manifest's entries and its send log become the store's."""
        entries = manifest.read(self.outdir / manifest.NAME)
        lines = sendlog.read(self.outdir / sendlog.NAME)
        if not entries and not lines:
            return
        owners = _owners(entries)
        taken: set[str] = set()
        pending = []
        for key, e in entries.items():
            result = e.get("result") or {}
            names = {kind: Path(result[f]).name for kind, f in RESULT_FIELDS.items() if result.get(f)}
            owned = {kind: name for kind, name in names.items() if owners.get(name) == key}
            stem = _stem_of(owned)
            if stem is None or _stem_key(stem) in taken:
                pending.append((key, e, result))
                continue
            taken.add(_stem_key(stem))
            id_ = self._insert_taken_over(db, key, stem, e, result)
            for kind, name in owned.items():
                sha = digest(self.outdir / name)
                if sha:
                    db.execute(
                        "INSERT INTO outputs (input_id, kind, name, sha256) VALUES (?, ?, ?, ?)", (id_, kind, name, sha)
                    )
        for key, e, result in pending:  # no scored copy of its own: a new name, its result redone when asked
            stem = self._free_stem(Path(key).stem, taken)
            taken.add(_stem_key(stem))
            self._insert_taken_over(db, key, stem, e, result)
        for role, name in (("summary", "summary.xlsx"), ("manifest", manifest.NAME), ("sent", sendlog.NAME)):
            if (self.outdir / name).is_file():
                db.execute(
                    "INSERT INTO folder_files (role, name, sha256) VALUES (?, ?, ?)",
                    (role, name, digest(self.outdir / name) or None),
                )
        for line in lines:
            row = db.execute("SELECT id FROM inputs WHERE path = ?", (line.get("input"),)).fetchone()
            db.execute(
                "INSERT INTO sent (input_id, input, file, sha256, report, report_sha256, recipient, message_id,"
                " server, state, time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    row[0] if row else None,
                    line.get("input"),
                    line.get("file") or "",
                    line["sha256"],
                    line.get("report"),
                    line.get("report_sha256"),
                    line["to"],
                    line.get("message_id"),
                    line.get("server"),
                    "sending" if line.get("state") == "sending" else "sent",
                    line.get("time") or _now(),
                ),
            )
        db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('taken_over', ?)", (_now(),))

    @staticmethod
    def _insert_taken_over(db: sqlite3.Connection, key: str, stem: str, e: dict[str, Any], result: dict) -> int:
        # An earlier version kept a worker's time-out or death as the file's result for good: every unreadable
        # result is tried once more (one that is unreadable for good says so again).
        unreadable = any(f.get("code") == "UNREADABLE_FILE" for f in result.get("findings", []))
        cursor = db.execute(
            "INSERT INTO inputs (path, stem, stem_key, digest, settings, result, transient, converted)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                key,
                stem,
                _stem_key(stem),
                e.get("digest") or None,
                e.get("settings"),
                json.dumps(result, ensure_ascii=False) if result else None,
                int(unreadable),
                _now(),
            ),
        )
        return int(cursor.lastrowid or 0)


_ENTRY_COLUMNS = "id, path, stem, digest, settings, result, transient, converted"


def _results(stored: str | None) -> list[dict[str, Any]]:
    """The results kept in the store's column: one result (our workbook, and every earlier version's), or a
    list of them (a workbook of several national forms)."""
    if not stored:
        return []
    value = json.loads(stored)
    return value if isinstance(value, list) else [value]


def _files(results: list[dict[str, Any]]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(output kind, result field, result) of each file the results name: the scored copy (every form's result
    names the same one), and each form's report, the second form's as report-2 and so on."""
    for n, result in enumerate(results, 1):
        for kind, field in RESULT_FIELDS.items():
            if result.get(field):
                yield _output_kind(kind, n), field, result


def _output_kind(kind: str, form: int) -> str:
    """How the store keeps a file of the ``form``-th form: one scored copy for all, a report each."""
    return kind if kind == "scored" or form == 1 else f"{kind}-{form}"


def _key(path: Path | str) -> str:
    return str(Path(path).resolve())


def _stem_key(stem: str) -> str:
    """A stem as file systems compare names: without case (Windows, macOS) and normalised (macOS's NFD)."""
    return unicodedata.normalize("NFC", stem).casefold()


def _now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def _stem_of(owned: dict[str, str]) -> str | None:
    for kind, name in owned.items():
        for suffix in OUTPUT_SUFFIXES[kind]:
            if name.lower().endswith(suffix):
                return name[: -len(suffix)]
    return None


def _owners(entries: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Which earlier entry each output name belongs to. An earlier version could give two inputs the same name
    (a resubmission converted alone took the name of another input's copy): such a name belongs to neither,
    since nothing tells whose bytes the file now holds, and both are scored again under names of their own."""
    claims: dict[str, list[str]] = {}
    for key, e in entries.items():
        result = e.get("result") or {}
        for f in RESULT_FIELDS.values():
            if result.get(f):
                claims.setdefault(Path(result[f]).name, []).append(key)
    return {name: keys[0] for name, keys in claims.items() if len(keys) == 1}


def _lock(outdir: Path, command: str) -> int:
    """The folder's lock, held until closed (or the process ends); StoreError when another run holds it or
    the folder cannot be written."""
    path = outdir / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as exc:
        raise StoreError(fault(exc, outdir) or f"无法使用输出文件夹 {outdir}（{exc.strerror or exc}）") from None
    try:
        import fcntl
    except ImportError:  # Windows: no lock; two runs at once on one folder are the user's to avoid
        return fd
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        holder = _holder(fd)
        os.close(fd)
        raise StoreError(
            f"另一个 xlsx-eval {holder}正在使用输出文件夹 {outdir}；请等它结束后再运行，或用 -o 换一个输出文件夹"
        ) from None
    with contextlib.suppress(OSError):  # who holds it, for the message of the next one; not needed to lock
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"command": command, "pid": os.getpid(), "since": _now()}).encode(), 0)
    return fd


def _holder(fd: int) -> str:
    try:
        info = json.loads(os.pread(fd, 4096, 0))
        since = dt.datetime.fromisoformat(info["since"]).strftime("%m-%d %H:%M")
        return f"{info['command']}（进程 {info['pid']}，{since} 开始）"
    except (OSError, ValueError, KeyError, TypeError):
        return ""


def _connect(path: Path, read_only: bool = False) -> sqlite3.Connection:
    try:
        if read_only:
            db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None, timeout=30)
        else:
            db = sqlite3.connect(path, isolation_level=None, timeout=30)
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = FULL")  # a committed result or send survives a power cut
        db.execute("PRAGMA foreign_keys = ON")
        return db
    except sqlite3.Error as exc:
        raise StoreError(_db_fault(exc, path)) from None


def _db_fault(exc: sqlite3.Error, path: Path) -> str:
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name.startswith("SQLITE_FULL") or "disk is full" in str(exc):
        return f"磁盘已满，无法写入记录 {path}；已完成的结果都已保存，请腾出磁盘空间后重新运行"
    if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH")):
        return f"无法写入记录 {path}（输出文件夹只读或没有写入权限）；请用 -o 换一个可以写入的输出文件夹"
    if name.startswith(("SQLITE_NOTADB", "SQLITE_CORRUPT")):
        return (
            f"{path} 已损坏，不是可用的 xlsx-eval 记录；请把它移到别处后重新运行"
            "（xlsx-eval 会按文件夹里的 manifest.json 和 sent.jsonl 重建记录）"
        )
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return f"记录 {path} 正被另一个程序占用；请等它结束后再运行"
    if name.startswith("SQLITE_IOERR"):
        return f"读写记录 {path} 时磁盘出错（可能磁盘已满或已损坏）；请检查磁盘后重新运行"
    return f"无法使用记录 {path}（{exc}）"


def _newer(path: Path) -> str:
    return f"{path} 是更新版本的 xlsx-eval 写出的；请升级 xlsx-eval（pip install -U xlsx-eval）后再使用这个输出文件夹"
