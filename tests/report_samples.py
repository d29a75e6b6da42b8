"""Hand-built AuditReport values for formatter tests (no reader, fitter or config parser involved).

The LR curves are computed here with numpy from the OD API formula (warmup + cosine, TF OD API
``cosine_decay_with_warmup``), so the plots have realistic data.
"""

from __future__ import annotations

import numpy as np

from lraudit.types import (
    Alternative,
    AuditReport,
    Finding,
    FitResult,
    IntendedSchedule,
    LRSeries,
    ParamEstimate,
    RunAudit,
    Schedule,
    Warmup,
)
from lraudit.vocab import FINDINGS

BASE, TOTAL, W, W_LR = 0.08, 50000, 1000, 0.026666


def finding(name: str, message: str, step: int | None = None, **kw: object) -> Finding:
    code, sev = FINDINGS[name]
    return Finding(name, code, sev, message, step=step, **kw)  # type: ignore[arg-type]


def odapi_cosine(steps: np.ndarray) -> np.ndarray:
    """OD API cosine_decay_with_warmup (float32 like TF), hold 0."""
    s = steps.astype(np.float32)
    c = 0.5 * BASE * (1 + np.cos(np.pi * (s - W) / np.float32(TOTAL - W)))
    lr = np.where(s < W, W_LR + (BASE - W_LR) / W * s, c)
    return np.where(s > TOTAL, 0.0, lr).astype(np.float32).astype(np.float64)


def series(run: str, steps: np.ndarray, values: np.ndarray, tag: str = "learning_rate") -> LRSeries:
    return LRSeries(
        run=run,
        tag=tag,
        steps=steps.astype(np.int64),
        values=values,
        wall_times=1.7e9 + steps.astype(np.float64),
        files=(f"{run}/events.out.tfevents.1700000000.host",),
    )


def intended_schedule() -> Schedule:
    return Schedule(
        "cosine",
        {"peak_lr": BASE, "end_lr": 0.0, "decay_steps": TOTAL - W, "start_step": W},
        warmup=Warmup(W, W_LR, "linear"),
    )


def intended() -> IntendedSchedule:
    return IntendedSchedule(
        schedule=intended_schedule(),
        source="fixtures/demo/pipeline.config",
        format="odapi",
        horizon=TOTAL,
        expected_tags=("learning_rate",),
        assumptions=("hold_base_rate_steps not set: 0 (proto default)",),
        settings={"total_steps": TOTAL, "warmup_steps": W},
    )


def demo_report() -> AuditReport:
    """Two runs: one follows the config (decay horizon far past the run), one is stuck."""
    steps = np.arange(100, 5001, 100)
    good_fit = FitResult(
        schedule=intended_schedule(),
        rmse_log=3.1e-8,
        params=(
            ParamEstimate("peak_lr", BASE, True, 1e-9),
            ParamEstimate("end_lr", 0.0, False, reason="the curve is far from its end"),
            ParamEstimate(
                "decay_steps", TOTAL - W, False, reason="only 8% of the decay is observed"
            ),
            ParamEstimate("start_step", W, True),
            ParamEstimate("warmup.steps", W, True),
            ParamEstimate("warmup.start_lr", W_LR, True, 2e-8),
        ),
        alternatives=(
            Alternative(
                Schedule(
                    "polynomial",
                    {
                        "init_lr": BASE,
                        "end_lr": 0.0,
                        "decay_steps": 90000,
                        "power": 2.0,
                        "start_step": W,
                    },
                    warmup=Warmup(W, W_LR),
                ),
                rmse_log=4.0e-6,
                delta_bic=35.1,
            ),
        ),
        n_points=50,
    )
    it = intended()
    good = RunAudit(
        run="good/train",
        tag="learning_rate",
        series=series("good/train", steps, odapi_cosine(steps)),
        fit=good_fit,
        intended=it,
        findings=(
            finding(
                "horizon_exceeds_run",
                "the cosine decays over 50000 steps but the run stops at 5000 (10%), so the LR"
                " only fell from 0.08 to 0.0787; this matches the config",
                expected=TOTAL,
                observed=5000,
            ),
        ),
    )
    const_values = np.full(steps.shape, np.float64(np.float32(W_LR)))
    stuck = RunAudit(
        run="stuck/train",
        tag="learning_rate",
        series=series("stuck/train", steps, const_values),
        fit=FitResult(
            schedule=Schedule("constant", {"lr": float(np.float32(W_LR))}),
            rmse_log=0.0,
            params=(ParamEstimate("lr", float(np.float32(W_LR)), True),),
            n_points=50,
        ),
        intended=it,
        findings=(
            finding(
                "constant_lr",
                "the LR stays at 0.0267 from step 100 to 5000 but the config warms up to 0.08"
                " by step 1000 and then decays; is the global step passed to the optimizer?",
                step=100,
                expected=0.0296,
                observed=0.0267,
            ),
        ),
    )
    return AuditReport(
        path="fixtures/demo/logs",
        runs=(good, stuck),
        config_path="fixtures/demo/pipeline.config",
        config_format="odapi",
        intended=it,
        # an evaluation run beside the training runs: reported as not audited, not a finding
        unaudited=(("eval", ("DetectionBoxes_Precision/mAP", "Loss/total_loss")),),
    )


def problems_report() -> AuditReport:
    """No config; names and messages full of characters each format must escape."""
    steps = np.array([0, 10, 20, 30, 40, 50, 60, 70])
    vals = np.array([0.1, 0.1, 0.1, 0.01, 0.01, 0.01, np.nan, 0.001])
    weird = RunAudit(
        run="exp|1,a:b/<train>",
        tag="lr-SGD/pg%1",
        series=series("exp|1,a:b/<train>", steps, vals, tag="lr-SGD/pg%1"),
        fit=FitResult(
            schedule=Schedule("piecewise", {"boundaries": [30, 70], "values": [0.1, 0.01, 0.001]}),
            rmse_log=1e-7,
            params=(
                ParamEstimate("boundaries", [30, 70], True),
                ParamEstimate("values", [0.1, 0.01, 0.001], True),
            ),
            alternatives=(
                Alternative(Schedule("constant", {"lr": 0.01}), float("inf"), float("inf")),
            ),
            n_points=8,
            status="poor",
        ),
        intended=None,
        findings=(
            finding("non_finite_lr", "1 NaN value at step 60 (100% broken?)\nsecond line", 60),
            finding(
                "schedule_reset",
                'the LR "jumps" back, & resets <here>',
                step=None,
            ),
        ),
    )
    empty = RunAudit(
        run=".",
        tag="learning_rate",
        series=series(".", np.array([5, 6]), np.array([0.1, 0.1])),
        fit=None,
        intended=None,
        findings=(finding("too_few_points", "only 2 points; need at least 5 to fit"),),
    )
    missing = RunAudit(
        run="eval",
        tag="",
        series=None,
        fit=None,
        intended=None,
        findings=(finding("no_lr_tag", "no learning-rate tag; tags present: loss, accuracy"),),
    )
    return AuditReport(path="runs/", runs=(weird, empty, missing))


def clean_report() -> AuditReport:
    """One run that matches its config: no finding at all."""
    rep = demo_report()
    good = rep.runs[0]
    ok = RunAudit(good.run, good.tag, good.series, good.fit, good.intended, findings=())
    return AuditReport(rep.path, (ok,), rep.config_path, rep.config_format, rep.intended)


SAMPLES = {"demo": demo_report, "problems": problems_report, "clean": clean_report}
