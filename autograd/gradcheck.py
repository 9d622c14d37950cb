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
            data = np.ascontiguousarray(x.data, dtype=np.float64)
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
    x = xs[i]
    flat = x.data.reshape(-1) if isinstance(x, Tensor) else None
    numeric = np.zeros(x.data.size if flat is not None else 1)
    for j in range(numeric.size):
        original = flat[j] if flat is not None else x.data
        results = []
        for step in (eps, -eps):
            if flat is not None:
                flat[j] = original + step
            else:
                x.data = original + step
            with no_grad():
                outputs = [o for o in _as_tuple(fn(*xs)) if _is_float_output(o)]
                results.append(_weighted_sum(outputs, cotangents))
        if flat is not None:
            flat[j] = original
        else:
            x.data = original
        numeric[j] = (results[0] - results[1]) / (2 * eps)
    return numeric.reshape(np.shape(x.data))


def _analytic_gradients(outputs, cotangents, xs, checked):
    pairs = [(o, v) for o, v in zip(outputs, cotangents) if o.requires_grad]
    if not pairs:
        return [np.zeros(np.shape(xs[i].data)) for i in checked]
    seeds = [v.item() if isinstance(o, Scalar) else v for o, v in pairs]
    grads = grad([o for o, _ in pairs], [xs[i] for i in checked], grad_outputs=seeds,
                 materialize_grads=True)
    return [np.asarray(g.data if isinstance(g, Tensor) else g, dtype=np.float64) for g in grads]


def _label(fn, outputs):
    for o in outputs:
        if getattr(o, "grad_fn", None) is not None:
            return o.grad_fn.op.name
    return getattr(fn, "__name__", "function")


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0) -> bool:
    """True if every analytic gradient of fn at `inputs` matches central differences,
    elementwise |analytic − numeric| ≤ atol + rtol·|numeric|; else GradcheckError naming
    the input, the worst element, both values and the tolerance."""
    xs, checked = _prepare_inputs(inputs)
    outputs = [o for o in _as_tuple(fn(*xs)) if _is_float_output(o)]
    rng = np.random.default_rng(seed)
    cotangents = [rng.standard_normal(np.shape(o.data)) for o in outputs]
    analytic = _analytic_gradients(outputs, cotangents, xs, checked)
    label = _label(fn, outputs)
    for i, a in zip(checked, analytic):
        n = _numeric_gradient(fn, xs, i, cotangents, eps)
        _compare(label, i, a, n, atol, rtol)
    return True


def _is_float_output(o):
    if isinstance(o, Scalar):
        return True
    return isinstance(o, Tensor) and o.dtype.kind == "f"


def _compare(label, i, analytic, numeric, atol, rtol):
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
        f"({int(mismatch.sum())} of {mismatch.size} elements differ)"
    )


def gradgradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0) -> bool:
    """gradcheck of the first derivative: checks that backward is itself differentiable
    (create_graph=True) and that its derivative matches finite differences."""
    xs, checked = _prepare_inputs(inputs)
    with no_grad():
        outputs = [o for o in _as_tuple(fn(*xs)) if _is_float_output(o)]
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

    first_derivative.__name__ = f"grad of {_label(fn, outputs)}"
    return gradcheck(first_derivative, xs, eps=eps, atol=atol, rtol=rtol, seed=seed + 2)
