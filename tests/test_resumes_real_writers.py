"""What lraudit concludes on resumed and restarted runs written by the real writers.

The logs in ``fixtures/resumes/`` come from torch 2.13 schedulers (and fvcore's detectron2
schedulers) stepping a real optimizer through a real checkpoint round trip, written by
tensorboardX or torch.utils.tensorboard (``fixtures/resumes/generate.py``; the README there says
what a good tool concludes on each). Every case goes through ``lraudit.cli.main`` as a user
would run it: ``lraudit report LOGDIR --format json``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lraudit.cli import main
from lraudit.fitting.api import POOR_RMSE

ROOT = Path(__file__).resolve().parents[1] / "fixtures" / "resumes"
CASES = sorted(p.name for p in ROOT.iterdir() if (p / "logs").is_dir())

#: float32 rounding of the logged values, with room for the fitter's own tolerance
EXACT_RMSE = 1e-5


def _report(
    case: str, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, dict[str, Any]]:
    rc = main(["report", str(ROOT / case / "logs"), "--format", "json", *extra])
    out = capsys.readouterr().out
    report = json.loads(out)
    assert len(report["runs"]) == 1, [r["run"] for r in report["runs"]]
    return rc, report["runs"][0]


def _segments(run: dict[str, Any]) -> list[tuple[int, int, str, bool]]:
    return [
        (s["first_step"], s["last_step"], s["starts_because"], s["stray"])
        for s in run.get("segments") or []
    ]


def _names(run: dict[str, Any], *severities: str) -> list[tuple[str, int | None]]:
    sev = severities or ("error", "warning", "info")
    return [(f["name"], f["step"]) for f in run["findings"] if f["severity"] in sev]


def _fits(run: dict[str, Any]) -> list[dict[str, Any]]:
    fits = [run["fit"]] if run["fit"] else []
    fits += [s["fit"] for s in run.get("segments") or [] if s["fit"]]
    return fits


def _assert_honest(run: dict[str, Any]) -> None:
    """No fit that misses its curve is shown as a result: each one beyond the fitter's poor
    threshold is marked poor, and the run carries an ``unexplained_lr`` finding and a status
    that is not ok."""
    poor = [f for f in _fits(run) if f["rmse_log"] > POOR_RMSE]
    for f in poor:
        assert f["status"] != "ok", f
    if poor:
        assert "unexplained_lr" in {n for n, _ in _names(run)}, run["findings"]
        assert run["status"] != "ok"


def _rel(a: float, b: float) -> float:
    return abs(a - b) / max(abs(a), abs(b))


def test_fixtures_are_small():
    for case in CASES:
        size = sum(p.stat().st_size for p in (ROOT / case).rglob("*") if p.is_file())
        assert size < 200_000, (case, size)


# ----------------------------------------------------------------------------- torch, tbX


def test_purge_step_resume_with_scheduler_restored_is_one_schedule(capsys):
    _, run = _report("tbx_purge_restored", capsys)
    assert _segments(run) == []
    assert "schedule_reset" not in {n for n, _ in _names(run)}
    assert run["status"] == "ok"
    fit = run["fit"]
    assert fit["family"] == "cosine" and fit["rmse_log"] < EXACT_RMSE
    assert fit["warmup"]["steps"] == pytest.approx(100, abs=1)
    assert _rel(fit["params"]["peak_lr"], 0.1) < 1e-4
    assert _rel(fit["params"]["end_lr"], 1e-4) < 1e-2
    notes = " | ".join(run["notes"])
    assert "replaced 21 point(s)" in notes and "SessionLog START at step 500" in notes


@pytest.mark.parametrize(
    ("case", "purged"),
    [("tbx_purge_fresh_scheduler", True), ("tbx_nopurge_fresh_scheduler", False)],
)
def test_fresh_scheduler_after_resume_is_a_reset_at_the_resume_step(case, purged, capsys):
    _, run = _report(case, capsys)
    assert _segments(run) == [(0, 490, "start", False), (500, 1490, "restart", False)]
    resets = [f for f in run["findings"] if f["name"] == "schedule_reset"]
    assert [(f["step"], f["severity"]) for f in resets] == [(500, "error")]
    assert run["status"] == "error"
    first = run["segments"][0]["fit"]
    assert first["family"] == "cosine" and first["rmse_log"] < EXACT_RMSE
    assert first["warmup"]["steps"] == pytest.approx(100, abs=1)
    notes = " | ".join(run["notes"])
    assert ("SessionLog START at step 500" in notes) == purged
    assert "restart: " in notes and "replaced 21 point(s)" in notes
    _assert_honest(run)


@pytest.mark.parametrize("case", ["tbx_purge_fresh_scheduler", "tbx_nopurge_fresh_scheduler"])
def test_fresh_scheduler_second_segment_is_the_same_schedule_on_its_own_clock(case, capsys):
    _, run = _report(case, capsys)
    second = run["segments"][1]["fit"]
    assert second["rmse_log"] < EXACT_RMSE
    assert second["family"] == "cosine"
    assert "unexplained_lr" not in {n for n, _ in _names(run)}


def test_warmup_replayed_in_a_new_file_is_a_reset(capsys):
    _, run = _report("torch_tb_warmup_replayed", capsys)
    assert _segments(run) == [(0, 790, "start", False), (800, 1490, "restart", False)]
    resets = [f for f in run["findings"] if f["name"] == "schedule_reset"]
    assert [(f["step"], f["severity"]) for f in resets] == [(800, "error")]
    assert run["status"] == "error"
    assert any("continues from step 800" in n for n in run["notes"])
    first = run["segments"][0]["fit"]
    assert first["family"] == "cosine" and first["rmse_log"] < EXACT_RMSE


def test_warmup_replayed_second_segment_is_not_a_poor_fit_shown_as_ok(capsys):
    _, run = _report("torch_tb_warmup_replayed", capsys)
    _assert_honest(run)
    assert run["segments"][1]["fit"]["rmse_log"] < EXACT_RMSE


# ----------------------------------------------------------------------------- detectron2


def test_d2_resume_with_changed_max_iter(capsys):
    _, run = _report("d2_resume_max_iter", capsys)
    assert _segments(run) == [(19, 999, "start", False), (1019, 2999, "restart", False)]
    assert _names(run, "error", "warning") == [("schedule_reset", 1019)]
    (reset,) = [f for f in run["findings"] if f["name"] == "schedule_reset"]
    # the steps kept counting, the horizon changed: said so, not "restarted the schedule"
    assert "another horizon (decay_steps 2,000 before, 3,000 after)" in reset["message"]
    assert "restarted the schedule instead" not in reset["message"]
    assert run["status"] == "error"
    # the config beside the run is the second launch's: compared with the segment it describes
    assert run["config"]["found"] == "beside_run" and run["config"]["format"] == "detectron2"
    assert run["intended"] is not None
    fit = run["fit"]
    second = run["segments"][1]["fit"]
    assert fit == second
    assert fit["family"] == "cosine" and fit["rmse_log"] < EXACT_RMSE
    assert fit["params"]["decay_steps"] == pytest.approx(3000, rel=1e-3)
    assert _rel(fit["params"]["peak_lr"], 0.02) < 1e-4
    assert fit["params"]["end_lr"] == pytest.approx(0, abs=1e-6)
    notes = " | ".join(run["notes"])
    assert "starts at step 1019" in notes and "replaced 6 point(s)" in notes
    _assert_honest(run)


def test_d2_resume_first_segment_follows_the_first_horizon(capsys):
    _, run = _report("d2_resume_max_iter", capsys)
    first = run["segments"][0]["fit"]
    assert first["rmse_log"] < EXACT_RMSE
    assert first["params"]["decay_steps"] == pytest.approx(2000, rel=1e-2)


def test_d2_stray_test_run_is_a_stray_segment(capsys):
    rc, run = _report("d2_stray_test_run", capsys)
    assert rc == 0
    segs = _segments(run)
    assert segs[0] == (9, 9, segs[0][2], True)
    assert segs[1:] == [(19, 999, segs[1][2], False)]
    assert _names(run, "error", "warning") == []
    assert run["status"] == "ok"
    assert run["config"]["found"] == "beside_run"
    fit = run["fit"]
    assert fit["family"] == "piecewise" and fit["rmse_log"] < EXACT_RMSE
    assert fit["params"]["boundaries"] == [700, 900]
    assert fit["warmup"]["steps"] == pytest.approx(100, abs=1)
    assert any("stray" in n and "steps 9-9" in n for n in run["notes"])
    _assert_honest(run)


def test_d2_stray_test_run_passes_check(capsys):
    rc = main(["check", str(ROOT / "d2_stray_test_run" / "logs"), "--fail-on", "warning"])
    capsys.readouterr()
    assert rc == 0


# ----------------------------------------------------------------------------- LR 0


def test_zero_lr_pause_is_one_schedule_with_a_zero_stretch(capsys):
    _, run = _report("zero_lr_pause", capsys)
    assert len(_segments(run)) <= 1
    assert "schedule_reset" not in {n for n, _ in _names(run)}
    zero = [f for f in run["findings"] if f["name"] == "zero_lr"]
    assert [f["step"] for f in zero] == [300]
    assert "300 to 440" in zero[0]["message"]
    # the LR comes back at 450: a pause, not a schedule that ended (issue 10: error)
    assert zero[0]["severity"] == "error" and "comes back to 0.1 at step 450" in zero[0]["message"]
    assert run["status"] == "error"
    fit = run["fit"]
    assert fit["family"] == "piecewise" and fit["rmse_log"] < EXACT_RMSE
    assert {600, 900} <= set(fit["params"]["boundaries"])
    _assert_honest(run)


# ----------------------------------------------------------------------------- the pause rule


def test_pause_rule_on_arrays():
    """A jump up that ends an LR-0 stretch back to at most the level before it is a pause; the
    same jump to a higher level, or after a schedule that decayed gradually to 0, is a new
    training."""
    import numpy as np

    from lraudit.segments import segment_arrays

    x = np.arange(0, 1200, 10)
    staircase = np.where(x < 600, 0.1, np.where(x < 900, 0.01, 0.001))
    paused = np.where((x >= 300) & (x < 450), 0.0, staircase)
    assert [g.first_step for g in segment_arrays(x, paused).segments] == [0]
    # the decay fell inside the pause: the LR comes back lower, still one training
    paused_low = np.where((x >= 500) & (x < 650), 0.0, staircase)
    assert [g.first_step for g in segment_arrays(x, paused_low).segments] == [0]
    # back above the level before the stretch: a new training
    restarted = np.where(x < 450, paused, 0.2)
    assert [g.first_step for g in segment_arrays(x, restarted).segments] == [0, 450]
    # a cosine that reached 0, two points at 0, then a new training at the peak
    cos = np.where(x < 500, 0.05 * (1 + np.cos(np.pi * np.minimum(x, 480) / 480)), 0.1)
    assert [g.first_step for g in segment_arrays(x, cos).segments] == [0, 500]


def test_zero_stretch_to_the_end_is_a_warning_without_a_config(tmp_path):
    """A schedule decayed to 0 for its last points may be meant: a warning, not an error."""
    import numpy as np

    from lraudit.testing import write_scalars

    steps = np.arange(0, 1000, 10)
    lr = np.where(steps < 800, 0.1 * (1 - steps / 800), 0.0).astype(np.float32)
    write_scalars(tmp_path / "run", "lr", steps, lr)
    import lraudit

    rep = lraudit.audit(tmp_path, jobs=1)
    zero = [f for r in rep.runs for f in r.findings if f.name == "zero_lr"]
    assert zero and all(f.severity.value == "warning" for f in zero)
    assert all("comes back" not in f.message for f in zero)
