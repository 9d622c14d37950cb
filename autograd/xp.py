"""Math namespaces for raw data: `ctx.xp` in forward and on the fast backward path.

One operator formula runs on three kinds of data, so each namespace offers the same
names: `MathXP` on Python floats (Scalar; no numpy on its hot path), `NumpyXP` on
ndarrays (Tensor). Under create_graph=True, backward gets `autograd.functional`
(Tensor) or `ScalarXP` (Scalar) instead, whose functions record graph nodes.
"""

from __future__ import annotations

import math

import numpy as np


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
    sign = staticmethod(np.sign)
    where = staticmethod(np.where)
    power = staticmethod(np.power)
    broadcast_to = staticmethod(np.broadcast_to)
    logaddexp = staticmethod(np.logaddexp)
    clip = staticmethod(np.clip)
    maximum = staticmethod(np.maximum)
    minimum = staticmethod(np.minimum)

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


def is_basic_index(index) -> bool:
    """True for ints, slices, None and Ellipsis (numpy's basic indexing, a view)."""
    parts = index if type(index) is tuple else (index,)
    return all(
        part is None or part is Ellipsis or isinstance(part, (int, np.integer, slice))
        and not isinstance(part, bool)
        for part in parts
    )
