"""A fit keeps what the optimiser said (status, message) and the winner's BIC."""

from __future__ import annotations

import math

import numpy as np

from lraudit import curves
from lraudit.fitting import fit_arrays


def test_fit_result_carries_the_optimiser_status_message_and_bic() -> None:
    x = np.arange(0, 5000, 10)
    y = (0.1 * 0.5 ** (x / 1000.0)).astype(np.float32)
    r = fit_arrays(x, y)
    assert r.schedule.family == "exponential"
    assert r.optimizer_status is not None and r.optimizer_status >= 0
    assert r.optimizer_message
    assert r.bic is not None and math.isfinite(r.bic)
    # the BIC of a float32-exact fit is the floored noise term plus the parameter penalty
    assert r.bic <= x.size * math.log(1e-6**2) + 10 * math.log(x.size)


def test_nothing_refined_has_no_optimiser_status() -> None:
    r = fit_arrays([0, 1], [0.1, 0.1])
    assert r.status == "failed" and r.optimizer_status is None and r.bic is None


def test_curve_toolbox_reads_a_warmup_and_a_staircase() -> None:
    x = np.arange(20.0)
    y = np.r_[np.linspace(0.01, 0.1, 5), np.full(5, 0.1), np.full(5, 0.05), np.full(5, 0.025)]
    d = curves.directions(y)
    rel = curves.relative_changes(y)
    top = curves.rise_end(d, rel)
    assert top == 4
    assert curves.ramp_shape(x, y, d, top) == "linear"
    assert curves.flat_jumps(d, rel, top) == [10, 15]
    assert curves.rises(d, rel, top) == ()
    assert curves.levels(y, [5, 10, 15, 20]) == [0.1, 0.05, 0.025]
    assert curves.flat_tail(d, y.size) == 15
    assert curves.settled_from(y) == 15
    assert curves.big_changes(y[5:]).tolist() == [5, 10]
