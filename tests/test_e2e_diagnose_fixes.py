"""Real-framework cases (fixtures/e2e): the wording of the diagnosis messages.

``test_e2e_real`` audits every case through the CLI; this module checks the wording of the
piecewise messages (which drops, how late).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import test_e2e_real as e2e


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("bug_wrong_milestones", ["20/40", "30/45", "0.1/0.02/0.004", "0.1/0.01/0.001"]),
        ("bug_paddle_warmup_wrapper", ["every drop is 200 iterations late", "600/750"]),
    ],
)
def test_piecewise_messages_name_the_drops(
    name: str, parts: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    rc, report = e2e._check(name, tmp_path, capsys)
    (f,) = [f for f in report["runs"][0]["findings"] if f["name"] == "decay_mismatch"]
    for p in parts:
        assert p in f["message"]


def test_plateau_drops_by_another_factor_than_configured(tmp_path: Path, capsys) -> None:
    """ReduceLROnPlateau: where the drops fall is not judged, but their factor is."""
    case = e2e.E2E / "torch_plateau_lightning"
    cfg = tmp_path / "config.yaml"
    cfg.write_text((case / "config.yaml").read_text().replace("factor: 0.5", "factor: 0.1"))
    argv = ["check", str(case / "logs"), "--config", str(cfg), "--steps-per-epoch", "20"]
    assert e2e.main([*argv, "--format", "json", "--no-progress"]) == 1
    (run,) = __import__("json").loads(capsys.readouterr().out)["runs"]
    assert [f["name"] for f in run["findings"]] == ["decay_mismatch"]
