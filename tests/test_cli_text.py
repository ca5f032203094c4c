"""Help and usage errors in Chinese (issue 12, item 10): what a user sees on a mistyped command line."""

import re
import unicodedata

import pytest
import typer
from typer.testing import CliRunner

from xlsx_eval import cli_text
from xlsx_eval.cli import app

runner = CliRunner()

COMMANDS = [name for name in typer.main.get_command(app).commands]
# what typer and click write in English, in any of their versions
ENGLISH = [
    "Usage",
    "Arguments",
    "Options",
    "Commands",
    "[required]",
    "required",
    "Show this message",
    "[OPTIONS]",
    "COMMAND [ARGS]",
    "<path>",
    "<int",
    "<str>",
    "<list",
    "x>=",
    "default:",
    "Error",
    "Try '",
    "Missing",
    "Invalid value",
    "No such",
    "Got unexpected",
]


def columns(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


def test_every_command_is_covered():
    assert {"template", "check", "convert", "report", "email", "status"} <= set(COMMANDS)


def test_top_level_help_is_chinese():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert result.output.startswith("用法：xlsx-eval [选项] 命令 [参数]...\n")
    assert "\n选项：\n  --help  显示此帮助并退出。\n" in result.output
    assert "\n命令：\n  template  写出标准自评模板（或填好的示例，或自评报告的 Word 模板）。\n" in result.output
    assert not [word for word in ENGLISH if word in result.output]


def test_no_arguments_shows_the_chinese_help():
    result = runner.invoke(app, [])
    assert result.output.startswith("用法：xlsx-eval [选项] 命令 [参数]...\n")
    assert "命令：" in result.output and "错误" not in result.output


@pytest.mark.parametrize("command", COMMANDS)
def test_each_commands_help_is_chinese(command):
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    text = result.output
    assert text.startswith(f"用法：xlsx-eval {command} [选项]")
    assert "\n选项：\n" in text and "显示此帮助并退出。" in text
    assert not [word for word in ENGLISH if word in text]
    # lines fit a terminal of 80 columns, counting a Chinese character as two
    assert [line for line in text.splitlines() if columns(line) > 80] == []


def test_convert_help_names_arguments_types_and_notes_in_chinese():
    text = runner.invoke(app, ["convert", "--help"]).output
    assert "\n参数：\n  inputs... <文本>  要评分的工作簿、文件夹或通配符 [必填]\n" in text
    assert "  -o, --output <路径>       输出文件夹：" in text and "summary.xlsx [必填]\n" in text
    assert "  -j, --jobs <整数>         并行处理的进程数，默认为本机 CPU 核数 [不小于 1]\n" in text


def test_help_wraps_without_breaking_a_path_or_an_option():
    text = runner.invoke(app, ["email", "--help"]).output
    for word in ("XLSX_EVAL_SMTP_PASSWORD", "jxpj@czj.example.gov.cn", "--smtp-host", "out/outbox/"):
        assert word in text  # whole, on one line
    assert not re.search(r"^\s*[，。、；：）]", text, re.M)  # no line starts with closing punctuation


def test_missing_output_option():
    result = runner.invoke(app, ["convert", "x.xlsx"])
    assert result.exit_code == 2
    assert result.output == (
        "用法：xlsx-eval convert [选项] {inputs}...\n"
        "查看帮助：xlsx-eval convert --help\n\n"
        "错误：缺少选项 '-o' / '--output'（输出文件夹：评分后的工作簿 <原名>.scored.xlsx 和汇总表 summary.xlsx）\n"
    )


def test_missing_argument():
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 2
    assert result.output.endswith("错误：缺少参数 'outdir'（convert 的输出文件夹）\n")


@pytest.mark.parametrize("value, reason", [("abc", "须为整数"), ("0", "须不小于 1")])
def test_invalid_jobs(tmp_path, value, reason):
    result = runner.invoke(app, ["convert", "x.xlsx", "-o", str(tmp_path / "out"), "--jobs", value])
    assert result.exit_code == 2
    assert result.output.endswith(f"错误：选项 '-j' / '--jobs' 的值“{value}”无效：{reason}\n")
    assert not (tmp_path / "out").exists()


def test_unknown_option_suggests_the_near_ones():
    result = runner.invoke(app, ["check", "--jsn", "x.xlsx"])
    assert result.exit_code == 2
    assert result.output.endswith("错误：没有 --jsn 这个选项，是不是要用 --jobs 或 --json？\n")
    assert "查看帮助：xlsx-eval check --help" in result.output


def test_unknown_short_option():
    result = runner.invoke(app, ["check", "-x", "a.xlsx"])
    assert result.exit_code == 2
    assert result.output.endswith("错误：没有 -x 这个选项\n")


def test_option_without_its_value():
    result = runner.invoke(app, ["convert", "x.xlsx", "-o"])
    assert result.exit_code == 2
    assert result.output == "错误：选项 '-o' 后面缺少值\n"


def test_extra_argument_hints_at_quotes():
    result = runner.invoke(app, ["status", "我的", "输出"])
    assert result.exit_code == 2
    assert result.output.endswith("错误：多余的参数：输出（文件名含空格时请加引号）\n")


def test_unknown_command():
    result = runner.invoke(app, ["chek", "x.xlsx"])
    assert result.exit_code == 2
    assert result.output.endswith("错误：没有 chek 这个命令，是不是要用 'check'？\n")
    far = runner.invoke(app, ["zzz"])
    assert far.output.endswith(f"错误：没有 zzz 这个命令；可用的命令：{'、'.join(COMMANDS)}\n")


def test_an_unknown_message_is_shown_as_it_is_in_the_chinese_frame(monkeypatch):
    real = cli_text.chinese_message
    monkeypatch.setattr(cli_text, "chinese_message", lambda e: real(e) if "--jobs" in str(e) else e.message)
    result = runner.invoke(app, ["status", "a", "b"])
    assert result.exit_code == 2
    assert result.output.endswith("错误：Got unexpected extra argument(s) (b)\n")


def test_a_failing_translation_falls_back_to_typers_english(monkeypatch):
    def broken(error):
        raise KeyError("a later typer")

    monkeypatch.setattr(cli_text, "chinese_message", broken)
    result = runner.invoke(app, ["convert", "x.xlsx"])
    assert result.exit_code == 2
    assert "Missing option" in result.output and "Traceback" not in result.output


def test_a_failing_layout_falls_back_to_clicks(monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("text the layout did not expect")

    monkeypatch.setattr(cli_text, "wrap", broken)
    result = runner.invoke(app, ["convert", "--help"])
    assert result.exit_code == 0
    assert "-o, --output" in result.output and "输出文件夹" in result.output


def test_wrap_measures_screen_columns():
    text = "评分并写出评分后的工作簿：原表全部保留，填好自评得分，见 workbook_templates/example.xlsx 和 --report。"
    lines = cli_text.wrap(text, 40, "  ", "  ")
    assert len(lines) > 2 and all(columns(line) <= 40 for line in lines)
    assert "".join(line.strip() for line in lines).replace(" ", "") == text.replace(" ", "")
    assert any("workbook_templates/example.xlsx" in line for line in lines)
    assert not any(line.strip()[0] in "，。：" for line in lines)
