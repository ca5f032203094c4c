"""A1 cell references: "B21" is row 21, column 2. Small enough to own, and openpyxl's versions would cost
every run openpyxl's whole import (about 150 ms)."""

from __future__ import annotations

import re

MAX_ROW, MAX_COL = 1_048_576, 16_384
_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?([1-9][0-9]{0,6})")


def column_number(letters: str) -> int:
    """ "A" → 1, "Z" → 26, "AA" → 27."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def column_letters(n: int) -> str:
    """1 → "A", 27 → "AA"."""
    letters = ""
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def cell(row: int, col: int) -> str:
    """(21, 2) → "B21"."""
    return f"{column_letters(col)}{row}"


def parse(ref: str) -> tuple[int, int]:
    """ "B21" (or "$B$21") → (21, 2); ValueError for anything that is not a cell of a sheet."""
    m = _REF.fullmatch(ref.strip())
    if m:
        row, col = int(m.group(2)), column_number(m.group(1).upper())
        if row <= MAX_ROW and col <= MAX_COL:
            return row, col
    raise ValueError(f"{ref!r} is not a cell reference like 'I5'")
