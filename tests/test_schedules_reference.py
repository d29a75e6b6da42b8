"""Every family reproduces the real framework implementations (fixtures/reference/*.json).

The curves were produced by ``fixtures/reference/generate.py`` with the frameworks themselves
(torch, TF, Keras, transformers, optax, Paddle, fvcore, timm; the TF OD API and the CLR callback
as their formulas in TF float32 ops / NumPy). Each case carries the lraudit ``Schedule`` that the
documented mapping (``docs/families.md``) gives for the framework's arguments; no framework is
imported here.

Tolerance. Libraries computing in float64 (torch, transformers, Paddle 2.x, fvcore, timm, the
CLR callback) must agree to ``rtol = 1e-9`` (they differ from lraudit only in the order of float64
operations; torch's recursive cosine update accumulates ~1e-13). Libraries computing in float32
(TF, Keras, optax, the OD API in TF ops) are compared at float32 precision: each op rounds to
2**-24 relative, so a value built from a handful of ops is within a few ulps, ``rtol = 1e-6``
(8 ulps). Powers are the exception the arithmetic itself implies: ``r ** p`` with ``p`` and ``r``
rounded to float32 carries a relative error of about ``|p ln r| * 2**-24`` on top, so for the
exponential family the tolerance is ``1e-6 * (1 + |ln(lr / init_lr)|)``. Absolute differences
below ``1e-6 * max|lr|`` of a curve are accepted where the value itself is near 0 (a cosine at
its zero, computed as ``0.5 L (1 + cos(pi))`` in float32).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lraudit.types import Schedule, Warmup

REF = Path(__file__).resolve().parents[1] / "fixtures" / "reference"

FLOAT64_RTOL = 1e-9
FLOAT32_RTOL = 1e-6


def _load() -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for path in sorted(REF.glob("*.json")):
        doc = json.loads(path.read_text())
        for case in doc["cases"]:
            out.append((doc["library"], case.get("dtype", doc["dtype"]), case))
    return out


CASES = _load()


def to_schedule(d: dict[str, Any]) -> Schedule:
    w = d.get("warmup")
    return Schedule(
        d["family"], d["params"], warmup=Warmup(**w) if w else None, min_lr=d.get("min_lr")
    )


def tolerance(dtype: str, sched: Schedule, values: np.ndarray) -> np.ndarray:
    """Per-point relative tolerance implied by the library's arithmetic (see module doc)."""
    if dtype == "float64":
        return np.full(values.shape, FLOAT64_RTOL)
    rtol = np.full(values.shape, FLOAT32_RTOL)
    if sched.family == "exponential":
        init = float(sched.params["init_lr"])
        with np.errstate(divide="ignore"):
            rtol = FLOAT32_RTOL * (1.0 + np.abs(np.log(np.maximum(values, 1e-300) / init)))
    return rtol


def rel_error(
    dtype: str, case: dict[str, Any], before: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Relative errors, tolerances and the near-zero mask; for a documented divergence
    (``match_until``) over the steps before it (``before``) or from it on."""
    sched = to_schedule(case["schedule"])
    steps = np.asarray(case["steps"], dtype=np.float64)
    want = np.asarray(case["values"], dtype=np.float64)
    if "match_until" in case:
        keep = (steps < case["match_until"]) if before else (steps >= case["match_until"])
        steps, want = steps[keep], want[keep]
    got = sched.evaluate(steps)
    scale = float(np.max(np.abs(want)))
    err = np.abs(got - want)
    rel = err / np.maximum(np.abs(want), 1e-300)
    # near-zero values of a float32 library: judge them in absolute terms on the curve's scale
    floor = FLOAT32_RTOL * scale if dtype == "float32" else FLOAT64_RTOL * scale
    ok_abs = err <= floor
    return rel, tolerance(dtype, sched, want), ok_abs


def test_reference_fixtures_exist_and_cover_every_library_and_family() -> None:
    libs = {lib for lib, _, _ in CASES}
    assert {
        "torch",
        "tf",
        "keras",
        "transformers",
        "optax",
        "paddle",
        "fvcore",
        "timm",
        "tf_odapi_formula",
        "clr_formula",
    } <= libs
    fams = {c["schedule"]["family"] for _, _, c in CASES}
    from lraudit.vocab import FAMILY_PARAMS

    assert fams == set(FAMILY_PARAMS)
    total = sum(p.stat().st_size for p in REF.glob("*.json"))
    assert total < 1_000_000


@pytest.mark.parametrize(
    ("library", "dtype", "case"), CASES, ids=[f"{lib}-{c['id']}" for lib, _, c in CASES]
)
def test_reference_case_is_reproduced(library: str, dtype: str, case: dict[str, Any]) -> None:
    rel, tol, ok_abs = rel_error(dtype, case)
    bad = ~((rel <= tol) | ok_abs)
    if bad.any():
        i = int(np.argmax(np.where(bad, rel / tol, 0)))
        pytest.fail(
            f"{library}/{case['id']}: {int(bad.sum())} of {rel.size} points off; worst at step "
            f"{case['steps'][i]}: rel error {rel[i]:.3g} > {tol[i]:.3g} ({case['api']})"
        )


DIVERGENCES = [c for c in CASES if "match_until" in c[2]]


@pytest.mark.parametrize(
    ("library", "dtype", "case"), DIVERGENCES, ids=[c[2]["id"] for c in DIVERGENCES]
)
def test_documented_divergences_really_diverge(library: str, dtype: str, case: dict) -> None:
    # docs/families.md "Not expressible exactly": reproduced up to match_until, not after
    rel, tol, ok_abs = rel_error(dtype, case, before=False)
    assert rel.size and (~((rel <= tol) | ok_abs)).any(), case["id"]


def test_the_comparison_detects_an_off_by_one_boundary() -> None:
    # the documented +1 for TF's "old value at the boundary" convention is needed: without it
    # the boundary step itself is wrong by a factor 10
    lib, dtype, case = next(c for c in CASES if c[0] == "tf" and c[2]["id"] == "piecewise_constant")
    wrong = json.loads(json.dumps(case))
    wrong["schedule"]["params"]["boundaries"] = case["kwargs"]["boundaries"]
    rel, tol, ok_abs = rel_error(dtype, wrong)
    bad = ~((rel <= tol) | ok_abs)
    assert [wrong["steps"][i] for i in np.nonzero(bad)[0]] == [50, 120]


def max_errors() -> dict[str, tuple[float, float]]:
    """Per library: the largest relative error, and the largest error relative to the peak."""
    out: dict[str, tuple[float, float]] = {}
    for lib, _dtype, case in CASES:
        if "match_until" in case:
            continue
        sched = to_schedule(case["schedule"])
        want = np.asarray(case["values"], dtype=np.float64)
        got = sched.evaluate(np.asarray(case["steps"], dtype=np.float64))
        err = np.abs(got - want)
        rel = float(np.max(err / np.maximum(np.abs(want), 1e-300)))
        peak = float(np.max(err) / np.max(np.abs(want)))
        r0, p0 = out.get(lib, (0.0, 0.0))
        out[lib] = (max(r0, rel), max(p0, peak))
    return out


if __name__ == "__main__":  # pragma: no cover
    from collections import Counter

    n = Counter(lib for lib, _, c in CASES if "match_until" not in c)
    for lib, (rel, peak) in sorted(max_errors().items()):
        print(f"{lib:18s} {n[lib]:3d} cases  max rel error {rel:.3g}  max error/peak {peak:.3g}")
    print(f"total {sum(n.values())} cases reproduced, {len(DIVERGENCES)} documented divergences")
