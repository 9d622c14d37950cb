"""W7 (second-order optimisers' cost) at smoke size: the numbers it states are there."""

import pathlib
import sys

ROOT = str(pathlib.Path(__file__).resolve().parents[2])
if ROOT not in sys.path:  # benchmarks/ is a directory of the repo, not an installed package
    sys.path.insert(0, ROOT)

from benchmarks import w7_second_order  # noqa: E402
from benchmarks.harness import Config  # noqa: E402


def test_w7_states_newton_cg_cost_in_gradients_and_lbfgs_overhead():
    hvp, newton_cg, lbfgs, lbfgs_wolfe = w7_second_order.run(Config.smoke())
    assert "Hessian-vector product" in hvp.case and hvp.floor > 0
    k = newton_cg.extra["cg_iterations"]
    assert 1 <= k <= w7_second_order.CG_ITERATIONS
    assert f"{k} CG iterations" in newton_cg.case and "gradients" in newton_cg.target
    assert newton_cg.extra["in_gradients"]["gradient"] == 1.0
    for row in (lbfgs, lbfgs_wolfe):
        assert 0 <= row.extra["overhead_fraction"] < 1
        assert row.extra["closure_calls_per_step"] >= 1
        assert row.met is None  # no verdict at smoke size
