"""backward() keeps PyTorch's promises: accumulation, released graphs, non-leaf grads,
unused inputs, seeds, create_graph, grad mode, and no recursion anywhere."""

import gc
import threading
import weakref

import numpy as np
import pytest

import autograd as ag
from autograd import Scalar, Tensor


def leaf(values):
    return Tensor(np.asarray(values, dtype=float), requires_grad=True)


def test_leaf_gradients_accumulate_across_backward_calls():
    a = leaf([1.0, 2.0])
    (2 * a).sum().backward()
    (2 * a).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [4.0, 4.0])


def test_retain_graph_allows_a_second_backward_that_accumulates():
    x = leaf(2.0)
    y = x * x
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.item() == 8.0


def test_second_backward_through_a_released_graph_names_the_operator_and_retain_graph():
    x = leaf([1.0, 2.0])
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=r"retain_graph=True") as info:
        y.backward()
    assert "'mul'" in str(info.value) or "'exp'" in str(info.value)


def test_saved_values_are_released_after_backward():
    x = leaf([1.0, 2.0])
    y = x.exp()
    loss = y.sum()
    loss.backward()
    assert y.grad_fn.saved is None


def test_operators_that_save_nothing_can_backward_twice_like_pytorch():
    x = leaf([1.0, 2.0])
    y = (x + 1).sum()
    y.backward()
    y.backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0])


def test_intermediate_gradients_are_not_kept_unless_retained():
    x = leaf([1.0, 2.0])
    h = x * 3
    kept = x * 5
    kept.retain_grad()
    (h.sum() + kept.sum()).backward()
    with pytest.warns(UserWarning, match="not a leaf"):
        assert h.grad is None
    np.testing.assert_array_equal(kept.grad.data, [1.0, 1.0])


def test_gradient_of_an_unused_input_stays_none():
    x, unused = leaf([1.0]), leaf([2.0])
    (x * 2).sum().backward()
    assert unused.grad is None


def test_backward_on_a_non_scalar_output_needs_a_gradient():
    x = leaf([1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError, match=r"shape \(3,\).*\.sum\(\)\.backward\(\)"):
        (x * 2).backward()


def test_one_element_outputs_of_any_rank_seed_with_one():
    x = leaf([[3.0]])
    (x * x).backward()
    assert x.grad.item() == 6.0


def test_explicit_gradient_weights_the_backward_pass():
    x = leaf([1.0, 2.0, 3.0])
    (x * x).backward(np.array([1.0, 0.0, 2.0]))
    np.testing.assert_array_equal(x.grad.data, [2.0, 0.0, 12.0])


def test_a_gradient_of_the_wrong_shape_is_refused():
    x = leaf([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"\(4,\).*\(3,\)"):
        (x * 2).backward(np.ones(4))


def test_backward_through_a_result_made_under_no_grad_raises():
    x = leaf([1.0])
    with ag.no_grad():
        y = (x * 2).sum()
    assert y.grad_fn is None and not y.requires_grad
    with pytest.raises(RuntimeError, match="no_grad"):
        y.backward()


def test_no_grad_builds_no_nodes_and_enable_grad_restores_recording():
    x = leaf([1.0])
    with ag.no_grad():
        assert (x * 2).grad_fn is None
        with ag.enable_grad():
            assert (x * 2).grad_fn is not None
    assert (x * 2).grad_fn is not None


def test_no_grad_works_as_a_decorator():
    @ag.no_grad()
    def double(t):
        return t * 2

    assert double(leaf([1.0])).grad_fn is None
    assert ag.is_grad_enabled()


def test_grad_mode_is_thread_local():
    seen = {}
    inside = threading.Barrier(2)
    done = threading.Barrier(2)

    def other_thread():
        inside.wait()
        seen["enabled"] = ag.is_grad_enabled()
        seen["records"] = (leaf([1.0]) * 2).grad_fn is not None
        done.wait()

    thread = threading.Thread(target=other_thread)
    thread.start()
    with ag.no_grad():
        inside.wait()
        done.wait()
    thread.join()
    assert seen == {"enabled": True, "records": True}


def test_detach_shares_data_but_leaves_the_graph():
    x = leaf([1.0, 2.0])
    d = (x * 2).detach()
    assert d.grad_fn is None and not d.requires_grad
    y = x * 1
    assert np.shares_memory(y.detach().data, y.data)


def test_requires_grad_on_integer_data_is_a_type_error():
    with pytest.raises(TypeError, match="int64"):
        Tensor(np.array([1, 2, 3]), requires_grad=True)
    with pytest.raises(TypeError, match="bool"):
        Tensor(np.array([True]), requires_grad=True)


def test_diamond_gradients_add_up_and_each_node_runs_once():
    x = leaf(1.0)
    y = x
    for _ in range(60):  # y = y + y: 2**60 paths, linear work
        y = y + y
    y.backward()
    assert x.grad.item() == 2.0**60


def test_fan_out_sums_every_use():
    x = leaf(2.0)
    total = x * 0
    for _ in range(1000):
        total = total + x * x
    total.backward()
    assert x.grad.item() == pytest.approx(1000 * 4.0)


def test_duplicate_inputs():
    x = leaf(3.0)
    (x * x).backward()
    assert x.grad.item() == 6.0
    (gx1, gx2) = ag.grad((x * x), [x, x])
    assert gx1.item() == gx2.item() == 6.0


def test_create_graph_gives_higher_derivatives():
    x = leaf(2.0)
    y = x**3
    (dy,) = ag.grad(y, x, create_graph=True)
    assert dy.item() == 12.0 and dy.grad_fn is not None
    (d2y,) = ag.grad(dy, x)
    assert d2y.item() == 12.0


def test_backward_with_create_graph_leaves_a_differentiable_grad():
    x = leaf([1.0, 2.0])
    (x**3).sum().backward(create_graph=True)
    assert x.grad.grad_fn is not None
    g = x.grad
    x.grad = None
    g.sum().backward()
    np.testing.assert_allclose(x.grad.data, [6.0, 12.0])


def test_backward_without_create_graph_builds_no_nodes():
    x = leaf([1.0, 2.0])
    (x.tanh() * x).sum().backward()
    assert x.grad.grad_fn is None and not x.grad.requires_grad


def test_grad_leaves_dot_grad_untouched_and_refuses_unused_inputs():
    x, y = leaf([1.0, 2.0]), leaf([3.0])
    out = (x * x).sum()
    (gx,) = ag.grad(out, x, retain_graph=True)
    np.testing.assert_array_equal(gx.data, [2.0, 4.0])
    assert x.grad is None
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        ag.grad(out, [x, y], retain_graph=True)
    assert ag.grad(out, [x, y], allow_unused=True, retain_graph=True)[1] is None
    zeros = ag.grad(out, [x, y], materialize_grads=True)[1]
    np.testing.assert_array_equal(zeros.data, [0.0])


def test_gradients_never_share_memory():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    seed = np.ones(2)
    (a + b).backward(seed)
    assert not np.shares_memory(a.grad.data, b.grad.data)
    assert not np.shares_memory(a.grad.data, seed)
    a.grad.data += 1
    np.testing.assert_array_equal(b.grad.data, [1.0, 1.0])


def test_float32_leaf_in_a_float64_graph_gets_a_float32_gradient():
    x = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    y = (x * np.ones(3)).sum()
    assert y.dtype == np.float64
    y.backward()
    assert x.grad.dtype == np.float32


def test_float32_is_kept_through_python_scalars():
    x = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    y = ((x * 2.5 + 1) / 3.0) ** 2
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_graphs_are_freed_by_reference_counting_alone():
    gc.disable()
    try:
        x = leaf([1.0, 2.0])
        h = x.exp()
        probe = weakref.ref(h)
        out = (h * 2).sum()
        del h
        assert probe() is not None  # the graph holds it
        out.backward()
        del out
        assert probe() is None
    finally:
        gc.enable()


def test_a_million_node_scalar_chain_needs_no_recursion():
    x = Scalar(1.0)
    y = x
    for _ in range(500_000):
        y = y * 1.0000001 + 0.0
    y.backward()
    assert x.grad == pytest.approx(1.0000001**500_000, rel=1e-9)
    del y


def test_a_hundred_thousand_node_tensor_chain_needs_no_recursion():
    x = leaf(np.ones(4))
    y = x
    for _ in range(50_000):
        y = y * 1.0001 + 0.001
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, np.full(4, 1.0001**50_000), rtol=1e-9)
    del y


def test_mixing_scalar_and_tensor_is_a_clear_type_error():
    with pytest.raises(TypeError, match="Scalar and Tensor"):
        Tensor([1.0]) * Scalar(2.0)
    with pytest.raises(TypeError, match="Tensor and Scalar"):
        Scalar(2.0) * Tensor([1.0])


def test_hooks_see_and_replace_gradients():
    x = leaf([1.0, 2.0])
    h = x * 2
    seen = []
    h.register_hook(lambda g: seen.append(g.copy()))
    x.register_hook(lambda g: g * 10)
    h.sum().backward()
    np.testing.assert_array_equal(seen[0], [1.0, 1.0])
    np.testing.assert_array_equal(x.grad.data, [20.0, 20.0])


def test_topological_order_is_deterministic_and_puts_consumers_first():
    a, b = leaf(1.0), leaf(2.0)
    c = a * b
    d = c + a
    e = d.exp()
    order = [n.op.name for n in ag.topological_order([e.grad_fn])]
    assert order == ["exp", "add", "mul"]


def test_backward_skips_the_gradient_of_a_constant_operand():
    data = Tensor(np.ones((2, 3)))
    weight = Tensor(np.ones((3, 4)), requires_grad=True)
    product = data @ weight
    grad_data, grad_weight = product.grad_fn.op.backward(product.grad_fn, np.ones((2, 4)))
    assert grad_data is None and grad_weight.shape == (3, 4)
    scaled = weight * data.sum()
    assert scaled.grad_fn.op.backward(scaled.grad_fn, np.ones((3, 4)))[1] is None


def test_the_cyclic_collector_is_back_on_after_backward():
    x = leaf([1.0])
    (x * 2).sum().backward()
    assert gc.isenabled()
    gc.disable()
    try:
        (x * 2).sum().backward()
        assert not gc.isenabled()  # a caller's choice is kept
    finally:
        gc.enable()


def test_leaf_gradients_are_c_ordered_copies():
    x = Tensor(np.ones((5, 3)))
    weight = Tensor(np.ones((4, 3)), requires_grad=True)
    (x @ weight.T).sum().backward()
    assert weight.grad.data.flags.c_contiguous
