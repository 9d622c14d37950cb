"""autograd.export.onnx (issue 19 item 1): the written model passes onnx's checker and
ONNX Runtime computes what tracegrad computes, in float32 and float64, with a dynamic
batch axis; random programs over every covered operator round-trip too."""

import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
import pytest

import autograd as ag
import autograd.export
import nn
from autograd import Tensor
from autograd.export import ExportError
from nn.demo import load  # the demo's own data

TOLERANCE = {np.float32: dict(rtol=2e-5, atol=2e-6), np.float64: dict(rtol=1e-11, atol=1e-13)}
DTYPES = [np.float32, np.float64]


def run(model_proto, *inputs):
    session = ort.InferenceSession(model_proto.SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    return session.run(None, dict(zip(names, inputs)))


def assert_close(ours, theirs, dtype):
    ours = np.asarray(ours.data if isinstance(ours, Tensor) else ours)
    assert theirs.dtype == ours.dtype, (theirs.dtype, ours.dtype)
    np.testing.assert_allclose(theirs, ours, **TOLERANCE[dtype])


def mlp(dtype):
    nn.manual_seed(0)
    model = nn.MLP(6, [16, 16], 4)
    return model.to(dtype) if hasattr(model, "to") else _cast(model, dtype)


def _cast(model, dtype):
    with ag.no_grad():
        for parameter in model.parameters():
            parameter.data = parameter.data.astype(dtype)
    return model


def batch(n, features, dtype, seed=0):
    return np.random.default_rng(seed).normal(size=(n, features)).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_mlp_round_trip_with_a_dynamic_batch_axis(dtype, tmp_path):
    model = _cast(mlp(dtype), dtype)
    x = Tensor(batch(5, 6, dtype), name="x")
    path = tmp_path / "mlp.onnx"
    autograd.export.onnx(model, x, path, dynamic_axes={"x": {0: "batch"}},
                         output_names=["logits"])
    loaded = onnx.load(path)
    onnx.checker.check_model(loaded, full_check=True)
    names = [p.name for p in loaded.graph.initializer]
    assert names == [name for name, _ in model.named_parameters()]
    assert loaded.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    for n in (5, 1, 33):
        data = batch(n, 6, dtype, seed=n)
        (out,) = run(loaded, data)
        assert out.shape == (n, 4)
        assert_close(model(Tensor(data)), out, dtype)


def digits_model_and_loss():
    split = load("digits", 0)
    nn.manual_seed(0)
    model = nn.MLP(split.X_train.shape[1], [32], split.n_classes)
    return model, nn.CrossEntropyLoss(), split


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_demo_digits_model_and_its_loss_round_trip(dtype):
    model, loss_fn, split = digits_model_and_loss()
    _cast(model, dtype)
    X, y = split.X_train[:64].astype(dtype), split.y_train[:64].astype(np.int64)

    def loss(x, labels):
        return loss_fn(model(x), labels)

    proto = autograd.export.onnx(loss, (Tensor(X, name="images"), Tensor(y, name="labels")),
                                 dynamic_axes={"images": [0], "labels": [0]})
    ops = [node.op_type for node in proto.graph.node]
    assert "SoftmaxCrossEntropyLoss" in ops and "Gemm" in ops
    for n in (64, 17):  # the labels stayed an input: other labels give other losses
        X2, y2 = split.X_test[:n].astype(dtype), split.y_test[:n].astype(np.int64)
        (out,) = run(proto, X2, y2)
        assert_close(loss(Tensor(X2), Tensor(y2)), out, dtype)
    logits = autograd.export.onnx(model, Tensor(X, name="images"))
    assert_close(model(Tensor(X)), run(logits, X)[0], dtype)


def expression(x, w):
    """softmax, logsumexp, where (a fixed mask) and indexing in one function."""
    mask = np.tril(np.ones((4, 4), dtype=bool))
    scores = ag.where(mask, x @ w, -1e9)
    p = scores.softmax(axis=-1)
    picked = p[:, [0, 2, 2]] * x[1:3, 1::2].sum()
    return picked.logsumexp(axis=1) - x[0, -1] + p.log_softmax(axis=0)[::-1, :2].mean()


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_expression_with_softmax_logsumexp_where_and_indexing_round_trips(dtype):
    rng = np.random.default_rng(1)
    x, w = rng.normal(size=(4, 4)).astype(dtype), rng.normal(size=(4, 4)).astype(dtype)
    proto = autograd.export.onnx(expression, (Tensor(x, name="x"), Tensor(w, name="w")))
    assert [i.name for i in proto.graph.input] == ["x", "w"]
    for seed in (1, 2):
        rng = np.random.default_rng(seed)
        x, w = rng.normal(size=(4, 4)).astype(dtype), rng.normal(size=(4, 4)).astype(dtype)
        assert_close(expression(Tensor(x), Tensor(w)), run(proto, x, w)[0], dtype)


def test_user_names_become_value_names_and_parameters_initializers():
    model = mlp(np.float64)

    def named(x):
        hidden = model.layers[0](x)
        hidden.name = "hidden"
        return model.layers[1](hidden)

    proto = autograd.export.onnx(named, Tensor(batch(3, 6, np.float64), name="pixels"))
    assert proto.graph.input[0].name == "pixels"
    assert proto.graph.node[0].output[0] == "hidden"
    assert proto.graph.node[1].input[0] == "hidden"
    assert {i.name for i in proto.graph.initializer} == {"layers.0.weight", "layers.0.bias"}


def test_custom_operator_exports_through_its_own_onnx_method():
    class Cube(ag.Operator):
        """out = x³"""
        name = "cube"

        @staticmethod
        def forward(ctx, x):
            return x * x * x

        @staticmethod
        def backward(ctx, grad_out):
            return grad_out * 3 * ctx.inputs[0] * ctx.inputs[0]

        @staticmethod
        def onnx(node, g):
            """Pow"""
            return g.op("Pow", g.input(0), g.constant(3.0))

    x = np.linspace(-2, 2, 7)
    proto = autograd.export.onnx(lambda t: Cube.apply(t) + 1, Tensor(x))
    assert [n.op_type for n in proto.graph.node] == ["Pow", "Add"]
    np.testing.assert_allclose(run(proto, x)[0], x ** 3 + 1)


def test_multi_node_translation_is_one_call_of_a_model_local_function():
    x = np.random.default_rng(0).normal(size=(3, 5))
    proto = autograd.export.onnx(lambda t: t.std(axis=1, ddof=1), Tensor(x))
    (node,) = proto.graph.node
    assert node.domain == "tracegrad" and node.op_type == "std"
    assert [f.name for f in proto.functions] == ["std"]
    np.testing.assert_allclose(run(proto, x)[0], x.std(axis=1, ddof=1), rtol=1e-12)


def test_write_returns_the_model_and_writes_the_file_whole(tmp_path):
    path = tmp_path / "f.onnx"
    proto = autograd.export.onnx(lambda t: t.tanh(), np.ones(3), path)
    assert onnx.load(path) == proto
    assert not (tmp_path / "f.onnx.part").exists()


# -- bad input ------------------------------------------------------------------------


def cumulative_product(x):
    return x.cumprod(axis=0) * 2


def test_operator_without_equivalent_is_refused_naming_it_and_its_creation_site():
    with pytest.raises(ExportError) as info:
        autograd.export.onnx(cumulative_product, np.arange(1.0, 4.0))
    message = str(info.value)
    assert "'cumprod'" in message and "no ONNX equivalent" in message
    assert "test_onnx_round_trip.py" in message and "in cumulative_product" in message
    assert "return x.cumprod(axis=0) * 2" in message


def test_operator_without_translation_says_how_to_add_one():
    class Twice(ag.Operator):
        name = "twice"

        @staticmethod
        def forward(ctx, x):
            return 2 * x

        @staticmethod
        def backward(ctx, grad_out):
            return 2 * grad_out

    with pytest.raises(ExportError, match=r"'twice'.*onnx\(node, g\)"):
        autograd.export.onnx(lambda t: Twice.apply(t), np.ones(2))


def test_function_that_leaves_the_graph_is_refused():
    with pytest.raises(TypeError, match="nothing to trace"):
        autograd.export.onnx(lambda t: np.tanh(t.data), np.ones(2))
    with pytest.raises(ExportError, match="constant .* changed with other input values"):
        autograd.export.onnx(lambda t: t * Tensor(np.exp(t.data)), np.arange(3.0))


def test_condition_computed_from_the_inputs_is_refused_not_frozen():
    def relu_by_mask(t):
        return ag.where(t > 0, t, 0.0)

    with pytest.raises(ExportError, match="'condition' changes with the inputs' values"):
        autograd.export.onnx(relu_by_mask, np.linspace(-1, 1, 6))


def test_value_dependent_control_flow_is_refused():
    def branchy(t):
        return t.exp() if t.data[0] > 0 else t.tanh()

    with pytest.raises(ExportError, match="depend on the inputs"):
        autograd.export.onnx(branchy, np.array([1.0, -2.0, -3.0]))


def test_wrong_example_inputs_say_what_was_traced():
    model = mlp(np.float64)
    with pytest.raises(ValueError) as info:
        autograd.export.onnx(model, np.ones((2, 5)))
    assert "export.onnx: raised while tracing MLP(float64[2, 5])" in "\n".join(
        info.value.__notes__)
    with pytest.raises(TypeError, match="example input 0 is a str"):
        autograd.export.onnx(model, "x")
    with pytest.raises(ValueError, match="input_names must be 1"):
        autograd.export.onnx(model, np.ones((2, 6)), input_names=["a", "b"])
    with pytest.raises(ValueError, match="dynamic_axes names 'y'"):
        autograd.export.onnx(model, np.ones((2, 6)), dynamic_axes={"y": [0]})
    with pytest.raises(ValueError, match="dynamic axis 2 of 'x0' is out of range"):
        autograd.export.onnx(model, np.ones((2, 6)), dynamic_axes={"x0": [2]})
    with pytest.raises(ValueError, match="opset must be an int ≥ 17"):
        autograd.export.onnx(model, np.ones((2, 6)), opset=11)
    with pytest.raises(TypeError, match="must be a function or an nn.Module"):
        autograd.export.onnx(3, np.ones(2))


def test_shape_that_depends_on_a_dynamic_axis_is_refused():
    def square(t):  # (n, 1) -> (n, n): the second n is not the input's own axis
        return ag.broadcast_to(t, (t.shape[0], t.shape[0])) * 2

    with pytest.raises(ExportError, match="'broadcast_to'.*changes with a dynamic axis"):
        autograd.export.onnx(square, np.ones((4, 1)), dynamic_axes={"x0": [0]})


def test_reshapes_along_a_dynamic_axis_copy_or_infer_it():
    def pairs(t):  # (n, 4) -> (2n, 2): -1, not a copy of n
        return t.reshape(-1, 2).sum(axis=1)

    proto = autograd.export.onnx(pairs, np.ones((4, 4)), dynamic_axes={"x0": [0]})
    other = np.random.default_rng(0).normal(size=(7, 4))
    np.testing.assert_allclose(run(proto, other)[0], other.reshape(-1, 2).sum(axis=1))


def test_flatten_keeps_a_dynamic_batch_axis():
    def flat(t):
        return t.reshape(t.shape[0], -1).tanh()

    x = np.random.default_rng(0).normal(size=(3, 2, 5))
    proto = autograd.export.onnx(flat, x, dynamic_axes={"x0": {0: "n"}})
    other = np.random.default_rng(1).normal(size=(7, 2, 5))
    np.testing.assert_allclose(run(proto, other)[0], np.tanh(other.reshape(7, -1)))


# -- the listing and the ONNX graph (item 2) ------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_listing_and_onnx_graph_have_the_same_nodes_and_names(dtype):
    model, loss_fn, split = digits_model_and_loss()
    _cast(model, dtype)
    X, y = Tensor(split.X_train[:8].astype(dtype), name="images"), split.y_train[:8]

    def loss(x, labels):
        return loss_fn(model(x), labels).std() + expression(x[:4, :4], x[4:8, 4:8])

    graph = ag.trace(loss, X, Tensor(y, name="labels"))
    proto = autograd.export.onnx(loss, (X, Tensor(y, name="labels")))
    assert len(proto.graph.node) == len(graph) > 20
    listed = [graph.name_of(op.output) for op in graph]
    assert [node.name for node in proto.graph.node] == listed
    assert [node.output[0] for node in proto.graph.node] == listed
    for op, node in zip(graph, proto.graph.node):  # inputs by the listing's names too
        names = [graph.name_of(v) for v in op.inputs]
        assert [n for n in node.input if n in names] == [n for n in names if n in node.input]
        # the rest: the node's own constants (t3/1), or labels that stayed an input
        extra = [n for n in node.input if n not in names]
        assert all(n.startswith(node.name + "/") or n == "labels" for n in extra), extra


# -- the optional extra (item 5) --------------------------------------------------------


def test_import_without_onnx_names_the_extra():
    code = ("import sys; sys.modules['onnx'] = None\n"
            "try:\n    import autograd.export\n"
            "except ImportError as error:\n    print(error)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert "pip install tracegrad[export]" in result.stdout
    assert "autograd.export needs the onnx package" in result.stdout


def test_fixed_mask_broadcast_along_the_batch_keeps_the_batch_dynamic():
    causal = np.tril(np.ones((3, 3), dtype=bool))

    def masked(scores):  # scores (n, 3, 3); the mask broadcast to them, as masked_fill does
        return scores.masked_fill(~np.broadcast_to(causal, scores.shape), -1e9).softmax(-1)

    x = np.random.default_rng(0).normal(size=(2, 3, 3))
    proto = autograd.export.onnx(masked, x, dynamic_axes={"x0": [0]})
    other = np.random.default_rng(1).normal(size=(5, 3, 3))
    np.testing.assert_allclose(run(proto, other)[0], masked(Tensor(other)).data, rtol=1e-12)


def test_dropout_in_training_mode_is_refused_with_the_eval_hint():
    nn.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5))

    def predict(x):  # a function: it runs the module as it is, in training mode
        return model(x)

    with pytest.raises(ExportError, match=r"dropout in training mode: call model.eval\(\)"):
        autograd.export.onnx(predict, np.ones((3, 4)))


def test_module_is_exported_in_evaluation_mode_and_its_modes_restored():
    nn.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5), nn.Dropout(0.5))
    model[2].eval()  # a mixed state, restored module by module
    proto = autograd.export.onnx(model, np.ones((3, 4)))
    assert [m.training for m in model.modules()] == [True, True, True, False]
    model.eval()
    np.testing.assert_allclose(run(proto, np.ones((3, 4)))[0], model(np.ones((3, 4))).data)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_softplus_runs_on_onnxruntime_in_both_dtypes_and_is_stable(dtype):
    x = np.array([-1000.0, -3.0, 0.0, 2.0, 1000.0], dtype=dtype)
    proto = autograd.export.onnx(lambda t: t.softplus(), x)
    assert_close(Tensor(x).softplus(), run(proto, x)[0], dtype)


def test_a_zero_state_sized_by_the_batch_is_made_at_run_time():
    w = Tensor(np.random.default_rng(0).normal(size=(3, 4)), requires_grad=True)

    def recurrent(x):  # x (n, t, 3): h starts as zeros(n, 4), as nn.RNN's does
        h = Tensor(np.zeros((x.shape[0], 4)))
        for t in range(x.shape[1]):
            h = (x[:, t] @ w + h).tanh()
        return h[..., -1] * 2

    x = np.random.default_rng(1).normal(size=(2, 3, 3))
    proto = autograd.export.onnx(recurrent, x, dynamic_axes={"x0": [0]})
    for n in (2, 6):
        other = np.random.default_rng(n).normal(size=(n, 3, 3))
        np.testing.assert_allclose(run(proto, other)[0], recurrent(Tensor(other)).data,
                                   rtol=1e-12)


def test_slices_and_integers_along_a_dynamic_axis():
    def pick(t):
        return t[-1] + t[1:, ..., ::-1][-1] + t[..., 0:1, 2].sum() + t[::2].mean()

    x = np.random.default_rng(0).normal(size=(4, 2, 3))
    proto = autograd.export.onnx(pick, x, dynamic_axes={"x0": [0]})
    for n in (4, 7):
        other = np.random.default_rng(n).normal(size=(n, 2, 3))
        np.testing.assert_allclose(run(proto, other)[0], pick(Tensor(other)).data, rtol=1e-12)


def test_integer_constants_are_stored_in_the_float_dtype_they_meet():
    proto = autograd.export.onnx(lambda t: t * 2, np.ones(3, dtype=np.float32))
    assert [n.op_type for n in proto.graph.node] == ["Mul"]
    assert proto.graph.initializer[0].data_type == onnx.TensorProto.FLOAT


@pytest.mark.parametrize("opset", [17, 18, 21])
def test_reductions_in_each_opset_spelling(opset):
    def stats(t):
        return t.mean(axis=0) + t.max(axis=1, keepdims=True).sum() - t.logsumexp(axis=1)[0]

    x = np.random.default_rng(0).normal(size=(3, 3))
    proto = autograd.export.onnx(stats, x, opset=opset)
    assert proto.opset_import[0].version == opset
    np.testing.assert_allclose(run(proto, x)[0], stats(Tensor(x)).data, rtol=1e-12)


def test_an_example_input_that_requires_grad_stays_an_input():
    x = Tensor(np.ones(3), requires_grad=True, name="x")
    proto = autograd.export.onnx(lambda t: t.tanh() * 2, x)
    assert [i.name for i in proto.graph.input] == ["x"]
    assert "x" not in [i.name for i in proto.graph.initializer]
    np.testing.assert_allclose(run(proto, np.zeros(3))[0], np.zeros(3))


def test_clip_with_array_bounds():
    low, high = np.array([-1.0, 0.0, 0.5]), np.array([0.0, 1.0, 2.0])
    proto = autograd.export.onnx(lambda t: t.clip(low, high), np.linspace(-2, 2, 3))
    x = np.array([-5.0, 0.5, 5.0])
    np.testing.assert_allclose(run(proto, x)[0], np.clip(x, low, high))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_label_smoothed_cross_entropy_keeps_its_labels_an_input(dtype):
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1, reduction="none")  # the demo's
    x = np.random.default_rng(0).normal(size=(5, 4)).astype(dtype)
    labels = np.array([0, 3, 1, 1, 2])
    proto = autograd.export.onnx(loss_fn, (Tensor(x, name="x"), Tensor(labels, name="y")),
                                 dynamic_axes={"x": [0], "y": [0]})
    assert proto.graph.node[0].op_type == "cross_entropy"  # SCE and the smoothing term
    other, other_labels = np.random.default_rng(1).normal(size=(3, 4)).astype(dtype), \
        np.array([2, 2, 0])
    assert_close(loss_fn(Tensor(other), other_labels), run(proto, other, other_labels)[0],
                 dtype)


def test_a_boolean_mask_input_stays_an_input():
    def masked(x, mask):
        return ag.where(mask, x, 0.0).sum(axis=1)

    x, mask = np.arange(6.0).reshape(2, 3), np.array([[True, False, True], [False, True, True]])
    proto = autograd.export.onnx(masked, (Tensor(x), Tensor(mask)))
    other = np.array([[False, False, True], [True, True, False]])
    np.testing.assert_allclose(run(proto, x, other)[0], masked(Tensor(x), other).data)


def test_a_constant_index_equal_to_an_integer_input_by_chance_stays_a_constant():
    def pick(x, labels):  # the index only looks like the labels, which go unused
        return x[:, np.array([0, 1, 2])] * 2

    x, labels = np.arange(9.0).reshape(3, 3), np.array([0, 1, 2])
    proto = autograd.export.onnx(pick, (Tensor(x), Tensor(labels)))
    np.testing.assert_allclose(run(proto, x, np.array([2, 2, 2]))[0], x * 2)


def test_an_integer_input_converted_outside_the_graph_is_refused():
    def shifted(x, labels):  # an integer tensor's astype is not recorded: a constant
        return x + labels.astype(np.float64)

    with pytest.raises(ExportError, match="constant c0 of shape \\(3,\\), changed"):
        autograd.export.onnx(shifted, (np.ones(3), Tensor(np.array([0, 1, 2]))))
