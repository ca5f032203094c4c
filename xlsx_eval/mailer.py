"""E-mail each scored workbook (and its 自评报告) to its unit over SMTP, exactly once.

``resolve_settings`` builds the typed settings from flags, the environment and a config file;
``plan_messages`` reads OUTDIR/manifest.json (written by convert) and decides, per scored workbook, whom it
goes to or why it cannot go; ``send_messages`` sends them over one SMTP connection (or, on a dry run, writes
them to OUTDIR/outbox/) and returns a ``MailReport``. The send log (``sendlog``) makes a rerun send only what
the server has not yet accepted.

The library never prints, prompts or exits: bad settings raise ``MailSettingsError``; what stops the whole
run (server unreachable, TLS, login refused, connection lost while a message was in flight) raises
``MailError`` carrying the report so far; everything else is an outcome in the report.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from enum import Enum
from pathlib import Path
from typing import Any

from . import manifest
from .errors import MailError, MailSettingsError
from .files import atomic_path
from .sendlog import NAME as LOG_NAME
from .sendlog import SendLog

CONFIG_NAME = "xlsx-eval.toml"  # its [email] table; looked for in the current folder unless --config names one
ENV_PREFIX = "XLSX_EVAL_SMTP_"
PASSWORD_ENV = "XLSX_EVAL_SMTP_PASSWORD"
OUTBOX = "outbox"
SECURITIES = ("ssl", "starttls", "none")
DEFAULT_PORTS = {"ssl": 465, "starttls": 587, "none": 25}
FINDINGS_IN_BODY = 5

#: Settings that flags, XLSX_EVAL_SMTP_<KEY> and the [email] table of the config file may give.
KEYS = ("host", "port", "user", "from", "security", "ca_file", "to", "cc", "timeout", "retries", "retry_delay")
_FLAGS = {"host": "--smtp-host", "port": "--smtp-port", "user": "--smtp-user", "from": "--from",
          "security": "--ssl/--starttls", "ca_file": "--ca-file", "to": "--to", "cc": "--cc"}


@dataclass(frozen=True)
class MailSettings:
    """Where and how to send. ``sender`` is the From address ("财政局绩效科 <jxpj@example.gov.cn>" or a bare
    address); ``to`` replaces each workbook's 联系人邮箱; ``cc`` is added to every message."""

    sender: str
    host: str = "localhost"
    port: int = 25
    security: str = "none"  # "ssl" (TLS from the start), "starttls" or "none"
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    ca_file: Path | None = None  # trust this CA (a bureau's own); otherwise the system's (and SSL_CERT_FILE)
    timeout: float = 30.0
    retries: int = 3  # tries for a transient (4xx) answer, the first included
    retry_delay: float = 2.0  # seconds before the second try, doubled before each further one
    dry_run: bool = False
    resend: bool = False

    @property
    def server(self) -> str:
        return f"{self.host}:{self.port}"


class Status(str, Enum):
    SENT = "sent"  # the server accepted it for every recipient
    ALREADY_SENT = "already_sent"  # the log says every recipient already has these exact files
    NO_ADDRESS = "no_address"  # no usable 联系人邮箱 and no --to
    FAILED = "failed"  # not sent (or not to everyone): see reason
    WRITTEN = "written"  # dry run: written to OUTDIR/outbox/
    NOT_SENT = "not_sent"  # the run stopped before (or while) sending it


@dataclass(frozen=True)
class Outcome:
    """What happened to one scored workbook. ``recipients``: who got it in this run (sent, or on a failure
    the ones that did), who already had it, or whom the .eml is for; ``reason`` is Chinese."""

    input: str
    name: str  # the scored workbook's file name (the input's when there is none)
    status: Status
    recipients: tuple[str, ...] = ()
    reason: str = ""
    eml: Path | None = None


@dataclass
class MailReport:
    outcomes: list[Outcome]
    log: Path
    outbox: Path | None = None  # set on a dry run

    def count(self, *statuses: Status) -> int:
        return sum(o.status in statuses for o in self.outcomes)

    @property
    def ok(self) -> bool:
        """Everything went (or had gone before, or was written on a dry run)."""
        return all(o.status in (Status.SENT, Status.ALREADY_SENT, Status.WRITTEN) for o in self.outcomes)


@dataclass(frozen=True)
class Item:
    """One scored workbook to send, or (``outcome`` set) one that cannot be sent."""

    input: str
    name: str
    result: dict[str, Any] = field(default_factory=dict)
    scored: Path | None = None
    report: Path | None = None
    to: tuple[Address, ...] = ()
    cc: tuple[Address, ...] = ()
    outcome: Outcome | None = None

    @property
    def envelope(self) -> list[str]:
        """Every recipient's address, each once."""
        seen: dict[str, str] = {}
        for a in (*self.to, *self.cc):
            seen.setdefault(a.addr_spec.lower(), a.addr_spec)
        return list(seen.values())


@dataclass
class Plan:
    outdir: Path
    items: list[Item]


# ---------------------------------------------------------------------------------------------- settings

def resolve_settings(flags: Mapping[str, Any], environ: Mapping[str, str] | None = None,
                     config: Path | None = None, *, cwd: Path | None = None) -> MailSettings:
    """Settings from ``flags`` (keys of ``KEYS`` plus ``dry_run``/``resend``; None = not given), else the
    environment (XLSX_EVAL_SMTP_HOST, _PORT, …; lists comma-separated), else the [email] table of ``config``
    (or of xlsx-eval.toml in ``cwd`` when there is one), else the defaults. The password comes only from
    XLSX_EVAL_SMTP_PASSWORD (the caller may prompt for it when it is None)."""
    environ = os.environ if environ is None else environ
    cwd = Path.cwd() if cwd is None else cwd
    table, where, base = _config_table(config, cwd)
    given: dict[str, tuple[Any, str, Path]] = {}
    for k in KEYS:
        env = ENV_PREFIX + k.upper()
        if flags.get(k) not in (None, [], ()):
            given[k] = (flags[k], _FLAGS.get(k, k), cwd)
        elif environ.get(env, "").strip():
            given[k] = (environ[env].strip(), f"环境变量 {env}", cwd)
        elif k in table:
            given[k] = (table[k], f"{where} 的 [email] {k}", base)

    def get(k: str, convert: Callable[[Any, str, Path], Any], default: Any = None) -> Any:
        return convert(*given[k]) if k in given else default

    port = get("port", _port)
    security = get("security", _security) or {465: "ssl", 587: "starttls"}.get(port, "none")
    host = get("host", _text, "localhost")
    user = get("user", _text)
    to = get("to", _addresses, ())
    cc = get("cc", _addresses, ())
    sender = get("from", _address)
    if sender is None:
        if user and parse_address(user):
            sender = user
        else:
            raise MailSettingsError("没有发件人地址：请用 --from、环境变量 XLSX_EVAL_SMTP_FROM 或 "
                                    f"{CONFIG_NAME} 的 [email] from 指定，如 jxpj@czj.example.gov.cn")
    if user and security == "none" and not _loopback(host):
        raise MailSettingsError(f"不能在未加密的连接上把密码发给 {host}：请加 --starttls（端口 587）或 --ssl（端口 465）")
    return MailSettings(
        sender=sender, host=host, port=port or DEFAULT_PORTS[security], security=security, user=user,
        password=environ.get(PASSWORD_ENV) or None, to=to, cc=cc, ca_file=get("ca_file", _file),
        timeout=get("timeout", _number(0.1, 600), 30.0), retries=int(get("retries", _number(1, 10), 3)),
        retry_delay=get("retry_delay", _number(0, 600), 2.0),
        dry_run=bool(flags.get("dry_run")), resend=bool(flags.get("resend")),
    )


def _config_table(config: Path | None, cwd: Path) -> tuple[dict[str, Any], str, Path]:
    import tomllib

    path = Path(config) if config is not None else cwd / CONFIG_NAME
    if config is None and not path.is_file():
        return {}, "", cwd
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MailSettingsError(f"找不到配置文件 {path}") from None
    except OSError as exc:
        raise MailSettingsError(f"无法读取配置文件 {path}（{exc.strerror}）") from None
    except UnicodeDecodeError:
        raise MailSettingsError(f"配置文件 {path} 不是 UTF-8 编码；请用 UTF-8 另存") from None
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+), column (\d+)", str(exc))
        at = f"第 {m[1]} 行第 {m[2]} 列附近" if m else ""
        raise MailSettingsError(f"配置文件 {path} {at}不是有效的 TOML（{exc}）") from None
    table = data.get("email", {})
    if not isinstance(table, dict):
        raise MailSettingsError(f"配置文件 {path} 的 email 应是一个表：[email]")
    if "password" in table:
        raise MailSettingsError(f"密码不能写在配置文件 {path} 里：请删去 password，改用环境变量 {PASSWORD_ENV}，"
                                "或在运行时按提示输入")
    unknown = [k for k in table if k not in KEYS]
    if unknown:
        raise MailSettingsError(f"配置文件 {path} 的 [email] 中“{unknown[0]}”不是有效的设置；可用的设置："
                                + "、".join(KEYS))
    return table, str(path), path.parent


def _text(value: Any, where: str, base: Path) -> str:
    if not isinstance(value, str) or not value.strip():
        raise MailSettingsError(f"{where} 应是一段文字")
    return value.strip()


def _port(value: Any, where: str, base: Path) -> int:
    try:
        port = int(str(value).strip())
    except ValueError:
        port = 0
    if isinstance(value, bool) or not 1 <= port <= 65535:
        raise MailSettingsError(f"{where}：端口“{value}”无效，请填写 1–65535 的整数（如 465、587、25）")
    return port


def _security(value: Any, where: str, base: Path) -> str:
    text = str(value).strip().lower()
    if text not in SECURITIES:
        raise MailSettingsError(f"{where}：“{value}”无效，请填写 ssl、starttls 或 none")
    return text


def _number(low: float, high: float) -> Callable[[Any, str, Path], float]:
    def convert(value: Any, where: str, base: Path) -> float:
        try:
            number = float(str(value).strip())
        except ValueError:
            number = float("nan")
        if isinstance(value, bool) or not low <= number <= high:
            raise MailSettingsError(f"{where}：“{value}”无效，请填写 {low:g}–{high:g} 之间的数")
        return number

    return convert


def _file(value: Any, where: str, base: Path) -> Path:
    path = base / Path(_text(value, where, base)).expanduser()
    if not path.is_file():
        raise MailSettingsError(f"{where}：找不到证书文件 {path}")
    return path


def _address(value: Any, where: str, base: Path) -> str:
    text = _text(value, where, base)
    if parse_address(text) is None:
        raise MailSettingsError(f"{where}：“{text}”不是有效的邮箱地址，请填写如 name@example.com")
    return text


def _addresses(value: Any, where: str, base: Path) -> tuple[str, ...]:
    items = re.split(r"[,;，；]", value) if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)):
        raise MailSettingsError(f"{where} 应是邮箱地址或地址的列表")
    return tuple(_address(v, where, base) for v in items if not isinstance(v, str) or v.strip())


_ADDR = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
                   r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")


def parse_address(text: str | None) -> Address | None:
    """``name@example.com`` or ``显示名 <name@example.com>`` as an Address; None when it is not one address.

    Only ASCII addresses: a mail server without SMTPUTF8 could not take others.
    """
    if not text or not text.strip():
        return None
    m = re.fullmatch(r"\s*(.*?)\s*<\s*([^<>]*?)\s*>\s*", text)
    name, addr = (m[1].strip().strip('"').strip(), m[2]) if m else ("", text.strip())
    if not _ADDR.fullmatch(addr) or any(c in name for c in '<>"\r\n'):
        return None
    return Address(display_name=name, addr_spec=addr)


def _loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# -------------------------------------------------------------------------------------------------- plan

def plan_messages(outdir: Path, settings: MailSettings) -> Plan:
    """One item per scored workbook in OUTDIR's manifest (in the manifest's order), with its recipients, or
    with the outcome that keeps it from being sent (not scored, file gone, no address)."""
    outdir = Path(outdir)
    if not outdir.is_dir():
        raise MailSettingsError(f"找不到输出文件夹 {outdir}；请先运行 xlsx-eval convert 输入文件 -o {outdir}")
    if not (outdir / manifest.NAME).is_file():
        raise MailSettingsError(f"{outdir} 里没有 {manifest.NAME}，不是 xlsx-eval convert 的输出文件夹；"
                                f"请先运行 xlsx-eval convert 输入文件 -o {outdir}")
    entries = manifest.load(outdir)
    if not entries:
        raise MailSettingsError(f"{outdir / manifest.NAME} 无法读取或为空；请重新运行 xlsx-eval convert 输入文件 -o {outdir}")
    owners = _owners(entries)
    items = []
    for key, entry in entries.items():
        result = entry.get("result") or {}
        output = result.get("output")
        if output and owners.get(Path(output).name, key) not in (key, None):
            continue  # an earlier run's entry whose scored copy a later run has overwritten
        items.append(_item(outdir, key, result, settings, conflict=bool(output) and owners[Path(output).name] is None))
    return Plan(outdir, items)


def _owners(entries: dict[str, dict[str, Any]]) -> dict[str, str | None]:
    """Which entry each scored file belongs to. Two runs can write the same name (x.xlsx from two folders):
    then the entry whose input is still there unchanged owns it; None when that does not decide."""
    claims: dict[str, list[str]] = {}
    for key, entry in entries.items():
        output = (entry.get("result") or {}).get("output")
        if output:
            claims.setdefault(Path(output).name, []).append(key)
    owners: dict[str, str | None] = {}
    for name, keys in claims.items():
        live = keys if len(keys) == 1 else [k for k in keys if manifest.digest(Path(k)) == entries[k].get("digest")]
        owners[name] = live[0] if len(live) == 1 else None
    return owners


def _item(outdir: Path, key: str, result: dict[str, Any], settings: MailSettings, conflict: bool) -> Item:
    source = str(result.get("file") or key)
    output = result.get("output")
    name = Path(output).name if output else Path(source).name

    def cannot(status: Status, reason: str) -> Item:
        return Item(source, name, result, outcome=Outcome(source, name, status, reason=reason))

    if not result.get("scored"):
        errors = [f["message"] for f in result.get("findings", []) if f.get("severity") == "error"]
        why = f"（{errors[0]}）" if errors else ""
        return cannot(Status.FAILED, f"未能评分{why}，没有评分结果可发送；请修改工作簿后重新运行 xlsx-eval convert")
    if not output:
        return cannot(Status.FAILED, "评分后的工作簿没有写出，无法发送；请重新运行 xlsx-eval convert")
    if conflict:
        return cannot(Status.FAILED, f"几次 convert 的不同输入都写出过 {name}，无法确定它属于哪个单位，未发送；"
                                     "请把这些工作簿重新 convert 到一个新的输出文件夹后再发送")
    scored = outdir / name  # the manifest's path may be relative to where convert ran, or the folder moved
    if not scored.is_file():
        return cannot(Status.FAILED, f"评分后的工作簿 {scored} 不存在（可能已被移动或删除）；请重新运行 xlsx-eval convert")
    report = outdir / Path(result["report"]).name if result.get("report") else None
    if settings.to:
        to = tuple(parse_address(a) for a in settings.to)
    else:
        project = result.get("project") or {}
        address = (project.get("email") or "").strip()
        if not address:
            return cannot(Status.NO_ADDRESS, "项目信息没有填写联系人邮箱，未发送；请填写后重新 convert，或用 --to 指定收件人")
        parsed = parse_address(address)
        if parsed is None:
            return cannot(Status.NO_ADDRESS, f"联系人邮箱“{address}”不是有效的邮箱地址，未发送；"
                                             "请改正后重新 convert，或用 --to 指定收件人")
        to = (Address(display_name=_one_line(project.get("contact")), addr_spec=parsed.addr_spec),)
    return Item(source, name, result, scored, report if report and report.is_file() else None, to,
                tuple(parse_address(a) for a in settings.cc))


# ------------------------------------------------------------------------------------------------ message

def subject(result: dict[str, Any], name: str) -> str:
    """【绩效自评结果】长安区委办公室·值班视频系统安装经费：99.4分（优秀）"""
    project = result.get("project") or {}
    title = "·".join(_one_line(project.get(k)) for k in ("unit", "name") if _one_line(project.get(k)))
    return f"【绩效自评结果】{title or name}：{_num(result.get('total'))}分（{result.get('grade') or '未定级'}）"


def body(result: dict[str, Any], attachments: list[str]) -> str:
    project = result.get("project") or {}
    funds = result.get("funds") or {}
    unit, name = _one_line(project.get("unit")), _one_line(project.get("name"))
    year = f"{project['year']}年度" if project.get("year") else ""
    findings = result.get("findings") or []
    count = {s: sum(f.get("severity") == s for f in findings) for s in ("error", "warning", "info")}
    counted = f"{count['error']} 个错误，{count['warning']} 个警告" + (f"，{count['info']} 条提示" if count["info"] else "")
    rate = funds.get("execution_rate")
    lines = [
        f"{_one_line(project.get('contact')) or unit or '您好'}：",
        "",
        f"{unit}“{name}”项目{year}绩效自评的评分结果如下：" if unit and name else f"{year}绩效自评的评分结果如下：",
        "",
        f"  总分：{_num(result.get('total'))}分",
        f"  等级：{result.get('grade') or '未定级'}",
        f"  预算执行率：{_num(rate)}%" if rate is not None else "  预算执行率：未能计算",
        f"  发现问题：{counted}",
    ]
    if findings:
        order = {"error": 0, "warning": 1, "info": 2}
        shown = sorted(findings, key=lambda f: order.get(f.get("severity"), 3))[:FINDINGS_IN_BODY]
        labels = {"error": "错误", "warning": "警告", "info": "提示"}
        lines += ["", f"主要问题（共 {len(findings)} 条" + (f"，列出前 {len(shown)} 条）：" if len(shown) < len(findings) else "）：")]
        for i, f in enumerate(shown, 1):
            where = "!".join(x for x in (f.get("sheet"), f.get("cell")) if x)
            lines.append(f"  {i}. [{labels.get(f.get('severity'), '')}] {where + '：' if where else ''}{f.get('message', '')}")
        lines.append("完整的问题清单见附件工作簿最前面的“评分结果”表；有问题的单元格已标出底色和批注。")
    lines += ["", "附件："]
    for a in attachments:
        what = "自评报告" if a.endswith(".docx") else "评分后的工作簿（原表全部保留，最前面加了“评分结果”表）"
        lines.append(f"  {a}：{what}")
    lines += ["", "本邮件由 xlsx-eval 自动发送。"]
    return "\n".join(lines) + "\n"


def compose(item: Item, settings: MailSettings, attachments: list[tuple[str, bytes]], message_id: str) -> EmailMessage:
    """The message for ``item``: headers, the plain-text body, and the attachments as given (name, bytes).

    Everything is 7-bit on the wire (encoded-word headers, base64 body and attachments, attachment names
    RFC 2231-encoded as Content-Disposition filename*), so any server takes it. No Content-Type name* as
    well: with it the header grows past 78 characters and the email package folds the MIME type itself
    into encoded words, which no client reads.
    """
    msg = EmailMessage()
    msg["Subject"] = subject(item.result, item.name)
    msg["From"] = parse_address(settings.sender)
    msg["To"] = item.to
    if item.cc:
        msg["Cc"] = item.cc
    msg["Date"] = _formatdate()
    msg["Message-ID"] = message_id
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies back to the bureau
    msg["X-Mailer"] = "xlsx-eval"
    msg.set_content(body(item.result, [n for n, _ in attachments]), charset="utf-8", cte="base64")
    for name, data in attachments:
        maintype, subtype = _MIME.get(Path(name).suffix.lower(), "application/octet-stream").split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg


_MIME = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xlsm": "application/vnd.ms-excel.sheet.macroEnabled.12",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def _formatdate() -> str:
    from email.utils import formatdate

    return formatdate(localtime=True)


def _message_id(settings: MailSettings) -> str:
    import uuid

    # the sender's domain (not socket.getfqdn(), which can stall on a DNS lookup); short enough for one line
    return f"<{uuid.uuid4().hex}@{parse_address(settings.sender).domain}>"


def _one_line(value: Any) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def _num(value: Any) -> str:
    return f"{value:g}" if isinstance(value, (int, float)) else "—"


# ------------------------------------------------------------------------------------------------ sending

def send_messages(plan: Plan, settings: MailSettings, progress: Callable[[Outcome], None] | None = None, *,
                  sleep: Callable[[float], None] = time.sleep) -> MailReport:
    """Send (or on a dry run write) each item of ``plan``; ``progress`` sees each outcome as it comes.

    Each (scored workbook, recipient) already in the send log is skipped unless ``settings.resend``. Every
    recipient the server accepts is in the log before the next message goes. Raises MailError when the run
    must stop; its ``report`` then lists what was done, and the items not reached as NOT_SENT.
    """
    report = MailReport([], plan.outdir / LOG_NAME, plan.outdir / OUTBOX if settings.dry_run else None)
    log = SendLog(plan.outdir)
    done = progress or (lambda outcome: None)
    if settings.dry_run:
        for item in plan.items:
            report.outcomes.append(_write_eml(item, settings, log, report.outbox))
            done(report.outcomes[-1])
        return report
    server = _Server(settings, sleep)
    accepted: list[str] = []
    try:
        with log:
            for item in plan.items:
                accepted.clear()
                report.outcomes.append(_send_one(item, settings, log, server, sleep, accepted))
                done(report.outcomes[-1])
    except MailError as exc:
        if len(report.outcomes) < len(plan.items):
            item = plan.items[len(report.outcomes)]
            got = f"已发给 {'、'.join(accepted)}；" if accepted else ""
            report.outcomes.append(Outcome(item.input, item.name, Status.FAILED if accepted else Status.NOT_SENT,
                                           tuple(accepted), f"{got}发送中止：{exc}"))
        for item in plan.items[len(report.outcomes):]:
            report.outcomes.append(Outcome(item.input, item.name, Status.NOT_SENT, reason="发送中止，未发送"))
        exc.report = report
        raise
    finally:
        server.close()
    return report


def _attachments(item: Item) -> tuple[list[tuple[str, bytes]], str, str | None]:
    """The files' bytes as they are now, and the digests of exactly those bytes (so the log records what
    went, even if convert rewrites a file meanwhile)."""
    files = [(item.name, item.scored.read_bytes())]
    if item.report:
        files.append((item.report.name, item.report.read_bytes()))
    digests = [hashlib.sha256(data).hexdigest() for _, data in files]
    return files, digests[0], digests[1] if item.report else None


def _pending(item: Item, settings: MailSettings, log: SendLog) -> tuple[Outcome | None, Any]:
    if item.outcome:
        return item.outcome, None
    try:
        files, sha, report_sha = _attachments(item)
    except OSError as exc:
        return Outcome(item.input, item.name, Status.FAILED, reason=f"无法读取附件（{exc.strerror}）"), None
    pending = [a for a in item.envelope if settings.resend or not log.sent(sha, report_sha, a)]
    if not pending:
        return Outcome(item.input, item.name, Status.ALREADY_SENT, tuple(item.envelope)), None
    return None, (files, sha, report_sha, pending)


def _write_eml(item: Item, settings: MailSettings, log: SendLog, outbox: Path) -> Outcome:
    outcome, todo = _pending(item, settings, log)
    if outcome:
        return outcome
    files, _, _, pending = todo
    msg = compose(item, settings, files, _message_id(settings))
    stem = re.sub(r"\.scored\.xls[xm]$", "", item.name, flags=re.IGNORECASE)
    eml = outbox / f"{stem}.eml"
    try:
        with atomic_path(eml) as tmp:
            tmp.write_bytes(_wire(msg))
    except OSError as exc:
        return Outcome(item.input, item.name, Status.FAILED, reason=f"无法写出 {eml}（{exc.strerror or exc}）")
    return Outcome(item.input, item.name, Status.WRITTEN, tuple(pending), eml=eml)


def _send_one(item: Item, settings: MailSettings, log: SendLog, server: _Server, sleep: Callable[[float], None],
              accepted: list[str]) -> Outcome:
    outcome, todo = _pending(item, settings, log)
    if outcome:
        return outcome
    files, sha, report_sha, remaining = todo
    message_id = _message_id(settings)
    data = _wire(compose(item, settings, files, message_id))
    sender = parse_address(settings.sender).addr_spec
    refused: dict[str, tuple[str, bool]] = {}
    deferred: dict[str, tuple[str, bool]] = {}
    for attempt in range(1, settings.retries + 1):
        if attempt > 1:
            sleep(_backoff(settings, attempt - 1))
        answer = server.transaction(sender, remaining, data)
        for rcpt in answer.accepted:
            log.record({"input": item.input, "file": item.name, "sha256": sha,
                        "report": item.report.name if item.report else None, "report_sha256": report_sha,
                        "to": rcpt, "message_id": message_id, "server": settings.server})
            accepted.append(rcpt)
        refused.update(answer.refused)
        deferred = answer.deferred
        remaining = list(deferred)
        if not remaining:
            break
    if not refused and not deferred:
        return Outcome(item.input, item.name, Status.SENT, tuple(accepted))
    why = [f"邮件服务器拒绝接收这封邮件（{text}）" if whole else f"收件人 {r} 被邮件服务器拒绝（{text}），请核对地址"
           for r, (text, whole) in refused.items()]
    why += [f"邮件服务器暂时不接收这封邮件（{text}），已试 {settings.retries} 次" if whole else
            f"发给 {r} 时邮件服务器暂时不接收（{text}），已试 {settings.retries} 次" for r, (text, whole) in deferred.items()]
    why = list(dict.fromkeys(why))  # a refusal of the whole message is said once
    got = f"已发给 {'、'.join(accepted)}；" if accepted else ""
    return Outcome(item.input, item.name, Status.FAILED, tuple(accepted),
                   f"{got}{'；'.join(why)}；重新运行只补发没有发成功的收件人")


def _wire(msg: EmailMessage) -> bytes:
    from email import policy

    return msg.as_bytes(policy=policy.SMTP)


def _backoff(settings: MailSettings, n: int) -> float:
    return settings.retry_delay * 2 ** (n - 1)


@dataclass
class _Answer:
    accepted: list[str] = field(default_factory=list)
    # recipient → (the server's words, whether they were about the whole message rather than this address)
    refused: dict[str, tuple[str, bool]] = field(default_factory=dict)  # permanent (5xx)
    deferred: dict[str, tuple[str, bool]] = field(default_factory=dict)  # transient (4xx): worth another try


class _Transient(Exception):
    """A 4xx answer while connecting (greeting, STARTTLS, login)."""


class _DroppedBefore(Exception):
    """The connection was lost before the message data went: nothing was accepted, a new connection may retry."""


class _Server:
    """One SMTP connection for the whole run: opened at the first message, opened again when the server has
    dropped it between messages. The transaction is spoken command by command (not smtplib.sendmail) to
    know whether a lost connection came before the message data (safe to retry on a new connection) or after
    (the server may or may not have taken it: the run stops, and the log says what is certain)."""

    def __init__(self, settings: MailSettings, sleep: Callable[[float], None]) -> None:
        self.s = settings
        self.sleep = sleep
        self.conn = None

    def transaction(self, sender: str, rcpts: list[str], data: bytes) -> _Answer:
        for attempt in (1, 2):
            if self.conn is None:
                self._connect()
            try:
                return self._transaction(sender, rcpts, data)
            except _DroppedBefore:
                self._drop()
                if attempt == 2:
                    raise MailError(f"与邮件服务器 {self.s.server} 的连接一再中断；已被接收的邮件都已记入发送记录，"
                                    "请稍后重新运行本命令补发其余的") from None
        raise AssertionError("unreachable")

    def _transaction(self, sender: str, rcpts: list[str], data: bytes) -> _Answer:
        c = self.conn
        try:
            code, text = c.mail(sender, [f"SIZE={len(data)}"] if c.has_extn("size") else [])
            if code != 250:
                return self._refuse_all(code, text, rcpts)
            answer = _Answer()
            for i, rcpt in enumerate(rcpts):
                code, text = c.rcpt(rcpt)
                if code in (250, 251):
                    answer.accepted.append(rcpt)
                elif code == 421:  # closing: none of this transaction can go on this connection
                    self._drop()
                    rest = answer.accepted + rcpts[i:]
                    return _Answer(refused=answer.refused,
                                   deferred={**answer.deferred, **dict.fromkeys(rest, (_words(code, text), True))})
                else:
                    (answer.deferred if 400 <= code < 500 else answer.refused)[rcpt] = (_words(code, text), False)
            if not answer.accepted:
                self._rset()
                return answer
            c.putcmd("data")
            code, text = c.getreply()
        except OSError:  # smtplib.SMTPServerDisconnected, a reset, a timeout
            raise _DroppedBefore from None
        if code != 354:
            return self._refuse_accepted(answer, code, text)
        try:  # the message is in flight: from here a lost connection leaves its fate unknown
            c.send(_dot_stuffed(data))
            code, text = c.getreply()
        except OSError as exc:
            self._drop()
            raise MailError(f"发送过程中与邮件服务器 {self.s.server} 的连接中断（{_reason(exc)}）；此前被接收的邮件都已记入"
                            "发送记录，重新运行本命令会补发其余的（中断时正在发送的这一封可能会重复）") from None
        if code == 250:
            return answer
        return self._refuse_accepted(answer, code, text)

    def _refuse_all(self, code: int, text: bytes, rcpts: list[str]) -> _Answer:
        if code == 421:
            self._drop()
        else:
            self._rset()
        words = (_words(code, text), True)
        return _Answer(deferred=dict.fromkeys(rcpts, words)) if 400 <= code < 500 else _Answer(refused=dict.fromkeys(rcpts, words))

    def _refuse_accepted(self, answer: _Answer, code: int, text: bytes) -> _Answer:
        again = self._refuse_all(code, text, answer.accepted)
        return _Answer(refused={**answer.refused, **again.refused}, deferred={**answer.deferred, **again.deferred})

    def _rset(self) -> None:
        try:
            self.conn.rset()
        except OSError:
            self._drop()

    def _connect(self) -> None:
        for attempt in range(1, self.s.retries + 1):
            try:
                self.conn = self._open()
                return
            except _Transient as exc:
                if attempt == self.s.retries:
                    raise MailError(f"邮件服务器 {self.s.server} 暂时不能接受连接（{exc}），已试 {attempt} 次；请稍后重新运行") from None
                self.sleep(_backoff(self.s, attempt))

    def _open(self):
        import smtplib
        import ssl

        s = self.s
        context = None
        conn = None
        try:
            if s.security != "none":
                context = ssl.create_default_context(cafile=str(s.ca_file) if s.ca_file else None)
            if s.security == "ssl":
                conn = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=context)
            else:
                conn = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            conn.ehlo_or_helo_if_needed()
            if s.security == "starttls":
                if not conn.has_extn("starttls"):
                    raise MailError(f"邮件服务器 {s.server} 不支持 STARTTLS 加密；请改用 --ssl（通常端口 465），或确认服务器的设置")
                conn.starttls(context=context)
                conn.ehlo()
            if s.user:
                if not conn.has_extn("auth"):
                    raise MailError(f"邮件服务器 {s.server} 不提供登录（AUTH）；如果它不需要登录，请不要指定 --smtp-user")
                conn.login(s.user, s.password or "")
            return conn
        except MailError:
            _close(conn)
            raise
        except smtplib.SMTPAuthenticationError as exc:
            _close(conn)
            if 400 <= exc.smtp_code < 500:
                raise _Transient(_words(exc.smtp_code, exc.smtp_error)) from None
            raise MailError(f"邮件服务器 {s.server} 拒绝了用户名或密码（{_words(exc.smtp_code, exc.smtp_error)}）；"
                            f"请检查 --smtp-user 和环境变量 {PASSWORD_ENV}") from None
        except smtplib.SMTPResponseException as exc:  # a refused greeting, EHLO or STARTTLS
            _close(conn)
            if 400 <= exc.smtp_code < 500:
                raise _Transient(_words(exc.smtp_code, exc.smtp_error)) from None
            raise MailError(f"邮件服务器 {s.server} 拒绝了连接（{_words(exc.smtp_code, exc.smtp_error)}）") from None
        except ssl.SSLCertVerificationError as exc:
            _close(conn)
            raise MailError(f"无法与邮件服务器 {s.server} 建立加密连接：服务器证书无法验证（{exc.verify_message}）；"
                            "如果服务器用的是单位自己的证书，请用 --ca-file 指定签发它的 CA 证书") from None
        except ssl.SSLError as exc:
            _close(conn)
            hint = "；端口 465 通常用 --ssl，587 用 --starttls，请确认端口与加密方式相符"
            raise MailError(f"无法与邮件服务器 {s.server} 建立加密连接（{exc.reason or exc}）{hint}") from None
        except smtplib.SMTPServerDisconnected as exc:
            _close(conn)
            if "timed out" not in str(exc):  # smtplib reports a read that timed out as a disconnection
                raise MailError(f"邮件服务器 {s.server} 连接后立即断开；请确认端口与加密方式（--ssl / --starttls）相符") from None
            raise MailError(f"邮件服务器 {s.server} 超时没有回应（{s.timeout:g} 秒）；请确认端口与加密方式（--ssl / --starttls）相符") from None
        except TimeoutError:
            _close(conn)
            raise MailError(f"连接邮件服务器 {s.server} 超时（{s.timeout:g} 秒没有回应）；请检查 --smtp-host、--smtp-port、"
                            "加密方式和网络") from None
        except OSError as exc:
            _close(conn)
            raise MailError(f"无法连接邮件服务器 {s.server}（{_reason(exc)}）；请检查 --smtp-host、--smtp-port 和网络") from None
        except UnicodeError:  # smtplib logs in with ASCII only; a host name beyond IDNA
            _close(conn)
            raise MailError(f"服务器名、用户名或密码中有 SMTP 无法使用的字符（如中文）：{s.server}，用户 {s.user or '（无）'}") from None

    def _drop(self) -> None:
        _close(self.conn, polite=False)
        self.conn = None

    def close(self) -> None:
        _close(self.conn)
        self.conn = None


def _close(conn, polite: bool = True) -> None:
    if conn is None:
        return
    if polite:
        try:
            conn.quit()
        except OSError:
            pass
    try:
        conn.close()
    except OSError:
        pass


def _words(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(text.split())}".strip()


def _reason(exc: OSError) -> str:
    import smtplib
    import socket

    if isinstance(exc, smtplib.SMTPServerDisconnected):  # smtplib's words for a closed socket or a read timeout
        return "超时没有回应" if "timed out" in str(exc) else "服务器关闭了连接"
    if isinstance(exc, ConnectionRefusedError):
        return "连接被拒绝，该端口没有邮件服务"
    if isinstance(exc, socket.gaierror):
        return "找不到这个主机名"
    if isinstance(exc, TimeoutError):
        return "超时没有回应"
    if isinstance(exc, ConnectionResetError):
        return "连接被对方重置"
    return exc.strerror or str(exc) or type(exc).__name__


def _dot_stuffed(data: bytes) -> bytes:
    """The DATA payload of RFC 5321 §4.5.2: CRLF line ends, a leading dot doubled, ended by CRLF.CRLF."""
    data = re.sub(rb"\r\n|\r|\n", b"\r\n", data)
    data = re.sub(rb"(?m)^\.", b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"
