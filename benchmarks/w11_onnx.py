"""W11 onnx: W3's network for inference, in tracegrad and exported to ONNX Runtime.

MLP 784→512→256→10 with ReLU, float32, batch 128, W3's weights, forward only (logits):

    z = relu(relu(x·W₁ᵀ + b₁)·W₂ᵀ + b₂)·W₃ᵀ + b₃

Milliseconds per batch. tracegrad runs the nn.Sequential of W3 under no_grad() (what a
user writes to predict); the model is exported once with autograd.export.onnx (a dynamic
batch axis, as make demo writes it) and run by onnxruntime's CPU provider with as many
threads as numpy's BLAS has (one under --threads 1), so the comparison is the engines',
not the thread counts'. The floor is the three GEMMs with bias and ReLU in numpy. What the
move buys a user is the onnxruntime column: tracegrad's time over ONNX Runtime's.
"""

from __future__ import annotations

import numpy as np

from autograd import Tensor, no_grad

from .harness import Config, Result, blas_threads, check_all_close, compare, optional_import
from .w3_mlp_step import ModuleMLP, problem

ID, NAME = "W11", "onnx"
MISSING = "not installed (pip install tracegrad[export])"


def numpy_forward(weights, x):
    h = x
    for depth, (W, b) in enumerate(weights):
        h = h @ W.T + b
        if depth < len(weights) - 1:
            h = np.maximum(h, 0)
    return h


def onnxruntime_session(ort, export, model, x, threads):
    """The model exported to ONNX in memory and an onnxruntime session on it."""
    proto = export.onnx(model, Tensor(x, name="x"), output_names=["logits"],
                        dynamic_axes={"x": {0: "batch"}})
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return ort.InferenceSession(proto.SerializeToString(), options,
                                providers=["CPUExecutionProvider"])


def run(config: Config) -> list[Result]:
    x, _, weights, sizes = problem(config)
    model = ModuleMLP(weights).model
    expected = numpy_forward(weights, x)
    x_tensor = Tensor(x)

    def tracegrad_forward():
        with no_grad():
            return model(x_tensor)

    worst = check_all_close("W11 tracegrad vs numpy floor", [tracegrad_forward().data],
                            [expected], rtol=2e-4, atol=1e-6)
    check = f"float32 logits equal to the floor (max diff {worst:.1e})"
    fns = {"tracegrad": tracegrad_forward, "floor": lambda: numpy_forward(weights, x)}
    peers = {}
    ort, export = optional_import("onnxruntime"), optional_import("autograd.export")
    threads = blas_threads()
    if ort is None or export is None:
        peers["onnxruntime"] = MISSING
    else:
        session = onnxruntime_session(ort, export, model, x, threads)
        (logits,) = session.run(None, {"x": x})
        worst = check_all_close("W11 onnxruntime vs numpy floor", [logits], [expected],
                                rtol=2e-4, atol=1e-6)
        check += f"; onnxruntime too ({worst:.1e})"
        fns["onnxruntime"] = lambda: session.run(None, {"x": x})
    times = compare(fns, config)
    ms = {name: timing.median * 1e3 for name, timing in times.items()}
    if "onnxruntime" in ms:
        peers["onnxruntime"] = ms["onnxruntime"]
    result = Result(ID, NAME, f"{'-'.join(map(str, sizes))}, batch {len(x)}, float32, "
                    "inference", "ms/batch", ms["tracegrad"], ms["floor"], peers, check,
                    "none: shows what exporting buys")
    result.extra = {"threads": threads, "timings": {k: v.as_dict() for k, v in times.items()}}
    return [result]
