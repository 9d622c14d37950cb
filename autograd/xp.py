"""The math namespaces an operator gets as `ctx.xp`.

One operator formula runs on three kinds of data, so each namespace offers the same
names: `MathXP` on Python floats (Scalar; no numpy on its hot path), `NumpyXP` on
ndarrays (Tensor), and under create_graph=True a `GraphXP` whose functions record graph
nodes when given variables, so the backward formula is itself differentiable.

What ctx.xp offers (every name on Tensors; on Scalars those marked *):

    exp* log* sqrt* sin* cos* tanh* sigmoid* relu* sign* power*(x, c)
    softplus* (forward only: logaddexp(x, 0))  logaddexp*
    where*(condition, x, y)  maximum(x, y)  minimum(x, y)  clip(x, low, high)
    broadcast_to(x, shape)  scatter_add(values, index, shape)  einsum(subscripts, *xs)

surface-math (issue 15), on Tensors and Scalars alike:

    tan arcsin arccos arctan arctan2(y, x) sinh cosh arcsinh arccosh arctanh log2 log10
    log1p expm1 exp2 rsqrt reciprocal square cbrt floor ceil round(x, decimals) trunc
    floor_divide remainder fmod hypot lerp(x, y, weight) logaddexp nan_to_num(x, nan,
    posinf, neginf) isclose isnan isinf isfinite (the last four: no gradient)
    prod(x, axis, keepdims) cumsum(x, axis) cumprod(x, axis) logcumsumexp(x, axis)
    count_nonzero*(x) equal*(x, y) (tests on values, never differentiated: a Scalar's ==
    is identity, so a backward formula compares values with xp.equal)

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
from .ops import reductions as rd
from .ops import scans as sc
from .ops import shape as sh
from .variable import Variable


def _on_floats(ufunc):
    """numpy's `ufunc` on Python floats: a float back, IEEE inf/nan, no warning."""
    def on_floats(*args, **kwargs):
        with np.errstate(all="ignore"):
            return float(ufunc(*(np.float64(a) for a in args), **kwargs))
    return on_floats


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

    # surface-math: numpy's scalar answers (inf and nan at domain edges) as floats, without
    # numpy's warnings (MathXP's hand-written functions never warn either).
    tan = staticmethod(_on_floats(np.tan))
    arcsin = staticmethod(_on_floats(np.arcsin))
    arccos = staticmethod(_on_floats(np.arccos))
    arctan = staticmethod(_on_floats(np.arctan))
    arctan2 = staticmethod(_on_floats(np.arctan2))
    sinh = staticmethod(_on_floats(np.sinh))
    cosh = staticmethod(_on_floats(np.cosh))
    arcsinh = staticmethod(_on_floats(np.arcsinh))
    arccosh = staticmethod(_on_floats(np.arccosh))
    arctanh = staticmethod(_on_floats(np.arctanh))
    log2 = staticmethod(_on_floats(np.log2))
    log10 = staticmethod(_on_floats(np.log10))
    log1p = staticmethod(_on_floats(np.log1p))
    expm1 = staticmethod(_on_floats(np.expm1))
    exp2 = staticmethod(_on_floats(np.exp2))
    rsqrt = staticmethod(_on_floats(lambda x: 1 / np.sqrt(x)))
    reciprocal = staticmethod(_on_floats(lambda x: 1 / x))
    square = staticmethod(_on_floats(np.square))
    cbrt = staticmethod(_on_floats(np.cbrt))
    floor = staticmethod(_on_floats(np.floor))
    ceil = staticmethod(_on_floats(np.ceil))
    trunc = staticmethod(_on_floats(np.trunc))
    floor_divide = staticmethod(_on_floats(np.floor_divide))
    remainder = staticmethod(_on_floats(np.remainder))
    fmod = staticmethod(_on_floats(np.fmod))
    hypot = staticmethod(_on_floats(np.hypot))
    logaddexp = staticmethod(_on_floats(np.logaddexp))
    nan_to_num = staticmethod(_on_floats(np.nan_to_num))
    isnan = staticmethod(math.isnan)
    isinf = staticmethod(math.isinf)

    @staticmethod
    def where(condition, x, y):
        return x if condition else y

    @staticmethod
    def count_nonzero(x) -> int:
        return int(x != 0)

    @staticmethod
    def equal(x, y) -> bool:
        return x == y
    isfinite = staticmethod(math.isfinite)

    @staticmethod
    def round(x, decimals=0):
        return float(np.round(x, decimals))

    @staticmethod
    def lerp(x, y, weight):
        return x + weight * (y - x)

    @staticmethod
    def isclose(x, y, rtol=1e-05, atol=1e-08, equal_nan=False):
        return bool(np.isclose(x, y, rtol=rtol, atol=atol, equal_nan=equal_nan))


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
    equal = staticmethod(np.equal)

    # surface-math
    tan = staticmethod(np.tan)
    arcsin = staticmethod(np.arcsin)
    arccos = staticmethod(np.arccos)
    arctan = staticmethod(np.arctan)
    arctan2 = staticmethod(np.arctan2)
    sinh = staticmethod(np.sinh)
    cosh = staticmethod(np.cosh)
    arcsinh = staticmethod(np.arcsinh)
    arccosh = staticmethod(np.arccosh)
    arctanh = staticmethod(np.arctanh)
    log2 = staticmethod(np.log2)
    log10 = staticmethod(np.log10)
    log1p = staticmethod(np.log1p)
    expm1 = staticmethod(np.expm1)
    exp2 = staticmethod(np.exp2)
    square = staticmethod(np.square)
    cbrt = staticmethod(np.cbrt)
    floor = staticmethod(np.floor)
    ceil = staticmethod(np.ceil)
    round = staticmethod(np.round)
    trunc = staticmethod(np.trunc)
    floor_divide = staticmethod(np.floor_divide)
    remainder = staticmethod(np.remainder)
    fmod = staticmethod(np.fmod)
    hypot = staticmethod(np.hypot)
    nan_to_num = staticmethod(np.nan_to_num)
    isclose = staticmethod(np.isclose)
    isnan = staticmethod(np.isnan)
    isinf = staticmethod(np.isinf)
    isfinite = staticmethod(np.isfinite)
    prod = staticmethod(np.prod)
    # (x, axis): numpy's cumsum and cumprod (the same dtypes), without their Python wrappers
    cumsum = staticmethod(np.add.accumulate)
    cumprod = staticmethod(np.multiply.accumulate)
    count_nonzero = staticmethod(np.count_nonzero)  # a test on values: no gradient

    @staticmethod
    def rsqrt(x):
        return np.reciprocal(np.sqrt(x))  # sqrt's result is float, even for integer x

    @staticmethod
    def reciprocal(x):
        return 1.0 / x  # np.reciprocal of an integer array truncates (1 // x)

    @staticmethod
    def lerp(x, y, weight):
        return x + weight * (y - x)

    @staticmethod
    def logcumsumexp(x, axis):
        return np.logaddexp.accumulate(x, axis=axis)

    @staticmethod
    def relu(x):
        return np.maximum(x, 0)

    @staticmethod
    def sigmoid(x):
        # exp(-|x|) is at most 1, so neither branch overflows.
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1 / (1 + e), e / (1 + e))

    concatenate = staticmethod(np.concatenate)  # rnn (issue 16): the fused lstm_cell

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

    def concatenate(self, arrays, axis=0):  # rnn (issue 16): the fused lstm_cell
        if any(isinstance(a, Variable) for a in arrays):
            return sh.Concatenate.apply(*arrays, axis=axis)
        return self.raw.concatenate(arrays, axis=axis)

    # surface-math: each records its operator when an argument is a variable.
    def _record(self, op, name, *args, **params):
        if any(isinstance(a, Variable) for a in args):
            return op.apply(*args, **params)
        return getattr(self.raw, name)(*args, **params)

    def tan(self, x): return self._record(el.Tan, "tan", x)  # noqa: E704
    def arcsin(self, x): return self._record(el.Arcsin, "arcsin", x)  # noqa: E704
    def arccos(self, x): return self._record(el.Arccos, "arccos", x)  # noqa: E704
    def arctan(self, x): return self._record(el.Arctan, "arctan", x)  # noqa: E704
    def arctan2(self, y, x): return self._record(el.Arctan2, "arctan2", y, x)  # noqa: E704
    def sinh(self, x): return self._record(el.Sinh, "sinh", x)  # noqa: E704
    def cosh(self, x): return self._record(el.Cosh, "cosh", x)  # noqa: E704
    def arcsinh(self, x): return self._record(el.Arcsinh, "arcsinh", x)  # noqa: E704
    def arccosh(self, x): return self._record(el.Arccosh, "arccosh", x)  # noqa: E704
    def arctanh(self, x): return self._record(el.Arctanh, "arctanh", x)  # noqa: E704
    def log2(self, x): return self._record(el.Log2, "log2", x)  # noqa: E704
    def log10(self, x): return self._record(el.Log10, "log10", x)  # noqa: E704
    def log1p(self, x): return self._record(el.Log1p, "log1p", x)  # noqa: E704
    def expm1(self, x): return self._record(el.Expm1, "expm1", x)  # noqa: E704
    def exp2(self, x): return self._record(el.Exp2, "exp2", x)  # noqa: E704
    def rsqrt(self, x): return self._record(el.Rsqrt, "rsqrt", x)  # noqa: E704
    def reciprocal(self, x): return self._record(el.Reciprocal, "reciprocal", x)  # noqa: E704
    def square(self, x): return self._record(el.Square, "square", x)  # noqa: E704
    def cbrt(self, x): return self._record(el.Cbrt, "cbrt", x)  # noqa: E704
    def floor(self, x): return self._record(el.Floor, "floor", x)  # noqa: E704
    def ceil(self, x): return self._record(el.Ceil, "ceil", x)  # noqa: E704
    def trunc(self, x): return self._record(el.Trunc, "trunc", x)  # noqa: E704

    def round(self, x, decimals=0):
        if isinstance(x, Variable):
            return el.Round.apply(x, decimals=decimals)
        return self.raw.round(x, decimals)

    def floor_divide(self, x, y):
        return self._record(el.FloorDivide, "floor_divide", x, y)

    def remainder(self, x, y):
        return self._record(el.Remainder, "remainder", x, y)

    def fmod(self, x, y):
        return self._record(el.Fmod, "fmod", x, y)

    def hypot(self, x, y):
        return self._record(el.Hypot, "hypot", x, y)

    def lerp(self, x, y, weight):
        return self._record(el.Lerp, "lerp", x, y, weight)

    def nan_to_num(self, x, nan=0.0, posinf=None, neginf=None):
        return self._record(el.NanToNum, "nan_to_num", x, nan=nan, posinf=posinf,
                            neginf=neginf)

    def prod(self, x, axis=None, keepdims=False):
        if isinstance(x, Variable):
            return rd.Prod.of(x, axis, keepdims)
        return self.raw.prod(x, axis=axis, keepdims=keepdims)

    def cumsum(self, x, axis):
        return sc.Cumsum.of(x, axis) if isinstance(x, Variable) else self.raw.cumsum(x, axis)

    def cumprod(self, x, axis):
        return sc.Cumprod.of(x, axis) if isinstance(x, Variable) else self.raw.cumprod(x, axis)

    def logcumsumexp(self, x, axis):
        if isinstance(x, Variable):
            return sc.LogCumSumExp.of(x, axis)
        return self.raw.logcumsumexp(x, axis)

    # No gradient: run on the data (a comparison's answer is the same for a variable).
    def isclose(self, x, y, rtol=1e-05, atol=1e-08, equal_nan=False):
        return self.raw.isclose(_data(x), _data(y), rtol=rtol, atol=atol, equal_nan=equal_nan)

    def isnan(self, x): return self.raw.isnan(_data(x))  # noqa: E704
    def count_nonzero(self, x): return self.raw.count_nonzero(_data(x))  # noqa: E704
    def equal(self, x, y): return self.raw.equal(_data(x), _data(y))  # noqa: E704
    def isinf(self, x): return self.raw.isinf(_data(x))  # noqa: E704
    def isfinite(self, x): return self.raw.isfinite(_data(x))  # noqa: E704

    def logaddexp(self, x, y):
        if isinstance(x, Variable) or isinstance(y, Variable):
            return el.LogAddExp.apply(x, y)
        return self.raw.logaddexp(x, y)


def _data(x):
    return x.data if isinstance(x, Variable) else x


def is_basic_index(index) -> bool:
    """True for ints, slices, None and Ellipsis (numpy's basic indexing, a view)."""
    parts = index if type(index) is tuple else (index,)
    return all(
        part is None or part is Ellipsis or isinstance(part, (int, np.integer, slice))
        and not isinstance(part, bool)
        for part in parts
    )
