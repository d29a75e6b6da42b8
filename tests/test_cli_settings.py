"""``[tool.lraudit]`` in pyproject.toml / lraudit.toml, and the flags CI tools are expected to have:
``--fail-on info``, ``--exit-zero``, ``-q``/``-v``, ``NO_COLOR``/``FORCE_COLOR``, ``COLUMNS``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from report_samples import SAMPLES

from lraudit import cli
from lraudit.cli import main
from lraudit.cli_settings import find_settings, load_settings


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def stub(monkeypatch, tmp_path: Path) -> dict:
    """lraudit.audit replaced by a stub returning SAMPLES[calls['sample']]; cwd = a fresh repo."""
    calls: dict = {"sample": "demo"}

    def fake(path, config=None, **kw):
        calls["path"], calls["config"], calls["kw"] = path, config, kw
        return SAMPLES[calls["sample"]]()

    monkeypatch.setattr(cli, "run_audit", fake)
    for var in ("GITHUB_ACTIONS", "NO_COLOR", "FORCE_COLOR", "COLUMNS"):
        monkeypatch.delenv(var, raising=False)
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return calls


def test_pyproject_settings_are_defaults_and_the_command_line_wins(capsys, stub, tmp_path) -> None:
    (tmp_path / "configs").mkdir()
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.lraudit]\npath = "runs"\nconfig = "configs/p.config"\n'
        'fail-on = "warning"\nformat = "json"\njobs = 1\ntag = "lr"\n'
    )
    sub = tmp_path / "configs"
    code, out, _ = run(capsys, "check")
    assert stub["path"] == "runs" and stub["config"] == "configs/p.config"
    assert stub["kw"]["tag"] == "lr" and stub["kw"]["jobs"] == 1
    assert json.loads(out)["schema_version"] == 1
    stub["sample"] = "problems"
    assert code == 1
    # the command line wins, and settings are found from a subdirectory too
    import os

    os.chdir(sub)
    code, out, err = run(capsys, "check", "other", "--format", "text", "--fail-on", "error")
    assert stub["path"] == "other" and stub["config"] == "p.config"  # relative to the file
    assert out.startswith("lraudit ")


def test_lraudit_toml_wins_over_pyproject(stub, tmp_path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.lraudit]\nfail-on = "warning"\n')
    (tmp_path / "lraudit.toml").write_text('fail_on = "info"\n')
    found = find_settings(tmp_path)
    assert found == tmp_path / "lraudit.toml"
    assert load_settings(found).get("fail_on") == "info"


def test_a_pyproject_without_the_table_is_skipped(tmp_path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text("[tool.lraudit]\njobs = 2\n")
    inner = tmp_path / "pkg"
    inner.mkdir()
    (inner / "pyproject.toml").write_text('[project]\nname = "inner"\n')
    assert find_settings(inner) == tmp_path / "pyproject.toml"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (
            '[tool.lraudit]\nfail_onn = "error"\n',
            ["unknown key 'fail_onn'", "did you mean 'fail-on'"],
        ),
        ('[tool.lraudit]\njobs = "many"\n', ["jobs = 'many'", "whole number"]),
        ('[tool.lraudit]\nformat = "yaml"\n', ["format = 'yaml'", "sarif"]),
        ("[tool.lraudit\n", ["not valid TOML"]),
    ],
)
def test_bad_settings_are_one_line_naming_file_and_key(capsys, stub, tmp_path, body, words) -> None:
    (tmp_path / "pyproject.toml").write_text(body)
    code, out, err = run(capsys, "check", "runs")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "pyproject.toml" in err, err
    for w in words:
        assert w in err, err


def test_isolated_ignores_the_settings(capsys, stub, tmp_path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.lraudit]\nformat = "json"\n')
    _, out, _ = run(capsys, "report", "runs", "--isolated")
    assert out.startswith("lraudit ")


def test_no_path_anywhere_is_a_usage_error(capsys, stub) -> None:
    code, out, err = run(capsys, "check")
    assert code == 2 and out == "" and "give the logdir to audit" in err


def test_fail_on_info_and_exit_zero(capsys, stub) -> None:
    stub["sample"] = "clean"  # findings: one info at most
    code, _, err = run(capsys, "check", "runs", "--fail-on", "info", "--format", "json")
    data = SAMPLES["clean"]()
    has_info = any(f.severity.value == "info" for r in data.runs for f in r.findings)
    assert code == (1 if has_info else 0)
    stub["sample"] = "demo"
    code, _, err = run(capsys, "check", "runs", "--exit-zero", "--format", "json")
    assert code == 0 and "check failed (--fail-on error), --exit-zero" in err


def test_quiet_and_verbose(capsys, stub) -> None:
    code, out, err = run(capsys, "report", "runs", "-q", "--format", "json")
    assert code == 0 and out and err == ""
    code, out, err = run(capsys, "report", "runs", "-v", "--format", "json")
    assert "lraudit: settings: none" in err and "usable cores" in err


def test_color_follows_no_color_and_force_color(capsys, stub, monkeypatch) -> None:
    _, out, _ = run(capsys, "report", "runs", "--format", "text")
    assert "\x1b[" not in out  # piped: no colour
    monkeypatch.setenv("FORCE_COLOR", "1")
    _, out, _ = run(capsys, "report", "runs", "--format", "text")
    assert "\x1b[" in out
    monkeypatch.setenv("NO_COLOR", "1")
    _, out, _ = run(capsys, "report", "runs", "--format", "text")
    assert "\x1b[" not in out


def test_columns_sets_the_width_of_piped_text(capsys, stub, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "160")
    _, wide, _ = run(capsys, "report", "runs", "--format", "text")
    monkeypatch.setenv("COLUMNS", "60")
    _, narrow, _ = run(capsys, "report", "runs", "--format", "text")
    assert max(map(len, wide.splitlines())) > 100 >= max(map(len, narrow.splitlines())) - 0
    assert max(map(len, narrow.splitlines())) <= 60


def test_the_summary_prints_once_on_a_shared_terminal(capsys, stub, monkeypatch) -> None:
    from lraudit import cli_output

    monkeypatch.setattr(cli_output, "isatty", lambda s: True)
    monkeypatch.setattr(cli, "same_terminal", lambda a, b: True)
    code, out, err = run(capsys, "report", "runs", "--format", "text", "--no-progress")
    assert out.rstrip().endswith("2 runs: 1 error, 0 warnings, 1 info")
    assert err == ""  # the report already ended with the summary on this terminal
    code, out, err = run(capsys, "check", "runs", "--format", "text", "--no-progress")
    assert err == "lraudit: check failed (--fail-on error)\n"
    code, out, err = run(capsys, "check", "runs", "--format", "json", "--no-progress")
    assert err.startswith("lraudit: 2 runs: 1 error")  # json has no summary line of its own


def test_write_adds_formats_from_the_same_audit(capsys, stub, tmp_path) -> None:
    code, out, err = run(
        capsys,
        "report",
        "runs",
        "--format",
        "text",
        "--write",
        "sarif=out.sarif",
        "--write",
        "markdown=summary.md",
    )
    assert code == 0 and out.startswith("lraudit ")
    assert json.loads((tmp_path / "out.sarif").read_text())["version"] == "2.1.0"
    assert (tmp_path / "summary.md").read_text().startswith("## lraudit")
    code, _, err = run(capsys, "report", "runs", "--write", "yaml=x")
    assert code == 2 and "--write 'yaml=x'" in err
