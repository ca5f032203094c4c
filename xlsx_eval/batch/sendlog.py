"""OUTDIR/sent.jsonl: an export of what the store (``store``) records as sent, in the format earlier versions
wrote, one JSON object a line for each recipient the server accepted a message for:

    {"time": "2026-11-27T10:02:03+08:00", "input": "/…/inbox/长安区委办.xlsx",
     "file": "长安区委办.scored.xlsx", "sha256": "…", "report": "长安区委办.report.docx", "report_sha256": "…",
     "to": "changan-qwb@example.com", "message_id": "<…@example.gov.cn>", "server": "smtp.example.gov.cn:587"}

A line with ``"state": "sending"`` (written by this version only) is a send begun whose end was never learnt:
whether the server took it is unknown. Rewritten after every email run; a folder with a log and no store is
taken over from it (its lines are then "already sent", or unknown). A line that does not parse (an earlier
version's crash mid-write) is passed over.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..files import atomic_path

NAME = "sent.jsonl"


def read(path: Path) -> list[dict[str, Any]]:
    try:
        lines = path.read_bytes().splitlines()
    except OSError:
        return []
    entries = []
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and isinstance(entry.get("sha256"), str) and isinstance(entry.get("to"), str):
            entries.append(entry)
    return entries


def save(path: Path, rows: list[dict[str, Any]]) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(b"".join(json.dumps(row, ensure_ascii=False).encode("utf-8") + b"\n" for row in rows))
