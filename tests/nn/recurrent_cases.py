"""The recurrent layers' comparisons with PyTorch: configurations, and the arrays (weights,
inputs, initial states, upstream gradients) each one runs on, drawn from fixed seeds so
make_recurrent_reference.py (torch) and test_recurrent_torch.py (tracegrad) see the same
numbers. Needs only numpy."""

import itertools
import zlib

import numpy as np

INPUT, HIDDEN, SEQ, BATCH = 3, 4, 5, 2
GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _case(mode, layers, batch_first, bidirectional, initial, bias=True, batched=True):
    name = (f"{mode}-l{layers}{'-bf' if batch_first else ''}{'-bi' if bidirectional else ''}"
            f"{'-h0' if initial else ''}{'' if bias else '-nobias'}"
            f"{'' if batched else '-unbatched'}")
    return {"id": name, "mode": mode, "num_layers": layers, "batch_first": batch_first,
            "bidirectional": bidirectional, "initial": initial, "bias": bias,
            "batched": batched}


# Every combination of layers 1-2, batch_first, bidirectional and initial states for the
# three kinds; ReLU RNN, no bias and unbatched inputs on a few.
CASES = [_case(mode, *flags) for mode in ("RNN_TANH", "LSTM", "GRU")
         for flags in itertools.product((1, 2), (False, True), (False, True), (False, True))]
CASES += [_case("RNN_RELU", 2, False, True, True), _case("RNN_RELU", 1, True, False, False)]
CASES += [_case(mode, 2, False, True, True, bias=False) for mode in ("RNN_TANH", "LSTM", "GRU")]
CASES += [_case(mode, 2, False, True, initial, batched=False)
          for mode in ("RNN_TANH", "LSTM", "GRU") for initial in (False, True)]


def parameter_shapes(case):
    """[(name, shape)] in PyTorch's registration order."""
    rows = GATES[case["mode"]] * HIDDEN
    directions = 2 if case["bidirectional"] else 1
    shapes = []
    for layer in range(case["num_layers"]):
        width = INPUT if layer == 0 else HIDDEN * directions
        for direction in range(directions):
            suffix = f"_l{layer}" + ("_reverse" if direction else "")
            shapes += [("weight_ih" + suffix, (rows, width)),
                       ("weight_hh" + suffix, (rows, HIDDEN))]
            if case["bias"]:
                shapes += [("bias_ih" + suffix, (rows,)), ("bias_hh" + suffix, (rows,))]
    return shapes


def _rng(case_id, what):
    return np.random.default_rng(zlib.crc32(f"{case_id}/{what}".encode()))


def build(case):
    """{"params": {name: array}, "input": x, "hx": h0 / (h0, c0) / None,
    "cotangents": {"output", "h_n", "c_n"}}: all float64."""
    cid = case["id"]
    params = {name: _rng(cid, name).uniform(-0.6, 0.6, shape)
              for name, shape in parameter_shapes(case)}
    directions = 2 if case["bidirectional"] else 1
    layers = case["num_layers"] * directions
    if not case["batched"]:
        x_shape, h_shape = (SEQ, INPUT), (layers, HIDDEN)
        out_shape = (SEQ, directions * HIDDEN)
    elif case["batch_first"]:
        x_shape, h_shape = (BATCH, SEQ, INPUT), (layers, BATCH, HIDDEN)
        out_shape = (BATCH, SEQ, directions * HIDDEN)
    else:
        x_shape, h_shape = (SEQ, BATCH, INPUT), (layers, BATCH, HIDDEN)
        out_shape = (SEQ, BATCH, directions * HIDDEN)
    x = _rng(cid, "input").normal(size=x_shape)
    hx = None
    if case["initial"]:
        h0 = _rng(cid, "h0").normal(scale=0.5, size=h_shape)
        hx = (h0, _rng(cid, "c0").normal(scale=0.5, size=h_shape)) if case["mode"] == "LSTM" \
            else h0
    cotangents = {"output": _rng(cid, "g_out").normal(size=out_shape),
                  "h_n": _rng(cid, "g_h").normal(size=h_shape),
                  "c_n": _rng(cid, "g_c").normal(size=h_shape)}
    return {"params": params, "input": x, "hx": hx, "cotangents": cotangents}


# An LSTM classifier (2-layer LSTM -> last layer's final h -> Linear -> cross-entropy),
# trained 5 steps on the same batches with SGD (momentum) and with Adam.
CLASSIFIER = {"input": 3, "hidden": 6, "layers": 2, "classes": 4, "seq": 7, "batch": 5,
              "steps": 5}
OPTIMIZERS = {"SGD": {"lr": 0.5, "momentum": 0.9}, "Adam": {"lr": 0.05}}


def classifier_parameter_shapes():
    c = CLASSIFIER
    shapes = []
    for layer in range(c["layers"]):
        width = c["input"] if layer == 0 else c["hidden"]
        rows = 4 * c["hidden"]
        shapes += [(f"lstm.weight_ih_l{layer}", (rows, width)),
                   (f"lstm.weight_hh_l{layer}", (rows, c["hidden"])),
                   (f"lstm.bias_ih_l{layer}", (rows,)), (f"lstm.bias_hh_l{layer}", (rows,))]
    return shapes + [("head.weight", (c["classes"], c["hidden"])),
                     ("head.bias", (c["classes"],))]


def classifier_data():
    """(initial state dict, [(x (batch, seq, in), labels (batch,))] for each step)."""
    c = CLASSIFIER
    weights = {name: _rng("classifier", name).uniform(-0.4, 0.4, shape)
               for name, shape in classifier_parameter_shapes()}
    rng = _rng("classifier", "batches")
    batches = [(rng.normal(size=(c["batch"], c["seq"], c["input"])),
                rng.integers(0, c["classes"], size=c["batch"])) for _ in range(c["steps"])]
    return weights, batches


# The cells: each kind batched and unbatched, with and without a given state; no bias once.
def _cell_case(kind, batched, initial, bias=True, nonlinearity="tanh"):
    name = (f"{kind}{'-relu' if nonlinearity == 'relu' else ''}"
            f"{'' if batched else '-unbatched'}{'-hx' if initial else ''}"
            f"{'' if bias else '-nobias'}")
    return {"id": name, "kind": kind, "batched": batched, "initial": initial, "bias": bias,
            "nonlinearity": nonlinearity}


CELL_CASES = [_cell_case(kind, *flags) for kind in ("RNNCell", "LSTMCell", "GRUCell")
              for flags in itertools.product((True, False), (False, True))]
CELL_CASES += [_cell_case("RNNCell", True, True, nonlinearity="relu")]
CELL_CASES += [_cell_case(kind, True, True, bias=False)
               for kind in ("RNNCell", "LSTMCell", "GRUCell")]


def build_cell(case):
    """{"params", "input", "hx": h / (h, c) / None, "cotangents": {"h", "c"}}."""
    cid = case["id"]
    rows = {"RNNCell": 1, "LSTMCell": 4, "GRUCell": 3}[case["kind"]] * HIDDEN
    shapes = {"weight_ih": (rows, INPUT), "weight_hh": (rows, HIDDEN)}
    if case["bias"]:
        shapes.update(bias_ih=(rows,), bias_hh=(rows,))
    params = {name: _rng(cid, name).uniform(-0.6, 0.6, shape) for name, shape in shapes.items()}
    x_shape, h_shape = ((BATCH, INPUT), (BATCH, HIDDEN)) if case["batched"] \
        else ((INPUT,), (HIDDEN,))
    hx = None
    if case["initial"]:
        h = _rng(cid, "h").normal(scale=0.5, size=h_shape)
        hx = (h, _rng(cid, "c").normal(scale=0.5, size=h_shape)) \
            if case["kind"] == "LSTMCell" else h
    return {"params": params, "input": _rng(cid, "input").normal(size=x_shape), "hx": hx,
            "cotangents": {"h": _rng(cid, "g_h").normal(size=h_shape),
                           "c": _rng(cid, "g_c").normal(size=h_shape)}}
