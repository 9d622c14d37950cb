"""The nn.functional calls compared with torch.nn.functional (issue 15 item 6): one list
shared by make_functional_reference.py (run once with torch) and test_functional_torch.py.

Every case calls F.<fn>(*args, **kwargs) with the same arguments on both sides — that is
what "PyTorch's signature" means. Arrays are built here from a fixed seed; `grads` names
the float inputs whose gradients are compared (positions in args, or kwarg names): all of
them, except where PyTorch itself has no derivative (nll_loss's weight, for instance).
The gradient compared is that of Σ out·v, v a fixed random cotangent of out's shape.
"""

import numpy as np


class F64:
    """A float64 array of `shape`, uniform in [low, high) (normal when low is None)."""

    def __init__(self, *shape, low=None, high=None):
        self.shape, self.low, self.high = shape, low, high

    def build(self, rng):
        if self.low is None:
            return rng.normal(size=self.shape)
        return rng.uniform(self.low, self.high, size=self.shape)


class Labels:
    """An int64 array of class labels in 0..classes−1 (some set to `ignore` when given)."""

    def __init__(self, *shape, classes, ignore=None):
        self.shape, self.classes, self.ignore = shape, classes, ignore

    def build(self, rng):
        labels = rng.integers(0, self.classes, size=self.shape)
        if self.ignore is not None:
            labels.reshape(-1)[::3] = self.ignore
        return labels


def case(id, fn, *args, grads=None, rtol=1e-9, **kwargs):  # noqa: A002 - the case's name
    if grads is None:
        grads = [i for i, a in enumerate(args) if isinstance(a, F64)]
    return {"id": id, "fn": fn, "args": args, "kwargs": kwargs, "grads": grads, "rtol": rtol}


X = F64(4, 5)
PROB = F64(4, 5, low=0.05, high=0.95)
POS = F64(4, 5, low=0.1, high=2.0)

CASES = [
    # the most used activations and losses first
    case("relu", "relu", X),
    case("gelu", "gelu", X),
    case("gelu_tanh", "gelu", X, approximate="tanh"),
    case("silu", "silu", X),
    case("leaky_relu", "leaky_relu", X, 0.2),
    case("softmax_dim1", "softmax", X, dim=1),
    case("softmax_dim0", "softmax", X, dim=0),
    case("log_softmax", "log_softmax", X, dim=-1),
    case("dropout_eval", "dropout", X, p=0.3, training=False),
    case("dropout_p0", "dropout", X, p=0.0),
    case("cross_entropy", "cross_entropy", X, Labels(4, classes=5)),
    case("cross_entropy_sum", "cross_entropy", X, Labels(4, classes=5), reduction="sum"),
    case("cross_entropy_none", "cross_entropy", X, Labels(4, classes=5), reduction="none"),
    case("cross_entropy_weight", "cross_entropy", X, Labels(4, classes=5),
         weight=F64(5, low=0.2, high=2.0)),
    case("cross_entropy_ignore", "cross_entropy", F64(6, 5), Labels(6, classes=5, ignore=-100)),
    case("cross_entropy_ignore_3", "cross_entropy", F64(6, 5), Labels(6, classes=5, ignore=3),
         ignore_index=3),
    case("cross_entropy_smoothing", "cross_entropy", X, Labels(4, classes=5),
         label_smoothing=0.2),
    case("cross_entropy_weight_smoothing_ignore", "cross_entropy", F64(6, 5),
         Labels(6, classes=5, ignore=-100), weight=F64(5, low=0.2, high=2.0),
         label_smoothing=0.1),
    case("cross_entropy_probabilities", "cross_entropy", X, PROB),
    case("cross_entropy_probabilities_weight_smoothing", "cross_entropy", X, PROB,
         weight=F64(5, low=0.2, high=2.0), label_smoothing=0.3, reduction="sum"),
    case("cross_entropy_nchw", "cross_entropy", F64(2, 3, 4, 2), Labels(2, 4, 2, classes=3)),
    case("cross_entropy_nchw_none", "cross_entropy", F64(2, 3, 4), Labels(2, 4, classes=3),
         reduction="none"),
    case("cross_entropy_unbatched", "cross_entropy", F64(5), Labels(classes=5)),
    case("nll_loss", "nll_loss", X, Labels(4, classes=5)),
    case("nll_loss_weight_ignore", "nll_loss", F64(6, 5), Labels(6, classes=5, ignore=-100),
         weight=F64(5, low=0.2, high=2.0)),
    case("nll_loss_nchw", "nll_loss", F64(2, 3, 4), Labels(2, 4, classes=3), reduction="sum"),
    case("mse_loss", "mse_loss", X, F64(4, 5)),
    case("mse_loss_none", "mse_loss", X, F64(4, 5), reduction="none"),
    case("mse_loss_weight", "mse_loss", X, F64(4, 5), weight=F64(4, 5, low=0.2, high=2.0),
         grads=[0, 1, "weight"]),
    case("l1_loss", "l1_loss", X, F64(4, 5)),
    case("l1_loss_weight", "l1_loss", X, F64(4, 5), weight=F64(4, 5, low=0.2, high=2.0),
         reduction="sum", grads=[0, 1, "weight"]),
    case("huber_loss_weight", "huber_loss", X, F64(4, 5), weight=F64(4, 5, low=0.2, high=2.0),
         grads=[0, 1, "weight"]),
    case("l1_loss_sum", "l1_loss", X, F64(4, 5), reduction="sum"),
    case("binary_cross_entropy", "binary_cross_entropy", PROB, PROB),
    case("binary_cross_entropy_weight", "binary_cross_entropy", PROB, PROB,
         weight=F64(5, low=0.2, high=2.0), reduction="sum"),
    case("binary_cross_entropy_with_logits", "binary_cross_entropy_with_logits", X, PROB),
    case("binary_cross_entropy_with_logits_weights", "binary_cross_entropy_with_logits", X,
         PROB, weight=F64(4, 5, low=0.2, high=2.0), pos_weight=F64(5, low=0.2, high=3.0)),
    case("binary_cross_entropy_with_logits_extreme", "binary_cross_entropy_with_logits",
         F64(4, 5, low=-300, high=300), PROB, pos_weight=F64(5, low=0.2, high=3.0),
         reduction="none"),
    case("smooth_l1_loss", "smooth_l1_loss", X, F64(4, 5)),
    case("smooth_l1_loss_beta", "smooth_l1_loss", X, F64(4, 5), beta=0.5, reduction="none"),
    case("huber_loss", "huber_loss", X, F64(4, 5)),
    case("huber_loss_delta", "huber_loss", X, F64(4, 5), delta=0.4, reduction="sum"),
    case("kl_div_batchmean", "kl_div", F64(4, 5, low=-3, high=-0.1), PROB,
         reduction="batchmean"),
    case("kl_div_sum", "kl_div", F64(4, 5, low=-3, high=-0.1), PROB, reduction="sum"),
    case("kl_div_log_target", "kl_div", F64(4, 5, low=-3, high=-0.1),
         F64(4, 5, low=-3, high=-0.1), reduction="none", log_target=True),
    # the rest of the activations
    case("relu6", "relu6", F64(4, 5, low=-3, high=9)),
    case("elu", "elu", X),
    case("elu_alpha", "elu", X, alpha=0.5),
    case("selu", "selu", X),
    # PyTorch's celu backward starts from the result (result + alpha), losing ~1e−8
    case("celu", "celu", X, alpha=0.7, rtol=1e-7),
    case("mish", "mish", X),
    case("softplus", "softplus", X),
    case("softplus_beta_threshold", "softplus", F64(4, 5, low=-8, high=8), beta=2.0,
         threshold=5.0),
    case("softsign", "softsign", X),
    case("hardtanh", "hardtanh", F64(4, 5, low=-3, high=3)),
    case("hardtanh_range", "hardtanh", F64(4, 5, low=-3, high=3), -0.5, 2.0),
    # PyTorch's hardsigmoid kernel rounds its 1/6 to float32 (relative error 3e−8)
    case("hardsigmoid", "hardsigmoid", F64(4, 5, low=-5, high=5), rtol=1e-7),
    case("hardswish", "hardswish", F64(4, 5, low=-5, high=5)),
    case("logsigmoid", "logsigmoid", F64(4, 5, low=-50, high=50)),
    case("sigmoid", "sigmoid", X),
    case("tanh", "tanh", X),
    case("softmin", "softmin", X, dim=1),
    case("normalize", "normalize", X),
    case("normalize_p1_dim0", "normalize", X, p=1.0, dim=0),
    case("cosine_similarity", "cosine_similarity", X, F64(4, 5)),
    case("cosine_similarity_dim0", "cosine_similarity", X, F64(4, 5), dim=0),
    case("pairwise_distance", "pairwise_distance", X, F64(4, 5)),
    case("pairwise_distance_p3", "pairwise_distance", X, F64(4, 5), p=3.0, keepdim=True),
    case("linear", "linear", F64(3, 4), F64(2, 4), F64(2)),
    case("pad_constant", "pad", F64(2, 3, 4), (1, 2, 0, 1), value=0.5),
    case("pad_reflect", "pad", F64(2, 3, 4), (2, 1), mode="reflect"),
    case("pad_replicate", "pad", F64(2, 3, 4), (2, 1, 1, 2), mode="replicate"),
    case("pad_circular", "pad", F64(2, 3, 4), (1, 2), mode="circular"),
]


def build(case_, seed=0):
    """(args, kwargs, cotangent seed) with every spec replaced by its array."""
    rng = np.random.default_rng(seed + sum(map(ord, case_["id"])))
    args = [a.build(rng) if isinstance(a, (F64, Labels)) else a for a in case_["args"]]
    kwargs = {k: v.build(rng) if isinstance(v, (F64, Labels)) else v
              for k, v in case_["kwargs"].items()}
    return args, kwargs


def cotangent(shape, case_id):
    return np.random.default_rng(sum(map(ord, case_id)) + 7).normal(size=shape)

# cross_entropy against labels is one operator with the reduction inside (issue 14): every
# reduction × ignore_index (a class, labelling every third sample) × class weight × label
# smoothing, in the (N, C) and (N, C, d) layouts; nll_loss, whose "mean" is the same code,
# for every reduction × ignore_index × weight.
LAYOUTS = {"nc": ((6, 5), (6,)), "ncd": ((3, 5, 2), (3, 2))}
for _layout, (_x, _y) in LAYOUTS.items():
    for _reduction in ("mean", "sum", "none"):
        for _ignore in (False, True):
            for _weight in (False, True):
                for _smoothing in (0.0, 0.15):
                    _options = {"reduction": _reduction}
                    _options.update({"ignore_index": 2} if _ignore else {})
                    _options.update({"weight": F64(5, low=0.2, high=2.0)} if _weight else {})
                    _options.update({"label_smoothing": _smoothing} if _smoothing else {})
                    _id = "_".join(["ce", _layout, _reduction] + [name for name, on in (
                        ("ignore", _ignore), ("weight", _weight), ("smoothing", _smoothing))
                        if on])
                    CASES.append(case(_id, "cross_entropy", F64(*_x),
                                      Labels(*_y, classes=5, ignore=2 if _ignore else None),
                                      **_options))
                    if _layout == "nc" and not _smoothing:
                        CASES.append(case(_id.replace("ce_", "nll_"), "nll_loss",
                                          F64(*_x, low=-4, high=-0.1),
                                          Labels(*_y, classes=5, ignore=2 if _ignore else None),
                                          **_options))
