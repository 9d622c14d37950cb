"""RELIABILITY §4 A: bad values — NaN, inf, huge and tiny numbers, domains, kinks."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings

import autograd as ag
from autograd import Scalar, Tensor
from autograd.testing import floats_in


def leaf(values, dtype=np.float64):
    return Tensor(np.asarray(values, dtype=dtype), requires_grad=True)


def test_A1_nan_propagates_forward_and_gradients_follow_the_formula():
    x = leaf([np.nan, 1.0])
    y = x * 2
    y.sum().backward()  # no exception without anomaly mode
    assert np.isnan(y.data[0]) and y.data[1] == 2.0
    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0])  # d(2x)/dx = 2, even at nan


def test_A1_nan_flows_into_gradients_that_depend_on_the_value():
    x = leaf([np.nan, 3.0])
    (x * x).sum().backward()
    assert np.isnan(x.grad.data[0]) and x.grad.data[1] == 6.0


def test_A2_anomaly_mode_raises_floating_point_error_naming_the_operator_and_shapes():
    x = leaf([1.0, -1.0, 4.0])
    with pytest.raises(FloatingPointError) as info, ag.detect_anomaly():
        with np.errstate(invalid="ignore"):
            x.log()
    message = str(info.value)
    assert "detect_anomaly" in message and "'log'" in message
    assert "nan" in message and "(3,)" in message


def test_A2_anomaly_mode_names_log_in_the_where_trap():
    x = leaf([0.0, 2.0])
    with pytest.raises(FloatingPointError, match="'log'.*inf"), ag.detect_anomaly():
        with np.errstate(divide="ignore"):
            ag.where(x.data > 0, x.log(), 0.0)


def test_A2_anomaly_mode_names_the_operator_whose_backward_makes_nan():
    x = leaf([0.0, 1.0])
    with pytest.raises(FloatingPointError) as info, ag.detect_anomaly():
        with np.errstate(divide="ignore", invalid="ignore"):
            y = x.sqrt() * 0  # created inside: the node remembers this line
            y.sum().backward()
    message = str(info.value)
    assert "backward of operator 'sqrt'" in message
    assert "nan in the gradient for input 0 (shape (2,))" in message
    assert "created at" in message and __file__.rsplit("/", 1)[-1] in message


def test_A2_backward_only_anomaly_mode_names_log_in_the_where_trap():
    x = leaf([0.0, 2.0])
    with pytest.raises(FloatingPointError, match=r"backward of operator 'log'.*where"):
        with ag.detect_anomaly(forward=False), np.errstate(divide="ignore", invalid="ignore"):
            ag.where(x.data > 0, x.log(), 0.0).sum().backward()


def test_A2_anomaly_mode_also_checks_scalar_graphs():
    with pytest.raises(FloatingPointError, match="'log'"), ag.detect_anomaly():
        Scalar(-1.0).log()


def test_A2_anomaly_mode_is_off_by_default_and_restored_after_the_block():
    with np.errstate(invalid="ignore"):
        assert np.isnan(leaf([-1.0]).log().item())
        with pytest.raises(FloatingPointError), ag.detect_anomaly():
            leaf([-1.0]).log()
        assert np.isnan(leaf([-1.0]).log().item())


def test_A3_infinite_inputs_give_ieee_answers():
    out = Tensor([np.inf, -np.inf]).exp()
    np.testing.assert_array_equal(out.data, [np.inf, 0.0])
    assert Tensor([-np.inf, -np.inf]).logsumexp().item() == -np.inf  # not nan
    assert Tensor([np.inf, 0.0]).logsumexp().item() == np.inf


def test_A3_softmax_of_a_row_with_plus_infinity_is_nan_as_documented():
    # e^(inf) / Σ e^x = inf / inf: nan where the inf is (PyTorch also gives nan)
    with pytest.warns(RuntimeWarning, match="invalid value"):
        out = Tensor([[np.inf, 1.0], [0.0, 1.0]]).softmax(axis=1)
    assert np.isnan(out.data[0, 0])
    np.testing.assert_allclose(out.data[1], [1 / (1 + np.e), np.e / (1 + np.e)])


@pytest.mark.parametrize("op", [lambda x, y: x / y, lambda x, y: x // y,
                                lambda x, y: x % y])
def test_A5_division_by_zero_gives_numpys_values_and_warning_for_every_division(op):
    x = np.array([1.0, -1.0, 0.0])
    with warnings.catch_warnings(record=True) as expected:
        warnings.simplefilter("always")
        want = op(x, 0.0)
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        out = op(Tensor(x), 0.0)
    np.testing.assert_array_equal(out.data, want)
    assert expected and sorted(str(w.message) for w in got) == sorted(
        str(w.message) for w in expected)


@pytest.mark.parametrize("dtype, value", [(np.float64, 710.0), (np.float32, 89.0)])
def test_A4_exp_beyond_the_dtype_range_is_inf_with_numpys_overflow_warning(dtype, value):
    with pytest.warns(RuntimeWarning, match="overflow encountered in exp"):
        out = Tensor(np.array([value], dtype=dtype)).exp()
    assert out.item() == np.inf and out.dtype == dtype


@pytest.mark.parametrize("dtype, big", [(np.float64, 1000.0), (np.float32, 100.0)])
def test_A4_stable_operators_emit_no_warning_at_the_extremes(dtype, big):
    x = leaf([-big, 0.0, big], dtype)
    stable = [Tensor.sigmoid, Tensor.softplus, Tensor.log_sigmoid, Tensor.logsumexp,
              Tensor.softmax, Tensor.log_softmax]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            for fn in stable:
                out = fn(x)
                out.backward(np.ones(out.shape, dtype))
                assert np.all(np.isfinite(out.data)), fn.__name__
    assert np.all(np.isfinite(x.grad.data))


@pytest.mark.parametrize(
    "name, fn, value, expected_value, expected_grad",
    [
        ("log(0)", Tensor.log, 0.0, -np.inf, np.inf),
        # the value is nan; the gradient is the formula 1/x = -1 (PyTorch gives -1 too)
        ("log(-1)", Tensor.log, -1.0, np.nan, -1.0),
        ("sqrt(-1)", Tensor.sqrt, -1.0, np.nan, np.nan),
        ("x**0.5 at 0", lambda t: t**0.5, 0.0, 0.0, np.inf),
    ],
)
def test_A5_domain_edges_give_numpys_values_and_the_documented_gradients(
    name, fn, value, expected_value, expected_grad
):
    x = leaf([value])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn(x)
    # numpy warns where the forward leaves the domain; x**0.5 at 0 is a value in it
    assert any(issubclass(w.category, RuntimeWarning) for w in caught) == ("**" not in name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # backward meets these inf/nan on purpose (issue 12.1)
        out.sum().backward()
    np.testing.assert_array_equal(out.data, [expected_value])
    np.testing.assert_array_equal(x.grad.data, [expected_grad])


def test_A6_kinks_take_deterministic_subgradients():
    x = leaf([0.0, 0.0, 0.0, 1.0])
    (x.relu() + x.abs() + x.clip(0.0, 1.0)).sum().backward()
    # relu'(0) = 0, abs'(0) = 0, clip passes the gradient at both bounds (PyTorch's clamp)
    np.testing.assert_array_equal(x.grad.data, [1.0, 1.0, 1.0, 3.0])


def test_A6_max_ties_split_the_gradient_evenly_on_every_call():
    for _ in range(3):
        x = leaf([1.0, 4.0, 4.0, 4.0])
        x.max().backward()
        np.testing.assert_array_equal(x.grad.data, [0.0, 1 / 3, 1 / 3, 1 / 3])


def test_A7_subnormal_inputs_get_no_special_handling():
    tiny = np.nextafter(0.0, 1.0)  # 5e-324, the smallest subnormal
    x = leaf([tiny, -tiny])
    y = (x * 2 + x.exp()).sum()
    y.backward()
    assert y.item() == 2.0
    np.testing.assert_array_equal(x.grad.data, [3.0, 3.0])


@settings(max_examples=60)
@given(value=floats_in(-1e-300, 1e-300))
def test_A7_testing_strategies_draw_no_subnormals(value):
    assert value == 0.0 or abs(value) >= np.finfo(np.float64).tiny
