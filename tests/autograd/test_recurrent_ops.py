"""The fused lstm_cell operator (issue 16, rnn): forward against the LSTM equations written
in numpy, gradients against finite differences to first and second order over hypothesis-drawn
sizes, and bad shapes refused by name."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autograd import Tensor, no_grad
from autograd.ops.recurrent import LSTMCell
from autograd.testing import assert_gradients_close, floats_in

RECURRENT_NAMES = {"lstm_cell"}  # the operator table's coverage check reads this


def numpy_lstm(x, state, w_ih, w_hh, biases):
    """h', c' and the gates from the textbook equations (σ as 1/(1 + e^−z))."""
    n = w_hh.shape[1]
    h, c = state[:, :n], state[:, n:2 * n]
    pre = x @ w_ih.T + h @ w_hh.T + sum(biases)
    sigmoid = 1 / (1 + np.exp(-pre))
    i, f, o = sigmoid[:, :n], sigmoid[:, n:2 * n], sigmoid[:, 3 * n:]
    g = np.tanh(pre[:, 2 * n:3 * n])
    c_new = f * c + i * g
    return o * np.tanh(c_new), c_new, np.concatenate([i, f, g, o], axis=1)


@st.composite
def lstm_inputs(draw, max_side=3):
    batch, width, n = (draw(st.integers(1, max_side)) for _ in range(3))
    bias = draw(st.booleans())

    def array(shape, low, high):
        return draw(hnp.arrays(np.float64, shape, elements=floats_in(low, high)))

    inputs = [array((batch, width), -2, 2), array((batch, 6 * n), -1.5, 1.5),
              array((4 * n, width), -1, 1), array((4 * n, n), -1, 1)]
    if bias:
        inputs += [array((4 * n,), -1, 1), array((4 * n,), -1, 1)]
    return [Tensor(a, requires_grad=True) for a in inputs]


@settings(max_examples=25)
@given(inputs=lstm_inputs())
def test_lstm_cell_forward_is_the_lstm_equations(inputs):
    arrays = [t.data for t in inputs]
    out = LSTMCell.apply(*inputs).data
    n = arrays[3].shape[1]
    h, c, gates = numpy_lstm(*arrays[:4], arrays[4:])
    np.testing.assert_allclose(out[:, :n], h, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(out[:, n:2 * n], c, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(out[:, 2 * n:], gates, rtol=1e-13, atol=1e-15)


@settings(max_examples=25)
@given(inputs=lstm_inputs())
def test_lstm_cell_gradients_match_finite_differences_to_second_order(inputs):
    assert_gradients_close(LSTMCell.apply, *inputs)


def test_lstm_cell_ignores_the_gate_columns_of_its_input_state():
    rng = np.random.default_rng(0)
    x, w_ih, w_hh = rng.normal(size=(2, 3)), rng.normal(size=(8, 3)), rng.normal(size=(8, 2))
    state = Tensor(rng.normal(size=(2, 12)), requires_grad=True)
    out = LSTMCell.apply(x, state, w_ih, w_hh)
    with no_grad():
        other = state.data.copy()
        other[:, 4:] = 7.0
        np.testing.assert_array_equal(LSTMCell.apply(x, other, w_ih, w_hh).data, out.data)
    out.sum().backward()
    np.testing.assert_array_equal(state.grad.data[:, 4:], 0.0)


def test_lstm_cell_keeps_float32():
    rng = np.random.default_rng(1)
    args = [rng.normal(size=s).astype(np.float32) for s in ((2, 3), (2, 12), (8, 3), (8, 2))]
    out = LSTMCell.apply(*[Tensor(a, requires_grad=True) for a in args])
    assert out.dtype == np.float32
    out.sum().backward()


@pytest.mark.parametrize("shapes", [
    [(2, 3), (2, 12), (8, 4), (8, 2)],          # weight_ih does not match x
    [(2, 3), (2, 8), (8, 3), (8, 2)],           # state not (batch, 6H)
    [(2, 3), (3, 12), (8, 3), (8, 2)],          # batch sizes differ
    [(2, 3), (2, 12), (8, 3), (6, 2)],          # weight_hh not (4H, H)
    [(2, 3), (2, 12), (8, 3), (8, 2), (8,)],    # one bias
    [(2, 3), (2, 12), (8, 3), (8, 2), (8,), (4,)],
    [(3,), (12,), (8, 3), (8, 2)],              # unbatched: the layers reshape first
])
def test_lstm_cell_refuses_shapes_that_do_not_fit(shapes):
    args = [np.zeros(s) for s in shapes]
    with pytest.raises(ValueError, match=r"lstm_cell: expected x \(batch, in\).*got x"):
        LSTMCell.apply(*[Tensor(a, requires_grad=True) for a in args])


def test_lstm_cell_on_an_empty_batch_gives_zero_weight_gradients():
    rng = np.random.default_rng(2)
    w_ih = Tensor(rng.normal(size=(8, 3)), requires_grad=True)
    w_hh = Tensor(rng.normal(size=(8, 2)), requires_grad=True)
    biases = [Tensor(rng.normal(size=8), requires_grad=True) for _ in range(2)]
    out = LSTMCell.apply(np.zeros((0, 3)), np.zeros((0, 12)), w_ih, w_hh, *biases)
    assert out.shape == (0, 12)
    out.sum().backward()
    for param in (w_ih, w_hh, *biases):
        np.testing.assert_array_equal(param.grad.data, np.zeros(param.shape))
