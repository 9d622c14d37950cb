"""What a translation gets: `g`, the builder for one operator node's ONNX form.

A translation is a function `(node, g) -> str` (in autograd.export.translations for the
built-in operators, or an operator's own `onnx` static method): it reads the node's
inputs and parameters through `g`, emits ONNX nodes with `g.op(...)` and returns the name
of the value that is the operator's output. One emitted node becomes one node of the
model, named like the listing's line; several become one call of a model-local ONNX
function, so the model's graph still has one node per operator of the listing.
"""

from __future__ import annotations

import numpy as np
from onnx import TensorProto, helper, numpy_helper

ONNX_DTYPES = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.float64): TensorProto.DOUBLE,
               np.dtype(np.float16): TensorProto.FLOAT16, np.dtype(np.int64): TensorProto.INT64,
               np.dtype(np.int32): TensorProto.INT32, np.dtype(np.int8): TensorProto.INT8,
               np.dtype(np.uint8): TensorProto.UINT8, np.dtype(np.bool_): TensorProto.BOOL}


class ExportError(ValueError):
    """The function or model cannot be written as ONNX: the message names the operator,
    the line of your code that created it, and what to do."""


def onnx_dtype(dtype) -> int:
    """The ONNX element type of a numpy dtype (TypeError for one ONNX cannot hold)."""
    dtype = np.dtype(dtype)
    if dtype not in ONNX_DTYPES:
        raise TypeError(f"export: dtype {dtype} has no ONNX element type; use float32 or "
                        "float64 (int64 for labels and indices)")
    return ONNX_DTYPES[dtype]


class Params(dict):
    """A node's parameters that remember which ones the translation read: a parameter it
    read must not depend on the inputs' values or on a dynamic axis (the export compares
    it across traces), one it never read does not matter to the model."""

    def __init__(self, params):
        super().__init__(params or {})
        self.read: set = set()

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self.read.add(key)
        return super().get(key, default)


class Builder:
    """`g`: one operator node's inputs, parameters and shapes, and the ONNX nodes emitted.

    inputs(i)/input(i, dtype)  the ONNX value name of input i (cast to `dtype` if given)
    params                     the node's parameters (apply's keyword arguments)
    shape(i), out_shape        shapes from the trace; a dynamic axis is None
    dtype(i), out_dtype        numpy dtypes
    op(op_type, *inputs, **attributes) -> output name    emit an ONNX node
    constant(value, dtype)     a constant value (initializer or Constant node)
    reduce(op_type, x, axes, keepdims)    a Reduce* node in the opset's spelling
    refuse(reason)             give up on this node with a reason (ExportError)
    """

    def __init__(self, exporter, node, position: int):
        self._exporter = exporter
        self.node = node
        self.params = Params(node.params)
        self.opset = exporter.opset
        self.name = exporter.value_name(exporter.graph.output_of(node))
        self.nodes: list = []
        self.constants: list = []  # (name, array)
        self._position = position
        self._count = 0
        self.explained: set = set()  # parameters resolved to a graph input
        self.follows_axes: set = set()  # parameters translated for dynamic axes

    # -- reading the node -----------------------------------------------------------------

    @property
    def n_inputs(self) -> int:
        return len(self.node.inputs)

    def input(self, i: int, dtype=None) -> str:
        """Input i's value name; cast to `dtype` first when its dtype differs (a constant
        is stored in that dtype instead of being cast)."""
        return self._exporter.input_value(self, self.node.inputs[i], dtype)

    def constant_value(self, i: int):
        """Input i's data when it is a constant of the graph (not a model input, a
        parameter or a computed value), else None."""
        return self._exporter.constant_data(self.node.inputs[i])

    def shape(self, i: int) -> tuple:
        return self._exporter.shape_of(self.node.inputs[i])

    def dtype(self, i: int) -> np.dtype:
        return np.dtype(self.node.inputs[i].dtype)

    @property
    def out_shape(self) -> tuple:
        return self._exporter.shape_of(self._exporter.graph.output_of(self.node))

    @property
    def out_dtype(self) -> np.dtype:
        return np.dtype(self._exporter.graph.output_of(self.node).dtype)

    def varying(self, key) -> tuple:
        """(value here, value in the trace with the dynamic axes changed) of parameter
        `key`, for a translation that makes it follow the dynamic axes (ONNX's 0 / −1 in
        a shape); it is then not compared with that trace (still with other values)."""
        self.follows_axes.add(key)
        other = self._exporter.other_params(self._position, "dynamic")
        here = dict.__getitem__(self.params, key)
        return here, (dict.__getitem__(other, key) if other is not None else here)

    def copies_input_axis(self, i: int, axis: int, here: int, there: int) -> bool:
        """Whether sizes `here` / `there` (this trace / the one with the dynamic axes
        changed) are input i's sizes along `axis` in both."""
        ours = self.node.inputs[i].shape
        theirs = self._exporter.other_input_shape(self._position, i)
        return axis < len(ours) and ours[axis] == here and theirs[axis] == there

    def input_for(self, key, derive=lambda value: value) -> str | None:
        """The name of an integer graph input equal to derive(params[key]) in every trace
        (class labels, indices), or None: a parameter the function computed from that
        input stays an input of the model instead of a frozen constant."""
        found = self._exporter.matching_input(self._position, key, derive)
        if found is not None:
            self.explained.add(key)
        return found

    def refuse(self, reason: str):
        raise ExportError(self._exporter.refusal(self.node, reason))

    # -- emitting ------------------------------------------------------------------------

    def fresh(self) -> str:
        self._count += 1
        return f"{self.name}/{self._count}"

    def op(self, op_type: str, *inputs, outputs: int = 1, **attributes):
        """Emit an ONNX node; its output name (a tuple of them for outputs > 1). An input
        given as None is an omitted optional input."""
        names = [self.fresh() for _ in range(outputs)]
        inputs = ["" if value is None else value for value in inputs]
        self.nodes.append(helper.make_node(op_type, inputs, names, **attributes))
        return names[0] if outputs == 1 else tuple(names)

    def constant(self, value, dtype=None) -> str:
        """A constant (number or array) as a value name, in `dtype` (default: the
        operator's output dtype for floats, int64 for ints, bool for bools)."""
        array = np.asarray(value)
        if dtype is None:
            kind = array.dtype.kind
            dtype = self.out_dtype if kind == "f" else np.int64 if kind in "iu" else array.dtype
        name = self.fresh()
        self.constants.append((name, np.array(array, dtype=dtype, order="C")))
        return name

    def ints(self, values) -> str:
        """A 1-d int64 constant (shapes, axes, starts and ends)."""
        return self.constant(np.asarray(list(values), dtype=np.int64).reshape(-1), np.int64)

    def reduce(self, op_type: str, x: str, axes, keepdims: bool) -> str:
        """ReduceSum/Mean/Max/... over `axes` (None: every axis): axes is an input from
        opset 18 on (ReduceSum: 13), an attribute before."""
        keep = int(bool(keepdims))
        if axes is None:
            return self.op(op_type, x, keepdims=keep)
        if op_type == "ReduceSum" or self.opset >= 18:
            return self.op(op_type, x, self.ints(axes), keepdims=keep)
        return self.op(op_type, x, axes=list(axes), keepdims=keep)


def tensor_proto(name: str, array) -> object:
    """An initializer (or Constant value) holding `array`."""
    array = np.asarray(array)
    onnx_dtype(array.dtype)  # a clear TypeError for a dtype ONNX cannot hold
    return numpy_helper.from_array(array, name)
