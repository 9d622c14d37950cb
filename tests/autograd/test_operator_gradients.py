"""Every Tensor operator, checked against central finite differences (first and second
order) over hypothesis-drawn shapes: broadcasting pairs, size-1 axes and 0-d tensors."""

import pathlib
import sys

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from test_surface_shape import SHAPE_FUNCTIONS  # surface-shape's rows (issue 15)

import autograd as ag
from autograd import Tensor, gradcheck, gradgradcheck
from autograd.ops import ALL_OPERATORS
from autograd.ops.linalg import Linear
from autograd.testing import broadcastable_tensors, floats_in, shapes, tensors

ANY = floats_in(-3.0, 3.0)
POSITIVE = floats_in(0.2, 3.0)
OFF_ZERO = floats_in(-3.0, 3.0, exclude_near=[0.0], margin=0.1)
OFF_ZERO_SMALL = floats_in(-2.0, 2.0, exclude_near=[0.0], margin=0.2)

# name, function, elements of the inputs (away from kinks and outside the domain edges)
UNARY = [
    ("neg", lambda x: -x, ANY),
    ("exp", Tensor.exp, ANY),
    ("log", Tensor.log, POSITIVE),
    ("sqrt", Tensor.sqrt, POSITIVE),
    ("abs", Tensor.abs, OFF_ZERO),
    ("tanh", Tensor.tanh, ANY),
    ("sin", np.sin, ANY),  # through Tensor.__array_ufunc__: np.sin(t) is differentiable
    ("cos", np.cos, ANY),
    ("sigmoid", Tensor.sigmoid, ANY),
    ("relu", Tensor.relu, OFF_ZERO),
    ("softplus", Tensor.softplus, ANY),
    ("sign", Tensor.sign, OFF_ZERO),
    ("pow_2", lambda x: x**2, ANY),
    ("pow_3", lambda x: x**3, ANY),
    ("pow_half", lambda x: x**0.5, POSITIVE),
    ("pow_neg", lambda x: x**-1.5, POSITIVE),
    ("rpow", lambda x: 2.0**x, ANY),
    ("clip", lambda x: x.clip(-1.0, 1.0), floats_in(-3, 3, exclude_near=[-1.0, 1.0], margin=0.1)),
    ("add_const", lambda x: x + 1.5, ANY),
    ("rsub_const", lambda x: 1.5 - x, ANY),
    ("rdiv_const", lambda x: 1.5 / x, OFF_ZERO),
    ("transpose", lambda x: x.T, ANY),
    ("flatten", lambda x: x.flatten(), ANY),
    ("unsqueeze", lambda x: x.unsqueeze(0), ANY),
    ("broadcast_to", lambda x: x.broadcast_to((2,) + x.shape), ANY),
]

BINARY = [
    ("add", lambda x, y: x + y, ANY, ANY),
    ("sub", lambda x, y: x - y, ANY, ANY),
    ("mul", lambda x, y: x * y, ANY, ANY),
    ("div", lambda x, y: x / y, ANY, OFF_ZERO),
    ("pow_tensor", lambda x, y: x**y, POSITIVE, OFF_ZERO_SMALL),
    ("maximum", ag.maximum, ANY, ANY),
    ("minimum", ag.minimum, ANY, ANY),
    ("where", lambda x, y: ag.where(x > 0, x, y), OFF_ZERO, ANY),
]

REDUCTIONS = [
    ("sum", lambda x, axis, keep: x.sum(axis, keep)),
    ("mean", lambda x, axis, keep: x.mean(axis, keep)),
    ("max", lambda x, axis, keep: x.max(axis, keep)),
    ("min", lambda x, axis, keep: x.min(axis, keep)),
    ("var", lambda x, axis, keep: x.var(axis, keep)),
    ("var_ddof1", lambda x, axis, keep: x.var(axis, keep, ddof=1)),
    ("std", lambda x, axis, keep: x.std(axis, keep)),
    ("logsumexp", lambda x, axis, keep: x.logsumexp(axis, keep)),
]


def _distinct(x):
    """Values spread apart so max/min have no ties and var is not 0."""
    flat = np.argsort(np.argsort(x.data.reshape(-1)))
    return Tensor((flat * 0.37 + x.data.reshape(-1) * 0.01).reshape(x.shape))


@pytest.mark.parametrize("name, fn, elements", UNARY, ids=[u[0] for u in UNARY])
@settings(max_examples=15)
@given(data=st.data())
def test_unary_gradients_match_finite_differences(name, fn, elements, data):
    x = data.draw(tensors(elements=elements))
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


@pytest.mark.parametrize("name, fn, x_elements, y_elements", BINARY, ids=[b[0] for b in BINARY])
@settings(max_examples=15)
@given(data=st.data())
def test_binary_gradients_match_finite_differences_under_broadcasting(
    name, fn, x_elements, y_elements, data
):
    shape_x, shape_y = data.draw(
        hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=4).map(
            lambda r: r.input_shapes
        )
    )
    x = data.draw(tensors(shape_x, elements=x_elements))
    y = data.draw(tensors(shape_y, elements=y_elements))
    if name in ("maximum", "minimum"):  # ties follow a convention, tested on its own
        assume(np.all(np.abs(np.subtract(x.data, y.data)) > 0.05))
    assert gradcheck(fn, (x, y))
    assert gradgradcheck(fn, (x, y))


@pytest.mark.parametrize("name, fn", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
@settings(max_examples=15)
@given(data=st.data())
def test_reduction_gradients_match_finite_differences(name, fn, data):
    x = _distinct(data.draw(tensors(shapes(min_dims=0))))
    rank = max(x.ndim, 1)  # a 0-d tensor takes axis 0 and -1 (issue 12.9)
    axis = data.draw(st.one_of(st.none(), st.integers(-rank, rank - 1)))
    keepdims = data.draw(st.booleans())
    reduced = x.size if axis is None or not x.ndim else x.shape[axis]
    if name == "var_ddof1" and reduced < 2:
        return  # ddof=1 needs two elements (std of one element has gradient 0: checked here)
    assert gradcheck(lambda t: fn(t, axis, keepdims), (x,))
    assert gradgradcheck(lambda t: fn(t, axis, keepdims), (x,))


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@settings(max_examples=15)
@given(x=tensors(shapes(min_dims=0)), data=st.data())
def test_softmax_family_gradients_match_finite_differences(name, x, data):
    rank = max(x.ndim, 1)  # a 0-d tensor takes axis 0 and -1 (issue 12.9)
    axis = data.draw(st.integers(-rank, rank - 1))
    fn = lambda t: getattr(t, name)(axis)  # noqa: E731
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


@settings(max_examples=20)
@given(data=st.data())
def test_matmul_gradients_for_every_rank_combination(data):
    n, k, m = (data.draw(st.integers(1, 4)) for _ in range(3))
    batch = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3))
    x_shape = data.draw(st.sampled_from([(k,), batch.input_shapes[0] + (n, k)]))
    y_shape = data.draw(st.sampled_from([(k,), batch.input_shapes[1] + (k, m)]))
    x = data.draw(tensors(x_shape))
    y = data.draw(tensors(y_shape))
    np.testing.assert_allclose((x @ y).data, x.data @ y.data)
    assert gradcheck(lambda a, b: a @ b, (x, y))
    assert gradgradcheck(lambda a, b: a @ b, (x, y))


@settings(max_examples=20)
@given(data=st.data())
def test_fused_linear_gradients_for_every_batch_rank_with_and_without_bias(data):
    n_in, n_out = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    batch = data.draw(st.sampled_from([(), (3,), (2, 3)]))
    x = data.draw(tensors(batch + (n_in,)))
    weight = data.draw(tensors((n_out, n_in)))
    bias = data.draw(st.one_of(st.none(), tensors((n_out,))))
    inputs = (x, weight) if bias is None else (x, weight, bias)
    fn = lambda *args: Linear.apply(*args)  # noqa: E731
    expected = x.data @ weight.data.T + (0 if bias is None else bias.data)
    np.testing.assert_allclose(fn(*inputs).data, expected, rtol=1e-12, atol=1e-12)
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


def test_fused_linear_weight_gradient_is_c_ordered_and_float32_stays_float32():
    x = Tensor(np.ones((5, 3), dtype=np.float32))
    weight = Tensor(np.ones((4, 3), dtype=np.float32), requires_grad=True)
    bias = Tensor(np.zeros(4, dtype=np.float32), requires_grad=True)
    out = Linear.apply(x, weight, bias)
    out.sum().backward()
    assert out.dtype == np.float32 and weight.grad.dtype == np.float32
    assert weight.grad.data.flags.c_contiguous
    np.testing.assert_array_equal(bias.grad.data, np.full(4, 5.0, dtype=np.float32))


@pytest.mark.parametrize("x_shape, w_shape, b_shape, message", [
    ((2, 3), (4, 2), None, r"input of shape \(2, 3\) and weight of shape \(4, 2\)"),
    ((2, 3), (3,), None, r"expected \(\.\.\., in\) and \(out, in\)"),
    ((2, 3), (4, 3), (3,), r"bias has shape \(3,\), expected \(4,\)"),
])
def test_fused_linear_refuses_shapes_that_do_not_fit(x_shape, w_shape, b_shape, message):
    inputs = [Tensor(np.ones(x_shape)), Tensor(np.ones(w_shape), requires_grad=True)]
    if b_shape is not None:
        inputs.append(Tensor(np.ones(b_shape)))
    with pytest.raises(ValueError, match=message):
        Linear.apply(*inputs)


@settings(max_examples=20)
@given(x=tensors(shapes(min_dims=1, max_dims=3, max_side=5)), data=st.data())
def test_integer_array_indexing_with_repeats(x, data):
    index = data.draw(st.lists(st.integers(-x.shape[0], x.shape[0] - 1), min_size=1, max_size=6))
    assert gradcheck(lambda t: t[np.array(index)], (x,))
    assert gradgradcheck(lambda t: t[np.array(index)], (x,))


@settings(max_examples=20)
@given(x=tensors(shapes(min_dims=2, max_dims=3, max_side=5)), data=st.data())
def test_basic_slicing_and_boolean_masks(x, data):
    start = data.draw(st.integers(0, x.shape[0] - 1))
    step = data.draw(st.integers(1, 2))
    assert gradcheck(lambda t: t[start::step, ..., :1], (x,))
    mask = x.data > 0
    assert gradcheck(lambda t: t[mask], (x,))


@settings(max_examples=15)
@given(data=st.data())
def test_scatter_add_the_backward_of_indexing(data):
    values = data.draw(tensors((4, 2)))
    index = np.array(data.draw(st.lists(st.integers(0, 2), min_size=4, max_size=4)))
    fn = lambda v: ag.functional.scatter_add(v, index, (3, 2))  # noqa: E731
    assert gradcheck(fn, (values,))
    assert gradgradcheck(fn, (values,))


@settings(max_examples=15)
@given(data=st.data())
def test_concatenate_and_stack(data):
    shape = data.draw(shapes(min_dims=1, max_dims=3))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    other = list(shape)
    other[axis] = data.draw(st.integers(1, 3))
    a, b = data.draw(tensors(shape)), data.draw(tensors(tuple(other)))
    assert gradcheck(lambda p, q: ag.concatenate([p, q], axis=axis), (a, b))
    assert gradgradcheck(lambda p, q: ag.concatenate([p, q], axis=axis), (a, b))
    c = data.draw(tensors(shape))
    new_axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    assert gradcheck(lambda p, q: ag.stack([p, q], axis=new_axis), (a, c))


@settings(max_examples=15)
@given(x=tensors(shapes(min_dims=2, max_dims=4)), data=st.data())
def test_reshape_transpose_swapaxes_squeeze(x, data):
    perm = tuple(data.draw(st.permutations(range(x.ndim))))
    assert gradcheck(lambda t: t.transpose(*perm), (x,))
    assert gradcheck(lambda t: t.swapaxes(0, -1), (x,))
    assert gradcheck(lambda t: t.reshape(-1, 1), (x,))
    assert gradcheck(lambda t: t.unsqueeze(1).squeeze(1), (x,))


def test_astype_converts_the_gradient_back_to_the_input_dtype():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x.astype(np.float32)
    assert y.dtype == np.float32 and y.grad_fn.op.name == "astype"
    (y * y).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_allclose(x.grad.data, [2.0, 4.0])


def test_non_contiguous_inputs_give_the_same_results():
    base = np.random.default_rng(0).standard_normal((4, 6))
    for view in (base.T, base[::2], np.asfortranarray(base)):
        t = Tensor(view, requires_grad=True)
        (t.tanh() * t).sum().backward()
        expected = np.tanh(view) + view * (1 - np.tanh(view) ** 2)
        np.testing.assert_allclose(t.grad.data, expected)


def test_the_operator_table_covers_every_built_in_operator():
    tested = {name for name, *_ in UNARY + BINARY + REDUCTIONS}
    tested |= {"softmax", "log_softmax", "matmul", "getitem", "concatenate", "stack",
               "reshape", "transpose", "broadcast_to", "astype", "pow", "scatter_add",
               "linear"}
    tested |= SURFACE_MATH_NAMES  # surface-math (issue 15)
    tested |= {name for name, *_ in SHAPE_FUNCTIONS}  # surface-shape (issue 15)
    tested |= CONV_NAMES  # conv (issue 16): tests/nn/test_conv.py
    tested |= NORM_NAMES  # norm (issue 16): rows in tests/nn/test_norm.py
    tested |= ATTENTION_NAMES  # attn (issue 16): rows in tests/nn/test_attention.py
    names = {op.name for op in ALL_OPERATORS}
    missing = {n for n in names if not any(n == t or t.startswith(n) for t in tested)}
    assert not missing, f"operators without a gradient test: {sorted(missing)}"


@settings(max_examples=20)
@given(xy=broadcastable_tensors(n=2, elements=floats_in(-3.0, 3.0)))
def test_mul_and_add_forward_match_numpy(xy):
    x, y = xy
    np.testing.assert_array_equal((x * y).data, x.data * y.data)
    np.testing.assert_array_equal((x + y).data, x.data + y.data)


# surface-math (issue 15): the rows of its operators live in test_surface_math.py (the
# suite's importlib mode does not put this directory on sys.path by itself)
_HERE = str(pathlib.Path(__file__).parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
from test_surface_math import SURFACE_MATH_NAMES  # noqa: E402

# conv (issue 16): its operators' gradient tests live in tests/nn/test_conv.py
_NN_TESTS = str(pathlib.Path(__file__).parent.parent / "nn")
if _NN_TESTS not in sys.path:
    sys.path.insert(0, _NN_TESTS)
from test_conv import CONV_NAMES  # noqa: E402

# norm (issue 16): the normalisation and embedding gradient tests live in tests/nn
sys.path.insert(0, str(pathlib.Path(__file__).parents[1] / "nn"))
from test_norm import NORM_NAMES  # noqa: E402

# attn (issue 16): scaled_dot_product_attention's gradient tests live in tests/nn
sys.path.insert(0, str(pathlib.Path(__file__).parents[1] / "nn"))
from test_attention import ATTENTION_NAMES  # noqa: E402
