"""autograd.export.onnx: trace one forward pass and write it as an ONNX model.

The traced Graph (autograd.graph) is the model: its listing's names become the ONNX value
and node names, one ONNX node per operator (a translation that needs several ONNX
operators becomes one call of a model-local function, domain "tracegrad"), parameters
become initializers named by module path. The function is traced three times: on the
example inputs, on the same shapes with other values (a parameter that changed was
computed from the inputs outside the graph, and ONNX would freeze it), and, with
dynamic_axes, on other sizes along those axes (a shape that changed must be expressible
with ONNX's 0 / −1 conventions).
"""

from __future__ import annotations

import contextlib
import linecache
import os
import warnings

import numpy as np
import onnx as onnx_package
from onnx import helper

from ..anomaly import detect_anomaly
from ..graph import shape_of, trace
from ..tensor import Tensor
from .builder import Builder, ExportError, onnx_dtype, tensor_proto
from .translations import REFUSED, translation_of

DOMAIN = "tracegrad"  # the model-local functions' domain


def onnx(model, example_inputs, path=None, *, input_names=None, output_names=None,
         dynamic_axes=None, opset: int = 17, check: bool = True):
    """Trace `model(*example_inputs)` once and write it as an ONNX model to `path`.

    model            a function of Tensors, or an nn.Module
    example_inputs   a Tensor or array, or a tuple of them: the inputs of one call
    path             the .onnx file to write (None: only return the model)
    input_names, output_names   value names (default: the tensors' own `name`, else the
                     listing's x0, x1, ... and t7)
    dynamic_axes     {name: {axis: "batch"}} or {name: [axis, ...]} (PyTorch's form): axes
                     whose size may change at run time
    opset            the ONNX opset (17 or later)
    check            run onnx.checker.check_model on the result

    Returns the onnx.ModelProto. Raises ExportError (a ValueError) naming the operator
    and the line of your code that created it when an operator has no ONNX equivalent or
    the function cannot be exported faithfully.
    """
    if not callable(model):
        raise TypeError(f"export.onnx: model must be a function or an nn.Module, got "
                        f"{type(model).__name__}")
    if not isinstance(opset, int) or opset < 17:
        raise ValueError(f"export.onnx: opset must be an int ≥ 17, got {opset!r}")
    inputs = _as_inputs(example_inputs)
    with _evaluation_mode(model):
        exporter = _Exporter(model, inputs, opset, input_names, output_names, dynamic_axes)
    proto = exporter.build()
    if check:
        onnx_package.checker.check_model(proto, full_check=True)
    if path is not None:
        _write(proto, path)
    return proto


@contextlib.contextmanager
def _evaluation_mode(model):
    """A module is exported as it predicts (PyTorch's default, TrainingMode.EVAL): in
    evaluation mode, each submodule's own mode restored afterwards. The export runs the
    model three times, so training-mode side effects would also happen three times."""
    modules = list(model.modules()) if callable(getattr(model, "modules", None)) else []
    modes = [(module, getattr(module, "training", None)) for module in modules]
    if callable(getattr(model, "eval", None)):
        model.eval()
    try:
        yield
    finally:
        for module, mode in modes:
            if mode is not None:
                object.__setattr__(module, "training", mode)


def _as_inputs(example_inputs) -> tuple:
    values = example_inputs if isinstance(example_inputs, (tuple, list)) else (example_inputs,)
    inputs = []
    for i, value in enumerate(values):
        if isinstance(value, Tensor):
            inputs.append(value)
        elif isinstance(value, (np.ndarray, float, int)) and not isinstance(value, bool):
            inputs.append(Tensor(value))
        else:
            raise TypeError(f"export.onnx: example input {i} is a {type(value).__name__}; "
                            "give Tensors or numpy arrays (a tuple of them for several "
                            "inputs)")
    if not inputs:
        raise ValueError("export.onnx: example_inputs is empty; give the inputs of one call")
    return tuple(inputs)


def _write(proto, path) -> None:
    """Write whole or not at all: a temporary file renamed over `path`."""
    path = os.fspath(path)
    temporary = f"{path}.part"
    with open(temporary, "wb") as file:
        file.write(proto.SerializeToString())
    os.replace(temporary, path)


class _Exporter:
    def __init__(self, model, inputs, opset, input_names, output_names, dynamic_axes):
        self.model, self.inputs, self.opset = model, inputs, opset
        self.filled: dict = {}  # id(constant) -> (value, sizes) made at run time
        self.input_ids = {id(x) for x in inputs}
        self.graph = self._trace(inputs, "the example inputs")
        self.ops = list(self.graph)
        self.names = self._names(input_names, output_names)
        self.dynamic = self._dynamic_axes(dynamic_axes)
        self.other = {"values": self._retrace_with_other_values()}
        self.other["dynamic"] = self._retrace_with_other_sizes() if self.dynamic else None
        self.other_ops = {which: list(graph) if graph is not None else None
                          for which, graph in self.other.items()}
        self.symbols = self._symbols()
        self.initializers: dict = {}  # (id(variable), dtype) -> name
        self.initializer_protos: list = []
        self.functions: dict = {}  # body key -> FunctionProto

    # -- tracing ----------------------------------------------------------------------

    def _trace(self, inputs, what):
        """The Graph of one call; sites recorded (detect_anomaly without forward checks)."""
        label = getattr(self.model, "__name__", type(self.model).__name__)
        try:
            with detect_anomaly(forward=False), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                with np.errstate(all="ignore"):
                    graph = trace(self.model, *inputs)
        except TypeError as error:
            if "nothing to trace" in str(error):
                raise TypeError(f"export.onnx: {error}; a model must compute with "
                                "tracegrad operators and return Tensors") from None
            error.add_note(_calling(label, inputs, what))
            raise
        except Exception as error:
            error.add_note(_calling(label, inputs, what))
            raise
        for output in graph.outputs:
            if graph.producer_of(output) is None:
                raise ExportError(
                    f"export.onnx: output {graph.name_of(output)} of {label} was not computed "
                    "by an operator from the inputs (a constant, or computed outside the "
                    "graph with .data or numpy); ONNX would freeze it")
        return graph

    def _retrace_with_other_values(self):
        """The graph on inputs of the same shapes and other values: floats reversed in
        memory order, integers and booleans (labels, indices, masks) rolled along their
        first axis, so they stay valid labels and indices but sit elsewhere."""
        changed = []
        for x in self.inputs:
            data = x.data
            if data.dtype.kind == "f" and data.size > 1:
                other = data.reshape(-1)[::-1].reshape(data.shape)
                if np.array_equal(other, data, equal_nan=True):
                    other = data * 1.5 + 0.25
                data = other
            elif data.dtype.kind in "iub" and data.ndim:
                data = np.roll(data, 1, axis=0)
            changed.append(Tensor(np.array(data), name=x.name))
        graph = self._trace(changed, "inputs of other values")
        return self._aligned(graph, "other input values", sizes=False)

    def _retrace_with_other_sizes(self):
        changed = []
        for x in self.inputs:
            axes = self.dynamic.get(id(x), {})
            data = x.data
            for axis in axes:
                data = np.concatenate([data, data.take([0], axis=axis)], axis=axis)
            changed.append(Tensor(data, name=x.name))
        graph = self._trace(changed, "inputs one longer along each dynamic axis")
        return self._aligned(graph, "other sizes along the dynamic axes", sizes=True)

    def _aligned(self, other, why, sizes):
        """other's operations, checked to be the same program as the first trace's."""
        mine, theirs = self.ops, list(other)
        for a, b in zip(mine, theirs):
            if a.node.op is not b.node.op or len(a.inputs) != len(b.inputs):
                raise ExportError(self.refusal(
                    a.node, f"with {why} the function recorded {b.name} here instead: its "
                    "operations depend on the inputs (Python control flow on values or "
                    "shapes, or randomness such as dropout in training mode: call "
                    "model.eval()), and ONNX would freeze one branch"))
            for i, (x, y) in enumerate(zip(a.inputs, b.inputs)):
                self._check_same_source(a, i, x, y, other, why, sizes)
        if len(mine) != len(theirs):
            raise ExportError(f"export.onnx: with {why} the function recorded "
                              f"{len(theirs)} operators instead of {len(mine)}: its "
                              "operations depend on the inputs, and ONNX would freeze one")
        return other

    def _check_same_source(self, a, i, x, y, other, why, sizes):
        kind = self.graph.kind_of(x)
        if kind != "constant":
            return
        if sizes and other.kind_of(y) == "constant" and self._filled_along_dynamic_axes(x, y):
            return
        if other.kind_of(y) != "constant" or shape_of(x) != shape_of(y) or not np.array_equal(
                x.data, y.data, equal_nan=True):
            name = self.graph.name_of(x)
            raise ExportError(self.refusal(
                a.node, f"its input {i}, the constant {name} of shape {shape_of(x)}, changed "
                f"with {why}: it was computed from the inputs outside the graph (.data, "
                "numpy, a Tensor built inside the function) or is random (dropout in "
                "training mode: call model.eval()), so ONNX would freeze it; compute it "
                "with tracegrad operators"))

    def _filled_along_dynamic_axes(self, x, y) -> bool:
        """Whether constant x is one value repeated (zeros(batch, n), the usual initial
        state) whose shape follows dynamic input axes: it is then made at run time from
        the input's shape (Expand), not frozen."""
        if np.ndim(x.data) != np.ndim(y.data) or np.size(x.data) == 0:
            return False
        first = np.asarray(x.data).reshape(-1)[0]
        if not (np.all(x.data == first) and np.all(y.data == first)):
            return False
        sources = []
        for a, b in zip(shape_of(x), shape_of(y)):
            if a == b:
                sources.append(a)
                continue
            match = [(v, ax) for v in self.inputs for ax in self.dynamic.get(id(v), {})
                     if shape_of(v)[ax] == a and a + 1 == b]
            if not match:
                return False
            sources.append(match[0])
        self.filled[id(x)] = (first, sources)
        return True

    def _filled(self, builder, variable, dtype) -> str:
        """A repeated-value constant made at run time: Expand(value, shape), the shape's
        dynamic sizes read from the inputs (Shape, Gather)."""
        value, sources = self.filled[id(variable)]
        parts = []
        for source in sources:
            if isinstance(source, tuple):
                x, axis = source
                shape = builder.op("Shape", self.value_name(x))
                parts.append(builder.op("Gather", shape, builder.ints([axis]), axis=0))
            else:
                parts.append(builder.ints([source]))
        shape = builder.op("Concat", *parts, axis=0) if parts else builder.ints([])
        return builder.op("Expand", builder.constant(np.asarray(value), dtype), shape)

    # -- names and axes ---------------------------------------------------------------

    def _names(self, input_names, output_names) -> dict:
        names = {id(v): self.graph.name_of(v) for v in self.graph.variables}
        for given, values, what in ((input_names, self.inputs, "input_names"),
                                    (output_names, self.graph.outputs, "output_names")):
            if given is None:
                continue
            given = list(given)
            if len(given) != len(values) or not all(isinstance(n, str) and n for n in given):
                raise ValueError(f"export.onnx: {what} must be {len(values)} non-empty "
                                 f"strings (one per {what[:-6]}), got {given!r}")
            for value, name in zip(values, given):
                names[id(value)] = name
        if len(set(names.values())) != len(names):
            seen = [n for n in names.values() if list(names.values()).count(n) > 1]
            raise ValueError(f"export.onnx: the name {seen[0]!r} is given to two values")
        return names

    def value_name(self, variable) -> str:
        return self.names[id(self.graph.canonical(variable))]

    def _dynamic_axes(self, dynamic_axes) -> dict:
        """{id(input): {axis: symbol}} from PyTorch's {name: {axis: symbol} | [axes]}."""
        self.output_symbols: dict = {}
        if not dynamic_axes:
            return {}
        by_name = {self.value_name(x): x for x in self.inputs}
        by_name_out = {self.value_name(y): y for y in self.graph.outputs}
        dynamic = {}
        for name, axes in dynamic_axes.items():
            value = by_name.get(name, by_name_out.get(name))
            if value is None:
                raise ValueError(f"export.onnx: dynamic_axes names {name!r}, which is neither "
                                 f"an input ({', '.join(by_name)}) nor an output "
                                 f"({', '.join(by_name_out)})")
            if not isinstance(axes, dict):
                axes = {axis: f"{name}_dim{axis}" for axis in axes}
            ndim = len(shape_of(value))
            fixed = {}
            for axis, symbol in axes.items():
                if not isinstance(axis, int) or not -ndim <= axis < ndim:
                    raise ValueError(f"export.onnx: dynamic axis {axis!r} of {name!r} is out "
                                     f"of range for its shape {shape_of(value)}")
                fixed[axis % ndim] = str(symbol)
            target = dynamic if name in by_name else self.output_symbols
            target[id(value)] = fixed
        return dynamic

    def _symbols(self) -> dict:
        """{id(variable): {axis: symbol or ""}} for every value with a dynamic axis."""
        other = self.other["dynamic"]
        if other is None:
            return {}
        pairs = {}  # (size here, size there) -> symbol, from the inputs
        for x in self.inputs:
            for axis, symbol in self.dynamic.get(id(x), {}).items():
                pairs.setdefault((shape_of(x)[axis], shape_of(x)[axis] + 1), symbol)
        mine = list(self.graph.inputs) + [op.output for op in self.ops]
        theirs = list(other.inputs) + [op.output for op in other]
        symbols = {}
        for x, y in zip(mine, theirs):
            changed = {axis: pairs.get((a, b), "") for axis, (a, b) in
                       enumerate(zip(shape_of(x), shape_of(y))) if a != b}
            if changed:
                symbols[id(x)] = changed
        for y, given in self.output_symbols.items():
            if y in symbols:
                symbols[y].update({axis: s for axis, s in given.items() if axis in symbols[y]})
        return symbols

    def shape_of(self, variable) -> tuple:
        """The traced shape with None at each dynamic axis."""
        dynamic = self.symbols.get(id(self.graph.canonical(variable)), {})
        return tuple(None if axis in dynamic else n
                     for axis, n in enumerate(shape_of(variable)))

    def other_params(self, position, which):
        ops = self.other_ops[which]
        return None if ops is None else ops[position].node.params

    def other_input_shape(self, position, i):
        """Input i's shape in the trace with the dynamic axes changed."""
        ops = self.other_ops["dynamic"] or self.ops
        return shape_of(ops[position].inputs[i])

    def matching_input(self, position, key, derive):
        """An integer or boolean input equal to derive(params[key]) in every trace (the
        traces differ in those inputs, so a coincidence does not match), or None."""
        for x_index, x in enumerate(self.inputs):
            if x.data.dtype.kind not in "iub":
                continue
            traces = [(self.ops, self.inputs)] + [
                (self.other_ops[which], graph.inputs) for which, graph in self.other.items()
                if graph is not None]
            if all(_derived_equals(ops[position].node.params, key, derive, inputs[x_index])
                   for ops, inputs in traces):
                return self.value_name(x)
        return None

    def refusal(self, node, reason: str) -> str:
        output = self.graph.output_of(node)
        site = getattr(node, "site", None)
        where = ""
        if site is not None:
            filename, line, function = site
            text = linecache.getline(filename, line).strip()
            where = f" (created at {filename}:{line}, in {function})"
            reason += f"\n    {line} | {text}" if text else ""
        return (f"export.onnx: operator '{node.op.name}' making {self.value_name(output)} "
                f"{shape_of(output)}{where}: {reason}")

    # -- values -------------------------------------------------------------------------

    def constant_data(self, variable):
        variable = self.graph.canonical(variable)
        return variable.data if self.graph.kind_of(variable) == "constant" else None

    def input_value(self, builder, variable, dtype) -> str:
        variable = self.graph.canonical(variable)
        # an example input that requires grad is still the model's input, not a weight
        kind = "input" if id(variable) in self.input_ids else self.graph.kind_of(variable)
        own = np.dtype(variable.dtype)
        if id(variable) in self.filled:
            return self._filled(builder, variable, np.dtype(dtype or own))
        if kind == "constant" and dtype is not None and np.dtype(dtype).kind == "f" and \
                own.kind in "biuf":  # 2 in x * 2 is stored as x's float, not cast at run time
            return self._initializer(variable, np.dtype(dtype))
        name = self._initializer(variable, own) if kind in ("constant", "parameter") \
            else self.value_name(variable)
        if dtype is not None and np.dtype(dtype) != own:
            return builder.op("Cast", name, to=onnx_dtype(dtype))
        return name

    def _initializer(self, variable, dtype) -> str:
        key = (id(variable), dtype)
        if key not in self.initializers:
            name = self.value_name(variable)
            if name in self.initializers.values() or (dtype != np.dtype(variable.dtype)):
                name = f"{name}.{dtype}"
            self.initializers[key] = name
            data = np.asarray(variable.data, dtype=dtype)
            self.initializer_protos.append(tensor_proto(name, data))
        return self.initializers[key]

    # -- the model ----------------------------------------------------------------------

    def build(self):
        nodes = []
        for position, op in enumerate(self.ops):
            nodes.append(self._translate(position, op))
        inputs = [self._value_info(x) for x in self.inputs]
        outputs = [self._value_info(y) for y in self.graph.outputs]
        inner = [self._value_info(op.output) for op in self.ops
                 if not any(op.output is y for y in self.graph.outputs)]
        graph = helper.make_graph(nodes, self.graph.name or "tracegrad", inputs, outputs,
                                  self.initializer_protos, value_info=inner)
        opsets = [helper.make_opsetid("", self.opset)]
        if self.functions:
            opsets.append(helper.make_opsetid(DOMAIN, 1))
        model = helper.make_model(graph, opset_imports=opsets, producer_name="tracegrad",
                                  functions=list(self.functions.values()))
        model.ir_version = min(model.ir_version, 8 if self.opset <= 17 else 9)
        return model

    def _value_info(self, variable):
        shape = shape_of(variable)
        dynamic = self.symbols.get(id(variable), {})
        dims = [dynamic[axis] if axis in dynamic else n for axis, n in enumerate(shape)]
        dims = [None if d == "" else d for d in dims]
        return helper.make_tensor_value_info(self.value_name(variable),
                                             onnx_dtype(variable.dtype), dims)

    def _translate(self, position, op):
        translation = translation_of(op.node.op)
        if translation is None:
            raise ExportError(self.refusal(op.node, _no_translation(op.node.op)))
        builder = Builder(self, op.node, position)
        result = translation(op.node, builder)
        if not isinstance(result, str):
            raise TypeError(f"export.onnx: the ONNX translation of '{op.name}' returned "
                            f"{type(result).__name__}, not the output's value name (g.op's "
                            "result)")
        self._check_params(position, op, builder)
        produced = {name for node in builder.nodes for name in node.output}
        if result not in produced:
            result = builder.op("Identity", result)
        if len(builder.nodes) == 1:
            return self._single(builder, result)
        return self._call(builder, result, op)

    def _check_params(self, position, op, builder):
        for which, why in (("values", "the inputs' values"), ("dynamic", "a dynamic axis")):
            if self.other[which] is None:
                continue
            theirs = self.other_params(position, which)
            skipped = builder.explained | (builder.follows_axes if which == "dynamic" else set())
            for key in sorted(builder.params.read - skipped):
                if not _same(dict.get(builder.params, key), theirs.get(key)):
                    hint = ("it was computed from the inputs outside the graph (a comparison "
                            "such as x > 0, .data, numpy) or is random (dropout in training "
                            "mode: call model.eval()), so ONNX would freeze the example's "
                            "value; compute it with operators (maximum, clip, relu) or use "
                            "a fixed mask") if which == "values" else (
                            "ONNX would freeze the example's size; leave that axis static "
                            "(drop it from dynamic_axes)")
                    raise ExportError(self.refusal(
                        op.node, f"its parameter {key!r} changes with {why}: {hint}"))

    def _single(self, builder, result):
        (node,) = builder.nodes
        node.output[list(node.output).index(result)] = builder.name
        node.name = builder.name
        for name, array in builder.constants:
            self.initializer_protos.append(tensor_proto(name, array))
        return node

    def _call(self, builder, result, op):
        """The emitted nodes as a model-local function, and one node calling it."""
        constants = {name for name, _ in builder.constants}
        made = {name for node in builder.nodes for name in node.output}
        outer = []
        for node in builder.nodes:
            for name in node.input:
                if name and name not in made and name not in constants and name not in outer:
                    outer.append(name)
        rename = {name: f"x{i}" for i, name in enumerate(outer)}
        rename[result] = "out"
        counter = iter(range(10 ** 6))
        for name in [n for n, _ in builder.constants] + [
                n for node in builder.nodes for n in node.output]:
            rename.setdefault(name, f"v{next(counter)}")
        body = [helper.make_node("Constant", [], [rename[name]], value=tensor_proto(
            rename[name], array)) for name, array in builder.constants]
        for node in builder.nodes:
            copy = helper.make_node(node.op_type, [rename.get(n, n) if n else "" for n in
                                                   node.input],
                                    [rename[n] for n in node.output])
            copy.attribute.extend(node.attribute)
            body.append(copy)
        key = (op.name, len(outer), tuple(n.SerializeToString() for n in body))
        if key not in self.functions:
            taken = {f.name for f in self.functions.values()}
            fname, n = op.name, 1
            while fname in taken:
                n += 1
                fname = f"{op.name}_{n}"
            self.functions[key] = helper.make_function(
                DOMAIN, fname, list(rename[n] for n in outer), ["out"], body,
                [helper.make_opsetid("", self.opset)])
        function = self.functions[key]
        return helper.make_node(function.name, outer, [builder.name], name=builder.name,
                                domain=DOMAIN)


def _no_translation(op) -> str:
    reason = REFUSED.get(op)
    if reason:
        return f"it has no ONNX equivalent: {reason}"
    return ("it has no ONNX translation; give its class a static method onnx(node, g) "
            "that emits ONNX nodes (autograd.export's docs show one)")


def _derived_equals(params, key, derive, x) -> bool:
    """Whether derive(params[key]) is the integer input x's data."""
    try:
        value = np.asarray(derive(params[key]))
    except (TypeError, ValueError, IndexError):
        return False
    return value.shape == x.data.shape and np.array_equal(value, x.data)


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(
            a, b, equal_nan=a.dtype.kind == "f")
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def _calling(label, inputs, what) -> str:
    shapes = ", ".join(f"{x.dtype}{list(x.shape)}" for x in inputs)
    return f"export.onnx: raised while tracing {label}({shapes}) on {what}"
