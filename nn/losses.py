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
from autograd import where as _where
from autograd.engine import Step
from autograd.graph import declared_params
from autograd.ops import Abs, Add, Div, Sub
from autograd.ops.reductions import Mean, Sum, softmax_steps

from .activations import as_tensor
from .module import Module

__all__ = [
    "mse_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy",
    "nll_loss", "l2_penalty", "l1_loss", "smooth_l1_loss", "huber_loss", "kl_div",
    "MSELoss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss",
    "L1Loss", "SmoothL1Loss", "HuberLoss", "KLDivLoss",
]

REDUCTIONS = ("mean", "sum", "none")
LOG_CLAMP = -100.0  # PyTorch's BCELoss bound on each log term: log(0) counts as −100
BCE_EPS = 1e-12  # keeps BCE's gradient (p − y)/(p(1 − p)) finite at p = 0 or 1


# --------------------------------------------------------------------------------------
# Operators: the losses whose stable form needs its own forward and backward


class CrossEntropy(Operator):
    """Cross-entropy of logits x (..., C) against integer class labels y (...), reduced,
    in one node (as PyTorch's nll_loss). With r_c = logsumexp(x) − x_c = −log softmax(x)_c,
    class weights w (default 1) and label smoothing ε, sample n costs

        l_n = (1 − ε)·w_y·r_y + ε·(1/C)·Σ_c w_c·r_c       (ε = 0: w_y·(logsumexp(x) − x_y))

    and 0 when y = ignore_index. out = l ("none"), Σ_n l_n ("sum") or Σ_n l_n / Σ_n a_n
    ("mean"), a_n = w_y the sample's weight, 0 when ignored (PyTorch's rule; 0/0 = nan).
    With p = softmax(x), w̄ = Σ_c w_c / C and g_n the upstream gradient of sample n
    (grad_out; grad_out / Σ a for "mean"; 0 when ignored, as in PyTorch even when Σ a = 0):

        ∂out/∂x_n = g_n·[(1 − ε)·w_y·(p − onehot(y)) + ε·(w̄·p − w/C)]
        ∂out/∂w_c = Σ_n g_n·([y = c]·((1 − ε)·r_y − out·[mean]) + ε·r_c/C)

    The one-hot is never built: its term is a scatter_add at the labels. logsumexp is
    taken after subtracting the row maximum, so logits of ±1000 are fine. Forward keeps
    softmax(x) for backward; under create_graph backward recomputes it from x with
    operators and ctx.xp only, so the gradient is itself differentiable (in the class
    weights too, which PyTorch does not differentiate).
    """

    name = "cross_entropy"

    @staticmethod
    def forward(ctx, x, weight=None, *, target, reduction="mean", label_smoothing=0.0,
                ignore_index=-100):
        keep, safe = _labels_and_mask(target, x, ignore_index, "cross_entropy")
        index = _label_index(safe)
        m = x.max(axis=-1, keepdims=True)
        if math.isfinite(x.sum()):  # one cheap test instead of masks on every call
            shifted = x - m
            softmax = np.exp(shifted)
            s = softmax.sum(axis=-1, keepdims=True)
            softmax /= s
        else:  # rows of ±inf: shift them by 0 for the loss; softmax as x's own formula
            e = np.exp(x - m)
            softmax = e / e.sum(axis=-1, keepdims=True)
            shifted = x - np.where(np.isfinite(m), m, 0)
            s = np.exp(shifted).sum(axis=-1, keepdims=True)
        log_s = np.log(s[..., 0])
        losses = log_s - shifted[index]
        if weight is not None:
            losses = losses * weight[safe]
        if label_smoothing:
            if weight is None:  # (1/C)·Σ_c w_c·r_c with r_c = log s − (x_c − m)
                spread = log_s - shifted.mean(axis=-1)
            else:
                spread = (log_s * weight.sum() - shifted @ weight) / x.shape[-1]
            losses = (1 - label_smoothing) * losses + label_smoothing * spread
        if keep is not None:  # where(), not a product: an ignored row may hold ±inf
            losses = np.where(keep, losses, 0)
        out = _reduced(losses, _sample_weights(weight, safe, keep), reduction)
        ctx.save(x, weight, softmax, index, keep, out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        x, weight, softmax, index, keep, out = ctx.saved
        xp, options = ctx.xp, _options(ctx.params)
        reduction, smoothing = options["reduction"], options["label_smoothing"]
        safe, n_classes = index[-1], x.shape[-1]
        if type(x) is not np.ndarray:  # create_graph: the softmax as a function of x
            softmax = xp.exp(_log_softmax(xp, x))
        g = grad_out  # per sample, or one number for all ("sum", "mean"): it broadcasts
        if reduction == "mean":
            g = _divided(g, _total(_sample_weights(weight, safe, keep), safe.size))
        if keep is not None:  # an ignored sample passes back 0, even when the total is 0
            g = xp.where(keep, g, 0.0)
        label = g if weight is None else g * weight[safe]
        if smoothing:
            label = (1 - smoothing) * label
        grad_x = _column(label) * softmax - xp.scatter_add(label, index, softmax.shape)
        if smoothing:  # the uniform part ε·(1/C)·Σ_c w_c·r_c
            if weight is None:
                uniform = softmax - 1 / n_classes
            else:
                uniform = softmax * (weight.sum() / n_classes) - weight / n_classes
            grad_x = grad_x + _column(smoothing * g) * uniform
        if weight is None:
            return grad_x
        if not ctx.needs_input_grad[1]:
            return grad_x, None
        r = -_log_softmax(xp, x)
        picked = (1 - smoothing) * r[index]
        grad_w = xp.scatter_add(g * (picked - out if reduction == "mean" else picked),
                                (safe,), weight.shape)
        if smoothing:
            grad_w = grad_w + (_column(g) * r).reshape(-1, n_classes).sum(axis=0) * (
                smoothing / n_classes)
        return grad_x, grad_w

    @staticmethod
    def onnx(node, g):
        """SoftmaxCrossEntropyLoss (reduction, ignore_index, weights; smoothing: + ε·mean(−w·log p))

        With label smoothing, SoftmaxCrossEntropyLoss gives the per-sample label term and
        LogSoftmax the uniform one, reduced as the operator does (÷ Σ w_y for "mean")."""
        options = _options(g.params)
        reduction, smoothing = options["reduction"], options["label_smoothing"]
        ignore_index = int(options["ignore_index"])
        found = g.input_for("target")
        labels = found if found is not None else g.constant(
            np.asarray(options["target"]), np.int64)
        x, rank = g.input(0), len(g.shape(0))
        if rank == 1:  # one unbatched sample: a batch of one
            x, labels = g.op("Unsqueeze", x, g.ints([0])), g.op("Unsqueeze", labels,
                                                                 g.ints([0]))
        elif rank > 2:  # classes last here, on axis 1 for ONNX
            x = g.op("Transpose", x, perm=[0, rank - 1] + list(range(1, rank - 1)))
        weight = g.input(1) if g.n_inputs > 1 else None
        scores = (x, labels) if weight is None else (x, labels, weight)
        if not smoothing:
            loss = g.op("SoftmaxCrossEntropyLoss", *scores, reduction=reduction,
                        ignore_index=ignore_index)
            return g.op("Squeeze", loss, g.ints([0])) if rank == 1 and \
                reduction == "none" else loss
        label_loss = g.op("SoftmaxCrossEntropyLoss", *scores, reduction="none",
                          ignore_index=ignore_index)
        counted = g.op("Not", g.op("Equal", labels, g.constant(ignore_index, np.int64)))
        log_p = g.op("LogSoftmax", x, axis=1)
        n_classes = g.shape(0)[-1]
        if weight is not None:
            shape = [1, n_classes] + [1] * (max(rank, 2) - 2)
            log_p = g.op("Mul", log_p, g.op("Reshape", weight, g.ints(shape)))
        uniform = g.op("Where", counted, g.op("Neg", g.reduce("ReduceSum", log_p, (1,), False)),
                       g.constant(0.0))
        losses = g.op("Add", g.op("Mul", label_loss, g.constant(1 - smoothing)),
                      g.op("Mul", uniform, g.constant(smoothing / n_classes)))
        if reduction == "none":
            return g.op("Squeeze", losses, g.ints([0])) if rank == 1 else losses
        total = g.reduce("ReduceSum", losses, None, False)
        if reduction == "sum":
            return total
        safe = g.op("Where", counted, labels, g.constant(0, np.int64))
        weights = g.op("Where", counted, g.constant(1.0) if weight is None else
                       g.op("Gather", weight, safe), g.constant(0.0))
        return g.op("Div", total, g.reduce("ReduceSum", weights, None, False))

    @staticmethod
    def expand(node):
        """log_softmax's primitives, −log p at the labels (weighted, smoothed, the ignored
        samples zeroed), then the reduction."""
        x = np.asarray(node.inputs[0].data)
        weight = np.asarray(node.inputs[1].data) if len(node.inputs) > 1 else None
        options = _options(node.params)
        smoothing, reduction = options["label_smoothing"], options["reduction"]
        keep, safe = _labels_and_mask(options["target"], x, options["ignore_index"],
                                      "cross_entropy")
        steps = softmax_steps(x, (x.ndim - 1,), "log_softmax")
        steps[-1] = steps[-1]._replace(name="log p = (x − m) − log Σe")
        log_p = steps[-1].value
        with np.errstate(invalid="ignore"):
            r = -log_p[_label_index(safe)]
            steps.append(Step("−(·)[y]", (5,), "r_y = −log p[y]", r))
            if weight is not None:
                r = r * weight[safe]
                steps.append(Step("× w[y]", (len(steps) - 1,), "w_y · r_y", r))
            if smoothing:
                w = 1.0 if weight is None else weight
                spread = -(log_p * w).mean(axis=-1)
                steps.append(Step("−mean w·", (5,), "(1/C) Σ w_c r_c", spread))
                r = (1 - smoothing) * r + smoothing * spread
                steps.append(Step(f"lerp {smoothing:g}", (len(steps) - 2, len(steps) - 1),
                                  "l = (1 − ε)·… + ε·…", r))
            if keep is not None:
                r = np.where(keep, r, 0)
                steps.append(Step("where", (len(steps) - 1,), "l (0 where y = ignore)", r))
        a, last = _sample_weights(weight, safe, keep), len(steps) - 1
        if reduction == "none":
            return steps[:-1] + [steps[-1]._replace(name="loss")]
        if reduction == "sum":
            return steps + [Step.of(Sum, (last,), "loss = Σ l", r.sum())]
        if a is None:
            return steps + [Step.of(Mean, (last,), "loss = mean l", _reduced(r, a, "mean"))]
        return steps + [Step.of(Sum, (last,), "Σ l", r.sum()),
                        Step.of(Div, (last + 1,), "loss = Σ l / Σ w_y", _reduced(r, a, "mean"))]


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

    @staticmethod
    def onnx(node, g):
        """Log, Max, Sub, Mul, Add, Neg (the clamps at −100 kept)"""
        p, y = g.input(0, g.out_dtype), g.input(1, g.out_dtype)
        one, clamp = g.constant(1.0), g.constant(LOG_CLAMP)
        log_p = g.op("Max", g.op("Log", p), clamp)
        log_not_p = g.op("Max", g.op("Log", g.op("Sub", one, p)), clamp)
        total = g.op("Add", g.op("Mul", y, log_p), g.op("Mul", g.op("Sub", one, y), log_not_p))
        return g.op("Neg", total)


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
    def onnx(node, g):
        """Relu, Mul, Sub, Abs, Neg, Exp, Add, Log (the stable form)"""
        x, y = g.input(0, g.out_dtype), g.input(1, g.out_dtype)
        tail = g.op("Log", g.op("Add", g.constant(1.0),
                                g.op("Exp", g.op("Neg", g.op("Abs", x)))))
        return g.op("Add", g.op("Sub", g.op("Relu", x), g.op("Mul", x, y)), tail)

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


def _reduce(losses, reduction, where, denominator=None):
    """losses summed, averaged, or as they are; a weighted class loss's "mean" divides the
    sum by `denominator` (the total weight of the counted samples), as PyTorch does."""
    _check_reduction(reduction, where)
    if reduction == "none":
        return losses
    # The reduction operator itself: Tensor.mean()'s axis handling is for user axes.
    op = Sum if reduction == "sum" or denominator is not None else Mean
    total = op.apply(losses, axes=tuple(range(losses.ndim)), keepdims=False)
    return total if reduction == "sum" or denominator is None else total / denominator


def _no_legacy_reduction(size_average, reduce, where):
    """PyTorch's deprecated size_average / reduce arguments: refused, naming reduction=."""
    if size_average is not None or reduce is not None:
        raise TypeError(f"{where}: size_average and reduce are deprecated in PyTorch and not "
                        "supported; use reduction='mean', 'sum' or 'none'")


def _as_weight(weight, input, where, name="weight"):
    """A weight as an operand: a Tensor as it is (its gradient is computed when it requires
    grad), anything else as a constant array in the input's dtype."""
    if isinstance(weight, Tensor):
        return weight
    if isinstance(weight, str):  # reduction passed positionally where PyTorch has weight
        raise TypeError(f"{where}: {name} must be a tensor, got the string {weight!r}; pass "
                        f"reduction={weight!r} by keyword")
    weight = np.asarray(weight)
    if weight.dtype.kind not in "fiub":
        raise TypeError(f"{where}: {name} has unsupported dtype {weight.dtype}")
    return weight.astype(input.dtype, copy=False)


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


def _class_labels(target, input, where):
    """Integer labels, one per sample (TypeError / ValueError naming the shapes; their
    range is checked by _check_label_range)."""
    if input.ndim == 0:
        raise ValueError(f"{where}: input must have a class axis (..., C), got a 0-d tensor")
    if isinstance(target, Tensor):
        target = target.data
    labels = np.asarray(target)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{where}: target must hold integer class labels, got dtype "
                        f"{labels.dtype}; convert with y.astype(np.int64) (cross_entropy "
                        "also takes class probabilities of the input's shape)")
    expected = input.shape[:-1]
    if labels.shape != expected:
        raise ValueError(f"{where}: input of shape {input.shape} needs a target of shape "
                         f"{expected} (one class label per sample), got {labels.shape}")
    return labels


# Seen as unsigned, a negative label is ≥ 2⁶³: one comparison tests both ends.
_UNSIGNED = {np.dtype(f"i{size}"): np.dtype(f"u{size}") for size in (1, 2, 4, 8)}


def _out_of_range(labels, n_classes):
    """The mask of labels outside 0..C−1."""
    unsigned = _UNSIGNED.get(labels.dtype)
    if unsigned is None:  # unsigned already, or a non-native byte order
        unsigned = labels.dtype.str.replace("i", "u")
    return labels.view(unsigned) >= n_classes


def _check_label_range(labels, n_classes, where):
    """IndexError naming the first label outside 0..C−1."""
    bad = _out_of_range(labels, n_classes)
    if bad.any():
        position = tuple(int(i) for i in np.argwhere(bad)[0])
        raise IndexError(f"{where}: label {labels[position]} at position {position} is out "
                         f"of range for {n_classes} classes (valid labels: 0..{n_classes - 1})")


def _classes_last(x, axis, where):
    """x with its class axis moved to the end (labels then index the other axes in order).
    axis=None is PyTorch's layout: (C,), (N, C) or (N, C, d1, ...), classes on axis 1."""
    if x.ndim == 0:
        raise ValueError(f"{where}: input must have a class axis, got a 0-d tensor")
    if axis is None:
        if x.ndim <= 2:  # (C,) or (N, C): the classes are already last
            return x
        axis = 1
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


def _weighted(losses, weight, input, where):
    """Elementwise losses times weight (of the input's shape, as PyTorch requires), when
    one is given."""
    if weight is None:
        return losses
    weight = _as_weight(weight, input, where)
    if weight.shape != input.shape:
        raise ValueError(f"{where}: weight must have the input's shape {input.shape}, got "
                         f"{weight.shape}")
    return losses * weight


def _weight_total(weight):
    """The "mean" denominator of a weighted mse_loss or l1_loss: Σ weight (PyTorch's; its
    huber_loss averages over elements instead)."""
    if weight is None:
        return None
    return weight.sum() if isinstance(weight, Tensor) else float(np.sum(weight))


def mse_loss(input, target, reduction: str = "mean", weight=None) -> Tensor:
    """Mean squared error:  L = (1/N) Σ (inputᵢ − targetᵢ)²  over all N elements;
    ∂L/∂inputᵢ = (2/N)(inputᵢ − targetᵢ). Shapes must match exactly (no broadcasting,
    which would silently compare every prediction with every target). With weight w:
    Σ wᵢ(inputᵢ − targetᵢ)² / Σ wᵢ (PyTorch's weighted mean)."""
    where = "mse_loss"
    input = _as_float_tensor(input, where)
    diff = input - _float_target(target, input, where)
    return _reduce(_weighted(diff * diff, weight, input, where), reduction, where,
                   _weight_total(weight))


def l1_loss(input, target, reduction: str = "mean", weight=None) -> Tensor:
    """Mean absolute error:  L = (1/N) Σ |inputᵢ − targetᵢ|;  ∂L/∂inputᵢ = sign(inputᵢ −
    targetᵢ)/N (0 where they are equal, PyTorch's subgradient)."""
    where = "l1_loss"
    input = _as_float_tensor(input, where)
    losses = (input - _float_target(target, input, where)).abs()
    return _reduce(_weighted(losses, weight, input, where), reduction, where,
                   _weight_total(weight))


def _huber(input, target, delta, reduction, where, weight=None):
    """Huber's loss of d = input − target: ½d² for |d| < δ, δ(|d| − ½δ) beyond, written
    as c·(|d| − ½c) with c = min(|d|, δ), which is both pieces and has no mask."""
    input = _as_float_tensor(input, where)
    size = (input - _float_target(target, input, where)).abs()
    clipped = size.minimum(delta)
    losses = clipped * (size - 0.5 * clipped)
    return _reduce(_weighted(losses, weight, input, where), reduction, where)


def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0,
               weight=None) -> Tensor:
    """Huber loss: ½d² where |d| < delta, delta·(|d| − ½delta) beyond (d = input −
    target): squared near the target, linear (outlier-robust) far from it."""
    if isinstance(delta, bool) or not isinstance(delta, numbers.Real) or not delta > 0:
        raise ValueError(f"huber_loss: delta must be a number > 0, got {delta!r}")
    return _huber(input, target, float(delta), reduction, "huber_loss", weight)


def smooth_l1_loss(input, target, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """Smooth L1: ½d²/beta where |d| < beta, |d| − ½beta beyond (= huber_loss / beta);
    beta = 0 is l1_loss."""
    where = "smooth_l1_loss"
    if isinstance(beta, bool) or not isinstance(beta, numbers.Real) or not beta >= 0:
        raise ValueError(f"{where}: beta must be a number >= 0, got {beta!r}")
    if beta == 0:
        input = _as_float_tensor(input, where)
        return _reduce((input - _float_target(target, input, where)).abs(), reduction, where)
    losses = _huber(input, target, float(beta), "none", where) * (1 / beta)
    return _reduce(losses, reduction, where)


def kl_div(input, target, reduction: str = "mean", log_target: bool = False) -> Tensor:
    """Kullback–Leibler divergence of the target distribution from the input's, the input
    given as log-probabilities (PyTorch's convention):  loss = t·(log t − input), 0 where
    t = 0;  with log_target=True the target is log t too:  loss = e^t·(t − input).
    reduction="batchmean" divides the sum by the batch size (the true KL per sample);
    "mean" averages over all elements, as PyTorch does."""
    where = "kl_div"
    input = _as_float_tensor(input, where)
    target = _float_target(target, input, where)
    target = target if isinstance(target, Tensor) else Tensor(target)
    if log_target:
        losses = target.exp() * (target - input)
    else:  # t·log t with the log taken of 1 where t = 0, so 0·log 0 counts as 0
        positive = target.data > 0
        losses = target * (_where(positive, target, 1.0).log() - input)
    if reduction == "batchmean":
        batch = input.shape[0] if input.ndim else 1
        # an empty batch gives 0/0 = nan, as in PyTorch, without numpy's warning
        return _reduce(losses, "sum", where) * (1 / batch if batch else np.nan)
    return _reduce(losses, reduction, where)


def binary_cross_entropy(input, target, reduction: str = "mean", weight=None) -> Tensor:
    where = "binary_cross_entropy"
    p = _as_float_tensor(input, where)
    target = _float_target(target, p, where)
    if p.size and (p.data.min() < 0 or p.data.max() > 1 or np.isnan(p.data).any()):
        raise ValueError(f"{where}: input must hold probabilities in [0, 1], got values from "
                         f"{p.data.min()} to {p.data.max()}; for logits use "
                         "binary_cross_entropy_with_logits (BCEWithLogitsLoss)")
    losses = BinaryCrossEntropy.apply(p, target)
    if weight is not None:
        losses = losses * _as_weight(weight, p, where)
    return _reduce(losses, reduction, where)


binary_cross_entropy.__doc__ = BinaryCrossEntropy.__doc__ + """
    weight (broadcast against the input) multiplies each element's loss."""


def binary_cross_entropy_with_logits(input, target, reduction: str = "mean", weight=None,
                                     pos_weight=None) -> Tensor:
    where = "binary_cross_entropy_with_logits"
    x = _as_float_tensor(input, where)
    target = _float_target(target, x, where)
    if pos_weight is None:
        losses = BinaryCrossEntropyWithLogits.apply(x, target)
    else:  # (1 − y)·x + (1 + (w₊ − 1)·y)·softplus(−x): stable, as softplus is
        y = target if isinstance(target, Tensor) else Tensor(target)
        pos = _as_weight(pos_weight, x, where, "pos_weight")
        pos = pos if isinstance(pos, Tensor) else Tensor(pos)
        losses = x * (1 - y) + (1 + (pos - 1) * y) * (-x).softplus()
    if weight is not None:
        losses = losses * _as_weight(weight, x, where)
    return _reduce(losses, reduction, where)


binary_cross_entropy_with_logits.__doc__ = BinaryCrossEntropyWithLogits.__doc__ + """
    weight multiplies each element's loss; pos_weight (one per class, on the last axis)
    multiplies the positive term y·log σ(x), PyTorch's way to rebalance rare positives."""


def _labels_and_mask(target, x, ignore_index, where):
    """Integer labels (classes last), the mask of counted samples (None when every sample
    counts), and the labels with ignored ones replaced by 0 (so they can index)."""
    labels = _class_labels(target, x, where)
    n_classes = x.shape[-1]
    # The usual case in one test: every label is a class and ignore_index is none of them.
    if not 0 <= ignore_index < n_classes and not _out_of_range(labels, n_classes).any():
        return None, labels
    keep = labels != ignore_index
    counts_all = keep.all()
    safe = labels if counts_all else np.where(keep, labels, 0)
    _check_label_range(safe, n_classes, where)
    return (None if counts_all else keep), safe


def _options(params) -> dict:
    """A cross_entropy node's parameters, with forward's defaults for those not given."""
    return {**declared_params(CrossEntropy), **params}


def _label_index(labels) -> tuple:
    """The index that picks each sample's label from an array (..., C) whose leading
    axes have the labels' shape."""
    return tuple(np.indices(labels.shape, sparse=True)) + (labels,)


def _column(values):
    """values (...) as (..., 1), to scale each sample's row of C; one number (the upstream
    gradient of a "sum" or "mean") broadcasts as it is."""
    return values if values.ndim == 0 else values.reshape(values.shape + (1,))


def _log_softmax(xp, x):
    """log softmax(x) along the last axis, with operators and xp (for create_graph)."""
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=-1, keepdims=True))


def _sample_weights(weight, labels, keep):
    """a_n, what sample n counts for in a "mean": its label's class weight (1 without
    weights), 0 when ignored; None when every sample counts 1. On arrays or Tensors."""
    if weight is None:
        return keep
    a = weight[labels]
    return a if keep is None else a * keep


def _total(weights, count):
    """Σ_n a_n: `count` samples when weights is None, the counted ones of a mask."""
    if weights is None:
        return int(count)
    return np.count_nonzero(weights) if weights.dtype == bool else weights.sum()


def _divided(value, total):
    """value / total; a total of 0 (nothing counted) gives nan, PyTorch's answer, without
    numpy's warning."""
    if isinstance(total, Tensor) or total:
        return value / total
    return value * np.nan


def _reduced(losses, weights, reduction):
    """Per-sample losses of a class-label loss (cross_entropy, nll_loss), arrays or Tensors,
    reduced: as they are ("none"), Σ_n l_n ("sum"), or Σ_n l_n / Σ_n a_n ("mean", a_n
    the sample weights of _sample_weights: PyTorch's rule)."""
    if reduction == "none":
        return losses
    total = losses.sum()
    return total if reduction == "sum" else _divided(total, _total(weights, losses.size))


def cross_entropy(input, target, reduction: str = "mean", label_smoothing: float = 0.0,
                  axis=None, weight=None, ignore_index: int = -100) -> Tensor:
    """Cross-entropy of logits against integer class labels or class probabilities, in
    PyTorch's layouts: logits (C,), (N, C) or (N, C, d1, ...) with labels (), (N,) or
    (N, d1, ...) — classes on axis 1 (`axis` moves them elsewhere, e.g. axis=-1) — or
    float probability targets of the logits' own shape.

        loss_n = −Σ_c w_c · q_nc · log softmax(x_n)_c

    q is the one-hot of the label, or the given probabilities; with label_smoothing ε it
    is (1 − ε)·q + ε/C. weight w (one per class, default 1) rescales classes; samples whose
    label is ignore_index cost 0 and are not counted. "mean" divides by the number of
    counted samples, or by Σ w_label over them when weight is given (PyTorch's rule).

    Against labels this is one operator node, the reduction included (CrossEntropy, whose
    docstring has the gradients). Probability targets are log_softmax, products and a
    sum: such a target is an input with a gradient of its own, and PyTorch's "mean" for
    it divides by the number of samples whatever the weights, a rule of its own.
    """
    where = "cross_entropy"
    x = _classes_last(_as_float_tensor(input, where), axis, where)
    if type(label_smoothing) is not float or not 0.0 <= label_smoothing <= 1.0:
        _check_label_smoothing(label_smoothing, where)
    n_classes = x.shape[-1]
    w = None if weight is None else _class_weight(weight, x, where)
    labels = target.data if isinstance(target, Tensor) else np.asarray(target)
    if labels.dtype.kind == "f":  # class probabilities
        if not isinstance(target, Tensor) or not target.requires_grad:
            target = Tensor(np.asarray(labels, dtype=x.dtype))
        if target.ndim != x.ndim:
            raise TypeError(f"{where}: target must hold integer class labels, got dtype "
                            f"{target.dtype} of shape {target.shape}; convert labels with "
                            "y.astype(np.int64), or give class probabilities of the input's "
                            f"shape {tuple(np.shape(input))}")
        q = _classes_last(target, axis, where)
        if q.shape != x.shape:
            raise ValueError(f"{where}: probability targets must have the input's shape "
                             f"{tuple(np.shape(input))}, got {target.shape}")
        if label_smoothing:
            q = q * (1 - label_smoothing) + label_smoothing / n_classes
        if w is not None:
            q = q * w
        return _reduce(-(q * x.log_softmax(-1)).sum(-1), reduction, where)
    _check_reduction(reduction, where)
    return CrossEntropy.apply(x, *(() if w is None else (w,)), target=labels,
                              reduction=reduction, label_smoothing=float(label_smoothing),
                              ignore_index=ignore_index)


def _class_weight(weight, x, where):
    """A class weight (one per class) as an operand (see _as_weight)."""
    w = _as_weight(weight, x, where)
    if w.shape != (x.shape[-1],):
        raise ValueError(f"{where}: weight must have one entry per class, shape "
                         f"({x.shape[-1]},), got {w.shape}")
    return w


def _check_label_smoothing(label_smoothing, where):
    if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, numbers.Real) \
            or not 0 <= label_smoothing <= 1:
        raise ValueError(f"{where}: label_smoothing must be in [0, 1], got {label_smoothing!r}")


def nll_loss(input, target, reduction: str = "mean", axis=None, weight=None,
             ignore_index: int = -100) -> Tensor:
    """Negative log-likelihood of log-probabilities (N, C) (e.g. from log_softmax)
    against integer labels (N,):  loss_n = −w_label · input[n, target_n];  "mean" divides
    by Σ w_label over the counted samples (samples labelled ignore_index cost 0 and are not
    counted). Its gradient is −w_label at each sample's label and 0 elsewhere. Layouts as
    cross_entropy: classes on axis 1 of (N, C, d1, ...)."""
    where = "nll_loss"
    logp = _classes_last(_as_float_tensor(input, where), axis, where)
    _check_reduction(reduction, where)
    keep, safe = _labels_and_mask(target, logp, ignore_index, where)
    losses = -logp[_label_index(safe)]
    w = None if weight is None else _class_weight(weight, logp, where)
    if w is not None:
        losses = losses * w[safe]
    if keep is not None:
        losses = _where(keep, losses, 0.0)
    return _reduced(losses, _sample_weights(w, safe, keep), reduction)


def l2_penalty(params, lam: float) -> Tensor:
    """The study text's regulariser  s = (λ/2) Σ_W ‖W‖²_F  over the given tensors;
    ∂s/∂W = λ·W, so J = L + s adds λ·W to each gradient (weight decay). Pass the tensors
    to penalise: the text penalises the weight matrices, not the biases."""
    if isinstance(lam, bool) or not isinstance(lam, numbers.Real) or not 0 <= lam < math.inf:
        raise ValueError(f"l2_penalty: lam must be a number >= 0 and finite, got {lam!r}")
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


class _WeightedLoss(_Loss):
    """PyTorch's constructor order for the weighted losses: weight first, then the
    deprecated size_average/reduce (refused), then reduction."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction: str = "mean"):
        if isinstance(weight, str):
            raise TypeError(f"{type(self).__name__}: weight must be a tensor, got the string "
                            f"{weight!r}; pass reduction={weight!r} by keyword")
        _no_legacy_reduction(size_average, reduce, type(self).__name__)
        super().__init__(reduction)
        self.weight = weight

    def extra_repr(self):
        parts = [super().extra_repr(), "" if self.weight is None else "weight=..."]
        return ", ".join(p for p in parts if p)


class _ClassificationLoss(_WeightedLoss):
    def __init__(self, weight=None, size_average=None, ignore_index: int = -100,
                 reduce=None, reduction: str = "mean", axis=None):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.axis = axis

    def extra_repr(self):
        parts = [super().extra_repr(), "" if self.axis is None else f"axis={self.axis}",
                 "" if self.ignore_index == -100 else f"ignore_index={self.ignore_index}"]
        return ", ".join(p for p in parts if p)


class MSELoss(_Loss):
    __doc__ = mse_loss.__doc__

    def forward(self, input, target):
        return mse_loss(input, target, self.reduction)


class L1Loss(_Loss):
    __doc__ = l1_loss.__doc__

    def forward(self, input, target):
        return l1_loss(input, target, self.reduction)


class SmoothL1Loss(_Loss):
    __doc__ = smooth_l1_loss.__doc__

    def __init__(self, reduction: str = "mean", beta: float = 1.0):
        super().__init__(reduction)
        self.beta = beta

    def forward(self, input, target):
        return smooth_l1_loss(input, target, self.reduction, self.beta)


class HuberLoss(_Loss):
    __doc__ = huber_loss.__doc__

    def __init__(self, reduction: str = "mean", delta: float = 1.0):
        super().__init__(reduction)
        self.delta = delta

    def forward(self, input, target):
        return huber_loss(input, target, self.reduction, self.delta)


class KLDivLoss(Module):
    __doc__ = kl_div.__doc__

    def __init__(self, reduction: str = "mean", log_target: bool = False):
        super().__init__()
        if reduction != "batchmean":
            _check_reduction(reduction, "KLDivLoss")
        self.reduction, self.log_target = reduction, bool(log_target)

    def forward(self, input, target):
        return kl_div(input, target, self.reduction, self.log_target)


class BCELoss(_WeightedLoss):
    __doc__ = binary_cross_entropy.__doc__

    def forward(self, input, target):
        return binary_cross_entropy(input, target, self.reduction, self.weight)


class BCEWithLogitsLoss(_WeightedLoss):
    __doc__ = binary_cross_entropy_with_logits.__doc__

    def __init__(self, weight=None, size_average=None, reduce=None, reduction: str = "mean",
                 pos_weight=None):
        super().__init__(weight, size_average, reduce, reduction)
        self.pos_weight = pos_weight

    def forward(self, input, target):
        return binary_cross_entropy_with_logits(input, target, self.reduction, self.weight,
                                                self.pos_weight)


class CrossEntropyLoss(_ClassificationLoss):
    __doc__ = cross_entropy.__doc__

    def __init__(self, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
                 reduction: str = "mean", label_smoothing: float = 0.0, axis=None):
        super().__init__(weight, size_average, ignore_index, reduce, reduction, axis)
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return cross_entropy(input, target, self.reduction, self.label_smoothing, self.axis,
                             self.weight, self.ignore_index)

    def extra_repr(self):
        parts = [super().extra_repr()]
        if self.label_smoothing:
            parts.append(f"label_smoothing={self.label_smoothing}")
        return ", ".join(p for p in parts if p)


class NLLLoss(_ClassificationLoss):
    __doc__ = nll_loss.__doc__

    def forward(self, input, target):
        return nll_loss(input, target, self.reduction, self.axis, self.weight,
                        self.ignore_index)
