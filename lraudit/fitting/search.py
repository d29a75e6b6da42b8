"""The search for the best candidate: screen every candidate, converge the promising ones, try
the fallbacks, polish the winner and its step alignment.

Candidates are tried simplest first (fewest parameters, then the family's ``simplicity``): a
short first pass for each, stopping as soon as one fits to float32 precision (nothing after it
can score better), then a full second pass for the best few. Long series are fitted on
:data:`FIT_BUDGET` points that keep every point near structure
(:func:`lraudit.fitting.structure.keep_mask`) and scored on all (or :data:`SCORE_BUDGET`)
points. When nothing fits after the cheap first pass, its best few are converged, given a short
hold at the peak after their warmup (:func:`_held`) and refitted one step off (a writer's
logging offset) before the careful first pass runs. When no candidate reaches float32
precision, **fallback** candidates
(:func:`lraudit.fitting.candidates.fallback`) are refined too, and kept only when they fit to
:data:`PRECISE_RMSE`: they can imitate many curves, so an imprecise fit is no evidence for their
family. A winner that stopped between :data:`POLISH_RMSE` and the noise floor is converged once
more.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from lraudit.curves import TINY
from lraudit.fitting import candidates as cands_mod
from lraudit.fitting import certify, engine, honesty, select, structure
from lraudit.fitting.candidates import Ctx
from lraudit.fitting.candidates.warmup import held_peak
from lraudit.fitting.engine import Candidate, Outcome
from lraudit.fitting.select import NOISE_FLOOR
from lraudit.schedules import REGISTRY

#: Points fitted per candidate at most; longer series are thinned away from structure.
FIT_BUDGET = 300
#: Function evaluations per candidate in the first pass, and which candidates get a second pass
#: to convergence: the best ``STAGE2_TOP`` and any within ``STAGE2_MARGIN`` parameters' penalty.
STAGE1_NFEV = 5
STAGE2_TOP = 2
STAGE2_MARGIN = 10.0
#: While no candidate fits to float32 precision, up to this many get the second pass (after the
#: careful first pass; after the cheap one, up to ``QUICK_STAGE2``).
STAGE2_MAX = 5
QUICK_STAGE2 = 2
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
#: Fewer points than this give status ``poor`` and only candidates with fewer params than points.
MIN_POINTS = 6
#: RMS log error above which a fit is not at float32 precision (a warning says so).
PRECISE_RMSE = 1e-4

#: Conventional values, in the order they are imposed, of the parameters a very short series
#: cannot afford to fit (a 4-point log cannot fit a 5-parameter SGDR, but can fit one with
#: ``end_lr = 0``, ``period_mult = 1``).
CONVENTIONAL = (
    ("end_lr", 0.0),
    ("warmup.start_lr", 0.0),
    ("min_lr", 0.0),
    ("period_mult", 1.0),
    ("peak_decay", 1.0),
    ("power", 1.0),
    ("start_step", 0.0),
)


@dataclass(frozen=True, eq=False)
class Data:
    """The points a search carries, and how it fits and scores a candidate on them.

    ``x_all, y_all``: every cleaned point (the reported RMS is over these); ``x, y``: the scoring
    points (all, or :data:`SCORE_BUDGET` of them near structure for very long series);
    ``xs, ys``: the fitting points (``budget`` of them); ``sub``: whether ``xs`` is a proper
    subset (then outcomes are re-scored on ``x, y``); ``eps``: the log-residual softening
    (:data:`lraudit.fitting.engine.EPS_REL` of the peak); ``st``: the curve's structure.
    """

    x_all: np.ndarray
    y_all: np.ndarray
    x: np.ndarray
    y: np.ndarray
    xs: np.ndarray
    ys: np.ndarray
    eps: float
    sub: bool
    st: structure.Structure
    budget: int

    @classmethod
    def of(cls, x: np.ndarray, y: np.ndarray, budget: int) -> Data:
        """The data of finite, sorted, non-negative points with a positive value."""
        st = structure.detect(x, y)
        eps = max(engine.EPS_REL * float(np.max(y)), TINY)
        keep = structure.keep_mask(x, y, st, budget)
        xsc, ysc = x, y
        if x.size > SCORE_BUDGET:
            # very long series are scored on a large subset that keeps every point near
            # structure; the reported rmse_log is still over all points
            k = structure.keep_mask(x, y, st, SCORE_BUDGET)
            xsc, ysc = x[k], y[k]
        return cls(x, y, xsc, ysc, x[keep], y[keep], eps, not keep.all(), st, budget)

    @cached_property
    def ly(self) -> np.ndarray:
        """``log(y + eps)`` of the scoring points."""
        return np.log(np.maximum(self.y, 0.0) + self.eps)

    def refine(
        self,
        cand: Candidate,
        *,
        offset: int = 0,
        max_nfev: int = 200,
        quick: bool = False,
        stall: float | None = None,
    ) -> Outcome:
        """``cand`` refined on the fitting points (not re-scored)."""
        return engine.refine(
            cand,
            self.xs,
            self.ys,
            eps=self.eps,
            offset=offset,
            max_nfev=max_nfev,
            quick=quick,
            stall=stall,
        )

    def refit_within(
        self, cand: Candidate, *, offset: int, mse: float, max_nfev: int, close: float = 10.0
    ) -> Outcome | None:
        """``cand`` refitted and scored when that brings its mean square to at most ``mse``,
        else ``None``: the lean optimiser first, ending once it stalls ``close`` times above the
        allowed RMS; trf only for a close call (within ``close`` times), where its trust region
        can still get there. On ~2,000 snap and horizon-profile refits of three bench_fit seeds
        trf found 2 fits the lean pass missed and missed 35 it found."""
        rms = math.sqrt(mse)
        o = self.score(
            self.refine(cand, offset=offset, max_nfev=max_nfev, quick=True, stall=close * rms)
        )
        if o.mse > mse:
            if o.mse > close**2 * mse:
                return None
            o = self.refit(cand, offset=offset, max_nfev=max_nfev)
        return o if o.mse <= mse else None

    def score(self, out: Outcome) -> Outcome:
        """``out`` scored on the scoring points (as it is when it was fitted on all of them)."""
        return engine.rescore(out, self.x, self.y, self.eps, self.ly) if self.sub else out

    def refit(
        self, cand: Candidate, *, offset: int = 0, max_nfev: int = 200, quick: bool = False
    ) -> Outcome:
        """``cand`` refined on the fitting points and scored on the scoring points."""
        return self.score(self.refine(cand, offset=offset, max_nfev=max_nfev, quick=quick))


def order_key(c: Candidate) -> tuple[int, float]:
    """Simplest first: parameter count, then the family's ``simplicity``."""
    fam = REGISTRY.get(c.family)
    return (c.n_params, fam.simplicity if fam is not None else math.inf)


def search(
    data: Data, ctx: Ctx, families: list[str] | None, max_offset: int
) -> tuple[Outcome, list[Outcome]]:
    """The best outcome (polished and step-aligned) and every outcome ranked, best first."""
    cands = _candidates(data, ctx, families)
    outs, own = _converge(cands, data, max_offset)
    if select.rmse(outs[0]) > NOISE_FLOOR:
        outs.extend(_held(outs, data))
        outs.sort(key=select.rank_key)
    if not own.of(outs[0]):
        own = _OwnRefits(outs[0], data, max_offset)
    if select.rmse(outs[0]) > NOISE_FLOOR and not own.exact():
        # the right family on a clock a step off (a writer's logging offset) is exact at that
        # offset: no second-chance candidates needed
        outs.extend(_fallback(ctx, families, data))
    if data.sub:
        outs = [data.score(o) for o in outs]
    outs.sort(key=select.rank_key)
    outs = _in_range_first(outs, data)
    best = outs[0]
    if best.candidate.free and POLISH_RMSE < select.rmse(best) <= NOISE_FLOOR:
        # a first pass that just reached the noise floor stopped short of the rounding level:
        # converge it, so that the reported curve is the logged one to float32
        pol = data.refit(engine.start_from(best.candidate, best.values))
        if pol.rss < best.rss:
            best = pol
            outs[0] = pol
    if select.rmse(best) > NOISE_FLOOR and not (own.of(best) and own.exact()):
        # (a best exact at a step offset is refitted there instead)
        best = _polish_dense(best, data)
    return _try_offsets(best, data, max_offset, outs, families, own), outs


#: Outcomes checked, best first, for one whose curve stays inside the data's range.
RANGE_CHECKED = 8


def _in_range_first(outs: list[Outcome], data: Data) -> list[Outcome]:
    """``outs`` with the best outcome whose curve stays inside the data's range
    (:func:`lraudit.fitting.honesty.inside_range`) moved first; unchanged when none of the first
    :data:`RANGE_CHECKED` does (the fit will not be explained anyway)."""
    grid = honesty.window_steps(data.x_all)
    ymax = float(np.max(data.y_all))
    for i, o in enumerate(outs[:RANGE_CHECKED]):
        if honesty.inside_range(o.schedule, o.offset, grid, ymax):
            return [o, *outs[:i], *outs[i + 1 :]] if i else outs
    return outs


def capped(c: Candidate, x_last: float) -> Candidate:
    """``c`` with its step parameters bounded by the run (:func:`honesty.step_cap`): a horizon
    may reach far past the last logged step, a period or phase length not."""
    fam = REGISTRY.get(c.family)
    if fam is None:
        return c
    frees = []
    changed = False
    for p in c.free:
        spec = fam.spec(p.name)
        if spec is not None and spec.role == "step" and spec.scalar:
            hi = honesty.step_cap(x_last, p.name in fam.horizon)
            if p.hi > hi and p.lo < hi:
                p = replace(p, hi=hi, init=min(p.init, hi))
                changed = True
        frees.append(p)
    return replace(c, free=frees) if changed else c


def _candidates(data: Data, ctx: Ctx, families: list[str] | None) -> list[Candidate]:
    """Every candidate for the curve, simplest first; a very short series keeps those with fewer
    parameters than points (others reduced to conventional values, :func:`reduce`)."""
    x_last = float(data.x_all[-1])
    cands = [capped(c, x_last) for c in cands_mod.build(ctx, families)]
    n = data.x.size
    if n < MIN_POINTS:
        few = [c for c in cands if c.n_params < n]
        few += [r for c in cands if c.n_params >= n and (r := reduce(c, n))]
        cands = few or [c for c in cands if c.family == "constant"] or cands
    # once one fits to float32 precision nothing after it can score better: simplest first
    cands.sort(key=order_key)
    return cands


def _converge(
    cands: list[Candidate], data: Data, max_offset: int, certified: bool = True
) -> tuple[list[Outcome], _OwnRefits]:
    """Stage 1, a few iterations for every candidate; stage 2, converge the promising ones.

    When nothing fits after the cheap first pass, its best few are converged, given a hold at
    the peak (:func:`_held`) and refitted at each step offset; only when none of that fits to
    float32 precision does the careful first pass (SciPy's trf, which ranks better) run.
    Returns the outcomes ranked (:func:`lraudit.fitting.select.rank_key`) and the best's
    refits at each offset (computed when asked).

    With ``certified``, all of that up to the careful pass first runs on the candidates whose
    shape certificate admits the curve (:mod:`lraudit.fitting.certify`): the others cannot fit
    to float32 precision, so when one of the admitted does, the simplest exact fit is the same.
    They are still ranked, scored at their starting values (a rough rank, as the first pass
    is). When none fits, the search starts again on every candidate."""
    likely = _likely(cands, data) if certified else None
    pool = cands if likely is None else likely
    outs = _screen(pool, data, quick=True)
    if select.rmse(min(outs, key=select.rmse)) > NOISE_FLOOR:
        first = _stage2(outs, data, QUICK_STAGE2)
        if select.rmse(first[0]) > NOISE_FLOOR:
            first = sorted([*first, *_held(first, data)], key=select.rank_key)
        own = _OwnRefits(first[0], data, max_offset)
        if select.rmse(first[0]) <= NOISE_FLOOR or own.exact():
            return _with_skipped(first, pool, cands, data), own
        if likely is not None:
            return _converge(cands, data, max_offset, certified=False)
        outs = _screen(cands, data, quick=False)
    outs = _with_skipped(_stage2(outs, data, STAGE2_MAX), pool, cands, data)
    return outs, _OwnRefits(outs[0], data, max_offset)


def _likely(cands: list[Candidate], data: Data) -> list[Candidate] | None:
    """The candidates whose shape certificate admits the curve
    (:mod:`lraudit.fitting.certify`), or ``None`` when that is all or none of them."""
    shapes = certify.Shapes.of(data.xs, data.ys, data.x_all, data.st.warmup_end, data.eps)
    likely = [c for c in cands if shapes.admits(c.straight_in, c.smooth_decay)]
    # none admitted: none fits to float32 precision, and the whole search ranks them all
    return likely if 0 < len(likely) < len(cands) else None


def _with_skipped(
    outs: list[Outcome], pool: list[Candidate], cands: list[Candidate], data: Data
) -> list[Outcome]:
    """``outs`` with the candidates of ``cands`` not in ``pool`` scored at their starting
    values, ranked."""
    if len(pool) == len(cands):
        return outs
    seen = {id(c) for c in pool}
    outs = outs + [
        engine.at_start(c, data.xs, data.ys, data.eps) for c in cands if id(c) not in seen
    ]
    return sorted(outs, key=select.rank_key)


def _stage2(outs: list[Outcome], data: Data, most: int) -> list[Outcome]:
    """Converge the promising first-pass outcomes (at most ``most`` while nothing fits to
    float32 precision); returns them all ranked, equal ones in screening order (``outs``'
    order: simplest first, then the order the candidates were built in)."""
    items = sorted(enumerate(outs), key=lambda t: (select.rank_key(t[1]), t[0]))
    b1 = select.bic(items[0][1])
    solved: tuple[int, float] | None = None
    for _, o in items:
        if select.rmse(o) <= NOISE_FLOOR:
            solved = min(solved or order_key(o.candidate), order_key(o.candidate))
    done = 0
    for i, (k, o) in enumerate(items):
        if solved is not None and order_key(o.candidate) > solved:
            continue
        near = i < STAGE2_TOP or select.bic(o) - b1 < STAGE2_MARGIN * math.log(max(o.n, 2))
        # nothing fits yet: keep converging the next ones (a short first pass can rank the right
        # candidate low when its start is far from the optimum)
        near = near or (solved is None and done < most)
        if near and o.candidate.free and o.status == 0 and select.rmse(o) > NOISE_FLOOR:
            if solved is not None and select.rmse(o) > STAGE2_HOPELESS:
                # a simpler candidate this far off cannot beat one already at float32 precision
                continue
            done += 1
            o2 = _converged(o, data)
            if o2.rss <= o.rss:
                items[i] = (k, o2)
                if select.rmse(o2) <= NOISE_FLOOR:
                    key = order_key(o2.candidate)
                    solved = key if solved is None else min(solved, key)
    items.sort(key=lambda t: (select.rank_key(t[1]), t[0]))
    return [o for _, o in items]


#: Evaluations of the lean optimiser (:func:`lraudit.fitting.lm.screen`) that converge a
#: promising first-pass outcome before trf is asked to.
LEAN_NFEV = 30
#: The lean pass gives up once a step above this RMS log error fails to halve the cost.
LEAN_STALL = 10 * NOISE_FLOOR


def _converged(o: Outcome, data: Data) -> Outcome:
    """First-pass outcome ``o`` converged: by the lean Levenberg-Marquardt when that reaches
    float32 precision (near the optimum it converges like trf at a fraction of trf's per-call
    cost), else by trf from ``o``'s values (its trust region finds the optimum the lean pass
    misses: with the lean pass alone, 2 of 550 bench_fit cases end in another exact optimum
    with a parameter 4-40 % off)."""
    c = engine.start_from(o.candidate, o.values)
    lean = data.refine(c, max_nfev=LEAN_NFEV, quick=True, stall=LEAN_STALL)
    if select.rmse(lean) <= NOISE_FLOOR:
        return lean
    return data.refine(c)


def _screen(cands: list[Candidate], data: Data, quick: bool) -> list[Outcome]:
    """A short first pass over the candidates, simplest first, up to the first that fits to
    float32 precision (nothing after it can score better)."""
    outs: list[Outcome] = []
    for c in cands:
        o = data.refine(c, max_nfev=STAGE1_NFEV, quick=quick)
        outs.append(o)
        if select.rmse(o) <= NOISE_FLOOR:
            break
    return outs


#: Ranked outcomes given a hold at the peak after their warmup (:func:`_held`), and how far off
#: (RMS log error) one may be: a hold of a step or two moves a good fit, not a wrong family.
HELD_TOP = 3
HELD_NEAR = 0.05
#: Evaluations of that refit (it starts next to the optimum).
HELD_NFEV = 60


def _held(outs: list[Outcome], data: Data) -> list[Outcome]:
    """The best few outcomes whose decay starts where their warmup ends, refitted with a short
    hold at the peak in between (:func:`lraudit.fitting.candidates.warmup.held_peak`); once one
    fits to float32 precision, the ones no simpler than it are not tried.

    These are converged by trf: the hold's start sits on a kink the lean optimiser crawls
    along (on bench_scale's warmup + hold + cosine runs it stalls at 3e-6 after 60
    evaluations, where trf reaches 3e-8)."""
    found: list[Outcome] = []
    solved: tuple[int, float] | None = None
    for o in outs[:HELD_TOP]:
        if not select.rmse(o) <= HELD_NEAR:
            continue
        c = held_peak(o.candidate, o.values)
        if c is not None and (solved is None or order_key(c) < solved):
            found.append(data.refine(c, max_nfev=HELD_NFEV))
            if select.rmse(found[-1]) <= NOISE_FLOOR:
                solved = order_key(found[-1].candidate)
    return found


def _fallback(ctx: Ctx, families: list[str] | None, data: Data) -> list[Outcome]:
    """Refine the second-chance candidates (:func:`lraudit.fitting.candidates.fallback`).

    Only outcomes that fit to :data:`PRECISE_RMSE` are returned: these candidates can imitate
    many curves, so one that does not reproduce the log exactly is no evidence for its family.
    """
    x_last = float(data.x_all[-1])
    extra = [capped(c, x_last) for c in cands_mod.fallback(ctx, families)]
    n = data.x.size
    if n < MIN_POINTS:
        extra = [c for c in extra if c.n_params < n]
    if not extra:
        return []
    outs = [data.refine(c, max_nfev=STAGE1_NFEV) for c in extra]
    outs.sort(key=select.rank_key)
    for i, o in enumerate(outs[:FALLBACK_STAGE2]):
        # a grid start that is still far off after the first pass is the wrong family
        if o.status == 0 and NOISE_FLOOR < select.rmse(o) <= FALLBACK_HOPELESS:
            o2 = data.refine(engine.start_from(o.candidate, o.values))
            if o2.rss <= o.rss:
                outs[i] = o2
    return [o for o in outs if select.rmse(o) <= PRECISE_RMSE]


def _polish_dense(best: Outcome, data: Data) -> Outcome:
    """A fit not at float32 precision on all points: polished on a 4x denser subset."""
    if not (data.sub and select.rmse(best) > NOISE_FLOOR and best.candidate.free):
        return best
    k2 = structure.keep_mask(data.x_all, data.y_all, data.st, 4 * data.budget)
    pol = engine.refine(
        engine.start_from(best.candidate, best.values),
        data.x_all[k2],
        data.y_all[k2],
        eps=data.eps,
        max_nfev=20,
    )
    pol = engine.rescore(pol, data.x, data.y, data.eps)
    return pol if pol.rss < best.rss else best


#: Ranked offset-0 outcomes whose candidates are refitted from their seeds at each offset.
OFFSET_SEEDS = 6


def _offsets(max_offset: int) -> list[int]:
    """The step offsets tried, in order of preference: ``-1, +1, -2, +2, ...``."""
    return [o for k in range(1, max_offset + 1) for o in (-k, k)]


class _OwnRefits:
    """An outcome refitted from its own values at each step offset, computed once when asked."""

    def __init__(self, base: Outcome, data: Data, max_offset: int) -> None:
        self.base, self.data, self.max_offset = base, data, max_offset
        self._lean: dict[int, Outcome] = {}
        self._at: dict[int, Outcome] = {}

    def _start(self) -> Candidate:
        return engine.start_from(self.base.candidate, self.base.values)

    def lean(self, off: int) -> Outcome:
        """The lean optimiser's refit at offset ``off`` (not re-scored)."""
        if off not in self._lean:
            self._lean[off] = self.data.refine(
                self._start(), offset=off, max_nfev=LEAN_NFEV, quick=True, stall=LEAN_STALL
            )
        return self._lean[off]

    def at(self, off: int) -> Outcome:
        """The refit at offset ``off``: the lean optimiser's when it reaches float32 precision,
        else trf's."""
        if off not in self._at:
            o = self.lean(off)
            if select.rmse(o) > NOISE_FLOOR:
                o = self.data.refine(self._start(), offset=off, max_nfev=30)
            self._at[off] = self.data.score(o)
        return self._at[off]

    def of(self, o: Outcome) -> bool:
        """Whether these are refits of outcome ``o`` (the same candidate and values)."""
        b = self.base
        return o.candidate is b.candidate and o.values == b.values and o.offset == b.offset

    def exact(self) -> bool:
        """Whether a refit at some offset fits to float32 precision (the lean refits at every
        offset first: trf only when none of them does)."""
        if not self.base.candidate.free:
            return False
        offs = _offsets(self.max_offset)
        # (at() of an exact lean refit only re-scores it)
        if any(select.rmse(self.lean(o)) <= NOISE_FLOOR and self._exact_at(o) for o in offs):
            return True
        return any(self._exact_at(o) for o in offs)

    def _exact_at(self, off: int) -> bool:
        return select.rmse(self.at(off)) <= NOISE_FLOOR


def _try_offsets(
    best: Outcome,
    data: Data,
    max_offset: int,
    outs: list[Outcome] | None = None,
    families: list[str] | None = None,
    own: _OwnRefits | None = None,
) -> Outcome:
    """The best fit with a step offset ``d`` in ``-max_offset..max_offset`` (the value logged at
    step ``s`` is the schedule's ``lr(s + d)``: HF Trainer >= 4.51 logs at ``global_step`` s the
    LR update ``s - 1`` used, ``d = -1``), kept only when it wins by more than one parameter's
    BIC penalty, so offset 0 wins every tie.

    A best offset-0 fit at float32 precision is kept as it is; one within :data:`PRECISE_RMSE`
    is only refitted from its values at each offset. A fit that misses gets, per offset (``-1,
    +1, -2, ...``): that refit; the first :data:`OFFSET_SEEDS` ranked candidates refitted from
    their seeds (the offset-0 winner can sit in another basin: a warmup's first points force a
    wrong warmup end and restart phase); and, when those beat offset 0 without reaching float32
    precision, the whole search on the shifted steps (its seeds are read off the shifted curve).
    Among equal scores the earlier offset in that order wins, so the choice is deterministic.
    When the best's own refit is exact at some offset, the seeds are not tried (``own``: those
    refits when already computed for ``best``)."""
    if max_offset <= 0 or select.rmse(best) <= NOISE_FLOOR:
        return best
    b0 = select.bic(best)
    penalty = math.log(max(best.n, 2))
    chosen, bc = best, b0 - penalty
    if own is None or not own.of(best):
        own = _OwnRefits(best, data, max_offset)
    # a fit within PRECISE_RMSE is the right curve on a clock at most a rounding away, and one
    # exact at an offset is that offset: only its own refits are tried (the seeds and the
    # shifted search are for a fit that misses everywhere)
    near = select.rmse(best) <= PRECISE_RMSE or own.exact()
    seeds = [] if near else [o.candidate for o in (outs or [])[:OFFSET_SEEDS] if o.candidate.free]
    for off in _offsets(max_offset):
        # the seeds and the shifted search only at -1, the offset a real writer has (HF Trainer
        # >= 4.51 logs update s - 1 at step s); other offsets get the best's own refit
        o = _at_offset(own.at(off), seeds if off == -1 else [], data, off, families, b0 - penalty)
        if round(select.bic(o), 6) < round(bc, 6):
            chosen, bc = o, select.bic(o)
    return chosen


def _at_offset(
    refit: Outcome,
    seeds: list[Candidate],
    data: Data,
    off: int,
    families: list[str] | None,
    to_beat: float,
) -> Outcome:
    """The best fit found at step offset ``off`` (see :func:`_try_offsets`), from the best's own
    ``refit`` at ``off``. Without ``seeds`` only that refit; the shifted search runs only when
    the refits at ``off`` already beat ``to_beat`` (BIC) without reaching float32 precision."""
    trials = [refit]
    if not seeds:
        return trials[0]
    trials += [data.refit(c, offset=off) for c in seeds]
    top = min(trials, key=select.rank_key)
    if select.rmse(top) > NOISE_FLOOR and top.candidate.free:
        pol = data.refit(engine.start_from(top.candidate, top.values), offset=off)
        top = pol if pol.rss < top.rss else top
    if select.rmse(top) > NOISE_FLOOR and select.bic(top) < to_beat and data.x_all[0] + off >= 0:
        xs = data.x_all + off
        shifted = Data.of(xs, data.y_all, data.budget)
        sb, _ = search(shifted, cands_mod.make_ctx(xs, data.y_all, shifted.st), families, 0)
        alt = data.refit(engine.start_from(sb.candidate, sb.values), offset=off)
        top = min((top, alt), key=select.rank_key)
    return top


def reduce(c: Candidate, n: int) -> Candidate | None:
    """``c`` with parameters held at :data:`CONVENTIONAL` values until it has fewer parameters
    than the ``n`` points, or ``None`` when that is not enough."""
    names = {p.name for p in c.free}
    held = dict(c.held)
    for name, value in CONVENTIONAL:
        if c.n_params < n:
            break
        if name in names:
            c = engine.with_fixed(c, name, value)
            held[name] = f"only {n} points: held at {value:g}"
    if c.n_params >= n:
        return None
    return replace(c, held=held, label=f"{c.label} (reduced)".strip())
