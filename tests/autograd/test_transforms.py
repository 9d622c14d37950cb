"""Function transforms (value_and_grad, grad_of, jacobian, hessian, hvp) against closed
forms: quadratic forms, the softmax Jacobian, the Rosenbrock Hessian."""

import numpy as np
import pytest
from hypothesis import given, settings

from autograd import Scalar, Tensor, grad_of, hessian, hvp, jacobian, tensor, value_and_grad
from autograd.testing import floats_in, tensors

A = np.array([[2.0, 1.0, 0.0], [-1.0, 3.0, 0.5], [0.0, 4.0, 1.0]])  # not symmetric


def quadratic_form(x):
    """xᵀAx: gradient (A + Aᵀ)x, Hessian A + Aᵀ."""
    return x @ Tensor(A) @ x


def rosenbrock(p):
    """(1 − x)² + 100(y − x²)²."""
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


def rosenbrock_hessian(x, y):
    return np.array([[2 - 400 * (y - 3 * x * x), -400 * x], [-400 * x, 200.0]])


def softmax_jacobian(z):
    s = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    return np.diag(s) - np.outer(s, s)


X0 = np.array([0.5, -1.0, 2.0])


# -- value_and_grad and grad_of -----------------------------------------------------------


def test_value_and_grad_of_a_quadratic_form():
    value, g = value_and_grad(quadratic_form)(X0)
    assert value.item() == pytest.approx(X0 @ A @ X0)
    np.testing.assert_allclose(g, (A + A.T) @ X0, rtol=1e-12)


def test_grad_of_is_the_gradient_of_value_and_grad():
    np.testing.assert_array_equal(grad_of(quadratic_form)(X0),
                                  value_and_grad(quadratic_form)(X0)[1])


def test_rosenbrock_gradient_is_zero_at_its_minimum():
    value, g = value_and_grad(rosenbrock)(np.array([1.0, 1.0]))
    assert value.item() == 0.0
    np.testing.assert_array_equal(g, [0.0, 0.0])


def test_argnums_selects_and_orders_the_differentiated_arguments():
    def f(x, y, scale=1.0):
        return (x * y).sum() * scale

    x, y = np.array([1.0, 2.0]), np.array([3.0, 5.0])
    gy, gx = grad_of(f, argnums=(1, 0))(x, y, scale=2.0)
    np.testing.assert_array_equal(gx, 2 * y)
    np.testing.assert_array_equal(gy, 2 * x)
    np.testing.assert_array_equal(grad_of(f, argnums=-1)(x, y), x)


@pytest.mark.parametrize("argument, kind", [
    (Tensor([1.0, 2.0]), Tensor),
    (np.array([1.0, 2.0]), np.ndarray),
    ([1.0, 2.0], np.ndarray),
    (3.0, float),
    (Scalar(3.0), float),
], ids=["Tensor", "ndarray", "list", "float", "Scalar"])
def test_gradient_comes_back_in_the_kind_of_its_argument(argument, kind):
    def f(x):
        return x * x if isinstance(x, Scalar) else (x * x).sum()

    g = grad_of(f)(argument)
    assert type(g) is kind
    data = argument.data if hasattr(argument, "data") else argument
    np.testing.assert_array_equal(np.asarray(g.data if kind is Tensor else g),
                                  2 * np.asarray(data))


def test_the_callers_tensor_is_left_alone_and_the_value_has_no_graph():
    x = tensor([1.0, 2.0], requires_grad=True)
    value, g = value_and_grad(lambda t: (t * t).sum())(x)
    assert x.grad is None and x.requires_grad and x.is_leaf
    assert value.grad_fn is None and not value.requires_grad


def test_float32_stays_float32():
    g = grad_of(lambda t: (t * t).sum())(Tensor(np.array([1.0, 2.0], dtype=np.float32)))
    assert g.dtype == np.float32


def test_has_aux_passes_the_auxiliary_value_through():
    def loss_and_prediction(w):
        prediction = w * 2
        return (prediction * prediction).sum(), prediction

    (value, aux), g = value_and_grad(loss_and_prediction, has_aux=True)(np.array([1.0]))
    assert value.item() == 4.0 and aux.data.tolist() == [2.0]
    g2, aux2 = grad_of(loss_and_prediction, has_aux=True)(np.array([1.0]))
    np.testing.assert_array_equal(g, [8.0])
    np.testing.assert_array_equal(g2, g)
    assert aux2.data.tolist() == [2.0]


def test_an_unused_argument_gets_a_zero_gradient():
    gx, gy = grad_of(lambda x, y: (x * 3).sum(), argnums=(0, 1))(np.ones(2), np.ones(3))
    np.testing.assert_array_equal(gy, np.zeros(3))
    np.testing.assert_array_equal(grad_of(lambda x: Tensor(1.0))(np.ones(2)), np.zeros(2))


def test_bad_uses_raise_clear_errors():
    with pytest.raises(ValueError, match=r"one number.*shape \(2,\).*jacobian"):
        value_and_grad(lambda x: x * 2)(np.ones(2))
    with pytest.raises(TypeError, match=r"returned a float.*\.item\(\)"):
        grad_of(lambda x: (x * 2).sum().item())(np.ones(2))
    with pytest.raises(ValueError, match="argnums 2 is out of range"):
        grad_of(lambda x, y: x, argnums=2)(1.0, 2.0)
    with pytest.raises(TypeError, match="argnums must be"):
        grad_of(lambda x: x, argnums="0")(1.0)
    with pytest.raises(TypeError, match="floating dtype"):
        grad_of(lambda x: x.sum())(np.array([1, 2]))
    with pytest.raises(TypeError, match="expected a function"):
        jacobian(3)
    with pytest.raises(TypeError, match=r"pair \(value, aux\)"):
        value_and_grad(lambda x: x * 2, has_aux=True)(1.0)


# -- jacobian --------------------------------------------------------------------------


def test_jacobian_of_softmax_is_diag_s_minus_s_s_transpose():
    J = jacobian(lambda z: z.softmax())(X0)
    np.testing.assert_allclose(J, softmax_jacobian(X0), atol=1e-15)


def test_jacobian_of_a_linear_map_is_its_matrix():
    W = np.arange(6.0).reshape(2, 3)
    J = jacobian(lambda x: Tensor(W) @ x)(X0)
    np.testing.assert_array_equal(J, W)


def test_jacobian_has_shape_out_shape_plus_in_shape():
    x = np.arange(6.0).reshape(2, 3)
    J = jacobian(lambda t: t * t)(x)
    assert J.shape == (2, 3, 2, 3)
    np.testing.assert_array_equal(J.reshape(6, 6), np.diag(2 * x.reshape(-1)))
    assert jacobian(lambda t: t.sum(axis=0))(x).shape == (3, 2, 3)


def test_jacobian_of_several_outputs_and_arguments():
    def f(x, y):
        return x * y, (x + y).sum()

    x, y = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    (dp_dx, dp_dy), (ds_dx, ds_dy) = jacobian(f, argnums=(0, 1))(x, y)
    np.testing.assert_array_equal(dp_dx, np.diag(y))
    np.testing.assert_array_equal(dp_dy, np.diag(x))
    np.testing.assert_array_equal(ds_dx, [1.0, 1.0])


def test_jacobian_returns_a_tensor_for_a_tensor():
    J = jacobian(lambda z: z.softmax())(Tensor(X0))
    assert isinstance(J, Tensor) and J.grad_fn is None
    np.testing.assert_allclose(J.data, softmax_jacobian(X0), atol=1e-15)


# -- hessian and hvp -------------------------------------------------------------------


def test_hessian_of_a_quadratic_form_is_a_plus_a_transpose():
    np.testing.assert_allclose(hessian(quadratic_form)(X0), A + A.T, rtol=1e-12)


@pytest.mark.parametrize("x, y", [(1.0, 1.0), (-1.2, 1.0), (0.3, -0.7)])
def test_rosenbrock_hessian_matches_its_closed_form(x, y):
    H = hessian(rosenbrock)(np.array([x, y]))
    np.testing.assert_allclose(H, rosenbrock_hessian(x, y), rtol=1e-12)


def test_hessian_of_a_matrix_argument_has_shape_in_shape_twice():
    H = hessian(lambda m: (m * m * m).sum())(np.ones((2, 2)))
    assert H.shape == (2, 2, 2, 2)
    np.testing.assert_array_equal(H.reshape(4, 4), 6 * np.eye(4))


def test_hessian_is_the_jacobian_of_the_gradient():
    p = np.array([-1.2, 1.0])
    np.testing.assert_allclose(jacobian(grad_of(rosenbrock))(p), hessian(rosenbrock)(p))


@pytest.mark.parametrize("v", [np.array([1.0, 0.0]), np.array([0.3, -2.0])])
def test_hvp_is_the_hessian_times_v(v):
    p = np.array([-1.2, 1.0])
    np.testing.assert_allclose(hvp(rosenbrock, p, v), rosenbrock_hessian(-1.2, 1.0) @ v,
                               rtol=1e-12)
    np.testing.assert_allclose(hvp(quadratic_form, X0, np.ones(3)), (A + A.T) @ np.ones(3))


def test_hvp_checks_that_v_has_the_shape_of_x():
    with pytest.raises(ValueError, match=r"v has shape \(3,\) but x has shape \(2,\)"):
        hvp(rosenbrock, np.ones(2), np.ones(3))


# -- Scalars and composition -----------------------------------------------------------


def test_scalar_functions_value_gradient_and_hessian():
    def f(a, b):
        return a * a * b + b.tanh()

    value, (ga, gb) = value_and_grad(f, argnums=(0, 1))(Scalar(2.0), Scalar(0.5))
    assert value.data == pytest.approx(2.0 + np.tanh(0.5))
    assert (ga, gb) == pytest.approx((2.0, 4.0 + 1 - np.tanh(0.5) ** 2))
    (haa, hab), (hba, hbb) = hessian(f, argnums=(0, 1))(Scalar(2.0), Scalar(0.5))
    t = np.tanh(0.5)
    assert (haa, hab, hba) == (1.0, 4.0, 4.0)
    assert hbb == pytest.approx(-2 * t * (1 - t * t))


def test_transforms_compose_into_higher_derivatives():
    third = grad_of(grad_of(grad_of(lambda x: x**4)))
    assert third(2.0) == pytest.approx(24 * 2.0)
    assert hvp(lambda a: a**3, Scalar(2.0), 1.0) == pytest.approx(12.0)


@settings(max_examples=15, deadline=None)
@given(x=tensors(shape=(3,), elements=floats_in(-2.0, 2.0)))
def test_hessian_of_a_smooth_function_is_symmetric_and_agrees_with_hvp(x):
    def f(t):
        return (t.tanh() * t.sum()).sum() + (t * t * t).sum()

    H = hessian(f)(x)
    np.testing.assert_allclose(H.data, H.data.T, atol=1e-12)
    v = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(hvp(f, x, v).data, H.data @ v, rtol=1e-10, atol=1e-12)
