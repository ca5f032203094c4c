"""The shipped 自评报告 template: a Word document with docxtpl (jinja2) tags, laid out as GB/T 9704 asks.

It is built here, in code, so that its wording and layout can be reviewed as text; ``xlsx-eval template
--report`` writes it out for a bureau to edit in Word and hand back with ``--report-template``. The
variables it uses are those of ``report.report_context``; the README lists them.

Typography (GB/T 9704-2012): A4; margins 37 / 35 / 28 / 26 mm (top, bottom, left, right), giving the
156 × 225 mm type area of 22 lines; title 宋体 二号 bold; body 仿宋 三号 on a fixed 29 pt line; 一级标题
黑体 三号, 二级标题 楷体 三号; page numbers "— 1 —" in 宋体 四号, odd pages right, even pages left. Tables
are 仿宋 五号 on single lines (never the body's 29 pt); headings keep with what follows them, and no paragraph
leaves a single line at the foot or head of a page. The fonts
are the ones every Chinese Windows has (宋体, 仿宋, 黑体, 楷体), so Word and WPS find them; digits and Latin
text use Times New Roman.
"""

from __future__ import annotations

import datetime as dt
import functools
import io

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

LATIN = "Times New Roman"
SIZE_2, SIZE_3, SIZE_4, SIZE_5 = Pt(22), Pt(16), Pt(14), Pt(10.5)  # 二号, 三号, 四号, 五号
LINE = Pt(29)  # 225 mm of type area / 22 lines
TYPE_WIDTH = 156  # mm: 210 − 28 − 26
#: mm of the 一级指标 column: five characters of 五号 (5 × 10.5 pt = 18.5 mm, e.g. 满意度指标, 预算执行率) and the
#: Table Grid's cell margins (2 × 108 twips = 3.8 mm) on one line, with a little to spare. The score table's
#: 预期指标值 and 实际完成值 (23 mm) and 自评得分 (19 mm) are sized the same way.
LEVEL1_WIDTH = 24

# Fixed so that the same code always writes the same template.
CREATED = dt.datetime(2020, 1, 1)

#: (style, east-Asian font, size, bold); Title, the two heading levels, the body and table text.
STYLES = {
    "Title": ("宋体", SIZE_2, True),
    "Heading 1": ("黑体", SIZE_3, False),
    "Heading 2": ("楷体", SIZE_3, False),
    "Normal": ("仿宋", SIZE_3, False),
}
TABLE_STYLE = "表格文字"  # 仿宋 五号, single-spaced, no indent
FOOTER_STYLE = "页码"


@functools.cache
def report_template_bytes() -> bytes:
    """The default report template as .docx bytes (built once per process)."""
    doc = Document()
    _styles(doc)
    _page(doc)
    _body(doc)
    props = doc.core_properties
    props.title, props.subject, props.author = "项目自评报告", "财政支出绩效自评", "xlsx-eval"
    props.created = props.modified = CREATED
    props.last_modified_by, props.revision = "xlsx-eval", 1
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _page(doc) -> None:
    section = doc.sections[0]
    section.start_type = WD_SECTION.NEW_PAGE
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.footer_distance = Mm(23)  # the page number sits 7 mm below the type area (35 − 7 − its 5 mm)
    doc.settings.odd_and_even_pages_header_footer = True
    _page_number(section.footer.paragraphs[0], WD_ALIGN_PARAGRAPH.RIGHT)
    _page_number(section.even_page_footer.paragraphs[0], WD_ALIGN_PARAGRAPH.LEFT)


def _page_number(paragraph, align) -> None:
    """ "— 7 —", one character in from the outer edge."""
    paragraph.style = FOOTER_STYLE
    paragraph.alignment = align
    if align == WD_ALIGN_PARAGRAPH.RIGHT:
        paragraph.paragraph_format.right_indent = SIZE_4
    else:
        paragraph.paragraph_format.left_indent = SIZE_4
    paragraph.add_run("— ")
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, "PAGE"), ("separate", None), (None, "1"), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        elif text == "PAGE":
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = " PAGE "
        else:
            el = OxmlElement("w:t")
            el.text = text
        run._r.append(el)
    paragraph.add_run(" —")


def _fonts(style, east_asian: str) -> None:
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in list(fonts.attrib):  # theme fonts would override the named ones
        del fonts.attrib[attr]
    fonts.set(qn("w:ascii"), LATIN)
    fonts.set(qn("w:hAnsi"), LATIN)
    fonts.set(qn("w:cs"), LATIN)
    fonts.set(qn("w:eastAsia"), east_asian)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:eastAsia"), "zh-CN")


def _styles(doc) -> None:
    for name, (font, size, bold) in STYLES.items():
        style = doc.styles[name]
        _fonts(style, font)
        style.font.size, style.font.bold, style.font.italic = size, bold, False
        style.font.color.rgb = RGBColor(0, 0, 0)
        fmt = style.paragraph_format
        fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, LINE
        fmt.space_before = fmt.space_after = Pt(0)
        fmt.first_line_indent = None if name == "Title" else SIZE_3 * 2
        fmt.keep_with_next = fmt.keep_together = name != "Normal"  # a heading never ends a page
        fmt.widow_control = True
    title = doc.styles["Title"]
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.line_spacing = Pt(36)
    border = title.element.pPr.find(qn("w:pBdr"))  # python-docx's Title has a rule under it; forms have none
    if border is not None:
        title.element.pPr.remove(border)
    for name, font, size in ((TABLE_STYLE, "仿宋", SIZE_5), (FOOTER_STYLE, "宋体", SIZE_4)):
        style = doc.styles.add_style(name, 1)  # 1: paragraph style
        style.base_style = doc.styles["Normal"]
        _fonts(style, font)
        style.font.size = size
        fmt = style.paragraph_format
        fmt.first_line_indent = Pt(0)
        fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE  # its own single line, not Normal's fixed 29 pt
        fmt.keep_with_next = False


def _body(doc) -> None:
    title = ["{{ unit }}", "{{ project }}", "项目自评报告"]
    for line in title:
        doc.add_paragraph(line, style="Title")
    doc.add_paragraph("")
    doc.add_paragraph(
        "根据{{ basis }}，遵循“科学性、规范性、客观性和公正性”的原则，对{{ project_ref }}实施了"
        "财政支出绩效自评价，形成本评价报告。"
    )

    doc.add_paragraph("一、项目基本情况", style="Heading 1")
    doc.add_paragraph("（一）项目概况", style="Heading 2")
    _paragraphs(doc, "overview")
    doc.add_paragraph(
        "{% if unit_check %}{{ year }}年度{{ unit }}{{ project }}的金额单位疑似填错，"
        "预算和资金执行情况见“预算执行情况”一节的说明。{% else %}"
        "{{ year }}年度{{ unit }}{{ project }}预算{{ budget }}{{ money_unit }}"
        "{% if received %}，资金到位{{ received }}{{ money_unit }}{% endif %}"
        "{% if fiscal %}（其中财政资金{{ fiscal }}{{ money_unit }}）{% endif %}"
        "，资金执行{{ executed }}{{ money_unit }}，预算执行率{{ execution_rate }}。{% endif %}"
    )
    doc.add_paragraph("（二）项目预期绩效目标", style="Heading 2")
    _table(doc, ["绩效目标"], ["{{ g }}"], "g in goals")
    doc.add_paragraph("").paragraph_format.keep_with_next = True
    _table(
        doc,
        ["一级指标", "二级指标", "三级指标", "绩效指标描述", "指标值", "指标值确定依据"],
        ["{{ t.level1 }}", "{{ t.level2 }}", "{{ t.name }}", "{{ t.description }}", "{{ t.target }}", "{{ t.basis }}"],
        "t in targets",
        widths=(LEVEL1_WIDTH, 22, 30, 42, 18, 20),
    )
    _paragraphs(doc, "targets_note")

    doc.add_paragraph("二、自评工作情况", style="Heading 1")
    doc.add_paragraph("（一）自评的组织工作", style="Heading 2")
    _paragraphs(doc, "organisation")
    _paragraphs(doc, "team_lines")
    doc.add_paragraph("（二）自评的方法和过程", style="Heading 2")
    _paragraphs(doc, "method")
    doc.add_paragraph("年度绩效指标完成情况如下表：").paragraph_format.keep_with_next = True
    table = _table(
        doc,
        ["一级指标", "二级指标", "三级指标", "预期指标值", "实际完成值", "分值", "自评得分"],
        [
            "{{ s.level1 }}",
            "{{ s.level2 }}",
            "{{ s.name }}",
            "{{ s.target }}",
            "{{ s.actual }}",
            "{{ s.weight }}",
            "{{ s.score }}",
        ],
        "s in scores",
        widths=(LEVEL1_WIDTH, 24, 31, 23, 23, 12, 19),
    )
    total = table.add_row().cells
    total[0].merge(total[5]).paragraphs[0].text = "总分"
    total[6].paragraphs[0].text = "{{ total }}"
    for cell in (total[0], total[6]):
        cell.paragraphs[0].style = TABLE_STYLE
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    _paragraphs(doc, "scores_note")

    doc.add_paragraph("三、项目执行及绩效实现情况", style="Heading 1")
    doc.add_paragraph("（一）预算执行情况", style="Heading 2")
    doc.add_paragraph("{%p if unit_check %}")
    _paragraphs(doc, "unit_check")
    doc.add_paragraph("{%p else %}")
    doc.add_paragraph("{{ project }}合计支出{{ ledger_total }}{{ money_unit }}，具体支出执行情况如下：")
    doc.add_paragraph("{%p endif %}")
    _paragraphs(doc, "payments")
    _paragraphs(doc, "mismatch")
    doc.add_paragraph("（二）项目产出", style="Heading 2")
    _paragraphs(doc, "outputs")
    doc.add_paragraph("（三）项目效益", style="Heading 2")
    _paragraphs(doc, "benefits")
    doc.add_paragraph("（四）满意度", style="Heading 2")
    _paragraphs(doc, "satisfaction")

    doc.add_paragraph("四、项目综合评价结论和评价等级", style="Heading 1")
    doc.add_paragraph(
        "根据项目执行情况和项目绩效情况，{{ project_ref }}总得分为{{ total }}，项目综合绩效评价等级为{{ grade }}。"
    )

    doc.add_paragraph("五、存在的问题及改进措施", style="Heading 1")
    doc.add_paragraph("（一）项目存在的主要问题", style="Heading 2")
    _paragraphs(doc, "problems")
    doc.add_paragraph("（二）针对问题提出的改进措施和建议", style="Heading 2")
    _paragraphs(doc, "measures")

    doc.add_paragraph("六、评价工作组人员名单及签字", style="Heading 1")
    doc.add_paragraph("{%p if team %}")
    doc.add_paragraph("评价工作组由以下人员组成：").paragraph_format.keep_with_next = True
    _table(
        doc,
        ["姓名", "工作单位", "职务", "职称", "分工", "签字"],
        ["{{ m.name }}", "{{ m.organisation }}", "{{ m.post }}", "{{ m.title }}", "{{ m.role }}", ""],
        "m in team",
        widths=(22, 46, 30, 22, 16, 20),
    )
    doc.add_paragraph("{%p else %}")
    doc.add_paragraph("本项目自评由{{ unit }}组织实施。")
    doc.add_paragraph("{%p endif %}")


def _paragraphs(doc, name: str) -> None:
    """One body paragraph per item of the list ``name``."""
    doc.add_paragraph(f"{{%p for line in {name} %}}")
    doc.add_paragraph("{{ line }}")
    doc.add_paragraph("{%p endfor %}")


def _table(doc, header: list[str], cells: list[str], loop: str, widths: tuple[int, ...] = (TYPE_WIDTH,)):
    """A bordered table across the type area (``widths`` in mm): a header row repeated on every page, then
    one row per item of ``loop``, each kept whole on one page."""
    table = doc.add_table(rows=4, cols=len(header))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Mm(width)
    head, start, row, end = table.rows
    _row_property(head, "w:tblHeader")
    _row_property(row, "w:cantSplit")
    start.cells[0].paragraphs[0].text = f"{{%tr for {loop} %}}"
    end.cells[0].paragraphs[0].text = "{%tr endfor %}"
    for i, text in enumerate(header):
        head.cells[i].paragraphs[0].add_run(text).bold = True
        row.cells[i].paragraphs[0].text = cells[i]
    for r in table.rows:
        for i, cell in enumerate(r.cells):
            cell.paragraphs[0].style = TABLE_STYLE
            cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
            cell.width = Mm(widths[i])
    return table


def _row_property(row, tag: str) -> None:
    el = OxmlElement(tag)
    el.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(el)
