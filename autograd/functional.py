"""The functional API: every operator as a function, plus backward(), grad() and hooks
(from autograd.backward), as in torch.autograd and numpy.

Each function accepts Scalars, Tensors, numbers and arrays (numbers and arrays become
constant Tensors).
"""

from __future__ import annotations

import numpy as np

from .backprop import backward, grad  # noqa: F401 - the API
from .hooks import register_hook, retain_grad  # noqa: F401
from .ops import arithmetic as ar
from .ops import elementwise as el
from .ops import linalg as la
from .ops import reductions as rd
from .ops import shape as sh
from .tensor import Tensor
from .variable import Variable


def _variable(x):
    """x itself if it is a Scalar or Tensor, else a constant Tensor."""
    return x if isinstance(x, Variable) else Tensor._make(np.asarray(x))


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


def norm(x, axis=None, keepdims=False):
    return _variable(x).norm(axis, keepdims)


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
