"""Shared test helpers: paths to the repo's fixtures and to ../shared (skipped when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures"
SHARED = REPO.parent / "shared"


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
