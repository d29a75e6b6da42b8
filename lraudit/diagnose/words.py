"""How numbers and schedules are written in findings' messages.

Learning rates with 6 significant digits, steps with thousands separators, percentages with two
significant digits; :func:`describe` gives the one-line schedule a message quotes, with the
values a fit does not determine shown as ``?``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from lraudit.types import Schedule


def lr_str(v: float) -> str:
    if isinstance(v, Unknown):
        return "?"
    return f"{float(v):.6g}"


def step_str(v: float) -> str:
    if isinstance(v, Unknown):
        return "?"
    v = float(v)
    if v.is_integer():
        return f"{int(v):,}"
    return f"{v:,.4g}"


def pct_str(p: float) -> str:
    p = abs(float(p))
    if p >= 10:
        return f"{p:.0f}"
    if p >= 0.995:
        return f"{p:.2g}"
    return f"{p:.2g}"


def units_str(n: float, unit: str) -> str:
    return f"{step_str(n)} {unit}{'' if float(n) == 1 else 's'}"


def signed_pct_str(a: float, b: float) -> str:
    if a == 0:
        return "from 0"
    p = 100.0 * (b - a) / abs(a)
    return f"{'+' if p >= 0 else '-'}{pct_str(p)} %"


def ratio_str(k: float) -> str:
    if k >= 1:
        return f"{k:.3g}x"
    return f"1/{1 / k:.3g} x" if k > 0 else f"{k:.3g}x"


#: Piecewise schedules with more levels than this are described by their ends.
MAX_LEVELS = 12


def describe(schedule: Schedule, unit: str = "step", unknown: Iterable[str] = ()) -> str:
    """One readable line for a schedule, e.g. ``exponential 0.004 x0.95 every 800,720 steps``.

    Parameters named in ``unknown`` (a fit's unidentified ones: the data do not determine
    them) are shown as ``?`` rather than quoted as observed values.

    >>> describe(Schedule("cosine", {"peak_lr": 0.1, "end_lr": 0.08, "decay_steps": 1e5}),
    ...          unknown=("end_lr", "decay_steps"))
    'cosine 0.1->? over ? steps'
    """
    unknown = set(unknown)
    p: dict[str, Any] = {k: (Unknown() if k in unknown else v) for k, v in schedule.params.items()}
    f = schedule.family
    u = unit + "s"
    if f == "constant":
        body = f"constant {lr_str(p.get('lr', math.nan))}"
    elif f == "exponential" or f == "inverse_time":
        stair = " (staircase)" if p.get("staircase") else ""
        start = p.get("start_step") or 0
        frm = f" from {unit} {step_str(start)}" if start else ""
        op = "x" if f == "exponential" else "/(1+k), k="
        body = (
            f"{f} {lr_str(p.get('init_lr', math.nan))} {op}{lr_str(p.get('decay_rate', math.nan))} "
            f"every {step_str(p.get('decay_steps', math.nan))} {u}{stair}{frm}"
        )
    elif f == "piecewise":
        bs, vs = list(p.get("boundaries", ())), list(p.get("values", ()))
        if len(vs) > MAX_LEVELS:
            # a schedule sampled per epoch can have thousands of levels: name the ends only
            body = (
                f"piecewise {lr_str(vs[0])}, {lr_str(vs[1])}, ... {lr_str(vs[-1])} "
                f"({len(vs)} levels) at {u} [{step_str(bs[0])}, ... {step_str(bs[-1])}]"
            )
        else:
            b = ", ".join(step_str(v) for v in bs)
            v = ", ".join(lr_str(v) for v in vs)
            body = f"piecewise {v} at {u} [{b}]"
    elif f in ("cosine", "polynomial"):
        a = p.get("peak_lr", p.get("init_lr", math.nan))
        start = p.get("start_step") or 0
        frm = f" from {unit} {step_str(start)}" if start else ""
        pw = f" power {lr_str(p['power'])}" if f == "polynomial" and "power" in p else ""
        body = (
            f"{f}{pw} {lr_str(a)}->{lr_str(p.get('end_lr', 0.0))} over "
            f"{step_str(p.get('decay_steps', math.nan))} {u}{frm}"
        )
    else:
        body = f + " " + ", ".join(f"{k}={plain_str(v)}" for k, v in p.items())
    w = schedule.warmup
    if w is not None and w.steps > 0:
        ws = "?" if "warmup.steps" in unknown else units_str(w.steps, unit)
        w0 = "?" if "warmup.start_lr" in unknown else lr_str(w.start_lr)
        body = f"{w.shape} warmup {ws} from {w0}, then " + body
    if schedule.min_lr is not None:
        body += f", floor {'?' if 'min_lr' in unknown else lr_str(schedule.min_lr)}"
    return body


def plain_str(v: Any) -> str:
    if isinstance(v, Unknown):
        return "?"
    if isinstance(v, (bool, str)):
        return str(v)
    if isinstance(v, (int, float, np.number)):
        fv = float(v)
        return step_str(fv) if fv.is_integer() and abs(fv) >= 1 else lr_str(fv)
    if isinstance(v, (list, tuple, np.ndarray)):
        return "[" + ", ".join(plain_str(e) for e in v) + "]"
    return str(v)


class Unknown(float):
    """A parameter value the data do not determine: formats as ``?`` wherever it is quoted."""

    def __new__(cls) -> Unknown:
        return super().__new__(cls, math.nan)

    def __format__(self, spec: str) -> str:
        return "?"

    def __str__(self) -> str:
        return "?"

    def is_integer(self) -> bool:
        return False
