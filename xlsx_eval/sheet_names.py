"""Which sheet of a workbook is which of the template's: the name as the template writes it, or a near miss
that leaves no doubt ("绩效指标表", "项目基本信息", " 支出明细 ", "绩效指标1", "支出明细（2）").

A near miss is a name that, once spaces, a trailing number and a trailing 表 are set aside, is the template's
name or that name with at most two characters put in ("项目基本信息" holds 项目信息 in order). It is taken only
when exactly one sheet is such a near miss and no sheet has the exact name.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from .values import canon

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


def match(wanted: Iterable[str], names: list[str]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """(template name → sheet name, for each found), and (template name → the near misses, for each that more
    than one sheet resembles). The exact name wins (the first of two alike); else a single near miss."""
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
        if len(near) == 1:
            found[w] = near[0]
            taken.add(near[0])
        elif near:
            unsure[w] = near
    return found, unsure
