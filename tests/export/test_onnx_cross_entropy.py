"""cross_entropy's ONNX form (issue 14: one operator with the reduction inside): every
reduction × ignore_index × class weight × label smoothing, in the (N, C), (N, C, d) and
unbatched layouts, runs on ONNX Runtime as in tracegrad, and the labels stay an input of
the model (other labels give other losses)."""

import itertools

import numpy as np
import onnx
import pytest

import autograd.export
import nn.functional as F
from autograd import Tensor

from .test_onnx_round_trip import TOLERANCE, run

LAYOUTS = {"nc": ((6, 4), (6,)), "ncd": ((3, 4, 2), (3, 2)), "c": ((4,), ())}
OPTIONS = list(itertools.product(["mean", "sum", "none"], [False, True], [False, True],
                                 [0.0, 0.2]))


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("reduction, ignore, weighted, smoothing", OPTIONS,
                         ids=["-".join(map(str, o)) for o in OPTIONS])
def test_cross_entropy_with_every_option_runs_on_onnxruntime(layout, reduction, ignore,
                                                            weighted, smoothing):
    shape, label_shape = LAYOUTS[layout]
    rng = np.random.default_rng(len(shape))
    options = {"reduction": reduction, "label_smoothing": smoothing}
    if ignore:
        options["ignore_index"] = 1
    if weighted:
        options["weight"] = np.array([0.5, 2.0, 1.0, 1.5])

    def loss(x, labels):
        return F.cross_entropy(x, labels, **options)

    x = rng.normal(size=shape)
    labels = np.array([0, 1, 3, 2, 1, 3][:int(np.prod(label_shape))]).reshape(label_shape)
    proto = autograd.export.onnx(loss, (Tensor(x, name="x"), Tensor(labels, name="labels")))
    onnx.checker.check_model(proto, full_check=True)
    assert [i.name for i in proto.graph.input] == ["x", "labels"]  # the labels stayed one
    for other in (labels, (labels + 1) % 4):
        expected = loss(Tensor(x), other).data
        (theirs,) = run(proto, x, np.asarray(other, dtype=np.int64))
        np.testing.assert_allclose(theirs, expected, **TOLERANCE[np.float64])
