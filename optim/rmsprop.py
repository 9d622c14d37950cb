"""RMSprop: gradient steps divided by a running root-mean-square of the gradients."""

from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, check_common, check_eps, check_real


class RMSprop(Optimizer):
    """RMSprop (Hinton's lecture 6e; centered form by Graves, 2013), PyTorch's form.

    Each step, for a parameter θ with gradient g (learning rate η, smoothing α,
    momentum μ, weight decay λ):

        1. g ← −g                              if maximize
        2. g ← g + λ·θ                         if λ ≠ 0
        3. v ← α·v + (1 − α)·g²                running mean of squared gradients
        4. if centered:  ḡ ← α·ḡ + (1 − α)·g;   v̂ ← v − ḡ²   (a running variance)
           else:         v̂ ← v
        5. d ← g / (√v̂ + ε)
        6. if μ > 0:  b ← μ·b + d;   θ ← θ − η·b
           else:      θ ← θ − η·d

    This is Adagrad with its ever-growing sum s replaced by the running mean v, so the
    steps no longer shrink to zero; the study text lists it among the adaptive-learning-
    rate methods. α is what other texts call ρ or β (Hinton used 0.9; PyTorch's default
    is 0.99). ε is added outside the square root. The momentum buffer b starts at zero
    (unlike SGD's, which starts at the first gradient).

    Defaults are PyTorch's: lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
    centered=False, maximize=False (keyword-only). eps must be > 0 (PyTorch also accepts
    0). State: "step", "square_avg" (v), "momentum_buffer" (b) if μ > 0,
    "grad_avg" (ḡ) if centered.
    """

    _required_state = {None: ("step", "square_avg"), "momentum": ("momentum_buffer",),
                       "centered": ("grad_avg",)}

    def __init__(
        self,
        params,
        lr=1e-2,
        alpha=0.99,
        eps=1e-8,
        weight_decay=0,
        momentum=0,
        centered=False,
        *,
        maximize=False,
    ):
        defaults = dict(
            lr=lr,
            alpha=alpha,
            eps=eps,
            weight_decay=weight_decay,
            momentum=momentum,
            centered=centered,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    @staticmethod
    def _validate(group):
        check_common(group)
        check_eps(group)
        check_real(group, "momentum", "alpha")
        if not 0.0 <= group["momentum"]:
            raise ValueError(f"Invalid momentum value: {group['momentum']}")
        if not 0.0 <= group["alpha"]:
            raise ValueError(f"Invalid alpha value: {group['alpha']}")

    def _update(self, p, grad, state, group):
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(p.data)
        lr, alpha, eps = float(group["lr"]), float(group["alpha"]), float(group["eps"])
        wd, mu = float(group["weight_decay"]), float(group["momentum"])
        if group["maximize"]:
            grad = -grad
        if wd != 0:
            grad = grad + wd * p.data
        state["step"] += 1
        v = state["square_avg"]
        v *= alpha
        v += (1 - alpha) * grad * grad
        if group["centered"]:
            g_avg = state.setdefault("grad_avg", np.zeros_like(p.data))
            g_avg += (1 - alpha) * (grad - g_avg)  # = α·ḡ + (1 − α)·g, PyTorch's lerp
            avg = np.sqrt(v - g_avg * g_avg) + eps
        else:
            avg = np.sqrt(v) + eps
        if mu > 0:
            buf = state.setdefault("momentum_buffer", np.zeros_like(p.data))
            buf *= mu
            buf += grad / avg
            p.data -= lr * buf
        else:
            p.data -= lr * (grad / avg)
