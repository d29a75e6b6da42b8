"""What each finding means, why it matters, how to fix it, and an example (``lraudit explain``).

The vocabulary itself (names, stable codes, default severities) is :data:`lraudit.vocab.FINDINGS`;
this module only holds the explanatory text, ruff-rule style. :func:`finding_docs` lists every
finding of the vocabulary with its text; a finding added to the vocabulary without a text here
fails ``tests/test_cli_explain_findings.py``.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from lraudit.types import Severity


@dataclass(frozen=True)
class FindingDoc:
    """The explanation of one finding: ``what`` it means, ``why`` it matters, ``fix``, ``example``."""

    name: str
    code: str
    severity: Severity
    summary: str
    what: str
    why: str
    fix: str
    example: str

    def to_dict(self) -> dict[str, str]:
        return {
            "name": self.name,
            "code": self.code,
            "severity": self.severity.value,
            "summary": self.summary,
            "what": self.what,
            "why": self.why,
            "fix": self.fix,
            "example": self.example,
        }


# name -> (summary, what, why, fix, example)
_TEXT: dict[str, tuple[str, str, str, str, str]] = {
    "no_lr_tag": (
        "No learning-rate series was found in the logs.",
        "None of the scalar tags under the path looks like a learning rate (lr, learning_rate, "
        "lr-<Optimizer>, x/lr0, ...), so there is nothing to audit. The tags that do exist are "
        "listed.",
        "A training job whose LR is not logged cannot be checked at all: a schedule bug stays "
        "invisible until the final metrics disappoint.",
        "Log the LR every N steps (torch: writer.add_scalar('lr', scheduler.get_last_lr()[0], "
        "step); Keras: a LearningRateScheduler or TensorBoard(update_freq=...) callback; "
        "Lightning: LearningRateMonitor). If the LR is logged under an unusual name, pass "
        "--tag NAME.",
        "lraudit check runs/  ->  error: no learning-rate tag found; tags: loss, accuracy",
    ),
    "too_few_points": (
        "The series has too few points to identify a schedule.",
        "A fit needs at least max(5, number of parameters + 1) points; the run logged fewer, "
        "so the inferred schedule is a guess and comparisons with the config are weak.",
        "With two or three points almost any family fits, so a wrong warmup or a missing decay "
        "cannot be told apart from a correct schedule.",
        "Log the LR more often (every 10-100 iterations, or every epoch for short runs), or "
        "audit a longer run.",
        "3 points at epochs 0, 1, 2 of a 3-epoch YOLOv5 run: too_few_points (warning)",
    ),
    "constant_lr": (
        "The LR never changes although the schedule says it should.",
        "Every logged point holds the same value while the intended schedule (or, without a "
        "config, any schedule over a long run) moves the LR in this window. Without a config "
        "it is a warning: a constant LR may be intended.",
        "The model trains at its warmup or initial LR for the whole run: it converges slowly "
        "or not at all, and the cause is invisible in the loss curve.",
        "Make sure the schedule is stepped: TF1 pass global_step to optimizer.minimize(); torch "
        "call scheduler.step() (once per iteration or per epoch, as the scheduler expects); "
        "Keras pass the schedule object as the optimizer's learning_rate.",
        "config: warmup 1000 + cosine 0.08->0; log: 0.026666 at all 50 points -> constant_lr "
        "(the schedule never advanced)",
    ),
    "schedule_reset": (
        "The LR jumps back up: a resume restarted the schedule.",
        "At some step the LR returns to an earlier (higher) value and the schedule starts "
        "over, or a later event file rewrote steps with other values. The step is where the "
        "jump is seen.",
        "A resumed run that restarts its schedule repeats the warmup and the high-LR phase, "
        "undoing part of the decay; the run's final LR is not the planned one.",
        "Save and restore the scheduler state with the checkpoint (torch: "
        "scheduler.state_dict() / load_state_dict(); HF: resume_from_checkpoint; TF: the "
        "global_step variable in the checkpoint).",
        "cosine decay to 1e-4 at step 3000, then back to 0.1 at step 3050 after a resume "
        "-> schedule_reset",
    ),
    "lr_scale_mismatch": (
        "The logged LR is the intended one times a constant factor.",
        "observed = k x intended at every point for one k (named when it matches the world "
        "size, its square root, or a batch-size ratio).",
        "Linear-scaling rules applied twice (or not at all) change the effective LR by the "
        "number of GPUs: training diverges or crawls although the schedule shape is right.",
        "Check where the LR is scaled for the batch size or world size (config base_lr vs "
        "code), and pass --world-size N when the config cannot know it.",
        "config lr 0.1, log 0.8 everywhere on 8 GPUs -> lr_scale_mismatch (k = 8 = world size)",
    ),
    "warmup_missing": (
        "The log equals the config without its warmup.",
        "The config asks for a warmup, but the logged LR starts at the post-warmup value.",
        "Large-batch and transformer training often diverge in the first steps without "
        "warmup; the run may have survived by luck.",
        "Check that the warmup wrapper is applied (e.g. the scheduler is chained, not "
        "replaced; warmup_steps / WARMUP_ITERS are read by the trainer).",
        "config: 1000 warmup steps from 0.001 to 0.1; log: 0.1 from step 0 -> warmup_missing",
    ),
    "warmup_mismatch": (
        "The warmup ends elsewhere or has other values than configured.",
        "A warmup is present but its length, start value or shape differs from the config "
        "(YOLOv5's 100-iteration minimum is named when it is the cause).",
        "A warmup several times longer or shorter than planned changes the early training "
        "dynamics and the effective LR budget.",
        "Compare the warmup settings with what the trainer actually uses (units: steps vs "
        "epochs; minimum warmup rules of the framework).",
        "config warmup_epochs 3, log warmup until epoch 12.5 (100-iteration floor) "
        "-> warmup_mismatch",
    ),
    "warmup_exceeds_run": (
        "The warmup is at least as long as the run.",
        "The planned warmup does not end before the run does, so the whole run is warmup.",
        "The model never trains at its peak LR; results understate what the schedule would give.",
        "Shorten the warmup or lengthen the run (Detectron2: WARMUP_ITERS < MAX_ITER).",
        "WARMUP_ITERS 1000, MAX_ITER 300 -> warmup_exceeds_run",
    ),
    "step_unit_mismatch": (
        "The schedule was stepped per iteration instead of per epoch, or the reverse.",
        "The logged curve is the intended one with its time axis scaled by the steps per "
        "epoch: y(s) = m(c * s).",
        "The decay happens c times too early (stepped per iteration) or never (stepped per "
        "epoch with an iteration-based schedule): the LR is wrong for most of the run.",
        "Call scheduler.step() where the scheduler expects it (per epoch for StepLR/MultiStepLR "
        "milestones in epochs, per iteration for iteration-based ones), or convert the "
        "milestones; pass --steps-per-epoch N if lraudit cannot infer it.",
        "MultiStepLR milestones [30, 60] epochs, stepped every iteration (500/epoch): decays "
        "at iteration 30 -> step_unit_mismatch",
    ),
    "decay_mismatch": (
        "A decay rate, horizon or boundary differs from the config.",
        "The shape is the configured one but an identified parameter (a boundary, gamma, the "
        "decay horizon) has another value.",
        "The LR drops at the wrong time or by the wrong amount: the run is not the experiment "
        "the config describes.",
        "Check the config value that the message names against what the trainer computed "
        "(e.g. milestones in epochs vs iterations, total steps after gradient accumulation).",
        "config boundaries [30000, 40000], log drops at 3000 and 4000 -> decay_mismatch",
    ),
    "staircase_mismatch": (
        "Staircase vs continuous decay.",
        "The config asks for a staircase (stepwise) exponential decay and the log is "
        "continuous, or the reverse.",
        "Between two steps of the staircase the LR differs by up to one decay factor.",
        "Set staircase explicitly in the config (TF: staircase=True/False; OD API's default is "
        "true).",
        "exponential_decay staircase: true, log decays continuously -> staircase_mismatch",
    ),
    "horizon_exceeds_run": (
        "The decay horizon is far past the run: flat but consistent.",
        "The run covers a small part of the schedule's horizon, so the LR barely moves; the "
        "log matches the config. The fraction covered is reported.",
        "Informational: a curve that looks constant in TensorBoard is not a bug here, but "
        "the planned decay never happened in this run.",
        "Nothing to fix if the run was meant to be short; otherwise make total_steps / "
        "num_steps match the run length.",
        "cosine over 50,000 iterations, run of 2,000 -> horizon_exceeds_run (info, 4 % covered)",
    ),
    "family_mismatch": (
        "The logged curve has a different shape than configured.",
        "The best-fitting family of the log (cosine, piecewise, exponential, ...) is not the "
        "configured one, and the configured one does not explain the log.",
        "A different scheduler ran than the one the config names: a default took over or "
        "another config was used.",
        "Check which scheduler the trainer builds (name spelling, the key it reads, a "
        "default that overrides the config).",
        "config cosine, log piecewise 0.1 -> 0.01 @30000 -> family_mismatch",
    ),
    "non_finite_lr": (
        "NaN or inf values in the LR series.",
        "Some logged LR values are NaN or infinite; the first such step and the last finite "
        "LR are reported.",
        "A non-finite LR makes the weights non-finite: the run is lost from that step on.",
        "Look for a division by zero in the schedule (warmup over 0 steps, a cosine over a "
        "horizon of 0), or an overflow in a custom schedule.",
        "LR nan from step 1200 on -> non_finite_lr",
    ),
    "zero_lr": (
        "The LR is 0 (or negligible) for a stretch while steps continue.",
        "For a run of consecutive points the LR is 0 or a negligible fraction of its peak, "
        "and the intended schedule does not ask for it.",
        "Steps taken at LR 0 are wasted compute: the weights do not move.",
        "Check the schedule's end value and horizon (a cosine that reaches 0 before the run "
        "ends) and warmups that start at 0 for many steps.",
        "cosine to 0 at step 10,000 in a 20,000-step run -> zero_lr from 10,000",
    ),
    "unexplained_lr": (
        "No schedule family explains the curve.",
        "Within float32 and logging noise no family of the vocabulary fits the curve (or a "
        "segment of it): the fit shown is not a result.",
        "Diagnoses that rely on the fit (families, horizons, boundaries) are not made for "
        "this series.",
        "If the schedule is adaptive (ReduceLROnPlateau) this is expected; otherwise look at "
        "the plot (--plot DIR) for a manual LR change or several schedules in one run.",
        "LR halved by hand at irregular steps -> unexplained_lr",
    ),
    "config_mismatch": (
        "The config cannot describe these logs.",
        "The tags, step unit, horizon or scale in the logs are incompatible with the config, "
        "so schedule diagnoses are not made for this run.",
        "Comparing a run with the wrong config gives misleading findings; none are given.",
        "Pass the config of this run (--config), or the unit facts the config cannot know "
        "(--steps-per-epoch, --world-size).",
        "an epoch-based config against logs with 50,000 iteration steps -> config_mismatch",
    ),
}


def _doc(name: str, code: str, severity: Severity) -> FindingDoc:
    text = _TEXT.get(name)
    if text is None:
        summary = what = why = fix = example = ""
    else:
        summary, what, why, fix, example = text
    return FindingDoc(name, code, severity, summary, what, why, fix, example)


def finding_docs() -> list[FindingDoc]:
    """Every finding of the vocabulary with its explanation, in code order."""
    from lraudit.vocab import FINDINGS

    docs = [_doc(name, code, sev) for name, (code, sev) in FINDINGS.items()]
    return sorted(docs, key=lambda d: d.code)


_CODE = re.compile(r"^LRA\d{3}$", re.IGNORECASE)


def looks_like_finding(text: str) -> bool:
    """True for an ``LRA###`` code or a snake_case word (a finding name, never a path).

    >>> looks_like_finding("LRA003"), looks_like_finding("constant_lr"), looks_like_finding("a.yaml")
    (True, True, False)
    """
    return bool(_CODE.match(text)) or bool(re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)+", text))


def find_doc(key: str) -> FindingDoc | None:
    """The finding whose code (any case) or name is ``key``, or None.

    >>> find_doc("lra003").name, find_doc("constant_lr").code
    ('constant_lr', 'LRA003')
    """
    k = key.strip()
    for d in finding_docs():
        if k.upper() == d.code or k == d.name:
            return d
    return None


def suggest(key: str) -> list[str]:
    """Finding names and codes close to ``key`` (for "did you mean ...")."""
    words = [d.name for d in finding_docs()] + [d.code for d in finding_docs()]
    return difflib.get_close_matches(key, words, n=3, cutoff=0.6)


def format_finding_doc(doc: FindingDoc, fmt: str = "text", width: int = 88) -> str:
    """One finding's explanation as ``text`` (ruff-rule style), ``markdown`` or ``json``."""
    import json
    import textwrap

    if fmt == "json":
        return json.dumps(doc.to_dict(), indent=2, ensure_ascii=False) + "\n"
    sections = [
        ("What it means", doc.what),
        ("Why it matters", doc.why),
        ("How to fix", doc.fix),
        ("Example", doc.example),
    ]
    if fmt == "markdown":
        lines = [
            f"## {doc.name} ({doc.code})",
            "",
            f"{doc.summary} Severity: {doc.severity.value}.",
        ]
        for title, body in sections:
            lines += ["", f"### {title}", "", body]
        return "\n".join(lines) + "\n"
    lines = [f"{doc.name} ({doc.code})", "", doc.summary, f"Default severity: {doc.severity.value}"]
    for title, body in sections:
        lines += ["", f"{title}:"]
        lines += textwrap.wrap(body, width=width, initial_indent="  ", subsequent_indent="  ")
    return "\n".join(lines) + "\n"


def format_finding_list(fmt: str = "text") -> str:
    """Every finding: code, default severity, name and one-line summary (``explain --list``)."""
    import json

    docs = finding_docs()
    if fmt == "json":
        return json.dumps([d.to_dict() for d in docs], indent=2, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        lines = ["| code | name | severity | summary |", "|---|---|---|---|"]
        lines += [f"| {d.code} | `{d.name}` | {d.severity.value} | {d.summary} |" for d in docs]
        return "\n".join(lines) + "\n"
    lines = [f"{d.code}  {d.severity.value:<7}  {d.name:<20}  {d.summary}" for d in docs]
    return "\n".join(lines) + "\n"


__all__ = [
    "FindingDoc",
    "find_doc",
    "finding_docs",
    "format_finding_doc",
    "format_finding_list",
    "looks_like_finding",
    "suggest",
]
