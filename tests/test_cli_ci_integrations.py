"""The GitHub Action (``action.yml``) and the pre-commit hooks (``.pre-commit-hooks.yaml``).

The action's audit step is run here as GitHub would run it (bash, inputs as environment
variables, ``GITHUB_OUTPUT`` / ``GITHUB_STEP_SUMMARY`` files), with ``lraudit`` on PATH being
this checkout."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]


def _action() -> dict:
    return yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))


def test_action_declares_its_inputs_and_outputs() -> None:
    action = _action()
    assert action["runs"]["using"] == "composite"
    assert {"logdir", "config", "fail-on", "formats"} <= set(action["inputs"])
    assert {"exit-code", "sarif"} <= set(action["outputs"])
    for step in action["runs"]["steps"]:
        assert "${{" not in step["run"], "inputs must reach the script as env, not be spliced"


def test_pre_commit_hooks() -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    assert hooks["lraudit"]["entry"] == "lraudit check"
    assert hooks["lraudit"]["language"] == "python" and hooks["lraudit"]["pass_filenames"] is False
    import re

    rx = re.compile(hooks["lraudit"]["files"])
    assert rx.search("pyproject.toml") and rx.search("configs/pipeline.config")
    assert not rx.search("lraudit/cli.py")


def _run_step(tmp_path: Path, **inputs: str) -> tuple[subprocess.CompletedProcess, Path, Path]:
    if shutil.which("bash") is None:
        pytest.skip("bash is not installed")
    (step,) = [s for s in _action()["runs"]["steps"] if s.get("id") == "lraudit"]
    shim = tmp_path / "bin" / "lraudit"
    shim.parent.mkdir()
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m lraudit "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    out_file, summary = tmp_path / "github_output", tmp_path / "step_summary"
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS",)}
    env.update(
        PATH=f"{shim.parent}{os.pathsep}{env['PATH']}",
        PYTHONPATH=str(REPO),
        GITHUB_ACTIONS="true",
        GITHUB_OUTPUT=str(out_file),
        GITHUB_STEP_SUMMARY=str(summary),
        LOGDIR=inputs.get("logdir", ""),
        CONFIG=inputs.get("config", ""),
        FAIL_ON=inputs.get("fail-on", ""),
        FORMATS=inputs.get("formats", "github,markdown"),
        OUT=str(tmp_path / "report"),
        ARGS=inputs.get("args", ""),
    )
    proc = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        check=False,
        timeout=300,
    )
    return proc, out_file, summary


@pytest.mark.slow  # a subprocess per case: the default suite runs it
def test_action_step_on_the_demo(tmp_path: Path) -> None:
    proc, out_file, summary = _run_step(
        tmp_path,
        logdir="fixtures/demo/logs",
        config="fixtures/demo/pipeline.config",
        formats="github,markdown,sarif,junit",
        args="--isolated",
    )
    assert proc.returncode == 1, proc.stderr  # the demo's stuck run fails the gate
    assert "::error file=fixtures/demo/pipeline.config,line=" in proc.stdout
    outputs = dict(line.split("=", 1) for line in out_file.read_text().splitlines())
    assert outputs["exit-code"] == "1"
    sarif = json.loads(Path(outputs["sarif"]).read_text())
    assert sarif["version"] == "2.1.0"
    assert summary.read_text().startswith("## lraudit: ❌ failed")
    assert (tmp_path / "report" / "lraudit.xml").exists()


def test_action_step_rejects_an_unknown_format(tmp_path: Path) -> None:
    proc, _, _ = _run_step(tmp_path, logdir="fixtures/demo/logs", formats="github,yaml")
    assert proc.returncode == 2 and "unknown format 'yaml'" in proc.stdout
