"""The functional API: every operator as a function, plus backward(), grad() and hooks
(from autograd.backprop and autograd.hooks), as in torch.autograd and numpy.

Each function accepts Scalars, Tensors, numbers and arrays (numbers and arrays become
constant Tensors).
"""

from __future__ import annotations

import builtins  # any and all: this module defines numpy's any and all
import inspect
from typing import NamedTuple

import numpy as np

from .backprop import backward, grad  # noqa: F401 - the API
from .hooks import register_hook, retain_grad  # noqa: F401
from .ops import arithmetic as ar
from .ops import elementwise as el
from .ops import indexing as ix
from .ops import linalg as la
from .ops import reductions as rd
from .ops import shape as sh
from .tensor import Tensor, _constant, _refuse_torch_names, register_numpy_protocol
from .variable import Variable


def _variable(x, op_name="autograd"):
    """x itself if it is a Scalar or Tensor, else a constant Tensor; a list holding
    Tensors is stacked into the graph (mean([x, x + 2]) differentiates x)."""
    return x if isinstance(x, Variable) else _constant(x, None, op_name)


# --------------------------------------------------------------------------------------
# operators as functions


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
    return _variable(x).log_sigmoid()


def norm(x, axis=None, keepdims=False, ord=None, **torch_names):  # noqa: A002 - numpy's name
    if torch_names:
        _refuse_torch_names("norm", torch_names, function=True)
    return _variable(x).norm(axis, keepdims, ord)


def sin(x):
    return el.Sin.apply(x)


def cos(x):
    return el.Cos.apply(x)


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


def sum(x, axis=None, keepdims=False, **torch_names):  # noqa: A001 - numpy's name
    if torch_names:
        _refuse_torch_names("sum", torch_names, function=True)
    return _variable(x).sum(axis, keepdims)


def mean(x, axis=None, keepdims=False, **torch_names):
    if torch_names:
        _refuse_torch_names("mean", torch_names, function=True)
    return _variable(x).mean(axis, keepdims)


def max(x, axis=None, keepdims=False, **torch_names):  # noqa: A001 - numpy's name
    if torch_names:
        _refuse_torch_names("max", torch_names, function=True)
    return _variable(x).max(axis, keepdims)


def min(x, axis=None, keepdims=False, **torch_names):  # noqa: A001 - numpy's name
    if torch_names:
        _refuse_torch_names("min", torch_names, function=True)
    return _variable(x).min(axis, keepdims)


def var(x, axis=None, keepdims=False, ddof=0, **torch_names):
    if torch_names:
        _refuse_torch_names("var", torch_names, function=True)
    return _variable(x).var(axis, keepdims, ddof)


def std(x, axis=None, keepdims=False, ddof=0, **torch_names):
    if torch_names:
        _refuse_torch_names("std", torch_names, function=True)
    return _variable(x).std(axis, keepdims, ddof)


def logsumexp(x, axis=None, keepdims=False, **torch_names):
    if torch_names:
        _refuse_torch_names("logsumexp", torch_names, function=True)
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
    np.sin: sin,
    np.cos: cos,
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
        return Tensor._make(np.asarray(ufunc(*_data_of(inputs))))
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
    if func in IN_PLACE_FUNCTIONS:
        raise TypeError(f"{name} writes into its argument, which a Tensor in a graph must "
                        "not allow; use the out-of-place autograd function (e.g. "
                        "autograd.put_along_axis, add_at, where)")
    if entry is not None:
        ours, positional, keywords = entry
        kwargs = _without_numpy_defaults(func, kwargs, keywords)
        unknown = sorted(set(kwargs) - set(keywords))
        if (positional is not None and len(args) > positional) or unknown:
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


def _without_numpy_defaults(func, kwargs, keywords):
    """kwargs without those ours lacks that hold numpy's default (np.sum(t, out=None),
    as numpy's own wrappers and callers pass them): they ask for nothing."""
    if not kwargs:
        return kwargs
    try:
        defaults = inspect.signature(func).parameters
    except (TypeError, ValueError):
        return kwargs
    return {k: v for k, v in kwargs.items() if k in keywords or k not in defaults
            or v is not defaults[k].default and v is not np._NoValue}


def _data_of(value):
    if isinstance(value, Variable):
        return value._data
    if type(value) in (list, tuple):
        return type(value)(_data_of(v) for v in value)
    if type(value) is dict:
        return {k: _data_of(v) for k, v in value.items()}
    return value


def _requires_grad_anywhere(value) -> bool:
    if isinstance(value, Variable):
        return value.requires_grad
    if type(value) in (list, tuple):
        return builtins.any(_requires_grad_anywhere(v) for v in value)
    if type(value) is dict:
        return builtins.any(_requires_grad_anywhere(v) for v in value.values())
    return False


def _is_floating(result) -> bool:
    if type(result) in (list, tuple):
        return builtins.any(_is_floating(r) for r in result)
    return getattr(np.asarray(result), "dtype", np.dtype(object)).kind in "fc"


register_numpy_protocol(array_ufunc, array_function)


# --------------------------------------------------------------------------------------
# surface-math (issue 15, items 1 and 2): numpy's names; each runs the Tensor method.


def _unary(method):
    def function(x):
        return getattr(_variable(x, method), method)()
    function.__name__ = function.__qualname__ = method
    function.__doc__ = getattr(Tensor, method).__doc__
    return function


tan, arcsin, arccos, arctan = (_unary(m) for m in ("tan", "arcsin", "arccos", "arctan"))
sinh, cosh, arcsinh, arccosh, arctanh = (
    _unary(m) for m in ("sinh", "cosh", "arcsinh", "arccosh", "arctanh"))
log2, log10, log1p, expm1, exp2 = (
    _unary(m) for m in ("log2", "log10", "log1p", "expm1", "exp2"))
rsqrt, reciprocal, square, cbrt = (_unary(m) for m in ("rsqrt", "reciprocal", "square", "cbrt"))
floor, ceil, trunc = (_unary(m) for m in ("floor", "ceil", "trunc"))
isnan, isinf, isfinite = (_unary(m) for m in ("isnan", "isinf", "isfinite"))


def round(x, decimals=0):  # noqa: A001 - numpy's name
    return _variable(x, "round").round(decimals)


def arctan2(y, x):
    return el.Arctan2.apply(y, x)


def floor_divide(x, y):
    return el.FloorDivide.apply(x, y)


def remainder(x, y):
    return el.Remainder.apply(x, y)


mod = remainder  # numpy's alias


def fmod(x, y):
    return el.Fmod.apply(x, y)


def hypot(x, y):
    return el.Hypot.apply(x, y)


def lerp(start, end, weight):
    """start + weight·(end − start) (PyTorch's lerp; numpy has none)."""
    return el.Lerp.apply(start, end, weight)


def logaddexp(x, y):
    return el.LogAddExp.apply(x, y)


def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    return _variable(x, "nan_to_num").nan_to_num(nan, posinf, neginf)


def isclose(x, y, rtol=1e-05, atol=1e-08, equal_nan=False):
    return _variable(x, "isclose").isclose(y, rtol, atol, equal_nan)


def prod(x, axis=None, keepdims=False, **torch_names):
    if torch_names:
        _refuse_torch_names("prod", torch_names, function=True)
    return _variable(x, "prod").prod(axis, keepdims)


def median(x, axis=None, keepdims=False, **torch_names):
    if torch_names:
        _refuse_torch_names("median", torch_names, function=True)
    return _variable(x, "median").median(axis, keepdims)


def cumsum(x, axis=None, **torch_names):
    if torch_names:
        _refuse_torch_names("cumsum", torch_names, function=True, scan=True)
    return _variable(x, "cumsum").cumsum(axis)


def cumprod(x, axis=None, **torch_names):
    if torch_names:
        _refuse_torch_names("cumprod", torch_names, function=True, scan=True)
    return _variable(x, "cumprod").cumprod(axis)


def logcumsumexp(x, axis=None, **torch_names):
    if torch_names:
        _refuse_torch_names("logcumsumexp", torch_names, function=True, scan=True)
    return _variable(x, "logcumsumexp").logcumsumexp(axis)


def argmax(x, axis=None, keepdims=False, **torch_names):
    if torch_names:
        _refuse_torch_names("argmax", torch_names, function=True)
    return _variable(x, "argmax").argmax(axis, keepdims)


def argmin(x, axis=None, keepdims=False, **torch_names):
    if torch_names:
        _refuse_torch_names("argmin", torch_names, function=True)
    return _variable(x, "argmin").argmin(axis, keepdims)


def any(x, axis=None, keepdims=False, **torch_names):  # noqa: A001 - numpy's name
    if torch_names:
        _refuse_torch_names("any", torch_names, function=True)
    return _variable(x, "any").any(axis, keepdims)


def all(x, axis=None, keepdims=False, **torch_names):  # noqa: A001 - numpy's name
    if torch_names:
        _refuse_torch_names("all", torch_names, function=True)
    return _variable(x, "all").all(axis, keepdims)


amax, amin = max, min  # numpy's aliases: the same operators, ties split evenly


def var_mean(x, axis=None, keepdims=False, ddof=0, **torch_names):
    """(var, mean) over the axes, PyTorch's pair (numpy's ddof=0 default; PyTorch's is 1)."""
    if torch_names:
        _refuse_torch_names("var_mean", torch_names, function=True)
    x = _variable(x, "var_mean")
    return x.var(axis, keepdims, ddof), x.mean(axis, keepdims)


def std_mean(x, axis=None, keepdims=False, ddof=0, **torch_names):
    """(std, mean) over the axes, PyTorch's pair (numpy's ddof=0 default; PyTorch's is 1)."""
    if torch_names:
        _refuse_torch_names("std_mean", torch_names, function=True)
    x = _variable(x, "std_mean")
    return x.std(axis, keepdims, ddof), x.mean(axis, keepdims)


# np.tan(t) and the like run the operators (the rest of the table above).
UFUNCS.update({
    np.tan: tan, np.arcsin: arcsin, np.arccos: arccos, np.arctan: arctan,
    np.arctan2: arctan2, np.sinh: sinh, np.cosh: cosh, np.arcsinh: arcsinh,
    np.arccosh: arccosh, np.arctanh: arctanh, np.log2: log2, np.log10: log10,
    np.log1p: log1p, np.expm1: expm1, np.exp2: exp2, np.reciprocal: reciprocal,
    np.square: square, np.cbrt: cbrt, np.floor: floor, np.ceil: ceil, np.trunc: trunc,
    np.rint: round, np.floor_divide: floor_divide, np.remainder: remainder, np.fmod: fmod,
    np.hypot: hypot, np.logaddexp: logaddexp,
})
ARRAY_FUNCTIONS.update({
    np.prod: (prod, 2, {"axis": "axis", "keepdims": "keepdims"}),
    np.median: (median, 2, {"axis": "axis", "keepdims": "keepdims"}),
    np.cumsum: (cumsum, 2, {"axis": "axis"}),
    np.cumprod: (cumprod, 2, {"axis": "axis"}),
    np.argmax: (argmax, 2, {"axis": "axis", "keepdims": "keepdims"}),
    np.argmin: (argmin, 2, {"axis": "axis", "keepdims": "keepdims"}),
    np.any: (any, 2, {"axis": "axis", "keepdims": "keepdims"}),
    np.all: (all, 2, {"axis": "axis", "keepdims": "keepdims"}),
    np.round: (round, 2, {"decimals": "decimals"}),
    np.nan_to_num: (nan_to_num, 1, {"nan": "nan", "posinf": "posinf", "neginf": "neginf"}),
    np.isclose: (isclose, 2, {"rtol": "rtol", "atol": "atol", "equal_nan": "equal_nan"}),
})
# surface-shape (issue 15 items 3-5): shape, indexing and assembly, numpy's names and
# semantics; each is built from the primitive operators (autograd/ops/indexing.py).


def _tensor(x, op_name):
    """x as a Tensor (a Scalar has no shape to index)."""
    x = _variable(x, op_name)
    if not isinstance(x, Tensor):
        raise TypeError(f"{op_name}: expects a Tensor, got {type(x).__name__}")
    return x


def _no_grad(array):
    return Tensor._make(np.asarray(array))


def flatten(x, start_axis=0, end_axis=-1):
    return ix.flatten(_tensor(x, "flatten"), start_axis, end_axis)


def unflatten(x, axis, sizes):
    return ix.unflatten(_tensor(x, "unflatten"), axis, sizes)


def ravel(x):
    """x as a 1-d tensor (C order)."""
    return _tensor(x, "ravel").reshape(-1)


def split(x, indices_or_sections, axis=0):
    return ix.split(_tensor(x, "split"), indices_or_sections, axis)


def array_split(x, indices_or_sections, axis=0):
    return ix.array_split(_tensor(x, "array_split"), indices_or_sections, axis)


def tril(x, k=0):
    return ix.tril(_tensor(x, "tril"), k)


def triu(x, k=0):
    return ix.triu(_tensor(x, "triu"), k)


def flip(x, axis=None):
    return ix.flip(_tensor(x, "flip"), axis)


def roll(x, shift, axis=None):
    return ix.roll(_tensor(x, "roll"), shift, axis)


def diagonal(x, offset=0, axis1=0, axis2=1):
    return ix.diagonal(_tensor(x, "diagonal"), offset, axis1, axis2)


def diag(x, k=0):
    return ix.diag(_tensor(x, "diag"), k)


def trace(x, offset=0, axis1=0, axis2=1):
    return ix.trace(_tensor(x, "trace"), offset, axis1, axis2)


def repeat(x, repeats, axis=None):
    return ix.repeat(_tensor(x, "repeat"), repeats, axis)


def tile(x, reps):
    return ix.tile(_tensor(x, "tile"), reps)


def pad(x, pad_width, mode="constant", constant_values=0):
    return ix.pad(_tensor(x, "pad"), pad_width, mode, constant_values)


def take(x, indices, axis=None):
    return ix.take(_tensor(x, "take"), indices, axis)


def take_along_axis(x, indices, axis):
    return ix.take_along_axis(_tensor(x, "take_along_axis"), indices, axis)


def put_along_axis(x, indices, values, axis):
    return ix.put_along_axis(_tensor(x, "put_along_axis"), indices, values, axis)


def add_at(x, index, values):
    """x with `values` added at `index`, repeated indices accumulating (np.add.at without
    changing x; PyTorch's index_add / scatter_add); differentiable in x and values."""
    x = _tensor(x, "add_at")
    return x + scatter_add(values, sh.raw_index(index), x.shape)


def one_hot(indices, num_classes=-1, dtype=np.int64):
    """out[..., c] = 1 where indices[...] == c (no gradient); num_classes=-1 takes
    max(indices) + 1, as PyTorch's one_hot does."""
    indices = np.asarray(sh.raw_index(indices))
    if indices.dtype.kind not in "iu":
        raise TypeError(f"one_hot: tensor must hold integer class labels, got dtype "
                        f"{indices.dtype}; convert with y.astype(np.int64)")
    if indices.size and indices.min() < 0:
        raise ValueError(f"one_hot: class labels must be >= 0, got values "
                         f"{indices.ravel()[:5].tolist()}")
    if num_classes == -1:
        num_classes = int(indices.max()) + 1 if indices.size else 0
    if indices.size and indices.max() >= num_classes:
        raise ValueError(f"one_hot: index {int(indices.max())} is out of range for "
                         f"num_classes = {num_classes}")
    return _no_grad(np.arange(num_classes) == indices[..., None]).astype(dtype)


def masked_fill(x, mask, value):
    """x with `value` where mask is true (mask is not differentiated)."""
    return where(mask, value, x)


def argsort(x, axis=-1, descending=False):
    return _no_grad(ix.argsort(_tensor(x, "argsort"), axis, descending))


def sort(x, axis=-1, descending=False):
    return ix.sort(_tensor(x, "sort"), axis, descending)


class TopK(NamedTuple):
    """topk's result, unpacked or by name as in PyTorch (.values, .indices)."""

    values: Tensor
    indices: Tensor


def topk(x, k, axis=-1, largest=True, sorted=True):  # noqa: A002 - PyTorch's name
    values, indices = ix.topk(_tensor(x, "topk"), k, axis, largest, sorted)
    return TopK(values, _no_grad(indices))


def meshgrid(*xs, indexing="xy"):
    """numpy's meshgrid: 1-d tensors broadcast against each other into grids."""
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}")
    xs = [_tensor(x, "meshgrid").reshape(-1) for x in xs]
    shape = [x.shape[0] for x in xs]
    if indexing == "xy" and len(xs) > 1:
        shape[0], shape[1] = shape[1], shape[0]
    grids = []
    for i, x in enumerate(xs):
        axis = (1 - i if i < 2 else i) if indexing == "xy" and len(xs) > 1 else i
        view = [1] * len(xs)
        view[axis] = x.shape[0]
        grids.append(x.reshape(tuple(view)).broadcast_to(tuple(shape)))
    return grids


def einsum(subscripts, *operands):
    return ix.einsum(subscripts, *operands)


def tensordot(x, y, axes=2):
    """Σ over the last `axes` axes of x and the first of y, or over the axes named by a
    pair of lists (numpy's tensordot)."""
    return la.tensordot(_tensor(x, "tensordot"), _tensor(y, "tensordot"), axes)


def outer(x, y):
    """out[i, j] = x.ravel()[i] · y.ravel()[j]."""
    return ravel(x).reshape(-1, 1) * ravel(y).reshape(1, -1)


def kron(x, y):
    """numpy's kron: blocks x[i, j, ...] · y."""
    x, y = _tensor(x, "kron"), _tensor(y, "kron")
    ndim = builtins.max(x.ndim, y.ndim)
    x = x.reshape((1,) * (ndim - x.ndim) + x.shape)
    y = y.reshape((1,) * (ndim - y.ndim) + y.shape)
    interleaved_x = tuple(n for a in x.shape for n in (a, 1))
    interleaved_y = tuple(n for b in y.shape for n in (1, b))
    product = x.reshape(interleaved_x) * y.reshape(interleaved_y)
    return product.reshape(tuple(a * b for a, b in zip(x.shape, y.shape)))


def _atleast(xs, ndim, op_name):
    out = []
    for x in xs:
        x = _tensor(x, op_name)
        if x.ndim < ndim:  # numpy's placement: (n,) -> (1, n) or (1, n, 1); (m, n) -> (m, n, 1)
            before = 1 if x.ndim == 1 and ndim >= 2 else ndim - x.ndim - (ndim == 3)
            after = ndim - x.ndim - before
            x = x.reshape((1,) * before + x.shape + (1,) * after)
        out.append(x)
    return out[0] if len(out) == 1 else out


def atleast_1d(*xs):
    return _atleast(xs, 1, "atleast_1d")


def atleast_2d(*xs):
    return _atleast(xs, 2, "atleast_2d")


def atleast_3d(*xs):
    return _atleast(xs, 3, "atleast_3d")


def vstack(tensors):
    """Join along axis 0 after making each at least 2-d (numpy's vstack)."""
    return concatenate([atleast_2d(t) for t in tensors], axis=0)


def hstack(tensors):
    """Join along axis 1, or axis 0 for 1-d tensors (numpy's hstack)."""
    tensors = [atleast_1d(t) for t in tensors]
    return concatenate(tensors, axis=0 if tensors and tensors[0].ndim == 1 else 1)


def dstack(tensors):
    """Join along axis 2 after making each at least 3-d (numpy's dstack)."""
    return concatenate([atleast_3d(t) for t in tensors], axis=2)


def column_stack(tensors):
    """1-d tensors as columns, 2-d ones as they are, joined along axis 1."""
    columns = [_tensor(t, "column_stack") for t in tensors]
    return concatenate([t.reshape(-1, 1) if t.ndim < 2 else t for t in columns], axis=1)


def diff(x, n=1, axis=-1):
    """The n-th difference along `axis`: out[i] = x[i + 1] − x[i], n times."""
    x = _tensor(x, "diff")
    if n < 0:
        raise ValueError(f"diff: order n must be >= 0, got {n}")
    if x.ndim == 0:
        raise ValueError("diff: needs at least 1 dimension, got a 0-d tensor")
    axis = rd.normalize_axes(axis, x.ndim, "diff", x.shape)[0]
    lead = (slice(None),) * axis
    for _ in range(n):
        x = x[lead + (slice(1, None),)] - x[lead + (slice(None, -1),)]
    return x


def deg2rad(x):
    """x · π / 180."""
    return _variable(x) * (np.pi / 180)


def rad2deg(x):
    """x · 180 / π."""
    return _variable(x) * (180 / np.pi)


# surface-shape: numpy's names for the functions above (Tensor.__array_function__); None
# positional means any number (einsum's operands, meshgrid's vectors).
ARRAY_FUNCTIONS.update({
    np.ravel: (ravel, 1, {}),
    np.split: (split, 3, {"indices_or_sections": "indices_or_sections", "axis": "axis"}),
    np.array_split: (array_split, 3, {"indices_or_sections": "indices_or_sections",
                                      "axis": "axis"}),
    np.tril: (tril, 2, {"k": "k"}),
    np.triu: (triu, 2, {"k": "k"}),
    np.flip: (flip, 2, {"axis": "axis"}),
    np.roll: (roll, 3, {"shift": "shift", "axis": "axis"}),
    np.diagonal: (diagonal, 4, {"offset": "offset", "axis1": "axis1", "axis2": "axis2"}),
    np.diag: (diag, 2, {"k": "k"}),
    np.trace: (trace, 4, {"offset": "offset", "axis1": "axis1", "axis2": "axis2"}),
    np.repeat: (repeat, 3, {"repeats": "repeats", "axis": "axis"}),
    np.tile: (tile, 2, {"reps": "reps"}),
    np.pad: (pad, 3, {"pad_width": "pad_width", "mode": "mode",
                      "constant_values": "constant_values"}),
    np.take: (take, 3, {"indices": "indices", "axis": "axis"}),
    np.take_along_axis: (take_along_axis, 3, {"indices": "indices", "axis": "axis"}),
    np.sort: (sort, 2, {"axis": "axis"}),
    np.argsort: (argsort, 2, {"axis": "axis"}),
    np.meshgrid: (meshgrid, None, {"indexing": "indexing"}),
    np.einsum: (einsum, None, {}),
    np.tensordot: (tensordot, 3, {"axes": "axes"}),
    np.outer: (outer, 2, {}),
    np.kron: (kron, 2, {}),
    np.atleast_1d: (atleast_1d, None, {}),
    np.atleast_2d: (atleast_2d, None, {}),
    np.atleast_3d: (atleast_3d, None, {}),
    np.vstack: (vstack, 1, {}),
    np.hstack: (hstack, 1, {}),
    np.dstack: (dstack, 1, {}),
    np.column_stack: (column_stack, 1, {}),
    np.diff: (diff, 3, {"n": "n", "axis": "axis"}),
    np.zeros_like: (lambda x: Tensor._make(np.zeros_like(x._data)), 1, {}),
    np.ones_like: (lambda x: Tensor._make(np.ones_like(x._data)), 1, {}),
    np.empty_like: (lambda x: Tensor._make(np.zeros_like(x._data)), 1, {}),
})
UFUNCS.update({np.deg2rad: deg2rad, np.rad2deg: rad2deg, np.radians: deg2rad,
               np.degrees: rad2deg})
IN_PLACE_FUNCTIONS = {np.copyto, np.put, np.place, np.putmask, np.fill_diagonal,
                      np.put_along_axis}
