"""W1 scalar_mlp: micrograd's own demo, one full-batch training step on Scalars.

An MLP 2→16→16→1 (ReLU hidden layers, linear output) built from one Scalar per weight,
on 100 two-moons points with labels ±1, trained on the SVM max-margin loss

    L = (1/n)·Σᵢ max(0, 1 − yᵢ·f(xᵢ)) + α·Σ_p p²,    α = 1e-4,

and one plain SGD update p ← p − η·∂L/∂p. Seconds per step (forward, backward, update).
micrograd is timed with the collector on and off (its nodes are reference cycles, so
most of its time goes to the collector). The numpy floor is the same network and loss
written as batched matrix products with a hand-derived backward.
"""

from __future__ import annotations

import numpy as np

from autograd import Scalar, topological_order
from nn.datasets import make_moons

from .harness import NOT_INSTALLED, Config, Result, check_all_close, compare, optional_import

ID, NAME = "W1", "scalar_mlp"
ALPHA = 1e-4
LEARNING_RATE = 0.05
TARGET_SECONDS = 0.135


def problem(config: Config):
    """Data, labels ±1 and initial weights [(W, b), ...] with W of shape (out, in)."""
    n_points, sizes = (12, (2, 4, 4, 1)) if config.quick else (100, (2, 16, 16, 1))
    X, labels = make_moons(n_points, noise=0.1, seed=0)
    y = labels * 2.0 - 1.0
    rng = np.random.default_rng(1)
    # micrograd's initialisation: weights uniform in [-1, 1], biases 0.
    weights = [(rng.uniform(-1.0, 1.0, (n_out, n_in)), np.zeros(n_out))
               for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True)]
    return X, y, weights, sizes


# --------------------------------------------------------------------------------------
# tracegrad: one Scalar per weight


class ScalarMLP:
    """The demo's network on tracegrad Scalars; layers[l] = (rows of weights, biases)."""

    def __init__(self, weights):
        self.layers = [([[Scalar(w) for w in row] for row in W], [Scalar(b_j) for b_j in b])
                       for W, b in weights]
        self.params = [p for rows, biases in self.layers
                       for p in [w for row in rows for w in row] + biases]

    def score(self, x):
        h = [Scalar(value, requires_grad=False) for value in x]
        last = len(self.layers) - 1
        for depth, (rows, biases) in enumerate(self.layers):
            h = [_neuron(row, bias, h, relu=depth < last)
                 for row, bias in zip(rows, biases, strict=True)]
        return h[0]

    def loss(self, X, y):
        losses = [(1 + -label * self.score(x)).relu() for x, label in zip(X, y, strict=True)]
        data_loss = sum(losses) * (1.0 / len(losses))
        return data_loss + ALPHA * sum(p * p for p in self.params)

    def step(self, X, y, lr=LEARNING_RATE):
        loss = self.loss(X, y)
        for p in self.params:
            p.grad = None
        loss.backward()
        for p in self.params:
            p.data -= lr * p.grad
        return loss.data

    def loss_and_grads(self, X, y):
        loss = self.loss(X, y)
        for p in self.params:
            p.grad = None
        loss.backward()
        return loss.data, [p.grad for p in self.params]


def _neuron(row, bias, inputs, relu):
    act = bias  # b + w₀x₀ + w₁x₁ + …, summed left to right as micrograd does
    for w, x in zip(row, inputs, strict=True):
        act = act + w * x
    return act.relu() if relu else act


def graph_size(model, X, y) -> tuple[int, int]:
    """(operator nodes, variable nodes) in one step's graph."""
    loss = model.loss(X, y)
    nodes = topological_order([loss.grad_fn])
    variables = {id(v) for node in nodes for v in node.inputs} | {id(loss)}
    return len(nodes), len(variables)


# --------------------------------------------------------------------------------------
# the numpy floor: the same computation, batched, backward derived by hand


def numpy_loss_and_grads(weights, X, y):
    """Loss and [∂L/∂W₁, ∂L/∂b₁, …] in the same flat order as ScalarMLP.params."""
    n, last = len(X), len(weights) - 1
    activations, pre_activations = [X], []
    h = X
    for depth, (W, b) in enumerate(weights):
        z = h @ W.T + b
        pre_activations.append(z)
        h = np.maximum(z, 0.0) if depth < last else z
        activations.append(h)
    margins = 1.0 - y * h[:, 0]
    loss = np.maximum(margins, 0.0).sum() * (1.0 / n)
    loss += ALPHA * sum((W * W).sum() + (b * b).sum() for W, b in weights)
    g = (-y * (margins > 0) * (1.0 / n))[:, None]  # ∂L/∂score
    grads = []
    for depth in range(last, -1, -1):
        W, b = weights[depth]
        if depth < last:
            g = g * (pre_activations[depth] > 0)
        grads[:0] = [g.T @ activations[depth] + 2 * ALPHA * W, g.sum(axis=0) + 2 * ALPHA * b]
        g = g @ W
    return loss, grads


def numpy_step(weights, X, y, lr=LEARNING_RATE):
    loss, grads = numpy_loss_and_grads(weights, X, y)
    for array, grad in zip((a for pair in weights for a in pair), grads, strict=True):
        array -= lr * grad
    return loss


def _flat_grads(grads):
    """[gW₁, gb₁, …] flattened in ScalarMLP.params order (row-major W, then b)."""
    pairs = zip(grads[::2], grads[1::2], strict=True)
    return np.concatenate([np.concatenate([gW.ravel(), gb]) for gW, gb in pairs])


# --------------------------------------------------------------------------------------
# micrograd (optional peer), written as its README demo trains


class MicrogradDemo:
    def __init__(self, micrograd_nn, weights):
        sizes = [weights[0][0].shape[1]] + [W.shape[0] for W, _ in weights]
        self.Value = micrograd_nn.Value
        self.model = micrograd_nn.MLP(sizes[0], sizes[1:])
        values = [v for W, b in weights for row, b_j in zip(W, b, strict=True) for v in [*row, b_j]]
        for p, value in zip(self.model.parameters(), values, strict=True):
            p.data = float(value)

    def loss(self, X, y):
        scores = [self.model([self.Value(v) for v in x]) for x in X]
        losses = [(1 + -label * score).relu() for label, score in zip(y, scores, strict=True)]
        data_loss = sum(losses) * (1.0 / len(losses))
        return data_loss + ALPHA * sum(p * p for p in self.model.parameters())

    def step(self, X, y, lr=LEARNING_RATE):
        loss = self.loss(X, y)
        self.model.zero_grad()
        loss.backward()
        for p in self.model.parameters():
            p.data -= lr * p.grad
        return loss.data

    def loss_and_grads(self, X, y):
        """Gradients in ScalarMLP.params order (micrograd lists w then b per neuron)."""
        loss = self.loss(X, y)
        self.model.zero_grad()
        loss.backward()
        grads = []
        for layer in self.model.layers:
            grads += [w.grad for neuron in layer.neurons for w in neuron.w]
            grads += [neuron.b.grad for neuron in layer.neurons]
        return loss.data, grads


# --------------------------------------------------------------------------------------


def run(config: Config) -> list[Result]:
    X, y, weights, sizes = problem(config)
    X_rows, y_list = X.tolist(), y.tolist()

    floor_loss, floor_grads = numpy_loss_and_grads(weights, X, y)
    expected = [floor_loss, _flat_grads(floor_grads)]
    ours = ScalarMLP(weights)
    loss, grads = ours.loss_and_grads(X_rows, y_list)
    # atol: a gradient that cancels to ~0 differs in its last bits between summation orders
    worst = check_all_close("W1 tracegrad vs numpy floor", [loss, grads], expected, atol=1e-12)
    check = f"loss and {len(grads)} gradients equal to the floor (max diff {worst:.1e})"

    fns = {"tracegrad": lambda: ours.step(X_rows, y_list),
           "tracegrad (GC off)": lambda: ours.step(X_rows, y_list)}
    floor_weights = [(W.copy(), b.copy()) for W, b in weights]
    fns["floor"] = lambda: numpy_step(floor_weights, X, y)
    peers = {}
    micrograd_nn = optional_import("micrograd.nn") if config.peers else None
    if not config.peers:
        peers["micrograd"] = "not measured (--no-peers)"
    elif micrograd_nn is None:
        peers["micrograd"] = NOT_INSTALLED
    else:
        peer = MicrogradDemo(micrograd_nn, weights)
        worst = check_all_close("W1 micrograd vs numpy floor",
                                list(peer.loss_and_grads(X_rows, y_list)), expected,
                                atol=1e-12)
        check += f"; micrograd too ({worst:.1e})"
        fns["micrograd"] = fns["micrograd (GC off)"] = lambda: peer.step(X_rows, y_list)
    n_ops, n_vars = graph_size(ours, X_rows, y_list)

    times = compare(fns, config, repeat=min(config.repeat, 5),
                    gc_off={"tracegrad (GC off)", "micrograd (GC off)"})
    peers.update({name: times[name].median for name in times if name.startswith("micrograd")})
    ours_s, ours_no_gc = times["tracegrad"].median, times["tracegrad (GC off)"].median

    met = None
    if not config.quick:
        met = ours_s <= TARGET_SECONDS
        if isinstance(peers.get("micrograd (GC off)"), float):
            met = met and ours_s < peers["micrograd (GC off)"]
    case = f"{'-'.join(map(str, sizes))}, {len(X)} points"
    extra = {"graph_operator_nodes": n_ops, "graph_variable_nodes": n_vars,
             "us_per_operator_node": ours_s / n_ops * 1e6,
             "timings": {name: timing.as_dict() for name, timing in times.items()}}
    gc_off_peers = {k: v for k, v in peers.items() if "GC off" in k}
    return [
        Result(ID, NAME, case, "s/step", ours_s, times["floor"].median, peers, check,
               "≤ 0.135 s and < micrograd GC-off", met, extra),
        Result(ID, NAME, case + ", GC off", "s/step", ours_no_gc, times["floor"].median,
               gc_off_peers, check, "(for reference)", None,
               {"us_per_operator_node": ours_no_gc / n_ops * 1e6}),
    ]
