"""RELIABILITY §4 E4, E8, E12 and §3 "memory after backward": graphs are freed by
reference counting alone (the cyclic collector is switched off in these tests), training
loops do not grow, and very deep graphs build, backpropagate and die without recursion."""

import gc
import sys
import tracemalloc
import weakref
from contextlib import contextmanager

import numpy as np
import pytest

import autograd as ag
from autograd import Scalar, Tensor


@contextmanager
def cyclic_gc_disabled():
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def leaf(values):
    return Tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def test_E4_deleting_an_intermediate_before_backward_is_fine():
    x = leaf([1.0, 2.0])
    h = x.tanh()
    out = (h * h).sum()
    del h
    out.backward()
    np.testing.assert_allclose(x.grad.data, 2 * np.tanh([1.0, 2.0]) / np.cosh([1.0, 2.0]) ** 2)


def test_E4_intermediates_die_by_refcount_right_after_the_output_is_dropped():
    with cyclic_gc_disabled():
        x = leaf([1.0, 2.0])
        h, k = x.exp(), x * 3
        probes = [weakref.ref(h), weakref.ref(k)]
        out = (h * k).sum()
        del h, k
        assert all(p() is not None for p in probes)  # the graph holds them
        out.backward()
        del out
        assert all(p() is None for p in probes)


def test_E4_a_graph_that_never_ran_backward_is_freed_as_well():
    with cyclic_gc_disabled():
        x = leaf([1.0, 2.0])
        h = x.exp()
        probe = weakref.ref(h)
        out = (h * x).sum()
        del h
        del out
        assert probe() is None


def test_E12_scalar_graphs_have_no_reference_cycles_either():
    with cyclic_gc_disabled():
        a = Scalar(2.0)
        h = a.tanh()
        probe = weakref.ref(h)
        out = h * a + 1.0
        del h
        out.backward()
        del out
        assert probe() is None


def test_E12_saved_buffers_are_released_by_backward_unless_retain_graph():
    x = leaf([1.0, 2.0])
    h = x.exp()
    (h * x).sum().backward()
    assert h.grad_fn.saved is None
    y = x.exp()
    (y * x).sum().backward(retain_graph=True)
    assert y.grad_fn.saved is not None


def _mlp_step(x, y, params, lr):
    """One step of a 2-layer MLP written with Tensor ops, plain SGD under no_grad."""
    w1, b1, w2, b2 = params
    hidden = (x @ w1.T + b1).relu()
    loss = ((hidden @ w2.T + b2 - y) ** 2).mean()
    loss.backward()
    with ag.no_grad():
        for p in params:
            p -= lr * p.grad
            p.grad = None
    return loss.item()


def _traced_bytes_of_one_graph(x, y, params):
    """What a leaked graph would cost: traced memory held by one forward pass's graph."""
    w1, b1, w2, b2 = params
    tracemalloc.start()
    try:
        loss = ((((x @ w1.T + b1).relu()) @ w2.T + b2 - y) ** 2).mean()
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    del loss
    return held


def test_E12_three_hundred_mlp_training_steps_keep_tracemalloc_flat():
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((64, 8)))
    y = Tensor(np.sin(x.data.sum(axis=1, keepdims=True)))
    params = [leaf(rng.standard_normal((16, 8)) * 0.3), leaf(np.zeros(16)),
              leaf(rng.standard_normal((1, 16)) * 0.3), leaf(np.zeros(1))]
    graph_bytes = _traced_bytes_of_one_graph(x, y, params)
    losses, peaks, current = [], [], []
    with cyclic_gc_disabled():
        for _ in range(20):  # warm numpy's and CPython's caches before tracing
            losses.append(_mlp_step(x, y, params, lr=0.05))
        tracemalloc.start()
        try:
            for _ in range(300):
                tracemalloc.reset_peak()
                losses.append(_mlp_step(x, y, params, lr=0.05))
                now, peak = tracemalloc.get_traced_memory()
                current.append(now)
                peaks.append(peak)
        finally:
            tracemalloc.stop()
    assert losses[-1] < 0.5 * losses[0]  # it trains
    assert graph_bytes > 20_000  # activations of 64 rows x 16 units alone are 8 KB each
    # A leaked graph (or a leaked tenth of one) per step would grow memory by at least
    # 200 * graph_bytes / 10 over the last 200 steps. What remains is CPython's free lists
    # filling up, which levels off (about 100 KB here, never more than a few graphs).
    budget = 200 * graph_bytes // 10
    assert current[-1] - current[99] < budget
    assert max(peaks[200:]) - max(peaks[:100]) < budget


def _scalar_chain(n):
    x = Scalar(1.0)
    y = x
    for _ in range(n):
        y = y * 1.0000001
    return x, y


def _check_scalar_chain(n):
    limit = sys.getrecursionlimit()
    with cyclic_gc_disabled():
        x, y = _scalar_chain(n)
        probe = weakref.ref(y.grad_fn.inputs[0])  # the value next to the output
        y.backward()
        assert x.grad == pytest.approx(1.0000001**n, rel=1e-9)
        del y
        assert probe() is None
    assert sys.getrecursionlimit() == limit


def test_E8_a_two_hundred_thousand_node_scalar_chain_builds_backprops_and_frees():
    _check_scalar_chain(200_000)


@pytest.mark.slow
def test_E8_a_million_node_scalar_chain_builds_backprops_and_frees():
    _check_scalar_chain(1_000_000)


def test_E8_a_hundred_thousand_node_tensor_chain_builds_backprops_and_frees():
    with cyclic_gc_disabled():
        x = leaf(np.ones(3))
        y = x
        for _ in range(100_000):
            y = y * 1.00001
        probe = weakref.ref(y.grad_fn.inputs[0])
        y.sum().backward()
        np.testing.assert_allclose(x.grad.data, np.full(3, 1.00001**100_000), rtol=1e-9)
        del y
        assert probe() is None
