"""The plain-data form of an :class:`~lraudit.types.AuditReport`: the JSON report, schema_version 1.

Contract (DESIGN.md): the top-level keys are ``schema_version, tool, path, config, runs,
summary``; each run has ``run, tag, n_points, first_step, last_step, fit, intended, findings,
status``; ``fit`` is ``{family, params, warmup, min_lr, identified, rmse_log, alternatives}`` or
null when no fit was possible; ``intended`` is ``{family, params, warmup, min_lr, source}`` or
null. Compatible extensions (documented in docs/cli.md): ``fit.unidentified`` (param -> why the
data do not determine it), ``fit.offset``, ``fit.status``, ``fit.description``;
``intended.format/unit/log_unit/horizon/steps_per_epoch/world_size/assumptions/description``;
``summary.infos`` and ``summary.status``; per run ``segments`` (every segment when the run holds
more than one training, else empty), ``config`` (the config the run was compared with and how it
was found) and ``notes`` (the reader's notes); top-level ``unaudited`` (runs without an LR tag, with
the scalar tags they hold; a run whose audit failed on a Dask worker has no tags and a ``reason``). Keys never depend on verbosity; non-finite numbers
become null so the output is strict JSON.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from lraudit._version import __version__
from lraudit.describe import describe_fit, describe_schedule
from lraudit.plain import plain as _plain

if TYPE_CHECKING:  # never at run time: AuditReport.to_dict imports this module
    from lraudit.types import AuditReport, FitResult, IntendedSchedule, RunAudit

SCHEMA_VERSION = 1


def _num(x: Any) -> float | None:
    if x is None:
        return None
    v = float(x)
    return v if math.isfinite(v) else None


def _clean(v: Any) -> Any:
    """Plain JSON values, recursively; non-finite floats become None."""
    v = _plain(v)
    if isinstance(v, dict):
        return {str(k): _clean(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_clean(x) for x in v]
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def fit_to_data(fit: FitResult | None) -> dict[str, Any] | None:
    """``runs[].fit`` of the JSON report (None when there is no fit)."""
    if fit is None:
        return None
    d = fit.schedule.to_dict()
    return _clean(
        {
            "family": d["family"],
            "params": d["params"],
            "warmup": d["warmup"],
            "min_lr": d["min_lr"],
            "identified": list(fit.identified),
            "rmse_log": _num(fit.rmse_log),
            "alternatives": [
                {"family": a.family, "delta_bic": _num(a.delta_bic)} for a in fit.alternatives
            ],
            "unidentified": dict(fit.unidentified),
            "offset": int(fit.offset),
            "status": fit.status,
            "description": describe_fit(fit),
        }
    )


def intended_to_data(intended: IntendedSchedule | None) -> dict[str, Any] | None:
    """``runs[].intended`` of the JSON report (None without a config)."""
    if intended is None:
        return None
    d = intended.schedule.to_dict()
    return _clean(
        {
            "family": d["family"],
            "params": d["params"],
            "warmup": d["warmup"],
            "min_lr": d["min_lr"],
            "source": intended.source,
            "format": intended.format,
            "unit": intended.unit,
            "log_unit": intended.log_unit,
            "horizon": intended.horizon,
            "steps_per_epoch": intended.steps_per_epoch,
            "world_size": intended.world_size,
            "assumptions": list(intended.assumptions),
            "description": describe_schedule(intended.schedule),
        }
    )


def run_to_data(run: RunAudit) -> dict[str, Any]:
    """One element of ``runs`` of the JSON report."""
    s = run.series
    n = len(s) if s is not None else 0
    first = int(s.steps[0]) if s is not None and n else None
    last = int(s.steps[-1]) if s is not None and n else None
    return {
        "run": run.run,
        "tag": run.tag,
        "n_points": n,
        "first_step": first,
        "last_step": last,
        "fit": fit_to_data(run.fit),
        "intended": intended_to_data(run.intended),
        "findings": [_clean(f.to_dict()) for f in run.findings],
        "status": run.status,
        "segments": [
            {
                "first_step": g.first_step,
                "last_step": g.last_step,
                "n_points": g.n_points,
                "starts_because": g.starts_because,
                "stray": g.stray,
                "fit": fit_to_data(g.fit),
            }
            for g in run.segments
        ],
        "config": None
        if run.config is None
        else {"path": run.config.path, "format": run.config.format, "found": run.config.found},
        "notes": list(run.notes),
    }


def to_data(report: AuditReport) -> dict[str, Any]:
    """The JSON report (schema_version 1) as plain Python data."""
    summary: dict[str, Any] = dict(report.summary)
    summary["infos"] = sum(f.severity.value == "info" for r in report.runs for f in r.findings)
    worst = report.worst()
    summary["status"] = "ok" if worst is None or worst.value == "info" else worst.value
    config = None
    if report.config_path is not None:
        config = {"path": str(report.config_path), "format": report.config_format}
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "lraudit", "version": __version__},
        "path": str(report.path),
        "config": config,
        "runs": [run_to_data(r) for r in report.runs],
        "summary": summary,
        "unaudited": [{"run": run, "tags": list(tags)} for run, tags in report.unaudited]
        + [{"run": run, "tags": [], "reason": why} for run, why in report.failed],
    }


def load_schema() -> dict[str, Any]:
    """The JSON Schema of the report (``lraudit/report/schema.json``, shipped as package data)."""
    import json
    from importlib.resources import files

    return json.loads(files("lraudit.report").joinpath("schema.json").read_text(encoding="utf-8"))
