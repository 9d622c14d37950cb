"""Composite operators drawn as their primitives.

softmax, log_softmax and logsumexp are single fused operators in the engine (one forward,
one backward, numerically stable). With `expand=True` a picture draws each as the
primitives it computes — max-shift, exp, sum, log, divide — with the intermediate values
recomputed from the operator's input, so the stability trick is visible without giving
up the readable one-node default.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Step(NamedTuple):
    """One primitive of an expansion: `args` name earlier steps by index or "x" (the
    operator's input); `name` labels the value it makes; `value` is that value."""

    op: str
    args: tuple
    name: str
    value: np.ndarray


def _shift(x, axes):
    m = x.max(axis=axes, keepdims=True, initial=-np.inf)
    return np.where(np.isfinite(m), m, 0).astype(x.dtype, copy=False)


def _softmax_family(x, axes, final):
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        m = _shift(x, axes)
        d = x - m
        e = np.exp(d)
        s = e.sum(axis=axes, keepdims=True)
        steps = [Step("max", ("x",), "m = max x", m), Step("sub", ("x", 0), "x − m", d),
                 Step("exp", (1,), "e = exp(x − m)", e), Step("sum", (2,), "Σe", s)]
        if final == "softmax":
            return steps + [Step("div", (2, 3), "e / Σe", e / s)]
        log_s = np.log(s)
        steps.append(Step("log", (3,), "log Σe", log_s))
        if final == "log_softmax":
            return steps + [Step("sub", (1, 4), "(x − m) − log Σe", d - log_s)]
        return steps + [Step("add", (4, 0), "log Σe + m", log_s + m)]


def _cross_entropy(x, q):
    """nn's fused cross_entropy(x, target=q) = −Σ_c q_c · log_softmax(x)_c per sample."""
    steps = _softmax_family(x, (-1,), "log_softmax")
    with np.errstate(invalid="ignore"):
        weighted = q * np.where(q != 0, steps[-1].value, 0)
    steps[-1] = steps[-1]._replace(name="log p = (x − m) − log Σe")
    return steps + [Step("× q", (5,), "q · log p", weighted),
                    Step("−Σ", (6,), "loss", -weighted.sum(axis=-1))]


def _bce_with_logits(x, y):
    """nn's fused binary_cross_entropy_with_logits = max(x, 0) − x·y + log(1 + e^(−|x|))."""
    e = np.exp(-np.abs(x))
    relu, xy = np.maximum(x, 0), x * y
    return [Step("abs", ("x",), "|x|", np.abs(x)), Step("exp(−·)", (0,), "e^(−|x|)", e),
            Step("log1p", (1,), "log(1 + e^(−|x|))", np.log1p(e)),
            Step("max(·, 0)", ("x",), "max(x, 0)", relu), Step("× y", ("x",), "x · y", xy),
            Step("sub", (3, 4), "max(x, 0) − x · y", relu - xy),
            Step("add", (5, 2), "loss", relu - xy + np.log1p(e))]


COMPOSITES = ("softmax", "log_softmax", "logsumexp", "cross_entropy",
              "binary_cross_entropy_with_logits")


def expansion(node) -> list | None:
    """The primitive steps of a fused composite operator node (COMPOSITES, matched by
    name: nn's loss operators are among them, and autograd does not import nn), or None
    for any other node. The last step makes the operator's output."""
    name = node.op.name
    if name not in COMPOSITES or not node.inputs:
        return None
    x = np.asarray(node.inputs[0].data)
    params = node.params or {}
    if name in ("cross_entropy", "binary_cross_entropy_with_logits"):
        target = params.get("target")
        if target is None and len(node.inputs) > 1:  # a target that is an input (BCE)
            target = node.inputs[1].data
        if target is None:
            return None
        target = np.asarray(getattr(target, "data", target))
        return (_cross_entropy if name == "cross_entropy" else _bce_with_logits)(x, target)
    if name == "logsumexp":
        axes = params.get("axes")
        steps = _softmax_family(x, axes, name)
        if not params.get("keepdims", False):
            last = steps[-1]
            squeezed = last.value.reshape([n for i, n in enumerate(last.value.shape)
                                           if i not in axes])
            steps.append(Step("squeeze", (len(steps) - 1,), "logsumexp", squeezed))
        return steps
    return _softmax_family(x, (params.get("axis", -1),), name)
