"""xlsx-eval email: each scored workbook to its unit, exactly once, against a real SMTP server on 127.0.0.1.

The server is aiosmtpd, started by a fixture on a free loopback port; its handler keeps what it accepted and
can be told to refuse a recipient (550), answer 451 a number of times, drop the connection while a message is
in flight, or close it after a message. Nothing here talks to anything but 127.0.0.1.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import ssl
import sys
from email import policy
from email.parser import BytesParser
from pathlib import Path
from types import SimpleNamespace

import pytest
import trustme
from aiosmtpd.smtp import AuthResult, LoginPassword
from conftest import write_workbook
from smtp_server import free_port
from typer.testing import CliRunner

from xlsx_eval.batch.inputs import expand_inputs
from xlsx_eval.batch.intake import convert_batch
from xlsx_eval.batch.store import DB_NAME, Store
from xlsx_eval.cli import app
from xlsx_eval.errors import MailError, MailSettingsError
from xlsx_eval.files import digest
from xlsx_eval.mail.mailer import Status, open_folder, plan_messages, send_messages
from xlsx_eval.mail.settings import MailSettings, resolve_settings
from xlsx_eval.report.word import ReportOptions

runner = CliRunner()
FROM = "jxpj@czj.example.gov.cn"
EXAMPLE = Path(__file__).resolve().parent.parent / "workbook_templates" / "example.xlsx"
# the four units of the converted folder: scored file → 联系人邮箱
UNITS = {
    "长安区委办.scored.xlsx": "changan-qwb@example.com",  # the shipped example
    "桥西区财政局.scored.xlsx": "qiaoxi@example.com",  # 全年执行数 30.88: one EXECUTED_MISMATCH error
    "新华区教育局.scored.xlsx": "xinhua@example.com",
    "裕华区民政局.scored.xlsx": "yuhua@example.com",
}


# ------------------------------------------------------------------------------------------------ fixtures


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """No XLSX_EVAL_* settings and no xlsx-eval.toml from the machine running the tests."""
    import os

    for name in list(os.environ):
        if name.startswith("XLSX_EVAL_"):
            monkeypatch.delenv(name)
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)


@pytest.fixture(scope="session")
def converted(tmp_path_factory) -> Path:
    """One real `convert --report` of four workbooks, done once; tests get a copy (``outdir``)."""
    base = tmp_path_factory.mktemp("converted")
    inbox = base / "inbox"
    inbox.mkdir()
    shutil.copy(EXAMPLE, inbox / "长安区委办.xlsx")
    write_workbook(
        inbox / "桥西区财政局.xlsx",
        info={"单位名称": "桥西区财政局", "联系人": "李明", "联系人邮箱": "qiaoxi@example.com", "全年执行数": 30.88},
    )
    write_workbook(
        inbox / "新华区教育局.xlsx",
        info={"单位名称": "新华区教育局", "项目名称": "校园安防改造", "联系人邮箱": "xinhua@example.com"},
    )
    write_workbook(
        inbox / "裕华区民政局.xlsx",
        info={"单位名称": "裕华区民政局", "项目名称": "养老服务补贴", "联系人邮箱": "yuhua@example.com"},
    )
    convert_batch(expand_inputs([str(inbox)]), base / "out", report=ReportOptions())
    return base / "out"


@pytest.fixture
def outdir(converted, tmp_path) -> Path:
    """A copy of the converted folder (in another place: the manifest's paths point at the original)."""
    return Path(shutil.copytree(converted, tmp_path / "out"))


@pytest.fixture(scope="session")
def ca():
    return trustme.CA()


@pytest.fixture
def tls(ca, tmp_path):
    """A server context with a certificate for 127.0.0.1 from a test CA, and the CA's file for the client."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return SimpleNamespace(context=context, ca_file=ca_file)


def authenticator(server, session, envelope, mechanism, auth_data):
    good = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"jxpj", b"s3cret")
    return AuthResult(success=good, handled=False)  # handled=False: aiosmtpd answers 535 itself


def settings(port: int, **changes) -> MailSettings:
    return MailSettings(sender=FROM, host="127.0.0.1", port=port, timeout=5, retry_delay=0.01, **changes)


def send(outdir: Path, config: MailSettings, sleeps: list | None = None):
    with open_folder(outdir) as store:
        return send_messages(
            plan_messages(store, config), config, sleep=(sleeps.append if sleeps is not None else lambda s: None)
        )


def log_lines(outdir: Path) -> list[dict]:
    path = outdir / "sent.jsonl"
    if not path.exists():
        return []
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            lines.append(None)  # a torn line
    return lines


def cli(*args, env: dict | None = None):
    base = {"XLSX_EVAL_SMTP_RETRY_DELAY": "0.01", "XLSX_EVAL_SMTP_TIMEOUT": "5"}
    return runner.invoke(app, ["email", *map(str, args)], env={**base, **(env or {})})


def attachments(message) -> dict[str, bytes]:
    return {part.get_filename(): part.get_content() for part in message.iter_attachments()}


# ------------------------------------------------------------------------------------------- what arrives


def test_each_unit_gets_its_own_workbook_and_report(outdir, server):
    report = send(outdir, settings(server.port))

    assert [o.status for o in report.outcomes] == [Status.SENT] * 4
    received = server.handler.by_recipient()
    assert sorted(received) == sorted(UNITS.values())
    for name, address in UNITS.items():
        [m] = received[address]
        assert m.rcpts == [address] and m.sender == FROM
        report_name = name.replace(".scored.xlsx", ".report.docx")
        assert attachments(m.message) == {
            name: (outdir / name).read_bytes(),
            report_name: (outdir / report_name).read_bytes(),
        }


def test_the_message_of_the_shipped_example(outdir, server):
    send(outdir, settings(server.port))
    [m] = server.handler.by_recipient()["changan-qwb@example.com"]
    msg = m.message

    assert msg["Subject"] == "【绩效自评结果】长安区委办公室·值班视频系统安装经费：99.4分（优秀）"
    assert msg["From"] == FROM and msg["To"] == "changan-qwb@example.com" and msg["Cc"] is None
    assert msg["Date"] and msg["Message-ID"].endswith("@czj.example.gov.cn>")
    text = msg.get_body(preferencelist=("plain",)).get_content()
    assert "长安区委办公室“值班视频系统安装经费”项目2020年度绩效自评的评分结果如下" in text
    for line in (
        "总分：99.4分",
        "等级：优秀",
        "预算执行率：94%",
        "发现问题：0 个错误，2 个警告，3 条提示",
        "长安区委办.scored.xlsx：评分后的工作簿",
        "长安区委办.report.docx：自评报告",
    ):
        assert line in text
    # the review's findings of the seed (test_review.py), the first of them in full
    assert "主要问题（共 5 条）" in text
    assert "1. [警告] 项目信息!B21：指标得分率 100%，预算执行得分率 94%" in text
    # Chinese names travel RFC 2231-encoded and come back intact
    assert b"filename*=utf-8''%E9%95%BF%E5%AE%89%E5%8C%BA%E5%A7%94%E5%8A%9E.scored.xlsx" in m.raw
    [workbook, docx] = msg.iter_attachments()
    assert workbook.get_filename() == "长安区委办.scored.xlsx" and docx.get_filename() == "长安区委办.report.docx"
    assert workbook.get_content_type() == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert docx.get_content_type() == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert max(len(line) for line in m.raw.splitlines()) <= 998 and m.raw.isascii()  # 7-bit on the wire


def test_findings_in_the_body_and_the_contact_as_display_name(outdir, server):
    send(outdir, settings(server.port))
    [m] = server.handler.by_recipient()["qiaoxi@example.com"]

    assert m.message["Subject"] == "【绩效自评结果】桥西区财政局·值班视频系统安装经费：98.8分（优秀）"
    assert m.message["To"] == "李明 <qiaoxi@example.com>"
    text = m.message.get_body(preferencelist=("plain",)).get_content()
    assert text.startswith("李明：")
    assert "发现问题：1 个错误，1 个警告，3 条提示" in text  # and the review's (test_review.py)
    assert (
        "  1. [错误] 项目信息!B10：全年执行数为30.88万元，但支出明细金额合计为32.88万元，相差2.00万元；"
        "请核对支出明细，或将全年执行数改为32.88"
    ) in text


def test_to_and_cc_replace_and_add_recipients(outdir, server):
    config = settings(server.port, to=("汇总 <bureau@example.gov.cn>",), cc=("archive@example.gov.cn",))
    report = send(outdir, config)

    assert report.ok
    assert len(server.handler.messages) == 4
    for m in server.handler.messages:
        assert m.rcpts == ["bureau@example.gov.cn", "archive@example.gov.cn"]
        assert m.message["To"] == "汇总 <bureau@example.gov.cn>" and m.message["Cc"] == "archive@example.gov.cn"
    assert len(log_lines(outdir)) == 8  # one line per accepted recipient


# ------------------------------------------------------------------------------------------- exactly once


def test_the_log_records_what_the_server_accepted(outdir, server):
    send(outdir, settings(server.port))
    lines = log_lines(outdir)

    assert {line["to"]: line["file"] for line in lines} == {v: k for k, v in UNITS.items()}
    for line in lines:
        assert line["sha256"] == digest(outdir / line["file"])
        assert line["report_sha256"] == digest(outdir / line["report"])
        assert line["server"] == f"127.0.0.1:{server.port}"
    ids = {m.rcpts[0]: m.message["Message-ID"].strip() for m in server.handler.messages}
    assert {line["to"]: line["message_id"] for line in lines} == ids


def test_a_rerun_sends_nothing_new(outdir, server):
    first = cli(outdir, "--from", FROM, "--smtp-host", "127.0.0.1", "--smtp-port", server.port)
    assert first.exit_code == 0, first.output
    assert "✔ 长安区委办.scored.xlsx → changan-qwb@example.com" in first.output
    assert first.output.strip().endswith(
        f"完成：共 4 个评分结果，发送 4 个，此前已发送 0 个，没有邮箱 0 个，失败 0 个；"
        f"发送记录：{outdir / 'sent.jsonl'}"
    )

    again = cli(outdir, "--from", FROM, "--smtp-host", "127.0.0.1", "--smtp-port", server.port)
    assert again.exit_code == 0
    assert (
        "· 长安区委办.scored.xlsx：已发送过给 changan-qwb@example.com，跳过（要再发一次请加 --resend）" in again.output
    )
    assert "发送 0 个，此前已发送 4 个" in again.output
    assert len(server.handler.messages) == 4 and len(log_lines(outdir)) == 4


def test_a_reconverted_input_goes_again_and_resend_sends_all(tmp_path, server):
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    for unit, address in (("甲局", "jia@example.com"), ("乙局", "yi@example.com")):
        write_workbook(inbox / f"{unit}.xlsx", info={"单位名称": unit, "联系人邮箱": address})
    convert_batch(expand_inputs([str(inbox)]), out)
    send(out, settings(server.port))
    write_workbook(inbox / "乙局.xlsx", info={"单位名称": "乙局", "联系人邮箱": "yi@example.com", "全年执行数": 35})
    convert_batch(expand_inputs([str(inbox)]), out, changed_only=True)  # a resubmission: a new scored copy

    report = send(out, settings(server.port))
    assert [o.recipients for o in report.outcomes if o.status is Status.SENT] == [("yi@example.com",)]
    assert report.count(Status.ALREADY_SENT) == 1

    report = send(out, settings(server.port, resend=True))
    assert report.count(Status.SENT) == 2
    assert len(server.handler.messages) == 2 + 1 + 2


def test_a_scored_copy_changed_after_convert_is_not_sent(outdir, server):
    (outdir / "新华区教育局.scored.xlsx").write_bytes((outdir / "新华区教育局.scored.xlsx").read_bytes() + b"\0")
    report = send(outdir, settings(server.port))

    [failed] = [o for o in report.outcomes if o.status is Status.FAILED]
    assert failed.reason == (
        "附件 新华区教育局.scored.xlsx 与 convert 写出时的记录不符（之后被改动或替换过），未发送；"
        "请重新运行 xlsx-eval convert 后再发送"
    )
    assert "xinhua@example.com" not in server.handler.by_recipient() and report.count(Status.SENT) == 3


def test_a_refused_recipient_fails_alone_and_the_rerun_sends_only_it(outdir, server):
    server.handler.refuse = {"qiaoxi@example.com"}
    result = cli(outdir, "--from", FROM, "--smtp-host", "127.0.0.1", "--smtp-port", server.port)

    assert result.exit_code == 1
    assert (
        "✘ 桥西区财政局.scored.xlsx：收件人 qiaoxi@example.com 被邮件服务器拒绝（550 5.1.1 No such user here），"
        "请核对地址；重新运行只补发没有发成功的收件人"
    ) in result.output
    assert "发送 3 个，此前已发送 0 个，没有邮箱 0 个，失败 1 个" in result.output
    assert sorted(line["to"] for line in log_lines(outdir)) == sorted(set(UNITS.values()) - {"qiaoxi@example.com"})

    server.handler.refuse = set()
    server.handler.messages.clear()
    report = send(outdir, settings(server.port))
    assert [m.rcpts for m in server.handler.messages] == [["qiaoxi@example.com"]]
    assert report.ok and report.count(Status.ALREADY_SENT) == 3


def test_one_refused_copy_recipient_does_not_resend_to_the_others(outdir, server):
    server.handler.refuse = {"archive@example.gov.cn"}
    report = send(outdir, settings(server.port, cc=("archive@example.gov.cn",)))

    assert report.count(Status.FAILED) == 4
    assert all(o.recipients and "已发给" in o.reason for o in report.outcomes)
    server.handler.refuse = set()
    server.handler.messages.clear()
    send(outdir, settings(server.port, cc=("archive@example.gov.cn",)))
    assert [m.rcpts for m in server.handler.messages] == [["archive@example.gov.cn"]] * 4
    assert all(
        m.message["To"] in m.message["To"] and m.message["Cc"] == "archive@example.gov.cn"
        for m in server.handler.messages
    )


def test_a_connection_dropped_mid_message_stops_and_the_rerun_does_not_guess(outdir, server):
    server.handler.drop_in_data = 3  # the first two are accepted; the third is lost in flight
    result = cli(outdir, "--from", FROM, "--smtp-host", "127.0.0.1", "--smtp-port", server.port)

    assert result.exit_code == 1
    assert f"✘ 发送过程中与邮件服务器 127.0.0.1:{server.port} 的连接中断" in result.output
    assert (
        "中断时正在发送的这一封是否已被服务器接收无法确定，重新运行时不会自动重发；"
        "确认对方没有收到后，可加 --resend-uncertain 补发"
    ) in result.output
    assert (
        "已中止：共 4 个评分结果，发送 2 个，此前已发送 0 个，没有邮箱 0 个，失败 0 个，未发送 2 个（重新运行会补发）"
        in result.output
    )
    first = [m.rcpts[0] for m in server.handler.messages]
    lines = log_lines(outdir)
    assert len(first) == 2 and sorted(line["to"] for line in lines if "state" not in line) == sorted(first)
    [unsure] = [line["to"] for line in lines if line.get("state") == "sending"]  # the one in flight

    server.handler.drop_in_data = None
    server.handler.messages.clear()
    report = send(outdir, settings(server.port))
    assert sorted(m.rcpts[0] for m in server.handler.messages) == sorted(set(UNITS.values()) - set(first) - {unsure})
    assert (report.count(Status.SENT), report.count(Status.ALREADY_SENT), report.count(Status.UNCERTAIN)) == (1, 2, 1)
    [uncertain] = [o for o in report.outcomes if o.status is Status.UNCERTAIN]
    assert uncertain.reason == (
        f"上次发给 {unsure} 时中断，无法确定对方是否已收到，为免重复未再发送；"
        "请向对方确认，确需再发时加 --resend-uncertain"
    )

    report = send(outdir, settings(server.port, resend_uncertain=True))  # the bureau checked: it never arrived
    assert [m.rcpts[0] for m in server.handler.messages[1:]] == [unsure]
    assert report.count(Status.SENT) == 1 and report.count(Status.ALREADY_SENT) == 3 and report.ok


def test_the_library_raises_with_the_report_so_far(outdir, server):
    server.handler.drop_in_data = 2
    with pytest.raises(MailError, match="连接中断") as caught:
        send(outdir, settings(server.port))
    assert [o.status for o in caught.value.report.outcomes] == [
        Status.SENT,
        Status.NOT_SENT,
        Status.NOT_SENT,
        Status.NOT_SENT,
    ]
    lines = log_lines(outdir)  # the one accepted, and the one in flight when the connection went (fate unknown)
    assert [line.get("state") for line in lines] == [None, "sending"]


def test_a_connection_closed_between_messages_is_opened_again(outdir, server):
    server.handler.close_after = 2
    report = send(outdir, settings(server.port))

    assert report.ok and report.count(Status.SENT) == 4
    assert len(server.handler.messages) == 4 and len(server.handler.peers) == 2  # one reconnection


@pytest.mark.parametrize("stage", ["mail", "rcpt", "data"])
def test_a_transient_answer_is_retried_with_backoff(outdir, server, stage):
    server.handler.busy = {stage: 2}
    sleeps = []
    report = send(outdir, settings(server.port), sleeps)

    assert report.ok and len(server.handler.messages) == 4
    assert sleeps == [0.01, 0.02]  # base delay, then doubled
    assert len(log_lines(outdir)) == 4


def test_a_transient_answer_that_persists_fails_after_the_last_try(outdir, server):
    server.handler.busy = {"rcpt": 3}
    sleeps = []
    report = send(outdir, settings(server.port), sleeps)

    failed = [o for o in report.outcomes if o.status is Status.FAILED]
    assert len(failed) == 1 and "邮件服务器暂时不接收（451 4.3.0 Try again later），已试 3 次" in failed[0].reason
    assert report.count(Status.SENT) == 3 and sleeps == [0.01, 0.02]


def test_a_refused_message_is_not_blamed_on_the_address(outdir, server):
    server.handler.reject_data = "552 5.3.4 Message too big"
    report = send(outdir, settings(server.port))

    assert report.count(Status.FAILED) == 4 and log_lines(outdir) == []
    reason = report.outcomes[0].reason
    assert reason.startswith("邮件服务器拒绝接收这封邮件（552 5.3.4 Message too big）") and "核对地址" not in reason


def test_two_runs_on_one_folder_cannot_both_send(outdir, server):
    import os

    with Store.open(outdir, "email"):
        result = cli(outdir, "--from", FROM, "--smtp-host", "127.0.0.1", "--smtp-port", server.port)
    assert result.exit_code == 2
    assert f"另一个 xlsx-eval email（进程 {os.getpid()}，" in result.output
    assert f"正在使用输出文件夹 {outdir}；请等它结束后再运行，或用 -o 换一个输出文件夹" in result.output
    assert server.handler.messages == []


def test_quiet_lists_only_what_did_not_go(outdir, server):
    server.handler.refuse = {"yuhua@example.com"}
    result = cli(outdir, "-q", "--from", FROM, "--smtp-host", "127.0.0.1", "--smtp-port", server.port)

    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith(
        "✘ 裕华区民政局.scored.xlsx：收件人 yuhua@example.com 被邮件服务器拒绝"
    )
    assert lines[1].startswith("完成：共 4 个评分结果，发送 3 个")


# ----------------------------------------------------------------------------------------- TLS and login


def test_starttls_and_login(outdir, start_server, tls):
    server = start_server(tls_context=tls.context, require_starttls=True, authenticator=authenticator)
    result = cli(
        outdir,
        "--from",
        FROM,
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        server.port,
        "--starttls",
        "--ca-file",
        tls.ca_file,
        "--smtp-user",
        "jxpj",
        env={"XLSX_EVAL_SMTP_PASSWORD": "s3cret"},
    )

    assert result.exit_code == 0, result.output
    assert len(server.handler.messages) == 4


def test_the_password_is_asked_for_on_a_terminal(outdir, start_server, tls, monkeypatch):
    import xlsx_eval.cli as cli_module

    class Terminal:  # what the CLI sees as stdin; the answer itself comes from the runner's input
        def isatty(self) -> bool:
            return True

    class Sys:
        stdin = Terminal()

        def __getattr__(self, name):
            return getattr(sys, name)

    monkeypatch.setattr(cli_module, "sys", Sys())
    server = start_server(tls_context=tls.context, require_starttls=True, authenticator=authenticator)
    result = runner.invoke(
        app,
        [
            "email",
            str(outdir),
            "--from",
            FROM,
            "--smtp-host",
            "127.0.0.1",
            "--smtp-port",
            str(server.port),
            "--starttls",
            "--ca-file",
            str(tls.ca_file),
            "--smtp-user",
            "jxpj",
        ],
        input="s3cret\n",
    )

    assert result.exit_code == 0, result.output
    assert f"jxpj 在 127.0.0.1:{server.port} 的密码" in result.output and "s3cret" not in result.output
    assert len(server.handler.messages) == 4


def test_implicit_tls(outdir, start_server, tls):
    server = start_server(ssl_context=tls.context)
    report = send(outdir, settings(server.port, security="ssl", ca_file=tls.ca_file))
    assert report.ok and len(server.handler.messages) == 4


def test_a_refused_password_stops_with_an_empty_log(outdir, start_server, tls):
    server = start_server(tls_context=tls.context, require_starttls=True, authenticator=authenticator)
    result = cli(
        outdir,
        "--from",
        FROM,
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        server.port,
        "--starttls",
        "--ca-file",
        tls.ca_file,
        "--smtp-user",
        "jxpj",
        env={"XLSX_EVAL_SMTP_PASSWORD": "wrong"},
    )

    assert result.exit_code == 1
    assert (
        f"✘ 邮件服务器 127.0.0.1:{server.port} 拒绝了用户名或密码（535 5.7.8 Authentication credentials invalid）"
        in result.output
    )
    assert "已中止：共 4 个评分结果，发送 0 个" in result.output
    assert log_lines(outdir) == [] and server.handler.messages == []


def test_an_untrusted_certificate_is_a_tls_failure(outdir, start_server, tls):
    server = start_server(tls_context=tls.context, require_starttls=True)
    with pytest.raises(MailError, match="服务器证书无法验证.*--ca-file"):
        send(outdir, settings(server.port, security="starttls"))
    assert log_lines(outdir) == []


def test_starttls_not_offered(outdir, server):
    with pytest.raises(MailError, match="不支持 STARTTLS"):
        send(outdir, settings(server.port, security="starttls"))


def test_an_unreachable_server(outdir):
    port = free_port()  # nothing listens there
    result = cli(outdir, "--from", FROM, "--smtp-host", "127.0.0.1", "--smtp-port", port)

    assert result.exit_code == 1
    assert (
        f"✘ 无法连接邮件服务器 127.0.0.1:{port}（连接被拒绝，该端口没有邮件服务）；请检查 --smtp-host、--smtp-port 和网络"
        in result.output
    )
    assert "Traceback" not in result.output and log_lines(outdir) == []


def test_a_password_is_needed_and_never_a_flag(outdir, server):
    result = cli(outdir, "--from", FROM, "--smtp-host", "127.0.0.1", "--smtp-port", server.port, "--smtp-user", "jxpj")
    assert result.exit_code == 2
    assert "需要 jxpj 的邮箱密码：请设置环境变量 XLSX_EVAL_SMTP_PASSWORD" in result.output
    assert "--password" not in cli("--help").output and "--smtp-password" not in cli("--help").output


# ------------------------------------------------------------------------------------------------ dry run


def test_dry_run_writes_eml_files_that_parse_back(outdir):
    result = cli(outdir, "--dry-run", "--from", f"绩效科 <{FROM}>")

    assert result.exit_code == 0, result.output
    eml = outdir / "outbox" / "长安区委办.eml"
    assert f"✔ 长安区委办.scored.xlsx → changan-qwb@example.com：已写出 {eml}（未发送）" in result.output
    assert f"试运行：共 4 个评分结果，写出 4 封邮件到 {outdir / 'outbox'}（没有发送）" in result.output
    assert sorted(p.name for p in (outdir / "outbox").iterdir()) == sorted(
        n.replace(".scored.xlsx", ".eml") for n in UNITS
    )
    msg = BytesParser(policy=policy.default).parsebytes(eml.read_bytes())
    assert msg["Subject"] == "【绩效自评结果】长安区委办公室·值班视频系统安装经费：99.4分（优秀）"
    assert msg["From"] == f"绩效科 <{FROM}>" and msg["To"] == "changan-qwb@example.com"
    assert attachments(msg)["长安区委办.scored.xlsx"] == (outdir / "长安区委办.scored.xlsx").read_bytes()
    assert not (outdir / "sent.jsonl").exists()


def test_dry_run_leaves_out_what_was_sent(outdir, server):
    server.handler.refuse = {"yuhua@example.com"}
    send(outdir, settings(server.port))
    report = send(outdir, settings(server.port, dry_run=True))
    assert [o.name for o in report.outcomes if o.status is Status.WRITTEN] == ["裕华区民政局.scored.xlsx"]
    assert len(log_lines(outdir)) == 3


# ------------------------------------------------------------------------------------ what cannot be sent


def test_a_workbook_without_an_address_is_reported_not_guessed(tmp_path, server):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_workbook(inbox / "无邮箱.xlsx", info={"联系人邮箱": None})
    write_workbook(inbox / "有邮箱.xlsx", info={"单位名称": "桥东区审计局"})
    write_workbook(inbox / "错邮箱.xlsx", info={"单位名称": "桥东区统计局", "联系人邮箱": "tongji at example.com"})
    convert_batch(expand_inputs([str(inbox)]), tmp_path / "out")
    result = cli(tmp_path / "out", "--from", FROM, "--smtp-host", "127.0.0.1", "--smtp-port", server.port)

    assert result.exit_code == 1
    assert (
        "✘ 无邮箱.scored.xlsx：项目信息没有填写联系人邮箱，未发送；请填写后重新 convert，或用 --to 指定收件人"
        in result.output
    )
    assert "✘ 错邮箱.scored.xlsx：联系人邮箱“tongji at example.com”不是有效的邮箱地址，未发送" in result.output
    assert "发送 1 个，此前已发送 0 个，没有邮箱 2 个，失败 0 个" in result.output
    assert [m.rcpts for m in server.handler.messages] == [["office@example.com"]]
    assert list(attachments(server.handler.messages[0].message)) == ["有邮箱.scored.xlsx"]  # no report: none attached

    with_to = cli(
        tmp_path / "out",
        "--from",
        FROM,
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        server.port,
        "--to",
        "bureau@example.gov.cn",
    )
    assert with_to.exit_code == 0
    assert [m.rcpts for m in server.handler.messages[1:]] == [["bureau@example.gov.cn"]] * 3


def test_unscored_and_missing_workbooks_are_reported_not_sent(tmp_path, outdir, server):
    bad = tmp_path / "坏文件.xlsx"
    bad.write_bytes(b"not a workbook")
    convert_batch(expand_inputs([str(bad)]), outdir)  # adds an unreadable entry to the manifest
    (outdir / "新华区教育局.scored.xlsx").unlink()
    report = send(outdir, settings(server.port))

    reasons = {o.name: o.reason for o in report.outcomes if o.status is Status.FAILED}
    assert reasons["坏文件.xlsx"].startswith("未能评分（") and reasons["坏文件.xlsx"].endswith(
        "也读不到联系人邮箱，无法把问题告知单位；请直接联系该单位"
    )
    assert reasons["新华区教育局.scored.xlsx"].startswith(
        f"评分后的工作簿 {outdir / '新华区教育局.scored.xlsx'} 不存在"
    )
    assert report.count(Status.SENT) == 3 and not report.ok


def test_a_folder_of_the_earlier_version_is_taken_over_and_a_contested_copy_goes_to_no_one(outdir, server):
    # An earlier version's folder (manifest.json, no store) in which two entries claim one scored copy, as after
    # a resubmission of a same-named file converted alone: nothing tells whose bytes the copy holds.
    (outdir / DB_NAME).unlink()
    data = json.loads((outdir / "manifest.json").read_text(encoding="utf-8"))
    key, entry = next((k, e) for k, e in data["entries"].items() if "长安区委办" in k)
    other = json.loads(json.dumps(entry))
    other["result"]["project"]["email"] = "other-unit@example.com"
    data["entries"] = {"/archived/长安区委办.xlsx": other, **data["entries"]}
    (outdir / "manifest.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    report = send(outdir, settings(server.port))
    assert report.count(Status.SENT) == 3 and sorted(server.handler.by_recipient()) == sorted(
        set(UNITS.values()) - {"changan-qwb@example.com"}
    )
    lost = [o for o in report.outcomes if o.status is Status.FAILED]
    assert [o.reason for o in lost] == ["评分后的工作簿没有写出，无法发送；请重新运行 xlsx-eval convert"] * 2

    convert_batch(expand_inputs([key]), outdir, report=ReportOptions())  # scored again, under a name of its own
    report = send(outdir, settings(server.port))
    [sent] = [o for o in report.outcomes if o.status is Status.SENT]
    # the contested 长安区委办.scored.xlsx is no one's; -2 went to the archived entry (first in the manifest)
    assert sent.recipients == ("changan-qwb@example.com",) and sent.name == "长安区委办-3.scored.xlsx"
    assert "other-unit@example.com" not in server.handler.by_recipient()


def test_an_earlier_versions_unreadable_result_is_tried_again(tmp_path, example):
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    shutil.copy(example, inbox / "x.xlsx")
    convert_batch(expand_inputs([str(inbox)]), out)
    data = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    [entry] = data["entries"].values()  # as an earlier version kept a worker's time-out, for good
    entry["result"].update(
        scored=False,
        total=None,
        grade=None,
        output=None,
        findings=[
            {
                "severity": "error",
                "code": "UNREADABLE_FILE",
                "sheet": "",
                "cell": "",
                "message": "处理超过 300 秒仍未完成",
            }
        ],
    )
    (out / "manifest.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    (out / DB_NAME).unlink()

    again = convert_batch(expand_inputs([str(inbox)]), out, changed_only=True)
    assert again.reused == 0 and again.results[0]["total"] == 99.4


def test_a_recorded_report_that_is_gone_is_not_left_off_silently(outdir, server):
    (outdir / "新华区教育局.report.docx").unlink()
    report = send(outdir, settings(server.port))
    [failed] = [o for o in report.outcomes if o.status is Status.FAILED]
    assert failed.reason == (
        f"自评报告 {outdir / '新华区教育局.report.docx'} 不存在（可能已被移动或删除），未发送；"
        "请重新运行 xlsx-eval convert --report"
    )
    assert "xinhua@example.com" not in server.handler.by_recipient()


def test_no_manifest_or_no_folder_is_a_usage_error(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = cli(empty, "--from", FROM)
    assert result.exit_code == 2
    assert (
        f"{empty} 里没有 xlsx-eval 的记录（xlsx-eval.db），不是 xlsx-eval convert 的输出文件夹；"
        f"请先运行 xlsx-eval convert 输入文件 -o {empty}"
    ) in result.output
    missing = cli(tmp_path / "nowhere", "--from", FROM)
    assert missing.exit_code == 2 and "找不到输出文件夹" in missing.output


# ------------------------------------------------------------------------------------------------ settings


def test_flags_over_environment_over_config_over_defaults(tmp_path):
    config = tmp_path / "xlsx-eval.toml"
    config.write_text(
        '[email]\nhost = "smtp.config.example"\nport = 2525\nfrom = "config@example.gov.cn"\n'
        'cc = ["archive@example.gov.cn"]\nsecurity = "starttls"\n',
        encoding="utf-8",
    )
    env = {"XLSX_EVAL_SMTP_HOST": "smtp.env.example", "XLSX_EVAL_SMTP_PASSWORD": "pw"}

    s = resolve_settings({"from": "flag@example.gov.cn"}, env, cwd=tmp_path)
    assert (s.host, s.port, s.sender, s.cc, s.security, s.password) == (
        "smtp.env.example",
        2525,
        "flag@example.gov.cn",
        ("archive@example.gov.cn",),
        "starttls",
        "pw",
    )
    assert "pw" not in repr(s)

    defaults = resolve_settings({"from": FROM}, {}, cwd=tmp_path / "cwd")
    assert (defaults.host, defaults.port, defaults.security, defaults.retries) == ("localhost", 25, "none", 3)
    assert resolve_settings({"from": FROM, "security": "ssl"}, {}, cwd=tmp_path / "cwd").port == 465
    assert resolve_settings({"from": FROM, "port": 587}, {}, cwd=tmp_path / "cwd").security == "starttls"
    assert (
        resolve_settings({"user": "me@example.gov.cn", "security": "ssl"}, {}, cwd=tmp_path / "cwd").sender
        == "me@example.gov.cn"
    )


@pytest.mark.parametrize(
    ("flags", "env", "toml", "message"),
    [
        (
            {},
            {},
            "",
            "没有发件人地址：请用 --from、环境变量 XLSX_EVAL_SMTP_FROM 或 xlsx-eval.toml 的 [email] from 指定",
        ),
        ({"from": "jxpj at example"}, {}, "", "--from：“jxpj at example”不是有效的邮箱地址，请填写如 name@example.com"),
        (
            {"from": FROM, "to": ["a@example.com,b@example.com"]},
            {},
            "",
            "--to：“a@example.com,b@example.com”不是有效的邮箱地址",
        ),
        ({"from": FROM}, {"XLSX_EVAL_SMTP_PORT": "abc"}, "", "环境变量 XLSX_EVAL_SMTP_PORT：端口“abc”无效"),
        ({"from": FROM}, {}, '[email]\npassword = "x"\n', "密码不能写在配置文件"),
        ({"from": FROM}, {}, '[email]\nhots = "x"\n', "的 [email] 中“hots”不是有效的设置"),
        ({"from": FROM}, {}, "[email]\nhost = \n", "不是有效的 TOML 文件，第 2 行第 8 列：这里的值无法识别"),
        (
            {"from": FROM},
            {},
            '[email]\nsecurity = "tls"\n',
            "的 [email] security：“tls”无效，请填写 ssl、starttls 或 none",
        ),
        (
            {"from": FROM, "user": "jxpj", "host": "smtp.example.gov.cn"},
            {},
            "",
            "不能在未加密的连接上把密码发给 smtp.example.gov.cn：请加 --starttls（端口 587）或 --ssl（端口 465）",
        ),
        ({"from": FROM, "ca_file": "nothing.pem"}, {}, "", "--ca-file：找不到证书文件"),
    ],
)
def test_bad_settings_say_which_and_where(tmp_path, flags, env, toml, message):
    if toml:
        (tmp_path / "xlsx-eval.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(MailSettingsError) as caught:
        resolve_settings(flags, env, cwd=tmp_path)
    assert message in str(caught.value)


def test_cli_settings_errors_are_usage_errors(outdir, tmp_path):
    both = cli(outdir, "--from", FROM, "--ssl", "--starttls")
    assert both.exit_code == 2 and "--ssl 和 --starttls 只能选一个" in both.output
    bad = cli(outdir, "--from", FROM, "--cc", "not-an-address")
    assert bad.exit_code == 2 and "--cc：“not-an-address”不是有效的邮箱地址" in bad.output
    config = tmp_path / "mail.toml"
    config.write_text(f'[email]\nfrom = "{FROM}"\n', encoding="utf-8")
    dry = cli(outdir, "--dry-run", "--config", config)
    assert dry.exit_code == 0, dry.output
    gone = cli(outdir, "--dry-run", "--config", tmp_path / "nothing.toml")
    assert gone.exit_code == 2 and "找不到配置文件" in gone.output


def test_an_earlier_versions_send_log_is_taken_over_and_a_torn_line_passed_over(outdir, server):
    send(outdir, settings(server.port))
    path = outdir / "sent.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:3]) + lines[3][:20])  # the earlier version crashed mid-line
    (outdir / DB_NAME).unlink()  # and kept no store

    report = send(outdir, settings(server.port))
    assert report.count(Status.SENT) == 1 and report.count(Status.ALREADY_SENT) == 3
    after = log_lines(outdir)  # rewritten from the store: whole lines only
    assert after[:3] == [json.loads(line) for line in lines[:3]]
    assert len(after) == 4 and after[3]["to"] == json.loads(lines[3])["to"]


def test_settings_are_a_frozen_dataclass():
    s = settings(25)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.host = "elsewhere"  # type: ignore[misc]


def test_a_password_smtplib_cannot_send_is_a_clear_message(outdir, start_server, tls):
    server = start_server(tls_context=tls.context, require_starttls=True, authenticator=authenticator)
    config = settings(server.port, security="starttls", ca_file=tls.ca_file, user="jxpj", password="密码")
    with pytest.raises(MailError, match="有 SMTP 无法使用的字符"):
        send(outdir, config)
    assert log_lines(outdir) == []


def test_a_unit_whose_workbook_could_not_be_scored_is_told_why(tmp_path, server):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_workbook(
        inbox / "缺表.xlsx",
        info={"单位名称": "桥东区审计局", "联系人邮箱": "qiaodong@example.com"},
        omit_sheets=("绩效指标",),
    )
    convert_batch(expand_inputs([str(inbox)]), tmp_path / "out")
    report = send(tmp_path / "out", settings(server.port))

    assert [o.status for o in report.outcomes] == [Status.SENT]
    [m] = server.handler.messages
    assert m.rcpts == ["qiaodong@example.com"] and list(m.message.iter_attachments()) == []
    assert m.message["Subject"] == "【绩效自评结果】桥东区审计局·值班视频系统安装经费：未能评分，请修改后重新提交"
    text = m.message.get_body(preferencelist=("plain",)).get_content()
    assert (
        "  1. 绩效指标：工作簿中没有“绩效指标”工作表，请按标准模板添加该表（可用 xlsx-eval template 生成模板）" in text
    )
    again = send(tmp_path / "out", settings(server.port))  # told once: the same workbook is not mailed twice
    assert [o.status for o in again.outcomes] == [Status.ALREADY_SENT] and len(server.handler.messages) == 1


def test_a_dry_run_needs_no_sender(outdir):
    result = cli(outdir, "--dry-run")
    assert result.exit_code == 0, result.output
    msg = BytesParser(policy=policy.default).parsebytes((outdir / "outbox" / "长安区委办.eml").read_bytes())
    assert msg["From"] == "未设置发件人 <sender-not-set@xlsx-eval.invalid>"
