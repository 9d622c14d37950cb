"""L-BFGS: a quasi-Newton method that builds its curvature model from recent gradient changes."""

from __future__ import annotations

import numbers

import numpy as np

from autograd import Tensor, enable_grad

from .interrupts import deferred_interrupts
from .optimizer import Optimizer, check_if_changed, check_real, subtract_

# A curvature pair (s, y) is kept only when yᵀs exceeds this: with yᵀs ≤ 0 the update
# would make the inverse-Hessian model indefinite (PyTorch's threshold).
CURVATURE_THRESHOLD = 1e-10

STATE_KEYS = ("func_evals", "n_iter", "d", "t", "old_dirs", "old_stps", "ro", "H_diag",
              "prev_flat_grad", "prev_loss")


class LBFGS(Optimizer):
    """L-BFGS (Liu and Nocedal, 1989), optionally with a strong-Wolfe line search.

    All parameters are treated as one flat vector θ with gradient g. L-BFGS approximates
    the inverse Hessian H⁻¹ by the m most recent pairs sᵢ = θᵢ₊₁ − θᵢ, yᵢ = gᵢ₊₁ − gᵢ,
    so a step costs O(m·n) instead of Newton's O(n³). One call `step(closure)`:

        1. f, g ← closure();  stop if max|g| ≤ tolerance_grad
        2. repeat at most max_iter times:
           a. if this is the first iteration ever:  d ← −g
              else:  s ← t·d,  y ← g − g_prev;  if yᵀs > 1e-10, append (s, y, ρ = 1/yᵀs)
                     to the history (dropping the oldest beyond history_size) and set
                     γ ← yᵀs / yᵀy;  then d ← −H·g by the two-loop recursion:
                       q ← −g;  for i = newest … oldest:  αᵢ ← ρᵢ·sᵢᵀq;  q ← q − αᵢ·yᵢ
                       r ← γ·q;  for i = oldest … newest: βᵢ ← ρᵢ·yᵢᵀr;  r ← r + (αᵢ − βᵢ)·sᵢ
                       d ← r
           b. t ← lr·min(1, 1/‖g‖₁) on the very first iteration, else t ← lr;
              stop if gᵀd > −tolerance_change (d is not a descent direction)
           c. without a line search: θ ← θ + t·d, then f, g ← closure() (skipped on
              the last iteration, whose gradient the next step() recomputes anyway);
              with line_search_fn="strong_wolfe": choose t such that
                f(θ + t·d) ≤ f + c₁·t·gᵀd   and   |∇f(θ + t·d)ᵀd| ≤ c₂·|gᵀd|
              (c₁ = 1e-4, c₂ = 0.9; see `strong_wolfe`; at most the closure calls
              left of max_eval), then θ ← θ + t·d
           d. stop after max_iter iterations or max_eval closure calls, or when
              max|g| ≤ tolerance_grad, max|t·d| ≤ tolerance_change or
              |f − f_prev| < tolerance_change
        3. return the loss of step 1's closure call

    The two-loop recursion (Nocedal and Wright, Numerical Optimization, Algorithm 7.4)
    applies the BFGS inverse-Hessian update m times to γ·I without forming a matrix;
    γ = yᵀs/yᵀy scales the start to the curvature last seen along s. Gradient descent
    is the case m = 0 with H = I; Newton's method (optim.Newton) uses the exact H. The
    study text names Newton and quasi-Newton methods (牛顿法与拟牛顿法) as the
    alternatives to gradient descent; notebook 12 compares them.

    Unlike the other optimisers, step() needs the closure (it evaluates the loss
    several times per step) and there is one parameter group. The closure clears the
    gradients, computes the loss, calls backward() and returns the loss, as for PyTorch.
    A parameter whose .grad stays None counts as a zero gradient.

    Constructor, defaults, iteration and stopping rules are PyTorch's: lr=1, max_iter=20,
    max_eval=max_iter·5//4, tolerance_grad=1e-7, tolerance_change=1e-9,
    history_size=100, line_search_fn=None. The line search's scalars (t, f, gᵀd) are
    Python floats, also for float32 parameters (PyTorch computes them in the parameters'
    dtype). An unknown line_search_fn is a ValueError at construction (PyTorch raises at
    the first step). With the line search, max_iter=1 gives max_eval=1, which leaves the
    search no trial after its first: if that one increases f, t = 0 and the step does not
    move, in PyTorch too; pass a larger max_eval for one iteration per step. State, on
    the first parameter: "func_evals", "n_iter", "d", "t", "old_dirs", "old_stps", "ro",
    "H_diag", "prev_flat_grad", "prev_loss" (PyTorch's keys; its scratch list "al" is not
    kept).
    """

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, history_size=100, line_search_fn=None):
        if max_eval is None and _is_int(max_iter):
            max_eval = max_iter * 5 // 4
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                        tolerance_grad=tolerance_grad, tolerance_change=tolerance_change,
                        history_size=history_size, line_search_fn=line_search_fn)
        super().__init__(params, defaults)
        self._params = self.param_groups[0]["params"]

    @staticmethod
    def _validate(group):
        check_real(group, "lr", "tolerance_grad", "tolerance_change")
        if not 0.0 <= group["lr"]:
            raise ValueError(f"Invalid learning rate: {group['lr']}")
        for key in ("tolerance_grad", "tolerance_change"):
            if not 0.0 <= group[key]:
                raise ValueError(f"Invalid {key}: {group[key]} (must be >= 0)")
        for key in ("max_iter", "max_eval", "history_size"):
            if not _is_int(group[key]) or group[key] < 1:
                raise ValueError(f"LBFGS: {key} must be a positive int, got {group[key]!r}")
        if group["line_search_fn"] not in (None, "strong_wolfe"):
            raise ValueError(f"LBFGS: line_search_fn must be None or 'strong_wolfe', got "
                             f"{group['line_search_fn']!r}")

    def add_param_group(self, param_group):
        if self.param_groups:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups): "
                             "it treats all parameters as one vector; pass them in one group")
        super().add_param_group(param_group)

    # -- the flat parameter vector ---------------------------------------------------------

    def _flat_grad(self) -> np.ndarray:
        """The gradients of all parameters as one vector (zeros where .grad is None)."""
        return np.concatenate([np.zeros(p.data.size, p.data.dtype) if p.grad is None
                               else self._gradient_of(p, 0, i).reshape(-1)
                               for i, p in enumerate(self._params)])

    def _add(self, t: float, d: np.ndarray, origin: list[np.ndarray] | None = None) -> None:
        """θ ← θ + t·d in place, or θ ← origin + t·d from values saved by _get(); all
        parameters or, under Ctrl-C, none."""
        step = np.multiply(d, -t)  # one product for all; θ − (−t·d) = θ + t·d exactly
        start = 0
        with deferred_interrupts():
            for i, p in enumerate(self._params):
                stop = start + p.data.size
                if origin is not None:
                    np.copyto(p.data, origin[i])  # subtract_ below bumps p's version
                subtract_(p, step[start:stop].reshape(p.data.shape))
                start = stop

    def _get(self) -> list[np.ndarray]:
        return [p.data.copy() for p in self._params]

    def _set(self, values: list[np.ndarray]) -> None:
        with deferred_interrupts():
            for p, value in zip(self._params, values, strict=True):
                np.copyto(p.data, value)
                p.data = p.data  # the setter bumps p's version: graphs that saved p refuse it

    def _evaluate(self, closure):
        """closure() under enable_grad (step may be called inside no_grad)."""
        with enable_grad():
            loss = closure()
        return loss

    # -- the step ------------------------------------------------------------------------

    def step(self, closure=None):
        """Run up to max_iter L-BFGS iterations (steps 1–3 above); return the first loss."""
        if closure is None:
            raise TypeError("LBFGS.step needs a closure: a function that clears the "
                            "gradients, computes the loss, calls backward() and returns it")
        group = self.param_groups[0]
        check_if_changed(self._validate, group)  # a value changed behind the group's back
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        first_loss = self._evaluate(closure)
        loss = _as_float(first_loss)
        state["func_evals"] += 1
        g = self._flat_grad()
        if np.abs(g).max(initial=0.0) <= group["tolerance_grad"]:
            self._step_count += 1
            return first_loss
        evals, n_iter = 1, 0
        while n_iter < group["max_iter"]:
            n_iter += 1
            state["n_iter"] += 1
            d = self._direction(state, g, group["history_size"])
            state["prev_flat_grad"], state["prev_loss"] = g, loss  # g is never changed in place
            t = group["lr"]
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / np.abs(g).sum()) * group["lr"]
            state["d"], state["t"] = d, t
            gtd = float(g.dot(d))
            if gtd > -group["tolerance_change"]:
                break
            loss, g, t, used, small_gradient = self._move(
                closure, group, loss, g, t, d, gtd, last=n_iter == group["max_iter"],
                evals_left=group["max_eval"] - evals)
            state["t"] = t
            evals += used
            state["func_evals"] += used
            if (n_iter == group["max_iter"] or evals >= group["max_eval"] or small_gradient
                    or np.abs(d).max() * abs(t) <= group["tolerance_change"]  # = max|t·d|
                    or abs(loss - state["prev_loss"]) < group["tolerance_change"]):
                break
        self._step_count += 1
        return first_loss

    def _direction(self, state, g, history_size):
        """Step 2a: the search direction d = −H·g, after adding the last (s, y) pair."""
        if state["n_iter"] == 1:
            state.update(old_dirs=[], old_stps=[], ro=[], H_diag=1.0)
            return -g
        y = g - state["prev_flat_grad"]
        s = state["d"] * state["t"]
        ys = float(y.dot(s))
        if ys > CURVATURE_THRESHOLD:
            if len(state["old_dirs"]) == history_size:
                for key in ("old_dirs", "old_stps", "ro"):
                    state[key].pop(0)
            state["old_dirs"].append(y)
            state["old_stps"].append(s)
            state["ro"].append(1.0 / ys)
            state["H_diag"] = ys / float(y.dot(y))
        return two_loop(g, state["old_stps"], state["old_dirs"], state["ro"], state["H_diag"])

    def _move(self, closure, group, loss, g, t, d, gtd, last, evals_left):
        """Step 2c: θ ← θ + t·d, with or without the line search (which may use the
        closure calls left of max_eval, as in PyTorch 2.13). Returns the new loss and
        gradient, the step length taken, the closure calls used, and whether the new
        gradient is below tolerance_grad."""
        if group["line_search_fn"] == "strong_wolfe":
            start = self._get()
            at = [None]  # ∇f of the trial point θ sits at

            def phi(step):  # f and ∇f at θ₀ + step·d; θ stays there until the next trial
                self._add(step, d, origin=None if at[0] is None else start)  # None: θ is θ₀
                try:
                    f = _as_float(self._evaluate(closure))
                    at[0] = self._flat_grad()
                except BaseException:  # the closure raised, or Ctrl-C arrived in it
                    self._set(start)
                    raise
                return f, at[0]

            loss, g, t, used = strong_wolfe(phi, t, d, loss, g, gtd, max_ls=evals_left)
            if g is not at[0]:  # the search chose an earlier trial, or θ₀ itself (t = 0)
                self._add(t, d, origin=start)
        else:
            self._add(t, d)
            if last:
                return loss, g, t, 0, False
            loss, used = _as_float(self._evaluate(closure)), 1
            g = self._flat_grad()
        return loss, g, t, used, np.abs(g).max() <= group["tolerance_grad"]

    # -- state_dict ----------------------------------------------------------------------

    def load_state_dict(self, state_dict):
        """Restore what state_dict() saved: the hyperparameters, and the history on the
        first parameter. All or nothing, as for every optimiser."""
        name = "LBFGS.load_state_dict"
        saved = state_dict.get("state") if isinstance(state_dict, dict) else None
        if not isinstance(saved, dict):
            return super().load_state_dict(state_dict)  # its error names the problem
        groups = state_dict.get("param_groups")
        first = groups[0]["params"][0] if (isinstance(groups, list) and groups
                                           and isinstance(groups[0], dict)
                                           and groups[0].get("params")) else None
        size = sum(p.data.size for p in self._params)
        history = {}
        for idx, entries in saved.items():
            if idx != first:
                raise ValueError(f"{name}: LBFGS keeps its state on the first parameter "
                                 f"(index {first!r}), but the state dict has index {idx!r}")
            history = _checked_history(name, entries, size, self._params[0].data.dtype)
        super().load_state_dict({**state_dict, "state": {}})
        if history:
            self.state[self._params[0]] = history


def two_loop(g, steps, changes, rhos, gamma):
    """d = −H·g for the L-BFGS inverse Hessian H built from pairs (sᵢ, yᵢ), ρᵢ = 1/yᵢᵀsᵢ,
    on top of γ·I (Nocedal and Wright, Algorithm 7.4)."""
    q = np.negative(g)
    # In place: the history is read twice per iteration, and a fresh temporary per pair
    # would double the traffic. coef is 0-d: numpy converts a Python float anew per call.
    scratch, coef = np.empty_like(q), np.empty((), q.dtype)
    alphas = []
    for s, y, rho in zip(reversed(steps), reversed(changes), reversed(rhos)):
        alpha = float(s.dot(q)) * rho
        alphas.append(alpha)
        coef[()] = alpha
        np.subtract(q, np.multiply(y, coef, scratch), q)  # q ← q − αᵢ·yᵢ
    r = np.multiply(q, gamma, q)
    for s, y, rho, alpha in zip(steps, changes, rhos, reversed(alphas)):
        coef[()] = alpha - float(y.dot(r)) * rho  # αᵢ − βᵢ
        np.add(r, np.multiply(s, coef, scratch), r)  # r ← r + (αᵢ − βᵢ)·sᵢ
    return r


# --------------------------------------------------------------------------------------
# the strong-Wolfe line search (Nocedal and Wright, Algorithms 3.5 and 3.6)


def cubic_minimizer(a, b, bounds=None):
    """The minimiser of the cubic through two points (t, f, f') = a and b, clipped to
    `bounds` (default: between the two t). Nocedal and Wright (3.59), measured from the
    larger t:  d₁ = f'ₐ + f'ᵦ − 3(fₐ − fᵦ)/(tₐ − tᵦ),  d₂ = √(d₁² − f'ₐ·f'ᵦ),
    t* = tᵦ − (tᵦ − tₐ)·(f'ᵦ + d₂ − d₁)/(f'ᵦ − f'ₐ + 2d₂)  for tₐ ≤ tᵦ. Without a real
    minimiser (d₁² < f'ₐ·f'ᵦ) the middle of the bounds."""
    (ta, fa, ga), (tb, fb, gb) = sorted([a, b], key=lambda point: point[0])
    low, high = bounds if bounds is not None else (ta, tb)
    # In float64 scalars: a division by zero (f' equal at both ends, say) gives ±inf,
    # which the clipping below turns into a bound, as IEEE arithmetic in PyTorch does.
    ta, fa, ga, tb, fb, gb = (np.float64(v) for v in (ta, fa, ga, tb, fb, gb))
    with np.errstate(divide="ignore", invalid="ignore"):
        d1 = ga + gb - 3 * (fa - fb) / (ta - tb)
        square = d1 * d1 - ga * gb
        if square < 0:
            return float((low + high) / 2)
        d2 = np.sqrt(square)
        t = tb - (tb - ta) * ((gb + d2 - d1) / (gb - ga + 2 * d2))
    return float(min(max(t, low), high))


def strong_wolfe(phi, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """A step length t along d satisfying the strong Wolfe conditions

        f(θ + t·d) ≤ f + c₁·t·gᵀd          (sufficient decrease)
        |∇f(θ + t·d)ᵀd| ≤ c₂·|gᵀd|         (curvature: the slope has flattened)

    phi(t) returns (f, ∇f) at θ + t·d. Phase 1 (bracketing) tries t, then
    extrapolates by cubic interpolation within [t + 0.01·(t − t_prev), 10·t] until an
    interval is known to contain such a step; phase 2 (zoom) shrinks it by cubic
    interpolation, stepping in by a tenth of the interval when a trial lands near an
    end twice running. At most max_ls trials after the first. Returns (f, ∇f, t, trials);
    if no step satisfies the conditions, the best point seen (possibly t = 0).
    """
    start = (0.0, f, g, gtd)
    f_new, g_new = phi(t)
    new, prev = (t, f_new, g_new, float(g_new.dot(d))), start
    evals, trials = 1, 0
    bracket = None
    while trials < max_ls:
        if new[1] > f + c1 * new[0] * gtd or (trials > 1 and new[1] >= prev[1]):
            bracket = [prev, new]  # too high: a step between them decreases enough
            break
        if abs(new[3]) <= -c2 * gtd:
            return new[1], new[2], new[0], evals
        if new[3] >= 0:
            bracket = [prev, new]  # the slope turned: a minimum lies between them
            break
        t = cubic_minimizer(_slope(prev), _slope(new),
                            bounds=(new[0] + 0.01 * (new[0] - prev[0]), new[0] * 10))
        prev = new
        f_new, g_new = phi(t)
        new = (t, f_new, g_new, float(g_new.dot(d)))
        evals, trials = evals + 1, trials + 1
    if bracket is None:  # no bracket in max_ls trials: the better of the start and the last
        best = start if f <= new[1] else new
        return best[1], best[2], best[0], evals
    return _zoom(phi, bracket, d, f, gtd, c1, c2, tolerance_change, max_ls, trials, evals)


def _zoom(phi, bracket, d, f, gtd, c1, c2, tolerance_change, max_ls, trials, evals):
    """Phase 2 of strong_wolfe: shrink the bracket [(t, f, ∇f, ∇fᵀd), …] around a step
    satisfying the conditions; return (f, ∇f, t, evals) of its low end (lowest f)."""
    d_norm = np.abs(d).max()
    low = 0 if bracket[0][1] <= bracket[1][1] else 1
    stuck = False
    while trials < max_ls:
        if abs(bracket[1][0] - bracket[0][0]) * d_norm < tolerance_change:
            break  # the bracket is too small to matter
        t = cubic_minimizer(_slope(bracket[0]), _slope(bracket[1]))
        t, stuck = _keep_inside(t, bracket[0][0], bracket[1][0], stuck)
        f_new, g_new = phi(t)
        new = (t, f_new, g_new, float(g_new.dot(d)))
        evals, trials = evals + 1, trials + 1
        if new[1] > f + c1 * t * gtd or new[1] >= bracket[low][1]:
            bracket[1 - low] = new  # too high: the new upper end
            low = 0 if bracket[0][1] <= bracket[1][1] else 1
            continue
        done = abs(new[3]) <= -c2 * gtd
        if not done and new[3] * (bracket[1 - low][0] - bracket[low][0]) >= 0:
            bracket[1 - low] = bracket[low]  # the slope points away from the old high end
        bracket[low] = new
        if done:
            break
    t, f_low, g_low, _ = bracket[low]
    return f_low, g_low, t, evals


def _keep_inside(t, a, b, stuck):
    """Move a trial that lands within a tenth of the bracket's width of an end to that
    distance from it, when this happened last time too or t is outside: progress."""
    low, high = min(a, b), max(a, b)
    margin = 0.1 * (high - low)
    if min(high - t, t - low) >= margin:
        return t, False
    if not (stuck or t >= high or t <= low):
        return t, True
    return (high - margin if abs(t - high) < abs(t - low) else low + margin), False


def _slope(point):
    """(t, f, f') of a line-search point (t, f, ∇f, ∇fᵀd)."""
    return point[0], point[1], point[3]


# --------------------------------------------------------------------------------------


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _as_float(loss) -> float:
    if isinstance(loss, Tensor) and loss.size != 1:
        raise ValueError(f"LBFGS: the closure must return the loss (one number), got a Tensor "
                         f"of shape {loss.shape}")
    try:
        return float(loss)
    except (TypeError, ValueError):
        raise TypeError(f"LBFGS: the closure must return the loss, got "
                        f"{type(loss).__name__}") from None


def _checked_history(name, entries, size, dtype) -> dict:
    """A copy of saved LBFGS state, or ValueError naming what does not fit."""
    if not isinstance(entries, dict) or set(entries) - set(STATE_KEYS) - {"al"}:
        raise ValueError(f"{name}: expected LBFGS state with keys {list(STATE_KEYS)}")
    out = {}
    for key, value in entries.items():
        if key == "al":
            continue  # PyTorch's scratch list; nothing to restore
        if key in ("old_dirs", "old_stps", "ro"):
            value = list(value)
        vectors = value if key in ("old_dirs", "old_stps") else [value]
        if key in ("d", "prev_flat_grad", "old_dirs", "old_stps"):
            for v in vectors:
                if np.shape(v) != (size,):
                    raise ValueError(f"{name}: state '{key}' holds a vector of shape "
                                     f"{np.shape(v)}, but the parameters have {size} elements")
            vectors = [np.array(v, dtype=dtype) for v in vectors]
            value = vectors if key in ("old_dirs", "old_stps") else vectors[0]
        out[key] = value
    lengths = {len(out.get(key, ())) for key in ("old_dirs", "old_stps", "ro")}
    if len(lengths) > 1:
        raise ValueError(f"{name}: old_dirs, old_stps and ro differ in length")
    return out
