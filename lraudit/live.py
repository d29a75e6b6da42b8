"""Live auditing: report each finding once, the first time it is certain.

A run that is still being written (``lraudit watch``, the in-training callbacks of
:mod:`lraudit.callbacks`) shows only a prefix of its LR series. :func:`lraudit.diagnose.diagnose`
on a prefix can say something the next points take back: a constant LR at the peak during the
warmup looks like ``warmup_missing`` until the decay should have started, a single odd point
looks like a different schedule. This module decides when a finding of ``diagnose`` on a prefix
is *certain*, i.e. no continuation of the run can take it back, so that it is reported once, at
the first point where it is certain, and never again.

Departures
----------
A logged point ``(s, y)`` *departs* from the intended schedule ``m`` at alignment ``d`` when

.. math:: e_d(s) = \\frac{|y - m(s + d)|}{\\max(|y|, |m(s + d)|, 10^{-6} \\max|m|)} > \\epsilon

with :data:`NOISE` :math:`\\epsilon = 10^{-4}`: float32 storage of the LR (relative rounding
:math:`6 \\times 10^{-8}`), float32 config values and float32 schedule arithmetic stay below it by
three orders of magnitude, and it is the tolerance at which ``diagnose`` calls a run a match.
The *departures* of a prefix are :math:`\\min_{d \\in \\{-1, 0, 1\\}} \\#\\{s : e_d(s) > \\epsilon\\}`:
the points that disagree with the intended curve under the logging alignment that explains the
most of them (frameworks differ by one step in what the LR logged at step ``s`` is).

The certainty rule (:func:`is_certain`)
---------------------------------------
- ``non_finite_lr``: at once; a NaN or inf is a fact, whatever follows.
- ``constant_lr`` with a config: the intended schedule predicts a change beyond :data:`NOISE`
  at :data:`CONFIRM` (2) logged points, i.e. the flat log departs from it at 2 points under
  every alignment. When the config knows the epoch length (``steps_per_epoch``, an iteration
  schedule), the flat stretch must also span more than one epoch: a scheduler stepped once per
  epoch is flat within the first epoch too, and is a ``step_unit_mismatch``.
- ``schedule_reset``: :data:`CONFIRM` points are logged from the restart on (one high point is
  not yet a restart).
- ``warmup_missing``, ``warmup_mismatch``: the intended warmup should have ended (last step
  ``>= W``), departures ``>= CONFIRM``, and *stable*.
- ``lr_scale_mismatch``: departures ``>= CONFIRM`` and stable.
- any other error or warning (``decay_mismatch``, ``family_mismatch``, ``step_unit_mismatch``,
  ``staircase_mismatch``, ...): departures ``>= CONFIRM``, stable, the last step past the
  intended warmup (the decay has been seen) and, when the log holds while the config moves (a
  staircase: a scheduler stepped once per epoch or every ``H`` steps), :data:`HOLDS` (3) level
  changes, so that the hold width which decides between those findings is measured.
- ``too_few_points``, ``horizon_exceeds_run``, ``warmup_exceeds_run``, every ``info``
  finding, and everything without a config except the facts above: only at the end of the
  run. They are about the whole run (``warmup_exceeds_run`` is also certain at once when the
  config's own warmup is at least its horizon), and without a config a flat or odd stretch may
  be a phase of a schedule nobody described.

*Stable* means the previous audit of the same run, on fewer points, found the same finding too,
so the hypothesis that explains the log has survived new data. At the end of the run
(``final=True``) every finding is certain.

Cost
----
:class:`LiveAudit` keeps the series in growing arrays (amortised O(1) per point) and the
departure counts incrementally (O(new points) per :meth:`LiveAudit.poll`). It runs ``diagnose``
only when the rule could change: a new non-finite value, or new departures (or, without a
config, a rise of the LR) or a finding waiting to become certain, and then at most once every
``max(1, n / 32)`` points, so a run of ``n`` points costs O(log n) audits after the first 32
points. A run that follows its config is never diagnosed before the end. New points are folded
in by batches of ``max(1, n / 256)`` (numpy's fixed cost per call dominates single points), so a
poll after every training step costs about a microsecond once a run has tens of thousands of
points, and at most 0.4 % of the run so far is seen late.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from lraudit.diagnose import diagnose
from lraudit.types import Finding, FitResult, IntendedSchedule, LRSeries, Severity

#: Relative disagreement beyond float32 precision and logging noise (diagnose's match tolerance).
NOISE = 1e-4
#: Departing points (and points after a restart) needed before a finding is certain.
CONFIRM = 2
#: A rise of the LR by more than this (relative) may start a reset; without a config it is
#: what makes a new audit worth running.
RISE = 1e-2
#: Audits are at least ``n * GAP_FRACTION`` points apart once a run has ``n`` points.
GAP_FRACTION = 1 / 32
#: Level changes a staircase log must show before the hold width (the finding) is settled.
HOLDS = 3
#: Findings about the whole run: certain only at its end.
END_OF_RUN = frozenset({"too_few_points", "horizon_exceeds_run", "warmup_exceeds_run"})
#: Findings about the warmup: certain once the intended warmup should have ended.
WARMUP = frozenset({"warmup_missing", "warmup_mismatch"})
#: The alignments tried, as ``diagnose`` does (logged step ``s`` shows schedule step ``s + d``).
OFFSETS = (0, -1, 1)

__all__ = [
    "CONFIRM",
    "NOISE",
    "LiveAudit",
    "LiveEvent",
    "could_become_certain",
    "departures",
    "finding_key",
    "is_certain",
]


# --------------------------------------------------------------------------- the rule


def _relerr(y: np.ndarray, m: np.ndarray, scale: float) -> np.ndarray:
    den = np.maximum(np.maximum(np.abs(y), np.abs(m)), 1e-6 * scale + 1e-300)
    with np.errstate(invalid="ignore", divide="ignore"):
        e = np.abs(y - m) / den
    return np.where(np.isfinite(e), e, 1.0)


def _departing(
    x: np.ndarray,
    y: np.ndarray,
    intended: IntendedSchedule,
    curve: Callable[[np.ndarray], np.ndarray] | None = None,
) -> np.ndarray:
    """Boolean ``(len(OFFSETS), n)``: point ``i`` departs from the intended curve at offset ``d``.

    The scale of the ``1e-6`` floor is the largest intended value at these points, so a
    schedule that ends at 0 does not make its last points depart by rounding alone. ``curve``
    evaluates the intended schedule (a cache may stand in for ``intended.evaluate``).
    """
    out = np.zeros((len(OFFSETS), x.size), dtype=bool)
    if x.size == 0:
        return out
    ev = curve or intended.schedule.evaluate
    # one call for every offset: evaluating a schedule has a fixed cost of ~50 us
    m_all = np.asarray(ev(np.concatenate([x + d for d in OFFSETS])), dtype=np.float64)
    for k, m in enumerate(m_all.reshape(len(OFFSETS), x.size)):
        fin = np.abs(m[np.isfinite(m)])
        scale = float(fin.max()) if fin.size else 1.0
        out[k] = _relerr(y, m, scale) > NOISE
    return out


class _CurveCache:
    """The intended schedule at whole steps, evaluated a block of :attr:`BLOCK` steps at a time.

    A callback adds one point per training step; evaluating a schedule costs ~50 us whatever
    the number of steps (parameter checks), so a block of 4,096 steps costs about as much as
    three single steps and serves the next 4,096 points.
    """

    BLOCK = 4096
    KEEP = 4

    def __init__(self, intended: IntendedSchedule) -> None:
        self._sched = intended.schedule
        self._blocks: dict[int, np.ndarray] = {}

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if x.size > self.BLOCK or not np.all(np.isfinite(x) & (x == np.floor(x))):
            return np.asarray(self._sched.evaluate(x), dtype=np.float64)
        blk = np.floor_divide(x, self.BLOCK).astype(np.int64)
        out = np.empty(x.size, dtype=np.float64)
        for b in np.unique(blk):
            arr = self._blocks.get(int(b))
            if arr is None:
                start = int(b) * self.BLOCK
                arr = np.asarray(
                    self._sched.evaluate(np.arange(start, start + self.BLOCK, dtype=np.float64)),
                    dtype=np.float64,
                )
                if len(self._blocks) >= self.KEEP:
                    self._blocks.pop(next(iter(self._blocks)))
                self._blocks[int(b)] = arr
            sel = blk == b
            out[sel] = arr[(x[sel] - int(b) * self.BLOCK).astype(np.int64)]
        return out


def departures(steps: Any, values: Any, intended: IntendedSchedule) -> int:
    """The logged points that depart from ``intended`` under the best alignment (see the module).

    >>> from lraudit.types import IntendedSchedule, Schedule
    >>> it = IntendedSchedule(Schedule("exponential", {"init_lr": 1.0, "decay_rate": 0.5,
    ...                       "decay_steps": 10}), "cfg", "lraudit")
    >>> departures([0, 10, 20], [1.0, 1.0, 1.0], it)  # flat while the config halves every 10
    2
    >>> departures([0, 10, 20], [1.0, 0.5, 0.25], it)
    0
    """
    x = np.asarray(steps, dtype=np.float64)
    y = np.asarray(values, dtype=np.float64)
    ok = np.isfinite(y)
    return int(_departing(x[ok], y[ok], intended).sum(axis=1).min(initial=x.size))


def _warmup_end(intended: IntendedSchedule | None) -> float:
    w = intended.schedule.warmup if intended is not None else None
    return float(w.steps) if w is not None and w.steps > 0 else 0.0


def is_certain(
    finding: Finding,
    steps: Any,
    values: Any,
    intended: IntendedSchedule | None,
    *,
    previous: Collection[str] = (),
    final: bool = False,
    n_departures: int | None = None,
) -> bool:
    """Whether ``finding`` (from ``diagnose`` on this prefix of a run) is certain yet.

    ``steps``/``values`` are the points logged so far, ``previous`` the names the previous
    audit of the same run found, ``final`` whether the run has ended. ``n_departures`` may pass
    :func:`departures` when the caller keeps it (it is computed otherwise). The rule, finding
    by finding, is the table in the module docstring.

    >>> from lraudit.diagnose import diagnose
    >>> from lraudit.types import IntendedSchedule, LRSeries, Schedule
    >>> import numpy as np
    >>> it = IntendedSchedule(Schedule("exponential", {"init_lr": 1.0, "decay_rate": 0.5,
    ...                       "decay_steps": 10}), "cfg", "lraudit")
    >>> def constant(x, y):
    ...     found = diagnose(LRSeries(".", "lr", x, y, x * 1.0), None, it)
    ...     return next(f for f in found if f.name == "constant_lr")
    >>> x, y = np.array([0, 10]), np.array([1.0, 1.0])  # one point departs: not yet
    >>> is_certain(constant(x, y), x, y, it)
    False
    >>> x, y = np.array([0, 10, 20]), np.array([1.0, 1.0, 1.0])
    >>> is_certain(constant(x, y), x, y, it)
    True
    """
    if final:
        return True
    name = finding.name
    if name == "non_finite_lr":
        return True
    x = np.asarray(steps, dtype=np.float64)
    if name == "warmup_exceeds_run" and intended is not None:
        h = intended.horizon
        return h is not None and 0 < h <= _warmup_end(intended)
    if name in END_OF_RUN or finding.severity is Severity.INFO:
        return False
    if name == "schedule_reset":
        return finding.step is not None and int(np.sum(x >= finding.step)) >= CONFIRM
    if intended is None:
        # without a config only the facts above are certain before the end: a flat or odd
        # stretch may be a phase of a schedule nobody described
        return False
    if n_departures is None:
        n_departures = departures(x, values, intended)
    if n_departures < CONFIRM:
        return False
    if name == "constant_lr":
        return _flat_past_an_epoch(x, intended)
    if name not in previous:
        return False
    if name == "lr_scale_mismatch":
        return True
    last = float(x[-1]) if x.size else -math.inf
    if last < _warmup_end(intended):
        return False
    held = _held_levels(x, np.asarray(values, dtype=np.float64), intended)
    return held is None or held >= HOLDS


def _held_levels(x: np.ndarray, y: np.ndarray, intended: IntendedSchedule) -> int | None:
    """The level changes of a log that holds while the config moves, else None.

    A log that stays put over most logged intervals in which the intended LR moves is a
    staircase on a smooth config: a scheduler stepped once per epoch (or every ``H`` steps).
    Which finding explains it (``step_unit_mismatch``, ``decay_mismatch``, ...) is settled only
    by the hold width, which takes :data:`HOLDS` level changes to measure.
    """
    ok = np.isfinite(y)
    x, y = x[ok], y[ok]
    if x.size < 3:
        return None
    m = np.asarray(intended.schedule.evaluate(x), dtype=np.float64)
    scale = float(np.max(np.abs(m[np.isfinite(m)]), initial=0.0)) or 1.0
    log_moves = _relerr(y[1:], y[:-1], scale) > NOISE
    cfg_moves = _relerr(m[1:], m[:-1], scale) > NOISE
    held = cfg_moves & ~log_moves
    if cfg_moves.sum() == 0 or held.sum() * 2 < cfg_moves.sum():
        return None
    return int(log_moves.sum())


def _flat_past_an_epoch(x: np.ndarray, intended: IntendedSchedule) -> bool:
    """An iteration schedule stepped once per epoch is flat within the first epoch too
    (``step_unit_mismatch``): when the config knows the epoch length, a flat log says
    ``constant_lr`` only once it spans more than one epoch."""
    spe = intended.steps_per_epoch
    if not spe or intended.unit != "iteration" or intended.log_unit != "iteration" or x.size == 0:
        return True
    return float(x[-1] - x[0]) > spe


def could_become_certain(finding: Finding, intended: IntendedSchedule | None) -> bool:
    """Whether more points (before the end of the run) can make ``finding`` certain."""
    if finding.name in END_OF_RUN or finding.severity is Severity.INFO:
        return False
    return intended is not None or finding.name in ("schedule_reset", "non_finite_lr")


def finding_key(finding: Finding) -> tuple[str, int | None]:
    """What makes two findings of one run the same: the name, and the step for resets (a run
    can restart more than once; every other finding describes the run as a whole)."""
    return (finding.name, finding.step if finding.name == "schedule_reset" else None)


# --------------------------------------------------------------------------- incremental state


@dataclass(frozen=True)
class LiveEvent:
    """A finding that became certain: after ``n_points`` points, the last at ``last_step``."""

    run: str
    tag: str
    finding: Finding
    n_points: int
    last_step: int | None
    final: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "event": "finding",
            "run": self.run,
            "tag": self.tag,
            "n_points": self.n_points,
            "last_step": self.last_step,
            "final": self.final,
            **self.finding.to_dict(),
        }


class _Growing:
    """A float64 array that grows by doubling; single values wait in a list until read
    (a training callback appends one value per step: a list append is ~50x cheaper)."""

    def __init__(self) -> None:
        self._a = np.empty(64, dtype=np.float64)
        self._n = 0
        self._tail: list[float] = []

    @property
    def n(self) -> int:
        return self._n + len(self._tail)

    def append(self, v: float) -> None:
        self._tail.append(v)

    def _flush(self) -> None:
        if self._tail:
            tail, self._tail = np.asarray(self._tail, dtype=np.float64), []
            self._put(tail)

    def _put(self, v: np.ndarray) -> None:
        need = self._n + v.size
        if need > self._a.size:
            bigger = np.empty(max(need, 2 * self._a.size), dtype=np.float64)
            bigger[: self._n] = self._a[: self._n]
            self._a = bigger
        self._a[self._n : need] = v
        self._n = need

    def extend(self, v: np.ndarray) -> None:
        self._flush()
        self._put(v)

    def truncate(self, n: int) -> None:
        self._flush()
        self._n = min(self._n, n)

    @property
    def view(self) -> np.ndarray:
        self._flush()
        return self._a[: self._n]


class LiveAudit:
    """The live audit of one run x tag: feed points, poll for findings that became certain.

    Points arrive with :meth:`add` / :meth:`extend` (callbacks) or as a whole, growing series
    with :meth:`update` (a watcher re-reading a log); :meth:`poll` runs ``diagnose`` when the
    rule could have changed and returns the findings that are certain for the first time;
    :meth:`finish` audits the whole run (with a fit) and returns what was not reported yet.

    >>> from lraudit.types import IntendedSchedule, Schedule
    >>> it = IntendedSchedule(Schedule("exponential", {"init_lr": 1.0, "decay_rate": 0.5,
    ...                       "decay_steps": 100}), "cfg", "lraudit")
    >>> live = LiveAudit(it)
    >>> for s in range(0, 50, 10):
    ...     live.add(s, 1.0)
    ...     for ev in live.poll():
    ...         print(ev.finding.name, "after", ev.n_points, "points")
    constant_lr after 3 points
    """

    def __init__(
        self,
        intended: IntendedSchedule | None,
        *,
        run: str = ".",
        tag: str = "learning_rate",
        gap_fraction: float = GAP_FRACTION,
    ) -> None:
        self.intended = intended
        self._curve = _CurveCache(intended) if intended is not None else None
        self.run, self.tag = run, tag
        self.gap_fraction = gap_fraction
        self._x, self._y = _Growing(), _Growing()
        self._last_step = -math.inf
        self._series: LRSeries | None = None
        self._counted = 0  # points whose departures are counted in _dep
        self._dep = np.zeros(len(OFFSETS), dtype=np.int64)
        self._evidence = False  # something since the last audit that could change the answer
        self._urgent = False  # a non-finite value: audit now, whatever the gap
        self._pending = False  # the last audit found something not yet certain
        self._audited_at = 0
        self._previous: frozenset[str] = frozenset()
        self._reported: dict[tuple[str, int | None], Finding] = {}
        self.audits = 0  # how many times diagnose ran (for tests and cost reports)

    # ------------------------------------------------------------------ input

    @property
    def n_points(self) -> int:
        return self._x.n

    @property
    def reported(self) -> tuple[Finding, ...]:
        """Every finding reported so far, in the order reported."""
        return tuple(self._reported.values())

    def add(self, step: float, value: float) -> None:
        """Append one logged point; a step at or below the last one is ignored (the same update
        seen twice), except that a lower step after a restart is :meth:`update`'s business."""
        step = float(step)
        if step <= self._last_step:
            return
        self._last_step = step
        self._x.append(step)
        self._y.append(float(value))
        self._series = None

    def extend(self, steps: Iterable[float], values: Iterable[float]) -> None:
        """Append points (ascending steps, after the last one)."""
        for s, v in zip(steps, values, strict=True):
            self.add(float(s), float(v))

    def update(self, series: LRSeries, *, prefix: int | None = None) -> None:
        """Replace the points with ``series`` (the run as read now, usually a longer prefix).

        Departures are recounted only over the points that changed: when the old points are a
        prefix of the new ones, that is the new tail. ``prefix``, when the caller knows it (an
        incremental reader that only appended), is how many leading points are unchanged; it
        spares comparing the whole run, so an update costs O(new points).
        """
        old_x, old_y = self._x.view, self._y.view
        n = min(old_x.size, len(series))
        if prefix is not None and prefix >= 0:
            keep = min(prefix, n)
        else:
            x = np.asarray(series.steps[:n], dtype=np.float64)
            y = np.asarray(series.values[:n], dtype=np.float64)
            same_y = (old_y[:n] == y) | (np.isnan(old_y[:n]) & np.isnan(y))
            same = (old_x[:n] == x) & same_y
            keep = n if same.all() else int(np.argmin(same))
        if keep < self._counted:
            self._recount(keep)
        if keep < old_x.size or len(series.replaced) != len(getattr(self._series, "replaced", ())):
            self._evidence = True
        self._x.truncate(keep)
        self._y.truncate(keep)
        self._x.extend(np.asarray(series.steps[keep:], dtype=np.float64))
        self._y.extend(np.asarray(series.values[keep:], dtype=np.float64))
        self._last_step = float(series.steps[-1]) if len(series) else -math.inf
        self._series = series

    def _recount(self, keep: int) -> None:
        self._dep[:] = 0
        self._counted = 0
        if self.intended is not None and keep:
            x, y = self._x.view[:keep], self._y.view[:keep]
            ok = np.isfinite(y)
            self._dep += _departing(x[ok], y[ok], self.intended).sum(axis=1)
        self._counted = keep

    # ------------------------------------------------------------------ auditing

    def _count_new(self) -> None:
        """Fold the points added since the last call into the departure counts and flags."""
        n0, n = self._counted, self._x.n
        if n0 >= n:
            return
        x, y = self._x.view[n0:n], self._y.view[n0:n]
        ok = np.isfinite(y)
        if not ok.all():
            self._urgent = True
        if self.intended is not None:
            xs = x[ok]
            # the block cache pays off for dense steps (a callback); sparse ones go direct
            dense = xs.size < 64 and (n0 == 0 or x[-1] - self._x.view[n0 - 1] <= 64 * xs.size)
            curve = self._curve if dense else None
            new = _departing(xs, y[ok], self.intended, curve).sum(axis=1)
            before = int(self._dep.min())
            self._dep += new
            if int(self._dep.min()) > before:
                self._evidence = True
        else:
            prev = self._y.view[max(n0 - 1, 0) : n]
            with np.errstate(invalid="ignore"):
                if np.any(prev[1:] > prev[:-1] * (1 + RISE)):
                    self._evidence = True
        self._counted = n

    @property
    def n_departures(self) -> int:
        """Departures of the points seen so far (0 without a config)."""
        self._count_new()
        return int(self._dep.min()) if self.intended is not None else 0

    def due(self) -> bool:
        """Whether an audit now could report something new (see the module docstring)."""
        self._count_new()
        n = self._x.n
        if n == 0 or n == self._audited_at:
            return False
        if self._urgent:
            return True
        if not (self._evidence or self._pending):
            return False
        return n - self._audited_at >= max(1, int(n * self.gap_fraction))

    def series(self) -> LRSeries:
        """The points seen so far as an :class:`LRSeries` (the one given to :meth:`update`)."""
        if self._series is not None and len(self._series) == self._x.n:
            return self._series
        x = self._x.view.astype(np.int64)
        return LRSeries(self.run, self.tag, x, self._y.view.copy(), self._x.view.copy())

    def poll(self, *, force: bool = False) -> list[LiveEvent]:
        """Audit when :meth:`due` (or ``force``); the findings certain for the first time."""
        n, fresh = self._x.n, self._x.n - self._counted
        if not force and fresh < max(1, int(n * self.gap_fraction / 8)):
            # folding points in costs ~50 us of numpy overhead however few they are: once a
            # run is long, wait for a batch of n/256 (a delay of 0.4 % of the run so far)
            return []
        if not (force or self.due()):
            return []
        return self._audit(None, final=False)

    def finish(self, *, fit: bool | FitResult | None = True) -> list[LiveEvent]:
        """The end of the run: audit everything (fitted when ``fit`` is True and there are
        enough points, or with the given fit) and return what was not reported yet."""
        self._count_new()
        if self._x.n == 0:
            return []
        result: FitResult | None = None
        if isinstance(fit, FitResult):
            result = fit
        elif fit and int(np.isfinite(self._y.view).sum()) >= 5:
            from lraudit import fit as _fit

            result = _fit(self.series())
        return self._audit(result, final=True)

    def _audit(self, fit: FitResult | None, *, final: bool) -> list[LiveEvent]:
        series = self.series()
        found = diagnose(series, fit, self.intended)
        self.audits += 1
        n = self._x.n
        dep = self.n_departures
        out: list[LiveEvent] = []
        pending = False
        for f in found:
            certain = is_certain(
                f,
                series.steps,
                series.values,
                self.intended,
                previous=self._previous,
                final=final,
                n_departures=dep,
            )
            if not certain:
                pending = pending or could_become_certain(f, self.intended)
                continue
            key = finding_key(f)
            if key in self._reported:
                continue
            self._reported[key] = f
            last = int(series.steps[-1]) if n else None
            out.append(LiveEvent(self.run, self.tag, f, n, last, final))
        self._previous = frozenset(f.name for f in found)
        self._pending = pending
        self._evidence = self._urgent = False
        self._audited_at = n
        return out
