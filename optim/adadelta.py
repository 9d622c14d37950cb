"""Adadelta: steps whose size comes from the ratio of two running RMS values."""

from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, check_common, check_eps, check_real


class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012), PyTorch's form.

    Each step, for a parameter θ with gradient g (decay ρ, learning rate η, weight
    decay λ):

        1. g ← −g                              if maximize
        2. g ← g + λ·θ                         if λ ≠ 0
        3. v ← ρ·v + (1 − ρ)·g²                running mean of squared gradients
        4. Δ ← √(u + ε) / √(v + ε) · g         u: running mean of squared steps
        5. u ← ρ·u + (1 − ρ)·Δ²
        6. θ ← θ − η·Δ

    The ratio of the two RMS values gives the step the units of θ, so Zeiler's method
    has no learning rate at all: it is η = 1, the default here. PyTorch (and this class)
    still multiplies by η. ε sits inside both square roots; with u = 0 at the start,
    √ε sets the size of the first steps. The study text groups it with Adagrad and
    RMSprop as a method that adapts each coordinate's step size.

    Defaults are PyTorch's: lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False
    (keyword-only). eps must be > 0 (PyTorch also accepts 0). State: "step",
    "square_avg" (v), "acc_delta" (u).
    """

    _required_state = {None: ("step", "square_avg", "acc_delta")}

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, *, maximize=False):
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    @staticmethod
    def _validate(group):
        check_common(group)
        check_eps(group)
        check_real(group, "rho")
        if not 0.0 <= group["rho"] <= 1.0:
            raise ValueError(f"Invalid rho value: {group['rho']}")

    def _update(self, p, grad, state, group):
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(p.data)
            state["acc_delta"] = np.zeros_like(p.data)
        lr, rho, eps = float(group["lr"]), float(group["rho"]), float(group["eps"])
        wd = float(group["weight_decay"])
        if group["maximize"]:
            grad = -grad
        if wd != 0:
            grad = grad + wd * p.data
        state["step"] += 1
        v, u = state["square_avg"], state["acc_delta"]
        v *= rho
        v += (1 - rho) * grad * grad
        delta = np.sqrt(u + eps) / np.sqrt(v + eps) * grad
        u *= rho
        u += (1 - rho) * delta * delta
        p.data -= lr * delta
