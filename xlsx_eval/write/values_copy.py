"""An .xls, .ods or SpreadsheetML 2003 workbook as an .xlsx of its values and looks: what the scored copy of a file
that is read, not written back, starts from."""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from ..read.spreadsheetml import XmlBook, read_spreadsheetml
from . import copy_formats


def values_copy(path: Path, dest: Path | io.BytesIO, kind: str) -> None:
    """Every sheet of an .xls, .ods or SpreadsheetML workbook as an .xlsx: its values (text stays text, dates,
    times and durations stay what they were; a SpreadsheetML formula its computed value) and its looks
    (copy_formats, spreadsheetml_looks: number formats, fonts, fills, borders, alignment, column widths, row
    heights, merges). Sheet names an .xlsx cannot hold (over 31 characters, or with []:*?/\\) are shortened or
    mended; only the unit's own sheets can have such names, so no finding points at them. ``kind``: what sniff
    found the file to be ("xls", "ods" or "xml")."""
    if kind == "xml":
        from .spreadsheetml_looks import spreadsheetml_looks

        book = read_spreadsheetml(path)
        looks: copy_formats.BookLooks | None = spreadsheetml_looks(book)
        sheets: Callable[[], Iterable[tuple[str, list[list[Any]]]]] = functools.partial(_xml_sheets, book)
    else:
        looks = copy_formats.read_looks(path)
        sheets = functools.partial(_calamine_sheets, path)
    try:
        _copy(sheets(), dest, looks)
    except Exception:
        if looks is None:
            raise
        if isinstance(dest, io.BytesIO):  # looks xlsxwriter would not write: the values alone, as before looks
            dest.seek(0)
            dest.truncate()
        _copy(sheets(), dest, None)


def _xml_sheets(book: XmlBook) -> list[tuple[str, list[list[Any]]]]:
    return [(sheet.name, sheet.rows) for sheet in book.sheets]


def _calamine_sheets(path: Path) -> Iterator[tuple[str, list[list[Any]]]]:
    import python_calamine

    with path.open("rb") as f:  # by content: an .xls may arrive named .xlsx
        source = python_calamine.CalamineWorkbook.from_filelike(f)
    for name in source.sheet_names:
        yield name, source.get_sheet_by_name(name).to_python(skip_empty_area=False)


def _copy(
    sheets: Iterable[tuple[str, list[list[Any]]]], dest: Path | io.BytesIO, looks: copy_formats.BookLooks | None
) -> None:
    import datetime as dt

    import xlsxwriter

    options: dict[str, object] = {
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "strings_to_numbers": False,
        "in_memory": True,
    }
    if looks and looks.default:
        options["default_format_properties"] = looks.default  # the unit's default font, as its widths assume
    book = xlsxwriter.Workbook(dest if isinstance(dest, io.BytesIO) else str(dest), options)
    book.set_properties({"created": dt.datetime(1980, 1, 1)})  # not now: the same input gives the same bytes
    formats = copy_formats.CellFormats(book, looks)
    used: set[str] = set()
    for name, rows in sheets:
        ws = book.add_worksheet(_xlsx_sheet_name(name, used))
        sheet = looks.sheets.get(name) if looks else None
        if sheet:
            copy_formats.apply_sheet(ws, sheet, formats, len(rows))
        style = sheet.style if sheet else lambda r, c: None
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value == "" or value is None:
                    continue
                fmt = formats.get(style(r, c), value)
                if sheet:
                    sheet.blanks.discard((r, c))
                if isinstance(value, str):
                    ws.write_string(r, c, value, fmt)
                elif isinstance(value, bool):
                    ws.write_boolean(r, c, value, fmt)
                elif isinstance(value, (int, float)):
                    ws.write_number(r, c, value, fmt)
                elif isinstance(value, dt.timedelta):
                    ws.write_number(r, c, value.total_seconds() / 86400, fmt)
                else:  # date, datetime, time
                    ws.write_datetime(r, c, value, fmt)
        for r, c in sorted(sheet.blanks) if sheet else ():  # empty cells kept for their borders and fills
            ws.write_blank(r, c, None, formats.get(style(r, c)))
    book.close()


def _xlsx_sheet_name(name: str, used: set[str]) -> str:
    mended = re.sub(r"[\[\]:*?/\\]", "_", name)[:31] or "Sheet"
    candidate, n = mended, 2
    while candidate.casefold() in used:
        suffix = f" ({n})"
        candidate, n = mended[: 31 - len(suffix)] + suffix, n + 1
    used.add(candidate.casefold())
    return candidate
