"""Benchmark: lraudit's reader against tbparse and TensorBoard's EventAccumulator.

    python benchmarks/bench_reader.py [--repeats 3] [--runs 20] [--steps 10000] [--only NAME]

Builds once (cached in ``benchmarks/.cache/``) two log dirs of ``runs x steps x 5 tags``
scalar records (default 20 x 10,000 x 5 = 1,000,000, plus one file-version record per file):

* ``simple``: ``simple_value`` events, as torch ``add_scalar`` / tensorboardX / TF1 write them;
* ``tensor``: rank-0 DT_FLOAT tensors in ``float_val`` with ``scalars`` plugin metadata on every
  event, as torch ``add_scalar(new_style=True)`` and ``tensorboard.summary.Writer`` write them.

Each run holds ``train/lr`` (warmup + cosine), ``train/loss``, ``train/grad_norm``,
``train/tokens_per_sec``, ``train/acc``. Readers (each measured in a fresh subprocess, so peak
RSS is per reader; the clock covers the read call only, after imports; median of
``--repeats``):

* ``lraudit_lr``: ``lraudit.read_lr_series(logdir)`` (LR extraction: the 20 ``train/lr`` series);
* ``lraudit_all``: ``lraudit.read_scalars(logdir)`` (every scalar);
* ``tbparse``: ``SummaryReader(logdir).scalars`` (simple) or
  ``SummaryReader(logdir, event_types={"tensors"}).tensors`` (tensor; ``.scalars`` is empty for
  tensor logs);
* ``event_accumulator``: ``EventAccumulator(run_dir, size_guidance={"scalars": 0}).Reload()`` per
  run, then ``Scalars(tag)`` for every tag (tensor logs: ``{"scalars": 0, "tensors": 0}`` and
  ``Tensors(tag)``, since the scalars there are tensors).

Prints records/s, peak RSS and the speed ratios. The machine may be shared: absolute times are
noisy; ratios measured in the same invocation are what to compare.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

CACHE = Path(__file__).resolve().parent / ".cache"
TAGS = ["train/lr", "train/loss", "train/grad_norm", "train/tokens_per_sec", "train/acc"]


def _lr(step: int, total: int) -> float:
    warm = max(total // 20, 1)
    if step < warm:
        return 3e-4 * (step + 1) / warm
    return 1.5e-5 + 0.5 * (3e-4 - 1.5e-5) * (1 + math.cos(math.pi * (step - warm) / (total - warm)))


def build(kind: str, runs: int, steps: int) -> Path:
    """Write (once) the ``kind`` log dir; returns its path."""
    root = CACHE / f"{kind}_{runs}x{steps}x{len(TAGS)}"
    done = root / ".complete"
    if done.exists():
        return root
    import numpy as np
    from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, types_pb2

    from lraudit.testing import frame

    rng = np.random.default_rng(0)
    t_start = time.perf_counter()
    for r in range(runs):
        d = root / f"run{r:02d}"
        d.mkdir(parents=True, exist_ok=True)
        wall = 1.7e9 + r * 1e5
        chunks = [
            frame(event_pb2.Event(wall_time=wall, file_version="brain.Event:2").SerializeToString())
        ]
        meta = summary_pb2.SummaryMetadata()
        meta.plugin_data.plugin_name = "scalars"
        meta.data_class = summary_pb2.DATA_CLASS_SCALAR
        noise = rng.random((steps, len(TAGS)))
        for s in range(steps):
            vals = [_lr(s, steps), 2.0 / (1 + s / 500), 1 + noise[s, 2], 5e4 * noise[s, 3], 0.9]
            for j, tag in enumerate(TAGS):
                ev = event_pb2.Event(wall_time=wall + s * 0.01 + j * 1e-4, step=s)
                v = ev.summary.value.add(tag=tag)
                if kind == "simple":
                    v.simple_value = vals[j]
                else:
                    v.metadata.CopyFrom(meta)
                    v.tensor.CopyFrom(
                        tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, float_val=[vals[j]])
                    )
                chunks.append(frame(ev.SerializeToString()))
        (d / f"events.out.tfevents.{int(wall)}.bench.{r}.0").write_bytes(b"".join(chunks))
    done.write_text(json.dumps({"runs": runs, "steps": steps, "tags": TAGS}))
    print(f"built {root} in {time.perf_counter() - t_start:.0f} s", file=sys.stderr)
    return root


# Code each subprocess runs: imports first (not timed), then the timed read.
_READERS = {
    "lraudit_lr": (
        "import lraudit, lraudit.reader, lraudit.reader.columnar, pandas\n"
        "from tensorboard.compat.proto import event_pb2\n",
        "out = lraudit.read_lr_series(LOGDIR)\nn = sum(len(s) for s in out)\n",
    ),
    "lraudit_all": (
        "import lraudit, lraudit.reader, lraudit.reader.columnar, pandas\n"
        "from tensorboard.compat.proto import event_pb2\n",
        "out = lraudit.read_scalars(LOGDIR)\nn = sum(len(s) for s in out)\n",
    ),
    "tbparse": (
        "from tbparse import SummaryReader\n",
        "if KIND == 'simple':\n"
        "    df = SummaryReader(LOGDIR).scalars\n"
        "else:\n"
        "    df = SummaryReader(LOGDIR, event_types={'tensors'}).tensors\n"
        "n = len(df)\n",
    ),
    "event_accumulator": (
        "import os\n"
        "from tensorboard.backend.event_processing.event_accumulator import EventAccumulator\n"
        "from tensorboard.util import tensor_util\n",
        "n = 0\n"
        "for run in sorted(os.listdir(LOGDIR)):\n"
        "    d = os.path.join(LOGDIR, run)\n"
        "    if not os.path.isdir(d):\n"
        "        continue\n"
        "    if KIND == 'simple':\n"
        "        ea = EventAccumulator(d, size_guidance={'scalars': 0})\n"
        "        ea.Reload()\n"
        "        for tag in ea.Tags()['scalars']:\n"
        "            n += len([(e.step, e.value) for e in ea.Scalars(tag)])\n"
        "    else:\n"
        "        ea = EventAccumulator(d, size_guidance={'scalars': 0, 'tensors': 0})\n"
        "        ea.Reload()\n"
        "        for tag in ea.Tags()['tensors']:\n"
        "            n += len([tensor_util.make_ndarray(e.tensor_proto).item()\n"
        "                      for e in ea.Tensors(tag)])\n",
    ),
}


def run_one(name: str, kind: str, logdir: Path) -> dict[str, float]:
    """Run one reader once in a fresh interpreter; returns seconds, peak RSS (MB), points."""
    setup, body = _READERS[name]
    code = (
        "import json, resource, sys, time, warnings\n"
        "warnings.simplefilter('ignore')\n"
        f"LOGDIR = {str(logdir)!r}\nKIND = {kind!r}\n"
        + setup
        + "t0 = time.perf_counter()\n"
        + body
        + "dt = time.perf_counter() - t0\n"
        "rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "print(json.dumps({'seconds': dt, 'rss_mb': rss, 'points': n}))\n"
    )
    env = dict(os.environ, PYTHONWARNINGS="ignore", TF_CPP_MIN_LOG_LEVEL="3")
    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    if res.returncode != 0:
        raise RuntimeError(f"{name} on {kind} failed:\n{res.stderr[-2000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--steps", type=int, default=10_000)
    ap.add_argument("--only", action="append", choices=sorted(_READERS), default=None)
    ap.add_argument("--kind", action="append", choices=["simple", "tensor"], default=None)
    args = ap.parse_args(argv)
    readers = args.only or list(_READERS)
    kinds = args.kind or ["simple", "tensor"]
    n_records = args.runs * args.steps * len(TAGS)
    results: dict[tuple[str, str], list[dict[str, float]]] = {}
    for kind in kinds:
        logdir = build(kind, args.runs, args.steps)
        size = sum(p.stat().st_size for p in logdir.rglob("*tfevents*"))
        print(
            f"\n{kind}: {logdir} — {args.runs} runs, {n_records:,} scalar records, "
            f"{size / 1e6:.1f} MB",
            flush=True,
        )
        # interleave the readers so that machine load affects them alike
        for rep in range(args.repeats):
            for name in readers:
                r = run_one(name, kind, logdir)
                results.setdefault((kind, name), []).append(r)
                print(
                    f"  [{rep + 1}/{args.repeats}] {name:18s} {r['seconds']:8.3f} s  "
                    f"{r['rss_mb']:7.1f} MB  {int(r['points']):,} points",
                    flush=True,
                )
    print("\nsummary (median of", args.repeats, "runs; records = all scalar records in the dir)")
    print(f"{'logdir':7s} {'reader':18s} {'median s':>9s} {'records/s':>12s} {'peak RSS MB':>12s}")
    summary: dict[str, dict[str, dict[str, float]]] = {}
    for (kind, name), rs in results.items():
        med = statistics.median(r["seconds"] for r in rs)
        rss = max(r["rss_mb"] for r in rs)
        summary.setdefault(kind, {})[name] = {"median_s": med, "rss_mb": rss}
        print(f"{kind:7s} {name:18s} {med:9.3f} {n_records / med:12,.0f} {rss:12.1f}")
    print("\nratios (reader time / lraudit time, same invocation)")
    for kind, by in summary.items():
        for ours in ("lraudit_lr", "lraudit_all"):
            if ours not in by:
                continue
            for other in ("tbparse", "event_accumulator"):
                if other in by:
                    ratio = by[other]["median_s"] / by[ours]["median_s"]
                    print(f"{kind:7s} {other} / {ours}: {ratio:6.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
