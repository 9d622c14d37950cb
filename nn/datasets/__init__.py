"""Small data sets that need no download: three generators and one real image set.

- `make_moons`: two interleaving half circles, the smallest problem a linear model fails.
- `make_spirals`: K interleaved spiral arms, harder still for a linear model.
- `make_regression`: a noisy linear relation with known coefficients.
- `load_digits`: 1,797 real handwritten digits, 8×8 pixels with values 0..16.

Each generator takes `seed` (None, an int or a `numpy.random.Generator`); the same int seed
gives bit-identical data. Samples come shuffled, so an unshuffled DataLoader still sees
mixed classes.

The digits are the test partition of the UCI "Optical Recognition of Handwritten Digits"
data set by E. Alpaydin and C. Kaynak (1998), https://doi.org/10.24432/C50P49, which UCI
distributes under the Creative Commons Attribution 4.0 licence (CC BY 4.0). tracegrad's
`digits.npz` was converted once from the copy bundled with scikit-learn 1.9.1
(BSD-3-Clause) as uint8 arrays; scikit-learn is not a dependency.
"""

from __future__ import annotations

import numbers
from importlib import resources

import numpy as np

from ..data import _generator, _positive_int

__all__ = ["load_digits", "make_moons", "make_regression", "make_spirals"]


def _noise_level(noise, where):
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real):
        raise TypeError(f"{where}: noise must be a number, got {noise!r}")
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"{where}: noise must be a finite number >= 0, got {noise!r}")
    return float(noise)


def make_moons(n_samples=100, noise=0.1, seed=None):
    """Two interleaving half circles in the plane, labelled 0 and 1.

        class 0 (upper moon):  (cos t, sin t),              t ∈ [0, π]
        class 1 (lower moon):  (1 − cos t, 0.5 − sin t),    t ∈ [0, π]

    plus Gaussian noise of standard deviation `noise` on both coordinates. Angles are
    evenly spaced; class 0 gets ⌊n/2⌋ samples and class 1 the rest. No straight line
    separates the classes, but a small MLP does.

    Returns X, float64 of shape (n_samples, 2), and y, int64 of shape (n_samples,).
    """
    where = "make_moons"
    n = _positive_int(n_samples, where, "n_samples")
    if n < 2:
        raise ValueError(f"{where}: n_samples must be at least 2 (one per moon), got {n}")
    noise = _noise_level(noise, where)
    rng = _generator(seed, where)
    n_upper = n // 2
    t_upper = np.linspace(0.0, np.pi, n_upper)
    t_lower = np.linspace(0.0, np.pi, n - n_upper)
    upper = np.column_stack([np.cos(t_upper), np.sin(t_upper)])
    lower = np.column_stack([1.0 - np.cos(t_lower), 0.5 - np.sin(t_lower)])
    X = np.concatenate([upper, lower]) + noise * rng.standard_normal((n, 2))
    y = np.repeat(np.array([0, 1], dtype=np.int64), [n_upper, n - n_upper])
    order = rng.permutation(n)
    return X[order], y[order]


def make_spirals(n_samples=300, n_classes=3, noise=0.2, seed=None):
    """`n_classes` spiral arms winding out from the origin, one class per arm.

        arm k, radius r ∈ [0.05, 1]:  (r cos θ, r sin θ),   θ = 2πk/K + 3π·r + ε

    so each arm turns 1.5 times around the origin as r grows; ε is Gaussian angle noise of
    standard deviation `noise` radians (points near the centre move less). Radii are
    evenly spaced; the samples are shared out as evenly as possible (the first
    n_samples mod K classes get one more).

    Returns X, float64 of shape (n_samples, 2), and y, int64 of shape (n_samples,) with
    labels 0..n_classes−1.
    """
    where = "make_spirals"
    n = _positive_int(n_samples, where, "n_samples")
    k = _positive_int(n_classes, where, "n_classes")
    if k < 2 or n < k:
        raise ValueError(f"{where}: need n_classes >= 2 and n_samples >= n_classes, got "
                         f"n_classes={k}, n_samples={n}")
    noise = _noise_level(noise, where)
    rng = _generator(seed, where)
    counts = np.full(k, n // k) + (np.arange(k) < n % k)
    y = np.repeat(np.arange(k, dtype=np.int64), counts)
    r = np.concatenate([np.linspace(0.05, 1.0, c) for c in counts])
    theta = 2 * np.pi * y / k + 3 * np.pi * r + noise * rng.standard_normal(n)
    X = np.column_stack([r * np.cos(theta), r * np.sin(theta)])
    order = rng.permutation(n)
    return X[order], y[order]


def make_regression(n_samples=100, n_features=1, noise=0.1, seed=None, coef=None, bias=0.0):
    """A noisy linear relation with known answer, for testing a regression model.

        X ~ N(0, 1) elementwise, shape (n_samples, n_features)
        y = X @ coef + bias + noise · ε,   ε ~ N(0, 1)

    `coef` (shape (n_features,)) defaults to draws from uniform(−3, 3). Returns
    `(X, y, coef)`: X float64 (n_samples, n_features), y float64 (n_samples,), and the true
    coefficients, so a fitted weight can be compared with what generated the data.
    """
    where = "make_regression"
    n = _positive_int(n_samples, where, "n_samples")
    d = _positive_int(n_features, where, "n_features")
    noise = _noise_level(noise, where)
    rng = _generator(seed, where)
    if coef is None:
        coef = rng.uniform(-3.0, 3.0, size=d)
    else:
        coef = np.array(coef, dtype=np.float64)
        if coef.shape != (d,):
            raise ValueError(f"{where}: coef must have shape ({d},) for n_features={d}, "
                             f"got {coef.shape}")
    X = rng.standard_normal((n, d))
    y = X @ coef + float(bias) + noise * rng.standard_normal(n)
    return X, y, coef


def load_digits():
    """The UCI handwritten digits: 1,797 images of 8×8 pixels, labels 0..9.

    Each row of X is one image read row by row (`X[i].reshape(8, 8)` draws it); a pixel is
    the count of ink pixels in a 4×4 block of the original 32×32 bitmap, so it is an
    integer from 0 to 16. Classes are nearly balanced (174 to 183 images each). The
    writers of these images are disjoint from those of UCI's training partition.

    Returns X, float64 of shape (1797, 64), and y, int64 of shape (1797,); fresh arrays on
    every call. Source and licence: see this module's docstring (CC BY 4.0; cite
    Alpaydin and Kaynak, 1998).
    """
    with resources.files(__name__).joinpath("digits.npz").open("rb") as f:
        with np.load(f, allow_pickle=False) as archive:
            X, y = archive["X"], archive["y"]
    return X.astype(np.float64), y.astype(np.int64)
