"""Per-series cost of an audit on realistic runs: read, segment, fit (issue 14).

Usage::

    python benchmarks/bench_audit_series.py                 # 200 series of 2,000 points
    python benchmarks/bench_audit_series.py --n 50 --points 5000 --profile 20

Every series is one run written as TensorBoard event files (:mod:`lraudit.testing`): a family
drawn round-robin over the registry with random parameters (the accuracy cases of
``bench_fit.py`` at a fixed number of points, cadence 1-10 steps), a linear warmup in
:data:`WARMUP_SHARE` of the runs (``bench_fit`` draws one in 35 % of cases; real runs warm up
more often), values stored as float32 as event files do, and in :data:`RESET_SHARE` of the runs
a resume that restarted the schedule: a second event file whose LR starts the schedule again
from its step 0 where the first file stopped.

For each run it measures, in this process's CPU time (the machine is shared; wall time would
measure the neighbours too):

* ``read``: :func:`lraudit.read_lr_series` of the run directory;
* ``segment``: :func:`lraudit.segments.segment_series` of the series read;
* ``fit``: :func:`lraudit.analysis.analyse` (segmentation and one fit per segment) minus the
  segmentation time;
* ``audit``: :func:`lraudit.pipeline.audit` of the run directory, end to end (``jobs=1``).

and prints median / p90 ms per series for each, the fit-to-read ratio (issue 14 asks for a
median fit <= 5x the read), and the fitted families. ``--profile N`` runs cProfile over
``audit`` of the first N runs and prints the top functions by cumulative and own time.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_fit import GENERATORS, make_case  # noqa: E402

from lraudit import read_lr_series  # noqa: E402
from lraudit.analysis import analyse  # noqa: E402
from lraudit.fitting.candidates import registry  # noqa: E402
from lraudit.pipeline import audit  # noqa: E402
from lraudit.segments import segment_series  # noqa: E402
from lraudit.testing import write_scalars  # noqa: E402
from lraudit.types import Schedule, Warmup  # noqa: E402

#: Share of runs with a linear warmup, and of runs holding a resume that restarted the schedule.
WARMUP_SHARE = 0.6
RESET_SHARE = 0.15


def _schedule(rng: np.random.Generator, fam: str, points: int) -> tuple[Schedule, np.ndarray]:
    """A ``bench_fit`` case of ``fam`` with ``points`` points, warmed up in WARMUP_SHARE."""
    case = make_case(rng, fam, n_points=points)
    s = case.schedule
    # only where bench_fit draws warmups too (not for families with a rise of their own)
    warm_ok = GENERATORS[fam](np.random.default_rng(0), 1000.0)[1]
    if s.warmup is None and warm_ok and rng.random() < WARMUP_SHARE:
        w = int(case.steps[-1] * rng.uniform(0.01, 0.08))
        if w >= 3 * case.cadence:
            # a linear warmup from 0 (transformers' and timm's default)
            s = Schedule(s.family, s.params, Warmup(w, 0.0, "linear"), s.min_lr)
    return s, case.steps


def write_run(rng: np.random.Generator, fam: str, points: int, d: Path) -> dict[str, object]:
    """Write one run under ``d``; the truth it was drawn from."""
    s, steps = _schedule(rng, fam, points)
    vals = s.evaluate(steps.astype(np.float64)).astype(np.float32)
    reset = bool(rng.random() < RESET_SHARE)
    if not reset:
        write_scalars(d, "lr", steps, vals)
        return {"family": fam, "reset": False}
    k = int(steps.size * rng.uniform(0.3, 0.7))
    s0 = int(steps[k])
    again = s.evaluate((steps[k:] - s0).astype(np.float64)).astype(np.float32)
    write_scalars(d, "lr", steps[:k], vals[:k])
    write_scalars(
        d,
        "lr",
        steps[k:],
        again,
        wall_time0=1.7e9 + 10 * steps.size,
        name="events.out.tfevents.1700009999.host.2.0",
    )
    return {"family": fam, "reset": True}


def _ms(a: list[float]) -> str:
    t = np.asarray(a) * 1000
    return f"median {np.median(t):7.1f} ms   p90 {np.percentile(t, 90):7.1f} ms"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=200, help="series (default 200)")
    ap.add_argument("--points", type=int, default=2000, help="points per series (default 2000)")
    ap.add_argument("--seed", type=int, default=20261204)
    ap.add_argument("--profile", type=int, default=0, help="cProfile audit of the first N runs")
    ap.add_argument("--top", type=int, default=25, help="profile rows to print")
    args = ap.parse_args(argv)
    fams = [f for f in registry() if f in GENERATORS]
    rng = np.random.default_rng(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="lraudit-bench-series-"))
    runs = []
    for i in range(args.n):
        d = tmp / f"run{i:04d}"
        runs.append((d, write_run(rng, fams[i % len(fams)], args.points, d)))
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        for d, _ in runs[: args.profile]:
            audit(d, jobs=1)
        prof.disable()
        st = pstats.Stats(prof, stream=sys.stdout)
        st.sort_stats("cumulative").print_stats(args.top)
        st.sort_stats("tottime").print_stats(args.top)
        return 0
    t_read, t_seg, t_fit, t_audit = [], [], [], []
    fitted: Counter[str] = Counter()
    n_seg = 0
    for d, _truth in runs:
        t0 = time.process_time()
        (series,) = read_lr_series(d)
        t1 = time.process_time()
        segment_series(series)
        t2 = time.process_time()
        a = analyse(series)
        t3 = time.process_time()
        audit(d, jobs=1)
        t4 = time.process_time()
        t_read.append(t1 - t0)
        t_seg.append(t2 - t1)
        t_fit.append(max(t3 - t2 - (t2 - t1), 0.0))
        t_audit.append(t4 - t3)
        n_seg += max(len(a.segments), 1)
        fitted[a.fit.schedule.family if a.fit else "-"] += 1
    n_reset = sum(bool(t["reset"]) for _, t in runs)
    print(
        f"lraudit per-series audit cost: {len(runs)} runs of {args.points} points "
        f"({n_reset} with a schedule reset, {n_seg} segments fitted), seed {args.seed}"
    )
    print(f"  read    : {_ms(t_read)}")
    print(f"  segment : {_ms(t_seg)}")
    print(f"  fit     : {_ms(t_fit)}")
    print(f"  audit   : {_ms(t_audit)}   (read + segment + fit + diagnose, jobs=1)")
    ratio = np.median(t_fit) / max(np.median(t_read), 1e-9)
    print(f"  median fit / median read: {ratio:.1f}x   (issue 14 target <= 5x)")
    print(f"  audits per second (one core): {len(runs) / sum(t_audit):.1f}")
    print(f"  main-segment families: {dict(sorted(fitted.items()))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
