"""A sheet's cells as the readers see them, and what every layout's reader does with them: load the sheets a
layout needs, find a header row or a label by name, and read a cell as text, number or amount.

Values come from python-calamine (fast, one engine for .xlsx, .xlsm, .xls and .ods); what calamine cannot tell (which cells show a percentage, which hold formulas without a
saved value or show an error) comes from ``sniff``'s look at the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from .. import a1
from ..errors import UnreadableWorkbook
from ..findings import Finding, finding
from ..layouts import Label, lookup
from ..values import MONEY_UNITS, label_key, parse_number, parse_quantity, plain, quoted, text, to_decimal
from .sniff import Sniffed

TOTAL_WORDS = {"合计", "总计", "小计", "总分"}
NOT_APPLICABLE = "不适用"  # what the scored copy writes in 自评得分 for an indicator left out


def ref(row: int, col: int) -> str:
    """A1 reference of a 0-based (row, col)."""
    return a1.cell(row + 1, col + 1)


def position(cell: str) -> tuple[int, int]:
    """ "B21" → 0-based (20, 1)."""
    row, col = a1.parse(cell)
    return row - 1, col - 1


@dataclass
class Grid:
    """One sheet's values, row 0 = Excel row 1, with the sheet's name as written in the file.

    ``suspect`` cells (a formula with no trustworthy saved value, or an error such as #DIV/0!) read as
    blank; the ones the reader actually used are reported by ``suspect_findings``. ``percent`` cells are
    numbers shown as percentages (0.94 shown as 94%).
    """

    name: str
    rows: list[list[Any]]
    suspect: dict[tuple[int, int], str] = field(default_factory=dict)
    used: set[tuple[int, int]] = field(default_factory=set)
    percent: set[tuple[int, int]] = field(default_factory=set)
    formulas: dict[str, str] = field(default_factory=dict)  # A1 → formula text, of short formulas (sniff)

    def value(self, row: int, col: int) -> Any:
        if (row, col) in self.suspect:
            self.used.add((row, col))
            return None
        if row < len(self.rows) and col < len(self.rows[row]):
            v = self.rows[row][col]
            return None if text(v) is None else v
        return None

    def suspect_findings(self) -> list[Finding]:
        found = []
        for r, c in sorted(self.used):
            error = self.suspect[(r, c)]
            if error:
                found.append(
                    finding(
                        "FORMULA_ERROR",
                        self.name,
                        ref(r, c),
                        f"单元格显示公式错误“{error}”，无法读取数值；请修正公式，或直接填写数值",
                    )
                )
            else:
                found.append(
                    finding(
                        "FORMULA_NO_VALUE",
                        self.name,
                        ref(r, c),
                        "该单元格是公式，但文件中没有保存可信的计算结果（多见于程序生成的文件），未予采用；"
                        "请在 Excel 或 WPS 中打开并保存一次，或直接填写数值",
                    )
                )
        return found


def display_text(value: Any, percent: bool) -> str | None:
    """Cell text as the person sees it: a percent-formatted 0.94 is "94%"."""
    if percent and isinstance(value, (int, float)):
        return plain(to_decimal(value) * 100) + "%"
    return text(value)


def load_grids(path: Path, sniffed: Sniffed, choose, findings: list[Finding]) -> tuple[list[str], dict[str, Grid]]:
    """Every sheet's name, and the values of the sheets ``choose(names)`` picks (its first set; the second, the
    sheets whose percent cells matter), text normalised once here; the user's other sheets are never parsed.

    python-calamine is called directly: pandas' calamine engine is this same reader plus a DataFrame the
    reader would only turn back into rows (measured on this project's bench: 0.6 ms against 4 ms for a
    filled form, 0.6 s against 1.0–1.3 s for a 100,000-row ledger).
    """
    if sniffed.kind == "xml":
        return _load_spreadsheetml(path, choose, findings)
    import python_calamine

    try:
        with path.open("rb") as f:  # from a file object, calamine goes by the content, not the name's extension
            book = python_calamine.CalamineWorkbook.from_filelike(f)
            all_sheets = list(book.sheet_names)
            read, _ = choose(all_sheets)
            rows_of = {
                name: book.get_sheet_by_name(name).to_python(skip_empty_area=False)
                for name in all_sheets
                if name in read
            }
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # calamine's own errors, and its Rust panics (pyo3's PanicException)
        raise UnreadableWorkbook(
            f"无法作为 Excel 工作簿读取，文件可能已损坏或格式不受支持；请用 Excel 或 WPS 打开后另存为 .xlsx 再提交"
            f"（技术信息：{type(exc).__name__}: {exc}）"
        ) from exc
    grids = {}
    for name, rows in rows_of.items():
        _clean_rows(rows, name, findings)
        suspect = {position(cell): error for cell, error in sniffed.suspect_cells.get(name, {}).items()}
        percent = {position(cell) for cell in sniffed.percent_cells.get(name, ())}
        grids[name] = Grid(name, rows, suspect, percent=percent, formulas=sniffed.formula_texts.get(name, {}))
    return all_sheets, grids


def _load_spreadsheetml(path: Path, choose, findings: list[Finding]) -> tuple[list[str], dict[str, Grid]]:
    """A SpreadsheetML workbook's sheets, its formulas computed as Excel computes them on opening."""
    from .spreadsheetml import read_spreadsheetml

    book = read_spreadsheetml(path)
    all_sheets = [s.name for s in book.sheets]
    read, _ = choose(all_sheets)
    grids = {}
    for sheet in book.sheets:
        if sheet.name not in read:
            continue
        _clean_rows(sheet.rows, sheet.name, findings)
        suspect = {position(cell): error for cell, error in sheet.suspect.items()}
        percent = {position(cell) for cell in sheet.percent_cells}
        formulas = {cell: formula.removeprefix("=") for cell, formula in sheet.formulas.items()}
        grids[sheet.name] = Grid(sheet.name, sheet.rows, suspect, percent=percent, formulas=formulas)
    return all_sheets, grids


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_UNCLEAN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\r]")  # a control character or a carriage return


def _clean_rows(rows: list[list[Any]], sheet: str, findings: list[Finding]) -> None:
    strings = [v for row in rows for v in row if v.__class__ is str]
    if _UNCLEAN.search("\n".join(strings)):  # one search per sheet; cell by cell only when it finds something
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value.__class__ is str and _UNCLEAN.search(value):
                    row[c] = _clean_text(value, sheet, ref(r, c), findings)


def _clean_text(value: str, sheet: str, cell: str, findings: list[Finding]) -> str:
    """Line breaks made uniform; control characters (which no office suite can save back) removed, and said so."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    if _CONTROL.search(value):
        value = _CONTROL.sub("", value)
        findings.append(
            finding(
                "CONTROL_CHARS",
                sheet,
                cell,
                "单元格中有不可见的控制字符（多由复制粘贴带入），已删除后读取；请检查文字是否完整",
            )
        )
    return value


def find_header(
    grid: Grid,
    columns: Sequence[Label],
    findings: list[Finding],
    rows: range | None = None,
    what: str | None = None,
    key: Callable[[object], str] = label_key,
) -> tuple[int, dict[str, int]] | None:
    """The header row (the first of ``rows``, default the first ten, holding every required column) and
    field → column, headers matched by ``key``. When no row holds them all, one MISSING_COLUMN finding per
    missing column, against the row that came closest (``what`` names the table in the message); returns None."""
    rows = rows if rows is not None else range(min(10, len(grid.rows)))
    keys = lookup(columns, key)
    required = [c for c in columns if c.required]
    best: tuple[int, dict[str, int]] = (-1, {})
    for r in rows:
        if r >= len(grid.rows):
            break
        found: dict[str, int] = {}
        for c, v in enumerate(grid.rows[r]):
            label = keys.get(key(v)) if text(v) is not None else None
            if label is not None and label.field not in found:
                found[label.field] = c
        if all(c.field in found for c in required):
            return r, found
        if len(found) > len(best[1]):
            best = (r, found)
    row, found = best
    for column in required:
        if column.field not in found:
            where = f"第{row + 1}行" if row >= 0 else f"前{len(rows)}行"
            table = what or f"“{grid.name}”表"
            findings.append(
                finding(
                    "MISSING_COLUMN",
                    grid.name,
                    ref(row, len(grid.rows[row])) if row >= 0 else ref(rows.start, 0),
                    f"{table}{where}的表头中没有“{column.name}”列，请在表头行添加“{column.name}”列并填写",
                )
            )
    return None


def records(grid: Grid, table: tuple[int, dict[str, int]], key: str) -> Iterator[dict[str, str | None]]:
    """The display texts of each row below the header whose ``key`` field is filled."""
    header_row, columns = table
    for r in range(header_row + 1, len(grid.rows)):
        rec = {f: text(grid.value(r, c)) for f, c in columns.items()}
        if rec.get(key) is None:
            continue
        yield rec


def amount(value: Any, money_unit: str) -> Decimal | None:
    """An amount in ``money_unit``; text such as "35万元" converts from the unit it names."""
    if isinstance(value, str):
        q = parse_quantity(value)
        if q is None:
            return None
        if not q.unit:
            return q.value
        if q.unit in MONEY_UNITS:
            return q.value * MONEY_UNITS[q.unit] / MONEY_UNITS[money_unit]
        return None
    return parse_number(value)


def number_cell(
    sheet: str, cell: str, value: Any, label: str, findings: list[Finding], required: bool = False
) -> float | None:
    """分值 (``required``: a number above 0) or 自评得分 (blank, 不适用, or a number of 0 or more)."""
    shown = text(value)
    if shown is None or (not required and shown == NOT_APPLICABLE):
        if required:
            findings.append(finding("BAD_NUMBER", sheet, cell, f"未填写{label}，请填写大于0的数字，如“10”"))
        return None
    number = parse_number(value)
    if number is None:
        findings.append(finding("BAD_NUMBER", sheet, cell, f"{label}“{quoted(shown)}”不是有效数字，请填写数字，如“10”"))
        return None
    if number < 0 or (required and number == 0):
        findings.append(
            finding("BAD_NUMBER", sheet, cell, f"{label}为{shown}，应{'大于' if required else '不小于'}0，请改正")
        )
        return None
    return float(number)


def is_total(value: Any) -> bool:
    """合计, 总计, 小计 or 总分, however written; cheap for the ordinary cell that is none of them."""
    return (
        value.__class__ is str
        and len(value) < 16
        and ("计" in value or "分" in value)
        and label_key(value) in TOTAL_WORDS
    )
