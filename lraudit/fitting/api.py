"""The public entry points, :func:`fit` and :func:`fit_arrays`: clean the points, search,
identify, snap, and assemble the :class:`~lraudit.types.FitResult` with its status and warnings.

``status`` is ``ok`` when the RMS log error is at most :data:`POOR_RMSE` and there are at least
:data:`~lraudit.fitting.search.MIN_POINTS` points, ``poor`` otherwise (with a warning saying
why), ``failed`` when there is nothing to fit (no positive finite value, fewer than 3 points). A
fit above :data:`~lraudit.fitting.search.PRECISE_RMSE` but ``ok`` gets a warning that it is not
at float32 precision.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

import numpy as np

from lraudit.curves import TINY
from lraudit.errors import ScheduleError
from lraudit.fitting import honesty, select
from lraudit.fitting.candidates import make_ctx
from lraudit.fitting.engine import Outcome
from lraudit.fitting.identify import identify
from lraudit.fitting.search import FIT_BUDGET, MIN_POINTS, PRECISE_RMSE, Data, search
from lraudit.fitting.snap import revalue, snap
from lraudit.schedules.schedule import level_names, scaled
from lraudit.types import Alternative, FitResult, LRSeries, ParamEstimate, Schedule

#: RMS log error above which a fit is reported as ``poor``.
POOR_RMSE = 1e-2


def fit(
    series: LRSeries,
    *,
    families: Iterable[str] | None = None,
    max_offset: int = 1,
    budget: int = FIT_BUDGET,
) -> FitResult:
    """Fit ``series`` (see :mod:`lraudit.fitting`); fit problems are reported, never raised.

    ``families`` restricts the candidates (default: every registered family); ``max_offset`` is
    the largest step-alignment shift tried; ``budget`` the number of points fitted per candidate.
    """
    if not isinstance(series, LRSeries):
        raise TypeError(
            f"lraudit.fit expects an LRSeries, got {type(series).__name__}; "
            "use lraudit.fitting.fit_arrays(steps, values) for plain arrays"
        )
    return fit_arrays(
        series.steps, series.values, families=families, max_offset=max_offset, budget=budget
    )


def fit_arrays(
    steps: Any,
    values: Any,
    *,
    families: Iterable[str] | None = None,
    max_offset: int = 1,
    budget: int = FIT_BUDGET,
) -> FitResult:
    """Fit plain arrays of logged steps and learning rates (same contract as :func:`fit`)."""
    x, y, warnings = _clean(steps, values)
    n = int(x.size)
    if n == 0 or not np.any(y > 0):
        lr = float(y[0]) if n else 0.0
        return FitResult(
            schedule=Schedule("constant", {"lr": lr}),
            rmse_log=math.nan,
            params=(ParamEstimate("lr", lr, False, None, "no positive finite value to fit"),),
            n_points=n,
            status="failed",
            warnings=(*warnings, "no positive finite learning rate to fit"),
        )
    if n < 3:
        lr = float(np.median(y))
        warnings.append(f"only {n} point(s): too few to fit a schedule; reporting a constant")
        rm = rmse_log(Schedule("constant", {"lr": lr}), x, y, 0)
        same = bool(np.all(y == y[0]))
        return FitResult(
            schedule=Schedule("constant", {"lr": lr}),
            rmse_log=rm,
            params=(
                ParamEstimate("lr", lr, n >= 1 and same, None, None if same else "too few points"),
            ),
            n_points=n,
            status="failed",
            warnings=tuple(warnings),
        )
    e = _exponent_for(float(np.max(y)))
    if e:  # far outside float32 LR magnitudes: fit the same curve near 1, exactly
        r = fit_arrays(x, np.ldexp(y, e), families=families, max_offset=max_offset, budget=budget)
        return _unscaled(r, -e, warnings)
    data = Data.of(x, y, budget)
    fams = None if families is None else list(families)
    with np.errstate(all="ignore"):
        best, outs = search(data, make_ctx(x, y, data.st), fams, max_offset)
    # identifiability is judged before snapping (a snapped value is no longer free)
    params = identify(best, outs, data)
    snapped = snap(best, data)
    if snapped is not best:
        best = snapped
        params = revalue(params, best.schedule)
    return _result(best, outs, params, data, warnings)


#: Series whose largest value lies outside [2**-64, 2**64] are fitted rescaled (see below).
_SCALE_RANGE = 64


def _exponent_for(top: float) -> int:
    """The power of two ``e`` bringing ``top * 2**e`` near 1 when ``top`` lies outside
    ``2**±64`` (0 otherwise).

    Multiplying by a power of two is exact in binary floating point (also for subnormal
    values, which become normal), so the rescaled series is the same curve; the fit's
    squares, exponentials and tolerances then stay far from overflow and underflow.
    """
    e = math.frexp(top)[1]
    return 0 if abs(e) <= _SCALE_RANGE else -e


def _unscaled(r: FitResult, e: int, warnings: list[str]) -> FitResult:
    """A fit of ``y * 2**-e`` turned into the fit of ``y``: levels times ``2**e``."""
    levels = level_names(r.schedule.family)

    def level(name: str) -> bool:
        return name.split("[")[0] in levels  # "values[2]" is a level of "values"

    params = tuple(
        replace(
            p,
            value=math.ldexp(p.value, e)
            if level(p.name) and isinstance(p.value, float)
            else p.value,
            stderr=math.ldexp(p.stderr, e) if level(p.name) and p.stderr is not None else p.stderr,
        )
        for p in r.params
    )
    alts = tuple(replace(a, schedule=scaled(a.schedule, e)) for a in r.alternatives)
    return replace(
        r,
        schedule=scaled(r.schedule, e),
        params=params,
        alternatives=alts,
        warnings=(*warnings, *r.warnings),
    )


def _clean(steps: Any, values: Any) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Finite, non-negative points sorted by step (the last value of a repeated step), and a
    warning for each kind of point dropped."""
    x_all = np.asarray(steps, dtype=np.float64).ravel()
    y_all = np.asarray(values, dtype=np.float64).ravel()
    warnings: list[str] = []
    if x_all.shape != y_all.shape:
        n = min(x_all.size, y_all.size)
        warnings.append(
            f"steps ({x_all.size}) and values ({y_all.size}) differ in length; used the first {n}"
        )
        x_all, y_all = x_all[:n], y_all[:n]
    ok = np.isfinite(x_all) & np.isfinite(y_all)
    n_bad = int((~ok).sum())
    if n_bad:
        warnings.append(f"{n_bad} non-finite value(s) ignored")
    x, y = x_all[ok], y_all[ok]
    neg = y < 0
    if neg.any():
        warnings.append(f"{int(neg.sum())} negative value(s) ignored")
        x, y = x[~neg], y[~neg]
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    if x.size > 1:
        # the newest write of a step wins (the reader guarantees this; plain arrays may not)
        last = np.r_[x[1:] != x[:-1], True]
        if not last.all():
            warnings.append(f"{int((~last).sum())} duplicate step(s): kept the last value")
            x, y = x[last], y[last]
    return x, y, warnings


def _result(
    best: Outcome,
    outs: list[Outcome],
    params: list[ParamEstimate],
    data: Data,
    warnings: list[str],
) -> FitResult:
    """The fit result: alternatives (the best outcome of every other family), the RMS over all
    points, the status and its warnings, the optimiser's own status and message."""
    alts: list[Alternative] = []
    seen: set[str] = {best.candidate.family}
    b0 = select.bic(best)
    for o in outs:
        fam = o.candidate.family
        if fam in seen:
            continue
        seen.add(fam)
        try:
            rm_o = rmse_log(o.schedule, data.x, data.y, o.offset)
        except ScheduleError:
            continue  # the optimiser left this family outside its valid set: no alternative
        alts.append(Alternative(o.schedule, rm_o, round(select.bic(o) - b0, 3)))
    n_all = int(data.x_all.size)
    rm = rmse_log(best.schedule, data.x_all, data.y_all, best.offset)
    status = "ok" if rm <= POOR_RMSE else "poor"
    if status == "poor":
        warnings.append(
            f"best fit ({best.candidate.family}) misses the curve by {rm:.2g} RMS in "
            "log terms; no family explains it well"
        )
    elif rm > PRECISE_RMSE:
        warnings.append(
            f"the fit is not at float32 precision (RMS {rm:.2g} in log terms): the curve has "
            "features the family does not model"
        )
    if n_all < MIN_POINTS:
        status = "poor"
        warnings.append(
            f"only {n_all} points: too few to tell schedules apart; the fit is a best guess"
        )
    v = honesty.verdict(best.schedule, best.offset, data.x_all, data.y_all)
    return FitResult(
        schedule=best.schedule,
        rmse_log=rm,
        params=tuple(params),
        alternatives=tuple(alts),
        offset=best.offset,
        n_points=n_all,
        status=status,
        warnings=tuple(warnings),
        optimizer_status=best.status if best.candidate.free else None,
        optimizer_message=best.message,
        bic=b0,
        explained=v.explained,
        misfit_step=v.misfit_step,
        misfit_rel=v.misfit_rel,
        tolerance_rel=v.tolerance_rel,
    )


def rmse_log(sched: Schedule, x: np.ndarray, y: np.ndarray, offset: int) -> float:
    """RMS of ``log(observed) - log(fitted)`` over finite positive points (the contract)."""
    pos = y > 0
    if not pos.any():
        return math.nan
    with np.errstate(all="ignore"):
        m = sched.evaluate(x[pos] + offset)
        r = np.log(np.maximum(m, TINY)) - np.log(y[pos])
    return float(np.sqrt(np.mean(r * r)))
