"""Text log sources and configs at a URL, against moto's S3 server (as in test_reader_remote):
each gives what its local copy gives, with the URL in place of the local path."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("s3fs")
pytest.importorskip("moto.server")

import test_reader_remote as _remote  # noqa: E402

BUCKET = _remote.BUCKET
endpoint = _remote.endpoint  # the moto server and the s3fs filesystem fixtures, shared
s3 = _remote.s3

import lraudit  # noqa: E402
from lraudit.cli import main  # noqa: E402
from lraudit.configs import load_config  # noqa: E402
from lraudit.errors import ConfigError  # noqa: E402
from lraudit.testing import write_scalars  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "fixtures" / "sources"
MMSEG = ROOT / "fixtures" / "configs" / "mmengine" / "mmseg"


def _put(fs: Any, local: Path, prefix: str) -> str:
    """Upload the folder (or file) ``local`` to ``s3://BUCKET/prefix``; its URL."""
    key = f"{BUCKET}/{prefix}"
    if local.is_dir():
        for p in sorted(local.rglob("*")):
            if p.is_file():
                fs.pipe(f"{key}/{p.relative_to(local).as_posix()}", p.read_bytes())
    else:
        fs.pipe(key, local.read_bytes())
    fs.invalidate_cache()
    return f"s3://{key}"


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main([*argv, "--no-progress"])
    out, err = capsys.readouterr()
    return code, out, err


def _same(remote: list[Any], local: list[Any], url: str, path: Path) -> None:
    assert remote and len(remote) == len(local)
    for r, w in zip(remote, local, strict=True):
        assert (r.run, r.tag, r.source) == (w.run, w.tag, w.source)
        assert r.steps.tolist() == w.steps.tolist()
        assert r.values.tolist() == w.values.tolist()
        assert r.wall_times.tobytes() == w.wall_times.tobytes()
        assert list(r.notes) == [n.replace(str(path), url) for n in w.notes]
        assert list(r.files) == [f.replace(str(path), url) for f in w.files]
        assert all(f.startswith(url) for f in r.files)


@pytest.mark.parametrize(
    "name", ["detectron2", "lightning", "wandb", "mlflow", "wandb/history/history.csv"]
)
def test_text_sources_read_from_s3_as_locally(s3: Any, name: str) -> None:
    local = SRC / name
    url = _put(s3, local, f"src/{name}")
    remote = lraudit.read_scalars(url)
    _same(remote, lraudit.read_scalars(local), url, local)


def test_trainer_state_in_checkpoints_and_csv_export(s3: Any, tmp_path: Path) -> None:
    hist = [{"step": i, "learning_rate": 0.1 / i, "loss": 1.0} for i in range(1, 30)]
    for n, upto in ((10, 10), (20, 20)):
        d = tmp_path / "out" / f"checkpoint-{n}"
        d.mkdir(parents=True)
        (d / "trainer_state.json").write_text(json.dumps({"log_history": hist[:upto]}))
    (tmp_path / "exp" / "run-a-tag-lr.csv").parent.mkdir()
    (tmp_path / "exp" / "run-a-tag-lr.csv").write_text(
        "Wall time,Step,Value\n1.0,1,0.5\n2.0,1e30,0.1\n3.0,3,0.25\n"
    )
    url = _put(s3, tmp_path, "hf")
    _same(lraudit.read_lr_series(url), lraudit.read_lr_series(tmp_path), url, tmp_path)
    (s,) = lraudit.read_lr_series(url + "/out")
    assert len(s) == 20 and s.files == (url + "/out/checkpoint-20/trainer_state.json",)
    (e,) = lraudit.read_lr_series(url + "/exp/run-a-tag-lr.csv")
    assert e.steps.tolist() == [1, 3] and any("1 malformed row" in n for n in e.notes)


def test_event_file_without_lr_falls_back_to_metrics_json_beside_it(
    s3: Any, tmp_path: Path
) -> None:
    run = tmp_path / "output"
    run.mkdir()
    (run / "metrics.json").write_bytes(
        (SRC / "detectron2" / "output" / "metrics.json").read_bytes()
    )
    write_scalars(run, "loss", [0, 1], [2.0, 1.0])
    url = _put(s3, tmp_path, "beside")
    remote = lraudit.read_lr_series(url)
    _same(remote, lraudit.read_lr_series(tmp_path), url, tmp_path)
    assert remote[0].source == "detectron2_json" and "read from metrics.json" in remote[0].notes[0]


def test_bad_remote_source_is_one_line_naming_the_url(
    s3: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "trainer_state.json").write_text('{"log_history": 5}')
    url = _put(s3, tmp_path / "trainer_state.json", "bad/trainer_state.json")
    code, out, err = _cli(capsys, "report", url, "--no-config")
    assert code == 2 and not out and err.count("\n") == 1
    assert f"{url}: not a readable trainer_state.json" in err and "lraudit-remote-" not in err
    # the size budget: refused from the object's size, naming the URL
    big = _put(s3, SRC / "lightning", "big")
    monkeypatch.setenv("LRAUDIT_MAX_SOURCE_BYTES", "100")
    code, out, err = _cli(capsys, "report", big, "--no-config")
    assert code == 2 and err.count("\n") == 1 and "lraudit-remote-" not in err
    assert f"{big}/lightning_logs/version_0/metrics.csv" in err and "budget" in err


def _json_without_paths(out: str, *roots: str) -> str:
    doc = json.loads(out)
    doc["path"] = "ROOT"
    text = json.dumps(doc, sort_keys=True)
    for r in roots:
        text = text.replace(r, "ROOT")
    return text


@pytest.mark.parametrize("name", ["detectron2", "lightning"])
def test_config_beside_a_remote_run_gives_the_local_json(
    s3: Any, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    local = SRC / name
    url = _put(s3, local, f"auto/{name}")
    code, out, err = _cli(capsys, "check", url, "--format", "json")
    lcode, lout, _ = _cli(capsys, "check", str(local), "--format", "json")
    assert code == lcode and code in (0, 1), err
    runs = json.loads(out)["runs"]
    assert {r["config"]["found"] for r in runs} == {"beside_run"}
    assert all(r["config"]["path"].startswith(url + "/") for r in runs)
    assert _json_without_paths(out, url) == _json_without_paths(lout, str(local))


def test_config_given_as_an_url(s3: Any, capsys: pytest.CaptureFixture[str]) -> None:
    local = SRC / "lightning"
    cfg = local / "lightning_logs" / "version_0" / "config.yaml"
    cfg_url = _put(s3, cfg, "given/cfg.yaml")
    argv = ("--tag", "lr-SGD/pg1", "--steps-per-epoch", "5", "--format", "json")
    code, out, err = _cli(capsys, "check", str(local), "--config", cfg_url, *argv)
    lcode, lout, _ = _cli(capsys, "check", str(local), "--config", str(cfg), *argv)
    assert code == lcode == 0, err
    doc = json.loads(out)
    assert doc["config"]["path"] == cfg_url and doc["runs"][0]["config"]["path"] == cfg_url
    assert _json_without_paths(out, cfg_url) == _json_without_paths(lout, str(cfg))


def test_missing_config_url_is_one_line(s3: Any, capsys: pytest.CaptureFixture[str]) -> None:
    for url in (f"s3://{BUCKET}/no/such.yaml", "s3://no-such-bucket-cfg/x.yaml"):
        code, out, err = _cli(capsys, "report", str(SRC / "lightning"), "--config", url)
        assert code == 2 and not out and err.count("\n") == 1, err
        assert url in err and "not found" in err and "Traceback" not in err


def test_remote_config_with_includes_equals_local(s3: Any) -> None:
    url = _put(s3, MMSEG, "inc/configs/mmseg")
    child = "deeplab/deeplabv3_warmup_80k.py"
    remote = load_config(f"{url}/{child}")
    local = load_config(MMSEG / child)
    assert remote.schedule == local.schedule and remote.horizon == local.horizon
    assert remote.source == f"{url}/{child}"
    assert [a.replace(str(MMSEG), url) for a in local.assumptions] == list(remote.assumptions)


@pytest.mark.parametrize("absolute", [True, False])
def test_remote_config_cannot_include_a_local_file(s3: Any, tmp_path: Path, absolute: bool) -> None:
    secret = tmp_path / "secret.py"
    secret.write_text("param_scheduler = [dict(type='ConstantLR', factor=1.0)]\n")
    ref = str(secret) if absolute else "../" * 12 + str(secret).lstrip("/")
    text = (MMSEG / "deeplab" / "deeplabv3_warmup_80k.py").read_text()
    s3.pipe(f"{BUCKET}/esc/a/b/c.py", text.replace("../_base_/default_runtime.py", ref).encode())
    s3.invalidate_cache()
    with pytest.raises(ConfigError) as e:
        load_config(f"s3://{BUCKET}/esc/a/b/c.py")
    msg = str(e.value)
    assert msg.startswith(f"s3://{BUCKET}/esc/a/b/c.py: _base_")
    assert f"outside the config's project s3://{BUCKET}/esc;" in msg
    assert "lraudit-remote-" not in msg


def test_missing_bucket_through_the_pipeline_check(s3: Any) -> None:
    with pytest.raises(lraudit.errors.LogReadError) as e:
        lraudit.audit("s3://no-such-bucket-pipe/logs")
    assert str(e.value) == (
        "s3://no-such-bucket-pipe/logs: no such file or directory (or no such bucket)"
    )


_JOBS = """
import json, sys
import lraudit
seen = []
rep = lraudit.audit(sys.argv[1], jobs=2, progress=lambda d, t, label: seen.append(label))
runs = [(r.run, r.tag, r.fit.schedule.family if r.fit else None, r.series.values.tolist(),
         [f.name for f in r.findings]) for r in rep.runs]
print(json.dumps({"reads": sorted(x for x in seen if x.startswith("read ")), "runs": runs}))
"""


@pytest.mark.slow  # two audits of 9 series, one of them in worker processes
def test_jobs_2_reads_each_remote_run_on_its_own(s3: Any) -> None:
    import os
    import subprocess
    import sys

    from lraudit.pipeline import _runs_to_read

    url = f"s3://{BUCKET}/ultra"
    local = _remote.PROJECT
    names = _runs_to_read(str(local), None) or []
    assert _runs_to_read(url, None) == names and len(names) == 3
    assert _runs_to_read(url, "detect/train2") is None  # one run: read in one call
    # a fresh process: worker processes get this environment (the server's address)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    got = subprocess.run(
        [sys.executable, "-c", _JOBS, url], env=env, capture_output=True, text=True, timeout=300
    )
    assert got.returncode == 0, got.stderr[-2000:]
    par = json.loads(got.stdout.strip().splitlines()[-1])
    assert par["reads"] == [f"read {r}" for r in sorted(names)]  # one task per run
    one = lraudit.audit(local, jobs=1)
    assert par["runs"] == [
        [
            r.run,
            r.tag,
            r.fit.schedule.family if r.fit else None,
            r.series.values.tolist() if r.series is not None else None,
            [f.name for f in r.findings],
        ]
        for r in one.runs
    ]
