"""Elementwise functions: exp, log, sqrt, sin, cos, abs, tanh, sigmoid, relu, softplus,
sign, clip, maximum, minimum, where.

Conventions at kinks (PyTorch's): relu'(0) = 0, abs'(0) = sign(0) = 0, clip passes the
gradient through at its bounds, and maximum/minimum split it evenly between ties.
"""

from __future__ import annotations

import numpy as np

from ..engine import Operator


def out_dtype(x, y):
    return np.result_type(x, y)


class Exp(Operator):
    """out = eˣ;  ∂out/∂x = eˣ = out (saved, so backward needs no exp).

    Overflows to inf above x ≈ 709.78 in float64 and 88.72 in float32, with numpy's warning.
    """

    name = "exp"

    @staticmethod
    def forward(ctx, x):
        out = ctx.xp.exp(x)
        ctx.save(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (out,) = ctx.saved
        return grad_out * out


class Log(Operator):
    """out = ln x (x > 0);  ∂out/∂x = 1/x.  ln 0 = −inf, ln of a negative number = nan.

    The gradient at 0 is inf (numpy warned in the forward; backward does not warn again).
    """

    name = "log"

    @staticmethod
    def forward(ctx, x):
        ctx.save(x)
        return ctx.xp.log(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        if type(x) is float:  # Scalar: float division raises, it does not warn
            return grad_out / x
        with np.errstate(divide="ignore", invalid="ignore"):
            return grad_out / x


class Sqrt(Operator):
    """out = √x (x ≥ 0);  ∂out/∂x = 1/(2√x) = 1/(2·out), which is inf at 0 (as in PyTorch)."""

    name = "sqrt"

    @staticmethod
    def forward(ctx, x):
        out = ctx.xp.sqrt(x)
        ctx.save(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (out,) = ctx.saved
        with np.errstate(divide="ignore", invalid="ignore"):  # inf at 0 is the answer
            return grad_out / (2 * out)


class Sin(Operator):
    """out = sin x;  ∂out/∂x = cos x."""

    name = "sin"

    @staticmethod
    def forward(ctx, x):
        ctx.save(x)
        return ctx.xp.sin(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return grad_out * ctx.xp.cos(x)


class Cos(Operator):
    """out = cos x;  ∂out/∂x = −sin x."""

    name = "cos"

    @staticmethod
    def forward(ctx, x):
        ctx.save(x)
        return ctx.xp.cos(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return -(grad_out * ctx.xp.sin(x))


class Abs(Operator):
    """out = |x|;  ∂out/∂x = sign(x), taken as 0 at x = 0."""

    name = "abs"

    @staticmethod
    def forward(ctx, x):
        ctx.save(x)
        return abs(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return grad_out * ctx.xp.sign(x)


class Tanh(Operator):
    """out = tanh x = (eˣ − e⁻ˣ)/(eˣ + e⁻ˣ);  ∂out/∂x = 1 − tanh²x = 1 − out².

    For |x| ≳ 20 out rounds to ±1 and the gradient to 0: the saturation behind
    vanishing gradients.
    """

    name = "tanh"

    @staticmethod
    def forward(ctx, x):
        out = ctx.xp.tanh(x)
        ctx.save(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (out,) = ctx.saved
        return grad_out * (1 - out * out)


class Sigmoid(Operator):
    """out = σ(x) = 1/(1 + e⁻ˣ);  ∂out/∂x = σ(x)(1 − σ(x)) = out·(1 − out).

    Computed from e^(−|x|), which never overflows: σ(±1000) is exactly 1 or 0, no warning.
    """

    name = "sigmoid"

    @staticmethod
    def forward(ctx, x):
        out = ctx.xp.sigmoid(x)
        ctx.save(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (out,) = ctx.saved
        return grad_out * out * (1 - out)


class Relu(Operator):
    """out = max(x, 0);  ∂out/∂x = 1 for x > 0, else 0 (0 at the kink, PyTorch's choice)."""

    name = "relu"

    @staticmethod
    def forward(ctx, x):
        ctx.save(x)
        return ctx.xp.relu(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return grad_out * (x > 0)


class Softplus(Operator):
    """out = ln(1 + eˣ), computed as logaddexp(x, 0) so it never overflows;
    ∂out/∂x = σ(x)."""

    name = "softplus"

    @staticmethod
    def forward(ctx, x):
        ctx.save(x)
        return ctx.xp.logaddexp(x, 0)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return grad_out * ctx.xp.sigmoid(x)


class Sign(Operator):
    """out = sign(x) ∈ {−1, 0, 1};  piecewise constant, so its gradient is 0 everywhere."""

    name = "sign"

    @staticmethod
    def forward(ctx, x):
        return ctx.xp.sign(x)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out * 0


class Clip(Operator):
    """out = min(max(x, low), high);  ∂out/∂x = 1 where low ≤ x ≤ high, else 0.

    At a bound the gradient passes through (PyTorch's clamp convention).
    """

    name = "clip"

    @classmethod
    def of(cls, x, min=None, max=None):  # noqa: A002 - numpy's names
        """x clipped to [min, max]; one bound may be None."""
        if min is None and max is None:
            raise ValueError("clip: give at least one of min and max")
        return cls.apply(x, low=min, high=max)

    @staticmethod
    def forward(ctx, x, low, high):
        inside = True
        if low is not None:
            inside = inside & (x >= low)
        if high is not None:
            inside = inside & (x <= high)
        ctx.save(inside)
        return ctx.xp.clip(x, low, high)

    @staticmethod
    def backward(ctx, grad_out):
        (inside,) = ctx.saved
        return grad_out * inside


class Maximum(Operator):
    """out = max(x, y) elementwise;  the gradient goes to the larger input, half to each on
    a tie."""

    name = "maximum"

    @staticmethod
    def forward(ctx, x, y):
        share_x = ((x > y) + 0.5 * (x == y)).astype(out_dtype(x, y), copy=False)
        ctx.save(share_x)
        return ctx.xp.maximum(x, y)

    @staticmethod
    def backward(ctx, grad_out):
        (share_x,) = ctx.saved
        return grad_out * share_x, grad_out * (1 - share_x)


class Minimum(Operator):
    """out = min(x, y) elementwise;  the gradient goes to the smaller input, half to each on
    a tie."""

    name = "minimum"

    @staticmethod
    def forward(ctx, x, y):
        share_x = ((x < y) + 0.5 * (x == y)).astype(out_dtype(x, y), copy=False)
        ctx.save(share_x)
        return ctx.xp.minimum(x, y)

    @staticmethod
    def backward(ctx, grad_out):
        (share_x,) = ctx.saved
        return grad_out * share_x, grad_out * (1 - share_x)


class Where(Operator):
    """out = x where condition else y;  grad_x = grad_out where condition else 0, and the
    rest to y.

    The where-trap: where(x > 0, log(x), 0) at x = 0 still has gradient nan, because log's
    backward computes grad·(1/0) = 0·inf. Guard the input instead: log(where(x > 0, x, 1)).
    """

    name = "where"

    @staticmethod
    def forward(ctx, x, y, condition):
        return ctx.xp.where(condition, x, y)

    @staticmethod
    def backward(ctx, grad_out):
        condition = ctx.params["condition"]
        xp = ctx.xp
        return xp.where(condition, grad_out, 0), xp.where(condition, 0, grad_out)
