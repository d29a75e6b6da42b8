"""Closed-form grid searches for the periods structure detection cannot read (short logs, one or
two points per phase, a window inside the first cycle).

For fixed periods each curve is linear in its levels, so every grid value is solved by (relative)
linear least squares; the best few periods start the fallback candidates.
"""

from __future__ import annotations

import numpy as np

from lraudit.curves import TINY
from lraudit.fitting.engine import EPS_REL
from lraudit.schedules import Family

#: Points used by the grid search of cyclic periods (longer series are thinned evenly).
_GRID_POINTS = 200
#: Rising periods scored together by :func:`_cyclic_scores` (a block of the grid small enough
#: to stay in cache through the dozen passes over it).
_GRID_BLOCK = 4


def cyclic_grid(x: np.ndarray, y: np.ndarray, n_best: int = 3) -> list[tuple[float, float]]:
    """The ``(step_size_up, step_size_down)`` pairs that best explain ``y`` as a triangle wave.

    For fixed periods the CLR curve ``base + (max - base) h(x) a(s)`` is linear in ``base`` and
    ``max - base``, so every pair of a geometric grid (half the logging interval to twice the
    window) is solved in closed form by relative least squares (weights ``1/y``); modes
    triangular and triangular2 are both scored (exp_range starts from them, gamma near 1).
    Cycles shorter than two logging intervals are aliases of longer ones and are skipped.
    """
    if x.size > _GRID_POINTS:
        idx = np.unique(np.linspace(0, x.size - 1, _GRID_POINTS).round().astype(int))
        x, y = x[idx], y[idx]
    span = max(float(x[-1]), 1.0)
    gap = float(np.median(np.diff(x))) if x.size > 1 else 1.0
    lo = max(gap / 4.0, 0.5)
    grid = np.unique(np.geomspace(lo, 2.0 * span, 48))
    s = np.maximum(x, 0.0)[None, None, :]
    # LR scale removed and zeros softened (as in the fit residuals) so the weights stay finite
    y = y / max(float(np.max(y)), TINY)
    ww = 1.0 / np.maximum(y, EPS_REL) ** 2
    best: list[tuple[float, float, float]] = []
    for r, a, b in _cyclic_scores(grid, s, y, ww):
        # a cycle shorter than two logging intervals is an alias of a longer one: not offered
        r[~np.isfinite(r) | (a <= 0) | (b <= 0) | (grid[:, None] + grid[None, :] < 2.0 * gap)] = (
            np.inf
        )
        for k in np.argsort(r, axis=None)[: 2 * n_best]:
            i, j = np.unravel_index(k, r.shape)
            if np.isfinite(r[i, j]):
                best.append((float(r[i, j]), float(grid[i]), float(grid[j])))
    best.sort()
    out: list[tuple[float, float]] = []
    for _, up, dn in best:
        if all(abs(up / a - 1) > 0.05 or abs(dn / b - 1) > 0.05 for a, b in out):
            out.append((up, dn))
        if len(out) >= n_best:
            break
    return out


def _cyclic_scores(
    grid: np.ndarray, s: np.ndarray, y: np.ndarray, ww: np.ndarray
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Weighted squared error ``r`` and levels ``a`` (amplitude), ``b`` (base) of the best
    ``y ~ b + a f`` for every ``(up, down) = (grid[i], grid[j])``, for the triangle wave ``f = h``
    (mode triangular) and ``f = h / 2**cycle`` (triangular2).

    Computed by blocks of :data:`_GRID_BLOCK` rising periods: the same operations on each
    element as over the whole grid at once, without temporaries of the grid's size.
    """
    g = grid.size
    d = grid[None, :, None]
    # the weighted sums as products over the points: s0, t0 do not depend on the periods
    s0, t0 = float(np.sum(ww)), float(ww @ y)
    wy = ww * y
    out = [(np.empty((g, g)), np.empty((g, g)), np.empty((g, g))) for _ in range(2)]
    for i0 in range(0, g, _GRID_BLOCK):
        u = grid[i0 : i0 + _GRID_BLOCK, None, None]
        tot = u + d
        cyc = np.floor(s / tot)
        pos = s - cyc * tot
        # rising (pos / u <= 1 while pos <= u) or falling ((tot - pos) / d < 1 after): the
        # smaller
        h = pos / u
        fall = tot - pos
        fall /= d
        np.minimum(h, fall, out=h)
        buf = fall  # reused for the products and the residuals
        # triangular2 halves the amplitude every cycle: 0.5**cyc is exactly 2**-cyc
        for (r, a, b), f in zip(out, (h, np.ldexp(h, -cyc.astype(np.int64))), strict=True):
            blk = slice(i0, i0 + u.shape[0])
            # weighted least squares of y ~ b + a f
            s1 = f @ ww
            np.multiply(f, f, out=buf)
            s2 = buf @ ww
            t1 = f @ wy
            det = s0 * s2 - s1 * s1
            with np.errstate(all="ignore"):
                b[blk] = bb = (s2 * t0 - s1 * t1) / det
                a[blk] = aa = (s0 * t1 - s1 * t0) / det
                # e = b + a f - y, then e * e
                np.multiply(aa[..., None], f, out=buf)
                buf += bb[..., None]
                buf -= y
                np.multiply(buf, buf, out=buf)
                r[blk] = buf @ ww
    return out


def stair_grid(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float] | None:
    """Staircase width of ``y = init * rate ** floor(x / D)`` by a grid over whole ``D``.

    A staircase logged once or twice per stair shows no flat stretches for structure to read.
    For fixed ``D`` the log of the curve is linear in ``(log init, log rate)``: every ``D`` is
    solved in closed form; among the widths that give the best stair pattern the middle one is
    returned (all of them fit the log equally), with its ``init`` and ``rate``; None when no
    pattern decays.
    """
    span = max(float(x[-1]), 1.0)
    gap = float(np.median(np.diff(x))) if x.size > 1 else 1.0
    grid = np.unique(np.round(np.geomspace(max(gap / 2.0, 1.0), 2.0 * span, 400)))
    grid = grid[grid >= 1]
    f = np.floor(np.maximum(x, 0.0)[None, :] / grid[:, None])
    ly = np.log(y)[None, :]
    fm = f.mean(axis=1, keepdims=True)
    lm = ly.mean(axis=1, keepdims=True)
    var = ((f - fm) ** 2).sum(axis=1)
    with np.errstate(all="ignore"):
        b = ((f - fm) * (ly - lm)).sum(axis=1) / var
    ok = (var > 0) & (b < 0)
    if not ok.any():
        return None
    a = lm[:, 0] - b * fm[:, 0]
    r = ((a[:, None] + b[:, None] * f - ly) ** 2).sum(axis=1)
    r[~ok] = np.inf
    i = int(np.argmin(r))
    same = np.nonzero(np.all(f == f[i], axis=1))[0]
    j = int(same[same.size // 2])
    return float(grid[j]), float(np.exp(a[j])), float(np.exp(b[j]))


def restart_grid(
    fam: Family, x: np.ndarray, y: np.ndarray, mults: tuple[float, ...], n_best: int = 3
) -> list[tuple[float, float]]:
    """``(first_period, period_mult)`` pairs that best explain a short SGDR log.

    With ``peak_decay = 1`` the curve is ``end + (peak - end) h(s)`` for the unit restart shape
    ``h``, linear in ``end`` and ``peak - end``: every first period of a geometric grid (half the
    logging interval to twice the window) is solved by relative least squares. A log with a
    few points per period and a first log after step 0 gives structure no usable read of the
    peak or of the period.
    """
    span = max(float(x[-1]), 1.0)
    gap = float(np.median(np.diff(x))) if x.size > 1 else 1.0
    grid = np.unique(np.geomspace(max(gap / 2.0, 0.5), 2.0 * span, 64))
    yn = y / max(float(np.max(y)), TINY)
    w2 = 1.0 / np.maximum(yn, EPS_REL) ** 2
    found: list[tuple[float, float, float]] = []
    for mult in mults:
        for f0 in grid:
            h = np.asarray(
                fam.fn(
                    x, peak_lr=1.0, end_lr=0.0, first_period=f0, period_mult=mult, peak_decay=1.0
                ),
                dtype=np.float64,
            )
            a = np.stack([np.ones_like(h), h], axis=1) * np.sqrt(w2)[:, None]
            coef, *_ = np.linalg.lstsq(a, yn * np.sqrt(w2), rcond=None)
            if coef[1] <= 0 or coef[0] < -1e-9:
                continue
            r = float(np.sum((a @ coef - yn * np.sqrt(w2)) ** 2))
            found.append((r, float(f0), mult))
    found.sort()
    out: list[tuple[float, float]] = []
    for _, f0, mult in found:
        if all(abs(f0 / g - 1) > 0.05 or mult != m for g, m in out):
            out.append((f0, mult))
        if len(out) >= n_best:
            break
    return out
