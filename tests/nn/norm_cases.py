"""The normalisation and embedding calls compared with PyTorch (issue 16): one list shared
by make_norm_reference.py (run once with torch) and test_norm_torch.py.

FUNCTIONAL cases call F.<fn>(*args, **kwargs) with the same arguments on both sides;
`grads` names the inputs whose gradients of Σ out·v are compared (v a fixed cotangent),
`mutated` the inputs whose values after the call are compared (batch_norm's running
statistics, embedding's max_norm renormalisation).

MODULE cases build nn.<module>(*args, **kwargs) on both sides with the same parameter
values, train it `steps` SGD steps (lr 0.1) on the same batches in training mode, then
run one batch in eval mode; every output, input gradient, parameter gradient and the
final state dict are compared.
"""

import zlib

import numpy as np


class F64:
    """A float64 array of `shape`: normal draws, or uniform in [low, high)."""

    def __init__(self, *shape, low=None, high=None):
        self.shape, self.low, self.high = shape, low, high

    def build(self, rng):
        if self.low is None:
            return rng.normal(size=self.shape)
        return rng.uniform(self.low, self.high, size=self.shape)


class Ints:
    """An int64 array of `shape` with values in 0..high−1 (embedding indices)."""

    def __init__(self, *shape, high):
        self.shape, self.high = shape, high

    def build(self, rng):
        return rng.integers(0, self.high, size=self.shape)


def rng_for(case_id, salt=0):
    return np.random.default_rng(zlib.crc32(case_id.encode()) + salt)


def _built(value, rng):
    # by duck type: the recorder and the tests may import this file as two modules
    return value.build(rng) if hasattr(value, "build") else value


def build(case_):
    """(args, kwargs) with every spec replaced by its array."""
    rng = rng_for(case_["id"])
    args = [_built(a, rng) for a in case_["args"]]
    kwargs = {k: _built(v, rng) for k, v in case_["kwargs"].items()}
    return args, kwargs


def cotangent(shape, case_id, step=0):
    return rng_for(case_id, 1000 + step).normal(size=shape)


def fcase(id, fn, *args, grads=(0, "weight", "bias"), mutated=(), **kwargs):  # noqa: A002
    grads = [g for g in grads if isinstance(g, int) or g in kwargs]
    return {"id": id, "fn": fn, "args": args, "kwargs": kwargs, "grads": grads,
            "mutated": list(mutated)}


def mcase(id, module, *args, input, steps=3, **kwargs):  # noqa: A002
    return {"id": id, "module": module, "args": args, "kwargs": kwargs, "input": input,
            "steps": steps}


VAR = F64(3, low=0.3, high=2.0)

FUNCTIONAL = [
    fcase("layer_norm_last", "layer_norm", F64(4, 5), (5,), weight=F64(5), bias=F64(5)),
    fcase("layer_norm_two_axes", "layer_norm", F64(2, 3, 4), (3, 4), weight=F64(3, 4),
          bias=F64(3, 4)),
    fcase("layer_norm_plain", "layer_norm", F64(3, 6), [6]),
    fcase("layer_norm_weight_eps", "layer_norm", F64(3, 6), (6,), weight=F64(6), eps=0.1),
    fcase("layer_norm_one_row", "layer_norm", F64(1, 4), (4,), weight=F64(4), bias=F64(4)),
    fcase("group_norm", "group_norm", F64(2, 6, 4), 3, weight=F64(6), bias=F64(6)),
    fcase("group_norm_2d", "group_norm", F64(2, 4, 3, 3), 2, weight=F64(4), bias=F64(4)),
    fcase("group_norm_one_group", "group_norm", F64(3, 4), 1, weight=F64(4)),
    fcase("group_norm_per_channel", "group_norm", F64(1, 4, 5), 4, eps=0.01),
    fcase("batch_norm_eval", "batch_norm", F64(4, 3, 2), F64(3), VAR, weight=F64(3),
          bias=F64(3)),
    fcase("batch_norm_eval_eps", "batch_norm", F64(5, 3), F64(3), VAR, eps=0.3),
    fcase("batch_norm_batch_stats", "batch_norm", F64(5, 3), None, None, weight=F64(3),
          bias=F64(3), training=True),
    fcase("batch_norm_train_updates", "batch_norm", F64(4, 3, 2), F64(3), VAR, weight=F64(3),
          bias=F64(3), training=True, momentum=0.2, mutated=(1, 2)),
    fcase("batch_norm_train_2d", "batch_norm", F64(2, 3, 2, 2), F64(3), VAR, training=True,
          mutated=(1, 2)),
    fcase("embedding", "embedding", Ints(3, 4, high=7), F64(7, 5), grads=(1,)),
    fcase("embedding_padding", "embedding", Ints(3, 4, high=7), F64(7, 5), padding_idx=2,
          grads=(1,)),
    fcase("embedding_padding_negative", "embedding", Ints(6, high=4), F64(4, 2),
          padding_idx=-1, grads=(1,)),
    fcase("embedding_freq", "embedding", Ints(10, high=3), F64(3, 2), scale_grad_by_freq=True,
          grads=(1,)),
    fcase("embedding_max_norm", "embedding", Ints(2, 3, high=6), F64(6, 4, low=-2, high=2),
          max_norm=1.5, grads=(1,), mutated=(1,)),
    fcase("embedding_max_norm_l1", "embedding", Ints(4, high=5), F64(5, 3, low=-2, high=2),
          max_norm=2.0, norm_type=1.0, grads=(1,), mutated=(1,)),
]

MODULES = [
    mcase("LayerNorm", "LayerNorm", 5, input=F64(4, 5)),
    mcase("LayerNorm_shape", "LayerNorm", (3, 4), eps=1e-3, input=F64(2, 3, 4)),
    mcase("LayerNorm_no_affine", "LayerNorm", 4, elementwise_affine=False, input=F64(3, 4)),
    mcase("LayerNorm_no_bias", "LayerNorm", 4, bias=False, input=F64(2, 5, 4)),
    mcase("BatchNorm1d", "BatchNorm1d", 3, input=F64(4, 3)),
    mcase("BatchNorm1d_3d_cumulative", "BatchNorm1d", 3, momentum=None, input=F64(5, 3, 4),
          steps=4),
    mcase("BatchNorm1d_no_affine", "BatchNorm1d", 3, affine=False, input=F64(4, 3)),
    mcase("BatchNorm1d_untracked", "BatchNorm1d", 3, track_running_stats=False,
          input=F64(4, 3, 2)),
    mcase("BatchNorm2d", "BatchNorm2d", 2, momentum=0.3, eps=1e-3, input=F64(3, 2, 4, 4)),
    mcase("BatchNorm2d_batch_of_one", "BatchNorm2d", 3, input=F64(1, 3, 2, 2)),
    mcase("GroupNorm", "GroupNorm", 2, 4, input=F64(3, 4, 5)),
    mcase("GroupNorm_2d", "GroupNorm", 3, 6, eps=1e-3, input=F64(2, 6, 2, 3)),
    mcase("GroupNorm_no_affine", "GroupNorm", 3, 6, affine=False, input=F64(2, 6)),
    mcase("Embedding", "Embedding", 7, 3, input=Ints(4, 5, high=7)),
    mcase("Embedding_padding", "Embedding", 6, 4, padding_idx=0, input=Ints(3, 4, high=6)),
    mcase("Embedding_max_norm", "Embedding", 6, 4, max_norm=1.0, input=Ints(5, high=6)),
    mcase("Embedding_freq", "Embedding", 4, 2, scale_grad_by_freq=True, input=Ints(9, high=4)),
]


def parameter_values(case_, names_and_shapes):
    """The same starting value for each parameter on both sides: weights near 1 for the
    normalisations (N(0, 1) for embeddings), biases near 0."""
    rng = rng_for(case_["id"], 500)
    values = {}
    for name, shape in sorted(names_and_shapes):
        noise = rng.normal(size=shape)
        if case_["module"] == "Embedding":
            values[name] = noise
        else:
            values[name] = (1.0 if name == "weight" else 0.0) + 0.3 * noise
    return values


def batches(case_):
    """steps training inputs, then one eval input."""
    rng = rng_for(case_["id"], 2000)
    return [case_["input"].build(rng) for _ in range(case_["steps"] + 1)]


LR = 0.1
