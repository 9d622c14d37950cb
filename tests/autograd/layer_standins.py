"""Stand-ins for the conv, pooling, recurrent and attention layers, built from existing
operators and nn.Linear, with PyTorch's extra_repr() text: the layer pictures are tested
on these (tests/autograd/test_viz_layers.py) while the real layers are written."""

import numpy as np

import nn
from autograd import Tensor, einsum, stack
from autograd.graph import scope


class ConvLike(nn.Module):
    """A 2-d convolution, stride 1: zero padding, im2col by one gather, one einsum."""

    def __init__(self, in_channels, out_channels, kernel_size, padding=0):
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.padding = kernel_size, padding
        rng = np.random.default_rng(in_channels * 100 + out_channels)
        bound = 1 / np.sqrt(in_channels * kernel_size**2)
        shape = (out_channels, in_channels, kernel_size, kernel_size)
        self.weight = nn.Parameter(rng.uniform(-bound, bound, shape))
        self.bias = nn.Parameter(rng.uniform(-bound, bound, out_channels))

    def forward(self, x):
        k, p = self.kernel_size, self.padding
        x = nn.functional.pad(x, (p, p, p, p))
        height, width = x.shape[2] - k + 1, x.shape[3] - k + 1
        rows = np.arange(height)[:, None, None, None] + np.arange(k)[None, None, :, None]
        cols = np.arange(width)[None, :, None, None] + np.arange(k)[None, None, None, :]
        patches = x[:, :, rows, cols]  # (N, C, H, W, k, k)
        return einsum("nchwij,ocij->nohw", patches, self.weight) + self.bias.reshape(-1, 1, 1)

    def extra_repr(self):
        k, p = self.kernel_size, self.padding
        return (f"{self.in_channels}, {self.out_channels}, kernel_size=({k}, {k}), "
                f"stride=(1, 1), padding=({p}, {p})")


class MaxPoolLike(nn.Module):
    def __init__(self, kernel_size):
        super().__init__()
        self.kernel_size = kernel_size

    def forward(self, x):
        n, c, h, w = x.shape
        k = self.kernel_size
        return x.reshape(n, c, h // k, k, w // k, k).max(axis=(3, 5))

    def extra_repr(self):  # torch's MaxPool2d prints all five
        return (f"kernel_size={self.kernel_size}, stride={self.kernel_size}, padding=0, "
                "dilation=1, ceil_mode=False")


class FlattenLike(nn.Module):
    def forward(self, x):
        return x.reshape(x.shape[0], -1)

    def extra_repr(self):
        return "start_dim=1, end_dim=-1"


def cnn():
    """A LeNet-like CNN of ten layers for 1×8×8 digits."""
    return nn.Sequential(
        ConvLike(1, 8, 3, padding=1), nn.ReLU(), MaxPoolLike(2),
        ConvLike(8, 16, 3, padding=1), nn.ReLU(), MaxPoolLike(2),
        FlattenLike(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))


def cnn_loss(batch=16, seed=0):
    rng = np.random.default_rng(seed)
    model = cnn()
    x = Tensor(rng.normal(size=(batch, 1, 8, 8)), name="images")
    loss = nn.cross_entropy(model(x), rng.integers(0, 10, batch))
    loss.name = "loss"
    return model, loss


class LSTMLike(nn.Module):
    """A multi-layer LSTM unrolled over time from nn.Linear, each step of layer l in a
    scope "l{l} step", as nn.LSTM does; input (seq, batch, input_size)."""

    def __init__(self, input_size, hidden_size, num_layers):
        super().__init__()
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        for layer in range(num_layers):
            size = input_size if layer == 0 else hidden_size
            self.add_module(f"ih{layer}", nn.Linear(size, 4 * hidden_size))
            self.add_module(f"hh{layer}", nn.Linear(hidden_size, 4 * hidden_size))

    def forward(self, x):
        size = self.hidden_size
        self.states = []  # (h, c) of every step, layer by layer, for the tests to read
        for layer in range(self.num_layers):
            ih, hh = getattr(self, f"ih{layer}"), getattr(self, f"hh{layer}")
            h = c = Tensor(np.zeros((x.shape[1], size)))
            outputs = []
            for t in range(x.shape[0]):
                with scope(f"l{layer} step"):
                    gates = ih(x[t]) + hh(h)
                    i, f = gates[:, :size].sigmoid(), gates[:, size:2 * size].sigmoid()
                    g, o = gates[:, 2 * size:3 * size].tanh(), gates[:, 3 * size:].sigmoid()
                    c = f * c + i * g
                    h = o * c.tanh()
                outputs.append(h)
                self.states.append((h, c))
            x = stack(outputs)
        return x, (h, c)

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}"


class LSTMClassifier(nn.Module):
    def __init__(self, input_size=8, hidden_size=16, num_layers=2, classes=4):
        super().__init__()
        self.rnn = LSTMLike(input_size, hidden_size, num_layers)
        self.head = nn.Linear(hidden_size, classes)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[-1])


def lstm_loss(steps=32, batch=4, seed=0):
    rng = np.random.default_rng(seed)
    model = LSTMClassifier()
    x = Tensor(rng.normal(size=(steps, batch, 8)), name="sequence")
    loss = nn.cross_entropy(model(x), rng.integers(0, 4, batch))
    loss.name = "loss"
    return model, loss


class AttentionLike(nn.Module):
    """Multi-head self-attention, heads batched as an axis: softmax(QKᵀ/√d) V."""

    def __init__(self, embed_dim, num_heads):
        super().__init__()
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.in_proj = nn.Linear(embed_dim, 3 * embed_dim)
        self.out_proj = nn.Linear(embed_dim, embed_dim)

    def forward(self, x):  # (batch, seq, embed)
        b, s, e = x.shape
        heads, d = self.num_heads, e // self.num_heads
        qkv = self.in_proj(x).reshape(b, s, 3, heads, d)
        q, k, v = (qkv[:, :, i].swapaxes(1, 2) for i in range(3))  # (batch, heads, seq, d)
        weights = (q @ k.swapaxes(-1, -2) / np.sqrt(d)).softmax(axis=-1)
        return self.out_proj((weights @ v).swapaxes(1, 2).reshape(b, s, e))

    def extra_repr(self):
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, batch_first=True"


class BlockLike(nn.Module):
    def __init__(self, embed_dim=16, num_heads=4):
        super().__init__()
        self.self_attn = AttentionLike(embed_dim, num_heads)
        self.linear1 = nn.Linear(embed_dim, 32)
        self.linear2 = nn.Linear(32, embed_dim)

    def forward(self, x):
        x = x + self.self_attn(x)
        return x + self.linear2(self.linear1(x).relu())


def attention_loss(seed=0):
    rng = np.random.default_rng(seed)
    model = nn.Sequential(BlockLike(), BlockLike())
    x = Tensor(rng.normal(size=(2, 6, 16)), name="tokens")
    out = model(x)
    loss = (out**2).mean()
    loss.name = "loss"
    return model, loss


__all__ = ["ConvLike", "MaxPoolLike", "FlattenLike", "cnn", "cnn_loss", "LSTMLike",
           "LSTMClassifier", "lstm_loss", "AttentionLike", "BlockLike", "attention_loss"]
