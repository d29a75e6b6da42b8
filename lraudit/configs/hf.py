"""Config parser ``hf``: Hugging Face ``Trainer`` runs.

Sources, in the order a run directory offers them:

* a TrainingArguments JSON/YAML (``args.to_json_string()``, TRL / LLaMA-Factory YAML use the
  same names; axolotl YAML uses ``lr_scheduler``, ``num_epochs``, ``micro_batch_size``,
  ``cosine_min_lr_ratio``), read as data;
* the ``args`` text summary the ``TensorBoardCallback`` writes into the event file (pass the
  event file or its directory: :func:`read_event_args`);
* ``trainer_state.json`` (``max_steps``, ``logging_steps``, ``log_history``): the true number
  of optimizer steps; it does not record the scheduler, so alone it gives the TrainingArguments
  defaults (linear, no warmup) with the base LR read back from ``log_history``, and says so.

``training_args.bin`` is a pickle and is never opened (:class:`ConfigError` says what to pass).

Schedule (``transformers.optimization``; ``reference/formulas_torch.md`` section 2), with ``W``
warmup steps and ``N`` training steps, in optimizer steps ``t`` (``lr(t)`` is used by update
``t``, 0-based):

==========================  =================================================================
lr_scheduler_type           lraudit schedule
==========================  =================================================================
linear                      polynomial(lr, 0, N-W, power 1, start W) + warmup(W, from 0)
cosine (num_cycles 0.5)     cosine(lr, 0, N-W, start W) + warmup
cosine_with_restarts        c = 1: as cosine; else cosine_restarts(lr, 0, (N-W)/c, 1, 1,
                            start W) + warmup (cycles from the warmup end)
polynomial                  polynomial(lr, lr_end (1e-7), N-W, power, start W) + warmup
constant                    constant(lr): HF ignores warmup for it (recorded when set)
constant_with_warmup        constant(lr) + warmup
inverse_sqrt                inverse_sqrt(lr, W) + warmup when timescale = W (the default with
                            a warmup); other timescales (10,000 without warmup) are refused
cosine_with_min_lr          cosine(lr, lr*min_lr_rate, N-W, start W) + warmup
cosine_warmup_with_min_lr   cosine(lr, floor, N-W, start W-1) + warmup over W-1 from lr/W
warmup_stable_decay         warmup_stable_decay(lr, S, D, lr*min_lr_ratio, decay_type) +
                            warmup from lr*min_lr_ratio
reduce_lr_on_plateau        constant(lr): follows a metric, cannot be checked from the config
==========================  =================================================================

``W = warmup_steps`` if it is >= 1, else ``ceil(N * ratio)`` with the ratio from
``warmup_steps < 1`` (transformers 5) or ``warmup_ratio`` (4.x). ``N = max_steps`` when > 0,
else ``ceil(num_train_epochs * steps_per_epoch)`` (optimizer updates per epoch).

Logging: ``train/learning_rate`` at ``global_step`` s holds ``lr(s - 1)`` in transformers >=
4.51 and ``lr(s)`` in <= 4.50; the schedule is kept in update indices and the two alignments
are recorded as ``settings["log_step_offset"]`` (1: logged step s shows schedule step s - 1)
and ``settings["log_step_offset_alternatives"]`` (newest convention first).
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

from lraudit.configs._intent import (
    Notes,
    fmt_num,
    intended,
    read_mapping,
    schedule,
    to_number,
    try_mapping,
)
from lraudit.configs.base import ConfigParser, Units
from lraudit.configs.hf_schedulers import BUILDERS, Plan, check_supported
from lraudit.configs.hf_sources import find_args_for_state, find_trainer_state, read_event_args
from lraudit.errors import ConfigError
from lraudit.types import IntendedSchedule, Schedule

_ARGS_KEYS = {
    "lr_scheduler_type",
    "per_device_train_batch_size",
    "num_train_epochs",
    "warmup_ratio",
    "gradient_accumulation_steps",
    "logging_steps",
    "output_dir",
    "max_steps",
}
_AXOLOTL_KEYS = {"lr_scheduler", "micro_batch_size", "num_epochs", "base_model", "sample_packing"}
TAGS = ("train/learning_rate", "learning_rate")


def detect(path: Path, text: str) -> int:
    name = path.name.lower()
    if "tfevents" in name or path.is_dir():
        return 1
    if name == "training_args.bin":
        return 2
    data = try_mapping(path, text)
    if not data:
        return 0
    if "log_history" in data and "global_step" in data:
        return 2
    keys = set(data)
    if "lr_scheduler_type" in keys:  # TrainingArguments' own name: no other format uses it
        return 2
    if "learning_rate" not in keys:
        return 0
    if len(keys & _ARGS_KEYS) >= 2:
        return 2 if name in ("training_args.json", "args.json") else 1
    if len(keys & _AXOLOTL_KEYS) >= 2:
        return 1
    return 0


# --------------------------------------------------------------------------- the schedule


def _normalise(data: dict[str, Any], notes: Notes) -> dict[str, Any]:
    """TrainingArguments names from axolotl's (``lr_scheduler`` -> ``lr_scheduler_type``...)."""
    out = dict(data)
    if "lr_scheduler_type" not in out and ("lr_scheduler" in out or "micro_batch_size" in out):
        notes.settings["front_end"] = "axolotl"
        ren = {
            "lr_scheduler": "lr_scheduler_type",
            "num_epochs": "num_train_epochs",
            "micro_batch_size": "per_device_train_batch_size",
        }
        for a, b in ren.items():
            if a in out:
                out[b] = out.pop(a)
        ratio = out.get("cosine_min_lr_ratio")
        if ratio is not None and out.get("lr_scheduler_type") == "cosine":
            out["lr_scheduler_type"] = "cosine_with_min_lr"
            kw = dict(out.get("lr_scheduler_kwargs") or {})
            kw.setdefault("min_lr_rate", ratio)
            out["lr_scheduler_kwargs"] = kw
            notes.assume(
                f"axolotl cosine_min_lr_ratio {fmt_num(ratio)}: cosine with a floor of "
                "learning_rate x ratio."
            )
        if out.get("sample_packing"):
            notes.assume(
                "sample_packing is on: steps per epoch cannot be derived from the dataset size; "
                "use the run's trainer_state.json or --steps-per-epoch."
            )
    return out


def _kwargs(args: dict[str, Any], notes: Notes) -> dict[str, Any]:
    kw = args.get("lr_scheduler_kwargs") or {}
    if isinstance(kw, str):
        try:
            kw = json.loads(kw) if kw.strip() else {}
        except json.JSONDecodeError:
            raise ConfigError(
                f"{notes.where('lr_scheduler_kwargs')}: not valid JSON: {kw!r}"
            ) from None
    if not isinstance(kw, dict):
        raise ConfigError(f"{notes.where('lr_scheduler_kwargs')}: expected a mapping, got {kw!r}")
    if kw:
        notes.settings["lr_scheduler_kwargs"] = dict(kw)
    return kw


def _total_steps(
    args: dict[str, Any], notes: Notes, units: Units, state: dict | None
) -> int | None:
    if units.num_steps is not None:
        notes.assume(f"num_training_steps {units.num_steps} given by the caller.")
        return int(units.num_steps)
    ms = args.get("max_steps")
    if ms is not None and to_number(ms, notes.where("max_steps")) > 0:
        notes.settings["max_steps"] = int(to_number(ms, notes.where("max_steps")))
        return notes.settings["max_steps"]
    if state and state.get("max_steps"):
        n = int(to_number(state["max_steps"], notes.where("trainer_state.max_steps")))
        notes.settings["trainer_state.max_steps"] = n
        notes.assume(f"num_training_steps {n} from trainer_state.json's max_steps.")
        return n
    epochs = args.get("num_train_epochs")
    if epochs is None:
        epochs = 3.0
        notes.assume("num_train_epochs not set; the TrainingArguments default 3 applies.")
    epochs = to_number(epochs, notes.where("num_train_epochs"))
    notes.settings["num_train_epochs"] = epochs
    if units.steps_per_epoch:
        n = math.ceil(epochs * units.steps_per_epoch)
        notes.assume(
            f"num_training_steps = ceil({fmt_num(epochs)} epochs x {units.steps_per_epoch} "
            f"optimizer updates per epoch) = {n} (the steps per epoch given count updates, "
            "after gradient accumulation)."
        )
        return n
    return None


def _warmup_steps(args: dict[str, Any], notes: Notes, n: int | None) -> int:
    ws = to_number(args.get("warmup_steps") or 0, notes.where("warmup_steps"))
    wr = to_number(args.get("warmup_ratio") or 0, notes.where("warmup_ratio"))
    if ws >= 1:
        if wr > 0:
            notes.assume(f"warmup_steps {fmt_num(ws)} overrides warmup_ratio {fmt_num(wr)}.")
        notes.settings["warmup_steps"] = ws
        return int(ws)
    ratio, key = (ws, "warmup_steps") if 0 < ws < 1 else (wr, "warmup_ratio")
    if ratio <= 0:
        return 0
    notes.settings[key] = ratio
    if n is None:
        raise ConfigError(
            f"{notes.where(key)}: a warmup ratio ({fmt_num(ratio)}) needs the number of training "
            "steps; pass --steps-per-epoch (optimizer updates per epoch) or the run's "
            "trainer_state.json"
        )
    w = math.ceil(n * ratio)
    note = " (transformers 5 reads warmup_steps < 1 as a ratio)" if key == "warmup_steps" else ""
    notes.assume(f"warmup = ceil({n} x {fmt_num(ratio)}) = {w} steps{note}.")
    return w


def _scheduler_type(args: dict[str, Any], notes: Notes) -> str:
    kind = args.get("lr_scheduler_type")
    if isinstance(kind, dict):  # enum serialised as {"_value_": ...} by some dumps
        kind = kind.get("_value_") or kind.get("value")
    if kind is None:
        kind = "linear"
        notes.assume("lr_scheduler_type not set; the TrainingArguments default 'linear' applies.")
    kind = str(kind).removeprefix("SchedulerType.").lower()
    notes.settings["lr_scheduler_type"] = kind
    return kind


def build(
    args: dict[str, Any], notes: Notes, units: Units, state: dict | None = None
) -> tuple[Schedule, int | None]:
    """The schedule of a TrainingArguments mapping, and N (training steps) when known."""
    args = _normalise(args, notes)
    kind = _scheduler_type(args, notes)
    lr = float(notes.number(args, "learning_rate", 5e-5))
    for key in (
        "per_device_train_batch_size",
        "gradient_accumulation_steps",
        "logging_steps",
        "num_train_epochs",
    ):
        if args.get(key) is not None:
            notes.settings[key] = args[key]
    kw = _kwargs(args, notes)
    n = _total_steps(args, notes, units, state)
    check_supported(kind, n, notes)
    w = _warmup_steps(args, notes, n)
    return BUILDERS[kind](Plan(kind, lr, kw, n, w, notes)), n


# --------------------------------------------------------------------------- parse


def _alignment(notes: Notes) -> None:
    notes.settings["log_step_offset"] = 1
    notes.settings["log_step_offset_alternatives"] = [1, 0]
    notes.assume(
        "train/learning_rate at global step s is the LR of update s-1 in transformers >= 4.51 "
        "(log_step_offset 1) and of update s in <= 4.50 (offset 0)."
    )


def _finish(
    sched: Schedule, n: int | None, notes: Notes, units: Units, source: str
) -> IntendedSchedule:
    _alignment(notes)
    return intended(
        sched,
        notes,
        "hf",
        source=source,
        horizon=n,
        world_size=units.world_size,
        steps_per_epoch=units.steps_per_epoch,
        expected_tags=TAGS,
    )


def _parse_state(path: Path, state: dict[str, Any], notes: Notes, units: Units) -> IntendedSchedule:
    for k in ("max_steps", "logging_steps", "num_train_epochs", "train_batch_size"):
        if state.get(k) is not None:
            notes.settings[f"trainer_state.{k}"] = state[k]
    found = find_args_for_state(path)
    if found is not None:
        args, src = found
        notes.assume(f"TrainingArguments read from {src}.")
        sched, n = build(args, notes, units, state)
        return _finish(sched, n, notes, units, str(path))
    n = int(state.get("max_steps") or 0) or None
    if units.num_steps:
        n = units.num_steps
    if not n:
        raise ConfigError(f"{notes.where('max_steps')}: trainer_state.json has no max_steps")
    notes.assume(
        "trainer_state.json does not record the scheduler: the TrainingArguments defaults "
        "(linear decay to 0, no warmup) are assumed."
    )
    lr, off = _infer_linear_lr(state.get("log_history") or [], n)
    if lr is None:
        raise ConfigError(
            f"{notes.where('log_history')}: no learning_rate entries to read the base LR from; "
            "pass the TrainingArguments as JSON/YAML instead"
        )
    notes.settings["lr_unknown"] = "inferred from log_history"
    notes.settings["learning_rate"] = lr
    notes.assume(
        f"learning_rate is not in trainer_state.json: {lr:.6g} is read back from log_history "
        "under that assumption, so the LR scale is not checked against a config."
    )
    if units.steps_per_epoch is None and state.get("num_train_epochs"):
        spe = n / float(state["num_train_epochs"])
        if float(spe).is_integer():
            notes.settings["steps_per_epoch_from_state"] = int(spe)
    sched = schedule(
        "polynomial",
        {"init_lr": lr, "end_lr": 0.0, "decay_steps": n, "power": 1.0, "start_step": 0},
    )
    out = _finish(sched, n, notes, units, str(path))
    if off is not None:
        settings = dict(out.settings)
        settings["log_step_offset"] = -off
        settings["log_step_offset_alternatives"] = [-off, 1 + off]
        return replace(out, settings=settings)
    return out


def _infer_linear_lr(history: list[Any], n: int) -> tuple[float | None, int | None]:
    """Base LR under ``lr(t) = base (N - t)/N``, with the alignment that makes it consistent."""
    pts = [
        (int(e["step"]), float(e["learning_rate"]))
        for e in history
        if isinstance(e, dict) and "learning_rate" in e and "step" in e
    ]
    best: tuple[float, float, int] | None = None
    for off in (-1, 0):
        ests = [v * n / (n - (s + off)) for s, v in pts if n - (s + off) > 0]
        if not ests:
            continue
        mid = sorted(ests)[len(ests) // 2]
        spread = (max(ests) - min(ests)) / mid if mid > 0 else math.inf
        if best is None or spread < best[0]:
            best = (spread, mid, off)
    if best is None:
        return None, None
    return best[1], best[2]


def parse(path: Path, text: str, units: Units) -> IntendedSchedule:
    notes = Notes(path)
    if path.name == "training_args.bin" or path.suffix == ".bin":
        raise ConfigError(
            f"{path}: training_args.bin is a pickle and lraudit never unpickles; pass the "
            "run's event file or directory (its 'args' text), trainer_state.json, or a JSON/YAML "
            "of the TrainingArguments"
        )
    if path.is_dir() or "tfevents" in path.name:
        args = read_event_args(path)
        if args is None and path.is_dir():
            raise ConfigError(
                f"{path}: is a directory with no Hugging Face `args` text summary; pass the "
                "config file itself"
            )
        if args is None:
            raise ConfigError(
                f"{path}: no 'args' text summary (written by transformers' TensorBoardCallback) "
                "found in the event files; pass the TrainingArguments JSON/YAML instead"
            )
        src = args.pop("__source__")
        notes.assume(f"TrainingArguments read from the 'args' text in {src}.")
        state_path = find_trainer_state(Path(src))
        state = None
        if state_path is not None:
            state = read_mapping(state_path, state_path.read_text(encoding="utf-8"))
            notes.settings["trainer_state"] = str(state_path)
        sched, n = build(args, notes, units, state)
        return _finish(sched, n, notes, units, src)
    data = read_mapping(path, text)
    if "log_history" in data and "global_step" in data:
        return _parse_state(path, data, notes, units)
    state = None
    sp = find_trainer_state(path)
    if sp is not None and (data.get("max_steps") in (None, -1)) and not units.steps_per_epoch:
        state = read_mapping(sp, sp.read_text(encoding="utf-8"))
        notes.settings["trainer_state"] = str(sp)
    sched, n = build(data, notes, units, state)
    return _finish(sched, n, notes, units, str(path))


PARSER = ConfigParser("hf", detect, parse)
