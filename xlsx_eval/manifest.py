"""OUTDIR/manifest.json: what each input was (its digest) and what scoring it gave, so that a rerun with
--changed-only scores only new or changed files and still rebuilds the summary from every result."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from .files import atomic_path

NAME = "manifest.json"
VERSION = 1


def digest(path: Path) -> str:
    h = hashlib.sha256()
    try:
        with path.open("rb") as f:
            while chunk := f.read(1 << 20):
                h.update(chunk)
    except OSError:
        return ""  # unreadable now: never taken for unchanged
    return h.hexdigest()


def load(outdir: Path) -> dict[str, dict[str, Any]]:
    """Entries by input path; an absent or unreadable manifest is an empty one (everything is redone)."""
    try:
        data = json.loads((outdir / NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data.get("entries", {}) if isinstance(data, dict) and data.get("version") == VERSION else {}


def unchanged(entries: dict[str, dict[str, Any]], path: Path, file_digest: str, settings: str) -> dict[str, Any] | None:
    """The kept result for ``path`` if the file, the settings (rules, reports) and the outputs are all as they were."""
    entry = entries.get(str(path.resolve()))
    if not entry or not file_digest or entry.get("digest") != file_digest or entry.get("settings") != settings:
        return None
    result = entry.get("result") or {}
    if any(result.get(kind) and not Path(result[kind]).is_file() for kind in ("output", "report")):
        return None
    return result


def save(outdir: Path, entries: dict[str, dict[str, Any]]) -> None:
    with atomic_path(outdir / NAME) as tmp:
        tmp.write_text(json.dumps({"version": VERSION, "entries": entries}, ensure_ascii=False),
                       encoding="utf-8")


def entry(path: Path, file_digest: str, settings: str, result: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return str(path.resolve()), {"digest": file_digest, "settings": settings, "result": result}
