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

from ..errors import ReportTemplateError
from ..files import atomic_path
from ..model import SHEET_INFO, SHEET_LEDGER, Form, IndicatorScore, Payment, Result
from ..values import half_up, plain

#: What the report says when it has no payments to list: our workbook's 支出明细 was left empty; the national
#: form has no place for them.
_NO_PAYMENTS = {"workbook": "支出明细未填写。", "national": "自评表不含逐笔支出明细，全年执行数以自评表所填为准。"}
#: Beyond this many payments the report gives one sentence a month, not one a payment date.
PAYMENTS_LISTED = 100
#: Beyond this many indicators the report's tables and sentences list the first ones, sum up the rest by
#: 一级指标 and say where to see them all: a workbook of 50,000 indicators must still give a report.
INDICATORS_LISTED = 100
SIGNS = ("≥", "≤", "=")
#: What stands in the report for an amount whose unit looks mixed up (UNIT_SUSPECT): never the figure itself.
UNIT_SUSPECT_TEXT = "（金额单位疑似填错）"
#: The names report_context gives a template (the README's 报告模板 section explains each).
VARIABLES = frozenset(
    {
        "unit",
        "project",
        "project_ref",
        "year",
        "basis",
        "money_unit",
        "budget",
        "received",
        "fiscal",
        "executed",
        "ledger_total",
        "execution_rate",
        "overview",
        "goals",
        "targets",
        "organisation",
        "team_lines",
        "method",
        "scores",
        "total",
        "grade",
        "payments",
        "mismatch",
        "outputs",
        "benefits",
        "satisfaction",
        "problems",
        "measures",
        "team",
        "targets_note",
        "scores_note",
        "unit_check",
    }
)


@dataclass(frozen=True)
class ReportOptions:
    """How reports are written: ``template`` is a bureau's own .docx template (None: the shipped one)."""

    template: Path | None = None


def check_template(template: Path) -> None:
    """Raise ReportTemplateError now, before any workbook is read, if ``template`` cannot render a report."""
    _prepare(template)


def write_report(wb: Form, result: Result, dest: Path, template: Path | None = None) -> Path:
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
            dst.writestr(
                zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0)),
                src.read(info),
                compress_type=zipfile.ZIP_DEFLATED,
            )
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
        raise ReportTemplateError(
            f"报告模板 {template} 无法打开：不是有效的 Word（.docx）文件（技术信息：{type(exc).__name__}: {exc}）"
        ) from None
    if unknown:
        raise ReportTemplateError(
            f"报告模板 {_name(template)} 使用了未知的变量：{'、'.join(unknown)}；"
            f"可用的变量见 README“报告模板”一节，或用 xlsx-eval template --report 写出默认模板对照"
        )
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
    from .template import report_template_bytes

    return io.BytesIO(report_template_bytes())


def _name(template: Path | None) -> str:
    return str(template) if template else "（默认模板）"


def _template_error(template: Path | None, exc, found: tuple[str, str] | None = None) -> ReportTemplateError:
    """Name the tag: the paragraph that holds it (and 页眉 / 页脚 when it is there), or the paragraphs docxtpl
    shows around a rendering error."""
    if found:
        part, text = found
        where = f"，出错的段落{f'（{part}）' if part else ''}：{text}"
    else:
        near = [line.strip() for line in getattr(exc, "docx_context", []) if "{" in line or "%" in line]
        where = f"，出错的段落：{' / '.join(near)}" if near else ""
    return ReportTemplateError(
        f"报告模板 {_name(template)} 中的标签有误{where}（技术信息：{exc.message or exc}）；"
        f"标签应写成 {{{{ 变量名 }}}} 或 {{% for … %}} … {{% endfor %}}，括号成对、写在同一段落内"
    )


_DELIMITERS = re.compile(r"\{\{|\}\}|\{%|%\}")
_STATEMENT = re.compile(r"\{%-?\s*(?:[prc]|tr|tc)?\s+(\w+)|\{%-?\s*(\w+)")


def _bad_tag(document, env) -> tuple[str, str] | None:
    """Where ("" for the body, 页眉 or 页脚) and the text of the first paragraph whose tags are not closed,
    whose {{ … }} does not parse, or whose {% for %} / {% if %} is never ended (or ends what was never begun).

    docxtpl renders the body and every header and footer part on its own, so each is checked on its own;
    they are found through the document's relationships, which hold every header and footer of every section.
    """
    from docx.opc.constants import RELATIONSHIP_TYPE as RT

    parts = [("", document.element.body)]
    for rel in document.part.rels.values():
        if not rel.is_external and rel.reltype in (RT.HEADER, RT.FOOTER):
            parts.append(("页眉" if rel.reltype == RT.HEADER else "页脚", rel.target_part.element))
    for where, element in parts:
        text = _bad_paragraph(element, env)
        if text is not None:
            return where, text
    return None


def _bad_paragraph(element, env) -> str | None:
    """The text of the first faulty paragraph under ``element`` (see _bad_tag), or None."""
    from docx.oxml.ns import qn
    from jinja2 import TemplateError

    blocks: list[str] = []  # paragraphs with a for / if still open
    for p in element.iter(qn("w:p")):
        text = "".join(t.text or "" for t in p.iter(qn("w:t")))
        marks = _DELIMITERS.findall(text)
        if (
            any(opening + closing not in ("{{}}", "{%%}") for opening, closing in zip(marks[::2], marks[1::2]))
            or len(marks) % 2
        ):
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


def report_context(wb: Form, result: Result) -> dict[str, Any]:
    """The variables a report template may use, each a string or a list of strings / records."""
    p, funds = wb.project, result.funds
    assert funds is not None  # a report is written for a scored result only
    unit = funds.unit
    project = p.name or ""
    scores = result.indicators
    suspect = _unit_suspects(wb, result)
    sheet = result.indicator_sheet

    def amount(field: str, value) -> str:
        return UNIT_SUSPECT_TEXT if field in suspect else _figure(value)

    return {
        "unit": p.unit or "",
        "project": project,
        "project_ref": project if project.endswith("项目") else f"{project}项目",
        "year": str(p.year or ""),
        "basis": p.basis or "财政支出绩效评价的有关规定",
        "money_unit": unit,
        "budget": amount("budget", funds.budget),
        "received": amount("received", funds.received),
        "fiscal": amount("fiscal", funds.fiscal),
        "executed": amount("executed", funds.executed),
        "ledger_total": amount("ledger", funds.ledger_total if funds.ledger_total is not None else funds.executed),
        "execution_rate": UNIT_SUSPECT_TEXT if suspect & {"budget", "executed"} else _percent(funds.execution_rate),
        "unit_check": _unit_check(wb, suspect, unit),
        "overview": _lines(p.overview),
        "goals": _lines(p.goals) or ["见下表所列绩效指标"],
        "targets": [_target_row(s) for s in scores[:INDICATORS_LISTED]],
        "targets_note": _omitted_note(result),
        "organisation": _lines(p.organisation)
        or [f"{p.unit or '本单位'}按照绩效自评工作要求成立评价工作组，对本项目开展绩效自评。"],
        "team_lines": _team_lines(wb),
        "method": _lines(p.method)
        or [("评价工作组对照年初设定的绩效目标和指标，核对预算执行和支出明细，逐项评价指标完成情况并评分。")],
        "scores": _score_rows(result),
        "scores_note": _omitted_note(result, summed=True),
        "total": _figure(result.total),
        "grade": result.grade or "",
        "payments": [] if "ledger" in suspect else _payment_lines(wb.payments or [], unit) or [_NO_PAYMENTS[wb.layout]],
        "mismatch": [] if suspect else _mismatch(result),
        "outputs": _lines(p.goals_met) or _indicator_lines(scores, "产出", sheet),
        "benefits": _indicator_lines(scores, "效益", sheet),
        "satisfaction": _satisfaction_lines(scores, sheet),
        "problems": _remarks(wb, "问题") or _shortfalls(scores, sheet),
        "measures": _remarks(wb, "措施") or ["继续加强预算执行管理和绩效运行监控，确保资金使用安全、规范、有效。"],
        "team": [
            {
                "name": m.name,
                "organisation": m.organisation or "",
                "post": m.post or "",
                "title": m.title or "",
                "role": m.role or "",
            }
            for m in wb.team
        ],
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
    return {
        "level1": ind.level1 or "",
        "level2": ind.level2 or "",
        "name": ind.name or "",
        "description": ind.description or "",
        "target": _target_text(s),
        "basis": ind.basis or "",
    }


def _score_rows(result: Result) -> list[dict[str, str]]:
    """预算执行率 first, on a row of its own (as on the 评分结果 sheet, result_sheet.scores_by_level), then the
    indicators with their scores: the first INDICATORS_LISTED, and one row per 一级指标 summing up the rest."""
    rows = [
        {
            "level1": "预算执行率",
            "level2": "",
            "name": "",
            "target": "100%",
            "actual": _percent(result.funds.execution_rate if result.funds else None),
            "weight": _figure(result.execution_weight),
            "score": _figure(result.execution_score),
        }
    ]
    for s in result.indicators[:INDICATORS_LISTED]:
        ind = s.indicator
        rows.append(
            {
                "level1": ind.level1 or "",
                "level2": ind.level2 or "",
                "name": ind.name or "",
                "target": _target_text(s),
                "actual": ind.actual or "",
                "weight": _figure(ind.weight),
                "score": _figure(s.score) if s.applicable else "不适用",
            }
        )
    rest = result.indicators[INDICATORS_LISTED:]
    by_level: dict[str, list[IndicatorScore]] = {}
    for s in rest:
        by_level.setdefault(s.indicator.level1 or "（未填一级指标）", []).append(s)
    for level, group in by_level.items():
        applicable = [s for s in group if s.applicable]
        rows.append(
            {
                "level1": level,
                "level2": "",
                "name": f"其余{len(group)}项指标合计",
                "target": "",
                "actual": "",
                "weight": _figure(sum(Decimal(str(s.indicator.weight or 0)) for s in applicable)),
                "score": _figure(sum(Decimal(str(s.score or 0)) for s in applicable)),
            }
        )
    return rows


def _omitted_note(result: Result, summed: bool = False) -> list[str]:
    """One sentence when a table lists only the first INDICATORS_LISTED indicators: how many more, and where."""
    rest = result.indicators[INDICATORS_LISTED:]
    if not rest:
        return []
    how = (
        f"逐项列出前{INDICATORS_LISTED}项，其余{len(rest)}项按一级指标合计列示，逐项"
        if summed
        else f"只列出前{INDICATORS_LISTED}项，其余{len(rest)}项"
    )
    return [
        f"本项目共设置绩效指标{len(result.indicators)}项，上表{how}见工作簿“{result.indicator_sheet}”工作表"
        f"第{rest[0].indicator.row}行至第{rest[-1].indicator.row}行。"
    ]


def _unit_suspects(wb: Form, result: Result) -> set[str]:
    """The amounts whose unit looks mixed up (UNIT_SUSPECT): "ledger" for 支出明细, else the 项目信息 field."""
    fields = {cell: field for field, cell in wb.project.cells.items()}
    suspect = set()
    for f in result.findings:
        if f.code != "UNIT_SUSPECT":
            continue
        if f.sheet == wb.sheet(SHEET_LEDGER):
            suspect.add("ledger")
        elif f.sheet == wb.sheet(SHEET_INFO) and f.cell in fields:
            suspect.add(fields[f.cell])
    return suspect


#: How unit_check names each amount that UNIT_SUSPECT can flag.
_AMOUNT_NAMES = {
    "ledger": "",
    "initial_budget": "年初预算数",
    "budget": "全年预算数",
    "received": "资金到位数",
    "fiscal": "其中财政资金",
    "executed": "全年执行数",
}


def _unit_check(wb: Form, suspect: set[str], unit: str) -> list[str]:
    """What to say, instead of the amounts, when their unit looks mixed up: which amounts, and what to check."""
    if not suspect:
        return []
    names = []
    for field, name in _AMOUNT_NAMES.items():
        if field == "ledger" and field in suspect:
            names.append(f"“{wb.sheet(SHEET_LEDGER)}”中的金额")
        elif field in suspect:
            names.append(f"“{wb.sheet(SHEET_INFO)}”中的{name}（{wb.project.cells[field]}）")
    return [
        f"需要说明的是：{'、'.join(names)}与其他金额相差悬殊，金额单位疑似填错（元与{unit}填混）。"
        f"为免列出错误的金额，本报告暂不列示{'预算执行金额和各笔支出' if 'ledger' in suspect else '预算执行金额'}；"
        f"请核对各项金额是否都按{unit}填写，"
        f"更正后重新生成本报告。"
    ]


def _team_lines(wb: Form) -> list[str]:
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
    dated = sorted(((p.date, p) for p in payments if p.date and p.amount is not None), key=lambda dp: dp[0])
    undated = [p for p in payments if not p.date and p.amount is not None]
    lines = []
    if len(dated) <= PAYMENTS_LISTED:
        for day, on_day in groupby(dated, key=lambda dp: dp[0]):
            lines.append(f"{_date(day)}，{'；'.join(_spent(p, unit) for _, p in on_day)}。")
    else:
        for (year, month), in_month in groupby(dated, key=lambda dp: (dp[0].year, dp[0].month)):
            items = [p for _, p in in_month]
            total = sum(Decimal(str(p.amount)) for p in items)
            lines.append(f"{year}年{month}月，共{len(items)}笔支出，合计{_figure(total)}{unit}。")
    if undated:
        lines.append(f"未填日期的支出：{'；'.join(_spent(p, unit) for p in undated)}。")
    return lines


def _date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _spent(p: Payment, unit: str) -> str:
    what, amount = p.summary or "支出", p.amount or 0.0
    if amount < 0:
        return f"{what}冲减{_figure(-amount)}{unit}"
    return f"{what}支出{_figure(amount)}{unit}"


def _mismatch(result: Result) -> list[str]:
    """The slip reconciliation found (EXECUTED_MISMATCH, with its tolerance), said where the payments are."""
    funds = result.funds
    if not any(f.code == "EXECUTED_MISMATCH" for f in result.findings):
        return []
    assert funds is not None and funds.difference is not None  # the mismatch compared both figures
    return [
        (
            f"需要说明的是：项目信息中填报的全年执行数为{_figure(funds.executed)}{funds.unit}，与上列支出明细合计"
            f"{_figure(funds.ledger_total)}{funds.unit}不一致，相差{_figure(abs(funds.difference))}{funds.unit}；"
            f"本报告按支出明细列示，请核实后更正全年执行数。"
        )
    ]


def _in_level(scores: Iterable[IndicatorScore], word: str) -> list[IndicatorScore]:
    return [s for s in scores if word in (s.indicator.level1 or "")]


def _indicator_lines(scores: list[IndicatorScore], word: str, sheet: str) -> list[str]:
    """A neutral account of one 一级指标's rows: how many met their target, then each row."""
    chosen = [s for s in _in_level(scores, word) if s.applicable]
    if not chosen:
        return [f"本项目未设置{word}指标。"]
    met = sum(1 for s in chosen if s.score is not None and s.score >= (s.indicator.weight or 0))
    lines = [f"本项目设置{word}指标{len(chosen)}项，其中{met}项达到年度指标值。"]
    for s in chosen[:INDICATORS_LISTED]:
        ind = s.indicator
        lines.append(f"{ind.name}：年度指标值{_target_text(s)}，实际完成{ind.actual or '未填写'}。")
    return lines + _more(chosen, f"{word}指标", sheet)


def _satisfaction_lines(scores: list[IndicatorScore], sheet: str) -> list[str]:
    chosen = [s for s in _in_level(scores, "满意度") if s.applicable]
    if not chosen:
        return ["本项目未设置满意度指标。"]
    return [
        f"{s.indicator.name}达{s.indicator.actual}。"
        if _numeric(s.indicator.actual)
        else f"{s.indicator.name}：{s.indicator.actual or '未填写'}。"
        for s in chosen[:INDICATORS_LISTED]
    ] + _more(chosen, "满意度指标", sheet)


def _numeric(text: str | None) -> bool:
    return bool(text and re.match(r"^[\d.]+\s*%?$", text.strip()))


def _remarks(wb: Form, kind: str) -> list[str]:
    return [r.text for r in wb.remarks if (r.kind or "").strip() == kind]


def _shortfalls(scores: list[IndicatorScore], sheet: str) -> list[str]:
    short = [s for s in scores if s.applicable and s.score is not None and s.score < (s.indicator.weight or 0)]
    if not short:
        return ["本项目各项绩效指标均达到年度指标值，未发现明显问题。"]
    lines = ["以下绩效指标未达到满分："]
    for s in short[:INDICATORS_LISTED]:
        ind = s.indicator
        reason = f"原因：{ind.reason}" if ind.reason else "偏差原因未填写"
        lines.append(
            f"{ind.name}（年度指标值{_target_text(s)}，实际完成{ind.actual or '未填写'}，"
            f"得分{_figure(s.score)}，分值{_figure(ind.weight)}），{reason}。"
        )
    return lines + _more(short, "未达到满分的指标", sheet)


def _more(chosen: list[IndicatorScore], what: str, sheet: str) -> list[str]:
    """The sentence after a list cut at INDICATORS_LISTED: how many more, and where they are."""
    rest = chosen[INDICATORS_LISTED:]
    if not rest:
        return []
    return [
        f"另有{len(rest)}项{what}未逐项列出，见工作簿“{sheet}”工作表第{rest[0].indicator.row}行至"
        f"第{rest[-1].indicator.row}行。"
    ]
