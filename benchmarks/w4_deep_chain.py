"""W4 deep_chain: time and memory of a very long, thin graph, and how they grow with N.

    y₀ = x;  yₖ = yₖ₋₁·1.0001 + 0.001  (k = 1..N);  then backward from y_N,
    so dy_N/dx = 1.0001ᴺ (e¹⁰⁰ ≈ 2.7e43 at N = 10⁶, still a finite float64).

Two operators per step, so a chain of N steps holds 2N operator nodes. Scalar chains go
up to N = 10⁶ and shape-(4,) Tensor chains up to 10⁵. Each (kind, N, implementation)
runs in a fresh interpreter (`python -m benchmarks.w4_deep_chain child ...`), which
reports its forward+backward seconds and the growth of its peak resident memory; growth
exponents come from the two largest N (1.0 = linear). The floor keeps no graph: Python
floats (Scalar) or numpy arrays (Tensor) forward, and the gradient as a running product.
"""

from __future__ import annotations

import json
import math
import sys
import time

import numpy as np

from .harness import (
    NOT_INSTALLED,
    Config,
    Result,
    check_close,
    optional_import,
    peak_rss_bytes,
    reset_peak_rss,
    run_child,
)

ID, NAME = "W4", "deep_chain"
FACTOR, OFFSET = 1.0001, 0.001
X0 = 0.5
TARGET_SECONDS, TARGET_BYTES = 5.0, 2**30
MICROGRAD_RECURSION_N = 10_000


def sizes(kind, quick):
    if quick:
        return (100, 1000)
    return (10_000, 100_000, 1_000_000) if kind == "scalar" else (1_000, 10_000, 100_000)


# --------------------------------------------------------------------------------------
# the chains (each returns y_N and dy_N/dx as floats or arrays)


def tracegrad_chain(kind, n):
    from autograd import Scalar, Tensor

    x = Scalar(X0) if kind == "scalar" else Tensor(np.full(4, X0), requires_grad=True)
    y = x
    for _ in range(n):
        y = y * FACTOR + OFFSET
    if kind == "scalar":
        y.backward()
        return y, y.data, x.grad
    y.sum().backward()
    return y, y.data, x.grad.data


def floor_chain(kind, n):
    y = X0 if kind == "scalar" else np.full(4, X0)
    for _ in range(n):
        y = y * FACTOR + OFFSET
    grad = 1.0 if kind == "scalar" else np.ones(4)
    for _ in range(n):
        grad = grad * FACTOR
    return None, y, grad


def torch_chain(kind, n):
    import torch

    x = torch.tensor(X0 if kind == "scalar" else [X0] * 4, dtype=torch.float64,
                     requires_grad=True)
    y = x
    for _ in range(n):
        y = y * FACTOR + OFFSET
    y.sum().backward()
    return y, y.detach().numpy(), x.grad.numpy()


def micrograd_chain(kind, n):
    from micrograd.engine import Value

    x = Value(X0)
    y = x
    for _ in range(n):
        y = y * FACTOR + OFFSET
    y.backward()
    return y, y.data, x.grad


CHAINS = {"tracegrad": tracegrad_chain, "torch": torch_chain, "micrograd": micrograd_chain}


def child(kind, n, implementation):
    """Runs in a fresh process: one timed forward+backward, and its peak memory growth."""
    chain = CHAINS[implementation]
    chain(kind, 10)  # import and warm up everything the chain touches
    reset_peak_rss()
    base = peak_rss_bytes()
    start, start_cpu = time.perf_counter(), time.process_time()
    try:
        graph, value, grad = chain(kind, n)
    except RecursionError as error:
        return {"error": f"RecursionError: {error}"}
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - start_cpu
    peak = peak_rss_bytes() - base
    start = time.perf_counter()
    del graph  # the graph dies here: freeing a long chain is a cost users pay too
    free_seconds = time.perf_counter() - start
    return {"wall_seconds": seconds, "cpu_seconds": cpu_seconds, "peak_bytes": peak,
            "free_seconds": free_seconds, "value": np.asarray(value).tolist(),
            "grad": np.asarray(grad).tolist()}


# --------------------------------------------------------------------------------------


def _median_child(kind, n, implementation, repeat, clock):
    runs = [run_child("benchmarks.w4_deep_chain", "child", kind, n, implementation)
            for _ in range(repeat)]
    if "error" in runs[0]:
        return runs[0]
    for run in runs:
        run["seconds"] = run[f"{clock}_seconds"]
    best = sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]
    best["peak_bytes"] = sorted(r["peak_bytes"] for r in runs)[len(runs) // 2]
    return best


def _floor(kind, n, config):
    """The floor keeps no graph, so its memory needs no fresh process: time it here."""
    start = config.now()
    _, value, grad = floor_chain(kind, n)
    seconds = config.now() - start
    return {"seconds": seconds, "value": np.asarray(value).tolist(),
            "grad": np.asarray(grad).tolist()}


def _growth(points) -> float | None:
    """Exponent p in cost ∝ Nᵖ, from the two largest N (1.0 = linear)."""
    (n1, c1), (n2, c2) = points[-2:]
    if c1 <= 0 or c2 <= 0:
        return None
    return math.log(c2 / c1) / math.log(n2 / n1)


def run(config: Config) -> list[Result]:
    results = []
    for kind in ("scalar", "tensor"):
        results += _run_kind(kind, config)
    return results


def _run_kind(kind, config) -> list[Result]:
    repeat = 1 if config.quick else 3
    peers = ["torch"] if kind == "tensor" or not config.quick else []
    if config.peers and kind == "scalar":
        peers.append("micrograd")
    results, ours_points, memory_points = [], [], []
    for n in sizes(kind, config.quick):
        ours = _median_child(kind, n, "tracegrad", repeat, config.clock)
        floor = _floor(kind, n, config)
        worst = max(check_close(f"W4 {kind} N={n} value", ours["value"], floor["value"], 1e-9),
                    check_close(f"W4 {kind} N={n} grad", ours["grad"], floor["grad"], 1e-9))
        ours_points.append((n, ours["seconds"]))
        memory_points.append((n, ours["peak_bytes"]))
        peer_values, peer_peaks = {}, {}
        for peer in peers if config.peers else []:
            peer_values[peer], peer_peaks[peer] = _peer_seconds(kind, n, peer, floor,
                                                                config.clock)
        if not config.peers:
            peer_values["torch"] = "not measured (--no-peers)"
        result = Result(ID, NAME, f"{kind}, N={n:,}", "s (fwd+bwd)", ours["seconds"],
                        floor["seconds"], peer_values,
                        f"y_N and dy_N/dx equal to the floor (max diff {worst:.1e})")
        result.extra = {"peak_mib": ours["peak_bytes"] / 2**20,
                        "bytes_per_step": ours["peak_bytes"] / n,
                        "free_seconds": ours["free_seconds"],
                        "us_per_step": ours["seconds"] / n * 1e6,
                        "peer_peak_mib": {p: v / 2**20 for p, v in peer_peaks.items()
                                          if v is not None}}
        results.append(result)
    time_growth, memory_growth = _growth(ours_points), _growth(memory_points)
    last = results[-1]
    last.extra.update({"time_growth_exponent": time_growth,
                       "memory_growth_exponent": memory_growth})
    last.target = ("< 5 s, < 1 GiB, linear" if kind == "scalar" and not config.quick
                   else "linear time and memory")
    linear = all(g is not None and g < 1.2 for g in (time_growth, memory_growth))
    if kind == "scalar" and not config.quick:
        peak = last.extra["peak_mib"] * 2**20
        last.met = linear and last.tracegrad < TARGET_SECONDS and peak < TARGET_BYTES
    elif not config.quick:
        last.met = linear
    for result in results:
        result.case += f", peak +{result.extra['peak_mib']:.1f} MiB"
    return results


def _peer_seconds(kind, n, peer, floor, clock):
    """(seconds or the reason there are none, peak bytes or None)."""
    module = {"torch": "torch", "micrograd": "micrograd.engine"}[peer]
    if optional_import(module) is None:
        return NOT_INSTALLED, None
    if peer == "torch" and kind == "scalar" and n > 100_000:
        return "not run (≈20 s at 10 µs per 0-d op)", None
    if peer == "micrograd" and n > MICROGRAD_RECURSION_N:
        return f"not run (recursion fails from N={MICROGRAD_RECURSION_N:,})", None
    got = _median_child(kind, n, peer, 1, clock)
    if "error" in got:
        return got["error"].split(":")[0], None
    check_close(f"W4 {peer} {kind} N={n}", got["grad"], floor["grad"], 1e-9)
    return got["seconds"], got["peak_bytes"]


if __name__ == "__main__":
    if len(sys.argv) != 5 or sys.argv[1] != "child":
        sys.exit("usage: python -m benchmarks.w4_deep_chain child {scalar|tensor} N IMPL")
    print(json.dumps(child(sys.argv[2], int(sys.argv[3]), sys.argv[4])))
