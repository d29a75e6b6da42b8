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

A schedule that follows a metric (the parser sets ``settings["uncheckable"]``: ReduceLROnPlateau,
timm ``plateau``, HF ``reduce_lr_on_plateau``) is compared only where the config fixes it: the
warmup, the base LR the log starts from and never exceeds, and (when the parser knows it,
``settings["plateau_factor"]``) that each drop is by a power of the factor or to the floor. The
log-only rules (non-finite values, resets) still apply.

Without a config only the logs speak: non-finite values, too few points, a constant LR over a long
run (a warning: it may be intended), resets, and a warmup that never ends.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import minimize_scalar

from lraudit.types import (
    Finding,
    FitResult,
    IntendedSchedule,
    LRSeries,
    Schedule,
    Severity,
)
from lraudit.vocab import FINDINGS

#: Relative agreement at every point for a run to match its config (0.01 %).
REL_TOL = 1e-4
#: Relative agreement per point for a hypothesis (a scale factor, a time scale...) to explain it.
HYP_TOL = 1e-3
#: A same-length warmup off by at most this (relative) while the schedule after it differs is
#: the after-warmup difference showing through the ramp (a linear_factor warmup scales the
#: running schedule; a linear one heads for its value), not a warmup finding of its own.
WARMUP_KNOCK_ON = 0.02
#: Relative range below which a logged series is constant (a few float32 ulps).
FLAT_TOL = 1e-6
#: Relative upward jump, after a decrease, that counts as a reset ...
JUMP = 0.01
#: ... when it is also this fraction of the curve's range, in one logged interval.
JUMP_RANGE = 0.05
#: Fewer finite points than this cannot be fitted.
MIN_POINTS = 5
#: Without a config, a constant LR is reported from this many points on.
LONG_RUN_POINTS = 10
#: ``horizon_exceeds_run`` when the intended LR moves less than this over the run ...
HORIZON_FLAT = 0.05
#: ... and the schedule's horizon is at least this many times the last logged step.
HORIZON_FACTOR = 2.0

#: Families whose LR rises again by design: rises are not resets.
PERIODIC = frozenset({"cosine_restarts", "cyclic"})

__all__ = [
    "FLAT_TOL",
    "HYP_TOL",
    "REL_TOL",
    "describe",
    "diagnose",
    "explains",
    "finding",
    "observed_warmup_end",
    "relerr",
    "sort_findings",
]


# --------------------------------------------------------------------------- entry point


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
    out += _rule_non_finite(x_all, y_all)
    ok = np.isfinite(y_all)
    x, y = x_all[ok], y_all[ok]
    out += _rule_too_few(x, fit)
    if intended is None:
        out += _rules_without_config(x, y, fit, notes=series.notes)
    elif intended.unit != intended.log_unit and not _unit_free(intended):
        out += _rule_unknown_unit(intended)
        out += _rule_peak_without_axis(x, y, intended)
        out += _rules_without_config(
            x, y, fit, constant_ok=_is_constant_schedule(intended.schedule), notes=series.notes
        )
    elif x.size:
        if compare_from is not None:
            keep = x >= compare_from
            x, y = x[keep], y[keep]
        if x.size:
            out += _Compare(
                x, y, fit, intended, secondary=compare_from is not None, notes=series.notes
            ).run()
    # after the comparison: a reset it explains keeps its message (dedupe keeps the first)
    out += _rule_replaced(series)
    return sort_findings(_dedupe(out))


def finding(
    name: str,
    message: str,
    *,
    severity: Severity | None = None,
    step: float | None = None,
    expected: Any = None,
    observed: Any = None,
) -> Finding:
    """A :class:`Finding` called ``name`` with its stable code and (default) severity."""
    code, default = FINDINGS[name]
    st = None if step is None else int(round(float(step)))
    return Finding(name, code, severity or default, message, st, expected, observed)


def sort_findings(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """Worst first, then by code, step and message: the same input gives the same order."""
    return tuple(
        sorted(
            findings,
            key=lambda f: (-f.severity.rank, f.code, -1 if f.step is None else f.step, f.message),
        )
    )


def _dedupe(findings: list[Finding]) -> list[Finding]:
    """One ``schedule_reset`` per step (a resume seen both in the merge and in the values)."""
    out: list[Finding] = []
    seen: set[tuple[str, int | None]] = set()
    for f in findings:
        key = (f.name, f.step) if f.name == "schedule_reset" else (f.name, id(f))
        if key in seen:
            continue
        seen.add(key)
        out.append(f)
    return out


# --------------------------------------------------------------------------- formatting


def _lr(v: float) -> str:
    if isinstance(v, _Unknown):
        return "?"
    return f"{float(v):.6g}"


def _st(v: float) -> str:
    if isinstance(v, _Unknown):
        return "?"
    v = float(v)
    if v.is_integer():
        return f"{int(v):,}"
    return f"{v:,.4g}"


def _pct(p: float) -> str:
    p = abs(float(p))
    if p >= 10:
        return f"{p:.0f}"
    if p >= 0.995:
        return f"{p:.2g}"
    return f"{p:.2g}"


def _units(n: float, unit: str) -> str:
    return f"{_st(n)} {unit}{'' if float(n) == 1 else 's'}"


#: Piecewise schedules with more levels than this are described by their ends.
_MAX_LEVELS = 12


def describe(schedule: Schedule, unit: str = "step", unknown: Iterable[str] = ()) -> str:
    """One readable line for a schedule, e.g. ``exponential 0.004 x0.95 every 800,720 steps``.

    Parameters named in ``unknown`` (a fit's unidentified ones: the data do not determine
    them) are shown as ``?`` rather than quoted as observed values.

    >>> describe(Schedule("cosine", {"peak_lr": 0.1, "end_lr": 0.08, "decay_steps": 1e5}),
    ...          unknown=("end_lr", "decay_steps"))
    'cosine 0.1->? over ? steps'
    """
    unknown = set(unknown)
    p: dict[str, Any] = {k: (_Unknown() if k in unknown else v) for k, v in schedule.params.items()}
    f = schedule.family
    u = unit + "s"
    if f == "constant":
        body = f"constant {_lr(p.get('lr', math.nan))}"
    elif f == "exponential" or f == "inverse_time":
        stair = " (staircase)" if p.get("staircase") else ""
        start = p.get("start_step") or 0
        frm = f" from {unit} {_st(start)}" if start else ""
        op = "x" if f == "exponential" else "/(1+k), k="
        body = (
            f"{f} {_lr(p.get('init_lr', math.nan))} {op}{_lr(p.get('decay_rate', math.nan))} "
            f"every {_st(p.get('decay_steps', math.nan))} {u}{stair}{frm}"
        )
    elif f == "piecewise":
        bs, vs = list(p.get("boundaries", ())), list(p.get("values", ()))
        if len(vs) > _MAX_LEVELS:
            # a schedule sampled per epoch can have thousands of levels: name the ends only
            body = (
                f"piecewise {_lr(vs[0])}, {_lr(vs[1])}, ... {_lr(vs[-1])} "
                f"({len(vs)} levels) at {u} [{_st(bs[0])}, ... {_st(bs[-1])}]"
            )
        else:
            b = ", ".join(_st(v) for v in bs)
            v = ", ".join(_lr(v) for v in vs)
            body = f"piecewise {v} at {u} [{b}]"
    elif f in ("cosine", "polynomial"):
        a = p.get("peak_lr", p.get("init_lr", math.nan))
        start = p.get("start_step") or 0
        frm = f" from {unit} {_st(start)}" if start else ""
        pw = f" power {_lr(p['power'])}" if f == "polynomial" and "power" in p else ""
        body = (
            f"{f}{pw} {_lr(a)}->{_lr(p.get('end_lr', 0.0))} over "
            f"{_st(p.get('decay_steps', math.nan))} {u}{frm}"
        )
    else:
        body = f + " " + ", ".join(f"{k}={_plain_str(v)}" for k, v in p.items())
    w = schedule.warmup
    if w is not None and w.steps > 0:
        ws = "?" if "warmup.steps" in unknown else _units(w.steps, unit)
        w0 = "?" if "warmup.start_lr" in unknown else _lr(w.start_lr)
        body = f"{w.shape} warmup {ws} from {w0}, then " + body
    if schedule.min_lr is not None:
        body += f", floor {'?' if 'min_lr' in unknown else _lr(schedule.min_lr)}"
    return body


class _Unknown(float):
    """A parameter value the data do not determine: formats as ``?`` wherever it is quoted."""

    def __new__(cls) -> _Unknown:
        return super().__new__(cls, math.nan)

    def __format__(self, spec: str) -> str:
        return "?"

    def __str__(self) -> str:
        return "?"

    def is_integer(self) -> bool:
        return False


def _plain_str(v: Any) -> str:
    if isinstance(v, _Unknown):
        return "?"
    if isinstance(v, (bool, str)):
        return str(v)
    if isinstance(v, (int, float, np.number)):
        fv = float(v)
        return _st(fv) if fv.is_integer() and abs(fv) >= 1 else _lr(fv)
    if isinstance(v, (list, tuple, np.ndarray)):
        return "[" + ", ".join(_plain_str(e) for e in v) + "]"
    return str(v)


# --------------------------------------------------------------------------- curve math


def relerr(y: np.ndarray, m: np.ndarray, scale: float | None = None) -> np.ndarray:
    """Point-wise relative disagreement in [0, 1] (see the module docstring); nan -> 1."""
    y = np.asarray(y, dtype=np.float64)
    m = np.asarray(m, dtype=np.float64)
    if scale is None:
        fin = m[np.isfinite(m)]
        scale = float(np.max(np.abs(fin))) if fin.size else 1.0
    den = np.maximum(np.maximum(np.abs(y), np.abs(m)), 1e-6 * scale + 1e-300)
    with np.errstate(invalid="ignore"):
        e = np.abs(y - m) / den
    return np.where(np.isfinite(e), e, 1.0)


@dataclass(frozen=True)
class _Match:
    offset: int
    err: np.ndarray  # relerr per point at that offset
    model: np.ndarray

    @property
    def worst(self) -> float:
        return float(self.err.max()) if self.err.size else 0.0


def _best_offset(x: np.ndarray, y: np.ndarray, sched: Schedule) -> _Match:
    """The alignment offset in {0, -1, +1} that explains most points, then with the smallest
    worst-point error (0 on ties)."""
    cands = []
    for d in (0, -1, 1):
        m = np.asarray(sched.evaluate(x + d), dtype=np.float64)
        cands.append(_Match(d, relerr(y, m), m))
    return min(
        cands,
        key=lambda c: (
            int(np.sum(c.err > HYP_TOL)),
            round(c.worst, 12),
            float(c.err.mean()),
            abs(c.offset),
        ),
    )


def _rel_range(v: np.ndarray) -> float:
    v = v[np.isfinite(v)]
    if v.size == 0:
        return 0.0
    hi = float(np.max(np.abs(v)))
    return float(np.max(v) - np.min(v)) / hi if hi > 0 else 0.0


def _interval(x: np.ndarray, at: float | None = None) -> float:
    """The logging interval (median spacing, or the spacing around ``at``)."""
    if x.size < 2:
        return 1.0
    d = np.diff(x)
    if at is None:
        return float(np.median(d))
    i = int(np.clip(np.searchsorted(x, at), 1, x.size - 1))
    return float(d[i - 1])


def _rise_end(x: np.ndarray, y: np.ndarray) -> tuple[int, bool]:
    """Index of the end of the initial rise (0 = no rise) and whether it lasts to the last point."""
    n = y.size
    i = 0
    while i + 1 < n and y[i + 1] > y[i] * (1 + FLAT_TOL) + 1e-300 and y[i + 1] > 0:
        i += 1
    return i, (i == n - 1 and n >= 2 and i > 0)


def observed_warmup_end(
    x: np.ndarray, y: np.ndarray, fit: FitResult | None = None
) -> tuple[float | None, bool]:
    """Where the logged warmup ends (in logged steps), and whether it lasts the whole run.

    The fit's warmup is used when it has one (``warmup.steps - offset``); otherwise the end of the
    initial rise, refined by extending the ramp's line to the level reached after it.
    """
    if x.size < 2:
        return None, False
    e, to_end = _rise_end(x, y)
    if to_end:
        return None, True
    if e == 0:
        return None, False
    if fit is not None and fit.status != "failed" and fit.schedule.warmup is not None:
        w = float(fit.schedule.warmup.steps) - fit.offset
        if w > 0 and abs(w - x[e]) <= 2 * _interval(x, x[e]) + 1:
            return w, False
    if y[e] <= y[0] * (1 + 0.05):
        return None, False
    if e >= 2:
        slope = np.polyfit(x[:e], y[:e], 1)[0]
        if slope > 0:
            w = float(x[0] + (y[e] - y[0]) / slope)
            return float(np.clip(w, x[e - 1], x[e])), False
    return float(x[e]), False


def _find_resets(
    x: np.ndarray, y: np.ndarray, intended: IntendedSchedule | None = None
) -> list[tuple[int, int]]:
    """``(index of the first point after the restart, index of the jump)`` for each reset.

    A reset is, after the LR had come down from a higher value (the initial warmup is not one),
    either a jump up of more than :data:`JUMP` relative and :data:`JUMP_RANGE` of the curve's
    range in one logged interval, or a sharp drop (to below half, by more than a fifth of the
    range: a warmup restarted from ~0) followed by a rise. Smooth rises (a cosine run past its
    period, a triangular cycle logged densely) are neither. The restart is placed at the drop
    when there is one, else at the jump.
    """
    n = y.size
    out: list[tuple[int, int]] = []
    if n < 3:
        return out
    span = float(np.max(y) - np.min(y))
    if span <= 0:
        return out
    e, _ = _rise_end(x, y)
    run_max = np.maximum.accumulate(y)
    i = e + 1
    while i < n:
        prev_max = float(run_max[i - 2]) if i >= 2 else float(y[i - 1])
        rises = y[i] > y[i - 1] * (1 + JUMP) and prev_max > y[i - 1] * (1 + JUMP)
        if rises:
            m = i - 1
            dropped = m >= 1 and y[m] < 0.5 * y[m - 1] and y[m - 1] - y[m] > 0.2 * span
            jumped = y[i] - y[i - 1] > JUMP_RANGE * span
            if dropped or jumped:
                start = m if dropped else i
                if intended is not None and not dropped:
                    # a warmup restarted from above half the LR it fell from shows no drop: the
                    # restart is the first point that already follows the restarted schedule
                    while start > 1 and _restarts_intended(x, y, start - 1, intended) is not None:
                        start -= 1
                out.append((start, i))
                while i + 1 < n and y[i + 1] > y[i] * (1 + FLAT_TOL):
                    i += 1
        i += 1
    return out


def _uncheckable(intended: IntendedSchedule) -> str | None:
    """The parser's name for a schedule that follows a metric (``settings["uncheckable"]``)."""
    v = _settings(intended.settings).get("uncheckable")
    return str(v) if v else None


def _unit_free(intended: IntendedSchedule) -> bool:
    """A metric-driven schedule without warmup is compared in no unit at all."""
    s = intended.schedule
    return _uncheckable(intended) is not None and (s.warmup is None or s.warmup.steps <= 0)


def _is_constant_schedule(s: Schedule) -> bool:
    if s.family == "constant":
        return s.warmup is None or s.warmup.steps <= 0
    return False


def _periodic(s: Schedule) -> bool:
    if s.family in PERIODIC:
        return True
    if s.family == "piecewise":
        v = [float(a) for a in s.params.get("values", ())]
        return any(b > a for a, b in zip(v, v[1:], strict=False))
    return False


# --------------------------------------------------------------------------- rules on data


def _rule_non_finite(x: np.ndarray, y: np.ndarray) -> list[Finding]:
    bad = ~np.isfinite(y)
    if not bad.any():
        return []
    i = int(np.flatnonzero(bad)[0])
    kinds = "NaN" if np.isnan(y[i]) else "inf"
    before = np.flatnonzero(~bad[:i])
    last_ok = (
        f"; the last finite LR before it was {_lr(y[before[-1]])} at step {_st(x[before[-1]])}"
        if before.size
        else ""
    )
    return [
        finding(
            "non_finite_lr",
            f"{int(bad.sum())} of {y.size} logged LR values are not finite ({kinds} first at "
            f"step {_st(x[i])}){last_ok}: the optimizer state or the schedule diverged",
            step=x[i],
            observed=int(bad.sum()),
        )
    ]


def _rule_too_few(x: np.ndarray, fit: FitResult | None) -> list[Finding]:
    n = int(x.size)
    need = MIN_POINTS
    if fit is not None:
        need = max(need, sum(1 for p in fit.params if p.name != "rate_per_step") + 1)
    if n >= need:
        return []
    span = f" (steps {_st(x[0])}-{_st(x[-1])})" if n >= 2 else ""
    return [
        finding(
            "too_few_points",
            f"only {n} finite LR point{'s' if n != 1 else ''}{span}: too few to fit a schedule "
            f"(need at least {need}); log the LR more often or audit a longer run",
            expected=need,
            observed=n,
        )
    ]


def _rule_replaced(series: LRSeries) -> list[Finding]:
    """A resume that rewrote already-logged steps with a different LR did not restore the state."""
    out: list[Finding] = []
    if not series.replaced or len(series) == 0:
        return out
    steps = np.asarray(series.steps)
    vals = np.asarray(series.values, dtype=np.float64)
    for seg in series.replaced:
        s = np.asarray(seg.steps)
        v = np.asarray(seg.values, dtype=np.float64)
        idx = np.searchsorted(steps, s)
        ok = (idx < steps.size) & np.isfinite(v)
        ok[ok] &= steps[idx[ok]] == s[ok]
        if not ok.any():
            continue
        new = vals[idx[ok]]
        e = relerr(new, v[ok])
        if not (e > HYP_TOL).any():
            continue
        j = int(np.flatnonzero(e > HYP_TOL)[0])
        s0 = float(s[ok][j])
        out.append(
            finding(
                "schedule_reset",
                f"a restart rewrote steps from {_st(s[ok].min())} on with a different LR (step "
                f"{_st(s0)}: {_lr(v[ok][j])} before, {_lr(new[j])} after the restart, "
                f"{_name(seg.file)}): the resumed run did not continue the schedule",
                step=s[ok].min(),
                expected=float(v[ok][j]),
                observed=float(new[j]),
            )
        )
    return out


def _name(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]


def _rules_without_config(
    x: np.ndarray,
    y: np.ndarray,
    fit: FitResult | None,
    constant_ok: bool = False,
    notes: Sequence[str] = (),
) -> list[Finding]:
    out: list[Finding] = []
    n = x.size
    if n == 0:
        return out
    if n >= LONG_RUN_POINTS and _rel_range(y) <= FLAT_TOL and not constant_ok:
        out.append(
            finding(
                "constant_lr",
                f"the LR stays at {_lr(y[0])} at all {n:,} logged points (steps {_st(x[0])}-"
                f"{_st(x[-1])}): no schedule ran (scheduler never stepped, TF1 global_step not "
                "incremented) unless a constant LR was intended; pass --config to check",
                severity=Severity.WARNING,
                step=x[0],
                observed=float(y[0]),
            )
        )
    periodic = fit is not None and fit.status != "failed" and _periodic(fit.schedule)
    if not periodic:
        out += _reset_findings(x, y, None, notes)
    if n >= 3:
        _, to_end = _rise_end(x, y)
        fit_says = (
            fit is not None
            and fit.status != "failed"
            and fit.schedule.warmup is not None
            and float(fit.schedule.warmup.steps) - fit.offset >= x[-1]
        )
        if to_end or (fit_says and y[-1] > y[0]):
            out.append(
                finding(
                    "warmup_exceeds_run",
                    f"the LR rises at every one of the {n} logged points, from {_lr(y[0])} at "
                    f"step {_st(x[0])} to {_lr(y[-1])} at step {_st(x[-1])}, and never levels "
                    "off: the warmup is longer than the run",
                    step=x[-1],
                    observed=float(y[-1]),
                )
            )
    return out


def _reset_findings(
    x: np.ndarray, y: np.ndarray, intended: IntendedSchedule | None, notes: Sequence[str] = ()
) -> list[Finding]:
    out: list[Finding] = []
    for start, jump in _find_resets(x, y, intended):
        s0 = x[start]
        msg = (
            f"the LR jumps back up at step {_st(x[jump])}, from {_lr(y[jump - 1])} to "
            f"{_lr(y[jump])}, after having decreased from {_lr(np.max(y[:jump]))}"
        )
        near = _note_near(notes, x[max(start - 1, 0)], x[jump])
        if near:
            msg += f" (reader: {near})"
        restarted = None if intended is None else _restarts_intended(x, y, start, intended)
        if restarted is not None:
            msg += (
                f"; from step {_st(s0)} on it follows the configured schedule again from its "
                f"start (restarted at step {_st(restarted)}): a resume did not restore the "
                "scheduler state"
            )
        else:
            msg += ": a resume or a rebuilt scheduler restarted the schedule"
        out.append(
            finding(
                "schedule_reset",
                msg,
                step=s0,
                expected=None if intended is None else float(intended.evaluate([s0])[0]),
                observed=float(y[start]),
            )
        )
    return out


_NOTE_STEP = re.compile(r"at step (-?\d+)")


def _note_near(notes: Sequence[str], lo: float, hi: float) -> str | None:
    """The first reader note about a step in ``[lo, hi]`` (a resume, a SessionLog START)."""
    for n in notes:
        for m in _NOTE_STEP.finditer(n):
            if lo <= int(m.group(1)) <= hi:
                return n
    return None


def _restarts_intended(
    x: np.ndarray, y: np.ndarray, start: int, intended: IntendedSchedule
) -> float | None:
    """The step ``r`` such that the points from ``start`` on follow ``intended(s - r)``, if any."""
    xs, ys = x[start:], y[start:]
    if xs.size == 0:
        return None
    lo = x[start - 1] if start >= 1 else xs[0] - 1
    cands = np.unique(np.round(np.linspace(lo, xs[0], min(int(xs[0] - lo) + 1, 201))))
    for r in cands:
        m = intended.evaluate(xs - r)
        if explains(relerr(ys, m)):
            return float(r)
    return None


def _rule_unknown_unit(intended: IntendedSchedule) -> list[Finding]:
    return [
        finding(
            "step_unit_mismatch",
            f"the config ({intended.format}) counts its schedule in {intended.unit}s but the LR is "
            f"logged per {intended.log_unit} and the number of {intended.log_unit}s per "
            f"{intended.unit} is unknown: pass --steps-per-epoch to compare the run with the "
            "config (only log-based checks were made)",
            severity=Severity.INFO,
        )
    ]


def _rule_peak_without_axis(
    x: np.ndarray, y: np.ndarray, intended: IntendedSchedule
) -> list[Finding]:
    """Without the steps per epoch the curves cannot be aligned, but the LR's peak needs no
    axis: a log above the configured curve's maximum (by more than :data:`HYP_TOL`) is a scale
    error whatever the axis (an 8x LR from ``auto_scale_lr`` on 8 GPUs, a hand-scaled LR)."""
    if y.size == 0:
        return []
    end = float(intended.horizon) if intended.horizon else max(float(x[-1]), 1.0)
    peak = _peak(intended.schedule, end)
    obs = float(np.max(y))
    if not (peak > 0 and obs > peak * (1 + HYP_TOL)):
        return []
    k = obs / peak
    i = int(np.argmax(y))
    return [
        finding(
            "lr_scale_mismatch",
            f"the logged LR peaks at {_lr(obs)}, {_ratio(k)} the configured peak {_lr(peak)}, "
            f"which no alignment of the axes can explain: {_scale_cause(k, intended.world_size)}",
            step=float(x[i]),
            expected=peak,
            observed=obs,
        )
    ]


# --------------------------------------------------------------------------- comparison


_HORIZON_PARAM = {
    "exponential": "decay_steps",
    "inverse_time": "decay_steps",
    "cosine": "decay_steps",
    "polynomial": "decay_steps",
    "piecewise": "boundaries",
    "one_cycle": "total_steps",
    "cosine_restarts": "first_period",
    "cyclic": "step_size_up",
    "inverse_sqrt": "timescale",
    "warmup_stable_decay": "decay_steps",
}


def _decay_end(s: Schedule) -> float | None:
    """The step at which the family's decay ends (or, for exponentials, its first period)."""
    p = s.params
    f = s.family
    try:
        if f in ("cosine", "polynomial", "exponential", "inverse_time"):
            return float(p.get("start_step") or 0) + float(p["decay_steps"])
        if f == "piecewise":
            b = list(p.get("boundaries", ()))
            return float(b[-1]) if b else None
        if f == "one_cycle":
            return float(p["total_steps"])
        if f == "warmup_stable_decay":
            w = float(s.warmup.steps) if s.warmup else 0.0
            return w + float(p["stable_steps"]) + float(p["decay_steps"])
        if f == "cosine_restarts":
            return float(p["first_period"])
    except (KeyError, TypeError, ValueError):
        return None
    return None


class _Compare:
    """The with-config rules for one series (see the module docstring for the order)."""

    def __init__(
        self,
        x: np.ndarray,
        y: np.ndarray,
        fit: FitResult | None,
        intended: IntendedSchedule,
        secondary: bool = False,
        notes: Sequence[str] = (),
    ) -> None:
        self.x, self.y, self.fit, self.it = x, y, fit, intended
        self.notes = notes
        self.sched = intended.schedule
        self.secondary = secondary
        self.unit = intended.log_unit or "step"
        w = self.sched.warmup
        self.w_int = float(w.steps) if w is not None and w.steps > 0 else 0.0
        self.out: list[Finding] = []

    # ------------------------------------------------------------------ driver

    def run(self) -> list[Finding]:
        x, y = self.x, self.y
        if _uncheckable(self.it) is not None:
            self._follows_metric(x, y)
            return self.out
        if not self.secondary and self._matches_logged_exact(x, y):
            return self.out
        match = _best_offset(x, y, self.sched)
        if match.worst <= REL_TOL:
            self._after_match(x, y, match)
            return self.out
        if self._constant(x, y, match):
            return self.out
        if not _periodic(self.sched):
            resets = _find_resets(x, y, self.it)
            if resets:
                self.out += _reset_findings(x, y, self.it, self.notes)
                cut = resets[0][0]
                x, y = x[:cut], y[:cut]
                if x.size == 0:
                    return self.out
                match = _best_offset(x, y, self.sched)
                if explains(match.err):
                    return self.out
        if self._scale(x, y, match):
            return self.out
        if not self.secondary and self.w_int > 0 and x[-1] < self.w_int:
            self._inside_warmup(x, y)
            return self.out
        if (
            not self.secondary
            and self.w_int > 0
            and x[0] < self.w_int
            and self._without_warmup(x, y)
        ):
            return self.out
        if self._held_per_epoch(x, y) or self._time_scale(x, y):
            return self.out
        if self._staircase(x, y):
            return self.out
        if self._scaled_and_other(x, y):
            return self.out
        x, y = self._warmup_phase(x, y)
        if x.size == 0:
            return self.out
        match = _best_offset(x, y, self.sched)
        if match.worst <= REL_TOL or explains(match.err):
            self._after_match(x, y, match)
            return self.out
        if self._scale(x, y, match) or self._time_scale(x, y):
            return self.out
        self._decay_or_family(x, y, match)
        return self.out

    # ------------------------------------------------------------------ rules

    def _follows_metric(self, x: np.ndarray, y: np.ndarray) -> None:
        """The schedule follows a monitored metric (ReduceLROnPlateau and its kin).

        The config cannot say where the drops are, so only what it does fix is checked: the
        configured warmup (when there is one), that the LR starts at the configured base LR and
        never exceeds it (such a scheduler only lowers the LR; a rise after a decrease is a
        reset), and, when the parser knows the factor (``settings["plateau_factor"]``), that
        every drop is by a whole power of it or down to the floor. Nothing else is compared and
        no finding says so: the config's assumptions carry the explanation.
        """
        if self.secondary:
            return
        if self.w_int > 0 and x[0] < self.w_int:
            inside = x < self.w_int
            if not explains(_best_offset(x[inside], y[inside], self.sched).err):
                x, y = self._warmup_phase(x, y)
            else:
                x, y = x[~inside], y[~inside]
        if x.size == 0:
            return
        resets = _find_resets(x, y)
        if resets:
            self.out += _reset_findings(x, y, self.it, self.notes)
            x, y = x[: resets[0][0]], y[: resets[0][0]]
            if x.size == 0:
                return
        base = float(self.sched.evaluate([x[0]])[0])
        if not (math.isfinite(base) and base > 0):
            return
        top = int(np.argmax(y))
        starts_at_base = x[0] <= self.w_int + _interval(x)  # logged from the schedule's start
        k = None
        if y[top] > base * (1 + HYP_TOL):
            k, at = float(y[top] / base), top
            what = f"reaches {_lr(y[top])} at {self.unit} {_st(x[top])}, above"
        elif starts_at_base and relerr(y[:1], np.array([base]))[0] > HYP_TOL:
            k, at = float(y[0] / base), 0
            what = f"starts at {_lr(y[0])} at {self.unit} {_st(x[0])}, not at"
        if k is not None:
            how = _uncheckable(self.it)
            self.out.append(
                finding(
                    "lr_scale_mismatch",
                    f"the logged LR {what} the configured base LR {_lr(base)} ({_ratio(k)}), "
                    f"which {how} can only lower: {_scale_cause(k, self.it.world_size)}",
                    step=x[at],
                    expected=base,
                    observed=float(y[at]),
                )
            )
            return
        self._plateau_drops(x, y)

    def _plateau_drops(self, x: np.ndarray, y: np.ndarray) -> None:
        """Each drop of a metric-driven schedule is by ``factor**n`` (n >= 1) or to the floor."""
        f = _settings(self.it.settings).get("plateau_factor")
        if not _is_num(f) or not 0 < float(f) < 1:
            return
        f = float(f)
        floor = self.sched.min_lr
        for i in range(1, y.size):
            if not y[i] < y[i - 1] * (1 - HYP_TOL) or y[i - 1] <= 0:
                continue
            if floor is not None and relerr(y[i : i + 1], np.array([floor]))[0] <= HYP_TOL:
                continue
            n = math.log(y[i] / y[i - 1]) / math.log(f)
            if round(n) >= 1 and abs(y[i] / (y[i - 1] * f ** round(n)) - 1) <= HYP_TOL:
                continue
            self.out.append(
                finding(
                    "decay_mismatch",
                    f"the LR drops from {_lr(y[i - 1])} to {_lr(y[i])} at {self.unit} "
                    f"{_st(x[i])} (x{_lr(y[i] / y[i - 1])}), not by the configured factor "
                    f"{_lr(f)} or a power of it",
                    step=x[i],
                    expected=f,
                    observed=float(y[i] / y[i - 1]),
                )
            )
            return

    def _logged_exact(self, x: np.ndarray, ex: Any = None) -> np.ndarray | None:
        """The intended curve at ``x`` with the parser's exact logged values where it states them.

        A parser sets ``settings["logged_lr_exact"] = {"first_step": k0, "values": [...]}`` when
        the framework's own arithmetic logs something no family + warmup expresses exactly
        (YOLOv5: the warmup scales ``lf(e)``, the decay after it is logged one epoch late).
        """
        if ex is None:
            ex = _settings(self.it.settings).get("logged_lr_exact")
        if not isinstance(ex, Mapping):
            return None
        try:
            k0 = float(ex["first_step"])
            vals = np.asarray(ex["values"], dtype=np.float64).ravel()
        except (KeyError, TypeError, ValueError):
            return None
        idx = x - k0
        inside = (idx >= 0) & (idx < vals.size) & (idx == np.round(idx))
        if not inside.any():
            return None
        m = np.asarray(self.sched.evaluate(x), dtype=np.float64)
        m[inside] = vals[idx[inside].astype(np.int64)]
        return m

    def _matches_logged_exact(self, x: np.ndarray, y: np.ndarray) -> bool:
        """The log is exactly what the config makes the framework log: only the config's own
        doing is reported (a warmup stretched by YOLO's floor, a warmup longer than the run, a
        horizon far past the run)."""
        m = self._logged_exact(x)
        if m is None:
            return False
        err = relerr(y, m)
        if err.size == 0 or float(err.max()) > REL_TOL:
            # the same config under another framework version (Ultralytics: no 100-iteration
            # floor from 8.4.1xx, scheduler stepped after logging up to 8.1) or the bias group
            for alt in _settings(self.it.settings).get("logged_lr_exact_alternatives") or ():
                ma = self._logged_exact(x, alt)
                if ma is not None:
                    ea = relerr(y, ma)
                    if ea.size and float(ea.max()) <= REL_TOL:
                        self._horizon(x)
                        return True
            return False
        if self.w_int > 0 and x[-1] < self.w_int:
            self._warmup_exceeds_configured(x, y, matched=True)
        else:
            self._warmup_floor_of_config(x)
        self._horizon(x)
        return True

    def _warmup_floor_of_config(self, x: np.ndarray) -> None:
        """YOLO's ``nw = max(round(warmup_epochs * nb), 100)``: the floor, not ``warmup_epochs``,
        sets the warmup when ``warmup_epochs * nb < 100``; the config's own doing (like a
        detectron2 WARMUP_ITERS longer than MAX_ITER), reported once per weight group."""
        st = _settings(self.it.settings)
        wep, eff, nw = (
            st.get(k) for k in ("warmup_epochs", "warmup_epochs_effective", "warmup_iterations")
        )
        nb = self.it.steps_per_epoch
        if not all(_is_num(v) for v in (wep, eff, nw, nb)):
            return
        wep, eff, nw, nb = float(wep), float(eff), int(nw), int(nb)
        if nw != 100 or round(wep * nb) >= 100 or eff <= wep or x[-1] < eff - 1:
            return
        self.out.append(
            finding(
                "warmup_mismatch",
                f"the warmup lasts {_st(round(eff, 3))} epochs ({nw} iterations / {nb} per "
                f"epoch), not the configured warmup_epochs {_st(wep)}: YOLO warms up for "
                f"max(round(warmup_epochs x iterations per epoch), 100) iterations and "
                f"{_st(wep)} x {nb} = {_st(round(wep * nb))} is below the 100-iteration floor; "
                f"the log follows this exactly (for a {_st(wep)}-epoch warmup YOLO needs at "
                f"least {math.ceil(100 / wep) if wep > 0 else 100} iterations per epoch, or set "
                f"warmup_epochs to {_st(round(eff, 3))} to state it)",
                step=eff,
                expected=wep,
                observed=round(eff, 3),
            )
        )

    def _after_match(self, x: np.ndarray, y: np.ndarray, match: _Match) -> None:
        """The run agrees with the config: say when a flat curve is the config's doing."""
        if not self.secondary and self.w_int > 0 and x[-1] < self.w_int:
            self._warmup_exceeds_configured(x, y, matched=True)
        self._horizon(x)

    def _horizon(self, x: np.ndarray) -> None:
        s = self.sched
        if _is_constant_schedule(s) or s.family == "constant":
            return
        end = _decay_end(s)
        if end is None:
            end = float(self.it.horizon) if self.it.horizon else None
        last = float(x[-1])
        if end is None or last <= 0 or end < HORIZON_FACTOR * last:
            return
        first = max(self.w_int, float(x[0]))
        if first >= last:
            return
        a, b = (float(v) for v in s.evaluate([first, last]))
        if a == 0:
            return
        change = abs(b - a) / abs(a)
        if change >= HORIZON_FLAT:
            return
        cover = 100.0 * last / end
        p = s.params
        u = self.unit
        if s.family in ("exponential", "inverse_time") and p.get("staircase"):
            first_drop = float(p.get("start_step") or 0) + float(p["decay_steps"])
            what = (
                f"configured decay_rate {_lr(p['decay_rate'])} every "
                f"{_units(p['decay_steps'], u)} (staircase) first changes the LR at {u} "
                f"{_st(first_drop)}, after this {_st(last)}-{u} run ends"
            )
        elif s.family in ("exponential", "inverse_time"):
            what = (
                f"configured decay_rate {_lr(p['decay_rate'])} every "
                f"{_units(p['decay_steps'], u)} changes the LR by {_pct(100 * change)} % over "
                f"this {_st(last)}-{u} run"
            )
        elif s.family == "piecewise":
            b0 = [float(v) for v in p.get("boundaries", ()) if float(v) > last]
            what = (
                f"the first configured boundary after the run is at {u} {_st(b0[0])}"
                if b0
                else f"the configured boundaries lie beyond this {_st(last)}-{u} run"
            ) + f", so the LR stays at {_lr(b)} over this {_st(last)}-{u} run"
        else:
            what = (
                f"the configured {s.family} decay over {_units(end, u)} changes the LR by "
                f"{_pct(100 * change)} % ({_lr(a)} -> {_lr(b)}) over this {_st(last)}-{u} run"
            )
        if s.family in ("exponential", "inverse_time"):
            span = f"one {_st(end)}-{u} decay period"
        else:
            span = f"the schedule's {_st(end)}-{u} horizon"
        self.out.append(
            finding(
                "horizon_exceeds_run",
                f"{what}, which covers {_pct(cover)} % of {span}: flat in TensorBoard and "
                "consistent with the config",
                expected=end,
                observed=last,
            )
        )

    def _constant(self, x: np.ndarray, y: np.ndarray, match: _Match) -> bool:
        if x.size < 2 or _rel_range(y) > FLAT_TOL:
            return False
        m = match.model
        if _rel_range(m) <= REL_TOL:
            return False
        if self.sched.warmup is not None and not self.secondary:
            # flat at the post-warmup value of a schedule that is flat after its warmup: the
            # warmup is what is missing, not the schedule
            nowarm = Schedule(self.sched.family, self.sched.params, None, self.sched.min_lr)
            if explains(_best_offset(x, y, nowarm).err):
                return False
        moved = np.flatnonzero(relerr(m, np.full_like(m, m[0])) > REL_TOL)
        s_move = x[moved[0]] if moved.size else x[-1]
        a, b = float(m[0]), float(m[-1])
        at0 = float(self.sched.evaluate([0.0])[0])
        if relerr(np.array([y[0]]), np.array([at0]))[0] <= HYP_TOL:
            where = f", the configured LR at {self.unit} 0,"
        elif relerr(np.array([y[0]]), np.array([a]))[0] <= HYP_TOL:
            where = " (its first configured value)"
        else:
            where = ""
        self.out.append(
            finding(
                "constant_lr",
                f"the config ({describe(self.sched, self.unit)}) moves the LR from {_lr(a)} to "
                f"{_lr(b)} ({_signed_pct(a, b)}) between {self.unit}s {_st(x[0])} and "
                f"{_st(x[-1])}, but the logged LR stays at {_lr(y[0])}{where} at all {x.size:,} "
                "points: the schedule never advanced (TF1 global_step not passed to minimize(), "
                "or scheduler.step() never called)",
                step=s_move,
                expected=[a, b],
                observed=float(y[0]),
            )
        )
        return True

    def _scale(self, x: np.ndarray, y: np.ndarray, match: _Match) -> bool:
        found = None
        for d in (match.offset, 0, -1, 1):
            m = np.asarray(self.sched.evaluate(x + d), dtype=np.float64)
            tiny = 1e-6 * float(np.max(np.abs(m[np.isfinite(m)]), initial=0.0))
            both_zero = (np.abs(m) <= tiny) & (np.abs(y) <= tiny)  # consistent with any k
            ok = (m > tiny) & (y > tiny)
            if ok.sum() < 2 or not explains((~ok & ~both_zero).astype(float)):
                continue
            r = y[ok] / m[ok]
            k = float(np.median(r))
            if abs(math.log(k)) > math.log1p(10 * HYP_TOL) and explains(np.abs(r / k - 1)):
                found = (m, ok, k)
                break
        if found is None:
            return False
        m, ok, k = found
        ws = self.it.world_size
        cause = _scale_cause(k, ws)
        self.out.append(
            finding(
                "lr_scale_mismatch",
                f"the logged LR is {_ratio(k)} the configured one at every point ({_lr(y[ok][0])} "
                f"vs {_lr(m[ok][0])} at {self.unit} {_st(x[ok][0])}): {cause}",
                step=x[ok][0],
                expected=1.0,
                observed=k,
            )
        )
        return True

    def _scaled_and_other(self, x: np.ndarray, y: np.ndarray) -> bool:
        """Two causes at once: a whole factor on the LR (GPU count, batch scaling) and another
        clock or staircase flag. The factor is read off the first logged point or the peak
        (both survive a change of clock: the curve starts at the same place and keeps its
        maximum); the log divided by it must then be explained by one of the clock or staircase
        hypotheses, whose finding follows the ``lr_scale_mismatch``."""
        if x.size < 6:
            return False
        peak = _peak(self.sched, max(float(x[-1]), _decay_end(self.sched) or 0.0))
        m0 = float(self.sched.evaluate([float(x[0])])[0])
        ks = []
        for k in (float(y[0]) / m0 if m0 > 0 else 0.0, float(np.max(y)) / peak if peak else 0.0):
            whole = _whole_factor(k)
            if whole is not None and all(abs(whole / q - 1) > 1e-9 for q in ks):
                ks.append(whole)
        for k in ks:
            mark = len(self.out)
            yk = y / k
            if self._held_per_epoch(x, yk) or self._time_scale(x, yk) or self._staircase(x, yk):
                rest = self.out[mark:]
                del self.out[mark:]
                self.out.append(
                    finding(
                        "lr_scale_mismatch",
                        f"the logged LR is {_ratio(k)} the configured one ({_lr(float(y[0]))} vs "
                        f"{_lr(m0)} at {self.unit} {_st(x[0])}): {_scale_cause(k, self.it.world_size)}"
                        f"; divided by {k:g} the log is the configured schedule with a second "
                        "fault, below (its numbers are the log divided by that factor)",
                        step=x[0],
                        expected=1.0,
                        observed=k,
                    )
                )
                self.out += rest
                return True
        return False

    def _inside_warmup(self, x: np.ndarray, y: np.ndarray) -> None:
        """The run ends inside the configured warmup and does not match it."""
        if x.size >= 1 and self._without_warmup(x, y):
            return
        self._warmup_exceeds_configured(x, y, matched=False)

    def _nowarm_variants(self) -> list[tuple[Schedule, str]]:
        """The intended schedule as it runs when its warmup is dropped, with what changes.

        The decay may keep its place (torch SequentialLR, a separate warmup wrapper), or start
        at 0 over a horizon extended by the warmup ``W``: schedulers whose decay lasts
        ``N - W`` (HF, timm without warmup_prefix, MMEngine chains ending at max_iters) decay
        over all ``N`` steps when ``W = 0``. A decay that starts at ``W`` but keeps its length
        is the third variant.
        """
        s, w = self.sched, self.w_int
        out = [(Schedule(s.family, s.params, None, s.min_lr), "")]
        p = dict(s.params)
        start = p.get("start_step")
        if _is_num(start) and float(start) > 0:
            if _is_num(p.get("decay_steps")) and abs(float(start) - w) <= max(1.0, 0.01 * w):
                longer = {**p, "start_step": 0, "decay_steps": float(p["decay_steps"]) + w}
                out.append(
                    (
                        Schedule(s.family, longer, None, s.min_lr),
                        f"; the decay runs from {self.unit} 0 over "
                        f"{_units(longer['decay_steps'], self.unit)} (the configured "
                        f"{_st(p['decay_steps'])} plus the {_st(w)} of the warmup, as when the "
                        "warmup is set to 0)",
                    )
                )
            out.append(
                (
                    Schedule(s.family, {**p, "start_step": 0}, None, s.min_lr),
                    f"; the decay starts at {self.unit} 0 instead of {_st(start)}",
                )
            )
        if s.family == "warmup_stable_decay" and _is_num(p.get("stable_steps")):
            longer = {**p, "stable_steps": float(p["stable_steps"]) + w}
            out.append(
                (
                    Schedule(s.family, longer, None, s.min_lr),
                    f"; the stable phase lasts {_units(longer['stable_steps'], self.unit)} "
                    "(the configured one plus the warmup's)",
                )
            )
        return out

    def _without_warmup(self, x: np.ndarray, y: np.ndarray) -> bool:
        """``warmup_missing`` when the log is the config without its warmup (any variant of
        :meth:`_nowarm_variants`), or, failing that, when the log starts at about the peak and
        does not rise while the config ramps up from well below it."""
        for sched, how in self._nowarm_variants():
            if explains(_best_offset(x, y, sched).err):
                self._warmup_missing(x, y, how)
                return True
        inside = x < self.w_int
        if inside.sum() < 1:
            return False
        peak = float(self.sched.evaluate([self.w_int])[0])
        m0 = float(self.sched.evaluate([x[0]])[0])
        yi = y[inside]
        rises = bool(np.any(yi[1:] > yi[:-1] * (1 + FLAT_TOL)))
        near_peak = relerr(yi[:1], np.array([peak]))[0] <= 0.05
        if peak > 0 and m0 <= 0.5 * peak and near_peak and not rises:
            self._warmup_missing(
                x,
                y,
                "; after it the log does not follow the configured decay (moved or not) within "
                f"{_pct(100 * HYP_TOL)} %, which was not compared further",
            )
            return True
        return False

    def _warmup_missing(self, x: np.ndarray, y: np.ndarray, how: str = "") -> None:
        w = self.sched.warmup
        assert w is not None
        self.out.append(
            finding(
                "warmup_missing",
                f"the config has a {w.shape} warmup of {_units(w.steps, self.unit)} from "
                f"{_lr(w.start_lr)}, but the logged LR is already at the post-warmup value "
                f"{_lr(y[0])} at {self.unit} {_st(x[0])}{how}: the warmup did not run",
                step=x[0],
                expected=float(self.sched.evaluate([x[0]])[0]),
                observed=float(y[0]),
            )
        )

    def _warmup_exceeds_configured(self, x: np.ndarray, y: np.ndarray, matched: bool) -> None:
        """The configured warmup is at least as long as the run (or its planned horizon)."""
        w = self.w_int
        horizon = self.it.horizon
        last = float(x[-1])
        planned_longer = horizon is not None and w < horizon and last + _interval(x) < horizon
        if matched and planned_longer:
            return  # an unfinished run that is still in its warmup
        st = _settings(self.it.settings)
        wi = _first(st, ("WARMUP_ITERS", "SOLVER.WARMUP_ITERS", "warmup_iters", "warmup_steps"))
        mi = _first(st, ("MAX_ITER", "SOLVER.MAX_ITER", "max_iter", "max_steps", "num_steps"))
        end = max(w, last + 1)
        peak = float(self.sched.evaluate([end])[0])
        if wi is not None and mi is not None and float(wi) > float(mi):
            why = (
                f"the configured warmup ({_st(float(wi))} {self.unit}s) is longer than the planned "
                f"run ({_st(float(mi))})"
            )
        elif _is_num(st.get("warmup_epochs_effective")) and _is_num(self.it.steps_per_epoch):
            eff, nb = float(st["warmup_epochs_effective"]), int(self.it.steps_per_epoch)
            why = (
                f"the warmup lasts {_st(round(eff, 3))} epochs "
                f"({_st(round(eff * nb))} iterations / {nb} per epoch; YOLO warms up for "
                f"max(round(warmup_epochs x iterations per epoch), 100) iterations"
            )
            if _is_num(st.get("warmup_epochs")):
                why += f", warmup_epochs is {_st(float(st['warmup_epochs']))})"
            else:
                why += ")"
            if horizon is not None:
                why += f" and the planned run {_units(horizon, self.unit)}"
        else:
            why = f"the configured warmup lasts {_units(w, self.unit)}"
            if horizon is not None:
                why += f" and the planned run {_units(horizon, self.unit)}"
            if self._yolo_floor(1.0) is not None or "yolo" in str(self.it.format).lower():
                why += " (YOLO's warmup lasts at least 100 iterations, longer still on a small dataset)"
        self.out.append(
            finding(
                "warmup_exceeds_run",
                f"{why}, so the whole logged run ({self.unit}s {_st(x[0])}-{_st(last)}) is warmup: "
                f"the LR reaches {_lr(y[-1])} at the last point and the post-warmup LR "
                f"the config gives from {self.unit} {_st(end)} ({_lr(peak)}) is never used",
                step=last,
                expected=w,
                observed=last,
            )
        )

    def _held_per_epoch(self, x: np.ndarray, y: np.ndarray) -> bool:
        """An iteration schedule stepped once per epoch: ``y(s) = m(floor((s - p) / H))``.

        The log is a staircase of ``H``-step holds (``H`` from the steps at which the logged value
        changes, or the known iterations per epoch when they agree) whose values are the
        configured curve at the epoch index: the scheduler advanced one configured step per
        epoch, so the schedule runs ``H`` times slower. The points must agree to
        :data:`REL_TOL` (all but about 1 %): the hypothesis has to beat a constant LR even when
        the configured curve barely moves over that many steps.
        """
        if self.unit != "iteration" or x.size < 6:
            return False
        h = _hold_width(x, y, self.it.steps_per_epoch)
        if h is None:
            return False
        first_change = float(x[np.flatnonzero(y[1:] != y[:-1])[0] + 1])
        phase = first_change - h * round(first_change / h)
        best = None
        for p in sorted({0.0, phase}):
            base = np.floor((x - p) / h + 1e-9)
            for d in (0, 1, -1):
                m = np.asarray(self.sched.evaluate(base + d), dtype=np.float64)
                err = relerr(y, m)
                miss = int(np.sum(err > REL_TOL))
                if best is None or miss < best[0]:
                    best = (miss, m)
        assert best is not None
        if not explains(np.where(relerr(y, best[1]) > REL_TOL, 1.0, 0.0)):
            return False
        m_iter = np.asarray(self.sched.evaluate(x), dtype=np.float64)
        j = int(np.argmax(relerr(y, m_iter)))
        spe = self.it.steps_per_epoch
        exact = spe is not None and abs(h - spe) < 0.5
        per = f"{_st(h)}-iteration epoch" + (" (the iterations per epoch)" if exact else "")
        self.out.append(
            finding(
                "step_unit_mismatch",
                f"the logged LR holds each value for {_units(h, 'iteration')} and equals the "
                f"configured {describe(self.sched, 'iteration')} at the epoch index (the LR at "
                f"iteration s is the config's at step floor(s / {_st(h)})): the scheduler was "
                f"stepped once per {per} instead of every iteration, so the schedule runs "
                f"{_st(h)}x slower (at iteration {_st(x[j])} the config gives "
                f"{_lr(m_iter[j])}, the log {_lr(y[j])})",
                step=x[j],
                expected=1,
                observed=h,
            )
        )
        return True

    def _time_scale(self, x: np.ndarray, y: np.ndarray) -> bool:
        if (
            x.size < 3
            or _rel_range(self.sched.evaluate(x)) <= REL_TOL
            and _rel_range(y) <= (REL_TOL)
        ):
            return False
        nowarm = Schedule(self.sched.family, self.sched.params, None, self.sched.min_lr)
        post = x[x >= self.w_int]
        if post.size < 2 or _rel_range(nowarm.evaluate(post)) <= REL_TOL:
            return False  # only the warmup moves: a different warmup, not a different clock
        spe = self.it.steps_per_epoch
        # spe + 1: stepped every iteration on top of the framework's own per-epoch step
        prefer = (float(spe), 1.0 / spe, float(spe + 1)) if spe and spe > 1 else ()
        c = _best_time_scale(x, y, self.sched, prefer)
        if c is None:
            return False
        fam = self.sched.family
        pname = _HORIZON_PARAM.get(fam)
        pval = self.sched.params.get(pname) if pname else None
        obs: Any = None
        detail = ""
        # the factor is determined only when nearby factors do not explain the points too (a
        # curve that barely moves over the run fits any slow enough clock)
        # (checked only when the horizon it implies ends far past the run: piecewise
        # boundaries seen between logged steps match a whole interval of factors legitimately)
        end = _decay_end(self.sched)
        pinned = (
            end is None
            or end / c <= HORIZON_FACTOR * float(x[-1])
            or not any(explains(relerr(y, self.sched.evaluate(c * f * x))) for f in (1.1, 1 / 1.1))
        )
        if pval is not None and pinned:
            obs = _scale_value(pval, 1.0 / c)
            detail = f" ({pname} {_plain_str(pval)} configured, ≈{_plain_str(obs)} observed)"
        elif pval is not None:
            detail = (
                f" ({pname} {_plain_str(pval)} configured; the logged points do not determine "
                "the observed one: a range of factors around this one fits them)"
            )
        near_spe = abs(c / spe - 1) <= 0.05 or abs(c * spe - 1) <= 0.05 if spe else False
        both = bool(spe) and spe > 1 and not near_spe and abs(c / (spe + 1) - 1) <= 0.02
        if spe and spe > 1 and (near_spe or both) and pinned:
            faster = c > 1
            how = (
                "the scheduler was stepped every iteration instead of every epoch"
                if faster
                else "the scheduler was stepped once per epoch instead of every iteration"
            )
            per = f"exactly the {spe:,} iterations per epoch"
            if both:
                how = (
                    "the scheduler was stepped every iteration as well as once per epoch (a "
                    "scheduler.step() in the batch loop while the trainer still steps it per "
                    "epoch)"
                )
                per = f"the {spe:,} iterations per epoch plus one"
            self.out.append(
                finding(
                    "step_unit_mismatch",
                    f"the logged schedule runs {_ratio(c if faster else 1 / c)} "
                    f"{'faster' if faster else 'slower'} than configured{detail}, {per}: {how}",
                    expected=pval,
                    observed=obs,
                )
            )
            return True
        faster = c > 1
        hint = ""
        if not pinned:
            pass
        elif faster and abs(c - round(c)) <= 0.05 * c and round(c) >= 2:
            k = int(round(c))
            hint = (
                f"; a whole factor {k} points to stepping {k} times per configured step (per "
                f"iteration instead of per epoch with {k} iterations per epoch, or a scheduler "
                "stepped twice / once per process)"
            )
        elif not faster and abs(1 / c - round(1 / c)) <= 0.05 / c and round(1 / c) >= 2:
            k = int(round(1 / c))
            hint = (
                f"; a whole factor {k} points to stepping once every {k} configured steps (per "
                "epoch instead of per iteration)"
            )
        self.out.append(
            finding(
                "decay_mismatch",
                f"the logged schedule runs "
                f"{_ratio(c if faster else 1 / c) + ' ' if pinned else ''}"
                f"{'faster' if faster else 'slower'} than configured{detail}{hint}",
                expected=pval,
                observed=obs,
            )
        )
        return True

    def _staircase(self, x: np.ndarray, y: np.ndarray) -> bool:
        s = self.sched
        if s.family not in ("exponential", "inverse_time") or "staircase" not in s.params:
            return False
        was = bool(s.params["staircase"])
        flipped = Schedule(s.family, {**s.params, "staircase": not was}, s.warmup, s.min_lr)
        mm = _best_offset(x, y, flipped)
        if not explains(mm.err):
            return False
        p = s.params
        conf = "staircase (a drop every" if was else "continuous (smooth decay over"
        logged = "decays continuously" if was else "drops in stairs"
        self.out.append(
            finding(
                "staircase_mismatch",
                f"the config's {s.family} decay is {conf} {_units(p['decay_steps'], self.unit)}) "
                f"but the logged LR {logged} (at {self.unit} {_st(x[-1])}: configured "
                f"{_lr(s.evaluate([x[-1]])[0])}, logged {_lr(y[-1])})",
                step=x[-1],
                expected=was,
                observed=not was,
            )
        )
        return True

    def _warmup_phase(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Warmup findings; returns the points after both warmups, for the main comparison."""
        if self.secondary:
            return x, y
        w_obs, to_end = observed_warmup_end(x, y, self.fit)
        w_int = self.w_int
        ramp = self._ramp(x, y) if w_obs is not None else None
        if ramp is not None:
            w_obs = ramp[0]
        res = _interval(x, w_obs if w_obs is not None else w_int)
        unit = self.unit
        if to_end:
            self.out.append(
                finding(
                    "warmup_exceeds_run",
                    f"the logged LR rises at every point up to the last one ({_lr(y[-1])} at "
                    f"{unit} {_st(x[-1])}), but the configured warmup "
                    + (f"ends at {unit} {_st(w_int)}" if w_int else "does not exist")
                    + ": the warmup is stretched over the whole run",
                    step=x[-1],
                    expected=w_int,
                    observed=float(x[-1]),
                )
            )
            return x[:0], y[:0]
        if w_int > 0 and w_obs is None and x[0] < w_int:
            nowarm = Schedule(self.sched.family, self.sched.params, None, self.sched.min_lr)
            inside = x < w_int
            mm = _best_offset(x[inside], y[inside], nowarm)
            if explains(mm.err):
                self._warmup_missing(x, y)
                return x[x >= w_int + 1], y[x >= w_int + 1]
        if w_int > 0 and w_obs is None and x[0] < w_int:
            inside = x < w_int
            mm = _best_offset(x[inside], y[inside], self.sched)
            if inside.sum() >= 2 and not explains(mm.err):
                xi, yi = x[inside], y[inside]
                self.out.append(
                    finding(
                        "warmup_mismatch",
                        f"during the configured warmup ({unit}s 0-{_st(w_int)}) the logged LR "
                        f"goes from {_lr(yi[0])} to {_lr(yi[-1])} instead of rising from "
                        f"{_lr(mm.model[0])} to {_lr(mm.model[-1])}: a different warmup, or a "
                        "param group with its own (the YOLO bias group warms down)",
                        step=xi[0],
                        expected=[float(mm.model[0]), float(mm.model[-1])],
                        observed=[float(yi[0]), float(yi[-1])],
                    )
                )
        if w_obs is not None and w_int <= 0:
            self.out.append(
                finding(
                    "warmup_mismatch",
                    f"the logged LR ramps up from {_lr(y[0])} over the first ≈"
                    f"{_units(w_obs, unit)}, but the config has no warmup",
                    step=w_obs,
                    expected=0,
                    observed=w_obs,
                )
            )
        elif w_obs is not None and abs(w_obs - w_int) > max(2 * res, 0.1 * w_int, 1.0):
            yolo = self._yolo_floor(ramp[1] if ramp else None)
            if yolo is not None:
                nb, eff = yolo
                msg = (
                    f"the warmup lasts ≈{_st(round(eff, 2))} epochs, not the configured "
                    f"{_st(w_int)}: the logged ramp rises by {_pct(100 * nb / 100)} % of the "
                    f"target per epoch, i.e. ≈{nb} iterations per epoch, and YOLO warms up for "
                    f"max(warmup_epochs x iterations per epoch, 100) iterations, so the "
                    f"100-iteration floor gives 100/{nb} = {_st(round(eff, 2))} epochs (the "
                    f"logged ramp ends at ≈epoch {_st(round(w_obs, 1))} of the log)"
                )
                observed = round(eff, 3)
            else:
                msg = (
                    f"the logged warmup ends at ≈{unit} {_st(round(w_obs, 1))}, the config's at "
                    f"{unit} {_st(w_int)} ({_ratio(w_obs / w_int)} "
                    f"{'longer' if w_obs > w_int else 'shorter'})" + self._warmup_hint(w_obs)
                )
                observed = round(w_obs, 3)
            self.out.append(
                finding("warmup_mismatch", msg, step=w_obs, expected=w_int, observed=observed)
            )
        elif w_obs is not None and w_int > 0:
            self._warmup_values(x, y, min(w_obs, w_int))
        start = max(w_int, w_obs or 0.0)
        if start <= 0:
            return x, y
        keep = x >= start + 1
        return x[keep], y[keep]

    def _warmup_values(self, x: np.ndarray, y: np.ndarray, end: float) -> None:
        """Same warmup length: the values on the ramp must agree too (its start, its shape)."""
        inside = x < end
        if inside.sum() < 2:
            return
        xi, yi = x[inside], y[inside]
        mm = _best_offset(xi, yi, self.sched)
        if explains(mm.err):
            return
        post = x >= end
        # a ramp that ends within a few percent of the config's while the schedule after it
        # differs: the ramp follows (or heads for) that schedule, so the difference is the main
        # comparison's finding, not a second one about the warmup
        if (
            float(np.max(mm.err)) <= WARMUP_KNOCK_ON
            and post.sum() >= 2
            and not explains(_best_offset(x[post], y[post], self.sched).err)
        ):
            return
        w = self.sched.warmup
        assert w is not None
        j = int(np.argmax(mm.err))
        # a parser that knows its warmup values are approximate says why (YOLO without the
        # batches per epoch): then a difference is worth a note, not a warning
        approx = _settings(self.it.settings).get("warmup_values_approximate")
        self.out.append(
            finding(
                "warmup_mismatch",
                f"the warmup has the configured length ({_units(self.w_int, self.unit)}) but "
                f"other values: at {self.unit} {_st(xi[j])} the config gives "
                f"{_lr(mm.model[j])} ({w.shape} from {_lr(w.start_lr)}), the log "
                f"{_lr(yi[j])}" + (f"; {approx}" if isinstance(approx, str) else ""),
                severity=Severity.INFO if isinstance(approx, str) else None,
                step=xi[j],
                expected=float(mm.model[j]),
                observed=float(yi[j]),
            )
        )

    def _ramp(self, x: np.ndarray, y: np.ndarray) -> tuple[float, float] | None:
        """``(end, slope)`` of the logged warmup as a fraction of the config's post-warmup LR.

        During a warmup ``y(s) = r(s) target(s)`` with ``r`` rising linearly to 1; fitting ``r``
        on the ramp points gives the end ``(1 - a) / b`` even when the target itself decays
        (YOLO warms up towards ``lr0 lf(epoch)``) and between two logged points.
        """
        e, _ = _rise_end(x, y)
        if e < 2:
            return None
        nowarm = Schedule(self.sched.family, self.sched.params, None, self.sched.min_lr)
        tgt = np.asarray(nowarm.evaluate(x[:e]), dtype=np.float64)
        ok = tgt > 0
        if ok.sum() < 2:
            return None
        b, a = np.polyfit(x[:e][ok], y[:e][ok] / tgt[ok], 1)
        if b <= 0:
            return None
        end = (1 - a) / b
        if not (x[e - 1] <= end <= x[e] + _interval(x, x[e])):
            return None
        return float(end), float(b)

    def _yolo_floor(self, slope: float | None) -> tuple[int, float] | None:
        """``(iterations per epoch, warmup epochs)`` when YOLO's 100-iteration floor explains it."""
        fmt = (self.it.format or "").lower()
        framework = str(self.it.settings.get("framework", "")).lower() if self.it.settings else ""
        if slope is None or self.unit != "epoch":
            return None
        if fmt not in ("yolov5", "ultralytics", "yolo") and "yolo" not in framework:
            return None
        nb = int(round(100 * slope))  # the fraction rises by nb / 100 per epoch
        if nb < 1 or 100 / nb <= self.w_int:
            return None
        return nb, 100.0 / nb

    def _warmup_hint(self, w_obs: float) -> str:
        if self.it.steps_per_epoch and self.w_int:
            r = w_obs / self.w_int
            spe = self.it.steps_per_epoch
            if abs(r / spe - 1) <= 0.1 or abs(r * spe - 1) <= 0.1:
                return ": the warmup was counted in the wrong unit (epochs vs iterations)"
        return ""

    def _decay_or_family(self, x: np.ndarray, y: np.ndarray, match: _Match) -> None:
        e = match.err
        j = int(np.argmax(e))
        at = (
            f"at {self.unit} {_st(x[j])} the config gives {_lr(match.model[j])}, the log "
            f"{_lr(y[j])}"
        )
        fit = self.fit
        s = self.sched
        pw = _piecewise_diffs(x, y, s, self.unit) if s.family == "piecewise" else None
        if (fit is None or fit.status == "failed") and pw:
            self.out.append(
                finding(
                    "decay_mismatch",
                    f"the logged piecewise schedule differs from the config: {pw} ({at})",
                    step=x[j],
                    expected=float(match.model[j]),
                    observed=float(y[j]),
                )
            )
            return
        if fit is None or fit.status == "failed":
            self.out.append(
                finding(
                    "decay_mismatch",
                    f"the logged LR departs from the config ({describe(s, self.unit)}) by up to "
                    f"{_pct(100 * e[j])} % ({at})",
                    step=x[j],
                    expected=float(match.model[j]),
                    observed=float(y[j]),
                )
            )
            return
        same, alt = _same_family(fit, s)
        if same:
            diffs = _param_diffs(fit, alt, s, x)
            if not diffs and s.family == "piecewise":
                pw = _piecewise_diffs(x, y, s, self.unit)
                diffs = [pw] if pw else []
            what = "; ".join(diffs) if diffs else f"up to {_pct(100 * e[j])} % apart"
            self.out.append(
                finding(
                    "decay_mismatch",
                    f"the logged {s.family} schedule differs from the config: {what} ({at})",
                    step=x[j],
                    expected=float(match.model[j]),
                    observed=float(y[j]),
                )
            )
            return
        self.out.append(
            finding(
                "family_mismatch",
                f"the config describes {describe(s, self.unit)}, but the logged LR follows "
                f"{describe(fit.schedule, self.unit, fit.unidentified)} (fit RMS log error "
                f"{fit.rmse_log:.2g}); {at}",
                step=x[j],
                expected=s.family,
                observed=fit.schedule.family,
            )
        )


# --------------------------------------------------------------------------- helpers


def _signed_pct(a: float, b: float) -> str:
    if a == 0:
        return "from 0"
    p = 100.0 * (b - a) / abs(a)
    return f"{'+' if p >= 0 else '-'}{_pct(p)} %"


def _ratio(k: float) -> str:
    if k >= 1:
        return f"{k:.3g}x"
    return f"1/{1 / k:.3g} x" if k > 0 else f"{k:.3g}x"


def _peak(sched: Schedule, end: float) -> float:
    """The largest LR of ``sched`` over steps ``[0, end]`` (4001 evenly spaced steps)."""
    return float(np.max(sched.evaluate(np.linspace(0.0, end, 4001))))


def _whole_factor(k: float) -> float | None:
    """``k`` rounded to a whole factor or its inverse (2, 8, 1/4, ...) when within 1 % of one;
    ``None`` for factors near 1 or far from whole."""
    if not (k > 0 and math.isfinite(k)):
        return None
    r = float(round(k)) if k >= 1 else 1.0 / round(1 / k)
    if r == 1.0 or abs(k / r - 1) > 0.01:
        return None
    return r


def _scale_cause(k: float, ws: int | None) -> str:
    near = lambda a, b: abs(a / b - 1) <= 0.02  # noqa: E731
    if ws and ws > 1:
        if near(k, ws):
            return f"the LR was multiplied by the world size {ws} (linear scaling rule)"
        if near(k, math.sqrt(ws)):
            return f"the LR was multiplied by √{ws} (square-root scaling, e.g. timm with Adam)"
        if near(k, 1 / ws):
            return f"the LR was divided by the world size {ws}"
    if k > 1 and near(k, round(k)):
        return (
            f"a whole factor {round(k)}: likely the number of GPUs or global batch / reference "
            "batch (linear scaling rule: Detectron2 REFERENCE_WORLD_SIZE, MMEngine "
            "auto_scale_lr, custom Goyal scaling); pass --world-size if that is intended"
        )
    if k < 1 and near(1 / k, round(1 / k)):
        return (
            f"a whole factor 1/{round(1 / k)}: likely the LR was scaled down by the number of "
            "GPUs or by batch size / reference batch, or a different param group was logged"
        )
    return (
        "likely batch-size scaling (global batch / base batch), a different param group, or a "
        "different base LR than configured"
    )


def _hold_width(x: np.ndarray, y: np.ndarray, spe: int | None = None) -> float | None:
    """The width ``H`` of the logged staircase's holds, when the log is one: at least three
    changes of value, at most one per ``H`` steps, each seen at the first logged step on or
    after a multiple of ``H`` (a hold spans at least two logging intervals). ``spe`` (the known
    iterations per epoch) is preferred when it agrees with the changes."""
    ch = np.flatnonzero(y[1:] != y[:-1]) + 1
    if ch.size < 3:
        return None
    xs = x[ch].astype(np.float64)
    res = _interval(x)
    h = float(xs[-1] - xs[0]) / (ch.size - 1)
    if h < 2 * res:
        return None
    cands = ([float(spe)] if spe else []) + [float(round(h)), h]
    for c in cands:
        if c < 2 * res:
            continue
        k = np.round((xs - xs[0]) / c)
        if np.all(np.diff(k) >= 1) and np.all(np.abs(xs - xs[0] - k * c) <= res + 1e-9):
            return c
    return None


def _best_time_scale(
    x: np.ndarray, y: np.ndarray, sched: Schedule, prefer: Sequence[float] = ()
) -> float | None:
    """The factor ``c`` with ``y(s) ≈ m(c s)``, or None (also when ``c ≈ 1`` already explains).

    ``prefer``: factors to try first (steps per epoch and its inverse). Piecewise curves match
    on a whole interval of ``c`` (boundaries fall between logged steps); the roundest value of
    that interval is returned.
    """
    if explains(relerr(y, sched.evaluate(x))):
        return None
    for c in prefer:
        if (
            c > 0
            and abs(math.log(c)) > math.log(1.02)
            and explains(relerr(y, sched.evaluate(c * x)))
        ):
            return float(c)
    idx = np.unique(np.linspace(0, x.size - 1, min(x.size, 400)).round().astype(int))
    xs, ys = x[idx], y[idx]
    cs = np.exp(np.linspace(math.log(1e-3), math.log(1e3), 1201))
    m = np.asarray(sched.evaluate((cs[:, None] * xs[None, :]).ravel()), dtype=np.float64)
    m = m.reshape(cs.size, xs.size)
    fin = m[np.isfinite(m)]
    scale = float(np.max(np.abs(fin))) if fin.size else 1.0
    e = relerr(np.broadcast_to(ys, m.shape), m, scale=scale)
    frac = np.mean(e <= HYP_TOL, axis=1)
    rms = np.sqrt(np.mean(e * e, axis=1))

    def rms_at(t: float) -> float:
        ee = relerr(ys, sched.evaluate(math.exp(t) * xs), scale=scale)
        return float(np.sqrt(np.mean(ee * ee)))

    cands: list[float] = []
    i_f = int(np.lexsort((rms, -frac))[0])
    good = frac >= frac[i_f] - 1e-12
    lo = hi = i_f
    while lo > 0 and good[lo - 1]:
        lo -= 1
    while hi + 1 < cs.size and good[hi + 1]:
        hi += 1
    cands.append(_roundest(float(cs[lo]), float(cs[hi])))
    for i in (int(np.argmin(rms)), i_f):
        t_lo = math.log(cs[max(i - 1, 0)])
        t_hi = math.log(cs[min(i + 1, cs.size - 1)])
        res = minimize_scalar(
            rms_at, bounds=(t_lo, t_hi), method="bounded", options={"xatol": 1e-7}
        )
        c = math.exp(float(res.x))
        cands += [_roundest(c / 1.003, c * 1.003), c]
    for c in cands:
        if abs(math.log(c)) <= math.log(1.02):
            continue
        if explains(relerr(y, sched.evaluate(c * x))):
            return c
    return None


def _roundest(lo: float, hi: float) -> float:
    """The roundest number in [lo, hi] (a whole number, or the inverse of one, when possible)."""
    inv = hi < 1
    a, b = (1 / hi, 1 / lo) if inv else (lo, hi)
    for step in (1000, 500, 100, 50, 10, 5, 2, 1, 0.5, 0.1, 0.01):
        k = math.ceil(a / step - 1e-9)
        v = k * step
        if v <= b * (1 + 1e-9) and v > 0:
            return 1 / v if inv else v
    return math.sqrt(lo * hi)


def explains(err: np.ndarray) -> bool:
    """Whether a hypothesis explains the points: all within :data:`HYP_TOL` but about 1 %.

    A few points may miss (a boundary that falls between two logged steps, a ±1 step offset):
    ``floor(n / 100)`` of them, plus one from 20 points on.
    """
    n = int(err.size)
    if n == 0:
        return True
    allowed = n // 100 + (1 if n >= 20 else 0)
    return int(np.sum(err > HYP_TOL)) <= allowed


def _scale_value(v: Any, f: float) -> Any:
    if isinstance(v, (list, tuple, np.ndarray)):
        return [_scale_value(e, f) for e in v]
    try:
        fv = float(v) * f
    except (TypeError, ValueError):
        return v
    return round(fv) if abs(fv) >= 10 else round(fv, 4)


def _same_family(fit: FitResult, s: Schedule) -> tuple[bool, Schedule | None]:
    """Whether the logged curve is of the config's family: the fit's or a close alternative."""
    fam = fit.schedule.family
    if fam == s.family:
        return True, fit.schedule
    stair = {"exponential", "piecewise"}
    if {fam, s.family} <= stair and (s.family == "piecewise" or s.params.get("staircase")):
        return True, None
    for a in fit.alternatives:
        if a.family == s.family and a.delta_bic < 10 and a.rmse_log <= max(10 * fit.rmse_log, 1e-4):
            return True, a.schedule
    return False, None


def _param_diffs(fit: FitResult, alt: Schedule | None, s: Schedule, x: np.ndarray) -> list[str]:
    """``name: configured A, observed ≈B`` for identified parameters that differ by > 1 %."""
    out: list[str] = []
    if alt is None:
        return out
    ident = set(fit.identified) if alt is fit.schedule else _window_identified(alt, x)
    res = _interval(x)
    for name, conf in s.params.items():
        if name not in alt.params or name not in ident:
            continue
        got = alt.params[name]
        if _differs(conf, got, res if "step" in name or name == "boundaries" else 0.0):
            out.append(f"{name} configured {_plain_str(conf)}, observed ≈{_plain_str(got)}")
    if (
        s.family == "exponential"
        and "rate_per_step" in fit.identified
        and not s.params.get("staircase")
    ):
        k_obs = next(p.value for p in fit.params if p.name == "rate_per_step")
        try:
            k_conf = math.log(float(s.params["decay_rate"])) / float(s.params["decay_steps"])
        except (KeyError, ValueError, ZeroDivisionError):
            k_conf = math.nan
        if math.isfinite(k_conf) and _differs(k_conf, k_obs, 0.0):
            out.append(
                f"decay per step ln(decay_rate)/decay_steps configured {k_conf:.4g}, observed "
                f"≈{float(k_obs):.4g}"
            )
    return out


def _levels(x: np.ndarray, y: np.ndarray) -> tuple[list[float], list[float]] | None:
    """``(boundaries, values)`` of a logged staircase: each boundary is the first logged step at
    a new level (the change happened after the previous logged step); None unless every level
    is held for at least two points."""
    if x.size < 2:
        return None
    new = np.flatnonzero(relerr(y[1:], y[:-1]) > HYP_TOL) + 1
    starts = np.concatenate([[0], new, [x.size]])
    if np.any(np.diff(starts) < 2):
        return None
    return [float(x[i]) for i in new], [float(y[i]) for i in starts[:-1]]


def _piecewise_diffs(x: np.ndarray, y: np.ndarray, s: Schedule, unit: str) -> str | None:
    """The drops of a logged staircase against the configured piecewise schedule, in the
    logged window: ``every drop is 200 iterations late`` when only the boundaries moved by the
    same amount, else the boundaries and values side by side. None when the log is no
    staircase of at most a few more levels than configured."""
    got = _levels(x, y)
    try:
        cb = [float(b) for b in s.params.get("boundaries", ())]
        cv = [float(v) for v in s.params.get("values", ())]
    except (TypeError, ValueError):
        return None
    if got is None or len(cv) != len(cb) + 1:
        return None
    ob, ov = got
    if len(ob) > len(cb) + 2:
        return None
    lo, hi = float(x[0]), float(x[-1])
    inb = [b for b in cb if lo < b <= hi]
    inv = [cv[int(np.searchsorted(cb, lo, side="right"))]]
    inv += [cv[cb.index(b) + 1] for b in inb]
    res = _interval(x)
    same_values = len(ov) == len(inv) and not np.any(relerr(np.array(ov), np.array(inv)) > HYP_TOL)
    slash = lambda v, f: "/".join(f(a) for a in v) or "none"  # noqa: E731
    if same_values and ob and len(ob) == len(inb):
        d = np.array(ob) - np.array(inb)
        if float(d.max() - d.min()) <= res and float(np.abs(d).max()) > res:
            shift = float(np.median(d))
            how = "late" if shift > 0 else "early"
            return (
                f"every drop is {_units(round(abs(shift)), unit)} {how} (at {unit}s "
                f"{slash(ob, _st)} instead of the configured {slash(inb, _st)}; same values "
                f"{slash(ov, _lr)})"
            )
    parts = []
    if len(ob) != len(inb) or any(abs(a - b) > res for a, b in zip(ob, inb, strict=False)):
        parts.append(
            f"the LR drops at {unit}s ≈{slash(ob, _st)} instead of the configured {slash(inb, _st)}"
        )
    if not same_values:
        parts.append(f"the levels are {slash(ov, _lr)} instead of {slash(inv, _lr)}")
    return "; ".join(parts) or None


def _window_identified(alt: Schedule, x: np.ndarray) -> set[str]:
    """An alternative's parameters the logged window can determine (alternatives carry no
    identifiability of their own): all but the horizon and end value of a decay that ends far
    past the run (:data:`HORIZON_FACTOR` times its last step)."""
    names = set(alt.params)
    end = _decay_end(alt)
    if end is not None and x.size and end > HORIZON_FACTOR * float(x[-1]):
        names -= {"decay_steps", "end_lr", "total_steps", "first_period", "stable_steps"}
    return names


def _differs(a: Any, b: Any, atol: float) -> bool:
    if isinstance(a, (list, tuple, np.ndarray)) or isinstance(b, (list, tuple, np.ndarray)):
        la, lb = list(np.ravel(a)), list(np.ravel(b))
        return len(la) != len(lb) or any(_differs(u, v, atol) for u, v in zip(la, lb, strict=True))
    if isinstance(a, bool) or isinstance(b, bool) or isinstance(a, str) or isinstance(b, str):
        return a != b
    try:
        fa, fb = float(a), float(b)
    except (TypeError, ValueError):
        return a != b
    return abs(fa - fb) > max(atol, 0.01 * max(abs(fa), abs(fb)))


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


def _settings(settings: Mapping[str, Any] | None) -> dict[str, Any]:
    return dict(settings or {})


def _first(d: Mapping[str, Any], keys: Sequence[str]) -> Any:
    for k in keys:
        if k in d and d[k] is not None:
            return d[k]
    return None
