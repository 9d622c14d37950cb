"""Regenerate docs/export.md's picture and listings (needs Graphviz's `dot`).

    python docs/images/export/make_images.py

A small classifier (nn.MLP 4 → 5 → 3, then softmax and the standard deviation of each
row's probabilities, which ONNX has no single operator for) is traced once: tracegrad's
picture (model.svg), its listing (listing.txt) and the ONNX model autograd.export writes
from the same trace, printed by onnx.printer (onnx.txt). tests/export/test_export_docs.py
regenerates them and fails when a committed file differs.
"""

import re
import sys
from pathlib import Path

import numpy as np
import onnx

import autograd
import autograd.export
import nn
from autograd import Tensor, viz

HERE = Path(__file__).parent


def example():
    """The model, its function and its named example input."""
    nn.manual_seed(0)
    model = nn.MLP(4, [5], 3)

    def classify(x):
        probabilities = model(x).softmax(axis=-1)
        probabilities.name = "probabilities"
        spread = probabilities.std(axis=-1)
        spread.name = "spread"
        return probabilities, spread

    x = Tensor(np.random.default_rng(0).normal(size=(2, 4)), name="x")
    return classify, x


def make(folder: Path) -> dict:
    """Write model.svg, listing.txt and onnx.txt into `folder`; returns their texts."""
    classify, x = example()
    graph = autograd.trace(classify, x)
    figure = viz.forward_graph(graph, rankdir="TB", title="tracegrad: classify(x)")
    viz.save(figure, folder / "model.svg")
    proto = autograd.export.onnx(classify, x, folder / "model.onnx",
                                 dynamic_axes={"x": {0: "batch"}})
    # initializers' values elided: the weights are not what the listing is for
    printed = re.sub(r"=\s+\{[^}]*\}", "= {…}", onnx.printer.to_text(proto))
    texts = {"listing.txt": str(graph), "onnx.txt": printed}
    for name, text in texts.items():
        (folder / name).write_text(text + "\n", encoding="utf-8")
    (folder / "model.onnx").unlink()  # the listing shows it; the file itself is not docs
    return texts


if __name__ == "__main__":
    make(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
