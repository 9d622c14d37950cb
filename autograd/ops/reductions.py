"""Reductions over an axis (or all axes): sum, mean, max, min, var, logsumexp, and the
softmax family that is built on them.

`axis` is None (all axes), an int or a tuple of ints, negative counting from the end, as in
numpy; `keepdims=True` keeps the reduced axes with size 1. Backward first restores the
reduced axes of grad_out (`expand_reduced`) so it broadcasts against the input.
"""

from __future__ import annotations

import numpy as np

from ..engine import Operator, Step
from .arithmetic import Add, Div, Sub
from .elementwise import Exp, Log


def normalize_axes(axis, ndim: int, op_name: str, shape=None) -> tuple:
    """The reduced axes as a sorted tuple of non-negative ints; ValueError if out of range
    (naming the input's `shape` when given)."""
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, tuple) else (axis,)
    result = []
    for a in axes:
        if not isinstance(a, (int, np.integer)) or isinstance(a, bool):
            raise TypeError(f"{op_name}: axis must be an int or a tuple of ints, got {a!r}")
        # A 0-d tensor accepts axis 0 and -1, as PyTorch (and numpy's sum and max) do.
        if not -max(ndim, 1) <= a < max(ndim, 1):
            what = f"a tensor of shape {shape}" if shape is not None else f"a {ndim}-d tensor"
            raise ValueError(
                f"{op_name}: axis {a} is out of range for {what}; "
                f"valid axes are {-max(ndim, 1)} to {max(ndim, 1) - 1}"
            )
        result.append(int(a) % max(ndim, 1))
    if len(set(result)) != len(result):
        raise ValueError(f"{op_name}: axis {axis} repeats an axis")
    return tuple(sorted(result)) if ndim else ()


def expand_reduced(grad_out, ctx):
    """grad_out with the reduced axes put back as size 1 (a no-op when keepdims=True)."""
    params = ctx.params
    if params["keepdims"]:
        return grad_out
    shape = list(ctx.inputs[0].shape)
    for a in params["axes"]:
        shape[a] = 1
    return grad_out.reshape(tuple(shape))


# Small gradients are broadcast back into a fresh array (np.full), large ones as a
# read-only view that writes no memory; np.broadcast_to's own overhead was a sixth of a
# W6 step's backward (benchmarks/README.md, W6).
_MATERIALISE_BELOW = 1 << 16


def broadcast_back(xp, grad, shape):
    """grad (with the reduced axes restored as size 1) broadcast to the input's shape."""
    if type(grad) is np.ndarray:
        size = 1
        for n in shape:
            size *= n
        if size < _MATERIALISE_BELOW:
            return np.full(shape, grad)
    return xp.broadcast_to(grad, shape)


class Reduction(Operator):
    """An operator over `axes` with `keepdims` (its params); `of` takes numpy's arguments."""

    @classmethod
    def of(cls, x, axis=None, keepdims=False, **params):
        """The operator over `axis` (None, an int or a tuple; negative from the end)."""
        axes = normalize_axes(axis, x.ndim, cls.name, x.shape)
        return cls.apply(x, axes=axes, keepdims=bool(keepdims), **params)


class Extremum(Reduction):
    """max and min: undefined over an empty axis, so `of` refuses one by name."""

    @classmethod
    def of(cls, x, axis=None, keepdims=False, **params):
        if x.size == 0:
            axes = normalize_axes(axis, x.ndim, cls.name, x.shape)
            if any(x.shape[a] == 0 for a in axes) or axis is None:
                where = "without an axis" if axis is None else f"over axis {axis}"
                raise ValueError(
                    f"{cls.name}: cannot reduce an empty tensor of shape {x.shape} {where} "
                    f"(the {cls.name} of nothing is undefined); check that the batch is not "
                    "empty"
                )
        return super().of(x, axis, keepdims, **params)


class AlongAxis(Operator):
    """An operator along one `axis` (softmax, log_softmax); `of` checks it."""

    @classmethod
    def of(cls, x, axis=-1):
        """Along `axis`; a 0-d tensor's axis 0 or −1 is all of it (axis None)."""
        axes = normalize_axes(axis, x.ndim, cls.name, x.shape)
        return cls.apply(x, axis=axes[0] if axes else None)


def _reduced_count(x, axes) -> int:
    count = 1
    for a in axes:
        count *= x.shape[a]
    return count


class Sum(Reduction):
    """out = Σ x over the axes;  ∂out/∂xᵢ = 1, so grad_x is grad_out broadcast back."""

    name = "sum"

    @staticmethod
    def forward(ctx, x, axes, keepdims):
        return x.sum(axis=axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx, grad_out):
        return broadcast_back(ctx.xp, expand_reduced(grad_out, ctx), ctx.inputs[0].shape)


class Mean(Reduction):
    """out = (1/N) Σ x over the axes (N elements reduced);  ∂out/∂xᵢ = 1/N.

    The mean of an empty tensor is nan (numpy's and PyTorch's answer).
    """

    name = "mean"

    @staticmethod
    def forward(ctx, x, axes, keepdims):
        return x.mean(axis=axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx, grad_out):
        x = ctx.inputs[0]
        count = _reduced_count(x, ctx.params["axes"])
        if not count:  # an empty axis: the input has no element to take a gradient
            return ctx.xp.broadcast_to(expand_reduced(grad_out, ctx) * 0, x.shape)
        return broadcast_back(ctx.xp, expand_reduced(grad_out, ctx) / count, x.shape)


class Max(Extremum):
    """out = max x over the axes;  the gradient is split evenly between tied maxima
    (as torch.amax): ∂out/∂xᵢ = [xᵢ = out] / #ties. Where the maximum is nan no element
    equals it, and the gradient is nan (PyTorch's answer), without a numpy warning."""

    name = "max"

    @staticmethod
    def forward(ctx, x, axes, keepdims):
        return _extremum(ctx, x, x.max(axis=axes, keepdims=True), axes, keepdims)

    @staticmethod
    def backward(ctx, grad_out):
        (share,) = ctx.saved
        return expand_reduced(grad_out, ctx) * share


class Min(Extremum):
    """out = min x over the axes;  the gradient is split evenly between tied minima."""

    name = "min"

    @staticmethod
    def forward(ctx, x, axes, keepdims):
        return _extremum(ctx, x, x.min(axis=axes, keepdims=True), axes, keepdims)

    backward = Max.backward  # the same rule: grad_out shared among the elements that won


def _extremum(ctx, x, out, axes, keepdims):
    """Save each element's share of the gradient (1/#ties where it won, else 0)."""
    ctx.save(_tie_shares(x == out, axes, x.dtype))
    return out if keepdims else out.reshape(_drop_axes(out.shape, axes))


def _tie_shares(ties, axes, dtype):
    counts = ties.sum(axis=axes, keepdims=True)
    if not counts.all():  # a nan maximum equals no element: 0/0 = nan shares, as in PyTorch
        with np.errstate(invalid="ignore"):
            return (ties / counts).astype(dtype, copy=False)
    return (ties / counts).astype(dtype, copy=False)


def _drop_axes(shape, axes):
    return tuple(n for i, n in enumerate(shape) if i not in axes)


class Var(Reduction):
    """out = Σ (x − x̄)² / (N − ddof), numpy's convention (ddof=0 by default; PyTorch's
    default is ddof=1);  ∂out/∂xᵢ = 2(xᵢ − x̄)/(N − ddof).

    Two passes (mean first), so there is no catastrophic cancellation of E[x²] − E[x]².
    Where N − ddof ≤ 0 numpy's value is inf or nan and the gradient is nan (PyTorch's
    answer for N = ddof), never a ZeroDivisionError.
    """

    name = "var"

    @staticmethod
    def forward(ctx, x, axes, keepdims, ddof):
        ctx.save(x)
        return x.var(axis=axes, keepdims=keepdims, ddof=ddof)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        axes, ddof = ctx.params["axes"], ctx.params["ddof"]
        centered = _centered(x, axes)
        scale = 2 / _degrees_of_freedom(x, axes, ddof)
        return expand_reduced(grad_out, ctx) * centered * scale


class Std(Reduction):
    """out = √(Σ (x − x̄)² / (N − ddof)) (numpy's ddof=0 by default);
    ∂out/∂xᵢ = (xᵢ − x̄) / ((N − ddof)·out), taken as 0 where out = 0 (one element, a
    size-1 axis, a constant row: every xᵢ − x̄ is 0 there; PyTorch and HIPS give 0 too).

    Its own operator, not √var: the chain rule through √ would give 0·∞ = nan at out = 0.
    The double where keeps the second derivative finite there as well.
    """

    name = "std"

    @staticmethod
    def forward(ctx, x, axes, keepdims, ddof):
        out = x.std(axis=axes, keepdims=keepdims, ddof=ddof)
        if type(out) is not np.ndarray:
            out = np.asarray(out)
        ctx.save(x, out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        x, out = ctx.saved
        axes, ddof = ctx.params["axes"], ctx.params["ddof"]
        out = expand_reduced(out, ctx)
        flat = out == 0
        safe_out = ctx.xp.where(flat, 1, out)
        slope = _centered(x, axes) / (safe_out * _degrees_of_freedom(x, axes, ddof))
        return ctx.xp.where(flat, 0, expand_reduced(grad_out, ctx) * slope)


def _centered(x, axes):
    return x - x.mean(axis=axes, keepdims=True)


def _degrees_of_freedom(x, axes, ddof) -> float:
    """N − ddof, or nan when it is not positive (the gradient is then nan, as the value)."""
    dof = _reduced_count(x, axes) - ddof
    return dof if dof > 0 else np.nan


def _stable_max(x, axes):
    """max over axes (an int, a tuple or None; keepdims), with non-finite maxima replaced
    by 0 so that x − m stays finite for rows of −inf (JAX's guard); `initial` makes empty
    reductions legal."""
    m = x.max(axis=axes, keepdims=True, initial=-np.inf)
    return np.where(np.isfinite(m), m, 0).astype(x.dtype, copy=False)


def _axes(axis):
    return None if axis is None else (axis,)


def softmax_steps(x, axes, final) -> list:
    """The primitives of softmax, log_softmax or logsumexp (`final`) over `axes` of the
    array x, with their values: the max-shift that keeps exp from overflowing made
    visible (Operator.expand)."""
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        m = _stable_max(x, axes)
        d = x - m
        e = np.exp(d)
        s = e.sum(axis=axes, keepdims=True)
        steps = [Step(Max.name, ("x",), "m = max x", m), Step.of(Sub, ("x", 0), "x − m", d),
                 Step.of(Exp, (1,), "e = exp(x − m)", e), Step(Sum.name, (2,), "Σe", s)]
        if final == "softmax":
            return steps + [Step.of(Div, (2, 3), "e / Σe", e / s)]
        log_s = np.log(s)
        steps.append(Step.of(Log, (3,), "log Σe", log_s))
        if final == "log_softmax":
            return steps + [Step.of(Sub, (1, 4), "(x − m) − log Σe", d - log_s)]
        return steps + [Step.of(Add, (4, 0), "log Σe + m", log_s + m)]


class LogSumExp(Reduction):
    """out = ln Σ eˣ over the axes, computed as m + ln Σ e^(x − m) with m = max x;
    ∂out/∂xᵢ = e^(xᵢ − out) = softmax(x)ᵢ.

    Finite for x = ±1000; a row of all −inf gives −inf (not nan), a +inf gives +inf; the
    gradient of a row of all −inf is nan (as in PyTorch), without a numpy warning.
    """

    name = "logsumexp"

    @staticmethod
    def forward(ctx, x, axes, keepdims):
        m = _stable_max(x, axes)
        with np.errstate(divide="ignore"):  # log(0) = -inf is the right answer for -inf rows
            out = np.log(np.exp(x - m).sum(axis=axes, keepdims=True)) + m
        if not keepdims:
            out = out.reshape(_drop_axes(out.shape, axes))
        ctx.save(x, out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        x, out = ctx.saved
        # a row of −inf: −inf − (−inf) = nan, as in PyTorch
        return expand_reduced(grad_out, ctx) * ctx.xp.exp(x - expand_reduced(out, ctx))

    @staticmethod
    def expand(node):
        axes = node.params["axes"]
        steps = softmax_steps(np.asarray(node.inputs[0].data), axes, "logsumexp")
        if not node.params["keepdims"]:
            value = steps[-1].value
            steps.append(Step("squeeze", (len(steps) - 1,), "logsumexp",
                              value.reshape(_drop_axes(value.shape, axes))))
        return steps


class Softmax(AlongAxis):
    """out = e^(x − m) / Σ e^(x − m) along one axis (m = max, so nothing overflows);
    grad_x = out · (grad_out − Σ grad_out·out). axis=None (a 0-d input) takes the whole
    tensor: the softmax of one number is 1."""

    name = "softmax"

    @staticmethod
    def forward(ctx, x, axis):
        e = np.exp(x - _stable_max(x, axis))
        out = e / e.sum(axis=axis, keepdims=True)
        ctx.save(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (out,) = ctx.saved
        axis = ctx.params["axis"]
        return out * (grad_out - (grad_out * out).sum(axis=axis, keepdims=True))

    @staticmethod
    def expand(node):
        return softmax_steps(np.asarray(node.inputs[0].data), _axes(node.params["axis"]),
                             "softmax")

class LogSoftmax(AlongAxis):
    """out = x − logsumexp(x) along one axis (None: the whole tensor, for a 0-d input);
    grad_x = grad_out − softmax(x)·Σ grad_out.

    Exact where log(softmax(x)) underflows: log_softmax([1000, 0, −1000]) = [0, −1000, −2000].
    """

    name = "log_softmax"

    @staticmethod
    def forward(ctx, x, axis):
        shifted = x - _stable_max(x, axis)
        # a row of −inf: log 0 = −inf, and −inf − (−inf) = nan (PyTorch's value too)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        ctx.save(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (out,) = ctx.saved
        axis = ctx.params["axis"]
        return grad_out - ctx.xp.exp(out) * grad_out.sum(axis=axis, keepdims=True)

    @staticmethod
    def expand(node):
        return softmax_steps(np.asarray(node.inputs[0].data), _axes(node.params["axis"]),
                             "log_softmax")


# -- surface-math (issue 15, item 2) -----------------------------------------------------


def _to_last(x, axes):
    """x (an array or a variable) with `axes` moved to the end and flattened into one:
    shape (kept axes..., N), and the permutation that did it (None when the axes were
    the last ones already: no transpose either way)."""
    kept = [a for a in range(x.ndim) if a not in axes]
    perm = tuple(kept) + tuple(axes)
    if perm == tuple(range(x.ndim)):
        perm, moved = None, x
    else:
        moved = x.transpose(perm)
    return moved.reshape(tuple(x.shape[a] for a in kept) + (_reduced_count(x, axes),)), perm


def _from_last(flat, x, perm):
    """The inverse of _to_last: `flat` back to x's shape and axis order."""
    if perm is None:
        return flat.reshape(x.shape)
    inverse = sorted(range(len(perm)), key=perm.__getitem__)
    return flat.reshape(tuple(x.shape[a] for a in perm)).transpose(inverse)


class Prod(Reduction):
    """out = Π x over the axes;  ∂out/∂xᵢ = Π_{k≠i} xₖ.

    Without zeros that is out/xᵢ. With zeros (or a product that underflowed to 0) out/xᵢ
    would be 0/0 or lose xᵢ's partners, so backward multiplies the other elements
    explicitly (an N×N product per reduced group, only when a product is 0): one zero gets
    the product of the rest, the others 0; two zeros give 0 everywhere, and the second
    derivative stays right in both cases.
    """

    name = "prod"

    @staticmethod
    def forward(ctx, x, axes, keepdims):
        # the ufunc's reduce: what ndarray.prod runs (the same dtypes), without its wrapper
        out = np.multiply.reduce(x, axis=axes, keepdims=keepdims)
        if type(out) is not np.ndarray:
            out = np.asarray(out)
        ctx.save(x, out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        x, out = ctx.saved
        if ctx.xp.count_nonzero(out) == out.size:  # no zero, and no product that underflowed
            return expand_reduced(grad_out * out, ctx) / x
        grad_out = expand_reduced(grad_out, ctx)
        flat, perm = _to_last(x, ctx.params["axes"])
        n = flat.shape[-1]
        # row i of the N×N matrix is the group with xᵢ replaced by 1
        others_in = ctx.xp.where(np.eye(n, dtype=bool), 1, flat[..., None, :])
        others = ctx.xp.prod(others_in, axis=-1)
        return grad_out * _from_last(others, x, perm)


class Median(Extremum):
    """out = the middle value over the axes (numpy's median: the mean of the two middle
    values for an even count);  the gradient goes to the middle element (½ to each of the
    two for an even count), chosen by a stable sort, so ties are deterministic."""

    name = "median"

    @staticmethod
    def forward(ctx, x, axes, keepdims):
        flat, perm = _to_last(x, axes)
        n = flat.shape[-1]
        low, high = (n - 1) // 2, n // 2  # the middle positions: one, or two for an even n
        order = flat.argsort(axis=-1, kind="stable")
        positions = np.arange(n)
        # ½ to the element at each middle position: 1 to the middle one when low = high
        share = ((positions == order[..., low, None]) * 0.5
                 + (positions == order[..., high, None]) * 0.5).astype(x.dtype, copy=False)
        ctx.save(_from_last(share, x, perm))
        ordered = np.sort(flat, axis=-1)  # nan sorts last
        out = ordered[..., low] if low == high else (ordered[..., low] + ordered[..., high]) / 2
        if np.count_nonzero(np.isnan(ordered[..., -1])):  # numpy: nan wherever one is
            out = np.where(np.isnan(ordered[..., -1]), np.nan, out)
        shape = tuple(1 if a in axes else m for a, m in enumerate(x.shape)) if keepdims \
            else _drop_axes(x.shape, axes)
        return np.asarray(out, dtype=x.dtype).reshape(shape)

    @staticmethod
    def backward(ctx, grad_out):
        (share,) = ctx.saved
        return expand_reduced(grad_out, ctx) * share
