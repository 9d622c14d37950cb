"""Regenerate every picture in docs/images (needs Graphviz's `dot`).

    python docs/images/make_images.py

docs/images/demo/ holds what `make demo` draws with its default settings (the README's
pictures): its forward graph, gradient flow, whole model and listing, and one frame of
its backward-steps player. docs/images/export/ holds docs/export.md's picture of a small
classifier and the ONNX listing of the same trace. The pictures beside this script are
the study text's neuron and a small Tensor MLP, drawn with autograd alone (the MLP opens
the scopes an nn.MLP call would), a LeNet-style CNN and a hand-unrolled 2-layer RNN's
gradient flow (docs/design.md, pictures of layered networks).
tests/autograd/test_viz_doc_images.py regenerates them all and fails when a committed
picture differs from what the code draws today.
"""

import contextlib
import io
import re
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx

import autograd
import autograd.export
import nn
from autograd import Scalar, Tensor, stack, viz
from autograd.graph import scope
from nn.datasets import load_digits

HERE = Path(__file__).parent
DEMO_FILES = ("forward.svg", "gradient_flow.svg", "model.svg", "listing.txt")


def neuron():
    """The study text's neuron: o = tanh(x1·w1 + x2·w2 + b)."""
    x1, x2 = Scalar(2.0, name="x1", requires_grad=False), Scalar(0.0, name="x2",
                                                                 requires_grad=False)
    w1, w2 = Scalar(-3.0, name="w1"), Scalar(1.0, name="w2")
    b = Scalar(6.8813735870195432, name="b")
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.name = "o"
    return o


def tensor_mlp():
    """A 3-4-2 MLP on a batch of 5, tanh hidden layer, mean squared error."""
    rng = np.random.default_rng(0)
    x = Tensor(rng.normal(size=(5, 3)), name="x")
    target = Tensor(rng.normal(size=(5, 2)), name="target")
    sizes = [(3, 4), (4, 2)]
    params = [(Tensor(rng.normal(size=(n_out, n_in)) / np.sqrt(n_in), requires_grad=True,
                      name=f"layers.{2 * i}.weight"),
               Tensor(np.zeros(n_out), requires_grad=True, name=f"layers.{2 * i}.bias"))
              for i, (n_in, n_out) in enumerate(sizes)]
    h = x
    with scope("MLP"):
        for i, (weight, bias) in enumerate(params):
            with scope(f"layers.{2 * i}: Linear"):
                h = h @ weight.T + bias
            if i < len(params) - 1:
                with scope(f"layers.{2 * i + 1}: Tanh"):
                    h = h.tanh()
    loss = ((h - target) ** 2).mean()
    loss.name = "loss"
    return loss


def lenet_loss():
    """A LeNet-style CNN of ten layers on 16 of the bundled 8×8 digits, untrained."""
    nn.manual_seed(0)
    images, labels = load_digits()
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    x = Tensor(images[:16].reshape(16, 1, 8, 8) / 16, name="digits")
    loss = nn.cross_entropy(model(x), labels[:16])
    loss.name = "loss"
    return loss


class HandRNN(nn.Module):
    """A 2-layer Elman RNN unrolled by hand as nn.RNN runs it, each step of layer l in
    scope("l{l} step"): h = tanh(x_t W_ihᵀ + b + h W_hhᵀ); a Linear head on the last h."""

    def __init__(self, sizes=(8, 16, 16), classes=4):
        super().__init__()
        self.ih = nn.ModuleList([nn.Linear(a, b) for a, b in zip(sizes, sizes[1:])])
        self.hh = nn.ModuleList([nn.Linear(b, b, bias=False) for b in sizes[1:]])
        self.head = nn.Linear(sizes[-1], classes)

    def forward(self, x):
        for layer, (ih, hh) in enumerate(zip(self.ih, self.hh)):
            h, outputs = Tensor(np.zeros((x.shape[1], hh.in_features)), name=f"l{layer} h0"), []
            for t in range(x.shape[0]):
                with scope(f"l{layer} step"):
                    h = (ih(x[t]) + hh(h)).tanh()
                outputs.append(h)
            x = stack(outputs)
        return self.head(h)


def rnn_loss():
    """HandRNN on 4 random sequences of 32 steps, untrained, and the cross-entropy."""
    nn.manual_seed(0)
    rng = np.random.default_rng(0)
    x = Tensor(rng.normal(size=(32, 4, 8)), name="sequences")
    loss = nn.cross_entropy(HandRNN()(x), rng.integers(0, 4, 4))
    loss.name = "loss"
    return loss


def demo_pictures(out: Path) -> list:
    """Run `make demo`'s program with its defaults and keep the README's files, plus the
    backward-steps player's last frame (the multiplication handing w1 its gradient)."""
    from nn import demo

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch, contextlib.redirect_stdout(io.StringIO()):
        demo.main(["--no-progress", "--out", scratch])
        for name in DEMO_FILES:
            shutil.copyfile(Path(scratch) / name, out / name)
    steps = demo.neuron_steps(0)
    steps[len(steps) - 1].save(out / "backward_step.svg")
    return [out / name for name in DEMO_FILES] + [out / "backward_step.svg"]


def main(out: Path = HERE) -> list:
    """Write every picture under `out` (docs/images by default); returns the paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = [
        viz.forward_graph(neuron(), title="o = tanh(x1·w1 + x2·w2 + b)").save(
            out / "neuron_forward.svg"),
        viz.gradient_flow(neuron(), run_backward=True, title="gradient flow of o").save(
            out / "neuron_gradient_flow.svg"),
        viz.forward_graph(tensor_mlp(), title="a 3-4-2 MLP and its MSE loss").save(
            out / "mlp_forward.svg"),
        viz.backward_steps(neuron())[3].save(out / "neuron_backward_step3.svg"),
        viz.forward_graph(lenet_loss(), title="a LeNet-style CNN, one box per layer").save(
            out / "layers_cnn.svg"),
        viz.gradient_flow(rnn_loss(), run_backward=True,
                          title="a 2-layer RNN over 32 steps after one backward").save(
            out / "layers_rnn_flow.svg"),
    ]
    return paths + demo_pictures(out / "demo") + export_pictures(out / "export")


def export_pictures(out: Path) -> list:
    """docs/export.md's picture and listings: a small classifier traced once, drawn by
    tracegrad, listed by tracegrad, and exported to ONNX (onnx.printer's listing)."""
    out.mkdir(parents=True, exist_ok=True)
    classify, x = export_example()
    graph = autograd.trace(classify, x)
    viz.forward_graph(graph, rankdir="TB", title="tracegrad: classify(x)").save(
        out / "model.svg")
    proto = autograd.export.onnx(classify, x, dynamic_axes={"x": {0: "batch"}})
    # the initializers' values elided: the weights are not what the listing is for
    printed = re.sub(r"=\s+\{[^}]*\}", "= {…}", onnx.printer.to_text(proto))
    for name, text in (("listing.txt", str(graph)), ("onnx.txt", printed)):
        (out / name).write_text(text + "\n", encoding="utf-8")
    return [out / "model.svg", out / "listing.txt", out / "onnx.txt"]


def export_example():
    """nn.MLP 4 → 5 → 3, then softmax and the standard deviation of each row's
    probabilities (which ONNX has no single operator for), and a named input."""
    nn.manual_seed(0)
    model = nn.MLP(4, [5], 3)

    def classify(x):
        probabilities = model(x).softmax(axis=-1)
        probabilities.name = "probabilities"
        spread = probabilities.std(axis=-1)
        spread.name = "spread"
        return probabilities, spread

    return classify, Tensor(np.random.default_rng(0).normal(size=(2, 4)), name="x")


if __name__ == "__main__":
    for path in main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE):
        print(path)
