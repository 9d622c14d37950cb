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
    OUT.write_text(json.dumps({"torch_version": torch.__version__, "cases": recorded},
                              indent=0) + "\n")
    print(f"wrote {len(recorded)} cases to {OUT}")


if __name__ == "__main__":
    main()
