"""Convolution, pooling and resampling (issue 16, items 1-2): gradients against central
differences to second order over drawn geometries, forwards against loop-by-loop numpy
references, PyTorch's conventions (ties, divisors, sizes), bad input, and the modules'
parameters, state-dict keys, initialisation and reprs.

CONV_NAMES (the operators these tests cover) is imported by
tests/autograd/test_operator_gradients.py's coverage check.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
import nn.functional as F
import optim
from autograd import Tensor, grad, gradcheck, gradgradcheck
from autograd.ops import conv as conv_ops

CONV_NAMES = {"conv", "conv_transpose", "conv_weight", "max_pool", "avg_pool",
              "adaptive_avg_pool", "interpolate"}

RNG = np.random.default_rng(16)


def leaf(*shape, low=-2.0, high=2.0, seed=None):
    rng = RNG if seed is None else np.random.default_rng(seed)
    return Tensor(rng.uniform(low, high, shape), requires_grad=True)


# -- loop-by-loop references -------------------------------------------------------------


def reference_conv2d(x, w, b, stride, padding, dilation, groups):
    """out[n, o, i, j] = b[o] + Σ x_pad[n, c, i·s + p·d, j·s + q·d] w[o, c, p, q], looped."""
    x = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    oh = (h - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, o, oh, ow))
    og = o // groups
    for b_, oc, i, j in itertools.product(range(n), range(o), range(oh), range(ow)):
        g = oc // og
        total = 0.0 if b is None else b[oc]
        for ci, p, q in itertools.product(range(cg), range(kh), range(kw)):
            total += (x[b_, g * cg + ci, i * stride[0] + p * dilation[0],
                        j * stride[1] + q * dilation[1]] * w[oc, ci, p, q])
        out[b_, oc, i, j] = total
    return out


def reference_conv_transpose2d(x, w, stride, padding, output_padding, dilation, groups):
    """Each input pixel adds its value times the kernel onto the output, looped."""
    n, c, h, wd = x.shape
    _, og, kh, kw = w.shape
    cg = c // groups
    full = ((h - 1) * stride[0] + dilation[0] * (kh - 1) + 1 + output_padding[0],
            (wd - 1) * stride[1] + dilation[1] * (kw - 1) + 1 + output_padding[1])
    out = np.zeros((n, og * groups) + full)
    for b_, ci, i, j, oc, p, q in itertools.product(range(n), range(c), range(h), range(wd),
                                                   range(og), range(kh), range(kw)):
        g = ci // cg
        out[b_, g * og + oc, i * stride[0] + p * dilation[0],
            j * stride[1] + q * dilation[1]] += x[b_, ci, i, j] * w[ci, oc, p, q]
    return out[:, :, padding[0]:full[0] - padding[0], padding[1]:full[1] - padding[1]]


def reference_max_pool2d(x, k, s, p):
    x = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=-np.inf)
    oh, ow = (x.shape[2] - k) // s + 1, (x.shape[3] - k) // s + 1
    out = np.empty(x.shape[:2] + (oh, ow))
    for i, j in itertools.product(range(oh), range(ow)):
        out[:, :, i, j] = x[:, :, i * s:i * s + k, j * s:j * s + k].max(axis=(2, 3))
    return out


# -- geometries drawn by hypothesis ------------------------------------------------------


@st.composite
def conv2d_cases(draw):
    groups = draw(st.sampled_from([1, 1, 2]))
    cin, cout = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    extent = [d * (kk - 1) + 1 for d, kk in zip(dilation, k)]
    h = draw(st.integers(max(1, extent[0] - 2 * padding[0]), 6))
    w = draw(st.integers(max(1, extent[1] - 2 * padding[1]), 6))
    n = draw(st.integers(1, 2))
    bias = draw(st.booleans())
    return dict(x=(n, cin, h, w), w=(cout, cin // groups) + k, bias=bias, stride=stride,
                padding=padding, dilation=dilation, groups=groups)


def _conv_inputs(case, seed):
    x = leaf(*case["x"], seed=seed)
    w = leaf(*case["w"], seed=seed + 1)
    b = leaf(case["w"][0], seed=seed + 2) if case["bias"] else None
    return x, w, b


@settings(max_examples=25)
@given(case=conv2d_cases(), seed=st.integers(0, 1000))
def test_conv2d_forward_matches_the_loop_reference(case, seed):
    x, w, b = _conv_inputs(case, seed)
    geometry = {k: case[k] for k in ("stride", "padding", "dilation", "groups")}
    out = F.conv2d(x, w, b, **geometry)
    expected = reference_conv2d(x.data, w.data, None if b is None else b.data, **geometry)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)


@settings(max_examples=15)
@given(case=conv2d_cases(), seed=st.integers(0, 1000))
def test_conv2d_gradients_first_and_second_order(case, seed):
    x, w, b = _conv_inputs(case, seed)
    geometry = {k: case[k] for k in ("stride", "padding", "dilation", "groups")}
    inputs = (x, w) if b is None else (x, w, b)

    def fn(*args):
        return F.conv2d(*args, **geometry)

    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


@settings(max_examples=15)
@given(case=conv2d_cases(), seed=st.integers(0, 1000), extra=st.integers(0, 1))
def test_conv_transpose2d_forward_and_gradients(case, seed, extra):
    stride, dilation = case["stride"], case["dilation"]
    output_padding = tuple(min(extra, max(s, d) - 1) for s, d in zip(stride, dilation))
    groups = case["groups"]
    cin, cout = case["x"][1], case["w"][0]
    x = leaf(case["x"][0], cin, 3, 2, seed=seed)
    w = leaf(cin, cout // groups, *case["w"][2:], seed=seed + 1)
    padding = tuple(min(p, d * (k - 1) // 2) for p, d, k in zip(case["padding"], dilation,
                                                                case["w"][2:]))
    geometry = dict(stride=stride, padding=padding, output_padding=output_padding,
                    groups=groups, dilation=dilation)
    out = F.conv_transpose2d(x, w, **geometry)
    np.testing.assert_allclose(out.data, reference_conv_transpose2d(x.data, w.data,
                                                                    **geometry), atol=1e-12)

    def fn(a, b):
        return F.conv_transpose2d(a, b, **geometry)

    assert gradcheck(fn, (x, w))
    assert gradgradcheck(fn, (x, w))


@settings(max_examples=15)
@given(n=st.integers(1, 2), c=st.integers(1, 3), length=st.integers(3, 9),
       k=st.integers(1, 3), stride=st.integers(1, 3), padding=st.sampled_from([0, 1, "same"]),
       dilation=st.integers(1, 2), seed=st.integers(0, 1000))
def test_conv1d_is_conv2d_on_a_height_one_image_and_has_gradients(n, c, length, k, stride,
                                                                   padding, dilation, seed):
    if padding == "same":
        stride = 1
    if length + 2 * (padding if padding != "same" else 0) < dilation * (k - 1) + 1 \
            and padding != "same":
        padding = dilation * (k - 1)
    x, w, b = leaf(n, c, length, seed=seed), leaf(2, c, k, seed=seed + 1), leaf(2, seed=seed)
    out = F.conv1d(x, w, b, stride, padding, dilation)
    pad2d = padding if padding == "same" else (0, padding)
    as_2d = F.conv2d(x.data[:, :, None], w.data[:, :, None], b.data, (1, stride), pad2d,
                     (1, dilation))
    np.testing.assert_allclose(out.data, as_2d.data[:, :, 0], atol=1e-12)

    def fn(*args):
        return F.conv1d(*args, stride=stride, padding=padding, dilation=dilation)

    assert gradcheck(fn, (x, w, b))
    assert gradgradcheck(fn, (x, w, b))


@pytest.mark.parametrize("fn", [
    lambda x: F.conv_transpose1d(x, Tensor(np.linspace(-1, 1, 12).reshape(2, 3, 2)),
                                 stride=2, padding=1, output_padding=1),
    lambda x: F.avg_pool1d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
    lambda x: F.adaptive_avg_pool1d(x, 3),
    lambda x: F.interpolate(x, scale_factor=1.5, mode="linear", align_corners=True),
], ids=["conv_transpose1d", "avg_pool1d", "adaptive_avg_pool1d", "interpolate_linear"])
def test_one_dimensional_forms_have_first_and_second_derivatives(fn):
    x = leaf(2, 2, 7)
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


def test_conv_weight_operator_has_second_derivatives():
    # conv_weight appears only in graphs recorded by create_graph; check it on its own too.
    x, g = leaf(2, 2, 5, 4), leaf(2, 3, 3, 2)
    geometry = dict(kernel=(2, 3), stride=(2, 1), padding=((1, 1), (0, 0)),
                    dilation=(1, 1), groups=1)

    def fn(a, b):
        return conv_ops.ConvWeight.apply(a, b, **geometry)

    assert gradcheck(fn, (x, g))
    assert gradgradcheck(fn, (x, g))


def test_conv2d_hessian_vector_product_through_create_graph():
    # d/dw of (∂L/∂x · v) is a conv_weight of a conv_transpose: third-level operators.
    x, w = leaf(1, 2, 5, 5), leaf(3, 2, 3, 3)
    loss = (F.conv2d(x, w, padding=1).tanh() ** 2).sum()
    (gx,) = grad(loss, (x,), create_graph=True)
    v = np.random.default_rng(1).standard_normal(x.shape)
    (hv,) = grad((gx * Tensor(v)).sum(), (w,))
    eps = 1e-6
    w_plus, w_minus = Tensor(w.data.copy()), Tensor(w.data.copy())
    numeric = np.zeros(w.shape)
    for index in np.ndindex(w.shape):
        for sign, target in ((1, w_plus), (-1, w_minus)):
            target.data[index] += sign * eps
        values = []
        for target in (w_plus, w_minus):
            xx = Tensor(x.data, requires_grad=True)
            (g,) = grad((F.conv2d(xx, target, padding=1).tanh() ** 2).sum(), (xx,))
            values.append((g.data * v).sum())
        numeric[index] = (values[0] - values[1]) / (2 * eps)
        for sign, target in ((1, w_plus), (-1, w_minus)):
            target.data[index] -= sign * eps
    np.testing.assert_allclose(hv.data, numeric, rtol=1e-5, atol=1e-7)


# -- pooling ---------------------------------------------------------------------------


def distinct(*shape, seed=0):
    """Values with no two equal (no ties: finite differences stay inside one argmax)."""
    rng = np.random.default_rng(seed)
    values = rng.permutation(math.prod(shape)).astype(float) * 0.1
    return Tensor(values.reshape(shape), requires_grad=True)


@settings(max_examples=20)
@given(k=st.integers(1, 3), s=st.integers(1, 3), p=st.integers(0, 1), ceil=st.booleans(),
       dilation=st.integers(1, 2), h=st.integers(5, 7), seed=st.integers(0, 1000))
def test_max_pool2d_gradients_and_forward(k, s, p, ceil, dilation, h, seed):
    p = min(p, k // 2)
    x = distinct(2, 2, h, h + 1, seed=seed)

    def fn(a):
        return F.max_pool2d(a, k, s, p, dilation, ceil_mode=ceil)

    if dilation == 1 and not ceil:
        np.testing.assert_array_equal(fn(x).data, reference_max_pool2d(x.data, k, s, p))
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


def test_max_pool_ties_give_the_gradient_to_the_first_maximum():
    # PyTorch's rule (torch 2.13, recorded in conv_reference.json too): row-major first.
    x = Tensor(np.array([[[[1.0, 3.0], [3.0, 3.0]]]]), requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[[[0.0, 1.0], [0.0, 0.0]]]])
    y = Tensor(np.array([[[2.0, 2.0, 2.0, 1.0]]]), requires_grad=True)
    F.max_pool1d(y, 2, 1).sum().backward()  # windows (0,1) (1,2) (2,3): firsts 0, 1, 2
    np.testing.assert_array_equal(y.grad.data, [[[1.0, 1.0, 1.0, 0.0]]])


def test_max_pool_overlapping_windows_accumulate_the_gradient():
    x = Tensor(np.array([[[0.0, 5.0, 1.0, 2.0, 0.0]]]), requires_grad=True)
    F.max_pool1d(x, 3, 1).sum().backward()  # 5 is the max of windows 0 and 1
    np.testing.assert_array_equal(x.grad.data, [[[0.0, 2.0, 0.0, 1.0, 0.0]]])


def test_max_pool_window_of_minus_infinity_sends_its_gradient_to_an_input_not_the_padding():
    # PyTorch's scan starts inside the input: the -inf window at the left edge picks x[0].
    x = Tensor(np.array([[[-np.inf, 1.0, 2.0]]]), requires_grad=True)
    out = F.max_pool1d(x, 2, 1, padding=1)
    np.testing.assert_array_equal(out.data, [[[-np.inf, 1.0, 2.0, 2.0]]])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[[1.0, 1.0, 2.0]]])


def test_max_pool_propagates_nan_as_pytorch():
    x = Tensor(np.array([[[1.0, np.nan, 0.5, 2.0]]]))
    np.testing.assert_array_equal(F.max_pool1d(x, 2).data, [[[np.nan, 2.0]]])


@settings(max_examples=20)
@given(k=st.integers(1, 3), s=st.integers(1, 3), p=st.integers(0, 1), ceil=st.booleans(),
       include=st.booleans(), h=st.integers(3, 6), seed=st.integers(0, 1000))
def test_avg_pool2d_gradients(k, s, p, ceil, include, h, seed):
    p = min(p, k // 2)
    x = leaf(2, 2, h, h + 1, seed=seed)

    def fn(a):
        return F.avg_pool2d(a, k, s, p, ceil, include)

    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


def test_avg_pool2d_divisors_follow_pytorch():
    x = Tensor(np.ones((1, 1, 3, 3)))
    # count_include_pad: the padded corner window still counts 4 cells, 1 of them real.
    np.testing.assert_allclose(F.avg_pool2d(x, 2, 2, 1).data[0, 0], [[0.25, 0.5], [0.5, 1.0]])
    np.testing.assert_allclose(F.avg_pool2d(x, 2, 2, 1, count_include_pad=False).data,
                               np.ones((1, 1, 2, 2)))
    np.testing.assert_allclose(F.avg_pool2d(x, 2, divisor_override=1).data, [[[[4.0]]]])
    # ceil_mode keeps a window hanging off the edge; it averages what it covers (PyTorch).
    np.testing.assert_allclose(F.avg_pool2d(x, 2, ceil_mode=True).data[0, 0],
                               [[1.0, 1.0], [1.0, 1.0]])


@settings(max_examples=20)
@given(h=st.integers(1, 7), w=st.integers(1, 7), oh=st.integers(1, 5), ow=st.integers(1, 5),
       seed=st.integers(0, 1000))
def test_adaptive_avg_pool2d_averages_the_adaptive_windows(h, w, oh, ow, seed):
    x = leaf(1, 2, h, w, seed=seed)
    out = F.adaptive_avg_pool2d(x, (oh, ow))
    for i, j in itertools.product(range(oh), range(ow)):
        rows = slice(i * h // oh, -(-(i + 1) * h // oh))
        cols = slice(j * w // ow, -(-(j + 1) * w // ow))
        np.testing.assert_allclose(out.data[:, :, i, j], x.data[:, :, rows, cols].mean(
            axis=(2, 3)), rtol=1e-12)
    assert gradcheck(lambda a: F.adaptive_avg_pool2d(a, (oh, ow)), (x,))
    assert gradgradcheck(lambda a: F.adaptive_avg_pool2d(a, (oh, ow)), (x,))


@settings(max_examples=20)
@given(mode=st.sampled_from(["nearest", "bilinear", "nearest-exact", "area"]),
       align=st.booleans(), size=st.tuples(st.integers(1, 7), st.integers(1, 7)),
       seed=st.integers(0, 1000))
def test_interpolate_gradients(mode, align, size, seed):
    x = leaf(1, 2, 3, 4, seed=seed)
    corners = align if mode == "bilinear" else None

    def fn(a):
        return F.interpolate(a, size=size, mode=mode, align_corners=corners)

    assert fn(x).shape == (1, 2) + size
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


def test_interpolate_nearest_doubles_each_pixel_and_bilinear_keeps_corners():
    x = Tensor(np.arange(4.0).reshape(1, 1, 2, 2))
    np.testing.assert_array_equal(F.interpolate(x, scale_factor=2).data[0, 0],
                                  [[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 3, 3], [2, 2, 3, 3]])
    up = F.interpolate(x, size=(3, 3), mode="bilinear", align_corners=True).data[0, 0]
    np.testing.assert_allclose(up, [[0, 0.5, 1], [1, 1.5, 2], [2, 2.5, 3]])


# -- float32, unbatched input, pictures ------------------------------------------------------


def test_float32_stays_float32_through_every_operator_and_its_gradient():
    x = Tensor(RNG.standard_normal((2, 1, 6, 6)).astype(np.float32), requires_grad=True)
    conv = nn.Conv2d(1, 2, 3, padding=1, dtype=np.float32)
    y = conv(x)
    outs = [y, F.max_pool2d(y, 2), F.avg_pool2d(y, 2), F.adaptive_avg_pool2d(y, 2),
            F.interpolate(y, scale_factor=2, mode="bilinear"),
            F.conv_transpose2d(y, conv.weight.data)]
    for out in outs:
        assert out.dtype == np.float32
    sum(o.sum() for o in outs).backward()
    assert x.grad.dtype == np.float32 and conv.weight.grad.dtype == np.float32


def test_unbatched_input_works_as_in_pytorch():
    x = leaf(2, 5, 5)
    w = leaf(3, 2, 3, 3)
    np.testing.assert_allclose(F.conv2d(x, w, padding=1).data,
                               F.conv2d(x.data[None], w.data, padding=1).data[0])
    assert F.max_pool2d(x, 2).shape == (2, 2, 2)


def test_an_empty_batch_gives_empty_outputs_and_zero_kernel_gradients():
    # PyTorch accepts N = 0; the im2col buffer is empty, so reshapes must not infer sizes.
    x, w = leaf(0, 2, 5, 5), leaf(3, 2, 3, 3)
    y = F.conv2d(x, w, padding=1)
    assert y.shape == (0, 3, 5, 5)
    (y.sum() + F.max_pool2d(x, 2).sum() + F.avg_pool2d(x, 2).sum()).backward()
    assert x.grad.shape == (0, 2, 5, 5)
    np.testing.assert_array_equal(w.grad.data, np.zeros((3, 2, 3, 3)))
    assert F.conv_transpose2d(x, leaf(2, 3, 3, 3)).shape == (0, 3, 7, 7)


def test_max_pool_pads_integers_with_their_least_value():
    x = Tensor(np.arange(-8, 8).reshape(1, 1, 4, 4))
    out = F.max_pool2d(x, 3, 1, padding=1)
    assert out.dtype == x.dtype
    np.testing.assert_array_equal(out.data[0, 0, 0], [-3, -2, -1, -1])


def test_operators_show_their_dimension_in_listings():
    x = leaf(1, 1, 4, 4)
    y = F.max_pool2d(F.conv2d(x, leaf(1, 1, 3, 3), padding=1), 2)
    node = y.grad_fn
    assert node.op.display(node) == "max_pool2d"
    conv_node = node.inputs[0].grad_fn
    assert conv_node.op.display(conv_node) == "conv2d"


# -- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize("call, message", [
    (lambda: F.conv2d(leaf(1, 3, 5, 5), leaf(2, 2, 3, 3)), "conv2d: input of shape"),
    (lambda: F.conv2d(leaf(1, 1, 2, 2), leaf(2, 1, 3, 3)), "smaller than the kernel"),
    (lambda: F.conv2d(leaf(1, 1, 5, 5), leaf(2, 1, 3, 3), stride=2, padding="same"),
     "padding='same' needs stride 1"),
    (lambda: F.conv2d(leaf(1, 1, 5, 5), leaf(2, 1, 3, 3), stride=0), "stride must be"),
    (lambda: F.conv2d(leaf(5, 5), leaf(2, 1, 3, 3)), "(N, C, H, W)"),
    (lambda: F.conv2d(leaf(1, 1, 5, 5), leaf(2, 1, 3, 3), bias=leaf(3)),
     "bias must have shape (2,)"),
    (lambda: F.conv1d(leaf(1, 1, 5), leaf(2, 1, 3, 3)), "conv1d: weight must have shape"),
    (lambda: F.conv_transpose2d(leaf(1, 2, 3, 3), leaf(2, 1, 3, 3), output_padding=1),
     "output_padding"),
    (lambda: F.max_pool2d(leaf(1, 1, 4, 4), 2, padding=2), "at most half the kernel"),
    (lambda: F.max_pool2d(leaf(1, 1, 4, 4), 2, return_indices=True), "return_indices"),
    (lambda: F.interpolate(leaf(1, 1, 4, 4), size=3, scale_factor=2), "exactly one"),
    (lambda: F.interpolate(leaf(1, 1, 4, 4), size=3, mode="bicubic"), "mode must be"),
    (lambda: F.interpolate(leaf(1, 1, 4, 4), size=3, align_corners=True),
     "align_corners can only be set"),
    (lambda: nn.Conv2d(3, 4, 3, groups=2), "divisible by groups"),
    (lambda: nn.Conv2d(3, 4, 3, padding_mode="mirror"), "padding_mode must be"),
])
def test_bad_input_names_the_function_and_the_fix(call, message):
    with pytest.raises(ValueError) as error:
        call()
    assert message in str(error.value)


@pytest.mark.parametrize("call", [
    lambda: F.conv2d(leaf(1, 1, 5, 5), leaf(2, 1, 3, 3), stride=1.5),
    lambda: F.max_pool2d(leaf(1, 1, 4, 4), "2"),
    lambda: nn.Conv2d(1, 2, kernel_size=(3, None)),
])
def test_arguments_of_the_wrong_kind_raise_type_error_naming_them(call):
    with pytest.raises(TypeError, match="must be an int"):
        call()


# -- modules -------------------------------------------------------------------------------


def test_module_parameter_shapes_and_state_dict_keys_are_pytorchs():
    cases = [
        (nn.Conv1d(4, 6, 3, groups=2), {"weight": (6, 2, 3), "bias": (6,)}),
        (nn.Conv2d(1, 8, 3, padding=1), {"weight": (8, 1, 3, 3), "bias": (8,)}),
        (nn.Conv2d(4, 8, (3, 2), bias=False), {"weight": (8, 4, 3, 2)}),
        (nn.ConvTranspose2d(4, 6, 3, groups=2), {"weight": (4, 3, 3, 3), "bias": (6,)}),
        (nn.ConvTranspose1d(4, 6, 3, bias=False), {"weight": (4, 6, 3)}),
    ]
    for module, shapes in cases:
        assert {k: v.shape for k, v in module.state_dict().items()} == shapes
    assert nn.MaxPool2d(2).state_dict() == {}


def test_conv_initialisation_is_kaiming_uniform_with_a_sqrt5():
    conv = nn.Conv2d(8, 16, 3)
    bound = 1 / math.sqrt(8 * 9)  # gain √(2/(1+5)) · √(3/fan_in) = 1/√fan_in
    assert np.abs(conv.weight.data).max() <= bound
    assert np.abs(conv.weight.data).max() > 0.9 * bound  # 1152 draws fill the range
    assert np.abs(conv.bias.data).max() <= bound
    transposed = nn.ConvTranspose2d(8, 4, 3)  # fan_in from weight.shape[1]: 4·9
    assert np.abs(transposed.weight.data).max() <= 1 / math.sqrt(4 * 9)
    assert np.abs(transposed.weight.data).max() > 0.9 / math.sqrt(8 * 9)


def test_module_extra_reprs_print_as_pytorch():
    expected = {
        nn.Conv2d(1, 8, 3, padding=1):
            "Conv2d(1, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))",
        nn.Conv2d(4, 8, 3, stride=2, dilation=2, groups=2, bias=False,
                  padding_mode="reflect"):
            "Conv2d(4, 8, kernel_size=(3, 3), stride=(2, 2), dilation=(2, 2), groups=2, "
            "bias=False, padding_mode=reflect)",
        nn.Conv1d(2, 3, 5, padding="same"):
            "Conv1d(2, 3, kernel_size=(5,), stride=(1,), padding=same)",
        nn.ConvTranspose2d(2, 3, 3, stride=2, output_padding=1):
            "ConvTranspose2d(2, 3, kernel_size=(3, 3), stride=(2, 2), output_padding=(1, 1))",
        nn.MaxPool2d(2): "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, "
                         "ceil_mode=False)",
        nn.AvgPool2d(3, 1, 1): "AvgPool2d(kernel_size=3, stride=1, padding=1)",
        nn.AdaptiveAvgPool2d((5, 7)): "AdaptiveAvgPool2d(output_size=(5, 7))",
        nn.Flatten(): "Flatten(start_dim=1, end_dim=-1)",
        nn.Unflatten(1, (2, 5)): "Unflatten(dim=1, unflattened_size=(2, 5))",
    }
    for module, text in expected.items():
        assert f"{type(module).__name__}({module.extra_repr()})" == text
        assert repr(module).startswith(text)


def test_padding_modes_pad_before_the_convolution():
    x = leaf(1, 1, 4, 5)
    for mode, numpy_mode in (("reflect", "reflect"), ("replicate", "edge"),
                             ("circular", "wrap")):
        conv = nn.Conv2d(1, 2, 3, padding=1, padding_mode=mode)
        padded = np.pad(x.data, ((0, 0), (0, 0), (1, 1), (1, 1)), mode=numpy_mode)
        expected = F.conv2d(padded, conv.weight.data, conv.bias.data)
        np.testing.assert_allclose(conv(x).data, expected.data, atol=1e-12)
    assert gradcheck(nn.Conv2d(1, 1, 3, padding=1, padding_mode="circular"), (x,))


def test_conv_transpose2d_output_size_picks_the_output_padding():
    up = nn.ConvTranspose2d(2, 1, 3, stride=2, padding=1)
    x = leaf(1, 2, 4, 4)
    assert up(x).shape == (1, 1, 7, 7)
    assert up(x, output_size=(8, 8)).shape == (1, 1, 8, 8)
    with pytest.raises(ValueError, match="not reachable"):
        up(x, output_size=(10, 10))


def test_flatten_and_unflatten_are_inverse():
    x = leaf(2, 3, 4, 5)
    flat = nn.Flatten()(x)
    assert flat.shape == (2, 60)
    assert nn.Unflatten(1, (3, 4, 5))(flat).shape == x.shape
    assert nn.Flatten(0, 1)(x).shape == (6, 4, 5)


def test_a_small_cnn_trains():
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(4 * 4 * 4, 2))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 1, 8, 8))
    y = (x[:, 0, :4].sum(axis=(1, 2)) > x[:, 0, 4:].sum(axis=(1, 2))).astype(np.int64)
    opt = optim.SGD(model.parameters(), lr=0.1)
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = F.cross_entropy(model(Tensor(x)), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
