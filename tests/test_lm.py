"""The lean Levenberg-Marquardt pass (lraudit.fitting.lm.screen)."""

from __future__ import annotations

import numpy as np

from lraudit.fitting.lm import screen


def _counting(fun):  # type: ignore[no-untyped-def]
    calls = [0]

    def f(z: np.ndarray) -> np.ndarray:
        calls[0] += 1
        return fun(z)

    return f, calls


def test_converges_on_an_exact_problem() -> None:
    x = np.linspace(0, 1, 50)
    y = 2.0 * np.exp(-3.0 * x)

    def fun(z: np.ndarray) -> np.ndarray:
        return z[0] * np.exp(-z[1] * x) - y

    z, status = screen(fun, np.array([1.0, 1.0]), np.array([0.0, 0.0]), np.array([10.0, 10.0]), 60)
    assert status == 1
    assert np.allclose(z, [2.0, 3.0], rtol=1e-6)


def test_stall_ends_a_pass_that_cannot_reach_an_exact_fit() -> None:
    # a straight line fitted to a parabola: the cost stops falling far above zero
    x = np.linspace(-1, 1, 80)
    y = x**2

    def fun(z: np.ndarray) -> np.ndarray:
        return z[0] + z[1] * x - y

    lo, hi = np.array([-5.0, -5.0]), np.array([5.0, 5.0])
    f1, plain = _counting(fun)
    screen(f1, np.array([3.0, 2.0]), lo, hi, 30)
    f2, stalled = _counting(fun)
    z, status = screen(f2, np.array([3.0, 2.0]), lo, hi, 30, stall=1e-6)
    assert status == 0
    assert stalled[0] < plain[0]
    # the step taken is kept: it is the least-squares line (one Gauss-Newton step is exact here)
    assert np.allclose(z, np.polyfit(x, y, 1)[::-1], atol=1e-6)
