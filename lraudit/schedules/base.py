"""What a schedule family is: its math, its parameter specs (with roles), and everything the rest
of lraudit needs to know about it, in one value (:class:`Family`).

A family module builds one :class:`Family` per family and lists them in its ``FAMILIES`` tuple;
:mod:`lraudit.schedules.registry` joins those tuples. Nothing here depends on the fitter or the
reports: they read the family's knowledge from here (which parameters are LR levels or step
counts, its horizon, its key steps, its one-line description, what a window cannot identify).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lraudit.errors import ScheduleError
from lraudit.schedules.text import Steps

#: Parameter roles. ``level``: a learning rate (a start, peak or end value, or a list of them);
#: ``step``: a step count or position (a length, a start, boundaries); ``rate``: a factor per
#: step or per period (decay rate, period growth, amplitude decay); ``shape``: a dimensionless
#: shape number (power, share of the cycle); ``choice``: a discrete option (bool or enum).
ROLES = ("level", "step", "rate", "shape", "choice")

#: ``ParamSpec.snap`` of step counts that frameworks take as whole numbers (a fit within 2 % of
#: one is its rounding drift)
WHOLE_STEP = 0.02
#: ``ParamSpec.snap`` of integer multipliers (torch SGDR ``T_mult``), within 0.1 %
WHOLE_MULT = 1e-3


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of a family.

    ``kind``: ``float`` | ``int`` | ``bool`` | ``choice`` | ``floats`` | ``ints`` (sequences).
    ``bounds`` are inclusive (None = unbounded). ``log`` marks params best fitted in log space.
    ``role`` is one of :data:`ROLES`; ``end`` marks the level a schedule settles to (a floor the
    curve approaches), as opposed to the level it starts from or peaks at. ``snap``: a fitted
    value within ``snap * max(v, 1)`` of a whole number is snapped to it when that costs no more
    than rounding noise (whole step counts; SGDR's integer ``T_mult``); 0 never snaps.
    ``at_most``: the name of a parameter this one may not exceed (a one-cycle starts and ends
    at or below its peak); checked at validation and kept by the fitter.
    """

    name: str
    kind: str
    bounds: tuple[float | None, float | None] = (None, None)
    choices: tuple[str, ...] = ()
    default: Any = None
    log: bool = False
    doc: str = ""
    role: str = ""
    end: bool = False
    snap: float = 0.0
    at_most: str = ""

    @property
    def scalar(self) -> bool:
        """A single number (not a list, not a choice)."""
        return self.kind in ("float", "int")


#: ``per_step_rate(params) -> (k, dk/dln(decay_rate))``: the per-step rate of a continuous decay
#: (the only combination of its rate and length a window identifies), or None (staircase)
PerStepRate = Callable[[Mapping[str, Any]], "tuple[float, float] | None"]
#: ``hidden(params, x, first_seen) -> (names, why)``: params a window cannot separate, or None
Hidden = Callable[[Mapping[str, Any], np.ndarray, float], "tuple[tuple[str, ...], str] | None"]


@dataclass(frozen=True)
class Family:
    """A schedule family: its math, parameters, a data-driven guess and what it means.

    ``fn(steps, **params)`` is plain vectorised math (validated once, at
    :func:`lraudit.schedules.evaluate`). The other fields are the family's knowledge, read by the
    fitter, the describer and ``explain``:

    * ``simplicity``: place in the simplest-first order (ties in model selection go to the lower
      value); ``horizon``: the step parameters that set how far the schedule reaches (their range
      of consistent values is reported when the window does not determine them);
    * ``key_steps(params, warmup_steps)``: steps where something happens (phase ends);
      ``smooth``: it has a continuous phase (half-way through it is worth a look);
    * ``describe(params, steps)``: the family part of the one-line description (values may be
      :class:`~lraudit.schedules.text.Unsure`; ``steps`` says how step counts read, with or
      without their unit, :class:`~lraudit.schedules.text.Steps`);
    * ``monotone``: never rises after it starts to fall; ``floorable``: a ``min_lr`` clamp may
      make its tail; ``own_rise``: it models an initial rise itself (no separate warmup);
    * ``per_step_rate`` / ``rate_expr`` and ``hidden``: what a window cannot identify beyond what
      the Jacobian shows (see :data:`PerStepRate`, :data:`Hidden`);
    * ``elementwise``: ``fn`` is elementwise numpy in its float parameters too (no branch on
      them, no reduction over the steps): parameters given as ``(k, 1)`` columns with a
      ``(k, n)`` step array give ``k`` schedules, each value the same as one at a time (the
      fitter evaluates a Jacobian's points in one call, :mod:`lraudit.fitting.batch`).
    """

    name: str
    fn: Callable[..., np.ndarray]
    params: tuple[ParamSpec, ...]
    guess: Callable[[np.ndarray, np.ndarray], dict[str, Any]] | None = None
    summary: str = ""
    #: cross-parameter validation on the filled params; raises ScheduleError (one line)
    check: Callable[[Mapping[str, Any]], None] | None = None
    #: the family's clock starts at the end of the warmup (``f(s - W)``), see the package doc
    warmup_relative: bool = False
    simplicity: float = math.inf
    horizon: tuple[str, ...] = ()
    key_steps: Callable[[Mapping[str, Any], float], list[float]] | None = None
    smooth: bool = True
    describe: Callable[[Mapping[str, Any], Steps], str] | None = None
    monotone: bool = False
    #: fixed params under which a ``monotone`` family rises again after it has fallen (cosine
    #: ``after_end="rise"``): its candidates for a curve that goes back up
    rising: Mapping[str, Any] | None = None
    floorable: bool = False
    own_rise: bool = False
    per_step_rate: PerStepRate | None = None
    rate_expr: str = ""
    hidden: Hidden | None = None
    elementwise: bool = False
    _by_name: dict[str, ParamSpec] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        for p in self.params:
            if p.role not in ROLES:
                raise ValueError(f"{self.name}.{p.name}: role {p.role!r} is not one of {ROLES}")
            self._by_name[p.name] = p
        for h in self.horizon:
            if h not in self._by_name:
                raise ValueError(f"{self.name}: horizon {h!r} is not a parameter")
        for p in self.params:
            if p.at_most and p.at_most not in self._by_name:
                raise ValueError(f"{self.name}.{p.name}: at_most {p.at_most!r} is not a parameter")

    @property
    def ordering(self) -> tuple[tuple[str, str], ...]:
        """``(name, bound)`` pairs: ``params[name] <= params[bound]`` (see ``ParamSpec.at_most``)."""
        return tuple((p.name, p.at_most) for p in self.params if p.at_most)

    def ordered(self, params: Mapping[str, Any]) -> bool:
        """Whether ``params`` respect the family's :attr:`ordering`."""
        return all(
            float(params[a]) <= float(params[b])
            for a, b in self.ordering
            if a in params and b in params
        )

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    @property
    def formula(self) -> str:
        """The docstring of the family function (the math, as the spec)."""
        return (self.fn.__doc__ or "").strip()

    def spec(self, name: str) -> ParamSpec | None:
        """The spec of parameter ``name``, or None."""
        return self._by_name.get(name)

    def names(self, role: str, *, end: bool | None = None, scalar: bool | None = None) -> set[str]:
        """Names of the params with ``role`` (and, when given, that ``end`` / ``scalar`` value)."""
        return {
            p.name
            for p in self.params
            if p.role == role
            and (end is None or p.end == end)
            and (scalar is None or p.scalar == scalar)
        }

    def defaults(self) -> dict[str, Any]:
        """The params that have a default, at their default."""
        return {p.name: p.default for p in self.params if p.default is not None}


def is_number(v: Any) -> bool:
    """A real number (Python or numpy), not a bool."""
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(
        v, (bool, np.bool_)
    )


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
    for a, b in family.ordering:
        if float(out[a]) > float(out[b]):
            raise ScheduleError(
                f"{family.name}.{a} = {float(out[a]):g} must not exceed {b} = {float(out[b]):g}"
            )
    if family.check is not None:
        family.check(out)
    return out


def _check_value(family: Family, spec: ParamSpec, v: Any) -> Any:
    where = f"{family.name}.{spec.name}"
    if spec.kind in ("float", "int"):
        if not is_number(v) or not math.isfinite(float(v)):
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
            if not is_number(x) or not math.isfinite(float(x)):
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
        if spec.kind in ("float", "int") and is_number(v):
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
