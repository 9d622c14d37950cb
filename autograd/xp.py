"""The math namespaces an operator gets as `ctx.xp`.

One operator formula runs on three kinds of data, so each namespace offers the same
names: `MathXP` on Python floats (Scalar; no numpy on its hot path), `NumpyXP` on
ndarrays (Tensor), and under create_graph=True a `GraphXP` whose functions record graph
nodes when given variables, so the backward formula is itself differentiable.

What ctx.xp offers (every name on Tensors; on Scalars those marked *):

    exp* log* sqrt* sin* cos* tanh* sigmoid* relu* sign* power*(x, c)
    softplus* (forward only: logaddexp(x, 0))  logaddexp (forward only)
    where(condition, x, y)  maximum(x, y)  minimum(x, y)  clip(x, low, high)
    broadcast_to(x, shape)  scatter_add(values, index, shape)  einsum(subscripts, *xs)

Everything else in a backward is operators: + - * / ** and comparisons, .sum(axis,
keepdims=True), .reshape(), .transpose(), indexing. Never call numpy on what ctx.saved
holds: under create_graph those are variables.
"""

from __future__ import annotations

import math

import numpy as np

from .ops import arithmetic as ar
from .ops import elementwise as el
from .ops import linalg as la
from .ops import shape as sh
from .variable import Variable


class MathXP:
    """Float math with numpy's IEEE answers (inf, nan) instead of Python's exceptions."""

    @staticmethod
    def exp(x: float) -> float:
        try:
            return math.exp(x)
        except OverflowError:
            return math.inf

    @staticmethod
    def log(x: float) -> float:
        if x > 0:
            return math.log(x)
        return -math.inf if x == 0 else math.nan

    @staticmethod
    def sqrt(x: float) -> float:
        return math.sqrt(x) if x >= 0 else math.nan

    tanh = staticmethod(math.tanh)

    @staticmethod
    def sin(x: float) -> float:
        return math.sin(x) if math.isfinite(x) else math.nan

    @staticmethod
    def cos(x: float) -> float:
        return math.cos(x) if math.isfinite(x) else math.nan

    @staticmethod
    def sigmoid(x: float) -> float:
        # exp of a non-positive number only: never overflows.
        if x >= 0:
            return 1.0 / (1.0 + math.exp(-x))
        e = math.exp(x)
        return e / (1.0 + e)

    @staticmethod
    def power(x: float, exponent: float) -> float:
        if x < 0 and not float(exponent).is_integer():
            return math.nan  # a real power of a negative base is complex
        try:
            return x**exponent
        except ZeroDivisionError:  # 0 ** negative
            return math.inf
        except OverflowError:
            return math.inf

    @staticmethod
    def sign(x: float) -> float:
        return float((x > 0) - (x < 0))

    @staticmethod
    def relu(x: float) -> float:
        return x if x > 0 else 0.0


class NumpyXP:
    """numpy, plus the few helpers backward formulas need."""

    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    sqrt = staticmethod(np.sqrt)
    tanh = staticmethod(np.tanh)
    sin = staticmethod(np.sin)
    cos = staticmethod(np.cos)
    sign = staticmethod(np.sign)
    where = staticmethod(np.where)
    power = staticmethod(np.power)
    broadcast_to = staticmethod(np.broadcast_to)
    logaddexp = staticmethod(np.logaddexp)
    clip = staticmethod(np.clip)
    maximum = staticmethod(np.maximum)
    minimum = staticmethod(np.minimum)
    einsum = staticmethod(np.einsum)  # surface-shape (issue 15)

    @staticmethod
    def relu(x):
        return np.maximum(x, 0)

    @staticmethod
    def sigmoid(x):
        # exp(-|x|) is at most 1, so neither branch overflows.
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1 / (1 + e), e / (1 + e))

    @staticmethod
    def scatter_add(values, index, shape):
        """zeros(shape) with `values` added at `index`; repeated indices accumulate."""
        out = np.zeros(shape, dtype=values.dtype)
        if is_basic_index(index):
            out[index] = values  # a basic index cannot repeat an element
        else:
            np.add.at(out, index, values)
        return out


class GraphXP:
    """ctx.xp under create_graph=True: the same names as `raw` (MathXP or NumpyXP), each
    recording its operator when an argument is a variable, and plain math otherwise."""

    def __init__(self, raw):
        self.raw = raw

    def exp(self, x):
        return el.Exp.apply(x) if isinstance(x, Variable) else self.raw.exp(x)

    def log(self, x):
        return el.Log.apply(x) if isinstance(x, Variable) else self.raw.log(x)

    def sqrt(self, x):
        return el.Sqrt.apply(x) if isinstance(x, Variable) else self.raw.sqrt(x)

    def sin(self, x):
        return el.Sin.apply(x) if isinstance(x, Variable) else self.raw.sin(x)

    def cos(self, x):
        return el.Cos.apply(x) if isinstance(x, Variable) else self.raw.cos(x)

    def tanh(self, x):
        return el.Tanh.apply(x) if isinstance(x, Variable) else self.raw.tanh(x)

    def sigmoid(self, x):
        return el.Sigmoid.apply(x) if isinstance(x, Variable) else self.raw.sigmoid(x)

    def relu(self, x):
        return el.Relu.apply(x) if isinstance(x, Variable) else self.raw.relu(x)

    def sign(self, x):
        return el.Sign.apply(x) if isinstance(x, Variable) else self.raw.sign(x)

    def power(self, x, exponent):
        if isinstance(exponent, Variable):
            return ar.PowTensor.apply(x, exponent)
        if isinstance(x, Variable):
            if isinstance(exponent, (int, float, np.integer, np.floating)):
                return ar.Pow.apply(x, exponent=exponent)
            return ar.PowTensor.apply(x, exponent)
        return self.raw.power(x, exponent)

    def where(self, condition, x, y):
        if isinstance(condition, Variable):
            condition = condition.data
        if isinstance(x, Variable) or isinstance(y, Variable):
            condition = np.asarray(condition).astype(bool, copy=False)
            return el.Where.apply(x, y, condition=condition)
        return self.raw.where(condition, x, y)

    def einsum(self, subscripts, *operands):  # surface-shape (issue 15)
        if any(isinstance(x, Variable) for x in operands):
            return la.Einsum.apply(*operands, subscripts=subscripts)
        return self.raw.einsum(subscripts, *operands)

    def maximum(self, x, y):
        if isinstance(x, Variable) or isinstance(y, Variable):
            return el.Maximum.apply(x, y)
        return self.raw.maximum(x, y)

    def minimum(self, x, y):
        if isinstance(x, Variable) or isinstance(y, Variable):
            return el.Minimum.apply(x, y)
        return self.raw.minimum(x, y)

    def clip(self, x, low, high):
        if isinstance(x, Variable):
            return el.Clip.apply(x, low=low, high=high)
        return self.raw.clip(x, low, high)

    def broadcast_to(self, x, shape):
        return x.broadcast_to(shape) if isinstance(x, Variable) else self.raw.broadcast_to(
            x, shape)

    def scatter_add(self, values, index, shape):
        if isinstance(values, Variable):
            return sh.ScatterAdd.apply(values, index=index, shape=tuple(shape))
        return self.raw.scatter_add(values, index, shape)

    def logaddexp(self, x, y):
        return self.raw.logaddexp(x, y)  # forward only (softplus): never given variables


def is_basic_index(index) -> bool:
    """True for ints, slices, None and Ellipsis (numpy's basic indexing, a view)."""
    parts = index if type(index) is tuple else (index,)
    return all(
        part is None or part is Ellipsis or isinstance(part, (int, np.integer, slice))
        and not isinstance(part, bool)
        for part in parts
    )
