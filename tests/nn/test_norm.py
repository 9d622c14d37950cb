"""layer_norm, batch_norm, group_norm and embedding (issue 16): each one operator node,
checked against numpy and against central finite differences, first and second order,
over hypothesis-drawn shapes (size-1 batches and axes included); bad input refused by
name. The comparison with PyTorch is in test_norm_torch.py."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
import nn.functional as F
from autograd import Tensor, grad, gradgradcheck, no_grad
from autograd.testing import assert_gradients_close, floats_in, shapes, tensors

# The operators these tests check by gradient (test_operator_gradients' coverage table).
NORM_NAMES = {"layer_norm", "batch_norm", "group_norm", "embedding"}

VALUES = floats_in(-3.0, 3.0)
# A larger eps keeps 1/√(σ² + eps) moderate for rows of nearly equal values, where finite
# differences would otherwise need a far smaller step.
EPS = 0.1


def _numpy_standardized(a, axes, eps):
    mean = a.mean(axis=axes, keepdims=True)
    return (a - mean) / np.sqrt(a.var(axis=axes, keepdims=True) + eps)


def _affine_args(data, shape, names=("weight", "bias")):
    """A random subset of weight and bias, each a Tensor of `shape` requiring grad."""
    chosen = data.draw(st.sampled_from([(), ("weight",), ("bias",), ("weight", "bias")]))
    return {name: data.draw(tensors(shape, elements=VALUES, requires_grad=True))
            for name in names if name in chosen}


# -- layer_norm ---------------------------------------------------------------------------


@settings(max_examples=25)
@given(data=st.data())
def test_layer_norm_matches_numpy_and_finite_differences(data):
    x = data.draw(tensors(shapes(1, 4, max_side=3), elements=VALUES, requires_grad=True))
    k = data.draw(st.integers(1, x.ndim))
    normalized = x.shape[x.ndim - k:]
    affine = _affine_args(data, normalized)
    out = F.layer_norm(x, normalized, eps=EPS, **affine)
    expected = _numpy_standardized(x.data, tuple(range(x.ndim - k, x.ndim)), EPS)
    expected = expected * (affine["weight"].data if "weight" in affine else 1)
    expected = expected + (affine["bias"].data if "bias" in affine else 0)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)
    assert out.grad_fn.op.name == "layer_norm"  # one node
    inputs = [x, *affine.values()]
    assert_gradients_close(
        lambda x, *wb: F.layer_norm(x, normalized, eps=EPS, **dict(zip(affine, wb))), *inputs)


def test_layer_norm_of_one_element_rows_is_the_bias_with_zero_gradient():
    x = Tensor([[2.0], [-1.0]], requires_grad=True)
    bias = Tensor([0.5], requires_grad=True)
    out = F.layer_norm(x, (1,), bias=bias)
    assert out.data.tolist() == [[0.5], [0.5]]
    out.sum().backward()
    assert x.grad.data.tolist() == [[0.0], [0.0]] and bias.grad.data.tolist() == [2.0]


def test_layer_norm_of_an_empty_batch_is_empty():
    x = Tensor(np.zeros((0, 3)), requires_grad=True)
    out = F.layer_norm(x, 3, Tensor(np.ones(3), requires_grad=True))
    assert out.shape == (0, 3)
    out.sum().backward()
    assert x.grad.shape == (0, 3)


def test_layer_norm_keeps_float32():
    x = Tensor(np.random.default_rng(0).normal(size=(2, 4)).astype(np.float32))
    assert nn.LayerNorm(4).to(np.float32)(x).dtype == np.float32


@pytest.mark.parametrize("call, message", [
    (lambda: F.layer_norm(np.zeros((2, 4)), (5,)), r"normalized_shape=\(5,\).*\(2, 4\)"),
    (lambda: F.layer_norm(np.zeros(4), (2, 4)), r"normalized_shape=\(2, 4\).*\(4,\)"),
    (lambda: F.layer_norm(np.zeros((2, 4)), (4,), np.ones(3)), r"weight has shape \(3,\)"),
    (lambda: F.layer_norm(np.zeros((2, 4)), ()), "normalized_shape must be"),
    (lambda: F.layer_norm(np.zeros((2, 4)), 4, eps=-1.0), "eps must be"),
    (lambda: nn.LayerNorm(0), "normalized_shape must be"),
])
def test_layer_norm_refuses_bad_input_by_name(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_layer_norm_module_has_pytorchs_parameters_and_repr():
    layer = nn.LayerNorm((3, 4))
    assert list(layer.state_dict()) == ["weight", "bias"]
    assert layer.weight.shape == (3, 4) and layer.weight.data.sum() == 12
    assert layer.bias.data.sum() == 0
    assert repr(layer) == ("LayerNorm((3, 4), eps=1e-05, elementwise_affine=True, bias=True)"
                           "  # 24 params")
    assert list(nn.LayerNorm(4, bias=False).state_dict()) == ["weight"]
    plain = nn.LayerNorm(4, elementwise_affine=False)
    assert plain.weight is None and plain.bias is None and list(plain.state_dict()) == []
    assert plain.extra_repr() == "(4,), eps=1e-05, elementwise_affine=False, bias=False"


# -- batch_norm ---------------------------------------------------------------------------


def _batch_norm_input(data, training):
    n = data.draw(st.integers(1, 3))
    c = data.draw(st.integers(1, 3))
    spatial = data.draw(st.lists(st.integers(1, 3), max_size=2))
    if training and n * int(np.prod(spatial)) < 2:
        n = 2
    return data.draw(tensors((n, c, *spatial), elements=VALUES, requires_grad=True))


@settings(max_examples=25)
@given(data=st.data())
def test_batch_norm_training_matches_numpy_and_finite_differences(data):
    x = _batch_norm_input(data, training=True)
    affine = _affine_args(data, (x.shape[1],))
    axes = (0,) + tuple(range(2, x.ndim))
    out = F.batch_norm(x, None, None, training=True, eps=EPS, **affine)
    shape = (-1,) + (1,) * (x.ndim - 2)
    expected = _numpy_standardized(x.data, axes, EPS)
    expected = expected * (affine["weight"].data.reshape(shape) if "weight" in affine else 1)
    expected = expected + (affine["bias"].data.reshape(shape) if "bias" in affine else 0)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)
    assert out.grad_fn.op.name == "batch_norm"
    assert_gradients_close(
        lambda x, *wb: F.batch_norm(x, None, None, training=True, eps=EPS,
                                    **dict(zip(affine, wb))), x, *affine.values())


@settings(max_examples=25)
@given(data=st.data())
def test_batch_norm_eval_matches_numpy_and_finite_differences(data):
    x = _batch_norm_input(data, training=False)
    c = x.shape[1]
    mean = data.draw(tensors((c,), elements=VALUES))
    var = data.draw(tensors((c,), elements=floats_in(0.2, 3.0)))
    affine = _affine_args(data, (c,))
    out = F.batch_norm(x, mean, var, training=False, eps=EPS, **affine)
    shape = (-1,) + (1,) * (x.ndim - 2)
    expected = (x.data - mean.data.reshape(shape)) / np.sqrt(var.data.reshape(shape) + EPS)
    expected = expected * (affine["weight"].data.reshape(shape) if "weight" in affine else 1)
    expected = expected + (affine["bias"].data.reshape(shape) if "bias" in affine else 0)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)
    mean.requires_grad = var.requires_grad = True  # also differentiable in the estimates
    assert_gradients_close(
        lambda x, m, v, *wb: F.batch_norm(x, m, v, training=False, eps=EPS,
                                          **dict(zip(affine, wb))),
        x, mean, var, *affine.values())


def test_batch_norm_training_updates_running_statistics_with_unbiased_variance():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(4, 2, 3))
    mean, var = Tensor(np.zeros(2)), Tensor(np.ones(2))
    F.batch_norm(Tensor(x), mean, var, training=True, momentum=0.25)
    batch_mean = x.mean(axis=(0, 2))
    batch_var = x.var(axis=(0, 2), ddof=1)
    np.testing.assert_allclose(mean.data, 0.25 * batch_mean, rtol=1e-14)
    np.testing.assert_allclose(var.data, 0.75 + 0.25 * batch_var, rtol=1e-14)


def test_batchnorm_momentum_none_is_the_cumulative_average():
    rng = np.random.default_rng(2)
    layer = nn.BatchNorm1d(3, momentum=None)
    batches = [rng.normal(size=(5, 3)) for _ in range(4)]
    for batch in batches:
        layer(batch)
    assert int(layer.num_batches_tracked.data) == 4
    np.testing.assert_allclose(layer.running_mean.data,
                               np.mean([b.mean(axis=0) for b in batches], axis=0), rtol=1e-12)
    np.testing.assert_allclose(layer.running_var.data,
                               np.mean([b.var(axis=0, ddof=1) for b in batches], axis=0),
                               rtol=1e-12)


def test_batchnorm_eval_uses_the_running_statistics_and_changes_nothing():
    rng = np.random.default_rng(3)
    layer = nn.BatchNorm2d(2)
    layer(rng.normal(size=(3, 2, 2, 2)))
    layer.eval()
    before = layer.state_dict()
    x = rng.normal(size=(1, 2, 2, 2))  # a batch of one is fine in eval
    out = layer(x)
    shape = (1, 2, 1, 1)
    expected = (x - layer.running_mean.data.reshape(shape)) / np.sqrt(
        layer.running_var.data.reshape(shape) + 1e-5)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)
    for key, value in layer.state_dict().items():
        np.testing.assert_array_equal(value, before[key])


def test_batchnorm_reset_running_stats_and_parameters_restore_the_initial_state():
    layer = nn.BatchNorm1d(2)
    running_mean = layer.running_mean
    layer(np.random.default_rng(7).normal(size=(5, 2)))
    with no_grad():
        layer.weight[...] = 3.0
    layer.reset_running_stats()
    assert layer.running_mean is running_mean and running_mean.data.tolist() == [0.0, 0.0]
    assert layer.running_var.data.tolist() == [1.0, 1.0]
    assert int(layer.num_batches_tracked.data) == 0 and layer.weight.data.tolist() == [3, 3]
    layer.reset_parameters()
    assert layer.weight.data.tolist() == [1.0, 1.0] and layer.bias.data.tolist() == [0, 0]


def test_batch_norm_running_update_stays_out_of_the_graph():
    mean, var = Tensor(np.zeros(2)), Tensor(np.ones(2))
    x = Tensor(np.random.default_rng(8).normal(size=(3, 2)), requires_grad=True)
    F.batch_norm(x, mean, var, training=True).sum().backward()
    assert mean.grad_fn is None and not mean.requires_grad and mean.grad is None


def test_batchnorm_without_running_stats_uses_batch_statistics_in_eval_too():
    layer = nn.BatchNorm1d(2, track_running_stats=False).eval()
    assert list(layer.state_dict()) == ["weight", "bias"]
    assert layer.running_mean is None and list(layer.buffers()) == []
    x = np.random.default_rng(4).normal(size=(6, 2))
    np.testing.assert_allclose(layer(x).data, _numpy_standardized(x, (0,), 1e-5), rtol=1e-12)


def test_batchnorm_module_has_pytorchs_state_dict_and_repr():
    layer = nn.BatchNorm1d(3)
    state = layer.state_dict()
    assert list(state) == ["weight", "bias", "running_mean", "running_var",
                           "num_batches_tracked"]
    tracked = state["num_batches_tracked"]
    assert tracked.dtype == np.int64 and tracked.shape == ()
    assert repr(layer) == ("BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, "
                           "track_running_stats=True)  # 6 params")
    assert list(nn.BatchNorm1d(3, bias=False).state_dict())[:2] == ["weight", "running_mean"]
    assert list(nn.BatchNorm2d(2, affine=False).state_dict()) == [
        "running_mean", "running_var", "num_batches_tracked"]


def test_batchnorm_training_batch_of_one_is_refused_before_counting_it():
    layer = nn.BatchNorm1d(3)
    with pytest.raises(ValueError, match="more than 1 value per channel.*\\(1, 3\\)"):
        layer(np.zeros((1, 3)))
    assert int(layer.num_batches_tracked.data) == 0
    with pytest.raises(ValueError, match="batch_norm: expected more than 1 value"):
        F.batch_norm(np.zeros((1, 3, 1)), None, None, training=True)
    nn.BatchNorm1d(3)(np.zeros((1, 3, 2)))  # two values per channel: fine


@pytest.mark.parametrize("call, error, message", [
    (lambda: nn.BatchNorm1d(3)(np.zeros((2, 3, 4, 5))), ValueError,
     r"BatchNorm1d: expected 2D or 3D input.*\(2, 3, 4, 5\)"),
    (lambda: nn.BatchNorm2d(3)(np.zeros((2, 3))), ValueError, "BatchNorm2d: expected 4D"),
    (lambda: nn.BatchNorm1d(3)(np.zeros((2, 4))), ValueError, r"BatchNorm1d\(3\).*\(2, 4\)"),
    (lambda: F.batch_norm(np.zeros((2, 3)), Tensor(np.zeros(4)), Tensor(np.ones(4))),
     ValueError, r"running_mean must be a Tensor of shape \(3,\)"),
    (lambda: F.batch_norm(np.zeros((2, 3)), None, None), ValueError, "training=False"),
    (lambda: F.batch_norm(np.zeros((2, 3)), Tensor(np.zeros(3)), None), ValueError, "both"),
    (lambda: F.batch_norm(np.zeros(3), None, None, training=True), ValueError, "at least 2"),
    (lambda: F.batch_norm(np.ones((2, 3)), Tensor(np.zeros(3)), Tensor(np.ones(3)),
                          training=True, momentum=None), TypeError, "momentum must be a number"),
    (lambda: nn.BatchNorm1d(0), ValueError, "num_features"),
    (lambda: nn.BatchNorm1d(2, momentum=2.0), ValueError, "momentum"),
])
def test_batch_norm_refuses_bad_input_by_name(call, error, message):
    with pytest.raises(error, match=message):
        call()


# -- group_norm ---------------------------------------------------------------------------


@settings(max_examples=25)
@given(data=st.data())
def test_group_norm_matches_numpy_and_finite_differences(data):
    groups = data.draw(st.integers(1, 3))
    per_group = data.draw(st.integers(1, 2))
    n = data.draw(st.integers(1, 2))
    spatial = data.draw(st.lists(st.integers(1, 3), max_size=2))
    x = data.draw(tensors((n, groups * per_group, *spatial), elements=VALUES,
                          requires_grad=True))
    affine = _affine_args(data, (x.shape[1],))
    out = F.group_norm(x, groups, eps=EPS, **affine)
    expected = _numpy_standardized(x.data.reshape(n, groups, -1), (2,), EPS).reshape(x.shape)
    shape = (-1,) + (1,) * (x.ndim - 2)
    expected = expected * (affine["weight"].data.reshape(shape) if "weight" in affine else 1)
    expected = expected + (affine["bias"].data.reshape(shape) if "bias" in affine else 0)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)
    assert out.grad_fn.op.name == "group_norm"
    assert_gradients_close(
        lambda x, *wb: F.group_norm(x, groups, eps=EPS, **dict(zip(affine, wb))),
        x, *affine.values())


def test_group_norm_of_an_empty_batch_is_empty():
    x = Tensor(np.zeros((0, 4, 2)), requires_grad=True)
    out = F.group_norm(x, 2)
    assert out.shape == (0, 4, 2)
    out.sum().backward()
    assert x.grad.shape == (0, 4, 2)


@pytest.mark.parametrize("call, message", [
    (lambda: F.group_norm(np.zeros((2, 6, 3)), 4),
     r"group_norm: num_groups=4 .* divides the 6 channels .*\(2, 6, 3\)"),
    (lambda: F.group_norm(np.zeros((2, 6)), 0), "num_groups=0"),
    (lambda: F.group_norm(np.zeros((2, 6)), 3, np.ones(5)), r"weight has shape \(5,\)"),
    (lambda: nn.GroupNorm(4, 6), "num_channels must be divisible by num_groups"),
])
def test_group_norm_refuses_bad_input_by_name(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_group_norm_module_has_pytorchs_parameters_and_repr():
    layer = nn.GroupNorm(2, 4)
    assert list(layer.state_dict()) == ["weight", "bias"] and layer.weight.shape == (4,)
    assert layer.extra_repr() == "2, 4, eps=1e-05, affine=True, bias=True"
    assert list(nn.GroupNorm(2, 4, affine=False).state_dict()) == []


# -- embedding ----------------------------------------------------------------------------


@settings(max_examples=25)
@given(data=st.data())
def test_embedding_matches_indexing_and_finite_differences(data):
    rows = data.draw(st.integers(1, 5))
    weight = data.draw(tensors((rows, data.draw(st.integers(1, 3))), elements=VALUES,
                               requires_grad=True))
    index_shape = data.draw(shapes(0, 2, max_side=4))
    indices = np.asarray(data.draw(st.lists(st.integers(0, rows - 1),
                                            min_size=int(np.prod(index_shape)),
                                            max_size=int(np.prod(index_shape))))
                         ).reshape(index_shape)
    padding_idx = data.draw(st.none() | st.integers(-rows, rows - 1))
    by_freq = data.draw(st.booleans())
    out = F.embedding(indices, weight, padding_idx, scale_grad_by_freq=by_freq)
    np.testing.assert_array_equal(out.data, weight.data[indices])
    assert out.grad_fn.op.name == "embedding"
    assert_gradients_close(lambda w: F.embedding(indices, w), weight)
    # padding_idx and scale_grad_by_freq change the gradient on purpose (it is no longer
    # the derivative finite differences see): compared with numpy's scatter instead, and
    # the backward, being linear, with its own second-order check.
    v = np.random.default_rng(indices.size).normal(size=out.shape)
    (gw,) = grad((out * v).sum(), [weight])
    counts = np.unique(indices, return_counts=True)
    expected = np.zeros(weight.shape)
    for position in np.ndindex(indices.shape):
        row = indices[position]
        if padding_idx is None or row != padding_idx % rows:
            expected[row] += v[position] / (dict(zip(*counts))[row] if by_freq else 1)
    np.testing.assert_allclose(gw.data, expected, rtol=1e-12, atol=1e-12)
    assert gradgradcheck(lambda w: F.embedding(indices, w, padding_idx,
                                               scale_grad_by_freq=by_freq),
                         (weight,))


def test_embedding_padding_row_gets_no_gradient_and_repeats_accumulate():
    weight = Tensor(np.arange(12.0).reshape(4, 3), requires_grad=True)
    out = F.embedding(np.array([[0, 2, 2], [3, 0, 1]]), weight, padding_idx=2)
    (gw,) = grad(out.sum(), [weight])
    assert gw.data.tolist() == [[2.0] * 3, [1.0] * 3, [0.0] * 3, [1.0] * 3]
    np.testing.assert_array_equal(out.data[0, 1], [6.0, 7.0, 8.0])  # the row is still read


def test_embedding_of_no_indices_is_empty_with_a_zero_gradient():
    weight = Tensor(np.ones((3, 2)), requires_grad=True)
    out = F.embedding(np.zeros((0, 4), dtype=np.int64), weight, padding_idx=1,
                      scale_grad_by_freq=True)
    assert out.shape == (0, 4, 2)
    out.sum().backward()
    assert weight.grad.data.tolist() == [[0.0, 0.0]] * 3


def test_embedding_scale_grad_by_freq_divides_by_the_count_in_the_batch():
    weight = Tensor(np.zeros((3, 2)), requires_grad=True)
    out = F.embedding(np.array([0, 0, 0, 1]), weight, scale_grad_by_freq=True)
    out.sum().backward()
    assert weight.grad.data.tolist() == [[1.0, 1.0], [1.0, 1.0], [0.0, 0.0]]


def test_embedding_max_norm_renormalises_the_rows_looked_up_in_place():
    weight = Tensor(np.array([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0]]), requires_grad=True)
    out = F.embedding(np.array([0, 1]), weight, max_norm=1.0)
    np.testing.assert_allclose(weight.data[0], [0.6, 0.8], rtol=1e-6)
    np.testing.assert_array_equal(weight.data[1:], [[0.3, 0.4], [6.0, 8.0]])  # not looked up
    np.testing.assert_allclose(out.data, weight.data[[0, 1]])


def test_embedding_module_init_padding_and_from_pretrained():
    nn.manual_seed(0)
    layer = nn.Embedding(6, 3, padding_idx=-1)
    assert layer.padding_idx == 5 and layer.weight.data[5].tolist() == [0.0, 0.0, 0.0]
    assert abs(layer.weight.data[:5].std() - 1) < 0.6
    assert list(layer.state_dict()) == ["weight"]
    assert repr(layer) == "Embedding(6, 3, padding_idx=5)  # 18 params"
    assert layer(np.array([[1, 2]])).shape == (1, 2, 3)
    frozen = nn.Embedding.from_pretrained(np.eye(3))
    assert not frozen.weight.requires_grad and frozen.weight.data.tolist() == np.eye(3).tolist()
    assert nn.Embedding.from_pretrained(np.eye(3), freeze=False).weight.requires_grad


@pytest.mark.parametrize("call, error, message", [
    (lambda: F.embedding(np.array([0, 5]), np.zeros((5, 2))), IndexError,
     r"embedding: index 5 is out of range for a weight of shape \(5, 2\)"),
    (lambda: F.embedding(np.array([-1]), np.zeros((5, 2))), IndexError, "index -1"),
    (lambda: F.embedding(np.array([0.0]), np.zeros((5, 2))), TypeError, "integer indices"),
    (lambda: F.embedding(np.array([0]), np.zeros(5)), ValueError, "weight must be 2-D"),
    (lambda: F.embedding(np.array([0]), np.zeros((5, 2)), padding_idx=5), ValueError,
     "padding_idx must be"),
    (lambda: F.embedding(np.array([0]), np.zeros((5, 2)), sparse=True), ValueError,
     "sparse=True"),
    (lambda: nn.Embedding(0, 2), ValueError, "num_embeddings"),
    (lambda: nn.Embedding.from_pretrained(np.zeros(3)), ValueError, "2-D"),
])
def test_embedding_refuses_bad_input_by_name(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_modules_cast_to_float32_keep_float32_and_an_int64_batch_count():
    x = np.random.default_rng(5).normal(size=(4, 2, 3)).astype(np.float32)
    for layer in (nn.BatchNorm1d(2), nn.GroupNorm(2, 2), nn.LayerNorm(3)):
        layer.to(np.float32)
        assert layer(x).dtype == np.float32
        assert all(b.dtype == np.float32 for n, b in layer.named_buffers()
                   if n != "num_batches_tracked")
    batch_norm = nn.BatchNorm1d(2).to(np.float32)
    batch_norm(x)
    assert batch_norm.num_batches_tracked.dtype == np.int64
    assert batch_norm.running_mean.dtype == np.float32


# -- numerical stability (docs/reliability.md, §2) ---------------------------------------

NORMALISATIONS = [
    ("layer_norm", lambda x: F.layer_norm(x, x.shape[-1:])),
    ("batch_norm", lambda x: F.batch_norm(x, None, None, training=True)),
    ("group_norm", lambda x: F.group_norm(x, 2)),
]


@pytest.mark.parametrize("name, fn", NORMALISATIONS, ids=[n for n, _ in NORMALISATIONS])
def test_normalisation_row_two_passes_survive_a_huge_offset(name, fn):
    x = np.random.default_rng(6).normal(size=(4, 6))
    with np.errstate(all="raise"):
        shifted = fn(Tensor(x + 1e8))
    # E[x²] − E[x]² would lose every digit here (1e16 − 1e16); mean first keeps ~8
    np.testing.assert_allclose(shifted.data, fn(Tensor(x)).data, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name, fn", NORMALISATIONS, ids=[n for n, _ in NORMALISATIONS])
def test_normalisation_row_of_a_constant_is_zero_with_a_finite_gradient(name, fn):
    x = Tensor(np.full((4, 6), 5.0), requires_grad=True)
    with np.errstate(all="raise"):
        out = fn(x)
        (out * Tensor(np.arange(24.0).reshape(4, 6))).sum().backward()
    assert np.all(out.data == 0) and np.all(np.isfinite(x.grad.data))
