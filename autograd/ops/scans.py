"""Scans along one axis: cumsum, cumprod, logcumsumexp (numpy's names; axis=None scans
the flattened tensor, as numpy does).

Backward is a reverse scan: ∂outⱼ/∂xᵢ is non-zero only for j ≥ i, so grad_xᵢ sums the
later gradients. A reversed cumsum is x[..., ::-1] scanned and reversed back.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..engine import Operator
from .reductions import normalize_axes


def _reversed(x, axis):
    return x[(slice(None),) * axis + (slice(None, None, -1),)]


def _to_last(x, axis):
    return x if axis == x.ndim - 1 else x.swapaxes(axis, -1)


@lru_cache(maxsize=64)
def _later(n):
    """The n×n mask [i, j] = j ≥ i (the outputs that depend on xᵢ), made once per n."""
    mask = np.triu(np.ones((n, n), dtype=bool))
    mask.flags.writeable = False  # shared by every call
    return mask


class Scan(Operator):
    """An operator along one `axis` (a non-negative int); `of` takes numpy's axis."""

    @classmethod
    def of(cls, x, axis=None):
        """Along `axis` (negative from the end); None scans the flattened tensor, and a 0-d
        tensor (axis 0 or −1) is its own scan."""
        if axis is None:
            x = x.reshape(-1)
            axis = 0
        (axis,) = normalize_axes(axis, x.ndim, cls.name, x.shape) or (None,)
        if axis is None:  # 0-d
            return cls.apply(x.reshape(1), axis=0).reshape(())
        return cls.apply(x, axis=axis)


class Cumsum(Scan):
    """outⱼ = Σ_{i≤j} xᵢ along the axis;  grad_xᵢ = Σ_{j≥i} grad_outⱼ (a reversed cumsum)."""

    name = "cumsum"

    @staticmethod
    def forward(ctx, x, axis):
        return ctx.xp.cumsum(x, axis)

    @staticmethod
    def backward(ctx, grad_out):
        axis = ctx.params["axis"]
        return _reversed(ctx.xp.cumsum(_reversed(grad_out, axis), axis), axis)


class Cumprod(Scan):
    """outⱼ = Π_{i≤j} xᵢ along the axis;  grad_xᵢ = Σ_{j≥i} grad_outⱼ · Π_{k≤j, k≠i} xₖ.

    Without zeros that is (reversed cumsum of grad_out·out) / x. With a zero along the
    axis, dividing by it would give 0/0, so backward forms the products without xᵢ
    explicitly (an n×n scan per line, only when a zero is present).
    """

    name = "cumprod"

    @staticmethod
    def forward(ctx, x, axis):
        out = ctx.xp.cumprod(x, axis)
        ctx.save(x, out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        x, out = ctx.saved
        axis = ctx.params["axis"]
        xp = ctx.xp
        if xp.count_nonzero(out) == out.size:  # no zero, and no product that underflowed
            return _reversed(xp.cumsum(_reversed(grad_out * out, axis), axis), axis) / x
        last, g = _to_last(x, axis), _to_last(grad_out, axis)
        n = last.shape[-1]
        # row i: the line with xᵢ replaced by 1, scanned; only j ≥ i depends on xᵢ
        without_i = xp.cumprod(xp.where(np.eye(n, dtype=bool), 1, last[..., None, :]), -1)
        grad = (without_i * (g[..., None, :] * _later(n))).sum(axis=-1)
        return _to_last(grad, axis) if axis != x.ndim - 1 else grad


class LogCumSumExp(Scan):
    """outⱼ = ln Σ_{i≤j} e^(xᵢ) along the axis, accumulated with logaddexp (no overflow
    at ±1000, exact where a shift by the maximum would underflow the early terms);
    grad_xᵢ = Σ_{j≥i} grad_outⱼ · e^(xᵢ − outⱼ), each exponent ≤ 0.

    Backward forms the n×n exponents e^(xᵢ − outⱼ) per line (quadratic memory along the
    axis) so every term is at most 1: no overflow and no cancellation.
    """

    name = "logcumsumexp"

    @staticmethod
    def forward(ctx, x, axis):
        out = ctx.xp.logcumsumexp(x, axis)
        ctx.save(x, out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        x, out = ctx.saved
        axis = ctx.params["axis"]
        xp = ctx.xp
        last, last_out, g = _to_last(x, axis), _to_last(out, axis), _to_last(grad_out, axis)
        # −inf − (−inf) = nan where j < i is masked out by the where
        exponent = xp.where(_later(last.shape[-1]),
                            last[..., :, None] - last_out[..., None, :], -np.inf)
        grad = (xp.exp(exponent) * g[..., None, :]).sum(axis=-1)
        return _to_last(grad, axis) if axis != x.ndim - 1 else grad
