"""RELIABILITY §3: what tracegrad promises, where no checklist row already pins it
(accumulation, unused inputs, threads, freeing, backward twice, non-scalar outputs, grad
shapes and dtypes are tested under their rows A-F)."""

import warnings

import numpy as np
import pytest

import autograd as ag
from autograd import Tensor


def leaf(values):
    return Tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def test_S3_grad_is_none_until_a_backward_reaches_the_leaf_then_accumulates():
    a = leaf([1.0, 2.0])
    assert a.grad is None
    (2 * a).sum().backward()
    (2 * a).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [4.0, 4.0])


def test_S3_reading_grad_of_an_intermediate_warns_like_pytorch():
    x = leaf([1.0, 2.0])
    h = x * 3
    h.sum().backward()
    with pytest.warns(UserWarning, match=r"not a leaf \(made by 'mul'\).*retain_grad\(\)"):
        assert h.grad is None


def test_S3_no_warning_for_leaves_retained_intermediates_or_assignments():
    x = leaf([1.0, 2.0])
    kept = x * 3
    kept.retain_grad()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert x.grad is None and kept.grad is None  # before backward: None, no warning
        kept.sum().backward()
        np.testing.assert_array_equal(kept.grad.data, [1.0, 1.0])
        np.testing.assert_array_equal(x.grad.data, [3.0, 3.0])
        x.grad = None  # zero_grad(set_to_none=True) writes, never warns
        assert Tensor([1.0]).grad is None  # a constant leaf


def test_S3_backward_is_bitwise_deterministic_and_independent_of_object_addresses():
    rng = np.random.default_rng(5)
    values = rng.standard_normal((8, 5))

    def run():
        x = leaf(values)
        w = leaf(np.linspace(-1, 1, 5))
        parts = [(x * w).tanh().sum(axis=1), x.softmax(axis=0).max(axis=1), (x @ w).exp()]
        total = parts[0]
        for part in parts[1:]:
            total = total + part
        total.sum().backward()
        order = [node.op.name for node in ag.topological_order([total.grad_fn])]
        return x.grad.data.copy(), w.grad.data.copy(), order

    first = run()
    ballast = [object() for _ in range(10_000)]  # different addresses for the second run
    second = run()
    del ballast
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    assert first[2] == second[2]
