"""The graded exercises (notebooks/exercises/, issue 18 item 9): each one, run as a
learner would with the exercise cell replaced, gives the right verdict.

Each exercise notebook has one cell tagged "exercise" (the operator whose backward the
learner fills in) and one tagged "check" (which calls autograd.testing.check_exercise
and leaves the verdict in `verdict`). The reference solution and a typical wrong answer
live in notebooks/exercises/solutions/, outside the notebooks. The cells are run here in
one namespace (no kernel: the notebook runs themselves are in test_notebooks.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest

from autograd.viz import style

EXERCISES = Path(__file__).resolve().parents[2] / "notebooks" / "exercises"
NOTEBOOKS = sorted(EXERCISES.glob("*.ipynb"))

# What a typical wrong answer must be told: the operator and the input it got wrong.
WRONG = {
    "01_tanh": ("my_tanh", "z"),
    "02_neuron": ("neuron", "w1"),
    "03_softmax_cross_entropy": ("softmax_cross_entropy", "z"),
    "04_matmul_broadcasting": ("batched_matmul", "x"),
    "05_layer_norm": ("layer_norm", "x"),
}


def run(notebook_path: Path, exercise_source: str | None = None) -> dict:
    """Run every code cell in order, the exercise cell replaced by `exercise_source`;
    return the namespace."""
    notebook = nbformat.read(notebook_path, as_version=4)
    namespace: dict = {"__name__": "__exercise__"}
    sys.path.insert(0, str(EXERCISES))  # the notebook imports hints.py from its folder
    try:
        for cell in notebook.cells:
            if cell.cell_type != "code":
                continue
            source = cell.source
            if "exercise" in cell.metadata.get("tags", []) and exercise_source is not None:
                source = exercise_source
            exec(compile(source, f"{notebook_path.name} cell", "exec"), namespace)
    finally:
        sys.path.remove(str(EXERCISES))
    return namespace


def tagged(notebook_path, tag):
    cells = [c for c in nbformat.read(notebook_path, as_version=4).cells
             if tag in c.metadata.get("tags", [])]
    return cells


def test_there_are_at_least_four_exercises_each_with_a_solution_and_a_wrong_answer():
    assert len(NOTEBOOKS) >= 4
    for path in NOTEBOOKS:
        assert len(tagged(path, "exercise")) == 1 and len(tagged(path, "check")) == 1, path.name
        assert (EXERCISES / "solutions" / f"{path.stem}.py").is_file(), path.name
        assert (EXERCISES / "solutions" / f"{path.stem}_wrong.py").is_file(), path.name
    assert {p.stem for p in NOTEBOOKS} == set(WRONG)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_exercise_as_handed_out_says_not_done_and_runs_to_the_end(path):
    verdict = run(path)["verdict"]
    assert verdict.status == "not done" and not verdict
    assert "fill in backward" in str(verdict)
    assert verdict.hint().startswith("Hint 2 of ")  # the notebook's hint cell showed the first


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_exercise_with_its_reference_solution_passes(path):
    solution = (EXERCISES / "solutions" / f"{path.stem}.py").read_text(encoding="utf-8")
    verdict = run(path, solution)["verdict"]
    assert verdict.passed, str(verdict)
    assert str(verdict).startswith("Correct")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_exercise_with_a_typical_wrong_answer_names_operator_input_element_and_values(path):
    wrong = (EXERCISES / "solutions" / f"{path.stem}_wrong.py").read_text(encoding="utf-8")
    verdict = run(path, wrong)["verdict"]
    operator, input_name = WRONG[path.stem]
    assert verdict.status == "wrong", str(verdict)
    assert (verdict.operator, verdict.input) == (operator, input_name)
    assert abs(verdict.yours - verdict.expected) > 1e-3
    message = str(verdict)
    assert f"'{operator}'" in message and input_name in message
    assert f"{verdict.yours:.6g}" in message and f"{verdict.expected:.6g}" in message
    if verdict.element:
        assert f"element {list(verdict.element)}" in message
    # The picture: the graph with exactly the wrong operator filled in the highlight colour.
    lit = [line for line in verdict.figure.source.splitlines()
           if style.HIGHLIGHT_FILL in line and "->" not in line]
    assert len(lit) == 1, lit
    assert verdict.figure.source.count(style.HIGHLIGHT_FILL) >= 1
    hints = [verdict.hint() for _ in range(len(verdict.hints))]  # the notebook showed hint 1
    assert hints[0].startswith("Hint 2 of") and hints[-1] == hints[-2]  # the last one repeats
