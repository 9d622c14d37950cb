"""The shape and indexing functions tracegrad shares with PyTorch, as pairs of calls on the
same input: tracegrad's (numpy's names) and torch's. make_shape_reference.py records
torch's values and gradients to shape_reference.json; test_surface_shape.py checks
tracegrad against that file, and against live torch when it is installed."""

import numpy as np

from autograd import functional as F

IDX = np.array([[2, 0], [1, 1], [3, 2]])  # for a (3, 4) input, along the last axis
MASK = np.array([[True, False, False, True], [False, True, False, False],
                 [False, False, True, True]])

# name: (input shape, ours(x), theirs(torch, x))
CASES = {
    "flatten": ((2, 3, 4), lambda x: F.flatten(x, 1, 2), lambda t, x: t.flatten(x, 1, 2)),
    "unflatten": ((3, 4), lambda x: F.unflatten(x, 1, (2, 2)),
                  lambda t, x: t.unflatten(x, 1, (2, 2))),
    "flip": ((3, 4), lambda x: F.flip(x, -1), lambda t, x: t.flip(x, [-1])),
    "roll": ((3, 4), lambda x: F.roll(x, (1, -2), (0, 1)),
             lambda t, x: t.roll(x, (1, -2), (0, 1))),
    "tril": ((3, 4), lambda x: F.tril(x, -1), lambda t, x: t.tril(x, -1)),
    "triu": ((2, 3, 4), lambda x: F.triu(x, 1), lambda t, x: t.triu(x, 1)),
    "diagonal": ((3, 4), lambda x: F.diagonal(x, 1), lambda t, x: t.diagonal(x, 1)),
    "diag": ((4,), lambda x: F.diag(x, -1), lambda t, x: t.diag(x, -1)),
    "trace": ((3, 4), lambda x: F.trace(x), lambda t, x: t.trace(x)),
    "repeat": ((3, 4), lambda x: F.repeat(x, 2, -1),
               lambda t, x: t.repeat_interleave(x, 2, dim=-1)),
    "tile": ((3, 4), lambda x: F.tile(x, (2, 1, 3)), lambda t, x: t.tile(x, (2, 1, 3))),
    "pad_constant": ((3, 4), lambda x: F.pad(x, ((0, 0), (1, 2)), constant_values=0.5),
                     lambda t, x: t.nn.functional.pad(x, (1, 2), value=0.5)),
    "pad_reflect": ((2, 3, 4), lambda x: F.pad(x, ((0, 0), (0, 0), (2, 1)), "reflect"),
                    lambda t, x: t.nn.functional.pad(x, (2, 1), mode="reflect")),
    "pad_edge": ((2, 3, 4), lambda x: F.pad(x, ((0, 0), (0, 0), (1, 3)), "edge"),
                 lambda t, x: t.nn.functional.pad(x, (1, 3), mode="replicate")),
    "take_along_axis": ((3, 4), lambda x: F.take_along_axis(x, IDX, -1),
                        lambda t, x: t.gather(x, -1, t.tensor(IDX))),
    "put_along_axis": ((3, 4), lambda x: F.put_along_axis(x, IDX[:, :1], x[:, 1:2] * 2, 1),
                       lambda t, x: t.scatter(x, 1, t.tensor(IDX[:, :1]), x[:, 1:2] * 2)),
    "add_at": ((3, 4), lambda x: F.add_at(x, [0, 2, 0], x[1:2] * x),
               lambda t, x: x.index_add(0, t.tensor([0, 2, 0]), x[1:2] * x)),
    "masked_fill": ((3, 4), lambda x: F.masked_fill(x, MASK, -1.0),
                    lambda t, x: x.masked_fill(t.tensor(MASK), -1.0)),
    "sort": ((3, 4), lambda x: F.sort(x, 0), lambda t, x: t.sort(x, stable=True, dim=0).values),
    "sort_descending": ((3, 4), lambda x: F.sort(x, -1, descending=True),
                        lambda t, x: t.sort(x, stable=True, dim=-1, descending=True).values),
    "topk": ((3, 4), lambda x: F.topk(x, 2)[0], lambda t, x: t.topk(x, 2).values),
    "topk_smallest": ((3, 4), lambda x: F.topk(x, 3, 0, largest=False)[0],
                      lambda t, x: t.topk(x, 3, 0, largest=False).values),
    "meshgrid": ((4,), lambda x: F.meshgrid(x, x[:3] * 2)[0] * F.meshgrid(x, x[:3])[1],
                 lambda t, x: t.meshgrid(x, x[:3] * 2, indexing="xy")[0]
                 * t.meshgrid(x, x[:3], indexing="xy")[1]),
    "einsum_batch": ((2, 3, 4), lambda x: F.einsum("bij,bkj->bik", x, x),
                     lambda t, x: t.einsum("bij,bkj->bik", x, x)),
    "einsum_ellipsis": ((2, 3, 4), lambda x: F.einsum("...ij,j", x, x[0, 0]),
                        lambda t, x: t.einsum("...ij,j", x, x[0, 0])),
    "einsum_trace": ((2, 3, 3), lambda x: F.einsum("bii", x), lambda t, x: t.einsum("bii", x)),
    "tensordot": ((2, 3, 4), lambda x: F.tensordot(x, x, ([1, 2], [1, 2])),
                  lambda t, x: t.tensordot(x, x, ([1, 2], [1, 2]))),
    "outer": ((4,), lambda x: F.outer(x, x * 2), lambda t, x: t.outer(x, x * 2)),
    "kron": ((2, 3), lambda x: F.kron(x, x[:, :2]), lambda t, x: t.kron(x, x[:, :2])),
    "dot": ((3, 4), lambda x: F.dot(x, x.T), lambda t, x: x @ x.T),
    "diff": ((4, 3), lambda x: F.diff(x, 2, 0), lambda t, x: t.diff(x, n=2, dim=0)),
    "split": ((3, 4), lambda x: F.split(x, [1], 1)[1] * 2,
              lambda t, x: t.split(x, [1, 3], 1)[1] * 2),
    "hstack": ((3, 4), lambda x: F.hstack([x, x * 2]), lambda t, x: t.hstack([x, x * 2])),
    "vstack": ((3, 4), lambda x: F.vstack([x, x * 2]), lambda t, x: t.vstack([x, x * 2])),
    "dstack": ((3, 4), lambda x: F.dstack([x, x * 2]), lambda t, x: t.dstack([x, x * 2])),
    "column_stack": ((3,), lambda x: F.column_stack([x, x * 2]),
                     lambda t, x: t.column_stack([x, x * 2])),
    "deg2rad": ((3,), F.deg2rad, lambda t, x: t.deg2rad(x)),
    "rad2deg": ((3,), F.rad2deg, lambda t, x: t.rad2deg(x)),
}


def inputs(name):
    """The case's input and upstream gradient (seeded: the same for both libraries)."""
    shape, _, _ = CASES[name]
    rng = np.random.default_rng(sorted(CASES).index(name))
    return rng.normal(size=shape)


def upstream(shape, name):
    rng = np.random.default_rng(1000 + sorted(CASES).index(name))
    return rng.normal(size=shape)
