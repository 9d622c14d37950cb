"""nn.to_torch / nn.from_torch (issue 19 item 3): every layer converts both ways with the
same outputs (float64), state-dict keys and shapes; anything else is refused by name.

Live PyTorch only: these tests skip without torch, and `make test-interop` installs it.
"""

from __future__ import annotations

import numpy as np
import pytest

import nn
from autograd import Tensor

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
X = RNG.standard_normal((5, 4))
Y_SAME = RNG.standard_normal((5, 4))
PROBS = RNG.uniform(0.05, 0.95, (5, 4))
LABELS = np.array([0, 3, 1, 2, 3])

# Layers with no torch.nn counterpart, each with the reason.
NO_TORCH_COUNTERPART = {
    nn.Sign: "torch.nn has no Sign module",
    nn.Maxout: "torch.nn has no Maxout",
    nn.Perceptron: "a perceptron-rule model; torch.nn has none",
    nn.RNNBase: "torch.nn.RNNBase has no forward; RNN, LSTM and GRU convert",
}

# One instance of every layer, and the input it is checked on.
MODULES = [
    (nn.Linear(4, 3), X), (nn.Linear(4, 3, bias=False), X),
    (nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 2)), X),
    (nn.MLP(4, [8, 6], 3, activation="tanh"), X),
    (nn.MLP(4, [8], 3, dropout=0.5).eval(), X),
    (nn.Dropout(0.3).eval(), X),
    (nn.Identity(), X), (nn.ReLU(), X), (nn.Sigmoid(), X), (nn.Tanh(), X),
    (nn.Softmax(axis=1), X), (nn.LogSoftmax(dim=0), X), (nn.Softmin(axis=-1), X),
    (nn.LeakyReLU(0.2), X), (nn.GELU(), X), (nn.GELU(approximate="tanh"), X),
    (nn.ELU(alpha=0.7), X), (nn.SELU(), X), (nn.CELU(alpha=1.5), X), (nn.SiLU(), X),
    (nn.Mish(), X), (nn.Softplus(beta=2.0, threshold=5.0), X), (nn.Softsign(), X),
    (nn.Hardtanh(-0.5, 0.7), X), (nn.ReLU6(), 4 * X), (nn.Hardsigmoid(), 4 * X),
    (nn.Hardswish(), 4 * X), (nn.LogSigmoid(), X),
]


def trained(norm, x):
    """A batch-norm layer whose running statistics moved (one training-mode call), in eval
    mode: its buffers are what the output depends on."""
    norm(Tensor(x))
    return norm.eval()


X4 = RNG.standard_normal((2, 3, 4, 5))
INDICES = np.array([[1, 0, 7], [3, 3, 9]])
MODULES += [
    (nn.LayerNorm(4), X), (nn.LayerNorm((5, 4), elementwise_affine=False), X[None]),
    (nn.LayerNorm(4, bias=False), X),
    (nn.BatchNorm1d(4), X), (trained(nn.BatchNorm1d(4, momentum=0.3), X), X),
    (nn.BatchNorm1d(4, affine=False, track_running_stats=False), X),
    (trained(nn.BatchNorm2d(3), X4), X4), (nn.GroupNorm(2, 4), X), (nn.GroupNorm(1, 3), X4),
    (nn.Embedding(10, 3), INDICES), (nn.Embedding(10, 3, padding_idx=0), INDICES),
]
X3 = RNG.standard_normal((2, 3, 9))
MODULES += [
    (nn.Conv1d(3, 4, 3, stride=2, padding=1), X3), (nn.Conv1d(3, 6, 3, groups=3, bias=False), X3),
    (nn.Conv2d(3, 2, (2, 3), padding="same", padding_mode="reflect"), X4),
    (nn.Conv2d(3, 4, 2, stride=(1, 2), dilation=(2, 1)), X4),
    (nn.ConvTranspose1d(3, 2, 3, stride=2, output_padding=1), X3),
    (nn.ConvTranspose2d(3, 2, 2, stride=2), X4),
    (nn.MaxPool1d(2), X3), (nn.MaxPool2d(2, stride=1, padding=1), X4),
    (nn.AvgPool1d(3, stride=2, padding=1), X3),
    (nn.AvgPool2d(2, ceil_mode=True, count_include_pad=False), X4),
    (nn.AdaptiveAvgPool1d(4), X3), (nn.AdaptiveAvgPool2d((2, 3)), X4),
    (nn.Flatten(), X4), (nn.Unflatten(1, (2, 2)), X),
]
SEQ = RNG.standard_normal((5, 2, 4))  # (seq, batch, features)
SEQ_BF = SEQ.swapaxes(0, 1).copy()  # batch_first: (batch, seq, features)
H0 = RNG.standard_normal((2, 2, 3))
KEYS = RNG.standard_normal((6, 2, 4))
CAUSAL = np.triu(np.full((5, 5), -np.inf), 1)
PADDED = np.array([[False] * 4 + [True], [False] * 5])
MODULES += [  # tuple inputs: several arguments; tuple outputs are compared element by element
    (nn.RNN(4, 3), SEQ), (nn.RNN(4, 3, num_layers=2, nonlinearity="relu"), (SEQ, H0)),
    (nn.RNN(4, 3, bias=False, batch_first=True, bidirectional=True), SEQ),
    (nn.GRU(4, 3, num_layers=2, dropout=0.5).eval(), SEQ),
    (nn.GRU(4, 3, bidirectional=True), SEQ[:, 0]),  # unbatched
    (nn.LSTM(4, 3), SEQ), (nn.LSTM(4, 3, num_layers=2, batch_first=True), (SEQ_BF, (H0, -H0))),
    (nn.LSTM(4, 3, bidirectional=True, bias=False), SEQ),
    (nn.RNNCell(4, 3), X), (nn.RNNCell(4, 3, nonlinearity="relu", bias=False), (X, Y_SAME[:, :3])),
    (nn.GRUCell(4, 3), X), (nn.GRUCell(4, 3), X[0]), (nn.LSTMCell(4, 3), X),
    (nn.LSTMCell(4, 3), (X, (Y_SAME[:, :3], Y_SAME[:, 1:]))),
    (nn.MultiheadAttention(4, 2), (SEQ, KEYS, KEYS)),
    (nn.MultiheadAttention(4, 1, bias=False, add_bias_kv=True, add_zero_attn=True),
     (SEQ, SEQ, SEQ)),
    (nn.MultiheadAttention(4, 2, kdim=3, vdim=5, batch_first=True),
     (SEQ_BF, KEYS[:2, :, :3], RNG.standard_normal((2, 2, 5)))),
    (nn.TransformerEncoderLayer(4, 2, dim_feedforward=8).eval(), SEQ),
    (nn.TransformerEncoderLayer(4, 1, 6, activation="gelu", norm_first=True, batch_first=True,
                                layer_norm_eps=1e-3, bias=False).eval(), SEQ),
    (nn.TransformerEncoderLayer(4, 2, 8, activation=nn.GELU(approximate="tanh")).eval(), SEQ),
    (nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0), 2), (SEQ, CAUSAL)),
    # enable_nested_tensor=False: with it, torch's eval fast path writes 0 where padded
    (nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 8, batch_first=True), 2,
                           norm=nn.LayerNorm(4), enable_nested_tensor=False).eval(),
     (SEQ_BF, None, PADDED)),
]
LOSSES = [
    (nn.MSELoss(), X, Y_SAME), (nn.L1Loss(reduction="sum"), X, Y_SAME),
    (nn.SmoothL1Loss(beta=0.5), X, Y_SAME), (nn.HuberLoss(delta=0.3), X, Y_SAME),
    (nn.KLDivLoss(reduction="batchmean"), np.log(PROBS), PROBS),
    (nn.BCELoss(weight=np.array([1.0, 2.0, 0.5, 1.0])), PROBS, PROBS.round()),
    (nn.BCEWithLogitsLoss(pos_weight=np.array([2.0, 1.0, 0.5, 3.0])), X, PROBS.round()),
    (nn.CrossEntropyLoss(label_smoothing=0.1, weight=np.array([1.0, 2.0, 0.5, 1.0])), X,
     LABELS),
    (nn.CrossEntropyLoss(ignore_index=3, reduction="none"), X, LABELS),
    (nn.NLLLoss(), np.log(PROBS), LABELS),
]


def ids(cases):
    return [type(case[0]).__name__ + f"-{i}" for i, case in enumerate(cases)]


def arguments(x):
    """A case's input as the call's arguments (a tuple is several)."""
    return x if isinstance(x, tuple) else (x,)


def flat(out):
    """An output as a list of numpy arrays: tuples such as (output, (h_n, c_n)) flattened,
    None kept (attention without weights)."""
    if isinstance(out, (tuple, list)):
        return [a for item in out for a in flat(item)]
    if out is None:
        return [None]
    return [out.detach().numpy() if isinstance(out, torch.Tensor) else np.asarray(out.data)]


def ours(model, *inputs):
    def wrap(a):
        if isinstance(a, tuple):
            return tuple(wrap(b) for b in a)
        return Tensor(a) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a

    return flat(model(*[wrap(a) for a in inputs]))


def theirs(module, *inputs):
    def wrap(a):
        if isinstance(a, tuple):
            return tuple(wrap(b) for b in a)
        return torch.from_numpy(a) if isinstance(a, np.ndarray) else a

    with torch.no_grad():
        return flat(module(*[wrap(a) for a in inputs]))


def assert_close(actual, expected, rtol, atol):
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected):
        assert (a is None) == (e is None)
        if a is not None:
            assert a.shape == e.shape
            np.testing.assert_allclose(a, e, rtol=rtol, atol=atol)


def assert_same_state(model, module):
    mine, yours = model.state_dict(), module.state_dict()
    assert list(mine) == list(yours)
    for key in mine:
        assert mine[key].shape == tuple(yours[key].shape)
        assert mine[key].dtype == yours[key].numpy().dtype  # float64, or int64 counters
        np.testing.assert_array_equal(mine[key], yours[key].numpy())


@pytest.mark.parametrize("model, x", MODULES, ids=ids(MODULES))
def test_to_torch_gives_the_same_outputs_and_state_dict(model, x):
    module = nn.to_torch(model)
    for name, sub in model.named_modules():  # also the submodules a constructor built
        assert module.get_submodule(name).training == sub.training, name
    assert_same_state(model, module)
    assert_close(theirs(module, *arguments(x)), ours(model, *arguments(x)), 1e-12, 1e-14)
    assert_same_state(model, module)  # training-mode batch norm moved both alike


@pytest.mark.parametrize("model, x", MODULES, ids=ids(MODULES))
def test_from_torch_brings_back_the_same_model(model, x):
    back = nn.from_torch(nn.to_torch(model))
    assert_same_state(back, nn.to_torch(model))
    assert_close(ours(back, *arguments(x)), ours(model, *arguments(x)), 1e-13, 1e-15)
    assert [m.training for m in back.modules()] == [m.training for m in model.modules()]


@pytest.mark.parametrize("loss, x, y", LOSSES, ids=ids(LOSSES))
def test_losses_convert_both_ways(loss, x, y):
    module = nn.to_torch(loss)
    assert_close(theirs(module, x, y), ours(loss, x, y), 1e-12, 1e-15)
    back = nn.from_torch(module)
    assert type(back) is type(loss)
    assert_close(ours(back, x, y), ours(loss, x, y), 1e-15, 0)


def test_state_dicts_load_across_both_ways():
    model = nn.MLP(4, [8, 6], 3)
    module = nn.to_torch(nn.MLP(4, [8, 6], 3))  # other weights, same keys and shapes
    module.load_state_dict({k: torch.from_numpy(v) for k, v in model.state_dict().items()})
    assert_close(theirs(module, X), ours(model, X), 1e-13, 1e-15)
    layer, theirs_layer = nn.Linear(4, 3), torch.nn.Linear(4, 3, dtype=torch.float64)
    layer.load_state_dict({k: v.numpy() for k, v in theirs_layer.state_dict().items()})
    assert_close(ours(layer, X), theirs(theirs_layer, X), 1e-13, 1e-15)


def test_a_module_list_converts_with_its_children_in_order():
    model = nn.ModuleList([nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2)])
    module = nn.to_torch(model)
    assert isinstance(module, torch.nn.ModuleList) and len(module) == 3
    assert_same_state(model, module)
    back = nn.from_torch(module)
    assert type(back) is nn.ModuleList and [type(m) for m in back] == [type(m) for m in model]
    assert_same_state(back, module)


def test_a_torch_model_comes_over_with_its_weights_and_float32():
    torch.manual_seed(0)
    f32 = torch.float32  # explicit: another test may have changed torch's default dtype
    module = torch.nn.Sequential(torch.nn.Linear(4, 5, dtype=f32), torch.nn.Tanh(),
                                 torch.nn.Linear(5, 2, dtype=f32), torch.nn.LogSoftmax(dim=1))
    model = nn.from_torch(module)
    assert [p.dtype for p in model.parameters()] == [np.float32] * 4
    x = X.astype(np.float32)
    assert_close(ours(model, x), theirs(module, x), 1e-6, 1e-6)


def test_training_mode_is_kept_both_ways():
    model = nn.MLP(4, [8], 3, dropout=0.5)
    model.eval()
    module = nn.to_torch(model)
    assert not any(m.training for m in module.modules())
    module.train()
    assert all(m.training for m in nn.from_torch(module).modules())


def test_every_nn_layer_converts_or_is_listed_as_having_no_counterpart():
    layers = {getattr(nn, name) for name in nn.__all__}
    layers = {cls for cls in layers if isinstance(cls, type) and issubclass(cls, nn.Module)
              and cls is not nn.Module}
    covered = set(nn.interop.converters()) | set(NO_TORCH_COUNTERPART)
    assert layers - covered == set(), "register these in nn/interop.py"
    tested = {type(case[0]) for case in MODULES + LOSSES} | {nn.ModuleList}
    assert set(nn.interop.converters()) - tested == set(), "add a test case for these"


@pytest.mark.parametrize("cls", sorted(NO_TORCH_COUNTERPART, key=lambda c: c.__name__))
def test_a_layer_without_counterpart_is_refused_by_name_and_path(cls):
    layer = {nn.Sign: lambda: nn.Sign(), nn.Maxout: lambda: nn.Maxout(4, 2, 3),
             nn.Perceptron: lambda: nn.Perceptron(4),
             nn.RNNBase: lambda: nn.RNNBase("GRU", 4, 4)}[cls]()
    with pytest.raises(TypeError, match=rf"to_torch: {cls.__name__} \('1'\) has no PyTorch "
                                        "counterpart registered; supported: .*Linear"):
        nn.to_torch(nn.Sequential(nn.Linear(4, 4), layer))


def test_a_torch_module_without_counterpart_is_refused_by_name_and_path():
    module = torch.nn.Sequential(torch.nn.Linear(4, 4, dtype=torch.float64),
                                 torch.nn.Sequential(torch.nn.PixelShuffle(2)))
    with pytest.raises(TypeError, match=r"from_torch: torch.nn.PixelShuffle \('1.0'\) has no "
                                        "tracegrad counterpart"):
        nn.from_torch(module)
    with pytest.raises(TypeError, match="expected a torch.nn.Module, got MLP"):
        nn.from_torch(nn.MLP(2, [2], 2))
    with pytest.raises(TypeError, match=r"Softmax\(dim=None\)"):
        nn.from_torch(torch.nn.Softmax())


def test_settings_torch_cannot_express_are_refused():
    with pytest.raises(TypeError, match=r"CrossEntropyLoss\(axis=-1\) has no PyTorch form"):
        nn.to_torch(nn.CrossEntropyLoss(axis=-1))
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2, dtype=np.float32))
    with pytest.raises(TypeError, match="mix dtypes"):
        nn.to_torch(model)


def test_a_registered_layer_converts_with_one_entry():
    class Scale(nn.Module):  # a user's layer, registered as torch's Identity
        def forward(self, x):
            return x

    nn.interop.register(Scale, "Identity")
    try:
        assert isinstance(nn.to_torch(nn.Sequential(Scale()))[0], torch.nn.Identity)
    finally:
        del nn.interop._REGISTRY[Scale]
    with pytest.raises(TypeError, match="expected an nn.Module class"):
        nn.interop.register(int, "Identity")


def test_transformer_activation_without_torch_form_is_refused():
    for activation in (lambda x: x.tanh(), nn.Sign()):
        layer = nn.TransformerEncoderLayer(4, 2, 8, activation=activation)
        with pytest.raises(TypeError, match=r"to_torch: TransformerEncoderLayer\(activation="
                                            ".*\\) has no PyTorch form; use 'relu', 'gelu'"):
            nn.to_torch(layer)
    module = torch.nn.TransformerEncoderLayer(4, 2, 8, activation=torch.tanh,
                                              dtype=torch.float64)
    with pytest.raises(TypeError, match=r"from_torch: torch.nn.TransformerEncoderLayer\("
                                        "activation=.*tanh.*\\) has no tracegrad form"):
        nn.from_torch(module)


def test_a_torch_lstm_with_a_projection_is_refused():
    module = torch.nn.LSTM(4, 3, proj_size=2, dtype=torch.float64)
    with pytest.raises(ValueError, match="proj_size=2 is not supported"):
        nn.from_torch(module)
