"""The HTML page renders in a real browser: headless Chromium shows the table and the plots.

Skipped when Chromium is not installed (``apt-get install -y chromium``); the same check runs
by hand with ``python scripts/check_html.py --demo --screenshot shot.png``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from conftest import REPO
from report_samples import demo_report

from lraudit.report import render


def _check_html():
    spec = importlib.util.spec_from_file_location("check_html", REPO / "scripts" / "check_html.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.slow
def test_html_renders_in_chromium(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    check_html = _check_html()
    if check_html.find_chromium() is None:
        pytest.skip("chromium is not installed")
    page = tmp_path / "report.html"
    page.write_text(render(demo_report(), "html"), encoding="utf-8")
    problems = check_html.check(page, tmp_path / "shot.png")
    assert problems == []
    assert (tmp_path / "shot.png").stat().st_size > 10_000
