"""The tolerances and sizes the rules share, each with why it has that value."""

from __future__ import annotations

#: Relative agreement at every point for a run to match its config (0.01 %).
REL_TOL = 1e-4

#: Relative agreement per point for a hypothesis (a scale factor, a time scale...) to explain it.
HYP_TOL = 1e-3

#: A same-length warmup off by at most this (relative) while the schedule after it differs is
#: the after-warmup difference showing through the ramp (a linear_factor warmup scales the
#: running schedule; a linear one heads for its value), not a warmup finding of its own.
WARMUP_KNOCK_ON = 0.02

#: Relative range below which a logged series is constant (a few float32 ulps).
FLAT_TOL = 1e-6

#: Relative upward jump, after a decrease, that counts as a reset ...
JUMP = 0.01

#: ... when it is also this fraction of the curve's range, in one logged interval.
JUMP_RANGE = 0.05

#: Fewer finite points than this cannot be fitted.
MIN_POINTS = 5

#: Without a config, a constant LR is reported from this many points on.
LONG_RUN_POINTS = 10

#: ``horizon_exceeds_run`` when the intended LR moves less than this over the run ...
HORIZON_FLAT = 0.05

#: ... and the schedule's horizon is at least this many times the last logged step.
HORIZON_FACTOR = 2.0

#: Families whose LR rises again by design: rises are not resets.
PERIODIC = frozenset({"cosine_restarts", "cyclic"})
