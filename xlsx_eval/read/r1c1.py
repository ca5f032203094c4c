"""The small part of Excel's formula language that budget-platform exports use, in R1C1 notation, evaluated as
Excel does when it opens such a file (national-form.md, "Formulas in platform exports are not calculated").

Cell references relative (``R[-1]C[2]``, ``RC[-2]``), absolute (``R3C4``) or mixed, ranges (``R[-9]C:R[-1]C``),
numbers, ``+ - * /``, a postfix ``%``, parentheses, the comparisons ``= <> < <= > >=``, and the functions SUM,
IF, MIN, MAX, ROUND and ABS. Anything else raises ``Unsupported``. Errors are values, as in Excel: a division by
zero gives ``FormulaError("#DIV/0!")``, text in arithmetic ``FormulaError("#VALUE!")``; an error in an operand
passes through.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any


class Unsupported(Exception):
    """A formula outside the subset: its cell is FORMULA_NO_VALUE, never a guess."""


class FormulaError(str):
    """An error value (#DIV/0!, #VALUE!) as a formula produces it."""


DIV0, VALUE, NUM = FormulaError("#DIV/0!"), FormulaError("#VALUE!"), FormulaError("#NUM!")

_TOKEN = re.compile(
    r"""\s*(?:
    (?P<ref>R(?:\[-?\d+\]|\d+)?C(?:\[-?\d+\]|\d+)?(?![A-Za-z0-9_(]))
    |(?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
    |(?P<name>[A-Za-z_][A-Za-z0-9_.]*)(?=\s*\()
    |(?P<op><>|<=|>=|[-+*/%(),:=<>])
    )""",
    re.X,
)
_PART = re.compile(r"([RC])(?:\[(-?\d+)\]|(\d+))?")
_FUNCTIONS = {"SUM", "IF", "MIN", "MAX", "ROUND", "ABS"}
#: Binding power of each binary operator: comparisons bind loosest, then + -, then * /.
_BINARY = {"=": 1, "<>": 1, "<": 1, "<=": 1, ">": 1, ">=": 1, "+": 2, "-": 2, "*": 3, "/": 3}

Cells = Callable[[int, int], Any]


def evaluate(formula: str, row: int, col: int, value_of: Cells) -> Any:
    """The value of ``formula`` (with or without its leading "=") standing in the 0-based cell (row, col);
    ``value_of(r, c)`` gives another cell's value. A number, a bool, a str or a FormulaError."""
    tokens = list(_tokens(formula.removeprefix("=")))
    parser = _Parser(tokens, row, col, value_of)
    value = parser.expression(0)
    if parser.pos != len(tokens):
        raise Unsupported(formula)
    if isinstance(value, _Range):
        raise Unsupported(formula)  # a bare range is not a value
    return value


def _tokens(text: str) -> Iterator[tuple[str, str]]:
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise Unsupported(text)
        kind = m.lastgroup
        assert kind is not None
        yield kind, m.group(kind)
        pos = m.end()


class _Range:
    def __init__(self, top: int, left: int, bottom: int, right: int) -> None:
        self.top, self.left = min(top, bottom), min(left, right)
        self.bottom, self.right = max(top, bottom), max(left, right)


class _Parser:
    """A Pratt parser that evaluates as it parses (the formulas are short and used once)."""

    def __init__(self, tokens: list[tuple[str, str]], row: int, col: int, value_of: Cells) -> None:
        self.tokens, self.pos, self.row, self.col, self.value_of = tokens, 0, row, col, value_of

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (expected is not None and token[1] != expected):
            raise Unsupported(f"expected {expected}")
        self.pos += 1
        return token

    def expression(self, power: int) -> Any:
        left = self.prefix()
        while True:
            token = self.peek()
            if token is None or token[0] != "op":
                return left
            op = token[1]
            if op == "%":
                self.take()
                left = _arith(left, 100, "/")
                continue
            if op not in _BINARY or _BINARY[op] <= power:
                return left
            self.take()
            right = self.expression(_BINARY[op])
            left = _compare(left, right, op) if _BINARY[op] == 1 else _arith(left, right, op)

    def prefix(self) -> Any:
        kind, text = self.take()
        if kind == "number":
            return float(text)
        if kind == "ref":
            start = self.reference(text)
            token = self.peek()
            if token == ("op", ":"):
                self.take()
                kind, text = self.take()
                if kind != "ref":
                    raise Unsupported(text)
                end = self.reference(text)
                return _Range(*start, *end)
            return self.value_of(*start)
        if kind == "name":
            return self.call(text.upper())
        if text == "(":
            value = self.expression(0)
            self.take(")")
            return value
        if text in ("-", "+"):
            value = self.expression(3)  # binds tighter than * and /, as Excel's unary minus does
            return _arith(0.0, value, text)
        raise Unsupported(text)

    def reference(self, text: str) -> tuple[int, int]:
        """0-based (row, col) of an R1C1 reference from this cell."""
        place = {"R": self.row, "C": self.col}
        for axis, relative, absolute in _PART.findall(text):
            if absolute:
                place[axis] = int(absolute) - 1
            elif relative:
                place[axis] += int(relative)
        if place["R"] < 0 or place["C"] < 0:
            raise Unsupported(text)  # #REF! in Excel
        return place["R"], place["C"]

    def call(self, name: str) -> Any:
        if name not in _FUNCTIONS:
            raise Unsupported(name)
        self.take("(")
        args: list[Any] = []
        if self.peek() != ("op", ")"):
            while True:
                args.append(self.expression(0))
                if self.peek() != ("op", ","):
                    break
                self.take(",")
        self.take(")")
        return _call(name, args, self.value_of)


def _number(value: Any) -> float | FormulaError:
    """A value in arithmetic: blank is 0, a bool 1/0, a number as text converts, other text is #VALUE!."""
    if isinstance(value, FormulaError):
        return value
    if value is None or value == "":
        return 0.0
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value.strip().replace(",", ""))
        except ValueError:
            return VALUE
        return number if math.isfinite(number) else VALUE  # "nan", "inf" are text to Excel
    return VALUE


def _arith(left: Any, right: Any, op: str) -> Any:
    if isinstance(left, _Range) or isinstance(right, _Range):
        raise Unsupported("a range in arithmetic")
    a, b = _number(left), _number(right)
    if isinstance(a, FormulaError):
        return a
    if isinstance(b, FormulaError):
        return b
    if op == "/" and b == 0:
        return DIV0
    result = a * b if op == "*" else a / b if op == "/" else a + b if op == "+" else a - b
    return result if math.isfinite(result) else NUM  # past the largest float, as Excel's #NUM!


def _compare(left: Any, right: Any, op: str) -> Any:
    for side in (left, right):
        if isinstance(side, FormulaError):
            return side
        if isinstance(side, _Range):
            raise Unsupported("a range in a comparison")
    a: Any = 0.0 if left is None else left
    b: Any = 0.0 if right is None else right
    if isinstance(a, str) != isinstance(b, str):
        text_side_wins = {"=": False, "<>": True}
        if op in text_side_wins:
            return text_side_wins[op]
        return (op in (">", ">=")) == isinstance(a, str)  # in Excel text sorts after every number
    if isinstance(a, str):
        a, b = a.casefold(), b.casefold()
    return {
        "=": a == b,
        "<>": a != b,
        "<": a < b,
        "<=": a <= b,
        ">": a > b,
        ">=": a >= b,
    }[op]


def _cells(args: list[Any], value_of: Cells) -> Iterator[tuple[Any, bool]]:
    """Each argument's values, with whether it came from a range (where text and blanks are passed over)."""
    for arg in args:
        if isinstance(arg, _Range):
            for r in range(arg.top, arg.bottom + 1):
                for c in range(arg.left, arg.right + 1):
                    yield value_of(r, c), True
        else:
            yield arg, False


def _numbers(args: list[Any], value_of: Cells) -> list[float] | FormulaError:
    found = []
    for value, in_range in _cells(args, value_of):
        if isinstance(value, FormulaError):
            return value
        if in_range and (value is None or isinstance(value, (str, bool))):
            continue
        number = _number(value)
        if isinstance(number, FormulaError):
            return number
        found.append(number)
    return found


def _call(name: str, args: list[Any], value_of: Cells) -> Any:
    if name == "IF":
        if len(args) not in (2, 3):
            raise Unsupported("IF takes 2 or 3 arguments")
        condition = args[0]
        if isinstance(condition, FormulaError):
            return condition
        number = _number(condition)
        if isinstance(number, FormulaError):
            return number
        chosen = args[1] if number else (args[2] if len(args) == 3 else False)
        if isinstance(chosen, _Range):
            raise Unsupported("a range as IF's value")
        return chosen
    numbers = _numbers(args, value_of)
    if isinstance(numbers, FormulaError):
        return numbers
    if name == "SUM":
        return sum(numbers, 0.0)
    if name in ("MIN", "MAX"):
        return (min if name == "MIN" else max)(numbers) if numbers else 0.0
    if name == "ABS":
        if len(numbers) != 1:
            raise Unsupported("ABS takes one argument")
        return abs(numbers[0])
    if len(numbers) != 2:  # ROUND
        raise Unsupported("ROUND takes two arguments")
    value, places = numbers
    if not math.isfinite(value) or not math.isfinite(places):
        return NUM
    digits = max(-400, min(400, int(places)))  # past either end every float rounds to itself or to 0
    exact = Context(prec=1000)  # room for the 309 digits of the largest float and 400 places
    exponent = Decimal(1).scaleb(-digits)
    rounded = abs(Decimal(repr(value))).quantize(exponent, rounding=ROUND_HALF_UP, context=exact)  # half away from 0
    return float(rounded if value >= 0 else -rounded)
