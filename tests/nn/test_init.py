"""nn.init: fans from shapes, gains, the distributions' spread, generators and seeds."""

import math

import numpy as np
import pytest

import autograd
import nn
from autograd import Tensor
from nn import init

SHAPE = (300, 500)  # (fan_out, fan_in): big enough for tight statistics


def weight(shape=SHAPE, dtype=np.float64):
    return nn.Parameter(np.zeros(shape, dtype=dtype))


def test_fans_come_from_the_output_index_first_shape():
    assert init.fan_in_and_fan_out((3, 5)) == (5, 3)
    assert init.fan_in_and_fan_out(nn.Linear(5, 3).weight) == (5, 3)
    assert init.fan_in_and_fan_out((8, 4, 3, 3)) == (36, 72)  # receptive field 9
    with pytest.raises(ValueError, match="at least 2 axes.*\\(4,\\)"):
        init.fan_in_and_fan_out((4,))


@pytest.mark.parametrize("name, param, gain", [
    ("linear", None, 1.0), ("sigmoid", None, 1.0), ("tanh", None, 5 / 3),
    ("relu", None, math.sqrt(2)), ("leaky_relu", None, math.sqrt(2 / (1 + 0.01**2))),
    ("leaky_relu", 0.2, math.sqrt(2 / 1.04)), ("selu", None, 0.75),
])
def test_gains(name, param, gain):
    assert init.calculate_gain(name, param) == pytest.approx(gain, rel=1e-15)


def test_unknown_nonlinearity_lists_the_known_ones():
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'.*relu"):
        init.calculate_gain("swish")


@pytest.mark.parametrize("fill, kwargs, low, high, std", [
    (init.uniform_, dict(a=-2.0, b=1.0), -2.0, 1.0, 3 / math.sqrt(12)),
    (init.xavier_uniform_, dict(gain=2.0), -2 * math.sqrt(6 / 800), 2 * math.sqrt(6 / 800),
     2 * math.sqrt(2 / 800)),
    (init.kaiming_uniform_, dict(nonlinearity="relu"), -math.sqrt(6 / 500),
     math.sqrt(6 / 500), math.sqrt(2 / 500)),
    (init.kaiming_uniform_, dict(mode="fan_out", nonlinearity="tanh"),
     -5 / 3 * math.sqrt(3 / 300), 5 / 3 * math.sqrt(3 / 300), 5 / 3 / math.sqrt(300)),
])
def test_uniform_initialisers_bounds_and_spread(fill, kwargs, low, high, std):
    w = fill(weight(), generator=0, **kwargs)
    assert low <= w.data.min() < low + 0.01 * (high - low)
    assert high - 0.01 * (high - low) < w.data.max() <= high
    assert w.data.std() == pytest.approx(std, rel=0.01)


@pytest.mark.parametrize("fill, kwargs, mean, std", [
    (init.normal_, dict(mean=1.5, std=0.3), 1.5, 0.3),
    (init.xavier_normal_, dict(), 0.0, math.sqrt(2 / 800)),
    (init.kaiming_normal_, dict(nonlinearity="relu"), 0.0, math.sqrt(2 / 500)),
    (init.kaiming_normal_, dict(a=0.2), 0.0, math.sqrt(2 / 1.04 / 500)),
])
def test_normal_initialisers_mean_and_spread(fill, kwargs, mean, std):
    w = fill(weight(), generator=0, **kwargs)
    assert w.data.mean() == pytest.approx(mean, abs=0.01 * std)
    assert w.data.std() == pytest.approx(std, rel=0.01)


def test_constant_fills():
    assert init.zeros_(nn.Parameter(np.ones(3))).data.tolist() == [0, 0, 0]
    assert init.ones_(nn.Parameter(np.zeros(3))).data.tolist() == [1, 1, 1]
    assert init.constant_(nn.Parameter(np.zeros(2)), 0.5).data.tolist() == [0.5, 0.5]


def test_initialisers_fill_in_place_and_keep_dtype_and_identity():
    w = weight((4, 3), np.float32)
    assert init.xavier_uniform_(w) is w
    assert w.dtype == np.float32 and w.requires_grad and w.grad_fn is None


def test_int_seed_generator_and_manual_seed_are_reproducible():
    a = init.normal_(weight((3, 3)), generator=42).data.copy()
    b = init.normal_(weight((3, 3)), generator=np.random.default_rng(42)).data
    np.testing.assert_array_equal(a, b)
    nn.manual_seed(1)
    c = init.kaiming_normal_(weight((3, 3))).data.copy()
    r = autograd.randn(2).data.copy()
    nn.manual_seed(1)
    np.testing.assert_array_equal(init.kaiming_normal_(weight((3, 3))).data, c)
    np.testing.assert_array_equal(autograd.randn(2).data, r)  # nn and autograd share it


def test_a_generator_object_advances_between_calls():
    rng = np.random.default_rng(0)
    first = init.uniform_(weight((2, 2)), generator=rng).data.copy()
    assert not np.array_equal(init.uniform_(weight((2, 2)), generator=rng).data, first)


def test_bad_arguments():
    with pytest.raises(TypeError, match="generator must be None, an int seed"):
        init.normal_(weight((2, 2)), generator="seed")
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out'"):
        init.kaiming_uniform_(weight((2, 2)), mode="fan_avg")
    with pytest.raises(ValueError, match="std must be >= 0"):
        init.normal_(weight((2, 2)), std=-1)
    with pytest.raises(TypeError, match="expects a Tensor"):
        init.zeros_(np.zeros(3))


def test_filling_does_not_record_a_graph():
    w = nn.Parameter(np.zeros(3))
    init.uniform_(w)
    assert w.is_leaf and isinstance(w, Tensor)
