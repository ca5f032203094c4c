"""The e-mail settings: flags, then XLSX_EVAL_SMTP_* in the environment, then the [email] table of
xlsx-eval.toml, then defaults; the password only from XLSX_EVAL_SMTP_PASSWORD (or the caller's prompt)."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.headerregistry import Address
from pathlib import Path
from typing import Any

from ..errors import MailSettingsError
from ..score.toml_errors import explain

CONFIG_NAME = "xlsx-eval.toml"  # its [email] table; looked for in the current folder unless --config names one
ENV_PREFIX = "XLSX_EVAL_SMTP_"
PASSWORD_ENV = "XLSX_EVAL_SMTP_PASSWORD"
SECURITIES = ("ssl", "starttls", "none")
#: The From of a dry run's .eml files when no sender is set (the .invalid domain can never receive mail).
DRY_RUN_SENDER = "未设置发件人 <sender-not-set@xlsx-eval.invalid>"
DEFAULT_PORTS = {"ssl": 465, "starttls": 587, "none": 25}

#: Settings that flags, XLSX_EVAL_SMTP_<KEY> and the [email] table of the config file may give.
KEYS = (
    "host",
    "port",
    "user",
    "from",
    "security",
    "ca_file",
    "to",
    "cc",
    "timeout",
    "message_timeout",
    "retries",
    "retry_delay",
)
_FLAGS = {
    "host": "--smtp-host",
    "port": "--smtp-port",
    "user": "--smtp-user",
    "from": "--from",
    "security": "--ssl/--starttls",
    "ca_file": "--ca-file",
    "to": "--to",
    "cc": "--cc",
}


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
    timeout: float = 30.0  # seconds for each SMTP command's whole answer (however slowly its lines come)
    message_timeout: float = 120.0  # seconds for one message, from MAIL FROM to the server's last answer
    retries: int = 3  # tries for a transient (4xx) answer, the first included
    retry_delay: float = 2.0  # seconds before the second try, doubled before each further one
    dry_run: bool = False
    resend: bool = False
    resend_uncertain: bool = False  # send again what an earlier run began sending and never learnt the end of

    @property
    def server(self) -> str:
        return f"{self.host}:{self.port}"


def resolve_settings(
    flags: Mapping[str, Any],
    environ: Mapping[str, str] | None = None,
    config: Path | None = None,
    *,
    cwd: Path | None = None,
) -> MailSettings:
    """Settings from ``flags`` (keys of ``KEYS`` plus ``dry_run``/``resend``/``resend_uncertain``; None = not
    given), else the environment (XLSX_EVAL_SMTP_HOST, _PORT, …; lists comma-separated), else the [email] table
    of ``config`` (or of xlsx-eval.toml in ``cwd`` when there is one), else the defaults. The password comes only from
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
        elif flags.get("dry_run"):  # nothing is sent: the .eml files show a stand-in to be replaced
            sender = DRY_RUN_SENDER
        else:
            raise MailSettingsError(
                "没有发件人地址：请用 --from、环境变量 XLSX_EVAL_SMTP_FROM 或 "
                f"{CONFIG_NAME} 的 [email] from 指定，如 jxpj@czj.example.gov.cn"
            )
    if user and security == "none" and not _loopback(host):
        raise MailSettingsError(
            f"不能在未加密的连接上把密码发给 {host}：请加 --starttls（端口 587）或 --ssl（端口 465）"
        )
    return MailSettings(
        sender=sender,
        host=host,
        port=port or DEFAULT_PORTS[security],
        security=security,
        user=user,
        password=environ.get(PASSWORD_ENV) or None,
        to=to,
        cc=cc,
        ca_file=get("ca_file", _file),
        timeout=get("timeout", _number(0.1, 600), 30.0),
        message_timeout=get("message_timeout", _number(1, 3600), 120.0),
        retries=int(get("retries", _number(1, 10), 3)),
        retry_delay=get("retry_delay", _number(0, 600), 2.0),
        dry_run=bool(flags.get("dry_run")),
        resend=bool(flags.get("resend")),
        resend_uncertain=bool(flags.get("resend_uncertain")),
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
        raise MailSettingsError(f"配置文件 {path} 不是有效的 TOML 文件，{explain(str(exc))}") from None
    table = data.get("email", {})
    if not isinstance(table, dict):
        raise MailSettingsError(f"配置文件 {path} 的 email 应是一个表：[email]")
    if "password" in table:
        raise MailSettingsError(
            f"密码不能写在配置文件 {path} 里：请删去 password，改用环境变量 {PASSWORD_ENV}，或在运行时按提示输入"
        )
    unknown = [k for k in table if k not in KEYS]
    if unknown:
        raise MailSettingsError(
            f"配置文件 {path} 的 [email] 中“{unknown[0]}”不是有效的设置；可用的设置：" + "、".join(KEYS)
        )
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


_ADDR = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)


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
