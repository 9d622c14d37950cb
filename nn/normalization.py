"""Normalisation layers: LayerNorm, BatchNorm1d, BatchNorm2d, GroupNorm, and their
functional forms layer_norm, batch_norm, group_norm (PyTorch's names, arguments,
defaults, state-dict keys and reprs).

Each standardises its input, x̂ = (x − μ)/√(σ² + ε), then scales and shifts it with a
learned weight and bias, as one operator node (autograd/ops/normalization.py):

    layer_norm   μ, σ² over the last axes of each sample (transformers)
    batch_norm   μ, σ² per channel over the batch; in eval mode the running estimates
                 kept in the buffers running_mean and running_var (CNNs)
    group_norm   μ, σ² per sample over groups of channels (small batches)
"""

from __future__ import annotations

import numbers

import numpy as np

from autograd import Tensor, no_grad
from autograd.ops.normalization import BatchNorm as BatchNormOp
from autograd.ops.normalization import GroupNorm as GroupNormOp
from autograd.ops.normalization import LayerNorm as LayerNormOp

from . import init
from .activations import as_tensor
from .module import Module, Parameter

__all__ = ["layer_norm", "batch_norm", "group_norm", "LayerNorm", "BatchNorm1d",
           "BatchNorm2d", "GroupNorm"]


def _affine(where, x, weight, bias, shape):
    """(inputs after x, their names) for the operator, after checking that a given weight
    and bias have `shape`."""
    inputs, names = [], []
    for name, value in (("weight", weight), ("bias", bias)):
        if value is None:
            continue
        value = as_tensor(value)
        if value.shape != shape:
            raise ValueError(f"{where}: {name} has shape {value.shape}, expected {shape} for an "
                             f"input of shape {x.shape}")
        inputs.append(value)
        names.append(name)
    return inputs, tuple(names)


def _eps(eps, where) -> float:
    if not isinstance(eps, numbers.Real) or not eps >= 0:
        raise ValueError(f"{where}: eps must be a number >= 0, got {eps!r}")
    return float(eps)


def _shape_tuple(normalized_shape, where) -> tuple:
    shape = ((normalized_shape,) if isinstance(normalized_shape, (int, np.integer))
             else tuple(normalized_shape))
    if not shape or not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool)
                            and n >= 1 for n in shape):
        raise ValueError(f"{where}: normalized_shape must be a positive int or a non-empty "
                         f"tuple of them, got {normalized_shape!r}")
    return tuple(int(n) for n in shape)


# -- layer norm ---------------------------------------------------------------------------


def layer_norm(input, normalized_shape, weight=None, bias=None, eps: float = 1e-5) -> Tensor:
    """(x − μ)/√(σ² + eps)·weight + bias with μ, σ² (biased) over the last
    len(normalized_shape) axes of input, whose sizes must be normalized_shape; weight and
    bias (optional) have that shape."""
    x = as_tensor(input)
    shape = _shape_tuple(normalized_shape, "layer_norm")
    if x.shape[x.ndim - len(shape):] != shape or x.ndim < len(shape):
        raise ValueError(f"layer_norm: normalized_shape={shape} expects an input of shape "
                         f"(*, {', '.join(map(str, shape))}), got an input of shape {x.shape}")
    inputs, affine = _affine("layer_norm", x, weight, bias, shape)
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    return LayerNormOp.apply(x, *inputs, axes=axes, eps=_eps(eps, "layer_norm"), affine=affine)


class LayerNorm(Module):
    """Layer normalisation (Ba et al. 2016): each sample standardised over its last axes
    (of sizes normalized_shape), then y = x̂·weight + bias elementwise.

    weight starts at ones and bias at zeros, both of shape normalized_shape
    (elementwise_affine=False: neither; bias=False: no bias). The statistics come from the
    sample itself, so training and evaluation compute the same thing.
    """

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, dtype=np.float64):
        super().__init__()
        self.normalized_shape = _shape_tuple(normalized_shape, "LayerNorm")
        self.eps = _eps(eps, "LayerNorm")
        self.elementwise_affine = bool(elementwise_affine)
        self.weight = self.bias = None
        if self.elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype=dtype))
            if bias:
                self.bias = Parameter(np.zeros(self.normalized_shape, dtype=dtype))

    def forward(self, input):
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


# -- batch norm ---------------------------------------------------------------------------


def _per_channel_input(x, where):
    if x.ndim < 2:
        raise ValueError(f"{where}: expected an input of shape (N, C, *) with at least 2 "
                         f"axes, got shape {x.shape}")
    return x.shape[1]


def batch_norm(input, running_mean, running_var, weight=None, bias=None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """(x − μ_c)/√(σ²_c + eps)·weight_c + bias_c for an input (N, C, *), per channel c.

    training=True: μ, σ² are the batch's mean and biased variance over every axis but 1,
    and the running estimates (when given, as Tensors of shape (C,)) are updated in place:
    running ← (1 − momentum)·running + momentum·batch, with the unbiased variance for
    running_var (PyTorch's rule). training=False: the running estimates normalise.
    """
    x = as_tensor(input)
    channels = _per_channel_input(x, "batch_norm")
    running = [r for r in (running_mean, running_var) if r is not None]
    if len(running) == 1:
        raise ValueError("batch_norm: pass both running_mean and running_var, or neither")
    for name, value in zip(("running_mean", "running_var"), running):
        if not isinstance(value, Tensor) or value.shape != (channels,):
            raise ValueError(f"batch_norm: {name} must be a Tensor of shape ({channels},) for an "
                             f"input of shape {x.shape}, got "
                             f"{getattr(value, 'shape', type(value).__name__)}")
    inputs, affine = _affine("batch_norm", x, weight, bias, (channels,))
    eps = _eps(eps, "batch_norm")
    if not training:
        if not running:
            raise ValueError("batch_norm: training=False normalises with running_mean and "
                             "running_var; pass them, or training=True for batch statistics")
        return BatchNormOp.apply(x, *running, *inputs, eps=eps, affine=affine, running=True)
    count = x.size // channels if channels else 0
    if count <= 1:
        raise ValueError(f"batch_norm: expected more than 1 value per channel when training, "
                         f"got an input of shape {x.shape}; use a larger batch, or eval mode")
    if running and (momentum is None or not isinstance(momentum, numbers.Real)):
        raise TypeError(f"batch_norm: momentum must be a number, got {momentum!r} (the "
                        "modules turn momentum=None into 1/num_batches_tracked)")
    out = BatchNormOp.apply(x, *inputs, eps=eps, affine=affine, running=False)
    if running:
        _update_running(x.data, running_mean, running_var, float(momentum), count)
    return out


def _update_running(data, running_mean, running_var, momentum, count):
    """running ← (1 − momentum)·running + momentum·(batch mean, unbiased batch variance)."""
    axes = (0,) + tuple(range(2, data.ndim))
    mean = data.mean(axis=axes)
    var = data.var(axis=axes) * (count / (count - 1))
    with no_grad():
        running_mean[...] = (1 - momentum) * running_mean.data + momentum * mean
        running_var[...] = (1 - momentum) * running_var.data + momentum * var


class _BatchNorm(Module):
    """Batch normalisation (Ioffe & Szegedy 2015) over the channel axis 1.

    Training: each channel standardised with the batch's mean and variance, and the
    running estimates updated (momentum, or with momentum=None the cumulative average
    over the num_batches_tracked batches seen). Evaluation: standardised with the running
    estimates, so a sample's output no longer depends on its batch. Then
    y = x̂·weight + bias, weight starting at ones and bias at zeros (affine=False: neither;
    bias=False: no bias).
    The buffers running_mean (zeros), running_var (ones) and num_batches_tracked (int64)
    are in the state dict; track_running_stats=False keeps none and always uses batch
    statistics.
    """

    dims: tuple = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, dtype=np.float64,
                 bias: bool = True):
        super().__init__()
        name = type(self).__name__
        if isinstance(num_features, bool) or not isinstance(num_features, (int, np.integer)) \
                or num_features < 1:
            raise ValueError(f"{name}: num_features must be a positive int, got "
                             f"{num_features!r}")
        if momentum is not None and (not isinstance(momentum, numbers.Real)
                                     or not 0 <= momentum <= 1):
            raise ValueError(f"{name}: momentum must be a number in [0, 1] or None (the "
                             f"cumulative average), got {momentum!r}")
        self.num_features = int(num_features)
        self.eps = _eps(eps, name)
        self.momentum = momentum
        self.affine = bool(affine)
        self.track_running_stats = bool(track_running_stats)
        self.weight = self.bias = None
        if self.affine:
            self.weight = Parameter(np.ones(self.num_features, dtype=dtype))
            if bias:
                self.bias = Parameter(np.zeros(self.num_features, dtype=dtype))
        if self.track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(self.num_features, dtype)))
            self.register_buffer("running_var", Tensor(np.ones(self.num_features, dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            for buffer in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(buffer, None)

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batches tracked."""
        if self.track_running_stats:
            with no_grad():
                self.running_mean[...] = 0
                self.running_var[...] = 1
                self.num_batches_tracked[...] = 0

    def reset_parameters(self) -> None:
        """Running statistics reset, weight ones, bias zeros (the initial state)."""
        self.reset_running_stats()
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input):
        x = as_tensor(input)
        if x.ndim not in self.dims:
            wanted = " or ".join(f"{d}D" for d in self.dims)
            raise ValueError(f"{type(self).__name__}: expected {wanted} input, got an input of "
                             f"shape {x.shape}")
        if x.shape[1] != self.num_features:
            raise ValueError(f"{type(self).__name__}({self.num_features}): input has shape "
                             f"{x.shape}, expected {self.num_features} channels on axis 1")
        track = self.training and self.track_running_stats
        momentum = self.momentum
        if track:
            count = x.size // self.num_features
            if count <= 1:  # refused before num_batches_tracked counts the batch
                raise ValueError(f"{type(self).__name__}: expected more than 1 value per "
                                 f"channel when training, got an input of shape {x.shape}; "
                                 "use a larger batch, or eval mode")
            with no_grad():
                self.num_batches_tracked += 1
            if momentum is None:
                momentum = 1.0 / float(self.num_batches_tracked.data)
        use_batch = self.training or self.running_mean is None
        keep = not self.training or self.track_running_stats
        return batch_norm(x, self.running_mean if keep else None,
                          self.running_var if keep else None, self.weight, self.bias,
                          use_batch, momentum, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    __doc__ = _BatchNorm.__doc__.replace("over the channel axis 1.", "of (N, C) or (N, C, L) "
                                         "inputs, per channel C.", 1)
    dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    __doc__ = _BatchNorm.__doc__.replace("over the channel axis 1.", "of (N, C, H, W) "
                                         "inputs, per channel C.", 1)
    dims = (4,)


# -- group norm ---------------------------------------------------------------------------


def group_norm(input, num_groups: int, weight=None, bias=None, eps: float = 1e-5) -> Tensor:
    """(x − μ)/√(σ² + eps)·weight_c + bias_c for an input (N, C, *) whose C channels form
    num_groups groups; μ, σ² (biased) per sample and group, over its channels and
    positions. weight and bias (optional) have shape (C,)."""
    x = as_tensor(input)
    channels = _per_channel_input(x, "group_norm")
    if isinstance(num_groups, bool) or not isinstance(num_groups, (int, np.integer)) or \
            num_groups < 1 or channels % num_groups:
        raise ValueError(f"group_norm: num_groups={num_groups!r} must be a positive int that "
                         f"divides the {channels} channels of an input of shape {x.shape}")
    inputs, affine = _affine("group_norm", x, weight, bias, (channels,))
    return GroupNormOp.apply(x, *inputs, groups=int(num_groups), eps=_eps(eps, "group_norm"),
                             affine=affine)


class GroupNorm(Module):
    """Group normalisation (Wu & He 2018): the num_channels channels split into
    num_groups groups, each sample's group standardised over its channels and positions,
    then y = x̂·weight + bias per channel (ones and zeros to start; affine=False: neither;
    bias=False: no bias).
    Independent of the batch, so it trains the same with batches of 1."""

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, dtype=np.float64, bias: bool = True):
        super().__init__()
        for name, value in (("num_groups", num_groups), ("num_channels", num_channels)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"GroupNorm: {name} must be a positive int, got {value!r}")
        if num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels must be divisible by num_groups, got "
                             f"{num_channels} channels and {num_groups} groups")
        self.num_groups, self.num_channels = int(num_groups), int(num_channels)
        self.eps = _eps(eps, "GroupNorm")
        self.affine = bool(affine)
        self.weight = self.bias = None
        if self.affine:
            self.weight = Parameter(np.ones(self.num_channels, dtype=dtype))
            if bias:
                self.bias = Parameter(np.zeros(self.num_channels, dtype=dtype))

    def forward(self, input):
        return group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")
