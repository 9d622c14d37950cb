"""Where the time goes: `python -m benchmarks.profile_ops [--top N]`.

Prints, for the engine as it stands (run it before and after an optimisation):
1. a ledger of per-operator costs in CPU µs (process time, best of 7 timeit rounds, so
   another process on the machine can only make a number look worse, never better), for
   Scalar and for shape-(8,) Tensors, next to plain Python / numpy and micrograd /
   PyTorch when present;
2. W1's step split into forward, backward and the garbage collector, per generation
   (gc.callbacks), and what other collector settings would give (CPU seconds);
3. W2 at n=100000: minor page faults per chain (the allocator, not the arithmetic),
   and CPU ms per chain;
4. W3's step split into forward, backward and update, against the floor (CPU ms), and
   W6's training step split the same way, against the floor (CPU µs);
5. cProfile's top functions (collector off, so its time is not smeared over whichever
   function happened to allocate) for one W1 step and for the W2 chain at n=8.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import resource
import statistics
import time
import timeit

import numpy as np

import nn
import optim
from autograd import Scalar, Tensor, no_grad, topological_order

from . import w1_scalar_mlp as w1
from . import w2_op_overhead as w2
from . import w3_mlp_step as w3
from . import w6_digits as w6
from .harness import Config, optional_import

# Read before anything here builds a graph: the engine raises the threshold for big ones.
_STARTING_THRESHOLDS = gc.get_threshold()


def best_us(stmt, namespace, number=20_000) -> float:
    """CPU µs per execution of stmt: the best of 7 rounds of `number`."""
    rounds = timeit.repeat(stmt, globals=namespace, number=number, repeat=7,
                           timer=time.process_time)
    return min(rounds) / number * 1e6


def backward_us_per_node(build, repeat=7) -> float:
    """µs per operator node of backward() on the (root, operator nodes) build() returns
    (built untimed)."""
    best = float("inf")
    for _ in range(repeat):
        root, nodes = build()
        start = time.process_time()
        root.backward()
        best = min(best, (time.process_time() - start) / nodes * 1e6)
    return best


def scalar_ledger() -> list[tuple[str, float]]:
    a, b = Scalar(1.5), Scalar(2.0)
    ca, cb = Scalar(1.5, requires_grad=False), Scalar(2.0, requires_grad=False)
    ns = {"a": a, "b": b, "ca": ca, "cb": cb}
    rows = [
        ("python float a*b", best_us("1.5 * x", {"x": 2.0}, 200_000)),
        ("Scalar a*b (records a node)", best_us("a * b", ns)),
        ("Scalar a+b", best_us("a + b", ns)),
        ("Scalar a+1.0 (number made a constant)", best_us("a + 1.0", ns)),
        ("Scalar a.relu()", best_us("a.relu()", ns)),
        ("Scalar a*b, neither requires grad (no node)", best_us("ca * cb", ns)),
    ]

    def sum_of_products(n=2000):  # n products and n sums: 2n operator nodes
        total = Scalar(0.0)
        for i in range(n):
            total = total + Scalar(float(i)) * 0.5
        return total, 2 * n

    rows.append(("Scalar backward, per operator node", backward_us_per_node(sum_of_products)))
    root, count = sum_of_products()
    walk = best_us("topological_order([r.grad_fn])", {"topological_order": topological_order,
                                                      "r": root}, 20) / count
    rows.append(("topological_order (listings, pictures), per node", walk))
    engine = optional_import("micrograd.engine")
    if engine is not None:
        va, vb = engine.Value(1.5), engine.Value(2.0)
        rows.append(("micrograd Value a*b", best_us("a * b", {"a": va, "b": vb})))

        def micrograd_sum(n=400):  # its recursive walk: stay under the recursion limit
            total = engine.Value(0.0)
            for i in range(n):
                total = total + engine.Value(float(i)) * 0.5
            return total, 2 * n

        rows.append(("micrograd backward, per operator node",
                     backward_us_per_node(micrograd_sum)))
    return rows


def tensor_ledger() -> list[tuple[str, float]]:
    x0, c0, _ = w2.inputs(8)
    x, c, cx = Tensor(x0, requires_grad=True), Tensor(c0), Tensor(x0)
    ns = {"x": x, "c": c, "cx": cx, "x0": x0, "c0": c0, "np": np, "Tensor": Tensor}
    rows = [
        ("numpy x0*c0 (8,)", best_us("x0 * c0", ns, 200_000)),
        ("numpy tanh (8,)", best_us("np.tanh(x0)", ns, 200_000)),
        ("Tensor x*c (records a node)", best_us("x * c", ns)),
        ("Tensor x.tanh()", best_us("x.tanh()", ns)),
        ("Tensor x*c, neither requires grad (no node)", best_us("cx * c", ns)),
        ("Tensor._make (wrap an array)", best_us("Tensor._make(x0)", ns, 200_000)),
    ]

    def chain():
        y = x
        for _ in range(w2.CYCLES):
            y = (y * c + c).tanh().exp()
        x.grad = None
        return y.sum(), w2.OPS + 1

    rows.append(("Tensor backward, per operator node", backward_us_per_node(chain)))
    torch = optional_import("torch")
    if torch is not None:
        tx = torch.tensor(x0, requires_grad=True)
        tc = torch.tensor(c0)
        rows.append(("torch x*c (8,)", best_us("x * c", {"x": tx, "c": tc})))
    return rows


def w1_split(repeat=5) -> dict:
    """Seconds per W1 step in forward, backward and the collector (per generation)."""
    process_thresholds = gc.get_threshold()
    try:
        return _w1_split(repeat)
    finally:
        gc.set_threshold(*process_thresholds)


def _w1_split(repeat):
    X, y, weights, _ = w1.problem(Config.full())
    rows, labels = X.tolist(), y.tolist()
    model = w1.ScalarMLP(weights)
    model.step(rows, labels)
    spent = {0: [0, 0.0], 1: [0, 0.0], 2: [0, 0.0]}
    started = [0.0]

    def on_collect(phase, info):
        if phase == "start":
            started[0] = time.process_time()
        else:
            spent[info["generation"]][0] += 1
            spent[info["generation"]][1] += time.process_time() - started[0]

    forward, backward, freeing = [], [], []
    for _ in range(repeat):  # thresholds as the engine leaves them after its first step
        gc.collect()
        gc.callbacks.append(on_collect)
        start = time.process_time()
        loss = model.loss(rows, labels)
        middle = time.process_time()
        loss.backward()
        end = time.process_time()
        del loss  # the graph dies by reference counting, here
        freed = time.process_time()
        gc.callbacks.remove(on_collect)
        forward.append(middle - start)
        backward.append(end - middle)
        freeing.append(freed - end)
    return {"forward_s": statistics.median(forward), "backward_s": statistics.median(backward),
            "free_s": statistics.median(freeing),
            "gc": {f"gen{g}": {"collections": n / repeat, "seconds": t / repeat}
                   for g, (n, t) in spent.items()},
            "nodes": w1.graph_size(model, rows, labels), "thresholds": gc.get_threshold()}


def w1_collector_settings(repeat=5) -> dict:
    """Median CPU seconds per W1 step under several collector settings (then restored).

    "as the engine leaves it" keeps whatever thresholds the engine set in its previous
    step, as a training loop would; the fixed settings are reset before every step, and
    the engine's gc callback (which would retune them mid-step) is removed meanwhile.
    """
    X, y, weights, _ = w1.problem(Config.full())
    rows, labels = X.tolist(), y.tolist()
    model = w1.ScalarMLP(weights)
    default = _STARTING_THRESHOLDS
    settings = {f"fixed {default} (as the process started)": default,
                "fixed (50000, 10, 10)": (50_000, 10, 10),
                "fixed (700, 1000, 10)": (700, 1000, 10),
                "disabled": None,
                "as the engine leaves it": "engine"}
    carried = default
    times = {name: [] for name in settings}
    try:
        for _ in range(repeat):  # interleaved, so drift on the machine hits all alike
            for name, thresholds in settings.items():
                gc.collect()
                gc.set_threshold(*(carried if thresholds == "engine" else
                                   thresholds or default))
                if thresholds is None:
                    gc.disable()
                # a fixed setting stays fixed: the engine's tuning hook is out meanwhile
                watch = _engine_collector_watch() if thresholds != "engine" else None
                if watch is not None:
                    gc.callbacks.remove(watch)
                start = time.process_time()
                model.step(rows, labels)
                times[name].append(time.process_time() - start)
                if watch is not None:
                    gc.callbacks.append(watch)
                gc.enable()
                if thresholds == "engine":
                    carried = gc.get_threshold()
                gc.set_threshold(*default)
    finally:
        gc.enable()
        gc.set_threshold(*default)
    return {name: statistics.median(values) for name, values in times.items()}


def _engine_collector_watch():
    """The gc callback with which the engine tunes the collector while a graph grows."""
    from autograd.collector import _GraphGrowthWatch

    return next((c for c in gc.callbacks if isinstance(c, _GraphGrowthWatch)), None)


def w2_page_faults(n=100_000, repeat=5) -> dict:
    """Minor page faults and seconds per W2 chain: tracegrad vs the floor."""
    x0, c0, d0 = w2.inputs(n)
    x, c, d = Tensor(x0, requires_grad=True), Tensor(c0), Tensor(d0)
    runs = {"floor": lambda: w2.numpy_chain(x0, c0, d0),
            "tracegrad": lambda: w2.tracegrad_chain(x, c, d)}
    out = {}
    for name, fn in runs.items():
        fn()
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        start = time.process_time()
        for _ in range(repeat):
            fn()
        seconds = (time.process_time() - start) / repeat
        faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults) / repeat
        out[name] = {"cpu_ms_per_chain": seconds * 1e3, "minor_faults_per_chain": faults}
    return out


def _split_ms(phases, repeat) -> list[float]:
    """Median CPU ms of each phase (a list of functions run in turn, `repeat` times)."""
    for phase in phases:
        phase()
    times = [[] for _ in phases]
    for _ in range(repeat):
        for i, phase in enumerate(phases):
            start = time.process_time()
            phase()
            times[i].append(time.process_time() - start)
    return [statistics.median(t) * 1e3 for t in times]


def w3_split(repeat=20) -> dict:
    """CPU ms of a W3 step split into forward, backward and update: tracegrad (nn and
    optim, as W3 times it; and the raw-operator model) against the numpy floor, whose
    eight GEMMs are timed alone too."""
    x, labels, weights, _ = w3.problem(Config.full())
    x_tensor = Tensor(x)
    out = {}
    for name, model in (("tracegrad nn", w3.ModuleMLP(weights)),
                        ("tracegrad raw operators", w3.TensorMLP(weights))):
        box = {}

        def forward(model=model, box=box):
            for p in model.params:
                p.grad = None
            box["loss"] = model.loss(x_tensor, labels)

        def update(model=model):
            if hasattr(model, "optimizer"):
                model.optimizer.step()
            else:
                with no_grad():
                    for p in model.params:
                        p.data -= w3.LEARNING_RATE * p.grad.data

        out[name] = _split_ms([forward, lambda box=box: box["loss"].backward(), update],
                              repeat)
    floor_weights = [(W.copy(), b.copy()) for W, b in weights]
    box = {}

    def floor_grads():
        box["grads"] = w3.numpy_loss_and_grads(floor_weights, x, labels)[1]

    def floor_update():
        arrays = (a for pair in floor_weights for a in pair)
        for array, grad in zip(arrays, box["grads"], strict=True):
            array -= w3.LEARNING_RATE * grad

    out["floor (forward+backward, update)"] = _split_ms([floor_grads, floor_update], repeat)
    out["floor: the 8 GEMMs alone"] = _split_ms(
        [lambda: w3.gemms_only(floor_weights, x, None)], repeat)
    return out


def w6_split(steps=200) -> dict:
    """CPU µs of one W6 training step (nn.MLP, CrossEntropyLoss, optim.Adam, batch 32)
    split into forward, backward and the optimizer step, against the floor's gradients
    and its numpy Adam."""
    X, _, y, _ = w6.problem(Config.full())
    weights = w6.initial_weights(0, X.shape[1])
    model = w6.tracegrad_model(weights, X.shape[1])
    loss_fn = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=w6.LR, betas=w6.BETAS, eps=w6.EPS)
    batches = list(w6.DataLoader(X, y, batch_size=w6.BATCH, shuffle=True, seed=0))[:steps]
    floor_weights = [w.copy() for w in weights]
    floor_adam = w6.Adam(floor_weights)
    totals = {"forward": 0.0, "backward": 0.0, "optimizer step": 0.0, "floor gradients": 0.0,
              "floor Adam": 0.0}
    for _ in range(5):
        for xb, yb in batches:
            t0 = time.process_time()
            optimizer.zero_grad()
            loss = loss_fn(model(Tensor(xb)), yb)
            t1 = time.process_time()
            loss.backward()
            t2 = time.process_time()
            optimizer.step()
            t3 = time.process_time()
            grads = w6.numpy_grads(floor_weights, xb, yb)
            t4 = time.process_time()
            floor_adam.step(grads)
            t5 = time.process_time()
            for key, seconds in zip(totals, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4)):
                totals[key] += seconds
    return {key: seconds / (5 * len(batches)) * 1e6 for key, seconds in totals.items()}


def top_functions(fn, calls, top) -> str:
    fn()
    gc.disable()
    profile = cProfile.Profile()
    try:
        profile.enable()
        for _ in range(calls):
            fn()
        profile.disable()
    finally:
        gc.enable()
    text = io.StringIO()
    stats = pstats.Stats(profile, stream=text)
    stats.sort_stats("tottime").print_stats(top)
    lines = text.getvalue().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("ncalls"))
    return "\n".join([lines[0].strip()] + lines[start:start + top + 1])


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile_ops")
    parser.add_argument("--top", type=int, default=12, help="cProfile rows to show")
    args = parser.parse_args(argv)

    print("## Per-operator ledger (CPU µs, best of 7)\n")
    for label, value in scalar_ledger() + tensor_ledger():
        print(f"{label:<45} {value:8.3f}")

    print("\n## W1 step: forward, backward, collector\n")
    split = w1_split()
    print(f"CPU seconds per step: forward {split['forward_s']:.3f}, backward "
          f"{split['backward_s']:.3f}, freeing the graph {split['free_s']:.3f}; "
          f"{split['nodes'][0]:,} operator nodes, {split['nodes'][1]:,} variables")
    print(f"  collector thresholds during these steps: {split['thresholds']}")
    for generation, info in split["gc"].items():
        print(f"  collector {generation}: {info['collections']:.1f} collections/step, "
              f"{info['seconds'] * 1e3:.1f} ms/step")
    for name, seconds in w1_collector_settings().items():
        print(f"  step with collector {name}: {seconds:.3f} CPU s")

    print("\n## W2 at n=100000: page faults\n")
    for name, info in w2_page_faults().items():
        print(f"{name:<10} {info['cpu_ms_per_chain']:7.1f} CPU ms/chain, "
              f"{info['minor_faults_per_chain']:8.0f} minor faults/chain")

    print("\n## W3 step: forward, backward, update (CPU ms, median)\n")
    for name, parts in w3_split().items():
        print(f"{name:<36} " + " / ".join(f"{ms:.3f}" for ms in parts)
              + f"  (total {sum(parts):.3f})")

    print("\n## W6 step (CPU µs per batch of 32)\n")
    for name, us in w6_split().items():
        print(f"{name:<20} {us:7.1f}")

    X, y, weights, _ = w1.problem(Config.full())
    rows, labels, model = X.tolist(), y.tolist(), w1.ScalarMLP(weights)
    print("\n## cProfile: one W1 step (collector off)\n")
    print(top_functions(lambda: model.step(rows, labels), 1, args.top))
    x0, c0, d0 = w2.inputs(8)
    x, c, d = Tensor(x0, requires_grad=True), Tensor(c0), Tensor(d0)
    print("\n## cProfile: 200 W2 chains at n=8 (collector off)\n")
    print(top_functions(lambda: w2.tracegrad_chain(x, c, d), 200, args.top))


if __name__ == "__main__":
    main()
