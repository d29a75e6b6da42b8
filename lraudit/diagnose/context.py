"""What the with-config rules read: :class:`Ctx` (the intended schedule, the fit, where findings
go) and the parser's knowledge of its framework that reaches diagnose (typed fields of
:class:`~lraudit.types.IntendedSchedule`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from lraudit.types import Finding, FitResult, IntendedSchedule, Schedule


@dataclass(frozen=True)
class Ctx:
    """One series' comparison with its config: what every with-config rule reads, and ``out``,
    the findings in the order the rules made them.

    ``secondary``: a secondary parameter group compared only after the warmup (see
    :func:`lraudit.diagnose.diagnose`'s ``compare_from``); ``notes``: the reader's notes on the
    series (restarts), quoted by reset findings.
    """

    fit: FitResult | None
    it: IntendedSchedule
    secondary: bool = False
    notes: Sequence[str] = ()
    out: list[Finding] = field(default_factory=list)

    @property
    def sched(self) -> Schedule:
        return self.it.schedule

    @property
    def unit(self) -> str:
        """The unit the LR is logged in (``step`` when the config does not say)."""
        return self.it.log_unit or "step"

    @property
    def w_int(self) -> float:
        """The configured warmup's length (0 without one)."""
        w = self.sched.warmup
        return float(w.steps) if w is not None and w.steps > 0 else 0.0


def uncheckable(intended: IntendedSchedule) -> str | None:
    """The config's name for a schedule that follows a metric
    (:attr:`~lraudit.types.IntendedSchedule.metric_driven`), None for any other."""
    md = intended.metric_driven
    return md.scheduler if md is not None and md.scheduler else None


def unit_free(intended: IntendedSchedule) -> bool:
    """A metric-driven schedule without warmup is compared in no unit at all."""
    s = intended.schedule
    return uncheckable(intended) is not None and (s.warmup is None or s.warmup.steps <= 0)
