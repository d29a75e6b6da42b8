"""Terminal-facing helpers of the ``lraudit`` command: safe streams, colour, width, path checks.

* :class:`SafeStream` writes text that the stream's encoding cannot hold as ASCII-safe text
  (``→`` -> ``->``, box drawing -> ``-``, anything else as ``\\u2192``-style escapes), so
  ``PYTHONIOENCODING=ascii`` or a C locale never ends in a ``UnicodeEncodeError``.
* :func:`use_color`: ``NO_COLOR`` (non-empty) disables colour, ``FORCE_COLOR`` (non-empty, not
  ``0``) forces it even when piped, else colour when the stream is a terminal
  (https://no-color.org, https://force-color.org).
* :func:`text_width`: ``COLUMNS`` when set to a number, else the terminal's width, else 100.
* :func:`check_path`: an empty, blank or control-character path is rejected at once (an empty
  logdir argument must not mean the current directory).
* :func:`guard_output`: ``--output`` must not name an input (the config, a log file).
* :class:`ProgressBar`: a transient rich progress bar on stderr for long audits.
* :func:`usable_cores`: the cores this process may run on (CPU affinity), for ``--jobs``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, Any

from lraudit.errors import LrauditError
from lraudit.report import printable

_ASCII = str.maketrans(
    {
        "→": "->",
        "←": "<-",
        "–": "-",
        "—": "-",
        "─": "-",
        "━": "-",
        "│": "|",
        "×": "x",
        "·": ".",
        "…": "...",
        "≤": "<=",
        "≥": ">=",
        "±": "+/-",
        "µ": "u",
        "π": "pi",
        "τ": "tau",
        "γ": "gamma",
        "φ": "phi",
        "∈": "in",
        "⌊": "floor(",
        "⌋": ")",
        "✅": "[ok]",
        "❌": "[x]",
        "⚠": "[!]",
        "\ufe0f": "",
        "ℹ": "[i]",
        "‘": "'",
        "’": "'",
        "“": '"',
        "”": '"',
    }
)


def ascii_safe(text: str) -> str:
    """``text`` in ASCII: common symbols spelled out, anything else as a backslash escape.

    >>> ascii_safe("warmup 1000 (0.0267→0.08) – ok ✅ 日")
    'warmup 1000 (0.0267->0.08) - ok [ok] \\\\u65e5'
    """
    return text.translate(_ASCII).encode("ascii", "backslashreplace").decode("ascii")


class SafeStream:
    """A text stream wrapper that never raises ``UnicodeEncodeError`` on write."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.encoding = getattr(stream, "encoding", None) or "utf-8"

    def write(self, text: str) -> int:
        try:
            text.encode(self.encoding)
        except (UnicodeEncodeError, LookupError):
            text = ascii_safe(text)
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return isatty(self.stream)

    def fileno(self) -> int:
        return self.stream.fileno()


def isatty(stream: object) -> bool:
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError, OSError):
        return False


def same_terminal(a: object, b: object) -> bool:
    """True when both streams are the same terminal (stdout and stderr of an interactive run)."""
    if not (isatty(a) and isatty(b)):
        return False
    try:
        return os.path.samestat(os.fstat(a.fileno()), os.fstat(b.fileno()))  # type: ignore[attr-defined]
    except (AttributeError, ValueError, OSError):
        return True  # two terminals we cannot tell apart: assume the usual case


def use_color(stream: object, environ: Mapping[str, str], to_file: bool = False) -> bool:
    """Whether to colour text written to ``stream`` (see the module docstring)."""
    if to_file or environ.get("NO_COLOR"):
        return False
    force = environ.get("FORCE_COLOR")
    if force is not None and force not in ("", "0", "false"):
        return True
    return isatty(stream) and environ.get("TERM") != "dumb"


def text_width(stream: object, environ: Mapping[str, str], default: int = 100) -> int:
    """``COLUMNS`` (clamped to 40..1000) when set to a number, the terminal's width, or 100."""
    cols = environ.get("COLUMNS", "").strip()
    if cols.isdigit():
        return min(max(int(cols), 40), 1000)
    if isatty(stream):
        import shutil

        return max(60, shutil.get_terminal_size((default, 24)).columns)
    return default


def check_path(option: str, value: str | None) -> None:
    """Reject an empty, blank or control-character path for ``option`` with one line."""
    if value is None:
        return
    if not value.strip():
        raise LrauditError(
            f"{option}: empty path {value!r}; give a logdir, run directory or file "
            "(use '.' for the current directory)"
        )
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise LrauditError(f"{option}: the path {value!r} holds control characters")


def _same(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def guard_output(option: str, target: str, inputs: Iterable[str | None]) -> None:
    """Refuse to write ``target`` when it is an input or a log file under an input directory.

    An input is the config or the log path; under a log directory, event files, trainer
    states and scalar exports (``*tfevents*``, ``trainer_state.json``, ``*.csv``) are inputs.
    """
    t = Path(target)
    if t.is_dir():
        raise LrauditError(f"{option} {target}: is a directory; give a file name")
    for src in inputs:
        if not src:
            continue
        s = Path(src)
        if _same(t, s):
            raise LrauditError(f"{option} {target}: is an input ({src}); choose another file")
        if s.is_dir() and t.exists():
            try:
                inside = t.resolve().is_relative_to(s.resolve())
            except OSError:
                inside = False
            name = t.name
            log_like = "tfevents" in name or name == "trainer_state.json" or name.endswith(".csv")
            if inside and log_like:
                raise LrauditError(
                    f"{option} {target}: is a log file under {src}; choose another file"
                )


class ProgressBar:
    """A ``progress(done, total, label)`` callback drawing a rich bar on a terminal stream.

    The bar appears only once the work has taken more than ``delay`` seconds, so quick audits
    print nothing; it is transient (erased when done) so the summary line stays clean.
    """

    def __init__(self, stream: IO[str], delay: float = 0.5) -> None:
        self.stream = stream
        self.delay = delay
        self.t0 = time.monotonic()
        self._progress: Any = None
        self._task: Any = None

    def __call__(self, done: int, total: int, label: str = "") -> None:
        if self._progress is None:
            if time.monotonic() - self.t0 < self.delay or done >= total:
                return
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            console = Console(file=self.stream, stderr=True)
            self._progress = Progress(
                TextColumn("lraudit"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.description}"),
                console=console,
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task(label, total=total)
        self._progress.update(self._task, completed=done, total=total, description=label)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def usable_cores() -> int:
    """The number of cores this process may run on (its CPU affinity where the OS has one)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except (AttributeError, OSError):
        return max(os.cpu_count() or 1, 1)


__all__ = [
    "ProgressBar",
    "SafeStream",
    "ascii_safe",
    "check_path",
    "guard_output",
    "isatty",
    "printable",
    "same_terminal",
    "text_width",
    "usable_cores",
    "use_color",
]
