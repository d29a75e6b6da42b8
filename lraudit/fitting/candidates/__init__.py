"""Candidate schedules for a curve: which families to try, and where each fit starts.

Structure (:mod:`lraudit.fitting.structure`) prunes families cheaply (a curve that rises again
is not a monotone decay, a curve without jumps is not piecewise or staircase) and fixes the
discrete parameters (jump positions, levels, staircase width, warmup shape). Starting values of
the continuous parameters come from closed-form reads of the curve and from each family's own
``guess(steps, values)``.

What a family *is* (roles of its parameters, whether it is monotone, may be floored by
``min_lr`` or models its own rise) is read from its :class:`~lraudit.schedules.Family`. Its
builders live by kind: :mod:`~lraudit.fitting.candidates.decays` and
:mod:`~lraudit.fitting.candidates.cycles` (each with a ``BUILDERS`` and a ``FALLBACKS`` table),
warmups in :mod:`~lraudit.fitting.candidates.warmup`, grid searches in
:mod:`~lraudit.fitting.candidates.grids`. A family without a builder is still tried, from its
``guess`` alone, with every ``float`` parameter free (:func:`~.common.generic`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import replace

from lraudit.fitting.candidates import cycles, decays
from lraudit.fitting.candidates.common import SHORT_SERIES, Builder, Ctx, generic, make_ctx
from lraudit.fitting.candidates.warmup import overlaid_shapes, warmup_options
from lraudit.fitting.engine import Candidate
from lraudit.schedules import FAMILIES, Family, families

#: Regular builders by family name.
BUILDERS: dict[str, Builder] = {**decays.BUILDERS, **cycles.BUILDERS}
#: Second-chance builders by family name (see :func:`fallback`).
FALLBACKS: dict[str, Builder] = {**cycles.FALLBACKS, **decays.FALLBACKS}
#: Builders of the variants of monotone families that rise again (``Family.rising``).
RISING: dict[str, Builder] = dict(decays.RISING)

#: Families simplest first (by ``Family.simplicity``); ties in the selection score are broken in
#: this order.
SIMPLICITY: tuple[str, ...] = tuple(f.name for f in sorted(FAMILIES, key=lambda f: f.simplicity))

__all__ = [
    "BUILDERS",
    "FALLBACKS",
    "SHORT_SERIES",
    "SIMPLICITY",
    "Ctx",
    "build",
    "fallback",
    "make_ctx",
    "registry",
]


def registry() -> dict[str, Family]:
    """The registered families."""
    return families()


def _rise_size(ctx: Ctx) -> float:
    """Largest relative rise after the initial one (restarts, cycles, resets)."""
    y = ctx.y
    best = 0.0
    for r in ctx.st.rises:
        if r >= 1 and y[r - 1] > 0:
            best = max(best, float(y[r] / y[r - 1] - 1.0))
        elif r >= 1:
            best = max(best, 1.0)
    return best


def build(ctx: Ctx, names: Iterable[str] | None = None) -> list[Candidate]:
    """Every candidate worth refining for this curve (pruned by structure)."""
    fams = registry()
    wanted = list(fams) if names is None else [n for n in names if n in fams]
    st = ctx.st
    out: list[Candidate] = []
    if st.constant:
        wanted = [n for n in wanted if n == "constant"] or wanted[:1]
    whole_rise = st.rise_end is not None and st.rise_end >= ctx.x.size - 1
    builders = dict(BUILDERS)
    if st.rises and _rise_size(ctx) > 0.01:
        # the curve goes back up after falling: a monotone decay cannot explain that, unless it
        # rises again past its end (torch's cosine past T_max): its rising variant only
        rising = {n: RISING[n] for n in wanted if fams[n].rising and n in RISING}
        wanted = [n for n in wanted if not fams[n].monotone or n in rising]
        builders.update(rising)
    # the ways to model the start depend on the curve only: read them once for every family
    # (the options' FreeParams are shared, never mutated: candidates replace them)
    wopts = warmup_options(ctx) if any(not fams[n].own_rise for n in wanted) else []
    for name in wanted:
        fam = fams[name]
        builder = builders.get(name)
        if fam.own_rise:
            # the family models the initial rise itself: no separate warmup
            sub = ctx.from_start()
            cands = builder(fam, sub) if builder else generic(fam, sub)
            out.extend(cands)
            continue
        if whole_rise and name != "constant":
            continue
        for shape, wfree, wfixed, nstruct in wopts:
            sub = ctx
            if shape is None and st.fall_end is not None:
                # no warmup: the family explains the initial fall too
                sub = ctx.from_start()
            if shape is None and st.rise_end is not None:
                # no separate warmup: the family has to produce the rise (rarely right; cheap
                # families only)
                continue
            cands = builder(fam, sub) if builder else generic(fam, sub, sub.xp, sub.yp)
            for c in cands:
                if shape is not None:
                    c = replace(
                        c,
                        free=[*c.free, *wfree],
                        warmup_shape=shape,
                        warmup_fixed=dict(wfixed),
                        n_structural=c.n_structural + nstruct,
                    )
                    sp = fam.spec("start_step")
                    tie = c.fixed.get("start_step") and not c.fixed.get("staircase")
                    if sp is not None and tie and "start_step" not in {p.name for p in c.free}:
                        # the decay clock starts where the warmup ends (OD API burn-in, HF,
                        # optax, Keras): follow the fitted warmup length, not a logged step
                        c.fixed.pop("start_step")
                        c.ties["start_step"] = ("warmup.steps", sp.kind == "int")
                out.append(c)
                out.extend(replace(c, warmup_shape=sh) for sh in overlaid_shapes(c, shape))
                if st.tail_flat_from is not None and fam.floorable:
                    # a flat tail after a decay: a min_lr clamp (OD API min_learning_rate)
                    # the clamp, not the end of the decay, makes the tail: free the horizon
                    unb = [
                        replace(p, lo=1.0, hi=math.inf, init=p.init * 1.5)
                        if p.name == "decay_steps"
                        else p
                        for p in c.free
                    ]
                    out.append(
                        replace(
                            c,
                            free=unb,
                            min_lr=float(ctx.y[-1]),
                            n_structural=c.n_structural + 1,
                            fixed=dict(c.fixed),
                            ties=dict(c.ties),
                            label=c.label + " + min_lr",
                        )
                    )
    if not out:
        fam = fams["constant"]
        out = BUILDERS["constant"](fam, ctx)
    return out


def fallback(ctx: Ctx, names: Iterable[str] | None = None) -> list[Candidate]:
    """Second-chance candidates, refined only when no regular candidate fits to float32: each
    family's ``FALLBACKS`` builder (grid-searched periods and staircase widths of short logs,
    every one-cycle variant from several starts).

    They come last because they can imitate simpler curves (a rise and a straight fall is also a
    partial triangle): a schedule that a regular candidate fits exactly keeps that family.
    """
    fams = registry()
    wanted = set(fams) if names is None else {n for n in names if n in fams}
    if ctx.st.constant or ctx.x.size < 4:
        return []
    out: list[Candidate] = []
    for name, builder in FALLBACKS.items():
        if name in wanted:
            out.extend(builder(fams[name], ctx))
    return out
