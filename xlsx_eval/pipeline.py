"""The library's entry points: read → reconcile → score → write, for one workbook.

Neither function raises for a user's bad file: an unreadable workbook comes back as a Result
with one UNREADABLE_FILE finding and ``scored`` false. Each runs its file in a child process
(``isolate``), so a parser that crashes or runs away takes only that file with it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from . import isolate
from .errors import ReportTemplateError, UnreadableWorkbook
from .files import MAX_STEM_BYTES, NAME_MAX, fault, shorten
from .findings import Finding, finding
from .model import SHEET_INDICATORS, Form, Funds, Result
from .read import read_forms
from .report.word import ReportOptions, write_report
from .score.claims import check_claims, check_funds_rows
from .score.declared import Declared, compare
from .score.reconcile import ledger_total, reconcile
from .score.review import review
from .score.rules import Rules
from .score.rules_file import national
from .score.scoring import score_workbook
from .values import parse_number

#: What the scored copy of each kind of input is written as: macros stay in an .xlsm, and .xls / .ods /
#: SpreadsheetML ("xml", which are read, not written back) become .xlsx.
OUTPUT_SUFFIX = {"xlsx": ".xlsx", "xlsm": ".xlsm", "xls": ".xlsx", "ods": ".xlsx", "xml": ".xlsx"}


def evaluate(path: Path | str, rules: Rules | None = None) -> list[Result]:
    """Check and score one workbook without writing anything (``rules``: default the national profile): a result
    per form it holds (our workbook is one form; a workbook of national forms has one a sheet)."""
    return process([Path(path)], rules)


def convert(path: Path | str, outdir: Path | str, rules: Rules | None = None, stem: str | None = None) -> list[Result]:
    """Score one workbook and write ``<stem>.scored.xlsx`` (``.xlsm`` for a macro workbook) into ``outdir``: a
    result per form, all naming the one scored copy.

    ``stem`` defaults to the input's; a caller converting several inputs of the same name gives each its own.
    """
    path = Path(path)
    return process([path], rules, Path(outdir), stems={path: stem or shorten(path.stem, MAX_STEM_BYTES)})


def process(
    paths: list[Path],
    rules: Rules | None = None,
    outdir: Path | None = None,
    *,
    jobs: int = 1,
    stems: dict[Path, str] | None = None,
    done: Callable[[int, list[Result]], None] | None = None,
    report: ReportOptions | None = None,
    declared: Declared | None = None,
) -> list[Result]:
    """Check (``outdir`` None) or convert each workbook on up to ``jobs`` worker processes; with ``report``,
    a converted workbook also gets its 自评报告, ``<stem>.report.docx``, beside the scored copy; with ``declared``
    (``read_declared``), each form is compared with its 绩效目标申报表.

    Each workbook gives a result per form it holds; they come in the order of ``paths``, whatever ``jobs``.
    ``done(index, results)`` is called with a file's results as it finishes. A file that crashes, hangs or
    exhausts its worker becomes one UNREADABLE_FILE result.
    """
    rules = rules or national()
    tasks = [(p, rules, outdir, (stems or {}).get(p, p.stem), report, declared) for p in paths]
    _import_before_forking(writing=outdir is not None, reporting=report is not None)
    return _run(_job, paths, tasks, rules, jobs, done)


def read_declared(paths: list[Path], *, jobs: int = 1) -> tuple[Declared, list[tuple[Path, str]]]:
    """The 绩效目标申报表 in these workbooks (each read in a worker, as the forms are), indexed for matching; and the
    files that gave none, each with why in Chinese (unreadable, or no declaration in it)."""
    from .read.declared import read_declarations

    _import_before_forking(writing=False)
    declarations, problems = [], []
    for path, outcome in zip(paths, isolate.run_all(read_declarations, [(p,) for p in paths], jobs)):
        if isinstance(outcome, list) and outcome:
            declarations += outcome
        elif isinstance(outcome, list):
            problems.append(
                (path, "文件中没有绩效目标申报表（标题含“绩效目标申报表”，或有项目名称和三级指标、目标值）")
            )
        else:
            problems.append((path, _as_results(path, outcome, national())[0].findings[0].message))
    return Declared.index(declarations), problems


def _run(
    job: Callable[..., list[Result]],
    paths: list[Path],
    tasks: list[tuple],
    rules: Rules,
    jobs: int,
    done: Callable[[int, list[Result]], None] | None,
) -> list[Result]:
    """``job(*task)`` for each file on the workers; every form's result, in the order of ``paths``."""
    results: list[list[Result]] = [[] for _ in paths]  # each filled as its file finishes

    def finished(index: int, outcome) -> None:
        results[index] = _as_results(paths[index], outcome, rules)
        if done:
            done(index, results[index])

    isolate.run_all(job, tasks, jobs, done=finished)
    return [r for file_results in results for r in file_results]


def report_workbook(
    path: Path | str, dest: Path | str, rules: Rules | None = None, options: ReportOptions | None = None
) -> list[Result]:
    """Score one workbook and write its 自评报告 to ``dest`` (.docx); no scored copy is written. A workbook of
    several national forms gets a report per form: the first at ``dest``, the others at ``<dest>.<sheet>.docx``.

    Each ``result.report`` is set when its report was written; a form that cannot be scored gets none.
    """
    path, rules = Path(path), rules or national()
    _import_before_forking(writing=False, reporting=True)
    [outcome] = isolate.run_all(_report_job, [(path, rules, Path(dest), options or ReportOptions())], jobs=1)
    return _as_results(path, outcome, rules)


def export_national(
    paths: list[Path],
    outdir: Path | str,
    rules: Rules | None = None,
    *,
    jobs: int = 1,
    done: Callable[[int, list[Result]], None] | None = None,
) -> list[Result]:
    """Score each input and write its national 项目支出绩效自评表, ``<stem>.national.xlsx`` in ``outdir``
    (``result.output``; None when the input could not be scored or the form not written). Two inputs of one
    name get ``<stem> (2).national.xlsx`` and so on, in the order given."""
    rules, outdir = rules or national(), Path(outdir)
    taken: set[str] = set()
    stems = []
    for path in paths:
        stem, n = shorten(path.stem, MAX_STEM_BYTES), 2
        name = stem
        while name.casefold() in taken:
            name, n = f"{stem} ({n})", n + 1
        taken.add(name.casefold())
        stems.append(name)
    _import_before_forking(writing=True)
    return _run(_export_job, paths, [(p, rules, outdir, stem) for p, stem in zip(paths, stems)], rules, jobs, done)


def _export_job(path: Path, rules: Rules, outdir: Path, stem: str) -> list[Result]:
    """Each form's national form; a workbook of several forms gets ``<stem>.<sheet>.national.xlsx`` for each."""
    from .write.national_form import write_national_form

    forms = _evaluate(path, rules)
    for wb, result in forms:
        if not result.scored:
            continue
        dest = outdir / f"{_form_stem(stem, wb, forms)}.national.xlsx"
        try:
            result.output = write_national_form(wb, result, dest)
        except OSError as exc:
            result.transient = True
            result.findings.append(finding("WRITE_FAILED", "", "", fault(exc, dest) or f"自评表无法写出（{exc}）"))
    return [result for _, result in forms]


def _form_stem(stem: str, wb: Form, forms: list[tuple[Form, Result]]) -> str:
    """The name a form's own file starts with: the input's stem, and for a workbook of several forms the form's
    sheet after it, made fit for a file name."""
    if len(forms) == 1:
        return stem
    sheet = "".join("_" if ch in '\\/:*?"<>|' else ch for ch in wb.form_sheet or "")
    return f"{stem}.{shorten(sheet, 60) or 'form'}"


def _import_before_forking(writing: bool, reporting: bool = False) -> None:
    """Import what the workers need once, here: each forked worker inherits it instead of importing it again
    (about 0.1 s a worker, and workers are renewed every few dozen files)."""
    import python_calamine  # noqa: F401

    from .read import sheet_scan  # noqa: F401  (lxml)

    if writing:
        from .write import scored_copy  # noqa: F401
    if reporting:
        import docxtpl  # noqa: F401


def _job(
    path: Path, rules: Rules, outdir: Path | None, stem: str, report: ReportOptions | None, declared: Declared | None
) -> list[Result]:
    if outdir is None:
        return [result for _, result in _evaluate(path, rules, declared)]
    forms = _convert(path, rules, outdir, stem, declared)
    if report is not None:
        for wb, result in forms:
            if result.output is not None:
                _write_report(wb, result, outdir / f"{_form_stem(stem, wb, forms)}.report.docx", report)
    return [result for _, result in forms]


def _report_job(path: Path, rules: Rules, dest: Path, options: ReportOptions) -> list[Result]:
    forms = _evaluate(path, rules)
    for n, (wb, result) in enumerate(forms):  # the first at the name asked for, the others beside it
        _write_report(
            wb, result, dest if n == 0 else dest.with_name(f"{_form_stem(dest.stem, wb, forms)}.docx"), options
        )
    return [result for _, result in forms]


def _write_report(wb: Form, result: Result, dest: Path, options: ReportOptions) -> None:
    """The report of a scored workbook; a failure is this file's REPORT_FAILED finding, never a traceback."""
    if not result.scored:
        return
    try:
        result.report = write_report(wb, result, dest, options.template)
    except ReportTemplateError as exc:
        result.findings.append(finding("REPORT_FAILED", "", "", str(exc)))
    except MemoryError:  # the report, not the disk: its tables are capped, so this is a workbook out of all measure
        result.findings.append(
            finding(
                "REPORT_FAILED",
                "",
                "",
                (
                    "自评报告过大，超出可用内存，未能写出；工作簿中的绩效指标或支出明细可能过多，"
                    "请删去空行和重复行后重试，评分结果不受影响"
                ),
            )
        )
    except OSError as exc:
        result.transient = True
        result.findings.append(finding("REPORT_FAILED", "", "", fault(exc, dest) or f"自评报告无法写出（{exc}）"))
    except Exception as exc:
        result.findings.append(
            finding("REPORT_FAILED", "", "", f"自评报告无法写出（技术信息：{type(exc).__name__}: {exc}）")
        )


def _as_results(path: Path, outcome, rules: Rules) -> list[Result]:
    if isinstance(outcome, list):
        return outcome
    if isinstance(outcome, isolate.ChildFailed):  # a worker killed or stopped: worth another try next run
        result = _unreadable(path, str(outcome), rules)
        result.transient = True
        return [result]
    if isinstance(outcome, UnreadableWorkbook):
        return [_unreadable(path, str(outcome), rules)]
    # a parser choking on a damaged file: one line for this file, never a traceback
    return [
        _unreadable(
            path,
            f"读取该文件时出错，文件可能已损坏；请确认它能在 Excel 或 WPS 中正常打开，"
            f"另存为 .xlsx 后重试（技术信息：{type(outcome).__name__}: {outcome}）",
            rules,
        )
    ]


def _convert(
    path: Path, rules: Rules, outdir: Path, stem: str, declared: Declared | None = None
) -> list[tuple[Form, Result]]:
    from .write.scored_copy import write_result

    forms = _evaluate(path, rules, declared)
    wb = forms[0][0]
    results = [result for _, result in forms]
    dest = outdir / f"{stem}.scored{OUTPUT_SUFFIX[wb.kind]}"
    problems = []
    if len(path.stem.encode("utf-8")) > MAX_STEM_BYTES:  # the store gave it a shorter stem
        full = len(f"{path.stem}.scored{OUTPUT_SUFFIX[wb.kind]}".encode())
        problems.append(
            finding(
                "NAME_SHORTENED",
                "",
                "",
                (
                    f"文件名过长：评分后的文件名会有 {full} 字节，超过系统允许的 {NAME_MAX} 字节，已改用较短的名称"
                    f"“{dest.name}”；建议把原文件改用较短的名称"
                ),
            )
        )
    try:
        write_result(forms, dest, rules)
    except MemoryError:  # the workbook, not the folder
        problems.append(
            finding(
                "WRITE_FAILED",
                "",
                "",
                "评分后的工作簿过大，超出可用内存，未能写出；请删去工作簿中多余的空行、图片后重试，评分结果不受影响",
            )
        )
    except OSError as exc:  # a full disk, a read-only folder: this file's finding, and another try next run
        for result in results:
            result.transient = True
        problems.append(finding("WRITE_FAILED", "", "", fault(exc, dest) or f"评分后的工作簿无法写出（{exc}）"))
    except Exception as exc:  # one file's odd package must not end a batch with a traceback
        problems.append(
            finding(
                "WRITE_FAILED",
                "",
                "",
                f"评分后的工作簿无法写出；请确认输出文件夹可以写入，或用 Excel 或 WPS 打开原文件"
                f"另存为 .xlsx 后重试（技术信息：{type(exc).__name__}: {exc}）",
            )
        )
    for result in results:
        result.findings.extend(problems)
        if not any(p.code == "WRITE_FAILED" for p in problems):
            result.output = dest
    return forms


def _evaluate(path: Path, rules: Rules, declared: Declared | None = None) -> list[tuple[Form, Result]]:
    """Each form of the workbook, read and scored (and compared with its declaration, given ``declared``)."""
    return [_score(wb, path, rules, declared) for wb in read_forms(path)]


def _score(wb: Form, path: Path, rules: Rules, declared: Declared | None) -> tuple[Form, Result]:
    p = wb.project
    total = ledger_total(wb.payments)
    findings = list(wb.findings) + reconcile(wb, rules, total) + check_funds_rows(wb, rules)
    funds = Funds(
        unit=p.money_unit,
        budget=p.budget,
        received=p.received,
        fiscal=p.fiscal,
        executed=p.executed,
        ledger_total=total,
        execution_rate=None,
    )
    result = Result(
        file=path,
        output=None,
        scored=False,
        project=p,
        funds=funds,
        execution_weight=None,
        execution_score=None,
        indicators=[],
        total=None,
        grade=None,
        findings=findings,
        indicator_sheet=wb.sheet(SHEET_INDICATORS),
        layout=wb.layout,
        sheet=wb.form_sheet,
        rules=rules_record(rules),
    )
    if wb.scorable:
        s = score_workbook(wb, rules)
        funds.execution_rate = float(s.execution_rate)
        result.scored = True
        result.execution_weight = float(s.execution_weight)
        result.execution_score = float(s.execution_score)
        result.indicators = s.indicators
        result.total = float(s.total)
        result.grade = s.grade
        result.findings.extend(s.findings)
        result.findings.extend(check_claims(wb, s, rules))
        typed = [parse_number(c.value) for c in wb.claims if c.what == "total" and not c.formula]
        result.claimed_total = float(typed[0]) if typed and typed[0] is not None else None
        result.findings.extend(review(wb, result, rules))
    if declared is not None and (match := declared.find(p)) is not None:
        declaration, how = match
        result.declaration = {"file": str(declaration.file), "sheet": declaration.sheet, "matched_by": how}
        result.findings.extend(compare(wb, result, declaration, rules))
    result.findings = _formula_explains(result.findings)
    return wb, result


def _formula_explains(findings: list[Finding]) -> list[Finding]:
    """A formula cell without a saved value is reported once, as FORMULA_NO_VALUE, not again as blank."""
    formula_cells = {(f.sheet, f.cell) for f in findings if f.code == "FORMULA_NO_VALUE"}
    return [f for f in findings if f.code == "FORMULA_NO_VALUE" or (f.sheet, f.cell) not in formula_cells]


def _unreadable(path: Path, message: str, rules: Rules) -> Result:
    return Result(
        file=path,
        output=None,
        scored=False,
        project=None,
        funds=None,
        execution_weight=None,
        execution_score=None,
        indicators=[],
        total=None,
        grade=None,
        findings=[finding("UNREADABLE_FILE", "", "", message)],
        rules=rules_record(rules),
    )


def rules_record(rules: Rules) -> dict:  # {"name", "title", "digest": str; "grades": list[str]}
    """What every output says of the rules that scored it: their name, title (as shown to people), the digest
    of their file, and their grade labels highest first (what summary.xlsx counts results under)."""
    return {
        "name": rules.name,
        "title": rules.title,
        "digest": rules.digest,
        "grades": [label for _, label in rules.grades],
    }
