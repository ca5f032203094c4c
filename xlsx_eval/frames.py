"""Results as pandas DataFrames, for analysts who work in pandas or Jupyter: ``xlsx_eval.to_frame(results)``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from .model import Result

FORM_COLUMNS = [
    "file", "sheet", "layout", "year", "unit", "department", "project", "money_unit", "budget", "executed",
    "ledger_total", "execution_rate", "execution_score", "total", "claimed_total", "grade", "scored",
    "errors", "warnings", "infos", "output",
]  # fmt: skip
FINDING_COLUMNS = [
    "file", "sheet", "unit", "department", "project", "severity", "code", "finding_sheet", "cell", "message",
]  # fmt: skip


def to_frame(results: Iterable[Result | dict[str, Any]], findings: bool = False) -> pd.DataFrame:
    """One row per form (the results of ``evaluate`` or ``convert``, or their JSON), or with ``findings`` one row
    per finding; amounts in each form's own 金额单位 (``money_unit``), execution_rate in percent.

        frame = xlsx_eval.to_frame(xlsx_eval.evaluate("长安区委办.xlsx"))
        frame.groupby("department")["total"].mean()
    """
    import pandas as pd

    dicts = [r.to_dict() if hasattr(r, "to_dict") else r for r in results]
    if findings:
        rows = []
        for r in dicts:
            project = r.get("project") or {}
            form = {
                "file": r["file"],
                "sheet": r.get("sheet"),
                "unit": project.get("unit"),
                "department": project.get("department"),
                "project": project.get("name"),
            }
            rows += [
                {**form, "severity": f["severity"], "code": f["code"], "finding_sheet": f["sheet"],
                 "cell": f["cell"], "message": f["message"]}
                for f in r["findings"]
            ]  # fmt: skip
        return pd.DataFrame(rows, columns=FINDING_COLUMNS)
    return pd.DataFrame([_form(r) for r in dicts], columns=FORM_COLUMNS)


def _form(r: dict[str, Any]) -> dict[str, Any]:
    project, funds = r.get("project") or {}, r.get("funds") or {}
    count = {s: sum(f["severity"] == s for f in r["findings"]) for s in ("error", "warning", "info")}
    return {
        "file": r["file"],
        "sheet": r.get("sheet"),
        "layout": r.get("layout"),
        "year": project.get("year"),
        "unit": project.get("unit"),
        "department": project.get("department"),
        "project": project.get("name"),
        "money_unit": funds.get("unit"),
        "budget": funds.get("budget"),
        "executed": funds.get("executed"),
        "ledger_total": funds.get("ledger_total"),
        "execution_rate": funds.get("execution_rate"),
        "execution_score": r.get("execution_score"),
        "total": r.get("total"),
        "claimed_total": r.get("claimed_total"),
        "grade": r.get("grade"),
        "scored": r.get("scored"),
        "errors": count["error"],
        "warnings": count["warning"],
        "infos": count["info"],
        "output": r.get("output"),
    }
