"""Benchmark: end-to-end ``lraudit report`` on many runs, with each backend, and memory cases.

    python benchmarks/bench_scale.py [--runs 10 100] [--points 2000]
                                     [--backends serial,local,dask] [--per-series]
                                     [--memory] [--keep]

For each ``--runs`` N, writes (once, cached in ``benchmarks/.cache/scale_<N>x<points>``) a logdir
of N runs, each one event file with ``train/lr`` (~``--points`` points) and 4 other scalars
(``train/loss``, ``train/grad_norm``, ``train/tokens_per_sec``, ``train/acc``), written as
``simple_value`` events (float32 storage, as torch ``add_scalar`` / tensorboardX do) with the
repo's framing (:func:`lraudit.testing.frame`). The LR schedules cycle through the families
users train with: linear warmup + cosine, step / multistep (some with warmup), exponential,
linear and polynomial decay, one-cycle, SGDR restarts, inverse-sqrt, warmup-stable-decay,
constant; every 10th run was resumed and restarted its schedule (a reset).

Then audits it (no config, as ``lraudit report LOGDIR --no-config``) in a fresh subprocess
per backend:

* ``serial``: ``jobs=1``, everything in one process;
* ``local``: ``jobs=None``, the CLI default (usable cores when it pays);
* ``dask``: ``dask="local"``, a ``distributed.LocalCluster`` of 2 worker processes (its start
  is inside the clock).

and prints runs/s, the time split (read / fit / diagnose, from ``run_audit.PHASE_SECONDS``,
summed over processes where the work is reported back: in-process and Dask; the local pool's
workers do not report theirs; render = the JSON and text formatters) and peak RSS (maxrss of
the audit process, and the largest of its finished worker processes).

``--per-series`` adds, in one fresh process, the median CPU time per series to read a run
(:func:`lraudit.read_lr_series`) and to segment and fit it (:func:`lraudit.analysis.analyse`),
each the best of 3 rounds per run, and their ratio (issue 14 asks for a fit median at most 5x
the read median).

``--memory`` adds two cases that only measure RSS of a serial audit: a logdir whose bytes are
> 90 % image summaries (10 runs of ~25 MB), and a single ~1 GB image-heavy event file.

The machine may be shared: absolute times are noisy.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
CACHE = Path(__file__).resolve().parent / ".cache"
OTHER = ["train/loss", "train/grad_norm", "train/tokens_per_sec", "train/acc"]
FAMILIES = [
    "warmup_cosine",
    "multistep",
    "exponential",
    "linear",
    "step_warmup",
    "one_cycle",
    "sgdr",
    "polynomial",
    "inverse_sqrt",
    "wsd",
    "constant",
]


def schedule(kind: str, n: int, peak: float) -> list[float]:
    """LR values at steps 0..n-1 of the schedule ``kind`` (float64; stored as float32)."""
    out = []
    w = max(n // 20, 1)
    for t in range(n):
        if kind == "warmup_cosine":
            v = (
                peak * (t + 1) / w
                if t < w
                else peak * 0.5 * (1 + math.cos(math.pi * (t - w) / (n - w)))
            )
        elif kind == "multistep":
            v = peak * 0.1 ** sum(t >= b for b in (int(n * 0.5), int(n * 0.75)))
        elif kind == "exponential":
            v = peak * 0.999**t
        elif kind == "linear":
            v = peak * (t + 1) / w if t < w else peak * max(0.0, (n - t) / (n - w))
        elif kind == "step_warmup":
            f = 0.001 + (1 - 0.001) * t / w if t < w else 1.0
            v = peak * f * 0.5 ** (t // (n // 4))
        elif kind == "one_cycle":
            up = int(0.3 * n)
            lo, end = peak / 25, peak / 25 / 1e4
            if t <= up:
                v = lo + (peak - lo) * 0.5 * (1 - math.cos(math.pi * t / up))
            else:
                v = end + (peak - end) * 0.5 * (1 + math.cos(math.pi * (t - up) / (n - 1 - up)))
        elif kind == "sgdr":
            period, start = n // 7, 0
            while t - start >= period:
                start, period = start + period, period * 2
            v = 1e-6 + (peak - 1e-6) * 0.5 * (1 + math.cos(math.pi * (t - start) / period))
        elif kind == "polynomial":
            v = (peak - 1e-5) * (1 - min(t, n) / n) ** 2 + 1e-5
        elif kind == "inverse_sqrt":
            v = peak * (t + 1) / w if t < w else peak * math.sqrt(w / (t + 1))
        elif kind == "wsd":
            d = int(0.8 * n)
            v = peak * (t + 1) / w if t < w else (peak if t < d else peak * (n - t) / (n - d))
        else:
            v = peak
        out.append(v)
    return out


def build(runs: int, points: int) -> Path:
    """Write (once) the logdir of ``runs`` runs; returns its path."""
    root = CACHE / f"scale_{runs}x{points}"
    if (root / ".complete").exists():
        return root
    import random

    from tensorboard.compat.proto import event_pb2

    from lraudit.testing import frame

    rng = random.Random(0)
    t0 = time.perf_counter()
    for r in range(runs):
        kind = FAMILIES[r % len(FAMILIES)]
        peak = [1e-3, 3e-4, 0.1, 0.02, 6e-4][r % 5]
        lr = schedule(kind, points, peak)
        steps = list(range(points))
        if r % 10 == 9:  # resumed at 60 % with a fresh scheduler: the schedule restarts
            cut = int(points * 0.6)
            steps = steps[:cut] + list(range(cut, points))
            lr = lr[:cut] + schedule(kind, points - cut, peak)
        wall = 1.7e9 + r * 1e5
        chunks = [
            frame(event_pb2.Event(wall_time=wall, file_version="brain.Event:2").SerializeToString())
        ]
        for i, (s, v) in enumerate(zip(steps, lr, strict=True)):
            ev = event_pb2.Event(wall_time=wall + i * 0.5, step=s)
            ev.summary.value.add(tag="train/lr", simple_value=v)
            for j, tag in enumerate(OTHER):
                x = [2.0 / (1 + s / 500), 1 + rng.random(), 5e4 * rng.random(), 0.9][j]
                ev.summary.value.add(tag=tag, simple_value=x)
            chunks.append(frame(ev.SerializeToString()))
        d = root / f"{kind}" / f"run{r:04d}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"events.out.tfevents.{int(wall)}.bench.{r}.0").write_bytes(b"".join(chunks))
    (root / ".complete").write_text(json.dumps({"runs": runs, "points": points}))
    print(f"built {root} in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return root


def build_images(root: Path, files: int, image_bytes: int, images: int) -> Path:
    """``files`` runs, each with a 2,000-point LR and ``images`` image summaries of
    ``image_bytes`` random bytes (incompressible payloads, as PNGs are)."""
    if (root / ".complete").exists():
        return root
    from tensorboard.compat.proto import event_pb2

    from lraudit.testing import frame

    payload = os.urandom(image_bytes)
    every = max(2000 // max(images, 1), 1)
    for f in range(files):
        d = root / f"run{f:02d}"
        d.mkdir(parents=True, exist_ok=True)
        with open(d / f"events.out.tfevents.{1700000000 + f}.img.0", "wb") as out:
            out.write(
                frame(
                    event_pb2.Event(
                        wall_time=1.7e9, file_version="brain.Event:2"
                    ).SerializeToString()
                )
            )
            for s in range(2000):
                ev = event_pb2.Event(wall_time=1.7e9 + s, step=s)
                ev.summary.value.add(
                    tag="lr", simple_value=0.1 * 0.5 * (1 + math.cos(math.pi * s / 2000))
                )
                if s % every == 0 and s // every < images:
                    img = ev.summary.value.add(tag="samples").image
                    img.height, img.width, img.colorspace = 512, 512, 3
                    img.encoded_image_string = payload
                out.write(frame(ev.SerializeToString()))
    (root / ".complete").write_text("")
    return root


_CHILD = """
import json, resource, sys, time
t_import = time.perf_counter()
import lraudit
from lraudit import pipeline, run_audit
from lraudit.report import Options, get_formatter
from lraudit.testing import peak_rss_mb
path, backend = sys.argv[1], sys.argv[2]
kw = {"serial": {"jobs": 1}, "local": {"jobs": None}, "dask": {"dask": "local", "jobs": 2}}[backend]
run_audit.PHASE_SECONDS = {}
t0 = time.perf_counter()
rep = lraudit.audit(path, config=None, **kw)
t1 = time.perf_counter()
get_formatter("json")(rep, Options()); get_formatter("text")(rep, Options(width=100))
t2 = time.perf_counter()
kb = 1024 if sys.platform != "darwin" else 1
print(json.dumps({
    "wall": t2 - t0, "audit": t1 - t0, "render": t2 - t1,
    "phases": run_audit.PHASE_SECONDS,
    "runs": len({r.run for r in rep.runs}), "series": len(rep.runs),
    "unaudited": len(rep.unaudited), "failed": len(rep.failed),
    "rss_mb": peak_rss_mb(),  # VmHWM: ru_maxrss would include the parent's size at fork
    # workers' ru_maxrss starts at this process's size when they were started (an upper bound)
    "rss_workers_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * kb / 2**20,
}))
"""


def measure(path: Path, backend: str) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    got = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path), backend],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
    )
    if got.returncode != 0:
        raise SystemExit(f"{backend} on {path} failed:\n{got.stderr[-3000:]}")
    data: dict[str, float] = json.loads(got.stdout.strip().splitlines()[-1])
    return data


_PER_SERIES = """
import json, sys, time
from pathlib import Path
from lraudit import read_lr_series
from lraudit.analysis import analyse
runs = sorted(p.parent for p in Path(sys.argv[1]).rglob("events.out.tfevents.*"))
repeat = int(sys.argv[2])
read, fit = [], []
analyse(read_lr_series(runs[0])[0])  # imports and caches warm
for d in runs:
    # the best of `repeat` rounds, for reading and for fitting alike (the timeit convention:
    # on a shared machine a slower round measures the neighbours)
    rr, ff = [], []
    for _ in range(repeat):
        t0 = time.process_time()
        series = read_lr_series(d)
        t1 = time.process_time()
        for s in series:
            analyse(s)
        t2 = time.process_time()
        rr.append((t1 - t0) / len(series))
        ff.append((t2 - t1) / len(series))
    read.append(min(rr))
    fit.append(min(ff))
print(json.dumps({"read": read, "fit": fit}))
"""


def per_series(path: Path, repeat: int = 3) -> str:
    """Median CPU ms per series to read a run and to segment + fit its series (the issue 14
    target: the fit median at most 5x the read median), in a fresh process; each the best of
    ``repeat`` rounds."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    got = subprocess.run(
        [sys.executable, "-c", _PER_SERIES, str(path), str(repeat)],
        capture_output=True,
        text=True,
        env=env,
    )
    if got.returncode != 0:
        raise SystemExit(f"per-series timing on {path} failed:\n{got.stderr[-3000:]}")
    t = json.loads(got.stdout.strip().splitlines()[-1])
    r, f = (1000 * float(np.median(t[k])) for k in ("read", "fit"))
    mean = 1000 * float(np.mean(t["fit"]))
    return (
        f"per series (CPU, one process, best of {repeat}): read median {r:.2f} ms, "
        f"segment + fit median {f:.1f} ms"
        f" (mean {mean:.1f} ms): fit / read {f / r:.1f}x (target <= 5x)"
    )


def _row(label: str, n: int, m: dict) -> str:
    ph = m["phases"]
    split = " ".join(
        f"{k} {ph[k]:6.1f}" if k in ph else f"{k}    n/a" for k in ("read", "fit", "diagnose")
    )
    return (
        f"{label:<8} {n:>5} {m['wall']:8.1f} {n / m['wall']:7.2f}  {split}  render {m['render']:5.2f}"
        f"  {m['rss_mb']:7.0f} {m['rss_workers_mb']:8.0f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, nargs="+", default=[10, 100], help="e.g. 10 100 1000")
    ap.add_argument("--points", type=int, default=2000, help="LR points per run")
    ap.add_argument(
        "--backends", default="serial,local,dask", help="comma list of serial,local,dask"
    )
    ap.add_argument("--memory", action="store_true", help="also the image-heavy memory cases")
    ap.add_argument(
        "--per-series",
        action="store_true",
        help="also the median CPU time per series to read and to fit, in one process",
    )
    ap.add_argument("--keep", action="store_true", help="keep the memory cases' temp logdirs")
    args = ap.parse_args()
    backends = [b for b in args.backends.split(",") if b]
    head = f"{'backend':<8} {'runs':>5} {'wall s':>8} {'runs/s':>7}  cpu seconds by phase (sum)                 {'':>12}  rss MB  workers"
    for n in args.runs:
        path = build(n, args.points)
        print(
            f"\n{n} runs x {args.points} LR points + 4 scalars ({_size(path)}), {os.cpu_count()} cores"
        )
        print(head)
        for b in backends:
            print(_row(b, n, measure(path, b)), flush=True)
        if args.per_series:
            print(per_series(path), flush=True)
    if args.memory:
        tmp = Path(tempfile.mkdtemp(prefix="lraudit_mem_"))
        cases = [
            ("images 90%+", build_images(tmp / "images", 10, 512 * 1024, 50)),
            ("1 GB file", build_images(tmp / "onegb", 1, 1024 * 1024, 1000)),
        ]
        print("\nmemory (serial audit)")
        for label, path in cases:
            m = measure(path, "serial")
            print(
                f"{label:<12} {_size(path):>10}  wall {m['wall']:6.1f} s  peak RSS {m['rss_mb']:6.0f} MB",
                flush=True,
            )
        if not args.keep:
            import shutil

            shutil.rmtree(tmp)


def _size(path: Path) -> str:
    total = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return f"{total / 2**20:,.0f} MB"


if __name__ == "__main__":
    main()
