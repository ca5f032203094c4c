"""The 自评报告 (self-evaluation report) as Word, rendered from the scored result with a docxtpl template.

Every figure in the report comes from the same result the workbook was scored with, so the report
cannot disagree with the workbook. The ledger is reported as it is: when 全年执行数 differs from the sum
of 支出明细, the report lists the payments, gives their true total and names the difference.

A section the workbook has no text for gets a neutral sentence built from the figures (e.g. 项目效益 from
the 效益指标 rows), never a gap or a placeholder.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from itertools import groupby
from pathlib import Path
from typing import Any

from .errors import ReportTemplateError
from .files import atomic_path
from .model import IndicatorScore, Payment, Result, Workbook
from .values import half_up, plain

#: Beyond this many payments the report gives one sentence a month, not one a payment date.
PAYMENTS_LISTED = 100
SIGNS = ("≥", "≤", "=")
EXECUTION_LEVEL = "预算执行率指标"
#: The names report_context gives a template (the README's 报告模板 section explains each).
VARIABLES = frozenset({
    "unit", "project", "project_ref", "year", "basis", "money_unit", "budget", "received", "fiscal", "executed",
    "ledger_total", "execution_rate", "overview", "goals", "targets", "organisation", "team_lines", "method",
    "scores", "total", "grade", "payments", "mismatch", "outputs", "benefits", "satisfaction", "problems",
    "measures", "team",
})


@dataclass(frozen=True)
class ReportOptions:
    """How reports are written: ``template`` is a bureau's own .docx template (None: the shipped one)."""

    template: Path | None = None


def check_template(template: Path) -> None:
    """Raise ReportTemplateError now, before any workbook is read, if ``template`` cannot render a report."""
    _prepare(template)


def write_report(wb: Workbook, result: Result, dest: Path, template: Path | None = None) -> Path:
    """Render the report of a scored ``result`` to ``dest`` (.docx), written atomically.

    ``template``: a bureau's own .docx template; default the shipped one. Raises ReportTemplateError
    when the template cannot be used (not a .docx, a bad tag, an unknown variable).
    """
    from jinja2 import TemplateError

    doc, env = _prepare(template)
    try:
        doc.render(report_context(wb, result), env)
    except TemplateError as exc:
        raise _template_error(template, exc) from None
    with atomic_path(dest) as tmp:
        tmp.write_bytes(_dated(doc))
    return dest


def _dated(doc) -> bytes:
    """The .docx with every zip member dated 1980-01-01: the same report is then the same bytes, so that a
    rerun of convert does not make `email` send it again as a changed file."""
    import zipfile

    rendered = io.BytesIO()
    doc.save(rendered)
    out = io.BytesIO()
    with zipfile.ZipFile(rendered) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0)), src.read(info),
                         compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _prepare(template: Path | None):
    """The template loaded, and checked: it opens, its tags parse, and it uses only known variables."""
    from docxtpl import DocxTemplate
    from jinja2 import Environment, StrictUndefined, TemplateError

    source = _template_source(template)
    key = _template_key(template)
    try:
        doc = DocxTemplate(source)
        env = Environment(undefined=StrictUndefined, autoescape=True)
        unknown = [] if key in _checked else sorted(doc.get_undeclared_template_variables(env) - VARIABLES)
    except TemplateError as exc:
        raise _template_error(template, exc, _bad_tag(doc.get_docx(), env)) from None
    except Exception as exc:  # not a zip, no word/document.xml: python-docx's own errors
        raise ReportTemplateError(f"报告模板 {template} 无法打开：不是有效的 Word（.docx）文件"
                                  f"（技术信息：{type(exc).__name__}: {exc}）") from None
    if unknown:
        raise ReportTemplateError(
            f"报告模板 {_name(template)} 使用了未知的变量：{'、'.join(unknown)}；"
            f"可用的变量见 README“报告模板”一节，或用 xlsx-eval template --report 写出默认模板对照")
    _checked.add(key)
    return doc, env


_checked: set[tuple] = set()  # templates already found good in this process (a batch renders one many times)


def _template_key(template: Path | None) -> tuple:
    if template is None:
        return ()
    stat = Path(template).stat()
    return str(Path(template).resolve()), stat.st_mtime_ns, stat.st_size


def _template_source(template: Path | None):
    if template is not None:
        if not Path(template).is_file():
            raise ReportTemplateError(f"找不到报告模板 {template}")
        return str(template)
    from .report_template import report_template_bytes

    return io.BytesIO(report_template_bytes())


def _name(template: Path | None) -> str:
    return str(template) if template else "（默认模板）"


def _template_error(template: Path | None, exc, paragraph: str | None = None) -> ReportTemplateError:
    """Name the tag: the paragraph that holds it, or the paragraphs docxtpl shows around a rendering error."""
    near = [paragraph] if paragraph else [line.strip() for line in getattr(exc, "docx_context", [])
                                          if "{" in line or "%" in line]
    where = f"，出错的段落：{' / '.join(near)}" if near else ""
    return ReportTemplateError(f"报告模板 {_name(template)} 中的标签有误{where}（{exc.message or exc}）；"
                               f"标签应写成 {{{{ 变量名 }}}} 或 {{% for … %}} … {{% endfor %}}，括号成对、写在同一段落内")


_DELIMITERS = re.compile(r"\{\{|\}\}|\{%|%\}")
_STATEMENT = re.compile(r"\{%-?\s*(?:[prc]|tr|tc)?\s+(\w+)|\{%-?\s*(\w+)")


def _bad_tag(document, env) -> str | None:
    """The text of the first paragraph whose tags are not closed, whose {{ … }} does not parse, or whose
    {% for %} / {% if %} is never ended (or ends what was never begun)."""
    from docx.oxml.ns import qn
    from jinja2 import TemplateError

    blocks: list[str] = []  # paragraphs with a for / if still open
    parts = [document.element.body] + [s.element for sec in document.sections
                                       for s in (sec.header, sec.footer, sec.even_page_header,
                                                 sec.even_page_footer, sec.first_page_header, sec.first_page_footer)
                                       if not s.is_linked_to_previous]
    for part in parts:
        for p in part.iter(qn("w:p")):
            text = "".join(t.text or "" for t in p.iter(qn("w:t")))
            marks = _DELIMITERS.findall(text)
            if any(opening + closing not in ("{{}}", "{%%}") for opening, closing in zip(marks[::2], marks[1::2])) \
                    or len(marks) % 2:
                return text
            for expression in re.findall(r"\{\{.*?\}\}", text):
                try:
                    env.parse(expression)
                except TemplateError:
                    return text
            for match in _STATEMENT.finditer(text):
                word = match.group(1) or match.group(2)
                if word in ("for", "if"):
                    blocks.append(text)
                elif word in ("endfor", "endif"):
                    if not blocks:
                        return text
                    blocks.pop()
    return blocks[-1] if blocks else None


def report_context(wb: Workbook, result: Result) -> dict[str, Any]:
    """The variables a report template may use, each a string or a list of strings / records."""
    p, funds = wb.project, result.funds
    unit = funds.unit
    project = p.name or ""
    scores = result.indicators
    return {
        "unit": p.unit or "",
        "project": project,
        "project_ref": project if project.endswith("项目") else f"{project}项目",
        "year": str(p.year or ""),
        "basis": p.basis or "财政支出绩效评价的有关规定",
        "money_unit": unit,
        "budget": _figure(funds.budget),
        "received": _figure(funds.received),
        "fiscal": _figure(funds.fiscal),
        "executed": _figure(funds.executed),
        "ledger_total": _figure(funds.ledger_total if funds.ledger_total is not None else funds.executed),
        "execution_rate": _percent(funds.execution_rate),
        "overview": _lines(p.overview),
        "goals": _lines(p.goals) or ["见下表所列绩效指标"],
        "targets": [_target_row(s) for s in scores],
        "organisation": _lines(p.organisation) or [f"{p.unit or '本单位'}按照绩效自评工作要求成立评价工作组，对本项目开展绩效自评。"],
        "team_lines": _team_lines(wb),
        "method": _lines(p.method) or [("评价工作组对照年初设定的绩效目标和指标，核对预算执行和支出明细，"
                                        "逐项评价指标完成情况并评分。")],
        "scores": _score_rows(result),
        "total": _figure(result.total),
        "grade": result.grade or "",
        "payments": _payment_lines(wb.payments or [], unit) or ["支出明细未填写。"],
        "mismatch": _mismatch(result),
        "outputs": _lines(p.goals_met) or _indicator_lines(scores, "产出"),
        "benefits": _indicator_lines(scores, "效益"),
        "satisfaction": _satisfaction_lines(scores),
        "problems": _remarks(wb, "问题") or _shortfalls(scores),
        "measures": _remarks(wb, "措施") or ["继续加强预算执行管理和绩效运行监控，确保资金使用安全、规范、有效。"],
        "team": [{"name": m.name, "organisation": m.organisation or "", "post": m.post or "",
                  "title": m.title or "", "role": m.role or ""} for m in wb.team],
    }


def _figure(x: float | Decimal | None) -> str:
    """A score or amount as a person writes it: 99.4, 10, 32.88 (two decimals at most, half up)."""
    return "" if x is None else plain(half_up(Decimal(str(x)), 2))


def _percent(x: float | None) -> str:
    return "" if x is None else f"{plain(Decimal(str(x)))}%"


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _target_text(s: IndicatorScore) -> str:
    target = s.indicator.target or ""
    if s.nature in SIGNS and not target.startswith(SIGNS):
        return f"{s.nature}{target}"
    return target


def _target_row(s: IndicatorScore) -> dict[str, str]:
    ind = s.indicator
    return {"level1": ind.level1 or "", "level2": ind.level2 or "", "name": ind.name or "",
            "description": ind.description or "", "target": _target_text(s), "basis": ind.basis or ""}


def _score_rows(result: Result) -> list[dict[str, str]]:
    """The indicators with their scores, 预算执行率 after the 产出指标 (where the national form has it)."""
    rows = []
    for s in result.indicators:
        ind = s.indicator
        rows.append({"level1": ind.level1 or "", "level2": ind.level2 or "", "name": ind.name or "",
                     "target": _target_text(s), "actual": ind.actual or "", "weight": _figure(ind.weight),
                     "score": _figure(s.score) if s.applicable else "不适用"})
    execution = {"level1": "产出指标", "level2": EXECUTION_LEVEL, "name": "预算执行率", "target": "100%",
                 "actual": _percent(result.funds.execution_rate), "weight": _figure(result.execution_weight),
                 "score": _figure(result.execution_score)}
    outputs = [i for i, s in enumerate(result.indicators) if "产出" in (s.indicator.level1 or "")]
    rows.insert(outputs[-1] + 1 if outputs else 0, execution)
    return rows


def _team_lines(wb: Workbook) -> list[str]:
    if not wb.team:
        return []
    leaders = [m.name for m in wb.team if (m.role or "").strip() == "组长"]
    others = [m.name for m in wb.team if m.name not in leaders]
    lines = ["评价工作组由以下人员构成："]
    if leaders:
        lines.append(f"组长：{'，'.join(leaders)}")
    if others:
        lines.append(f"成员：{'，'.join(others)}")
    return lines


def _payment_lines(payments: list[Payment], unit: str) -> list[str]:
    """One sentence per payment date ("2020年1月30日，…支出14.3万元；…。"), in date order; a long ledger
    gets one sentence a month instead; undated payments last."""
    dated = sorted((p for p in payments if p.date and p.amount is not None), key=lambda p: p.date)
    undated = [p for p in payments if not p.date and p.amount is not None]
    lines = []
    if len(dated) <= PAYMENTS_LISTED:
        for day, group in groupby(dated, key=lambda p: p.date):
            lines.append(f"{_date(day)}，{'；'.join(_spent(p, unit) for p in group)}。")
    else:
        for (year, month), group in groupby(dated, key=lambda p: (p.date.year, p.date.month)):
            group = list(group)
            total = sum(Decimal(str(p.amount)) for p in group)
            lines.append(f"{year}年{month}月，共{len(group)}笔支出，合计{_figure(total)}{unit}。")
    if undated:
        lines.append(f"未填日期的支出：{'；'.join(_spent(p, unit) for p in undated)}。")
    return lines


def _date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _spent(p: Payment, unit: str) -> str:
    what = p.summary or "支出"
    if p.amount < 0:
        return f"{what}冲减{_figure(-p.amount)}{unit}"
    return f"{what}支出{_figure(p.amount)}{unit}"


def _mismatch(result: Result) -> list[str]:
    """The slip reconciliation found (EXECUTED_MISMATCH, with its tolerance), said where the payments are."""
    funds = result.funds
    if not any(f.code == "EXECUTED_MISMATCH" for f in result.findings):
        return []
    return [(f"需要说明的是：项目信息中填报的全年执行数为{_figure(funds.executed)}{funds.unit}，与上列支出明细合计"
             f"{_figure(funds.ledger_total)}{funds.unit}不一致，相差{_figure(abs(funds.difference))}{funds.unit}；"
             f"本报告按支出明细列示，请核实后更正全年执行数。")]


def _in_level(scores: Iterable[IndicatorScore], word: str) -> list[IndicatorScore]:
    return [s for s in scores if word in (s.indicator.level1 or "")]


def _indicator_lines(scores: list[IndicatorScore], word: str) -> list[str]:
    """A neutral account of one 一级指标's rows: how many met their target, then each row."""
    chosen = [s for s in _in_level(scores, word) if s.applicable]
    if not chosen:
        return [f"本项目未设置{word}指标。"]
    met = sum(1 for s in chosen if s.score is not None and s.score >= (s.indicator.weight or 0))
    lines = [f"本项目设置{word}指标{len(chosen)}项，其中{met}项达到年度指标值。"]
    for s in chosen:
        ind = s.indicator
        lines.append(f"{ind.name}：年度指标值{_target_text(s)}，实际完成{ind.actual or '未填写'}。")
    return lines


def _satisfaction_lines(scores: list[IndicatorScore]) -> list[str]:
    chosen = [s for s in _in_level(scores, "满意度") if s.applicable]
    if not chosen:
        return ["本项目未设置满意度指标。"]
    return [f"{s.indicator.name}达{s.indicator.actual}。" if _numeric(s.indicator.actual)
            else f"{s.indicator.name}：{s.indicator.actual or '未填写'}。" for s in chosen]


def _numeric(text: str | None) -> bool:
    return bool(text and re.match(r"^[\d.]+\s*%?$", text.strip()))


def _remarks(wb: Workbook, kind: str) -> list[str]:
    return [r.text for r in wb.remarks if (r.kind or "").strip() == kind]


def _shortfalls(scores: list[IndicatorScore]) -> list[str]:
    short = [s for s in scores if s.applicable and s.score is not None and s.score < (s.indicator.weight or 0)]
    if not short:
        return ["本项目各项绩效指标均达到年度指标值，未发现明显问题。"]
    lines = ["以下绩效指标未达到满分："]
    for s in short:
        ind = s.indicator
        reason = f"原因：{ind.reason}" if ind.reason else "偏差原因未填写"
        lines.append(f"{ind.name}（年度指标值{_target_text(s)}，实际完成{ind.actual or '未填写'}，"
                     f"得分{_figure(s.score)}，分值{_figure(ind.weight)}），{reason}。")
    return lines
