"""Resets: a rise after a decrease (a resumed run whose scheduler restarted), found in the values
and in the points a restart rewrote."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from lraudit.diagnose.curve import explains, relerr, rise_end
from lraudit.diagnose.findings import finding
from lraudit.diagnose.thresholds import FLAT_TOL, HYP_TOL, JUMP, JUMP_RANGE
from lraudit.diagnose.words import lr_str, step_str
from lraudit.types import Finding, IntendedSchedule, LRSeries


def find_resets(
    x: np.ndarray, y: np.ndarray, intended: IntendedSchedule | None = None
) -> list[tuple[int, int]]:
    """``(index of the first point after the restart, index of the jump)`` for each reset.

    A reset is, after the LR had come down from a higher value (the initial warmup is not one),
    either a jump up of more than :data:`JUMP` relative and :data:`JUMP_RANGE` of the curve's
    range in one logged interval, or a sharp drop (to below half, by more than a fifth of the
    range: a warmup restarted from ~0) followed by a rise. Smooth rises (a cosine run past its
    period, a triangular cycle logged densely) are neither. The restart is placed at the drop
    when there is one, else at the jump.
    """
    n = y.size
    out: list[tuple[int, int]] = []
    if n < 3:
        return out
    span = float(np.max(y) - np.min(y))
    if span <= 0:
        return out
    e, _ = rise_end(x, y)
    run_max = np.maximum.accumulate(y)
    # the points i that rise by more than JUMP after the LR had come down (whatever happened
    # before them): the same test as in the loop below, done once for the whole series
    prev = y[:-1]
    before = np.concatenate((y[:1], run_max[:-2])) if n >= 2 else y[:0]
    with np.errstate(invalid="ignore", over="ignore"):
        mask = (y[1:] > prev * (1 + JUMP)) & (before > prev * (1 + JUMP))
    cand = np.flatnonzero(mask) + 1
    k = 0
    i = e + 1
    while i < n:
        k += int(np.searchsorted(cand[k:], i))
        if k >= cand.size:
            break
        i = int(cand[k])
        m = i - 1
        dropped = m >= 1 and y[m] < 0.5 * y[m - 1] and y[m - 1] - y[m] > 0.2 * span
        jumped = y[i] - y[i - 1] > JUMP_RANGE * span
        if dropped or jumped:
            start = m if dropped else i
            if intended is not None and not dropped:
                # a warmup restarted from above half the LR it fell from shows no drop: the
                # restart is the first point that already follows the restarted schedule
                while start > 1 and restarts_intended(x, y, start - 1, intended) is not None:
                    start -= 1
            out.append((start, i))
            while i + 1 < n and y[i + 1] > y[i] * (1 + FLAT_TOL):
                i += 1
        i += 1
    return out


def reset_findings(
    x: np.ndarray, y: np.ndarray, intended: IntendedSchedule | None, notes: Sequence[str] = ()
) -> list[Finding]:
    out: list[Finding] = []
    for start, jump in find_resets(x, y, intended):
        s0 = x[start]
        msg = (
            f"the LR jumps back up at step {step_str(x[jump])}, from {lr_str(y[jump - 1])} to "
            f"{lr_str(y[jump])}, after having decreased from {lr_str(np.max(y[:jump]))}"
        )
        near = note_near(notes, x[max(start - 1, 0)], x[jump])
        if near:
            msg += f" (reader: {near})"
        restarted = None if intended is None else restarts_intended(x, y, start, intended)
        if restarted is not None:
            msg += (
                f"; from step {step_str(s0)} on it follows the configured schedule again from its "
                f"start (restarted at step {step_str(restarted)}): a resume did not restore the "
                "scheduler state"
            )
        else:
            msg += ": a resume or a rebuilt scheduler restarted the schedule"
        out.append(
            finding(
                "schedule_reset",
                msg,
                step=s0,
                expected=None if intended is None else float(intended.evaluate([s0])[0]),
                observed=float(y[start]),
            )
        )
    return out


NOTE_STEP = re.compile(r"at step (-?\d+)")


def note_near(notes: Sequence[str], lo: float, hi: float) -> str | None:
    """The first reader note about a step in ``[lo, hi]`` (a resume, a SessionLog START)."""
    for n in notes:
        for m in NOTE_STEP.finditer(n):
            if lo <= int(m.group(1)) <= hi:
                return n
    return None


def restarts_intended(
    x: np.ndarray, y: np.ndarray, start: int, intended: IntendedSchedule
) -> float | None:
    """The step ``r`` such that the points from ``start`` on follow ``intended(s - r)``, if any."""
    xs, ys = x[start:], y[start:]
    if xs.size == 0:
        return None
    lo = x[start - 1] if start >= 1 else xs[0] - 1
    cands = np.unique(np.round(np.linspace(lo, xs[0], min(int(xs[0] - lo) + 1, 201))))
    for r in cands:
        m = intended.evaluate(xs - r)
        if explains(relerr(ys, m)):
            return float(r)
    return None


def rule_replaced(series: LRSeries) -> list[Finding]:
    """A resume that rewrote already-logged steps with a different LR did not restore the state."""
    out: list[Finding] = []
    if not series.replaced or len(series) == 0:
        return out
    steps = np.asarray(series.steps)
    vals = np.asarray(series.values, dtype=np.float64)
    for seg in series.replaced:
        s = np.asarray(seg.steps)
        v = np.asarray(seg.values, dtype=np.float64)
        idx = np.searchsorted(steps, s)
        ok = (idx < steps.size) & np.isfinite(v)
        ok[ok] &= steps[idx[ok]] == s[ok]
        if not ok.any():
            continue
        new = vals[idx[ok]]
        e = relerr(new, v[ok])
        if not (e > HYP_TOL).any():
            continue
        j = int(np.flatnonzero(e > HYP_TOL)[0])
        s0 = float(s[ok][j])
        out.append(
            finding(
                "schedule_reset",
                f"a restart rewrote steps from {step_str(s[ok].min())} on with a different LR (step "
                f"{step_str(s0)}: {lr_str(v[ok][j])} before, {lr_str(new[j])} after the restart, "
                f"{file_name(seg.file)}): the resumed run did not continue the schedule",
                step=s[ok].min(),
                expected=float(v[ok][j]),
                observed=float(new[j]),
            )
        )
    return out


def file_name(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]
