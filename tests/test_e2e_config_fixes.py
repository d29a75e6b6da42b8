"""Real-framework cases (fixtures/e2e) that need the config form of their own log axis.

``test_e2e_real`` audits every case through the CLI; this module checks how the Keras parser's
two log-axis forms are chosen per tag.
"""

from __future__ import annotations

import pytest
import test_e2e_real as e2e

from lraudit import read_lr_series
from lraudit.configs import load_config
from lraudit.configs._intent import for_tag
from lraudit.diagnose import diagnose
from lraudit.fitting import fit


@pytest.mark.parametrize(
    ("name", "nb"),
    [
        ("keras_fit_piecewise", None),  # epoch tags without --steps-per-epoch: info only
        ("keras_fit_cosine_epochs", None),
        ("keras_cosine_warmup_tfsummary", 10),  # tf.summary tags with --steps-per-epoch
        ("bug_keras_staircase", 10),
        ("bug_keras_decay_rate", 10),
    ],
)
def test_keras_form_chosen_by_tag(name: str, nb: int | None) -> None:
    """The axis form :func:`for_tag` picks for the logged tag gives the expected findings, with
    or without --steps-per-epoch (what audit.py does once it calls ``for_tag`` per series)."""
    meta = e2e.CASES[name]
    it = load_config(e2e.E2E / name / meta["config"], steps_per_epoch=nb)
    (s,) = read_lr_series(str(e2e.E2E / name / "logs"))
    form = for_tag(it, s.tag)
    out = diagnose(s, fit(s), form)
    found = {f.name for f in out if f.severity.value in ("warning", "error")}
    assert found == set(meta["expect"]), out
    if nb is None and s.tag.startswith("epoch_"):
        assert form.log_unit == "epoch" and {f.name for f in out} == {"step_unit_mismatch"}
