"""Format auto-detection over every example config (shared corpus and project fixtures).

Each file's expected format comes from its folder. Formats whose parser is not registered are
skipped, so the test covers more as parsers land and is complete once all are.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES, SHARED

from lraudit.configs import PARSERS, detect_format, load_config
from lraudit.errors import ConfigError

SHARED_FOLDERS = {
    "detectron2": "detectron2",
    "hf": "hf",
    "keras": "keras",
    "lightning": "lightning",
    "mmdet": "mmengine",
    "paddledet": "paddledet",
    "tfod_pipeline": "odapi",
    "yolo": "yolov5",
}
FIXTURE_FOLDERS = {
    "detectron2": "detectron2",
    "hf": "hf",
    "keras": "keras",
    "lightning": "lightning",
    "mmengine": "mmengine",
    "paddledet": "paddledet",
    "odapi": "odapi",
    "yolo": "yolov5",
    "timm": "timm",
    "lraudit": "lraudit",
}
#: Files that are fragments holding no schedule (bases included by other files).
FRAGMENTS = {"configs__common__train.py", "faster_rcnn___base___faster_fpn_reader.yml", "train.py"}
MINE = {"hf", "yolov5", "keras", "lightning", "timm", "lraudit"}


def _is_example(p: Path) -> bool:
    return (
        p.is_file()
        and p.name not in ("SOURCES.md", "README.md")
        and not p.name.startswith(("generate", "reference"))
    )


def _cases() -> list[tuple[Path, str]]:
    out = []
    roots = ((SHARED / "config-examples", SHARED_FOLDERS), (FIXTURES / "configs", FIXTURE_FOLDERS))
    for root, folders in roots:
        if not root.is_dir():
            continue
        for folder, fmt in folders.items():
            for p in sorted((root / folder).rglob("*")):
                if _is_example(p):
                    out.append((p, fmt))
    return out


CASES = _cases()


def _id(case: tuple[Path, str]) -> str:
    p = case[0]
    return f"{p.parent.name}/{p.name}"


def test_corpus_is_there() -> None:
    mine = [p for p, fmt in CASES if fmt in MINE]
    # the fixtures alone hold 17 of them; the shared corpus, when present, adds more
    assert len(mine) >= (20 if (SHARED / "config-examples").is_dir() else 17)


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_detects_the_folder_format(case: tuple[Path, str]) -> None:
    path, fmt = case
    assert fmt in PARSERS, f"no parser registered for {fmt!r}"
    if path.name in FRAGMENTS:
        try:
            got = detect_format(path)
        except ConfigError as exc:
            assert "cannot tell the config format" in str(exc)
            return
        assert got == fmt
        return
    assert detect_format(path) == fmt


@pytest.mark.parametrize("case", [c for c in CASES if c[1] in MINE], ids=_id)
def test_my_formats_detect_by_content_alone(case: tuple[Path, str], tmp_path: Path) -> None:
    """Renamed to a neutral name (suffix kept), each file is still recognised by its content."""
    path, fmt = case
    neutral = tmp_path / f"renamed{path.suffix}"
    shutil.copy(path, neutral)
    assert detect_format(neutral) == fmt
    assert PARSERS[fmt].detect(neutral, neutral.read_text(encoding="utf-8")) >= 1


@pytest.mark.parametrize("case", [c for c in CASES if c[1] in MINE], ids=_id)
def test_my_formats_parse_or_say_what_is_missing(case: tuple[Path, str]) -> None:
    """Every example of my formats parses, or fails only for want of steps per epoch."""
    path, fmt = case
    try:
        it = load_config(path)
    except ConfigError as exc:
        assert "--steps-per-epoch" in str(exc), exc
        it = load_config(path, steps_per_epoch=100)
    assert it.format == fmt
    assert it.schedule.family
    if fmt != "lraudit" and it.settings.get("optimizer", "") is not None:
        assert it.expected_tags  # the native format may leave tags to auto-detection


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("notes.yaml", "title: my experiment\nseed: 3\n"),
        ("data.json", '{"images": [], "annotations": []}'),
        ("model.json", '{"class_name": "Sequential", "config": {"layers": []}}'),
        (
            "dataset.yaml",
            "path: ../datasets/coco128\ntrain: images/train2017\nnames: {0: person}\n",
        ),
    ],
)
def test_unrelated_files_are_not_claimed(tmp_path: Path, name: str, text: str) -> None:
    p = tmp_path / name
    p.write_text(text)
    with pytest.raises(ConfigError, match="cannot tell the config format"):
        detect_format(p)
