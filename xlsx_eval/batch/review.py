"""The bureau's review of an intake (review.md): every form's risk and reasons, the 抽评 sample, the statistics by
主管部门. Built from the JSON results (output.md), as summary.xlsx is; the statistics are a pandas job.
"""

from __future__ import annotations

import dataclasses
import math
import random
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..score.declared import Declared
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
NO_DECLARATION = "没有项目编码相同、或申请单位和项目名称都相同的绩效目标申报表"
NO_SELF_EVALUATION = "没有项目编码相同、或申请单位和项目名称都相同的自评表"
UNREAD = "（文件无法读取）"  # what a file that could not be read counts under: its department is unknown


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
class Matching:
    """申报表对照: each form and the 绩效目标申报表 it was compared with (or why none), and the declarations no form
    matched, each with why. Every entry: file, sheet, unit, project, code; a form's: declaration ("文件!工作表",
    None: none matched), matched_by ("code", "name"), why (when none matched)."""

    forms: list[dict[str, Any]]
    unmatched: list[dict[str, Any]]


@dataclass
class Review:
    rows: list[ReviewRow]  # highest risk first
    sample: list[ReviewRow]  # the 抽评名单, in the order picked
    departments: list[dict[str, Any]]  # 分部门统计, one per 主管部门
    seed: int
    sample_asked: str | None = None  # --sample as given (None: no sample asked for)
    declared: Matching | None = None  # None: no declarations were given

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
            "sample_asked": self.sample_asked,
            "declared": vars(self.declared) if self.declared else None,
        }


def build_review(
    results: list[dict[str, Any]],
    rules: Rules,
    sample: str | None,
    seed: int,
    declared: Declared | None = None,
    unread: list[tuple[Path, str]] | None = None,
) -> Review:
    """The review of these results (one JSON result per form); ``sample``: "N" forms or "P%" of the scored ones;
    ``declared``: the declarations they were compared with, and ``unread`` the --declared files that gave none."""
    rows = sorted(
        (_row(r, rules) for r in results), key=lambda x: (-x.risk, x.department, x.unit or "", x.project or "", x.file)
    )
    matching = _matching(results, declared, unread or []) if declared is not None else None
    return Review(rows, _sample(rows, sample, seed), departments(rows, rules.grades[0][1]), seed, sample, matching)


def _matching(results: list[dict[str, Any]], declared: Declared, unread: list[tuple[Path, str]]) -> Matching:
    forms = []
    for r in results:
        project = r.get("project")
        if not project:
            continue  # an unreadable file: it is on the 复核清单 as such
        d = r.get("declaration")
        forms.append(
            {
                "file": r["file"],
                "sheet": r.get("sheet"),
                "unit": project.get("unit"),
                "project": project.get("name"),
                "code": project.get("code"),
                "declaration": f"{Path(d['file']).name}!{d['sheet']}" if d else None,
                "matched_by": d["matched_by"] if d else None,
                "why": None if d else NO_DECLARATION,
            }
        )
    used = {(d["file"], d["sheet"]) for r in results if (d := r.get("declaration"))}
    unmatched = [
        {
            "file": str(d.file),
            "sheet": d.sheet,
            "unit": d.unit,
            "project": d.name,
            "code": d.code,
            "why": d.problem or declared.ambiguous.get((str(d.file), d.sheet)) or NO_SELF_EVALUATION,
        }
        for d in declared.declarations
        if (str(d.file), d.sheet) not in used
    ]
    unmatched += [
        {"file": str(path), "sheet": None, "unit": None, "project": None, "code": None, "why": why}
        for path, why in unread
    ]
    return Matching(forms, unmatched)


def sample_size(spec: str, scored: int) -> int:
    """'12' → 12; '10%' → 10% of the scored forms, rounded up (never more than there are); raises ValueError (a
    Chinese line) otherwise."""
    text = spec.strip().replace("％", "%")
    try:
        share = Decimal(text[:-1]) if text.endswith("%") else None
        count = int(text) if share is None else 0
    except (ValueError, ArithmeticError):
        raise ValueError(f"抽评数量“{spec}”无法识别；请写份数（如 12）或百分比（如 10%）") from None
    if share is not None:
        if not (share.is_finite() and 0 < share <= 100):
            raise ValueError(f"抽评比例“{spec}”应大于 0%、不超过 100%")
        return min(scored, math.ceil(share * scored / 100))
    if count < 1:
        raise ValueError(f"抽评数量“{spec}”应至少为 1 份")
    return min(scored, count)


def _row(r: dict[str, Any], rules: Rules) -> ReviewRow:
    project = r.get("project") or {}
    checks = dict(rules.review)
    weights = [
        checks[f["code"]].weight if f["code"] in checks else SEVERITY_WEIGHTS.get(f["severity"], Decimal(0))
        for f in r["findings"]
    ]
    reasons = [
        Reason(f["severity"], f["code"], f["message"], f["sheet"], f["cell"], float(w))
        for f, w in zip(r["findings"], weights, strict=True)
    ]
    reasons.sort(key=lambda x: -x.weight)  # the weightiest first; as found among equals
    return ReviewRow(
        file=r["file"],
        output=r.get("output"),
        sheet=r.get("sheet"),
        unit=project.get("unit"),
        department=project.get("department") or (NO_DEPARTMENT if r.get("project") else UNREAD),
        project=project.get("name"),
        claimed_total=r.get("claimed_total"),
        total=r.get("total"),
        execution_rate=(r.get("funds") or {}).get("execution_rate"),
        grade=r.get("grade"),
        risk=float(sum(weights, Decimal(0))),
        reasons=reasons,
    )


def _sample(rows: list[ReviewRow], spec: str | None, seed: int) -> list[ReviewRow]:
    """Half the sample (rounded up) the highest-risk scored forms; the rest a seeded draw from the others, placed so
    that the whole sample keeps, as near as it can, the 主管部门' shares of the scored forms (largest remainders)."""
    scored = [r for r in rows if r.total is not None]  # an unread form cannot be re-evaluated from its file
    if not spec or not scored:
        return []
    n = sample_size(spec, len(scored))
    top = [r for r in scored if r.risk > 0][: math.ceil(n / 2)]
    picked = []
    for rank, r in enumerate(top, start=1):
        top_reasons = "、".join(dict.fromkeys(x.code for x in r.reasons if x.weight > 0))
        picked.append(_picked(r, f"风险分最高的 {len(top)} 份之一（第 {rank} 位，{r.risk:g} 分：{top_reasons}）"))
    sizes = Counter(r.department for r in scored)
    taken = Counter(r.department for r in top)
    left: dict[str, list[ReviewRow]] = {}
    for r in sorted((r for r in scored if r not in top), key=lambda x: (x.department, x.file, x.sheet or "")):
        left.setdefault(r.department, []).append(r)
    # what each department still lacks of its share of n, once the riskiest are in
    lacking = {d: max(Decimal(0), Decimal(sizes[d]) * n / len(scored) - taken[d]) for d in left}
    draw = random.Random(seed)
    for department, count in _allocate(lacking, {d: len(v) for d, v in left.items()}, n - len(top)).items():
        for r in draw.sample(left[department], count):
            why = f"按主管部门分层随机抽取（{department}：共 {sizes[department]} 份，其余 {len(left[department])} 份中抽 {count} 份，随机种子 {seed}）"
            picked.append(_picked(r, why))
    return picked


def _allocate(weights: dict[str, Decimal], room: dict[str, int], n: int) -> dict[str, int]:
    """``n`` split over the groups in proportion to their weights, none given more than its room: whole parts first,
    then the largest remainders (ties by name); what a full group cannot take goes to the others the same way."""
    shares = dict.fromkeys(weights, 0)
    n = min(n, sum(room.values()))
    while n > 0:
        open_ = {g: w for g, w in weights.items() if shares[g] < room[g]}
        total = sum(open_.values())
        exact = {g: (w * n / total if total else Decimal(n) / len(open_)) for g, w in open_.items()}
        whole = {g: min(int(e), room[g] - shares[g]) for g, e in exact.items()}
        given = sum(whole.values())
        order = sorted(open_, key=lambda g: (-(exact[g] - int(exact[g])), g))
        for g in order:
            if given >= n:
                break
            if shares[g] + whole[g] < room[g]:
                whole[g] += 1
                given += 1
        for g, k in whole.items():
            shares[g] += k
        n -= given
    return {g: k for g, k in shares.items() if k}


def _picked(r: ReviewRow, why: str) -> ReviewRow:
    return dataclasses.replace(r, why_sampled=why)


def departments(rows: list[ReviewRow], best: str) -> list[dict[str, Any]]:
    """分部门统计: per 主管部门 (most forms first), forms (all, and those scored), mean total (ours and claimed) and
    share of ``best`` (the top grade: 优秀) over the scored ones, mean execution rate and the forms in each rate
    bucket."""
    import pandas as pd

    if not rows:
        return []
    frame = pd.DataFrame(
        {
            "department": [r.department for r in rows],
            "scored": [r.total is not None for r in rows],
            "total": pd.Series([r.total for r in rows], dtype="float64"),
            "claimed": pd.Series([r.claimed_total for r in rows], dtype="float64"),
            "best": pd.Series([float(r.grade == best) if r.total is not None else None for r in rows], dtype="float64"),
            "rate": pd.Series([r.execution_rate for r in rows], dtype="float64"),
        }
    )
    frame["bucket"] = pd.cut(
        frame["rate"],
        bins=[b[1] for b in RATE_BUCKETS] + [math.inf],
        labels=[b[0] for b in RATE_BUCKETS],
        right=False,
    )
    stats = frame.groupby("department", sort=False).agg(
        forms=("department", "size"),
        scored=("scored", "sum"),
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
                "scored": int(s["scored"]),
                "mean_total": _round(s["mean_total"]),
                "mean_claimed_total": _round(s["mean_claimed"]),
                "best_grade": best,
                "best_share": _round(s["best_share"]),
                "mean_execution_rate": _round(s["mean_rate"]),
                "rate_buckets": {
                    label: int(buckets.loc[department, label]) if department in buckets.index else 0
                    for label, _, _ in RATE_BUCKETS
                },
            }
        )
    return out


def _round(value: float) -> float | None:
    return None if value is None or value != value else round(float(value), 4)  # NaN: no value in the group
