"""Render an lraudit HTML report in headless Chromium and check that it shows the table and plots.

Usage::

    python scripts/check_html.py REPORT.html [--screenshot OUT.png]
    python scripts/check_html.py --demo [--screenshot OUT.png]   # audit fixtures/demo first

Three checks: (1) Chromium's serialised DOM (``--dump-dom``) after the page's script ran holds
the runs table, one drawn chart per row (an ``<svg>`` with the logged points as circles) and,
when plots are embedded, PNG images that decode; (2) interaction: the page opened at
``#zoom=0:X0:X1`` (the same zoom the mouse wheel applies) shows chart 0 with that visible
range (``data-xmin``/``data-xmax``) and fewer points than the full view; (3) a screenshot is
taken and its pixels are examined with matplotlib's PNG reader: the page must not be blank and
the charts must add colour. Exit 0 when all pass, 1 when a check fails, 2 when Chromium is not
installed. Look at the screenshot yourself too.
"""

from __future__ import annotations

import argparse
import base64
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def run_chromium(chromium: str, args: list[str], profile: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [chromium, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _charts(dom: str) -> list[tuple[int, int, int]]:
    """(xmin, xmax, circles) of every drawn chart in a serialised DOM."""
    out = []
    for m in re.finditer(r'<div class="chart"[^>]*>(.*?)</svg>', dom, re.S):
        head = m.group(0)[: m.group(0).index(">")]
        xmin = re.search(r'data-xmin="(-?\d+)"', head)
        xmax = re.search(r'data-xmax="(-?\d+)"', head)
        if xmin and xmax:
            out.append((int(xmin.group(1)), int(xmax.group(1)), m.group(1).count("<circle")))
    return out


def check_zoom(chromium: str, url: str, profile: str) -> list[str]:
    """Open chart 0 zoomed to the middle third of its range; the visible range must follow."""
    full = run_chromium(chromium, ["--dump-dom", url], profile)
    charts = _charts(full.stdout)
    if not charts:
        return ["no chart was drawn (does the page's script run?)"]
    x0, x1, n_full = charts[0]
    a, b = x0 + (x1 - x0) // 3, x0 + 2 * (x1 - x0) // 3
    zoomed = _charts(
        run_chromium(chromium, ["--dump-dom", f"{url}#zoom=0:{a}:{b}"], profile).stdout
    )
    if not zoomed or (zoomed[0][0], zoomed[0][1]) != (a, b):
        return [f"zoom to {a}..{b} did not change the visible range: {zoomed[:1]}"]
    if zoomed[0][2] > n_full:
        return ["the zoomed chart shows more points than the full one"]
    print(f"zoom: chart 0 range {x0}..{x1} ({n_full} points drawn) -> {a}..{b} ({zoomed[0][2]})")
    return []


def check(html: Path, screenshot: Path) -> list[str]:
    """The list of problems found (empty when the page renders as expected)."""
    chromium = find_chromium()
    if chromium is None:
        raise FileNotFoundError("chromium not found (apt-get install -y chromium)")
    problems: list[str] = []
    url = html.resolve().as_uri()
    with tempfile.TemporaryDirectory() as profile:
        dom = run_chromium(chromium, ["--dump-dom", url], profile)
        if dom.returncode != 0 or "<table" not in dom.stdout:
            problems.append(f"--dump-dom failed or has no table (rc {dom.returncode})")
        rows = len(re.findall(r'<tr id="run-', dom.stdout))
        charts = _charts(dom.stdout)
        images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', dom.stdout)
        if rows < 1:
            problems.append("the runs table has no row")
        if len(charts) != rows:
            problems.append(f"{len(charts)} chart(s) drawn for {rows} run(s)")
        if any(c[2] == 0 for c in charts):
            problems.append("a chart has no logged point")
        if images and len(images) != rows:
            problems.append(f"{len(images)} plot image(s) for {rows} run(s)")
        for b in images:
            if not base64.b64decode(b).startswith(b"\x89PNG"):
                problems.append("an embedded image is not a PNG")
        if re.search(r'(src|href)="https?://', dom.stdout):
            problems.append("the page loads something from the network")
        problems += check_zoom(chromium, url, profile)
        shot = run_chromium(
            chromium, [f"--screenshot={screenshot}", "--window-size=1200,1800", url], profile
        )
        if shot.returncode != 0 or not screenshot.exists():
            problems.append(f"no screenshot (rc {shot.returncode}): {shot.stderr[-300:]}")
            return problems
    import matplotlib.image as mpimg

    px = mpimg.imread(str(screenshot))[..., :3]
    nonwhite = float((px.min(axis=2) < 0.9).mean())
    colour = float(((px.max(axis=2) - px.min(axis=2)) > 0.25).mean())
    print(
        f"screenshot {screenshot}: {px.shape[1]}x{px.shape[0]}, {rows} row(s), "
        f"{len(charts)} chart(s), {len(images)} image(s), non-white {nonwhite:.1%}, "
        f"coloured {colour:.2%}"
    )
    if nonwhite < 0.01:
        problems.append("the screenshot is blank")
    if colour < 0.001:
        problems.append("no coloured pixels: the charts are not visible")
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("html", nargs="?", help="the report to check")
    ap.add_argument("--demo", action="store_true", help="audit fixtures/demo and check that page")
    ap.add_argument("--screenshot", default=None, help="where to save the screenshot")
    args = ap.parse_args(argv)
    if find_chromium() is None:
        print(
            "check_html: chromium is not installed (apt-get install -y chromium)", file=sys.stderr
        )
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="lraudit-html-"))
    if args.demo:
        repo = Path(__file__).resolve().parents[1]
        sys.path.insert(0, str(repo))  # this checkout's lraudit, not an installed one
        from lraudit.cli import main as lraudit_main

        html = tmp / "demo.html"
        code = lraudit_main(
            [
                "report",
                str(repo / "fixtures/demo/logs"),
                "--config",
                str(repo / "fixtures/demo/pipeline.config"),
                "--format",
                "html",
                "--output",
                str(html),
            ]
        )
        if code != 0:
            return 1
    elif args.html:
        html = Path(args.html)
    else:
        ap.error("give an HTML file or --demo")
    screenshot = Path(args.screenshot) if args.screenshot else tmp / "screenshot.png"
    problems = check(html, screenshot)
    for p in problems:
        print(f"check_html: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
