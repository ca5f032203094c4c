"""E-mail each scored workbook (and its 自评报告) to its unit over SMTP, exactly once.

With settings from ``mail_settings.resolve_settings``, ``plan_messages`` reads OUTDIR/manifest.json
(written by convert) and decides, per scored workbook, whom it goes to or why it cannot go;
``send_messages`` sends them over one SMTP connection (``smtp_session``; on a dry run it writes them to
OUTDIR/outbox/) and returns a ``MailReport``. The send log (``sendlog``) makes a rerun send only what the
server has not yet accepted.

The library never prints, prompts or exits: bad settings raise ``MailSettingsError``; what stops the whole
run (server unreachable, TLS, login refused, connection lost while a message was in flight) raises
``MailError`` carrying the report so far; everything else is an outcome in the report.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from enum import Enum
from pathlib import Path
from typing import Any

from . import manifest
from .errors import MailError, MailSettingsError
from .files import atomic_path
from .findings import SEVERITY_LABELS
from .mail_settings import MailSettings, parse_address
from .sendlog import NAME as LOG_NAME
from .sendlog import SendLog
from .smtp_session import Session, backoff

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
        lines += ["", f"主要问题（共 {len(findings)} 条" + (f"，列出前 {len(shown)} 条）：" if len(shown) < len(findings) else "）：")]
        for i, f in enumerate(shown, 1):
            where = "!".join(x for x in (f.get("sheet"), f.get("cell")) if x)
            lines.append(f"  {i}. [{SEVERITY_LABELS.get(f.get('severity'), '')}] {where + '：' if where else ''}{f.get('message', '')}")
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
    server = Session(settings, sleep)
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


def _send_one(item: Item, settings: MailSettings, log: SendLog, server: Session, sleep: Callable[[float], None],
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
            sleep(backoff(settings, attempt - 1))
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
