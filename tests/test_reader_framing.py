"""Framing and CRC checks against a plain reference loop, on damaged and unusual files."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from lraudit import testing as lt
from lraudit.reader.framing import masked_crc32c, scan


def reference_scan(buf: bytes) -> tuple[list[int], int | None, str | None]:
    """The TFRecord loop of the spec, one record at a time: (payload offsets, stop, reason)."""
    off, out = 0, []
    while off < len(buf):
        if off + 12 > len(buf):
            return out, off, "truncated"
        (ln,) = struct.unpack_from("<Q", buf, off)
        (lcrc,) = struct.unpack_from("<I", buf, off + 8)
        if masked_crc32c(buf[off : off + 8]) != lcrc:
            return out, off, "corrupt"
        end = off + 12 + ln
        if end + 4 > len(buf):
            return out, off, "truncated"
        (dcrc,) = struct.unpack_from("<I", buf, end)
        if masked_crc32c(buf[off + 12 : end]) != dcrc:
            return out, off, "corrupt"
        out.append(off + 12)
        off = end + 4
    return out, None, None


def _file(n: int = 60, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    evs = []
    for i in range(n):
        kind = ["simple", "tensor", "tensor_content", "double"][i % 4]
        wall = 0.0 if rng.random() < 0.1 else 1e9 + i  # wall_time 0: record starts with 0x10
        evs.append(lt.scalar_event(f"t{i % 3}", i * 7, float(rng.normal()), wall, kind))
    body = b"".join(lt.frame(e.SerializeToString()) for e in evs)
    return lt.frame(b"\x1a\x0dbrain.Event:2") + body


def _check(buf: bytes) -> None:
    want, stop, reason = reference_scan(buf)
    got = scan(buf)
    assert got.starts.tolist() == want
    if stop is None:
        assert got.stop is None
    else:
        assert got.stop is not None and (got.stop.offset, got.stop.reason) == (stop, reason)


def test_clean_file_matches_reference() -> None:
    _check(_file())


@pytest.mark.parametrize("seed", range(12))
def test_random_single_byte_damage_matches_reference(seed: int) -> None:
    buf = bytearray(_file(seed=seed))
    rng = np.random.default_rng(100 + seed)
    buf[int(rng.integers(0, len(buf)))] ^= int(rng.integers(1, 256))
    _check(bytes(buf))


@pytest.mark.parametrize("cut", [1, 5, 11, 12, 13, 40, 200])
def test_truncation_anywhere_matches_reference(cut: int) -> None:
    _check(_file()[:-cut])


def test_empty_and_tiny_files() -> None:
    for buf in [b"", b"\x00", bytes(11), bytes(12), bytes(16)]:
        _check(buf)


def test_big_records_between_small_ones() -> None:
    evs = [lt.scalar_event("lr", i, 0.1, 1.0 + i) for i in range(5)]
    img = lt.scalar_event("img", 0, 0.0, 3.0)
    img.summary.value[0].ClearField("simple_value")
    img.summary.value[0].image.encoded_image_string = bytes(range(256)) * 400
    recs = [lt.frame(e.SerializeToString()) for e in evs[:2] + [img] + evs[2:]]
    _check(b"".join(recs))


@pytest.mark.parametrize("window", [64, 200, 1000, 4096])
def test_windowed_chain_search_matches_reference(
    monkeypatch: pytest.MonkeyPatch, window: int
) -> None:
    from lraudit.reader import framing

    monkeypatch.setattr(framing, "_WINDOW", window)
    monkeypatch.setattr(framing, "_CHUNK", window)
    buf = _file(200, seed=3)
    _check(buf)
    damaged = bytearray(buf)
    damaged[len(buf) // 2] ^= 0x40
    _check(bytes(damaged))
