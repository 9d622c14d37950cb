"""The transformer encoder: TransformerEncoderLayer and TransformerEncoder, PyTorch's
arguments, submodule names (so state dicts move unchanged) and computation."""

from __future__ import annotations

import copy

import numpy as np

from . import activations
from .activations import as_tensor
from .attention import MultiheadAttention
from .layers import Dropout, Linear, ModuleList, _positive_int
from .module import Module
from .normalization import LayerNorm

__all__ = ["TransformerEncoderLayer", "TransformerEncoder"]

_ACTIVATIONS = {"relu": activations.relu, "gelu": activations.gelu}


class TransformerEncoderLayer(Module):
    """Self-attention then a feed-forward network, each wrapped in a residual connection
    and a layer norm (Vaswani et al., 2017), PyTorch's nn.TransformerEncoderLayer:

        post-norm (norm_first=False):  x = norm1(x + SA(x));  x = norm2(x + FF(x))
        pre-norm  (norm_first=True):   x = x + SA(norm1(x));  x = x + FF(norm2(x))
        SA(x) = dropout1(self_attn(x, x, x)),
        FF(x) = dropout2(linear2(dropout(activation(linear1(x)))))

    activation: "relu", "gelu" (the exact, erf form) or any callable (a Module is
    registered as a submodule, as in PyTorch). Inputs (S, N, E), or (N, S, E) with
    batch_first, or unbatched (S, E). forward(src, src_mask=None,
    src_key_padding_mask=None, is_causal=False): the masks as MultiheadAttention's
    (bool True = ignore), is_causal a hint that src_mask is the causal mask.
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation="relu", layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True,
                 dtype=np.float64, generator=None):
        super().__init__()
        where = "TransformerEncoderLayer"
        dim_feedforward = _positive_int(dim_feedforward, where, "dim_feedforward")
        if isinstance(activation, str):
            if activation not in _ACTIVATIONS:
                raise ValueError(f"{where}: activation should be 'relu' or 'gelu' (or a "
                                 f"callable), not {activation!r}")
            activation = _ACTIVATIONS[activation]
        elif not callable(activation):
            raise TypeError(f"{where}: activation must be 'relu', 'gelu' or a callable, got "
                            f"{type(activation).__name__}")
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, dtype=dtype,
                                            generator=generator)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype,
                              generator=generator)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype,
                              generator=generator)
        self.norm_first = bool(norm_first)
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.activation = activation
        self.batch_first = bool(batch_first)

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal: bool = False):
        x = as_tensor(src)
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           need_weights=False, is_causal=is_causal)[0]
        return self.dropout1(x)

    def _ff_block(self, x):
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return self.dropout2(x)


class TransformerEncoder(Module):
    """num_layers copies of encoder_layer applied in turn, then `norm` if given, PyTorch's
    nn.TransformerEncoder. The copies are deep copies, so every layer starts with the
    same weights as encoder_layer (PyTorch's behaviour); parameters are named
    layers.0.self_attn.in_proj_weight, ... and norm.weight.

    forward(src, mask=None, src_key_padding_mask=None, is_causal=None) passes the masks to
    every layer; is_causal=None means "is `mask` the causal mask?", answered by looking.
    enable_nested_tensor and mask_check are accepted for PyTorch's signature; they only
    choose PyTorch's inference fast path, which tracegrad does not have.
    """

    def __init__(self, encoder_layer: Module, num_layers: int, norm: Module | None = None,
                 enable_nested_tensor: bool = True, mask_check: bool = True):
        super().__init__()
        where = "TransformerEncoder"
        if not isinstance(encoder_layer, Module):
            raise TypeError(f"{where}: encoder_layer must be a Module, got "
                            f"{type(encoder_layer).__name__}")
        self.num_layers = _positive_int(num_layers, where, "num_layers")
        self.layers = ModuleList([copy.deepcopy(encoder_layer) for _ in range(num_layers)])
        self.norm = norm
        self.enable_nested_tensor = enable_nested_tensor
        self.mask_check = mask_check

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        if is_causal is None:
            is_causal = mask is not None and _is_causal_mask(mask)
        x = src
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask,
                      is_causal=is_causal)
        return x if self.norm is None else self.norm(x)


def _is_causal_mask(mask) -> bool:
    """Whether `mask` (S, S) hides exactly the keys after each query (bool True or −∞)."""
    mask = np.asarray(getattr(mask, "data", mask))
    if mask.ndim != 2 or mask.shape[0] != mask.shape[1]:
        return False
    above = np.triu(np.ones(mask.shape, bool), 1)
    hidden = mask if mask.dtype == bool else np.isneginf(mask)
    return bool(np.array_equal(hidden, above)) and (mask.dtype == bool or
                                                    not mask[~above].any())
