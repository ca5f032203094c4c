"""Which sheet of a workbook is which of the template's: the name as the template writes it, or a near miss
that leaves no doubt ("绩效指标表", "项目基本信息", " 支出明细 ", "绩效指标1", "支出明细（2）").

A near miss is a name that, once spaces, a trailing number and a trailing 表 are set aside, is the template's
name or that name with at most two characters put in ("项目基本信息" holds 项目信息 in order). It is taken only
when exactly one sheet is such a near miss and no sheet has the exact name.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable

from ..values import canon

_TRAILING_NUMBER = re.compile(r"(?:\(\d+\)|\d+)$")
MAX_INSERTED = 2


@functools.lru_cache(maxsize=1024)
def key(name: str) -> str:
    """A sheet name as compared: folded (full-width, spaces), without a trailing (2) or 1, or a trailing 表."""
    k = canon(name)
    k = _TRAILING_NUMBER.sub("", k)
    return k.removesuffix("表") or k


def resembles(wanted: str, name: str) -> bool:
    """Whether ``name`` is ``wanted`` or a near miss of it."""
    w, n = key(wanted), key(name)
    if n == w:
        return True
    if not 0 < len(n) - len(w) <= MAX_INSERTED:
        return False
    chars = iter(n)
    return all(ch in chars for ch in w)  # w's characters, in order, within n


def resembles_any(wanted: Iterable[str], name: str) -> bool:
    return any(resembles(w, name) for w in wanted)


def match(
    wanted: Iterable[str], names: list[str], fits: Callable[[str, str], bool] = lambda w, n: True
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """(template name → sheet name, for each found), and (template name → the near misses, for each that more
    than one sheet resembles). The exact name wins (the first of two alike). Else a near miss: one that differs
    only by spaces, a trailing number or 表 is taken as it is; one with characters put in ("支出明细汇总") only
    when ``fits(template name, sheet name)`` says it holds what ours holds. Two alike are told apart by
    ``fits``, or not at all."""
    wanted = list(wanted)
    found: dict[str, str] = {}
    unsure: dict[str, list[str]] = {}
    for w in wanted:
        exact = [n for n in names if n.strip() == w]
        if exact:
            found[w] = exact[0]
    taken = set(found.values())
    for w in wanted:
        if w in found:
            continue
        near = [n for n in names if n not in taken and resembles(w, n)]
        close = [n for n in near if key(n) == key(w)]
        pool = close or [n for n in near if fits(w, n)]
        if len(pool) > 1:
            pool = [n for n in pool if fits(w, n)] if len([n for n in pool if fits(w, n)]) == 1 else pool
        if len(pool) == 1:
            found[w] = pool[0]
            taken.add(pool[0])
        elif pool:
            unsure[w] = pool
    return found, unsure


def candidates(wanted: Iterable[str], names: list[str]) -> set[str]:
    """The sheets a reader may take for the template's (to measure and read): each exact name, and where there
    is none, every near miss."""
    wanted = list(wanted)
    exact = {w for w in wanted if any(n.strip() == w for n in names)}
    return {n for n in names if n.strip() in exact or any(w not in exact and resembles(w, n) for w in wanted)}
