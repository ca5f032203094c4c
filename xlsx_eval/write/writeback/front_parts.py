"""The front sheet into the package: its worksheet, drawing and chart parts, written as text, with
their relationships and content types; the sheet goes first in the workbook and is the active tab."""

from __future__ import annotations

from ...a1 import cell as _a1
from .cells import _escaped, _number
from .chart_xml import chart_xml, drawing_xml
from .front_sheet import FrontSheet, _Cell
from .ooxml import (
    _CT_CHART,
    _CT_DRAWING,
    _CT_WORKSHEET,
    _MAIN,
    _R,
    _REL_CHART,
    _REL_DRAWING,
)
from .package import _Rels
from .workbook import _Book

_SELECTED = ' tabSelected="1"'
_ATTR = {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}


def _front_styles(book: _Book, front: FrontSheet) -> dict[int, int]:
    """The front sheet's formats added to the book's styles: id(format) → its cellXfs index. Called before any
    cell is painted, while styles.xml is as read, so that a batch's packages of one template share the outcome."""
    # By identity: a layout shares a few format objects among its cells (equal ones get one xf anyway).
    formats = list({id(cell.fmt): cell.fmt for cell in front.cells.values() if cell.fmt is not None}.values())
    return dict(zip(map(id, formats), book.styles.add_formats(formats), strict=True))


def _add_front(book: _Book, front: FrontSheet, styles: dict[int, int], selected: bool = True) -> None:
    """Add the front sheet's parts to the book, its cells in ``styles`` (``_front_styles``), and the sheet first in
    its list (``selected``: its tab selected, as the active sheet's is)."""
    pkg = book.pkg
    part = pkg.fresh("xl/worksheets/sheet1.xml")
    drawing_rid = None
    if front.chart is not None:
        drawing, chart = pkg.fresh("xl/drawings/drawing1.xml"), pkg.fresh("xl/charts/chart1.xml")
        pkg.put(chart, chart_xml(front, front.chart))
        book.ct.set(chart, _CT_CHART)
        pkg.put(drawing, drawing_xml(front, front.chart, _Rels(pkg, drawing).add(_REL_CHART, chart)))
        book.ct.set(drawing, _CT_DRAWING)
        drawing_rid = _Rels(pkg, part).add(_REL_DRAWING, drawing)
    pkg.put(part, sheet_xml(front, styles, drawing_rid, selected))
    book.ct.set(part, _CT_WORKSHEET)
    book.insert_front(front.name, part)


def sheet_xml(front: FrontSheet, styles: dict[int, int], drawing_rid: str | None, selected: bool = True) -> bytes:
    """The worksheet part, elements in the schema's order; `styles` maps id(format) to its cellXfs index."""
    out = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n', f'<worksheet xmlns="{_MAIN}" xmlns:r="{_R}">']
    code_name = f' codeName="{_attr(front.code_name)}"' if front.code_name else ""
    out.append(f'<sheetPr{code_name}><pageSetUpPr fitToPage="1"/></sheetPr>')
    if front.cells:
        bottom = max(r for r, _ in front.cells)
        right = max(c for _, c in front.cells)
        out.append(f'<dimension ref="A1:{_a1(bottom, right)}"/>')
    out.append(
        f'<sheetViews><sheetView showGridLines="0"{_SELECTED if selected else ""} workbookViewId="0"/>'
        '</sheetViews><sheetFormatPr defaultRowHeight="15"/>'
    )
    if front.widths:
        # The file holds the width with the cell padding, in 1/256 characters.
        widths = {c: _number(int(front.column_pixels(c) / 7 * 256) / 256) for c in sorted(front.widths)}
        cols = "".join(f'<col min="{c}" max="{c}" width="{w}" customWidth="1"/>' for c, w in widths.items())
        out.append(f"<cols>{cols}</cols>")
    out.append("<sheetData>")
    by_row: dict[int, list[tuple[int, _Cell]]] = {r: [] for r in front.heights}
    for (r, c), cell in front.cells.items():
        by_row.setdefault(r, []).append((c, cell))
    for r in sorted(by_row):
        height = ""
        if r in front.heights:
            height = f' ht="{_number(front.row_pixels(r) * 0.75)}" customHeight="1"'
        cells = "".join(_cell(r, c, cell, styles) for c, cell in sorted(by_row[r], key=lambda x: x[0]))
        out.append(f'<row r="{r}"{height}>{cells}</row>' if cells else f'<row r="{r}"{height}/>')
    out.append("</sheetData>")
    if front.merged:
        merged = "".join(f'<mergeCell ref="{ref}"/>' for ref in front.merged)
        out.append(f'<mergeCells count="{len(front.merged)}">{merged}</mergeCells>')
    links = sorted((rc, cell.link, cell) for rc, cell in front.cells.items() if cell.link)
    if links:
        out.append("<hyperlinks>")
        for (r, c), (location, tip), cell in links:
            tooltip = f' tooltip="{_attr(tip)}"' if tip else ""
            out.append(
                f'<hyperlink ref="{_a1(r, c)}" location="{_attr(location)}"{tooltip} '
                f'display="{_attr(str(cell.value))}"/>'
            )
        out.append("</hyperlinks>")
    out.append(
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
        '<pageSetup paperSize="9" fitToWidth="1" fitToHeight="0" orientation="landscape"/>'
    )
    if drawing_rid:
        out.append(f'<drawing r:id="{drawing_rid}"/>')
    out.append("</worksheet>")
    return "".join(out).encode()


def _cell(r: int, c: int, cell: _Cell, styles: dict[int, int]) -> str:
    style = styles[id(cell.fmt)] if cell.fmt is not None else 0
    head = f'<c r="{_a1(r, c)}"' + (f' s="{style}"' if style else "")
    value = cell.value
    if value is None or value == "":
        return head + "/>"
    if isinstance(value, str):
        space = ' xml:space="preserve"' if value != value.strip() or "\n" in value else ""
        return f'{head} t="inlineStr"><is><t{space}>{_escaped(value)}</t></is></c>'
    return f"{head}><v>{_number(value)}</v></c>"


def _attr(text: str) -> str:
    return _escaped(text, _ATTR)
