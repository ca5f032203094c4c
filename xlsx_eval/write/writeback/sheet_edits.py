"""Sheet cells: values, fills, formulas dropped; tabSelected cleared on the other sheets."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from .cells import _col_letters, _parse_ref, _set_value, _widen_dimension
from .notes import _add_notes
from .ooxml import _q
from .package import _Package
from .shared_formulas import _promote_shared
from .sheet_rows import SheetRows
from .workbook import _Book, _Sheet


@dataclass(frozen=True)
class CellEdit:
    """One change to one cell of the scored copy."""

    sheet: str  # sheet name as it appears in the workbook
    cell: str  # A1 reference, e.g. "I5"
    value: float | str | None = None  # None keeps the value; a str is written as text, never a formula
    fill: str | None = None  # RGB hex like "FFC7CE": paint the cell, keep its other formatting
    note: str | None = None  # text of a cell note (comment), author "xlsx-eval"


@dataclass
class _Merged:
    value: float | str | None = None
    fill: str | None = None
    notes: list[str] = field(default_factory=list)


def _rgb(colour: str) -> str:
    text = colour.strip().lstrip("#").upper()
    if re.fullmatch(r"[0-9A-F]{6}", text):
        return "FF" + text
    if re.fullmatch(r"[0-9A-F]{8}", text):
        return text
    raise ValueError(f"fill {colour!r} is not an RGB hex colour like 'FFC7CE'")


def _merge_edits(
    edits: Iterable[CellEdit], book: _Book, front_names: set[str]
) -> dict[_Sheet, dict[tuple[int, int], _Merged]]:
    by_sheet: dict[_Sheet, dict[tuple[int, int], _Merged]] = {}
    fronts = {name.casefold() for name in front_names}
    for edit in edits:
        sheet = next((s for s in book.sheets if s.name == edit.sheet), None)
        if edit.sheet.casefold() in fronts:
            raise ValueError(
                f"edit of {edit.sheet}!{edit.cell}: {edit.sheet!r} is a front sheet, which write_scored replaces"
            )
        if sheet is None:
            names = ", ".join(s.name for s in book.sheets)
            raise ValueError(
                f"edit of {edit.sheet}!{edit.cell}: no sheet {edit.sheet!r} in the workbook (it has: {names})"
            )
        if not sheet.is_worksheet or sheet.part is None:
            raise ValueError(f"edit of {edit.sheet}!{edit.cell}: {edit.sheet!r} is not a worksheet")
        merged = by_sheet.setdefault(sheet, {}).setdefault(_parse_ref(edit.cell), _Merged())
        if edit.value is not None:
            if isinstance(edit.value, bool) or not isinstance(edit.value, (int, float, str)):
                raise TypeError(f"edit of {edit.sheet}!{edit.cell}: value must be a number or a str")
            merged.value = edit.value
        if edit.fill is not None:
            merged.fill = _rgb(edit.fill)
        if edit.note is not None:
            merged.notes.append(edit.note)
    return by_sheet


def _edit_sheet(book: _Book, sheet: _Sheet, cells: dict[tuple[int, int], _Merged]) -> bool:
    """Apply one sheet's edits; True when a formula was dropped (so calcChain must go). Only the rows that change
    are parsed (``SheetRows``): a big ledger with a few marked cells is not turned into a tree."""
    assert sheet.part is not None
    rows = SheetRows(book.pkg.read(sheet.part), f"{book.pkg.path}: part {sheet.part}")
    dropped = False
    shared_masters: dict[str, tuple[str, tuple[int, int]]] = {}
    for (row, col), edit in sorted(cells.items()):
        c = rows.cell(row, col)
        if edit.value is not None:
            f = c.find(_q("f"))
            if f is not None:
                dropped = True
                if f.get("t") == "shared" and f.get("ref") and f.text:
                    shared_masters[f.get("si", "")] = (f.text, (row, col))
            _set_value(c, edit.value)
        if edit.fill is not None:
            c.set("s", str(book.styles.highlight(int(c.get("s", "0")), edit.fill)))
    for si, (text, origin) in shared_masters.items():
        sharing = re.compile(rb"\ssi\s*=\s*[\"']" + re.escape(si.encode()) + rb"[\"']")
        _promote_shared(rows.rows_mentioning(sharing), si, text, origin)
    notes = {f"{_col_letters(col)}{row}": "\n".join(e.notes) for (row, col), e in sorted(cells.items()) if e.notes}
    if notes:
        _add_notes(book, sheet, rows.root, notes)
    for view in rows.root.iter(_q("sheetView")):
        view.attrib.pop("tabSelected", None)
    _widen_dimension(rows.root, cells)
    book.pkg.put(sheet.part, rows.to_bytes())
    return dropped


def _clear_tab_selected_raw(pkg: _Package, part: str) -> None:
    """Clear tabSelected on a sheet without parsing it: <sheetView> sits before <sheetData>."""
    head = pkg.head(part, 65536)
    end = head.find(b"sheetData")
    region = head if end < 0 else head[:end]
    pattern = re.compile(rb"(<(?:\w+:)?sheetView\b[^>]*?)\s+tabSelected=\"(?:1|true)\"")
    if not pattern.search(region):
        return
    data = head if len(head) < 65536 else pkg.read(part)  # shorter: the head is the whole part
    patched = pattern.sub(rb"\1", data[: len(region)])
    pkg.put(part, patched + data[len(region) :])
