"""Every operator is covered by an ONNX translation or refused with a reason (the table
in docs/design.md is generated from the same data), and random programs over all of
them (the gradient fuzzer's, tests/reliability/test_fuzz.py) run on ONNX Runtime with
tracegrad's results."""

import os
import pathlib
import sys

import numpy as np
import onnxruntime as ort
import pytest
from hypothesis import HealthCheck, given, note, settings
from onnx.reference import ReferenceEvaluator
from onnxruntime.capi.onnxruntime_pybind11_state import NotImplemented as NotImplementedKernel

import autograd.export
from autograd import Tensor, ops
from autograd.export import ExportError, describe
from nn.activations import Erf, LeakyRelu
from nn.losses import BinaryCrossEntropy, BinaryCrossEntropyWithLogits, CrossEntropy

_FUZZ = str(pathlib.Path(__file__).resolve().parents[1] / "reliability")
if _FUZZ not in sys.path:  # the suite's importlib mode does not add it by itself
    sys.path.insert(0, _FUZZ)
from test_fuzz import programs  # noqa: E402

NN_OPERATORS = (LeakyRelu, Erf, CrossEntropy, BinaryCrossEntropy, BinaryCrossEntropyWithLogits)
EVERY_OPERATOR = tuple(ops.ALL_OPERATORS) + NN_OPERATORS
EXAMPLES = int(os.environ.get("TRACEGRAD_EXPORT_FUZZ_EXAMPLES", "100"))


def operator_table() -> str:
    """The Markdown table of docs/design.md's export section."""
    rows = ["| operator | ONNX |", "|---|---|"]
    for op in EVERY_OPERATOR:
        status, what = describe(op)
        what = what if status == "covered" else "refused: " + what
        rows.append(f"| `{op.name}` | {what.replace('|', chr(92) + '|')} |")
    return "\n".join(rows)


def test_every_operator_is_covered_or_refused_with_a_reason():
    for op in EVERY_OPERATOR:
        status, what = describe(op)
        assert status in ("covered", "refused") and what, op.__name__
        assert what != "no ONNX translation", f"{op.__name__}: translate it or refuse it"


def test_design_md_table_is_the_generated_one():
    design = (pathlib.Path(__file__).resolve().parents[2] / "docs" / "design.md").read_text()
    assert operator_table() in design, (
        "docs/design.md's export table is out of date; paste this:\n" + operator_table())


# ONNX defines these for float64, onnxruntime's CPU provider has no float64 kernel (1.32);
# docs/design.md says so. Programs using them are checked with onnx's reference runtime.
ORT_WITHOUT_FLOAT64 = {"Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh",
                       "Acosh", "Atanh", "Erf", "Conv", "ConvTranspose", "AveragePool"}
REFUSED_NAMES = {op.name for op in EVERY_OPERATOR if describe(op)[0] == "refused"}


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(program=programs())
def test_random_programs_run_on_onnxruntime_as_in_tracegrad(program):
    note(program.listing())
    leaves = [Tensor(leaf) for leaf in program.leaves]
    used = {step.label.split("[")[0] for step in program.steps}
    refused = bool(used & REFUSED_NAMES)
    longdouble = any("longdouble" in step.label for step in program.steps)
    if refused or longdouble:  # whichever comes first in the program is the error
        with pytest.raises((ExportError, TypeError)) as info:
            autograd.export.onnx(program, leaves)
        assert refused and "no ONNX equivalent" in str(info.value) or longdouble and (
            "float128 has no ONNX element type" in str(info.value))
        return
    proto = autograd.export.onnx(program, leaves)
    feed = {i.name: leaf for i, leaf in zip(proto.graph.input, program.leaves)}
    try:
        session = ort.InferenceSession(proto.SerializeToString(),
                                       providers=["CPUExecutionProvider"])
        theirs = session.run(None, feed)
    except NotImplementedKernel as error:
        kernel = str(error).split("implementation for ")[1].split("(")[0]
        assert kernel in ORT_WITHOUT_FLOAT64, error
        theirs = ReferenceEvaluator(proto).run(None, feed)  # onnx's own semantics
    ours = program(*leaves)
    assert len(theirs) == len(ours)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(b, a.data, rtol=1e-9, atol=1e-10)


def write_table_into_design_md():
    """Replace docs/design.md's export table with the generated one (run this file)."""
    path = pathlib.Path(__file__).resolve().parents[2] / "docs" / "design.md"
    text = path.read_text(encoding="utf-8")
    start = text.index("| operator | ONNX |")
    end = text.find("\n\n", start)
    end = len(text.rstrip("\n")) if end < 0 else end
    path.write_text(text[:start] + operator_table() + text[end:].rstrip("\n") + "\n",
                    encoding="utf-8")


if __name__ == "__main__":  # python tests/export/test_onnx_operators.py
    write_table_into_design_md()
