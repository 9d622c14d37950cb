"""Newton's method on the engine's second derivatives: exact (Newton) and matrix-free (NewtonCG)."""

from __future__ import annotations

import numbers

import numpy as np

from autograd import Tensor, enable_grad, from_numpy, functional, no_grad

from .interrupts import deferred_interrupts
from .optimizer import Optimizer, check_if_changed, check_real, subtract_

# Newton forms the n×n Hessian with n backward passes: beyond this many parameters,
# NewtonCG or LBFGS do the same job without the matrix.
MAX_NEWTON_PARAMETERS = 5000
ARMIJO_C1 = 1e-4  # sufficient decrease: f(θ + t·p) ≤ f + c₁·t·gᵀp (Nocedal and Wright)
MAX_HALVINGS = 40  # 2⁻⁴⁰ ≈ 1e-12: a step shorter than that changes nothing in float64


class _SecondOrder(Optimizer):
    """What Newton and NewtonCG share: one parameter group seen as one vector θ, a
    closure that returns the loss with its graph, its gradient recorded with
    create_graph=True, and the backtracking line search."""

    def __init__(self, params, defaults):
        super().__init__(params, defaults)
        self._params = self.param_groups[0]["params"]

    def add_param_group(self, param_group):
        if self.param_groups:
            raise ValueError(f"{type(self).__name__} doesn't support per-parameter options "
                             "(parameter groups): it treats all parameters as one vector; "
                             "pass them in one group")
        super().add_param_group(param_group)

    @staticmethod
    def _validate_common(group):
        check_real(group, "lr")
        if not 0.0 < group["lr"]:
            raise ValueError(f"Invalid learning rate: {group['lr']} (must be > 0)")
        if group["line_search_fn"] not in (None, "backtracking"):
            raise ValueError(f"line_search_fn must be None or 'backtracking', got "
                             f"{group['line_search_fn']!r}")

    def _loss_and_gradient(self, closure):
        """f = closure() (the loss Tensor), ∇f as one flat vector, and the
        per-parameter gradients recorded with create_graph=True (for Hessian rows or
        Hessian-vector products)."""
        if closure is None:
            raise TypeError(f"{type(self).__name__}.step needs a closure: a function that "
                            "computes the loss and returns it (without calling backward())")
        check_if_changed(self._validate, self.param_groups[0])  # changed behind its back?
        before = [p.grad for p in self._params]
        with enable_grad():
            loss = closure()
        name = type(self).__name__
        if any(p.grad is not old for p, old in zip(self._params, before, strict=True)):
            raise RuntimeError(f"{name}.step: the closure called backward(), which frees the "
                               "graph that Newton's method differentiates twice; return the "
                               "loss without calling backward() (nor zero_grad())")
        if not isinstance(loss, Tensor) or loss.size != 1:
            raise ValueError(f"{name}: the closure must return the loss as a Tensor of one "
                             f"element, got {_describe(loss)}")
        if not loss.requires_grad:
            raise RuntimeError(f"{name}: the closure's loss does not depend on the parameters "
                               "(computed under no_grad(), or from detached values?)")
        with enable_grad():
            grads = functional.grad(loss, self._params, create_graph=True,
                                    materialize_grads=True)
        # In the parameters' dtype: converting a big float32 model's vectors to float64
        # and back at every Hessian-vector product costs more than the product's GEMMs.
        flat = np.concatenate([g.data.reshape(-1) for g in grads])
        if not np.all(np.isfinite(flat)):
            raise FloatingPointError(f"{name}.step: the gradient has NaN or inf entries at "
                                     "the current parameters; a second-order step from here "
                                     "is undefined (check the loss, or start elsewhere)")
        return loss, flat, grads

    def _second_derivative(self, grads, v: np.ndarray) -> np.ndarray:
        """H·v: the gradient of ⟨∇f, v⟩, one backward pass through the graph that the
        first backward recorded (the double-backward graph)."""
        outputs, seeds = [], []
        for g, piece in zip(grads, self._split(v), strict=True):
            if g.requires_grad:  # a gradient that is constant contributes nothing
                outputs.append(g)
                seeds.append(from_numpy(piece.astype(g.data.dtype, copy=False)))  # no copy
        if not outputs:
            return np.zeros_like(v)
        with enable_grad():
            rows = functional.grad(outputs, self._params, grad_outputs=seeds,
                                   retain_graph=True, materialize_grads=True)
        return np.concatenate([r.data.reshape(-1) for r in rows])

    def _split(self, v: np.ndarray) -> list[np.ndarray]:
        pieces, start = [], 0
        for p in self._params:
            pieces.append(v[start:start + p.data.size].reshape(p.data.shape))
            start += p.data.size
        return pieces

    def _move(self, closure, group, loss, g, p) -> tuple[float, int]:
        """θ ← θ + t·p with t = lr, or the largest t = lr·2⁻ᵏ passing the Armijo test
        when line_search_fn="backtracking". Returns (t, extra closure calls)."""
        if group["line_search_fn"] is None:
            self._add(group["lr"], p)
            return group["lr"], 0
        start = [q.data.copy() for q in self._params]

        def f(t):
            self._add(t, p)
            try:
                with no_grad():
                    return float(closure())
            finally:  # also when the closure raises, or Ctrl-C arrives in it
                self._set(start)

        t, calls = backtracking(f, loss, float(g @ p), group["lr"])
        self._add(t, p)
        return t, calls

    def _add(self, t: float, p: np.ndarray) -> None:
        """θ ← θ + t·p, in place; all parameters or, under Ctrl-C, none."""
        with deferred_interrupts(), no_grad():
            for q, piece in zip(self._params, self._split(p), strict=True):
                subtract_(q, (-t * piece).astype(q.data.dtype, copy=False))

    def _set(self, values) -> None:
        with deferred_interrupts():
            for q, value in zip(self._params, values, strict=True):
                np.copyto(q.data, value)
                q.data = q.data  # the setter bumps q's version

    def _size(self) -> int:
        return sum(p.data.size for p in self._params)


class Newton(_SecondOrder):
    """Newton's method with Levenberg–Marquardt damping, on the exact Hessian.

    All parameters form one vector θ of n numbers. Each step(closure):

        1. f ← closure();  g ← ∇f;  H ← ∇²f          (1 + n backward passes)
        2. solve (H + μ·I)·p = −g by Cholesky, starting from μ = damping; while
           H + μ·I is not positive definite (H has negative curvature, or is singular
           and damping is 0), μ ← max(2μ, β) with β = 1e-3·max(1, max|Hᵢᵢ|)
        3. θ ← θ + t·p with t = lr, or with line_search_fn="backtracking" the largest
           t = lr·2⁻ᵏ with f(θ + t·p) ≤ f + 1e-4·t·gᵀp (extra forward passes only)

    Step 2 with μ = 0 is Newton's step p = −H⁻¹g: the minimiser of the second-order
    Taylor model f + gᵀp + ½·pᵀHp, exact for a quadratic (one step lands on its
    minimum). Damping μ > 0 is Levenberg–Marquardt's regularisation: it shortens the
    step and turns it towards −g (μ → ∞ is gradient descent with step 1/μ). Where H is
    indefinite the raw Newton step heads for the stationary point of the model, which
    may be a saddle or a maximum; the fallback of step 2 (Nocedal and Wright, Algorithm
    3.3: Cholesky with an added multiple of the identity) makes H + μI positive
    definite, so p is always a descent direction (gᵀp < 0 unless g = 0). The study text
    names Newton's method (牛顿法) beside gradient descent; notebook 12 draws both.

    The Hessian is built as autograd.hessian builds it: the gradient is recorded with
    create_graph=True, and each of its n elements is differentiated once more. It costs
    n + 1 backward passes and n² numbers, so Newton refuses more than 5,000 parameters
    (use NewtonCG or LBFGS there).

    The closure computes and returns the loss (a Tensor of one element) and must not
    call backward(): the optimiser differentiates the graph twice itself. .grad is left
    untouched. There is no PyTorch counterpart; the constructor follows LBFGS's (one
    parameter group, lr=1). State on the first parameter: "step" (steps taken) and
    "damping" (the μ of the last step).
    """

    def __init__(self, params, lr=1.0, damping=0.0, line_search_fn=None):
        super().__init__(params, dict(lr=lr, damping=damping, line_search_fn=line_search_fn))
        if self._size() > MAX_NEWTON_PARAMETERS:
            raise ValueError(f"Newton: {self._size()} parameters would need a "
                             f"{self._size()}×{self._size()} Hessian (more than "
                             f"{MAX_NEWTON_PARAMETERS}); use optim.NewtonCG or optim.LBFGS")

    @staticmethod
    def _validate(group):
        _SecondOrder._validate_common(group)
        check_real(group, "damping")
        if not 0.0 <= group["damping"] < np.inf:
            raise ValueError(f"Invalid damping: {group['damping']} (must be finite and >= 0)")

    def hessian(self, grads) -> np.ndarray:
        """The n×n Hessian from the gradients recorded with create_graph=True: row i is
        the gradient of the i-th gradient element (one backward pass each)."""
        n = self._size()
        H = np.empty((n, n))
        e = np.zeros(n)
        for i in range(n):
            e[i] = 1.0
            H[i] = self._second_derivative(grads, e)
            e[i] = 0.0
        return (H + H.T) / 2  # symmetric up to rounding; make it exactly so

    def step(self, closure=None):
        """One Newton step (steps 1–3 above); returns the loss before the step."""
        group = self.param_groups[0]
        loss, g, grads = self._loss_and_gradient(closure)
        H = self.hessian(grads)
        if not np.all(np.isfinite(H)):
            raise FloatingPointError("Newton.step: the Hessian has NaN or inf entries at the "
                                     "current parameters; a Newton step is undefined there")
        p, mu = damped_newton_step(H, g, float(group["damping"]))
        self._move(closure, group, float(loss), g, p)
        state = self.state[self._params[0]]
        state["step"] = state.get("step", 0) + 1
        state["damping"] = mu
        self._step_count += 1
        return loss.detach()


class NewtonCG(_SecondOrder):
    """Newton-CG (truncated Newton): Newton's step solved by conjugate gradient, using
    only Hessian-vector products, so no n×n matrix is ever formed.

    All parameters form one vector θ. Each step(closure) (Nocedal and Wright,
    Algorithm 7.1, "line search Newton-CG"):

        1. f ← closure();  g ← ∇f (recorded with create_graph=True)
        2. conjugate gradient on H·p = −g, from p = 0, r = g, d = −g:
             while ‖r‖ > cg_tolerance·‖g‖ and fewer than max_cg_iter iterations:
               if dᵀHd ≤ 0: stop, keeping p (p = −g if this is the first direction)
               α ← rᵀr / dᵀHd;  p ← p + α·d;  r ← r + α·H·d;  d ← −r + (rᵀr / r_oldᵀr_old)·d
           each iteration needs one Hessian-vector product H·d: one backward pass
           through the double-backward graph recorded in step 1
        3. θ ← θ + t·p with t = lr, or with line_search_fn="backtracking" (the
           default) the largest t = lr·2⁻ᵏ with f(θ + t·p) ≤ f + 1e-4·t·gᵀp

    CG solves H·p = −g exactly in at most n iterations when H is positive definite (so
    on a convex quadratic one step lands on the minimum), and each iterate is a
    descent direction while the curvature along d stays positive. Stopping at the first
    non-positive curvature dᵀHd ≤ 0 is the documented fallback for indefinite and
    singular Hessians: Newton's step itself would head for a saddle there, or not
    exist. Truncating CG (max_cg_iter, or a looser cg_tolerance) makes a step cheaper
    on big models; Nocedal and Wright's forcing term cg_tolerance = min(0.5, √‖g‖) is
    the classic choice, but on an ill-conditioned valley like Rosenbrock's a loose
    tolerance stops CG after one iteration, i.e. at a gradient step (147 steps from
    (−1.5, 2) instead of 22), so the default solves to 1e-10.

    Cost of a step: one forward and one backward pass with create_graph=True, then one
    Hessian-vector product per CG iteration, each about as expensive as two gradients
    (benchmarks/ measures it), plus forward passes for the line search.

    The closure computes and returns the loss and must not call backward(), as for
    Newton. Defaults: lr=1, max_cg_iter=None (at most n, the parameter count),
    cg_tolerance=1e-10 (relative residual), line_search_fn="backtracking". State on the
    first parameter: "step", "cg_iters" (CG iterations of the last step) and
    "hvp_calls" (Hessian-vector products so far).
    """

    def __init__(self, params, lr=1.0, max_cg_iter=None, cg_tolerance=1e-10,
                 line_search_fn="backtracking"):
        super().__init__(params, dict(lr=lr, max_cg_iter=max_cg_iter,
                                      cg_tolerance=cg_tolerance, line_search_fn=line_search_fn))

    @staticmethod
    def _validate(group):
        _SecondOrder._validate_common(group)
        value = group["max_cg_iter"]
        if value is not None and (not isinstance(value, numbers.Integral)
                                  or isinstance(value, bool) or value < 1):
            raise ValueError(f"NewtonCG: max_cg_iter must be None or a positive int, got "
                             f"{value!r}")
        check_real(group, "cg_tolerance")
        if not 0.0 <= group["cg_tolerance"] < 1.0:
            raise ValueError(f"Invalid cg_tolerance: {group['cg_tolerance']} (must be in "
                             "[0, 1): the residual allowed, relative to the gradient)")

    def step(self, closure=None):
        """One Newton-CG step (steps 1–3 above); returns the loss before the step."""
        group = self.param_groups[0]
        loss, g, grads = self._loss_and_gradient(closure)
        max_iter = group["max_cg_iter"] or g.size
        p, iters = truncated_cg(lambda v: self._second_derivative(grads, v), g, max_iter,
                                float(group["cg_tolerance"]))
        self._move(closure, group, float(loss), g, p)
        state = self.state[self._params[0]]
        state["step"] = state.get("step", 0) + 1
        state["cg_iters"] = iters
        state["hvp_calls"] = state.get("hvp_calls", 0) + iters
        self._step_count += 1
        return loss.detach()


# --------------------------------------------------------------------------------------
# the linear algebra, on plain arrays


def damped_newton_step(H, g, damping):
    """(p, μ): the solution of (H + μ·I)·p = −g for the smallest μ ≥ damping tried (μ,
    then doubling from β = 1e-3·max(1, max|Hᵢᵢ|)) for which H + μ·I is positive
    definite, i.e. its Cholesky factorisation exists."""
    n = len(g)
    beta = 1e-3 * max(1.0, float(np.abs(np.diag(H)).max(initial=0.0)))
    mu = damping
    while True:
        try:
            L = np.linalg.cholesky(H + mu * np.eye(n))
        except np.linalg.LinAlgError:  # not positive definite: more damping
            mu = max(2 * mu, beta)
            continue
        y = np.linalg.solve(L, -g)  # L·Lᵀ·p = −g by two triangular solves
        return np.linalg.solve(L.T, y), mu


def truncated_cg(hvp, g, max_iter, tolerance):
    """(p, iterations): conjugate gradient on H·p = −g, with H given by hvp(v) = H·v,
    stopped when ‖r‖ ≤ tolerance·‖g‖, after max_iter iterations or at the first
    direction of non-positive curvature (Nocedal and Wright, Algorithm 7.1)."""
    tolerance = tolerance * float(np.linalg.norm(g))
    p = np.zeros_like(g)
    r = g.copy()
    d = -r
    scratch = np.empty_like(g)  # in place: on a big model each new vector page-faults
    rr = float(r @ r)
    for i in range(max_iter):
        if np.sqrt(rr) <= tolerance:
            return p, i
        Hd = hvp(d)
        curvature = float(d @ Hd)
        if curvature <= 0:
            return (-g if i == 0 else p), i + 1
        alpha = rr / curvature
        p += np.multiply(d, alpha, out=scratch)  # p ← p + α·d
        r += np.multiply(Hd, alpha, out=scratch)  # r ← r + α·H·d
        rr, rr_old = float(r @ r), rr
        d *= rr / rr_old
        d -= r  # d ← −r + β·d
    return p, max_iter


def backtracking(f, f0, slope, t):
    """(t, calls): the largest t·2⁻ᵏ (k = 0, 1, …, at most 40) with
    f(t) ≤ f0 + 1e-4·t·slope (Armijo's sufficient decrease; Nocedal and Wright,
    Algorithm 3.1), where slope = gᵀp < 0. Returns t = 0 when p is not a descent
    direction or no trial decreases f enough (a step of zero leaves θ where it is)."""
    if not slope < 0:
        return 0.0, 0
    for k in range(MAX_HALVINGS + 1):
        if f(t) <= f0 + ARMIJO_C1 * t * slope:
            return t, k + 1
        t /= 2
    return 0.0, MAX_HALVINGS + 1


def _describe(value) -> str:
    if isinstance(value, Tensor):
        return f"a Tensor of shape {value.shape}"
    return f"a {type(value).__name__}"
