"""Cost of a ``lraudit watch`` tick and of a cached ``report`` (issue 13.2).

Usage::

    python benchmarks/bench_watch.py                 # 1,000,000-record run, 100-run logdir
    python benchmarks/bench_watch.py --quick         # 200,000 records, 30 runs

1. **Watch tick**: one event file of ``--records`` records (``learning_rate`` as
   ``simple_value``, a cosine schedule in float32, one point per step) is followed by a
   :class:`lraudit.watch.Watcher` (the first tick reads it whole); then ``--new`` (1,000)
   records are appended and one tick is timed: stat, read of the new bytes, framing and CRCs,
   decode, merge into the run's series, the live audit. Compared with a full read of the file
   (:func:`lraudit.read_lr_series`). Median of 7; target: < 2 %.
2. **Cached report**: a logdir of ``--runs`` runs (2,000 points each, a warmup-cosine
   schedule, the loss beside it) audited with :func:`lraudit.audit` (``jobs=1``) and a fresh
   :class:`lraudit.cache.RunCache`: the first report reads and fits every run and fills the
   cache, the second finds every run unchanged (each run's whole audit comes from the cache).
   Also the ``lraudit report`` command end to end (a new process each time, imports included;
   best of 3), in two states: this environment as it is, and with every module's bytecode
   compiled (as an installed package has it). Target: second >= 20x faster.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # this checkout's lraudit, not an installed one

from lraudit.reader.wire import encode_varint  # noqa: E402
from lraudit.testing import frame, write_scalars  # noqa: E402


def _event(step: int, value: float, wall: float, tag: bytes) -> bytes:
    """An Event with one simple_value, encoded by hand (a million protos would take minutes)."""
    val = b"\x0a" + bytes([len(tag)]) + tag + b"\x15" + struct.pack("<f", value)
    summ = b"\x0a" + bytes([len(val)]) + val
    return (
        b"\x09" + struct.pack("<d", wall) + b"\x10" + encode_varint(step) + b"\x2a" + bytes([len(summ)])
        + summ
    )  # fmt: skip


def write_records(path: Path, start: int, n: int, total: int) -> None:
    x = np.arange(start, start + n)
    lr = (0.05 * (1 + np.cos(np.pi * x / total))).astype(np.float32)
    with open(path, "ab") as f:
        if start == 0:
            f.write(frame(b"\x09" + struct.pack("<d", 1.7e9) + b"\x1a\x0dbrain.Event:2"))
        f.write(
            b"".join(
                frame(_event(int(s), float(v), 1.7e9 + s, b"learning_rate"))
                for s, v in zip(x.tolist(), lr.tolist(), strict=True)
            )
        )


def bench_tick(records: int, new: int) -> tuple[float, float]:
    from lraudit import read_lr_series
    from lraudit.watch import Watcher

    d = Path(tempfile.mkdtemp()) / "run"
    d.mkdir()
    path = d / "events.out.tfevents.1700000000.bench.1.0"
    total = records + 8 * new
    write_records(path, 0, records, total)
    full = []
    for _ in range(3):
        t = time.perf_counter()
        (s,) = read_lr_series(d)
        full.append(time.perf_counter() - t)
    w = Watcher(d.parent, None)
    w.tick()  # the whole file, once
    ticks = []
    n = records
    for _ in range(7):
        write_records(path, n, new, total)
        n += new
        t = time.perf_counter()
        w.tick()
        ticks.append(time.perf_counter() - t)
    live = next(iter(w.lives.values()))
    assert live.n_points == n, (live.n_points, n)
    return statistics.median(full), statistics.median(ticks)


def make_logdir(root: Path, runs: int, points: int = 2000) -> None:
    x = np.arange(0, points * 10, 10)
    for i in range(runs):
        peak = 0.01 * (1 + i % 7)
        warm = 500
        lr = np.where(
            x < warm,
            peak * x / warm,
            0.5 * peak * (1 + np.cos(np.pi * (x - warm) / (x[-1] - warm))),
        )
        write_scalars(root / f"exp{i:03d}" / "train", ["lr", "loss"], x, [lr, 1 / (1 + x)])


def _cli(logdir: Path, env: dict[str, str], *extra: str) -> tuple[float, float]:
    """Wall and CPU seconds of one ``lraudit report`` process."""
    t = time.perf_counter()
    c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        [sys.executable, "-m", "lraudit", "report", str(logdir), "--isolated", "-q",
         "--format", "json", "--jobs", "1", *extra],
        check=True, env=env, stdout=subprocess.DEVNULL, cwd=REPO,
    )  # fmt: skip
    wall = time.perf_counter() - t
    c1 = resource.getrusage(resource.RUSAGE_CHILDREN)  # CPU: steadier on a shared machine
    return wall, c1.ru_utime + c1.ru_stime - c0.ru_utime - c0.ru_stime


def bench_report(runs: int, repeat: int = 3) -> dict[str, float]:
    import lraudit
    from lraudit.cache import RunCache

    root = Path(tempfile.mkdtemp())
    logs, cache = root / "logs", root / "cache"
    make_logdir(logs, runs)
    out: dict[str, float] = {}
    for label in ("first", "second"):
        c = RunCache(cache)
        t = time.perf_counter()
        lraudit.audit(logs, jobs=1, cache=c)
        out[label] = time.perf_counter() - t
        want = (runs, 0, 0) if label == "first" else (0, runs, runs)
        assert (c.misses, c.hits, c.audit_hits) == want, (c.misses, c.hits, c.audit_hits)
    # the command, a new process each time, in two states of compiled bytecode:
    # "as run here": this environment as it is (PYTHONDONTWRITEBYTECODE=1 on the development
    # machine: lraudit's modules are compiled at every start; numpy's and SciPy's have their
    # bytecode from pip); "bytecode": every module's bytecode present, as in an installed
    # package (a private PYTHONPYCACHEPREFIX filled by one warm-up run)
    pyc = root / "pyc"
    states = {
        "": dict(os.environ),
        "pyc_": {
            **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
            "PYTHONPYCACHEPREFIX": str(pyc),
        },
    }
    tiny = root / "tiny"
    make_logdir(tiny, 1)
    for state, env in states.items():
        if state:
            _cli(tiny, env, "--no-cache")  # compiles every module the audit imports
        for i in range(repeat):
            env["LRAUDIT_CACHE_DIR"] = str(root / f"cli-cache-{state}{i}")
            for label in ("cli_first", "cli_second"):
                wall, cpu = _cli(logs, env)
                # the best of `repeat`: the least disturbed by the other load on the machine
                out[state + label] = min(out.get(state + label, wall), wall)
                out[state + label + "_cpu"] = min(out.get(state + label + "_cpu", cpu), cpu)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--new", type=int, default=1_000)
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--report-only", action="store_true", help="skip the watch tick")
    a = ap.parse_args()
    if a.quick:
        a.records, a.runs = 200_000, 30
    if not a.report_only:
        full, tick = bench_tick(a.records, a.new)
        print(
            f"watch tick: {a.records:,}-record run + {a.new:,} new records: tick "
            f"{tick * 1e3:.1f} ms, full read {full * 1e3:.0f} ms -> {100 * tick / full:.2f} % "
            "of a full read"
        )
    r = bench_report(a.runs)
    print(
        f"report on {a.runs} unchanged runs (in process, jobs=1): first {r['first']:.2f} s, "
        f"second {r['second']:.3f} s -> {r['first'] / r['second']:.0f}x"
    )
    for state, what in (("", "as run here"), ("pyc_", "with bytecode")):
        k = state + "cli_"
        print(
            f"lraudit report command (new process each, {what}): first {r[k + 'first']:.2f} s, "
            f"second {r[k + 'second']:.2f} s wall -> {r[k + 'first'] / r[k + 'second']:.1f}x; "
            f"CPU {r[k + 'first_cpu']:.2f} s / {r[k + 'second_cpu']:.2f} s -> "
            f"{r[k + 'first_cpu'] / r[k + 'second_cpu']:.1f}x"
        )
    print(f"(PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', 'unset')} here)")


if __name__ == "__main__":
    main()
