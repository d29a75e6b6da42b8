"""Config mutations for the fuzzing harness: every format, structure-aware and byte-level.

A *seed* is a real config (the fixtures, and ``../shared/config-examples`` when present) and the
format it parses as. :func:`mutate` makes one hostile variant of it:

- data configs (YAML / JSON): one value anywhere in the tree (found by a random walk) replaced
  by a hostile value (:data:`HOSTILE`: wrong types, huge and tiny numbers, infinities, deep or
  long containers, odd strings), a key deleted, or a mapping replaced by a scalar;
- text configs (pipeline.config, Python configs): a number replaced by a hostile literal, a line
  deleted or duplicated, brackets unbalanced, or the file cut at a random offset.

:func:`check_one` loads the variant and allows two outcomes only: an
:class:`~lraudit.schedules.IntendedSchedule`, or a :class:`~lraudit.errors.ConfigError` whose
message names the file; within :data:`SECONDS`.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from lraudit.configs import load_config
from lraudit.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO.parent / "shared" / "config-examples"
SECONDS = 5.0

DATA_SUFFIXES = {".yaml", ".yml", ".json"}
TEXT_SUFFIXES = {".config", ".py", ".pbtxt"}

HOSTILE: list[Any] = [
    None,
    True,
    -1,
    0,
    10**30,
    2**70,
    -(10**300),
    1e308,
    5e-324,
    -0.0,
    float("inf"),
    float("nan"),
    "abc",
    "",
    "1e400",
    "0x10",
    "\x1b[31mred",
    [],
    {},
    [1, 2, 3],
    ["a", None, {}],
    {"type": None},
    {"a": {"b": {"c": [1]}}},
    list(range(2000)),
    "x" * 10_000,
]
NUMBER_LITERALS = ["0", "-1", "1e400", "10**300", "1" + "0" * 400, "nan", "-1e-320", "2**70", "[]"]


def seeds() -> list[tuple[Path, str]]:
    """Every config the repo and the shared examples hold, with the format it parses as."""
    roots = [REPO / "fixtures", EXAMPLES]
    out: list[tuple[Path, str]] = []
    for root in roots:
        if not root.is_dir():
            continue
        for p in sorted(root.rglob("*")):
            if not p.is_file() or p.suffix not in DATA_SUFFIXES | TEXT_SUFFIXES:
                continue
            if p.stat().st_size > 200_000 or "generate" in p.name or p.name == "expected.json":
                continue
            try:
                load_config(p)
            except Exception:
                continue
            out.append((p, p.suffix))
    return out


def _walk(tree: Any, rng: random.Random) -> tuple[Any, Any] | None:
    """A random (container, key) inside ``tree`` (descending with probability 0.6)."""
    node, slot = tree, None
    for _ in range(12):
        if isinstance(node, dict) and node:
            key = rng.choice(list(node))
        elif isinstance(node, list) and node:
            key = rng.randrange(len(node))
        else:
            break
        slot = (node, key)
        if rng.random() > 0.6:
            break
        node = node[key]
    return slot


def _mutate_data(tree: Any, rng: random.Random) -> Any:
    slot = _walk(tree, rng)
    if slot is None:
        return rng.choice(HOSTILE)
    parent, key = slot
    r = rng.random()
    if r < 0.15 and isinstance(parent, dict):
        del parent[key]
    elif r < 0.25:
        deep: Any = 1
        for _ in range(rng.choice([5, 50, 99])):
            deep = [deep]
        parent[key] = deep
    else:
        parent[key] = rng.choice(HOSTILE)
    return tree


def _dump(tree: Any, suffix: str) -> str:
    if suffix == ".json":
        return json.dumps(tree)
    return yaml.safe_dump(tree, sort_keys=False)


def _mutate_text(text: str, rng: random.Random) -> str:
    r = rng.random()
    if r < 0.4:
        nums = list(re.finditer(r"(?<![\w.])\d+(?:\.\d+)?(?:e-?\d+)?", text))
        if nums:
            m = rng.choice(nums)
            return text[: m.start()] + rng.choice(NUMBER_LITERALS) + text[m.end() :]
    lines = text.splitlines(keepends=True)
    if r < 0.55 and lines:
        del lines[rng.randrange(len(lines))]
        return "".join(lines)
    if r < 0.7 and lines:
        i = rng.randrange(len(lines))
        lines.insert(i, lines[i])
        return "".join(lines)
    if r < 0.85:
        i = rng.randrange(len(text) + 1)
        return text[:i] + rng.choice("{}[]()'\":=") + text[i:]
    return text[: rng.randrange(len(text) + 1)]


def mutate(seed: Path, rng: random.Random) -> str:
    """One hostile variant of the config ``seed`` (its text)."""
    text = seed.read_text()
    if seed.suffix in DATA_SUFFIXES and rng.random() < 0.8:
        try:
            tree = json.loads(text) if seed.suffix == ".json" else yaml.safe_load(text)
        except (ValueError, yaml.YAMLError):
            return _mutate_text(text, rng)
        return _dump(_mutate_data(tree, rng), seed.suffix)
    return _mutate_text(text, rng)


def copy_folder(seed: Path, where: Path) -> Path:
    """The seed's folder (its config files only, for includes) copied under ``where``; the
    path of the seed's copy."""
    folder = where / seed.parent.name
    if not folder.exists():
        shutil.copytree(
            seed.parent,
            folder,
            ignore=lambda _d, names: [n for n in names if "tfevents" in n or n.endswith(".csv")],
        )
    return folder / seed.name


def check_one(seed: Path, text: str) -> str:
    """Write ``text`` over a fresh copy of ``seed`` (in a copy of its folder) and load it;
    ``"ok"`` or ``"error"``. Anything but a :class:`ConfigError` naming the file fails."""
    with tempfile.TemporaryDirectory() as where:
        return _check_copy(seed, text, Path(where))


def _check_copy(seed: Path, text: str, where: Path) -> str:
    target = copy_folder(seed, where)
    target.write_text(text)
    t0 = time.perf_counter()
    try:
        load_config(target)
        outcome = "ok"
    except ConfigError as e:
        msg = str(e)
        assert str(target) in msg or target.name in msg, f"{msg[:300]} does not name {target}"
        outcome = "error"
    dt = time.perf_counter() - t0
    assert dt < SECONDS, f"{seed}: {dt:.1f} s for one mutation"
    return outcome
