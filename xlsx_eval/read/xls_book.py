"""An .xls opened with xlrd, once a convert: python-calamine reads its values, xlrd its formats, which sniff
needs (the cells shown as percentages) and so does the scored copy (its looks). The last book opened is kept,
by path, size and modification time; its sheets are loaded on demand, and whoever loads one unloads it."""

from __future__ import annotations

import functools
import io
from pathlib import Path
from typing import Any


def xls_book(path: Path) -> Any:
    """The xlrd Book of ``path``, with formatting info; raises what xlrd raises for a file it cannot read."""
    stat = path.stat()
    return _open(str(path.resolve()), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=1)
def _open(name: str, size: int, mtime_ns: int) -> Any:
    import xlrd

    # xlrd writes its warnings to stdout unless given a log (stdout is the JSON document's); read into memory, not
    # mapped, so that the book kept does not hold the file open (Windows would not let the unit's file be moved)
    return xlrd.open_workbook(name, formatting_info=True, on_demand=True, logfile=io.StringIO(), use_mmap=False)
