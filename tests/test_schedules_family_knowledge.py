"""Each family module carries its knowledge: roles, horizon, key steps, description, fit flags.

The fitter, the describer and ``explain`` read these; nothing else names a family.
"""

from __future__ import annotations

import ast
import math
from pathlib import Path

import numpy as np
import pytest

from lraudit.describe import describe, describe_schedule
from lraudit.schedules import FAMILIES, ROLES, Schedule, Warmup, families, key_steps
from lraudit.schedules.base import Family, ParamSpec

PKG = Path(__file__).resolve().parents[1] / "lraudit"


@pytest.mark.parametrize("fam", FAMILIES, ids=lambda f: f.name)
def test_every_family_declares_its_knowledge(fam: Family) -> None:
    assert all(p.role in ROLES for p in fam.params)
    assert math.isfinite(fam.simplicity)
    assert fam.describe is not None and fam.key_steps is not None
    for h in fam.horizon:
        spec = fam.spec(h)
        assert spec is not None and spec.role == "step", (fam.name, h)
    for p in fam.params:
        if p.end:
            assert p.role == "level", (fam.name, p.name)
        if p.kind in ("bool", "choice"):
            assert p.role == "choice", (fam.name, p.name)


def test_simplicity_orders_the_families_without_ties() -> None:
    ranks = [f.simplicity for f in FAMILIES]
    assert len(set(ranks)) == len(ranks)
    assert min(FAMILIES, key=lambda f: f.simplicity).name == "constant"


def test_a_parameter_without_a_known_role_is_refused() -> None:
    with pytest.raises(ValueError, match="role"):
        Family("bad", lambda s: s, (ParamSpec("lr", "float", role="speed"),))
    with pytest.raises(ValueError, match="horizon"):
        Family("bad", lambda s: s, (ParamSpec("lr", "float", role="level"),), horizon=("T",))


@pytest.mark.parametrize(
    ("schedule", "words"),
    [
        (Schedule("constant", {"lr": 0.1}), "constant 0.1"),
        (
            Schedule(
                "cosine",
                {"peak_lr": 0.08, "end_lr": 0.0, "decay_steps": 49000, "start_step": 1000},
                warmup=Warmup(1000, 0.0266666),
            ),
            "warmup 1000 (0.0267→0.08) + cosine 0.08→0 over steps 1000–50000",
        ),
        (
            Schedule(
                "exponential",
                {
                    "init_lr": 0.1,
                    "decay_rate": 0.5,
                    "decay_steps": 10,
                    "staircase": True,
                    "start_step": 5,
                },
            ),
            "exponential 0.1 ×0.5 per 10 staircase from 5",
        ),
        (
            Schedule(
                "warmup_stable_decay",
                {
                    "peak_lr": 1.0,
                    "stable_steps": 30,
                    "decay_steps": 10,
                    "end_lr": 0.0,
                    "decay_shape": "linear",
                },
            ),
            "stable 1 for 30 + linear decay →0 over 10",
        ),
    ],
)
def test_descriptions_read_the_same_as_before(schedule: Schedule, words: str) -> None:
    assert describe_schedule(schedule) == words


def test_descriptions_with_a_unit_name_it_at_every_count() -> None:
    s = Schedule(
        "cosine",
        {"peak_lr": 0.08, "end_lr": 0.0, "decay_steps": 49000, "start_step": 1000},
        warmup=Warmup(1000, 0.0266666),
    )
    assert describe(s, "iteration") == (
        "warmup 1000 iterations (0.0267→0.08) + cosine 0.08→0 over iterations 1000–50000"
    )
    p = Schedule("piecewise", {"boundaries": [30, 40], "values": [0.1, 0.01, 0.001]})
    assert describe(p, "epoch") == "piecewise 0.1 → 0.01 @30 → 0.001 @40 (epochs)"


def test_unidentified_values_carry_the_one_mark() -> None:
    s = Schedule("cosine", {"peak_lr": 0.1, "end_lr": 0.08, "decay_steps": 1e5})
    text = describe(s, unknown=("end_lr", "decay_steps"))
    assert text == "cosine 0.1→0.08? over 100000? steps"


def test_key_steps_come_from_each_family() -> None:
    wsd = Schedule(
        "warmup_stable_decay",
        {"peak_lr": 1.0, "stable_steps": 30, "decay_steps": 10},
        warmup=Warmup(10, 0.0),
    )
    # the stable phase counts from the warmup end: the decay starts at 10 + 30
    assert key_steps(wsd, 100.0) == [0.0, 9.0, 10.0, 39.0, 40.0, 70.0, 100.0]
    one = Schedule("one_cycle", {"max_lr": 1.0, "total_steps": 50, "init_lr": 0.1, "end_lr": 0.001})
    assert 50.0 in key_steps(one, 60.0) and 49.0 in key_steps(one, 60.0)


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def test_schedules_import_nothing_above_them() -> None:
    # types, fitting, reports and configs build on schedules, never the reverse (no cycle, at
    # module or function level)
    allowed = ("lraudit.schedules", "lraudit.errors", "lraudit.plain", "lraudit.curves")
    for path in sorted((PKG / "schedules").glob("*.py")):
        for mod in _imports(path):
            if mod.startswith("lraudit"):
                assert mod.startswith(allowed), (path.name, mod)
    for name in ("curves.py", "plain.py"):
        assert not {m for m in _imports(PKG / name) if m.startswith("lraudit")}


def test_the_fitter_names_no_family_outside_its_builders() -> None:
    # family knowledge is read from the schedule modules; only the candidate builders (one per
    # family) and the constant fallback of an empty search may name a family
    for path in sorted((PKG / "fitting").rglob("*.py")):
        if path.name in ("decays.py", "cycles.py", "warmup.py"):  # warmup: shape names
            continue
        text = path.read_text()
        for name in families():
            if name == "constant":
                continue
            assert f'"{name}"' not in text, (path.name, name)


def test_registry_evaluates_through_the_warmup_table() -> None:
    s = Schedule("constant", {"lr": 1.0}, warmup=Warmup(4, 0.2, "exponential"))
    np.testing.assert_allclose(s.evaluate([0, 2, 4]), [0.2, 0.2 * 5**0.5, 1.0])
