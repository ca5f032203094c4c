"""Which files a command was given: files, folders (searched recursively) and glob patterns."""

from __future__ import annotations

import glob
from pathlib import Path

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")


def is_candidate(path: Path) -> bool:
    """A workbook a person filled: not an Excel lock file (~$name.xlsx), not one of our own outputs."""
    name = path.name
    return (
        path.suffix.lower() in WORKBOOK_SUFFIXES
        and not name.startswith("~$")
        and ".scored." not in name
        and name != "summary.xlsx"
    )


def expand_inputs(items: list[str]) -> list[Path]:
    """Files as given (even with an odd name: the user asked for them), folders and globs as workbooks found.

    A name that matches nothing is returned as it is, so that the caller reports it as unreadable.
    """
    found: list[Path] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.is_file() and is_candidate(p))
        elif any(ch in item for ch in "*?[") and not path.exists():
            found += sorted(Path(p) for p in glob.glob(item, recursive=True) if is_candidate(Path(p)))
        else:
            found.append(path)
    unique: dict[Path, None] = dict.fromkeys(found)
    return list(unique)
