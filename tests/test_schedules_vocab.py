"""The released family vocabulary: names and parameters are added, never renamed or reordered."""

from __future__ import annotations

from lraudit.vocab import FAMILY_PARAMS

#: The contract as released (README, DESIGN.md): a new family or a new trailing parameter may be
#: added; nothing here may change.
RELEASED: dict[str, tuple[str, ...]] = {
    "constant": ("lr",),
    "exponential": ("init_lr", "decay_rate", "decay_steps", "staircase", "start_step"),
    "piecewise": ("boundaries", "values"),
    "cosine": ("peak_lr", "end_lr", "decay_steps", "start_step"),
    "cosine_restarts": ("peak_lr", "end_lr", "first_period", "period_mult", "peak_decay"),
    "polynomial": ("init_lr", "end_lr", "decay_steps", "power", "start_step"),
    "inverse_time": ("init_lr", "decay_rate", "decay_steps", "staircase"),
    "inverse_sqrt": ("peak_lr", "timescale"),
    "cyclic": ("base_lr", "max_lr", "step_size_up", "step_size_down", "mode", "gamma"),
    "one_cycle": (
        "max_lr",
        "total_steps",
        "pct_start",
        "init_lr",
        "end_lr",
        "anneal",
        "three_phase",
    ),
    "warmup_stable_decay": ("peak_lr", "stable_steps", "decay_steps", "end_lr", "decay_shape"),
}


def test_every_released_family_keeps_its_parameters_in_order() -> None:
    for name, params in RELEASED.items():
        assert name in FAMILY_PARAMS, f"family {name!r} was removed or renamed"
        assert FAMILY_PARAMS[name][: len(params)] == params, name
