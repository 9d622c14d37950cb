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
from autograd import where as _where

from .module import Module

__all__ = [
    "relu", "sigmoid", "tanh", "softmax", "log_softmax", "sign", "leaky_relu", "gelu", "erf",
    "ReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Sign", "LeakyReLU", "GELU",
    "Identity", "get_activation",
    "elu", "selu", "celu", "silu", "mish", "softplus", "softsign", "hardtanh", "relu6",
    "hardsigmoid", "hardswish", "logsigmoid", "softmin",
    "ELU", "SELU", "CELU", "SiLU", "Mish", "Softplus", "Softsign", "Hardtanh", "ReLU6",
    "Hardsigmoid", "Hardswish", "LogSigmoid", "Softmin",
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

    @staticmethod
    def onnx(node, g):
        """LeakyRelu"""
        return g.op("LeakyRelu", g.input(0), alpha=float(g.params["negative_slope"]))


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

    @staticmethod
    def onnx(node, g):
        """Erf"""
        return g.op("Erf", g.input(0))


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

    def __init__(self, inplace: bool = False):
        super().__init__()
        _refuse_inplace(inplace, "ReLU")

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

    def __init__(self, axis: int = -1, *, dim=None):
        super().__init__()
        self.axis = axis if dim is None else dim  # dim=: PyTorch's name

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

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        super().__init__()
        _refuse_inplace(inplace, "LeakyReLU")
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


# -- the rest of torch.nn.functional's activations, each composed from engine operators
# (so second derivatives come for free); PyTorch's argument names and defaults.

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _clip_max(x, value):
    """min(x, value) elementwise; the exponential below sees only x ≤ 0, so it never
    overflows (e^1000 = inf would turn the unused branch's gradient into nan)."""
    return x.minimum(value)


def elu(input, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, alpha·(eˣ − 1) otherwise (expm1: exact for small |x|)."""
    input = _not_inplace(input, inplace, "elu")
    return input.relu() + alpha * _clip_max(input, 0.0).expm1()


def selu(input, inplace: bool = False) -> Tensor:
    """scale·elu(x, alpha) with PyTorch's constants (scale ≈ 1.0507, alpha ≈ 1.6733), which
    keep activations at mean 0 and variance 1 through deep networks."""
    return SELU_SCALE * elu(_not_inplace(input, inplace, "selu"), SELU_ALPHA)


def celu(input, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, alpha·(e^(x/alpha) − 1))."""
    input = _not_inplace(input, inplace, "celu")
    if alpha == 0:
        raise ValueError("celu: alpha must not be 0 (it divides input)")
    return input.relu() + alpha * (_clip_max(input, 0.0) * (1 / alpha)).expm1()


def silu(input, inplace: bool = False) -> Tensor:
    """x·σ(x) (also called swish)."""
    input = _not_inplace(input, inplace, "silu")
    return input * input.sigmoid()


def mish(input, inplace: bool = False) -> Tensor:
    """x·tanh(softplus(x))."""
    input = _not_inplace(input, inplace, "mish")
    return input * input.softplus().tanh()


def softplus(input, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """(1/beta)·log(1 + e^(beta·x)), computed without overflow; x itself where beta·x >
    threshold (PyTorch's switch to the linear function, exact there to float precision)."""
    input = as_tensor(input)
    if beta == 0:
        raise ValueError("softplus: beta must not be 0 (it divides the result)")
    smooth = (input * beta).softplus() * (1 / beta) if beta != 1 else input.softplus()
    linear = input.data * beta > threshold
    return _where(linear, input, smooth) if linear.any() else smooth


def softsign(input) -> Tensor:
    """x / (1 + |x|)."""
    input = as_tensor(input)
    return input / (1 + input.abs())


def hardtanh(input, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """x clipped to [min_val, max_val]; gradient 1 inside, 0 outside."""
    input = _not_inplace(input, inplace, "hardtanh")
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val {min_val} must not exceed max_val {max_val}")
    return input.clip(min_val, max_val)


def relu6(input, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6)."""
    return hardtanh(_not_inplace(input, inplace, "relu6"), 0.0, 6.0)


def hardsigmoid(input, inplace: bool = False) -> Tensor:
    """relu6(x + 3)/6: 0 below −3, 1 above 3, a straight line between."""
    input = _not_inplace(input, inplace, "hardsigmoid")
    return (input * (1 / 6) + 0.5).clip(0.0, 1.0)


def hardswish(input, inplace: bool = False) -> Tensor:
    """x·hardsigmoid(x)."""
    input = _not_inplace(input, inplace, "hardswish")
    return input * hardsigmoid(input)


def logsigmoid(input) -> Tensor:
    """log σ(x) = −softplus(−x), finite for any x."""
    return as_tensor(input).log_sigmoid()


def softmin(input, axis: int = -1) -> Tensor:
    """softmax(−x) along `axis`: the smallest entries get the most weight."""
    return softmax(-as_tensor(input), axis)


def _refuse_inplace(inplace, where):
    """tracegrad's activations return new tensors (an in-place update would overwrite a
    value the backward pass needs), so inplace=True is refused rather than ignored."""
    if inplace:
        raise ValueError(f"{where}: inplace=True is not supported (tracegrad's operators "
                         "return new tensors); drop the argument")


def _not_inplace(x, inplace, where):
    """x as a Tensor, after refusing inplace=True."""
    _refuse_inplace(inplace, where)
    return as_tensor(x)


class _Activation(Module):
    """A module calling `function` with the constructor's keyword arguments."""

    function = None
    defaults: dict = {}

    def __init__(self, *args, **kwargs):
        super().__init__()
        names = list(self.defaults)
        if len(args) > len(names):
            raise TypeError(f"{type(self).__name__} takes at most {len(names)} positional "
                            f"arguments ({', '.join(names) or 'none'}), got {len(args)}")
        unknown = set(kwargs) - set(names)
        if unknown:
            raise TypeError(f"{type(self).__name__}: unexpected argument(s) "
                            f"{', '.join(sorted(unknown))}; it takes {', '.join(names)}")
        values = dict(self.defaults, **dict(zip(names, args)), **kwargs)
        if values.get("inplace"):
            _refuse_inplace(True, type(self).__name__)
        self.options = {k: v for k, v in values.items() if k != "inplace"}
        for key, value in self.options.items():
            setattr(self, key, value)

    def forward(self, x):
        return type(self).function(x, **self.options)

    def extra_repr(self):
        return ", ".join(f"{k}={v!r}" for k, v in self.options.items()
                         if v != self.defaults[k])


def _module(name, function, **defaults):
    return type(name, (_Activation,), {"__doc__": function.__doc__,
                                       "function": staticmethod(function),
                                       "defaults": defaults, "__module__": __name__})


ELU = _module("ELU", elu, alpha=1.0, inplace=False)
SELU = _module("SELU", selu, inplace=False)
CELU = _module("CELU", celu, alpha=1.0, inplace=False)
SiLU = _module("SiLU", silu, inplace=False)
Mish = _module("Mish", mish, inplace=False)
Softplus = _module("Softplus", softplus, beta=1.0, threshold=20.0)
Softsign = _module("Softsign", softsign)
Hardtanh = _module("Hardtanh", hardtanh, min_val=-1.0, max_val=1.0, inplace=False)
ReLU6 = _module("ReLU6", relu6, inplace=False)
Hardsigmoid = _module("Hardsigmoid", hardsigmoid, inplace=False)
Hardswish = _module("Hardswish", hardswish, inplace=False)
LogSigmoid = _module("LogSigmoid", logsigmoid)


class Softmin(Module):
    __doc__ = softmin.__doc__

    def __init__(self, axis: int = -1, *, dim=None):
        super().__init__()
        self.axis = axis if dim is None else dim

    def forward(self, x):
        return softmin(x, self.axis)

    def extra_repr(self):
        return f"axis={self.axis}"


_BY_NAME = {
    "relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh, "sign": Sign, "softmax": Softmax,
    "log_softmax": LogSoftmax, "leaky_relu": LeakyReLU, "gelu": GELU,
    "identity": Identity, "linear": Identity,
    "elu": ELU, "selu": SELU, "celu": CELU, "silu": SiLU, "mish": Mish, "softplus": Softplus,
    "softsign": Softsign, "hardtanh": Hardtanh, "relu6": ReLU6, "hardsigmoid": Hardsigmoid,
    "hardswish": Hardswish, "logsigmoid": LogSigmoid, "softmin": Softmin,
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
