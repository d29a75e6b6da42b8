"""Which YOLO trainer wrote a run's files, and the LR rules of that trainer's version.

Read from the trainers' own code (``train.py`` of ultralytics/yolov5 and WongKinYiu/yolov7,
``ultralytics/engine/trainer.py`` of the ``ultralytics`` package, per release):

=========================  =========  =====  ==========  ==========  ===========================
trainer (how recognised)   lf shape   floor  falling tag  lag         note
=========================  =========  =====  ==========  ==========  ===========================
YOLOv5 < v5.0 (opt.yaml    cosine     1000   x/lr2       yes         one-cycle always
without linear_lr/cos_lr)
YOLOv5 v5.0-v6.0           cosine     1000   x/lr2       yes         ``linear_lr: true``: linear
(``linear_lr`` in opt)     one-cycle                                 over ``E - 1`` epochs
YOLOv7 (``loss_ota`` /     same as YOLOv5 v5.0-v6.0 (its train.py keeps those rules)
``paste_in`` / ``v5_metric``)
YOLOv5 v6.1 (``cos_lr``,   linear     1000   x/lr2       yes         master from 2022-02-24:
no ``noplots``)                                                      floor 100
YOLOv5 2022-04..07         linear     100    x/lr2       yes         from 2022-06-27 the bias
(``noplots``, no ``seed``)                                           group x/lr0 falls
YOLOv5 v6.2+ (``seed``)    linear     100    x/lr0       yes
Ultralytics 8.0            linear     100    lr/pg0      yes         8.0 did not put the LR in
(``v5loader``/``boxes``)                                             TensorBoard for long
Ultralytics 8.1            linear     100    lr/pg0      yes / no    stepped at epoch start
(``time``, no ``bgr``)                                               from PR #9468 (2024-04)
Ultralytics 8.2 / 8.3      linear     100    lr/pg0      no
Ultralytics 8.4.0..        linear     100    lr/pg0      no          groups weight/bn/bias, but
(``cutmix``/``compile``)                                             the warmup still starts
                                                                     group 0 (weights) high
Ultralytics 8.4.1xx        linear     none   lr/pg2      no          warmup capped at E-1
(``channels_last``/``dis``)                                          epochs; bias keyed by name
=========================  =========  =====  ==========  ==========  ===========================

(``cos_lr`` / ``linear_lr`` pick the shape where the version has the flag.) "lag": the
scheduler is stepped after the epoch's LR is read, so after the warmup epoch ``e`` runs at
``lr0 * lf(e - 1)``. YOLOv5 / YOLOv7 log epoch ``e`` at step ``e``, Ultralytics at ``e + 1``.
Warmup: ``nw = max(round(warmup_epochs * nb), floor)`` iterations (Ultralytics: none when
``warmup_epochs <= 0``; 8.4.1xx ``round(min(warmup_epochs, E - 1) * nb)``), each group
interpolated from its start (``warmup_bias_lr`` for the falling group, else 0) to
``initial_lr * lf(epoch)`` at every iteration ``ni <= nw``.

Ultralytics ``optimizer: auto`` replaces ``lr0``: with ``iterations = ceil(N / max(batch, nbs))
* epochs``, SGD at 0.01 when ``iterations > 10000`` else AdamW at ``round(0.002 * 5 / (4 + nc),
6)`` (8.4.0: SGD / MuSGD; 8.4.1xx: MuSGD / AdamW), and ``warmup_bias_lr`` becomes 0. MuSGD splits
each group into a 3x-LR "boosted" group and a normal one (8 groups, ``lr/pg0..7``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

#: hyp / opt keys that only YOLOv7 writes
V7_HYP_MARKERS = ("loss_ota", "paste_in")
V7_OPT_MARKERS = ("v5_metric",)
#: fewest keys of a full dump: train.py's argparse options (~30-40), Ultralytics default.yaml (~90+)
_FULL_OPT = 20
_FULL_ARGS = 60


@dataclass(frozen=True)
class YoloRules:
    """The LR rules of one trainer version (see the module table)."""

    framework: str  # yolov5 | yolov7 | ultralytics
    version: str  # the version (range) in words
    evidence: str  # what in the files points to it
    cosine: bool = False
    linear_span_minus_one: bool = False  # linear lf over E - 1 epochs (v5.0-v6.0, YOLOv7)
    floor: int = 100
    cap_last_epoch: bool = False  # Ultralytics 8.4.1xx: warmup at most E - 1 epochs
    zero_disables: bool = False  # warmup_epochs <= 0 means no warmup (Ultralytics)
    falling_tag: str = "x/lr0"
    weight_tags: tuple[str, ...] = ("x/lr1", "x/lr2")
    lag: bool = True
    log_offset: int = 0
    auto: str | None = None  # Ultralytics optimizer auto rule: sgd_adamw | sgd_musgd | musgd_adamw

    @property
    def start_step(self) -> int:
        """The logged step at which the decay starts (``lr0 * lf(0)`` is logged there)."""
        return self.log_offset + (1 if self.lag else 0)

    def span(self, epochs: int) -> int:
        """The epochs over which the linear ``lf`` falls from 1 to ``lrf``."""
        return epochs - 1 if self.linear_span_minus_one and not self.cosine else epochs

    def lf(self, x: float, epochs: int, lrf: float) -> float:
        """The LambdaLR multiplier at epoch ``x``."""
        if self.cosine:
            return max((1 - math.cos(x * math.pi / epochs)) / 2, 0.0) * (lrf - 1) + 1
        span = self.span(epochs)
        return max(1 - x / span, 0.0) * (1 - lrf) + lrf

    def warmup_iterations(self, warmup_epochs: float, nb: int, epochs: int) -> int:
        """``nw``, the number of warmup iterations of this version."""
        if self.cap_last_epoch:
            w = min(warmup_epochs, max(epochs - 1, 0))
            return round(w * nb) if w > 0 else 0
        if self.zero_disables and warmup_epochs <= 0:
            return 0
        return max(round(warmup_epochs * nb), self.floor)

    def floor_text(self) -> str:
        if self.cap_last_epoch:
            return "round(min(warmup_epochs, epochs - 1) x nb)"
        return f"max(round(warmup_epochs x nb), {self.floor})"


def _v5(version: str, evidence: str, **kw: Any) -> YoloRules:
    falling = kw.pop("falling_tag", "x/lr0")
    weights = tuple(t for t in ("x/lr0", "x/lr1", "x/lr2") if t != falling)
    return YoloRules("yolov5", version, evidence, falling_tag=falling, weight_tags=weights, **kw)


def _flag(opt: dict[str, Any], key: str) -> bool:
    v = opt.get(key)
    if isinstance(v, str):
        return v.strip().lower() == "true"
    return bool(v)


def yolov5_rules(hyp: dict[str, Any], opt: dict[str, Any] | None) -> list[YoloRules]:
    """The rules of the YOLOv5 / YOLOv7 trainer that wrote ``hyp`` / ``opt``, most likely first.

    The argparse options dumped in ``opt.yaml`` changed over time, so its keys date the trainer:
    ``linear_lr`` (2021-02-06 .. 2022-02-21), ``cos_lr`` (from 2022-02-21), ``noplots`` (from
    2022-04-23), ``seed`` (from 2022-07-07); YOLOv7 adds ``v5_metric`` and its hyp files
    ``loss_ota`` / ``paste_in``. Later alternatives are the versions the keys cannot rule out.
    """
    keys = set(opt or {})
    hkeys = set(hyp)
    # a missing key dates the trainer only in a full argparse dump, not in a hand-written file
    full = len(keys) >= _FULL_OPT
    v7 = [k for k in V7_HYP_MARKERS if k in hkeys] + [k for k in V7_OPT_MARKERS if k in keys]
    if v7:
        lin = _flag(opt or {}, "linear_lr")
        return [
            YoloRules(
                "yolov7",
                "YOLOv7",
                f"{' / '.join(v7)} in the {'hyperparameters' if v7[0] in hkeys else 'options'}",
                cosine=not lin,
                linear_span_minus_one=True,
                floor=1000,
                falling_tag="x/lr2",
                weight_tags=("x/lr0", "x/lr1"),
            )
        ]
    if opt is None:
        return [
            _v5(
                "YOLOv5 v6.2 or later (assumed: no opt.yaml dates the trainer)",
                "no opt.yaml",
                cosine=False,
            )
        ]
    if "linear_lr" in keys:
        lin = _flag(opt, "linear_lr")
        return [
            _v5(
                "YOLOv5 v5.0-v6.0 (2021-02 to 2022-02)",
                "linear_lr in opt.yaml",
                cosine=not lin,
                linear_span_minus_one=True,
                floor=1000,
                falling_tag="x/lr2",
            )
        ]
    if not full:
        base = _v5(
            "YOLOv5 v6.2 or later (assumed: opt.yaml is not a full dump of train.py options)",
            f"opt.yaml has only {len(keys)} keys",
            cosine=_flag(opt, "cos_lr"),
        )
        old = _v5(
            "YOLOv5 v6.1 or earlier (1000-iteration floor, bias group x/lr2)",
            base.evidence,
            cosine=base.cosine,
            floor=1000,
            falling_tag="x/lr2",
        )
        return [base, old]
    if "cos_lr" not in keys:
        return [
            _v5(
                "YOLOv5 before v5.0 (before 2021-02)",
                "neither linear_lr nor cos_lr in opt.yaml",
                cosine=True,
                floor=1000,
                falling_tag="x/lr2",
            )
        ]
    cos = _flag(opt, "cos_lr")
    if "seed" in keys:
        return [_v5("YOLOv5 v6.2 or later (from 2022-07)", "seed in opt.yaml", cosine=cos)]
    if "noplots" in keys:
        base = _v5(
            "YOLOv5 2022-04 to 2022-07 (between v6.1 and v6.2)",
            "noplots but no seed in opt.yaml",
            cosine=cos,
            falling_tag="x/lr2",
        )
        alt = _v5(
            "YOLOv5 2022-06-27 to 2022-07-07 (bias group x/lr0 falls)",
            "noplots but no seed in opt.yaml",
            cosine=cos,
        )
        return [base, alt]
    base = _v5(
        "YOLOv5 v6.1 (2022-02)",
        "cos_lr but no noplots in opt.yaml",
        cosine=cos,
        floor=1000,
        falling_tag="x/lr2",
    )
    return [
        base,
        replace(base, version="YOLOv5 2022-02-24 to 2022-04 (100-iteration floor)", floor=100),
    ]


def _ul(version: str, evidence: str, **kw: Any) -> YoloRules:
    kw = {
        "falling_tag": "lr/pg0",
        "weight_tags": ("lr/pg1", "lr/pg2"),
        "zero_disables": True,
        "log_offset": 1,
        "auto": "sgd_adamw",
        **kw,
    }
    return YoloRules("ultralytics", version, evidence, **kw)


def ultralytics_rules(args: dict[str, Any]) -> list[YoloRules]:
    """The rules of the Ultralytics release that wrote ``args.yaml``, most likely first.

    ``args.yaml`` dumps the whole ``default.yaml``, whose keys date the release: ``v5loader`` /
    ``boxes`` (8.0 only), ``time`` / ``save_frames`` (from 8.1), ``bgr`` (8.2), ``copy_paste_mode``
    (8.3), ``cutmix`` / ``compile`` (8.4), ``channels_last`` / ``dis`` (8.4.1xx).
    """
    keys = set(args)
    cos = _flag(args, "cos_lr")
    full = len(keys) >= _FULL_ARGS  # a missing key dates the release only in a full dump
    if keys & {"channels_last", "dis", "dgrad", "cls_remap", "distill_model"}:
        return [
            _ul(
                "Ultralytics 8.4.1xx or later",
                "channels_last / dis in args.yaml",
                cosine=cos,
                floor=0,
                cap_last_epoch=True,
                lag=False,
                falling_tag="lr/pg2",
                weight_tags=("lr/pg0", "lr/pg1"),
                auto="musgd_adamw",
            )
        ]
    if keys & {"cutmix", "compile"}:
        base = _ul(
            "Ultralytics 8.4.0 (early 8.4)",
            "cutmix / compile in args.yaml",
            cosine=cos,
            lag=False,
            falling_tag="lr/pg0",
            weight_tags=("lr/pg1", "lr/pg2"),
            auto="sgd_musgd",
        )
        late = replace(
            base,
            version="Ultralytics 8.4 (later 8.4: no warmup floor, bias group lr/pg2)",
            floor=0,
            cap_last_epoch=True,
            falling_tag="lr/pg2",
            weight_tags=("lr/pg0", "lr/pg1"),
            auto="musgd_adamw",
        )
        return [base, late]
    if keys & {"v5loader", "boxes"}:
        return [_ul("Ultralytics 8.0", "v5loader / boxes in args.yaml", cosine=cos)]
    if not full:
        return _undated(cos, f"args.yaml has only {len(keys)} keys (not a full dump)")
    if "copy_paste_mode" in keys:
        return [_ul("Ultralytics 8.3", "copy_paste_mode in args.yaml", cosine=cos, lag=False)]
    if "bgr" in keys:
        return [_ul("Ultralytics 8.2", "bgr in args.yaml", cosine=cos, lag=False)]
    if keys & {"time", "save_frames"}:
        early = _ul(
            "Ultralytics 8.1 (before 2024-04)", "time / save_frames in args.yaml", cosine=cos
        )
        late = replace(
            early, version="Ultralytics 8.1 (from 2024-04, stepped at epoch start)", lag=False
        )
        return [early, late]
    return _undated(cos, "no dated key in args.yaml")


def _undated(cos: bool, evidence: str) -> list[YoloRules]:
    """An args.yaml that does not date its release: 8.2 / 8.3 assumed, the others alternatives."""
    base = _ul(
        "Ultralytics 8.2 / 8.3 (assumed: the file does not date the release)",
        evidence,
        cosine=cos,
        lag=False,
    )
    return [
        base,
        replace(
            base, version="Ultralytics 8.0 / 8.1 (scheduler stepped after the LR is read)", lag=True
        ),
        replace(
            base,
            version="Ultralytics 8.4.1xx (no warmup floor, bias group lr/pg2)",
            floor=0,
            cap_last_epoch=True,
            falling_tag="lr/pg2",
            weight_tags=("lr/pg0", "lr/pg1"),
            auto="musgd_adamw",
        ),
    ]


# --------------------------------------------------------------------------- optimizer auto

#: Built-in Ultralytics datasets whose class count is fixed
_BUILTIN_NC = {"coco.yaml": 80, "coco8.yaml": 80, "coco128.yaml": 80, "voc.yaml": 20}


def auto_lr_fit(nc: int) -> float:
    """AdamW's LR under ``optimizer: auto``: ``round(0.002 * 5 / (4 + nc), 6)``.

    >>> auto_lr_fit(10), auto_lr_fit(80), auto_lr_fit(1)
    (0.000714, 0.000119, 0.002)
    """
    return round(0.002 * 5 / (4 + nc), 6)


def auto_choice(rule: str, big: bool, nc: int | None) -> tuple[str, float | None]:
    """(optimizer, lr) that ``optimizer: auto`` picks; lr None when it needs the unknown ``nc``."""
    fit = auto_lr_fit(nc) if nc is not None else None
    table = {
        "sgd_adamw": (("SGD", 0.01), ("AdamW", fit)),
        "sgd_musgd": (("SGD", 0.01), ("MuSGD", fit)),
        "musgd_adamw": (("MuSGD", 0.01), ("AdamW", fit)),
    }
    large, small = table[rule]
    return large if big else small


def auto_iterations(nb: int, batch: Any, nbs: Any, epochs: int) -> tuple[int, int] | None:
    """The range of ``ceil(N / max(batch, nbs)) * epochs`` for a dataset of ``nb`` batches.

    ``N`` (the training images) is only known to be in ``((nb - 1) * batch, nb * batch]``.
    None when ``batch`` is not a positive whole number (auto-batch ``-1`` or a GPU fraction).

    >>> auto_iterations(8, 16, 64, 150)  # N in 113..128 images: 2 optimiser batches of 64
    (300, 300)
    """
    try:
        b = float(batch)
        n = float(nbs if nbs is not None else 64)
    except (TypeError, ValueError):
        return None
    if b < 1 or not b.is_integer() or n <= 0:
        return None
    lo_n, hi_n = (nb - 1) * b + 1, nb * b
    d = max(b, n)
    return math.ceil(lo_n / d) * epochs, math.ceil(hi_n / d) * epochs


def dataset_classes(data: Any, near: Path) -> tuple[int | None, str]:
    """``nc`` of the dataset file ``data`` names, and where it came from (or why unknown).

    Looks at the path as written, then relative to the config's folder and its parents (at most
    four levels); reads only small YAML files; the built-in COCO / VOC files have fixed counts.
    """
    from lraudit.configs._intent import try_mapping

    if not isinstance(data, str) or not data.strip():
        return None, "args.yaml names no dataset file"
    name = Path(data.replace("\\", "/")).name
    candidates = [Path(data)]
    base = near
    for _ in range(5):
        candidates.append(base / data)
        candidates.append(base / name)
        base = base.parent
    for p in candidates:
        try:
            if not p.is_file() or p.stat().st_size > 1_000_000:
                continue
            d = try_mapping(p, p.read_text(encoding="utf-8"))
        except OSError:
            continue
        if not d:
            continue
        nc = d.get("nc")
        if isinstance(nc, int) and nc > 0:
            return nc, f"nc {nc} from {p}"
        names = d.get("names")
        if isinstance(names, (list, dict)) and names:
            return len(names), f"{len(names)} class names in {p}"
    if name.lower() in _BUILTIN_NC:
        return _BUILTIN_NC[
            name.lower()
        ], f"the built-in {name} has {_BUILTIN_NC[name.lower()]} classes"
    return None, f"the dataset file {data} was not found to read its number of classes"
