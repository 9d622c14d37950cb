"""Activations: functions against numpy references, modules equal to functions, gradients."""

import math

import numpy as np
import pytest

import nn
from autograd import Tensor, gradcheck, gradgradcheck

X = np.array([[-3.0, -0.7, 0.4, 2.5], [1.2, -1.9, 0.05, -0.2]])
ERF = np.vectorize(math.erf)


def softmax_reference(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


REFERENCES = [
    ("relu", nn.relu, nn.ReLU(), lambda x: np.maximum(x, 0)),
    ("sigmoid", nn.sigmoid, nn.Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
    ("tanh", nn.tanh, nn.Tanh(), np.tanh),
    ("sign", nn.sign, nn.Sign(), np.sign),
    ("softmax", nn.softmax, nn.Softmax(), lambda x: softmax_reference(x, -1)),
    ("log_softmax", nn.log_softmax, nn.LogSoftmax(), lambda x: np.log(softmax_reference(x, -1))),
    ("leaky_relu", nn.leaky_relu, nn.LeakyReLU(), lambda x: np.where(x > 0, x, 0.01 * x)),
    ("gelu", nn.gelu, nn.GELU(), lambda x: 0.5 * x * (1 + ERF(x / math.sqrt(2)))),
]


@pytest.mark.parametrize("name, function, module, reference", REFERENCES,
                         ids=[r[0] for r in REFERENCES])
def test_function_and_module_match_the_numpy_reference(name, function, module, reference):
    np.testing.assert_allclose(function(X).data, reference(X), rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(module(Tensor(X)).data, function(X).data)


SMOOTH = [
    ("sigmoid", nn.sigmoid), ("tanh", nn.tanh), ("softmax", nn.softmax),
    ("log_softmax", nn.log_softmax), ("gelu", nn.gelu),
    ("gelu_tanh", lambda x: nn.gelu(x, approximate="tanh")), ("erf", nn.erf),
]


@pytest.mark.parametrize("name, function", SMOOTH, ids=[s[0] for s in SMOOTH])
def test_smooth_activations_gradients_first_and_second_order(name, function):
    x = Tensor(X, requires_grad=True)
    assert gradcheck(function, (x,))
    assert gradgradcheck(function, (x,))


@pytest.mark.parametrize("function", [nn.relu, nn.leaky_relu], ids=["relu", "leaky_relu"])
def test_piecewise_linear_activations_gradcheck_away_from_zero(function):
    assert gradcheck(function, (Tensor(X, requires_grad=True),))


def test_leaky_relu_slope_and_its_gradient_at_and_around_zero():
    x = Tensor([-2.0, 0.0, 3.0], requires_grad=True)
    out = nn.leaky_relu(x, negative_slope=0.1)
    np.testing.assert_allclose(out.data, [-0.2, 0.0, 3.0])
    out.sum().backward()
    np.testing.assert_allclose(x.grad.data, [0.1, 0.1, 1.0])  # slope at 0, as in PyTorch
    assert out.grad_fn.op.name == "leaky_relu"  # one node in a graph picture


def test_gelu_tanh_approximation_is_close_to_exact_gelu():
    x = np.linspace(-5, 5, 101)
    exact = nn.gelu(x).data
    approx = nn.GELU(approximate="tanh")(x).data
    assert np.abs(exact - approx).max() < 1e-3
    assert not np.array_equal(exact, approx)
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh'"):
        nn.GELU(approximate="fast")


def test_softmax_module_uses_its_axis():
    out = nn.Softmax(axis=0)(X).data
    np.testing.assert_allclose(out.sum(axis=0), 1.0)
    np.testing.assert_allclose(out, softmax_reference(X, 0))


def test_activations_are_stable_at_extremes():
    big = np.array([-1000.0, 0.0, 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        np.testing.assert_array_equal(nn.sigmoid(big).data, [0.0, 0.5, 1.0])
        np.testing.assert_array_equal(nn.log_softmax(big).data, [-2000.0, -1000.0, 0.0])
        np.testing.assert_array_equal(nn.gelu(np.array([-40.0, 40.0])).data, [-0.0, 40.0])


@pytest.mark.parametrize("function", [nn.relu, nn.tanh, nn.sigmoid, nn.leaky_relu, nn.gelu,
                                      nn.softmax, nn.sign])
def test_activations_keep_float32(function):
    x = Tensor(X.astype(np.float32), requires_grad=True)
    out = function(x)
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float32
