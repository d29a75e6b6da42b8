"""Formatter tests: golden files for every format, schema validation, JUnit/HTML structure.

Regenerate the golden files after an intended change with ``LRAUDIT_REGEN_GOLDEN=1 pytest
tests/test_report.py`` and review the diff.
"""

from __future__ import annotations

import base64
import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from report_samples import SAMPLES

from lraudit.report import FORMATS, Options, get_formatter, render, resolve_format
from lraudit.report.data import load_schema, to_data
from lraudit.report.github import escape_data, escape_property

GOLDEN = Path(__file__).parent / "golden" / "report"
REGEN = os.environ.get("LRAUDIT_REGEN_GOLDEN") == "1"
EXT = {
    "text": "txt",
    "json": "json",
    "markdown": "md",
    "junit": "xml",
    "github": "txt",
    "html": "html",
}


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if REGEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing golden {path}; run with LRAUDIT_REGEN_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"


@pytest.mark.parametrize("sample", sorted(SAMPLES))
@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "junit", "github", "html"])
def test_golden(sample: str, fmt: str) -> None:
    report = SAMPLES[sample]()
    # Plots are tested separately: PNG bytes depend on the matplotlib version.
    text = get_formatter(fmt)(report, Options(embed_plots=False))
    check_golden(f"{sample}.{fmt}.{EXT[fmt]}", text)
    assert text == get_formatter(fmt)(report, Options(embed_plots=False))  # deterministic


def test_every_format_has_a_formatter() -> None:
    for fmt in FORMATS:
        assert callable(get_formatter(resolve_format(fmt, {})))


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_json_validates_against_shipped_schema(sample: str) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    data = json.loads(render(SAMPLES[sample](), "json"))
    jsonschema.Draft202012Validator(load_schema()).validate(data)


def test_schema_rejects_a_broken_report() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    data = to_data(SAMPLES["demo"]())
    del data["runs"][0]["status"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, load_schema())


def test_json_contract_keys() -> None:
    data = to_data(SAMPLES["demo"]())
    assert list(data)[:6] == ["schema_version", "tool", "path", "config", "runs", "summary"]
    run = data["runs"][0]
    for key in ("run", "tag", "n_points", "first_step", "last_step", "fit", "intended"):
        assert key in run
    assert (run["n_points"], run["first_step"], run["last_step"]) == (50, 100, 5000)
    fit = run["fit"]
    for key in ("family", "params", "warmup", "min_lr", "identified", "rmse_log", "alternatives"):
        assert key in fit
    assert fit["warmup"] == {"steps": 1000, "start_lr": 0.026666, "shape": "linear"}
    assert fit["alternatives"] == [{"family": "polynomial", "delta_bic": 35.1}]
    assert "decay_steps" in fit["unidentified"] and "decay_steps" not in fit["identified"]
    assert run["intended"]["source"] == "fixtures/demo/pipeline.config"
    assert data["summary"]["errors"] == 1 and data["summary"]["runs"] == 2
    assert data["runs"][1]["status"] == "error"


def test_json_is_strict_with_nan_and_missing_fit() -> None:
    text = render(SAMPLES["problems"](), "json")
    data = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-strict JSON {c}"))
    assert data["runs"][0]["fit"]["alternatives"][0]["delta_bic"] is None  # inf -> null
    assert data["runs"][1]["fit"] is None and data["runs"][2]["first_step"] is None
    assert data["config"] is None


def test_junit_failure_vs_error() -> None:
    root = ET.fromstring(render(SAMPLES["problems"](), "junit"))
    cases = root.findall(".//testcase")
    assert len(cases) == 3
    assert cases[0].find("failure") is not None and cases[0].find("error") is None
    assert cases[1].find("error") is not None and cases[2].find("error") is not None
    assert root.get("failures") == "1" and root.get("errors") == "2"
    demo = ET.fromstring(render(SAMPLES["demo"](), "junit"))
    assert [c.find("failure") is not None for c in demo.iter("testcase")] == [False, True]


def test_junit_fail_level_warning_counts_warnings() -> None:
    rep = SAMPLES["problems"]()
    strict = ET.fromstring(get_formatter("junit")(rep, Options(fail_on="warning")))
    assert strict.get("failures") == "1"  # the warning run is an <error> (no fit), not a failure
    clean = ET.fromstring(render(SAMPLES["clean"](), "junit"))
    assert clean.get("failures") == "0" and clean.get("errors") == "0"


def test_github_escaping() -> None:
    assert escape_data("a%b\r\nc") == "a%25b%0D%0Ac"
    assert escape_property("x:y,z%") == "x%3Ay%2Cz%25"
    out = render(SAMPLES["problems"](), "github").splitlines()
    assert all(re.match(r"^::(error|warning|notice) title=[^:]*::", line) for line in out)
    assert len(out) == 5  # one line per finding plus the summary


def test_auto_format() -> None:
    assert resolve_format("auto", {"GITHUB_ACTIONS": "true"}) == "github"
    assert resolve_format("auto", {"GITHUB_ACTIONS": "false"}) == "text"
    assert resolve_format("json", {"GITHUB_ACTIONS": "true"}) == "json"


def test_markdown_table_survives_pipes() -> None:
    md = render(SAMPLES["problems"](), "markdown")
    row = next(line for line in md.splitlines() if line.startswith("| `exp"))
    assert row.count(" | ") == 4  # 5 cells: the pipe in the run name is escaped
    assert "<here>" not in md and "&lt;here&gt;" in md


def test_text_width_is_respected() -> None:
    for width in (80, 120):
        out = get_formatter("text")(SAMPLES["demo"](), Options(width=width))
        assert max(len(line) for line in out.splitlines()) <= width


def test_html_embeds_one_png_per_run() -> None:
    pytest.importorskip("matplotlib")
    page = render(SAMPLES["demo"](), "html")
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 2
    assert all(base64.b64decode(b).startswith(b"\x89PNG\r\n\x1a\n") for b in images)
    assert (
        '<table id="runs">' in page
        and "http" not in page.replace("https://json-schema", "").split("<body>")[1]
    )


def test_plots_are_pngs_for_every_kind_of_run(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from lraudit.report.plot import write_plots

    paths = write_plots(SAMPLES["problems"](), tmp_path)
    # Runs without fit, without series, with NaN values and odd names all get a plot.
    assert [p.name for p in paths] == [
        "exp_1_a_b_train__lr-SGD_pg_1.png",
        "root__learning_rate.png",
        "eval___.png",
    ]
    for p in paths:
        assert p.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_plot_without_matplotlib_says_how_to_install(monkeypatch) -> None:
    import builtins

    from lraudit.errors import LrauditError
    from lraudit.report import plot

    real_import = builtins.__import__

    def no_mpl(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_mpl)
    with pytest.raises(LrauditError, match=r'pip install "lraudit-tb\[plot\]"'):
        plot.render_png(SAMPLES["demo"]().runs[0])


def test_text_colour_only_when_asked() -> None:
    rep = SAMPLES["demo"]()
    plain = get_formatter("text")(rep, Options())
    coloured = get_formatter("text")(rep, Options(color=True))
    assert "\x1b[" not in plain
    assert "\x1b[1;31merror" in coloured and "\x1b[32mok" in coloured
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured).split() == plain.split()


def test_github_annotations_point_at_a_relative_config() -> None:
    out = render(SAMPLES["demo"](), "github").splitlines()
    assert out[1].startswith("::error file=fixtures/demo/pipeline.config,title=lraudit LRA003")
    rep = SAMPLES["demo"]()
    absolute = type(rep)(rep.path, rep.runs, "/abs/pipeline.config", "odapi", rep.intended)
    assert "file=" not in render(absolute, "github")


def test_schema_accepts_new_warmup_shapes() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    from lraudit.types import FitResult, Schedule, Warmup

    rep = SAMPLES["clean"]()
    run = rep.runs[0]
    sched = Schedule("constant", {"lr": 0.01}, warmup=Warmup(3, 0.0, "linear_factor"))
    fit = FitResult(sched, 1e-8)
    r2 = type(run)(run.run, run.tag, run.series, fit, run.intended, ())
    data = to_data(type(rep)(rep.path, (r2,), rep.config_path, rep.config_format, rep.intended))
    jsonschema.validate(data, load_schema())
    assert (
        data["runs"][0]["fit"]["description"] == "warmup 3 (linear_factor 0→0.01) + constant 0.01"
    )
