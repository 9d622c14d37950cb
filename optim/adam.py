"""Adam and AdamW: momentum on the gradient, RMSprop on its scale, with bias correction."""

from __future__ import annotations

import math
import numbers

import numpy as np

from .optimizer import Optimizer, check_common, check_eps, subtract_


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2015), with the AMSGrad variant (Reddi et al., 2018).

    Each step, for a parameter θ with gradient g (learning rate η, betas β₁ β₂,
    weight decay λ):

        1. g ← −g                              if maximize
        2. g ← g + λ·θ                         if λ ≠ 0   (L2 penalty in the gradient)
        3. t ← t + 1
        4. m ← β₁·m + (1 − β₁)·g               running mean of gradients (momentum)
        5. v ← β₂·v + (1 − β₂)·g²              running mean of squared gradients
        6. v_max ← max(v_max, v);  v̂ ← v_max    if amsgrad, else v̂ ← v
        7. θ ← θ − η/(1 − β₁ᵗ) · m / (√v̂ / √(1 − β₂ᵗ) + ε)

    Step 7 is the paper's θ ← θ − η·m̂ / (√v̂' + ε) with the bias-corrected means
    m̂ = m/(1 − β₁ᵗ) and v̂' = v̂/(1 − β₂ᵗ), grouped as PyTorch computes it. The
    corrections undo the pull of m and v towards their zero start in the first steps.
    The study text describes Adam as Momentum (m) and RMSprop (v) combined: m keeps a
    memory of past gradient directions, v gives each coordinate its own step size.
    Step 4 is computed as m ← m + (1 − β₁)·(g − m), the same value written as PyTorch
    writes it (a lerp). AMSGrad keeps the largest v seen, so a step never grows because
    v shrank.

    Weight decay here is coupled L2: λ·θ passes through the division by √v̂, so weights
    with large gradients are decayed less. AdamW decouples it.

    Defaults are PyTorch's: lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
    amsgrad=False, maximize=False (keyword-only). eps must be > 0 (PyTorch also accepts
    0, which gives 0/0 where a gradient has always been 0). State: "step" (t), "exp_avg"
    (m), "exp_avg_sq" (v), and "max_exp_avg_sq" (v_max) with amsgrad.
    """

    _required_state = {None: ("step", "exp_avg", "exp_avg_sq"), "amsgrad": ("max_exp_avg_sq",)}

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        amsgrad=False,
        *,
        maximize=False,
    ):
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    @staticmethod
    def _validate(group):
        check_common(group)
        check_eps(group)
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        for i, beta in enumerate(betas):
            if isinstance(beta, bool) or not isinstance(beta, numbers.Real):
                raise TypeError(f"betas[{i}] must be a real number, got {beta!r}")
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {beta}")

    def _update(self, p, grad, state, group):
        grad = self._gradient_terms(p, grad, group)
        _start_state(state, p, group)
        t = state["step"] = state["step"] + 1
        vmax = state["max_exp_avg_sq"] if group["amsgrad"] else None
        subtract_(p, _moments_and_step(grad, state["exp_avg"], state["exp_avg_sq"], vmax, t,
                                       group))  # 7.

    def _gradient_terms(self, p, grad, group):
        """Steps 1–2."""
        if group["maximize"]:
            grad = -grad
        if group["weight_decay"]:
            grad = self._weight_decay(p, grad, group)
        return grad

    def _weight_decay(self, p, grad, group):
        """Step 2: coupled L2, g + λ·θ."""
        return grad + float(group["weight_decay"]) * p.data


def _start_state(state, p, group):
    """Step 3's t and the moments, zero before the first step."""
    if not state:
        state["step"] = 0
        state["exp_avg"] = np.zeros_like(p.data)
        state["exp_avg_sq"] = np.zeros_like(p.data)
    if group["amsgrad"] and "max_exp_avg_sq" not in state:
        state["max_exp_avg_sq"] = np.zeros_like(p.data)


def _moments_and_step(grad, m, v, vmax, t, group):
    """Steps 4–6 of Adam's rule on arrays, m and v in place; returns step 7's update
    η/(1 − β₁ᵗ) · m / (√v̂/√(1 − β₂ᵗ) + ε), computed in one scratch array."""
    lr, eps = float(group["lr"]), float(group["eps"])
    beta1, beta2 = group["betas"]
    beta1, beta2 = float(beta1), float(beta2)
    scratch = np.subtract(grad, m)
    scratch *= 1 - beta1
    m += scratch  # 4. m + (1 − β₁)(g − m)
    np.multiply(grad, 1 - beta2, out=scratch)
    scratch *= grad
    v *= beta2
    v += scratch  # 5. β₂v + (1 − β₂)g²
    if vmax is not None:
        v = np.maximum(vmax, v, out=vmax)  # 6.
    np.sqrt(v, out=scratch)
    scratch /= math.sqrt(1 - beta2**t)
    scratch += eps  # the denominator √v̂/√(1 − β₂ᵗ) + ε
    np.divide(m, scratch, out=scratch)
    scratch *= lr / (1 - beta1**t)
    return scratch


class AdamW(Adam):
    """AdamW (Loshchilov and Hutter, 2019): Adam with decoupled weight decay.

    Each step, for a parameter θ with gradient g (learning rate η, weight decay λ):

        1. g ← −g                              if maximize
        2. θ ← θ·(1 − η·λ)                     decay the weights themselves, first
        3. steps 3–7 of Adam with this g (no λ·θ added to the gradient)

    In Adam the L2 term λ·θ is divided by √v̂ like the rest of the gradient, so weights
    with large gradients are barely decayed; here every weight shrinks by the same
    factor 1 − η·λ per step, which is what "weight decay" says. The decay follows η, so
    a learning-rate schedule also schedules the decay.

    Defaults are PyTorch's: lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
    amsgrad=False, maximize=False (keyword-only). State as Adam's.
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=1e-2,
        amsgrad=False,
        *,
        maximize=False,
    ):
        super().__init__(
            params,
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
        )

    def _weight_decay(self, p, grad, group):
        """Step 2: decoupled, θ ← θ·(1 − η·λ); the gradient is left as it is."""
        wd = float(group["weight_decay"])
        if wd != 0:
            p.data *= 1 - float(group["lr"]) * wd
        return grad
