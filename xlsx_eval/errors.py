"""The library's one exception for a user's file."""


class UnreadableWorkbook(Exception):
    """The file cannot be read as a workbook at all; the message says why, in Chinese."""
