"""layer_norm, batch_norm, group_norm, embedding and their modules against PyTorch
(issue 16 item 3), in float64 to 1e-10 relative: outputs, input and parameter gradients,
running statistics after training steps and in eval, state-dict keys and shapes, reprs
and signatures.

norm_reference.json was recorded by make_norm_reference.py with torch 2.13.0 (CPU) from
the cases in norm_cases.py; CI checks it without torch. The live tests re-run every case
against torch when it is installed.
"""

import inspect
import json
import pathlib

import numpy as np
import pytest

import nn
import nn.functional as F
from autograd import Tensor, grad, no_grad

from .norm_cases import FUNCTIONAL, LR, MODULES, batches, build, cotangent, parameter_values

REFERENCE = json.loads(pathlib.Path(__file__).with_name("norm_reference.json").read_text())
RTOL, ATOL = 1e-10, 1e-12


def run_functional(case_):
    """{"value", "grads", "mutated"} of F.<fn> on the case's arrays, like the recorder."""
    args, kwargs = build(case_)

    def tensor(value, key):
        if not isinstance(value, np.ndarray) or value.dtype.kind != "f":
            return value
        return Tensor(value, requires_grad=key in case_["grads"])

    targs = [tensor(a, i) for i, a in enumerate(args)]
    tkwargs = {k: tensor(v, k) for k, v in kwargs.items()}
    out = getattr(F, case_["fn"])(*targs, **tkwargs)
    leaves = [targs[k] if isinstance(k, int) else tkwargs[k] for k in case_["grads"]]
    v = cotangent(out.shape, case_["id"])
    grads = grad((out * v).sum(), leaves)
    return {"value": out.data,
            "grads": {str(k): g.data for k, g in zip(case_["grads"], grads)},
            "mutated": {str(k): targs[k].data for k in case_["mutated"]}}


def make_module(case_):
    module = getattr(nn, case_["module"])(*case_["args"], **case_["kwargs"])
    values = parameter_values(case_, [(n, p.shape) for n, p in module.named_parameters()])
    with no_grad():
        for name, param in module.named_parameters():
            param[...] = values[name]
    return module


def run_module(case_):
    """The recorder's run_module on tracegrad: train steps, then one eval batch."""
    module = make_module(case_)
    record = {"steps": [], "keys": [[k, list(v.shape)] for k, v in module.state_dict().items()],
              "extra_repr": module.extra_repr()}
    inputs = batches(case_)
    for step, x in enumerate(inputs):
        module.train(step < case_["steps"])
        floating = x.dtype.kind == "f"
        tx = Tensor(x, requires_grad=True) if floating else x
        out = module(tx)
        (out * cotangent(out.shape, case_["id"], step)).sum().backward()
        record["steps"].append({
            "value": out.data,
            "input_grad": tx.grad.data if floating else None,
            "grads": {n: p.grad.data.copy() for n, p in module.named_parameters()
                      if p.grad is not None}})
        with no_grad():
            for param in module.parameters():
                if param.grad is not None:
                    param -= LR * param.grad
                    param.grad = None
    record["state"] = dict(module.state_dict())
    return record


def _array(stored):
    return np.asarray(stored["data"], dtype=stored["dtype"]).reshape(stored["shape"])


def _close(ours, expected, what):
    expected = _array(expected) if isinstance(expected, dict) else expected
    assert np.shape(ours) == np.shape(expected), what
    np.testing.assert_allclose(ours, expected, rtol=RTOL, atol=ATOL, err_msg=what)


def check_functional(ours, expected):
    _close(ours["value"], expected["value"], "value")
    assert set(ours["grads"]) == set(expected["grads"])
    for key in ours["grads"]:
        _close(ours["grads"][key], expected["grads"][key], f"gradient of {key}")
    assert set(ours["mutated"]) == set(expected["mutated"])
    for key in ours["mutated"]:
        _close(ours["mutated"][key], expected["mutated"][key], f"argument {key} after the call")


def check_module(ours, expected):
    assert ours["keys"] == expected["keys"]  # PyTorch's state-dict keys and shapes
    assert ours["extra_repr"] == expected["extra_repr"]
    for step, (mine, theirs) in enumerate(zip(ours["steps"], expected["steps"], strict=True)):
        _close(mine["value"], theirs["value"], f"output of step {step}")
        if theirs["input_grad"] is not None:
            _close(mine["input_grad"], theirs["input_grad"], f"input gradient of step {step}")
        assert set(mine["grads"]) == set(theirs["grads"])
        for name in mine["grads"]:
            _close(mine["grads"][name], theirs["grads"][name], f"{name}.grad of step {step}")
    assert list(ours["state"]) == list(expected["state"])
    for key, value in ours["state"].items():
        assert value.dtype == _array(expected["state"][key]).dtype, key
        _close(value, expected["state"][key], f"state_dict()[{key!r}] after training")


def test_reference_was_recorded_with_pytorch_2_13_for_every_case():
    assert REFERENCE["torch_version"].startswith("2.13")
    assert set(REFERENCE["functional"]) == {c["id"] for c in FUNCTIONAL}
    assert set(REFERENCE["modules"]) == {c["id"] for c in MODULES}


@pytest.mark.parametrize("case_", FUNCTIONAL, ids=[c["id"] for c in FUNCTIONAL])
def test_functional_matches_recorded_pytorch(case_):
    check_functional(run_functional(case_), REFERENCE["functional"][case_["id"]])


@pytest.mark.parametrize("case_", MODULES, ids=[c["id"] for c in MODULES])
def test_module_training_and_eval_match_recorded_pytorch(case_):
    check_module(run_module(case_), REFERENCE["modules"][case_["id"]])


@pytest.mark.parametrize("name", sorted(REFERENCE["signatures"]["functions"]))
def test_functional_signature_is_pytorchs(name):
    assert list(inspect.signature(getattr(F, name)).parameters) == \
        REFERENCE["signatures"]["functions"][name]


@pytest.mark.parametrize("name", sorted(REFERENCE["signatures"]["modules"]))
def test_module_signature_is_pytorchs_without_device(name):
    """tracegrad computes on the CPU: no device argument (its modules add generator=)."""
    target = nn
    for part in name.split("."):
        target = getattr(target, part)
    ours = [p for p in inspect.signature(target).parameters if p != "generator"]
    assert ours == [p for p in REFERENCE["signatures"]["modules"][name] if p != "device"]


@pytest.mark.parametrize("case_", FUNCTIONAL, ids=[c["id"] for c in FUNCTIONAL])
def test_live_pytorch_agrees_on_functional(case_):
    pytest.importorskip("torch")
    from .make_norm_reference import jsonable
    from .make_norm_reference import run_functional as run_torch

    check_functional(run_functional(case_), jsonable(run_torch(case_)))


@pytest.mark.parametrize("case_", MODULES, ids=[c["id"] for c in MODULES])
def test_live_pytorch_agrees_on_modules(case_):
    torch = pytest.importorskip("torch")
    from .make_norm_reference import jsonable
    from .make_norm_reference import run_module as run_torch

    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        expected = jsonable(run_torch(case_))
    finally:
        torch.set_default_dtype(default)
    check_module(run_module(case_), expected)
