"""A finance bureau's intake in one call: every workbook scored in parallel into an output folder whose store
(``store``) records each result as it finishes; then the summary of everything the folder holds, the bureau's
review of this run's forms when asked for (review.xlsx), and the exports (manifest.json, sent.jsonl)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import StoreError
from ..files import digest, fault
from ..model import Result
from ..pipeline import process
from ..report.word import ReportOptions
from ..score.declared import Declared
from ..score.rules import Rules
from ..score.rules_file import national
from .inputs import REVIEW_NAME, SUMMARY_NAME, Inputs
from .review import Review, build_review
from .review_workbook import write_review
from .store import Store
from .summary import write_summary


@dataclass
class Batch:
    """What a batch convert did: a JSON result per form of each input of this run (in input order), and what it
    passed over."""

    results: list[dict[str, Any]]
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    reused: int = 0  # results kept from an earlier run (--changed-only)
    summary: Path | None = None  # None when it could not be written (see problems)
    problems: list[str] = field(default_factory=list)  # folder-wide files not written, in Chinese
    pdf_failed: dict[Path, str] = field(default_factory=dict)  # report → why its PDF was not made
    review: Path | None = None  # review.xlsx, when asked for and written
    reviewed: Review | None = None  # what it holds


@dataclass(frozen=True)
class ReviewRequest:
    """xlsx-eval review's: the 抽评 sample ("N" forms or "P%", None: none) and the seed of its draw; the --declared
    files that gave no declaration, with why (listed in review.xlsx)."""

    sample: str | None
    seed: int
    unread: list[tuple[Path, str]] = field(default_factory=list)


def convert_batch(
    inputs: Inputs,
    outdir: Path,
    rules: Rules | None = None,
    *,
    jobs: int = 1,
    changed_only: bool = False,
    done: Callable[[list[dict[str, Any]]], None] | None = None,
    report: ReportOptions | None = None,
    pdf: bool = False,
    pdf_done: Callable[[Path], None] | None = None,
    review: ReviewRequest | None = None,
    declared: Declared | None = None,
) -> Batch:
    """Score every input into ``outdir`` (with ``report``, each with its 自评报告; with ``pdf`` also as PDF),
    recording each result in the folder's store as it finishes; then write summary.xlsx of every result the
    folder holds, and the exports.

    The folder is locked for the run; it must not be, or be inside, a folder named among the inputs. Each
    input keeps the output names it was first given there. With ``changed_only``, inputs whose bytes, settings
    (rules, report) and recorded outputs are unchanged keep their result. ``done`` sees each result as it
    comes (reused ones first). Raises StoreError when the folder cannot be used or the store cannot record
    (what finished before is kept). ``done`` gets a file's results, one per form. With ``declared`` (the
    pipeline's read_declared), each form is compared with its 绩效目标申报表.
    """
    rules = rules or national()
    outdir = Path(outdir)
    _refuse_inside(outdir, inputs.folders)
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(fault(exc, outdir) or f"无法创建输出文件夹 {outdir}（{exc.strerror or exc}）") from None
    key = _settings_key(rules, report, declared)
    with Store.open(outdir, "convert") as store:
        store.ensure_writable()
        own = store.own_files()
        paths = [p for p in inputs.paths if p.resolve() not in own]
        skipped = inputs.skipped + [(p, "xlsx-eval 的输出文件") for p in inputs.paths if p.resolve() in own]
        stems = store.assign(paths)
        digests = {p: digest(p) for p in paths}
        records: dict[Path, list[dict[str, Any]]] = {}  # each input's results, one per form
        if changed_only:
            for p in paths:
                previous = store.reusable(p, digests[p], key)
                if previous is not None:
                    records[p] = previous
                    if done:
                        done(previous)
        todo = [p for p in paths if p not in records]

        def finished(index: int, results: list[Result]) -> None:
            path = todo[index]
            records[path] = [r.to_dict() for r in results]
            transient = any(r.transient for r in results) or not digests[path]
            store.record(path, digests[path], key, records[path], transient=transient)
            if done:
                done(records[path])

        process(todo, rules, outdir, jobs=jobs, stems=stems, done=finished, report=report, declared=declared)
        batch = Batch([r for p in paths for r in records[p]], skipped, reused=len(paths) - len(todo))
        if pdf:
            batch.pdf_failed = _pdfs(store, paths, records, pdf_done)
        summary = store.folder_file("summary", SUMMARY_NAME)
        try:
            write_summary(store.results(), summary)
            store.wrote("summary", summary)
            batch.summary = summary
        except Exception as exc:  # noqa: BLE001  (xlsxwriter wraps the OSError)
            batch.problems.append(fault(exc, summary) or f"汇总表 {summary} 无法写出（{exc}）")
        if review is not None:
            batch.reviewed = build_review(batch.results, rules, review.sample, review.seed, declared, review.unread)
            dest = store.folder_file("review", REVIEW_NAME)
            try:
                write_review(batch.reviewed, dest)
                store.wrote("review", dest)
                batch.review = dest
            except Exception as exc:  # noqa: BLE001  (xlsxwriter wraps the OSError)
                batch.problems.append(fault(exc, dest) or f"复核清单 {dest} 无法写出（{exc}）")
        batch.problems += store.export()
    return batch


def _pdfs(
    store: Store, paths: list[Path], records: dict[Path, list[dict[str, Any]]], done: Callable[[Path], None] | None
) -> dict[Path, str]:
    """PDFs of this run's reports that have none as recorded, each recorded with its input."""
    from ..report.pdf import to_pdf

    def has_pdf(path: Path) -> bool:
        entry = store.entry(path)
        return entry is not None and "pdf" in entry.outputs and store.intact(entry.outputs["pdf"])

    by_report = {
        store.outdir / Path(records[p][0]["report"]).name: p
        for p in paths
        if records[p][0].get("report") and not has_pdf(p)
    }
    if not by_report:
        return {}

    def made(document: Path) -> None:
        store.add_output(by_report[document], "pdf", document.with_suffix(".pdf"))
        if done:
            done(document)

    try:
        return to_pdf(list(by_report), done=made)
    except OSError as exc:  # its working folder could not be made (a full disk, a read-only folder)
        why = fault(exc, store.outdir) or f"未能生成 PDF（{exc}）"
        return {document: why for document in by_report}


def _refuse_inside(outdir: Path, folders: list[Path]) -> None:
    out = outdir.resolve()
    for folder in folders:
        top = folder.resolve()
        if out == top or top in out.parents:
            raise StoreError(
                f"输出文件夹 {outdir} 在输入文件夹 {folder} 之内（或就是它）：评分结果会与各单位提交的文件"
                f"混在一起，还可能与其中的文件重名；请用 -o 指定输入文件夹以外的文件夹，"
                f"如 -o {top.parent / (top.name + '-评分结果')}"
            )


#: Raised whenever a change of xlsx-eval gives a file other results under the same rules (2: the review checks,
#: claimed_total and project.department; 3: project.code, the declaration), so that --changed-only does not keep
#: what an older version found.
RESULTS_EDITION = 3


def _settings_key(rules: Rules, report: ReportOptions | None, declared: Declared | None = None) -> str:
    """What, besides the input's bytes, an output depends on: the rules, what this version of xlsx-eval finds,
    whether and how reports are written, and the declarations it was compared with."""
    key = f"{rules.name}:{rules.digest}|edition:{RESULTS_EDITION}"  # before edition 2, keys named none
    if declared is not None:
        key += f"|declared:{declared.digest()}"
    if report is not None:
        key += f"|report:{digest(report.template) if report.template else 'default'}"
    return key
