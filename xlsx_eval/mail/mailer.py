"""E-mail each scored workbook (and its 自评报告) to its unit over SMTP, exactly once.

With settings from ``mail_settings.resolve_settings`` and the output folder's store open (``store.Store``,
which also keeps convert out of the folder meanwhile), ``plan_messages`` decides, per input the store holds,
which recorded files go to whom, or why they cannot go; ``send_messages`` sends them over one SMTP connection
(``smtp_session``; on a dry run it writes them to OUTDIR/outbox/) and returns a ``MailReport``. Each
attachment is checked against the digest the store recorded for it before it goes, and each message is
recorded in the store before it goes and again when the server has accepted it, so that a rerun sends only
what the server has not yet accepted, and never a message whose fate is unknown.

The library never prints, prompts or exits: bad settings raise ``MailSettingsError``; what stops the whole
run (server unreachable or too slow, TLS, login refused, connection lost while a message was in flight, the
store unable to record) raises ``MailError`` carrying the report so far; everything else is an outcome in
the report.
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

from ..batch import manifest
from ..batch.sendlog import NAME as LOG_NAME
from ..batch.store import DB_NAME, Entry, Output, Store
from ..errors import MailError, MailSettingsError, StoreError
from ..files import atomic_path, fault
from ..findings import SEVERITY_LABELS, SEVERITY_RANK
from .settings import MailSettings, parse_address
from .smtp_session import Session, backoff

OUTBOX = "outbox"
FINDINGS_IN_BODY = 5


class Status(str, Enum):
    SENT = "sent"  # the server accepted it for every recipient
    ALREADY_SENT = "already_sent"  # the store says every recipient already has these exact files
    NO_ADDRESS = "no_address"  # no usable 联系人邮箱 and no --to
    FAILED = "failed"  # not sent (or not to everyone): see reason
    WRITTEN = "written"  # dry run: written to OUTDIR/outbox/
    NOT_SENT = "not_sent"  # the run stopped before (or while) sending it
    UNCERTAIN = "uncertain"  # an earlier run began sending it and never learnt the end: not sent again


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
    log: Path  # sent.jsonl, the store's export of what was sent
    outbox: Path | None = None  # set on a dry run
    problems: list[str] = field(default_factory=list)  # exports that could not be written, in Chinese

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
    scored: Output | None = None  # None: the workbook could not be scored, and only its findings go
    report: Output | None = None
    entry_id: int | None = None
    input_digest: str = ""  # what a findings-only message is recorded by (there is no scored copy)
    to: tuple[Address, ...] = ()
    cc: tuple[Address, ...] = ()
    outcome: Outcome | None = None
    others: list[dict[str, Any]] = field(default_factory=list)  # the results of the workbook's further forms
    more_reports: tuple[Output, ...] = ()  # their reports (report-2, report-3 … in the store)

    @property
    def envelope(self) -> list[str]:
        """Every recipient's address, each once."""
        seen: dict[str, str] = {}
        for a in (*self.to, *self.cc):
            seen.setdefault(a.addr_spec.lower(), a.addr_spec)
        return list(seen.values())


@dataclass
class Plan:
    store: Store
    items: list[Item]

    @property
    def outdir(self) -> Path:
        return self.store.outdir


# -------------------------------------------------------------------------------------------------- plan


def open_folder(outdir: Path | str) -> Store:
    """The store of convert's output folder, locked for sending (so that no convert rewrites a file meanwhile).
    MailSettingsError when it is not such a folder; StoreError when it is in use or cannot record."""
    outdir = Path(outdir)
    if not outdir.is_dir():
        raise MailSettingsError(f"找不到输出文件夹 {outdir}；请先运行 xlsx-eval convert 输入文件 -o {outdir}")
    if not (outdir / DB_NAME).is_file() and not (outdir / manifest.NAME).is_file():
        raise MailSettingsError(
            f"{outdir} 里没有 xlsx-eval 的记录（{DB_NAME}），不是 xlsx-eval convert 的输出文件夹；"
            f"请先运行 xlsx-eval convert 输入文件 -o {outdir}"
        )
    return Store.open(outdir, "email")


def plan_messages(store: Store, settings: MailSettings) -> Plan:
    """One item per input the store holds (in the order it first saw them), with the recorded files and their
    recipients, or with the outcome that keeps them from being sent (not scored, files gone, no address)."""
    entries = store.entries()
    if not entries:
        raise MailSettingsError(
            f"{store.outdir} 里还没有评分结果；请先运行 xlsx-eval convert 输入文件 -o {store.outdir}"
        )
    return Plan(store, [_item(store, e, settings) for e in entries])


def _item(store: Store, entry: Entry, settings: MailSettings) -> Item:
    result = entry.result or {}
    source = str(result.get("file") or entry.path)
    scored, report = entry.outputs.get("scored"), entry.outputs.get("report")
    name = scored.name if scored else Path(source).name

    def cannot(status: Status, reason: str) -> Item:
        return Item(source, name, result, outcome=Outcome(source, name, status, reason=reason))

    if entry.transient:
        return cannot(
            Status.FAILED, "上次 convert 没能处理完这个文件，没有评分结果可发送；请重新运行 xlsx-eval convert"
        )
    scored_any = any(r.get("scored") for r in entry.results)  # one form scored: the copy goes, with every form's word
    if not scored_any and not _address_of(result):
        errors = [f["message"] for f in result.get("findings", []) if f.get("severity") == "error"]
        why = f"（{errors[0]}）" if errors else ""
        return cannot(Status.FAILED, f"未能评分{why}，也读不到联系人邮箱，无法把问题告知单位；请直接联系该单位")
    if not scored_any:  # the unit that most needs word back: its findings, without attachments
        scored = report = None
    elif scored is None:
        return cannot(Status.FAILED, "评分后的工作簿没有写出，无法发送；请重新运行 xlsx-eval convert")
    elif not (store.outdir / scored.name).is_file():
        return cannot(
            Status.FAILED,
            f"评分后的工作簿 {store.outdir / scored.name} 不存在（可能已被移动或删除）；请重新运行 xlsx-eval convert",
        )
    if settings.to:
        to = tuple(_valid(a) for a in settings.to)
    else:
        project = result.get("project") or {}
        address = (project.get("email") or "").strip()
        if not address:
            where = "自评表上没有联系人邮箱" if result.get("layout") == "national" else "项目信息没有填写联系人邮箱"
            return cannot(Status.NO_ADDRESS, f"{where}，未发送；请填写后重新 convert，或用 --to 指定收件人")
        parsed = parse_address(address)
        if parsed is None:
            return cannot(
                Status.NO_ADDRESS,
                f"联系人邮箱“{address}”不是有效的邮箱地址，未发送；请改正后重新 convert，或用 --to 指定收件人",
            )
        to = (Address(display_name=_one_line(project.get("contact")), addr_spec=parsed.addr_spec),)
    reports = entry.reports if report is not None else []  # every form's, the first one's first
    missing = next((r for r in reports if not (store.outdir / r.name).is_file()), None)
    if missing is not None:
        return cannot(
            Status.FAILED,
            f"自评报告 {store.outdir / missing.name} 不存在（可能已被移动或删除），未发送；"
            "请重新运行 xlsx-eval convert --report",
        )
    return Item(
        source,
        name,
        result,
        scored,
        report,
        entry.id,
        entry.digest or "",
        to,
        tuple(_valid(a) for a in settings.cc),
        others=entry.results[1:],
        more_reports=tuple(reports[1:]),
    )


def _valid(text: str) -> Address:
    """An address the settings already checked (resolve_settings refuses one that is not)."""
    address = parse_address(text)
    assert address is not None
    return address


def _address_of(result: dict[str, Any]) -> Address | None:
    return parse_address(((result.get("project") or {}).get("email") or "").strip())


# ------------------------------------------------------------------------------------------------ message


def subject(result: dict[str, Any], name: str, others: list[dict[str, Any]] | None = None) -> str:
    """【绩效自评结果】长安区委办公室·值班视频系统安装经费：99.4分（优秀）, or …：未能评分，请修改后重新提交; for a
    workbook of several forms, 【绩效自评结果】长安区委办公室：2张自评表（甲项目 99.4分（优秀）；乙项目 未能评分）"""
    if others:
        forms = [result, *others]
        unit = _one_line((result.get("project") or {}).get("unit")) or name
        each = "；".join(_form_verdict(r) for r in forms)
        return f"【绩效自评结果】{unit}：{len(forms)}张自评表（{each}）"
    project = result.get("project") or {}
    title = "·".join(_one_line(project.get(k)) for k in ("unit", "name") if _one_line(project.get(k)))
    if not result.get("scored"):
        return f"【绩效自评结果】{title or name}：未能评分，请修改后重新提交"
    return f"【绩效自评结果】{title or name}：{_num(result.get('total'))}分（{result.get('grade') or '未定级'}）"


def _form_verdict(result: dict[str, Any]) -> str:
    name = _one_line((result.get("project") or {}).get("name")) or result.get("sheet") or ""
    if not result.get("scored"):
        return f"{name} 未能评分"
    return f"{name} {_num(result.get('total'))}分（{result.get('grade') or '未定级'}）"


def body(result: dict[str, Any], attachments: list[str], others: list[dict[str, Any]] | None = None) -> str:
    """The message text: the result (its total, grade, rate, counts and first findings), or for a workbook of
    several forms one part per form; then the attachments, when the workbook was scored."""
    forms = [result, *(others or [])]
    project = result.get("project") or {}
    lines = [f"{_one_line(project.get('contact')) or _one_line(project.get('unit')) or '您好'}：", ""]
    if len(forms) == 1:
        lines += _result_lines(result)
    else:
        lines.append(f"提交的工作簿中有 {len(forms)} 张项目支出绩效自评表，逐张评分结果如下。")
        for i, r in enumerate(forms, 1):
            lines += ["", f"{_chinese_number(i)}、工作表“{r.get('sheet') or ''}”", *_result_lines(r)]
    if any(r.get("scored") for r in forms):
        lines += ["", "附件："]
        lines += [f"  {a}：{_attachment_words(a)}" for a in attachments]
    lines += ["", "本邮件由 xlsx-eval 自动发送。"]
    return "\n".join(lines) + "\n"


_DIGITS = "〇一二三四五六七八九"


def _chinese_number(n: int) -> str:
    """一 … 十, 十一 … 九十九, as a document numbers its parts; beyond that the figure."""
    if not 0 < n < 100:
        return str(n)
    tens, units = divmod(n, 10)
    return ("" if tens < 2 else _DIGITS[tens]) + ("十" if tens else "") + (_DIGITS[units] if units else "")


def _attachment_words(name: str) -> str:
    return "自评报告" if name.endswith(".docx") else "评分后的工作簿（原表全部保留，最前面加了“评分结果”表）"


def _result_lines(result: dict[str, Any]) -> list[str]:
    """One form's part of the message: what to fix when it could not be scored, else its figures and findings."""
    project = result.get("project") or {}
    funds = result.get("funds") or {}
    unit, name = _one_line(project.get("unit")), _one_line(project.get("name"))
    year = f"{project['year']}年度" if project.get("year") else ""
    findings = result.get("findings") or []
    count = {s: sum(f.get("severity") == s for f in findings) for s in ("error", "warning", "info")}
    counted = f"{count['error']} 个错误，{count['warning']} 个警告" + (
        f"，{count['info']} 条提示" if count["info"] else ""
    )
    rate = funds.get("execution_rate")
    which = f"{unit}“{name}”项目{year}绩效自评" if unit and name else f"{year}绩效自评"
    if not result.get("scored"):
        errors = [f for f in findings if f.get("severity") == "error"]
        lines = [f"{which}的工作簿缺少评分所需的内容，未能评分。请按下列说明修改后重新提交：", ""]
        for i, f in enumerate(errors, 1):
            where = "!".join(x for x in (f.get("sheet"), f.get("cell")) if x)
            lines.append(f"  {i}. {where + '：' if where else ''}{f.get('message', '')}")
        return lines
    lines = [
        f"{which}的评分结果如下：",
        "",
        f"  总分：{_num(result.get('total'))}分",
        f"  等级：{result.get('grade') or '未定级'}",
        f"  预算执行率：{_num(rate)}%" if rate is not None else "  预算执行率：未能计算",
        f"  发现问题：{counted}",
    ]
    if findings:
        shown = sorted(findings, key=lambda f: SEVERITY_RANK.get(f.get("severity"), 3))[:FINDINGS_IN_BODY]
        lines += [
            "",
            f"主要问题（共 {len(findings)} 条"
            + (f"，列出前 {len(shown)} 条）：" if len(shown) < len(findings) else "）："),
        ]
        for i, f in enumerate(shown, 1):
            where = "!".join(x for x in (f.get("sheet"), f.get("cell")) if x)
            lines.append(
                f"  {i}. [{SEVERITY_LABELS.get(f.get('severity'), '')}] {where + '：' if where else ''}{f.get('message', '')}"
            )
        lines.append("完整的问题清单见附件工作簿最前面的“评分结果”表；有问题的单元格已标出底色和批注。")
    return lines


def compose(item: Item, settings: MailSettings, attachments: list[tuple[str, bytes]], message_id: str) -> EmailMessage:
    """The message for ``item``: headers, the plain-text body, and the attachments as given (name, bytes).

    Everything is 7-bit on the wire (encoded-word headers, base64 body and attachments, attachment names
    RFC 2231-encoded as Content-Disposition filename*), so any server takes it. No Content-Type name* as
    well: with it the header grows past 78 characters and the email package folds the MIME type itself
    into encoded words, which no client reads.
    """
    msg = EmailMessage()
    msg["Subject"] = subject(item.result, item.name, item.others)
    msg["From"] = _valid(settings.sender)
    msg["To"] = item.to
    if item.cc:
        msg["Cc"] = item.cc
    msg["Date"] = _formatdate()
    msg["Message-ID"] = message_id
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies back to the bureau
    msg["X-Mailer"] = "xlsx-eval"
    msg.set_content(body(item.result, [n for n, _ in attachments], item.others), charset="utf-8", cte="base64")
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
    return f"<{uuid.uuid4().hex}@{_valid(settings.sender).domain}>"


def _one_line(value: Any) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def _num(value: Any) -> str:
    return f"{value:g}" if isinstance(value, (int, float)) else "—"


# ------------------------------------------------------------------------------------------------ sending


def send_messages(
    plan: Plan,
    settings: MailSettings,
    progress: Callable[[Outcome], None] | None = None,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> MailReport:
    """Send (or on a dry run write) each item of ``plan``; ``progress`` sees each outcome as it comes.

    Each (scored workbook, recipient) the store has as sent is skipped unless ``settings.resend``, and so is
    one whose earlier send never learnt its end (UNCERTAIN). Each send is recorded before the message goes and
    settled when the server answers, before the next message goes. Raises MailError when the run must stop;
    its ``report`` then lists what was done, and the items not reached as NOT_SENT. The exports (sent.jsonl)
    are rewritten at the end, whatever happened.
    """
    store = plan.store
    report = MailReport([], plan.outdir / LOG_NAME, plan.outdir / OUTBOX if settings.dry_run else None)
    done = progress or (lambda outcome: None)
    if settings.dry_run:
        for item in plan.items:
            report.outcomes.append(_write_eml(item, settings, store, plan.outdir / OUTBOX))
            done(report.outcomes[-1])
        return report
    server = Session(settings, sleep)
    accepted: list[str] = []
    try:
        store.ensure_writable()
        for item in plan.items:
            accepted.clear()
            report.outcomes.append(_send_one(item, settings, store, server, sleep, accepted))
            done(report.outcomes[-1])
    except (MailError, StoreError) as exc:
        stop = exc if isinstance(exc, MailError) else MailError(f"无法写入发送记录，已停止发送：{exc}")
        if len(report.outcomes) < len(plan.items):
            item = plan.items[len(report.outcomes)]
            got = f"已发给 {'、'.join(accepted)}；" if accepted else ""
            report.outcomes.append(
                Outcome(
                    item.input,
                    item.name,
                    Status.FAILED if accepted else Status.NOT_SENT,
                    tuple(accepted),
                    f"{got}发送中止：{stop}",
                )
            )
        for item in plan.items[len(report.outcomes) :]:
            report.outcomes.append(Outcome(item.input, item.name, Status.NOT_SENT, reason="发送中止，未发送"))
        stop.report = report
        raise stop from None
    finally:
        server.close()
        try:  # sent.jsonl follows the store; a failure here loses nothing the store holds
            report.problems = store.export()
        except StoreError as exc:
            report.problems = [str(exc)]
    return report


def _attachments(store: Store, item: Item) -> tuple[list[tuple[str, bytes]], str, str | None] | str:
    """The recorded files' bytes, read now and checked against the digests the store recorded when convert
    wrote them; or, when a file is gone or differs, why it cannot go (Chinese)."""
    if item.scored is None:  # findings only: recorded by the input's digest, so a resubmission goes again
        return [], f"findings:{item.input_digest}", None
    files = []
    for output in (item.scored, item.report, *item.more_reports):
        if output is None:
            continue
        try:
            data = (store.outdir / output.name).read_bytes()
        except OSError as exc:
            return f"无法读取附件 {output.name}（{exc.strerror or exc}）"
        if hashlib.sha256(data).hexdigest() != output.sha256:
            return (
                f"附件 {output.name} 与 convert 写出时的记录不符（之后被改动或替换过），未发送；"
                "请重新运行 xlsx-eval convert 后再发送"
            )
        files.append((output.name, data))
    return files, item.scored.sha256, item.report.sha256 if item.report else None


def _pending(item: Item, settings: MailSettings, store: Store) -> tuple[Outcome | None, Any]:
    if item.outcome:
        return item.outcome, None
    got = _attachments(store, item)
    if isinstance(got, str):
        return Outcome(item.input, item.name, Status.FAILED, reason=got), None
    files, sha, report_sha = got
    states = {a: None if settings.resend else store.send_state(sha, report_sha, a) for a in item.envelope}
    pending = [a for a, state in states.items() if state is None or (state == "sending" and settings.resend_uncertain)]
    if not pending:
        unsure = [a for a, state in states.items() if state == "sending"]
        if unsure:
            return Outcome(
                item.input,
                item.name,
                Status.UNCERTAIN,
                tuple(unsure),
                reason=(
                    f"上次发给 {'、'.join(unsure)} 时中断，无法确定对方是否已收到，为免重复未再发送；"
                    "请向对方确认，确需再发时加 --resend-uncertain"
                ),
            ), None
        return Outcome(item.input, item.name, Status.ALREADY_SENT, tuple(item.envelope)), None
    return None, (files, sha, report_sha, pending)


def _write_eml(item: Item, settings: MailSettings, store: Store, outbox: Path) -> Outcome:
    outcome, todo = _pending(item, settings, store)
    if outcome:
        return outcome
    files, _, _, pending = todo
    msg = compose(item, settings, files, _message_id(settings))
    stem = re.sub(r"(\.scored)?\.(xls[xm]?|ods)$", "", item.name, flags=re.IGNORECASE)
    eml = outbox / f"{stem}.eml"
    try:
        with atomic_path(eml) as tmp:
            tmp.write_bytes(_wire(msg))
    except OSError as exc:
        return Outcome(
            item.input, item.name, Status.FAILED, reason=fault(exc, eml) or f"无法写出 {eml}（{exc.strerror or exc}）"
        )
    return Outcome(item.input, item.name, Status.WRITTEN, tuple(pending), eml=eml)


def _send_one(
    item: Item,
    settings: MailSettings,
    store: Store,
    server: Session,
    sleep: Callable[[float], None],
    accepted: list[str],
) -> Outcome:
    outcome, todo = _pending(item, settings, store)
    if outcome:
        return outcome
    files, sha, report_sha, remaining = todo
    message_id = _message_id(settings)
    data = _wire(compose(item, settings, files, message_id))
    sender = _valid(settings.sender).addr_spec
    record = {
        "input": item.input,
        "file": item.name,
        "sha256": sha,
        "report": item.report.name if item.report else None,
        "report_sha256": report_sha,
        "message_id": message_id,
        "server": settings.server,
    }
    refused: dict[str, tuple[str, bool]] = {}
    deferred: dict[str, tuple[str, bool]] = {}
    for attempt in range(1, settings.retries + 1):
        if attempt > 1:
            sleep(backoff(settings, attempt - 1))
        intents = store.begin_send(item.entry_id, record, remaining)
        try:
            answer = server.transaction(sender, remaining, data)
        except MailError as exc:
            if not exc.in_flight:  # stopped before the data went: the server took nothing, a rerun sends it
                store.settle(intents, ())
            raise  # after the data: the rows stay 'sending', and a rerun does not guess (as when the process dies)
        try:
            store.settle(intents, answer.accepted)
        except StoreError as exc:
            raise MailError(
                f"邮件已被服务器接收（{'、'.join(answer.accepted)}），但无法记入发送记录：{exc}；"
                "为免重复，重新运行时不会再发这一封（确需再发时加 --resend-uncertain）"
            ) from None
        accepted.extend(answer.accepted)
        refused.update(answer.refused)
        deferred = answer.deferred
        remaining = list(deferred)
        if not remaining:
            break
    if not refused and not deferred:
        return Outcome(item.input, item.name, Status.SENT, tuple(accepted))
    why = [
        f"邮件服务器拒绝接收这封邮件（{text}）" if whole else f"收件人 {r} 被邮件服务器拒绝（{text}），请核对地址"
        for r, (text, whole) in refused.items()
    ]
    why += [
        f"邮件服务器暂时不接收这封邮件（{text}），已试 {settings.retries} 次"
        if whole
        else f"发给 {r} 时邮件服务器暂时不接收（{text}），已试 {settings.retries} 次"
        for r, (text, whole) in deferred.items()
    ]
    why = list(dict.fromkeys(why))  # a refusal of the whole message is said once
    got = f"已发给 {'、'.join(accepted)}；" if accepted else ""
    return Outcome(
        item.input,
        item.name,
        Status.FAILED,
        tuple(accepted),
        f"{got}{'；'.join(why)}；重新运行只补发没有发成功的收件人",
    )


def _wire(msg: EmailMessage) -> bytes:
    from email import policy

    return msg.as_bytes(policy=policy.SMTP)
