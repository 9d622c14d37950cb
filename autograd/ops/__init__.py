"""The built-in operators, one class each, forward and backward side by side."""

from .arithmetic import Add, Div, Mul, Neg, Pow, PowTensor, Sub
from .elementwise import (
                          Abs,
                          Clip,
                          Cos,
                          Exp,
                          Log,
                          Maximum,
                          Minimum,
                          Relu,
                          Sigmoid,
                          Sign,
                          Sin,
                          Softplus,
                          Sqrt,
                          Tanh,
                          Where,
)
from .linalg import (
                          Einsum,  # surface-shape (issue 15)
                          Linear,
                          Matmul,
)
from .reductions import LogSoftmax, LogSumExp, Max, Mean, Min, Softmax, Std, Sum, Var
from .shape import AsType, BroadcastTo, Concatenate, GetItem, Reshape, ScatterAdd, Stack, Transpose

ALL_OPERATORS = (
    Add, Sub, Mul, Div, Neg, Pow, PowTensor,
    Exp, Log, Sqrt, Sin, Cos, Abs, Tanh, Sigmoid, Relu, Softplus, Sign, Clip,
    Maximum, Minimum, Where,
    Sum, Mean, Max, Min, Var, Std, LogSumExp, Softmax, LogSoftmax,
    Reshape, Transpose, BroadcastTo, GetItem, ScatterAdd, Concatenate, Stack, AsType,
    Matmul, Linear,
    # surface-shape (issue 15)
    Einsum,
)

__all__ = [op.__name__ for op in ALL_OPERATORS] + ["ALL_OPERATORS"]
