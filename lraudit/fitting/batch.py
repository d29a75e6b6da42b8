"""Residuals of several parameter vectors of one candidate in one vectorised evaluation: the
points of a forward-difference Jacobian (:func:`lraudit.fitting.lm.forward_jacobian`).

A Jacobian of ``k`` free parameters evaluates the candidate at ``k`` points, each the current
one with one coordinate moved. On a few hundred fitting points each evaluation costs far more in
per-call Python overhead than in arithmetic, so the ``k`` evaluations are done as one: the clock
of :func:`lraudit.schedules.schedule.compose` becomes ``k`` rows (row ``i`` on its own warmup
length), every parameter that differs between rows a ``(k, 1)`` column, and the family function,
the floor, the warmup ramp and the log ratio run once on the ``(k, n)`` array.

Every operation is elementwise, so each row is computed with the same IEEE operations as the
one-point path and the Jacobian is bit-for-bit the same (the fits are identical). Only families
whose functions are elementwise in their parameters (``Family.elementwise``) and warmup shapes
that are (:data:`BATCHED_SHAPES`) are batched; anything else (a tied or derived parameter the
batch does not model, a parameter ordering broken in a row, an evaluation error) returns
``None`` and the caller evaluates the points one by one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from lraudit.errors import ScheduleError
from lraudit.schedules import REGISTRY
from lraudit.schedules.warmups import SHAPES

if TYPE_CHECKING:
    from lraudit.fitting.engine import Candidate, _Plan

#: Residual used where a candidate cannot be evaluated (invalid parameter combination).
BAD_RESIDUAL = 30.0
#: Warmup shapes whose ramp is elementwise in its start, target and length.
BATCHED_SHAPES = frozenset({"linear", "constant"})
#: ``(z, zp) -> residuals (m, n)``: row ``i`` at ``z`` with coordinate ``i`` set to ``zp[i]``
#: (the points of a forward-difference Jacobian), or ``None`` for points it cannot batch.
Rows = Callable[[np.ndarray, np.ndarray], "np.ndarray | None"]
_ERRORS = (ScheduleError, ValueError, TypeError, ZeroDivisionError, OverflowError, IndexError)


def residual_rows(
    cand: Candidate, plan: _Plan, xs: np.ndarray, ly: np.ndarray, eps: float
) -> Rows | None:
    """The batched residuals of ``cand`` (integer params relaxed, as the optimiser's residuals)
    at the points of a Jacobian (:data:`Rows`), or ``None`` when the candidate cannot be
    batched."""
    fam = REGISTRY.get(cand.family)
    if fam is None or not fam.elementwise or cand.derived:
        return None
    if cand.warmup_shape is not None and cand.warmup_shape not in BATCHED_SHAPES:
        return None
    ordering = fam.ordering
    names = plan.names
    shape_name = cand.warmup_shape or "linear"

    def rows(z: np.ndarray, zp: np.ndarray) -> np.ndarray | None:
        k = z.size
        base = plan.values(z)
        pert = plan.values(zp)

        def col(i: int) -> np.ndarray:
            a = np.full((k, 1), base[i])
            a[i, 0] = pert[i]
            return a

        params: dict[str, Any] = dict(cand.fixed)
        for i, n in plan.fam_idx:
            params[n] = col(i)
        warm: tuple[Any, Any] | None = None
        if cand.warmup_shape is not None:
            wv: dict[str, Any] = dict(cand.warmup_fixed)
            for i, w in plan.warm_idx:
                wv[w] = col(i)
            for name, (src, whole) in cand.ties.items():
                if src.startswith("warmup."):
                    t = wv.get(src[7:], 0.0)
                else:
                    t = col(names.index(src)) if src in names else 0.0
                if isinstance(t, np.ndarray):
                    params[name] = np.round(t) if whole else t
                else:
                    params[name] = round(t) if whole else float(t)
            warm = (wv["steps"], wv["start_lr"])
        floor = cand.min_lr if plan.min_idx is None else col(plan.min_idx)
        for a, b in ordering:
            # a row that breaks the ordering is a bad residual: left to the one-point path
            if a in params and b in params and not np.all(_le(params[a], params[b])):
                return None
        try:
            m = _compose_rows(xs, k, fam.fn, params, warm, floor, fam.warmup_relative, shape_name)
        except _ERRORS:
            return None
        if m is None:
            return None
        r = np.maximum(m, 0.0)
        r += eps
        np.log(r, out=r)
        r -= ly
        if not math.isfinite(float(r.sum())):
            r[~np.isfinite(r)] = _bad()
        return r

    return rows


def _le(a: Any, b: Any) -> Any:
    return np.asarray(a, dtype=np.float64) <= np.asarray(b, dtype=np.float64)


def _bad() -> float:
    return BAD_RESIDUAL


def _col(v: Any, k: int) -> np.ndarray:
    return v if isinstance(v, np.ndarray) else np.full((k, 1), float(v))


def _compose_rows(
    s: np.ndarray,
    k: int,
    fn: Callable[..., Any],
    params: dict[str, Any],
    warm: tuple[Any, Any] | None,
    floor: Any,
    rel: bool,
    shape_name: str = "linear",
) -> np.ndarray | None:
    """:func:`lraudit.schedules.schedule.compose` for ``k`` rows at once (shape ``(k, n)``):
    parameters are scalars or ``(k, 1)`` columns."""
    n = s.size
    if warm is None:
        clock = np.empty((k, n))
        clock[:] = s
        full = np.asarray(fn(clock, **params), dtype=np.float64)
        return full if floor is None else np.maximum(full, floor)
    steps, start = _col(warm[0], k), _col(warm[1], k)
    if not (steps > 0).all():
        return None
    clock = np.empty((k, n + 2))
    clock[:, :-2] = s
    if rel:
        clock[:, :-2] -= steps
    clock[:, -2:-1] = 0.0 if rel else steps
    clock[:, -1] = 0.0
    full = np.asarray(fn(clock, **params), dtype=np.float64)
    if floor is not None:
        full = np.maximum(full, floor)
    lr, target, f0 = full[:, :-2], full[:, -2:-1], full[:, -1:]
    mask = s < steps
    if not mask.any():
        return lr
    # the shapes take floats; batched ones are elementwise, so columns broadcast
    shape: Callable[..., Any] = SHAPES[shape_name]
    frac = np.maximum(s, 0.0) / steps
    if rel:
        wv = shape(frac, start, target, lambda: np.full_like(frac, target), target, steps)
    else:
        wv = shape(frac, start, target, lambda: lr, f0, steps)
    return np.where(mask, wv, lr)
