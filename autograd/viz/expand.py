"""Fused operators drawn as their primitives.

softmax, log_softmax and logsumexp (and nn's cross_entropy and
binary_cross_entropy_with_logits) are single fused operators in the engine (one forward,
one backward, numerically stable). With `expand=True` a picture draws each as the
primitives it computes — max-shift, exp, sum, log, divide — with the intermediate values
recomputed from the operator's input, so the stability trick is visible without giving
up the readable one-node default. The operator says how (`Operator.expand`, returning
`autograd.engine.Step`s); a user's operator can do the same.
"""

from __future__ import annotations

from ..engine import Step

__all__ = ["Step", "expansion"]


def expansion(node) -> list | None:
    """The primitive steps of a fused operator node (its operator's `expand`), or None
    for a node drawn as one circle. The last step makes the operator's output."""
    if not node.inputs:
        return None
    return node.op.expand(node)
