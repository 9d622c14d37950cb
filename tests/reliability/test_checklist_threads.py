"""RELIABILITY §4 F: concurrency, with real threads lined up by barriers."""

import threading

import numpy as np
import pytest

import autograd as ag
from autograd import Tensor

TIMEOUT = 60  # seconds; a deadlock fails the test instead of hanging the suite


def run_threads(target, count):
    """Run target(index) in `count` threads; re-raise the first exception any of them hit."""
    errors = []

    def guarded(index):
        try:
            target(index)
        except BaseException as error:  # noqa: B036 - reported to the main thread
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
        assert not thread.is_alive(), "a thread did not finish (deadlock?)"
    if errors:
        raise errors[0]


def leaf(values):
    return Tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def test_F1_no_grad_in_one_thread_leaves_grad_mode_on_in_another():
    inside, built = threading.Barrier(2, timeout=TIMEOUT), threading.Barrier(2, timeout=TIMEOUT)
    seen = {}

    def worker(index):
        if index == 0:  # A: sits inside no_grad while B works
            with ag.no_grad():
                inside.wait()
                built.wait()
                seen["A enabled"] = ag.is_grad_enabled()
                seen["A records"] = (leaf([1.0]) * 2).grad_fn is not None
        else:  # B: builds and backpropagates a graph meanwhile
            inside.wait()
            x = leaf([1.0, 2.0])
            (x * x).sum().backward()
            seen["B enabled"] = ag.is_grad_enabled()
            seen["B grad"] = x.grad.data.tolist()
            built.wait()

    run_threads(worker, 2)
    assert seen == {"A enabled": False, "A records": False,
                    "B enabled": True, "B grad": [2.0, 4.0]}


def test_F1_a_thread_started_inside_no_grad_starts_with_grad_mode_on():
    seen = []
    with ag.no_grad():
        run_threads(lambda _: seen.append(ag.is_grad_enabled()), 1)
        assert not ag.is_grad_enabled()
    assert seen == [True]


def test_F1_anomaly_mode_is_thread_local_too():
    entered, checked = threading.Barrier(2, timeout=TIMEOUT), threading.Barrier(2, timeout=TIMEOUT)
    seen = {}

    def worker(index):
        if index == 0:
            with ag.detect_anomaly():
                entered.wait()
                checked.wait()
        else:
            entered.wait()
            with np.errstate(invalid="ignore"):
                seen["B result"] = leaf([-1.0]).log().item()  # nan, no exception
            checked.wait()

    run_threads(worker, 2)
    assert np.isnan(seen["B result"])


def test_F2_concurrent_backward_on_independent_graphs_matches_sequential_results():
    rng = np.random.default_rng(0)
    inputs = [rng.standard_normal((50, 20)) for _ in range(4)]

    def gradient(values):
        x = leaf(values)
        (x.tanh() @ x.T).softmax(axis=1).log().sum().backward()
        return x.grad.data

    expected = [gradient(v) for v in inputs]
    results = [[] for _ in inputs]
    start = threading.Barrier(len(inputs), timeout=TIMEOUT)

    def worker(index):
        start.wait()
        for _ in range(25):
            results[index].append(gradient(inputs[index]))

    run_threads(worker, len(inputs))
    for mine, reference in zip(results, expected):
        for result in mine:
            np.testing.assert_array_equal(result, reference)  # bitwise: deterministic


def test_F3_concurrent_backward_into_one_shared_leaf_loses_no_update():
    # numpy releases the GIL inside large ufuncs, so an unlocked `grad += g` from four
    # threads on 2M elements loses updates; the engine's accumulation lock prevents it.
    shared = Tensor(np.zeros(2_000_000), requires_grad=True)
    threads, steps = 4, 50
    start = threading.Barrier(threads, timeout=TIMEOUT)

    def worker(index):
        start.wait()
        for _ in range(steps):
            shared.sum().backward()

    run_threads(worker, threads)
    grad = shared.grad.data
    assert grad.min() == grad.max() == threads * steps


def test_F4_two_threads_backpropagating_one_graph_one_wins_the_other_gets_the_freed_error():
    for trial in range(20):
        x = leaf(np.linspace(0.1, 1.0, 100_000))
        y = (x.exp() * x).sum()
        start = threading.Barrier(2, timeout=TIMEOUT)
        outcomes = [None, None]

        def worker(index, y=y, start=start, outcomes=outcomes):
            start.wait()
            try:
                y.backward()
                outcomes[index] = "ok"
            except RuntimeError as error:
                outcomes[index] = str(error)

        run_threads(worker, 2)
        assert sorted(outcomes, key=len)[0] == "ok", (trial, outcomes)
        failure = sorted(outcomes, key=len)[1]
        assert "already freed" in failure and "retain_graph=True" in failure, (trial, failure)
        # exactly one backward's worth reached the leaf: d(x·eˣ)/dx = eˣ(1 + x)
        np.testing.assert_allclose(x.grad.data, np.exp(x.data) * (1 + x.data), rtol=1e-12)


@pytest.mark.parametrize("threads", [2, 4])
def test_F4_retain_graph_lets_several_threads_share_one_graph(threads):
    x = leaf(np.linspace(0.1, 1.0, 1000))
    y = (x.exp() * x).sum()
    start = threading.Barrier(threads, timeout=TIMEOUT)

    def worker(index):
        start.wait()
        for _ in range(10):
            y.backward(retain_graph=True)

    run_threads(worker, threads)
    expected = threads * 10 * np.exp(x.data) * (1 + x.data)
    np.testing.assert_allclose(x.grad.data, expected, rtol=1e-12)
