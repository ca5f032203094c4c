"""Every request through one gate (a plain ASGI middleware): the security headers on every answer; the Host
checked when the server is bound to the loopback (so that a web page elsewhere cannot reach it by DNS
rebinding); the access token when there is one; a form posted from another site refused; a body over the
batch limit stopped before it is read."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .uploads import UploadLimits, mb

TOKEN_COOKIE = "xlsx_eval_token"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
SECURITY_HEADERS = {
    # no inline script or style anywhere: the pages load /static/*.js and *.css only
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",  # not no-referrer: under it a browser posts forms with Origin: null
    "cross-origin-opener-policy": "same-origin",
}


class BodyTooLarge(Exception):
    """The request's body ran past the limit while it was read."""


class Guard:
    def __init__(
        self,
        app: ASGIApp,
        page: Callable[[int, str, str], Response],
        token: str | None,
        hosts: tuple[str, ...] | None,
        limits: UploadLimits,
    ) -> None:
        self.app, self.page, self.token, self.hosts, self.limits = app, page, token, hosts, limits
        # a body carries its files and, besides, each part's headers and the boundaries
        self.max_body = limits.batch_bytes + 64 * 1024 + 1024 * limits.files

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        refusal = self._refusal(scope)
        if refusal is not None:
            await refusal(scope, receive, send_secured)
            return
        read = 0

        async def counted() -> Message:
            nonlocal read
            message = await receive()
            if message["type"] == "http.request":
                read += len(message.get("body", b""))
                if read > self.max_body:
                    raise BodyTooLarge
            return message

        await self.app(scope, counted, send_secured)

    def _refusal(self, scope: Scope) -> Response | None:
        headers = Headers(scope=scope)
        host = headers.get("host", "")
        name = host.rsplit(":", 1)[0] if not host.startswith("[") else host[1:].split("]", 1)[0]
        if self.hosts is not None and name not in self.hosts:
            return self.page(400, "访问地址不对", f"这个服务只接受从本机访问（如 http://127.0.0.1），不接受“{host}”。")
        if self.token is not None:
            query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
            if "token" in query:
                if not secrets.compare_digest(query["token"], self.token):
                    return self._no_token("访问令牌不对")
                rest = urlencode({k: v for k, v in query.items() if k != "token"})
                response = RedirectResponse(scope["path"] + (f"?{rest}" if rest else ""), status_code=303)
                response.set_cookie(TOKEN_COOKIE, self.token, httponly=True, samesite="strict")
                return response
            given = _cookie(headers, TOKEN_COOKIE) or headers.get("authorization", "").removeprefix("Bearer ")
            if not secrets.compare_digest(given.encode(), self.token.encode()):
                return self._no_token("需要访问令牌")
        if scope["method"] == "POST":
            origin = headers.get("origin")
            if origin is not None and origin.split("://", 1)[-1] != host:
                return self.page(403, "不接受来自其他网站的提交", "请在本服务的页面上选择文件并提交。")
            length = headers.get("content-length")
            if length is not None and length.isdigit() and int(length) > self.max_body:
                return self.page(
                    413,
                    "上传的内容过大",
                    f"一次上传的文件合计 {mb(int(length))} MB，超过 {mb(self.limits.batch_bytes)} MB 的上限；请分几次上传。",
                )
        return None

    def _no_token(self, title: str) -> Response:
        return self.page(
            401,
            title,
            "请使用启动服务时显示的完整网址打开本页（网址末尾带有 ?token=…），或向管理员索取访问令牌。",
        )


def _cookie(headers: Headers, name: str) -> str:
    for part in headers.get("cookie", "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return ""
