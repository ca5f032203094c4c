"""A finance bureau's own rules, in TOML: read onto the Rules object setting by setting, or written out.

A file names only what it changes; everything else keeps the national form's default. Every mistake
(an unknown key, a wrong type, bands that overlap or leave a gap, thresholds out of order) is one Chinese
message naming the key and its line, raised as RulesError before any workbook is read.

Built-in profiles are TOML files in ``xlsx_eval/score/profiles/``: ``--rules hubei`` reads ``hubei.toml``.
"""

from __future__ import annotations

import functools
import hashlib
import re
import tomllib
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..errors import RulesError
from ..findings import CODES
from ..values import plain
from .rules import DEFAULT_RULES, REVIEW_CHECKS, Level, ReviewCheck, Rules
from .toml_errors import explain

PROFILES = Path(__file__).resolve().parent / "profiles"

# (section, key) → (Rules field, kind, meaning). Kinds: number, int, text, choice:a|b, pairs, words.
SETTINGS: dict[tuple[str, str], tuple[str, str, str]] = {
    ("", "name"): ("name", "text", "规则的名称，记录在每份输出中"),
    ("", "title"): ("title", "text", "规则的全称，显示在“评分结果”表上"),
    ("execution", "weight"): ("execution_weight", "number", "预算执行率分值（工作簿未填写时采用）"),
    ("execution", "rate_decimals"): ("rate_decimals", "int", "执行率（百分数）保留的小数位数，按此计分"),
    ("execution", "tiers"): (
        "execution_tiers",
        "pairs",
        "分档计分：[[执行率下限%, 得分占分值的比例], …]，从高到低；空表示分值×执行率",
    ),
    ("execution", "caps"): (
        "total_caps",
        "pairs",
        "按执行率封顶总分：[[执行率低于%, 总分最高], …]，从高到低；空表示不封顶",
    ),
    ("scoring", "score_decimals"): ("score_decimals", "int", "各项得分和总分保留的小数位数（0 为取整）"),
    ("scoring", "equal_tolerance"): ("equal_tolerance", "number", "“=”指标实际值与指标值相差不超过此数视为相等"),
    ("scoring", "overachieve_ratio"): (
        "overachieve_ratio",
        "number",
        "“≥”指标实际值达到指标值的此倍数时提示指标值偏低",
    ),
    ("scoring", "reverse"): (
        "reverse_formula",
        "choice:ratio|linear",
        "反向（≤）指标超出时：ratio 为分值×指标值/实际值；linear 为分值×(1−超出部分/指标值)",
    ),
    ("scoring", "satisfaction"): (
        "satisfaction_mode",
        "choice:target|rate",
        "满意度指标：target 为与指标值比较；rate 为分值×满意度（98% 得分值的 98%）",
    ),
    ("scoring", "deviation_ratio"): (
        "deviation_ratio",
        "number",
        "实际值达到指标值的此倍数即为指标偏离（如 1.3 表示超出 30%）；0 表示不检查",
    ),
    ("scoring", "deviation_penalty"): ("deviation_penalty", "number", "指标偏离扣减的分数"),
    ("scoring", "reason_ratio"): (
        "reason_ratio",
        "number",
        "实际值达到指标值的此倍数（如 1.3 即 130%）须填写偏差原因，未填时提示；0 表示不要求",
    ),
    ("scoring", "adjusted_budget_cap"): (
        "adjusted_budget_cap",
        "number",
        "全年预算数较年初预算数的调整达到 [review.BUDGET_ADJUSTED] 的阈值、且未说明原因时，总分最高为此数；0 表示不封顶",
    ),
    ("scoring", "measures"): (
        "measures_required",
        "choice:any|both",
        "总分低于 [review.LOW_SCORE_NO_MEASURES] 的阈值时：any 为写明问题或措施之一即可；both 为问题和措施都须写明",
    ),
    ("scoring", "no_cost_deduction"): (
        "no_cost_deduction",
        "number",
        "没有成本指标的自评表，总分扣减此分数（扣至 0 为止）；0 表示不扣",
    ),
    ("scoring", "weight_total"): ("weight_total", "number", "各项分值（含预算执行率分值）应有的合计"),
    ("scoring", "not_applicable"): ("not_applicable_words", "words", "表示指标不适用的说法"),
    ("grades", "bands"): ("grades", "grades", "等级：[[总分下限, 等级名称], …]，从高到低，最后一档下限为 0"),
    ("reconcile", "tolerance_wan"): ("money_tolerance", "number", "金额单位为万元时，两个金额相差不超过此数视为相符"),
    ("reconcile", "tolerance_yuan"): ("money_tolerance", "number", "金额单位为元时，两个金额相差不超过此数视为相符"),
    ("reconcile", "unit_suspect_ratio"): (
        "unit_suspect_ratio",
        "number",
        "金额与预算数相差此倍数以上时提示元和万元填混",
    ),
}
REVIEW_KEYS = {
    "enabled": "是否检查（true 或 false）",
    "threshold": "阈值",
    "weight": "计入风险分的权重（风险分越高的自评表越应先复核）",
}
LEVEL_KEYS = {
    "name": "等级名称",
    "words": "表示该等级的说法",
    "band": "得分区间（占分值的百分比，[下限, 上限]）",
    "default": "单位未自填得分时的默认得分（占分值的百分比）",
}


def load_rules(spec: str | Path | None) -> Rules:
    """The rules of a profile name ("national", "hubei") or a TOML file; None: the national profile."""
    path = Path(spec or DEFAULT_RULES.name)
    if not path.suffix and not path.exists():
        name = str(path)
        path = PROFILES / f"{name}.toml"
        if not path.is_file():
            names = "、".join(sorted(p.stem for p in PROFILES.glob("*.toml")))
            raise RulesError(f"没有名为“{name}”的评分规则；可用的有：{names}，或给出 .toml 文件的路径")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RulesError(f"无法读取规则文件 {path}（{exc.strerror}）") from exc
    return parse_rules(data.decode("utf-8", "replace"), str(path), hashlib.sha256(data).hexdigest())


@functools.cache
def national() -> Rules:
    """The national profile as shipped (with its file's digest): the rules in force when none are named."""
    return load_rules(None)


def parse_rules(text: str, where: str = "规则文件", digest: str = "") -> Rules:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(
            f"{where}：不是有效的 TOML 文件，{explain(str(exc))}；请对照 xlsx-eval rules 的输出修改"
        ) from exc
    lines = _key_lines(text)
    changes: dict[str, Any] = {"digest": digest, "name": Path(where).stem if where != "规则文件" else "custom"}
    tolerance = dict(DEFAULT_RULES.money_tolerance)
    for section, value in data.items():
        if section == "levels":
            changes["levels"] = _levels(value, where, lines)
            continue
        if section == "review":
            changes["review"] = _review(value, where, lines)
            continue
        if isinstance(value, dict):
            if not any(s == section for s, _ in SETTINGS):
                tables = "、".join(f"[{s}]" for s in dict.fromkeys(s for s, _ in SETTINGS) if s)
                raise RulesError(
                    f"{_at(where, lines, section, '')}：不认识的表“[{section}]”（可能拼写有误）；"
                    f"可用的表有：{tables}、[[levels]]、[review.代码]"
                )
            items = [((section, key), v) for key, v in value.items()]
        else:
            items = [(("", section), value)]
        for (sec, key), v in items:
            if (sec, key) not in SETTINGS:
                known = "、".join(f"[{s}] {k}" if s else k for s, k in SETTINGS)
                raise RulesError(f"{_at(where, lines, sec, key)}：不认识的设置“{key}”；可用的设置有：{known}")
            field, kind, _ = SETTINGS[(sec, key)]
            converted = _convert(v, kind, _at(where, lines, sec, key), key)
            if field == "money_tolerance":
                tolerance["万元" if key == "tolerance_wan" else "元"] = converted
            else:
                changes[field] = converted
    changes["money_tolerance"] = tuple(tolerance.items())
    changes.setdefault("title", f"评分规则“{changes['name']}”")
    rules = replace(DEFAULT_RULES, **changes)
    _check_order(rules, where, lines)
    return rules


def _convert(value: Any, kind: str, at: str, key: str) -> Any:
    def number(v: Any) -> Decimal:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise RulesError(f"{at}：“{key}”应为数字，而不是 {v!r}")
        return Decimal(str(v))

    if kind == "number":
        return number(value)
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 6:
            raise RulesError(f"{at}：“{key}”应为 0 到 6 的整数，而不是 {value!r}")
        return value
    if kind == "text":
        if not isinstance(value, str) or not value.strip():
            raise RulesError(f"{at}：“{key}”应为一段文字")
        return value
    if kind.startswith("choice:"):
        choices = kind.split(":", 1)[1].split("|")
        if value not in choices:
            raise RulesError(f"{at}：“{key}”应为 {' 或 '.join(repr(c) for c in choices)}，而不是 {value!r}")
        return value
    if kind == "words":
        if not isinstance(value, list) or not value or not all(isinstance(w, str) and w.strip() for w in value):
            raise RulesError(f'{at}：“{key}”应为文字的列表，如 ["不适用"]')
        return tuple(value)
    if kind in ("pairs", "grades"):
        if not isinstance(value, list) or not all(isinstance(p, list) and len(p) == 2 for p in value):
            raise RulesError(f"{at}：“{key}”应为两两一组的列表，如 [[90, 1.0], [80, 0.8]]")
        if kind == "grades":
            if not value or not all(isinstance(label, str) and label.strip() for _, label in value):
                raise RulesError(f'{at}：“{key}”的每一档应为 [总分下限, 等级名称]，如 [90, "优秀"]')
            return tuple((number(low), label) for low, label in value)
        return tuple((number(a), number(b)) for a, b in value)
    raise AssertionError(kind)


def _levels(value: Any, where: str, lines: dict) -> tuple[Level, ...]:
    if not isinstance(value, list) or not value:
        raise RulesError(f"{_at(where, lines, 'levels', '')}：[[levels]] 应为一组或多组定性等级")
    levels = []
    for i, entry in enumerate(value):
        at = _at(where, lines, f"levels#{i}", "")
        unknown = set(entry) - set(LEVEL_KEYS)
        if unknown:
            raise RulesError(
                f"{at}：定性等级中不认识的设置“{'、'.join(sorted(unknown))}”；可用的有：{'、'.join(LEVEL_KEYS)}"
            )
        missing = [k for k in LEVEL_KEYS if k not in entry]
        if missing:
            raise RulesError(f"{at}：第 {i + 1} 个定性等级缺少“{'、'.join(missing)}”")
        name = _convert(entry["name"], "text", at, "name")
        words = _convert(entry["words"], "words", at, "words")
        band = entry["band"]
        if not (isinstance(band, list) and len(band) == 2):
            raise RulesError(f"{at}：等级“{name}”的 band 应为 [下限, 上限]，如 [60, 80]")
        low, high = (_convert(b, "number", at, "band") / 100 for b in band)
        default = _convert(entry["default"], "number", at, "default") / 100
        levels.append(Level(name, words, low, high, default, high_open=i > 0))
    ordered = sorted(levels, key=lambda lv: lv.low, reverse=True)
    if ordered != levels:
        raise RulesError(f"{_at(where, lines, 'levels#0', '')}：定性等级应从高到低排列（先“达成”，最后“未达成”）")
    for upper, lower in zip(levels, levels[1:]):
        if lower.high != upper.low:
            problem = "重叠" if lower.high > upper.low else "留有空档"
            raise RulesError(
                f"{_at(where, lines, 'levels#0', '')}：定性等级“{upper.name}”与“{lower.name}”的区间{problem}"
                f"（{plain(upper.low * 100)} 与 {plain(lower.high * 100)}），应首尾相接"
            )
    if levels[0].high != 1 or levels[-1].low != 0:
        raise RulesError(f"{_at(where, lines, 'levels#0', '')}：定性等级的区间应从 0 到 100 连续覆盖")
    for level in levels:
        if not level.holds(level.default):
            raise RulesError(
                f"{_at(where, lines, 'levels#0', '')}：等级“{level.name}”的默认得分 "
                f"{plain(level.default * 100)} 不在其区间内"
            )
    return tuple(levels)


def _review(value: Any, where: str, lines: dict) -> tuple[tuple[str, ReviewCheck], ...]:
    """[review.CODE] tables: each names only what it changes of that check (enabled, threshold, weight)."""
    checks = dict(DEFAULT_RULES.review)
    if not isinstance(value, dict):
        raise RulesError(f"{_at(where, lines, 'review', '')}：review 应为一组表，如 [review.UNSPENT_SHARE]")
    for code, entry in value.items():
        section = f"review.{code}"
        if code not in checks:
            known = "、".join(checks)
            raise RulesError(f"{_at(where, lines, section, '')}：不认识的复核检查“{code}”；可用的有：{known}")
        if not isinstance(entry, dict):
            raise RulesError(f"{_at(where, lines, 'review', code)}：“{code}”应写成表 [review.{code}]")
        has_threshold = REVIEW_CHECKS[code][1] is not None
        keys = REVIEW_KEYS if has_threshold else {k: v for k, v in REVIEW_KEYS.items() if k != "threshold"}
        unknown = set(entry) - set(keys)
        if unknown:
            raise RulesError(
                f"{_at(where, lines, section, sorted(unknown)[0])}：[review.{code}] 中不认识的设置"
                f"“{'、'.join(sorted(unknown))}”；可用的有：{'、'.join(keys)}"
            )
        check = checks[code]
        if "enabled" in entry:
            if not isinstance(entry["enabled"], bool):
                raise RulesError(f"{_at(where, lines, section, 'enabled')}：“enabled”应为 true 或 false")
            check = replace(check, enabled=entry["enabled"])
        for key in ("threshold", "weight"):
            if key in entry:
                number = _convert(entry[key], "number", _at(where, lines, section, key), key)
                if not number.is_finite() or number < 0:
                    raise RulesError(f"{_at(where, lines, section, key)}：“{key}”应为不小于 0 的数")
                check = replace(check, **{key: number})
        checks[code] = check
    return tuple(checks.items())


def _check_order(rules: Rules, where: str, lines: dict) -> None:
    def descending(pairs, section, key, what) -> None:
        firsts = [a for a, _ in pairs]
        if firsts != sorted(firsts, reverse=True) or len(set(firsts)) != len(firsts):
            raise RulesError(f"{_at(where, lines, section, key)}：“{key}”的{what}应从高到低、互不相同")

    descending(rules.execution_tiers, "execution", "tiers", "执行率下限")
    descending(rules.total_caps, "execution", "caps", "执行率")
    descending(rules.grades, "grades", "bands", "总分下限")
    if rules.grades[-1][0] != 0:
        raise RulesError(f"{_at(where, lines, 'grades', 'bands')}：最后一个等级的总分下限应为 0，使每个总分都有等级")
    for key, value in (
        ("no_cost_deduction", rules.no_cost_deduction),
        ("adjusted_budget_cap", rules.adjusted_budget_cap),
    ):
        if not value.is_finite() or value < 0:
            raise RulesError(f"{_at(where, lines, 'scoring', key)}：“{key}”应为不小于 0 的数")
    if any(not 0 <= share <= 1 for _, share in rules.execution_tiers):
        raise RulesError(f"{_at(where, lines, 'execution', 'tiers')}：“tiers”中得分比例应在 0 到 1 之间")


_HEADER = re.compile(r"^\s*\[(\[)?\s*([A-Za-z_][A-Za-z_.]*)\s*\]?\]\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z_]+)\s*=")


def _key_lines(text: str) -> dict[tuple[str, str], int]:
    """Where each (section, key) is written: a line number for the messages. [[levels]] count as levels#0, #1 …"""
    found: dict[tuple[str, str], int] = {}
    section, tables = "", 0
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            section = header.group(2)
            if header.group(1):
                section = f"{section}#{tables}"
                tables += 1
            found.setdefault((section, ""), number)
            continue
        key = _KEY.match(line)
        if key:
            found.setdefault((section, key.group(1)), number)
    return found


def _at(where: str, lines: dict, section: str, key: str) -> str:
    number = lines.get((section, key)) or lines.get((section, ""))
    return f"{where} 第 {number} 行" if number else where


def rules_toml(rules: Rules = DEFAULT_RULES) -> str:
    """The rules as commented TOML: every setting, what it means, its value; ready to save and edit."""
    out = [
        "# xlsx-eval 评分规则。保存为 .toml 文件修改后，用 --rules 文件名 使用；",
        "# 只需保留要改的设置，其余按全国通用规则（national）。用 xlsx-eval rules --check 文件名 检查。",
        "",
    ]

    def show(value: Any) -> str:
        if isinstance(value, Decimal):
            return plain(value)
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str):
            return f'"{value}"'
        if isinstance(value, (tuple, list)):
            return "[" + ", ".join(show(v) for v in value) + "]"
        return str(value)

    tolerance = dict(rules.money_tolerance)
    section = None
    for (sec, key), (field, _, meaning) in SETTINGS.items():
        if sec != section:
            if sec:
                out += ["", f"[{sec}]"]
            section = sec
        if field == "money_tolerance":
            value = tolerance["万元" if key == "tolerance_wan" else "元"]
        else:
            value = getattr(rules, field)
        out += [f"# {meaning}", f"{key} = {show(value)}"]
    for code, check in rules.review:
        meaning = CODES[code][1]
        out += [
            "",
            f"[review.{code}]",
            f"# 复核检查：{meaning}",
            f"# {REVIEW_KEYS['enabled']}",
            f"enabled = {show(check.enabled)}",
        ]
        if check.threshold is not None:
            out += [f"# {REVIEW_CHECKS[code][1]}", f"threshold = {show(check.threshold)}"]
        out += [f"# {REVIEW_KEYS['weight']}", f"weight = {show(check.weight)}"]
    for level in rules.levels:
        out += [
            "",
            "[[levels]]",
            f"# {LEVEL_KEYS['name']}",
            f"name = {show(level.name)}",
            f"# {LEVEL_KEYS['words']}",
            f"words = {show(level.words)}",
            f"# {LEVEL_KEYS['band']}",
            f"band = [{plain(level.low * 100)}, {plain(level.high * 100)}]",
            f"# {LEVEL_KEYS['default']}",
            f"default = {plain(level.default * 100)}",
        ]
    return "\n".join(out) + "\n"
