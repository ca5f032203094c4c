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
