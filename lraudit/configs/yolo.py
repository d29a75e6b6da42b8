"""Config parser ``yolov5``: YOLOv5 ``hyp.yaml`` + ``opt.yaml`` and Ultralytics ``args.yaml``.

Schedule (``train.py``; ``reference/formulas_torch.md`` section 6): a LambdaLR stepped once per
epoch with ``lf(x) = (1 - x/E)(1 - lrf) + lrf`` (linear) or, with ``cos_lr``,
``lf(x) = 1 + (lrf - 1)(1 - cos(pi x / E))/2``; a per-iteration linear warmup over
``nw = max(round(warmup_epochs * nb), 100)`` iterations (``nb`` = batches per epoch) from 0
(from ``warmup_bias_lr`` for the bias group) to ``lr0 * lf(epoch)``.

What is logged, one point per epoch, is the LR of the last batch of the epoch:

* YOLOv5 writes ``x/lr0..2`` at step ``e`` (0-based), before ``scheduler.step()``. After
  warmup, epoch ``e`` runs at ``lr0 * lf(e - 1)`` (a one-epoch lag from the order of calls;
  checked on the real Grafit-Kil run: 0.000232 at e=149 of 150 is ``0.01 * lf(148)``).
* Ultralytics writes ``lr/pg0..2`` at step ``e + 1`` with epoch ``e`` running at ``lr0 * lf(e)``.

Both are therefore ``lr0 * lf(step - 1)`` on the logged axis: ``polynomial(lr0, lr0*lrf, E,
power 1, start_step 1)`` or ``cosine(lr0, lr0*lrf, E, start_step 1)``. During warmup the logged
value is ``ni/nw * lr0 * lf(e)`` at the epoch's last iteration ``ni`` (``(e+1)*nb - 1``), i.e.
``lr0 * lf(e) * (r0 + (1 - r0) e / W)`` with ``r0 = (nb-1)/nw`` and ``W = (nw-nb+1)/nb``: for
YOLOv5 the multiplicative ``linear_factor`` :class:`Warmup` of that length from ``r0 * F(0)``.
The warmup scales ``lf(e)`` while the family, which must match the lagged decay after the
warmup, gives ``lf(e - 1)``: no single family + warmup expresses both, so the schedule is off by
``1 - lf(e)/lf(e-1)`` during the warmup (at most 0.72 % on the real run, exact at epoch 0 and
from the first epoch after the warmup). For Ultralytics (logged at ``e + 1``, where the factor
is negative at step 0) the warmup is the linear one through the first and the last logged
warmup values. The exact logged values, checked against the real run to float32 precision, are
kept in ``settings["logged_lr_exact"]`` (groups 1-2) and ``settings["bias_logged_lr_exact"]``
(group 0), ``{"first_step": k0, "values": [...]}``; the diagnosis compares with them first. The
largest relative gap of the schedule is in ``settings["warmup_linear_max_rel_gap"]``.
Without ``nb`` (pass ``--steps-per-epoch``) the warmup length is only known to be
``max(warmup_epochs, 100/nb)`` epochs; the configured ``warmup_epochs`` is used and said so.

Parameter groups: YOLOv5 group 0 holds the biases, whose LR *falls* from ``warmup_bias_lr``
during warmup; the schedule describes groups 1-2 (``expected_tags`` lists them first).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lraudit.configs import yolo_exact
from lraudit.configs._intent import (
    Notes,
    fmt_num,
    intended,
    linear_warmup,
    read_mapping,
    schedule,
    to_bool,
    try_mapping,
)
from lraudit.configs.base import ConfigParser, Units
from lraudit.configs.yolo_versions import (
    YoloRules,
    auto_choice,
    auto_iterations,
    auto_lr_fit,
    dataset_classes,
    ultralytics_rules,
    yolov5_rules,
)
from lraudit.errors import ConfigError
from lraudit.types import (
    ExactValues,
    IntendedSchedule,
    LoggedValues,
    Schedule,
    Warmup,
    WarmupFloor,
)

#: groups logged at a multiple of the LR: (tags, scale, warmup start)
Extra = tuple[tuple[tuple[str, ...], float, float], ...]

_HYP_KEYS = {"lr0", "lrf", "warmup_epochs"}
_ULTRA_KEYS = {"task", "mode", "batch", "imgsz", "close_mosaic", "nbs"}
#: train.py options that an opt.yaml always holds (img_size before 2021-07 and in YOLOv7)
_OPT_KEYS = {"imgsz", "img_size", "batch_size", "weights"}
#: YOLOv5 train.py argparse defaults used when no opt.yaml is found next to a hyp file.
_V5_OPT_DEFAULTS = {"epochs": 100, "cos_lr": False, "optimizer": "SGD", "batch_size": 16}


def detect(path: Path, text: str) -> int:
    if path.suffix.lower() not in (".yaml", ".yml"):
        return 0
    data = try_mapping(path, text)
    if not data:
        return 0
    if isinstance(data.get("hyp"), str) and "epochs" in data and _OPT_KEYS & set(data):
        # a YOLOv5 / YOLOv7 opt.yaml that names its hyp file instead of embedding it
        return 2 if path.name.lower() == "opt.yaml" else 1
    hyp: Any = data.get("hyp") if isinstance(data.get("hyp"), dict) else data
    if not set(hyp) >= _HYP_KEYS and not {"lr0", "lrf"} <= set(hyp):
        return 0
    name = path.name.lower()
    if name.startswith("hyp") or name in ("opt.yaml", "args.yaml"):
        return 2
    return 1


def _sibling(path: Path, names: tuple[str, ...]) -> Path | None:
    for n in names:
        p = path.parent / n
        if p.is_file() and p.resolve() != path.resolve():
            return p
    return None


def _load_v5(
    path: Path, data: dict[str, Any], notes: Notes
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None]:
    """(hyp, opt, the real opt or None) for a YOLOv5 / YOLOv7 hyp.yaml or opt.yaml, reading the
    sibling file when needed (train.py writes both into the run directory)."""
    if isinstance(data.get("hyp"), dict) or "epochs" in data:
        opt = data
        hyp = data.get("hyp") if isinstance(data.get("hyp"), dict) else None
        if hyp is None:
            hyp = _sibling_hyp(path, data, notes)
        return hyp, opt, opt
    hyp = data
    names: tuple[str, ...] = ("opt.yaml",)
    if path.name.endswith(
        "hyp.yaml"
    ):  # e.g. a copy named <prefix>hyp.yaml next to <prefix>opt.yaml
        names = (path.name[: -len("hyp.yaml")] + "opt.yaml", "opt.yaml")
    sib = _sibling(path, names)
    if sib is not None:
        opt = read_mapping(sib, sib.read_text(encoding="utf-8"))
        notes.assume(f"Run options (epochs, cos_lr) read from {sib.name} next to {path.name}.")
        notes.settings["opt_file"] = str(sib)
        return hyp, opt, opt
    notes.assume(
        f"No opt.yaml next to {path.name}: YOLOv5 train.py defaults assumed "
        f"(epochs {_V5_OPT_DEFAULTS['epochs']}, cos_lr false); pass the run's opt.yaml to "
        "use the real ones."
    )
    return hyp, dict(_V5_OPT_DEFAULTS), None


def _sibling_hyp(path: Path, opt: dict[str, Any], notes: Notes) -> dict[str, Any]:
    """The hyperparameters of an opt.yaml that names its hyp file: the hyp.yaml beside it, else
    the named file when it is one of the trainers' built-in files."""
    sib = _sibling(path, ("hyp.yaml",))
    if sib is not None:
        notes.assume(f"Hyperparameters read from {sib.name} next to {path.name}.")
        notes.settings["hyp_file"] = str(sib)
        return read_mapping(sib, sib.read_text(encoding="utf-8"))
    named = str(opt.get("hyp") or "").replace("\\", "/")
    known = _BUILTIN_HYPS.get(Path(named).name.lower())
    if known is None:
        raise ConfigError(
            f"{notes.where('hyp')}: opt.yaml does not embed the hyperparameters and no "
            "hyp.yaml was found next to it; pass the hyp.yaml"
        )
    notes.assume(
        f"No hyp.yaml next to {path.name}: the values of the trainer's built-in {named} are "
        "assumed (lr0, lrf, warmup_epochs, warmup_bias_lr); pass the run's hyp.yaml if it was "
        "edited."
    )
    return dict(zip(("lr0", "lrf", "warmup_epochs", "warmup_bias_lr"), known, strict=True))


#: Built-in hyperparameter files (lr0, lrf, warmup_epochs, warmup_bias_lr) as in the trainers'
#: repositories, for an opt.yaml whose hyp.yaml is not beside it
_BUILTIN_HYPS = {
    "hyp.scratch.p5.yaml": (0.01, 0.1, 3.0, 0.1),  # WongKinYiu/yolov7 data/
    "hyp.scratch.p6.yaml": (0.01, 0.2, 3.0, 0.1),
    "hyp.scratch.tiny.yaml": (0.01, 0.01, 3.0, 0.1),
    "hyp.scratch.custom.yaml": (0.01, 0.1, 3.0, 0.1),
    "hyp.scratch-low.yaml": (0.01, 0.01, 3.0, 0.1),  # ultralytics/yolov5 data/hyps/
    "hyp.scratch-med.yaml": (0.01, 0.1, 3.0, 0.1),
    "hyp.scratch-high.yaml": (0.01, 0.1, 3.0, 0.1),
}


def _trainer(
    path: Path, data: dict[str, Any], notes: Notes
) -> tuple[bool, dict[str, Any], dict[str, Any], list[YoloRules]]:
    """Which trainer wrote the file: (ultralytics?, hyp, opt, its rules, most likely first)."""
    ultra = "hyp" not in data and "lr0" in data and bool(_ULTRA_KEYS & set(data))
    if ultra:
        hyp, opt = data, data
        candidates = ultralytics_rules(data)
    else:
        hyp, opt, real_opt = _load_v5(path, data, notes)
        candidates = yolov5_rules(hyp, real_opt)
    rules = candidates[0]
    notes.settings["framework"] = rules.framework
    notes.settings["framework_version"] = rules.version
    notes.assume(
        f"Trainer: {rules.version} ({rules.evidence}); its LR rules: warmup "
        f"{rules.floor_text()} iterations, {'cosine one-cycle' if rules.cosine else 'linear'} "
        f"lf, bias group {rules.falling_tag} falls from warmup_bias_lr during the warmup."
    )
    for alt in candidates[1:]:
        notes.assume(
            f"The files also fit {alt.version}; its logged values are kept as an alternative."
        )
    return ultra, hyp, opt, candidates


def _record_options(opt: dict[str, Any], notes: Notes, ultra: bool) -> Any:
    """Quote the options findings may need; returns the configured optimizer (None if unset)."""
    for key in ("cos_lr", "linear_lr"):
        if key in opt:
            notes.settings[key] = to_bool(opt.get(key) or False, notes.where(key))
    optimizer = opt.get("optimizer", "auto" if ultra else None)
    if optimizer is not None:
        notes.settings["optimizer"] = optimizer
    batch = opt.get("batch", opt.get("batch_size"))
    if batch is not None:
        notes.settings["batch" if ultra else "batch_size"] = batch
    return optimizer


@dataclass(frozen=True)
class _Layout:
    """The parameter-group layout the LR rules apply to (extra MuSGD groups, their scale)."""

    rules: YoloRules
    extra: Extra
    fscale: float
    musgd: bool


def _with_known_nb(
    sched_family: str,
    params: dict[str, Any],
    layout: _Layout,
    candidates: list[YoloRules],
    peak: float,
    lrf: float,
    epochs: int,
    nb: int,
    wep: float,
    wbias: float,
    notes: Notes,
) -> tuple[Schedule, tuple[LoggedValues, ...]]:
    """The schedule and the exact logged values of every candidate trainer, when the batches
    per epoch ``nb`` are known (the warmup length and its logged values depend on them)."""
    rules = layout.rules
    nw = rules.warmup_iterations(wep, nb, epochs)
    notes.settings.update(
        warmup_iterations=nw, warmup_epochs_effective=nw / nb, warmup_floor=rules.floor
    )
    entries = []
    for r in candidates:
        ex, fs = layout.extra, layout.fscale
        if r is candidates[0]:
            r = rules
        elif layout.musgd:
            r, ex, fs = _musgd_layout(r, wbias, None)
        n = r.warmup_iterations(wep, nb, epochs)
        entries.extend(yolo_exact.entries(r, peak, lrf, epochs, nb, n, wbias, ex, fs))
    exact = tuple(entries)
    warm = _warmup(sched_family, params, rules, exact[0], nb, nw, wep, notes)
    sched = schedule(sched_family, params, warm)
    _typed(notes, exact, sched, rules, wep, nw, nb)
    return sched, exact


def _with_unknown_nb(
    sched_family: str, params: dict[str, Any], rules: YoloRules, wep: float, notes: Notes
) -> Schedule:
    """The schedule with a warmup of ``warmup_epochs`` when ``nb`` is unknown (said why)."""
    sched = schedule(sched_family, params, linear_warmup(wep, 0.0))
    lasts = (
        f"max({fmt_num(wep)} epochs, {rules.floor} iterations / nb), so it may be longer "
        "than configured"
        if rules.floor
        else f"{rules.floor_text()} iterations"
    )
    notes.assume(
        f"Batches per epoch (nb) unknown: the warmup lasts {lasts}; pass --steps-per-epoch "
        "to know it."
    )
    # the values logged during the warmup depend on nb (each epoch's last batch is logged)
    if rules.floor and not rules.cap_last_epoch:
        notes.warmup_floor = WarmupFloor(
            rules.floor, wep, None, None, "warmup_epochs", _NAMES.get(rules.framework, "YOLO")
        )
    notes.warmup_values_approximate = (
        "the values logged during the warmup depend on the batches per epoch; pass "
        "--steps-per-epoch for the exact ones"
    )
    return sched


def _clock_note(rules: YoloRules, notes: Notes) -> None:
    notes.assume(
        "Scheduler stepped once per epoch; "
        + (
            "epoch e runs at lr0*lf(e-1) (the scheduler is stepped after the LR is read)"
            if rules.lag
            else "epoch e runs at lr0*lf(e)"
        )
        + f", logged at step e{' + 1' if rules.log_offset else ''}: the decay starts at logged "
        f"step {rules.start_step}."
    )


def parse(path: Path, text: str, units: Units) -> IntendedSchedule:
    data = read_mapping(path, text)
    notes = Notes(path)
    ultra, hyp, opt, candidates = _trainer(path, data, notes)
    rules = candidates[0]
    pre = "" if ultra or hyp is opt else ("hyp." if "hyp" in data else "")
    lr0 = float(notes.number(hyp, "lr0", 0.01, prefix=pre))
    lrf = float(notes.number(hyp, "lrf", 0.01, prefix=pre))
    wep = float(notes.number(hyp, "warmup_epochs", 3.0, prefix=pre))
    wbias = float(notes.number(hyp, "warmup_bias_lr", 0.1, prefix=pre))
    # plain keys whatever the file layout, for findings to quote
    notes.settings.update(lr0=lr0, lrf=lrf, warmup_epochs=wep, warmup_bias_lr=wbias)
    epochs = int(notes.number(opt, "epochs", 100, integer=True))
    if epochs <= 0:
        raise ConfigError(f"{notes.where('epochs')}: must be > 0, got {epochs}")
    optimizer = _record_options(opt, notes, ultra)
    nb = units.steps_per_epoch
    peak, peak_unknown, peak_rule, opt_name = lr0, None, None, str(optimizer or "SGD")
    if ultra:
        _ultralytics_notes(opt, notes, epochs)
        if str(optimizer).lower() == "auto":
            peak, peak_unknown, peak_rule, opt_name = _auto(
                path, opt, rules, lr0, epochs, nb, notes
            )
            wbias = 0.0
    extra: Extra = ()
    fscale = 1.0
    musgd = opt_name.lower() == "musgd"
    if musgd:
        rules, extra, fscale = _musgd_layout(rules, wbias, notes)

    sched_family, params = _family(rules, peak, lrf, epochs)
    _clock_note(rules, notes)
    exact: tuple[LoggedValues, ...] = ()
    if nb:
        layout = _Layout(rules, extra, fscale, musgd)
        sched, exact = _with_known_nb(
            sched_family, params, layout, candidates, peak, lrf, epochs, nb, wep, wbias, notes
        )
    else:
        sched = _with_unknown_nb(sched_family, params, rules, wep, notes)
    notes.settings["warmup_bias_lr"] = wbias
    notes.settings["bias_group_tag"] = rules.falling_tag
    notes.assume(
        f"{rules.falling_tag} starts its warmup at warmup_bias_lr {fmt_num(wbias)} (the bias "
        f"group's rule); compare {', '.join(rules.weight_tags)} with this schedule."
    )
    if peak_unknown:
        notes.settings["lr_unknown"] = "optimizer auto"
    it = intended(
        sched,
        notes,
        "yolov5",
        unit="epoch",
        log_unit="epoch",
        steps_per_epoch=nb,
        horizon=epochs,
        world_size=units.world_size,
        num_steps=units.num_steps,
        expected_tags=(
            *rules.weight_tags,
            *(t for tags, _, _ in extra for t in tags),
            rules.falling_tag,
        ),
    )
    return dataclasses.replace(
        it,
        framework=rules.framework,
        framework_version=rules.version,
        logged_values=exact,
        peak_unknown=peak_unknown,
        peak_rule=peak_rule,
    )


def _family(rules: YoloRules, peak: float, lrf: float, epochs: int) -> tuple[str, dict[str, Any]]:
    """The decay as logged: ``lr0 lf(step - start_step)`` (see the module doc)."""
    end, k = peak * lrf, rules.start_step
    if rules.cosine:
        return "cosine", {"peak_lr": peak, "end_lr": end, "decay_steps": epochs, "start_step": k}
    span = rules.span(epochs)
    return "polynomial", {
        "init_lr": peak,
        "end_lr": end,
        "decay_steps": span,
        "power": 1.0,
        "start_step": k,
    }


def _warmup(
    family: str,
    params: dict[str, Any],
    rules: YoloRules,
    weights: LoggedValues,
    nb: int,
    nw: int,
    wep: float,
    notes: Notes,
) -> Warmup | None:
    """The warmup of the schedule that comes closest to the logged warmup values."""
    if nw <= 0:
        return None
    fam = schedule(family, params)
    notes.assume(
        f"Warmup: {nw} iterations ({rules.floor_text()} with warmup_epochs {fmt_num(wep)}, "
        f"nb {nb}) = {fmt_num(nw / nb)} epochs; as logged at each epoch's last batch it is "
        + (
            "lr0*lf(e) x (r0 + (1 - r0) e/W) (a linear_factor warmup, r0 = (nb-1)/nw, "
            f"W = (nw-nb+1)/nb = {fmt_num((nw - nb + 1) / nb)} epochs)."
            if rules.start_step == 1 and rules.log_offset == 0
            else "the linear warmup through those points."
        )
    )
    if rules.log_offset == 0 and rules.start_step == 1:
        return yolo_exact.factor_warmup(fam, nb, nw, rules.start_step)
    k0 = rules.log_offset
    fitted = yolo_exact.warmup_through_points(
        fam, np.asarray(weights.steps), np.asarray(weights.values), nb, nw, k0
    )
    if fitted is not None:
        length, start = fitted
    else:
        start = params.get("init_lr", params.get("peak_lr", 0.0)) * (nb * (1 - k0) - 1) / nw
        length = (nw + 1 - nb * (1 - k0)) / nb
    # the logged warmup points extrapolate below 0 at step 0 (ni = -1 there); a Warmup cannot
    # start below 0: the exact values are in exact_values
    return linear_warmup(length, max(start, 0.0))


_NAMES = {"yolov5": "YOLOv5", "yolov7": "YOLOv7", "ultralytics": "Ultralytics"}


def _typed(
    notes: Notes,
    exact: tuple[LoggedValues, ...],
    sched: Any,
    rules: YoloRules,
    wep: float,
    nw: int,
    nb: int,
) -> None:
    """What diagnose reads: the configured version's exact weight-group values, every other
    entry (bias group, other versions) as alternatives, and the warmup floor."""
    notes.exact_values = ExactValues(exact[0].steps[0], tuple(exact[0].values))
    notes.exact_alternatives = tuple(
        ExactValues(e.steps[0], tuple(e.values), e.rule) for e in exact[1:]
    )
    notes.settings["bias_logged_lr_exact"] = {
        "first_step": exact[1].steps[0],
        "values": list(exact[1].values),
    }
    if rules.floor and not rules.cap_last_epoch:
        notes.warmup_floor = WarmupFloor(
            rules.floor, wep, nw / nb, nw, "warmup_epochs", _NAMES.get(rules.framework, "YOLO")
        )
    if _family_known(sched.family):
        steps = np.asarray(exact[0].steps)
        gap = yolo_exact.max_rel_gap(sched, steps, np.asarray(exact[0].values))
        notes.settings["warmup_linear_max_rel_gap"] = gap
        if gap > 1e-9:
            notes.assume(
                f"The schedule's warmup differs from the exact logged values by at most "
                f"{gap:.2%} (the warmup scales lr0*lf(epoch), the logged decay after it may lag "
                "one epoch); exact_values hold the exact values."
            )


def _musgd_layout(
    rules: YoloRules, wbias: float, notes: Notes | None
) -> tuple[YoloRules, Extra, float]:
    """MuSGD (Ultralytics 8.4): each of the groups weight / bn / bias / muon is split into a
    boosted group at 3x the LR (even index) and a normal one, logged as ``lr/pg0..7``.

    Returns the rules with the 1x tags, the 3x groups (tags, scale, warmup start) and the scale
    of the falling group.
    """
    normal: tuple[str, ...]
    if rules.falling_tag == "lr/pg2":  # bias keyed by name: both bias groups fall
        normal, falling, scale = ("lr/pg1", "lr/pg3", "lr/pg7"), "lr/pg5", 1.0
        extra: Extra = ((("lr/pg0", "lr/pg2", "lr/pg6"), 3.0, 0.0), (("lr/pg4",), 3.0, wbias))
    else:  # group 0, the boosted weights, starts at warmup_bias_lr
        normal, falling, scale = ("lr/pg1", "lr/pg3", "lr/pg5", "lr/pg7"), "lr/pg0", 3.0
        extra = ((("lr/pg2", "lr/pg4", "lr/pg6"), 3.0, 0.0),)
    if notes is not None:
        notes.assume(
            "MuSGD: 8 parameter groups; lr/pg0, lr/pg2, lr/pg4, lr/pg6 run at 3x the LR of "
            "lr/pg1, lr/pg3, lr/pg5, lr/pg7."
        )
    return dataclasses.replace(rules, weight_tags=normal, falling_tag=falling), extra, scale


def _auto(
    path: Path,
    args: dict[str, Any],
    rules: YoloRules,
    lr0: float,
    epochs: int,
    nb: int | None,
    notes: Notes,
) -> tuple[float, str | None, str | None, str]:
    """(peak, peak_unknown, peak_rule, optimizer) under Ultralytics ``optimizer: auto``.

    The trainer ignores ``lr0``: ``iterations = ceil(N / max(batch, nbs)) * epochs`` picks the
    optimizer (more than 10,000: the SGD-like one at 0.01, else the Adam-like one at
    ``round(0.002 * 5 / (4 + nc), 6)``), see :mod:`lraudit.configs.yolo_versions`.
    """
    rule = rules.auto or "sgd_adamw"
    large, small = auto_choice(rule, True, None)[0], auto_choice(rule, False, None)[0]
    nc, nc_why = dataset_classes(args.get("data"), path.parent)
    notes.settings["auto_nc"] = nc
    its = auto_iterations(nb, args.get("batch"), args.get("nbs"), epochs) if nb else None
    if its is not None:
        notes.settings["auto_iterations"] = list(its)
    big = None if its is None else (True if its[0] > 10000 else False if its[1] <= 10000 else None)
    fit = f"round(0.002 x 5 / (4 + nc), 6){'' if nc is None else f' = {fmt_num(auto_lr_fit(nc))}'}"
    head = f"optimizer: auto ignores lr0={fmt_num(lr0)}"
    if big is None:
        why = (
            "the batches per epoch are unknown (pass --steps-per-epoch)"
            if its is None and not nb
            else f"the iterations ({its[0]}..{its[1]}) straddle 10,000"
            if its
            else f"batch {args.get('batch')!r} is not a fixed batch size"
        )
        reason = (
            f"{head}: the trainer uses {large} at 0.01 when the run has more than 10,000 "
            f"iterations, else {small} at {fit}, and {why}"
        )
        notes.assume(reason + "; warmup_bias_lr becomes 0.")
        return lr0, reason, None, "auto"
    name, lr = auto_choice(rule, big, nc)
    n_txt = f"{its[0]}" if its and its[0] == its[1] else f"{its[0]}..{its[1]}" if its else "?"
    if lr is None:
        reason = f"{head}: the trainer uses {name} at {fit} ({n_txt} iterations) and {nc_why}"
        notes.assume(reason + "; warmup_bias_lr becomes 0.")
        return lr0, reason, None, name
    how = f"{head}: {n_txt} iterations {'>' if big else '<='} 10,000, so {name} at lr {fmt_num(lr)}"
    if not big:
        how += f" ({fit}; {nc_why})"
    notes.assume(how + "; warmup_bias_lr becomes 0.")
    notes.settings["auto_lr"] = lr
    notes.settings["auto_optimizer"] = name
    return lr, None, how, name


def _ultralytics_notes(opt: dict[str, Any], notes: Notes, epochs: int) -> None:
    if opt.get("time"):
        notes.settings["time"] = opt["time"]
        notes.assume(
            f"time={opt['time']} h overrides epochs={epochs}: Ultralytics re-plans the schedule "
            "from measured epoch times, so the horizon is not known from the config."
        )
    if opt.get("resume"):
        notes.assume("resume is set: the run continues an earlier one's schedule.")


def _family_known(name: str) -> bool:
    from lraudit.schedules import families

    return name in families()


PARSER = ConfigParser("yolov5", detect, parse)
