"""Smoke runs of every benchmark workload at its tiny size, and the harness they share.

The full-size suite is `make bench`; here each workload runs in well under a second and
must report sane numbers: positive finite times, ratios that are what they claim, and
results that were checked equal to the hand-written numpy floor before anything was timed.
"""

import gc
import importlib
import json
import math
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # benchmarks/ is a directory of the repo, not an installed package
    sys.path.insert(0, str(ROOT))

from benchmarks import WORKLOADS  # noqa: E402
from benchmarks.harness import (  # noqa: E402
    PROCESS_GC_THRESHOLDS,
    BenchmarkMismatch,
    Config,
    Result,
    Timing,
    check_close,
    compare,
    measure,
    threads_starved,
)

SMOKE = Config.smoke(peers=False)


@pytest.fixture(scope="module")
def smoke_results():
    """Every workload's quick results, run once for the whole module."""
    return {wid: importlib.import_module(name).run(SMOKE) for wid, name in WORKLOADS.items()}


def measured(results):
    return [r for r in results if not r.skipped]


# --------------------------------------------------------------------------------------
# every workload


@pytest.mark.parametrize("wid", list(WORKLOADS))
def test_workload_reports_at_least_one_measured_result_under_its_id(smoke_results, wid):
    results = smoke_results[wid]
    assert results and all(isinstance(r, Result) for r in results)
    assert {r.workload for r in results} == {wid}
    assert measured(results), f"{wid}: every result was skipped"


@pytest.mark.parametrize("wid", list(WORKLOADS))
def test_reported_numbers_are_positive_and_finite(smoke_results, wid):
    for r in measured(smoke_results[wid]):
        assert math.isfinite(r.tracegrad) and r.tracegrad > 0, (r.case, r.tracegrad)
        if r.floor is not None:
            assert math.isfinite(r.floor) and r.floor > 0, (r.case, r.floor)
            assert r.ratio == pytest.approx(r.tracegrad / r.floor)


@pytest.mark.parametrize("wid", ["W1", "W2", "W3", "W4", "W6"])
def test_results_were_checked_equal_to_the_numpy_floor(smoke_results, wid):
    for r in measured(smoke_results[wid]):
        assert "equal to the floor" in r.check, r.check
        worst = float(r.check.split("max diff ")[1].split(")")[0])
        assert worst <= 1e-6, r.check


@pytest.mark.parametrize("wid", list(WORKLOADS))
def test_json_line_round_trips_the_result(smoke_results, wid):
    for r in smoke_results[wid]:
        data = json.loads(r.json_line())
        assert (data["workload"], data["case"], data["unit"]) == (r.workload, r.case, r.unit)
        assert data["tracegrad"] == r.tracegrad and data["floor"] == r.floor
        assert data["ratio_to_floor"] == r.ratio


@pytest.mark.parametrize("wid", list(WORKLOADS))
def test_table_row_has_one_cell_per_column(smoke_results, wid):
    for r in smoke_results[wid]:
        row = r.table_row()
        assert row.startswith("| ") and row.endswith(" |")
        assert row.count(" | ") == 9, row


# --------------------------------------------------------------------------------------
# each workload really compares: a floor that computes something else is caught

WRONG_FLOORS = {
    "W1": ("numpy_loss_and_grads", lambda f: lambda *a: (f(*a)[0] * 1.01, f(*a)[1])),
    "W2": ("numpy_chain", lambda f: lambda *a: (f(*a)[0], f(*a)[1] * 1.01)),
    "W3": ("numpy_loss_and_grads", lambda f: lambda *a: (f(*a)[0] + 0.1, f(*a)[1])),
    "W4": ("floor_chain", lambda f: lambda *a: (None, f(*a)[1], f(*a)[2] * 1.01)),
    "W6": ("train_numpy", lambda f: lambda *a: [w * 1.01 for w in f(*a)]),
}


@pytest.mark.parametrize("wid", list(WRONG_FLOORS))
def test_a_floor_that_disagrees_stops_the_workload_before_timing(monkeypatch, wid):
    module = importlib.import_module(WORKLOADS[wid])
    name, corrupt = WRONG_FLOORS[wid]
    monkeypatch.setattr(module, name, corrupt(getattr(module, name)))
    with pytest.raises(BenchmarkMismatch, match=wid):
        module.run(SMOKE)


# --------------------------------------------------------------------------------------
# workload-specific facts


def test_w1_counts_the_graph_it_times(smoke_results):
    first = smoke_results["W1"][0]
    assert first.extra["graph_operator_nodes"] > 100
    assert first.extra["graph_variable_nodes"] > first.extra["graph_operator_nodes"]


def test_w4_reports_memory_and_growth_for_both_kinds(smoke_results):
    results = smoke_results["W4"]
    assert {r.case.split(",")[0] for r in results} == {"scalar", "tensor"}
    for r in results:
        assert r.extra["peak_mib"] >= 0 and r.extra["us_per_step"] > 0
    growth = [r.extra for r in results if "time_growth_exponent" in r.extra]
    assert len(growth) == 2


def test_w5_times_the_stand_in_and_labels_it(smoke_results):
    standin = [r for r in smoke_results["W5"] if "STAND-IN" in r.case]
    assert len(standin) == 1
    if standin[0].skipped:
        # Only without Graphviz's `dot` (make test installs it first, so CI never skips):
        # the stand-in times `dot -Tsvg` itself and has nothing to measure without it.
        pytest.skip(standin[0].skipped)
    assert standin[0].tracegrad > 0


def test_w5_counts_about_fifty_nodes_in_the_small_graph():
    from benchmarks.w5_render import SMALL_SIZES, mlp_graph, node_count, standin_dot

    root = mlp_graph(SMALL_SIZES)
    assert 40 <= node_count(root) <= 70
    dot = standin_dot(root)
    assert dot.count("shape=circle") + dot.count("shape=box") == node_count(root)


def test_w6_tracegrad_and_floor_reach_the_same_accuracy(smoke_results):
    accuracy = smoke_results["W6"][0]
    assert accuracy.unit == "%"
    assert 0 <= accuracy.tracegrad <= 100
    assert accuracy.tracegrad == accuracy.floor  # same weights, same batches


# --------------------------------------------------------------------------------------
# the harness


def test_check_close_names_the_worst_element():
    with pytest.raises(BenchmarkMismatch, match=r"grad: .*index \(1,\)"):
        check_close("grad", [1.0, 2.5, 3.0], [1.0, 2.0, 3.0])
    assert check_close("grad", [1.0, 2.0], [1.0, 2.0]) == 0.0


def test_check_close_rejects_nan_and_shape_mismatch():
    with pytest.raises(BenchmarkMismatch):
        check_close("x", [np.nan], [1.0])
    with pytest.raises(BenchmarkMismatch, match="shape"):
        check_close("x", [1.0, 2.0], [1.0])


def test_measure_reports_a_median_between_min_and_max():
    timing = measure(lambda: sum(range(100)), Config(warmup=1, repeat=5, min_time=0.001))
    assert 0 < timing.minimum <= timing.median <= timing.maximum
    assert len(timing.samples) == 5 and timing.number >= 1


def test_compare_interleaves_the_implementations():
    calls = []
    compare({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")},
            Config(warmup=0, repeat=3, min_time=0.0))
    assert calls[-6:] == ["a", "b"] * 3


def test_each_implementation_keeps_its_own_collector_thresholds():
    seen = {}

    def tuner():  # raises the gen-0 threshold, as tracegrad's backward may
        seen.setdefault("tuner", []).append(gc.get_threshold()[0])
        gc.set_threshold(12_345, *gc.get_threshold()[1:])

    def bystander():
        seen.setdefault("bystander", []).append(gc.get_threshold()[0])

    before = gc.get_threshold()
    gc.set_threshold(777, *before[1:])  # as if tracegrad had tuned the process already
    try:
        compare({"tuner": tuner, "bystander": bystander},
                Config(warmup=1, repeat=2, min_time=0))
        assert gc.get_threshold()[0] == 777  # restored after every sample
    finally:
        gc.set_threshold(*before)
    original = PROCESS_GC_THRESHOLDS[0]
    assert set(seen["bystander"]) == {original}
    assert seen["tuner"][0] == original and seen["tuner"][-1] == 12_345


def test_cpu_clock_does_not_count_time_spent_waiting():
    nap = lambda: time.sleep(0.01)  # noqa: E731
    cpu = measure(nap, Config(warmup=0, repeat=3, min_time=0.0, clock="cpu"))
    wall = measure(nap, Config(warmup=0, repeat=3, min_time=0.0, clock="wall"))
    assert wall.median >= 0.01
    assert cpu.median < 0.005
    assert cpu.wall_median >= 0.01  # both clocks are kept whichever one is reported


def test_a_two_thread_timing_that_mostly_waited_is_flagged():
    def timing(cpu, wall):
        return Timing(wall, wall, wall, 1, [wall], wall_median=wall, cpu_median=cpu)

    assert threads_starved(timing(cpu=0.9, wall=1.0), threads=2)
    assert not threads_starved(timing(cpu=1.9, wall=1.0), threads=2)
    assert not threads_starved(timing(cpu=0.5, wall=1.0), threads=1)


def test_ratio_is_none_without_a_floor():
    r = Result("W0", "x", "case", "s", 2.0, None)
    assert r.ratio is None
    assert Result("W0", "x", "case", "s", 2.0, 0.5).ratio == 4.0


# --------------------------------------------------------------------------------------
# the command line


def _run_cli(*args):
    return subprocess.run([sys.executable, "-m", "benchmarks", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_cli_runs_one_workload_and_writes_json_lines(tmp_path):
    out = tmp_path / "bench.jsonl"
    done = _run_cli("--quick", "--only", "W2", "--no-peers", "--json", str(out))
    assert done.returncode == 0, done.stderr
    assert "| W2 | op_overhead | n=8 |" in done.stdout
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert lines[0]["environment"]["numpy"] == np.__version__
    assert "threads" in lines[0]["environment"]
    assert [line["case"] for line in lines[1:]] == ["n=8", "n=1000"]


def test_cli_rejects_an_unknown_workload():
    done = _run_cli("--quick", "--only", "W99")
    assert done.returncode == 2
    assert "W99" in done.stderr
