"""Build and execute ``notebooks/tour.ipynb`` (read -> fit -> plot -> audit on fixtures/demo).

    python notebooks/build_tour.py      # rewrites tour.ipynb with fresh outputs

tests/test_notebook.py executes the saved notebook again so it never rots.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent

CELLS = [
    ("md", """# A tour of lraudit

lraudit reads the learning rate a training run logged to TensorBoard, infers which schedule
produced it, and compares that with the schedule the training config asked for.

This tour uses `fixtures/demo`: two runs of a TF Object Detection API job written by the real
TF2 summary writer (`fixtures/demo/generate.py`) and the job's `pipeline.config`
(warmup 1000 steps, then cosine to 0 at `total_steps: 50000`; the run stops at 5000):

* `good/train` follows the config;
* `stuck/train` has the classic bug: the schedule is evaluated at a step counter that never
  advances, so the LR stays at its step-0 value."""),
    ("code", """from pathlib import Path

import lraudit
from lraudit.describe import describe_fit, describe_schedule

DEMO = Path("..") / "fixtures" / "demo"
LOGS, CONFIG = DEMO / "logs", DEMO / "pipeline.config\""""),
    ("md", """## 1. Read

`read_lr_series` finds every run under the logdir and the tag that carries the LR in each."""),
    ("code", """series = lraudit.read_lr_series(LOGS)
[(s.run, s.tag, len(s), int(s.steps[0]), int(s.steps[-1])) for s in series]"""),
    ("code", """series[0].to_dataframe().iloc[[0, 8, 9, 10, 49]]"""),
    ("md", """## 2. Fit

`fit` infers the schedule family and its parameters from the points alone, and says which
parameters the observed window actually determines (a `?` follows the others)."""),
    ("code", """from lraudit import fit

for s in series:
    f = fit(s)
    print(f"{s.run:12} {describe_fit(f)}   (rmse_log {f.rmse_log:.1e})")
    print(f"{'':12} identified: {', '.join(f.identified)}")
    for why in f.unidentified.values():
        print(f"{'':12} not identified: {why}")"""),
    ("md", """## 3. The intended schedule

`load_config` parses the config without executing anything and records every default it
applied."""),
    ("code", """intended = lraudit.load_config(CONFIG)
print(describe_schedule(intended.schedule), "| horizon", intended.horizon)
for a in intended.assumptions:
    print("-", a)"""),
    ("md", """## 4. Audit

`audit` runs read -> fit -> compare -> diagnose over the logdir and returns an `AuditReport`;
formatters turn it into text, JSON, Markdown, JUnit, GitHub annotations or HTML."""),
    ("code", """from lraudit import audit
from lraudit.report import render

report = audit(LOGS, config=CONFIG, jobs=1)
print(render(report, "text"))"""),
    ("md", """## 5. Plot

One figure per run x tag: logged points, fitted schedule, the intended schedule to its
horizon, phase markers, and the log residual of the fit."""),
    ("code", """from IPython.display import Image, display

from lraudit.report.plot import render_png

for r in report.runs:
    display(Image(render_png(r, dpi=80)))"""),
    ("md", """## 6. In CI

`lraudit check` exits 1 when a finding reaches `--fail-on` (default `error`), 2 when it
cannot audit at all. Under GitHub Actions `--format auto` prints annotations."""),
    ("code", """from lraudit.cli import main

exit_code = main(["check", str(LOGS), "--config", str(CONFIG), "--format", "github"])
exit_code"""),
]


def build() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for kind, src in CELLS:
        cell = nbformat.v4.new_markdown_cell(src) if kind == "md" else nbformat.v4.new_code_cell(src)
        nb.cells.append(cell)
    return nb


def execute(nb: nbformat.NotebookNode, timeout: int = 120) -> nbformat.NotebookNode:
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(HERE)}}
    )
    client.execute()
    return nb


if __name__ == "__main__":
    notebook = execute(build())
    for i, cell in enumerate(notebook.cells):
        cell["id"] = f"cell-{i:02d}"
    nbformat.write(notebook, HERE / "tour.ipynb")
    print(f"wrote {HERE / 'tour.ipynb'}")
