"""RELIABILITY §2, the numerical-stability table, one row at a time.

Stable operators are run at ±1000 (float64) and ±100 (float32) inside `strict()`: numpy's
RuntimeWarnings are errors and overflow, invalid and divide raise, so an implementation
that overflows internally fails even when its final answer happens to be right. Rows
whose documented behaviour IS a warning (exp overflow, log and sqrt outside the domain)
assert the warning instead.
"""

import warnings
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd as ag
import nn
from autograd import Tensor
from autograd.testing import broadcastable_shapes

EXTREMES = [(np.float64, 1000.0), (np.float32, 100.0)]
EXTREME_IDS = ["float64-1000", "float32-100"]


@contextmanager
def strict():
    """No RuntimeWarning, no overflow, no invalid operation, no division by zero."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            yield


def leaf(values, dtype=np.float64):
    return Tensor(np.asarray(values, dtype=dtype), requires_grad=True)


def forward_backward(fn, x, seed=None):
    """fn(x) and d(Σ seed·fn(x))/dx (seed defaults to ones), all inside strict()."""
    with strict():
        out = fn(x)
        out.backward(np.ones(out.shape, out.dtype) if seed is None else seed)
    return out, x.grad


# -- logsumexp --------------------------------------------------------------------------


@pytest.mark.parametrize("dtype, big", EXTREMES, ids=EXTREME_IDS)
def test_logsumexp_row_is_stable_at_the_extremes(dtype, big):
    x = leaf([[big, big], [-big, -big], [big, -big]], dtype)
    out, grad = forward_backward(lambda t: t.logsumexp(axis=1), x)
    rtol = 1e-12 if dtype == np.float64 else 1e-5  # float32: out ≈ 100 carries ~1e-5 error
    np.testing.assert_allclose(out.data, [big + np.log(2), -big + np.log(2), big], rtol=rtol)
    # the gradient is softmax(x) along the axis
    expected = [[0.5, 0.5], [0.5, 0.5], [1.0, 0.0]]
    np.testing.assert_allclose(grad.data, expected, rtol=rtol, atol=1e-30)
    assert out.dtype == grad.dtype == dtype


def test_logsumexp_row_of_minus_infinity_is_minus_infinity_not_nan():
    with strict():
        out = Tensor([[-np.inf, -np.inf], [-np.inf, 0.0]]).logsumexp(axis=1)
    np.testing.assert_array_equal(out.data, [-np.inf, 0.0])


def test_logsumexp_with_one_plus_infinity_is_plus_infinity():
    with strict():
        assert Tensor([np.inf, 1.0]).logsumexp().item() == np.inf


# -- softmax, log_softmax ---------------------------------------------------------------


@pytest.mark.parametrize("dtype, big", EXTREMES, ids=EXTREME_IDS)
def test_softmax_row_is_finite_and_uses_the_saved_output_in_backward(dtype, big):
    x = leaf([big, 0.0, -big], dtype)
    g = np.array([0.3, -1.0, 2.0], dtype=dtype)
    out, grad = forward_backward(lambda t: t.softmax(), x, seed=g)
    np.testing.assert_allclose(out.data, [1.0, 0.0, 0.0], atol=1e-30)
    y = out.data
    np.testing.assert_allclose(grad.data, y * (g - (g * y).sum()), atol=1e-30)
    assert out.dtype == dtype


def test_softmax_rows_sum_to_one_and_an_empty_batch_stays_empty():
    logits = np.random.default_rng(1).standard_normal((6, 5)) * 300
    with strict():
        probs = Tensor(logits).softmax(axis=1)
        empty = Tensor(np.zeros((0, 3))).softmax(axis=1)
    np.testing.assert_allclose(probs.data.sum(axis=1), 1.0, rtol=1e-12)
    assert empty.shape == (0, 3)


@pytest.mark.parametrize("dtype, big", EXTREMES, ids=EXTREME_IDS)
def test_log_softmax_row_is_exact_where_log_of_softmax_would_be_minus_infinity(dtype, big):
    x = leaf([big, 0.0, -big], dtype)
    g = np.array([1.0, 2.0, -0.5], dtype=dtype)
    out, grad = forward_backward(lambda t: t.log_softmax(), x, seed=g)
    np.testing.assert_array_equal(out.data, np.array([0.0, -big, -2 * big], dtype=dtype))
    softmax = np.array([1.0, 0.0, 0.0])
    np.testing.assert_allclose(grad.data, g - softmax * g.sum(), atol=1e-30)


# -- sigmoid, softplus, log_sigmoid -----------------------------------------------------


@pytest.mark.parametrize("dtype, big", EXTREMES, ids=EXTREME_IDS)
def test_sigmoid_row_saturates_without_an_overflow_warning(dtype, big):
    out, grad = forward_backward(Tensor.sigmoid, leaf([-big, 0.0, big], dtype))
    np.testing.assert_allclose(out.data, [0.0, 0.5, 1.0], atol=1e-30)
    np.testing.assert_allclose(grad.data, [0.0, 0.25, 0.0], atol=1e-30)
    assert out.dtype == grad.dtype == dtype


@pytest.mark.parametrize("dtype, big", EXTREMES, ids=EXTREME_IDS)
def test_softplus_row_is_logaddexp(dtype, big):
    out, grad = forward_backward(Tensor.softplus, leaf([big, -big, 0.0], dtype))
    np.testing.assert_allclose(out.data, [big, 0.0, np.log(2.0)], rtol=1e-7, atol=1e-30)
    np.testing.assert_allclose(grad.data, [1.0, 0.0, 0.5], atol=1e-30)  # sigmoid(x)


@pytest.mark.parametrize("dtype, big", EXTREMES, ids=EXTREME_IDS)
def test_log_sigmoid_row_is_minus_softplus_of_minus_x(dtype, big):
    out, grad = forward_backward(ag.log_sigmoid, leaf([big, -big, 0.0], dtype))
    np.testing.assert_allclose(out.data, [0.0, -big, -np.log(2.0)], rtol=1e-7, atol=1e-30)
    np.testing.assert_allclose(grad.data, [0.0, 1.0, 0.5], atol=1e-30)  # sigmoid(-x)
    assert np.all(np.isfinite(out.data))


# -- the losses (nn.losses) -------------------------------------------------------------


@pytest.mark.parametrize("dtype, big", EXTREMES, ids=EXTREME_IDS)
def test_bce_with_logits_row_is_exact_where_sigmoid_then_log_gives_inf(dtype, big):
    x = leaf([big, -big, 0.0], dtype)
    target = np.array([0.0, 1.0, 1.0], dtype=dtype)
    out, grad = forward_backward(
        lambda t: nn.binary_cross_entropy_with_logits(t, target, reduction="none"),
        x)
    np.testing.assert_allclose(out.data, [big, big, np.log(2.0)], rtol=1e-7)
    np.testing.assert_allclose(grad.data, [1.0, -1.0, -0.5], atol=1e-30)  # σ(x) − y
    assert out.dtype == dtype


def test_bce_on_probabilities_row_clamps_each_log_at_minus_100():
    p = leaf([1.0, 0.0, 0.5])
    target = np.array([0.0, 1.0, 1.0])
    out, grad = forward_backward(
        lambda t: nn.binary_cross_entropy(t, target, reduction="none"), p)
    np.testing.assert_allclose(out.data, [100.0, 100.0, np.log(2.0)])
    assert np.all(np.isfinite(grad.data))  # (p − y) / max(p(1 − p), eps)
    assert grad.data[2] == pytest.approx(-2.0)


@pytest.mark.parametrize("dtype, big", EXTREMES, ids=EXTREME_IDS)
def test_cross_entropy_row_is_stable_for_huge_logits(dtype, big):
    x = leaf([[big, 0.0, -big], [big, 0.0, -big]], dtype)
    labels = np.array([0, 2])
    out, grad = forward_backward(
        lambda t: nn.cross_entropy(t, labels, reduction="none"), x)
    np.testing.assert_allclose(out.data, [0.0, 2 * big], atol=1e-30)
    np.testing.assert_allclose(grad.data, [[0.0, 0.0, 0.0], [1.0, 0.0, -1.0]], atol=1e-30)


def test_cross_entropy_row_labels_out_of_range_name_the_label_and_class_count():
    with pytest.raises(IndexError, match=r"label 3 at position \(1,\) is out of range for 3 "
                                         r"classes"):
        nn.cross_entropy(leaf(np.zeros((2, 3))), np.array([0, 3]))


# -- exp, log, sqrt, norm, pow ----------------------------------------------------------


@pytest.mark.parametrize("dtype, beyond", [(np.float64, 710.0), (np.float32, 89.0)])
def test_exp_row_overflows_to_inf_with_numpys_warning(dtype, beyond):
    x = leaf([beyond, 1.0], dtype)
    with pytest.warns(RuntimeWarning, match="overflow encountered in exp"):
        out = x.exp()
    assert out.data[0] == np.inf and out.dtype == dtype
    with pytest.raises(FloatingPointError, match="'exp'"), ag.detect_anomaly():
        with np.errstate(over="ignore"):
            x.exp()


def test_log_row_domain_values_and_anomaly_mode_names_log():
    with pytest.warns(RuntimeWarning):
        out = Tensor([0.0, -1.0, 1.0]).log()
    assert out.data[0] == -np.inf and np.isnan(out.data[1]) and out.data[2] == 0.0
    with pytest.raises(FloatingPointError, match="'log'"), ag.detect_anomaly():
        with np.errstate(invalid="ignore"):
            Tensor([1.0, -1.0], requires_grad=True).log()


def test_sqrt_row_gradient_at_zero_is_inf_as_documented():
    x = leaf([0.0, 4.0])
    with strict():  # inf on purpose: no numpy warning reaches the user (issue 12.1)
        x.sqrt().sum().backward()
    np.testing.assert_array_equal(x.grad.data, [np.inf, 0.25])


def test_norm_row_takes_the_subgradient_zero_at_zero_where_the_naive_formula_gives_nan():
    x = leaf([0.0, 0.0, 0.0])
    with strict():
        ag.norm(x).backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0, 0.0])
    naive = leaf([0.0, 0.0, 0.0])
    with np.errstate(divide="ignore", invalid="ignore"):
        (naive * naive).sum().sqrt().backward()
    assert np.all(np.isnan(naive.grad.data))


def test_norm_row_away_from_zero_is_x_over_its_norm_to_second_order():
    x = leaf([[3.0, 4.0], [0.0, 0.0]])
    with strict():
        n = x.norm(axis=1)
        n.sum().backward()
    np.testing.assert_array_equal(n.data, [5.0, 0.0])
    np.testing.assert_allclose(x.grad.data, [[0.6, 0.8], [0.0, 0.0]])
    assert ag.gradgradcheck(lambda t: t.norm(axis=1), (leaf([[3.0, 4.0], [1.0, -2.0]]),))


@pytest.mark.parametrize("exponent, expected", [(0, 0.0), (1, 1.0), (0.5, np.inf)])
def test_pow_row_gradients_at_zero_match_pytorch(exponent, expected):
    x = leaf(0.0)
    with np.errstate(divide="ignore"):
        (x**exponent).backward()
    assert x.grad.item() == expected


def test_pow_row_negative_base_with_a_fractional_exponent_is_nan():
    x = leaf([-2.0])
    with pytest.warns(RuntimeWarning, match="invalid value"):
        out = x**0.5
    assert np.isnan(out.item())


# -- kinks and ties ---------------------------------------------------------------------


def test_kinks_row_relu_and_abs_take_zero_at_zero():
    x = leaf([0.0, 0.0])
    with strict():
        (x.relu() + x.abs()).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0])


def test_kinks_row_max_and_min_split_ties_evenly_like_amax():
    x = leaf([[0.0, 2.0, 2.0], [5.0, 1.0, 1.0]])
    with strict():
        (x.max(axis=1).sum() + x.min(axis=1).sum()).backward()
    np.testing.assert_array_equal(x.grad.data, [[1.0, 0.5, 0.5], [1.0, 0.5, 0.5]])


def test_kinks_row_maximum_splits_a_tie_between_its_two_inputs():
    a, b = leaf([1.0, 3.0]), leaf([1.0, 0.0])
    with strict():
        ag.maximum(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [0.5, 1.0])
    np.testing.assert_array_equal(b.grad.data, [0.5, 0.0])


# -- var --------------------------------------------------------------------------------


def test_var_row_two_passes_survive_a_huge_offset():
    # one pass, E[x²] − E[x]², loses every digit here: x² ≈ 1e18 has no room for 1.25
    offset = 1e9 + np.array([1.0, 2.0, 3.0, 4.0])
    x = leaf(offset)
    with strict():
        v = x.var()
        v.backward()
    assert v.item() == pytest.approx(1.25, rel=1e-12)
    np.testing.assert_allclose(x.grad.data, 2 * (offset - offset.mean()) / 4, rtol=1e-9)


def test_var_row_convention_is_numpys_ddof_zero_with_a_ddof_keyword():
    assert Tensor([1.0, 2.0]).var().item() == 0.25
    x = leaf([1.0, 2.0])
    v = x.var(ddof=1)
    v.backward()
    assert v.item() == 0.5
    np.testing.assert_array_equal(x.grad.data, [-1.0, 1.0])  # 2(x − mean)/(N − 1)


# -- indexing, broadcasting, where ------------------------------------------------------


def test_integer_index_row_accumulates_repeated_indices_like_np_add_at():
    x = leaf([10.0, 20.0, 30.0])
    x[np.array([0, 2, 0, -1])].sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 0.0, 2.0])


@settings(max_examples=40, deadline=None)
@given(shapes=broadcastable_shapes(n=2, max_dims=4), seed=st.integers(0, 2**16))
def test_broadcasting_row_gradients_are_summed_back_to_each_input_shape(shapes, seed):
    rng = np.random.default_rng(seed)
    a, b = (leaf(rng.standard_normal(s)) for s in shapes)
    out = a * b
    g = rng.standard_normal(out.shape)
    out.backward(g)
    assert a.grad.shape == a.shape and b.grad.shape == b.shape
    full_a = np.broadcast_to(a.data, out.shape)
    full_b = np.broadcast_to(b.data, out.shape)
    np.testing.assert_allclose(a.grad.data, _sum_to(g * full_b, a.shape), rtol=1e-12)
    np.testing.assert_allclose(b.grad.data, _sum_to(g * full_a, b.shape), rtol=1e-12)


def _sum_to(values, shape):
    """Reference reduction, written independently of the engine's unbroadcast."""
    while values.ndim > len(shape):
        values = values.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1:
            values = values.sum(axis=axis, keepdims=True)
    return values


def test_where_row_the_trap_gives_nan_at_zero_and_anomaly_mode_names_log():
    x = leaf([0.0, 2.0])
    with np.errstate(divide="ignore", invalid="ignore"):
        ag.where(x.data > 0, x.log(), 0.0).sum().backward()
    assert np.isnan(x.grad.data[0]) and x.grad.data[1] == 0.5
    with pytest.raises(FloatingPointError, match="'log'"), ag.detect_anomaly():
        with np.errstate(divide="ignore"):
            ag.where(x.data > 0, leaf([0.0, 2.0]).log(), 0.0)


def test_where_row_the_double_where_gives_a_clean_gradient():
    x = leaf([0.0, 2.0])
    positive = x.data > 0
    with strict(), ag.detect_anomaly():
        ag.where(positive, ag.where(positive, x, 1.0).log(), 0.0).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.5])
