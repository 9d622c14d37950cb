"""W9 (issue 16 item 4): the LeNet-style step compares tracegrad with a floor that really
computes the same thing, in float32, and a conv2d backward stays within twice its im2col
buffer."""

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # benchmarks/ is a directory of the repo, not an installed package
    sys.path.insert(0, str(ROOT))
from benchmarks import w9_lenet  # noqa: E402
from benchmarks.harness import BenchmarkMismatch, Config  # noqa: E402

SMOKE = Config.smoke()


def test_w9_reports_time_ratio_and_memory():
    (result,) = w9_lenet.run(SMOKE)
    assert result.workload == "W9" and result.tracegrad > 0 and result.floor > 0
    assert "equal to the floor" in result.check
    assert result.extra["im2col_bytes"] == 8 * 8 * 9 * 14 * 14 * 4  # smoke batch 8, float32
    assert 0 < result.extra["conv_backward_memory_ratio"] <= w9_lenet.MEMORY_BOUND


def test_w9_a_floor_that_disagrees_stops_the_workload(monkeypatch):
    real = w9_lenet.numpy_loss_and_grads
    monkeypatch.setattr(w9_lenet, "numpy_loss_and_grads",
                        lambda *a: (real(*a)[0], [g * 1.01 for g in real(*a)[1]]))
    with pytest.raises(BenchmarkMismatch, match="W9"):
        w9_lenet.run(SMOKE)


def test_w9_floor_gives_a_tie_to_the_first_maximum_as_tracegrad_does():
    x = np.array([[[[1.0, 3.0], [3.0, 0.0]]]], dtype=np.float32)
    out = w9_lenet.pool_forward(x)
    grad = w9_lenet.pool_backward(np.ones_like(out), x, out)
    np.testing.assert_array_equal(grad, [[[[0.0, 1.0], [0.0, 0.0]]]])
