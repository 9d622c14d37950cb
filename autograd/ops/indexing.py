"""Shape and indexing functions built from the primitive operators (numpy's semantics).

Each is a few lines over getitem, scatter_add, reshape, concatenate, where and einsum
(STYLE P5), so its gradient is theirs and needs no rule of its own: flip is x[::-1],
roll and take index with an integer array, pad indexes with numpy's own padding of
arange, sort gathers by a stable argsort. Every function takes a variable `x`.
"""

from __future__ import annotations

import numpy as np

from ..variable import Variable
from .elementwise import Where
from .linalg import Einsum
from .reductions import normalize_axes
from .shape import BroadcastTo, GetItem, Reshape, ScatterAdd, raw_index


def _axis(axis, ndim, op_name, shape):
    return normalize_axes(axis, ndim, op_name, shape)[0]


def _along(axis, index):
    """The index that applies `index` to axis `axis` and keeps every other axis whole."""
    return (slice(None),) * axis + (index,)


def take(x, indices, axis=None):
    """out = x.ravel()[indices] (axis None) or x indexed by `indices` along `axis`."""
    indices = np.asarray(raw_index(indices))
    if indices.dtype.kind not in "iu":
        raise TypeError(f"take: indices must be integers, got dtype {indices.dtype}")
    if axis is None:
        return GetItem.apply(Reshape.of(x, (-1,)), index=indices)
    axis = _axis(axis, x.ndim, "take", x.shape)
    return GetItem.apply(x, index=_along(axis, indices))


def flatten(x, start_axis=0, end_axis=-1):
    """x with axes start_axis..end_axis (inclusive) merged into one."""
    if x.ndim == 0:
        return Reshape.of(x, (1,))
    start = _axis(start_axis, x.ndim, "flatten", x.shape)
    end = _axis(end_axis, x.ndim, "flatten", x.shape)
    if start > end:
        raise ValueError(f"flatten: start_axis {start_axis} comes after end_axis {end_axis} "
                         f"for shape {x.shape}")
    merged = int(np.prod(x.shape[start:end + 1]))
    return Reshape.of(x, x.shape[:start] + (merged,) + x.shape[end + 1:])


def unflatten(x, axis, sizes):
    """x with axis `axis` split into `sizes` (one may be -1), the inverse of flatten."""
    axis = _axis(axis, x.ndim, "unflatten", x.shape)
    sizes = tuple(int(n) for n in sizes)
    known = int(np.prod([n for n in sizes if n != -1]))
    if sizes.count(-1) > 1 or (-1 not in sizes and known != x.shape[axis]) or (
            -1 in sizes and (known == 0 or x.shape[axis] % known)):
        raise ValueError(f"unflatten: sizes {sizes} do not fit axis {axis} of size "
                         f"{x.shape[axis]} (shape {x.shape})")
    sizes = tuple(x.shape[axis] // known if n == -1 else n for n in sizes)
    return Reshape.of(x, x.shape[:axis] + sizes + x.shape[axis + 1:])


def array_split(x, indices_or_sections, axis=0, op_name="array_split"):
    """numpy's array_split: `sections` nearly equal pieces (the first ones one longer), or
    the pieces between the split indices in a list; a list of views of x."""
    axis = _axis(axis, x.ndim, op_name, x.shape)
    n = x.shape[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        sections = int(indices_or_sections)
        if sections <= 0:
            raise ValueError(f"{op_name}: number of sections must be > 0, got {sections}")
        size, extra = divmod(n, sections)
        bounds = np.cumsum([0] + extra * [size + 1] + (sections - extra) * [size])
    else:
        bounds = [0] + [int(i) for i in indices_or_sections] + [n]
    return [GetItem.apply(x, index=_along(axis, slice(start, stop)))
            for start, stop in zip(bounds[:-1], bounds[1:])]


def split(x, indices_or_sections, axis=0):
    """numpy's split: like array_split, but a number of sections must divide the axis."""
    if isinstance(indices_or_sections, (int, np.integer)):
        axis_size = x.shape[_axis(axis, x.ndim, "split", x.shape)]
        if indices_or_sections <= 0 or axis_size % indices_or_sections:
            raise ValueError(f"split: axis {axis} of size {axis_size} does not divide into "
                             f"{indices_or_sections} equal sections; use array_split for "
                             "unequal ones")
    return array_split(x, indices_or_sections, axis, "split")


def _masked(x, keep, op_name):
    if x.ndim < 2:
        raise ValueError(f"{op_name}: needs at least 2 dimensions, got shape {x.shape}")
    return Where.apply(x, 0, condition=np.broadcast_to(keep, x.shape))


def tril(x, k=0):
    """out = x on and below diagonal k of the last two axes, 0 above; grad likewise."""
    return _masked(x, np.tri(*x.shape[-2:], k=k, dtype=bool), "tril")


def triu(x, k=0):
    """out = x on and above diagonal k of the last two axes, 0 below; grad likewise."""
    return _masked(x, ~np.tri(*x.shape[-2:], k=k - 1, dtype=bool), "triu")


def flip(x, axis=None):
    """x reversed along `axis` (all axes when None)."""
    axes = range(x.ndim) if axis is None else normalize_axes(axis, x.ndim, "flip", x.shape)
    index = [slice(None)] * x.ndim
    for a in axes:
        index[a] = slice(None, None, -1)
    return GetItem.apply(x, index=tuple(index))


def roll(x, shift, axis=None):
    """x with its elements shifted by `shift` along `axis`, wrapping around (the flattened
    x when axis is None)."""
    if axis is None:
        return Reshape.of(roll(Reshape.of(x, (-1,)), shift, 0), x.shape)
    shifts, axes = np.broadcast_arrays(shift, axis)
    for s, a in zip(shifts.ravel(), axes.ravel()):
        a = _axis(int(a), x.ndim, "roll", x.shape)
        n = x.shape[a]
        if n:
            x = GetItem.apply(x, index=_along(a, (np.arange(n) - int(s)) % n))
    return x


def diagonal(x, offset=0, axis1=0, axis2=1):
    """The diagonal `offset` of axes axis1, axis2, as a new last axis (numpy's diagonal)."""
    if x.ndim < 2:
        raise ValueError(f"diagonal: needs at least 2 dimensions, got shape {x.shape}")
    a1 = _axis(axis1, x.ndim, "diagonal", x.shape)
    a2 = _axis(axis2, x.ndim, "diagonal", x.shape)
    if a1 == a2:
        raise ValueError(f"diagonal: axis1 and axis2 are the same axis ({axis1}, {axis2})")
    rest = [a for a in range(x.ndim) if a not in (a1, a2)]
    moved = x.transpose(*rest, a1, a2)
    rows, cols = x.shape[a1], x.shape[a2]
    start_row, start_col = max(-offset, 0), max(offset, 0)
    count = max(min(rows - start_row, cols - start_col), 0)
    i = np.arange(count)
    return GetItem.apply(moved, index=(Ellipsis, i + start_row, i + start_col))


def diag(x, k=0):
    """numpy's diag: a 1-d x as the diagonal k of a square matrix, a 2-d x's diagonal k."""
    if x.ndim == 2:
        return diagonal(x, k)
    if x.ndim != 1:
        raise ValueError(f"diag: expects a 1-d or 2-d tensor, got shape {x.shape}")
    n = x.shape[0] + abs(k)
    i = np.arange(x.shape[0])
    return ScatterAdd.apply(x, index=(i + max(-k, 0), i + max(k, 0)), shape=(n, n))


def trace(x, offset=0, axis1=0, axis2=1):
    """Σ of diagonal(x, offset, axis1, axis2) (numpy's trace)."""
    return diagonal(x, offset, axis1, axis2).sum(-1)


def repeat(x, repeats, axis=None):
    """Each element repeated `repeats` times along `axis` (the flattened x when None)."""
    if axis is None:
        return repeat(Reshape.of(x, (-1,)), repeats, 0)
    axis = _axis(axis, x.ndim, "repeat", x.shape)
    return take(x, np.repeat(np.arange(x.shape[axis]), repeats), axis)


def tile(x, reps):
    """x repeated `reps` times along each axis (numpy's tile: the shorter of x.ndim and
    len(reps) is padded with leading 1s)."""
    reps = (int(reps),) if np.ndim(reps) == 0 else tuple(int(r) for r in reps)
    ndim = max(x.ndim, len(reps))
    x = Reshape.of(x, (1,) * (ndim - x.ndim) + x.shape)
    reps = (1,) * (ndim - len(reps)) + reps
    for axis, (n, r) in enumerate(zip(x.shape, reps)):
        if r != 1:
            x = take(x, np.tile(np.arange(n), r), axis)
    return x


def pad(x, pad_width, mode="constant", constant_values=0):
    """numpy's pad for modes constant, edge, reflect, symmetric and wrap. The index modes
    gather through numpy's own padding of arange, so they match numpy exactly."""
    widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (x.ndim, 2))
    if (widths < 0).any():
        raise ValueError(f"pad: pad widths must be >= 0, got {pad_width}")
    if mode == "constant":
        inner = tuple(slice(b, b + n) for (b, _), n in zip(widths, x.shape))
        shape = tuple(int(b + n + a) for (b, a), n in zip(widths, x.shape))
        outside = np.full(shape, constant_values, dtype=x.dtype)
        outside[inner] = 0
        return ScatterAdd.apply(x, index=inner, shape=shape) + outside
    if mode not in ("edge", "reflect", "symmetric", "wrap"):
        raise ValueError(f"pad: mode {mode!r} is not supported; use constant, edge, "
                         "reflect, symmetric or wrap")
    for axis, (before, after) in enumerate(widths):
        if before or after:
            if x.shape[axis] == 0:
                raise ValueError(f"pad: cannot pad empty axis {axis} (shape {x.shape}) "
                                 f"in mode {mode!r}")
            index = np.pad(np.arange(x.shape[axis]), (before, after), mode=mode)
            x = take(x, index, axis)
    return x


def take_along_axis(x, indices, axis):
    """out[..., i, ...] = x[..., indices[..., i, ...], ...] along `axis` (numpy's)."""
    return GetItem.apply(x, index=_along_axis_index(x, indices, axis, "take_along_axis"))


def put_along_axis(x, indices, values, axis):
    """A copy of x with `values` placed at `indices` along `axis` (numpy's put_along_axis,
    without changing x): grad_x is grad_out where nothing was placed, grad_values is
    grad_out gathered back. An element given twice raises (use scatter_add to sum)."""
    indices = np.asarray(raw_index(indices))
    index = _along_axis_index(x, indices, axis, "put_along_axis")
    hit = np.zeros(x.shape, dtype=int)
    np.add.at(hit, index, 1)
    if (hit > 1).any():
        raise ValueError("put_along_axis: indices name an element more than once; use "
                         "scatter_add to add repeated contributions")
    if not isinstance(values, Variable):
        values = np.asarray(values, dtype=x.dtype)
    values = BroadcastTo.of(values, np.shape(indices))
    return Where.apply(0, x, condition=hit > 0) + ScatterAdd.apply(
        values, index=index, shape=x.shape)


def _along_axis_index(x, indices, axis, op_name):
    indices = np.asarray(raw_index(indices))
    if axis is None:
        raise ValueError(f"{op_name}: axis=None is not supported; flatten x first")
    if indices.ndim != x.ndim or indices.dtype.kind not in "iu":
        raise ValueError(f"{op_name}: indices must be integers with as many dimensions as x "
                         f"(shape {x.shape}), got {indices.dtype} of shape {indices.shape}")
    axis = _axis(axis, x.ndim, op_name, x.shape)
    grids = np.ogrid[tuple(slice(n) for n in indices.shape)] if x.ndim else []
    return tuple(indices if a == axis else grids[a] for a in range(x.ndim))


def argsort(x, axis=-1, descending=False):
    """Indices that sort x along `axis`; stable, so ties keep their order (no gradient)."""
    data = x.data
    axis = _axis(axis, max(x.ndim, 1), "argsort", x.shape)
    if x.ndim == 0:
        return np.zeros((), dtype=np.int64)
    if descending:  # stable on the reversed order keeps ties first-come
        return np.argsort(-data if data.dtype.kind in "fi" else ~data, axis=axis,
                          kind="stable")
    return np.argsort(data, axis=axis, kind="stable")


def sort(x, axis=-1, descending=False):
    """x sorted along `axis` (ties stay in order); grad goes back to where each came from."""
    if axis is None:
        return sort(Reshape.of(x, (-1,)), -1, descending)
    if x.ndim == 0:
        return x
    return take_along_axis(x, argsort(x, axis, descending), axis)


def topk(x, k, axis=-1, largest=True, sorted=True):  # noqa: A002 - PyTorch's name
    """(values, indices) of the k largest (or smallest) along `axis`, in order; among
    equal values the lower index comes first. values are differentiable."""
    axis = _axis(axis, x.ndim, "topk", x.shape)
    if not 0 <= k <= x.shape[axis]:
        raise ValueError(f"topk: k = {k} is out of range for axis {axis} of size "
                         f"{x.shape[axis]} (shape {x.shape})")
    order = argsort(x, axis, descending=largest)
    indices = np.take(order, np.arange(k), axis=axis)
    return take_along_axis(x, indices, axis), indices


def einsum(subscripts, *operands):
    """numpy's einsum (any subscripts numpy accepts: implicit output, '...', traces)."""
    return Einsum.of(subscripts, *operands)
