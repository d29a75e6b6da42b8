"""Shared test helpers: paths to the repo's fixtures and to ../shared (skipped when absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures"
SHARED = REPO.parent / "shared"

# The text report wraps to ``COLUMNS`` when it is set (lraudit.cli_output.text_width): tests see
# the default width whatever the caller's terminal, and pytest-xdist workers, which run with
# COLUMNS=80 LINES=24, give what a serial run gives. Tests of the width set it themselves.
for _var in ("COLUMNS", "LINES"):
    os.environ.pop(_var, None)


def shared_path(*parts: str) -> Path:
    """A path under ../shared; skips the calling test when it is not there."""
    p = SHARED.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"{p} is not available")
    return p


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """The run cache of ``report``/``check`` goes to a fresh directory per test, never to the
    user's ~/.cache (lraudit.cache reads LRAUDIT_CACHE_DIR)."""
    monkeypatch.setenv("LRAUDIT_CACHE_DIR", str(tmp_path_factory.mktemp("lraudit-cache")))


@pytest.fixture
def real_logs() -> Path:
    return shared_path("real-logs")


@pytest.fixture
def config_examples() -> Path:
    return shared_path("config-examples")
