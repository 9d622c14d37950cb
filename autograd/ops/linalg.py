"""Matrix product with numpy's matmul semantics (batch dimensions broadcast; a 1-d operand
is a vector, promoted to a matrix for the product and demoted after)."""

from __future__ import annotations

import math

import numpy as np

from ..engine import Operator
from ..variable import Variable
from .shape import BroadcastTo


class Matmul(Operator):
    """out = x @ y, i.e. out[..., i, j] = Σₖ x[..., i, k]·y[..., k, j];
    grad_x = grad_out @ yᵀ,  grad_y = xᵀ @ grad_out  (ᵀ swaps the last two axes).

    Batch axes that broadcast are summed back by the engine. A 1-d x is treated as a
    (1, k) row and a 1-d y as a (k, 1) column, so grad_out gets those axes back first.
    """

    name = "matmul"
    symbol = "@"
    fresh_grads = True  # backward returns new arrays, each once: a leaf may keep them

    @classmethod
    def dot(cls, x, y):
        """numpy's dot: a product with a 0-d operand, the inner product of 1-d ones,
        matmul of 2-d ones, and for n-d x the sum over x's last axis and y's second to
        last (its last when 1-d), through einsum."""
        y = y if isinstance(y, Variable) else np.asarray(y)
        if x.ndim == 0 or y.ndim == 0:
            return x * y
        if x.ndim <= 2 and y.ndim <= 2:
            return cls.apply(x, y)
        return tensordot(x, y, ([-1], [-2 if y.ndim > 1 else -1]))

    @staticmethod
    def forward(ctx, x, y):
        check_matmul_shapes(x.shape, y.shape)
        ctx.save(x, y)
        return np.matmul(x, y)

    @staticmethod
    def backward(ctx, grad_out):
        x, y = ctx.saved
        x_is_vector, y_is_vector = x.ndim == 1, y.ndim == 1
        if y_is_vector:
            y = y.reshape(y.shape + (1,))
            grad_out = grad_out.reshape(grad_out.shape + (1,))
        if x_is_vector:
            x = x.reshape((1,) + x.shape)
            grad_out = grad_out.reshape(grad_out.shape[:-1] + (1,) + grad_out.shape[-1:])
        need_x, need_y = ctx.needs_input_grad  # a data matrix needs no gradient: skip it
        # A vector x gets grad_x of shape (..., 1, k); the engine sums it down to (k,).
        grad_x = grad_out @ y.swapaxes(-1, -2) if need_x else None
        if need_y and _is_transposed_matrix(y):
            # x @ W.T: W.T's gradient in W.T's own layout, so that W's (its transpose) is
            # C-ordered and W -= lr * W.grad runs at full speed (benchmarks/README.md, W3).
            rows = grad_out.reshape((-1, grad_out.shape[-1]))
            grad_y = (rows.T @ x.reshape((-1, x.shape[-1]))).T
        else:
            grad_y = x.swapaxes(-1, -2) @ grad_out if need_y else None
        if y_is_vector and need_y:  # (..., k, 1) -> (..., k) before the engine sums the batch axes
            grad_y = grad_y.reshape(grad_y.shape[:-1])
        return grad_x, grad_y


def _is_transposed_matrix(y) -> bool:
    """A 2-d ndarray laid out column by column (e.g. W.T of a C-ordered W)."""
    if type(y) is not np.ndarray or y.ndim != 2:
        return False
    flags = y.flags
    return flags.f_contiguous and not flags.c_contiguous


def check_matmul_shapes(x_shape, y_shape):
    """ValueError naming both shapes when x @ y is undefined (numpy's message is cryptic)."""
    if not x_shape or not y_shape:
        raise ValueError(
            f"matmul: operands must be at least 1-d, got shapes {x_shape} and {y_shape}"
        )
    inner_x = x_shape[-1]
    inner_y = y_shape[0] if len(y_shape) == 1 else y_shape[-2]
    if inner_x != inner_y:
        raise ValueError(
            f"matmul: {x_shape} @ {y_shape} — inner dimensions {inner_x} and {inner_y} differ"
        )
    batch_x, batch_y = x_shape[:-2], y_shape[:-2]
    try:
        np.broadcast_shapes(batch_x, batch_y)
    except ValueError:
        raise ValueError(
            f"matmul: {x_shape} @ {y_shape} — batch dimensions {batch_x} and {batch_y} "
            "cannot be broadcast together"
        ) from None


class Linear(Operator):
    """out = x @ Wᵀ + b (PyTorch's linear/addmm: one operator instead of transpose, matmul
    and add), x of shape (..., in), W (out, in), b (out,) or left out;
    grad_x = grad_out @ W,  grad_W = Σ_batch grad_outᵀ x,  grad_b = Σ_batch grad_out.

    grad_W is computed as grad_outᵀ @ x directly, so it comes out C-ordered like W, and
    the bias gradient is one sum over the batch axes instead of a broadcast undone later.
    """

    name = "linear"
    fresh_grads = True  # backward returns new arrays, each once: a leaf may keep them

    @staticmethod
    def forward(ctx, x, weight, *bias):
        check_linear_shapes(x.shape, weight.shape, bias)
        ctx.save(x, weight)
        if x.ndim > 2:  # (..., in) as one (rows, in) matrix: one GEMM, not one per batch row
            rows = x.reshape(math.prod(x.shape[:-1]), x.shape[-1])  # not -1: in may be 0
            out = np.matmul(rows, weight.T).reshape(x.shape[:-1] + weight.shape[:1])
        else:
            out = np.matmul(x, weight.T)
        if bias:
            (b,) = bias
            out = out + b
        return out

    @staticmethod
    def backward(ctx, grad_out):
        x, weight = ctx.saved
        needs = ctx.needs_input_grad
        grad_x = grad_out @ weight if needs[0] else None
        grad_w = grad_b = None
        if needs[1] or (len(needs) > 2 and needs[2]):
            # The batch axes (none for a 1-d x) folded into one row axis (counted, not -1:
            # in or out may be 0).
            n = math.prod(grad_out.shape[:-1])
            rows = grad_out.reshape((n, weight.shape[0]))
            if needs[1]:
                grad_w = rows.T @ x.reshape((n, weight.shape[1]))
            if len(needs) > 2 and needs[2]:
                grad_b = rows.sum(axis=0)
        return (grad_x, grad_w) if len(needs) == 2 else (grad_x, grad_w, grad_b)


def check_linear_shapes(x_shape, weight_shape, bias):
    """ValueError naming the shapes unless x (..., in), W (out, in) and b (out,) fit
    (`bias`: a tuple of no or one array)."""
    if len(bias) > 1:
        raise ValueError(f"linear: takes x, weight and at most one bias, got "
                         f"{2 + len(bias)} inputs")
    if len(weight_shape) != 2 or not x_shape or x_shape[-1] != weight_shape[1]:
        raise ValueError(f"linear: input of shape {x_shape} and weight of shape "
                         f"{weight_shape} do not fit; expected (..., in) and (out, in)")
    if bias and bias[0].shape != weight_shape[:1]:
        raise ValueError(f"linear: bias has shape {bias[0].shape}, expected "
                         f"{weight_shape[:1]} for a weight of shape {weight_shape}")


class Einsum(Operator):
    """out = einsum(subscripts, x₀, x₁, ...), e.g. "bij,bjk->bik";
    grad_xᵢ = einsum of grad_out with the other operands into xᵢ's subscripts: letters
    only xᵢ has get their sum's gradient (ones), a letter xᵢ repeats (a trace, a
    diagonal) gets it back on the diagonal through an identity matrix.

    `of` accepts every subscript string numpy does (implicit output, "...", repeated
    letters) and rewrites it explicitly, with ellipsis axes broadcast beforehand by
    broadcast_to, so forward and backward see one letter per axis and no broadcasting.
    The backward is einsum itself, so second order works.
    """

    name = "einsum"

    @classmethod
    def of(cls, subscripts, *operands):
        if not isinstance(subscripts, str):  # numpy's sublist form: x, [0, 1], y, [1, 2]
            subscripts, operands = _from_sublists((subscripts,) + operands)
        operands = [x if isinstance(x, Variable) else np.asarray(x) for x in operands]
        shapes = [x.shape for x in operands]
        specs, out, sizes = _explicit_einsum(subscripts, shapes)
        fitted = []
        for x, spec, shape in zip(operands, specs, shapes):
            full = tuple(sizes[c] for c in spec)
            if full != shape:  # an ellipsis axis of size 1 broadcast against the others
                x = BroadcastTo.of(x, full)
            fitted.append(x)
        return cls.apply(*fitted, subscripts=",".join(specs) + "->" + out)

    @staticmethod
    def forward(ctx, *xs, subscripts):
        ctx.save(*xs)
        return np.einsum(subscripts, *xs)

    @staticmethod
    def backward(ctx, grad_out):
        xs = ctx.saved
        specs, out = ctx.params["subscripts"].split("->")
        specs = specs.split(",")
        grads = []
        for i, (spec, x) in enumerate(zip(specs, xs)):
            if not ctx.needs_input_grad[i]:
                grads.append(None)
                continue
            terms = [out] + [s for j, s in enumerate(specs) if j != i]
            operands = [grad_out] + [y for j, y in enumerate(xs) if j != i]
            present = set("".join(terms))
            fresh = iter(c for c in _LETTERS if c not in set("".join(specs) + out))
            target = ""
            for position, c in enumerate(spec):
                n = x.shape[position]
                if c in spec[:position]:  # a repeated letter: back onto the diagonal
                    f = next(fresh)
                    terms.append(c + f)
                    operands.append(np.eye(n, dtype=_dtype(x)))
                    target += f
                    continue
                if c not in present:  # summed in xᵢ alone: every element gets grad
                    terms.append(c)
                    operands.append(np.ones(n, dtype=_dtype(x)))
                    present.add(c)
                target += c
            grads.append(ctx.xp.einsum(",".join(terms) + "->" + target, *operands))
        return tuple(grads)


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _dtype(x):
    return x.data.dtype if isinstance(x, Variable) else x.dtype


def _from_sublists(args):
    """numpy's einsum(x, [0, 1], y, [1, 2], [0, 2]) as ("ab,bc->ac", (x, y))."""
    def letters(sublist):
        try:
            return "".join("..." if i is Ellipsis else _LETTERS[int(i)] for i in sublist)
        except (TypeError, ValueError, IndexError):
            raise TypeError(f"einsum: expects subscripts like 'ij,jk->ik' or numpy's "
                            f"sublists of axis numbers 0-51, got {sublist!r}") from None
    operands, specs = args[0:-1:2] if len(args) % 2 else args[0::2], args[1::2]
    out = "->" + letters(args[-1]) if len(args) % 2 else ""
    return ",".join(letters(spec) for spec in specs) + out, operands


def _explicit_einsum(subscripts, shapes):
    """numpy's subscripts as (one spec per operand, output spec, size of each letter),
    '...' replaced by letters and the implicit output ("ij,jk") made explicit."""
    text = subscripts.replace(" ", "")
    inputs, arrow, out = text.partition("->")
    specs = inputs.split(",")
    if len(specs) != len(shapes):
        raise ValueError(f"einsum: subscripts {subscripts!r} name {len(specs)} operands, "
                         f"got {len(shapes)}")
    used = set(text) - set(".,->")
    if any(c not in _LETTERS for c in used):
        raise ValueError(f"einsum: subscripts {subscripts!r} may hold only letters, ',', "
                         "'->' and '...'")
    spare = [c for c in _LETTERS if c not in used]
    ellipsis_ndim = 0
    for spec, shape in zip(specs, shapes):
        if "..." in spec:
            ellipsis_ndim = max(ellipsis_ndim, len(shape) - len(spec.replace("...", "")))
    batch = "".join(spare[:ellipsis_ndim])
    explicit, sizes = [], {}
    for spec, shape in zip(specs, shapes):
        if "..." in spec:
            own = len(shape) - len(spec.replace("...", ""))
            spec = spec.replace("...", batch[ellipsis_ndim - own:] if own else "")
        if len(spec) != len(shape):
            raise ValueError(f"einsum: subscripts {subscripts!r}: operand of shape {shape} "
                             f"needs {len(shape)} letters, '{spec}' has {len(spec)}")
        for c, n in zip(spec, shape):
            if sizes.get(c, 1) != 1 and n != 1 and sizes[c] != n:
                raise ValueError(f"einsum: subscripts {subscripts!r}: letter '{c}' has "
                                 f"sizes {sizes[c]} and {n} in shapes {shapes}")
            sizes[c] = n if sizes.get(c, 1) == 1 else sizes[c]
        explicit.append(spec)
    if arrow:
        out = out.replace("...", batch)
        if len(set(out)) != len(out) or not set(out) <= set(sizes):
            raise ValueError(f"einsum: output '{out}' of {subscripts!r} repeats a letter or "
                             "names one no operand has")
    else:  # numpy's implicit output: the letters seen once, sorted, after the ellipsis
        counts = "".join(s.replace("...", "") for s in specs)
        out = batch + "".join(sorted(c for c in set(counts) if counts.count(c) == 1))
    return explicit, out, sizes


def tensordot(x, y, axes=2):
    """Σ over the last `axes` axes of x and the first of y, or over the axes named by a
    pair of lists (numpy's tensordot), as one einsum."""
    if isinstance(axes, (int, np.integer)):
        axes_x, axes_y = list(range(x.ndim - axes, x.ndim)), list(range(axes))
    else:
        axes_x, axes_y = ([a] if np.ndim(a) == 0 else list(a) for a in axes)
    axes_x = [a % max(x.ndim, 1) for a in axes_x]
    axes_y = [a % max(y.ndim, 1) for a in axes_y]
    if len(axes_x) != len(axes_y) or any(
            a >= x.ndim or b >= y.ndim or x.shape[a] != y.shape[b]
            for a, b in zip(axes_x, axes_y)):
        raise ValueError(f"tensordot: axes {axes} do not pair equal sizes of shapes "
                         f"{x.shape} and {y.shape}")
    spec_x = list(_LETTERS[:x.ndim])
    spec_y = list(_LETTERS[x.ndim:x.ndim + y.ndim])
    for a, b in zip(axes_x, axes_y):
        spec_y[b] = spec_x[a]
    out = [c for i, c in enumerate(spec_x) if i not in axes_x]
    out += [c for i, c in enumerate(spec_y) if i not in axes_y]
    return Einsum.of("".join(spec_x) + "," + "".join(spec_y) + "->" + "".join(out), x, y)
