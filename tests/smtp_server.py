"""A real SMTP server on 127.0.0.1 for the e-mail tests: aiosmtpd with a handler that keeps what it accepted
and misbehaves on request (refuse a recipient, answer 451, drop the connection while a message is in flight,
close it after a message). Nothing here talks to anything but 127.0.0.1."""

from __future__ import annotations

import socket
from email import policy
from email.parser import BytesParser
from types import SimpleNamespace


class Recorder:
    """An aiosmtpd handler that keeps each accepted message and misbehaves on request."""

    def __init__(self) -> None:
        self.messages: list[SimpleNamespace] = []
        self.refuse: set[str] = set()  # recipients answered 550
        self.busy: dict[str, int] = {}  # stage ("mail", "rcpt", "data") → how many 451 answers to give
        self.drop_in_data: int | None = None  # the n-th message's data is read, then the connection dropped
        self.reject_data: str | None = None  # the answer to every message's data, instead of 250
        self.close_after: int | None = None  # each connection closed right after its n-th accepted message
        self.peers: set = set()
        self.data_seen = 0

    def _busy(self, stage: str) -> bool:
        if self.busy.get(stage, 0) > 0:
            self.busy[stage] -= 1
            return True
        return False

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        self.peers.add(session.peer)
        if self._busy("mail"):
            return "451 4.3.0 Try again later"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        if self._busy("rcpt"):
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.data_seen += 1
        if self.drop_in_data == self.data_seen:
            server.transport.close()  # the client never hears whether it was taken
            return "250 OK"
        if self._busy("data"):
            return "451 4.3.0 Try again later"
        if self.reject_data:
            return self.reject_data
        self.messages.append(
            SimpleNamespace(
                sender=envelope.mail_from,
                rcpts=list(envelope.rcpt_tos),
                message=BytesParser(policy=policy.default).parsebytes(envelope.content),
                raw=envelope.content,
            )
        )
        session.accepted = getattr(session, "accepted", 0) + 1
        if self.close_after and session.accepted == self.close_after:
            await server.push("250 OK")
            server.transport.close()
        return "250 OK"

    def by_recipient(self) -> dict[str, list[SimpleNamespace]]:
        out: dict[str, list] = {}
        for m in self.messages:
            for r in m.rcpts:
                out.setdefault(r, []).append(m)
        return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
