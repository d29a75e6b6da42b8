"""Mutated event files read in small windows give exactly what the whole-file read gives."""

from __future__ import annotations

import os
import random
import tempfile

import pytest

pytest.importorskip("tensorboard", reason="the corpus is written with tensorboard's protos")

from check import summary  # noqa: E402
from corpus import events, mutate_file  # noqa: E402

from lraudit.reader import read_file, stream  # noqa: E402

PAYLOADS = events()


@pytest.mark.parametrize("seed", range(12))
def test_windowed_reads_of_mutated_files_equal_whole_reads(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(5000 + seed)
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "events.out.tfevents.1.h")
        for _ in range(6):
            buf, _at = mutate_file(PAYLOADS, rng)
            with open(p, "wb") as f:
                f.write(buf)
            monkeypatch.setattr(stream, "WINDOW", 1 << 30)
            whole = read_file(p), read_file(p, fast=False)
            for window in (64, 97, 300):
                monkeypatch.setattr(stream, "WINDOW", window)
                for ref, fast in zip(whole, (True, False), strict=True):
                    got = read_file(p, fast=fast)
                    assert summary(got) == summary(ref), (window, fast)
                    assert got.end_offset == ref.end_offset
