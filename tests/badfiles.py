"""Unusual, broken and hostile workbooks, made by the tests (small on disk) from the shipped example."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parent.parent / "workbook_templates" / "example.xlsx"


def rewrite(dest: Path, change: dict[str, object], src: Path = EXAMPLE) -> Path:
    """A copy of ``src`` with some zip members replaced: {name: bytes, or a function of the old bytes}."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            new = change.get(info.filename, data)
            zout.writestr(info, new(data) if callable(new) else new)
    return dest


def sheet_part(name: str, src: Path = EXAMPLE) -> str:
    """The zip member holding a sheet, found by its name through workbook.xml and its relationships."""
    with zipfile.ZipFile(src) as zf:
        workbook = zf.read("xl/workbook.xml").decode()
        rels = zf.read("xl/_rels/workbook.xml.rels").decode()
    sheets = {
        m.group(1): m.group(2) for m in re.finditer(r'<sheet\b[^>]*?name="([^"]+)"[^>]*?r:id="([^"]+)"', workbook)
    }
    targets = {}
    for rel in re.findall(r"<Relationship\b[^>]*>", rels):
        rid, target = re.search(r'Id="([^"]+)"', rel).group(1), re.search(r'Target="([^"]+)"', rel).group(1)
        targets[rid] = target.lstrip("/") if target.startswith("/") else "xl/" + target
    return targets[sheets[name]]


def truncated(dest: Path) -> Path:
    data = EXAMPLE.read_bytes()
    dest.write_bytes(data[: len(data) // 2])
    return dest


def zip_bomb(dest: Path, inflated_mb: int = 200) -> Path:
    """The example with its ledger sheet padded with spaces to ``inflated_mb`` MB (about 0.2 MB on disk: 1,000 : 1)."""
    part = sheet_part("支出明细")
    with zipfile.ZipFile(EXAMPLE) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename != part:
                zout.writestr(info, data)
                continue
            head, tail = data.split(b"<sheetData>", 1)
            with zout.open(info.filename, "w", force_zip64=True) as f:
                f.write(head + b"<sheetData>")
                block = b" " * (1 << 20)
                for _ in range(inflated_mb):
                    f.write(block)
                f.write(tail)
    return dest


LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10 if i > 1 else b"&lol;" * 10) for i in range(1, 10)
    )
    + b"]>\n"
)


def billion_laughs(dest: Path, part: str = "xl/sharedStrings.xml") -> Path:
    """Entity expansion in one XML part: a DOCTYPE declaring nested entities, used in the text."""

    def poison(data: bytes) -> bytes:
        body = re.sub(rb"^<\?xml[^>]*\?>\s*", b"", data)
        return LAUGHS + body.replace(b"<t>", b"<t>&lol9;", 1)

    return rewrite(dest, {part: poison})


def claimed_dimension(dest: Path) -> Path:
    """绩效指标 claims the used range A1:XFD1048576 in its <dimension> (its cells are the usual ones)."""
    part = sheet_part("绩效指标")
    return rewrite(dest, {part: lambda d: re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>', d)})


def far_cell(dest: Path) -> Path:
    """A legal workbook with one more cell at XFD1048576 on 支出明细 (python-calamine aborts on it)."""
    part = sheet_part("支出明细")
    row = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    return rewrite(dest, {part: lambda d: d.replace(b"</sheetData>", row + b"</sheetData>")})


def million_rows(dest: Path, rows: int = 1_000_000) -> Path:
    """支出明细 with a million payment rows (a few MB on disk)."""
    part = sheet_part("支出明细")

    def ledger(data: bytes) -> bytes:
        head, rest = data.split(b"<sheetData>", 1)
        tail = rest.split(b"</sheetData>", 1)[1]
        header = "".join(
            f'<c r="{col}1" t="inlineStr"><is><t>{name}</t></is></c>'
            for col, name in zip("ABC", ("日期", "摘要", "金额"))
        ).encode()
        body = b"".join(
            b'<row r="%d"><c r="A%d"><v>43860</v></c><c r="B%d" t="inlineStr"><is><t>x</t></is></c>'
            b'<c r="C%d"><v>1</v></c></row>' % (r, r, r, r)
            for r in range(2, rows + 2)
        )
        header = b'<row r="1">' + header + b"</row>"
        return head + b"<sheetData>" + header + body + b"</sheetData>" + tail

    return rewrite(dest, {part: ledger})


VBA_STANDIN = b"\xd0\xcf\x11\xe0 stand-in for a VBA project: carried, never read"


def macro_workbook(dest: Path) -> Path:
    """The example as a macro-enabled workbook: the macro content type and a VBA project part."""

    def content_types(data: bytes) -> bytes:
        return data.replace(
            b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
            b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
        ).replace(b"</Types>", b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>')

    def rels(data: bytes) -> bytes:
        return data.replace(
            b"</Relationships>",
            b'<Relationship Id="rId99" Type="http://schemas.microsoft.com/'
            b'office/2006/relationships/vbaProject" Target="vbaProject.bin"/></Relationships>',
        )

    rewrite(dest, {"[Content_Types].xml": content_types, "xl/_rels/workbook.xml.rels": rels})
    with zipfile.ZipFile(dest, "a") as zf:
        zf.writestr("xl/vbaProject.bin", VBA_STANDIN)
    return dest


def _ledger_rows(data: bytes, extra: bytes) -> bytes:
    return data.replace(b"</sheetData>", extra + b"</sheetData>")


def far_cell_single_quotes(dest: Path) -> Path:
    """The far cell again, written with single-quoted attributes (valid XML a byte scan may miss)."""
    row = b"<row r='1048576'><c r='XFD1048576' t='inlineStr'><is><t>x</t></is></c></row>"
    return rewrite(dest, {sheet_part("支出明细"): lambda d: _ledger_rows(d, row)})


def wide_row_without_refs(dest: Path, row: int = 400) -> Path:
    """A row of 16,384 filled cells that carry no r= attribute: their columns are counted, not read."""
    cells = b'<c t="inlineStr"><is><t>x</t></is></c>' * 16384
    return rewrite(dest, {sheet_part("支出明细"): lambda d: _ledger_rows(d, b'<row r="%d">%s</row>' % (row, cells))})


def without_refs(dest: Path, src: Path = EXAMPLE, sheet: str = "绩效指标") -> Path:
    """A sheet whose rows and cells carry no r= attribute, as some generators write them."""
    return rewrite(
        dest, {sheet_part(sheet, src): lambda d: re.sub(rb'(<(?:c|row)\b[^>]*?) r="[A-Z]*[0-9]+"', rb"\1", d)}, src
    )


def far_cell_prefixed(dest: Path) -> Path:
    """The far cell again, its row and cell elements written with a namespace prefix."""

    def prefixed(data: bytes) -> bytes:
        data = data.replace(
            b"<worksheet ", b'<worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ', 1
        )
        row = b'<x:row r="1048576"><x:c r="XFD1048576" t="inlineStr"><x:is><x:t>x</x:t></x:is></x:c></x:row>'
        return _ledger_rows(data, row)

    return rewrite(dest, {sheet_part("支出明细"): prefixed})
