"""Reader: discovery, both scalar encodings, LR tag detection, merge policy, CRC, errors."""

from __future__ import annotations

import json
import os
import struct
import tempfile
from pathlib import Path

import numpy as np
import pytest

import lraudit
from lraudit import testing as lt
from lraudit.errors import LogReadError, NoEventFilesError, TagNotFoundError
from lraudit.reader import discover_runs, is_lr_tag, read_file
from lraudit.reader.framing import scan

KINDS = ["simple", "tensor", "tensor_content", "double"]
STEPS = [0, 1, 2, 5, 300, 70000, 2**40]
LRS = [0.1, 0.1, 0.05, 1e-7, 3.3e-4, 0.0, 2.5]


@pytest.mark.parametrize("kind", KINDS)
def test_every_encoding_reads_the_same_series(tmp_path: Path, kind: str) -> None:
    lt.write_scalars(tmp_path, ["lr", "loss"], STEPS, [LRS, [1.0] * len(STEPS)], kind=kind)
    (s,) = lraudit.read_lr_series(tmp_path)
    assert (s.run, s.tag, s.source) == (".", "lr", "tfevents")
    assert s.steps.dtype == np.int64 and s.values.dtype == np.float64
    assert s.steps.tolist() == STEPS
    want = np.asarray(LRS, dtype=np.float64 if kind == "double" else np.float32)
    assert s.values.tolist() == want.astype(np.float64).tolist()
    assert s.wall_times.tolist() == [1.7e9 + i for i in range(len(STEPS))]
    assert s.notes == () and s.replaced == ()


@pytest.mark.parametrize("kind", KINDS)
def test_fast_decoder_equals_protobuf_decoder(tmp_path: Path, kind: str) -> None:
    p = lt.write_scalars(tmp_path, ["lr", "a/b", "loss"], STEPS, [LRS, LRS[::-1], LRS], kind=kind)
    fast = read_file(str(p), fast=True)
    ref = read_file(str(p), fast=False)
    assert fast.tags == ref.tags and fast.plugins == ref.plugins
    assert sorted(fast.points) == sorted(ref.points) == ["a/b", "loss", "lr"]
    for tag, tp in ref.points.items():
        got = fast.points[tag]
        assert got.steps.tolist() == tp.steps.tolist()
        assert got.values.tolist() == tp.values.tolist()
        assert got.wall_times.tolist() == tp.wall_times.tolist()
        assert got.tensor == tp.tensor


def test_tensor_tag_without_scalars_plugin_is_not_a_scalar(tmp_path: Path) -> None:
    ev = lt.scalar_event("lr", 1, 0.5, 1.0, "tensor")
    ev.summary.value[0].metadata.plugin_data.plugin_name = "custom"
    lt.write_events(tmp_path / "events.out.tfevents.1.h", [ev])
    with pytest.raises(TagNotFoundError):
        lraudit.read_lr_series(tmp_path)


def test_scalars_plugin_on_first_value_only_applies_to_the_whole_run(tmp_path: Path) -> None:
    evs = [lt.scalar_event("lr", i, 0.1 * i, 1.0 + i, "tensor") for i in range(3)]
    for ev in evs[1:]:
        ev.summary.value[0].ClearField("metadata")
    lt.write_events(tmp_path / "events.out.tfevents.1.h", evs[:1])
    lt.write_events(tmp_path / "events.out.tfevents.2.h", evs[1:])
    (s,) = lraudit.read_lr_series(tmp_path)
    assert s.steps.tolist() == [0, 1, 2]


def test_discovery_runs_spaces_nested_and_single_file(tmp_path: Path) -> None:
    lt.write_scalars(tmp_path, "lr", [0], [1.0])
    lt.write_scalars(tmp_path / "mobile 320x320", "lr", [0], [2.0])
    lt.write_scalars(tmp_path / "a" / "train", "lr", [0], [3.0])
    (tmp_path / "a" / "notes.txt").write_text("not a log")
    (tmp_path / "empty").mkdir()
    runs = discover_runs(tmp_path)
    assert list(runs) == [".", "a/train", "mobile 320x320"]
    got = {s.run: s.values[0] for s in lraudit.read_lr_series(tmp_path)}
    assert got == {".": 1.0, "a/train": 3.0, "mobile 320x320": 2.0}
    assert [s.run for s in lraudit.read_lr_series(tmp_path, run="mobile*")] == ["mobile 320x320"]
    assert [s.run for s in lraudit.read_lr_series(tmp_path, run="train")] == ["a/train"]
    assert [s.run for s in lraudit.read_lr_series(tmp_path, run="a/*")] == ["a/train"]
    assert [s.run for s in lraudit.read_lr_series(tmp_path, run=".")] == ["."]
    (single,) = runs["mobile 320x320"]
    (s,) = lraudit.read_lr_series(single)
    assert (s.run, s.files) == (".", (single,))


def test_errors_are_actionable(tmp_path: Path) -> None:
    with pytest.raises(LogReadError, match="no such file or directory"):
        lraudit.read_lr_series(tmp_path / "nope")
    with pytest.raises(NoEventFilesError, match="no TensorBoard event files under"):
        lraudit.read_lr_series(tmp_path)
    lt.write_scalars(tmp_path, ["loss", "acc"], [0, 1], [[1, 2], [3, 4]])
    with pytest.raises(TagNotFoundError, match="--tag") as ei:
        lraudit.read_lr_series(tmp_path)
    assert ei.value.tags == ("acc", "loss")
    with pytest.raises(NoEventFilesError, match="no run matching"):
        lraudit.read_lr_series(tmp_path, tag="loss", run="zzz*")
    (s,) = lraudit.read_lr_series(tmp_path, tag="lo*")
    assert s.tag == "loss" and s.values.tolist() == [1.0, 2.0]


def test_tag_override_exact_glob_and_param_groups(tmp_path: Path) -> None:
    tags = ["x/lr0", "x/lr1", "x/lr2", "train/box_loss", "metrics/mAP_0.5"]
    lt.write_scalars(tmp_path, tags, [0, 1], [[0.1, 0.2]] * len(tags))
    assert [s.tag for s in lraudit.read_lr_series(tmp_path)] == ["x/lr0", "x/lr1", "x/lr2"]
    assert [s.tag for s in lraudit.read_lr_series(tmp_path, tag="x/lr1")] == ["x/lr1"]
    assert [s.tag for s in lraudit.read_lr_series(tmp_path, tag="*loss")] == ["train/box_loss"]
    assert len(lraudit.read_scalars(tmp_path)) == 5
    assert [s.tag for s in lraudit.read_scalars(tmp_path, tags=["x/lr2", "m*"])] == [
        "metrics/mAP_0.5",
        "x/lr2",
    ]


@pytest.mark.parametrize(
    "tag",
    [
        "lr",
        "learning_rate",
        "train/learning_rate",
        "train/lr",
        "epoch_learning_rate",
        "LearningRate/LearningRate/learning_rate",
        "lr-AdamW",
        "lr-AdamW/pg1",
        "lr-SGD-1",
        "x/lr0",
        "lr/pg2",
        "learning-rate",
        "Learning_Rate",
        "LR",
        "epoch_lr",
        "lr__pg_0_",  # tensorboardX's escape of "lr (pg 0)"
        "learning_rate_1",
    ],
)
def test_lr_tags_detected(tag: str) -> None:
    assert is_lr_tag(tag)


@pytest.mark.parametrize(
    "tag",
    [
        "base_lr",
        "train/base_lr",
        "lr-SGD-momentum",
        "loss",
        "learning-rate vs samples",
        "max_lr",
        "loss_0",
        "lr_scale",
    ],
)
def test_not_lr_tags(tag: str) -> None:
    assert not is_lr_tag(tag)


def test_resume_newest_write_wins_and_keeps_replaced(tmp_path: Path) -> None:
    a = "events.out.tfevents.1000.host.1.0"
    b = "events.out.tfevents.2000.host.2.0"
    lt.write_scalars(tmp_path, "lr", range(0, 200), [1.0] * 200, name=a)
    lt.write_scalars(tmp_path, "lr", range(100, 150), [2.0] * 50, name=b, wall_time0=2e9)
    (s,) = lraudit.read_lr_series(tmp_path)
    assert s.steps.tolist() == list(range(200))
    assert s.values.tolist() == [1.0] * 100 + [2.0] * 50 + [1.0] * 50
    (seg,) = s.replaced
    assert os.path.basename(seg.file) == a
    assert seg.steps.tolist() == list(range(100, 150)) and set(seg.values.tolist()) == {1.0}
    assert f"resume at step 100 in {b} replaced 50 point(s) from {a}" in s.notes
    assert [os.path.basename(f) for f in s.files] == [a, b]


def test_new_training_from_the_start_supersedes_the_older_tail(tmp_path: Path) -> None:
    a = "events.out.tfevents.1000.host.1.0"
    b = "events.out.tfevents.2000.host.2.0"
    lt.write_scalars(tmp_path, "lr", range(0, 200), [1.0] * 200, name=a)
    lt.write_scalars(tmp_path, "lr", range(0, 150), [2.0] * 150, name=b, wall_time0=2e9)
    (s,) = lraudit.read_lr_series(tmp_path)
    # b relaunched from step 0 with another LR and ended at 149: a's steps 150-199 were written
    # before it started, by the training it superseded, and are left out (TensorBoard's purge)
    assert s.steps.tolist() == list(range(150)) and set(s.values.tolist()) == {2.0}
    rewritten, tail = s.replaced
    assert os.path.basename(tail.file) == a and tail.steps.tolist() == list(range(150, 200))
    assert any(n.startswith(f"superseded: 50 point(s) of {a} at steps 150-199") for n in s.notes)


def test_new_training_that_reproduces_the_schedule_keeps_the_older_tail(tmp_path: Path) -> None:
    a = "events.out.tfevents.1000.host.1.0"
    b = "events.out.tfevents.2000.host.2.0"
    lt.write_scalars(tmp_path, "lr", range(0, 200), [1.0] * 200, name=a)
    lt.write_scalars(tmp_path, "lr", range(0, 150), [1.0] * 150, name=b, wall_time0=2e9)
    (s,) = lraudit.read_lr_series(tmp_path)
    assert s.steps.tolist() == list(range(200))
    assert not any(n.startswith("superseded") for n in s.notes)


def test_concurrent_writer_tail_is_kept(tmp_path: Path) -> None:
    # the older file's points past the newer file's end were written after the newer file
    # started: two writers at once, not a superseded training
    a = "events.out.tfevents.1000.host.1.0"
    b = "events.out.tfevents.2000.host.2.0"
    lt.write_scalars(tmp_path, "lr", range(0, 200), [1.0] * 200, name=a, wall_time0=1e9)
    lt.write_scalars(tmp_path, "lr", range(0, 150), [2.0] * 150, name=b, wall_time0=1e9 + 20)
    (s,) = lraudit.read_lr_series(tmp_path)
    assert s.steps.tolist() == list(range(200))
    assert not any(n.startswith("superseded") for n in s.notes)


def test_files_ordered_by_timestamp_not_name(tmp_path: Path) -> None:
    # "…99.…" sorts after "…100.…" by name but was started first
    lt.write_scalars(tmp_path, "lr", [0, 1], [1.0, 1.0], name="events.out.tfevents.99.h.1.0")
    lt.write_scalars(tmp_path, "lr", [1, 2], [2.0, 2.0], name="events.out.tfevents.100.h.1.0")
    (s,) = lraudit.read_lr_series(tmp_path)
    assert s.values.tolist() == [1.0, 2.0, 2.0]


def test_duplicate_step_in_one_file_and_session_start(tmp_path: Path) -> None:
    from tensorboard.compat.proto import event_pb2

    evs = [lt.scalar_event("lr", s, v, 10.0 + i) for i, (s, v) in enumerate([(0, 1), (1, 1)])]
    start = event_pb2.Event(step=1, wall_time=20.0)
    start.session_log.status = event_pb2.SessionLog.START
    evs += [start, lt.scalar_event("lr", 1, 5.0, 21.0), lt.scalar_event("lr", 2, 5.0, 22.0)]
    lt.write_events(tmp_path / "events.out.tfevents.1.h", evs)
    (s,) = lraudit.read_lr_series(tmp_path)
    assert s.values.tolist() == [1.0, 5.0, 5.0]
    assert s.replaced[0].steps.tolist() == [1] and s.replaced[0].values.tolist() == [1.0]
    assert any("written more than once" in n for n in s.notes)
    assert any("SessionLog START at step 1" in n for n in s.notes)


def _corrupt_last_record(p: Path) -> int:
    raw = bytearray(p.read_bytes())
    raw[-6] ^= 0xFF  # inside the payload of the last record
    p.write_bytes(bytes(raw))
    return len(raw)


def test_corrupt_and_truncated_tails_end_the_file_with_a_note(tmp_path: Path) -> None:
    p = lt.write_scalars(tmp_path / "c", "lr", range(10), np.linspace(1, 0.1, 10))
    _corrupt_last_record(p)
    lt.write_scalars(tmp_path / "c", "lr", [20], [7.0], name="events.out.tfevents.1800000000.h")
    (s,) = lraudit.read_lr_series(tmp_path / "c")
    assert s.steps.tolist() == list(range(9)) + [20]
    (note,) = [n for n in s.notes if "corrupt" in n]
    assert "data CRC mismatch" in note and "at byte" in note and p.name in note
    # truncated inside the last record
    q = lt.write_scalars(tmp_path / "t", "lr", range(5), [1.0] * 5)
    q.write_bytes(q.read_bytes()[:-7])
    (s,) = lraudit.read_lr_series(tmp_path / "t")
    assert s.steps.tolist() == [0, 1, 2, 3] and any("truncated" in n for n in s.notes)


def test_header_only_and_empty_files_are_normal(tmp_path: Path) -> None:
    lt.write_events(tmp_path / "events.out.tfevents.1.h", [])
    (tmp_path / "events.out.tfevents.2.h").write_bytes(b"")
    lt.write_scalars(tmp_path, "lr", [3], [0.5], name="events.out.tfevents.3.h")
    (s,) = lraudit.read_lr_series(tmp_path)
    assert s.steps.tolist() == [3] and s.notes == () and len(s.files) == 3


def test_non_finite_values_are_kept_and_noted(tmp_path: Path) -> None:
    lt.write_scalars(tmp_path, "lr", [0, 1, 2], [0.1, float("nan"), float("inf")])
    (s,) = lraudit.read_lr_series(tmp_path)
    assert np.isnan(s.values[1]) and np.isinf(s.values[2])
    assert any("2 non-finite value(s) kept (first at step 1)" in n for n in s.notes)


def test_framing_checks_the_length_crc(tmp_path: Path) -> None:
    p = lt.write_scalars(tmp_path, "lr", range(3), [1.0] * 3)
    raw = bytearray(p.read_bytes())
    first = struct.unpack_from("<Q", raw, 0)[0] + 16  # start of record 2
    raw[first + 8] ^= 1  # its length CRC
    f = scan(bytes(raw))
    assert len(f.starts) == 1 and f.stop is not None and f.stop.offset == first
    assert "length CRC" in f.stop.detail


def test_framing_without_wall_time_falls_back(tmp_path: Path) -> None:
    # events whose wall_time is 0 do not start with 0x09; the vectorised chain must hand over
    evs = [lt.scalar_event("lr", i, 0.5, 0.0 if i % 2 else 5.0) for i in range(7)]
    p = lt.write_events(tmp_path / "events.out.tfevents.1.h", evs)
    buf = p.read_bytes()
    assert len(scan(buf).starts) == 8
    (s,) = lraudit.read_lr_series(tmp_path)
    assert s.steps.tolist() == list(range(7))
    assert s.wall_times.tolist() == [0.0 if i % 2 else 5.0 for i in range(7)]


def test_to_dataframe(tmp_path: Path) -> None:
    lt.write_scalars(tmp_path / "r", "lr", [0, 1], [0.5, 0.25])
    df = lraudit.read_lr_series(tmp_path)[0].to_dataframe()
    assert list(df.columns) == ["run", "tag", "step", "value", "wall_time"]
    assert df["value"].tolist() == [0.5, 0.25] and set(df["run"]) == {"r"}


def _zoo_events() -> list:
    """Events of every layout the fast decoder must recognise or hand to protobuf."""
    from tensorboard.compat.proto import event_pb2, tensor_pb2, types_pb2

    evs = []
    e = event_pb2.Event(wall_time=1.0, step=1)  # TF1 merged summary: two values in one event
    e.summary.value.add(tag="lr", simple_value=0.5)
    e.summary.value.add(tag="loss", simple_value=2.0)
    evs.append(e)
    e = lt.scalar_event("lr", 2, 0.25, 2.0)
    e.summary.value[0].metadata.plugin_data.plugin_name = "scalars"  # simple with metadata
    evs.append(e)
    evs.append(lt.scalar_event("t/first_meta", -5, 1.5, 3.0, "tensor"))
    e = lt.scalar_event("t/first_meta", 2**40, 2.5, 4.0, "tensor")
    e.summary.value[0].ClearField("metadata")
    evs.append(e)
    evs.append(lt.scalar_event("t/first_meta", 0, 3.5, 4.5, "tensor_content"))  # step 0 omitted
    e = lt.scalar_event("half", 3, 0.0, 5.0, "tensor")
    e.summary.value[0].tensor.CopyFrom(
        tensor_pb2.TensorProto(
            dtype=types_pb2.DT_HALF, half_val=[int(np.float16(0.125).view(np.uint16))]
        )
    )
    evs.append(e)
    # bfloat16 (a TF mixed-precision LR): the upper 16 bits of the float32 0.1 in half_val, and
    # in tensor_content
    bf = int(np.array([0.1], dtype=np.float32).view(np.uint32)[0]) >> 16
    e = lt.scalar_event("bf16", 3, 0.0, 5.5, "tensor")
    e.summary.value[0].tensor.CopyFrom(
        tensor_pb2.TensorProto(dtype=types_pb2.DT_BFLOAT16, half_val=[bf])
    )
    evs.append(e)
    e = lt.scalar_event("bf16", 4, 0.0, 5.6, "tensor")
    e.summary.value[0].ClearField("metadata")
    e.summary.value[0].tensor.CopyFrom(
        tensor_pb2.TensorProto(
            dtype=types_pb2.DT_BFLOAT16, tensor_content=np.array([bf], "<u2").tobytes()
        )
    )
    evs.append(e)
    e = event_pb2.Event(wall_time=6.0, step=3)
    v = e.summary.value.add(tag="notes")
    v.metadata.plugin_data.plugin_name = "text"
    v.tensor.CopyFrom(tensor_pb2.TensorProto(dtype=types_pb2.DT_STRING, string_val=[b"hi"]))
    evs.append(e)
    e = event_pb2.Event(wall_time=7.0, step=3)
    e.summary.value.add(tag="hist").histo.bucket.extend([1, 2, 3])
    evs.append(e)
    e = event_pb2.Event(wall_time=8.0, step=3)
    e.summary.value.add(tag="img").image.encoded_image_string = b"\x89PNG" * 50
    evs.append(e)
    e = lt.scalar_event("vec", 3, 0.0, 9.0, "tensor")
    e.summary.value[0].tensor.CopyFrom(
        tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, float_val=[1.0, 2.0])
    )
    e.summary.value[0].tensor.tensor_shape.dim.add(size=2)
    evs.append(e)
    e = lt.scalar_event("versioned", 4, 0.75, 10.0, "tensor")
    e.summary.value[0].tensor.version_number = 3
    evs.append(e)
    e = event_pb2.Event(wall_time=11.0, step=4)
    e.session_log.status = event_pb2.SessionLog.START
    evs.append(e)
    evs.append(event_pb2.Event(wall_time=12.0, step=5, graph_def=b"\x0a\x00" * 30))
    e = event_pb2.Event(wall_time=13.0, step=5)
    e.summary.SetInParent()  # an empty summary
    evs.append(e)
    evs += [lt.scalar_event("lr", s, 0.1 * s, 20.0 + s) for s in range(6, 12)]
    e = lt.scalar_event("t/first_meta", 7, 9.0, 30.0, "double")
    e.summary.value[0].ClearField("metadata")
    evs.append(e)
    return evs


def test_fast_decoder_equals_protobuf_on_every_layout(tmp_path: Path) -> None:
    p = lt.write_events(tmp_path / "events.out.tfevents.1.h", _zoo_events())
    fast, ref = read_file(str(p), fast=True), read_file(str(p), fast=False)
    assert 0 < fast.n_protobuf < fast.n_records
    assert fast.tags == ref.tags and fast.first == ref.first
    assert fast.plugins == ref.plugins and fast.plugin_at == ref.plugin_at
    assert fast.sessions == ref.sessions == [(4, 1)]
    assert set(fast.points) == set(ref.points)
    assert set(ref.points) == {"lr", "loss", "t/first_meta", "half", "bf16", "versioned"}
    for tag, tp in ref.points.items():
        got = fast.points[tag]
        assert (got.steps.tolist(), got.values.tolist()) == (tp.steps.tolist(), tp.values.tolist())
        assert got.wall_times.tolist() == tp.wall_times.tolist() and got.tensor == tp.tensor
    assert ref.points["t/first_meta"].steps.tolist() == [-5, 2**40, 0, 7]
    assert ref.points["half"].values.tolist() == [0.125]
    # bfloat16 0.1 is 0.099609375 (7 mantissa bits)
    assert ref.points["bf16"].values.tolist() == [0.099609375, 0.099609375]
    # only tags decoded on request; tags and plugins are still all listed
    only = read_file(str(p), want=lambda t: t == "lr")
    assert list(only.points) == ["lr"] and only.tags == ref.tags
    assert only.points["lr"].steps.tolist() == [1, 2, *range(6, 12)]


def test_run_level_scalar_tags_from_the_zoo(tmp_path: Path) -> None:
    lt.write_events(tmp_path / "events.out.tfevents.1.h", _zoo_events())
    got = {s.tag: s for s in lraudit.read_scalars(tmp_path)}
    # "notes" (text), "hist", "img" and "vec" (rank 1) are not scalars
    assert sorted(got) == ["bf16", "half", "loss", "lr", "t/first_meta", "versioned"]
    assert got["t/first_meta"].steps.tolist() == [-5, 0, 7, 2**40]
    assert any("SessionLog START at step 4" in n for n in got["lr"].notes)


def _trainer_state(path: Path, lrs: list[float]) -> None:
    hist = [
        {"loss": 1.0 / (i + 1), "learning_rate": lr, "epoch": i / 10, "step": 10 * (i + 1)}
        for i, lr in enumerate(lrs)
    ]
    hist.append({"eval_loss": 0.5, "epoch": 1.0, "step": 10 * len(lrs)})
    hist.append({"train_runtime": 12.5, "total_flos": 1e9, "epoch": 1.0})  # no step: skipped
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"global_step": 10 * len(lrs), "log_history": hist}))


def test_hf_trainer_state_file_and_directory(tmp_path: Path) -> None:
    _trainer_state(tmp_path / "out" / "checkpoint-20" / "trainer_state.json", [5e-5, 4e-5])
    _trainer_state(tmp_path / "out" / "checkpoint-30" / "trainer_state.json", [5e-5, 4e-5, 3e-5])
    (s,) = lraudit.read_lr_series(tmp_path / "out" / "checkpoint-20" / "trainer_state.json")
    assert (s.run, s.tag, s.source) == (".", "learning_rate", "trainer_state")
    assert s.steps.tolist() == [10, 20] and s.values.tolist() == [5e-5, 4e-5]
    # a directory without event files: the latest checkpoint's history, run = its parent
    (s,) = lraudit.read_lr_series(tmp_path)
    assert (s.run, s.values.tolist()) == ("out", [5e-5, 4e-5, 3e-5])
    assert np.isnan(s.wall_times).all()
    tags = [x.tag for x in lraudit.read_scalars(tmp_path)]
    assert tags == ["eval_loss", "learning_rate", "loss"]


def test_tensorboard_csv_and_json_exports(tmp_path: Path) -> None:
    csv_path = tmp_path / "run-train-tag-learning_rate.csv"
    csv_path.write_text("Wall time,Step,Value\n1700000000.5,0,0.1\n1700000001.5,100,0.05\n")
    (s,) = lraudit.read_lr_series(csv_path)
    assert (s.run, s.tag, s.source) == ("train", "learning_rate", "csv")
    assert s.steps.tolist() == [0, 100] and s.values.tolist() == [0.1, 0.05]
    assert s.wall_times.tolist() == [1700000000.5, 1700000001.5]
    js = tmp_path / "lr.json"
    js.write_text(json.dumps([[1.0, 0, 0.1], [2.0, 5, 0.2]]))
    (s,) = lraudit.read_lr_series(js)
    assert (s.tag, s.source, s.values.tolist()) == ("lr", "json", [0.1, 0.2])
    long = tmp_path / "scalars.csv"  # tbparse-style: one row per (run, tag, step)
    long.write_text("dir_name,tag,step,value\nr1,lr,0,1.0\nr1,loss,0,3.0\nr2,lr,0,2.0\n")
    got = lraudit.read_lr_series(long)
    assert [(x.run, x.tag, x.values.tolist()) for x in got] == [
        ("r1", "lr", [1.0]),
        ("r2", "lr", [2.0]),
    ]
    bad = tmp_path / "notes.txt"
    bad.write_text("hello")
    with pytest.raises(LogReadError, match="not an event file"):
        lraudit.read_lr_series(bad)
    broken = tmp_path / "broken.csv"
    broken.write_text("a,b\n1,2\n")
    with pytest.raises(LogReadError, match="a, b is not a known learning-rate export"):
        lraudit.read_lr_series(broken)


@pytest.mark.parametrize("window", [64, 97, 250, 4096])
@pytest.mark.parametrize("fast", [True, False])
def test_windowed_decoding_equals_whole_file(
    monkeypatch: pytest.MonkeyPatch, fast: bool, window: int
) -> None:
    from lraudit.reader import stream

    with tempfile.TemporaryDirectory() as d:
        evs = _zoo_events() + _zoo_events()
        p = str(lt.write_events(Path(d) / "events.out.tfevents.1.h", evs))
        whole = read_file(p, fast=fast)
        monkeypatch.setattr(stream, "WINDOW", window)
        parts = read_file(p, fast=fast)
        size = os.path.getsize(p)
    assert parts.tags == whole.tags and parts.first == whole.first
    assert parts.plugins == whole.plugins and parts.plugin_at == whole.plugin_at
    assert parts.sessions == whole.sessions and parts.n_records == whole.n_records
    assert parts.notes == whole.notes and parts.end_offset == whole.end_offset == size
    assert parts.points.keys() == whole.points.keys()
    for tag, tp in whole.points.items():
        assert parts.points[tag].steps.tolist() == tp.steps.tolist()
        assert parts.points[tag].values.tolist() == tp.values.tolist()


@pytest.mark.parametrize("fast", [True, False])
def test_crc_valid_garbage_record_is_skipped_with_a_note(tmp_path: Path, fast: bool) -> None:
    good = [lt.scalar_event("lr", i, 0.5, 1.0 + i).SerializeToString() for i in range(3)]
    garbage = b"\x09" + bytes(8) + b"\x2a\x05\x0a\x03\x0a\x09lr"  # tag length past the end
    p = tmp_path / "events.out.tfevents.1.h"
    p.write_bytes(b"".join(lt.frame(x) for x in [good[0], garbage, good[1], good[2]]))
    fd = read_file(str(p), fast=fast)
    assert fd.points["lr"].steps.tolist() == [0, 1, 2]
    (note,) = fd.notes
    assert "not a valid Event" in note and "byte" in note


def test_each_stale_point_is_attributed_to_the_write_that_replaced_it(tmp_path: Path) -> None:
    names = [f"events.out.tfevents.{t}.h" for t in (1, 2, 3)]
    for k, name in enumerate(names):
        lt.write_scalars(tmp_path, "lr", [0, 1, 2], [float(k)] * 3, name=name)
    (s,) = lraudit.read_lr_series(tmp_path)
    assert s.values.tolist() == [2.0, 2.0, 2.0]
    assert [(os.path.basename(r.file), r.values.tolist()) for r in s.replaced] == [
        (names[0], [0.0] * 3),
        (names[1], [1.0] * 3),
    ]
    resumes = [n for n in s.notes if n.startswith("resume")]
    assert resumes == [
        f"resume at step 0 in {names[1]} replaced 3 point(s) from {names[0]}",
        f"resume at step 0 in {names[2]} replaced 3 point(s) from {names[1]}",
    ]


def test_unreadable_file_is_noted_and_the_rest_read(tmp_path: Path) -> None:
    lt.write_scalars(tmp_path, "lr", [0, 1], [0.5, 0.25])
    (tmp_path / "events.out.tfevents.2.h").mkdir()  # a directory is not an event file
    os.symlink(tmp_path / "missing-target", tmp_path / "events.out.tfevents.3.h")  # dangling
    (s,) = lraudit.read_lr_series(tmp_path)
    assert s.values.tolist() == [0.5, 0.25]
    assert any("cannot read" in n and "skipped" in n for n in s.notes)
