"""Embedding: a lookup table of learned vectors, one row per token id (PyTorch's
nn.Embedding and F.embedding: names, arguments, initialisation, state-dict key, repr)."""

from __future__ import annotations

import numbers

import numpy as np

from autograd import Tensor, no_grad
from autograd.ops.sparse import Embedding as EmbeddingOp

from . import init
from .activations import as_tensor
from .module import Module, Parameter

__all__ = ["embedding", "Embedding"]


def _padding_index(padding_idx, num_embeddings, where):
    """padding_idx as a row number in 0..num_embeddings-1 (negative counts from the end),
    or None."""
    if padding_idx is None:
        return None
    if isinstance(padding_idx, bool) or not isinstance(padding_idx, (int, np.integer)) or \
            not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(f"{where}: padding_idx must be an int within num_embeddings "
                         f"(-{num_embeddings}..{num_embeddings - 1}), got {padding_idx!r}")
    return int(padding_idx) % num_embeddings


def _refuse_sparse(sparse, where):
    if sparse:
        raise ValueError(f"{where}: sparse=True is not supported (tracegrad's gradients are "
                         "dense arrays); drop the argument")


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """weight[input]: for integer indices of any shape, the rows of weight
    (num_embeddings, embedding_dim) they pick, shape input.shape + (embedding_dim,).

    padding_idx: that row gets no gradient. max_norm: the rows looked up whose norm_type
    norm exceeds it are first rescaled in place to norm max_norm (PyTorch's renorm).
    scale_grad_by_freq: each row's gradient divided by its index's count in input.
    """
    _refuse_sparse(sparse, "embedding")
    weight = as_tensor(weight)
    if weight.ndim != 2:
        raise ValueError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got "
                         f"shape {weight.shape}")
    indices = np.asarray(input.data if isinstance(input, Tensor) else input)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"embedding: input must hold integer indices, got dtype {indices.dtype};"
                        " convert with .astype(np.int64)")
    rows = weight.shape[0]
    if indices.size and (indices.min() < 0 or indices.max() >= rows):
        bad = indices.min() if indices.min() < 0 else indices.max()
        raise IndexError(f"embedding: index {bad} is out of range for a weight of shape "
                         f"{weight.shape}; indices must lie in 0..{rows - 1}")
    padding_idx = _padding_index(padding_idx, rows, "embedding")
    if max_norm is not None:
        _renorm_rows(weight, indices, max_norm, norm_type)
    return EmbeddingOp.apply(weight, indices=indices.astype(np.intp, copy=False),
                             padding_idx=padding_idx,
                             scale_grad_by_freq=bool(scale_grad_by_freq))


def _renorm_rows(weight, indices, max_norm, norm_type):
    """In place, outside the graph (PyTorch's embedding_renorm_): each looked-up row whose
    norm_type norm exceeds max_norm scaled by max_norm / (norm + 1e-7)."""
    if not isinstance(max_norm, numbers.Real) or not max_norm > 0:
        raise ValueError(f"embedding: max_norm must be a number > 0, got {max_norm!r}")
    rows = np.unique(indices)
    norms = np.linalg.norm(weight.data[rows], ord=norm_type, axis=1)
    scale = np.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
    with no_grad():
        weight[rows] = weight.data[rows] * scale[:, None].astype(weight.dtype)


class Embedding(Module):
    """A table of num_embeddings learned vectors of size embedding_dim: an integer input of
    any shape gives the vectors it indexes, shape input.shape + (embedding_dim,).

    weight (num_embeddings, embedding_dim) starts as N(0, 1) draws from `generator`
    (None: the default generator nn.manual_seed controls), with row padding_idx zeroed;
    that row never gets a gradient (padding tokens). max_norm, norm_type and
    scale_grad_by_freq are F.embedding's. Embedding.from_pretrained(weights) wraps given
    vectors, frozen by default.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx=None,
                 max_norm=None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                 sparse: bool = False, _weight=None, _freeze: bool = False,
                 dtype=np.float64, generator=None):
        super().__init__()
        for name, value in (("num_embeddings", num_embeddings),
                            ("embedding_dim", embedding_dim)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"Embedding: {name} must be a positive int, got {value!r}")
        _refuse_sparse(sparse, "Embedding")
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        self.padding_idx = _padding_index(padding_idx, self.num_embeddings, "Embedding")
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = bool(scale_grad_by_freq), False
        shape = (self.num_embeddings, self.embedding_dim)
        if _weight is None:
            self.weight = Parameter(np.empty(shape, dtype=dtype))
            init.normal_(self.weight, 0.0, 1.0, init.get_generator(generator, "Embedding"))
            if self.padding_idx is not None:
                with no_grad():
                    self.weight[self.padding_idx] = 0.0
        else:
            weight = np.asarray(_weight.data if isinstance(_weight, Tensor) else _weight)
            if weight.shape != shape:
                raise ValueError(f"Embedding: _weight has shape {weight.shape}, expected "
                                 f"{shape} (num_embeddings, embedding_dim)")
            self.weight = Parameter(weight.astype(np.result_type(weight.dtype, np.float32)),
                                    requires_grad=not _freeze)

    @classmethod
    def from_pretrained(cls, embeddings, freeze: bool = True, padding_idx=None, max_norm=None,
                        norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                        sparse: bool = False) -> Embedding:
        """An Embedding holding `embeddings` (a 2-D array or Tensor, copied), frozen
        (weight.requires_grad False) unless freeze=False. The padding row is kept as given."""
        shape = np.shape(embeddings.data if isinstance(embeddings, Tensor) else embeddings)
        if len(shape) != 2:
            raise ValueError(f"Embedding.from_pretrained: embeddings must be 2-D "
                             f"(num_embeddings, embedding_dim), got shape {shape}")
        return cls(shape[0], shape[1], padding_idx, max_norm, norm_type, scale_grad_by_freq,
                   sparse, _weight=embeddings, _freeze=freeze)

    def forward(self, input):
        return embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                         self.scale_grad_by_freq, self.sparse)

    def extra_repr(self):
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            text += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        return text
