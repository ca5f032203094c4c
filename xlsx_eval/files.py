"""Files on disk: written so that an interrupted run never leaves half a file, read only when they are regular
files, and their faults (full disk, read-only folder, a name too long) told in one Chinese line."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path

#: The longest file name most file systems take (ext4, NTFS, APFS count bytes or UTF-16 units up to 255).
NAME_MAX = 255
#: The longest stem an output name can have: <stem>.scored.xlsx, <stem>.report.docx must fit in NAME_MAX.
MAX_STEM_BYTES = NAME_MAX - len(".scored.xlsx")


@contextlib.contextmanager
def atomic_path(dest: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``dest``; rename it onto ``dest`` only on success.

    The temporary name is short and fixed in length, so that any ``dest`` whose own name fits also fits.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp_path = dest.parent / f".xlsx-eval-{secrets.token_hex(8)}.tmp"
    fd = os.open(tmp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies, as for any file
    os.close(fd)
    try:
        yield tmp_path
        os.replace(tmp_path, dest)
    finally:
        tmp_path.unlink(missing_ok=True)


def digest(path: Path) -> str:
    """SHA-256 of a regular file's bytes; "" when it is missing, unreadable or not a regular file (such a
    digest never matches a recorded one). Opened without blocking, so a FIFO put in its place cannot hang it."""
    h = hashlib.sha256()
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except (OSError, ValueError):
        return ""
    with os.fdopen(fd, "rb") as f:
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return ""
            while chunk := f.read(1 << 20):
                h.update(chunk)
        except OSError:
            return ""
    return h.hexdigest()


def shorten(text: str, max_bytes: int) -> str:
    """``text`` cut to at most ``max_bytes`` of UTF-8, on a character boundary."""
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    return data[:max_bytes].decode("utf-8", "ignore").rstrip(" .")


def fault(exc: BaseException, where: Path | str) -> str | None:
    """One Chinese line for an OS fault writing at ``where`` (full disk, read-only, no permission, name too
    long), with what to do; None when ``exc`` is not one of those. An OSError wrapped by a library (as
    xlsxwriter's FileCreateError wraps it) is found inside."""
    code = _errno(exc)
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return f"磁盘已满，无法写入 {where}；请腾出磁盘空间（或换一个输出文件夹）后重新运行"
    if code == errno.EROFS:
        return f"{where} 所在的磁盘是只读的，无法写入；请用 -o 换一个可以写入的输出文件夹"
    if code in (errno.EACCES, errno.EPERM):
        return f"没有写入 {where} 的权限；请用 -o 换一个可以写入的输出文件夹，或请管理员开放写入权限"
    if code == errno.ENAMETOOLONG:
        return f"文件名或路径过长，无法写入 {where}；请把输入文件改用较短的名称，或换一个路径较短的输出文件夹"
    return None


def _errno(exc: BaseException | None, depth: int = 0) -> int | None:
    if exc is None or depth > 4:
        return None
    if isinstance(exc, OSError) and exc.errno is not None:
        return exc.errno
    inner = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else None
    return _errno(inner or exc.__cause__ or exc.__context__, depth + 1)
