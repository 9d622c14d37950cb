"""Attention and transformers against PyTorch (issue 16 item 3), float64, 1e-10 relative:
outputs, attention weights, input and parameter gradients, state-dict keys and shapes.

attention_reference.json was recorded by make_attention_reference.py with torch 2.13.0
(CPU) from the cases in attention_cases.py; CI checks it without torch. The live tests
re-run every case against torch where it is installed.
"""

import json
import pathlib
import sys

import numpy as np
import pytest

import nn
import nn.functional as F
from autograd import Tensor, grad

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import attention_cases as cases  # noqa: E402

REFERENCE = json.loads(pathlib.Path(__file__).with_name("attention_reference.json").read_text())
RTOL, ATOL = 1e-10, 1e-12


def _tensor(array, requires_grad=False):
    return None if array is None else Tensor(array, requires_grad=requires_grad)


def run_sdpa(case):
    """What make_attention_reference.run_sdpa records, computed by tracegrad."""
    q, k, v, mask, cotangent = cases.sdpa_arrays(case)
    leaves = {"q": _tensor(q, True), "k": _tensor(k, True), "v": _tensor(v, True)}
    if mask is not None and mask.dtype != bool:
        leaves["mask"] = _tensor(mask, True)
    out = F.scaled_dot_product_attention(
        leaves["q"], leaves["k"], leaves["v"], leaves.get("mask", mask),
        is_causal=case.get("is_causal", False), scale=case.get("scale"))
    grads = grad((out * cotangent).sum(), list(leaves.values()))
    return {"value": out.data, "grads": {name: g.data for name, g in zip(leaves, grads)}}


def mha_module(case, keys):
    module = nn.MultiheadAttention(cases.MHA_E, cases.MHA_H, **cases.mha_kwargs(case))
    module.load_state_dict(cases.mha_state(case, keys))
    return module


def run_mha(case, keys):
    module = mha_module(case, keys)
    query, key, value, padding, mask, cotangent = cases.mha_arrays(case)
    inputs = {"query": _tensor(query, True)}
    if case.get("self"):
        key_t = value_t = inputs["query"]
    else:
        inputs["key"], inputs["value"] = key_t, value_t = _tensor(key, True), _tensor(value, True)
    out, weights = module(inputs["query"], key_t, value_t, key_padding_mask=padding,
                          attn_mask=mask, **cases.mha_call_kwargs(case))
    leaves = {**inputs, **dict(module.named_parameters())}
    grads = grad((out * cotangent).sum(), list(leaves.values()))
    return {"value": out.data, "weights": None if weights is None else weights.data,
            "grads": {name: g.data for name, g in zip(leaves, grads)}}


def _recorded(entry):
    return np.reshape(entry["data"], entry["shape"])


def assert_same_results(ours, expected):
    """ours: arrays; expected: the recording's form (or arrays from live torch)."""
    def array(value):
        return _recorded(value) if isinstance(value, dict) else value

    np.testing.assert_allclose(ours["value"], array(expected["value"]), rtol=RTOL, atol=ATOL)
    if "weights" in expected:
        if expected["weights"] is None:
            assert ours["weights"] is None
        else:
            np.testing.assert_allclose(ours["weights"], array(expected["weights"]), rtol=RTOL,
                                       atol=ATOL)
    assert list(ours["grads"]) == list(expected["grads"])  # parameter order as PyTorch's
    for name, value in expected["grads"].items():
        np.testing.assert_allclose(ours["grads"][name], array(value), rtol=RTOL, atol=ATOL,
                                   err_msg=f"gradient of {name}")


def test_reference_file_was_recorded_with_pytorch_2_13_for_every_case():
    assert REFERENCE["torch_version"].startswith("2.13")
    expected_ids = {c["id"] for c in cases.SDPA_CASES + cases.MHA_CASES}
    assert expected_ids <= set(REFERENCE["cases"])


@pytest.mark.parametrize("case", cases.SDPA_CASES, ids=lambda c: c["id"])
def test_sdpa_matches_recorded_pytorch(case):
    assert_same_results(run_sdpa(case), REFERENCE["cases"][case["id"]])


def _keys(case):
    return {name: tuple(shape) for name, shape in REFERENCE["cases"][case["id"]]["keys"].items()}


@pytest.mark.parametrize("case", cases.MHA_CASES, ids=lambda c: c["id"])
def test_multihead_attention_matches_recorded_pytorch(case):
    keys = _keys(case)
    module = mha_module(case, keys)
    assert {k: v.shape for k, v in module.state_dict().items()} == keys
    assert list(module.state_dict()) == list(keys)  # PyTorch's names, in PyTorch's order
    assert_same_results(run_mha(case, keys), REFERENCE["cases"][case["id"]])


# -- live PyTorch ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def recorder():
    torch = pytest.importorskip("torch")
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # the recorder builds torch's modules in float64
    import make_attention_reference

    try:
        yield make_attention_reference
    finally:
        torch.set_default_dtype(default)  # later tests see torch's own default


@pytest.mark.parametrize("case", cases.SDPA_CASES, ids=lambda c: c["id"])
def test_sdpa_matches_live_pytorch(case, recorder):
    assert_same_results(run_sdpa(case), recorder.run_sdpa(case))


@pytest.mark.parametrize("case", cases.MHA_CASES, ids=lambda c: c["id"])
def test_multihead_attention_matches_live_pytorch(case, recorder):
    expected = recorder.run_mha(case)
    keys = {name: tuple(shape) for name, shape in expected.pop("keys").items()}
    assert_same_results(run_mha(case, keys), expected)
