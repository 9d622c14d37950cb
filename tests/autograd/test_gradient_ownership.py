"""A leaf keeps, without a copy, a gradient that matmul or linear made for it alone; in
every other case .grad is a copy that shares memory with nothing (RELIABILITY D5)."""

import numpy as np

import autograd as ag
from autograd import Tensor
from autograd.ops.linalg import Linear


def _leaf(shape, seed=0):
    return Tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


def test_a_matmul_gradient_becomes_the_leaf_gradient_without_a_copy_and_stays_correct():
    x, w = _leaf((5, 3)), _leaf((3, 4), seed=1)
    (x @ w).sum().backward()
    np.testing.assert_allclose(w.grad.data, x.data.T @ np.ones((5, 4)))
    assert w.grad.data.flags.owndata and w.grad.data.flags.c_contiguous
    (x @ w).sum().backward()  # accumulates in place into the kept array
    np.testing.assert_allclose(w.grad.data, 2 * x.data.T @ np.ones((5, 4)))


def test_the_transposed_weight_of_x_at_w_t_gets_a_c_ordered_gradient():
    x, w = _leaf((5, 3)), _leaf((4, 3), seed=1)
    (x @ w.T).sum().backward()
    assert w.grad.data.flags.c_contiguous
    np.testing.assert_allclose(w.grad.data, np.ones((5, 4)).T @ x.data)


def test_a_leaf_with_a_hook_gets_a_copy_so_the_hooked_array_is_never_changed_later():
    x, w = _leaf((5, 3)), _leaf((3, 4), seed=1)
    seen = []
    w.register_hook(lambda g: seen.append(g))
    (x @ w).sum().backward()
    kept = np.array(seen[0], copy=True)
    assert not np.shares_memory(seen[0], w.grad.data)
    (x @ w).sum().backward()  # in-place accumulation into w.grad
    np.testing.assert_array_equal(seen[0], kept)


def test_one_leaf_used_twice_by_linear_accumulates_both_gradients():
    w = _leaf((3, 3))
    Linear.apply(w, w).sum().backward()  # out = w @ wᵀ
    ones = np.ones((3, 3))
    np.testing.assert_allclose(w.grad.data, ones @ w.data + ones.T @ w.data)


def test_an_array_returned_by_grad_is_not_adopted_by_a_later_backward_seeded_with_it():
    x, w = _leaf((5, 3)), _leaf((3, 4), seed=1)
    (gw,) = ag.grad((x @ w).sum(), [w])
    held = gw.data
    snapshot = held.copy()
    w.backward(held)  # a leaf root: its .grad is the seed, copied
    assert not np.shares_memory(w.grad.data, held)
    w.grad.data[...] += 1
    np.testing.assert_array_equal(held, snapshot)


def test_gradients_of_two_leaves_from_one_add_never_share_memory():
    a, b = _leaf((2, 2)), _leaf((2, 2), seed=1)
    (a + b).sum().backward()
    assert not np.shares_memory(a.grad.data, b.grad.data)


def _doubling_operator(fresh):
    made = []

    class Double(ag.Operator):
        """out = 2x;  grad_x = 2·grad_out (a new array each time)."""

        name = "double"
        fresh_grads = fresh

        @staticmethod
        def forward(ctx, x):
            return 2 * x

        @staticmethod
        def backward(ctx, grad_out):
            made.append(grad_out * 2)
            return made[-1]

    return Double, made


def test_a_leaf_keeps_the_very_array_only_when_its_operator_says_it_is_fresh():
    for fresh in (True, False):
        double, made = _doubling_operator(fresh)
        x = _leaf((3, 2))
        double.apply(x).sum().backward()
        assert (x.grad.data is made[0]) is fresh
        np.testing.assert_array_equal(x.grad.data, np.full((3, 2), 2.0))


def test_a_fresh_gradient_delivered_by_grad_is_never_kept_by_a_later_backward():
    double, made = _doubling_operator(True)
    x = _leaf((2,))
    (gx,) = ag.grad(double.apply(x).sum(), [x])
    assert x.grad is None
    double.apply(x).sum().backward()
    assert not np.shares_memory(x.grad.data, gx.data)
