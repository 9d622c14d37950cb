"""Issue 15 items 1 and 2 (surface-math): the elementwise functions, reductions and scans,
each gradchecked and gradgradchecked over hypothesis-drawn shapes (broadcasting, 0-d,
size-1 and size-0 axes, negative axes) and compared with numpy's forward.

SURFACE_MATH_NAMES (every row's name) is imported by test_operator_gradients.py, whose
coverage check then knows these operators are tested here.
"""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd as ag
from autograd import Scalar, Tensor, gradcheck, gradgradcheck
from autograd.ops import elementwise as el
from autograd.ops import reductions as rd
from autograd.ops import scans as sc
from autograd.testing import floats_in, shapes, tensors
from autograd.xp import GraphXP, MathXP, NumpyXP

ANY = floats_in(-3.0, 3.0)
SMALL = floats_in(-0.9, 0.9)  # inside arcsin's, arccos's and arctanh's domain
POSITIVE = floats_in(0.2, 3.0)
ABOVE_ONE = floats_in(1.2, 3.0)
OFF_ZERO = floats_in(-3.0, 3.0, exclude_near=[0.0], margin=0.2)
OFF_INTEGERS = floats_in(-3.0, 3.0, exclude_near=list(range(-3, 4)), margin=0.05)
OFF_HALVES = floats_in(-3.0, 3.0, exclude_near=list(np.arange(-3.5, 4, 1.0)), margin=0.05)
EDGE_SHAPES = shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)

# name, the function, its elements, numpy's forward
UNARY = [
    ("tan", Tensor.tan, floats_in(-1.2, 1.2), np.tan),
    ("arcsin", Tensor.arcsin, SMALL, np.arcsin),
    ("arccos", Tensor.arccos, SMALL, np.arccos),
    ("arctan", Tensor.arctan, ANY, np.arctan),
    ("sinh", Tensor.sinh, ANY, np.sinh),
    ("cosh", Tensor.cosh, ANY, np.cosh),
    ("arcsinh", Tensor.arcsinh, ANY, np.arcsinh),
    ("arccosh", Tensor.arccosh, ABOVE_ONE, np.arccosh),
    ("arctanh", Tensor.arctanh, SMALL, np.arctanh),
    ("log2", Tensor.log2, POSITIVE, np.log2),
    ("log10", Tensor.log10, POSITIVE, np.log10),
    ("log1p", Tensor.log1p, floats_in(-0.8, 3.0), np.log1p),
    ("expm1", Tensor.expm1, ANY, np.expm1),
    ("exp2", Tensor.exp2, ANY, np.exp2),
    ("rsqrt", Tensor.rsqrt, POSITIVE, lambda x: 1 / np.sqrt(x)),
    ("reciprocal", Tensor.reciprocal, OFF_ZERO, np.reciprocal),
    ("square", Tensor.square, ANY, np.square),
    ("cbrt", Tensor.cbrt, OFF_ZERO, np.cbrt),
    ("floor", Tensor.floor, OFF_INTEGERS, np.floor),
    ("ceil", Tensor.ceil, OFF_INTEGERS, np.ceil),
    ("round", Tensor.round, OFF_HALVES, np.round),
    ("trunc", Tensor.trunc, OFF_INTEGERS, np.trunc),
    ("nan_to_num", Tensor.nan_to_num, ANY, np.nan_to_num),
    ("sin", ag.sin, ANY, np.sin),
    ("cos", ag.cos, ANY, np.cos),
]
ZERO_GRADIENT = {"floor", "ceil", "round", "trunc", "floor_divide"}


def _away_from_jumps(x, y):
    """x / y at least 0.05 from an integer: remainder, fmod and // jump there."""
    q = np.asarray(x.data / y.data)
    return bool(np.all(np.abs(q - np.round(q)) > 0.05))


# name, the function, elements of x and y, numpy's forward, a condition on the pair
BINARY = [
    ("arctan2", ag.arctan2, OFF_ZERO, OFF_ZERO, np.arctan2, None),
    ("hypot", ag.hypot, OFF_ZERO, OFF_ZERO, np.hypot, None),
    ("logaddexp", ag.logaddexp, ANY, ANY, np.logaddexp, None),
    ("floor_divide", lambda a, b: a // b, ANY, floats_in(0.5, 2.5), np.floor_divide,
     _away_from_jumps),
    ("remainder", lambda a, b: a % b, ANY, OFF_ZERO, np.remainder, _away_from_jumps),
    ("fmod", ag.fmod, ANY, OFF_ZERO, np.fmod, _away_from_jumps),
]

# name, the function (x, axis, keepdims), numpy's forward (array, axis, keepdims), needs
# distinct values (no ties: max, min, median)
REDUCTIONS = [
    ("prod", lambda x, a, k: x.prod(a, k), lambda x, a, k: np.prod(x, a, keepdims=k), False),
    ("median", lambda x, a, k: x.median(a, k), lambda x, a, k: np.median(x, a, keepdims=k),
     True),
    ("amax", lambda x, a, k: ag.amax(x, a, k), lambda x, a, k: np.amax(x, a, keepdims=k), True),
    ("amin", lambda x, a, k: ag.amin(x, a, k), lambda x, a, k: np.amin(x, a, keepdims=k), True),
    ("var_mean", lambda x, a, k: ag.var_mean(x, a, k)[0] + 2 * ag.var_mean(x, a, k)[1],
     lambda x, a, k: np.var(x, a, keepdims=k) + 2 * np.mean(x, a, keepdims=k), False),
    ("std_mean", lambda x, a, k: ag.std_mean(x, a, k)[0] + 2 * ag.std_mean(x, a, k)[1],
     lambda x, a, k: np.std(x, a, keepdims=k) + 2 * np.mean(x, a, keepdims=k), True),
]

SCANS = [
    ("cumsum", Tensor.cumsum, np.cumsum),
    ("cumprod", Tensor.cumprod, np.cumprod),
    ("logcumsumexp", Tensor.logcumsumexp, lambda x, axis: np.logaddexp.accumulate(
        x.reshape(-1) if axis is None else x, axis=0 if axis is None else axis)),
]

SURFACE_MATH_NAMES = (
    {row[0] for row in UNARY + BINARY + REDUCTIONS + SCANS}
    | {"lerp", "norm_ord", "argmax", "argmin", "any", "all", "isnan", "isinf", "isfinite",
       "isclose"}
)


def _distinct(x):
    """Values spread apart: no ties for max, min and median, and std is never 0."""
    flat = np.argsort(np.argsort(x.data.reshape(-1)))
    return Tensor((flat * 0.37 + x.data.reshape(-1) * 0.01 + 0.1).reshape(x.shape))


def _distinct_sums(x):
    """Values whose sums over any subsets differ too (0.1·2^rank): the matrix norms take
    max or min of row or column sums, and _distinct's values can tie there (a kink)."""
    ranks = np.argsort(np.argsort(x.data.reshape(-1)))
    return Tensor((0.1 * 2.0 ** ranks).reshape(x.shape))


def _draw_axis(data, x, allow_none=True):
    rank = max(x.ndim, 1)
    axis = st.integers(-rank, rank - 1)
    return data.draw(st.one_of(st.none(), axis) if allow_none else axis)


@pytest.mark.parametrize("name, fn, elements, reference", UNARY, ids=[u[0] for u in UNARY])
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_unary_gradients_and_forward_match(name, fn, elements, reference, data):
    x = data.draw(tensors(EDGE_SHAPES, elements=elements))
    out = fn(x)
    assert out.grad_fn is not None and out.grad_fn.op.name == name
    np.testing.assert_allclose(out.data, reference(x.data), rtol=1e-12, atol=1e-12)
    assert out.dtype == x.dtype and out.shape == x.shape
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))
    if name in ZERO_GRADIENT:
        x.grad = None
        fn(x).sum().backward()
        assert not np.any(x.grad.data)


@pytest.mark.parametrize("name, fn, x_elements, y_elements, reference, ok", BINARY,
                         ids=[b[0] for b in BINARY])
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_binary_gradients_and_forward_match_under_broadcasting(
        name, fn, x_elements, y_elements, reference, ok, data):
    shape_x, shape_y = data.draw(hnp.mutually_broadcastable_shapes(
        num_shapes=2, min_dims=0, max_dims=3, min_side=0, max_side=4).map(
            lambda r: r.input_shapes))
    x = data.draw(tensors(shape_x, elements=x_elements))
    y = data.draw(tensors(shape_y, elements=y_elements))
    assume(ok is None or ok(x, y))
    out = fn(x, y)
    assert out.grad_fn.op.name == name
    np.testing.assert_allclose(out.data, reference(x.data, y.data), rtol=1e-12, atol=1e-12)
    assert gradcheck(fn, (x, y))
    assert gradgradcheck(fn, (x, y))


@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_lerp_gradients_in_start_end_and_weight_under_broadcasting(data):
    shapes3 = data.draw(hnp.mutually_broadcastable_shapes(
        num_shapes=3, min_dims=0, max_dims=3, min_side=0, max_side=3).map(
            lambda r: r.input_shapes))
    start, end, weight = (data.draw(tensors(s, elements=ANY)) for s in shapes3)
    out = ag.lerp(start, end, weight)
    assert out.grad_fn.op.name == "lerp"
    np.testing.assert_allclose(out.data, start.data + weight.data * (end.data - start.data))
    assert gradcheck(ag.lerp, (start, end, weight))
    assert gradgradcheck(ag.lerp, (start, end, weight))


@pytest.mark.parametrize("name, fn, reference, distinct", REDUCTIONS,
                         ids=[r[0] for r in REDUCTIONS])
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_reduction_gradients_and_forward_match(name, fn, reference, distinct, data):
    # away from 0: out/xᵢ's second derivative cancels (out/xᵢ)/xᵢ − out/xᵢ² for tiny xᵢ (as
    # PyTorch's does); zeros themselves have their own tests below
    x = data.draw(tensors(shapes(min_dims=0, max_dims=3, max_side=4), elements=OFF_ZERO))
    if distinct:
        x = _distinct(x)
    axis = _draw_axis(data, x)
    keepdims = data.draw(st.booleans())
    numpy_axis = None if x.ndim == 0 else axis  # numpy refuses axis 0 of a 0-d array
    np.testing.assert_allclose(fn(x, axis, keepdims).data,
                               reference(x.data, numpy_axis, keepdims), rtol=1e-12, atol=1e-12)
    assert gradcheck(lambda t: fn(t, axis, keepdims), (x,))
    assert gradgradcheck(lambda t: fn(t, axis, keepdims), (x,))


@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_prod_over_size_zero_axes_is_one_with_an_empty_gradient(data):
    shape = data.draw(shapes(min_dims=1, max_dims=3, min_side=0, max_side=3))
    x = data.draw(tensors(shape, requires_grad=True))
    out = x.prod()
    np.testing.assert_allclose(out.data, np.prod(x.data))
    out.backward()
    assert x.grad.shape == x.shape


@pytest.mark.parametrize("name, fn, reference", SCANS, ids=[s[0] for s in SCANS])
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_scan_gradients_and_forward_match(name, fn, reference, data):
    elements = floats_in(-2.0, 2.0, exclude_near=[0.0], margin=0.1)  # as for prod
    x = data.draw(tensors(EDGE_SHAPES, elements=elements))
    axis = _draw_axis(data, x)
    out = fn(x, axis)
    expected = np.asarray(reference(x.data, axis)) if x.ndim or axis is None else x.data
    if x.ndim == 0 and axis is None:
        expected = x.data.reshape(1)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)
    assert gradcheck(lambda t: fn(t, axis), (x,))
    assert gradgradcheck(lambda t: fn(t, axis), (x,))


@pytest.mark.parametrize("ord_, axis", [
    (1, -1), (np.inf, 0), (-np.inf, -1), (3, 1), (0.5, -1), (2, 1), (None, (0, 1)),
    ("fro", (0, 1)), (1, (0, 1)), (-1, (1, 0)), (np.inf, (0, 1)), (-np.inf, (-1, -2)),
])
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_norm_with_ord_matches_numpy_and_finite_differences(ord_, axis, data):
    x = _distinct_sums(data.draw(tensors(shapes(min_dims=2, max_dims=2, max_side=4))))
    keepdims = data.draw(st.booleans())
    got = x.norm(axis, keepdims, ord=ord_)
    np.testing.assert_allclose(got.data, np.linalg.norm(x.data, ord_, axis, keepdims),
                               rtol=1e-12)
    assert gradcheck(lambda t: t.norm(axis, keepdims, ord=ord_), (x,))
    assert gradgradcheck(lambda t: t.norm(axis, keepdims, ord=ord_), (x,))


def test_norm_with_ord_zero_counts_non_zeros_without_gradient():
    x = Tensor([[0.0, 2.0, -1.0], [0.0, 0.0, 3.0]], requires_grad=True)
    got = x.norm(1, ord=0)
    np.testing.assert_array_equal(got.data, np.linalg.norm(x.data, 0, axis=1))
    assert not got.requires_grad


@pytest.mark.parametrize("ord_, axis, message", [
    ("nuc", (0, 1), "singular values"), (2, (0, 1), "singular values"),
    ("fro", 0, "needs one axis"), (1, None, "1-d or 2-d"),
])
def test_norm_refuses_orders_it_cannot_compute_by_name(ord_, axis, message):
    x = Tensor(np.ones((2, 2, 2)[:2 if axis is None else 2] if axis is not None else (2, 2, 2)))
    with pytest.raises(ValueError, match=f"norm: .*{message}"):
        x.norm(axis, ord=ord_)


# -- regression tests named after the issue items ----------------------------------------


def test_prod_with_zeros_handled_one_zero_gets_the_product_of_the_rest():
    x = Tensor([2.0, 0.0, 3.0, 4.0], requires_grad=True)
    x.prod().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 24.0, 0.0, 0.0])
    assert gradgradcheck(lambda t: t.prod(), (Tensor([2.0, 0.0, 3.0, 4.0]),))


def test_prod_with_zeros_handled_two_zeros_give_zero_gradient_and_right_hessian():
    x = Tensor([[2.0, 0.0, 3.0, 0.0], [1.0, 2.0, 3.0, 4.0]], requires_grad=True)
    (g,) = ag.grad(x.prod(axis=1).sum(), [x], create_graph=True)
    np.testing.assert_array_equal(g.data, [[0, 0, 0, 0], [24, 12, 8, 6]])
    # ∂²/∂x₁∂x₃ of 2·x₁·3·x₃ is 6, though every first derivative is 0 at x₁ = x₃ = 0
    (h,) = ag.grad(g[0, 1], [x])
    np.testing.assert_array_equal(h.data[0], [0, 0, 0, 6])
    assert gradcheck(lambda t: t.prod(axis=-1), (Tensor(x.data),))
    assert gradgradcheck(lambda t: t.prod(axis=-1), (Tensor(x.data),))


def test_cumprod_with_zeros_has_the_right_gradient():
    data = np.array([[2.0, 0.0, 3.0, 4.0], [0.0, 5.0, 0.0, 1.0], [1.0, 2.0, 3.0, 0.0]])
    for axis in (-1, 0):
        assert gradcheck(lambda t, axis=axis: t.cumprod(axis), (Tensor(data),))
        assert gradgradcheck(lambda t, axis=axis: t.cumprod(axis), (Tensor(data),))
    x = Tensor([2.0, 0.0, 3.0], requires_grad=True)
    x.cumprod().sum().backward()  # out = [x0, x0x1, x0x1x2]
    np.testing.assert_array_equal(x.grad.data, [1.0, 2.0 + 6.0, 0.0])


def test_log1p_and_expm1_are_exact_for_tiny_x():
    x = Tensor([1e-20, -1e-18], requires_grad=True)
    np.testing.assert_array_equal(x.log1p().data, x.data)  # log(1 + x) would give 0
    np.testing.assert_array_equal(x.expm1().data, x.data)
    x.expm1().sum().backward()
    np.testing.assert_allclose(x.grad.data, [1.0, 1.0])
    y = Tensor([-800.0], requires_grad=True)
    y.expm1().sum().backward()
    assert y.grad.data[0] == np.exp(-800.0)  # eˣ itself, not (eˣ − 1) + 1 = 0


def test_logaddexp_is_stable_at_large_values():
    x = Tensor([1000.0, -1000.0, 0.0], requires_grad=True)
    y = Tensor([1000.0, -1000.0, -1000.0], requires_grad=True)
    out = ag.logaddexp(x, y)
    np.testing.assert_allclose(out.data, [1000 + np.log(2), -1000 + np.log(2), 0.0])
    out.sum().backward()
    np.testing.assert_allclose(x.grad.data, [0.5, 0.5, 1.0])
    np.testing.assert_allclose(y.grad.data, [0.5, 0.5, 0.0])


def test_logcumsumexp_is_stable_where_a_max_shift_underflows():
    x = Tensor([-1000.0, 1000.0, -1000.0, 999.0], requires_grad=True)
    out = x.logcumsumexp()
    np.testing.assert_allclose(out.data, [-1000.0, 1000.0, 1000.0, np.logaddexp(1000, 999)])
    out.sum().backward()
    assert np.all(np.isfinite(x.grad.data))
    expected = [1.0, 1 + 1 + 1 / (1 + np.exp(-1.0)), 0.0, 1 / (1 + np.exp(1.0))]
    np.testing.assert_allclose(x.grad.data, expected, atol=1e-300)


def test_amax_amin_split_the_gradient_evenly_on_ties():
    x = Tensor([[3.0, 1.0, 3.0], [0.0, 0.0, 0.0]], requires_grad=True)
    (ag.amax(x, axis=1).sum() + ag.amin(x, axis=1).sum()).backward()
    np.testing.assert_allclose(x.grad.data, [[0.5, 1.0, 0.5], [2 / 3, 2 / 3, 2 / 3]])


def test_median_of_an_even_count_splits_the_gradient_between_the_two_middle_values():
    x = Tensor([4.0, 1.0, 3.0, 2.0], requires_grad=True)
    out = x.median()
    assert out.item() == 2.5
    out.backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0, 0.5, 0.5])


def test_median_is_nan_where_a_group_holds_a_nan_as_numpy_says():
    data = np.array([[1.0, np.nan, 3.0], [3.0, 1.0, 2.0]])
    np.testing.assert_array_equal(Tensor(data).median(axis=1, keepdims=True).data,
                                  np.median(data, axis=1, keepdims=True))


def test_nan_to_num_runs_on_scalars():
    assert el.NanToNum.apply(Scalar(float("nan")), nan=2.0).data == 2.0
    assert el.NanToNum.apply(Scalar(1.5)).data == 1.5


def test_median_refuses_an_empty_axis_by_name():
    with pytest.raises(ValueError, match="median: cannot reduce an empty tensor"):
        Tensor(np.ones((2, 0))).median(axis=1)


@settings(max_examples=20, deadline=None)
@given(x=tensors(shapes(min_dims=0, max_dims=3)), data=st.data())
def test_argmax_argmin_any_all_follow_numpy_and_need_no_gradient(x, data):
    x.requires_grad_()
    axis = data.draw(st.one_of(st.none(), st.integers(-max(x.ndim, 1), max(x.ndim, 1) - 1)))
    keepdims = data.draw(st.booleans())
    for name in ("argmax", "argmin", "any", "all"):
        got = getattr(ag, name)(x > 0 if name in ("any", "all") else x, axis, keepdims)
        source = x.data > 0 if name in ("any", "all") else x.data
        if x.ndim == 0 and axis is not None and name.startswith("arg"):
            expected = getattr(np, name)(source.reshape(1), 0, keepdims=keepdims)
            expected = expected.reshape(()) if keepdims else expected
        else:
            expected = getattr(np, name)(source, axis, keepdims=keepdims)
        np.testing.assert_array_equal(got.data, expected)
        assert not got.requires_grad and got.grad_fn is None


def test_argmax_refuses_an_empty_tensor_by_name():
    with pytest.raises(ValueError, match="argmax: a tensor of shape \\(0,\\) is empty"):
        ag.argmax(Tensor(np.zeros(0)))


def test_isnan_isinf_isfinite_isclose_return_bool_tensors_without_gradient():
    x = Tensor([1.0, np.nan, np.inf, -np.inf], requires_grad=True)
    for name in ("isnan", "isinf", "isfinite"):
        got = getattr(ag, name)(x)
        np.testing.assert_array_equal(got.data, getattr(np, name)(x.data))
        assert got.dtype == bool and not got.requires_grad
        np.testing.assert_array_equal(getattr(np, name)(x).data, got.data)
    close = ag.isclose(x, Tensor([1.0 + 1e-9, np.nan, np.inf, 0.0]), equal_nan=True)
    np.testing.assert_array_equal(close.data, [True, True, True, False])
    assert not close.requires_grad


def test_nan_to_num_passes_the_gradient_only_where_x_was_finite():
    x = Tensor([1.0, np.nan, np.inf, -np.inf], requires_grad=True)
    out = x.nan_to_num(nan=0.5, posinf=9.0)
    np.testing.assert_array_equal(out.data, np.nan_to_num(x.data, nan=0.5, posinf=9.0))
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 0.0, 0.0, 0.0])


def test_floor_divide_and_remainder_are_python_operators_with_numpy_signs():
    x = Tensor([7.0, -7.0, 7.0, -7.0], requires_grad=True)
    y = Tensor([2.0, 2.0, -2.0, -2.0], requires_grad=True)
    np.testing.assert_array_equal((x // y).data, x.data // y.data)
    np.testing.assert_array_equal((x % y).data, x.data % y.data)
    np.testing.assert_array_equal((7.0 % y).data, 7.0 % y.data)
    np.testing.assert_array_equal((7.0 // y).data, 7.0 // y.data)
    np.testing.assert_array_equal(ag.fmod(x, y).data, np.fmod(x.data, y.data))
    (x % y).sum().backward()
    np.testing.assert_array_equal(y.grad.data, -np.floor(x.data / y.data))
    assert (x // 2).grad_fn.op.symbol == "//" and (x % 2).grad_fn.op.symbol == "%"


def test_round_rounds_halves_to_even_with_decimals():
    x = Tensor([0.5, 1.5, 2.5, -0.5, 1.25])
    np.testing.assert_array_equal(x.round().data, [0.0, 2.0, 2.0, -0.0, 1.0])
    np.testing.assert_array_equal(x.round(1).data, np.round(x.data, 1))
    np.testing.assert_array_equal(round(x).data, x.round().data)


NUMPY_UFUNCS = ["tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "arcsinh", "arctanh",
                "log2", "log10", "log1p", "expm1", "exp2", "square", "cbrt", "floor", "ceil",
                "trunc", "reciprocal"]


@pytest.mark.parametrize("name", NUMPY_UFUNCS)
def test_numpy_ufuncs_on_tensors_run_the_operators(name):
    x = Tensor([0.3, 0.6], requires_grad=True)
    out = getattr(np, name)(x)
    assert isinstance(out, Tensor) and out.grad_fn.op.name == name
    np.testing.assert_allclose(out.data, getattr(np, name)(x.data))


def test_numpy_reductions_and_scans_on_tensors_run_the_operators():
    x = Tensor([[0.3, 0.6], [0.2, 0.5]], requires_grad=True)
    for function, name in [(np.prod, "prod"), (np.cumsum, "cumsum"), (np.cumprod, "cumprod"),
                           (np.median, "median")]:
        out = function(x, axis=0)
        assert out.grad_fn.op.name == name
        np.testing.assert_allclose(out.data, function(x.data, axis=0))


# -- ctx.xp: every new function for operator authors --------------------------------------

XP_UNARY = ["tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "arcsinh", "arctanh",
            "log2", "log10", "log1p", "expm1", "exp2", "rsqrt", "reciprocal", "square", "cbrt",
            "floor", "ceil", "round", "trunc", "nan_to_num"]
XP_BINARY = ["arctan2", "floor_divide", "remainder", "fmod", "hypot", "logaddexp"]
XP_TESTS = ["isnan", "isinf", "isfinite"]


@pytest.mark.parametrize("name", XP_UNARY + XP_BINARY + XP_TESTS + ["lerp", "isclose"])
def test_every_new_function_is_in_ctx_xp_for_floats_arrays_and_graphs(name):
    args = {"lerp": (0.25, 0.5, 0.3), "isclose": (0.5, 0.5)}.get(
        name, (0.5, 0.25) if name in XP_BINARY else (0.5,))
    on_array = getattr(NumpyXP, name)(*(np.array([a]) for a in args))
    on_float = getattr(MathXP, name)(*args)
    np.testing.assert_allclose(float(on_float), float(np.asarray(on_array)[0]))
    graph = GraphXP(NumpyXP)
    leaf = Tensor([args[0]], requires_grad=True)
    recorded = getattr(graph, name)(leaf, *(np.array([a]) for a in args[1:]))
    if name in XP_TESTS or name == "isclose":  # no gradient: data, not a node
        assert not isinstance(recorded, Tensor)
    else:
        assert recorded.grad_fn is not None
        np.testing.assert_allclose(recorded.data, on_array)


def test_math_xp_gives_inf_and_nan_at_domain_edges_without_warnings():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(MathXP.arcsin(2.0)) and MathXP.arctanh(1.0) == np.inf
        assert MathXP.log2(0.0) == -np.inf and MathXP.reciprocal(0.0) == np.inf


@pytest.mark.parametrize("name", ["cumsum", "cumprod", "logcumsumexp", "prod"])
def test_scans_and_prod_are_in_ctx_xp_and_record_under_create_graph(name):
    leaf = Tensor([[0.3, 0.6], [0.2, 0.5]], requires_grad=True)
    graph = GraphXP(NumpyXP)
    recorded = getattr(graph, name)(leaf, -1) if name != "prod" else graph.prod(leaf, -1)
    raw = getattr(NumpyXP, name)(leaf.data, -1)
    assert recorded.grad_fn.op.name == name
    np.testing.assert_allclose(recorded.data, raw)


@pytest.mark.parametrize("op", [el.Tan, el.Arcsinh, el.Log1p, el.Expm1, el.Cbrt, el.Square,
                                el.Reciprocal, el.Rsqrt, el.Exp2, el.Floor])
def test_elementwise_operators_run_on_scalars_too(op):
    s = Scalar(0.7)
    out = op.apply(s)
    out.backward()
    t = Tensor(0.7, requires_grad=True)
    op.apply(t).backward()
    assert out.data == pytest.approx(float(op.apply(Tensor(0.7)).data))
    assert s.grad == pytest.approx(float(t.grad.data))


def test_operators_are_registered_with_their_numpy_names():
    from autograd.ops import ALL_OPERATORS
    names = {op.name for op in ALL_OPERATORS}
    assert {"tan", "log1p", "floor_divide", "remainder", "prod", "median", "cumsum",
            "cumprod", "logcumsumexp", "logaddexp", "lerp", "nan_to_num"} <= names
    assert rd.Prod.__doc__ and sc.Cumprod.__doc__
