"""Issue 15 items 3-5: shape, indexing, assembly and creation functions, each checked
against numpy's forward and against finite differences (first and second order) over
hypothesis-drawn shapes; and numpy's own names on Tensors keeping the graph."""

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shape_torch_cases import CASES, inputs, upstream

import autograd as ag
from autograd import Tensor, gradcheck, gradgradcheck
from autograd import functional as F
from autograd.testing import floats_in, shapes, tensors

ANY = floats_in(-3.0, 3.0)


def _distinct(x):
    """Values spread apart, so sort and topk have no ties."""
    ranks = np.argsort(np.argsort(x.data.reshape(-1)))
    return Tensor((ranks * 0.37 + x.data.reshape(-1) * 0.01).reshape(x.shape))


# name, ours, numpy's (None: same call through np on the data), minimum ndim of x
SHAPE_FUNCTIONS = [
    ("flatten", lambda x: F.flatten(x, 0, -1), lambda a: a.reshape(-1), 0),
    ("flatten_inner", lambda x: F.flatten(x, -2, -1),
     lambda a: a.reshape(a.shape[:-2] + (a.shape[-2] * a.shape[-1],)), 2),
    ("unflatten", lambda x: F.unflatten(x, -1, (1, -1)),
     lambda a: a.reshape(a.shape[:-1] + (1, -1)), 1),
    ("ravel", F.ravel, np.ravel, 0),
    ("split", lambda x: F.array_split(x, 2, axis=-1)[-1],
     lambda a: np.array_split(a, 2, axis=-1)[-1], 1),
    ("tril", lambda x: F.tril(x, -1), lambda a: np.tril(a, -1), 2),
    ("triu", lambda x: F.triu(x, 1), lambda a: np.triu(a, 1), 2),
    ("flip", lambda x: F.flip(x, -1), lambda a: np.flip(a, -1), 1),
    ("flip_all", F.flip, np.flip, 0),
    ("roll", lambda x: F.roll(x, 1, -1), lambda a: np.roll(a, 1, -1), 1),
    ("roll_flat", lambda x: F.roll(x, -2), lambda a: np.roll(a, -2), 0),
    ("diagonal", lambda x: F.diagonal(x, 0, -1, -2), lambda a: np.diagonal(a, 0, -1, -2), 2),
    ("diag", lambda x: F.diag(F.ravel(x), 1), lambda a: np.diag(a.ravel(), 1), 0),
    ("trace", lambda x: F.trace(x, -1), lambda a: np.trace(a, -1), 2),
    ("repeat", lambda x: F.repeat(x, 2, -1), lambda a: np.repeat(a, 2, -1), 1),
    ("repeat_flat", lambda x: F.repeat(x, 2), lambda a: np.repeat(a, 2), 0),
    ("tile", lambda x: F.tile(x, (2, 1)), lambda a: np.tile(a, (2, 1)), 0),
    ("pad_constant", lambda x: F.pad(x, 1, constant_values=0.5),
     lambda a: np.pad(a, 1, constant_values=0.5), 0),
    ("pad_edge", lambda x: F.pad(x, (1, 2), "edge"), lambda a: np.pad(a, (1, 2), "edge"), 0),
    ("pad_reflect", lambda x: F.pad(x, 1, "reflect"), lambda a: np.pad(a, 1, "reflect"), 0),
    ("take", lambda x: F.take(x, [0, 0, -1]), lambda a: np.take(a, [0, 0, -1]), 0),
    ("take_along_axis", lambda x: F.take_along_axis(x, _first_twice(x), -1),
     lambda a: np.take_along_axis(a, _first_twice(a), -1), 1),
    ("put_along_axis", lambda x: F.put_along_axis(x, _first(x), 7.0, -1), None, 1),
    ("add_at", lambda x: F.add_at(x, ([0, 0],), 1.5), None, 1),
    ("masked_fill", lambda x: F.masked_fill(x, _even(x), 2.0),
     lambda a: np.where(_even(a), 2.0, a), 0),
    ("where_scalars", lambda x: F.where(_even(x), 1.0, x) + F.where(_even(x), x, -1),
     lambda a: np.where(_even(a), 1.0, a) + np.where(_even(a), a, -1), 0),
    ("sort", lambda x: F.sort(x, -1), lambda a: np.sort(a, -1), 1),
    ("sort_descending", lambda x: F.sort(x, 0, descending=True),
     lambda a: -np.sort(-a, 0), 1),
    ("topk", lambda x: F.topk(x, 1, -1)[0], lambda a: -np.sort(-a, -1)[..., :1], 1),
    ("meshgrid", lambda x: F.meshgrid(F.ravel(x), F.ravel(x) * 2)[1],
     lambda a: np.meshgrid(a.ravel(), a.ravel() * 2)[1], 0),
    ("einsum_trace", lambda x: F.einsum("...ii->...", _square(x)),
     lambda a: np.einsum("...ii", _square(a)), 2),
    ("einsum_diagonal", lambda x: F.einsum("...ii->...i", _square(x)),
     lambda a: np.einsum("...ii->...i", _square(a)), 2),
    ("einsum_gram", lambda x: F.einsum("...ij,...kj", x, x),
     lambda a: np.einsum("...ij,...kj", a, a), 2),
    ("tensordot", lambda x: F.tensordot(x, x, x.ndim), lambda a: np.tensordot(a, a, a.ndim), 0),
    ("outer", lambda x: F.outer(x, x), lambda a: np.outer(a, a), 0),
    ("kron", lambda x: F.kron(x, x), lambda a: np.kron(a, a), 0),
    ("atleast_3d", F.atleast_3d, np.atleast_3d, 0),
    ("vstack", lambda x: F.vstack([x, x]), lambda a: np.vstack([a, a]), 0),
    ("hstack", lambda x: F.hstack([x, x]), lambda a: np.hstack([a, a]), 0),
    ("dstack", lambda x: F.dstack([x, x]), lambda a: np.dstack([a, a]), 0),
    ("column_stack", lambda x: F.column_stack([F.ravel(x), F.ravel(x)]),
     lambda a: np.column_stack([a.ravel(), a.ravel()]), 0),
    ("diff", lambda x: F.diff(x, 2, 0), lambda a: np.diff(a, 2, 0), 1),
    ("deg2rad", F.deg2rad, np.deg2rad, 0),
    ("rad2deg", F.rad2deg, np.rad2deg, 0),
    ("dot", lambda x: F.dot(x, _swapped(x)), lambda a: np.dot(a, _swapped(a)), 0),
]


# rows that index given positions or extend edges, which an empty axis has not (numpy
# refuses them too); the others also draw size-0 axes
NEEDS_ELEMENTS = {"unflatten", "pad_edge", "pad_reflect", "take", "take_along_axis",
                  "put_along_axis", "add_at", "topk"}


def _square(a):
    k = min(a.shape[-2:])
    return a[..., :k, :k]


def _swapped(a):
    return a.swapaxes(-1, -2) if a.ndim >= 2 else a


def _even(a):
    """A mask fixed by the shape alone (gradcheck's nudges must not move it)."""
    return np.arange(np.size(a)).reshape(np.shape(a)) % 2 == 0


def _first(a):
    return np.zeros(np.shape(a)[:-1] + (1,), dtype=int)


def _first_twice(a):
    return np.zeros(np.shape(a)[:-1] + (2,), dtype=int)


@pytest.mark.parametrize("name, ours, numpys, min_dims", SHAPE_FUNCTIONS,
                         ids=[row[0] for row in SHAPE_FUNCTIONS])
@settings(max_examples=12, deadline=None)
@given(data=st.data())
def test_shape_functions_match_numpy_and_finite_differences(name, ours, numpys, min_dims,
                                                             data):
    min_side = 1 if name in NEEDS_ELEMENTS else 0
    x = _distinct(data.draw(tensors(shapes(min_dims, min_side=min_side, max_side=3),
                                    elements=ANY)))
    if name in ("diagonal", "trace", "tril", "triu", "einsum_trace") and x.ndim > 3:
        return
    out = ours(x)
    if numpys is not None:
        np.testing.assert_allclose(out.data, numpys(x.data), rtol=1e-12, atol=1e-12)
    x.requires_grad = True
    assert gradcheck(ours, (x,))
    assert gradgradcheck(ours, (x,))


def test_put_along_axis_places_values_and_routes_their_gradient():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    v = Tensor([[10.0], [20.0]], requires_grad=True)
    out = F.put_along_axis(x, [[2], [0]], v, axis=1)
    expected = x.data.copy()
    np.put_along_axis(expected, np.array([[2], [0]]), v.data, axis=1)
    np.testing.assert_array_equal(out.data, expected)
    (out * Tensor(np.arange(1.0, 7.0).reshape(2, 3))).sum().backward()
    np.testing.assert_array_equal(v.grad.data, [[3.0], [4.0]])
    np.testing.assert_array_equal(x.grad.data, [[1, 2, 0], [0, 5, 6]])
    with pytest.raises(ValueError, match="put_along_axis: indices name an element more"):
        F.put_along_axis(x, [[0, 0], [1, 1]], 1.0, axis=1)


def test_add_at_accumulates_repeated_indices():
    x = Tensor(np.zeros(3), requires_grad=True)
    v = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    out = F.add_at(x, [0, 0, 2], v)
    np.testing.assert_array_equal(out.data, [3.0, 0.0, 3.0])
    (out * Tensor([1.0, 10.0, 100.0])).sum().backward()
    np.testing.assert_array_equal(v.grad.data, [1.0, 1.0, 100.0])


def test_sort_and_topk_ties_are_deterministic_and_values_differentiable():
    x = Tensor([2.0, 5.0, 5.0, 1.0, 5.0], requires_grad=True)
    values, indices = F.topk(x, 2)
    np.testing.assert_array_equal(indices.data, [1, 2])  # equal values: lower index first
    assert F.topk(x, 2).indices is not None and F.topk(x, 2).values.shape == (2,)
    assert not indices.requires_grad and values.requires_grad
    values.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0, 1, 1, 0, 0])
    np.testing.assert_array_equal(F.argsort(x).data, [3, 0, 1, 2, 4])
    np.testing.assert_array_equal(F.argsort(x, descending=True).data, [1, 2, 4, 0, 3])


def test_one_hot_has_no_gradient_and_checks_its_range():
    out = F.one_hot(Tensor(np.array([0, 2, 1])), 3)
    np.testing.assert_array_equal(out.data, np.eye(3, dtype=np.int64)[[0, 2, 1]])
    assert not out.requires_grad and F.one_hot([1, 3]).shape == (2, 4)
    with pytest.raises(ValueError, match="one_hot: index 3 is out of range"):
        F.one_hot([3], 3)


def test_split_follows_numpy():
    x = Tensor(np.arange(10.0), requires_grad=True)
    for ours, theirs in zip(F.split(x, [2, 5]), np.split(x.data, [2, 5])):
        np.testing.assert_array_equal(ours.data, theirs)
    assert [p.shape for p in F.array_split(x, 3)] == [(4,), (3,), (3,)]
    with pytest.raises(ValueError, match="split: axis 0 of size 10 does not divide into 3"):
        F.split(x, 3)


EINSUMS = ["ij,jk->ik", "bij,bjk->bik", "ii", "ii->i", "ij", "ij->", "i,i", "i,j->ij",
           "...ij,...jk", "bii->b", "iij->j", "ij,ij->ij", "ijk,k->ij", "i,i,i->"]


@pytest.mark.parametrize("subscripts", EINSUMS)
def test_einsum_any_numpy_subscripts_first_and_second_order(subscripts):
    rng = np.random.default_rng(abs(hash(subscripts)) % 2**32)
    size = {c: 2 + i % 2 for i, c in enumerate("bijk")}
    inputs = subscripts.split("->")[0].split(",")
    shapes_ = [tuple(size[c] for c in spec.replace("...", "b")) for spec in inputs]
    if "..." in subscripts:
        shapes_[1] = shapes_[1][1:]  # ellipsis broadcasting: one operand without the batch
    xs = [Tensor(rng.normal(size=s), requires_grad=True) for s in shapes_]
    np.testing.assert_allclose(F.einsum(subscripts, *xs).data,
                               np.einsum(subscripts, *[x.data for x in xs]), rtol=1e-12)
    assert gradcheck(lambda *t: F.einsum(subscripts, *t), xs)
    assert gradgradcheck(lambda *t: F.einsum(subscripts, *t), xs)


def test_einsum_takes_numpys_sublist_form():
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=(2, 3)), rng.normal(size=(4, 3, 2))
    x, y = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    calls = [lambda f, p, q: f(p, [0, 1], q, [Ellipsis, 1, 0], [Ellipsis]),
             lambda f, p, q: f(p, [0, 1], q, [2, 1, 0])]
    for call in calls:
        np.testing.assert_allclose(call(np.einsum, x, y).data, call(np.einsum, a, b))
        assert gradgradcheck(lambda p, q, call=call: call(F.einsum, p, q), (x, y))


def test_einsum_refuses_bad_subscripts_naming_them():
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"einsum: subscripts 'ijk'.* needs 2 letters"):
        F.einsum("ijk", x)
    with pytest.raises(ValueError, match=r"einsum: subscripts 'ij,ij'.* letter 'j'"):
        F.einsum("ij,ij", x, Tensor(np.ones((2, 4))))


@pytest.mark.parametrize("a_shape, b_shape", [((), (3,)), ((3,), ()), ((3,), (3,)),
                                              ((2, 3), (3,)), ((2, 3), (3, 4)),
                                              ((2, 2, 3), (3,)), ((2, 2, 3), (4, 3, 2)),
                                              ((3,), (2, 3, 4))])
def test_dot_and_matmul_follow_numpy_for_every_rank(a_shape, b_shape):
    rng = np.random.default_rng(0)
    a = Tensor(rng.normal(size=a_shape), requires_grad=True)
    b = Tensor(rng.normal(size=b_shape), requires_grad=True)
    np.testing.assert_allclose(F.dot(a, b).data, np.dot(a.data, b.data), rtol=1e-12)
    np.testing.assert_allclose(np.dot(a, b).data, np.dot(a.data, b.data), rtol=1e-12)
    assert gradcheck(F.dot, (a, b)) and gradgradcheck(F.dot, (a, b))
    if a.ndim and b.ndim:
        try:
            expected = a.data @ b.data
        except ValueError:
            with pytest.raises(ValueError, match="matmul: .* cannot be broadcast"):
                a @ b
        else:
            np.testing.assert_allclose((a @ b).data, expected, rtol=1e-12)
    else:
        with pytest.raises(ValueError, match="matmul: operands must be at least 1-d"):
            a @ b


def test_creation_functions_follow_numpy_and_the_seed():
    np.testing.assert_array_equal(ag.eye(3, 4, 1).data, np.eye(3, 4, 1))
    np.testing.assert_allclose(ag.linspace(0, 1, 5).data, np.linspace(0, 1, 5))
    np.testing.assert_allclose(ag.logspace(0, 2, 3).data, [1.0, 10.0, 100.0])
    assert ag.empty(2, 3).shape == (2, 3) and ag.empty_like(ag.eye(2)).shape == (2, 2)
    for factory in (lambda: ag.randint(0, 5, (4,)), lambda: ag.normal(1.0, 2.0, (3,)),
                    lambda: ag.uniform(-1, 1, 3), lambda: ag.rand_like(ag.eye(2))):
        ag.manual_seed(7)
        first = factory().data
        ag.manual_seed(7)
        np.testing.assert_array_equal(factory().data, first)
    assert ag.randint(3, size=100).data.max() < 3
    assert ag.uniform(2, 3, 100).data.min() >= 2
    with pytest.raises(ValueError, match="randint: high"):
        ag.randint(3, 3)


# numpy's name, the call with a Tensor, minimum ndim
NUMPY_NAMES = [
    (np.sum, lambda f, t: f(t, axis=0, out=None, dtype=None)),
    (np.mean, lambda f, t: f(t, axis=-1, keepdims=True)),
    (np.concatenate, lambda f, t: f([t, t], axis=0)),
    (np.ravel, lambda f, t: f(t)),
    (np.split, lambda f, t: f(t, [1], axis=1)[1]),
    (np.array_split, lambda f, t: f(t, 3, 1)[0]),
    (np.tril, lambda f, t: f(t)),
    (np.triu, lambda f, t: f(t, k=1)),
    (np.flip, lambda f, t: f(t, 0)),
    (np.roll, lambda f, t: f(t, 1, axis=1)),
    (np.diagonal, lambda f, t: f(t)),
    (np.diag, lambda f, t: f(t)),
    (np.trace, lambda f, t: f(t)),
    (np.repeat, lambda f, t: f(t, 2, axis=0)),
    (np.tile, lambda f, t: f(t, 2)),
    (np.pad, lambda f, t: f(t, 1, mode="reflect")),
    (np.take, lambda f, t: f(t, [0, 3])),
    (np.take_along_axis, lambda f, t: f(t, np.array([[1], [0]]), 1)),
    (np.sort, lambda f, t: f(t, axis=1)),
    (np.einsum, lambda f, t: f("ij,kj->ik", t, t)),
    (np.tensordot, lambda f, t: f(t, t, axes=([1], [1]))),
    (np.outer, lambda f, t: f(t, t)),
    (np.kron, lambda f, t: f(t, t)),
    (np.atleast_1d, lambda f, t: f(t[0, 0])),
    (np.atleast_2d, lambda f, t: f(t[0])),
    (np.atleast_3d, lambda f, t: f(t)),
    (np.vstack, lambda f, t: f([t, t])),
    (np.hstack, lambda f, t: f([t, t])),
    (np.dstack, lambda f, t: f([t, t])),
    (np.column_stack, lambda f, t: f([t, t])),
    (np.diff, lambda f, t: f(t, axis=0)),
    (np.dot, lambda f, t: f(t, t.T)),
    (np.deg2rad, lambda f, t: f(t)),
    (np.rad2deg, lambda f, t: f(t)),
    (np.meshgrid, lambda f, t: f(t[0], t[1], indexing="ij")[0]),
    (np.stack, lambda f, t: f([t, t], axis=-1)),
    (np.max, lambda f, t: f(t, axis=1)),
    (np.amax, lambda f, t: f(t)),
    (np.min, lambda f, t: f(t, 0, keepdims=True)),
    (np.amin, lambda f, t: f(t)),
    (np.var, lambda f, t: f(t, ddof=1)),
    (np.std, lambda f, t: f(t, axis=0)),
    (np.where, lambda f, t: f(np.array([True, False, True]), t, -t)),
    (np.reshape, lambda f, t: f(t, (3, 2))),
    (np.transpose, lambda f, t: f(t)),
    (np.squeeze, lambda f, t: f(t[:1])),
    (np.expand_dims, lambda f, t: f(t, 1)),
    (np.swapaxes, lambda f, t: f(t, 0, 1)),
    (np.clip, lambda f, t: f(t, -1.0, 1.0)),
    (np.broadcast_to, lambda f, t: f(t, (2, 2, 3))),
    (np.argsort, lambda f, t: f(t, axis=0).astype(float) * t),
    (np.zeros_like, lambda f, t: f(t) + t),
    (np.ones_like, lambda f, t: f(t) * t),
    (np.empty_like, lambda f, t: f(t) * 0 + t),
    # surface-math (issue 15, items 1 and 2)
    (np.prod, lambda f, t: f(t, axis=0)),
    (np.median, lambda f, t: f(t, axis=1, keepdims=True)),
    (np.cumsum, lambda f, t: f(t, axis=1)),
    (np.cumprod, lambda f, t: f(t, axis=-1)),
    (np.argmax, lambda f, t: f(t, axis=0).astype(float) * t),
    (np.argmin, lambda f, t: f(t, axis=1, keepdims=True).astype(float) * t),
    (np.any, lambda f, t: f(t > 1, axis=0) * t),
    (np.all, lambda f, t: f(t > -1, axis=1, keepdims=True) * t),
    (np.round, lambda f, t: f(t * 0.9) + t),  # 0.9·t: no element at a half
    (np.nan_to_num, lambda f, t: f(t)),
    (np.isclose, lambda f, t: f(t, 0.5) * t),
]


@pytest.mark.parametrize("func, call", NUMPY_NAMES, ids=[f.__name__ for f, _ in NUMPY_NAMES])
def test_numpy_names_keep_the_graph(func, call):
    data = np.array([[1.25, -2.0, 0.5], [3.0, 0.25, -1.5]])  # no ties, away from clip's kinks
    t = Tensor(data, requires_grad=True)
    out = call(func, t)
    assert isinstance(out, Tensor) and out.requires_grad, func.__name__
    np.testing.assert_allclose(out.data, call(func, data), rtol=1e-12)
    assert gradcheck(lambda x: call(func, x), (t,))


def test_numpy_names_cover_every_function_tracegrad_answers_for():
    covered = {func for func, _ in NUMPY_NAMES}
    missing = [f.__name__ for f in F.ARRAY_FUNCTIONS if f not in covered]
    assert not missing, f"numpy functions without a row in NUMPY_NAMES: {missing}"


@pytest.mark.parametrize("ufunc", sorted(F.UFUNCS, key=lambda u: u.__name__),
                         ids=lambda u: u.__name__)
def test_numpy_ufuncs_on_tensors_give_tensors_with_numpys_values(ufunc):
    data = [np.array([1.25, 1.5, 1.75]), np.array([1.5, 1.125, 1.25])][:ufunc.nin]
    if "f" not in "".join(ufunc.types):  # bitwise: integers only
        data = [(a * 4).astype(np.int64) for a in data]
    tensors_ = [Tensor(a, requires_grad=a.dtype.kind == "f") for a in data]
    with np.errstate(all="ignore"):
        out = ufunc(*tensors_)
        expected = ufunc(*data)
    assert isinstance(out, Tensor), ufunc.__name__
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, equal_nan=True)
    assert out.requires_grad == (np.asarray(expected).dtype.kind == "f")


def test_numpy_functions_without_an_operator_name_themselves():
    t = Tensor([3.0, 4.0], requires_grad=True)
    # np.cumsum has an operator since issue 15 (surface-math); np.ediff1d does not
    with pytest.raises(TypeError, match=r"np.ediff1d is not differentiable"):
        np.ediff1d(t)
    with pytest.raises(TypeError, match=r"^np.put_along_axis writes into its argument"):
        np.put_along_axis(t, np.array([0]), 1.0, 0)
    with pytest.raises(TypeError, match=r"np.sum on Tensors runs autograd.sum, which does "
                                        r"not take dtype"):
        np.sum(t, dtype=np.float32)


def test_numpy_sum_accepts_numpy_default_arguments():
    t = Tensor([1.0, 2.0], requires_grad=True)
    np.sum(t, axis=None, dtype=None, out=None).backward()
    np.testing.assert_array_equal(t.grad.data, [1.0, 1.0])


# -- PyTorch: recorded references (CI) and live torch (when installed) ------------------

REFERENCE = json.loads((Path(__file__).parent / "shape_reference.json").read_text())


def _ours(name):
    _, ours, _ = CASES[name]
    x = Tensor(inputs(name), requires_grad=True)
    out = ours(x)
    (out * Tensor(upstream(out.shape, name))).sum().backward()
    return out.data, x.grad.data


def test_recorded_torch_reference_covers_every_case():
    assert sorted(REFERENCE["cases"]) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_shape_functions_match_recorded_torch(name):
    out, grad = _ours(name)
    expected = REFERENCE["cases"][name]
    assert list(out.shape) == expected["shape"]
    np.testing.assert_allclose(out, expected["out"], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(grad, expected["grad"], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(CASES))
def test_shape_functions_match_live_torch(name):
    torch = pytest.importorskip("torch")
    out, grad = _ours(name)
    _, _, theirs = CASES[name]
    x = torch.tensor(inputs(name), dtype=torch.float64, requires_grad=True)
    expected = theirs(torch, x)
    (expected * torch.tensor(upstream(tuple(expected.shape), name))).sum().backward()
    np.testing.assert_allclose(out, expected.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(grad, x.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_tensor_methods_follow_numpys_ndarray_methods():
    a = np.arange(24.0).reshape(2, 3, 4) * 0.5 - 3
    t = Tensor(a, requires_grad=True)
    pairs = [
        (t.flatten(), a.flatten()),
        (t.flatten(1), a.reshape(2, 12)),
        (t.unflatten(-1, (2, 2)), a.reshape(2, 3, 2, 2)),
        (t.ravel(), a.ravel()),
        (t.repeat(2, axis=1), a.repeat(2, axis=1)),
        (t.take([0, 5, 5]), a.take([0, 5, 5])),
        (t.diagonal(0, 1, 2), a.diagonal(0, 1, 2)),
        (t.trace(axis1=1, axis2=2), a.trace(axis1=1, axis2=2)),
        (t.argsort(axis=0), a.argsort(axis=0, kind="stable")),
        (t.masked_fill(a > 0, 0.0), np.where(a > 0, 0.0, a)),
    ]
    for ours, theirs in pairs:
        np.testing.assert_array_equal(ours.data, theirs)
    assert not t.argsort().requires_grad
    assert gradcheck(lambda x: x.repeat(2, axis=1).trace(axis1=1, axis2=2), (t,))


def test_bad_arguments_name_the_function():
    x = Tensor(np.ones((2, 3)))
    for call, error, message in [
        (lambda: F.tril(Tensor([1.0])), ValueError, r"tril: needs at least 2 dimensions"),
        (lambda: F.flatten(x, 1, 0), ValueError, r"flatten: start_axis 1 comes after"),
        (lambda: F.unflatten(x, 1, (2, 2)), ValueError, r"unflatten: sizes \(2, 2\)"),
        (lambda: F.pad(x, 1, "circular"), ValueError, r"pad: mode 'circular'"),
        (lambda: F.take(x, [0.5]), TypeError, r"take: indices must be integers"),
        (lambda: F.take_along_axis(x, [0, 1], 1), ValueError, r"take_along_axis: indices"),
        (lambda: F.topk(x, 4), ValueError, r"topk: k = 4 is out of range"),
        (lambda: F.tensordot(x, x, 1), ValueError, r"tensordot: axes 1 do not pair"),
        (lambda: F.diff(Tensor(1.0)), ValueError, r"diff: needs at least 1 dimension"),
        (lambda: F.meshgrid(x, indexing="xz"), ValueError, r"meshgrid: indexing"),
        (lambda: F.einsum(3, x), TypeError, r"einsum: expects subscripts like 'ij,jk->ik'"),
        (lambda: ag.eye(-1), ValueError, r"eye: sizes must be >= 0"),
    ]:
        with pytest.raises(error, match=message):
            call()
