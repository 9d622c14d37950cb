"""The graph core: operator nodes, operators, and the one graph walk.

A computation is a DAG of variable nodes (Scalar, Tensor; see autograd.variable) and
operator nodes (Node). Each variable made by an operator points to its Node (`grad_fn`);
each Node points to its input variables, in argument order. Nodes never point to their
outputs, so a graph has no reference cycles and dies by reference counting as soon as its
output does. Backward (autograd.backprop) runs operators' backward methods over this
graph; this module knows nothing of variables beyond their contract (autograd.variable).
"""

from __future__ import annotations

import itertools
from typing import Any, NamedTuple

from .scopes import open_anywhere as _scopes
from .scopes import this_thread as _scope_here

# Every node gets the next number at creation (PyTorch's sequence_nr). A node is created
# after the nodes that made its inputs, so decreasing number is always a valid backward
# order. count's __next__ is one C call, atomic under the GIL: threads never share one.
next_sequence = itertools.count().__next__


class Node:
    """An operator node: one application of an Operator, and the `ctx` its methods get.

    `inputs` are the input variables in argument order, `saved` what forward kept for
    backward (None once a backward has released it), `params` the non-variable arguments
    (axis, exponent, ...), `out_pos` the index in `saved` of the forward's own output.
    `consumers` counts the nodes created so far that take one of its outputs as input
    (backward runs a node once that many have delivered), `sequence` is its creation
    number.
    `scope` (the autograd.graph.Scope, e.g. an nn.Module call, that made the node) is set
    only while a scope is open; read it with getattr(node, "scope", None). `site` (file,
    line, function of the user's code) is set only under detect_anomaly(). Neither is
    assigned otherwise, so they cost nothing on the hot path.
    """

    __slots__ = ("op", "inputs", "saved", "params", "out_pos", "hooks", "versions", "consumers",
                 "sequence", "site", "scope")
    xp: Any = None  # the math namespace for raw data; set by each variable kind

    def save(self, *values):
        """Keep values for backward. Save the output itself (`out`) when the derivative
        is a function of it; the engine recognises it by identity."""
        self.saved = values

    @property
    def needs_input_grad(self) -> tuple:
        """One bool per input: whether backward has to compute its gradient (a backward
        may skip the work for constants, as matmul does for a data matrix)."""
        inputs = self.inputs
        if len(inputs) == 2:  # the common case, without building a list
            return inputs[0].requires_grad, inputs[1].requires_grad
        return tuple([variable.requires_grad for variable in inputs])

    @property
    def name(self) -> str:
        return self.op.name

    def __repr__(self):
        return f"<{self.op.name}>"


_new = object.__new__


def new_node(node_class, op, inputs, params):
    """The one place a node is built: `node_class` is the variable kind's Node subclass
    (it fixes ctx.xp), `inputs` the input variables, `params` apply's keyword arguments.
    Each input's producer counts one more consumer (see autograd.backprop)."""
    node = _new(node_class)
    node.op = op
    node.inputs = inputs
    node.params = params
    node.saved = ()
    node.out_pos = -1
    node.hooks = None
    node.versions = None
    node.consumers = 0
    node.sequence = next_sequence()
    if _scopes.threads:
        node.scope = _scope_here.current
    for variable in inputs:
        producer = variable.grad_fn
        if producer is not None:
            producer.consumers += 1
    return node


class DiscardingContext:
    """The ctx forward gets when nothing is recorded (no_grad, or no input needs grad)."""

    __slots__ = ("xp", "params")

    def __init__(self, xp):
        self.xp = xp
        self.params = None

    def save(self, *values):
        pass


class Operator:
    """Base class of every operator, built-in or yours (PyTorch's torch.autograd.Function).

    An operator is one class: a lowercase `name` (shown in reprs, listings, pictures and
    error messages), a docstring with its math, and two static methods side by side:

      forward(ctx, *inputs, **params) -> output
          Inputs arrive as raw data: ndarrays for Tensors, floats for Scalars. `params`
          are apply's keyword arguments (axis, slope, ...), also readable as ctx.params.
          Call ctx.save(...) with what backward needs; when the derivative is a function
          of the output, save the output itself (the engine recognises it).
      backward(ctx, grad_out) -> one gradient per input, in argument order
          A tuple, or a bare value for a one-input operator; None for an input without a
          gradient. Each gradient has the OUTPUT's shape: the engine sums broadcast axes
          back to each input's shape. Read ctx.saved, ctx.params and ctx.inputs (the
          input variables, for their .shape). Return grad_out times the local derivative;
          gradcheck's random upstream gradient catches a backward that forgets grad_out.

    `Op.apply(*inputs, **params)` runs it on Tensors or Scalars (numbers and arrays become
    constants) and records one node when grad mode is on and an input requires grad.

    Write backward with operators (+ - * / **, comparisons, .sum(), .reshape()) and
    `ctx.xp` functions (autograd.xp lists them: exp, log, sqrt, sin, cos, tanh, sigmoid,
    relu, sign, power; on Tensors also where, maximum, clip, ...), never numpy directly.
    The same formula then runs on floats, on ndarrays, and, under create_graph=True, on
    variables that record the backward pass, so the operator has second derivatives for
    free (a backward that leaves the graph there raises, naming the operator). ctx holds
    only save/saved, params, inputs, needs_input_grad and xp.

    For pictures, an operator may set `symbol` ("+") or `display(node)`, and a fused one
    `expand(node)` (its primitives as Steps); viz asks the operator. For ONNX, a static
    `onnx(node, g)` emits its ONNX nodes (autograd.export.Builder says what g offers).

        class Cube(Operator):
            # out = x³;  ∂out/∂x = 3x²
            name = "cube"

            @staticmethod
            def forward(ctx, x):
                ctx.save(x)
                return x * x * x

            @staticmethod
            def backward(ctx, grad_out):
                (x,) = ctx.saved
                return grad_out * 3 * x * x

        y = Cube.apply(Tensor([1.0, 2.0], requires_grad=True))   # Tensor([1., 8.])

    Check it with gradcheck and gradgradcheck (or autograd.testing.assert_gradients_close
    under hypothesis); inside a network, check_graph finds the first wrong operator.
    """

    name = "op"
    # What a picture shows inside the operator's circle instead of `name` ("+", "@"), or
    # None; `display(node)` may choose it from the node's parameters (pow: x²).
    symbol: str | None = None
    # True when every gradient backward returns is a new array, returned once, that
    # nothing else holds (a GEMM result): a leaf without a .grad may then keep it as its
    # .grad instead of a copy. Leave it False unless that holds.
    fresh_grads = False

    @staticmethod
    def forward(ctx, *inputs, **params):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, grad_out):
        raise NotImplementedError

    @classmethod
    def display(cls, node) -> str | None:
        """The symbol pictures draw for `node` (a node of this operator), or None for the
        name. A symbol stands for the parameters too: they are not listed under it."""
        return cls.symbol

    @staticmethod
    def expand(node) -> list | None:
        """A fused operator's computation as primitives, for pictures (`viz.forward_graph(
        ..., expand=True)`): a list of Step, the last making the node's output, recomputed
        from the node's inputs and params; None (the default) draws one node."""
        return None

    # The variable kind that runs an operator given no variable at all (Tensor: numbers
    # and arrays become constant tensors); set by register_default_kind.
    _default_kind: Any = None

    @classmethod
    def apply(cls, *inputs, **params):
        """Run the operator on variables (numbers and arrays become constants)."""
        for value in inputs:
            # A variable is what has `_apply` (autograd.variable.Variable, a layer above).
            kind = getattr(value, "_apply", None)
            if kind is not None:
                return kind(cls, inputs, params)
        return Operator._default_kind._apply(cls, inputs, params)


class Step(NamedTuple):
    """One primitive of an Operator.expand: `op` its operator's name, `args` the earlier
    steps it reads (by index) or "x" (the operator's first input; "x1", "x2", ... the
    others), `name` a label for the
    value it makes, `value` that value, `symbol` the text its circle shows."""

    op: str
    args: tuple
    name: str
    value: Any
    symbol: str | None = None

    @classmethod
    def of(cls, op, args, name, value):
        """The step applying operator class `op` (its name and symbol)."""
        return cls(op.name, args, name, value, op.symbol)


def register_default_kind(kind) -> None:
    """Make `kind` (a Variable subclass) the one Operator.apply uses for plain inputs."""
    Operator._default_kind = kind


CTX_HOLDS = ("ctx holds ctx.save(...) / ctx.saved, ctx.params (apply's keyword arguments), "
             "ctx.inputs (the input variables), ctx.needs_input_grad and ctx.xp (the math "
             "namespace)")


def is_ctx_attribute_error(error: AttributeError, ctx) -> bool:
    """Whether `error` is about an attribute of `ctx` (setting one names no object)."""
    return getattr(error, "obj", None) is ctx or str(error).startswith(
        f"'{type(ctx).__name__}' object has no attribute")


def ctx_attribute_error(op, error: AttributeError, where: str) -> AttributeError:
    """The AttributeError for `ctx.shape = ...` or `ctx.foo` in an operator's forward or
    backward: ctx has fixed slots, so say what it holds and how to keep anything else."""
    name = getattr(error, "name", None) or str(error).rpartition(" ")[2].strip("'")
    return AttributeError(
        f"{op.name} {where}: ctx has no attribute '{name}'; {CTX_HOLDS}. Keep other values "
        "with ctx.save(...) (backward reads them from ctx.saved) or pass them to apply() as "
        "keyword arguments (ctx.params)"
    )


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


