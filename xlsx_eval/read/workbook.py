"""Read our own workbook (template.md, described in ``layouts.workbook``) into the model, noting the cell of
every value. Headers and labels are found by name, never by position.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from decimal import Decimal
from operator import itemgetter
from pathlib import Path
from typing import Any

from .. import a1
from ..findings import Finding, finding
from ..layouts import lookup
from ..layouts.workbook import INDICATOR_TABLE, LEDGER_TABLE, PROJECT_FIELDS, REMARK_TABLE, SHEETS, TEAM_TABLE
from ..model import (
    SHEET_INDICATORS,
    SHEET_INFO,
    SHEET_LEDGER,
    SHEET_PROBLEMS,
    SHEET_TEAM,
    Form,
    Indicator,
    Member,
    Payment,
    Project,
    Remark,
)
from ..values import LARGEST, label_key, parse_date, parse_number, parse_quantity, plain, quoted, text, to_decimal
from .grid import Grid, amount, display_text, find_header, is_total, number_cell, position, records, ref
from .sheet_names import candidates, resembles
from .sheet_names import match as sheet_names_of

#: A figure of 项目信息 smaller than this (but not 0) is a slip, not an amount: 1e-60 would make a rate of 10^61 %.
SMALLEST = Decimal("0.000001")
INFO_LABELS = lookup(PROJECT_FIELDS)  # normalised label → its field of 项目信息
INFO_REQUIRED = tuple(f for f in PROJECT_FIELDS if f.required)
TABLE_OF = {t.sheet: t for t in (INDICATOR_TABLE, LEDGER_TABLE, TEAM_TABLE, REMARK_TABLE)}


def is_ours(names: list[str]) -> bool:
    """Whether a workbook with these sheets is our workbook: it has (a near miss of) 项目信息 or 绩效指标."""
    return bool(candidates((SHEET_INFO, SHEET_INDICATORS), names))


def plan(names: list[str]) -> tuple[set[str], set[str]]:
    """The sheets of our workbook a reader takes (every near miss of ours), and 绩效指标's, whose percents matter."""
    read = candidates(SHEETS, names)
    return read, {n for n in read if resembles(SHEET_INDICATORS, n)}


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")


def read_ours(
    path: Path,
    kind: str,
    all_sheets: list[str],
    grids: dict[str, Grid],
    scored_sheet: str | None,
    findings: list[Finding],
) -> Form:
    """Our workbook, from the sheets ``plan`` chose (``grids``), its findings added to ``findings``."""
    # a near miss with characters put in is ours only if it holds what ours holds (a unit's 支出明细汇总 is not)
    sheet_names, unsure = sheet_names_of(SHEETS, list(grids), lambda k, a: _looks_like(k, grids[a]))
    for known, actual in sheet_names.items():
        if actual.strip() != known:
            findings.append(
                finding(
                    "SHEET_NAME_NEAR",
                    actual,
                    "",
                    f"没有名为“{known}”的工作表，已把“{actual}”当作“{known}”读取；"
                    f"请把工作表“{actual}”改名为“{known}”，与标准模板一致",
                )
            )
    scorable = True

    for required in (SHEET_INFO, SHEET_INDICATORS):
        if required in unsure:
            alike = "”“".join(unsure[required])
            findings.append(
                finding(
                    "MISSING_SHEET",
                    required,
                    "",
                    f"工作簿中没有“{required}”工作表，“{alike}”都像是它，无法确定用哪一张；"
                    f"请把其中一张改名为“{required}”",
                )
            )
            scorable = False
        elif required not in sheet_names:
            findings.append(
                finding(
                    "MISSING_SHEET",
                    required,
                    "",
                    f"工作簿中没有“{required}”工作表，请按标准模板添加该表（可用 xlsx-eval template 生成模板）",
                )
            )
            scorable = False

    project = Project()
    if SHEET_INFO in sheet_names:
        project, ok = _read_project(grids[sheet_names[SHEET_INFO]], findings)
        scorable &= ok

    indicators: list[Indicator] = []
    indicator_header: dict[str, str] = {}
    if SHEET_INDICATORS in sheet_names:
        grid = grids[sheet_names[SHEET_INDICATORS]]
        percent_cells = grid.percent
        table = find_header(grid, INDICATOR_TABLE.columns, findings)
        if table is None:
            scorable = False
        else:
            _typed_with_equals(grid, table, grid.formulas, percent_cells, findings)
            indicators = _read_indicators(grid, table, percent_cells, findings)
            header_row, columns = table
            indicator_header = {f: ref(header_row, c) for f, c in columns.items()}
            if not indicators:
                findings.append(
                    finding(
                        "NO_INDICATORS",
                        grid.name,
                        ref(header_row + 1, 0),
                        "没有填写任何绩效指标，请从表头下一行起每行填写一个三级指标",
                    )
                )
                scorable = False

    payments = None
    if SHEET_LEDGER in sheet_names:
        grid = grids[sheet_names[SHEET_LEDGER]]
        table = find_header(grid, LEDGER_TABLE.columns, findings)
        payments = _read_payments(grid, table, project.money_unit, findings) if table else None
    else:
        alike = "”“".join(unsure.get(SHEET_LEDGER, []))
        findings.append(
            finding(
                "LEDGER_MISSING",
                SHEET_LEDGER,
                "",
                (
                    f"工作簿中没有“{SHEET_LEDGER}”工作表"
                    + (f"（“{alike}”都像是它，无法确定用哪一张）" if alike else "")
                    + f"，全年执行数未能与逐笔支出核对；请按标准模板添加“{SHEET_LEDGER}”表，逐笔填写本年度支出"
                ),
            )
        )

    team: list[Member] = []
    if SHEET_TEAM in sheet_names:
        grid = grids[sheet_names[SHEET_TEAM]]
        table = find_header(grid, TEAM_TABLE.columns, findings)
        team = [Member(**rec) for rec in records(grid, table, "name")] if table else []  # type: ignore[arg-type]  # name is filled: _records keeps only such rows

    remarks: list[Remark] = []
    if SHEET_PROBLEMS in sheet_names:
        grid = grids[sheet_names[SHEET_PROBLEMS]]
        table = find_header(grid, REMARK_TABLE.columns, findings)
        remarks = [Remark(rec.get("kind"), rec["text"] or "") for rec in records(grid, table, "text")] if table else []

    for grid in grids.values():
        findings.extend(grid.suspect_findings())
    return Form(
        path=path,
        kind=kind,
        all_sheets=all_sheets,
        scored_sheet=scored_sheet,
        sheet_names=sheet_names,
        project=project,
        indicators=indicators,
        payments=payments,
        team=team,
        remarks=remarks,
        indicator_header=indicator_header,
        findings=findings,
        scorable=scorable,
    )


def _looks_like(known: str, grid: Grid) -> bool:
    """Whether a sheet holds the header (or, for 项目信息, a label) the template's sheet ``known`` has."""
    if known == SHEET_INFO:
        return any(text(v) is not None and label_key(v) in INFO_LABELS for row in grid.rows for v in row[:3])
    return find_header(grid, TABLE_OF[known].columns, []) is not None


def _read_project(grid: Grid, findings: list[Finding]) -> tuple[Project, bool]:
    project = Project()
    raw: dict[str, tuple[Any, str]] = {}
    for r, row in enumerate(grid.rows):
        for c, v in enumerate(row[:3]):
            key = label_key(v) if text(v) is not None else ""
            if key in INFO_LABELS and INFO_LABELS[key].name not in raw:
                raw[INFO_LABELS[key].name] = (grid.value(r, c + 1), ref(r, c + 1))
                break

    sheet = grid.name
    for label, (value, cell) in raw.items():
        field, kind = INFO_LABELS[label].field, INFO_LABELS[label].kind
        project.cells[field] = cell
        shown = text(value)
        if shown is None:
            continue
        if kind == "text":
            setattr(project, field, shown)
        elif kind == "year":
            q = parse_quantity(shown.removesuffix("年"))
            if q is None or q.unit or q.value != q.value.to_integral_value() or not 1900 < q.value < 2200:
                findings.append(
                    finding("BAD_NUMBER", sheet, cell, f"评价年度“{quoted(shown)}”无法识别，请填写四位年份，如“2020”")
                )
            else:
                project.year = int(q.value)
    money_unit = project.money_unit.strip()
    if money_unit not in ("万元", "元"):
        findings.append(
            finding(
                "BAD_NUMBER",
                sheet,
                project.cells.get("money_unit", ""),
                f"金额单位“{quoted(money_unit)}”无法识别，请填写“万元”或“元”；暂按万元计算",
            )
        )
        money_unit = "万元"
    project.money_unit = money_unit

    for label, (value, cell) in raw.items():
        field, kind = INFO_LABELS[label].field, INFO_LABELS[label].kind
        if kind in ("amount", "number") and text(value) is not None:
            number = amount(value, money_unit) if kind == "amount" else parse_number(value)
            if number is None:
                what = f"金额（单位：{money_unit}）" if kind == "amount" else "数字"
                findings.append(
                    finding(
                        "BAD_NUMBER", sheet, cell, f"{label}“{quoted(text(value))}”不是有效数字，请填写{what}，如“35”"
                    )
                )
            elif number != 0 and abs(number) < SMALLEST:
                findings.append(
                    finding(
                        "BAD_NUMBER",
                        sheet,
                        cell,
                        f"{label}“{float(number):g}”小得不像是{'金额' if kind == 'amount' else '分值'}"
                        f"（可能是输入错误）；请填写以{money_unit}为单位的金额，如“35”",
                    )
                )
            else:
                setattr(project, field, float(abs(number) if number == 0 else number))  # -0 is 0

    ok = True
    for required in INFO_REQUIRED:
        label, field = required.name, required.field
        if getattr(project, field) is not None:
            continue
        if label in raw and text(raw[label][0]) is not None:
            ok &= field not in ("budget", "executed")  # unreadable: BAD_NUMBER already says so
            continue
        cell = project.cells.get(field, "")
        where = f"在{cell}单元格填写" if cell else f"在A列添加“{label}”一行，并在其右侧填写"
        findings.append(finding("MISSING_FIELD", sheet, cell, f"未填写{label}，请{where}"))
        ok &= field not in ("budget", "executed")
    if project.budget is not None and project.budget <= 0:
        findings.append(
            finding(
                "BAD_NUMBER",
                sheet,
                project.cells["budget"],
                f"全年预算数为{plain(to_decimal(project.budget))}，应大于0，请填写调整后的全年预算金额",
            )
        )
        ok = False
    if project.executed is not None and project.executed < 0:
        findings.append(
            finding("BAD_NUMBER", sheet, project.cells["executed"], "全年执行数不能为负数，请填写全年实际支出金额")
        )
        ok = False
    if project.email and not _EMAIL.match(project.email):
        findings.append(
            finding(
                "BAD_EMAIL",
                sheet,
                project.cells["email"],
                f"联系人邮箱“{quoted(project.email)}”格式不正确，请填写如“name@example.com”的地址",
            )
        )
    return project, ok


def _read_indicators(
    grid: Grid, table: tuple[int, dict[str, int]], percent_cells: set[tuple[int, int]], findings: list[Finding]
) -> list[Indicator]:
    header_row, columns = table
    indicators: list[Indicator] = []
    group: dict[str, str | None] = {"level1": None, "level2": None}
    for r in range(header_row + 1, len(grid.rows)):
        if any(is_total(grid.value(r, columns[f])) for f in ("level1", "level2", "name")):
            continue  # a 合计 / 总分 row: its cells (often formulas) are not read
        values = {f: grid.value(r, c) for f, c in columns.items()}
        shown = {f: display_text(v, (r, columns[f]) in percent_cells) for f, v in values.items()}
        if all(v is None for v in shown.values()):
            continue
        # 一级/二级指标 merged down or left blank under a group's first row: carry them down.
        if shown.get("level1") is not None and shown["level1"] != group["level1"]:
            group = {"level1": shown["level1"], "level2": None}
        if shown.get("level2") is not None:
            group["level2"] = shown["level2"]
        shown["level1"], shown["level2"] = group["level1"], group["level2"]
        if shown.get("name") is None and shown.get("target") is None and shown.get("weight") is None:
            continue  # a group heading row, or notes under the table
        cells = {f: ref(r, c) for f, c in columns.items()}
        weight = number_cell(grid.name, cells["weight"], values["weight"], "分值", findings, required=True)
        claimed = None
        if "claimed" in values:
            claimed = number_cell(grid.name, cells["claimed"], values["claimed"], "自评得分", findings)
        indicators.append(
            Indicator(
                row=r + 1,
                level1=shown.get("level1"),
                level2=shown.get("level2"),
                name=shown.get("name"),
                nature=shown.get("nature"),
                target=shown.get("target"),
                unit=shown.get("unit"),
                actual=shown.get("actual"),
                weight=weight,
                claimed=claimed,
                reason=shown.get("reason"),
                basis=shown.get("basis"),
                description=shown.get("description"),
                cells=cells,
            )
        )
    return indicators


#: A formula that is a value a person typed with "=" in front: "=100%", "=1套", "=≥95%" — no cell reference,
#: function, operator or text in quotes.
_LITERAL_FORMULA = re.compile(r"^[≥≤<>=]*\s*[0-9.,]+\s*[%\u4e00-\u9fff]*$")


def _typed_with_equals(
    grid: Grid,
    table: tuple[int, dict[str, int]],
    formulas: dict[str, str],
    percent_cells: set[tuple[int, int]],
    findings: list[Finding],
) -> None:
    """In 年度指标值 and 实际完成值, a formula that is a literal is what the person typed into a cell formatted
    常规 (an office suite made it a formula): read as that text, "=100%", with a word on why."""
    header_row, columns = table
    wanted = {columns[f] for f in ("target", "actual") if f in columns}
    for a1_ref, formula in formulas.items():
        r, c = position(a1_ref)
        if c not in wanted or r <= header_row or (r, c) in percent_cells or not _LITERAL_FORMULA.match(formula.strip()):
            continue  # a percent-formatted cell shows what it holds (=1 as 100%): read as it shows
        typed = "=" + formula.strip()
        while len(grid.rows) <= r:
            grid.rows.append([])
        row = grid.rows[r]
        row.extend([None] * (c + 1 - len(row)))
        row[c] = typed
        grid.suspect.pop((r, c), None)
        percent_cells.discard((r, c))
        findings.append(
            finding(
                "FORMULA_LITERAL",
                grid.name,
                a1_ref,
                f"单元格中输入的“{typed}”被表格软件当作了公式（单元格格式为常规），已按输入的文字“{typed}”读取；"
                f"请把该单元格格式设为“文本”，或输入 '{typed}（前面加一个英文单引号）",
            )
        )


_LARGEST = float(LARGEST)


def _read_payments(
    grid: Grid, table: tuple[int, dict[str, int]], money_unit: str, findings: list[Finding]
) -> list[Payment]:
    """The ledger, row by row; written for speed, since a ledger may have 200,000 rows: each row's values are
    taken as one tuple (``itemgetter``), kept raw, and only the odd one goes through the slow readers."""
    header_row, columns = table
    letters = {f: a1.column_letters(c + 1) for f, c in columns.items()}  # shared by every payment
    fields = list(columns)
    i_date, i_summary, i_amount = fields.index("date"), fields.index("summary"), fields.index("amount")
    optional = {f: fields.index(f) if f in fields else None for f in ("category", "voucher", "note")}
    i_category, i_voucher, i_note = optional.values()
    first = header_row + 1
    rows: Iterable[tuple[int, tuple]]  # (Excel row number, the row's values in the order of fields)
    if grid.suspect:  # formulas or errors in the sheet: every value through Grid.value
        rows = _careful_rows(grid, first, columns)
    else:
        width = max(columns.values()) + 1
        body = grid.rows[first:]
        if min(map(len, body), default=width) < width:
            body = [row + [None] * (width - len(row)) for row in body]
        pick = itemgetter(*columns.values())
        rows = enumerate(map(pick, body) if len(fields) > 1 else ((pick(row),) for row in body), start=first + 1)
    payments = []
    for r, values in rows:
        if values.count(None) + values.count("") == len(values):
            continue
        if is_total(values[i_date]) or is_total(values[i_summary]):
            continue  # a 合计 row: the ledger total is computed, not read (its formula cells are not used)
        pay = Payment(
            row=r,
            date=parse_date(values[i_date]),
            summary=text(values[i_summary]),
            amount=None,
            category=None if i_category is None else text(values[i_category]),
            voucher=None if i_voucher is None else text(values[i_voucher]),
            note=None if i_note is None else text(values[i_note]),
            columns=letters,
        )
        if pay.date is None:
            shown = text(values[i_date])
            what = f"“{quoted(shown)}”无法识别" if shown else "未填写"
            findings.append(
                finding("BAD_DATE", grid.name, pay.cell("date"), f"支出日期{what}，请填写如“2020-01-30”的日期")
            )
        paid = values[i_amount]
        if paid.__class__ is float and -_LARGEST < paid < _LARGEST:  # the common case, as amount() reads it
            pay.amount = paid
            payments.append(pay)
            continue
        paid = amount(paid, money_unit) if text(paid) is not None else None
        if paid is None:
            shown = text(values[i_amount])
            what = f"“{quoted(shown)}”不是有效数字" if shown else "未填写"
            findings.append(
                finding(
                    "BAD_AMOUNT",
                    grid.name,
                    pay.cell("amount"),
                    f"支出金额{what}，请填写以{money_unit}为单位的数字，如“14.3”",
                )
            )
        else:
            pay.amount = float(paid)
        payments.append(pay)
    return payments


def _careful_rows(grid: Grid, first: int, columns: dict[str, int]) -> Iterator[tuple[int, tuple]]:
    """The ledger's rows through Grid.value, but for its 合计 rows, whose other cells (often a formula with no saved
    value) are never read, so never reported."""
    for r in range(first, len(grid.rows)):
        if not (is_total(grid.value(r, columns["date"])) or is_total(grid.value(r, columns["summary"]))):
            yield r + 1, tuple(grid.value(r, c) for c in columns.values())
