"""Export traced computations to ONNX, so ONNX Runtime (or any ONNX engine) runs them.

    import autograd.export
    autograd.export.onnx(model, x, "model.onnx", input_names=["x"],
                         dynamic_axes={"x": {0: "batch"}})

Needs the optional `onnx` package: pip install tracegrad[export] (which also brings
onnxruntime to run the file). docs/export.md shows a model's picture beside its ONNX graph;
docs/design.md ("Export") lists which operator becomes which ONNX operator.
"""

try:
    import onnx as _onnx  # noqa: F401 - fail here, with the extra's name, not deep inside
except ImportError as error:
    raise ImportError(
        "autograd.export needs the onnx package, which tracegrad does not install by "
        "default: pip install tracegrad[export] (onnx, and onnxruntime to run the model)"
    ) from error

from .builder import Builder, ExportError
from .translations import REFUSED, TRANSLATIONS, describe, translates, translation_of
from .writer import onnx

__all__ = ["onnx", "ExportError", "Builder", "translates", "translation_of", "describe",
           "TRANSLATIONS", "REFUSED"]
