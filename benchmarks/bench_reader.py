"""Benchmark: lraudit's reader against tbparse and TensorBoard's EventAccumulator.

    python benchmarks/bench_reader.py [--repeats 3] [--runs 20] [--records 1000000]
                                      [--kind KIND ...] [--only READER ...]

Builds once (cached in ``benchmarks/.cache/``) one log dir per layout (:data:`KINDS`), each of
``runs`` runs and about ``--records`` scalar values (plus one file-version record per file):

* ``simple``: ``simple_value`` events, as torch ``add_scalar`` / tensorboardX / TF1 write them;
* ``tensor``: rank-0 DT_FLOAT tensors in ``float_val`` with ``scalars`` plugin metadata on every
  event, as torch ``add_scalar(new_style=True)`` and ``tensorboard.summary.Writer`` write them;
* ``multi_simple`` / ``multi_tensor``: 4 values per event (TF1 ``merge_all``, the OD API,
  tensorboardX ``add_scalars``, Keras);
* ``mixed``: 4 values per event, simple_value and tensor alternating;
* ``many_tags``: 500 tags per run (per-layer statistics), one value per event;
* ``images``: one-value events with a 256 KB image summary every 20 steps (> 90 % of the bytes).

Runs hold ``train/lr`` (warmup + cosine) and other tags (``train/loss``, ...). Readers (each measured in a fresh subprocess, so peak
RSS is per reader; the clock covers the read call only, after imports; median of
``--repeats``):

* ``lraudit_lr``: ``lraudit.read_lr_series(logdir)`` (LR extraction: the 20 ``train/lr`` series);
* ``lraudit_all``: ``lraudit.read_scalars(logdir)`` (every scalar);
* ``tbparse``: ``SummaryReader(logdir, event_types={"scalars"}).scalars``, or ``.tensors`` with
  ``event_types={"tensors"}`` for tensor logs (``.scalars`` is empty there), or both (mixed);
* ``event_accumulator``: ``EventAccumulator(run_dir, size_guidance={"scalars": 0}).Reload()`` per
  run, then ``Scalars(tag)`` for every tag (tensor logs: ``{"scalars": 0, "tensors": 0}`` and
  ``Tensors(tag)``, since the scalars there are tensors); run on ``simple`` and ``tensor`` only.

Prints values/s, peak RSS and each layout's speed ratios against tbparse (and EventAccumulator). The machine may be shared: absolute times are
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


#: kind -> (values per event, tags per run, what the events hold)
KINDS = {
    "simple": (1, 5, "simple_value events, one value each (torch add_scalar, tensorboardX)"),
    "tensor": (1, 5, "rank-0 DT_FLOAT tensors with scalars metadata, one per event (new_style)"),
    "multi_simple": (4, 4, "4 simple_values per event (TF1 merge_all, add_scalars, OD API)"),
    "multi_tensor": (4, 4, "4 scalar tensors per event, metadata on each (Keras, TF2 writers)"),
    "mixed": (4, 4, "4 values per event, 2 simple_value + 2 tensor (TF1 + tf2 summaries mixed)"),
    "many_tags": (1, 500, "500 tags per run, one value per event"),
    "images": (1, 4, "one-value scalar events with a 256 KB image summary every 20 steps"),
}
IMAGE_EVERY, IMAGE_BYTES = 20, 256 * 1024


def _tags(kind: str) -> list[str]:
    ntags = KINDS[kind][1]
    if kind == "many_tags":
        return ["train/lr"] + [f"layer{i:03d}/grad_norm" for i in range(ntags - 1)]
    return TAGS[:ntags]


def build(kind: str, runs: int, records: int) -> Path:
    """Write (once) the ``kind`` log dir of about ``records`` scalar values; returns its path."""
    per_event, ntags, _what = KINDS[kind]
    tags = _tags(kind)
    steps = max(records // (runs * ntags), 1)
    root = CACHE / f"{kind}_{runs}x{steps}x{ntags}"
    done = root / ".complete"
    if done.exists():
        return root
    import numpy as np
    from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, types_pb2

    from lraudit.testing import frame

    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, IMAGE_BYTES, dtype=np.uint8).tobytes()
    t_start = time.perf_counter()
    meta = summary_pb2.SummaryMetadata()
    meta.plugin_data.plugin_name = "scalars"
    meta.data_class = summary_pb2.DATA_CLASS_SCALAR

    def put(ev: event_pb2.Event, tag: str, x: float, tensor: bool) -> None:
        v = ev.summary.value.add(tag=tag)
        if tensor:
            v.metadata.CopyFrom(meta)
            v.tensor.CopyFrom(tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, float_val=[x]))
        else:
            v.simple_value = x

    for r in range(runs):
        d = root / f"run{r:02d}"
        d.mkdir(parents=True, exist_ok=True)
        wall = 1.7e9 + r * 1e5
        chunks = [
            frame(event_pb2.Event(wall_time=wall, file_version="brain.Event:2").SerializeToString())
        ]
        noise = rng.random((steps, ntags))
        for s in range(steps):
            vals = [_lr(s, steps)] + [float(x) for x in noise[s, 1:] * 10 ** (s % 3)]
            for j0 in range(0, ntags, per_event):
                ev = event_pb2.Event(wall_time=wall + s * 0.01 + j0 * 1e-4, step=s)
                for j in range(j0, min(j0 + per_event, ntags)):
                    tensor = kind in ("tensor", "multi_tensor") or (kind == "mixed" and j % 2)
                    put(ev, tags[j], vals[j], bool(tensor))
                chunks.append(frame(ev.SerializeToString()))
            if kind == "images" and s % IMAGE_EVERY == 0:
                ev = event_pb2.Event(wall_time=wall + s * 0.01, step=s)
                img = ev.summary.value.add(tag="samples").image
                img.height, img.width, img.colorspace = 256, 256, 4
                img.encoded_image_string = image
                chunks.append(frame(ev.SerializeToString()))
        (d / f"events.out.tfevents.{int(wall)}.bench.{r}.0").write_bytes(b"".join(chunks))
    done.write_text(json.dumps({"runs": runs, "steps": steps, "tags": tags}))
    print(f"built {root} in {time.perf_counter() - t_start:.0f} s", file=sys.stderr)
    return root


# Code each subprocess runs: imports first (not timed), then the timed read.
_READERS = {
    "lraudit_lr": (
        "import lraudit, lraudit.reader, lraudit.reader.columnar, lraudit.reader.layouts\n",
        "out = lraudit.read_lr_series(LOGDIR)\nn = sum(len(s) for s in out)\n",
    ),
    "lraudit_all": (
        "import lraudit, lraudit.reader, lraudit.reader.columnar, lraudit.reader.layouts\n",
        "out = lraudit.read_scalars(LOGDIR)\nn = sum(len(s) for s in out)\n",
    ),
    "tbparse": (
        "from tbparse import SummaryReader\n",
        "if KIND in ('tensor', 'multi_tensor'):\n"
        "    n = len(SummaryReader(LOGDIR, event_types={'tensors'}).tensors)\n"
        "elif KIND == 'mixed':\n"
        "    rd = SummaryReader(LOGDIR, event_types={'scalars', 'tensors'})\n"
        "    n = len(rd.scalars) + len(rd.tensors)\n"
        "else:\n"
        "    n = len(SummaryReader(LOGDIR, event_types={'scalars'}).scalars)\n",
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
        "    if KIND not in ('tensor', 'multi_tensor'):\n"
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
        "from lraudit.testing import peak_rss_mb\n"
        "rss = peak_rss_mb()\n"
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
    ap.add_argument("--records", type=int, default=1_000_000, help="scalar values per log dir")
    ap.add_argument("--only", action="append", choices=sorted(_READERS), default=None)
    ap.add_argument("--kind", action="append", choices=list(KINDS), default=None)
    args = ap.parse_args(argv)
    kinds = args.kind or list(KINDS)
    results: dict[tuple[str, str], list[dict[str, float]]] = {}
    n_of: dict[str, int] = {}
    for kind in kinds:
        logdir = build(kind, args.runs, args.records)
        meta = json.loads((logdir / ".complete").read_text())
        n_of[kind] = n_records = meta["runs"] * meta["steps"] * len(meta["tags"])
        size = sum(p.stat().st_size for p in logdir.rglob("*tfevents*"))
        print(
            f"\n{kind}: {KINDS[kind][2]}\n  {logdir}: {args.runs} runs, "
            f"{n_records:,} scalar values, {size / 1e6:.1f} MB",
            flush=True,
        )
        readers = args.only or [
            r for r in _READERS if r != "event_accumulator" or kind in ("simple", "tensor")
        ]
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
    print("\nsummary (median of", args.repeats, "runs; values = all scalar values in the dir)")
    print(f"{'logdir':12s} {'reader':18s} {'median s':>9s} {'values/s':>12s} {'peak RSS MB':>12s}")
    summary: dict[str, dict[str, dict[str, float]]] = {}
    for (kind, name), rs in results.items():
        med = statistics.median(r["seconds"] for r in rs)
        rss = max(r["rss_mb"] for r in rs)
        summary.setdefault(kind, {})[name] = {"median_s": med, "rss_mb": rss}
        print(f"{kind:12s} {name:18s} {med:9.3f} {n_of[kind] / med:12,.0f} {rss:12.1f}")
    print("\nratios (other reader's time / lraudit's time, same invocation)")
    for kind, by in summary.items():
        for ours in ("lraudit_lr", "lraudit_all"):
            if ours not in by:
                continue
            for other in ("tbparse", "event_accumulator"):
                if other in by:
                    ratio = by[other]["median_s"] / by[ours]["median_s"]
                    print(f"{kind:12s} {other} / {ours}: {ratio:6.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
