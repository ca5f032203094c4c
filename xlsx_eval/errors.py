"""The library's exceptions for a user's files: each message says what is wrong, in Chinese."""


class UnreadableWorkbook(Exception):
    """The file cannot be read as a workbook at all; the message says why, in Chinese."""


class RulesError(Exception):
    """A rules file cannot be used; the message names the key and line, in Chinese."""


class ReportTemplateError(Exception):
    """A report template cannot be used; the message names the tag or variable, in Chinese."""


class MailSettingsError(Exception):
    """The e-mail settings (flags, environment, config file) or the output folder cannot be used; the message
    names the setting and where it came from, in Chinese."""


class MailError(Exception):
    """Sending had to stop (server unreachable, TLS, login refused, connection lost mid-message); the message
    says why and what to do, in Chinese. ``report`` is what was done before it (the store already holds
    every message the server accepted). ``in_flight``: it stopped after the message data went and before the
    server's answer, so whether the server took that message is unknown."""

    def __init__(self, message: str, report=None, in_flight: bool = False) -> None:
        super().__init__(message)
        self.report = report
        self.in_flight = in_flight


class StoreError(Exception):
    """The output folder cannot be used as asked (in use by another run, inside an input folder, not writable,
    full, its store damaged); the message says why and what to do, in Chinese. Nothing the store recorded
    before is lost."""
