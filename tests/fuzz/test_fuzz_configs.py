"""Fuzzing the config parsers: a mutated config of any format loads or fails with one
:class:`~lraudit.errors.ConfigError` naming the file, in bounded time (issue 16, item 5).

The fast test replays a fixed, seeded sample on every run; the slow one draws with hypothesis
(``scripts/fuzz.sh`` runs it with a large ``FUZZ_EXAMPLES``).
"""

from __future__ import annotations

import os
import random

import pytest
from configs import check_one, mutate, seeds
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SEEDS = seeds()
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))


def test_the_corpus_covers_every_kind_of_config() -> None:
    suffixes = {p.suffix for p, _ in SEEDS}
    assert {".yaml", ".json", ".config", ".py"} <= suffixes, suffixes
    assert len(SEEDS) >= 20


@pytest.mark.parametrize("seed", range(20))
def test_seeded_config_mutations(seed: int) -> None:
    rng = random.Random(seed)
    outcomes = []
    for i in range(12):
        path, _ = SEEDS[(seed * 12 + i) % len(SEEDS)]
        outcomes.append(check_one(path, mutate(path, rng)))
    assert outcomes  # every mutation ended in a schedule or a ConfigError


@pytest.mark.slow
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(index=st.integers(0, 10**6), salt=st.integers(0, 2**32))
def test_hypothesis_config_mutations(index: int, salt: int) -> None:
    path, _ = SEEDS[index % len(SEEDS)]
    check_one(path, mutate(path, random.Random(salt)))
