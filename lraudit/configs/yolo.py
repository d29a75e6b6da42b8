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

import math
from pathlib import Path
from typing import Any

import numpy as np

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
from lraudit.errors import ConfigError
from lraudit.types import IntendedSchedule, Warmup

_HYP_KEYS = {"lr0", "lrf", "warmup_epochs"}
_ULTRA_KEYS = {"task", "mode", "batch", "imgsz", "close_mosaic", "nbs"}
#: YOLOv5 train.py argparse defaults used when no opt.yaml is found next to a hyp file.
_V5_OPT_DEFAULTS = {"epochs": 100, "cos_lr": False, "optimizer": "SGD", "batch_size": 16}


def detect(path: Path, text: str) -> int:
    if path.suffix.lower() not in (".yaml", ".yml"):
        return 0
    data = try_mapping(path, text)
    if not data:
        return 0
    if isinstance(data.get("hyp"), str) and {"epochs", "imgsz"} <= set(data):
        # a YOLOv5 opt.yaml that names its hyp file instead of embedding it
        return 2 if path.name.lower() == "opt.yaml" else 1
    hyp = data.get("hyp") if isinstance(data.get("hyp"), dict) else data
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


def _load_v5(path: Path, data: dict[str, Any], notes: Notes) -> tuple[dict, dict]:
    """(hyp, opt) for a YOLOv5 hyp.yaml or opt.yaml, reading the sibling file when needed."""
    if isinstance(data.get("hyp"), dict) or "epochs" in data:
        opt = data
        hyp = data.get("hyp") if isinstance(data.get("hyp"), dict) else None
        if hyp is None:
            sib = _sibling(path, ("hyp.yaml",))
            if sib is None:
                raise ConfigError(
                    f"{notes.where('hyp')}: opt.yaml does not embed the hyperparameters and no "
                    "hyp.yaml was found next to it; pass the hyp.yaml"
                )
            hyp = read_mapping(sib, sib.read_text(encoding="utf-8"))
            notes.assume(f"Hyperparameters read from {sib.name} next to {path.name}.")
            notes.settings["hyp_file"] = str(sib)
        return hyp, opt
    hyp = data
    names = ("opt.yaml",)
    if path.name.endswith(
        "hyp.yaml"
    ):  # e.g. a copy named <prefix>hyp.yaml next to <prefix>opt.yaml
        names = (path.name[: -len("hyp.yaml")] + "opt.yaml", "opt.yaml")
    sib = _sibling(path, names)
    if sib is not None:
        opt = read_mapping(sib, sib.read_text(encoding="utf-8"))
        notes.assume(f"Run options (epochs, cos_lr) read from {sib.name} next to {path.name}.")
        notes.settings["opt_file"] = str(sib)
        return hyp, opt
    notes.assume(
        f"No opt.yaml next to {path.name}: YOLOv5 train.py defaults assumed "
        f"(epochs {_V5_OPT_DEFAULTS['epochs']}, cos_lr false); pass the run's opt.yaml to "
        "use the real ones."
    )
    return hyp, dict(_V5_OPT_DEFAULTS)


def parse(path: Path, text: str, units: Units) -> IntendedSchedule:
    data = read_mapping(path, text)
    notes = Notes(path)
    ultra = "hyp" not in data and "lr0" in data and bool(_ULTRA_KEYS & set(data))
    if ultra:
        hyp, opt = data, data
        notes.settings["framework"] = "ultralytics"
    else:
        hyp, opt = _load_v5(path, data, notes)
        notes.settings["framework"] = "yolov5"
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
    cos = to_bool(opt.get("cos_lr", False) or False, notes.where("cos_lr"))
    notes.settings["cos_lr"] = cos
    optimizer = opt.get("optimizer")
    if optimizer is not None:
        notes.settings["optimizer"] = optimizer
    batch = opt.get("batch", opt.get("batch_size"))
    if batch is not None:
        notes.settings["batch" if ultra else "batch_size"] = batch

    if ultra:
        _ultralytics_notes(opt, notes, lr0, epochs)
    if ultra and str(optimizer).lower() == "auto":
        wbias = 0.0

    end = lr0 * lrf
    if cos:
        sched_family, params = (
            "cosine",
            {"peak_lr": lr0, "end_lr": end, "decay_steps": epochs, "start_step": 1},
        )
    else:
        sched_family, params = (
            "polynomial",
            {"init_lr": lr0, "end_lr": end, "decay_steps": epochs, "power": 1.0, "start_step": 1},
        )
    lag = "epoch e runs at lr0*lf(e-1) (YOLOv5 steps the scheduler after logging)"
    if ultra:
        lag = "the value logged at step k=e+1 is the LR of epoch e, lr0*lf(e)"
    notes.assume(f"Scheduler stepped once per epoch; {lag}: the decay starts at logged step 1.")

    nb = units.steps_per_epoch
    if nb:
        nw = max(round(wep * nb), 100) if (wep > 0 or not ultra) else 0
        notes.settings["warmup_iterations"] = nw
        notes.settings["warmup_epochs_effective"] = nw / nb
        k0 = 1 if ultra else 0  # the logged step of epoch 0
        if nw > 0:
            if ultra:
                # logged at k = e + 1: the factor (k*nb - 1)/nw is negative at k = 0, which a
                # warmup from step 0 cannot express; the line through the logged points is used
                start = lr0 * (nb * (1 - k0) - 1) / nw
                length = (nw + 1 - nb * (1 - k0)) / nb
                fitted = _warmup_through_points(
                    schedule(sched_family, params), lr0, lrf, epochs, cos, nb, nw, k0
                )
                if fitted is not None:
                    length, start = fitted
                # the logged warmup points extrapolate below 0 at step 0 (ni = -1 there);
                # a Warmup cannot start below 0: the exact values are in logged_lr_exact
                warm = linear_warmup(length, max(start, 0.0))
            else:
                warm = _v5_factor_warmup(schedule(sched_family, params), nb, nw)
            notes.assume(
                f"Warmup: {nw} iterations (max(round({fmt_num(wep)} x {nb}), 100)) = "
                f"{fmt_num(nw / nb)} epochs, against warmup_epochs {fmt_num(wep)}; as logged at "
                + (
                    "each epoch's last batch it is the linear warmup through those points."
                    if ultra
                    else "each epoch's last batch it is lr0*lf(e) x (r0 + (1 - r0) e/W) "
                    f"(a linear_factor warmup, r0 = (nb-1)/nw, W = (nw-nb+1)/nb = "
                    f"{fmt_num((nw - nb + 1) / nb)} epochs)."
                )
            )
            if ultra:
                notes.assume(
                    "Ultralytics >= 8.4 drops the 100-iteration floor (nw = round(min("
                    "warmup_epochs, epochs - 1) x nb)); this uses the YOLOv5 / 8.3 rule."
                )
        else:
            warm = None
        sched = schedule(sched_family, params, warm)
        steps = np.arange(k0, epochs + k0)
        exact = _exact(steps, lr0, lrf, epochs, cos, nb, nw, k0, 0.0)
        approx = sched.evaluate(steps) if _family_known(sched_family) else None
        notes.settings["logged_lr_exact"] = {"first_step": k0, "values": exact.tolist()}
        if ultra:
            # args.yaml does not say which Ultralytics ran: <= 8.1 steps the scheduler after
            # logging (epoch e runs at lf(e-1)); 8.4.1xx+ has no 100-iteration floor.
            nw84 = round(min(wep, max(epochs - 1, 0)) * nb) if wep > 0 else 0
            alts = [(nw, True, "ultralytics <= 8.1 (scheduler stepped at epoch end)")]
            if nw84 != nw:
                alts.append((nw84, False, "ultralytics >= 8.4.1xx (no 100-iteration floor)"))
            notes.settings["logged_lr_exact_alternatives"] = [
                {
                    "first_step": k0,
                    "values": _exact(steps, lr0, lrf, epochs, cos, nb, n, k0, 0.0, lag=lag).tolist(),
                    "rule": rule,
                    "warmup_iterations": n,
                }
                for n, lag, rule in alts
            ] + [
                {  # the bias group (falls from warmup_bias_lr), for every rule
                    "first_step": k0,
                    "values": _exact(steps, lr0, lrf, epochs, cos, nb, n, k0, wbias, lag=lag).tolist(),
                    "rule": f"bias group, {rule}",
                    "warmup_iterations": n,
                }
                for n, lag, rule in [(nw, False, "as configured"), *alts]
            ]
        notes.settings["bias_logged_lr_exact"] = {
            "first_step": k0,
            "values": _exact(steps, lr0, lrf, epochs, cos, nb, nw, k0, wbias).tolist(),
        }
        if approx is not None:
            gap = float(np.max(np.abs(approx - exact) / np.maximum(np.abs(exact), 1e-300)))
            notes.settings["warmup_linear_max_rel_gap"] = gap
            if gap > 1e-9:
                notes.assume(
                    f"The schedule's warmup differs from the exact logged values by at most "
                    f"{gap:.2%} (the warmup scales lr0*lf(epoch), the logged decay after it is "
                    "lr0*lf(epoch-1)); settings['logged_lr_exact'] holds the exact values."
                )
        horizon = epochs
        unit = "epoch"
    else:
        warm = linear_warmup(wep, 0.0)
        sched = schedule(sched_family, params, warm)
        notes.assume(
            f"Batches per epoch (nb) unknown: the warmup lasts max({fmt_num(wep)} epochs, "
            "100 iterations / nb), so it may be longer than configured; pass "
            "--steps-per-epoch to know it."
        )
        # the values logged during the warmup depend on nb (each epoch's last batch is logged)
        notes.settings["warmup_values_approximate"] = (
            "the values logged during the warmup depend on the batches per epoch; pass "
            "--steps-per-epoch for the exact ones"
        )
        horizon = epochs
        unit = "epoch"
    notes.settings["warmup_bias_lr"] = wbias
    if ultra:
        tags = ("lr/pg1", "lr/pg0", "lr/pg2")
        notes.settings["bias_group_tag"] = "lr/pg0 (ultralytics 8.3) or lr/pg2 (8.4)"
        notes.assume(
            "lr/pg1 is a weight group in every Ultralytics version; the bias group (lr/pg0 in "
            "8.3, lr/pg2 in 8.4) falls from warmup_bias_lr during warmup."
        )
    else:
        tags = ("x/lr1", "x/lr2", "x/lr0")
        notes.settings["bias_group_tag"] = "x/lr0"
        notes.assume(
            f"x/lr0 is the bias group: it falls from warmup_bias_lr {fmt_num(wbias)} during "
            "warmup; compare x/lr1 or x/lr2 with this schedule."
        )
    return intended(
        sched,
        notes,
        "yolov5",
        unit=unit,
        log_unit="epoch",
        steps_per_epoch=nb,
        horizon=horizon,
        world_size=units.world_size,
        num_steps=units.num_steps,
        expected_tags=tags,
    )


def _v5_factor_warmup(family: Any, nb: int, nw: int) -> Warmup | None:
    """YOLOv5's warmup of groups 1-2 as a multiplicative (``linear_factor``) warmup on epochs.

    The value logged at epoch ``e`` is ``ni/nw * lr0 * lf(e)`` at the epoch's last iteration
    ``ni = (e+1)*nb - 1``, i.e. ``lr0 * lf(e) * (r0 + (1 - r0) * e / W)`` with
    ``r0 = (nb - 1)/nw`` and ``W = (nw - nb + 1)/nb`` (nb=8, nw=100: r0=0.07, W=11.625).
    ``start_lr = r0 * F(0)``. None when the warmup ends inside epoch 0 (``nb > nw``).

    >>> from lraudit.types import Schedule
    >>> fam = Schedule("polynomial", {"init_lr": 0.01, "end_lr": 1e-4, "decay_steps": 150,
    ...                               "power": 1.0, "start_step": 1})
    >>> w = _v5_factor_warmup(fam, 8, 100); (w.steps, round(w.start_lr, 10), w.shape)
    (11.625, 0.0007, 'linear_factor')
    """
    length = (nw - nb + 1) / nb
    if length <= 0:
        return None
    f0 = float(family.evaluate([0.0])[0])
    return Warmup(steps=length, start_lr=f0 * (nb - 1) / nw, shape="linear_factor")


def _warmup_through_points(
    family: Any, lr0: float, lrf: float, epochs: int, cos: bool, nb: int, nw: int, k0: int
) -> tuple[float, float] | None:
    """(steps, start_lr) of the linear warmup through the first and last logged warmup values.

    The line through those two points meets the decay curve at ``W``, where lraudit's warmup
    hands over (its target is the family's value at ``W``). None when the run logs fewer than
    two warmup points or the family is not registered.
    """
    e_last = (nw + 1) // nb - 1  # last epoch whose final iteration is still in warmup
    if e_last < 1 or e_last >= epochs or not _family_known(family.family):
        return None
    k1, kl = k0, k0 + e_last
    v1, vl = _exact(np.array([k1, kl]), lr0, lrf, epochs, cos, nb, nw, k0, 0.0)
    slope = (vl - v1) / (kl - k1)
    start = v1 - slope * k1

    def gap(w: float) -> float:
        return start + slope * w - float(family.evaluate([w])[0])

    lo, hi = float(kl), float(kl) + 2.0
    if gap(lo) > 0 or gap(hi) < 0:
        return None
    for _ in range(80):  # bisection: the line rises, the decay curve falls
        mid = (lo + hi) / 2
        if gap(mid) < 0:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2, start


def _family_known(name: str) -> bool:
    from lraudit.schedules import families

    return name in families()


def _exact(
    steps: np.ndarray,
    lr0: float,
    lrf: float,
    epochs: int,
    cos: bool,
    nb: int,
    nw: int,
    k0: int,
    start: float,
    lag: bool = False,
) -> np.ndarray:
    """The value logged at each step by the framework's own arithmetic (see module doc)."""

    def lf(x: float) -> float:
        if cos:
            return max((1 - math.cos(x * math.pi / epochs)) / 2, 0.0) * (lrf - 1) + 1
        return (1 - x / epochs) * (1 - lrf) + lrf

    out = []
    for k in steps.tolist():
        e = k - k0
        last = (e + 1) * nb - 1
        if nw > 0 and last <= nw:
            target = lr0 * lf(e)
            out.append(start + (target - start) * last / nw)
        elif nw > 0 and e * nb <= nw:
            out.append(lr0 * lf(e))  # warmup ended inside this epoch at lr0*lf(e)
        elif k0 == 0 or lag:
            out.append(lr0 * lf(max(e - 1, 0)))
        else:
            out.append(lr0 * lf(e))
    return np.array(out, dtype=float)


def _ultralytics_notes(opt: dict[str, Any], notes: Notes, lr0: float, epochs: int) -> None:
    if str(opt.get("optimizer", "auto")).lower() == "auto":
        notes.settings["lr_unknown"] = "optimizer auto"
        notes.assume(
            f"optimizer: auto ignores lr0={fmt_num(lr0)} and momentum: Ultralytics uses SGD at "
            "lr 0.01 when the run has more than 10,000 iterations, else AdamW at "
            "round(0.002*5/(4+nc), 6); warmup_bias_lr becomes 0. The peak LR is therefore not "
            "known from args.yaml (shape and timing still are)."
        )
    if opt.get("time"):
        notes.settings["time"] = opt["time"]
        notes.assume(
            f"time={opt['time']} h overrides epochs={epochs}: Ultralytics re-plans the schedule "
            "from measured epoch times, so the horizon is not known from the config."
        )
    if opt.get("resume"):
        notes.assume("resume is set: the run continues an earlier one's schedule.")


PARSER = ConfigParser("yolov5", detect, parse)
