"""The config line a finding is about, for annotations and SARIF locations.

A finding names a setting in words ("the configured warmup (1,000 iterations) ..."); the parsers
record the raw settings they used in ``IntendedSchedule.settings`` (``{"warmup_steps": 1000}``).
:func:`config_line` looks up, in the config's text, the first line that sets one of the settings
the finding is about: ``key:`` / ``key =`` / ``key {`` with the key as a whole word, or a string
setting's value as a whole word (OD API names its schedule by a message name:
``cosine_decay_learning_rate {``). Which settings a finding is about is a list of name patterns
per finding (:data:`SETTING_PATTERNS`). When nothing matches the line stays unknown (None):
a line is never guessed.

:func:`attach_lines` reads each config once and returns the report with ``Finding.line`` filled
where it was None; formatters stay pure (they never read files).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lraudit.types import AuditReport, Finding, RunAudit

_SCHEDULE = r"type|schedul|policy|decay|lrf|cos_lr|name"
_LR = r"(^|_)lr$|^lr0$|base_lr|learning_rate(_base)?$|initial_learning_rate|^lr$"
_HORIZON = (
    r"total_steps|decay_steps|max_iter|epochs|num_steps|max_steps|t_max|horizon|training_steps"
)

#: Finding name -> regular expression over setting names (lower case) the finding is about.
SETTING_PATTERNS: dict[str, str] = {
    "constant_lr": _SCHEDULE,
    "schedule_reset": _SCHEDULE,
    "lr_scale_mismatch": _LR,
    "warmup_missing": r"warmup",
    "warmup_mismatch": r"warmup",
    "warmup_exceeds_run": r"warmup",
    "step_unit_mismatch": r"epoch|" + _SCHEDULE,
    "decay_mismatch": r"decay|milestone|boundar|gamma|steps$|power|" + _HORIZON,
    "staircase_mismatch": r"staircase",
    "horizon_exceeds_run": _HORIZON,
    "family_mismatch": _SCHEDULE,
    "zero_lr": r"end_lr|min_lr|eta_min|lrf|" + _HORIZON,
    "config_mismatch": _SCHEDULE,
}


def config_line(text: str, settings: Mapping[str, Any], finding: str) -> int | None:
    """The 1-based line of ``text`` that sets a setting ``finding`` is about, or None.

    >>> cfg = "train_config {\\n  warmup_steps: 1000\\n  total_steps: 50000\\n}\\n"
    >>> config_line(cfg, {"total_steps": 50000, "warmup_steps": 1000}, "warmup_mismatch")
    2
    >>> config_line(cfg, {"total_steps": 50000}, "horizon_exceeds_run")
    3
    >>> config_line(cfg, {"momentum": 0.9}, "warmup_mismatch") is None
    True
    """
    pattern = SETTING_PATTERNS.get(finding)
    if pattern is None:
        return None
    rx = re.compile(pattern)
    lines = text.splitlines()
    for key, value in settings.items():
        last = str(key).rsplit(".", 1)[-1]
        if not rx.search(last.lower()):
            continue
        probes = [re.compile(rf"(?<![\w.]){re.escape(last)}\b\s*(:|=|\{{)")]
        if isinstance(value, str) and re.fullmatch(r"[A-Za-z_]\w{3,}", value):
            probes.append(re.compile(rf"(?<![\w.]){re.escape(value)}\b"))
        for i, line in enumerate(lines, 1):
            code = line.split("#", 1)[0]
            if any(p.search(code) for p in probes):
                return i
    return None


def _read(path: str, cache: dict[str, str | None]) -> str | None:
    if path not in cache:
        from lraudit.reader import fs

        if fs.is_url(path):  # a config given or found at a URL: read it again, as small
            cache[path] = _read_url(path)
            return cache[path]
        try:
            p = Path(path)
            # a config is small; a huge or special file is not looked into for a line number
            cache[path] = (
                p.read_text(encoding="utf-8", errors="replace")
                if p.is_file() and p.stat().st_size <= 4_000_000
                else None
            )
        except OSError:
            cache[path] = None
    return cache[path]


def _read_url(url: str) -> str | None:
    from lraudit.errors import LrauditError
    from lraudit.reader import fs

    try:
        f, size = fs.open_url(url)
        with f:
            return f.read(size).decode("utf-8", "replace") if size <= 4_000_000 else None
    except (LrauditError, OSError):
        return None
    except Exception:  # each fsspec backend raises its own errors: the line stays unknown
        return None


def _with_lines(run: RunAudit, cache: dict[str, str | None]) -> RunAudit:
    it = run.intended
    if it is None or not run.findings or all(f.line is not None for f in run.findings):
        return run
    text = _read(str(it.source), cache)
    if text is None:
        return run
    found: list[Finding] = []
    for f in run.findings:
        line = f.line if f.line is not None else config_line(text, it.settings, f.name)
        found.append(f if line == f.line else dataclasses.replace(f, line=line))
    return dataclasses.replace(run, findings=tuple(found))


def attach_lines(report: AuditReport) -> AuditReport:
    """``report`` with ``Finding.line`` filled from each run's config where it can be found."""
    cache: dict[str, str | None] = {}
    runs = tuple(_with_lines(r, cache) for r in report.runs)
    if all(a is b for a, b in zip(runs, report.runs, strict=True)):
        return report
    return dataclasses.replace(report, runs=runs)


__all__ = ["SETTING_PATTERNS", "attach_lines", "config_line"]
