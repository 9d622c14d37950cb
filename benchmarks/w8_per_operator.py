"""W8 per_operator: what one call of each operator costs, forward plus backward, at n = 8.

For every operator of issue 15's math surface:

    x.grad = None;  out = op(x [, y, w]);  out.backward(ones)      (x: 8 float64s)

timed interleaved with its reference (harness.compare), so a busy machine slows both
alike. The reference is the cheapest existing operator of the same kind, so the ratio
measures what the new operator adds, not what the engine charges every operator of that
shape:
- one-input elementwise operators: exp (issue 15: "no more Python time than exp");
- two- and three-input ones: mul, x·y with y constant. A second input costs the engine
  its own bookkeeping (a constant made of it, a gradient to skip), which exp does not pay;
  mul pays it and, like them, computes no product for the constant;
- reductions, cumsum and cumprod: sum (issue 15: "or sum");
- logcumsumexp: logsumexp, the reduction it accumulates. Both are stable log-sum-exps
  whose backward exponentiates x − out (sum's backward only broadcasts); the scan's weighs
  every later output, one n×n exponent per line (logsumexp itself costs about 1.7× sum);
- median: tracegrad's sort (one stable argsort, and a gather whose backward scatters).
  A median must sort: numpy's own median of 8 numbers costs ten np.sum calls, so against
  sum the ratio would measure numpy, not tracegrad.
At n = 8 this is Python time: the engine's overhead plus the operator's own numpy calls.
Target: within 1.2× of the reference. The peer column gives the reference and the ratio.
"""

from __future__ import annotations

import numpy as np

import autograd
from autograd import Tensor

from .harness import Config, Result, compare

ID, NAME = "W8", "per_operator"
N = 8
TARGET = 1.2


def inputs(n=N, seed=0):
    """x in (0.2, 0.8): inside every operator's domain (arcsin, log); y and w constants;
    x1 = 1 + x, a leaf of its own, for arccosh (x ≥ 1)."""
    rng = np.random.default_rng(seed)
    x = Tensor(rng.uniform(0.2, 0.8, n), requires_grad=True)
    return (x, Tensor(rng.uniform(0.2, 0.8, n)), Tensor(rng.uniform(0.2, 0.8, n)),
            Tensor(1.0 + x.data, requires_grad=True))


def operators(x, y, w, x1):
    """name -> (the leaf it differentiates, a call of that operator): the Tensor methods
    users write."""
    table = {name: (lambda m=name: getattr(x, m)()) for name in (
        "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "arcsinh",
        "arctanh", "log2", "log10", "log1p", "expm1", "exp2", "rsqrt", "reciprocal", "square",
        "cbrt", "floor", "ceil", "round", "trunc", "nan_to_num", "prod", "median")}
    table.update({
        "arctan2": lambda: x.arctan2(y), "hypot": lambda: x.hypot(y),
        "logaddexp": lambda: x.logaddexp(y), "floor_divide": lambda: x // y,
        "remainder": lambda: x % y, "fmod": lambda: x.fmod(y), "lerp": lambda: x.lerp(y, w),
        "cumsum": lambda: x.cumsum(0), "cumprod": lambda: x.cumprod(0),
        "logcumsumexp": lambda: x.logcumsumexp(0),
    })
    table = {name: (x, call) for name, call in table.items()}
    table["arccosh"] = (x1, x1.arccosh)
    return table


BINARY = {"arctan2", "hypot", "logaddexp", "floor_divide", "remainder", "fmod", "lerp"}
REDUCING = {"prod", "median", "cumsum", "cumprod", "logcumsumexp"}


def reference_of(name) -> str:
    if name in ("median", "logcumsumexp"):
        return {"median": "sort", "logcumsumexp": "logsumexp"}[name]
    return "mul" if name in BINARY else "sum" if name in REDUCING else "exp"


def _step(x, call, seed):
    def step():
        x.grad = None
        out = call()
        out.backward(seed if out.shape else None)
    return step


def run(config: Config) -> list[Result]:
    x, y, w, x1 = inputs()
    seed = np.ones(N)
    references = {"exp": x.exp, "mul": lambda: x * y, "sum": x.sum,
                  "sort": lambda: autograd.sort(x), "logsumexp": x.logsumexp}
    results = []
    for name, (leaf, call) in operators(x, y, w, x1).items():
        ref = reference_of(name)
        times = compare({ref: _step(x, references[ref], seed), name: _step(leaf, call, seed)},
                        config, repeat=3 if config.quick else None)
        us, ref_us = times[name].median * 1e6, times[ref].median * 1e6
        result = Result(ID, NAME, f"{name} n={N}", "µs/call", us, None, {ref: ref_us},
                        "forward and backward ran (values: tests/autograd/test_surface_math)")
        result.target = f"≤ {TARGET:g}× {ref}"
        result.met = None if config.quick else us <= TARGET * ref_us
        results.append(result)
    return results
