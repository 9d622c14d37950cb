"""Scaled dot-product attention as one operator: the heart of a transformer, one node in
pictures (expand=True draws its matmuls, mask and softmax), one backward."""

from __future__ import annotations

import numpy as np

from ..engine import Operator, Step
from ..variable import Variable
from .arithmetic import Add, Mul
from .elementwise import Where
from .linalg import Matmul
from .reductions import Softmax, _stable_max
from .shape import Transpose


class ScaledDotProductAttention(Operator):
    """PyTorch's F.scaled_dot_product_attention for q (..., L, E), k (..., S, E),
    v (..., S, Eᵥ), leading axes broadcast, and an optional mask (..., L, S):

        s = q kᵀ · scale (+ mask if float; −∞ where a bool mask is False or, is_causal,
            above the diagonal)
        w = softmax(s) along S (a row masked everywhere gives w = 0, PyTorch's safe softmax)
        out = (w ⊙ keep) v            keep: the dropout multipliers (0 or 1/(1 − p)), or 1
        grad_v = (w ⊙ keep)ᵀ grad_out,   g_w = (grad_out vᵀ) ⊙ keep,
        g_s = w ⊙ (g_w − Σ_S g_w ⊙ w),   grad_q = g_s k · scale,   grad_k = g_sᵀ q · scale,
        grad_mask = g_s (a float mask is an input; a bool one has no gradient)

    Every gradient comes back in the broadcast batch shape; the engine sums it down.
    Forward keeps w; under create_graph backward recomputes w from q and k with
    operators, so second derivatives are right.
    """

    name = "scaled_dot_product_attention"

    @classmethod
    def of(cls, query, key, value, attn_mask=None, is_causal=False, scale=None, keep=None):
        """Check the shapes and run; `keep` is the dropout multiplier array (or None)."""
        q, k, v = (np.asarray(x) if not isinstance(x, Variable) else x
                   for x in (query, key, value))
        shapes = [q.shape, k.shape, v.shape]
        where = "scaled_dot_product_attention"
        if min(len(s) for s in shapes) < 2:
            raise ValueError(f"{where}: query, key and value must be at least 2-d "
                             f"(..., L, E), (..., S, E), (..., S, Ev); got shapes "
                             f"{tuple(shapes)}")
        if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
            raise ValueError(f"{where}: query {q.shape}, key {k.shape} and value {v.shape} "
                             "do not fit: query and key need the same last axis (E), key "
                             "and value the same sequence axis (S)")
        try:
            batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
        except ValueError:
            raise ValueError(f"{where}: the batch axes of query {q.shape}, key {k.shape} and "
                             f"value {v.shape} cannot be broadcast together") from None
        scores_shape = batch + (q.shape[-2], k.shape[-2])
        inputs = (q, k, v)
        if attn_mask is not None:
            if is_causal:
                raise ValueError(f"{where}: an explicit attn_mask cannot be combined with "
                                 "is_causal=True (PyTorch refuses it too); pass one of them")
            mask = attn_mask if isinstance(attn_mask, Variable) else np.asarray(attn_mask)
            try:
                fits = np.broadcast_shapes(mask.shape, scores_shape) == scores_shape
            except ValueError:
                fits = False
            if not fits:
                raise ValueError(f"{where}: attn_mask of shape {mask.shape} does not broadcast "
                                 f"to the attention scores' shape {scores_shape} (..., L, S)")
            inputs += (mask,)
        if scale is None:
            scale = 1.0 / np.sqrt(q.shape[-1]) if q.shape[-1] else 1.0
        if keep is not None and np.shape(keep) != scores_shape:
            raise ValueError(f"{where}: dropout multipliers of shape {np.shape(keep)}, "
                             f"expected {scores_shape}")
        return cls.apply(*inputs, scale=float(scale), is_causal=bool(is_causal), keep=keep)

    @staticmethod
    def forward(ctx, q, k, v, *mask, scale, is_causal, keep):
        s = np.matmul(q, k.swapaxes(-1, -2)) * np.asarray(scale, q.dtype)
        s = _masked(s, mask, is_causal)
        m = _stable_max(s, -1)  # rows of −∞ get m = 0, e = 0 and Σe = 0
        e = np.exp(s - m)
        total = e.sum(axis=-1, keepdims=True)
        dead = total == 0  # every key masked: w = 0 there, as PyTorch's safe softmax
        w = e / np.where(dead, 1, total)
        ctx.save(q, k, v, *mask, w, dead)
        return np.matmul(w if keep is None else w * keep, v)

    @staticmethod
    def backward(ctx, grad_out):
        q, k, v, *mask, w, dead = ctx.saved
        scale, keep = ctx.params["scale"], ctx.params["keep"]
        if not isinstance(q, np.ndarray):  # create_graph: w as a function of q, k (and mask)
            s = _masked((q @ k.swapaxes(-1, -2)) * scale, mask, ctx.params["is_causal"],
                        ctx.xp)
            if dead.any():  # keep the masked rows' −∞ out of softmax and its gradient
                s = ctx.xp.where(dead, 0.0, s)
                w = ctx.xp.where(dead, 0.0, s.softmax(axis=-1))
            else:
                w = s.softmax(axis=-1)
        grad_v = (w if keep is None else w * keep).swapaxes(-1, -2) @ grad_out
        grad_w = grad_out @ v.swapaxes(-1, -2)
        if keep is not None:
            grad_w = grad_w * keep
        grad_s = w * (grad_w - (grad_w * w).sum(axis=-1, keepdims=True))
        needs = ctx.needs_input_grad
        grad_q = (grad_s @ k) * scale if needs[0] else None
        grad_k = (grad_s.swapaxes(-1, -2) @ q) * scale if needs[1] else None
        if not mask:
            return grad_q, grad_k, grad_v
        return grad_q, grad_k, grad_v, grad_s if needs[3] else None

    @staticmethod
    def expand(node):
        """kᵀ, q @ kᵀ, × scale, the mask, softmax, dropout, @ v, with their values."""
        q, k, v, *mask = (np.asarray(x.data) for x in node.inputs)
        scale, keep = node.params["scale"], node.params["keep"]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            kt = k.swapaxes(-1, -2)
            product = q @ kt
            s = product * scale
            steps = [Step(Transpose.name, ("x1",), "kᵀ", kt, "(·)ᵀ"),
                     Step.of(Matmul, ("x0", 0), "q kᵀ", product),
                     Step.of(Mul, (1,), "s = q kᵀ · scale", s)]
            masked = _masked(s, mask, node.params["is_causal"])
            if mask and mask[0].dtype != bool:
                steps.append(Step.of(Add, (2, "x3"), "s + mask", masked))
            elif mask:
                steps.append(Step.of(Where, (2, "x3"), "s, −∞ where mask is False", masked))
            elif node.params["is_causal"]:
                steps.append(Step.of(Where, (2,), "s, −∞ above the diagonal", masked))
            e = np.exp(masked - _stable_max(masked, -1))
            total = e.sum(axis=-1, keepdims=True)
            w = e / np.where(total == 0, 1, total)
            steps.append(Step.of(Softmax, (len(steps) - 1,), "w = softmax(s)", w))
            if keep is not None:
                w = w * keep
                steps.append(Step("dropout", (len(steps) - 1,), "w ⊙ keep", w))
            steps.append(Step.of(Matmul, (len(steps) - 1, "x2"), "w v", w @ v))
        return steps


def _masked(s, mask, is_causal, xp=np):
    """The scores s with the mask applied: a float mask added, −∞ where a bool mask is
    False and, for is_causal, above the diagonal (key j after query i)."""
    if mask:
        (m,) = mask
        if m.dtype == bool:
            s = xp.where(m, s, -np.inf)
        else:
            s = s + m
    if is_causal:
        rows, cols = s.shape[-2:]
        s = xp.where(np.tri(rows, cols, dtype=bool), s, -np.inf)
    return s
