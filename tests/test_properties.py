"""Property-based tests: random valid workbooks read back exactly; random and mutated bytes never escape.

The workbooks are built with openpyxl from template.md, in random layouts among the tolerated ones
(title rows, columns in any order, extra columns, decorated headers, 一级/二级指标 repeated, left
blank or merged, blank rows), with random values.
"""

import datetime as dt
import json
import zipfile
from decimal import Decimal
from pathlib import Path

import badfiles
import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xlsx_eval import convert, evaluate
from xlsx_eval.model import Result
from xlsx_eval.read import read_forms
from xlsx_eval.read.grid import TOTAL_WORDS

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

words = st.text(st.characters(whitelist_categories=("Lu", "Ll", "Lo", "Nd")), min_size=1, max_size=10).filter(
    lambda s: s not in TOTAL_WORDS and s.strip() == s and s not in ("不适用",)
)
amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999999.99"), places=2).map(float)
weights = st.decimals(min_value=Decimal("0.5"), max_value=Decimal("50"), places=1).map(float)
targets = st.one_of(
    st.integers(1, 100).map(lambda n: f"≥{n}%"),
    st.integers(1, 500).map(lambda n: f"≤{n}万元"),
    st.integers(1, 9).map(lambda n: f"={n}套"),
    st.sampled_from(["效果明显", "7*24小时", "逐步提高"]),
)
actuals = st.one_of(st.integers(0, 120).map(lambda n: f"{n}%"), st.sampled_from(["达成预期指标", "部分达成", "12套"]))
LEVEL1 = ["产出指标", "效益指标", "满意度指标", "成本指标"]

INFO_LABELS = ["评价年度", "单位名称", "项目名称", "金额单位", "全年预算数", "资金到位数", "全年执行数"]
COLUMNS = ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值"]


def decorate(draw, name):
    return draw(st.sampled_from([name, f"{name}*", f" {name} ", f"{name}\n", f"{name}（说明）", f"{name} (分)"]))


@st.composite
def workbooks(draw):
    year = draw(st.integers(2000, 2099))
    info = {
        "评价年度": year,
        "单位名称": draw(words),
        "项目名称": draw(words),
        "金额单位": "万元",
        "全年预算数": draw(amounts),
        "资金到位数": draw(amounts),
        "全年执行数": draw(amounts),
    }
    groups = draw(st.lists(st.tuples(st.sampled_from(LEVEL1), words), min_size=1, max_size=3, unique=True))
    indicators = []
    for level1, level2 in sorted(groups):
        for _ in range(draw(st.integers(1, 3))):
            indicators.append(
                {
                    "level1": level1,
                    "level2": level2,
                    "name": draw(words),
                    "target": draw(targets),
                    "actual": draw(actuals),
                    "weight": draw(weights),
                }
            )
    payments = draw(
        st.lists(st.tuples(st.dates(dt.date(year, 1, 1), dt.date(year, 12, 31)), words, amounts), max_size=6)
    )
    layout = {
        "info_title": draw(st.booleans()),
        "info_order": draw(st.permutations(INFO_LABELS)),
        "info_gaps": draw(st.booleans()),
        "labels": {label: decorate(draw, label) for label in INFO_LABELS},
        "title_rows": draw(st.integers(0, 3)),
        "columns": draw(st.permutations(COLUMNS + ["备注"])),
        "headers": {name: decorate(draw, name) for name in COLUMNS},
        "groups": draw(st.sampled_from(["repeat", "blank", "merge"])),
        "blank_after": draw(st.sets(st.integers(0, len(indicators) - 1))),
    }
    return info, indicators, payments, layout


def write(path: Path, info, indicators, payments, layout) -> list[int]:
    """Write the workbook; return the Excel row of each indicator."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "项目信息"
    if layout["info_title"]:
        ws.append(["项目支出绩效自评表"])
    for label in layout["info_order"]:
        ws.append([layout["labels"][label], info[label]])
        if layout["info_gaps"]:
            ws.append([])

    ws = wb.create_sheet("绩效指标")
    for _ in range(layout["title_rows"]):
        ws.append(["绩效自评指标表"])
    columns = layout["columns"]
    ws.append([layout["headers"].get(name, name) for name in columns])
    rows, previous = [], None
    for i, ind in enumerate(indicators):
        values = {
            "一级指标": ind["level1"],
            "二级指标": ind["level2"],
            "三级指标": ind["name"],
            "年度指标值": ind["target"],
            "实际完成值": ind["actual"],
            "分值": ind["weight"],
            "备注": None,
        }
        if layout["groups"] == "blank" and previous:
            if previous["level1"] == ind["level1"]:
                values["一级指标"] = None
                if previous["level2"] == ind["level2"]:
                    values["二级指标"] = None
        ws.append([values[name] for name in columns])
        rows.append(ws.max_row)
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
        if i in layout["blank_after"]:
            ws.append([])
        previous = ind
    if layout["groups"] == "merge":
        for name, key in (("一级指标", ("level1",)), ("二级指标", ("level1", "level2"))):
            col = columns.index(name) + 1
            start = 0
            for i in range(1, len(indicators) + 1):
                if i == len(indicators) or [indicators[i][k] for k in key] != [indicators[start][k] for k in key]:
                    if i - 1 > start:
                        ws.merge_cells(start_row=rows[start], end_row=rows[i - 1], start_column=col, end_column=col)
                    start = i

    ws = wb.create_sheet("支出明细")
    ws.append(["日期", "摘要", "金额（万元）"])
    for date, summary, amount in payments:
        ws.append([date, summary, amount])
    wb.save(path)
    return rows


@SETTINGS
@given(case=workbooks())
def test_the_reader_gets_back_what_was_written(tmp_path_factory, case):
    info, indicators, payments, layout = case
    path = tmp_path_factory.mktemp("prop") / "case.xlsx"
    rows = write(path, info, indicators, payments, layout)
    wb = read_forms(path)[0]

    p = wb.project
    assert (p.year, p.unit, p.name, p.money_unit) == (info["评价年度"], info["单位名称"], info["项目名称"], "万元")
    assert (p.budget, p.received, p.executed) == (info["全年预算数"], info["资金到位数"], info["全年执行数"])
    got = [
        {
            "level1": i.level1,
            "level2": i.level2,
            "name": i.name,
            "target": i.target,
            "actual": i.actual,
            "weight": i.weight,
        }
        for i in wb.indicators
    ]
    assert got == indicators
    assert [i.row for i in wb.indicators] == rows
    actual_column = openpyxl.utils.get_column_letter(layout["columns"].index("实际完成值") + 1)
    assert [i.cells["actual"] for i in wb.indicators] == [f"{actual_column}{r}" for r in rows]
    assert [(x.date, x.summary, x.amount) for x in wb.payments] == payments


def _survives(path: Path) -> None:
    [r] = evaluate(path)
    assert isinstance(r, Result)
    json.dumps(r.to_dict(), ensure_ascii=False)
    if not r.scored:
        assert r.findings


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=4096))
def test_random_bytes_never_escape(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fuzz") / "random.xlsx"
    path.write_bytes(data)
    _survives(path)


EXAMPLE_BYTES = badfiles.EXAMPLE.read_bytes()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flips=st.lists(st.tuples(st.integers(0, len(EXAMPLE_BYTES) - 1), st.integers(0, 255)), min_size=1, max_size=20))
def test_mutated_files_never_escape(tmp_path_factory, flips):
    data = bytearray(EXAMPLE_BYTES)
    for position, value in flips:
        data[position] = value
    path = tmp_path_factory.mktemp("fuzz") / "mutated.xlsx"
    path.write_bytes(bytes(data))
    _survives(path)


with zipfile.ZipFile(badfiles.EXAMPLE) as _zf:
    PARTS = sorted(n for n in _zf.namelist() if n.endswith((".xml", ".rels")))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    part=st.sampled_from(PARTS),
    cuts=st.lists(st.tuples(st.integers(0, 4000), st.binary(max_size=8)), min_size=1, max_size=6),
)
def test_damaged_parts_inside_a_sound_zip_never_escape(tmp_path_factory, part, cuts):
    _survives(_damaged(tmp_path_factory.mktemp("fuzz"), part, cuts))


def _damaged(folder: Path, part: str, cuts: list[tuple[int, bytes]]) -> Path:
    """The example with junk bytes written over one part, inside an otherwise sound zip."""

    def damage(xml: bytes) -> bytes:
        out = bytearray(xml)
        for position, junk in cuts:
            at = position % max(len(out), 1)
            out[at : at + len(junk)] = junk
        return bytes(out)

    return badfiles.rewrite(folder / "damaged.xlsx", {part: damage})


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    part=st.sampled_from(PARTS),
    cuts=st.lists(st.tuples(st.integers(0, 4000), st.binary(max_size=8)), min_size=1, max_size=4),
)
def test_writing_back_damaged_workbooks_never_escapes(tmp_path_factory, part, cuts):
    """convert too: whatever the reader let through, the write-back either writes a copy that opens
    wherever the input opened, or reports WRITE_FAILED; the input is never changed."""
    folder = tmp_path_factory.mktemp("fuzz")
    path = _damaged(folder, part, cuts)
    before = path.read_bytes()
    [r] = convert(path, folder / "out")
    assert isinstance(r, Result) and path.read_bytes() == before
    if r.output is not None:
        assert zipfile.ZipFile(r.output).testzip() is None
        if _opens(path):  # damage carried over from an input that does not open is the input's own
            assert _opens(r.output)
    else:
        assert any(f.code in ("UNREADABLE_FILE", "WRITE_FAILED") for f in r.findings)


def _opens(path: Path) -> bool:
    try:
        openpyxl.load_workbook(path).close()
        return True
    except Exception:
        return False
