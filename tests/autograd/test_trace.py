"""autograd.trace, Graph and scope: what a recorded graph contains, how it is listed and
named, and how module scopes tag its operator nodes."""

import threading

import numpy as np
import pytest

import autograd as ag
from autograd import Graph, Scalar, Tensor, trace
from autograd.graph import current_scope, scope, scope_of


def small_function(x, w, b):
    h = (x * w + b).tanh()
    return (h * 2.0).sum()


def small_inputs():
    x = Tensor([1.0, 2.0, 3.0], name="x")
    w = Tensor([0.5, -1.0, 2.0], requires_grad=True, name="w")
    b = Tensor(0.5, requires_grad=True)  # unnamed: gets a short name
    return x, w, b


class FakeModule:
    """Just enough of nn.Module's surface for module paths (autograd never imports nn)."""

    def __init__(self, **children):
        self.children = children
        self.params = {}

    def named_modules(self, prefix=""):
        yield prefix, self
        for key, child in self.children.items():
            yield from child.named_modules(f"{prefix}.{key}" if prefix else key)

    def named_parameters(self):
        for path, module in self.named_modules():
            for key, p in module.params.items():
                yield (f"{path}.{key}" if path else key), p

    def __call__(self, fn, *args):
        with scope(type(self).__name__, module=self):
            return fn(*args)


# --------------------------------------------------------------------------------------
# the listing


def test_listing_of_a_known_function_is_one_operator_a_line_with_shapes_and_dtypes():
    graph = trace(small_function, *small_inputs())
    assert str(graph) == "\n".join([
        "graph small_function(x, w, p0):",
        "    x  = input        (3,)  float64",
        "    w  = parameter    (3,)  float64",
        "    p0 = parameter    ()    float64",
        "    t0 = mul(x, w)    (3,)  float64",
        "    t1 = add(t0, p0)  (3,)  float64",
        "    t2 = tanh(t1)     (3,)  float64",
        "    t3 = mul(t2, 2)   (3,)  float64",
        "    t4 = sum(t3)      ()    float64",
        "    return t4",
    ])


def test_listing_shows_operator_parameters_and_keeps_float32():
    x = Tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True, name="x")
    listing = str(trace(lambda x: x.sum(axis=1) ** 3, x))
    assert "t0 = sum(x, axis=1)" in listing
    assert "pow(t0, exponent=3)" in listing
    assert "(2,)    float32" in listing


def test_listing_of_a_scalar_graph_names_user_variables():
    a, b = Scalar(2.0, name="a"), Scalar(-3.0)
    listing = str(trace(lambda a, b: (a * b + 1).relu(), a, b))
    assert "t0 = mul(a, p0)" in listing
    assert "t1 = add(t0, 1)" in listing
    assert listing.splitlines()[-1] == "    return t2"


# --------------------------------------------------------------------------------------
# contents


def test_graph_has_inputs_outputs_operators_variables_and_edges_in_forward_order():
    x, w, b = small_inputs()
    graph = trace(small_function, x, w, b)
    assert graph.inputs == (x, w, b)
    assert len(graph.outputs) == 1 and graph.outputs[0].shape == ()
    assert len(graph) == 5
    assert [op.name for op in graph] == ["mul", "add", "tanh", "mul", "sum"]
    # 3 inputs, the constant 2.0, and one result per operator
    assert len(graph.variables) == 3 + 1 + 5
    # every operator has its inputs before it and its output after it
    position = {id(v): i for i, v in enumerate(graph.variables)}
    for op in graph:
        assert all(position[id(v)] < position[id(op.output)] for v in op.inputs)
    assert len(graph.edges) == sum(len(op.inputs) + 1 for op in graph)
    assert graph.parameters == (w, b)


def test_iteration_yields_operations_with_output_inputs_node_and_scope():
    x, w, b = small_inputs()
    graph = trace(small_function, x, w, b)
    first = next(iter(graph))
    assert first.name == "mul" and first.inputs == (x, w) and first.scope is None
    assert first.output.grad_fn is first.node
    assert graph.output_of(first.node) is first.output


def test_from_outputs_gives_the_same_graph_as_trace():
    x, w, b = small_inputs()
    traced = trace(small_function, x, w, b)
    y = small_function(x, w, b)
    taken = Graph.from_outputs(y)
    assert [op.name for op in taken] == [op.name for op in traced]
    def described(graph):
        return sorted((graph.name_of(v), graph.kind_of(v)) for v in graph.variables)

    assert described(taken) == described(traced)


def test_trace_stops_at_inputs_that_were_computed_earlier():
    a = Tensor([1.0, 2.0], requires_grad=True, name="a")
    h = (a * 3).exp()
    graph = trace(lambda h: h.sum(), h)
    assert [op.name for op in graph] == ["sum"]
    assert graph.kind_of(h) == "input"
    assert len(Graph.from_outputs(graph.outputs[0])) == 3  # the whole history


def test_trace_records_inputs_that_do_not_require_grad_and_restores_them():
    x = Tensor([1.0, 2.0])
    with ag.no_grad():
        graph = trace(lambda x: (x * x).sum(), x)
    assert [op.name for op in graph] == ["mul", "sum"]
    assert x.requires_grad is False
    assert graph.kind_of(x) == "input"


def test_trace_accepts_sequences_and_multiple_outputs():
    a, b = Scalar(1.0, name="a"), Scalar(2.0, name="b")
    graph = trace(lambda pair: (pair[0] + pair[1], pair[0] * pair[1]), [a, b])
    assert graph.inputs == (a, b)
    assert len(graph.outputs) == 2
    assert [graph.kind_of(v) for v in graph.outputs] == ["output", "output"]


def test_trace_of_a_function_returning_no_variable_raises_type_error():
    with pytest.raises(TypeError, match="trace: .* returned float"):
        trace(lambda x: 3.0, Scalar(1.0))


def test_graph_from_a_non_variable_raises_type_error():
    with pytest.raises(TypeError, match="Graph: expected a Scalar or Tensor"):
        Graph.from_outputs(np.ones(3))


def test_graph_walk_handles_a_long_chain_without_recursion():
    x = Scalar(0.5, name="x")
    y = x
    for _ in range(20_000):
        y = y * 1.0
    graph = Graph.from_outputs(y)
    assert len(graph) == 20_000
    assert graph.name_of(y) == "t19999"


def test_diamonds_are_walked_once():
    x = Scalar(1.0, name="x")
    y = x
    for _ in range(60):
        y = y + y
    graph = Graph.from_outputs(y)
    assert len(graph) == 60
    assert len(graph.edges) == 60 * 3


# --------------------------------------------------------------------------------------
# names and kinds


def test_unnamed_variables_get_stable_short_names_by_kind():
    c = Tensor([1.0, 2.0])  # a non-grad leaf that is not a trace input: a constant array
    graph = trace(lambda x, p: (x * p + c).sum(), Tensor([3.0, 4.0]),
                  Tensor([5.0, 6.0], requires_grad=True))
    names = [graph.name_of(v) for v in graph.variables]
    assert names == ["x0", "p0", "t0", "c0", "t1", "t2"]
    assert [graph.kind_of(v) for v in graph.variables] == [
        "input", "parameter", "intermediate", "constant", "intermediate", "output"]


def test_names_are_the_same_on_every_run():
    def build():
        x, w, b = small_inputs()
        return str(trace(small_function, x, w, b))

    assert build() == build()


def test_duplicate_user_names_are_made_unique():
    a, b = Scalar(1.0, name="h"), Scalar(2.0, name="h")
    graph = trace(lambda a, b: a * b, a, b)
    assert [graph.name_of(a), graph.name_of(b)] == ["h", "h#2"]


def test_parameters_are_named_by_their_module_path():
    layer = FakeModule()
    layer.params = {"weight": Tensor(np.ones((2, 3)), requires_grad=True),
                    "bias": Tensor(np.zeros(2), requires_grad=True, name="bias")}
    model = FakeModule(layers=FakeModule(**{"0": layer}))
    x = Tensor(np.ones((4, 3)), name="x")

    def forward(x):
        return model(lambda x: layer(lambda x: x @ layer.params["weight"].T
                                     + layer.params["bias"], x), x)

    graph = trace(forward, x)
    assert graph.name_of(layer.params["weight"]) == "layers.0.weight"
    assert graph.name_of(layer.params["bias"]) == "layers.0.bias"  # path beats a bare name
    assert "# layers.0: FakeModule" in str(graph)


def test_a_user_name_that_differs_from_the_attribute_wins_over_the_path():
    layer = FakeModule()
    layer.params = {"weight": Tensor(np.ones(3), requires_grad=True, name="W1")}
    graph = trace(lambda x: layer(lambda x: x * layer.params["weight"], x), Tensor(np.ones(3)))
    assert graph.name_of(layer.params["weight"]) == "W1"


def test_repr_counts_the_parts():
    graph = trace(small_function, *small_inputs())
    assert repr(graph) == ("<Graph small_function: 1 input, 2 parameters, 5 operators, "
                           "1 output>")


# --------------------------------------------------------------------------------------
# scopes


def test_nodes_created_inside_a_scope_point_to_it_and_scopes_nest():
    x = Tensor([1.0, 2.0], requires_grad=True)
    outside = x * 2
    with scope("Outer", module="outer module") as outer:
        a = x + 1
        with scope("Inner") as inner:
            b = a.exp()
        c = b.sum()
    assert scope_of(outside.grad_fn) is None
    assert scope_of(a.grad_fn) is outer and scope_of(c.grad_fn) is outer
    assert scope_of(b.grad_fn) is inner
    assert inner.parent is outer and outer.parent is None
    assert inner.depth == 1 and inner.chain() == [outer, inner]
    assert outer.module == "outer module"
    assert current_scope() is None


def test_graph_lists_its_scopes_outer_first():
    x = Scalar(1.0)
    with scope("A") as a:
        with scope("B") as b:
            y = x * 2
    assert Graph.from_outputs(y).scopes == [a, b]


def test_scope_is_restored_when_the_body_raises():
    with pytest.raises(ValueError, match="boom"):
        with scope("Failing"):
            raise ValueError("boom")
    assert current_scope() is None
    y = Scalar(1.0) * 2
    assert scope_of(y.grad_fn) is None


def test_scopes_are_thread_local():
    seen = {}
    inside, done = threading.Event(), threading.Event()

    def other_thread():
        inside.wait()
        y = Scalar(1.0) * 2
        seen["scope"] = scope_of(y.grad_fn)
        done.set()

    thread = threading.Thread(target=other_thread)
    thread.start()
    with scope("Main"):
        inside.set()
        done.wait(5)
    thread.join()
    assert seen["scope"] is None


def test_scope_misuse_raises():
    with pytest.raises(TypeError, match="scope: name must be a non-empty str"):
        scope(3)
    s = scope("Twice")
    with s:
        with pytest.raises(RuntimeError, match="already open"):
            s.__enter__()


def test_top_level_exports():
    assert ag.trace is trace and ag.Graph is Graph and ag.scope is scope
