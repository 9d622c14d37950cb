"""Pictures ask the operator how to draw it (Operator.symbol, display, expand): nothing in
autograd.viz knows an operator by its name, so a user's operator takes part the same way."""

import inspect
import re

import numpy as np
import pytest

import nn
from autograd import Operator, Tensor, viz
from autograd.engine import Step
from autograd.ops import ALL_OPERATORS, Exp, Sum
from autograd.viz import draw, expand


class SoftplusTwice(Operator):
    """out = 2·ln(1 + eˣ);  ∂out/∂x = 2σ(x). Drawn as ⊕ and expanded into exp, log1p, ×2."""

    name = "softplus_twice"
    symbol = "⊕"

    @staticmethod
    def forward(ctx, x):
        ctx.save(x)
        return 2 * np.logaddexp(x, 0)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return grad_out * 2 * ctx.xp.sigmoid(x)

    @staticmethod
    def expand(node):
        x = np.asarray(node.inputs[0].data)
        e = np.exp(x)
        return [Step.of(Exp, ("x",), "eˣ", e), Step("log1p", (0,), "ln(1 + eˣ)", np.log1p(e)),
                Step("× 2", (1,), "out", 2 * np.log1p(e))]


def _labels(figure):
    return re.findall(r'label=<(.*?)>\s', figure.source)


def test_a_users_operator_shows_its_symbol_and_expands():
    x = Tensor([0.5, -1.0], requires_grad=True, name="x")
    y = SoftplusTwice.apply(x).sum()
    assert "⊕" in viz.forward_graph(y).source
    expanded = viz.forward_graph(y, expand=True).source
    assert "log1p" in expanded and "× 2" in expanded and "fused operator" in expanded
    steps = expand.expansion(y.grad_fn.inputs[0].grad_fn)
    np.testing.assert_allclose(steps[-1].value, y.grad_fn.inputs[0].data)
    assert expand.expansion(y.grad_fn) is None  # sum has no expansion: one circle


@pytest.mark.parametrize("op", [op for op in ALL_OPERATORS if op.expand is not Operator.expand]
                         + [nn.losses.CrossEntropy, nn.losses.BinaryCrossEntropyWithLogits],
                         ids=lambda op: op.name)
def test_fused_operators_expand_to_their_own_output(op):
    rng = np.random.default_rng(0)
    x = Tensor(rng.normal(size=(3, 4)) * 10, requires_grad=True)
    params = {"softmax": {"axis": 1}, "log_softmax": {"axis": 0},
              "logsumexp": {"axes": (1,), "keepdims": False},
              "cross_entropy": {"target": np.array([0, 3, 1])}}
    if op.name == "binary_cross_entropy_with_logits":  # the target is an input
        y = op.apply(x, Tensor(rng.uniform(size=(3, 4))))
    elif op.name == "scaled_dot_product_attention":  # attn (issue 16): q, k, v and a mask
        y = op.of(x, x / 10, x, np.tri(3, 3, dtype=bool), keep=np.full((3, 3), 2.0))
    else:
        y = op.apply(x, **params[op.name])
    steps = expand.expansion(y.grad_fn)
    np.testing.assert_allclose(steps[-1].value, y.data, rtol=1e-12, atol=1e-12)


def test_symbols_come_from_the_operators():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    assert draw.operator_label((x**2).grad_fn).endswith("(·)²</FONT>")
    assert "(·)ᵀ<" in draw.operator_label(x.T.grad_fn)
    partial = Tensor(np.ones((2, 3, 4)), requires_grad=True).transpose(1, 0, 2)
    assert "transpose" in draw.operator_label(partial.grad_fn)
    assert Sum.display((x.sum()).grad_fn) is None


def test_viz_matches_no_operator_by_name():
    source = inspect.getsource(draw) + inspect.getsource(expand)
    for name in {op.name for op in ALL_OPERATORS}:
        assert not re.search(rf'== "{name}"|"{name}":|in \("{name}"', source), name
