"""Reader on the layouts writers produce: several values per event, simple and tensor values
mixed, many tags, images between scalars. The fast decoder (layouts + slot walk) must equal the
reference decoder exactly (points, tags, plugins, notes) and tbparse's values."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

import lraudit
from lraudit import testing as lt
from lraudit.reader import read_file, tags
from lraudit.reader.framing import scan
from lraudit.reader.layouts import match_layouts
from lraudit.reader.slots import PAD

event_pb2 = pytest.importorskip("tensorboard.compat.proto.event_pb2")
tensor_pb2 = pytest.importorskip("tensorboard.compat.proto.tensor_pb2")
types_pb2 = pytest.importorskip("tensorboard.compat.proto.types_pb2")


def _value(ev, tag: str, x: float, kind: str, meta: bool = True) -> None:  # noqa: ANN001
    v = ev.summary.value.add(tag=tag)
    if kind == "simple":
        v.simple_value = x
        return
    if meta:
        v.metadata.plugin_data.plugin_name = "scalars"
    if kind == "double":
        v.tensor.CopyFrom(tensor_pb2.TensorProto(dtype=types_pb2.DT_DOUBLE, double_val=[x]))
    elif kind == "content":
        v.tensor.CopyFrom(
            tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, tensor_content=np.float32(x).tobytes())
        )
    else:
        v.tensor.CopyFrom(tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, float_val=[x]))


def _events(layout: str, steps: int = 60) -> list:
    """Events as each writer lays them out (values vary per step; steps cross varint sizes)."""
    rng = np.random.default_rng(1)
    evs: list = []  # write_events adds the file-version record
    names = ["train/lr", "train/loss", "train/grad_norm", "train/acc"]
    for i in range(steps):
        s = i * 7 if i < steps // 2 else 2**20 + i  # one- and three-byte step varints
        x = [float(v) for v in rng.random(8) * 10.0 ** rng.integers(-8, 3, 8)]
        ev = event_pb2.Event(wall_time=1.7e9 + i * 0.5, step=s)
        if layout == "multi_simple":  # TF1 merge_all, add_scalars, the OD API
            for j, t in enumerate(names):
                _value(ev, t, x[j], "simple")
        elif layout == "multi_tensor_first_meta":  # TF1 strips metadata after the first event
            for j, t in enumerate(names):
                _value(ev, t, x[j], "tensor", meta=(i == 0))
        elif layout == "multi_tensor":  # Keras / TF2: metadata on every value
            for j, t in enumerate(names):
                _value(ev, t, x[j], ["tensor", "content", "double", "tensor"][j])
        elif layout == "mixed":
            for j, t in enumerate(names):
                _value(ev, t, x[j], "simple" if j % 2 else "tensor")
        elif layout == "many_tags":  # per-layer statistics: one value per event
            for j in range(40):
                e = event_pb2.Event(wall_time=1.7e9 + i, step=s)
                _value(e, "train/lr" if j == 0 else f"layer{j:02d}/norm", x[j % 8], "simple")
                evs.append(e)
            continue
        elif layout == "images":  # scalars with large images (and histograms) between them
            for j, t in enumerate(names[:2]):
                _value(ev, t, x[j], "simple")
            if i % 5 == 0:
                e = event_pb2.Event(wall_time=1.7e9 + i, step=s)
                img = e.summary.value.add(tag="samples").image
                img.height, img.width = 64, 64
                img.encoded_image_string = rng.bytes(20_000 if i % 10 else 100_000)  # some > 64 KiB
                e.summary.value.add(tag="hist").histo.bucket.extend(x)
                evs.append(e)
        elif layout == "changing":  # a tag appears mid-run, a tag repeats in one event
            _value(ev, "train/lr", x[0], "simple")
            if i > steps // 3:
                _value(ev, "eval/acc", x[1], "tensor")
            if i % 3 == 0:
                _value(ev, "train/lr", x[2], "simple")
        evs.append(ev)
    return evs


LAYOUTS = [
    "multi_simple",
    "multi_tensor_first_meta",
    "multi_tensor",
    "mixed",
    "many_tags",
    "images",
    "changing",
]


def _assert_same(fast, ref) -> None:  # noqa: ANN001
    assert fast.tags == ref.tags and fast.first == ref.first
    assert fast.plugins == ref.plugins and fast.plugin_at == ref.plugin_at
    assert fast.sessions == ref.sessions and fast.notes == ref.notes
    assert list(fast.points) != [] or list(ref.points) == []
    assert set(fast.points) == set(ref.points)
    for tag, tp in ref.points.items():
        got = fast.points[tag]
        assert got.steps.tolist() == tp.steps.tolist(), tag
        assert np.array_equal(got.values, tp.values, equal_nan=True), tag
        assert got.wall_times.tolist() == tp.wall_times.tolist() and got.tensor == tp.tensor


@pytest.mark.parametrize("layout", LAYOUTS)
def test_fast_equals_reference_and_layouts_take_the_records(tmp_path: Path, layout: str) -> None:
    # 200 steps: every layout repeats often enough to be worth matching
    p = lt.write_events(tmp_path / "events.out.tfevents.1.h", _events(layout, 200))
    fast, ref = read_file(str(p), fast=True), read_file(str(p), fast=False)
    _assert_same(fast, ref)
    # the scalar records are decoded by layouts, not one by one
    buf = p.read_bytes()
    fr = scan(buf)
    starts, ends = fr.starts, fr.starts + fr.lengths
    scalar_only = np.ones(len(starts), dtype=bool)
    scalar_only[0] = False  # file version
    if layout == "images":
        scalar_only &= np.diff(np.append(starts, len(buf))) < 1000
    arr = np.zeros(len(buf) + PAD, dtype=np.uint8)
    arr[: len(buf)] = np.frombuffer(buf, dtype=np.uint8)
    # summary bytes of each record: after 09 <f64> 10 <step varint> 2a <len varint>
    pos = [int(s) + 9 for s in starts]
    for i, q in enumerate(pos):
        if arr[q] == 0x10:  # step (absent when 0)
            q += 1
            while arr[q] & 0x80:
                q += 1
            q += 1
        q += 1  # 2a
        while arr[q] & 0x80:
            q += 1
        pos[i] = q + 1
    rec = np.flatnonzero(scalar_only)
    done, chunks = match_layouts(buf, arr, rec, np.array(pos)[rec], ends[rec])
    # many tags in one-value events: the first layouts, then the slot walk (never record by record)
    assert done.mean() > (0.5 if layout == "many_tags" else 0.95) and chunks
    assert fast.n_protobuf == ref.n_records - int(scalar_only.sum())


def test_tbparse_reads_the_same_values(tmp_path: Path) -> None:
    tbparse = pytest.importorskip("tbparse")
    for layout in LAYOUTS:
        d = tmp_path / layout
        lt.write_events(d / "events.out.tfevents.1.h", _events(layout))
        ours = {s.tag: s for s in lraudit.read_scalars(d)}
        rd = tbparse.SummaryReader(str(d), event_types={"scalars", "tensors"})
        frames = [df for df in (rd.scalars, rd.tensors) if len(df)]
        theirs: dict[str, list[tuple[int, float]]] = {}
        for df in frames:
            for tag, step, value in zip(df["tag"], df["step"], df["value"], strict=True):
                theirs.setdefault(tag, []).append((int(step), float(np.asarray(value).item())))
        assert set(theirs) == set(ours), layout
        for tag, pts in theirs.items():
            # tbparse keeps every write; lraudit keeps the newest write of a step
            last = dict(sorted(pts, key=lambda sv: sv[0]))
            s = ours[tag]
            assert s.steps.tolist() == sorted(last), (layout, tag)
            want = np.array([last[k] for k in sorted(last)])
            np.testing.assert_allclose(s.values, want, rtol=1e-6, err_msg=f"{layout} {tag}")


@pytest.mark.parametrize("seed", range(6))
def test_damaged_layout_records_decode_as_the_reference(tmp_path: Path, seed: int) -> None:
    """CRC-valid records that differ from their layout anywhere (tag, lengths, keys, metadata)
    are decoded exactly as the reference decoder decodes them, notes included."""
    rnd = random.Random(seed)
    payloads = [e.SerializeToString() for e in _events(LAYOUTS[seed % len(LAYOUTS)], 30)]
    for _ in range(12):
        i = rnd.randrange(1, len(payloads))
        b = bytearray(payloads[i])
        k = rnd.randrange(len(b))
        b[k] = rnd.choice([0x00, 0xFF, 0x80, 0x0A, 0x15, 0x42, b[k] ^ 1, b[k] ^ 0x40])
        payloads[i] = bytes(b)
    p = tmp_path / "events.out.tfevents.1.h"
    p.write_bytes(b"".join(lt.frame(x) for x in payloads))
    _assert_same(read_file(str(p), fast=True), read_file(str(p), fast=False))


def test_lr_detection_runs_once_per_distinct_tag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lt.write_events(tmp_path / "events.out.tfevents.1.h", _events("multi_simple", 300))
    calls: list[str] = []
    real = tags.is_lr_tag

    def counting(tag: str) -> bool:
        calls.append(tag)
        return real(tag)

    monkeypatch.setattr(tags, "is_lr_tag", counting)
    (s,) = lraudit.read_lr_series(tmp_path)
    assert s.tag == "train/lr" and len(s) == 300
    # once per distinct tag when decoding the file, once more when the run's tags are chosen
    assert sorted(calls) == sorted(2 * ["train/lr", "train/loss", "train/grad_norm", "train/acc"])
