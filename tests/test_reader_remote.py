"""Logdirs on object storage: an S3-compatible server on localhost (moto's server mode, as
s3fs's own tests use), audited through the CLI and compared with the local audit."""

from __future__ import annotations

import json
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("s3fs")
moto_server = pytest.importorskip("moto.server")

import lraudit  # noqa: E402
from lraudit.cli import main  # noqa: E402
from lraudit.errors import LogReadError  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ROOT / "fixtures" / "projects" / "ultralytics" / "runs"
BUCKET = "lraudit-test"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    port = _free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """An s3fs filesystem on the local server, with the bucket holding the fixture logdir."""
    import s3fs

    for k, v in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": endpoint,
    }.items():
        monkeypatch.setenv(k, v)
    s3fs.S3FileSystem.clear_instance_cache()
    fs = s3fs.S3FileSystem()
    if not fs.exists(BUCKET):
        fs.mkdir(BUCKET)
        fs.put(str(PROJECT), f"{BUCKET}/ultra", recursive=True)
    fs.invalidate_cache()
    yield fs
    s3fs.S3FileSystem.clear_instance_cache()


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def _normal(doc: dict[str, Any], root: str) -> str:
    doc = dict(doc, path="ROOT")
    return json.dumps(doc, sort_keys=True).replace(root.rstrip("/"), "ROOT")


@pytest.mark.slow  # two audits of 9 series (the fits take the time, not the reads)
def test_report_of_an_s3_logdir_equals_the_local_report(
    s3: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"s3://{BUCKET}/ultra"
    code, out, err = _run(["report", url, "--format", "json", "--no-config"], capsys)
    lcode, lout, _ = _run(["report", str(PROJECT), "--format", "json", "--no-config"], capsys)
    assert code == lcode == 0, err
    remote, local = json.loads(out), json.loads(lout)
    assert len({r["run"] for r in remote["runs"]}) == 3
    assert _normal(remote, url) == _normal(local, str(PROJECT))


def test_missing_bucket_is_one_line(s3: Any, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(["report", "s3://no-such-bucket-here/logs"], capsys)
    assert code == 2 and not out
    assert err.strip().count("\n") == 0 and "Traceback" not in err
    assert "s3://no-such-bucket-here/logs" in err and "no such" in err


def test_missing_prefix_is_one_line(s3: Any, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(["check", f"s3://{BUCKET}/nothing-here"], capsys)
    assert code == 2 and err.strip().count("\n") == 0 and "no such" in err


def test_forbidden_credentials_are_one_line(
    s3: Any, endpoint: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server checks credentials (moto's auth switched on): a wrong key is denied."""
    import urllib.request

    import s3fs

    def auth(after: str) -> None:
        req = urllib.request.Request(
            f"{endpoint}/moto-api/reset-auth",
            data=after.encode(),
            headers={"Content-Type": "text/plain"},
        )
        urllib.request.urlopen(req).close()

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAWRONGWRONGWRONG0")
    s3fs.S3FileSystem.clear_instance_cache()
    auth("0")
    try:
        code, out, err = _run(["report", f"s3://{BUCKET}/ultra"], capsys)
    finally:
        auth("inf")
    assert code == 2 and not out
    assert err.strip().count("\n") == 0 and "Traceback" not in err
    assert f"s3://{BUCKET}/ultra" in err


def test_truncated_object_keeps_earlier_records_with_a_note(s3: Any, tmp_path: Path) -> None:
    src = next((PROJECT / "detect" / "train").glob("*tfevents*"))
    data = src.read_bytes()[:-300]
    local = tmp_path / src.name
    local.write_bytes(data)
    s3.pipe(f"{BUCKET}/cut/train/{src.name}", data)
    (want,) = lraudit.read_lr_series(tmp_path, tag="lr/pg0")
    (got,) = lraudit.read_lr_series(f"s3://{BUCKET}/cut", tag="lr/pg0")
    assert got.values.tolist() == want.values.tolist() and len(got.values) > 0
    assert any("truncated record" in n and "at byte" in n for n in got.notes)
    assert [n.split(": ", 1)[1] for n in got.notes] == [n.split(": ", 1)[1] for n in want.notes]


def test_without_fsspec_an_url_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "fsspec", None)
    with pytest.raises(LogReadError, match=r'pip install "lraudit-tb\[remote\]"'):
        lraudit.read_lr_series("s3://bucket/logs")
    code, _, err = _run(["report", "s3://bucket/logs"], capsys)
    assert code == 2 and "lraudit-tb[remote]" in err and err.strip().count("\n") == 0


def test_memory_filesystem_reads_like_a_local_dir(tmp_path: Path) -> None:
    fsspec = pytest.importorskip("fsspec")
    mem = fsspec.filesystem("memory")
    for p in PROJECT.rglob("*"):
        if p.is_file():
            mem.pipe(f"/lraudit-mem/{p.relative_to(PROJECT).as_posix()}", p.read_bytes())
    remote = lraudit.read_lr_series("memory://lraudit-mem")
    local = lraudit.read_lr_series(PROJECT)
    assert [(s.run, s.tag, s.values.tolist()) for s in remote] == [
        (s.run, s.tag, s.values.tolist()) for s in local
    ]
