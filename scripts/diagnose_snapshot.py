"""Snapshot ``lraudit report --format json`` over every fixture and real log, to prove a
behaviour-preserving change (a refactoring of diagnose) is byte-identical.

Usage (from the worktree root, with the venv active)::

    python scripts/diagnose_snapshot.py OUTDIR          # write one file per combination
    python scripts/diagnose_snapshot.py OUTDIR --diff REF  # write, then compare with REF

The reference comes from the commit before the change, in a scratch copy (the script imports
the lraudit of the checkout it lives in, not the installed one)::

    git archive BASE | tar -x -C /tmp/base && cp scripts/diagnose_snapshot.py /tmp/base/scripts/
    python /tmp/base/scripts/diagnose_snapshot.py /tmp/ref

Combinations: every ``fixtures/e2e`` case (``cases.json``: its config and extra arguments, and
its logs without a config), every ``fixtures/cases`` directory with and without its config, and
every run folder of ``../shared/real-logs`` (skipped when absent) with each config that belongs
to it and without one. Each output holds the exit code, stdout and stderr of ``main(argv)``;
the JSON report carries no timings, so the comparison is byte for byte.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
E2E = ROOT / "fixtures" / "e2e"
CASES = ROOT / "fixtures" / "cases"
REAL = ROOT.parent / "shared" / "real-logs"
if not REAL.is_dir():
    REAL = Path("/work/shared/real-logs")
# this checkout's lraudit, not whatever the environment has installed
sys.path.insert(0, str(ROOT))
COMMON = ["--format", "json", "--jobs", "1", "--no-progress", "--isolated"]


def combinations() -> list[tuple[str, list[str]]]:
    """``(name, argv)`` for every combination, in a stable order."""
    out: list[tuple[str, list[str]]] = []
    cases = json.loads((E2E / "cases.json").read_text())
    for name in sorted(cases):
        meta = cases[name]
        logs = E2E / name / "logs"
        args = [str(a) for a in meta.get("args", [])]
        if meta.get("config"):
            out.append(
                (
                    f"e2e.{name}.config",
                    [str(logs), "--config", str(E2E / name / meta["config"]), *args],
                )
            )
        out.append((f"e2e.{name}.noconfig", [str(logs)]))
    for case in sorted(p for p in CASES.iterdir() if p.is_dir()):
        logs = case / "logs"
        cfgs = sorted(
            p
            for p in case.iterdir()
            if p.is_file() and p.suffix in (".yaml", ".yml", ".py", ".config", ".json")
        )
        if logs.is_dir():
            out.append((f"cases.{case.name}.noconfig", [str(logs)]))
            for c in cfgs:
                out.append((f"cases.{case.name}.{c.name}", [str(logs), "--config", str(c)]))
    if REAL.is_dir():
        out += _real()
    return out


def _real() -> list[tuple[str, list[str]]]:
    yolo = REAL / "Grafit-Kil__helmet-detection-yolov5" / "runs" / "train"
    d2 = REAL / "Kevindic0214__detectron2_training" / "output"
    tfod = REAL / "huzaifasharafat__TFODCourse" / "Tensorflow" / "workspace"
    out: list[tuple[str, list[str]]] = []
    if yolo.is_dir():
        out.append(("real.yolo.all.noconfig", [str(yolo)]))
        for exp in ("exp", "exp2"):
            e = yolo / exp
            out.append((f"real.yolo.{exp}.noconfig", [str(e)]))
            for cfg in ("hyp.yaml", "opt.yaml"):
                out.append((f"real.yolo.{exp}.{cfg}", [str(e), "--config", str(e / cfg)]))
                out.append(
                    (
                        f"real.yolo.{exp}.{cfg}.spe8",
                        [str(e), "--config", str(e / cfg), "--steps-per-epoch", "8"],
                    )
                )
    if d2.is_dir():
        out.append(("real.d2.noconfig", [str(d2)]))
        out.append(
            (
                "real.d2.balloon",
                [str(d2), "--config", str(CASES / "detectron2_balloon" / "config.yaml")],
            )
        )
    if tfod.is_dir():
        out.append(("real.tfod.noconfig", [str(tfod)]))
        cfg = tfod / "models" / "my_ssd_mobnet" / "pipeline.config"
        out.append(("real.tfod.pipeline", [str(tfod), "--config", str(cfg)]))
    return out


def _rel(a: str) -> str:
    """Paths inside the checkout relative to it, so that the outputs do not name the worktree."""
    p = Path(a)
    if p.is_absolute() and p.is_relative_to(ROOT):
        return str(p.relative_to(ROOT))
    return a


def run(argv: list[str]) -> str:
    from lraudit.cli import main

    argv = [_rel(a) for a in argv]

    so, se = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(so), contextlib.redirect_stderr(se):
        try:
            rc = main(["report", *argv, *COMMON])
        except SystemExit as e:  # argparse
            rc = e.code if isinstance(e.code, int) else 2
    return f"exit {rc}\n--- stdout\n{so.getvalue()}--- stderr\n{se.getvalue()}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir", type=Path)
    ap.add_argument("--diff", type=Path, help="reference directory to compare with")
    a = ap.parse_args()
    a.outdir = a.outdir.resolve()
    a.diff = a.diff.resolve() if a.diff else None
    os.chdir(ROOT)
    a.outdir.mkdir(parents=True, exist_ok=True)
    combos = combinations()
    for name, argv in combos:
        (a.outdir / f"{name}.txt").write_text(run(argv))
    import lraudit

    print(f"{len(combos)} combinations written to {a.outdir} (lraudit from {lraudit.__file__})")
    if a.diff is None:
        return 0
    differ = [
        n
        for n, _ in combos
        if (a.outdir / f"{n}.txt").read_bytes() != (a.diff / f"{n}.txt").read_bytes()
    ]
    for n in differ:
        print(f"DIFFERS: {n}")
    print(f"{len(combos) - len(differ)} of {len(combos)} identical")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
