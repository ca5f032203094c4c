"""One SMTP connection for a whole run, spoken command by command so that a lost connection is known to
have come before the message data (safe to retry) or while it was in flight (the message's fate unknown).

Every command has a deadline for its whole answer (``timeout``), and every message one for all of its commands
(``message_timeout``): the socket's own timeout bounds each read, so a server that sends one line every few
seconds would never trip it. A watchdog shuts the socket when a deadline passes, and the run stops.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..errors import MailError
from .settings import PASSWORD_ENV, MailSettings

_UNKNOWN_FATE = (
    "。中断时正在发送的这一封是否已被服务器接收无法确定，重新运行时不会自动重发；"
    "确认对方没有收到后，可加 --resend-uncertain 补发"
)


def backoff(settings: MailSettings, n: int) -> float:
    return settings.retry_delay * 2 ** (n - 1)


@dataclass
class Answer:
    accepted: list[str] = field(default_factory=list)
    # recipient → (the server's words, whether they were about the whole message rather than this address)
    refused: dict[str, tuple[str, bool]] = field(default_factory=dict)  # permanent (5xx)
    deferred: dict[str, tuple[str, bool]] = field(default_factory=dict)  # transient (4xx): worth another try


class _Transient(Exception):
    """A 4xx answer while connecting (greeting, STARTTLS, login)."""


class _DroppedBefore(Exception):
    """The connection was lost before the message data went: nothing was accepted, a new connection may retry."""


class _Watchdog:
    """Shuts a connection's socket once a deadline passes, so that a blocked read returns at once.
    ``expired`` tells whether the latest command's deadline passed (each command starts afresh)."""

    def __init__(self) -> None:
        self.expired = False

    @contextlib.contextmanager
    def limit(self, conn, seconds: float) -> Iterator[None]:
        self.expired = False
        if seconds <= 0:
            self._expire(conn)
        timer = threading.Timer(max(seconds, 0), self._expire, (conn,))
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()

    def _expire(self, conn) -> None:
        self.expired = True
        sock = getattr(conn, "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class Session:
    """One SMTP connection for the whole run: opened at the first message, opened again when the server has
    dropped it between messages. The transaction is spoken command by command (not smtplib.sendmail) to
    know whether a lost connection came before the message data (safe to retry on a new connection) or after
    (the server may or may not have taken it: the run stops, and the log says what is certain)."""

    def __init__(self, settings: MailSettings, sleep: Callable[[float], None]) -> None:
        self.s = settings
        self.sleep = sleep
        self.conn: Any = None  # an smtplib.SMTP while connected (smtplib is imported only when mail goes)
        self.watchdog = _Watchdog()
        self._message_end = float("inf")

    def _command(self, conn=None, seconds: float | None = None):
        """The deadline of one command: its own, or what is left of the message's when that is sooner."""
        left = self._message_end - time.monotonic()
        return self.watchdog.limit(conn or self.conn, min(self.s.timeout if seconds is None else seconds, left))

    def _slow(self, in_flight: bool = False) -> MailError:
        self._drop()
        return MailError(
            f"邮件服务器 {self.s.server} 回应过慢，一条命令超过 {self.s.timeout:g} 秒"
            f"（或一封邮件超过 {self.s.message_timeout:g} 秒）仍未答完，已停止；此前被接收的邮件都已记入"
            f"发送记录，请稍后重新运行本命令补发其余的{_UNKNOWN_FATE if in_flight else ''}",
            in_flight=in_flight,
        )

    def transaction(self, sender: str, rcpts: list[str], data: bytes) -> Answer:
        self._message_end = time.monotonic() + self.s.message_timeout
        try:
            return self._transaction_on_a_connection(sender, rcpts, data)
        finally:
            self._message_end = float("inf")

    def _transaction_on_a_connection(self, sender: str, rcpts: list[str], data: bytes) -> Answer:
        for attempt in (1, 2):
            if self.conn is None:
                self._connect()
            try:
                return self._transaction(sender, rcpts, data)
            except _DroppedBefore:
                if self.watchdog.expired:
                    raise self._slow() from None
                self._drop()
                if attempt == 2:
                    raise MailError(
                        f"与邮件服务器 {self.s.server} 的连接一再中断；已被接收的邮件都已记入发送记录，"
                        "请稍后重新运行本命令补发其余的"
                    ) from None
        raise AssertionError("unreachable")

    def _transaction(self, sender: str, rcpts: list[str], data: bytes) -> Answer:
        c = self.conn
        try:
            with self._command():
                code, text = c.mail(sender, [f"SIZE={len(data)}"] if c.has_extn("size") else [])
            if code != 250:
                return self._refuse_all(code, text, rcpts)
            answer = Answer()
            for i, rcpt in enumerate(rcpts):
                with self._command():
                    code, text = c.rcpt(rcpt)
                if code in (250, 251):
                    answer.accepted.append(rcpt)
                elif code == 421:  # closing: none of this transaction can go on this connection
                    self._drop()
                    rest = answer.accepted + rcpts[i:]
                    return Answer(
                        refused=answer.refused,
                        deferred={**answer.deferred, **dict.fromkeys(rest, (_words(code, text), True))},
                    )
                else:
                    (answer.deferred if 400 <= code < 500 else answer.refused)[rcpt] = (_words(code, text), False)
            if not answer.accepted:
                self._rset()
                return answer
            with self._command():
                c.putcmd("data")
                code, text = c.getreply()
        except OSError:  # smtplib.SMTPServerDisconnected, a reset, a timeout
            raise _DroppedBefore from None
        if code != 354:
            return self._refuse_accepted(answer, code, text)
        try:  # the message is in flight: from here a lost connection leaves its fate unknown
            with self._command(seconds=self.s.message_timeout):  # the upload of a large attachment may take a while
                c.send(_dot_stuffed(data))
                code, text = c.getreply()
        except OSError as exc:
            if self.watchdog.expired:
                raise self._slow(in_flight=True) from None
            self._drop()
            raise MailError(
                f"发送过程中与邮件服务器 {self.s.server} 的连接中断（{_reason(exc)}）；此前被接收的邮件都已记入"
                f"发送记录，重新运行本命令会补发其余的{_UNKNOWN_FATE}",
                in_flight=True,
            ) from None
        if code == 250:
            return answer
        return self._refuse_accepted(answer, code, text)

    def _refuse_all(self, code: int, text: bytes, rcpts: list[str]) -> Answer:
        if code == 421:
            self._drop()
        else:
            self._rset()
        words = (_words(code, text), True)
        return (
            Answer(deferred=dict.fromkeys(rcpts, words))
            if 400 <= code < 500
            else Answer(refused=dict.fromkeys(rcpts, words))
        )

    def _refuse_accepted(self, answer: Answer, code: int, text: bytes) -> Answer:
        again = self._refuse_all(code, text, answer.accepted)
        return Answer(refused={**answer.refused, **again.refused}, deferred={**answer.deferred, **again.deferred})

    def _rset(self) -> None:
        try:
            with self._command():
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
                    raise MailError(
                        f"邮件服务器 {self.s.server} 暂时不能接受连接（{exc}），已试 {attempt} 次；请稍后重新运行"
                    ) from None
                self.sleep(backoff(self.s, attempt))

    def _open(self):
        import smtplib
        import ssl

        s = self.s
        context = None
        conn = None
        try:
            if s.security != "none":
                context = ssl.create_default_context(cafile=str(s.ca_file) if s.ca_file else None)
            # Made unconnected, so that the greeting (and a TLS handshake before it) is read under a deadline too.
            conn = (
                smtplib.SMTP_SSL(timeout=s.timeout, context=context)
                if s.security == "ssl"
                else smtplib.SMTP(timeout=s.timeout)
            )
            conn._host = s.host  # what smtplib's constructor would set: the name TLS checks the certificate for
            with self._command(conn):
                code, text = conn.connect(s.host, s.port)
            if code != 220:
                raise smtplib.SMTPConnectError(code, text)
            with self._command(conn):
                conn.ehlo_or_helo_if_needed()
            if s.security == "starttls":
                if not conn.has_extn("starttls"):
                    raise MailError(
                        f"邮件服务器 {s.server} 不支持 STARTTLS 加密；请改用 --ssl（通常端口 465），或确认服务器的设置"
                    )
                with self._command(conn):
                    conn.starttls(context=context)
                with self._command(conn):
                    conn.ehlo()
            if s.user:
                if not conn.has_extn("auth"):
                    raise MailError(
                        f"邮件服务器 {s.server} 不提供登录（AUTH）；如果它不需要登录，请不要指定 --smtp-user"
                    )
                with self._command(conn):
                    conn.login(s.user, s.password or "")
            return conn
        except MailError:
            _close(conn)
            raise
        except OSError as exc:  # smtplib's and ssl's errors are OSErrors too
            _close(conn, polite=not self.watchdog.expired)
            if self.watchdog.expired:
                raise self._slow() from None
            raise self._refusal(exc) from None
        except UnicodeError:  # smtplib logs in with ASCII only; a host name beyond IDNA
            _close(conn)
            raise MailError(
                f"服务器名、用户名或密码中有 SMTP 无法使用的字符（如中文）：{s.server}，用户 {s.user or '（无）'}"
            ) from None

    def _refusal(self, exc: OSError) -> Exception:
        """What a failure to connect, secure or log in means: a _Transient to retry, or a MailError."""
        import smtplib
        import ssl

        s = self.s
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            if 400 <= exc.smtp_code < 500:
                return _Transient(_words(exc.smtp_code, exc.smtp_error))
            return MailError(
                f"邮件服务器 {s.server} 拒绝了用户名或密码（{_words(exc.smtp_code, exc.smtp_error)}）；"
                f"请检查 --smtp-user 和环境变量 {PASSWORD_ENV}"
            )
        if isinstance(exc, smtplib.SMTPResponseException):  # a refused greeting, EHLO or STARTTLS
            if 400 <= exc.smtp_code < 500:
                return _Transient(_words(exc.smtp_code, exc.smtp_error))
            return MailError(f"邮件服务器 {s.server} 拒绝了连接（{_words(exc.smtp_code, exc.smtp_error)}）")
        if isinstance(exc, ssl.SSLCertVerificationError):
            return MailError(
                f"无法与邮件服务器 {s.server} 建立加密连接：服务器证书无法验证（{exc.verify_message}）；"
                "如果服务器用的是单位自己的证书，请用 --ca-file 指定签发它的 CA 证书"
            )
        if isinstance(exc, ssl.SSLError):
            hint = "；端口 465 通常用 --ssl，587 用 --starttls，请确认端口与加密方式相符"
            return MailError(f"无法与邮件服务器 {s.server} 建立加密连接（{exc.reason or exc}）{hint}")
        if isinstance(exc, smtplib.SMTPServerDisconnected):
            if "timed out" not in str(exc):  # smtplib reports a read that timed out as a disconnection
                return MailError(
                    f"邮件服务器 {s.server} 连接后立即断开；请确认端口与加密方式（--ssl / --starttls）相符"
                )
            return MailError(
                f"邮件服务器 {s.server} 超时没有回应（{s.timeout:g} 秒）；请确认端口与加密方式（--ssl / --starttls）相符"
            )
        if isinstance(exc, TimeoutError):
            return MailError(
                f"连接邮件服务器 {s.server} 超时（{s.timeout:g} 秒没有回应）；请检查 --smtp-host、--smtp-port、"
                "加密方式和网络"
            )
        return MailError(f"无法连接邮件服务器 {s.server}（{_reason(exc)}）；请检查 --smtp-host、--smtp-port 和网络")

    def _drop(self) -> None:
        _close(self.conn, polite=False)
        self.conn = None

    def close(self) -> None:
        if self.conn is not None:
            with self._command():
                _close(self.conn, polite=not self.watchdog.expired)
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
