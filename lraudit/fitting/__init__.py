"""Infer the schedule behind a logged learning-rate curve: family, parameters, identifiability.

Algorithm
---------
1. **Clean**: keep finite, non-negative points (the others are counted in ``warnings``), sort by
   step, keep the last value of a repeated step.
2. **Structure** (:mod:`lraudit.fitting.structure`): runs equal to float32 rounding, jumps between
   flat stretches, the initial rise (warmup) and its shape, a straight initial fall into a gentler
   slope (a warmup that starts above its target), later rises (restarts, cycles), a flat tail.
3. **Candidates** (:mod:`lraudit.fitting.candidates`): families pruned by structure (no jumps: no
   piecewise/staircase; no rise after the first fall: no cycles or restarts; rises: no monotone
   decays), discrete values read off the curve (boundaries, levels, staircase width and start,
   restart positions), continuous starting points from closed-form reads of the curve and each
   family's ``guess``; a decay after a warmup starts its clock at the warmup end.
4. **Refine** (:mod:`lraudit.fitting.engine`): ``least_squares(method="trf")`` on log-ratio residuals,
   log-transformed LR- and step-scale params, bounds (kinks such as a restart or the end of a
   decay are bounded to the logging gap where the curve shows them). Candidates are tried simplest
   first (fewest parameters, then :data:`~lraudit.fitting.candidates.SIMPLICITY`): a short first pass
   for each, stopping as soon as one fits to float32 precision (nothing after it can score
   better), then a full second pass for the best few. Long series are fitted on
   :data:`FIT_BUDGET` points that keep every point near structure
   (:func:`lraudit.fitting.structure.keep_mask`) and scored on all (or :data:`SCORE_BUDGET`) points.
   When no candidate reaches float32 precision, **fallback** candidates
   (:func:`lraudit.fitting.candidates.fallback`) are refined too: cyclic periods, SGDR first periods
   and staircase widths from closed-form grid searches (linear least squares for each grid
   value), and every one-cycle variant from several starts, for short series (at most
   :data:`~lraudit.fitting.candidates.SHORT_SERIES` points, one or two per phase) and cycles seen
   for less than one period. They are kept only when they fit to :data:`PRECISE_RMSE`: they can
   imitate many curves, so an imprecise fit is no evidence for their family. A winner that
   stopped between :data:`POLISH_RMSE` and the noise floor is converged once more.
5. **Select** (:mod:`lraudit.fitting.select`): BIC with the noise floored at
   :data:`~lraudit.fitting.select.NOISE_FLOOR` (float32), so curves that are indistinguishable go to
   the family with fewer parameters; the best of every other family tried becomes an
   :class:`~lraudit.types.Alternative` with its BIC difference. The winner is re-fitted with a
   step offset in ``-max_offset..max_offset`` (kept only when it wins by more than one
   parameter's penalty); values indistinguishable from round ones are snapped (a start LR of 0,
   whole steps).
6. **Identifiability**: SVD of the Jacobian (covariance and null directions), conventions the
   data cannot fix (the ``decay_steps`` of a continuous exponential, the end of a straight line,
   a warmup that outlasts the run), a 1 % profile of step parameters that sit on a logged step,
   and, for unidentified horizons, the range of values that still fit.

``status`` is ``ok`` when the RMS log error is at most :data:`POOR_RMSE` and there are at least
:data:`MIN_POINTS` points, ``poor`` otherwise (with a warning saying why), ``failed`` when there
is nothing to fit (no positive finite value, fewer than 3 points). A fit above
:data:`PRECISE_RMSE` but ``ok`` gets a warning that it is not at float32 precision.

>>> import numpy as np
>>> r = fit_arrays(np.arange(0, 1000, 10), np.full(100, 0.1, dtype=np.float32))
>>> r.schedule.family, r.status, round(r.schedule.params["lr"], 6)
('constant', 'ok', 0.1)
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

import numpy as np

from lraudit.fitting import candidates as _cands
from lraudit.fitting import engine, select, structure
from lraudit.fitting.engine import Candidate, Outcome
from lraudit.fitting.select import NOISE_FLOOR
from lraudit.schedules import get_family
from lraudit.types import Alternative, FitResult, LRSeries, ParamEstimate, Schedule

#: Points fitted per candidate at most; longer series are thinned away from structure.
FIT_BUDGET = 300
#: Function evaluations per candidate in the first pass, and which candidates get a second pass
#: to convergence: the best ``STAGE2_TOP`` and any within ``STAGE2_MARGIN`` parameters' penalty.
STAGE1_NFEV = 5
STAGE2_TOP = 2
STAGE2_MARGIN = 10.0
#: While no candidate fits to float32 precision, up to this many get the second pass.
STAGE2_MAX = 5
#: Once a candidate fits to float32 precision, a simpler one whose first pass is still further
#: off than this (RMS log error) is not converged: it would have to fall by five orders of
#: magnitude to matter (on the 550 benchmark cases this never happened; it saves ~8 % CPU).
STAGE2_HOPELESS = 0.05
#: A winner between this RMS log error and the noise floor is converged once more (float32
#: rounding alone gives ~3e-8).
POLISH_RMSE = 1e-7
#: Fallback candidates start from closed-form grid fits; one still further off than this (RMS
#: log error) after the first pass is not converged.
FALLBACK_HOPELESS = 0.5
#: Fallback candidates converged at most (the best after the first pass).
FALLBACK_STAGE2 = 12
#: Series longer than this are scored (not only fitted) on a structure-preserving subset.
SCORE_BUDGET = 20_000
#: A 1 % identification check that gets within this factor of the tolerance is converged.
CHECK_CONVERGE = 30.0
#: A rival choice this far off (RMS log error) after a short screening pass is not converged.
CHOICE_HOPELESS = 0.05
#: Fewer points than this give status ``poor`` and only candidates with fewer params than points.
MIN_POINTS = 6
#: RMS log error above which a fit is reported as ``poor``.
POOR_RMSE = 1e-2
#: RMS log error above which a fit is not at float32 precision (a warning says so).
PRECISE_RMSE = 1e-4

__all__ = ["FIT_BUDGET", "NOISE_FLOOR", "fit", "fit_arrays"]


def fit(
    series: LRSeries,
    *,
    families: Iterable[str] | None = None,
    max_offset: int = 1,
    budget: int = FIT_BUDGET,
) -> FitResult:
    """Fit ``series`` (see the module docstring); fit problems are reported, never raised.

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
        rm = _rmse_log(Schedule("constant", {"lr": lr}), x, y, 0)
        return FitResult(
            schedule=Schedule("constant", {"lr": lr}),
            rmse_log=rm,
            params=(
                ParamEstimate(
                    "lr",
                    lr,
                    n >= 1 and bool(np.all(y == y[0])),
                    None,
                    None if np.all(y == y[0]) else "too few points",
                ),
            ),
            n_points=n,
            status="failed",
            warnings=tuple(warnings),
        )
    return _fit_points(x, y, families, max_offset, budget, warnings)


def _fit_points(
    x: np.ndarray,
    y: np.ndarray,
    families: Iterable[str] | None,
    max_offset: int,
    budget: int,
    warnings: list[str],
) -> FitResult:
    families = None if families is None else list(families)
    st = structure.detect(x, y)
    eps = max(engine.EPS_REL * float(np.max(y)), 1e-300)
    keep = structure.keep_mask(x, y, st, budget)
    xs, ys = x[keep], y[keep]
    sub = not keep.all()
    ctx = _cands.make_ctx(x, y, st)
    cands = _cands.build(ctx, families)
    x_full, y_full = x, y
    if x.size > SCORE_BUDGET:
        # very long series are scored on a large subset that keeps every point near structure;
        # the reported rmse_log is still over all points
        k = structure.keep_mask(x, y, st, SCORE_BUDGET)
        x, y = x[k], y[k]
    if x.size < MIN_POINTS:
        few = [c for c in cands if c.n_params < x.size]
        few += [r for c in cands if c.n_params >= x.size and (r := _reduce(c, x.size))]
        cands = few or [c for c in cands if c.family == "constant"] or cands

    # Candidates are tried simplest first (fewest parameters, then SIMPLICITY order): once one
    # fits to float32 precision nothing after it can score better, so the rest are skipped.
    cands.sort(key=_order_key)
    # stage 1: a few iterations for every candidate; stage 2: converge the promising ones
    outs = _screen(cands, xs, ys, eps, quick=True)
    if select.rmse(min(outs, key=select.rmse)) > NOISE_FLOOR:
        # nothing fits after the cheap pass: the careful one (SciPy's trf) ranks better
        outs = _screen(cands, xs, ys, eps, quick=False)
    outs.sort(key=select.rank_key)
    b1 = select.bic(outs[0])
    solved: tuple[int, int] | None = None
    for o in outs:
        if select.rmse(o) <= NOISE_FLOOR:
            solved = min(solved or _order_key(o.candidate), _order_key(o.candidate))
    done = 0
    for i, o in enumerate(outs):
        if solved is not None and _order_key(o.candidate) > solved:
            continue
        near = i < STAGE2_TOP or select.bic(o) - b1 < STAGE2_MARGIN * math.log(max(o.n, 2))
        # nothing fits yet: keep converging the next ones (a short first pass can rank the right
        # candidate low when its start is far from the optimum)
        near = near or (solved is None and done < STAGE2_MAX)
        if near and o.candidate.free and o.status == 0 and select.rmse(o) > NOISE_FLOOR:
            if solved is not None and select.rmse(o) > STAGE2_HOPELESS:
                # a simpler candidate this far off cannot beat one already at float32 precision
                continue
            done += 1
            o2 = engine.refine(engine.start_from(o.candidate, o.values), xs, ys, eps=eps)
            if o2.rss <= o.rss:
                outs[i] = o2
                if select.rmse(o2) <= NOISE_FLOOR:
                    k = _order_key(o2.candidate)
                    solved = k if solved is None else min(solved, k)
    outs.sort(key=select.rank_key)
    if select.rmse(outs[0]) > NOISE_FLOOR:
        outs.extend(_fallback(ctx, families, xs, ys, eps, x.size))
    if sub:
        outs = [engine.rescore(o, x, y, eps) for o in outs]
    outs.sort(key=select.rank_key)
    best = outs[0]

    if best.candidate.free and POLISH_RMSE < select.rmse(best) <= NOISE_FLOOR:
        # a first pass that just reached the noise floor stopped short of the rounding level:
        # converge it, so that the reported curve is the logged one to float32
        pol = engine.refine(engine.start_from(best.candidate, best.values), xs, ys, eps=eps)
        if sub:
            pol = engine.rescore(pol, x, y, eps)
        if pol.rss < best.rss:
            best = pol
            outs[0] = pol

    # a fit that is not at float32 precision on all points: polish on a denser subset
    if sub and select.rmse(best) > NOISE_FLOOR and best.candidate.free:
        k2 = structure.keep_mask(x_full, y_full, st, 4 * budget)
        pol = engine.refine(
            engine.start_from(best.candidate, best.values),
            x_full[k2],
            y_full[k2],
            eps=eps,
            max_nfev=20,
        )
        pol = engine.rescore(pol, x, y, eps)
        if pol.rss < best.rss:
            best = pol

    best = _try_offsets(best, x, y, xs, ys, eps, max_offset, sub)
    # identifiability is judged before snapping (a snapped value is no longer free)
    params = _identify(best, outs, x, y, eps, st)
    params = [_profile(e, best, xs, ys, x, y, eps, sub) for e in params]
    params = [
        _check_identified(e, best, xs, ys, x, y, eps, sub) if e.name in _STEP_LIKE else e
        for e in params
    ]
    if any(e.name in _STEP_LIKE and e.reason and "fits as well" in e.reason for e in params):
        # a step parameter that slides between logged steps often drags a level with it
        params = [
            _check_identified(e, best, xs, ys, x, y, eps, sub) if e.name in _LR_LIKE else e
            for e in params
        ]
    params = [_check_choice(e, best, xs, ys, x, y, eps, sub) for e in params]
    snapped = _snap(best, xs, ys, x, y, eps, sub)
    if snapped is not best:
        best = snapped
        params = _revalue(params, best.schedule)

    # alternatives: the best outcome of every other family (and other variants of the winner's)
    alts: list[Alternative] = []
    seen: set[str] = {best.candidate.family}
    b0 = select.bic(best)
    for o in outs:
        fam = o.candidate.family
        if fam in seen:
            continue
        seen.add(fam)
        alts.append(
            Alternative(
                o.schedule, _rmse_log(o.schedule, x, y, o.offset), round(select.bic(o) - b0, 3)
            )
        )

    rm = _rmse_log(best.schedule, x_full, y_full, best.offset)
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
    if x_full.size < MIN_POINTS:
        status = "poor"
        warnings.append(
            f"only {x_full.size} points: too few to tell schedules apart; the fit is a best guess"
        )
    return FitResult(
        schedule=best.schedule,
        rmse_log=rm,
        params=tuple(params),
        alternatives=tuple(alts),
        offset=best.offset,
        n_points=int(x_full.size),
        status=status,
        warnings=tuple(warnings),
    )


def _screen(
    cands: list[Candidate], xs: np.ndarray, ys: np.ndarray, eps: float, quick: bool
) -> list[Outcome]:
    """A short first pass over the candidates, simplest first, up to the first that fits to
    float32 precision (nothing after it can score better)."""
    outs: list[Outcome] = []
    for c in cands:
        o = engine.refine(c, xs, ys, eps=eps, max_nfev=STAGE1_NFEV, quick=quick)
        outs.append(o)
        if select.rmse(o) <= NOISE_FLOOR:
            break
    return outs


def _fallback(
    ctx: _cands.Ctx,
    families: list[str] | None,
    xs: np.ndarray,
    ys: np.ndarray,
    eps: float,
    n: int,
) -> list[Outcome]:
    """Refine the second-chance candidates (:func:`lraudit.fitting.candidates.fallback`).

    Only outcomes that fit to :data:`PRECISE_RMSE` are returned: these candidates can imitate
    many curves, so one that does not reproduce the log exactly is no evidence for its family.
    """
    extra = _cands.fallback(ctx, families)
    if n < MIN_POINTS:
        extra = [c for c in extra if c.n_params < n]
    if not extra:
        return []
    outs = [engine.refine(c, xs, ys, eps=eps, max_nfev=STAGE1_NFEV) for c in extra]
    outs.sort(key=select.rank_key)
    for i, o in enumerate(outs[:FALLBACK_STAGE2]):
        # a grid start that is still far off after the first pass is the wrong family
        if o.status == 0 and NOISE_FLOOR < select.rmse(o) <= FALLBACK_HOPELESS:
            o2 = engine.refine(engine.start_from(o.candidate, o.values), xs, ys, eps=eps)
            if o2.rss <= o.rss:
                outs[i] = o2
    return [o for o in outs if select.rmse(o) <= PRECISE_RMSE]


#: Conventional values, in the order they are imposed, of the parameters a very short series
#: cannot afford to fit (a 4-point log cannot fit a 5-parameter SGDR, but can fit one with
#: ``end_lr = 0``, ``period_mult = 1``).
_CONVENTIONAL = (
    ("end_lr", 0.0),
    ("warmup.start_lr", 0.0),
    ("min_lr", 0.0),
    ("period_mult", 1.0),
    ("peak_decay", 1.0),
    ("power", 1.0),
    ("start_step", 0.0),
)


def _reduce(c: Candidate, n: int) -> Candidate | None:
    """``c`` with parameters held at :data:`_CONVENTIONAL` values until it has fewer parameters
    than the ``n`` points, or ``None`` when that is not enough."""
    names = {p.name for p in c.free}
    held = dict(c.held)
    for name, value in _CONVENTIONAL:
        if c.n_params < n:
            break
        if name in names:
            c = engine.with_fixed(c, name, value)
            held[name] = f"only {n} points: held at {value:g}"
    if c.n_params >= n:
        return None
    return replace(c, held=held, label=f"{c.label} (reduced)".strip())


def _order_key(c: Candidate) -> tuple[int, int]:
    """Simplest first: parameter count, then the family's place in ``SIMPLICITY``."""
    simp = _cands.SIMPLICITY
    return (c.n_params, simp.index(c.family) if c.family in simp else len(simp))


def _rmse_log(sched: Schedule, x: np.ndarray, y: np.ndarray, offset: int) -> float:
    """RMS of ``log(observed) - log(fitted)`` over finite positive points (the contract)."""
    pos = y > 0
    if not pos.any():
        return math.nan
    with np.errstate(all="ignore"):
        m = sched.evaluate(x[pos] + offset)
        r = np.log(np.maximum(m, 1e-300)) - np.log(y[pos])
    return float(np.sqrt(np.mean(r * r)))


def _revalue(params: list[ParamEstimate], sched: Schedule) -> list[ParamEstimate]:
    """The estimates with values taken from ``sched`` (after snapping)."""
    vals: dict[str, Any] = dict(sched.params)
    if sched.warmup is not None:
        vals["warmup.steps"] = sched.warmup.steps
        vals["warmup.start_lr"] = sched.warmup.start_lr
    if sched.min_lr is not None:
        vals["min_lr"] = sched.min_lr
    return [replace(p, value=vals[p.name]) if p.name in vals else p for p in params]


def _snap(
    out: Outcome,
    xs: np.ndarray,
    ys: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    eps: float,
    sub: bool,
) -> Outcome:
    """Snap values the data cannot tell from a round one: a warmup start of 0, whole steps."""
    cand = out.candidate
    trials: list[tuple[str, float]] = []
    for p in cand.free:
        v = out.values[p.name]
        if p.name in ("warmup.start_lr", "end_lr") and 0 < v < 1e-6 * float(np.max(y)):
            trials.append((p.name, 0.0))
        elif (
            (p.name in ("warmup.steps", "start_step", "first_period") or p.name.endswith("_steps"))
            and abs(v - round(v)) < 0.02 * max(v, 1)
            and v != round(v)
        ):
            trials.append((p.name, float(round(v))))
        elif p.name == "period_mult" and v != round(v) and abs(v - round(v)) < 1e-3 * v:
            # SGDR's T_mult is an integer in torch; a near-integer fit is its rounding drift
            trials.append((p.name, float(round(v))))
    if not trials:
        return out
    # all snaps at once, first without refitting (usually exact), then with one refit
    c = out.candidate
    for name, v in trials:
        c = engine.with_fixed(c, name, v)
    c = replace(engine.start_from(c, out.values), n_structural=c.n_structural + len(trials))
    # a snap must not cost more than rounding noise: 2 % of the misfit or the float32 floor
    limit = max(out.rss * 1.02, NOISE_FLOOR**2 * out.n * 1.5)
    o = engine.rescore(
        replace(
            out,
            candidate=c,
            schedule=c.schedule(out.values),
            values={k: v for k, v in out.values.items() if k in {p.name for p in c.free}},
        ),
        x,
        y,
        eps,
    )
    if o.rss <= limit:
        return o
    o = engine.refine(c, xs, ys, eps=eps, offset=out.offset, max_nfev=50)
    if sub:
        o = engine.rescore(o, x, y, eps)
    return o if o.rss <= limit else out


def _try_offsets(
    best: Outcome,
    x: np.ndarray,
    y: np.ndarray,
    xs: np.ndarray,
    ys: np.ndarray,
    eps: float,
    max_offset: int,
    sub: bool,
) -> Outcome:
    if max_offset <= 0 or select.rmse(best) <= NOISE_FLOOR:
        return best
    b0 = select.bic(best)
    penalty = math.log(max(best.n, 2))
    for off in [o for k in range(1, max_offset + 1) for o in (-k, k)]:
        c = engine.start_from(best.candidate, best.values)
        o = engine.refine(c, xs, ys, eps=eps, offset=off, max_nfev=30)
        if sub:
            o = engine.rescore(o, x, y, eps)
        if select.bic(o) + penalty < b0:
            best, b0 = o, select.bic(o)
    return best


def _identify(
    best: Outcome,
    outs: list[Outcome],
    x: np.ndarray,
    y: np.ndarray,
    eps: float,
    st: structure.Structure,
) -> list[ParamEstimate]:
    cand: Candidate = best.candidate
    sched = best.schedule
    sigma = max(select.rmse(best), NOISE_FLOOR)
    jac = select.jacobian(best, x, y, eps)
    sd, null = select.stderrs(jac, sigma)
    free_idx = {p.name: i for i, p in enumerate(cand.free)}
    span = float(x[-1] - x[0]) if x.size else 0.0
    est: list[ParamEstimate] = []

    def from_free(name: str, value: Any) -> ParamEstimate:
        i = free_idx[name]
        p = cand.free[i]
        s = float(sd[i]) if sd.size else math.inf
        if p.log:
            rel = s
            se = abs(value) * s if math.isfinite(s) else None
        else:
            se = s * p.scale if math.isfinite(s) else None
            rel = (
                (se / abs(value))
                if se is not None and value != 0
                else (0.0 if se is not None and se < 1e-3 * p.scale else math.inf)
            )
        if null.size and null[i]:
            return ParamEstimate(
                name,
                value,
                False,
                None,
                f"{name}: trades off exactly with another parameter over the observed window",
            )
        if rel <= select.IDENT_REL:
            return ParamEstimate(name, value, True, se, None)
        return ParamEstimate(name, value, False, se, _why(name, value, rel, span, x, cand))

    fam_params = dict(sched.params)
    exp_cont = cand.family in ("exponential", "inverse_time") and not fam_params.get("staircase")
    for name, value in fam_params.items():
        if name in cand.held:
            est.append(ParamEstimate(name, value, False, None, f"{name}: {cand.held[name]}"))
        elif name in free_idx:
            e = from_free(name, value)
            if exp_cont and name == "decay_rate":
                e = replace(
                    e,
                    identified=False,
                    reason=(
                        f"continuous {cand.family}: only the per-step rate "
                        f"{'ln(decay_rate)' if cand.family == 'exponential' else 'decay_rate'}"
                        "/decay_steps is identified"
                    ),
                )
            est.append(e)
        elif exp_cont and name == "decay_steps":
            est.append(
                ParamEstimate(
                    name,
                    value,
                    False,
                    None,
                    f"continuous {cand.family}: only the per-step rate "
                    f"{'ln(decay_rate)' if cand.family == 'exponential' else 'decay_rate'}"
                    "/decay_steps is identified; decay_steps was held at a "
                    "round value",
                )
            )
        else:
            est.append(_structural(name, value, st, outs, best))
    if exp_cont and "decay_rate" in fam_params and "decay_steps" in fam_params:
        rate, d = float(fam_params["decay_rate"]), float(fam_params["decay_steps"])
        if rate > 0 and d > 0:
            k = math.log(rate) / d if cand.family == "exponential" else rate / d
            i = free_idx.get("decay_rate")
            se = None
            if i is not None and sd.size and math.isfinite(sd[i]):
                se = (
                    abs(k) * float(sd[i])
                    if cand.family == "inverse_time"
                    else float(sd[i]) * (1.0 / d)
                )
            est.append(ParamEstimate("rate_per_step", k, True, se, None))
    w = sched.warmup
    if w is not None:
        for name, value in (("warmup.steps", w.steps), ("warmup.start_lr", w.start_lr)):
            if name in free_idx:
                est.append(from_free(name, value))
            elif name == "warmup.steps" and st.rise_end is not None and st.rise_end >= st.n - 1:
                est.append(
                    ParamEstimate(
                        name,
                        value,
                        False,
                        None,
                        f"the run ends inside the warmup: warmup.steps >= {x[-1]:g}; only the ramp "
                        "(start and slope) is identified",
                    )
                )
            else:
                gap = _gap_at(st.x, st.rise_end)
                est.append(ParamEstimate(name, value, True, gap, None))
    if sched.min_lr is not None:
        est.append(
            from_free("min_lr", sched.min_lr)
            if "min_lr" in free_idx
            else ParamEstimate("min_lr", sched.min_lr, True, None, None)
        )
    # inverse_sqrt whose flat part (s < timescale) is hidden by the warmup or before the first
    # logged step: lr = peak_lr * sqrt(timescale / s) fixes only peak_lr * sqrt(timescale)
    if cand.family == "inverse_sqrt" and "timescale" in fam_params:
        tau = float(fam_params["timescale"])
        first_seen = max(float(w.steps) if w is not None else 0.0, float(x[0]))
        # the point at the warmup end itself is the warmup's target, not a view of the flat part
        flat_seen = int(np.sum((x > first_seen) & (x < tau * (1 - 1e-9)))) >= 2
        if not flat_seen:
            why = (
                "the flat part before timescale is not observed (warmup or first logged step "
                "after it): only peak_lr * sqrt(timescale) is identified"
            )
            est = [
                replace(e, identified=False, reason=f"{e.name}: {why}")
                if e.name in ("peak_lr", "timescale")
                else e
                for e in est
            ]
    # the peak of a warmup that never ends is not seen
    if w is not None and st.rise_end is not None and st.rise_end >= st.n - 1:
        est = [
            replace(
                e,
                identified=False,
                reason=(
                    f"{e.name}: the run ends inside the warmup, so the value the warmup reaches is not "
                    "observed"
                ),
            )
            if e.name in ("lr", "peak_lr", "init_lr")
            else e
            for e in est
        ]
    return est


def _gap_at(x: np.ndarray, i: int | None) -> float | None:
    if i is None or i <= 0 or i >= x.size:
        return None
    g = float(x[i] - x[i - 1])
    return g / math.sqrt(12) if g > 1 else None


def _structural(
    name: str, value: Any, st: structure.Structure, outs: list[Outcome], best: Outcome
) -> ParamEstimate:
    """A parameter fixed from structure or by choice: identified unless a rival choice ties."""
    if name in ("boundaries", "decay_steps", "start_step") and st.jumps:
        gaps = [float(st.x[j] - st.x[j - 1]) for j in st.jumps]
        g = max(gaps) if gaps else 1.0
        return ParamEstimate(
            name,
            value,
            True,
            g / math.sqrt(12) if g > 1 else None,
            None if g <= 1 else f"known to within the logging interval ({g:g} steps)",
        )
    if name == "start_step" and value in (0, 0.0):
        return ParamEstimate(name, value, True, None, None)
    b0 = select.bic(best)
    for o in outs:
        if o is best or o.candidate.family != best.candidate.family:
            continue
        other = o.schedule.params.get(name)
        if (
            other is not None
            and other != value
            and select.bic(o) - b0 < 2 * math.log(max(best.n, 2))
        ):
            return ParamEstimate(
                name, value, False, None, f"{name}={other!r} fits as well over the observed window"
            )
    return ParamEstimate(name, value, True, None, None)


#: Step-scale parameters whose range of consistent values is profiled when not identified.
_PROFILED = ("decay_steps", "total_steps", "first_period", "timescale", "stable_steps")


#: Step-scale parameters whose identification is double-checked by a 1 % profile.
_STEP_LIKE = (
    *("decay_steps", "total_steps", "first_period", "timescale", "stable_steps"),
    "start_step",
    "warmup.steps",
    "step_size_up",
    "step_size_down",
)


_LR_LIKE = ("peak_lr", "init_lr", "max_lr", "base_lr", "lr")


def _check_identified(
    e: ParamEstimate,
    best: Outcome,
    xs: np.ndarray,
    ys: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    eps: float,
    sub: bool,
) -> ParamEstimate:
    """An identified step-scale parameter moved by 1 % with the others re-fitted must no longer
    fit; kinks that sit exactly on a logged step fool the Jacobian, this does not."""
    names = {p.name for p in best.candidate.free}
    if not e.identified or e.name not in names:
        return e
    v0 = float(e.value)
    if e.name in _STEP_LIKE and v0 > 0:
        # only kinks that sit on (or next to) a logged step, or weakly determined values, can
        # fool the Jacobian; skip the re-fits otherwise (they cost time)
        start = float(best.schedule.params.get("start_step", 0) or 0)
        where = np.array([v0, v0 + start])
        i = np.clip(np.searchsorted(x, where), 1, max(x.size - 1, 1))
        gap = np.minimum(np.abs(x[i] - where), np.abs(x[i - 1] - where))
        weak = e.stderr is not None and e.stderr > 1e-4 * v0
        w = best.schedule.warmup
        at_warmup_end = w is not None and abs(float(w.steps) - v0) <= 1e-3 * max(v0, 1.0)
        if not weak and not at_warmup_end and np.all(gap > 1e-3 * max(v0, 1.0)):
            return e
    tol = max(1.2 * select.rmse(best), NOISE_FLOOR) ** 2
    for f in (0.99, 1.01):
        c = engine.with_fixed(best.candidate, e.name, v0 * f)
        # close but not there: a trade-off along a narrow valley needs a real convergence
        near = CHECK_CONVERGE * math.sqrt(tol)
        if _fits_as_well(c, best, xs, ys, x, y, eps, sub, tol, near, nfev=8):
            return replace(
                e,
                identified=False,
                reason=f"{e.name}: a value {abs(f - 1) * 100:.0f}% {'lower' if f < 1 else 'higher'}"
                " fits as well (it sits between logged steps or trades off with another parameter)",
            )
    return e


def _fits_as_well(
    c: Candidate,
    best: Outcome,
    xs: np.ndarray,
    ys: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    eps: float,
    sub: bool,
    tol: float,
    converge_below: float,
    nfev: int,
) -> bool:
    """Whether candidate ``c`` (a variant of the best, refitted from its values) fits to the mean
    square ``tol`` on all points: a lean pass of ``nfev`` evaluations, converged with trf when it
    ends within ``converge_below`` RMS but not yet at ``tol``."""
    c = engine.start_from(c, best.values)
    o = engine.refine(c, xs, ys, eps=eps, offset=best.offset, max_nfev=nfev, quick=True)
    if o.rss / max(o.n, 1) > tol and select.rmse(o) <= converge_below:
        c = engine.start_from(c, o.values)
        o = engine.refine(c, xs, ys, eps=eps, offset=best.offset, max_nfev=30)
    if sub:
        o = engine.rescore(o, x, y, eps)
    return o.rss / max(o.n, 1) <= tol


def _check_choice(
    e: ParamEstimate,
    best: Outcome,
    xs: np.ndarray,
    ys: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    eps: float,
    sub: bool,
) -> ParamEstimate:
    """An identified choice (a WSD decay shape, a one-cycle anneal, a CLR mode) must be the only
    one that fits: each rival is refitted from the best values, since the first pass stops at
    the first candidate that fits and may never have tried it (two points inside a decay fit
    every shape)."""
    cand = best.candidate
    if not e.identified or e.name not in cand.fixed:
        return e
    spec = _cands._spec(get_family(cand.family), e.name)
    if spec is None or spec.kind != "choice":
        return e
    tol = max(1.2 * select.rmse(best), NOISE_FLOOR) ** 2
    for other in spec.choices:
        if other == e.value:
            continue
        c = replace(cand, fixed={**cand.fixed, e.name: other})
        if _fits_as_well(c, best, xs, ys, x, y, eps, sub, tol, CHOICE_HOPELESS, nfev=10):
            return replace(
                e,
                identified=False,
                reason=f"{e.name}={other!r} fits as well over the observed window",
            )
    return e


def _profile(
    e: ParamEstimate,
    best: Outcome,
    xs: np.ndarray,
    ys: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    eps: float,
    sub: bool,
) -> ParamEstimate:
    """For an unidentified step-scale parameter: the range of values that still fit.

    The parameter is held at multiples of its fitted value with the others re-fitted; a value
    fits when the RMS stays within ``max(1.2 * rmse, NOISE_FLOOR)`` (float32 precision). The
    search goes down to 1/64 and up to 1000 times the fitted value (then "any value above").
    """
    names = {p.name for p in best.candidate.free}
    if e.identified or e.name not in _PROFILED or e.name not in names:
        return e
    if e.name in best.candidate.held:
        return e
    v0 = float(e.value)
    tol = max(1.2 * select.rmse(best), NOISE_FLOOR) ** 2

    def fits(v: float) -> bool:
        c = engine.start_from(engine.with_fixed(best.candidate, e.name, v), best.values)
        o = engine.refine(c, xs, ys, eps=eps, offset=best.offset, max_nfev=10)
        if sub:
            o = engine.rescore(o, x, y, eps)
        return o.rss / max(o.n, 1) <= tol

    lo_ok, lo_bad = v0, None
    f = 0.5
    while f >= 1 / 64:
        if fits(v0 * f):
            lo_ok = v0 * f
            f /= 4
        else:
            lo_bad = v0 * f
            break
    if lo_bad is not None:
        for _ in range(2):
            mid = math.sqrt(lo_ok * lo_bad)
            if fits(mid):
                lo_ok = mid
            else:
                lo_bad = mid
    hi_open = fits(v0 * 1000.0)
    how = "within float32 precision" if select.rmse(best) <= NOISE_FLOOR else "as well as the best"
    sched = best.schedule
    # the horizon counts from step 0 (OD API total_steps includes warmup and hold)
    start = float(sched.params.get("start_step", 0) or 0)
    frac = float(x[-1]) / (start + v0) if v0 > 0 else 0.0
    pct = f"{100 * frac:.0f}%" if frac >= 0.01 else f"{100 * frac:.1g}%"
    if hi_open:
        rng = f"any value above {lo_ok:,.0f} fits {how}"
    else:
        rng = f"values from about {lo_ok:,.0f} up fit {how}"
    lead = f"only {pct} of the horizon observed; " if frac < 0.5 else ""
    return replace(e, reason=f"{e.name}: {lead}{rng}")


def _why(name: str, value: Any, rel: float, span: float, x: np.ndarray, cand: Candidate) -> str:
    """A one-line reason why ``name`` is not identified."""
    if name in ("decay_steps", "total_steps", "first_period") or name.endswith("_steps"):
        try:
            v = float(value)
        except (TypeError, ValueError):
            v = math.nan
        if math.isfinite(v) and v > 0 and x.size:
            frac = min(float(x[-1]) / v, 1.0)
            return (
                f"{name}: only {100 * frac:.0f}% of the horizon observed; the window "
                f"determines it to about ±{100 * min(rel, 9.99):.0f}%"
            )
    if name in ("end_lr", "min_lr"):
        return f"{name}: the curve does not get near its floor within the window"
    if math.isinf(rel):
        return f"{name}: the observed window does not depend on it"
    return f"{name}: determined only to about ±{100 * min(rel, 9.99):.1f}% by the window"
