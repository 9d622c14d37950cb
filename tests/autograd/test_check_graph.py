"""check_graph: every operator node of a recorded graph checked on its own inputs, and
the first wrong one reported (with its worst element, both values and the tolerance)."""

import numpy as np
import pytest
from hypothesis import given, settings

from autograd import (
    GraphCheckError,
    GraphCheckReport,
    Operator,
    Scalar,
    Tensor,
    check_graph,
    topological_order,
    where,
)
from autograd.testing import floats_in, tensors

HERE = __file__


class BadTanh(Operator):
    """out = tanh x;  ∂out/∂x should be 1 − out², this backward forgets the square."""

    name = "bad_tanh"

    @staticmethod
    def forward(ctx, x):
        out = ctx.xp.tanh(x)
        ctx.save(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (out,) = ctx.saved
        return grad_out * (1 - out)


class BadScale(Operator):
    """out = 2x, with a backward that returns 3·grad_out."""

    name = "bad_scale"

    @staticmethod
    def forward(ctx, x):
        return 2 * x

    @staticmethod
    def backward(ctx, grad_out):
        return 3 * grad_out


def network(activation, rng=None):
    """A two-layer network as a closure over its parameters, and an input batch."""
    rng = rng or np.random.default_rng(0)
    W1 = Tensor(rng.standard_normal((3, 5)), requires_grad=True)
    b1 = Tensor(rng.standard_normal(5), requires_grad=True)
    W2 = Tensor(rng.standard_normal((5, 2)), requires_grad=True)

    def loss(x):
        h = activation(x @ W1 + b1)  # MARK-activation
        return ((h @ W2).softmax(axis=-1) ** 2).mean()

    return loss, Tensor(rng.standard_normal((4, 3)))


def line_of(marker):
    with open(HERE, encoding="utf-8") as source:
        lines = source.read().splitlines()
    return next(n for n, text in enumerate(lines, 1) if text.endswith(f"# {marker}"))


def test_a_correct_network_passes_and_every_operator_is_listed():
    loss, x = network(Tensor.tanh)
    report = check_graph(loss, x)
    assert isinstance(report, GraphCheckReport) and report.ok and bool(report)
    names = [check.name for check in report.checks]
    assert names == ["matmul", "add", "tanh", "matmul", "softmax", "pow", "mean"]
    assert all(check.error < 1e-6 for check in report.checks)
    assert report.failed_node is None and report.first_failure is None


def test_the_one_wrong_custom_operator_in_a_network_is_found():
    loss, x = network(BadTanh.apply)
    report = check_graph(loss, x, raise_exception=False)
    assert not report.ok and not bool(report)
    assert [check.name for check in report.failures] == ["bad_tanh"]
    assert report.failed_node.op is BadTanh
    first = report.first_failure
    assert first.index == 2 and first.input_shapes == ((4, 5),)
    i, element, analytic, numeric, tolerance = first.worst
    assert i == 0 and len(element) == 2
    assert abs(analytic - numeric) > tolerance == pytest.approx(1e-5 + 1e-3 * abs(numeric))
    assert first.mismatches == 20  # every element of the (4, 5) input


def test_the_failing_node_is_the_node_in_the_users_graph():
    # The report hands back the recorded Node itself, so a picture can highlight it.
    loss, x = network(BadTanh.apply)
    report = check_graph(loss, x, raise_exception=False)
    nodes = [check.node for check in report.checks]
    assert nodes == topological_order([nodes[-1]])[::-1]  # forward order of one graph
    assert report.failed_node is nodes[2]


def test_failure_raises_graph_check_error_naming_operator_element_values_and_tolerance():
    loss, x = network(BadTanh.apply)
    with pytest.raises(GraphCheckError) as caught:
        check_graph(loss, x)
    message = str(caught.value)
    first_line = message.splitlines()[0]
    assert first_line.startswith("#2 'bad_tanh' (created at ")
    assert f"{HERE}:{line_of('MARK-activation')}" in first_line
    for words in ("input 0, worst element [", "analytic", "numeric",
                  "> atol + rtol·|numeric| ="):
        assert words in first_line
    assert caught.value.report.failed_node.op is BadTanh


def test_report_table_has_a_row_per_operator_and_marks_the_wrong_one():
    loss, x = network(BadTanh.apply)
    text = str(check_graph(loss, x, raise_exception=False))
    lines = text.splitlines()
    assert lines[0] == "check_graph: 7 operators checked, 1 wrong (first: #2 'bad_tanh')"
    header = lines[2]
    assert header.split()[:2] == ["#", "operator"] and header.endswith("result")
    rows = lines[3:10]
    assert [row.split()[1] for row in rows] == ["matmul", "add", "bad_tanh", "matmul",
                                               "softmax", "pow", "mean"]
    assert [row.split()[-1] for row in rows].count("WRONG") == 1
    assert "(4, 3), (3, 5)" in rows[0]
    assert lines[-1].startswith("#2 'bad_tanh'")
    assert all(len(line) <= 100 for line in lines[:10])


def test_two_wrong_operators_the_earlier_one_comes_first():
    def f(x):
        return BadTanh.apply(BadScale.apply(x) * 1.5).sum()

    report = check_graph(f, Tensor([0.1, -0.4, 0.7], requires_grad=True),
                         raise_exception=False)
    assert [check.name for check in report.failures] == ["bad_scale", "bad_tanh"]
    assert report.failed_node.op is BadScale


def test_operators_with_parameters_and_constants_are_rechecked_with_them():
    def f(x):
        y = where(x > 0, x * x, -x)
        z = y[1:, ::2].swapaxes(0, 1)
        return z.logsumexp(axis=0).sum() + y.max(axis=1).sum()

    x = Tensor([[0.3, -1.2, 2.0], [1.1, -0.4, 0.8], [-2.0, 0.9, 0.5]], requires_grad=True)
    report = check_graph(f, x)
    assert report.ok
    assert {"where", "getitem", "transpose", "logsumexp", "max"} <= {c.name for c in
                                                                       report.checks}


def test_scalar_graphs_are_checked_too():
    a, b = Scalar(0.5), Scalar(-1.5)
    report = check_graph(lambda a, b: (a * b + a.tanh()) ** 2, a, b)
    assert [c.name for c in report.checks] == ["mul", "tanh", "add", "pow"]
    bad = check_graph(lambda a: BadTanh.apply(a) * 2, a, raise_exception=False)
    assert [c.name for c in bad.failures] == ["bad_tanh"]


def test_inputs_that_do_not_require_grad_are_copied_and_marked_like_gradcheck():
    x = Tensor([0.2, -0.3])
    report = check_graph(lambda t: BadTanh.apply(t).sum(), x, raise_exception=False)
    assert report.failed_node.op is BadTanh
    assert not x.requires_grad and x.grad is None


def test_a_function_that_records_nothing_raises_value_error():
    with pytest.raises(ValueError, match="recorded no operator"):
        check_graph(lambda t: Tensor(1.0) * 2, Tensor([1.0]))


def test_the_users_graph_is_not_backpropagated():
    loss, x = network(Tensor.tanh)
    check_graph(loss, x)
    out = loss(x)
    out.backward()  # the parameters' .grad came from this call only
    first = out.grad_fn
    assert first is not None


@settings(max_examples=10, deadline=None)
@given(x=tensors(shape=(2, 3), elements=floats_in(-2.0, 2.0, exclude_near=[0.0])))
def test_relu_network_passes_away_from_the_kink(x):
    W = Tensor(np.linspace(-1.0, 1.0, 12).reshape(3, 4), requires_grad=True)
    assert check_graph(lambda t: ((t * 1.0).relu() @ W).tanh().sum(), x).ok


def test_the_wrong_operator_can_be_drawn_highlighted_in_its_graph():
    from autograd import viz

    loss, x = network(BadTanh.apply)
    report = check_graph(loss, x, raise_exception=False)
    figure = viz.forward_graph(report.outputs, highlight=report.failed_node)
    highlighted = [line for line in figure.source.splitlines() if "bad_" in line]
    assert highlighted, "the wrong operator is drawn"
    plain = viz.forward_graph(report.outputs)
    assert figure.source != plain.source  # the highlight changes how that node is drawn
