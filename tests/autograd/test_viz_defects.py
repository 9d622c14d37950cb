"""Issue 12, items 12-16: the picture defects found by using viz as its users do."""

import shutil
import subprocess
import sys
import warnings

import numpy as np
import pytest

from autograd import Scalar, Tensor, viz

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")


def tensor_loss():
    rng = np.random.default_rng(0)
    x = Tensor(rng.normal(size=(4, 3)), name="x")
    w = Tensor(rng.normal(size=(3, 2)), requires_grad=True, name="w")
    b = Tensor(np.zeros(2), requires_grad=True, name="b")
    loss = ((x @ w + b).tanh() ** 2).mean()
    loss.name = "L"
    return loss


# 12.12 -------------------------------------------------------------------------------


@pytest.mark.filterwarnings("error")
def test_gradient_flow_emits_no_nonleaf_grad_warning():
    loss = tensor_loss()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        before = viz.gradient_flow(loss)
        loss.backward()
        after = viz.gradient_flow(loss)
        viz.gradient_table(loss)
        viz.gradient_flow(tensor_loss(), run_backward=True)
        viz.backward_steps(tensor_loss())[2]
    assert "no gradients yet" in before.source
    assert "intermediate gradients were not kept" in after.source
    assert after.source.count("grad not kept") == 5  # x@w, +b, tanh, **2 and L itself


def test_retains_grad_follows_pytorch():
    loss = tensor_loss()
    w = loss.grad_fn.inputs[0].grad_fn.inputs[0]  # the power's input, tanh(...)
    assert not w.retains_grad
    w.retain_grad()
    assert w.retains_grad
    leaf = Tensor([1.0], requires_grad=True)
    assert not leaf.retains_grad
