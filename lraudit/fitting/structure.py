"""Structure detection: the discrete facts of a learning-rate curve, found before any fitting.

Integer-like parameters (warmup end, staircase boundaries, restart periods) have no gradient, so
they are read off the data first; the continuous parameters are refined afterwards
(:mod:`lraudit.fitting.engine`).

Everything here works on the finite points of a series, sorted by step, with the detectors and
tolerances of :mod:`lraudit.curves`: two consecutive values are *equal* when they differ by at most
:data:`~lraudit.curves.EQUAL_RTOL` relative (two float32 ulps). A *jump* is a change between two
consecutive logged points inside a region that is otherwise flat (piecewise / staircase
schedules, constant warmup); a *rise* after the curve has started to fall marks a restart or a
cycle.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lraudit import curves


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


def detect(x: np.ndarray, y: np.ndarray) -> Structure:
    """Detect the structure of finite points ``(x, y)`` sorted by ``x`` (see :class:`Structure`).

    >>> x = np.arange(10.0); y = np.array([1, 1, 1, .5, .5, .5, .25, .25, .25, .25])
    >>> s = detect(x, y); s.jumps, s.rise_end, s.piecewise_constant
    ((3, 6), None, True)
    >>> s = detect(x, np.minimum(x + 1, 5.0)); s.rise_end, s.warmup_shape
    (4, 'linear')
    """
    n = x.shape[0]
    dirs = curves.directions(y)
    rel = curves.relative_changes(y)
    rise_end = curves.rise_end(dirs, rel)
    warmup_shape = curves.ramp_shape(x, y, dirs, rise_end) if rise_end is not None else None
    start = rise_end or 0
    post = dirs[start:]
    flat_share = float(np.mean(post == 0)) if post.size else 1.0
    jumps = curves.flat_jumps(dirs, rel, start)
    # a constant warmup ends with a jump up at rise_end
    if rise_end is not None and warmup_shape == "constant":
        jumps = [j for j in jumps if j != rise_end]
    return Structure(
        x=x,
        y=y,
        direction=dirs,
        rise_end=rise_end,
        warmup_shape=warmup_shape,
        jumps=tuple(jumps),
        rises=curves.rises(dirs, rel, start),
        flat_share=flat_share,
        tail_flat_from=curves.flat_tail(dirs, n),
        peaks=curves.peaks(dirs),
        fall_end=curves.fall_end(x, y, dirs) if rise_end is None else None,
    )


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
