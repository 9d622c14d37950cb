"""Loss functions, each as a function and as a Module, PyTorch's names and conventions.

Every loss takes `reduction`: "mean" (the default: the average over all elements, or
over samples for the classification losses), "sum", or "none" (one loss per element or
per sample). A float target that is a Tensor requiring grad gets its gradient (mse_loss,
binary_cross_entropy, binary_cross_entropy_with_logits, as in PyTorch); class labels are
integers and have none.

The study text's mean squared error is mse_loss: L = (1/N) Σ (ŷᵢ − yᵢ)², whose
gradient (2/N) Σ (ŷᵢ − yᵢ)·xᵢ gives its worked example's ∇L(w) = −30, ∇L(b) = −10.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from autograd import Operator, Tensor, stack
from autograd.engine import Step
from autograd.ops import Abs, Add, Sub
from autograd.ops.reductions import Mean, Sum, softmax_steps

from .activations import as_tensor
from .module import Module

__all__ = [
    "mse_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy",
    "nll_loss", "l2_penalty",
    "MSELoss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss",
]

REDUCTIONS = ("mean", "sum", "none")
LOG_CLAMP = -100.0  # PyTorch's BCELoss bound on each log term: log(0) counts as −100
BCE_EPS = 1e-12  # keeps BCE's gradient (p − y)/(p(1 − p)) finite at p = 0 or 1


# --------------------------------------------------------------------------------------
# Operators: the losses whose stable form needs its own forward and backward


class CrossEntropy(Operator):
    """Cross-entropy of logits x (..., C) against target distributions q (..., C), one
    value per sample (q is the one-hot of the labels, or its label-smoothed form):

        loss = −Σ_c q_c · log softmax(x)_c = logsumexp(x) − Σ_c q_c · x_c
        ∂loss/∂x = softmax(x) − q

    logsumexp is computed after subtracting the row maximum m, so logits of ±1000 are
    fine: with s = Σ_c e^(x_c − m), loss = log s − Σ_c q_c·(x_c − m) (q sums to 1).
    Forward keeps softmax(x) for backward; under create_graph backward recomputes it from
    x with operators and ctx.xp only, so the gradient is itself differentiable.
    """

    name = "cross_entropy"

    @staticmethod
    def forward(ctx, x, target):
        m = x.max(axis=-1, keepdims=True)
        finite = math.isfinite(x.sum())  # one cheap test instead of masks on every call
        if finite:
            shifted = x - m
            softmax = np.exp(shifted)
            s = softmax.sum(axis=-1, keepdims=True)
            softmax /= s
        else:  # rows of ±inf: shift them by 0 for the loss; softmax as x's own formula
            e = np.exp(x - m)
            softmax = e / e.sum(axis=-1, keepdims=True)
            shifted = x - np.where(np.isfinite(m), m, 0)
            s = np.exp(shifted).sum(axis=-1, keepdims=True)
            # where(): a logit of −inf with q = 0 adds 0, not 0·(−inf) = nan
            shifted = np.where(target != 0, shifted, 0)
        ctx.save(x, softmax)
        return np.log(s[..., 0]) - (target * shifted).sum(axis=-1)

    @staticmethod
    def backward(ctx, grad_out):
        x, softmax = ctx.saved
        if type(x) is not np.ndarray:  # create_graph: the softmax as a function of x
            e = ctx.xp.exp(x - x.max(axis=-1, keepdims=True))
            softmax = e / e.sum(axis=-1, keepdims=True)
        return grad_out.reshape(grad_out.shape + (1,)) * (softmax - ctx.params["target"])

    @staticmethod
    def expand(node):
        """log_softmax's primitives, then −Σ_c q_c · log p_c."""
        x, q = np.asarray(node.inputs[0].data), np.asarray(node.params["target"])
        steps = softmax_steps(x, (x.ndim - 1,), "log_softmax")
        with np.errstate(invalid="ignore"):
            weighted = q * np.where(q != 0, steps[-1].value, 0)
        steps[-1] = steps[-1]._replace(name="log p = (x − m) − log Σe")
        return steps + [Step("× q", (5,), "q · log p", weighted),
                        Step("−Σ", (6,), "loss", -weighted.sum(axis=-1))]


class BinaryCrossEntropy(Operator):
    """Binary cross-entropy of probabilities p against targets y in [0, 1]:

        loss = −[y · log p + (1 − y) · log(1 − p)],  each log clamped at ≥ −100
        ∂loss/∂p = (p − y) / max(p(1 − p), 1e−12)
        ∂loss/∂y = log(1 − p) − log p  (with the same clamps)

    The clamps (PyTorch's) make p = 0 or 1 cost 100 instead of inf, with a finite gradient
    for p; y's gradient is then ±100 (the slope of the clamped loss; PyTorch gives ±inf).
    """

    name = "binary_cross_entropy"

    @staticmethod
    def forward(ctx, p, y):
        with np.errstate(divide="ignore"):  # log(0) = −inf, clamped just below
            log_p = np.maximum(np.log(p), LOG_CLAMP)
            log_not_p = np.maximum(np.log1p(-p), LOG_CLAMP)
        ctx.save(p, y)
        return -(y * log_p + (1 - y) * log_not_p)

    @staticmethod
    def backward(ctx, grad_out):
        p, y = ctx.saved
        xp = ctx.xp
        grad_p = grad_out * (p - y) / xp.maximum(p * (1 - p), BCE_EPS)
        if not ctx.needs_input_grad[1]:
            return grad_p, None
        with np.errstate(divide="ignore"):  # log(0) = −inf, clamped as in forward
            log_p = xp.maximum(xp.log(p), LOG_CLAMP)
            log_not_p = xp.maximum(xp.log(1 - p), LOG_CLAMP)
        return grad_p, grad_out * (log_not_p - log_p)


class BinaryCrossEntropyWithLogits(Operator):
    """Binary cross-entropy of σ(x) against y, computed from the logit x without σ:

        loss = max(x, 0) − x·y + log(1 + e^(−|x|))    (= −[y log σ(x) + (1−y) log(1−σ(x))])
        ∂loss/∂x = σ(x) − y,   ∂loss/∂y = −x

    Stable for any x: e^(−|x|) ≤ 1 never overflows, so x = ±100 gives exactly 100 where
    sigmoid-then-log would give log(0).
    """

    name = "binary_cross_entropy_with_logits"

    @staticmethod
    def forward(ctx, x, y):
        ctx.save(x, y)
        return np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x)))

    @staticmethod
    def backward(ctx, grad_out):
        x, y = ctx.saved
        grad_y = -grad_out * x if ctx.needs_input_grad[1] else None
        return grad_out * (ctx.xp.sigmoid(x) - y), grad_y

    @staticmethod
    def expand(node):
        """max(x, 0) − x·y + log(1 + e^(−|x|)), one primitive at a time."""
        x, y = (np.asarray(variable.data) for variable in node.inputs)  # logits, target
        e = np.exp(-np.abs(x))
        relu, xy = np.maximum(x, 0), x * y
        return [Step.of(Abs, ("x",), "|x|", np.abs(x)),
                Step("exp(−·)", (0,), "e^(−|x|)", e),
                Step("log1p", (1,), "log(1 + e^(−|x|))", np.log1p(e)),
                Step("max(·, 0)", ("x",), "max(x, 0)", relu), Step("× y", ("x",), "x · y", xy),
                Step.of(Sub, (3, 4), "max(x, 0) − x · y", relu - xy),
                Step.of(Add, (5, 2), "loss", relu - xy + np.log1p(e))]


# --------------------------------------------------------------------------------------
# Argument checks


def _check_reduction(reduction, where):
    if reduction not in REDUCTIONS:
        raise ValueError(f"{where}: reduction must be 'mean', 'sum' or 'none', "
                         f"got {reduction!r}")
    return reduction


def _reduce(losses, reduction, where):
    _check_reduction(reduction, where)
    if reduction == "none":
        return losses
    # The reduction operator itself: Tensor.mean()'s axis handling is for user axes.
    op = Mean if reduction == "mean" else Sum
    return op.apply(losses, axes=tuple(range(losses.ndim)), keepdims=False)


def _float_target(target, input, where):
    """The target as an operator input: a Tensor that requires grad as it is (its
    gradient is computed), anything else as a constant array in the input's dtype. A
    list of Tensors is stacked into the graph first, so none loses its gradient."""
    if type(target) in (list, tuple) and any(isinstance(t, Tensor) for t in target):
        target = stack(target)
    if isinstance(target, Tensor) and target.requires_grad:
        if target.shape != input.shape:
            _same_shape_target(target, input, where)  # raises with both shapes
        return target
    return _same_shape_target(target, input, where)


def _same_shape_target(target, input, where):
    """The target as a constant array in the input's dtype (float32 stays float32)."""
    if isinstance(target, Tensor):
        target = target.data
    target = np.asarray(target)
    if target.dtype.kind not in "fiub":
        raise TypeError(f"{where}: target has unsupported dtype {target.dtype}")
    if target.shape != input.shape:
        raise ValueError(f"{where}: input has shape {input.shape} but target has shape "
                         f"{target.shape}; they must match (reshape one of them, e.g. "
                         "y.reshape(-1, 1))")
    return target.astype(input.dtype, copy=False)


def _class_labels(target, input, where, check_range=True):
    """Integer labels, one per sample, each in 0..C−1 (TypeError / ValueError /
    IndexError otherwise, naming the shapes or the offending label; the range is left to
    the caller with check_range=False)."""
    if input.ndim == 0:
        raise ValueError(f"{where}: input must have a class axis (..., C), got a 0-d tensor")
    if isinstance(target, Tensor):
        target = target.data
    labels = np.asarray(target)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{where}: target must hold integer class labels, got dtype "
                        f"{labels.dtype}; convert with y.astype(np.int64) (probability "
                        "targets are not supported)")
    expected = input.shape[:-1]
    if labels.shape != expected:
        raise ValueError(f"{where}: input of shape {input.shape} needs a target of shape "
                         f"{expected} (one class label per sample), got {labels.shape}")
    n_classes = input.shape[-1]
    if not check_range:
        return labels
    bad = (labels < 0) | (labels >= n_classes)
    if bad.any():
        position = tuple(int(i) for i in np.argwhere(bad)[0])
        raise IndexError(f"{where}: label {labels[position]} at position {position} is out "
                         f"of range for {n_classes} classes (valid labels: 0..{n_classes - 1})")
    return labels


def _classes_last(x, axis, where):
    """x with its class axis moved to the end (labels then index the other axes in order)."""
    if x.ndim == 0:
        raise ValueError(f"{where}: input must have a class axis, got a 0-d tensor")
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)) \
            or not -x.ndim <= axis < x.ndim:
        raise ValueError(f"{where}: axis {axis!r} is out of range for an input of shape "
                         f"{x.shape}")
    axis = int(axis) % x.ndim
    if axis == x.ndim - 1:
        return x
    return x.transpose(*[i for i in range(x.ndim) if i != axis], axis)


def _as_float_tensor(input, where):
    input = as_tensor(input)
    if input.dtype.kind != "f":
        raise TypeError(f"{where}: input must be floating point, got dtype {input.dtype}")
    return input


# --------------------------------------------------------------------------------------
# Functions


def mse_loss(input, target, reduction: str = "mean") -> Tensor:
    """Mean squared error:  L = (1/N) Σ (inputᵢ − targetᵢ)²  over all N elements;
    ∂L/∂inputᵢ = (2/N)(inputᵢ − targetᵢ). Shapes must match exactly (no broadcasting,
    which would silently compare every prediction with every target)."""
    where = "mse_loss"
    input = _as_float_tensor(input, where)
    diff = input - _float_target(target, input, where)
    return _reduce(diff * diff, reduction, where)


def binary_cross_entropy(input, target, reduction: str = "mean") -> Tensor:
    where = "binary_cross_entropy"
    p = _as_float_tensor(input, where)
    target = _float_target(target, p, where)
    if p.size and (p.data.min() < 0 or p.data.max() > 1 or np.isnan(p.data).any()):
        raise ValueError(f"{where}: input must hold probabilities in [0, 1], got values from "
                         f"{p.data.min()} to {p.data.max()}; for logits use "
                         "binary_cross_entropy_with_logits (BCEWithLogitsLoss)")
    return _reduce(BinaryCrossEntropy.apply(p, target), reduction, where)


binary_cross_entropy.__doc__ = BinaryCrossEntropy.__doc__


def binary_cross_entropy_with_logits(input, target, reduction: str = "mean") -> Tensor:
    where = "binary_cross_entropy_with_logits"
    x = _as_float_tensor(input, where)
    target = _float_target(target, x, where)
    return _reduce(BinaryCrossEntropyWithLogits.apply(x, target), reduction, where)


binary_cross_entropy_with_logits.__doc__ = BinaryCrossEntropyWithLogits.__doc__


def cross_entropy(input, target, reduction: str = "mean", label_smoothing: float = 0.0,
                  axis: int = -1) -> Tensor:
    """Cross-entropy of logits (N, C) — or (C,), or (..., C) — against integer labels (N,)
    in 0..C−1 (one per sample: the input's shape without `axis`). "mean" averages over
    samples. Classes lie on `axis`, the last by default; PyTorch's (N, C, d1, ...) layout
    is axis=1.

    With label_smoothing ε, the target is (1 − ε)·onehot + ε/C (PyTorch's definition).
    Same as nll_loss(log_softmax(input), target), but one operator whose gradient is
    exactly softmax − onehot.
    """
    where = "cross_entropy"
    x = _classes_last(_as_float_tensor(input, where), axis, where)
    labels = _class_labels(target, x, where, check_range=False)
    if type(label_smoothing) is not float or not 0.0 <= label_smoothing <= 1.0:
        _check_label_smoothing(label_smoothing, where)
    q = (labels[..., None] == np.arange(x.shape[-1])).astype(x.dtype)
    if q.sum() != labels.size:  # a label outside 0..C−1 matched no class
        _class_labels(labels, x, where)  # raises, naming it
    if label_smoothing:
        q = (q * (1 - label_smoothing) + label_smoothing / x.shape[-1]).astype(x.dtype,
                                                                               copy=False)
    return _reduce(CrossEntropy.apply(x, target=q), reduction, where)


def _check_label_smoothing(label_smoothing, where):
    if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, numbers.Real) \
            or not 0 <= label_smoothing <= 1:
        raise ValueError(f"{where}: label_smoothing must be in [0, 1], got {label_smoothing!r}")


def nll_loss(input, target, reduction: str = "mean", axis: int = -1) -> Tensor:
    """Negative log-likelihood of log-probabilities (N, C) (e.g. from log_softmax)
    against integer labels (N,):  loss_n = −input[n, target_n];  "mean" averages over
    samples. Its gradient is −1 at each sample's label and 0 elsewhere. Classes lie on
    `axis` (the last by default)."""
    where = "nll_loss"
    logp = _classes_last(_as_float_tensor(input, where), axis, where)
    labels = _class_labels(target, logp, where)
    index = tuple(np.indices(labels.shape)) + (labels,)
    return _reduce(-logp[index], reduction, where)


def l2_penalty(params, lam: float) -> Tensor:
    """The study text's regulariser  s = (λ/2) Σ_W ‖W‖²_F  over the given tensors;
    ∂s/∂W = λ·W, so J = L + s adds λ·W to each gradient (weight decay). Pass the tensors
    to penalise: the text penalises the weight matrices, not the biases."""
    if isinstance(lam, bool) or not isinstance(lam, numbers.Real) or lam < 0:
        raise ValueError(f"l2_penalty: lam must be a number >= 0, got {lam!r}")
    if isinstance(params, Tensor):
        params = [params]
    params = list(params)
    if not params:
        raise ValueError("l2_penalty: got no parameters (an exhausted generator? pass a list)")
    total = None
    for p in params:
        if not isinstance(p, Tensor):
            raise TypeError(f"l2_penalty: expected Tensors, got {type(p).__name__}")
        square = (p**2).sum()  # one use of p: pictures show ‖W‖² as square, then sum
        total = square if total is None else total + square
    return (lam / 2) * total


# --------------------------------------------------------------------------------------
# Modules


class _Loss(Module):
    def __init__(self, reduction: str = "mean"):
        super().__init__()
        self.reduction = _check_reduction(reduction, type(self).__name__)

    def extra_repr(self):
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


class _ClassificationLoss(_Loss):
    def __init__(self, reduction: str = "mean", axis: int = -1):
        super().__init__(reduction)
        self.axis = axis

    def extra_repr(self):
        parts = [super().extra_repr(), "" if self.axis == -1 else f"axis={self.axis}"]
        return ", ".join(p for p in parts if p)


class MSELoss(_Loss):
    __doc__ = mse_loss.__doc__

    def forward(self, input, target):
        return mse_loss(input, target, self.reduction)


class BCELoss(_Loss):
    __doc__ = BinaryCrossEntropy.__doc__

    def forward(self, input, target):
        return binary_cross_entropy(input, target, self.reduction)


class BCEWithLogitsLoss(_Loss):
    __doc__ = BinaryCrossEntropyWithLogits.__doc__

    def forward(self, input, target):
        return binary_cross_entropy_with_logits(input, target, self.reduction)


class CrossEntropyLoss(_ClassificationLoss):
    __doc__ = cross_entropy.__doc__

    def __init__(self, reduction: str = "mean", label_smoothing: float = 0.0, axis: int = -1):
        super().__init__(reduction, axis)
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return cross_entropy(input, target, self.reduction, self.label_smoothing, self.axis)

    def extra_repr(self):
        parts = [super().extra_repr()]
        if self.label_smoothing:
            parts.append(f"label_smoothing={self.label_smoothing}")
        return ", ".join(p for p in parts if p)


class NLLLoss(_ClassificationLoss):
    __doc__ = nll_loss.__doc__

    def forward(self, input, target):
        return nll_loss(input, target, self.reduction, self.axis)
