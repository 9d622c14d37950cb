"""gradgradcheck's error names the operator under test and says it is the second derivative."""

import numpy as np
import pytest

from autograd import GradcheckError, Operator, Tensor, gradcheck, gradgradcheck


class SavesIntermediate(Operator):
    """out = x·σ(x), with σ(x) saved from forward: right to first order, but under
    create_graph the saved σ(x) is a constant, so the second derivative is wrong."""

    name = "swish_saving_sigmoid"

    @staticmethod
    def forward(ctx, x):
        s = 1 / (1 + ctx.xp.exp(-x))
        ctx.save(x, s)
        return x * s

    @staticmethod
    def backward(ctx, grad_out):
        x, s = ctx.saved
        return grad_out * s * (1 + x * (1 - s))


def test_gradgradcheck_error_names_the_operator_and_the_order():
    x = Tensor(np.linspace(-2.0, 2.0, 5), requires_grad=True)
    assert gradcheck(SavesIntermediate.apply, (x,))
    with pytest.raises(GradcheckError, match=r"^swish_saving_sigmoid \(second derivative\): "):
        gradgradcheck(SavesIntermediate.apply, (x,))
