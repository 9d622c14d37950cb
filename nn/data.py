"""Feeding data to a model: batches, feature scaling and a train/test split.

Everything here is plain numpy and needs no autograd: batches come out as ndarrays, ready
to be wrapped in a `Tensor` by the training loop.

Randomness: every function that shuffles takes `seed`, which may be None (fresh entropy),
an int, or a `numpy.random.Generator` (used as is, so its state advances). The same int
seed always gives the same result.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = ["DataLoader", "StandardScaler", "standardize", "train_test_split"]

# A column counts as constant when its standard deviation σ ≤ eps·|μ|. The statistics are
# computed in float64, where a truly constant column shows σ of about 3e-16·|μ| (rounding
# in the mean, measured up to 10⁶ rows), so 1e-12 catches it with a wide margin while any
# real variation, however small in absolute terms, is still divided out.
DEFAULT_EPS = 1e-12


def _generator(seed, where):
    """`seed` (None, int or Generator) as a `numpy.random.Generator`."""
    if isinstance(seed, bool):
        raise TypeError(f"{where}: seed must be None, an int or a numpy.random.Generator, "
                        f"got {seed!r}")
    try:
        return np.random.default_rng(seed)
    except (TypeError, ValueError) as e:
        raise type(e)(f"{where}: seed must be None, a non-negative int or a "
                      f"numpy.random.Generator, got {seed!r}") from e


def _as_array(data, where, name):
    """`data` as an ndarray with samples along axis 0; a Tensor contributes its `.data`."""
    if not isinstance(data, np.ndarray) and isinstance(getattr(data, "data", None), np.ndarray):
        data = data.data
    try:
        array = np.asarray(data)
    except ValueError as error:  # numpy's "inhomogeneous shape": rows of different lengths
        raise ValueError(f"{where}: {name} is a ragged list (its rows have different lengths "
                         f"or depths), not an array; pad or trim the rows to one length "
                         f"({error})") from None
    if array.dtype == object:
        raise TypeError(f"{where}: {name} has dtype object; pass numeric data "
                        f"(a list of equal-length rows or an ndarray)")
    if array.ndim == 0:
        raise ValueError(f"{where}: {name} must have at least one dimension (samples along "
                         f"axis 0), got a 0-d array")
    if len(array) == 0:
        raise ValueError(f"{where}: {name} is empty (shape {array.shape}); need at least one "
                         f"sample")
    return array


def _check_same_length(X, y, where):
    if y is not None and len(y) != len(X):
        raise ValueError(f"{where}: X has {len(X)} samples but y has {len(y)}; they must "
                         f"match along axis 0")


def _positive_int(value, where, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{where}: {name} must be a positive int, got {value!r} "
                        f"({type(value).__name__})")
    if value < 1:
        raise ValueError(f"{where}: {name} must be a positive int, got {value}")
    return int(value)


class DataLoader:
    """Iterate over `(X_batch, y_batch)` pairs, one epoch per `iter()`.

    The batch size picks the flavour of gradient descent: `batch_size=len(X)` is batch
    gradient descent (one update per epoch, on the gradient over every sample),
    `batch_size=1` is stochastic gradient descent (one update per sample), and anything
    between is mini-batch gradient descent (update on the mean gradient of `batch_size`
    samples). One epoch is one pass over the data: ⌈N / batch_size⌉ batches, every sample
    exactly once; the last batch is smaller when batch_size does not divide N, unless
    `drop_last=True` drops it (then ⌊N / batch_size⌋ batches). `batch_size > N` gives one
    batch with all N samples (with `drop_last=True` that would be an empty epoch, so it
    raises ValueError instead of silently training on nothing).

    With `shuffle=True` each call to `iter()` (each epoch) draws a fresh permutation from a
    generator made once from `seed`, so two loaders built with the same int seed produce
    the same sequence of epochs. With `shuffle=False` samples come in their stored order.

    `state_dict()` records where the loader is: the generator's state at the start of the
    epoch in progress and how many of its batches were taken (or, between epochs, the
    state the next epoch starts from). A loader given it by `load_state_dict()` goes on
    exactly there: the next `iter()` yields the rest of that epoch, then epochs as the
    original would have; it is plain numbers, so `nn.save` stores it in a checkpoint.

    X and y may be ndarrays, anything `np.asarray` accepts, or tracegrad Tensors (their
    `.data` is used). Batches are new numpy arrays (copies) of the stored data: X keeps its
    dtype (float32 stays float32) and integer labels stay integer. With `y=None` the loader
    yields `X_batch` alone.

        >>> loader = DataLoader(X, y, batch_size=32, shuffle=True, seed=0)
        >>> for X_batch, y_batch in loader:
        ...     ...
    """

    def __init__(self, X, y=None, batch_size=32, shuffle=False, seed=None, drop_last=False):
        where = "DataLoader"
        self.X = _as_array(X, where, "X")
        self.y = None if y is None else _as_array(y, where, "y")
        _check_same_length(self.X, self.y, where)
        self.batch_size = _positive_int(batch_size, where, "batch_size")
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        if self.drop_last and self.batch_size > len(self.X):
            raise ValueError(f"{where}: drop_last=True with batch_size={self.batch_size} > "
                             f"{len(self.X)} samples would yield no batch at all")
        self._rng = _generator(seed, where)
        self._epoch = None  # (generator state at the epoch's start, batches taken), mid-epoch
        self._resume = None

    def state_dict(self) -> dict:
        """{"generator": numpy bit-generator state, "position": batches taken from it}."""
        if self._resume is not None:  # loaded, not yet iterated
            state, position = self._rng.bit_generator.state, self._resume
        elif self._epoch is not None and self._epoch[1] < len(self):
            state, position = self._epoch
        else:
            state, position = self._rng.bit_generator.state, 0
        return {"generator": _copy_state(state), "position": position}

    def load_state_dict(self, state_dict) -> None:
        """Continue where the loader that made `state_dict` was (see the class docstring)."""
        where = "DataLoader.load_state_dict"
        if not isinstance(state_dict, dict) or set(state_dict) != {"generator", "position"}:
            raise TypeError(f"{where}: expected the dict DataLoader.state_dict() returns, with "
                            f"keys 'generator' and 'position', got {state_dict!r:.80}")
        position = state_dict["position"]
        if isinstance(position, bool) or not isinstance(position, numbers.Integral) or not (
                0 <= position < max(len(self), 1)):
            raise ValueError(f"{where}: position must be an int in [0, {len(self)}), got "
                             f"{position!r}")
        probe = np.random.default_rng()
        try:
            probe.bit_generator.state = state_dict["generator"]
        except (TypeError, ValueError, KeyError) as error:
            raise ValueError(f"{where}: 'generator' is not the state of a "
                             f"{type(self._rng.bit_generator).__name__}: {error}") from None
        self._rng.bit_generator.state = state_dict["generator"]
        self._resume = int(position)
        self._epoch = None

    def __len__(self):
        """Number of batches per epoch."""
        n, b = len(self.X), self.batch_size
        return n // b if self.drop_last else math.ceil(n / b)

    def __iter__(self):
        # Draw the permutation now, not at the first next(): each iter() is one epoch.
        n = len(self.X)
        start_state = self._rng.bit_generator.state
        order = self._rng.permutation(n) if self.shuffle else np.arange(n)
        skip, self._resume = self._resume or 0, None
        self._epoch = (start_state, skip)
        return self._batches(order, skip)

    def _batches(self, order, skip):
        epoch = self._epoch
        for start in range(skip * self.batch_size, len(self) * self.batch_size, self.batch_size):
            if self._epoch is epoch:
                self._epoch = epoch = (epoch[0], start // self.batch_size + 1)
            index = order[start:start + self.batch_size]
            if self.y is None:
                yield self.X[index]
            else:
                yield self.X[index], self.y[index]

    def __repr__(self):
        return (f"DataLoader(samples={len(self.X)}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last}, batches={len(self)})")


def _copy_state(state):
    return {k: _copy_state(v) if isinstance(v, dict) else v for k, v in state.items()}


def _float_array(X, where):
    """X as a floating array: float inputs keep their dtype, anything else becomes float64."""
    X = _as_array(X, where, "X")
    if not np.issubdtype(X.dtype, np.floating):
        if not (np.issubdtype(X.dtype, np.integer) or X.dtype == bool):
            raise TypeError(f"{where}: X must be numeric, got dtype {X.dtype}")
        X = X.astype(np.float64)
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{where}: X contains NaN or inf; clean or impute it first")
    return X


def _mean_and_scale(X, axis, eps, where):
    """Mean μ and scale σ (population std, ddof=0) along `axis`, in float64, keepdims.

    A constant column (σ ≤ eps·|μ|) gets scale 1, so it maps to 0 rather than to 0/0.
    """
    try:
        mean = X.mean(axis=axis, dtype=np.float64, keepdims=True)
    except ValueError as e:  # numpy's AxisError is a ValueError
        raise ValueError(f"{where}: {e}") from e
    std = X.std(axis=axis, dtype=np.float64, keepdims=True)
    scale = np.where(std <= eps * np.abs(mean), 1.0, std)
    return mean, std, scale


def standardize(X, axis=0, eps=DEFAULT_EPS):
    """Rescale X to zero mean and unit variance along `axis` (per column, by default).

        z = (x − μ) / σ,   μ = mean(x),   σ = sqrt(mean((x − μ)²))   (ddof=0, as numpy)

    A column with σ ≤ eps·|μ| is constant (up to rounding): it gets σ = 1 and comes out as
    all zeros instead of 0/0. `axis` may be an int, a tuple or None (the whole array).
    Float inputs keep their dtype; integer and bool inputs give float64. For statistics
    that must be reused on test data, use `StandardScaler`.
    """
    X = _float_array(X, "standardize")
    mean, _, scale = _mean_and_scale(X, axis, eps, "standardize")
    return ((X - mean) / scale).astype(X.dtype, copy=False)


class StandardScaler:
    """Learn per-feature mean and scale on training data, then apply them to any data.

        transform:          z = (x − mean_) / scale_
        inverse_transform:  x = z · scale_ + mean_

    Statistics are taken over axis 0 (samples), so `mean_` and `scale_` have shape
    `X.shape[1:]`: one entry per feature for a (samples, features) matrix, per pixel for a
    stack of images. `scale_` is the population standard deviation (ddof=0), except that a
    constant feature (σ ≤ eps·|μ|) gets scale 1, as scikit-learn does, so it never divides
    by zero. `var_` keeps the raw variance. Fit on the training split only, so no
    information from the test split leaks into training.
    """

    def __init__(self, eps=DEFAULT_EPS):
        self.eps = eps
        self.mean_ = self.scale_ = self.var_ = None

    def fit(self, X):
        """Compute `mean_`, `var_` and `scale_` from X (samples along axis 0). Returns self."""
        X = _float_array(X, "StandardScaler.fit")
        mean, std, scale = _mean_and_scale(X, 0, self.eps, "StandardScaler.fit")
        self.mean_, self.var_, self.scale_ = (a.squeeze(axis=0) for a in (mean, std**2, scale))
        self.n_samples_seen_ = len(X)
        return self

    def transform(self, X):
        """(X − mean_) / scale_, in X's float dtype."""
        X = self._checked(X, "transform")
        return ((X - self.mean_) / self.scale_).astype(X.dtype, copy=False)

    def fit_transform(self, X):
        """`fit(X)` then `transform(X)`."""
        return self.fit(X).transform(X)

    def inverse_transform(self, Z):
        """Z · scale_ + mean_: undo `transform`."""
        Z = self._checked(Z, "inverse_transform")
        return (Z * self.scale_ + self.mean_).astype(Z.dtype, copy=False)

    def _checked(self, X, method):
        where = f"StandardScaler.{method}"
        if self.mean_ is None:
            raise RuntimeError(f"{where}: this StandardScaler is not fitted yet; call fit(X) "
                               f"(or fit_transform) on the training data first")
        X = _float_array(X, where)
        if X.shape[1:] != self.mean_.shape:
            fitted = str(("n",) + self.mean_.shape).replace("'", "")
            raise ValueError(f"{where}: X has shape {X.shape}, but the scaler was fitted on "
                             f"shape {fitted}; expected {(len(X),) + self.mean_.shape}")
        return X

    def __repr__(self):
        fitted = "unfitted" if self.mean_ is None else f"features={self.mean_.shape}"
        return f"StandardScaler({fitted})"


def _test_count(test_size, n, where):
    """Number of test samples: ⌈test_size·n⌉ for a fraction, or test_size itself for an int."""
    if isinstance(test_size, bool) or not isinstance(test_size, numbers.Real):
        raise TypeError(f"{where}: test_size must be a float in (0, 1) or an int, "
                        f"got {test_size!r}")
    if isinstance(test_size, numbers.Integral):
        n_test = int(test_size)
    elif 0.0 < test_size < 1.0:
        n_test = math.ceil(test_size * n)
    else:
        raise ValueError(f"{where}: a float test_size must lie in (0, 1), got {test_size}")
    if not 1 <= n_test <= n - 1:
        raise ValueError(f"{where}: test_size={test_size!r} gives {n_test} test samples out of "
                         f"{n}; both splits need at least one sample")
    return n_test


def _stratified_test_index(labels, n_test, rng):
    """Pick n_test indices so each class's share of the test set matches its share overall.

    Largest-remainder rounding: class c with n_c samples gets ⌊n_test·n_c/N⌋ test samples,
    and the leftover seats go to the classes with the largest fractional parts, so every
    class is within one sample of its exact proportional count.
    """
    classes, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    exact = n_test * counts / len(labels)
    seats = np.floor(exact).astype(int)
    leftover = n_test - seats.sum()
    seats[np.argsort(-(exact - seats), kind="stable")[:leftover]] += 1
    picked = [rng.permutation(np.flatnonzero(inverse == c))[:seats[c]]
              for c in range(len(classes))]
    return np.concatenate(picked)


def train_test_split(X, y=None, test_size=0.25, seed=0, stratify=None):
    """Shuffle and split into `X_train, X_test, y_train, y_test` (or `X_train, X_test`).

    `test_size` is a fraction in (0, 1), rounded up to whole samples (the default 0.25
    gives the usual 75/25 split), or an int count. `stratify` is an array of class labels,
    usually `y`: each class is then split in (nearly) the same proportion, to within one
    sample. `seed` defaults to 0, so the split is reproducible unless you ask otherwise.
    The returned arrays are copies, each shuffled.
    """
    where = "train_test_split"
    X = _as_array(X, where, "X")
    y = None if y is None else _as_array(y, where, "y")
    _check_same_length(X, y, where)
    n_test = _test_count(test_size, len(X), where)
    rng = _generator(seed, where)
    if stratify is None:
        test = rng.permutation(len(X))[:n_test]
    else:
        labels = _as_array(stratify, where, "stratify")
        if labels.shape != (len(X),):
            raise ValueError(f"{where}: stratify must be one label per sample, shape "
                             f"({len(X)},), got {labels.shape}")
        test = rng.permutation(_stratified_test_index(labels, n_test, rng))
    is_test = np.zeros(len(X), dtype=bool)
    is_test[test] = True
    train = rng.permutation(np.flatnonzero(~is_test))
    if y is None:
        return X[train], X[test]
    return X[train], X[test], y[train], y[test]
