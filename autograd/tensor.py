"""Tensor: a numpy array that records the operators applied to it.

float64 by default, float32 kept where given; numpy broadcasting everywhere, with each
gradient summed back to its input's shape by the engine (`unbroadcast`).
"""

from __future__ import annotations

import warnings

import numpy as np

from . import engine
from .engine import Node, _accumulate_lock, new_node
from .grad_mode import _open_anywhere, _state
from .ops import arithmetic as ar
from .ops import elementwise as el
from .ops import linalg as la
from .ops import reductions as rd
from .ops import shape as sh
from .xp import NumpyXP

_FLOAT_KINDS = "f"
_DATA_KINDS = "fiub"  # float, signed and unsigned int, bool


class TensorNode(Node):
    __slots__ = ()
    xp = NumpyXP


class _NoGradContext(engine._DiscardingContext):
    __slots__ = ()


_NO_GRAD_CTX = _NoGradContext(NumpyXP)
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
    if from_python and dtype is None and array.dtype.kind in "iu":
        array = array.astype(np.float64)
    return array


def _check_can_require_grad(array, op_name="Tensor"):
    if array.dtype.kind not in _FLOAT_KINDS:
        raise TypeError(
            f"{op_name}: requires_grad=True needs a floating dtype, got {array.dtype}; "
            "pass dtype=np.float64 or call .astype(float)"
        )


def unbroadcast(grad, shape, op_name="backward"):
    """Sum `grad` over the axes that broadcasting added or stretched, back to `shape`."""
    grad_shape = grad.shape
    if grad_shape == shape:
        return grad
    lead = len(grad_shape) - len(shape)
    if lead < 0 or any(g != s and s != 1 for g, s in zip(grad_shape[lead:], shape)):
        if _broadcastable(grad_shape, shape):  # a gradient smaller than its input
            return grad.broadcast_to(shape) if isinstance(grad, Tensor) else np.broadcast_to(
                grad, shape)
        raise ValueError(
            f"{op_name}: backward produced a gradient of shape {grad_shape} for an input of "
            f"shape {shape}"
        )
    stretched = tuple(i + lead for i, n in enumerate(shape) if n == 1 and grad_shape[i + lead] != 1)
    axes = tuple(range(lead)) + stretched
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape) if lead else grad


def _broadcastable(small, big) -> bool:
    if len(small) > len(big):
        return False
    return all(s == 1 or s == b for s, b in zip(small[::-1], big[::-1]))


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


class Tensor:
    """An n-dimensional array with reverse-mode automatic differentiation.

    Tensor(data, requires_grad=False, dtype=None, name=None) copies `data`. Python numbers
    and lists become float64 (ints too); numpy arrays keep their dtype, so integer label
    arrays stay integer. Only floating tensors can require grad.
    """

    __slots__ = ("_data", "_grad", "requires_grad", "grad_fn", "name", "_version_counter",
                 "_hooks", "__weakref__")
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

    # -- construction used by the engine ------------------------------------------------

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

    @classmethod
    def _from_node(cls, array, node):
        return cls._make(np.asarray(array), node, True)

    _graph_xp = None  # autograd.functional; set by the package (it imports this module)

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
            seed = np.ones_like(output._data)
            return Tensor._make(seed) if create_graph else seed
        if not isinstance(grad, Tensor):
            _check_real_grad(grad, caller)
            grad = Tensor._make(np.asarray(grad, dtype=output._data.dtype))
        if grad.shape != output.shape:
            raise ValueError(
                f"{caller}: grad has shape {grad.shape} but the output of "
                f"'{_op_name(output)}' has shape {output.shape}; they must match"
            )
        return grad if create_graph else grad._data

    @staticmethod
    def _zeros_like(x):
        return Tensor._make(np.zeros_like(x._data))

    @staticmethod
    def _wrap_grad(grad, x, create_graph):
        if isinstance(grad, Tensor):
            return _fresh_grad(grad) if create_graph else Tensor._make(grad._data.copy())
        return Tensor._make(np.array(grad, dtype=x._data.dtype, copy=True))

    @staticmethod
    def _apply(op, inputs, params):
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
            else:
                out = op.forward(ctx, *[v._data for v in variables], **params)
        except (ValueError, TypeError, IndexError) as error:
            raise _with_op_name(error, op, variables) from error
        raw_out = out
        if type(out) is not np.ndarray:  # numpy returns scalars from 0-d arithmetic
            out = np.asarray(out)
        if _open_anywhere.anomaly and _state.anomaly_enabled:
            _anomaly_check_forward(op, out, variables, ctx if record else None)
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
            _share_counter_with_viewed_input(result, out, variables)
        if record and ctx.saved:
            _note_saved(ctx, ctx.saved, raw_out, variables, result)
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

    # -- data and metadata -----------------------------------------------------------

    @property
    def grad(self):
        """The accumulated gradient (a Tensor), None until a backward reaches this tensor.
        Only leaves (and intermediates after retain_grad()) keep one; reading it on
        another intermediate warns, as in PyTorch, since it is always None there."""
        grad = self._grad
        if grad is None and self.grad_fn is not None and not self._retains_grad():
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
        return self.grad_fn is not None and self._retains_grad()

    def _retains_grad(self) -> bool:
        from .functional import _RetainGrad

        hooks = self.grad_fn.hooks or ()
        return any(isinstance(hook, _RetainGrad) and hook.target() is self for hook in hooks)

    @property
    def data(self) -> np.ndarray:
        """The underlying ndarray (shared, not copied)."""
        return self._data

    @data.setter
    def data(self, array):
        array = np.asarray(array)
        if array.dtype.kind not in _DATA_KINDS:
            raise TypeError(f"Tensor.data: unsupported dtype {array.dtype}")
        self._data = array
        self._version += 1

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
        return self._data.size

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

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
        """The data as an ndarray (shared with the tensor, like torch's .numpy())."""
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

    def zero_(self) -> Tensor:
        """Set every element to 0 in place (a parameter update: use it under no_grad)."""
        self._check_inplace("zero_")
        self._data[...] = 0
        self._version += 1
        return self

    def _check_inplace(self, op_name):
        """In-place writes are not recorded in the graph, so they are refused on tensors
        that require grad while grad mode is on: on a leaf the change would be invisible
        to backward (RELIABILITY D7), on an intermediate it would give wrong gradients."""
        if not (self.requires_grad and _state.grad_enabled):
            return
        label = f" '{self.name}'" if self.name else ""
        if self.is_leaf:
            raise RuntimeError(
                f"{op_name}: in-place operation on leaf tensor{label} that requires grad; "
                "wrap the update in no_grad()"
            )
        raise RuntimeError(
            f"{op_name}: in-place operation on tensor{label} made by "
            f"'{self.grad_fn.op.name}', which is part of a graph; no gradient flows through "
            "an in-place write, so gradients would be wrong. Compute the new value out of "
            "place (e.g. with where()), or modify it under no_grad()"
        )

    def _inplace(self, other, ufunc, op_name, out_of_place):
        """self op= other. Done in place (the version counter goes up) when no graph is
        recorded through it. While grad mode is on and self or other requires grad, a
        leaf that requires grad refuses (D7), and anything else is computed out of place:
        Python rebinds the name to the new tensor and every saved value stays intact."""
        other_requires_grad = isinstance(other, Tensor) and other.requires_grad
        if _state.grad_enabled and (self.requires_grad or other_requires_grad):
            if self.is_leaf and self.requires_grad:
                self._check_inplace(op_name)
            return out_of_place(other)
        operand = other._data if isinstance(other, Tensor) else _constant(
            other, self, op_name)._data
        try:
            ufunc(self._data, operand, out=self._data)
        except (TypeError, ValueError) as error:  # numpy's subclasses take other arguments
            kind = TypeError if isinstance(error, TypeError) else ValueError
            raise kind(
                f"{op_name}: cannot update a tensor of shape {self.shape} and dtype "
                f"{self.dtype} in place with an operand of shape {operand.shape} and dtype "
                f"{operand.dtype} ({error}); use the out-of-place form x = x {op_name[:-1]} y"
            ) from error
        self._version += 1
        return self

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

    def backward(self, grad=None, retain_graph=None, create_graph=False):
        """Accumulate d(self)/d(leaf) · grad into every leaf's .grad (PyTorch's semantics).

        `grad` defaults to 1 for a one-element output. The graph's saved values are
        freed afterwards unless retain_graph=True (which defaults to create_graph).
        """
        from .functional import backward

        backward([self], None if grad is None else [grad], retain_graph, create_graph)

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in .grad after backward."""
        from .functional import retain_grad

        retain_grad(self)

    def register_hook(self, hook):
        """Call hook(grad) when this tensor's gradient is computed; a non-None return
        replaces the gradient. Returns a handle with .remove()."""
        from .functional import register_hook

        return register_hook(self, hook)

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
        """Inner product of two 1-d tensors (matmul for 2-d ones)."""
        other_ndim = np.ndim(other.data if isinstance(other, Tensor) else other)
        if self.ndim > 2 or other_ndim > 2:
            raise ValueError(
                f"dot: expects 1-d or 2-d tensors, got {self.ndim}-d and {other_ndim}-d; "
                "use matmul (@) for batches"
            )
        return _run(la.Matmul, (self, other))

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

    def __and__(self, other):
        return self._compare(other, np.logical_and)

    __rand__ = __and__

    def __or__(self, other):
        return self._compare(other, np.logical_or)

    __ror__ = __or__

    def __invert__(self):
        return Tensor._make(np.logical_not(self._data))

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
        """ln σ(x) = −softplus(−x), finite for any x (autograd.functional.log_sigmoid)."""
        from .functional import log_sigmoid

        return log_sigmoid(self)

    def sign(self):
        return _run(el.Sign, (self,))

    def clip(self, min=None, max=None):  # noqa: A002 - numpy's names
        if min is None and max is None:
            raise ValueError("clip: give at least one of min and max")
        return el.Clip.apply(self, low=min, high=max)

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

    def _reduce(self, op, axis, keepdims, **params):
        axes = rd.normalize_axes(axis, self.ndim, op.name, self.shape)
        return op.apply(self, axes=axes, keepdims=bool(keepdims), **params)

    def sum(self, axis=None, keepdims=False):
        return self._reduce(rd.Sum, axis, keepdims)

    def mean(self, axis=None, keepdims=False):
        return self._reduce(rd.Mean, axis, keepdims)

    def max(self, axis=None, keepdims=False):
        self._check_nonempty_reduction(axis, "max")
        return self._reduce(rd.Max, axis, keepdims)

    def min(self, axis=None, keepdims=False):
        self._check_nonempty_reduction(axis, "min")
        return self._reduce(rd.Min, axis, keepdims)

    def norm(self, axis=None, keepdims=False):
        """‖x‖ = √(Σ x²) over the axes; its gradient x/‖x‖ is taken as 0 at x = 0
        (autograd.functional.norm)."""
        from .functional import norm

        return norm(self, axis, keepdims)

    def var(self, axis=None, keepdims=False, ddof=0):
        return self._reduce(rd.Var, axis, keepdims, ddof=ddof)

    def std(self, axis=None, keepdims=False, ddof=0):
        """out = √var (numpy's ddof=0 by default)."""
        return self.var(axis, keepdims, ddof).sqrt()

    def logsumexp(self, axis=None, keepdims=False):
        return self._reduce(rd.LogSumExp, axis, keepdims)

    def softmax(self, axis=-1):
        (axis,) = rd.normalize_axes(axis, max(self.ndim, 1), "softmax", self.shape)
        return rd.Softmax.apply(self, axis=axis)

    def log_softmax(self, axis=-1):
        (axis,) = rd.normalize_axes(axis, max(self.ndim, 1), "log_softmax",
                                   self.shape)
        return rd.LogSoftmax.apply(self, axis=axis)

    for _method, _op in [(sum, rd.Sum), (mean, rd.Mean), (max, rd.Max), (min, rd.Min),
                         (var, rd.Var), (logsumexp, rd.LogSumExp), (softmax, rd.Softmax),
                         (log_softmax, rd.LogSoftmax)]:
        _method.__doc__ = _op.__doc__
    del _method, _op

    def _check_nonempty_reduction(self, axis, op_name):
        if self._data.size:
            return
        axes = rd.normalize_axes(axis, self.ndim, op_name, self.shape)
        if any(self.shape[a] == 0 for a in axes) or axis is None:
            where = "without an axis" if axis is None else f"over axis {axis}"
            raise ValueError(
                f"{op_name}: cannot reduce an empty tensor of shape {self.shape} {where} "
                f"(the {op_name} of nothing is undefined); check that the batch is not empty"
            )

    # -- shape ----------------------------------------------------------------------

    def reshape(self, *shape):
        shape = _shape_arg(shape)
        try:
            new_shape = _resolve_reshape(self.shape, shape)
        except ValueError as error:
            raise ValueError(f"reshape: {error}") from None
        if new_shape == self.shape:
            return self
        return sh.Reshape.apply(self, shape=new_shape)

    def transpose(self, *axes):
        if not axes or axes == (None,):
            axes = tuple(range(self.ndim))[::-1]
        else:
            axes = _shape_arg(axes)
            if sorted(a % max(self.ndim, 1) for a in axes) != list(range(self.ndim)):
                raise ValueError(
                    f"transpose: axes {axes} are not a permutation of the {self.ndim} axes "
                    f"of a tensor of shape {self.shape}"
                )
            axes = tuple(a % self.ndim for a in axes)
        return sh.Transpose.apply(self, axes=axes)

    @property
    def T(self):
        """All axes reversed (numpy's .T)."""
        return self.transpose()

    @property
    def mT(self):
        """The last two axes swapped (a batch of matrices transposed)."""
        return self.swapaxes(-1, -2)

    def swapaxes(self, axis1, axis2):
        axes = list(range(self.ndim))
        a1, a2 = (rd.normalize_axes(a, self.ndim, "swapaxes", self.shape)[0]
                  for a in (axis1, axis2))
        axes[a1], axes[a2] = axes[a2], axes[a1]
        return sh.Transpose.apply(self, axes=tuple(axes))

    def squeeze(self, axis=None):
        if axis is None:
            axes = tuple(i for i, n in enumerate(self.shape) if n == 1)
        else:
            axes = rd.normalize_axes(axis, self.ndim, "squeeze", self.shape)
            for a in axes:
                if self.shape[a] != 1:
                    raise ValueError(
                        f"squeeze: cannot squeeze axis {a} of size {self.shape[a]} "
                        f"(shape {self.shape}); only size-1 axes can be removed"
                    )
        return self.reshape(tuple(n for i, n in enumerate(self.shape) if i not in axes))

    def unsqueeze(self, axis):
        ndim = self.ndim + 1
        (axis,) = rd.normalize_axes(axis, ndim, "unsqueeze", self.shape)
        shape = list(self.shape)
        shape.insert(axis, 1)
        return sh.Reshape.apply(self, shape=tuple(shape))

    expand_dims = unsqueeze

    def flatten(self):
        return self.reshape(-1)

    def broadcast_to(self, *shape):
        shape = _shape_arg(shape)
        if shape == self.shape:
            return self
        try:
            np.broadcast_shapes(self.shape, shape)
            if len(shape) < self.ndim or np.broadcast_shapes(self.shape, shape) != shape:
                raise ValueError
        except ValueError:
            raise ValueError(
                f"broadcast_to: cannot broadcast a tensor of shape {self.shape} to {shape}"
            ) from None
        return sh.BroadcastTo.apply(self, shape=shape)

    expand = broadcast_to

    def __getitem__(self, index):
        index = _raw_index(index)
        return sh.GetItem.apply(self, index=index)

    def __setitem__(self, index, value):
        """In-place assignment: no gradient flows through it, so it is refused on tensors
        that require grad, and for values that require grad, while grad mode is on."""
        self._check_inplace("__setitem__")
        if isinstance(value, Tensor) and value.requires_grad and _state.grad_enabled:
            raise RuntimeError(
                "__setitem__: the assigned value requires grad, but no gradient flows through "
                "an in-place write, so it would be lost; build the tensor with concatenate(), "
                "stack() or where() instead, or assign under no_grad()"
            )
        self._data[_raw_index(index)] = value._data if isinstance(value, Tensor) else value
        self._version += 1

    # -- numpy interoperability -----------------------------------------------------

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        """np.exp(t), np.add(a, t) and friends run tracegrad's operator (differentiable)."""
        from .functional import UFUNCS

        function = UFUNCS.get(ufunc)
        if method != "__call__" or function is None or kwargs:
            return NotImplemented
        return function(*inputs)


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


_NO_PARAMS: dict = {}  # shared by every operator without parameters; never mutated


def _run(op, inputs):
    """Tensor methods call the engine directly: Op.apply's dispatch on the input kind is
    one Python call and a keyword dict more than a tensor method needs."""
    return Tensor._apply(op, inputs, _NO_PARAMS)


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


def _constant(value, like, op_name):
    """A non-variable operand as a constant tensor. A Python number takes the dtype numpy
    would give it next to `like` (so float32 * 2.5 stays float32)."""
    if type(value) is float or type(value) is int or type(value) is bool:
        if like is None:
            return Tensor._make(np.asarray(value))
        dtype = like._data.dtype
        if dtype.kind != "f":
            dtype = np.result_type(dtype, value)
        return Tensor._make(np.array(value, dtype=dtype))
    if getattr(value, "_apply", None) is not None:
        raise TypeError(
            f"{op_name}: cannot combine {type(value).__name__} and Tensor in one operator; "
            "use Tensor(scalar.data) to make a tensor from a Scalar's value"
        )
    array = value if isinstance(value, np.ndarray) else np.asarray(value)
    if array.dtype.kind not in _DATA_KINDS:
        raise TypeError(f"{op_name}: unsupported operand {value!r} of dtype {array.dtype}")
    return Tensor._make(array)


def _share_counter_with_viewed_input(result, out, variables):
    """Give `result` the version counter of the input whose memory it views (reshape,
    transpose, basic indexing), so an in-place change through either is seen by both."""
    base = out.base
    for variable in variables:
        data = variable._data
        if data is out or (base is not None and (data is base or data.base is base)):
            result._version_counter = variable._version_counter
            return


def _note_saved(node, saved, out, variables, result):
    """Remember which saved value is the output (for create_graph), and the version
    counters of the saved inputs and output with their current values: backward refuses
    to run if any of them was changed in place since (RELIABILITY D6)."""
    # The common layouts first, without loops: the output alone (exp, tanh, sigmoid), or
    # the first one or two inputs in their own positions (mul, div, matmul, linear, log).
    count = len(saved)
    if count == 1:
        value = saved[0]
        if value is out:
            node.out_pos = 0
            counter = result._version_counter  # shared with an input it may be (a view)
            node.versions = ((None, counter, counter[0]),)
            return
        if value is variables[0]._data:
            counter = variables[0]._version_counter
            node.versions = ((0, counter, counter[0]),)
            return
    elif count == 2 and len(variables) >= 2:
        first, second = saved
        if first is variables[0]._data and second is variables[1]._data \
                and first is not out and second is not out:
            counter0, counter1 = variables[0]._version_counter, variables[1]._version_counter
            node.versions = ((0, counter0, counter0[0]), (1, counter1, counter1[0]))
            return
    versions = []
    found = 0  # bit i: input i recorded; one pass over `saved`, each variable once
    for i, value in enumerate(saved):
        if value is out:
            if node.out_pos < 0:
                node.out_pos = i
            continue
        for position, variable in enumerate(variables):
            if value is variable._data:
                if not found >> position & 1:
                    found |= 1 << position
                    counter = variable._version_counter
                    versions.append((position, counter, counter[0]))
                break
    if node.out_pos >= 0:
        counter = result._version_counter
        versions.append((None, counter, counter[0]))
    if versions:
        node.versions = tuple(versions)


def _anomaly_check_forward(op, out, variables, node):
    from .anomaly import check_forward

    check_forward(op, out, variables, node)


def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(n) for n in shape)


def _resolve_reshape(old_shape, new_shape):
    size = int(np.prod(old_shape))
    unknown = [i for i, n in enumerate(new_shape) if n == -1]
    if len(unknown) > 1 or any(n < -1 for n in new_shape):
        raise ValueError(f"invalid shape {new_shape}")
    known = int(np.prod([n for n in new_shape if n != -1]))
    if unknown:
        if known == 0 or size % known:
            raise ValueError(f"cannot reshape a tensor of shape {old_shape} into {new_shape}")
        new_shape = tuple(size // known if n == -1 else n for n in new_shape)
    elif known != size:
        raise ValueError(f"cannot reshape a tensor of shape {old_shape} ({size} elements) "
                         f"into {new_shape} ({known} elements)")
    return new_shape


def _raw_index(index):
    if isinstance(index, Tensor):
        return index._data
    if isinstance(index, tuple):
        return tuple(part._data if isinstance(part, Tensor) else part for part in index)
    if isinstance(index, list):
        return np.asarray(index)
    return index
