"""Frozen value types shared by every layer of lraudit.

The data flow is ``LRSeries -> FitResult``, ``config -> IntendedSchedule``,
``(series, fit, intended) -> Finding[] -> RunAudit -> AuditReport``. All of these are immutable
values; nothing here does I/O.

Step convention
---------------
A :class:`Schedule` maps the x-axis value that was logged (global step, iteration or epoch) to a
learning rate. The warmup, when present, covers steps ``0 <= s < warmup.steps`` and *replaces* the
family there; the family is evaluated on absolute steps (families whose decay starts later carry a
``start_step`` parameter and are flat at their initial value before it). ``min_lr`` clamps the
family part from below (``max(lr, min_lr)``), as TF OD API's ``min_learning_rate`` does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

import numpy as np

from lraudit.plain import plain as _plain
from lraudit.schedules.schedule import Schedule as Schedule
from lraudit.schedules.warmups import Warmup as Warmup

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd  # type: ignore[import-untyped]


class Severity(str, Enum):
    """Severity of a finding, ordered ``info < warning < error``."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return {"info": 0, "warning": 1, "error": 2}[self.value]


# --------------------------------------------------------------------------- reader


@dataclass(frozen=True, eq=False)
class ReplacedSegment:
    """Points of a run that a later write of the same steps replaced (resume / restart).

    Kept because the overlap is where a schedule that was not restored on resume shows.
    """

    file: str
    steps: np.ndarray
    values: np.ndarray
    wall_times: np.ndarray


@dataclass(frozen=True)
class Restart:
    """A later event file of a run that holds this tag: a new writer session (a resume, or a
    new training written into the same run directory).

    ``first_step`` / ``last_step`` are the file's own first and last step for the tag;
    ``previous_last_step`` is the last step of the file before it (read order). ``overlaps`` is
    True when the file starts at or before that step (the reader's "restart"); a file that
    starts after it continues the run. ``overlapped_points`` counts the points of earlier files
    this file rewrote, and ``overlap_max_rel_diff`` is the largest relative difference
    ``|new - old| / max(|new|, |old|)`` between a rewrite and the value it replaced (None when
    nothing was rewritten): 0 for a resume that reproduced the schedule exactly.
    """

    file: str
    first_step: int
    last_step: int
    previous_last_step: int
    overlapped_points: int = 0
    overlap_max_rel_diff: float | None = None

    @property
    def overlaps(self) -> bool:
        return self.first_step <= self.previous_last_step


@dataclass(frozen=True, eq=False)
class LRSeries:
    """One learning-rate series: one run x one tag, every point that was logged.

    ``steps`` is ascending int64 with no duplicates (the newest write of a step wins; what it
    replaced is in ``replaced``); ``values`` float64 (non-finite values are kept and noted);
    ``run`` is the run directory relative to the logdir (``"."`` for the root). ``restarts``
    lists every later file of the run that holds the tag, in read order (:class:`Restart`); the
    same facts are in ``notes`` as text.
    """

    run: str
    tag: str
    steps: np.ndarray
    values: np.ndarray
    wall_times: np.ndarray
    files: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    replaced: tuple[ReplacedSegment, ...] = ()
    source: str = "tfevents"
    restarts: tuple[Restart, ...] = ()

    def __len__(self) -> int:
        return int(self.steps.shape[0])

    def __repr__(self) -> str:
        """A one-line summary (the arrays are summarised, never printed whole).

        >>> LRSeries("train", "lr", np.array([0, 10]), np.array([0.1, 0.05]), np.zeros(2))
        LRSeries(run='train', tag='lr', n=2, steps=0..10, values=0.1..0.05)
        """
        n = len(self)
        span = ""
        if n:
            v = self.values
            span = f", steps={self.steps[0]}..{self.steps[-1]}, values={v[0]:.4g}..{v[-1]:.4g}"
        extra = f", notes={len(self.notes)}" if self.notes else ""
        return f"{type(self).__name__}(run={self.run!r}, tag={self.tag!r}, n={n}{span}{extra})"

    def to_dataframe(self) -> pd.DataFrame:
        """The series as a DataFrame with columns ``run, tag, step, value, wall_time``."""
        from lraudit._dist import optional

        optional("pandas", "pandas", "to_dataframe()")
        import pandas as pd

        return pd.DataFrame(
            {
                "run": self.run,
                "tag": self.tag,
                "step": self.steps,
                "value": self.values,
                "wall_time": self.wall_times,
            }
        )


class ScalarSeries(LRSeries):
    """A scalar series of any tag (loss, accuracy, ...), as :func:`lraudit.read_scalars` returns
    for tags that are not learning rates. Same fields and methods as :class:`LRSeries` (a
    subclass, so code written against ``LRSeries`` keeps working)."""

    __slots__ = ()


# --------------------------------------------------------------------------- schedules


# Schedule and Warmup are defined next to their math (lraudit.schedules.schedule, .warmups) and
# re-exported above, so that lraudit.schedules never imports this module.


# --------------------------------------------------------------------------- fit


@dataclass(frozen=True)
class ParamEstimate:
    """One fitted parameter: its value, whether the observed window determines it, and why not."""

    name: str
    value: Any
    identified: bool
    stderr: float | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Alternative:
    """A candidate that fitted worse (or equally well but is more complex)."""

    schedule: Schedule
    rmse_log: float
    delta_bic: float

    @property
    def family(self) -> str:
        return self.schedule.family


@dataclass(frozen=True)
class FitResult:
    """The best schedule for a series plus how well the data determine it.

    ``rmse_log`` is the RMS of ``log(observed) - log(fitted)`` over finite positive points.
    ``params`` lists every parameter (family params by name, warmup ones as ``warmup.steps``,
    ``warmup.start_lr``, and ``min_lr``) with identification status; ``identified`` is the tuple
    of the identified names. ``offset`` is the step-alignment shift used (observed step ``s`` is
    modelled as schedule step ``s + offset``). ``status`` is ``ok`` | ``poor`` | ``failed``.
    ``optimizer_status`` / ``optimizer_message`` are the least-squares status and message of the
    winning refinement (SciPy's convention: > 0 converged, 0 stopped on its evaluation budget,
    -1 failed; None when nothing was refined) and ``bic`` its floored BIC.

    ``explained`` says whether the schedule reproduces every logged point within the tolerance
    the data allow (float32 resolution at the LR level plus the logging noise measured where the
    curve is locally smooth, :mod:`lraudit.fitting.honesty`); when it is False the fit is not a
    result. ``misfit_step`` / ``misfit_rel`` locate the worst point relative to that tolerance
    (the logged step and the relative error there); ``tolerance_rel`` is the relative tolerance
    used.
    """

    schedule: Schedule
    rmse_log: float
    params: tuple[ParamEstimate, ...] = ()
    alternatives: tuple[Alternative, ...] = ()
    offset: int = 0
    n_points: int = 0
    status: str = "ok"
    warnings: tuple[str, ...] = ()
    optimizer_status: int | None = None
    optimizer_message: str = ""
    bic: float | None = None
    explained: bool = False
    misfit_step: float | None = None
    misfit_rel: float | None = None
    tolerance_rel: float | None = None

    @property
    def identified(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params if p.identified)

    @property
    def unidentified(self) -> dict[str, str]:
        return {p.name: p.reason or "" for p in self.params if not p.identified}

    def evaluate(self, steps: Any) -> np.ndarray:
        """The fitted curve at the observed steps (offset applied)."""
        return self.schedule.evaluate(np.asarray(steps) + self.offset)


# --------------------------------------------------------------------------- configs


@dataclass(frozen=True)
class ExactValues:
    """LR values a framework logs exactly where no family + warmup expresses them (YOLOv5: the
    warmup scales ``lr0 lf(e)`` while the decay after it is logged one epoch late).

    ``values[i]`` is the LR logged at step ``first_step + i``; ``rule`` names the framework
    version or parameter group the values belong to (empty for the configured one).
    """

    first_step: int
    values: tuple[float, ...]
    rule: str = ""


@dataclass(frozen=True)
class WarmupFloor:
    """A warmup lengthened by a framework minimum: it lasts
    ``max(round(configured x iterations per epoch), min_iterations)`` iterations.

    ``configured`` is the config's warmup (``key``, in epochs); ``iterations`` and
    ``effective`` (in epochs) are the warmup that runs, None while the iterations per epoch
    are unknown. ``framework`` is the name messages give the rule (``YOLO``).
    """

    min_iterations: int
    configured: float
    effective: float | None
    iterations: int | None
    key: str
    framework: str


@dataclass(frozen=True)
class MetricDriven:
    """A schedule that follows a monitored metric (ReduceLROnPlateau and its kin): the config
    cannot say where its drops are. ``scheduler`` is the config's name for it; ``factor`` the
    configured factor of each drop, when known."""

    scheduler: str
    factor: float | None = None


@dataclass(frozen=True)
class ConfiguredLengths:
    """The warmup and the planned run as the config states them (``WARMUP_ITERS`` and
    ``MAX_ITER``, ``warmup_steps`` and ``max_steps``...), in the config's own step unit."""

    warmup: float
    run: float


@dataclass(frozen=True, eq=False)
class LoggedValues:
    """The values a framework logs at ``steps``, computed by its own arithmetic.

    A parser sets these when it can reproduce the logged LR exactly (YOLO's per-batch warmup read
    at each epoch's last batch, the one-epoch scheduler lag) and no family + warmup can.
    ``tags`` are the logged tags these values are for (e.g. the weight groups, or the bias group
    whose warmup falls from ``warmup_bias_lr``); ``rule`` names the framework version or
    assumption they follow (several entries with the same tags are alternatives when the files do
    not tell the version apart). ``warmup_iterations`` is the warmup length the rule uses.
    """

    steps: tuple[int, ...]
    values: tuple[float, ...]
    tags: tuple[str, ...] = ()
    rule: str = ""
    warmup_iterations: int | None = None

    def applies_to(self, tag: str) -> bool:
        """True when these values are for ``tag`` (matched on the tag or its last ``/`` parts)."""
        return not self.tags or any(tag == t or tag.endswith("/" + t) for t in self.tags)

    def at(self, steps: Any) -> np.ndarray:
        """The exact values at ``steps`` (NaN where this entry states none)."""
        x = np.asarray(steps, dtype=np.float64)
        table = dict(zip(self.steps, self.values, strict=True))
        return np.array([table.get(int(s), np.nan) if s == int(s) else np.nan for s in x.ravel()])


@dataclass(frozen=True, eq=False)
class IntendedSchedule:
    """What the config says should have run.

    ``schedule`` counts steps in ``unit`` (``iteration`` or ``epoch``). Parsers express it on the
    axis the framework logs the LR against (``log_unit``) whenever the conversion is known, with
    the framework's logging alignment folded in, so that ``evaluate(logged_steps)`` is directly
    comparable with the logged values; when it is not known, ``unit != log_unit`` and the
    assumption saying why is recorded. ``horizon`` is the planned length of
    training in ``unit`` (``num_steps``, ``MAX_ITER``, epochs x steps_per_epoch, ...), or None.
    ``assumptions`` records every default applied and every unit conversion made, in words.
    ``settings`` keeps the raw config values that findings quote (e.g. ``{"WARMUP_ITERS": 1000}``).

    What a parser knows about its framework reaches diagnose through the typed fields, never
    through ``settings``: ``metric_driven`` (the LR follows a metric), ``exact_values`` and
    ``exact_alternatives`` (the framework's exact logged values, for the configured version and
    for other versions or groups), ``warmup_floor`` (a framework minimum on the warmup),
    ``warmup_values_approximate`` (why the warmup's values are only approximate),
    ``configured_lengths`` (the warmup and the run as stated). ``axis_forms`` holds the
    schedule's form per logging axis (``epoch``, ``iteration``) when the framework logs it on
    both, with ``epoch_axis_tags`` the tags logged per epoch (see
    :func:`lraudit.configs._intent.for_tag`).

    ``framework`` / ``framework_version`` name what wrote the config and, where LR semantics
    changed between versions, which version the files point to (also said in ``assumptions``).
    ``logged_values`` are the logged values the framework's own arithmetic gives per tag (see
    :class:`LoggedValues`), first the most likely version's, then alternatives.
    ``peak_unknown`` is the reason the peak LR cannot be known from the config (e.g. Ultralytics
    ``optimizer: auto`` without the number of classes); the schedule's peak is then a placeholder
    and only shape and timing may be compared. ``peak_rule`` says how the peak was derived when it
    is not the config's own LR value (e.g. ``optimizer: auto`` chose AdamW at 0.000714).
    """

    schedule: Schedule
    source: str
    format: str
    unit: str = "iteration"
    log_unit: str = "iteration"
    steps_per_epoch: int | None = None
    horizon: int | None = None
    world_size: int | None = None
    expected_tags: tuple[str, ...] = ()
    assumptions: tuple[str, ...] = ()
    settings: Mapping[str, Any] = field(default_factory=dict)
    metric_driven: MetricDriven | None = None
    exact_values: ExactValues | None = None
    exact_alternatives: tuple[ExactValues, ...] = ()
    warmup_floor: WarmupFloor | None = None
    warmup_values_approximate: str | None = None
    configured_lengths: ConfiguredLengths | None = None
    axis_forms: Mapping[str, IntendedSchedule] = field(default_factory=dict)
    epoch_axis_tags: tuple[str, ...] = ()
    framework: str | None = None
    framework_version: str | None = None
    logged_values: tuple[LoggedValues, ...] = ()
    peak_unknown: str | None = None
    peak_rule: str | None = None
    #: when the config steps its scheduler once per epoch and ``schedule`` is that held per
    #: epoch on the iteration axis: the scheduler's own schedule, in its steps (epochs): what
    #: the LR follows if the scheduler is stepped every iteration instead
    stepped_per_epoch: Schedule | None = None

    def evaluate(self, steps: Any) -> np.ndarray:
        """The intended LR at ``steps`` (in ``unit``)."""
        return self.schedule.evaluate(steps)


# --------------------------------------------------------------------------- findings & report


@dataclass(frozen=True)
class Finding:
    """One diagnosis. ``name``/``code`` come from :data:`lraudit.vocab.FINDINGS`.

    ``line`` is the 1-based line of the run's config file (``RunAudit.intended.source``) that
    sets the value the finding is about, when known (a parser may set it; else
    :func:`lraudit.report.locate.attach_lines` looks the setting up in the file); None otherwise.
    """

    name: str
    code: str
    severity: Severity
    message: str
    step: int | None = None
    expected: Any = None
    observed: Any = None
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "step": self.step,
            "expected": _plain(self.expected),
            "observed": _plain(self.observed),
            "line": self.line,
        }


@dataclass(frozen=True, eq=False)
class SegmentAudit:
    """One segment of a run x tag: a stretch of points with one schedule of its own.

    A run is split where a new training starts (a file restarting at or before the previous
    one's last step, a step regression, an LR jump that no schedule family explains, a fall to
    a new warmup). ``starts_because`` is ``"start"`` for the first segment, else the reason;
    ``stray`` marks a short segment from another training (a test run of a few iterations).
    ``fit`` is None for segments too short to fit.
    """

    first_step: int
    last_step: int
    n_points: int
    starts_because: str
    stray: bool = False
    fit: FitResult | None = None


@dataclass(frozen=True)
class RunConfig:
    """The config a run was compared with: ``found`` is ``"given"`` (``--config``),
    ``"beside_run"`` (discovered next to the run) or ``"none"``."""

    path: str | None
    format: str | None
    found: str = "given"


@dataclass(frozen=True, eq=False)
class RunAudit:
    """The audit of one run x tag. ``series``/``fit`` are None when they could not be had.

    ``fit`` is the fit of the run's main segment (the whole series when it is one segment);
    ``segments`` lists every segment when there is more than one; ``notes`` are the reader's
    notes on the series (restarts, overwritten points, damaged tails); ``config`` says which
    config the run was compared with.
    """

    run: str
    tag: str
    series: LRSeries | None
    fit: FitResult | None
    intended: IntendedSchedule | None
    findings: tuple[Finding, ...] = ()
    segments: tuple[SegmentAudit, ...] = ()
    config: RunConfig | None = None
    extra_notes: tuple[str, ...] = ()

    @property
    def notes(self) -> tuple[str, ...]:
        """The reader's notes on the series, then the audit's own (stray segments, a config
        found beside the run that could not be read)."""
        own = self.series.notes if self.series is not None else ()
        return (*own, *self.extra_notes)

    def __repr__(self) -> str:
        fam = self.fit.schedule.family if self.fit is not None else None
        n = len(self.series) if self.series is not None else 0
        return (
            f"RunAudit(run={self.run!r}, tag={self.tag!r}, n={n}, fit={fam!r}, "
            f"status={self.status!r}, findings={[f.name for f in self.findings]!r})"
        )

    @property
    def status(self) -> str:
        """Worst severity present; ``ok`` when nothing is above ``info``."""
        worst = max((f.severity.rank for f in self.findings), default=0)
        return {0: "ok", 1: "warning", 2: "error"}[worst]


@dataclass(frozen=True, eq=False)
class AuditReport:
    """Everything one audit found; its plain-data form is the JSON report (schema_version 1)."""

    path: str
    runs: tuple[RunAudit, ...]
    config_path: str | None = None
    config_format: str | None = None
    intended: IntendedSchedule | None = None
    #: runs that hold event files but no learning-rate tag (an evaluation run beside the
    #: training run), each with the scalar tags it does hold; not audited, and not a finding
    unaudited: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: runs whose audit failed on a worker (an exception, a lost worker), each with a one-line
    #: reason; not audited, the other runs are (``audit(..., dask=...)``)
    failed: tuple[tuple[str, str], ...] = ()

    @property
    def summary(self) -> dict[str, int]:
        errors = sum(f.severity is Severity.ERROR for r in self.runs for f in r.findings)
        warnings = sum(f.severity is Severity.WARNING for r in self.runs for f in r.findings)
        return {"runs": len(self.runs), "errors": errors, "warnings": warnings}

    def worst(self) -> Severity | None:
        ranks = [f.severity for r in self.runs for f in r.findings]
        return max(ranks, key=lambda s: s.rank) if ranks else None

    def __repr__(self) -> str:
        s = self.summary
        return (
            f"AuditReport(path={self.path!r}, config={self.config_path!r}, "
            f"series={len(self.runs)}, errors={s['errors']}, warnings={s['warnings']})"
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON report (schema_version 1) as plain Python data."""
        from lraudit.report.data import to_data

        return to_data(self)

    def to_json(self, indent: int | None = 2) -> str:
        """The JSON report (schema_version 1) as strict JSON text."""
        import json

        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)

    def findings_frame(self) -> pd.DataFrame:
        """One row per finding: ``run, tag, name, code, severity, step, line, message``."""
        from lraudit._dist import optional

        optional("pandas", "pandas", "findings_frame()")
        import pandas as pd

        cols = ["run", "tag", "name", "code", "severity", "step", "line", "message"]
        rows = [
            [r.run, r.tag, f.name, f.code, f.severity.value, f.step, f.line, f.message]
            for r in self.runs
            for f in r.findings
        ]
        return pd.DataFrame(rows, columns=cols)
