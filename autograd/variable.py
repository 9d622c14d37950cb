"""Variable: what Scalar and Tensor share, and the contract the engine relies on.

A variable is a value node of the graph: its data, whether it `requires_grad`, the
operator node that made it (`grad_fn`, None for a leaf), an optional `name`, and hooks.
`isinstance(x, Variable)` is the one test for "is this a Scalar or a Tensor?".
"""

from __future__ import annotations

from typing import Any


class Variable:
    """Base class of Scalar and Tensor.

    Shared state: `requires_grad`, `grad_fn` (the Node that made it; None for a leaf),
    `name` (shown in reprs, listings and pictures), `_hooks` (a leaf's gradient hooks,
    autograd.hooks.register_hook; a non-leaf's live on its node).

    The contract with the engine (autograd.engine, autograd.backprop), one class method
    or attribute each, implemented by every kind:

    `_apply(op, inputs, params)`
        run `op` on these inputs (numbers become constants) and record one node, built by
        engine.new_node with the kind's Node subclass, when grad mode is on and an input
        requires grad. Operator.apply dispatches here.
    `_from_node(raw, node)`
        a variable made by `node` holding `raw` (GraphContext's saved output).
    `_seed(output, grad, create_graph, caller)`
        the gradient backward starts from (1 for a one-element output, else `grad`,
        checked): raw data, or a constant variable under create_graph.
    `_fit_grad(grad, variable, node)` or None
        a gradient fitted to its input (broadcast axes summed away, autograd.backprop.
        unbroadcast); None when gradients always fit (Scalar).
    `_accumulate(self, grad, create_graph, fresh)`
        add `grad` into self.grad (`fresh`: the operator made the array for this input
        alone, Operator.fresh_grads, so it may be kept without a copy).
    `_plain_accumulate`
        True when a leaf's gradient may be added as `leaf.grad = leaf.grad + g` directly
        (floats), False when it must go through `_accumulate` (locks, copies, dtypes).
    `_zeros_like(x)`, `_wrap_grad(grad, x, create_graph)`
        what grad() returns for an unused input (materialize_grads), and for a gradient.
    `_as_hook_value(raw)`, `_hook_shape`
        a raw gradient as what a user's hook sees (a Tensor, a float for a Scalar), and
        the shape a hook's replacement must have (None: any float).
    `_graph_xp`
        the math namespace backward formulas get under create_graph=True (autograd.xp).
    """

    __slots__ = ("requires_grad", "grad_fn", "name", "_hooks", "__weakref__")

    _plain_accumulate = False
    _fit_grad: Any = None
    _graph_xp: Any = None

    @property
    def is_leaf(self) -> bool:
        """True for a variable no recorded operator made (inputs, parameters, constants)."""
        return self.grad_fn is None

    @staticmethod
    def _apply(op, inputs, params):
        raise NotImplementedError

    @staticmethod
    def _from_node(raw, node):
        raise NotImplementedError

    @staticmethod
    def _seed(output, grad, create_graph, caller):
        raise NotImplementedError

    @staticmethod
    def _zeros_like(x):
        raise NotImplementedError

    @staticmethod
    def _wrap_grad(grad, x, create_graph):
        raise NotImplementedError

    def _accumulate(self, grad, create_graph, fresh=False):
        raise NotImplementedError
