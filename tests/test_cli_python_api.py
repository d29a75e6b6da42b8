"""The Python facade (``import lraudit``): real signatures, one ``jobs`` default with the CLI,
plain-data and DataFrame views of a report, long DataFrames of series, short reprs."""

from __future__ import annotations

import inspect
import json

import numpy as np
import pytest
from conftest import FIXTURES

import lraudit
from lraudit import cli
from lraudit.testing import write_scalars

DEMO = FIXTURES / "demo"


@pytest.mark.parametrize("name", ["fit", "audit", "load_config", "read_lr_series", "read_scalars"])
def test_facade_signatures_have_no_var_kwargs(name: str) -> None:
    sig = inspect.signature(getattr(lraudit, name))
    kinds = {p.kind for p in sig.parameters.values()}
    assert (
        inspect.Parameter.VAR_KEYWORD not in kinds and inspect.Parameter.VAR_POSITIONAL not in kinds
    )
    assert getattr(lraudit, name).__doc__


def test_facade_matches_the_implementations() -> None:
    from lraudit.fitting import FIT_BUDGET
    from lraudit.fitting import fit as fit_impl
    from lraudit.pipeline import audit as audit_impl

    assert inspect.signature(lraudit.fit).parameters["budget"].default == FIT_BUDGET
    impl = set(inspect.signature(fit_impl).parameters)
    assert set(inspect.signature(lraudit.fit).parameters) == impl
    facade = set(inspect.signature(lraudit.audit).parameters)
    assert facade == set(inspect.signature(audit_impl).parameters)


def test_one_jobs_default_for_api_and_cli(monkeypatch, capsys) -> None:
    assert inspect.signature(lraudit.audit).parameters["jobs"].default is None
    seen = {}
    monkeypatch.setattr(cli, "run_audit", lambda p, **kw: seen.update(kw) or lraudit.audit(p, **kw))
    cli.main(["report", str(DEMO / "logs"), "--format", "json", "--isolated"])
    capsys.readouterr()
    assert seen["jobs"] is None


def test_report_to_dict_json_and_findings_frame() -> None:
    report = lraudit.audit(DEMO / "logs", config=DEMO / "pipeline.config")
    data = report.to_dict()
    assert data["schema_version"] == 1 and json.loads(report.to_json()) == data
    df = report.findings_frame()
    assert list(df.columns) == ["run", "tag", "name", "code", "severity", "step", "line", "message"]
    assert set(df["name"]) == {"constant_lr", "horizon_exceeds_run"}
    assert df.loc[df["name"] == "constant_lr", "severity"].item() == "error"
    assert df["line"].notna().all()  # the demo config's lines are found


def test_read_lr_series_as_frame_is_long() -> None:
    frame = lraudit.read_lr_series(DEMO / "logs", as_frame=True)
    series = lraudit.read_lr_series(DEMO / "logs")
    assert list(frame.columns) == ["run", "tag", "step", "value", "wall_time"]
    assert len(frame) == sum(len(s) for s in series)
    good = frame[frame["run"] == "good/train"]
    np.testing.assert_array_equal(good["value"].to_numpy(), series[0].values)


def test_reprs_are_short() -> None:
    (s, _) = lraudit.read_lr_series(DEMO / "logs")
    assert len(repr(s)) < 120 and "array" not in repr(s) and "n=50" in repr(s)
    report = lraudit.audit(DEMO / "logs", config=DEMO / "pipeline.config")
    assert len(repr(report)) < 200 and len(repr(report.runs[0])) < 200


def test_read_scalars_names_non_lr_series_neutrally(tmp_path) -> None:
    x = np.arange(20)
    write_scalars(tmp_path / "train", ["loss", "learning_rate"], x, [1 / (x + 1), 0.1 * 0.9**x])
    got = {s.tag: s for s in lraudit.read_scalars(tmp_path)}
    assert (
        type(got["loss"]) is lraudit.ScalarSeries and type(got["learning_rate"]) is lraudit.LRSeries
    )
    assert isinstance(got["loss"], lraudit.LRSeries)  # code written for LRSeries keeps working
    assert repr(got["loss"]).startswith("ScalarSeries(run='train', tag='loss'")
    frame = lraudit.read_scalars(tmp_path, as_frame=True)
    assert set(frame["tag"]) == {"loss", "learning_rate"} and len(frame) == 40
