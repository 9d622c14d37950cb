"""Weight initialisers, PyTorch's names and formulas, each filling a tensor in place.

Fan-in and fan-out come from the weight's shape: a Linear weight (out_features,
in_features) has fan_in = in_features and fan_out = out_features; a weight with more
axes (out, in, k1, k2, ...) multiplies both by the receptive field k1·k2·...

Every initialiser takes `generator`: a numpy Generator (used as is, so its state
advances), an int seed (a fresh Generator from it), or None for tracegrad's default
generator, which `nn.manual_seed(s)` (or `autograd.manual_seed(s)`) reseeds, so a whole
run is reproducible. Values are drawn in float64 and cast to the tensor's dtype.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

import autograd
from autograd import Tensor, no_grad

__all__ = [
    "calculate_gain", "fan_in_and_fan_out", "get_generator", "manual_seed",
    "uniform_", "normal_", "zeros_", "ones_", "constant_",
    "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
]


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the default generator behind randn, rand, every initialiser and Dropout;
    returns it. The same seed then gives the same initial weights, masks and samples."""
    return autograd.manual_seed(seed)


def get_generator(generator=None, where="init") -> np.random.Generator:
    """`generator` as a numpy Generator: itself, a new one from an int seed, or (None)
    the default generator that manual_seed() controls."""
    if generator is None:
        return autograd.default_generator()
    if isinstance(generator, np.random.Generator):
        return generator
    if isinstance(generator, numbers.Integral) and not isinstance(generator, bool):
        return np.random.default_rng(int(generator))
    raise TypeError(f"{where}: generator must be None, an int seed or a "
                    f"numpy.random.Generator, got {generator!r}")


def calculate_gain(nonlinearity: str = "linear", param=None) -> float:
    """The factor that keeps activations' variance steady through a layer followed by
    `nonlinearity`: linear, identity and sigmoid 1, tanh 5/3, relu √2,
    leaky_relu √(2 / (1 + slope²)) (slope = param, default 0.01), selu 3/4.
    """
    gains = {"linear": 1.0, "identity": 1.0, "sigmoid": 1.0, "sign": 1.0,
             "tanh": 5.0 / 3.0, "relu": math.sqrt(2.0), "selu": 0.75}
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, numbers.Real):
            raise ValueError(f"calculate_gain: negative slope {slope!r} is not a number")
        return math.sqrt(2.0 / (1.0 + slope**2))
    if nonlinearity not in gains:
        names = ", ".join(sorted(gains) + ["leaky_relu"])
        raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; "
                         f"choose one of {names}")
    return gains[nonlinearity]


def fan_in_and_fan_out(shape) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of this shape (output index first): for (out, in)
    that is (in, out); extra trailing axes multiply both (a convolution's kernel)."""
    shape = tuple(shape.shape if isinstance(shape, (Tensor, np.ndarray)) else shape)
    if len(shape) < 2:
        raise ValueError(f"fan_in_and_fan_out: needs a weight with at least 2 axes "
                         f"(out_features, in_features), got shape {shape}")
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


def _fill(tensor, values, where):
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{where}: expects a Tensor or Parameter, got {type(tensor).__name__}")
    with no_grad():
        tensor[...] = np.asarray(values).astype(tensor.dtype, copy=False)
    return tensor


def uniform_(tensor, a: float = 0.0, b: float = 1.0, generator=None):
    """Fill with samples of U(a, b)."""
    if not a <= b:
        raise ValueError(f"uniform_: needs a <= b, got a={a}, b={b}")
    rng = get_generator(generator, "uniform_")
    return _fill(tensor, rng.uniform(a, b, tensor.shape), "uniform_")


def normal_(tensor, mean: float = 0.0, std: float = 1.0, generator=None):
    """Fill with samples of N(mean, std²)."""
    if std < 0:
        raise ValueError(f"normal_: std must be >= 0, got {std}")
    rng = get_generator(generator, "normal_")
    return _fill(tensor, rng.normal(mean, std, tensor.shape), "normal_")


def constant_(tensor, value: float):
    """Fill with one value."""
    return _fill(tensor, np.full(tensor.shape, value), "constant_")


def zeros_(tensor):
    return constant_(tensor, 0.0)


def ones_(tensor):
    return constant_(tensor, 1.0)


def xavier_uniform_(tensor, gain: float = 1.0, generator=None):
    """Glorot & Bengio (2010): U(−a, a) with a = gain · √(6 / (fan_in + fan_out)),
    i.e. variance gain² · 2 / (fan_in + fan_out)."""
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor, gain: float = 1.0, generator=None):
    """Glorot & Bengio (2010): N(0, σ²) with σ = gain · √(2 / (fan_in + fan_out))."""
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def _kaiming_std(tensor, a, mode, nonlinearity, where):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{where}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", generator=None):
    """He et al. (2015): U(−b, b) with b = gain · √(3 / fan), fan = fan_in (keeps the
    forward variance) or fan_out (the backward one); `a` is leaky_relu's slope."""
    std = _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_uniform_")
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", generator=None):
    """He et al. (2015): N(0, σ²) with σ = gain / √fan."""
    std = _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_normal_")
    return normal_(tensor, 0.0, std, generator)
