"""Checkpoints: a state dict to an .npz file and back, without pickle, written atomically.

    nn.save(model.state_dict(), "model.npz")
    model.load_state_dict(nn.load("model.npz"))

save() writes to a temporary file in the target's directory, flushes and fsyncs it, and
renames it over the target (os.replace, atomic on POSIX and Windows): a crash, a full disk
or Ctrl-C mid-write leaves the previous checkpoint intact and no temporary file behind.
load() reads every array eagerly, so any corruption (a truncated file, flipped bytes,
a pickle) surfaces as one CheckpointError naming the file and the cause.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import zipfile
from collections import OrderedDict

import numpy as np

from autograd import Tensor

__all__ = ["save", "load", "CheckpointError"]

_NUMERIC_KINDS = "fiub"


class CheckpointError(ValueError):
    """A checkpoint file exists but cannot be read as a tracegrad .npz state dict."""


def _arrays(state_dict, where="save") -> OrderedDict:
    """{name: ndarray}, refusing anything np.savez would pickle."""
    if not hasattr(state_dict, "items") or hasattr(state_dict, "state_dict"):
        raise TypeError(f"{where}: expected a state dict (a mapping of names to arrays), got "
                        f"{type(state_dict).__name__}; pass model.state_dict()")
    arrays = OrderedDict()
    for name, value in state_dict.items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"{where}: keys must be non-empty strings, got {name!r}")
        array = np.asarray(value.data if isinstance(value, Tensor) else value)
        if array.dtype.kind not in _NUMERIC_KINDS:
            raise TypeError(f"{where}: entry {name!r} has dtype {array.dtype}; only numeric "
                            "arrays can be saved (objects would need pickle)")
        arrays[name] = array
    return arrays


def _write_npz(file, arrays) -> None:
    """The .npz format (a zip of .npy members) written to an open binary file. Written by
    hand rather than with np.savez, whose own keyword names (file, allow_pickle) would
    clash with entries of those names."""
    with zipfile.ZipFile(file, mode="w", compression=zipfile.ZIP_STORED) as archive:
        for name, array in arrays.items():
            with archive.open(name + ".npy", mode="w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.ascontiguousarray(array),
                                          allow_pickle=False)


def _umask() -> int:
    # Reading the umask means setting it: another thread creating a file in these two
    # calls' instant would get umask 0. Acceptable for a checkpoint writer.
    mask = os.umask(0)
    os.umask(mask)
    return mask


def save(state_dict, path) -> None:
    """Write `state_dict` ({name: array or Tensor}) to `path` as an uncompressed .npz.

    The file is written exactly at `path` (no suffix is added). Non-numeric entries
    raise TypeError before anything is written. The write is atomic: readers see either
    the old file or the complete new one.
    """
    arrays = _arrays(state_dict)
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    tmp = tempfile.NamedTemporaryFile(dir=directory, prefix=f".{os.path.basename(path)}.",
                                      suffix=".tmp", delete=False)
    try:
        with tmp:
            _write_npz(tmp, arrays)
            tmp.flush()
            os.fsync(tmp.fileno())
        # NamedTemporaryFile makes a private (0600) file; give it the usual permissions.
        os.chmod(tmp.name, 0o666 & ~_umask())
        os.replace(tmp.name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp.name)
        raise
    _fsync_directory(directory)


def _fsync_directory(directory) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def load(path) -> OrderedDict:
    """Read a checkpoint written by save(): {name: ndarray}, in the saved order.

    FileNotFoundError (and other OS errors opening the file) propagate unchanged; a file
    that is not a valid .npz of numeric arrays raises CheckpointError, a ValueError,
    chained to numpy's or zipfile's own exception.
    """
    path = os.fspath(path)
    with open(path, "rb") as file:
        try:
            return _read_npz(file)
        except CheckpointError as error:
            raise CheckpointError(f"cannot load checkpoint {path!r}: {error}") from None
        except Exception as error:  # every corruption numpy and zipfile can report
            raise CheckpointError(
                f"cannot load checkpoint {path!r}: not a valid .npz archive "
                f"({type(error).__name__}: {error})"
            ) from error


def _read_npz(file) -> OrderedDict:
    contents = np.load(file, allow_pickle=False)
    if not isinstance(contents, np.lib.npyio.NpzFile):
        raise CheckpointError(f"it holds a single {type(contents).__name__} (an .npy file?), "
                              "not an .npz archive of named arrays")
    with contents:
        arrays = OrderedDict((name, contents[name]) for name in contents.files)
    for name, array in arrays.items():
        if not isinstance(array, np.ndarray) or array.dtype.kind not in _NUMERIC_KINDS:
            raise CheckpointError(f"entry {name!r} is not a numeric array")
    return arrays
