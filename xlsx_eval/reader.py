"""Read a filled workbook into the model (template.md), noting the cell of every value.

Values come from python-calamine (fast, one engine for .xlsx, .xlsm, .xls and .ods); what it cannot
tell (which cells of 绩效指标 are formatted as percent, which hold formulas without a saved value or show
an error) comes from ``sniff``'s look at the file.
Headers and labels are found by name, never by position.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from . import a1
from .errors import UnreadableWorkbook
from .findings import Finding, finding
from .model import (
    SHEET_INDICATORS,
    SHEET_INFO,
    SHEET_LEDGER,
    SHEET_PROBLEMS,
    SHEET_TEAM,
    Indicator,
    Member,
    Payment,
    Project,
    Remark,
    Workbook,
)
from .sheet_names import candidates
from .sheet_names import match as sheet_names_of
from .sniff import Sniffed, sniff
from .values import (
    MONEY_UNITS,
    label_key,
    parse_date,
    parse_number,
    parse_quantity,
    plain,
    quoted,
    text,
    to_decimal,
)

KNOWN_SHEETS = (SHEET_INFO, SHEET_INDICATORS, SHEET_LEDGER, SHEET_TEAM, SHEET_PROBLEMS)
HEADER_SEARCH_ROWS = 10
#: A figure of 项目信息 smaller than this (but not 0) is a slip, not an amount: 1e-60 would make a rate of 10^61 %.
SMALLEST = Decimal("0.000001")
TOTAL_WORDS = {"合计", "总计", "小计", "总分"}
NOT_APPLICABLE = "不适用"  # what the scored copy writes in 自评得分 for an indicator left out


# 项目信息: label → (Project field, kind). Required labels are checked separately.
INFO_LABELS: dict[str, tuple[str, str]] = {
    "评价年度": ("year", "year"),
    "单位名称": ("unit", "text"),
    "主管部门": ("department", "text"),
    "项目名称": ("name", "text"),
    "项目负责人": ("manager", "text"),
    "联系人": ("contact", "text"),
    "联系电话": ("phone", "text"),
    "联系人邮箱": ("email", "text"),
    "评价依据": ("basis", "text"),
    "项目概况": ("overview", "text"),
    "年度总体目标": ("goals", "text"),
    "目标完成情况": ("goals_met", "text"),
    "自评组织工作": ("organisation", "text"),
    "自评方法和过程": ("method", "text"),
    "金额单位": ("money_unit", "text"),
    "年初预算数": ("initial_budget", "amount"),
    "全年预算数": ("budget", "amount"),
    "资金到位数": ("received", "amount"),
    "其中财政资金": ("fiscal", "amount"),
    "全年执行数": ("executed", "amount"),
    "预算执行率分值": ("execution_weight", "number"),
}
INFO_REQUIRED = ("评价年度", "单位名称", "项目名称", "全年预算数", "全年执行数")

# Column headers → record field, and which of them must be there.
INDICATOR_COLUMNS = {
    "一级指标": "level1",
    "二级指标": "level2",
    "三级指标": "name",
    "指标性质": "nature",
    "年度指标值": "target",
    "计量单位": "unit",
    "实际完成值": "actual",
    "分值": "weight",
    "自评得分": "claimed",
    "偏差原因分析及改进措施": "reason",
    "指标值确定依据": "basis",
    "绩效指标描述": "description",
}
# 实际完成值 is not starred in template.md, but nothing can be scored without it.
INDICATOR_REQUIRED = ("一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值")
LEDGER_COLUMNS = {
    "日期": "date",
    "摘要": "summary",
    "金额": "amount",
    "支出类别": "category",
    "凭证号": "voucher",
    "备注": "note",
}
LEDGER_REQUIRED = ("日期", "摘要", "金额")
TEAM_COLUMNS = {"姓名": "name", "工作单位": "organisation", "职务": "post", "职称": "title", "分工": "role"}
TEAM_REQUIRED = ("姓名",)
REMARK_COLUMNS = {"类别": "kind", "内容": "text"}
REMARK_REQUIRED = ("内容",)

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")


def ref(row: int, col: int) -> str:
    """A1 reference of a 0-based (row, col)."""
    return a1.cell(row + 1, col + 1)


@dataclass
class Grid:
    """One sheet's values, row 0 = Excel row 1, with the sheet's name as written in the file.

    ``suspect`` cells (a formula with no trustworthy saved value, or an error such as #DIV/0!) read as
    blank; the ones the reader actually used are reported by ``suspect_findings``.
    """

    name: str
    rows: list[list[Any]]
    suspect: dict[tuple[int, int], str] = field(default_factory=dict)
    used: set[tuple[int, int]] = field(default_factory=set)

    def value(self, row: int, col: int) -> Any:
        if (row, col) in self.suspect:
            self.used.add((row, col))
            return None
        if row < len(self.rows) and col < len(self.rows[row]):
            v = self.rows[row][col]
            return None if text(v) is None else v
        return None

    def suspect_findings(self) -> list[Finding]:
        found = []
        for r, c in sorted(self.used):
            error = self.suspect[(r, c)]
            if error:
                found.append(
                    finding(
                        "FORMULA_ERROR",
                        self.name,
                        ref(r, c),
                        f"单元格显示公式错误“{error}”，无法读取数值；请修正公式，或直接填写数值",
                    )
                )
            else:
                found.append(
                    finding(
                        "FORMULA_NO_VALUE",
                        self.name,
                        ref(r, c),
                        "该单元格是公式，但文件中没有保存可信的计算结果（多见于程序生成的文件），未予采用；"
                        "请在 Excel 或 WPS 中打开并保存一次，或直接填写数值",
                    )
                )
        return found


def read_workbook(path: Path) -> Workbook:
    """Read one workbook. Raises UnreadableWorkbook only when it is not a readable workbook."""
    path = Path(path)
    if not path.is_file():
        raise UnreadableWorkbook(f"找不到文件 {path}")
    sniffed = sniff(path, KNOWN_SHEETS, percent_sheets=(SHEET_INDICATORS,))
    findings: list[Finding] = []
    findings.extend(
        finding(
            "PART_DROPPED",
            "",
            "",
            f"工作簿中的部件“{quoted(name)}”的路径指向工作簿之外（文件可能被篡改或损坏），评分后的副本已将其删除",
        )
        for name in sniffed.dropped_parts
    )
    all_sheets, grids = _load_grids(path, sniffed, findings)
    # a near miss with characters put in is ours only if it holds what ours holds (a unit's 支出明细汇总 is not)
    sheet_names, unsure = sheet_names_of(KNOWN_SHEETS, list(grids), lambda k, a: _looks_like(k, grids[a]))
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
        percent_cells = {_position(cell) for cell in sniffed.percent_cells.get(grid.name, ())}
        table = _find_header(grid, INDICATOR_COLUMNS, INDICATOR_REQUIRED, findings)
        if table is None:
            scorable = False
        else:
            _typed_with_equals(grid, table, sniffed.formula_texts.get(grid.name, {}), percent_cells, findings)
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
        table = _find_header(grid, LEDGER_COLUMNS, LEDGER_REQUIRED, findings)
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
        table = _find_header(grid, TEAM_COLUMNS, TEAM_REQUIRED, findings)
        team = [Member(**rec) for rec in _records(grid, table, "name")] if table else []  # type: ignore[arg-type]  # name is filled: _records keeps only such rows

    remarks: list[Remark] = []
    if SHEET_PROBLEMS in sheet_names:
        grid = grids[sheet_names[SHEET_PROBLEMS]]
        table = _find_header(grid, REMARK_COLUMNS, REMARK_REQUIRED, findings)
        remarks = [Remark(rec.get("kind"), rec["text"] or "") for rec in _records(grid, table, "text")] if table else []

    for grid in grids.values():
        findings.extend(grid.suspect_findings())
    return Workbook(
        path=path,
        kind=sniffed.kind,
        all_sheets=all_sheets,
        scored_sheet=sniffed.scored_sheet,
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
    columns, required = {
        SHEET_INDICATORS: (INDICATOR_COLUMNS, INDICATOR_REQUIRED),
        SHEET_LEDGER: (LEDGER_COLUMNS, LEDGER_REQUIRED),
        SHEET_TEAM: (TEAM_COLUMNS, TEAM_REQUIRED),
        SHEET_PROBLEMS: (REMARK_COLUMNS, REMARK_REQUIRED),
    }[known]
    return _find_header(grid, columns, required, []) is not None


def _load_grids(path: Path, sniffed: Sniffed, findings: list[Finding]) -> tuple[list[str], dict[str, Grid]]:
    """Every sheet's name, and the known sheets' values, text normalised once here; the user's own sheets
    are never parsed.

    python-calamine is called directly: pandas' calamine engine is this same reader plus a DataFrame the
    reader would only turn back into rows (measured on this project's bench: 0.6 ms against 4 ms for a
    filled form, 0.6 s against 1.0–1.3 s for a 100,000-row ledger).
    """
    import python_calamine

    try:
        with path.open("rb") as f:  # from a file object, calamine goes by the content, not the name's extension
            book = python_calamine.CalamineWorkbook.from_filelike(f)
            all_sheets = list(book.sheet_names)
            read = candidates(KNOWN_SHEETS, all_sheets)
            rows_of = {
                name: book.get_sheet_by_name(name).to_python(skip_empty_area=False)
                for name in all_sheets
                if name in read
            }
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # calamine's own errors, and its Rust panics (pyo3's PanicException)
        raise UnreadableWorkbook(
            f"无法作为 Excel 工作簿读取，文件可能已损坏或格式不受支持；请用 Excel 或 WPS 打开后另存为 .xlsx 再提交"
            f"（技术信息：{type(exc).__name__}: {exc}）"
        ) from exc
    grids = {}
    for name, rows in rows_of.items():
        strings = [v for row in rows for v in row if v.__class__ is str]
        if _UNCLEAN.search("\n".join(strings)):  # one search per sheet; cell by cell only when it finds something
            for r, row in enumerate(rows):
                for c, value in enumerate(row):
                    if value.__class__ is str and _UNCLEAN.search(value):
                        row[c] = _clean_text(value, name, ref(r, c), findings)
        suspect = {_position(cell): error for cell, error in sniffed.suspect_cells.get(name, {}).items()}
        grids[name] = Grid(name, rows, suspect)
    return all_sheets, grids


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_UNCLEAN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\r]")  # a control character or a carriage return


def _clean_text(value: str, sheet: str, cell: str, findings: list[Finding]) -> str:
    """Line breaks made uniform; control characters (which no office suite can save back) removed, and said so."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    if _CONTROL.search(value):
        value = _CONTROL.sub("", value)
        findings.append(
            finding(
                "CONTROL_CHARS",
                sheet,
                cell,
                "单元格中有不可见的控制字符（多由复制粘贴带入），已删除后读取；请检查文字是否完整",
            )
        )
    return value


def _position(cell: str) -> tuple[int, int]:
    """ "B21" → 0-based (20, 1)."""
    row, col = a1.parse(cell)
    return row - 1, col - 1


def _find_header(
    grid: Grid, columns: dict[str, str], required: Iterable[str], findings: list[Finding]
) -> tuple[int, dict[str, int]] | None:
    """The header row (the first of the first ten rows holding every required name) and field → column.

    When no row holds them all, one MISSING_COLUMN finding per missing name, against the row that
    came closest; returns None.
    """
    required = tuple(required)
    best: tuple[int, dict[str, int]] = (-1, {})
    for r in range(min(HEADER_SEARCH_ROWS, len(grid.rows))):
        found: dict[str, int] = {}
        for c, v in enumerate(grid.rows[r]):
            key = label_key(v) if text(v) is not None else ""
            if key in columns and columns[key] not in found:
                found[columns[key]] = c
        if all(columns[name] in found for name in required):
            return r, found
        if len(found) > len(best[1]):
            best = (r, found)
    row, found = best
    for name in required:
        if columns[name] not in found:
            where = f"第{row + 1}行" if row >= 0 else "前10行"
            findings.append(
                finding(
                    "MISSING_COLUMN",
                    grid.name,
                    ref(row, len(grid.rows[row])) if row >= 0 else "A1",
                    f"“{grid.name}”表{where}的表头中没有“{name}”列，请在表头行添加“{name}”列并填写",
                )
            )
    return None


def _records(grid: Grid, table: tuple[int, dict[str, int]], key: str) -> Iterator[dict[str, str | None]]:
    """The display texts of each row below the header whose ``key`` field is filled."""
    header_row, columns = table
    for r in range(header_row + 1, len(grid.rows)):
        rec = {f: text(grid.value(r, c)) for f, c in columns.items()}
        if rec.get(key) is None:
            continue
        yield rec


def _read_project(grid: Grid, findings: list[Finding]) -> tuple[Project, bool]:
    project = Project()
    raw: dict[str, tuple[Any, str]] = {}
    for r, row in enumerate(grid.rows):
        for c, v in enumerate(row[:3]):
            key = label_key(v) if text(v) is not None else ""
            if key in INFO_LABELS and key not in raw:
                raw[key] = (grid.value(r, c + 1), ref(r, c + 1))
                break

    sheet = grid.name
    for label, (value, cell) in raw.items():
        field, kind = INFO_LABELS[label]
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
        field, kind = INFO_LABELS[label]
        if kind in ("amount", "number") and text(value) is not None:
            number = _amount(value, money_unit) if kind == "amount" else parse_number(value)
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
    for label in INFO_REQUIRED:
        field, _ = INFO_LABELS[label]
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


def _amount(value: Any, money_unit: str) -> Decimal | None:
    """An amount in ``money_unit``; text such as "35万元" converts from the unit it names."""
    if isinstance(value, str):
        q = parse_quantity(value)
        if q is None:
            return None
        if not q.unit:
            return q.value
        if q.unit in MONEY_UNITS:
            return q.value * MONEY_UNITS[q.unit] / MONEY_UNITS[money_unit]
        return None
    return parse_number(value)


def _read_indicators(
    grid: Grid, table: tuple[int, dict[str, int]], percent_cells: set[tuple[int, int]], findings: list[Finding]
) -> list[Indicator]:
    header_row, columns = table
    indicators: list[Indicator] = []
    group: dict[str, str | None] = {"level1": None, "level2": None}
    for r in range(header_row + 1, len(grid.rows)):
        if any(_is_total(grid.value(r, columns[f])) for f in ("level1", "level2", "name")):
            continue  # a 合计 / 总分 row: its cells (often formulas) are not read
        values = {f: grid.value(r, c) for f, c in columns.items()}
        shown = {f: _shown(v, (r, columns[f]) in percent_cells) for f, v in values.items()}
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
        weight = _number_cell(grid.name, cells["weight"], values["weight"], "分值", findings, required=True)
        claimed = None
        if "claimed" in values:
            claimed = _number_cell(grid.name, cells["claimed"], values["claimed"], "自评得分", findings)
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
        r, c = _position(a1_ref)
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


def _shown(value: Any, percent: bool) -> str | None:
    """Cell text as the person sees it: a percent-formatted 0.94 is "94%"."""
    if percent and isinstance(value, (int, float)):
        return plain(to_decimal(value) * 100) + "%"
    return text(value)


def _number_cell(
    sheet: str, cell: str, value: Any, label: str, findings: list[Finding], required: bool = False
) -> float | None:
    """分值 (``required``: a number above 0) or 自评得分 (blank, 不适用, or a number of 0 or more)."""
    shown = text(value)
    if shown is None or (not required and shown == NOT_APPLICABLE):
        if required:
            findings.append(finding("BAD_NUMBER", sheet, cell, f"未填写{label}，请填写大于0的数字，如“10”"))
        return None
    number = parse_number(value)
    if number is None:
        findings.append(finding("BAD_NUMBER", sheet, cell, f"{label}“{quoted(shown)}”不是有效数字，请填写数字，如“10”"))
        return None
    if number < 0 or (required and number == 0):
        findings.append(
            finding("BAD_NUMBER", sheet, cell, f"{label}为{shown}，应{'大于' if required else '不小于'}0，请改正")
        )
        return None
    return float(number)


def _read_payments(
    grid: Grid, table: tuple[int, dict[str, int]], money_unit: str, findings: list[Finding]
) -> list[Payment]:
    """The ledger, row by row; written for speed, since a ledger may have 200,000 rows."""
    header_row, columns = table
    letters = {f: a1.column_letters(c + 1) for f, c in columns.items()}  # shared by every payment
    date_col, summary_col = columns["date"], columns["summary"]
    fields = list(columns.items())
    payments = []
    careful = bool(grid.suspect)  # formulas or errors in the sheet: every value through Grid.value
    for r in range(header_row + 1, len(grid.rows)):
        row = grid.rows[r]

        def cell(c: int) -> Any:
            if careful:
                return grid.value(r, c)
            v = row[c] if c < len(row) else None
            return None if v == "" else v

        if _is_total(cell(date_col)) or _is_total(cell(summary_col)):
            continue  # a 合计 row: the ledger total is computed, not read (its formula cells are not used)
        values = {f: cell(c) for f, c in fields}
        if all(v is None for v in values.values()):
            continue
        pay = Payment(
            row=r + 1,
            date=parse_date(values["date"]),
            summary=text(values["summary"]),
            amount=None,
            category=text(values.get("category")),
            voucher=text(values.get("voucher")),
            note=text(values.get("note")),
            columns=letters,
        )
        if pay.date is None:
            shown = text(values["date"])
            what = f"“{quoted(shown)}”无法识别" if shown else "未填写"
            findings.append(
                finding("BAD_DATE", grid.name, pay.cell("date"), f"支出日期{what}，请填写如“2020-01-30”的日期")
            )
        amount = _amount(values["amount"], money_unit) if values["amount"] is not None else None
        if amount is None:
            shown = text(values["amount"])
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
            pay.amount = float(amount)
        payments.append(pay)
    return payments


def _is_total(value: Any) -> bool:
    """合计, 总计, 小计 or 总分, however written; cheap for the ordinary cell that is none of them."""
    return (
        value.__class__ is str
        and len(value) < 16
        and ("计" in value or "分" in value)
        and label_key(value) in TOTAL_WORDS
    )
