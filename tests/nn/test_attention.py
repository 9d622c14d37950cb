"""scaled_dot_product_attention (one operator) and MultiheadAttention: gradients against
finite differences (first and second order) over hypothesis-drawn shapes, masks, causal
and dropout, the forward against a numpy reference, and bad input."""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nn
import nn.functional as F
from autograd import Tensor, gradcheck, gradgradcheck, no_grad, viz
from autograd.graph import Graph
from autograd.ops import ALL_OPERATORS, ScaledDotProductAttention
from autograd.testing import floats_in, tensors

# the operator table's row (tests/autograd/test_operator_gradients.py imports it)
ATTENTION_NAMES = {"scaled_dot_product_attention"}

VALUES = floats_in(-2.0, 2.0)


def reference_attention(q, k, v, mask=None, is_causal=False, scale=None, keep=None):
    """softmax(q kᵀ · scale + mask) v in plain numpy, rows with no key giving 0."""
    scale = 1 / np.sqrt(q.shape[-1]) if scale is None else scale
    s = q @ np.swapaxes(k, -1, -2) * scale
    if mask is not None:
        s = np.where(mask, s, -np.inf) if mask.dtype == bool else s + mask
    if is_causal:
        s = np.where(np.tri(*s.shape[-2:], dtype=bool), s, -np.inf)
    allowed = np.isfinite(s)
    m = s.max(axis=-1, keepdims=True, initial=-np.inf)
    m = np.where(np.isfinite(m), m, 0)
    e = np.where(allowed, np.exp(np.where(allowed, s - m, 0)), 0)
    total = e.sum(axis=-1, keepdims=True)
    w = e / np.where(total == 0, 1, total)
    return (w if keep is None else w * keep) @ v


@st.composite
def attention_cases(draw, sizes=None):
    """q, k, v (Tensors) with broadcasting batch axes, and a mask kind."""
    batch_q, batch_k, batch_v = draw(hnp.mutually_broadcastable_shapes(
        num_shapes=3, max_dims=2, max_side=2).map(lambda r: r.input_shapes))
    sizes = st.integers(1, 3) if sizes is None else sizes
    length, source, e, ev = (draw(sizes) for _ in range(4))
    q = draw(tensors(batch_q + (length, e), elements=VALUES))
    k = draw(tensors(batch_k + (source, e), elements=VALUES))
    v = draw(tensors(batch_v + (source, ev), elements=VALUES))
    batch = np.broadcast_shapes(batch_q, batch_k, batch_v)
    kind = draw(st.sampled_from(["none", "bool", "float", "causal"]))
    mask = None
    if kind in ("bool", "float"):
        full = batch + (length, source)
        mask_shape = tuple(n if draw(st.booleans()) else 1 for n in full)
        mask_shape = mask_shape[draw(st.integers(0, len(mask_shape) - 2)):]
        if kind == "bool":
            mask = np.asarray(draw(hnp.arrays(bool, mask_shape)))
        else:
            mask = draw(tensors(mask_shape, elements=VALUES))
    scale = draw(st.one_of(st.none(), floats_in(0.2, 1.5)))
    return q, k, v, kind, mask, scale


@settings(max_examples=40)
@given(case=attention_cases())
def test_sdpa_gradients_match_finite_differences(case):
    q, k, v, kind, mask, scale = case
    causal = kind == "causal"
    if kind == "float":
        def fn(q, k, v, m):
            return F.scaled_dot_product_attention(q, k, v, m, is_causal=causal, scale=scale)
        inputs = (q, k, v, mask)
    else:
        def fn(q, k, v):
            return F.scaled_dot_product_attention(q, k, v, mask, is_causal=causal, scale=scale)
        inputs = (q, k, v)
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


@settings(max_examples=30)
@given(case=attention_cases(sizes=st.integers(0, 3)))
def test_sdpa_forward_matches_numpy_including_empty_axes(case):
    q, k, v, kind, mask, scale = case
    mask_data = mask.data if isinstance(mask, Tensor) else mask
    out = F.scaled_dot_product_attention(q, k, v, mask, is_causal=kind == "causal",
                                         scale=scale)
    if q.shape[-1] == 0 and scale is None:
        scale = 1.0  # PyTorch: no features, every score 0, so the scale does not matter
    expected = reference_attention(q.data, k.data, v.data, mask_data, kind == "causal", scale)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-14)


@settings(max_examples=20)
@given(case=attention_cases(), seed=st.integers(0, 2**32 - 1))
def test_sdpa_dropout_gradients_with_fixed_multipliers(case, seed):
    q, k, v, kind, mask, scale = case
    if kind == "float":
        mask = mask.data
    batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    shape = batch + (q.shape[-2], k.shape[-2])
    keep = (np.random.default_rng(seed).random(shape) >= 0.4) / 0.6

    def fn(q, k, v):
        return ScaledDotProductAttention.of(q, k, v, mask, kind == "causal", scale, keep)

    assert gradcheck(fn, (q, k, v))
    assert gradgradcheck(fn, (q, k, v))
    expected = reference_attention(q.data, k.data, v.data, mask, kind == "causal", scale, keep)
    np.testing.assert_allclose(fn(q, k, v).data, expected, rtol=1e-12, atol=1e-14)


def test_sdpa_dropout_keeps_the_expectation_and_follows_manual_seed():
    rng = np.random.default_rng(0)
    q, k = rng.standard_normal((2, 3, 4, 8)), rng.standard_normal((2, 3, 6, 8))
    v = np.ones((2, 3, 6, 5))
    nn.manual_seed(1)
    first = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    nn.manual_seed(1)
    again = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    np.testing.assert_array_equal(first.data, again.data)
    plain = F.scaled_dot_product_attention(q, k, v)
    np.testing.assert_allclose(plain.data, 1.0)  # weights sum to 1, v is all ones
    assert not np.allclose(first.data, 1.0)
    # each output is Σ_j w_j keep_j with E[keep] = 1: the mean over many draws is near 1
    assert abs(first.data.mean() - 1.0) < 0.15
    nothing = F.scaled_dot_product_attention(q, k, v, dropout_p=1.0)
    np.testing.assert_array_equal(nothing.data, 0.0)


def test_sdpa_is_one_operator_node_with_its_primitives_on_expand():
    q, k, v = (Tensor(np.ones((2, 3, 4)), requires_grad=True) for _ in range(3))
    out = F.scaled_dot_product_attention(q, k, v, np.tri(3, 3, dtype=bool))
    assert out.grad_fn.name == "scaled_dot_product_attention"
    assert all(x.grad_fn is None for x in out.grad_fn.inputs)
    steps = out.grad_fn.op.expand(out.grad_fn)
    assert [s.op for s in steps] == ["transpose", "matmul", "mul", "where", "softmax",
                                     "matmul"]
    np.testing.assert_allclose(steps[-1].value, out.data)


def test_sdpa_expanded_picture_feeds_each_input_to_the_step_that_reads_it():
    rng = np.random.default_rng(0)
    q, k, v = (Tensor(rng.standard_normal(s), requires_grad=True, name=n)
               for s, n in (((3, 2), "q"), ((4, 2), "k"), ((4, 2), "v")))
    out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    source = viz.forward_graph(out, expand=True).source
    ids = {name: re.search(rf"\t(v\d+) \[label=<<B>{name}</B>", source).group(1)
           for name in "qkv"}
    edges = re.findall(r"\t(v\d+) -> (op\d+_\d+)", source)
    steps = {name: [step for variable, step in edges if variable == ids[name]]
             for name in "qkv"}
    assert steps == {"k": ["op0_0"], "q": ["op0_1"], "v": ["op0_5"]}  # kᵀ, q kᵀ, w v


def test_sdpa_row_with_every_key_masked_gives_zero_and_zero_gradient():
    rng = np.random.default_rng(1)
    q, k, v = (Tensor(rng.standard_normal(s), requires_grad=True)
               for s in ((3, 4), (5, 4), (5, 2)))
    mask = np.ones((3, 5), bool)
    mask[1] = False
    out = F.scaled_dot_product_attention(q, k, v, mask)
    np.testing.assert_array_equal(out.data[1], 0.0)
    out.sum().backward()
    np.testing.assert_array_equal(q.grad.data[1], 0.0)
    assert np.isfinite(k.grad.data).all() and np.isfinite(v.grad.data).all()


def test_sdpa_float_mask_of_minus_inf_rows_is_safe_under_create_graph():
    q = Tensor(np.random.default_rng(2).standard_normal((3, 4)), requires_grad=True)
    mask = np.zeros((3, 3))
    mask[0] = -np.inf
    out = F.scaled_dot_product_attention(q, q, q, mask)
    (grad,) = __import__("autograd").grad(out.sum(), [q], create_graph=True)
    assert np.isfinite(grad.data).all()
    grad.sum().backward()
    assert np.isfinite(q.grad.data).all()


def test_sdpa_keeps_float32():
    q = Tensor(np.ones((2, 3, 4), np.float32), requires_grad=True)
    out = F.scaled_dot_product_attention(q, q, q, np.zeros((3, 3)), scale=0.5)
    assert out.dtype == np.float32
    out.sum().backward()
    assert q.grad.dtype == np.float32


def test_sdpa_grouped_query_attention_shares_key_heads():
    rng = np.random.default_rng(3)
    q = Tensor(rng.standard_normal((2, 4, 3, 5)), requires_grad=True)
    k = Tensor(rng.standard_normal((2, 2, 6, 5)), requires_grad=True)
    v = Tensor(rng.standard_normal((2, 2, 6, 7)), requires_grad=True)
    out = F.scaled_dot_product_attention(q, k, v, enable_gqa=True)
    expected = reference_attention(q.data, np.repeat(k.data, 2, axis=1),
                                   np.repeat(v.data, 2, axis=1))
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)
    assert gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, enable_gqa=True),
                     (q, k, v))


@pytest.mark.parametrize("shapes, message", [
    (((3,), (3,), (3,)), "at least 2-d"),
    (((2, 3, 4), (2, 5, 3), (2, 5, 6)), "same last axis"),
    (((2, 3, 4), (2, 5, 4), (2, 4, 6)), "same sequence axis"),
    (((2, 3, 4), (3, 5, 4), (3, 5, 6)), "cannot be broadcast"),
])
def test_sdpa_refuses_shapes_that_do_not_fit(shapes, message):
    q, k, v = (np.ones(s) for s in shapes)
    with pytest.raises(ValueError, match=f"scaled_dot_product_attention.*{message}"):
        F.scaled_dot_product_attention(q, k, v)


def test_sdpa_refuses_a_mask_together_with_is_causal_and_a_mask_that_does_not_fit():
    q = np.ones((2, 3, 4))
    with pytest.raises(ValueError, match="attn_mask cannot be combined with is_causal"):
        F.scaled_dot_product_attention(q, q, q, np.ones((3, 3), bool), is_causal=True)
    with pytest.raises(ValueError, match=r"attn_mask of shape \(4, 3\).*\(2, 3, 3\)"):
        F.scaled_dot_product_attention(q, q, q, np.ones((4, 3), bool))
    with pytest.raises(ValueError, match="dropout_p|probability"):
        F.scaled_dot_product_attention(q, q, q, dropout_p=1.5)
    with pytest.raises(ValueError, match="enable_gqa"):
        F.scaled_dot_product_attention(np.ones((3, 2, 4)), np.ones((2, 2, 4)),
                                       np.ones((2, 2, 4)), enable_gqa=True)


def test_sdpa_is_registered():
    assert ScaledDotProductAttention in ALL_OPERATORS
    with no_grad():
        assert F.scaled_dot_product_attention(np.ones((1, 2)), np.ones((1, 2)),
                                              np.ones((1, 3))).shape == (1, 3)


# -- MultiheadAttention ---------------------------------------------------------------------


def test_multihead_attention_parameters_and_init_are_pytorchs():
    mha = nn.MultiheadAttention(64, 4, generator=0)
    assert [(n, p.shape) for n, p in mha.named_parameters()] == [
        ("in_proj_weight", (192, 64)), ("in_proj_bias", (192,)),
        ("out_proj.weight", (64, 64)), ("out_proj.bias", (64,))]
    bound = np.sqrt(6 / (64 + 192))  # Xavier-uniform over the packed (3E, E) matrix
    w = mha.in_proj_weight.data
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert abs(w.std() - bound / np.sqrt(3)) < 0.05 * bound
    np.testing.assert_array_equal(mha.in_proj_bias.data, 0.0)
    np.testing.assert_array_equal(mha.out_proj.bias.data, 0.0)
    assert np.abs(mha.out_proj.weight.data).max() <= 1 / np.sqrt(64)  # Linear's own init
    separate = nn.MultiheadAttention(8, 2, kdim=3, vdim=5, bias=False)
    assert list(separate.state_dict()) == ["q_proj_weight", "k_proj_weight", "v_proj_weight",
                                           "out_proj.weight"]
    assert separate.k_proj_weight.shape == (8, 3) and separate.in_proj_weight is None


def test_multihead_attention_dropout_acts_in_training_only():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 2, 8))
    mha = nn.MultiheadAttention(8, 2, dropout=0.5)
    nn.manual_seed(0)
    train_out, train_w = mha(x, x, x)
    mha.eval()
    out, w = mha(x, x, x)
    np.testing.assert_allclose(w.data.sum(axis=-1), 1.0)  # averaged weights are rows of 1
    assert not np.allclose(train_out.data, out.data)
    again, _ = mha(x, x, x, need_weights=False)
    np.testing.assert_allclose(again.data, out.data, rtol=1e-12)


def test_multihead_attention_heads_are_one_node_per_step():
    x = Tensor(np.ones((4, 2, 8)), requires_grad=True)
    out, _ = nn.MultiheadAttention(8, 4)(x, x, x, need_weights=False)
    names = [op.name for op in Graph.from_outputs(out)]
    assert names.count("scaled_dot_product_attention") == 1  # all four heads in one node
    assert names.count("linear") == 4  # q, k, v projections and out_proj


def test_multihead_attention_unbatched_input_equals_a_batch_of_one():
    rng = np.random.default_rng(1)
    mha = nn.MultiheadAttention(6, 3, batch_first=True)
    q, k = rng.standard_normal((4, 6)), rng.standard_normal((5, 6))
    padding = np.array([False, True, False, False, True])
    out, w = mha(q, k, k, key_padding_mask=padding)
    batched, bw = mha(q[None], k[None], k[None], key_padding_mask=padding[None])
    np.testing.assert_allclose(out.data, batched.data[0], rtol=1e-12)
    np.testing.assert_allclose(w.data, bw.data[0], rtol=1e-12)
    assert w.shape == (4, 5) and np.all(w.data[:, [1, 4]] == 0)


@pytest.mark.parametrize("call, error, message", [
    (lambda m: m(np.ones((3, 2, 7)), np.ones((3, 2, 8)), np.ones((3, 2, 8))), ValueError,
     r"query of shape \(3, 2, 7\) has last axis 7, expected 8"),
    (lambda m: m(np.ones((3, 2, 8)), np.ones((4, 2, 8)), np.ones((5, 2, 8))), ValueError,
     "same sequence and batch sizes"),
    (lambda m: m(np.ones((3, 2, 8)), np.ones((4, 3, 8)), np.ones((4, 3, 8))), ValueError,
     "different batch sizes"),
    (lambda m: m(np.ones((3, 2, 8)), np.ones((4, 2, 8)), np.ones((4, 2, 8)),
                 attn_mask=np.ones((4, 4), bool)), ValueError, r"attn_mask of shape \(4, 4\)"),
    (lambda m: m(np.ones((3, 2, 8)), np.ones((4, 2, 8)), np.ones((4, 2, 8)),
                 key_padding_mask=np.ones((4, 2), bool)), ValueError, "key_padding_mask of shape"),
    (lambda m: m(np.ones((3, 2, 8)), np.ones((4, 2, 8)), np.ones((4, 2, 8)),
                 key_padding_mask=np.ones((2, 4), int)), TypeError, "must be bool or float"),
    (lambda m: m(np.ones((3, 3, 2, 8)), np.ones((4, 2, 8)), np.ones((4, 2, 8))), ValueError,
     "3-d .batched. or 2-d"),
    (lambda m: m(np.ones((3, 2, 8)), np.ones((3, 2, 8)), np.ones((3, 2, 8)), is_causal=True),
     ValueError, "is_causal=True is a hint and needs attn_mask"),
])
def test_multihead_attention_refuses_bad_input_naming_the_shapes(call, error, message):
    with pytest.raises(error, match=f"MultiheadAttention: .*{message}"):
        call(nn.MultiheadAttention(8, 2))


def test_multihead_attention_refuses_bad_settings():
    with pytest.raises(ValueError, match=r"embed_dim \(10\) must be divisible by num_heads"):
        nn.MultiheadAttention(10, 3)
    with pytest.raises(ValueError, match="probability"):
        nn.MultiheadAttention(8, 2, dropout=2.0)


def test_multihead_attention_bias_kv_and_zero_attn_add_one_key_each():
    mha = nn.MultiheadAttention(8, 2, add_bias_kv=True, add_zero_attn=True)
    assert list(mha.state_dict()) == ["in_proj_weight", "in_proj_bias", "bias_k", "bias_v",
                                      "out_proj.weight", "out_proj.bias"]  # PyTorch's order
    assert mha.bias_k.shape == (1, 1, 8)
    x = np.random.default_rng(4).standard_normal((3, 2, 8))
    out, w = mha(x, x, x)
    assert out.shape == (3, 2, 8) and w.shape == (2, 3, 5)  # 3 keys, bias_k, the zero key
    np.testing.assert_allclose(w.data.sum(axis=-1), 1.0)


def test_multihead_attention_key_padding_masks_every_head_and_query():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 5, 8))
    padding = np.zeros((2, 5), bool)
    padding[0, 3:] = True
    mha = nn.MultiheadAttention(8, 2, batch_first=True)
    _, w = mha(x, x, x, key_padding_mask=padding, average_attn_weights=False)
    assert w.shape == (2, 2, 5, 5)
    np.testing.assert_array_equal(w.data[0, :, :, 3:], 0.0)
    assert np.all(w.data[1] > 0)
    # padded keys change nothing: dropping them gives the same outputs
    out, _ = mha(x, x, x, key_padding_mask=padding)
    short, _ = mha(x[:1], x[:1, :3], x[:1, :3])
    np.testing.assert_allclose(out.data[0], short.data[0], rtol=1e-12)


@settings(max_examples=25)
@given(data=st.data())
def test_multihead_attention_gradients_match_finite_differences(data):
    heads = data.draw(st.sampled_from([1, 2]))
    embed = heads * data.draw(st.integers(1, 2))
    length, source, batch = (data.draw(st.integers(1, 3)) for _ in range(3))
    batch_first, need_weights = data.draw(st.booleans()), data.draw(st.booleans())
    nn.manual_seed(data.draw(st.integers(0, 100)))
    mha = nn.MultiheadAttention(embed, heads, batch_first=batch_first)

    def layout(n):
        return (batch, n, embed) if batch_first else (n, batch, embed)

    query = data.draw(tensors(layout(length), elements=VALUES))
    key = data.draw(tensors(layout(source), elements=VALUES))
    value = data.draw(tensors(layout(source), elements=VALUES))
    padding = np.asarray(data.draw(hnp.arrays(bool, (batch, source))))
    padding[:, 0] = False  # every query keeps a key (an all-masked row is nan with weights)

    def fn(q, k, v):
        out, _ = mha(q, k, v, key_padding_mask=padding, need_weights=need_weights)
        return out

    assert gradcheck(fn, (query, key, value))
    assert gradgradcheck(fn, (query, key, value))
