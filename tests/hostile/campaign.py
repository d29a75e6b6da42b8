"""The hostile-config campaign of issue 16 as data: every class of input that once cost a
traceback, a hang or gigabytes, written into a folder.

:func:`write_cases` writes each case and returns ``(name, path, expect)``; ``expect`` is
``"error"`` (one line naming the file, exit 2), ``"ok"`` (parsed, exit 0) or ``"any"`` (either,
but bounded and without a traceback). ``python tests/hostile/campaign.py DIR`` runs every case
through ``lraudit explain`` in this process and prints one JSON line per case (exit code,
seconds, stderr) and a last line with the peak RSS: the tests run it in a subprocess so that the
peak is this campaign's own.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ODAPI_VALID = """model { ssd { num_classes: 1 } }
train_config {
  batch_size: 8
  num_steps: 1000
  optimizer {
    momentum_optimizer {
      learning_rate {
        exponential_decay_learning_rate {
          initial_learning_rate: 0.004
          decay_steps: 100
          decay_factor: 0.95
        }
      }
      momentum_optimizer_value: 0.9
    }
  }
}
"""

MM_HEAD = "optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.02))\n"
MM_SCHED = (
    "param_scheduler = [dict(type='MultiStepLR', by_epoch=False, milestones=[100, 200], "
    "gamma=0.1)]\ntrain_cfg = dict(type='IterBasedTrainLoop', max_iters=300)\n"
)


def _py(body: str) -> str:
    """A Python (MMEngine-style) config whose evaluation runs ``body`` first."""
    return body + "\n" + MM_HEAD + MM_SCHED


def _python_cases() -> dict[str, tuple[str, str]]:
    chain = "a = 10 ** 100\n" + "".join(f"a{i} = a * a\na = a{i}\n" for i in range(40))
    return {
        "py_power_tower.py": (_py("x = 10 ** 10 ** 10"), "error"),
        "py_power_chain.py": (_py("x = 2 ** 2 ** 2 ** 2 ** 2 ** 2"), "error"),
        "py_squaring_chain.py": (_py(chain), "error"),
        "py_string_doubling.py": (_py("s = 'ab'\n" + "s = s + s\n" * 48), "error"),
        "py_list_doubling.py": (_py("l = [1]\n" + "l = l * 2\n" * 48), "error"),
        "py_list_repeat.py": (_py("l = [0] * 10 ** 12"), "error"),
        "py_nested_comprehension.py": (
            _py(
                "x = [[[i * j * k for i in range(2000)] for j in range(2000)] for k in range(2000)]"
            ),
            "error",
        ),
        "py_sum_generated.py": (_py("x = sum([i for i in range(10 ** 9)])"), "error"),
        "py_range_product.py": (_py("x = list(range(10 ** 6)) * 10 ** 6"), "error"),
        "py_percent_width.py": (_py("s = '%0*d' % (10 ** 9, 1)\nt = '%01000000000d' % 1"), "error"),
        "py_format_width.py": (_py("s = '{:>1000000000}'.format('x')"), "any"),
        "py_fstring_width.py": (_py("w = 10 ** 9\ns = f'{1:{w}}'"), "any"),
        "py_deep_nesting.py": (_py("x = " + "[" * 100_000 + "]" * 100_000), "error"),
        "py_deep_parens.py": (_py("x = " + "(" * 100_000 + "1" + ")" * 100_000), "error"),
        "py_huge_int_lr.py": (
            "optim_wrapper = dict(optimizer=dict(type='SGD', lr=1" + "0" * 5000 + "))\n" + MM_SCHED,
            "error",
        ),
        "py_pow_lr.py": (
            "optim_wrapper = dict(optimizer=dict(type='SGD', lr=10 ** 1000))\n" + MM_SCHED,
            "error",
        ),
        "py_float_overflow_lr.py": (
            "optim_wrapper = dict(optimizer=dict(type='SGD', lr=1e308 * 10))\n" + MM_SCHED,
            "error",
        ),
        "py_scheduler_is_int.py": (MM_HEAD + "param_scheduler = 5\n", "error"),
        "py_recursive_function.py": (_py("def f(n):\n    return f(n + 1)\nx = f(0)"), "any"),
        "py_while_true.py": (_py("while True:\n    pass"), "any"),
        "py_import_os.py": (_py("import os\nos.system('touch /tmp/lraudit_pwned')"), "any"),
        "py_dunder.py": (_py("x = ().__class__.__base__.__subclasses__()"), "any"),
    }


def _data_cases() -> dict[str, tuple[str, str]]:
    laughs = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]\n" for i in range(1, 10)
    )
    deep_yaml_flow = "lr: " + "[" * 100_000 + "]" * 100_000 + "\n"
    deep_yaml_block = "".join("  " * i + f"k{i}:\n" for i in range(3000)) + "  " * 3000 + "v: 1\n"
    deep_json = '{"lr": ' + "[" * 100_000 + "]" * 100_000 + "}"
    boundaries = ", ".join(str(100 * i) for i in range(1, 600_001))
    return {
        "yaml_alias_bomb.yaml": (laughs + "lr0: 0.01\n", "error"),
        "yaml_deep_flow.yaml": (deep_yaml_flow, "error"),
        "yaml_deep_block.yaml": (deep_yaml_block, "error"),
        "json_deep.json": (deep_json, "error"),
        "yaml_huge_int.yaml": ("lr0: 1" + "0" * 5000 + "\nepochs: 10\nlrf: 0.01\n", "error"),
        "json_huge_int.json": ('{"learning_rate": 1' + "0" * 5000 + ', "max_steps": 10}', "error"),
        "json_inf_lr.json": ('{"learning_rate": 1e400, "max_steps": 100}', "any"),
        "detectron2_backtrack.yaml": ("MODEL:" + "\n" * 40 + "x", "error"),
        "detectron2_backtrack_long.yaml": ("MODEL:" + " \n" * 20_000 + "x", "error"),
        "odapi_whitespace.config": (ODAPI_VALID + "\n" * 100_000, "ok"),
        "odapi_spaces.config": (ODAPI_VALID.replace(" {", " " * 50_000 + "{", 1), "any"),
        "odapi_boundaries.config": (
            ODAPI_VALID.replace(
                "exponential_decay_learning_rate {",
                "manual_step_learning_rate {\n initial_learning_rate: 0.1\n schedule { step: "
                "100 learning_rate: 0.01 }\n }\n exponential_decay_learning_rate {",
            )
            + "# "
            + "x" * 10,
            "any",
        ),
        "native_boundaries.yaml": (
            "schedule:\n  family: piecewise_constant\n  boundaries: ["
            + boundaries
            + "]\n  values: [0.1]\n",
            "error",
        ),
        "trainer_state_step_abc.json": (
            '{"global_step": 10, "log_history": [{"step": "abc", "learning_rate": 0.1}]}',
            "any",
        ),
        "trainer_state_step_huge.json": (
            '{"global_step": 10, "log_history": [{"step": 1e400, "learning_rate": 0.1},'
            ' {"step": 1180591620717411303424, "learning_rate": 0.1}]}',
            "any",
        ),
        "trainer_state_history_int.json": ('{"global_step": 10, "log_history": 5}', "any"),
    }


def _include_cases(root: Path) -> list[tuple[str, Path, str]]:
    out: list[tuple[str, Path, str]] = []
    d = root / "includes"
    d.mkdir()
    (d / ".git").mkdir()  # the project root: includes may not leave it
    for name, ref in (("abs", "/etc/passwd"), ("dotdot", "../../../../../../../../etc/passwd")):
        p = d / f"d2_{name}.yaml"
        p.write_text(f'_BASE_: "{ref}"\nSOLVER:\n  BASE_LR: 0.02\n  MAX_ITER: 100\n')
        out.append((f"include_{name}", p, "error"))
    p = d / "mm_proc.py"
    p.write_text("_base_ = ['/proc/self/environ']\n" + MM_HEAD + MM_SCHED)
    out.append(("include_proc", p, "error"))
    # a diamond 24 levels deep: each file includes both files of the next level
    dd = d / "diamond"
    dd.mkdir()
    depth = 24
    for i in range(depth):
        for side in "ab":
            nxt = f"_base_ = ['l{i + 1}a.py', 'l{i + 1}b.py']\n" if i + 1 < depth else ""
            (dd / f"l{i}{side}.py").write_text(nxt + f"v{i}{side} = {i}\n")
    top = dd / "top.py"
    top.write_text("_base_ = ['l0a.py', 'l0b.py']\n" + MM_HEAD + MM_SCHED)
    out.append(("include_diamond", top, "ok"))
    cyc = d / "cycle_a.py"
    cyc.write_text("_base_ = ['cycle_b.py']\n" + MM_HEAD + MM_SCHED)
    (d / "cycle_b.py").write_text("_base_ = ['cycle_a.py']\nx = 1\n")
    out.append(("include_cycle", cyc, "error"))
    return out


def write_cases(root: Path) -> list[tuple[str, Path, str]]:
    """Write every hostile config under ``root``; returns ``(name, path, expect)``."""
    root.mkdir(parents=True, exist_ok=True)
    out: list[tuple[str, Path, str]] = []
    for name, (text, expect) in {**_python_cases(), **_data_cases()}.items():
        p = root / name
        p.write_text(text)
        out.append((Path(name).stem, p, expect))
    big = root / "big_50mb.yaml"
    with big.open("w") as f:
        line = "k: " + "x" * 1000 + "\n"
        for _ in range(50 * 1024):
            f.write(line)
    out.append(("big_50mb", big, "error"))
    mid = root / "mid_5mb.yaml"
    with mid.open("w") as f:
        f.write("lr0: 0.01\nlrf: 0.01\nepochs: 10\n")
        for i in range(60_000):
            f.write(f"key_{i}: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]\n")
    out.append(("mid_5mb_auto", mid, "any"))
    return out + _include_cases(root)


def run(root: Path) -> None:
    """Run every case through ``lraudit explain`` here; one JSON line per case, then the peak."""
    import contextlib
    import io

    from lraudit.cli import main
    from lraudit.testing import peak_rss_mb

    for name, path, expect in write_cases(root):
        err = io.StringIO()
        out = io.StringIO()
        t0 = time.perf_counter()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            code = main(["explain", str(path)])
        dt = time.perf_counter() - t0
        rss = peak_rss_mb()
        rec = {"name": name, "path": str(path), "expect": expect, "code": code, "seconds": dt}
        rec["peak_rss_mb"] = rss  # the process's peak so far
        rec["stderr"] = err.getvalue()[-2000:]
        print(json.dumps(rec), flush=True)
    print(json.dumps({"peak_rss_mb": peak_rss_mb()}), flush=True)


if __name__ == "__main__":
    run(Path(sys.argv[1]))
