#!/usr/bin/env bash
# Long fuzzing run of the event-file reader and the config parsers (the test suite runs a short
# seeded sample of both).
#   scripts/fuzz.sh [EXAMPLES]      # default 100000 hypothesis examples per property
# Covers: byte flips, insertions, deletions, huge length fields, truncation at every offset of
# the last record, CRC-valid garbage (re-framed mutations); checks that nothing raises, that the
# fast and reference decoders agree (points, tags, plugins, sessions, notes), that every record
# before the first damaged byte is kept, and that the wire decoder matches protobuf per record.
# Configs: every fixture / config-examples config with hostile values, numbers, lines and
# brackets mutated; each loads or fails with one ConfigError naming the file, in < 5 s.
set -euo pipefail
cd "$(dirname "$0")/.."
export FUZZ_EXAMPLES="${1:-100000}"
exec python -m pytest -q -p no:randomly -m slow tests/fuzz "${@:2}"
