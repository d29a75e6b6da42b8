"""A different clock: the configured curve stepped once per epoch (``y(s) = m(floor(s / H))``),
on a scaled time axis (``y(s) = m(c s)``), or with its staircase flag flipped."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from lraudit.diagnose.context import Ctx
from lraudit.diagnose.curve import (
    HORIZON_PARAM,
    best_offset,
    decay_end,
    explains,
    interval,
    observed_warmup_end,
    rel_range,
    relerr,
)
from lraudit.diagnose.findings import finding
from lraudit.diagnose.thresholds import HORIZON_FACTOR, HYP_TOL, REL_TOL
from lraudit.diagnose.words import describe, lr_str, plain_str, ratio_str, step_str, units_str
from lraudit.types import Schedule, Severity


def held_per_epoch(ctx: Ctx, x: np.ndarray, y: np.ndarray) -> bool:
    """An iteration schedule stepped once per epoch: ``y(s) = m(floor((s - p) / H))``.

    The log is a staircase of ``H``-step holds (``H`` from the steps at which the logged value
    changes, or the known iterations per epoch when they agree) whose values are the
    configured curve at the epoch index: the scheduler advanced one configured step per
    epoch, so the schedule runs ``H`` times slower. The points must agree to
    :data:`REL_TOL` (all but about 1 %): the hypothesis has to beat a constant LR even when
    the configured curve barely moves over that many steps.
    """
    if ctx.unit != "iteration" or x.size < 6:
        return False
    h = hold_width(x, y, ctx.it.steps_per_epoch)
    if h is None:
        return False
    first_change = float(x[np.flatnonzero(y[1:] != y[:-1])[0] + 1])
    phase = first_change - h * round(first_change / h)
    best = None
    for p in sorted({0.0, phase}):
        base = np.floor((x - p) / h + 1e-9)
        for d in (0, 1, -1):
            m = np.asarray(ctx.sched.evaluate(base + d), dtype=np.float64)
            err = relerr(y, m)
            miss = int(np.sum(err > REL_TOL))
            if best is None or miss < best[0]:
                best = (miss, m)
    assert best is not None
    if not explains(np.where(relerr(y, best[1]) > REL_TOL, 1.0, 0.0)):
        return False
    m_iter = np.asarray(ctx.sched.evaluate(x), dtype=np.float64)
    j = int(np.argmax(relerr(y, m_iter)))
    spe = ctx.it.steps_per_epoch
    exact = spe is not None and abs(h - spe) < 0.5
    per = f"{step_str(h)}-iteration epoch" + (" (the iterations per epoch)" if exact else "")
    ctx.out.append(
        finding(
            "step_unit_mismatch",
            f"the logged LR holds each value for {units_str(h, 'iteration')} and equals the "
            f"configured {describe(ctx.sched, 'iteration')} at the epoch index (the LR at "
            f"iteration s is the config's at step floor(s / {step_str(h)})): the scheduler was "
            f"stepped once per {per} instead of every iteration, so the schedule runs "
            f"{step_str(h)}x slower (at iteration {step_str(x[j])} the config gives "
            f"{lr_str(m_iter[j])}, the log {lr_str(y[j])})",
            step=x[j],
            expected=1,
            observed=h,
        )
    )
    return True


def stepped_every_iteration(ctx: Ctx, x: np.ndarray, y: np.ndarray) -> bool:
    """A scheduler the config steps once per epoch, stepped every iteration instead: the log is
    the scheduler's own schedule (:attr:`IntendedSchedule.stepped_per_epoch`) with each
    iteration counted as one of its epochs, ``y(s) = sched(s + d)`` (``d`` in -1..1: the step
    before or after the logging call). Unlike a scaled clock this also holds past the end of
    the configured run: a cosine whose ``T_max`` counts epochs oscillates with period
    ``2 T_max`` iterations (torch's closed form rises again), a held staircase would not."""
    stepped, spe = ctx.it.stepped_per_epoch, ctx.it.steps_per_epoch
    if stepped is None or not spe or spe < 2 or ctx.unit != "iteration" or x.size < 6:
        return False
    with np.errstate(all="ignore"):
        for d in (0, -1, 1):
            m = np.asarray(stepped.evaluate(np.maximum(x + d, 0.0)), dtype=np.float64)
            if explains(relerr(y, m)):
                break
        else:
            return False
        m_conf = np.asarray(ctx.sched.evaluate(x), dtype=np.float64)
    j = int(np.argmax(relerr(y, m_conf)))
    ctx.out.append(
        finding(
            "step_unit_mismatch",
            f"the logged LR is the configured {describe(stepped, 'epoch')} with every iteration "
            f"counted as an epoch: the scheduler was stepped every iteration instead of once per "
            f"epoch, so the schedule runs {step_str(spe)}x faster (the {step_str(spe)} iterations "
            f"per epoch; at iteration {step_str(x[j])} the config gives {lr_str(m_conf[j])}, the "
            f"log {lr_str(y[j])})",
            step=x[j],
            expected=float(m_conf[j]),
            observed=float(y[j]),
        )
    )
    return True


def time_scale(ctx: Ctx, x: np.ndarray, y: np.ndarray) -> bool:
    if x.size < 3 or rel_range(ctx.sched.evaluate(x)) <= REL_TOL and rel_range(y) <= (REL_TOL):
        return False
    nowarm = Schedule(ctx.sched.family, ctx.sched.params, None, ctx.sched.min_lr)
    after = x >= ctx.w_int
    post = x[after]
    if post.size < 2:
        return False
    if rel_range(nowarm.evaluate(post)) <= REL_TOL:
        # the config is flat over the window after its warmup: only a log that still moves
        # after its own rise can be a different clock (an epoch schedule stepped every
        # iteration brings the first milestones into the window); otherwise only the warmup
        # moves: a different warmup, not a different clock
        w_log, to_end = observed_warmup_end(x, y)
        rest = y[x > max(w_log or 0.0, ctx.w_int)]
        if to_end or rest.size < 2 or rel_range(rest) <= REL_TOL:
            return False
    spe = ctx.it.steps_per_epoch
    # spe + 1: stepped every iteration on top of the framework's own per-epoch step
    prefer = (float(spe), 1.0 / spe, float(spe + 1)) if spe and spe > 1 else ()
    c = best_time_scale(x, y, ctx.sched, prefer)
    if c is None:
        return False
    fam = ctx.sched.family
    pname = HORIZON_PARAM.get(fam)
    pval = ctx.sched.params.get(pname) if pname else None
    obs: Any = None
    detail = ""
    # the factor is determined only when nearby factors do not explain the points too (a
    # curve that barely moves over the run fits any slow enough clock)
    # (checked only when the horizon it implies ends far past the run: piecewise
    # boundaries seen between logged steps match a whole interval of factors legitimately)
    end = decay_end(ctx.sched)
    pinned = (
        end is None
        or end / c <= HORIZON_FACTOR * float(x[-1])
        or not any(explains(relerr(y, ctx.sched.evaluate(c * f * x))) for f in (1.1, 1 / 1.1))
    )
    if pval is not None and pinned:
        obs = scale_value(pval, 1.0 / c)
        detail = f" ({pname} {plain_str(pval)} configured, ≈{plain_str(obs)} observed)"
    elif pval is not None:
        detail = (
            f" ({pname} {plain_str(pval)} configured; the logged points do not determine "
            "the observed one: a range of factors around this one fits them)"
        )
    near_spe = abs(c / spe - 1) <= 0.05 or abs(c * spe - 1) <= 0.05 if spe else False
    both = spe is not None and spe > 1 and not near_spe and abs(c / (spe + 1) - 1) <= 0.02
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
        ctx.out.append(
            finding(
                "step_unit_mismatch",
                f"the logged schedule runs {ratio_str(c if faster else 1 / c)} "
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
    ctx.out.append(
        finding(
            "decay_mismatch",
            f"the logged schedule runs "
            f"{ratio_str(c if faster else 1 / c) + ' ' if pinned else ''}"
            f"{'faster' if faster else 'slower'} than configured{detail}{hint}",
            expected=pval,
            observed=obs,
        )
    )
    return True


def staircase(ctx: Ctx, x: np.ndarray, y: np.ndarray) -> bool:
    s = ctx.sched
    if s.family not in ("exponential", "inverse_time") or "staircase" not in s.params:
        return False
    was = bool(s.params["staircase"])
    flipped = Schedule(s.family, {**s.params, "staircase": not was}, s.warmup, s.min_lr)
    mm = best_offset(x, y, flipped)
    if not explains(mm.err):
        return False
    p = s.params
    conf = "staircase (a drop every" if was else "continuous (smooth decay over"
    logged = "decays continuously" if was else "drops in stairs"
    meant = np.asarray(s.evaluate(x), dtype=np.float64)
    with np.errstate(all="ignore"):
        rel = np.abs(y - meant) / np.maximum(np.abs(meant), 1e-30)
    rel = np.where(np.isfinite(rel), rel, 0.0)
    i = int(np.argmax(rel))
    worst = float(rel[i])
    ctx.out.append(
        finding(
            "staircase_mismatch",
            f"the config's {s.family} decay is {conf} {units_str(p['decay_steps'], ctx.unit)}) "
            f"but the logged LR {logged}: they differ most at {ctx.unit} {step_str(x[i])} "
            f"(configured {lr_str(meant[i])}, logged {lr_str(y[i])}, {worst:.0%} apart)",
            severity=Severity.ERROR if worst >= STAIRCASE_ERROR_REL else None,
            step=x[i],
            expected=was,
            observed=not was,
        )
    )
    return True


#: a staircase flag that changes the LR by this much (relative) somewhere in the run is an error:
#: the run trained at another LR, not only along another path
STAIRCASE_ERROR_REL = 0.25


def hold_width(x: np.ndarray, y: np.ndarray, spe: int | None = None) -> float | None:
    """The width ``H`` of the logged staircase's holds, when the log is one: at least three
    changes of value, at most one per ``H`` steps, each seen at the first logged step on or
    after a multiple of ``H`` (a hold spans at least two logging intervals). ``spe`` (the known
    iterations per epoch) is preferred when it agrees with the changes."""
    ch = np.flatnonzero(y[1:] != y[:-1]) + 1
    if ch.size < 3:
        return None
    xs = x[ch].astype(np.float64)
    res = interval(x)
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


def best_time_scale(
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
    cands.append(roundest(float(cs[lo]), float(cs[hi])))
    for i in (int(np.argmin(rms)), i_f):
        t_lo = math.log(cs[max(i - 1, 0)])
        t_hi = math.log(cs[min(i + 1, cs.size - 1)])
        from scipy.optimize import minimize_scalar  # type: ignore[import-untyped]

        res = minimize_scalar(
            rms_at, bounds=(t_lo, t_hi), method="bounded", options={"xatol": 1e-7}
        )
        c = math.exp(float(res.x))
        cands += [roundest(c / 1.003, c * 1.003), c]
    for c in cands:
        if abs(math.log(c)) <= math.log(1.02):
            continue
        if explains(relerr(y, sched.evaluate(c * x))):
            return c
    return None


def roundest(lo: float, hi: float) -> float:
    """The roundest number in [lo, hi] (a whole number, or the inverse of one, when possible)."""
    inv = hi < 1
    a, b = (1 / hi, 1 / lo) if inv else (lo, hi)
    for step in (1000, 500, 100, 50, 10, 5, 2, 1, 0.5, 0.1, 0.01):
        k = math.ceil(a / step - 1e-9)
        v = k * step
        if v <= b * (1 + 1e-9) and v > 0:
            return 1 / v if inv else v
    return math.sqrt(lo * hi)


def scale_value(v: Any, f: float) -> Any:
    if isinstance(v, (list, tuple, np.ndarray)):
        return [scale_value(e, f) for e in v]
    try:
        fv = float(v) * f
    except (TypeError, ValueError):
        return v
    return round(fv) if abs(fv) >= 10 else round(fv, 4)
