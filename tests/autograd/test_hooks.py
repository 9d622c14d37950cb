"""Tensor.register_hook and retain_grad, with PyTorch's semantics.

A hook sees the gradient flowing into a variable (a Tensor, or a float for a Scalar) and
may return a replacement; retain_grad keeps a non-leaf's gradient in .grad, after every
hook has had its say.
"""

import gc
import weakref

import numpy as np
import pytest

from autograd import Scalar, Tensor, grad


def leaf(values):
    return Tensor(values, requires_grad=True)


# -- register_hook ------------------------------------------------------------------------


def test_leaf_hook_can_replace_the_gradient_accumulated_into_grad():
    v = leaf([0.0, 0.0, 0.0])
    v.register_hook(lambda g: g * 2)
    v.backward(Tensor([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(v.grad.data, [2.0, 4.0, 6.0])


def test_hook_receives_a_tensor_even_for_a_zero_dimensional_gradient():
    seen = []
    x = leaf(2.0)
    h = x * 3
    h.register_hook(lambda g: seen.append(g))
    x2 = leaf([1.0, 2.0])
    x2.register_hook(lambda g: seen.append(g))
    (h * h).backward()
    (x2 * x2).sum().backward()
    assert [type(g) for g in seen] == [Tensor, Tensor]
    assert seen[0].item() == 12.0  # ∂h²/∂h = 2h = 12


def test_non_leaf_hook_replacement_flows_on_to_the_inputs():
    x = leaf([1.0, 2.0])
    h = x * 2
    h.register_hook(lambda g: g * 100)
    h.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [200.0, 200.0])


def test_non_leaf_hook_runs_once_with_the_total_of_all_uses():
    x = leaf(1.0)
    h = x * 2
    seen = []
    h.register_hook(lambda g: seen.append(g.item()))
    (h * 3 + h * 4).backward()
    assert seen == [7.0]


def test_hook_returning_none_observes_without_changing():
    x = leaf([1.0, 2.0])
    seen = []
    x.register_hook(lambda g: seen.append(g.data.copy()))
    (x * x).sum().backward()
    np.testing.assert_array_equal(seen[0], [2.0, 4.0])
    np.testing.assert_array_equal(x.grad.data, [2.0, 4.0])


def test_hooks_run_in_registration_order_each_seeing_the_previous_result():
    x = leaf(1.0)
    h = x * 1
    order = []
    h.register_hook(lambda g: (order.append(("first", g.item())), g + 1)[1])
    h.register_hook(lambda g: (order.append(("second", g.item())), g * 10)[1])
    h.backward()
    assert order == [("first", 1.0), ("second", 2.0)]
    assert x.grad.item() == 20.0


def test_removed_hook_no_longer_runs():
    x = leaf(1.0)
    calls = []
    handle = x.register_hook(lambda g: calls.append(1))
    (x * 2).backward()
    handle.remove()
    handle.remove()  # removing twice is harmless
    (x * 2).backward()
    assert calls == [1]


def test_hooks_run_on_every_backward_through_a_retained_graph():
    x = leaf(1.0)
    h = x * 2
    calls = []
    h.register_hook(lambda g: calls.append(g.item()))
    y = h * 5
    y.backward(retain_graph=True)
    y.backward()
    assert calls == [5.0, 5.0]


def test_hook_returning_the_wrong_shape_raises_value_error_with_both_shapes():
    x = leaf([1.0, 2.0])
    h = x * 2

    def widen(g):
        return np.ones(3)

    h.register_hook(widen)
    with pytest.raises(ValueError, match=r"'widen'.*\(3,\).*\(2,\)"):
        h.sum().backward()


def test_register_hook_on_a_tensor_without_grad_or_with_a_non_callable_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0]).register_hook(lambda g: g)
    with pytest.raises(TypeError, match="callable"):
        leaf([1.0]).register_hook("not a function")


def test_scalar_hooks_get_and_may_return_floats():
    a = Scalar(2.0)
    b = a * 3
    seen = []
    b.register_hook(lambda g: (seen.append(g), g * 10)[1])
    (b * b).backward()
    assert seen == [12.0] and type(seen[0]) is float
    assert a.grad == 360.0  # 2b · 10 · 3


def test_leaf_hook_runs_once_with_the_total_of_all_uses():
    # x * x sends two partial gradients to x; PyTorch's hook sees their sum, once.
    x = leaf(3.0)
    seen = []
    x.register_hook(lambda g: (seen.append(g.item()), g.clip(-1.0, 1.0))[1])
    (x * x).backward()
    assert seen == [6.0]
    assert x.grad.item() == 1.0  # the clipped total, not two clipped halves (2.0)


def test_hook_under_create_graph_returns_a_differentiable_replacement():
    x = leaf(2.0)
    h = x * x
    seen = []
    handle = h.register_hook(lambda g: (seen.append(type(g)), g * h)[1])  # depends on x
    (g,) = grad(h * 3, x, create_graph=True)
    assert seen == [Tensor]
    assert g.item() == 48.0  # (3 · h) · 2x with h = x²: 6x³
    handle.remove()  # otherwise it would also act on the second-order pass through h
    (g2,) = grad(g, x)
    assert g2.item() == 72.0  # 18x²


# -- retain_grad ----------------------------------------------------------------------


def test_non_leaf_grad_is_none_unless_retained():
    x = leaf([1.0, 2.0])
    h, k = x * 2, x * 3
    h.retain_grad()
    (h * h + k).sum().backward()
    np.testing.assert_array_equal(h.grad.data, 2 * h.data)
    with pytest.warns(UserWarning, match="not a leaf"):
        assert k.grad is None


def test_retained_gradient_accumulates_like_a_leaf_gradient():
    x = leaf(1.0)
    h = x * 2
    h.retain_grad()
    y = h * 5
    y.backward(retain_graph=True)
    y.backward()
    assert h.grad.item() == 10.0


def test_retain_grad_twice_stores_the_gradient_once():
    x = leaf(1.0)
    h = x * 2
    h.retain_grad()
    h.retain_grad()
    (h * 5).backward()
    assert h.grad.item() == 5.0


def test_retained_gradient_shows_every_hook_whenever_it_was_registered():
    # PyTorch: retain_grad's hook always runs last among a tensor's hooks.
    x = leaf(1.0)
    b = x * 1
    b.register_hook(lambda g: g * 2)
    b.retain_grad()
    b.register_hook(lambda g: g * 2)
    (b * 1).backward()
    assert b.grad.item() == 4.0
    c = x * 1
    c.retain_grad()
    c.register_hook(lambda g: g * 2)
    (c * 1).backward()
    assert c.grad.item() == 2.0


def test_retain_grad_on_a_leaf_is_a_no_op_and_on_a_constant_raises():
    x = leaf([1.0])
    x.retain_grad()
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0])
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0]).retain_grad()


def test_retain_grad_on_scalars():
    a = Scalar(3.0)
    b = a * a
    b.retain_grad()
    (b * 2).backward()
    assert b.grad == 2.0 and a.grad == 12.0


def test_retain_grad_does_not_keep_the_tensor_alive():
    # The hook holds a weak reference: graph and tensor die by reference counting.
    gc.disable()
    try:
        x = leaf([1.0, 2.0])
        h = x * 2
        h.retain_grad()
        alive = weakref.ref(h)
        del h
        assert alive() is None
    finally:
        gc.enable()
