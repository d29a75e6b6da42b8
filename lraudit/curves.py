"""Curve-shape toolbox: the discrete facts of a logged learning-rate curve, with one set of
tolerances.

Everything here works on finite points sorted by step (``x`` ascending, ``y`` the values) and
returns indices into them. Logged learning rates are float32 (about ``6e-8`` relative rounding),
so the tolerances are stated relative to the values:

* :data:`EQUAL_RTOL`: two consecutive values closer than this are *equal* (two float32 ulps);
* :data:`CHANGE_RTOL`: the smallest relative change that is structure (a rise, a jump, the end
  of a flat stretch) rather than rounding or the first points of a smooth decay;
* :data:`JUMP_RTOL`: a relative change between two consecutive points this large is a *jump*
  (a staircase or piecewise drop) even without flat neighbours.

Detectors: :func:`directions` (sign of each change), :func:`rise_end` (where an initial rise
tops out), :func:`fall_end` (a straight initial fall into a gentler decay), :func:`ramp_shape`,
:func:`flat_jumps` (changes between flat stretches), :func:`rises` (going back up: restarts,
cycles, resets), :func:`peaks`, :func:`flat_tail`, :func:`flat_head_end`, :func:`big_changes`
and :func:`levels`.
"""

from __future__ import annotations

import numpy as np

#: Relative difference under which two logged values count as equal (2 float32 ulps).
EQUAL_RTOL = 2.5e-7
#: Smallest relative change that counts as structure (a jump, a rise, leaving a flat stretch).
CHANGE_RTOL = 1e-5
#: Relative change between consecutive values that is a jump on its own (staircase, piecewise).
JUMP_RTOL = 1e-3
#: Smallest positive number used as a divisor or log argument (keeps ratios finite).
TINY = 1e-300


def directions(y: np.ndarray) -> np.ndarray:
    """Sign of each consecutive change, 0 when the two values are equal to float32 rounding.

    >>> directions(np.array([1.0, 1.0, 2.0, 1.5])).tolist()
    [0, 1, -1]
    """
    if y.shape[0] < 2:
        return np.zeros(0, dtype=np.int8)
    d = np.diff(y)
    scale = np.maximum(np.abs(y[1:]), np.abs(y[:-1]))
    out = np.sign(d).astype(np.int8)
    out[np.abs(d) <= EQUAL_RTOL * scale] = 0
    return out


def relative_changes(y: np.ndarray) -> np.ndarray:
    """``(y[i+1] - y[i]) / max(|y[i]|, |y[i+1]|)`` for each consecutive pair."""
    if y.shape[0] < 2:
        return np.zeros(0)
    scale = np.maximum(np.maximum(np.abs(y[1:]), np.abs(y[:-1])), TINY)
    return np.diff(y) / scale


def rise_end(dirs: np.ndarray, rel: np.ndarray) -> int | None:
    """Index where the initial rise tops out; None when the curve does not start by rising.

    The rise continues while changes are up or equal and ends before the first decrease; it must
    add up to at least :data:`CHANGE_RTOL`.
    """
    nz = np.nonzero(dirs)[0]
    if nz.size == 0 or dirs[nz[0]] < 0:
        return None
    down = np.nonzero(dirs < 0)[0]
    stop = int(down[0]) if down.size else dirs.size
    ups = np.nonzero(dirs[:stop] > 0)[0]
    if ups.size == 0:
        return None
    total = float(np.sum(rel[:stop][dirs[:stop] > 0]))
    if total < CHANGE_RTOL:
        return None
    return int(ups[-1] + 1)


def ramp_shape(x: np.ndarray, y: np.ndarray, dirs: np.ndarray, end: int) -> str:
    """Shape of the initial rise up to index ``end``: ``constant`` (flat, then one jump),
    ``linear`` or ``exponential`` (straighter in log y than in y by 2x)."""
    ups = np.nonzero(dirs[:end] > 0)[0]
    if ups.size == 1 and end >= 2:
        return "constant"
    # compare straightness in y and in log y over the strictly rising points (before the top)
    xs = x[: end + 1][:-1]
    ys = y[: end + 1][:-1]
    if xs.size < 3 or np.any(ys <= 0):
        return "linear"
    lin = _line_resid(xs, ys) / max(float(np.ptp(ys)), TINY)
    lg = np.log(ys)
    ex = _line_resid(xs, lg) / max(float(np.ptp(lg)), TINY)
    return "exponential" if ex < 0.5 * lin else "linear"


def _line_resid(x: np.ndarray, y: np.ndarray) -> float:
    a = np.vstack([x, np.ones_like(x)]).T
    coef, *_ = np.linalg.lstsq(a, y, rcond=None)
    return float(np.max(np.abs(a @ coef - y)))


def fall_end(x: np.ndarray, y: np.ndarray, dirs: np.ndarray) -> int | None:
    """Index after an initial straight fall whose slope then drops by 3x or more (or None).

    The ramp must hold at least 3 points with slopes within 20 % of the first one, and the
    curve must keep changing after it (a decay, not a floor).
    """
    n = x.shape[0]
    if n < 8 or dirs.size == 0 or dirs[0] >= 0:
        return None
    slope = np.diff(y) / np.maximum(np.diff(x), TINY)
    s0 = slope[0]
    off = np.nonzero(np.abs(slope - s0) > 0.2 * abs(s0))[0]
    if off.size == 0:
        return None
    k = int(off[0])  # first transition whose slope differs: the ramp ends in (x[k], x[k + 1]]
    if k < 2 or n - (k + 1) < 3:
        return None
    after = slope[k + 1 :]
    if np.mean(dirs[k + 1 :] != 0) < 0.5 or np.median(np.abs(after)) > abs(s0) / 3:
        return None
    return k + 1


def flat_jumps(dirs: np.ndarray, rel: np.ndarray, start: int) -> list[int]:
    """Indices ``i >= start + 1`` where ``y`` changes between ``i - 1`` and ``i`` by at least
    :data:`CHANGE_RTOL` while a neighbouring transition is flat (a boundary in
    ``(x[i-1], x[i]]``); a missing neighbour (first / last transition) takes the other's value."""
    if not dirs.size:
        return []
    left = np.r_[dirs[1:2] if dirs.size > 1 else [1], dirs[:-1]]
    right = np.r_[dirs[1:], dirs[-2:-1] if dirs.size > 1 else [1]]
    k_all = np.arange(dirs.size)
    is_jump = (
        (dirs != 0) & (k_all >= start) & (np.abs(rel) >= CHANGE_RTOL) & ((left == 0) | (right == 0))
    )
    return [int(k + 1) for k in np.nonzero(is_jump)[0]]


def rises(dirs: np.ndarray, rel: np.ndarray, start: int) -> tuple[int, ...]:
    """Indices where the curve goes up by at least :data:`CHANGE_RTOL` after index ``start``
    (restarts, cycles, resets)."""
    return tuple(
        int(k + 1) for k in np.nonzero(dirs[start:] > 0)[0] + start if rel[k] >= CHANGE_RTOL
    )


def peaks(dirs: np.ndarray) -> tuple[int, ...]:
    """Indices of local maxima (a rise followed, after equal steps, by a fall)."""
    nz = np.nonzero(dirs)[0]
    if nz.size < 2:
        return ()
    d = dirs[nz]
    turn = np.nonzero((d[:-1] > 0) & (d[1:] < 0))[0]
    return tuple(int(nz[t] + 1) for t in turn)


def flat_tail(dirs: np.ndarray, n: int) -> int | None:
    """First index of a flat tail of at least 3 points reached by a decrease (a floor: min_lr or
    end_lr reached), or None."""
    if n < 4 or not dirs.size or dirs[-1] != 0 or np.all(dirs == 0):
        return None
    k = dirs.size - 1
    while k >= 0 and dirs[k] == 0:
        k -= 1
    if dirs[k] < 0 and n - (k + 1) >= 3:
        return k + 1
    return None


def settled_from(y: np.ndarray) -> int | None:
    """First index of a tail (at least two points) that stays within :data:`CHANGE_RTOL` of the
    last value, or None (the curve still moves at its end, or never moves)."""
    lo = float(y[-1])
    moved = np.nonzero(np.abs(y - lo) > CHANGE_RTOL * max(abs(lo), TINY))[0]
    if moved.size and moved[-1] < y.size - 2:
        return int(moved[-1] + 1)
    return None


def flat_head_end(x: np.ndarray, y: np.ndarray) -> float:
    """First step after the initial flat stretch (0 when the curve changes at once)."""
    if y.size < 3:
        return 0.0
    ref = abs(y[0]) if y[0] != 0 else 1.0
    moved = np.nonzero(np.abs(y - y[0]) > CHANGE_RTOL * ref)[0]
    if moved.size == 0 or moved[0] <= 1:
        return 0.0
    return float(x[moved[0] - 1])


def big_changes(y: np.ndarray) -> np.ndarray:
    """Indices ``i`` where ``y[i]`` differs from ``y[i-1]`` by more than :data:`JUMP_RTOL`."""
    if y.size < 2:
        return np.zeros(0, dtype=np.int64)
    prev = np.abs(y[:-1])
    rel = np.abs(np.diff(y)) / np.where(prev > 0, prev, 1.0)
    return np.nonzero(rel > JUMP_RTOL)[0] + 1


def levels(y: np.ndarray, cuts: list[int]) -> list[float]:
    """The median value between consecutive indices of ``cuts`` (``[a, ..., b]``: the stretches
    ``y[a:c1], y[c1:c2], ..., y[ck:b]``)."""
    return [float(np.median(y[a:b])) for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
