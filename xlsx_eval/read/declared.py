"""Read the 项目支出绩效目标申报表 of a workbook (review.md): one project a sheet, many sheets a workbook, every part
found by its label (``layouts.declared``) as on the self-evaluation forms.

A sheet holds a declaration when it has no 实际完成值 (that is a self-evaluation) and either a title that ends in
绩效目标申报表 or a 项目名称 and an indicator table with 三级指标 and 目标值. What a declaration lacks is its ``problem``: it is
listed, never matched by guesswork.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..errors import UnreadableWorkbook
from ..layouts import lookup
from ..layouts.declared import GOALS, INDICATOR_COLUMNS, PROJECT_LABELS, TITLE
from ..layouts.national import INDICATOR_COLUMNS as SELF_EVALUATION_COLUMNS
from ..layouts.national import bracket_unit, national_key
from ..model import Declaration, DeclaredIndicator
from ..values import MONEY_UNITS, canon, text
from .grid import Grid, amount, display_text, find_header, load_grids, ref
from .national import label_index, right_of, without_code
from .sniff import sniff

PROJECT = lookup(PROJECT_LABELS, national_key)
GOAL_LABELS = lookup(GOALS, national_key)
HEADERS = lookup(INDICATOR_COLUMNS, national_key)
LABELS = {*PROJECT, *GOAL_LABELS, *HEADERS}
#: A row below the indicator table that starts another block of the form.
BLOCK_LABELS = {*PROJECT, *GOAL_LABELS}
#: The self-evaluation's own column: a sheet with it is a 自评表, not a declaration.
ACTUAL = {k for label in SELF_EVALUATION_COLUMNS if label.field == "actual" for k in label.keys(national_key)}
#: A row the form prints for the unit to fill (指标1：, ……) or fills to have something there (/, 无).
_FILLER = re.compile(r"^(指标\d*[:：]?|[…。.·、/\\\-—_]+|无)$")


def read_declarations(path: Path) -> list[Declaration]:
    """Every declaration in the workbook at ``path``, in sheet order (none: it holds no 绩效目标申报表). Raises
    UnreadableWorkbook only when it is not a readable workbook."""
    path = Path(path)
    if not path.is_file():
        raise UnreadableWorkbook(f"找不到文件 {path}")
    sniffed = sniff(path, _every_sheet)
    _, grids = load_grids(path, sniffed, _every_sheet, [])
    found = []
    for grid in grids.values():
        index = label_index(grid)
        if holds_declaration(grid, index):
            found.append(_read(path, grid, index))
    return found


def holds_declaration(grid: Grid, index: dict[str, list[tuple[int, int]]]) -> bool:
    """Whether a sheet (its ``label_index``) holds a 绩效目标申报表: never one with a 实际完成值 column (a
    self-evaluation, which may well mention the 申报表 in a note)."""
    if ACTUAL & set(index):
        return False
    if _has_title(grid):
        return True
    fields = {HEADERS[k].field for k in index if k in HEADERS}
    named = any(PROJECT[k].field == "name" for k in index if k in PROJECT)
    return named and {"name", "target"} <= fields


def _every_sheet(names: list[str]) -> tuple[set[str], set[str]]:
    return set(names), set(names)


def _has_title(grid: Grid) -> bool:
    return any(
        v.__class__ is str and len(v) <= 60 and TITLE.search(national_key(v)) for row in grid.rows[:6] for v in row
    )


def _read(path: Path, grid: Grid, index: dict[str, list[tuple[int, int]]]) -> Declaration:
    values: dict[str, Any] = {}
    cells: dict[str, str] = {}
    for key, label in PROJECT.items():
        if key in index and label.field not in cells:
            r, c = index[key][0]
            value, col = right_of(grid, r, c, LABELS)
            cells[label.field] = ref(r, col)
            if label.kind == "amount":
                unit = bracket_unit(grid.rows[r][c]) or "万元"
                number = amount(value, unit)
                values[label.field] = (
                    float(number * MONEY_UNITS[unit] / MONEY_UNITS["万元"]) if number is not None else None
                )
            else:
                shown = text(value)
                values[label.field] = without_code(shown) if shown and label.field in ("unit", "department") else shown
    for key, label in GOAL_LABELS.items():
        if key in index and label.field not in cells:
            r, c = index[key][0]
            value, col = right_of(grid, r, c, LABELS)
            if value is None and r + 1 < len(grid.rows):
                below = grid.value(r + 1, c)
                value, col = (None if below.__class__ is str and national_key(below) in LABELS else below), c
                r += 1
            cells[label.field] = ref(r, col)
            values[label.field] = text(value)
    indicators: list[DeclaredIndicator] = []
    problem = None
    header = find_header(grid, INDICATOR_COLUMNS, [], rows=range(len(grid.rows)), key=national_key)
    if header is None:
        problem = "没有找到绩效指标表（表头应有“三级指标”和“目标值”）"
    else:
        indicators = _indicators(grid, header)
        if not indicators:
            problem = f"绩效指标表（表头在第{header[0] + 1}行）中没有填写任何指标"
    if not values.get("name"):
        problem = f"没有填写项目名称（{cells['name']}）" if "name" in cells else "没有“项目名称”一栏"
    return Declaration(
        file=path,
        sheet=grid.name,
        name=values.get("name"),
        code=values.get("code"),
        unit=values.get("unit"),
        department=values.get("department"),
        total_amount=values.get("total_amount"),
        year_amount=values.get("year_amount"),
        goals=values.get("goals"),
        long_goals=values.get("long_goals"),
        indicators=indicators,
        cells=cells,
        problem=problem,
    )


def _indicators(grid: Grid, header: tuple[int, dict[str, int]]) -> list[DeclaredIndicator]:
    """The rows under the header that name a 三级指标, 一级 and 二级 carried down over their merged cells."""
    header_row, columns = header
    groups: dict[str, str | None] = {"level1": None, "level2": None}
    found = []
    for r in range(header_row + 1, len(grid.rows)):
        shown = {f: display_text(grid.value(r, c), (r, c) in grid.percent) for f, c in columns.items()}
        first = text(grid.value(r, 0))
        if first is not None and national_key(first) in BLOCK_LABELS:
            break  # another block of the form below the table
        if shown.get("level1") and shown["level1"] != groups["level1"]:
            groups = {"level1": shown["level1"], "level2": None}
        if shown.get("level2"):
            groups["level2"] = shown["level2"]
        name = shown.get("name")
        if not name or _FILLER.match(canon(name)) or national_key(name) in HEADERS:
            continue  # a filler row, or the header repeated on the next page
        found.append(
            DeclaredIndicator(
                groups["level1"], groups["level2"], name, shown.get("target"), shown.get("explanation"),
                ref(r, columns["target"]),
            )
        )  # fmt: skip
    return found
