"""W5 render: trace the graph of an MLP forward pass and render it to SVG.

The graph is a Scalar MLP applied to one input point (one Scalar per weight, as in
micrograd's pictures), sized to about 50 and about 2,000 nodes, counting variable
nodes and operator nodes alike (the boxes and circles of the picture).

Two measurements per size:
- `autograd.viz.forward_graph(root, max_nodes=None)` piped to SVG (the library's picture,
  every node drawn, no folding); skipped when `autograd.viz` cannot be imported;
- the stand-in, which is also the floor: a minimal DOT text made here from
  `autograd.engine.topological_order` (one box per variable, one circle per operator,
  no styling) rendered by Graphviz's `dot -Tsvg`. It is what any renderer must at least
  pay, and shows how `dot` itself grows with the graph.
"""

from __future__ import annotations

import shutil
import subprocess

import numpy as np

from autograd import Scalar
from autograd.engine import topological_order

from .harness import Config, Result, compare, optional_import

ID, NAME = "W5", "render"
TARGET_SECONDS = 5.0
# Networks on one point: these layer sizes give 57 and 2,001 nodes.
SMALL_SIZES, LARGE_SIZES = (2, 3, 1), (2, 18, 18, 1)
VIZ_FUNCTIONS = ("forward_graph", "draw_graph", "draw_dot")


def mlp_graph(sizes, seed=0):
    """The output Scalar of an MLP with layer `sizes` on one random point."""
    rng = np.random.default_rng(seed)
    h = [Scalar(v, requires_grad=False) for v in rng.uniform(-1, 1, sizes[0])]
    for depth, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        outputs = []
        for _ in range(n_out):
            act = Scalar(0.0)
            for w, x in zip(rng.uniform(-1, 1, n_in), h, strict=True):
                act = act + Scalar(w) * x
            outputs.append(act.relu() if depth < len(sizes) - 2 else act)
        h = outputs
    return h[0]


def graph_parts(root):
    """(operator nodes in topological order, {id: variable}) of the graph behind root."""
    nodes = topological_order([root.grad_fn])
    variables = {id(root): root}
    for node in nodes:
        for variable in node.inputs:
            variables.setdefault(id(variable), variable)
    return nodes, variables


def node_count(root) -> int:
    nodes, variables = graph_parts(root)
    return len(nodes) + len(variables)


def standin_dot(root) -> str:
    """Minimal DOT: variables as boxes labelled with their value, operators as circles.

    A Node does not know its output, so each variable's box gets its edge from the node
    that made it (variable.grad_fn) and sends one to each node that consumes it.
    """
    nodes, variables = graph_parts(root)
    op_ids = {id(node): f"op{i}" for i, node in enumerate(nodes)}
    var_ids = {key: f"v{i}" for i, key in enumerate(variables)}
    lines = ["digraph G {", "rankdir=LR;"]
    for key, variable in variables.items():
        lines.append(f'{var_ids[key]} [shape=box, label="{variable.data:.4g}"];')
        if variable.grad_fn is not None:
            lines.append(f"{op_ids[id(variable.grad_fn)]} -> {var_ids[key]};")
    for node in nodes:
        lines.append(f'{op_ids[id(node)]} [shape=circle, label="{node.op.name}"];')
        lines += [f"{var_ids[id(v)]} -> {op_ids[id(node)]};" for v in node.inputs]
    lines.append("}")
    return "\n".join(lines)


def render_standin(sizes) -> int:
    """Trace, write DOT and render it with dot -Tsvg; returns the SVG's length."""
    svg = subprocess.run(["dot", "-Tsvg"], input=standin_dot(mlp_graph(sizes)),
                         capture_output=True, text=True, check=True).stdout
    if not svg.rstrip().endswith("</svg>"):
        raise RuntimeError("W5: dot -Tsvg did not produce an SVG document")
    return len(svg)


def _viz_renderer():
    """A function root -> SVG text from autograd.viz, or a reason why there is none."""
    viz = optional_import("autograd.viz")
    if viz is None:
        return None, "autograd.viz not available"
    for name in VIZ_FUNCTIONS:
        draw = getattr(viz, name, None)
        if callable(draw):
            return (lambda root, draw=draw: draw(root, max_nodes=None).pipe(format="svg")), None
    return None, f"autograd.viz has none of {', '.join(VIZ_FUNCTIONS)}"


def run(config: Config) -> list[Result]:
    cases = [SMALL_SIZES] if config.quick else [SMALL_SIZES, LARGE_SIZES]
    has_dot = shutil.which("dot") is not None
    draw, reason = _viz_renderer()
    results = []
    for sizes in cases:
        count = node_count(mlp_graph(sizes))
        case = f"MLP {'-'.join(map(str, sizes))} on one point, {count:,} nodes"
        if not has_dot:
            results.append(Result(ID, NAME, case, "s", None, None,
                                  skipped="Graphviz dot not installed"))
            continue
        lap = Config(quick=config.quick, warmup=1, repeat=3 if config.quick else 5,
                     min_time=0.0, clock=config.clock)
        fns = {"standin": lambda sizes=sizes: render_standin(sizes)}
        if draw is not None:
            fns["viz"] = lambda sizes=sizes: draw(mlp_graph(sizes))
        times = compare(fns, lap)
        standin = times["standin"].median
        target = f"< {TARGET_SECONDS:g} s" if count > 1000 else ""
        if draw is None:
            results.append(Result(ID, NAME, case + " (autograd.viz)", "s", None, standin,
                                  target=target, skipped=reason))
        else:
            viz_s = times["viz"].median
            results.append(Result(ID, NAME, case + " (autograd.viz)", "s", viz_s, standin,
                                  check="SVG produced from the same graph", target=target,
                                  met=None if config.quick or not target
                                  else viz_s < TARGET_SECONDS))
        results.append(Result(
            ID, NAME, case + " (STAND-IN: own DOT + dot -Tsvg)", "s", standin, None,
            check="SVG produced; this is the floor of the autograd.viz row", target=target,
            met=None if config.quick or not target else standin < TARGET_SECONDS,
            extra={"dot_text_seconds": _time_dot_text(sizes, config)}))
    return results


def _time_dot_text(sizes, config) -> float:
    root = mlp_graph(sizes)
    start = config.now()
    standin_dot(root)
    return config.now() - start
