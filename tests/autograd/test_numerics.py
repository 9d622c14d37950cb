"""The stable operators at ±1000 (float64) and ±100 (float32), with numpy's floating point
warnings turned into errors: a stable implementation must not even overflow internally."""

import numpy as np
import pytest

import autograd as ag
from autograd import Tensor

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

EXTREMES = [(np.float64, 1000.0), (np.float32, 100.0)]


@pytest.fixture(autouse=True)
def raise_on_floating_point_trouble():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        yield


def grad_of(fn, values, dtype):
    x = Tensor(np.array(values, dtype=dtype), requires_grad=True)
    out = fn(x)
    out.sum().backward()
    return out, x.grad


@pytest.mark.parametrize("dtype, big", EXTREMES)
def test_sigmoid_saturates_without_overflow(dtype, big):
    out, grad = grad_of(Tensor.sigmoid, [-big, 0.0, big], dtype)
    np.testing.assert_allclose(out.data, [0.0, 0.5, 1.0], atol=1e-30)
    np.testing.assert_allclose(grad.data, [0.0, 0.25, 0.0], atol=1e-30)
    assert out.dtype == dtype and grad.dtype == dtype


@pytest.mark.parametrize("dtype, big", EXTREMES)
def test_softplus_is_linear_far_right_and_zero_far_left(dtype, big):
    out, grad = grad_of(Tensor.softplus, [big, -big, 0.0], dtype)
    np.testing.assert_allclose(out.data, [big, 0.0, np.log(2)], rtol=1e-6, atol=1e-30)
    np.testing.assert_allclose(grad.data, [1.0, 0.0, 0.5], atol=1e-30)


@pytest.mark.parametrize("dtype, big", EXTREMES)
def test_logsumexp_of_huge_values(dtype, big):
    out, grad = grad_of(lambda x: x.logsumexp(), [big, big], dtype)
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(out.data, big + np.log(2), rtol=rtol)
    np.testing.assert_allclose(grad.data, [0.5, 0.5], rtol=rtol)


def test_logsumexp_of_a_row_of_minus_infinity_is_minus_infinity():
    x = Tensor([[-np.inf, -np.inf], [0.0, -np.inf]])
    np.testing.assert_array_equal(x.logsumexp(axis=1).data, [-np.inf, 0.0])


def test_logsumexp_with_plus_infinity_is_plus_infinity():
    with np.errstate(invalid="ignore"):
        assert Tensor([np.inf, 1.0]).logsumexp().item() == np.inf


@pytest.mark.parametrize("dtype, big", EXTREMES)
def test_softmax_of_spread_logits(dtype, big):
    weights = Tensor([1.0, 2.0, 3.0], dtype=dtype)
    out, grad = grad_of(lambda x: x.softmax() * weights, [big, 0.0, -big], dtype)
    np.testing.assert_allclose(out.data, [1.0, 0.0, 0.0], atol=1e-30)
    assert np.all(np.isfinite(grad.data))


@pytest.mark.parametrize("dtype, big", EXTREMES)
def test_log_softmax_is_exact_where_log_of_softmax_underflows(dtype, big):
    out, grad = grad_of(lambda x: x.log_softmax(), [big, 0.0, -big], dtype)
    np.testing.assert_array_equal(out.data, np.array([0.0, -big, -2 * big], dtype=dtype))
    np.testing.assert_allclose(grad.data, [1 - 3 * 1.0, 1.0, 1.0])


def test_softmax_rows_sum_to_one_and_empty_batches_stay_empty():
    x = Tensor(np.random.default_rng(0).standard_normal((5, 7)) * 50)
    np.testing.assert_allclose(x.softmax(axis=1).data.sum(axis=1), 1.0)
    assert Tensor(np.zeros((0, 3))).softmax(axis=1).shape == (0, 3)


def test_pow_at_zero_matches_pytorch():
    with np.errstate(divide="ignore"):
        for exponent, expected in [(0, 0.0), (1, 1.0), (0.5, np.inf), (3, 0.0)]:
            x = Tensor(0.0, requires_grad=True)
            (x**exponent).backward()
            assert x.grad.item() == expected, exponent


def test_integer_index_gradient_accumulates_repeats():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[np.array([0, 2, 0])].sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 0.0, 1.0])


def test_max_splits_the_gradient_between_ties():
    x = Tensor([0.0, 1.0, 1.0], requires_grad=True)
    x.max().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.5, 0.5])


def test_maximum_splits_the_gradient_on_a_tie():
    x, y = Tensor([1.0, 2.0], requires_grad=True), Tensor([1.0, 0.0], requires_grad=True)
    ag.maximum(x, y).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.5, 1.0])
    np.testing.assert_array_equal(y.grad.data, [0.5, 0.0])


def test_kinks_take_pytorch_subgradients():
    x = Tensor([0.0, 0.0, 0.0], requires_grad=True)
    (x.relu() + x.abs() + x.clip(0.0, 1.0)).sum().backward()
    # relu'(0) = 0, abs'(0) = 0, and clip passes the gradient at its bound
    np.testing.assert_array_equal(x.grad.data, [1.0, 1.0, 1.0])


def test_var_uses_two_passes():
    x = Tensor(1e9 + np.array([1.0, 2.0, 3.0, 4.0]))
    assert x.var().item() == pytest.approx(1.25)
    assert Tensor([1.0, 2.0]).var().item() == 0.25
    assert Tensor([1.0, 2.0]).var(ddof=1).item() == 0.5
