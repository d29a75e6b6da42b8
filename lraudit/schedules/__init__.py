"""Schedule families: pure vectorised math, parameter specs, guesses, and the registry.

Each family module registers a :class:`Family` with :func:`register`. A family function takes an
int64/float64 array of absolute steps and keyword params and returns float64 learning rates. The
composition of warmup, family and floor is done once, here, in :func:`evaluate`:

.. math::

    lr(s) = \\begin{cases}
        w(s) & 0 \\le s < W \\text{ (warmup)} \\\\
        \\max(f(s), lr_{min}) & s \\ge W
    \\end{cases}

with :math:`w` the warmup shape going from ``start_lr`` at :math:`s=0` towards
:math:`T = \\max(f(W), lr_{min})` at :math:`s = W`: linear :math:`start + (T - start) s / W`,
constant :math:`start`, exponential :math:`start (T / start)^{s / W}`.

The ``linear_factor`` shape is multiplicative instead: the warmup scales the *running* schedule,
:math:`w(s) = F(s) (r_0 + (1 - r_0) s / W)` with :math:`F(s) = \\max(f(s), lr_{min})` (the family
value at :math:`s`, not at :math:`W`) and :math:`r_0 = start / F(0)`. This is the convention of
torch ``LinearLR`` chained with a decay, MMEngine's ``LinearLR`` overlapping the main scheduler,
old detectron2 ``WarmupMultiStepLR`` (factor warmup) and YOLOv5 (``np.interp`` towards
``lr0 * lf(epoch)``). For a ``warmup_relative`` family :math:`F` is constant over the warmup
(:math:`F(0)` on its clock), so ``linear_factor`` equals ``linear`` there.

>>> from lraudit.types import Schedule, Warmup
>>> s = Schedule("polynomial", {"init_lr": 1.0, "end_lr": 0.0, "decay_steps": 10, "power": 1.0},
...              warmup=Warmup(steps=4, start_lr=0.1, shape="linear_factor"))
>>> [round(float(v), 6) for v in s.evaluate([0, 2, 4])]  # f(2)=0.8 scaled by 0.55; then f(4)
[0.1, 0.44, 0.6]

Families are evaluated on absolute steps, except those registered with
``warmup_relative=True`` (``warmup_stable_decay``, whose stable phase starts where the warmup
ends, as in Hugging Face): their clock is :math:`s - W`, i.e. :math:`f(s - W)` replaces
:math:`f(s)` above and the warmup target is :math:`\\max(f(0), lr_{min})`.

Parameters are validated once, at :func:`evaluate` (kinds, bounds, choices and each family's own
cross-parameter ``check``); the family functions themselves are plain vectorised math that the
fitter calls directly many times.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from lraudit.errors import ScheduleError
from lraudit.types import Schedule, Warmup


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of a family.

    ``kind``: ``float`` | ``int`` | ``bool`` | ``choice`` | ``floats`` | ``ints`` (sequences).
    ``bounds`` are inclusive (None = unbounded). ``log`` marks params best fitted in log space.
    """

    name: str
    kind: str
    bounds: tuple[float | None, float | None] = (None, None)
    choices: tuple[str, ...] = ()
    default: Any = None
    log: bool = False
    doc: str = ""


@dataclass(frozen=True)
class Family:
    """A registered schedule family: its math, parameters and a data-driven initial guess."""

    name: str
    fn: Callable[..., np.ndarray]
    params: tuple[ParamSpec, ...]
    guess: Callable[[np.ndarray, np.ndarray], dict[str, Any]] | None = None
    summary: str = ""
    #: cross-parameter validation on the filled params; raises ScheduleError (one line)
    check: Callable[[Mapping[str, Any]], None] | None = None
    #: the family's clock starts at the end of the warmup (``f(s - W)``), see the module doc
    warmup_relative: bool = False

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    @property
    def formula(self) -> str:
        """The docstring of the family function (the math, as the spec)."""
        return (self.fn.__doc__ or "").strip()


REGISTRY: dict[str, Family] = {}


def register(family: Family) -> Family:
    """Add ``family`` to the registry (names are unique).

    Its ``guess`` is wrapped by :func:`robust_guess`: whatever the data (empty, non-finite,
    negative, repeated steps), the registered guess returns params that pass
    :func:`validate_params`.
    """
    if family.name in REGISTRY:
        raise ValueError(f"family {family.name!r} registered twice")
    if family.guess is not None:
        family = replace(family, guess=robust_guess(family, family.guess))
    REGISTRY[family.name] = family
    return family


#: what a family's raw guess may raise on degenerate data (numpy's LinAlgError is a ValueError)
_GUESS_ERRORS = (ValueError, ZeroDivisionError, FloatingPointError, IndexError, OverflowError)


def robust_guess(
    family: Family, raw: Callable[[np.ndarray, np.ndarray], dict[str, Any]]
) -> Callable[[np.ndarray, np.ndarray], dict[str, Any]]:
    """``raw`` made total: finite points only, numbers clamped into the ParamSpec bounds, and
    when the data give nothing usable, the family's own guess for a single point at the median
    positive value (a flat curve at that level)."""

    def guess(steps: np.ndarray, values: np.ndarray) -> dict[str, Any]:
        x = np.asarray(steps, dtype=np.float64).ravel()
        y = np.asarray(values, dtype=np.float64).ravel()
        n = min(x.size, y.size)
        ok = np.isfinite(x[:n]) & np.isfinite(y[:n])
        x, y = x[:n][ok], y[:n][ok]
        if x.size:
            order = np.argsort(x, kind="stable")
            x, y = x[order], y[order]
        for attempt in (0, 1):
            if attempt:
                pos = y[y > 0]
                level = float(np.median(pos)) if pos.size else 1e-3
                x, y = np.zeros(1), np.array([level])
            try:
                with np.errstate(all="ignore"):
                    g = _clamped(family, raw(x, y))
                validate_params(family, g)
                return g
            except (*_GUESS_ERRORS, ScheduleError):
                continue
        return {}

    guess.__doc__ = raw.__doc__
    return guess


def _clamped(family: Family, g: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for spec in family.params:
        if spec.name not in g:
            continue
        v = g[spec.name]
        if spec.kind in ("float", "int") and _is_number(v):
            f = float(v)
            if not math.isfinite(f):
                continue
            lo, hi = spec.bounds
            if lo is not None:
                f = max(f, lo)
            if hi is not None:
                f = min(f, hi)
            v = round(f) if spec.kind == "int" else f
        elif spec.kind in ("floats", "ints") and not isinstance(v, (str, bytes)):
            lo, hi = spec.bounds
            v = [float(e) for e in v]
            if lo is not None:
                v = [max(e, lo) for e in v]
            if hi is not None:
                v = [min(e, hi) for e in v]
        out[spec.name] = v
    return out


def get_family(name: str) -> Family:
    """The registered family called ``name``; a clear error listing the known ones otherwise."""
    _load()
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise ScheduleError(f"unknown schedule family {name!r}; known families: {known}") from None


def families() -> dict[str, Family]:
    """All registered families by name."""
    _load()
    return dict(REGISTRY)


def validate_params(family: Family, params: Mapping[str, Any]) -> dict[str, Any]:
    """Fill defaults and check every param (known, present, kind, bounds, choices).

    Returns a new dict; raises :class:`~lraudit.errors.ScheduleError` naming the param, the bad
    value and what is allowed.
    """
    names = set(family.param_names)
    unknown = set(params) - names
    if unknown:
        raise ScheduleError(
            f"family {family.name!r} has no parameter(s) {sorted(unknown)}; "
            f"its parameters are {list(family.param_names)}"
        )
    out: dict[str, Any] = {}
    for spec in family.params:
        if spec.name in params and params[spec.name] is not None:
            out[spec.name] = _check_value(family, spec, params[spec.name])
        elif spec.default is not None:
            out[spec.name] = spec.default
        else:
            raise ScheduleError(f"family {family.name!r} needs parameter {spec.name!r}")
    if family.check is not None:
        family.check(out)
    return out


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(
        v, (bool, np.bool_)
    )


def _check_value(family: Family, spec: ParamSpec, v: Any) -> Any:
    where = f"{family.name}.{spec.name}"
    if spec.kind in ("float", "int"):
        if not _is_number(v) or not math.isfinite(float(v)):
            raise ScheduleError(f"{where} must be a finite number, got {v!r}")
        if spec.kind == "int" and not float(v).is_integer():
            raise ScheduleError(f"{where} must be a whole number, got {v!r}")
        _check_bounds(where, spec, float(v))
        return v
    if spec.kind == "bool":
        if not isinstance(v, (bool, np.bool_)):
            raise ScheduleError(f"{where} must be true or false, got {v!r}")
        return bool(v)
    if spec.kind == "choice":
        if v not in spec.choices:
            raise ScheduleError(f"{where} must be one of {list(spec.choices)}, got {v!r}")
        return v
    if spec.kind in ("floats", "ints"):
        if isinstance(v, (str, bytes)) or not hasattr(v, "__len__"):
            raise ScheduleError(f"{where} must be a list of numbers, got {v!r}")
        for x in v:
            if not _is_number(x) or not math.isfinite(float(x)):
                raise ScheduleError(f"{where} must hold finite numbers only, got {x!r}")
            _check_bounds(where, spec, float(x))
        return list(v)
    return v


def _check_bounds(where: str, spec: ParamSpec, x: float) -> None:
    lo, hi = spec.bounds
    if (lo is not None and x < lo) or (hi is not None and x > hi):
        lo_s = "-inf" if lo is None else f"{lo:g}"
        hi_s = "inf" if hi is None else f"{hi:g}"
        raise ScheduleError(f"{where} = {x:g} is outside its range [{lo_s}, {hi_s}]")


def evaluate(schedule: Schedule, steps: Any) -> np.ndarray:
    """Learning rate of ``schedule`` at ``steps`` (any array-like of numbers, or a number),
    float64 with the shape of ``steps``."""
    family = get_family(schedule.family)
    params = validate_params(family, schedule.params)
    _validate_extras(schedule)
    shape = np.shape(steps)
    # family functions work in place on 1-d arrays; a scalar is evaluated as one point
    s = np.asarray(steps, dtype=np.float64).reshape(-1)
    return compose(s, family, params, schedule.warmup, schedule.min_lr).reshape(shape)


def compose(
    s: np.ndarray,
    family: Family,
    params: Mapping[str, Any],
    w: Warmup | None,
    min_lr: float | None,
) -> np.ndarray:
    """The family, its floor and its warmup at steps ``s`` (1-d float64), params already valid.

    The family is evaluated once, on its own clock (shifted by the warmup for
    ``warmup_relative`` families) extended by the two points the warmup needs: its end, where
    the ramp arrives, and step 0, which a ``linear_factor`` warmup scales.
    """
    if w is None or not w.steps > 0:
        lr = np.asarray(family.fn(s, **params), dtype=np.float64)
        return lr if min_lr is None else np.maximum(lr, min_lr)
    rel = family.warmup_relative
    clock = np.empty(s.size + 2)
    clock[:-2] = s
    if rel:
        clock[:-2] -= w.steps
    clock[-2] = 0.0 if rel else float(w.steps)
    clock[-1] = 0.0
    full = np.asarray(family.fn(clock, **params), dtype=np.float64)
    if min_lr is not None:
        full = np.maximum(full, min_lr)
    lr, target, f0 = full[:-2], float(full[-2]), float(full[-1])
    mask = s < w.steps
    if not mask.any():
        return lr
    frac = np.clip(s[mask], 0.0, None) / w.steps
    if w.shape == "linear":
        wv = w.start_lr + (target - w.start_lr) * frac
    elif w.shape == "constant":
        wv = np.full_like(frac, w.start_lr)
    elif w.shape == "exponential":
        if w.start_lr <= 0 or target <= 0:
            raise ScheduleError(
                f"an exponential warmup needs warmup.start_lr > 0 and a positive LR at its end, "
                f"got {w.start_lr!r} -> {target!r}"
            )
        wv = w.start_lr * (target / w.start_lr) ** frac
    elif w.shape == "linear_factor":
        # multiplicative: the factor r0 -> 1 scales the running schedule F(s), r0 = start / F(0)
        if rel:
            # F is F(0) on its own clock until the warmup ends
            running, f0 = np.full_like(frac, target), target
        else:
            running = lr[mask]  # already max(f(s), min_lr)
        if f0 > 0:
            r0 = w.start_lr / f0
        elif w.start_lr == 0:
            r0 = 0.0
        else:
            raise ScheduleError(
                f"a linear_factor warmup needs a positive LR at step 0 to scale, got {f0!r} "
                f"with warmup.start_lr={w.start_lr!r}; use a linear warmup"
            )
        wv = running * (r0 + (1.0 - r0) * frac)
    else:
        raise ScheduleError(
            f"unknown warmup shape {w.shape!r}; use 'linear', 'constant', 'exponential' or "
            "'linear_factor'"
        )
    out = lr.copy()
    out[mask] = wv
    return out


WARMUP_SHAPES = ("linear", "constant", "exponential", "linear_factor")


def _validate_extras(schedule: Schedule) -> None:
    """The warmup and the floor: finite, non-negative, a known warmup shape."""
    m = schedule.min_lr
    if m is not None and not (_is_number(m) and math.isfinite(float(m)) and float(m) >= 0):
        raise ScheduleError(f"min_lr must be a finite number >= 0 or None, got {m!r}")
    w = schedule.warmup
    if w is None:
        return
    for name, v in (("steps", w.steps), ("start_lr", w.start_lr)):
        if not (_is_number(v) and math.isfinite(float(v)) and float(v) >= 0):
            raise ScheduleError(f"warmup.{name} must be a finite number >= 0, got {v!r}")
    if w.shape not in WARMUP_SHAPES:
        raise ScheduleError(
            f"unknown warmup shape {w.shape!r}; use 'linear', 'constant', 'exponential' or "
            "'linear_factor'"
        )
    if w.shape == "exponential" and w.steps > 0 and float(w.start_lr) <= 0:
        raise ScheduleError(
            f"an exponential warmup needs warmup.start_lr > 0, got {w.start_lr!r}; use a "
            "linear warmup to start from 0"
        )


_LOADED = False


def _load() -> None:
    """Import the family modules once so that they register themselves."""
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    importlib.import_module("lraudit.schedules._catalog")


__all__ = [
    "Family",
    "ParamSpec",
    "REGISTRY",
    "evaluate",
    "families",
    "get_family",
    "register",
    "robust_guess",
    "validate_params",
]
