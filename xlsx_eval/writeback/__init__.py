"""Write the scored copy of a workbook at the package level.

An .xlsx/.xlsm is a zip of XML parts. openpyxl's load + save rebuilds every part from its own
model: it drops what it does not model (text boxes, form controls, sparklines, rich text, some
validations) and takes seconds on a big ledger sheet that scoring never touches. Here only the
parts that must change are parsed and rewritten (workbook, its rels, content types, styles, the
edited sheets, their notes, docProps/app.xml); every other zip member is copied as its raw
compressed bytes. The front sheet (评分结果) is written by xlsxwriter into a scratch workbook and
grafted in: its sheet, drawing and chart parts are renamed, its styles appended to the target's
styles.xml and its shared strings turned into inline strings.

Spec: shared/spec/writeback.md. Element orders follow ECMA-376 (Excel "repairs" files whose
elements are out of order).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from xlsx_eval.files import atomic_path

from .front_sheet import _graft_front
from .package import _Package
from .sheet_edits import CellEdit, _clear_tab_selected_raw, _edit_sheet, _merge_edits
from .workbook import _Book, _update_app_titles

__all__ = ["CellEdit", "write_scored"]


def write_scored(
    src: Path | BinaryIO,
    dest: Path,
    edits: Sequence[CellEdit],
    front: Path | BinaryIO,
    front_name: str = "评分结果",
) -> None:
    """Write src + edits + the single sheet of the xlsxwriter workbook `front`, inserted as the
    first and active sheet named front_name, to dest, atomically.

    Parts that need no change are copied byte for byte. A sheet already named front_name (an
    earlier scored copy) is replaced. Raises ValueError when src is not an OOXML workbook, when
    an edit names a sheet that is not in it, or when front is not a one-sheet workbook named
    front_name.
    """
    pkg = _Package.open(src if not isinstance(src, (str, Path)) else Path(src), "src")
    front_pkg = None
    try:
        book = _Book(pkg, str(src))
        front_pkg = _Package.open(front if not isinstance(front, (str, Path)) else Path(front), "front")
        front_book = _Book(front_pkg, "front")
        by_sheet = _merge_edits(edits, book, front_name)

        old_front = book.sheet_named(front_name)
        if old_front is not None:
            book.remove_sheet(old_front)
        dropped_formula = False
        for sheet, cells in by_sheet.items():
            dropped_formula |= _edit_sheet(book, sheet, cells)
        if dropped_formula:
            book.drop_calc_chain()
        for sheet in book.sheets:
            if sheet not in by_sheet and sheet.part:
                _clear_tab_selected_raw(pkg, sheet.part)

        _graft_front(book, front_book, front_name)
        _update_app_titles(book, front_name, old_front is not None)
        book.finish()
        with atomic_path(Path(dest)) as tmp:
            pkg.write(tmp)
    finally:
        pkg.close()
        if front_pkg is not None:
            front_pkg.close()
