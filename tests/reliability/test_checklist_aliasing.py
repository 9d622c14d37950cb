"""RELIABILITY §4 D: memory layout and aliasing — non-contiguous inputs, copies on
construction, gradients that never alias, version counters (D6) and in-place safety (D7)."""

import numpy as np
import pytest

import autograd as ag
from autograd import Tensor


def leaf(values, name=None):
    return Tensor(np.asarray(values, dtype=np.float64), requires_grad=True, name=name)


# -- D1 non-contiguous inputs -----------------------------------------------------------

BASE = np.arange(1.0, 25.0).reshape(4, 6) / 10

LAYOUTS = {
    "transposed": BASE.T,
    "strided": BASE[::2, ::-1],
    "fortran": np.asfortranarray(BASE),
}

OPS = {
    "exp": lambda t: t.exp(),
    "tanh": lambda t: t.tanh(),
    "log": lambda t: t.log(),
    "mul_broadcast": lambda t: t * t[:1],
    "matmul": lambda t: t @ t.T,
    "sum_axis0": lambda t: t.sum(axis=0),
    "max_axis1": lambda t: t.max(axis=1),
    "softmax": lambda t: t.softmax(axis=0),
    "var": lambda t: t.var(axis=1),
    "reshape": lambda t: t.reshape(-1),
    "getitem": lambda t: t[np.array([0, 1, 0])],
}


@pytest.mark.parametrize("op", OPS, ids=list(OPS))
@pytest.mark.parametrize("layout", LAYOUTS, ids=list(LAYOUTS))
def test_D1_non_contiguous_inputs_give_the_same_values_and_gradients(op, layout):
    array = LAYOUTS[layout]
    assert not array.flags.c_contiguous
    fn = OPS[op]
    strided, contiguous = leaf(array), leaf(np.ascontiguousarray(array))
    out_s, out_c = fn(strided), fn(contiguous)
    g = np.random.default_rng(0).standard_normal(out_s.shape)
    out_s.backward(g)
    out_c.backward(g)
    np.testing.assert_array_equal(out_s.data, out_c.data)
    np.testing.assert_allclose(strided.grad.data, contiguous.grad.data, rtol=1e-13)


def test_D1_a_view_passed_through_numpy_interop_keeps_working():
    x = leaf(BASE)
    np.exp(x.T).sum().backward()
    np.testing.assert_allclose(x.grad.data, np.exp(BASE))


# -- D2-D4 construction copies ----------------------------------------------------------


def test_D2_a_read_only_broadcast_view_is_copied_into_a_writable_owner():
    view = np.broadcast_to(np.arange(3.0), (2, 3))
    assert not view.flags.writeable
    t = Tensor(view)
    assert t.data.flags.writeable and t.data.flags.owndata
    assert not np.shares_memory(t.data, view)
    with ag.no_grad():
        t[0, 0] = 7.0  # writing to one element touches only that element
    np.testing.assert_array_equal(t.data, [[7.0, 1.0, 2.0], [0.0, 1.0, 2.0]])


def test_D3_overlapping_as_strided_memory_is_copied_on_construction():
    base = np.arange(4.0)
    overlapping = np.lib.stride_tricks.as_strided(base, shape=(3, 2), strides=(8, 8))
    t = Tensor(overlapping)
    assert not np.shares_memory(t.data, base)
    with ag.no_grad():
        t[0, 1] = 100.0  # in the view, [0, 1] and [1, 0] are the same memory
    assert t.data[1, 0] == 1.0 and base[1] == 1.0


def test_D4_mutating_the_source_array_afterwards_does_not_change_the_tensor():
    source = np.array([1.0, 2.0])
    t = Tensor(source)
    source[0] = 99.0
    np.testing.assert_array_equal(t.data, [1.0, 2.0])


def test_D4_from_numpy_is_the_documented_way_to_share_memory():
    source = np.array([1.0, 2.0])
    shared = ag.from_numpy(source)
    source[0] = 99.0
    assert shared.data[0] == 99.0


# -- D5 gradients never alias -----------------------------------------------------------


def _no_two_share(*arrays):
    return not any(np.shares_memory(a, b) for i, a in enumerate(arrays) for b in arrays[i + 1:])


def test_D5_add_gives_its_two_inputs_independent_gradients():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    seed = np.ones(2)
    (a + b).backward(seed)
    assert _no_two_share(a.grad.data, b.grad.data, seed, a.data, b.data)
    a.grad.data += 1  # the classic bug: this would also change b.grad
    np.testing.assert_array_equal(b.grad.data, [1.0, 1.0])
    np.testing.assert_array_equal(seed, [1.0, 1.0])


def test_D5_a_leaf_used_as_the_output_does_not_keep_the_callers_grad_array():
    a = leaf([1.0, 2.0])
    seed = np.array([3.0, 4.0])
    a.backward(seed)
    assert not np.shares_memory(a.grad.data, seed)


def test_D5_grad_returns_fresh_arrays_even_for_repeated_inputs():
    x, y = leaf([1.0, 2.0]), leaf([5.0, 6.0])
    seed = np.ones(2)
    gx1, gx2, gy = ag.grad(x + y, [x, x, y], grad_outputs=[seed])
    assert _no_two_share(gx1.data, gx2.data, gy.data, seed)


def test_D5_create_graph_gradients_do_not_alias_each_other_or_the_seed():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    seed = Tensor([1.0, 1.0])
    (a + b).backward(seed, create_graph=True)
    assert a.grad is not b.grad and a.grad is not seed
    assert _no_two_share(a.grad.data, b.grad.data, seed.data)
    ga, gb = ag.grad(a * 1 + b, [a, b], grad_outputs=[seed], create_graph=True)
    assert _no_two_share(ga.data, gb.data, seed.data)


def test_D5_a_retained_intermediate_gradient_is_its_own_array():
    x = leaf([1.0, 2.0])
    h = x + 0
    h.retain_grad()
    seed = np.ones(2)
    h.backward(seed)
    assert _no_two_share(h.grad.data, x.grad.data, seed)


# -- D6 version counter -----------------------------------------------------------------


def test_D6_every_in_place_change_bumps_the_version():
    t = Tensor([1.0, 2.0, 3.0])
    versions = [t._version]
    t.data = np.zeros(3)
    versions.append(t._version)
    t[0] = 1.0
    versions.append(t._version)
    t.zero_()
    versions.append(t._version)
    t += 1
    t -= 1
    t *= 2
    t /= 2
    t **= 2
    versions.append(t._version)
    assert versions == [0, 1, 2, 3, 8]


def test_D6_an_optimiser_style_update_bumps_the_version():
    w = leaf([1.0, 2.0])
    with ag.no_grad():
        w -= 0.1 * Tensor([1.0, 1.0])
    assert w._version == 1
    w.data -= 0.1  # ndarray in place, then the .data setter: counted too
    assert w._version == 2
    np.testing.assert_allclose(w.data, [0.8, 1.8])


def test_D6_backward_after_a_saved_input_changed_raises_naming_tensor_op_and_versions():
    x = leaf([1.0, 2.0, 3.0, 4.0])
    h = x * 1
    h.name = "h"
    with ag.no_grad():
        h *= 0.5  # in place under no_grad is allowed: version 1
    y = (h * x).sum()  # h saved by mul at version 1 ...
    with ag.no_grad():
        h += 1  # ... and changed to version 2
    with pytest.raises(RuntimeError) as info:
        y.backward()
    message = str(info.value)
    assert "tensor 'h' (shape (4,), saved by 'mul') was modified in place" in message
    assert "version 2, expected 1" in message and "gradients would be wrong" in message
    assert "no_grad()" in message


def test_D6_a_saved_output_changed_in_place_is_caught_too():
    x = leaf([0.5, 1.0])
    out = x.tanh()  # tanh's backward uses its own output
    with ag.no_grad():
        out[0] = 0.0
    with pytest.raises(RuntimeError, match=r"the output of 'tanh' \(shape \(2,\), saved by "
                                           r"'tanh'\) was modified in place"):
        out.sum().backward()


def test_D6_the_data_setter_between_forward_and_backward_is_caught():
    w = leaf([1.0, 2.0], name="w")
    y = (w * w).sum()
    w.data = np.array([5.0, 5.0])
    with pytest.raises(RuntimeError, match=r"tensor 'w' .*version 1, expected 0"):
        y.backward()


def test_D6_an_optimiser_step_between_forward_and_backward_is_caught():
    w = leaf([1.0, 2.0], name="w")
    loss = (w * w).sum()
    with ag.no_grad():
        w -= 0.1 * Tensor([1.0, 1.0])
    with pytest.raises(RuntimeError, match="tensor 'w'"):
        loss.backward()


def test_D6_changes_through_a_view_are_caught():
    x = leaf(np.arange(1.0, 7.0))
    y = x * 1
    r = y.reshape(2, 3)  # a numpy view of y's memory
    out = (y * y).sum()
    with ag.no_grad():
        r[0, 0] = 100.0
    assert y.data[0] == 100.0 and y._version == r._version == 1
    with pytest.raises(RuntimeError, match="saved by 'mul'"):
        out.backward()


def test_D6_an_unrelated_in_place_change_does_not_trip_backward():
    x = leaf([1.0, 2.0])
    other = Tensor([5.0, 5.0])
    y = (x * x).sum()
    other += 1
    y.backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 4.0])


def test_D6_changes_before_the_forward_pass_are_fine():
    w = leaf([1.0, 2.0])
    with ag.no_grad():
        w *= 2
    (w * w).sum().backward()
    np.testing.assert_array_equal(w.grad.data, [4.0, 8.0])


# -- D7 in place on a leaf that requires grad -------------------------------------------


@pytest.mark.parametrize("op, update", [
    ("+=", lambda w: w.__iadd__(1.0)),
    ("-=", lambda w: w.__isub__(1.0)),
    ("*=", lambda w: w.__imul__(2.0)),
    ("/=", lambda w: w.__itruediv__(2.0)),
    ("**=", lambda w: w.__ipow__(2)),
    ("__setitem__", lambda w: w.__setitem__(0, 5.0)),
    ("zero_", lambda w: w.zero_()),
])
def test_D7_in_place_on_a_leaf_that_requires_grad_raises_naming_it_and_the_fix(op, update):
    w = leaf([1.0, 2.0], name="w")
    with pytest.raises(RuntimeError) as info:
        update(w)
    assert str(info.value) == (f"{op}: in-place operation on leaf tensor 'w' that requires "
                               "grad; wrap the update in no_grad()")
    np.testing.assert_array_equal(w.data, [1.0, 2.0])
    assert w._version == 0


def test_D7_the_same_updates_are_allowed_under_no_grad_and_stay_in_place():
    w = leaf([1.0, 2.0])
    identity = id(w)
    with ag.no_grad():
        w += 1.0
        w *= 2.0
        w[1] = 0.0
    assert id(w) == identity and w.is_leaf and w.requires_grad
    np.testing.assert_array_equal(w.data, [4.0, 0.0])


def test_D7_in_place_arithmetic_on_an_intermediate_is_done_out_of_place():
    x = leaf([1.0, 2.0])
    h = x.exp()
    original = h
    h += 1  # rebinding: a new node, exp's saved output untouched
    assert h is not original and h.grad_fn.op.name == "add"
    np.testing.assert_allclose(original.data, np.exp([1.0, 2.0]))
    (h * h).sum().backward()
    np.testing.assert_allclose(x.grad.data, 2 * (np.exp([1.0, 2.0]) + 1) * np.exp([1.0, 2.0]))


def test_D7_adding_a_tensor_that_requires_grad_to_a_constant_keeps_the_gradient():
    total = Tensor([0.0, 0.0])
    w = leaf([1.0, 2.0])
    total += w * 3  # out of place: total becomes part of the graph
    total.sum().backward()
    np.testing.assert_array_equal(w.grad.data, [3.0, 3.0])


def test_D7_writes_into_an_intermediate_or_of_a_value_that_requires_grad_are_refused():
    x = leaf([1.0, 2.0])
    h = x * 2
    with pytest.raises(RuntimeError, match=r"__setitem__: .*made by 'mul'.*no_grad\(\)"):
        h[0] = 0.0
    buffer = Tensor([0.0, 0.0])
    with pytest.raises(RuntimeError, match=r"__setitem__: the assigned value requires grad"):
        buffer[0] = x[0]


def test_D7_in_place_dtype_and_shape_errors_name_the_operation():
    counts = Tensor(np.array([1, 2]))
    with pytest.raises(TypeError, match=r"^\+=: cannot update a tensor of shape \(2,\) "
                                        r"and dtype int64"):
        counts += 0.5
    small = Tensor([1.0, 2.0])
    with pytest.raises(ValueError, match=r"^\*=: .*shape \(2,\).*shape \(3, 2\)"):
        small *= Tensor(np.ones((3, 2)))
