"""Every reconciliation check of scoring.md §6, each alone, with its code and cell.

The base workbook (conftest: the seed's case) reconciles cleanly; each test changes one thing.
项目信息 cells: B7 全年预算数, B8 资金到位数, B9 其中财政资金, B10 全年执行数.
支出明细: payments from row 2; column A 日期, B 摘要, C 金额.
"""

import datetime as dt

from conftest import SEED_PAYMENTS, not_review

from xlsx_eval import evaluate


def found(result):
    return sorted((f.code, f.severity.value, f.sheet, f.cell) for f in not_review(result.findings))


def test_the_base_case_is_clean(build):
    assert found(evaluate(build())[0]) == []


def test_executed_mismatch_the_seeds_own_slip(build):
    [r] = evaluate(build(info={"全年执行数": 30.88}))
    assert found(r) == [("EXECUTED_MISMATCH", "error", "项目信息", "B10")]
    message = r.findings[0].message
    assert "30.88" in message and "32.88" in message and "2.00" in message
    assert r.scored  # scored as filled: 30.88 / 35 = 88.23% → 88% → 8.8; 90 + 8.8 = 98.8
    assert r.total == 98.8


def test_over_budget(build):
    [r] = evaluate(build(info={"全年预算数": 30, "资金到位数": 35, "其中财政资金": 35}))
    assert found(r) == [("OVER_BUDGET", "error", "项目信息", "B10")]
    assert r.execution_score == 10.0  # 32.88 / 30 = 110% is capped at the full 10


def test_over_received(build):
    [r] = evaluate(build(info={"资金到位数": 30, "其中财政资金": 30}))
    assert found(r) == [("OVER_RECEIVED", "warning", "项目信息", "B10")]


def test_fiscal_exceeds_received(build):
    [r] = evaluate(build(info={"其中财政资金": 36}))
    assert found(r) == [("FISCAL_EXCEEDS_RECEIVED", "warning", "项目信息", "B9")]


def test_date_out_of_year(build):
    payments = list(SEED_PAYMENTS)
    payments[7] = (dt.date(2021, 1, 5), payments[7][1], payments[7][2])
    assert found(evaluate(build(payments=payments))[0]) == [("DATE_OUT_OF_YEAR", "warning", "支出明细", "A9")]


def test_duplicate_expense(build):
    payments = list(SEED_PAYMENTS) + [SEED_PAYMENTS[3]]  # 0.6 twice: 33.48 in all
    [r] = evaluate(build(payments=payments, info={"全年执行数": 33.48}))
    assert found(r) == [("DUPLICATE_EXPENSE", "warning", "支出明细", "B10")]
    assert "第5行" in r.findings[0].message


def test_bad_amount(build):
    payments = list(SEED_PAYMENTS[:7]) + [(dt.date(2020, 10, 25), "通信费", "两万")]
    [r] = evaluate(build(payments=payments, info={"全年执行数": 30.88}))
    assert found(r) == [("BAD_AMOUNT", "error", "支出明细", "C9")]
    assert r.funds.ledger_total == 30.88


def test_negative_amount_is_counted(build):
    payments = list(SEED_PAYMENTS) + [(dt.date(2020, 11, 2), "退回多付设备款", -0.5)]
    [r] = evaluate(build(payments=payments, info={"全年执行数": 32.38}))
    assert found(r) == [("NEGATIVE_AMOUNT", "warning", "支出明细", "C10")]
    assert r.funds.ledger_total == 32.38


def test_unit_suspect_in_project_figures(build):
    # 资金到位数 typed in 元 (350000) while the workbook is in 万元
    [r] = evaluate(build(info={"资金到位数": 350000}))
    assert found(r) == [("UNIT_SUSPECT", "warning", "项目信息", "B8")]


def test_unit_suspect_in_a_payment(build):
    # the last payment typed in 元: 20000 instead of 2; it also breaks the total
    payments = list(SEED_PAYMENTS[:7]) + [(dt.date(2020, 10, 25), "视频会议通信费及购置机柜等", 20000)]
    [r] = evaluate(build(payments=payments))
    assert ("UNIT_SUSPECT", "warning", "支出明细", "C9") in found(r)
    assert ("EXECUTED_MISMATCH", "error", "项目信息", "B10") in found(r)


def test_unit_suspect_when_the_whole_ledger_is_in_yuan(build):
    payments = [(d, s, round(a * 10000, 2)) for d, s, a in SEED_PAYMENTS]
    [r] = evaluate(build(payments=payments))
    # 328800 against 32.88: ten thousand times
    assert ("UNIT_SUSPECT", "warning", "支出明细", "C2") in found(r)


def test_tolerance_is_half_a_cent_of_the_unit(build):
    # 32.884 against 32.88: within 0.005 万元
    assert found(evaluate(build(info={"全年执行数": 32.884}))[0]) == []
    # in 元: 328800.4 against 328800 is within 0.5 元; everything in 元 here
    yuan = [(d, s, round(a * 10000, 2)) for d, s, a in SEED_PAYMENTS]
    [r] = evaluate(
        build(
            payments=yuan,
            info={
                "金额单位": "元",
                "全年预算数": 350000,
                "资金到位数": 350000,
                "其中财政资金": 350000,
                "全年执行数": 328800.4,
            },
        )
    )
    assert found(r) == []
    assert r.funds.execution_rate == 94.0


def test_bad_date(build):
    payments = list(SEED_PAYMENTS)
    payments[0] = ("一月底", payments[0][1], payments[0][2])
    assert found(evaluate(build(payments=payments))[0]) == [("BAD_DATE", "error", "支出明细", "A2")]


def test_dates_as_text_are_read(build):
    payments = [("2020年1月30日", "安装", 14.3), ("2020/4/7", "话筒", 0.6), ("2020.10.25", "通信费", 17.98)]
    assert found(evaluate(build(payments=payments))[0]) == []


def test_a_total_row_in_the_ledger_is_not_a_payment(build):
    payments = list(SEED_PAYMENTS) + [(None, "合计", 32.88)]
    [r] = evaluate(build(payments=payments))
    assert found(r) == []
    assert r.funds.ledger_total == 32.88


def test_empty_ledger_is_noted(build):
    assert found(evaluate(build(payments=[]))[0]) == [("NO_LEDGER", "info", "支出明细", "")]
