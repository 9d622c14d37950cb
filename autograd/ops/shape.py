"""Shape operators: reshape, transpose, broadcast_to, indexing, concatenate, stack, astype.

None of them changes a value, so each backward only moves grad_out back to where its
elements came from.
"""

from __future__ import annotations

import numpy as np

from ..engine import Operator
from ..variable import Variable
from .reductions import normalize_axes


class Reshape(Operator):
    """out = x with a new shape (same elements in C order);  grad_x = grad_out reshaped back.

    squeeze, unsqueeze (expand_dims) and flatten are reshapes too.
    """

    name = "reshape"

    @classmethod
    def of(cls, x, shape):
        """x with `shape` (a tuple, or sizes; one -1 is inferred); x itself if unchanged."""
        try:
            new_shape = _resolve_reshape(x.shape, shape_arg(shape))
        except ValueError as error:
            raise ValueError(f"reshape: {error}") from None
        return x if new_shape == x.shape else cls.apply(x, shape=new_shape)

    @classmethod
    def squeeze(cls, x, axis=None):
        """x without its size-1 axes (all, or those in `axis`)."""
        if axis is None:
            axes = tuple(i for i, n in enumerate(x.shape) if n == 1)
        else:
            axes = normalize_axes(axis, x.ndim, "squeeze", x.shape)
            for a in axes:
                if x.shape[a] != 1:
                    raise ValueError(
                        f"squeeze: cannot squeeze axis {a} of size {x.shape[a]} "
                        f"(shape {x.shape}); only size-1 axes can be removed"
                    )
        return cls.of(x, tuple(n for i, n in enumerate(x.shape) if i not in axes))

    @classmethod
    def unsqueeze(cls, x, axis):
        """x with a new size-1 axis at `axis` (numpy's expand_dims)."""
        (axis,) = normalize_axes(axis, x.ndim + 1, "unsqueeze", x.shape)
        shape = list(x.shape)
        shape.insert(axis, 1)
        return cls.apply(x, shape=tuple(shape))

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
        """(·)ᵀ when every axis is reversed, else the name (with its axes)."""
        axes = tuple(node.params["axes"])
        return "(·)ᵀ" if axes == tuple(reversed(range(len(axes)))) else None

    @classmethod
    def of(cls, x, axes=()):
        """x with its axes permuted by `axes` (a tuple or ints; none: all reversed)."""
        ndim = x.ndim
        if not axes or axes == (None,):
            axes = tuple(range(ndim))[::-1]
        else:
            axes = shape_arg(axes)
            if sorted(a % max(ndim, 1) for a in axes) != list(range(ndim)):
                raise ValueError(
                    f"transpose: axes {axes} are not a permutation of the {ndim} axes "
                    f"of a tensor of shape {x.shape}"
                )
            axes = tuple(a % ndim for a in axes)
        return cls.apply(x, axes=axes)

    @classmethod
    def swapaxes(cls, x, axis1, axis2):
        """x with two axes exchanged."""
        if x.ndim == 0:  # axes 0 and -1 of a 0-d tensor are all of it: nothing to swap
            for axis in (axis1, axis2):
                normalize_axes(axis, 0, "swapaxes", x.shape)
            return x
        axes = list(range(x.ndim))
        a1, a2 = (normalize_axes(a, x.ndim, "swapaxes", x.shape)[0] for a in (axis1, axis2))
        axes[a1], axes[a2] = axes[a2], axes[a1]
        return cls.apply(x, axes=tuple(axes))

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

    @classmethod
    def of(cls, x, shape):
        """x broadcast to `shape` (a tuple, or sizes); x itself if it has that shape."""
        shape = shape_arg(shape)
        if shape == x.shape:
            return x
        try:
            np.broadcast_shapes(x.shape, shape)
            if len(shape) < x.ndim or np.broadcast_shapes(x.shape, shape) != shape:
                raise ValueError
        except ValueError:
            raise ValueError(
                f"broadcast_to: cannot broadcast a tensor of shape {x.shape} to {shape}"
            ) from None
        return cls.apply(x, shape=shape)

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

    @classmethod
    def of(cls, x, index):
        """x[index]; tensors in the index are used by value."""
        return cls.apply(x, index=raw_index(index))

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


def shape_arg(shape) -> tuple:
    """A shape given as one tuple or list, or as sizes, as a tuple of ints."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(n) for n in shape)


def _resolve_reshape(old_shape, new_shape):
    size = int(np.prod(old_shape))
    unknown = [i for i, n in enumerate(new_shape) if n == -1]
    if len(unknown) > 1 or any(n < -1 for n in new_shape):
        raise ValueError(f"invalid shape {new_shape}")
    known = int(np.prod([n for n in new_shape if n != -1]))
    if unknown:
        if known == 0 or size % known:
            raise ValueError(f"cannot reshape a tensor of shape {old_shape} into {new_shape}")
        new_shape = tuple(size // known if n == -1 else n for n in new_shape)
    elif known != size:
        raise ValueError(f"cannot reshape a tensor of shape {old_shape} ({size} elements) "
                         f"into {new_shape} ({known} elements)")
    return new_shape


def raw_index(index):
    """An index with tensors replaced by their data (lists become arrays)."""
    if isinstance(index, Variable):
        return index.data
    if isinstance(index, tuple):
        return tuple(part.data if isinstance(part, Variable) else part for part in index)
    if isinstance(index, list):
        return np.asarray(index)
    return index
