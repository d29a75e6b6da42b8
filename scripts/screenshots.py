"""Regenerate the screenshots in docs/screenshots/ from the demo fixture.

Usage::

    python scripts/screenshots.py

Writes ``report.png`` (the HTML report in headless Chromium), ``chart-zoomed.png`` (the same
page with the first chart zoomed to steps 0-5200, as the mouse wheel would) and one PNG plot
per demo run (``plot-<run>.png``, the ``--plot`` output). Needs matplotlib and Chromium
(``apt-get install -y chromium``); exits 2 when Chromium is missing.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "docs" / "screenshots"


def main() -> int:
    sys.path.insert(0, str(REPO))  # this checkout's lraudit, not an installed one
    sys.path.insert(0, str(REPO / "scripts"))
    from check_html import find_chromium, run_chromium

    from lraudit.cli import main as lraudit_main

    chromium = find_chromium()
    if chromium is None:
        print(
            "screenshots: chromium is not installed (apt-get install -y chromium)", file=sys.stderr
        )
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    demo = REPO / "fixtures" / "demo"
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "report.html"
        plots = Path(tmp) / "plots"
        common = ["report", str(demo / "logs"), "--config", str(demo / "pipeline.config")]
        code = lraudit_main([*common, "--format", "html", "-o", str(page), "--isolated", "-q"])
        code |= lraudit_main(
            [
                *common,
                "--format",
                "json",
                "-o",
                str(Path(tmp) / "r.json"),
                "--plot",
                str(plots),
                "--isolated",
                "-q",
            ]
        )
        if code:
            return 1
        for png in sorted(plots.glob("*.png")):
            shutil.copyfile(png, OUT / f"plot-{png.name.split('__')[0]}.png")
        # the first chart alone, zoomed as the mouse wheel would, for a close-up
        from lraudit import audit
        from lraudit.report.chart import CSS, SCRIPT, chart_html

        first = audit(demo / "logs", config=demo / "pipeline.config").runs[0]
        alone = Path(tmp) / "chart.html"
        alone.write_text(
            f'<!DOCTYPE html><html><head><meta charset="utf-8"><style>{CSS}</style></head>'
            f"<body>{chart_html(first, 0)}<script>{SCRIPT}</script></body></html>",
            encoding="utf-8",
        )
        url = page.resolve().as_uri()
        shots = {
            "report.png": (url, "1200,1500"),
            "chart-zoomed.png": (alone.resolve().as_uri() + "#zoom=0:0:5200", "940,400"),
        }
        for name, (address, size) in shots.items():
            with tempfile.TemporaryDirectory() as profile:
                proc = run_chromium(
                    chromium,
                    [f"--screenshot={OUT / name}", f"--window-size={size}", address],
                    profile,
                )
            if proc.returncode != 0:
                print(
                    f"screenshots: chromium failed on {name}: {proc.stderr[-300:]}", file=sys.stderr
                )
                return 1
    for p in sorted(OUT.iterdir()):
        print(f"wrote {p.relative_to(REPO)} ({p.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
