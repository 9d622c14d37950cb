"""Regenerate the example pictures in docs/images (needs Graphviz's `dot`).

    python docs/images/make_images.py

The Tensor MLP groups its layers with autograd.graph.scope directly, so the pictures
depend on autograd alone; an nn.MLP call opens the same scopes.
"""

from pathlib import Path

import numpy as np

from autograd import Scalar, Tensor, viz
from autograd.graph import scope

HERE = Path(__file__).parent


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


def main():
    viz.forward_graph(neuron(), title="o = tanh(x1·w1 + x2·w2 + b)").save(
        HERE / "neuron_forward.svg")
    viz.gradient_flow(neuron(), run_backward=True, title="gradient flow of o").save(
        HERE / "neuron_gradient_flow.svg")
    viz.forward_graph(tensor_mlp(), title="a 3-4-2 MLP and its MSE loss").save(
        HERE / "mlp_forward.svg")
    steps = viz.backward_steps(neuron())
    steps[3].save(HERE / "neuron_backward_step3.svg")
    for name in ("neuron_forward", "neuron_gradient_flow", "mlp_forward",
                 "neuron_backward_step3"):
        print(HERE / f"{name}.svg")


if __name__ == "__main__":
    main()
