from __future__ import annotations

import numpy as np
import pytest

import lraudit
from lraudit.errors import ScheduleError
from lraudit.types import Schedule, Warmup


def test_constant_schedule_with_linear_warmup_reaches_target_at_warmup_end():
    s = Schedule("constant", {"lr": 0.1}, warmup=Warmup(10, 0.0))
    lr = s.evaluate([0, 5, 9, 10, 20])
    np.testing.assert_allclose(lr, [0.0, 0.05, 0.09, 0.1, 0.1])


def test_unknown_family_names_the_known_ones():
    with pytest.raises(ScheduleError, match="known families: .*constant"):
        Schedule("nope", {}).evaluate([0])


def test_version():
    assert lraudit.__version__ == "0.1.0"


def _load_import_cycles():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "scripts" / "import_cycles.py"
    spec = importlib.util.spec_from_file_location("import_cycles", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_import_cycles_script_finds_a_cycle_through_a_function_level_import(tmp_path):
    ic = _load_import_cycles()
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("from pkg.sub import b\n")
    (pkg / "a.py").write_text("def f():\n    from pkg.sub import b\n    return b\n")
    (pkg / "sub" / "b.py").write_text("from .. import a\n")
    (pkg / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import a\n"
    )
    n, text = ic.report(pkg)
    assert n == 1
    assert text.splitlines()[0] == "pkg.a -> pkg.sub.b -> pkg.a"
    assert "pkg/a.py:2" in text and "pkg/sub/b.py:1" in text
    (pkg / "a.py").write_text("X = 1\n")
    assert ic.report(pkg)[0] == 0


@pytest.mark.slow
def test_lraudit_has_no_import_cycle():
    """No cycle between lraudit modules, function-level imports included (issue 9)."""
    from pathlib import Path

    ic = _load_import_cycles()
    root = Path(__file__).resolve().parent.parent / "lraudit"
    comps = ic.strongly_connected(ic.import_graph(root))
    n, text = ic.report(root)
    assert n == 0 and not comps, text
