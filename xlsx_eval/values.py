"""Reading what people type into cells: numbers, targets like "≥100%", dates, labels.

Display text is kept as written; these functions normalise a copy only to understand it
(full-width symbols, look-alike comparison signs, thousands separators, stray spaces).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation

# Look-alike comparison signs that NFKC leaves alone, mapped to the ASCII they mean.
# Look-alike signs that NFKC leaves alone (full-width ＞＝ ％ ，and digits it folds itself), mapped to
# what they mean: input methods offer ≧ ⩾ ≦ ⩽, PDFs paste ═ and the minus sign −.
_SIGNS = str.maketrans(
    {
        "≧": ">=",
        "⩾": ">=",
        "≮": ">=",
        "≦": "<=",
        "⩽": "<=",
        "≯": "<=",
        "═": "=",
        "〓": "=",
        "−": "-",
        "‐": "-",
        "٪": "%",
    }
)
# A comparison at the start of a target; words before signs, longest first.
_GE = ("大于等于", "大于或等于", "不低于", "不少于", "不小于", "至少", ">=", "=>", "≥", "大于", "高于", ">")
_LE = (
    "小于等于",
    "小于或等于",
    "不高于",
    "不超过",
    "不多于",
    "不大于",
    "至多",
    "最多",
    "<=",
    "=<",
    "≤",
    "小于",
    "低于",
    "<",
)
_EQ = ("等于", "=")
# ... or at its end: "90%以上", "35万元以内".
_GE_AFTER = ("及以上", "以上")
_LE_AFTER = ("及以下", "以下", "以内")
# Text pasted from a PDF set in the Symbol font turns ≥ into ³ and ≤ into £ (NFKC would make ³ a 3).
_SYMBOL_FONT = {"³": "≥", "£": "≤"}

#: "35万" is 35万元, as people write it.
_UNIT_SHORT = {"万": "万元", "千": "千元", "亿": "亿元"}
#: How many of the base unit each money unit is: amounts convert between these.
MONEY_UNITS = {"元": Decimal(1), "千元": Decimal(1000), "万元": Decimal(10000), "亿元": Decimal(100000000)}


def text(value: object) -> str | None:
    """A cell value as stripped display text; None for a blank cell."""
    if value.__class__ is str:  # the common case first: this runs for every cell of a ledger
        return value.strip() or None
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return plain(to_decimal(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    s = str(value).strip()
    return s or None


#: How much of a person's text a message quotes: enough to find it, never a whole essay (Excel takes at most
#: 32,767 characters in a cell, and a note or a 评分结果 row quoting a long text must stay readable).
QUOTE_CHARS = 40


def quoted(s: object, limit: int = QUOTE_CHARS) -> str:
    """``s`` as a message quotes it: whole when short, else its start and "…"."""
    t = str(s)
    return t if len(t) <= limit else t[:limit] + "…"


def canon(s: str) -> str:
    """Text folded for comparison: NFKC, look-alike signs to ASCII, no white space, and none of the
    invisible format characters pasted text carries (zero-width space, BOM, soft hyphen …)."""
    return _fold_short(s) if len(s) <= 64 else _fold(s)


def _fold(s: str) -> str:
    s = unicodedata.normalize("NFKC", s).translate(_SIGNS)
    return "".join(ch for ch in re.sub(r"\s+", "", s) if unicodedata.category(ch) != "Cf")


# Labels, headers, signs and units recur in every workbook of a batch: each is folded once a worker.
_fold_short = functools.lru_cache(maxsize=4096)(_fold)


def label_key(s: object) -> str:
    """A header or label as matched: no spaces, line breaks, trailing '*' or '(unit)'."""
    t = canon(str(s)) if s is not None else ""
    t = t.rstrip("*")
    t = re.sub(r"\([^()]*\)$", "", t)
    return t.rstrip("*")


def to_decimal(value: float | int) -> Decimal:
    """A number from a cell as the decimal a person typed (32.88, not 32.8799999…)."""
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def plain(d: Decimal) -> str:
    """A decimal without exponent or trailing zeros: 100, 32.88, 0.5 (and 0, never "-0")."""
    return "0" if d == 0 else format(d.normalize(), "f")


def half_up(d: Decimal, places: int) -> Decimal:
    """Round half up, as the forms do (0.125 → 0.13), not Python's banker's rounding."""
    return d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP, context=_WIDE)


_WIDE = Context(prec=60)  # quantize must not run out of digits on a large figure
#: No amount, weight or target on a form comes near this; larger "numbers" are typing slips.
LARGEST = Decimal("1e15")


def money(d: Decimal | float) -> str:
    """An amount as shown in messages: two decimals, half up."""
    rounded = half_up(Decimal(str(d)), 2)
    return format(rounded if rounded != 0 else abs(rounded), "f")  # never "-0.00"


_NUMBER = re.compile(r"^([+-]?(?:\d+(?:,\d{3})*|\d*)(?:\.\d+)?)(.*)$")


@dataclass(frozen=True)
class Quantity:
    """A number with its unit as written ("%" for percent; "" when none)."""

    value: Decimal
    unit: str


def parse_quantity(s: str) -> Quantity | None:
    """ "35" → 35; "1,200.50" → 1200.50; "35万元" → 35 万元; "94%" → 94 %. None if not a number."""
    t = canon(s).removeprefix("¥")  # NFKC makes the full-width ￥ a ¥
    m = _NUMBER.match(t)
    if not m or not re.search(r"\d", m.group(1)):
        return None
    unit = _UNIT_SHORT.get(m.group(2), m.group(2))
    if re.search(r"[\d*/×xX]", unit):  # "7*24小时", "1/2": not one quantity
        return None
    try:
        value = Decimal(m.group(1).replace(",", ""))
    except InvalidOperation:
        return None
    return Quantity(value, unit) if abs(value) < LARGEST else None


def parse_number(value: object) -> Decimal | None:
    """A cell as a plain number (numbers, or text such as "32.88" or "1,200"); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value) or abs(value) >= LARGEST:
            return None
        return to_decimal(value)
    if isinstance(value, str):
        q = parse_quantity(value)
        return q.value if q is not None else None
    return None


@dataclass(frozen=True)
class Target:
    """A parsed comparison: op is "≥", "≤" or "=" (None when the text has no sign)."""

    op: str | None
    quantity: Quantity


def split_comparison(s: str) -> tuple[str | None, str]:
    """'≥ 100 %' → ('≥', '100%'); '不低于95%' → ('≥', '95%'); '35万元以内' → ('≤', '35万元'); '35' → (None, '35')."""
    s = s.strip()
    if s[:1] in _SYMBOL_FONT:
        s = _SYMBOL_FONT[s[0]] + s[1:]
    t = canon(s)
    for words, op in ((_GE, "≥"), (_LE, "≤"), (_EQ, "=")):
        for w in words:
            if t.startswith(w):
                return op, t[len(w) :]
    for after, op in ((_GE_AFTER, "≥"), (_LE_AFTER, "≤")):
        for w in after:
            if t.endswith(w):
                return op, t[: -len(w)]
    return None, t


def parse_target(s: str) -> Target | None:
    """'≥100%' → ≥ 100 %; '=1套' → = 1 套; '35' → (no sign) 35. None if there is no single number."""
    op, rest = split_comparison(s)
    q = parse_quantity(rest)
    return Target(op, q) if q is not None else None


_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def parse_date(value: object) -> dt.date | None:
    """A date cell, an Excel serial number, or text like 2020-01-30, 2020/1/30, 2020年1月30日."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 1 <= value < 2958466:
        return _EXCEL_EPOCH + dt.timedelta(days=int(value))
    if isinstance(value, str):
        m = _DATE.match(canon(value))
        if m:
            try:
                return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                return None
    return None
