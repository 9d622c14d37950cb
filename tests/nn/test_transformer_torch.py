"""TransformerEncoderLayer, TransformerEncoder and a small transformer trained five steps,
against PyTorch (issue 16 item 3), float64, 1e-10 relative.

Recorded in attention_reference.json by make_attention_reference.py (torch 2.13.0, CPU)
from the cases in attention_cases.py; the live tests re-run them where torch is installed.
"""

import json
import pathlib
import sys

import numpy as np
import pytest

import nn
import optim
from autograd import Tensor, grad

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import attention_cases as cases  # noqa: E402

REFERENCE = json.loads(pathlib.Path(__file__).with_name("attention_reference.json").read_text())
RTOL, ATOL = 1e-10, 1e-12


def _array(value):
    return np.reshape(value["data"], value["shape"]) if isinstance(value, dict) else value


def _keys(recorded):
    return {name: tuple(shape) for name, shape in recorded["keys"].items()}


def encoder_module(case, keys):
    layer = nn.TransformerEncoderLayer(cases.ENC_D, cases.ENC_H,
                                       **cases.encoder_layer_kwargs(case))
    if case.get("stack"):
        norm = nn.LayerNorm(cases.ENC_D) if case.get("final_norm") else None
        module = nn.TransformerEncoder(layer, case["stack"], norm=norm)
    else:
        module = layer
    module.load_state_dict(cases.encoder_state(case, keys))
    return module


def run_encoder(case, keys):
    module = encoder_module(case, keys)
    src, mask, padding, cotangent = cases.encoder_arrays(case)
    src_t = Tensor(src, requires_grad=True)
    if case.get("stack"):
        out = module(src_t, mask=mask, src_key_padding_mask=padding,
                     is_causal=case.get("is_causal"))
    else:
        out = module(src_t, src_mask=mask, src_key_padding_mask=padding,
                     is_causal=case.get("is_causal", False))
    leaves = {"src": src_t, **dict(module.named_parameters())}
    grads = grad((out * cotangent).sum(), list(leaves.values()))
    return out.data, {name: g.data for name, g in zip(leaves, grads)}


def assert_encoder_matches(case, expected):
    keys = _keys(expected)
    module = encoder_module(case, keys)
    assert list(module.state_dict()) == list(keys)  # PyTorch's names, in its order
    assert {k: v.shape for k, v in module.state_dict().items()} == keys
    value, grads = run_encoder(case, keys)
    np.testing.assert_allclose(value, _array(expected["value"]), rtol=RTOL, atol=ATOL)
    assert list(grads) == list(expected["grads"])
    for name, g in expected["grads"].items():
        np.testing.assert_allclose(grads[name], _array(g), rtol=RTOL, atol=ATOL,
                                   err_msg=f"gradient of {name}")


class SmallTransformer(nn.Module):
    """The recorder's model: Linear → TransformerEncoder → mean over positions → Linear."""

    def __init__(self, t):
        super().__init__()
        self.proj = nn.Linear(t["features"], t["d_model"])
        layer = nn.TransformerEncoderLayer(t["d_model"], t["heads"], t["ff"], dropout=0.0,
                                           batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, t["layers"])
        self.head = nn.Linear(t["d_model"], t["classes"])

    def forward(self, x):
        return self.head(self.encoder(self.proj(x)).mean(axis=1))


def run_training(keys):
    model = SmallTransformer(cases.TRAIN)
    assert {k: v.shape for k, v in model.state_dict().items()} == keys
    model.load_state_dict(cases.encoder_state(cases.TRAIN, keys))
    optimizer = optim.Adam(model.parameters(), lr=cases.TRAIN["lr"])
    losses = []
    for x, labels in cases.train_batches():
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(x), labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return model, losses


def assert_training_matches(expected):
    keys = _keys(expected)
    model, losses = run_training(keys)
    np.testing.assert_allclose(losses, expected["losses"], rtol=RTOL)
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.grad.data, _array(expected["grads"][name]), rtol=RTOL,
                                   atol=ATOL, err_msg=f"last gradient of {name}")
    state = model.state_dict()
    assert list(state) == list(expected["state"])
    for name, value in expected["state"].items():
        # atol 1e-10: the key bias's gradient is 0 in exact arithmetic (softmax ignores a
        # shift shared by a row), so both libraries feed Adam rounding noise of ~1e-17, which
        # m/(√v + ε) turns into steps of ~1e-11 that differ between them
        np.testing.assert_allclose(state[name], _array(value), rtol=RTOL, atol=1e-10,
                                   err_msg=f"{name} after five steps")


@pytest.mark.parametrize("case", cases.ENCODER_CASES, ids=lambda c: c["id"])
def test_transformer_encoder_matches_recorded_pytorch(case):
    assert_encoder_matches(case, REFERENCE["cases"][case["id"]])


def test_small_transformer_trained_five_steps_matches_recorded_pytorch():
    assert_training_matches(REFERENCE["cases"][cases.TRAIN["id"]])


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


@pytest.mark.parametrize("case", cases.ENCODER_CASES, ids=lambda c: c["id"])
def test_transformer_encoder_matches_live_pytorch(case, recorder):
    assert_encoder_matches(case, recorder.run_encoder(case))


def test_small_transformer_trained_five_steps_matches_live_pytorch(recorder):
    assert_training_matches(recorder.run_training())
