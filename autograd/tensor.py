"""Tensor: a numpy array that records the operators applied to it.

float64 by default, float32 kept where given; numpy broadcasting everywhere, with each
gradient summed back to its input's shape by the engine (`unbroadcast`).
"""

from __future__ import annotations

import threading
import warnings

import numpy as np

from . import versions
from .anomaly import check_forward
from .backprop import backward_method, unbroadcast
from .engine import (
    DiscardingContext,
    Node,
    ctx_attribute_error,
    is_ctx_attribute_error,
    new_node,
    register_default_kind,
)
from .grad_mode import _open_anywhere, _state
from .hooks import register_hook, retain_grad, retains_grad
from .ops import arithmetic as ar
from .ops import elementwise as el
from .ops import indexing as ix
from .ops import linalg as la
from .ops import reductions as rd
from .ops import scans as sc
from .ops import shape as sh
from .variable import Variable
from .xp import GraphXP, NumpyXP

_FLOAT_KINDS = "f"
_DATA_KINDS = "fiub"  # float, signed and unsigned int, bool


class TensorNode(Node):
    __slots__ = ()
    xp = NumpyXP


_NO_GRAD_CTX = DiscardingContext(NumpyXP)
_NO_PARAMS: dict = {}  # shared by every operator without parameters; never mutated
_accumulate_lock = threading.Lock()  # leaf .grad updates (numpy's += drops updates)
_new = object.__new__


def _as_array(data, dtype, op_name="Tensor"):
    """A fresh array for the constructor: copies, Python ints become float64 (labels
    should be given as integer ndarrays), complex and object dtypes are refused."""
    if isinstance(data, Tensor):
        data = data._data
    from_python = not isinstance(data, (np.ndarray, np.generic))
    try:
        array = np.array(data, dtype=dtype, copy=True)
    except (TypeError, ValueError) as error:
        raise type(error)(f"{op_name}: cannot make a tensor from {type(data).__name__}: "
                          f"{error}") from error
    if array.dtype.kind not in _DATA_KINDS:
        raise TypeError(
            f"{op_name}: unsupported dtype {array.dtype} (tracegrad supports float, int and "
            "bool arrays; complex and object arrays are not supported)"
        )
    if from_python and type(data) in (list, tuple) and _holds_tensors(data, needing_grad=True):
        raise TypeError(
            f"{op_name}: the list holds tensors that require grad, and a new tensor made "
            "from their values would lose their gradients; use autograd.stack(...) (or "
            "concatenate) to keep them in the graph, or .detach() them for a constant"
        )
    if from_python and dtype is None and array.dtype.kind in "iu":
        array = array.astype(np.float64)
    return array


def _check_can_require_grad(array, op_name="Tensor"):
    if array.dtype.kind not in _FLOAT_KINDS:
        raise TypeError(
            f"{op_name}: requires_grad=True needs a floating dtype, got {array.dtype}; "
            "pass dtype=np.float64 or call .astype(float)"
        )


def _with_op_name(error, op, variables):
    shapes = ", ".join(str(v._data.shape) for v in variables)
    message = f"{op.name}: {error} (input shapes {shapes})"
    if str(error).startswith(f"{op.name}:"):
        return error
    if isinstance(error, ValueError) and "could not be broadcast" in str(error):
        shapes = " and ".join(str(v._data.shape) for v in variables)
        message = (f"{op.name}: shapes {shapes} cannot be broadcast together (numpy: size-1 "
                   "or missing axes stretch, others must match); reshape or unsqueeze one")
    try:
        return type(error)(message)
    except Exception:  # an exception type with an unusual constructor: keep the original
        return error


class Tensor(Variable):
    """An n-dimensional array with reverse-mode automatic differentiation.

    Tensor(data, requires_grad=False, dtype=None, name=None) copies `data`. Python numbers
    and lists become float64 (ints too); numpy arrays keep their dtype, so integer label
    arrays stay integer. Only floating tensors can require grad.
    """

    __slots__ = ("_data", "_grad", "_version_counter")
    __array_priority__ = 1000  # ndarray (op) Tensor defers to Tensor's reflected methods

    def __init__(self, data, requires_grad=False, dtype=None, name=None):
        array = _as_array(data, dtype)
        if requires_grad:
            _check_can_require_grad(array)
        self._data = array
        self._grad = None
        self.requires_grad = bool(requires_grad)
        self.grad_fn = None
        self.name = name
        self._version_counter = [0]
        self._hooks = None

    # -- construction -----------------------------------------------------------------

    @classmethod
    def _make(cls, array, grad_fn=None, requires_grad=False):
        tensor = object.__new__(cls)
        tensor._data = array
        tensor._grad = None
        tensor.requires_grad = requires_grad
        tensor.grad_fn = grad_fn
        tensor.name = None
        tensor._version_counter = [0]
        tensor._hooks = None
        return tensor

    @property
    def _version(self) -> int:
        """How many in-place changes this tensor's memory has seen. Shared (one counter
        object) with `detach()`ed tensors and with views made by reshape, transpose and
        basic indexing, so a change through any of them is seen by a graph saving another."""
        return self._version_counter[0]

    @_version.setter
    def _version(self, value):
        self._version_counter[0] = value

    # -- data and metadata -----------------------------------------------------------

    @property
    def grad(self):
        """The accumulated gradient (a Tensor), None until a backward reaches this tensor.
        Only leaves (and intermediates after retain_grad()) keep one; reading it on
        another intermediate warns, as in PyTorch, since it is always None there."""
        grad = self._grad
        if grad is None and self.grad_fn is not None and not retains_grad(self):
            warnings.warn(
                "The .grad of a tensor that is not a leaf (made by "
                f"'{self.grad_fn.op.name}') is not kept by backward() and stays None. Call "
                ".retain_grad() on it before backward to keep it, or read the .grad of the "
                "leaf tensor you meant.",
                UserWarning,
                stacklevel=2,
            )
        return grad

    @grad.setter
    def grad(self, value):
        self._grad = value

    @property
    def retains_grad(self) -> bool:
        """True for a non-leaf tensor whose .grad backward keeps (after retain_grad()), as
        in PyTorch; tools that read gradients ask this instead of triggering .grad's warning."""
        return self.grad_fn is not None and retains_grad(self)

    @property
    def data(self) -> np.ndarray:
        """The underlying ndarray (shared, not copied).

        Writes into it (`t.data[...] = v`, `np.copyto(t.data, v)`) are NOT checked: the
        ndarray has no version counter, so after a forward pass that saved `t` they make
        backward silently wrong. To change values, write through the tensor, which is
        checked (backward then raises naming `t`): `with no_grad(): t[...] = v`, or assign
        a new array, `t.data = new_array`.
        """
        return self._data

    @data.setter
    def data(self, array):
        array = np.asarray(array)
        if array.dtype.kind not in _DATA_KINDS:
            raise TypeError(f"Tensor.data: unsupported dtype {array.dtype}")
        if self.requires_grad and array.dtype.kind not in _FLOAT_KINDS:
            # an integer gradient would be truncated (2 instead of 2.5): PyTorch refuses too
            label = f" '{self.name}'" if self.name else ""
            raise TypeError(
                f"Tensor.data: tensor{label} requires grad, so its data must stay floating; "
                f"got an array of dtype {array.dtype}. Pass .astype({self.dtype}) of it"
            )
        self._data = array
        versions.bump(self)

    @property
    def shape(self) -> tuple:
        return self._data.shape

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def size(self) -> int:
        """The number of elements (numpy's); calling it like PyTorch's x.size() raises,
        naming x.shape."""
        return _Size(self._data.size)

    def __len__(self):
        if not self._data.ndim:
            raise TypeError("len() of a 0-d tensor")
        return len(self._data)

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __array__(self, dtype=None, copy=None):
        if dtype is not None:
            return self._data.astype(dtype, copy=bool(copy))
        return self._data.copy() if copy else self._data

    def numpy(self) -> np.ndarray:
        """The data as an ndarray (shared with the tensor, like torch's .numpy()); writes
        into it are unchecked, as through `.data` (see there for the checked ways)."""
        return self._data

    def item(self) -> float | int | bool:
        if self._data.size != 1:
            raise ValueError(
                f"item: only a tensor with one element can be converted to a Python number, "
                f"got shape {self.shape}"
            )
        return self._data.item()

    def tolist(self):
        return self._data.tolist()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        return bool(self._data)

    def detach(self) -> Tensor:
        """A new leaf outside the graph that shares this tensor's data and its version
        counter (as in PyTorch): an in-place change through the detached tensor is still
        caught by a graph that saved this one."""
        detached = Tensor._make(self._data)
        detached._version_counter = self._version_counter
        return detached

    def __reduce_ex__(self, protocol):
        """Pickle the data (with its dtype), requires_grad and name: never the graph, never
        .grad. A non-leaf comes back as a leaf that requires grad (PyTorch does the same)."""
        return (_rebuild, (self._data, self.requires_grad, self.name))

    def __deepcopy__(self, memo):
        """A copy like pickle's (data, requires_grad, name; no .grad) of a leaf. A tensor
        made by an operator is refused, as in PyTorch: copying it could not copy its graph."""
        if self.grad_fn is not None:
            raise RuntimeError(
                f"deepcopy: only leaf tensors can be deep-copied; this one was made by "
                f"'{self.grad_fn.op.name}'. Use .detach().copy() for a copy outside the "
                "graph, or .copy() for a differentiable one"
            )
        rebuild, args = self.__reduce_ex__(4)[:2]
        return rebuild(*args)

    def copy(self) -> Tensor:
        """A differentiable copy (a new array); gradients flow back to self."""
        return self + 0 if self.requires_grad else Tensor._make(self._data.copy())

    clone = copy

    def astype(self, dtype) -> Tensor:
        dtype = np.dtype(dtype)
        if dtype == self._data.dtype:
            return self
        if self.requires_grad and dtype.kind == "f":
            return sh.AsType.apply(self, dtype=dtype)
        return Tensor._make(self._data.astype(dtype))

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if not self.is_leaf:
            raise RuntimeError(
                "requires_grad_: only leaf tensors can change requires_grad; "
                "use .detach() to get a leaf"
            )
        if requires_grad:
            _check_can_require_grad(self._data, "requires_grad_")
        self.requires_grad = bool(requires_grad)
        return self

    # -- in place (the rules and version counters: autograd.versions) ------------

    def zero_(self) -> Tensor:
        """Set every element to 0 in place (a parameter update: use it under no_grad)."""
        versions.check_inplace(self, "zero_")
        self._data[...] = 0
        versions.bump(self)
        return self

    def _inplace(self, other, ufunc, op_name, out_of_place):
        """self op= other: in place (versions.update_inplace) unless a graph is recorded
        through it (versions.records_through), then out of place. A list holding tensors
        is stacked into the graph first."""
        if type(other) in (list, tuple) and _holds_tensors(other):
            other = _stacked(other, op_name)
        if versions.records_through(self, other, op_name):
            return out_of_place(other)
        operand = other._data if isinstance(other, Tensor) else _constant(
            other, self, op_name)._data
        versions.update_inplace(self, operand, ufunc, op_name)
        return self

    def __setitem__(self, index, value):
        """In-place assignment: no gradient flows through it, so it is refused on tensors
        that require grad, and for values that require grad, while grad mode is on."""
        versions.check_inplace(self, "__setitem__")
        if isinstance(value, Tensor) and value.requires_grad and _state.grad_enabled:
            raise RuntimeError(
                "__setitem__: the assigned value requires grad, but no gradient flows through "
                "an in-place write, so it would be lost; build the tensor with concatenate(), "
                "stack() or where() instead, or assign under no_grad()"
            )
        self._data[sh.raw_index(index)] = value._data if isinstance(value, Tensor) else value
        versions.bump(self)

    def __iadd__(self, other):
        return self._inplace(other, np.add, "+=", self.__add__)

    def __isub__(self, other):
        return self._inplace(other, np.subtract, "-=", self.__sub__)

    def __imul__(self, other):
        return self._inplace(other, np.multiply, "*=", self.__mul__)

    def __itruediv__(self, other):
        return self._inplace(other, np.true_divide, "/=", self.__truediv__)

    def __ipow__(self, other):
        return self._inplace(other, np.power, "**=", self.__pow__)

    # -- backward -------------------------------------------------------------------

    backward = backward_method
    retain_grad = retain_grad
    register_hook = register_hook

    # -- display --------------------------------------------------------------------

    def __repr__(self):
        body = np.array2string(self._data, precision=4, separator=", ", prefix="Tensor(",
                               threshold=100, edgeitems=3)
        extras = []
        if self._data.dtype != np.float64:
            extras.append(f"dtype={self._data.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{self.grad_fn.op.name}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.name:
            extras.append(f"name={self.name!r}")
        return f"Tensor({', '.join([body] + extras)})"

    __hash__ = object.__hash__

    # -- arithmetic -----------------------------------------------------------------

    def __add__(self, other):
        return _run(ar.Add, (self, other))

    def __radd__(self, other):  # other + self
        return _run(ar.Add, (other, self))

    def __sub__(self, other):
        return _run(ar.Sub, (self, other))

    def __rsub__(self, other):  # other - self
        return _run(ar.Sub, (other, self))

    def __mul__(self, other):
        return _run(ar.Mul, (self, other))

    def __rmul__(self, other):  # other * self
        return _run(ar.Mul, (other, self))

    def __truediv__(self, other):
        return _run(ar.Div, (self, other))

    def __rtruediv__(self, other):  # other / self
        return _run(ar.Div, (other, self))

    def __pow__(self, exponent):
        if isinstance(exponent, (int, float, np.integer, np.floating)):
            return ar.Pow.apply(self, exponent=exponent)
        return _run(ar.PowTensor, (self, exponent))

    def __rpow__(self, base):  # base ** self
        return _run(ar.PowTensor, (base, self))

    def __neg__(self):
        return _run(ar.Neg, (self,))

    def __pos__(self):
        return self

    def __abs__(self):
        return _run(el.Abs, (self,))

    def __matmul__(self, other):
        return _run(la.Matmul, (self, other))

    def __rmatmul__(self, other):  # other @ self
        return _run(la.Matmul, (other, self))

    def matmul(self, other):
        return _run(la.Matmul, (self, other))

    def dot(self, other):
        return la.Matmul.dot(self, other)

    # -- comparisons and logic (no gradient) ----------------------------------------

    def _compare(self, other, ufunc):
        other = other._data if isinstance(other, Tensor) else other
        return Tensor._make(ufunc(self._data, other))

    def __eq__(self, other):
        return self._compare(other, np.equal)

    def __ne__(self, other):
        return self._compare(other, np.not_equal)

    def __lt__(self, other):
        return self._compare(other, np.less)

    def __le__(self, other):
        return self._compare(other, np.less_equal)

    def __gt__(self, other):
        return self._compare(other, np.greater)

    def __ge__(self, other):
        return self._compare(other, np.greater_equal)

    # & | ^ ~ are numpy's bitwise operators: logical on bool tensors (masks), bitwise on
    # integers (~[1, -8, 6] is [-2, 7, -7]); float tensors refuse, as in numpy.

    def _bitwise(self, other, ufunc, symbol, reflected=False):
        other = other._data if isinstance(other, Tensor) else other
        operands = (other, self._data) if reflected else (self._data, other)
        try:
            return Tensor._make(np.asarray(ufunc(*operands)))
        except TypeError as error:
            dtypes = " and ".join(str(np.asarray(o).dtype) for o in operands)
            raise TypeError(
                f"{symbol}: bitwise operators need integer or bool tensors, got {dtypes}; "
                "for a mask, compare first, e.g. (x > 0) & (y < 1)"
            ) from error

    def __and__(self, other):
        return self._bitwise(other, np.bitwise_and, "&")

    def __rand__(self, other):
        return self._bitwise(other, np.bitwise_and, "&", reflected=True)

    def __or__(self, other):
        return self._bitwise(other, np.bitwise_or, "|")

    def __ror__(self, other):
        return self._bitwise(other, np.bitwise_or, "|", reflected=True)

    def __xor__(self, other):
        return self._bitwise(other, np.bitwise_xor, "^")

    def __rxor__(self, other):
        return self._bitwise(other, np.bitwise_xor, "^", reflected=True)

    def __invert__(self):
        try:
            return Tensor._make(np.asarray(np.invert(self._data)))
        except TypeError as error:
            raise TypeError(f"~: bitwise not needs an integer or bool tensor, got "
                            f"{self.dtype}; for a mask, compare first, e.g. ~(x > 0)") from error

    # -- elementwise ----------------------------------------------------------------

    def exp(self):
        return _run(el.Exp, (self,))

    def log(self):
        return _run(el.Log, (self,))

    def sqrt(self):
        return _run(el.Sqrt, (self,))

    def abs(self):
        return _run(el.Abs, (self,))

    def tanh(self):
        return _run(el.Tanh, (self,))

    def sigmoid(self):
        return _run(el.Sigmoid, (self,))

    def relu(self):
        return _run(el.Relu, (self,))

    def softplus(self):
        return _run(el.Softplus, (self,))

    def log_sigmoid(self):
        """out = ln σ(x) = −softplus(−x);  ∂out/∂x = σ(−x). Finite at x = ±1000, where
        log(sigmoid(x)) gives ln 0 = −inf."""
        return -(-self).softplus()

    def sign(self):
        return _run(el.Sign, (self,))

    def clip(self, min=None, max=None):  # noqa: A002 - numpy's names
        return el.Clip.of(self, min, max)

    def maximum(self, other):
        return _run(el.Maximum, (self, other))

    def minimum(self, other):
        return _run(el.Minimum, (self, other))

    for _method, _op in [(exp, el.Exp), (log, el.Log), (sqrt, el.Sqrt), (abs, el.Abs),
                         (tanh, el.Tanh), (sigmoid, el.Sigmoid), (relu, el.Relu),
                         (softplus, el.Softplus), (sign, el.Sign), (clip, el.Clip),
                         (maximum, el.Maximum), (minimum, el.Minimum)]:
        _method.__doc__ = _op.__doc__

    # -- reductions -----------------------------------------------------------------

    def sum(self, axis=None, keepdims=False, **torch_names):
        if torch_names:
            _refuse_torch_names("sum", torch_names)
        return rd.Sum.of(self, axis, keepdims)

    def mean(self, axis=None, keepdims=False, **torch_names):
        if torch_names:
            _refuse_torch_names("mean", torch_names)
        return rd.Mean.of(self, axis, keepdims)

    def max(self, axis=None, keepdims=False, **torch_names):
        if torch_names:
            _refuse_torch_names("max", torch_names)
        return rd.Max.of(self, axis, keepdims)

    def min(self, axis=None, keepdims=False, **torch_names):
        if torch_names:
            _refuse_torch_names("min", torch_names)
        return rd.Min.of(self, axis, keepdims)

    def norm(self, axis=None, keepdims=False, ord=None, **torch_names):  # noqa: A002 - numpy's name
        """out = ‖x‖ = √(Σ x²) over the axes (all by default);  ∂out/∂x = x/‖x‖, taken as 0
        where ‖x‖ = 0 (PyTorch's subgradient; the plain formula gives 0·(1/0) = nan).

        Built with the "double where": sqrt only ever sees positive values, and the outer
        where sends no gradient into the zero branch, so first and second derivatives at 0
        are 0, not nan.

        `ord` is numpy.linalg.norm's: for a vector (one axis) inf, −inf, 0, 1, 2 or any p
        (Σ|x|ᵖ)^(1/p); for a matrix (two axes) "fro", 1, −1, inf, −inf (2, −2 and "nuc"
        need singular values, which tracegrad does not have). Composed of abs, sum, max,
        min and pow, so each shows as its steps in pictures.
        """
        if torch_names:
            _refuse_torch_names("norm", torch_names)
        if ord is not None:
            return _norm_with_ord(self, ord, axis, keepdims)
        squares = (self**2).sum(axis, keepdims)
        positive = squares._data > 0
        inner = el.Where.apply(squares, 1.0, condition=positive)
        return el.Where.apply(inner.sqrt(), 0.0, condition=positive)

    def var(self, axis=None, keepdims=False, ddof=0, **torch_names):
        if torch_names:
            _refuse_torch_names("var", torch_names)
        return rd.Var.of(self, axis, keepdims, ddof=ddof)

    def std(self, axis=None, keepdims=False, ddof=0, **torch_names):
        if torch_names:
            _refuse_torch_names("std", torch_names)
        return rd.Std.of(self, axis, keepdims, ddof=ddof)

    def logsumexp(self, axis=None, keepdims=False, **torch_names):
        if torch_names:
            _refuse_torch_names("logsumexp", torch_names)
        return rd.LogSumExp.of(self, axis, keepdims)

    def softmax(self, axis=-1, **torch_names):
        if torch_names:
            _refuse_torch_names("softmax", torch_names)
        return rd.Softmax.of(self, axis)

    def log_softmax(self, axis=-1, **torch_names):
        if torch_names:
            _refuse_torch_names("log_softmax", torch_names)
        return rd.LogSoftmax.of(self, axis)

    for _method, _op in [(sum, rd.Sum), (mean, rd.Mean), (max, rd.Max), (min, rd.Min),
                         (var, rd.Var), (std, rd.Std), (logsumexp, rd.LogSumExp),
                         (softmax, rd.Softmax),
                         (log_softmax, rd.LogSoftmax)]:
        _method.__doc__ = _op.__doc__
    del _method, _op

    # -- shape ----------------------------------------------------------------------

    def reshape(self, *shape):
        return sh.Reshape.of(self, shape)

    def transpose(self, *axes):
        return sh.Transpose.of(self, axes)

    @property
    def T(self):
        """All axes reversed (numpy's .T)."""
        return sh.Transpose.of(self)

    @property
    def mT(self):
        """The last two axes swapped (a batch of matrices transposed)."""
        return sh.Transpose.swapaxes(self, -1, -2)

    def swapaxes(self, axis1, axis2):
        return sh.Transpose.swapaxes(self, axis1, axis2)

    def squeeze(self, axis=None, **torch_names):
        if torch_names:
            _refuse_torch_names("squeeze", torch_names)
        return sh.Reshape.squeeze(self, axis)

    def unsqueeze(self, axis, **torch_names):
        if torch_names:
            _refuse_torch_names("unsqueeze", torch_names)
        return sh.Reshape.unsqueeze(self, axis)

    expand_dims = unsqueeze

    def flatten(self, start_axis=0, end_axis=-1):
        """Axes start_axis..end_axis merged into one (all of them by default)."""
        return ix.flatten(self, start_axis, end_axis)

    def broadcast_to(self, *shape):
        return sh.BroadcastTo.of(self, shape)

    expand = broadcast_to

    def __getitem__(self, index):
        return sh.GetItem.of(self, index)

    # -- surface-nn (issue 15 item 7): PyTorch habits, each an alias or a refusal naming
    # tracegrad's spelling (the decision table is in docs/design.md)

    def permute(self, *dims):
        """PyTorch's name for transpose(*axes)."""
        return self.transpose(*dims)

    def numel(self) -> int:
        """PyTorch's name for the number of elements (numpy's .size)."""
        return self._data.size

    def t(self):
        """PyTorch's transpose of a tensor of at most 2 dims (0-d and 1-d unchanged)."""
        if self.ndim > 2:
            raise ValueError(f"t: expects a tensor of at most 2 dims, got shape {self.shape}; "
                             "use x.transpose(*axes), x.swapaxes(a, b) or x.mT")
        return self.T

    def mm(self, other):
        """PyTorch's product of two matrices (both 2-d); x @ y is the general form."""
        if self.ndim != 2 or np.ndim(other) != 2:
            raise ValueError(f"mm: multiplies two matrices, got shapes {self.shape} and "
                             f"{np.shape(other)}; use x @ y (numpy's matmul) for other shapes")
        return self @ other

    def pow(self, exponent):
        """PyTorch's name for x ** exponent."""
        return self**exponent

    def clamp(self, min=None, max=None):  # noqa: A002 - PyTorch's names
        """PyTorch's name for clip(min, max)."""
        return self.clip(min, max)

    def view(self, *shape):
        raise TypeError("Tensor.view: numpy's view reinterprets the dtype and PyTorch's "
                        "reshapes sharing memory; tracegrad has neither: write "
                        f"x.reshape{shape if len(shape) != 1 else '(' + repr(shape[0]) + ')'}")

    def float(self):  # noqa: A003 - PyTorch's name, refused
        raise TypeError("Tensor.float: PyTorch's x.float() casts to float32; write "
                        "x.astype(np.float32) (or np.float64, tracegrad's default)")


    # -- surface-math (issue 15, items 1 and 2) --------------------------------------

    def tan(self): return _run(el.Tan, (self,))  # noqa: E704
    def arcsin(self): return _run(el.Arcsin, (self,))  # noqa: E704
    def arccos(self): return _run(el.Arccos, (self,))  # noqa: E704
    def arctan(self): return _run(el.Arctan, (self,))  # noqa: E704
    def arctan2(self, x): return _run(el.Arctan2, (self, x))  # noqa: E704
    def sinh(self): return _run(el.Sinh, (self,))  # noqa: E704
    def cosh(self): return _run(el.Cosh, (self,))  # noqa: E704
    def arcsinh(self): return _run(el.Arcsinh, (self,))  # noqa: E704
    def arccosh(self): return _run(el.Arccosh, (self,))  # noqa: E704
    def arctanh(self): return _run(el.Arctanh, (self,))  # noqa: E704
    def log2(self): return _run(el.Log2, (self,))  # noqa: E704
    def log10(self): return _run(el.Log10, (self,))  # noqa: E704
    def log1p(self): return _run(el.Log1p, (self,))  # noqa: E704
    def expm1(self): return _run(el.Expm1, (self,))  # noqa: E704
    def exp2(self): return _run(el.Exp2, (self,))  # noqa: E704
    def rsqrt(self): return _run(el.Rsqrt, (self,))  # noqa: E704
    def reciprocal(self): return _run(el.Reciprocal, (self,))  # noqa: E704
    def square(self): return _run(el.Square, (self,))  # noqa: E704
    def cbrt(self): return _run(el.Cbrt, (self,))  # noqa: E704
    def floor(self): return _run(el.Floor, (self,))  # noqa: E704
    def ceil(self): return _run(el.Ceil, (self,))  # noqa: E704
    def trunc(self): return _run(el.Trunc, (self,))  # noqa: E704
    def round(self, decimals=0):
        return Tensor._apply(el.Round, (self,), {"decimals": decimals})
    def floor_divide(self, other): return _run(el.FloorDivide, (self, other))  # noqa: E704
    def __floordiv__(self, other): return _run(el.FloorDivide, (self, other))  # noqa: E704
    def __rfloordiv__(self, other): return _run(el.FloorDivide, (other, self))  # noqa: E704
    def remainder(self, other): return _run(el.Remainder, (self, other))  # noqa: E704
    def __mod__(self, other): return _run(el.Remainder, (self, other))  # noqa: E704
    def __rmod__(self, other): return _run(el.Remainder, (other, self))  # noqa: E704
    def fmod(self, other): return _run(el.Fmod, (self, other))  # noqa: E704
    def hypot(self, other): return _run(el.Hypot, (self, other))  # noqa: E704
    def lerp(self, end, weight): return _run(el.Lerp, (self, end, weight))  # noqa: E704
    def logaddexp(self, other): return _run(el.LogAddExp, (self, other))  # noqa: E704

    def __round__(self, ndigits=None):  # round(t): numpy's halves-to-even, a Tensor back
        return self.round(0 if ndigits is None else ndigits)

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        return Tensor._apply(el.NanToNum, (self,), {"nan": nan, "posinf": posinf,
                                                    "neginf": neginf})

    # Tests, not functions of x: no gradient, a bool tensor that does not require grad.
    def isnan(self): return Tensor._make(np.isnan(self._data))  # noqa: E704
    def isinf(self): return Tensor._make(np.isinf(self._data))  # noqa: E704
    def isfinite(self): return Tensor._make(np.isfinite(self._data))  # noqa: E704

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        """|x − y| ≤ atol + rtol·|y| elementwise (numpy's isclose); no gradient."""
        other = other._data if isinstance(other, Variable) else other
        return Tensor._make(np.asarray(np.isclose(self._data, other, rtol=rtol, atol=atol,
                                                  equal_nan=equal_nan)))

    def prod(self, axis=None, keepdims=False, **torch_names):
        if torch_names:
            _refuse_torch_names("prod", torch_names)
        return rd.Prod.of(self, axis, keepdims)

    def median(self, axis=None, keepdims=False, **torch_names):
        if torch_names:
            _refuse_torch_names("median", torch_names)
        return rd.Median.of(self, axis, keepdims)

    def cumsum(self, axis=None, **torch_names):
        if torch_names:
            _refuse_torch_names("cumsum", torch_names, scan=True)
        return sc.Cumsum.of(self, axis)

    def cumprod(self, axis=None, **torch_names):
        if torch_names:
            _refuse_torch_names("cumprod", torch_names, scan=True)
        return sc.Cumprod.of(self, axis)

    def logcumsumexp(self, axis=None, **torch_names):
        if torch_names:
            _refuse_torch_names("logcumsumexp", torch_names, scan=True)
        return sc.LogCumSumExp.of(self, axis)

    # numpy's amax/amin are max/min: the same operator, ties split evenly.
    amax = max
    amin = min

    def argmax(self, axis=None, keepdims=False, **torch_names):
        """The index of the largest element (the first on ties), over the flattened tensor
        or along `axis`; an integer tensor without gradient."""
        if torch_names:
            _refuse_torch_names("argmax", torch_names)
        return _index_of("argmax", self, axis, keepdims)

    def argmin(self, axis=None, keepdims=False, **torch_names):
        """The index of the smallest element (the first on ties); no gradient."""
        if torch_names:
            _refuse_torch_names("argmin", torch_names)
        return _index_of("argmin", self, axis, keepdims)

    def any(self, axis=None, keepdims=False, **torch_names):
        """Whether any element is non-zero, over the axes; a bool tensor, no gradient."""
        if torch_names:
            _refuse_torch_names("any", torch_names)
        axes = rd.normalize_axes(axis, self.ndim, "any", self.shape) if axis is not None else None
        return Tensor._make(np.asarray(self._data.any(axis=axes, keepdims=keepdims)))

    def all(self, axis=None, keepdims=False, **torch_names):
        """Whether every element is non-zero, over the axes; a bool tensor, no gradient."""
        if torch_names:
            _refuse_torch_names("all", torch_names)
        axes = rd.normalize_axes(axis, self.ndim, "all", self.shape) if axis is not None else None
        return Tensor._make(np.asarray(self._data.all(axis=axes, keepdims=keepdims)))

    for _method, _op in [(tan, el.Tan), (arcsin, el.Arcsin), (arccos, el.Arccos),
                         (arctan, el.Arctan), (arctan2, el.Arctan2), (sinh, el.Sinh),
                         (cosh, el.Cosh), (arcsinh, el.Arcsinh), (arccosh, el.Arccosh),
                         (arctanh, el.Arctanh), (log2, el.Log2), (log10, el.Log10),
                         (log1p, el.Log1p), (expm1, el.Expm1), (exp2, el.Exp2),
                         (rsqrt, el.Rsqrt), (reciprocal, el.Reciprocal), (square, el.Square),
                         (cbrt, el.Cbrt), (floor, el.Floor), (ceil, el.Ceil),
                         (trunc, el.Trunc), (round, el.Round), (floor_divide, el.FloorDivide),
                         (remainder, el.Remainder), (fmod, el.Fmod), (hypot, el.Hypot),
                         (lerp, el.Lerp), (logaddexp, el.LogAddExp),
                         (nan_to_num, el.NanToNum), (prod, rd.Prod), (median, rd.Median),
                         (cumsum, sc.Cumsum), (cumprod, sc.Cumprod),
                         (logcumsumexp, sc.LogCumSumExp)]:
        _method.__doc__ = _op.__doc__
    del _method, _op

    # surface-shape (issue 15): numpy's ndarray methods, over the primitive operators

    def unflatten(self, axis, sizes):
        return ix.unflatten(self, axis, sizes)

    def ravel(self):
        return sh.Reshape.of(self, (-1,))

    def repeat(self, repeats, axis=None):
        return ix.repeat(self, repeats, axis)

    def take(self, indices, axis=None):
        return ix.take(self, indices, axis)

    def diagonal(self, offset=0, axis1=0, axis2=1):
        return ix.diagonal(self, offset, axis1, axis2)

    def trace(self, offset=0, axis1=0, axis2=1):
        return ix.trace(self, offset, axis1, axis2)

    def argsort(self, axis=-1):
        """Indices that sort self along `axis` (stable; no gradient)."""
        return Tensor._make(ix.argsort(self, axis))

    def masked_fill(self, mask, value):
        """self with `value` where mask is true (PyTorch's name; mask not differentiated)."""
        mask = np.asarray(sh.raw_index(mask), dtype=bool)
        return el.Where.apply(value, self, condition=np.broadcast_to(mask, self.shape))

    # -- numpy interoperability -----------------------------------------------------

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        """np.exp(t), np.add(a, t) and friends run tracegrad's operator (differentiable);
        other ufuncs run on the data unless that would drop a gradient."""
        return _numpy.array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        """np.concatenate([t, u]), np.sum(t), ... run tracegrad's function (differentiable);
        other numpy functions run on the data unless that would drop a gradient."""
        return _numpy.array_function(func, args, kwargs)

    # -- the engine's contract (autograd.variable.Variable) --------------------------

    @staticmethod
    def _as_hook_value(raw):
        return Tensor._make(np.asarray(raw))

    @classmethod
    def _from_node(cls, array, node):
        return cls._make(np.asarray(array), node, True)

    _graph_xp = GraphXP(NumpyXP)

    @staticmethod
    def _seed(output, grad, create_graph, caller):
        """The gradient backward starts from: ones for a one-element output, else `grad`."""
        if grad is None:
            if output._data.size != 1:
                raise RuntimeError(
                    f"{caller}: output of '{_op_name(output)}' has shape {output.shape}; grad "
                    "can be implicitly created only for outputs with one element. Call "
                    ".sum().backward(), or pass grad= (e.g. ones_like(output))"
                )
            seed = np.ones(output._data.shape, output._data.dtype)
            return Tensor._make(seed) if create_graph else seed
        if isinstance(grad, Tensor):
            array = grad._data
        else:
            _check_real_grad(grad, caller)
            array = np.asarray(grad, dtype=output._data.dtype)
        if array.shape != output._data.shape:
            raise ValueError(
                f"{caller}: grad has shape {array.shape} but the output of "
                f"'{_op_name(output)}' has shape {output.shape}; they must match"
            )
        if not create_graph:
            return array
        return grad if isinstance(grad, Tensor) else Tensor._make(array)

    @staticmethod
    def _zeros_like(x):
        return Tensor._make(np.zeros_like(x._data))

    @staticmethod
    def _wrap_grad(grad, x, create_graph):
        if x._data.dtype.kind != "f":  # as in _accumulate: never a truncated gradient
            _check_can_require_grad(x._data, f"grad: input {_label(x)}")
        if isinstance(grad, Tensor):
            return _fresh_grad(grad) if create_graph else Tensor._make(grad._data.copy())
        return Tensor._make(np.array(grad, dtype=x._data.dtype, copy=True))

    @staticmethod
    def _apply(op, inputs, params=_NO_PARAMS):
        """Run `op` on tensors and record a node if any input requires grad.

        The hot path of every Tensor expression: loops are spelled out, and numbers and
        arrays are turned into constant tensors only when they occur.
        """
        variables = inputs
        for value in inputs:
            if not isinstance(value, Tensor):
                variables = _as_variables(inputs, op.name)
                break
        record = False
        # The thread-local flag is read only while some grad-mode block is open somewhere.
        if not _open_anywhere.grad_mode or _state.grad_enabled:
            for variable in variables:
                if variable.requires_grad:
                    record = True
                    break
        ctx = new_node(TensorNode, op, variables, params) if record else _NO_GRAD_CTX
        try:
            if len(variables) == 2:  # the common arities, without building an argument list
                out = op.forward(ctx, variables[0]._data, variables[1]._data, **params)
            elif len(variables) == 1:
                out = op.forward(ctx, variables[0]._data, **params)
            elif len(variables) == 3:
                out = op.forward(ctx, variables[0]._data, variables[1]._data,
                                 variables[2]._data, **params)
            else:
                out = op.forward(ctx, *[v._data for v in variables], **params)
        except (ValueError, TypeError, IndexError) as error:
            raise _with_op_name(error, op, variables) from error
        except AttributeError as error:
            if not is_ctx_attribute_error(error, ctx):
                raise
            raise ctx_attribute_error(op, error, "forward") from None
        raw_out = out
        if type(out) is not np.ndarray:  # numpy returns scalars from 0-d arithmetic
            out = np.asarray(out)
        if _open_anywhere.anomaly and _state.anomaly_enabled:
            check_forward(op, out, variables, ctx if record else None)
        result = _new(Tensor)  # Tensor._make, inline
        result._data = out
        result._grad = None
        result.requires_grad = record
        result.grad_fn = ctx if record else None
        result.name = None
        result._hooks = None
        base = out.base
        if base is None:  # a fresh array: its own counter, unless it is an input itself
            result._version_counter = [0]
            for variable in variables:
                if variable._data is out:
                    result._version_counter = variable._version_counter
                    break
        else:
            result._version_counter = [0]
            versions.share_counter_with_viewed_input(result, out, variables)
        if record and ctx.saved:
            versions.note_saved(ctx, ctx.saved, raw_out, variables, result)
        return result

    _plain_accumulate = False  # leaf gradients go through _accumulate (lock, copy, dtype)

    @staticmethod
    def _fit_grad(grad, variable, node):
        shape = variable._data.shape
        if type(grad) is not np.ndarray and not isinstance(grad, (Tensor, np.generic)):
            grad = np.asarray(grad, dtype=variable._data.dtype)
        if grad.shape != shape:
            grad = unbroadcast(grad, shape, node.op.name)
        return grad

    def _accumulate(self, grad, create_graph, fresh=False):
        dtype = self._data.dtype
        if dtype.kind != "f":  # requires_grad set by assignment, past the constructor's check
            _check_can_require_grad(self._data, f"backward: leaf {_label(self)}")
        if create_graph:
            if not isinstance(grad, Tensor):
                grad = Tensor._make(np.asarray(grad))
            if grad.dtype != dtype:
                grad = grad.astype(dtype)
            self._grad = _fresh_grad(grad) if self._grad is None else self._grad + grad
            return
        if isinstance(grad, Tensor):
            grad = grad._data
        with _accumulate_lock:
            if self._grad is None and fresh and _may_keep(grad, self, dtype):
                self._grad = Tensor._make(grad)
            elif self._grad is None:
                # A copy: the gradient never shares memory with another tensor's.
                # A C-ordered copy: never shares memory with another gradient, and an
                # update like w -= lr * w.grad runs at full speed (x @ W.T hands W a
                # transposed, Fortran-ordered gradient).
                self._grad = Tensor._make(np.array(grad, dtype=dtype, copy=True, order="C"))
            else:
                self._grad._data += grad


def _may_keep(grad, leaf, dtype) -> bool:
    """Whether a leaf may keep as its .grad, without a copy, a gradient its operator made
    afresh for it alone (Operator.fresh_grads: matmul's and linear's GEMM results, which
    are large): only an array of its own, in the leaf's dtype and C order, and never for
    a leaf with hooks (a hook may have kept a reference to it; the engine does not mark
    those fresh either)."""
    flags = getattr(grad, "flags", None)
    return (type(grad) is np.ndarray and grad.dtype == dtype and flags.c_contiguous
            and flags.writeable and flags.owndata and leaf._hooks is None)


def _check_real_grad(grad, caller):
    kind = getattr(grad, "dtype", np.asarray(grad).dtype).kind
    if kind not in _DATA_KINDS:
        raise TypeError(
            f"{caller}: grad has dtype {np.asarray(grad).dtype}; it must be real (float, int "
            "or bool), and is cast to the output's dtype"
        )


def _fresh_grad(grad):
    """A gradient under create_graph that owns its memory: the same Tensor object can be
    the gradient of several inputs (add passes grad_out to both) or the caller's seed,
    and two gradients must never alias (RELIABILITY D5). The copy stays differentiable."""
    if not grad.requires_grad:
        return Tensor._make(grad._data.copy())
    previous = _state.grad_enabled
    _state.grad_enabled = True
    try:
        return ar.Add.apply(grad, 0)
    finally:
        _state.grad_enabled = previous


def _rebuild(data, requires_grad, name):
    return Tensor(data, requires_grad=requires_grad, name=name)


# Tensor methods call the engine directly, _run(op, inputs): Op.apply's dispatch on the
# input kind is one Python call and a keyword dict more than a tensor method needs.
_run = Tensor._apply


def _norm_with_ord(x, ord, axis, keepdims):  # noqa: A002 - numpy's name
    """numpy.linalg.norm's vector and matrix norms other than the 2-norm, from operators."""
    if axis is None:
        if x.ndim not in (1, 2):
            raise ValueError(f"norm: ord={ord!r} without an axis needs a 1-d or 2-d tensor, "
                             f"got shape {x.shape}; pass axis= (one axis for a vector norm, "
                             "two for a matrix norm)")
        axis = tuple(range(x.ndim))
    axes = rd.normalize_axes(axis, x.ndim, "norm", x.shape)
    if isinstance(axis, tuple) and len(axis) == 2:
        rows, cols = (a % x.ndim for a in axis)
        if ord == "fro":
            return x.norm(axes, keepdims)
        if ord in (1, -1, np.inf, -np.inf):
            summed, over = (rows, cols) if ord in (1, -1) else (cols, rows)
            sums = x.abs().sum(summed, keepdims=True)
            out = sums.max(over, keepdims=True) if ord > 0 else sums.min(over, keepdims=True)
            return out if keepdims else out.reshape(rd._drop_axes(out.shape, axes))
        raise ValueError(f"norm: matrix ord={ord!r} is not supported; tracegrad has no "
                         "singular values. Use ord='fro', 1, -1, inf or -inf")
    if len(axes) != 1 or isinstance(ord, str):
        raise ValueError(f"norm: ord={ord!r} needs one axis (a vector norm) or, for 'fro' "
                         f"and the matrix norms, a tuple of two; got axis={axis!r}")
    if ord == np.inf:
        return x.abs().max(axes, keepdims)
    if ord == -np.inf:
        return x.abs().min(axes, keepdims)
    if ord == 0:  # the number of non-zero elements: piecewise constant, no gradient
        return Tensor._make(np.asarray((x._data != 0).sum(axis=axes, keepdims=keepdims),
                                       dtype=np.result_type(x.dtype, np.float32)))
    if ord == 1:
        return x.abs().sum(axes, keepdims)
    if ord == 2:
        return x.norm(axes, keepdims)
    return (x.abs() ** ord).sum(axes, keepdims) ** (1.0 / ord)


def _index_of(name, x, axis, keepdims):
    """argmax or argmin (`name`) of x's data, numpy's semantics, refusing an empty axis
    by name."""
    if axis is not None:
        (axis,) = rd.normalize_axes(axis, x.ndim, name, x.shape) or (None,)
    if x.size == 0:
        raise ValueError(f"{name}: a tensor of shape {x.shape} is empty, so it has no "
                         f"{name[3:]}imum to point at; check that the batch is not empty")
    return Tensor._make(np.asarray(getattr(x._data, name)(axis=axis, keepdims=keepdims)))


def _label(variable) -> str:
    return f"'{variable.name}'" if variable.name else f"of shape {variable.shape}"


def _op_name(variable):
    return variable.grad_fn.op.name if variable.grad_fn is not None else "leaf"


def _as_variables(inputs, op_name):
    like = None
    for value in inputs:
        if isinstance(value, Tensor):
            like = value
            break
    return tuple(
        value if isinstance(value, Tensor) else _constant(value, like, op_name)
        for value in inputs
    )


def _holds_tensors(values, needing_grad=False) -> bool:
    """Whether a (nested) list or tuple holds a Tensor or Scalar (one that requires grad)."""
    for value in values:
        if isinstance(value, Variable) and (value.requires_grad
                                                           or not needing_grad):
            return True
        if type(value) in (list, tuple) and _holds_tensors(value, needing_grad):
            return True
    return False


def _stacked(values, op_name):
    """A (nested) list holding Tensors, stacked into the graph as np.asarray would stack
    arrays, so no input loses its gradient."""
    parts = []
    for value in values:
        if type(value) in (list, tuple):
            value = _stacked(value, op_name)
        elif isinstance(value, Variable) and not isinstance(value, Tensor):
            raise TypeError(f"{op_name}: cannot stack a {type(value).__name__} into a Tensor; "
                            "use Tensor(scalar.data) for its value")
        parts.append(value)
    if not parts:
        return Tensor._make(np.asarray(values, dtype=np.float64))
    return sh.Stack.apply(*parts, axis=0)


def _constant(value, like, op_name):
    """A non-variable operand as a constant tensor. A Python number takes the dtype numpy
    would give it next to `like` (so float32 * 2.5 stays float32). A list holding Tensors
    is stacked into the graph instead (x + [y, z] differentiates y and z, as numpy's
    asarray would stack them)."""
    if type(value) is float or type(value) is int or type(value) is bool \
            or type(value) is _Size:  # x.size is numpy's plain int, weak like one
        if like is None:
            return Tensor._make(np.asarray(value))
        dtype = like._data.dtype
        if dtype.kind != "f":
            dtype = np.result_type(dtype, value)
        return Tensor._make(np.array(value, dtype=dtype))
    if isinstance(value, Variable):
        raise TypeError(
            f"{op_name}: cannot combine {type(value).__name__} and Tensor in one operator; "
            "use Tensor(scalar.data) to make a tensor from a Scalar's value"
        )
    if type(value) in (list, tuple) and _holds_tensors(value):
        return _stacked(value, op_name)
    array = value if isinstance(value, np.ndarray) else np.asarray(value)
    if array.dtype.kind not in _DATA_KINDS:
        raise TypeError(f"{op_name}: unsupported operand {value!r} of dtype {array.dtype}")
    return Tensor._make(array)


class _NumpyProtocol:
    """How Tensor answers numpy's __array_ufunc__ and __array_function__. The functions
    numpy's names map to are autograd.functional's, a layer above, which registers them
    (register_numpy_protocol) when the package is imported."""

    @staticmethod
    def array_ufunc(ufunc, method, inputs, kwargs):
        return NotImplemented

    @staticmethod
    def array_function(func, args, kwargs):
        return NotImplemented


_numpy = _NumpyProtocol()


def register_numpy_protocol(array_ufunc, array_function) -> None:
    """Answer numpy's protocols with these functions (autograd.functional's)."""
    _numpy.array_ufunc = array_ufunc
    _numpy.array_function = array_function


register_default_kind(Tensor)


# -- surface-nn (issue 15 item 7): PyTorch's spellings on Tensor, refused with the fix


class _Size(int):
    """Tensor.size: an int (numpy's element count) that explains itself when called as
    PyTorch's x.size()."""

    def __call__(self, dim=None):
        raise TypeError("Tensor.size is numpy's element count (an int), not PyTorch's "
                        "method: use x.shape for x.size(), x.shape[d] for x.size(d), and "
                        "x.size or x.numel() for the count")


def _refuse_torch_names(method, names, scan=False, function=False):
    """A reduction or scan called with PyTorch's dim= / keepdim=: refused with numpy's
    names (a keyword catch-all in the signature costs nothing on the normal path). The one
    mechanism for Tensor methods (`x.sum(dim=0)`) and autograd's functions (`function`:
    `autograd.var_mean(x, dim=0)`); a scan (`scan`) has no keepdims, as in both libraries."""
    torch_spelling = {"dim"} if scan else {"dim", "keepdim"}
    owner, call = ("", f"{method}(x, ") if function else ("Tensor.", f"x.{method}(")
    unknown = sorted(set(names) - torch_spelling)
    if unknown:
        raise TypeError(f"{owner}{method}() got an unexpected keyword argument {unknown[0]!r}")
    fix, spelling = ("axis=...", "dim=") if scan else \
        ("axis=..., keepdims=...", "dim= and keepdim=")
    raise TypeError(f"{owner}{method}: tracegrad uses numpy's names; write {call}{fix}) "
                    f"for PyTorch's {spelling} (got {', '.join(sorted(names))}=)")
