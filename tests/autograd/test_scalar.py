"""Scalar: micrograd's Value with tracegrad's graph core."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd as ag
from autograd import Scalar, Tensor, gradcheck, gradgradcheck
from autograd.testing import floats_in

ANY = floats_in(-3.0, 3.0)
POSITIVE = floats_in(0.2, 3.0)
OFF_ZERO = floats_in(-3.0, 3.0, exclude_near=[0.0], margin=0.1)

UNARY = [
    ("neg", lambda a: -a, ANY),
    ("exp", Scalar.exp, ANY),
    ("log", Scalar.log, POSITIVE),
    ("tanh", Scalar.tanh, ANY),
    ("sigmoid", Scalar.sigmoid, ANY),
    ("relu", Scalar.relu, OFF_ZERO),
    ("pow_3", lambda a: a**3, ANY),
    ("pow_half", lambda a: a**0.5, POSITIVE),
    ("pow_neg", lambda a: a**-2, OFF_ZERO),
    ("radd", lambda a: 2.0 + a, ANY),
    ("rsub", lambda a: 2.0 - a, ANY),
    ("rmul", lambda a: 2.0 * a, ANY),
    ("rdiv", lambda a: 2.0 / a, OFF_ZERO),
]

BINARY = [
    ("add", lambda a, b: a + b, ANY, ANY),
    ("sub", lambda a, b: a - b, ANY, ANY),
    ("mul", lambda a, b: a * b, ANY, ANY),
    ("div", lambda a, b: a / b, ANY, OFF_ZERO),
]


@pytest.mark.parametrize("name, fn, elements", UNARY, ids=[u[0] for u in UNARY])
@settings(max_examples=25)
@given(data=st.data())
def test_scalar_unary_gradients(name, fn, elements, data):
    a = Scalar(data.draw(elements))
    assert gradcheck(fn, (a,))
    assert gradgradcheck(fn, (a,))


@pytest.mark.parametrize("name, fn, ea, eb", BINARY, ids=[b[0] for b in BINARY])
@settings(max_examples=25)
@given(data=st.data())
def test_scalar_binary_gradients(name, fn, ea, eb, data):
    a, b = Scalar(data.draw(ea)), Scalar(data.draw(eb))
    assert gradcheck(fn, (a, b))
    assert gradgradcheck(fn, (a, b))


@pytest.mark.parametrize("name", ["exp", "log", "tanh", "sigmoid", "relu"])
@settings(max_examples=25)
@given(v=floats_in(0.1, 4.0))
def test_scalar_and_tensor_agree(name, v):
    s, t = Scalar(v), Tensor(v, requires_grad=True)
    getattr(s, name)().backward()
    getattr(t, name)().backward()
    assert getattr(s, name)().data == pytest.approx(getattr(t, name)().item(), rel=1e-12)
    assert s.grad == pytest.approx(t.grad.item(), rel=1e-12)


def test_micrograd_readme_expression():
    # The expression from micrograd's README; its published results are
    # g = 24.7041, dg/da = 138.8338, dg/db = 645.5773.
    a, b = Scalar(-4.0), Scalar(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    assert g.data == pytest.approx(24.7041, abs=1e-4)
    assert a.grad == pytest.approx(138.8338, abs=1e-4)
    assert b.grad == pytest.approx(645.5773, abs=1e-4)


def test_a_neuron_by_hand():
    x1, x2 = Scalar(2.0, name="x1"), Scalar(0.0, name="x2")
    w1, w2 = Scalar(-3.0, name="w1"), Scalar(1.0, name="w2")
    b = Scalar(6.8813735870195432, name="b")
    out = (x1 * w1 + x2 * w2 + b).tanh()
    out.backward()
    assert out.data == pytest.approx(math.sqrt(0.5), abs=1e-6)
    # d tanh / dn = 1 - out² = 0.5, so dw1 = 0.5 · x1 and dx1 = 0.5 · w1
    assert w1.grad == pytest.approx(1.0, abs=1e-6)
    assert x1.grad == pytest.approx(-1.5, abs=1e-6)
    assert w2.grad == pytest.approx(0.0, abs=1e-12)


def test_scalar_leaves_require_grad_and_constants_do_not():
    a = Scalar(1.0)
    assert a.requires_grad and a.grad is None
    c = a * 2
    assert c.grad_fn.inputs[1].requires_grad is False
    c.backward()
    assert a.grad == 2.0


def test_scalar_stable_functions_at_extremes():
    assert Scalar(1000.0).sigmoid().data == 1.0
    assert Scalar(-1000.0).sigmoid().data == 0.0
    assert Scalar(1000.0).exp().data == math.inf
    assert Scalar(0.0).log().data == -math.inf
    assert math.isnan(Scalar(-1.0).log().data)
    assert math.isnan((Scalar(-8.0) ** (1 / 3)).data)


def test_scalar_pow_at_zero_follows_pytorch():
    for exponent, expected in [(0, 0.0), (1, 1.0), (0.5, math.inf), (2, 0.0)]:
        a = Scalar(0.0)
        (a**exponent).backward()
        assert a.grad == expected


def test_scalar_exponent_must_be_a_number():
    with pytest.raises(TypeError, match="exponent"):
        Scalar(2.0) ** Scalar(3.0)


def test_scalar_rejects_non_numbers():
    with pytest.raises(TypeError, match="Scalar"):
        Scalar("abc")
    with pytest.raises(TypeError, match="mul"):
        Scalar(1.0) * "abc"


def test_scalar_under_no_grad_records_nothing():
    a = Scalar(1.0)
    with ag.no_grad():
        b = a * 2 + 1
    assert b.grad_fn is None and not b.requires_grad


def test_scalar_retain_grad_and_repr():
    a = Scalar(3.0, name="a")
    h = a * a
    h.retain_grad()
    (h * 2).backward()
    assert h.grad == 2.0 and a.grad == 12.0
    assert "name='a'" in repr(a) and "grad=12.0" in repr(a)
    assert "grad_fn=<mul>" in repr(h)


def test_scalar_accepts_numpy_numbers():
    a = Scalar(np.float32(2.0))
    b = a * np.float64(3.0)
    assert b.data == 6.0 and type(b.data) is float


def test_scalar_division_by_zero_raises_with_the_operator_named():
    with pytest.raises(ZeroDivisionError, match=r"^div: .*divisor 0\.0"):
        Scalar(1.0) / Scalar(0.0)
    x = Scalar(0.0)
    y = x.log()
    assert y.data == -math.inf
    with pytest.raises(ZeroDivisionError, match="log backward"):
        y.backward()


# Two-input functions whose backward needs where/count_nonzero/equal on floats: their
# Scalar graphs once crashed in backward (MathXP lacked them) and, under create_graph,
# compared values with Scalar's identity ==.
TWO_INPUT = [
    ("hypot", ag.hypot, OFF_ZERO, ANY),  # not differentiable at the origin
    ("power", ag.power, POSITIVE, ANY),
    ("where", lambda a, b: ag.where(a > 0, a * b, a - b), OFF_ZERO, ANY),
]


@pytest.mark.parametrize("name, fn, ea, eb", TWO_INPUT, ids=[t[0] for t in TWO_INPUT])
@settings(max_examples=25)
@given(data=st.data())
def test_scalar_two_input_functions_gradients(name, fn, ea, eb, data):
    a, b = Scalar(data.draw(ea)), Scalar(data.draw(eb))
    assert gradcheck(fn, (a, b))
    assert gradgradcheck(fn, (a, b))


def _first_and_second_derivatives(fn, values, kind):
    xs = [Scalar(v) if kind is Scalar else Tensor(v, requires_grad=True) for v in values]
    grads = ag.grad(fn(*xs), xs, create_graph=True)
    second = [[float(np.asarray(getattr(h, "data", h))) for h in
               ag.grad(g, xs, retain_graph=True, materialize_grads=True)]
              if g.requires_grad else None for g in grads]
    return [float(np.asarray(g.data)) for g in grads], second


@pytest.mark.parametrize("fn, values", [
    (ag.hypot, (0.0, 0.0)), (ag.hypot, (0.0, 2.0)), (ag.hypot, (-0.5, 0.7)),
    (ag.power, (0.0, 0.0)), (ag.power, (0.0, 2.0)), (ag.power, (2.0, 0.0)),
    (ag.power, (0.7, -0.5)),
], ids=lambda v: getattr(v, "__name__", str(v)))
def test_scalar_hypot_and_power_derivatives_equal_tensor_ones_at_edges(fn, values):
    """The origin and zero bases, where the formulas switch branches by comparing values."""
    scalar = _first_and_second_derivatives(fn, values, Scalar)
    tensor = _first_and_second_derivatives(fn, values, Tensor)
    np.testing.assert_allclose(scalar[0], tensor[0], rtol=1e-12)
    np.testing.assert_allclose(scalar[1], tensor[1], rtol=1e-12)
