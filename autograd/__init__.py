"""tracegrad's engine: reverse-mode automatic differentiation on numpy.

Scalar (one float, micrograd-style) and Tensor (an ndarray) record every operator applied
to them as a graph of variable and operator nodes; backward() walks that graph once.
"""

from . import functional
from .anomaly import detect_anomaly
from .checks import GraphCheckError, GraphCheckReport, check_graph
from .collector import is_collector_tuning_enabled, set_collector_tuning
from .creation import (
    arange,
    default_generator,
    from_numpy,
    full,
    full_like,
    manual_seed,
    ones,
    ones_like,
    rand,
    randn,
    randn_like,
    tensor,
    zeros,
    zeros_like,
)
from .engine import Node, Operator, topological_order
from .functional import (
    abs,
    backward,
    broadcast_to,
    clip,
    concatenate,
    cos,
    dot,
    exp,
    expand_dims,
    grad,
    log,
    log_softmax,
    logsumexp,
    matmul,
    maximum,
    mean,
    minimum,
    power,
    register_hook,
    relu,
    reshape,
    retain_grad,
    sigmoid,
    sign,
    sin,
    softmax,
    softplus,
    sqrt,
    squeeze,
    stack,
    std,
    swapaxes,
    tanh,
    transpose,
    unsqueeze,
    var,
    where,
)
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .graph import Graph, scope, trace
from .scalar import Scalar
from .tensor import Tensor
from .transforms import grad_of, hessian, hvp, jacobian, value_and_grad

__version__ = "0.1.0"

__all__ = [
    "Scalar", "Tensor", "Operator", "Node", "topological_order",
    "tensor", "from_numpy", "zeros", "ones", "full", "arange", "randn", "rand",
    "zeros_like", "ones_like", "full_like", "randn_like", "manual_seed", "default_generator",
    "backward", "grad", "register_hook", "retain_grad",
    "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "detect_anomaly",
    "gradcheck", "gradgradcheck", "GradcheckError", "functional",
    "abs", "broadcast_to", "clip", "concatenate", "dot", "exp", "expand_dims", "log",
    "log_softmax", "logsumexp", "matmul", "maximum", "mean", "minimum", "power", "relu",
    "reshape", "sigmoid", "sign", "sin", "cos", "softmax", "softplus", "sqrt", "squeeze",
    "stack", "std", "swapaxes", "tanh", "transpose", "unsqueeze", "var", "where",
    "trace", "Graph", "scope", "viz", "set_collector_tuning",
    "is_collector_tuning_enabled",
]
__all__ += [
    "value_and_grad", "grad_of", "jacobian", "hessian", "hvp", "check_graph",
    "GraphCheckReport", "GraphCheckError",
]


def __getattr__(name):
    # autograd.viz imports the graphviz package: load it on first use, not with autograd.
    if name == "viz":
        import importlib

        return importlib.import_module(".viz", __name__)
    raise AttributeError(f"module 'autograd' has no attribute {name!r}")


from .environment import warn_about_free_threading as _warn_about_free_threading  # noqa: E402
from .environment import warn_about_hips_autograd as _warn_about_hips_autograd  # noqa: E402
from .functional import log_sigmoid, norm  # noqa: E402

__all__ += ["log_sigmoid", "norm"]

# surface-math (issue 15, items 1 and 2): numpy's names
from .functional import (  # noqa: E402
    all,
    amax,
    amin,
    any,
    arccos,
    arccosh,
    arcsin,
    arcsinh,
    arctan,
    arctan2,
    arctanh,
    argmax,
    argmin,
    cbrt,
    ceil,
    cosh,
    cumprod,
    cumsum,
    exp2,
    expm1,
    floor,
    floor_divide,
    fmod,
    hypot,
    isclose,
    isfinite,
    isinf,
    isnan,
    lerp,
    log1p,
    log2,
    log10,
    logaddexp,
    logcumsumexp,
    median,
    mod,
    nan_to_num,
    prod,
    reciprocal,
    remainder,
    round,
    rsqrt,
    sinh,
    square,
    std_mean,
    tan,
    trunc,
    var_mean,
)

__all__ += [
    "tan", "arcsin", "arccos", "arctan", "arctan2", "sinh", "cosh", "arcsinh", "arccosh",
    "arctanh", "log2", "log10", "log1p", "expm1", "exp2", "rsqrt", "reciprocal", "square",
    "cbrt", "floor", "ceil", "round", "trunc", "floor_divide", "remainder", "mod", "fmod",
    "hypot", "lerp", "logaddexp", "nan_to_num", "isclose", "isnan", "isinf", "isfinite",
    "prod", "median", "cumsum", "cumprod", "logcumsumexp", "argmax", "argmin", "any", "all",
    "amax", "amin", "var_mean", "std_mean",
]

# surface-shape (issue 15 items 3-4): shape, indexing, assembly and creation. numpy's
# trace is Tensor.trace / np.trace / functional.trace: autograd.trace records a graph.
from .creation import (  # noqa: E402
    empty,
    empty_like,
    eye,
    linspace,
    logspace,
    normal,
    rand_like,
    randint,
    uniform,
)
from .functional import (  # noqa: E402
    add_at,
    argsort,
    array_split,
    atleast_1d,
    atleast_2d,
    atleast_3d,
    column_stack,
    deg2rad,
    diag,
    diagonal,
    diff,
    dstack,
    einsum,
    flatten,
    flip,
    hstack,
    kron,
    masked_fill,
    meshgrid,
    one_hot,
    outer,
    pad,
    put_along_axis,
    rad2deg,
    ravel,
    repeat,
    roll,
    sort,
    split,
    take,
    take_along_axis,
    tensordot,
    tile,
    topk,
    tril,
    triu,
    unflatten,
    vstack,
)

__all__ += [
    "empty", "empty_like", "eye", "linspace", "logspace", "normal", "rand_like", "randint",
    "uniform", "add_at", "argsort", "array_split", "atleast_1d", "atleast_2d", "atleast_3d",
    "column_stack", "deg2rad", "diag", "diagonal", "diff", "dstack", "einsum", "flatten",
    "flip", "hstack", "kron", "masked_fill", "meshgrid", "one_hot", "outer", "pad",
    "put_along_axis", "rad2deg", "ravel", "repeat", "roll", "sort", "split", "take",
    "take_along_axis", "tensordot", "tile", "topk", "tril", "triu", "unflatten", "vstack",
]

_warn_about_hips_autograd()
_warn_about_free_threading()
