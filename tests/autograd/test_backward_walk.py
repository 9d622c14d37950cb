"""The backward walk: consumer counts, the fallback for consumers that never deliver, the
Scalar hot path's inline nodes, and the collector tuning for big graphs."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import Scalar, Tensor, collector, engine, grad
from autograd.engine import new_node, next_sequence
from autograd.ops import arithmetic as ar
from autograd.ops import elementwise as el
from autograd.scalar import ScalarNode


def test_consumers_count_every_node_made_from_an_output():
    x = Scalar(2.0)
    y = x * 3.0
    assert y.grad_fn.consumers == 0
    z = y + y  # two edges from one node
    w = y.tanh()
    assert y.grad_fn.consumers == 3
    assert z.grad_fn.consumers == 0 and w.grad_fn.consumers == 0


def test_a_consumer_thrown_away_does_not_stall_backward():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    _ = y * 5  # a consumer of y that backward never reaches
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, [2.0, 4.0])


def test_backward_from_an_intermediate_whose_consumer_is_not_part_of_it():
    x = Scalar(1.5)
    y = x * x
    z = (y * 2.0).exp()
    y.backward(retain_graph=True)
    assert x.grad == pytest.approx(3.0)
    x.grad = None
    z.backward()
    assert x.grad == pytest.approx(np.exp(2 * 1.5**2) * 2 * 2 * 1.5)


def test_two_roots_where_one_feeds_the_other():
    x = Scalar(0.5)
    a = x.tanh()
    b = a * a
    from autograd import backward

    backward([b, a], [1.0, 10.0])
    t = np.tanh(0.5)
    assert x.grad == pytest.approx((2 * t + 10.0) * (1 - t**2))


def test_a_node_used_by_many_runs_once_with_the_total():
    x = Tensor([0.3, -0.7], requires_grad=True)
    h = x.exp()
    total = h * 1.0 + h * 2.0 + (h * h).sum() + h.tanh().sum()
    runs = []
    h.register_hook(lambda g: runs.append(g.data.copy()))
    total.sum().backward()
    e = np.exp(x.data)
    # the two sums broadcast over both elements of total, so count twice
    expected_h = 1.0 + 2.0 + 2 * (2 * e + (1 - np.tanh(e) ** 2))
    assert len(runs) == 1
    np.testing.assert_allclose(runs[0], expected_h)
    np.testing.assert_allclose(x.grad.data, expected_h * e)


def test_grad_skips_branches_that_do_not_lead_to_the_inputs_asked_for():
    x = Scalar(2.0)
    w = Scalar(3.0)
    h = x * w
    out = h * h + w.exp()
    (dx,) = grad(out, [x])
    assert dx == pytest.approx(2 * 6.0 * 3.0)
    assert x.grad is None and w.grad is None


def test_double_backward_through_a_graph_whose_nodes_gain_consumers_during_backward():
    x = Tensor([0.4, 1.1], requires_grad=True)
    y = (x * x * x).sum()
    (g,) = grad(y, [x], create_graph=True)  # the formula consumes x's products again
    g.sum().backward()
    np.testing.assert_allclose(x.grad.data, 6 * x.data)


def test_a_deep_chain_runs_without_recursion():
    x = Scalar(1.0)
    y = x
    for _ in range(50_000):
        y = y * 1.0
    y.backward()
    assert x.grad == 1.0


def _slots(node):
    return {name: getattr(node, name, "<unset>") for name in engine.Node.__slots__
            if name not in ("sequence", "inputs", "saved", "out_pos")}  # set by forward


@pytest.mark.parametrize("make", [lambda a, b: a * b, lambda a, b: a - b,
                                  lambda a, b: a.tanh(), lambda a, b: -a])
def test_scalar_hot_path_builds_the_same_node_as_new_node(make):
    a, b = Scalar(0.5), Scalar(2.0)
    inline = make(a, b).grad_fn
    reference = new_node(ScalarNode, inline.op, inline.inputs, None)
    assert _slots(inline) == _slots(reference)
    assert inline.sequence < reference.sequence


@pytest.mark.parametrize("op", [ar.Add, ar.Sub, ar.Mul, ar.Div])
def test_binary_arithmetic_operators_never_save_their_output(op):
    # Scalar's _binary_operator relies on this: it does not look for the output among `saved`.
    node = new_node(ScalarNode, op, (Scalar(3.0), Scalar(4.0)), None)
    out = op.forward(node, 3.0, 4.0)
    assert all(value is not out for value in node.saved)


def test_unary_operators_that_save_their_output_are_recognised():
    y = Scalar(0.3).exp()
    assert y.grad_fn.out_pos == 0
    assert el.Exp.name == y.grad_fn.op.name


@pytest.fixture
def default_collector():
    before = gc.get_threshold()
    # The growth watch counts the nodes made since its last collection: forget those of
    # earlier tests first, or the collection that the lower threshold sets off at once
    # sees them as a growing graph.
    for watch in gc.callbacks:
        if isinstance(watch, collector._GraphGrowthWatch):
            watch.last_sequence, watch.growing = next_sequence(), 0
    gc.set_threshold(700, 10, 10)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def test_a_big_graph_being_built_raises_the_young_collection_threshold(default_collector):
    x = Scalar(0.5)
    y = x
    for _ in range(20_000):
        y = y * 1.0001 + 0.001
    assert gc.get_threshold()[0] > 700
    assert gc.get_threshold()[1:] == (10, 10)


def test_small_graphs_leave_the_collector_alone(default_collector):
    for _ in range(200):
        x = Scalar(0.5)
        (x * 2.0 + 1.0).backward()
        _ = [[i] for i in range(50)]  # other allocations between the graphs
    assert gc.get_threshold()[0] == 700


def test_the_tuning_is_capped(default_collector):
    collector.tune_collector(10**9)
    assert gc.get_threshold()[0] == collector._COLLECTOR_TUNING_CEILING
    collector.tune_collector(10**4)
    assert gc.get_threshold()[0] == collector._COLLECTOR_TUNING_CEILING  # never lowered


def test_grad_mode_blocks_are_counted_across_threads_and_released():
    import threading

    from autograd import no_grad
    from autograd.grad_mode import _open_anywhere

    assert len(_open_anywhere.grad_mode) == 0
    entered, release = threading.Event(), threading.Event()
    seen = {}

    def other_thread():
        with no_grad():
            entered.set()
            release.wait(5)
            seen["other"] = (Scalar(1.0) * 2.0).grad_fn

    worker = threading.Thread(target=other_thread)
    worker.start()
    entered.wait(5)
    assert len(_open_anywhere.grad_mode) == 1
    recorded = (Scalar(1.0) * 2.0).grad_fn  # this thread still records
    release.set()
    worker.join()
    assert recorded is not None and seen["other"] is None
    assert len(_open_anywhere.grad_mode) == 0


def test_a_hook_that_computes_during_backward_records_nothing():
    x = Scalar(2.0)
    y = x * 3.0
    made = []
    y.register_hook(lambda g: made.append(Scalar(g) * x))
    y.backward()
    assert made[0].grad_fn is None


def test_anomaly_blocks_are_counted_and_released():
    from autograd import detect_anomaly
    from autograd.grad_mode import _open_anywhere

    big = Scalar(1e308)
    with detect_anomaly():
        assert len(_open_anywhere.anomaly) == 1
        with pytest.raises(FloatingPointError, match="'mul'"):
            big * 1e308  # the hot path still checks while a block is open
    assert len(_open_anywhere.anomaly) == 0
    assert (big * 1e308).data == float("inf")  # and stops checking after


@st.composite
def random_programs(draw):
    """A random DAG over two leaves: each step applies an operator to earlier values,
    some of them thrown away, some used many times."""
    steps = draw(st.lists(st.tuples(st.sampled_from(["add", "mul", "sub", "tanh", "exp"]),
                                    st.integers(0, 10**6), st.integers(0, 10**6),
                                    st.booleans()), min_size=1, max_size=25))
    return steps


def _run_program(steps, a, b):
    values = [a, b]
    for name, i, j, keep in steps:
        x, y = values[i % len(values)], values[j % len(values)]
        if name == "add":
            out = x + y
        elif name == "mul":
            out = x * y * 0.5
        elif name == "sub":
            out = x - y
        elif name == "tanh":
            out = x.tanh()
        else:
            out = (x * 0.1).exp()
        if keep:
            values.append(out)  # otherwise a consumer nobody reaches
    return values[-1] + values[len(values) // 2]


@given(random_programs(), st.floats(-1, 1), st.floats(-1, 1))
@settings(max_examples=60, deadline=None)
def test_backward_and_grad_walks_agree_with_each_other_and_with_differences(steps, a0, b0):
    a, b = Scalar(a0), Scalar(b0)
    _run_program(steps, a, b).backward()
    # the general loop; a program may not use a leaf at all
    da, db = grad(_run_program(steps, a, b), [a, b], materialize_grads=True)
    assert (a.grad or 0.0, b.grad or 0.0) == pytest.approx((da, db), rel=1e-12, abs=1e-12)
    h = 1e-6
    def value(x, y):
        return _run_program(steps, Scalar(x), Scalar(y)).data
    numeric_a = (value(a0 + h, b0) - value(a0 - h, b0)) / (2 * h)
    numeric_b = (value(a0, b0 + h) - value(a0, b0 - h)) / (2 * h)
    assert da == pytest.approx(numeric_a, rel=1e-5, abs=1e-6)
    assert db == pytest.approx(numeric_b, rel=1e-5, abs=1e-6)


def _chain(n):
    y = x = Scalar(0.5)
    for _ in range(n):
        y = y * 1.0001 + 0.001
    y.backward()
    return x


def test_set_collector_tuning_off_restores_thresholds_and_collects_cyclic_garbage(
        default_collector):
    # issue 12 item 23: the tuning is switchable, and off means other code's cycles are
    # collected on the program's own schedule again.
    assert gc.isenabled()
    _chain(20_000)
    assert gc.get_threshold()[0] > 700  # tuned for big graphs, by default
    autograd.set_collector_tuning(False)
    try:
        assert gc.get_threshold() == (700, 10, 10)  # the program's thresholds, restored
        _chain(20_000)
        assert gc.get_threshold() == (700, 10, 10)  # and left alone from now on
        collected = []

        class Cycle:
            pass

        cycle = Cycle()
        cycle.itself = cycle
        weakref.finalize(cycle, collected.append, True)
        del cycle
        allocations = [[] for _ in range(5_000)]  # several young collections' worth
        assert collected, "a reference cycle survived 5,000 allocations"
        del allocations
    finally:
        autograd.set_collector_tuning(True)
    _chain(20_000)
    assert gc.get_threshold()[0] > 700  # back on
