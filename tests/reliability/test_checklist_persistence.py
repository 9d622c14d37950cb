"""RELIABILITY §4 G: checkpoints (nn.save / nn.load, state dicts, pickling), checked as
rows here; the nn and optim test suites test the same code in more depth."""

import copy
import pickle
import zipfile

import numpy as np
import pytest

import nn
import optim
from autograd import Tensor


def model():
    return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))


def test_G1_an_interrupted_save_leaves_the_old_file_intact_and_no_temporary(tmp_path,
                                                                            monkeypatch):
    path = tmp_path / "model.npz"
    nn.save({"w": np.ones(3)}, path)
    old = path.read_bytes()

    original_open = zipfile.ZipFile.open
    opened = []

    def write_half_then_interrupt(self, name, mode="r", **kwargs):
        opened.append(name)
        if len(opened) == 2:  # the first member is written, the second never is
            raise KeyboardInterrupt
        return original_open(self, name, mode, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", write_half_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        nn.save({"w": np.zeros(3), "b": np.zeros(2)}, path)
    assert path.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz"]


def test_G1_save_writes_exactly_the_given_path(tmp_path):
    nn.save({"w": np.ones(2)}, tmp_path / "weights.tmp")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["weights.tmp"]


@pytest.mark.parametrize("corrupt", ["truncated", "random", "empty", "flipped"])
def test_G2_a_corrupted_checkpoint_is_one_checkpoint_error_naming_file_and_cause(
    tmp_path, corrupt
):
    path = tmp_path / "model.npz"
    nn.save({"layer0.weight": np.arange(64.0)}, path)
    data = bytearray(path.read_bytes())
    if corrupt == "truncated":
        data = data[: len(data) // 2]
    elif corrupt == "random":
        data = bytearray(np.random.default_rng(0).integers(0, 256, 500, dtype=np.uint8))
    elif corrupt == "empty":
        data = bytearray()
    else:
        data[len(data) // 3] ^= 0xFF  # inside the member: a CRC error when read
    path.write_bytes(bytes(data))
    with pytest.raises(nn.CheckpointError) as info:
        nn.load(path)
    assert isinstance(info.value, ValueError)
    assert str(info.value).startswith(f"cannot load checkpoint {str(path)!r}:")


def test_G3_a_missing_file_is_file_not_found_unchanged(tmp_path):
    with pytest.raises(FileNotFoundError):
        nn.load(tmp_path / "nope.npz")


def test_G4_object_arrays_are_refused_on_save_and_pickles_on_load(tmp_path):
    with pytest.raises(TypeError, match="dtype object"):
        nn.save({"w": np.array([1, "a"], dtype=object)}, tmp_path / "m.npz")
    np.savez(tmp_path / "pickled.npz", w=np.array([{"a": 1}], dtype=object))
    with pytest.raises(nn.CheckpointError, match="'w' is not a numeric array"):
        nn.load(tmp_path / "pickled.npz")


def test_G5_load_state_dict_checks_everything_first_and_lists_every_problem():
    net = model()
    before = {k: v.copy() for k, v in net.state_dict().items()}
    state = net.state_dict()
    state["0.weight"] = np.full((4, 3), 7.0)  # would fit, must not be assigned
    del state["2.bias"]
    state["extra"] = np.ones(1)
    state["2.weight"] = np.ones((5, 5))
    with pytest.raises(nn.StateDictError) as info:
        net.load_state_dict(state)
    message = str(info.value)
    assert isinstance(info.value, ValueError)
    assert "'2.bias'" in message and "'extra'" in message and "2.weight" in message
    assert "(5, 5)" in message and "(2, 4)" in message
    for key, value in net.state_dict().items():
        np.testing.assert_array_equal(value, before[key])  # all or nothing


def test_G5_strict_false_returns_missing_and_unexpected_but_refuses_shapes():
    net = model()
    state = net.state_dict()
    del state["2.bias"]
    state["extra"] = np.ones(1)
    result = net.load_state_dict(state, strict=False)
    assert result.missing_keys == ["2.bias"] and result.unexpected_keys == ["extra"]
    state["0.bias"] = np.ones(7)
    with pytest.raises(nn.StateDictError, match=r"0\.bias"):
        net.load_state_dict(state, strict=False)


def test_G6_a_dtype_mismatch_is_cast_to_the_parameters_dtype():
    net = nn.Linear(2, 2)
    state = {k: v.astype(np.float32) for k, v in net.state_dict().items()}
    net.load_state_dict(state)
    assert net.weight.dtype == np.float64
    np.testing.assert_array_equal(net.weight.data, state["weight"])


def test_G7_an_optimizer_state_dict_for_other_groups_names_the_counts():
    a, b = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(3))
    saved = optim.SGD([a, b], lr=0.1, momentum=0.9).state_dict()
    other = optim.SGD([a], lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match=r"group 0 has 2 parameters in the state dict but 1 "
                                         r"in the optimizer"):
        other.load_state_dict(saved)
    two_groups = optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).state_dict()
    with pytest.raises(ValueError, match=r"2 parameter groups, but the optimizer has 1"):
        optim.SGD([a, b], lr=0.1).load_state_dict(two_groups)


def test_G8_pickling_keeps_values_never_the_graph_or_gradients():
    x = Tensor([1.0, 2.0], requires_grad=True, name="x")
    y = x * 3
    y.sum().backward()
    restored = pickle.loads(pickle.dumps(y))
    assert restored.is_leaf and restored.requires_grad and restored.grad_fn is None
    np.testing.assert_array_equal(restored.data, [3.0, 6.0])
    leaf = pickle.loads(pickle.dumps(x))
    assert leaf.name == "x" and leaf._grad is None and leaf.requires_grad


def test_G8_deepcopy_copies_leaves_and_modules_and_refuses_intermediates():
    x = Tensor(np.array([1.0], dtype=np.float32), requires_grad=True)
    clone = copy.deepcopy(x)
    assert clone.dtype == np.float32 and clone.requires_grad
    assert not np.shares_memory(clone.data, x.data)
    with pytest.raises(RuntimeError, match=r"deepcopy: only leaf tensors .* made by 'mul'"):
        copy.deepcopy(x * 2)
    net = model()
    twin = copy.deepcopy(net)
    assert all(type(p) is nn.Parameter for p in twin.parameters())
    twin[0].weight.data[...] = 0
    assert not np.all(net[0].weight.data == 0)
