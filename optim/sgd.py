"""Stochastic gradient descent, with momentum and Nesterov momentum (PyTorch's SGD)."""

from __future__ import annotations

from .optimizer import Optimizer, check_common, check_real, subtract_


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, Nesterov momentum, weight decay.

    Each step, for a parameter θ with gradient g (learning rate η, momentum μ,
    dampening τ, weight decay λ):

        1. g ← −g                        if maximize
        2. g ← g + λ·θ                   if λ ≠ 0   (gradient of the L2 penalty ½·λ·‖θ‖²)
        3. b ← g                         at the parameter's first step   ⎫ only if μ ≠ 0;
           b ← μ·b + (1 − τ)·g           at later steps                  ⎭ b is the buffer
        4. d ← g + μ·b  if nesterov;  d ← b  if μ ≠ 0;  d ← g  if μ = 0
        5. θ ← θ − η·d

    With μ = 0 this is the study text's rule θ ← θ − η·∇L(θ): batch, mini-batch or
    stochastic gradient descent depending only on how many samples made the gradient.

    Momentum, two ways of writing it. The study text keeps a velocity that already
    contains the learning rate:

        v ← μ·v + η·g;    θ ← θ − v          (v starts at 0)

    PyTorch (and this class) keeps the buffer b without η and multiplies at the end
    (steps 3 and 5 with τ = 0). While η is constant they are the same trajectory with
    v = η·b: if v = η·b before a step, then μ·v + η·g = η·(μ·b + g) after it, and the
    first step gives v = η·g = η·b. They part once η changes mid-run (a scheduler):
    here the new η multiplies the whole buffer at once, whereas the study text's v still
    holds the past steps taken with the old η and only new gradients get the new η.
    Dampening τ scales the new gradient by 1 − τ (not at the first step, where b ← g).

    Nesterov (step 4): the gradient is added again on top of the updated buffer. This
    is PyTorch's form, with g taken at the stored parameters. Sutskever et al. write
    v ← μ·v − η·∇L(θ + μ·v);  θ ← θ + v, with the gradient at a look-ahead point; for
    constant η the two are the same trajectory seen through a change of variables: the
    stored parameters are their look-ahead point θ + μ·v, and v = −η·b. Needs μ > 0, τ = 0.

    Defaults are PyTorch's: lr=1e-3, momentum=0, dampening=0, weight_decay=0,
    nesterov=False, maximize=False (keyword-only). State: "momentum_buffer" (b) when μ ≠ 0.
    """

    _required_state = {"momentum": ("momentum_buffer",)}

    def __init__(
        self,
        params,
        lr=1e-3,
        momentum=0,
        dampening=0,
        weight_decay=0,
        nesterov=False,
        *,
        maximize=False,
    ):
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    @staticmethod
    def _validate(group):
        check_common(group)
        check_real(group, "momentum", "dampening")
        if not 0.0 <= group["momentum"]:
            raise ValueError(f"Invalid momentum value: {group['momentum']}")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")

    def _update(self, p, grad, state, group):
        lr, mu, wd = float(group["lr"]), float(group["momentum"]), float(group["weight_decay"])
        if group["maximize"]:
            grad = -grad
        if wd != 0:
            grad = grad + wd * p.data
        if mu != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = grad.copy()
            else:
                buf *= mu
                buf += (1 - float(group["dampening"])) * grad
            grad = grad + mu * buf if group["nesterov"] else buf
        subtract_(p, lr * grad)


class Momentum(SGD):
    """SGD with (heavy-ball) momentum: SGD(params, lr, momentum=0.9, nesterov=False).

    A thin subclass that exists because the study text names Momentum as its own
    method; its update rule, state and state_dict are SGD's (see SGD):

        b ← μ·b + (1 − τ)·g   (b ← g at the first step);    θ ← θ − η·b

    equal to the study text's v ← μ·v + η·g; θ ← θ − v with v = η·b while η is constant.
    The default momentum 0.9 is the study text's momentum_factor.
    """

    def __init__(
        self, params, lr=1e-3, momentum=0.9, dampening=0, weight_decay=0, *, maximize=False
    ):
        super().__init__(
            params,
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=False,
            maximize=maximize,
        )


class Nesterov(SGD):
    """SGD with Nesterov momentum: SGD(params, lr, momentum=0.9, nesterov=True).

    A thin subclass named after the method (see SGD for the rule and how it relates to
    Sutskever et al.'s look-ahead form):

        b ← μ·b + g   (b ← g at the first step);    θ ← θ − η·(g + μ·b)
    """

    def __init__(self, params, lr=1e-3, momentum=0.9, weight_decay=0, *, maximize=False):
        super().__init__(
            params,
            lr=lr,
            momentum=momentum,
            dampening=0,
            weight_decay=weight_decay,
            nesterov=True,
            maximize=maximize,
        )
