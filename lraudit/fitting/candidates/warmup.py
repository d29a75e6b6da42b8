"""Candidate warmups: the ways to model the initial rise (or straight initial fall) of a curve.

Each option is ``(shape, free params, fixed values, n_structural)``: the shape read off the rise
by structure detection (``linear``, ``exponential``, ``constant``; ``log`` added when the rise is
a straight line in ``ln(s + 1)``), with the warmup length free
inside the logging gap where the rise ends and the start LR free; no warmup when the family
explains the start itself.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from lraudit.curves import TINY
from lraudit.fitting.candidates.common import (
    LR_REL_MIN,
    LR_SCALE_MIN,
    OVERLAID,
    STEP_LOG_MIN,
    Ctx,
    polyfit,
)
from lraudit.fitting.engine import Candidate, FreeParam

#: A way to model the start: ``(shape or None, free params, fixed warmup values, n_structural)``.
WarmupOption = tuple[str | None, list[FreeParam], dict[str, float], int]


def warmup_options(ctx: Ctx) -> list[WarmupOption]:
    """Ways to model the initial rise: ``(shape, free params, fixed values, n_structural)``."""
    st, x, y = ctx.st, ctx.x, ctx.y
    if st.warmup_end is None:
        return [(None, [], {}, 0)]
    falling = st.rise_end is None
    r = st.warmup_end
    peak = float(y[r])
    whole = r >= x.size - 1  # the run ends inside the rise: the top is never seen
    shape = st.warmup_shape or "linear"
    if shape == "constant":
        return [("constant", [], {"steps": float(x[r]), "start_lr": float(y[0])}, 2)]
    xs, ys = x[: r + 1], y[: r + 1]
    if not whole:
        xs, ys = xs[:-1], ys[:-1]
    opts: list[WarmupOption] = []
    shapes = [shape] if xs.size >= 4 else ["linear", "exponential"]
    if shape != "log" and _log_like(xs, ys):
        shapes.append("log")  # DeepSpeed WarmupLR's default: a steep rise that flattens
    if falling:
        # a straight fall into a gentler decay: either a warmup from above or the family itself
        opts.append((None, [], {}, 0))
        shapes = ["linear"]
    top_start = max(float(np.max(ys)) if ys.size else peak, peak) * 1.0001
    for sh in shapes:
        if sh == "exponential" and np.any(ys <= 0):
            continue
        if xs.size >= 2:
            if sh == "linear":
                slope, icpt = polyfit(xs, ys, 1)
                start = max(float(icpt), 0.0)
                w0 = (peak - icpt) / slope if slope != 0 else float(x[r])
            elif sh == "log":  # y = a + b ln(s + 1), reaching the peak at s = W - 1
                slope, icpt = polyfit(np.log1p(np.maximum(xs, 0.0)), ys, 1)
                start = max(float(icpt), 0.0)
                w0 = math.exp(min((peak - icpt) / slope, 50.0)) if slope > 0 else float(x[r])
            else:
                slope, icpt = polyfit(xs, np.log(ys), 1)
                start = math.exp(icpt)
                w0 = (math.log(peak) - icpt) / slope if slope > 0 else float(x[r])
        else:
            start, w0 = float(y[0]), float(x[r])
        lo_w = float(x[r - 1]) if r >= 1 else 0.0
        hi_w = float(x[r])
        if whole:
            # the top is never reached: W is only bounded below; hold it at the smallest value
            # consistent with the data (reported as not identified)
            fixed = {"steps": float(x[-1]) + 1.0}
            frees = [
                FreeParam(
                    "warmup.start_lr", max(start, 0.0), 0.0, peak, scale=max(peak, LR_SCALE_MIN)
                ),
            ]
            if sh == "exponential":
                frees[0] = FreeParam(
                    "warmup.start_lr",
                    max(start, LR_SCALE_MIN),
                    max(peak * LR_REL_MIN, TINY),
                    peak,
                    log=True,
                )
            opts.append((sh, frees, fixed, 0))
            continue
        w0 = min(max(w0, lo_w), hi_w)
        frees = [
            FreeParam(
                "warmup.steps",
                max(w0, STEP_LOG_MIN),
                max(lo_w - 1.0, STEP_LOG_MIN) * 0.999,
                hi_w + 1.0,
                log=True,
            )
        ]
        if sh in ("linear", "log"):
            frees.append(
                FreeParam("warmup.start_lr", start, 0.0, top_start, scale=max(peak, LR_SCALE_MIN))
            )
        else:
            frees.append(
                FreeParam(
                    "warmup.start_lr",
                    max(start, peak * LR_REL_MIN),
                    peak * LR_REL_MIN,
                    peak * 1.0001,
                    log=True,
                )
            )
        opts.append((sh, frees, {}, 0))
    return opts or [(None, [], {}, 0)]


def overlaid_shapes(c: Candidate, shape: str | None) -> list[str]:
    """Further warmup shapes for candidate ``c`` with warmup ``shape``: a decay running from step 0
    under a linear rise may be scaled by the rise instead of replaced by it.

    Replaced (``linear``): :math:`a + (F(W) - a) s / W`, fvcore ``WarmupParamScheduler``
    (detectron2 ``WarmupCosineLR`` / ``WarmupMultiStepLR`` since 2021). Scaled
    (``linear_factor``): :math:`F(s) (r_0 + (1 - r_0) s / W)`, detectron2's original
    ``WarmupCosineLR`` (``base_lr * warmup_factor(s) * cosine(s)``), torch ``LinearLR`` chained
    with a ``CosineAnnealingLR``. Both start at the same LR, so the same free values serve.
    """
    if shape == "linear" and c.label.endswith(OVERLAID):
        return ["linear_factor"]
    return []


def _log_like(xs: np.ndarray, ys: np.ndarray) -> bool:
    """The rise is a straight line in ``ln(s + 1)`` far better than in ``s`` (at least 4
    points from step 0 on, concave): a logarithmic warmup."""
    if xs.size < 4 or xs[0] < 0 or not np.all(np.diff(ys) > 0):
        return False
    u = np.log1p(xs)
    r_log = _resid(u, ys)
    return bool(np.max(np.abs(r_log)) * 10 < np.max(np.abs(_resid(xs, ys))))


def _resid(u: np.ndarray, ys: np.ndarray) -> np.ndarray:
    slope, icpt = polyfit(u, ys, 1)
    return ys - (slope * u + icpt)


#: The longest hold at the peak, between the warmup's end and the decay's start, that
#: :func:`held_peak` frees, in steps (a framework's off-by-one, not a designed phase: a longer
#: hold would let a sparse log bend any warmup to fit).
HOLD_MAX = 4.0


def held_peak(c: Candidate, values: dict[str, float]) -> Candidate | None:
    """``c`` (a decay whose clock starts where the warmup ends, ``start_step`` tied to
    ``warmup.steps``) with the decay's start free a short hold after the warmup's end, or
    ``None`` when ``c`` has no such tie. ``values``: the fitted values ``c`` starts from.

    The warmup reaches the peak at :math:`w`, the peak holds, the decay starts at
    :math:`s_0` between :math:`w - 1` and :math:`w +` ``HOLD_MAX``:
    MMEngine's ``LinearLR(end=w)`` reaches its end factor at ``w - 1`` while
    ``CosineAnnealingLR(begin=w)`` starts at ``w``; a hand-written ``LambdaLR`` with
    ``(t + 1) / w`` in the warmup and ``t - w`` in the decay does the same.
    """
    tie = c.ties.get("start_step")
    if tie is None or tie[0] != "warmup.steps" or "warmup.steps" not in values:
        return None
    w = float(values["warmup.steps"])
    s0 = FreeParam("start_step", w + 1.0, max(w - 1.0, 0.0), w + HOLD_MAX, integer=tie[1])
    return replace(
        c,
        free=[*(replace(p, init=values.get(p.name, p.init)) for p in c.free), s0],
        ties={k: v for k, v in c.ties.items() if k != "start_step"},
        fixed=dict(c.fixed),
        warmup_fixed=dict(c.warmup_fixed),
        label=f"{c.label} + hold".strip(),
    )
