"""What the pages show, worked out from a job's JSON results (output.md's, as the command line prints them): a
form's total, its score per 一级指标 as bars, its findings worst first, its downloads; the batch's table rows
and their order."""

from __future__ import annotations

from typing import Any

from ..findings import SEVERITY_LABELS, SEVERITY_RANK

BAR_WIDTH = 300  # the chart's bars, in its SVG's units
BAR_STEP = 34


def form_view(
    result: dict[str, Any], files: dict[str, dict[str, str]], n: int, change: dict | None, pdf: bool
) -> dict[str, Any]:
    """One form of a unit's check, as its page shows it."""
    unreadable = next((f["message"] for f in result["findings"] if f["code"] == "UNREADABLE_FILE"), None)
    findings = [f for f in result["findings"] if f["code"] != "UNREADABLE_FILE"]
    findings.sort(key=lambda f: SEVERITY_RANK[f["severity"]])  # stable: the order found within a severity
    downloads = [
        (label, file_id, files[file_id]["name"])
        for label, file_id in (
            ("评分后的工作簿", f"scored-{n}"),
            ("自评报告（Word）", f"report-{n}"),
            ("项目支出绩效自评表（全国通用表式）", f"national-{n}"),
        )
        if file_id in files
    ]
    if pdf and f"report-{n}" in files:
        downloads.insert(
            2, ("自评报告（PDF）", f"pdf-{n}", files[f"report-{n}"]["name"].removesuffix(".docx") + ".pdf")
        )
    return {
        "shown": result["shown"],
        "sheet": result["sheet"],
        "project": result["project"] or {},
        "scored": result["scored"],
        "unreadable": unreadable,
        "total": result["total"],
        "grade": result["grade"],
        "grade_rank": _grade_rank(result),
        "bars": _bars(result) if result["scored"] else [],
        "findings": [dict(f, label=SEVERITY_LABELS[f["severity"]]) for f in findings],
        "counts": {s: sum(f["severity"] == s for f in findings) for s in SEVERITY_LABELS},
        "downloads": downloads,
        "change": change,
    }


def _bars(result: dict[str, Any]) -> list[dict[str, Any]]:
    """预算执行 and each 一级指标 (in the order first met): its score, its weight, and its bar's geometry."""
    groups = {"预算执行": [result["execution_score"] or 0.0, result["execution_weight"] or 0.0]}
    for ind in result["indicators"]:
        if ind["applicable"] and ind["weight"]:
            group = groups.setdefault(ind["level1"] or "其他指标", [0.0, 0.0])
            group[0] += ind["score"] or 0.0
            group[1] += ind["weight"]
    bars = []
    for i, (label, (score, weight)) in enumerate(groups.items()):
        share = max(0.0, min(1.0, score / weight)) if weight else 0.0
        bars.append(
            {
                "label": label,
                "score": round(score, 2),
                "weight": round(weight, 2),
                "width": round(share * BAR_WIDTH, 1),
                "y": i * BAR_STEP,
                "tone": "good" if share >= 0.9 else "fair" if share >= 0.6 else "poor",
            }
        )
    return bars


def _grade_rank(result: dict[str, Any]) -> int | None:
    """0 for the highest grade of the rules that scored it, 1 for the next…; None when not graded."""
    grades = result["rules"]["grades"]
    return grades.index(result["grade"]) if result["grade"] in grades else None


def batch_rows(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The batch table's rows, in upload order."""
    rows = []
    for n, r in enumerate(results):
        p = r["project"] or {}
        unreadable = next((f["message"] for f in r["findings"] if f["code"] == "UNREADABLE_FILE"), None)
        rows.append(
            {
                "n": n,
                "shown": r["shown"],
                "sheet": r["sheet"],
                "project": p.get("name"),
                "unit": p.get("unit"),
                "department": p.get("department"),
                "total": r["total"],
                "grade": r["grade"],
                "grade_rank": _grade_rank(r),
                "errors": sum(f["severity"] == "error" for f in r["findings"]),
                "warnings": sum(f["severity"] == "warning" for f in r["findings"]),
                "scored": r["scored"],
                "unreadable": unreadable is not None,
                "why": unreadable
                or (
                    None
                    if r["scored"]
                    else "未能评分：缺少评分所需的表、列或金额（详见评分后的工作簿或 check 的问题清单）"
                ),
                "first_error": next((f for f in r["findings"] if f["severity"] == "error"), None),
            }
        )
    return rows


#: The columns the batch table sorts by (?sort=…), each with the value it sorts on.
SORT_KEYS = {
    "shown": lambda r: r["shown"],
    "project": lambda r: r["project"],
    "unit": lambda r: r["unit"],
    "department": lambda r: r["department"],
    "total": lambda r: r["total"],
    "grade": lambda r: r["grade_rank"],
    "errors": lambda r: r["errors"],
    "warnings": lambda r: r["warnings"],
}


def sort_rows(rows: list[dict[str, Any]], key: str, descending: bool) -> list[dict[str, Any]]:
    """The rows by one column (an unknown one: upload order); rows without a value last, either way."""
    value = SORT_KEYS.get(key)
    if value is None:
        return rows
    have = [r for r in rows if value(r) is not None]
    return sorted(have, key=value, reverse=descending) + [r for r in rows if value(r) is None]
