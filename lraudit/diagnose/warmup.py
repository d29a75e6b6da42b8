"""The configured warmup against the log: missing (the log is the config without it), longer
than the run, and the observed ramp's end."""

from __future__ import annotations

from typing import Any

import numpy as np

from lraudit.diagnose.context import Ctx
from lraudit.diagnose.curve import best_offset, explains, interval, is_num, relerr, rise_end
from lraudit.diagnose.findings import finding
from lraudit.diagnose.thresholds import FLAT_TOL, HYP_TOL
from lraudit.diagnose.words import lr_str, pct_str, step_str, units_str
from lraudit.types import Schedule, WarmupFloor


def inside_warmup(ctx: Ctx, x: np.ndarray, y: np.ndarray) -> None:
    """The run ends inside the configured warmup and does not match it."""
    if x.size >= 1 and without_warmup(ctx, x, y):
        return
    warmup_exceeds_configured(ctx, x, y, matched=False)


def nowarm_variants(ctx: Ctx) -> list[tuple[Schedule, str]]:
    """The intended schedule as it runs when its warmup is dropped, with what changes.

    The decay may keep its place (torch SequentialLR, a separate warmup wrapper), or start
    at 0 over a horizon extended by the warmup ``W``: schedulers whose decay lasts
    ``N - W`` (HF, timm without warmup_prefix, MMEngine chains ending at max_iters) decay
    over all ``N`` steps when ``W = 0``. A decay that starts at ``W`` but keeps its length
    is the third variant.
    """
    s, w = ctx.sched, ctx.w_int
    out = [(Schedule(s.family, s.params, None, s.min_lr), "")]
    p = dict(s.params)
    start: Any = p.get("start_step")
    if is_num(start) and float(start) > 0:
        if is_num(p.get("decay_steps")) and abs(float(start) - w) <= max(1.0, 0.01 * w):
            longer = {**p, "start_step": 0, "decay_steps": float(p["decay_steps"]) + w}
            out.append(
                (
                    Schedule(s.family, longer, None, s.min_lr),
                    f"; the decay runs from {ctx.unit} 0 over "
                    f"{units_str(longer['decay_steps'], ctx.unit)} (the configured "
                    f"{step_str(p['decay_steps'])} plus the {step_str(w)} of the warmup, as when the "
                    "warmup is set to 0)",
                )
            )
        out.append(
            (
                Schedule(s.family, {**p, "start_step": 0}, None, s.min_lr),
                f"; the decay starts at {ctx.unit} 0 instead of {step_str(start)}",
            )
        )
    if s.family == "warmup_stable_decay" and is_num(p.get("stable_steps")):
        longer = {**p, "stable_steps": float(p["stable_steps"]) + w}
        out.append(
            (
                Schedule(s.family, longer, None, s.min_lr),
                f"; the stable phase lasts {units_str(longer['stable_steps'], ctx.unit)} "
                "(the configured one plus the warmup's)",
            )
        )
    return out


def without_warmup(ctx: Ctx, x: np.ndarray, y: np.ndarray) -> bool:
    """``warmup_missing`` when the log is the config without its warmup (any variant of
    :func:`nowarm_variants`), or, failing that, when the log starts at about the peak and
    does not rise while the config ramps up from well below it."""
    for sched, how in nowarm_variants(
        ctx,
    ):
        if explains(best_offset(x, y, sched).err):
            warmup_missing(ctx, x, y, how)
            return True
    inside = x < ctx.w_int
    if inside.sum() < 1:
        return False
    peak = float(ctx.sched.evaluate([ctx.w_int])[0])
    m0 = float(ctx.sched.evaluate([x[0]])[0])
    yi = y[inside]
    rises = bool(np.any(yi[1:] > yi[:-1] * (1 + FLAT_TOL)))
    near_peak = relerr(yi[:1], np.array([peak]))[0] <= 0.05
    if peak > 0 and m0 <= 0.5 * peak and near_peak and not rises:
        warmup_missing(
            ctx,
            x,
            y,
            "; after it the log does not follow the configured decay (moved or not) within "
            f"{pct_str(100 * HYP_TOL)} %, which was not compared further",
        )
        return True
    return False


def warmup_missing(ctx: Ctx, x: np.ndarray, y: np.ndarray, how: str = "") -> None:
    w = ctx.sched.warmup
    assert w is not None
    ctx.out.append(
        finding(
            "warmup_missing",
            f"the config has a {w.shape} warmup of {units_str(w.steps, ctx.unit)} from "
            f"{lr_str(w.start_lr)}, but the logged LR is already at the post-warmup value "
            f"{lr_str(y[0])} at {ctx.unit} {step_str(x[0])}{how}: the warmup did not run",
            step=x[0],
            expected=float(ctx.sched.evaluate([x[0]])[0]),
            observed=float(y[0]),
        )
    )


def warmup_exceeds_configured(ctx: Ctx, x: np.ndarray, y: np.ndarray, matched: bool) -> None:
    """The configured warmup is at least as long as the run (or its planned horizon)."""
    w = ctx.w_int
    horizon = ctx.it.horizon
    last = float(x[-1])
    planned_longer = horizon is not None and w < horizon and last + interval(x) < horizon
    if matched and planned_longer:
        return  # an unfinished run that is still in its warmup
    stated = ctx.it.configured_lengths
    floor = ctx.it.warmup_floor
    nb = ctx.it.steps_per_epoch
    end = max(w, last + 1)
    peak = float(ctx.sched.evaluate([end])[0])
    if stated is not None and stated.warmup > stated.run:
        why = (
            f"the configured warmup ({step_str(stated.warmup)} {ctx.unit}s) is longer than the "
            f"planned run ({step_str(stated.run)})"
        )
    elif floor is not None and floor.effective is not None and nb:
        eff = floor.effective
        why = (
            f"the warmup lasts {step_str(round(eff, 3))} epochs "
            f"({step_str(round(eff * nb))} iterations / {nb} per epoch; {floor_rule(floor)}, "
            f"{floor.key} is {step_str(floor.configured)})"
        )
        if horizon is not None:
            why += f" and the planned run {units_str(horizon, ctx.unit)}"
    else:
        why = f"the configured warmup lasts {units_str(w, ctx.unit)}"
        if horizon is not None:
            why += f" and the planned run {units_str(horizon, ctx.unit)}"
        if floor is not None:
            why += (
                f" ({floor.framework}'s warmup lasts at least {floor.min_iterations} iterations, "
                "longer still on a small dataset)"
            )
    ctx.out.append(
        finding(
            "warmup_exceeds_run",
            f"{why}, so the whole logged run ({ctx.unit}s {step_str(x[0])}-{step_str(last)}) is warmup: "
            f"the LR reaches {lr_str(y[-1])} at the last point and the post-warmup LR "
            f"the config gives from {ctx.unit} {step_str(end)} ({lr_str(peak)}) is never used",
            step=last,
            expected=w,
            observed=last,
        )
    )


def warmup_ramp(ctx: Ctx, x: np.ndarray, y: np.ndarray) -> tuple[float, float] | None:
    """``(end, slope)`` of the logged warmup as a fraction of the config's post-warmup LR.

    During a warmup ``y(s) = r(s) target(s)`` with ``r`` rising linearly to 1; fitting ``r``
    on the ramp points gives the end ``(1 - a) / b`` even when the target itself decays
    (YOLO warms up towards ``lr0 lf(epoch)``) and between two logged points.
    """
    e, _ = rise_end(x, y)
    if e < 2:
        return None
    nowarm = Schedule(ctx.sched.family, ctx.sched.params, None, ctx.sched.min_lr)
    tgt = np.asarray(nowarm.evaluate(x[:e]), dtype=np.float64)
    ok = tgt > 0
    if ok.sum() < 2:
        return None
    b, a = np.polyfit(x[:e][ok], y[:e][ok] / tgt[ok], 1)
    if b <= 0:
        return None
    end = (1 - a) / b
    if not (x[e - 1] <= end <= x[e] + interval(x, x[e])):
        return None
    return float(end), float(b)


def floor_rule(floor: WarmupFloor) -> str:
    """The framework's warmup-floor rule in words."""
    return (
        f"{floor.framework} warms up for max(round({floor.key} x iterations per epoch), "
        f"{floor.min_iterations}) iterations"
    )


def floor_explains(ctx: Ctx, slope: float | None) -> tuple[int, float] | None:
    """``(iterations per epoch, warmup epochs)`` when the framework's warmup floor
    (:class:`~lraudit.types.WarmupFloor`, ``N`` iterations) explains a logged ramp rising by
    ``slope`` of its target per epoch: ``nb = N slope`` iterations per epoch, so the warmup
    lasts ``N / nb`` epochs, longer than configured."""
    floor = ctx.it.warmup_floor
    if slope is None or ctx.unit != "epoch" or floor is None:
        return None
    n = floor.min_iterations
    nb = int(round(n * slope))  # the fraction rises by nb / n per epoch
    if nb < 1 or n / nb <= ctx.w_int:
        return None
    return nb, n / nb


def warmup_hint(ctx: Ctx, w_obs: float) -> str:
    if ctx.it.steps_per_epoch and ctx.w_int:
        r = w_obs / ctx.w_int
        spe = ctx.it.steps_per_epoch
        if abs(r / spe - 1) <= 0.1 or abs(r * spe - 1) <= 0.1:
            return ": the warmup was counted in the wrong unit (epochs vs iterations)"
    return ""
