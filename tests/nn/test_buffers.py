"""Module buffers (register_buffer): state that is saved and cast but not learned, with
PyTorch's semantics (issue 16)."""

import copy
import pickle

import numpy as np
import pytest

import nn
import optim
from autograd import Tensor


class Counter(nn.Module):
    """A parameter, a persistent buffer, a non-persistent one and an integer one."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(np.ones(2))
        self.register_buffer("total", Tensor(np.zeros(2)))
        self.register_buffer("scratch", Tensor(np.ones(3)), persistent=False)
        self.register_buffer("steps", Tensor(np.array(0, dtype=np.int64)))

    def forward(self, x):
        self.total += x.data.sum(axis=0)
        self.steps += 1
        return x * self.scale + self.total


class Outer(nn.Module):
    def __init__(self):
        super().__init__()
        self.inner = Counter()
        self.register_buffer("mask", Tensor(np.array([1.0, 0.0])))
        self.head = nn.Linear(2, 1)


def test_register_buffer_makes_an_attribute_listed_by_buffers_not_parameters():
    model = Counter()
    assert isinstance(model.total, Tensor) and model.total.data.tolist() == [0.0, 0.0]
    assert [n for n, _ in model.named_buffers()] == ["total", "scratch", "steps"]
    assert [b for b in model.buffers()][0] is model.total
    assert [n for n, _ in model.named_parameters()] == ["scale"]
    assert model.num_parameters() == 2
    assert not model.total.requires_grad


def test_named_buffers_walks_submodules_with_paths_and_recurse_false():
    model = Outer()
    # PyTorch's order: the module's own buffers, then its submodules' (torch 2.13 lists
    # mask, inner.total, inner.scratch, inner.steps for the same class)
    assert [n for n, _ in model.named_buffers()] == ["mask", "inner.total", "inner.scratch",
                                                     "inner.steps"]
    assert [n for n, _ in model.named_buffers(recurse=False)] == ["mask"]
    assert [n for n, _ in model.named_buffers(prefix="m")][1] == "m.inner.total"
    assert model.inner.total.name == "inner.total"  # listings and pictures show the path


def test_state_dict_holds_persistent_buffers_in_pytorch_order():
    model = Outer()
    assert list(model.state_dict()) == ["mask", "inner.scale", "inner.total", "inner.steps",
                                        "head.weight", "head.bias"]
    state = model.state_dict()
    assert state["inner.steps"].dtype == np.int64 and state["inner.steps"].shape == ()
    model.inner.total.data[0] = 5.0
    assert state["inner.total"][0] == 0.0  # a snapshot, as for parameters


def test_load_state_dict_restores_buffers_with_strict_keys_and_shape_checks():
    source, target = Counter(), Counter()
    source(Tensor(np.ones((3, 2))))
    result = target.load_state_dict(source.state_dict())
    assert result == nn.IncompatibleKeys([], [])
    assert target.total.data.tolist() == [3.0, 3.0] and int(target.steps.data) == 1
    assert target.steps.dtype == np.int64
    state = source.state_dict()
    del state["steps"]
    state["total"] = np.zeros(5)
    with pytest.raises(nn.StateDictError) as info:
        target.load_state_dict(state)
    assert "missing key(s): 'steps'" in str(info.value)
    assert "size mismatch for 'total'" in str(info.value) and "buffer" in str(info.value)
    assert target.total.data.tolist() == [3.0, 3.0]  # all or nothing


def test_load_state_dict_keeps_buffer_identity():
    model = Counter()
    total = model.total
    model.load_state_dict(Counter().state_dict())
    assert model.total is total


def test_non_persistent_buffer_is_not_saved_and_not_expected():
    model = Counter()
    assert "scratch" not in model.state_dict()
    model.load_state_dict(Counter().state_dict())  # strict: no missing 'scratch'
    with pytest.raises(nn.StateDictError, match="unexpected key.*'scratch'"):
        model.load_state_dict({**Counter().state_dict(), "scratch": np.ones(3)})


def test_assigning_a_tensor_to_a_buffer_name_replaces_the_buffer():
    model = Counter()
    model.total = Tensor(np.full(2, 7.0))
    assert model.state_dict()["total"].tolist() == [7.0, 7.0]
    assert [n for n, _ in model.named_buffers()][0] == "total"
    model.scratch = Tensor(np.zeros(1))
    assert "scratch" not in model.state_dict()  # stays non-persistent


def test_assigning_a_non_tensor_to_a_buffer_is_refused():
    model = Counter()
    with pytest.raises(TypeError, match="buffer 'total'.*Tensor"):
        model.total = np.zeros(2)


def test_buffer_none_is_registered_but_not_listed_or_saved():
    model = nn.Module()
    model.register_buffer("running_mean", None)
    assert model.running_mean is None
    assert list(model.named_buffers()) == [] and list(model.state_dict()) == []
    model.running_mean = Tensor(np.zeros(2))  # the name is still a buffer
    assert list(model.state_dict()) == ["running_mean"]


def test_register_buffer_refuses_bad_names_values_and_existing_attributes():
    model = Counter()
    with pytest.raises(KeyError, match="already exists"):
        model.register_buffer("scale", Tensor(np.zeros(2)))
    with pytest.raises(KeyError, match="already exists"):
        model.register_buffer("forward", Tensor(np.zeros(2)))
    with pytest.raises(KeyError, match="buffer name can"):
        model.register_buffer("a.b", Tensor(np.zeros(2)))
    with pytest.raises(TypeError, match="must be a Tensor or None"):
        model.register_buffer("raw", np.zeros(2))
    with pytest.raises(TypeError, match="register_parameter"):
        model.register_buffer("learned", nn.Parameter(np.zeros(2)))

    class Forgot(nn.Module):
        def __init__(self):
            self.register_buffer("x", Tensor(np.zeros(1)))

    with pytest.raises(AttributeError, match="super\\(\\).__init__"):
        Forgot()


def test_assigning_a_parameter_or_deleting_turns_a_buffer_into_something_else():
    model = Counter()
    model.total = nn.Parameter(np.zeros(2))
    assert "total" in dict(model.named_parameters())
    assert "total" not in dict(model.named_buffers())
    del model.steps
    assert "steps" not in model.state_dict()


def test_to_casts_floating_buffers_and_keeps_integer_ones():
    model = Counter().to(np.float32)
    assert model.total.dtype == np.float32 and model.scratch.dtype == np.float32
    assert model.steps.dtype == np.int64
    assert model.scale.dtype == np.float32


def test_optimizers_never_see_buffers():
    model = Counter()
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    assert sum(len(group["params"]) for group in optimizer.param_groups) == 1
    out = model(Tensor(np.ones((1, 2))))
    out.sum().backward()
    optimizer.step()
    assert model.total.grad is None and model.total.data.tolist() == [1.0, 1.0]


@pytest.mark.parametrize("suffix", [".safetensors", ".npz"])
def test_checkpoints_save_and_restore_buffers(tmp_path, suffix):
    source = Outer()
    source.inner(Tensor(np.ones((2, 2))))
    path = tmp_path / f"model{suffix}"
    nn.save(source.state_dict(), path)
    loaded = nn.load(path)
    assert list(loaded) == list(source.state_dict())
    assert loaded["inner.steps"].dtype == np.int64 and loaded["inner.steps"].shape == ()
    target = Outer()
    target.load_state_dict(loaded)
    assert target.inner.total.data.tolist() == [2.0, 2.0] and int(target.inner.steps.data) == 1


def test_checkpoint_of_a_whole_run_keeps_buffers(tmp_path):
    model = Counter()
    model(Tensor(np.ones((2, 2))))
    path = tmp_path / "run.safetensors"
    nn.save({"model": model.state_dict(), "epoch": 3}, path)
    restored = Counter()
    restored.load_state_dict(nn.load(path)["model"])
    assert int(restored.steps.data) == 1


def test_pickle_and_deepcopy_keep_buffers_registered():
    model = Counter()
    model(Tensor(np.ones((1, 2))))
    for clone in (pickle.loads(pickle.dumps(model)), copy.deepcopy(model)):
        assert [n for n, _ in clone.named_buffers()] == ["total", "scratch", "steps"]
        assert "scratch" not in clone.state_dict()
        assert clone.total is not model.total and clone.total.data.tolist() == [1.0, 1.0]


def test_repr_counts_parameters_only():
    assert repr(Counter()) == "Counter()  # 2 params"
