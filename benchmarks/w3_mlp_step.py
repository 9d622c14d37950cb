"""W3 mlp_step: one SGD step of an MNIST-sized MLP in float32.

MLP 784→512→256→10 with ReLU, softmax cross-entropy on integer labels, batch 128:

    h₁ = relu(x·W₁ᵀ + b₁),  h₂ = relu(h₁·W₂ᵀ + b₂),  z = h₂·W₃ᵀ + b₃
    L = −(1/B)·Σᵢ log_softmax(zᵢ)[yᵢ];   then p ← p − η·∂L/∂p for every W and b.

Milliseconds per step (forward, backward, update). tracegrad runs what a user writes:
nn.Sequential of nn.Linear (one fused x·Wᵀ + b operator) and nn.ReLU, nn.CrossEntropyLoss
and optim.SGD; the same network written with raw Tensor operators (x @ W.T + b,
log_softmax and a label gather, a numpy update) is timed too and kept in the JSON
(`raw_ops_ms`). The numpy floor does the same with
eight matrix products (three forward; two per layer backward, but none for ∂L/∂x, which
nothing needs); the time of those eight GEMMs alone is reported too. float32 must be
kept end to end: every gradient tracegrad produces is checked to be float32.
"""

from __future__ import annotations

import numpy as np

import nn
from autograd import Tensor, no_grad

from .harness import (
    NOT_INSTALLED,
    Config,
    Result,
    blas_threads,
    check_all_close,
    compare,
    optional_import,
    threads_starved,
)
from .training_step import TrainingStep

ID, NAME = "W3", "mlp_step"
LEARNING_RATE = 0.01
TARGET_RATIO = 1.10
DTYPE = np.float32


def problem(config: Config):
    sizes, batch = ((64, 32, 16, 10), 16) if config.quick else ((784, 512, 256, 10), 128)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, sizes[0])).astype(DTYPE)
    labels = rng.integers(0, sizes[-1], batch)
    weights = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        bound = 1.0 / np.sqrt(n_in)  # PyTorch's default Linear initialisation range
        weights.append((rng.uniform(-bound, bound, (n_out, n_in)).astype(DTYPE),
                        rng.uniform(-bound, bound, n_out).astype(DTYPE)))
    return x, labels, weights, sizes


# --------------------------------------------------------------------------------------
# tracegrad, as a user writes it: nn.Linear, nn.ReLU, nn.CrossEntropyLoss, optim.SGD


class ModuleMLP(TrainingStep):
    def __init__(self, weights):
        layers = []
        for depth, (W, _) in enumerate(weights):
            layers.append(nn.Linear(W.shape[1], W.shape[0], dtype=W.dtype))
            if depth < len(weights) - 1:
                layers.append(nn.ReLU())
        self.model = nn.Sequential(*layers)
        names = [name for name, _ in self.model.named_parameters()]
        self.model.load_state_dict(dict(zip(names, (a for pair in weights for a in pair),
                                            strict=True)))
        super().__init__(self.model, nn.CrossEntropyLoss(), LEARNING_RATE)


# --------------------------------------------------------------------------------------
# tracegrad, with raw Tensor operators (no nn, no optim)


class TensorMLP:
    def __init__(self, weights):
        self.params = [Tensor(a, requires_grad=True) for pair in weights for a in pair]

    def loss(self, x, labels):
        h = x
        pairs = list(zip(self.params[::2], self.params[1::2], strict=True))
        for depth, (W, b) in enumerate(pairs):
            h = h @ W.T + b
            if depth < len(pairs) - 1:
                h = h.relu()
        log_probs = h.log_softmax(axis=-1)
        return -log_probs[np.arange(len(labels)), labels].mean()

    def loss_and_grads(self, x, labels):
        for p in self.params:
            p.grad = None
        loss = self.loss(x, labels)
        loss.backward()
        return loss, [p.grad for p in self.params]

    def step(self, x, labels, lr=LEARNING_RATE):
        loss, grads = self.loss_and_grads(x, labels)
        with no_grad():
            for p, grad in zip(self.params, grads, strict=True):
                p.data -= lr * grad.data
        return loss


# --------------------------------------------------------------------------------------
# the numpy floor


def numpy_loss_and_grads(weights, x, labels):
    """Loss and [∂L/∂W₁, ∂L/∂b₁, …], with the eight GEMMs and nothing to spare."""
    batch, last = len(x), len(weights) - 1
    activations, masks = [x], []
    h = x
    for depth, (W, b) in enumerate(weights):
        h = h @ W.T + b
        if depth < last:
            masks.append(h > 0)
            h = np.maximum(h, 0)
            activations.append(h)
    shifted = h - h.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(batch)
    loss = -log_probs[rows, labels].mean()
    g = np.exp(log_probs)  # ∂L/∂z = (softmax(z) − onehot(y)) / B
    g[rows, labels] -= 1
    g /= batch
    grads = []
    for depth in range(last, -1, -1):
        W, _ = weights[depth]
        grads[:0] = [g.T @ activations[depth], g.sum(axis=0)]
        if depth > 0:
            g = (g @ W) * masks[depth - 1]
    return loss, grads


def numpy_step(weights, x, labels, lr=LEARNING_RATE):
    loss, grads = numpy_loss_and_grads(weights, x, labels)
    for array, grad in zip((a for pair in weights for a in pair), grads, strict=True):
        array -= lr * grad
    return loss


def gemms_only(weights, x, grads_like):
    """The floor's eight matrix products alone, on arrays of the right shapes."""
    h = x
    activations = [x]
    for W, _ in weights:
        h = h @ W.T
        activations.append(h)
    g = activations[-1]
    for depth in range(len(weights) - 1, -1, -1):
        _ = g.T @ activations[depth]
        if depth > 0:
            g = g @ weights[depth][0]


# --------------------------------------------------------------------------------------
# PyTorch (optional peer): torch.nn.Linear's operator (F.linear), the same update


def torch_step(torch, params, x, labels, lr=LEARNING_RATE):
    for p in params:
        p.grad = None
    h = x
    pairs = list(zip(params[::2], params[1::2], strict=True))
    for depth, (W, b) in enumerate(pairs):
        h = torch.nn.functional.linear(h, W, b)
        if depth < len(pairs) - 1:
            h = h.relu()
    loss = torch.nn.functional.cross_entropy(h, labels)
    loss.backward()
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad
    return loss


def run(config: Config) -> list[Result]:
    x, labels, weights, sizes = problem(config)
    expected_loss, expected_grads = numpy_loss_and_grads(weights, x, labels)
    expected = [expected_loss, *expected_grads]
    ours = ModuleMLP(weights)
    loss, grads = ours.loss_and_grads(Tensor(x), labels)
    dtypes = {str(t.dtype) for t in [loss, *grads]} | {str(p.dtype) for p in ours.params}
    if dtypes != {"float32"}:
        raise TypeError(f"W3: float32 was not kept end to end: got dtypes {sorted(dtypes)}")
    worst = check_all_close("W3 tracegrad vs numpy floor", [loss.data, *(g.data for g in grads)],
                            expected, rtol=2e-4, atol=1e-6)
    check = f"float32 loss and gradients equal to the floor (max diff {worst:.1e})"

    raw = TensorMLP(weights)
    worst = check_all_close("W3 tracegrad raw operators vs numpy floor",
                            [t.data for t in raw.loss_and_grads(Tensor(x), labels)[1]],
                            expected_grads, rtol=2e-4, atol=1e-6)
    check += f"; raw operators too ({worst:.1e})"
    floor_weights = [(W.copy(), b.copy()) for W, b in weights]
    x_tensor = Tensor(x)
    fns = {"tracegrad": lambda: ours.step(x_tensor, labels),
           "tracegrad raw operators": lambda: raw.step(x_tensor, labels),
           "floor": lambda: numpy_step(floor_weights, x, labels),
           "floor: 8 GEMMs": lambda: gemms_only(floor_weights, x, None)}
    peers = {}
    torch = optional_import("torch") if config.peers else None
    if torch is None:
        peers["torch"] = NOT_INSTALLED if config.peers else "not measured (--no-peers)"
    else:
        params = [torch.tensor(a, requires_grad=True) for pair in weights for a in pair]
        tx, tlabels = torch.from_numpy(x), torch.from_numpy(labels)
        got = torch_step(torch, params, tx, tlabels, lr=0.0)
        worst = check_all_close("W3 torch vs numpy floor",
                                [got.item(), *(p.grad.numpy() for p in params)], expected,
                                rtol=2e-4, atol=1e-6)
        check += f"; torch too ({worst:.1e})"
        fns["torch"] = lambda: torch_step(torch, params, tx, tlabels)
    times = compare(fns, config)
    ms = {name: timing.median * 1e3 for name, timing in times.items()}
    peers.update({name: value for name, value in ms.items() if name == "torch"})
    result = Result(ID, NAME, f"{'-'.join(map(str, sizes))}, batch {len(x)}, float32",
                    "ms/step", ms["tracegrad"], ms["floor"], peers, check,
                    f"≤ {TARGET_RATIO}× floor")
    result.met = None if config.quick else result.ratio <= TARGET_RATIO
    threads = blas_threads()
    result.extra = {"floor_8_gemms_ms": ms["floor: 8 GEMMs"],
                    "raw_ops_ms": ms["tracegrad raw operators"], "blas_threads": threads,
                    "timings": {k: v.as_dict() for k, v in times.items()}}
    if config.clock == "wall" and threads_starved(times["floor"], threads):
        # Busy machine: the GEMMs' threads waited for each other; no verdict from this run.
        result.met = None
        result.target += f" (unreliable: {threads} BLAS threads on a busy machine; try " \
                         "--threads 1)"
    if torch is not None:
        result.extra["torch_threads"] = torch.get_num_threads()
    return [result]
