"""The bureau's review of an intake (review.md): every form's risk and reasons, the 抽评 sample, the statistics by
主管部门. Built from the JSON results (output.md), as summary.xlsx is; the statistics are a pandas job.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..score.rules import Rules

#: A finding's weight in a form's risk when it is not one of the review's checks (those have their own setting).
SEVERITY_WEIGHTS = {"error": Decimal(3), "warning": Decimal(1), "info": Decimal(0)}
#: The execution-rate buckets of the budget platform's dashboard: (label, lowest %, below %).
RATE_BUCKETS = (
    ("<30%", -math.inf, 30),
    ("30–60%", 30, 60),
    ("60–80%", 60, 80),
    ("80–100%", 80, 100),
    ("100%", 100, math.inf),
)
NO_DEPARTMENT = "（未填写主管部门）"


@dataclass
class Reason:
    severity: str  # error, warning, info
    code: str
    message: str
    sheet: str
    cell: str
    weight: float


@dataclass
class ReviewRow:
    """One form of the 复核清单."""

    file: str
    output: str | None  # the scored copy, where its reasons are marked
    sheet: str | None  # the national form's sheet
    unit: str | None
    department: str
    project: str | None
    claimed_total: float | None  # the total the unit wrote on its form
    total: float | None
    execution_rate: float | None
    grade: str | None
    risk: float
    reasons: list[Reason] = field(default_factory=list)
    why_sampled: str | None = None  # set on the 抽评名单's rows


@dataclass
class Review:
    rows: list[ReviewRow]  # highest risk first
    sample: list[ReviewRow]  # the 抽评名单, in the order picked
    departments: list[dict[str, Any]]  # 分部门统计, one per 主管部门
    seed: int

    def to_dict(self) -> dict[str, Any]:
        def row(r: ReviewRow) -> dict[str, Any]:
            d = {k: v for k, v in vars(r).items() if k != "reasons"}
            d["reasons"] = [vars(x) for x in r.reasons]
            return d

        return {
            "review": [row(r) for r in self.rows],
            "sample": [row(r) for r in self.sample],
            "departments": self.departments,
            "seed": self.seed,
        }


def build_review(results: list[dict[str, Any]], rules: Rules, sample: str | None, seed: int) -> Review:
    """The review of these results (one JSON result per form); ``sample``: "N" forms or "P%" of the scored ones."""
    rows = sorted(
        (_row(r, rules) for r in results), key=lambda x: (-x.risk, x.department, x.unit or "", x.project or "", x.file)
    )
    return Review(rows, _sample(rows, sample, seed), departments(rows, rules.grades[0][1]), seed)


def sample_size(spec: str, scored: int) -> int:
    """'12' → 12; '10%' → 10% of the scored forms, rounded up; raises ValueError (a Chinese line) otherwise."""
    text = spec.strip().replace("％", "%")
    try:
        if text.endswith("%"):
            share = Decimal(text[:-1])
            if not 0 < share <= 100:
                raise ValueError
            return min(scored, math.ceil(share * scored / 100))
        count = int(text)
        if count < 1:
            raise ValueError
        return min(scored, count)
    except (ValueError, ArithmeticError):
        raise ValueError(f"抽评数量“{spec}”无法识别；请写份数（如 12）或百分比（如 10%）") from None


def _row(r: dict[str, Any], rules: Rules) -> ReviewRow:
    project = r.get("project") or {}
    checks = dict(rules.review)
    reasons = []
    for f in r["findings"]:
        weight = checks[f["code"]].weight if f["code"] in checks else SEVERITY_WEIGHTS.get(f["severity"], Decimal(0))
        reasons.append(Reason(f["severity"], f["code"], f["message"], f["sheet"], f["cell"], float(weight)))
    reasons.sort(key=lambda x: -x.weight)  # the weightiest first; as found among equals
    return ReviewRow(
        file=r["file"],
        output=r.get("output"),
        sheet=r.get("sheet"),
        unit=project.get("unit"),
        department=project.get("department") or NO_DEPARTMENT,
        project=project.get("name"),
        claimed_total=r.get("claimed_total"),
        total=r.get("total"),
        execution_rate=(r.get("funds") or {}).get("execution_rate"),
        grade=r.get("grade"),
        risk=float(sum((Decimal(str(x.weight)) for x in reasons), Decimal(0))),
        reasons=reasons,
    )


def _sample(rows: list[ReviewRow], spec: str | None, seed: int) -> list[ReviewRow]:
    """Half the sample (rounded up) the highest-risk scored forms; the rest a seeded draw from the others, spread
    over 主管部门 in proportion to how many forms each has (largest remainders)."""
    scored = [r for r in rows if r.total is not None]  # an unread form cannot be re-evaluated from its file
    if not spec or not scored:
        return []
    n = sample_size(spec, len(scored))
    top = [r for r in scored if r.risk > 0][: math.ceil(n / 2)]
    picked = []
    for rank, r in enumerate(top, start=1):
        top_reasons = "、".join(dict.fromkeys(x.code for x in r.reasons if x.weight > 0))
        picked.append(_picked(r, f"风险分第 {rank} 高（{r.risk:g} 分：{top_reasons}）"))
    rest = [r for r in scored if r not in top]
    by_department: dict[str, list[ReviewRow]] = {}
    for r in sorted(rest, key=lambda x: (x.department, x.file, x.sheet or "")):
        by_department.setdefault(r.department, []).append(r)
    draw = random.Random(seed)
    for department, count in _allocate({d: len(v) for d, v in by_department.items()}, n - len(top)).items():
        chosen = draw.sample(by_department[department], count)
        total = len(by_department[department])
        for r in chosen:
            picked.append(
                _picked(r, f"按主管部门分层随机抽取（{department}：其余 {total} 份中抽 {count} 份，随机种子 {seed}）")
            )
    return picked


def _allocate(sizes: dict[str, int], n: int) -> dict[str, int]:
    """``n`` split over the groups in proportion to their sizes: whole parts first, then the largest remainders
    (ties by name), never more than a group holds."""
    total = sum(sizes.values())
    if n <= 0 or total == 0:
        return {}
    n = min(n, total)
    exact = {g: Decimal(size) * n / total for g, size in sizes.items()}
    shares = {g: int(e) for g, e in exact.items()}
    left = n - sum(shares.values())
    for g in sorted(sizes, key=lambda g: (-(exact[g] - shares[g]), g))[:left]:
        shares[g] += 1
    return {g: s for g, s in shares.items() if s}


def _picked(r: ReviewRow, why: str) -> ReviewRow:
    copy = ReviewRow(**{k: v for k, v in vars(r).items()})
    copy.why_sampled = why
    return copy


def departments(rows: list[ReviewRow], best: str) -> list[dict[str, Any]]:
    """分部门统计: per 主管部门 (most forms first), forms, mean total (ours and claimed), share of ``best`` (the top
    grade: 优秀), mean execution rate and the forms in each rate bucket."""
    import pandas as pd

    scored = [r for r in rows if r.total is not None]
    if not scored:
        return []
    frame = pd.DataFrame(
        {
            "department": [r.department for r in scored],
            "total": [r.total for r in scored],
            "claimed": [r.claimed_total for r in scored],
            "best": [r.grade == best for r in scored],
            "rate": [r.execution_rate for r in scored],
        }
    )
    frame["bucket"] = pd.cut(
        frame["rate"],
        bins=[b[1] for b in RATE_BUCKETS] + [math.inf],
        labels=[b[0] for b in RATE_BUCKETS],
        right=False,
    )
    grouped = frame.groupby("department", sort=False)
    stats = grouped.agg(
        forms=("total", "size"),
        mean_total=("total", "mean"),
        mean_claimed=("claimed", "mean"),
        best_share=("best", "mean"),
        mean_rate=("rate", "mean"),
    )
    buckets = frame.groupby(["department", "bucket"], observed=False, sort=False).size().unstack(fill_value=0)
    out = []
    for department in stats.sort_values("forms", ascending=False, kind="stable").index:
        s = stats.loc[department]
        out.append(
            {
                "department": department,
                "forms": int(s["forms"]),
                "mean_total": _round(s["mean_total"]),
                "mean_claimed_total": _round(s["mean_claimed"]),
                "best_grade": best,
                "best_share": _round(s["best_share"]),
                "mean_execution_rate": _round(s["mean_rate"]),
                "rate_buckets": {label: int(buckets.loc[department, label]) for label, _, _ in RATE_BUCKETS},
            }
        )
    return out


def _round(value: float) -> float | None:
    return None if value is None or value != value else round(float(value), 4)  # NaN: no value in the group
