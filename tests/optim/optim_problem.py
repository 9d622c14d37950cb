"""The fixed problem every optim test runs on, and the recorded PyTorch numbers.

Two parameters, w of shape (5,) and M of shape (2, 3), and the loss

    L(p) = ½·Σ s·(p − c)² + ¼·Σ (p² − 1)²        ∂L/∂p = s·(p − c) + p·(p² − 1)

(a quadratic plus a double well: not convex, gradients of changing sign and size).
make_reference.py recorded PyTorch on the same problem with the same numpy gradient.
"""

from __future__ import annotations

import json
import pathlib

import numpy as np

from autograd import Tensor

REFERENCE = json.loads(pathlib.Path(__file__).with_name("reference_trajectories.json").read_text())
PROBLEM = REFERENCE["problem"]
STEPS = REFERENCE["steps"]


def gradient(i: int, p: np.ndarray) -> np.ndarray:
    """∂L/∂p for parameter i, in p's dtype."""
    scale = np.array(PROBLEM["scale"][i], dtype=p.dtype)
    center = np.array(PROBLEM["center"][i], dtype=p.dtype)
    return scale * (p - center) + p * (p * p - 1.0)


def initial_arrays(dtype=np.float64) -> list[np.ndarray]:
    return [np.array(x, dtype=dtype) for x in PROBLEM["init"]]


def make_params(dtype=np.float64) -> list[Tensor]:
    return [Tensor(x, requires_grad=True) for x in initial_arrays(dtype)]


def set_grads(params, step: int, none_every: int | None = None) -> None:
    """Assign p.grad = ∂L/∂p; with none_every=k, M's grad is None at steps k−1, 2k−1, …"""
    for i, p in enumerate(params):
        if none_every and i == 1 and step % none_every == none_every - 1:
            p.grad = None
        else:
            p.grad = Tensor(gradient(i, p.data))


def flat(params) -> np.ndarray:
    return np.concatenate([p.data.ravel() for p in params])


def run(optimizer, params, steps: int = STEPS, none_every=None, scheduler=None) -> np.ndarray:
    """Step `optimizer` `steps` times; return the flattened parameters after each step."""
    rows = []
    for step in range(steps):
        set_grads(params, step, none_every)
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        rows.append(flat(params))
    return np.array(rows)


def assert_close(actual, expected, rtol: float, atol: float = 0.0) -> None:
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)
