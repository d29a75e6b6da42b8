"""The framework-free engine the training callbacks share: config in, LR points in, findings out.

A callback reads the learning rate from the optimizer at the start of every update, as the
point ``(update index s, LR used by update s)``: the same axis on which lraudit's config parsers
express the intended schedule (``lr(t)`` is the LR of update ``t``, 0-based), so no logging
offset is involved. :class:`LRAuditMonitor` feeds the points to a :class:`lraudit.live.LiveAudit`,
logs every finding once, the first time it is certain (:func:`lraudit.live.is_certain`), and with
``fail_fast`` turns the first certain error into an :class:`LRScheduleError` that the callback
uses to stop training.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Union

from lraudit.errors import ConfigError, LrauditError
from lraudit.live import LiveAudit, LiveEvent
from lraudit.types import Finding, IntendedSchedule, Schedule, Severity

#: What a callback accepts as its config.
ConfigLike = Union[str, "os.PathLike[str]", IntendedSchedule, Schedule, None]

LOGGER = logging.getLogger("lraudit.callbacks")

__all__ = ["LOGGER", "ConfigLike", "LRAuditMonitor", "LRScheduleError", "resolve_config"]


class LRScheduleError(LrauditError):
    """Training was stopped (``fail_fast=True``) because the LR departed from its schedule.

    ``finding`` is the certain error that stopped it, ``step`` the update at which it was seen.
    """

    def __init__(self, message: str, finding: Finding, step: int | None) -> None:
        super().__init__(message)
        self.finding = finding
        self.step = step


def resolve_config(
    config: ConfigLike, *, config_format: str = "auto", **units: Any
) -> IntendedSchedule | None:
    """The intended schedule from what a callback was given.

    A path is parsed with :func:`lraudit.load_config` (``config_format`` and ``units``, e.g.
    ``steps_per_epoch=``, ``num_steps=``, are passed on); an :class:`IntendedSchedule` is used as
    it is; a bare :class:`Schedule` counts optimizer updates. ``None`` means no config: only the
    log-only rules apply (non-finite values, resets).

    >>> resolve_config(Schedule("constant", {"lr": 0.1})).format
    'lraudit'
    >>> resolve_config(3)
    Traceback (most recent call last):
    ...
    lraudit.errors.ConfigError: config: expected a config file path, an IntendedSchedule or a Schedule, got int (3)
    """
    if config is None or isinstance(config, IntendedSchedule):
        return config
    if isinstance(config, Schedule):
        return IntendedSchedule(config, source="<Schedule>", format="lraudit")
    if isinstance(config, (str, os.PathLike)):
        from lraudit import load_config

        return load_config(config, format=config_format, **units)
    raise ConfigError(
        "config: expected a config file path, an IntendedSchedule or a Schedule, got "
        f"{type(config).__name__} ({config!r})"
    )


class LRAuditMonitor:
    """Audit the LR of one training run while it trains (see the module docstring).

    ``observe(step, lr)`` after reading the LR of each update; it returns an
    :class:`LRScheduleError` when ``fail_fast`` is on and a certain error was just found (the
    caller stops training). ``finish()`` at the end of training audits the whole run (with a
    fit) unless training was stopped by a failure, and returns the findings reported then.

    >>> import numpy as np
    >>> from lraudit.types import IntendedSchedule, Schedule
    >>> cfg = Schedule("exponential", {"init_lr": 0.1, "decay_rate": 0.5, "decay_steps": 100})
    >>> mon = LRAuditMonitor(cfg, fail_fast=True, logger=logging.getLogger("doctest"))
    >>> stop = None
    >>> for step in range(100):
    ...     stop = mon.observe(step, 0.1)  # the scheduler is never stepped
    ...     if stop:
    ...         break
    >>> stop.step, stop.finding.name
    (3, 'constant_lr')
    """

    def __init__(
        self,
        config: ConfigLike,
        *,
        fail_fast: bool = False,
        run: str = "train",
        tag: str = "learning_rate",
        fit_at_end: bool = True,
        logger: logging.Logger | None = None,
        config_format: str = "auto",
        **units: Any,
    ) -> None:
        self.intended = resolve_config(config, config_format=config_format, **units)
        self.fail_fast = fail_fast
        self.fit_at_end = fit_at_end
        self.log = logger or LOGGER
        self.live = LiveAudit(self.intended, run=run, tag=tag)
        self.events: list[LiveEvent] = []
        self.failure: LRScheduleError | None = None
        self._finished = False

    @property
    def findings(self) -> tuple[Finding, ...]:
        """Every finding reported so far, in the order reported."""
        return tuple(e.finding for e in self.events)

    def observe(self, step: int, lr: float) -> LRScheduleError | None:
        """Record the LR of update ``step``; the failure to stop on (``fail_fast``), else None."""
        self.live.add(step, lr)
        new = self.live.poll()
        if new:
            return self._report(new)
        return None

    def finish(self) -> list[Finding]:
        """Audit the whole run at the end of training; the findings not reported before.

        Skipped after a ``fail_fast`` stop: a run cut short after a few points would only add
        end-of-run findings about its own shortness.
        """
        if self._finished or self.failure is not None:
            return []
        self._finished = True
        events = self.live.finish(fit=self.fit_at_end)
        self._report(events)
        return [e.finding for e in events]

    def _report(self, events: list[LiveEvent]) -> LRScheduleError | None:
        self.events += events
        stop = None
        for ev in events:
            f = ev.finding
            at = f" at step {f.step}" if f.step is not None else ""
            text = (
                f"lraudit {f.code} {f.name}{at} ({f.severity.value}, after {ev.n_points} LR "
                f"points up to update {ev.last_step}): {f.message}"
            )
            self.log.warning(text)
            if (
                self.fail_fast
                and stop is None
                and self.failure is None
                and not ev.final
                and f.severity is Severity.ERROR
            ):
                stop = LRScheduleError(
                    f"lraudit stopped training at update {ev.last_step} (fail_fast=True): "
                    f"{f.code} {f.name}: {f.message}",
                    f,
                    ev.last_step,
                )
        if stop is not None:
            self.failure = stop
            self.log.error(str(stop))
        return stop
