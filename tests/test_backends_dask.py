"""The Dask backend (``audit(..., dask=...)``, ``--dask``) gives the local report.

A LocalCluster of 2 in-process workers (``processes=False``: starts in ~0.05 s where process
workers take ~3 s on the 2-core development machine) serves the whole module through its
scheduler address, so the ``tcp://`` path is the one tested; the process cluster of
``dask="local"`` is tested once, marked slow.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import lraudit
from lraudit import pipeline
from lraudit.cli import main
from lraudit.report import Options, get_formatter
from lraudit.testing import write_scalars

distributed = pytest.importorskip("distributed")

E2E = Path(__file__).resolve().parent.parent / "fixtures" / "e2e"
CASES = json.loads((E2E / "cases.json").read_text())
#: cases with a config, a world size / steps per epoch, resumes, HF, Keras, MMEngine, Paddle
PICKED = [
    "bug_resume_reset",
    "hf_wsd",
    "d2_refworld_4gpu",
    "mm_autoscale_match",
    "keras_fit_piecewise",
    "u84_bug_continue_as_new_run",
    "paddle_piecewise_warmup",
]


@pytest.fixture(scope="session")
def scheduler() -> Iterator[str]:
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=False,
        dashboard_address=":0",
        silence_logs=logging.ERROR,
    )
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


def _json(report: lraudit.AuditReport) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(get_formatter("json")(report, Options()))
    return data


def _kwargs(args: list[str]) -> dict[str, int]:
    names = {"--steps-per-epoch": "steps_per_epoch", "--world-size": "world_size"}
    return {names[k]: int(v) for k, v in zip(args[::2], args[1::2], strict=True)}


@pytest.mark.parametrize("name", PICKED)
def test_same_json_as_local_on_e2e_case(name: str, scheduler: str) -> None:
    meta = CASES[name]
    logs, cfg = E2E / name / "logs", E2E / name / meta["config"]
    kw = _kwargs(meta.get("args", []))
    local = lraudit.audit(logs, config=cfg, jobs=1, **kw)
    remote = lraudit.audit(logs, config=cfg, dask=scheduler, **kw)
    assert local.runs, name
    assert _json(remote) == _json(local)


def test_same_json_as_local_on_many_runs_with_their_own_configs(scheduler: str) -> None:
    """Several runs of one logdir, each compared with the config found beside it."""
    ticks: list[tuple[int, int, str]] = []
    local = lraudit.audit(E2E, config="auto", run="bug_[d-k]*", jobs=1)
    remote = lraudit.audit(
        E2E, config="auto", run="bug_[d-k]*", dask=scheduler, progress=lambda *t: ticks.append(t)
    )
    runs = {r.run for r in local.runs}
    assert len(runs) >= 4
    assert any(r.config is not None and r.config.found == "beside_run" for r in remote.runs)
    assert _json(remote) == _json(local)
    # progress on the client: one tick per run, ending at done == total
    assert [t[0] for t in ticks] == list(range(1, len(runs) + 1))
    assert ticks[-1][1] == len(runs)
    assert {t[2] for t in ticks} == {f"audit {r}" for r in runs}


def _logdir(root: Path, runs: str = "abc") -> Path:
    steps = np.arange(0, 400)
    for i, r in enumerate(runs):
        write_scalars(root / r, "lr", steps, 0.1 * (0.99 - 0.01 * i) ** steps)
    write_scalars(root / "eval", "loss", steps, 1.0 / (1 + steps))
    return root


def test_run_failing_on_worker_is_reported_and_others_kept(
    tmp_path: Path, scheduler: str, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """A run the workers cannot read (gone after listing, or a path the workers do not
    see) is not audited, with the reason; the other runs are."""
    root = _logdir(tmp_path / "logs")
    listed = pipeline._runs_to_read

    def with_ghost(path: str, run: str | None, min_runs: int = 2) -> list[str] | None:
        got = listed(path, run, min_runs)
        return None if got is None else [*got, "ghost"]

    monkeypatch.setattr(pipeline, "_runs_to_read", with_ghost)
    rep = lraudit.audit(root, dask=scheduler)
    assert [r.run for r in rep.runs] == ["a", "b", "c"]
    assert rep.unaudited == (("eval", ("loss",)),)
    ((run, why),) = rep.failed
    assert run == "ghost" and "LogReadError" in why and "ghost" in why
    data = _json(rep)
    assert data["unaudited"][-1] == {"run": "ghost", "tags": [], "reason": why}
    assert main(["report", str(root), "--dask", scheduler, "--format", "text"]) == 0
    out = capsys.readouterr().out
    assert "Not audited, failed in 1 run: ghost (LogReadError" in out


def test_every_run_failing_is_an_error(tmp_path: Path, scheduler: str, monkeypatch, capsys):
    root = _logdir(tmp_path / "logs")
    monkeypatch.setattr(pipeline, "_runs_to_read", lambda *a, **k: ["ghost1", "ghost2"])
    rc = main(["check", str(root), "--dask", scheduler, "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert len(err) == 1 and "no run could be audited; 2 failed, e.g. ghost1" in err[0]


def test_no_lr_tag_anywhere_is_the_readers_error(tmp_path: Path, scheduler: str, capsys):
    steps = np.arange(10)
    for r in "ab":
        write_scalars(tmp_path / r, "loss", steps, 1.0 / (1 + steps))
    rc = main(["check", str(tmp_path), "--dask", scheduler, "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 2 and "loss" in err and "Traceback" not in err


def test_cli_without_distributed_says_how_to_install(tmp_path: Path, monkeypatch, capsys):
    root = _logdir(tmp_path / "logs")
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    rc = main(["report", str(root), "--dask", "local", "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert err == [
        "lraudit: error: --dask needs the distributed package, which is not installed: "
        'pip install "lraudit-tb[dask]"'
    ]


def test_unreachable_scheduler_is_one_line(tmp_path: Path, monkeypatch, capsys):
    from lraudit import backends

    monkeypatch.setattr(backends, "CONNECT_TIMEOUT", "0.5s")
    root = _logdir(tmp_path / "logs")
    rc = main(["report", str(root), "--dask", "tcp://127.0.0.1:9", "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1
    assert "cannot reach the Dask scheduler" in err[0] and "--dask local" in err[0]


def test_bad_address_is_a_usage_line(tmp_path: Path, capsys):
    rc = main(["report", str(_logdir(tmp_path / "logs")), "--dask", " ", "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 2 and "use 'local' or a scheduler address" in err


@pytest.mark.slow
def test_local_process_cluster_same_report(tmp_path: Path) -> None:
    """``dask="local"``: worker processes (the config and results cross process bounds)."""
    root = _logdir(tmp_path / "logs", "abcd")
    cfg = tmp_path / "lr.yaml"
    cfg.write_text(
        "schedule:\n  family: exponential\n  params: {init_lr: 0.1, decay_rate: 0.99, "
        "decay_steps: 1, staircase: false, start_step: 0}\n"
    )
    local = lraudit.audit(root, config=cfg, jobs=1)
    remote = lraudit.audit(root, config=cfg, dask="local", jobs=2)
    assert _json(remote) == _json(local)
    assert any(f.severity.name == "ERROR" for r in remote.runs for f in r.findings)


@pytest.mark.slow
def test_same_json_as_local_on_every_e2e_case(scheduler: str) -> None:
    local = lraudit.audit(E2E, config="auto", jobs=1)
    remote = lraudit.audit(E2E, config="auto", dask=scheduler)
    assert len({r.run for r in remote.runs}) >= 80
    assert _json(remote) == _json(local)
