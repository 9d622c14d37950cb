"""Neurons, layers and MLPs on Scalars, one weight at a time (micrograd's nn, for teaching).

A Neuron computes  out = φ(Σ_k w_k x_k + b)  with every w_k and b its own Scalar, so a
graph picture shows each multiply and add, and every weight gets a float `.grad`. The
Tensor-level nn.MLP computes the same numbers for the same weights, a batch at a time.

Parameters are named by position: in an MLP, `l1.n0.w2` is layer 1's neuron 0's weight
on input 2 (the study text's w^l_jk with l = 1, j = 0, k = 2), and `l1.n0.b` its bias.
"""

from __future__ import annotations

from autograd import Scalar

from .init import get_generator

__all__ = ["Neuron", "Layer", "MLP"]

_ACTIVATIONS = ("relu", "tanh", "sigmoid", None)


class ScalarModule:
    """What the three classes share: parameters, their names, zero_grad."""

    def named_parameters(self):
        raise NotImplementedError

    def parameters(self) -> list[Scalar]:
        return [p for _, p in self.named_parameters()]

    def num_parameters(self) -> int:
        return len(self.parameters())

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = None

    def _rename(self, prefix):
        for name, p in self.named_parameters():
            p.name = f"{prefix}.{name}"


class Neuron(ScalarModule):
    """out = φ(w·x + b): `n_inputs` weights and a bias, each a Scalar drawn from U(−1, 1)
    (micrograd's choice); φ is "relu", "tanh", "sigmoid" or None (linear)."""

    def __init__(self, n_inputs: int, activation="tanh", generator=None):
        if activation not in _ACTIVATIONS:
            raise ValueError(f"Neuron: activation must be one of {_ACTIVATIONS}, got "
                             f"{activation!r}")
        if isinstance(n_inputs, bool) or not isinstance(n_inputs, int) or n_inputs < 1:
            raise ValueError(f"Neuron: n_inputs must be a positive int, got {n_inputs!r}")
        rng = get_generator(generator, "Neuron")
        values = rng.uniform(-1.0, 1.0, n_inputs + 1).tolist()
        self.w = [Scalar(v, name=f"w{k}") for k, v in enumerate(values[:-1])]
        self.b = Scalar(values[-1], name="b")
        self.activation = activation

    def __call__(self, x) -> Scalar:
        if len(x) != len(self.w):
            raise ValueError(f"Neuron: expected {len(self.w)} inputs, got {len(x)}")
        z = self.b
        for w_k, x_k in zip(self.w, x):
            z = z + w_k * x_k
        if self.activation is None:
            return z
        return getattr(z, self.activation)()

    def named_parameters(self):
        return [(f"w{k}", w) for k, w in enumerate(self.w)] + [("b", self.b)]

    def __repr__(self):
        kind = self.activation or "linear"
        return f"Neuron({len(self.w)} inputs, {kind})"


class Layer(ScalarModule):
    """`n_outputs` neurons reading the same inputs. Returns a list of Scalars, or a
    single Scalar when n_outputs == 1."""

    def __init__(self, n_inputs: int, n_outputs: int, activation="tanh", generator=None):
        rng = get_generator(generator, "Layer")
        self.neurons = [Neuron(n_inputs, activation, rng) for _ in range(n_outputs)]
        for j, neuron in enumerate(self.neurons):
            neuron._rename(f"n{j}")

    def __call__(self, x):
        out = [neuron(x) for neuron in self.neurons]
        return out[0] if len(out) == 1 else out

    def named_parameters(self):
        return [(f"n{j}.{name}", p) for j, neuron in enumerate(self.neurons)
                for name, p in neuron.named_parameters()]

    def __repr__(self):
        return f"Layer([{', '.join(str(n) for n in self.neurons)}])"


class MLP(ScalarModule):
    """Layers of sizes n_inputs → sizes[0] → ... → sizes[-1], `activation` on every
    hidden layer and none on the last (its outputs are raw scores), like nn.MLP."""

    def __init__(self, n_inputs: int, sizes, activation="tanh", generator=None):
        rng = get_generator(generator, "MLP")
        dims = [n_inputs, *sizes]
        self.layers = [
            Layer(dims[i], dims[i + 1], activation if i < len(sizes) - 1 else None, rng)
            for i in range(len(sizes))
        ]
        for i, layer in enumerate(self.layers):
            layer._rename(f"l{i + 1}")

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
            if isinstance(x, Scalar):
                x = [x]
        return x[0] if len(x) == 1 else x

    def named_parameters(self):
        return [(f"l{i + 1}.{name}", p) for i, layer in enumerate(self.layers)
                for name, p in layer.named_parameters()]

    def __repr__(self):
        return f"MLP([{', '.join(str(layer) for layer in self.layers)}])"
