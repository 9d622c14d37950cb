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

# isort: split
# surface-math (issue 15)
from .elementwise import (
                          Arccos,
                          Arccosh,
                          Arcsin,
                          Arcsinh,
                          Arctan,
                          Arctan2,
                          Arctanh,
                          Cbrt,
                          Ceil,
                          Cosh,
                          Exp2,
                          Expm1,
                          Floor,
                          FloorDivide,
                          Fmod,
                          Hypot,
                          Lerp,
                          Log1p,
                          Log2,
                          Log10,
                          LogAddExp,
                          NanToNum,
                          Reciprocal,
                          Remainder,
                          Round,
                          Rsqrt,
                          Sinh,
                          Square,
                          Tan,
                          Trunc,
)
from .reductions import Median, Prod
from .scans import Cumprod, Cumsum, LogCumSumExp

# isort: split
# conv (issue 16)
from .conv import (
                          AdaptiveAvgPool,
                          AvgPool,
                          Convolution,
                          ConvTranspose,
                          ConvWeight,
                          Interpolate,
                          MaxPool,
)

# norm (issue 16)
from .normalization import BatchNorm, GroupNorm, LayerNorm
from .sparse import Embedding

# isort: split
# attn (issue 16)
from .attention import ScaledDotProductAttention

ALL_OPERATORS = (
    Add, Sub, Mul, Div, Neg, Pow, PowTensor,
    Exp, Log, Sqrt, Sin, Cos, Abs, Tanh, Sigmoid, Relu, Softplus, Sign, Clip,
    Maximum, Minimum, Where,
    Sum, Mean, Max, Min, Var, Std, LogSumExp, Softmax, LogSoftmax,
    Reshape, Transpose, BroadcastTo, GetItem, ScatterAdd, Concatenate, Stack, AsType,
    Matmul, Linear,
    # surface-math (issue 15)
    Tan, Arcsin, Arccos, Arctan, Arctan2, Sinh, Cosh, Arcsinh, Arccosh, Arctanh,
    Log2, Log10, Log1p, Expm1, Exp2, Rsqrt, Reciprocal, Square, Cbrt,
    Floor, Ceil, Round, Trunc, FloorDivide, Remainder, Fmod, Hypot, Lerp, LogAddExp, NanToNum,
    Prod, Median, Cumsum, Cumprod, LogCumSumExp,
    # surface-shape (issue 15)
    Einsum,
    # conv (issue 16)
    Convolution, ConvTranspose, ConvWeight, MaxPool, AvgPool, AdaptiveAvgPool, Interpolate,
    # norm (issue 16)
    LayerNorm, BatchNorm, GroupNorm, Embedding,
    # attn (issue 16)
    ScaledDotProductAttention,
)

__all__ = [op.__name__ for op in ALL_OPERATORS] + ["ALL_OPERATORS"]
