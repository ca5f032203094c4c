"""Read one national 项目支出绩效自评表 (national-form.md, described in ``layouts.national``) from its sheet.

Every part is found by its label, never by position: the title and year, the label / value rows, the money
block (its header row, then its total, 其中 and funding-source rows), the goals, the indicator table (its header
row anywhere on the sheet, 一级/二级 carried down, group weights checked), 总分, and the narrative rows below.
A part that is missing is a finding on the cell where it was expected; what is there is read as far as it goes.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..findings import Finding, finding
from ..layouts import Label, lookup
from ..layouts.national import (
    GOALS,
    GOALS_BLOCK,
    INDICATOR_BLOCK,
    INDICATOR_COLUMNS,
    MONEY_BLOCK,
    MONEY_COLUMNS,
    MONEY_ROWS,
    NARRATIVE,
    PROJECT_LABELS,
    TITLE,
    TOTAL,
    YEAR,
    bracket_unit,
    bracket_weight,
    national_key,
)
from ..model import SHEET_INDICATORS, SHEET_INFO, Claim, Form, Indicator, MoneyRow, Project, Remark
from ..values import canon, plain, quoted, text, to_decimal
from .grid import Grid, amount, display_text, find_header, number_cell, position, ref

PROJECT = lookup(PROJECT_LABELS, national_key)
MONEY_HEADERS = lookup(MONEY_COLUMNS, national_key)
ROWS = lookup(MONEY_ROWS, national_key)
GOAL_LABELS = lookup(GOALS, national_key)
INDICATOR_HEADERS = lookup(INDICATOR_COLUMNS, national_key)
NARRATIVES = lookup(NARRATIVE, national_key)
#: Every label of the form: a value is looked for to the right of its label, up to the next label.
LABELS = {
    *PROJECT,
    *MONEY_HEADERS,
    *ROWS,
    *GOAL_LABELS,
    *INDICATOR_HEADERS,
    *NARRATIVES,
    *MONEY_BLOCK,
    *INDICATOR_BLOCK,
    GOALS_BLOCK,
    TOTAL,
}
DASHES = {"—", "——", "-", "--", "－", "/", "无"}
_PLACEHOLDER = re.compile(r"^(指标\d*[:：]?|[…。.·、]+)$")
_GROUP_WEIGHT = re.compile(r"\s*[（(]\s*\d+(?:\.\d+)?\s*分\s*[)）]\s*$")
_CODE = re.compile(r"^(\[[0-9A-Za-z]+\]|[0-9]{3,}\s*[-－—_ ]+)\s*")
_UNIT_NOTE = re.compile(r"单位[:：]\s*(万元|元)")
#: A sheet holds a form when its indicator table or money block has at least this many of their headers.
ENOUGH_HEADERS = 3


def holds_form(grid: Grid, index: dict[str, list[tuple[int, int]]]) -> bool:
    """Whether a sheet (its ``label_index``) holds a national form: a title or 项目名称, and a money block or an
    indicator header."""
    named = "name" in {PROJECT[k].field for k in index if k in PROJECT} or _title(grid) is not None
    return named and any(_has_header(index, table) for table in (MONEY_HEADERS, INDICATOR_HEADERS))


def read_national(
    path: Path,
    kind: str,
    all_sheets: list[str],
    grid: Grid,
    index: dict[str, list[tuple[int, int]]],
    scored_sheet: str | None,
    findings: list[Finding],
) -> Form:
    """The form on ``grid``'s sheet (``index``: its label_index), its findings added to ``findings``."""
    project = Project()
    _read_title(grid, project)
    _read_labels(grid, index, project)
    scorable = True
    if project.name is None:
        cell = project.cells.get("name") or ref(1, 0)
        findings.append(finding("MISSING_FIELD", grid.name, cell, _missing_name(project)))
        scorable = False

    money_rows: list[MoneyRow] = []
    claims: list[Claim] = []
    header = find_header(
        grid, MONEY_COLUMNS, findings, rows=range(len(grid.rows)), what="项目资金（预算执行情况）", key=national_key
    )
    if header is None:
        scorable = False
    else:
        money_rows, claims, ok = _read_money(grid, index, header, project, findings)
        scorable &= ok
    _read_goals(grid, index, project)

    indicators: list[Indicator] = []
    indicator_header: dict[str, str] = {}
    remarks: list[Remark] = []
    table = find_header(
        grid, INDICATOR_COLUMNS, findings, rows=range(len(grid.rows)), what="绩效指标表", key=national_key
    )
    if table is None:
        scorable = False
    else:
        first, columns = _two_row_header(grid, table)
        indicator_header = {f: ref(table[0], c) for f, c in columns.items()}
        if not {"target", "target_initial", "target_adjusted"} & set(columns):
            findings.append(
                finding(
                    "MISSING_COLUMN",
                    grid.name,
                    ref(table[0], len(grid.rows[table[0]])),
                    f"绩效指标表第{table[0] + 1}行的表头中没有“年度指标值”列，请在表头行添加“年度指标值”列并填写",
                )
            )
            scorable = False
        else:
            indicators, end = _read_indicators(grid, first, columns, findings)
            claims += _total_claim(grid, end, columns)
            remarks = _read_narrative(grid, index, end)
            if not indicators:
                findings.append(
                    finding(
                        "NO_INDICATORS",
                        grid.name,
                        ref(first, columns["name"]),
                        "没有填写任何绩效指标，请在绩效指标表头下每行填写一个三级指标",
                    )
                )
                scorable = False
    findings.extend(grid.suspect_findings())
    return Form(
        path=path,
        kind=kind,
        all_sheets=all_sheets,
        scored_sheet=scored_sheet,
        sheet_names={SHEET_INFO: grid.name, SHEET_INDICATORS: grid.name},
        project=project,
        indicators=indicators,
        payments=None,
        team=[],
        remarks=remarks,
        indicator_header=indicator_header,
        findings=findings,
        scorable=scorable,
        layout="national",
        form_sheet=grid.name,
        claims=claims,
        money_rows=money_rows,
    )


def label_index(grid: Grid) -> dict[str, list[tuple[int, int]]]:
    """Every short text's key → where it stands, in reading order."""
    found: dict[str, list[tuple[int, int]]] = {}
    for r, row in enumerate(grid.rows):
        for c, v in enumerate(row):
            if v.__class__ is str and 0 < len(v) <= 60:
                found.setdefault(national_key(v), []).append((r, c))
    return found


def _has_header(index: dict[str, list[tuple[int, int]]], headers: dict[str, Label]) -> bool:
    """Whether some row holds at least ENOUGH_HEADERS different headers of one table."""
    fields: dict[int, set[str]] = {}
    for key, label in headers.items():
        for r, _ in index.get(key, ()):
            fields.setdefault(r, set()).add(label.field)
    return any(len(found) >= ENOUGH_HEADERS for found in fields.values())


def _title(grid: Grid) -> tuple[int, str] | None:
    for r, row in enumerate(grid.rows[:6]):
        for v in row:
            if v.__class__ is str and TITLE.search(canon(v)):
                return r, v
    return None


def _read_title(grid: Grid, project: Project) -> None:
    """The year, from （2020年度） in the title or the rows below it."""
    title = _title(grid)
    first = title[0] if title else 0
    for row in grid.rows[first : first + 3]:
        for v in row:
            m = YEAR.search(v) if v.__class__ is str else None
            if m:
                project.year = int(m.group(1))
                return


def right_of(grid: Grid, r: int, c: int, labels: Collection[str] = LABELS) -> tuple[Any, int]:
    """The first filled cell right of (r, c) before the next of ``labels`` (keys), and its column (c + 1 when
    none)."""
    row = grid.rows[r]
    for col in range(c + 1, len(row)):
        v = grid.value(r, col)
        if v is None:
            continue
        if v.__class__ is str and national_key(v) in labels:
            break
        return v, col
    return None, c + 1


def _read_labels(grid: Grid, index: dict[str, list[tuple[int, int]]], project: Project) -> None:
    for key, label in PROJECT.items():
        if key not in index or label.field in project.cells:
            continue
        r, c = index[key][0]
        value, col = right_of(grid, r, c)
        project.cells[label.field] = ref(r, col)
        shown = text(value)
        if shown is not None:
            setattr(project, label.field, without_code(shown) if label.field in ("unit", "department") else shown)


def without_code(name: str) -> str:
    """A unit or department without the budget code written before it: [105]教育部, 105210-北京大学."""
    return _CODE.sub("", name) or name


def _missing_name(project: Project) -> str:
    if "name" in project.cells:
        return f"未填写项目名称，请在{project.cells['name']}单元格填写"
    return "自评表中没有“项目名称”一行，请在表头下添加“项目名称”一行，并在其右侧填写"


def _read_money(
    grid: Grid,
    index: dict[str, list[tuple[int, int]]],
    header: tuple[int, dict[str, int]],
    project: Project,
    findings: list[Finding],
) -> tuple[list[MoneyRow], list[Claim], bool]:
    """The money block under its header row: the project's budget figures, the rows, the unit's claims."""
    header_row, columns = header
    first_figure = min(columns.values())
    block = _block_label(grid, index, header_row, first_figure)
    project.money_unit = _money_unit(grid, block, header_row, columns)
    rows: list[tuple[int, Label]] = []
    for r in range(header_row + 1, len(grid.rows)):
        label = _row_label(grid.rows[r][:first_figure])
        if label is not None:
            rows.append((r, label))
        elif rows or r > header_row + 2:
            break
    sheet = grid.name
    money_rows = []
    for r, label in rows:
        amounts: dict[str, float | None] = {}
        cells: dict[str, str] = {}
        for field in ("initial_budget", "budget", "executed"):
            if field in columns:
                cells[field] = ref(r, columns[field])
                amounts[field] = _amount(grid, r, columns[field], project.money_unit, findings)
        money_rows.append(MoneyRow(label.name, label.field, amounts, cells))

    found = next(((r, m) for m, (r, label) in zip(money_rows, rows) if label.field == "total"), None)
    if found is None:
        where = ref(header_row + 1, max(first_figure - 1, 0))
        findings.append(
            finding(
                "MISSING_FIELD",
                sheet,
                where,
                "项目资金中没有“年度资金总额”行，请在表头下一行的行名处填写“年度资金总额”，并填写全年预算数和全年执行数",
            )
        )
        return money_rows, [], False
    total_row, total = found
    for field in ("initial_budget", "budget", "executed"):
        if field in total.cells:
            project.cells[field] = total.cells[field]
            if total.amounts[field] is not None:
                setattr(project, field, total.amounts[field])
    fiscal = next((m for m in money_rows if m.kind == "fiscal"), None)
    if fiscal is not None and fiscal.amounts.get("budget") is not None:
        project.fiscal = fiscal.amounts["budget"]
        project.cells["fiscal"] = fiscal.cells["budget"]

    ok = True
    for field, name in (("budget", "全年预算数"), ("executed", "全年执行数")):
        value = getattr(project, field)
        cell = total.cells[field]
        if value is None:
            if text(grid.value(*position(cell))) in (None, *DASHES):
                findings.append(
                    finding("MISSING_FIELD", sheet, cell, f"未填写{name}，请在{cell}单元格填写年度资金总额的{name}")
                )
            ok = False
        elif field == "budget" and value <= 0:
            findings.append(
                finding("BAD_NUMBER", sheet, cell, f"全年预算数为{plain(to_decimal(value))}，应大于0，请改正")
            )
            ok = False
        elif value < 0:
            findings.append(finding("BAD_NUMBER", sheet, cell, "全年执行数不能为负数，请填写全年实际支出金额"))
            ok = False

    if "weight" in columns and grid.value(total_row, columns["weight"]) is not None:
        cell = ref(total_row, columns["weight"])
        project.execution_weight = number_cell(
            sheet, cell, grid.value(total_row, columns["weight"]), "分值", findings, required=True
        )
        project.cells["execution_weight"] = cell
    elif block is not None and bracket_weight(block[2]) is not None:
        project.execution_weight = float(bracket_weight(block[2]))  # type: ignore[arg-type]  # just checked
        project.cells["execution_weight"] = ref(block[0], block[1])

    claims = [_claim(grid, what, total_row, columns[field]) for what, field in CLAIMED if field in columns]
    return money_rows, claims, ok


#: The money block's claims: the unit's 执行率 and execution 得分, in the total row.
CLAIMED = (("execution_rate", "rate"), ("execution_score", "score"))


def _claim(grid: Grid, what: str, r: int, c: int) -> Claim:
    cell = ref(r, c)
    return Claim(what, cell, grid.value(r, c), (r, c) in grid.percent, formula=cell in grid.formulas)


def _row_label(cells: list[Any]) -> Label | None:
    """The money row a row is, by the label left of its figures (年度资金总额, 其中：当年财政拨款 …)."""
    for v in cells:
        if v.__class__ is str and national_key(v) in ROWS:
            return ROWS[national_key(v)]
    return None


def _block_label(
    grid: Grid, index: dict[str, list[tuple[int, int]]], header_row: int, first_figure: int
) -> tuple[int, int, str] | None:
    """The money block's own label, left of its figures, nearest its header row."""
    spots = [(r, c) for key in MONEY_BLOCK for r, c in index.get(key, ()) if c < first_figure]
    if not spots:
        return None
    r, c = min(spots, key=lambda rc: abs(rc[0] - header_row))
    return r, c, grid.rows[r][c]


def _money_unit(grid: Grid, block: tuple[int, int, str] | None, header_row: int, columns: dict[str, int]) -> str:
    """元 or 万元: from the block's label, else a header cell's bracket, else a 单位：元 note; 万元 by default."""
    texts: list[Any] = [block[2]] if block else []
    texts += [grid.rows[header_row][c] for c in columns.values()]
    for t in texts:
        unit = bracket_unit(t) if t.__class__ is str else None
        if unit:
            return unit
    for row in grid.rows[:header_row]:
        for v in row:
            m = _UNIT_NOTE.search(v) if v.__class__ is str else None
            if m:
                return m.group(1)
    return "万元"


def _amount(grid: Grid, r: int, c: int, unit: str, findings: list[Finding]) -> float | None:
    value = grid.value(r, c)
    shown = text(value)
    if shown is None or shown in DASHES:
        return None
    number = amount(value, unit)
    if number is None:
        findings.append(
            finding(
                "BAD_NUMBER",
                grid.name,
                ref(r, c),
                f"“{quoted(shown)}”不是有效金额，请填写以{unit}为单位的数字，如“35”；不适用的填“—”",
            )
        )
        return None
    return float(number)


def _read_goals(grid: Grid, index: dict[str, list[tuple[int, int]]], project: Project) -> None:
    """预期目标 and 实际完成情况: each text in the cell below its label (or, on some forms, to its right)."""
    for key, label in GOAL_LABELS.items():
        if key not in index or getattr(project, label.field):
            continue
        r, c = index[key][0]
        below = next(
            (v for rr in range(r + 1, min(r + 4, len(grid.rows))) if (v := grid.value(rr, c)) is not None),
            None,
        )
        if below is not None and not (below.__class__ is str and national_key(below) in LABELS):
            value, cell = below, ref(r + 1, c)
        else:
            value, col = right_of(grid, r, c)
            cell = ref(r, col)
        project.cells[label.field] = cell
        setattr(project, label.field, text(value))


def _two_row_header(grid: Grid, table: tuple[int, dict[str, int]]) -> tuple[int, dict[str, int]]:
    """The first data row and the columns, taking a second header row (年初指标值 / 调整后指标值 under a merged
    年度指标值) when the row below the header holds headers."""
    header_row, columns = table
    below = header_row + 1
    extra = {}
    if below < len(grid.rows):
        for c, v in enumerate(grid.rows[below]):
            label = INDICATOR_HEADERS.get(national_key(v)) if v.__class__ is str else None
            if label is not None and label.field not in columns:
                extra[label.field] = c
    if not extra:
        return below, columns
    if "target" in columns and {"target_initial", "target_adjusted"} & set(extra):
        columns = {f: c for f, c in columns.items() if f != "target"}  # the merged heading over the two
    return below + 1, {**columns, **extra}


@dataclass
class _Group:
    """An 一级 or 二级 group: its name, the weight its label carries (产出指标(50分)), and its rows' Σ 分值."""

    label: str  # as written, weight included
    name: str
    weight: Decimal | None
    cell: str
    rows: Decimal = Decimal(0)


def _read_indicators(
    grid: Grid, first: int, columns: dict[str, int], findings: list[Finding]
) -> tuple[list[Indicator], int]:
    """The indicator rows from ``first`` to 总分 (or the first narrative row), and the row where it stopped."""
    sheet = grid.name
    label_columns = sorted({c for f, c in columns.items() if f in ("level1", "level2", "name")} | {0})
    groups: dict[str, _Group | None] = {"level1": None, "level2": None}  # the groups the row stands in
    weighted: list[_Group] = []
    indicators: list[Indicator] = []
    end = len(grid.rows)
    for r in range(first, len(grid.rows)):
        keys = {national_key(v) for v in grid.rows[r][: max(label_columns) + 1] if v.__class__ is str}
        if TOTAL in keys or keys & set(NARRATIVES):
            end = r
            break
        values = {f: grid.value(r, c) for f, c in columns.items()}
        shown = {f: display_text(v, (r, columns[f]) in grid.percent) for f, v in values.items()}
        if all(v is None for v in shown.values()):
            continue
        for level in ("level1", "level2"):
            if shown.get(level) is None:
                continue
            raw = shown[level] or ""
            current = groups[level]
            if current is not None and current.label == raw:
                continue  # the group's label repeated on each of its rows
            group = _Group(raw, _GROUP_WEIGHT.sub("", raw) or raw, bracket_weight(raw), ref(r, columns[level]))
            if level == "level1":
                groups["level2"] = None
            groups[level] = group
            if group.weight is not None:
                weighted.append(group)
        name = shown.get("name")
        if name is None and shown.get("target") is None and shown.get("weight") is None:
            continue  # a group heading row, or notes under the table
        if name is not None and _PLACEHOLDER.match(canon(name)) and shown.get("actual") is None:
            continue  # 指标1：, …… : a row the form prints for the unit to fill
        cells = {f: ref(r, c) for f, c in columns.items()}
        target, cells["target"] = _target(shown, cells)
        weight = number_cell(sheet, cells["weight"], values["weight"], "分值", findings, required=True)
        claimed = (
            number_cell(sheet, cells["claimed"], values["claimed"], "得分", findings) if "claimed" in values else None
        )
        for member in groups.values():
            if member is not None and weight is not None:
                member.rows += to_decimal(weight)
        indicators.append(
            Indicator(
                row=r + 1,
                level1=groups["level1"].name if groups["level1"] else None,
                level2=groups["level2"].name if groups["level2"] else None,
                name=name,
                nature=shown.get("nature"),
                target=target,
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
    for group in weighted:
        if group.weight is not None and group.rows != group.weight:
            findings.append(
                finding(
                    "WEIGHT_SUM",
                    sheet,
                    group.cell,
                    f"“{group.name}”标注为{plain(group.weight)}分，但其下各指标分值合计{plain(group.rows)}分；"
                    "请核对各指标分值或标注的分值",
                )
            )
    return indicators, end


def _target(shown: dict[str, str | None], cells: dict[str, str]) -> tuple[str | None, str]:
    """调整后指标值 when filled, else 年度指标值, else 年初指标值; and its cell."""
    for field in ("target_adjusted", "target", "target_initial"):
        if shown.get(field) is not None:
            return shown[field], cells[field]
    field = next(f for f in ("target", "target_adjusted", "target_initial") if f in cells)
    return None, cells[field]


def _total_claim(grid: Grid, end: int, columns: dict[str, int]) -> list[Claim]:
    """The unit's 总分, in the 得分 column of the 总分 row."""
    if end >= len(grid.rows) or "claimed" not in columns:
        return []
    c = columns["claimed"]
    keys = {national_key(v) for v in grid.rows[end] if v.__class__ is str}
    if TOTAL not in keys:
        return []
    return [_claim(grid, "total", end, c)]


def _read_narrative(grid: Grid, index: dict[str, list[tuple[int, int]]], end: int) -> list[Remark]:
    """The rows below the table that the report tells as problems and measures (问题 / 措施)."""
    remarks = []
    spots = sorted((r, c, NARRATIVES[k]) for k in NARRATIVES for r, c in index.get(k, ()) if r >= end)
    for r, c, label in spots:
        value, _ = right_of(grid, r, c)
        shown = text(value)
        if shown is not None and shown not in DASHES:
            remarks.append(Remark(label.field if label.field in ("问题", "措施") else None, shown))
    return remarks
