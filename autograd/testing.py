"""Hypothesis strategies for property-testing operators, tracegrad's own and yours.

    from hypothesis import given
    from autograd import gradcheck
    from autograd.testing import broadcastable_tensors, floats_in

    @given(xy=broadcastable_tensors(n=2, elements=floats_in(-3, 3)))
    def test_my_op(xy):
        assert gradcheck(my_op, xy)
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from .tensor import Tensor


def floats_in(low: float, high: float, *, exclude_near=None, margin: float = 0.05):
    """Finite float64 values in [low, high], optionally kept `margin` away from the points
    in `exclude_near` (kinks and ties, where finite differences straddle two formulas)."""
    values = st.floats(low, high, allow_nan=False, allow_infinity=False,
                       allow_subnormal=False)
    if exclude_near:
        points = tuple(exclude_near)
        values = values.filter(lambda v: all(abs(v - p) > margin for p in points))
    return values


def shapes(min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 4):
    """Array shapes, including 0-d and size-1 axes."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


@st.composite
def tensors(draw, shape=None, dtype=np.float64, elements=None, requires_grad=True):
    """A Tensor of the given (or a drawn) shape whose values come from `elements`."""
    if shape is None:
        shape = draw(shapes())
    elif not isinstance(shape, tuple):
        shape = draw(shape)
    elements = elements if elements is not None else floats_in(-3.0, 3.0)
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
