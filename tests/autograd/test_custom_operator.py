"""Custom operators: subclass autograd.Operator, the one mechanism the built-in operators
use too; gradcheck catches a wrong backward. Also runs every example in
docs/api-extras.md (the README's custom-operator and testing sections)."""

import pathlib
import re

import numpy as np
import pytest
from hypothesis import given, settings

from autograd import (
                      GradcheckError,
                      Operator,
                      Scalar,
                      Tensor,
                      grad,
                      gradcheck,
                      gradgradcheck,
                      no_grad,
)
from autograd import xp as xp_module
from autograd.ops import ALL_OPERATORS
from autograd.testing import assert_gradients_close, broadcastable_tensors, tensors

DOCS = pathlib.Path(__file__).resolve().parents[2] / "docs" / "api-extras.md"


class Cube(Operator):
    """out = x³;  ∂out/∂x = 3x²."""

    name = "cube"

    @staticmethod
    def forward(ctx, x):
        ctx.save(x)
        return x * x * x

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return grad_out * 3 * x * x


class ForgetfulCube(Cube):
    """The right derivative, 3x², but grad_out is ignored (the minitorch Exp bug)."""

    name = "forgetful_cube"

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return 3 * x * x


class LeakyRelu(Operator):
    """out = x for x > 0, slope·x otherwise;  ∂out/∂x = 1 or slope."""

    name = "leaky_relu"

    @staticmethod
    def forward(ctx, x, slope):
        ctx.save(x)
        return ctx.xp.where(x > 0, x, slope * x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        slope = ctx.params["slope"]
        return grad_out * ((x > 0) + slope * (x <= 0))


class ScaledAdd(Operator):
    """out = x + c·y, broadcasting;  grad_x = grad_out, grad_y = c·grad_out, both in the
    output's shape (the engine sums them back); c itself gets no gradient (None)."""

    name = "scaled_add"

    @staticmethod
    def forward(ctx, x, y, c):
        ctx.save(c)
        return x + c * y

    @staticmethod
    def backward(ctx, grad_out):
        (c,) = ctx.saved
        return grad_out, grad_out * c, None


# -- the mechanism ----------------------------------------------------------------------


def test_custom_operator_forward_backward_and_repr():
    x = Tensor([1.0, -2.0], requires_grad=True)
    y = Cube.apply(x)
    np.testing.assert_array_equal(y.data, [1.0, -8.0])
    assert "grad_fn=<cube>" in repr(y)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 12.0])


def test_custom_operator_runs_on_scalars_with_the_same_class():
    a = Scalar(2.0)
    y = Cube.apply(a)
    y.backward()
    assert (y.data, a.grad) == (8.0, 12.0)
    assert y.grad_fn.op is Cube


def test_built_in_operators_use_the_same_mechanism():
    assert all(issubclass(op, Operator) for op in ALL_OPERATORS)
    x = Tensor([1.0, 2.0], requires_grad=True)
    for out in ((x * x), x.exp(), x @ x, x.sum(), Cube.apply(x)):
        assert issubclass(out.grad_fn.op, Operator)
        assert out.grad_fn.op.apply.__func__ is Operator.apply.__func__


def test_custom_operator_is_twice_differentiable_when_backward_uses_operators():
    x = Tensor([0.5, -1.5, 2.0], requires_grad=True)
    assert gradcheck(Cube.apply, (x,)) and gradgradcheck(Cube.apply, (x,))


def test_params_reach_forward_and_backward():
    x = Tensor([-2.0, 3.0], requires_grad=True)
    y = LeakyRelu.apply(x, slope=0.1)
    np.testing.assert_allclose(y.data, [-0.2, 3.0])
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, [0.1, 1.0])
    assert y.grad_fn.params == {"slope": 0.1}


def test_engine_sums_broadcast_gradients_and_skips_none():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    y = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    c = Tensor(2.0, requires_grad=True)
    ScaledAdd.apply(x, y, c).sum().backward()
    np.testing.assert_array_equal(y.grad.data, [4.0, 4.0, 4.0])  # 2 rows × c
    assert x.grad.shape == (2, 3) and c.grad is None


def test_no_graph_is_recorded_under_no_grad():
    x = Tensor([1.0], requires_grad=True)
    with no_grad():
        y = Cube.apply(x)
    assert y.grad_fn is None and not y.requires_grad


class TwoGradients(Operator):
    name = "two_gradients"

    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out, grad_out


class WrongShape(Operator):
    name = "wrong_shape"

    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, grad_out):
        return np.ones(5)


def test_backward_with_the_wrong_number_or_shape_of_gradients_raises_naming_it():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="two_gradients: backward returned 2 gradients"):
        TwoGradients.apply(x).sum().backward()
    with pytest.raises(ValueError, match=r"wrong_shape.*\(5,\).*\(2,\)"):
        WrongShape.apply(x).sum().backward()


# -- gradcheck catches wrong backwards --------------------------------------------------


class WrongCube(Cube):
    name = "wrong_cube"

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return grad_out * 3 * x  # should be 3x²


def test_gradcheck_catches_a_wrong_formula_and_names_the_worst_element():
    x = Tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True)
    with pytest.raises(GradcheckError) as caught:
        gradcheck(WrongCube.apply, (x,))
    message = str(caught.value)
    assert message.startswith("wrong_cube: input 0 (shape (2, 2)), worst element [")
    assert "analytic" in message and "numeric" in message and "atol + rtol" in message
    assert "3 of 4 elements differ" in message  # at x = 1, 3x and 3x² agree


def test_gradcheck_uses_a_random_upstream_gradient_so_a_forgotten_grad_out_fails():
    # Seeded with ones, as a derivative check often is, the forgetful backward looks
    # right: at the root of a one-element output the upstream gradient is exactly 1.
    x = Tensor(1.5, requires_grad=True)
    ForgetfulCube.apply(x).backward()
    assert x.grad.item() == pytest.approx(3 * 1.5**2)
    # gradcheck backpropagates a random v instead, and the bug shows.
    with pytest.raises(GradcheckError, match="forgetful_cube"):
        gradcheck(ForgetfulCube.apply, (Tensor(1.5, requires_grad=True),))
    assert gradcheck(Cube.apply, (Tensor(1.5, requires_grad=True),))


# -- property tests with autograd.testing --------------------------------------------------


@settings(max_examples=20, deadline=None)
@given(x=tensors())
def test_cube_gradients_property(x):
    assert_gradients_close(Cube.apply, x)


@settings(max_examples=20, deadline=None)
@given(xy=broadcastable_tensors(n=2))
def test_scaled_add_gradients_under_broadcasting(xy):
    assert_gradients_close(lambda x, y: ScaledAdd.apply(x, y, 0.5), *xy)


# -- the README examples -----------------------------------------------------------------


def python_blocks(path):
    """(first line number, code) of every ```python block in a markdown file."""
    text = path.read_text(encoding="utf-8")
    return [(text[:match.start(1)].count("\n") + 1, match.group(1))
            for match in re.finditer(r"```python\n(.*?)```", text, re.S)]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the where-trap's log(0)
def test_every_example_in_docs_api_extras_runs(capsys):
    blocks = python_blocks(DOCS)
    assert len(blocks) >= 5
    namespace = {"__name__": "api_extras"}
    for first_line, code in blocks:  # later blocks build on earlier ones, as in the text
        padded = "\n" * (first_line - 1) + code  # errors point at the markdown's lines
        exec(compile(padded, str(DOCS), "exec"), namespace)
    tests = [f for name, f in namespace.items() if name.startswith("test_")]
    assert len(tests) == 2
    for test in tests:
        settings(max_examples=15, deadline=None)(test)()  # hypothesis tests, kept quick
    printed = capsys.readouterr().out
    assert "Tensor([ 3., 12.])" in printed
    assert "sloppy_cube: input 0" in printed
    assert "bad_tanh" in printed and "WRONG" in printed
    assert "backward of operator 'log'" in printed
    assert "Tensor([0. , 1. , 0.5])" in printed


# --------------------------------------------------------------------------------------
# issue 12 items 20 and 21: what an operator author is told


class _NumpyCosine(Operator):
    """out = sin x, with a backward that leaves the graph: np.cos on ctx.saved's data."""

    name = "numpy_sine"

    @staticmethod
    def forward(ctx, x):
        ctx.save(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return np.asarray(grad_out) * np.cos(np.asarray(x))


class _NumpyArctan(Operator):
    """out = arctan x, with a backward that calls numpy on the variables themselves (a
    function tracegrad has no operator for: np.square now runs tracegrad's square)."""

    name = "numpy_arctan"

    @staticmethod
    def forward(ctx, x):
        ctx.save(x)
        return np.arctan(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return grad_out / (1 + np.float_power(x, 2))


class _XpCosine(Operator):
    """out = sin x;  ∂out/∂x = cos x, written with ctx.xp."""

    name = "xp_sine"

    @staticmethod
    def forward(ctx, x):
        ctx.save(x)
        return ctx.xp.sin(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return grad_out * ctx.xp.cos(x)


@pytest.mark.parametrize("op", [_NumpyCosine, _NumpyArctan])
def test_backward_leaving_the_graph_under_create_graph_names_the_operator_and_ctx_xp(op):
    x = Tensor([0.3, -0.7], requires_grad=True)
    assert gradcheck(op.apply, (x,))  # first order is right
    with pytest.raises(TypeError) as caught:
        gradgradcheck(op.apply, (x,))
    message = str(caught.value)
    assert op.name in message and "ctx.xp" in message and "create_graph" in message


def test_ctx_xp_offers_sin_and_cos_and_lists_what_it_offers():
    x = Tensor([0.3, -0.7, 2.0], requires_grad=True)
    assert gradcheck(_XpCosine.apply, (x,)) and gradgradcheck(_XpCosine.apply, (x,))
    s = Scalar(0.4)
    (g,) = grad(_XpCosine.apply(s), [s], create_graph=True)
    (gg,) = grad(g, [s])
    assert g.data == pytest.approx(np.cos(0.4)) and gg == pytest.approx(-np.sin(0.4))
    for name in ("sin", "cos", "exp", "log", "where", "power", "sigmoid", "scatter_add"):
        assert name in xp_module.__doc__
        assert callable(getattr(Tensor._graph_xp, name))


class _KeepsShapeOnCtx(Operator):
    name = "keeps_shape"

    @staticmethod
    def forward(ctx, x):
        ctx.shape = getattr(x, "shape", ())  # a float has none
        return x * 2

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out * 2


class _ReadsShapeFromCtx(Operator):
    name = "reads_shape"

    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out.reshape(ctx.shape) * 2


@pytest.mark.parametrize("make", [lambda: Tensor([1.0, 2.0], requires_grad=True),
                                  lambda: Tensor([1.0, 2.0]), lambda: Scalar(1.5)],
                         ids=["recorded", "constant", "scalar"])
def test_ctx_attribute_error_names_what_ctx_holds(make):
    with pytest.raises(AttributeError) as caught:
        _KeepsShapeOnCtx.apply(make())
    message = str(caught.value)
    assert "keeps_shape" in message and "'shape'" in message
    for held in ("ctx.save", "ctx.params", "ctx.inputs"):
        assert held in message
    y = _ReadsShapeFromCtx.apply(Tensor([1.0, 2.0], requires_grad=True)).sum()
    with pytest.raises(AttributeError, match=r"reads_shape backward: ctx has no attribute "
                                              r"'shape'; ctx holds ctx.save"):
        y.backward()
