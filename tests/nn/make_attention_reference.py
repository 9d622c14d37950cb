"""Records PyTorch's attention and transformer results for the cases in attention_cases.py
into attention_reference.json, which test_attention_torch.py checks without torch.

    python3 -m venv /tmp/torch && /tmp/torch/bin/pip install torch==2.13.0 numpy
    /tmp/torch/bin/python tests/nn/make_attention_reference.py
"""

import json
import pathlib
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import attention_cases as cases  # noqa: E402

OUT = pathlib.Path(__file__).with_name("attention_reference.json")


def _tensor(array, requires_grad=False):
    return None if array is None else torch.tensor(array, requires_grad=requires_grad)


def run_sdpa(case):
    """{"value", "grads"} of F.scaled_dot_product_attention on the case's arrays."""
    q, k, v, mask, cotangent = cases.sdpa_arrays(case)
    leaves = {"q": _tensor(q, True), "k": _tensor(k, True), "v": _tensor(v, True)}
    if mask is not None and mask.dtype != bool:
        leaves["mask"] = _tensor(mask, True)
    out = F.scaled_dot_product_attention(
        leaves["q"], leaves["k"], leaves["v"], leaves.get("mask", _tensor(mask)),
        is_causal=case.get("is_causal", False), scale=case.get("scale"))
    grads = torch.autograd.grad(out, list(leaves.values()), torch.tensor(cotangent))
    return {"value": out.detach().numpy(),
            "grads": {name: g.numpy() for name, g in zip(leaves, grads)}}


def mha_module(case):
    module = torch.nn.MultiheadAttention(cases.MHA_E, cases.MHA_H, **cases.mha_kwargs(case))
    keys = {name: tuple(value.shape) for name, value in module.state_dict().items()}
    module.load_state_dict({name: torch.tensor(value)
                            for name, value in cases.mha_state(case, keys).items()})
    return module, keys


def run_mha(case):
    """{"value", "weights", "grads", "keys"} of nn.MultiheadAttention on the case."""
    module, keys = mha_module(case)
    query, key, value, padding, mask, cotangent = cases.mha_arrays(case)
    inputs = {"query": _tensor(query, True)}
    if case.get("self"):
        key_t = value_t = inputs["query"]
    else:
        inputs["key"], inputs["value"] = key_t, value_t = _tensor(key, True), _tensor(value, True)
    out, weights = module(inputs["query"], key_t, value_t, key_padding_mask=_tensor(padding),
                          attn_mask=_tensor(mask), **cases.mha_call_kwargs(case))
    params = dict(module.named_parameters())
    leaves = {**inputs, **params}
    grads = torch.autograd.grad(out, list(leaves.values()), torch.tensor(cotangent))
    return {"value": out.detach().numpy(),
            "weights": None if weights is None else weights.detach().numpy(),
            "grads": {name: g.numpy() for name, g in zip(leaves, grads)},
            "keys": {name: list(shape) for name, shape in keys.items()}}


def encoder_module(case):
    layer = torch.nn.TransformerEncoderLayer(cases.ENC_D, cases.ENC_H,
                                             **cases.encoder_layer_kwargs(case))
    if case.get("stack"):
        norm = torch.nn.LayerNorm(cases.ENC_D) if case.get("final_norm") else None
        module = torch.nn.TransformerEncoder(layer, case["stack"], norm=norm,
                                             enable_nested_tensor=False)
    else:
        module = layer
    keys = {name: tuple(value.shape) for name, value in module.state_dict().items()}
    module.load_state_dict({name: torch.tensor(value)
                            for name, value in cases.encoder_state(case, keys).items()})
    return module, keys


def run_encoder(case):
    """{"value", "grads", "keys"} of TransformerEncoderLayer or TransformerEncoder."""
    module, keys = encoder_module(case)
    src, mask, padding, cotangent = cases.encoder_arrays(case)
    src_t = _tensor(src, True)
    if case.get("stack"):
        out = module(src_t, mask=_tensor(mask), src_key_padding_mask=_tensor(padding),
                     is_causal=case.get("is_causal"))
    else:
        out = module(src_t, src_mask=_tensor(mask), src_key_padding_mask=_tensor(padding),
                     is_causal=case.get("is_causal", False))
    leaves = {"src": src_t, **dict(module.named_parameters())}
    grads = torch.autograd.grad(out, list(leaves.values()), torch.tensor(cotangent))
    return {"value": out.detach().numpy(),
            "grads": {name: g.numpy() for name, g in zip(leaves, grads)},
            "keys": {name: list(shape) for name, shape in keys.items()}}


class SmallTransformer(torch.nn.Module):
    """A linear input projection, a TransformerEncoder, the mean over positions, a head."""

    def __init__(self, t):
        super().__init__()
        self.proj = torch.nn.Linear(t["features"], t["d_model"])
        layer = torch.nn.TransformerEncoderLayer(t["d_model"], t["heads"], t["ff"], dropout=0.0,
                                                 batch_first=True)
        self.encoder = torch.nn.TransformerEncoder(layer, t["layers"],
                                                   enable_nested_tensor=False)
        self.head = torch.nn.Linear(t["d_model"], t["classes"])

    def forward(self, x):
        return self.head(self.encoder(self.proj(x)).mean(dim=1))


def run_training():
    """Adam on the small transformer, five steps: losses, last gradients, final weights."""
    model = SmallTransformer(cases.TRAIN)
    keys = {name: tuple(value.shape) for name, value in model.state_dict().items()}
    model.load_state_dict({name: torch.tensor(value) for name, value in
                           cases.encoder_state(cases.TRAIN, keys).items()})
    optimizer = torch.optim.Adam(model.parameters(), lr=cases.TRAIN["lr"])
    losses = []
    for x, labels in cases.train_batches():
        optimizer.zero_grad()
        loss = F.cross_entropy(model(torch.tensor(x)), torch.tensor(labels))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return {"losses": losses,
            "grads": {name: p.grad.numpy() for name, p in model.named_parameters()},
            "state": {name: v.numpy() for name, v in model.state_dict().items()},
            "keys": {name: list(shape) for name, shape in keys.items()}}


def _json(result):
    def plain(value):
        if isinstance(value, np.ndarray):
            return {"shape": list(value.shape), "data": value.reshape(-1).tolist()}
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return value
    return plain(result)


def main():
    torch.set_default_dtype(torch.float64)
    recorded = {}
    for case in cases.SDPA_CASES:
        recorded[case["id"]] = _json(run_sdpa(case))
    for case in cases.MHA_CASES:
        recorded[case["id"]] = _json(run_mha(case))
    for case in cases.ENCODER_CASES:
        recorded[case["id"]] = _json(run_encoder(case))
    recorded[cases.TRAIN["id"]] = _json(run_training())
    OUT.write_text(json.dumps({"torch_version": torch.__version__, "cases": recorded},
                              indent=0) + "\n")
    print(f"wrote {len(recorded)} cases to {OUT}")


if __name__ == "__main__":
    main()
