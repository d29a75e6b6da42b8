"""Fuzzing the event-file reader: mutated files never raise, decoders agree, nothing is lost.

The slow tests draw mutations with hypothesis (``scripts/fuzz.sh`` runs them with a large
budget: ``FUZZ_EXAMPLES``); the fast ones replay a fixed, seeded sample on every test run.
"""

from __future__ import annotations

import os
import random

import pytest

pytest.importorskip("tensorboard", reason="the corpus is written with tensorboard's protos")

from check import check_file, check_records, reframe  # noqa: E402
from corpus import events, mutate_file, mutate_payload  # noqa: E402

PAYLOADS = events()
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))


@pytest.mark.parametrize("seed", range(40))
def test_seeded_file_mutations(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(10):
        buf, at = mutate_file(PAYLOADS, rng)
        check_file(buf, PAYLOADS, at)


@pytest.mark.parametrize("seed", range(10))
def test_seeded_record_mutations_match_protobuf(seed: int) -> None:
    rng = random.Random(1000 + seed)
    check_records([mutate_payload(rng.choice(PAYLOADS), rng) for _ in range(200)])


def test_truncation_at_every_offset_of_the_last_record() -> None:
    from check import reframe

    buf = reframe(PAYLOADS)
    last = len(buf) - (len(PAYLOADS[-1]) + 16)
    for at in range(last, len(buf)):
        check_file(buf[:at], PAYLOADS, at)


hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies


@pytest.mark.slow
@hypothesis.settings(max_examples=EXAMPLES, deadline=None, derandomize=False)
@hypothesis.given(st.randoms(use_true_random=False))
def test_hypothesis_file_mutations(rng: random.Random) -> None:
    buf, at = mutate_file(PAYLOADS, rng)
    check_file(buf, PAYLOADS, at)


@pytest.mark.slow
@hypothesis.settings(max_examples=EXAMPLES, deadline=None)
@hypothesis.given(st.integers(0, len(PAYLOADS) - 1), st.binary(max_size=8), st.data())
def test_hypothesis_record_edits_match_protobuf(k: int, ins: bytes, data: st.DataObject) -> None:
    p = PAYLOADS[k]
    at = data.draw(st.integers(0, len(p)))
    cut = data.draw(st.integers(0, 4))
    check_records([p[:at] + ins + p[at + cut :]])


@pytest.mark.parametrize(
    "record",
    [
        b"\x0b\x00\x00\x0c",  # field 0 inside an unknown group: upb skips it
        b"\x0b\x03\x04\x0c",  # a field-0 group inside an unknown group
        b"\x2a\x04\x0b\x00\x00\x0c",  # the same inside the summary
        b"\x0b\x04\x0c",  # an end of group for field 0 closes nothing: rejected
        b"\x00\x00",  # field 0 at top level: rejected
    ],
)
def test_groups_follow_upb(record: bytes) -> None:
    """Found by scripts/fuzz.sh (100,000 examples): a mutation that starts a group."""
    check_records([record])


def test_the_mutation_found_by_the_long_fuzz_run() -> None:
    p = PAYLOADS[17]
    check_records([b"\x0b" + p[2:]])
    check_file(reframe([b"\x0b" + p[2:]]), [b"\x0b" + p[2:]], None)
