"""Tensor construction, conversion, display and misuse."""

import numpy as np
import pytest

import autograd as ag
from autograd import Tensor


def test_python_numbers_become_float64_and_int_arrays_stay_int():
    assert Tensor([1, 2, 3]).dtype == np.float64
    assert Tensor(2).dtype == np.float64
    assert Tensor(np.array([1, 2])).dtype == np.int64
    assert Tensor(np.ones(2, dtype=np.float32)).dtype == np.float32
    assert Tensor([1, 2], dtype=np.int32).dtype == np.int32


def test_constructor_copies_its_input():
    source = np.array([1.0, 2.0])
    t = Tensor(source)
    source[0] = 99.0
    assert t.data[0] == 1.0
    shared = ag.from_numpy(source)
    source[1] = 7.0
    assert shared.data[1] == 7.0


def test_broadcast_views_are_copied_into_writable_memory():
    view = np.broadcast_to(np.arange(3.0), (2, 3))
    t = Tensor(view)
    assert t.data.flags.writeable and t.data.flags.owndata


@pytest.mark.parametrize("bad", [np.array([1 + 2j]), np.array([object()]), "text"])
def test_unsupported_dtypes_are_refused(bad):
    with pytest.raises(TypeError, match="unsupported dtype|cannot make"):
        Tensor(bad)


def test_repr_shows_values_operator_dtype_and_name():
    a = Tensor([1.0, 2.0], requires_grad=True, name="a")
    assert repr(a) == "Tensor([1., 2.], requires_grad=True, name='a')"
    assert repr(a.tanh()).endswith("grad_fn=<tanh>)")
    assert repr(Tensor(2.0)) == "Tensor(2.)"
    assert "dtype=float32" in repr(Tensor(np.ones(2, dtype=np.float32)))


def test_conversions():
    t = Tensor([[1.5]])
    assert t.item() == 1.5 and isinstance(t.item(), float)
    assert float(t) == 1.5
    np.testing.assert_array_equal(np.asarray(t), [[1.5]])
    assert t.shape == (1, 1) and t.ndim == 2 and t.size == 1
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        Tensor([1.0, 2.0]).item()


def test_comparisons_are_elementwise_bool_tensors_without_gradient():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    mask = x > 1.5
    assert mask.dtype == bool and mask.grad_fn is None and not mask.requires_grad
    np.testing.assert_array_equal((x == 2.0).data, [False, True, False])
    np.testing.assert_array_equal(((x > 1) & (x < 3)).data, [False, True, False])
    assert {x: 1}[x] == 1  # hashable by identity


def test_numpy_functions_on_tensors_stay_differentiable():
    x = Tensor([0.5, 1.0], requires_grad=True)
    y = np.exp(x) * np.array([2.0, 3.0])
    assert isinstance(y, Tensor) and y.grad_fn is not None
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, np.exp([0.5, 1.0]) * [2.0, 3.0])


def test_ndarray_on_the_left_defers_to_the_tensor():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = np.array([3.0, 4.0]) - x
    assert isinstance(y, Tensor) and y.grad_fn.op.name == "sub"


def test_broadcast_mismatch_names_the_operator_and_shapes():
    with pytest.raises(ValueError, match=r"^add: .*\(2, ?3\).*\(4,\)"):
        Tensor(np.ones((2, 3))) + Tensor(np.ones(4))


def test_matmul_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"matmul: \(2, 3\) @ \(2, 3\).*3 and 2"):
        Tensor(np.ones((2, 3))) @ Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match="at least 1-d"):
        Tensor(2.0) @ Tensor(np.ones(2))


def test_shape_errors_name_the_operator():
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"reshape: .*\(2, 3\).*\(4, 2\)"):
        x.reshape(4, 2)
    with pytest.raises(ValueError, match="squeeze: cannot squeeze axis 1 of size 3"):
        x.squeeze(1)
    with pytest.raises(ValueError, match="sum: axis 2 is out of range"):
        x.sum(axis=2)
    with pytest.raises(ValueError, match="transpose"):
        x.transpose(0, 0)
    with pytest.raises(ValueError, match="broadcast_to"):
        x.broadcast_to(3, 3)


def test_index_out_of_range_is_an_index_error_naming_the_operator():
    with pytest.raises(IndexError, match="getitem"):
        Tensor([1.0, 2.0])[np.array([5])]


def test_max_of_an_empty_tensor_without_an_axis():
    with pytest.raises(ValueError, match=r"max: cannot reduce an empty tensor of shape \(0,\)"):
        Tensor(np.zeros(0)).max()


def test_empty_sum_and_mean():
    x = Tensor(np.zeros(0), requires_grad=True)
    s = x.sum()
    assert s.item() == 0.0
    s.backward()
    assert x.grad.shape == (0,)
    with np.errstate(invalid="ignore"), pytest.warns(RuntimeWarning):
        assert np.isnan(x.mean().item())


def test_zero_dim_tensors_broadcast_and_backward():
    s = Tensor(2.0, requires_grad=True)
    m = Tensor(np.ones((2, 3)), requires_grad=True)
    (s * m).sum().backward()
    assert s.grad.shape == () and s.grad.item() == 6.0


def test_dot_and_batched_matmul_follow_numpy():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(3), rng.standard_normal(3)
    assert Tensor(a).dot(Tensor(b)).item() == pytest.approx(a @ b)
    x, y = rng.standard_normal((5, 2, 3)), rng.standard_normal((3, 4))
    np.testing.assert_allclose((Tensor(x) @ Tensor(y)).data, x @ y)


def test_integer_tensors_compute_without_gradient():
    labels = Tensor(np.array([0, 2, 1]))
    assert (labels + 1).dtype == np.int64
    assert (labels / 2).dtype == np.float64


def test_in_place_update_of_a_leaf_that_requires_grad_needs_no_grad():
    w = Tensor([1.0, 2.0], requires_grad=True, name="w")
    with pytest.raises(RuntimeError, match="in-place operation on leaf tensor 'w'.*no_grad"):
        w.zero_()
    with ag.no_grad():
        w.zero_()
    np.testing.assert_array_equal(w.data, [0.0, 0.0])


def test_modifying_a_saved_tensor_before_backward_is_caught():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    h.name = "h"
    y = (h * h).sum()
    h.data = np.array([5.0, 5.0])
    with pytest.raises(RuntimeError, match="'h'.*modified in place.*version 1, expected 0"):
        y.backward()


def test_factories():
    ag.manual_seed(0)
    a = ag.randn(2, 3)
    ag.manual_seed(0)
    np.testing.assert_array_equal(a.data, ag.randn(2, 3).data)
    assert ag.zeros(2, 3).shape == (2, 3) and ag.ones((4,)).data.sum() == 4
    assert ag.full((2,), 7.0).data.tolist() == [7.0, 7.0]
    assert ag.arange(3).data.tolist() == [0.0, 1.0, 2.0]
    assert ag.zeros_like(a).shape == (2, 3)
    assert ag.rand(5, dtype=np.float32).dtype == np.float32
    assert ag.ones(2, requires_grad=True).requires_grad


def test_help_shows_the_operator_math():
    assert "1 − out²" in Tensor.tanh.__doc__
    assert "softmax" in Tensor.logsumexp.__doc__
