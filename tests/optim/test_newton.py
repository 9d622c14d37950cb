"""optim.Newton and optim.NewtonCG: exact on quadratics, fast on Rosenbrock, safe at saddles.

There is no PyTorch counterpart; the references are the math (a quadratic's minimum is
A⁻¹b), autograd.hessian and autograd.hvp (the same derivatives the optimisers compute
from a closure's graph), and step counts stated here.
"""

from __future__ import annotations

import numpy as np
import pytest

import optim
from autograd import Tensor, concatenate, hessian, hvp

A = np.array([[4.0, 1.0, 0.5, 0.0], [1.0, 3.0, 0.2, 0.1], [0.5, 0.2, 2.0, 0.3],
              [0.0, 0.1, 0.3, 1.0]])
B = np.array([1.0, -2.0, 0.5, 3.0])
ROSENBROCK_START = (-1.5, 2.0)


def quadratic(theta):
    """½·θᵀAθ − bᵀθ (convex: A is positive definite); minimum at θ* = A⁻¹b."""
    return 0.5 * (theta @ (Tensor(A) @ theta)) - (Tensor(B) * theta).sum()


def rosenbrock(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def double_well(x):
    """x² − y² + y⁴/4: a saddle at (0, 0), minima at (0, ±√2)."""
    return x[0] ** 2 - x[1] ** 2 + x[1] ** 4 / 4


@pytest.mark.parametrize("cls", [optim.Newton, optim.NewtonCG])
def test_one_step_reaches_the_minimum_of_a_convex_quadratic(cls):
    # two parameters (a (2, 1) matrix and a vector), to check the flattening too
    first, second = Tensor(np.zeros((2, 1)), requires_grad=True), Tensor(np.zeros(2),
                                                                         requires_grad=True)
    opt = cls([first, second])
    opt.step(lambda: quadratic(concatenate([first.reshape(-1), second])))
    theta = np.concatenate([first.data.ravel(), second.data])
    np.testing.assert_allclose(theta, np.linalg.solve(A, B), rtol=0, atol=1e-10)


# Steps from (−1.5, 2) until max|x − (1, 1)| < 1e-8, measured and pinned: pure Newton
# takes non-monotone steps that the Armijo test would refuse, so it is faster here.
ROSENBROCK_STEPS = [
    (optim.Newton, {}, 7),
    (optim.Newton, {"line_search_fn": "backtracking"}, 22),
    (optim.NewtonCG, {}, 22),
    (optim.NewtonCG, {"line_search_fn": None}, 7),
]


@pytest.mark.parametrize("cls, kwargs, steps", ROSENBROCK_STEPS,
                         ids=[f"{c.__name__}-{k.get('line_search_fn', 'default')}"
                              for c, k, _ in ROSENBROCK_STEPS])
def test_rosenbrock_from_minus_1_5_2_reaches_1e_8_of_the_minimum(cls, kwargs, steps):
    x = Tensor(np.array(ROSENBROCK_START), requires_grad=True)
    opt = cls([x], **kwargs)
    taken = 0
    while np.abs(x.data - 1.0).max() >= 1e-8 and taken < 100:
        opt.step(lambda: rosenbrock(x))
        taken += 1
    assert taken == steps


def test_newton_hessian_is_autograd_hessian_and_newton_cg_products_are_autograd_hvp():
    start = np.array([0.3, -0.7])
    x = Tensor(start.copy(), requires_grad=True)
    newton = optim.Newton([x])
    _, g, grads = newton._loss_and_gradient(lambda: rosenbrock(x))
    np.testing.assert_allclose(newton.hessian(grads), hessian(rosenbrock)(start), rtol=1e-14)
    cg = optim.NewtonCG([x])
    _, _, grads = cg._loss_and_gradient(lambda: rosenbrock(x))
    v = np.array([0.4, 1.3])
    np.testing.assert_allclose(cg._second_derivative(grads, v), hvp(rosenbrock, start, v),
                               rtol=1e-14)


def test_damping_is_levenberg_marquardt():
    # (A + μI)·p = −g: with μ = 2 the exact solve; with μ = 1e6 nearly −g/μ
    for mu in (2.0, 1e6):
        theta = Tensor(np.zeros(4), requires_grad=True)
        opt = optim.Newton([theta], damping=mu)
        opt.step(lambda theta=theta: quadratic(theta))
        np.testing.assert_allclose(theta.data, np.linalg.solve(A + mu * np.eye(4), B),
                                   rtol=1e-12)
        assert opt.state[theta]["damping"] == mu
    np.testing.assert_allclose(theta.data, B / 1e6, rtol=1e-5)


@pytest.mark.parametrize("cls", [optim.Newton, optim.NewtonCG])
def test_negative_curvature_steps_downhill_instead_of_to_the_saddle(cls):
    # With the Armijo line search (NewtonCG's default) every step decreases f; Newton's
    # fallback alone guarantees a descent direction, not that a unit step decreases f.
    start = np.array([1.0, 0.1])  # ∂²f/∂y² = −2 + 3y² < 0 here
    H = hessian(double_well)(start)
    assert np.linalg.eigvalsh(H).min() < 0
    # the raw Newton step solves H·p = −g and lands on the saddle's side: |y| shrinks
    raw = start + np.linalg.solve(H, -np.array([2.0, -2 * 0.1 + 0.1**3]))
    assert abs(raw[1]) < abs(start[1]) and double_well(Tensor(raw)).item() > -0.01
    x = Tensor(start.copy(), requires_grad=True)
    opt = cls([x], line_search_fn="backtracking")
    losses = [double_well(x).item()]
    for _ in range(30):
        opt.step(lambda: double_well(x))
        losses.append(double_well(x).item())
    assert all(b < a or b == a == losses[-1] for a, b in zip(losses, losses[1:], strict=False))
    np.testing.assert_allclose(x.data, [0.0, np.sqrt(2.0)], atol=1e-8)  # a minimum


def test_newton_without_line_search_at_negative_curvature_still_finds_a_minimum():
    x = Tensor(np.array([1.0, 0.1]), requires_grad=True)
    opt = optim.Newton([x])
    opt.step(lambda: double_well(x))
    # H = diag(2, −1.97): Cholesky of H + μI first succeeds at μ = 2e-3·2¹⁰ = 2.048
    assert opt.state[x]["damping"] == pytest.approx(2.048)
    for _ in range(7):
        opt.step(lambda: double_well(x))
    np.testing.assert_allclose(x.data, [0.0, np.sqrt(2.0)], atol=1e-8)


@pytest.mark.parametrize("cls", [optim.Newton, optim.NewtonCG])
def test_singular_hessian_still_gives_a_finite_descent_step(cls):
    # f = (x + y)²: H = [[2, 2], [2, 2]] has rank 1; every point with x + y = 0 is a minimum
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    opt = cls([x])
    loss = lambda: (x[0] + x[1]) ** 2  # noqa: E731
    before = loss().item()
    opt.step(loss)
    assert np.all(np.isfinite(x.data))
    assert loss().item() <= 1e-6 * before


def test_newton_with_an_unused_parameter_leaves_it_where_it_is():
    used, unused = (Tensor(np.array([3.0]), requires_grad=True) for _ in range(2))
    opt = optim.Newton([used, unused])
    opt.step(lambda: ((used - 1) ** 2).sum())
    assert unused.data[0] == 3.0
    # H = diag(2, 0) is singular: the fallback adds μ = β = 2e-3, so 3 − 4/2.002
    assert used.data[0] == pytest.approx(3 - 4 / 2.002, rel=1e-12)


def test_newton_cg_counts_its_hessian_vector_products():
    theta = Tensor(np.zeros(4), requires_grad=True)
    opt = optim.NewtonCG([theta], max_cg_iter=2)
    opt.step(lambda: quadratic(theta))
    assert opt.state[theta]["cg_iters"] == 2 and opt.state[theta]["hvp_calls"] == 2
    opt.step(lambda: quadratic(theta))
    assert opt.state[theta]["hvp_calls"] == 4


@pytest.mark.parametrize("cls", [optim.Newton, optim.NewtonCG])
def test_closure_that_calls_backward_is_refused_with_a_clear_message(cls):
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    opt = cls([x])

    def closure():
        opt.zero_grad()
        loss = rosenbrock(x)
        loss.backward()
        return loss

    with pytest.raises(RuntimeError, match=r"closure called backward\(\)"):
        opt.step(closure)
    assert x.data.tolist() == [1.0, 2.0]


@pytest.mark.parametrize("cls", [optim.Newton, optim.NewtonCG])
def test_second_order_step_needs_a_closure_returning_one_number(cls):
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    opt = cls([x])
    with pytest.raises(TypeError, match=rf"{cls.__name__}.step needs a closure"):
        opt.step()
    with pytest.raises(ValueError, match=r"Tensor of one element, got a Tensor of shape \(2,\)"):
        opt.step(lambda: x * 2)


def test_newton_refuses_a_model_too_big_for_its_hessian():
    with pytest.raises(ValueError, match="6000 parameters .* use optim.NewtonCG or optim.LBFGS"):
        optim.Newton([Tensor(np.zeros(6000), requires_grad=True)])


@pytest.mark.parametrize("cls, kwargs, error, match", [
    (optim.Newton, {"lr": 0.0}, ValueError, "Invalid learning rate: 0.0"),
    (optim.Newton, {"damping": -1.0}, ValueError, "Invalid damping: -1.0"),
    (optim.Newton, {"damping": float("inf")}, ValueError, "Invalid damping: inf"),
    (optim.Newton, {"line_search_fn": "strong_wolfe"}, ValueError,
     "line_search_fn must be None or 'backtracking'"),
    (optim.NewtonCG, {"max_cg_iter": 0}, ValueError, "max_cg_iter must be None or a positive"),
    (optim.NewtonCG, {"cg_tolerance": 1.0}, ValueError, "Invalid cg_tolerance: 1.0"),
    (optim.NewtonCG, {"cg_tolerance": "tight"}, TypeError, "cg_tolerance must be a real"),
])
def test_bad_hyperparameters_raise(cls, kwargs, error, match):
    with pytest.raises(error, match=match):
        cls([Tensor(np.zeros(2), requires_grad=True)], **kwargs)


@pytest.mark.parametrize("cls", [optim.Newton, optim.NewtonCG])
def test_parameter_groups_are_refused(cls):
    a, b = (Tensor(np.zeros(2), requires_grad=True) for _ in range(2))
    with pytest.raises(ValueError, match="parameter groups"):
        cls([{"params": [a]}, {"params": [b]}])


@pytest.mark.parametrize("cls", [optim.Newton, optim.NewtonCG])
def test_nan_gradient_raises_floating_point_error_and_changes_nothing(cls):
    x = Tensor(np.array([-1.0, 2.0]), requires_grad=True)
    opt = cls([x])
    with pytest.raises(FloatingPointError, match="NaN or inf"):
        opt.step(lambda: (x * np.nan).sum())
    assert x.data.tolist() == [-1.0, 2.0]


@pytest.mark.parametrize("cls", [optim.Newton, optim.NewtonCG])
def test_float32_parameters_stay_float32(cls):
    x = Tensor(np.array(ROSENBROCK_START, dtype=np.float32), requires_grad=True)
    opt = cls([x])
    for _ in range(30):
        opt.step(lambda: rosenbrock(x))
    assert x.data.dtype == np.float32
    np.testing.assert_allclose(x.data, [1.0, 1.0], atol=1e-3)


@pytest.mark.parametrize("cls", [optim.Newton, optim.NewtonCG])
def test_state_dict_round_trip(cls):
    x = Tensor(np.array(ROSENBROCK_START), requires_grad=True)
    opt = cls([x])
    opt.step(lambda: rosenbrock(x))
    saved = opt.state_dict()
    other = cls([Tensor(np.array(ROSENBROCK_START), requires_grad=True)])
    other.load_state_dict(saved)
    assert other.state_dict() == saved
    assert saved["state"][0]["step"] == 1


@pytest.mark.parametrize("cls", [optim.Newton, optim.NewtonCG])
def test_step_bumps_the_version_of_its_parameters(cls):
    x = Tensor(np.array(ROSENBROCK_START), requires_grad=True)
    y = x * x  # a graph that saved x
    cls([x]).step(lambda: rosenbrock(x))
    with pytest.raises(RuntimeError, match="version|modified"):
        y.sum().backward()


@pytest.mark.parametrize("cls", [optim.Newton, optim.NewtonCG])
def test_step_inside_no_grad_still_differentiates_the_closure(cls):
    from autograd import no_grad

    theta = Tensor(np.zeros(4), requires_grad=True)
    opt = cls([theta])
    with no_grad():
        opt.step(lambda: quadratic(theta))
    np.testing.assert_allclose(theta.data, np.linalg.solve(A, B), atol=1e-10)


def test_backtracking_puts_the_parameters_back_when_the_closure_raises():
    x = Tensor(np.array(ROSENBROCK_START), requires_grad=True)
    opt = optim.NewtonCG([x])
    calls = []

    def closure():
        calls.append(1)
        if len(calls) == 2:  # the line search's first trial
            raise KeyboardInterrupt
        return rosenbrock(x)

    with pytest.raises(KeyboardInterrupt):
        opt.step(closure)
    assert x.data.tolist() == list(ROSENBROCK_START)


@pytest.mark.parametrize("cls, key, bad", [(optim.Newton, "damping", -1.0),
                                           (optim.NewtonCG, "cg_tolerance", 2.0),
                                           (optim.LBFGS, "history_size", 0)])
def test_hyperparameters_are_checked_when_set_and_again_when_step_reads_them(cls, key, bad):
    x = Tensor(np.array(ROSENBROCK_START), requires_grad=True)
    opt = cls([x])
    with pytest.raises(ValueError, match=key):
        opt.param_groups[0][key] = bad
    dict.__setitem__(opt.param_groups[0], key, bad)  # behind the check's back
    with pytest.raises(ValueError, match=key):
        opt.step(lambda: rosenbrock(x))
    assert x.data.tolist() == list(ROSENBROCK_START)
