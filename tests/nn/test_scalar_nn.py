"""nn.scalar: neurons on Scalars, checked against hand formulas and against nn.MLP."""

import math

import numpy as np
import pytest

import nn
from autograd import Scalar
from nn import scalar


def test_neuron_computes_activation_of_weighted_sum_plus_bias():
    neuron = scalar.Neuron(3, activation="tanh", generator=0)
    x = [0.5, -1.0, 2.0]
    w = [p.data for p in neuron.w]
    expected = math.tanh(sum(wk * xk for wk, xk in zip(w, x)) + neuron.b.data)
    assert neuron(x).data == pytest.approx(expected, rel=1e-15)


def test_neuron_gradients_are_the_chain_rule_by_hand():
    neuron = scalar.Neuron(2, activation="sigmoid", generator=1)
    x = [Scalar(0.3), Scalar(-0.8)]
    out = neuron(x)
    out.backward()
    s = out.data
    local = s * (1 - s)  # σ'
    for w_k, x_k in zip(neuron.w, x):
        assert w_k.grad == pytest.approx(local * x_k.data, rel=1e-12)
        assert x_k.grad == pytest.approx(local * w_k.data, rel=1e-12)
    assert neuron.b.grad == pytest.approx(local, rel=1e-12)


def test_parameters_are_named_by_layer_neuron_and_input():
    model = scalar.MLP(3, [4, 2], generator=0)
    names = [name for name, _ in model.named_parameters()]
    assert names[:4] == ["l1.n0.w0", "l1.n0.w1", "l1.n0.w2", "l1.n0.b"]
    assert names[-1] == "l2.n1.b" and len(names) == 4 * 4 + 2 * 5
    assert all(p.name == name for name, p in model.named_parameters())
    assert model.num_parameters() == 26


def test_scalar_mlp_equals_tensor_mlp_with_the_same_weights():
    """Same numbers a weight at a time (Scalar) and a batch at a time (Tensor)."""
    smlp = scalar.MLP(3, [4, 2], activation="tanh", generator=0)
    tmlp = nn.MLP(3, [4], 2, activation="tanh")
    for s_layer, t_layer in zip(smlp.layers, tmlp.layers[::2]):
        t_layer.weight.data[...] = [[w.data for w in n.w] for n in s_layer.neurons]
        t_layer.bias.data[...] = [n.b.data for n in s_layer.neurons]
    X = np.random.default_rng(0).normal(size=(5, 3))
    labels = np.array([0, 1, 1, 0, 1])

    t_loss = nn.cross_entropy(tmlp(X), labels, reduction="sum")
    t_loss.backward()
    s_loss = Scalar(0.0, requires_grad=False)
    for x, y in zip(X.tolist(), labels):
        scores = smlp(x)
        log_total = sum((s.exp() for s in scores), Scalar(0.0, requires_grad=False)).log()
        s_loss = s_loss + log_total - scores[y]
    s_loss.backward()

    assert s_loss.data == pytest.approx(t_loss.item(), rel=1e-12)
    for s_layer, t_layer in zip(smlp.layers, tmlp.layers[::2]):
        s_grads = [[w.grad for w in n.w] for n in s_layer.neurons]
        np.testing.assert_allclose(s_grads, t_layer.weight.grad.data, rtol=1e-10)
        np.testing.assert_allclose([n.b.grad for n in s_layer.neurons],
                                   t_layer.bias.grad.data, rtol=1e-10)


def test_scalar_mlp_learns_micrograds_tiny_dataset():
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    model = scalar.MLP(3, [4, 4, 1], generator=0)
    losses = []
    for _ in range(50):
        loss = sum(((model(x) - y) ** 2 for x, y in zip(xs, ys)), Scalar(0.0))
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= 0.05 * p.grad
        losses.append(loss.data)
    assert losses[-1] < 0.05 * losses[0]


def test_zero_grad_clears_every_parameter():
    model = scalar.Layer(2, 3, generator=0)
    sum(model([1.0, 2.0]), Scalar(0.0)).backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_layer_of_one_neuron_returns_a_scalar_and_reprs_read_well():
    assert isinstance(scalar.Layer(2, 1, generator=0)([1.0, 2.0]), Scalar)
    assert repr(scalar.Neuron(2, None, generator=0)) == "Neuron(2 inputs, linear)"
    assert repr(scalar.MLP(2, [1], generator=0)) == "MLP([Layer([Neuron(2 inputs, linear)])])"


def test_neuron_misuse():
    with pytest.raises(ValueError, match="expected 2 inputs, got 3"):
        scalar.Neuron(2, generator=0)([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="activation must be one of"):
        scalar.Neuron(2, activation="softmax")
