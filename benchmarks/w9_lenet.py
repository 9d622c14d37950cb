"""W9 lenet_step: one SGD step of a LeNet-style CNN in float32 (issue 16 item 4, which
calls it "W7"; this suite's W7 was taken).

Batch 64 of 1×28×28 images:

    conv 1→8 3×3 pad 1, ReLU, max-pool 2, conv 8→16 3×3 pad 1, ReLU, max-pool 2,
    flatten (784), linear 784→10, softmax cross-entropy, p ← p − η·∂L/∂p.

Milliseconds per step (forward, backward, update). tracegrad runs what a user writes
(nn.Conv2d, nn.ReLU, nn.MaxPool2d, nn.Flatten, nn.Linear, nn.CrossEntropyLoss,
optim.SGD). The numpy floor is the same network written by hand: im2col through
sliding_window_view and one batched GEMM per convolution, the columns kept for the
kernel's gradient, col2im by nine strided adds, max-pooling as the maximum of four
strided quarter images whose backward finds each cell's first maximum by equality, and
no gradient for the images. Both must agree on the loss and
every gradient, in float32.

Memory: the bytes a conv2d backward allocates at its peak (tracemalloc, which numpy
reports to) over the bytes of its im2col buffer (N · C·kH·kW · H·W elements), for the
second convolution of the network (batch 64, 8×14×14 → 16×14×14); the issue's bound is 2.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

import nn
import nn.functional as F
from autograd import Tensor

from .harness import NOT_INSTALLED, Config, Result, check_all_close, compare, optional_import
from .training_step import TrainingStep, torch_step

ID, NAME = "W9", "lenet_step"
LEARNING_RATE = 0.01
TARGET_RATIO = 1.25
MEMORY_BOUND = 2.0
DTYPE = np.float32


def problem(config: Config):
    batch = 8 if config.quick else 64
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, 1, 28, 28)).astype(DTYPE)
    labels = rng.integers(0, 10, batch)
    shapes = [(8, 1, 3, 3), (8,), (16, 8, 3, 3), (16,), (10, 784), (10,)]
    params = []
    for shape in shapes:
        fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else 0
        bound = 1.0 / np.sqrt(fan_in or 72)
        params.append(rng.uniform(-bound, bound, shape).astype(DTYPE))
    return x, labels, params


# --------------------------------------------------------------------------------------
# tracegrad, as a user writes it


def lenet(params):
    model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1, dtype=DTYPE), nn.ReLU(),
                          nn.MaxPool2d(2),
                          nn.Conv2d(8, 16, 3, padding=1, dtype=DTYPE), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Linear(784, 10, dtype=DTYPE))
    names = [name for name, _ in model.named_parameters()]
    model.load_state_dict(dict(zip(names, params, strict=True)))
    return model


class Tracegrad(TrainingStep):
    def __init__(self, params):
        super().__init__(lenet(params), nn.CrossEntropyLoss(), LEARNING_RATE)


# --------------------------------------------------------------------------------------
# the numpy floor


def im2col(x):
    """(N, C·9, H·W) columns of x's 3×3 windows with zero padding 1."""
    n, c, h, w = x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    view = sliding_window_view(padded, (3, 3), axis=(2, 3))  # (N, C, H, W, 3, 3)
    return view.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * 9, h * w)


def col2im(cols, c, h, w):
    """The adjoint of im2col: each column entry added back onto its pixel."""
    n = cols.shape[0]
    cols = cols.reshape(n, c, 3, 3, h, w)
    padded = np.zeros((n, c, h + 2, w + 2), dtype=cols.dtype)
    for i in range(3):
        for j in range(3):
            padded[:, :, i:i + h, j:j + w] += cols[:, :, i, j]
    return padded[:, :, 1:-1, 1:-1]


CELL = ((0, 0), (0, 1), (1, 0), (1, 1))


def pool_forward(x):
    """2×2 max-pool: the maximum of x's four strided quarter images."""
    quarters = [x[:, :, i::2, j::2] for i, j in CELL]
    return np.maximum(np.maximum(quarters[0], quarters[1]),
                      np.maximum(quarters[2], quarters[3]))


def pool_backward(g, x, out):
    """g sent to the first maximum of each cell (PyTorch's rule for ties), found by
    equality with the pooled output, quarter by quarter."""
    grad = np.empty_like(x)
    found = np.zeros(out.shape, dtype=bool)
    for i, j in CELL:
        hit = (x[:, :, i::2, j::2] == out) & ~found
        found |= hit
        grad[:, :, i::2, j::2] = g * hit
    return grad


def numpy_loss_and_grads(params, x, labels):
    w1, b1, w2, b2, w3, b3 = params
    n = len(x)
    cols1 = im2col(x)
    z1 = np.matmul(w1.reshape(8, -1), cols1).reshape(n, 8, 28, 28) + b1[:, None, None]
    a1 = np.maximum(z1, 0)
    p1 = pool_forward(a1)
    cols2 = im2col(p1)
    z2 = np.matmul(w2.reshape(16, -1), cols2).reshape(n, 16, 14, 14) + b2[:, None, None]
    a2 = np.maximum(z2, 0)
    p2 = pool_forward(a2)
    flat = p2.reshape(n, 784)
    logits = flat @ w3.T + b3
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(n)
    loss = -log_probs[rows, labels].mean()

    g = np.exp(log_probs)
    g[rows, labels] -= 1
    g /= n
    gw3, gb3 = g.T @ flat, g.sum(axis=0)
    g = pool_backward((g @ w3).reshape(n, 16, 7, 7), a2, p2) * (z2 > 0)
    g2 = g.reshape(n, 16, 196)
    gw2 = np.matmul(g2, cols2.transpose(0, 2, 1)).sum(axis=0).reshape(w2.shape)
    gb2 = g2.sum(axis=(0, 2))
    g = col2im(np.matmul(w2.reshape(16, -1).T, g2), 8, 14, 14)
    g = pool_backward(g, a1, p1) * (z1 > 0)
    g1 = g.reshape(n, 8, 784)
    gw1 = np.matmul(g1, cols1.transpose(0, 2, 1)).sum(axis=0).reshape(w1.shape)
    gb1 = g1.sum(axis=(0, 2))
    return loss, [gw1, gb1, gw2, gb2, gw3, gb3]


def numpy_step(params, x, labels, lr=LEARNING_RATE):
    loss, grads = numpy_loss_and_grads(params, x, labels)
    for p, g in zip(params, grads, strict=True):
        p -= lr * g
    return loss


# --------------------------------------------------------------------------------------
# PyTorch (optional peer)


def torch_model(torch, params):
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(8, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(784, 10))
    with torch.no_grad():
        for p, value in zip(model.parameters(), params, strict=True):
            p.copy_(torch.from_numpy(value))
    return model


# --------------------------------------------------------------------------------------
# memory


def conv_backward_memory(batch):
    """(peak bytes a conv2d backward allocates, bytes of its im2col buffer) for the
    network's second convolution."""
    rng = np.random.default_rng(1)
    x = Tensor(rng.standard_normal((batch, 8, 14, 14)).astype(DTYPE), requires_grad=True)
    w = Tensor(rng.standard_normal((16, 8, 3, 3)).astype(DTYPE), requires_grad=True)
    out = F.conv2d(x, w, padding=1)
    upstream = np.ones(out.shape, dtype=DTYPE)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        out.backward(upstream)
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    im2col_bytes = batch * 8 * 9 * 14 * 14 * np.dtype(DTYPE).itemsize
    return peak, im2col_bytes


def run(config: Config) -> list[Result]:
    x, labels, params = problem(config)
    expected_loss, expected_grads = numpy_loss_and_grads(params, x, labels)
    expected = [expected_loss, *expected_grads]
    ours = Tracegrad(params)
    loss, grads = ours.loss_and_grads(Tensor(x), labels)
    dtypes = {str(t.dtype) for t in [loss, *grads]}
    if dtypes != {"float32"}:
        raise TypeError(f"W9: float32 was not kept end to end: got dtypes {sorted(dtypes)}")
    worst = check_all_close("W9 tracegrad vs numpy floor",
                            [loss.data, *(g.data for g in grads)], expected, rtol=2e-3,
                            atol=1e-5)
    check = f"float32 loss and gradients equal to the floor (max diff {worst:.1e})"
    floor_params = [p.copy() for p in params]
    x_tensor = Tensor(x)
    fns = {"tracegrad": lambda: ours.step(x_tensor, labels),
           "floor": lambda: numpy_step(floor_params, x, labels)}
    peers = {}
    torch = optional_import("torch") if config.peers else None
    if torch is None:
        peers["torch"] = NOT_INSTALLED if config.peers else "not measured (--no-peers)"
    else:
        model = torch_model(torch, params)
        optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
        tx, tlabels = torch.from_numpy(x), torch.from_numpy(labels)
        fns["torch"] = lambda: torch_step(torch, model, optimizer, tx, tlabels)
    times = compare(fns, config)
    ms = {name: timing.median * 1e3 for name, timing in times.items()}
    if "torch" in ms:
        peers["torch"] = ms["torch"]
    peak, im2col_bytes = conv_backward_memory(len(x))
    memory_ratio = peak / im2col_bytes
    check += (f"; conv2d backward peak {peak / 2**20:.2f} MiB = {memory_ratio:.2f}× its "
              f"im2col buffer (bound {MEMORY_BOUND}×)")
    result = Result(ID, NAME, f"LeNet-style CNN, batch {len(x)}, 1×28×28, float32",
                    "ms/step", ms["tracegrad"], ms["floor"], peers, check,
                    f"≤ {TARGET_RATIO}× floor; conv backward ≤ {MEMORY_BOUND}× im2col")
    met = result.ratio <= TARGET_RATIO and memory_ratio <= MEMORY_BOUND
    result.met = None if config.quick else met
    result.extra = {"conv_backward_peak_bytes": peak, "im2col_bytes": im2col_bytes,
                    "conv_backward_memory_ratio": memory_ratio,
                    "timings": {k: v.as_dict() for k, v in times.items()}}
    if torch is not None:
        result.extra["torch_threads"] = torch.get_num_threads()
    return [result]
