"""How long drawing a computation graph takes: building the DOT and rendering it with `dot`.

    python benchmarks/render_bench.py [--repeat N]

Prints one JSON line. Three graph shapes at about 50 and about 2,000 drawn nodes, all
drawn in full (max_nodes=None), plus the 2,000-node graphs drawn with the default node
limit (which folds or summarises them):
  scalar_mlp  a micrograd-style network of Scalar neurons (many short edges)
  tensor_mlp  a deep Tensor MLP whose layers are module scopes (nested clusters)
  random_dag  each Scalar operator takes one recent and one random earlier value: many
              long edges, dot's worst case (its default settings take 30 s and more here)
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import subprocess
import time

import numpy as np

import autograd as ag
from autograd import viz
from autograd.graph import Graph, scope


def scalar_mlp(inputs: int, hidden: list, seed: int = 0):
    rng = random.Random(seed)
    xs = [ag.Scalar(rng.uniform(-1, 1), requires_grad=False) for _ in range(inputs)]
    for width in hidden:
        layer = []
        for _ in range(width):
            total = ag.Scalar(rng.uniform(-1, 1))
            for x in xs:
                total = total + ag.Scalar(rng.uniform(-1, 1)) * x
            layer.append(total.tanh())
        xs = layer
    out = xs[0]
    for x in xs[1:]:
        out = out + x
    return out


class _Layer:
    """A stand-in module (benchmarks must not depend on nn): one scope per call."""

    def __init__(self, width, rng):
        self.weight = ag.Tensor(rng.normal(size=(width, width)), requires_grad=True)
        self.bias = ag.Tensor(np.zeros(width), requires_grad=True)
        self.activation = object()

    def __call__(self, x):
        with scope("Linear", module=self):
            z = x @ self.weight.T + self.bias
        with scope("Tanh", module=self.activation):
            return z.tanh()


def tensor_mlp(layers: int, width: int = 8, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = ag.Tensor(rng.normal(size=(4, width)), name="x")
    blocks = [_Layer(width, rng) for _ in range(layers)]
    with scope("MLP", module=blocks):
        for block in blocks:
            x = block(x)
    return (x * x).mean()


def random_dag(operators: int, seed: int = 0):
    rng = random.Random(seed)
    pool = [ag.Scalar(rng.uniform(-1, 1), name=f"a{i}") for i in range(8)]
    for _ in range(operators):
        a, b = rng.choice(pool[-30:]), rng.choice(pool)
        kind = rng.randrange(3)
        pool.append(a + b if kind == 0 else a * b if kind == 1 else a.tanh())
    out = pool[-1]
    for value in pool[-8:-1]:
        out = out + value
    return out


CASES = {
    "scalar_mlp": {50: lambda: scalar_mlp(2, [3]), 2000: lambda: scalar_mlp(4, [16, 16, 9])},
    "tensor_mlp": {50: lambda: tensor_mlp(4), 2000: lambda: tensor_mlp(200)},
    "random_dag": {50: lambda: random_dag(22), 2000: lambda: random_dag(2000)},
}


def measure(make, max_nodes, repeat):
    output = make()
    graph = Graph.from_outputs(output)
    best_build = best_render = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        figure = viz.forward_graph(graph, max_nodes=max_nodes)
        built = time.perf_counter()
        figure.pipe(format="svg")
        best_build = min(best_build, built - start)
        best_render = min(best_render, time.perf_counter() - built)
    layout = {k: v for k, v in figure.graph_attr.items() if k in (
        "splines", "nslimit", "mclimit", "remincross", "searchsize")}
    return {"graph_nodes": len(graph.variables) + len(graph), "drawn_nodes": figure.drawn_nodes,
            "max_nodes": max_nodes, "build_s": round(best_build, 3),
            "render_s": round(best_render, 3), "layout": layout}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    version = subprocess.run(["dot", "-V"], capture_output=True, text=True).stderr.strip()
    results = []
    for name, sizes in CASES.items():
        for size, make in sizes.items():
            results.append({"case": name, "size": size, **measure(make, None, args.repeat)})
        results.append({"case": name, "size": 2000, **measure(sizes[2000], 400, args.repeat)})
    print(json.dumps({"benchmark": "render", "dot": version, "python": platform.python_version(),
                      "results": results}))


if __name__ == "__main__":
    main()
