"""Which files a command was given: files, folders (searched recursively) and glob patterns."""

from __future__ import annotations

import errno
import glob
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".xml")  # .xml: an XML 表格 (SpreadsheetML 2003)
SUMMARY_NAME = "summary.xlsx"
REVIEW_NAME = "review.xlsx"


@dataclass
class Inputs:
    paths: list[Path] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)  # (file, why), in Chinese
    folders: list[Path] = field(default_factory=list)  # the folders named, searched for workbooks


def skip_reason(path: Path) -> str | None:
    """Why a file found in a folder is not a workbook to score, or None when it is one."""
    name = path.name
    if name.startswith("~$"):
        return "Excel 锁定文件（原文件正在 Excel 中打开）"
    if ".scored." in name or name in (SUMMARY_NAME, REVIEW_NAME):
        return "xlsx-eval 的输出文件"
    if path.suffix.lower() not in WORKBOOK_SUFFIXES:
        return "不是工作簿"
    if path.suffix.lower() == ".xml" and not _is_xml_workbook(path):
        return "XML 文件，但不是 XML 表格"
    return None


def _is_xml_workbook(path: Path) -> bool:
    """Whether an .xml file in a folder is a SpreadsheetML workbook (a folder holds other XML too)."""
    from ..read.spreadsheetml import is_spreadsheetml

    try:
        with path.open("rb") as f:
            return is_spreadsheetml(f.read(4096))
    except OSError:
        return True  # taken, and reported as unreadable like any file that cannot be read


def not_a_file(path: Path) -> str | None:
    """Why ``path`` cannot be opened as a file (a FIFO, device, socket or symlink loop), or None. A path that
    does not exist is not refused here: it is reported as unreadable, like any file that cannot be read."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "符号链接循环指向自身，无法打开"
        return None
    except ValueError:
        return None
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "是管道（FIFO），不是普通文件"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "是设备文件，不是普通文件"
    if stat.S_ISSOCK(mode):
        return "是套接字，不是普通文件"
    if stat.S_ISDIR(mode):
        return None  # a folder is searched, not opened
    return "不是普通文件"


def expand_inputs(items: list[str]) -> Inputs:
    """Files as given, folders and globs as the workbooks found in them (sorted), each once.

    A named file is taken whatever its extension (the user asked for it; its content decides), except an
    Excel lock file, which is never a workbook. Only regular files are taken: FIFOs, devices, sockets and
    symlink loops are skipped and counted, even when named. A name that matches nothing is kept, so that the
    caller reports it as unreadable. Folders are searched through symlinks, each real folder once.
    """
    found = Inputs()
    seen: set[Path] = set()

    def take(path: Path, explicit: bool) -> None:
        if path in seen:
            return
        seen.add(path)
        if _undecodable(path):
            found.skipped.append(
                (
                    Path(os.fsencode(path).decode("utf-8", "backslashreplace")),
                    "文件名不是有效的 UTF-8 文字（多见于在别的系统上压缩的文件），无法记录；请把文件改名后重试",
                )
            )
            return
        unfit = not_a_file(path)
        reason = unfit or skip_reason(path)
        if reason is None or (explicit and unfit is None and not path.name.startswith("~$")):
            found.paths.append(path)
        else:
            found.skipped.append((path, reason))

    for item in items:
        path = Path(item)
        if path.is_dir():
            found.folders.append(path)
            for p in _walk(path, found):
                take(p, explicit=False)
        elif any(ch in item for ch in "*?[") and not os.path.lexists(item):
            for p in sorted(Path(p) for p in glob.glob(item, recursive=True)):
                if not p.is_dir():
                    take(p, explicit=False)
        else:
            take(path, explicit=True)
    return found


def _walk(top: Path, found: Inputs) -> list[Path]:
    """Every entry below ``top`` that is not a folder, sorted; folders reached twice (a symlink back up the
    tree) are searched once, and a loop is counted as skipped."""
    visited: set[tuple[int, int]] = set()
    entries: list[Path] = []

    def unreadable(exc: OSError) -> None:
        found.skipped.append(
            (Path(exc.filename or top), f"无法打开这个文件夹（{exc.strerror or exc}），其中的文件未处理")
        )

    for folder, dirs, files in os.walk(top, followlinks=True, onerror=unreadable):
        try:
            st = os.stat(folder)
        except OSError:  # gone while we looked
            continue
        if (st.st_dev, st.st_ino) in visited:
            found.skipped.append((Path(folder), "符号链接指回上级文件夹，已跳过，避免重复"))
            dirs.clear()
            continue
        visited.add((st.st_dev, st.st_ino))
        entries.extend(Path(folder) / name for name in files)  # a looping link is listed here, not as a folder
    return sorted(entries)


def _undecodable(path: Path) -> bool:
    """A name holding bytes that are not UTF-8 (Python keeps them as lone surrogates, which no text can hold)."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
