"""The teaching notebooks: each one runs top to bottom, quickly, and is committed clean.

Every `notebooks/*.ipynb` (and every exercise as handed out) is executed in a fresh
Jupyter kernel, as a teacher would run it (Kernel > Restart & Run All), and fails the
suite on the first cell that raises: the asserts next to the prose's claims included.
The kernel draws its figures with matplotlib's inline backend, which is headless like
Agg but really renders each figure, so a broken label or plot call fails here rather
than in front of a class. Committed notebooks carry no outputs, so their diffs stay
reviewable. Each notebook is executed once per session (tests/conftest.py) and the
documentation site is built from the same runs.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

from autograd import viz

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
EXERCISES = sorted((NOTEBOOK_DIR / "exercises").glob("*.ipynb"))
EVERY_NOTEBOOK = NOTEBOOKS + EXERCISES  # run, clean, kernel: the exercises as handed out
# The budget: every notebook runs top to bottom in under a minute on 2 cores.
TIME_BUDGET_SECONDS = 60.0
# A picture must fit a projector at its default size (issue 18 item 4), in CSS pixels.
MAX_PICTURE_WIDTH, MAX_PICTURE_HEIGHT = 1000, 1400
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")  # colours in IPython tracebacks


def _ids(paths):
    return [p.relative_to(NOTEBOOK_DIR).with_suffix("").as_posix() for p in paths]


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
def test_notebook_runs_top_to_bottom_within_a_minute_without_warnings(path, executed_notebook):
    # Executed once per session (tests/conftest.py); the site build reuses the run.
    notebook, elapsed, error = executed_notebook(path)
    if error is not None:  # its message: the failing cell and its traceback
        pytest.fail(f"{path.name} failed:\n{ANSI_ESCAPE.sub('', str(error))}", pytrace=False)
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


@pytest.mark.parametrize("path", EVERY_NOTEBOOK, ids=_ids(EVERY_NOTEBOOK))
def test_notebook_shows_no_stderr_box(path, executed_notebook):
    # Issue 18 item 2: fit's text progress bar showed as a pink stderr box stuck at 51/100.
    notebook, _, error = executed_notebook(path)
    if error is not None:
        pytest.skip("the notebook fails; test_notebook_runs_top_to_bottom says why")
    boxes = [(i, output.text[:80]) for i, cell in enumerate(notebook.cells)
             for output in cell.get("outputs", [])
             if output.output_type == "stream" and output.name == "stderr"]
    assert not boxes, f"{path.name}: cells write to stderr (a pink box in Jupyter): {boxes}"


def _svg_sizes(data: dict) -> list:
    """(width, height) in browser pixels of each SVG in one output: a picture, or the
    frames of a backward-steps player."""
    svgs = [data["image/svg+xml"]] if "image/svg+xml" in data else []
    svgs = ["".join(svg) if isinstance(svg, list) else svg for svg in svgs]
    svgs += re.findall(r"<svg.*?>", data.get("text/html", ""), re.S)
    return [viz.svg_size(svg) for svg in svgs]


@pytest.mark.parametrize("path", EVERY_NOTEBOOK, ids=_ids(EVERY_NOTEBOOK))
def test_every_displayed_picture_fits_a_projector(path, executed_notebook):
    # Issue 18 item 4: at most ~1,000 px wide and ~1,400 px tall at the default size.
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed: pictures show their DOT source")
    notebook, _, error = executed_notebook(path)
    if error is not None:
        pytest.skip("the notebook fails; test_notebook_runs_top_to_bottom says why")
    too_big = [(i, round(w), round(h)) for i, cell in enumerate(notebook.cells)
               for output in cell.get("outputs", [])
               for w, h in _svg_sizes(output.get("data", {}))
               if w > MAX_PICTURE_WIDTH or h > MAX_PICTURE_HEIGHT]
    assert not too_big, (
        f"{path.name}: pictures larger than {MAX_PICTURE_WIDTH} x {MAX_PICTURE_HEIGHT} px "
        f"(cell, width, height): {sorted(set(too_big))}; fold them, lay them out left to "
        "right or top to bottom, or split them into panels")


def test_notebooks_readme_links_only_files_in_the_repository():
    # Issue 18 item 2: the README linked the study text, which is not in the repository.
    for readme in [NOTEBOOK_DIR / "README.md", NOTEBOOK_DIR / "exercises" / "README.md"]:
        text = readme.read_text(encoding="utf-8")
        targets = re.findall(r"\]\(([^)#\s]+)\)", text)
        dead = [t for t in targets if "://" not in t and not (readme.parent / t).exists()]
        assert not dead, f"{readme.relative_to(NOTEBOOK_DIR.parent)} links missing files {dead}"
