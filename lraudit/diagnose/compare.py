"""The with-config comparison: an ordered tuple of rules, tried from the most specific cause to
the least (see :mod:`lraudit.diagnose` for the hypotheses and their order).

Each rule takes the comparison's context and the window of logged points still compared, and
returns either the window the next rule compares (the same one, or a narrower one: before a
reset, after the warmup) or ``None`` when it has decided (its findings, if any, are in
``ctx.out``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property

import numpy as np

from lraudit.diagnose.clock import (
    held_per_epoch,
    staircase,
    stepped_every_iteration,
    time_scale,
)
from lraudit.diagnose.constant import constant
from lraudit.diagnose.context import Ctx, uncheckable
from lraudit.diagnose.curve import Match, best_offset, explains, is_periodic
from lraudit.diagnose.decay import decay_or_family
from lraudit.diagnose.exact import matches_logged_exact
from lraudit.diagnose.horizon import after_match
from lraudit.diagnose.metric import follows_metric
from lraudit.diagnose.resets import find_resets, reset_findings
from lraudit.diagnose.scale import scale, scaled_and_other
from lraudit.diagnose.thresholds import REL_TOL
from lraudit.diagnose.warmup import inside_warmup, without_warmup
from lraudit.diagnose.warmup_phase import warmup_phase
from lraudit.types import Finding, FitResult, IntendedSchedule, Schedule


class Window:
    """The logged points still compared, and the intended curve's best alignment with them."""

    def __init__(self, x: np.ndarray, y: np.ndarray, sched: Schedule) -> None:
        self.x, self.y, self._sched = x, y, sched

    @cached_property
    def match(self) -> Match:
        return best_offset(self.x, self.y, self._sched)


#: A rule: the window the next rule compares, or None when this one has decided.
Rule = Callable[[Ctx, Window], "Window | None"]


def follows_a_metric(ctx: Ctx, w: Window) -> Window | None:
    """A metric-driven schedule is compared only where the config fixes it."""
    if uncheckable(ctx.it) is None:
        return w
    follows_metric(ctx, w.x, w.y)
    return None


def exact_values(ctx: Ctx, w: Window) -> Window | None:
    """The log is exactly what the parser says the framework logs."""
    if not ctx.secondary and matches_logged_exact(ctx, w.x, w.y):
        return None
    return w


def matches(ctx: Ctx, w: Window) -> Window | None:
    """Every point within :data:`REL_TOL`: only the config's own doing is reported."""
    if w.match.worst <= REL_TOL:
        after_match(ctx, w.x, w.y, w.match)
        return None
    return w


def never_moves(ctx: Ctx, w: Window) -> Window | None:
    """The logged LR is flat while the configured one moves (``constant_lr``)."""
    return None if constant(ctx, w.x, w.y, w.match) else w


def before_reset(ctx: Ctx, w: Window) -> Window | None:
    """A reset is reported and the points before it are compared (a periodic schedule rises
    by design)."""
    if is_periodic(ctx.sched, float(w.x[-1])):
        return w
    fit = ctx.fit
    if fit is not None and fit.explained and is_periodic(fit.schedule, float(w.x[-1])):
        # one schedule that rises by design explains every point: its rises are no resumes
        return w
    resets = find_resets(w.x, w.y, ctx.it)
    if not resets:
        return w
    ctx.out.extend(reset_findings(w.x, w.y, ctx.it, ctx.notes))
    cut = resets[0][0]
    w = Window(w.x[:cut], w.y[:cut], ctx.sched)
    if w.x.size == 0 or explains(w.match.err):
        return None
    return w


def scaled(ctx: Ctx, w: Window) -> Window | None:
    """``y = k m`` with a constant ``k`` (``lr_scale_mismatch``)."""
    return None if scale(ctx, w.x, w.y, w.match) else w


def ends_inside_warmup(ctx: Ctx, w: Window) -> Window | None:
    """The run ends inside the configured warmup."""
    if not ctx.secondary and ctx.w_int > 0 and w.x[-1] < ctx.w_int:
        inside_warmup(ctx, w.x, w.y)
        return None
    return w


def warmup_dropped(ctx: Ctx, w: Window) -> Window | None:
    """The log is the config without its warmup (``warmup_missing``)."""
    if not ctx.secondary and ctx.w_int > 0 and w.x[0] < ctx.w_int and without_warmup(ctx, w.x, w.y):
        return None
    return w


def other_clock(ctx: Ctx, w: Window) -> Window | None:
    """Stepped once per epoch, or on a scaled time axis."""
    if held_per_epoch(ctx, w.x, w.y) or time_scale(ctx, w.x, w.y):
        return None
    return None if stepped_every_iteration(ctx, w.x, w.y) else w


def staircase_flipped(ctx: Ctx, w: Window) -> Window | None:
    """The staircase flag of an exponential or inverse-time decay flipped."""
    return None if staircase(ctx, w.x, w.y) else w


def two_faults(ctx: Ctx, w: Window) -> Window | None:
    """A whole factor on the LR and a clock or staircase fault at once."""
    return None if scaled_and_other(ctx, w.x, w.y) else w


def after_warmup(ctx: Ctx, w: Window) -> Window | None:
    """Warmup findings; the points after both warmups are compared from here on."""
    x, y = warmup_phase(ctx, w.x, w.y)
    if x.size == 0:
        return None
    return Window(x, y, ctx.sched)


def matches_after_warmup(ctx: Ctx, w: Window) -> Window | None:
    """After the warmup the log follows the config."""
    if w.match.worst <= REL_TOL or explains(w.match.err):
        after_match(ctx, w.x, w.y, w.match)
        return None
    return w


def scaled_or_other_clock_after_warmup(ctx: Ctx, w: Window) -> Window | None:
    """After the warmup: a constant factor or another clock."""
    if scale(ctx, w.x, w.y, w.match) or time_scale(ctx, w.x, w.y):
        return None
    return w


def decay_or_family_differs(ctx: Ctx, w: Window) -> Window | None:
    """Nothing else explains the log: the fit names what differs."""
    decay_or_family(ctx, w.x, w.y, w.match)
    return None


#: The with-config rules in the order they are tried (module docstring of lraudit.diagnose).
RULES: tuple[Rule, ...] = (
    follows_a_metric,
    exact_values,
    matches,
    never_moves,
    before_reset,
    scaled,
    ends_inside_warmup,
    warmup_dropped,
    other_clock,
    staircase_flipped,
    two_faults,
    after_warmup,
    matches_after_warmup,
    scaled_or_other_clock_after_warmup,
    decay_or_family_differs,
)


def compare(
    x: np.ndarray,
    y: np.ndarray,
    fit: FitResult | None,
    intended: IntendedSchedule,
    *,
    secondary: bool = False,
    notes: Sequence[str] = (),
) -> list[Finding]:
    """The findings of comparing the logged points ``(x, y)`` with ``intended``, in the order
    the rules made them."""
    ctx = Ctx(fit, intended, secondary=secondary, notes=notes)
    w: Window | None = Window(x, y, ctx.sched)
    for rule in RULES:
        assert w is not None
        w = rule(ctx, w)
        if w is None:
            break
    return ctx.out
