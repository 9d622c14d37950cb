"""Convolutional layers equal PyTorch (issue 16 item 3): outputs and every input and
parameter gradient to 1e-10 relative in float64, state-dict keys and shapes, extra_repr,
and a LeNet-style CNN trained 5 SGD steps on the same batches with the same weights.

conv_reference.json was recorded by make_conv_reference.py with torch 2.13.0 (CPU) from
the cases in conv_cases.py; CI checks it without torch. The last tests re-run every case
against a live torch when one is installed.
"""

import json
import pathlib
import types

import numpy as np
import pytest

import nn
import nn.functional as F
import optim
from autograd import Tensor, grad, no_grad

from .conv_cases import (
    FUNCTIONAL,
    MODULES,
    SECOND_ORDER,
    run_functional,
    run_module,
    run_second_order,
    train_lenet,
)

REFERENCE = json.loads(pathlib.Path(__file__).with_name("conv_reference.json").read_text())
RTOL = 1e-10


def _assign(param, values):
    with no_grad():
        param[...] = values


TRACEGRAD = types.SimpleNamespace(
    F=F,
    nn=nn,
    SGD=optim.SGD,
    tensor=lambda values, requires_grad=True: Tensor(values, requires_grad=requires_grad),
    labels=lambda y: y,
    shape=lambda t: tuple(t.shape),
    numpy=lambda t: np.array(t.data),
    assign=_assign,
    grad=grad,
)


def close(actual, expected, what):
    expected = np.asarray(expected, dtype=np.float64)
    assert np.shape(actual) == expected.shape, f"{what}: shape {np.shape(actual)} != " \
                                               f"{expected.shape}"
    scale = max(np.abs(expected).max(initial=0.0), 1e-300)
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=RTOL * scale, err_msg=what)


@pytest.mark.parametrize("index", range(len(FUNCTIONAL)),
                         ids=[f"{fn}-{i}" for i, (fn, *_) in enumerate(FUNCTIONAL)])
def test_functional_matches_the_pytorch_recording(index):
    out, grads = run_functional(TRACEGRAD, index)
    recorded = REFERENCE["functional"][index]
    close(out, recorded["out"], "output")
    for i, (g, expected) in enumerate(zip(grads, recorded["grads"], strict=True)):
        close(g, expected, f"gradient of input {i}")


@pytest.mark.parametrize("index", range(len(MODULES)),
                         ids=[f"{name}-{i}" for i, (name, *_) in enumerate(MODULES)])
def test_module_matches_the_pytorch_recording(index):
    out, grads, state, extra = run_module(TRACEGRAD, index)
    recorded = REFERENCE["modules"][index]
    assert state == recorded["state_dict"]  # keys, order and shapes
    assert extra == recorded["extra_repr"]
    close(out, recorded["out"], "output")
    assert set(grads) == set(recorded["grads"])
    for key, g in grads.items():
        close(g, recorded["grads"][key], f"gradient of {key}")


@pytest.mark.parametrize("index", range(len(SECOND_ORDER)),
                         ids=[f"{fn}-{i}" for i, (fn, *_) in enumerate(SECOND_ORDER)])
def test_second_derivatives_through_create_graph_match_pytorch(index):
    hessian_vector = run_second_order(TRACEGRAD, index)
    recorded = REFERENCE["second_order"][index]
    for i, (hv, expected) in enumerate(zip(hessian_vector, recorded, strict=True)):
        close(hv, expected, f"second derivative for input {i}")


def test_lenet_trained_five_steps_matches_pytorch():
    losses, first_grads, final = train_lenet(TRACEGRAD)
    recorded = REFERENCE["lenet"]
    close(np.array(losses), recorded["losses"], "losses")
    assert list(final) == list(recorded["final"])  # parameter names, in torch's order
    for key in final:
        close(first_grads[key], recorded["first_grads"][key], f"first gradient of {key}")
        close(final[key], recorded["final"][key], f"{key} after 5 steps")


def test_the_recording_is_pytorchs_and_complete():
    assert REFERENCE["torch"].startswith("2.13")
    assert len(REFERENCE["functional"]) == len(FUNCTIONAL)
    assert len(REFERENCE["modules"]) == len(MODULES)
    assert len(REFERENCE["second_order"]) == len(SECOND_ORDER)


# -- live PyTorch, when installed --------------------------------------------------------


@pytest.fixture(scope="module")
def live():
    torch = pytest.importorskip("torch")
    from . import make_conv_reference
    default = torch.get_default_dtype()
    try:
        return make_conv_reference.record()  # records in float64
    finally:
        torch.set_default_dtype(default)  # later tests see torch's own default


def test_live_pytorch_agrees_with_tracegrad(live):
    for index in range(len(FUNCTIONAL)):
        out, grads = run_functional(TRACEGRAD, index)
        close(out, live["functional"][index]["out"], f"functional {index}")
        for g, expected in zip(grads, live["functional"][index]["grads"], strict=True):
            close(g, expected, f"functional {index} gradient")
    for index in range(len(MODULES)):
        out, grads, state, extra = run_module(TRACEGRAD, index)
        assert (state, extra) == (live["modules"][index]["state_dict"],
                                  live["modules"][index]["extra_repr"])
        close(out, live["modules"][index]["out"], f"module {index}")
    for index in range(len(SECOND_ORDER)):
        for hv, expected in zip(run_second_order(TRACEGRAD, index), live["second_order"][index],
                                strict=True):
            close(hv, expected, f"second order {index}")
    losses, _, _ = train_lenet(TRACEGRAD)
    close(np.array(losses), live["lenet"]["losses"], "lenet losses")
