"""End-to-end cases from ``fixtures/e2e`` fixed in the config parsers (keras, lightning, timm).

Same check as :func:`test_e2e_real.test_real_framework_case` (exit code and the set of
warning/error findings from ``cases.json``; the config compared, not skipped), on the cases
that the parser fixes made right.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import test_e2e_real as e2e

FIXED = [
    "torch_cosine_lightning_epoch_iter",
    "torch_exponential_lightning_iter",
]


@pytest.mark.parametrize("name", FIXED)
def test_fixed_case(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    e2e.test_real_framework_case(name, tmp_path, capsys)
