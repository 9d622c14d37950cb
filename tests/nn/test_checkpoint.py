"""Checkpoints: round trips, atomic writes, every corruption as one CheckpointError."""

import os
import stat
import zipfile

import numpy as np
import pytest

import nn
from nn import checkpoint


def model():
    return nn.MLP(3, [4], 2, generator=0)


def files_in(directory):
    return sorted(os.listdir(directory))


def test_save_then_load_round_trips_names_order_values_and_dtypes(tmp_path):
    state = {"b.weight": np.arange(6.0).reshape(2, 3), "a.bias": np.ones(2, np.float32),
             "count": np.array(3)}
    path = tmp_path / "state.npz"
    nn.save(state, path)
    loaded = nn.load(path)
    assert list(loaded) == list(state)
    for name, value in state.items():
        assert loaded[name].dtype == value.dtype
        np.testing.assert_array_equal(loaded[name], value)


def test_a_model_restored_from_a_checkpoint_computes_the_same(tmp_path):
    original, restored = model(), nn.MLP(3, [4], 2, generator=1)
    nn.save(original.state_dict(), tmp_path / "m.npz")
    restored.load_state_dict(nn.load(tmp_path / "m.npz"))
    x = np.random.default_rng(0).normal(size=(5, 3))
    np.testing.assert_array_equal(restored(x).data, original(x).data)


def test_file_is_a_plain_npz_that_numpy_reads_without_pickle(tmp_path):
    nn.save(model().state_dict(), tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz", allow_pickle=False) as archive:
        assert archive.files == ["layers.0.weight", "layers.0.bias", "layers.2.weight",
                                 "layers.2.bias"]


def test_save_writes_exactly_the_given_path_and_leaves_no_temporary_file(tmp_path):
    nn.save({"w": np.ones(2)}, tmp_path / "checkpoint")
    assert files_in(tmp_path) == ["checkpoint"]


def test_entries_named_like_savez_keywords_are_fine(tmp_path):
    nn.save({"file": np.ones(1), "allow_pickle": np.zeros(1)}, tmp_path / "k.npz")
    assert list(nn.load(tmp_path / "k.npz")) == ["file", "allow_pickle"]


def test_saved_file_gets_normal_permissions_not_the_temp_files_private_ones(tmp_path):
    nn.save({"w": np.ones(2)}, tmp_path / "m.npz")
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(os.stat(tmp_path / "m.npz").st_mode) == 0o666 & ~mask


def test_interrupted_save_keeps_the_old_file_byte_for_byte(tmp_path, monkeypatch):
    path = tmp_path / "m.npz"
    nn.save({"w": np.ones(1000)}, path)
    old_bytes = path.read_bytes()

    def write_half_then_interrupt(file, arrays):
        file.write(b"PK\x03\x04 half a zip")
        raise KeyboardInterrupt

    monkeypatch.setattr(checkpoint, "_write_npz", write_half_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        nn.save({"w": np.zeros(1000)}, path)
    assert path.read_bytes() == old_bytes
    assert files_in(tmp_path) == ["m.npz"]


def test_failed_replace_leaves_no_temporary_file(tmp_path, monkeypatch):
    def refuse(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(checkpoint.os, "replace", refuse)
    with pytest.raises(OSError, match="No space left"):
        nn.save({"w": np.ones(3)}, tmp_path / "m.npz")
    assert files_in(tmp_path) == []


def test_save_refuses_object_and_string_arrays_before_writing(tmp_path):
    with pytest.raises(TypeError, match="entry 'names' has dtype object"):
        nn.save({"ok": np.ones(2), "names": np.array([{"a": 1}], dtype=object)},
                tmp_path / "m.npz")
    with pytest.raises(TypeError, match="entry 's' has dtype <U1"):
        nn.save({"s": np.array(["a"])}, tmp_path / "m.npz")
    assert files_in(tmp_path) == []


def test_save_wants_a_state_dict_not_a_module(tmp_path):
    with pytest.raises(TypeError, match="pass model.state_dict\\(\\)"):
        nn.save(model(), tmp_path / "m.npz")


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        nn.load(tmp_path / "nope.npz")


def _truncated(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _random_bytes(path):
    path.write_bytes(np.random.default_rng(0).bytes(500))


def _empty(path):
    path.write_bytes(b"")


def _flipped_byte(path):
    data = bytearray(path.read_bytes())
    data[200] ^= 0xFF  # inside the first member's array data
    path.write_bytes(bytes(data))


def _single_npy(path):
    with open(path, "wb") as f:
        np.save(f, np.ones(3))


def _pickled_object_member(path):
    with open(path, "wb") as f:
        np.savez(f, weights=np.array([object()], dtype=object))


def _text_member(path):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "not an array")


CORRUPTIONS = [
    (_truncated, "BadZipFile"), (_random_bytes, "not an .npz archive"),
    (_empty, "not an .npz archive"),
    (_flipped_byte, "Bad CRC-32"), (_single_npy, "an .npy file"),
    (_pickled_object_member, "'weights' is not a numeric array (dtype object)"),
    (_text_member, "'notes.txt' is not a numeric array"),
]


@pytest.mark.parametrize("corrupt, cause", CORRUPTIONS, ids=[c.__name__ for c, _ in CORRUPTIONS])
def test_every_corruption_is_one_checkpoint_error_naming_file_and_cause(tmp_path, corrupt,
                                                                        cause):
    path = tmp_path / "m.npz"
    nn.save({"layer0.weight": np.arange(100.0)}, path)
    corrupt(path)
    with pytest.raises(nn.CheckpointError) as info:
        nn.load(path)
    message = str(info.value)
    assert message.startswith(f"cannot load checkpoint {str(path)!r}: ")
    assert cause in message
    assert isinstance(info.value, ValueError)


def test_checkpoint_error_chains_numpys_exception(tmp_path):
    path = tmp_path / "m.npz"
    nn.save({"w": np.ones(10)}, path)
    _truncated(path)
    with pytest.raises(nn.CheckpointError) as info:
        nn.load(path)
    assert isinstance(info.value.__cause__, zipfile.BadZipFile)


def test_loading_a_mismatched_checkpoint_lists_every_problem(tmp_path):
    state = model().state_dict()
    state["layers.0.weight"] = np.zeros((9, 9))
    del state["layers.2.bias"]
    state["layers.4.weight"] = np.zeros(1)
    nn.save(state, tmp_path / "bad.npz")
    with pytest.raises(nn.StateDictError) as info:
        model().load_state_dict(nn.load(tmp_path / "bad.npz"))
    message = str(info.value)
    assert "missing key(s): 'layers.2.bias'" in message
    assert "unexpected key(s): 'layers.4.weight'" in message
    assert "size mismatch for 'layers.0.weight'" in message
