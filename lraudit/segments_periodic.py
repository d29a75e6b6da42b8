"""Periodic structure inside one LR series: the restarts and valleys a schedule family makes by
itself, so that :mod:`lraudit.segments` does not take them for resumes.

* :func:`sgdr_restart`: a jump up that restarts a cosine cycle (SGDR, cosine with hard
  restarts): the cycle before it is a cosine half-wave reaching its floor at the jump, and the
  points after it start a cosine from that floor;
* :func:`triangle`: a valley where two straight (or ``exp_range``-bent) sides meet, CyclicLR;
* :func:`periodic`: jumps (or valleys) of one kind at a constant or geometric period with the
  same (or geometrically changing) levels.

A resume is a reset that *breaks* this structure. Everything is numpy on a few hundred points.
"""

from __future__ import annotations

import numpy as np

from lraudit.curves import JUMP_RTOL

__all__ = ["periodic", "sgdr_restart", "triangle"]

_PERIOD_RTOL = 0.03  # equal periods / levels within this (plus one log interval for periods)
_LINEAR_RTOL = 0.5  # slopes of one straight (or exp_range-bent) triangle side
_LEVEL_RTOL = 0.05  # equal levels after cyclic jumps (aliasing moves the first logged point)


def _slopes(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Slopes of ``y`` over ``x`` without the first and last change (an aliased corner)."""
    sl = np.diff(y) / np.diff(x.astype(np.float64))
    return sl[1:-1] if sl.shape[0] > 2 else sl


def _linear(sl: np.ndarray) -> bool:
    """The slopes keep one sign and differ by at most :data:`_LINEAR_RTOL` of the steepest (a
    CyclicLR side: straight, or bent by ``exp_range``'s ``gamma ** t`` over a half cycle)."""
    if sl.shape[0] < 2:
        return True
    top = float(np.max(np.abs(sl)))
    return bool(top > 0 and (sl.max() - sl.min()) <= _LINEAR_RTOL * top and np.all(sl * sl[0] > 0))


def triangle(s: np.ndarray, v: np.ndarray, m: int, a: int, b: int) -> bool:
    """The valley at ``m`` joins a straight fall from the last peak and a straight rise, and the
    valley point lies on the upper envelope of the two lines (``v = max(fall, rise)``, as a
    sampled triangle does): a triangular cycle (CyclicLR), no resume needed to explain it.

    A cycle's amplitude never grows (``triangular2`` halves it, ``exp_range`` shrinks it), so
    when the fall starts at a peak seen in the window the rise ends no higher (to within one
    interval's change, where a sampled peak may lie); and the rise's top turns at once into the
    next straight fall: a rise into a level that holds, or into a curved decay, is a warmup
    into a new schedule (:func:`_next_side_straight`)."""
    top = m
    while top - 1 >= a and v[top - 1] >= v[top]:
        top -= 1
    end = m
    while end + 1 < b and v[end + 1] > v[end]:
        end += 1
    if top == m or end == m:
        return False
    fall, rise = _slopes(s[top : m + 1], v[top : m + 1]), _slopes(s[m : end + 1], v[m : end + 1])
    if not (_linear(fall) and _linear(rise)):
        return False
    fs, rs = -float(fall[-1]), float(rise[0])  # the slopes nearest the valley
    x = s.astype(np.float64)
    gap = x[m + 1] - x[m]
    if top > a and v[end] > v[top] + max(fs, rs) * gap + JUMP_RTOL * abs(v[top]):
        return False
    if not _next_side_straight(s, v, end, b):
        return False
    on_fall = v[m - 1] - fs * (x[m] - x[m - 1]) if m - 1 >= a else -np.inf
    on_rise = v[m + 1] - rs * gap
    tol = 0.25 * max(fs, rs) * gap + JUMP_RTOL * abs(v[m])
    return bool(abs(v[m] - max(on_fall, on_rise)) <= tol)


def _next_side_straight(s: np.ndarray, v: np.ndarray, end: int, b: int) -> bool:
    """The points after a rise's top ``end`` (while the LR does not rise, inside ``:b``) fall
    along a straight (or ``exp_range``-bent) side, as a triangle's next side does; True when
    too few of them are seen to tell (at most three changes)."""
    k = end
    while k + 1 < b and v[k + 1] <= v[k]:
        k += 1
    if k - end < 4:
        return True
    return _linear(_slopes(s[end : k + 1], v[end : k + 1]))


def sgdr_restart(
    s: np.ndarray, v: np.ndarray, i: int, a: int, ups: list[int], b: int | None = None
) -> bool:
    """The jump up at ``i`` restarts a cosine cycle (SGDR, cosine with hard restarts): the
    cycle before it is a cosine half-wave that reaches its floor at a step ``r`` between the
    last point before the jump and the jump,

    .. math:: v(t) = f + A \\, (1 + \\cos(\\pi (t - c) / (r - c))) / 2,

    (``c`` the cycle's start: inside the logging gap of the previous restart, else anywhere
    before its first point), and the points after the jump start a cosine from the same floor
    ``f`` at ``r``, no higher than ``f + A``. A decay of another shape, one cut before its
    floor, or a jump into a warmup or a flat level breaks that structure: a resume.
    """
    b = v.shape[0] if b is None else b
    prev = max([a, *[u for u in ups if u < i]])
    nxt = min([u for u in ups if u > i] + [b])
    if i - prev < 4 or not np.isfinite(v[prev:nxt]).all():
        return False
    x = s.astype(np.float64)
    top = prev + int(np.argmax(v[prev:i]))
    if i - top < 3:
        return False
    t, y = x[top:i], v[top:i]
    gap = (x[i - 1], x[i])
    if top == prev and prev > a:  # the cycle starts at the previous restart
        fit = _cosine_cycle(t, y, (x[prev - 1], x[prev]), gap)
    else:  # it started at or before its first falling point (a warmup may overlay it)
        fit = _cosine_cycle(t, y, None, gap)
    if fit is None:
        return False
    f, amp, r = fit
    top_lr = f + amp
    if v[i] > top_lr * (1 + _PERIOD_RTOL) + 1e-12:
        return False
    if nxt - i < 3:
        return True  # too few points after the jump to see the next cycle's shape
    return _cosine_from(x[i:nxt], v[i:nxt], f, r, amp)


#: A cosine cycle fits a curve when its worst point is off by at most this share of the
#: cycle's amplitude (float32 rounding and the sub-interval search are far below it; a
#: decay of another shape or one cut before its floor is off by several percent).
_COS_TOL = 0.01
_MAX_PHASE = 0.75  # a cycle seen from its start: at most this share of it before its first point
_COS_POINTS = 256  # points of a cycle used in the fit (evenly spread, the last ones kept)


def _subsample(t: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if t.shape[0] <= _COS_POINTS:
        return t, y
    k = np.unique(np.r_[np.linspace(0, t.shape[0] - 1, _COS_POINTS).astype(np.int64)])
    return t[k], y[k]


def _ls_cos(t: np.ndarray, y: np.ndarray, c: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, ...]:
    """For each grid row (cycle start ``c``, end ``r``): least-squares floor ``f`` and
    amplitude ``A`` of ``f + A (1 + cos(pi (t - c) / (r - c))) / 2`` and the worst residual
    over ``A``."""
    ph = np.clip((t[None, :] - c[:, None]) / (r - c)[:, None], 0.0, 1.0)
    phi = 0.5 * (1.0 + np.cos(np.pi * ph))
    pm = phi.mean(axis=1, keepdims=True)
    ym = float(y.mean())
    var = ((phi - pm) ** 2).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        amp = ((phi - pm) * (y - ym)[None, :]).sum(axis=1) / var
        f = ym - amp * pm[:, 0]
        res = np.abs(y[None, :] - f[:, None] - amp[:, None] * phi).max(axis=1)
        err = np.where((amp > 0) & (var > 0), res / amp, np.inf)
    return np.where(np.isfinite(err), err, np.inf), f, amp


def _cosine_cycle(
    t: np.ndarray,
    y: np.ndarray,
    start: tuple[float, float] | None,
    end: tuple[float, float],
) -> tuple[float, float, float] | None:
    """``(f, A, r)`` of the cosine half-wave through the points ``(t, y)`` that ends at a step
    ``r`` in ``end`` (open-closed) and starts in ``start`` (or, when None, before the first
    point, at most :data:`_MAX_PHASE` of the cycle before it), when its worst point is within
    :data:`_COS_TOL` of ``A``; else None. A grid over both, then finer grids around the best
    three cells."""
    t, y = _subsample(t, y)
    span = t[-1] - t[0]
    lo_c, hi_c = (0.0, _MAX_PHASE) if start is None else start

    def grid(rr: np.ndarray, cc: np.ndarray) -> tuple[np.ndarray, ...]:
        R, C = (g.reshape(-1) for g in np.meshgrid(rr, cc))
        if start is None:  # C is the phase at the first point: the start step follows
            cs = (t[0] - C * R) / (1.0 - C)
            cs = np.where(R - cs > span, cs, np.nan)
        else:
            cs = C
        err, f, amp = _ls_cos(t, y, cs, R)
        return err, f, amp, R, C

    dr, dc = (end[1] - end[0]) / 16, (hi_c - lo_c) / 24
    err, f, amp, R, C = grid(np.linspace(*end, 17)[1:], np.linspace(lo_c, hi_c, 25))
    best = int(np.argmin(err))
    out = (float(err[best]), float(f[best]), float(amp[best]), float(R[best]))
    for k in np.argsort(err)[:3].tolist():
        r0, c0, sr, sc = R[k], C[k], dr, dc
        for _ in range(2):
            rr = np.linspace(max(end[0] + 1e-9, r0 - sr), min(end[1], r0 + sr), 9)
            cc = np.linspace(max(lo_c, c0 - sc), min(hi_c, c0 + sc), 9)
            e2, f2, a2, R2, C2 = grid(rr, cc)
            j = int(np.argmin(e2))
            if e2[j] < out[0]:
                out = (float(e2[j]), float(f2[j]), float(a2[j]), float(R2[j]))
            r0, c0, sr, sc = R2[j], C2[j], sr / 4, sc / 4
    err0, f0, a0, r0 = out
    if not np.isfinite(err0):
        return None
    return (f0, a0, r0) if err0 <= _COS_TOL + 1e-6 * (abs(f0) + a0) / a0 else None


def _cosine_from(t: np.ndarray, y: np.ndarray, f: float, r: float, amp: float) -> bool:
    """The points ``(t, y)`` after a restart at ``r`` start a cosine cycle down to the floor
    ``f``, of any period covering them, with an amplitude at most ``amp`` (a cycle's peak may
    decay, never grow)."""
    t, y = _subsample(t, y)
    span = t[-1] - r
    if span <= 0:
        return False
    # the cycle's length as a multiple of the points' span, 1 .. 1000: a log grid, then a
    # finer one around its best cell
    mult = np.exp(np.linspace(0.0, np.log(1000.0), 64))
    best = (np.inf, 0.0)
    for _ in range(3):
        ends = r + span * mult
        ph = np.clip((t[None, :] - r) / (ends - r)[:, None], 0.0, 1.0)
        phi = 0.5 * (1.0 + np.cos(np.pi * ph))
        with np.errstate(invalid="ignore", divide="ignore"):
            a = (phi * (y - f)[None, :]).sum(axis=1) / (phi * phi).sum(axis=1)
            res = np.abs(y[None, :] - f - a[:, None] * phi).max(axis=1)
            err = np.where(a > 0, res / np.maximum(a, 1e-300), np.inf)
        k = int(np.argmin(err))
        if err[k] < best[0]:
            best = (float(err[k]), float(a[k]))
        lo, hi = mult[max(k - 1, 0)], mult[min(k + 1, mult.shape[0] - 1)]
        mult = np.linspace(max(lo, 1.0), hi, 17)
    return bool(best[0] <= _COS_TOL and best[1] <= amp * (1 + _PERIOD_RTOL))


def _consistent(x: np.ndarray, rtol: float, atol: float = 0.0) -> bool:
    """All equal within tolerance, or a geometric sequence (constant ratio)."""
    if x.shape[0] < 2:
        return True
    if np.all(np.abs(x - np.median(x)) <= rtol * np.abs(np.median(x)) + atol):
        return True
    if x.shape[0] < 3 or np.any(x <= 0):
        return False
    r = x[1:] / x[:-1]
    return bool(np.all(np.abs(r - np.median(r)) <= 2 * rtol * np.median(r)))


def periodic(s: np.ndarray, v: np.ndarray, ev: list[int], a: int, up: bool) -> bool:
    """Two or more jumps of one kind at a constant (or geometric) period, with the same (or
    geometrically changing) level after them and before them: a cyclic schedule. Jumps up
    restart cycles whose peaks never grow (:func:`_grows`)."""
    e = np.asarray(ev)
    cyc = np.diff(s[e]).astype(np.float64)
    top = a + int(np.nanargmax(v[a : e[0]])) if e[0] > a else a
    if up and top > a:  # the first cycle runs from its peak (after any warmup) to the first jump
        cyc = np.r_[float(s[e[0]] - s[top]), cyc]
    if cyc.shape[0] < 2:  # a period is seen at least twice
        return False
    dt = float(np.median(np.diff(s[a : e[-1] + 1])))  # one log interval
    if not _consistent(cyc, _PERIOD_RTOL, 1.5 * dt):
        return False
    after, before = v[e], v[e - 1]
    # levels agree within 5 % of the peak plus one logging interval's typical change (the
    # first point logged after a restart lands anywhere inside that interval)
    dv = np.abs(np.diff(v[a : e[-1] + 1]))
    atol = _LEVEL_RTOL * float(np.nanmax(np.abs(v[a : e[-1] + 1]))) + float(np.nanmedian(dv))
    if up and _grows(np.r_[v[top], after] if top > a else after, atol):
        return False
    return _consistent(after, _LEVEL_RTOL, atol) and _consistent(before, _LEVEL_RTOL, atol)


def _grows(peaks: np.ndarray, atol: float) -> bool:
    """A cycle's peak rises above the one before it by more than ``atol``: no cyclic family
    does that (SGDR's and CLR's peaks stay or decay), so the jumps are not its restarts."""
    return bool(np.any(np.diff(peaks) > atol))
