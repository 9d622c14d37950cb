"""Shape operators: reshape, transpose, broadcast_to, indexing, concatenate, stack, astype.

None of them changes a value, so each backward only moves grad_out back to where its
elements came from.
"""

from __future__ import annotations

import numpy as np

from ..engine import Operator


class Reshape(Operator):
    """out = x with a new shape (same elements in C order);  grad_x = grad_out reshaped back.

    squeeze, unsqueeze (expand_dims) and flatten are reshapes too.
    """

    name = "reshape"

    @staticmethod
    def forward(ctx, x, shape):
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out.reshape(ctx.inputs[0].shape)


class Transpose(Operator):
    """out = x with its axes permuted (numpy's transpose; .T reverses all axes);
    grad_x = grad_out permuted by the inverse permutation."""

    name = "transpose"

    @classmethod
    def display(cls, node) -> str | None:
        """.T when every axis is reversed, else the name (with its axes)."""
        axes = tuple(node.params["axes"])
        return ".T" if axes == tuple(reversed(range(len(axes)))) else None

    @staticmethod
    def forward(ctx, x, axes):
        return x.transpose(axes)

    @staticmethod
    def backward(ctx, grad_out):
        axes = ctx.params["axes"]
        inverse = [0] * len(axes)
        for position, axis in enumerate(axes):
            inverse[axis] = position
        return grad_out.transpose(tuple(inverse))


class BroadcastTo(Operator):
    """out = x repeated along broadcast axes (numpy's broadcast_to);  grad_x = grad_out
    summed over those axes, which the engine does for every operator."""

    name = "broadcast_to"

    @staticmethod
    def forward(ctx, x, shape):
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out


class GetItem(Operator):
    """out = x[index] (basic slicing or integer/boolean array indexing);
    grad_x = zeros with grad_out added at index, so repeated indices accumulate
    (np.add.at; a plain `grad[index] += g` would drop the repeats)."""

    name = "getitem"
    symbol = "[ ]"

    @staticmethod
    def forward(ctx, x, index):
        return x[index]

    @staticmethod
    def backward(ctx, grad_out):
        return ctx.xp.scatter_add(grad_out, ctx.params["index"], ctx.inputs[0].shape)


class ScatterAdd(Operator):
    """out = zeros(shape) with x added at index (the backward of indexing);
    grad_x = grad_out[index]."""

    name = "scatter_add"

    @staticmethod
    def forward(ctx, x, index, shape):
        return ctx.xp.scatter_add(x, index, shape)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out[ctx.params["index"]]


class Concatenate(Operator):
    """out = the inputs joined along an existing axis;  each input gets its slice of grad_out."""

    name = "concatenate"

    @staticmethod
    def forward(ctx, *xs, axis):
        return np.concatenate(xs, axis=axis)

    @staticmethod
    def backward(ctx, grad_out):
        axis = ctx.params["axis"] % grad_out.ndim
        grads, start = [], 0
        for x in ctx.inputs:
            stop = start + x.shape[axis]
            grads.append(grad_out[(slice(None),) * axis + (slice(start, stop),)])
            start = stop
        return tuple(grads)


class Stack(Operator):
    """out = the inputs joined along a new axis;  input i gets grad_out[..., i, ...]."""

    name = "stack"

    @staticmethod
    def forward(ctx, *xs, axis):
        return np.stack(xs, axis=axis)

    @staticmethod
    def backward(ctx, grad_out):
        axis = ctx.params["axis"] % grad_out.ndim
        lead = (slice(None),) * axis
        return tuple(grad_out[lead + (i,)] for i in range(len(ctx.inputs)))


class AsType(Operator):
    """out = x converted to another float dtype;  grad_x = grad_out converted back."""

    name = "astype"

    @staticmethod
    def forward(ctx, x, dtype):
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out.astype(ctx.inputs[0].dtype)
