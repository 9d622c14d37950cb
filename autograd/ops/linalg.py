"""Matrix product with numpy's matmul semantics (batch dimensions broadcast; a 1-d operand
is a vector, promoted to a matrix for the product and demoted after)."""

from __future__ import annotations

import numpy as np

from ..engine import Operator
from ..variable import Variable


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
        """Inner product of two 1-d tensors (matmul for 2-d ones; numpy's dot)."""
        x_ndim, y_ndim = np.ndim(x.data), np.ndim(y.data if isinstance(y, Variable) else y)
        if x_ndim > 2 or y_ndim > 2:
            raise ValueError(
                f"dot: expects 1-d or 2-d tensors, got {x_ndim}-d and {y_ndim}-d; "
                "use matmul (@) for batches"
            )
        return cls.apply(x, y)

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
            # The batch axes (none for a 1-d x) folded into one row axis.
            rows = grad_out.reshape((-1, weight.shape[0]))
            if needs[1]:
                grad_w = rows.T @ x.reshape((-1, weight.shape[1]))
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
