"""W10 lstm_step: one SGD training step of an LSTM sequence classifier in float32
(issue 16's "W8" LSTM part).

LSTM(input 32, hidden 64) over 32 time steps, batch 32; the final hidden state h_T goes
through Linear(64 → 10) into softmax cross-entropy on integer labels:

    [i f g o]_t = x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh  (σ on i, f, o; tanh on g)
    c_t = f·c_{t−1} + i·g,  h_t = o·tanh(c_t);  L = CE(h_T Wᵀ + b, y);  p ← p − η·∂L/∂p

Milliseconds per step (forward, backpropagation through time, update). tracegrad runs
what a user writes: nn.LSTM (one fused lstm_cell node per step), nn.Linear,
nn.CrossEntropyLoss, optim.SGD. The numpy floor is a hand-written BPTT with what a numpy
programmer would do beyond that: the input projection of all 32 steps in one GEMM before
the loop, one GEMM per step forward and one back, and the weight gradients as two GEMMs
over the whole sequence after it.
"""

from __future__ import annotations

import numpy as np

import nn
from autograd import Tensor

from .harness import (
    NOT_INSTALLED,
    Config,
    Result,
    blas_threads,
    check_all_close,
    compare,
    optional_import,
)
from .training_step import TrainingStep, torch_step

ID, NAME = "W10", "lstm_step"
LEARNING_RATE = 0.1
TARGET_RATIO = 1.3
DTYPE = np.float32
CLASSES = 10


def problem(config: Config):
    (inputs, hidden, steps, batch) = (8, 16, 6, 4) if config.quick else (32, 64, 32, 32)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, steps, inputs)).astype(DTYPE)
    labels = rng.integers(0, CLASSES, batch)
    bound = 1.0 / np.sqrt(hidden)  # PyTorch's LSTM and Linear initialisation ranges

    def uniform(*shape):
        return rng.uniform(-bound, bound, shape).astype(DTYPE)

    weights = {"lstm.weight_ih_l0": uniform(4 * hidden, inputs),
               "lstm.weight_hh_l0": uniform(4 * hidden, hidden),
               "lstm.bias_ih_l0": uniform(4 * hidden), "lstm.bias_hh_l0": uniform(4 * hidden),
               "head.weight": uniform(CLASSES, hidden), "head.bias": uniform(CLASSES)}
    return x, labels, weights, (inputs, hidden, steps, batch)


# --------------------------------------------------------------------------------------
# tracegrad, as a user writes it


class Classifier(nn.Module):
    def __init__(self, inputs, hidden):
        super().__init__()
        self.lstm = nn.LSTM(inputs, hidden, batch_first=True, dtype=DTYPE)
        self.head = nn.Linear(hidden, CLASSES, dtype=DTYPE)

    def forward(self, x):
        _, (h_n, _) = self.lstm(x)
        return self.head(h_n[0])


class TracegradStep(TrainingStep):
    def __init__(self, weights, sizes):
        model = Classifier(*sizes[:2])
        model.load_state_dict(weights)
        super().__init__(model, nn.CrossEntropyLoss(), LEARNING_RATE)


# --------------------------------------------------------------------------------------
# the numpy floor: hand-written backpropagation through time


def _sigmoid(z):
    return 0.5 * np.tanh(0.5 * z) + 0.5  # no overflow, no exp of a large number


def numpy_loss_and_grads(weights, x, labels):
    """Loss and the gradients in the order of `weights` (W_ih, W_hh, b_ih, b_hh, W, b)."""
    w_ih, w_hh, b_ih, b_hh, w_out, b_out = weights
    xs = x.transpose(1, 0, 2)  # (T, B, in)
    steps, batch, _ = xs.shape
    n = w_hh.shape[1]
    projected = xs @ w_ih.T + (b_ih + b_hh)  # every step's input projection in one GEMM
    hs = np.zeros((steps + 1, batch, n), dtype=x.dtype)
    cs = np.zeros((steps + 1, batch, n), dtype=x.dtype)
    gates = np.empty((steps, batch, 4 * n), dtype=x.dtype)
    for t in range(steps):
        pre = projected[t] + hs[t] @ w_hh.T
        a = gates[t]
        a[:] = _sigmoid(pre)
        a[:, 2 * n:3 * n] = np.tanh(pre[:, 2 * n:3 * n])
        cs[t + 1] = a[:, n:2 * n] * cs[t] + a[:, :n] * a[:, 2 * n:3 * n]
        hs[t + 1] = a[:, 3 * n:] * np.tanh(cs[t + 1])
    logits = hs[-1] @ w_out.T + b_out
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(batch)
    loss = -log_probs[rows, labels].mean()
    g = np.exp(log_probs)
    g[rows, labels] -= 1
    g /= batch
    grad_w_out, grad_b_out = g.T @ hs[-1], g.sum(axis=0)
    grad_h = g @ w_out
    grad_c = np.zeros_like(grad_h)
    grad_pre = np.empty_like(gates)
    for t in range(steps - 1, -1, -1):
        a = gates[t]
        i, f, gg, o = a[:, :n], a[:, n:2 * n], a[:, 2 * n:3 * n], a[:, 3 * n:]
        tanh_c = np.tanh(cs[t + 1])
        grad_c += grad_h * o * (1 - tanh_c * tanh_c)
        d = grad_pre[t]
        d[:, :n] = grad_c * gg
        d[:, n:2 * n] = grad_c * cs[t]
        d[:, 2 * n:3 * n] = grad_c * i
        d[:, 3 * n:] = grad_h * tanh_c
        slope = a * (1 - a)
        slope[:, 2 * n:3 * n] = 1 - gg * gg
        d *= slope
        grad_h = d @ w_hh
        grad_c *= f
    rows_pre = grad_pre.reshape(-1, 4 * n)
    grad_w_ih = rows_pre.T @ xs.reshape(-1, xs.shape[2])
    grad_w_hh = rows_pre.T @ hs[:-1].reshape(-1, n)
    grad_b = rows_pre.sum(axis=0)
    return loss, [grad_w_ih, grad_w_hh, grad_b, grad_b, grad_w_out, grad_b_out]


def numpy_step(weights, x, labels, lr=LEARNING_RATE):
    loss, grads = numpy_loss_and_grads(weights, x, labels)
    for array, grad in zip(weights, grads, strict=True):
        array -= lr * grad
    return loss


# --------------------------------------------------------------------------------------
# PyTorch (optional peer): torch.nn.LSTM and Linear, the same update


def torch_model(torch, weights, sizes):
    class TorchClassifier(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = torch.nn.LSTM(*sizes[:2], batch_first=True)
            self.head = torch.nn.Linear(sizes[1], CLASSES)

        def forward(self, x):
            _, (h_n, _) = self.lstm(x)
            return self.head(h_n[0])

    model = TorchClassifier()
    model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in weights.items()})
    return model


def run(config: Config) -> list[Result]:
    x, labels, weights, sizes = problem(config)
    floor_weights = [w.copy() for w in weights.values()]
    expected_loss, expected_grads = numpy_loss_and_grads(floor_weights, x, labels)
    expected = [expected_loss, *expected_grads]
    ours = TracegradStep(weights, sizes)
    x_tensor = Tensor(x)
    loss, grads = ours.loss_and_grads(x_tensor, labels)
    dtypes = {str(t.dtype) for t in [loss, *grads]}
    if dtypes != {"float32"}:
        raise TypeError(f"W10: float32 was not kept end to end: got dtypes {sorted(dtypes)}")
    worst = check_all_close("W10 tracegrad vs numpy floor", [loss.data, *(g.data for g in grads)],
                            expected, rtol=2e-3, atol=2e-5)
    check = f"float32 loss and gradients equal to the floor (max diff {worst:.1e})"
    fns = {"tracegrad": lambda: ours.step(x_tensor, labels),
           "floor": lambda: numpy_step(floor_weights, x, labels)}
    peers = {}
    torch = optional_import("torch") if config.peers else None
    if torch is None:
        peers["torch"] = NOT_INSTALLED if config.peers else "not measured (--no-peers)"
    else:
        model = torch_model(torch, weights, sizes)
        tx, tlabels = torch.from_numpy(x), torch.from_numpy(labels)
        optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
        got = torch_step(torch, model, torch.optim.SGD(model.parameters(), lr=0.0), tx, tlabels)
        worst = check_all_close("W10 torch vs numpy floor",
                                [got.item(), *(p.grad.numpy() for p in model.parameters())],
                                expected, rtol=2e-3, atol=2e-5)
        check += f"; torch too ({worst:.1e})"
        fns["torch"] = lambda: torch_step(torch, model, optimizer, tx, tlabels)
    times = compare(fns, config)
    ms = {name: timing.median * 1e3 for name, timing in times.items()}
    peers.update({name: value for name, value in ms.items() if name == "torch"})
    inputs, hidden, steps, batch = sizes
    result = Result(ID, NAME, f"LSTM {inputs}→{hidden}, {steps} steps, batch {batch}, "
                    "last state → Linear → CE, float32", "ms/step", ms["tracegrad"],
                    ms["floor"], peers, check, f"≤ {TARGET_RATIO}× floor")
    result.met = None if config.quick else result.ratio <= TARGET_RATIO
    result.extra = {"blas_threads": blas_threads(),
                    "timings": {k: v.as_dict() for k, v in times.items()}}
    if torch is not None:
        result.extra["torch_threads"] = torch.get_num_threads()
    return [result]
