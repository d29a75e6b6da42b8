"""The LR a YOLO trainer logs, by its own arithmetic, and the warmup shapes that approximate it.

With ``nb`` batches per epoch and ``nw`` warmup iterations (:mod:`lraudit.configs.yolo_versions`),
the value logged for epoch ``e`` is the LR of the epoch's last batch ``ni = (e + 1) nb - 1``:

* ``ni <= nw`` (still warming up): ``start + (lr0 lf(e) - start) ni / nw``
  (``start`` = ``warmup_bias_lr`` for the falling group, else 0);
* the warmup ended inside epoch ``e`` (``e nb <= nw < ni``): ``lr0 lf(e)``;
* after it: ``lr0 lf(e - 1)`` when the scheduler is stepped after the LR is read (YOLOv5,
  YOLOv7, Ultralytics <= 8.1), else ``lr0 lf(e)``.

It is logged at step ``e + log_offset``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lraudit.configs.yolo_versions import YoloRules
from lraudit.types import LoggedValues, Schedule, Warmup


def logged(
    rules: YoloRules,
    lr0: float,
    lrf: float,
    epochs: int,
    nb: int,
    nw: int,
    start: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """(steps, values) the trainer logs for a group starting its warmup at ``start``.

    >>> from lraudit.configs.yolo_versions import yolov5_rules
    >>> r = yolov5_rules({}, {"cos_lr": False, "seed": 0})[0]
    >>> s, v = logged(r, 0.01, 0.01, 150, 8, 100)
    >>> [round(float(x), 6) for x in v[[0, 12, 13, 149]]]
    [0.0007, 0.009208, 0.009208, 0.000232]
    """
    out = []
    for e in range(epochs):
        last = (e + 1) * nb - 1
        target = lr0 * rules.lf(e, epochs, lrf)
        if nw > 0 and last <= nw:
            out.append(start + (target - start) * last / nw)
        elif nw > 0 and e * nb <= nw:
            out.append(target)
        elif rules.lag:
            out.append(lr0 * rules.lf(max(e - 1, 0), epochs, lrf))
        else:
            out.append(target)
    return np.arange(epochs) + rules.log_offset, np.asarray(out, dtype=float)


def entries(
    rules: YoloRules,
    lr0: float,
    lrf: float,
    epochs: int,
    nb: int,
    nw: int,
    bias_start: float,
    extra: tuple[tuple[tuple[str, ...], float, float], ...] = (),
    falling_scale: float = 1.0,
) -> list[LoggedValues]:
    """LoggedValues for the weight tags, the falling tag (its LR ``falling_scale`` x lr0) and
    ``extra`` groups (tags, LR scale, warmup start), in that order."""
    rule = rules.version
    s, w = logged(rules, lr0, lrf, epochs, nb, nw, 0.0)
    _, b = logged(rules, lr0 * falling_scale, lrf, epochs, nb, nw, bias_start)
    steps = tuple(int(x) for x in s)
    out = [
        LoggedValues(steps, tuple(float(x) for x in w), rules.weight_tags, rule, nw),
        LoggedValues(
            steps, tuple(float(x) for x in b), (rules.falling_tag,), f"{rule}, bias warmup", nw
        ),
    ]
    for tags, scale, start in extra:
        _, v = logged(rules, lr0 * scale, lrf, epochs, nb, nw, start)
        out.append(LoggedValues(steps, tuple(float(x) for x in v), tags, f"{rule}, {scale:g}x", nw))
    return out


def factor_warmup(family: Schedule, nb: int, nw: int, start_step: int) -> Warmup | None:
    """The warmup of the weight groups as a multiplicative (``linear_factor``) warmup on epochs.

    For a trainer that logs epoch ``e`` at step ``e`` the value logged during the warmup is
    ``ni/nw * lr0 * lf(e)`` at ``ni = (e+1)*nb - 1``, i.e. ``lr0 * lf(e) * (r0 + (1 - r0) e / W)``
    with ``r0 = (nb - 1)/nw`` and ``W = (nw - nb + 1)/nb`` (nb=8, nw=100: r0=0.07, W=11.625).
    ``start_lr = r0 * F(0)``. None when the warmup ends inside epoch 0 (``nb > nw``) or the
    trainer logs at ``e + 1`` (``start_step`` > 1).

    >>> fam = Schedule("polynomial", {"init_lr": 0.01, "end_lr": 1e-4, "decay_steps": 150,
    ...                               "power": 1.0, "start_step": 1})
    >>> w = factor_warmup(fam, 8, 100, 1); (w.steps, round(w.start_lr, 10), w.shape)
    (11.625, 0.0007, 'linear_factor')
    """
    length = (nw - nb + 1) / nb
    if length <= 0:
        return None
    f0 = float(family.evaluate([0.0])[0])
    return Warmup(steps=length, start_lr=f0 * (nb - 1) / nw, shape="linear_factor")


def warmup_through_points(
    family: Schedule, steps: np.ndarray, values: np.ndarray, nb: int, nw: int, k0: int
) -> tuple[float, float] | None:
    """(steps, start_lr) of the linear warmup through the first and last logged warmup values.

    The line through those two points meets the decay curve at ``W``, where lraudit's warmup
    hands over (its target is the family's value at ``W``). None when the run logs fewer than
    two warmup points.
    """
    e_last = (nw + 1) // nb - 1  # last epoch whose final iteration is still in warmup
    if e_last < 1 or e_last >= len(values):
        return None
    k1, kl = k0, k0 + e_last
    v1, vl = float(values[0]), float(values[e_last])
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


def max_rel_gap(sched: Schedule, steps: Any, exact: np.ndarray) -> float:
    """Largest relative difference between ``sched`` and the exact values at ``steps``."""
    approx = np.asarray(sched.evaluate(np.asarray(steps, dtype=float)), dtype=float)
    return float(np.max(np.abs(approx - exact) / np.maximum(np.abs(exact), 1e-300)))
