"""notebooks/tour.ipynb executes from top to bottom without error (nbclient, kernel python3)."""

from __future__ import annotations

import pytest
from conftest import REPO

NOTEBOOK = REPO / "notebooks" / "tour.ipynb"


@pytest.mark.slow
def test_tour_notebook_runs() -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    pytest.importorskip("matplotlib")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    saved = [c for c in nb.cells if c.cell_type == "code" and c.get("outputs")]
    assert len(saved) >= 6, "the notebook is committed with its outputs"
    client = nbclient.NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute()  # raises CellExecutionError on the first failing cell
    text = "\n".join(
        o.get("text", "") + str(o.get("data", {}).get("text/plain", ""))
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
    )
    assert "constant_lr" in text  # the audit found the demo's bug
    images = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(images) == 2
