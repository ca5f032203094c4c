"""What a national form claims, checked against what the toolkit computes (national-form.md, "What it means for
scoring"): the printed 执行率, the execution 得分 and 总分, and the money block's 其中 rows against its total.

A claim that is a formula's result is the sheet's arithmetic, not a figure the unit wrote: a platform export
computes the execution 得分 from the unrounded rate (9.39 for 93.94%) where the rules round the rate first (9.4),
and its 总分 adds what the rows claim, each of which is checked on its own. Such cells are not checked; the
scored copy replaces them with the computed figures all the same.

Each indicator's own 得分 is checked where it is scored (scoring, CLAIMED_SCORE_MISMATCH), as for our workbook.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from ..findings import Finding, finding
from ..model import Claim, Form, MoneyRow
from ..values import half_up, money, parse_number, plain, text, to_decimal
from .rules import Rules
from .scoring import Scores

#: Two scores differ when they differ by more than this: a form's figures are printed to two decimals.
SCORE_TOLERANCE = Decimal("0.005")
COLUMNS = {"initial_budget": "年初预算数", "budget": "全年预算数", "executed": "全年执行数"}


def check_claims(wb: Form, scores: Scores, rules: Rules) -> list[Finding]:
    """Every claim of the form that differs from the computed figure, each on its cell with both figures."""
    found: list[Finding] = []
    p = wb.project
    sheet = wb.form_sheet or ""
    for claim in wb.claims:
        if claim.formula:
            continue  # the sheet's own arithmetic (a platform export's formulas), not a figure the unit wrote
        if claim.what == "execution_rate" and p.budget and p.executed is not None:
            rate = to_decimal(p.executed) / to_decimal(p.budget) * 100
            found += _rate(claim, rate, sheet)
        elif claim.what == "execution_score":
            said = _number(claim)
            if said is not None and abs(said - scores.execution_score) > SCORE_TOLERANCE:
                found.append(
                    finding(
                        "CLAIMED_SCORE_MISMATCH",
                        sheet,
                        claim.cell,
                        f"填报的预算执行得分为{plain(said)}，按评分规则应为{plain(scores.execution_score)}"
                        f"（执行率{plain(scores.execution_rate)}% × 分值{plain(scores.execution_weight)}），"
                        f"已改为{plain(scores.execution_score)}",
                    )
                )
        elif claim.what == "total":
            said = _number(claim)
            if said is not None and abs(said - scores.total) > SCORE_TOLERANCE:
                found.append(
                    finding(
                        "CLAIMED_TOTAL_MISMATCH",
                        sheet,
                        claim.cell,
                        f"填报的总分为{plain(said)}，按评分规则计算应为{plain(scores.total)}，相差"
                        f"{plain(abs(said - scores.total))}分；已改为{plain(scores.total)}",
                    )
                )
    return found


def _number(claim: Claim) -> Decimal | None:
    """A score as written: a number, whatever its cell's format (99.4 formatted 0% is 99.4 points)."""
    return parse_number(claim.value) if text(claim.value) is not None else None


def _rate(claim: Claim, rate: Decimal, sheet: str) -> Iterator[Finding]:
    """The printed 执行率 against 全年执行数 / 全年预算数, to half a unit of its last printed decimal (at most
    two): "94%" holds for 93.94%, "95%" does not. A bare number is a fraction or a percent, whichever is nearer."""
    shown = text(claim.value)
    if shown is None:
        return
    if isinstance(claim.value, str):
        written = shown.replace("％", "%").strip()
        number = parse_number(written.removesuffix("%"))
        if number is None:
            return  # a dash or a word: nothing is claimed
        candidates = [number] if written.endswith("%") else [number, number * 100]
    else:
        number = parse_number(claim.value)
        if number is None:
            return
        candidates = [number * 100] if claim.percent else [number, number * 100]
    said = min(candidates, key=lambda c: abs(c - rate))
    places = min(2, max(0, -said.normalize().as_tuple().exponent))  # type: ignore[operator]  # finite: parsed
    if abs(said - rate) > Decimal(5).scaleb(-places - 1):
        yield finding(
            "EXECUTION_RATE_MISMATCH",
            sheet,
            claim.cell,
            f"填报的执行率为{plain(said)}%，但全年执行数 ÷ 全年预算数 = {plain(half_up(rate, 2))}%；"
            f"请改为{plain(half_up(rate, places))}%",
        )


def check_funds_rows(wb: Form, rules: Rules) -> list[Finding]:
    """The 其中 rows against the total row, column by column (FUNDS_ROWS_MISMATCH on the total's cell); the
    funding sources against 当年财政拨款 where that row exists, else they are among the 其中 rows."""
    rows = wb.money_rows
    total = next((m for m in rows if m.kind == "total"), None)
    if total is None:
        return []
    fiscal = next((m for m in rows if m.kind == "fiscal"), None)
    parts = [m for m in rows if m.kind in ("fiscal", "part")]
    sources = [m for m in rows if m.kind == "source"]
    checks = [(total, parts + sources)] if fiscal is None else [(total, parts), (fiscal, sources)]
    tol = rules.tolerance(wb.project.money_unit)
    found = []
    for whole, pieces in checks:
        for field, name in COLUMNS.items():
            found += _adds_up(wb, whole, pieces, field, name, tol)
    return found


def _adds_up(wb: Form, whole: MoneyRow, pieces: list[MoneyRow], field: str, name: str, tol: Decimal) -> list[Finding]:
    figures = [(m.label, m.amounts.get(field)) for m in pieces]
    given = [(label, to_decimal(v)) for label, v in figures if v is not None]
    stated = whole.amounts.get(field)
    if not given or stated is None:
        return []
    added = sum((v for _, v in given), Decimal(0))
    if abs(added - to_decimal(stated)) <= tol:
        return []
    unit = wb.project.money_unit
    what = "、".join(label for label, _ in given)
    return [
        finding(
            "FUNDS_ROWS_MISMATCH",
            wb.form_sheet or "",
            whole.cells[field],
            f"{whole.label}的{name}为{money(stated)}{unit}，但{what}合计为{money(added)}{unit}，"
            f"相差{money(abs(added - to_decimal(stated)))}{unit}；请核对各行金额",
        )
    ]
