"""RELIABILITY §4 B: shapes — empty and 0-d tensors, non-scalar backward, broadcasting,
matmul, reshape/squeeze/axis errors, and integer indexing."""

import operator
import warnings

import numpy as np
import pytest

import autograd as ag
from autograd import Tensor


def leaf(values):
    return Tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


# -- B1 empty tensors -------------------------------------------------------------------


def test_B1_sum_of_an_empty_tensor_is_zero_with_an_empty_gradient():
    x = leaf(np.zeros((0,)))
    total = x.sum()
    total.backward()
    assert total.item() == 0.0
    assert x.grad.shape == (0,)


def test_B1_mean_of_an_empty_tensor_is_nan_with_numpys_warning():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert np.isnan(leaf(np.zeros((0,))).mean().item())
    assert any("Mean of empty slice" in str(w.message) for w in caught)


def test_B1_softmax_of_an_empty_batch_is_empty():
    out = leaf(np.zeros((0, 3))).softmax(axis=1)
    assert out.shape == (0, 3)


@pytest.mark.parametrize("op", ["max", "min"])
def test_B1_max_of_an_empty_tensor_without_an_axis_is_a_value_error(op):
    with pytest.raises(ValueError, match=rf"^{op}: cannot reduce an empty tensor of shape "
                                         r"\(0,\) without an axis"):
        getattr(Tensor(np.zeros((0,))), op)()


def test_B1_max_over_an_empty_axis_is_refused_but_over_a_full_axis_is_empty():
    x = Tensor(np.zeros((0, 3)))
    with pytest.raises(ValueError, match=r"max: .*\(0, 3\) over axis 0"):
        x.max(axis=0)
    assert x.max(axis=1).shape == (0,)


# -- B2, B3 0-d and size-1 tensors ------------------------------------------------------


def test_B2_zero_dimensional_tensors_work_everywhere():
    x = leaf(2.0)
    assert x.shape == () and x.ndim == 0
    y = x * x
    y.backward()  # no grad needed
    assert x.grad.item() == 4.0 and x.grad.shape == ()
    assert type(x.item()) is float
    assert (x + Tensor(np.ones((2, 3)))).shape == (2, 3)
    assert repr(Tensor(2.0)) == "Tensor(2.)"  # numpy's formatting, like torch's tensor(2.)


def test_B2_gradcheck_keeps_zero_dimensional_inputs_zero_dimensional():
    seen = []

    def f(t):
        seen.append(t.shape)
        return ag.stack([t, t.max() * 2.0])  # stack needs both parts 0-d

    assert ag.gradcheck(f, (leaf(1.5),))
    assert set(seen) == {()}


def test_B3_a_one_element_output_of_any_rank_needs_no_explicit_grad():
    x = leaf([[3.0]])
    (x * x).backward()
    assert x.grad.shape == (1, 1) and x.grad.item() == 6.0


# -- B4 non-scalar backward -------------------------------------------------------------


def test_B4_backward_on_a_non_scalar_output_names_the_op_shape_and_fix():
    x = leaf([1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError) as info:
        (x * 2).backward()
    message = str(info.value)
    assert message.startswith("backward: output of 'mul' has shape (3,)")
    assert "only for outputs with one element" in message
    assert ".sum().backward()" in message and "grad=" in message


# -- B5, B6 broadcasting and matmul -----------------------------------------------------


def test_B5_broadcast_mismatch_names_the_operator_and_both_shapes():
    with pytest.raises(ValueError) as info:
        Tensor(np.ones((2, 3))) + Tensor(np.ones(4))
    assert str(info.value).startswith("add: shapes (2, 3) and (4,) cannot be broadcast together")


@pytest.mark.parametrize("op, fn", [("mul", operator.mul), ("sub", operator.sub),
                                    ("div", operator.truediv), ("maximum", ag.maximum)])
def test_B5_every_binary_operator_reports_broadcast_mismatches_by_name(op, fn):
    a, b = leaf(np.ones((3, 2))), leaf(np.ones((3,)))
    with pytest.raises(ValueError, match=rf"^{op}: shapes \(3, 2\) and \(3,\) cannot be"):
        fn(a, b)


def test_B6_matmul_mismatch_names_both_shapes_and_the_inner_dimensions():
    with pytest.raises(ValueError) as info:
        Tensor(np.ones((2, 3))) @ Tensor(np.ones((2, 3)))
    assert str(info.value) == "matmul: (2, 3) @ (2, 3) — inner dimensions 3 and 2 differ"


def test_B6_matmul_mismatch_with_vectors_and_batches():
    with pytest.raises(ValueError, match=r"matmul: \(3,\) @ \(4,\) — inner dimensions 3 and 4"):
        Tensor(np.ones(3)) @ Tensor(np.ones(4))
    with pytest.raises(ValueError, match=r"matmul: .* batch dimensions \(2,\) and \(3,\)"):
        Tensor(np.ones((2, 3, 4))) @ Tensor(np.ones((3, 4, 5)))
    with pytest.raises(ValueError, match=r"matmul: operands must be at least 1-d"):
        Tensor(2.0) @ Tensor(np.ones(3))


# -- B7 backward(grad) of the wrong shape or dtype --------------------------------------


def test_B7_a_gradient_of_the_wrong_shape_names_both_shapes():
    y = leaf([1.0, 2.0, 3.0]) * 2
    with pytest.raises(ValueError) as info:
        y.backward(np.ones(4))
    message = str(info.value)
    assert "(4,)" in message and "(3,)" in message and "'mul'" in message


def test_B7_an_integer_gradient_is_cast_to_the_outputs_dtype():
    x = leaf([1.0, 2.0, 3.0])
    (x * 2).backward(np.array([1, 0, 2]))
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad.data, [2.0, 0.0, 4.0])


@pytest.mark.parametrize("bad", [np.ones(3, dtype=complex), np.array(["a", "b", "c"])],
                         ids=["complex", "str"])
def test_B7_a_non_real_gradient_is_a_type_error_naming_its_dtype(bad):
    y = leaf([1.0, 2.0, 3.0]) * 2
    with pytest.raises(TypeError, match=rf"backward: grad has dtype {bad.dtype}"):
        y.backward(bad)


# -- B8 reshape, squeeze, axis ----------------------------------------------------------


def test_B8_reshape_to_an_incompatible_size_names_both_shapes():
    with pytest.raises(ValueError, match=r"^reshape: .*\(6,\).*\(4, 2\)"):
        Tensor(np.ones(6)).reshape(4, 2)


def test_B8_squeeze_of_an_axis_that_is_not_size_one_names_axis_and_shape():
    with pytest.raises(ValueError, match=r"^squeeze: cannot squeeze axis 0 of size 2 "
                                         r"\(shape \(2, 3\)\)"):
        Tensor(np.ones((2, 3))).squeeze(0)


@pytest.mark.parametrize(
    "op, call",
    [
        ("sum", lambda t: t.sum(axis=2)),
        ("mean", lambda t: t.mean(axis=-3)),
        ("max", lambda t: t.max(axis=5)),
        ("softmax", lambda t: t.softmax(axis=2)),
        ("swapaxes", lambda t: t.swapaxes(0, 2)),
        ("unsqueeze", lambda t: t.unsqueeze(4)),
    ],
)
def test_B8_an_out_of_range_axis_names_the_op_the_axis_and_the_input_shape(op, call):
    with pytest.raises(ValueError) as info:
        call(Tensor(np.ones((2, 3))))
    message = str(info.value)
    assert message.startswith(f"{op}: axis ")
    assert "(2, 3)" in message and "valid axes are" in message


# -- B9 integer-array indexing ----------------------------------------------------------


def test_B9_duplicate_and_negative_indices_accumulate_their_gradients():
    x = leaf([1.0, 2.0, 3.0, 4.0])
    x[np.array([0, -1, 0, 3, 1])].sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 1.0, 0.0, 2.0])


def test_B9_duplicate_indices_in_two_dimensions():
    x = leaf(np.zeros((2, 3)))
    rows, cols = np.array([0, 0, 1, 0]), np.array([2, 2, 0, -1])
    x[rows, cols].backward(np.array([1.0, 10.0, 100.0, 1000.0]))
    np.testing.assert_array_equal(x.grad.data, [[0.0, 0.0, 1011.0], [100.0, 0.0, 0.0]])


@pytest.mark.parametrize("index", [np.array([0, 5]), 5, -4], ids=["array", "int", "negative"])
def test_B9_an_out_of_range_index_is_an_index_error_naming_index_axis_and_size(index):
    with pytest.raises(IndexError) as info:
        leaf([1.0, 2.0, 3.0])[index]
    message = str(info.value)
    assert message.startswith("getitem:")
    assert "axis 0" in message and "size 3" in message
    assert str(5 if not isinstance(index, int) or index > 0 else -4) in message


def test_B9_functional_indexing_and_scatter_add_agree():
    values = leaf([1.0, 2.0, 3.0])
    out = ag.functional.scatter_add(values, np.array([0, 2, 0]), (3,))
    np.testing.assert_array_equal(out.data, [4.0, 0.0, 2.0])
