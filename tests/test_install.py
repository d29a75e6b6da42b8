"""The install: the distribution name every hint uses, and a base install without the test
dependencies (tensorboard, tbparse, pandas) that still reads, fits and audits."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from lraudit._dist import DIST, pip_hint

ROOT = Path(__file__).resolve().parents[1]

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_the_distribution_name_is_the_one_every_hint_uses() -> None:
    proj = _pyproject()["project"]
    assert proj["name"] == DIST != "lraudit"
    assert proj["scripts"]["lraudit"] == "lraudit.cli:main_entry"
    # every extra a hint names exists
    for extra in ("plot", "pandas", "hf", "lightning", "keras", "test"):
        assert extra in proj["optional-dependencies"], extra
    assert pip_hint("plot") == f'pip install "{DIST}[plot]"'
    # nothing tells users to install the unrelated project called `lraudit`
    bad = re.compile(r"""pip install ['"]?lraudit(\[|['"\s]|$)""", re.M)
    files = [*ROOT.joinpath("lraudit").rglob("*.py"), ROOT / "README.md"]
    files += [*ROOT.joinpath("docs").rglob("*.md")]
    hits = [f"{p}: {m.group(0)}" for p in files for m in bad.finditer(p.read_text())]
    assert hits == []


def test_base_dependencies_are_what_the_package_imports() -> None:
    deps = " ".join(_pyproject()["project"]["dependencies"])
    for heavy in ("tensorboard", "tbparse", "pandas"):
        assert heavy not in deps
    assert (ROOT / "LICENSE").read_text().startswith(" " * 33 + "Apache License")


@pytest.mark.slow  # a subprocess per case: the default suite runs it
def test_runs_without_tensorboard_tbparse_and_pandas(tmp_path: Path) -> None:
    demo = ROOT / "fixtures" / "demo"
    if not demo.is_dir():
        pytest.skip("fixtures/demo is absent")
    # None in sys.modules makes an import fail as if the package were not installed
    code = (
        "import sys\n"
        "for m in ('tensorboard', 'tbparse', 'pandas', 'tensorflow', 'torch'):\n"
        "    sys.modules[m] = None\n"
        "import lraudit\n"
        "from lraudit.cli import main\n"
        f"series = lraudit.read_lr_series({str(demo / 'logs')!r})\n"
        "assert series and all(len(s) for s in series)\n"
        "try:\n"
        "    series[0].to_dataframe()\n"
        "except ImportError as e:\n"
        "    print(e)\n"
        f"rc = main(['report', {str(demo / 'logs')!r}, '--config',"
        f" {str(demo / 'pipeline.config')!r}, '--format', 'json'])\n"
        "print('rc', rc)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},  # this checkout's package
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert f'needs pandas, which is not installed; run: pip install "{DIST}[pandas]"' in out.stdout
    assert re.search(r"^rc [01]$", out.stdout, re.M), out.stdout[-500:]


def test_hf_args_in_a_damaged_record_is_one_clear_error(tmp_path: Path) -> None:
    from lraudit import testing as lt
    from lraudit.configs.hf_sources import read_event_args
    from lraudit.errors import ConfigError

    # a CRC-valid record naming `args` whose bytes are not an Event (field 0 is invalid)
    p = tmp_path / "events.out.tfevents.1.h"
    p.write_bytes(lt.frame(b"\x00args"))
    with pytest.raises(ConfigError, match="corrupt event record"):
        read_event_args(p)
