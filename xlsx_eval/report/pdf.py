"""Word reports to PDF with LibreOffice (``soffice``), the way users' office suites would print them."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

#: Seconds LibreOffice gets: its start, then each document.
START_SECONDS, PER_DOCUMENT_SECONDS = 60, 20
INSTALL_HINT = "请安装 LibreOffice（Debian/Ubuntu：apt-get install libreoffice-writer fonts-noto-cjk）后重试"


def soffice() -> str | None:
    """The LibreOffice program on PATH, or None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def to_pdf(documents: Sequence[Path], done: Callable[[Path], None] | None = None) -> dict[Path, str]:
    """Write ``<name>.pdf`` beside each .docx; return {document: why} for each PDF that was not written.

    One LibreOffice run per folder, with a profile of its own (so that a LibreOffice the user has open does
    not block it); each PDF is made in a temporary folder and renamed into place.
    """
    program = soffice()
    if program is None:
        return {doc: f"未找到 LibreOffice（soffice），未生成 PDF；{INSTALL_HINT}" for doc in documents}
    failed: dict[Path, str] = {}
    by_folder: dict[Path, list[Path]] = {}
    for doc in documents:
        by_folder.setdefault(Path(doc).parent, []).append(Path(doc))
    for folder, docs in by_folder.items():
        with tempfile.TemporaryDirectory(prefix=".pdf-", dir=folder) as work:
            why = _convert(program, docs, Path(work))
            for doc in docs:
                made = Path(work) / f"{doc.stem}.pdf"
                if made.is_file():
                    os.replace(made, doc.with_suffix(".pdf"))
                    if done:
                        done(doc)
                else:
                    failed[doc] = why or "LibreOffice 未能转换该文件，请用 Word 或 WPS 打开后另存为 PDF"
    return failed


def _convert(program: str, docs: list[Path], work: Path) -> str | None:
    """Run LibreOffice over ``docs`` into ``work``; a reason in Chinese when the run itself failed."""
    try:
        with tempfile.TemporaryDirectory(prefix="xlsx-eval-soffice-") as profile:
            command = [
                program,
                f"-env:UserInstallation={Path(profile).resolve().as_uri()}",
                "--headless",
                "--norestore",
                "--convert-to",
                "pdf",
                "--outdir",
                str(work),
                *map(str, docs),
            ]
            subprocess.run(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                timeout=START_SECONDS + PER_DOCUMENT_SECONDS * len(docs),
                check=True,
            )
    except subprocess.TimeoutExpired:
        return "LibreOffice 转换超时，未生成 PDF；请稍后重试，或用 Word 或 WPS 打开后另存为 PDF"
    except (OSError, subprocess.CalledProcessError) as exc:
        return f"LibreOffice 运行失败，未生成 PDF（技术信息：{exc}）"
    return None
