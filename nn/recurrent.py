"""Recurrent layers: RNN, LSTM, GRU and their one-step cells, with PyTorch's constructors,
forward signatures, parameter names (weight_ih_l0, bias_hh_l1_reverse, ...), shapes, gate
order and initialisation, so state dicts move between the two unchanged.

A layer is unrolled over time: step t of layer l reads x_t and the previous state. Every
step of one layer and direction runs inside a graph scope of the same name ("l0 step",
"l0_reverse step"), so pictures can fold the repeated steps into one box. The LSTM step is
one fused operator (autograd.ops.recurrent.LSTMCell); RNN and GRU steps are primitives
(linear, tanh, sigmoid, ...), so their pictures show the math.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from autograd import Tensor, concatenate, stack
from autograd.graph import close_scope, open_scope
from autograd.ops.recurrent import LSTMCell as LSTMCellOp

from . import init
from .activations import as_tensor
from .layers import _positive_int, dropout, linear
from .module import Module, Parameter

__all__ = ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell", "RNNBase"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


# -- one time step, shared by the layers and the cells ------------------------------------

def rnn_step(x, h, w_ih, w_hh, b_ih, b_hh, relu=False):
    """h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)  (ReLU instead of tanh if relu)."""
    pre = linear(x, w_ih, b_ih) + linear(h, w_hh, b_hh)
    return pre.relu() if relu else pre.tanh()


def gru_step(x, h, w_ih, w_hh, b_ih, b_hh):
    """PyTorch's GRU (gate order r, z, n):
        r = σ(W_ir x + b_ir + W_hr h + b_hr),   z = σ(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r·(W_hn h + b_hn)),   h' = (1 − z)·n + z·h."""
    size = h.shape[-1]
    from_x, from_h = linear(x, w_ih, b_ih), linear(h, w_hh, b_hh)
    rz = (from_x[..., :2 * size] + from_h[..., :2 * size]).sigmoid()
    r, z = rz[..., :size], rz[..., size:]
    n = (from_x[..., 2 * size:] + r * from_h[..., 2 * size:]).tanh()
    return n + z * (h - n)


def lstm_step(x, state, w_ih, w_hh, b_ih, b_hh):
    """One fused lstm_cell node; `state` is [h | c | gates] (see autograd.ops.recurrent)."""
    biases = () if b_ih is None else (b_ih, b_hh)
    return LSTMCellOp.apply(x, state, w_ih, w_hh, *biases)


def lstm_state(h, c, name=None):
    """The fused step's state [h | c | 0] from h and c, each (batch, H); `name` labels a
    state made from arrays (the default zero state) in pictures and listings."""
    zeros = np.zeros(h.shape[:-1] + (4 * h.shape[-1],), dtype=h.dtype)
    if isinstance(h, Tensor) or isinstance(c, Tensor):
        return concatenate([h, c, zeros], axis=-1)
    return Tensor(np.concatenate([h, c, zeros], axis=-1), name=name)


def _uniform_init(module, generator):
    """PyTorch's init of recurrent layers and cells: U(−1/√H, 1/√H) for every parameter."""
    rng = init.get_generator(generator, type(module).__name__)
    bound = 1.0 / math.sqrt(module.hidden_size)
    for param in module.parameters():
        init.uniform_(param, -bound, bound, rng)


# -- the layers --------------------------------------------------------------------------

class RNNBase(Module):
    """What RNN, LSTM and GRU share: parameters, the unrolled loop over layers, directions
    and time steps, and input checks. `mode` is "RNN_TANH", "RNN_RELU", "LSTM" or "GRU".

    Parameters, per layer l and direction (suffix "" or "_reverse"), as PyTorch names them:
    weight_ih_l{l} (G·H, in_l), weight_hh_l{l} (G·H, H), bias_ih_l{l}, bias_hh_l{l} (G·H,),
    with G = 1 (RNN), 3 (GRU: r, z, n) or 4 (LSTM: i, f, g, o); in_0 = input_size and
    in_l = H·(2 if bidirectional else 1) above. All start as U(−1/√H, 1/√H), as PyTorch's.
    """

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, proj_size=0,
                 dtype=np.float64, generator=None):
        super().__init__()
        where = "RNN" if mode.startswith("RNN") else mode
        self.mode = mode
        self.input_size = _positive_int(input_size, where, "input_size")
        self.hidden_size = _positive_int(hidden_size, where, "hidden_size")
        self.num_layers = _positive_int(num_layers, where, "num_layers")
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) \
                or not 0 <= dropout <= 1:
            raise ValueError(f"{where}: dropout should be a number in [0, 1] giving the "
                             f"probability of an element being zeroed, got {dropout!r}")
        if proj_size != 0:
            raise ValueError(f"{where}: proj_size={proj_size!r} is not supported; tracegrad's "
                             "LSTM has no projection (use proj_size=0 and a Linear after it)")
        if dropout > 0 and self.num_layers == 1:
            warnings.warn(f"{where}: dropout={dropout} acts between layers only, so with "
                          "num_layers=1 it does nothing (PyTorch warns the same)", stacklevel=3)
        self.bias = bool(bias)
        self.batch_first = bool(batch_first)
        self.dropout = float(dropout)
        self.bidirectional = bool(bidirectional)
        self.proj_size = 0
        rows = _GATES[mode] * self.hidden_size
        directions = 2 if self.bidirectional else 1
        for layer in range(self.num_layers):
            layer_input = self.input_size if layer == 0 else self.hidden_size * directions
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                shapes = {"weight_ih": (rows, layer_input), "weight_hh": (rows, self.hidden_size)}
                if self.bias:
                    shapes.update(bias_ih=(rows,), bias_hh=(rows,))
                for name, shape in shapes.items():
                    setattr(self, name + suffix, Parameter(np.empty(shape, dtype=dtype)))
        self.reset_parameters(generator)

    def reset_parameters(self, generator=None) -> None:
        """Every parameter from U(−1/√H, 1/√H), drawn in registration order from
        `generator` (None: the default generator that nn.manual_seed controls)."""
        _uniform_init(self, generator)

    def _weights(self, layer, direction):
        suffix = f"_l{layer}" + ("_reverse" if direction else "")
        names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        return [getattr(self, name + suffix, None) for name in names]

    def _step(self, x, state, weights):
        if self.mode == "LSTM":
            return lstm_step(x, state, *weights)
        if self.mode == "GRU":
            return gru_step(x, state, *weights)
        return rnn_step(x, state, *weights, relu=self.mode == "RNN_RELU")

    def _run(self, x, states):
        """Unroll over layers, directions and time. x (T, B, in); `states` the initial
        step state of each layer·direction. Returns the last layer's outputs (T, B, D·H)
        and the final step state of each layer·direction."""
        directions = 2 if self.bidirectional else 1
        size, steps = self.hidden_size, x.shape[0]
        finals = []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                weights = self._weights(layer, direction)
                state = states[layer * directions + direction]
                name = f"l{layer}" + ("_reverse" if direction else "") + " step"
                sequence = [None] * steps
                for t in (reversed(range(steps)) if direction else range(steps)):
                    record = open_scope(name)
                    try:
                        state = self._step(x[t], state, weights)
                    finally:
                        close_scope(record)
                    sequence[t] = state
                finals.append(state)
                out = stack(sequence)
                outputs.append(out[..., :size] if self.mode == "LSTM" else out)
            x = outputs[0] if directions == 1 else concatenate(outputs, axis=-1)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                x = dropout(x, self.dropout, True)
        return x, finals

    def _check_input(self, x):
        kind = type(self).__name__
        if x.ndim not in (2, 3):
            layout = "batch, seq" if self.batch_first else "seq, batch"
            raise ValueError(f"{kind}: expected a 3-d input ({layout}, {self.input_size}) "
                             f"or a 2-d unbatched one (seq, {self.input_size}), got shape "
                             f"{x.shape}")
        if x.shape[-1] != self.input_size:
            raise ValueError(f"{kind}: input.shape[-1] must equal input_size={self.input_size}, "
                             f"got input of shape {x.shape}")
        if x.shape[0 if x.ndim == 2 or not self.batch_first else 1] == 0:
            raise ValueError(f"{kind}: the input sequence is empty (shape {x.shape})")

    def _check_state(self, h, name, batched, batch):
        """h as a (D·L, B, H) Tensor; ValueError naming the shapes if it is not that."""
        kind = type(self).__name__
        layers = self.num_layers * (2 if self.bidirectional else 1)
        h = as_tensor(h)
        expected = (layers, batch, self.hidden_size) if batched else (layers, self.hidden_size)
        if h.shape != expected:
            what = "batched 3-d" if batched else "unbatched 2-d"
            raise ValueError(f"{kind}: for {what} input, {name} must have shape {expected} "
                             "(num_layers·num_directions, batch, hidden_size), got "
                             f"{h.shape}")
        return h if batched else h.reshape(layers, 1, self.hidden_size)

    def _prepare(self, input):
        x = as_tensor(input)
        self._check_input(x)
        batched = x.ndim == 3
        if not batched:
            x = x.reshape(x.shape[0], 1, x.shape[1])
        elif self.batch_first:
            x = x.swapaxes(0, 1)
        return x, batched

    def _finish(self, out, finals, batched, part):
        """Output in the caller's layout, and the final (D·L, B, H) hidden states."""
        h_n = stack([part(state) for state in finals])
        if not batched:
            return out.reshape(out.shape[0], out.shape[2]), h_n.reshape(h_n.shape[0], -1)
        return (out.swapaxes(0, 1) if self.batch_first else out), h_n

    def forward(self, input, hx=None):
        """(output, h_n) for RNN and GRU; LSTM overrides it."""
        x, batched = self._prepare(input)
        layers = self.num_layers * (2 if self.bidirectional else 1)
        if hx is None:
            # named, so pictures and listings show it as the initial state, not as an input
            states = [Tensor(np.zeros((x.shape[1], self.hidden_size), dtype=x.dtype),
                             name="h0")] * layers
        else:
            h = self._check_state(hx, "hx", batched, x.shape[1])
            states = [h[k] for k in range(layers)]
        out, finals = self._run(x, states)
        return self._finish(out, finals, batched, lambda h: h)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


class RNN(RNNBase):
    """Elman RNN, per layer:  h_t = tanh(x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh)
    (nonlinearity="relu": ReLU). Called as rnn(input, h_0=None) -> (output, h_n):
    input (seq, batch, input_size) (batch_first: (batch, seq, ...); or unbatched (seq,
    input_size)), h_0 (num_layers·D, batch, hidden_size), zeros if None; output holds the
    last layer's h_t for every t, (seq, batch, D·hidden_size), D = 2 if bidirectional.
    Bidirectional layers run a second set of weights (…_reverse) from the last step to the
    first and concatenate both directions' h_t. dropout (training only) acts on each
    layer's output except the last's."""

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, dtype=np.float64,
                 generator=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: unknown nonlinearity {nonlinearity!r}; use 'tanh' or "
                             "'relu'")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         dtype=dtype, generator=generator)


class GRU(RNNBase):
    """Gated recurrent unit, per layer (PyTorch's gate order r, z, n):
        r_t = σ(W_ir x_t + b_ir + W_hr h_{t−1} + b_hr)
        z_t = σ(W_iz x_t + b_iz + W_hz h_{t−1} + b_hz)
        n_t = tanh(W_in x_t + b_in + r_t·(W_hn h_{t−1} + b_hn))
        h_t = (1 − z_t)·n_t + z_t·h_{t−1}
    Same call, layout and options as RNN: gru(input, h_0=None) -> (output, h_n)."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, dtype=np.float64, generator=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, dtype=dtype, generator=generator)


class LSTM(RNNBase):
    """Long short-term memory, per layer (PyTorch's gate order i, f, g, o):
        i, f, o = σ(W_i· x_t + b_i· + W_h· h_{t−1} + b_h·) for each of the three gates
        g = tanh(W_ig x_t + b_ig + W_hg h_{t−1} + b_hg)
        c_t = f·c_{t−1} + i·g,    h_t = o·tanh(c_t)
    Called as lstm(input, (h_0, c_0)=None) -> (output, (h_n, c_n)); layout and options as
    RNN. Each step is one fused `lstm_cell` node. proj_size is not supported (refused)."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, dtype=np.float64,
                 generator=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, dtype=dtype, generator=generator)

    def forward(self, input, hx=None):
        x, batched = self._prepare(input)
        layers = self.num_layers * (2 if self.bidirectional else 1)
        if hx is None:
            zero = np.zeros((x.shape[1], self.hidden_size), dtype=x.dtype)
            states = [lstm_state(zero, zero, name="h0, c0")] * layers
        else:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError(f"LSTM: hx must be a tuple (h_0, c_0), got "
                                f"{type(hx).__name__}")
            h = self._check_state(hx[0], "h_0", batched, x.shape[1])
            c = self._check_state(hx[1], "c_0", batched, x.shape[1])
            states = [lstm_state(h[k], c[k]) for k in range(layers)]
        out, finals = self._run(x, states)
        size = self.hidden_size
        out, h_n = self._finish(out, finals, batched, lambda s: s[..., :size])
        c_n = stack([s[..., size:2 * size] for s in finals])
        return out, (h_n, c_n if batched else c_n.reshape(c_n.shape[0], -1))


# -- the cells ---------------------------------------------------------------------------

class RNNCellBase(Module):
    """One step of a recurrent layer; weight_ih (G·H, input_size), weight_hh (G·H, H),
    bias_ih and bias_hh (G·H,), all U(−1/√H, 1/√H). Input (batch, input_size) or
    unbatched (input_size,); the hidden state matches: (batch, H) or (H,), zeros if None."""

    gates = 1

    def __init__(self, input_size, hidden_size, bias=True, dtype=np.float64, generator=None):
        super().__init__()
        kind = type(self).__name__
        self.input_size = _positive_int(input_size, kind, "input_size")
        self.hidden_size = _positive_int(hidden_size, kind, "hidden_size")
        self.bias = bool(bias)
        rows = self.gates * self.hidden_size
        shapes = {"weight_ih": (rows, self.input_size), "weight_hh": (rows, self.hidden_size)}
        if self.bias:
            shapes.update(bias_ih=(rows,), bias_hh=(rows,))
        for name, shape in shapes.items():
            setattr(self, name, Parameter(np.empty(shape, dtype=dtype)))
        if not self.bias:
            self.bias_ih = self.bias_hh = None
        self.reset_parameters(generator)

    def reset_parameters(self, generator=None) -> None:
        """Every parameter from U(−1/√H, 1/√H), as RNNBase.reset_parameters."""
        _uniform_init(self, generator)

    def _weights(self):
        return self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh

    def _prepare(self, input, states):
        """input as (batch, in) and each state as (batch, H), and whether input was batched."""
        kind = type(self).__name__
        x = as_tensor(input)
        if x.ndim not in (1, 2) or x.shape[-1] != self.input_size:
            raise ValueError(f"{kind}: expected input of shape (batch, {self.input_size}) or "
                             f"({self.input_size},), got {x.shape}")
        batched = x.ndim == 2
        expected = (x.shape[0], self.hidden_size) if batched else (self.hidden_size,)
        prepared = []
        for name, h in states:
            if h is None:
                h = np.zeros(expected, dtype=x.dtype)
            elif as_tensor(h).shape != expected:
                raise ValueError(f"{kind}: {name} must have shape {expected} for input of "
                                 f"shape {x.shape}, got {as_tensor(h).shape}")
            prepared.append(h if batched else as_tensor(h).reshape(1, self.hidden_size))
        return (x if batched else x.reshape(1, self.input_size)), prepared, batched

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"  # unquoted, as PyTorch prints it
        return s


class RNNCell(RNNCellBase):
    """h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh) (or ReLU);  cell(input, hx=None) -> h'."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh",
                 dtype=np.float64, generator=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: unknown nonlinearity {nonlinearity!r}; use 'tanh' or "
                             "'relu'")
        super().__init__(input_size, hidden_size, bias, dtype, generator)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        x, (h,), batched = self._prepare(input, [("hx", hx)])
        out = rnn_step(x, as_tensor(h), *self._weights(), relu=self.nonlinearity == "relu")
        return out if batched else out.reshape(self.hidden_size)


class GRUCell(RNNCellBase):
    """One GRU step (GRU's equations, gate order r, z, n);  cell(input, hx=None) -> h'."""

    gates = 3

    def forward(self, input, hx=None):
        x, (h,), batched = self._prepare(input, [("hx", hx)])
        out = gru_step(x, as_tensor(h), *self._weights())
        return out if batched else out.reshape(self.hidden_size)


class LSTMCell(RNNCellBase):
    """One LSTM step (LSTM's equations, gate order i, f, g, o), one fused lstm_cell node;
    cell(input, (h, c)=None) -> (h', c')."""

    gates = 4

    def forward(self, input, hx=None):
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise TypeError(f"LSTMCell: hx must be a tuple (h, c), got {type(hx).__name__}")
        h, c = (None, None) if hx is None else hx
        x, (h, c), batched = self._prepare(input, [("h", h), ("c", c)])
        state = lstm_step(x, lstm_state(h, c), *self._weights())
        size = self.hidden_size
        h_new, c_new = state[:, :size], state[:, size:2 * size]
        if not batched:
            return h_new.reshape(size), c_new.reshape(size)
        return h_new, c_new
