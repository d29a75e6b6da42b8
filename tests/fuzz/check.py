"""The properties every mutated event file must keep (shared by the fuzz tests and fuzz.sh)."""

from __future__ import annotations

import os
import tempfile
from typing import Any

from lraudit.reader import read_file
from lraudit.reader.decode import FileData
from lraudit.reader.framing import scan
from lraudit.testing import frame


def summary(fd: FileData) -> tuple[Any, ...]:
    pts = {
        t: (p.steps.tolist(), repr(p.values.tolist()), repr(p.wall_times.tolist()), p.tensor)
        for t, p in fd.points.items()
    }
    return (pts, fd.tags, fd.first, fd.plugins, fd.plugin_at, fd.sessions, fd.notes)


def check_file(buf: bytes, payloads: list[bytes], damaged_at: int | None) -> None:
    """Both decoders read ``buf`` without raising, agree exactly, and keep every record before
    the first damaged byte (``damaged_at``; None when the framing is intact)."""
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "events.out.tfevents.1.h")
        with open(p, "wb") as f:
            f.write(buf)
        fast, ref = read_file(p, fast=True), read_file(p, fast=False)
    assert summary(fast) == summary(ref)
    if damaged_at is not None:
        from corpus import records_before

        framing = scan(buf)
        assert len(framing.starts) >= records_before(payloads, damaged_at)
        if framing.stop is not None:  # (a cut at a record boundary leaves no trace to note)
            assert any(f"at byte {framing.stop.offset}" in n for n in fast.notes)


def check_records(payloads: list[bytes]) -> None:
    """The wire decoder accepts and reads each record exactly as the protobuf runtime does."""
    from oracle import by_protobuf, by_wire, same

    for p in payloads:
        assert same(by_protobuf(p), by_wire(p)), p


def reframe(payloads: list[bytes]) -> bytes:
    return b"".join(frame(p) for p in payloads)
