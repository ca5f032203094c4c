"""Read SpreadsheetML 2003 ("XML 表格"), the XML workbook the budget platform exports and names .xls
(national-form.md, "The forms arrive as"). None of the libraries we use reads it, so this reader is small:
one streaming pass (lxml's iterparse, no DTD, no entities, no network) for cells, merges, styles, widths and
heights, then the platform's uncalculated R1C1 formulas computed (``r1c1``) as Excel computes them on opening.

Placement follows Excel: a ``<Row>`` without ``ss:Index`` comes after the previous one (and its ``ss:Span``), a
``<Cell>`` without ``ss:Index`` after the previous cell and the columns its ``ss:MergeAcross`` covers. Cells a
``ss:MergeDown`` covers in later rows are not skipped: writers place the next cell there with ``ss:Index``.
The limits are sniff's: a file over them, a DTD, an entity, or an index past Excel's grid gets one clear line.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lxml import etree

from ..a1 import cell as a1_cell
from ..errors import UnreadableWorkbook
from . import r1c1

if TYPE_CHECKING:  # sniff imports this module to recognise the format
    from .sniff import Limits

SS = "urn:schemas-microsoft-com:office:spreadsheet"
HTML = "http://www.w3.org/TR/REC-html40"
MAX_ROWS, MAX_COLUMNS = 1_048_576, 16_384  # Excel's grid
FORMULA_DEPTH = 40  # formulas of formulas evaluated by recursion; a longer chain is computed from its far end first
FORMULA_READS = 2_000_000  # cell reads of one sheet's formulas (a form's are hundreds): the rest are not computed
_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?Workbook\b[^>]*urn:schemas-microsoft-com:office:spreadsheet")
_DECLARATION = re.compile(rb"<!(DOCTYPE|ENTITY)", re.I)
_PERCENT = re.compile(r"%")
_QUOTED = re.compile(r'"[^"]*"|\\.')
_NUMBER = re.compile(r"\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*")
_AGAIN = "请用 Excel 或 WPS 打开后另存为 .xlsx 再提交"


@dataclass(frozen=True)
class XmlStyle:
    """One ``<Style>``, its ``ss:Parent`` chain resolved: what the .xlsx copy needs to show the cell alike."""

    font_name: str | None = None
    font_size: float | None = None
    bold: bool = False
    italic: bool = False
    underline: str | None = None  # "Single", "Double" …
    color: str | None = None  # "#RRGGBB"
    fill: str | None = None
    horizontal: str | None = None
    vertical: str | None = None
    wrap: bool = False
    borders: dict[str, tuple[str, int]] = field(default_factory=dict)  # Left/Right/Top/Bottom → (LineStyle, Weight)
    number_format: str | None = None
    parent: str | None = None


@dataclass
class XmlSheet:
    """One ``<Worksheet>``: values (row 0 = Excel row 1, formulas computed) and how the sheet looks."""

    name: str
    rows: list[list[Any]] = field(default_factory=list)
    formulas: dict[str, str] = field(default_factory=dict)  # A1 → the R1C1 formula as written
    suspect: dict[str, str] = field(default_factory=dict)  # A1 → "" (not computable) or the error it gives
    styles: dict[tuple[int, int], str] = field(default_factory=dict)  # 0-based cell → its ss:StyleID
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # first row, first col, last row, last col
    column_widths: dict[int, float] = field(default_factory=dict)  # points
    row_heights: dict[int, float] = field(default_factory=dict)  # points
    hidden_columns: set[int] = field(default_factory=set)
    hidden_rows: set[int] = field(default_factory=set)
    percent_cells: set[str] = field(default_factory=set)  # A1 of numbers shown as percentages
    default_column_width: float | None = None
    default_row_height: float | None = None
    #: how it prints (WorksheetOptions): landscape, paper (Excel's paper index, 9 = A4), fit (pages wide, high),
    #: scale (percent), margins (left, right, top, bottom, in inches), center (horizontally, vertically)
    page: dict[str, Any] = field(default_factory=dict)


@dataclass
class XmlBook:
    sheets: list[XmlSheet]
    styles: dict[str, XmlStyle]


def is_spreadsheetml(head: bytes) -> bool:
    """Whether a file's first bytes (UTF-8, or UTF-16 with its byte order mark) open a SpreadsheetML workbook."""
    try:
        if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
            head = head.decode("utf-16", "ignore").encode("utf-8")
        head = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    except Exception:  # noqa: BLE001 - a look at bytes: whatever they are, they are not this
        return False
    return head.startswith(b"<") and _ROOT.search(head) is not None


def read_spreadsheetml(path: Path, limits: Limits | None = None) -> XmlBook:
    """Every sheet of the workbook at ``path``; raises UnreadableWorkbook (a Chinese line) for what must be refused.
    ``limits``: sniff's, by default.

    The reader and the scored copy's writer both need the book: the last one read is kept (by path, size and
    modification time), so a convert parses the file once. Its rows are the reader's: what the reader mends in
    them (control characters) the copy shows mended.
    """
    from .sniff import DEFAULT_LIMITS

    stat = path.stat()
    return _read_once(str(path.resolve()), stat.st_size, stat.st_mtime_ns, limits or DEFAULT_LIMITS)


@functools.lru_cache(maxsize=1)
def _read_once(name: str, size: int, mtime_ns: int, limits: Limits) -> XmlBook:
    path = Path(name)
    if size > limits.max_file_bytes:
        raise UnreadableWorkbook(
            f"文件有 {size >> 20} MB，超过 {limits.max_file_bytes >> 20} MB 的上限；请删除无关的工作表、图片后另存"
        )
    with path.open("rb") as f:
        prolog = f.read(1 << 16)
    if prolog[:2] in (b"\xff\xfe", b"\xfe\xff"):
        prolog = prolog.decode("utf-16", "ignore").encode("utf-8")
    root = _ROOT.search(prolog)
    if _DECLARATION.search(prolog[: root.start() if root else None]):
        raise UnreadableWorkbook(f"XML 表格中含有 DTD 或实体声明，正常的表格不会有，为安全起见不予读取；{_AGAIN}")
    reader = _Reader(limits)
    try:
        with path.open("rb") as f:
            for event, el in etree.iterparse(
                f,
                events=("start", "end"),
                resolve_entities=False,
                no_network=True,
                load_dtd=False,
                huge_tree=False,
                remove_comments=True,
            ):
                reader.event(event, el)
    except etree.XMLSyntaxError as exc:
        raise UnreadableWorkbook(f"XML 表格已损坏或不完整（{exc}）；{_AGAIN}") from None
    if not reader.sheets:
        raise UnreadableWorkbook(f"XML 表格中没有工作表；{_AGAIN}")
    styles = reader.resolved_styles()
    for sheet in reader.sheets:
        _finish(sheet, reader.cells[id(sheet)], reader.formula_cells[id(sheet)], styles)
    return XmlBook(reader.sheets, styles)


def _attr(el: Any, name: str) -> str | None:
    value = el.get(f"{{{SS}}}{name}")
    return value if value is not None else el.get(name)


def _local(el: Any) -> str:
    tag = el.tag
    return _localname(tag) if isinstance(tag, str) else ""


@functools.lru_cache(maxsize=256)  # a workbook has a few dozen tags, each seen up to millions of times
def _localname(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _int(el: Any, name: str, default: int = 0) -> int:
    value = _attr(el, name)
    if value is None:
        return default
    try:
        return int(float(value))
    except (ValueError, OverflowError):  # "abc", "nan", "inf"
        raise UnreadableWorkbook(f"XML 表格中的 ss:{name}=“{value[:20]}”不是数字，文件已损坏；{_AGAIN}") from None


def _float(el: Any, name: str) -> float | None:
    value = _attr(el, name)
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class _Reader:
    """The iterparse events of one workbook, turned into sheets as they come."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.sheets: list[XmlSheet] = []
        self.cells: dict[int, dict[tuple[int, int], Any]] = {}
        self.formula_cells: dict[int, dict[tuple[int, int], str]] = {}
        self.raw_styles: dict[str, tuple[str | None, dict[str, Any]]] = {}
        self.sheet: XmlSheet | None = None
        self.row = -1  # the last row placed (a Span's last)
        self.start = 0  # the row the cells being read stand in
        self.col = -1  # the last column placed in that row (a MergeAcross's last)
        self.column_at = -1  # the last <Column> placed
        self.count = 0  # cells of the sheet so far
        self.checked = False  # whether the document's DOCTYPE was looked at

    def event(self, event: str, el: Any) -> None:
        name = _local(el)
        if event == "start":
            if not self.checked:  # a DTD after what the prolog scan looked at (lxml neither loads nor expands it)
                self.checked = True
                if el.getroottree().docinfo.doctype:
                    raise UnreadableWorkbook(
                        f"XML 表格中含有 DTD 或实体声明，正常的表格不会有，为安全起见不予读取；{_AGAIN}"
                    )
            if name == "Worksheet":
                self.sheet = XmlSheet(_attr(el, "Name") or f"Sheet{len(self.sheets) + 1}")
                self.sheets.append(self.sheet)
                self.cells[id(self.sheet)] = {}
                self.formula_cells[id(self.sheet)] = {}
                self.row, self.column_at, self.count = -1, -1, 0
            elif name == "Table" and self.sheet is not None:
                self.sheet.default_column_width = _float(el, "DefaultColumnWidth")
                self.sheet.default_row_height = _float(el, "DefaultRowHeight")
            elif name == "Row" and self.sheet is not None:
                self.start_row(el)
            return
        if self.sheet is not None and name == "Cell":
            self.cell(el)
            el.clear()
        elif self.sheet is not None and name == "Column":
            self.column(el)
        elif name == "Row":
            el.clear()
            parent = el.getparent()
            if parent is not None:  # a million empty rows must not stay in the tree
                parent.remove(el)
        elif name == "Style":
            self.style(el)
        elif self.sheet is not None and name == "WorksheetOptions":
            self.sheet.page = _page(el)
        elif name == "Worksheet":
            self.sheet = None
            el.clear()

    def start_row(self, el: Any) -> None:
        assert self.sheet is not None
        if not len(el.attrib) and self.row + 1 < MAX_ROWS:  # most rows: after the previous one, nothing to keep
            self.row = self.start = self.row + 1
            self.col = -1
            return
        index = _int(el, "Index", self.row + 2) - 1
        if index <= self.row or index >= MAX_ROWS:
            raise UnreadableWorkbook(
                f"工作表“{self.sheet.name}”的行号 ss:Index={index + 1} 不合规（须递增且不超过 {MAX_ROWS}），"
                f"文件已损坏；{_AGAIN}"
            )
        span = _int(el, "Span", 0)
        if span < 0:
            raise UnreadableWorkbook(
                f"工作表“{self.sheet.name}”第 {index + 1} 行的 ss:Span={span} 不合规，文件已损坏；{_AGAIN}"
            )
        height = _float(el, "Height")
        hidden = _attr(el, "Hidden") in ("1", "true")
        for r in range(index, min(index + span + 1, index + 2)):  # a Span's rows alike: the first two kept
            if r >= self.limits.max_rows:
                break  # looks of rows past the data a sheet may hold: nothing to keep
            if height is not None:
                self.sheet.row_heights[r] = height
            if hidden:
                self.sheet.hidden_rows.add(r)
        self.row = index + span
        self.start = index
        self.col = -1

    def cell(self, el: Any) -> None:
        sheet = self.sheet
        assert sheet is not None
        r = self.start if self.row >= 0 else 0
        c = _int(el, "Index", self.col + 2) - 1
        if c <= self.col or c >= MAX_COLUMNS:
            raise UnreadableWorkbook(
                f"工作表“{sheet.name}”第 {r + 1} 行的列号 ss:Index={c + 1} 不合规（须递增且不超过 {MAX_COLUMNS}），"
                f"文件已损坏；{_AGAIN}"
            )
        across, down = _int(el, "MergeAcross"), _int(el, "MergeDown")
        if across < 0 or down < 0 or c + across >= MAX_COLUMNS or r + down >= MAX_ROWS:
            raise UnreadableWorkbook(
                f"工作表“{sheet.name}”的 {a1_cell(r + 1, c + 1)} 单元格的合并范围超出表格；{_AGAIN}"
            )
        self.col = c + across
        self.count += 1
        if r >= self.limits.max_rows or self.count > self.limits.max_cells:
            raise UnreadableWorkbook(
                f"工作表“{sheet.name}”的数据过多（超过 {self.limits.max_rows} 行或 {self.limits.max_cells} 个单元格的"
                f"上限）；请删除多余的行列后另存为 .xlsx 再提交"
            )
        if across or down:
            sheet.merges.append((r, c, r + down, c + across))
        style = _attr(el, "StyleID")
        if style:
            sheet.styles[(r, c)] = style
        formula = _attr(el, "Formula")
        if formula:
            self.formula_cells[id(sheet)][(r, c)] = formula
        data = next((child for child in el if _local(child) == "Data"), None)
        if data is not None:
            self.cells[id(sheet)][(r, c)] = self.value(data, sheet, r, c)

    def value(self, data: Any, sheet: XmlSheet, r: int, c: int) -> Any:
        kind = _attr(data, "Type") or "String"
        content = "".join(data.itertext())
        if kind == "Number":  # a decimal number; "NaN", "inf", "1_0" stay the text they are
            return float(content) if _NUMBER.fullmatch(content) and math.isfinite(float(content)) else content
        if kind == "Boolean":
            return content.strip() in ("1", "true", "TRUE")
        if kind == "DateTime":
            try:
                return dt.datetime.fromisoformat(content.strip()[:19])
            except ValueError:
                return content
        if kind == "Error":
            sheet.suspect[a1_cell(r + 1, c + 1)] = content.strip() or "#N/A"
            return None
        return content

    def column(self, el: Any) -> None:
        sheet = self.sheet
        assert sheet is not None
        index = _int(el, "Index", self.column_at + 2) - 1
        span = _int(el, "Span", 0)
        if index <= self.column_at or index + span >= MAX_COLUMNS or span < 0:
            raise UnreadableWorkbook(f"工作表“{sheet.name}”的列设置 ss:Index={index + 1} 不合规，文件已损坏；{_AGAIN}")
        width, hidden = _float(el, "Width"), _attr(el, "Hidden") in ("1", "true")
        for col in range(index, min(index + span, index + 255) + 1):  # a form has tens of columns, not thousands
            if width is not None:
                sheet.column_widths[col] = width
            if hidden:
                sheet.hidden_columns.add(col)
        self.column_at = index + span

    def style(self, el: Any) -> None:
        style_id = _attr(el, "ID")
        if not style_id:
            return
        props: dict[str, Any] = {}
        for child in el:
            part = _local(child)
            if part == "Font":
                props.update(
                    {
                        k: v
                        for k, v in (
                            ("font_name", _attr(child, "FontName")),
                            ("font_size", _float(child, "Size")),
                            ("bold", _flag(_attr(child, "Bold"))),
                            ("italic", _flag(_attr(child, "Italic"))),
                            ("underline", _attr(child, "Underline")),
                            ("color", _colour(_attr(child, "Color"))),
                        )
                        if v is not None
                    }
                )
            elif part == "Alignment":
                for key, attr in (("horizontal", "Horizontal"), ("vertical", "Vertical")):
                    if _attr(child, attr):
                        props[key] = _attr(child, attr)
                if _attr(child, "WrapText") is not None:
                    props["wrap"] = _attr(child, "WrapText") == "1"
            elif part == "Interior":
                colour = _colour(_attr(child, "Color"))
                if colour and _attr(child, "Pattern") != "None":
                    props["fill"] = colour
            elif part == "NumberFormat":
                if _attr(child, "Format"):
                    props["number_format"] = _attr(child, "Format")
            elif part == "Borders":
                borders = {}
                for border in child:
                    position, line = _attr(border, "Position"), _attr(border, "LineStyle") or "Continuous"
                    if position and line != "None":
                        borders[position] = (line, _int(border, "Weight", 1))
                props["borders"] = borders
        self.raw_styles[style_id] = (_attr(el, "Parent"), props)

    def resolved_styles(self) -> dict[str, XmlStyle]:
        """Each style over its ss:Parent (else "Default"), resolved down the chain without recursion (a file
        may chain thousands); a Parent that loops back is left out."""
        resolved: dict[str, XmlStyle] = {}
        for style_id in self.raw_styles:
            chain: list[str] = []  # style_id, its base, its base's base … down to a resolved one or none
            current: str | None = style_id
            while current is not None and current not in resolved and current not in chain:
                chain.append(current)
                parent_id = self.raw_styles[current][0]
                if parent_id in self.raw_styles and parent_id != current:
                    current = parent_id
                else:
                    current = "Default" if current != "Default" and "Default" in self.raw_styles else None
            base = resolved[current] if current in resolved else XmlStyle()
            for sid in reversed(chain):
                parent_id, props = self.raw_styles[sid]
                base = resolved[sid] = replace(base, parent=parent_id, **props)
        return resolved


def _flag(value: str | None) -> bool | None:
    """ss:Bold="1" / "0" (a child style's "0" undoes its parent's bold); None when not given."""
    return None if value is None else value.strip() in ("1", "true")


X = "urn:schemas-microsoft-com:office:excel"


def _page(options: Any) -> dict[str, Any]:
    """How a sheet prints, from its ``<WorksheetOptions>`` (Excel's namespace): what the copy should print alike."""

    def find(*path: str) -> Any:
        el = options
        for local in path:
            el = next((child for child in el if _local(child) == local), None)
            if el is None:
                return None
        return el

    def number(el: Any, attr: str | None = None) -> float | None:
        text = (el.get(f"{{{X}}}{attr}") if attr else el.text) if el is not None else None
        try:
            value = float(text) if text is not None else None
        except ValueError:
            return None
        return value if value is not None and math.isfinite(value) else None

    page: dict[str, Any] = {}
    layout = find("PageSetup", "Layout")
    if layout is not None:
        page["landscape"] = layout.get(f"{{{X}}}Orientation") == "Landscape"
        page["center"] = (layout.get(f"{{{X}}}CenterHorizontal") == "1", layout.get(f"{{{X}}}CenterVertical") == "1")
    margins = find("PageSetup", "PageMargins")
    if margins is not None:
        found = [number(margins, side) for side in ("Left", "Right", "Top", "Bottom")]
        if all(m is not None and 0 <= m < 10 for m in found):
            page["margins"] = tuple(found)
    paper = number(find("Print", "PaperSizeIndex"))
    if paper is not None and 0 < paper < 200:
        page["paper"] = int(paper)
    if find("FitToPage") is not None:
        wide, high = number(find("Print", "FitWidth")), number(find("Print", "FitHeight"))
        page["fit"] = (
            int(wide) if wide is not None and 0 <= wide < 1000 else 1,
            int(high) if high is not None and 0 <= high < 1000 else 1,
        )
    else:
        scale = number(find("Print", "Scale"))
        if scale is not None and 10 <= scale <= 400:
            page["scale"] = int(scale)
    return page


def _colour(value: str | None) -> str | None:
    if value and re.fullmatch(r"#[0-9A-Fa-f]{6}", value):
        return value.upper()
    return None


def _is_percent(style: XmlStyle | None) -> bool:
    fmt = style.number_format if style else None
    return bool(fmt) and (fmt == "Percent" or bool(_PERCENT.search(_QUOTED.sub("", fmt or ""))))


class _Deeper(Exception):
    """A formula chain went past FORMULA_DEPTH at ``cell``: that one is computed first, then the chain again."""

    def __init__(self, cell: tuple[int, int]) -> None:
        self.cell = cell


def _finish(
    sheet: XmlSheet,
    cells: dict[tuple[int, int], Any],
    formulas: dict[tuple[int, int], str],
    styles: dict[str, XmlStyle],
) -> None:
    """Compute the formulas, then lay the cells out as rows (the used area only: trailing empty rows go)."""
    computed: dict[tuple[int, int], Any] = {}
    busy: set[tuple[int, int]] = set()  # the formulas being evaluated, one inside the other
    waiting: set[tuple[int, int]] = set()  # formulas put aside until one deeper in their chain is computed
    reads = [0]

    def value_of(r: int, c: int, depth: int = 0) -> Any:
        reads[0] += 1
        if reads[0] > FORMULA_READS:
            raise r1c1.Unsupported("too many cells read")
        if (r, c) not in formulas:
            return cells.get((r, c))
        if (r, c) in computed:
            return computed[(r, c)]
        if (r, c) in busy or (r, c) in waiting:
            raise r1c1.Unsupported("a circular reference")
        if depth > FORMULA_DEPTH:
            raise _Deeper((r, c))
        busy.add((r, c))
        try:
            value = r1c1.evaluate(formulas[(r, c)], r, c, lambda rr, cc: value_of(rr, cc, depth + 1))
        finally:
            busy.discard((r, c))
        computed[(r, c)] = value
        return value

    def compute(start: tuple[int, int]) -> None:
        """``start`` computed, and first each formula of its chain found past FORMULA_DEPTH (an explicit stack
        instead of Python's, whose depth a long chain would exceed)."""
        stack = [start]
        while stack:
            here = stack[-1]
            waiting.discard(here)
            try:
                value_of(*here)
                stack.pop()
            except _Deeper as deeper:
                waiting.add(here)
                stack.append(deeper.cell)
            except (r1c1.Unsupported, RecursionError):
                computed[here] = r1c1.FormulaError("")
                stack.pop()
        waiting.clear()

    for (r, c), formula in formulas.items():
        ref = a1_cell(r + 1, c + 1)
        sheet.formulas[ref] = formula
        if (r, c) not in computed:
            compute((r, c))
        value = computed[(r, c)]
        if isinstance(value, r1c1.FormulaError):
            sheet.suspect[ref] = str(value)
            cells[(r, c)] = None
        else:
            cells[(r, c)] = value
            sheet.suspect.pop(ref, None)
    used = [rc for rc, v in cells.items() if v is not None and v != ""]
    height = max((r for r, _ in used), default=-1) + 1
    rows: list[list[Any]] = [[] for _ in range(height)]
    for (r, c), value in cells.items():
        if r < height:
            row = rows[r]
            if len(row) <= c:
                row.extend([None] * (c + 1 - len(row)))
            row[c] = value
    sheet.rows = rows
    for (r, c), style_id in sheet.styles.items():
        value = cells.get((r, c))
        if isinstance(value, (int, float)) and not isinstance(value, bool) and _is_percent(styles.get(style_id)):
            sheet.percent_cells.add(a1_cell(r + 1, c + 1))
