"""autograd.testing.check_exercise: the grader behind notebooks/exercises (issue 18 item 9)."""

import numpy as np
import pytest

from autograd import Operator, Scalar, Tensor
from autograd.testing import ExerciseVerdict, check_exercise


def cube(backward):
    class Cube(Operator):
        """out = x³;  ∂out/∂x = 3x²."""

        name = "cube"

        @staticmethod
        def forward(ctx, x):
            ctx.save(x)
            return x * x * x

    Cube.backward = staticmethod(backward)
    return Cube


def test_check_exercise_passes_a_right_backward():
    Cube = cube(lambda ctx, g: g * 3 * ctx.saved[0] * ctx.saved[0])
    verdict = check_exercise(lambda x: Cube.apply(x).sum(), Tensor([0.5, -1.2], name="x"))
    assert verdict.passed and bool(verdict) and verdict.status == "passed"
    assert verdict.figure is None and "cube" in str(verdict)


def test_check_exercise_names_input_element_and_both_values_of_a_wrong_backward():
    Cube = cube(lambda ctx, g: g * 2 * ctx.saved[0] * ctx.saved[0])  # 2x², not 3x²
    x = Tensor([0.5, -1.2, 2.0], name="x")
    verdict = check_exercise(lambda x: Cube.apply(x), x, hints=["the power rule"])
    assert verdict.status == "wrong" and (verdict.operator, verdict.input) == ("cube", "x")
    i = verdict.element[0]
    assert verdict.yours == pytest.approx(2 / 3 * verdict.expected, rel=1e-5)
    assert f"element [{i}]" in str(verdict)
    assert "cube" in verdict.figure.source
    assert verdict.hint() == "Hint 1 of 1: the power rule"
    assert x.grad is None  # the learner's tensors are left alone


def test_check_exercise_says_not_done_while_backward_raises_not_implemented():
    def unfinished(ctx, g):
        raise NotImplementedError("cube: fill in backward")

    verdict = check_exercise(lambda x: cube(unfinished).apply(x), Scalar(0.7, name="x"))
    assert verdict.status == "not done" and "cube: fill in backward" in str(verdict)
    assert verdict.hint() == "No hints for this exercise."


def test_check_exercise_reports_a_backward_that_crashes_as_an_error_with_the_operator():
    Cube = cube(lambda ctx, g: np.ones((7, 7)) @ g)  # a shape that cannot work
    verdict = check_exercise(lambda x: Cube.apply(x), Tensor([0.5, 1.0], name="x"))
    assert verdict.status == "error" and verdict.operator == "cube"
    assert "cube" in str(verdict) and "raised" in str(verdict)


def test_check_exercise_shows_message_and_picture_in_jupyter():
    Cube = cube(lambda ctx, g: g * ctx.saved[0])
    verdict = check_exercise(lambda x: Cube.apply(x), Scalar(0.7, name="x"))
    html = verdict._repr_html_()
    assert "Wrong" in html and ("<svg" in html or "digraph" in html)
    assert isinstance(verdict, ExerciseVerdict) and repr(verdict) == "<ExerciseVerdict: wrong>"


def test_check_exercise_rejects_bad_arguments_by_name():
    with pytest.raises(TypeError, match="check_exercise: fn must be callable"):
        check_exercise("cube", Scalar(1.0))
    with pytest.raises(ValueError, match="check_exercise: give the inputs"):
        check_exercise(lambda x: x)
