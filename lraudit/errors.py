"""Exceptions raised when lraudit cannot audit.

Fit problems are data (fields on :class:`~lraudit.types.FitResult`, then findings); these
exceptions are only for inputs lraudit cannot read. Every message is one line naming the input
and what to do. The CLI maps them to exit code 2.
"""

from __future__ import annotations


class LrauditError(Exception):
    """Base class of every error lraudit raises on purpose."""


class LogReadError(LrauditError):
    """A log path cannot be read (missing, unreadable, not a log)."""


class NoEventFilesError(LogReadError):
    """A path exists but holds no TensorBoard event files."""


class TagNotFoundError(LogReadError):
    """Event files were read but no learning-rate tag (or the requested tag) was found.

    ``tags`` holds every scalar tag that was found, so callers can suggest ``--tag``.
    """

    def __init__(self, message: str, tags: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.tags = tags


class ConfigError(LrauditError):
    """A training config cannot be parsed into an intended schedule.

    The message names the file, the key and the problem.
    """


class UnsafeConfigError(ConfigError):
    """A config would need code execution or unpickling to be read; lraudit refuses."""


class ScheduleError(LrauditError):
    """A schedule value is invalid (unknown family, missing or out-of-range parameter)."""


#: the distribution name on the package index (the import package and command stay ``lraudit``)
DISTRIBUTION = "lraudit"


def install_hint(extra: str | None = None) -> str:
    """The command that installs lraudit (with ``extra``), for error messages and hints."""
    return f"pip install '{DISTRIBUTION}[{extra}]'" if extra else f"pip install {DISTRIBUTION}"
