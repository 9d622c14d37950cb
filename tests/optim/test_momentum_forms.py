"""The study text's Momentum and PyTorch's SGD(momentum) — the claim in SGD's docstring.

Study text:   v ← μ·v + η·g;   θ ← θ − v          (η inside the velocity)
PyTorch:      b ← μ·b + g;     θ ← θ − η·b        (η applied at the end)

Same trajectory with v = η·b while η is constant; different once η changes mid-run.
"""

from __future__ import annotations

import numpy as np
from optim_problem import STEPS, gradient, initial_arrays, make_params, run

from autograd import Tensor
from optim import SGD, Momentum
from optim.lr_scheduler import StepLR


def study_text_momentum(lrs, mu, rescale_velocity_when_lr_changes=False):
    """The study text's loop on the fixed problem; lrs[t] is η at step t."""
    xs = initial_arrays()
    vs = [np.zeros_like(x) for x in xs]
    rows = []
    for t, lr in enumerate(lrs):
        if rescale_velocity_when_lr_changes and t > 0 and lr != lrs[t - 1]:
            vs = [v * (lr / lrs[t - 1]) for v in vs]
        for i, x in enumerate(xs):
            vs[i] = mu * vs[i] + lr * gradient(i, x)
            xs[i] = x - vs[i]
        rows.append(np.concatenate([x.ravel() for x in xs]))
    return np.array(rows)


def test_study_text_worked_example_first_step():
    """Linear regression y = 2x, w = b = 0, η = 0.01, μ = 0.9, sample (x=1, y=2):
    y_pred = 0, ∇w = 2·(0 − 2)·1 = −4, ∇b = −4, so v = 0.01·(−4) and w = b = 0.04."""
    w = Tensor(0.0, requires_grad=True)
    b = Tensor(0.0, requires_grad=True)
    opt = Momentum([w, b], lr=0.01, momentum=0.9)
    ((w * 1.0 + b - 2.0) ** 2).backward()
    opt.step()
    assert w.item() == 0.04 and b.item() == 0.04


def test_study_text_worked_example_three_epochs_of_per_sample_momentum():
    xs = np.arange(1.0, 9.0)
    ys = 2 * xs
    w_t, b_t = Tensor(0.0, requires_grad=True), Tensor(0.0, requires_grad=True)
    opt = Momentum([w_t, b_t], lr=0.01, momentum=0.9)
    w = b = v_w = v_b = 0.0  # the study text's loop, verbatim in numbers
    for _ in range(3):
        for x, y in zip(xs, ys, strict=True):
            grad_w, grad_b = 2 * (w * x + b - y) * x, 2 * (w * x + b - y)
            v_w, v_b = 0.9 * v_w + 0.01 * grad_w, 0.9 * v_b + 0.01 * grad_b
            w, b = w - v_w, b - v_b
            opt.zero_grad()
            ((w_t * x + b_t - y) ** 2).backward()
            opt.step()
            np.testing.assert_allclose([w_t.item(), b_t.item()], [w, b], rtol=1e-12)


def test_both_forms_give_the_same_trajectory_while_lr_is_constant():
    params = make_params()
    ours = run(SGD(params, lr=0.05, momentum=0.9), params)
    theirs = study_text_momentum([0.05] * STEPS, mu=0.9)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)


def test_the_forms_differ_once_a_scheduler_changes_lr():
    params = make_params()
    opt = SGD(params, lr=0.05, momentum=0.9)
    ours = run(opt, params, scheduler=StepLR(opt, step_size=10, gamma=0.5))
    lrs = [0.05] * 10 + [0.025] * (STEPS - 10)
    theirs = study_text_momentum(lrs, mu=0.9)
    np.testing.assert_allclose(ours[:10], theirs[:10], rtol=1e-12, atol=1e-14)
    assert np.abs(ours[10:] - theirs[10:]).max() > 1e-3


def test_pytorch_form_applies_a_new_lr_to_the_whole_accumulated_velocity():
    """Why they differ: rescaling the study text's v by η_new/η_old at the change
    reproduces PyTorch's trajectory exactly (up to rounding)."""
    params = make_params()
    opt = SGD(params, lr=0.05, momentum=0.9)
    ours = run(opt, params, scheduler=StepLR(opt, step_size=10, gamma=0.5))
    lrs = [0.05] * 10 + [0.025] * (STEPS - 10)
    rescaled = study_text_momentum(lrs, mu=0.9, rescale_velocity_when_lr_changes=True)
    np.testing.assert_allclose(ours, rescaled, rtol=1e-12, atol=1e-14)


def test_nesterov_is_sutskevers_look_ahead_form_seen_at_the_look_ahead_point():
    """SGD's docstring: Sutskever et al.'s v ← μ·v − η·∇L(θ + μ·v); θ ← θ + v, observed at
    θ + μ·v, is PyTorch's Nesterov trajectory (constant η)."""
    lr, mu = 0.05, 0.9
    params = make_params()
    ours = run(SGD(params, lr=lr, momentum=mu, nesterov=True), params)
    thetas = initial_arrays()
    vs = [np.zeros_like(x) for x in thetas]
    look_ahead = []
    for _ in range(STEPS):
        for i, (theta, v) in enumerate(zip(thetas, vs, strict=True)):
            vs[i] = mu * v - lr * gradient(i, theta + mu * v)
            thetas[i] = theta + vs[i]
        look_ahead.append(
            np.concatenate([(t + mu * v).ravel() for t, v in zip(thetas, vs, strict=True)])
        )
    np.testing.assert_allclose(ours, look_ahead, rtol=1e-12, atol=1e-13)
