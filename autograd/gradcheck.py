"""Check analytic gradients against central finite differences.

The analytic side backpropagates a random upstream gradient v (not ones), so a backward
that ignores its incoming gradient fails even for a one-element output. The numeric side
perturbs each input element by ±eps in float64:
    ∂(Σ v·f)/∂xⱼ ≈ (Σ v·f(x + eps·eⱼ) − Σ v·f(x − eps·eⱼ)) / (2·eps).
"""

from __future__ import annotations

import numpy as np

from .functional import grad
from .grad_mode import enable_grad, no_grad
from .scalar import Scalar
from .tensor import Tensor


class GradcheckError(RuntimeError):
    """An analytic gradient disagrees with finite differences (names the worst element)."""


def _as_tuple(values):
    return tuple(values) if isinstance(values, (tuple, list)) else (values,)


def _prepare_inputs(inputs):
    """float64 copies of the inputs to check (those requiring grad, or all float ones)."""
    inputs = _as_tuple(inputs)
    for i, x in enumerate(inputs):
        if isinstance(x, Tensor) and x.dtype == np.float16:
            raise TypeError(
                f"gradcheck: input {i} is float16; finite differences are meaningless at that "
                "precision — check in float64"
            )
    float_tensors = [isinstance(x, Tensor) and x.dtype.kind == "f" for x in inputs]
    any_marked = any(getattr(x, "requires_grad", False) for x in inputs)
    prepared, checked = [], []
    for i, x in enumerate(inputs):
        if isinstance(x, Scalar):
            if x.requires_grad or not any_marked:
                x = Scalar(x.data, name=x.name)
                checked.append(i)
        elif float_tensors[i] and (x.requires_grad or not any_marked):
            # C order: _numeric_gradient perturbs the data through a reshape(-1) view.
            # (np.ascontiguousarray would turn a 0-d input into shape (1,).)
            data = np.array(x.data, dtype=np.float64, order="C")
            x = Tensor(data, requires_grad=True, name=x.name)
            checked.append(i)
        prepared.append(x)
    if not checked:
        raise ValueError("gradcheck: no floating Tensor or Scalar input to check")
    return prepared, checked


def _values(x):
    return np.array([x.data]) if isinstance(x, Scalar) else x.data


def _weighted_sum(outputs, cotangents) -> float:
    return float(sum(np.sum(_values(o) * v) for o, v in zip(outputs, cotangents)))


def _numeric_gradient(fn, xs, i, cotangents, eps):
    """Central differences of ⟨cotangents, fn(xs)⟩ in every element of input i."""
    size = xs[i].data.size if isinstance(xs[i], Tensor) else 1
    numeric = np.zeros(size)
    for j in range(size):
        numeric[j] = (_shifted_value(fn, xs, i, j, eps, cotangents)
                      - _shifted_value(fn, xs, i, j, -eps, cotangents)) / (2 * eps)
    return numeric.reshape(np.shape(xs[i].data))


def _shifted_value(fn, xs, i, position, step, cotangents) -> float:
    """⟨cotangents, fn(xs)⟩ with element `position` (flat, C order) of input i moved by
    `step`, under no_grad; the element is restored afterwards."""
    x = xs[i]
    flat = x.data.reshape(-1) if isinstance(x, Tensor) else None
    original = flat[position] if flat is not None else x.data
    if flat is not None:
        flat[position] = original + step
    else:
        x.data = original + step
    try:
        with no_grad():
            outputs = [o for o in _as_tuple(fn(*xs)) if _is_float_output(o)]
            return _weighted_sum(outputs, cotangents)
    finally:
        if flat is not None:
            flat[position] = original
        else:
            x.data = original


def _analytic_gradients(outputs, cotangents, xs, checked):
    """One float64 array per checked input, or None where no gradient reached it."""
    pairs = [(o, v) for o, v in zip(outputs, cotangents) if o.requires_grad]
    if not pairs:
        return [None for _ in checked]
    seeds = [v.item() if isinstance(o, Scalar) else v for o, v in pairs]
    grads = grad([o for o, _ in pairs], [xs[i] for i in checked], grad_outputs=seeds,
                 allow_unused=True)
    return [None if g is None else
            np.asarray(g.data if isinstance(g, Tensor) else g, dtype=np.float64) for g in grads]


def _label(fn):
    """Who the verdict is about: the operator when fn is one (Op.apply), else the
    function. Not its last operator: the error may lie in any operator before it, or in
    a step that bypassed the graph (numpy on .data), which no operator would show."""
    operator = getattr(fn, "__self__", None)
    if isinstance(operator, type) and isinstance(getattr(operator, "name", None), str):
        return operator.name
    name = getattr(fn, "__name__", "")
    return f"the function '{name}'" if name.isidentifier() else "the function"


def _hint(label) -> str:
    if not label.startswith("the function"):
        return ""
    return ("\n  gradcheck checks the function as a whole; check_graph(fn, *inputs) checks "
            "each operator in it and names the one whose backward is wrong")


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0) -> bool:
    """True if every analytic gradient of fn at `inputs` matches central differences,
    elementwise |analytic − numeric| ≤ atol + rtol·|numeric|; else GradcheckError naming
    the input, the worst element, both values and the tolerance."""
    xs, checked = _prepare_inputs(inputs)
    return _check(fn, xs, checked, None, eps, atol, rtol, seed)


def _check(fn, xs, checked, label, eps, atol, rtol, seed) -> bool:
    outputs = [o for o in _as_tuple(fn(*xs)) if _is_float_output(o)]
    rng = np.random.default_rng(seed)
    cotangents = [rng.standard_normal(np.shape(o.data)) for o in outputs]
    analytic = _analytic_gradients(outputs, cotangents, xs, checked)
    label = label or _label(fn)
    for i, a in zip(checked, analytic):
        n = _numeric_gradient(fn, xs, i, cotangents, eps)
        _compare(label, i, a, n, atol, rtol)
    return True


def _is_float_output(o):
    if isinstance(o, Scalar):
        return True
    return isinstance(o, Tensor) and o.dtype.kind == "f"


def _compare(label, i, analytic, numeric, atol, rtol):
    if analytic is None:  # no gradient reached input i: right only if it has no effect
        if np.all(np.abs(numeric) <= atol):
            return
        worst = np.unravel_index(int(np.argmax(np.abs(numeric))), np.shape(numeric))
        where = f", worst element {[int(k) for k in worst]}" if np.ndim(numeric) else ""
        raise GradcheckError(
            f"{label}: input {i} (shape {np.shape(numeric)}){where}:\n"
            f"  no gradient reached this input (backward gave None: the graph does not "
            f"connect it to the outputs), but numeric {numeric[worst]:.6g} > atol = "
            f"{atol:.3g}. Was it used through numpy, .data or under no_grad()?"
            f"{_hint(label)}"
        )
    diff = np.abs(analytic - numeric)
    tolerance = atol + rtol * np.abs(numeric)
    mismatch = ~(diff <= tolerance) & ~(np.isnan(analytic) & np.isnan(numeric))
    if not mismatch.any():
        return
    excess = np.where(mismatch, np.nan_to_num(diff - tolerance, nan=np.inf), -np.inf)
    worst = np.unravel_index(int(np.argmax(excess)), np.shape(analytic))
    where = f", worst element {[int(i) for i in worst]}" if np.ndim(analytic) else ""
    raise GradcheckError(
        f"{label}: input {i} (shape {np.shape(analytic)}){where}:\n"
        f"  analytic {analytic[worst]:.6g}, numeric {numeric[worst]:.6g}, "
        f"|diff| {diff[worst]:.3g} > atol + rtol·|numeric| = {tolerance[worst]:.3g} "
        f"({int(mismatch.sum())} of {mismatch.size} elements differ){_hint(label)}"
    )


def gradgradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0) -> bool:
    """gradcheck of the first derivative: checks that backward is itself differentiable
    (create_graph=True) and that its derivative matches finite differences."""
    xs, checked = _prepare_inputs(inputs)
    outputs = [o for o in _as_tuple(fn(*xs)) if _is_float_output(o)]
    # Errors name fn (its operator for Op.apply), not the mul or add that ends its backward.
    label = f"{_label(fn)} (second derivative)"
    rng = np.random.default_rng(seed + 1)
    cotangents = [rng.standard_normal(np.shape(o.data)) for o in outputs]

    def first_derivative(*args):
        with enable_grad():
            outs = [o for o in _as_tuple(fn(*args)) if _is_float_output(o)]
            pairs = [(o, v) for o, v in zip(outs, cotangents) if o.requires_grad]
            wrt = [args[i] for i in checked]
            if not pairs:
                return tuple(Tensor(np.zeros(np.shape(x.data))) for x in wrt)
            seeds = [v.item() if isinstance(o, Scalar) else v for o, v in pairs]
            return grad([o for o, _ in pairs], wrt, grad_outputs=seeds, create_graph=True,
                        materialize_grads=True)

    return _check(first_derivative, xs, checked, label, eps, atol, rtol, seed + 2)
