"""Layers: Linear's convention, Sequential, MLP, Dropout, Maxout, Perceptron."""

import math

import numpy as np
import pytest

import nn
from autograd import Tensor, gradcheck


def rows(n, d, seed=0):
    return np.random.default_rng(seed).normal(size=(n, d))


# -- Linear ---------------------------------------------------------------------------


def test_linear_weight_is_output_index_first_and_maps_rows_and_columns_alike():
    layer = nn.Linear(3, 2)
    W, b = layer.weight.data, layer.bias.data
    assert W.shape == (2, 3) and b.shape == (2,)
    x = rows(4, 3)
    np.testing.assert_allclose(layer(x).data, x @ W.T + b, rtol=1e-14)
    for n in range(4):  # one sample: z_j = Σ_k w_jk x_k + b_j, the text's column form
        np.testing.assert_allclose(layer(x[n]).data, W @ x[n] + b, rtol=1e-14)


def test_linear_gradients_match_finite_differences():
    layer = nn.Linear(3, 2)
    x = Tensor(rows(4, 3), requires_grad=True)
    assert gradcheck(lambda x, w, b: x @ w.T + b, (x, layer.weight, layer.bias))


def test_linear_weight_gradient_is_upstream_transposed_times_input():
    layer = nn.Linear(3, 2)
    x = rows(5, 3)
    upstream = rows(5, 2, seed=1)
    layer(x).backward(upstream)
    np.testing.assert_allclose(layer.weight.grad.data, upstream.T @ x, rtol=1e-12)
    np.testing.assert_allclose(layer.bias.grad.data, upstream.sum(axis=0), rtol=1e-12)


def test_linear_default_init_is_uniform_within_one_over_sqrt_fan_in():
    layer = nn.Linear(400, 300, generator=0)
    bound = 1 / math.sqrt(400)
    assert np.abs(layer.weight.data).max() <= bound
    assert np.abs(layer.weight.data).max() > 0.99 * bound  # really spread, not tiny
    assert abs(layer.weight.data.std() - bound / math.sqrt(3)) < 0.01 * bound


def test_linear_without_bias():
    layer = nn.Linear(3, 2, bias=False)
    assert layer.bias is None and [n for n, _ in layer.named_parameters()] == ["weight"]
    np.testing.assert_allclose(layer(rows(2, 3)).data, rows(2, 3) @ layer.weight.data.T)


def test_linear_wrong_last_dimension_names_layer_and_shapes():
    with pytest.raises(ValueError) as info:
        nn.Linear(3, 2)(np.ones((8, 4)))
    assert str(info.value) == "Linear(in_features=3): input has shape (8, 4), expected (..., 3)"


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_linear_sizes_must_be_positive_ints(bad):
    with pytest.raises(ValueError, match="in_features must be a positive int"):
        nn.Linear(bad, 2)


def test_linear_float32_stays_float32_forward_and_backward():
    layer = nn.Linear(3, 2, dtype=np.float32)
    out = layer(np.ones((4, 3), dtype=np.float32))
    assert out.dtype == np.float32
    out.sum().backward()
    assert layer.weight.grad.dtype == np.float32


def test_same_generator_seed_gives_same_layer():
    np.testing.assert_array_equal(nn.Linear(3, 2, generator=7).weight.data,
                                  nn.Linear(3, 2, generator=7).weight.data)


# -- Sequential and MLP ---------------------------------------------------------------


def test_sequential_composes_in_order_and_indexes_like_a_list():
    first, second = nn.Linear(3, 4), nn.Linear(4, 2)
    model = nn.Sequential(first, nn.Tanh(), second)
    x = rows(5, 3)
    np.testing.assert_allclose(model(x).data, second(first(x).tanh()).data)
    assert model[0] is first and model[-1] is second and len(model) == 3
    assert isinstance(model[1:], nn.Sequential) and len(model[1:]) == 2
    with pytest.raises(TypeError, match="expected a Module"):
        nn.Sequential(first, np.tanh)


def test_module_list_registers_but_does_not_chain():
    layers = nn.ModuleList(nn.Linear(2, 2), nn.Linear(2, 2))
    assert len(list(layers.parameters())) == 4
    with pytest.raises(NotImplementedError):
        layers(np.ones(2))


def test_mlp_structure_and_logit_outputs():
    model = nn.MLP(4, [8, 6], 3, activation="tanh")
    kinds = [type(m).__name__ for m in model.layers]
    assert kinds == ["Linear", "Tanh", "Linear", "Tanh", "Linear"]
    assert model.sizes == (4, 8, 6, 3)
    x = rows(5, 4)
    h = x
    for layer in model.layers:
        h = layer(h)
    np.testing.assert_array_equal(model(x).data, h.data)  # ends in Linear: raw logits


def test_mlp_output_activation_and_dropout_placement():
    model = nn.MLP(4, [8], 3, activation="relu", output_activation="softmax", dropout=0.2)
    kinds = [type(m).__name__ for m in model.layers]
    assert kinds == ["Linear", "ReLU", "Dropout", "Linear", "Softmax"]
    model.eval()
    np.testing.assert_allclose(model(rows(5, 4)).data.sum(axis=1), 1.0)


def test_mlp_accepts_an_int_hidden_size_and_no_hidden_layer():
    assert nn.MLP(4, 8, 3).sizes == (4, 8, 3)
    assert [type(m).__name__ for m in nn.MLP(4, [], 3).layers] == ["Linear"]


def test_mlp_unknown_activation_is_named():
    with pytest.raises(ValueError, match="unknown activation 'swishy'"):
        nn.MLP(4, [8], 3, activation="swishy")


def test_manual_seed_makes_mlp_initialisation_reproducible():
    nn.manual_seed(3)
    a = nn.MLP(4, [8], 3).state_dict()
    nn.manual_seed(3)
    b = nn.MLP(4, [8], 3).state_dict()
    c = nn.MLP(4, [8], 3).state_dict()
    for name in a:
        np.testing.assert_array_equal(a[name], b[name])
    assert not np.array_equal(a["layers.0.weight"], c["layers.0.weight"])


# -- Dropout --------------------------------------------------------------------------


def test_dropout_is_inverted_in_training_and_the_identity_in_eval():
    layer = nn.Dropout(0.25, generator=0)
    x = np.ones((200, 50))
    out = layer(x).data
    kept = out != 0
    np.testing.assert_allclose(out[kept], 1 / 0.75)  # survivors scaled by 1/(1 − p)
    assert abs(kept.mean() - 0.75) < 0.01
    assert abs(out.mean() - 1.0) < 0.02  # expectation unchanged
    layer.eval()
    x_tensor = Tensor(x)
    assert layer(x_tensor) is x_tensor


def test_dropout_gradient_is_the_mask():
    layer = nn.Dropout(0.5, generator=1)
    x = Tensor(np.ones((4, 5)), requires_grad=True)
    out = layer(x)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.data, out.data)  # out = mask·x with x = 1


def test_dropout_draws_a_new_mask_each_call_even_from_an_int_seed():
    layer = nn.Dropout(0.5, generator=0)
    assert not np.array_equal(layer(np.ones(100)).data, layer(np.ones(100)).data)


def test_dropout_p_one_gives_zeros_and_p_zero_the_input():
    x = rows(3, 4)
    with np.errstate(all="raise"):
        np.testing.assert_array_equal(nn.Dropout(1.0)(x).data, np.zeros((3, 4)))
    np.testing.assert_array_equal(nn.Dropout(0.0)(x).data, x)


@pytest.mark.parametrize("p", [-0.1, 1.5, "half"])
def test_dropout_probability_is_checked(p):
    with pytest.raises(ValueError, match="probability in \\[0, 1\\]"):
        nn.Dropout(p)


def test_dropout_follows_manual_seed():
    nn.manual_seed(5)
    a = nn.Dropout(0.5)(np.ones(20)).data
    nn.manual_seed(5)
    np.testing.assert_array_equal(nn.Dropout(0.5)(np.ones(20)).data, a)


def test_dropout_keeps_float32():
    assert nn.Dropout(0.5)(np.ones(4, dtype=np.float32)).dtype == np.float32


# -- Maxout ---------------------------------------------------------------------------


def test_maxout_takes_the_largest_of_its_pieces():
    layer = nn.Maxout(3, 2, pieces=4)
    x = rows(5, 3)
    z = layer.linear(x).data.reshape(5, 2, 4)
    np.testing.assert_allclose(layer(x).data, z.max(axis=-1))
    assert layer.linear.weight.shape == (8, 3)


def test_maxout_gradient_matches_finite_differences():
    layer = nn.Maxout(3, 2, pieces=3)
    x = Tensor(rows(4, 3), requires_grad=True)
    assert gradcheck(lambda x: layer(x), (x,))


# -- Perceptron -----------------------------------------------------------------------

INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
AND = np.array([-1, -1, -1, 1])
OR = np.array([-1, 1, 1, 1])
XOR = np.array([-1, 1, 1, -1])


@pytest.mark.parametrize("labels", [AND, OR], ids=["AND", "OR"])
def test_perceptron_learns_linearly_separable_gates(labels):
    p = nn.Perceptron(2)
    mistakes = p.learn(INPUTS, labels, epochs=100)
    assert mistakes[-1] == 0 and mistakes[0] > 0
    np.testing.assert_array_equal(p(INPUTS).data, labels)


def test_perceptron_cannot_learn_xor():
    p = nn.Perceptron(2)
    mistakes = p.learn(INPUTS, XOR, epochs=200)
    assert len(mistakes) == 200 and min(mistakes) > 0
    assert (p(INPUTS).data != XOR).any()


def test_perceptron_rule_updates_only_on_mistakes():
    p = nn.Perceptron(2)
    assert p.update(np.array([1.0, 2.0]), 1, lr=0.5)  # sign(0) = 0 counts as a mistake
    assert p.weight.data.tolist() == [0.5, 1.0] and p.bias.data.item() == 0.5
    assert not p.update(np.array([1.0, 2.0]), 1, lr=0.5)
    assert p.weight.data.tolist() == [0.5, 1.0]


def test_perceptron_sign_has_no_gradient():
    p = nn.Perceptron(2)
    p.weight.data[...] = [1.0, -1.0]
    p(INPUTS).sum().backward()
    np.testing.assert_array_equal(p.weight.grad.data, 0.0)


def test_perceptron_labels_must_be_plus_minus_one():
    with pytest.raises(ValueError, match="labels must be -1 or \\+1, got \\[0, 1\\].*2\\*y - 1"):
        nn.Perceptron(2).learn(INPUTS, [0, 0, 0, 1])


# attn (issue 16): linear folds leading axes into one matrix; empty axes must still work
@pytest.mark.parametrize("x_shape, w_shape", [((2, 3, 0), (5, 0)), ((2, 3, 4), (0, 4)),
                                              ((0, 3, 4), (5, 4)), ((2, 1, 3, 4), (5, 4))])
def test_linear_with_leading_axes_and_empty_sizes(x_shape, w_shape):
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal(x_shape), requires_grad=True)
    w = Tensor(rng.standard_normal(w_shape), requires_grad=True)
    b = Tensor(rng.standard_normal(w_shape[:1]), requires_grad=True)
    y = nn.linear(x, w, b)
    np.testing.assert_allclose(y.data, x.data @ w.data.T + b.data)
    y.sum().backward()
    assert (x.grad.shape, w.grad.shape, b.grad.shape) == (x_shape, w_shape, w_shape[:1])
    column_sums = x.data.reshape(math.prod(x_shape[:-1]), x_shape[-1]).sum(axis=0)
    np.testing.assert_allclose(w.grad.data, np.broadcast_to(column_sums, w_shape))
