"""Reading: a file is looked at (``sniff``), the sheets its layout needs are loaded (``grid``), and the layout's
reader takes the forms out of them: ``workbook`` for ours (one form, the whole workbook), ``national`` for each
sheet that holds a national 项目支出绩效自评表. ``declared`` reads the 绩效目标申报表 the review compares them with.

Nothing here raises for a user's bad file except UnreadableWorkbook, with a Chinese message.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import UnreadableWorkbook
from ..findings import Finding, finding
from ..model import SHEET_RESULT, Form
from ..values import quoted
from .declared import holds_declaration
from .grid import load_grids
from .national import holds_form, label_index, read_national
from .sniff import sniff
from .workbook import is_ours, plan, read_ours


def read_forms(path: Path) -> list[Form]:
    """Read one workbook: our workbook is one form; otherwise each sheet holding a national form is one, in the
    workbook's order (a cover sheet, an empty Sheet2 are read past). A workbook that is neither is read as ours,
    whose reader says what is missing. Raises UnreadableWorkbook only when it is not a readable workbook."""
    path = Path(path)
    if not path.is_file():
        raise UnreadableWorkbook(f"找不到文件 {path}")
    sniffed = sniff(path, layout_plan)
    findings: list[Finding] = [
        finding(
            "PART_DROPPED",
            "",
            "",
            f"工作簿中的部件“{quoted(name)}”的路径指向工作簿之外（文件可能被篡改或损坏），评分后的副本已将其删除",
        )
        for name in sniffed.dropped_parts
    ]
    all_sheets, grids = load_grids(path, sniffed, layout_plan, findings)
    scored = sniffed.scored_sheet
    if not is_ours(all_sheets):
        indexes = {name: label_index(grid) for name, grid in grids.items()}
        declared = [name for name, grid in grids.items() if holds_declaration(grid, indexes[name])]
        forms = [
            read_national(
                path,
                sniffed.kind,
                all_sheets,
                grid,
                indexes[name],
                scored,
                [f for f in findings if f.sheet in ("", name)],
            )
            for name, grid in grids.items()
            if name not in declared and holds_form(grid, indexes[name])
        ]
        if forms:
            return forms
        if declared:
            raise UnreadableWorkbook(
                f"这是绩效目标申报表（工作表“{quoted(declared[0])}”），不是绩效自评表；"
                f"复核时请把申报表放在 --declared 之后，如 xlsx-eval review 自评表/ -o out --declared 申报表/"
            )
    ours = plan(all_sheets)[0]
    return [read_ours(path, sniffed.kind, all_sheets, {n: g for n, g in grids.items() if n in ours}, scored, findings)]


def layout_plan(names: list[str]) -> tuple[set[str], set[str]]:
    """The sheets to read, and those whose percent cells matter: our workbook's (workbook.plan), or, for a
    workbook that is not ours, every sheet but a 评分结果 an earlier run wrote (each may hold a national form)."""
    if is_ours(names):
        return plan(names)
    sheets = {n for n in names if not n.strip().startswith(SHEET_RESULT)}
    return sheets, sheets
