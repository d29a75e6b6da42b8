"""``lraudit explain CODE|NAME`` and ``explain --list``: every finding is documented, ruff style."""

from __future__ import annotations

import json

import pytest

from lraudit.cli import main
from lraudit.findings_doc import find_doc, finding_docs
from lraudit.vocab import FINDINGS


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_every_finding_of_the_vocabulary_has_all_four_sections() -> None:
    docs = finding_docs()
    assert [d.name for d in docs] == sorted(FINDINGS, key=lambda n: FINDINGS[n][0])
    for d in docs:
        assert d.code == FINDINGS[d.name][0] and d.severity is FINDINGS[d.name][1]
        for part in (d.summary, d.what, d.why, d.fix, d.example):
            assert len(part) > 15, (d.name, part)


def test_the_real_run_findings_are_in_the_vocabulary() -> None:
    for name, code in (
        ("zero_lr", "LRA015"),
        ("unexplained_lr", "LRA016"),
        ("config_mismatch", "LRA017"),
    ):
        doc = find_doc(code)
        assert doc is not None and doc.name == name and FINDINGS[name][0] == code


@pytest.mark.parametrize("key", ["LRA003", "lra003", "constant_lr"])
def test_explain_a_finding_by_code_or_name(capsys, key: str) -> None:
    code, out, err = run(capsys, "explain", key)
    assert code == 0 and err == ""
    assert out.startswith("constant_lr (LRA003)\n")
    for section in ("What it means:", "Why it matters:", "How to fix:", "Example:"):
        assert f"\n{section}\n" in out
    assert "scheduler.step()" in out


def test_explain_a_finding_as_json_and_markdown(capsys) -> None:
    code, out, _ = run(capsys, "explain", "LRA012", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["name"] == "horizon_exceeds_run" and data["severity"] == "info"
    code, out, _ = run(capsys, "explain", "warmup_missing", "--format", "markdown")
    assert out.startswith("## warmup_missing (LRA006)") and "### How to fix" in out


def test_explain_list(capsys) -> None:
    code, out, _ = run(capsys, "explain", "--list")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == len(FINDINGS)
    assert lines[2].split()[:3] == ["LRA003", "error", "constant_lr"]
    code, out, _ = run(capsys, "explain", "--list", "--format", "json")
    assert {d["code"] for d in json.loads(out)} == {c for c, _ in FINDINGS.values()}


def test_unknown_finding_suggests_close_names(capsys) -> None:
    code, out, err = run(capsys, "explain", "constnt_lr")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "did you mean constant_lr" in err
    code, out, err = run(capsys, "explain", "LRA999")
    assert code == 2 and "neither a finding nor a config file" in err


def test_explain_without_target_is_a_usage_error(capsys) -> None:
    code, out, err = run(capsys, "explain")
    assert code == 2 and out == "" and err.startswith("lraudit: error: explain needs")


def test_an_existing_file_is_read_as_a_config(capsys, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "constant_lr").write_text("just: [unbalanced\n")
    code, _, err = run(capsys, "explain", "constant_lr")
    assert code == 2 and "constant_lr" in err and "neither" not in err
