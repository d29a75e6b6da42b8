"""Segmentation: a periodic schedule's own restarts are part of its family, a resume breaks the
structure (lraudit.segments)."""

from __future__ import annotations

import numpy as np
import pytest

from lraudit.segments import segment_arrays


def _f32(y: np.ndarray) -> np.ndarray:
    return np.asarray(y, dtype=np.float32).astype(np.float64)


def _torch_lrs(make, n: int) -> np.ndarray:
    torch = pytest.importorskip("torch")
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=0.1)
    sched = make(torch, opt)
    out = []
    for _ in range(n):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return _f32(np.array(out))


@pytest.mark.parametrize(
    ("t0", "mult", "cadence", "first"),
    [(190, 2, 28, 28), (585, 1, 6, 6), (793, 2, 68, 0), (60, 2, 12, 12)],
)
def test_sgdr_restarts_are_not_resumes(t0: int, mult: int, cadence: int, first: int) -> None:
    """CosineAnnealingWarmRestarts logged every few steps, the window starting mid-cycle."""
    n = t0 * (1 + mult + mult**2) + 10
    y = _torch_lrs(
        lambda torch, o: torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(
            o, T_0=t0, T_mult=mult, eta_min=1e-4
        ),
        n,
    )
    steps = np.arange(first, n, cadence)
    seg = segment_arrays(steps, y[steps])
    assert len(seg) == 1, [(g.first_step, g.reason) for g in seg.segments]


def test_decay_resumed_into_new_cosine_is_cut() -> None:
    """An exponential decay (flat-ending, like a cosine's floor) resumed with a new cosine at a
    lower peak: the decay is no cosine half-wave, so the jump is a resume."""
    x1 = np.arange(0, 1500, 10)
    y1 = 0.1 * 0.998**x1
    x2 = np.arange(0, 2000, 10)
    y2 = 0.06 * 0.5 * (1 + np.cos(np.pi * x2 / 2000))
    steps = np.r_[x1, 1500 + x2]
    seg = segment_arrays(steps, _f32(np.r_[y1, y2]))
    assert [g.first_step for g in seg.segments] == [0, 1500]


def test_cosine_cut_before_its_floor_then_restarted_is_cut() -> None:
    """A cosine resumed at 60 % of its decay with the schedule restarted: the fall never reached
    a floor, so the jump breaks the cosine structure."""
    x = np.arange(0, 3000, 10)
    y1 = 0.1 * 0.5 * (1 + np.cos(np.pi * x[:180] / 3000))
    y2 = 0.1 * 0.5 * (1 + np.cos(np.pi * x / 3000))
    steps = np.r_[x[:180], 1800 + x]
    seg = segment_arrays(steps, _f32(np.r_[y1, y2]), restarts=[1800])
    assert [g.first_step for g in seg.segments] == [0, 1800]


def test_jump_into_a_warmup_after_a_cosine_floor_is_cut() -> None:
    """A full cosine to its floor, then a new training with a linear warmup: the points after
    the jump rise, which no cosine restart does."""
    x = np.arange(0, 1000, 10)
    y1 = 1e-3 * 0.5 * (1 + np.cos(np.pi * x / 1000))
    y2 = np.r_[np.linspace(2e-4, 8e-4, 10), 8e-4 * 0.5 * (1 + np.cos(np.pi * x[:90] / 900))]
    seg = segment_arrays(np.r_[x, 1000 + x], _f32(np.r_[y1, y2]), restarts=[1000])
    assert [g.first_step for g in seg.segments] == [0, 1000]


def test_one_cycle_from_a_tiny_lr_starts_at_its_lowest_point() -> None:
    """A staircase level, then a new training whose one-cycle rises (cosine) from 1e-4 of its
    peak: the rise is convex, its backward line passes far below 0, yet the lowest point is the
    new training's first (off the flat level by many of its own changes)."""
    from lraudit.schedules import Schedule

    one = Schedule(
        "one_cycle",
        {"max_lr": 3.4e-4, "total_steps": 118, "pct_start": 0.3, "init_lr": 3.5e-8, "end_lr": 5e-8},
    )
    x = np.arange(0, 70)
    y = np.r_[np.full(40, 1.64e-7), one.evaluate(x.astype(float))]
    seg = segment_arrays(np.arange(110), _f32(y))
    assert [g.first_step for g in seg.segments] == [0, 40]


def test_linear_decay_then_warmup_into_a_level_is_cut() -> None:
    """A linear decay, then a new training whose linear warmup starts inside the decay's slope
    (no jump) and rises into a level that holds: two straight sides meet as in a CyclicLR
    valley, but no triangle turns into a level."""
    x = np.arange(0, 3000, 50)
    y1 = 3.38e-3 + (4.7e-6 - 3.38e-3) * x / 3019
    w = np.arange(0, 3000, 50)
    y2 = np.where(w < 700, 1.24e-5 + (6.92e-3 - 1.24e-5) * w / 700, 6.92e-3)
    seg = segment_arrays(np.r_[x, 3000 + w], _f32(np.r_[y1, y2]))
    assert [g.first_step for g in seg.segments] == [0, 3000]


def test_rise_above_the_last_peak_after_a_valley_is_no_triangle() -> None:
    """A three-phase one-cycle's last phase rising slowly to its end LR, a fall, then a new
    training's straight warmup 5000x higher: a CyclicLR cycle never grows, so the valley is a
    reset."""
    from lraudit.schedules import Schedule

    one = Schedule(
        "one_cycle",
        {
            "max_lr": 1.5e-4,
            "total_steps": 28400,
            "pct_start": 0.113,
            "init_lr": 5.9e-8,
            "end_lr": 6.8e-8,
            "three_phase": True,
        },
    )
    x = np.arange(0, 14800, 100)
    w = np.arange(0, 10000, 100)
    y2 = np.where(w < 400, 4.1e-9 + (3.2e-4 - 4.1e-9) * w / 400, 3.2e-4 / (1 + w / 5000))
    y = np.r_[one.evaluate(x.astype(float)), y2]
    seg = segment_arrays(np.r_[x, 14800 + w], _f32(y), restarts=[14800])
    assert [g.first_step for g in seg.segments] == [0, 14800]


def test_resumes_at_a_common_period_with_growing_peaks_are_cut() -> None:
    """A one-cycle, then two new trainings (a cosine to 0, a polynomial) that start at the
    same interval after the last peak, each higher than it: the period repeats by chance, but
    no cyclic family's peaks grow."""
    from lraudit.schedules import Schedule

    parts = [
        Schedule(
            "one_cycle",
            {
                "max_lr": 0.0406,
                "total_steps": 267,
                "pct_start": 0.196,
                "init_lr": 8.93e-4,
                "end_lr": 3.73e-6,
                "three_phase": True,
            },
        ),
        Schedule("cosine", {"peak_lr": 0.0431, "end_lr": 0.0, "decay_steps": 107}),
        Schedule(
            "polynomial",
            {"init_lr": 0.0505, "end_lr": 5.06e-3, "decay_steps": 77, "power": 0.5},
        ),
    ]
    lengths = [169, 122, 90]
    y = np.concatenate(
        [p.evaluate(np.arange(n, dtype=float)) for p, n in zip(parts, lengths, strict=True)]
    )
    seg = segment_arrays(np.arange(y.size), _f32(y))
    assert [g.first_step for g in seg.segments] == [0, 169, 291]


def test_exp_range_cyclic_valley_at_a_file_start_is_not_cut() -> None:
    """CyclicLR exp_range (sides bent by gamma ** t) with a reader restart at a valley."""
    y = _torch_lrs(
        lambda torch, o: torch.optim.lr_scheduler.CyclicLR(
            o, 1e-4, 1e-3, step_size_up=110, mode="exp_range", gamma=0.9983
        ),
        500,
    )
    steps = np.arange(2, 500, 2)
    seg = segment_arrays(steps, y[steps], restarts=[220])
    assert len(seg) == 1, [(g.first_step, g.reason) for g in seg.segments]


def test_coarse_one_cycle_rise_at_a_file_start_is_not_cut() -> None:
    """OneCycleLR logged every 544 steps: its rise is two points, a file starts inside it."""
    y = _torch_lrs(
        lambda torch, o: torch.optim.lr_scheduler.OneCycleLR(
            o, max_lr=0.36, total_steps=10248, pct_start=0.14
        ),
        10248,
    )
    steps = np.arange(0, 10248, 544)
    seg = segment_arrays(steps, y[steps], restarts=[1088])
    assert len(seg) == 1, [(g.first_step, g.reason) for g in seg.segments]


def test_a_segment_whose_fit_misses_its_curve_is_flagged_in_every_format(tmp_path) -> None:
    """A second training no family explains (a stretched exponential) after a cosine: its fit
    is marked poor and an unexplained_lr finding names the segment; the text, markdown and
    HTML rows say so."""
    from lraudit import audit
    from lraudit.report import Options, render
    from lraudit.testing import write_scalars

    x1 = np.arange(0, 1500, 10)
    y1 = 0.02 * 0.5 * (1 + np.cos(np.pi * x1 / 2000))
    x2 = np.arange(0, 1000, 10)
    y2 = 0.04 * np.exp(-((x2 / 400.0) ** 3))
    steps = np.r_[x1, 1500 + x2]
    write_scalars(tmp_path, "lr", steps, _f32(np.r_[y1, y2]))
    rep = audit(str(tmp_path))
    (run,) = rep.runs
    assert [g.first_step for g in run.segments] == [0, 1500]
    assert run.segments[0].fit is not None and run.segments[0].fit.status == "ok"
    assert run.segments[1].fit is not None and run.segments[1].fit.status == "poor"
    bad = [f for f in run.findings if f.name == "unexplained_lr"]
    assert len(bad) == 1 and "segment 2" in bad[0].message
    assert bad[0].step is not None and bad[0].step >= 1500
    assert run.status != "ok"
    for fmt in ("text", "markdown", "html"):
        assert "poor fit" in render(rep, fmt, Options()), fmt


def test_a_restarted_training_is_fitted_on_its_own_clock(tmp_path) -> None:
    """A resume that restarted warmup + cosine at step 1500 (first logged at 1600): on the
    absolute clock no warmup can start at 1500; on its own clock the segment is warmup + cosine
    at float32 precision, described with the step its clock counts from."""
    from lraudit import audit
    from lraudit.describe import describe_fit
    from lraudit.testing import write_scalars

    def sched(t: np.ndarray) -> np.ndarray:
        warm = 0.01 + (0.04 - 0.01) * t / 300
        cos = 0.04 * 0.5 * (1 + np.cos(np.pi * (t - 300) / 2700))
        return np.where(t < 300, warm, cos)

    x1 = np.arange(100, 1501, 100)
    x2 = np.arange(1600, 3001, 100)
    steps = np.r_[x1, x2]
    write_scalars(tmp_path, "lr", steps, _f32(np.r_[sched(x1), sched(x2 - 1500)]))
    (run,) = audit(str(tmp_path)).runs
    assert [g.first_step for g in run.segments] == [100, 1600]
    fit = run.segments[1].fit
    assert fit is not None and fit.explained and fit.offset == -1600
    np.testing.assert_allclose(fit.evaluate(x2), sched(x2 - 1500), rtol=1e-5)
    assert fit.schedule.warmup is not None and fit.schedule.warmup.steps == 200
    assert "counted from step 1,600" in describe_fit(fit)


def test_row_nanmedian_is_numpys() -> None:
    import warnings

    from lraudit.segments import _row_nanmedian

    rng = np.random.default_rng(0)
    for t in range(200):
        a = rng.random((40, 6)) * 10.0 ** float(rng.integers(-5, 5))
        a[rng.random(a.shape) < rng.random()] = np.nan
        if t % 5 == 0:
            a[rng.random(a.shape) < 0.1] = np.inf
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows
            want = np.nanmedian(a, axis=1)
        assert np.array_equal(_row_nanmedian(a), want, equal_nan=True)
