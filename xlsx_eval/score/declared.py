"""The self-evaluation against what was declared before the year (review.md, "Declared targets").

A form is matched to its 绩效目标申报表 by 项目编码 where both have one, else by unit and project name; its
indicators to the declared ones by 三级指标 name. Names are compared normalised (full-width folded, no spaces or
punctuation, case folded). A key two declarations share matches neither: they are listed as ambiguous, not
guessed between. TARGET_CHANGED, INDICATOR_DROPPED and INDICATOR_ADDED stand on the self-evaluation's cells and
name the declared value and where it came from.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, field

from ..findings import Finding, finding
from ..model import Declaration, DeclaredIndicator, Form, Indicator, Project, Result
from ..values import canon, parse_target, quoted
from .rules import Rules
from .scoring import NATURES, QUALITATIVE


def match_key(s: str | None) -> str:
    """A name as matched: folded like any label, case folded, without spaces, punctuation or symbols."""
    t = canon(s or "").casefold()
    return "".join(ch for ch in t if unicodedata.category(ch)[0] not in "PSZ")


@dataclass
class Declared:
    """An intake's declarations, indexed for matching; ``ambiguous``: those that share a key with another one."""

    declarations: list[Declaration]
    by_code: dict[str, Declaration] = field(default_factory=dict)
    by_name: dict[tuple[str, str], Declaration] = field(default_factory=dict)
    ambiguous: dict[tuple[str, str], str] = field(default_factory=dict)  # (file, sheet) → why

    @classmethod
    def index(cls, declarations: list[Declaration]) -> Declared:
        found = cls(declarations)
        codes: dict[str, list[Declaration]] = {}
        names: dict[tuple[str, str], list[Declaration]] = {}
        for d in declarations:
            if d.problem is None:
                if match_key(d.code):  # a dash or a slash is no code
                    codes.setdefault(match_key(d.code), []).append(d)
                if match_key(d.unit) and match_key(d.name):
                    names.setdefault((match_key(d.unit), match_key(d.name)), []).append(d)
        for key, same in codes.items():
            if len(same) == 1:
                found.by_code[key] = same[0]
            else:
                found._ambiguous(same, f"与另外 {len(same) - 1} 份申报表的项目编码相同")
        for pair, same in names.items():
            if len(same) == 1:
                found.by_name[pair] = same[0]
            elif not all(match_key(d.code) for d in same):  # only codes tell them apart: one without is ambiguous
                none = "又都没有项目编码" if not any(match_key(d.code) for d in same) else "又不是每份都有项目编码"
                found._ambiguous(same, f"与另外 {len(same) - 1} 份申报表的申请单位和项目名称相同，{none}")
        return found

    def _ambiguous(self, same: list[Declaration], why: str) -> None:
        for d in same:
            self.ambiguous[(str(d.file), d.sheet)] = why

    def find(self, project: Project) -> tuple[Declaration, str] | None:
        """The declaration of a self-evaluation's project and how it was matched ("code" or "name"); None when none
        matches."""
        code = match_key(project.code)
        if code and (d := self.by_code.get(code)) is not None:
            return d, "code"
        d = self.by_name.get((match_key(project.unit), match_key(project.name)))
        if d is not None and not (match_key(d.code) and code):  # two codes that differ: two projects
            return d, "name"
        return None

    def digest(self) -> str:
        """What a result depends on of these declarations (a convert's settings key)."""
        h = hashlib.sha256()
        for d in self.declarations:
            h.update(repr((str(d.file), d.sheet, d.name, d.code, d.unit, d.problem)).encode())
            for i in d.indicators:
                h.update(repr((i.name, i.target, i.cell)).encode())
        return h.hexdigest()[:16]


def compare(wb: Form, result: Result, declaration: Declaration, rules: Rules) -> list[Finding]:
    """TARGET_CHANGED, INDICATOR_DROPPED and INDICATOR_ADDED of a form against its declaration (each when switched
    on in the rules)."""
    declared: dict[str, list[DeclaredIndicator]] = {}  # a name declared twice (满意度 under two 二级) pairs in order
    for d in declaration.indicators:
        declared.setdefault(match_key(d.name), []).append(d)
    sheet = result.indicator_sheet
    source = f"{declaration.file.name}!{declaration.sheet}"
    found = []
    for ind in wb.indicators:
        if not ind.name:
            continue
        same = declared.get(match_key(ind.name))
        was = same.pop(0) if same else None
        if was is None:
            if rules.check("INDICATOR_ADDED"):
                found.append(
                    finding(
                        "INDICATOR_ADDED",
                        sheet,
                        ind.cells.get("name", ""),
                        f"三级指标“{quoted(ind.name)}”不在绩效目标申报表（{source}）中，是申报之后增加的；"
                        "请核实是否经批准调整，自评应按申报的指标评价",
                    )
                )
        elif rules.check("TARGET_CHANGED") and was.target and ind.target and not same_target(was.target, ind):
            found.append(
                finding(
                    "TARGET_CHANGED",
                    sheet,
                    ind.cells.get("target", ""),
                    f"“{quoted(ind.name)}”的指标值“{quoted(ind.target)}”与绩效目标申报表申报的“{quoted(was.target)}”"
                    f"（{declaration.where(was.cell)}）不同；请按申报的指标值自评，调整过的请附批准调整的依据",
                )
            )
    if rules.check("INDICATOR_DROPPED"):
        for d in (d for left in declared.values() for d in left):  # what no indicator of the form took
            target = f"，目标值“{quoted(d.target)}”" if d.target else ""
            found.append(
                finding(
                    "INDICATOR_DROPPED",
                    sheet,
                    wb.indicator_header.get("name", ""),
                    f"绩效目标申报表申报的三级指标“{quoted(d.name)}”（{declaration.where(d.cell)}{target}）"
                    "在自评表中没有；请补上该指标，填写实际完成值并评分",
                )
            )
    return found


def same_target(declared: str, ind: Indicator) -> bool:
    """Whether a self-evaluation's target says what was declared: the same text, or the same comparison and number
    (a sign or unit the form writes in its 指标性质 or 计量单位 column counts as written in the target)."""
    if canon(declared) == canon(ind.target or ""):
        return True
    was, now = parse_target(declared), parse_target(ind.target or "")
    if was is None or now is None or was.quantity.value != now.quantity.value:
        return False
    now_unit = now.quantity.unit or canon(ind.unit or "")
    sign = NATURES.get(canon(ind.nature or ""))
    was_op, now_op = was.op, now.op or (sign if sign != QUALITATIVE else None)
    return (was.quantity.unit or now_unit) == now_unit and (was_op is None or now_op is None or was_op == now_op)
