"""Models to and from PyTorch: `nn.to_torch(model)` and `nn.from_torch(module)`.

    torch_model = nn.to_torch(model)          # torch.nn modules, same weights, same dtype
    model = nn.from_torch(torch_model)        # and back

Both walk the module tree and convert each module through a registry keyed by class:
one `register(...)` entry per layer says which torch.nn class it matches and how the
constructor arguments translate. Parameters then move through the state dict, whose keys
and shapes are the same on both sides (a converted model's `state_dict()` loads into the
other). A module without an entry is refused with an error that names it and its path.

torch is optional: it is imported on the first conversion, and a missing torch is an
ImportError that says how to install it. `make test-interop` runs the round-trip tests.
"""

from __future__ import annotations

import importlib
from collections import OrderedDict
from typing import Callable, NamedTuple

import numpy as np

from . import activations as act
from . import conv, losses, recurrent
from .attention import MultiheadAttention
from .layers import MLP, Dropout, Linear, ModuleList, Sequential
from .module import Module
from .normalization import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm
from .sparse import Embedding
from .transformer import TransformerEncoder, TransformerEncoderLayer

__all__ = ["to_torch", "from_torch", "register", "converters"]


class Converter(NamedTuple):
    """One registry entry: the torch.nn class name and the constructor arguments each way.

    to_args(model) -> kwargs of torch.nn.<torch_name>; from_args(module, dtype) -> kwargs
    of the tracegrad class (dtype: the numpy dtype of the torch module's parameters, for
    layers that take one). Children are converted by the registry, under their names;
    a container's entry sets `container=True` and its arguments exclude them.
    """

    torch_name: str
    to_args: Callable
    from_args: Callable | None
    container: bool = False


_REGISTRY: dict[type, Converter] = {}


def register(cls: type, torch_name: str, to_args: Callable = lambda model: {},
             from_args: Callable | None = lambda module, dtype: {},
             container: bool = False) -> None:
    """Make `cls` (an nn.Module class) convertible to and from torch.nn.<torch_name>.

    to_args(model) gives the torch constructor's keyword arguments, from_args(module,
    dtype) the tracegrad constructor's (None: to_torch only). Parameters need no code:
    they are copied through the state dict, whose keys must match torch's.
    """
    if not (isinstance(cls, type) and issubclass(cls, Module)):
        raise TypeError(f"register: expected an nn.Module class, got {cls!r}")
    _REGISTRY[cls] = Converter(torch_name, to_args, from_args, container)


def converters() -> dict:
    """{tracegrad class: torch.nn class name} of every registered layer."""
    return {cls: entry.torch_name for cls, entry in _REGISTRY.items()}


def _torch(caller):
    """torch, imported on first use: an optional dependency that takes seconds to load."""
    try:
        return importlib.import_module("torch")
    except ImportError:
        raise ImportError(f"nn.{caller} needs PyTorch, which tracegrad does not install: "
                          "pip install torch (or run `make test-interop`)") from None


# -- tracegrad -> torch ------------------------------------------------------------------


def to_torch(model: Module):
    """The torch.nn equivalent of `model`: the same layers with the same parameter values
    (copied), dtype (float64 stays float64) and train/eval mode. Raises TypeError naming
    the first module that has no PyTorch counterpart."""
    torch = _torch("to_torch")
    if not isinstance(model, Module):
        raise TypeError(f"to_torch: expected an nn.Module, got {type(model).__name__}")
    state = model.state_dict()
    dtypes = {value.dtype for value in state.values() if value.dtype.kind == "f"}
    if len(dtypes) > 1:
        raise TypeError(f"to_torch: the parameters mix dtypes {sorted(map(str, dtypes))}; "
                        "convert the model to one dtype first")
    module = _module_to_torch(torch, model, "")
    if dtypes:
        module.to(getattr(torch, dtypes.pop().name))
    result = module.load_state_dict({key: torch.from_numpy(np.array(value))
                                     for key, value in state.items()}, strict=False)
    if result.unexpected_keys:
        raise TypeError(f"to_torch: torch's modules have no {result.unexpected_keys}; a "
                        "registered converter builds a module that does not match its layer")
    _copy_modes(model, module)
    return module


def _copy_modes(source, target):
    """train/eval of every submodule, also of those a layer's constructor built (an
    attention layer's out_proj, a transformer's dropouts): their names match both sides."""
    modules = dict(target.named_modules())
    for name, sub in source.named_modules():
        if name in modules:
            modules[name].training = sub.training


def _module_to_torch(torch, model, path):
    entry = _entry_for(model, path, "to_torch")
    cls = getattr(torch.nn, entry.torch_name)
    if entry.container:
        children = OrderedDict((name, _module_to_torch(torch, child, _join(path, name)))
                               for name, child in model.named_children())
        module = (cls(children) if entry.torch_name == "Sequential"
                  else cls(list(children.values())))
    else:
        module = cls(**entry.to_args(model))
    module.training = model.training
    return module


def _entry_for(model, path, caller):
    entry = _REGISTRY.get(type(model))
    if entry is None:
        where = f"'{path}'" if path else "the model itself"
        supported = ", ".join(sorted(cls.__name__ for cls in _REGISTRY))
        raise TypeError(f"{caller}: {type(model).__name__} ({where}) has no PyTorch "
                        f"counterpart registered; supported: {supported}. Register one with "
                        "nn.interop.register(...)")
    return entry


def _join(path, name):
    return f"{path}.{name}" if path else name


# -- torch -> tracegrad ------------------------------------------------------------------


def from_torch(module) -> Module:
    """The tracegrad equivalent of a torch.nn module: the same layers, parameter values
    (copied), dtype and train/eval mode. Raises TypeError naming the first module without
    a registered tracegrad counterpart."""
    torch = _torch("from_torch")
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"from_torch: expected a torch.nn.Module, got "
                        f"{type(module).__name__}")
    by_torch_class = {getattr(torch.nn, entry.torch_name): cls
                      for cls, entry in _REGISTRY.items() if entry.from_args is not None}
    state = {key: value.detach().cpu().numpy().copy()
             for key, value in module.state_dict().items()}
    dtypes = {value.dtype for value in state.values() if value.dtype.kind == "f"}
    dtype = dtypes.pop() if len(dtypes) == 1 else np.float64
    model = _module_from_torch(module, by_torch_class, dtype, "")
    result = model.load_state_dict(state, strict=False)
    if result.missing_keys:
        raise TypeError(f"from_torch: the torch module has no {result.missing_keys}; a "
                        "registered converter builds a layer that does not match its module")
    _copy_modes(module, model)
    return model


def _module_from_torch(module, by_torch_class, dtype, path):
    cls = by_torch_class.get(type(module))
    if cls is None:
        where = f"'{path}'" if path else "the module itself"
        supported = ", ".join(sorted(c.__name__ for c in by_torch_class))
        raise TypeError(f"from_torch: torch.nn.{type(module).__name__} ({where}) has no "
                        f"tracegrad counterpart registered; supported: {supported}")
    entry = _REGISTRY[cls]
    if entry.container:
        model = cls()
        for name, child in module.named_children():
            model.add_module(name, _module_from_torch(child, by_torch_class, dtype,
                                                      _join(path, name)))
    else:
        model = cls(**entry.from_args(module, dtype))
    model.training = module.training
    return model


# -- the registry: one entry per layer ---------------------------------------------------


def _same(*names, **renamed):
    """Arguments with the same names on both sides; renamed: tracegrad name = torch name."""
    def to_args(model):
        return {**{n: getattr(model, n) for n in names},
                **{theirs: getattr(model, ours) for ours, theirs in renamed.items()}}

    def from_args(module, dtype):
        return {**{n: getattr(module, n) for n in names},
                **{ours: getattr(module, theirs) for ours, theirs in renamed.items()}}

    return {"to_args": to_args, "from_args": from_args}


def _with_bias(*names):
    """Arguments of a layer with an optional bias (bias=False: none) and a dtype."""
    def to_args(model):
        return {**{n: getattr(model, n) for n in names}, "bias": model.bias is not None
                or getattr(model, "weight", None) is None}

    def from_args(module, dtype):
        return {**to_args(module), "dtype": dtype}

    return {"to_args": to_args, "from_args": from_args}


def _with_dtype(*names):
    """_same(*names), and the parameters' dtype given to the tracegrad layer."""
    same = _same(*names)
    return {"to_args": same["to_args"],
            "from_args": lambda module, dtype: {**same["from_args"](module, dtype),
                                                "dtype": dtype}}


def _softmax_dim(module, dtype):
    """torch's dim=None picks an axis from the input's rank; tracegrad wants one."""
    if module.dim is None:
        raise TypeError(f"from_torch: torch.nn.{type(module).__name__}(dim=None) chooses "
                        "its axis from the input's rank; give dim explicitly")
    return {"axis": module.dim}


def _weight_to_torch(model):
    """A loss's class weights as a tensor (torch keeps them as a buffer)."""
    weight = getattr(model, "weight", None)
    if weight is None:
        return None
    torch = _torch("to_torch")
    return torch.from_numpy(np.array(weight.data if hasattr(weight, "data") else weight))


def _weight_from_torch(module):
    weight = getattr(module, "weight", None)
    return None if weight is None else weight.detach().cpu().numpy().copy()


def _classification_axis(model):
    if model.axis is not None:
        raise TypeError(f"to_torch: {type(model).__name__}(axis={model.axis}) has no "
                        "PyTorch form (torch's classes are on axis 1); use axis=None")
    return {}


register(Sequential, "Sequential", container=True)
register(ModuleList, "ModuleList", container=True)
register(MLP, "Sequential", from_args=None, container=True)  # torch: Sequential(layers=...)
register(Linear, "Linear",
         to_args=lambda m: {"in_features": m.in_features, "out_features": m.out_features,
                            "bias": m.bias is not None},
         from_args=lambda t, dtype: {"in_features": t.in_features,
                                     "out_features": t.out_features,
                                     "bias": t.bias is not None, "dtype": dtype})
register(Dropout, "Dropout", **_same("p"))
register(act.Identity, "Identity")
register(act.ReLU, "ReLU")
register(act.Sigmoid, "Sigmoid")
register(act.Tanh, "Tanh")
register(act.Softmax, "Softmax", to_args=lambda m: {"dim": m.axis}, from_args=_softmax_dim)
register(act.LogSoftmax, "LogSoftmax", to_args=lambda m: {"dim": m.axis},
         from_args=_softmax_dim)
register(act.Softmin, "Softmin", to_args=lambda m: {"dim": m.axis}, from_args=_softmax_dim)
register(act.LeakyReLU, "LeakyReLU", **_same("negative_slope"))
register(act.GELU, "GELU", **_same("approximate"))
for _cls in (act.ELU, act.SELU, act.CELU, act.SiLU, act.Mish, act.Softplus, act.Softsign,
             act.Hardtanh, act.ReLU6, act.Hardsigmoid, act.Hardswish, act.LogSigmoid):
    register(_cls, _cls.__name__, **_same(*[k for k in _cls.defaults if k != "inplace"]))
register(losses.MSELoss, "MSELoss", **_same("reduction"))
register(losses.L1Loss, "L1Loss", **_same("reduction"))
register(losses.SmoothL1Loss, "SmoothL1Loss", **_same("reduction", "beta"))
register(losses.HuberLoss, "HuberLoss", **_same("reduction", "delta"))
register(losses.KLDivLoss, "KLDivLoss", **_same("reduction", "log_target"))
register(losses.BCELoss, "BCELoss",
         to_args=lambda m: {"weight": _weight_to_torch(m), "reduction": m.reduction},
         from_args=lambda t, dtype: {"weight": _weight_from_torch(t),
                                     "reduction": t.reduction})
register(losses.BCEWithLogitsLoss, "BCEWithLogitsLoss",
         to_args=lambda m: {"weight": _weight_to_torch(m), "reduction": m.reduction,
                            "pos_weight": None if m.pos_weight is None else
                            _torch("to_torch").from_numpy(np.array(m.pos_weight))},
         from_args=lambda t, dtype: {
             "weight": _weight_from_torch(t), "reduction": t.reduction,
             "pos_weight": None if t.pos_weight is None else
             t.pos_weight.detach().cpu().numpy().copy()})
register(losses.CrossEntropyLoss, "CrossEntropyLoss",
         to_args=lambda m: {**_classification_axis(m), "weight": _weight_to_torch(m),
                            "ignore_index": m.ignore_index, "reduction": m.reduction,
                            "label_smoothing": m.label_smoothing},
         from_args=lambda t, dtype: {"weight": _weight_from_torch(t),
                                     "ignore_index": t.ignore_index,
                                     "reduction": t.reduction,
                                     "label_smoothing": t.label_smoothing})
register(losses.NLLLoss, "NLLLoss",
         to_args=lambda m: {**_classification_axis(m), "weight": _weight_to_torch(m),
                            "ignore_index": m.ignore_index, "reduction": m.reduction},
         from_args=lambda t, dtype: {"weight": _weight_from_torch(t),
                                     "ignore_index": t.ignore_index,
                                     "reduction": t.reduction})
# norm (issue 16): normalisation and embedding layers
register(LayerNorm, "LayerNorm", **_with_bias("normalized_shape", "eps", "elementwise_affine"))
for _cls in (BatchNorm1d, BatchNorm2d):
    register(_cls, _cls.__name__, **_with_bias("num_features", "eps", "momentum", "affine",
                                               "track_running_stats"))
register(GroupNorm, "GroupNorm", **_with_bias("num_groups", "num_channels", "eps", "affine"))
register(Embedding, "Embedding",
         to_args=lambda m: {n: getattr(m, n) for n in (
             "num_embeddings", "embedding_dim", "padding_idx", "max_norm", "norm_type",
             "scale_grad_by_freq")},
         from_args=lambda t, dtype: {"dtype": dtype, **{n: getattr(t, n) for n in (
             "num_embeddings", "embedding_dim", "padding_idx", "max_norm", "norm_type",
             "scale_grad_by_freq", "sparse")}})
# conv (issue 16): convolution, pooling, flatten
for _cls in (conv.Conv1d, conv.Conv2d):
    register(_cls, _cls.__name__, **_with_bias(
        "in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation",
        "groups", "padding_mode"))
for _cls in (conv.ConvTranspose1d, conv.ConvTranspose2d):
    register(_cls, _cls.__name__, **_with_bias(
        "in_channels", "out_channels", "kernel_size", "stride", "padding", "output_padding",
        "groups", "dilation"))
for _cls in (conv.MaxPool1d, conv.MaxPool2d):
    register(_cls, _cls.__name__, **_same("kernel_size", "stride", "padding", "dilation",
                                          "return_indices", "ceil_mode"))
register(conv.AvgPool1d, "AvgPool1d",
         **_same("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad"))
register(conv.AvgPool2d, "AvgPool2d", **_same("kernel_size", "stride", "padding", "ceil_mode",
                                              "count_include_pad", "divisor_override"))
for _cls in (conv.AdaptiveAvgPool1d, conv.AdaptiveAvgPool2d):
    register(_cls, _cls.__name__, **_same("output_size"))
register(conv.Flatten, "Flatten", **_same("start_dim", "end_dim"))
register(conv.Unflatten, "Unflatten", **_same("dim", "unflattened_size"))
# rnn (issue 16): recurrent layers and cells; torch's attributes carry the same names
_RNN_ARGS = ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout",
             "bidirectional")
register(recurrent.RNN, "RNN", **_with_dtype(*_RNN_ARGS, "nonlinearity"))
register(recurrent.GRU, "GRU", **_with_dtype(*_RNN_ARGS))
register(recurrent.LSTM, "LSTM", **_with_dtype(*_RNN_ARGS, "proj_size"))  # ours refuses ≠ 0
register(recurrent.RNNCell, "RNNCell",
         **_with_dtype("input_size", "hidden_size", "bias", "nonlinearity"))
for _cls in (recurrent.GRUCell, recurrent.LSTMCell):
    register(_cls, _cls.__name__, **_with_dtype("input_size", "hidden_size", "bias"))


# attn (issue 16): attention and the transformer encoder
def _attention_args(m):
    """MultiheadAttention's arguments, read alike from either side's attributes."""
    return {"embed_dim": m.embed_dim, "num_heads": m.num_heads, "dropout": m.dropout,
            "bias": m.in_proj_bias is not None, "add_bias_kv": m.bias_k is not None,
            "add_zero_attn": m.add_zero_attn, "kdim": m.kdim, "vdim": m.vdim,
            "batch_first": m.batch_first}


def _encoder_layer_args(m):
    """TransformerEncoderLayer's arguments but activation, read from its submodules
    (torch keeps no d_model or nhead attribute)."""
    return {"d_model": m.self_attn.embed_dim, "nhead": m.self_attn.num_heads,
            "dim_feedforward": m.linear1.out_features, "dropout": m.dropout.p,
            "layer_norm_eps": m.norm1.eps, "batch_first": m.self_attn.batch_first,
            "norm_first": m.norm_first, "bias": m.linear1.bias is not None}


def _activation_to_torch(m):
    """"relu"/"gelu" for the built-in functions, a registered Module converted; else refused."""
    name = {act.relu: "relu", act.gelu: "gelu"}.get(m.activation)
    if name is not None:
        return name
    if isinstance(m.activation, Module) and type(m.activation) in _REGISTRY:
        return to_torch(m.activation)
    raise TypeError(f"to_torch: TransformerEncoderLayer(activation={m.activation!r}) has no "
                    "PyTorch form; use 'relu', 'gelu' or a registered activation Module")


def _activation_from_torch(m):
    torch = _torch("from_torch")
    name = {torch.nn.functional.relu: "relu", torch.nn.functional.gelu: "gelu"}.get(
        m.activation)
    if name is not None:
        return name
    if isinstance(m.activation, torch.nn.Module):
        return from_torch(m.activation)
    raise TypeError(f"from_torch: torch.nn.TransformerEncoderLayer(activation="
                    f"{m.activation!r}) has no tracegrad form; use 'relu', 'gelu' or a "
                    "torch.nn activation module")


register(MultiheadAttention, "MultiheadAttention", to_args=_attention_args,
         from_args=lambda t, dtype: {**_attention_args(t), "dtype": dtype})
register(TransformerEncoderLayer, "TransformerEncoderLayer",
         to_args=lambda m: {**_encoder_layer_args(m), "activation": _activation_to_torch(m)},
         from_args=lambda t, dtype: {**_encoder_layer_args(t), "dtype": dtype,
                                     "activation": _activation_from_torch(t)})
# The layers' weights come through the state dict; the first layer gives the settings.
register(TransformerEncoder, "TransformerEncoder",
         to_args=lambda m: {"encoder_layer": to_torch(m.layers[0]), "num_layers": m.num_layers,
                            "norm": None if m.norm is None else to_torch(m.norm),
                            "enable_nested_tensor": m.enable_nested_tensor,
                            "mask_check": m.mask_check},
         from_args=lambda t, dtype: {
             "encoder_layer": from_torch(t.layers[0]), "num_layers": t.num_layers,
             "norm": None if t.norm is None else from_torch(t.norm),
             "enable_nested_tensor": t.enable_nested_tensor, "mask_check": t.mask_check})
