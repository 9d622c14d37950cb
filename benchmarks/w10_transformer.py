"""W10T transformer_step: one SGD step of a transformer encoder block in float32 (issue 16,
the issue's "W8" transformer part).

nn.TransformerEncoderLayer(d_model 64, nhead 4, dim_feedforward 128, dropout 0, ReLU,
post-norm, batch_first) on a batch of 16 sequences of 32, then mean squared error to a
target and one SGD step:

    a = x + MHA(x, x, x);  h = LN₁(a);  y = LN₂(h + W₂ relu(W₁ h + c₁) + c₂)
    L = mean((y − t)²);   then p ← p − η·∂L/∂p for all 12 parameters.

Milliseconds per step (forward, backward, update). tracegrad runs what a user writes
(nn.TransformerEncoderLayer, nn.functional.mse_loss, optim.SGD). The numpy floor computes
the same block with a backward derived by hand: one packed q/k/v GEMM, the heads as a
batch axis of two batched matmuls, softmax, out-projection, two layer norms and the
feed-forward GEMMs, each backward written out. PyTorch's time is recorded when torch is
importable. float32 is kept end to end.
"""

from __future__ import annotations

import numpy as np

import nn
import nn.functional as F
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
from .training_step import TrainingStep

ID, NAME = "W10T", "transformer_step"
LEARNING_RATE = 0.01
TARGET_RATIO = 1.3
DTYPE = np.float32
EPS = 1e-5
KEYS = ("self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight",
        "self_attn.out_proj.bias", "linear1.weight", "linear1.bias", "linear2.weight",
        "linear2.bias", "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias")


def problem(config: Config):
    """Sizes, input, target and a state dict under PyTorch's keys."""
    if config.quick:
        d, heads, ff, length, batch = 16, 2, 32, 8, 4
    else:
        d, heads, ff, length, batch = 64, 4, 128, 32, 16
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, length, d)).astype(DTYPE)
    target = rng.standard_normal((batch, length, d)).astype(DTYPE)

    def uniform(bound, *shape):
        return rng.uniform(-bound, bound, shape).astype(DTYPE)

    shapes = [(3 * d, d), (3 * d,), (d, d), (d,), (ff, d), (ff,), (d, ff), (d,)]
    state = {key: uniform(1 / np.sqrt(shape[-1]), *shape) for key, shape in zip(KEYS, shapes)}
    state.update({"norm1.weight": 1 + uniform(0.1, d), "norm1.bias": uniform(0.1, d),
                  "norm2.weight": 1 + uniform(0.1, d), "norm2.bias": uniform(0.1, d)})
    return (d, heads, ff, length, batch), x, target, state


# --------------------------------------------------------------------------------------
# tracegrad, as a user writes it


class TracegradBlock(TrainingStep):
    def __init__(self, sizes, state):
        d, heads, ff, _, _ = sizes
        layer = nn.TransformerEncoderLayer(d, heads, ff, dropout=0.0, batch_first=True,
                                           dtype=DTYPE)
        layer.load_state_dict(state)
        super().__init__(layer, F.mse_loss, LEARNING_RATE)


# --------------------------------------------------------------------------------------
# the numpy floor


def _layer_norm(x, gamma, beta):
    mean = x.mean(axis=-1, keepdims=True)
    centered = x - mean
    inv_std = 1 / np.sqrt((centered * centered).mean(axis=-1, keepdims=True) + EPS)
    xhat = centered * inv_std
    return xhat * gamma + beta, (xhat, inv_std)


def _layer_norm_backward(g, gamma, cache):
    xhat, inv_std = cache
    rows = g.reshape(-1, g.shape[-1])
    grad_gamma = (rows * xhat.reshape(rows.shape)).sum(axis=0)
    grad_beta = rows.sum(axis=0)
    gx = g * gamma
    gx = (gx - gx.mean(axis=-1, keepdims=True)
          - xhat * (gx * xhat).mean(axis=-1, keepdims=True)) * inv_std
    return gx, grad_gamma, grad_beta


def numpy_loss_and_grads(p, x, target, heads):
    """Loss and the gradients of the parameters in KEYS order."""
    n, length, d = x.shape
    dh = d // heads
    scale = DTYPE(1 / np.sqrt(dh))
    flat = x.reshape(-1, d)
    qkv = flat @ p[0].T + p[1]
    q, k, v = qkv.reshape(n, length, 3, heads, dh).transpose(2, 0, 3, 1, 4)
    s = (q @ k.transpose(0, 1, 3, 2)) * scale
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    w = e / e.sum(axis=-1, keepdims=True)
    a = (w @ v).transpose(0, 2, 1, 3).reshape(-1, d)
    r1 = flat + a @ p[2].T + p[3]
    h1, cache1 = _layer_norm(r1, p[8], p[9])
    f = np.maximum(h1 @ p[4].T + p[5], 0)
    r2 = h1 + f @ p[6].T + p[7]
    y, cache2 = _layer_norm(r2, p[10], p[11])
    diff = y - target.reshape(-1, d)
    loss = (diff * diff).mean()

    gy = diff * DTYPE(2 / diff.size)
    gr2, g_gamma2, g_beta2 = _layer_norm_backward(gy, p[10], cache2)
    g_w2, g_c2 = gr2.T @ f, gr2.sum(axis=0)
    gf = (gr2 @ p[6]) * (f > 0)
    g_w1, g_c1 = gf.T @ h1, gf.sum(axis=0)
    gh1 = gr2 + gf @ p[4]
    gr1, g_gamma1, g_beta1 = _layer_norm_backward(gh1, p[8], cache1)
    g_wo, g_bo = gr1.T @ a, gr1.sum(axis=0)
    ga = (gr1 @ p[2]).reshape(n, length, heads, dh).transpose(0, 2, 1, 3)
    gw = ga @ v.transpose(0, 1, 3, 2)
    gv = w.transpose(0, 1, 3, 2) @ ga
    gs = w * (gw - (gw * w).sum(axis=-1, keepdims=True)) * scale
    gq, gk = gs @ k, gs.transpose(0, 1, 3, 2) @ q
    gqkv = np.stack([gq, gk, gv]).transpose(1, 3, 0, 2, 4).reshape(-1, 3 * d)
    g_win, g_bin = gqkv.T @ flat, gqkv.sum(axis=0)
    grads = [g_win, g_bin, g_wo, g_bo, g_w1, g_c1, g_w2, g_c2, g_gamma1, g_beta1, g_gamma2,
             g_beta2]
    return loss, grads


def numpy_step(params, x, target, heads, lr=LEARNING_RATE):
    loss, grads = numpy_loss_and_grads(params, x, target, heads)
    for array, grad in zip(params, grads, strict=True):
        array -= lr * grad
    return loss


# --------------------------------------------------------------------------------------
# PyTorch (optional peer): torch.nn.TransformerEncoderLayer, the same update


def torch_block(torch, sizes, state):
    d, heads, ff, _, _ = sizes
    layer = torch.nn.TransformerEncoderLayer(d, heads, ff, dropout=0.0, batch_first=True)
    layer.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in state.items()})
    return layer


def torch_step(torch, layer, x, target, lr=LEARNING_RATE):
    layer.zero_grad(set_to_none=True)
    loss = torch.nn.functional.mse_loss(layer(x), target)
    loss.backward()
    with torch.no_grad():
        for p in layer.parameters():
            p -= lr * p.grad
    return loss


def run(config: Config) -> list[Result]:
    sizes, x, target, state = problem(config)
    heads = sizes[1]
    floor_params = [state[k].copy() for k in KEYS]
    expected_loss, expected_grads = numpy_loss_and_grads(floor_params, x, target, heads)
    expected = [expected_loss, *expected_grads]
    ours = TracegradBlock(sizes, state)
    x_t, target_t = Tensor(x), Tensor(target)
    loss, grads = ours.loss_and_grads(x_t, target_t)
    dtypes = {str(t.dtype) for t in [loss, *grads]}
    if dtypes != {"float32"}:
        raise TypeError(f"W10T: float32 was not kept end to end: got dtypes {sorted(dtypes)}")
    worst = check_all_close("W10T tracegrad vs numpy floor",
                            [loss.data, *(g.data for g in grads)], expected,
                            rtol=2e-3, atol=2e-5)
    check = f"float32 loss and 12 gradients equal to the floor (max diff {worst:.1e})"
    fns = {"tracegrad": lambda: ours.step(x_t, target_t),
           "floor": lambda: numpy_step(floor_params, x, target, heads)}
    peers = {}
    torch = optional_import("torch") if config.peers else None
    if torch is None:
        peers["torch"] = NOT_INSTALLED if config.peers else "not measured (--no-peers)"
    else:
        layer = torch_block(torch, sizes, state)
        tx, ttarget = torch.from_numpy(x), torch.from_numpy(target)
        got = torch_step(torch, layer, tx, ttarget, lr=0.0)
        worst = check_all_close("W10T torch vs numpy floor",
                                [got.item(), *(p.grad.numpy() for p in layer.parameters())],
                                expected, rtol=2e-3, atol=2e-5)
        check += f"; torch too ({worst:.1e})"
        fns["torch"] = lambda: torch_step(torch, layer, tx, ttarget)
    times = compare(fns, config)
    ms = {name: timing.median * 1e3 for name, timing in times.items()}
    peers.update({name: value for name, value in ms.items() if name == "torch"})
    d, heads, ff, length, batch = sizes
    result = Result(ID, NAME, f"d_model {d}, {heads} heads, ff {ff}, seq {length}, batch "
                    f"{batch}, float32", "ms/step", ms["tracegrad"], ms["floor"], peers, check,
                    f"≤ {TARGET_RATIO}× floor")
    result.met = None if config.quick else result.ratio <= TARGET_RATIO
    result.extra = {"blas_threads": blas_threads(),
                    "timings": {k: v.as_dict() for k, v in times.items()}}
    if torch is not None:
        result.extra["torch_threads"] = torch.get_num_threads()
    return [result]
