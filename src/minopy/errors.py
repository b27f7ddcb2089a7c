"""Exception types with messages meant for the user.

Every error raised for bad input names the file, key or value that is wrong and what is expected.
The CLI prints these messages without a traceback and exits with a non-zero status.
"""


class MinopyError(Exception):
    """Base class for errors that are reported to the user without a traceback."""


class ConfigError(MinopyError):
    """A template key or value is wrong (unknown key, bad type, value out of range)."""


class InputDataError(MinopyError):
    """An input file or directory is missing, unreadable or inconsistent."""


class StepError(MinopyError):
    """A processing step failed; the message says which step and why."""
