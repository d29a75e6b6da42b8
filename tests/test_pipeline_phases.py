"""The phase-timing hook (``run_audit.PHASE_SECONDS``) used by ``benchmarks/bench_scale.py``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import lraudit
from lraudit import pipeline, run_audit
from lraudit.report import Options, get_formatter
from lraudit.testing import write_scalars


def _logdir(root: Path) -> Path:
    steps = np.arange(0, 300)
    for i, r in enumerate("ab"):
        write_scalars(root / r, "lr", steps, 0.1 * (0.99 - 0.01 * i) ** steps)
    return root


def test_phases_are_recorded_only_when_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    root = _logdir(tmp_path)
    assert run_audit.PHASE_SECONDS is None
    plain = lraudit.audit(root, jobs=1)
    monkeypatch.setattr(run_audit, "PHASE_SECONDS", {})
    timed = lraudit.audit(root, jobs=1)
    got = run_audit.PHASE_SECONDS
    assert got is not None and set(got) == {"read", "fit", "diagnose"}
    assert all(v > 0 for v in got.values())
    # timings never reach the report
    as_json = get_formatter("json")
    assert as_json(timed, Options()) == as_json(plain, Options())


def test_audit_run_is_one_run_of_the_local_audit(tmp_path: Path):
    """The per-run work a remote worker does gives the local audit's entries for that run."""
    root = _logdir(tmp_path)
    local = lraudit.audit(root, jobs=1)
    plan = pipeline.ConfigPlan(root)
    out = run_audit.audit_run(str(root), None, "b", plan.for_run("b"))
    assert out.bare is None and set(out.seconds) == {"read", "fit", "diagnose"}
    (mine,) = out.audits
    (theirs,) = [r for r in local.runs if r.run == "b"]
    assert mine.fit is not None and theirs.fit is not None
    assert mine.fit.schedule == theirs.fit.schedule
    assert [f.name for f in mine.findings] == [f.name for f in theirs.findings]
    assert np.array_equal(mine.series.values, theirs.series.values)
