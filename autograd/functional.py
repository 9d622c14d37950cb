"""The functional API: backward(), grad(), hooks, and every operator as a function.

This module is also the math namespace (`ctx.xp`) that Tensor backward formulas get under
create_graph=True: the same names as `autograd.xp.NumpyXP`, but each one records a node.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence

import numpy as np

from . import engine
from .ops import arithmetic as ar
from .ops import elementwise as el
from .ops import linalg as la
from .ops import reductions as rd
from .ops import shape as sh
from .tensor import Tensor, _constant


def _variable(x, op_name="autograd"):
    """x itself if it is a Scalar or Tensor, else a constant Tensor; a list holding
    Tensors is stacked into the graph (mean([x, x + 2]) differentiates x)."""
    return x if getattr(x, "_apply", None) is not None else _constant(x, None, op_name)


def _describe(variable, index=None) -> str:
    label = f"'{variable.name}'" if getattr(variable, "name", None) else "the output"
    if index is not None and not getattr(variable, "name", None):
        label = f"output {index}"
    shape = getattr(variable, "shape", None)
    return f"{label} of shape {shape}" if shape is not None else label


# --------------------------------------------------------------------------------------
# backward and grad


def _seeds(outputs, grad_outputs, create_graph, caller):
    seeds = []
    for i, (output, grad) in enumerate(zip(outputs, grad_outputs)):
        if not output.requires_grad:
            raise RuntimeError(
                f"{caller}: {_describe(output, i)} does not require grad and has no grad_fn; "
                "it was computed under no_grad() or from tensors that do not require grad"
            )
        seeds.append(type(output)._seed(output, grad, create_graph, caller))
    return seeds


def _as_list(values, what):
    if values is None:
        return None
    if isinstance(values, Sequence) and not isinstance(values, (str, bytes)):
        return list(values)
    if isinstance(values, tuple):
        return list(values)
    return [values]


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False):
    """Accumulate the gradients of `tensors` (weighted by `grad_tensors`) into every leaf's
    `.grad`. PyTorch's torch.autograd.backward."""
    outputs = _as_list(tensors, "tensors")
    grads = _as_list(grad_tensors, "grad_tensors") or [None] * len(outputs)
    if len(grads) != len(outputs):
        raise ValueError(f"backward: got {len(grads)} gradients for {len(outputs)} outputs")
    _check_one_kind(outputs, "backward")
    if retain_graph is None:
        retain_graph = create_graph
    seeds = _seeds(outputs, grads, create_graph, "backward")
    engine.run_backward(outputs, seeds, retain_graph, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False, materialize_grads=False):
    """The gradients of `outputs` with respect to each of `inputs`, returned as a tuple;
    no `.grad` is touched (PyTorch's torch.autograd.grad).

    An input the outputs do not depend on raises, unless allow_unused=True (its gradient
    is None) or materialize_grads=True (zeros). With create_graph=True the gradients are
    themselves differentiable.
    """
    outputs = _as_list(outputs, "outputs")
    inputs = _as_list(inputs, "inputs")
    grads = _as_list(grad_outputs, "grad_outputs") or [None] * len(outputs)
    if len(grads) != len(outputs):
        raise ValueError(f"grad: got {len(grads)} grad_outputs for {len(outputs)} outputs")
    _check_one_kind(outputs + inputs, "grad")
    for i, x in enumerate(inputs):
        if not x.requires_grad:
            raise RuntimeError(f"grad: input {i} ({_describe(x)}) does not require grad")
    if retain_graph is None:
        retain_graph = create_graph
    seeds = _seeds(outputs, grads, create_graph, "grad")
    captured = engine.run_backward(outputs, seeds, retain_graph, create_graph, capture=inputs)
    results = []
    for i, x in enumerate(inputs):
        g = captured.get(id(x))
        if g is None and materialize_grads:
            g = type(x)._zeros_like(x)
        if g is None:
            if not allow_unused:
                name = f" '{x.name}'" if x.name else ""
                raise RuntimeError(
                    f"grad: input {i}{name} (shape {getattr(x, 'shape', ())}) was not used "
                    "to compute the outputs; pass allow_unused=True to get None for it, or "
                    "materialize_grads=True to get zeros"
                )
        else:
            g = type(x)._wrap_grad(g, x, create_graph)
        results.append(g)
    return tuple(results)


def _check_one_kind(variables, caller):
    # Subclasses (nn.Parameter) count as their base kind.
    kinds = {"Tensor" if isinstance(v, Tensor) else type(v).__name__ for v in variables}
    if len(kinds) > 1:
        raise TypeError(f"{caller}: cannot mix {' and '.join(sorted(kinds))} in one call")
    for v in variables:
        if getattr(v, "_apply", None) is None:
            raise TypeError(f"{caller}: expected Scalar or Tensor, got {type(v).__name__}")


# --------------------------------------------------------------------------------------
# hooks


class _HookHandle:
    def __init__(self, hooks, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self):
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


class _UserHook:
    """Runs a user's hook on a gradient the way PyTorch does: the hook sees a Tensor (a
    float for a Scalar) and may return a replacement of the same shape, or None."""

    __slots__ = ("fn", "shape")

    def __init__(self, fn, variable):
        self.fn = fn
        self.shape = getattr(variable, "shape", None)

    def __call__(self, grad):
        raw = getattr(grad, "_apply", None) is None  # backward's fast path: bare numbers
        if self.shape is None:  # a Scalar's gradient: a float, or a Scalar (create_graph)
            result = self.fn(grad)
            return float(result) if raw and result is not None else result
        result = self.fn(Tensor._make(np.asarray(grad)) if raw else grad)
        if result is None:
            return None
        if not isinstance(result, Tensor):
            result = Tensor._make(np.asarray(result))
        if result.shape != self.shape:
            name = getattr(self.fn, "__name__", type(self.fn).__name__)
            raise ValueError(f"register_hook: hook '{name}' returned a gradient of shape "
                             f"{result.shape} for a tensor of shape {self.shape}")
        return result._data if raw else result


def _hook_list(variable):
    """The list backward runs for `variable`: the leaf's own, or its operator node's."""
    if variable.grad_fn is None:
        if variable._hooks is None:
            variable._hooks = []
        return variable._hooks
    if variable.grad_fn.hooks is None:
        variable.grad_fn.hooks = []
    return variable.grad_fn.hooks


def register_hook(variable, hook):
    """Call hook(grad) whenever `variable`'s gradient is computed; a non-None return value
    (same shape) replaces the gradient that flows on. Hooks run in registration order and
    get a Tensor (a float for a Scalar). Returns a handle with .remove()."""
    if not variable.requires_grad:
        raise RuntimeError("register_hook: cannot register a hook on a tensor that does not "
                           "require grad")
    if not callable(hook):
        raise TypeError(f"register_hook: hook must be callable, got {type(hook).__name__}")
    hooks = _hook_list(variable)
    wrapped = _UserHook(hook, variable)
    # retain_grad's hook stays last, so .grad shows what every hook made of the gradient.
    retained = [i for i, h in enumerate(hooks) if isinstance(h, _RetainGrad)]
    hooks.insert(retained[0] if retained else len(hooks), wrapped)
    return _HookHandle(hooks, wrapped)


class _RetainGrad:
    """A hook that stores a non-leaf's gradient in its .grad (through a weak reference,
    so the graph still holds no cycle). The engine skips it inside grad()."""

    stores_grad = True

    def __init__(self, variable):
        self.target = weakref.ref(variable)

    def __call__(self, grad):
        variable = self.target()
        if variable is not None:
            variable._accumulate(grad, getattr(grad, "_apply", None) is not None)


def retain_grad(variable):
    """Keep a non-leaf variable's gradient in .grad after backward (leaves always do).
    The stored gradient is the one after all of the variable's hooks have run."""
    if not variable.requires_grad:
        raise RuntimeError("retain_grad: cannot retain the gradient of a tensor that does not "
                           "require grad")
    if variable.grad_fn is None:
        return
    hooks = _hook_list(variable)
    if not any(isinstance(h, _RetainGrad) and h.target() is variable for h in hooks):
        hooks.append(_RetainGrad(variable))


# --------------------------------------------------------------------------------------
# operators as functions (the create_graph namespace needs the first group)


def exp(x):
    return _variable(x).exp()


def log(x):
    return _variable(x).log()


def sqrt(x):
    return _variable(x).sqrt()


def tanh(x):
    return _variable(x).tanh()


def sigmoid(x):
    return _variable(x).sigmoid()


def relu(x):
    return _variable(x).relu()


def sign(x):
    return el.Sign.apply(x)


def abs(x):  # noqa: A001 - numpy's name
    return el.Abs.apply(x)


def softplus(x):
    return el.Softplus.apply(x)


def log_sigmoid(x):
    """out = ln σ(x) = −softplus(−x);  ∂out/∂x = σ(−x). Finite at x = ±1000, where
    log(sigmoid(x)) gives ln 0 = −inf."""
    return -softplus(-_variable(x))


def norm(x, axis=None, keepdims=False):
    """out = ‖x‖ = √(Σ x²) over the axes (all by default);  ∂out/∂x = x/‖x‖, taken as 0
    where ‖x‖ = 0 (PyTorch's subgradient; the plain formula gives 0·(1/0) = nan).

    Built with the "double where": sqrt only ever sees positive values, and the outer
    where sends no gradient into the zero branch, so first and second derivatives at 0
    are 0, not nan.
    """
    squares = (_variable(x) ** 2).sum(axis, keepdims)
    positive = squares.data > 0
    return where(positive, where(positive, squares, 1.0).sqrt(), 0.0)


def power(x, exponent):
    if isinstance(exponent, (int, float, np.integer, np.floating)):
        return ar.Pow.apply(x, exponent=exponent)
    return ar.PowTensor.apply(x, exponent)


def where(condition, x, y):
    """out = x where condition else y (condition is not differentiated)."""
    condition = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    return el.Where.apply(x, y, condition=condition.astype(bool, copy=False))


def maximum(x, y):
    return el.Maximum.apply(x, y)


def minimum(x, y):
    return el.Minimum.apply(x, y)


def clip(x, min=None, max=None):  # noqa: A002 - numpy's names
    return _variable(x).clip(min, max)


def broadcast_to(x, shape):
    return _variable(x).broadcast_to(shape)


def scatter_add(values, index, shape):
    """zeros(shape) with `values` added at `index` (repeated indices accumulate)."""
    return sh.ScatterAdd.apply(values, index=index, shape=tuple(shape))


def matmul(x, y):
    return la.Matmul.apply(x, y)


def dot(x, y):
    return _variable(x).dot(y)


def sum(x, axis=None, keepdims=False):  # noqa: A001 - numpy's name
    return _variable(x).sum(axis, keepdims)


def mean(x, axis=None, keepdims=False):
    return _variable(x).mean(axis, keepdims)


def max(x, axis=None, keepdims=False):  # noqa: A001 - numpy's name
    return _variable(x).max(axis, keepdims)


def min(x, axis=None, keepdims=False):  # noqa: A001 - numpy's name
    return _variable(x).min(axis, keepdims)


def var(x, axis=None, keepdims=False, ddof=0):
    return _variable(x).var(axis, keepdims, ddof)


def std(x, axis=None, keepdims=False, ddof=0):
    return _variable(x).std(axis, keepdims, ddof)


def logsumexp(x, axis=None, keepdims=False):
    return _variable(x).logsumexp(axis, keepdims)


def softmax(x, axis=-1):
    return _variable(x).softmax(axis)


def log_softmax(x, axis=-1):
    return _variable(x).log_softmax(axis)


def reshape(x, shape):
    return _variable(x).reshape(shape)


def transpose(x, axes=None):
    return _variable(x).transpose(*(axes or ()))


def swapaxes(x, axis1, axis2):
    return _variable(x).swapaxes(axis1, axis2)


def squeeze(x, axis=None):
    return _variable(x).squeeze(axis)


def expand_dims(x, axis):
    return _variable(x).unsqueeze(axis)


unsqueeze = expand_dims


def concatenate(tensors, axis=0):
    """Join tensors along an existing axis (numpy's concatenate)."""
    tensors = [_variable(t) for t in tensors]
    _check_join(tensors, axis, "concatenate", new_axis=False)
    return sh.Concatenate.apply(*tensors, axis=axis)


def stack(tensors, axis=0):
    """Join same-shaped tensors along a new axis (numpy's stack)."""
    tensors = [_variable(t) for t in tensors]
    _check_join(tensors, axis, "stack", new_axis=True)
    return sh.Stack.apply(*tensors, axis=axis)


def _check_join(tensors, axis, op_name, new_axis):
    if not tensors:
        raise ValueError(f"{op_name}: needs at least one tensor")
    ndim = tensors[0].ndim + (1 if new_axis else 0)
    rd.normalize_axes(axis, ndim, op_name)


UFUNCS = {
    np.add: lambda a, b: ar.Add.apply(a, b),
    np.subtract: lambda a, b: ar.Sub.apply(a, b),
    np.multiply: lambda a, b: ar.Mul.apply(a, b),
    np.true_divide: lambda a, b: ar.Div.apply(a, b),
    np.power: power,
    np.negative: lambda a: ar.Neg.apply(a),
    np.matmul: matmul,
    np.exp: exp,
    np.log: log,
    np.sqrt: sqrt,
    np.tanh: tanh,
    np.absolute: abs,
    np.sign: sign,
    np.maximum: maximum,
    np.minimum: minimum,
    np.equal: lambda a, b: _variable(a) == b,
    np.less: lambda a, b: _variable(a) < b,
    np.greater: lambda a, b: _variable(a) > b,
}


def _without_gradient(ufunc):
    """A ufunc whose result has no gradient (comparisons, logic, bits), run on the data."""
    def on_data(*inputs):
        return Tensor._make(np.asarray(ufunc(*[getattr(x, "_data", x) for x in inputs])))
    return on_data


UFUNCS.update({ufunc: _without_gradient(ufunc) for ufunc in (
    np.not_equal, np.less_equal, np.greater_equal, np.logical_and, np.logical_or,
    np.logical_xor, np.logical_not, np.bitwise_and, np.bitwise_or, np.bitwise_xor,
    np.invert, np.isnan, np.isfinite, np.isinf)})


# numpy functions on Tensors (Tensor.__array_function__): numpy's name -> (ours, how many
# arguments may come by position, keywords accepted with their names here). Only the
# leading positions of numpy's signature that match ours are accepted by position.
ARRAY_FUNCTIONS = {
    np.concatenate: (concatenate, 2, {"axis": "axis"}),
    np.stack: (stack, 2, {"axis": "axis"}),
    np.sum: (sum, 2, {"axis": "axis", "keepdims": "keepdims"}),
    np.mean: (mean, 2, {"axis": "axis", "keepdims": "keepdims"}),
    np.max: (max, 2, {"axis": "axis", "keepdims": "keepdims"}),
    np.amax: (max, 2, {"axis": "axis", "keepdims": "keepdims"}),
    np.min: (min, 2, {"axis": "axis", "keepdims": "keepdims"}),
    np.amin: (min, 2, {"axis": "axis", "keepdims": "keepdims"}),
    np.var: (var, 2, {"axis": "axis", "keepdims": "keepdims", "ddof": "ddof"}),
    np.std: (std, 2, {"axis": "axis", "keepdims": "keepdims", "ddof": "ddof"}),
    np.where: (where, 3, {}),
    np.reshape: (reshape, 2, {"shape": "shape", "newshape": "shape"}),
    np.transpose: (transpose, 2, {"axes": "axes"}),
    np.squeeze: (squeeze, 2, {"axis": "axis"}),
    np.expand_dims: (expand_dims, 2, {"axis": "axis"}),
    np.swapaxes: (swapaxes, 3, {"axis1": "axis1", "axis2": "axis2"}),
    np.clip: (clip, 3, {"a_min": "min", "a_max": "max", "min": "min", "max": "max"}),
    np.dot: (dot, 2, {}),
    np.broadcast_to: (broadcast_to, 2, {"shape": "shape"}),
}


def array_function(func, args, kwargs):
    """np.func(...) with Tensor arguments: tracegrad's own function where there is one
    (np.concatenate([t, u]) is differentiable); any other numpy function runs on the
    data, but is refused when its result is floating and a Tensor input requires grad,
    since that result would silently have lost their gradients."""
    module = getattr(func, "__module__", None) or "numpy"
    name = f"{module.replace('numpy', 'np')}.{getattr(func, '__name__', func)}"
    entry = ARRAY_FUNCTIONS.get(func)
    if entry is not None:
        ours, positional, keywords = entry
        unknown = sorted(set(kwargs) - set(keywords))
        if len(args) > positional or unknown:
            extra = ", ".join(unknown) or f"more than {positional} positional arguments"
            raise TypeError(f"{name} on Tensors runs autograd.{ours.__name__}, which does "
                            f"not take {extra}; call autograd.{ours.__name__} directly")
        return ours(*args, **{keywords[k]: v for k, v in kwargs.items()})
    data_args, data_kwargs = _data_of(args), _data_of(kwargs)
    result = func(*data_args, **data_kwargs)
    if _requires_grad_anywhere((args, kwargs)) and _is_floating(result):
        raise TypeError(
            f"{name} is not differentiable in tracegrad: on a Tensor that requires grad it "
            "would return a plain ndarray without the gradients; use autograd's functions "
            "(e.g. autograd.concatenate, stack, sum, where) or pass t.detach().numpy() "
            "for a constant"
        )
    return result


def array_ufunc(ufunc, method, inputs, kwargs):
    """A numpy ufunc called with Tensor arguments: tracegrad's operator where there is
    one (UFUNCS); any other ufunc, method (np.add.reduce) or keyword (out=) runs on the
    data, and is refused when an input requires grad, whose gradient it would drop."""
    function = UFUNCS.get(ufunc)
    if method == "__call__" and function is not None and not kwargs:
        return function(*inputs)
    if _requires_grad_anywhere((inputs, kwargs)):
        name = f"np.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")
        raise TypeError(
            f"{name} is not differentiable in tracegrad: on a Tensor that requires grad it "
            "would return a plain ndarray without the gradients; use autograd's functions "
            "or Tensor methods (exp, log, tanh, sum, ...) or pass t.detach().numpy() for a "
            "constant"
        )
    return getattr(ufunc, method)(*_data_of(inputs), **_data_of(kwargs))


def _data_of(value):
    if isinstance(value, Tensor):
        return value._data
    if type(value) in (list, tuple):
        return type(value)(_data_of(v) for v in value)
    if type(value) is dict:
        return {k: _data_of(v) for k, v in value.items()}
    return value


def _requires_grad_anywhere(value) -> bool:
    if isinstance(value, Tensor):
        return value.requires_grad
    if type(value) in (list, tuple):
        return any(_requires_grad_anywhere(v) for v in value)
    if type(value) is dict:
        return any(_requires_grad_anywhere(v) for v in value.values())
    return False


def _is_floating(result) -> bool:
    if type(result) in (list, tuple):
        return any(_is_floating(r) for r in result)
    return getattr(np.asarray(result), "dtype", np.dtype(object)).kind in "fc"
