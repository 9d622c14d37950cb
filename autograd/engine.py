"""The graph core: operators, operator nodes, the one graph walk, and backward.

A computation is a DAG of variable nodes (Scalar, Tensor) and operator nodes (Node).
Each variable made by an operator points to its Node (`grad_fn`); each Node points to
its input variables, in argument order. Nodes never point to their outputs, so a graph
has no reference cycles and dies by reference counting as soon as its output does.
"""

from __future__ import annotations

import threading
from typing import Any

from .grad_mode import _state

_accumulate_lock = threading.Lock()


class _ScopeState(threading.local):
    current = None  # the innermost open autograd.graph.scope in this thread


_scope_state = _ScopeState()
# Scopes open in any thread (autograd.graph.scope keeps the count). While it is 0, Node
# creation skips the thread-local read: the hot path pays one global load, not ~100 ns.
_scopes_open = 0


class Node:
    """An operator node: one application of an Operator, and the `ctx` its methods get.

    `inputs` are the input variables in argument order, `saved` what forward kept for
    backward (None once a backward has released it), `params` the non-variable arguments
    (axis, exponent, ...), `out_pos` the index in `saved` of the forward's own output.
    `scope` (the autograd.graph.Scope, e.g. an nn.Module call, that made the node) is set
    only while a scope is open; read it with getattr(node, "scope", None).
    """

    __slots__ = ("op", "inputs", "saved", "params", "out_pos", "hooks", "versions", "scope")
    xp: Any = None  # the math namespace for raw data; set by each variable kind

    def __init__(self, op, inputs, params):
        self.op = op
        self.inputs = inputs
        self.params = params
        self.saved = ()
        self.out_pos = -1
        self.hooks = None
        self.versions = None
        if _scopes_open:
            self.scope = _scope_state.current

    def save(self, *values):
        """Keep values for backward. Save the output itself (`out`) when the derivative
        is a function of it; the engine recognises it by identity."""
        self.saved = values

    @property
    def name(self) -> str:
        return self.op.name

    def __repr__(self):
        return f"<{self.op.name}>"


class _DiscardingContext:
    """The ctx forward gets when nothing is recorded (no_grad, or no input needs grad)."""

    __slots__ = ("xp", "params")

    def __init__(self, xp):
        self.xp = xp
        self.params = None

    def save(self, *values):
        pass


class Operator:
    """Base class of every operator, built-in or user-defined (like torch.autograd.Function).

    Subclasses set `name` and define two static methods:
      forward(ctx, *raw_inputs, **params) -> raw output
      backward(ctx, grad_out) -> one gradient per input (a tuple, or a bare value for one
                                 input), each in the OUTPUT's shape, or None for no gradient
    Raw data is a float for Scalar graphs and an ndarray for Tensor graphs. Use only
    operators, methods common to ndarrays and Tensors, and `ctx.xp` functions in backward:
    then the same formula runs on the fast path and, under create_graph=True, on variables,
    so every operator is differentiable twice. `Op.apply(*inputs, **params)` runs it.
    """

    name = "op"
    differentiable = True  # False for ops whose output never requires grad (comparisons)

    @staticmethod
    def forward(ctx, *inputs, **params):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, grad_out):
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs, **params):
        """Run the operator on variables (numbers and arrays become constants)."""
        for value in inputs:
            kind = getattr(value, "_apply", None)
            if kind is not None:
                return kind(cls, inputs, params)
        from .tensor import Tensor

        return Tensor._apply(cls, inputs, params)


# --------------------------------------------------------------------------------------
# The graph walk: written once, used by backward, listings and pictures.


def topological_order(roots) -> list:
    """Operator nodes reachable from `roots`, each before the nodes that made its inputs.

    Iterative depth-first search (a chain of a million nodes needs no recursion); inputs
    are visited in argument order, so the order is the same on every run.
    """
    seen = set()
    postorder = []
    for root in roots:
        if root is None or root in seen:
            continue
        seen.add(root)
        stack = [(root, iter(root.inputs))]
        while stack:
            node, pending_inputs = stack[-1]
            for variable in pending_inputs:
                parent = variable.grad_fn
                if parent is not None and parent not in seen:
                    seen.add(parent)
                    stack.append((parent, iter(parent.inputs)))
                    break
            else:
                stack.pop()
                postorder.append(node)
    postorder.reverse()
    return postorder


# --------------------------------------------------------------------------------------
# Backward


def _freed_error(node) -> RuntimeError:
    return RuntimeError(
        f"backward: the values '{node.op.name}' saved for backward were already freed by an "
        "earlier backward() or grad(). Pass retain_graph=True to the first call to "
        "backpropagate through the same graph twice."
    )


def run_backward(roots, root_grads, retain_graph, create_graph, capture=None):
    """Backpropagate `root_grads` from `roots` through the graph.

    Without `capture`, leaf gradients are accumulated into `.grad` (PyTorch's backward).
    With `capture` (a list of variables), gradients are returned in a dict keyed by
    id(variable) instead, and no `.grad` is touched (PyTorch's autograd.grad).
    """
    kind = type(roots[0])
    fit_to_input = kind._fit_grad
    pending: dict = {}
    captured: dict = {} if capture is not None else None
    capture_nodes = {}
    if capture is not None:
        for variable in capture:
            if variable.grad_fn is not None:
                capture_nodes[variable.grad_fn] = id(variable)

    leaf_roots = []
    for root, grad in zip(roots, root_grads):
        node = root.grad_fn
        if node is None:
            leaf_roots.append((root, grad))
        elif node in pending:
            pending[node] = pending[node] + grad
        else:
            pending[node] = grad

    previous_mode = _state.grad_enabled
    _state.grad_enabled = bool(create_graph)
    try:
        for root, grad in leaf_roots:
            _deliver_to_leaf(root, grad, captured, create_graph)
        for node in topological_order(list(pending)):
            grad_out = pending.pop(node, None)
            if grad_out is None:
                continue
            if node.hooks:
                grad_out = _run_hooks(node.hooks, grad_out)
            if node in capture_nodes:
                captured[capture_nodes[node]] = grad_out
            _backward_node(node, grad_out, pending, captured, retain_graph, create_graph,
                           fit_to_input)
    finally:
        _state.grad_enabled = previous_mode
    return captured


def _backward_node(node, grad_out, pending, captured, retain_graph, create_graph,
                   fit_to_input):
    saved = node.saved
    if saved is None:
        raise _freed_error(node)
    if node.versions is not None:
        _check_versions(node)
    ctx = GraphContext(node) if create_graph else node
    grads = node.op.backward(ctx, grad_out)
    if not retain_graph and saved:
        node.saved = None
    if type(grads) is not tuple:
        grads = (grads,)
    if len(grads) != len(node.inputs):
        raise RuntimeError(
            f"{node.op.name}: backward returned {len(grads)} gradients for "
            f"{len(node.inputs)} inputs"
        )
    for variable, grad in zip(node.inputs, grads):
        if grad is None or not variable.requires_grad:
            continue
        if fit_to_input is not None:
            grad = fit_to_input(grad, variable, node)
        parent = variable.grad_fn
        if parent is None:
            _deliver_to_leaf(variable, grad, captured, create_graph)
        elif parent in pending:
            pending[parent] = pending[parent] + grad
        else:
            pending[parent] = grad


def _check_versions(node):
    for variable, version in zip(node.inputs, node.versions):
        if version is not None and variable._version != version:
            label = f"'{variable.name}'" if variable.name else "an input"
            raise RuntimeError(
                f"backward: {label} (shape {variable.shape}, saved by '{node.op.name}') was "
                f"modified in place after it was used (version {variable._version}, expected "
                f"{version}); gradients would be wrong. Clone it before modifying it, or "
                "modify it under no_grad() before the forward pass."
            )


def _run_hooks(hooks, grad):
    for hook in hooks:
        replaced = hook(grad)
        if replaced is not None:
            grad = replaced
    return grad


def _deliver_to_leaf(variable, grad, captured, create_graph):
    hooks = getattr(variable, "_hooks", None)
    if hooks:
        grad = _run_hooks(hooks, grad)
    if captured is not None:
        key = id(variable)
        captured[key] = captured[key] + grad if key in captured else grad
        return
    variable._accumulate(grad, create_graph)


class GraphContext:
    """The ctx a backward gets under create_graph=True: saved values as variables.

    Saved inputs become the input variables themselves and the saved output becomes a
    variable made by the same node, so the backward formula records a differentiable
    graph; anything else saved (masks, counts) stays a constant.
    """

    __slots__ = ("node", "saved", "xp", "params", "inputs")

    def __init__(self, node):
        kind = type(node.inputs[0])
        self.node = node
        self.inputs = node.inputs
        self.params = node.params
        self.xp = kind._graph_xp
        self.saved = tuple(
            self._as_variable(i, value, kind) for i, value in enumerate(node.saved)
        )

    def _as_variable(self, index, value, kind):
        if index == self.node.out_pos:
            return kind._from_node(value, self.node)
        for variable in self.node.inputs:
            if value is variable.data:
                return variable
        return value

    def save(self, *values):  # forward never runs on this context
        raise RuntimeError("save() is only available in forward")
