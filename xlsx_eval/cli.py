"""The command line: wiring only. Each command builds its settings, calls the library, shows the result
and picks the exit code (output.md): 0 no errors, 1 some workbook has errors, 2 usage or nothing readable.

Heavy modules (python-calamine, lxml, xlsxwriter) are imported inside the commands that need them, so that
``xlsx-eval --help`` starts fast.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from .cli_text import ChineseGroup

app = typer.Typer(
    name="xlsx-eval",
    cls=ChineseGroup,  # help and usage errors in Chinese (cli_text)
    help="财政支出绩效自评：读取标准自评工作簿，核对支出，逐项评分，写回评分结果。",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,  # plain help: rich's renderer would double the start-up time of --help
)

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


def _err(message: str) -> None:
    typer.echo(message, err=True)


@app.command()
def template(
    path: Annotated[
        Optional[Path], typer.Argument(help="写出的文件，默认“绩效自评模板.xlsx”（--example 时为“绩效自评示例.xlsx”）")
    ] = None,
    example: Annotated[
        bool, typer.Option("--example", help="写出填好的示例（长安区委办公室值班视频系统项目）")
    ] = False,
    report: Annotated[
        bool, typer.Option("--report", help="写出自评报告的 Word 模板（可修改措辞和版式后用 --report-template 使用）")
    ] = False,
    force: Annotated[bool, typer.Option("--force", "-f", help="文件已存在时覆盖")] = False,
) -> None:
    """写出标准自评模板（或填好的示例，或自评报告的 Word 模板）。

    示例：xlsx-eval template 我的自评.xlsx ，或 xlsx-eval template --example ，
    或 xlsx-eval template --report 我局报告模板.docx
    """
    if report and example:
        _err("--report 与 --example 只能选一个")
        raise typer.Exit(EXIT_USAGE)
    what = "报告模板" if report else "示例" if example else "模板"
    default = Path({"报告模板": "自评报告模板.docx", "示例": "绩效自评示例.xlsx", "模板": "绩效自评模板.xlsx"}[what])
    dest = path or default
    if dest.is_dir():  # a folder: the file goes in it, under its usual name
        dest = dest / default
    suffix = ".docx" if report else ".xlsx"
    if dest.suffix.lower() != suffix:
        _err(f"{what}的文件名 {dest} 须以 {suffix} 结尾，如 {dest.with_suffix(suffix).name}")
        raise typer.Exit(EXIT_USAGE)
    if dest.exists() and not force:
        _err(f"{dest} 已存在，未覆盖；如需覆盖请加 --force")
        raise typer.Exit(EXIT_USAGE)
    if any(p.exists() and not p.is_dir() for p in dest.parents):
        _err(
            f"{dest} 所在的位置不是文件夹（{next(p for p in dest.parents if p.exists() and not p.is_dir())} 是一个文件）；"
            "请换一个位置"
        )
        raise typer.Exit(EXIT_USAGE)
    from .files import atomic_path, fault

    try:
        if report:
            from .report.template import report_template_bytes

            with atomic_path(dest) as tmp:
                tmp.write_bytes(report_template_bytes())
        else:
            from .write.template import write_template

            write_template(dest, example=example)
    except Exception as exc:  # an OSError, or xlsxwriter's FileCreateError around one
        why = fault(exc, dest)
        if why is None and not isinstance(exc, OSError) and not isinstance(exc.__context__, OSError):
            raise
        _err(why or f"无法写出 {dest}（{getattr(exc, 'strerror', None) or exc}）；请换一个位置")
        raise typer.Exit(EXIT_USAGE) from None
    _err(f"已写出{what}：{dest}")


JOBS_HELP = "并行处理的进程数，默认为本机 CPU 核数"
RULES_HELP = "评分规则：内置规则名（national、hubei、guangxi、ningxia、shanxi）或 .toml 规则文件；默认 national"
REPORT_TEMPLATE_HELP = "自评报告的 Word 模板（.docx），默认用内置模板；可先用 xlsx-eval template --report 写出后修改"
PDF_HELP = "同时用 LibreOffice 把报告转为 PDF（需安装 LibreOffice）"
DECLARED_HELP = (
    "绩效目标申报表（工作簿或文件夹，可多次给出）：按项目编码、或申请单位和项目名称找到每份自评表的申报表，"
    "比对三级指标和指标值"
)


@app.command()
def rules(
    profile: Annotated[Optional[str], typer.Option("--rules", help=RULES_HELP)] = None,
    check_file: Annotated[Optional[Path], typer.Option("--check", help="只检查这个规则文件是否有效")] = None,
) -> None:
    """打印正在使用的评分规则（带说明的 TOML，可保存后修改），或检查一个规则文件。

    示例：xlsx-eval rules > 我局规则.toml ，改好后 xlsx-eval rules --check 我局规则.toml ，
    再用 xlsx-eval convert inbox/ -o out --rules 我局规则.toml
    """
    from .score.rules_file import rules_toml

    if check_file is not None:
        loaded = _load_rules(str(check_file))
        _err(f"规则文件 {check_file} 有效：{loaded.title}（{loaded.name}），摘要 {loaded.digest[:12]}")
        return
    typer.echo(rules_toml(_load_rules(profile)), nl=False)


def _load_rules(spec: str | None):
    from .errors import RulesError
    from .score.rules_file import load_rules

    try:
        return load_rules(spec)
    except RulesError as exc:
        _err(str(exc))
        raise typer.Exit(EXIT_USAGE) from None


@app.command()
def check(
    files: Annotated[list[str], typer.Argument(help="要检查的工作簿、文件夹或通配符")],
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出结果（标准输出只有 JSON）")] = False,
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", min=1, help=JOBS_HELP)] = None,
    rules_spec: Annotated[Optional[str], typer.Option("--rules", help=RULES_HELP)] = None,
    declared_items: Annotated[Optional[list[str]], typer.Option("--declared", help=DECLARED_HELP)] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="不显示进度条和逐个文件的结论")] = False,
) -> None:
    """检查工作簿：列出每个问题所在的工作表和单元格，并给出评分。不写任何文件。

    示例：xlsx-eval check 长安区委办.xlsx ，或 xlsx-eval check inbox/ --json --declared 申报表/
    """
    from .batch.inputs import expand_inputs
    from .pipeline import process

    rules_in_force = _load_rules(rules_spec)
    inputs = _inputs(files, expand_inputs, quiet or as_json)
    declared, _ = _read_declared(declared_items, jobs, quiet or as_json)
    with _Progress(len(inputs.paths), quiet or as_json) as progress:
        results = [
            r.to_dict()
            for r in process(
                inputs.paths,
                rules_in_force,
                jobs=_jobs(jobs),
                done=lambda i, r: progress.advance(),
                declared=declared,
            )
        ]
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
    outdir: Annotated[
        Path, typer.Option("--output", "-o", help="输出文件夹：评分后的工作簿 <原名>.scored.xlsx 和汇总表 summary.xlsx")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出结果（标准输出只有 JSON）")] = False,
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", min=1, help=JOBS_HELP)] = None,
    changed_only: Annotated[
        bool,
        typer.Option(
            "--changed-only",
            help="只处理新增或改动过的文件（对照输出文件夹的记录 xlsx-eval.db；输出文件缺失或被改动的也重做），汇总表仍包含全部文件",
        ),
    ] = False,
    rules_spec: Annotated[Optional[str], typer.Option("--rules", help=RULES_HELP)] = None,
    report: Annotated[bool, typer.Option("--report", help="同时写出自评报告 <原名>.report.docx")] = False,
    report_template: Annotated[Optional[Path], typer.Option("--report-template", help=REPORT_TEMPLATE_HELP)] = None,
    pdf: Annotated[bool, typer.Option("--pdf", help=PDF_HELP)] = False,
    declared_items: Annotated[Optional[list[str]], typer.Option("--declared", help=DECLARED_HELP)] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="不显示进度条和逐个文件的结论")] = False,
) -> None:
    """评分并写出评分后的工作簿：原表全部保留，填好自评得分，标出问题单元格，并在最前面加“评分结果”表；
    另写出汇总表 summary.xlsx（项目汇总、问题清单、统计）；加 --report 时每个工作簿另有一份自评报告（Word）。
    输出文件夹里的 xlsx-eval.db 记录每个输入的结果和写出的文件：每个输入的输出名字固定不变，不会覆盖别的文件；
    同一时间只能有一个 convert 或 email 使用一个输出文件夹。

    示例：xlsx-eval convert workbook_templates/example.xlsx -o out --report

    一次处理整个文件夹：xlsx-eval convert inbox/ -o out --jobs 2 --changed-only
    """
    from .batch.inputs import expand_inputs

    rules_in_force = _load_rules(rules_spec)
    options = _report_options(report or report_template is not None or pdf, report_template)
    found = _inputs(inputs, expand_inputs, quiet or as_json)
    declared, _ = _read_declared(declared_items, jobs, quiet or as_json)
    batch = _batch(
        found,
        outdir,
        rules_in_force,
        jobs,
        quiet,
        as_json,
        changed_only=changed_only,
        report=options,
        pdf=pdf,
        declared=declared,
    )
    if as_json:
        _print_json(batch.results)
    _err(_closing_line(batch))
    trouble = batch.pdf_failed or batch.problems
    raise typer.Exit(max(_exit_code(batch.results), EXIT_ERRORS if trouble else EXIT_OK))


@app.command()
def review(
    inputs: Annotated[list[str], typer.Argument(help="要复核的自评表：工作簿、文件夹或通配符")],
    outdir: Annotated[
        Path,
        typer.Option("--output", "-o", help="输出文件夹：评分后的工作簿、汇总表 summary.xlsx 和复核清单 review.xlsx"),
    ],
    sample: Annotated[
        Optional[str], typer.Option("--sample", help="抽评数量：份数（如 12）或占已评分份数的百分比（如 10%）")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="抽评随机抽取的种子：同样的输入和种子，抽到同样的名单")] = 1,
    declared_items: Annotated[Optional[list[str]], typer.Option("--declared", help=DECLARED_HELP)] = None,
    rules_spec: Annotated[Optional[str], typer.Option("--rules", help=RULES_HELP)] = None,
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", min=1, help=JOBS_HELP)] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="以 JSON 输出复核清单、抽评名单和分部门统计（标准输出只有 JSON）")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="不显示进度条和逐个文件的结论")] = False,
) -> None:
    """财政局复核：评分每一份自评表（同 convert），按风险分从高到低列出复核清单，每条理由链接到评分后工作簿的单元格；
    按 --sample 抽取抽评名单（先取风险最高的一半，其余按主管部门分层随机抽取，写明抽取原因）；按主管部门统计总分、
    优秀占比和预算执行率分布。给出 --declared 时，每份自评表与年初的绩效目标申报表比对：指标值被改动、申报的指标
    缺失或事后增加的都列为复核理由，未匹配的申报表和自评表列在“申报表对照”表中。结果写入输出文件夹的 review.xlsx。

    示例：xlsx-eval review inbox/ -o out --sample 10% --seed 2026 --declared 申报表/
    """
    from .batch.inputs import expand_inputs
    from .batch.intake import ReviewRequest
    from .batch.review import sample_size

    if sample is not None:
        try:
            sample_size(sample, 1)
        except ValueError as exc:
            _err(f"✘ {exc}")
            raise typer.Exit(EXIT_USAGE) from None
    rules_in_force = _load_rules(rules_spec)
    found = _inputs(inputs, expand_inputs, quiet or as_json)
    declared, unread = _read_declared(declared_items, jobs, quiet or as_json)
    batch = _batch(
        found,
        outdir,
        rules_in_force,
        jobs,
        quiet,
        as_json,
        review=ReviewRequest(sample, seed, unread),
        declared=declared,
    )
    if as_json and batch.reviewed is not None:
        document = {"workbook": str(batch.review) if batch.review else None, **batch.reviewed.to_dict()}
        typer.echo(json.dumps(document, ensure_ascii=False, indent=2))
    if batch.review is not None:
        picked = f"，抽评 {len(batch.reviewed.sample)} 份" if batch.reviewed and batch.reviewed.sample else ""
        _err(f"复核清单：{batch.review}（{len(batch.results)} 份自评表{picked}）")
    if batch.reviewed is not None and batch.reviewed.declared is not None:
        matching = batch.reviewed.declared
        alone = sum(m["declaration"] is None for m in matching.forms)
        _err(
            f"申报表对照：{len(matching.forms) - alone} 份自评表找到了绩效目标申报表，{alone} 份没有；"
            f"{len(matching.unmatched)} 份申报表没有对应的自评表（见 review.xlsx 的“申报表对照”）"
        )
    _err(_closing_line(batch))
    raise typer.Exit(max(_exit_code(batch.results), EXIT_ERRORS if batch.problems else EXIT_OK))


def _read_declared(items: list[str] | None, jobs: int | None, quiet: bool):
    """The --declared workbooks' 绩效目标申报表 (None when none were named), and the files that gave none, each said
    on stderr."""
    if not items:
        return None, []
    from .batch.inputs import expand_inputs
    from .pipeline import read_declared

    found = expand_inputs(items)
    if not found.paths:
        _err(f"没有找到绩效目标申报表：{' '.join(items)}（支持 .xlsx .xlsm .xls .ods .xml，可以是文件夹）")
        raise typer.Exit(EXIT_USAGE)
    declared, unread = read_declared(found.paths, jobs=_jobs(jobs))
    for path, why in unread:
        _err(f"✘ 申报表 {path.name}：{why}")
    if not quiet:
        _err(f"读取绩效目标申报表：{len(found.paths)} 个文件，共 {len(declared.declarations)} 份")
    return declared, unread


def _batch(found, outdir: Path, rules_in_force, jobs: int | None, quiet: bool, as_json: bool, **options):
    """convert_batch with a progress bar and each file's verdict as it finishes; what it could not write said on
    stderr; a folder that cannot be used is a usage error."""
    from .batch.intake import convert_batch
    from .errors import StoreError

    if outdir.exists() and not outdir.is_dir():
        _err(f"输出位置 {outdir} 是一个文件，不是文件夹；请用 -o 指定一个文件夹")
        raise typer.Exit(EXIT_USAGE)
    with _Progress(len(found.paths), quiet or as_json) as progress:

        def done(file_results: list[dict]) -> None:
            progress.advance()
            for result in file_results if not quiet else ():
                progress.say(_verdict(result) + (f" → {result['output']}" if result["output"] else ""))

        def pdf_done(document: Path) -> None:
            if not (quiet or as_json):
                progress.say(f"已写出 PDF：{document.with_suffix('.pdf')}")

        try:
            batch = convert_batch(
                found, outdir, rules_in_force, jobs=_jobs(jobs), done=done, pdf_done=pdf_done, **options
            )
        except StoreError as exc:
            stopped: StoreError | None = exc
        else:
            stopped = None
    if stopped is not None:
        _err(f"✘ {stopped}")
        raise typer.Exit(EXIT_USAGE)
    if not (quiet or as_json):
        for path, why in batch.skipped[len(found.skipped) :]:  # the folder's own files, found by the store
            _err(f"跳过 {path}：{why}")
    for document, why in batch.pdf_failed.items():
        _err(f"✘ {document.name}：{why}")
    for problem in batch.problems:
        _err(f"✘ {problem}")
    return batch


@app.command()
def report(
    file: Annotated[Path, typer.Argument(help="要写报告的工作簿")],
    output: Annotated[Path, typer.Option("--output", "-o", help="写出的报告（.docx）")],
    rules_spec: Annotated[Optional[str], typer.Option("--rules", help=RULES_HELP)] = None,
    report_template: Annotated[Optional[Path], typer.Option("--report-template", help=REPORT_TEMPLATE_HELP)] = None,
    pdf: Annotated[bool, typer.Option("--pdf", help=PDF_HELP + "，PDF 与 .docx 同名同目录")] = False,
) -> None:
    """评分并写出自评报告（Word）：结构同标准自评报告，每个数字都来自评分结果，与工作簿一致。

    示例：xlsx-eval report workbook_templates/example.xlsx -o 自评报告.docx --pdf
    """
    from .pipeline import report_workbook

    if output.suffix.lower() != ".docx":
        _err(f"报告文件名 {output} 须以 .docx 结尾，如 -o 自评报告.docx")
        raise typer.Exit(EXIT_USAGE)
    if output.is_dir():
        _err(f"{output} 是一个文件夹；请用 -o 指定报告的文件名，如 -o 自评报告.docx")
        raise typer.Exit(EXIT_USAGE)
    rules_in_force = _load_rules(rules_spec)
    options = _report_options(True, report_template)
    results = [r.to_dict() for r in report_workbook(file, output, rules_in_force, options)]
    for result in results:
        _print_findings(result)
        typer.echo(_verdict(result))
    if any(_unreadable(r) for r in results):
        raise typer.Exit(EXIT_USAGE)
    written = [Path(r["report"]) for r in results if r["report"]]
    for result in results:
        if not result["report"]:
            _err(
                "未写出报告："
                + (
                    "工作簿缺少评分所需的表、列或金额，请按上面的问题补全后重试"
                    if not result["scored"]
                    else next(f["message"] for f in result["findings"] if f["code"] == "REPORT_FAILED")
                )
            )
    for document in written:
        _err(f"已写出报告：{document}")
    if not written:
        raise typer.Exit(EXIT_ERRORS)
    pdf_failed = _pdfs(written, quiet=False) if pdf else 0
    incomplete = len(written) < len(results)
    raise typer.Exit(max(_exit_code(results), EXIT_ERRORS if pdf_failed or incomplete else EXIT_OK))


@app.command()
def export(
    inputs: Annotated[list[str], typer.Argument(help="要导出的工作簿、文件夹或通配符")],
    outdir: Annotated[Path, typer.Option("--output", "-o", help="输出文件夹：每个工作簿写出 <原名>.national.xlsx")],
    form: Annotated[str, typer.Option("--form", help="导出的表式，目前为 national（全国通用的项目支出绩效自评表）")],
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", min=1, help=JOBS_HELP)] = None,
    rules_spec: Annotated[Optional[str], typer.Option("--rules", help=RULES_HELP)] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="不显示进度条和逐个文件的结论")] = False,
) -> None:
    """评分并写出全国通用的项目支出绩效自评表（A4 打印版式，宋体，填好计算出的执行率、得分和总分）。

    示例：xlsx-eval export workbook_templates/example.xlsx -o out --form national
    """
    from .batch.inputs import expand_inputs
    from .pipeline import export_national

    if form != "national":
        _err(f"不认识的表式“{form}”；目前可导出的表式只有 national（项目支出绩效自评表），如 --form national")
        raise typer.Exit(EXIT_USAGE)
    rules_in_force = _load_rules(rules_spec)
    found = _inputs(inputs, expand_inputs, quiet)
    if outdir.exists() and not outdir.is_dir():
        _err(f"输出位置 {outdir} 是一个文件，不是文件夹；请用 -o 指定一个文件夹")
        raise typer.Exit(EXIT_USAGE)
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _err(f"✘ 无法创建输出文件夹 {outdir}（{exc.strerror or exc}）")
        raise typer.Exit(EXIT_USAGE) from None
    with _Progress(len(found.paths), quiet) as progress:

        def done(index: int, file_results) -> None:
            progress.advance()
            for result in file_results if not quiet else ():
                r = result.to_dict()
                progress.say(_verdict(r) + (f" → {r['output']}" if r["output"] else "（未导出：无法评分）"))

        results = [
            r.to_dict() for r in export_national(found.paths, outdir, rules_in_force, jobs=_jobs(jobs), done=done)
        ]
    written = sum(1 for r in results if r["output"])
    _err(f"共 {len(results)} 个文件，导出 {written} 份自评表到 {outdir}")
    raise typer.Exit(max(_exit_code(results), EXIT_ERRORS if written < len(results) else EXIT_OK))


def _report_options(wanted: bool, template: Path | None):
    """The report settings, with a bureau's template checked before any workbook is read."""
    if not wanted:
        return None
    from .errors import ReportTemplateError
    from .report.word import ReportOptions, check_template

    if template is not None:
        try:
            check_template(template)
        except ReportTemplateError as exc:
            _err(str(exc))
            raise typer.Exit(EXIT_USAGE) from None
    return ReportOptions(template)


def _pdfs(documents: list[Path], quiet: bool) -> int:
    """PDFs of the reports; says which were made and why any was not. Returns how many failed."""
    from .report.pdf import to_pdf

    if not documents:
        return 0
    failed = to_pdf(documents, done=None if quiet else lambda doc: _err(f"已写出 PDF：{doc.with_suffix('.pdf')}"))
    for doc, why in failed.items():
        _err(f"✘ {doc.name}：{why}")
    return len(failed)


@app.command()
def email(
    outdir: Annotated[Path, typer.Argument(help="convert 的输出文件夹（有记录 xlsx-eval.db 和评分后的工作簿）")],
    to: Annotated[
        Optional[list[str]],
        typer.Option("--to", metavar="ADDR", help="收件人：不用各工作簿的联系人邮箱，全部发给这个地址（可重复）"),
    ] = None,
    cc: Annotated[Optional[list[str]], typer.Option("--cc", metavar="ADDR", help="抄送这个地址（可重复）")] = None,
    sender: Annotated[
        Optional[str],
        typer.Option("--from", help="发件人，如 jxpj@czj.example.gov.cn 或“绩效科 <jxpj@czj.example.gov.cn>”"),
    ] = None,
    smtp_host: Annotated[Optional[str], typer.Option("--smtp-host", help="邮件服务器，默认 localhost")] = None,
    smtp_port: Annotated[
        Optional[int], typer.Option("--smtp-port", help="端口，默认 --ssl 为 465、--starttls 为 587、不加密为 25")
    ] = None,
    smtp_user: Annotated[
        Optional[str],
        typer.Option("--smtp-user", help="登录用户名；密码取自环境变量 XLSX_EVAL_SMTP_PASSWORD，或在终端里提示输入"),
    ] = None,
    use_ssl: Annotated[bool, typer.Option("--ssl", help="一开始就用 SSL/TLS 加密连接（端口 465）")] = False,
    starttls: Annotated[bool, typer.Option("--starttls", help="连接后用 STARTTLS 加密（端口 587）")] = False,
    ca_file: Annotated[
        Optional[Path], typer.Option("--ca-file", help="信任这个 CA 证书（PEM）：服务器用单位自己签发的证书时")
    ] = None,
    config: Annotated[
        Optional[Path],
        typer.Option("--config", help="配置文件（用其中的 [email] 表），默认为当前文件夹的 xlsx-eval.toml"),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="不发送：把每封邮件写成 .eml 文件放进 输出文件夹/outbox/ 供检查")
    ] = False,
    resend: Annotated[bool, typer.Option("--resend", help="不看发送记录，已发送过的也再发一次")] = False,
    resend_uncertain: Annotated[
        bool, typer.Option("--resend-uncertain", help="上次发送中断、无法确定对方是否收到的，再发一次")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="不显示进度条和逐封的结果（没能发出的仍会列出）")
    ] = False,
) -> None:
    """把每个评分后的工作簿（有自评报告时一并附上）发给填报单位的联系人邮箱，每份只发一次。

    收件人是各工作簿“项目信息”里的联系人邮箱，或 --to。发送的是输出文件夹记录里属于各单位的文件，发出前核对摘要值；
    发送记录在输出文件夹的 xlsx-eval.db（导出为 sent.jsonl）：重新运行时已发送的跳过，只补发没有发出的。
    设置的来源依次是命令行、环境变量（XLSX_EVAL_SMTP_HOST、_PORT、_USER、_FROM、_SECURITY、_CA_FILE、_TO、_CC、
    _TIMEOUT、_MESSAGE_TIMEOUT）、配置文件 xlsx-eval.toml 的 [email] 表；密码只来自环境变量
    XLSX_EVAL_SMTP_PASSWORD 或运行时输入。

    示例：xlsx-eval email out --dry-run --from jxpj@czj.example.gov.cn ，检查 out/outbox/ 里的邮件后：
    xlsx-eval email out --from jxpj@czj.example.gov.cn --smtp-host smtp.example.gov.cn --starttls --smtp-user jxpj
    """
    import os
    from dataclasses import replace

    from .errors import MailError, MailSettingsError, StoreError
    from .mail import mailer
    from .mail.settings import resolve_settings

    if use_ssl and starttls:
        _err("--ssl 和 --starttls 只能选一个：端口 465 通常用 --ssl，587 用 --starttls")
        raise typer.Exit(EXIT_USAGE)
    flags = {
        "host": smtp_host,
        "port": smtp_port,
        "user": smtp_user,
        "from": sender,
        "to": to,
        "cc": cc,
        "ca_file": str(ca_file) if ca_file else None,
        "security": "ssl" if use_ssl else "starttls" if starttls else None,
        "dry_run": dry_run,
        "resend": resend,
        "resend_uncertain": resend_uncertain,
    }
    try:
        settings = resolve_settings(flags, os.environ, config)
        store = mailer.open_folder(outdir)
    except (MailSettingsError, StoreError) as exc:
        _err(str(exc))
        raise typer.Exit(EXIT_USAGE) from None
    with store:
        try:
            plan = mailer.plan_messages(store, settings)
        except (MailSettingsError, StoreError) as exc:
            _err(str(exc))
            raise typer.Exit(EXIT_USAGE) from None
        if settings.user and settings.password is None and not settings.dry_run:
            settings = replace(settings, password=_smtp_password(settings))
        stopped = None
        with _Progress(len(plan.items), quiet, label="发送") as progress:

            def done(outcome) -> None:
                progress.advance()
                line = _mail_line(outcome, quiet)
                if line:
                    progress.say(line)

            try:
                sent = mailer.send_messages(plan, settings, progress=done)
            except MailError as exc:
                stopped, sent = exc, exc.report
    if stopped is not None:
        _err(f"✘ {stopped}")
    if sent is not None:
        for problem in sent.problems:
            _err(f"✘ {problem}")
        _err(_mail_closing(sent, stopped is not None))
    raise typer.Exit(EXIT_OK if stopped is None and sent.ok else EXIT_ERRORS)


@app.command()
def status(
    outdir: Annotated[Path, typer.Argument(help="convert 的输出文件夹")],
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出（标准输出只有 JSON）")] = False,
) -> None:
    """查看输出文件夹的记录：处理过哪些工作簿，评分、无法读取、待重试各几个，发送了哪些、还有哪些没发，
    哪些输出文件缺失或被改动、哪些输入在 convert 之后又有改动。正在 convert 或 email 时也可以查看。

    示例：xlsx-eval status out ，或 xlsx-eval status out --json
    """
    from .batch.folder_status import STATES, folder_status
    from .errors import StoreError

    try:
        st = folder_status(outdir)
    except StoreError as exc:
        _err(str(exc))
        raise typer.Exit(EXIT_USAGE) from None
    if as_json:
        typer.echo(json.dumps(st.to_dict(), ensure_ascii=False, indent=2))
        return
    c = st.counts
    typer.echo(f"输出文件夹 {st.outdir}（记录：{st.store}）")
    typer.echo(
        f"工作簿 {c['inputs']} 个：已评分 {c['scored']} 个（其中 {c['with_errors']} 个有错误），"
        f"未能评分 {c['not_scored']} 个，无法读取 {c['unreadable']} 个，上次未完成待重试 {c['retry']} 个"
    )
    typer.echo(f"发送：已发送 {c['sent']} 个，尚未发送 {c['not_sent']} 个，结果不明 {c['uncertain']} 个")
    typer.echo(
        f"需要重新 convert：输出文件缺失或被改动 {c['stale_outputs']} 个，输入在 convert 之后有改动 "
        f"{c['inputs_changed']} 个"
    )
    for i in st.inputs:
        notes = []
        if i.state != "scored":
            notes.append(STATES[i.state])
        notes += [
            f"{name} {'缺失' if how == 'missing' else '与记录不符'}" for name, how in i.outputs.items() if how != "ok"
        ]
        if i.input_changed:
            notes.append("输入文件已改动或已不在原处")
        if i.uncertain:
            notes.append(f"发给 {'、'.join(i.uncertain)} 的结果不明")
        if notes:
            typer.echo(f"  · {i.file}：{'；'.join(notes)}")


@app.command()
def serve(
    host: Annotated[
        str, typer.Option("--host", help="监听的地址：127.0.0.1 只有本机能打开；0.0.0.0 为本机所有网卡")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="端口")] = 8000,
    data: Annotated[Path, typer.Option("--data", help="保存上传文件和评分结果的文件夹")] = Path("xlsx-eval-data"),
    rules_spec: Annotated[Optional[str], typer.Option("--rules", help=RULES_HELP)] = None,
    token: Annotated[
        Optional[str],
        typer.Option("--token", help="访问令牌：监听本机以外的地址时必须有，不给出时自动生成一个并显示在启动信息里"),
    ] = None,
    max_file_mb: Annotated[float, typer.Option("--max-file-mb", min=0.1, help="每个文件的大小上限（MB）")] = 20,
    max_batch_mb: Annotated[
        float, typer.Option("--max-batch-mb", min=0.1, help="一次上传的总大小上限（MB，含 .zip 解压后）")
    ] = 200,
    max_files: Annotated[int, typer.Option("--max-files", min=1, help="一次上传的文件数上限")] = 500,
    keep_hours: Annotated[
        float, typer.Option("--keep-hours", min=0.1, help="上传的文件和评分结果保存多少小时后自动删除")
    ] = 72,
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", min=1, help=JOBS_HELP)] = None,
) -> None:
    """启动网页服务：各单位在浏览器里上传自评表自查，财政局上传一批自评表评分、复核和抽评，不用打开终端。

    默认只有本机能打开（http://127.0.0.1:8000/）；要让局域网里的其他电脑使用，加 --host 0.0.0.0，
    此时须凭访问令牌打开（启动信息中的完整网址）。按 Ctrl+C 停止。

    示例：xlsx-eval serve ，或 xlsx-eval serve --host 0.0.0.0 --port 8080 --data /srv/xlsx-eval --rules hubei
    """
    import ipaddress
    import secrets
    import socket

    _load_rules(rules_spec)
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback and not token:
        token = secrets.token_urlsafe(16)
    try:
        data.mkdir(parents=True, exist_ok=True)
        (data / ".probe").write_bytes(b"")
        (data / ".probe").unlink()
    except OSError as exc:
        _err(f"✘ 无法使用数据文件夹 {data}（{exc.strerror or exc}）；请用 --data 指定一个可以写入的文件夹")
        raise typer.Exit(EXIT_USAGE) from None
    try:  # a port in use is told here, in Chinese, not by uvicorn's traceback-like log
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        _err(f"✘ 无法在 {host}:{port} 上启动（{exc.strerror or exc}）；端口可能已被占用，请用 --port 换一个")
        raise typer.Exit(EXIT_USAGE) from None
    import uvicorn

    from .web.app import ServeSettings, create_app
    from .web.guard import LOOPBACK_HOSTS
    from .web.uploads import UploadLimits

    settings = ServeSettings(
        data=data,
        rules=rules_spec,
        token=token,
        hosts=LOOPBACK_HOSTS if loopback else None,
        limits=UploadLimits(int(max_file_mb * (1 << 20)), int(max_batch_mb * (1 << 20)), max_files),
        keep_hours=keep_hours,
        jobs=_jobs(jobs),
    )
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else shown}:{port}/"
    _err(f"xlsx-eval 网页服务已启动：在浏览器中打开 {url}{f'?token={token}' if token else ''}")
    if not loopback:
        _err(
            f"监听 {host}:{port}，局域网内的其他电脑可以访问：须用带访问令牌的网址打开（把上面的 127.0.0.1 换成本机的"
            f"地址），令牌：{token}"
        )
    _err(f"上传的文件和评分结果保存在 {data.resolve()}，{keep_hours:g} 小时后自动删除。按 Ctrl+C 停止。")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning", access_log=False)


def _smtp_password(settings) -> str:
    if sys.stdin.isatty():
        return typer.prompt(f"{settings.user} 在 {settings.server} 的密码", hide_input=True)
    _err(f"需要 {settings.user} 的邮箱密码：请设置环境变量 XLSX_EVAL_SMTP_PASSWORD（在终端里运行时会提示输入）")
    raise typer.Exit(EXIT_USAGE)


def _mail_line(outcome, quiet: bool) -> str | None:
    from .mail.mailer import Status

    to = "、".join(outcome.recipients)
    if outcome.status is Status.SENT:
        return None if quiet else f"✔ {outcome.name} → {to}"
    if outcome.status is Status.WRITTEN:
        return None if quiet else f"✔ {outcome.name} → {to}：已写出 {outcome.eml}（未发送）"
    if outcome.status is Status.ALREADY_SENT:
        return None if quiet else f"· {outcome.name}：已发送过给 {to}，跳过（要再发一次请加 --resend）"
    if outcome.status is Status.UNCERTAIN:
        return f"? {outcome.name}：{outcome.reason}"
    return f"✘ {outcome.name}：{outcome.reason}"


def _mail_closing(report, stopped: bool) -> str:
    from .mail.mailer import Status

    c = report.count
    tail = f"此前已发送 {c(Status.ALREADY_SENT)} 个，没有邮箱 {c(Status.NO_ADDRESS)} 个，失败 {c(Status.FAILED)} 个"
    if c(Status.UNCERTAIN):
        tail += f"，结果不明 {c(Status.UNCERTAIN)} 个（未重发）"
    if report.outbox is not None:
        return (
            f"试运行：共 {len(report.outcomes)} 个评分结果，写出 {c(Status.WRITTEN)} 封邮件到 {report.outbox}"
            f"（没有发送），{tail}"
        )
    not_sent = f"，未发送 {c(Status.NOT_SENT)} 个（重新运行会补发）" if c(Status.NOT_SENT) else ""
    return (
        f"{'已中止' if stopped else '完成'}：共 {len(report.outcomes)} 个评分结果，发送 {c(Status.SENT)} 个，"
        f"{tail}{not_sent}；发送记录：{report.log}"
    )


def _jobs(jobs: int | None) -> int:
    import os

    return jobs or os.cpu_count() or 1


def _inputs(items: list[str], expand, quiet: bool):
    found = expand(items)
    if not quiet:
        for path, why in found.skipped:
            _err(f"跳过 {path}：{why}")
    if not found.paths:
        _err(f"没有找到工作簿：{' '.join(items)}（支持 .xlsx .xlsm .xls .ods）")
        raise typer.Exit(EXIT_USAGE)
    return found


class _Progress:
    """A progress bar on stderr (count, rate, time left) when stderr is a terminal; silent otherwise."""

    def __init__(self, total: int, quiet: bool, label: str = "评分") -> None:
        self.total = total
        self.bar = None
        if not quiet and total > 1 and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self.bar = Progress(
                TextColumn(label),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"),
                TextColumn("剩余"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self.task = self.bar.add_task("", total=total, rate="")

    def __enter__(self) -> _Progress:
        if self.bar:
            self.bar.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.bar:
            self.bar.stop()

    def advance(self) -> None:
        if self.bar:
            self.bar.advance(self.task)
            speed = self.bar.tasks[0].speed
            self.bar.update(self.task, rate=f"{speed:.1f} 个/秒" if speed else "")

    def say(self, line: str) -> None:
        if self.bar:
            self.bar.console.print(line, markup=False, highlight=False)
        else:
            _err(line)


def _print_json(results: list[dict]) -> None:
    summary = {
        "files": len({r["file"] for r in results}),
        "forms": len(results),  # a result per form: a workbook of national forms has several
        "scored": sum(r["scored"] for r in results),
        "errors": sum(_count(r, "error") for r in results),
        "warnings": sum(_count(r, "warning") for r in results),
    }
    typer.echo(json.dumps({"results": results, "summary": summary}, ensure_ascii=False, indent=2))


def _count(r: dict, severity: str) -> int:
    return sum(f["severity"] == severity for f in r["findings"])


def _exit_code(results: list[dict]) -> int:
    if all(_unreadable(r) for r in results):
        return EXIT_USAGE
    return EXIT_ERRORS if any(_count(r, "error") for r in results) else EXIT_OK


def _unreadable(r: dict) -> bool:
    return any(f["code"] == "UNREADABLE_FILE" for f in r["findings"])


def _verdict(r: dict) -> str:
    name = Path(r["file"]).name + (f"（{r['sheet']}）" if r.get("sheet") else "")
    if _unreadable(r):
        message = next(f["message"] for f in r["findings"] if f["code"] == "UNREADABLE_FILE")
        return f"✘ {name}：无法读取。{message}"
    counts = f"{_count(r, 'error')} 个错误，{_count(r, 'warning')} 个警告"
    if not r["scored"]:
        return f"✘ {name}：未能评分（缺少评分所需的表、列或金额），{counts}"
    mark = "✘" if _count(r, "error") else "✔"
    unwritten = [f["message"] for f in r["findings"] if f["code"] in ("WRITE_FAILED", "REPORT_FAILED")]
    return f"{mark} {name}：总分 {r['total']:g}（{r['grade']}），{counts}" + "".join(f"；{m}" for m in unwritten)


def _closing_line(batch) -> str:
    results = batch.results
    unreadable = sum(_unreadable(r) for r in results)
    scored = sum(r["scored"] for r in results)
    with_errors = sum(1 for r in results if r["scored"] and _count(r, "error"))
    reused = f"（其中 {batch.reused} 个未改动，沿用上次结果）" if batch.reused else ""
    summary = f"汇总表：{batch.summary}" if batch.summary else "汇总表未能写出"
    return (
        f"完成：共 {len(results)} 个工作簿{reused}，评分 {scored} 个（其中 {with_errors} 个有错误），"
        f"未能评分 {len(results) - scored - unreadable} 个，无法读取 {unreadable} 个，跳过 {len(batch.skipped)} 个；"
        f"{summary}"
    )


def _print_findings(r: dict) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from .findings import SEVERITY_LABELS

    shown = [f for f in r["findings"] if f["code"] != "UNREADABLE_FILE"]
    if not shown:
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    for column in ("级别", "工作表", "单元格", "代码", "说明"):
        table.add_column(column, overflow="fold")
    for f in shown:
        table.add_row(
            *(Text(x) for x in (SEVERITY_LABELS[f["severity"]], f["sheet"], f["cell"], f["code"], f["message"]))
        )
    console = Console(file=sys.stdout, width=None if sys.stdout.isatty() else 200)
    console.print(Text(str(r["file"])))
    console.print(table)


def main() -> None:
    app()
