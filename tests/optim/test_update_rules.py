"""Each optimiser follows the update rule its docstring states.

Every rule is transcribed below from the docstring into plain numpy, in the textbook
grouping (bias-corrected m̂ and v̂ for Adam, β·m + (1 − β)·g rather than PyTorch's
lerp), and run for 20 steps on the fixed problem of optim_problem.py next to the
optimiser. The two must agree to 1e-12 relative: only rounding may differ.
"""

from __future__ import annotations

import numpy as np
import pytest
from optim_problem import STEPS, gradient, initial_arrays, make_params, run

from optim import SGD, Adadelta, Adagrad, Adam, AdamW, Momentum, Nesterov, RMSprop

RTOL, ATOL = 1e-12, 1e-14


def trajectory(update, state_of, steps=STEPS, dtype=np.float64):
    """Run update(x, g, state, t) on each parameter; rows of flattened parameters."""
    xs = initial_arrays(dtype)
    states = [state_of(x) for x in xs]
    rows = []
    for t in range(1, steps + 1):
        for i, x in enumerate(xs):
            xs[i] = update(x, gradient(i, x), states[i], t)
        rows.append(np.concatenate([x.ravel() for x in xs]))
    return np.array(rows)


def sgd_rule(lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, maximize=False):
    def update(x, g, s, t):
        g = -g if maximize else g  # 1
        g = g + weight_decay * x  # 2
        if momentum == 0:
            return x - lr * g  # 5 with d = g
        s["b"] = g if t == 1 else momentum * s["b"] + (1 - dampening) * g  # 3
        d = g + momentum * s["b"] if nesterov else s["b"]  # 4
        return x - lr * d  # 5

    return update, lambda x: {}


def adagrad_rule(
    lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10, maximize=False
):
    def update(x, g, s, t):
        g = -g if maximize else g
        g = g + weight_decay * x
        lr_t = lr / (1 + (t - 1) * lr_decay)
        s["sum"] = s["sum"] + g**2
        return x - lr_t * g / (np.sqrt(s["sum"]) + eps)

    return update, lambda x: {"sum": np.full_like(x, initial_accumulator_value)}


def adadelta_rule(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False):
    def update(x, g, s, t):
        g = -g if maximize else g
        g = g + weight_decay * x
        s["v"] = rho * s["v"] + (1 - rho) * g**2
        delta = np.sqrt(s["u"] + eps) / np.sqrt(s["v"] + eps) * g
        s["u"] = rho * s["u"] + (1 - rho) * delta**2
        return x - lr * delta

    return update, lambda x: {"v": np.zeros_like(x), "u": np.zeros_like(x)}


def rmsprop_rule(
    lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False, maximize=False
):
    def update(x, g, s, t):
        g = -g if maximize else g
        g = g + weight_decay * x
        s["v"] = alpha * s["v"] + (1 - alpha) * g**2
        v_hat = s["v"]
        if centered:
            s["g_avg"] = alpha * s["g_avg"] + (1 - alpha) * g
            v_hat = s["v"] - s["g_avg"] ** 2
        d = g / (np.sqrt(v_hat) + eps)
        if momentum > 0:
            s["b"] = momentum * s["b"] + d
            return x - lr * s["b"]
        return x - lr * d

    return update, lambda x: {
        "v": np.zeros_like(x),
        "g_avg": np.zeros_like(x),
        "b": np.zeros_like(x),
    }


def adam_rule(
    lr=1e-3,
    betas=(0.9, 0.999),
    eps=1e-8,
    weight_decay=0,
    amsgrad=False,
    maximize=False,
    decoupled=False,
):
    beta1, beta2 = betas

    def update(x, g, s, t):
        g = -g if maximize else g
        if decoupled:
            x = x * (1 - lr * weight_decay)  # AdamW step 2
        else:
            g = g + weight_decay * x  # Adam step 2
        s["m"] = beta1 * s["m"] + (1 - beta1) * g
        s["v"] = beta2 * s["v"] + (1 - beta2) * g**2
        s["v_max"] = np.maximum(s["v_max"], s["v"])
        m_hat = s["m"] / (1 - beta1**t)
        v_hat = (s["v_max"] if amsgrad else s["v"]) / (1 - beta2**t)
        return x - lr * m_hat / (np.sqrt(v_hat) + eps)

    return update, lambda x: {
        "m": np.zeros_like(x),
        "v": np.zeros_like(x),
        "v_max": np.zeros_like(x),
    }


def adamw_rule(
    lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, maximize=False
):
    return adam_rule(lr, betas, eps, weight_decay, amsgrad, maximize, decoupled=True)


CASES = [
    (SGD, sgd_rule, {"lr": 0.05}),
    (SGD, sgd_rule, {"lr": 0.05, "momentum": 0.9}),
    (SGD, sgd_rule, {"lr": 0.05, "momentum": 0.9, "dampening": 0.3}),
    (SGD, sgd_rule, {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    (SGD, sgd_rule, {"lr": 0.05, "weight_decay": 0.1}),
    (SGD, sgd_rule, {"lr": 0.002, "momentum": 0.5, "maximize": True}),
    (SGD, sgd_rule, {"lr": 0.03, "momentum": 0.8, "weight_decay": 0.05, "nesterov": True}),
    (Adagrad, adagrad_rule, {}),
    (Adagrad, adagrad_rule, {"lr": 0.1, "lr_decay": 0.05}),
    (Adagrad, adagrad_rule, {"lr": 0.1, "weight_decay": 0.1}),
    (Adagrad, adagrad_rule, {"lr": 0.1, "initial_accumulator_value": 0.5, "eps": 1e-3}),
    (Adagrad, adagrad_rule, {"lr": 0.05, "maximize": True}),
    (Adadelta, adadelta_rule, {}),
    (Adadelta, adadelta_rule, {"lr": 0.5, "rho": 0.5, "eps": 1e-3}),
    (Adadelta, adadelta_rule, {"weight_decay": 0.1}),
    (Adadelta, adadelta_rule, {"maximize": True}),
    (RMSprop, rmsprop_rule, {}),
    (RMSprop, rmsprop_rule, {"centered": True}),
    (RMSprop, rmsprop_rule, {"momentum": 0.9}),
    (RMSprop, rmsprop_rule, {"lr": 0.005, "momentum": 0.5, "centered": True, "alpha": 0.9}),
    (RMSprop, rmsprop_rule, {"weight_decay": 0.1}),
    (RMSprop, rmsprop_rule, {"maximize": True}),
    (Adam, adam_rule, {}),
    (Adam, adam_rule, {"lr": 0.05}),
    (Adam, adam_rule, {"lr": 0.05, "amsgrad": True}),
    (Adam, adam_rule, {"lr": 0.05, "weight_decay": 0.1}),
    (Adam, adam_rule, {"lr": 0.05, "betas": (0.3, 0.9), "eps": 1e-6}),
    (Adam, adam_rule, {"lr": 0.05, "maximize": True, "amsgrad": True}),
    (AdamW, adamw_rule, {}),
    (AdamW, adamw_rule, {"lr": 0.05}),
    (AdamW, adamw_rule, {"lr": 0.05, "amsgrad": True, "weight_decay": 0.5}),
    (AdamW, adamw_rule, {"lr": 0.05, "maximize": True}),
]


def case_id(case):
    cls, _, kwargs = case
    return cls.__name__ + "(" + ",".join(f"{k}={v}" for k, v in kwargs.items()) + ")"


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_twenty_steps_follow_the_documented_rule(case):
    cls, rule, kwargs = case
    expected = trajectory(*rule(**kwargs))
    params = make_params()
    actual = run(cls(params, **kwargs), params)
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL)
    assert not np.allclose(actual[-1], expected[0]), "the parameters must have moved"


@pytest.mark.parametrize(
    "flag_case",
    [
        (SGD, {"lr": 0.05, "momentum": 0.9}, {"lr": 0.05}),
        (SGD, {"lr": 0.05, "momentum": 0.9, "dampening": 0.3}, {"lr": 0.05, "momentum": 0.9}),
        (SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True}, {"lr": 0.05, "momentum": 0.9}),
        (Adagrad, {"lr": 0.1, "lr_decay": 0.05}, {"lr": 0.1}),
        (RMSprop, {"centered": True}, {}),
        (Adam, {"lr": 0.05, "amsgrad": True}, {"lr": 0.05}),
        (AdamW, {"lr": 0.05, "weight_decay": 0.1}, {"lr": 0.05, "weight_decay": 0.0}),
        (Adam, {"lr": 0.05, "weight_decay": 0.1}, {"lr": 0.05}),
    ],
    ids=lambda c: f"{c[0].__name__}{sorted(set(c[1].items()) - set(c[2].items()))}",
)
def test_each_flag_changes_the_trajectory(flag_case):
    """The flag cases above are not vacuous: each flag moves the parameters differently."""
    cls, with_flag, without = flag_case
    a, b = make_params(), make_params()
    assert np.abs(run(cls(a, **with_flag), a) - run(cls(b, **without), b)).max() > 1e-6


def test_adamw_decay_differs_from_adam_l2():
    a, b = make_params(), make_params()
    adam = run(Adam(a, lr=0.05, weight_decay=0.1), a)
    adamw = run(AdamW(b, lr=0.05, weight_decay=0.1), b)
    assert np.abs(adam - adamw).max() > 1e-3


def test_momentum_and_nesterov_are_sgd_with_those_flags():
    a, b, c, d = (make_params() for _ in range(4))
    np.testing.assert_array_equal(
        run(Momentum(a, lr=0.05), a), run(SGD(b, lr=0.05, momentum=0.9), b)
    )
    np.testing.assert_array_equal(
        run(Nesterov(c, lr=0.05, momentum=0.8), c),
        run(SGD(d, lr=0.05, momentum=0.8, nesterov=True), d),
    )
    assert isinstance(Momentum(make_params()), SGD)
    assert Nesterov(make_params()).defaults["nesterov"] is True


def test_adadelta_at_default_lr_is_zeilers_rule_without_a_learning_rate():
    """Zeiler's Adadelta has no η; PyTorch's default η = 1 makes the two the same."""
    params = make_params()
    actual = run(Adadelta(params), params)
    expected = trajectory(*adadelta_rule(lr=1.0))
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL)
