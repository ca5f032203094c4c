"""Shared formulas: when the master cell loses its formula, the next cell takes it over."""

from __future__ import annotations

import re

from lxml import etree

from ...a1 import MAX_COL as _MAX_COL
from ...a1 import MAX_ROW as _MAX_ROW
from ...a1 import column_letters as _col_letters
from ...a1 import column_number as _col_number
from ...a1 import parse as _parse_ref
from .ooxml import _MAIN, _q

# Cell and whole-row/column references outside string literals, quoted names and [structured]
# parts; not followed by "(" (LOG10() is a function) or "!" (A1! would be a sheet name).
_TOKEN_SPLIT = re.compile(r"(\"(?:[^\"]|\"\")*\"|'(?:[^']|'')*'|\[[^\]]*\])")
_CELL_REF = re.compile(r"(?<![A-Za-z0-9_.$])(\$?)([A-Z]{1,3})(\$?)([0-9]+)(?![A-Za-z0-9_(!])")
_COLS_REF = re.compile(r"(?<![A-Za-z0-9_.$])(\$?)([A-Z]{1,3}):(\$?)([A-Z]{1,3})(?![A-Za-z0-9_(!])")
_ROWS_REF = re.compile(r"(?<![A-Za-z0-9_.$:])(\$?)([0-9]+):(\$?)([0-9]+)(?![A-Za-z0-9_(!:])")


def _shift_formula(formula: str, rows: int, cols: int) -> str:
    """A formula as it reads `rows` down and `cols` right: relative references move."""

    def col(absolute: str, letters: str) -> str | None:
        n = _col_number(letters) + (0 if absolute else cols)
        return absolute + _col_letters(n) if 1 <= n <= _MAX_COL else None

    def row(absolute: str, digits: str) -> str | None:
        n = int(digits) + (0 if absolute else rows)
        return f"{absolute}{n}" if 1 <= n <= _MAX_ROW else None

    def cell(m: re.Match) -> str:
        if _col_number(m.group(2)) > _MAX_COL:
            return m.group()
        c, r = col(m.group(1), m.group(2)), row(m.group(3), m.group(4))
        return c + r if c and r else "#REF!"

    def col_range(m: re.Match) -> str:
        a, b = col(m.group(1), m.group(2)), col(m.group(3), m.group(4))
        return f"{a}:{b}" if a and b else "#REF!"

    def row_range(m: re.Match) -> str:
        a, b = row(m.group(1), m.group(2)), row(m.group(3), m.group(4))
        return f"{a}:{b}" if a and b else "#REF!"

    parts = _TOKEN_SPLIT.split(formula)
    for i in range(0, len(parts), 2):
        text = _ROWS_REF.sub(row_range, parts[i])
        text = _COLS_REF.sub(col_range, text)
        parts[i] = _CELL_REF.sub(cell, text)
    return "".join(parts)


def _promote_shared(rows: list[etree._Element], si: str, text: str, origin: tuple[int, int]) -> None:
    """The master of shared formula `si` lost its formula: the first cell of `rows` (in sheet order) still
    sharing it becomes the master, with the formula as it reads there."""
    rest = [c for row in rows for c in row.xpath("m:c[m:f[@t='shared' and @si=$si]]", namespaces={"m": _MAIN}, si=si)]
    if not rest:
        return
    refs = [_parse_ref(c.get("r")) for c in rest]
    top, left = min(r for r, _ in refs), min(c for _, c in refs)
    bottom, right = max(r for r, _ in refs), max(c for _, c in refs)
    f = rest[0].find(_q("f"))
    f.text = _shift_formula(text, refs[0][0] - origin[0], refs[0][1] - origin[1])
    f.set("ref", f"{_col_letters(left)}{top}:{_col_letters(right)}{bottom}")
