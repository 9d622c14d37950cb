"""autograd.testing: hypothesis strategies for tensors and shapes, and
assert_gradients_close (gradcheck and gradgradcheck as a pytest assertion)."""

import numpy as np
import pytest
from hypothesis import Phase, given, settings

from autograd import Operator, Tensor
from autograd.testing import (
    assert_gradients_close,
    broadcastable_shapes,
    broadcastable_tensors,
    floats_in,
    shapes,
    tensors,
)

FAST = settings(max_examples=25, deadline=None)


# -- strategies -------------------------------------------------------------------------


@FAST
@given(x=tensors(shape=(2, 3)))
def test_tensors_with_a_fixed_shape_are_float64_leaves_requiring_grad(x):
    assert isinstance(x, Tensor) and x.shape == (2, 3) and x.dtype == np.float64
    assert x.requires_grad and x.is_leaf
    assert np.all(np.abs(x.data) <= 3.0)  # the default range


@FAST
@given(x=tensors(shape=4), y=tensors(shape=shapes(min_dims=2, max_dims=2)))
def test_tensors_take_an_int_or_a_strategy_as_shape(x, y):
    assert x.shape == (4,) and y.ndim == 2


@FAST
@given(x=tensors())
def test_tensors_without_a_shape_draw_one_including_zero_dimensional(x):
    assert 0 <= x.ndim <= 3 and all(1 <= n <= 4 for n in x.shape)


@FAST
@given(x=tensors(shape=(5,), dtype=np.float32))
def test_float32_is_kept(x):
    assert x.dtype == np.float32 and x.requires_grad


@FAST
@given(x=tensors(shape=(5,), dtype=np.int64), b=tensors(shape=(2,), dtype=bool))
def test_integer_and_bool_tensors_do_not_require_grad(x, b):
    assert x.dtype == np.int64 and not x.requires_grad
    assert b.dtype == np.bool_ and not b.requires_grad


@FAST
@given(x=tensors(shape=(6,), elements=floats_in(0.5, 1.0)))
def test_elements_bound_the_values(x):
    assert np.all((x.data >= 0.5) & (x.data <= 1.0))


@FAST
@given(v=floats_in(-1.0, 1.0, exclude_near=[0.0, 0.5], margin=0.1))
def test_floats_in_keeps_away_from_kinks(v):
    assert abs(v) > 0.1 and abs(v - 0.5) > 0.1


def test_tensors_refuse_an_unsupported_dtype():
    @settings(max_examples=1, deadline=None, database=None)
    @given(tensors(dtype=np.complex128))
    def draw(x):
        pass

    with pytest.raises(TypeError, match="unsupported dtype complex128"):
        draw()


@FAST
@given(shape_tuple=broadcastable_shapes(n=3, max_dims=4))
def test_broadcastable_shapes_broadcast_together(shape_tuple):
    assert len(shape_tuple) == 3
    assert all(len(shape) <= 4 for shape in shape_tuple)
    np.broadcast_shapes(*shape_tuple)  # raises ValueError if they do not


def test_broadcastable_shapes_include_stretched_and_missing_axes():
    seen_unequal = []

    @settings(max_examples=60, deadline=None)
    @given(broadcastable_shapes(n=2, min_dims=1))
    def collect(shape_pair):
        seen_unequal.append(shape_pair[0] != shape_pair[1])

    collect()
    assert any(seen_unequal)


@FAST
@given(xs=broadcastable_tensors(n=3))
def test_broadcastable_tensors_can_be_combined(xs):
    assert len(xs) == 3
    out = xs[0] * xs[1] + xs[2]
    assert out.shape == np.broadcast_shapes(*(x.shape for x in xs))


# -- assert_gradients_close ------------------------------------------------------------


class Sin(Operator):
    """out = sin x;  ∂out/∂x = cos x = sin(x + π/2), written with operators only."""

    name = "sin"

    @staticmethod
    def forward(ctx, x):
        ctx.save(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return grad_out * Sin.apply(x + np.pi / 2)


class WrongSin(Sin):
    name = "wrong_sin"

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return grad_out * Sin.apply(x)  # should be cos


class ConstantSlopeCube(Operator):
    """out = x³ with a first derivative that is right but not differentiable: backward
    reads the raw data behind x (.data), so under create_graph x is a constant and the
    second derivative is lost."""

    name = "constant_slope_cube"

    @staticmethod
    def forward(ctx, x):
        ctx.save(x)
        return x * x * x

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        raw = x.data if isinstance(x, Tensor) else x
        return grad_out * 3 * raw * raw


@FAST
@given(x=tensors())
def test_a_correct_operator_passes_first_and_second_order(x):
    assert_gradients_close(Sin.apply, x)


def test_a_wrong_backward_fails_with_gradchecks_message_as_an_assertion_error():
    x = Tensor([0.3, -1.2, 2.0], requires_grad=True)
    with pytest.raises(AssertionError) as caught:
        assert_gradients_close(WrongSin.apply, x)
    message = str(caught.value)
    assert message.startswith("gradient does not match finite differences: wrong_sin: "
                              "input 0 (shape (3,)), worst element [")
    assert "analytic" in message and "numeric" in message


def test_second_order_is_checked_unless_turned_off():
    x = Tensor([0.7, -1.3], requires_grad=True)
    with pytest.raises(AssertionError, match=r"second derivative \(gradgradcheck\)"):
        assert_gradients_close(ConstantSlopeCube.apply, x)
    assert_gradients_close(ConstantSlopeCube.apply, x, second_order=False)


def test_hypothesis_reports_the_failure_of_a_wrong_operator():
    @settings(max_examples=10, deadline=None, database=None, phases=[Phase.generate])
    @given(x=tensors(shape=(3,), elements=floats_in(0.5, 2.0)))
    def check(x):
        assert_gradients_close(WrongSin.apply, x)

    with pytest.raises(AssertionError, match="wrong_sin"):
        check()


def test_several_inputs_and_non_contiguous_ones_are_checked():
    x = Tensor(np.arange(6.0).reshape(2, 3).T / 4, requires_grad=True)  # Fortran order
    y = Tensor([0.5, -1.0], requires_grad=True)
    assert_gradients_close(lambda a, b: Sin.apply(a * b), x, y)


def test_tolerances_are_passed_through():
    # |sin − cos| ≤ √2, so atol=1.5 lets the wrong operator pass: the tolerance reaches
    # gradcheck (the default one fails it, as tested above).
    x = Tensor([0.3, -1.2, 2.0], requires_grad=True)
    assert_gradients_close(WrongSin.apply, x, atol=1.5, second_order=False)
