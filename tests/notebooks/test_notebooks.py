"""The teaching notebooks: each one runs top to bottom, quickly, and is committed clean.

Every `notebooks/*.ipynb` is executed in a fresh Jupyter kernel, as a teacher would run it
(Kernel > Restart & Run All), and fails the suite on the first cell that raises. The
kernel draws its figures with matplotlib's inline backend, which is headless like Agg
but really renders each figure, so a broken label or plot call fails here rather than in
front of a class. Committed notebooks carry no outputs, so their diffs stay reviewable.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
EXERCISES = sorted((NOTEBOOK_DIR / "exercises").glob("*.ipynb"))
EVERY_NOTEBOOK = NOTEBOOKS + EXERCISES  # run, clean, kernel: the exercises as handed out
# The budget: every notebook runs top to bottom in under a minute on 2 cores.
TIME_BUDGET_SECONDS = 60.0
CELL_TIMEOUT_SECONDS = 120
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")  # colours in IPython tracebacks


def _ids(paths):
    return [p.relative_to(NOTEBOOK_DIR).with_suffix("").as_posix() for p in paths]


def _kernel_env(scratch: Path) -> dict:
    env = dict(os.environ)
    # Render figures as Jupyter does (headless), not with the Agg backend that `make test`
    # exports for the rest of the suite: under Agg plt.show() draws nothing and warns.
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    env["PYTHONHASHSEED"] = "0"
    env.setdefault("OPENBLAS_NUM_THREADS", "1")  # as `make test`: small matrices, busy cores
    # Hypothesis caches in ./.hypothesis of the kernel's folder; keep notebooks/ clean.
    env["HYPOTHESIS_STORAGE_DIRECTORY"] = str(scratch / "hypothesis")
    return env


def _pictures_without_an_image(notebook) -> list:
    """Cells whose displayed viz Figure (or BackwardSteps player) carries no rendered SVG:
    Jupyter would show the DOT source or an object repr instead of the picture. Without
    Graphviz's `dot` a Figure shows its source on purpose, so there is nothing to check."""
    if shutil.which("dot") is None:
        return []
    blank = []
    for i, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            shown = data.get("text/plain", "")
            if shown.startswith("<autograd.viz.figure.Figure") and "image/svg+xml" not in data:
                blank.append(i)
            if shown.startswith("<autograd.viz.steps.BackwardSteps") and "<svg" not in data.get(
                    "text/html", ""):
                blank.append(i)
    return blank


def test_the_notebook_folder_is_found():
    assert NOTEBOOK_DIR.is_dir(), f"no notebooks folder at {NOTEBOOK_DIR}"
    assert NOTEBOOKS, f"no *.ipynb in {NOTEBOOK_DIR}"


@pytest.mark.parametrize("path", EVERY_NOTEBOOK, ids=_ids(EVERY_NOTEBOOK))
def test_notebook_runs_top_to_bottom_within_a_minute_without_warnings(path, tmp_path):
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_SECONDS,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    failure = None
    try:
        client.execute(env=_kernel_env(tmp_path))
    except CellExecutionError as error:  # its message: the failing cell and its traceback
        failure = f"{path.name} failed:\n{ANSI_ESCAPE.sub('', str(error))}"
    if failure:  # outside the except block, so the report is not chained to nbclient's
        pytest.fail(failure, pytrace=False)
    elapsed = time.perf_counter() - start
    assert elapsed < TIME_BUDGET_SECONDS, (
        f"{path.name} took {elapsed:.1f} s to run; notebooks must run in under "
        f"{TIME_BUDGET_SECONDS:.0f} s"
    )
    warned = [
        (i, output.text.strip())
        for i, cell in enumerate(notebook.cells)
        for output in cell.get("outputs", [])
        if output.output_type == "stream" and output.name == "stderr" and "Warning" in output.text
    ]
    # A warning in front of a class is a defect: fix its cause (in the library if it is
    # the library's), or silence it deliberately where the notebook provokes it.
    assert not warned, f"{path.name}: warnings printed by cells {warned}"
    blank = _pictures_without_an_image(notebook)
    assert not blank, f"{path.name}: cells {blank} show an autograd.viz picture with no image"


@pytest.mark.parametrize("path", EVERY_NOTEBOOK, ids=_ids(EVERY_NOTEBOOK))
def test_committed_notebook_has_no_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    dirty = [
        i
        for i, cell in enumerate(notebook.cells)
        if (cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None))
        or "execution" in cell.metadata
    ]
    assert not dirty, (
        f"{path.name}: cells {dirty} carry outputs, execution counts or run timestamps; clear them "
        f"before committing (Jupyter: Edit > Clear All Outputs, or "
        f"`python notebooks/clear_outputs.py`)"
    )
    assert "widgets" not in notebook.metadata, f"{path.name}: stored widget state in metadata"


@pytest.mark.parametrize("path", EVERY_NOTEBOOK, ids=_ids(EVERY_NOTEBOOK))
def test_notebook_uses_the_default_python_kernel(path):
    kernelspec = nbformat.read(path, as_version=4).metadata.get("kernelspec", {})
    assert kernelspec.get("name") == "python3", (
        f"{path.name}: kernelspec {kernelspec!r}; use the 'python3' kernel so the notebook "
        f"runs in whichever environment tracegrad is installed in ({sys.prefix} here)"
    )


def test_readme_indexes_exactly_the_notebooks_that_exist():
    readme = (NOTEBOOK_DIR / "README.md").read_text(encoding="utf-8")
    linked = set(re.findall(r"\]\(([^)#\s]+\.ipynb)\)", readme))
    existing = {p.name for p in NOTEBOOKS}
    assert existing <= linked, f"notebooks/README.md does not link {sorted(existing - linked)}"
    assert linked <= existing, f"notebooks/README.md links missing {sorted(linked - existing)}"
