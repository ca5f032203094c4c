"""The front sheet's chart: its drawing part (where it sits) and its chart part (what it shows)."""

from __future__ import annotations

from collections.abc import Callable

from ...a1 import column_letters
from ...a1 import parse as _parse_ref
from .cells import _escaped, _number
from .front_sheet import ColumnChart, FrontSheet

_EMU_PER_PIXEL = 9525
_XDR = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
_C = "http://schemas.openxmlformats.org/drawingml/2006/chart"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'


def drawing_xml(sheet: FrontSheet, chart: ColumnChart, chart_rid: str) -> bytes:
    """A drawing holding the chart, anchored to the cells it covers (the corners in pixels)."""
    row, col = _parse_ref(chart.anchor)
    x, y = chart.offset
    start = _walk(sheet.column_pixels, col, x)
    end = _walk(sheet.column_pixels, col, x + chart.size[0])
    top = _walk(sheet.row_pixels, row, y)
    bottom = _walk(sheet.row_pixels, row, y + chart.size[1])

    def marker(tag: str, c: tuple[int, int], r: tuple[int, int]) -> str:
        return (
            f"<xdr:{tag}><xdr:col>{c[0] - 1}</xdr:col><xdr:colOff>{c[1] * _EMU_PER_PIXEL}</xdr:colOff>"
            f"<xdr:row>{r[0] - 1}</xdr:row><xdr:rowOff>{r[1] * _EMU_PER_PIXEL}</xdr:rowOff></xdr:{tag}>"
        )

    cx, cy = (n * _EMU_PER_PIXEL for n in chart.size)
    return (
        f'{_DECLARATION}<xdr:wsDr xmlns:xdr="{_XDR}" xmlns:a="{_A}"><xdr:twoCellAnchor>'
        f"{marker('from', start, top)}{marker('to', end, bottom)}"
        '<xdr:graphicFrame macro=""><xdr:nvGraphicFramePr><xdr:cNvPr id="2" name="Chart 1"/>'
        "<xdr:cNvGraphicFramePr/></xdr:nvGraphicFramePr>"
        f'<xdr:xfrm><a:off x="0" y="0"/><a:ext cx="{cx}" cy="{cy}"/></xdr:xfrm>'
        f'<a:graphic><a:graphicData uri="{_C}"><c:chart xmlns:c="{_C}" xmlns:r="{_R}" r:id="{chart_rid}"/>'
        "</a:graphicData></a:graphic></xdr:graphicFrame><xdr:clientData/></xdr:twoCellAnchor></xdr:wsDr>"
    ).encode()


def _walk(pixels: Callable[[int], int], start: int, offset: int) -> tuple[int, int]:
    """The (column or row, pixels into it) that lies `offset` pixels on from the start of `start`."""
    n = start
    while offset >= pixels(n) > 0:
        offset -= pixels(n)
        n += 1
    return n, offset


def chart_xml(sheet: FrontSheet, chart: ColumnChart) -> bytes:
    """The chart, referring to the sheet's cells by name ('评分结果'!$B$18:$B$21), with their values
    cached so that it shows before the office suite recalculates."""
    quoted = "'" + sheet.name.replace("'", "''") + "'"
    categories = _strings(sheet, chart.categories, quoted)
    series = "".join(
        f'<c:ser><c:idx val="{i}"/><c:order val="{i}"/><c:tx><c:v>{_text(s.name)}</c:v></c:tx>'
        f'<c:spPr><a:solidFill><a:srgbClr val="{s.colour.lstrip("#").upper()}"/></a:solidFill></c:spPr>'
        f"<c:cat>{categories}</c:cat><c:val>{_numbers(sheet, s.values, quoted)}</c:val></c:ser>"
        for i, s in enumerate(chart.series)
    )
    size = round(chart.title_size * 100)
    return (
        f'{_DECLARATION}<c:chartSpace xmlns:c="{_C}" xmlns:a="{_A}" xmlns:r="{_R}"><c:lang val="en-US"/>'
        "<c:chart><c:title><c:tx><c:rich><a:bodyPr/><a:lstStyle/><a:p>"
        f'<a:pPr><a:defRPr sz="{size}" baseline="0"/></a:pPr><a:r><a:rPr lang="en-US" sz="{size}" baseline="0"/>'
        f"<a:t>{_text(chart.title)}</a:t></a:r></a:p></c:rich></c:tx><c:layout/></c:title>"
        '<c:plotArea><c:layout/><c:barChart><c:barDir val="col"/><c:grouping val="clustered"/>'
        f'{series}<c:gapWidth val="{chart.gap}"/><c:axId val="50010001"/><c:axId val="50010002"/></c:barChart>'
        '<c:catAx><c:axId val="50010001"/><c:scaling><c:orientation val="minMax"/></c:scaling>'
        '<c:axPos val="b"/><c:tickLblPos val="nextTo"/><c:crossAx val="50010002"/><c:crosses val="autoZero"/>'
        '<c:auto val="1"/><c:lblAlgn val="ctr"/><c:lblOffset val="100"/></c:catAx>'
        '<c:valAx><c:axId val="50010002"/><c:scaling><c:orientation val="minMax"/></c:scaling>'
        '<c:axPos val="l"/><c:majorGridlines/><c:numFmt formatCode="General" sourceLinked="1"/>'
        '<c:tickLblPos val="nextTo"/><c:crossAx val="50010001"/><c:crosses val="autoZero"/>'
        '<c:crossBetween val="between"/></c:valAx></c:plotArea>'
        '<c:legend><c:legendPos val="b"/><c:layout/></c:legend><c:plotVisOnly val="1"/></c:chart>'
        '<c:printSettings><c:headerFooter/><c:pageMargins b="0.75" l="0.7" r="0.7" t="0.75" header="0.3" '
        'footer="0.3"/><c:pageSetup/></c:printSettings></c:chartSpace>'
    ).encode()


def _column(sheet: FrontSheet, cells: str, quoted: str) -> tuple[str, list]:
    (top, col), (bottom, _) = (_parse_ref(p) for p in cells.split(":"))
    letters = column_letters(col)
    ref = f"{quoted}!${letters}${top}:${letters}${bottom}"
    return _text(ref), [sheet.value(row, col) for row in range(top, bottom + 1)]


def _strings(sheet: FrontSheet, cells: str, quoted: str) -> str:
    ref, values = _column(sheet, cells, quoted)
    points = "".join(
        f'<c:pt idx="{i}"><c:v>{_text(str(v))}</c:v></c:pt>' for i, v in enumerate(values) if v not in (None, "")
    )
    return f'<c:strRef><c:f>{ref}</c:f><c:strCache><c:ptCount val="{len(values)}"/>{points}</c:strCache></c:strRef>'


def _numbers(sheet: FrontSheet, cells: str, quoted: str) -> str:
    ref, values = _column(sheet, cells, quoted)
    points = "".join(
        f'<c:pt idx="{i}"><c:v>{_number(v)}</c:v></c:pt>' for i, v in enumerate(values) if isinstance(v, (int, float))
    )
    return (
        f"<c:numRef><c:f>{ref}</c:f><c:numCache><c:formatCode>General</c:formatCode>"
        f'<c:ptCount val="{len(values)}"/>{points}</c:numCache></c:numRef>'
    )


def _text(text: str) -> str:
    return _escaped(text)
