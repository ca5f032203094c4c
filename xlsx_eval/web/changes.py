"""What changed since the last upload of the same project: each scored form leaves a snapshot (total, grade,
findings, indicator scores) under the project's key in DATA/history, and the next upload of that project is
compared with it.

The same project is the same 项目编码, or where there is none the same 实施单位 and 项目名称 (matched as the
declarations are: folded, without spaces or punctuation). Snapshots are cleaned with the uploads."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

from ..files import atomic_path
from ..score.declared import match_key


def project_key(result: dict[str, Any]) -> str | None:
    """The key a scored form's snapshot is kept under; None when the form names neither a code nor its project."""
    p = result.get("project") or {}
    if match_key(p.get("code")):
        key = "code:" + match_key(p.get("code"))
    elif match_key(p.get("unit")) and match_key(p.get("name")):
        key = f"name:{match_key(p.get('unit'))}|{match_key(p.get('name'))}"
    else:
        return None
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def snapshot(result: dict[str, Any]) -> dict[str, Any]:
    return {
        "at": dt.datetime.now().isoformat(timespec="seconds"),
        "total": result["total"],
        "grade": result["grade"],
        "findings": [{k: f[k] for k in ("severity", "code", "sheet", "cell", "message")} for f in result["findings"]],
        "indicators": [{"name": i["name"], "score": i["score"]} for i in result["indicators"]],
    }


def compare(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """What the new snapshot ``after`` changes against ``before``: total, grade, findings gone and new (a finding
    is its code and cell), and each indicator whose score moved."""

    def key(f: dict[str, Any]) -> tuple[str, str, str]:
        return f["code"], f["sheet"], f["cell"]

    then = {key(f): f for f in before["findings"]}
    now = {key(f): f for f in after["findings"]}
    old_scores = {i["name"]: i["score"] for i in before["indicators"]}
    return {
        "at": before["at"],
        "total": [before["total"], after["total"]],
        "grade": [before["grade"], after["grade"]],
        "fixed": [f for k, f in then.items() if k not in now],
        "new": [f for k, f in now.items() if k not in then],
        "indicators": [
            {"name": i["name"], "before": old_scores[i["name"]], "after": i["score"]}
            for i in after["indicators"]
            if i["name"] in old_scores and old_scores[i["name"]] != i["score"]
        ],
    }


def record(history: Path, result: dict[str, Any]) -> dict[str, Any] | None:
    """Keep this scored form's snapshot and return what changed since the last one of its project (None: the
    first upload of the project, or a form that names no project)."""
    key = project_key(result)
    if key is None or not result["scored"]:
        return None
    path = history / f"{key}.json"
    after = snapshot(result)
    try:
        before = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        before = None
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(after, ensure_ascii=False), encoding="utf-8")
    return compare(before, after) if before else None
