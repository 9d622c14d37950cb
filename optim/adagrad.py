"""Adagrad: per-coordinate step sizes from the running sum of squared gradients."""

from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, check_common, check_eps, check_real


class Adagrad(Optimizer):
    """Adagrad (Duchi, Hazan and Singer, 2011), PyTorch's form.

    Each step, for a parameter θ with gradient g (learning rate η, weight decay λ):

        1. g ← −g                              if maximize
        2. g ← g + λ·θ                         if λ ≠ 0
        3. t ← t + 1;   η_t ← η / (1 + (t − 1)·lr_decay)
        4. s ← s + g²                          (s starts at initial_accumulator_value)
        5. θ ← θ − η_t · g / (√s + ε)

    Every coordinate gets its own step size η_t / (√s + ε). The study text describes
    this family as shrinking the learning rate for features whose gradients are
    frequent and large and keeping it large for rare ones: s grows fastest exactly
    there. Because s only grows, the steps shrink towards zero over a long run, the
    weakness RMSprop and Adadelta fix with a running average instead of a sum.
    ε is added outside the square root, as in PyTorch (some texts write √(s + ε)).

    Defaults are PyTorch's: lr=1e-2, lr_decay=0, weight_decay=0,
    initial_accumulator_value=0, eps=1e-10, maximize=False (keyword-only). eps must be
    > 0: PyTorch also accepts 0, which gives 0/0 where a gradient has always been 0.
    State: "step" (t), "sum" (s), created at the parameter's first step (PyTorch creates
    it in the constructor; the numbers are the same).
    """

    _required_state = {None: ("step", "sum")}

    def __init__(
        self,
        params,
        lr=1e-2,
        lr_decay=0,
        weight_decay=0,
        initial_accumulator_value=0,
        eps=1e-10,
        *,
        maximize=False,
    ):
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    @staticmethod
    def _validate(group):
        check_common(group)
        check_eps(group)
        check_real(group, "lr_decay", "initial_accumulator_value")
        if not 0.0 <= group["lr_decay"]:
            raise ValueError(f"Invalid lr_decay value: {group['lr_decay']}")
        if not 0.0 <= group["initial_accumulator_value"]:
            raise ValueError(
                f"Invalid initial_accumulator_value value: {group['initial_accumulator_value']}"
            )

    def _update(self, p, grad, state, group):
        if not state:
            state["step"] = 0
            state["sum"] = np.full_like(p.data, group["initial_accumulator_value"])
        lr, wd, eps = float(group["lr"]), float(group["weight_decay"]), float(group["eps"])
        if group["maximize"]:
            grad = -grad
        if wd != 0:
            grad = grad + wd * p.data
        state["step"] += 1
        lr_t = lr / (1 + (state["step"] - 1) * float(group["lr_decay"]))
        state["sum"] += grad * grad
        p.data -= lr_t * (grad / (np.sqrt(state["sum"]) + eps))
