"""nn.functional and the new module forms (issue 15 item 6): gradients against finite
differences over many shapes, module forms against F, numerical stability, bad input.
Values and gradients against PyTorch: test_functional_torch.py."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd as ag
import nn
import nn.functional as F
from autograd import Tensor
from autograd.testing import assert_gradients_close, floats_in, shapes, tensors

SHAPES = shapes(min_dims=0, max_dims=3, min_side=0, max_side=3)  # 0-d, size-0, size-1
FEW = settings(max_examples=15, deadline=None)


def away_from(*kinks, low=-4.0, high=4.0):
    return floats_in(low, high, exclude_near=kinks, margin=0.05)


ACTIVATIONS = [
    ("relu", F.relu, (0.0,)),
    ("relu6", F.relu6, (0.0, 6.0)),
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.1), (0.0,)),
    ("elu", lambda x: F.elu(x, 0.7), (0.0,)),
    ("selu", F.selu, (0.0,)),
    ("celu", lambda x: F.celu(x, 0.5), (0.0,)),
    ("gelu", F.gelu, ()),
    ("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), ()),
    ("silu", F.silu, ()),
    ("mish", F.mish, ()),
    ("softplus", lambda x: F.softplus(x, beta=2.0, threshold=3.0), (1.5,)),
    ("softsign", F.softsign, (0.0,)),
    ("hardtanh", lambda x: F.hardtanh(x, -0.5, 2.0), (-0.5, 2.0)),
    ("hardsigmoid", F.hardsigmoid, (-3.0, 3.0)),
    ("hardswish", F.hardswish, (-3.0, 3.0)),
    ("logsigmoid", F.logsigmoid, ()),
    ("sigmoid", F.sigmoid, ()),
    ("tanh", F.tanh, ()),
]


@pytest.mark.parametrize("name, fn, kinks", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
@FEW
@given(data=st.data())
def test_activation_gradients_match_finite_differences_on_any_shape(name, fn, kinks, data):
    x = data.draw(tensors(SHAPES, elements=away_from(*kinks, low=-7.0, high=7.0)))
    out = fn(x)
    assert out.shape == x.shape
    assert_gradients_close(fn, x)


@pytest.mark.parametrize("fn", [F.softmax, F.softmin, F.log_softmax])
@FEW
@given(x=tensors(shapes(min_dims=1, max_dims=3, min_side=1)), dim=st.integers(-1, 0))
def test_softmax_family_gradients_along_any_dim(fn, x, dim):
    assert_gradients_close(lambda t: fn(t, dim=dim), x)


@FEW
@given(x=tensors(shapes(min_dims=2, max_dims=3, min_side=1)),
       p=st.sampled_from([1.0, 2.0, 3.0]))
def test_normalize_cosine_similarity_pairwise_distance_gradients(x, p):
    other = Tensor(np.random.default_rng(0).normal(size=x.shape) + 2, requires_grad=True)
    assert_gradients_close(lambda t: F.normalize(t + 5, p=p, dim=1), x)
    assert_gradients_close(lambda a, b: F.cosine_similarity(a + 5, b, dim=-1), x, other)
    assert_gradients_close(lambda a, b: F.pairwise_distance(a, b, p=p), x, other)


@FEW
@given(x=tensors(shapes(min_dims=1, max_dims=3, min_side=2)),
       mode=st.sampled_from(["constant", "reflect", "replicate", "circular"]),
       left=st.integers(0, 1), right=st.integers(0, 1))
def test_pad_gradient_sums_back_to_each_copied_entry(x, mode, left, right):
    assert_gradients_close(lambda t: F.pad(t, (left, right), mode=mode), x)
    np.testing.assert_array_equal(
        F.pad(x, (left, right), mode=mode).data,
        np.pad(x.data, [(0, 0)] * (x.ndim - 1) + [(left, right)],
               mode={"replicate": "edge", "circular": "wrap"}.get(mode, mode)))


def pair(shape_strategy=SHAPES, low=-3.0, high=3.0):
    return shape_strategy.flatmap(lambda s: st.tuples(
        tensors(s, elements=floats_in(low, high)), tensors(s, elements=floats_in(low, high))))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@FEW
@given(xy=pair())
def test_regression_losses_gradients_for_input_and_target(reduction, xy):
    x, y = xy
    if reduction == "mean" and x.size == 0:
        return  # the mean of nothing is nan with numpy's warning (the engine's Mean)
    y = Tensor(y.data + np.where(np.abs(y.data - x.data) < 0.1, 0.5, 0.0), requires_grad=True)
    d = np.abs(x.data - y.data)
    assert_gradients_close(lambda a, b: F.mse_loss(a, b, reduction=reduction), x, y)
    assert_gradients_close(lambda a, b: F.l1_loss(a, b, reduction=reduction), x, y)
    if not (np.abs(d - 0.7) < 0.05).any():
        assert_gradients_close(lambda a, b: F.huber_loss(a, b, reduction, delta=0.7), x, y)
        assert_gradients_close(lambda a, b: F.smooth_l1_loss(a, b, reduction=reduction,
                                                             beta=0.7), x, y)


@FEW
@given(xy=pair(low=0.05, high=0.95), log_target=st.booleans())
def test_kl_div_gradients_for_input_and_target(xy, log_target):
    x, y = xy
    logp = Tensor(np.log(x.data), requires_grad=True)
    t = Tensor(np.log(y.data) if log_target else y.data, requires_grad=True)
    for reduction in ("batchmean", "sum", "none"):
        assert_gradients_close(
            lambda a, b, r=reduction: F.kl_div(a, b, reduction=r, log_target=log_target),
            logp, t)


@FEW
@given(xy=pair(shapes(min_dims=1, max_dims=3, min_side=1), low=0.05, high=0.95))
def test_binary_losses_gradients_for_input_target_and_weights(xy):
    p, y = xy
    w = Tensor(np.full(p.shape[-1:], 1.5), requires_grad=True)
    assert_gradients_close(lambda a, b, c: F.binary_cross_entropy(a, b, weight=c), p, y, w)
    logits = Tensor(np.log(p.data / (1 - p.data)) * 3, requires_grad=True)
    assert_gradients_close(
        lambda a, b, c, d: F.binary_cross_entropy_with_logits(a, b, weight=c, pos_weight=d),
        logits, y, w, Tensor(np.linspace(0.5, 3, p.shape[-1]), requires_grad=True))


@FEW
@given(x=tensors(shapes(min_dims=1, max_dims=4, min_side=1)), data=st.data())
def test_cross_entropy_gradients_in_pytorchs_layout_with_every_option(x, data):
    n_classes = x.shape[0] if x.ndim == 1 else x.shape[1]
    label_shape = () if x.ndim == 1 else x.shape[:1] + x.shape[2:]
    labels = np.asarray(data.draw(st.lists(st.integers(0, n_classes - 1),
                                           min_size=int(np.prod(label_shape)),
                                           max_size=int(np.prod(label_shape)))),
                        dtype=np.int64).reshape(label_shape)
    weight = Tensor(np.linspace(0.5, 2.0, n_classes), requires_grad=True)
    ignore = int(labels.reshape(-1)[0])
    smoothing = data.draw(st.sampled_from([0.0, 0.2]))
    if (labels != ignore).any():
        assert_gradients_close(lambda a, w: F.cross_entropy(
            a, labels, weight=w, ignore_index=ignore, label_smoothing=smoothing), x, weight)
        assert_gradients_close(lambda a, w: F.nll_loss(a, labels, weight=w,
                                                       ignore_index=ignore), x, weight)
    q = Tensor(np.abs(np.random.default_rng(1).normal(size=x.shape)), requires_grad=True)
    assert_gradients_close(lambda a, b: F.cross_entropy(a, b, label_smoothing=smoothing,
                                                        reduction="sum"), x, q)


# -- module forms ------------------------------------------------------------------------

MODULES = [
    (nn.ELU(alpha=0.5), lambda x: F.elu(x, 0.5)), (nn.SELU(), F.selu),
    (nn.CELU(0.5), lambda x: F.celu(x, 0.5)), (nn.SiLU(), F.silu), (nn.Mish(), F.mish),
    (nn.GELU(approximate="tanh"), lambda x: F.gelu(x, approximate="tanh")),
    (nn.LeakyReLU(0.2), lambda x: F.leaky_relu(x, 0.2)),
    (nn.Softplus(beta=2.0, threshold=1.0), lambda x: F.softplus(x, 2.0, 1.0)),
    (nn.Softsign(), F.softsign), (nn.Hardtanh(-2.0, 0.5), lambda x: F.hardtanh(x, -2.0, 0.5)),
    (nn.ReLU6(), F.relu6), (nn.Hardsigmoid(), F.hardsigmoid), (nn.Hardswish(), F.hardswish),
    (nn.LogSigmoid(), F.logsigmoid), (nn.Softmin(dim=0), lambda x: F.softmin(x, dim=0)),
]


@pytest.mark.parametrize("module, fn", MODULES, ids=[type(m).__name__ for m, _ in MODULES])
def test_activation_modules_equal_their_functions(module, fn):
    x = np.random.default_rng(2).normal(size=(3, 4)) * 3
    np.testing.assert_array_equal(module(x).data, fn(x).data)


def test_activation_modules_show_pytorchs_arguments_and_refuse_unknown_ones():
    assert repr(nn.ELU(alpha=0.5)) == "ELU(alpha=0.5)" and repr(nn.SiLU()) == "SiLU()"
    assert nn.Hardtanh(-2.0, 0.5).max_val == 0.5
    with pytest.raises(TypeError, match="unexpected argument"):
        nn.ELU(slope=1.0)
    for module in (nn.ReLU6, nn.ReLU, nn.LeakyReLU, nn.ELU):
        with pytest.raises(ValueError, match="inplace=True is not supported"):
            module(inplace=True)
    assert repr(nn.ReLU(inplace=False)) == "ReLU()"
    assert isinstance(nn.activations.get_activation("silu"), nn.SiLU)


LOSS_MODULES = [
    (nn.L1Loss(reduction="sum"), lambda a, b: F.l1_loss(a, b, reduction="sum")),
    (nn.SmoothL1Loss(beta=0.5), lambda a, b: F.smooth_l1_loss(a, b, beta=0.5)),
    (nn.HuberLoss(delta=0.5), lambda a, b: F.huber_loss(a, b, delta=0.5)),
    (nn.MSELoss(), F.mse_loss),
    (nn.BCEWithLogitsLoss(pos_weight=np.array([2.0, 1.0, 0.5])),
     lambda a, b: F.binary_cross_entropy_with_logits(a, b, pos_weight=np.array([2.0, 1, .5]))),
]


@pytest.mark.parametrize("module, fn", LOSS_MODULES, ids=lambda m: type(m).__name__)
def test_loss_modules_equal_their_functions(module, fn):
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(4, 3)), rng.uniform(size=(4, 3))
    np.testing.assert_array_equal(module(a, b).data, fn(a, b).data)


def test_classification_loss_modules_take_pytorchs_constructor_order():
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(6, 3)), np.array([0, 1, 2, 1, -100, 0])
    w = np.array([1.0, 2.0, 0.5])
    np.testing.assert_array_equal(nn.CrossEntropyLoss(w, None, -100)(x, y).data,
                                  F.cross_entropy(x, y, w).data)
    logp = F.log_softmax(x, dim=1)
    np.testing.assert_array_equal(nn.NLLLoss(w, ignore_index=-100)(logp, y).data,
                                  F.nll_loss(logp, y, w).data)
    np.testing.assert_array_equal(nn.KLDivLoss(reduction="batchmean")(logp, np.exp(logp.data))
                                  .data, F.kl_div(logp, np.exp(logp.data), reduction="batchmean")
                                  .data)
    p = rng.uniform(0.1, 0.9, size=(6, 3))
    np.testing.assert_array_equal(nn.BCELoss(w)(p, p).data,
                                  F.binary_cross_entropy(p, p, w).data)


# -- numerical stability -----------------------------------------------------------------


def test_stable_where_pytorch_is():
    big = Tensor([-1000.0, 1000.0], requires_grad=True)
    np.testing.assert_allclose(F.softplus(big).data, [0.0, 1000.0])
    np.testing.assert_allclose(F.logsigmoid(big).data, [-1000.0, 0.0])
    for fn in (F.elu, F.selu, F.celu, F.silu, F.mish, F.softplus, F.logsigmoid, F.gelu):
        big.grad = None
        fn(big).sum().backward()
        assert np.isfinite(big.grad.data).all(), fn.__name__
    loss = F.binary_cross_entropy_with_logits(big, np.array([1.0, 0.0]), reduction="none",
                                              pos_weight=np.array([2.0]))
    np.testing.assert_allclose(loss.data, [2000.0, 1000.0])
    log_p = Tensor([[-1000.0, 0.0]], requires_grad=True)
    F.kl_div(log_p, [[0.0, 1.0]], reduction="sum").backward()
    np.testing.assert_array_equal(log_p.grad.data, [[0.0, -1.0]])


# -- bad input ---------------------------------------------------------------------------


def test_bad_arguments_are_refused_with_the_fix():
    x = np.zeros((2, 3))
    with pytest.raises(TypeError, match="pass dim="):
        F.softmax(x)
    with pytest.raises(ValueError, match="relu: inplace=True is not supported"):
        F.relu(x, inplace=True)
    with pytest.raises(TypeError, match="use reduction="):
        F.mse_loss(x, x, size_average=True)
    with pytest.raises(TypeError, match="pass reduction='sum' by keyword"):
        F.cross_entropy(x, np.array([0, 1]), "sum")
    with pytest.raises(ValueError, match=r"weight must have one entry per class, shape \(3,\)"):
        F.cross_entropy(x, np.array([0, 1]), weight=np.ones(2))
    with pytest.raises(IndexError, match="label 3"):
        F.nll_loss(x, np.array([0, 3]))
    with pytest.raises(TypeError, match="one_hot: tensor must hold integer"):
        F.one_hot(np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="pad: pad must be an even number"):
        F.pad(x, (1,))
    with pytest.raises(ValueError, match="too large"):
        F.pad(x, (3, 0), mode="reflect")
    with pytest.raises(ValueError, match="delta must be a number > 0"):
        F.huber_loss(x, x, delta=0)
    with pytest.raises(ValueError, match="reduction must be"):
        nn.KLDivLoss(reduction="avg")
    with pytest.raises(TypeError, match="size_average and reduce are deprecated"):
        nn.BCELoss(None, True)


def test_all_ignored_mean_is_nan_as_in_pytorch():
    with np.errstate(all="raise"):
        loss = F.cross_entropy(np.zeros((2, 3)), np.array([-100, -100]))
    assert np.isnan(loss.item())


# -- opspeed (issue 15 leftovers): nn reuses the new operators ----------------------------


@pytest.mark.parametrize("fn", [F.elu, F.selu, F.celu])
def test_elu_selu_celu_use_the_expm1_operator(fn):
    """One implementation: the negative branch is expm1, exact where eˣ − 1 cancels (the
    composed exp() − 1 gave 0 for x = −1e−20)."""
    from autograd.ops.elementwise import Expm1

    x = Tensor(np.array([-1e-20, -2.0, 3.0]), requires_grad=True)
    out = fn(x)
    assert Expm1 in {node.op for node in ag.topological_order([out.grad_fn])}
    scale = 1.0507009873554805 * 1.6732632423543772 if fn is F.selu else 1.0
    np.testing.assert_allclose(out.data[0], -1e-20 * scale, rtol=1e-12)


@pytest.mark.parametrize("mode, numpy_mode", [("constant", "constant"), ("reflect", "reflect"),
                                              ("replicate", "edge"), ("circular", "wrap")])
def test_pad_is_autograd_pad_in_pytorchs_order(mode, numpy_mode):
    data = np.arange(24.0).reshape(2, 3, 4)
    x, y = Tensor(data, requires_grad=True), Tensor(data, requires_grad=True)
    g = np.arange(2 * 5 * 7.0).reshape(2, 5, 7)
    F.pad(x, (1, 2, 2, 0), mode).backward(g)
    ag.pad(y, [(0, 0), (2, 0), (1, 2)], numpy_mode).backward(g)
    np.testing.assert_array_equal(F.pad(x, (1, 2, 2, 0), mode).data,
                                  np.pad(data, [(0, 0), (2, 0), (1, 2)], numpy_mode))
    np.testing.assert_array_equal(x.grad.data, y.grad.data)
    # PyTorch's negative amounts crop, after the input was mirrored or wrapped whole
    np.testing.assert_array_equal(F.pad(x, (-1, 2), mode).data,
                                  np.pad(data, [(0, 0), (0, 0), (0, 2)], numpy_mode)[..., 1:])
