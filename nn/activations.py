"""Activation functions, each as a function and as a Module.

    relu(x)        = max(x, 0)                       ReLU()
    sigmoid(x)     = 1 / (1 + e⁻ˣ)                    Sigmoid()
    tanh(x)                                          Tanh()
    softmax(x)     = eˣ / Σ eˣ along `axis`          Softmax(axis=-1)
    log_softmax(x) = x − log Σ eˣ along `axis`       LogSoftmax(axis=-1)
    sign(x)        ∈ {−1, 0, 1} (the perceptron's)   Sign()
    leaky_relu(x)  = x if x > 0 else slope·x         LeakyReLU(negative_slope=0.01)
    gelu(x)        = x·Φ(x)                          GELU(approximate="none")

Most are one engine operator (one node in a graph picture). leaky_relu is an operator
defined here; gelu is built from `erf`, an operator defined here too, so its second
derivative comes for free.
"""

from __future__ import annotations

import math

import numpy as np

from autograd import Operator, Tensor

from .module import Module

__all__ = [
    "relu", "sigmoid", "tanh", "softmax", "log_softmax", "sign", "leaky_relu", "gelu", "erf",
    "ReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Sign", "LeakyReLU", "GELU",
    "Identity", "get_activation",
]


def as_tensor(x) -> Tensor:
    """x itself if it is a Tensor, else Tensor(x) (a copy)."""
    return x if isinstance(x, Tensor) else Tensor(x)


class LeakyRelu(Operator):
    """out = x for x > 0, slope·x otherwise;  ∂out/∂x = 1 for x > 0, slope otherwise
    (slope at 0, PyTorch's convention). The derivative is saved as a constant array: it is
    piecewise constant, so the second derivative is 0."""

    name = "leaky_relu"

    @staticmethod
    def forward(ctx, x, negative_slope):
        scale = np.where(x > 0, 1, negative_slope).astype(x.dtype, copy=False)
        ctx.save(scale)
        return x * scale

    @staticmethod
    def backward(ctx, grad_out):
        (scale,) = ctx.saved
        return grad_out * scale


_erf = np.frompyfunc(math.erf, 1, 1)


class Erf(Operator):
    """out = erf(x) = (2/√π) ∫₀ˣ e^(−t²) dt;  ∂out/∂x = (2/√π) e^(−x²).

    numpy has no erf, so forward applies Python's math.erf elementwise (exact, slower
    than a ufunc). The backward uses exp only, so it is itself differentiable.
    """

    name = "erf"

    @staticmethod
    def forward(ctx, x):
        ctx.save(x)
        return np.asarray(_erf(x), dtype=x.dtype)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return grad_out * (2 / math.sqrt(math.pi)) * ctx.xp.exp(-(x * x))


def relu(x) -> Tensor:
    """max(x, 0); gradient 1 for x > 0 and 0 otherwise (0 at the kink)."""
    return as_tensor(x).relu()


def sigmoid(x) -> Tensor:
    """σ(x) = 1 / (1 + e⁻ˣ), computed without overflow; σ' = σ(1 − σ)."""
    return as_tensor(x).sigmoid()


def tanh(x) -> Tensor:
    """tanh(x); tanh' = 1 − tanh²."""
    return as_tensor(x).tanh()


def softmax(x, axis: int = -1) -> Tensor:
    """e^(x − max) / Σ e^(x − max) along `axis`: each slice sums to 1."""
    return as_tensor(x).softmax(axis)


def log_softmax(x, axis: int = -1) -> Tensor:
    """x − logsumexp(x) along `axis`; exact where log(softmax) would underflow."""
    return as_tensor(x).log_softmax(axis)


def sign(x) -> Tensor:
    """sign(x) ∈ {−1, 0, 1}; its gradient is 0 everywhere, which is why a network of
    perceptrons cannot be trained by backpropagation."""
    return as_tensor(x).sign()


def leaky_relu(x, negative_slope: float = 0.01) -> Tensor:
    """x for x > 0, negative_slope·x otherwise: a ReLU whose negative side still learns."""
    return LeakyRelu.apply(as_tensor(x), negative_slope=float(negative_slope))


def erf(x) -> Tensor:
    return Erf.apply(as_tensor(x))


erf.__doc__ = Erf.__doc__


def gelu(x, approximate: str = "none") -> Tensor:
    """x·Φ(x), Φ the standard normal CDF: 0.5·x·(1 + erf(x/√2)) (approximate="none"), or
    0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) (approximate="tanh"), PyTorch's two forms."""
    x = as_tensor(x)
    if approximate == "none":
        return 0.5 * x * (1 + erf(x * (1 / math.sqrt(2))))
    if approximate == "tanh":
        inner = math.sqrt(2 / math.pi) * (x + 0.044715 * x * x * x)
        return 0.5 * x * (1 + inner.tanh())
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


class Identity(Module):
    """Returns its input unchanged (a placeholder where an activation may go)."""

    def forward(self, x):
        return x


class ReLU(Module):
    __doc__ = relu.__doc__

    def forward(self, x):
        return relu(x)


class Sigmoid(Module):
    __doc__ = sigmoid.__doc__

    def forward(self, x):
        return sigmoid(x)


class Tanh(Module):
    __doc__ = tanh.__doc__

    def forward(self, x):
        return tanh(x)


class Sign(Module):
    __doc__ = sign.__doc__

    def forward(self, x):
        return sign(x)


class Softmax(Module):
    __doc__ = softmax.__doc__

    def __init__(self, axis: int = -1):
        super().__init__()
        self.axis = axis

    def forward(self, x):
        return softmax(x, self.axis)

    def extra_repr(self):
        return f"axis={self.axis}"


class LogSoftmax(Softmax):
    __doc__ = log_softmax.__doc__

    def forward(self, x):
        return log_softmax(x, self.axis)


class LeakyReLU(Module):
    __doc__ = leaky_relu.__doc__

    def __init__(self, negative_slope: float = 0.01):
        super().__init__()
        self.negative_slope = float(negative_slope)

    def forward(self, x):
        return leaky_relu(x, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class GELU(Module):
    __doc__ = gelu.__doc__

    def __init__(self, approximate: str = "none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x):
        return gelu(x, self.approximate)

    def extra_repr(self):
        return "" if self.approximate == "none" else f"approximate={self.approximate!r}"


_BY_NAME = {
    "relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh, "sign": Sign, "softmax": Softmax,
    "log_softmax": LogSoftmax, "leaky_relu": LeakyReLU, "gelu": GELU,
    "identity": Identity, "linear": Identity,
}


def get_activation(activation, where: str = "activation") -> Module:
    """A fresh activation Module from a name ("relu", "tanh", ...), a Module class, or a
    Module instance (returned as is); None gives Identity."""
    if activation is None:
        return Identity()
    if isinstance(activation, Module):
        return activation
    if isinstance(activation, type) and issubclass(activation, Module):
        return activation()
    if isinstance(activation, str) and activation.lower() in _BY_NAME:
        return _BY_NAME[activation.lower()]()
    raise ValueError(f"{where}: unknown activation {activation!r}; use one of "
                     f"{', '.join(sorted(_BY_NAME))}, a Module class or a Module")
