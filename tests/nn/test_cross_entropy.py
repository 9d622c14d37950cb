"""cross_entropy against class labels as one operator with the reduction inside (issue 14,
W6): values against a dense numpy formula (PyTorch's definition), gradients against finite
differences (first and second order) over batch sizes 0, 1 and many, the (N, C, d) layout,
ignore_index, class weights and label smoothing; the graph it records, float32, and the
edges. PyTorch's own values for every option combination: test_functional_torch.py."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn.functional as F
from autograd import Tensor, trace
from autograd.testing import assert_gradients_close, floats_in
from autograd.viz.expand import expansion
from nn.losses import CrossEntropy

FEW = settings(max_examples=40, deadline=None)


def reference(x, labels, reduction="mean", weight=None, ignore_index=-100, smoothing=0.0):
    """PyTorch's definition, densely: (N, C, d...) logits, classes on axis 1."""
    x = np.moveaxis(np.asarray(x, dtype=np.float64), 1, -1) if x.ndim > 1 else x
    n_classes = x.shape[-1]
    shifted = x - x.max(axis=-1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    keep = labels != ignore_index
    safe = np.where(keep, labels, 0)
    w = np.ones(n_classes) if weight is None else weight
    q = (1 - smoothing) * np.eye(n_classes)[safe] + smoothing / n_classes
    losses = np.where(keep, -(q * w * log_p).sum(axis=-1), 0.0)
    if reduction == "none":
        return losses
    if reduction == "sum":
        return losses.sum()
    with np.errstate(invalid="ignore"):
        return losses.sum() / (w[safe] * keep).sum()


@st.composite
def problems(draw):
    """(logits, labels, options): batch 0, 1 or many, (N, C) or (N, C, d), each option."""
    batch = draw(st.sampled_from([0, 1, 2, 5]))
    n_classes = draw(st.integers(1, 4))
    extra = draw(st.sampled_from([(), (2,)]))
    shape = (batch, n_classes) + extra
    x = np.asarray(draw(st.lists(floats_in(-4.0, 4.0), min_size=int(np.prod(shape)),
                                 max_size=int(np.prod(shape)))), dtype=np.float64)
    labels = np.asarray(draw(st.lists(st.integers(0, n_classes - 1),
                                      min_size=batch * int(np.prod(extra)),
                                      max_size=batch * int(np.prod(extra)))), dtype=np.int64)
    labels = labels.reshape((batch,) + extra)
    options = {"reduction": draw(st.sampled_from(["mean", "sum", "none"])),
               "label_smoothing": draw(st.sampled_from([0.0, 0.3]))}
    if draw(st.booleans()) and labels.size:  # ignore a class that occurs, or the default
        options["ignore_index"] = int(labels.reshape(-1)[0])
    if draw(st.booleans()):
        options["weight"] = np.linspace(0.5, 2.0, n_classes)
    return x.reshape(shape), labels, options


@FEW
@given(problem=problems())
def test_cross_entropy_values_match_pytorchs_definition(problem):
    x, labels, options = problem
    expected = reference(x, labels, options["reduction"], options.get("weight"),
                         options.get("ignore_index", -100), options["label_smoothing"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 0/0 (nothing counted) is nan without a warning
        loss = F.cross_entropy(x, labels, **options)
    np.testing.assert_allclose(loss.data, expected, rtol=1e-12, atol=1e-12)
    assert loss.grad_fn is None  # nothing required grad


@FEW
@given(problem=problems())
def test_cross_entropy_gradients_first_and_second_order_for_logits_and_weights(problem):
    x, labels, options = problem
    counted = labels != options.get("ignore_index", -100)
    if options["reduction"] == "mean" and not counted.any():
        return  # the value is nan (0/0), as in PyTorch: nothing to differentiate
    weight = options.pop("weight", None)
    logits = Tensor(x, requires_grad=True)
    if weight is None:
        assert_gradients_close(lambda a: F.cross_entropy(a, labels, **options), logits)
    else:
        w = Tensor(weight, requires_grad=True)
        assert_gradients_close(lambda a, b: F.cross_entropy(a, labels, weight=b, **options),
                               logits, w)


@FEW
@given(problem=problems())
def test_nll_loss_shares_the_reduction_and_its_gradients(problem):
    x, labels, options = problem
    options.pop("label_smoothing")
    counted = labels != options.get("ignore_index", -100)
    log_p = F.log_softmax(x, dim=1) if x.shape[1] else Tensor(x)
    np.testing.assert_allclose(F.nll_loss(log_p, labels, **options).data,
                               F.cross_entropy(x, labels, **options).data, rtol=1e-12,
                               atol=1e-12)
    if options["reduction"] != "mean" or counted.any():
        assert_gradients_close(lambda a: F.nll_loss(a, labels, **options),
                               Tensor(log_p.data, requires_grad=True))


def test_cross_entropy_is_one_node_with_its_reduction():
    """Issue 14 (W6): the loss of a batch is one operator node, not cross_entropy + mean."""
    x = Tensor(np.random.default_rng(0).normal(size=(8, 10)), requires_grad=True)
    labels = np.arange(8)
    for options in ({}, {"reduction": "sum"}, {"ignore_index": 3},
                    {"weight": np.linspace(0.5, 2, 10), "label_smoothing": 0.1}):
        graph = trace(lambda t, o=options: F.cross_entropy(t, labels, **o), x)
        assert [op.name for op in graph] == ["cross_entropy"], options
    # the listing shows a parameter only where it differs from forward's default
    assert "cross_entropy(p0, target=int64[8])" in str(trace(F.cross_entropy, x, labels))
    assert "target=int64[8], reduction='sum', ignore_index=3)" in str(
        trace(lambda t: F.cross_entropy(t, labels, reduction="sum", ignore_index=3), x))


def test_cross_entropy_builds_no_one_hot_target():
    x = Tensor(np.random.default_rng(3).normal(size=(4, 3)), requires_grad=True)
    loss = F.cross_entropy(x, np.array([0, 2, 1, 1]))
    assert loss.grad_fn.params["target"].shape == (4,)  # the labels themselves
    assert not any(isinstance(v, np.ndarray) and v.shape == (4, 3) and v.dtype.kind == "f"
                   and set(np.unique(v)) <= {0.0, 1.0} for v in loss.grad_fn.saved)


def test_cross_entropy_ignored_sample_with_minus_inf_logit_costs_nothing():
    """An ignored sample's label is replaced by 0 to index; its −inf logit there must not
    turn its zero loss into nan (0·inf)."""
    x = Tensor([[-np.inf, 0.0, 1.0], [0.5, 0.0, -1.0]], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.cross_entropy(x, np.array([-100, 1]), reduction="sum")
    np.testing.assert_allclose(loss.item(), reference(x.data, np.array([-100, 1]), "sum"))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_keeps_float32(reduction):
    x = Tensor(np.random.default_rng(1).normal(size=(4, 3)).astype(np.float32),
               requires_grad=True)
    w = np.array([1.0, 2.0, 0.5])  # float64 weights follow the logits' dtype
    loss = F.cross_entropy(x, np.array([0, 1, 2, -100]), weight=w, label_smoothing=0.1,
                           reduction=reduction)
    assert loss.dtype == np.float32
    loss.sum().backward()
    assert x.grad.dtype == np.float32


def test_cross_entropy_of_an_empty_batch():
    x = Tensor(np.zeros((0, 3)), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(F.cross_entropy(x, np.zeros(0, dtype=np.int64)).item())
        F.cross_entropy(x, np.zeros(0, dtype=np.int64), reduction="sum").backward()
    assert x.grad.shape == (0, 3)


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_all_ignored_mean_is_nan_and_its_gradient_zero(smoothing):
    """PyTorch 2.13: the value 0/0 = nan, the ignored samples' gradient 0; no warning."""
    x = Tensor(np.zeros((2, 3)), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.cross_entropy(x, np.array([-100, -100]), label_smoothing=smoothing)
        loss.backward()
    assert np.isnan(loss.item())
    np.testing.assert_array_equal(x.grad.data, np.zeros((2, 3)))


def test_the_operator_takes_the_defaults_it_declares():
    x = Tensor(np.random.default_rng(2).normal(size=(3, 4)), requires_grad=True)
    labels = np.array([0, 3, 1])
    direct = CrossEntropy.apply(x, target=labels)
    direct.backward()
    np.testing.assert_allclose(direct.data, reference(x.data, labels), rtol=1e-12)
    np.testing.assert_allclose(x.grad.data, (np.exp(x.data) / np.exp(x.data).sum(1, keepdims=True)
                                             - np.eye(4)[labels]) / 3, rtol=1e-12)


@FEW
@given(problem=problems())
def test_the_expansion_ends_with_the_operators_output_for_every_option(problem):
    x, labels, options = problem
    x = Tensor(x, requires_grad=True)
    with np.errstate(invalid="ignore"):  # an all-ignored "mean" is 0/0
        loss = F.cross_entropy(x, labels, **options)
    steps = expansion(loss.grad_fn)
    np.testing.assert_allclose(steps[-1].value, loss.data, rtol=1e-12, atol=1e-12)
    reduction_step = {"none": None, "sum": "sum",
                      "mean": "mean" if "weight" not in options and "ignore_index" not in
                      options else "div"}[options["reduction"]]
    assert reduction_step is None or steps[-1].op == reduction_step
