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


def _shape(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def tensor(data, requires_grad=False, dtype=None, name=None) -> Tensor:
    """Tensor(data, ...) — a copy of `data` (PyTorch's torch.tensor)."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, name=name)


def from_numpy(array: np.ndarray, requires_grad=False) -> Tensor:
    """A tensor that shares memory with `array` (no copy): changes show through."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected an ndarray, got {type(array).__name__}")
    return _wrap(array, requires_grad)


def zeros(*shape, dtype=np.float64, requires_grad=False) -> Tensor:
    return _wrap(np.zeros(_shape(shape), dtype=dtype), requires_grad)


def ones(*shape, dtype=np.float64, requires_grad=False) -> Tensor:
    return _wrap(np.ones(_shape(shape), dtype=dtype), requires_grad)


def full(shape, fill_value, dtype=np.float64, requires_grad=False) -> Tensor:
    return _wrap(np.full(shape, fill_value, dtype=dtype), requires_grad)


def arange(*args, dtype=np.float64, requires_grad=False) -> Tensor:
    return _wrap(np.arange(*args, dtype=dtype), requires_grad)


def randn(*shape, dtype=np.float64, requires_grad=False, generator=None) -> Tensor:
    """Standard normal samples."""
    rng = generator if generator is not None else _generator
    return _wrap(rng.standard_normal(_shape(shape)).astype(dtype, copy=False), requires_grad)


def rand(*shape, dtype=np.float64, requires_grad=False, generator=None) -> Tensor:
    """Uniform samples in [0, 1)."""
    rng = generator if generator is not None else _generator
    return _wrap(rng.random(_shape(shape)).astype(dtype, copy=False), requires_grad)


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
