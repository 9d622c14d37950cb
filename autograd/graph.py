"""Tracing: a recorded computation as a `Graph` object, its SSA-style listing, and scopes.

`trace(fn, *args)` runs `fn` and returns the Graph of the operator and variable nodes it
recorded; `Graph.from_outputs(y)` takes the graph behind outputs that already exist. Both
walk the graph with the engine's one walk (`topological_order`), for Scalar and Tensor.

`scope(name, module=None)` tags the operator nodes created inside it (nn.Module.__call__
opens one per call), so pictures can cluster or collapse them and the listing can say
which module each operator came from.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, NamedTuple

import numpy as np

from . import engine
from .engine import topological_order
from .grad_mode import enable_grad
from .scopes import Scope, close_scope, current_scope, open_scope, scope, scope_of  # noqa: F401
from .variable import Variable

# --------------------------------------------------------------------------------------
# The Graph


class Operation(NamedTuple):
    """One operator application of a Graph: what `for op in graph` yields."""

    name: str  # the operator's name, as in the listing ("mul", "matmul")
    inputs: tuple  # the input variables, in argument order
    output: Any  # the variable it made
    node: engine.Node  # the engine's operator node
    scope: Scope | None  # the module or composite call that made it


KINDS = ("input", "parameter", "constant", "intermediate", "output")
_PREFIX = {"input": "x", "parameter": "p", "constant": "c", "intermediate": "t", "output": "t"}


def _is_variable(value) -> bool:
    return isinstance(value, Variable)


def _flatten(values) -> list:
    """Variables among `values`: a variable, or a tuple/list/dict of them (one level)."""
    if _is_variable(values):
        return [values]
    if isinstance(values, dict):
        values = list(values.values())
    if isinstance(values, (list, tuple)):
        return [v for v in values if _is_variable(v)]
    return []


def shape_of(variable) -> tuple:
    """A variable's shape; () for a Scalar."""
    return getattr(variable, "shape", ())


def dtype_of(variable) -> str:
    """A variable's dtype name; float64 for a Scalar (a Python float)."""
    dtype = getattr(variable, "dtype", None)
    return str(dtype) if dtype is not None else "float64"


class Graph:
    """A recorded computation: inputs, outputs, operator and variable nodes, and edges.

    `operators` are the engine's operator nodes and `variables` the Scalars or Tensors,
    both in forward order (each after everything it depends on); `edges` are (source,
    target) pairs in data-flow direction, variable → operator → variable. `len(graph)` is
    the number of operators and iterating yields `Operation` records; `str(graph)` is the
    SSA-style listing. Build one with `trace(fn, *args)` or `Graph.from_outputs(y)`.
    """

    def __init__(self, outputs, inputs=(), name: str | None = None):
        self.outputs = tuple(_flatten(outputs))
        if not self.outputs:
            raise TypeError(
                f"Graph: expected a Scalar or Tensor (or a tuple/list/dict of them) as "
                f"outputs, got {type(outputs).__name__}"
            )
        self.inputs = tuple(_flatten(list(inputs)))
        self.name = name
        self._traced = bool(inputs)
        self._scopes = None
        self.operators = self._walk()
        self._output_of = self._outputs_by_node()
        self.variables = self._variables_in_order()
        self._module_state = _module_state_ids(self)
        self._kinds = {id(v): self._classify(v) for v in self.variables}
        if not self._traced:
            self.inputs = tuple(v for v in self.variables if self._kinds[id(v)] == "input")
        self._names = _Namer(self).names()

    @classmethod
    def from_outputs(cls, outputs, name: str | None = None) -> Graph:
        """The whole graph behind existing outputs (a variable or a sequence of them)."""
        return cls(outputs, name=name)

    # -- construction -----------------------------------------------------------------

    def _is_source(self, variable) -> bool:
        """A leaf, or a traced input that was itself computed (the trace stops there)."""
        return variable.grad_fn is None or id(variable) in self._input_ids

    def _walk(self) -> list:
        """Operator nodes between the inputs and outputs, in forward order."""
        self._input_ids = {id(v) for v in self.inputs}
        roots = [v.grad_fn for v in self.outputs if not self._is_source(v)]
        inside = set(roots)
        kept = []
        for node in topological_order(roots):  # each node before the nodes feeding it
            if node not in inside:
                continue  # reachable only through a traced input
            kept.append(node)
            for variable in node.inputs:
                if not self._is_source(variable):
                    inside.add(variable.grad_fn)
        kept.reverse()
        return kept

    def _outputs_by_node(self) -> dict:
        found = {}
        candidates = list(self.outputs)
        for node in self.operators:
            candidates.extend(node.inputs)
        for variable in candidates:
            node = variable.grad_fn
            if node is not None and node not in found and not self._is_source(variable):
                found[node] = variable
        return found

    def _variables_in_order(self) -> list:
        seen, ordered = set(), []

        def add(variable):
            if id(variable) not in seen:
                seen.add(id(variable))
                ordered.append(variable)

        for variable in self.inputs:
            add(variable)
        for node in self.operators:
            for variable in node.inputs:
                if self._is_source(variable):
                    add(variable)
            add(self._output_of[node])
        for variable in self.outputs:
            add(variable)
        return ordered

    def _classify(self, variable) -> str:
        if not self._is_source(variable):
            output_ids = {id(v) for v in self.outputs}
            return "output" if id(variable) in output_ids else "intermediate"
        if variable.grad_fn is not None:
            return "input"  # a traced input that was computed earlier
        if variable.requires_grad:
            return "parameter"
        if id(variable) in self._input_ids:
            return "input"
        if self._traced or id(variable) in self._module_state:
            return "constant"
        named_or_array = variable.name or len(shape_of(variable)) > 0
        return "input" if named_or_array else "constant"

    # -- queries ------------------------------------------------------------------------

    def canonical(self, variable):
        """The graph's own variable for `variable`. A backward recorded under create_graph
        reads a node's saved output through a second variable made by the same node (nodes
        do not hold their outputs); pictures and listings show both as one."""
        if self._is_source(variable):
            return variable
        return self._output_of.get(variable.grad_fn, variable)

    def inputs_of(self, node) -> tuple:
        """An operator node's input variables, as the graph's own variables."""
        return tuple(self.canonical(v) for v in node.inputs)

    def name_of(self, variable) -> str:
        """The variable's display name: its own `name`, its module path for an nn
        parameter, or a stable short name (x0 input, p0 parameter, c0 constant, t0 result)."""
        return self._names[id(self.canonical(variable))]

    def kind_of(self, variable) -> str:
        """One of "input", "parameter" (a leaf that requires grad), "constant",
        "intermediate" or "output"."""
        return self._kinds[id(self.canonical(variable))]

    def output_of(self, node):
        """The variable an operator node made."""
        return self._output_of[node]

    def producer_of(self, variable):
        """The operator node that made `variable` inside this graph, or None for a source."""
        return None if self._is_source(variable) else variable.grad_fn

    def contains(self, variable) -> bool:
        return id(self.canonical(variable)) in self._kinds

    @property
    def parameters(self) -> tuple:
        """The leaves that require grad, in order of first use."""
        return tuple(v for v in self.variables if self._kinds[id(v)] == "parameter")

    @property
    def edges(self) -> list:
        """(source, target) pairs in data-flow direction: (variable, node), (node, variable)."""
        edges = []
        for node in self.operators:
            edges.extend((variable, node) for variable in self.inputs_of(node))
            edges.append((node, self._output_of[node]))
        return edges

    @property
    def scopes(self) -> list:
        """Every Scope with an operator in the graph (and their parents), outer first."""
        if self._scopes is None:
            seen, ordered = set(), []
            for node in self.operators:
                own = scope_of(node)
                if own is None or id(own) in seen:
                    continue
                for item in own.chain():
                    if id(item) not in seen:
                        seen.add(id(item))
                        ordered.append(item)
            self._scopes = ordered
        return list(self._scopes)

    def scope_label(self, scope_: Scope) -> str:
        """`layers.0: Linear` for a module under an outer module, else the scope's name."""
        path = self._names.module_paths.get(id(scope_.module))
        return f"{path}: {scope_.name}" if path else scope_.name

    def __len__(self) -> int:
        return len(self.operators)

    def __iter__(self):
        for node in self.operators:
            yield Operation(node.op.name, self.inputs_of(node), self._output_of[node], node,
                            scope_of(node))

    def __repr__(self):
        counts = {kind: 0 for kind in ("input", "parameter", "constant")}
        for kind in self._kinds.values():
            if kind in counts:
                counts[kind] += 1
        parts = [_plural(counts["input"], "input"), _plural(counts["parameter"], "parameter"),
                 _plural(len(self), "operator"), _plural(len(self.outputs), "output")]
        title = f"Graph {self.name}" if self.name else "Graph"
        return f"<{title}: {', '.join(parts)}>"

    def __str__(self):
        return format_listing(self)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _parameter_path_maps(graph) -> tuple:
    """{id(module): path} and {id(parameter): path} from the outermost module scopes."""
    module_paths, parameter_paths = {}, {}
    for scope_ in graph.scopes:
        if scope_.parent is not None or scope_.module is None:
            continue
        root = scope_.module
        named_modules = getattr(root, "named_modules", None)
        named_parameters = getattr(root, "named_parameters", None)
        if callable(named_modules):
            for path, module in named_modules():
                module_paths.setdefault(id(module), path)
        if callable(named_parameters):
            for path, parameter in named_parameters():
                parameter_paths.setdefault(id(parameter), path)
    return module_paths, parameter_paths


def _module_state_ids(graph) -> set:
    """ids of the tensors the outermost modules own but do not train: buffers (BatchNorm's
    running statistics) and frozen parameters. They are the modules' constants, not
    inputs the caller passed."""
    state = set()
    for scope_ in graph.scopes:
        if scope_.parent is not None or scope_.module is None:
            continue
        for method in ("buffers", "parameters"):
            tensors = getattr(scope_.module, method, None)
            if callable(tensors):
                state.update(id(t) for t in tensors() if not t.requires_grad)
    return state


class _Names(dict):
    module_paths: dict


class _Namer:
    """Assigns every variable of a graph a unique display name, deterministically."""

    def __init__(self, graph):
        self.graph = graph
        self.used: set = set()
        self.counters = {prefix: 0 for prefix in _PREFIX.values()}

    def names(self) -> _Names:
        graph = self.graph
        module_paths, parameter_paths = _parameter_path_maps(graph)
        names = _Names()
        names.module_paths = module_paths
        for variable in graph.variables:  # user names and module paths first
            wanted = self._wanted(variable, parameter_paths.get(id(variable)))
            if wanted is not None:
                names[id(variable)] = self._unique(wanted)
        for variable in graph.variables:
            if id(variable) not in names:
                names[id(variable)] = self._generated(graph.kind_of(variable))
        return names

    @staticmethod
    def _wanted(variable, path):
        own = variable.name
        if path is not None and (own is None or path == own or path.endswith("." + own)):
            return path
        return str(own) if own is not None else None

    def _unique(self, name: str) -> str:
        candidate, n = name, 1
        while candidate in self.used:
            n += 1
            candidate = f"{name}#{n}"
        self.used.add(candidate)
        return candidate

    def _generated(self, kind: str) -> str:
        prefix = _PREFIX[kind]
        while True:
            candidate = f"{prefix}{self.counters[prefix]}"
            self.counters[prefix] += 1
            if candidate not in self.used:
                self.used.add(candidate)
                return candidate


# --------------------------------------------------------------------------------------
# tracing


def trace(fn, *args, **kwargs) -> Graph:
    """Run fn(*args, **kwargs) and return the Graph it recorded.

    The Scalars and Tensors among the arguments (and inside list/tuple arguments) are the
    graph's inputs; the variables fn returns (one, or a tuple/list/dict) its outputs. The
    graph stops at the inputs even when they were computed earlier. fn runs with grad
    enabled, and float inputs that do not require grad are made to require it for the
    call (then restored), so the graph is recorded whatever their setting; they stay
    inputs, not parameters, and backward through the graph does not reach them.
    """
    inputs = _flatten(list(args)) + _flatten(list(kwargs.values()))
    for value in args:
        if isinstance(value, (list, tuple)):
            inputs.extend(_flatten(value))
    switched = [v for v in inputs if v.grad_fn is None and not v.requires_grad
                and dtype_of(v).startswith("float")]
    for variable in switched:
        variable.requires_grad = True
    try:
        with enable_grad():
            result = fn(*args, **kwargs)
    finally:
        for variable in switched:
            variable.requires_grad = False
    if not _flatten(result):
        raise TypeError(
            f"trace: {getattr(fn, '__name__', 'fn')} returned {type(result).__name__}, not a "
            "Scalar or Tensor (or a tuple/list/dict of them); nothing to trace"
        )
    unique_inputs = list({id(v): v for v in inputs}.values())
    return Graph(result, unique_inputs, name=getattr(fn, "__name__", None))


# --------------------------------------------------------------------------------------
# the listing


def format_value(value) -> str:
    """A short text for an operator parameter (axis, exponent, index, dtype)."""
    if isinstance(value, np.ndarray):
        return f"{value.dtype}[{','.join(str(n) for n in value.shape)}]"
    if isinstance(value, slice):
        parts = ["" if p is None else str(p) for p in (value.start, value.stop, value.step)]
        return ":".join(parts[:2]) + (f":{parts[2]}" if value.step is not None else "")
    if isinstance(value, tuple):
        inner = ", ".join(format_value(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if value is Ellipsis:
        return "..."
    if isinstance(value, np.dtype) or isinstance(value, type):
        return np.dtype(value).name
    if isinstance(value, float):
        return f"{value:g}"
    return repr(value)


@functools.cache
def declared_params(op) -> dict:
    """The keyword parameters an operator's forward declares with a default, and those
    defaults (cross_entropy: reduction="mean", ...); none for a forward without a Python
    signature."""
    try:
        parameters = inspect.signature(op.forward).parameters
    except (TypeError, ValueError):
        return {}
    return {name: p.default for name, p in parameters.items()
            if p.kind is p.KEYWORD_ONLY and p.default is not p.empty}


def operator_params(node) -> list:
    """The parameters worth showing, in numpy's words: reductions' `axes` as `axis` (an
    int for one axis), and nothing for None, False flags, a value equal to the default
    forward declares, or a reduction over every axis (a full sum reads as plain `sum(x)`)."""
    params = node.params or {}
    every_axis = tuple(range(len(shape_of(node.inputs[0])))) if node.inputs else None
    defaults = declared_params(node.op)
    shown = []
    for key, value in params.items():
        if value is None or value is False or _is_default(value, defaults.get(key, _NONE)):
            continue
        if key == "axes" and "keepdims" in params:  # a reduction (transpose has axes too)
            if value == every_axis:
                continue
            key, value = "axis", value[0] if len(value) == 1 else value
        shown.append((key, value))
    return shown


_NONE = object()


def _is_default(value, default) -> bool:
    return type(value) is type(default) and value == default


def constant_text(graph, variable) -> str | None:
    """A 0-d constant written inline (`2.0`), else None."""
    if graph.kind_of(variable) != "constant" or variable.name or shape_of(variable) != ():
        return None
    value = variable.data if not hasattr(variable, "item") else variable.item()
    return format_value(value) if isinstance(value, float) else repr(value)


def _operand(graph, variable) -> str:
    return constant_text(graph, variable) or graph.name_of(variable)


def format_listing(graph) -> str:
    """The SSA-style listing: a header, one line per leaf, one line per operator."""
    rows = []
    for variable in graph.variables:
        kind = graph.kind_of(variable)
        if kind in ("input", "parameter") or (kind == "constant"
                                              and constant_text(graph, variable) is None):
            rows.append((graph.name_of(variable), kind, variable, None))
    for op in graph:
        operands = [_operand(graph, v) for v in op.inputs]
        operands += [f"{k}={format_value(v)}" for k, v in operator_params(op.node)]
        where = graph.scope_label(op.scope) if op.scope is not None else None
        rows.append((graph.name_of(op.output), f"{op.name}({', '.join(operands)})",
                     op.output, where))
    name_width = max((len(r[0]) for r in rows), default=0)
    expr_width = max((len(r[1]) for r in rows), default=0)
    shape_width = max((len(str(shape_of(r[2]))) for r in rows), default=0)
    title = f"graph {graph.name}" if graph.name else "graph"
    args = ", ".join(graph.name_of(v) for v in graph.inputs)
    lines = [f"{title}({args}):"]
    for name, expr, variable, where in rows:
        line = (f"    {name:<{name_width}} = {expr:<{expr_width}}  "
                f"{str(shape_of(variable)):<{shape_width}}  {dtype_of(variable)}")
        lines.append(line + (f"  # {where}" if where else ""))
    lines.append(f"    return {', '.join(graph.name_of(v) for v in graph.outputs)}")
    return "\n".join(lines)
