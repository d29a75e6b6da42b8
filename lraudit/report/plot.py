"""PNG plots of one run x tag: observed LR, fitted schedule, intended schedule, residuals.

Top panel: the logged points; the fitted schedule over the observed window; the intended
schedule (when a config was given) from step 0 to the config's horizon or the end of its last
phase, whichever is later, so a run that stopped long before its decay ended shows as such;
dotted markers at warmup ends and piecewise boundaries; red lines at the steps findings point
to; each kind of line is in the legend, which sits right of the axes so it never hides points.
The y axis is logarithmic when the logged (and fitted) LRs span more than 1.5 decades; its
limits are those of the logged and fitted values (a schedule that reaches 0 does not stretch it),
and logged zeros, which a log axis cannot show, are marked at its bottom edge and counted in the
legend. Bottom panel, sharing the main panel's x-range: the residuals
``log(observed) - log(fitted)`` and, with a config, ``log(observed) - log(intended)`` per point
(how far, in log terms, the run is from each).

matplotlib is an optional dependency (``pip install "lraudit-tb[plot]"``); it is imported lazily
with the non-interactive Agg backend, so this module never opens a window.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from lraudit.describe import describe_fit, describe_schedule
from lraudit.errors import LrauditError
from lraudit.types import AuditReport, IntendedSchedule, RunAudit, Schedule

#: The LR range (in decades) above which the y axis is logarithmic.
LOG_DECADES = 1.5


def require() -> None:
    """Raise the one-line install hint now when matplotlib is missing (before any work)."""
    _pyplot()


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        from lraudit._dist import pip_hint

        raise LrauditError(
            f"plots need matplotlib, which is not installed; run: {pip_hint('plot')}"
        ) from None
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def plot_filename(run: str, tag: str) -> str:
    """A file name for the plot of ``run`` x ``tag`` (path separators and odd characters -> ``_``).

    >>> plot_filename("exp1/train", "learning_rate")
    'exp1_train__learning_rate.png'
    >>> plot_filename(".", "lr-SGD/pg1")
    'root__lr-SGD_pg1.png'
    """
    r = "root" if run in (".", "") else run

    def clean(s: str) -> str:
        return re.sub(r"[^A-Za-z0-9._-]+", "_", s).strip("_") or "_"

    return f"{clean(r)}__{clean(tag)}.png"


def _safe_eval(schedule: Schedule | IntendedSchedule, steps: np.ndarray) -> np.ndarray | None:
    try:
        return np.asarray(schedule.evaluate(steps), dtype=np.float64)
    except (LrauditError, ValueError, TypeError, KeyError):
        # A family the registry cannot evaluate yet: plot without that curve.
        return None


def _markers(schedule: Schedule | None, offset: int = 0) -> list[float]:
    """Phase boundaries of ``schedule`` on the logged axis: warmup end and piecewise boundaries."""
    if schedule is None:
        return []
    xs: list[float] = []
    if schedule.warmup is not None and schedule.warmup.steps > 0:
        xs.append(float(schedule.warmup.steps) - offset)
    p = schedule.params
    if schedule.family == "piecewise":
        xs += [float(b) - offset for b in p.get("boundaries", [])]
    for key in ("start_step",):
        if p.get(key):
            xs.append(float(p[key]) - offset)
    if schedule.family == "warmup_stable_decay" and p.get("stable_steps") is not None:
        w = schedule.warmup.steps if schedule.warmup else 0
        xs.append(float(w) + float(p["stable_steps"]) - offset)
    return xs


def schedule_end(schedule: Schedule) -> float:
    """The last step where the schedule changes phase (decay end, last boundary), 0 if none.

    The intended curve is drawn at least this far, so a decay planned far past the run shows.
    """
    from lraudit.schedules import key_steps

    return max(key_steps(schedule, None))


def use_log_scale(curves: list[np.ndarray]) -> bool:
    """True when the finite positive values span more than :data:`LOG_DECADES` decades.

    >>> use_log_scale([np.array([1e-3, 1e-2])]), use_log_scale([np.array([0.0, 1e-5, 1e-3])])
    (False, True)
    """
    arrays = [np.asarray(c, dtype=np.float64) for c in curves]
    positive = np.concatenate([c[np.isfinite(c) & (c > 0)] for c in arrays] or [np.zeros(0)])
    return bool(positive.size) and float(np.log10(positive.max() / positive.min())) > LOG_DECADES


def figure(run: RunAudit, *, width: float = 9.0) -> Any:
    """The matplotlib figure of one run x tag (axes: LR panel, residual panel); close it after."""
    plt = _pyplot()
    fig, (ax, axr) = plt.subplots(
        2,
        1,
        figsize=(width, width * 0.55),
        sharex=True,
        gridspec_kw={"height_ratios": [3, 1], "hspace": 0.12},
    )
    try:
        _draw(ax, axr, run)
    except BaseException:
        plt.close(fig)
        raise
    # the legend sits right of the axes, so it never hides the last points
    fig.subplots_adjust(left=0.09, right=0.74, top=0.84, bottom=0.1)
    return fig


def render_png(run: RunAudit, *, dpi: int = 100, width: float = 9.0) -> bytes:
    """The plot of one run x tag as PNG bytes (no metadata that varies between calls)."""
    plt = _pyplot()
    fig = figure(run, width=width)
    try:
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
        return buf.getvalue()
    finally:
        plt.close(fig)


def _vlines(ax: Any, xs: list[float], label: str, **style: Any) -> None:
    """Vertical lines at ``xs``; the first one carries ``label`` so the kind is in the legend."""
    for i, x in enumerate(sorted(set(xs))):
        ax.axvline(x, label=label if i == 0 else None, **style)


def log_limits(curves: list[np.ndarray]) -> tuple[float, float]:
    """y limits of a log axis holding the finite positive values of ``curves`` (a margin of
    a fifth of a decade), so a schedule that reaches 0 does not stretch the axis to 1e-10.

    >>> [round(v, 6) for v in log_limits([np.array([1e-3, 0.0, 1e-1])])]
    [0.000631, 0.158489]
    """
    positive = np.concatenate([c[np.isfinite(c) & (c > 0)] for c in curves])
    lo, hi = float(positive.min()), float(positive.max())
    return lo / 10**0.2, hi * 10**0.2


def _draw_intended(
    ax: Any, intended: IntendedSchedule, lo: float, hi: float, has_points: bool
) -> None:
    """The intended curve over the whole configured run, its phase ends and its horizon; the
    logged window shaded when the run extends well past it."""
    end = max(hi, float(intended.horizon or 0), schedule_end(intended.schedule))
    grid = np.linspace(0.0, end, 800)
    y = _safe_eval(intended, grid)
    if y is not None:
        ax.plot(grid, y, "--", color="tab:green", lw=1.5, label="intended (config)")
    _vlines(ax, _markers(intended.schedule), "intended phase end", color="tab:green", ls=":", lw=1)
    if intended.horizon:
        ax.axvline(float(intended.horizon), color="tab:green", ls="-.", lw=0.8, label="horizon")
    if has_points and end > hi * 1.05:
        ax.axvspan(lo, hi, color="0.92", zorder=0, label="logged window")


def _draw_fit(
    ax: Any, fit: Any, lo: float, hi: float, steps: np.ndarray, curves: list[np.ndarray]
) -> np.ndarray | None:
    """The fitted curve over the logged window (added to ``curves``) and its phase ends;
    returns the fit at the logged steps (None when it cannot be evaluated)."""
    grid = np.linspace(lo, hi, 800)
    y = _safe_eval_fit(fit, grid)
    if y is not None:
        ax.plot(grid, y, "-", color="tab:orange", lw=1.8, label="fitted")
        curves.append(y)
    fitted_at_points = _safe_eval_fit(fit, steps)
    _vlines(
        ax,
        _markers(fit.schedule, fit.offset),
        "fitted phase end",
        color="tab:orange",
        ls=":",
        lw=1,
    )
    return fitted_at_points


def _log_axis(ax: Any, steps: np.ndarray, values: np.ndarray, curves: list[np.ndarray]) -> None:
    """A log y axis limited to the logged (and fitted) curves; logged zeros, which a log axis
    cannot show, are marked at its bottom edge."""
    ax.set_yscale("log")
    bottom, top = log_limits(curves)
    ax.set_ylim(bottom, top)
    zero = values <= 0
    if zero.any():
        ax.plot(
            steps[zero],
            np.full(int(zero.sum()), bottom),
            "v",
            ms=5,
            color="tab:purple",
            clip_on=False,
            zorder=4,
            label=f"logged 0 ({int(zero.sum())}, at the axis)",
        )


def _titles(ax: Any, run: RunAudit) -> None:
    """Run, tag and status as the figure title; the fit and intended schedules beneath it."""
    ax.figure.suptitle(f"{run.run} · {run.tag} · {run.status}", fontsize=10)
    sub = "fit:      " + describe_fit(run.fit)
    if run.intended is not None:
        sub += "\nintended: " + describe_schedule(run.intended.schedule)
    ax.set_title(sub, fontsize=7, family="monospace", loc="left")
    ax.set_ylabel("learning rate")
    ax.grid(True, alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)


def _draw_residuals(
    axr: Any,
    steps: np.ndarray,
    values: np.ndarray,
    against: list[tuple[np.ndarray | None, str, str]],
) -> None:
    """``log(observed / model)`` at the logged steps for each model that could be evaluated."""
    axr.axhline(0.0, color="0.5", lw=0.8)
    drawn = False
    for ref, colour, label in against:
        if ref is None:
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            res = np.log(values) - np.log(ref)
        ok = np.isfinite(res)
        if ok.any():
            axr.plot(steps[ok], res[ok], ".", ms=3, color=colour, label=label)
            drawn = True
    if drawn:
        axr.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    else:
        axr.text(0.5, 0.5, "no fit", transform=axr.transAxes, ha="center", va="center")
    axr.set_ylabel("log(observed/model)", fontsize=7)
    axr.set_xlabel("step")
    axr.grid(True, alpha=0.3)


def _draw(ax: Any, axr: Any, run: RunAudit) -> None:
    s = run.series
    has_points = s is not None and len(s) > 0
    steps = np.asarray(s.steps, dtype=np.float64) if s is not None and has_points else np.zeros(0)
    values = np.asarray(s.values, dtype=np.float64) if s is not None and has_points else np.zeros(0)
    lo = float(steps.min()) if has_points else 0.0
    hi = float(steps.max()) if has_points else 1.0
    curves: list[np.ndarray] = [values]

    intended = run.intended
    comparable = intended is not None and intended.unit == intended.log_unit
    if intended is not None and comparable:
        _draw_intended(ax, intended, lo, hi, has_points)
    fitted_at_points = None
    if run.fit is not None and has_points:
        fitted_at_points = _draw_fit(ax, run.fit, lo, hi, steps, curves)

    log = use_log_scale(curves)
    if has_points:
        shown = values > 0 if log else np.isfinite(values)
        ax.plot(
            steps[shown],
            values[shown],
            "o",
            ms=3,
            color="tab:blue",
            label=f"logged {run.tag}",
            zorder=3,
        )
    finding_steps = [float(f.step) for f in run.findings if f.step is not None]
    _vlines(ax, finding_steps, "finding", color="tab:red", lw=1, alpha=0.7)
    # The scale follows what was logged (and fitted over the same window): an intended cosine
    # that reaches 0 long after the run must not squash the observed curve onto a log axis.
    if log:
        _log_axis(ax, steps, values, curves)
    _titles(ax, run)

    against = [(fitted_at_points, "tab:orange", "vs fit")]
    if intended is not None and comparable and has_points:
        against.append((_safe_eval(intended, steps), "tab:green", "vs intended"))
    _draw_residuals(axr, steps, values, against)


def _safe_eval_fit(fit: Any, steps: np.ndarray) -> np.ndarray | None:
    try:
        return np.asarray(fit.evaluate(steps), dtype=np.float64)
    except (LrauditError, ValueError, TypeError, KeyError):
        return None


def write_plots(
    report: AuditReport,
    directory: str | Path,
    *,
    dpi: int = 100,
    progress: Callable[[int, int, str], Any] | None = None,
) -> list[Path]:
    """Write one PNG per run x tag into ``directory`` (created); returns the paths in run order.

    ``progress(done, total, label)`` is called after each file, as :func:`lraudit.audit` does.
    """
    d = Path(directory)
    try:
        d.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LrauditError(f"--plot {d}: cannot create the directory ({exc.strerror})") from None
    paths: list[Path] = []
    seen: set[str] = set()
    for r in report.runs:
        name = plot_filename(r.run, r.tag)
        stem, k = name[:-4], 2
        while name in seen:
            name, k = f"{stem}_{k}.png", k + 1
        seen.add(name)
        p = d / name
        try:
            p.write_bytes(render_png(r, dpi=dpi))
        except OSError as exc:
            raise LrauditError(f"--plot {p}: cannot write ({exc.strerror})") from None
        paths.append(p)
        if progress is not None:
            progress(len(paths), len(report.runs), f"plot {r.run} {r.tag}")
    return paths
