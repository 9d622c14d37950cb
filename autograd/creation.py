"""Tensor factories: tensor, zeros, ones, full, arange, randn, rand and the *_like forms.

Random tensors come from one module-level numpy Generator; manual_seed(s) resets it so a
whole run is reproducible.
"""

from __future__ import annotations

import numpy as np

from .tensor import Tensor, _check_can_require_grad

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the generator behind randn/rand (and nn's initialisers); returns it."""
    global _generator
    _generator = np.random.default_rng(seed)
    return _generator


def default_generator() -> np.random.Generator:
    return _generator


def _wrap(array, requires_grad, name=None):
    tensor = Tensor._make(array)
    if requires_grad:
        _check_can_require_grad(array)
        tensor.requires_grad = True
    tensor.name = name
    return tensor


def _shape(shape, where="zeros"):
    """The shape given as sizes or as one tuple; ValueError naming `where` for a negative
    size (numpy's message names no function)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    shape = tuple(shape)
    if any(isinstance(n, (int, np.integer)) and n < 0 for n in shape):
        raise ValueError(f"{where}: sizes must be >= 0, got shape {shape}")
    return shape


def tensor(data, requires_grad=False, dtype=None, name=None) -> Tensor:
    """Tensor(data, ...) — a copy of `data` (PyTorch's torch.tensor)."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, name=name)


def from_numpy(array: np.ndarray, requires_grad=False) -> Tensor:
    """A tensor that shares memory with `array` (no copy): changes show through, and are
    not checked by backward (see Tensor.data); copy with tensor() to be safe."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected an ndarray, got {type(array).__name__}")
    return _wrap(array, requires_grad)


def zeros(*shape, dtype=np.float64, requires_grad=False) -> Tensor:
    return _wrap(np.zeros(_shape(shape, "zeros"), dtype=dtype), requires_grad)


def ones(*shape, dtype=np.float64, requires_grad=False) -> Tensor:
    return _wrap(np.ones(_shape(shape, "ones"), dtype=dtype), requires_grad)


def full(shape, fill_value, dtype=np.float64, requires_grad=False) -> Tensor:
    shape = _shape((shape,), "full")
    return _wrap(np.full(shape, fill_value, dtype=dtype), requires_grad)


def arange(start, stop=None, step=1, dtype=np.float64, requires_grad=False) -> Tensor:
    """Values from start (default 0) up to but excluding stop, `step` apart (numpy's
    arange); arange(n) is 0, 1, ..., n − 1."""
    if stop is None:
        start, stop = 0, start
    for label, value in (("start", start), ("stop", stop), ("step", step)):
        if not np.isfinite(value):
            raise ValueError(f"arange: {label} must be a finite number, got {value}")
    if step == 0:
        raise ValueError("arange: step must be nonzero, got 0 (the values would never "
                         "reach stop)")
    return _wrap(np.arange(start, stop, step, dtype=dtype), requires_grad)


def randn(*shape, dtype=np.float64, requires_grad=False, generator=None) -> Tensor:
    """Standard normal samples."""
    rng = generator if generator is not None else _generator
    samples = rng.standard_normal(_shape(shape, "randn"))
    return _wrap(samples.astype(dtype, copy=False), requires_grad)


def rand(*shape, dtype=np.float64, requires_grad=False, generator=None) -> Tensor:
    """Uniform samples in [0, 1)."""
    rng = generator if generator is not None else _generator
    return _wrap(rng.random(_shape(shape, "rand")).astype(dtype, copy=False), requires_grad)


def zeros_like(x, dtype=None, requires_grad=False) -> Tensor:
    return _wrap(np.zeros_like(np.asarray(x), dtype=dtype), requires_grad)


def ones_like(x, dtype=None, requires_grad=False) -> Tensor:
    return _wrap(np.ones_like(np.asarray(x), dtype=dtype), requires_grad)


def full_like(x, fill_value, dtype=None, requires_grad=False) -> Tensor:
    return _wrap(np.full_like(np.asarray(x), fill_value, dtype=dtype), requires_grad)


def randn_like(x, dtype=None, requires_grad=False, generator=None) -> Tensor:
    array = np.asarray(x)
    return randn(*array.shape, dtype=dtype or array.dtype, requires_grad=requires_grad,
                 generator=generator)


# -- surface-shape (issue 15 item 4): numpy's factories, drawn from the seeded generator --


def eye(n, m=None, k=0, dtype=np.float64, requires_grad=False) -> Tensor:
    """Ones on diagonal k of an n × m matrix (m defaults to n), zeros elsewhere."""
    _shape((n, n if m is None else m), "eye")
    return _wrap(np.eye(n, m, k, dtype=dtype), requires_grad)


def linspace(start, stop, num=50, endpoint=True, dtype=np.float64,
             requires_grad=False) -> Tensor:
    """`num` evenly spaced values from start to stop (included unless endpoint=False)."""
    if num < 0:
        raise ValueError(f"linspace: num must be >= 0, got {num}")
    return _wrap(np.linspace(start, stop, num, endpoint=endpoint, dtype=dtype), requires_grad)


def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=np.float64,
             requires_grad=False) -> Tensor:
    """base ** linspace(start, stop, num) (numpy's logspace)."""
    if num < 0:
        raise ValueError(f"logspace: num must be >= 0, got {num}")
    return _wrap(np.logspace(start, stop, num, endpoint=endpoint, base=base, dtype=dtype),
                 requires_grad)


def empty(*shape, dtype=np.float64, requires_grad=False) -> Tensor:
    """A tensor of `shape` whose values are unspecified (zeros here: never stale memory)."""
    return _wrap(np.zeros(_shape(shape, "empty"), dtype=dtype), requires_grad)


def randint(low, high=None, size=(), dtype=np.int64, generator=None) -> Tensor:
    """Integers drawn uniformly from [low, high) (numpy's; randint(n) draws from [0, n))."""
    if high is None:
        low, high = 0, low
    if high <= low:
        raise ValueError(f"randint: high ({high}) must be greater than low ({low})")
    rng = generator if generator is not None else _generator
    size = _shape((size,) if isinstance(size, (tuple, list)) else (size,), "randint")
    return _wrap(rng.integers(low, high, size=size, dtype=dtype), False)


def normal(loc=0.0, scale=1.0, size=(), dtype=np.float64, requires_grad=False,
           generator=None) -> Tensor:
    """Normal samples with mean `loc` and standard deviation `scale` (numpy's normal)."""
    if np.any(np.asarray(scale) < 0):
        raise ValueError(f"normal: scale must be >= 0, got {scale}")
    rng = generator if generator is not None else _generator
    size = _shape((size,) if isinstance(size, (tuple, list)) else (size,), "normal")
    return _wrap(rng.normal(loc, scale, size).astype(dtype, copy=False), requires_grad)


def uniform(low=0.0, high=1.0, size=(), dtype=np.float64, requires_grad=False,
            generator=None) -> Tensor:
    """Samples uniform in [low, high) (numpy's uniform)."""
    rng = generator if generator is not None else _generator
    size = _shape((size,) if isinstance(size, (tuple, list)) else (size,), "uniform")
    return _wrap(rng.uniform(low, high, size).astype(dtype, copy=False), requires_grad)


def empty_like(x, dtype=None, requires_grad=False) -> Tensor:
    return zeros_like(x, dtype, requires_grad)


def rand_like(x, dtype=None, requires_grad=False, generator=None) -> Tensor:
    array = np.asarray(x)
    return rand(*array.shape, dtype=dtype or array.dtype, requires_grad=requires_grad,
                generator=generator)
