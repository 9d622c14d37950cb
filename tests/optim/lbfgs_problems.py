"""The three problems LBFGS is checked on against PyTorch, as numpy data and initial values.

Shared by make_lbfgs_reference.py (which computes each loss in torch) and test_lbfgs.py
(which computes it in tracegrad); only numpy and the bundled digits file are needed here.

- rosenbrock: f(x) = (1 − x₀)² + 100·(x₁ − x₀²)² from x = (−1.5, 2); minimum 0 at (1, 1).
- hyperbola: f(x) = Σ √(xᵢ² + 0.01) − 0.3·xᵢ from x = (−2, 1.5): nearly |x| far from 0,
  so long trial steps land near the ends of the line search's bracket.
- logistic: two-class logistic regression on the digits 3 and 8 (pixels / 16):
    L(w, b) = mean(log(1 + e^z) − y·z) + ½·λ·‖w‖²,  z = X·w + b,  λ = 0.01
  (the L2 term makes the optimum finite even if the classes separate).
- mlp: 64 → 4 (tanh) → 3 on the first 150 digits of classes 0, 1, 2, softmax
  cross-entropy; weights drawn from a seeded numpy generator.
"""

from __future__ import annotations

import pathlib

import numpy as np

DIGITS = pathlib.Path(__file__).resolve().parents[2] / "nn" / "datasets" / "digits.npz"

ROSENBROCK_START = (-1.5, 2.0)
L2 = 0.01
MLP_SIZES = (64, 4, 3)

# Each case: (problem, LBFGS keyword arguments); 20 calls of step(closure) each. Rosenbrock
# without a line search at lr=1 is chaotic (a 1e-16 change in x₀ moves step 4 by 1e-4),
# so those cases take shorter steps; every case here stays within 1e-13 of PyTorch.
CASES = {
    "rosenbrock": ("rosenbrock", {"lr": 0.3, "max_iter": 3}),
    "rosenbrock_strong_wolfe": ("rosenbrock", {"line_search_fn": "strong_wolfe"}),
    # t₀ = lr far too small (the search extrapolates) and far too large (it zooms in)
    "rosenbrock_strong_wolfe_short_start": ("rosenbrock", {"lr": 1e-3, "max_iter": 5,
                                                           "line_search_fn": "strong_wolfe"}),
    "logistic_strong_wolfe_long_start": ("logistic", {"lr": 100, "max_iter": 5,
                                                      "line_search_fn": "strong_wolfe"}),
    # max_eval = 1·5//4 = 1 leaves the search no trial after its first: stuck, as in torch
    "rosenbrock_strong_wolfe_max_iter_1": ("rosenbrock", {"max_iter": 1,
                                                          "line_search_fn": "strong_wolfe"}),
    "hyperbola_strong_wolfe_long_start": ("hyperbola", {"lr": 100, "max_iter": 5,
                                                        "line_search_fn": "strong_wolfe"}),
    "rosenbrock_short_history": ("rosenbrock", {"lr": 0.5, "max_iter": 2, "history_size": 2}),
    "logistic": ("logistic", {"max_iter": 5}),
    "logistic_strong_wolfe": ("logistic", {"max_iter": 5, "line_search_fn": "strong_wolfe"}),
    "mlp": ("mlp", {"lr": 0.5, "max_iter": 2, "history_size": 4}),
    "mlp_strong_wolfe": ("mlp", {"max_iter": 4, "history_size": 5,
                                 "line_search_fn": "strong_wolfe"}),
}
STEPS = 20


def rosenbrock_init() -> list[np.ndarray]:
    return [np.array(ROSENBROCK_START)]


def hyperbola_init() -> list[np.ndarray]:
    return [np.array([-2.0, 1.5])]


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """nn.datasets.load_digits, read directly: the recording venv needs numpy only."""
    with np.load(DIGITS) as archive:
        return archive["X"].astype(np.float64), archive["y"].astype(np.int64)


def logistic_data() -> tuple[np.ndarray, np.ndarray]:
    X, y = load_digits()
    keep = (y == 3) | (y == 8)
    return X[keep] / 16.0, (y[keep] == 8).astype(np.float64)


def logistic_init() -> list[np.ndarray]:
    return [np.zeros(64), np.zeros(1)]


def mlp_data() -> tuple[np.ndarray, np.ndarray]:
    X, y = load_digits()
    keep = np.flatnonzero(y < 3)[:150]
    return X[keep] / 16.0, y[keep]


def mlp_init() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    arrays = []
    for n_in, n_out in zip(MLP_SIZES[:-1], MLP_SIZES[1:], strict=True):
        bound = 1.0 / np.sqrt(n_in)
        arrays += [rng.uniform(-bound, bound, (n_out, n_in)), rng.uniform(-bound, bound, n_out)]
    return arrays


INIT = {"rosenbrock": rosenbrock_init, "hyperbola": hyperbola_init, "logistic": logistic_init,
        "mlp": mlp_init}
