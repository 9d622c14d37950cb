"""Function transforms in the style of HIPS autograd and JAX: functions in, functions out.

    value_and_grad(f)(x) -> (f(x), ∇f(x))         f returns one number (a loss)
    grad_of(f)(x)        -> ∇f(x)
    jacobian(f)(x)       -> J,  Jᵢⱼ = ∂fᵢ/∂xⱼ,   shape f(x).shape + x.shape
    hessian(f)(x)        -> H,  Hᵢⱼ = ∂²f/∂xᵢ∂xⱼ, shape x.shape + x.shape
    hvp(f, x, v)         -> H·v, without forming H (the gradient of ⟨∇f(x), v⟩)

`argnums` (an int or a tuple of ints) picks the arguments to differentiate; a tuple gives
a tuple of results (for hessian, a tuple of tuples: H[i][j] = ∂²f/∂argᵢ∂argⱼ). Other
positional and keyword arguments are passed through as constants.

What comes back: each derivative has the kind of the argument it is taken with respect
to: a Tensor for a Tensor, an ndarray for an ndarray or a list, a float for a Scalar or a
Python number (an ndarray when the result has axes). The value is what `f` returned,
detached from the graph. The caller's tensors are never changed: the transforms
differentiate fresh leaves that share their data, and `.grad` stays untouched.

Transforms compose: called inside another transform, a transform records its own
backward pass (create_graph=True), so hessian(f) is jacobian(grad_of(f)) and
grad_of(grad_of(f)) is a second derivative. Cost: jacobian runs one backward pass per
output element, hessian one per input element, hvp two passes in all.
"""

from __future__ import annotations

import threading

import numpy as np

from . import functional
from .grad_mode import enable_grad
from .scalar import Scalar
from .tensor import Tensor
from .variable import Variable


class _Nesting(threading.local):
    depth = 0  # how many transforms are evaluating their function in this thread


_nesting = _Nesting()


def value_and_grad(fn, argnums=0, has_aux=False):
    """A function returning (fn(*args), ∇fn(*args)) for a fn that returns one number.

    With has_aux=True, fn returns (value, aux) and the result is ((value, aux), grad),
    aux passed through untouched (JAX's convention). The gradient has the argument's kind
    and shape (see the module docstring).
    """
    _check_callable(fn, "value_and_grad")

    def value_and_grad_fn(*args, **kwargs):
        call = _Call("value_and_grad", fn, args, kwargs, argnums)
        out = call.run()
        aux = None
        if has_aux:
            out, aux = _split_aux(out)
        _check_one_number(out)
        grads = call.grads(out, None)
        value = call.detach(out)
        return ((value, aux) if has_aux else value), call.pack(grads)

    value_and_grad_fn.__name__ = f"value_and_grad({_name(fn)})"
    return value_and_grad_fn


def grad_of(fn, argnums=0, has_aux=False):
    """A function returning ∇fn(*args) (∂fn/∂args[argnums]) for a fn that returns one
    number. HIPS autograd's and JAX's `grad`; tracegrad's `grad` is PyTorch's."""
    value_and_grad_fn = value_and_grad(fn, argnums, has_aux)

    def grad_fn(*args, **kwargs):
        value, grads = value_and_grad_fn(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads

    grad_fn.__name__ = f"grad_of({_name(fn)})"
    return grad_fn


def jacobian(fn, argnums=0):
    """A function returning the Jacobian J[out_index + in_index] = ∂out[out_index] /
    ∂x[in_index], of shape out.shape + x.shape (reverse mode: one backward pass per output
    element). fn may return a tuple of outputs: the result is then a tuple over outputs
    (of tuples over argnums when argnums is a tuple)."""
    _check_callable(fn, "jacobian")

    def jacobian_fn(*args, **kwargs):
        call = _Call("jacobian", fn, args, kwargs, argnums)
        out = call.run()
        if isinstance(out, (tuple, list)):
            return tuple(call.pack(_jacobian_of(call, o)) for o in out)
        return call.pack(_jacobian_of(call, out))

    jacobian_fn.__name__ = f"jacobian({_name(fn)})"
    return jacobian_fn


def hessian(fn, argnums=0):
    """A function returning the Hessian H[i + j] = ∂²fn/∂x[i]∂x[j] of a fn that returns
    one number, of shape x.shape + x.shape: the Jacobian of the gradient."""
    _check_callable(fn, "hessian")
    hessian_fn = jacobian(grad_of(fn, argnums), argnums)
    hessian_fn.__name__ = f"hessian({_name(fn)})"
    return hessian_fn


def hvp(fn, x, v):
    """The Hessian-vector product H·v of a fn that returns one number, at x, without
    forming H: the gradient of ⟨∇fn(x), v⟩ (two backward passes). v has x's shape; the
    result has x's kind and shape."""
    _check_callable(fn, "hvp")
    v_data = np.asarray(v.data if isinstance(v, Variable) else v,
                        dtype=np.float64)
    x_shape = np.shape(x.data if isinstance(x, Variable) else x)
    if v_data.shape != x_shape:
        raise ValueError(f"hvp: v has shape {v_data.shape} but x has shape {x_shape}; "
                         "they must match")
    gradient = grad_of(fn)

    def directional_derivative(point):
        g = gradient(point)
        if isinstance(g, Scalar):
            return g * float(v_data)
        return (g * Tensor._make(v_data.astype(g.dtype))).sum()

    return grad_of(directional_derivative)(x)


# --------------------------------------------------------------------------------------
# one call of a transformed function


class _Call:
    """The arguments of one call: which are differentiated, their fresh leaves, and how to
    hand results back in the kind the caller passed."""

    def __init__(self, who, fn, args, kwargs, argnums):
        self.who, self.fn, self.kwargs = who, fn, kwargs
        self.nested = _nesting.depth > 0
        self.argnums, self.single = _check_argnums(argnums, len(args), who)
        self.args = list(args)
        self.leaves, self.kinds = [], []
        for i in self.argnums:
            leaf, kind = _as_leaf(args[i], self.nested, who, i)
            self.args[i] = leaf
            self.leaves.append(leaf)
            self.kinds.append(kind)

    def run(self):
        _nesting.depth += 1
        try:
            with enable_grad():
                return self.fn(*self.args, **self.kwargs)
        finally:
            _nesting.depth -= 1

    def grads(self, out, seed):
        """∂⟨seed, out⟩/∂leaf for every leaf (zeros for a leaf out does not use)."""
        if not getattr(out, "requires_grad", False):
            return [_zeros(leaf, self.nested) for leaf in self.leaves]
        with enable_grad():
            return list(functional.grad(out, self.leaves, grad_outputs=seed,
                                        retain_graph=True, create_graph=self.nested,
                                        materialize_grads=True))

    def detach(self, out):
        if self.nested:
            return out
        return out.detach() if isinstance(out, Variable) else out

    def pack(self, results):
        """Results (one per leaf) in the caller's kinds; a bare result for an int argnums."""
        if not self.nested:
            results = [_to_kind(r, kind) for r, kind in zip(results, self.kinds, strict=True)]
        return results[0] if self.single else tuple(results)


def _jacobian_of(call, out):
    if not isinstance(out, Variable) or not out.requires_grad:
        out_shape = np.shape(out.data if isinstance(out, Variable) else out)
        return [_zeros(leaf, call.nested, out_shape) for leaf in call.leaves]
    if isinstance(out, Scalar):
        return call.grads(out, None)
    rows_per_leaf = [[] for _ in call.leaves]
    for k in range(out.size):
        seed = np.zeros(out.shape, dtype=out.dtype)
        seed.flat[k] = 1
        for rows, g in zip(rows_per_leaf, call.grads(out, seed), strict=True):
            rows.append(g)
    return [_stack_rows(rows, out.shape, leaf, call.nested)
            for rows, leaf in zip(rows_per_leaf, call.leaves, strict=True)]


def _stack_rows(rows, out_shape, leaf, nested):
    shape = tuple(out_shape) + tuple(leaf.shape)
    if not rows:
        return Tensor._make(np.zeros(shape, dtype=leaf.dtype))
    if nested:
        return functional.stack(rows).reshape(shape)
    return Tensor._make(np.stack([r.data for r in rows]).reshape(shape))


# --------------------------------------------------------------------------------------
# arguments in, results out


def _as_leaf(value, nested, who, index):
    """A fresh leaf that requires grad, and the kind of result the caller expects. Inside
    another transform, an argument that already requires grad is used as it is, so the
    outer transform can differentiate through this one."""
    if nested and getattr(value, "requires_grad", False):
        return value, "variable"
    if isinstance(value, Scalar):
        return Scalar(value.data, name=value.name), "float"
    if isinstance(value, Tensor):
        _check_float(value.dtype, who, index)
        leaf = Tensor._make(value.data, requires_grad=True)
        leaf.name = value.name
        return leaf, "tensor"
    if isinstance(value, (bool, np.bool_)) or isinstance(value, Variable):
        raise TypeError(f"{who}: argument {index} is a {type(value).__name__}; "
                        "expected a Tensor, a Scalar, an array or a number")
    if isinstance(value, (int, float, np.integer, np.floating)):
        return Tensor._make(np.asarray(float(value)), requires_grad=True), "number"
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{who}: argument {index} ({type(value).__name__}) is not an "
                        f"array: {error}") from error
    if isinstance(value, np.ndarray):
        _check_float(array.dtype, who, index)
    elif array.dtype.kind in "iub":
        array = array.astype(np.float64)  # a list of Python ints, as Tensor() does
    _check_float(array.dtype, who, index)
    return Tensor._make(array.copy(), requires_grad=True), "array"


def _check_float(dtype, who, index):
    if dtype.kind != "f":
        raise TypeError(f"{who}: argument {index} has dtype {dtype}; derivatives need a "
                        "floating dtype (pass .astype(float))")


def _to_kind(result, kind):
    if kind == "tensor":
        return result if isinstance(result, Tensor) else Tensor._make(np.asarray(result))
    data = result.data if isinstance(result, Variable) else result
    if kind == "float" or (kind == "number" and np.ndim(data) == 0):
        return float(data)
    return np.asarray(data)


def _zeros(leaf, nested, out_shape=()):
    """The derivative of a constant: zeros of shape out_shape + leaf.shape."""
    if isinstance(leaf, Scalar):
        return Scalar(0.0, requires_grad=False) if nested else 0.0
    return Tensor._make(np.zeros(tuple(out_shape) + leaf.shape, dtype=leaf.dtype))


def _check_argnums(argnums, n_args, who):
    single = isinstance(argnums, (int, np.integer)) and not isinstance(argnums, bool)
    numbers = (argnums,) if single else argnums
    if not isinstance(numbers, (tuple, list)) or not numbers or not all(
            isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in numbers):
        raise TypeError(f"{who}: argnums must be an int or a non-empty tuple of ints, got "
                        f"{argnums!r}")
    for i in numbers:
        if not -n_args <= i < n_args:
            raise ValueError(f"{who}: argnums {i} is out of range for a call with {n_args} "
                             "positional argument(s)")
    return tuple(int(i) % n_args for i in numbers), single


def _check_callable(fn, who):
    if not callable(fn):
        raise TypeError(f"{who}: expected a function, got {type(fn).__name__}")


def _check_one_number(out):
    if not isinstance(out, Variable):
        raise TypeError(
            f"value_and_grad: the function returned a {type(out).__name__}; return the "
            "Tensor or Scalar itself (.item() and float() cut the graph)"
        )
    if isinstance(out, Tensor) and out.size != 1:
        raise ValueError(
            f"value_and_grad: the function must return one number (a loss), got a Tensor of "
            f"shape {out.shape}; use jacobian for vector outputs, or reduce it (.sum())"
        )


def _split_aux(out):
    if not (isinstance(out, (tuple, list)) and len(out) == 2):
        raise TypeError("value_and_grad: with has_aux=True the function must return a pair "
                        f"(value, aux), got {type(out).__name__}")
    return out[0], out[1]


def _name(fn) -> str:
    return getattr(fn, "__name__", type(fn).__name__)
