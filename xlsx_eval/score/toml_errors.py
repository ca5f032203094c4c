"""What Python's TOML parser says of a file it cannot read, in the words of the people who edit the file."""

from __future__ import annotations

import re

# The start of each of tomllib's messages, and what it means; the first that matches is said.
_MEANINGS = (
    ("Invalid value", '这里的值无法识别（文字要加英文双引号，如 "优秀"；数字不加引号；列表写作 [1, 2]）'),
    ("Expected ']' at the end of a table declaration", "表名缺少右方括号“]”，应写作 [表名]"),
    ("Expected ']]' at the end of an array declaration", "表名缺少“]]”，应写作 [[表名]]"),
    ("Unterminated string", "文字缺少结尾的英文双引号"),
    ("Cannot overwrite a value", "同一个设置写了两次，请删去一处"),
    ("Cannot declare", "同一个表写了两次，请合并为一处"),
    ("Expected '=' after a key", "设置名后缺少“=”，应写作 名称 = 值"),
    ("Expected newline or end of document after a statement", "一行只能写一个设置，或值后面多了字符"),
    ("Invalid statement", "这一行无法识别，应写作 名称 = 值 或 [表名]"),
    ("Invalid initial character for a key part", "设置名中有不允许的字符（只能用英文字母、数字、_ 和 -）"),
    ("Illegal character", "有不允许的字符（如全角符号或制表符以外的控制字符）"),
    ("Unclosed array", "列表缺少右方括号“]”"),
    ("Unclosed inline table", "缺少右花括号“}”"),
    ("Invalid date or datetime", "日期或时间写法不对"),
)


def explain(message: str) -> str:
    """tomllib's message as one Chinese sentence with where: "第 3 行第 5 列：文字缺少结尾的英文双引号"."""
    m = re.search(r"\(at line (\d+), column (\d+)\)", message)
    where = f"第 {m[1]} 行第 {m[2]} 列" if m else "文件末尾" if "end of document" in message else ""
    meaning = next((words for start, words in _MEANINGS if message.startswith(start)), None)
    if meaning is None:
        meaning = f"格式不对（{re.sub(r' [(]at .*[)]$', '', message)}）"
    return f"{where}：{meaning}" if where else meaning
