"""Arithmetic operators: + - * / ** and negation, with numpy broadcasting.

Every binary operator here returns its gradients in the broadcast (output) shape; the
engine sums each back to its input's shape (`unbroadcast`), once, for all of them.
"""

from __future__ import annotations

from ..engine import Operator

_SUPERSCRIPT = str.maketrans("0123456789-.", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻·")


class Add(Operator):
    """out = x + y;  ∂out/∂x = 1, ∂out/∂y = 1."""

    name = "add"
    symbol = "+"

    @staticmethod
    def forward(ctx, x, y):
        return x + y

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out, grad_out


class Sub(Operator):
    """out = x − y;  ∂out/∂x = 1, ∂out/∂y = −1."""

    name = "sub"
    symbol = "−"

    @staticmethod
    def forward(ctx, x, y):
        return x - y

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out, -grad_out


class Mul(Operator):
    """out = x · y;  grad_x = grad_out · y,  grad_y = grad_out · x.

    An x of shape (3, 1) times a y of shape (3, 4) gets grad_x[i, 0] = Σⱼ grad_out[i, j]·y[i, j]
    once the engine sums the broadcast axis back.
    """

    name = "mul"
    symbol = "×"

    @staticmethod
    def forward(ctx, x, y):
        ctx.save(x, y)
        return x * y

    @staticmethod
    def backward(ctx, grad_out):
        x, y = ctx.saved
        x_in, y_in = ctx.inputs  # a constant factor (requires_grad False) gets no product
        return ((grad_out * y if x_in.requires_grad else None),
                (grad_out * x if y_in.requires_grad else None))


class Div(Operator):
    """out = x / y;  grad_x = grad_out / y,  grad_y = −grad_out · x / y².

    At y = 0 the gradients are ±inf or nan, as the forward's value is; numpy warned there
    already in the forward, so backward does not warn again.
    """

    name = "div"
    symbol = "÷"

    @staticmethod
    def forward(ctx, x, y):
        ctx.save(x, y)
        return x / y

    @staticmethod
    def backward(ctx, grad_out):
        x, y = ctx.saved
        grad_x = grad_out / y  # Scalar: float division by 0 raises ZeroDivisionError
        return grad_x, (-grad_x * x / y if ctx.needs_input_grad[1] else None)


class Neg(Operator):
    """out = −x;  ∂out/∂x = −1."""

    name = "neg"
    symbol = "−(·)"

    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, grad_out):
        return -grad_out


class Pow(Operator):
    """out = xᶜ for a constant number c;  ∂out/∂x = c·xᶜ⁻¹.

    The gradient is exactly 0 where c = 0 (PyTorch's choice; the naive formula gives
    0·0⁻¹ = nan at x = 0). For c < 1 it is inf at x = 0 (the true slope), without a numpy
    warning. A negative base with a fractional c gives nan, as in numpy.
    """

    name = "pow"

    @classmethod
    def display(cls, node) -> str:
        """(·)², (·)⁻¹·⁵: the exponent as a superscript, and no letter, which a reader
        would take for a variable."""
        exponent = node.params["exponent"]
        text = f"{exponent:g}" if isinstance(exponent, float) else str(exponent)
        return "(·)" + text.translate(_SUPERSCRIPT)

    @staticmethod
    def forward(ctx, x, exponent):
        ctx.save(x)
        return ctx.xp.power(x, exponent)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        c = ctx.params["exponent"]
        if c == 0:
            return grad_out * 0
        if c == 1:
            return grad_out
        return grad_out * c * ctx.xp.power(x, c - 1)  # inf at x = 0 for c < 1: the true slope


class PowTensor(Operator):
    """out = xʸ with both differentiable;  grad_x = grad_out·y·xʸ⁻¹,  grad_y = grad_out·xʸ·ln x.

    At x = y = 0, grad_x is 0 (x⁰ = 1 is flat; y·xʸ⁻¹ would be 0·0⁻¹ = nan), and
    grad_y is taken as 0 where x = 0 and y ≥ 0 (the limit of xʸ·ln x), as PyTorch does.
    Both use the double where, so their own derivatives are finite too. Where the slope
    is truly infinite (x = 0, 0 < y < 1) or undefined (x < 0) the gradient is inf or nan
    without numpy warnings.
    """

    name = "pow"

    @staticmethod
    def forward(ctx, x, y):
        out = ctx.xp.power(x, y)
        ctx.save(x, y, out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        x, y, out = ctx.saved
        xp = ctx.xp
        # y·x^(y−1) with the exponent 1 at x = y = 0: the product is then exactly 0
        # xp.equal compares values: a Scalar's == is identity (Scalars are dict keys)
        corner = xp.equal(x, 0) & xp.equal(y, 0)
        grad_x = grad_out * y * xp.power(x, xp.where(corner, 1, y - 1))
        at_zero = xp.equal(x, 0) & (y >= 0)
        safe_x = xp.where(at_zero, 1, x)  # keeps log(0) = -inf out of the product
        grad_y = xp.where(at_zero, 0, grad_out * out * xp.log(safe_x))
        return grad_x, grad_y
