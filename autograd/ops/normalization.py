"""Normalisation layers' operators: layer_norm, batch_norm, group_norm, one node each.

All three standardise x over some axes, x̂ = (x − μ)/√(σ² + ε) with the biased variance
σ² (PyTorch's), then apply a learned affine map out = x̂·w + b. They differ in the axes:
layer_norm over the last axes of each sample, batch_norm over the batch (every axis but
the channel axis 1), group_norm over groups of channels of each sample.

Backward recomputes x̂ from the saved x instead of saving it, so that under
create_graph=True the formula sees x̂ as a function of x and second derivatives are right.
The weight and bias are optional inputs: `affine` (a param) names the ones passed after x.
"""

from __future__ import annotations

import math

from ..engine import Operator


def standardized(xp, x, axes, eps):
    """(x̂, rstd) over `axes`: x̂ = (x − mean)·rstd, rstd = 1/√(biased variance + eps).
    Two passes (mean first), so nothing cancels catastrophically."""
    centered = x - x.mean(axis=axes, keepdims=True)
    var = (centered * centered).mean(axis=axes, keepdims=True)
    rstd = 1 / xp.sqrt(var + eps)
    return centered * rstd, rstd


def standardized_backward(grad_xhat, xhat, rstd, axes):
    """∂L/∂x through x̂ = standardized(x) over `axes`, given g = ∂L/∂x̂:
    rstd·(g − mean g − x̂·mean(g·x̂)) (the mean and the scale depend on every x)."""
    return rstd * (grad_xhat - grad_xhat.mean(axis=axes, keepdims=True)
                   - xhat * (grad_xhat * xhat).mean(axis=axes, keepdims=True))


def _affine_inputs(affine, rest) -> tuple:
    """(weight or None, bias or None) from the inputs after x, named by `affine`."""
    given = dict(zip(affine, rest))
    return given.get("weight"), given.get("bias")


def _per_channel(v, ndim):
    """A (C,) vector shaped to broadcast along axis 1 of an (N, C, *) input."""
    return v.reshape((-1,) + (1,) * (ndim - 2)) if ndim > 2 else v


class LayerNorm(Operator):
    """Layer normalisation over the last axes (`axes`) of each sample:

        x̂ = (x − μ)/√(σ² + ε),   out = x̂·w + b   (μ, σ² over `axes`; w, b of their shape)
        grad_x = rstd·(g − mean g − x̂·mean(g·x̂)) with g = grad_out·w,
        grad_w = grad_out·x̂,  grad_b = grad_out  (in the output's shape: the engine sums
        the batch axes away).
    """

    name = "layer_norm"

    @staticmethod
    def forward(ctx, x, *rest, axes, eps, affine):
        weight, bias = _affine_inputs(affine, rest)
        ctx.save(x, weight)
        out, _ = standardized(ctx.xp, x, axes, eps)
        if weight is not None:
            out = out * weight
        if bias is not None:
            out = out + bias
        return out

    @staticmethod
    def backward(ctx, grad_out):
        x, weight = ctx.saved
        axes, affine = ctx.params["axes"], ctx.params["affine"]
        xhat, rstd = standardized(ctx.xp, x, axes, ctx.params["eps"])
        grad_xhat = grad_out if weight is None else grad_out * weight
        return (standardized_backward(grad_xhat, xhat, rstd, axes),
                *(grad_out * xhat if name == "weight" else grad_out for name in affine))


class BatchNorm(Operator):
    """Batch normalisation of an (N, C, *) input per channel c, over every other axis:

        x̂ = (x − μ_c)/√(σ²_c + ε),   out = x̂·w_c + b_c
        grad_x = rstd·(g − mean g − x̂·mean(g·x̂)) with g = grad_out·w (batch statistics)
        grad_w = Σ grad_out·x̂,  grad_b = Σ grad_out  (sums over every axis but 1)

    μ, σ² are the batch's mean and biased variance, or with `running=True` two more
    inputs after x (running_mean, running_var): then out is an affine map of x,
    grad_x = g·rstd, grad_μ = −Σ g·rstd and grad_σ² = −½ Σ g·x̂·rstd² (per channel).
    The running estimates themselves are updated by nn's batch_norm,
    not here: an operator does not change its inputs.
    """

    name = "batch_norm"

    @staticmethod
    def forward(ctx, x, *rest, eps, affine, running):
        axes = _channel_axes(x.ndim)
        weight, bias = _affine_inputs(affine, rest[2:] if running else rest)
        if running:
            ctx.save(x, weight, *rest[:2])  # as given: under create_graph they are inputs
            mean, var = (_per_channel(v, x.ndim) for v in rest[:2])
            out = (x - mean) / ctx.xp.sqrt(var + eps)
        else:
            ctx.save(x, weight)
            out, _ = standardized(ctx.xp, x, axes, eps)
        return _channel_affine(out, weight, bias)

    @staticmethod
    def backward(ctx, grad_out):
        x, weight, *stats = ctx.saved
        axes, eps = _channel_axes(x.ndim), ctx.params["eps"]
        grad_xhat = grad_out if weight is None else grad_out * _per_channel(weight, x.ndim)
        if stats:
            mean, var = (_per_channel(v, x.ndim) for v in stats)
            rstd = 1 / ctx.xp.sqrt(var + eps)
            xhat = (x - mean) * rstd
            grad_x = grad_xhat * rstd
            needs = ctx.needs_input_grad  # the estimates are constants in the usual eval
            grads = [grad_x, (-grad_x).sum(axis=axes) if needs[1] else None,
                     (grad_x * xhat * rstd * -0.5).sum(axis=axes) if needs[2] else None]
        else:
            xhat, rstd = standardized(ctx.xp, x, axes, eps)
            grads = [standardized_backward(grad_xhat, xhat, rstd, axes)]
        return (*grads, *_affine_grads(grad_out, xhat, axes, ctx.params["affine"]))


def _channel_affine(out, weight, bias):
    """out·w_c + b_c along the channel axis 1 (either may be None)."""
    if weight is not None:
        out = out * _per_channel(weight, out.ndim)
    if bias is not None:
        out = out + _per_channel(bias, out.ndim)
    return out


def _channel_axes(ndim) -> tuple:
    return (0,) + tuple(range(2, ndim))


def _affine_grads(grad_out, xhat, axes, affine):
    """The per-channel weight's and bias's gradients (those named in `affine`):
    Σ grad_out·x̂ and Σ grad_out over `axes`."""
    return ((grad_out * xhat).sum(axis=axes) if name == "weight" else grad_out.sum(axis=axes)
            for name in affine)


class GroupNorm(Operator):
    """Group normalisation of an (N, C, *) input: the C channels split into `groups`
    groups of C/groups, each sample's group standardised over its channels and positions,
    then a per-channel affine map:

        x̂ = (x − μ_ng)/√(σ²_ng + ε),   out = x̂·w_c + b_c
        grad_x = rstd·(g − mean g − x̂·mean(g·x̂)) per (sample, group), g = grad_out·w
        grad_w = Σ grad_out·x̂,  grad_b = Σ grad_out  (sums over every axis but 1)
    """

    name = "group_norm"

    @staticmethod
    def forward(ctx, x, *rest, groups, eps, affine):
        weight, bias = _affine_inputs(affine, rest)
        ctx.save(x, weight)
        out = _group_standardized(ctx.xp, x, groups, eps)[0].reshape(x.shape)
        return _channel_affine(out, weight, bias)

    @staticmethod
    def backward(ctx, grad_out):
        x, weight = ctx.saved
        xhat, rstd = _group_standardized(ctx.xp, x, ctx.params["groups"], ctx.params["eps"])
        grad_xhat = grad_out if weight is None else grad_out * _per_channel(weight, x.ndim)
        grad_x = standardized_backward(grad_xhat.reshape(xhat.shape), xhat, rstd, (2,))
        xhat, axes = xhat.reshape(x.shape), _channel_axes(x.ndim)
        return (grad_x.reshape(x.shape), *_affine_grads(grad_out, xhat, axes,
                                                         ctx.params["affine"]))


def _group_standardized(xp, x, groups, eps):
    """(x̂, rstd) of x viewed as (N, groups, rest), standardised over the rest."""
    rest = math.prod(x.shape[1:]) // groups  # not -1: an empty batch has no size to infer
    return standardized(xp, x.reshape((x.shape[0], groups, rest)), (2,), eps)
