"""The library's entry points: read → reconcile → score → write, for one workbook.

Neither function raises for a user's bad file: an unreadable workbook comes back as a Result
with one UNREADABLE_FILE finding and ``scored`` false.
"""

from __future__ import annotations

from pathlib import Path

from .findings import finding
from .model import SHEET_INDICATORS, Funds, Result, Workbook
from .reader import UnreadableWorkbook, read_workbook
from .reconcile import ledger_total, reconcile
from .rules import DEFAULT_RULES, Rules
from .scoring import score_workbook


def evaluate(path: Path | str, rules: Rules = DEFAULT_RULES) -> Result:
    """Check and score one workbook without writing anything."""
    return _evaluate(Path(path), rules)[1]


def convert(path: Path | str, outdir: Path | str, rules: Rules = DEFAULT_RULES) -> Result:
    """Score one workbook and write ``<stem>.scored.xlsx`` (or .xlsm) into ``outdir``."""
    from .writer import write_result

    path, outdir = Path(path), Path(outdir)
    wb, result = _evaluate(path, rules)
    if wb is None:
        return result
    dest = outdir / f"{path.stem}.scored{path.suffix.lower() if path.suffix.lower() == '.xlsm' else '.xlsx'}"
    try:
        write_result(wb, result, dest, rules)
    except Exception as exc:  # one file's odd package must not end a batch with a traceback
        result.findings.append(finding("WRITE_FAILED", "", "", f"无法写出评分后的工作簿（{type(exc).__name__}: {exc}）；"
                                                                 f"请用 Excel 或 WPS 打开原文件另存为 .xlsx 后重试"))
        return result
    result.output = dest
    return result


def _evaluate(path: Path, rules: Rules) -> tuple[Workbook | None, Result]:
    try:
        wb = read_workbook(path)
    except UnreadableWorkbook as exc:
        return None, _unreadable(path, str(exc))
    except Exception as exc:  # a parser choking on a damaged file: one line for this file, never a traceback
        return None, _unreadable(path, f"读取时出错（{type(exc).__name__}: {exc}）；"
                                       f"请确认文件能在 Excel 或 WPS 中正常打开，另存为 .xlsx 后重试")
    p = wb.project
    findings = list(wb.findings) + reconcile(wb, rules)
    funds = Funds(unit=p.money_unit, budget=p.budget, received=p.received, fiscal=p.fiscal, executed=p.executed,
                  ledger_total=ledger_total(wb.payments), execution_rate=None)
    result = Result(file=path, output=None, scored=False, project=p, funds=funds, execution_weight=None,
                    execution_score=None, indicators=[], total=None, grade=None, findings=findings,
                    indicator_sheet=wb.sheet(SHEET_INDICATORS))
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
    return wb, result


def _unreadable(path: Path, message: str) -> Result:
    return Result(file=path, output=None, scored=False, project=None, funds=None, execution_weight=None,
                  execution_score=None, indicators=[], total=None, grade=None,
                  findings=[finding("UNREADABLE_FILE", "", "", message)])
