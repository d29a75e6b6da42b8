"""Accuracy and speed benchmark of :func:`lraudit.segments.segment_arrays` on blind cases.

Usage::

    python benchmarks/bench_segments.py              # 600 multi-segment + 600 control series
    python benchmarks/bench_segments.py --quick      # 150 + 150
    python benchmarks/bench_segments.py --n 2000 --seed 3

Multi-segment series (the truth is known by construction; every value is rounded to float32):

* **reset**: a run of a decaying family (cosine, polynomial, exponential, piecewise, inverse
  time / sqrt, WSD, one-cycle; random parameters from ``bench_fit``'s generators over
  lraudit's registry) is resumed at a random step where its LR has come down to at most 70 %
  of its peak, and the resumed run starts a schedule of its own from step 0: either straight at
  a peak at least 1.3x the LR it resumed from (a jump up after a decrease), or with a linear
  warmup from at most 30 % of it (a fall to a new warmup; a family that models its own rise,
  one-cycle, takes no separate warmup: its initial LR is lowered to at most 30 % instead). Up to three resets per series; half
  of the series pass the reset steps as reader restarts, half pass nothing (the LR alone
  must tell).
* **stray**: 1-10 points of another training (a test run logged every iteration at another LR
  level, >= 2x away) before the main run's second logged step, as a newer file of the same
  folder leaves them in a merged series.
* **zero stretch**: the LR set to exactly 0 for 2-30 logged points at the end while steps go
  on (a schedule that ended), when the last LR is at least 1e-3 of the peak.

Controls: one random schedule of every registered family in turn (``bench_fit.make_case``:
warmups, floors, windows, cadences), half of them with a reader restart at a random step where
the schedule simply goes on (a correct resume).

Scores: **found** = share of true segment starts with a predicted start within one logging
interval; **extra** = predicted starts with no true one near (per multi-segment series);
**stray** = share of stray segments marked stray; **zero** = share of zero stretches found with
both ends within one interval; **false splits** = share of controls cut anywhere; timing = best
of three runs of ``segment_arrays`` on 100,000 points.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass, field

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_fit import GENERATORS, make_case  # noqa: E402

from lraudit.schedules import Schedule, Warmup  # noqa: E402
from lraudit.schedules.registry import REGISTRY  # noqa: E402
from lraudit.segments import segment_arrays  # noqa: E402
from lraudit.types import Restart  # noqa: E402

DECAYING = (
    "cosine",
    "polynomial",
    "exponential",
    "piecewise",
    "inverse_time",
    "inverse_sqrt",
    "warmup_stable_decay",
    "one_cycle",
)


@dataclass
class Multi:
    steps: np.ndarray
    values: np.ndarray
    cadence: int
    starts: list[int]  # true segment starts (steps), the first excluded
    stray: list[int] = field(default_factory=list)  # first steps of stray segments
    zeros: list[tuple[int, int]] = field(default_factory=list)
    restarts: list[int | Restart] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    #: each training's first step and its schedule on its own clock (``lr(s - first)``)
    truth: list[tuple[int, Schedule]] = field(default_factory=list)


def _f32(x: np.ndarray) -> np.ndarray:
    return x.astype(np.float32).astype(np.float64)


def _schedule(rng: np.random.Generator, fam: str, h: float, peak: float | None) -> Schedule:
    params, _, _ = GENERATORS[fam](rng, h)
    s = Schedule(fam, params)
    if peak is not None:  # rescale to the wanted peak: every LR parameter is a level
        top = float(s.evaluate(np.linspace(0, h, 400)).max())
        k = peak / top if top > 0 else 1.0
        for name in (
            "init_lr",
            "peak_lr",
            "end_lr",
            "max_lr",
            "lr",
            "base_lr",
        ):
            if name in params:
                params[name] = params[name] * k
        if "values" in params:
            params["values"] = [v * k for v in params["values"]]
        s = Schedule(fam, params)
    return s


def make_multi(rng: np.random.Generator) -> Multi:
    """One multi-segment series (see the module docstring)."""
    cadence = int(rng.choice([1, 5, 10, 20, 50, 100]))
    n_seg = int(rng.integers(2, 5))
    x_all: list[np.ndarray] = []
    y_all: list[np.ndarray] = []
    starts: list[int] = []
    kinds: list[str] = []
    truth: list[tuple[int, Schedule]] = []
    pos = 0
    prev_lr: float | None = None
    peak = float(np.exp(rng.uniform(np.log(1e-4), np.log(0.5))))
    for k in range(n_seg):
        h = float(cadence * rng.integers(60, 300))
        fam = str(rng.choice(DECAYING))
        sched = _schedule(rng, fam, h, peak * float(rng.uniform(0.5, 2.0)))
        if k > 0 and prev_lr is not None:
            top = float(sched.evaluate(np.linspace(0, h, 400)).max())
            if rng.random() < 0.5:  # straight at the new schedule's start, well above
                if sched.evaluate(np.array([0.0]))[0] < 1.3 * prev_lr:
                    sched = _schedule(rng, "cosine", h, max(top, 2.0 * prev_lr))
                kinds.append("jump")
            elif REGISTRY[sched.family].own_rise:  # its own rise is the new warmup
                p = dict(sched.params)
                p["init_lr"] = min(p["init_lr"], 0.3 * prev_lr * float(rng.uniform(0.01, 1)))
                sched = Schedule(sched.family, p)
                kinds.append("warmup")
            else:  # a new linear warmup from <= 30 % of the LR it resumed from
                w = int(cadence * rng.integers(3, 20))
                tgt = float(sched.evaluate(np.array([float(w)]))[0])
                sched = Schedule(
                    sched.family,
                    dict(sched.params),
                    Warmup(w, min(0.3 * prev_lr, 0.3 * tgt) * float(rng.uniform(0, 1)), "linear"),
                )
                kinds.append("warmup")
        local = np.arange(0, h, cadence, dtype=np.float64)
        y = sched.evaluate(local)
        # resume where the LR has come down (after its peak) to <= 70 % of it, after >= 20 points
        stop = local.size
        if k < n_seg - 1:
            i = np.arange(local.size)
            ok = np.flatnonzero((y <= 0.7 * y.max()) & (i >= 20) & (i > np.argmax(y)))
            if ok.size == 0:
                break
            stop = int(rng.choice(ok))
        x_all.append(pos + local[:stop].astype(np.int64))
        y_all.append(y[:stop])
        truth.append((int(pos), sched))
        if k > 0:
            starts.append(int(pos))
        prev_lr = float(y[stop - 1])
        pos += stop * cadence
    if len(x_all) < 2:
        return make_multi(rng)
    kinds = kinds[: len(starts)]
    x = np.concatenate(x_all)
    yv = np.concatenate(y_all)
    m = Multi(x, yv, cadence, starts, kinds=kinds, truth=truth)
    r = rng.random()
    if rng.random() < 0.5:
        m.restarts = list(m.starts)
    if r < 0.3:
        _add_stray(rng, m)
    elif r < 0.6:
        _add_zeros(rng, m)
    m.values = _f32(m.values)
    return m


def _add_stray(rng: np.random.Generator, m: Multi) -> None:
    """A few points of another training (logged every step) before the main run's first one."""
    n = int(rng.integers(1, 11))
    level = m.values[0] * float(rng.choice([rng.uniform(3, 20), 1 / rng.uniform(3, 20)]))
    sy = level * np.linspace(1.0, float(rng.uniform(0.5, 1.0)), n)
    m.steps = np.r_[np.arange(n, dtype=np.int64), m.steps + n]
    m.values = np.r_[sy, m.values]
    m.starts = [n, *(t + n for t in m.starts)]
    m.stray = [0]
    m.kinds = ["stray_end", *m.kinds]
    m.truth = [(t + n, sc) for t, sc in m.truth]
    # the stray run is a newer file of the folder: the reader records it as a restart
    stray_file = Restart("stray", 0, n - 1, int(m.steps[-1]), 0, None)
    m.restarts = [stray_file, *(t + n for t in m.restarts)]  # type: ignore[list-item]


def _add_zeros(rng: np.random.Generator, m: Multi) -> None:
    """LR exactly 0 for 2-30 points at the end of the last segment (the schedule ended)."""
    if abs(m.values[-1]) < 1e-3 * float(np.max(np.abs(m.values))):
        return  # the schedule is already (about) 0: the stretch would not start here
    n = int(rng.integers(2, 31))
    x0 = int(m.steps[-1]) + m.cadence
    zx = np.arange(x0, x0 + n * m.cadence, m.cadence, dtype=np.int64)
    m.steps = np.r_[m.steps, zx]
    m.values = np.r_[m.values, np.zeros(n)]
    m.zeros = [(int(zx[0]), int(zx[-1]))]


def score_multi(m: Multi) -> dict[str, int]:
    seg = segment_arrays(m.steps, m.values, m.restarts)
    got = [s.first_step for s in seg.segments[1:]]
    found = sum(any(abs(g - t) <= m.cadence for g in got) for t in m.starts)
    extra = sum(not any(abs(g - t) <= m.cadence for t in m.starts) for g in got)
    stray_ok = sum(any(s.stray and s.first_step == f for s in seg.segments) for f in m.stray)
    zero_ok = sum(
        any(
            abs(z.first_step - a) <= m.cadence and abs(z.last_step - b) <= m.cadence
            for z in seg.zero_stretches
        )
        for a, b in m.zeros
    )
    return {
        "true": len(m.starts),
        "found": found,
        "extra": extra,
        "stray": len(m.stray),
        "stray_ok": stray_ok,
        "zeros": len(m.zeros),
        "zero_ok": zero_ok,
    }


def control(rng: np.random.Generator, fam: str) -> tuple[np.ndarray, np.ndarray, list[int]]:
    case = make_case(rng, fam)
    y = _f32(case.schedule.evaluate(case.steps.astype(np.float64)))
    restarts: list[int] = []
    if rng.random() < 0.5 and case.steps.size > 4:
        restarts = [int(rng.choice(case.steps[2:-1]))]
    return case.steps, y, restarts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--n", type=int, default=600, help="multi-segment series (and as many controls)"
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true", help="150 + 150 series")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every miss")
    a = ap.parse_args(argv)
    n = 150 if a.quick else a.n
    rng = np.random.default_rng(a.seed)
    tot: dict[str, int] = {}
    misses: list[str] = []
    for i in range(n):
        m = make_multi(rng)
        sc = score_multi(m)
        for k, v in sc.items():
            tot[k] = tot.get(k, 0) + v
        if sc["found"] < sc["true"] or sc["extra"] or sc["stray_ok"] < sc["stray"]:
            seg = segment_arrays(m.steps, m.values, m.restarts)
            misses.append(
                f"multi {i}: cadence {m.cadence} true {m.starts} {m.kinds} restarts "
                f"{bool(m.restarts)} got {[(s.first_step, s.reason, s.stray) for s in seg.segments]}"
            )
    fams = list(GENERATORS)
    split = 0
    per_fam: dict[str, list[int]] = {}
    for i in range(n):
        fam = fams[i % len(fams)]
        x, y, r = control(rng, fam)
        seg = segment_arrays(x, y, r)
        bad = len(seg.segments) > 1
        split += bad
        per_fam.setdefault(fam, [0, 0])
        per_fam[fam][0] += 1
        per_fam[fam][1] += bad
        if bad:
            misses.append(
                f"control {i} {fam}: restarts {r} got "
                f"{[(s.first_step, s.reason) for s in seg.segments]}"
            )
    big = np.arange(0, 100_000, dtype=np.int64)
    yb = _f32(0.1 * 0.5 * (1 + np.cos(np.pi * big / 1e5)))
    best = min(_timed(big, yb) for _ in range(3))
    print(f"multi-segment series: {n}, true segment starts: {tot['true']}")
    print(f"  found at the right step (+-1 interval): {100 * tot['found'] / tot['true']:.1f} %")
    print(f"  extra cuts: {tot['extra']} ({tot['extra'] / n:.3f} per series)")
    if tot["stray"]:
        print(f"  stray segments marked stray: {100 * tot['stray_ok'] / tot['stray']:.1f} %")
    if tot["zeros"]:
        print(f"  zero stretches found: {100 * tot['zero_ok'] / tot['zeros']:.1f} %")
    print(f"controls: {n}, wrongly split: {100 * split / n:.1f} % ({split})")
    for fam, (c, b) in per_fam.items():
        if b:
            print(f"  {fam}: {b}/{c} split")
    print(f"time for 100,000 points: {1e3 * best:.1f} ms")
    if a.verbose:
        print("\n".join(misses))
    return 0


def _timed(x: np.ndarray, y: np.ndarray) -> float:
    t = time.perf_counter()
    segment_arrays(x, y)
    return time.perf_counter() - t


if __name__ == "__main__":
    sys.exit(main())
