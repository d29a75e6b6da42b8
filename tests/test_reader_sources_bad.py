"""Hostile numbers in trainer_state.json and TensorBoard scalar exports: a step that is not a
whole number within int64 is a skipped entry with a note (or one clear line naming the file
when nothing is left), never an internal error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import lraudit
from lraudit.cli import main


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main([*argv, "--no-progress"])
    out, err = capsys.readouterr()
    return code, out, err


def _one_line(err: str, *words: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lraudit: error: "), err
    assert "internal error" not in err and "Traceback" not in err
    for w in words:
        assert w in lines[0], (w, err)


BAD_STEPS = ['"abc"', "1e400", str(2**70), "null", "[1]", "1.5"]


@pytest.mark.parametrize("step", BAD_STEPS)
def test_trainer_state_bad_step_alone_is_one_line(
    step: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "trainer_state.json").write_text(
        f'{{"global_step": 10, "log_history": [{{"step": {step}, "learning_rate": 0.1}}]}}'
    )
    code, out, err = _cli(capsys, "report", str(tmp_path), "--no-config")
    assert code == 2 and not out
    _one_line(err, "trainer_state.json", "log_history")


@pytest.mark.parametrize("step", BAD_STEPS)
def test_trainer_state_bad_step_is_skipped_with_a_note(step: str, tmp_path: Path) -> None:
    good = [{"step": i, "learning_rate": 0.1 * (10 - i)} for i in range(1, 6)]
    history = [*good[:2], "STEP", *good[2:]]
    text = json.dumps({"log_history": history}).replace(
        '"STEP"', f'{{"step": {step}, "learning_rate": 9}}'
    )
    (tmp_path / "trainer_state.json").write_text(text)
    (s,) = lraudit.read_lr_series(tmp_path)
    assert s.steps.tolist() == [1, 2, 3, 4, 5]
    assert s.values.tolist() == pytest.approx([0.9, 0.8, 0.7, 0.6, 0.5])
    assert any("1 malformed entry(s) skipped (first: entry 3" in n for n in s.notes), s.notes


@pytest.mark.parametrize("history", ["5", '"x"', "{}", "null"])
def test_trainer_state_log_history_not_a_list(
    history: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "trainer_state.json").write_text(f'{{"log_history": {history}}}')
    code, out, err = _cli(capsys, "report", str(tmp_path), "--no-config")
    assert code == 2 and not out
    _one_line(err, "trainer_state.json", "log_history")


def test_trainer_state_huge_integer_value_is_infinite(tmp_path: Path) -> None:
    (tmp_path / "trainer_state.json").write_text(
        json.dumps({"log_history": [{"step": 1, "learning_rate": 10**400}]})
    )
    (s,) = lraudit.read_lr_series(tmp_path)
    assert s.values.tolist() == [float("inf")]


@pytest.mark.parametrize("step", ["1e30", "nan", "abc", "-1e300"])
def test_csv_export_bad_step_keeps_the_good_rows(step: str, tmp_path: Path) -> None:
    p = tmp_path / "run-a-tag-lr.csv"
    p.write_text(f"Wall time,Step,Value\n1.0,1,0.5\n2.0,{step},0.1\n3.0,3,0.25\n")
    (s,) = lraudit.read_lr_series(p, tag="lr")
    assert s.steps.tolist() == [1, 3] and s.values.tolist() == [0.5, 0.25]
    assert any("1 malformed row(s) skipped (first: line 3: step" in n for n in s.notes)


def test_csv_export_with_only_bad_rows_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "run-a-tag-lr.csv").write_text("Wall time,Step,Value\n1.0,1e30,0.1\n")
    code, out, err = _cli(capsys, "report", str(tmp_path), "--no-config")
    assert code == 2 and not out
    _one_line(err, "run-a-tag-lr.csv", "1e30")


@pytest.mark.parametrize("rows", ["[[1, 1e30, 0.1]]", '{"a": 1}', "[[1, 2]]", '[["w", 1, 0.1]]'])
def test_json_export_bad_rows_are_one_line(
    rows: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = tmp_path / "lr.json"
    p.write_text(rows)
    code, out, err = _cli(capsys, "report", str(p), "--no-config")
    assert code == 2 and not out
    _one_line(err, "lr.json")
