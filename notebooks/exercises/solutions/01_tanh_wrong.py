"""A typical wrong answer to 01_tanh.ipynb, which the grader must catch."""

from autograd import Operator


class Tanh(Operator):
    """out = tanh(x);  ∂out/∂x = 1 − tanh²(x) = 1 − out²."""

    name = "my_tanh"

    @staticmethod
    def forward(ctx, x):
        out = ctx.xp.tanh(x)
        ctx.save(out)  # backward needs tanh(x): save the output, not a copy of it
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (out,) = ctx.saved
        return grad_out * (1 - out)  # typical mistake: the square forgotten
