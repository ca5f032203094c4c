"""Uploaded files into a job's folder: each in a folder of a random name (never a path the browser sent), within
the size and count limits, and a .zip of workbooks unpacked with the checks every workbook gets (no member
outside the archive, no bomb, no more than the limits allow)."""

from __future__ import annotations

import os
import re
import secrets
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO

from ..batch.inputs import WORKBOOK_SUFFIXES, skip_reason
from ..files import shorten
from ..read.sniff import DEFAULT_LIMITS

#: Inflated / compressed past which a member over 1 MiB is taken for a bomb (the workbook reader's own limit).
MAX_RATIO = DEFAULT_LIMITS.max_ratio
_CHUNK = 1 << 20
_UNSAFE = re.compile(r'[\x00-\x1f\x7f\\/:*?"<>|]')
MAX_NAME_BYTES = 120  # a stem's UTF-8 bytes: 40 Chinese characters, well inside what <stem>.report.docx may have


@dataclass(frozen=True)
class UploadLimits:
    file_bytes: int = 20 << 20  # one workbook, as uploaded or unpacked
    batch_bytes: int = 200 << 20  # one request's body, and all it unpacks to
    files: int = 500  # workbooks in one batch


@dataclass
class Saved:
    """What an upload left in the folder: where each file is kept (``<random>/<name>``, relative to the folder) →
    the name the user knows it by (a member of a .zip: ``材料.zip/一区/甲.xlsx``); and what was refused."""

    files: dict[str, str] = field(default_factory=dict)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (the user's name, why), in Chinese
    bytes: int = 0


def mb(n: int) -> str:
    return f"{n / (1 << 20):.1f}".rstrip("0").rstrip(".")


def save_uploads(parts: Sequence[tuple[str, IO[bytes]]], folder: Path, limits: UploadLimits) -> Saved:
    """Each (name, file) as a workbook in ``folder``; a ``.zip`` is unpacked, its workbooks taken like a folder's."""
    folder.mkdir(parents=True, exist_ok=True)
    saved = Saved()
    for name, data in parts:
        name = PurePosixPath(name.replace("\\", "/")).name or "未命名"  # the browser's name, for display only
        if name.casefold().endswith(".zip"):
            _unpack(name, data, folder, limits, saved)
        else:
            _take(name, data, None, folder, limits, saved)
    return saved


def _take(
    shown: str, data: IO[bytes], size: int | None, folder: Path, limits: UploadLimits, saved: Saved
) -> Path | None:
    """One workbook into the folder (its path), unless it breaks a limit (then refused, with why, and None)."""
    if len(saved.files) >= limits.files:
        saved.refused.append((shown, f"一次最多处理 {limits.files} 个文件，这个文件未处理；请分几次上传"))
        return None
    room = min(limits.file_bytes, limits.batch_bytes - saved.bytes)
    slot = folder / secrets.token_hex(8)
    slot.mkdir()
    dest = slot / safe_name(shown)
    written = 0
    with open(os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
        while chunk := data.read(_CHUNK):
            written += len(chunk)
            if written > room:
                break
            out.write(chunk)
    if written > room:
        dest.unlink()
        slot.rmdir()
        if room < limits.file_bytes:
            why = f"本次上传已超过 {mb(limits.batch_bytes)} MB 的总量上限，这个文件未处理；请分几次上传"
        else:
            why = (
                f"文件有 {mb(max(written, size or 0))} MB 以上，超过每个文件 {mb(limits.file_bytes)} MB 的上限；"
                "请删去多余的图片、空行后重新上传"
            )
        saved.refused.append((shown, why))
        return None
    saved.files[f"{slot.name}/{dest.name}"] = shown
    saved.bytes += written
    return dest


def safe_name(shown: str) -> str:
    """The name a file is kept under in its random folder: the user's own file name (so that the scored copies,
    summary.xlsx and review.xlsx carry the names the bureau knows), without a folder, a character a file system
    refuses or a leading dot, and short enough for every output name made from it."""
    name = _UNSAFE.sub("_", PurePosixPath(shown).name).strip(" .") or "未命名"
    stem, suffix = os.path.splitext(name)
    if suffix.lower() not in WORKBOOK_SUFFIXES:
        stem, suffix = name, ""
    return (shorten(stem, MAX_NAME_BYTES) or "未命名") + suffix.lower()


def _unpack(name: str, data: IO[bytes], folder: Path, limits: UploadLimits, saved: Saved) -> None:
    try:
        archive = zipfile.ZipFile(data)
        members = [i for i in archive.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        saved.refused.append((name, "不是有效的 .zip 压缩包（可能已损坏，或只是改了扩展名）；请重新压缩后上传"))
        return
    if any(i.filename == "[Content_Types].xml" for i in members):  # an .xlsx renamed .zip: a workbook itself
        data.seek(0)
        _take(name[: -len(".zip")] + ".xlsx", data, None, folder, limits, saved)
        return
    inflated = sum(i.file_size for i in members)
    if inflated > limits.batch_bytes - saved.bytes:
        saved.refused.append(
            (
                name,
                f"压缩包解压后共有 {mb(inflated)} MB，超过一次 {mb(limits.batch_bytes)} MB 的上限；请分几次上传",
            )
        )
        return
    with archive:
        for info in members:
            member = _member_name(info)
            shown = f"{name}/{member}"
            parts = PurePosixPath(member).parts
            if parts and (parts[0] == "__MACOSX" or parts[-1].startswith("._")):
                continue  # the Mac's resource forks, not files anyone put there
            why = _unfit(member, info)
            if why is None:
                with archive.open(info) as inner:
                    dest = _take(shown, inner, info.file_size, folder, limits, saved)
                if dest is not None and dest.suffix == ".xml" and not _spreadsheetml(dest):
                    saved.bytes -= dest.stat().st_size
                    dest.unlink()
                    dest.parent.rmdir()
                    del saved.files[f"{dest.parent.name}/{dest.name}"]
                    saved.refused.append((shown, "XML 文件，但不是 XML 表格"))
            else:
                saved.refused.append((shown, why))


def _unfit(member: str, info: zipfile.ZipInfo) -> str | None:
    """Why a member of an uploaded .zip is not unpacked, or None."""
    path = PurePosixPath(member)
    if not path.parts or member.startswith("/") or ".." in path.parts or ":" in path.parts[0]:
        return "压缩包中的路径不安全（含“..”、盘符或绝对路径），未处理"
    suffix = path.suffix.lower()
    if suffix == ".zip":
        return "压缩包中的压缩包不再展开；请先解压后再上传"
    if suffix != ".xml" and (reason := skip_reason(Path(path.name))):  # an .xml is judged by its content, unpacked
        return reason
    if info.flag_bits & 0x1:
        return "压缩包中的文件设有密码，无法解压；请去掉密码后重新压缩上传"
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > 1 << 20 and ratio > MAX_RATIO:
        return f"解压后有 {mb(info.file_size)} MB（压缩比 {ratio:.0f}:1），像是压缩炸弹，未处理"
    return None


def _spreadsheetml(path: Path) -> bool:
    from ..read.spreadsheetml import is_spreadsheetml

    with path.open("rb") as f:
        return is_spreadsheetml(f.read(4096))


def _member_name(info: zipfile.ZipInfo) -> str:
    """A member's name as its maker meant it: Windows' 发送到压缩文件夹 writes names in the local code page (GBK in
    China) without the UTF-8 flag, which Python reads as CP437."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gbk")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename
