"""OUTDIR/manifest.json: an export of the store (``store``) for those who read it without SQLite, in the
format earlier versions wrote and kept as it was:

    {"version": 1, "entries": {"/…/inbox/长安区委办.xlsx": {"digest": "<sha256 of the input>",
                                "settings": "national:<digest>", "result": {…the JSON result…}}}}

Rewritten after every convert; a folder with a manifest and no store is taken over from it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..files import atomic_path

NAME = "manifest.json"
VERSION = 1


def read(path: Path) -> dict[str, dict[str, Any]]:
    """Entries by input path; an absent, unreadable or foreign file is an empty one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != VERSION or not isinstance(data.get("entries"), dict):
        return {}
    return {k: v for k, v in data["entries"].items() if isinstance(v, dict)}


def save(path: Path, entries: dict[str, dict[str, Any]]) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps({"version": VERSION, "entries": entries}, ensure_ascii=False), encoding="utf-8")
