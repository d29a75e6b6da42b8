"""The HTML page: a heading that reflects warnings, rows linking to their charts, fit details as
a table, self-contained interactive charts (checked in headless Chromium: a zoom changes the
visible range)."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import re
from pathlib import Path

import pytest
from conftest import REPO
from report_samples import SAMPLES, finding

from lraudit.report import Options, render
from lraudit.report.chart import MAX_POINTS, chart_data
from lraudit.report.html import format_html, verdict


def _check_html():
    spec = importlib.util.spec_from_file_location("check_html", REPO / "scripts" / "check_html.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_heading_reflects_warnings() -> None:
    clean = SAMPLES["clean"]()
    assert verdict(clean, "error")[0] in ("passed", "passed with warnings")
    run = dataclasses.replace(
        clean.runs[0], findings=(finding("warmup_mismatch", "warmup ends at 120, not 100"),)
    )
    warned = dataclasses.replace(clean, runs=(run,))
    assert verdict(warned, "error") == ("passed with warnings", "warning")
    assert verdict(warned, "warning") == ("failed", "error")
    page = format_html(warned, Options(embed_plots=False))
    assert '<h1>lraudit: <span class="warning">passed with warnings</span></h1>' in page


def test_rows_link_to_their_charts_and_the_page_is_self_contained() -> None:
    page = format_html(SAMPLES["demo"](), Options(embed_plots=False))
    n = len(SAMPLES["demo"]().runs)
    for i in range(n):
        assert f'<tr id="run-{i}"><td><a href="#plot-{i}"' in page
        assert f'<section id="plot-{i}">' in page and f'id="chart-{i}"' in page
    assert not re.search(r'(src|href)="(https?:)?//', page)  # no network
    assert page.count("<script>") == 1  # one inline script draws every chart


def test_fit_details_are_a_table() -> None:
    page = format_html(SAMPLES["demo"](), Options(embed_plots=False))
    table = page[
        page.index('<table class="fit">') : page.index("</table>", page.index('class="fit"'))
    ]
    assert table.count("<tr>") == 1 + sum(r.fit is not None for r in SAMPLES["demo"]().runs)
    assert "not identified (why)" in table and "end_lr" in table


def test_chart_data_is_plain_and_bounded() -> None:
    run = SAMPLES["demo"]().runs[0]
    data = chart_data(run)
    json.dumps(data, allow_nan=False)
    assert len(data["logged"]) == len(run.series)
    assert data["xrange"][1] >= 50000  # the intended curve to its horizon
    big = dataclasses.replace(
        run.series,
        steps=__import__("numpy").arange(10 * MAX_POINTS),
        values=__import__("numpy").full(10 * MAX_POINTS, 0.1),
        wall_times=__import__("numpy").zeros(10 * MAX_POINTS),
    )
    assert len(chart_data(dataclasses.replace(run, series=big))["logged"]) <= MAX_POINTS


@pytest.mark.slow
@pytest.mark.parametrize("embed", [False, True])
def test_html_is_interactive_in_chromium(tmp_path: Path, embed: bool) -> None:
    check_html = _check_html()
    if check_html.find_chromium() is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    if embed:
        pytest.importorskip("matplotlib")
    page = tmp_path / "report.html"
    page.write_text(render(SAMPLES["demo"](), "html", Options(embed_plots=embed)), encoding="utf-8")
    assert check_html.check(page, tmp_path / "shot.png") == []
