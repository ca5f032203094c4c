"""The command line's own words in Chinese: the layout of every ``--help`` and the usage errors.

Typer writes these texts itself (its vendored click has no gettext, and typer's few ``_()`` calls
bind ``gettext.gettext`` of the process-wide "messages" domain), so they are translated where they
are written: a help formatter that puts the headings, the ``[required]`` notes, the help option and
the metavars into Chinese and measures CJK text by its width on screen, and a command group that turns
a usage error into a Chinese one from the exception's own fields (which option, which value, which
pydantic error type), not from its English wording.

Used as the ``cls`` of the Typer app (``rich_markup_mode=None``; rich draws its own help). Only
documented hooks are used: ``Context.formatter_class``, ``Command.context_class``, the
``HelpFormatter`` methods and the ``UsageError`` classes. Anything not recognised, for instance a
message a later typer adds, is shown as typer wrote it, inside the Chinese frame; a failure while
translating shows typer's English error unchanged. Nothing beyond typer and the standard library is
imported, so ``xlsx-eval --help`` stays about as fast as ``import typer``.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import typer.core

try:  # the click typer itself runs on: its vendored copy (typer ≥ 0.2x), or click 8 under older typer
    from typer._click import exceptions as errors
    from typer._click.core import Context
    from typer._click.formatting import HelpFormatter
    from typer._click.utils import echo
except ImportError:  # pragma: no cover - depends on the installed typer
    from click import exceptions as errors  # type: ignore[no-redef,assignment]
    from click.core import Context  # type: ignore[no-redef,assignment]
    from click.formatting import HelpFormatter  # type: ignore[no-redef,assignment]
    from click.utils import echo  # type: ignore[no-redef,assignment]

UsageError = errors.UsageError
# raised to show the help when a command is given no arguments (click ≥ 8.2): not an error to translate
_HELP_SHOWN = tuple(c for c in (getattr(errors, "NoArgsIsHelpError", None),) if c)

HEADINGS = {"Arguments": "参数", "Options": "选项", "Commands": "命令"}
USAGE_WORDS = {"[OPTIONS]": "[选项]", "COMMAND [ARGS]...": "命令 [参数]..."}
HELP_OPTION = {"Show this message and exit.": "显示此帮助并退出。"}
# typer ≥ 0.2x writes <path>, <int range>; click 8 (older typer) writes PATH, INTEGER RANGE
METAVARS = {
    "path": "路径",
    "file": "文件",
    "directory": "文件夹",
    "dir": "文件夹",
    "str": "文本",
    "text": "文本",
    "int": "整数",
    "integer": "整数",
    "int range": "整数",
    "integer range": "整数",
    "float": "数值",
    "float range": "数值",
    "bool": "是或否",
    "boolean": "是或否",
    "datetime": "日期时间",
    "filename": "文件名",
}
PARAM_KINDS = {"option": "选项", "argument": "参数"}
# pydantic's error types (typer ≥ 0.2x converts values with pydantic): the reason a value is refused
PYDANTIC_REASONS = {
    "int_parsing": "须为整数",
    "int_from_float": "须为整数",
    "int_type": "须为整数",
    "float_parsing": "须为数值",
    "float_type": "须为数值",
    "bool_parsing": "须为 true 或 false",
    "greater_than_equal": "须不小于 {ge}",
    "greater_than": "须大于 {gt}",
    "less_than_equal": "须不大于 {le}",
    "less_than": "须小于 {lt}",
    "enum": "须为以下之一：{expected}",
    "literal_error": "须为以下之一：{expected}",
    "date_parsing": "须为日期，如 2025-12-31",
    "date_from_datetime_parsing": "须为日期，如 2025-12-31",
    "datetime_parsing": "须为日期时间，如 2025-12-31 08:00",
    "datetime_from_date_parsing": "须为日期时间",
}
_CLOSING = set("，。、；：？！）」』】》〉”’…,.;:?!)]}")
_OPENING = set("（「『【《〈“‘([{")


def width(text: str) -> int:
    """Columns the text takes on a terminal: CJK characters take two."""
    return sum(2 if _is_wide(ch) else 1 for ch in text)


def _is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in "WF"


def _words(text: str) -> list[str]:
    """The units a line may not be broken inside: a line breaks at a space or between two CJK
    characters, but not inside a path or an option, not before closing punctuation and not after
    opening punctuation (“输出文件夹/outbox/” and “--to。” stay whole); after CJK punctuation it may."""
    words: list[str] = []
    for ch in text:
        if ch.isspace():
            if words and words[-1] != " ":
                words.append(" ")
            continue
        prev = words[-1][-1] if words and words[-1] != " " else None
        after_cjk_punct = prev is not None and _is_wide(prev) and prev in _CLOSING and ch not in _CLOSING
        if (
            prev is None
            or after_cjk_punct
            or (_is_wide(prev) and _is_wide(ch) and ch not in _CLOSING and prev not in _OPENING)
        ):
            words.append(ch)
        else:
            words[-1] += ch
    return words


def wrap(text: str, columns: int, first: str = "", rest: str = "") -> list[str]:
    """Greedy wrap to ``columns`` screen columns, ``first`` and ``rest`` being the lines' indents."""
    lines, line, empty = [], first, True
    for word in _words(text):
        if word == " ":
            if not empty:
                line += " "
            continue
        if empty or width((line.rstrip() if word[0] in _CLOSING else line) + word) <= columns:
            line = (line.rstrip() if word[0] in _CLOSING else line) + word
        else:
            lines.append(line.rstrip())
            line = rest + word
        empty = False
    lines.append(line.rstrip())
    return lines


def _join_lines(paragraph: str) -> str:
    """A paragraph's lines as one: no space where a line break fell between two CJK characters."""
    out = ""
    for piece in (p.strip() for p in paragraph.splitlines()):
        if not piece:
            continue
        if out and not (_is_wide(out[-1]) and (_is_wide(piece[0]) or out[-1] in _CLOSING)):
            out += " "
        out += piece
    return out


def _extras(help_text: str) -> str:
    """typer's trailing note "[x>=1; required]" in Chinese, piece by piece; unknown pieces kept."""
    found = re.search(r"\[([^\[\]]*)\]$", help_text)
    if not found:
        return help_text
    pieces = []
    for piece in found.group(1).split("; "):
        if piece == "required":
            piece = "必填"
        elif piece.startswith("default: "):
            piece = "默认：" + piece[len("default: ") :]
        elif piece.startswith("env var: "):
            piece = "环境变量：" + piece[len("env var: ") :]
        elif m := re.fullmatch(r"x>=(\S+)", piece):
            piece = f"不小于 {m[1]}"
        elif m := re.fullmatch(r"x<=(\S+)", piece):
            piece = f"不大于 {m[1]}"
        elif m := re.fullmatch(r"(\S+)<=x<=(\S+)", piece):
            piece = f"{m[1]} 至 {m[2]}"
        pieces.append(piece)
    return help_text[: found.start()] + "[" + "；".join(pieces) + "]"


def _metavars(term: str) -> str:
    term = re.sub(r"<([^<>]+)>", lambda m: f"<{_metavar(m[1])}>", term)
    return re.sub(
        r"\b([A-Z][A-Z ]*[A-Z])\b", lambda m: f"<{METAVARS[m[1].lower()]}>" if m[1].lower() in METAVARS else m[1], term
    )


def _metavar(name: str) -> str:
    inner = re.fullmatch(r"list\[(.+)\]", name)
    return METAVARS.get((inner[1] if inner else name).lower(), name)


def _or_click(method: Any) -> Any:
    """Run the Chinese layout; should it fail on text it does not expect, click's own layout."""

    def guarded(self: Any, *args: Any, **kwargs: Any) -> None:
        try:
            text = method(self, *args, **kwargs)
        except Exception:  # noqa: BLE001 - English help rather than no help
            getattr(HelpFormatter, method.__name__)(self, *args, **kwargs)
        else:
            if text is not None:
                self.write(text)

    guarded.__name__ = method.__name__
    guarded.__doc__ = method.__doc__
    return guarded


class ChineseHelpFormatter(HelpFormatter):
    """click's help layout with Chinese headings and notes, measured in screen columns. Each method
    returns its text (written by ``_or_click``), or None after leaving the text to click."""

    @_or_click
    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> str:
        for english, chinese in USAGE_WORDS.items():
            args = args.replace(english, chinese)
        head = f"{' ' * self.current_indent}{'用法：' if prefix is None else prefix}{prog} "
        indent = " " * min(width(head), 24)
        return "\n".join(wrap(args, self.width, head, indent)) + "\n"

    @_or_click
    def write_heading(self, heading: str) -> str:
        chinese = HEADINGS.get(heading)
        return f"{' ' * self.current_indent}{chinese}：\n" if chinese else f"{' ' * self.current_indent}{heading}:\n"

    @_or_click
    def write_text(self, text: str) -> str | None:
        if "\b" in text:  # click's "do not rewrap this paragraph" marker: leave it to click
            HelpFormatter.write_text(self, text)
            return None
        indent = " " * self.current_indent
        paragraphs = [_join_lines(p) for p in re.split(r"\n\s*\n", text)]
        return "\n\n".join("\n".join(wrap(p, self.width, indent, indent)) for p in paragraphs if p) + "\n"

    @_or_click
    def write_dl(self, rows: Any, col_max: int = 30, col_spacing: int = 2) -> str:
        rows = [(_metavars(first), _extras(HELP_OPTION.get(second, second))) for first, second in rows]
        if not rows:
            return ""
        first_col = min(max(width(first) for first, _ in rows), col_max) + col_spacing
        text_width = max(self.width - first_col - self.current_indent - 2, 20)
        pad = " " * (first_col + self.current_indent)
        out = []
        for first, second in rows:
            out.append(f"{' ' * self.current_indent}{first}")
            if not second:
                out.append("\n")
                continue
            if width(first) <= first_col - col_spacing:
                out.append(" " * (first_col - width(first)))
            else:
                out.append("\n" + pad)
            lines = wrap(_join_lines(second), text_width)
            out.append(lines[0] + "\n" + "".join(f"{pad}{line}\n" for line in lines[1:]))
        return "".join(out)


class ChineseContext(Context):
    formatter_class = ChineseHelpFormatter


class UsageErrorInChinese(UsageError):
    """A usage error said in Chinese; ``original`` is the error typer raised."""

    def __init__(self, message: str, original: Any) -> None:
        super().__init__(message, getattr(original, "ctx", None))
        self.exit_code = getattr(original, "exit_code", 2)
        self.original = original

    def show(self, file: Any = None) -> None:
        try:
            text = ""
            ctx = self.ctx
            if ctx is not None:
                text = ctx.get_usage() + "\n"
                if ctx.command.get_help_option(ctx) is not None:
                    text += f"查看帮助：{ctx.command_path} {ctx.help_option_names[0]}\n"
                text += "\n"
            text += f"错误：{self.message}"
        except Exception:  # noqa: BLE001 - a later typer changed something: say it in English
            self.original.show(file)
            return
        echo(text, file=file, err=file is None, color=ctx.color if ctx is not None else None)


def _opts(param: Any) -> str:
    """'-o' / '--output': short before long, as the help lists them."""
    names = list(getattr(param, "opts", []) or []) + list(getattr(param, "secondary_opts", []) or [])
    if getattr(param, "param_type_name", "") == "argument" or not names:
        return f"'{getattr(param, 'metavar', None) or param.name}'"
    names.sort(key=lambda n: len(n) - len(n.lstrip("-/")))
    return " / ".join(f"'{n}'" for n in names)


def _what(param: Any) -> str:
    return f"{PARAM_KINDS.get(getattr(param, 'param_type_name', ''), '参数')} {_opts(param)}"


def _bad_value(error: Any) -> str:
    param = error.param
    cause = error.__cause__
    details = cause.errors() if cause is not None and hasattr(cause, "errors") else None
    if details:
        first = details[0]
        reason = PYDANTIC_REASONS.get(first.get("type", ""))
        if reason is not None:
            reason = reason.format(**{k: v for k, v in (first.get("ctx") or {}).items()})
            return f"{_what(param)} 的值“{first.get('input')}”无效：{reason}"
    message = error.message
    # click 8's own wording, for a typer that runs over click
    if m := re.fullmatch(r"'?(.*?)'? is not a valid (integer|float|boolean)\.?", message):
        return f"{_what(param)} 的值“{m[1]}”无效：须为{METAVARS[m[2]]}"
    if m := re.fullmatch(r"'?(.*?)'? is not in the range (.+?)\.?", message):
        return f"{_what(param)} 的值“{m[1]}”无效：须{_extras('[' + m[2] + ']')[1:-1]}"
    return f"{_what(param)} 的值无效：{message}"


def _missing(error: Any) -> str:
    param = error.param
    help_text = (getattr(param, "help", None) or "").strip()
    return f"缺少{_what(param)}" + (f"（{help_text}）" if help_text else "")


def _commands(ctx: Any) -> str:
    try:
        names = [n for n in ctx.command.list_commands(ctx) if not ctx.command.get_command(ctx, n).hidden]
    except Exception:  # noqa: BLE001 - only a hint
        return ""
    return f"；可用的命令：{'、'.join(names)}" if names else ""


def chinese_message(error: Any) -> str:
    """The Chinese for one usage error; the error's own message where nothing better is known."""
    message = str(getattr(error, "message", "") or "")
    if isinstance(error, errors.MissingParameter) and error.param is not None:
        return _missing(error)
    if isinstance(error, errors.BadParameter) and error.param is not None:
        return _bad_value(error)
    if isinstance(error, errors.NoSuchOption):
        near = sorted(error.possibilities or [])
        return f"没有 {error.option_name} 这个选项" + (f"，是不是要用 {' 或 '.join(near)}？" if near else "")
    if m := re.fullmatch(r"Option '(.+)' requires an argument\.", message):
        return f"选项 '{m[1]}' 后面缺少值"
    if m := re.fullmatch(r"Option '(.+)' requires (\d+) arguments\.", message):
        return f"选项 '{m[1]}' 后面需要 {m[2]} 个值"
    if m := re.fullmatch(r"Option '(.+)' does not take a value\.", message):
        return f"选项 '{m[1]}' 不带值"
    if m := re.fullmatch(r"Got unexpected extra arguments?(?:\(s\))? \((.*)\)", message, re.S):
        return f"多余的参数：{m[1]}（文件名含空格时请加引号）"
    if m := re.fullmatch(r"No such command '(.+?)'\.?(?: Did you mean (.+)\?)?", message, re.S):
        return f"没有 {m[1]} 这个命令" + (f"，是不是要用 {m[2]}？" if m[2] else _commands(error.ctx))
    if message.rstrip(".") == "Missing command":
        return "缺少命令" + _commands(error.ctx)
    return message


def in_chinese(error: Any) -> UsageErrorInChinese | None:
    """The error to raise instead of ``error``, or None to let typer's own show."""
    if isinstance(error, (UsageErrorInChinese, *_HELP_SHOWN)):
        return None
    try:
        return UsageErrorInChinese(chinese_message(error), error)
    except Exception:  # noqa: BLE001 - an unforeseen typer: its English rather than a traceback
        return None


def _short_help(cmd: Any, columns: int) -> str:
    """The command's first sentence, cut at a clause that fits on one line of the command list."""
    if getattr(cmd, "short_help", None):
        return cmd.get_short_help_str(columns)
    text = _join_lines(re.split(r"\n\s*\n", (cmd.help or "").strip())[0])
    text = re.split(r"(?<=。)", text)[0]
    if width(text) <= columns:
        return text
    cut = ""
    for clause in re.findall(r"[^：；，、]*[：；，、]?", text):
        if width(cut + clause) + 1 > columns:
            break
        cut += clause
    if width(cut) < columns // 2:  # no clause ends in the first half: cut where the line ends
        cut = ""
        for ch in text:
            if width(cut + ch) + 1 > columns:
                break
            cut += ch
    return cut.rstrip("：；，、") + "…"


class ChineseGroup(typer.core.TyperGroup):
    """Typer's command group with help and usage errors in Chinese (``typer.Typer(cls=ChineseGroup)``)."""

    context_class = ChineseContext

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        cmd = super().get_command(ctx, cmd_name)
        if cmd is not None and cmd.context_class is Context:
            cmd.context_class = ChineseContext  # its help and its usage line, through ctx.make_formatter()
        return cmd

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        commands = [(n, c) for n in self.list_commands(ctx) if (c := self.get_command(ctx, n)) and not c.hidden]
        if not commands:
            return
        # the width write_dl leaves for the help column, inside the section's indent
        indent = formatter.current_indent + formatter.indent_increment
        columns = formatter.width - indent - (max(width(n) for n, _ in commands) + 2) - 2
        with formatter.section("Commands"):
            formatter.write_dl([(name, _short_help(cmd, columns)) for name, cmd in commands])

    def make_context(self, info_name: Any, args: Any, parent: Any = None, **extra: Any) -> Any:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except UsageError as error:
            chinese = in_chinese(error)
            if chinese is None:
                raise
            raise chinese from error

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except UsageError as error:
            chinese = in_chinese(error)
            if chinese is None:
                raise
            raise chinese from error
