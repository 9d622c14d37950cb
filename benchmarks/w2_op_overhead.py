"""W2 op_overhead: what one small elementwise operator costs, forward plus backward.

A chain of 100 float64 operators, the cycle (×c, +d, tanh, exp) 25 times, with c and d
constant tensors, then a sum and backward:

    y₀ = x;  y ← exp(tanh(y·c + d)) repeated 25 times;  s = Σ y;  ds/dx by backward.

Reported in µs per operator: (forward + backward of the whole chain) / 100, the sum and
the backward call's fixed cost included. At shape (8,) this is almost pure interpreter
overhead; at (100000,) it is memory traffic, where tracegrad should match numpy. The
floor is the same chain in numpy with the backward written by hand (the values it needs
kept in a list). c lies in [0.2, 0.5] and d in [−0.5, 0], so every value stays in (0.3, 3).
"""

from __future__ import annotations

import numpy as np

from autograd import Tensor

from .harness import NOT_INSTALLED, Config, Result, check_all_close, compare, optional_import

ID, NAME = "W2", "op_overhead"
CYCLES = 25
OPS = 4 * CYCLES
TARGET_SMALL_US = 5.0
TARGET_LARGE_RATIO = 1.1


def inputs(n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(-0.5, 0.5, n), rng.uniform(0.2, 0.5, n), rng.uniform(-0.5, 0.0, n)


def tracegrad_chain(x, c, d):
    """x: a Tensor that requires grad; c, d: constant Tensors. Returns (s, ds/dx)."""
    x.grad = None
    y = x
    for _ in range(CYCLES):
        y = (y * c + d).tanh().exp()
    s = y.sum()
    s.backward()
    return s.data, x.grad.data


def numpy_chain(x, c, d):
    """The floor: forward keeping tanh's and exp's outputs, then the backward by hand."""
    kept = []
    y = x
    for _ in range(CYCLES):
        t = np.tanh(y * c + d)
        y = np.exp(t)
        kept.append((t, y))
    s = y.sum()
    g = np.ones_like(y)
    for t, e in reversed(kept):
        g = g * e  # exp' = exp
        g = g * (1 - t * t)  # tanh' = 1 − tanh²; the add passes g through
        g = g * c
    return s, g


def torch_chain(torch, x, c, d):
    x.grad = None
    y = x
    for _ in range(CYCLES):
        y = (y * c + d).tanh().exp()
    s = y.sum()
    s.backward()
    return s.detach(), x.grad


def run(config: Config) -> list[Result]:
    sizes = (8, 1000) if config.quick else (8, 1000, 100_000)
    torch = optional_import("torch") if config.peers else None
    return [_run_size(n, config, torch) for n in sizes]


def _run_size(n, config, torch) -> Result:
    x0, c0, d0 = inputs(n)
    x, c, d = Tensor(x0, requires_grad=True), Tensor(c0), Tensor(d0)
    expected = numpy_chain(x0, c0, d0)
    worst = check_all_close(f"W2 n={n} tracegrad vs numpy floor",
                            list(tracegrad_chain(x, c, d)), list(expected), rtol=1e-12)
    check = f"sum and gradient equal to the floor (max diff {worst:.1e})"
    fns = {"tracegrad": lambda: tracegrad_chain(x, c, d),
           "floor": lambda: numpy_chain(x0, c0, d0)}
    peers = {}
    if torch is None:
        peers["torch"] = NOT_INSTALLED if config.peers else "not measured (--no-peers)"
    else:
        tx = torch.tensor(x0, requires_grad=True)
        tc, td = torch.tensor(c0), torch.tensor(d0)
        got = [t.numpy() for t in torch_chain(torch, tx, tc, td)]
        worst = check_all_close(f"W2 n={n} torch vs numpy floor", got, list(expected),
                                rtol=1e-12)
        check += f"; torch too ({worst:.1e})"
        fns["torch"] = lambda: torch_chain(torch, tx, tc, td)
    times = compare(fns, config)
    per_op = {name: timing.median / OPS * 1e6 for name, timing in times.items()}
    peers.update({name: value for name, value in per_op.items() if name == "torch"})
    result = Result(ID, NAME, f"n={n}", "µs/op", per_op["tracegrad"], per_op["floor"], peers,
                    check, extra={"timings": {k: v.as_dict() for k, v in times.items()}})
    if torch is not None:
        result.extra["torch_threads"] = torch.get_num_threads()
    if n == 8:
        result.target = f"≤ {TARGET_SMALL_US:g} µs/op"
        result.met = None if config.quick else result.tracegrad <= TARGET_SMALL_US
    elif n >= 100_000:
        result.target = f"≤ {TARGET_LARGE_RATIO}× floor"
        result.met = result.ratio <= TARGET_LARGE_RATIO
    return result
