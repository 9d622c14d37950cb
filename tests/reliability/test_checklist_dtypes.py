"""RELIABILITY §4 C: dtypes — defaults, requires_grad on integers, mixed precision,
integer and bool arithmetic, unsupported dtypes, float16."""

import numpy as np
import pytest

import autograd as ag
from autograd import Tensor


def test_C1_python_numbers_become_float64_and_integer_arrays_stay_integer():
    assert Tensor([1, 2, 3]).dtype == np.float64  # the design's float64 default
    assert Tensor(3).dtype == np.float64
    assert Tensor(np.array([1, 2, 3])).dtype == np.int64  # labels for cross-entropy
    assert Tensor([1, 2, 3], dtype=np.int32).dtype == np.int32  # dtype= always wins
    assert Tensor(np.array([1.5], dtype=np.float32)).dtype == np.float32
    assert Tensor([True, False]).dtype == np.bool_


@pytest.mark.parametrize("data, dtype_name", [(np.array([1, 2]), "int64"),
                                              (np.array([True]), "bool"),
                                              (np.array([1], dtype=np.uint8), "uint8")])
def test_C2_requires_grad_on_a_non_float_array_is_a_type_error_with_the_fix(data, dtype_name):
    with pytest.raises(TypeError) as info:
        Tensor(data, requires_grad=True)
    message = str(info.value)
    assert f"requires_grad=True needs a floating dtype, got {dtype_name}" in message
    assert "astype(float)" in message


def test_C2_the_same_rule_holds_for_factories_and_requires_grad_():
    with pytest.raises(TypeError, match="floating dtype, got int64"):
        ag.zeros(3, dtype=np.int64, requires_grad=True)
    with pytest.raises(TypeError, match="floating dtype, got int64"):
        Tensor(np.array([1, 2])).requires_grad_()


def test_C3_mixed_precision_follows_numpy_promotion_under_nep_50():
    f32 = Tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    assert (f32 + Tensor(np.ones(2))).dtype == np.float64  # array + array: promote
    assert (f32 * 2.5).dtype == np.float32  # a Python float is "weak"
    assert (2.5 * f32).dtype == np.float32
    assert (f32 * np.float64(2.5)).dtype == np.float64  # a numpy scalar is not


def test_C3_a_leaf_gradient_keeps_the_leafs_dtype():
    f32 = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    f64 = Tensor(np.ones(3), requires_grad=True)
    out = (f32 * f64).sum()
    assert out.dtype == np.float64
    out.backward()
    assert f32.grad.dtype == np.float32 and f64.grad.dtype == np.float64


def test_C4_integer_to_a_negative_power_is_numpys_value_error_with_the_op_name():
    with pytest.raises(ValueError, match=r"^pow: Integers to negative integer powers"):
        Tensor(np.array([1, 2])) ** -1


def test_C4_integer_division_is_float64_and_int8_overflow_wraps_silently():
    ratio = Tensor(np.array([1, 3])) / Tensor(np.array([2, 2]))
    assert ratio.dtype == np.float64
    np.testing.assert_array_equal(ratio.data, [0.5, 1.5])
    wrapped = Tensor(np.array([127], dtype=np.int8)) + Tensor(np.array([1], dtype=np.int8))
    assert wrapped.dtype == np.int8 and wrapped.item() == -128


def test_C4_comparisons_return_bool_tensors_without_gradient():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    for result in (x < 2, x >= 2, x == 2.0, x != 2.0, (x > 1) & (x < 3)):
        assert result.dtype == np.bool_
        assert not result.requires_grad and result.grad_fn is None


def test_C5_bool_subtraction_is_numpys_type_error_with_the_op_name():
    with pytest.raises(TypeError, match=r"^sub: numpy boolean subtract"):
        Tensor(np.array([True])) - Tensor(np.array([False]))


@pytest.mark.parametrize("data, dtype_name", [
    (np.array([1, "a"], dtype=object), "object"),
    (np.array([1j]), "complex128"),
    ([1 + 2j], "complex128"),
    (np.array(["a"]), "<U1"),
])
def test_C6_object_complex_and_string_arrays_are_refused_at_construction(data, dtype_name):
    with pytest.raises(TypeError, match=rf"^Tensor: unsupported dtype {dtype_name}"):
        Tensor(data)


def test_C6_the_data_setter_refuses_them_too():
    t = Tensor([1.0])
    with pytest.raises(TypeError, match="unsupported dtype complex128"):
        t.data = np.array([1j])


def test_C7_float16_is_allowed_but_gradcheck_refuses_it():
    x = Tensor(np.array([0.5, 1.5], dtype=np.float16), requires_grad=True)
    y = (x * x).sum()
    y.backward()
    assert y.dtype == np.float16 and x.grad.dtype == np.float16
    np.testing.assert_array_equal(x.grad.data, [1.0, 3.0])
    with pytest.raises(TypeError, match="float16"):
        ag.gradcheck(lambda t: t * t, (x,))
