"""Write the scored copy of a workbook at the package level.

An .xlsx/.xlsm is a zip of XML parts. openpyxl's load + save rebuilds every part from its own
model: it drops what it does not model (text boxes, form controls, sparklines, rich text, some
validations) and takes seconds on a big ledger sheet that scoring never touches. Here only the
parts that must change are parsed and rewritten (workbook, its rels, content types, styles, the
edited sheets, their notes, docProps/app.xml); every other zip member is copied as its raw
compressed bytes. The front sheet (评分结果), laid out by the caller as a ``FrontSheet``, is written
straight into the package as its worksheet, drawing and chart parts, its cell formats appended to the
target's styles.xml.

Spec: shared/spec/writeback.md. Element orders follow ECMA-376 (Excel "repairs" files whose
elements are out of order).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from xlsx_eval.files import atomic_path

from .front_parts import _add_front, _front_styles
from .front_sheet import CellFormat, ColumnChart, FrontSheet, Series
from .package import _Package
from .sheet_edits import CellEdit, _clear_tab_selected_raw, _edit_sheet, _merge_edits
from .workbook import _Book, _update_app_titles

__all__ = ["CellEdit", "CellFormat", "ColumnChart", "FrontSheet", "Series", "write_scored"]


def write_scored(
    src: Path | BinaryIO, dest: Path, edits: Sequence[CellEdit], front: FrontSheet, *more: FrontSheet
) -> None:
    """Write src + edits + `front`, inserted as the first and active sheet, to dest, atomically; ``more``
    front sheets (one per form of a workbook of several) follow it, in their order.

    Parts that need no change are copied byte for byte. A sheet already named like a front sheet (an
    earlier scored copy) is replaced. Raises ValueError when src is not an OOXML workbook or when
    an edit names a sheet that is not in it.
    """
    fronts = (front, *more)
    pkg = _Package.open(src if not isinstance(src, (str, Path)) else Path(src), "src")
    try:
        book = _Book(pkg, str(src))
        by_sheet = _merge_edits(edits, book, {f.name for f in fronts})

        replaced = set()
        for f in fronts:
            old_front = book.sheet_named(f.name)
            if old_front is not None:
                book.remove_sheet(old_front)
                replaced.add(f.name)
        styles = [_front_styles(book, f) for f in fronts]  # before the cells' fills: see _front_styles
        dropped_formula = False
        for sheet, cells in by_sheet.items():
            dropped_formula |= _edit_sheet(book, sheet, cells)
        if dropped_formula:
            book.drop_calc_chain()
        for sheet in book.sheets:
            if sheet not in by_sheet and sheet.part:
                _clear_tab_selected_raw(pkg, sheet.part)

        for f, front_styles in reversed(list(zip(fronts, styles))):  # each goes in first
            _add_front(book, f, front_styles, selected=f is front)
            _update_app_titles(book, f.name, f.name in replaced)
        book.finish()
        with atomic_path(Path(dest)) as tmp:
            pkg.write(tmp)
    finally:
        pkg.close()
