"""Issue 13, items 0-9: the checkpoint format, saving to unusual targets, hostile files.

Each test is named after the item it pins; each fails on the .npz-only writer it replaced
(which replaced symlinks and devices, reset modes, set the umask, left temporaries behind,
named them in errors, cut keys at NUL, flattened 0-d arrays, and trusted declared sizes).
"""

import errno
import json
import os
import re
import stat
import subprocess
import sys
import zipfile

import numpy as np
import pytest
import safetensors.numpy

import nn
import optim
from nn import checkpoint


def files_in(directory):
    return sorted(os.listdir(directory))


def model():
    return nn.MLP(3, [4], 2, generator=0)


def trained_adam(steps=3):
    net = model()
    opt = optim.Adam(net.parameters(), lr=0.01, amsgrad=True)
    x = np.random.default_rng(0).normal(size=(5, 3))
    for _ in range(steps):
        opt.zero_grad()
        (net(x) ** 2).sum().backward()
        opt.step()
    return net, opt


def assert_same(a, b):
    """Equal structure, types and bit-identical arrays."""
    assert type(a) is type(b) or (isinstance(a, dict) and isinstance(b, dict)), (a, b)
    if isinstance(a, dict):
        assert list(a) == list(b)
        for key in a:
            assert_same(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert a.tobytes() == b.tobytes()
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b)
    else:
        assert a == b


# -- 0: the format ---------------------------------------------------------------------


def test_safetensors_is_the_default_format_with_pytorchs_keys(tmp_path):
    state = model().state_dict()
    for name in ("m.safetensors", "m.pt", "m"):
        nn.save(state, tmp_path / name)
        plain = safetensors.numpy.load_file(tmp_path / name)  # what PyTorch/HF tools read
        assert sorted(plain) == sorted(state)
        for key in state:
            np.testing.assert_array_equal(plain[key], state[key])
        assert list(nn.load(tmp_path / name)) == list(state)  # the saved order, not sorted
    assert (tmp_path / "m.safetensors").read_bytes()[8:9] == b"{"


def test_safetensors_nested_state_layout_is_documented_keys_and_metadata(tmp_path):
    _, opt = trained_adam()
    nn.save(opt.state_dict(), tmp_path / "opt.safetensors")
    tensors = safetensors.numpy.load_file(tmp_path / "opt.safetensors")
    assert "state.0.exp_avg" in tensors and "state.3.max_exp_avg_sq" in tensors
    with open(tmp_path / "opt.safetensors", "rb") as f:
        header = json.loads(f.read(int.from_bytes(f.read(8), "little")))
    structure = json.loads(header["__metadata__"]["tracegrad.structure"])
    assert structure["$dict"][0][0] == "state"
    assert structure["$dict"][0][1]["$dict"][0][1]["$dict"][0] == ["step", 3]


@pytest.mark.parametrize("suffix", [".safetensors", ".npz"])
def test_nested_state_round_trips_exactly_in_both_formats(tmp_path, suffix):
    _, opt = trained_adam()
    sched = optim.lr_scheduler.ReduceLROnPlateau(opt)
    state = {"optimizer": opt.state_dict(), "scheduler": sched.state_dict(), "epoch": 3,
             "note": "ünïcode", "file": "caf\udce9.txt", "none": None, "nan": float("nan"),
             "big": 2**100, "scalar": np.float32(1.5), "flags": [True, False], "pair": (1, 2.5)}
    nn.save(state, tmp_path / f"run{suffix}")
    assert_same(nn.load(tmp_path / f"run{suffix}"), state)


def test_npz_of_a_flat_state_dict_stays_a_plain_npz(tmp_path):
    nn.save(model().state_dict(), tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz", allow_pickle=False) as archive:
        assert len(archive.files) == 4


# -- 1: unusual targets ----------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".safetensors", ".npz"])
def test_save_through_symlink_updates_target(tmp_path, suffix):
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / f"m{suffix}"
    nn.save({"w": np.zeros(2)}, target)
    link = tmp_path / f"latest{suffix}"
    link.symlink_to(target)
    nn.save({"w": np.ones(2)}, link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    np.testing.assert_array_equal(nn.load(target)["w"], np.ones(2))
    assert files_in(tmp_path / "real") == [f"m{suffix}"]  # the temporary was in its folder


def test_save_through_dangling_symlink_creates_its_target(tmp_path):
    link = tmp_path / "latest.npz"
    link.symlink_to(tmp_path / "new.npz")
    nn.save({"w": np.ones(1)}, link)
    assert link.is_symlink() and (tmp_path / "new.npz").is_file()


def test_save_refuses_existing_non_regular_targets_naming_them(tmp_path):
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    with pytest.raises(FileExistsError, match=r"pipe.npz' is a FIFO \(named pipe\), not a "
                                              "regular file; refusing to replace it"):
        nn.save({"w": np.ones(1)}, fifo)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    link = tmp_path / "null.npz"
    link.symlink_to("/dev/null")
    with pytest.raises(FileExistsError, match=r"'/dev/null' \(where .*null.npz' points\) is "
                                              "a character device"):
        nn.save({"w": np.ones(1)}, link)
    assert link.is_symlink() and stat.S_ISCHR(os.stat("/dev/null").st_mode)
    with pytest.raises(IsADirectoryError, match="is a folder"):
        nn.save({"w": np.ones(1)}, tmp_path)
    assert sorted(files_in(tmp_path)) == ["null.npz", "pipe.npz"]


# -- 2, 3: permissions ------------------------------------------------------------------


def test_save_keeps_private_mode(tmp_path):
    path = tmp_path / "m.safetensors"
    nn.save({"w": np.ones(2)}, path)
    os.chmod(path, 0o600)
    nn.save({"w": np.zeros(2)}, path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    os.chmod(path, 0o640)
    nn.save({"w": np.zeros(2)}, path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640


def test_save_gives_a_new_file_0666_minus_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        nn.save({"w": np.ones(2)}, tmp_path / "m.npz")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "m.npz").st_mode) == 0o640


def test_save_never_changes_umask(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(os, "umask", lambda mask: calls.append(mask) or 0o022)
    nn.save({"w": np.ones(2)}, tmp_path / "m.npz")
    nn.save({"w": np.ones(2)}, tmp_path / "m.safetensors")
    assert calls == []


def test_save_without_proc_lets_the_kernel_apply_the_umask(tmp_path, monkeypatch):
    monkeypatch.setattr(checkpoint, "_new_file_mode", lambda: None)
    old = os.umask(0o077)
    try:
        nn.save({"w": np.ones(2)}, tmp_path / "m.npz")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "m.npz").st_mode) == 0o600


# -- 4: temporaries ----------------------------------------------------------------------


def dead_pid():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_killed_save_temporaries_cleaned(tmp_path):
    path = tmp_path / "m.safetensors"
    host, dead = checkpoint._host(), dead_pid()
    stale = tmp_path / f".m.safetensors.tracegrad-tmp.{dead}@{host}.0123abcd"
    stale.write_bytes(b"half a checkpoint")
    live = tmp_path / f".m.safetensors.tracegrad-tmp.{os.getppid()}@{host}.0123abcd"
    live.write_bytes(b"another process is still writing this one")
    elsewhere = tmp_path / f".m.safetensors.tracegrad-tmp.{dead}@other-machine.0123abcd"
    elsewhere.write_bytes(b"another machine's process, which this one cannot see")
    other = tmp_path / f".other.npz.tracegrad-tmp.{dead}@{host}.0123abcd"
    other.write_bytes(b"not this target's")
    nn.save({"w": np.ones(2)}, path)
    assert files_in(tmp_path) == sorted([live.name, elsewhere.name, other.name,
                                         "m.safetensors"])


def test_temporary_names_say_what_they_are(tmp_path, monkeypatch):
    seen = []
    original = checkpoint._write_npz

    def spy(file, arrays):
        seen.extend(files_in(tmp_path))
        original(file, arrays)

    monkeypatch.setattr(checkpoint, "_write_npz", spy)
    nn.save({"w": np.ones(2)}, tmp_path / "model.npz")
    (name,) = seen
    assert name.startswith(f".model.npz.tracegrad-tmp.{os.getpid()}@{checkpoint._host()}.")


def test_temporary_of_a_long_name_fits_the_file_system(tmp_path):
    name = "m" * 240 + ".npz"
    nn.save({"w": np.ones(2)}, tmp_path / name)
    assert files_in(tmp_path) == [name]


# -- 5: errors name the user's path ---------------------------------------------------------


def test_save_errors_name_the_users_path_not_the_temporary(tmp_path, monkeypatch):
    missing = tmp_path / "no" / "such" / "m.npz"
    with pytest.raises(FileNotFoundError) as info:
        nn.save({"w": np.ones(1)}, missing)
    assert str(missing) in str(info.value) and "does not exist" in str(info.value)
    assert "tracegrad-tmp" not in str(info.value)
    too_long = tmp_path / ("x" * 300 + ".npz")
    with pytest.raises(OSError) as info:
        nn.save({"w": np.ones(1)}, too_long)
    assert info.value.errno == errno.ENAMETOOLONG and "too long" in str(info.value)
    assert info.value.filename == str(too_long)
    real_open = os.open

    def read_only(name, flags, mode=0o777, **kwargs):
        if "tracegrad-tmp" in os.fspath(name):
            raise PermissionError(errno.EACCES, "Permission denied", name)
        return real_open(name, flags, mode, **kwargs)

    monkeypatch.setattr(checkpoint.os, "open", read_only)
    with pytest.raises(PermissionError) as info:
        nn.save({"w": np.ones(1)}, tmp_path / "m.npz")
    assert info.value.filename == str(tmp_path / "m.npz")
    assert "no permission to create files in" in str(info.value)
    assert "tracegrad-tmp" not in str(info.value)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_save_into_a_read_only_folder_names_the_folder(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(PermissionError, match="no permission to create files in"):
            nn.save({"w": np.ones(1)}, folder / "m.npz")
    finally:
        folder.chmod(0o755)


# -- 6: keys and paths -----------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".safetensors", ".npz"])
def test_save_refuses_nul_and_huge_keys_before_writing(tmp_path, suffix):
    with pytest.raises(ValueError, match="contains a NUL character"):
        nn.save({"a\x00b": np.ones(1), "c": np.ones(1)}, tmp_path / f"m{suffix}")
    with pytest.raises(ValueError, match="70,000 bytes long in UTF-8; keys may have at most"):
        nn.save({"k" * 70_000: np.ones(1)}, tmp_path / f"m{suffix}")
    with pytest.raises(ValueError, match="contains a NUL"):
        nn.save({"outer": {"in\x00ner": np.ones(1)}}, tmp_path / f"m{suffix}")
    assert files_in(tmp_path) == []


def test_save_accepts_a_bytes_path_and_refuses_other_types_clearly(tmp_path):
    nn.save({"w": np.ones(1)}, os.fsencode(tmp_path / "b.npz"))
    assert list(nn.load(os.fsencode(tmp_path / "b.npz"))) == ["w"]
    with pytest.raises(TypeError, match="nn.save: path must be a str, bytes or os.PathLike"):
        nn.save({"w": np.ones(1)}, 3)


# -- 7: shapes ---------------------------------------------------------------------------------


class Temperature(nn.Module):
    def __init__(self):
        super().__init__()
        self.t = nn.Parameter(np.array(2.5))
        self.empty = nn.Parameter(np.zeros((0, 3)))


@pytest.mark.parametrize("suffix", [".safetensors", ".npz"])
def test_zero_d_and_zero_size_shapes_round_trip(tmp_path, suffix):
    state = {"t": np.array(2.5), "e": np.zeros((0, 3)), "i": np.array(7, np.int32),
             "f": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
             "big_endian": np.arange(3, dtype=">f8")}
    nn.save(state, tmp_path / f"s{suffix}")
    loaded = nn.load(tmp_path / f"s{suffix}")
    for key, value in state.items():
        assert loaded[key].shape == value.shape
        np.testing.assert_array_equal(loaded[key], value)
    module = Temperature()
    nn.save(module.state_dict(), tmp_path / f"m{suffix}")
    other = Temperature()
    other.load_state_dict(nn.load(tmp_path / f"m{suffix}"))
    assert other.t.shape == () and other.t.item() == 2.5


# -- 8: declared sizes -----------------------------------------------------------------------


def zip_bomb(path, size):
    """An .npz whose one member expands from ~size/1000 to `size` bytes of zeros."""
    header = {"descr": "<f8", "fortran_order": False, "shape": (size // 8,)}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("w.npy", "w", force_zip64=True) as member:
            np.lib.format.write_array_header_2_0(member, header)
            chunk = bytes(2**20)
            for _ in range(size // len(chunk)):
                member.write(chunk)


def test_load_refuses_a_zip_bomb_and_says_how_to_raise_the_limit(tmp_path):
    path = tmp_path / "bomb.npz"
    zip_bomb(path, 64 * 2**20)
    assert path.stat().st_size < 200_000
    with pytest.raises(nn.CheckpointError, match=r"above max_ratio=100\), as a zip bomb does; "
                                                 r"if you trust the file, pass nn.load\(path, "
                                                 r"max_ratio=\d+\)") as info:
        nn.load(path)
    suggested = int(re.search(r"max_ratio=(\d+)\)$", str(info.value)).group(1))
    assert suggested > 500
    assert nn.load(path, max_ratio=suggested)["w"].shape == (8 * 2**20,)


def test_load_refuses_more_declared_bytes_than_max_bytes(tmp_path):
    nn.save({"w": np.ones(1000)}, tmp_path / "m.npz")
    nn.save({"w": np.ones(1000)}, tmp_path / "m.safetensors")
    for name in ("m.npz", "m.safetensors"):
        with pytest.raises(nn.CheckpointError, match=r"declare 8,\d+ bytes, more than "
                                                     r"max_bytes=4,000; .*max_bytes=8\d+\)"):
            nn.load(tmp_path / name, max_bytes=4000)
        assert nn.load(tmp_path / name, max_bytes=9000)["w"].shape == (1000,)
    assert checkpoint.DEFAULT_MAX_BYTES == 4 * 2**30


def test_load_refuses_a_member_whose_header_claims_more_than_it_holds(tmp_path):
    path = tmp_path / "liar.npz"
    header = {"descr": "<f8", "fortran_order": False, "shape": (10**12,)}
    with zipfile.ZipFile(path, "w") as archive:
        with archive.open("w.npy", "w") as member:
            np.lib.format.write_array_header_1_0(member, header)
            member.write(bytes(80))
    with pytest.raises(nn.CheckpointError, match=r"declares shape \(1000000000000,\) of "
                                                 r"float64 \(8,000,000,000,000 bytes\) but "
                                                 "holds 80 bytes"):
        nn.load(path)


# -- 9: files that are not checkpoints -------------------------------------------------------


@pytest.mark.parametrize("content", ["text", "/dev/zero", "/dev/urandom", "fifo"])
def test_non_checkpoint_files_say_not_an_npz_archive(tmp_path, content):
    path = tmp_path / "m.npz"
    if content == "text":
        path.write_text("these are my notes, not a checkpoint\n")
    elif content == "fifo":
        os.mkfifo(path)  # opening must not wait for a writer
    else:
        path.symlink_to(content)
    with pytest.raises(nn.CheckpointError) as info:
        nn.load(path)
    message = str(info.value)
    assert message.startswith(f"cannot load checkpoint {str(path)!r}: not an .npz archive")
    assert "pickle" not in message and "trust" not in message


def test_non_checkpoint_files_without_npz_suffix_say_what_they_are_not(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with pytest.raises(nn.CheckpointError, match="neither a .safetensors file .* nor an "
                                                 ".npz archive"):
        nn.load(path)


def test_a_safetensors_structure_that_names_missing_arrays_is_refused(tmp_path):
    path = tmp_path / "m.safetensors"
    payload = safetensors.numpy.save({"w": np.ones(1)}, metadata={
        "tracegrad.structure": json.dumps({"$dict": [["w", {"$tensor": "nope"}]]})})
    path.write_bytes(payload)
    with pytest.raises(nn.CheckpointError, match="refers to an array 'nope' the file lacks"):
        nn.load(path)


def test_a_saved_model_loads_into_pytorch_and_computes_the_same(tmp_path):
    torch = pytest.importorskip("torch")
    torch_safetensors = pytest.importorskip("safetensors.torch")
    ours = model()
    nn.save(ours.state_dict(), tmp_path / "m.safetensors")
    layers = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    theirs = torch.nn.Module()
    theirs.layers = layers.double()
    theirs.load_state_dict(torch_safetensors.load_file(tmp_path / "m.safetensors"))
    x = np.random.default_rng(0).normal(size=(5, 3))
    np.testing.assert_allclose(layers(torch.from_numpy(x)).detach().numpy(), ours(x).data,
                               rtol=1e-12)
