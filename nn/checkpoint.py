"""Checkpoints: state dicts, flat or nested, to a file and back, without pickle, written atomically.

    nn.save(model.state_dict(), "model.safetensors")
    model.load_state_dict(nn.load("model.safetensors"))

    nn.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
             "scheduler": scheduler.state_dict(), "loader": loader.state_dict(),
             "epoch": 3}, "run.safetensors")

The suffix picks the format. `.npz` is numpy's zip of `.npy` members; anything else is
`.safetensors` (the default): a JSON header and raw little-endian arrays, which cannot
carry code, has no compression, and loads directly into PyTorch and the Hugging Face
tools. Arrays go into the file's tensors under their dotted path (`state.0.exp_avg`);
everything else (numbers, strings, lists, tuples, None, the nesting itself) goes into a
JSON "structure" (layout in docs/reliability.md, "Checkpoint layout").

save() writes a temporary file next to its target (`.NAME.tracegrad-tmp.PID@HOST.XXXXXXXX`),
fsyncs it and renames it over the target, so a crash, a full disk or Ctrl-C leaves the
previous checkpoint intact. It writes through a symlink to the file it points to, keeps
an existing file's permissions, and the next save of the same target removes temporaries
left by killed processes. load() checks declared sizes before reading anything and reads
every array eagerly: a broken or hostile file is one CheckpointError naming the file.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import math
import os
import secrets
import socket
import stat
import zipfile
from collections import OrderedDict

import numpy as np
import safetensors
import safetensors.numpy

from autograd import Tensor

__all__ = ["save", "load", "CheckpointError", "DEFAULT_MAX_BYTES", "DEFAULT_MAX_RATIO"]

# Loading refuses files whose arrays declare more than this many bytes in all: far above
# any model this library trains, far below what would exhaust a machine by surprise.
DEFAULT_MAX_BYTES = 4 * 2**30
# ...and .npz members that declare more than this ratio of uncompressed to compressed
# bytes. Deflate on real weights gives about 1.1 and on all-zero arrays at most ~1030;
# our own files are stored uncompressed (1.0). Members under RATIO_FREE_BYTES are exempt:
# a small member cannot exhaust anything whatever its ratio.
DEFAULT_MAX_RATIO = 100
RATIO_FREE_BYTES = 2**20
# A key's UTF-8 bytes: the zip format stores a member name in 16 bits, less ".npy".
# Both formats get the same limit, so every checkpoint can be saved in either.
MAX_KEY_BYTES = 65535 - len(".npy")
MAX_DEPTH = 64  # nesting of a state dict; far beyond any real one, well inside recursion

_NUMERIC_KINDS = "fiub"
_SAFETENSORS_DTYPES = {np.dtype(t) for t in (np.bool_, np.int8, np.int16, np.int32, np.int64,
                                              np.uint8, np.uint16, np.uint32, np.uint64,
                                              np.float16, np.float32, np.float64)}
_STRUCTURE = "tracegrad.structure"  # safetensors metadata key
_NPZ_STRUCTURE = "__tracegrad_structure__"  # .npz member holding the same JSON (uint8)
_TEMP_MARK = ".tracegrad-tmp."
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


class CheckpointError(ValueError):
    """A checkpoint file exists but cannot be read as a tracegrad checkpoint."""


# -- the structure: nested state <-> (arrays, JSON) ----------------------------------------


def _flatten(state_dict, where: str):
    """(tensors {key: ndarray}, structure as JSON-able data, flat?) for `state_dict`.

    Every check a save makes on its input happens here, before any file is touched.
    """
    if not hasattr(state_dict, "items") or hasattr(state_dict, "state_dict"):
        raise TypeError(f"{where}: expected a state dict (a mapping of names to arrays), got "
                        f"{type(state_dict).__name__}; pass model.state_dict()")
    tensors: dict = {}
    paths: dict = {}
    flat = all(isinstance(k, str) and isinstance(v, (np.ndarray, Tensor))
               for k, v in state_dict.items())

    def array_key(path):
        key = ".".join(str(part) for part in path)
        _check_key(key, where)
        if key in paths:
            raise ValueError(f"{where}: entries {paths[key]!r} and {path!r} would both be "
                             f"stored as {key!r}; rename one of them")
        paths[key] = path
        return key

    def encode(value, path, depth, active):
        if depth > MAX_DEPTH:
            raise ValueError(f"{where}: the state is nested more than {MAX_DEPTH} deep at "
                             f"{_dotted(path)!r} (does it contain itself?)")
        if isinstance(value, Tensor):
            value = value.data
        if isinstance(value, np.ndarray):
            name = _dotted(path)
            if value.dtype.kind not in _NUMERIC_KINDS:
                raise TypeError(f"{where}: entry {name!r} has dtype {value.dtype}; only numeric "
                                "arrays can be saved (objects would need pickle)")
            key = array_key(path)
            tensors[key] = value
            return {"$tensor": key}
        if isinstance(value, np.generic):
            if not isinstance(value, (np.number, np.bool_)):
                raise TypeError(f"{where}: entry {_dotted(path)!r} is a {type(value).__name__}; "
                                "only numbers can be saved")
            key = array_key(path)
            tensors[key] = np.asarray(value)
            return {"$scalar": key}
        if value is None or isinstance(value, (bool, int, str)):
            return value
        if isinstance(value, float):
            return value if np.isfinite(value) else {"$float": repr(value)}
        if id(value) in active:
            raise ValueError(f"{where}: entry {_dotted(path)!r} contains itself")
        if hasattr(value, "items"):
            pairs = []
            for key, item in value.items():
                if isinstance(key, bool) or not isinstance(key, (str, int)) or key == "":
                    raise TypeError(f"{where}: keys must be non-empty strings (or ints, as an "
                                    f"optimizer's state has), got {key!r} in "
                                    f"{_dotted(path) or 'the state dict'!r}")
                pairs.append([key, encode(item, path + (key,), depth + 1, active | {id(value)})])
            return {"$dict": pairs}
        if isinstance(value, (list, tuple)):
            items = [encode(item, path + (i,), depth + 1, active | {id(value)})
                     for i, item in enumerate(value)]
            return items if isinstance(value, list) else {"$tuple": items}
        raise TypeError(f"{where}: entry {_dotted(path)!r} is a {type(value).__name__}; a "
                        "checkpoint holds arrays, numbers, strings, None, and lists, tuples "
                        "and dicts of them")

    structure = encode(state_dict, (), 0, frozenset())
    return tensors, structure, flat


def _dotted(path) -> str:
    return ".".join(str(part) for part in path)


def _check_key(key: str, where: str) -> None:
    if "\x00" in key:
        raise ValueError(f"{where}: key {key!r} contains a NUL character, which the .npz "
                         "format cannot store (the name would be cut there); rename it")
    try:
        size = len(key.encode("utf-8"))
    except UnicodeEncodeError:
        raise ValueError(f"{where}: key {key!r} is not valid Unicode (a lone surrogate?); "
                         "keys are stored as UTF-8") from None
    if size > MAX_KEY_BYTES:
        raise ValueError(f"{where}: key {key[:40]!r}... is {size:,} bytes long in UTF-8; keys "
                         f"may have at most {MAX_KEY_BYTES:,}")


def _unflatten(structure, tensors: dict):
    """The state that `_flatten` turned into `structure` and `tensors`; CheckpointError if
    the structure is not one `_flatten` could have written."""
    used = set()

    def take(key, tag):
        if not isinstance(key, str) or key not in tensors:
            raise CheckpointError(f"its structure refers to an array {key!r} the file lacks")
        if key in used:
            raise CheckpointError(f"its structure uses the array {key!r} twice")
        used.add(key)
        array = tensors[key]
        return array[()] if tag == "$scalar" else array

    def decode(value, depth):
        if depth > MAX_DEPTH:
            raise CheckpointError(f"its structure is nested more than {MAX_DEPTH} deep")
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, list):
            return [decode(item, depth + 1) for item in value]
        if isinstance(value, dict) and len(value) == 1:
            (tag, body), = value.items()
            if tag in ("$tensor", "$scalar"):
                return take(body, tag)
            if tag == "$float" and body in ("nan", "inf", "-inf"):
                return float(body)
            if tag == "$tuple" and isinstance(body, list):
                return tuple(decode(item, depth + 1) for item in body)
            if tag == "$dict" and isinstance(body, list) and all(
                    isinstance(p, list) and len(p) == 2 and isinstance(p[0], (str, int))
                    for p in body):
                return {key: decode(item, depth + 1) for key, item in body}
        raise CheckpointError(f"its structure holds {str(value)[:60]!r}, which a tracegrad "
                              "checkpoint never contains")

    state = decode(structure, 0)
    if not isinstance(state, dict):
        raise CheckpointError("its structure is not a dict")
    unused = [key for key in tensors if key not in used]
    if unused:
        raise CheckpointError(f"it holds arrays its structure never mentions: {unused[:5]}")
    return OrderedDict(state)


# -- saving -----------------------------------------------------------------------------


def save(state_dict, path) -> None:
    """Write `state_dict` to `path`: .safetensors (the default), or .npz by its suffix.

    `state_dict` maps names to arrays or Tensors (model.state_dict()), or nests them with
    numbers, strings, None, lists, tuples and dicts (an optimizer's or a scheduler's state
    dict, or all of a run). Keys are non-empty strings (ints inside nested state) without
    NUL characters, at most 65,531 bytes. Anything else raises TypeError or ValueError
    before a byte is written.

    The file is written exactly at `path` (no suffix is added), atomically: readers see the
    old file or the complete new one. A symlink is written through to its target. A target
    that exists and is not a regular file (a folder, /dev/null, a FIFO) is refused with
    FileExistsError or IsADirectoryError. An existing file keeps its permissions; a new one
    gets 0666 & ~umask, as open() would give. OS errors name `path` and the reason.
    """
    tensors, structure, flat = _flatten(state_dict, "nn.save")
    path = _fspath(path, "nn.save")
    if _is_npz(path):
        if _NPZ_STRUCTURE in tensors:
            raise ValueError(f"nn.save: the key {_NPZ_STRUCTURE!r} is reserved in .npz files")
        if not flat:
            tensors[_NPZ_STRUCTURE] = np.frombuffer(_json(structure), np.uint8)

        def write(file):
            _write_npz(file, tensors)
    else:
        for key, array in tensors.items():
            if array.dtype.newbyteorder("=") not in _SAFETENSORS_DTYPES:
                raise TypeError(f"nn.save: entry {key!r} has dtype {array.dtype}, which "
                                ".safetensors cannot store; save to an .npz path instead")
        payload = safetensors.numpy.save(
            {key: _little_endian(array) for key, array in tensors.items()},
            metadata={"format": "pt", _STRUCTURE: _json(structure).decode("utf-8")})

        def write(file):
            file.write(payload)
    _atomic_write(path, write)


def _json(structure) -> bytes:
    # ASCII with \u escapes: strings holding lone surrogates (undecodable file names)
    # survive, where UTF-8 could not encode them.
    return json.dumps(structure, allow_nan=False, separators=(",", ":")).encode("ascii")


def _little_endian(array):
    """A C-contiguous little-endian copy when needed (safetensors' layout); 0-d stays 0-d
    (np.ascontiguousarray would make it 1-d)."""
    if array.dtype.byteorder == ">":
        array = array.astype(array.dtype.newbyteorder("<"))
    return array if array.flags.c_contiguous else array.copy(order="C")


def _write_npz(file, arrays) -> None:
    """numpy's .npz layout (a zip of .npy members, stored) into an open binary file. By
    hand rather than np.savez, whose keyword names (file, allow_pickle) clash with entries
    of those names."""
    with zipfile.ZipFile(file, mode="w", compression=zipfile.ZIP_STORED) as archive:
        for name, array in arrays.items():
            with archive.open(name + ".npy", mode="w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)


def _fspath(path, where: str) -> str:
    """`path` (str, bytes or os.PathLike) as a str; bytes go through the file system's
    encoding (undecodable bytes survive as surrogates, as os.fsdecode does)."""
    try:
        path = os.fspath(path)
    except TypeError:
        raise TypeError(f"{where}: path must be a str, bytes or os.PathLike (a file name), "
                        f"got {type(path).__name__}") from None
    path = os.fsdecode(path)
    if not path or "\x00" in path:
        raise ValueError(f"{where}: path {path!r} is empty or contains a NUL character")
    return path


def _is_npz(path: str) -> bool:
    return path.lower().endswith(".npz")


def _atomic_write(path: str, write) -> None:
    """Write a file at `path` through write(binary_file): temporary file in the target's
    folder, fsync, rename over the target, fsync the folder."""
    target = os.path.realpath(path)  # through symlinks: the link stays, its target changes
    try:
        existing = os.stat(target)
    except FileNotFoundError:
        existing = None
    except OSError as error:
        raise _named(error, path, target) from None
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        via = "" if target == os.path.abspath(path) else f" (where {path!r} points)"
        kind = _kind(existing.st_mode)
        error_type = IsADirectoryError if stat.S_ISDIR(existing.st_mode) else FileExistsError
        raise error_type(f"nn.save: {target!r}{via} is {kind}, not a regular file; refusing "
                         "to replace it. Pass the path of a checkpoint file")
    mode = stat.S_IMODE(existing.st_mode) if existing is not None else _new_file_mode()
    directory, name = os.path.split(target)
    _remove_stale_temporaries(directory, name)
    temporary = os.path.join(directory, _temporary_name(name))
    fd = None
    try:  # from before the temporary exists: an interrupt just after creating it removes it
        # Private while being written; the final mode is set before the rename. Without a
        # known umask, the kernel applies it to 0666 (the temporary is then not private).
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL
                     | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0),
                     0o600 if mode is not None else 0o666)
        with os.fdopen(fd, "wb") as file:
            fd = None  # the file object closes it now
            write(file)
            file.flush()
            if mode is not None:
                _chmod(file.fileno(), temporary, mode)
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException as error:
        with contextlib.suppress(OSError):
            if fd is not None:
                os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(error, OSError):
            raise _named(error, path, target) from None
        raise
    _fsync_directory(directory)


def _chmod(fd, name, mode) -> None:
    if hasattr(os, "fchmod"):
        os.fchmod(fd, mode)
    else:
        os.chmod(name, mode)


def _new_file_mode():
    """0666 & ~umask, read without changing the umask (setting it for an instant would
    give another thread's files the wrong mode); None where it cannot be read."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return None


def _temporary_name(name: str) -> str:
    return f"{_temporary_prefix(name)}{os.getpid()}@{_host()}.{secrets.token_hex(4)}"


def _host() -> str:
    """This machine's name, so a folder shared between machines (NFS) never has one
    machine judge another's process by its number."""
    return "".join(c if c.isalnum() or c in "-." else "_" for c in socket.gethostname())[:64]


def _temporary_prefix(name: str) -> str:
    """`.NAME.tracegrad-tmp.`: a long NAME is shortened (with a hash of the whole) so the
    temporary's name stays within the file system's limit whenever NAME's does."""
    if len(name) > 120:
        digest = hashlib.sha256(os.fsencode(name)).hexdigest()[:12]
        name = f"{name[:100]}~{digest}"
    return f".{name}{_TEMP_MARK}"


def _remove_stale_temporaries(directory: str, name: str) -> None:
    """Delete this target's temporaries whose writing process no longer exists (a save
    killed by SIGKILL, or a power cut, cannot clean up after itself)."""
    prefix = _temporary_prefix(name)
    try:
        entries = os.listdir(directory)
    except OSError:
        return  # the open below reports the folder's problem
    for entry in entries:
        if not entry.startswith(prefix):
            continue
        owner = entry[len(prefix):].rpartition(".")[0]  # PID@HOST
        pid, _, host = owner.partition("@")
        if (host == _host() and pid.isdigit() and int(pid) != os.getpid()
                and not _process_alive(int(pid))):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(directory, entry))


def _process_alive(pid: int) -> bool:
    if os.name != "posix":
        return True  # no harmless liveness probe (os.kill would stop the process): keep it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists, as another user's process
    return True


def _named(error: OSError, path: str, target: str) -> OSError:
    """The same kind of OSError, naming the user's path (never the temporary) and why."""
    folder = os.path.dirname(target) or "."
    reasons = {
        errno.ENOENT: f"the folder {folder!r} does not exist",
        errno.ENOTDIR: f"a part of {folder!r} is not a folder",
        errno.EACCES: f"no permission to create files in {folder!r}",
        errno.EPERM: f"no permission to create files in {folder!r}",
        errno.EROFS: f"{folder!r} is on a read-only file system",
        errno.ENAMETOOLONG: "the name is too long for the file system",
        errno.ENOSPC: "the disk is full; the previous checkpoint is unchanged",
        errno.ELOOP: "too many levels of symbolic links",
    }
    cause = error.strerror or str(error)
    reason = f"{cause}: {reasons[error.errno]}" if error.errno in reasons else cause
    return type(error)(error.errno, f"nn.save: cannot write the checkpoint ({reason})", path)


def _kind(mode: int) -> str:
    for test, kind in ((stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return kind
    return "not a regular file"


def _fsync_directory(directory) -> None:
    """Make the rename itself durable (POSIX); a no-op where folders cannot be opened."""
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


# -- loading ----------------------------------------------------------------------------


def load(path, *, max_bytes: int = DEFAULT_MAX_BYTES,
         max_ratio: float = DEFAULT_MAX_RATIO) -> OrderedDict:
    """Read a checkpoint written by save() (or any .safetensors or numeric .npz file).

    Returns what was saved: {name: ndarray} in the saved order for a model's state dict,
    the nested dicts, lists, tuples, numbers and arrays for anything else (Tensors come
    back as ndarrays). The format is recognised from the file's first bytes.

    max_bytes: refuse a file whose arrays declare more bytes than this in all (default
        4 GiB), before reading them. max_ratio: refuse an .npz member over 1 MiB whose
        declared compression ratio is higher (default 100; a zip bomb's is ~1000).
    FileNotFoundError (and other OS errors opening the file) propagate unchanged; anything
    else wrong with the file raises CheckpointError, a ValueError naming the file.
    """
    path = _fspath(path, "nn.load")
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 0:
        raise ValueError(f"nn.load: max_bytes must be an int >= 0, got {max_bytes!r}")
    if not max_ratio >= 1:
        raise ValueError(f"nn.load: max_ratio must be a number >= 1, got {max_ratio!r}")
    # O_NONBLOCK: opening a FIFO must not wait for a writer before fstat can refuse it.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with os.fdopen(fd, "rb") as file:
        try:
            info = os.fstat(fd)
            expected = "an .npz archive" if _is_npz(path) else "a .safetensors file"
            if not stat.S_ISREG(info.st_mode):
                raise CheckpointError(f"not {expected}: it is {_kind(info.st_mode)}, not a "
                                      "regular file")
            head = file.read(8)
            file.seek(0)
            if head.startswith(_ZIP_MAGIC):
                return _read_npz(file, max_bytes, max_ratio)
            if head.startswith(b"\x93NUMPY"):
                raise CheckpointError("it holds a single array (an .npy file?), not an .npz "
                                      "archive of named arrays")
            if _is_npz(path):
                raise CheckpointError(f"not an .npz archive (it starts with {head!r}, not "
                                      "with the zip signature b'PK\\x03\\x04')")
            return _read_safetensors(file, path, info.st_size, max_bytes)
        except CheckpointError as error:
            raise CheckpointError(f"cannot load checkpoint {path!r}: {error}") from None
        except (OSError, MemoryError):
            raise
        except Exception as error:  # every corruption zipfile, numpy and safetensors report
            raise CheckpointError(
                f"cannot load checkpoint {path!r}: not a valid checkpoint file "
                f"({type(error).__name__}: {error})"
            ) from error


def _too_big(total: int, max_bytes: int) -> CheckpointError:
    return CheckpointError(
        f"its arrays declare {total:,} bytes, more than max_bytes={max_bytes:,}; if you "
        f"trust the file and have the memory, pass nn.load(path, max_bytes={total})")


def _read_npz(file, max_bytes: int, max_ratio: float) -> OrderedDict:
    with zipfile.ZipFile(file) as archive:
        members = archive.infolist()
        total = sum(member.file_size for member in members)
        if total > max_bytes:
            raise _too_big(total, max_bytes)
        for member in members:
            ratio = member.file_size / max(member.compress_size, 1)
            if member.file_size > RATIO_FREE_BYTES and ratio > max_ratio:
                raise CheckpointError(
                    f"member {member.filename!r} declares {member.file_size:,} bytes compressed "
                    f"into {member.compress_size:,} (ratio {ratio:,.0f}, above max_ratio="
                    f"{max_ratio:g}), as a zip bomb does; if you trust the file, pass "
                    f"nn.load(path, max_ratio={math.ceil(ratio)})")
        arrays = OrderedDict()
        for member in members:
            if not member.filename.endswith(".npy"):
                raise CheckpointError(f"entry {member.filename!r} is not a numeric array")
            arrays[member.filename[:-len(".npy")]] = _read_member(archive, member)
    structure = arrays.pop(_NPZ_STRUCTURE, None)
    if structure is None:
        return arrays
    if structure.dtype != np.uint8 or structure.ndim != 1:
        raise CheckpointError(f"its {_NPZ_STRUCTURE!r} entry is not UTF-8 text")
    return _unflatten(_parse_structure(structure.tobytes()), arrays)


def _read_member(archive, member) -> np.ndarray:
    """One .npy member, its header checked against the member's declared size before any
    memory is set aside for the array."""
    name = member.filename[:-len(".npy")]
    with archive.open(member) as stream:
        version = np.lib.format.read_magic(stream)
        read_header = {(1, 0): np.lib.format.read_array_header_1_0}.get(
            version, np.lib.format.read_array_header_2_0)
        shape, _, dtype = read_header(stream)
        if dtype.hasobject or dtype.kind not in _NUMERIC_KINDS:
            raise CheckpointError(f"entry {name!r} is not a numeric array (dtype {dtype}); a "
                                  "checkpoint never holds Python objects")
        size = int(np.prod(shape, dtype=object)) * dtype.itemsize
        if size != member.file_size - stream.tell():
            raise CheckpointError(f"entry {name!r} declares shape {shape} of {dtype} "
                                  f"({size:,} bytes) but holds "
                                  f"{member.file_size - stream.tell():,} bytes")
    with archive.open(member) as stream:
        return np.lib.format.read_array(stream, allow_pickle=False)


def _read_safetensors(file, path: str, file_size: int, max_bytes: int) -> OrderedDict:
    head = file.read(8)
    header_size = int.from_bytes(head, "little") if len(head) == 8 else -1
    if not 2 <= header_size <= file_size - 8 or file.read(1) != b"{":
        raise CheckpointError(
            "neither a .safetensors file (no JSON header after its first 8 bytes) nor an "
            ".npz archive (no zip signature)")
    if file_size - 8 - header_size > max_bytes:
        raise _too_big(file_size - 8 - header_size, max_bytes)
    with safetensors.safe_open(path, framework="numpy") as archive:
        metadata = archive.metadata() or {}
        arrays = {key: np.array(archive.get_tensor(key)) for key in archive.keys()}
    if _STRUCTURE not in metadata:
        return OrderedDict(arrays)
    return _unflatten(_parse_structure(metadata[_STRUCTURE].encode("utf-8")), arrays)


def _parse_structure(text: bytes):
    try:
        return json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise CheckpointError(f"its structure is not valid JSON ({error})") from None
