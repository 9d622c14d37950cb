"""Records torch.nn.RNN / LSTM / GRU outputs, final states and every gradient for
recurrent_cases.CASES, and an LSTM classifier's 5 training steps, into
recurrent_reference.json, which test_recurrent_torch.py checks without torch.

    python3 -m venv /tmp/torch && /tmp/torch/bin/pip install torch==2.13.0 numpy
    /tmp/torch/bin/python tests/nn/make_recurrent_reference.py
"""

import json
import pathlib
import sys

import numpy as np
import torch

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from recurrent_cases import (  # noqa: E402
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

OUT = pathlib.Path(__file__).with_name("recurrent_reference.json")


def make_torch_module(case):
    kwargs = {"num_layers": case["num_layers"], "bias": case["bias"],
              "batch_first": case["batch_first"], "bidirectional": case["bidirectional"]}
    if case["mode"].startswith("RNN"):
        kwargs["nonlinearity"] = "tanh" if case["mode"] == "RNN_TANH" else "relu"
        return torch.nn.RNN(INPUT, HIDDEN, **kwargs)
    return getattr(torch.nn, case["mode"])(INPUT, HIDDEN, **kwargs)


def run_torch(case):
    """{"state_dict": [[key, shape]], "repr", "output", "h_n", "c_n", "grads": {name}}."""
    arrays = build(case)
    module = make_torch_module(case).double()
    with torch.no_grad():
        for name, value in arrays["params"].items():
            getattr(module, name).copy_(torch.tensor(value))
    x = torch.tensor(arrays["input"], requires_grad=True)
    leaves = {"input": x}
    hx = arrays["hx"]
    if hx is not None:
        hx = tuple(torch.tensor(h, requires_grad=True) for h in hx) if case["mode"] == "LSTM" \
            else torch.tensor(hx, requires_grad=True)
        if case["mode"] == "LSTM":
            leaves.update(h0=hx[0], c0=hx[1])
        else:
            leaves["h0"] = hx
    output, h_n = module(x, hx)
    c_n = None
    if case["mode"] == "LSTM":
        h_n, c_n = h_n
    cot = {k: torch.tensor(v) for k, v in arrays["cotangents"].items()}
    loss = (output * cot["output"]).sum() + (h_n * cot["h_n"].reshape(h_n.shape)).sum()
    if c_n is not None:
        loss = loss + (c_n * cot["c_n"].reshape(c_n.shape)).sum()
    leaves.update(dict(module.named_parameters()))
    grads = torch.autograd.grad(loss, list(leaves.values()))
    result = {"state_dict": [[k, list(v.shape)] for k, v in module.state_dict().items()],
              "repr": repr(module), "output": output.detach().numpy(),
              "h_n": h_n.detach().numpy(),
              "grads": {k: g.numpy() for k, g in zip(leaves, grads)}}
    if c_n is not None:
        result["c_n"] = c_n.detach().numpy()
    return result


def run_torch_cell(case):
    """{"output": h' (and "c" for LSTMCell), "grads": {input, h0, c0, parameters}}."""
    arrays = build_cell(case)
    kwargs = {"bias": case["bias"]}
    if case["kind"] == "RNNCell":
        kwargs["nonlinearity"] = case["nonlinearity"]
    module = getattr(torch.nn, case["kind"])(INPUT, HIDDEN, **kwargs).double()
    with torch.no_grad():
        for name, value in arrays["params"].items():
            getattr(module, name).copy_(torch.tensor(value))
    x = torch.tensor(arrays["input"], requires_grad=True)
    leaves = {"input": x}
    hx = arrays["hx"]
    if hx is not None:
        if case["kind"] == "LSTMCell":
            hx = tuple(torch.tensor(h, requires_grad=True) for h in hx)
            leaves.update(h0=hx[0], c0=hx[1])
        else:
            hx = torch.tensor(hx, requires_grad=True)
            leaves["h0"] = hx
    out = module(x, hx)
    h, c = out if case["kind"] == "LSTMCell" else (out, None)
    cot = {k: torch.tensor(v) for k, v in arrays["cotangents"].items()}
    loss = (h * cot["h"]).sum() + (0 if c is None else (c * cot["c"]).sum())
    leaves.update(dict(module.named_parameters()))
    grads = torch.autograd.grad(loss, list(leaves.values()))
    result = {"h": h.detach().numpy(), "grads": {k: g.numpy() for k, g in zip(leaves, grads)}}
    if c is not None:
        result["c"] = c.detach().numpy()
    return result


class TorchClassifier(torch.nn.Module):
    def __init__(self):
        super().__init__()
        c = CLASSIFIER
        self.lstm = torch.nn.LSTM(c["input"], c["hidden"], c["layers"], batch_first=True)
        self.head = torch.nn.Linear(c["hidden"], c["classes"])

    def forward(self, x):
        _, (h_n, _) = self.lstm(x)
        return self.head(h_n[-1])


def train_torch(optimizer_name):
    """Losses of the 5 steps and the final parameters of the classifier."""
    weights, batches = classifier_data()
    model = TorchClassifier().double()
    model.load_state_dict({k: torch.tensor(v) for k, v in weights.items()})
    optimizer = getattr(torch.optim, optimizer_name)(model.parameters(),
                                                      **OPTIMIZERS[optimizer_name])
    losses = []
    for x, y in batches:
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(torch.tensor(x)), torch.tensor(y))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses, {k: v.detach().numpy() for k, v in model.state_dict().items()}


def _listed(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, dict):
        return {k: _listed(v) for k, v in value.items()}
    return value


def main():
    torch.set_default_dtype(torch.float64)
    cases = {case["id"]: _listed(run_torch(case)) for case in CASES}
    training = {}
    for name in OPTIMIZERS:
        losses, params = train_torch(name)
        training[name] = {"losses": losses, "params": _listed(params)}
    cells = {kind: repr(getattr(torch.nn, kind)(INPUT, HIDDEN)) for kind in
             ("RNNCell", "LSTMCell", "GRUCell")}
    cells["RNNCell-relu-nobias"] = repr(torch.nn.RNNCell(INPUT, HIDDEN, bias=False,
                                                         nonlinearity="relu"))
    cells["RNN-relu"] = repr(torch.nn.RNN(INPUT, HIDDEN, nonlinearity="relu", dropout=0.5,
                                          num_layers=2))
    cell_cases = {case["id"]: _listed(run_torch_cell(case)) for case in CELL_CASES}
    record = {"torch": torch.__version__, "cases": cases, "cells": cell_cases,
              "training": training, "reprs": cells}
    OUT.write_text(json.dumps(record, separators=(",", ":")) + "\n")
    print(f"wrote {OUT} ({len(cases)} cases)")


if __name__ == "__main__":
    main()
