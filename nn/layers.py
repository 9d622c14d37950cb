"""Layers: Linear, Sequential, ModuleList, MLP, Dropout, Maxout and the Perceptron.

Weights follow the study text's convention w^l_jk, output index first: a Linear weight
has shape (out_features, in_features), so a batch of row vectors x (N, in_features) maps
to x @ W.T + b (N, out_features), and one column vector to W x + b.
"""

from __future__ import annotations

import math

import numpy as np

from autograd import Tensor, no_grad
from autograd.ops.linalg import Linear as LinearOp

from . import init
from .activations import as_tensor, get_activation
from .module import Module, Parameter

__all__ = ["linear", "Linear", "Sequential", "ModuleList", "MLP", "Dropout", "dropout", "Maxout",
           "Perceptron"]


def _positive_int(value, where, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{where}: {name} must be a positive int, got {value!r}")
    return int(value)


def linear(x, weight, bias=None) -> Tensor:
    """y = x Wᵀ + b for x (..., in), W (out, in), b (out,) or None: one fused operator
    (`linear`, PyTorch's addmm), whose backward gives ∂L/∂x = (∂L/∂y) W,
    ∂L/∂W = (∂L/∂y)ᵀ x and ∂L/∂b = Σ_n ∂L/∂y without a transposed copy of W."""
    inputs = (as_tensor(x), weight) if bias is None else (as_tensor(x), weight, bias)
    return LinearOp.apply(*inputs)


class Linear(Module):
    """An affine map:  y = x Wᵀ + b,  W of shape (out_features, in_features).

    For one sample, y_j = Σ_k w_jk x_k + b_j (the study text's z = Σ w_i x_i + b, one row
    of W per output neuron). Gradients over a batch: ∂L/∂W = (∂L/∂y)ᵀ x, ∂L/∂b = Σ_n ∂L/∂y.

    forward is one `linear` operator node (x @ Wᵀ + b fused, as PyTorch's addmm), so a
    graph shows linear(x, weight, bias) rather than transpose, matmul and add.

    Initialisation is PyTorch's: W and b from U(−1/√in_features, 1/√in_features), drawn
    from `generator` (None: the default generator that nn.manual_seed controls). `dtype`
    is the parameters' dtype (np.float32 models stay float32 end to end).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 dtype=np.float64, generator=None):
        super().__init__()
        self.in_features = _positive_int(in_features, "Linear", "in_features")
        self.out_features = _positive_int(out_features, "Linear", "out_features")
        rng = init.get_generator(generator, "Linear")
        bound = 1.0 / math.sqrt(self.in_features)
        self.weight = Parameter(np.empty((self.out_features, self.in_features), dtype=dtype))
        init.uniform_(self.weight, -bound, bound, rng)
        if bias:
            self.bias = Parameter(np.empty(self.out_features, dtype=dtype))
            init.uniform_(self.bias, -bound, bound, rng)
        else:
            self.bias = None

    def forward(self, x):
        x = as_tensor(x)
        shape = x.shape
        if not shape or shape[-1] != self.in_features:
            raise ValueError(f"Linear(in_features={self.in_features}): input has shape "
                             f"{x.shape}, expected (..., {self.in_features})")
        return linear(x, self.weight, self.bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Sequential(Module):
    """Modules applied in order: Sequential(a, b, c)(x) = c(b(a(x))).
    Children are named "0", "1", ...; indexing and len() work like a list's."""

    def __init__(self, *modules: Module):
        super().__init__()
        for module in modules:
            self.append(module)

    def append(self, module: Module) -> Sequential:
        if not isinstance(module, Module):
            raise TypeError(f"{type(self).__name__}: expected a Module, got "
                            f"{type(module).__name__}")
        self.add_module(str(len(self._members)), module)
        return self

    def __getitem__(self, index):
        modules = list(self._members.values())
        if isinstance(index, slice):
            return type(self)(*modules[index])
        return modules[index]

    def __len__(self):
        return len(self._members)

    def __iter__(self):
        return iter(list(self._members.values()))

    def forward(self, x):
        for module in self._members.values():
            x = module(x)
        return x


class ModuleList(Sequential):
    """A list of modules, registered (so their parameters count) but not chained:
    write forward() yourself. ModuleList([a, b]) as in PyTorch (ModuleList(a, b) too)."""

    def __init__(self, *modules):
        if len(modules) == 1 and not isinstance(modules[0], Module):
            if modules[0] is None:
                modules = ()
            else:
                try:
                    modules = tuple(modules[0])
                except TypeError:
                    raise TypeError(f"ModuleList: expected modules or an iterable of them, got "
                                    f"{type(modules[0]).__name__}") from None
        super().__init__(*modules)

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleList has no forward(); iterate over it instead")


class MLP(Module):
    """A multilayer perceptron: Linear layers with an activation between them.

        MLP(64, [32, 16], 10) = Linear(64→32) act Linear(32→16) act Linear(16→10)

    No activation follows the last layer unless output_activation says so, so by default
    the outputs are logits (feed them to CrossEntropyLoss or BCEWithLogitsLoss). With
    dropout > 0, a Dropout(dropout) follows every hidden activation. `activation` and
    `output_activation` take a name ("relu", "tanh", "sigmoid", "gelu", ...), a Module
    class or None. Layers live in `self.layers`, a Sequential, so parameters are named
    layers.0.weight, layers.0.bias, layers.2.weight, ...
    """

    def __init__(self, in_features: int, hidden_sizes, out_features: int,
                 activation="relu", output_activation=None, dropout: float = 0.0,
                 dtype=np.float64, generator=None):
        super().__init__()
        if isinstance(hidden_sizes, (int, np.integer)):
            hidden_sizes = [hidden_sizes]
        sizes = [in_features, *hidden_sizes, out_features]
        rng = init.get_generator(generator, "MLP")
        layers = Sequential()
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(Linear(n_in, n_out, dtype=dtype, generator=rng))
            if i < len(sizes) - 2:
                layers.append(get_activation(activation, "MLP"))
                if dropout > 0:
                    layers.append(Dropout(dropout))
        if output_activation is not None:
            layers.append(get_activation(output_activation, "MLP"))
        self.layers = layers
        self.sizes = tuple(int(n) for n in sizes)

    def forward(self, x):
        return self.layers(x)


def dropout(x, p: float = 0.5, training: bool = True, generator=None) -> Tensor:
    """Inverted dropout: in training, zero each element with probability p and scale the
    survivors by 1/(1 − p), so the expected value is unchanged and evaluation needs no
    rescaling; with training=False, x itself. p = 1 gives zeros."""
    _check_probability(p, "dropout")
    x = as_tensor(x)
    if not training or p == 0:
        return x
    rng = init.get_generator(generator, "dropout")
    keep = rng.random(x.shape) >= p
    scale = 0.0 if p == 1 else 1.0 / (1.0 - p)
    return x * (keep * scale).astype(x.dtype)


def _check_probability(p, where):
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
        raise ValueError(f"{where}: p must be a probability in [0, 1], got {p!r}")


class Dropout(Module):
    __doc__ = dropout.__doc__ + "\n    Active in train() mode only; eval() makes it the identity."

    def __init__(self, p: float = 0.5, generator=None):
        super().__init__()
        _check_probability(p, "Dropout")
        self.p = float(p)
        # An int seed becomes one Generator now: re-seeding at every call would draw the
        # same mask every time.
        self.generator = None if generator is None else init.get_generator(generator, "Dropout")

    def forward(self, x):
        return dropout(x, self.p, self.training, self.generator)

    def extra_repr(self):
        return f"p={self.p}"


class Maxout(Module):
    """Maxout (Goodfellow et al., 2013): each output is the largest of `pieces` affine
    functions of the input,  y_j = max_i (x W_ijᵀ + b_ij),  a learned convex piecewise
    linear activation. The gradient goes to the winning piece (split evenly on ties).
    """

    def __init__(self, in_features: int, out_features: int, pieces: int,
                 dtype=np.float64, generator=None):
        super().__init__()
        self.out_features = _positive_int(out_features, "Maxout", "out_features")
        self.pieces = _positive_int(pieces, "Maxout", "pieces")
        self.linear = Linear(in_features, self.out_features * self.pieces, dtype=dtype,
                             generator=generator)

    def forward(self, x):
        z = self.linear(x)
        z = z.reshape(*z.shape[:-1], self.out_features, self.pieces)
        return z.max(axis=-1)

    def extra_repr(self):
        return (f"in_features={self.linear.in_features}, out_features={self.out_features}, "
                f"pieces={self.pieces}")


class Perceptron(Module):
    """Rosenblatt's perceptron: y = sign(w·x + b), labels −1 and +1.

    sign has zero gradient, so it is trained not by backpropagation but by the classic
    rule: for each misclassified sample (y·(w·x + b) ≤ 0),
        w ← w + lr·y·x,    b ← b + lr·y.
    It converges when the classes are linearly separable (AND, OR) and never when they
    are not (XOR), which is what ended the first wave of neural-network research.
    Weights start at zero (the classic choice; the rule is then independent of lr).
    """

    def __init__(self, in_features: int, dtype=np.float64):
        super().__init__()
        self.in_features = _positive_int(in_features, "Perceptron", "in_features")
        self.weight = Parameter(np.zeros(self.in_features, dtype=dtype))
        self.bias = Parameter(np.zeros((), dtype=dtype))

    def forward(self, x):
        x = as_tensor(x)
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(f"Perceptron(in_features={self.in_features}): input has shape "
                             f"{x.shape}, expected (..., {self.in_features})")
        return (x @ self.weight + self.bias).sign()

    def update(self, x, y, lr: float = 1.0) -> bool:
        """One step of the perceptron rule on one sample; True if it was misclassified."""
        w, b = self.weight.data, self.bias.data
        if y * (np.dot(w, x) + b) > 0:
            return False
        with no_grad():
            self.weight[...] = w + lr * y * x
            self.bias[...] = b + lr * y
        return True

    def learn(self, X, y, epochs: int = 100, lr: float = 1.0) -> list[int]:
        """Apply the rule sample by sample, in order, for up to `epochs` passes; stop after
        a pass with no mistake. Returns the number of mistakes in each pass (ending in 0
        exactly when the data was learned)."""
        X = np.asarray(X, dtype=self.weight.dtype)
        y = np.asarray(y)
        if X.ndim != 2 or X.shape[1] != self.in_features or y.shape != (len(X),):
            raise ValueError(f"Perceptron.learn: expected X of shape (N, {self.in_features}) "
                             f"and y of shape (N,), got {X.shape} and {y.shape}")
        if not np.isin(y, (-1, 1)).all():
            raise ValueError(f"Perceptron.learn: labels must be -1 or +1, got "
                             f"{sorted(set(np.unique(y).tolist()))}; map 0/1 labels with "
                             "2*y - 1")
        mistakes = []
        for _ in range(epochs):
            mistakes.append(sum(self.update(x_i, y_i, lr) for x_i, y_i in zip(X, y)))
            if mistakes[-1] == 0:
                break
        return mistakes

    def extra_repr(self):
        return f"in_features={self.in_features}"
