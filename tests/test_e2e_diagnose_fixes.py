"""Real-framework cases (fixtures/e2e) that the diagnosis gets right since its fixes.

The same assertions as ``test_e2e_real.test_real_framework_case`` for the cases it does not list
yet: the exit code, the set of warning/error findings (the best answer or an accepted second
best from cases.json), and no "could not compare" info.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import test_e2e_real as e2e

FIXED = [
    "bug_cosine_stepped_per_epoch",
    "bug_hf_warmup_missing",
    "torch_plateau_lightning",
]


@pytest.mark.parametrize("name", FIXED)
def test_fixed_case(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    meta = e2e.CASES[name]
    rc, report = e2e._check(name, tmp_path, capsys)
    assert len(report["runs"]) == 1
    run = report["runs"][0]
    assert run["fit"] is not None and run["intended"] is not None
    found = {f["name"] for f in run["findings"] if f["severity"] in ("warning", "error")}
    infos = {f["name"] for f in run["findings"] if f["severity"] == "info"}
    accepted = [set(meta["expect"])] + [set(a) for a in meta.get("alternatives", [])]
    assert rc == meta["expect_exit"], run["findings"]
    assert found in accepted, run["findings"]
    assert "step_unit_mismatch" not in infos


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("bug_wrong_milestones", ["20/40", "30/45", "0.1/0.02/0.004", "0.1/0.01/0.001"]),
        ("bug_paddle_warmup_wrapper", ["every drop is 200 iterations late", "600/750"]),
    ],
)
def test_piecewise_messages_name_the_drops(
    name: str, parts: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    rc, report = e2e._check(name, tmp_path, capsys)
    (f,) = [f for f in report["runs"][0]["findings"] if f["name"] == "decay_mismatch"]
    for p in parts:
        assert p in f["message"]
