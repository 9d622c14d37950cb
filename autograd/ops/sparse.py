"""Embedding lookup: rows of a weight matrix picked by integer indices, one node."""

from __future__ import annotations

import numpy as np

from ..engine import Operator


class Embedding(Operator):
    """out[..., :] = weight[indices[...], :], a lookup of rows (indices: a param);
    grad_weight = zeros with each grad_out row added at its index (repeats accumulate),
    except row padding_idx, which gets none; with scale_grad_by_freq each contribution is
    divided by how often its index occurs in `indices` (PyTorch's options).
    """

    name = "embedding"

    @staticmethod
    def forward(ctx, weight, indices, padding_idx, scale_grad_by_freq):
        return weight[indices]

    @staticmethod
    def backward(ctx, grad_out):
        params = ctx.params
        indices = params["indices"]
        scale = _row_scale(indices, params["padding_idx"], params["scale_grad_by_freq"])
        if scale is not None:
            grad_out = grad_out * scale.astype(grad_out.dtype)
        return ctx.xp.scatter_add(grad_out, indices, ctx.inputs[0].shape)


def _row_scale(indices, padding_idx, scale_grad_by_freq):
    """A constant factor per looked-up row, shape indices.shape + (1,): 0 at padding_idx,
    1/count with scale_grad_by_freq; None when every factor is 1."""
    if padding_idx is None and not scale_grad_by_freq:
        return None
    scale = np.ones(indices.shape)
    if scale_grad_by_freq:
        _, inverse, counts = np.unique(indices, return_inverse=True, return_counts=True)
        scale = scale / counts[inverse.reshape(indices.shape)]
    if padding_idx is not None:
        scale = np.where(indices == padding_idx, 0.0, scale)
    return scale[..., None]
