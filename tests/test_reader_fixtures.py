"""The reader on fixtures written by the real writers (fixtures/generate.py), against tbparse."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from conftest import FIXTURES

import lraudit
from lraudit.errors import TagNotFoundError

LOGS = FIXTURES / "logs"
EXPECTED = json.loads((LOGS / "expected.json").read_text())
WRITERS = ["torch_simple", "torch_new_style", "torch_double", "tensorboardx", "tf2", "tf1_merged"]


def _f32(xs: list[float]) -> list[float]:
    return np.asarray(xs, dtype=np.float32).astype(np.float64).tolist()


@pytest.mark.parametrize("writer", WRITERS)
def test_every_writer_gives_the_known_series(writer: str) -> None:
    (s,) = lraudit.read_lr_series(LOGS / "writers" / writer)
    assert (s.run, s.tag) == (".", "train/lr")
    assert s.steps.tolist() == EXPECTED["steps"]
    want = EXPECTED["train/lr"] if writer == "torch_double" else _f32(EXPECTED["train/lr"])
    assert s.values.tolist() == want
    assert s.notes == () and s.replaced == ()
    loss = lraudit.read_scalars(LOGS / "writers" / writer, tags="train/loss")[0]
    want = EXPECTED["train/loss"] if writer == "torch_double" else _f32(EXPECTED["train/loss"])
    assert loss.values.tolist() == want


def test_all_float32_writers_agree_exactly() -> None:
    got = [
        lraudit.read_lr_series(LOGS / "writers" / w)[0].values
        for w in WRITERS
        if w != "torch_double"
    ]
    for g in got[1:]:
        np.testing.assert_array_equal(g, got[0])


def test_images_and_histograms_are_not_scalars() -> None:
    tags = [s.tag for s in lraudit.read_scalars(LOGS / "writers" / "torch_simple")]
    assert tags == ["train/loss", "train/lr"]


def test_keras_callback_epoch_learning_rate() -> None:
    (s,) = lraudit.read_lr_series(LOGS / "writers" / "keras")
    assert (s.run, s.tag) == ("train", "epoch_learning_rate")
    assert s.steps.tolist() == EXPECTED["keras_epochs"]
    assert s.values.tolist() == _f32(EXPECTED["keras/epoch_learning_rate"])


def test_multi_run_and_space_in_name() -> None:
    got = lraudit.read_lr_series(LOGS / "multi_run")
    assert [s.run for s in got] == ["run with space", "run_a", "run_b"]
    for s in got:
        assert s.values.tolist() == _f32(EXPECTED["multi_run"][s.run])


def test_multi_file_continuation() -> None:
    (s,) = lraudit.read_lr_series(LOGS / "multi_file")
    assert s.steps.tolist() == EXPECTED["steps"] and len(s.files) == 2
    assert s.replaced == () and any("continues from step 20" in n for n in s.notes)


@pytest.mark.parametrize("case", ["purge", "no_purge"])
def test_restart_overlap_newest_write_wins(case: str) -> None:
    (s,) = lraudit.read_lr_series(LOGS / "restart" / case)
    lr = _f32(EXPECTED["train/lr"])
    assert s.steps.tolist() == EXPECTED["steps"]
    assert s.values.tolist() == lr[:20] + _f32(EXPECTED["restart_new_values"])
    (seg,) = s.replaced
    assert seg.steps.tolist() == list(range(20, 30)) and seg.values.tolist() == lr[20:30]
    assert any(n.startswith("resume at step 20 in ") for n in s.notes)
    assert any("SessionLog START at step 20" in n for n in s.notes) == (case == "purge")
    # the jump back (schedule restarted at step 20) stays visible in step order
    assert s.values[20] < s.values[19]


@pytest.mark.parametrize("case", ["corrupt_tail", "truncated_tail"])
def test_damaged_tail(case: str) -> None:
    (s,) = lraudit.read_lr_series(LOGS / "edge" / case)
    assert s.steps.tolist() == list(range(19))
    (note,) = s.notes
    assert ("CRC mismatch" in note) == (case == "corrupt_tail") and "at byte" in note


@pytest.mark.parametrize("case", ["header_only", "header_only_tf2"])
def test_header_only_gives_nothing_and_no_error(case: str) -> None:
    assert lraudit.read_scalars(LOGS / "edge" / case) == []
    with pytest.raises(TagNotFoundError, match="no scalar tags"):
        lraudit.read_lr_series(LOGS / "edge" / case)


def _tbparse_rows(path: str) -> dict[tuple[str, str], list[tuple[int, float, float]]]:
    """Every scalar row tbparse reports (``.scalars`` and rank-0 ``.tensors``), by (run, tag)."""
    from tbparse import SummaryReader

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tbparse/pandas deprecation chatter, local to this call
        r = SummaryReader(path, extra_columns={"dir_name", "wall_time"})
        frames = [r.scalars, r.tensors]
    rows: dict[tuple[str, str], list[tuple[int, float, float]]] = {}
    for df in frames:
        for rec in df.itertuples(index=False):
            value = np.asarray(rec.value)
            if value.ndim != 0 or value.dtype.kind != "f":
                continue
            run = rec.dir_name or "."
            rows.setdefault((run, rec.tag), []).append(
                (int(rec.step), float(value), float(rec.wall_time))
            )
    return rows


@pytest.mark.parametrize(
    "sub",
    ["writers", "multi_run", "multi_file", "restart", "edge/corrupt_tail", "edge/truncated_tail"],
)
def test_values_identical_to_tbparse(sub: str) -> None:
    ours = lraudit.read_scalars(LOGS / sub)
    theirs = _tbparse_rows(str(LOGS / sub))
    assert {(s.run, s.tag) for s in ours} == set(theirs)
    for s in ours:
        # tbparse keeps every write; ours keeps the newest per step and the rest in `replaced`
        pts = list(zip(s.steps.tolist(), s.values.tolist(), s.wall_times.tolist(), strict=True))
        for seg in s.replaced:
            pts += zip(
                seg.steps.tolist(), seg.values.tolist(), seg.wall_times.tolist(), strict=True
            )
        assert sorted(pts) == sorted(theirs[(s.run, s.tag)]), (s.run, s.tag)
