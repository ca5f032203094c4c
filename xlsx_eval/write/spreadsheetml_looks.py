"""The looks of a SpreadsheetML 2003 workbook (read.spreadsheetml) as copy_formats' BookLooks, so its .xlsx copy
keeps the form's fonts, fills, borders, alignment, number formats, column widths, row heights and merges, and
prints as the same form."""

from __future__ import annotations

from typing import Any

from ..read.spreadsheetml import XmlBook, XmlSheet, XmlStyle
from .copy_formats import (
    BLANK_CELLS_KEPT,
    MAX_FONT_POINTS,
    MAX_HEIGHT_POINTS,
    MAX_WIDTH_PIXELS,
    MERGE_CELLS_KEPT,
    BookLooks,
    SheetLooks,
)

_HORIZONTAL = {
    "Left": "left",
    "Center": "center",
    "Right": "right",
    "Justify": "justify",
    "Fill": "fill",
    "Distributed": "distributed",
    "CenterAcrossSelection": "center_across",
}
_VERTICAL = {"Top": "top", "Center": "vcenter", "Justify": "vjustify", "Distributed": "vdistributed"}
#: (ss:LineStyle, ss:Weight) → xlsxwriter's border index: 0 hairline, 1 thin, 2 medium, 3 thick.
_LINES = {
    "Continuous": {0: 7, 1: 1, 2: 2, 3: 5},
    "Dash": {1: 3, 2: 8, 3: 8},
    "Dot": {1: 4, 2: 4, 3: 4},
    "DashDot": {1: 9, 2: 10, 3: 10},
    "DashDotDot": {1: 11, 2: 12, 3: 12},
    "SlantDashDot": {1: 13, 2: 13, 3: 13},
    "Double": {1: 6, 2: 6, 3: 6},
}
#: SpreadsheetML's named number formats, as format codes.
_FORMATS = {
    "General": None,
    "General Number": None,
    "General Date": "yyyy-mm-dd hh:mm",
    "Long Date": 'yyyy"年"m"月"d"日"',
    "Medium Date": "dd-mmm-yy",
    "Short Date": "yyyy-mm-dd",
    "Long Time": "hh:mm:ss",
    "Medium Time": "hh:mm AM/PM",
    "Short Time": "hh:mm",
    "Currency": "¥#,##0.00",
    "Euro Currency": "€#,##0.00",
    "Fixed": "0.00",
    "Standard": "#,##0.00",
    "Percent": "0.00%",
    "Scientific": "0.00E+00",
    "Yes/No": '"Yes";"Yes";"No"',
    "True/False": '"True";"True";"False"',
    "On/Off": '"On";"On";"Off"',
}
_SIDES = {"Left": "left", "Right": "right", "Top": "top", "Bottom": "bottom"}


def spreadsheetml_looks(book: XmlBook) -> BookLooks:
    """The book's looks: its Default style as the workbook's default font, every other style by its properties."""
    default_style = book.styles.get("Default")
    default = _font(default_style) if default_style else {}
    looks = BookLooks(default)
    keys: dict[str, int | None] = {}

    def key(style_id: str | None) -> int | None:
        if style_id is None or style_id not in book.styles:
            return None
        if style_id not in keys:
            props = _props(book.styles[style_id])
            keys[style_id] = looks.key({k: v for k, v in props.items() if default.get(k) != v})
        return keys[style_id]

    for sheet in book.sheets:
        looks.sheets[sheet.name] = _sheet(sheet, key)
    return looks


def _sheet(sheet: XmlSheet, key) -> SheetLooks:
    looks = SheetLooks(
        page=dict(sheet.page),
        merges=[m for m in sheet.merges if (m[2] - m[0] + 1) * (m[3] - m[1] + 1) <= MERGE_CELLS_KEPT],
    )
    for (r, c), style_id in sheet.styles.items():
        style = key(style_id)
        if style is None:
            continue
        empty = r >= len(sheet.rows) or c >= len(sheet.rows[r]) or sheet.rows[r][c] in (None, "")
        if empty:
            if len(looks.blanks) >= BLANK_CELLS_KEPT:
                continue
            looks.blanks.add((r, c))  # an empty cell of the form, kept for its borders
        looks.cells[(r, c)] = style
    columns = set(sheet.column_widths) | set(sheet.hidden_columns)
    for c in columns:
        width = sheet.column_widths.get(c, sheet.default_column_width)
        pixels = min(round(width * 4 / 3), MAX_WIDTH_PIXELS) if width is not None else None
        looks.columns[c] = (pixels, None, c in sheet.hidden_columns)
    for r in set(sheet.row_heights) | set(sheet.hidden_rows):
        height = sheet.row_heights.get(r, sheet.default_row_height)
        looks.rows[r] = (min(height, MAX_HEIGHT_POINTS) if height is not None else None, r in sheet.hidden_rows)
    return looks


def _font(style: XmlStyle) -> dict[str, Any]:
    props: dict[str, Any] = {}
    if style.font_name:
        props["font_name"] = style.font_name
    if style.font_size:
        props["font_size"] = min(style.font_size, MAX_FONT_POINTS)
    return props


def _props(style: XmlStyle) -> dict[str, Any]:
    """xlsxwriter format properties of one (inheritance resolved) style."""
    props = _font(style)
    if style.bold:
        props["bold"] = True
    if style.italic:
        props["italic"] = True
    if style.underline:
        props["underline"] = 2 if style.underline == "Double" else 1
    if style.color:
        props["font_color"] = style.color
    if style.fill:
        props["bg_color"] = style.fill
        props["pattern"] = 1
    if style.horizontal in _HORIZONTAL:
        props["align"] = _HORIZONTAL[style.horizontal]
    if style.vertical in _VERTICAL:
        props["valign"] = _VERTICAL[style.vertical]
    if style.wrap:
        props["text_wrap"] = True
    for position, (line, weight) in style.borders.items():
        index = _LINES.get(line, {}).get(weight, 1 if line and line != "None" else 0)
        if position in _SIDES and index:
            props[_SIDES[position]] = index
    if style.number_format:
        code = _FORMATS.get(style.number_format, style.number_format)
        if code:
            props["num_format"] = code
    return props
