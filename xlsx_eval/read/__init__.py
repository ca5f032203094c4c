"""Reading: a file is looked at (``sniff``), the sheets its layout needs are loaded (``grid``), and the layout's
reader takes the form out of them (``workbook`` for ours).

Nothing here raises for a user's bad file except UnreadableWorkbook, with a Chinese message.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import UnreadableWorkbook
from ..findings import Finding, finding
from ..model import Form
from ..values import quoted
from .grid import load_grids
from .sniff import sniff
from .workbook import plan, read_ours


def read_workbook(path: Path) -> Form:
    """Read one workbook. Raises UnreadableWorkbook only when it is not a readable workbook."""
    path = Path(path)
    if not path.is_file():
        raise UnreadableWorkbook(f"找不到文件 {path}")
    sniffed = sniff(path, plan)
    findings: list[Finding] = [
        finding(
            "PART_DROPPED",
            "",
            "",
            f"工作簿中的部件“{quoted(name)}”的路径指向工作簿之外（文件可能被篡改或损坏），评分后的副本已将其删除",
        )
        for name in sniffed.dropped_parts
    ]
    all_sheets, grids = load_grids(path, sniffed, plan, findings)
    return read_ours(path, sniffed.kind, all_sheets, grids, sniffed.scored_sheet, findings)
