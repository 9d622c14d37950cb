"""ONNX translations of the built-in operators, keyed by operator class.

A translation is `(node, g) -> value name` (autograd.export.builder says what g offers).
An operator may carry its own as a static method `onnx(node, g)` (the nn losses and
activations do, and so can yours); the export asks the operator first, then this table.
`REFUSED` lists the operators ONNX has no faithful equivalent for, with the reason the
export's error gives. `describe(op)` is the row of the table in docs/design.md.
"""

from __future__ import annotations

import math

import numpy as np

from ..ops import arithmetic as ar
from ..ops import attention as at
from ..ops import conv as cv
from ..ops import elementwise as el
from ..ops import linalg as la
from ..ops import normalization as nm
from ..ops import recurrent as rc
from ..ops import reductions as rd
from ..ops import scans as sc
from ..ops import shape as sh
from ..ops import sparse as sp
from .builder import onnx_dtype

TRANSLATIONS: dict = {}  # operator class -> translation
ONNX_OPS: dict = {}  # operator class -> what it becomes, for the docs' table
REFUSED: dict = {}  # operator class -> why there is no translation


def translates(op, onnx_ops: str):
    """Register the decorated function as `op`'s translation (`onnx_ops`: the ONNX
    operators it emits, as the table shows them)."""
    def register(translation):
        TRANSLATIONS[op] = translation
        ONNX_OPS[op] = onnx_ops
        return translation
    return register


def translation_of(op):
    """The operator's own `onnx` method, else the table's translation, else None."""
    own = getattr(op, "onnx", None)
    return own if callable(own) else TRANSLATIONS.get(op)


def describe(op) -> tuple:
    """("covered", ONNX operators) or ("refused", reason) for an operator class."""
    own = getattr(op, "onnx", None)
    if callable(own):
        return "covered", (own.__doc__ or "its own onnx method").strip().splitlines()[0]
    if op in TRANSLATIONS:
        return "covered", ONNX_OPS[op]
    return "refused", REFUSED.get(op, "no ONNX translation")


# -- elementwise, one ONNX operator each ---------------------------------------------------

UNARY = {
    ar.Neg: "Neg", el.Exp: "Exp", el.Log: "Log", el.Sqrt: "Sqrt", el.Sin: "Sin",
    el.Cos: "Cos", el.Abs: "Abs", el.Tanh: "Tanh", el.Sigmoid: "Sigmoid", el.Relu: "Relu",
    el.Sign: "Sign", el.Tan: "Tan", el.Arcsin: "Asin",
    el.Arccos: "Acos", el.Arctan: "Atan", el.Sinh: "Sinh", el.Cosh: "Cosh",
    el.Arcsinh: "Asinh", el.Arccosh: "Acosh", el.Arctanh: "Atanh",
    el.Reciprocal: "Reciprocal", el.Floor: "Floor", el.Ceil: "Ceil",
}
BINARY = {
    ar.Add: "Add", ar.Sub: "Sub", ar.Mul: "Mul", ar.Div: "Div", ar.PowTensor: "Pow",
    el.Maximum: "Max", el.Minimum: "Min",
}


def _unary(onnx_op):
    return lambda node, g: g.op(onnx_op, g.input(0, g.out_dtype))


def _binary(onnx_op):
    return lambda node, g: g.op(onnx_op, g.input(0, g.out_dtype), g.input(1, g.out_dtype))


for _op, _onnx_op in UNARY.items():
    translates(_op, _onnx_op)(_unary(_onnx_op))
for _op, _onnx_op in BINARY.items():
    translates(_op, _onnx_op)(_binary(_onnx_op))


@translates(el.Softplus, "Softplus (float64: Relu, Abs, Neg, Exp, Add, Log)")
def _softplus(node, g):
    x = g.input(0)
    if g.out_dtype != np.float64:
        return g.op("Softplus", x)
    # onnxruntime has no float64 Softplus kernel: the stable form, max(x, 0) + log(1 + e^−|x|)
    tail = g.op("Log", g.op("Add", g.constant(1.0), g.op("Exp", g.op("Neg", g.op("Abs", x)))))
    return g.op("Add", g.op("Relu", x), tail)


@translates(ar.Pow, "Pow")
def _pow(node, g):
    return g.op("Pow", g.input(0), g.constant(g.params["exponent"]))


@translates(el.Square, "Mul")
def _square(node, g):
    x = g.input(0)
    return g.op("Mul", x, x)


@translates(el.Exp2, "Pow")
def _exp2(node, g):
    return g.op("Pow", g.constant(2.0), g.input(0))


@translates(el.Fmod, "Mod (fmod=1)")
def _fmod(node, g):
    return g.op("Mod", g.input(0, g.out_dtype), g.input(1, g.out_dtype), fmod=1)


@translates(el.Clip, "Clip (array bounds: Max, Min)")
def _clip(node, g):
    low, high = g.params["low"], g.params["high"]
    if np.ndim(low) == 0 and np.ndim(high) == 0:
        return g.op("Clip", g.input(0), None if low is None else g.constant(low),
                    None if high is None else g.constant(high))
    out = g.input(0)  # ONNX's Clip takes numbers only; numpy's bounds may be arrays
    if low is not None:
        out = g.op("Max", out, g.constant(low))
    if high is not None:
        out = g.op("Min", out, g.constant(high))
    return out


@translates(el.Where, "Where")
def _where(node, g):
    mask = g.input_for("condition")  # a boolean input of the model, used as it is
    if mask is None:
        condition = g.params["condition"]
        here, there = (np.asarray(c, dtype=bool) for c in g.varying("condition"))
        if here.shape != there.shape:  # a fixed mask broadcast along a dynamic axis
            condition = _unbroadcast_mask(g, here, there)
        mask = g.constant(np.asarray(condition, dtype=bool))
    return g.op("Where", mask, g.input(0, g.out_dtype), g.input(1, g.out_dtype))


def _unbroadcast_mask(g, here, there):
    """A mask that only repeats along the axes whose size changed, with size 1 there
    (Where broadcasts it back); refused when it differs along them."""
    if here.ndim != there.ndim:
        g.refuse("its condition's rank changes with a dynamic axis")
    for axis in [i for i, (a, b) in enumerate(zip(here.shape, there.shape)) if a != b]:
        first, first_there = here.take([0], axis=axis), there.take([0], axis=axis)
        if not (np.array_equal(np.broadcast_to(first, here.shape), here) and np.array_equal(
                np.broadcast_to(first_there, there.shape), there)):
            g.refuse(f"its condition differs along dynamic axis {axis}; ONNX would freeze "
                     "the example's; use a mask that is the same for every element of it")
        here, there = first, first_there
    if not np.array_equal(here, there):
        g.refuse("its condition changes with a dynamic axis; ONNX would freeze the example's")
    return here


@translates(el.Round, "Round (×10ᵈ for decimals d)")
def _round(node, g):
    decimals = g.params.get("decimals", 0) or 0
    if decimals == 0:
        return g.op("Round", g.input(0))
    scale = g.constant(10.0 ** decimals)  # numpy's own method: round(x·10ᵈ)/10ᵈ
    return g.op("Div", g.op("Round", g.op("Mul", g.input(0), scale)), scale)


# -- elementwise, a few ONNX operators each (one model-local function) ---------------------

def _log_base(base):
    def translation(node, g):
        return g.op("Div", g.op("Log", g.input(0)), g.constant(math.log(base)))
    return translation


translates(el.Log2, "Log, Div")(_log_base(2.0))
translates(el.Log10, "Log, Div")(_log_base(10.0))


@translates(el.Log1p, "Add, Log")
def _log1p(node, g):
    # ONNX has no log1p: log(1 + x) loses the digits of x below the float's epsilon.
    return g.op("Log", g.op("Add", g.input(0), g.constant(1.0)))


@translates(el.Expm1, "Exp, Sub")
def _expm1(node, g):
    # ONNX has no expm1: eˣ − 1 loses the digits of small x, as log1p does.
    return g.op("Sub", g.op("Exp", g.input(0)), g.constant(1.0))


@translates(el.Rsqrt, "Sqrt, Reciprocal")
def _rsqrt(node, g):
    return g.op("Reciprocal", g.op("Sqrt", g.input(0)))


@translates(el.Cbrt, "Abs, Pow, Sign, Mul")
def _cbrt(node, g):
    x = g.input(0)
    magnitude = g.op("Pow", g.op("Abs", x), g.constant(1.0 / 3.0))
    return g.op("Mul", g.op("Sign", x), magnitude)


@translates(el.Trunc, "Floor, Ceil, Where")
def _trunc(node, g):
    x = g.input(0)
    negative = g.op("Less", x, g.constant(0.0))
    return g.op("Where", negative, g.op("Ceil", x), g.op("Floor", x))


@translates(el.FloorDivide, "Div, Floor")
def _floor_divide(node, g):
    return g.op("Floor", g.op("Div", g.input(0, g.out_dtype), g.input(1, g.out_dtype)))


@translates(el.Remainder, "Div, Floor, Mul, Sub")
def _remainder(node, g):
    # numpy's sign convention (the divisor's): x − floor(x / y)·y
    x, y = g.input(0, g.out_dtype), g.input(1, g.out_dtype)
    return g.op("Sub", x, g.op("Mul", g.op("Floor", g.op("Div", x, y)), y))


@translates(el.Hypot, "Mul, Add, Sqrt")
def _hypot(node, g):
    x, y = g.input(0, g.out_dtype), g.input(1, g.out_dtype)
    return g.op("Sqrt", g.op("Add", g.op("Mul", x, x), g.op("Mul", y, y)))


@translates(el.Lerp, "Sub, Mul, Add")
def _lerp(node, g):
    x, y, w = (g.input(i, g.out_dtype) for i in range(3))
    return g.op("Add", x, g.op("Mul", w, g.op("Sub", y, x)))


@translates(el.LogAddExp, "Max, Sub, Abs, Neg, Exp, Add, Log")
def _logaddexp(node, g):
    # max(x, y) + log(1 + e^(−|x − y|)): no overflow at ±1000, as tracegrad's forward
    x, y = g.input(0, g.out_dtype), g.input(1, g.out_dtype)
    gap = g.op("Neg", g.op("Abs", g.op("Sub", x, y)))
    tail = g.op("Log", g.op("Add", g.constant(1.0), g.op("Exp", gap)))
    return g.op("Add", g.op("Max", x, y), tail)


@translates(el.Arctan2, "Div, Atan, Less, Where, Add")
def _arctan2(node, g):
    # atan(y/x), moved by ±π into the left half-plane (x < 0) by the sign of y
    y, x = g.input(0, g.out_dtype), g.input(1, g.out_dtype)
    base = g.op("Atan", g.op("Div", y, x))
    zero = g.constant(0.0)
    turn = g.op("Where", g.op("Less", y, zero), g.constant(-math.pi), g.constant(math.pi))
    return g.op("Add", base, g.op("Where", g.op("Less", x, zero), turn, zero))


@translates(el.NanToNum, "IsNaN, IsInf, Where")
def _nan_to_num(node, g):
    x = g.input(0)
    finfo = np.finfo(g.out_dtype)
    nan, posinf, neginf = (g.params.get(k) for k in ("nan", "posinf", "neginf"))
    posinf = finfo.max if posinf is None else posinf
    neginf = finfo.min if neginf is None else neginf
    out = g.op("Where", g.op("IsNaN", x), g.constant(nan or 0.0), x)
    out = g.op("Where", g.op("IsInf", x, detect_negative=0), g.constant(posinf), out)
    return g.op("Where", g.op("IsInf", x, detect_positive=0), g.constant(neginf), out)


# -- reductions and the softmax family ----------------------------------------------------

REDUCE = {rd.Sum: "ReduceSum", rd.Mean: "ReduceMean", rd.Max: "ReduceMax",
          rd.Min: "ReduceMin", rd.Prod: "ReduceProd", rd.LogSumExp: "ReduceLogSumExp"}


def _axes(g):
    axes = g.params["axes"]
    return tuple(axes) if axes else None  # () on a 0-d input: nothing to reduce over


def _reduce(onnx_op):
    def translation(node, g):
        if not g.shape(0):  # a 0-d input is its own sum, mean, max, ...
            return g.op("Identity", g.input(0))
        return g.reduce(onnx_op, g.input(0), _axes(g), g.params["keepdims"])
    return translation


for _op, _onnx_op in REDUCE.items():
    translates(_op, _onnx_op)(_reduce(_onnx_op))


def _variance(g):
    x = g.input(0)
    axes, keepdims, ddof = _axes(g), g.params["keepdims"], g.params["ddof"]
    centred = g.op("Sub", x, g.reduce("ReduceMean", x, axes, True))
    variance = g.reduce("ReduceMean", g.op("Mul", centred, centred), axes, keepdims)
    if not ddof:
        return variance
    shape = g.shape(0)
    sizes = [shape[a] for a in (axes if axes is not None else range(len(shape)))]
    if None in sizes:
        g.refuse(f"ddof={ddof} needs the size of the reduced axes, and one is dynamic")
    n = math.prod(sizes)
    return g.op("Mul", variance, g.constant(n / (n - ddof)))


@translates(rd.Var, "ReduceMean, Sub, Mul")
def _var(node, g):
    return _variance(g)


@translates(rd.Std, "ReduceMean, Sub, Mul, Sqrt")
def _std(node, g):
    return g.op("Sqrt", _variance(g))


def _along_axis(onnx_op):
    def translation(node, g):
        axis = g.params["axis"]
        if axis is None:
            g.refuse("a 0-d input (axis None) has no axis for ONNX's " + onnx_op)
        return g.op(onnx_op, g.input(0), axis=int(axis))
    return translation


translates(rd.Softmax, "Softmax")(_along_axis("Softmax"))
translates(rd.LogSoftmax, "LogSoftmax")(_along_axis("LogSoftmax"))


@translates(sc.Cumsum, "CumSum")
def _cumsum(node, g):
    return g.op("CumSum", g.input(0), g.constant(np.int64(g.params["axis"]), np.int64))


REFUSED[rd.Median] = ("ONNX has no median (TopK cannot average the two middle values of "
                      "an even count the way numpy does)")
REFUSED[sc.Cumprod] = ("ONNX has no cumulative product (exp(cumsum(log x)) fails for zeros "
                       "and negative values)")
REFUSED[sc.LogCumSumExp] = ("ONNX has no stable running log-sum-exp (log(cumsum(exp x)) "
                            "overflows where tracegrad's does not)")


# -- shapes -------------------------------------------------------------------------------

def _dynamic_shape(g, key, keep_as: int, lead: int = 0):
    """A shape parameter for ONNX: where it changes with a dynamic axis, `keep_as` where
    it is the input's own size (0: Reshape's "copy"; 1: Expand's "keep"), or −1 for the
    one size Reshape can infer. `lead`: axes the output has before the input's."""
    here, there = g.varying(key)
    shape = [int(n) for n in here]
    changed = [i for i, (a, b) in enumerate(zip(here, there)) if a != b]
    for i in changed:
        if i >= lead and g.copies_input_axis(0, i - lead, here[i], there[i]):
            shape[i] = keep_as
        elif keep_as == 0 and i == changed[-1] and -1 not in shape:
            shape[i] = -1
        else:
            g.refuse(f"its {key} {tuple(here)} changes with a dynamic axis in a way ONNX "
                     "cannot express; leave that axis static (drop it from dynamic_axes)")
    return shape


@translates(sh.Reshape, "Reshape")
def _reshape(node, g):
    return g.op("Reshape", g.input(0), g.ints(_dynamic_shape(g, "shape", 0)))


@translates(sh.BroadcastTo, "Expand")
def _broadcast_to(node, g):
    lead = len(g.out_shape) - len(g.shape(0))
    return g.op("Expand", g.input(0), g.ints(_dynamic_shape(g, "shape", 1, lead)))


@translates(sh.Transpose, "Transpose")
def _transpose(node, g):
    return g.op("Transpose", g.input(0), perm=[int(a) for a in g.params["axes"]])


@translates(sh.Concatenate, "Concat")
def _concatenate(node, g):
    inputs = [g.input(i, g.out_dtype) for i in range(g.n_inputs)]
    return g.op("Concat", *inputs, axis=int(g.params["axis"]))


@translates(sh.Stack, "Unsqueeze, Concat")
def _stack(node, g):
    axis = int(g.params["axis"]) % len(g.out_shape)
    inputs = [g.op("Unsqueeze", g.input(i, g.out_dtype), g.ints([axis]))
              for i in range(g.n_inputs)]
    return g.op("Concat", *inputs, axis=axis)


@translates(sh.AsType, "Cast")
def _astype(node, g):
    return g.op("Cast", g.input(0), to=onnx_dtype(g.out_dtype))


@translates(sh.GetItem, "Slice | Gather | Slice, Squeeze | Reshape, Gather")
def _getitem(node, g):
    index = g.params["index"]
    shape = g.shape(0)
    parts = _without_ellipsis(index if isinstance(index, tuple) else (index,), len(shape))
    x = g.input(0)
    if parts is not None and len(parts) <= len(shape):
        ints = [i for i, p in enumerate(parts) if _is_int(p)]
        if all(isinstance(p, slice) or _is_int(p) for p in parts):
            if len(ints) == 1 and all(_is_full(p) for i, p in enumerate(parts) if i != ints[0]):
                return g.op("Gather", x, g.constant(np.int64(parts[ints[0]]), np.int64),
                            axis=ints[0])
            bounds = tuple(slice(p, p + 1 or None) if _is_int(p) else p for p in parts)
            sliced = _slices(g, x, bounds, shape)
            return g.op("Squeeze", sliced, g.ints(ints)) if ints else sliced
        arrays = [i for i, p in enumerate(parts) if not _is_full(p)]
        if len(arrays) == 1 and _is_integers(parts[arrays[0]]):
            axis = arrays[0]
            found = g.input_for("index", lambda idx: _part(idx, axis))
            position = found if found is not None else g.constant(
                np.asarray(parts[axis], dtype=np.int64))
            return g.op("Gather", x, position, axis=axis)
    if None in shape:
        g.refuse(f"index {index!r} on an input with a dynamic axis: slices, integers and "
                 "one integer array along one axis are exported with dynamic axes")
    # Any other index of fixed shapes: the positions it picks in the flattened input
    positions = np.arange(math.prod(shape), dtype=np.int64).reshape(shape)[index]
    flat = g.op("Reshape", x, g.ints([-1]))
    return g.op("Gather", flat, g.constant(positions, np.int64), axis=0)


def _without_ellipsis(parts, ndim):
    """The index with `...` written out as full slices; None for a new axis (None)."""
    if any(p is None for p in parts):
        return None
    ellipses = [i for i, p in enumerate(parts) if p is Ellipsis]
    if not ellipses:
        return parts
    i = ellipses[0]
    fill = (slice(None),) * (ndim - len(parts) + 1)
    return parts[:i] + fill + parts[i + 1:]


def _is_int(part) -> bool:
    return isinstance(part, (int, np.integer)) and not isinstance(part, (bool, np.bool_))


def _part(index, axis):
    return (index if isinstance(index, tuple) else (index,))[axis]


def _is_full(part) -> bool:
    return isinstance(part, slice) and part == slice(None)


def _is_integers(part) -> bool:
    if isinstance(part, (bool, np.bool_)):
        return False
    array = np.asarray(part)
    return array.dtype.kind in "iu" and not isinstance(part, slice)


INT64_MAX, INT64_MIN = 2 ** 63 - 1, -(2 ** 63)


def _slices(g, x, parts, shape):
    """Slice with Python's own bounds: ONNX clamps and counts negative bounds from the end
    as Python does, so a slice works along a dynamic axis too."""
    starts, ends, axes, steps = [], [], [], []
    for axis, part in enumerate(parts):
        if _is_full(part):
            continue
        step = 1 if part.step is None else int(part.step)
        start = part.start if part.start is not None else (0 if step > 0 else INT64_MAX)
        stop = part.stop if part.stop is not None else (INT64_MAX if step > 0 else INT64_MIN)
        starts.append(int(start)), ends.append(int(stop)), axes.append(axis)
        steps.append(step)
    if not axes:
        return g.op("Identity", x)
    return g.op("Slice", x, g.ints(starts), g.ints(ends), g.ints(axes), g.ints(steps))


@translates(sh.ScatterAdd, "Reshape, ScatterElements (reduction add)")
def _scatter_add(node, g):
    shape = tuple(g.params["shape"])
    if None in g.shape(0) or None in g.out_shape:
        g.refuse("scatter_add with a dynamic axis: its positions are fixed by the shapes")
    # out = zeros(shape) with x added at index: the positions index picks, in out's flat
    # order, receive x's elements (repeats add up, as np.add.at)
    positions = np.arange(math.prod(shape), dtype=np.int64).reshape(shape)[g.params["index"]]
    flat = g.op("ScatterElements", g.constant(np.zeros(math.prod(shape))),
                g.constant(positions.reshape(-1), np.int64),
                g.op("Reshape", g.input(0, g.out_dtype), g.ints([-1])), axis=0,
                reduction="add")
    return g.op("Reshape", flat, g.ints(shape))


# -- linear algebra -----------------------------------------------------------------------

@translates(la.Matmul, "MatMul")
def _matmul(node, g):
    return g.op("MatMul", g.input(0, g.out_dtype), g.input(1, g.out_dtype))


@translates(la.Linear, "Gemm (2-d input) | MatMul, Add")
def _linear(node, g):
    x, w = g.input(0, g.out_dtype), g.input(1, g.out_dtype)
    bias = g.input(2, g.out_dtype) if g.n_inputs > 2 else None
    if len(g.shape(0)) == 2:
        return g.op("Gemm", x, w, bias, transB=1)
    out = g.op("MatMul", x, g.op("Transpose", w, perm=[1, 0]))
    return g.op("Add", out, bias) if bias is not None else out


@translates(la.Einsum, "Einsum")
def _einsum(node, g):
    # Einsum.of made the subscripts explicit, one letter per axis: ONNX's own spelling
    inputs = [g.input(i, g.out_dtype) for i in range(g.n_inputs)]
    return g.op("Einsum", *inputs, equation=g.params["subscripts"])


# -- normalisation and embedding (issue 16, norm) ------------------------------------------

def _affine(g, first: int):
    """{"weight": name, "bias": name} of the inputs from `first` on, as `affine` names them."""
    return {role: g.input(first + k, g.out_dtype) for k, role in enumerate(g.params["affine"])}


def _standardized(g, x, axes, eps):
    """(x − mean)/√(biased variance + eps) over `axes`, two passes as tracegrad's."""
    centred = g.op("Sub", x, g.reduce("ReduceMean", x, axes, True))
    variance = g.reduce("ReduceMean", g.op("Mul", centred, centred), axes, True)
    return g.op("Div", centred, g.op("Sqrt", g.op("Add", variance, g.constant(eps))))


def _channel_affine(g, out, affine, ndim):
    """out·w_c + b_c with (C,) vectors along axis 1."""
    shape = [-1] + [1] * (ndim - 2)
    for role, op_type in (("weight", "Mul"), ("bias", "Add")):
        if role in affine:
            out = g.op(op_type, out, g.op("Reshape", affine[role], g.ints(shape)))
    return out


@translates(nm.LayerNorm, "LayerNormalization (float64: ReduceMean, Sub, Mul, ...)")
def _layer_norm(node, g):
    axes, rank = tuple(g.params["axes"]), len(g.shape(0))
    if axes != tuple(range(rank - len(axes), rank)):
        g.refuse(f"normalised axes {axes} are not the last ones, as LayerNormalization's")
    affine, normalized = _affine(g, 1), g.shape(0)[rank - len(axes):]
    if g.out_dtype == np.float64:
        # onnxruntime 1.32's float64 LayerNormalization is off by ~1e-8 relative where the
        # variance is small; the two-pass form is tracegrad's own, to the last digits
        out = _standardized(g, g.input(0, g.out_dtype), axes, float(g.params["eps"]))
        for role, op_type in (("weight", "Mul"), ("bias", "Add")):
            if role in affine:
                out = g.op(op_type, out, affine[role])
        return out
    weight = affine.get("weight") or g.constant(np.ones(normalized))
    # the bias given even when it is zero: onnxruntime 1.32's optimizer crashes the
    # process on a float32 LayerNormalization without one
    bias = affine.get("bias") or g.constant(np.zeros(normalized))
    return g.op("LayerNormalization", g.input(0, g.out_dtype), weight, bias,
                axis=rank - len(axes), epsilon=float(g.params["eps"]))


@translates(nm.BatchNorm, "BatchNormalization (running statistics) | ReduceMean, Sub, ...")
def _batch_norm(node, g):
    x, rank, channels = g.input(0, g.out_dtype), len(g.shape(0)), g.shape(0)[1]
    eps = float(g.params["eps"])
    if not g.params["running"]:  # a training-mode batch: the batch's own statistics
        out = _standardized(g, x, (0,) + tuple(range(2, rank)), eps)
        return _channel_affine(g, out, _affine(g, 1), rank)
    affine = _affine(g, 3)
    weight = affine.get("weight") or g.constant(np.ones(channels))
    bias = affine.get("bias") or g.constant(np.zeros(channels))
    mean, var = g.input(1, g.out_dtype), g.input(2, g.out_dtype)
    return g.op("BatchNormalization", x, weight, bias, mean, var, epsilon=eps)


@translates(nm.GroupNorm, "Reshape, ReduceMean, Sub, Mul, Add, Sqrt, Div, Reshape, ...")
def _group_norm(node, g):
    shape = g.shape(0)
    if None in shape[1:]:
        g.refuse("group_norm with a dynamic axis other than the batch's")
    x = g.input(0, g.out_dtype)
    grouped = g.op("Reshape", x, g.ints([0, int(g.params["groups"]), -1]))
    out = _standardized(g, grouped, (2,), float(g.params["eps"]))
    out = g.op("Reshape", out, g.ints([0] + list(shape[1:])))
    return _channel_affine(g, out, _affine(g, 1), len(shape))


@translates(sp.Embedding, "Gather")
def _embedding(node, g):
    indices = g.input_for("indices")
    if indices is None:
        indices = g.constant(np.asarray(g.params["indices"], dtype=np.int64), np.int64)
    return g.op("Gather", g.input(0, g.out_dtype), indices, axis=0)


# -- convolution, pooling and resampling (issue 16, conv) ---------------------------------

def _geometry(g, dilation=True):
    p = g.params
    pads = [int(lo) for lo, _ in p["padding"]] + [int(hi) for _, hi in p["padding"]]
    geometry = dict(strides=[int(s) for s in p["stride"]], pads=pads)
    if dilation:
        geometry["dilations"] = [int(d) for d in p["dilation"]]
    return geometry


@translates(cv.Convolution, "Conv")
def _convolution(node, g):
    inputs = [g.input(i, g.out_dtype) for i in range(g.n_inputs)]
    return g.op("Conv", *inputs, group=int(g.params["groups"]), **_geometry(g))


@translates(cv.ConvTranspose, "ConvTranspose")
def _conv_transpose(node, g):
    p = g.params
    geometry = _geometry(g)
    kernel, spatial = g.shape(1)[2:], g.shape(0)[2:]
    # the rows past the last window that `size` asks for: ONNX's output_padding
    natural = [s * (n - 1) + (k - 1) * d + 1 - lo - hi for s, n, k, d, (lo, hi) in zip(
        p["stride"], spatial, kernel, p["dilation"], p["padding"])]
    extra = [int(m) - n for m, n in zip(p["size"], natural)]
    inputs = [g.input(i, g.out_dtype) for i in range(g.n_inputs)]
    return g.op("ConvTranspose", *inputs, group=int(p["groups"]), output_padding=extra,
                **geometry)


@translates(cv.MaxPool, "MaxPool")
def _max_pool(node, g):
    kernel = [int(k) for k in g.params["kernel"]]
    return g.op("MaxPool", g.input(0), kernel_shape=kernel, **_geometry(g))


@translates(cv.AvgPool, "AveragePool, Mul")
def _avg_pool(node, g):
    # ONNX divides every window by the kernel's size (count_include_pad=1); tracegrad's
    # divisor per output position is PyTorch's (clipped windows, count_include_pad, override)
    kernel = [int(k) for k in g.params["kernel"]]
    pooled = g.op("AveragePool", g.input(0), kernel_shape=kernel, count_include_pad=1,
                  **_geometry(g, dilation=False))
    divisor = np.asarray(g.params["divisor"], dtype=np.float64)
    return g.op("Mul", pooled, g.constant(math.prod(kernel) / divisor))


REFUSED[cv.ConvWeight] = ("the gradient of conv by its kernel (graphs recorded with "
                          "create_graph=True); export the forward pass")


def _separable_map(node, g):
    """One Einsum: matrix i applied along spatial axis i ("nchw,ah,bw->ncab")."""
    matrices = g.params["matrices"]
    rank, d = len(g.shape(0)), len(matrices)
    letters = "nopqrstuvwxyz"[:rank]
    spatial, targets = letters[rank - d:], "abcdefghijklm"[:d]
    terms = [letters] + [f"{t}{s}" for t, s in zip(targets, spatial)]
    equation = ",".join(terms) + "->" + letters[:rank - d] + targets
    constants = [g.constant(np.asarray(m)) for m in matrices]
    return g.op("Einsum", g.input(0), *constants, equation=equation)


translates(cv.AdaptiveAvgPool, "Einsum (one averaging matrix per axis)")(_separable_map)
translates(cv.Interpolate, "Einsum (one interpolation matrix per axis)")(_separable_map)


# -- attention (issue 16, attn) ---------------------------------------------------------

@translates(at.ScaledDotProductAttention, "MatMul, Transpose, Mul, Where, Softmax")
def _attention(node, g):
    p = g.params
    if p["keep"] is not None:
        g.refuse("attention dropout in training mode; call model.eval() (dropout_p applies "
                 "only in training)")
    q, k, v = (g.input(i, g.out_dtype) for i in range(3))
    rank = len(g.shape(1))
    kt = g.op("Transpose", k, perm=list(range(rank - 2)) + [rank - 1, rank - 2])
    scores = g.op("Mul", g.op("MatMul", q, kt), g.constant(p["scale"]))
    length, source = g.shape(0)[-2], g.shape(1)[-2]
    keep = None  # where scores count: a bool mask, or the causal triangle
    if p["is_causal"]:
        keep = np.tril(np.ones((length, source), dtype=bool))
    elif g.n_inputs > 3 and g.dtype(3) == np.bool_:
        keep = g.constant_value(3)  # None when the mask is an input of the model
        if keep is None:
            keep = True
    elif g.n_inputs > 3:
        scores = g.op("Add", scores, g.input(3, g.out_dtype))
    if keep is not None:
        mask = g.constant(keep) if p["is_causal"] else g.input(3)
        scores = g.op("Where", mask, scores, g.constant(-np.inf))
    weights = g.op("Softmax", scores, axis=-1)
    if keep is not None and keep is not True and not np.asarray(keep).any(axis=-1).all():
        # rows with every key masked: tracegrad's (and PyTorch's) safe softmax gives 0
        dead = g.constant(~np.asarray(keep).any(axis=-1, keepdims=True))
        weights = g.op("Where", dead, g.constant(0.0), weights)
    return g.op("MatMul", weights, v)


# -- recurrent (issue 16, rnn) ----------------------------------------------------------

@translates(rc.LSTMCell, "Slice, Gemm, Split, Sigmoid, Tanh, Mul, Add, Concat")
def _lstm_cell(node, g):
    dtype = g.out_dtype
    x, state, w_ih, w_hh = (g.input(i, dtype) for i in range(4))
    n = g.shape(3)[1]
    h = g.op("Slice", state, g.ints([0]), g.ints([n]), g.ints([1]))
    c = g.op("Slice", state, g.ints([n]), g.ints([2 * n]), g.ints([1]))
    biases = [g.input(i, dtype) for i in range(4, g.n_inputs)]
    pre = g.op("Gemm", x, w_ih, *biases[:1], transB=1)
    pre = g.op("Gemm", h, w_hh, pre, transB=1)
    if len(biases) > 1:
        pre = g.op("Add", pre, biases[1])
    i, f, cell, o = g.op("Split", pre, g.ints([n] * 4), axis=1, outputs=4)
    i, f, cell, o = (g.op("Sigmoid", i), g.op("Sigmoid", f), g.op("Tanh", cell),
                     g.op("Sigmoid", o))
    c_new = g.op("Add", g.op("Mul", f, c), g.op("Mul", i, cell))
    h_new = g.op("Mul", o, g.op("Tanh", c_new))
    return g.op("Concat", h_new, c_new, i, f, cell, o, axis=1)
