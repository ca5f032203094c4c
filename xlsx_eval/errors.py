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
    says why and what to do, in Chinese. ``report`` is what was done before it (the send log already holds
    every message the server accepted)."""

    def __init__(self, message: str, report=None) -> None:
        super().__init__(message)
        self.report = report


class StoreError(Exception):
    """The output folder cannot be used as asked (in use by another run, inside an input folder, not writable,
    full, its store damaged); the message says why and what to do, in Chinese. Nothing the store recorded
    before is lost."""
