"""Reconciliation (scoring.md §6): the ledger in 支出明细 against the figures in 项目信息.

Each check is a small function that yields findings; ``reconcile`` runs them all.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from ..findings import Finding, finding
from ..model import SHEET_INFO, SHEET_LEDGER, Form, Payment, Project
from ..values import money, to_decimal
from .rules import Rules


def ledger_total(payments: list[Payment] | None) -> float | None:
    """Σ 支出明细.金额 (refunds included, unreadable amounts left out), each as typed (``to_decimal``: the decimal of
    a float's repr, here over the whole column at once); None without a ledger."""
    if not payments:
        return None
    amounts = [p.amount for p in payments if p.amount is not None]
    return float(sum(map(Decimal, map(repr, amounts)), Decimal(0)))


def reconcile(wb: Form, rules: Rules, total: float | None) -> list[Finding]:
    """Every check of scoring.md §6 on one workbook; ``total``: its ledger_total."""
    info = wb.sheet(SHEET_INFO)
    ledger = wb.sheet(SHEET_LEDGER)
    p = wb.project
    tol = rules.tolerance(p.money_unit)
    checks = [_ceilings(p, info, tol), _project_units(p, info, rules)]
    if wb.payments is not None:
        checks += [
            _executed_vs_ledger(wb, total, info, ledger, tol, rules),
            _dates(wb.payments, p.year, ledger),
            _duplicates(wb.payments, ledger, p.money_unit),
            _non_positive(wb.payments, ledger, p.money_unit),
            _payment_units(wb.payments, p, ledger),
        ]
    return [f for check in checks for f in check]


def _executed_vs_ledger(
    wb: Form, total: float | None, info: str, ledger: str, tol: Decimal, rules: Rules
) -> Iterator[Finding]:
    p = wb.project
    payments = wb.payments or []
    if total is None:
        yield finding("NO_LEDGER", ledger, "", "支出明细未填写，未核对全年执行数；请逐笔填写本年度支出")
        return
    if p.executed is None:
        return
    executed, ledger_sum = to_decimal(p.executed), to_decimal(total)
    unit = p.money_unit
    mixed = executed > 0 and ledger_sum > 0 and _far_apart(executed, ledger_sum, rules)
    if mixed:  # one side is in the other unit: a figure to copy over would repeat the slip
        yield finding(
            "EXECUTED_MISMATCH",
            info,
            p.cells["executed"],
            f"全年执行数为{money(executed)}{unit}，支出明细金额合计为{money(ledger_sum)}，二者相差约"
            f"{money(max(executed, ledger_sum) / min(executed, ledger_sum))}倍，看来有一边把元和万元填混了；"
            f"请先把全年执行数和每笔支出都按{unit}填写，再核对二者是否相符",
        )
        yield finding(
            "UNIT_SUSPECT",
            ledger,
            payments[0].cell("amount"),
            f"支出明细合计{money(ledger_sum)}与全年执行数{money(executed)}相差约"
            f"{money(max(executed, ledger_sum) / min(executed, ledger_sum))}倍，可能把元和万元填混了；"
            f"请统一按{unit}填写",
        )
    elif abs(executed - ledger_sum) > tol:
        yield finding(
            "EXECUTED_MISMATCH",
            info,
            p.cells["executed"],
            f"全年执行数为{money(executed)}{unit}，但支出明细金额合计为{money(ledger_sum)}{unit}，"
            f"相差{money(abs(executed - ledger_sum))}{unit}；请核对支出明细，或将全年执行数改为{money(ledger_sum)}",
        )


#: The figures of 项目信息 that reconciliation names, with their labels.
LABELS = {
    "initial_budget": "年初预算数",
    "budget": "全年预算数",
    "received": "资金到位数",
    "fiscal": "其中财政资金",
    "executed": "全年执行数",
}

#: (code, a figure, the figure it must not exceed, what to do about it)
CEILINGS = (
    ("OVER_BUDGET", "executed", "budget", "预算执行率按100%计分；请核对执行数，或补充预算调整"),
    ("OVER_RECEIVED", "executed", "received", "请核对资金到位数或执行数"),
    ("FISCAL_EXCEEDS_RECEIVED", "fiscal", "received", "财政资金是到位资金的一部分，请核对"),
)


def _ceilings(p: Project, info: str, tol: Decimal) -> Iterator[Finding]:
    for code, field, ceiling, advice in CEILINGS:
        value, limit = getattr(p, field), getattr(p, ceiling)
        if ceiling == "budget" and (limit is None or limit <= 0):
            continue  # a missing or non-positive 全年预算数 is reported by the reader; nothing is scored
        if value is not None and limit is not None and to_decimal(value) - to_decimal(limit) > tol:
            yield finding(
                code,
                info,
                p.cells[field],
                f"{LABELS[field]}{money(value)}{p.money_unit}超过{LABELS[ceiling]}{money(limit)}{p.money_unit}；{advice}",
            )


def _dates(payments: list[Payment], year: int | None, ledger: str) -> Iterator[Finding]:
    if year is None:
        return
    for pay in payments:
        if pay.date is not None and pay.date.year != year:
            yield finding(
                "DATE_OUT_OF_YEAR",
                ledger,
                pay.cell("date"),
                f"支出日期{pay.date.isoformat()}不在评价年度{year}年内；请核对日期，或确认该笔支出属于本年度",
            )


def _duplicates(payments: list[Payment], ledger: str, unit: str) -> Iterator[Finding]:
    seen: dict[tuple, Payment] = {}
    for pay in payments:
        if pay.date is None or pay.summary is None or pay.amount is None:
            continue
        key = (pay.date, pay.summary, pay.amount)
        if key in seen:
            yield finding(
                "DUPLICATE_EXPENSE",
                ledger,
                pay.cell("summary"),
                f"与第{seen[key].row}行日期、摘要和金额（{money(pay.amount)}{unit}）完全相同，疑似重复录入；"
                f"如确为两笔支出，请在备注中说明",
            )
        else:
            seen[key] = pay


def _non_positive(payments: list[Payment], ledger: str, unit: str) -> Iterator[Finding]:
    for pay in payments:
        if pay.amount is not None and pay.amount <= 0:
            yield finding(
                "NEGATIVE_AMOUNT",
                ledger,
                pay.cell("amount"),
                f"支出金额为{money(pay.amount)}{unit}（已计入合计）；如为退款或红字冲销，请在备注中注明，否则请更正金额",
            )


def _far_apart(a: Decimal, b: Decimal, rules: Rules) -> bool:
    return max(a, b) / min(a, b) >= rules.unit_suspect_ratio


def _project_units(p: Project, info: str, rules: Rules) -> Iterator[Finding]:
    """A figure of 项目信息 a thousand times off the 全年预算数: 元 typed where 万元 was meant, or back."""
    if p.budget is None or p.budget <= 0:
        return
    budget = to_decimal(p.budget)
    for field in ("initial_budget", "received", "fiscal", "executed"):
        value, label = getattr(p, field), LABELS[field]
        if value is not None and value > 0 and _far_apart(to_decimal(value), budget, rules):
            yield finding(
                "UNIT_SUSPECT",
                info,
                p.cells[field],
                f"{label}{money(value)}与全年预算数{money(budget)}相差上千倍，可能把元和万元填混了；"
                f"金额单位为{p.money_unit}，请统一按{p.money_unit}填写",
            )


def _payment_units(payments: list[Payment], p: Project, ledger: str) -> Iterator[Finding]:
    """A single payment larger than the whole year's budget is most likely in the wrong unit."""
    if p.budget is None or p.budget <= 0:
        return
    for pay in payments:
        if pay.amount is not None and pay.amount > p.budget:
            yield finding(
                "UNIT_SUSPECT",
                ledger,
                pay.cell("amount"),
                f"单笔支出{money(pay.amount)}超过全年预算数{money(p.budget)}{p.money_unit}，可能把元填成了{p.money_unit}；"
                f"请按{p.money_unit}填写",
            )
