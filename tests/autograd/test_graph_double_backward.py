"""Graphs recorded by a create_graph backward: a node's saved output comes back as a second
variable made by the same node (nodes do not hold their outputs), and listings and pictures
treat the two as one variable."""

import numpy as np

from autograd import Graph, Tensor, functional, viz


def second_order_graph():
    x = Tensor([0.5, 1.0], requires_grad=True, name="x")
    (g,) = functional.grad((x.tanh() * x).sum(), [x], create_graph=True)
    return x, (g * Tensor([1.0, 2.0])).sum()


def test_graph_of_a_double_backward_reusing_a_saved_output():
    x, y = second_order_graph()
    graph = Graph.from_outputs(y)
    tanh_nodes = [node for node in graph.operators if node.op.name == "tanh"]
    assert len(tanh_nodes) == 1
    out = graph.output_of(tanh_nodes[0])
    # tanh's backward (1 - out²) read the saved output through another variable object,
    # which every query maps back to the graph's own one.
    users = [node for node in graph.operators if any(
        v is not out and v.grad_fn is tanh_nodes[0] for v in node.inputs)]
    assert users, "the backward should read tanh's output through a second variable"
    alias = next(v for v in users[0].inputs if v.grad_fn is tanh_nodes[0])
    assert graph.canonical(alias) is out
    assert graph.name_of(alias) == graph.name_of(out)
    assert graph.kind_of(alias) == "intermediate"
    known = {id(v) for v in graph.variables}
    assert all(id(graph.canonical(v)) in known for node in graph.operators for v in node.inputs)
    assert f"mul({graph.name_of(out)}, {graph.name_of(out)})" in str(graph)


def test_picture_of_a_double_backward_reusing_a_saved_output():
    x, y = second_order_graph()
    figure = viz.forward_graph(y)  # raised KeyError in the scene before
    width, height = figure.svg_size()
    assert width <= 1000 and height <= 1400
    np.testing.assert_allclose(y.data, float((np.tanh(x.data) + x.data
                                              * (1 - np.tanh(x.data) ** 2)) @ [1.0, 2.0]))
