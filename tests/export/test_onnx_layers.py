"""Issue 16's layers exported (issue 19 item 1): normalisation and embedding (and, as they
land, convolution, recurrent and attention layers) round-trip through ONNX in float32 and
float64 with a dynamic batch axis. Where onnxruntime has no float64 kernel (Conv,
ConvTranspose) the same file runs on onnx's reference runtime."""

import numpy as np
import onnxruntime as ort
import pytest
from onnx.reference import ReferenceEvaluator
from onnxruntime.capi.onnxruntime_pybind11_state import NotImplemented as NotImplementedKernel

import autograd.export
import nn
import nn.functional as F
from autograd import Tensor
from autograd.export import ExportError
from autograd.ops.normalization import LayerNorm

DTYPES = [np.float32, np.float64]
TOLERANCE = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-10, atol=1e-12)}
ORT_WITHOUT_FLOAT64 = {"Conv", "ConvTranspose"}


def run(proto, x):
    feed = {proto.graph.input[0].name: x}
    try:
        session = ort.InferenceSession(proto.SerializeToString(),
                                       providers=["CPUExecutionProvider"])
    except NotImplementedKernel as error:
        kernel = str(error).split("implementation for ")[1].split("(")[0]
        assert kernel in ORT_WITHOUT_FLOAT64 and x.dtype == np.float64, error
        return ReferenceEvaluator(proto).run(None, feed)
    return session.run(None, feed)


def round_trip(model, shape, dtype, sizes=(2, 5)):
    model.to(dtype).eval()
    x = np.random.default_rng(0).normal(size=(sizes[0],) + shape).astype(dtype)
    proto = autograd.export.onnx(model, Tensor(x, name="x"), dynamic_axes={"x": [0]})
    for n in sizes:
        data = np.random.default_rng(n).normal(size=(n,) + shape).astype(dtype)
        (out,) = run(proto, data)
        np.testing.assert_allclose(out, model(Tensor(data)).data, **TOLERANCE[dtype])
    return proto


def trained(model, shape, dtype):
    """model after three training-mode batches, so running statistics are not 0 and 1."""
    model.to(dtype).train()
    for seed in range(3):
        model(Tensor(np.random.default_rng(seed).normal(size=(5,) + shape).astype(dtype)))
    return model


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_normalisation_layers_round_trip(dtype):
    nn.manual_seed(0)
    mlp = nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.LayerNorm(8),
                        nn.Linear(8, 4), nn.LayerNorm(4, elementwise_affine=False))
    proto = round_trip(trained(mlp, (6,), dtype), (6,), dtype)
    # float64's layer norms are model-local functions (layer_norm, layer_norm_2: one with
    # an affine map, one without)
    ops = [n.op_type.replace("layer_norm_2", "layer_norm") for n in proto.graph.node]
    layer_norm = "LayerNormalization" if dtype == np.float32 else "layer_norm"
    assert ops == ["Gemm", "BatchNormalization", "Relu", layer_norm, "Gemm", layer_norm]
    names = {i.name for i in proto.graph.initializer}
    assert {"1.running_mean", "1.running_var", "1.weight", "3.bias"} <= names
    images = nn.Sequential(nn.GroupNorm(2, 4), nn.BatchNorm2d(4, affine=False))
    round_trip(trained(images, (4, 2, 3), dtype), (4, 2, 3), dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_training_mode_batch_norm_uses_the_batch_statistics(dtype):
    def standardise(x):
        return F.batch_norm(x, None, None, training=True)

    x = np.random.default_rng(0).normal(size=(4, 3)).astype(dtype)
    proto = autograd.export.onnx(standardise, x, dynamic_axes={"x0": [0]})
    other = np.random.default_rng(1).normal(size=(7, 3)).astype(dtype)
    np.testing.assert_allclose(run(proto, other)[0], standardise(Tensor(other)).data,
                               **TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_embedding_indices_stay_an_input(dtype):
    nn.manual_seed(0)
    table = nn.Embedding(10, 3, padding_idx=0).to(dtype)

    def bag(ids):
        return table(ids).sum(axis=1).tanh()

    proto = autograd.export.onnx(bag, Tensor(np.array([[1, 2, 0], [4, 5, 9]]), name="ids"),
                                 dynamic_axes={"ids": [0]})
    assert [n.op_type for n in proto.graph.node] == ["Gather", "ReduceSum", "Tanh"]
    other = np.array([[3, 3, 1], [0, 0, 0], [9, 8, 7]])
    np.testing.assert_allclose(run(proto, other)[0], bag(Tensor(other)).data,
                               **TOLERANCE[dtype])


def test_layer_norm_over_axes_that_are_not_the_last_is_refused():
    with pytest.raises(ExportError, match="normalised axes \\(0,\\) are not the last"):
        autograd.export.onnx(lambda t: LayerNorm.apply(t, axes=(0,), eps=1e-5, affine=()),
                             np.ones((3, 2)))


class Resample(nn.Module):
    def forward(self, x):
        return F.interpolate(x, scale_factor=2, mode="bilinear") + F.interpolate(
            x, size=(6, 7), mode="nearest").mean()


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_cnn_round_trips(dtype):
    nn.manual_seed(0)
    cnn = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(4, 8, 3, padding="same"), nn.ReLU(),
                        nn.AvgPool2d(2, ceil_mode=True, padding=1), nn.AdaptiveAvgPool2d(3),
                        nn.Flatten(), nn.Linear(72, 10))
    proto = round_trip(cnn, (1, 8, 8), dtype)
    assert [n.op_type for n in proto.graph.node][:5] == ["Conv", "Relu", "MaxPool", "Conv",
                                                         "Relu"]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_transposed_convolution_and_resampling_round_trip(dtype):
    nn.manual_seed(0)
    round_trip(nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, output_padding=1),
               (2, 5, 5), dtype)
    round_trip(Resample(), (3, 4, 4), dtype)


class CausalAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.attention = nn.MultiheadAttention(8, 2, batch_first=True)

    def forward(self, x):
        mask = np.triu(np.ones((5, 5), dtype=bool), 1)
        return self.attention(x, x, x, attn_mask=mask, need_weights=False)[0]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_attention_round_trips(dtype):
    nn.manual_seed(0)
    proto = round_trip(CausalAttention(), (5, 8), dtype)
    assert "scaled_dot_product_attention" in [n.op_type for n in proto.graph.node]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_transformer_encoder_round_trips(dtype):
    nn.manual_seed(0)
    layer = nn.TransformerEncoderLayer(16, 4, dim_feedforward=32, batch_first=True)
    proto = round_trip(nn.TransformerEncoder(layer, num_layers=2), (5, 16), dtype)
    ops = {n.op_type for n in proto.graph.node}
    assert "scaled_dot_product_attention" in ops and ops & {"LayerNormalization", "layer_norm"}


class LSTMClassifier(nn.Module):
    """An LSTM over the sequence, its last hidden state to class scores."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 5, num_layers=2, batch_first=True)
        self.head = nn.Linear(5, 4)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out[:, -1])


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_lstm_classifier_round_trips_with_one_node_per_step(dtype):
    nn.manual_seed(0)
    model = LSTMClassifier()
    proto = round_trip(model, (6, 3), dtype)
    # one lstm_cell function call per layer and time step, as tracegrad's listing has them
    calls = [n.op_type for n in proto.graph.node if n.op_type.startswith("lstm_cell")]
    assert len(calls) == 2 * 6
