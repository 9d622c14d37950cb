"""W8 per_operator: what one call of each operator costs, forward plus backward, at n = 8.

For every operator of issue 15's math surface:

    x.grad = None;  out = op(x [, y, w]);  out.backward(ones)      (x: 8 float64s)

timed interleaved with its reference (harness.compare), so a busy machine slows both
alike: exp for one-input elementwise operators, mul (x·y) for two- and three-input ones
(the engine unbroadcasts every input, so exp would not be the like-for-like call), and sum
for reductions and scans (issue 15: "no more Python time per call than exp or sum"). At
n = 8 this is Python time: the engine's overhead plus the operator's own numpy calls.
Target: within 1.2× of the reference. The peer column gives the reference and the ratio.
"""

from __future__ import annotations

import numpy as np

from autograd import Tensor

from .harness import Config, Result, compare

ID, NAME = "W8", "per_operator"
N = 8
TARGET = 1.2


def inputs(n=N, seed=0):
    """x in (0.2, 0.8): inside every operator's domain (arcsin, arccosh after + 1, log)."""
    rng = np.random.default_rng(seed)
    return (Tensor(rng.uniform(0.2, 0.8, n), requires_grad=True),
            Tensor(rng.uniform(0.2, 0.8, n)), Tensor(rng.uniform(0.2, 0.8, n)))


def operators(x, y, w):
    """name -> a call of that operator; the Tensor methods users write."""
    one_plus = Tensor(1.0 + x.data)  # arccosh's domain
    table = {name: (lambda m=name: getattr(x, m)()) for name in (
        "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "arcsinh",
        "arctanh", "log2", "log10", "log1p", "expm1", "exp2", "rsqrt", "reciprocal", "square",
        "cbrt", "floor", "ceil", "round", "trunc", "nan_to_num", "prod", "median")}
    table.update({
        "arccosh": lambda: (x + one_plus).arccosh(),  # includes one add (its domain)
        "arctan2": lambda: x.arctan2(y), "hypot": lambda: x.hypot(y),
        "logaddexp": lambda: x.logaddexp(y), "floor_divide": lambda: x // y,
        "remainder": lambda: x % y, "fmod": lambda: x.fmod(y), "lerp": lambda: x.lerp(y, w),
        "cumsum": lambda: x.cumsum(0), "cumprod": lambda: x.cumprod(0),
        "logcumsumexp": lambda: x.logcumsumexp(0),
    })
    return table


BINARY = {"arctan2", "hypot", "logaddexp", "floor_divide", "remainder", "fmod", "lerp"}
REDUCING = {"prod", "median", "cumsum", "cumprod", "logcumsumexp"}


def reference_of(name) -> str:
    return "mul" if name in BINARY else "sum" if name in REDUCING else "exp"


def _step(x, call, seed):
    def step():
        x.grad = None
        out = call()
        out.backward(seed if out.shape else None)
    return step


def run(config: Config) -> list[Result]:
    x, y, w = inputs()
    seed = np.ones(N)
    references = {"exp": x.exp, "mul": lambda: x * y, "sum": x.sum}
    results = []
    for name, call in operators(x, y, w).items():
        ref = reference_of(name)
        times = compare({ref: _step(x, references[ref], seed), name: _step(x, call, seed)},
                        config, repeat=3 if config.quick else None)
        us, ref_us = times[name].median * 1e6, times[ref].median * 1e6
        result = Result(ID, NAME, f"{name} n={N}", "µs/call", us, None, {ref: ref_us},
                        "forward and backward ran (values: tests/autograd/test_surface_math)")
        result.target = f"≤ {TARGET:g}× {ref}"
        result.met = None if config.quick else us <= TARGET * ref_us
        results.append(result)
    return results
