"""The hostile-config campaign of issue 16 as regression tests: every case ends in bounded time
and memory, with one line naming the file (exit 2) or a parsed schedule (exit 0), never a
traceback; no config reads outside its project or runs anything."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
MAX_SECONDS = 10.0
MAX_RSS_MB = 500.0


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict], float]:
    root = tmp_path_factory.mktemp("hostile")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, str(HERE / "campaign.py"), str(root / "cases")],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=root,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    return lines[:-1], lines[-1]["peak_rss_mb"]


def test_every_case_ran(campaign) -> None:
    cases, _ = campaign
    assert len(cases) >= 45


def test_no_traceback_and_one_line(campaign) -> None:
    for c in campaign[0]:
        err = c["stderr"]
        assert "Traceback" not in err, c["name"]
        assert "internal error" not in err, (c["name"], err)
        if c["code"] != 0:
            lines = err.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("lraudit: error: "), (c["name"], err)
            assert Path(c["path"]).name in lines[0], (c["name"], lines[0])


def test_expected_outcomes(campaign) -> None:
    for c in campaign[0]:
        assert c["code"] in (0, 2), c
        if c["expect"] == "error":
            assert c["code"] == 2, (c["name"], c["stderr"])
        elif c["expect"] == "ok":
            assert c["code"] == 0, (c["name"], c["stderr"])


def test_bounded_time(campaign) -> None:
    slow = {c["name"]: round(c["seconds"], 2) for c in campaign[0] if c["seconds"] > MAX_SECONDS}
    assert not slow


def test_bounded_memory(campaign) -> None:
    grew = [(c["name"], round(c["peak_rss_mb"])) for c in campaign[0]]
    assert campaign[1] <= MAX_RSS_MB, grew


def test_includes_never_reach_system_files(campaign) -> None:
    by_name = {c["name"]: c for c in campaign[0]}
    for name in ("include_abs", "include_dotdot", "include_proc"):
        assert "outside the config's project" in by_name[name]["stderr"], by_name[name]


def test_nothing_was_executed(campaign) -> None:
    assert not Path("/tmp/lraudit_pwned").exists()
