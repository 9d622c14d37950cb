"""Convolution, pooling and resampling over the trailing spatial axes of (N, C, *spatial)
arrays, one or two spatial axes (conv1d, conv2d, ...), one operator each.

Convolution is im2col: a strided window view of the padded input (sliding_window_view, no
copy), laid out as columns (one copy, the im2col buffer) and multiplied by the kernel in one
batched GEMM. Its three faces are one trilinear form ⟨g, conv(x, w)⟩ differentiated by each
argument: `conv` (by g: the output), `conv_transpose` (by x: the input's gradient, and
PyTorch's transposed convolution) and `conv_weight` (by w: the kernel's gradient). Each
backward calls the other two, as operators under create_graph, so every order of derivative
is another convolution.

Geometry parameters, all tuples with one entry per spatial axis: `stride`, `dilation`,
`padding` as (before, after) pairs (padding="same" may be uneven), `groups` an int.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..engine import Operator
from ..variable import Variable


def windows(x, kernel, stride, padding, dilation, fill=0.0):
    """View (N, C, *out, *kernel) of x's windows after padding with `fill`:
    view[n, c, o…, k…] = x_padded[n, c, o·stride + k·dilation …]."""
    d = len(kernel)
    if any(lo or hi for lo, hi in padding):
        x = np.pad(x, ((0, 0), (0, 0)) + tuple(padding), constant_values=fill)
    extent = tuple(dl * (k - 1) + 1 for k, dl in zip(kernel, dilation))
    view = sliding_window_view(x, extent, axis=tuple(range(2, 2 + d)))
    steps = tuple(slice(None, None, s) for s in stride) + tuple(
        slice(None, None, dl) for dl in dilation)
    return view[(slice(None), slice(None)) + steps]


def output_size(size, kernel, stride, padding, dilation) -> tuple:
    """Spatial output size of a window op: ⌊(in + before + after − dilation·(k − 1) − 1) /
    stride⌋ + 1 per axis (may be < 1: the caller refuses it)."""
    return tuple((n + lo + hi - dl * (k - 1) - 1) // s + 1
                 for n, k, s, (lo, hi), dl in zip(size, kernel, stride, padding, dilation))


def _columns(view, groups):
    """The im2col buffer: a window view (N, C, *out, *k) copied to (N, groups, C/groups ·
    Πk, Πout), so each group's product with its kernel is one matrix product."""
    n, c = view.shape[:2]
    d = (view.ndim - 2) // 2
    axes = (0, 1) + tuple(range(2 + d, 2 + 2 * d)) + tuple(range(2, 2 + d))
    length = math.prod(view.shape[2:2 + d])
    depth = c // groups * math.prod(view.shape[2 + d:])
    return view.transpose(axes).reshape(n, groups, depth, length)


def _convolve(x, w, stride, padding, dilation, groups):
    """out[n, o, p…] = Σ_{c in o's group, k…} x_padded[n, c, p·stride + k·dilation] w[o, c, k…]."""
    kernel = w.shape[2:]
    view = windows(x, kernel, stride, padding, dilation)
    d = len(kernel)
    out_shape = view.shape[2:2 + d]
    cols = _columns(view, groups)
    kernels = w.reshape(groups, w.shape[0] // groups, -1)
    return np.matmul(kernels, cols).reshape((x.shape[0], w.shape[0]) + out_shape)


def _convolve_weight(x, g, kernel, stride, padding, dilation, groups):
    """The kernel's gradient: grad_w[o, c, k…] = Σ_{n, p…} g[n, o, p…] x_padded[n, c, p·stride
    + k·dilation] (c counted within o's group)."""
    view = windows(x, kernel, stride, padding, dilation)
    # Rows past the last window a transposed convolution's output_padding added: unused.
    view = view[(slice(None), slice(None)) + tuple(slice(0, m) for m in g.shape[2:])]
    cols = _columns(view, groups)
    n, o = g.shape[:2]
    rows = g.reshape(n, groups, o // groups, math.prod(g.shape[2:]))
    grad = np.matmul(rows, cols.swapaxes(-1, -2)).sum(axis=0)
    return grad.reshape((o, x.shape[1] // groups) + tuple(kernel))


def _convolve_transpose(g, w, size, stride, padding, dilation, groups):
    """The input's gradient (col2im): each output position p spreads g[n, o, p] · w[o, c, k]
    back onto x_padded[n, c, p·stride + k·dilation]; the padding is cut off at the end."""
    n, o = g.shape[:2]
    kernel = w.shape[2:]
    out = g.shape[2:]
    kernels = w.reshape(groups, o // groups, -1).swapaxes(-1, -2)
    cols = np.matmul(kernels, g.reshape(n, groups, o // groups, math.prod(out)))
    c = w.shape[1] * groups
    cols = cols.reshape((n, c) + tuple(kernel) + tuple(out))
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(size, padding))
    grad = np.zeros((n, c) + padded, dtype=cols.dtype)
    for offset in itertools.product(*(range(k) for k in kernel)):
        target = tuple(slice(i * dl, i * dl + st * (m - 1) + 1, st)
                       for i, dl, st, m in zip(offset, dilation, stride, out))
        grad[(slice(None), slice(None)) + target] += cols[(slice(None), slice(None)) + offset]
    crop = tuple(slice(lo, lo + s) for s, (lo, _) in zip(size, padding))
    return grad[(slice(None), slice(None)) + crop]


def _conv(x, w, size, **geometry):
    """conv as an operator when a variable takes part (create_graph), else on the arrays;
    cut to `size` (an output_padding leaves rows past the last window)."""
    if isinstance(x, Variable) or isinstance(w, Variable):
        out = Convolution.apply(x, w, **geometry)
    else:
        out = _convolve(x, w, **geometry)
    if out.shape[2:] != tuple(size):
        out = out[(slice(None), slice(None)) + tuple(slice(0, m) for m in size)]
    return out


def _conv_transpose(g, w, size, **geometry):
    if isinstance(g, Variable) or isinstance(w, Variable):
        return ConvTranspose.apply(g, w, size=size, **geometry)
    return _convolve_transpose(g, w, size, **geometry)


def _conv_weight(x, g, kernel, **geometry):
    if isinstance(x, Variable) or isinstance(g, Variable):
        return ConvWeight.apply(x, g, kernel=kernel, **geometry)
    return _convolve_weight(x, g, kernel, **geometry)


def _plus_bias(out, bias):
    """out + b[c] along the channel axis 1; `bias` is () or (b,)."""
    if bias:
        out += bias[0].reshape((-1,) + (1,) * (out.ndim - 2))
    return out


def _with_bias_grad(grad_x, grad_w, grad_out, needs):
    """The gradients of (x, w) and, when a bias was given, Σ grad_out over batch and space."""
    if len(needs) == 2:
        return grad_x, grad_w
    grad_b = grad_out.sum(axis=(0,) + tuple(range(2, grad_out.ndim))) if needs[2] else None
    return grad_x, grad_w, grad_b


class Convolution(Operator):
    """N-d convolution (cross-correlation, as PyTorch's conv1d/conv2d) with an optional bias:

        out[n, o, p] = b[o] + Σ_{c, k} x_pad[n, c, p·stride + k·dilation] · w[o, c, k]

    x (N, C, *spatial), w (O, C/groups, *kernel), b (O,); c runs over o's group.
    grad_x = conv_transpose(grad_out, w) (each output spreads back over its window),
    grad_w = conv_weight(x, grad_out) (the windows weighted by grad_out, summed),
    grad_b = Σ_{n, p} grad_out[n, o, p].
    """

    name = "conv"

    @classmethod
    def display(cls, node) -> str | None:
        return f"conv{len(node.params['stride'])}d"

    @staticmethod
    def forward(ctx, x, w, *bias, stride, padding, dilation, groups):
        ctx.save(x, w)
        return _plus_bias(_convolve(x, w, stride, padding, dilation, groups), bias)

    @staticmethod
    def backward(ctx, grad_out):
        x, w = ctx.saved
        geometry = ctx.params
        needs = ctx.needs_input_grad
        grad_x = _conv_transpose(grad_out, w, x.shape[2:], **geometry) if needs[0] else None
        grad_w = _conv_weight(x, grad_out, w.shape[2:], **geometry) if needs[1] else None
        return _with_bias_grad(grad_x, grad_w, grad_out, needs)


class ConvTranspose(Operator):
    """Transposed convolution (PyTorch's conv_transpose1d/2d; the gradient of conv by its input):

        out[n, c, p·stride + k·dilation − before] += x[n, o, p] · w[o, c, k];  out += b[c]

    x (N, O, *in), w (O, C/groups, *kernel), output (N, C, *size), `size` fixing what
    the stride leaves ambiguous (PyTorch's output_padding).
    grad_x = conv(grad_out, w),  grad_w = conv_weight(grad_out, x),  grad_b = Σ grad_out.
    """

    name = "conv_transpose"

    @classmethod
    def display(cls, node) -> str | None:
        return f"conv_transpose{len(node.params['stride'])}d"

    @staticmethod
    def forward(ctx, x, w, *bias, size, stride, padding, dilation, groups):
        ctx.save(x, w)
        return _plus_bias(_convolve_transpose(x, w, size, stride, padding, dilation, groups),
                          bias)

    @staticmethod
    def backward(ctx, grad_out):
        x, w = ctx.saved
        geometry = dict(ctx.params)
        del geometry["size"]
        needs = ctx.needs_input_grad
        grad_x = _conv(grad_out, w, x.shape[2:], **geometry) if needs[0] else None
        grad_w = _conv_weight(grad_out, x, w.shape[2:], **geometry) if needs[1] else None
        return _with_bias_grad(grad_x, grad_w, grad_out, needs)


class ConvWeight(Operator):
    """The kernel's gradient of a convolution, as an operator of (x, g) (it appears in graphs
    recorded with create_graph=True):

        out[o, c, k] = Σ_{n, p} g[n, o, p] · x_pad[n, c, p·stride + k·dilation]

    grad_x = conv_transpose(g, grad_out),  grad_g = conv(x, grad_out).
    """

    name = "conv_weight"

    @staticmethod
    def forward(ctx, x, g, kernel, stride, padding, dilation, groups):
        ctx.save(x, g)
        return _convolve_weight(x, g, kernel, stride, padding, dilation, groups)

    @staticmethod
    def backward(ctx, grad_out):
        x, g = ctx.saved
        geometry = dict(ctx.params)
        del geometry["kernel"]
        needs = ctx.needs_input_grad
        grad_x = _conv_transpose(g, grad_out, x.shape[2:], **geometry) if needs[0] else None
        grad_g = _conv(x, grad_out, g.shape[2:], **geometry) if needs[1] else None
        return grad_x, grad_g


class MaxPool(Operator):
    """Max pooling over windows of the (−∞-padded) spatial axes:

        out[n, c, p] = max_k x_pad[n, c, p·stride + k·dilation]
        grad_x[n, c, i] = Σ over windows whose max is at i of grad_out[n, c, p]

    Ties (PyTorch's rule): the first maximum in the window, in row-major order, gets the
    gradient. A NaN in a window is its maximum (it propagates) and its first NaN gets the
    gradient (PyTorch's scan gives it to the last). The argmax positions are saved as
    flat indices into x, so backward is one scatter-add.
    """

    name = "max_pool"

    @classmethod
    def display(cls, node) -> str | None:
        return f"max_pool{len(node.params['stride'])}d"

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, dilation):
        # Padding that never wins: −∞, or an integer dtype's least value.
        lowest = np.iinfo(x.dtype).min if x.dtype.kind in "iu" else -np.inf
        view = windows(x, kernel, stride, padding, dilation, fill=lowest)
        # The window's offsets one at a time: a running maximum, then which offset first
        # reached it (strided passes over the output: an argmax along a short last axis of
        # a copied window array took 3× longer in W9).
        at = [view[(Ellipsis,) + offset] for offset in np.ndindex(*kernel)]
        out = at[0].copy()
        for values in at[1:]:
            np.maximum(out, values, out=out)
        first = np.zeros(out.shape, dtype=np.int8 if len(at) < 128 else np.intp)
        found = np.zeros(out.shape, dtype=bool)
        inside = _inside_masks(x.shape[2:], out.shape[2:], kernel, stride, padding, dilation)
        for k, values in enumerate(at):
            hit = values == out
            if inside is not None:  # a window of −∞ inputs picks an input, not the padding
                hit &= inside[k]
            if k:
                hit &= ~found
                first += hit.astype(first.dtype) * first.dtype.type(k)
            found |= hit
        if not found.all():  # a NaN (never equal to itself) is its window's maximum
            for k in range(len(at) - 1, -1, -1):
                first[~found & np.isnan(at[k])] = k
        ctx.save(_flat_indices(first, x.shape, kernel, stride, padding, dilation))
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (index,) = ctx.saved
        x = ctx.inputs[0]
        grad = ctx.xp.scatter_add(grad_out.reshape(-1), index.reshape(-1), (x.size,))
        return grad.reshape(x.shape)


def _inside_masks(size, out, kernel, stride, padding, dilation):
    """Per kernel offset, which windows (output positions) have that offset inside the
    unpadded input; None without padding, where every offset is."""
    if not any(lo or hi for lo, hi in padding):
        return None
    masks = []
    for offset in np.ndindex(*kernel):
        mask = np.ones((), dtype=bool)
        for axis, (n, m, k, s, (lo, _), dl) in enumerate(zip(size, out, offset, stride, padding,
                                                               dilation)):
            place = np.arange(m) * s + k * dl - lo
            inside = (place >= 0) & (place < n)
            mask = mask[..., None] & inside if axis else inside
        masks.append(mask)
    return masks


def _flat_indices(first, shape, kernel, stride, padding, dilation):
    """Flat indices into x (of `shape`) of each window's chosen element, `first` being its
    position inside the window (C order over the kernel axes): the window's corner plus
    the chosen offset, both in elements of x's C-ordered layout."""
    d = len(kernel)
    steps = [int(np.prod(shape[axis + 1:])) for axis in range(len(shape))]
    corner = np.zeros((1,) * first.ndim, dtype=np.intp)
    for axis in range(first.ndim):
        places = np.arange(first.shape[axis], dtype=np.intp)
        if axis >= 2:
            places = places * stride[axis - 2] - padding[axis - 2][0]
        corner = corner + (places * steps[axis]).reshape(
            (-1,) + (1,) * (first.ndim - 1 - axis))
    offsets = np.indices(kernel).reshape(d, -1)
    table = sum(offsets[a] * dilation[a] * steps[2 + a] for a in range(d))
    return corner + table[first]


class AvgPool(Operator):
    """Average pooling over windows of the zero-padded spatial axes:

        out[n, c, p] = Σ_k x_pad[n, c, p·stride + k] / divisor[p]
        grad_x = conv_transpose(grad_out / divisor, ones kernel, groups=C)

    `divisor` (per output position) is PyTorch's: the window's size clipped to the padded
    input (count_include_pad=True), its in-bounds count (False), or divisor_override.
    """

    name = "avg_pool"

    @classmethod
    def display(cls, node) -> str | None:
        return f"avg_pool{len(node.params['stride'])}d"

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, divisor):
        d = len(kernel)
        view = windows(x, kernel, stride, padding, (1,) * d)
        return view.sum(axis=tuple(range(-d, 0))) / divisor.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad_out):
        x = ctx.inputs[0]
        p = ctx.params
        d = len(p["kernel"])
        ones = np.ones((x.shape[1], 1) + tuple(p["kernel"]), dtype=x.dtype)
        return _conv_transpose(grad_out / p["divisor"].astype(x.dtype, copy=False), ones,
                               x.shape[2:], stride=p["stride"], padding=p["padding"],
                               dilation=(1,) * d, groups=x.shape[1])


class SeparableMap(Operator):
    """A linear map applied along each spatial axis by its own matrix (resampling that
    factorises over axes): for two axes out[n, c] = A · x[n, c] · Bᵀ, A (out_h, in_h) and B
    (out_w, in_w); grad_x[n, c] = Aᵀ · grad_out[n, c] · B.

    Its subclasses differ only in the matrices: averages over PyTorch's adaptive windows
    (adaptive_avg_pool) or interpolation weights (interpolate: one-hot rows for nearest,
    two weights for (bi)linear).
    """

    name = "separable_map"

    @staticmethod
    def forward(ctx, x, matrices, mode):
        return _along_axes(x, [m.astype(x.dtype, copy=False) for m in matrices], False)

    @staticmethod
    def backward(ctx, grad_out):
        matrices = [m.astype(grad_out.dtype, copy=False) for m in ctx.params["matrices"]]
        return _along_axes(grad_out, matrices, True)


def _along_axes(x, matrices, transposed):
    """x with matrix i applied along spatial axis i (its transpose when `transposed`)."""
    d = len(matrices)
    for axis, m in enumerate(matrices):
        position = x.ndim - d + axis
        x = x.swapaxes(position, -1)
        x = x @ (m if transposed else m.T)
        x = x.swapaxes(position, -1)
    return x


class AdaptiveAvgPool(SeparableMap):
    """Adaptive average pooling (PyTorch's): output cell i along an axis of size n → m
    averages the inputs ⌊i·n/m⌋ … ⌈(i+1)·n/m⌉ − 1; a 2-d window's average is the product
    of the per-axis ones. grad_x spreads each grad_out cell evenly over its window."""

    name = "adaptive_avg_pool"

    @classmethod
    def display(cls, node) -> str | None:
        return f"adaptive_avg_pool{len(node.params['matrices'])}d"


class Interpolate(SeparableMap):
    """Resampling (PyTorch's interpolate) as per-axis weight matrices: nearest copies input
    ⌊i·scale⌋ to output i; (bi)linear mixes the two neighbours of the source coordinate
    (i + ½)·scale − ½ (align_corners=False, clamped at 0) or i·(n − 1)/(m − 1) (True).
    grad_x sends each output's gradient back to its sources with the same weights."""

    name = "interpolate"

    @classmethod
    def display(cls, node) -> str | None:
        return f"interpolate ({node.params['mode']})"
