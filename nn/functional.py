"""torch.nn.functional's names and arguments on tracegrad:  `import nn.functional as F`.

Every function here has PyTorch's signature (positional order, names, defaults), so a
PyTorch snippet runs unchanged: `F.cross_entropy(logits, y, weight=w, ignore_index=0)`,
`F.softmax(x, dim=1)`, `F.gelu(x, approximate="tanh")`. The math lives in nn.activations,
nn.losses and nn.layers (shared with the module forms nn.ReLU, nn.CrossEntropyLoss ...);
this module only maps PyTorch's argument names (dim, keepdim) onto tracegrad's (axis,
keepdims). Arguments PyTorch deprecated (size_average, reduce) and in-place variants are
refused with a message naming the argument to use instead.
"""

from __future__ import annotations

import numpy as np

import autograd as _ag
from autograd import Tensor

from . import activations as _act
from . import layers as _layers
from . import losses as _losses
from .activations import (
    as_tensor,
    celu,
    elu,
    hardsigmoid,
    hardswish,
    hardtanh,
    logsigmoid,
    mish,
    relu6,
    selu,
    silu,
    softplus,
    softsign,
)

__all__ = [
    "linear", "relu", "relu6", "leaky_relu", "elu", "selu", "celu", "gelu", "silu", "mish",
    "softplus", "softsign", "hardtanh", "hardsigmoid", "hardswish", "logsigmoid", "sigmoid",
    "tanh", "softmax", "softmin", "log_softmax", "normalize", "dropout", "one_hot", "pad",
    "cosine_similarity", "pairwise_distance",
    "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "kl_div", "cross_entropy",
    "nll_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
]

_not_inplace = _act._not_inplace
_legacy = _losses._no_legacy_reduction


# -- activations -------------------------------------------------------------------------


def relu(input, inplace: bool = False) -> Tensor:
    return _not_inplace(input, inplace, "relu").relu()


relu.__doc__ = _act.relu.__doc__


def sigmoid(input) -> Tensor:
    return as_tensor(input).sigmoid()


def tanh(input) -> Tensor:
    return as_tensor(input).tanh()


def gelu(input, approximate: str = "none") -> Tensor:
    return _act.gelu(input, approximate)


def linear(input, weight, bias=None) -> Tensor:
    return _layers.linear(input, weight, bias)


sigmoid.__doc__, tanh.__doc__ = _act.sigmoid.__doc__, _act.tanh.__doc__
gelu.__doc__, linear.__doc__ = _act.gelu.__doc__, _layers.linear.__doc__


def leaky_relu(input, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    return _act.leaky_relu(_not_inplace(input, inplace, "leaky_relu"), negative_slope)


leaky_relu.__doc__ = _act.leaky_relu.__doc__


def _dim(input, dim, dtype, where):
    """PyTorch's dim for softmax-like functions; dim=None (PyTorch's deprecated implicit
    choice) is refused, and dtype casts the input first, as in PyTorch."""
    if dim is None:
        raise TypeError(f"{where}: pass dim= (the axis that sums to 1); PyTorch's implicit "
                        "choice of dim is deprecated")
    input = as_tensor(input)
    return (input if dtype is None else input.astype(dtype)), dim


def softmax(input, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    input, dim = _dim(input, dim, dtype, "softmax")
    return input.softmax(dim)


def softmin(input, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    input, dim = _dim(input, dim, dtype, "softmin")
    return _act.softmin(input, dim)


def log_softmax(input, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    input, dim = _dim(input, dim, dtype, "log_softmax")
    return input.log_softmax(dim)


softmax.__doc__ = _act.softmax.__doc__
softmin.__doc__ = _act.softmin.__doc__
log_softmax.__doc__ = _act.log_softmax.__doc__


def dropout(input, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    return _layers.dropout(_not_inplace(input, inplace, "dropout"), p, training)


dropout.__doc__ = _layers.dropout.__doc__


# -- vectors and distances ---------------------------------------------------------------


def _p_norm(x, p, dim, keepdim):
    """‖x‖_p along dim: the engine's norm for p = 2 (subgradient 0 at 0), else
    (Σ|x|^p)^(1/p)."""
    if p == 2:
        return x.norm(dim, keepdim)
    if p == 1:
        return x.abs().sum(dim, keepdim)
    if p == float("inf"):
        return x.abs().max(dim, keepdim)
    return (x.abs() ** p).sum(dim, keepdim) ** (1 / p)


def normalize(input, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out=None) -> Tensor:
    """input / max(‖input‖_p, eps) along dim: unit vectors, zero vectors left at 0."""
    if out is not None:
        raise TypeError("normalize: out= is not supported; use the returned tensor")
    x = as_tensor(input)
    return x / _p_norm(x, p, dim, True).maximum(eps)


def cosine_similarity(x1, x2, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Σ (x1/max(‖x1‖, eps))·(x2/max(‖x2‖, eps)) along dim (x1, x2 broadcast): the cosine
    of the angle between the vectors, PyTorch's form (each normalised first)."""
    x1, x2 = as_tensor(x1), as_tensor(x2)
    unit1 = x1 / x1.norm(dim, True).maximum(eps)
    unit2 = x2 / x2.norm(dim, True).maximum(eps)
    return (unit1 * unit2).sum(dim)


def pairwise_distance(x1, x2, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """‖x1 − x2 + eps‖_p along the last axis (eps keeps the gradient finite at x1 = x2)."""
    x1 = as_tensor(x1)
    return _p_norm(x1 - x2 + eps, p, -1, keepdim)


# -- integer and shape helpers -----------------------------------------------------------


def one_hot(tensor, num_classes: int = -1) -> Tensor:
    """out[..., c] = 1 where tensor == c, else 0: an int64 tensor of shape tensor.shape +
    (num_classes,), num_classes = max + 1 by default. Integer data: no gradient."""
    return _ag.one_hot(tensor, num_classes)


_PAD_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "edge",
              "circular": "wrap"}  # PyTorch's names -> numpy's


def pad(input, pad, mode: str = "constant", value=None) -> Tensor:
    """input padded by `pad` = (left, right) for the last axis, then (left, right) of the
    one before, ... (PyTorch's order: from the last axis backwards). Negative amounts crop.
    mode "constant" fills with value (0), "reflect" mirrors without repeating the edge,
    "replicate" repeats the edge, "circular" wraps around. Each padded entry is a copy of
    one input entry (or the constant), so the gradient sums back to where it came from.
    autograd.pad (numpy's pad) does the padding; negative amounts are cropped afterwards,
    so "reflect" and "circular" mirror and wrap the whole input, as PyTorch does."""
    x = as_tensor(input)
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: mode must be one of {', '.join(_PAD_MODES)}, got {mode!r}")
    pad = tuple(pad)
    if len(pad) % 2 or len(pad) > 2 * x.ndim or \
            not all(isinstance(n, (int, np.integer)) for n in pad):
        raise ValueError(f"pad: pad must be an even number (at most {2 * x.ndim}) of ints, "
                         f"(left, right) pairs from the last axis backwards; got {pad!r}")
    if value is not None and mode != "constant":
        raise ValueError(f"pad: value is only used by mode='constant', got mode={mode!r}")
    widths, crop = [(0, 0)] * x.ndim, [slice(None)] * x.ndim
    for pair in range(len(pad) // 2):
        axis = x.ndim - 1 - pair
        left, right, n = int(pad[2 * pair]), int(pad[2 * pair + 1]), x.shape[axis]
        if mode != "constant" and max(left, right) > (n - 1 if mode == "reflect" else n):
            raise ValueError(f"pad: {mode} padding of ({left}, {right}) is too large for "
                             f"axis {axis} of size {n}")
        widths[axis] = (max(left, 0), max(right, 0))
        start = max(-left, 0)  # in the padded axis, which holds n + max(left, 0) + max(right, 0)
        crop[axis] = slice(start, max(start, n + max(left, 0) + right))
    out = _ag.pad(x, widths, _PAD_MODES[mode], 0.0 if value is None else value)
    return out[tuple(crop)] if min(pad, default=0) < 0 else out


# -- losses: PyTorch's positional order over nn.losses' implementations -------------------


def mse_loss(input, target, size_average=None, reduce=None, reduction: str = "mean",
             weight=None) -> Tensor:
    _legacy(size_average, reduce, "mse_loss")
    return _losses.mse_loss(input, target, reduction, weight)


def l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean",
            weight=None) -> Tensor:
    _legacy(size_average, reduce, "l1_loss")
    return _losses.l1_loss(input, target, reduction, weight)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    _legacy(size_average, reduce, "smooth_l1_loss")
    return _losses.smooth_l1_loss(input, target, reduction, beta)


def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0,
               weight=None) -> Tensor:
    return _losses.huber_loss(input, target, reduction, delta, weight)


def kl_div(input, target, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    _legacy(size_average, reduce, "kl_div")
    return _losses.kl_div(input, target, reduction, log_target)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index: int = -100,
                  reduce=None, reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    _legacy(size_average, reduce, "cross_entropy")
    return _losses.cross_entropy(input, target, reduction, label_smoothing, None, weight,
                                 ignore_index)


def nll_loss(input, target, weight=None, size_average=None, ignore_index: int = -100,
             reduce=None, reduction: str = "mean") -> Tensor:
    _legacy(size_average, reduce, "nll_loss")
    return _losses.nll_loss(input, target, reduction, None, weight, ignore_index)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction: str = "mean") -> Tensor:
    _legacy(size_average, reduce, "binary_cross_entropy")
    return _losses.binary_cross_entropy(input, target, reduction, weight)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None,
                                     reduce=None, reduction: str = "mean",
                                     pos_weight=None) -> Tensor:
    _legacy(size_average, reduce, "binary_cross_entropy_with_logits")
    return _losses.binary_cross_entropy_with_logits(input, target, reduction, weight,
                                                    pos_weight)


for _f in (mse_loss, l1_loss, smooth_l1_loss, huber_loss, kl_div, cross_entropy, nll_loss,
           binary_cross_entropy, binary_cross_entropy_with_logits):
    _f.__doc__ = getattr(_losses, _f.__name__).__doc__
del _f


# conv (issue 16): convolution, pooling and resampling, defined in nn.conv
from .conv import (  # noqa: E402
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    avg_pool1d,
    avg_pool2d,
    conv1d,
    conv2d,
    conv_transpose1d,
    conv_transpose2d,
    interpolate,
    max_pool1d,
    max_pool2d,
)

__all__ += ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "max_pool1d",
            "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d",
            "adaptive_avg_pool2d", "interpolate"]
# norm (issue 16): normalisation and embedding
from .normalization import batch_norm, group_norm, layer_norm  # noqa: E402
from .sparse import embedding  # noqa: E402

__all__ += ["layer_norm", "batch_norm", "group_norm", "embedding"]


# -- attn (issue 16): attention ----------------------------------------------------------

from .attention import scaled_dot_product_attention  # noqa: E402

__all__ += ["scaled_dot_product_attention"]
