"""The cases conv_reference.json records (make_conv_reference.py, torch) and
test_conv_torch.py checks (tracegrad): functional calls, modules with weights copied
across, and a LeNet-style CNN trained 5 steps. Arrays come from seeded generators, so
both sides build the same float64 inputs without storing them.

Each side supplies `lib`, a small namespace (tensor, functional, module classes, SGD,
cross_entropy) so one runner serves tracegrad and PyTorch alike.
"""

from __future__ import annotations

import numpy as np

X4 = (2, 4, 5, 4)  # (N, C, H, W)

FUNCTIONAL = [
    ("conv2d", [X4, (6, 4, 3, 2), (6,)], {}),
    ("conv2d", [X4, (6, 4, 3, 3), (6,)], {"stride": 2, "padding": 1}),
    ("conv2d", [X4, (6, 4, 3, 2)], {"padding": "same", "dilation": (2, 1)}),
    ("conv2d", [X4, (6, 4, 2, 2)], {"padding": "same"}),
    ("conv2d", [X4, (6, 4, 3, 3), (6,)], {"padding": "valid", "dilation": (2, 1)}),
    ("conv2d", [X4, (6, 2, 3, 3), (6,)], {"groups": 2, "stride": (2, 1), "padding": (1, 2)}),
    ("conv2d", [X4, (4, 1, 3, 3)], {"groups": 4, "padding": 1}),
    ("conv2d", [(4, 7, 6), (3, 4, 2, 2), (3,)], {"stride": 3}),  # unbatched
    ("conv1d", [(2, 3, 9), (4, 3, 3), (4,)], {}),
    ("conv1d", [(2, 3, 9), (4, 3, 3)], {"stride": 2, "padding": 2, "dilation": 2}),
    ("conv1d", [(2, 4, 9), (4, 2, 4), (4,)], {"padding": "same", "groups": 2}),
    ("conv_transpose2d", [X4, (4, 3, 3, 2), (3,)], {}),
    ("conv_transpose2d", [X4, (4, 3, 3, 3)], {"stride": 2, "padding": 1,
                                              "output_padding": 1}),
    ("conv_transpose2d", [X4, (4, 2, 3, 2), (4,)], {"groups": 2, "stride": (2, 3),
                                                    "dilation": (1, 2), "padding": (1, 0)}),
    ("conv_transpose2d", [X4, (4, 3, 2, 2)], {"stride": 2, "dilation": 3,
                                              "output_padding": (2, 1)}),
    ("max_pool2d", [X4], {"kernel_size": 2}),
    ("max_pool2d", [X4], {"kernel_size": 3, "stride": 2, "padding": 1}),
    ("max_pool2d", [X4], {"kernel_size": 3, "stride": 2, "ceil_mode": True}),
    ("max_pool2d", [X4], {"kernel_size": (2, 3), "dilation": 2, "padding": 1}),
    ("max_pool2d", ["ties"], {"kernel_size": 2, "stride": 1}),
    ("max_pool1d", [(2, 3, 9)], {"kernel_size": 3, "stride": 2, "padding": 1,
                                 "ceil_mode": True}),
    ("max_pool1d", [(2, 3, 9)], {"kernel_size": 2, "dilation": 3}),
    ("avg_pool2d", [X4], {"kernel_size": 2}),
    ("avg_pool2d", [X4], {"kernel_size": 3, "stride": 2, "padding": 1}),
    ("avg_pool2d", [X4], {"kernel_size": 3, "stride": 2, "padding": 1,
                          "count_include_pad": False}),
    ("avg_pool2d", [X4], {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}),
    ("avg_pool2d", [X4], {"kernel_size": (3, 2), "stride": 2, "padding": 1,
                          "ceil_mode": True, "count_include_pad": False}),
    ("avg_pool2d", [X4], {"kernel_size": 2, "divisor_override": 3}),
    ("adaptive_avg_pool2d", [X4], {"output_size": 1}),
    ("adaptive_avg_pool2d", [X4], {"output_size": (4, 5)}),
    ("adaptive_avg_pool2d", [X4], {"output_size": (None, 4)}),
    ("adaptive_avg_pool2d", [X4], {"output_size": (7, 9)}),
    ("interpolate", [X4], {"size": (7, 3)}),
    ("interpolate", [X4], {"scale_factor": 1.5}),
    ("interpolate", [X4], {"scale_factor": 2}),
    ("interpolate", [X4], {"size": (5, 4), "mode": "nearest-exact"}),
    ("interpolate", [X4], {"size": (3, 4), "mode": "bilinear"}),
    ("interpolate", [X4], {"size": (7, 6), "mode": "bilinear", "align_corners": True}),
    ("interpolate", [X4], {"scale_factor": 1.7, "mode": "bilinear"}),
    ("interpolate", [X4], {"scale_factor": (0.6, 2.3), "mode": "bilinear",
                           "recompute_scale_factor": True}),
    ("interpolate", [X4], {"size": (3, 4), "mode": "area"}),
    ("interpolate", [(2, 3, 9)], {"scale_factor": 2.5, "mode": "linear"}),
    ("conv_transpose1d", [(2, 4, 6), (4, 3, 3), (3,)], {"stride": 2, "padding": 1,
                                                        "output_padding": 1}),
    ("conv_transpose1d", [(2, 4, 6), (4, 1, 2)], {"groups": 2, "dilation": 2}),
    ("avg_pool1d", [(2, 3, 9)], {"kernel_size": 3, "stride": 2, "padding": 1,
                                 "ceil_mode": True, "count_include_pad": False}),
    ("avg_pool1d", [(2, 3, 9)], {"kernel_size": 2}),
    ("adaptive_avg_pool1d", [(2, 3, 9)], {"output_size": 4}),
]

MODULES = [
    ("Conv1d", (3, 4, 3), {"stride": 2, "padding": 1}, (2, 3, 9)),
    ("Conv1d", (4, 6, 2), {"groups": 2, "padding": "same", "bias": False}, (2, 4, 8)),
    ("Conv2d", (1, 8, 3), {"padding": 1}, (2, 1, 8, 8)),
    ("Conv2d", (4, 6, (3, 2)), {"stride": (2, 1), "dilation": (1, 2), "groups": 2}, X4),
    ("Conv2d", (4, 3, 3), {"padding": 2, "padding_mode": "reflect"}, X4),
    ("Conv2d", (4, 3, 3), {"padding": (1, 2), "padding_mode": "replicate"}, X4),
    ("Conv2d", (4, 3, 3), {"padding": 1, "padding_mode": "circular", "bias": False}, X4),
    ("Conv2d", (4, 3, 4), {"padding": "same", "padding_mode": "reflect"}, X4),
    ("ConvTranspose2d", (4, 6, 3), {"stride": 2, "padding": 1, "output_padding": 1,
                                    "groups": 2}, X4),
    ("ConvTranspose2d", (4, 2, (2, 3)), {"dilation": 2, "bias": False}, X4),
    ("MaxPool1d", (3,), {"stride": 2, "padding": 1}, (2, 3, 9)),
    ("MaxPool2d", (2,), {}, X4),
    ("MaxPool2d", (3, 2, 1), {"dilation": 2, "ceil_mode": True}, X4),
    ("AvgPool2d", (3,), {"stride": 2, "padding": 1, "count_include_pad": False}, X4),
    ("AvgPool2d", (2,), {"ceil_mode": True}, X4),
    ("AdaptiveAvgPool2d", ((3, 2),), {}, X4),
    ("Flatten", (), {}, X4),
    ("Flatten", (0, 2), {}, X4),
    ("Unflatten", (1, (2, 2)), {}, X4),
    ("ConvTranspose1d", (4, 6, 3), {"stride": 2, "groups": 2}, (2, 4, 6)),
    ("AvgPool1d", (3,), {"stride": 2, "padding": 1}, (2, 3, 9)),
    ("AdaptiveAvgPool1d", (4,), {}, (2, 3, 9)),
]


def case_id(kind, index):
    return f"{kind}{index}"


def array(shape, seed):
    """The seeded float64 input of a case (or a tie-laden image for "ties")."""
    if shape == "ties":
        return np.array([[[[1.0, 3.0, 3.0], [3.0, 3.0, 0.0], [2.0, 3.0, 3.0]]]])
    return np.random.default_rng(seed).standard_normal(shape)


def cotangent(shape, seed):
    return np.random.default_rng(10_000 + seed).standard_normal(shape)


def run_functional(lib, index):
    """(output, [gradient of each input]) of a FUNCTIONAL case on `lib`."""
    fn, shapes, kwargs = FUNCTIONAL[index]
    inputs = [lib.tensor(array(shape, 100 * index + i)) for i, shape in enumerate(shapes)]
    out = getattr(lib.F, fn)(*inputs, **kwargs)
    grads = lib.grad((out * lib.tensor(cotangent(lib.shape(out), index), False)).sum(),
                     inputs)
    return lib.numpy(out), [lib.numpy(g) for g in grads]


def run_module(lib, index):
    """(output, {parameter name: gradient}, {name: shape}, extra_repr) of a MODULES case,
    every parameter set from the seeded generator (so weights agree across libraries)."""
    name, args, kwargs, shape = MODULES[index]
    module = getattr(lib.nn, name)(*args, **kwargs)
    params = dict(module.named_parameters())
    for i, key in enumerate(sorted(params)):
        lib.assign(params[key], array(lib.shape(params[key]), 500 + 10 * index + i))
    x = lib.tensor(array(shape, 900 + index))
    out = module(x)
    keys = sorted(params)
    grads = lib.grad((out * lib.tensor(cotangent(lib.shape(out), 50 + index), False)).sum(),
                     [x] + [params[k] for k in keys])
    state = {k: list(lib.shape(v)) for k, v in module.state_dict().items()}
    named = {"input": lib.numpy(grads[0])}
    named.update({k: lib.numpy(g) for k, g in zip(keys, grads[1:])})
    return lib.numpy(out), named, state, module.extra_repr()


# Second order: the gradient of Σ tanh(f(inputs))²·c, recorded with create_graph, then
# differentiated again along random directions v (a Hessian-vector product per input).
SECOND_ORDER = [
    ("conv2d", [X4, (6, 2, 3, 3), (6,)], {"groups": 2, "stride": 2, "padding": 1}),
    ("conv2d", [X4, (3, 4, 2, 3)], {"dilation": (2, 1), "padding": "same"}),
    ("conv1d", [(2, 3, 9), (4, 3, 3)], {"stride": 2, "padding": 1}),
    ("conv_transpose2d", [X4, (4, 3, 3, 3)], {"stride": 2, "padding": 1,
                                              "output_padding": 1}),
    ("max_pool2d", [X4], {"kernel_size": 3, "stride": 2, "padding": 1}),
    ("avg_pool2d", [X4], {"kernel_size": 3, "stride": 2, "padding": 1}),
    ("adaptive_avg_pool2d", [X4], {"output_size": (3, 2)}),
    ("interpolate", [X4], {"size": (7, 6), "mode": "bilinear"}),
]


def run_second_order(lib, index):
    """[d/d input_i of Σ_j ⟨∂L/∂input_j, v_j⟩] for a SECOND_ORDER case on `lib`."""
    fn, shapes, kwargs = SECOND_ORDER[index]
    inputs = [lib.tensor(array(shape, 300 + 100 * index + i)) for i, shape in enumerate(shapes)]
    out = getattr(lib.F, fn)(*inputs, **kwargs)
    c = lib.tensor(cotangent(lib.shape(out), 200 + index), False)
    loss = (out.tanh() ** 2 * c).sum()
    first = lib.grad(loss, inputs, create_graph=True)
    directions = [lib.tensor(cotangent(lib.shape(x), 400 + 10 * index + i), False)
                  for i, x in enumerate(inputs)]
    total = sum((g * v).sum() for g, v in zip(first, directions))
    return [lib.numpy(g) for g in lib.grad(total, inputs)]


LENET_BATCHES = 5
LENET_BATCH = 8
LENET_SIDE = 16  # 16×16 images: the flattened size 16·4·4 keeps the recording small


def lenet(lib):
    """conv 1→8 3×3 pad 1, ReLU, maxpool 2, conv 8→16 3×3 pad 1, ReLU, maxpool 2,
    flatten, linear → 10: issue 16's LeNet-style CNN, every weight seeded."""
    nn = lib.nn
    side = LENET_SIDE // 4
    model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(16 * side * side, 10))
    params = dict(model.named_parameters())
    for i, key in enumerate(sorted(params)):
        lib.assign(params[key], 0.3 * array(lib.shape(params[key]), 700 + i))
    return model


def train_lenet(lib):
    """Losses of 5 SGD steps (lr 0.05, momentum 0.9) of the LeNet-style CNN on seeded
    batches, the gradients of the first step and the parameters after the last."""
    model = lenet(lib)
    optimizer = lib.SGD(model.parameters(), lr=0.05, momentum=0.9)
    losses, first_grads = [], None
    for step in range(LENET_BATCHES):
        x = lib.tensor(array((LENET_BATCH, 1, LENET_SIDE, LENET_SIDE), 800 + step), False)
        y = np.random.default_rng(850 + step).integers(0, 10, LENET_BATCH)
        optimizer.zero_grad()
        loss = lib.F.cross_entropy(model(x), lib.labels(y))
        loss.backward()
        if first_grads is None:
            first_grads = {k: lib.numpy(p.grad) for k, p in model.named_parameters()}
        optimizer.step()
        losses.append(float(lib.numpy(loss)))
    final = {k: lib.numpy(p) for k, p in model.named_parameters()}
    return losses, first_grads, final
