"""The fused LSTM step: one operator node per time step, so an unrolled LSTM over 32 steps
is 32 nodes (not ~500 primitives), and a training step runs near a hand-written numpy
BPTT (benchmarks/README.md, W10). nn.RNN and nn.GRU are built from primitives."""

from __future__ import annotations

import numpy as np

from ..engine import Operator


class LSTMCell(Operator):
    """One LSTM step (PyTorch's gate order i, f, g, o):

        pre = x W_ihᵀ + b_ih + h W_hhᵀ + b_hh            (batch, 4H) = [i f g o]
        i, f, o = σ(pre_i), σ(pre_f), σ(pre_o);   g = tanh(pre_g)
        c' = f·c + i·g;   h' = o·tanh(c')

    The state travels as one array s = [h | c | i f g o] of shape (batch, 6H): the input
    state's gate columns are ignored, and the output carries the step's activated gates,
    so backward reads every intermediate from the output (saved, hence differentiable
    under create_graph) instead of recomputing the gates. Backward (δ = ∂L/∂):
        δc' = δs'_c + δh'·o·(1 − tanh²c')
        δ[i f g o] = [δc'·g, δc'·c, δc'·i, δh'·tanh c'] + δs'_gates
        δpre = δ[i f g o] · [σ'(…) for i f o, 1 − g² for g];   σ' = a(1 − a)
        δx = δpre W_ih,  δs = [δpre W_hh | δc'·f | 0],  δW_ih = δpreᵀ x,  δW_hh = δpreᵀ h,
        δb_ih = δb_hh = Σ_batch δpre.
    x is (batch, in), W_ih (4H, in), W_hh (4H, H), biases (4H,) both or neither.
    """

    name = "lstm_cell"

    @staticmethod
    def forward(ctx, x, state, w_ih, w_hh, *biases):
        check_lstm_cell_shapes(x.shape, state.shape, w_ih.shape, w_hh.shape,
                               [b.shape for b in biases])
        hidden = w_hh.shape[1]
        h, c = state[:, :hidden], state[:, hidden:2 * hidden]
        pre = x @ w_ih.T
        pre += h @ w_hh.T
        for b in biases:
            pre += b
        out = np.empty((x.shape[0], 6 * hidden), dtype=pre.dtype)
        gates = out[:, 2 * hidden:]
        # σ(z) = (1 + tanh(z/2))/2: no overflow for any z, and three array passes.
        np.multiply(pre, 0.5, out=gates)
        np.tanh(gates, out=gates)
        gates += 1.0
        gates *= 0.5
        gates[:, 2 * hidden:3 * hidden] = np.tanh(pre[:, 2 * hidden:3 * hidden])
        i, f, g, o = (gates[:, k * hidden:(k + 1) * hidden] for k in range(4))
        c_new = out[:, hidden:2 * hidden]
        np.multiply(f, c, out=c_new)
        c_new += i * g
        np.multiply(o, np.tanh(c_new), out=out[:, :hidden])
        ctx.save(x, state, w_ih, w_hh, out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        x, state, w_ih, w_hh, out = ctx.saved
        n = w_hh.shape[1]
        h, c = state[:, :n], state[:, n:2 * n]
        gates = out[:, 2 * n:]
        i, f, g, o = (out[:, (2 + k) * n:(3 + k) * n] for k in range(4))
        grad_h = grad_out[:, :n]
        tanh_c = ctx.xp.tanh(out[:, n:2 * n])
        grad_c = grad_out[:, n:2 * n] + grad_h * o * (1 - tanh_c * tanh_c)
        grad_gates = ctx.xp.concatenate(
            [grad_c * g, grad_c * c, grad_c * i, grad_h * tanh_c], axis=1) + grad_out[:, 2 * n:]
        sigmoid_slope = gates * (1 - gates)
        slope = ctx.xp.concatenate(
            [sigmoid_slope[:, :2 * n], 1 - g * g, sigmoid_slope[:, 3 * n:]], axis=1)
        grad_pre = grad_gates * slope
        needs = ctx.needs_input_grad
        grad_x = grad_pre @ w_ih if needs[0] else None
        grad_state = (ctx.xp.concatenate([grad_pre @ w_hh, grad_c * f, gates * 0], axis=1)
                      if needs[1] else None)
        grad_w_ih = grad_pre.T @ x if needs[2] else None
        grad_w_hh = grad_pre.T @ h if needs[3] else None
        if len(needs) == 4:
            return grad_x, grad_state, grad_w_ih, grad_w_hh
        grad_b = grad_pre.sum(axis=0)
        return grad_x, grad_state, grad_w_ih, grad_w_hh, grad_b, grad_b


def check_lstm_cell_shapes(x_shape, state_shape, w_ih_shape, w_hh_shape, bias_shapes):
    """ValueError naming the shapes unless x (B, in), state (B, 6H), W_ih (4H, in),
    W_hh (4H, H) and no or two biases (4H,) fit together."""
    ok = len(w_hh_shape) == 2 and w_hh_shape[0] == 4 * w_hh_shape[1]
    if ok:
        rows, hidden = w_hh_shape
        ok = (len(x_shape) == 2 and len(state_shape) == 2 and len(w_ih_shape) == 2
              and w_ih_shape == (rows, x_shape[1]) and state_shape == (x_shape[0], 6 * hidden)
              and len(bias_shapes) in (0, 2) and all(b == (rows,) for b in bias_shapes))
    if not ok:
        raise ValueError(
            f"lstm_cell: expected x (batch, in), state (batch, 6·hidden), weight_ih "
            f"(4·hidden, in), weight_hh (4·hidden, hidden) and no or two biases (4·hidden,), "
            f"got x {x_shape}, state {state_shape}, weight_ih {w_ih_shape}, weight_hh "
            f"{w_hh_shape}, biases {list(bias_shapes)}")
