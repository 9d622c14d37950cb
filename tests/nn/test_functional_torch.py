"""nn.functional against torch.nn.functional (issue 15 item 6), values and gradients.

functional_reference.json was recorded by make_functional_reference.py with torch 2.13.0
(CPU, float64) from the cases in functional_cases.py; CI checks it without torch. The
last test re-runs every case against a live torch when one is installed.
"""

import inspect
import json
import pathlib

import numpy as np
import pytest

import nn.functional as F
from autograd import Tensor, grad

from .functional_cases import CASES, build, cotangent

REFERENCE = json.loads(pathlib.Path(__file__).with_name("functional_reference.json").read_text())

# Functions compared with torch in reference files of their own (issue 16): name -> the
# test file that does it. Append a line per family.
OWN_REFERENCES = {}
OWN_REFERENCES.update(dict.fromkeys(["layer_norm", "batch_norm", "group_norm", "embedding"],
                                    "test_norm_torch.py"))  # norm (issue 16)
OWN_REFERENCES.update(dict.fromkeys(["conv1d", "conv2d", "conv_transpose1d",
                                     "conv_transpose2d", "max_pool1d", "max_pool2d",
                                     "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d",
                                     "adaptive_avg_pool2d", "interpolate"],
                                    "conv_cases.py"))  # conv (issue 16)
OWN_REFERENCES.update(dict.fromkeys(["scaled_dot_product_attention"],
                                    "test_attention_torch.py"))  # attn (issue 16)


def run_tracegrad(case_):
    """(value, {grad key: gradient}) of F.<fn> on the case's arrays, like the recorder."""
    args, kwargs = build(case_)

    def tensor(value, key):
        if not isinstance(value, np.ndarray):
            return value
        return Tensor(value, requires_grad=key in case_["grads"]) \
            if value.dtype.kind == "f" else value

    targs = [tensor(a, i) for i, a in enumerate(args)]
    tkwargs = {k: tensor(v, k) for k, v in kwargs.items()}
    out = getattr(F, case_["fn"])(*targs, **tkwargs)
    leaves = {key: targs[key] if isinstance(key, int) else tkwargs[key]
              for key in case_["grads"]}
    v = cotangent(out.shape, case_["id"])
    grads = grad((out * v).sum(), list(leaves.values()))
    return out.data, {str(k): g.data for k, g in zip(leaves, grads)}


def test_reference_file_was_recorded_with_pytorch_2_13_for_every_case():
    assert REFERENCE["torch_version"].startswith("2.13")
    assert set(REFERENCE["cases"]) == {c["id"] for c in CASES}


def test_every_function_of_the_issue_is_compared_with_pytorch():
    listed = set(F.__all__)
    assert listed - {"one_hot"} - set(OWN_REFERENCES) <= {c["fn"] for c in CASES}  # one_hot: below
    for name, test_file in OWN_REFERENCES.items():
        assert name in pathlib.Path(__file__).with_name(test_file).read_text(), name


@pytest.mark.parametrize("case_", CASES, ids=[c["id"] for c in CASES])
def test_functional_matches_recorded_pytorch(case_):
    expected = REFERENCE["cases"][case_["id"]]
    value, grads = run_tracegrad(case_)
    assert list(value.shape) == expected["shape"]
    np.testing.assert_allclose(value, np.reshape(expected["value"], value.shape),
                               rtol=1e-10, atol=1e-12)
    assert set(grads) == set(expected["grads"])
    for key, g in grads.items():
        np.testing.assert_allclose(g, np.reshape(expected["grads"][key], g.shape),
                                   rtol=case_["rtol"], atol=1e-12, err_msg=f"gradient of {key}")


@pytest.mark.parametrize("name", sorted(REFERENCE["signatures"]))
def test_signature_is_pytorchs_argument_for_argument(name):
    parameters = list(inspect.signature(getattr(F, name)).parameters)
    assert parameters == REFERENCE["signatures"][name]


def test_one_hot_matches_pytorchs_layout():
    out = F.one_hot(np.array([[0, 2], [1, 0]]), 4)
    assert out.shape == (2, 2, 4) and out.dtype == np.int64 and not out.requires_grad
    np.testing.assert_array_equal(out.data, np.eye(4, dtype=np.int64)[[[0, 2], [1, 0]]])


@pytest.mark.parametrize("case_", CASES, ids=[c["id"] for c in CASES])
def test_live_pytorch_agrees(case_):
    pytest.importorskip("torch")
    from .make_functional_reference import run_torch  # needs torch, hence imported here

    expected_value, expected_grads = run_torch(case_)
    value, grads = run_tracegrad(case_)
    np.testing.assert_allclose(value, expected_value, rtol=1e-10, atol=1e-12)
    for key, g in grads.items():
        np.testing.assert_allclose(g, expected_grads[key], rtol=case_["rtol"], atol=1e-12,
                                   err_msg=f"gradient of {key}")
