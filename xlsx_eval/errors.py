"""The library's one exception for a user's file."""


class UnreadableWorkbook(Exception):
    """The file cannot be read as a workbook at all; the message says why, in Chinese."""


class RulesError(Exception):
    """A rules file cannot be used; the message names the key and line, in Chinese."""
