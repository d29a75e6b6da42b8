"""Plot layout: the legend beside the axes, every kind of line in it, one x-range for both
panels, a log axis limited to the data, zeros shown on a log axis."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from report_samples import SAMPLES, finding

pytest.importorskip("matplotlib")
import matplotlib.pyplot as plt  # noqa: E402

from lraudit.report.plot import figure  # noqa: E402


def _labels(ax) -> list[str]:
    return ax.get_legend_handles_labels()[1]


def test_legend_is_outside_the_axes_and_names_every_line() -> None:
    run = SAMPLES["demo"]().runs[1]  # stuck run: a finding at a step
    run = dataclasses.replace(run, findings=(finding("constant_lr", "stuck", step=200),))
    fig = figure(run)
    try:
        ax, axr = fig.axes[:2]
        fig.canvas.draw()
        legend = ax.get_legend().get_window_extent()
        assert legend.x0 >= ax.get_window_extent().x1  # never over the points
        labels = _labels(ax)
        assert "finding" in labels and "intended phase end" in labels and "horizon" in labels
        assert labels.count("finding") == 1  # one entry per kind, not per line
        assert ax.get_xlim() == axr.get_xlim()  # the residual panel shares the x-range
    finally:
        plt.close(fig)


def test_log_axis_is_limited_to_the_data_and_zeros_are_marked() -> None:
    run = SAMPLES["demo"]().runs[0]
    assert run.series is not None
    values = run.series.values.copy()
    values[:3] = 1e-6  # 5 decades: log axis
    values[-4:] = 0.0
    run = dataclasses.replace(run, series=dataclasses.replace(run.series, values=values))
    fig = figure(run)
    try:
        ax = fig.axes[0]
        assert ax.get_yscale() == "log"
        bottom, top = ax.get_ylim()
        assert 1e-7 < bottom < 1e-6 and 0.08 < top < 0.2  # not down to 1e-10
        zero_label = [x for x in _labels(ax) if x.startswith("logged 0")]
        assert zero_label == ["logged 0 (4, at the axis)"]
        (marks,) = [line for line in ax.get_lines() if line.get_label() == zero_label[0]]
        np.testing.assert_allclose(marks.get_ydata(), bottom)
    finally:
        plt.close(fig)
