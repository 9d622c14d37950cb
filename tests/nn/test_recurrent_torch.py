"""nn.RNN / LSTM / GRU against PyTorch in float64 (issue 16 item 3): outputs, final states,
every parameter's gradient and the input and initial-state gradients to 1e-10 relative, the
state-dict keys and shapes, the reprs, and an LSTM classifier trained 5 steps with SGD and
Adam. recurrent_reference.json (tests/nn/make_recurrent_reference.py) is always checked;
the live comparison runs where torch is installed."""

import json
import pathlib

import numpy as np
import pytest

import nn
import optim
from autograd import Tensor, grad

from .recurrent_cases import (
    CASES,
    CELL_CASES,
    CLASSIFIER,
    HIDDEN,
    INPUT,
    OPTIMIZERS,
    build,
    build_cell,
    classifier_data,
)

REFERENCE = json.loads(pathlib.Path(__file__).with_name("recurrent_reference.json").read_text())
RTOL = 1e-10


def assert_close(actual, expected, what):
    expected = np.asarray(expected, dtype=np.float64)
    actual = np.asarray(actual, dtype=np.float64)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    # 1e-10 relative to the largest entry (entries near 0 have no meaningful relative error)
    scale = max(1.0, float(np.abs(expected).max(initial=0.0)))
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=RTOL * scale, err_msg=what)


def make_module(case):
    kwargs = {"num_layers": case["num_layers"], "bias": case["bias"],
              "batch_first": case["batch_first"], "bidirectional": case["bidirectional"]}
    if case["mode"].startswith("RNN"):
        kwargs["nonlinearity"] = "tanh" if case["mode"] == "RNN_TANH" else "relu"
        return nn.RNN(INPUT, HIDDEN, **kwargs)
    return getattr(nn, case["mode"])(INPUT, HIDDEN, **kwargs)


def torch_style_repr(module):
    """PyTorch's repr of a module without children (tracegrad's adds a parameter count)."""
    return f"{type(module).__name__}({module.extra_repr()})"


def run_tracegrad(case):
    """The same record as make_recurrent_reference.run_torch, computed by tracegrad."""
    arrays = build(case)
    module = make_module(case)
    module.load_state_dict(arrays["params"])
    x = Tensor(arrays["input"], requires_grad=True)
    leaves = {"input": x}
    hx = arrays["hx"]
    if hx is not None:
        if case["mode"] == "LSTM":
            hx = tuple(Tensor(h, requires_grad=True) for h in hx)
            leaves.update(h0=hx[0], c0=hx[1])
        else:
            hx = Tensor(hx, requires_grad=True)
            leaves["h0"] = hx
    output, h_n = module(x, hx)
    c_n = None
    if case["mode"] == "LSTM":
        h_n, c_n = h_n
    cot = arrays["cotangents"]
    loss = (output * cot["output"]).sum() + (h_n * cot["h_n"].reshape(h_n.shape)).sum()
    if c_n is not None:
        loss = loss + (c_n * cot["c_n"].reshape(c_n.shape)).sum()
    leaves.update(dict(module.named_parameters()))
    grads = grad(loss, list(leaves.values()))
    result = {"state_dict": [[k, list(v.shape)] for k, v in module.state_dict().items()],
              "repr": torch_style_repr(module), "output": output.data, "h_n": h_n.data,
              "grads": {k: g.data for k, g in zip(leaves, grads)}}
    if c_n is not None:
        result["c_n"] = c_n.data
    return result


def assert_same_record(ours, theirs, case_id):
    assert ours["state_dict"] == theirs["state_dict"], f"{case_id}: state-dict keys/shapes"
    assert ours["repr"] == theirs["repr"]
    for key in ("output", "h_n", "c_n"):
        assert (key in ours) == (key in theirs), f"{case_id}: {key}"
        if key in ours:
            assert_close(ours[key], theirs[key], f"{case_id} {key}")
    assert ours["grads"].keys() == theirs["grads"].keys()
    for key, value in theirs["grads"].items():
        assert_close(ours["grads"][key], value, f"{case_id} gradient of {key}")


def test_reference_file_was_recorded_with_pytorch_2_13_for_every_case():
    assert REFERENCE["torch"].startswith("2.13")
    assert sorted(REFERENCE["cases"]) == sorted(case["id"] for case in CASES)
    assert sorted(REFERENCE["cells"]) == sorted(case["id"] for case in CELL_CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case["id"])
def test_recurrent_layer_matches_recorded_pytorch(case):
    assert_same_record(run_tracegrad(case), REFERENCE["cases"][case["id"]], case["id"])


def run_tracegrad_cell(case):
    arrays = build_cell(case)
    kwargs = {"bias": case["bias"]}
    if case["kind"] == "RNNCell":
        kwargs["nonlinearity"] = case["nonlinearity"]
    module = getattr(nn, case["kind"])(INPUT, HIDDEN, **kwargs)
    module.load_state_dict(arrays["params"])
    x = Tensor(arrays["input"], requires_grad=True)
    leaves = {"input": x}
    hx = arrays["hx"]
    if hx is not None:
        if case["kind"] == "LSTMCell":
            hx = tuple(Tensor(h, requires_grad=True) for h in hx)
            leaves.update(h0=hx[0], c0=hx[1])
        else:
            hx = Tensor(hx, requires_grad=True)
            leaves["h0"] = hx
    out = module(x, hx)
    h, c = out if case["kind"] == "LSTMCell" else (out, None)
    cot = arrays["cotangents"]
    loss = (h * cot["h"]).sum() + (0 if c is None else (c * cot["c"]).sum())
    leaves.update(dict(module.named_parameters()))
    grads = grad(loss, list(leaves.values()))
    result = {"h": h.data, "grads": {k: g.data for k, g in zip(leaves, grads)}}
    if c is not None:
        result["c"] = c.data
    return result


def assert_same_cell_record(ours, theirs, case_id):
    assert ours.keys() == theirs.keys()
    for key in ("h", "c"):
        if key in ours:
            assert_close(ours[key], theirs[key], f"{case_id} {key}")
    assert ours["grads"].keys() == theirs["grads"].keys()
    for key, value in theirs["grads"].items():
        assert_close(ours["grads"][key], value, f"{case_id} gradient of {key}")


@pytest.mark.parametrize("case", CELL_CASES, ids=lambda case: case["id"])
def test_recurrent_cell_matches_recorded_pytorch(case):
    assert_same_cell_record(run_tracegrad_cell(case), REFERENCE["cells"][case["id"]],
                            case["id"])


@pytest.mark.parametrize("case", CELL_CASES[::3], ids=lambda case: case["id"])
def test_live_pytorch_cell_agrees(case):
    pytest.importorskip("torch")
    from .make_recurrent_reference import run_torch_cell

    assert_same_cell_record(run_tracegrad_cell(case), run_torch_cell(case), case["id"])


class Classifier(nn.Module):
    """2-layer LSTM -> last layer's final h -> Linear: PyTorch's sequence classifier."""

    def __init__(self):
        super().__init__()
        c = CLASSIFIER
        self.lstm = nn.LSTM(c["input"], c["hidden"], c["layers"], batch_first=True)
        self.head = nn.Linear(c["hidden"], c["classes"])

    def forward(self, x):
        _, (h_n, _) = self.lstm(x)
        return self.head(h_n[-1])


def train_tracegrad(optimizer_name):
    weights, batches = classifier_data()
    model = Classifier()
    model.load_state_dict(weights)
    optimizer = getattr(optim, optimizer_name)(model.parameters(), **OPTIMIZERS[optimizer_name])
    losses = []
    for x, y in batches:
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses, {k: v.data for k, v in model.state_dict().items()}


@pytest.mark.parametrize("optimizer_name", sorted(OPTIMIZERS))
def test_lstm_classifier_trains_5_steps_as_pytorch(optimizer_name):
    losses, params = train_tracegrad(optimizer_name)
    expected = REFERENCE["training"][optimizer_name]
    assert_close(losses, expected["losses"], "losses")
    assert params.keys() == expected["params"].keys()
    for key, value in expected["params"].items():
        assert_close(params[key], value, f"{optimizer_name}: {key} after 5 steps")
    assert losses[-1] != losses[0]  # the weights moved


@pytest.mark.parametrize("key, module", [
    ("RNNCell", lambda: nn.RNNCell(INPUT, HIDDEN)),
    ("LSTMCell", lambda: nn.LSTMCell(INPUT, HIDDEN)),
    ("GRUCell", lambda: nn.GRUCell(INPUT, HIDDEN)),
    ("RNNCell-relu-nobias", lambda: nn.RNNCell(INPUT, HIDDEN, bias=False, nonlinearity="relu")),
    ("RNN-relu", lambda: nn.RNN(INPUT, HIDDEN, nonlinearity="relu", dropout=0.5, num_layers=2)),
])
def test_repr_is_pytorchs(key, module):
    assert torch_style_repr(module()) == REFERENCE["reprs"][key]


@pytest.mark.parametrize("case", CASES[::4], ids=lambda case: case["id"])
def test_live_pytorch_agrees(case):
    pytest.importorskip("torch")
    from .make_recurrent_reference import run_torch  # needs torch, hence imported here

    theirs = run_torch(case)
    assert_same_record(run_tracegrad(case), theirs, case["id"])


@pytest.mark.parametrize("optimizer_name", sorted(OPTIMIZERS))
def test_live_pytorch_classifier_agrees(optimizer_name):
    pytest.importorskip("torch")
    from .make_recurrent_reference import train_torch

    losses, params = train_tracegrad(optimizer_name)
    their_losses, their_params = train_torch(optimizer_name)
    assert_close(losses, their_losses, "losses")
    for key, value in their_params.items():
        assert_close(params[key], value, key)
