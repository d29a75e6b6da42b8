"""Rules that turn ``(series, fit, intended)`` into findings with stable codes.

Every finding comes from :data:`lraudit.vocab.FINDINGS` (name -> code, default severity) and carries
a one-sentence message with the numbers a person needs to act.

How a run is compared with its config
-------------------------------------
The comparison is made on the logged points themselves, which is what "in identified terms" means
here: the intended schedule is evaluated at every logged step ``s`` (and at ``s - 1``, ``s + 1``,
for the logging offsets frameworks differ by) and compared with the logged value ``y``,

.. math:: e(s) = \\frac{|y(s) - m(s)|}{\\max(|y(s)|, |m(s)|, 10^{-6} \\max|m|)}

A run *matches* its config when :math:`e \\le` :data:`REL_TOL` at every point (float32 config
values, float32 logging and float32 schedule arithmetic stay far below it). Parameters that the
logged window does not determine (a decay horizon 25x longer than the run, a decay factor that
never applies) cannot make a matching run fail: the curves agree wherever there is data.

When the curves differ, hypotheses are tried from the most specific cause to the least, each a
transformation of the intended curve that must explain the points to within :data:`HYP_TOL`
(all but about 1 % of them, see :func:`explains`):

1. the logged LR never moves although the intended one does (``constant_lr``);
2. an upward jump after a decrease (``schedule_reset``; the rest is compared before it);
3. ``y = k m`` with a constant ``k`` (``lr_scale_mismatch``);
4. the run ends inside the configured warmup (``warmup_exceeds_run``), or the log is the config
   without its warmup (``warmup_missing``: the decay kept in place, or starting at 0 over a
   horizon longer by the warmup as HF computes it, or the log at the peak from its first point
   while the config ramps up from well below it);
5. ``y(s) = m(floor(s / H))``: the log is a staircase of ``H``-iteration holds on the intended
   curve at epoch indices, an iteration schedule stepped once per epoch (``step_unit_mismatch``);
   else ``y(s) = m(c s)``: the time axis is scaled (``step_unit_mismatch`` when ``c`` is the
   number of iterations per epoch or its inverse, else ``decay_mismatch`` naming the horizon,
   quoted only when nearby factors do not fit as well: fitted values the data do not determine
   are never quoted as observed, see :func:`describe`);
6. the staircase flag flipped (``staircase_mismatch``); then two faults at once: a whole factor
   on the LR (read off the first point or the peak) and, on the log divided by it, one of the
   clock or staircase hypotheses (``lr_scale_mismatch`` and that finding);
7. the warmup phase (observed ramp end vs configured) and the phase after it, separately
   (``warmup_*``; then the post-warmup points alone must match);
8. otherwise the fit decides between ``decay_mismatch`` (same family, an identified parameter
   differs) and ``family_mismatch``.

A matching run gets nothing at warning or error, with two exceptions that are the config's own
doing: ``horizon_exceeds_run`` (info) when the intended LR moves less than :data:`HORIZON_FLAT`
over the run and the schedule's horizon is at least :data:`HORIZON_FACTOR` times the run, and
``warmup_exceeds_run`` (warning) when the configured warmup is at least the planned run.

A schedule that follows a metric (the parser sets ``metric_driven``: ReduceLROnPlateau,
timm ``plateau``, HF ``reduce_lr_on_plateau``) is compared only where the config fixes it: the
warmup, the base LR the log starts from and never exceeds, and (when the parser knows it,
``metric_driven.factor``) that each drop is by a power of the factor or to the floor. The
log-only rules (non-finite values, resets) still apply.

Without a config only the logs speak: non-finite values, too few points, a constant LR over a long
run (a warning: it may be intended), resets, and a warmup that never ends.
"""

from __future__ import annotations

import numpy as np

from lraudit.diagnose.compare import RULES, compare
from lraudit.diagnose.context import unit_free
from lraudit.diagnose.curve import explains, is_constant_schedule, observed_warmup_end, relerr
from lraudit.diagnose.findings import dedupe, finding, sort_findings
from lraudit.diagnose.log_rules import (
    rule_non_finite,
    rule_peak_without_axis,
    rule_too_few,
    rule_unknown_unit,
    rules_without_config,
)
from lraudit.diagnose.resets import rule_replaced
from lraudit.diagnose.thresholds import FLAT_TOL, HYP_TOL, REL_TOL
from lraudit.diagnose.words import describe
from lraudit.types import Finding, FitResult, IntendedSchedule, LRSeries

__all__ = [
    "FLAT_TOL",
    "HYP_TOL",
    "REL_TOL",
    "RULES",
    "describe",
    "diagnose",
    "explains",
    "finding",
    "observed_warmup_end",
    "relerr",
    "sort_findings",
]


def diagnose(
    series: LRSeries,
    fit: FitResult | None,
    intended: IntendedSchedule | None,
    *,
    compare_from: float | None = None,
) -> tuple[Finding, ...]:
    """Findings for one logged series, sorted (severity, code, step, message).

    ``fit`` may be None (not fitted); ``intended`` None means no config. ``compare_from`` makes
    the comparison with the config start at that step: used for a secondary parameter group (the
    YOLO bias group falls during warmup while the schedule rises) so that only the part after the
    warmup, where every group follows the intended curve, is compared.

    >>> import numpy as np
    >>> from lraudit.types import LRSeries, Schedule, IntendedSchedule
    >>> x = np.arange(0, 1000, 50)
    >>> flat = LRSeries(".", "lr", x, np.full(x.size, 0.1), x * 1.0)
    >>> [(f.name, f.severity.value) for f in diagnose(flat, None, None)]
    [('constant_lr', 'warning')]
    >>> meant = IntendedSchedule(Schedule("constant", {"lr": 0.1}), "cfg.yaml", "lraudit")
    >>> diagnose(flat, None, meant)
    ()
    """
    x_all = np.asarray(series.steps, dtype=np.float64)
    y_all = np.asarray(series.values, dtype=np.float64)
    out: list[Finding] = []
    out += rule_non_finite(x_all, y_all)
    ok = np.isfinite(y_all)
    x, y = x_all[ok], y_all[ok]
    out += rule_too_few(x, fit)
    if intended is None:
        out += rules_without_config(x, y, fit, notes=series.notes)
    elif intended.unit != intended.log_unit and not unit_free(intended):
        out += rule_unknown_unit(intended)
        out += rule_peak_without_axis(x, y, intended)
        out += rules_without_config(
            x, y, fit, constant_ok=is_constant_schedule(intended.schedule), notes=series.notes
        )
    elif x.size:
        if compare_from is not None:
            keep = x >= compare_from
            x, y = x[keep], y[keep]
        if x.size:
            out += compare(
                x, y, fit, intended, secondary=compare_from is not None, notes=series.notes
            )
    # after the comparison: a reset it explains keeps its message (dedupe keeps the first)
    out += rule_replaced(series)
    return sort_findings(dedupe(out))
