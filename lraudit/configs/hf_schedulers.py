"""The ``lr_scheduler_type`` table of :mod:`lraudit.configs.hf`: one builder per Hugging Face
scheduler type, each turning a :class:`Plan` (peak LR, ``lr_scheduler_kwargs``, N training
steps, W warmup steps) into an lraudit :class:`~lraudit.types.Schedule`. The formulas and the
mapping are in the table of :mod:`lraudit.configs.hf`'s docstring.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lraudit.configs._intent import Notes, fmt_num, linear_warmup, schedule, to_number
from lraudit.errors import ConfigError
from lraudit.types import MetricDriven, Schedule, Warmup

NEEDS_N = {
    "linear",
    "cosine",
    "cosine_with_restarts",
    "polynomial",
    "cosine_with_min_lr",
    "cosine_warmup_with_min_lr",
}


@dataclass(frozen=True)
class Plan:
    """What a scheduler builder reads: the type, peak LR, ``lr_scheduler_kwargs``, N (None when
    unknown) and W; ``d = max(1, N - W)`` is the decay length HF divides by."""

    kind: str
    lr: float
    kw: dict[str, Any]
    n: int | None
    w: int
    notes: Notes

    @property
    def d(self) -> int | None:
        return None if self.n is None else max(1, self.n - self.w)

    @property
    def warm(self) -> Warmup | None:
        """HF's warmup: linear from 0 over W updates."""
        return linear_warmup(self.w, 0.0)


def check_supported(kind: str, n: int | None, notes: Notes) -> None:
    """Refuse a scheduler type with no builder, or one that needs N when N is unknown."""
    if kind not in KNOWN:
        raise ConfigError(
            f"{notes.where('lr_scheduler_type')}: unknown or unsupported scheduler {kind!r}; "
            f"lraudit supports {', '.join(KNOWN)}"
        )
    if kind in NEEDS_N and n is None:
        raise ConfigError(
            f"{notes.where('max_steps')}: {kind} needs the number of training steps and "
            "max_steps is not set; pass --steps-per-epoch (optimizer updates per epoch) or the "
            "run's trainer_state.json"
        )


def _linear(p: Plan) -> Schedule:
    return schedule(
        "polynomial",
        {"init_lr": p.lr, "end_lr": 0.0, "decay_steps": p.d, "power": 1.0, "start_step": p.w},
        p.warm,
    )


def _floor(p: Plan) -> float:
    """``min_lr`` or ``lr * min_lr_rate`` (exactly one of them)."""
    kw = p.kw
    if ("min_lr" in kw) == ("min_lr_rate" in kw):
        raise ConfigError(
            f"{p.notes.where('lr_scheduler_kwargs')}: {p.kind} needs exactly one "
            "of min_lr or min_lr_rate"
        )
    return float(kw["min_lr"]) if "min_lr" in kw else p.lr * float(kw["min_lr_rate"])


def _cosine(p: Plan) -> Schedule:
    """``cosine`` and ``cosine_with_min_lr`` (num_cycles 0.5: one decay)."""
    cycles = float(p.kw.get("num_cycles", 0.5))
    if cycles != 0.5:
        raise ConfigError(
            f"{p.notes.where('lr_scheduler_kwargs.num_cycles')}: {p.kind} with num_cycles "
            f"{fmt_num(cycles)} rises again after its minimum; lraudit's cosine family "
            "covers num_cycles 0.5 only"
        )
    end = _floor(p) if p.kind == "cosine_with_min_lr" else 0.0
    p.notes.assume(
        "HF's cosine is not clamped past num_training_steps (it rises again); the run "
        "normally stops there."
    )
    return schedule(
        "cosine", {"peak_lr": p.lr, "end_lr": end, "decay_steps": p.d, "start_step": p.w}, p.warm
    )


def _cosine_warmup_min(p: Plan) -> Schedule:
    """transformers 5.x ``cosine_warmup_with_min_lr``: warmup indexed from 1, floor at t = N-1.

    Warmup ``(t + 1)/W`` (or ``w0 + (1 - w0) t/(W - 1)`` with ``warmup_lr_rate`` w0) reaches
    the peak at ``t = W - 1``; the cosine runs ``p = (t - W + 1)/(N - W)``. So the cosine
    starts at ``W - 1`` over ``N - W`` steps and the warmup covers ``t < W - 1``.
    """
    lr, kw, w, notes = p.lr, p.kw, p.w, p.notes
    assert p.n is not None  # NEEDS_N
    cycles = float(kw.get("num_cycles", 0.5))
    if cycles != 0.5:
        raise ConfigError(
            f"{notes.where('lr_scheduler_kwargs.num_cycles')}: cosine_warmup_with_min_lr with "
            f"num_cycles {fmt_num(cycles)} is not a single decay; lraudit covers 0.5 only"
        )
    end = _floor(p)
    w0 = kw.get("warmup_lr_rate")
    start = lr * float(w0) if w0 is not None else lr / max(1, w)
    warm = linear_warmup(w - 1, start) if w > 1 else None
    notes.assume(
        "cosine_warmup_with_min_lr counts its warmup from 1 (peak at update W-1) and reaches "
        "the floor at update N-1."
    )
    return schedule(
        "cosine",
        {"peak_lr": lr, "end_lr": end, "decay_steps": max(1, p.n - w), "start_step": max(w - 1, 0)},
        warm,
    )


def _cosine_with_restarts(p: Plan) -> Schedule:
    """``get_cosine_with_hard_restarts_schedule_with_warmup``: after the linear warmup,
    ``0.5 (1 + cos(pi ((c q) mod 1)))`` with ``q = (t - W) / max(1, N - W)``: ``c`` cycles of
    ``(N - W) / c`` steps counted from the warmup end (``start_step = W``); one cycle is a cosine.
    """
    cycles = p.kw.get("num_cycles", 1)
    if not isinstance(cycles, (int, float)) or isinstance(cycles, bool) or not cycles > 0:
        raise ConfigError(
            f"{p.notes.where('lr_scheduler_kwargs.num_cycles')}: cosine_with_restarts needs a "
            f"positive number of cycles, got {cycles!r}"
        )
    if cycles == 1:
        return schedule(
            "cosine",
            {"peak_lr": p.lr, "end_lr": 0.0, "decay_steps": p.d, "start_step": p.w},
            p.warm,
        )
    p.notes.assume(
        f"cosine_with_restarts: {fmt_num(cycles)} cycles of (N - W) / {fmt_num(cycles)} steps "
        "counted from the warmup end; HF holds the LR at 0 past num_training_steps, lraudit's "
        "cosine_restarts keeps cycling (the run normally stops there)."
    )
    params: dict[str, Any] = {
        "peak_lr": p.lr,
        "end_lr": 0.0,
        "first_period": (p.d or 1) / float(cycles),
        "period_mult": 1.0,
        "peak_decay": 1.0,
        "start_step": p.w,
    }
    return schedule("cosine_restarts", params, p.warm)


def _polynomial(p: Plan) -> Schedule:
    end = float(p.kw.get("lr_end", 1e-7))
    power = float(p.kw.get("power", 1.0))
    if "lr_end" not in p.kw:
        p.notes.assume("polynomial lr_end not set; the HF default 1e-07 applies.")
    if p.lr <= end:
        raise ConfigError(
            f"{p.notes.where('learning_rate')}: polynomial needs learning_rate > lr_end "
            f"({fmt_num(p.lr)} <= {fmt_num(end)})"
        )
    return schedule(
        "polynomial",
        {"init_lr": p.lr, "end_lr": end, "decay_steps": p.d, "power": power, "start_step": p.w},
        p.warm,
    )


def _constant(p: Plan) -> Schedule:
    if p.w > 0:
        p.notes.settings["ignored_warmup_steps"] = p.w
        p.notes.assume(
            f"lr_scheduler_type 'constant' ignores the {p.w}-step warmup that is configured "
            "(HF passes no warmup to it; use constant_with_warmup)."
        )
    return schedule("constant", {"lr": p.lr})


def _constant_with_warmup(p: Plan) -> Schedule:
    return schedule("constant", {"lr": p.lr}, p.warm)


def _inverse_sqrt(p: Plan) -> Schedule:
    w, notes = p.w, p.notes
    tau = p.kw.get("timescale")
    if tau is None:
        tau = w if w > 0 else 10_000
        notes.assume(
            f"inverse_sqrt timescale not set; HF uses {fmt_num(tau)} "
            "(the warmup steps, or 10,000 without warmup)."
        )
    tau = float(to_number(tau, notes.where("lr_scheduler_kwargs.timescale")))
    if tau != w:
        # HF: lr * sqrt(tau / (t - W + tau)); the family: peak * sqrt(tau / max(s, tau)).
        # They agree only when tau = W.
        raise ConfigError(
            f"{notes.where('lr_scheduler_kwargs.timescale')}: inverse_sqrt with timescale "
            f"{fmt_num(tau)} and {w} warmup steps decays as sqrt(tau / (t - W + tau)), which "
            "lraudit's inverse_sqrt family (sqrt(tau / t) after t = tau) matches only when "
            "timescale equals warmup_steps"
        )
    notes.assume(
        "transformers <= 4.50 did not pass lr_scheduler_kwargs to inverse_sqrt: a timescale "
        "set there was ignored."
    )
    return schedule("inverse_sqrt", {"peak_lr": p.lr, "timescale": tau}, p.warm)


def _warmup_stable_decay(p: Plan) -> Schedule:
    kw, n, w, notes = p.kw, p.n, p.w, p.notes
    if kw.get("num_decay_steps") is None:
        raise ConfigError(
            f"{notes.where('lr_scheduler_kwargs.num_decay_steps')} is missing "
            "(warmup_stable_decay needs it)"
        )
    dd = int(kw["num_decay_steps"])
    if kw.get("num_stable_steps") is not None:
        stable = int(kw["num_stable_steps"])
    elif n is not None:
        stable = n - w - dd
        notes.assume(f"num_stable_steps = N - W - D = {stable}.")
    else:
        raise ConfigError(
            f"{notes.where('lr_scheduler_kwargs.num_stable_steps')} is missing "
            "and max_steps is unknown"
        )
    m = float(kw.get("min_lr_ratio", 0.0))
    wtype = kw.get("warmup_type", "linear")
    if wtype != "linear":
        raise ConfigError(
            f"{notes.where('lr_scheduler_kwargs.warmup_type')}: {wtype!r} "
            "warmup has no lraudit warmup shape (linear only)"
        )
    shape = kw.get("decay_type", "cosine")
    warm = Warmup(steps=w, start_lr=p.lr * m, shape="linear") if w > 0 else None
    return schedule(
        "warmup_stable_decay",
        {
            "peak_lr": p.lr,
            "stable_steps": stable,
            "decay_steps": dd,
            "end_lr": p.lr * m,
            "decay_shape": shape,
        },
        warm,
    )


def _reduce_lr_on_plateau(p: Plan) -> Schedule:
    p.notes.metric_driven = MetricDriven("reduce_lr_on_plateau", float(p.kw.get("factor", 0.1)))
    p.notes.assume(
        "reduce_lr_on_plateau follows the eval metric: the curve cannot be checked from "
        "the config (intended schedule taken as constant at learning_rate)."
    )
    return schedule("constant", {"lr": p.lr})


BUILDERS: dict[str, Callable[[Plan], Schedule]] = {
    "linear": _linear,
    "cosine": _cosine,
    "cosine_with_min_lr": _cosine,
    "cosine_warmup_with_min_lr": _cosine_warmup_min,
    "cosine_with_restarts": _cosine_with_restarts,
    "polynomial": _polynomial,
    "constant": _constant,
    "constant_with_warmup": _constant_with_warmup,
    "inverse_sqrt": _inverse_sqrt,
    "warmup_stable_decay": _warmup_stable_decay,
    "reduce_lr_on_plateau": _reduce_lr_on_plateau,
}
KNOWN = sorted(BUILDERS)
