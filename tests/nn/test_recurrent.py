"""nn.RNN / LSTM / GRU and the cells beyond the PyTorch comparison (test_recurrent_torch.py):
time steps in named scopes, one lstm_cell node per step, bad input refused clearly, dropout
between layers, initialisation, float32, and second derivatives through the unrolled loop."""

import math
import warnings

import numpy as np
import pytest

import nn
from autograd import Tensor
from autograd.engine import topological_order
from autograd.testing import assert_gradients_close


def step_scopes(out):
    """Scope name of every node made inside a time step, in creation order."""
    nodes = sorted(topological_order([out.grad_fn]), key=lambda node: node.sequence)
    names = []
    for node in nodes:
        scope = getattr(node, "scope", None)
        if scope is not None and scope.name.endswith(" step"):
            names.append(scope.name)
    return names


def test_time_steps_run_in_one_scope_name_per_layer_and_direction():
    lstm = nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    out, _ = lstm(np.ones((5, 2, 3)))
    names = step_scopes(out)
    runs = [name for k, name in enumerate(names) if k == 0 or names[k - 1] != name]
    assert runs == ["l0 step", "l0_reverse step", "l1 step", "l1_reverse step"]
    # layer 0 reads a constant input: one lstm_cell per step; layer 1 also slices x_t
    assert names.count("l0 step") == 5 and names.count("l1_reverse step") == 10
    gru_out, _ = nn.GRU(3, 4)(np.ones((6, 2, 3)))
    assert set(step_scopes(gru_out)) == {"l0 step"}


def test_every_step_is_its_own_scope_so_pictures_can_count_them():
    out, _ = nn.RNN(3, 4)(np.ones((7, 1, 3)))
    scopes = {id(node.scope) for node in topological_order([out.grad_fn])
              if getattr(node, "scope", None) is not None and node.scope.name == "l0 step"}
    assert len(scopes) == 7


def test_lstm_unrolled_over_32_steps_is_32_lstm_cell_nodes():
    out, _ = nn.LSTM(2, 3)(Tensor(np.ones((32, 1, 2))))
    names = [node.op.name for node in topological_order([out.grad_fn])]
    assert names.count("lstm_cell") == 32


@pytest.mark.parametrize("make", [lambda: nn.RNN(3, 4, 2, bidirectional=True),
                                  lambda: nn.GRU(3, 4, 2, batch_first=True),
                                  lambda: nn.LSTM(3, 4, 2, bidirectional=True)],
                         ids=["RNN", "GRU", "LSTM"])
def test_second_derivatives_through_the_unrolled_layers(make):
    module = make()
    x = Tensor(np.random.default_rng(0).normal(size=(3, 2, 3)), requires_grad=True)
    assert_gradients_close(lambda x: module(x)[0], x)


def test_lstm_cell_module_second_derivatives():
    cell = nn.LSTMCell(3, 2)
    rng = np.random.default_rng(1)
    x, h, c = (Tensor(rng.normal(size=s), requires_grad=True) for s in ((2, 3), (2, 2), (2, 2)))
    assert_gradients_close(lambda x, h, c: cell(x, (h, c))[1] * cell(x, (h, c))[0], x, h, c)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_parameters_start_uniform_within_one_over_sqrt_hidden(kind):
    module = getattr(nn, kind)(5, 16, num_layers=2, generator=0)
    bound = 1 / math.sqrt(16)
    for name, param in module.named_parameters():
        assert np.abs(param.data).max() <= bound, name
        assert np.abs(param.data).max() > 0.8 * bound, name  # spread over the range
    assert module.weight_ih_l1.shape[1] == 16


def test_float32_modules_stay_float32():
    lstm = nn.LSTM(3, 4, dtype=np.float32)
    out, (h, c) = lstm(np.ones((2, 1, 3), dtype=np.float32))
    assert out.dtype == h.dtype == c.dtype == np.float32
    out.sum().backward()
    assert all(p.grad.dtype == np.float32 for p in lstm.parameters())


def test_dropout_acts_between_layers_in_training_only():
    model = nn.GRU(3, 8, num_layers=2, dropout=0.5, generator=0)
    plain = nn.GRU(3, 8, num_layers=2)
    plain.load_state_dict(model.state_dict())
    x = np.random.default_rng(2).normal(size=(4, 2, 3))
    assert not np.allclose(model(x)[0].data, plain(x)[0].data)
    model.eval()
    np.testing.assert_array_equal(model(x)[0].data, plain(x)[0].data)


def test_dropout_with_one_layer_warns_as_pytorch_does():
    with pytest.warns(UserWarning, match="dropout=0.5 acts between layers only"):
        nn.LSTM(3, 4, dropout=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.LSTM(3, 4, num_layers=2, dropout=0.5)


def test_final_state_feeds_the_next_call():
    lstm = nn.LSTM(3, 4, batch_first=True)
    x = np.random.default_rng(3).normal(size=(2, 6, 3))
    whole, (h, c) = lstm(x)
    first, state = lstm(x[:, :4])
    rest, (h2, c2) = lstm(x[:, 4:], state)
    np.testing.assert_allclose(rest.data, whole.data[:, 4:], rtol=1e-12)
    np.testing.assert_allclose(h2.data, h.data, rtol=1e-12)


@pytest.mark.parametrize("call, error, message", [
    (lambda: nn.LSTM(3, 4)(np.ones((5, 2, 2))), ValueError,
     r"LSTM: input.shape\[-1\] must equal input_size=3, got input of shape \(5, 2, 2\)"),
    (lambda: nn.RNN(3, 4)(np.ones(3)), ValueError, r"RNN: expected a 3-d input"),
    (lambda: nn.GRU(3, 4)(np.ones((1, 5, 2, 3))), ValueError, r"GRU: expected a 3-d input"),
    (lambda: nn.RNN(3, 4)(np.ones((0, 2, 3))), ValueError, "the input sequence is empty"),
    (lambda: nn.RNN(3, 4, 2)(np.ones((5, 2, 3)), np.zeros((1, 2, 4))), ValueError,
     r"RNN: for batched 3-d input, hx must have shape \(2, 2, 4\).*got \(1, 2, 4\)"),
    (lambda: nn.GRU(3, 4)(np.ones((5, 3)), np.zeros((1, 1, 4))), ValueError,
     r"for unbatched 2-d input, hx must have shape \(1, 4\)"),
    (lambda: nn.LSTM(3, 4)(np.ones((5, 2, 3)), np.zeros((1, 2, 4))), TypeError,
     r"LSTM: hx must be a tuple \(h_0, c_0\)"),
    (lambda: nn.LSTM(3, 4, bidirectional=True)(
        np.ones((5, 2, 3)), (np.zeros((2, 2, 4)), np.zeros((1, 2, 4)))), ValueError,
     r"c_0 must have shape \(2, 2, 4\)"),
    (lambda: nn.LSTM(3, 4, proj_size=2), ValueError, "proj_size=2 is not supported"),
    (lambda: nn.RNN(3, 4, nonlinearity="sigmoid"), ValueError, "unknown nonlinearity"),
    (lambda: nn.GRU(3, 4, dropout=1.5), ValueError, "dropout should be a number in"),
    (lambda: nn.RNN(0, 4), ValueError, "input_size must be a positive int"),
    (lambda: nn.LSTMCell(3, 4)(np.ones((2, 5))), ValueError,
     r"LSTMCell: expected input of shape \(batch, 3\) or \(3,\), got \(2, 5\)"),
    (lambda: nn.GRUCell(3, 4)(np.ones((2, 3)), np.zeros((3, 4))), ValueError,
     r"GRUCell: hx must have shape \(2, 4\) for input of shape \(2, 3\), got \(3, 4\)"),
    (lambda: nn.LSTMCell(3, 4)(np.ones((2, 3)), np.zeros((2, 4))), TypeError,
     r"LSTMCell: hx must be a tuple \(h, c\)"),
])
def test_bad_input_is_refused_with_the_shapes(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_batch_first_changes_only_the_input_and_output_layout():
    seq_first = nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    batch_first = nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True)
    batch_first.load_state_dict(seq_first.state_dict())
    x = np.random.default_rng(4).normal(size=(5, 2, 3))
    out, (h, _) = seq_first(x)
    out_bf, (h_bf, _) = batch_first(x.swapaxes(0, 1))
    np.testing.assert_array_equal(out_bf.data, out.data.swapaxes(0, 1))
    np.testing.assert_array_equal(h_bf.data, h.data)  # h_n stays (layers, batch, hidden)


def test_checkpoint_round_trip_and_dtype_conversion(tmp_path):
    lstm = nn.LSTM(3, 4, num_layers=2, bidirectional=True, generator=5)
    nn.save(lstm.state_dict(), tmp_path / "lstm.safetensors")
    loaded = nn.load(tmp_path / "lstm.safetensors")
    assert list(loaded) == list(lstm.state_dict())  # PyTorch's key order survives
    other = nn.LSTM(3, 4, num_layers=2, bidirectional=True, generator=6)
    other.load_state_dict(loaded)
    x = np.random.default_rng(5).normal(size=(4, 2, 3))
    np.testing.assert_array_equal(other(x)[0].data, lstm(x)[0].data)
    other.to(np.float32)
    out, (h, c) = other(x.astype(np.float32))
    assert out.dtype == h.dtype == c.dtype == np.float32
    np.testing.assert_allclose(out.data, lstm(x)[0].data, rtol=1e-5, atol=1e-6)


def test_cells_step_by_step_equal_the_layer():
    layer = nn.GRU(3, 4, generator=7)
    cell = nn.GRUCell(3, 4)
    cell.load_state_dict({k[:-3]: v for k, v in layer.state_dict().items()})  # drop "_l0"
    x = np.random.default_rng(7).normal(size=(5, 2, 3))
    h = None
    for t in range(5):
        h = cell(x[t], h)
    np.testing.assert_allclose(h.data, layer(x)[1].data[0], rtol=1e-13)
    lstm, lstm_cell = nn.LSTM(3, 4, generator=8), nn.LSTMCell(3, 4)
    lstm_cell.load_state_dict({k[:-3]: v for k, v in lstm.state_dict().items()})
    state = None
    for t in range(5):
        state = lstm_cell(x[t], state)
    _, (h_n, c_n) = lstm(x)
    np.testing.assert_allclose(state[0].data, h_n.data[0], rtol=1e-13)
    np.testing.assert_allclose(state[1].data, c_n.data[0], rtol=1e-13)


@pytest.mark.parametrize("make", [lambda g: nn.LSTM(3, 9, 2, generator=g),
                                  lambda g: nn.GRUCell(3, 9, generator=g)],
                         ids=["LSTM", "GRUCell"])
def test_reset_parameters_redraws_from_the_same_range(make):
    module = make(3)
    before = {name: p.data.copy() for name, p in module.named_parameters()}
    module.reset_parameters(generator=4)
    for name, param in module.named_parameters():
        assert not np.array_equal(param.data, before[name]), name
        assert np.abs(param.data).max() <= 1 / 3  # 1/√9
    again = make(4)  # the constructor draws the same way, in the same order
    for param, other in zip(module.parameters(), again.parameters()):
        np.testing.assert_array_equal(param.data, other.data)
