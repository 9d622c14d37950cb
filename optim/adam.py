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
        if group["maximize"]:
            grad = -grad
        if group["weight_decay"]:
            grad = self._weight_decay(p, grad, group)
        self._adam_step(p, grad, state, group)

    def _weight_decay(self, p, grad, group):
        """Step 2: coupled L2, g + λ·θ."""
        return grad + float(group["weight_decay"]) * p.data

    def _adam_step(self, p, grad, state, group):
        """Steps 3–7 of the rule above."""
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(p.data)
            state["exp_avg_sq"] = np.zeros_like(p.data)
        if group["amsgrad"] and "max_exp_avg_sq" not in state:
            state["max_exp_avg_sq"] = np.zeros_like(p.data)
        t = state["step"] = state["step"] + 1
        m, v = state["exp_avg"], state["exp_avg_sq"]
        scratch = np.empty_like(m)
        vmax = state["max_exp_avg_sq"] if group["amsgrad"] else None
        _adam_arithmetic(grad, m, v, vmax, scratch, t, group)
        subtract_(p, scratch)

    # -- the whole group at once ----------------------------------------------------------

    def _update_group(self, group, items):
        """Steps 3–7 for every parameter of the group in one set of array operations,
        when they share a dtype and a step count and all have gradients (the usual
        training loop): m and v then live in one flat array per group, each parameter's
        state["exp_avg"] and state["exp_avg_sq"] being a view into it. The same
        operations in the same order as one parameter at a time, so the same values;
        numpy's per-call cost is paid once per group instead of once per parameter."""
        flat = None
        if len(items) > 1 and not group["amsgrad"] and not group["weight_decay"]:
            flat = self._flat_state(group, items)
        if flat is None:
            return super()._update_group(group, items)
        state = self.state
        t = state[items[0][0]]["step"] + 1
        grads = flat["grad"]
        np.concatenate([grad.reshape(-1) for _, grad in items], out=grads)
        if group["maximize"]:
            np.negative(grads, out=grads)
        _adam_arithmetic(grads, flat["exp_avg"], flat["exp_avg_sq"], None, flat["scratch"], t,
                         group)
        for (p, _), delta in zip(items, flat["steps"]):
            subtract_(p, delta)
            state[p]["step"] = t

    def _flat_state(self, group, items):
        """The group's flat buffers, (re)built around the current state when they are
        missing or stale (e.g. after load_state_dict); None if the parameters differ in
        dtype or step count, or some have no gradient this step."""
        params = group["params"]
        if len(items) != len(params):
            return None
        flats = self.__dict__.setdefault("_flat_buffers", {})
        flat = flats.get(id(group))
        state = self.state
        if flat is None or flat["group"] is not group or not _views_intact(flat, items, state):
            flat = _build_flat(group, items, state)
            if flat is None:
                return None
            flats[id(group)] = flat
        t = state[items[0][0]]["step"]
        for p, _ in items:
            if state[p]["step"] != t:
                return None
        return flat


def _adam_arithmetic(grad, m, v, vmax, scratch, t, group):
    """Steps 4–7 in place, leaving the update η/(1 − β₁ᵗ)·m/(√v̂/√(1 − β₂ᵗ) + ε) in
    `scratch`. In place through one scratch array: no temporaries, which on small layers
    cost more than the arithmetic."""
    lr, eps = float(group["lr"]), float(group["eps"])
    beta1, beta2 = group["betas"]
    beta1, beta2 = float(beta1), float(beta2)
    np.subtract(grad, m, out=scratch)
    scratch *= 1 - beta1
    m += scratch  # m + (1 − β₁)(g − m)
    np.multiply(grad, 1 - beta2, out=scratch)
    scratch *= grad
    v *= beta2
    v += scratch  # β₂v + (1 − β₂)g²
    if vmax is not None:
        np.maximum(vmax, v, out=vmax)
        v = vmax
    np.sqrt(v, out=scratch)
    scratch /= math.sqrt(1 - beta2**t)
    scratch += eps  # the denominator √v̂/√(1 − β₂ᵗ) + ε
    np.divide(m, scratch, out=scratch)
    scratch *= lr / (1 - beta1**t)


def _views_intact(flat, items, state) -> bool:
    for (p, _), owner, m, v in zip(items, flat["params"], flat["m_views"], flat["v_views"]):
        entry = state[p]
        if p is not owner or entry.get("exp_avg") is not m or entry.get("exp_avg_sq") is not v:
            return False
    return True


def _build_flat(group, items, state):
    dtype = items[0][0].data.dtype
    if any(p.data.dtype != dtype for p, _ in items):
        return None
    total = sum(p.data.size for p, _ in items)
    flat = {"group": group, "params": [p for p, _ in items], "m_views": [], "v_views": [],
            "steps": [], "grad": np.empty(total, dtype), "scratch": np.empty(total, dtype),
            "exp_avg": np.zeros(total, dtype), "exp_avg_sq": np.zeros(total, dtype)}
    start = 0
    for p, _ in items:
        shape, stop = p.data.shape, start + p.data.size
        m, v = flat["exp_avg"][start:stop].reshape(shape), flat["exp_avg_sq"][start:stop].reshape(
            shape)
        entry = state[p]
        if entry:  # carry the parameter's moments over into the flat arrays
            m[...] = entry["exp_avg"]
            v[...] = entry["exp_avg_sq"]
        else:
            entry["step"] = 0
        entry["exp_avg"], entry["exp_avg_sq"] = m, v
        flat["m_views"].append(m)
        flat["v_views"].append(v)
        flat["steps"].append(flat["scratch"][start:stop].reshape(shape))
        start = stop
    return flat


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
