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
        return grad_out / x  # Scalar: float division by 0 raises ZeroDivisionError


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


# -- surface-math (issue 15, item 1) -----------------------------------------------------
# Each is one operator, not a composition: one node in pictures under its numpy name, and
# one engine call per use (the speed bar: within 1.2x of exp per call). Backward formulas
# use operators and ctx.xp, so every one has a second derivative.

LN2 = float(np.log(2.0))
LN10 = float(np.log(10.0))


class Tan(Operator):
    """out = tan x;  ∂out/∂x = 1 + tan²x = 1 + out²."""

    name = "tan"

    @staticmethod
    def forward(ctx, x):
        out = ctx.xp.tan(x)
        ctx.save(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (out,) = ctx.saved
        return grad_out * (1 + out * out)


class Arcsin(Operator):
    """out = arcsin x (|x| ≤ 1);  ∂out/∂x = 1/√(1 − x²), inf at ±1 (as in PyTorch)."""

    name = "arcsin"

    @staticmethod
    def forward(ctx, x):
        ctx.save(x)
        return ctx.xp.arcsin(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return grad_out / ctx.xp.sqrt(1 - x * x)


class Arccos(Operator):
    """out = arccos x (|x| ≤ 1);  ∂out/∂x = −1/√(1 − x²), −inf at ±1."""

    name = "arccos"

    @staticmethod
    def forward(ctx, x):
        ctx.save(x)
        return ctx.xp.arccos(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return -(grad_out / ctx.xp.sqrt(1 - x * x))


class Arctan(Operator):
    """out = arctan x;  ∂out/∂x = 1/(1 + x²)."""

    name = "arctan"

    @staticmethod
    def forward(ctx, x):
        ctx.save(x)
        return ctx.xp.arctan(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return grad_out / (1 + x * x)


class Arctan2(Operator):
    """out = arctan2(y, x), the angle of the point (x, y) in (−π, π];
    ∂out/∂y = x/(x² + y²), ∂out/∂x = −y/(x² + y²); nan at the origin (as in PyTorch)."""

    name = "arctan2"

    @staticmethod
    def forward(ctx, y, x):
        ctx.save(y, x)
        return ctx.xp.arctan2(y, x)

    @staticmethod
    def backward(ctx, grad_out):
        y, x = ctx.saved
        y_in, x_in = ctx.inputs  # a constant input (requires_grad False) gets no product
        scale = grad_out / (x * x + y * y)
        return (scale * x if y_in.requires_grad else None,
                -(scale * y) if x_in.requires_grad else None)


class Sinh(Operator):
    """out = sinh x = (eˣ − e⁻ˣ)/2;  ∂out/∂x = cosh x."""

    name = "sinh"

    @staticmethod
    def forward(ctx, x):
        ctx.save(x)
        return ctx.xp.sinh(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return grad_out * ctx.xp.cosh(x)


class Cosh(Operator):
    """out = cosh x = (eˣ + e⁻ˣ)/2;  ∂out/∂x = sinh x."""

    name = "cosh"

    @staticmethod
    def forward(ctx, x):
        ctx.save(x)
        return ctx.xp.cosh(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return grad_out * ctx.xp.sinh(x)


class Arcsinh(Operator):
    """out = arcsinh x = ln(x + √(x² + 1));  ∂out/∂x = 1/√(x² + 1)."""

    name = "arcsinh"

    @staticmethod
    def forward(ctx, x):
        ctx.save(x)
        return ctx.xp.arcsinh(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return grad_out / ctx.xp.sqrt(x * x + 1)


class Arccosh(Operator):
    """out = arccosh x (x ≥ 1);  ∂out/∂x = 1/√(x² − 1) = 1/sinh(out), inf at 1.

    sinh of the saved output is one function call and accurate to the last bits near 1,
    where x² − 1 would cancel.
    """

    name = "arccosh"

    @staticmethod
    def forward(ctx, x):
        out = ctx.xp.arccosh(x)
        ctx.save(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (out,) = ctx.saved
        return grad_out / ctx.xp.sinh(out)


class Arctanh(Operator):
    """out = arctanh x (|x| < 1);  ∂out/∂x = 1/((1 − x)(1 + x)), inf at ±1."""

    name = "arctanh"

    @staticmethod
    def forward(ctx, x):
        ctx.save(x)
        return ctx.xp.arctanh(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return grad_out / ((1 - x) * (1 + x))


class Log2(Operator):
    """out = log₂ x;  ∂out/∂x = 1/(x ln 2)."""

    name = "log2"

    @staticmethod
    def forward(ctx, x):
        ctx.save(x)
        return ctx.xp.log2(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return grad_out / (x * LN2)


class Log10(Operator):
    """out = log₁₀ x;  ∂out/∂x = 1/(x ln 10)."""

    name = "log10"

    @staticmethod
    def forward(ctx, x):
        ctx.save(x)
        return ctx.xp.log10(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return grad_out / (x * LN10)


class Log1p(Operator):
    """out = ln(1 + x), exact for tiny x where log(1 + x) rounds 1 + x;  ∂out/∂x = 1/(1 + x)."""

    name = "log1p"

    @staticmethod
    def forward(ctx, x):
        ctx.save(x)
        return ctx.xp.log1p(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return grad_out / (1 + x)


class Expm1(Operator):
    """out = eˣ − 1, exact for tiny x where exp(x) − 1 cancels;  ∂out/∂x = eˣ (from x, not
    out + 1, which loses eˣ's relative precision for x ≪ 0)."""

    name = "expm1"

    @staticmethod
    def forward(ctx, x):
        ctx.save(x)
        return ctx.xp.expm1(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return grad_out * ctx.xp.exp(x)


class Exp2(Operator):
    """out = 2ˣ;  ∂out/∂x = 2ˣ ln 2 = out · ln 2."""

    name = "exp2"

    @staticmethod
    def forward(ctx, x):
        out = ctx.xp.exp2(x)
        ctx.save(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (out,) = ctx.saved
        return grad_out * out * LN2


class Rsqrt(Operator):
    """out = 1/√x (x > 0);  ∂out/∂x = −½ x^(−3/2) = −½ out³, −inf at 0."""

    name = "rsqrt"

    @staticmethod
    def forward(ctx, x):
        out = ctx.xp.rsqrt(x)
        ctx.save(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (out,) = ctx.saved
        return grad_out * out * out * out * -0.5


class Reciprocal(Operator):
    """out = 1/x;  ∂out/∂x = −1/x² = −out²."""

    name = "reciprocal"

    @staticmethod
    def forward(ctx, x):
        out = ctx.xp.reciprocal(x)
        ctx.save(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (out,) = ctx.saved
        return -(grad_out * out * out)


class Square(Operator):
    """out = x²;  ∂out/∂x = 2x."""

    name = "square"
    symbol = "x²"

    @staticmethod
    def forward(ctx, x):
        ctx.save(x)
        return x * x

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return grad_out * 2 * x


class Cbrt(Operator):
    """out = ∛x (real, for negative x too);  ∂out/∂x = 1/(3∛x²) = 1/(3 out²), inf at 0."""

    name = "cbrt"

    @staticmethod
    def forward(ctx, x):
        out = ctx.xp.cbrt(x)
        ctx.save(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (out,) = ctx.saved
        return grad_out / (3 * out * out)


class Rounding(Operator):
    """A step function (floor, ceil, round, trunc): piecewise constant, so its gradient is
    0 everywhere (PyTorch's convention), jumps included."""

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out * 0


class Floor(Rounding):
    """out = ⌊x⌋, the largest integer ≤ x;  gradient 0."""

    name = "floor"

    @staticmethod
    def forward(ctx, x):
        return ctx.xp.floor(x)


class Ceil(Rounding):
    """out = ⌈x⌉, the smallest integer ≥ x;  gradient 0."""

    name = "ceil"

    @staticmethod
    def forward(ctx, x):
        return ctx.xp.ceil(x)


class Round(Rounding):
    """out = x rounded to `decimals` places, halves to even (numpy's and PyTorch's rule:
    round(0.5) = 0, round(1.5) = 2);  gradient 0."""

    name = "round"

    @staticmethod
    def forward(ctx, x, decimals=0):
        return ctx.xp.round(x, decimals)


class Trunc(Rounding):
    """out = x rounded towards 0;  gradient 0."""

    name = "trunc"

    @staticmethod
    def forward(ctx, x):
        return ctx.xp.trunc(x)


class FloorDivide(Operator):
    """out = ⌊x / y⌋ (Python's and numpy's //);  piecewise constant: gradient 0 for both."""

    name = "floor_divide"
    symbol = "//"

    @staticmethod
    def forward(ctx, x, y):
        return ctx.xp.floor_divide(x, y)  # x // 0: ±inf or nan, with numpy's warning as x / 0

    @staticmethod
    def backward(ctx, grad_out):
        zero = grad_out * 0
        return zero, zero


class Remainder(Operator):
    """out = x − ⌊x/y⌋·y, with the sign of y (Python's and numpy's %, PyTorch's remainder);
    ∂out/∂x = 1, ∂out/∂y = −⌊x/y⌋ (away from the jumps at multiples of y)."""

    name = "remainder"
    symbol = "%"

    @staticmethod
    def forward(ctx, x, y):
        ctx.save(x, y)
        return ctx.xp.remainder(x, y)

    @staticmethod
    def backward(ctx, grad_out):
        x, y = ctx.saved
        if not ctx.inputs[1].requires_grad:  # a constant divisor gets no product
            return grad_out, None
        return grad_out, -(grad_out * ctx.xp.floor_divide(x, y))


class Fmod(Operator):
    """out = x − trunc(x/y)·y, with the sign of x (C's fmod, PyTorch's fmod);
    ∂out/∂x = 1, ∂out/∂y = −trunc(x/y)."""

    name = "fmod"

    @staticmethod
    def forward(ctx, x, y):
        ctx.save(x, y)
        return ctx.xp.fmod(x, y)

    @staticmethod
    def backward(ctx, grad_out):
        x, y = ctx.saved
        if not ctx.inputs[1].requires_grad:  # a constant divisor gets no product
            return grad_out, None
        return grad_out, -(grad_out * ctx.xp.trunc(x / y))


class Hypot(Operator):
    """out = √(x² + y²) without overflow for large x, y;  ∂out/∂x = x/out, ∂out/∂y = y/out,
    taken as 0 at the origin (norm's subgradient)."""

    name = "hypot"

    @staticmethod
    def forward(ctx, x, y):
        out = ctx.xp.hypot(x, y)
        ctx.save(x, y, out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        x, y, out = ctx.saved
        x_in, y_in = ctx.inputs  # a constant input (requires_grad False) gets no product
        origin = ctx.xp.equal(out, 0)
        if ctx.xp.count_nonzero(origin):  # x = y = 0 somewhere: gradient 0 there
            out = ctx.xp.where(origin, 1, out)
        scale = grad_out / out
        return (scale * x if x_in.requires_grad else None,
                scale * y if y_in.requires_grad else None)


class Lerp(Operator):
    """out = x + w·(y − x), linear interpolation from x (w = 0) to y (w = 1);
    ∂out/∂x = 1 − w, ∂out/∂y = w, ∂out/∂w = y − x."""

    name = "lerp"

    @staticmethod
    def forward(ctx, x, y, weight):
        ctx.save(x, y, weight)
        return ctx.xp.lerp(x, y, weight)

    @staticmethod
    def backward(ctx, grad_out):
        x, y, weight = ctx.saved
        x_in, y_in, weight_in = ctx.inputs  # a constant input gets no product
        return (grad_out - grad_out * weight if x_in.requires_grad else None,
                grad_out * weight if y_in.requires_grad else None,
                grad_out * (y - x) if weight_in.requires_grad else None)


class LogAddExp(Operator):
    """out = ln(eˣ + eʸ), computed as max + log1p(e^(−|x − y|)): no overflow at ±1000;
    ∂out/∂x = e^(x − out), ∂out/∂y = e^(y − out) (each ≤ 1), nan where both are −inf."""

    name = "logaddexp"

    @staticmethod
    def forward(ctx, x, y):
        out = ctx.xp.logaddexp(x, y)
        ctx.save(x, y, out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        x, y, out = ctx.saved
        x_in, y_in = ctx.inputs  # a constant input (requires_grad False) gets no product
        return (grad_out * ctx.xp.exp(x - out) if x_in.requires_grad else None,
                grad_out * ctx.xp.exp(y - out) if y_in.requires_grad else None)


class NanToNum(Operator):
    """out = x with nan → `nan`, +inf → `posinf`, −inf → `neginf` (numpy's defaults: 0 and
    the largest finite numbers);  ∂out/∂x = 1 where x is finite, 0 where it was replaced."""

    name = "nan_to_num"

    @staticmethod
    def forward(ctx, x, nan=0.0, posinf=None, neginf=None):
        finite = ctx.xp.isfinite(x)
        ctx.save(finite)
        if finite is True:  # a finite float (Scalar)
            return x
        # the usual case, all finite: skip np.nan_to_num's Python-level checks
        if finite is not False and ctx.xp.count_nonzero(finite) == x.size:
            return x.copy()  # a new array, as numpy's copy=True gives
        return ctx.xp.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    @staticmethod
    def backward(ctx, grad_out):
        (finite,) = ctx.saved
        return grad_out * finite
