"""Which files a command was given: files, folders (searched recursively) and glob patterns."""

from __future__ import annotations

import glob
from dataclasses import dataclass, field
from pathlib import Path

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
SUMMARY_NAME = "summary.xlsx"


@dataclass
class Inputs:
    paths: list[Path] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)  # (file, why), in Chinese


def skip_reason(path: Path) -> str | None:
    """Why a file found in a folder is not a workbook to score, or None when it is one."""
    name = path.name
    if name.startswith("~$"):
        return "Excel 锁定文件（原文件正在 Excel 中打开）"
    if ".scored." in name or name == SUMMARY_NAME:
        return "xlsx-eval 的输出文件"
    if path.suffix.lower() not in WORKBOOK_SUFFIXES:
        return "不是工作簿"
    return None


def expand_inputs(items: list[str]) -> Inputs:
    """Files as given, folders and globs as the workbooks found in them (sorted), each once.

    A named file is taken whatever its extension (the user asked for it; its content decides), except an
    Excel lock file, which is never a workbook. A name that matches nothing is kept, so that the caller
    reports it as unreadable.
    """
    found = Inputs()
    seen: set[Path] = set()

    def take(path: Path, explicit: bool) -> None:
        if path in seen:
            return
        seen.add(path)
        reason = skip_reason(path)
        if reason is None or (explicit and not path.name.startswith("~$")):
            found.paths.append(path)
        else:
            found.skipped.append((path, reason))

    for item in items:
        path = Path(item)
        if path.is_dir():
            for p in sorted(p for p in path.rglob("*") if p.is_file()):
                take(p, explicit=False)
        elif any(ch in item for ch in "*?[") and not path.exists():
            for p in sorted(Path(p) for p in glob.glob(item, recursive=True) if Path(p).is_file()):
                take(p, explicit=False)
        else:
            take(path, explicit=True)
    return found


def output_stems(paths: list[Path]) -> dict[Path, str]:
    """The name each input's outputs take: its stem, with -2, -3 … when another input has the same one
    (x.xlsx in two folders, or x.xlsx beside x.ods), so that no output overwrites another."""
    taken: dict[str, int] = {}
    stems = {}
    for path in paths:
        key = path.stem.casefold()
        taken[key] = taken.get(key, 0) + 1
        stems[path] = path.stem if taken[key] == 1 else f"{path.stem}-{taken[key]}"
    return stems
