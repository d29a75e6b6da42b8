"""``--format sarif`` validates against the official SARIF 2.1.0 schema (shipped in tests/schemas),
and findings point at the config line that sets what they are about."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from report_samples import SAMPLES

from lraudit.cli import main
from lraudit.report import render
from lraudit.report.locate import attach_lines, config_line
from lraudit.vocab import FINDINGS

SCHEMA = Path(__file__).parent / "schemas" / "sarif-schema-2.1.0.json"
REPO = Path(__file__).resolve().parents[1]


def validate(doc: dict) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    jsonschema.Draft4Validator(schema).validate(doc)


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_sarif_validates_against_the_2_1_0_schema(sample: str) -> None:
    doc = json.loads(render(SAMPLES[sample](), "sarif"))
    validate(doc)
    assert doc["version"] == "2.1.0"
    (run,) = doc["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(c for c, _ in FINDINGS.values())
    assert all(r["help"]["text"] and "How to fix" in r["help"]["markdown"] for r in rules)
    n = sum(len(r.findings) for r in SAMPLES[sample]().runs)
    assert len(run["results"]) == n
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]


def test_schema_rejects_a_broken_log() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    doc = json.loads(render(SAMPLES["demo"](), "sarif"))
    doc["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        validate(doc)


def test_results_point_at_the_config_line(tmp_path: Path) -> None:
    report = SAMPLES["demo"]()
    cfg = tmp_path / "pipeline.config"
    cfg.write_text(
        "train_config {\n  optimizer {\n    cosine_decay_learning_rate {\n"
        "      learning_rate_base: 0.08\n      total_steps: 50000\n"
        "      warmup_steps: 1000\n    }\n  }\n}\n"
    )
    runs = []
    for r in report.runs:
        assert r.intended is not None
        it = dataclasses.replace(
            r.intended,
            source=str(cfg),
            settings={"learning_rate_type": "cosine_decay_learning_rate", "total_steps": 50000},
        )
        runs.append(dataclasses.replace(r, intended=it))
    located = attach_lines(dataclasses.replace(report, runs=tuple(runs)))
    lines = {f.name: f.line for r in located.runs for f in r.findings}
    assert lines == {"horizon_exceeds_run": 5, "constant_lr": 3}
    doc = json.loads(render(located, "sarif"))
    validate(doc)
    regions = [
        res["locations"][0]["physicalLocation"]["region"]["startLine"]
        for res in doc["runs"][0]["results"]
    ]
    assert sorted(regions) == [3, 5]
    github = render(located, "github")
    assert "pipeline.config,line=5,title=lraudit LRA012" in github
    assert "pipeline.config,line=3,title=lraudit LRA003" in github


def test_no_line_is_guessed() -> None:
    assert config_line("a: 1\nb: 2\n", {"a": 1}, "warmup_mismatch") is None
    assert (
        config_line("# warmup_steps: 5\nwarmup_steps: 1\n", {"warmup_steps": 1}, "warmup_mismatch")
        == 2
    )


def test_cli_sarif_on_the_demo(capsys, monkeypatch) -> None:
    monkeypatch.chdir(REPO)
    code = main(
        [
            "report",
            "fixtures/demo/logs",
            "--config",
            "fixtures/demo/pipeline.config",
            "--format",
            "sarif",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    doc = json.loads(out)
    validate(doc)
    results = doc["runs"][0]["results"]
    loc = results[0]["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {
        "uri": "fixtures/demo/pipeline.config",
        "uriBaseId": "%SRCROOT%",
    }
    text = (REPO / "fixtures/demo/pipeline.config").read_text().splitlines()
    for res in results:
        line = res["locations"][0]["physicalLocation"]["region"]["startLine"]
        assert text[line - 1].strip()  # a real line of the config
