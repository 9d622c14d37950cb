"""Property-test operators, tracegrad's own and yours, with hypothesis.

    from hypothesis import given
    from autograd.testing import assert_gradients_close, tensors

    @given(tensors(shape=(3, 4)))
    def test_cube_gradients(x):
        assert_gradients_close(cube, x)      # first and second order, random upstream

Strategies: `tensors` (one Tensor), `broadcastable_shapes` and `broadcastable_tensors`
(shapes and Tensors that broadcast together), `shapes`, and `floats_in` for values kept
inside an operator's domain and away from its kinks.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from .gradcheck import GradcheckError, gradcheck, gradgradcheck
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
