"""The OOXML vocabulary (namespaces, relationship and content types, the schema's element
orders) and the small XML helpers every part uses.
"""

from __future__ import annotations

from lxml import etree

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_EP = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
_VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"

_REL_OFFICE_DOCUMENT = _R + "/officeDocument"
_REL_WORKSHEET = _R + "/worksheet"
_REL_STYLES = _R + "/styles"
_REL_CALC_CHAIN = _R + "/calcChain"
_REL_COMMENTS = _R + "/comments"
_REL_VML = _R + "/vmlDrawing"
_REL_EXTENDED = _R + "/extended-properties"
_REL_DRAWING = _R + "/drawing"
_REL_CHART = _R + "/chart"

_CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
_CT_COMMENTS = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
_CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"
_CT_DRAWING = "application/vnd.openxmlformats-officedocument.drawing+xml"
_CT_CHART = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
_WORKBOOK_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    "application/vnd.ms-excel.template.macroEnabled.main+xml",
}

# Child order of CT_Worksheet, CT_Workbook and CT_Stylesheet (ECMA-376 Part 1, §18).
_WORKSHEET_ORDER = (
    "sheetPr dimension sheetViews sheetFormatPr cols sheetData sheetCalcPr sheetProtection "
    "protectedRanges scenarios autoFilter sortState dataConsolidate customSheetViews mergeCells "
    "phoneticPr conditionalFormatting dataValidations hyperlinks printOptions pageMargins "
    "pageSetup headerFooter rowBreaks colBreaks customProperties cellWatches ignoredErrors "
    "smartTags drawing legacyDrawing legacyDrawingHF drawingHF picture oleObjects controls "
    "webPublishItems tableParts extLst"
).split()
_WORKBOOK_ORDER = (
    "fileVersion fileSharing workbookPr workbookProtection bookViews sheets functionGroups "
    "externalReferences definedNames calcPr oleSize customWorkbookViews pivotCaches "
    "smartTagPr smartTagTypes webPublishing fileRecoveryPr webPublishObjects extLst"
).split()
_STYLES_ORDER = ("numFmts fonts fills borders cellStyleXfs cellXfs cellStyles dxfs tableStyles colors extLst").split()
_STYLE_ITEM = {
    "numFmts": "numFmt",
    "fonts": "font",
    "fills": "fill",
    "borders": "border",
    "cellStyleXfs": "xf",
    "cellXfs": "xf",
    "dxfs": "dxf",
}


def _q(local: str, ns: str = _MAIN) -> str:
    return f"{{{ns}}}{local}"


def _local(el: etree._Element) -> str:
    tag = el.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""  # not QName: this runs per child


def _children(parent: etree._Element, local: str) -> list[etree._Element]:
    return [c for c in parent if _local(c) == local]


def _insert_in_order(parent: etree._Element, child: etree._Element, order: list[str]) -> None:
    """Move `child` (a child of parent) right after the last sibling the schema puts before it.
    Siblings the order does not know (xr:revisionPtr...) are stepped over, not ranked."""
    rank = order.index(_local(child))
    parent.remove(child)
    anchor = None
    for sibling in parent:
        sibling_rank = _rank(sibling, order)
        if sibling_rank is not None and sibling_rank <= rank:
            anchor = sibling
    if anchor is None:
        parent.insert(0, child)
    else:
        anchor.addnext(child)


def _rank(el: etree._Element, order: list[str]) -> int | None:
    name = _local(el)
    if el.tag == _q("AlternateContent", _MC):  # ranked by what it wraps: <mc:Choice><controls>
        inner = [g for c in el for g in c if isinstance(g.tag, str)]
        name = _local(inner[0]) if inner else ""
    return order.index(name) if name in order else None
