"""Look at a file before any parser does, and refuse what would hurt a parser.

python-calamine aborts the whole process (no Python exception) on a legal workbook with cells at
A1 and XFD1048576, and on zip bombs; openpyxl's read-only mode parses a whole sheet when it has no
<dimension>. So the kind of file is taken from its first bytes, a zip's declared sizes and ratios
are checked before anything is inflated, a DTD or entity declaration in any XML part is refused
(the OPC packaging rules forbid them), and the extent of the cells of every worksheet is measured
with a byte scan before a parser allocates for it.
"""

from __future__ import annotations

import functools
import io
import posixpath
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from defusedxml import ElementTree as SafeET

from ..a1 import column_letters
from ..errors import UnreadableWorkbook
from . import sheet_scan
from .spreadsheetml import is_spreadsheetml
from .xls_book import xls_book

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
MACRO_WORKBOOK = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
RESULT_CODE_NAME = "xlsx_eval_result"  # the code name of the 评分结果 sheet xlsx-eval writes
SCORED_SHEET = "评分结果"  # … which is named this, or 评分结果 (2) beside a unit's own

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"

_ROOT_START = re.compile(rb"<[A-Za-z_]")
_HTML = re.compile(rb"<(html|table|!doctype\s+html)\b", re.I)
_DECLARATION = re.compile(rb"<!(DOCTYPE|ENTITY)", re.I)
_PROLOG_LIMIT = 1 << 20  # a part whose root element has not started after this is refused
_KEPT_LIMIT = 16 << 20  # the inflated bytes of small parts kept in memory for the looks after the DTD check


@dataclass(frozen=True)
class Limits:
    """What a workbook may be before it is refused (documented in docs/decisions.md)."""

    max_file_bytes: int = 100 << 20  # the file on disk
    max_part_bytes: int = 256 << 20  # one zip member, inflated
    max_total_bytes: int = 1 << 30  # all members, inflated
    max_ratio: int = 200  # inflated / compressed, for members over 1 MiB (deflate tops out near 1,032)
    max_rows: int = 200_000  # rows of one worksheet
    max_cells: int = 5_000_000  # rows × columns of one worksheet's used range


DEFAULT_LIMITS = Limits()


#: Which sheets a reader will take, given every sheet's name: (those to measure and read, those among them whose
#: percent-formatted cells and short formulas it needs to know).
SheetPlan = Callable[[list[str]], tuple[set[str], set[str]]]


def no_sheets(names: list[str]) -> tuple[set[str], set[str]]:
    return set(), set()


@dataclass
class Sniffed:
    """What the look found: the real kind of file, and cells whose value must not be taken as it reads."""

    kind: str  # "xlsx", "xlsm", "xls", "ods" or "xml" (SpreadsheetML 2003)
    scored_sheet: str | None = None  # the name of a 评分结果 sheet written by xlsx-eval, if there is one
    #: sheet name -> {A1 ref: "" for a formula with no trustworthy saved value, or the error it shows ("#DIV/0!")}
    suspect_cells: dict[str, dict[str, str]] = field(default_factory=dict)
    #: sheet name -> A1 refs of numbers formatted as percent (0.94 shown as 94%), for ``percent_sheets``
    percent_cells: dict[str, set[str]] = field(default_factory=dict)
    #: sheet name -> {A1 ref: formula text} of the short formulas in ``percent_sheets`` (a value typed "=100%")
    formula_texts: dict[str, dict[str, str]] = field(default_factory=dict)
    #: zip members whose names climb out of the package (``..``) or are absolute: left out of the scored copy
    dropped_parts: list[str] = field(default_factory=list)


def sniff(path: Path, plan: SheetPlan = no_sheets, limits: Limits = DEFAULT_LIMITS) -> Sniffed:
    """Check ``path`` before parsing; raise UnreadableWorkbook with a Chinese message if it must be refused.

    ``plan`` chooses, from the sheets' names, those a parser will read (measured, and their suspect cells found)
    and those whose percent-formatted cells the reader needs to know.
    """
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            head = f.read(4096)
    except OSError as exc:
        raise UnreadableWorkbook(f"无法打开文件（{exc.strerror}）") from exc
    if size == 0:
        raise UnreadableWorkbook("文件是空的（0 字节），请重新保存后再提交")
    if size > limits.max_file_bytes:
        raise UnreadableWorkbook(
            f"文件有 {size >> 20} MB，超过 {limits.max_file_bytes >> 20} MB 的上限；请删除无关的工作表、图片后另存"
        )
    if head.startswith(OLE2_MAGIC):
        if _is_encrypted(path):
            raise UnreadableWorkbook(
                "工作簿设置了打开密码，无法读取。请在 Excel 中打开，"
                "“文件→信息→保护工作簿→用密码进行加密”，清空密码后保存，再提交"
            )
        return _sniff_xls(path, plan)
    if is_spreadsheetml(head):  # an XML 表格, whatever its name (the budget platform names them .xls)
        return Sniffed("xml")  # measured and refused by its own reader, which holds the same limits
    if _HTML.search(head[:1024]):
        raise UnreadableWorkbook(
            "这是网页（HTML）格式的表格，只是扩展名为 .xls（一些系统这样导出）；请用 Excel 或 WPS 打开后另存为 .xlsx 再提交"
        )
    if not head.startswith(ZIP_MAGIC):
        raise UnreadableWorkbook(
            "这不是 Excel 工作簿（文件内容既不是 .xlsx 也不是 .xls）；请用 Excel 或 WPS 打开后另存为 .xlsx 再提交"
        )
    try:
        with zipfile.ZipFile(path) as zf:
            _check_sizes(zf, limits)
            parts = _Parts(zf)
            if _member_bytes(zf, "mimetype", 100).startswith(ODS_MIMETYPE):
                _check_xml_parts(parts)
                return _sniff_ods(parts, plan, limits)
            return _sniff_ooxml(parts, plan, limits)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, NotImplementedError) as exc:
        raise UnreadableWorkbook(
            "文件已损坏或不完整（可能没有下载或复制完整）；请用 Excel 或 WPS 打开后另存为 .xlsx 再提交"
        ) from exc


def _is_encrypted(path: Path) -> bool:
    """An encrypted .xlsx is an OLE2 file holding EncryptionInfo and EncryptedPackage streams."""
    with path.open("rb") as f:
        data = f.read(1 << 20)
    return "EncryptionInfo".encode("utf-16-le") in data or "EncryptedPackage".encode("utf-16-le") in data


def _check_sizes(zf: zipfile.ZipFile, limits: Limits) -> None:
    total = 0
    for info in zf.infolist():
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > limits.max_part_bytes or (info.file_size > 1 << 20 and ratio > limits.max_ratio):
            raise UnreadableWorkbook(
                f"文件中的“{info.filename}”解压后有 {info.file_size >> 20} MB（压缩比 {ratio:.0f}:1），"
                f"超出正常工作簿的范围，为安全起见不予读取；请用 Excel 打开后另存，或删除多余内容"
            )
    if total > limits.max_total_bytes:
        raise UnreadableWorkbook(
            f"文件解压后共 {total >> 20} MB，超过 {limits.max_total_bytes >> 20} MB 的上限；"
            f"请删除无关的工作表、图片后另存"
        )


class _Parts:
    """The package's parts, each small one inflated once: what the DTD check read whole is kept (up to
    _KEPT_LIMIT in all) for the looks that follow; any other part is inflated from the zip again."""

    def __init__(self, zf: zipfile.ZipFile) -> None:
        self.zf = zf
        self._kept: dict[str, bytes] = {}
        self._room = _KEPT_LIMIT

    def keep(self, name: str, data: bytes | None) -> None:
        """Keep ``data`` as the part ``name`` (None: it was not read whole); of two parts of one name the
        zip's last one, as ``ZipFile.open`` has it."""
        self._room += len(self._kept.pop(name, b""))
        if data is not None and len(data) <= self._room:
            self._kept[name] = data
            self._room -= len(data)

    def open(self, name: str) -> IO[bytes]:
        data = self._kept.get(name)
        return self.zf.open(name) if data is None else io.BytesIO(data)

    def read(self, name: str) -> bytes:
        data = self._kept.get(name)
        return self.zf.read(name) if data is None else data


def _member_bytes(zf: zipfile.ZipFile, name: str, limit: int) -> bytes:
    try:
        with zf.open(name) as f:
            return f.read(limit)
    except KeyError:
        return b""


def _check_xml_parts(parts: _Parts) -> None:
    """Refuse a DTD or entity declaration in the prolog of any XML part (billion laughs and its kin)."""
    for info in parts.zf.infolist():
        if not info.filename.lower().endswith((".xml", ".rels", ".vml")):
            continue
        with parts.zf.open(info) as f:
            head = f.read(_PROLOG_LIMIT)
        parts.keep(info.filename, head if len(head) < _PROLOG_LIMIT else None)  # shorter: the whole part
        if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
            head = head.decode("utf-16", "ignore").encode("utf-8")
        elif head[:2] in (b"<\x00", b"\x00<"):  # UTF-16 without a byte order mark
            head = head.decode("utf-16-le" if head[0] == 0x3C else "utf-16-be", "ignore").encode("utf-8")
        root = _ROOT_START.search(head)
        if (root is None and len(head) == _PROLOG_LIMIT) or _DECLARATION.search(head[: root.start() if root else None]):
            raise UnreadableWorkbook(
                f"文件中的“{info.filename}”含有 DTD 或实体声明，正常的工作簿不会有，为安全起见不予读取；"
                f"请用 Excel 打开后另存为 .xlsx 再提交"
            )


def _sniff_ooxml(parts: _Parts, plan: SheetPlan, limits: Limits) -> Sniffed:
    names = set(parts.zf.namelist())
    if "[Content_Types].xml" not in names:
        raise UnreadableWorkbook(
            "这不是 Excel 工作簿（压缩包里没有工作簿的内容）；请用 Excel 或 WPS 另存为 .xlsx 再提交"
        )
    _check_xml_parts(parts)
    workbook_part = _workbook_part(parts)
    if workbook_part is None or workbook_part not in names:
        raise UnreadableWorkbook("这不是 Excel 工作簿（找不到工作簿部件）；请用 Excel 或 WPS 另存为 .xlsx 再提交")
    content_types = parts.read("[Content_Types].xml").decode("utf-8", "replace")
    kind = "xlsm" if MACRO_WORKBOOK in content_types else "xlsx"
    workbook = SafeET.fromstring(parts.read(workbook_part))
    sheets = [(name, part) for name, part in _sheet_parts(parts, workbook_part, workbook) if part in names]
    found = Sniffed(
        kind,
        scored_sheet=next(
            (name for name, part in sheets if name.startswith(SCORED_SHEET) and _is_ours(parts, part)), None
        ),
        dropped_parts=sorted(n for n in names if unsafe_part(n)),
    )
    # xlsxwriter and openpyxl mark their files for a full recalculation on load, with no trustworthy
    # cached values. Our scored copies carry the mark too, but their values are the unit's (docs/decisions.md).
    full_calc = found.scored_sheet is None and any(
        el.get("fullCalcOnLoad") in ("1", "true") for el in workbook.iter(f"{_MAIN}calcPr")
    )
    percent_styles: frozenset[str] | None = None
    read, percent = plan([name for name, _ in sheets])
    for name, part in sheets:
        if name not in read:
            continue  # only the sheets a parser will read need measuring (not a unit's own 支出明细汇总 beside ours)
        scan = sheet_scan.measure(parts.open, part, limits.max_rows, limits.max_cells)
        _check_extent(name, scan, limits)
        _check_strings(name, scan)
        wants_percent = name in percent
        if wants_percent and percent_styles is None:
            percent_styles = _percent_styles(parts, workbook_part)
        if scan.has_formulas or wants_percent:
            detail = sheet_scan.cells(
                parts.open,
                part,
                full_calc,
                (percent_styles or frozenset()) if wants_percent else frozenset(),
                formulas=wants_percent,
            )
            _check_strings(name, detail)
            if detail.suspect:
                found.suspect_cells[name] = detail.suspect
            if wants_percent:
                found.percent_cells[name] = detail.percent
                found.formula_texts[name] = detail.formulas
    return found


def unsafe_part(name: str) -> bool:
    """A zip member name that is not a part of the package: absolute, or with a ``..`` step (an unzip tool
    would write it outside its folder). Such members are never copied into a scored copy."""
    steps = name.replace("\\", "/").split("/")
    return name.startswith(("/", "\\")) or ".." in steps or re.match(r"^[A-Za-z]:", name) is not None


def _check_strings(name: str, scan: sheet_scan.SheetScan) -> None:
    if scan.bad_string:
        raise UnreadableWorkbook(
            f"工作表“{name}”的 {scan.bad_string} 单元格指向不存在的文字，文件已损坏；"
            "请用 Excel 或 WPS 打开后另存为 .xlsx 再提交"
        )


def _check_extent(name: str, scan: sheet_scan.SheetScan, limits: Limits) -> None:
    if scan.max_row > limits.max_rows or scan.max_row * scan.max_col > limits.max_cells:
        raise UnreadableWorkbook(
            f"工作表“{name}”的数据范围过大（{scan.max_row} 行 × {scan.max_col} 列），超过 {limits.max_rows} 行或 "
            f"{limits.max_cells} 个单元格的上限；请删除表格下方和右侧多余的行列（包括只有格式的空行）后另存"
        )


def _sniff_ods(parts: _Parts, plan: SheetPlan, limits: Limits) -> Sniffed:
    """An .ods: its tables measured (repeated rows and cells expanded as a parser would), percent cells found."""
    if "content.xml" not in parts.zf.namelist():
        raise UnreadableWorkbook(
            "这不是电子表格（.ods 文件里没有表格内容）；请用 WPS 或 LibreOffice 另存为 .xlsx 再提交"
        )
    found = Sniffed("ods")
    scans = sheet_scan.ods_tables(parts.open, lambda name: True)
    _, percent = plan(list(scans))
    for name, scan in scans.items():
        _check_extent(name, scan, limits)
        if scan.percent and name in percent:
            found.percent_cells[name] = scan.percent
    return found


def _sniff_xls(path: Path, plan: SheetPlan) -> Sniffed:
    """The sheets of an .xls the plan chooses, and the numbers shown as percentages in those it wants them of
    (calamine reads the values, not the formats)."""
    import xlrd

    try:
        book = xls_book(path)
    except Exception:  # calamine reads it, or says why it cannot
        return Sniffed("xls")
    _, percent_sheets = plan(book.sheet_names())
    percent_xfs = {
        i
        for i, xf in enumerate(book.xf_list)
        if "%" in re.sub(r'"[^"]*"|\\.', "", book.format_map[xf.format_key].format_str)
    }
    found = {}
    for index, name in enumerate(book.sheet_names()):
        if name not in percent_sheets:
            continue
        sheet = book.sheet_by_index(index)
        found[name] = {
            f"{column_letters(c + 1)}{r + 1}"
            for r in range(sheet.nrows)
            for c in range(sheet.row_len(r))
            if sheet.cell_type(r, c) == xlrd.XL_CELL_NUMBER and sheet.cell_xf_index(r, c) in percent_xfs
        }
        book.unload_sheet(index)
    return Sniffed("xls", percent_cells=found)


def _is_ours(parts: _Parts, part: str) -> bool:
    """A 评分结果 sheet written by xlsx-eval carries its code name; a unit's own sheet of that name does not."""
    with parts.open(part) as f:
        return f'codeName="{RESULT_CODE_NAME}"'.encode() in f.read(4096)


_BUILTIN_PERCENT = {"9", "10"}  # the numFmtIds of 0% and 0.00%


def _percent_styles(parts: _Parts, workbook_part: str) -> frozenset[str]:
    """Indexes (the cells' s="…") of the cell formats that show a number as a percentage."""
    try:
        data = parts.read(posixpath.join(posixpath.dirname(workbook_part), "styles.xml"))
    except KeyError:
        return frozenset()
    return (_percent_styles_in if len(data) > _PROLOG_LIMIT else _percent_styles_remembered)(data)


def _percent_styles_in(data: bytes) -> frozenset[str]:
    styles = SafeET.fromstring(data)
    percent_formats = set(_BUILTIN_PERCENT)
    for fmt in styles.iter(f"{_MAIN}numFmt"):
        code = re.sub(r'"[^"]*"|\\.', "", fmt.get("formatCode", ""))  # a % in quotes or escaped is literal
        if "%" in code:
            percent_formats.add(fmt.get("numFmtId"))
    xfs = next(styles.iter(f"{_MAIN}cellXfs"), None)
    if xfs is None:
        return frozenset()
    return frozenset(
        str(i) for i, xf in enumerate(xfs.findall(f"{_MAIN}xf")) if xf.get("numFmtId", "0") in percent_formats
    )


# A batch's workbooks made from one template mostly share their styles.xml: each small one is read once a worker.
_percent_styles_remembered = functools.lru_cache(maxsize=8)(_percent_styles_in)


def _workbook_part(parts: _Parts) -> str | None:
    try:
        rels = SafeET.fromstring(parts.read("_rels/.rels"))
    except KeyError:
        return None
    for rel in rels.iter(f"{_REL}Relationship"):
        if rel.get("Type", "").endswith("/officeDocument"):
            return rel.get("Target", "").lstrip("/")
    return None


def _sheet_parts(parts: _Parts, workbook_part: str, workbook) -> list[tuple[str, str]]:
    folder, base = posixpath.split(workbook_part)
    try:
        rels = SafeET.fromstring(parts.read(posixpath.join(folder, "_rels", base + ".rels")))
    except KeyError:
        return []
    targets = {}
    for rel in rels.iter(f"{_REL}Relationship"):
        target = rel.get("Target", "")
        targets[rel.get("Id")] = (
            target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        )
    return [(s.get("name", ""), targets.get(s.get(_R_ID), "")) for s in workbook.iter(f"{_MAIN}sheet")]
