"""Losses: values against numpy formulas, reductions, stable extremes, gradients, misuse."""

import warnings

import numpy as np
import pytest

import nn
from autograd import Tensor, gradcheck, gradgradcheck
from autograd.graph import Graph

RNG = np.random.default_rng(0)
LOGITS = RNG.normal(size=(5, 4)) * 2
LABELS = np.array([0, 3, 1, 1, 2])
PROBS = RNG.uniform(0.05, 0.95, size=(6,))
TARGETS01 = np.array([0.0, 1.0, 1.0, 0.0, 0.3, 1.0])


def log_softmax_reference(x):
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax_reference(x):
    return np.exp(log_softmax_reference(x))


def onehot(labels, n):
    return np.eye(n)[labels]


# -- values and reductions ------------------------------------------------------------


def test_mse_is_the_mean_of_squared_differences():
    pred, target = RNG.normal(size=(3, 2)), RNG.normal(size=(3, 2))
    squared = (pred - target) ** 2
    np.testing.assert_allclose(nn.mse_loss(pred, target).item(), squared.mean())
    np.testing.assert_allclose(nn.MSELoss(reduction="sum")(pred, target).item(), squared.sum())
    np.testing.assert_allclose(nn.mse_loss(pred, target, reduction="none").data, squared)


def test_cross_entropy_values_and_reductions():
    per_sample = -log_softmax_reference(LOGITS)[np.arange(5), LABELS]
    np.testing.assert_allclose(nn.cross_entropy(LOGITS, LABELS).item(), per_sample.mean())
    np.testing.assert_allclose(nn.CrossEntropyLoss(reduction="sum")(LOGITS, LABELS).item(),
                               per_sample.sum())
    np.testing.assert_allclose(nn.cross_entropy(LOGITS, LABELS, reduction="none").data,
                               per_sample)


def test_cross_entropy_with_label_smoothing_uses_the_smoothed_target():
    eps = 0.2
    q = (1 - eps) * onehot(LABELS, 4) + eps / 4
    expected = -(q * log_softmax_reference(LOGITS)).sum(axis=1).mean()
    np.testing.assert_allclose(nn.cross_entropy(LOGITS, LABELS, label_smoothing=eps).item(),
                               expected)


def test_cross_entropy_gradient_is_softmax_minus_onehot_over_n():
    x = Tensor(LOGITS, requires_grad=True)
    nn.cross_entropy(x, LABELS).backward()
    expected = (softmax_reference(LOGITS) - onehot(LABELS, 4)) / 5
    np.testing.assert_allclose(x.grad.data, expected, rtol=1e-12, atol=1e-15)


def test_cross_entropy_is_one_operator_node():
    loss = nn.cross_entropy(Tensor(LOGITS, requires_grad=True), LABELS, reduction="none")
    assert loss.grad_fn.op.name == "cross_entropy"


def test_cross_entropy_accepts_one_unbatched_sample():
    value = nn.cross_entropy(LOGITS[0], np.int64(2)).item()
    np.testing.assert_allclose(value, -log_softmax_reference(LOGITS[0])[2])


def test_nll_of_log_softmax_equals_cross_entropy():
    logp = nn.log_softmax(LOGITS)
    for reduction in ("mean", "sum", "none"):
        np.testing.assert_allclose(nn.nll_loss(logp, LABELS, reduction).data,
                                   nn.cross_entropy(LOGITS, LABELS, reduction).data)


def test_nll_gradient_is_minus_one_over_n_at_each_label():
    logp = Tensor(log_softmax_reference(LOGITS), requires_grad=True)
    nn.NLLLoss()(logp, LABELS).backward()
    np.testing.assert_array_equal(logp.grad.data, -onehot(LABELS, 4) / 5)


def test_bce_values_against_the_formula():
    expected = -(TARGETS01 * np.log(PROBS) + (1 - TARGETS01) * np.log(1 - PROBS))
    np.testing.assert_allclose(nn.BCELoss(reduction="none")(PROBS, TARGETS01).data, expected)
    np.testing.assert_allclose(nn.binary_cross_entropy(PROBS, TARGETS01).item(),
                               expected.mean())


def test_bce_with_logits_equals_bce_of_the_sigmoid():
    logits = RNG.normal(size=6) * 3
    np.testing.assert_allclose(
        nn.BCEWithLogitsLoss(reduction="none")(logits, TARGETS01).data,
        nn.binary_cross_entropy(1 / (1 + np.exp(-logits)), TARGETS01, "none").data,
        rtol=1e-10)


def test_l2_penalty_is_half_lambda_times_squared_frobenius_norms_and_its_gradient():
    w1, w2 = Tensor(RNG.normal(size=(3, 2)), requires_grad=True), Tensor(
        RNG.normal(size=(2,)), requires_grad=True)
    s = nn.l2_penalty([w1, w2], lam=0.3)
    np.testing.assert_allclose(s.item(), 0.15 * ((w1.data**2).sum() + (w2.data**2).sum()))
    s.backward()
    np.testing.assert_allclose(w1.grad.data, 0.3 * w1.data)
    np.testing.assert_allclose(w2.grad.data, 0.3 * w2.data)


def test_l2_penalty_uses_each_weight_once_so_its_picture_reads_as_squared_norms():
    w1, w2 = (Tensor(RNG.normal(size=(2, 2)), requires_grad=True) for _ in range(2))
    graph = Graph.from_outputs(nn.l2_penalty([w1, w2], lam=0.1))
    for w in (w1, w2):
        users = [node for node in graph.operators if any(v is w for v in node.inputs)]
        assert [(node.op.name, len(node.inputs)) for node in users] == [("pow", 1)]


def test_l2_penalty_rejects_nothing_to_penalise_and_bad_lambda():
    with pytest.raises(ValueError, match="no parameters"):
        nn.l2_penalty(iter([]), 0.1)
    with pytest.raises(ValueError, match="lam must be a number >= 0"):
        nn.l2_penalty([Tensor([1.0])], -1)


# -- gradients ------------------------------------------------------------------------


def test_cross_entropy_gradients_first_and_second_order():
    x = Tensor(LOGITS, requires_grad=True)
    for smoothing in (0.0, 0.1):
        def loss(x, smoothing=smoothing):
            return nn.cross_entropy(x, LABELS, reduction="none", label_smoothing=smoothing)
        assert gradcheck(loss, (x,))
        assert gradgradcheck(loss, (x,))


def test_bce_gradients_first_and_second_order():
    p = Tensor(PROBS, requires_grad=True)
    assert gradcheck(lambda p: nn.binary_cross_entropy(p, TARGETS01, "none"), (p,))
    assert gradgradcheck(lambda p: nn.binary_cross_entropy(p, TARGETS01, "none"), (p,))


def test_bce_with_logits_gradients_first_and_second_order():
    x = Tensor(RNG.normal(size=6) * 3, requires_grad=True)
    assert gradcheck(lambda x: nn.binary_cross_entropy_with_logits(x, TARGETS01, "none"), (x,))
    assert gradgradcheck(lambda x: nn.binary_cross_entropy_with_logits(x, TARGETS01), (x,))


def test_bce_with_logits_gradient_is_sigmoid_minus_target_even_at_zero():
    x = Tensor(np.zeros(4), requires_grad=True)
    y = np.array([0.0, 1.0, 0.5, 1.0])
    nn.binary_cross_entropy_with_logits(x, y, reduction="sum").backward()
    np.testing.assert_allclose(x.grad.data, 0.5 - y)


def test_mse_gradient_flows_into_a_target_that_requires_grad():
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([0.0, 4.0], requires_grad=True)
    nn.mse_loss(a, b).backward()
    np.testing.assert_allclose(a.grad.data, [1.0, -2.0])
    np.testing.assert_allclose(b.grad.data, [-1.0, 2.0])


# -- numerical stability ---------------------------------------------------------------


def test_cross_entropy_is_finite_for_huge_logits():
    x = Tensor([[1000.0, 0.0, -1000.0], [-1000.0, 1000.0, 0.0]], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = nn.cross_entropy(x, [2, 1], reduction="none")
        loss.sum().backward()
    np.testing.assert_array_equal(loss.data, [2000.0, 0.0])
    np.testing.assert_array_equal(x.grad.data, [[1.0, 0.0, -1.0], [0.0, 0.0, 0.0]])


def test_cross_entropy_ignores_masked_minus_inf_logits():
    x = np.array([[0.0, -np.inf, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_allclose(nn.cross_entropy(x, [0]).item(), np.log(2))


def test_bce_clamps_each_log_at_minus_100():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = Tensor([1.0, 0.0], requires_grad=True)
        loss = nn.binary_cross_entropy(p, [0.0, 1.0], reduction="none")
        loss.sum().backward()
    np.testing.assert_array_equal(loss.data, [100.0, 100.0])
    assert np.isfinite(p.grad.data).all()
    np.testing.assert_array_equal(nn.binary_cross_entropy([1.0, 0.0], [1.0, 0.0], "none").data,
                                  [0.0, 0.0])


def test_bce_with_logits_is_exact_at_plus_minus_100():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = nn.binary_cross_entropy_with_logits([100.0, -100.0], [0.0, 1.0], "none")
    np.testing.assert_array_equal(loss.data, [100.0, 100.0])


# -- dtypes ---------------------------------------------------------------------------


@pytest.mark.parametrize("loss, target", [
    (nn.MSELoss(), np.zeros((5, 4))),
    (nn.CrossEntropyLoss(label_smoothing=0.1), LABELS),
    (nn.BCEWithLogitsLoss(), np.ones((5, 4))),
    (nn.BCELoss(), np.ones((5, 4))),
    (nn.NLLLoss(), LABELS),
], ids=["mse", "cross_entropy", "bce_with_logits", "bce", "nll"])
def test_losses_keep_float32_with_float64_targets(loss, target):
    x = Tensor(softmax_reference(LOGITS).astype(np.float32), requires_grad=True)
    value = loss(x, target)
    assert value.dtype == np.float32
    value.backward()
    assert x.grad.dtype == np.float32


# -- misuse ---------------------------------------------------------------------------


def test_cross_entropy_rejects_float_labels():
    with pytest.raises(TypeError, match="integer class labels, got dtype float64"):
        nn.cross_entropy(LOGITS, LABELS.astype(float))


def test_cross_entropy_rejects_out_of_range_labels_naming_them():
    with pytest.raises(IndexError, match="label 4 at position \\(2,\\) is out of range for "
                                         "4 classes \\(valid labels: 0..3\\)"):
        nn.CrossEntropyLoss()(LOGITS, np.array([0, 3, 4, 1, 2]))
    with pytest.raises(IndexError, match="label -1"):
        nn.nll_loss(LOGITS, np.array([0, -1, 1, 1, 2]))


def test_cross_entropy_rejects_a_batch_size_mismatch_with_both_shapes():
    with pytest.raises(ValueError, match="input of shape \\(5, 4\\) needs a target of shape "
                                         "\\(5,\\) .* got \\(4,\\)"):
        nn.cross_entropy(LOGITS, LABELS[:4])


def test_mse_rejects_shapes_that_would_broadcast():
    with pytest.raises(ValueError, match="input has shape \\(5, 1\\) but target has shape "
                                         "\\(5,\\)"):
        nn.mse_loss(np.zeros((5, 1)), np.zeros(5))


def test_bce_rejects_values_outside_zero_one():
    with pytest.raises(ValueError, match="probabilities in \\[0, 1\\].*with_logits"):
        nn.binary_cross_entropy(np.array([0.5, 1.5]), np.array([1.0, 0.0]))


def test_unknown_reduction_and_bad_label_smoothing():
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none'"):
        nn.MSELoss(reduction="average")
    with pytest.raises(ValueError, match="reduction must be"):
        nn.mse_loss(np.zeros(2), np.zeros(2), reduction="max")
    with pytest.raises(ValueError, match="label_smoothing must be in \\[0, 1\\]"):
        nn.cross_entropy(LOGITS, LABELS, label_smoothing=1.5)


def test_class_axis_can_be_any_axis_like_pytorchs_n_c_d_layout():
    logits = RNG.normal(size=(2, 4, 3, 5))  # (N, C, d1, d2), classes on axis 1
    labels = RNG.integers(0, 4, size=(2, 3, 5))
    classes_last = np.moveaxis(logits, 1, -1)
    expected = nn.cross_entropy(classes_last, labels, reduction="none", axis=-1).data
    np.testing.assert_array_equal(
        nn.CrossEntropyLoss(reduction="none", axis=1)(logits, labels).data, expected)
    # issue 15 item 6: PyTorch's layout is the default for inputs of more than two dims
    np.testing.assert_array_equal(
        nn.CrossEntropyLoss(reduction="none")(logits, labels).data, expected)
    np.testing.assert_allclose(
        nn.NLLLoss(axis=1)(nn.log_softmax(logits, axis=1), labels).item(), expected.mean())
    x = Tensor(logits, requires_grad=True)
    assert gradcheck(lambda x: nn.cross_entropy(x, labels, "none", axis=1), (x,))
    with pytest.raises(ValueError, match="axis 4 is out of range"):
        nn.cross_entropy(logits, labels, axis=4)
