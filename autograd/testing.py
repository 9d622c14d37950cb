"""Property-test operators, tracegrad's own and yours, with hypothesis.

    from hypothesis import given
    from autograd.testing import assert_gradients_close, tensors

    @given(tensors(shape=(3, 4)))
    def test_cube_gradients(x):
        assert_gradients_close(cube, x)      # first and second order, random upstream

Strategies: `tensors` (one Tensor), `broadcastable_shapes` and `broadcastable_tensors`
(shapes and Tensors that broadcast together), `shapes`, and `floats_in` for values kept
inside an operator's domain and away from its kinks.

`check_exercise` grades a learner's hand-written backward (notebooks/exercises/): it
returns a verdict naming the wrong operator, input and element with both values, a
picture of the graph with that operator highlighted, and hints on request.
"""

from __future__ import annotations

import html

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from . import functional, viz
from .checks import _fresh, check_graph
from .gradcheck import GradcheckError, _as_tuple, gradcheck, gradgradcheck
from .graph import Graph
from .tensor import Tensor


def floats_in(low: float, high: float, *, exclude_near=None, margin: float = 0.05,
              width: int = 64):
    """Finite floats in [low, high], optionally kept `margin` away from the points in
    `exclude_near` (kinks and ties, where finite differences straddle two formulas).
    `width=32` draws values exactly representable in float32."""
    values = st.floats(low, high, allow_nan=False, allow_infinity=False,
                       allow_subnormal=False, width=width)
    if exclude_near:
        points = tuple(exclude_near)
        values = values.filter(lambda v: all(abs(v - p) > margin for p in points))
    return values


def shapes(min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 4):
    """Array shapes, including 0-d and size-1 axes."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


def _default_elements(dtype: np.dtype):
    if dtype.kind == "f":
        return floats_in(-3.0, 3.0, width=min(64, 8 * dtype.itemsize))
    if dtype.kind in "iu":
        return st.integers(0 if dtype.kind == "u" else -10, 10)
    return st.booleans()


@st.composite
def tensors(draw, shape=None, dtype=np.float64, elements=None, requires_grad=None):
    """A Tensor of the given shape (a tuple, an int, or a strategy of shapes; drawn from
    `shapes()` if None) whose values come from `elements` (default: floats in [-3, 3],
    or small integers for an integer dtype). It requires grad when its dtype is floating,
    unless requires_grad says otherwise."""
    dtype = np.dtype(dtype)
    if dtype.kind not in "fiub":
        raise TypeError(f"tensors: unsupported dtype {dtype} (use a float, int or bool dtype)")
    if shape is None:
        shape = draw(shapes())
    elif isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    elif not isinstance(shape, tuple):
        shape = draw(shape)
    if requires_grad is None:
        requires_grad = dtype.kind == "f"
    elements = elements if elements is not None else _default_elements(dtype)
    array = draw(hnp.arrays(dtype, shape, elements=elements))
    return Tensor(array, requires_grad=requires_grad)


def broadcastable_shapes(n: int = 2, min_dims: int = 0, max_dims: int = 3,
                         max_side: int = 4):
    """Tuples of n shapes that broadcast together (some with size-1 or missing axes)."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=n, min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=max_side
    ).map(lambda result: result.input_shapes)


@st.composite
def broadcastable_tensors(draw, n: int = 2, elements=None, dtype=np.float64,
                          max_dims: int = 3):
    """A tuple of n Tensors whose shapes broadcast together."""
    shape_tuple = draw(broadcastable_shapes(n, max_dims=max_dims))
    return tuple(draw(tensors(shape, dtype=dtype, elements=elements)) for shape in shape_tuple)


def assert_gradients_close(fn, *inputs, eps=1e-6, atol=1e-5, rtol=1e-3,
                           second_order=True) -> None:
    """Assert that fn's gradients at `inputs` match central finite differences: gradcheck,
    then (unless second_order=False) gradgradcheck, which checks that the backward is
    itself differentiable. Both backpropagate a random upstream gradient.

    Raises AssertionError carrying gradcheck's message (operator, input, worst element,
    both values, tolerance), so pytest and hypothesis report it as a test failure.
    Inputs that require grad are checked (all floating ones if none does).
    """
    checks = [("gradient", gradcheck)]
    if second_order:
        checks.append(("second derivative (gradgradcheck)", gradgradcheck))
    for what, check in checks:
        try:
            check(fn, inputs, eps=eps, atol=atol, rtol=rtol)
        except GradcheckError as error:
            raise AssertionError(f"{what} does not match finite differences: "
                                 f"{error}") from None


class ExerciseVerdict:
    """The grade of one exercise, from check_exercise.

    `status` is "passed", "wrong" (a backward disagrees with finite differences),
    "not done" (a backward still raises NotImplementedError) or "error" (a backward
    raised something else). For "wrong" and "error", `operator` is the operator's name;
    for "wrong" also `input` (the input's name, or "input i"), `element` (its index; ()
    for a scalar), `yours` (what the backward gave) and `expected` (central finite
    differences). `figure` draws the graph with that operator highlighted; `report` is
    check_graph's full table. Shown in Jupyter as the message and the picture; hint()
    gives the next hint each time it is called.
    """

    def __init__(self, status, message, *, operator=None, input=None, element=None,  # noqa: A002
                 yours=None, expected=None, report=None, figure=None, hints=()):
        self.status, self.message = status, message
        self.operator, self.input, self.element = operator, input, element
        self.yours, self.expected = yours, expected
        self.report, self.figure = report, figure
        self.hints = tuple(hints)
        self._hints_shown = 0

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def __bool__(self) -> bool:
        return self.passed

    def hint(self) -> str:
        """The next hint (the last one again once all are shown)."""
        if not self.hints:
            return "No hints for this exercise."
        k = min(self._hints_shown, len(self.hints) - 1)
        self._hints_shown = k + 1
        return f"Hint {k + 1} of {len(self.hints)}: {self.hints[k]}"

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"<ExerciseVerdict: {self.status}>"

    def _repr_html_(self) -> str:
        colour = {"passed": "#1a7f37", "not done": "#555555"}.get(self.status, "#b42318")
        text = html.escape(self.message)
        parts = [f'<pre style="color: {colour}; white-space: pre-wrap">{text}</pre>']
        if self.figure is not None:
            try:
                parts.append(self.figure._repr_image_svg_xml())
            except viz.DotNotFoundError:  # the message says everything without the picture
                pass
        return "".join(parts)


def check_exercise(fn, *inputs, hints=(), eps=1e-6, atol=1e-5, rtol=1e-3) -> ExerciseVerdict:
    """Grade the backward formulas used by fn(*inputs): every operator of the recorded
    graph is checked against central finite differences with a random upstream gradient,
    |yours − expected| ≤ atol + rtol·|expected| (check_graph's test).

    Returns an ExerciseVerdict (it never raises for a wrong or unfinished answer, so an
    exercise notebook runs top to bottom): passed, or the first wrong operator with the
    input and element, both values, and a picture with that operator highlighted.
    `hints` are strings handed out one at a time by verdict.hint(). Teachers write an
    exercise as an Operator whose backward the learner fills in, and call this on a
    small function that uses it, with inputs whose values avoid kinks.
    """
    hints = tuple(hints)
    if not callable(fn):
        raise TypeError(f"check_exercise: fn must be callable, got {type(fn).__name__}")
    if not inputs:
        raise ValueError("check_exercise: give the inputs to call fn with, "
                         "e.g. check_exercise(f, x, w)")
    if not any(getattr(x, "requires_grad", False) for x in inputs):
        inputs = [_named_leaf(x) for x in inputs]  # as check_graph would, keeping names
    unfinished = _unfinished_backward(fn, inputs)
    if unfinished is not None:
        return ExerciseVerdict("not done", f"Not done yet: {unfinished}", hints=hints)
    report = check_graph(fn, *inputs, eps=eps, atol=atol, rtol=rtol, raise_exception=False)
    first = report.first_failure
    if first is None:
        names = sorted({check.name for check in report.checks})
        return ExerciseVerdict(
            "passed", f"Correct: all {len(report.checks)} operators' backward agree with "
            f"finite differences ({', '.join(names)}).", report=report, hints=hints)
    graph = Graph.from_outputs(report.outputs)  # names as the picture shows them (t0, ...)
    figure = viz.forward_graph(graph, highlight=first.node,
                               title=f"the wrong operator: {first.name}")
    if first.problem:
        return ExerciseVerdict(
            "error", f"'{first.name}': its backward raised {first.problem}", operator=first.name,
            report=report, figure=figure, hints=hints)
    i, element, yours, expected, tolerance = first.worst
    name = graph.name_of(first.node.inputs[i])
    at = f"element {list(element)}" if element else "its value"
    message = (f"Wrong: the backward of '{first.name}' gives a wrong gradient for {name}.\n"
               f"  {at}: your backward gives {yours:.6g}, finite differences give "
               f"{expected:.6g}\n"
               f"  (allowed difference {tolerance:.2g}; {first.mismatches} wrong element(s) "
               f"in the inputs of '{first.name}')\n"
               "The upstream gradient grad_out is random, as in gradcheck, so a backward that "
               "forgets it fails too.\nStuck? Call .hint() on this verdict.")
    return ExerciseVerdict("wrong", message, operator=first.name, input=name,
                           element=element, yours=yours, expected=expected, report=report,
                           figure=figure, hints=hints)


def _unfinished_backward(fn, inputs) -> str | None:
    """Run fn and its backward once (no .grad is touched); if an operator's backward is
    not written yet, return its NotImplementedError message."""
    wrt = [x for x in inputs if getattr(x, "requires_grad", False)]
    outputs = [o for o in _as_tuple(fn(*inputs)) if getattr(o, "grad_fn", None) is not None]
    if not outputs:
        return None  # check_graph says that nothing was recorded
    seeds = [np.ones_like(o.data) if isinstance(o, Tensor) else 1.0 for o in outputs]
    try:
        functional.grad(outputs, wrt, seeds, allow_unused=True)
    except NotImplementedError as error:
        return str(error) or ("a backward raises NotImplementedError; fill it in, then run "
                              "this check again")
    except (ArithmeticError, LookupError, RuntimeError, TypeError, ValueError):
        return None  # check_graph re-runs each operator and names the one that fails
    return None


def _named_leaf(x):
    """A float64 leaf that requires grad, with x's name (so the verdict can say 'x')."""
    leaf = _fresh(x, True)
    if getattr(x, "name", None) and leaf is not x:
        leaf.name = x.name
    return leaf
