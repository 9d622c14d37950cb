"""The cases compared with PyTorch for attention and transformers (issue 16, attn): every
array (inputs, masks, weights under PyTorch's state-dict keys, upstream gradients) comes
from numpy generators seeded by the case, so the recorder (make_attention_reference.py,
torch) and the test (test_attention_torch.py, tracegrad) build the same numbers and the
recording holds only results."""

import numpy as np

SDPA_CASES = [
    {"id": "sdpa_plain", "q": (2, 3, 4), "k": (2, 5, 4), "v": (2, 5, 6)},
    {"id": "sdpa_heads_broadcast", "q": (3, 1, 3, 4), "k": (1, 2, 5, 4), "v": (1, 2, 5, 6)},
    {"id": "sdpa_unbatched", "q": (3, 4), "k": (5, 4), "v": (5, 2)},
    {"id": "sdpa_bool_mask", "q": (2, 2, 3, 4), "k": (2, 2, 5, 4), "v": (2, 2, 5, 3),
     "mask": "bool", "mask_shape": (2, 1, 3, 5)},
    {"id": "sdpa_bool_mask_dead_row", "q": (2, 3, 4), "k": (2, 5, 4), "v": (2, 5, 3),
     "mask": "dead", "mask_shape": (3, 5)},
    {"id": "sdpa_float_mask", "q": (2, 3, 4), "k": (2, 5, 4), "v": (2, 5, 6),
     "mask": "float", "mask_shape": (3, 5)},
    {"id": "sdpa_causal", "q": (2, 2, 4, 3), "k": (2, 2, 4, 3), "v": (2, 2, 4, 5),
     "is_causal": True},
    {"id": "sdpa_causal_longer_keys_scale", "q": (2, 3, 4), "k": (2, 6, 4), "v": (2, 6, 2),
     "is_causal": True, "scale": 0.3},
]

MHA_CASES = [
    {"id": "mha_default"},
    {"id": "mha_batch_first", "batch_first": True},
    {"id": "mha_kdim_vdim", "kdim": 3, "vdim": 5},
    {"id": "mha_key_padding", "key_padding_mask": True},
    {"id": "mha_per_head_weights", "average_attn_weights": False, "key_padding_mask": True,
     "attn_mask": "float"},
    {"id": "mha_bool_mask_no_weights", "attn_mask": "bool", "need_weights": False},
    {"id": "mha_self_causal_no_weights", "self": True, "attn_mask": "causal",
     "is_causal": True, "need_weights": False},
    {"id": "mha_self_causal_batch_first", "self": True, "attn_mask": "causal",
     "is_causal": True, "batch_first": True},
    {"id": "mha_no_bias", "bias": False, "key_padding_mask": True, "need_weights": False},
    {"id": "mha_unbatched", "unbatched": True, "attn_mask": "bool"},
    {"id": "mha_bias_kv", "add_bias_kv": True, "key_padding_mask": True},
    {"id": "mha_zero_attn", "add_zero_attn": True, "attn_mask": "float",
     "average_attn_weights": False},
    {"id": "mha_bias_kv_zero_attn_no_weights", "add_bias_kv": True, "add_zero_attn": True,
     "attn_mask": "bool", "key_padding_mask": True, "need_weights": False,
     "batch_first": True},
]
MHA_E, MHA_H, MHA_L, MHA_S, MHA_N = 8, 2, 3, 4, 2


def rng_for(case_id: str) -> np.random.Generator:
    return np.random.default_rng(sum(ord(c) * 31**i for i, c in enumerate(case_id)) % 2**32)


def sdpa_arrays(case):
    """q, k, v, mask (or None) and the upstream gradient."""
    rng = rng_for(case["id"])
    q, k, v = (rng.standard_normal(case[name]) for name in "qkv")
    mask = None
    if case.get("mask") == "bool":
        mask = rng.random(case["mask_shape"]) < 0.7
    elif case.get("mask") == "dead":
        mask = rng.random(case["mask_shape"]) < 0.7
        mask[1] = False  # a query that may attend to nothing
        mask[0, 0] = True
    elif case.get("mask") == "float":
        mask = rng.standard_normal(case["mask_shape"])
    batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    cotangent = rng.standard_normal(batch + (q.shape[-2], v.shape[-1]))
    return q, k, v, mask, cotangent


def mha_state(case, keys):
    """A state dict under PyTorch's keys (`keys`: name -> shape), drawn from the case."""
    rng = rng_for(case["id"] + "/weights")
    return {name: rng.standard_normal(shape) * 0.4 for name, shape in keys.items()}


def mha_arrays(case):
    """query, key, value in the module's layout, the masks and the upstream gradient."""
    rng = rng_for(case["id"])
    e, length, source, batch = MHA_E, MHA_L, MHA_S, MHA_N
    if case.get("self"):
        source = length

    def layout(n, d):
        if case.get("unbatched"):
            return (n, d)
        return (batch, n, d) if case.get("batch_first") else (n, batch, d)

    query = rng.standard_normal(layout(length, e))
    if case.get("self"):
        key = value = query
    else:
        key = rng.standard_normal(layout(source, case.get("kdim", e)))
        value = rng.standard_normal(layout(source, case.get("vdim", e)))
    padding = None
    if case.get("key_padding_mask"):
        padding = rng.random((batch, source)) < 0.3
        padding[:, 0] = False  # every query keeps a key: no nan rows
    mask = None
    if case.get("attn_mask") == "bool":
        mask = rng.random((length, source)) < 0.3
        mask[:, 0] = False
    elif case.get("attn_mask") == "float":
        mask = rng.standard_normal((batch * MHA_H, length, source))
    elif case.get("attn_mask") == "causal":
        mask = np.triu(np.ones((length, source), bool), 1)
    cotangent = rng.standard_normal(query.shape[:-1] + (e,))
    return query, key, value, padding, mask, cotangent


def mha_kwargs(case):
    """The constructor's arguments besides embed_dim and num_heads."""
    return {name: case[name] for name in ("kdim", "vdim", "batch_first", "bias", "add_bias_kv",
                                          "add_zero_attn") if name in case}


def mha_call_kwargs(case):
    return {"need_weights": case.get("need_weights", True),
            "average_attn_weights": case.get("average_attn_weights", True),
            "is_causal": case.get("is_causal", False)}


# -- transformer encoder ---------------------------------------------------------------------

ENC_D, ENC_H, ENC_FF, ENC_L, ENC_N = 8, 2, 16, 5, 3

ENCODER_CASES = [
    {"id": "enc_post_relu_padding", "key_padding_mask": True},
    {"id": "enc_pre_gelu_batch_first_causal", "norm_first": True, "activation": "gelu",
     "batch_first": True, "src_mask": "causal", "is_causal": True},
    {"id": "enc_post_gelu_float_mask", "activation": "gelu", "src_mask": "float"},
    {"id": "enc_pre_relu_no_bias_eps", "norm_first": True, "bias": False,
     "layer_norm_eps": 1e-3, "key_padding_mask": True, "batch_first": True},
    {"id": "encoder_two_layers_norm", "stack": 2, "final_norm": True, "key_padding_mask": True,
     "src_mask": "causal"},
    {"id": "encoder_pre_norm_three_layers", "stack": 3, "norm_first": True, "batch_first": True},
]


def encoder_layer_kwargs(case):
    kwargs = {"dim_feedforward": ENC_FF, "dropout": 0.0}
    kwargs.update({name: case[name] for name in ("activation", "batch_first", "norm_first",
                                                 "bias", "layer_norm_eps") if name in case})
    return kwargs


def encoder_arrays(case):
    """src in the module's layout, src_mask, src_key_padding_mask, upstream gradient."""
    rng = rng_for(case["id"])
    shape = (ENC_N, ENC_L, ENC_D) if case.get("batch_first") else (ENC_L, ENC_N, ENC_D)
    src = rng.standard_normal(shape)
    padding = None
    if case.get("key_padding_mask"):
        padding = rng.random((ENC_N, ENC_L)) < 0.3
        padding[:, 0] = False
    mask = None
    if case.get("src_mask") == "causal":
        mask = np.triu(np.ones((ENC_L, ENC_L), bool), 1)
    elif case.get("src_mask") == "float":
        mask = rng.standard_normal((ENC_L, ENC_L))
    return src, mask, padding, rng.standard_normal(shape)


def encoder_state(case, keys):
    """Weights under PyTorch's keys; layer norms near 1 and 0, as trained ones are."""
    rng = rng_for(case["id"] + "/weights")
    state = {}
    for name, shape in keys.items():
        values = rng.standard_normal(shape) * 0.3
        state[name] = 1 + values if name.endswith("norm1.weight") or name.endswith(
            "norm2.weight") or name == "norm.weight" else values
    return state


# -- a small transformer trained five steps ---------------------------------------------------

TRAIN = {"id": "transformer_train", "features": 5, "d_model": 8, "heads": 2, "ff": 16,
         "layers": 2, "classes": 3, "length": 6, "batch": 4, "steps": 5, "lr": 0.01}


def train_batches():
    """Five (x (N, L, features), labels (N,)) batches."""
    rng = rng_for(TRAIN["id"])
    shape = (TRAIN["batch"], TRAIN["length"], TRAIN["features"])
    return [(rng.standard_normal(shape), rng.integers(0, TRAIN["classes"], TRAIN["batch"]))
            for _ in range(TRAIN["steps"])]
