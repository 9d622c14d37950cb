"""autograd.viz: the DOT each picture produces (structure, shapes, clusters, colours),
rendering through the real `dot`, and the paths where `dot` is missing."""

import json
import re
import shutil
from pathlib import Path

import graphviz
import numpy as np
import pytest

import autograd as ag
from autograd import Scalar, Tensor, viz
from autograd.graph import Graph, scope
from autograd.viz import style

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")


# --------------------------------------------------------------------------------------
# reading DOT back (python-graphviz writes one statement per line)


def _attrs(text: str) -> dict:
    attrs, i = {}, 0
    while i < len(text):
        match = re.compile(r"\s*([\w-]+)=").match(text, i)
        if not match:
            break
        key, i = match.group(1), match.end()
        if text[i] == "<":
            depth, j = 0, i
            while True:
                depth += {"<": 1, ">": -1}.get(text[j], 0)
                j += 1
                if depth == 0:
                    break
        elif text[i] == '"':
            j = i + 1
            while text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            j += 1
        else:
            j = i
            while j < len(text) and not text[j].isspace():
                j += 1
        attrs[key] = text[i:j].strip('"')
        i = j
    return attrs


def parse(figure) -> dict:
    """{"nodes": {id: attrs}, "edges": [(src, dst, attrs)], "cluster_of": {id: [clusters]},
    "clusters": {name: attrs}, "graph": attrs}."""
    nodes, edges, cluster_of, clusters, stack = {}, [], {}, {}, []
    graph_attrs = dict(figure.graph_attr)
    for line in figure.source.splitlines()[1:]:
        text = line.strip()
        if text.startswith("subgraph "):
            stack.append(text.split()[1])
            if stack[-1].startswith("cluster"):  # not the end-of-picture legend's rank
                clusters[stack[-1]] = {"parent": stack[-2] if len(stack) > 1 else None}
        elif text == "}":
            if stack:
                stack.pop()
        elif text.startswith(("graph [", "node [", "edge [")):
            if text.startswith("graph [") and not stack:
                graph_attrs.update(_attrs(text[7:-1]))
        elif "->" in text:
            match = re.match(r"(\w+) -> (\w+)(?: \[(.*)\])?$", text)
            edges.append((match.group(1), match.group(2), _attrs(match.group(3) or "")))
        elif re.match(r"[\w-]+=", text):
            if stack and stack[-1] in clusters:
                clusters[stack[-1]].update(_attrs(text))
        else:
            match = re.match(r"(\w+)(?: \[(.*)\])?$", text)
            attrs = _attrs(match.group(2) or "")
            if attrs.get("class") == "legend":  # the legend repeated under a tall picture
                continue
            nodes[match.group(1)] = attrs
            cluster_of[match.group(1)] = list(stack)
    return {"nodes": nodes, "edges": edges, "cluster_of": cluster_of, "clusters": clusters,
            "graph": graph_attrs}


def by_class(dot, word):
    return {i: a for i, a in dot["nodes"].items() if word in a.get("class", "").split()}


# --------------------------------------------------------------------------------------
# fixtures: a neuron, a small Tensor MLP with stand-in modules


def neuron():
    x1, x2 = Scalar(2.0, name="x1", requires_grad=False), Scalar(0.0, name="x2",
                                                                 requires_grad=False)
    w1, w2, b = Scalar(-3.0, name="w1"), Scalar(1.0, name="w2"), Scalar(6.88, name="b")
    out = (x1 * w1 + x2 * w2 + b).tanh()
    out.name = "o"
    return out, (x1, x2, w1, w2, b)


class Module:
    """A stand-in for nn.Module: one scope per call, module paths from named_modules."""

    def __call__(self, x):
        with scope(type(self).__name__, module=self):
            return self.forward(x)

    def named_modules(self, prefix=""):
        yield prefix, self
        for key, child in getattr(self, "children", {}).items():
            yield from child.named_modules(f"{prefix}.{key}" if prefix else key)

    def named_parameters(self):
        for path, module in self.named_modules():
            for key in ("weight", "bias"):
                if hasattr(module, key):
                    yield (f"{path}.{key}" if path else key), getattr(module, key)


class Linear(Module):
    def __init__(self, n_in, n_out, rng):
        self.weight = Tensor(rng.normal(size=(n_out, n_in)), requires_grad=True)
        self.bias = Tensor(np.zeros(n_out), requires_grad=True)

    def forward(self, x):
        return x @ self.weight.T + self.bias


class Tanh(Module):
    def forward(self, x):
        return x.tanh()


class MLP(Module):
    def __init__(self, sizes, seed=0):
        rng = np.random.default_rng(seed)
        layers = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=False):
            layers += [Linear(n_in, n_out, rng), Tanh()]
        self.children = {str(i): layer for i, layer in enumerate(layers[:-1])}

    def forward(self, x):
        for layer in self.children.values():
            x = layer(x)
        return x


def cross_entropy(logits, labels):
    with scope("cross_entropy", composite=True):
        return -logits.log_softmax(axis=-1)[np.arange(len(labels)), labels].mean()


def mlp_loss(sizes=(3, 4, 2), seed=0):
    model = MLP(list(sizes), seed)
    x = Tensor(np.random.default_rng(seed + 1).normal(size=(5, sizes[0])), name="x")
    labels = np.arange(5) % sizes[-1]
    return model, cross_entropy(model(x), labels)


# --------------------------------------------------------------------------------------
# the forward graph


def test_forward_graph_draws_variables_as_boxes_and_operators_as_circles():
    out, _ = neuron()
    graph = Graph.from_outputs(out)
    dot = parse(viz.forward_graph(out))
    variables, operators = by_class(dot, "variable"), by_class(dot, "operator")
    assert len(variables) == len(graph.variables) == 10
    assert len(operators) == len(graph) == 5
    assert {a["shape"] for a in variables.values()} == {"box"}
    assert {a["shape"] for a in operators.values()} == {"circle"}
    assert len(dot["edges"]) == len(graph.edges) == 14


def test_edges_follow_the_data_flow_variable_to_operator_to_variable():
    out, _ = neuron()
    dot = parse(viz.forward_graph(out))
    variables, operators = by_class(dot, "variable"), by_class(dot, "operator")
    for source, target, _ in dot["edges"]:
        assert (source in variables and target in operators) or (
            source in operators and target in variables)
    output_id = next(i for i, a in variables.items() if "output" in a["class"])
    assert not any(source == output_id for source, _, _ in dot["edges"])


def test_parameters_look_different_from_inputs_and_constants():
    x = Tensor([1.0, 2.0], name="x")
    w = Tensor([3.0, 4.0], requires_grad=True, name="w")
    dot = parse(viz.forward_graph(ag.trace(lambda x, w: (x * w * 2.0).sum(), x, w)))
    look = {kind: next(iter(by_class(dot, kind).values())) for kind in
            ("input", "parameter", "constant")}
    fills = {kind: attrs["fillcolor"] for kind, attrs in look.items()}
    assert len(set(fills.values())) == 3
    assert float(look["parameter"]["penwidth"]) > float(look["input"]["penwidth"])
    assert "dashed" in look["constant"]["style"]


def test_labels_show_name_shape_dtype_and_values_or_a_summary():
    small = Tensor([1.5, -2.0], requires_grad=True, name="small")
    big = Tensor(np.arange(100.0).reshape(10, 10), requires_grad=True, name="big")
    dot = parse(viz.forward_graph((small.sum() + big.sum())))
    labels = [a["label"] for a in by_class(dot, "parameter").values()]
    small_label = next(label for label in labels if "small" in label)
    big_label = next(label for label in labels if "big" in label)
    assert "(2,) float64" in small_label and "[1.5, -2]" in small_label
    assert "(10, 10) float64" in big_label and "mean 49.5" in big_label
    assert "min 0  max 99" in big_label


def test_user_text_is_escaped_and_node_ids_are_opaque():
    weird = Scalar(1.0, name="<lambda>:a\\b & c")
    dot = parse(viz.forward_graph(weird * 2, title="<title>"))
    assert all(re.fullmatch(r"(v|op)\d+", node_id) for node_id in dot["nodes"])
    label = next(iter(by_class(dot, "parameter").values()))["label"]
    assert "&lt;lambda&gt;:a\\b &amp; c" in label
    assert "<lambda>" not in label


@needs_dot
def test_escaped_names_render_through_dot_unchanged():
    weird = Scalar(1.0, name="<lambda>:a\\b")
    svg = viz.forward_graph(weird * 2).pipe(format="svg", encoding="utf-8")
    assert "&lt;lambda&gt;:a\\b" in svg
    assert "Warning" not in svg


def test_operator_circles_show_symbols_and_short_parameters():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    dot = parse(viz.forward_graph((x.T @ x).sum(axis=0) ** 2))
    labels = [a["label"] for a in by_class(dot, "operator").values()]
    assert any(">(·)ᵀ<" in label for label in labels)
    assert any(">@<" in label for label in labels)
    assert any("axis=0" in label for label in labels)
    assert any("(·)²" in label for label in labels)


# --------------------------------------------------------------------------------------
# module clusters, folding, composites


def test_module_calls_are_nested_labelled_clusters():
    _, loss = mlp_loss()
    dot = parse(viz.forward_graph(loss, expand=True))
    labels = {name: c.get("label", "") for name, c in dot["clusters"].items()}
    mlp = next(name for name, label in labels.items() if ">MLP<" in label)
    linear0 = next(name for name, label in labels.items() if "0: Linear" in label)
    tanh1 = next(name for name, label in labels.items() if "1: Tanh" in label)
    assert dot["clusters"][linear0]["parent"] == mlp
    assert dot["clusters"][tanh1]["parent"] == mlp
    assert dot["clusters"][mlp]["parent"] is None
    weight = next(i for i, a in dot["nodes"].items() if ">0.weight<" in a.get("label", ""))
    assert dot["cluster_of"][weight] == [mlp, linear0]  # a parameter sits in its module
    x = next(i for i, a in dot["nodes"].items() if "<B>x</B>" in a.get("label", ""))
    assert dot["cluster_of"][x] == []  # an input sits outside every module


def test_collapse_draws_each_innermost_module_as_one_box():
    _, loss = mlp_loss(sizes=(3, 4, 4, 2))
    dot = parse(viz.forward_graph(loss, modules="collapse"))
    boxes = by_class(dot, "module")
    assert len(boxes) == 5  # Linear, Tanh, Linear, Tanh, Linear
    assert {a["shape"] for a in boxes.values()} == {"box3d"}
    assert not by_class(dot, "parameter")  # folded into their Linear boxes
    assert "2 parameters" in next(a["label"] for a in boxes.values() if "Linear" in a["label"])


def test_an_integer_depth_folds_the_module_calls_at_that_depth():
    _, loss = mlp_loss(sizes=(3, 4, 4, 2))
    whole = parse(viz.forward_graph(loss, modules=0))
    assert len(by_class(whole, "module")) == 1
    layers = parse(viz.forward_graph(loss, modules=1))
    assert len(by_class(layers, "module")) == 5


def test_a_composite_function_is_one_node_until_expanded():
    _, loss = mlp_loss()
    folded = parse(viz.forward_graph(loss))
    composite = by_class(folded, "composite")
    assert len(composite) == 1
    assert next(iter(composite.values()))["shape"] == "doublecircle"
    assert not any("log_" in a["label"] for a in by_class(folded, "operator").values())
    expanded = parse(viz.forward_graph(loss, expand=True))
    assert not by_class(expanded, "composite")
    assert any("cross_entropy" in c.get("label", "") for c in expanded["clusters"].values())


def test_expand_draws_log_softmax_as_its_primitives_with_the_right_values():
    from autograd.viz.expand import expansion

    x = Tensor([[1000.0, 0.0, -1000.0], [1.0, 2.0, 3.0]], requires_grad=True)
    y = x.log_softmax(axis=1)
    steps = expansion(y.grad_fn)
    assert [s.op for s in steps] == ["max", "sub", "exp", "sum", "log", "sub"]
    np.testing.assert_allclose(steps[-1].value, y.data)
    dot = parse(viz.forward_graph(y.sum(), expand=True))
    expanded = by_class(dot, "expanded")
    assert len([i for i, a in expanded.items() if "operator" in a["class"]]) == 6
    assert any("fused operator" in c.get("label", "") for c in dot["clusters"].values())


def test_expand_softmax_and_logsumexp_reproduce_the_engine():
    from autograd.viz.expand import expansion

    x = Tensor(np.random.default_rng(0).normal(size=(3, 4)), requires_grad=True)
    soft, lse = x.softmax(axis=0), x.logsumexp(axis=1)
    np.testing.assert_allclose(expansion(soft.grad_fn)[-1].value, soft.data)
    np.testing.assert_allclose(expansion(lse.grad_fn)[-1].value, lse.data)
    assert expansion((x * 2).grad_fn) is None


def test_bad_modules_option_raises_value_error():
    out, _ = neuron()
    with pytest.raises(ValueError, match="modules must be"):
        viz.forward_graph(out, modules="sideways")


# --------------------------------------------------------------------------------------
# large graphs


def chain(n):
    x = Scalar(0.1, name="x")
    y = x
    for _ in range(n):
        y = y * 1.01 + 0.001
    return y


def test_a_graph_over_max_nodes_is_summarised_in_one_node_with_a_note():
    y = chain(300)  # 1,502 nodes
    figure = viz.forward_graph(y, max_nodes=100)
    dot = parse(figure)
    assert figure.drawn_nodes == len(dot["nodes"]) <= 100
    summary = by_class(dot, "summary")
    assert list(summary) == ["more"]
    assert "not drawn" in summary["more"]["label"]
    assert "mul ×" in summary["more"]["label"] and "add ×" in summary["more"]["label"]
    assert any("max_nodes=100" in note and "summarised" in note for note in figure.notes)
    assert "max_nodes=100" in figure.source  # the note is in the picture itself


def test_over_max_nodes_modules_fold_before_anything_is_summarised():
    _, loss = mlp_loss(sizes=(3, 4, 4, 4, 2))  # 7 layers: "auto" would fold them anyway
    full = viz.forward_graph(loss, modules="cluster", max_nodes=None)
    figure = viz.forward_graph(loss, modules="cluster", max_nodes=full.drawn_nodes - 1)
    dot = parse(figure)
    assert by_class(dot, "module") and not by_class(dot, "summary")
    assert any("module calls are drawn as boxes" in note for note in figure.notes)


def test_max_nodes_none_draws_everything_and_big_graphs_get_fast_layout_options():
    y = chain(300)
    figure = viz.forward_graph(y, max_nodes=None)
    assert figure.drawn_nodes == len(Graph.from_outputs(y).variables) + 600
    assert figure.graph_attr["splines"] == "line"
    assert float(figure.graph_attr["nslimit"]) <= 1
    small = viz.forward_graph(chain(3))
    assert "nslimit" not in small.graph_attr


# --------------------------------------------------------------------------------------
# gradient flow


def test_gradient_flow_runs_backward_and_shows_every_gradient():
    out, (x1, x2, w1, w2, b) = neuron()
    dot = parse(viz.gradient_flow(out, run_backward=True))
    assert w1.grad == pytest.approx(x1.data * (1 - out.data ** 2))
    labels = {a["label"] for a in by_class(dot, "variable").values()}
    assert any("<B>w1</B>" in label and f"grad {style.number(w1.grad)}" in label
               for label in labels)
    assert any("<B>o</B>" in label and "grad 1<" in label for label in labels)
    assert sum("no gradient" in label for label in labels) == 2  # x1 and x2


def test_small_gradients_are_written_in_full_and_large_ones_as_a_norm():
    weight = Tensor([[2.0], [1.0], [-1.0]], requires_grad=True, name="W")  # 3×1, like a value
    big = Tensor(np.ones((3, 3)), requires_grad=True, name="B")  # 9 elements: a summary
    loss = (weight * Tensor([[1.0], [2.0], [3.0]])).sum() + (big * 2.0).sum()
    labels = {a["label"].split("</B>")[0].split("<B>")[1]: a["label"]
              for a in by_class(parse(viz.gradient_flow(loss, run_backward=True)),
                                "variable").values() if "<B>" in a["label"]}
    assert "grad [[1]" in labels["W"] and "[2]" in labels["W"] and "[3]]" in labels["W"]
    assert f"rms 2  ‖grad‖ {style.number(6.0)}" in labels["B"]  # ‖2·ones(3, 3)‖ = 6
    assert style.grad_lines(np.eye(2)) == [f"rms {style.number(0.5**0.5)}", "grad [[1, 0]",
                                           "      [0, 1]]"]
    assert style.grad_lines(np.eye(2), one_line=True) == [
        f"rms {style.number(0.5**0.5)}  ‖grad‖ {style.number(2**0.5)}"]
    assert style.grad_lines(np.array([3.0]), one_line=True) == ["grad [3]"]


def test_a_folded_module_lists_each_parameter_gradient_on_one_line():
    model, loss = mlp_loss(sizes=(2, 2, 1))  # 2×2 and 1×2 weights: small enough to write out
    dot = parse(viz.gradient_flow(loss, run_backward=True, modules="collapse"))
    first = next(a["label"] for a in by_class(dot, "module").values() if "0: Linear" in a["label"])
    grad = model.children["0"].weight.grad.data
    rms, norm = np.sqrt(np.mean(grad**2)), np.linalg.norm(grad)
    assert f"weight rms {style.number(rms)}  ‖grad‖ {style.number(norm)}" in first
    assert "[[" not in first


def test_gradient_flow_edge_colours_and_widths_are_monotone_in_gradient_magnitude():
    scales = [1e-6, 1e-4, 1e-2, 1.0, 1e2]
    leaves = [Tensor([1.0, -1.0], requires_grad=True, name=f"p{i}") for i in range(5)]
    loss = sum(((p * s).sum() for p, s in zip(leaves, scales, strict=True)), Tensor(0.0))
    dot = parse(viz.gradient_flow(loss, run_backward=True))
    ids = {a["label"].split("</B>")[0].split("<B>")[1]: i
           for i, a in by_class(dot, "parameter").items()}
    edge_of = {source: attrs for source, _, attrs in dot["edges"]}
    edges = [edge_of[ids[f"p{i}"]] for i in range(5)]
    luminance = [style.relative_luminance(e["color"]) for e in edges]
    widths = [float(e["penwidth"]) for e in edges]
    assert luminance == sorted(luminance, reverse=True) and len(set(luminance)) == 5
    assert widths == sorted(widths) and len(set(widths)) == 5


def test_the_colour_ramp_is_monotone_over_the_whole_scale():
    magnitudes = np.logspace(-9, 5, 400)
    luminance = [style.relative_luminance(style.magnitude_color(m)) for m in magnitudes]
    rounding = 1e-3  # colours are 8-bit: neighbours a hair apart may round either way
    assert all(a >= b - rounding for a, b in zip(luminance, luminance[1:], strict=False))
    decades = [style.relative_luminance(style.magnitude_color(10.0 ** k))
               for k in range(-7, 4)]  # the scale's range: strictly darker each decade
    assert all(a > b for a, b in zip(decades, decades[1:], strict=False))
    assert luminance[0] > luminance[-1] + 0.5


def test_zero_nan_and_missing_gradients_have_their_own_edge_styles():
    assert (style.magnitude_color(0.0), style.magnitude_style(0.0)) == (style.ZERO_COLOR,
                                                                        "dotted")
    assert style.magnitude_color(float("nan")) == style.NAN_COLOR
    assert (style.magnitude_color(None), style.magnitude_style(None)) == (style.NONE_COLOR,
                                                                          "dashed")
    x = Tensor([-1.0, -2.0], requires_grad=True, name="x")
    dot = parse(viz.gradient_flow(x.relu().sum(), run_backward=True))
    assert any(a.get("style") == "dotted" for _, _, a in dot["edges"])  # dead ReLU


def test_gradient_flow_before_backward_draws_no_gradient_styling():
    out, _ = neuron()
    figure = viz.gradient_flow(out)
    dot = parse(figure)
    assert all(a["style"] == "dashed" for _, _, a in dot["edges"])
    assert any("no gradients yet" in note for note in figure.notes)
    assert any("grad not kept" in a["label"] for a in by_class(dot, "variable").values())


def test_gradient_flow_after_a_plain_backward_says_intermediates_were_not_kept():
    out, (_, _, w1, _, _) = neuron()
    out.backward()
    figure = viz.gradient_flow(out)
    assert any("intermediate gradients were not kept" in note for note in figure.notes)
    label = next(a["label"] for a in by_class(parse(figure), "parameter").values()
                 if "w1" in a["label"])
    assert f"grad {style.number(w1.grad)}" in label


def test_run_backward_accumulates_leaf_gradients_like_backward():
    def grads(use_viz):
        _, loss = mlp_loss()
        model = _
        if use_viz:
            viz.gradient_flow(loss, run_backward=True)
        else:
            loss.backward()
        return [p.grad.data for _, p in model.named_parameters()]

    for a, b in zip(grads(True), grads(False), strict=True):
        np.testing.assert_array_equal(a, b)


def test_gradient_table_lists_norms_and_flags_vanishing_and_exploding():
    tiny = Tensor(np.ones(4), requires_grad=True, name="tiny")
    huge = Tensor(np.ones(4), requires_grad=True, name="huge")
    unused = Tensor(np.ones(2), requires_grad=True, name="unused")
    loss = (tiny * 1e-9).sum() + (huge * 1e4).sum() + (unused * 0).sum()
    loss.backward()
    table = viz.gradient_table(loss)
    rows = {row.name: row for row in table}
    assert rows["tiny"].norm == pytest.approx(2e-9) and rows["tiny"].flag == "vanishing"
    assert rows["huge"].rms == pytest.approx(1e4) and rows["huge"].flag == "exploding"
    assert rows["unused"].flag == "zero"
    text = str(table)
    assert text.splitlines()[0].split()[:3] == ["parameter", "shape", "‖grad‖"]
    assert "3 of 3 parameters flagged" in text


def test_gradient_table_of_a_model_uses_module_paths_and_marks_missing_grads():
    model, loss = mlp_loss()
    assert [row.flag for row in viz.gradient_table(model)] == ["no grad"] * 4
    loss.backward()
    rows = list(viz.gradient_table(model))
    assert [row.name for row in rows] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert all(row.norm > 0 and row.flag == "" for row in rows)


# --------------------------------------------------------------------------------------
# backward, step by step


def test_backward_steps_has_one_frame_per_operator_plus_the_seed():
    out, (x1, x2, w1, w2, b) = neuron()
    steps = viz.backward_steps(out)
    assert len(steps) == 6
    assert w1.grad == pytest.approx(x1.data * (1 - out.data ** 2))  # a real backward ran
    first = parse(steps[0])
    assert "step 0 of 5" in first["graph"]["label"]
    highlighted = [a for a in by_class(first, "operator").values()
                   if a.get("fillcolor") == style.HIGHLIGHT_FILL]
    assert highlighted == []


def test_each_frame_highlights_the_operator_being_processed_in_engine_order():
    out, _ = neuron()
    steps = viz.backward_steps(out)
    graph = Graph.from_outputs(out)
    names = []
    for k in range(1, len(steps)):
        dot = parse(steps[k])
        lit = [a for a in by_class(dot, "operator").values()
               if a.get("fillcolor") == style.HIGHLIGHT_FILL]
        assert len(lit) == 1
        names.append(lit[0]["class"].split("op-")[1])
        backward_edges = [a for _, _, a in dot["edges"] if a.get("dir") == "back"]
        assert backward_edges  # the gradient's direction, against the data flow
    assert names[0] == "tanh"
    assert sorted(names) == sorted(op.name for op in graph)


def test_frames_fill_in_gradients_as_they_become_known():
    x = Scalar(3.0, name="x")
    y = x * x + x  # x is used three times: its gradient arrives in pieces
    steps = viz.backward_steps(y)
    labels = [next(a["label"] for a in by_class(parse(f), "parameter").values())
              for f in steps]
    assert "grad ?" in labels[0]
    assert "grad: 1 of 3 uses in" in labels[1]  # the add has run, the mul has not
    assert "grad 7<" in labels[-1]  # 2x + 1
    assert x.grad == 7.0


@needs_dot
def test_frames_share_one_layout_and_save_as_numbered_svgs_and_one_html(tmp_path):
    out, _ = neuron()
    steps = viz.backward_steps(out)
    paths = steps.save(tmp_path / "frames")
    assert [p.name for p in paths] == [f"step_{k:03d}.svg" for k in range(6)]
    node_outline = re.compile(r'<g id="node\d+" class="node[^"]*">.*?<(?:polygon|ellipse) '
                              r'[^>]*?((?:points|cx)="[^"]*"(?: cy="[^"]*")?)', re.DOTALL)
    outlines = [node_outline.findall(p.read_text()) for p in paths]
    assert len(outlines[0]) == 15  # 10 variables and 5 operators
    assert all(frame == outlines[0] for frame in outlines)
    page = steps.save_html(tmp_path / "steps.html").read_text()
    assert page.count('class="tg-frame') == 6
    assert page.count('class="tg-frame tg-on"') == 1  # frame 0 shows even without scripts
    assert page.count("<svg") == 6 and "<?xml" not in page


def test_frame_of_finds_the_step_that_sends_a_variables_gradient_on():
    x = Scalar(3.0, name="x")
    u = x * x
    u.name = "u"
    y = u.tanh() + x
    steps = viz.backward_steps(y)
    k = steps.frame_of(u)
    assert k == 3 and steps.timeline.order[k - 1] is u.grad_fn
    title = steps[k].source
    assert "backward step 3 of 3: mul" in title and "/∂u = " in title
    assert ", sends gradients to x, x" in title
    assert steps.frame_of(y) == 1  # the last operator of the forward pass runs first
    with pytest.raises(ValueError, match="'x' is a leaf"):
        steps.frame_of(x)
    with pytest.raises(ValueError, match="not in the graph"):
        steps.frame_of(Scalar(1.0))


def test_backward_steps_index_errors():
    out, _ = neuron()
    steps = viz.backward_steps(out)
    with pytest.raises(IndexError, match="frame 6 out of range for 6 frames"):
        steps[6]
    assert steps[-1].source == steps[5].source


# --------------------------------------------------------------------------------------
# output: Figure, save, rendering, missing dot


def test_every_function_returns_a_graphviz_digraph():
    out, _ = neuron()
    figures = [viz.forward_graph(out), viz.gradient_flow(out), viz.draw_dot(out)]
    figures.append(next(iter(viz.backward_steps(out))))
    assert all(isinstance(f, graphviz.Digraph) for f in figures)


@needs_dot
@pytest.mark.parametrize("suffix, magic", [(".svg", b"<svg"), (".png", b"\x89PNG"),
                                           (".pdf", b"%PDF"), (".dot", b"digraph")])
def test_save_renders_by_suffix_through_the_real_dot(tmp_path, suffix, magic):
    _, loss = mlp_loss()
    path = viz.forward_graph(loss).save(tmp_path / f"mlp{suffix}")
    assert magic in Path(path).read_bytes()[:400]  # .dot: graphviz's save, a str


@needs_dot
def test_dot_layout_has_every_node_and_cluster():
    _, loss = mlp_loss()
    figure = viz.gradient_flow(loss, run_backward=True)
    layout = json.loads(figure.pipe(format="json"))
    clusters = [o for o in layout["objects"] if o["name"].startswith("cluster")]
    assert len(clusters) == len(parse(figure)["clusters"])
    nodes = [o for o in layout["objects"] if "pos" in o and o["name"] != "legend"]
    assert len(nodes) == figure.drawn_nodes


def test_save_rejects_an_unknown_suffix(tmp_path):
    out, _ = neuron()
    with pytest.raises(ValueError, match="cannot tell the format"):
        viz.save(viz.forward_graph(out), tmp_path / "graph.bmpx")


@pytest.fixture
def no_dot(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))


def test_without_dot_the_source_and_dot_files_still_work(no_dot, tmp_path):
    out, _ = neuron()
    figure = viz.forward_graph(out)
    assert figure.source.startswith("digraph")
    assert viz.save(figure, tmp_path / "g.dot").read_text() == figure.source


def test_without_dot_rendering_raises_with_install_hints_and_keeps_old_files(no_dot, tmp_path):
    out, _ = neuron()
    old = tmp_path / "g.svg"
    old.write_text("old picture")
    with pytest.raises(viz.DotNotFoundError) as caught:
        viz.forward_graph(out).save(old)
    assert isinstance(caught.value, graphviz.ExecutableNotFound)
    assert isinstance(caught.value, RuntimeError)
    message = str(caught.value)
    assert "apt-get install graphviz" in message and "brew install graphviz" in message
    assert old.read_text() == "old picture"
    assert [p.name for p in tmp_path.iterdir()] == ["g.svg"]  # no temporary file left


def test_without_dot_jupyter_shows_the_source_and_the_hint_instead_of_failing(no_dot):
    out, _ = neuron()
    figure = viz.forward_graph(out)
    bundle = figure._repr_mimebundle_()
    assert list(bundle) == ["text/plain"]
    assert "install graphviz" in bundle["text/plain"] and "digraph" in bundle["text/plain"]
    html = viz.backward_steps(neuron()[0])._repr_html_()
    assert html.startswith("<pre>") and "Graphviz" in html


@needs_dot
def test_with_dot_jupyter_gets_svg():
    out, _ = neuron()
    bundle = viz.forward_graph(out)._repr_mimebundle_()
    assert "<svg" in bundle["image/svg+xml"]


# --------------------------------------------------------------------------------------
# with the real nn package


def test_an_nn_mlp_is_drawn_in_module_clusters_with_path_names():
    import nn

    model = nn.MLP(4, [8], 3)
    x = Tensor(np.random.default_rng(0).normal(size=(5, 4)), name="x")
    loss = nn.CrossEntropyLoss()(model(x), np.array([0, 2, 1, 1, 0]))
    dot = parse(viz.forward_graph(loss))
    labels = [c.get("label", "") for c in dot["clusters"].values()]
    for wanted in (">MLP<", "layers: Sequential", "layers.0: Linear", "layers.1: ReLU",
                   ">CrossEntropyLoss<"):
        assert any(wanted in label for label in labels), wanted
    names = {a["label"].split("</B>")[0][4:] for a in by_class(dot, "parameter").values()}
    assert names == {"layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"}


def test_nn_fused_losses_expand_into_their_primitives():
    import nn
    from autograd.viz.expand import expansion

    logits = Tensor(np.random.default_rng(0).normal(size=(4, 3)), requires_grad=True)
    labels = np.array([0, 1, 2, 1])
    ce = nn.cross_entropy(logits, labels, reduction="none")
    steps = expansion(ce.grad_fn)
    assert [s.op for s in steps][-2:] == ["sub", "−(·)[y]"]
    np.testing.assert_allclose(steps[-1].value, ce.data)
    for options, last in [({}, ["sub", "−(·)[y]", "mean"]),  # ends with the reduction
                          ({"reduction": "sum", "ignore_index": 2},
                           ["where", "sum"]),
                          ({"weight": np.array([1.0, 2.0, 0.5])}, ["× w[y]", "sum", "div"])]:
        loss = nn.cross_entropy(logits, labels, **options)
        steps = expansion(loss.grad_fn)
        assert [s.op for s in steps][-len(last):] == last
        np.testing.assert_allclose(steps[-1].value, loss.data, rtol=1e-12)
    target = np.array([[1.0, 0.0, 1.0]] * 4)
    bce = nn.binary_cross_entropy_with_logits(logits, target, reduction="none")
    np.testing.assert_allclose(expansion(bce.grad_fn)[-1].value, bce.data)


def test_rankdir_is_an_option_and_bad_options_fail_before_backward():
    out, (_, _, w1, _, _) = neuron()
    assert viz.forward_graph(out, rankdir="BT").graph_attr["rankdir"] == "BT"
    with pytest.raises(ValueError, match="rankdir must be one of"):
        viz.forward_graph(out, rankdir="up")
    with pytest.raises(ValueError, match="rankdir must be one of"):
        viz.backward_steps(out, rankdir="up")
    with pytest.raises(ValueError, match="modules must be"):
        viz.gradient_flow(out, run_backward=True, modules="sideways")
    assert w1.grad is None  # no backward ran


def test_highlight_marks_the_given_operator_and_variable():
    out, (_, _, w1, _, _) = neuron()
    tanh = out.grad_fn
    dot = parse(viz.forward_graph(out, highlight=[tanh, w1]))
    lit = {i for i, a in dot["nodes"].items() if a.get("color") == style.HIGHLIGHT}
    assert len(lit) == 2
    assert {dot["nodes"][i]["class"] for i in lit} == {"operator op-tanh",
                                                        "variable parameter"}
    _, loss = mlp_loss()
    folded = parse(viz.forward_graph(loss, modules=0, highlight=loss.grad_fn))
    assert [a["class"] for a in folded["nodes"].values()
            if a.get("color") == style.HIGHLIGHT] == ["operator composite"]
