"""Hostile and odd input at the command line (issue 16, item 3): one line and exit 2, never a
traceback; nothing an input names is overwritten; nothing raw reaches the terminal."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import FIXTURES
from report_samples import SAMPLES

from lraudit import cli
from lraudit.cli import main
from lraudit.cli_output import ascii_safe, usable_cores
from lraudit.testing import write_scalars

REPO = Path(__file__).resolve().parents[1]
DEMO = FIXTURES / "demo"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lraudit: error: "), err
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture
def stub(monkeypatch) -> dict:
    calls: dict = {"n": 0}

    def fake(path, config=None, **kw):
        calls["n"] += 1
        calls["kw"] = kw
        return SAMPLES["demo"]()

    monkeypatch.setattr(cli, "run_audit", fake)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    return calls


@pytest.mark.parametrize("path", ["", "   ", "runs\x00", "ru\x1bns"])
def test_empty_or_odd_paths_are_rejected_before_any_work(capsys, stub, path) -> None:
    code, out, err = run(capsys, "report", path, "--isolated")
    assert code == 2 and out == "" and stub["n"] == 0
    line = one_line(err)
    assert "empty path" in line or "control characters" in line
    assert "\x1b" not in err and "\x00" not in err


def test_empty_config_and_output_are_rejected(capsys, stub) -> None:
    for argv in (["--config", ""], ["--output", ""], ["--plot", " "]):
        code, _, err = run(capsys, "report", "runs", "--isolated", *argv)
        assert code == 2 and argv[0] in one_line(err) and stub["n"] == 0


def test_output_never_overwrites_the_config_or_a_log(capsys, tmp_path) -> None:
    write_scalars(tmp_path / "logs" / "train", "learning_rate", np.arange(0, 50), [0.1] * 50)
    (event,) = list((tmp_path / "logs" / "train").iterdir())
    cfg = tmp_path / "lr.yaml"
    cfg.write_text("family: constant\nparams: {lr: 0.1}\n")
    before = event.read_bytes(), cfg.read_bytes()
    for target in (event, cfg):
        code, out, err = run(
            capsys, "report", str(tmp_path / "logs"), "--config", str(cfg), "-o", str(target)
        )
        assert code == 2 and out == "", err
        assert "choose another file" in one_line(err)
    code, _, err = run(capsys, "explain", str(cfg), "-o", str(cfg))
    assert code == 2 and "is an input" in one_line(err)
    assert (event.read_bytes(), cfg.read_bytes()) == before


def test_output_inside_the_logdir_that_is_not_a_log_is_fine(capsys, stub, tmp_path) -> None:
    (tmp_path / "logs").mkdir()
    target = tmp_path / "logs" / "report.json"
    target.write_text("old")
    code, _, err = run(
        capsys, "report", str(tmp_path / "logs"), "--format", "json", "-o", str(target)
    )
    assert code == 0, err and target.read_text().startswith("{")


def test_jobs_are_capped_at_the_usable_cores(capsys, stub) -> None:
    run(capsys, "report", "runs", "--jobs", "1000", "--format", "json", "--isolated")
    assert stub["kw"]["jobs"] == usable_cores() <= (os.cpu_count() or 1)


def test_control_characters_in_run_names_are_escaped(capsys, tmp_path) -> None:
    name = "exp\x1b[31mred\x07"
    write_scalars(tmp_path / name, "learning_rate", np.arange(0, 60), 0.1 * 0.97 ** np.arange(60))
    for fmt in ("text", "github", "markdown"):
        code, out, err = run(capsys, "report", str(tmp_path), "--format", fmt, "--isolated")
        assert code == 0, err
        assert "\x1b" not in out and "\x07" not in out and "\x1b" not in err
        if fmt != "github":  # github lists findings only, and this run has none
            assert "exp\\x1b[31mred\\x07" in out


def test_unexpected_exceptions_end_in_one_line_and_exit_2(capsys, monkeypatch) -> None:
    def boom(*a, **k):
        raise IndexError("list index out of range")

    monkeypatch.setattr(cli, "run_audit", boom)
    code, out, err = run(capsys, "check", "runs", "--isolated")
    assert code == 2 and out == ""
    assert "internal error (IndexError: list index out of range)" in one_line(err)

    def deep(*a, **k):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(cli, "run_audit", deep)
    code, _, err = run(capsys, "check", "runs", "--isolated")
    assert code == 2 and "nested too deeply" in one_line(err)


def test_ascii_safe_text() -> None:
    assert ascii_safe("0.0267→0.08 × 2 – ok") == "0.0267->0.08 x 2 - ok"
    assert ascii_safe("日本").isascii()


@pytest.mark.slow  # a subprocess per case: the default suite runs it
@pytest.mark.parametrize("command", [["report"], ["check", "--format", "markdown"]])
def test_an_ascii_terminal_gets_ascii_text_not_a_traceback(command) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "COLUMNS")}
    env["PYTHONIOENCODING"] = "ascii"
    argv = [*command, str(DEMO / "logs"), "--config", str(DEMO / "pipeline.config"), "--isolated"]
    proc = subprocess.run(
        [sys.executable, "-m", "lraudit", *argv],
        capture_output=True,
        env=env,
        cwd=REPO,
        check=False,
        timeout=120,
    )
    assert b"Traceback" not in proc.stderr and proc.returncode in (0, 1), proc.stderr
    proc.stdout.decode("ascii")  # pure ASCII
    assert b"->" in proc.stdout


def test_help_is_ascii_safe_too() -> None:
    env = dict(os.environ, PYTHONIOENCODING="ascii")
    proc = subprocess.run(
        [sys.executable, "-m", "lraudit", "report", "--help"],
        capture_output=True,
        env=env,
        check=False,
        timeout=60,
    )
    assert proc.returncode == 0 and b"examples:" in proc.stdout
