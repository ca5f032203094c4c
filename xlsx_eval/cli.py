"""The command line: wiring only. Each command builds its settings, calls the library, shows the result
and picks the exit code (output.md): 0 no errors, 1 some workbook has errors, 2 usage or nothing readable.

Heavy modules (pandas, openpyxl, xlsxwriter) are imported inside the commands that need them, so that
``xlsx-eval --help`` starts fast.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

if TYPE_CHECKING:
    from .model import Result

app = typer.Typer(
    name="xlsx-eval",
    help="财政支出绩效自评：读取标准自评工作簿，核对支出，逐项评分，写回评分结果。",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",
)

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


def _err(message: str) -> None:
    typer.echo(message, err=True)


@app.command()
def template(
    path: Annotated[Optional[Path], typer.Argument(help="写出的文件，默认“绩效自评模板.xlsx”（--example 时为“绩效自评示例.xlsx”）")] = None,
    example: Annotated[bool, typer.Option("--example", help="写出填好的示例（长安区委办公室值班视频系统项目）")] = False,
    force: Annotated[bool, typer.Option("--force", "-f", help="文件已存在时覆盖")] = False,
) -> None:
    """写出标准自评模板（或填好的示例）。

    示例：`xlsx-eval template 我的自评.xlsx`，或 `xlsx-eval template --example`
    """
    from .template import write_template

    dest = path or Path("绩效自评示例.xlsx" if example else "绩效自评模板.xlsx")
    if dest.exists() and not force:
        _err(f"{dest} 已存在，未覆盖；如需覆盖请加 --force")
        raise typer.Exit(EXIT_USAGE)
    write_template(dest, example=example)
    _err(f"已写出{'示例' if example else '模板'}：{dest}")


@app.command()
def check(
    files: Annotated[list[str], typer.Argument(help="要检查的工作簿、文件夹或通配符")],
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出结果（标准输出只有 JSON）")] = False,
) -> None:
    """检查工作簿：列出每个问题所在的工作表和单元格，并给出评分。不写任何文件。

    示例：`xlsx-eval check 长安区委办.xlsx`，或 `xlsx-eval check inbox/ --json`
    """
    from .inputs import expand_inputs
    from .pipeline import evaluate

    paths = _inputs(files, expand_inputs)
    results = [evaluate(p) for p in paths]
    if as_json:
        _print_json(results)
    else:
        for r in results:
            _print_findings(r)
            typer.echo(_verdict(r))
    raise typer.Exit(_exit_code(results))


@app.command()
def convert(
    inputs: Annotated[list[str], typer.Argument(help="要评分的工作簿、文件夹或通配符")],
    outdir: Annotated[Path, typer.Option("--output", "-o", help="输出文件夹，评分后的工作簿写为 <原名>.scored.xlsx")],
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出结果（标准输出只有 JSON）")] = False,
) -> None:
    """评分并写出评分后的工作簿：原表全部保留，填好自评得分，标出问题单元格，并在最前面加“评分结果”表。

    示例：`xlsx-eval convert workbook_templates/example.xlsx -o out`
    """
    from .inputs import expand_inputs, output_stems
    from .pipeline import convert as convert_one

    paths = _inputs(inputs, expand_inputs)
    _make_outdir(outdir)
    stems = output_stems(paths)
    results = []
    for p in paths:
        r = convert_one(p, outdir, stem=stems[p])
        results.append(r)
        _err(_verdict(r) + (f" → {r.output}" if r.output else ""))
    if as_json:
        _print_json(results)
    raise typer.Exit(_exit_code(results))


def _inputs(items: list[str], expand) -> list[Path]:
    paths = expand(items)
    if not paths:
        _err(f"没有找到工作簿：{' '.join(items)}（支持 .xlsx .xlsm .xls .ods）")
        raise typer.Exit(EXIT_USAGE)
    return paths


def _make_outdir(outdir: Path) -> None:
    if outdir.exists() and not outdir.is_dir():
        _err(f"输出位置 {outdir} 是一个文件，不是文件夹；请用 -o 指定一个文件夹")
        raise typer.Exit(EXIT_USAGE)
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _err(f"无法创建输出文件夹 {outdir}（{exc.strerror}）；请用 -o 指定一个可以写入的文件夹")
        raise typer.Exit(EXIT_USAGE) from None


def _print_json(results: list[Result]) -> None:
    summary = {
        "files": len(results),
        "scored": sum(r.scored for r in results),
        "errors": sum(r.errors for r in results),
        "warnings": sum(r.warnings for r in results),
    }
    document = {"results": [r.to_dict() for r in results], "summary": summary}
    typer.echo(json.dumps(document, ensure_ascii=False, indent=2))


def _exit_code(results: list[Result]) -> int:
    if all(_unreadable(r) for r in results):
        return EXIT_USAGE
    return EXIT_ERRORS if any(r.errors for r in results) else EXIT_OK


def _unreadable(r: Result) -> bool:
    return any(f.code == "UNREADABLE_FILE" for f in r.findings)


def _verdict(r: Result) -> str:
    name = r.file.name
    if _unreadable(r):
        message = next(f.message for f in r.findings if f.code == "UNREADABLE_FILE")
        return f"✘ {name}：无法读取。{message}"
    counts = f"{r.errors} 个错误，{r.warnings} 个警告"
    if not r.scored:
        return f"✘ {name}：未能评分（缺少评分所需的表、列或金额），{counts}"
    mark = "✘" if r.errors else "✔"
    return f"{mark} {name}：总分 {r.total:g}（{r.grade}），{counts}"


def _print_findings(r: Result) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    shown = [f for f in r.findings if f.code != "UNREADABLE_FILE"]
    if not shown:
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    for column in ("级别", "工作表", "单元格", "代码", "说明"):
        table.add_column(column, overflow="fold")
    labels = {"error": "错误", "warning": "警告", "info": "提示"}
    for f in shown:
        table.add_row(*(Text(x) for x in (labels[f.severity.value], f.sheet, f.cell, f.code, f.message)))
    console = Console(file=sys.stdout, width=None if sys.stdout.isatty() else 200)
    console.print(Text(str(r.file)))
    console.print(table)


def main() -> None:
    app()
