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


def expansion(node) -> list | None:
    """The primitive steps of an engine composite operator node, or None for any other.
    The last step makes the operator's output."""
    name = node.op.name
    if name not in ("softmax", "log_softmax", "logsumexp") or not node.inputs:
        return None
    x = np.asarray(node.inputs[0].data)
    params = node.params or {}
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
