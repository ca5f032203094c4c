"""The looks of an .xls or .ods, read for its .xlsx copy: number formats, fonts, alignment, fills, borders,
column widths, row heights, merged ranges and frozen panes, so the unit's form looks and prints like itself.

python-calamine reads the values (values_copy); this module reads only how they are shown: an .xls with
xlrd's formatting_info, an .ods from its content.xml and styles.xml with a parser that loads no DTD and expands
no entity. What cannot be read is left out and the copy keeps its values: looks never make a file unreadable.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree
from xlsxwriter.exceptions import OverlappingRange

from ..read.sniff import DEFAULT_LIMITS, OLE2_MAGIC, ZIP_MAGIC
from ..read.xls_book import xls_book

#: The number format a date, time or duration gets when its cell has none of its own (the copy before looks).
DATE_FORMATS: dict[type, str] = {
    dt.datetime: "yyyy-mm-dd hh:mm:ss",
    dt.date: "yyyy-mm-dd",
    dt.time: "hh:mm:ss",
    dt.timedelta: "[h]:mm:ss",
}
BLANK_CELLS_KEPT = (
    100_000  # formatted empty cells (a form's borders) carried per sheet; a sheet styled to the end has more
)
REPEAT_KEPT = 1000  # an .ods run of empty cells or rows repeated more often than this is "the rest of the sheet"
MERGE_CELLS_KEPT = 100_000  # a merged range larger than this is not merged in the copy
DIGIT_PIXELS = 7  # the width of "0" in the default font, in pixels: the unit of column widths in both formats
MAX_ROWS, MAX_COLUMNS = 1_048_576, 16_384
MAX_WIDTH_PIXELS, MAX_HEIGHT_POINTS, MAX_FONT_POINTS = 1790, 409.0, 409.0  # 255 characters; Excel's own limits


@dataclass
class SheetLooks:
    #: (row, column) from 0 -> style (an index into BookLooks.styles, None for the default): every cell whose
    #: style is not its column's
    cells: dict[tuple[int, int], int | None] = field(default_factory=dict)
    #: column -> (width in pixels or None, style of its empty cells, hidden)
    columns: dict[int, tuple[int | None, int | None, bool]] = field(default_factory=dict)
    rows: dict[int, tuple[float | None, bool]] = field(default_factory=dict)  # row -> (height in points, hidden)
    merges: list[tuple[int, int, int, int]] = field(
        default_factory=list
    )  # first row, first column, last row, last column
    freeze: tuple[int, int] | None = None  # rows above and columns left of the frozen panes
    gridlines: bool = True
    blanks: set[tuple[int, int]] = field(default_factory=set)  # cells in ``cells`` kept for their looks alone
    #: how it prints, where the format says (SpreadsheetML): landscape, paper, fit, scale, margins, center
    page: dict[str, Any] = field(default_factory=dict)

    def style(self, row: int, col: int) -> int | None:
        found = self.cells.get((row, col), -1)
        if found != -1:
            return found
        column = self.columns.get(col)
        return column[1] if column else None


@dataclass
class BookLooks:
    default: dict[str, Any]  # the workbook's default font (xlsxwriter's default_format_properties)
    styles: list[dict[str, Any]] = field(default_factory=list)  # xlsxwriter format properties, beyond the default
    #: An .ods style's look for Chinese text (its asian font, size, weight), where it differs, as LibreOffice shows
    #: a cell by the script of its text; by style index, and for a cell of no style
    chinese: dict[int | None, dict[str, Any]] = field(default_factory=dict)
    sheets: dict[str, SheetLooks] = field(default_factory=dict)  # by sheet name, as calamine names them
    _keys: dict[tuple, int] = field(default_factory=dict)

    def key(self, props: dict[str, Any], chinese: dict[str, Any] | None = None) -> int | None:
        """The style index of these properties (one per distinct set), None when they add nothing."""
        chinese = None if chinese == props else chinese
        if not props and not chinese:
            return None
        frozen = (tuple(sorted(props.items())), tuple(sorted(chinese.items())) if chinese is not None else None)
        if frozen not in self._keys:
            self._keys[frozen] = len(self.styles)
            self.styles.append(props)
            if chinese is not None:
                self.chinese[self._keys[frozen]] = chinese
        return self._keys[frozen]


def read_looks(path: Path) -> BookLooks | None:
    """The looks of the .xls or .ods at ``path`` (by content, not name), or None when they cannot be read."""
    try:
        with path.open("rb") as f:
            head = f.read(8)
        if head.startswith(OLE2_MAGIC):
            return _xls_looks(path)
        if head[:4] in ZIP_MAGIC:
            return _ods_looks(path)
    except Exception:  # noqa: BLE001 - a damaged part of what is only decoration: the copy keeps its values
        return None
    return None


class CellFormats:
    """xlsxwriter formats for the styles of ``looks``, made once each, the first time a cell needs one."""

    def __init__(self, book, looks: BookLooks | None) -> None:
        self._book, self._looks = book, looks
        self._made: dict[tuple[int | None, type | None], Any] = {}

    def get(self, style: int | None, value: Any = None):
        """The format of a cell of ``style`` holding ``value``: a date without a number format of its own gets
        the one it had in the copy before looks; Chinese text, the style's look for Chinese text if it has one."""
        kind: Any = type(value) if type(value) in DATE_FORMATS else None
        looks = self._looks
        if looks is not None and style in looks.chinese and isinstance(value, str) and _CHINESE.search(value):
            kind = "chinese"
        made = self._made.get((style, kind), False)
        if made is not False:
            return made
        if looks is not None and kind == "chinese":
            props = dict(looks.chinese[style])
        else:
            props = dict(looks.styles[style]) if looks and style is not None else {}
        if kind in DATE_FORMATS and "num_format" not in props:
            props["num_format"] = DATE_FORMATS[kind]
        made = self._book.add_format(props) if props else None
        self._made[(style, kind)] = made
        return made


_CHINESE = re.compile("[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


def apply_sheet(ws, looks: SheetLooks, formats: CellFormats, rows: int) -> None:
    """Column widths, row heights, merges, frozen panes and gridlines of one sheet of ``rows`` rows of values
    (its cells are written by the caller). Row heights below the last row that holds something are left out: they
    show nothing, and LibreOffice gives the last row of a sheet a height of its own."""
    for col, (width, style, hidden) in sorted(looks.columns.items()):
        ws.set_column_pixels(col, col, width, formats.get(style), {"hidden": hidden} if hidden else None)
    last = max(rows - 1, max((r for r, _ in looks.blanks), default=0), max((m[2] for m in looks.merges), default=0))
    for row, (height, hidden) in sorted(looks.rows.items()):
        if row > last:
            break
        ws.set_row(row, height, None, {"hidden": True} if hidden else None)
    for first_row, first_col, last_row, last_col in looks.merges:
        try:
            ws.merge_range(first_row, first_col, last_row, last_col, "", formats.get(looks.style(first_row, first_col)))
        except OverlappingRange:  # a damaged file: the first of two overlapping ranges stands
            continue
    if looks.freeze:
        ws.freeze_panes(min(looks.freeze[0], MAX_ROWS - 1), min(looks.freeze[1], MAX_COLUMNS - 1))
    if not looks.gridlines:
        ws.hide_gridlines(2)
    _print_setup(ws, looks.page)


def _print_setup(ws, page: dict[str, Any]) -> None:
    if page.get("landscape"):
        ws.set_landscape()
    if "paper" in page:
        ws.set_paper(page["paper"])
    if "fit" in page:
        ws.fit_to_pages(*page["fit"])
    elif "scale" in page:
        ws.set_print_scale(page["scale"])
    if "margins" in page:
        left, right, top, bottom = page["margins"]
        ws.set_margins(left=left, right=right, top=top, bottom=bottom)
    horizontally, vertically = page.get("center", (False, False))
    if horizontally:
        ws.center_horizontally()
    if vertically:
        ws.center_vertically()


# .xls ---------------------------------------------------------------------------------------------------------

_XLS_ALIGN = {1: "left", 2: "center", 3: "right", 4: "fill", 5: "justify", 6: "center_across", 7: "distributed"}
_XLS_VALIGN = {0: "top", 1: "vcenter", 3: "vjustify", 4: "vdistributed"}  # 2, bottom, is the default


def _xls_looks(path: Path) -> BookLooks | None:
    book = xls_book(path)
    fonts = book.font_list
    default = {"font_name": _font_name(fonts[0].name), "font_size": _font_size(fonts[0].height / 20)} if fonts else {}
    default = {k: v for k, v in default.items() if v}
    looks = BookLooks(default)
    custom_formats = {f.format_key for f in book.format_list}
    xf_style: dict[int, int | None] = {}

    def style(xf_index: int) -> int | None:
        if xf_index not in xf_style:
            xf = book.xf_list[xf_index] if 0 <= xf_index < len(book.xf_list) else None
            xf_style[xf_index] = looks.key(_xf_props(book, xf, default, custom_formats)) if xf else None
        return xf_style[xf_index]

    for index, name in enumerate(book.sheet_names()):
        sheet = book.sheet_by_index(index)
        looks.sheets[name] = _xls_sheet(sheet, style)
        book.unload_sheet(index)
    return looks


def _xls_sheet(sheet, style) -> SheetLooks:
    import xlrd

    looks = SheetLooks(gridlines=bool(sheet.show_grid_lines))
    for col, info in sorted(sheet.colinfo_map.items()):
        if col >= MAX_COLUMNS:
            break
        width = min(round(info.width / 256 * DIGIT_PIXELS), MAX_WIDTH_PIXELS)
        looks.columns[col] = (width, style(info.xf_index if info.xf_index >= 0 else 15), bool(info.hidden))
    default_height = sheet.default_row_height
    for row, info in sorted(sheet.rowinfo_map.items()):
        custom = not info.has_default_height and info.height != default_height and info.height > 0
        if custom or info.hidden:
            looks.rows[row] = (min(info.height / 20, MAX_HEIGHT_POINTS) if custom else None, bool(info.hidden))
    blanks = 0
    for r in range(sheet.nrows):
        types = sheet.row_types(r)
        for c in range(len(types)):
            key = style(sheet.cell_xf_index(r, c))
            if key == looks.style(r, c):
                continue
            if types[c] in (xlrd.XL_CELL_BLANK, xlrd.XL_CELL_EMPTY):
                if key is None or blanks >= BLANK_CELLS_KEPT:
                    continue
                blanks += 1
                looks.blanks.add((r, c))
            looks.cells[(r, c)] = key
    looks.merges = [
        (rlo, clo, rhi - 1, chi - 1)
        for rlo, rhi, clo, chi in sheet.merged_cells
        if (rhi - rlo) * (chi - clo) > 1 and (rhi - rlo) * (chi - clo) <= MERGE_CELLS_KEPT
    ]
    if sheet.panes_are_frozen and (sheet.horz_split_pos or sheet.vert_split_pos):
        looks.freeze = (sheet.horz_split_pos, sheet.vert_split_pos)
    return looks


def _font_name(name: str | None) -> str | None:
    """The first family of a font name or list ("'Noto Sans CJK SC', sans-serif"), as long as Excel takes one."""
    first = (name or "").split(",")[0].strip().strip("'\"").strip()
    return first[:31] or None


def _font_size(points: float | None) -> float | None:
    return round(points, 2) if points and 1 <= points <= MAX_FONT_POINTS else None


def _colour(book, index: int) -> str | None:
    rgb = book.colour_map.get(index)
    return "#{:02X}{:02X}{:02X}".format(*rgb) if rgb else None  # None: automatic (the system's text or window colour)


def _xf_props(book, xf, default: dict[str, Any], custom_formats: set[int]) -> dict[str, Any]:
    props: dict[str, Any] = {}
    fmt = book.format_map.get(xf.format_key)
    if xf.format_key in custom_formats and fmt is not None:
        if fmt.format_str and fmt.format_str.lower() != "general":
            props["num_format"] = fmt.format_str
    elif 0 < xf.format_key < 164:  # a built-in format: its id, which Excel shows as its own locale does
        props["num_format"] = xf.format_key
    if 0 <= xf.font_index < len(book.font_list):
        font = book.font_list[xf.font_index]
        name, size = _font_name(font.name), _font_size(font.height / 20)
        if name and name != default.get("font_name"):
            props["font_name"] = name
        if size and size != default.get("font_size"):
            props["font_size"] = size
        if font.bold or font.weight >= 700:
            props["bold"] = True
        if font.italic:
            props["italic"] = True
        if font.underline_type in (1, 2, 0x21, 0x22):
            props["underline"] = font.underline_type
        if font.struck_out:
            props["font_strikeout"] = True
        if font.escapement in (1, 2):
            props["font_script"] = font.escapement
        colour = _colour(book, font.colour_index)
        if colour and colour != "#000000":
            props["font_color"] = colour
    a = xf.alignment
    if a.hor_align in _XLS_ALIGN:
        props["align"] = _XLS_ALIGN[a.hor_align]
    if a.vert_align in _XLS_VALIGN:
        props["valign"] = _XLS_VALIGN[a.vert_align]
    if a.text_wrapped:
        props["text_wrap"] = True
    if a.shrink_to_fit:
        props["shrink"] = True
    if 0 < a.indent_level <= 15:
        props["indent"] = a.indent_level
    if 0 < a.rotation <= 90:
        props["rotation"] = a.rotation
    elif 90 < a.rotation <= 180:
        props["rotation"] = 90 - a.rotation
    elif a.rotation == 255:
        props["rotation"] = 270  # stacked letters
    b = xf.border
    for side in ("left", "right", "top", "bottom"):
        line = getattr(b, f"{side}_line_style")
        if 0 < line <= 13:
            props[side] = line  # BIFF and xlsxwriter number the 13 line styles alike
            colour = _colour(book, getattr(b, f"{side}_colour_index"))
            if colour and colour != "#000000":
                props[f"{side}_color"] = colour
    fill = xf.background
    if 0 < fill.fill_pattern <= 18:
        props["pattern"] = fill.fill_pattern
        fg, bg = _colour(book, fill.pattern_colour_index), _colour(book, fill.background_colour_index)
        if fg:
            props["fg_color"] = fg
        if bg and fill.fill_pattern > 1:
            props["bg_color"] = bg
        if fill.fill_pattern == 1 and not fg:
            del props["pattern"]  # solid in the automatic colour: no fill at all
    return props


# .ods ---------------------------------------------------------------------------------------------------------

_NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "number": "urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0",
    "fo": "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0",
    "svg": "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0",
}


@functools.cache
def _q(name: str) -> str:
    prefix, local = name.split(":")
    return f"{{{_NS[prefix]}}}{local}"


_NUMBER_STYLES = tuple(
    _q(f"number:{kind}-style") for kind in ("number", "currency", "percentage", "date", "time", "boolean", "text")
)
_STYLE, _DEFAULT_STYLE, _FONT_FACE = _q("style:style"), _q("style:default-style"), _q("style:font-face")
_TABLE, _COLUMN, _ROW = _q("table:table"), _q("table:table-column"), _q("table:table-row")
_CELL, _COVERED = _q("table:table-cell"), _q("table:covered-table-cell")
_ODS_DEFAULT_FONT = {"font_name": "Liberation Sans", "font_size": 10.0}  # LibreOffice's, when the file names none
_LENGTH = re.compile(r"^\s*(-?[0-9.]+)\s*(cm|mm|in|pt|pc|px)\s*$")
_TO_POINTS = {"cm": 72 / 2.54, "mm": 72 / 25.4, "in": 72.0, "pt": 1.0, "pc": 12.0, "px": 0.75}
_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")
_NOTHING = object()
_FONT_KEYS = ("bold", "italic", "font_size", "font_name")  # those an .ods sets apart for asian text


def _points(length: str | None) -> float | None:
    match = _LENGTH.match(length or "")
    return float(match.group(1)) * _TO_POINTS[match.group(2)] if match else None


def _safe_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)


class _OdsStyles:
    """The cell, column and row styles and the number styles of an .ods, resolved into xlsxwriter properties."""

    def __init__(self) -> None:
        self.fonts: dict[str, str] = {}  # font-face name -> family
        self.raw: dict[
            str, tuple[str, str | None, str | None, dict[str, Any]]
        ] = {}  # name -> family, parent, data style, props
        self.default_cell: dict[str, Any] = {}
        self.numbers: dict[str, tuple[str, list[tuple[str, str]], str | None]] = {}  # name -> code, maps, colour
        self._resolved: dict[str, dict[str, Any]] = {}

    def take(self, el) -> None:
        """One element of office:font-face-decls, office:styles or office:automatic-styles."""
        if el.tag == _FONT_FACE:
            self.fonts[el.get(_q("style:name"), "")] = el.get(_q("svg:font-family")) or el.get(_q("style:name")) or ""
        elif el.tag == _STYLE:
            self.raw[el.get(_q("style:name"), "")] = (
                el.get(_q("style:family"), ""),
                el.get(_q("style:parent-style-name")),
                el.get(_q("style:data-style-name")),
                self._props(el),
            )
        elif el.tag == _DEFAULT_STYLE and el.get(_q("style:family")) == "table-cell":
            self.default_cell = self._props(el)
        elif el.tag in _NUMBER_STYLES:
            self.numbers[el.get(_q("style:name"), "")] = _number_style(el)

    def _props(self, el) -> dict[str, Any]:
        props: dict[str, Any] = {}
        for child in el:
            local = etree.QName(child).localname if isinstance(child.tag, str) else ""
            if local == "text-properties":
                self._text(child, props)
            elif local == "table-cell-properties":
                _cell_properties(child, props)
            elif local == "paragraph-properties":
                align = {
                    "start": "left",
                    "left": "left",
                    "center": "center",
                    "end": "right",
                    "right": "right",
                    "justify": "justify",
                }.get(child.get(_q("fo:text-align"), ""))
                if align:
                    props["align"] = align
            elif local == "table-column-properties":
                width = _points(child.get(_q("style:column-width")))
                if width is not None and width >= 0:
                    props["_width"] = min(round(width * 4 / 3), MAX_WIDTH_PIXELS)
            elif local == "table-row-properties":
                height = _points(child.get(_q("style:row-height")))
                if height is not None and height >= 0 and child.get(_q("style:use-optimal-row-height")) != "true":
                    props["_height"] = min(height, MAX_HEIGHT_POINTS)
        return props

    def _text(self, el, props: dict[str, Any]) -> None:
        for prefix, western, asian in (
            ("", "fo:font-", "style:font-name"),
            ("_asian_", "style:font-", "style:font-name-asian"),
        ):
            suffix = "-asian" if prefix else ""
            weight = el.get(_q(f"{western}weight{suffix}"))
            if weight is not None:
                props[f"{prefix}bold"] = weight == "bold" or (weight.isdigit() and int(weight) >= 600)
            style = el.get(_q(f"{western}style{suffix}"))
            if style is not None:
                props[f"{prefix}italic"] = style in ("italic", "oblique")
            size = _font_size(_points(el.get(_q(f"{western}size{suffix}"))))
            if size:
                props[f"{prefix}font_size"] = size
            face = el.get(_q(asian))
            family = _font_name(self.fonts.get(face, face) if face else el.get(_q(f"{western}family{suffix}")))
            if family:
                props[f"{prefix}font_name"] = family
        colour = el.get(_q("fo:color"))
        if colour and _COLOUR.match(colour):
            props["font_color"] = colour.upper()
        underline = el.get(_q("style:text-underline-style"))
        if underline is not None:
            props["underline"] = (
                0 if underline == "none" else (2 if el.get(_q("style:text-underline-type")) == "double" else 1)
            )
        strike = el.get(_q("style:text-line-through-style"))
        if strike is not None:
            props["font_strikeout"] = strike != "none"
        position = (el.get(_q("style:text-position")) or "").split()
        if position and position[0] != "0%":
            props["font_script"] = 1 if position[0] == "super" or not position[0].startswith(("-", "sub")) else 2

    def cell_props(self, name: str | None) -> dict[str, Any]:
        """The properties of cell style ``name`` with those of its parents and the default style under them."""
        name = asked = name or "Default"
        if asked in self._resolved:
            return self._resolved[asked]
        chain, seen = [], set()
        while name and name in self.raw and name not in seen:
            seen.add(name)
            chain.append(self.raw[name])
            name = self.raw[name][1]
        props = dict(self.default_cell)
        data_style = None
        for _family, _parent, data, own in reversed(chain):
            props.update(own)
            data_style = data or data_style
        code = self.number_code(data_style) if data_style else None
        if code:
            props["num_format"] = code
        if props.pop("_align_source", None) == "value-type":
            props.pop("align", None)
        self._resolved[asked] = props
        return props

    def number_code(self, name: str, depth: int = 0) -> str | None:
        """The Excel format code of number style ``name``: its maps' styles first (one level: a map's style
        has no maps of its own in a valid file), then its own."""
        found = self.numbers.get(name)
        if found is None:
            return None
        code, maps, colour = found
        own = (colour or "") + code if code and code != "General" else None
        sections = [
            self.number_code(target, depth + 1)
            for condition, target in maps
            if condition.replace(" ", "") in ("value()>=0", "value()>0", "value()<0") and depth < 2
        ]
        if sections and own and all(sections):
            return ";".join(
                [*(section or "" for section in sections), own]
            )  # positive;negative(;zero), as the conditions order them
        return own


def _cell_properties(el, props: dict[str, Any]) -> None:
    background = el.get(_q("fo:background-color"))
    if background and _COLOUR.match(background):
        props["pattern"], props["bg_color"] = 1, background.upper()
    elif background == "transparent":
        props.pop("pattern", None)
        props.pop("bg_color", None)
    every = el.get(_q("fo:border"))
    for side in ("left", "right", "top", "bottom"):
        line = el.get(_q(f"fo:border-{side}")) or every
        if line is not None:
            style, colour = _border(line)
            props[side] = style
            if colour and style:
                props[f"{side}_color"] = colour
            else:
                props.pop(f"{side}_color", None)
    if el.get(_q("fo:wrap-option")) is not None:
        props["text_wrap"] = el.get(_q("fo:wrap-option")) == "wrap"
    valign = {"top": "top", "middle": "vcenter", "bottom": "bottom"}.get(el.get(_q("style:vertical-align"), ""))
    if valign:
        props["valign"] = valign
    angle = el.get(_q("style:rotation-angle"), "")
    if angle.replace(".", "", 1).isdigit():
        degrees = round(float(angle)) % 360
        if 0 < degrees <= 90:
            props["rotation"] = degrees
        elif degrees >= 270:
            props["rotation"] = degrees - 360
    if el.get(_q("style:shrink-to-fit")) is not None:
        props["shrink"] = el.get(_q("style:shrink-to-fit")) == "true"
    source = el.get(_q("style:text-align-source"))
    if source is not None:
        props["_align_source"] = source


def _border(line: str) -> tuple[int, str | None]:
    """An fo:border value ("0.74pt solid #000000") as an xlsxwriter line style and colour."""
    words = line.split()
    if not words or "none" in words or "hidden" in words:
        return 0, None
    width = next((w for w in (_points(word) for word in words) if w is not None), 0.75)
    colour = next((word.upper() for word in words if _COLOUR.match(word)), None)
    if "double" in words:
        style = 6
    elif "dotted" in words:
        style = 4
    elif "dashed" in words or "fine-dashed" in words:
        style = 8 if width > 1 else 3
    elif "dash-dot" in words:
        style = 10 if width > 1 else 9
    elif "dash-dot-dot" in words:
        style = 12 if width > 1 else 11
    else:
        style = 1 if width <= 1 else 2 if width <= 2.5 else 5
    return style, None if colour == "#000000" else colour


_PLAIN = set(" -/:,.()$+")
_NAMED_COLOURS = {
    "#000000": "[Black]",
    "#0000FF": "[Blue]",
    "#00FFFF": "[Cyan]",
    "#00FF00": "[Green]",
    "#FF00FF": "[Magenta]",
    "#FF0000": "[Red]",
    "#FFFFFF": "[White]",
    "#FFFF00": "[Yellow]",
}


def _literal(text: str, percent: bool = False) -> str:
    out: list[str] = []
    quoted: list[str] = []
    for ch in text:
        if ch in _PLAIN or (percent and ch == "%"):
            if quoted:
                out.append('"' + "".join(quoted) + '"')
                quoted = []
            out.append(ch)
        elif ch == '"':
            if quoted:
                out.append('"' + "".join(quoted) + '"')
                quoted = []
            out.append('\\"')
        else:
            quoted.append(ch)
    if quoted:
        out.append('"' + "".join(quoted) + '"')
    return "".join(out)


def _number_style(el) -> tuple[str, list[tuple[str, str]], str | None]:
    """An ODF number style as an Excel format code, with its conditional maps and its colour."""
    kind = etree.QName(el).localname
    if kind == "boolean-style":
        return "", [], None
    elapsed = el.get(_q("number:truncate-on-overflow")) == "false"
    parts, maps, colour = [], [], None
    for child in el:
        if not isinstance(child.tag, str):
            continue
        local, long = etree.QName(child).localname, child.get(_q("number:style")) == "long"
        if local == "number":
            parts.append(_digits(child))
        elif local == "scientific-number":
            parts.append(_digits(child) + "E+" + "0" * int(child.get(_q("number:min-exponent-digits"), "2") or 2))
        elif local == "fraction":
            numerator = int(child.get(_q("number:min-numerator-digits"), "1") or 1)
            denominator = child.get(_q("number:denominator-value")) or "?" * int(
                child.get(_q("number:min-denominator-digits"), "1") or 1
            )
            parts.append("# " + "?" * numerator + "/" + denominator)
        elif local in ("text", "currency-symbol"):
            parts.append(_literal(child.text or "", percent=kind == "percentage-style"))
        elif local == "text-content":
            parts.append("@")
        elif local == "year":
            parts.append("yyyy" if long else "yy")
        elif local == "month":
            textual = child.get(_q("number:textual")) == "true"
            parts.append(("mmmm" if long else "mmm") if textual else ("mm" if long else "m"))
        elif local == "day":
            parts.append("dd" if long else "d")
        elif local == "day-of-week":
            parts.append("dddd" if long else "ddd")
        elif local == "hours":
            parts.append(("[hh]" if long else "[h]") if elapsed else ("hh" if long else "h"))
        elif local == "minutes":
            parts.append("mm" if long else "m")
        elif local == "seconds":
            places = int(child.get(_q("number:decimal-places"), "0") or 0)
            parts.append(("ss" if long else "s") + ("." + "0" * places if places else ""))
        elif local == "am-pm":
            parts.append("AM/PM")
        elif local == "text-properties":
            colour = _NAMED_COLOURS.get((child.get(_q("fo:color")) or "").upper())
        elif local == "map":
            maps.append((child.get(_q("style:condition"), ""), child.get(_q("style:apply-style-name"), "")))
    return "".join(parts), maps, colour


def _digits(el) -> str:
    if el.get(_q("number:decimal-places")) is None and el.get(_q("number:grouping")) != "true":
        return "General"  # LibreOffice's 标准 (N0): a number as it comes
    places = int(el.get(_q("number:decimal-places"), "0") or 0)
    least = int(el.get(_q("number:min-decimal-places"), str(places)) or places)
    integer = int(el.get(_q("number:min-integer-digits"), "1") or 0)
    if el.get(_q("number:grouping")) == "true":
        whole = "#,##0" if integer <= 1 else "#," + "0" * max(integer, 3)
        whole = whole if integer else "#,###"
    else:
        whole = "0" * integer or "#"
    code = whole + ("." + "0" * min(least, places) + "#" * max(places - least, 0) if places else "")
    factor = el.get(_q("number:display-factor"), "1")
    return code + {"1000": ",", "1000000": ",,"}.get(factor, "")


def _ods_looks(path: Path) -> BookLooks | None:
    limits = DEFAULT_LIMITS
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        if "content.xml" not in names or any(
            i.file_size > limits.max_part_bytes for i in zf.infolist() if i.filename in ("content.xml", "styles.xml")
        ):
            return None
        styles = _OdsStyles()
        if "styles.xml" in names:
            root = etree.fromstring(zf.read("styles.xml"), _safe_parser())
            for el in root.iter(_FONT_FACE, _STYLE, _DEFAULT_STYLE, *_NUMBER_STYLES):
                styles.take(el)
        with zf.open("content.xml") as f:
            return _ods_content(f, styles)


def _ods_content(f, styles: _OdsStyles) -> BookLooks:
    base = styles.cell_props("Default")
    default = {key: base.get(key, value) for key, value in _ODS_DEFAULT_FONT.items()}
    looks = BookLooks(default)
    style_keys: dict[str | None, int | None] = {}

    def looks_of(props: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """What differs from the default font: for any text, and for Chinese text."""
        western = {k: v for k, v in props.items() if not k.startswith("_")}
        chinese = {k: v for k, v in western.items() if k not in _FONT_KEYS}  # the asian font has its own defaults
        chinese.update({k: props.get(f"_asian_{k}", default.get(k, False)) for k in _FONT_KEYS})
        return tuple(
            {k: v for k, v in p.items() if default.get(k, _NOTHING) != v and v not in (False, 0)}
            for p in (western, chinese)
        )  # type: ignore[return-value]

    def style(name: str | None) -> int | None:
        if name not in style_keys:
            style_keys[name] = looks.key(*looks_of(styles.cell_props(name)))
        return style_keys[name]

    plain, chinese = looks_of(base)
    if chinese != plain:
        looks.chinese[None] = chinese

    sheet: SheetLooks | None = None
    row = col = 0
    row_repeat = 1
    row_cells: list[
        tuple[int, int, int | None, int, int, bool]
    ] = []  # column, repeat, style, rows and columns spanned, value
    row_style: str | None = None
    blanks = 0
    for event, el in etree.iterparse(
        f,
        events=("start", "end"),
        huge_tree=True,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        tag=(_FONT_FACE, _STYLE, *_NUMBER_STYLES, _TABLE, _COLUMN, _ROW, _CELL, _COVERED),
    ):
        tag = el.tag
        if tag in (_FONT_FACE, _STYLE) or tag in _NUMBER_STYLES:
            if event == "end":
                styles.take(el)
                if sheet is None:
                    el.clear()
            continue
        if tag == _TABLE:
            if event == "start":
                sheet = looks.sheets.setdefault(el.get(_q("table:name"), ""), SheetLooks())
                row = col = 0
                blanks = 0
            else:
                el.clear()
                sheet = None
            continue
        if sheet is None:
            continue
        if tag == _COLUMN:
            if event == "start":
                repeat = _repeat(el, "number-columns-repeated")
                props = styles.raw.get(el.get(_q("table:style-name"), ""), ("", None, None, {}))[3]
                width = props.get("_width")
                cell_style = style(el.get(_q("table:default-cell-style-name")))
                hidden = el.get(_q("table:visibility"), "visible") != "visible"
                if width == 64:  # 2.258 cm, the default column: nothing to say
                    width = None
                if width is not None or cell_style is not None or hidden:
                    for c in range(col, min(col + repeat, MAX_COLUMNS)):
                        sheet.columns[c] = (width, cell_style, hidden)
                col += repeat
            continue
        if tag == _ROW:
            if event == "start":
                row_repeat = _repeat(el, "number-rows-repeated")
                row_style = el.get(_q("table:default-cell-style-name"))
                row_cells = []
                col = 0
                height = styles.raw.get(el.get(_q("table:style-name"), ""), ("", None, None, {}))[3].get("_height")
                hidden = el.get(_q("table:visibility"), "visible") != "visible"
                if (height is not None or hidden) and row_repeat <= REPEAT_KEPT:
                    for r in range(row, min(row + row_repeat, MAX_ROWS)):
                        sheet.rows[r] = (height, hidden)
            else:
                blanks = _ods_row(sheet, row, row_repeat, row_cells, blanks)
                row += row_repeat
                el.clear()
                while el.getprevious() is not None:  # keep memory flat on a long sheet
                    del el.getparent()[0]
            continue
        if event == "start":  # a cell: its style, span and whether it holds anything
            repeat = _repeat(el, "number-columns-repeated")
            name = el.get(_q("table:style-name")) or row_style
            has_value = el.get(_q("office:value-type")) is not None
            row_cells.append(
                (
                    col,
                    repeat,
                    style(name) if name else -1,
                    _repeat(el, "number-rows-spanned"),
                    _repeat(el, "number-columns-spanned") if tag == _CELL else 1,
                    has_value,
                )
            )
            col += repeat
        else:
            if len(el) and row_cells and not row_cells[-1][5]:  # text without a value type is a string
                row_cells[-1] = (*row_cells[-1][:5], True)
            el.clear()
    return looks


def _ods_row(sheet: SheetLooks, row: int, repeat_rows: int, cells: list, blanks: int) -> int:
    """The cells of one table-row (``repeat_rows`` times) into ``sheet``; returns the blank cells kept so far."""
    for col, repeat, key, rows_spanned, cols_spanned, has_value in cells:
        if (
            rows_spanned * cols_spanned > 1
            and rows_spanned * cols_spanned <= MERGE_CELLS_KEPT
            and repeat * repeat_rows <= REPEAT_KEPT
        ):
            for r in range(row, row + repeat_rows):
                for c in range(col, col + repeat):
                    sheet.merges.append((r, c, r + rows_spanned - 1, c + cols_spanned - 1))
        if key == -1:
            continue  # no style of its own: its column's
        if not has_value and (key is None or repeat * repeat_rows > REPEAT_KEPT):
            continue  # an empty default cell, or the empty rest of the sheet
        for r in range(row, min(row + repeat_rows, MAX_ROWS)):
            for c in range(col, min(col + repeat, MAX_COLUMNS)):
                if key == sheet.style(r, c):
                    continue
                if not has_value:
                    if blanks >= BLANK_CELLS_KEPT:
                        return blanks
                    blanks += 1
                    sheet.blanks.add((r, c))
                sheet.cells[(r, c)] = key
    return blanks


def _repeat(el, attribute: str) -> int:
    value = el.get(_q(f"table:{attribute}")) or "1"
    return int(value) if value.isdigit() and int(value) > 0 else 1
