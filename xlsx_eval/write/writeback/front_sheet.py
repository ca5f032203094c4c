"""The front sheet as data: cells, merged ranges, links, sizes and one column chart.

The caller lays the sheet out here; ``front_parts`` writes it as SpreadsheetML straight into the
target package, with its cell formats appended to the target's styles.xml.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from ... import a1

_parse_ref = functools.lru_cache(maxsize=4096)(a1.parse)  # a layout names the same cells every time


@dataclass(frozen=True)
class CellFormat:
    """How a cell looks. The font is Calibri (the theme's minor font); colours are RGB hex like "1F4E78"."""

    bold: bool = False
    size: float = 11
    colour: str | None = None  # None: the theme's text colour
    underline: bool = False
    fill: str | None = None  # a solid background
    border: str | None = None  # a thin line all round, in this colour
    horizontal: str | None = None  # "left", "center"...
    vertical: str | None = None  # "center", "top"...
    wrap: bool = False
    number_format: str | None = None  # None: General


@dataclass(frozen=True)
class Series:
    name: str
    values: str  # a range of the front sheet, "B18:B21"
    colour: str


@dataclass(frozen=True)
class ColumnChart:
    """A clustered column chart of ranges of the front sheet, placed over its cells."""

    title: str
    categories: str  # "A18:A21"
    series: tuple[Series, ...]
    anchor: str  # the cell its top-left corner is in
    offset: tuple[int, int] = (0, 0)  # pixels right and down from that cell's corner
    size: tuple[int, int] = (480, 288)  # pixels
    title_size: float = 12
    gap: int = 150  # space between clusters, in percent of a column's width


@dataclass
class _Cell:
    value: float | str | None
    fmt: CellFormat | None
    link: tuple[str, str] | None = None  # (location, tooltip) of an internal hyperlink


_BAD_NAME = re.compile(r"[\[\]:*?/\\]")

#: Excel refuses a cell holding more characters than this (counted as UTF-16 units), and a row taller than
#: this many points.
MAX_CELL_CHARS = 32767
MAX_ROW_POINTS = 409
TRUNCATED = "…（已截断）"


def fit_cell(value: float | str | None) -> float | str | None:
    """A text cut to what a cell can hold, ending in "…（已截断）" when cut; anything else as it is."""
    if not isinstance(value, str) or len(value) <= MAX_CELL_CHARS // 2:
        return value
    units = value.encode("utf-16-le")
    if len(units) // 2 <= MAX_CELL_CHARS:
        return value
    keep = (MAX_CELL_CHARS - len(TRUNCATED)) * 2
    # never half of a surrogate pair: drop a high surrogate left at the end
    head = units[:keep]
    if 0xD8 <= head[-1] <= 0xDB:
        head = head[:-2]
    return head.decode("utf-16-le") + TRUNCATED


@dataclass
class FrontSheet:
    """A worksheet to put first in a workbook: printed landscape on A4, one page wide; no gridlines.

    Text is always written as text (an inline string), never as a formula, and cut to what a cell holds
    (``fit_cell``).
    """

    name: str
    code_name: str | None = None  # the sheet's VBA code name: how a later run can recognise it
    cells: dict[tuple[int, int], _Cell] = field(default_factory=dict)
    merged: list[str] = field(default_factory=list)
    widths: dict[int, float] = field(default_factory=dict)  # column → width in characters
    heights: dict[int, float] = field(default_factory=dict)  # row → height in points
    chart: ColumnChart | None = None

    def __post_init__(self) -> None:
        name = self.name
        if not 0 < len(name) <= 31 or _BAD_NAME.search(name) or name.startswith("'") or name.endswith("'"):
            raise ValueError(f"{name!r} cannot be a sheet name")

    def write(self, ref: str, value: float | str | None, fmt: CellFormat | None = None) -> None:
        """Put a number or a text (None or "": an empty cell that keeps its format) in a cell."""
        if isinstance(value, bool):
            raise TypeError(f"{ref}: write a number or a text, not {value!r}")
        self.cells[_parse_ref(ref)] = _Cell(fit_cell(value), fmt)

    def merge(self, cells: str, value: float | str | None, fmt: CellFormat | None = None) -> None:
        """Merge a range ("B3:D3"), its value in the first cell, every cell formatted (for the borders)."""
        (top, left), (bottom, right) = (_parse_ref(p) for p in cells.split(":"))
        for row in range(top, bottom + 1):
            for col in range(left, right + 1):
                self.cells[(row, col)] = _Cell(None, fmt)
        self.cells[(top, left)] = _Cell(fit_cell(value), fmt)
        self.merged.append(cells)

    def link(self, ref: str, text: str, location: str, fmt: CellFormat | None = None, tip: str | None = None) -> None:
        """A text that jumps to `location` ("'绩效指标'!I5") when clicked."""
        self.cells[_parse_ref(ref)] = _Cell(fit_cell(text), fmt, (location, tip or ""))

    def widen(self, column: str, width: float) -> None:
        """Column width in characters, as Excel's column-width box shows it."""
        self.widths[_parse_ref(column + "1")[1]] = width

    def row_height(self, row: int, points: float) -> None:
        """A row's height in points, at most Excel's 409."""
        self.heights[row] = min(points, MAX_ROW_POINTS)

    def column_pixels(self, col: int) -> int:
        """A column's width on screen, at Calibri 11's 7 pixels a character plus 5 of padding."""
        width = self.widths.get(col)
        if width is None:
            return 64
        return int(width * 12 + 0.5) if width < 1 else int(width * 7 + 0.5) + 5

    def row_pixels(self, row: int) -> int:
        return round(self.heights.get(row, 15) * 4 / 3)

    def value(self, row: int, col: int) -> float | str | None:
        cell = self.cells.get((row, col))
        return None if cell is None else cell.value
