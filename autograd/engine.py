"""The graph core: operators, operator nodes, the one graph walk, and backward.

A computation is a DAG of variable nodes (Scalar, Tensor) and operator nodes (Node).
Each variable made by an operator points to its Node (`grad_fn`); each Node points to
its input variables, in argument order. Nodes never point to their outputs, so a graph
has no reference cycles and dies by reference counting as soon as its output does.
"""

from __future__ import annotations

import gc
import itertools
import threading
from operator import attrgetter
from typing import Any

from .grad_mode import _open_anywhere, _state

_accumulate_lock = threading.Lock()  # leaf .grad updates (numpy's += drops updates)
_release_lock = threading.Lock()  # two threads backpropagating one graph: exactly one wins


class _ScopeState(threading.local):
    current = None  # the innermost open autograd.graph.scope in this thread


_scope_state = _ScopeState()
# Scopes open in any thread (autograd.graph.scope keeps the count). While it is 0, Node
# creation skips the thread-local read: the hot path pays one global load, not ~100 ns.
_scopes_open = 0
# Every node gets the next number at creation (PyTorch's sequence_nr). A node is created
# after the nodes that made its inputs, so decreasing number is always a valid backward
# order. count's __next__ is one C call, atomic under the GIL: threads never share one.
_next_sequence = itertools.count().__next__
_sequence_of = attrgetter("sequence")


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

    def __init__(self, op, inputs, params):
        self.op = op
        self.inputs = inputs
        self.params = params
        self.saved = ()
        self.out_pos = -1
        self.hooks = None
        self.versions = None
        self.consumers = 0
        self.sequence = _next_sequence()
        if _scopes_open:
            self.scope = _scope_state.current
        for variable in inputs:
            producer = variable.grad_fn
            if producer is not None:
                producer.consumers += 1

    def save(self, *values):
        """Keep values for backward. Save the output itself (`out`) when the derivative
        is a function of it; the engine recognises it by identity."""
        self.saved = values

    @property
    def needs_input_grad(self) -> tuple:
        """One bool per input: whether backward has to compute its gradient (a backward
        may skip the work for constants, as matmul does for a data matrix)."""
        inputs = self.inputs
        if len(inputs) == 2:  # the common case, spelled out: this runs in every mul's backward
            return inputs[0].requires_grad, inputs[1].requires_grad
        return tuple([variable.requires_grad for variable in inputs])

    @property
    def name(self) -> str:
        return self.op.name

    def __repr__(self):
        return f"<{self.op.name}>"


_new = object.__new__


def new_node(node_class, op, inputs, params):
    """A fresh operator node (a plain function: cheaper than Node.__init__ on the hot path)."""
    node = _new(node_class)
    node.op = op
    node.inputs = inputs
    node.params = params
    node.saved = ()
    node.out_pos = -1
    node.hooks = None
    node.versions = None
    node.consumers = 0
    node.sequence = _next_sequence()
    if _scopes_open:
        node.scope = _scope_state.current
    for variable in inputs:
        producer = variable.grad_fn
        if producer is not None:
            producer.consumers += 1
    return node


class _DiscardingContext:
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
    `ctx.xp` functions (exp, log, tanh, sigmoid, sign, power; on Tensors also sqrt,
    where, maximum, ...), never numpy directly. The same formula then runs on floats, on
    ndarrays, and, under create_graph=True, on variables that record the backward pass,
    so the operator has second derivatives for free.

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
    id(variable) instead and no `.grad` is touched (PyTorch's autograd.grad): only the
    nodes on a path to a captured variable run, so the rest of the graph keeps its saved
    values, and retain_grad() hooks stay silent.
    """
    kind = type(roots[0])
    pending: dict = {}
    leaf_roots = []
    for root, grad in zip(roots, root_grads):
        node = root.grad_fn
        if node is None:
            leaf_roots.append((root, grad))
        else:
            pending[node] = pending[node] + grad if node in pending else grad
    captured = None
    capture_nodes: dict = {}
    if capture is not None:
        # Leaves are pre-registered: a leaf gradient is delivered only if its key exists.
        captured = {id(v): None for v in capture if v.grad_fn is None}
        capture_nodes = {v.grad_fn: id(v) for v in capture if v.grad_fn is not None}
    # The backward pass makes no reference cycles, so the cyclic collector, which would
    # rescan the whole graph as the walk allocates, is paused meanwhile.
    collector_was_on = gc.isenabled()
    gc.disable()
    previous_mode = _state.grad_enabled
    _open_anywhere.enter_grad_mode()
    try:
        needed = None
        if capture is not None:
            needed = _nodes_leading_to(topological_order(list(pending)), capture)
        held: dict = {}  # leaves with hooks: their hooks see the total gradient, once
        _state.grad_enabled = bool(create_graph)
        for root, grad in leaf_roots:
            _deliver_to_leaf(root, grad, captured, create_graph, held)
        if capture is None and not create_graph and not _state.anomaly_enabled:
            node_count = _walk_plain(pending, kind, held, retain_graph)
        else:
            node_count = _walk_backward(pending, kind, captured, capture_nodes, needed, held,
                                        retain_graph, create_graph)
        _tune_collector(node_count)
        for variable, grad in held.values():
            _store_leaf_grad(variable, _run_hooks(variable._hooks, grad), captured,
                             create_graph)
    finally:
        _state.grad_enabled = previous_mode
        _open_anywhere.exit_grad_mode()
        if collector_was_on:
            gc.enable()
    return captured


def _nodes_leading_to(order, targets) -> set:
    """The nodes of `order` whose backward reaches one of `targets` (variables)."""
    target_ids = {id(v) for v in targets}
    needed: set = set()
    for node in reversed(order):  # the makers of a node's inputs come first
        for variable in node.inputs:
            if id(variable) in target_ids or variable.grad_fn in needed:
                needed.add(node)
                break
    return needed


def _start(pending) -> tuple[list, dict]:
    """The roots' nodes, split into ready ones [(node, gradient)] and waiting ones
    {node: [gradient so far, consumers still to deliver]}."""
    ready = []
    waiting: dict = {}
    for node, grad in pending.items():
        if node.consumers:
            waiting[node] = [grad, node.consumers]
        else:
            ready.append((node, grad))
    return ready, waiting


def _walk_backward(pending, kind, captured, capture_nodes, needed, held, retain_graph,
                   create_graph) -> int:
    """The backward loop: each node's backward runs once, after all its consumers'.

    A node is ready when as many gradients have arrived as it has consumers (counted when
    they were created): most nodes have one, and run as soon as their consumer has. A
    consumer outside this backward (a branch not leading to the roots, a result thrown
    away, a node made later) never delivers; when nothing is ready, the waiting node made
    last runs: whatever could still deliver to it was made after it, so it would be
    waiting itself or be fed by a waiting node made later still. No pass over the graph
    before the walk, and nothing held per node beyond the ones waiting. Returns the number
    of nodes reached.

    This loop serves grad(), create_graph and anomaly mode; _walk_plain is the same loop
    for the common backward(). Both write the common cases inline.
    """
    fit_to_input = kind._fit_grad
    # Scalar leaves take `grad = grad + g` directly; Tensors need their locked, copying path.
    plain_leaves = kind._plain_accumulate and captured is None and not create_graph
    accumulating = captured is None
    anomaly = _state.anomaly_enabled
    # Releasing is locked only when another thread might backpropagate the same graph.
    threaded = threading.active_count() > 1
    ready, waiting = _start(pending)
    # A root with consumers waits with its seed, so its single consumer must find it there.
    one_consumer_fast = not waiting
    take_ready = ready.pop
    push_ready = ready.append
    reached = 0
    while True:
        if ready:
            node, grad_out = take_ready()
        elif waiting:
            node = max(waiting, key=_sequence_of)
            grad_out = waiting.pop(node)[0]
        else:
            break
        reached += 1
        runs = needed is None or node in needed
        if not runs and node not in capture_nodes:
            continue  # grad(): nothing this node's backward reaches was asked for
        if node.hooks:
            grad_out = _run_hooks(node.hooks, grad_out, accumulating)
        if capture_nodes and node in capture_nodes:
            captured[capture_nodes[node]] = grad_out
        if not runs:
            continue
        saved = node.saved
        if saved is None:
            raise _freed_error(node)
        if node.versions is not None:
            _check_versions(node)
        try:
            grads = node.op.backward(GraphContext(node) if create_graph else node, grad_out)
        except ZeroDivisionError as error:  # Scalar math is Python float arithmetic
            raise ZeroDivisionError(f"{node.op.name} backward: {error} (the derivative is "
                                    "infinite there)") from error
        except Exception:
            if node.saved is None:  # another thread released it while this one read it
                raise _freed_error(node) from None
            raise
        if saved and not retain_graph:
            if threaded:
                with _release_lock:  # claim the node before delivering anything from it
                    if node.saved is None:
                        raise _freed_error(node)
                    node.saved = None
            else:
                node.saved = None
        inputs = node.inputs
        if type(grads) is not tuple:
            grads = (grads,)
        if len(grads) != len(inputs):
            raise RuntimeError(f"{node.op.name}: backward returned {len(grads)} gradients "
                               f"for {len(inputs)} inputs")
        if anomaly:
            from .anomaly import check_backward

            check_backward(node, grad_out, grads)
        for variable, grad in zip(inputs, grads):
            if grad is None or not variable.requires_grad:
                continue
            if fit_to_input is not None:
                grad = fit_to_input(grad, variable, node)
            parent = variable.grad_fn
            if parent is not None:
                if parent.consumers == 1 and one_consumer_fast:
                    push_ready((parent, grad))
                    continue
                entry = waiting.get(parent)
                if entry is None:
                    entry = waiting[parent] = [grad, parent.consumers]
                else:
                    entry[0] = entry[0] + grad
                entry[1] -= 1
                if entry[1] <= 0:
                    del waiting[parent]
                    push_ready((parent, entry[0]))
            elif plain_leaves and variable._hooks is None:
                previous = variable.grad
                variable.grad = grad if previous is None else previous + grad
            else:
                _deliver_to_leaf(variable, grad, captured, create_graph, held,
                                 node.op.fresh_grads)
    return reached


def _walk_plain(pending, kind, held, retain_graph) -> int:
    """_walk_backward for the common call, backward() without create_graph or anomaly
    mode: the same loop without the checks for grad()'s captures, GraphContext and
    anomaly mode, and with a node made ready by its last consumer run next without a
    round trip through `ready` (together a tenth of the time per node on micrograd's
    demo). A change to one loop belongs in the other."""
    fit_to_input = kind._fit_grad
    plain_leaves = kind._plain_accumulate
    threaded = threading.active_count() > 1
    ready, waiting = _start(pending)
    one_consumer_fast = not waiting
    take_ready = ready.pop
    push_ready = ready.append
    reached = 0
    # The first input whose node becomes ready runs next without going through `ready`.
    next_node = next_grad = None
    while True:
        if next_node is not None:
            node, grad_out = next_node, next_grad
            next_node = None
        elif ready:
            node, grad_out = take_ready()
        elif waiting:
            node = max(waiting, key=_sequence_of)
            grad_out = waiting.pop(node)[0]
        else:
            break
        reached += 1
        if node.hooks:
            grad_out = _run_hooks(node.hooks, grad_out)
        saved = node.saved
        if saved is None:
            raise _freed_error(node)
        if node.versions is not None:
            _check_versions(node)
        try:
            grads = node.op.backward(node, grad_out)
        except ZeroDivisionError as error:
            raise ZeroDivisionError(f"{node.op.name} backward: {error} (the derivative is "
                                    "infinite there)") from error
        except Exception:
            if node.saved is None:
                raise _freed_error(node) from None
            raise
        if saved and not retain_graph:
            if threaded:
                with _release_lock:
                    if node.saved is None:
                        raise _freed_error(node)
                    node.saved = None
            else:
                node.saved = None
        inputs = node.inputs
        if type(grads) is not tuple:
            grads = (grads,)
        if len(grads) != len(inputs):
            raise RuntimeError(f"{node.op.name}: backward returned {len(grads)} gradients "
                               f"for {len(inputs)} inputs")
        for variable, grad in zip(inputs, grads):
            if grad is None or not variable.requires_grad:
                continue
            if fit_to_input is not None:
                grad = fit_to_input(grad, variable, node)
            parent = variable.grad_fn
            if parent is not None:
                if parent.consumers == 1 and one_consumer_fast:
                    if next_node is None:
                        next_node, next_grad = parent, grad
                    else:
                        push_ready((parent, grad))
                    continue
                entry = waiting.get(parent)
                if entry is None:
                    entry = waiting[parent] = [grad, parent.consumers]
                else:
                    entry[0] = entry[0] + grad
                entry[1] -= 1
                if entry[1] <= 0:
                    del waiting[parent]
                    push_ready((parent, entry[0]))
            elif plain_leaves and variable._hooks is None:
                previous = variable.grad
                variable.grad = grad if previous is None else previous + grad
            else:
                _deliver_to_leaf(variable, grad, None, False, held, node.op.fresh_grads)
    return reached


_COLLECTOR_TUNING_FLOOR = 5_000  # nodes: smaller graphs leave the collector alone
_COLLECTOR_THRESHOLD_PER_NODE = 10  # a node, its inputs tuple and result are 3-4 objects
_COLLECTOR_TUNING_CEILING = 1_000_000


def _tune_collector(node_count):
    """Raise the cyclic collector's generation-0 threshold for programs with big graphs.

    tracegrad graphs hold no reference cycles and die by reference counting, but every node
    and variable still counts as an allocation for CPython's cyclic collector, which by
    default runs every 700 allocations and walks every young object still alive: while a
    graph is being built, that is the whole graph, again and again (a third of micrograd's
    demo; 60 % of a million-step chain). After a backward over n nodes, or once a forward
    has built n nodes, the threshold is raised (never lowered) to 10n, at most 10⁶, so a
    collection comes every few graphs and finds most of them already freed. The cost: cyclic
    garbage of other code may wait that many allocations longer.
    """
    if node_count < _COLLECTOR_TUNING_FLOOR:
        return
    threshold, *older = gc.get_threshold()
    wanted = min(node_count * _COLLECTOR_THRESHOLD_PER_NODE, _COLLECTOR_TUNING_CEILING)
    if 0 < threshold < wanted:
        gc.set_threshold(wanted, *older)


class _GraphGrowthWatch:
    """A gc callback that sees a big graph being built before its first backward.

    At each collection it counts the nodes made since the previous one. While nodes are a
    large share of the allocations (each brings 3-4 objects), a graph is growing; once the
    growing run has made _COLLECTOR_TUNING_FLOOR nodes, the collector is tuned for it. It
    costs nothing between collections and returns at once when tuning is done.
    """

    last_sequence = 0
    growing = 0

    def __call__(self, phase, info):
        if phase != "start":
            return
        threshold = gc.get_threshold()[0]
        if threshold >= _COLLECTOR_TUNING_CEILING or threshold == 0:
            return
        sequence = _next_sequence()
        made = sequence - self.last_sequence
        self.last_sequence = sequence
        if made * 5 >= threshold:  # most allocations since the last collection: graph
            self.growing += made
            _tune_collector(self.growing)
        else:
            self.growing = 0


gc.callbacks.append(_GraphGrowthWatch())


def _check_versions(node):
    """node.versions holds (input position, or None for the output; version counter;
    version when saved) for every saved input and output."""
    for position, counter, expected in node.versions:
        if counter[0] != expected:
            raise _modified_error(node, position, counter[0], expected)


def _modified_error(node, position, version, expected) -> RuntimeError:
    name = node.op.name
    if position is None:
        label = f"the output of '{name}'"
        shape = getattr(node.saved[node.out_pos], "shape", ())
    else:
        variable = node.inputs[position]
        label = f"tensor '{variable.name}'" if variable.name else f"input {position}"
        shape = variable.shape
    return RuntimeError(
        f"backward: {label} (shape {shape}, saved by '{name}') was modified in place after "
        f"it was used (version {version}, expected {expected}); gradients would be wrong. "
        "Clone it before modifying it, or modify it under no_grad() before the forward pass."
    )


def _run_hooks(hooks, grad, accumulating=True):
    for hook in hooks:
        if not accumulating and getattr(hook, "stores_grad", False):
            continue  # retain_grad() fills .grad only in backward(), never in grad()
        replaced = hook(grad)
        if replaced is not None:
            grad = replaced
    return grad


def _deliver_to_leaf(variable, grad, captured, create_graph, held, fresh=False):
    key = id(variable)
    if captured is not None and key not in captured:
        return  # grad() was not asked for this leaf
    if getattr(variable, "_hooks", None):
        entry = held.get(key)
        held[key] = (variable, grad if entry is None else entry[1] + grad)
        return
    _store_leaf_grad(variable, grad, captured, create_graph, fresh)


def _store_leaf_grad(variable, grad, captured, create_graph, fresh=False):
    """Into `captured` (grad()) or the leaf's .grad. `fresh`: the operator made this
    array for this input alone (Operator.fresh_grads), so the leaf may keep it."""
    if captured is not None:
        key = id(variable)
        captured[key] = grad if captured[key] is None else captured[key] + grad
        return
    variable._accumulate(grad, create_graph, fresh)


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

    @property
    def needs_input_grad(self) -> tuple:
        return self.node.needs_input_grad

    def _as_variable(self, index, value, kind):
        # Equal floats can be one object, so prefer the input saved in the same position.
        inputs = self.node.inputs
        if index < len(inputs) and value is inputs[index].data:
            return inputs[index]
        if index == self.node.out_pos:
            return kind._from_node(value, self.node)
        for variable in inputs:
            if value is variable.data:
                return variable
        return value

    def save(self, *values):  # forward never runs on this context
        raise RuntimeError("save() is only available in forward")
