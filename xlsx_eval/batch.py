"""A finance bureau's intake in one call: every workbook scored in parallel, the summary, the manifest."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import manifest
from .inputs import SUMMARY_NAME, Inputs, output_stems
from .pipeline import process
from .report import ReportOptions
from .rules import Rules
from .rules_file import national
from .summary import write_summary


@dataclass
class Batch:
    """What a batch convert did: a JSON result per input (in input order), and what it passed over."""

    results: list[dict[str, Any]]
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    reused: int = 0  # results kept from an earlier run (--changed-only)
    summary: Path | None = None


def convert_batch(inputs: Inputs, outdir: Path, rules: Rules | None = None, *, jobs: int = 1,
                  changed_only: bool = False, done: Callable[[dict[str, Any]], None] | None = None,
                  report: ReportOptions | None = None) -> Batch:
    """Score every input into ``outdir`` (with ``report``, each with its 自评报告), then write summary.xlsx
    and manifest.json there.

    With ``changed_only``, inputs whose bytes (and the rules, and the report settings) are as in the manifest
    keep their earlier result and outputs; the summary is still built from every input's result. ``done``
    sees each result as it comes (reused ones first).
    """
    rules = rules or national()
    key = _settings_key(rules, report)
    paths = inputs.paths
    stems = output_stems(paths)
    digests = {p: manifest.digest(p) for p in paths}
    kept = manifest.load(outdir)
    records: dict[Path, dict[str, Any]] = {}
    if changed_only:
        for p in paths:
            previous = manifest.unchanged(kept, p, digests[p], key)
            if previous is not None:
                records[p] = previous
                if done:
                    done(previous)
    todo = [p for p in paths if p not in records]

    def finished(index: int, result) -> None:
        records[todo[index]] = result.to_dict()
        if done:
            done(records[todo[index]])

    process(todo, rules, outdir, jobs=jobs, stems=stems, done=finished, report=report)
    results = [records[p] for p in paths]
    summary = outdir / SUMMARY_NAME
    write_summary(results, summary)
    kept.update(manifest.entry(p, digests[p], key, records[p]) for p in paths)
    manifest.save(outdir, kept)
    return Batch(results, inputs.skipped, reused=len(paths) - len(todo), summary=summary)


def _settings_key(rules: Rules, report: ReportOptions | None) -> str:
    """What, besides the input's bytes, an output depends on: the rules, and whether and how reports are written."""
    key = f"{rules.name}:{rules.digest}"
    if report is not None:
        key += f"|report:{manifest.digest(report.template) if report.template else 'default'}"
    return key
