"""The last resort once no hypothesis explains the log: ``decay_mismatch`` naming the parameters
that differ (same family) or ``family_mismatch``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from lraudit.diagnose.context import Ctx
from lraudit.diagnose.curve import Match, decay_end, interval, logged_levels, relerr
from lraudit.diagnose.findings import finding
from lraudit.diagnose.thresholds import HORIZON_FACTOR, HYP_TOL
from lraudit.diagnose.words import describe, lr_str, pct_str, plain_str, step_str, units_str
from lraudit.types import FitResult, Schedule


def decay_or_family(ctx: Ctx, x: np.ndarray, y: np.ndarray, match: Match) -> None:
    e = match.err
    j = int(np.argmax(e))
    at = (
        f"at {ctx.unit} {step_str(x[j])} the config gives {lr_str(match.model[j])}, the log "
        f"{lr_str(y[j])}"
    )
    fit = ctx.fit
    s = ctx.sched
    pw = piecewise_diffs(x, y, s, ctx.unit) if s.family == "piecewise" else None
    if (fit is None or fit.status == "failed") and pw:
        ctx.out.append(
            finding(
                "decay_mismatch",
                f"the logged piecewise schedule differs from the config: {pw} ({at})",
                step=x[j],
                expected=float(match.model[j]),
                observed=float(y[j]),
            )
        )
        return
    if fit is None or fit.status == "failed":
        ctx.out.append(
            finding(
                "decay_mismatch",
                f"the logged LR departs from the config ({describe(s, ctx.unit)}) by up to "
                f"{pct_str(100 * e[j])} % ({at})",
                step=x[j],
                expected=float(match.model[j]),
                observed=float(y[j]),
            )
        )
        return
    same, alt = same_family(fit, s)
    if same:
        # a piecewise config is compared drop by drop in the logged window (which drops moved,
        # by how much, which levels differ), whichever family fitted the staircase best;
        # the fitted parameters only when the log is no such staircase
        diffs = [pw] if pw else param_diffs(fit, alt, s, x)
        what = "; ".join(diffs) if diffs else f"up to {pct_str(100 * e[j])} % apart"
        ctx.out.append(
            finding(
                "decay_mismatch",
                f"the logged {s.family} schedule differs from the config: {what} ({at})",
                step=x[j],
                expected=float(match.model[j]),
                observed=float(y[j]),
            )
        )
        return
    ctx.out.append(
        finding(
            "family_mismatch",
            f"the config describes {describe(s, ctx.unit)}, but the logged LR follows "
            f"{describe(fit.schedule, ctx.unit, fit.unidentified)} (fit RMS log error "
            f"{fit.rmse_log:.2g}); {at}",
            step=x[j],
            expected=s.family,
            observed=fit.schedule.family,
        )
    )


def same_family(fit: FitResult, s: Schedule) -> tuple[bool, Schedule | None]:
    """Whether the logged curve is of the config's family: the fit's or a close alternative."""
    fam = fit.schedule.family
    if fam == s.family:
        return True, fit.schedule
    stair = {"exponential", "piecewise"}
    if {fam, s.family} <= stair and (s.family == "piecewise" or s.params.get("staircase")):
        return True, None
    for a in fit.alternatives:
        if a.family == s.family and a.delta_bic < 10 and a.rmse_log <= max(10 * fit.rmse_log, 1e-4):
            return True, a.schedule
    return False, None


def param_diffs(fit: FitResult, alt: Schedule | None, s: Schedule, x: np.ndarray) -> list[str]:
    """``name: configured A, observed ≈B`` for identified parameters that differ by > 1 %."""
    out: list[str] = []
    if alt is None:
        return out
    ident = set(fit.identified) if alt is fit.schedule else window_identified(alt, x)
    res = interval(x)
    for name, conf in s.params.items():
        if name not in alt.params or name not in ident:
            continue
        got = alt.params[name]
        if differs(conf, got, res if "step" in name or name == "boundaries" else 0.0):
            out.append(f"{name} configured {plain_str(conf)}, observed ≈{plain_str(got)}")
    if (
        s.family == "exponential"
        and "rate_per_step" in fit.identified
        and not s.params.get("staircase")
    ):
        k_obs = next(p.value for p in fit.params if p.name == "rate_per_step")
        try:
            k_conf = math.log(float(s.params["decay_rate"])) / float(s.params["decay_steps"])
        except (KeyError, ValueError, ZeroDivisionError):
            k_conf = math.nan
        if math.isfinite(k_conf) and differs(k_conf, k_obs, 0.0):
            out.append(
                f"decay per step ln(decay_rate)/decay_steps configured {k_conf:.4g}, observed "
                f"≈{float(k_obs):.4g}"
            )
    return out


def piecewise_diffs(x: np.ndarray, y: np.ndarray, s: Schedule, unit: str) -> str | None:
    """The drops of a logged staircase against the configured piecewise schedule, in the
    logged window: ``every drop is 200 iterations late`` when only the boundaries moved by the
    same amount, else the boundaries and values side by side. None when the log is no
    staircase of at most a few more levels than configured."""
    got = logged_levels(x, y)
    try:
        cb = [float(b) for b in s.params.get("boundaries", ())]
        cv = [float(v) for v in s.params.get("values", ())]
    except (TypeError, ValueError):
        return None
    if got is None or len(cv) != len(cb) + 1:
        return None
    ob, ov = got
    if len(ob) > len(cb) + 2:
        return None
    lo, hi = float(x[0]), float(x[-1])
    inb = [b for b in cb if lo < b <= hi]
    inv = [cv[int(np.searchsorted(cb, lo, side="right"))]]
    inv += [cv[cb.index(b) + 1] for b in inb]
    res = interval(x)
    same_values = len(ov) == len(inv) and not np.any(relerr(np.array(ov), np.array(inv)) > HYP_TOL)
    slash = lambda v, f: "/".join(f(a) for a in v) or "none"  # noqa: E731
    if same_values and ob and len(ob) == len(inb):
        d = np.array(ob) - np.array(inb)
        if float(d.max() - d.min()) <= res and float(np.abs(d).max()) > res:
            shift = float(np.median(d))
            how = "late" if shift > 0 else "early"
            return (
                f"every drop is {units_str(round(abs(shift)), unit)} {how} (at {unit}s "
                f"{slash(ob, step_str)} instead of the configured {slash(inb, step_str)}; same values "
                f"{slash(ov, lr_str)})"
            )
    parts = []
    if len(ob) != len(inb) or any(abs(a - b) > res for a, b in zip(ob, inb, strict=False)):
        parts.append(
            f"the LR drops at {unit}s ≈{slash(ob, step_str)} instead of the configured {slash(inb, step_str)}"
        )
    if not same_values:
        parts.append(f"the levels are {slash(ov, lr_str)} instead of {slash(inv, lr_str)}")
    return "; ".join(parts) or None


def window_identified(alt: Schedule, x: np.ndarray) -> set[str]:
    """An alternative's parameters the logged window can determine (alternatives carry no
    identifiability of their own): all but the horizon and end value of a decay that ends far
    past the run (:data:`HORIZON_FACTOR` times its last step)."""
    names = set(alt.params)
    end = decay_end(alt)
    if end is not None and x.size and end > HORIZON_FACTOR * float(x[-1]):
        names -= {"decay_steps", "end_lr", "total_steps", "first_period", "stable_steps"}
    return names


def differs(a: Any, b: Any, atol: float) -> bool:
    if isinstance(a, (list, tuple, np.ndarray)) or isinstance(b, (list, tuple, np.ndarray)):
        la, lb = list(np.ravel(a)), list(np.ravel(b))
        return len(la) != len(lb) or any(differs(u, v, atol) for u, v in zip(la, lb, strict=True))
    if isinstance(a, bool) or isinstance(b, bool) or isinstance(a, str) or isinstance(b, str):
        return a != b
    try:
        fa, fb = float(a), float(b)
    except (TypeError, ValueError):
        return a != b
    return abs(fa - fb) > max(atol, 0.01 * max(abs(fa), abs(fb)))
