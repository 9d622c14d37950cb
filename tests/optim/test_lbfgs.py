"""optim.LBFGS: PyTorch's numbers on three problems, its API, its state dict, bad input.

lbfgs_reference.json was recorded by make_lbfgs_reference.py with torch 2.13.0 on the
problems of lbfgs_problems.py; the losses there are torch's, here tracegrad's.
"""

from __future__ import annotations

import json
import pathlib

import lbfgs_problems as problems
import numpy as np
import pytest

import nn
import optim
from autograd import Tensor

REFERENCE = json.loads(pathlib.Path(__file__).with_name("lbfgs_reference.json").read_text())
# The loss and gradient are computed by two libraries, whose roundings differ in the last
# bit; L-BFGS then amplifies them (on Rosenbrock near its minimum the loss is flat to
# 1e-16 over a 1e-8 neighbourhood). The cases are chosen so 20 steps stay within 1e-10.
RTOL = 1e-10


def rosenbrock(params):
    (x,) = params
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def hyperbola(params):
    (x,) = params
    return ((x * x + 0.01).sqrt() - 0.3 * x).sum()


LOGISTIC_DATA = problems.logistic_data()
MLP_DATA = problems.mlp_data()


def logistic(params):
    w, b = params
    X, y = LOGISTIC_DATA
    z = Tensor(X) @ w + b
    return (nn.binary_cross_entropy_with_logits(z, y)
            + 0.5 * problems.L2 * (w * w).sum())


def mlp(params):
    W1, b1, W2, b2 = params
    X, y = MLP_DATA
    logits = (Tensor(X) @ W1.T + b1).tanh() @ W2.T + b2
    return nn.cross_entropy(logits, y)


LOSSES = {"rosenbrock": rosenbrock, "hyperbola": hyperbola, "logistic": logistic, "mlp": mlp}


def make(problem, **kwargs):
    params = [Tensor(a, requires_grad=True) for a in problems.INIT[problem]()]
    opt = optim.LBFGS(params, **kwargs)

    def closure():
        opt.zero_grad()
        loss = LOSSES[problem](params)
        loss.backward()
        return loss

    return params, opt, closure


def run(problem, kwargs, steps=problems.STEPS):
    params, opt, closure = make(problem, **kwargs)
    rows, losses, evals, iters = [], [], [], []
    for _ in range(steps):
        losses.append(float(opt.step(closure)))
        rows.append(np.concatenate([p.data.ravel() for p in params]))
        state = opt.state[params[0]]
        evals.append(state["func_evals"])
        iters.append(state["n_iter"])
    return np.array(rows), losses, evals, iters


def test_reference_file_was_recorded_with_pytorch_2_13():
    assert REFERENCE["torch_version"].startswith("2.13")
    assert set(REFERENCE["cases"]) == set(problems.CASES)


@pytest.mark.parametrize("case", sorted(problems.CASES))
def test_lbfgs_matches_pytorch_for_20_steps(case):
    ref = REFERENCE["cases"][case]
    rows, losses, evals, iters = run(ref["problem"], ref["kwargs"])
    assert evals == ref["func_evals"] and iters == ref["n_iter"]
    np.testing.assert_allclose(rows, ref["trajectory"], rtol=RTOL, atol=RTOL)
    np.testing.assert_allclose(losses, ref["losses"], rtol=RTOL, atol=1e-15)


@pytest.mark.parametrize("case", sorted(problems.CASES))
def test_live_pytorch_agrees(case):
    """Optional: with torch installed, record PyTorch now and compare."""
    torch = pytest.importorskip("torch")
    import importlib.util

    path = pathlib.Path(__file__).with_name("make_lbfgs_reference.py")
    spec = importlib.util.spec_from_file_location("make_lbfgs_reference", path)
    maker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(maker)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # as the recorder; later tests expect torch's own
    try:
        theirs = maker.record(*problems.CASES[case])
    finally:
        torch.set_default_dtype(previous)
    rows, losses, evals, iters = run(*problems.CASES[case])
    assert evals == theirs["func_evals"] and iters == theirs["n_iter"]
    np.testing.assert_allclose(rows, theirs["trajectory"], rtol=RTOL, atol=RTOL)


def test_live_pytorch_comparison_leaves_torch_default_dtype_alone():
    torch = pytest.importorskip("torch")
    assert torch.get_default_dtype() == torch.float32  # torch's default: no earlier test changed it
    test_live_pytorch_agrees(sorted(problems.CASES)[0])
    assert torch.get_default_dtype() == torch.float32


@pytest.mark.parametrize("case", sorted(problems.CASES))
def test_lbfgs_state_after_20_steps_matches_pytorch(case):
    ref = REFERENCE["cases"][case]
    params, opt, closure = make(ref["problem"], **ref["kwargs"])
    for _ in range(REFERENCE["steps"]):
        opt.step(closure)
    final = ref["final_state"]
    saved = opt.state_dict()["state"][0]
    assert sorted(saved) == sorted(set(final["state_keys"]) - {"al"})  # "al" is scratch
    assert len(saved["old_dirs"]) == len(saved["old_stps"]) == final["history"]
    np.testing.assert_allclose(saved["d"], final["d"], rtol=RTOL, atol=RTOL)
    np.testing.assert_allclose([saved["t"], saved["H_diag"], saved["prev_loss"]],
                               [final["t"], final["H_diag"], final["prev_loss"]], rtol=1e-9)


# -- the line search on its own ----------------------------------------------------------


def quadratic_phi(a=2.0, b=-3.0):
    """φ(t) of f(x) = ½·a·x² + b·x from x = 0 along d = 1: f, ∇f at t."""
    return lambda t: (0.5 * a * t * t + b * t, np.array([a * t + b]))


def test_strong_wolfe_step_satisfies_both_conditions():
    phi = quadratic_phi()
    f0, g0 = phi(0.0)
    d = np.array([1.0])
    gtd = float(g0 @ d)
    f, g, t, evals = optim.lbfgs.strong_wolfe(phi, 10.0, d, f0, g0, gtd)
    assert f <= f0 + 1e-4 * t * gtd
    assert abs(float(g @ d)) <= 0.9 * abs(gtd)
    assert evals >= 2  # t = 10 overshoots: the zoom phase ran


def test_strong_wolfe_without_a_wolfe_step_returns_the_best_point_seen():
    # f = −x decreases forever along d: no step flattens the slope, so after max_ls
    # extrapolations the search gives up and returns the lowest point it evaluated.
    phi = lambda t: (-t, np.array([-1.0]))  # noqa: E731
    f, g, t, evals = optim.lbfgs.strong_wolfe(phi, 1.0, np.array([1.0]), 0.0, np.array([-1.0]),
                                              -1.0, max_ls=3)
    assert evals == 4 and t == 1000.0 and f == -1000.0


def test_strong_wolfe_stops_zooming_when_the_bracket_is_below_tolerance_change():
    phi = quadratic_phi()
    f0, g0 = phi(0.0)
    calls = []

    def counted(t):
        calls.append(t)
        return phi(t)

    # The first trial overshoots; the bracket [0, 100] times max|d| = 1 is below 1e3.
    f, g, t, evals = optim.lbfgs.strong_wolfe(counted, 100.0, np.array([1.0]), f0, g0,
                                              float(g0[0]), tolerance_change=1e3)
    assert calls == [100.0] and evals == 1 and t == 0.0 and f == f0


def test_cubic_minimizer_is_exact_on_a_cubic():
    # f(t) = (t − 1)³/3 − (t − 1) + 2 has its local minimum at t = 2.
    f = lambda t: (t - 1) ** 3 / 3 - (t - 1) + 2  # noqa: E731
    df = lambda t: (t - 1) ** 2 - 1  # noqa: E731
    for a, b in [(0.5, 3.0), (3.0, 0.5), (1.5, 2.5)]:
        t = optim.lbfgs.cubic_minimizer((a, f(a), df(a)), (b, f(b), df(b)))
        assert t == pytest.approx(2.0, rel=1e-12)
    # f = t³ + t has no turning point, so no real minimiser: the middle of the bounds
    t = optim.lbfgs.cubic_minimizer((0.0, 0.0, 1.0), (1.0, 2.0, 4.0), bounds=(0.0, 4.0))
    assert t == 2.0


def test_live_pytorch_line_search_agrees():
    """Optional: torch's own strong-Wolfe search on the same φ, including the zoom."""
    torch = pytest.importorskip("torch")
    import importlib

    theirs_fn = importlib.import_module("torch.optim.lbfgs")._strong_wolfe
    cases = [(2.0, -3.0, 10.0, 1e-9), (0.1, -1.0, 1e-3, 1e-9), (2.0, -3.0, 100.0, 1e3),
             (0.0, -1.0, 1.0, 1e-9)]  # the last: linear, f' equal everywhere
    for a, b, t0, tol in cases:
        phi = quadratic_phi(a, b)

        def torch_phi(x, t, d, phi=phi):
            f, g = phi(float(t))
            return f, torch.from_numpy(g)

        f0, g0 = phi(0.0)
        ours = optim.lbfgs.strong_wolfe(phi, t0, np.array([1.0]), f0, g0, b,
                                        tolerance_change=tol)
        theirs = theirs_fn(torch_phi, None, t0, torch.ones(1, dtype=torch.float64), f0,
                           torch.from_numpy(g0), torch.tensor(b, dtype=torch.float64),
                           tolerance_change=tol)
        assert ours[3] == theirs[3]
        np.testing.assert_allclose([ours[0], ours[2]], [float(theirs[0]), float(theirs[2])],
                                   rtol=1e-12)


# -- API and state ------------------------------------------------------------------------


def test_lbfgs_defaults_are_pytorchs():
    opt = optim.LBFGS([Tensor(np.zeros(2), requires_grad=True)])
    group = opt.param_groups[0]
    assert {k: v for k, v in group.items() if k != "params"} == {
        "lr": 1, "max_iter": 20, "max_eval": 25, "tolerance_grad": 1e-7,
        "tolerance_change": 1e-9, "history_size": 100, "line_search_fn": None}
    assert optim.LBFGS([Tensor(np.zeros(2), requires_grad=True)], max_iter=7).defaults[
        "max_eval"] == 8


def test_lbfgs_state_dict_resumes_the_same_trajectory():
    params, opt, closure = make("mlp", max_iter=3, history_size=4)
    for _ in range(4):
        opt.step(closure)
    saved = opt.state_dict()
    n_iter = opt.state[params[0]]["n_iter"]
    values = [p.data.copy() for p in params]
    for _ in range(3):
        opt.step(closure)
    expected = [p.data.copy() for p in params]

    params2, opt2, closure2 = make("mlp", max_iter=3, history_size=4)
    for p, v in zip(params2, values, strict=True):
        p.data = v.copy()
    opt2.load_state_dict(saved)
    for _ in range(3):
        opt2.step(closure2)
    for a, b in zip(params2, expected, strict=True):
        np.testing.assert_array_equal(a.data, b)
    # the saved dict was copied: stepping did not change it
    assert saved["state"][0]["n_iter"] == n_iter < opt.state[params[0]]["n_iter"]


def test_lbfgs_load_state_dict_refuses_history_of_the_wrong_size_and_changes_nothing():
    params, opt, closure = make("rosenbrock")
    opt.step(closure)
    saved = opt.state_dict()
    _, other, _ = make("logistic")
    before = other.state_dict()
    with pytest.raises(ValueError, match=r"LBFGS.load_state_dict: state '\w+' holds a vector of "
                                         r"shape \(2,\), but the parameters have 65 elements"):
        other.load_state_dict(saved)
    assert other.state_dict() == before


def test_lbfgs_step_without_a_closure_raises():
    opt = optim.LBFGS([Tensor(np.zeros(2), requires_grad=True)])
    with pytest.raises(TypeError, match="LBFGS.step needs a closure"):
        opt.step()


def test_lbfgs_refuses_parameter_groups():
    a, b = (Tensor(np.zeros(2), requires_grad=True) for _ in range(2))
    with pytest.raises(ValueError, match="parameter groups"):
        optim.LBFGS([{"params": [a]}, {"params": [b], "lr": 0.1}])
    opt = optim.LBFGS([a])
    with pytest.raises(ValueError, match="parameter groups"):
        opt.add_param_group({"params": [b]})


@pytest.mark.parametrize("kwargs, error, match", [
    ({"lr": -1.0}, ValueError, "Invalid learning rate: -1.0"),
    ({"max_iter": 0}, ValueError, "max_iter must be a positive int, got 0"),
    ({"max_iter": 2.5}, ValueError, "max_iter must be a positive int, got 2.5"),
    ({"history_size": 0}, ValueError, "history_size must be a positive int"),
    ({"tolerance_grad": -1e-3}, ValueError, "Invalid tolerance_grad"),
    ({"tolerance_change": "1e-9"}, TypeError, "tolerance_change must be a real number"),
    ({"line_search_fn": "armijo"}, ValueError, "line_search_fn must be None or 'strong_wolfe'"),
])
def test_lbfgs_bad_hyperparameters_raise(kwargs, error, match):
    with pytest.raises(error, match=match):
        optim.LBFGS([Tensor(np.zeros(2), requires_grad=True)], **kwargs)


def test_lbfgs_closure_returning_a_vector_raises():
    x = Tensor(np.zeros(3), requires_grad=True)
    opt = optim.LBFGS([x])
    with pytest.raises(ValueError, match=r"closure must return the loss \(one number\), got a "
                                         r"Tensor of shape \(3,\)"):
        opt.step(lambda: x * 2)


def test_lbfgs_stops_at_once_when_the_gradient_is_below_tolerance_grad():
    x = Tensor(np.array([1.0, 1.0]), requires_grad=True)
    opt = optim.LBFGS([x])
    calls = []

    def closure():
        calls.append(1)
        opt.zero_grad()
        loss = rosenbrock([x])
        loss.backward()
        return loss

    assert float(opt.step(closure)) == 0.0
    assert len(calls) == 1 and x.data.tolist() == [1.0, 1.0]


def test_lbfgs_treats_a_missing_gradient_as_zero():
    used, unused = (Tensor(np.array([3.0]), requires_grad=True) for _ in range(2))
    opt = optim.LBFGS([used, unused], line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = ((used - 1) ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    assert used.data[0] == pytest.approx(1.0, abs=1e-8) and unused.data[0] == 3.0


def test_lbfgs_keeps_float32_parameters_float32():
    x = Tensor(np.array([-1.5, 2.0], dtype=np.float32), requires_grad=True)
    opt = optim.LBFGS([x], line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = rosenbrock([x])
        loss.backward()
        return loss

    for _ in range(5):
        opt.step(closure)
    assert x.data.dtype == np.float32
    np.testing.assert_allclose(x.data, [1.0, 1.0], atol=1e-3)


def test_lbfgs_step_bumps_the_version_of_its_parameters():
    params, opt, closure = make("rosenbrock")
    y = params[0] * params[0]  # a graph that saved x
    opt.step(closure)
    with pytest.raises(RuntimeError, match="modified by an inplace operation|version"):
        y.sum().backward()


def test_lbfgs_step_inside_no_grad_still_differentiates_the_closure():
    from autograd import no_grad

    params, opt, closure = make("rosenbrock", line_search_fn="strong_wolfe")
    with no_grad():
        opt.step(closure)
    assert opt.state[params[0]]["func_evals"] > 1
    assert rosenbrock(params).item() < 12.5  # f at the start


def test_lbfgs_line_search_puts_the_parameters_back_when_the_closure_raises():
    params, opt, closure = make("rosenbrock", line_search_fn="strong_wolfe")
    opt.step(closure)
    before = params[0].data.copy()
    calls = []

    def failing():
        calls.append(1)
        if len(calls) == 2:  # the line search's first trial
            raise KeyboardInterrupt
        return closure()

    with pytest.raises(KeyboardInterrupt):
        opt.step(failing)
    np.testing.assert_array_equal(params[0].data, before)


@pytest.mark.parametrize("failing_call", [2, 3, 6])
def test_lbfgs_line_search_puts_the_parameters_back_when_a_later_trial_raises(failing_call):
    """Trials after the first start from the saved θ₀ with θ still at the previous trial;
    a closure that raises there must leave θ₀, not that trial's point."""
    kwargs = dict(lr=1e-6, max_iter=1, max_eval=25, line_search_fn="strong_wolfe")
    _, probe, probe_closure = make("rosenbrock", **kwargs)
    probe.step(probe_closure)  # one iteration: its search extrapolates from a tiny step
    assert probe.state_dict()["state"][0]["func_evals"] >= failing_call
    params, opt, closure = make("rosenbrock", **kwargs)
    before = params[0].data.copy()
    calls = []

    def failing():
        calls.append(1)
        if len(calls) == failing_call:  # call 1 is step()'s own evaluation, then the trials
            raise KeyboardInterrupt
        return closure()

    with pytest.raises(KeyboardInterrupt):
        opt.step(failing)
    np.testing.assert_array_equal(params[0].data, before)


def test_the_problems_read_the_same_digits_as_nn_datasets():
    from nn.datasets import load_digits

    for ours, theirs in zip(problems.load_digits(), load_digits(), strict=True):
        np.testing.assert_array_equal(ours, theirs)
