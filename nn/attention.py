"""Attention: F.scaled_dot_product_attention and nn.MultiheadAttention, PyTorch's
signatures, parameter names, initialisation and mask conventions.

Two mask conventions meet here, both PyTorch's: scaled_dot_product_attention's bool mask
says which keys take part (True = attend), MultiheadAttention's bool masks say which are
left out (True = ignore). Float masks are added to the scores in both.
"""

from __future__ import annotations

import math

import numpy as np

from autograd import Tensor, broadcast_to, concatenate
from autograd.ops.attention import ScaledDotProductAttention

from . import init
from .activations import as_tensor
from .layers import Linear, _check_probability, _positive_int, dropout, linear
from .module import Module, Parameter

__all__ = ["scaled_dot_product_attention", "MultiheadAttention"]


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale=None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(q kᵀ · scale + mask) v, one `scaled_dot_product_attention` operator node.

    query (..., L, E), key (..., S, E), value (..., S, Ev); leading axes broadcast (heads
    are one of them: (N, H, L, E)). scale defaults to 1/√E. attn_mask broadcasts to
    (..., L, S): bool True = the key takes part, float = added to the scores. is_causal
    masks key j > query i (not together with attn_mask, as in PyTorch). A query that may
    attend to nothing gets weights 0 (PyTorch's safe softmax). dropout_p drops attention
    weights (scaling the rest by 1/(1 − p)) whenever p > 0, as PyTorch's function does;
    the mask comes from the generator nn.manual_seed seeds. enable_gqa: key and value may
    have fewer heads (axis −3) than query, a divisor of its count; each serves a group.
    """
    where = "scaled_dot_product_attention"
    _check_probability(dropout_p, where)
    query, key, value = as_tensor(query), as_tensor(key), as_tensor(value)
    if enable_gqa and query.ndim >= 3 and key.ndim >= 3 and query.shape[-3] != key.shape[-3]:
        heads, kv_heads = query.shape[-3], key.shape[-3]
        if heads % kv_heads or value.ndim < 3 or value.shape[-3] != kv_heads:
            raise ValueError(f"{where}: enable_gqa needs query heads ({heads}) to be a "
                             f"multiple of the key and value heads (key {key.shape}, value "
                             f"{value.shape}, axis -3)")
        # torch's repeat_interleave: kv head h serves query heads h·G ... h·G + G − 1
        key = key.repeat(heads // kv_heads, axis=-3)
        value = value.repeat(heads // kv_heads, axis=-3)
    if attn_mask is not None and not isinstance(attn_mask, Tensor):
        attn_mask = np.asarray(attn_mask)
        if attn_mask.dtype != bool:
            attn_mask = attn_mask.astype(query.dtype)
    keep = None
    if dropout_p > 0:
        batch = np.broadcast_shapes(query.shape[:-2], key.shape[:-2], value.shape[:-2])
        shape = batch + (query.shape[-2], key.shape[-2])
        rng = init.get_generator(None, where)
        scale_kept = 0.0 if dropout_p == 1 else 1.0 / (1.0 - dropout_p)
        keep = ((rng.random(shape) >= dropout_p) * scale_kept).astype(query.dtype)
    return ScaledDotProductAttention.of(query, key, value, attn_mask, is_causal, scale, keep)


scaled_dot_product_attention.__doc__ += "\n" + ScaledDotProductAttention.__doc__


def _float_mask(mask, dtype, where, name):
    """MultiheadAttention's mask as a float to add: −∞ where a bool mask is True."""
    if mask is None:
        return None
    if isinstance(mask, Tensor) and mask.dtype != bool:
        return mask
    mask = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
    if mask.dtype == bool:
        return Tensor(np.where(mask, -np.inf, 0.0).astype(dtype))
    if not np.issubdtype(mask.dtype, np.floating):
        raise TypeError(f"{where}: {name} must be bool or float, got {mask.dtype}")
    return Tensor(mask.astype(dtype))


class MultiheadAttention(Module):
    """Multi-head attention (Vaswani et al., 2017), PyTorch's nn.MultiheadAttention:

        headᵢ = softmax(Qᵢ Kᵢᵀ / √d + mask) Vᵢ,   Qᵢ = query W_qᵢᵀ + b_qᵢ (K, V alike)
        out = concat(head₁ … head_h) W_oᵀ + b_o,   d = embed_dim / num_heads

    The heads are one axis (batch, heads, L, d): every step is one node for all heads.
    Parameters as PyTorch: in_proj_weight (3E, E) = [W_q; W_k; W_v] and in_proj_bias (3E,)
    (q_proj_weight, k_proj_weight, v_proj_weight when kdim or vdim differ from E), and
    out_proj, a Linear(E, E); Xavier-uniform projections, zero biases, out_proj's weight
    Linear's own init. add_bias_kv appends a learned key and value (bias_k, bias_v of shape
    (1, 1, E), Xavier-normal) to every sequence, add_zero_attn a zero one. Inputs are
    (L, N, E) or, batch_first, (N, L, E), or unbatched (L, E).

    forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False) returns (output, weights): weights
    (N, L, S) averaged over heads, (N, H, L, S) with average_attn_weights=False, or None
    without need_weights (then one scaled_dot_product_attention node does the heads).
    key_padding_mask (N, S) and attn_mask (L, S) or (N·H, L, S): bool True = ignore that
    key, float = added. is_causal is a hint, as in PyTorch: attn_mask must hold the causal
    mask. A query whose keys are all masked gives nan with need_weights (PyTorch does too)
    and 0 without. dropout drops attention weights in train() mode.
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim=None, vdim=None,
                 batch_first: bool = False, dtype=np.float64, generator=None):
        super().__init__()
        where = "MultiheadAttention"
        self.embed_dim = _positive_int(embed_dim, where, "embed_dim")
        self.num_heads = _positive_int(num_heads, where, "num_heads")
        if self.embed_dim % self.num_heads:
            raise ValueError(f"{where}: embed_dim ({embed_dim}) must be divisible by "
                             f"num_heads ({num_heads})")
        _check_probability(dropout, where)
        self.kdim = embed_dim if kdim is None else _positive_int(kdim, where, "kdim")
        self.vdim = embed_dim if vdim is None else _positive_int(vdim, where, "vdim")
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.dropout = float(dropout)
        self.batch_first = bool(batch_first)
        self.head_dim = embed_dim // num_heads
        self.add_zero_attn = bool(add_zero_attn)
        rng = init.get_generator(generator, where)
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(np.empty((3 * embed_dim, embed_dim), dtype=dtype))
            init.xavier_uniform_(self.in_proj_weight, generator=rng)
            self.q_proj_weight = self.k_proj_weight = self.v_proj_weight = None
        else:
            self.in_proj_weight = None
            self.q_proj_weight = Parameter(np.empty((embed_dim, embed_dim), dtype=dtype))
            self.k_proj_weight = Parameter(np.empty((embed_dim, self.kdim), dtype=dtype))
            self.v_proj_weight = Parameter(np.empty((embed_dim, self.vdim), dtype=dtype))
            for weight in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(weight, generator=rng)
        self.in_proj_bias = Parameter(np.zeros(3 * embed_dim, dtype=dtype)) if bias else None
        if add_bias_kv:  # one learned key and value appended to every sequence
            self.bias_k = Parameter(np.empty((1, 1, embed_dim), dtype=dtype))
            self.bias_v = Parameter(np.empty((1, 1, embed_dim), dtype=dtype))
            init.xavier_normal_(self.bias_k, generator=rng)
            init.xavier_normal_(self.bias_v, generator=rng)
        else:
            self.bias_k = self.bias_v = None
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, dtype=dtype, generator=rng)
        if bias:
            init.zeros_(self.out_proj.bias)

    def _projections(self):
        """(W_q, W_k, W_v) and (b_q, b_k, b_v) (or Nones): slices of the packed ones."""
        e = self.embed_dim
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight
            weights = (w[:e], w[e:2 * e], w[2 * e:])
        else:
            weights = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)
        b = self.in_proj_bias
        biases = (None,) * 3 if b is None else (b[:e], b[e:2 * e], b[2 * e:])
        return weights, biases

    def forward(self, query, key, value, key_padding_mask=None, need_weights: bool = True,
                attn_mask=None, average_attn_weights: bool = True, is_causal: bool = False):
        where = "MultiheadAttention"
        query, key, value = as_tensor(query), as_tensor(key), as_tensor(value)
        batched = query.ndim == 3
        self._check_inputs(query, key, value, batched)
        if not batched:  # (L, E): a batch of one, (L, 1, E)
            query, key, value = (x.unsqueeze(1) for x in (query, key, value))
        # (L, N, E), or (N, L, E) with batch_first: the heads become an axis, (N, H, L, d)
        seq = 1 if batched and self.batch_first else 0
        length, batch, source = query.shape[seq], query.shape[1 - seq], key.shape[seq]
        heads, d = self.num_heads, self.head_dim
        if is_causal and attn_mask is None:
            raise ValueError(f"{where}: is_causal=True is a hint and needs attn_mask too "
                             "(PyTorch's rule); pass the causal mask as attn_mask")
        mask = self._merged_mask(attn_mask, key_padding_mask, batched, length, source, batch,
                                 query.dtype)
        use_causal = is_causal and key_padding_mask is None and not need_weights
        # Three projections by slices of in_proj_weight, also for self-attention: one GEMM
        # by the packed matrix and three slices of its output measured 15 % slower on W10T
        # (each slice's backward scatters into a zero array of the packed size).
        (w_q, w_k, w_v), (b_q, b_k, b_v) = self._projections()

        def split_heads(x, w, b):  # (n, N, E) or (N, n, E) -> (N, H, n, d)
            x = linear(x, w, b).reshape(x.shape[:2] + (heads, d))
            return x.transpose((1, 2, 0, 3) if seq == 0 else (0, 2, 1, 3))

        q, k, v = (split_heads(x, w, b) for x, w, b in zip((query, key, value), (w_q, w_k, w_v),
                                                         (b_q, b_k, b_v)))
        k, v, mask = self._extra_keys(k, v, mask)
        heads_out, weights = self._attend(q, k, v, mask, need_weights, use_causal)
        out = heads_out.transpose((2, 0, 1, 3) if seq == 0 else (0, 2, 1, 3))
        out = self.out_proj(out.reshape(query.shape[:2] + (self.embed_dim,)))
        if not batched:
            out = out.squeeze(1)
        if weights is not None:
            if average_attn_weights:
                weights = weights.mean(axis=1)
            if not batched:
                weights = weights.squeeze(0)
        return out, weights

    def _attend(self, q, k, v, mask, need_weights, use_causal):
        """Every head's output (N, H, L, d) and, with need_weights, the weights."""
        p = self.dropout if self.training else 0.0
        if not need_weights:
            return scaled_dot_product_attention(q, k, v, None if use_causal else mask, p,
                                                use_causal), None
        # the weights are wanted: primitives, as PyTorch computes them (q scaled first)
        scores = (q * math.sqrt(1.0 / self.head_dim)) @ k.swapaxes(-1, -2)
        if mask is not None:
            scores = scores + mask
        weights = scores.softmax(axis=-1)
        return dropout(weights, p, p > 0) @ v, weights

    def _extra_keys(self, k, v, mask):
        """k, v (N, H, S, d) with bias_k/bias_v and then a zero key and value appended, as
        add_bias_kv and add_zero_attn ask; the mask gets a 0 (take part) column for each."""
        extra = []
        if self.bias_k is not None:
            extra.append((self.bias_k, self.bias_v))
        if self.add_zero_attn:
            zero = np.zeros(k.shape[1:2] + (1, k.shape[3]), dtype=k.dtype)
            extra.append((zero, zero))
        for key_row, value_row in extra:
            shape = k.shape[:2] + (1, k.shape[3])  # (N, H, 1, d)
            k, v = (concatenate([x, broadcast_to(row.reshape(shape[1], 1, shape[3]), shape)],
                                axis=2) for x, row in ((k, key_row), (v, value_row)))
            if mask is not None:
                mask = concatenate([mask, np.zeros(mask.shape[:-1] + (1,), mask.dtype)],
                                   axis=-1)
        return k, v, mask

    def _check_inputs(self, query, key, value, batched):
        where = "MultiheadAttention"
        dims = 3 if batched else 2
        if query.ndim not in (2, 3) or key.ndim != dims or value.ndim != dims:
            raise ValueError(f"{where}: query, key and value must all be 3-d (batched) or 2-d "
                             f"(unbatched); got shapes {query.shape}, {key.shape}, "
                             f"{value.shape}")
        expected = ((self.embed_dim, query), (self.kdim, key), (self.vdim, value))
        for (size, x), name in zip(expected, ("query", "key", "value")):
            if x.shape[-1] != size:
                raise ValueError(f"{where}: {name} of shape {x.shape} has last axis "
                                 f"{x.shape[-1]}, expected {size}")
        seq = 1 if batched and self.batch_first else 0
        if key.shape[:-1] != value.shape[:-1]:
            raise ValueError(f"{where}: key {key.shape} and value {value.shape} must have the "
                             "same sequence and batch sizes")
        if batched and key.shape[1 - seq] != query.shape[1 - seq]:
            raise ValueError(f"{where}: query {query.shape} and key {key.shape} have "
                             "different batch sizes")

    def _merged_mask(self, attn_mask, key_padding_mask, batched, length, source, batch, dtype):
        """attn_mask and key_padding_mask as one float mask broadcasting to (N, H, L, S)."""
        where = "MultiheadAttention"
        mask = _float_mask(attn_mask, dtype, where, "attn_mask")
        if mask is not None:
            if mask.shape == (length, source):
                pass
            elif mask.shape == (batch * self.num_heads, length, source):
                mask = mask.reshape(batch, self.num_heads, length, source)
            else:
                raise ValueError(f"{where}: attn_mask of shape {mask.shape}, expected "
                                 f"({length}, {source}) or ({batch * self.num_heads}, "
                                 f"{length}, {source}) (L, S or N·num_heads, L, S)")
        padding = _float_mask(key_padding_mask, dtype, where, "key_padding_mask")
        if padding is not None:
            expected = (batch, source) if batched else (source,)
            if padding.shape != expected:
                raise ValueError(f"{where}: key_padding_mask of shape {padding.shape}, "
                                 f"expected {expected} (N, S)")
            padding = padding.reshape(batch, 1, 1, source)
            mask = padding if mask is None else mask + padding
        return mask
