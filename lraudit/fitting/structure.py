"""Structure detection: the discrete facts of a learning-rate curve, found before any fitting.

Integer-like parameters (warmup end, staircase boundaries, restart periods) have no gradient, so
they are read off the data first; the continuous parameters are refined afterwards
(:mod:`lraudit.fitting.engine`).

Everything here works on the finite points of a series, sorted by step. Two consecutive values are
*equal* when they differ by at most :data:`REL_EQ` relative (two float32 ulps): logged LRs are
float32, so anything closer is rounding. A *jump* is a change between two consecutive logged
points inside a region that is otherwise flat (piecewise / staircase schedules, constant warmup);
a *rise* after the curve has started to fall marks a restart or a cycle.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Relative difference under which two logged values count as equal (2 float32 ulps).
REL_EQ = 2.5e-7
#: Smallest relative change that counts as structure (a jump, a rise) rather than rounding.
REL_SIG = 1e-5


@dataclass(frozen=True, eq=False)
class Structure:
    """What the curve looks like, as indices into the finite, sorted points ``x, y``.

    ``direction[i]`` is the sign (+1, -1, 0 = equal) of ``y[i+1] - y[i]``. ``rise_end`` is the index
    where an initial rise (warmup, one-cycle ramp, first half-cycle) reaches its top, or None when
    the curve does not rise first. ``jumps`` are indices ``i`` such that ``y`` changes between
    ``i-1`` and ``i`` and the curve is flat around (a boundary lies in ``(x[i-1], x[i]]``).
    ``rises`` are indices where the curve goes up after ``rise_end`` (restarts, cycles, resets).
    ``flat_share`` is the share of post-rise transitions that are equal.
    """

    x: np.ndarray
    y: np.ndarray
    direction: np.ndarray
    rise_end: int | None
    warmup_shape: str | None
    jumps: tuple[int, ...]
    rises: tuple[int, ...]
    flat_share: float
    tail_flat_from: int | None
    peaks: tuple[int, ...]
    #: end of an initial straight *falling* ramp followed by a much gentler slope (a warmup
    #: that starts above its target, e.g. YOLOv5's bias group), as an index like ``rise_end``
    fall_end: int | None = None

    @property
    def warmup_end(self) -> int | None:
        """Index where a warmup (rising, or falling straight ramp) hands over to the family."""
        return self.rise_end if self.rise_end is not None else self.fall_end

    @property
    def n(self) -> int:
        return int(self.x.shape[0])

    @property
    def cadence(self) -> float:
        """Median spacing of the logged steps (1 when there is a single point)."""
        return float(np.median(np.diff(self.x))) if self.n > 1 else 1.0

    @property
    def constant(self) -> bool:
        return bool(self.n > 0 and np.all(self.direction == 0))

    @property
    def n_changes(self) -> int:
        """Number of transitions after the initial rise where the value changes."""
        return int(np.sum(self.direction[self.rise_end or 0 :] != 0))

    @property
    def piecewise_constant(self) -> bool:
        """After the initial rise, every change is a jump between flat stretches (>= 1 jump)."""
        return bool(self.jumps) and len(self.jumps) >= 0.9 * self.n_changes

    @property
    def smooth_possible(self) -> bool:
        """A smooth family may explain the curve (not piecewise, or too few changes to tell)."""
        return not self.piecewise_constant or self.n_changes <= 2

    @property
    def rises_smooth(self) -> bool:
        """The curve goes up gradually after its first top (cycles), not only by jumps."""
        start = self.rise_end or 0
        return int(np.sum(self.direction[start:] > 0)) > 2 * max(len(self.rises), 1) and bool(
            self.rises
        )

    @property
    def monotone_after_rise(self) -> bool:
        start = self.rise_end or 0
        return not bool(np.any(self.direction[start:] > 0))

    def boundary_steps(self) -> list[float]:
        """Best single-step estimate of each jump: the first logged step showing the new value."""
        return [float(self.x[i]) for i in self.jumps]


def directions(y: np.ndarray) -> np.ndarray:
    """Sign of each consecutive change, 0 when the two values are equal to float32 rounding."""
    if y.shape[0] < 2:
        return np.zeros(0, dtype=np.int8)
    d = np.diff(y)
    scale = np.maximum(np.abs(y[1:]), np.abs(y[:-1]))
    out = np.sign(d).astype(np.int8)
    out[np.abs(d) <= REL_EQ * scale] = 0
    return out


def detect(x: np.ndarray, y: np.ndarray) -> Structure:
    """Detect the structure of finite points ``(x, y)`` sorted by ``x`` (see :class:`Structure`).

    >>> x = np.arange(10.0); y = np.array([1, 1, 1, .5, .5, .5, .25, .25, .25, .25])
    >>> s = detect(x, y); s.jumps, s.rise_end, s.piecewise_constant
    ((3, 6), None, True)
    >>> s = detect(x, np.minimum(x + 1, 5.0)); s.rise_end, s.warmup_shape
    (4, 'linear')
    """
    n = x.shape[0]
    dirs = directions(y)
    rel = np.zeros(max(n - 1, 0))
    if n > 1:
        scale = np.maximum(np.maximum(np.abs(y[1:]), np.abs(y[:-1])), 1e-300)
        rel = np.diff(y) / scale

    rise_end = _rise_end(y, dirs, rel)
    warmup_shape = _warmup_shape(x, y, dirs, rise_end) if rise_end is not None else None

    start = rise_end or 0
    post = dirs[start:]
    flat_share = float(np.mean(post == 0)) if post.size else 1.0

    # jumps: changes inside otherwise flat stretches (a neighbouring transition is flat); a
    # missing neighbour (first / last transition) takes the other one's value
    jumps: list[int] = []
    if dirs.size:
        left = np.r_[dirs[1:2] if dirs.size > 1 else [1], dirs[:-1]]
        right = np.r_[dirs[1:], dirs[-2:-1] if dirs.size > 1 else [1]]
        k_all = np.arange(dirs.size)
        is_jump = (
            (dirs != 0) & (k_all >= start) & (np.abs(rel) >= REL_SIG) & ((left == 0) | (right == 0))
        )
        jumps = [int(k + 1) for k in np.nonzero(is_jump)[0]]
    # a constant warmup ends with a jump up at rise_end
    if rise_end is not None and warmup_shape == "constant":
        jumps = [j for j in jumps if j != rise_end]

    rises = tuple(int(k + 1) for k in np.nonzero(dirs[start:] > 0)[0] + start if rel[k] >= REL_SIG)

    tail_flat_from = None
    if n >= 4 and dirs.size and dirs[-1] == 0 and not np.all(dirs == 0):
        k = dirs.size - 1
        while k >= 0 and dirs[k] == 0:
            k -= 1
        # a flat tail after a decrease: a floor (min_lr / end_lr reached) when it spans >= 3 points
        if dirs[k] < 0 and n - (k + 1) >= 3:
            tail_flat_from = k + 1

    peaks = _peaks(y, dirs)
    fall_end = _fall_end(x, y, dirs) if rise_end is None else None
    return Structure(
        x=x,
        y=y,
        direction=dirs,
        rise_end=rise_end,
        warmup_shape=warmup_shape,
        jumps=tuple(jumps),
        rises=rises,
        flat_share=flat_share,
        tail_flat_from=tail_flat_from,
        peaks=peaks,
        fall_end=fall_end,
    )


def _fall_end(x: np.ndarray, y: np.ndarray, dirs: np.ndarray) -> int | None:
    """Index after an initial straight fall whose slope then drops by 3x or more (or None).

    The ramp must hold at least 3 points with slopes within 20 % of the first one, and the
    curve must keep changing after it (a decay, not a floor).
    """
    n = x.shape[0]
    if n < 8 or dirs.size == 0 or dirs[0] >= 0:
        return None
    slope = np.diff(y) / np.maximum(np.diff(x), 1e-300)
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


def _rise_end(y: np.ndarray, dirs: np.ndarray, rel: np.ndarray) -> int | None:
    """Index where the initial rise tops out; None when the curve does not start by rising."""
    nz = np.nonzero(dirs)[0]
    if nz.size == 0 or dirs[nz[0]] < 0:
        return None
    # the rise continues while changes are up or equal; it ends before the first decrease
    down = np.nonzero(dirs < 0)[0]
    stop = int(down[0]) if down.size else dirs.size
    ups = np.nonzero(dirs[:stop] > 0)[0]
    if ups.size == 0:
        return None
    total = float(np.sum(rel[:stop][dirs[:stop] > 0]))
    if total < REL_SIG:
        return None
    return int(ups[-1] + 1)


def _warmup_shape(x: np.ndarray, y: np.ndarray, dirs: np.ndarray, rise_end: int) -> str:
    """Shape of the initial rise: ``constant`` (flat then one jump), ``linear`` or ``exponential``."""
    seg_dirs = dirs[:rise_end]
    ups = np.nonzero(seg_dirs > 0)[0]
    if ups.size == 1 and rise_end >= 2:
        return "constant"
    # compare straightness in y and in log y over the strictly rising points (before the top)
    xs = x[: rise_end + 1][:-1]
    ys = y[: rise_end + 1][:-1]
    if xs.size < 3 or np.any(ys <= 0):
        return "linear"
    lin = _line_resid(xs, ys) / max(float(np.ptp(ys)), 1e-300)
    lg = np.log(ys)
    ex = _line_resid(xs, lg) / max(float(np.ptp(lg)), 1e-300)
    return "exponential" if ex < 0.5 * lin else "linear"


def _line_resid(x: np.ndarray, y: np.ndarray) -> float:
    a = np.vstack([x, np.ones_like(x)]).T
    coef, *_ = np.linalg.lstsq(a, y, rcond=None)
    return float(np.max(np.abs(a @ coef - y)))


def _peaks(y: np.ndarray, dirs: np.ndarray) -> tuple[int, ...]:
    """Indices of local maxima (a rise followed, after equal steps, by a fall)."""
    nz = np.nonzero(dirs)[0]
    if nz.size < 2:
        return ()
    d = dirs[nz]
    turn = np.nonzero((d[:-1] > 0) & (d[1:] < 0))[0]
    return tuple(int(nz[t] + 1) for t in turn)


def keep_mask(x: np.ndarray, y: np.ndarray, st: Structure, budget: int) -> np.ndarray:
    """Points to fit on when the series is long: all points near structure, the rest thinned.

    Keeps the first and last points, a neighbourhood of every jump, rise, peak, the warmup end and
    the start of a flat tail, plus evenly spaced points so that the total is about ``budget``.
    """
    n = x.shape[0]
    if n <= budget:
        return np.ones(n, dtype=bool)
    keep = np.zeros(n, dtype=bool)
    marks = list(st.jumps) + list(st.rises) + list(st.peaks)
    if st.warmup_end is not None:
        marks.append(st.warmup_end)
    if st.tail_flat_from is not None:
        marks.append(st.tail_flat_from)
    marks += [0, n - 1]
    # many marks (a staircase logged every step) must not blow the budget
    marks_arr = np.unique(np.asarray(marks, dtype=np.int64))
    if marks_arr.size > budget // 3:
        marks_arr = marks_arr[np.linspace(0, marks_arr.size - 1, budget // 3).astype(np.int64)]
    for w in (-3, -2, -1, 0, 1, 2):
        idx = np.clip(marks_arr + w, 0, n - 1)
        keep[idx] = True
    # the warmup ramp is where the ±1 offset and the start value are seen: keep its head densely
    if st.rise_end is not None:
        keep[: min(st.rise_end + 1, budget // 6)] = True
    rest = budget - int(keep.sum())
    if rest > 0:
        keep[np.linspace(0, n - 1, rest).astype(np.int64)] = True
    return keep
