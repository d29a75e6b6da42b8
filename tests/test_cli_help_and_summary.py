"""Help for every option with examples; one summary line counting run folders and series;
``families`` in plain text (the math kept in the JSON for the docs)."""

from __future__ import annotations

import argparse
import dataclasses
import json

import pytest
from report_samples import SAMPLES

from lraudit.cli import build_parser, main
from lraudit.mathtext import latex_to_text, math_block, rst_to_text
from lraudit.report.text import summary_line


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


@pytest.mark.parametrize("command", ["report", "check", "explain", "families"])
def test_every_option_has_help(command: str) -> None:
    sub = _subparsers(build_parser())[command]
    for action in sub._actions:
        assert action.help and action.help != argparse.SUPPRESS, (command, action.dest)
    assert "examples:" in (sub.epilog or "")


def test_report_help_shows_examples(capsys) -> None:
    assert main(["report", "--help"]) == 0
    out = capsys.readouterr().out
    assert "lraudit report runs/ --config configs/pipeline.config" in out
    for option in ("--steps-per-epoch", "--world-size", "--format", "--config-format", "--fail-on"):
        line = next(x for x in out.splitlines() if x.strip().startswith(option))
        assert len(line.split()) > 2 or option in out  # the option line carries its text


def test_summary_counts_run_folders_and_series() -> None:
    report = SAMPLES["demo"]()
    assert summary_line(report).startswith("2 runs: ")
    extra = dataclasses.replace(report.runs[0], tag="lr/pg2")
    report3 = dataclasses.replace(report, runs=(*report.runs, extra))
    assert summary_line(report3).startswith("2 runs (3 series): ")


def test_families_text_has_no_raw_markup(capsys) -> None:
    assert main(["families"]) == 0
    out = capsys.readouterr().out
    for raw in (".. math::", "\\begin", "\\frac", ":math:", "``"):
        assert raw not in out, raw
    assert "lr(s) = lr_p" in out and "if s_0 ≤ s < s_0 + D" in out
    assert main(["families", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    cosine = next(f for f in data["families"] if f["name"] == "cosine")
    assert "\\begin{cases}" in cosine["formula"]  # the math stays for the docs


def test_latex_rendering() -> None:
    assert latex_to_text(r"\frac{a + b}{2}") == "(a + b)/2"
    assert latex_to_text(r"v_{i+1}") == "v_(i+1)"
    assert latex_to_text(r"\gamma^{s}") == "γ^s"
    assert latex_to_text(r"lr_p \sqrt{\tau / s}") == "lr_p sqrt(τ / s)"
    assert math_block(r"f(s) = \begin{cases} 1 & s < 0 \\ 2 & s \ge 0 \end{cases}") == [
        "f(s) = 1   if s < 0",
        "       2   if s ≥ 0",
    ]
    assert rst_to_text("x :math:`\\pi` ``y``") == "x π y"
