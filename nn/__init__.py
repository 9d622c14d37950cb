"""Neural networks on tracegrad's Tensor: modules, layers, losses, initialisers, data,
a training loop and checkpoints. PyTorch's names and conventions throughout.

    import nn, optim
    model = nn.MLP(64, [64], 10)                        # logits out
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    history = nn.fit(model, nn.CrossEntropyLoss(), optimizer, loader, epochs=20)

Neuron-level models on Scalars live in nn.scalar; weight initialisers in nn.init.
"""

from . import data, datasets, functional, init, scalar
from .activations import (
    CELU,
    ELU,
    GELU,
    SELU,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    Identity,
    LeakyReLU,
    LogSigmoid,
    LogSoftmax,
    Mish,
    ReLU,
    ReLU6,
    Sigmoid,
    Sign,
    SiLU,
    Softmax,
    Softmin,
    Softplus,
    Softsign,
    Tanh,
    erf,
    gelu,
    leaky_relu,
    log_softmax,
    relu,
    sigmoid,
    sign,
    softmax,
    tanh,
)
from .checkpoint import CheckpointError, load, save
from .data import DataLoader, StandardScaler, standardize, train_test_split
from .init import manual_seed
from .layers import (
    MLP,
    Dropout,
    Linear,
    Maxout,
    ModuleList,
    Perceptron,
    Sequential,
    dropout,
    linear,
)
from .losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    kl_div,
    l1_loss,
    l2_penalty,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)
from .module import IncompatibleKeys, Module, Parameter, StateDictError
from .restarts import Restarts, fit_restarts
from .training import EarlyStopping, History, accuracy, evaluate, fit

__all__ = [
    # modules and parameters
    "Module", "Parameter", "StateDictError", "IncompatibleKeys",
    # layers
    "Linear", "Sequential", "ModuleList", "MLP", "Dropout", "Maxout", "Perceptron",
    # activations: modules, then functions
    "ReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Sign", "LeakyReLU", "GELU",
    "Identity",
    "relu", "sigmoid", "tanh", "softmax", "log_softmax", "sign", "leaky_relu", "gelu", "erf",
    "dropout", "linear",
    # losses: modules, then functions
    "MSELoss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss",
    "mse_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy",
    "nll_loss", "l2_penalty",
    # training, checkpoints, randomness
    "fit", "evaluate", "EarlyStopping", "History", "accuracy", "fit_restarts", "Restarts",
    "save", "load", "CheckpointError", "manual_seed",
    # data
    "DataLoader", "StandardScaler", "standardize", "train_test_split",
    # submodules
    "data", "datasets", "init", "scalar", "functional",
    # surface-nn (issue 15 item 6): the rest of torch.nn's activation and loss modules
    "ELU", "SELU", "CELU", "SiLU", "Mish", "Softplus", "Softsign", "Hardtanh", "ReLU6",
    "Hardsigmoid", "Hardswish", "LogSigmoid", "Softmin",
    "L1Loss", "SmoothL1Loss", "HuberLoss", "KLDivLoss",
    "l1_loss", "smooth_l1_loss", "huber_loss", "kl_div",
]

# conv (issue 16): convolutional layers and their functions (nn/conv.py)
from . import conv  # noqa: E402
from .conv import (  # noqa: E402
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AvgPool1d,
    AvgPool2d,
    Conv1d,
    Conv2d,
    ConvTranspose1d,
    ConvTranspose2d,
    Flatten,
    MaxPool1d,
    MaxPool2d,
    Unflatten,
)

__all__ += ["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d", "MaxPool1d",
            "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d",
            "Flatten", "Unflatten", "conv"]
# norm (issue 16): normalisation and embedding layers
from .normalization import (  # noqa: E402
    BatchNorm1d,
    BatchNorm2d,
    GroupNorm,
    LayerNorm,
    batch_norm,
    group_norm,
    layer_norm,
)
from .sparse import Embedding, embedding  # noqa: E402

__all__ += ["LayerNorm", "BatchNorm1d", "BatchNorm2d", "GroupNorm", "Embedding",
            "layer_norm", "batch_norm", "group_norm", "embedding"]

# rnn (issue 16): recurrent layers and cells
from .recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell  # noqa: E402

__all__ += ["RNNBase", "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"]

# attn (issue 16): attention and transformers
from .attention import MultiheadAttention  # noqa: E402
from .transformer import TransformerEncoder, TransformerEncoderLayer  # noqa: E402

__all__ += ["MultiheadAttention", "TransformerEncoderLayer", "TransformerEncoder"]

# optim helper (issue 19 item 3): conversion to and from PyTorch modules
from . import interop  # noqa: E402
from .interop import from_torch, to_torch  # noqa: E402

__all__ += ["interop", "to_torch", "from_torch"]
