"""A job's work, in a worker process: the uploads scored into the job's output folder by ``convert_batch``, as
``xlsx-eval convert`` (a unit's workbook: with its 自评报告 and national form) or ``xlsx-eval review`` (the
bureau's intake: with review.xlsx and a .zip of every scored copy) would; then job.json, which the pages read."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from ..batch.inputs import Inputs
from ..batch.intake import Batch, ReviewRequest, convert_batch
from ..files import atomic_path
from ..pipeline import export_national, read_declared
from ..report.word import ReportOptions
from ..score.declared import Declared
from ..score.rules_file import load_rules
from .changes import record


def run_job(folder_name: str, history: str, rules_spec: str | None, jobs: int) -> None:
    folder = Path(folder_name)
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    names: dict[str, str] = meta["names"]
    try:
        job = _run(folder, meta, names, Path(history), rules_spec, jobs)
    except Exception as exc:  # noqa: BLE001  (the page says so; the server goes on)
        job = {"state": "failed", "error": f"处理时出错；请重新上传（技术信息：{type(exc).__name__}: {exc}）"}
    with atomic_path(folder / "job.json") as tmp:
        tmp.write_text(json.dumps(job, ensure_ascii=False), encoding="utf-8")


def _run(
    folder: Path, meta: dict[str, Any], names: dict[str, str], history: Path, rules_spec: str | None, jobs: int
) -> dict[str, Any]:
    rules = load_rules(rules_spec)
    paths = [folder / "in" / kept for kept in names]
    out = folder / "out"
    done = 0

    def finished(results: list[dict[str, Any]]) -> None:
        nonlocal done
        done += 1
        with atomic_path(folder / "progress.json") as tmp:
            tmp.write_text(json.dumps({"done": done, "total": len(paths)}), encoding="utf-8")

    check = meta["kind"] == "check"
    declared: Declared | None = None
    unread: list[tuple[Path, str]] = []
    if meta.get("declared"):
        declared, unread = read_declared([folder / "declared" / kept for kept in meta["declared"]], jobs=jobs)
    batch = convert_batch(
        Inputs(paths=paths),
        out,
        rules,
        jobs=1 if check else jobs,
        done=finished,
        report=ReportOptions() if check else None,
        review=None if check else ReviewRequest(meta["sample"], meta["seed"], unread),
        declared=declared,
    )
    files: dict[str, dict[str, str]] = {}

    def offer(file_id: str, path: Path) -> None:
        files[file_id] = {"path": path.relative_to(folder).as_posix(), "name": path.name}

    for n, result in enumerate(batch.results):
        result["shown"] = names[Path(result["file"]).relative_to(folder / "in").as_posix()]
        if result["output"]:
            offer(f"scored-{n}", Path(result["output"]))
        if result["report"]:
            offer(f"report-{n}", Path(result["report"]))
    job: dict[str, Any] = {"state": "done", "results": batch.results, "problems": batch.problems}
    if check:
        national = folder / "national"
        national.mkdir()
        for n, exported in enumerate(export_national(paths, national, rules)):
            if exported.output is not None:
                offer(f"national-{n}", exported.output)
        job["changes"] = [record(history, r) if r["scored"] else None for r in batch.results]
    else:
        if batch.reviewed is not None:
            job["review"] = batch.reviewed.to_dict()
        for role, path in (("summary", batch.summary), ("review", batch.review)):
            if path is not None:
                offer(role, path)
        if any(r["output"] for r in batch.results):
            files["all"] = {"path": _zip_outputs(folder, batch), "name": "评分后的工作簿.zip"}
    job["files"] = files
    return job


def _zip_outputs(folder: Path, batch: Batch) -> str:
    """Every scored copy in one .zip, with summary.xlsx and review.xlsx, whose links to the copies then work
    where it is unpacked; its path in the job's folder."""
    dest = folder / "scored.zip"
    outputs = dict.fromkeys(Path(r["output"]) for r in batch.results if r["output"])  # forms of one workbook: once
    outputs.update(dict.fromkeys(p for p in (batch.summary, batch.review) if p is not None))
    with atomic_path(dest) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as archive:
        for path in outputs:
            archive.write(path, path.name)
    return dest.relative_to(folder).as_posix()
