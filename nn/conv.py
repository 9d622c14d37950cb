"""Convolutional layers: torch.nn.functional's conv, pool and interpolate functions with
PyTorch's signatures, and the modules Conv1d Conv2d ConvTranspose1d ConvTranspose2d
MaxPool1d MaxPool2d AvgPool1d AvgPool2d AdaptiveAvgPool1d AdaptiveAvgPool2d Flatten
Unflatten (PyTorch's arguments, parameter names, shapes, initialisation and repr).

Layout is PyTorch's: (N, C, L) for one spatial axis, (N, C, H, W) for two; an unbatched
input (C, L) or (C, H, W) is accepted as PyTorch does. Each function is one operator of
autograd.ops.conv; this module checks the arguments and turns them into its geometry.
"""

from __future__ import annotations

import functools
import math

import numpy as np

import autograd
from autograd import Tensor
from autograd.ops.conv import (
    AdaptiveAvgPool,
    AvgPool,
    Convolution,
    ConvTranspose,
    Interpolate,
    MaxPool,
    output_size,
)

from . import init
from .activations import as_tensor
from .module import Module, Parameter

__all__ = [
    "conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "max_pool1d", "max_pool2d",
    "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d", "interpolate",
    "Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d", "MaxPool1d", "MaxPool2d",
    "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "Flatten", "Unflatten",
]


# -- arguments ---------------------------------------------------------------------------


def _ints(value, d, where, name, minimum):
    """`value` (an int or d ints) as a tuple of d ints ≥ minimum."""
    values = (value,) * d if isinstance(value, (int, np.integer)) else value
    if not isinstance(values, (tuple, list)) or not all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values):
        raise TypeError(f"{where}: {name} must be an int or {d} ints, got {value!r}")
    if len(values) != d or min(values) < minimum:
        raise ValueError(f"{where}: {name} must be an int >= {minimum} or {d} of them, "
                         f"got {value!r}")
    return tuple(int(v) for v in values)


def _batched(x, d, where, what="input"):
    """(x with a batch axis, whether one was added): PyTorch accepts (C, *spatial) too."""
    x = as_tensor(x)
    if x.ndim == d + 1:
        return x.reshape((1,) + x.shape), True
    if x.ndim != d + 2:
        layout = "(N, C, L)" if d == 1 else "(N, C, H, W)"
        raise ValueError(f"{where}: {what} must be {layout} or unbatched without N, got "
                         f"shape {x.shape}")
    return x, False


def _unbatched(out, added):
    return out.reshape(out.shape[1:]) if added else out


def _check_size(where, x_shape, kernel, stride, padding, dilation):
    size = output_size(x_shape[2:], kernel, stride, padding, dilation)
    if min(size) < 1:
        extent = tuple(dl * (k - 1) + 1 for k, dl in zip(kernel, dilation))
        padded = tuple(n + lo + hi for n, (lo, hi) in zip(x_shape[2:], padding))
        raise ValueError(f"{where}: input of shape {x_shape} (spatial size {padded} after "
                         f"padding) is smaller than the kernel's extent {extent}; pad it or "
                         "use a smaller kernel or dilation")
    return size


def _conv(d, where, input, weight, bias, stride, padding, dilation, groups):
    x, added = _batched(input, d, where)
    w = as_tensor(weight)
    if w.ndim != d + 2:
        raise ValueError(f"{where}: weight must have shape (out_channels, in_channels/groups, "
                         f"*kernel) with {d} kernel axes, got {w.shape}")
    groups = _ints(groups, 1, where, "groups", 1)[0]
    stride = _ints(stride, d, where, "stride", 1)
    dilation = _ints(dilation, d, where, "dilation", 1)
    kernel = w.shape[2:]
    if w.shape[1] * groups != x.shape[1] or w.shape[0] % groups:
        raise ValueError(f"{where}: input of shape {x.shape} and weight of shape {w.shape} "
                         f"do not fit with groups={groups}: expected in_channels "
                         f"{w.shape[1] * groups} = weight.shape[1]·groups and out_channels "
                         "divisible by groups")
    padding = _conv_padding(padding, kernel, stride, dilation, where)
    _check_size(where, x.shape, kernel, stride, padding, dilation)
    inputs = (x, w) if bias is None else (x, w, _bias(bias, w.shape[0], where))
    out = Convolution.apply(*inputs, stride=stride, padding=padding, dilation=dilation,
                            groups=groups)
    return _unbatched(out, added)


def _conv_padding(padding, kernel, stride, dilation, where):
    """(before, after) per axis; "same" puts the odd pixel after, as PyTorch does."""
    d = len(kernel)
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * d
        if padding != "same":
            raise ValueError(f"{where}: padding must be 'valid', 'same', an int or {d} ints, "
                             f"got {padding!r}")
        if stride != (1,) * d:
            raise ValueError(f"{where}: padding='same' needs stride 1 (PyTorch's rule), "
                             f"got stride={stride}; pad explicitly instead")
        totals = [dl * (k - 1) for k, dl in zip(kernel, dilation)]
        return tuple((t // 2, t - t // 2) for t in totals)
    return tuple((p, p) for p in _ints(padding, d, where, "padding", 0))


def _bias(bias, channels, where):
    b = as_tensor(bias)
    if b.shape != (channels,):
        raise ValueError(f"{where}: bias must have shape ({channels},), got {b.shape}")
    return b


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """1-d convolution (cross-correlation) of input (N, C_in, L) with weight
    (C_out, C_in/groups, k):  out[n, o, p] = b[o] + Σ_{c,i} x_pad[n, c, p·stride +
    i·dilation] w[o, c, i].  padding: int, 'valid' (0) or 'same' (stride 1)."""
    return _conv(1, "conv1d", input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """2-d convolution (cross-correlation) of input (N, C_in, H, W) with weight
    (C_out, C_in/groups, kH, kW):  out[n, o, p, q] = b[o] + Σ_{c,i,j} x_pad[n, c, p·s + i·d,
    q·s + j·d] w[o, c, i, j].  padding: int, pair, 'valid' (0) or 'same' (stride 1).
    One `conv` operator; its backward is the transposed convolution (for x) and the
    windows weighted by the output's gradient (for w)."""
    return _conv(2, "conv2d", input, weight, bias, stride, padding, dilation, groups)


def _conv_transpose(d, where, input, weight, bias, stride, padding, output_padding, groups,
                    dilation):
    x, added = _batched(input, d, where)
    w = as_tensor(weight)
    if w.ndim != d + 2:
        raise ValueError(f"{where}: weight must have shape (in_channels, out_channels/groups, "
                         f"*kernel) with {d} kernel axes, got {w.shape}")
    groups = _ints(groups, 1, where, "groups", 1)[0]
    stride = _ints(stride, d, where, "stride", 1)
    dilation = _ints(dilation, d, where, "dilation", 1)
    padding = _ints(padding, d, where, "padding", 0)
    extra = _ints(output_padding, d, where, "output_padding", 0)
    if w.shape[0] != x.shape[1] or w.shape[0] % groups:
        raise ValueError(f"{where}: input of shape {x.shape} and weight of shape {w.shape} "
                         f"do not fit with groups={groups}: expected weight.shape[0] = "
                         "in_channels, divisible by groups")
    if any(e >= max(s, dl) for e, s, dl in zip(extra, stride, dilation)):
        raise ValueError(f"{where}: output_padding {extra} must be smaller than the stride "
                         f"{stride} or the dilation {dilation}")
    size = tuple((n - 1) * s - 2 * p + dl * (k - 1) + e + 1 for n, s, p, dl, k, e in
                 zip(x.shape[2:], stride, padding, dilation, w.shape[2:], extra))
    if min(size) < 1:
        raise ValueError(f"{where}: output size {size} is empty for input {x.shape}, weight "
                         f"{w.shape} and padding {padding}; reduce the padding")
    inputs = (x, w) if bias is None else (x, w, _bias(bias, w.shape[1] * groups, where))
    out = ConvTranspose.apply(*inputs, size=size, stride=stride,
                              padding=tuple((p, p) for p in padding), dilation=dilation,
                              groups=groups)
    return _unbatched(out, added)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1) -> Tensor:
    """Transposed 1-d convolution of input (N, C_in, L) with weight (C_in, C_out/groups, k):
    the gradient of conv1d by its input. Output length (L − 1)·stride − 2·padding +
    dilation·(k − 1) + output_padding + 1."""
    return _conv_transpose(1, "conv_transpose1d", input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1) -> Tensor:
    """Transposed 2-d convolution of input (N, C_in, H, W) with weight (C_in, C_out/groups,
    kH, kW): the gradient of conv2d by its input, so each input pixel spreads its kernel
    onto the output. Output size (H − 1)·stride − 2·padding + dilation·(kH − 1) +
    output_padding + 1 (output_padding picks among the sizes a strided conv2d maps to H)."""
    return _conv_transpose(2, "conv_transpose2d", input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def _pool_geometry(where, shape, kernel_size, stride, padding, dilation, ceil_mode, d):
    """(kernel, stride, padding pairs, dilation, output size) of a pooling, PyTorch's rules:
    stride defaults to the kernel, padding at most half the kernel, and in ceil mode a last
    window that starts in the right padding is dropped."""
    kernel = _ints(kernel_size, d, where, "kernel_size", 1)
    stride = kernel if stride is None or stride == () or stride == [] else _ints(
        stride, d, where, "stride", 1)
    pads = _ints(padding, d, where, "padding", 0)
    dilation = _ints(dilation, d, where, "dilation", 1)
    if any(2 * p > k for p, k in zip(pads, kernel)):
        raise ValueError(f"{where}: padding {pads} must be at most half the kernel size "
                         f"{kernel} (PyTorch's rule)")
    size = []
    for n, k, s, p, dl in zip(shape[2:], kernel, stride, pads, dilation):
        span = n + 2 * p - dl * (k - 1) - 1
        m = (span + (s - 1 if ceil_mode else 0)) // s + 1
        if ceil_mode and (m - 1) * s >= n + p:
            m -= 1
        if m < 1 or span < 0:
            raise ValueError(f"{where}: input of shape {shape} is smaller than the window "
                             f"(kernel {kernel}, dilation {dilation}, padding {pads})")
        size.append(m)
    # The right padding each axis needs (ceil mode may read past 2·padding; a floor-mode
    # pooling may leave the last inputs unread).
    padding = tuple((p, max((m - 1) * s + dl * (k - 1) + 1 - n - p, 0)) for n, k, s, p, dl, m
                    in zip(shape[2:], kernel, stride, pads, dilation, size))
    return kernel, stride, padding, dilation, tuple(size)


def _max_pool(d, where, input, kernel_size, stride, padding, dilation, ceil_mode,
              return_indices):
    if return_indices:
        raise ValueError(f"{where}: return_indices=True is not supported (tracegrad has no "
                         "max_unpool to use them); leave it False")
    x, added = _batched(input, d, where)
    kernel, stride, pads, dilation, _ = _pool_geometry(where, x.shape, kernel_size, stride,
                                                       padding, dilation, ceil_mode, d)
    out = MaxPool.apply(x, kernel=kernel, stride=stride, padding=pads, dilation=dilation)
    return _unbatched(out, added)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False) -> Tensor:
    """Maximum over windows along L of input (N, C, L) (−∞ padding); the gradient goes to
    the first maximum of each window, as in PyTorch."""
    return _max_pool(1, "max_pool1d", input, kernel_size, stride, padding, dilation,
                     ceil_mode, return_indices)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False) -> Tensor:
    """Maximum over kH×kW windows of input (N, C, H, W) (−∞ padding; stride defaults to the
    kernel); the gradient goes to the first maximum of each window (row-major), as in
    PyTorch."""
    return _max_pool(2, "max_pool2d", input, kernel_size, stride, padding, dilation,
                     ceil_mode, return_indices)


def _avg_pool(d, where, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override):
    x, added = _batched(input, d, where)
    kernel, stride, pads, _, size = _pool_geometry(where, x.shape, kernel_size, stride,
                                                   padding, 1, ceil_mode, d)
    if divisor_override is not None:
        if isinstance(divisor_override, bool) or not isinstance(
                divisor_override, (int, np.integer)) or divisor_override == 0:
            raise ValueError(f"{where}: divisor_override must be a nonzero int, got "
                             f"{divisor_override!r}")
        divisor = np.full(size, float(divisor_override))
    else:
        counts = [_window_counts(n, k, s, lo, m, count_include_pad) for n, k, s, (lo, _), m
                  in zip(x.shape[2:], kernel, stride, pads, size)]
        divisor = functools.reduce(np.multiply.outer, counts)
    out = AvgPool.apply(x, kernel=kernel, stride=stride, padding=pads, divisor=divisor)
    return _unbatched(out, added)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True) -> Tensor:
    """Mean over windows along L of input (N, C, L), zero padding, PyTorch's divisor."""
    return _avg_pool(1, "avg_pool1d", input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, None)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None) -> Tensor:
    """Mean over kH×kW windows of input (N, C, H, W), zero padding. The divisor is
    PyTorch's: the window clipped to the padded input (count_include_pad=True), only its
    inputs (False), or divisor_override."""
    return _avg_pool(2, "avg_pool2d", input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


def _window_counts(n, k, s, p, m, count_include_pad):
    """How many positions each of the m windows along an axis averages (PyTorch's rule)."""
    start = np.arange(m) * s - p
    end = np.minimum(start + k, n + p)
    if not count_include_pad:
        start, end = np.maximum(start, 0), np.minimum(end, n)
    return (end - start).astype(np.float64)


def _adaptive_avg_pool(d, where, input, output_size):
    x, added = _batched(input, d, where)
    sizes = (output_size,) * d if output_size is None or isinstance(
        output_size, (int, np.integer)) else tuple(output_size)
    sizes = tuple(n if m is None else m for n, m in zip(x.shape[2:], sizes))
    sizes = _ints(sizes, d, where, "output_size", 1)
    matrices = tuple(_average_matrix(n, m) for n, m in zip(x.shape[2:], sizes))
    out = AdaptiveAvgPool.apply(x, matrices=matrices, mode="average")
    return _unbatched(out, added)


def adaptive_avg_pool1d(input, output_size) -> Tensor:
    """Average pooling of (N, C, L) to a fixed length: output cell i of L → m averages
    inputs ⌊i·L/m⌋ … ⌈(i+1)·L/m⌉ − 1."""
    return _adaptive_avg_pool(1, "adaptive_avg_pool1d", input, output_size)


def adaptive_avg_pool2d(input, output_size) -> Tensor:
    """Average pooling to a fixed output size (oH, oW) (an int, a pair, None keeping that
    axis): output cell i of an axis n → m averages inputs ⌊i·n/m⌋ … ⌈(i+1)·n/m⌉ − 1."""
    return _adaptive_avg_pool(2, "adaptive_avg_pool2d", input, output_size)


def _average_matrix(n, m):
    matrix = np.zeros((m, n))
    for i in range(m):
        start, end = (i * n) // m, -(-((i + 1) * n) // m)
        matrix[i, start:end] = 1.0 / (end - start)
    return matrix


_INTERPOLATE_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "area")


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False) -> Tensor:
    """Resample the spatial axes of (N, C, L) or (N, C, H, W) to `size` or by
    `scale_factor` (output size ⌊in·scale⌋), PyTorch's formulas: 'nearest' copies input
    ⌊i·scale'⌋, scale' = 1/scale_factor if given (unless recompute_scale_factor) else in/out;
    'linear'/'bilinear' weigh the two neighbours of source (i + ½)·scale' − ½ clamped at 0,
    or i·(in − 1)/(out − 1) with align_corners=True; 'area' is adaptive average pooling."""
    where = "interpolate"
    x = as_tensor(input)
    if mode not in _INTERPOLATE_MODES:
        raise ValueError(f"{where}: mode must be one of {', '.join(_INTERPOLATE_MODES)}, got "
                         f"{mode!r} (bicubic and trilinear are not implemented)")
    d = x.ndim - 2
    if d not in (1, 2) or (mode == "linear" and d != 1) or (mode == "bilinear" and d != 2):
        raise ValueError(f"{where}: mode {mode!r} does not fit an input of shape {x.shape} "
                         "(linear needs (N, C, L), bilinear (N, C, H, W))")
    linear = mode in ("linear", "bilinear")
    if align_corners is not None and not linear:
        raise ValueError(f"{where}: align_corners can only be set with the interpolating "
                         f"modes linear and bilinear, got mode={mode!r}")
    if antialias:
        raise ValueError(f"{where}: antialias=True is not supported")
    sizes, scales = _resample_sizes(where, x.shape[2:], size, scale_factor,
                                    recompute_scale_factor)
    matrices = []
    for n, m, scale in zip(x.shape[2:], sizes, scales):
        if mode == "area":
            matrices.append(_average_matrix(n, m))
        elif linear:
            matrices.append(_linear_matrix(n, m, scale, bool(align_corners)))
        else:
            matrices.append(_nearest_matrix(n, m, scale, mode == "nearest-exact"))
    return Interpolate.apply(x, matrices=tuple(matrices), mode=mode)


def _resample_sizes(where, spatial, size, scale_factor, recompute):
    d = len(spatial)
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{where}: give exactly one of size and scale_factor")
    if size is not None:
        return _ints(size, d, where, "size", 1), (None,) * d
    scales = (scale_factor,) * d if np.isscalar(scale_factor) else tuple(scale_factor)
    if len(scales) != d or not all(s > 0 for s in scales):
        raise ValueError(f"{where}: scale_factor must be a positive number or {d} of them, "
                         f"got {scale_factor!r}")
    sizes = tuple(int(math.floor(n * float(s))) for n, s in zip(spatial, scales))
    if min(sizes) < 1:
        raise ValueError(f"{where}: scale_factor {scale_factor} makes an empty output from "
                         f"spatial size {tuple(spatial)}")
    return sizes, ((None,) * d if recompute else tuple(float(s) for s in scales))


def _source_scale(n, m, scale, align_corners):
    """PyTorch's area_pixel_compute_scale: input step per output step."""
    if align_corners:
        return (n - 1) / (m - 1) if m > 1 else 0.0
    return 1.0 / scale if scale is not None and scale > 0 else n / m


def _linear_matrix(n, m, scale, align_corners):
    step = _source_scale(n, m, scale, align_corners)
    matrix = np.zeros((m, n))
    for i in range(m):
        source = step * i if align_corners else max(step * (i + 0.5) - 0.5, 0.0)
        low = int(source)
        high = low + (1 if low < n - 1 else 0)
        weight = source - low
        matrix[i, low] += 1.0 - weight
        matrix[i, high] += weight
    return matrix


def _nearest_matrix(n, m, scale, exact):
    # PyTorch computes the nearest source index in float32 (floorf(i * scale)).
    step = np.float32(_source_scale(n, m, scale, False))
    dst = np.arange(m, dtype=np.float32) + np.float32(0.5 if exact else 0.0)
    source = np.minimum(np.floor(dst * step).astype(np.int64), n - 1)
    matrix = np.zeros((m, n))
    matrix[np.arange(m), source] = 1.0
    return matrix


# -- modules -----------------------------------------------------------------------------

_PADDING_MODES = {"zeros": None, "reflect": "reflect", "replicate": "edge",
                  "circular": "wrap"}


class _ConvNd(Module):
    """What Conv1d, Conv2d and ConvTranspose2d share: PyTorch's arguments, parameters
    weight and bias, initialisation (kaiming_uniform_ with a=√5, bias U(−1/√fan_in,
    1/√fan_in)) and extra_repr."""

    _d = 2
    _transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation,
                 groups, bias, padding_mode, output_padding=0, dtype=np.float64,
                 generator=None):
        super().__init__()
        where, d = type(self).__name__, self._d
        self.in_channels = _ints(in_channels, 1, where, "in_channels", 1)[0]
        self.out_channels = _ints(out_channels, 1, where, "out_channels", 1)[0]
        self.kernel_size = _ints(kernel_size, d, where, "kernel_size", 1)
        self.stride = _ints(stride, d, where, "stride", 1)
        self.dilation = _ints(dilation, d, where, "dilation", 1)
        self.groups = _ints(groups, 1, where, "groups", 1)[0]
        self.output_padding = _ints(output_padding, d, where, "output_padding", 0)
        if isinstance(padding, str):
            _conv_padding(padding, self.kernel_size, self.stride, self.dilation, where)
            self.padding = padding
        else:
            self.padding = _ints(padding, d, where, "padding", 0)
        if self.in_channels % self.groups or self.out_channels % self.groups:
            raise ValueError(f"{where}: in_channels ({self.in_channels}) and out_channels "
                             f"({self.out_channels}) must be divisible by groups "
                             f"({self.groups})")
        if padding_mode not in _PADDING_MODES or (self._transposed and padding_mode != "zeros"):
            allowed = "'zeros'" if self._transposed else ", ".join(map(repr, _PADDING_MODES))
            raise ValueError(f"{where}: padding_mode must be {allowed}, got {padding_mode!r}")
        self.padding_mode = padding_mode
        if self._transposed:
            shape = (self.in_channels, self.out_channels // self.groups) + self.kernel_size
        else:
            shape = (self.out_channels, self.in_channels // self.groups) + self.kernel_size
        rng = init.get_generator(generator, where)
        self.weight = Parameter(np.empty(shape, dtype=dtype))
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), generator=rng)
        if bias:
            bound = 1.0 / math.sqrt(init.fan_in_and_fan_out(shape)[0])
            self.bias = Parameter(np.empty(self.out_channels, dtype=dtype))
            init.uniform_(self.bias, -bound, bound, rng)
        else:
            self.bias = None

    def _padded(self, x):
        """(x, padding for the conv): padding_mode other than zeros pads x first."""
        numpy_mode = _PADDING_MODES[self.padding_mode]
        if numpy_mode is None:
            return x, self.padding
        if isinstance(self.padding, str):
            pairs = _conv_padding(self.padding, self.kernel_size, self.stride, self.dilation,
                                  type(self).__name__)
        else:
            pairs = tuple((p, p) for p in self.padding)
        x = as_tensor(x)
        widths = ((0, 0),) * (x.ndim - self._d) + tuple(pairs)
        return autograd.pad(x, widths, mode=numpy_mode), 0

    def extra_repr(self):
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        zeros, ones = (0,) * self._d, (1,) * self._d
        if self.padding != zeros:
            text += f", padding={self.padding}"
        if self.dilation != ones:
            text += f", dilation={self.dilation}"
        if self.output_padding != zeros:
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text


class Conv1d(_ConvNd):
    """1-d convolution layer: weight (out_channels, in_channels/groups, kernel_size), bias
    (out_channels,); forward is F.conv1d (padding_mode reflect/replicate/circular pads
    first, as PyTorch)."""

    _d = 1

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, bias=True, padding_mode="zeros", device=None,
                 dtype=np.float64, generator=None):
        _cpu_only(device, "Conv1d")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, dtype=dtype, generator=generator)

    def forward(self, input):
        x, padding = self._padded(input)
        return conv1d(x, self.weight, self.bias, self.stride, padding, self.dilation,
                      self.groups)


class Conv2d(_ConvNd):
    """2-d convolution layer: weight (out_channels, in_channels/groups, kH, kW), bias
    (out_channels,); forward is F.conv2d (padding_mode reflect/replicate/circular pads
    first, as PyTorch). Conv2d(1, 8, 3, padding=1) keeps 28×28 images 28×28."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, bias=True, padding_mode="zeros", device=None,
                 dtype=np.float64, generator=None):
        _cpu_only(device, "Conv2d")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, dtype=dtype, generator=generator)

    def forward(self, input):
        x, padding = self._padded(input)
        return conv2d(x, self.weight, self.bias, self.stride, padding, self.dilation,
                      self.groups)


class _ConvTransposeNd(_ConvNd):
    """What ConvTranspose1d and ConvTranspose2d share: forward(input, output_size=None),
    output_size choosing the output_padding."""

    _transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=np.float64, generator=None):
        where = type(self).__name__
        _cpu_only(device, where)
        if isinstance(padding, str):
            raise ValueError(f"{where}: padding must be an int or {self._d} ints, got "
                             f"{padding!r}")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, output_padding, dtype, generator)

    def forward(self, input, output_size=None):
        extra, d = self.output_padding, self._d
        if output_size is not None:
            x = as_tensor(input)
            wanted = tuple(output_size)[-d:]
            least = tuple((n - 1) * s - 2 * p + dl * (k - 1) + 1 for n, s, p, dl, k in zip(
                x.shape[-d:], self.stride, self.padding, self.dilation, self.kernel_size))
            extra = tuple(w - m for w, m in zip(wanted, least))
            if len(wanted) != d or any(e < 0 or e >= max(s, dl) for e, s, dl in
                                       zip(extra, self.stride, self.dilation)):
                raise ValueError(f"{type(self).__name__}: output_size {tuple(output_size)} "
                                 f"is not reachable from input {x.shape}; sizes from {least} "
                                 "up to one stride more are")
        return _conv_transpose(d, f"conv_transpose{d}d", input, self.weight, self.bias,
                               self.stride, self.padding, extra, self.groups, self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    """Transposed 1-d convolution layer: weight (in_channels, out_channels/groups,
    kernel_size), bias (out_channels,); forward is F.conv_transpose1d."""

    _d = 1


class ConvTranspose2d(_ConvTransposeNd):
    """Transposed 2-d convolution layer (upsampling): weight (in_channels,
    out_channels/groups, kH, kW), bias (out_channels,); forward(input, output_size=None)
    is F.conv_transpose2d, output_size choosing the output_padding."""


def _cpu_only(device, where):
    if device not in (None, "cpu"):
        raise ValueError(f"{where}: device={device!r}: tracegrad computes on the CPU "
                         "(numpy); leave device out")


class _MaxPoolNd(Module):
    _d = 2

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, input):
        pool = max_pool1d if self._d == 1 else max_pool2d
        return pool(input, self.kernel_size, self.stride, self.padding, self.dilation,
                    self.ceil_mode, self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
                f", dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """Max pooling over L of (N, C, L) (F.max_pool1d); stride defaults to kernel_size."""

    _d = 1


class MaxPool2d(_MaxPoolNd):
    """Max pooling over kH×kW windows of (N, C, H, W) (F.max_pool2d); stride defaults to
    kernel_size, so MaxPool2d(2) halves each side."""


class AvgPool1d(Module):
    """Average pooling over windows along L of (N, C, L) (F.avg_pool1d); PyTorch keeps
    its sizes as 1-tuples."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True):
        super().__init__()
        self.kernel_size = _ints(kernel_size, 1, "AvgPool1d", "kernel_size", 1)
        self.stride = self.kernel_size if stride is None else _ints(stride, 1, "AvgPool1d",
                                                                    "stride", 1)
        self.padding = _ints(padding, 1, "AvgPool1d", "padding", 0)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input):
        return avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(Module):
    """Average pooling over kH×kW windows of (N, C, H, W) (F.avg_pool2d)."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input):
        return avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad, self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool1d(Module):
    """Average pooling of (N, C, L) to a fixed length (F.adaptive_avg_pool1d)."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return adaptive_avg_pool1d(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed (oH, oW) whatever the input's size
    (F.adaptive_avg_pool2d); AdaptiveAvgPool2d(1) is global average pooling."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class Flatten(Module):
    """Axes start_dim..end_dim merged into one: Flatten()(x) of (N, C, H, W) is (N, C·H·W),
    the bridge from convolutions to Linear layers."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):
        return as_tensor(input).flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Axis `dim` split into `unflattened_size` (Flatten's inverse)."""

    def __init__(self, dim, unflattened_size):
        super().__init__()
        self.dim = dim
        self.unflattened_size = unflattened_size

    def forward(self, input):
        return as_tensor(input).unflatten(self.dim, tuple(self.unflattened_size))

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
