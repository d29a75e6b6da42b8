"""lraudit.audit end to end: the fixture cases, the real logs, errors, jobs and progress."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import FIXTURES, shared_path

import lraudit
from lraudit.errors import ConfigError, LogReadError, NoEventFilesError, TagNotFoundError
from lraudit.pipeline import audit, comparison_starts
from lraudit.testing import write_scalars
from lraudit.types import AuditReport, IntendedSchedule, LRSeries, Schedule, Severity, Warmup

CASES = FIXTURES / "cases"


def serious(report: AuditReport) -> list[tuple[str, str, str]]:
    """(run, tag, finding) at warning or error."""
    return [
        (r.run, r.tag, f.name)
        for r in report.runs
        for f in r.findings
        if f.severity is not Severity.INFO
    ]


def by_tag(report: AuditReport) -> dict[str, list[str]]:
    return {f"{r.run}:{r.tag}": [f.name for f in r.findings] for r in report.runs}


def case_config(name: str) -> Path | None:
    d = CASES / name
    return next((p for p in sorted(d.iterdir()) if p.suffix in (".config", ".yaml")), None)


# --------------------------------------------------------------------------- fixture cases

#: case -> (audit kwargs, findings of the single series, a fragment each message must hold)
EXPECT: dict[str, tuple[dict, list[str], list[str]]] = {
    "seed_staircase": ({}, ["horizon_exceeds_run"], ["800,720", "(staircase)", "consistent"]),
    "seed_continuous": (
        {},
        ["horizon_exceeds_run"],
        ["changes the LR by 0.64 % over this 100,000-iteration run"],
    ),
    "tf1_constant": ({}, ["constant_lr"], ["-0.64 %", "never advanced"]),
    "torch_match": ({}, [], []),
    "lr_scaled": ({"world_size": 8}, ["lr_scale_mismatch"], ["8x", "world size 8"]),
    "per_iteration": ({}, ["step_unit_mismatch"], ["100x faster", "every iteration instead"]),
    "resume_reset": ({}, ["schedule_reset"], ["step 3,000"]),
    "warmup_missing": ({}, ["warmup_missing"], ["500 iterations"]),
    "staircase": ({}, ["staircase_mismatch"], ["decays continuously"]),
    "decay_rate": ({}, ["decay_mismatch"], ["2x slower", "≈2,000"]),
    "family": ({}, ["family_mismatch"], ["cosine"]),
    "nan": ({}, ["non_finite_lr"], ["step 900"]),
    "constant_noconfig": ({}, ["constant_lr"], ["0.01"]),
}


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_fixture_case(name: str) -> None:
    kwargs, names, fragments = EXPECT[name]
    report = audit(CASES / name / "logs", case_config(name), **kwargs)
    assert len(report.runs) == 1
    (ra,) = report.runs
    assert [f.name for f in ra.findings] == names, [f.message for f in ra.findings]
    for frag in fragments:
        assert any(frag in f.message for f in ra.findings), (frag, [f.message for f in ra.findings])


def test_seed_case_is_not_an_error_and_the_bug_is() -> None:
    ok = audit(CASES / "seed_staircase" / "logs", case_config("seed_staircase"))
    assert ok.worst() is Severity.INFO and ok.intended is not None
    assert ok.config_format == "odapi" and ok.runs[0].status == "ok"
    bug = audit(CASES / "tf1_constant" / "logs", case_config("tf1_constant"))
    assert bug.worst() is Severity.ERROR and bug.runs[0].status == "error"
    assert bug.runs[0].findings[0].code == "LRA003"


# --------------------------------------------------------------------------- real logs


def test_real_tfodcourse_horizon_not_error() -> None:
    root = shared_path("real-logs", "huzaifasharafat__TFODCourse", "Tensorflow", "workspace")
    report = audit(root, root / "models" / "my_ssd_mobnet" / "pipeline.config")
    assert serious(report) == []
    assert sorted(by_tag(report)) == [
        "mobile 320x320:learning_rate",
        "models/my_ssd_mobnet/train:learning_rate",
    ]
    for ra in report.runs:
        (f,) = ra.findings
        assert f.name == "horizon_exceeds_run" and "4 %" in f.message and "50,000" in f.message


def test_real_detectron2_balloon_warmup_exceeds_run() -> None:
    out = shared_path("real-logs", "Kevindic0214__detectron2_training", "output")
    report = audit(out, CASES / "detectron2_balloon" / "config.yaml")
    assert by_tag(report) == {".:lr": ["warmup_exceeds_run"]}
    f = report.runs[0].findings[0]
    assert f.severity is Severity.WARNING and "1,000" in f.message and "(300)" in f.message


def test_real_detectron2_without_config_sees_the_endless_warmup() -> None:
    out = shared_path("real-logs", "Kevindic0214__detectron2_training", "output")
    assert by_tag(audit(out)) == {".:lr": ["warmup_exceeds_run"]}


def test_real_yolov5_exp2_warmup_floor_and_bias_group() -> None:
    exp2 = shared_path("real-logs", "Grafit-Kil__helmet-detection-yolov5", "runs", "train", "exp2")
    report = audit(exp2, exp2 / "hyp.yaml")
    found = by_tag(report)
    assert found[".:x/lr0"] == []  # the bias group warms *down*: no false mismatch
    assert found[".:x/lr1"] == found[".:x/lr2"] == ["warmup_mismatch"]
    f = report.runs[1].findings[0]
    assert f.expected == 3 and f.observed == pytest.approx(12.5, abs=0.05)
    assert "100-iteration floor" in f.message and "≈8 iterations per epoch" in f.message
    assert report.worst() is Severity.WARNING


def test_real_yolov5_exp2_with_steps_per_epoch_reports_the_floor_once() -> None:
    exp2 = shared_path("real-logs", "Grafit-Kil__helmet-detection-yolov5", "runs", "train", "exp2")
    report = audit(exp2, config=exp2 / "opt.yaml", steps_per_epoch=8)
    found = by_tag(report)
    assert found[".:x/lr0"] == []
    assert found[".:x/lr1"] == found[".:x/lr2"] == ["warmup_mismatch"]
    for r in report.runs[1:]:
        (f,) = r.findings
        assert f.severity is Severity.WARNING
        assert (f.expected, f.observed) == (3.0, 12.5)
        assert "12.5 epochs (100 iterations / 8 per epoch)" in f.message
        assert "configured warmup_epochs 3" in f.message and "100-iteration floor" in f.message
        assert "other values" not in f.message and "config gives" not in f.message


def test_real_yolov5_exp_too_short_with_steps_per_epoch() -> None:
    exp = shared_path("real-logs", "Grafit-Kil__helmet-detection-yolov5", "runs", "train", "exp")
    report = audit(exp, config=exp / "opt.yaml", steps_per_epoch=8)
    for tag in ("x/lr1", "x/lr2"):
        assert by_tag(report)[f".:{tag}"] == ["too_few_points", "warmup_exceeds_run"]
    f = report.runs[1].findings[1]
    assert "12.5 epochs (100 iterations / 8 per epoch" in f.message


def test_real_yolov5_exp_too_short() -> None:
    exp = shared_path("real-logs", "Grafit-Kil__helmet-detection-yolov5", "runs", "train", "exp")
    report = audit(exp, exp / "hyp.yaml")
    for tag in ("x/lr1", "x/lr2"):
        assert by_tag(report)[f".:{tag}"] == ["too_few_points", "warmup_exceeds_run"]
    assert report.worst() is Severity.WARNING


def test_real_logs_without_config_have_no_error() -> None:
    yolo = shared_path("real-logs", "Grafit-Kil__helmet-detection-yolov5", "runs", "train")
    report = audit(yolo)
    assert [r.run for r in report.runs] == ["exp"] * 3 + ["exp2"] * 3
    assert report.worst() is Severity.WARNING  # too_few_points on exp only
    assert {name for _, _, name in serious(report)} == {"too_few_points"}


# --------------------------------------------------------------------------- errors


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(LogReadError, match="no such file"):
        audit(tmp_path / "nope")


def test_empty_dir(tmp_path: Path) -> None:
    with pytest.raises(NoEventFilesError):
        audit(tmp_path, jobs=2)


def test_no_lr_tag(tmp_path: Path) -> None:
    write_scalars(tmp_path / "a", "loss", [0, 1, 2], [1.0, 0.5, 0.2])
    write_scalars(tmp_path / "b", "loss", [0, 1, 2], [1.0, 0.5, 0.2])
    for jobs in (1, 2):
        with pytest.raises(TagNotFoundError) as e:
            audit(tmp_path, jobs=jobs)
        assert "loss" in e.value.tags


def test_broken_config_fails_before_reading(tmp_path: Path) -> None:
    bad = tmp_path / "lraudit.yaml"
    bad.write_text("schedule: {family: nope, params: {}}\n")
    with pytest.raises(ConfigError):
        audit(tmp_path / "no-logs-here", bad)


def test_jobs_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="jobs"):
        audit(tmp_path, jobs=0)


# --------------------------------------------------------------------------- jobs & progress


def _multi_run(tmp_path: Path) -> Path:
    x = np.arange(0, 3000, 50)
    write_scalars(tmp_path / "b", "lr", x, 0.1 * 0.5 ** (x / 1000))
    write_scalars(
        tmp_path / "a", ["x/lr0", "x/lr1"], x, [np.full(x.size, 0.1), 0.1 * 0.5 ** (x / 1000)]
    )
    write_scalars(tmp_path / "c", "loss", x, np.ones(x.size))  # no LR: skipped
    write_scalars(tmp_path / "a" / "sub run", "lr", x, 0.1 * 0.9 ** (x / 100))  # nested
    return tmp_path


def test_parallel_equals_serial_and_progress(tmp_path: Path) -> None:
    root = _multi_run(tmp_path)
    calls: list[tuple[int, int, str]] = []
    one = audit(root, jobs=1, progress=lambda d, t, lab: calls.append((d, t, lab)))
    two = audit(root, jobs=2)
    keys = [(r.run, r.tag) for r in one.runs]
    assert keys == [("a", "x/lr0"), ("a", "x/lr1"), ("a/sub run", "lr"), ("b", "lr")]
    assert keys == [(r.run, r.tag) for r in two.runs]
    for r1, r2 in zip(one.runs, two.runs, strict=True):
        assert r1.fit is not None and r2.fit is not None
        assert r1.fit.schedule == r2.fit.schedule
        assert r1.findings == r2.findings
    # the run without an LR tag is not audited, and the report says so with its tags
    assert one.unaudited == two.unaudited == (("c", ("loss",)),)
    assert [c[0] for c in calls] == list(range(1, len(calls) + 1))
    assert calls[-1][0] == calls[-1][1] == 5  # one read + four fits
    assert calls[0][2].startswith("read") and calls[-1][2].startswith("fit")


def test_parallel_progress_counts_runs_and_series(tmp_path: Path) -> None:
    root = _multi_run(tmp_path)
    calls: list[tuple[int, int, str]] = []
    audit(root, jobs=2, progress=lambda d, t, lab: calls.append((d, t, lab)))
    labels = sorted(lab for _, _, lab in calls)
    assert labels == sorted(
        [
            "fit a x/lr0",
            "fit a x/lr1",
            "fit a/sub run lr",
            "fit b lr",
            "read a",
            "read a/sub run",
            "read b",
            "read c",
        ]
    )
    assert calls[-1][0] == calls[-1][1] == 8
    assert [c[0] for c in calls] == list(range(1, 9))
    globbed = audit(root, run="a*", jobs=2)
    assert [(r.run, r.tag) for r in globbed.runs] == [
        ("a", "x/lr0"),
        ("a", "x/lr1"),
        ("a/sub run", "lr"),
    ]


def _counting_pools(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    import lraudit.pipeline as audit_mod

    made: list[int] = []
    real = audit_mod._pool

    def pool(workers: int) -> Any:
        made.append(workers)
        return real(workers)

    monkeypatch.setattr(audit_mod, "_pool", pool)
    monkeypatch.setattr(audit_mod.os, "cpu_count", lambda: 2)
    return made


def test_jobs_none_stays_serial_on_a_small_logdir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = _counting_pools(monkeypatch)
    root = _multi_run(tmp_path)  # 4 runs, 4 series, 240 points: below both thresholds
    auto = audit(root, jobs=None)
    assert made == []
    one = audit(root, jobs=1)
    assert [(r.run, r.tag, r.findings) for r in auto.runs] == [
        (r.run, r.tag, r.findings) for r in one.runs
    ]
    assert [r.fit.schedule for r in auto.runs] == [r.fit.schedule for r in one.runs]
    audit(root, jobs=2)  # an explicit number of jobs is obeyed
    assert made != []


def test_jobs_none_uses_workers_from_enough_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import lraudit.pipeline as audit_mod

    made = _counting_pools(monkeypatch)
    x = np.arange(0, 400, 50)
    for i in range(audit_mod.AUTO_MIN_RUNS):
        write_scalars(tmp_path / f"r{i}", "lr", x, 0.1 * 0.5 ** (x / (100 + 10 * i)))
    auto = audit(tmp_path, jobs=None)
    assert made == [2]
    assert [r.run for r in auto.runs] == [f"r{i}" for i in range(audit_mod.AUTO_MIN_RUNS)]
    one = audit(tmp_path, jobs=1)
    assert [r.findings for r in auto.runs] == [r.findings for r in one.runs]


def test_public_api_delegates(tmp_path: Path) -> None:
    root = _multi_run(tmp_path)
    r = lraudit.audit(root, run="b")
    assert [(x.run, x.tag) for x in r.runs] == [("b", "lr")] and r.config_path is None


# --------------------------------------------------------------------------- comparison tags


def _s(tag: str, y: np.ndarray) -> LRSeries:
    x = np.arange(y.size)
    return LRSeries("r", tag, x, y.astype(np.float64), x.astype(np.float64))


def test_bias_group_is_compared_after_the_sibling_warmup() -> None:
    lin = Schedule(
        "polynomial",
        {"init_lr": 0.01, "end_lr": 1e-4, "decay_steps": 150, "power": 1.0, "start_step": 0},
        Warmup(12.5, 0.0),
    )
    x = np.arange(150)
    w = lin.evaluate(x)
    bias = w.copy()
    bias[:13] = np.linspace(0.0937, w[12], 13)
    it = IntendedSchedule(lin, "hyp.yaml", "yolov5", unit="epoch", log_unit="epoch")
    series = [_s("x/lr0", bias), _s("x/lr1", w)]
    starts = comparison_starts(series, [None, None], it)
    assert set(starts) == {("r", "x/lr0")} and 13 <= starts[("r", "x/lr0")] <= 14.5
    assert comparison_starts(series, [None, None], None) == {}


def test_pool_does_not_fork_while_a_thread_runs() -> None:
    """A progress bar runs a thread: the pool must then not fork (forkserver/spawn instead)."""
    import threading

    from lraudit.pipeline import _pool

    stop = threading.Event()
    t = threading.Thread(target=stop.wait, daemon=True)
    t.start()
    try:
        with _pool(1) as ex:  # no task submitted: no process is started
            assert ex._mp_context.get_start_method() != "fork"
    finally:
        stop.set()
        t.join()


def test_no_process_pool_falls_back_to_serial(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import lraudit.pipeline as mod

    def no_pool(workers: int) -> None:
        raise PermissionError("[Errno 13] sem_open: Permission denied")

    root = _multi_run(tmp_path)
    monkeypatch.setattr(mod, "_pool", no_pool)
    got = audit(root, jobs=2)
    want = audit(root, jobs=1)
    assert [(r.run, r.tag, r.findings) for r in got.runs] == [
        (r.run, r.tag, r.findings) for r in want.runs
    ]
