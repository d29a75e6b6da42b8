"""``lraudit explain`` and ``lraudit families``: the intended curve of a config, the vocabulary.

``explain`` needs no logs: it parses the config (:func:`lraudit.load_config`) and prints the
intended schedule in one line, its units, horizon and the assumptions the parser made, and the
learning rate at the steps where something happens (start, warmup end, boundaries, decay start,
half-way, horizon) so it can be compared by eye with TensorBoard.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

import numpy as np

from lraudit.describe import describe_schedule, fmt_step
from lraudit.errors import LrauditError
from lraudit.schedules import key_steps
from lraudit.types import IntendedSchedule


def explain_data(intended: IntendedSchedule, steps: int | None = None) -> dict[str, Any]:
    """The plain data of ``explain``: schedule, units, horizon, assumptions and key points.

    ``points`` are the LR at :func:`key_steps` up to the horizon (``steps`` or the config's),
    then at the phase ends planned after it, flagged ``after_horizon``.
    """
    end = steps if steps is not None else intended.horizon
    xs = key_steps(intended.schedule, None if end is None else float(end))
    # Phase ends planned after the run's last step: the classic "total_steps 50000 but
    # num_steps 5000" case, where the decay the user expects never happens.
    later = [x for x in key_steps(intended.schedule, None) if end is not None and x > end]
    xs = xs + later
    try:
        ys = [float(v) for v in intended.evaluate(np.asarray(xs))]
    except (LrauditError, ValueError, TypeError, KeyError) as exc:
        raise LrauditError(
            f"{intended.source}: cannot evaluate the intended {intended.schedule.family} "
            f"schedule ({exc})"
        ) from None
    return {
        "source": intended.source,
        "format": intended.format,
        "schedule": intended.schedule.to_dict(),
        "description": describe_schedule(intended.schedule),
        "unit": intended.unit,
        "log_unit": intended.log_unit,
        "steps_per_epoch": intended.steps_per_epoch,
        "horizon": intended.horizon,
        "world_size": intended.world_size,
        "expected_tags": list(intended.expected_tags),
        "assumptions": list(intended.assumptions),
        "points": [
            {"step": _num(x), "lr": y, "after_horizon": end is not None and x > end}
            for x, y in zip(xs, ys, strict=True)
        ],
    }


def _num(x: float) -> int | float:
    return int(x) if float(x).is_integer() else float(x)


def format_explain(data: dict[str, Any], fmt: str = "text") -> str:
    """Render :func:`explain_data` as ``text``, ``json`` or ``markdown``."""
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    md = fmt == "markdown"
    unit = data["unit"]
    horizon = "unknown" if data["horizon"] is None else f"{fmt_step(data['horizon'])} {unit}s"
    lines = []
    if md:
        lines += [f"## Intended schedule of `{data['source']}` ({data['format']})", ""]
        lines += [f"**{data['description']}**", ""]
        lines += [f"- counted in: {unit}s (logged against {data['log_unit']}s)"]
        lines += [f"- horizon: {horizon}"]
    else:
        lines += [f"{data['source']} ({data['format']})", f"  schedule: {data['description']}"]
        lines += [f"  counted in: {unit}s (logged against {data['log_unit']}s)"]
        lines += [f"  horizon:  {horizon}"]
    if data["steps_per_epoch"]:
        lines.append(("- " if md else "  ") + f"steps per epoch: {data['steps_per_epoch']}")
    if data["world_size"]:
        lines.append(("- " if md else "  ") + f"world size: {data['world_size']}")
    if data["expected_tags"]:
        lines.append(("- " if md else "  ") + "LR tag(s): " + ", ".join(data["expected_tags"]))
    if data["assumptions"]:
        lines += ["", "### Assumptions", ""] if md else ["assumptions:"]
        lines += [("- " if md else "  - ") + a for a in data["assumptions"]]
    lines += ["", f"| {unit} | learning rate |", "|---:|---:|"] if md else [f"{unit:>12}  lr"]
    for pt in data["points"]:
        note = "  (after the horizon: never reached)" if pt.get("after_horizon") else ""
        if md:
            lines.append(f"| {fmt_step(pt['step'])} | {pt['lr']:.6g}{note} |")
        else:
            lines.append(f"{fmt_step(pt['step']):>12}  {pt['lr']:.6g}{note}")
    return "\n".join(lines) + "\n"


def explain(
    config: str | Path,
    *,
    format: str = "text",
    config_format: str = "auto",
    steps: int | None = None,
    steps_per_epoch: int | None = None,
    world_size: int | None = None,
) -> str:
    """Parse ``config`` and return the explanation of its intended LR schedule as ``format``.

    ``steps`` is the planned number of training steps (overrides the config's ``num_steps``);
    the curve is shown up to it, else up to the config's horizon.
    """
    from lraudit.configs import load_config

    units: dict[str, Any] = {}
    if steps is not None:
        units["num_steps"] = steps
    if steps_per_epoch is not None:
        units["steps_per_epoch"] = steps_per_epoch
    if world_size is not None:
        units["world_size"] = world_size
    intended = load_config(config, format=config_format, **units)
    return format_explain(explain_data(intended, steps), format)


# --------------------------------------------------------------------------- families


def _without_doctests(doc: str) -> str:
    r"""The docstring, dedented, up to its first doctest example (those are for the tests).

    >>> _without_doctests("Constant.\n\n    .. math:: lr(s) = lr\n\n    >>> f(1)\n    1")
    'Constant.\n\n.. math:: lr(s) = lr'
    """
    kept = []
    for line in inspect.cleandoc(doc).splitlines():
        if line.lstrip().startswith(">>>"):
            break
        kept.append(line)
    return "\n".join(kept).rstrip()


def families_data() -> dict[str, Any]:
    """The vocabulary: every registered family (params, summary, formula) and every finding."""
    from lraudit.schedules import families
    from lraudit.vocab import FINDINGS

    fams = []
    for name, fam in sorted(families().items()):
        fams.append(
            {
                "name": name,
                "summary": fam.summary,
                "params": [
                    {
                        "name": p.name,
                        "kind": p.kind,
                        "default": p.default,
                        "choices": list(p.choices),
                        "doc": p.doc,
                    }
                    for p in fam.params
                ],
                "formula": _without_doctests(fam.formula),
            }
        )
    findings = [
        {"name": n, "code": code, "severity": sev.value} for n, (code, sev) in FINDINGS.items()
    ]
    from lraudit.schedules import WARMUP_SHAPES

    warmup = {"params": ["steps", "start_lr", "shape"], "shapes": list(WARMUP_SHAPES)}
    return {"schema_version": 1, "families": fams, "warmup": warmup, "findings": findings}


def format_families(fmt: str = "text") -> str:
    """``lraudit families`` output: ``text`` (signature, summary, formula) or ``json``.

    The text form renders the docstring math readably (:func:`lraudit.mathtext.rst_to_text`);
    the JSON keeps it as written (reST + LaTeX, for docs) in ``formula``.
    """
    from lraudit.mathtext import rst_to_text

    data = families_data()
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"
    lines = []
    for f in data["families"]:
        sig = ", ".join(
            p["name"] if p["default"] is None else f"{p['name']}={p['default']}"
            for p in f["params"]
        )
        lines.append(f"{f['name']}({sig})")
        if f["summary"]:
            lines.append(f"    {f['summary']}")
        for fl in rst_to_text(f["formula"]).splitlines():
            lines.append(f"    {fl.rstrip()}" if fl.strip() else "")
        lines.append("")
    shapes = " | ".join(data["warmup"]["shapes"])
    lines.append(f"warmup: steps, start_lr, shape ({shapes});")
    lines.append("        see lraudit.schedules for how warmup, family and min_lr compose.")
    lines.append("")
    lines.append("findings:")
    for f in data["findings"]:
        lines.append(f"    {f['code']}  {f['severity']:<7}  {f['name']}")
    return "\n".join(lines) + "\n"


__all__ = [
    "explain",
    "explain_data",
    "families_data",
    "format_explain",
    "format_families",
    "key_steps",
]
