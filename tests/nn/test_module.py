"""Module and Parameter: registration, walking the tree, modes, state dicts, repr, pickling."""

import copy
import pickle

import numpy as np
import pytest

import nn
from autograd import Tensor


class Affine(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.scale = nn.Parameter(np.ones(n))
        self.shift = nn.Parameter(np.zeros(n))

    def forward(self, x):
        return x * self.scale + self.shift


class TwoBlocks(nn.Module):
    def __init__(self):
        super().__init__()
        self.first = Affine(3)
        self.gain = nn.Parameter(2.0)
        self.second = nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 1))

    def forward(self, x):
        return self.second(self.first(x) * self.gain)


def test_parameter_is_a_leaf_that_requires_grad_and_copies_its_data():
    data = np.array([1.0, 2.0])
    p = nn.Parameter(data)
    data[0] = 99.0
    assert p.requires_grad and p.is_leaf and p.grad_fn is None
    assert p.data.tolist() == [1.0, 2.0]
    assert nn.Parameter(np.ones(2, dtype=np.float32)).dtype == np.float32
    assert nn.Parameter([1, 2]).dtype == np.float64


def test_parameter_refuses_integer_arrays():
    with pytest.raises(TypeError, match="floating dtype"):
        nn.Parameter(np.array([1, 2]))


def test_parameters_come_module_by_module_as_in_pytorch_with_path_names():
    """PyTorch's order: a module's own parameters (gain, registered between the two
    blocks), then each submodule's, depth first, in assignment order."""
    model = TwoBlocks()
    names = [name for name, _ in model.named_parameters()]
    assert names == ["gain", "first.scale", "first.shift", "second.0.weight", "second.0.bias",
                     "second.2.weight", "second.2.bias"]
    for name, param in model.named_parameters():
        assert param.name == name  # graph pictures show the path
    assert [p for p in model.parameters()] == [p for _, p in model.named_parameters()]


def test_named_parameters_without_recursion_lists_own_parameters_only():
    assert [n for n, _ in TwoBlocks().named_parameters(recurse=False)] == ["gain"]


def test_modules_walks_the_tree_depth_first_once_each():
    model = TwoBlocks()
    paths = [path for path, _ in model.named_modules()]
    assert paths == ["", "first", "second", "second.0", "second.1", "second.2"]
    assert list(model.modules())[0] is model
    assert [type(m).__name__ for m in model.children()] == ["Affine", "Sequential"]


def test_shared_parameter_is_listed_once():
    layer = nn.Linear(2, 2)
    model = nn.Sequential(layer, nn.ReLU(), layer)
    assert len(list(model.parameters())) == 2
    assert model.num_parameters() == 6


def test_reassigning_an_attribute_unregisters_it():
    model = Affine(2)
    model.shift = None
    assert [n for n, _ in model.named_parameters()] == ["scale"]
    del model.scale
    assert list(model.parameters()) == []


def test_assigning_a_plain_tensor_to_a_parameter_name_is_refused():
    model = Affine(2)
    with pytest.raises(TypeError, match="'scale'.*nn.Parameter"):
        model.scale = model.scale * 2


def test_assigning_a_parameter_before_init_names_the_mistake():
    class Forgot(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(1.0)

    with pytest.raises(AttributeError, match="super\\(\\).__init__"):
        Forgot()


def test_forward_must_be_defined():
    with pytest.raises(NotImplementedError, match="Module has no forward"):
        nn.Module()(1.0)


def test_zero_grad_sets_gradients_to_none_or_to_zeros():
    model = Affine(3)
    model(Tensor(np.arange(3.0))).sum().backward()
    assert model.scale.grad.data.tolist() == [0.0, 1.0, 2.0]
    model.zero_grad(set_to_none=False)
    assert model.scale.grad.data.tolist() == [0.0, 0.0, 0.0]
    model.zero_grad()
    assert model.scale.grad is None and model.shift.grad is None


def test_train_and_eval_set_the_mode_of_every_descendant():
    model = TwoBlocks()
    assert all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_requires_grad_false_freezes_every_parameter():
    model = TwoBlocks().requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())


def test_to_float32_casts_parameters_and_the_forward_stays_float32():
    model = TwoBlocks().to(np.float32)
    assert {p.dtype for p in model.parameters()} == {np.dtype(np.float32)}
    assert model(np.ones((4, 3), dtype=np.float32)).dtype == np.float32
    with pytest.raises(TypeError, match="floating dtype"):
        model.to(np.int64)


# -- state dicts ------------------------------------------------------------------------


def test_state_dict_is_an_ordered_snapshot_of_copies():
    model = Affine(2)
    state = model.state_dict()
    assert list(state) == ["scale", "shift"]
    model.scale.data[0] = 5.0
    assert state["scale"].tolist() == [1.0, 1.0]


def test_load_state_dict_round_trips_between_two_models():
    a, b = TwoBlocks(), TwoBlocks()
    result = b.load_state_dict(a.state_dict())
    assert result == nn.IncompatibleKeys([], [])
    x = np.random.default_rng(0).normal(size=(5, 3))
    np.testing.assert_array_equal(a(x).data, b(x).data)


def test_load_state_dict_lists_every_problem_and_assigns_nothing():
    model = TwoBlocks()
    before = model.state_dict()
    state = model.state_dict()
    del state["gain"]
    state["extra"] = np.zeros(1)
    state["second.0.weight"] = np.zeros((5, 5))
    state["first.scale"] = np.full(3, 7.0)  # valid: must not be applied either
    with pytest.raises(nn.StateDictError) as info:
        model.load_state_dict(state)
    message = str(info.value)
    assert "missing key(s): 'gain'" in message
    assert "unexpected key(s): 'extra'" in message
    assert "'second.0.weight'" in message and "(5, 5)" in message and "(2, 3)" in message
    assert isinstance(info.value, ValueError)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


def test_load_state_dict_non_strict_returns_missing_and_unexpected_keys():
    model = Affine(2)
    result = model.load_state_dict({"scale": np.full(2, 3.0), "bogus": np.ones(1)},
                                   strict=False)
    assert result.missing_keys == ["shift"] and result.unexpected_keys == ["bogus"]
    assert model.scale.data.tolist() == [3.0, 3.0]


def test_load_state_dict_non_strict_still_refuses_shape_mismatches():
    model = Affine(2)
    with pytest.raises(nn.StateDictError, match="size mismatch for 'scale'"):
        model.load_state_dict({"scale": np.ones(3)}, strict=False)


def test_load_state_dict_casts_to_the_parameter_dtype_and_refuses_non_numbers():
    model = Affine(2).to(np.float32)
    model.load_state_dict({"scale": np.array([1.5, 2.5]), "shift": np.array([1, 2])})
    assert model.scale.dtype == np.float32 and model.shift.data.tolist() == [1.0, 2.0]
    with pytest.raises(nn.StateDictError, match="unsupported dtype"):
        model.load_state_dict({"scale": np.array(["a", "b"]), "shift": np.zeros(2)})


def test_load_state_dict_keeps_parameter_identity_so_optimisers_still_hold_them():
    model = Affine(2)
    scale = model.scale
    model.load_state_dict({"scale": np.array([4.0, 5.0]), "shift": np.zeros(2)})
    assert model.scale is scale and scale.data.tolist() == [4.0, 5.0]


# -- repr -------------------------------------------------------------------------------


def test_repr_is_nested_with_parameter_counts():
    text = repr(nn.MLP(4, [3], 2))
    assert text == (
        "MLP(\n"
        "  (layers): Sequential(\n"
        "    (0): Linear(in_features=4, out_features=3, bias=True)  # 15 params\n"
        "    (1): ReLU()\n"
        "    (2): Linear(in_features=3, out_features=2, bias=True)  # 8 params\n"
        "  )  # 23 params\n"
        ")  # 23 params"
    )


def test_parameter_repr_says_parameter_and_name():
    assert repr(Affine(2).scale).startswith("Parameter([1., 1.], requires_grad=True")
    assert "name='scale'" in repr(Affine(2).scale)


# -- pickling and copying ---------------------------------------------------------------


def test_pickled_module_keeps_values_and_drops_gradients():
    model = TwoBlocks()
    x = np.random.default_rng(1).normal(size=(4, 3))
    model(x).sum().backward()
    clone = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(clone(x).data, model(x).data)
    assert [n for n, _ in clone.named_parameters()] == [n for n, _ in model.named_parameters()]
    assert all(p.grad is None and p.requires_grad for p in clone.parameters())
    assert all(type(p) is nn.Parameter for p in clone.parameters())


def test_deepcopy_is_independent_and_keeps_shared_parameters_shared():
    layer = nn.Linear(2, 2)
    model = nn.Sequential(layer, layer)
    clone = copy.deepcopy(model)
    assert clone[0].weight is clone[1].weight
    clone[0].weight.data[...] = 0
    assert not np.all(model[0].weight.data == 0)


class BufferFirst(nn.Module):
    """Members registered in an order PyTorch does not list them in."""

    def __init__(self):
        super().__init__()
        self.register_buffer("steps", Tensor(np.zeros(1)))
        self.inner = nn.BatchNorm1d(2)
        self.scale = nn.Parameter(np.ones(2))
        self.register_buffer("scratch", Tensor(np.zeros(2)), persistent=False)


def test_state_dict_lists_each_modules_parameters_then_buffers_then_its_children():
    model = BufferFirst()
    assert list(model.state_dict()) == [
        "scale", "steps", "inner.weight", "inner.bias", "inner.running_mean",
        "inner.running_var", "inner.num_batches_tracked"]
    assert [n for n, _ in model.named_parameters()] == ["scale", "inner.weight", "inner.bias"]
    assert [n for n, _ in model.named_buffers()] == [
        "steps", "scratch", "inner.running_mean", "inner.running_var",
        "inner.num_batches_tracked"]


def test_parameter_buffer_and_state_dict_order_equal_pytorchs():
    torch = pytest.importorskip("torch")

    class TorchTwoBlocks(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.first = torch.nn.Module()
            self.first.scale = torch.nn.Parameter(torch.ones(3))
            self.first.shift = torch.nn.Parameter(torch.zeros(3))
            self.gain = torch.nn.Parameter(torch.tensor(2.0))
            self.second = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU(),
                                              torch.nn.Linear(2, 1))

    class TorchBufferFirst(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("steps", torch.zeros(1))
            self.inner = torch.nn.BatchNorm1d(2)
            self.scale = torch.nn.Parameter(torch.ones(2))
            self.register_buffer("scratch", torch.zeros(2), persistent=False)

    for ours, theirs in ((TwoBlocks(), TorchTwoBlocks()), (BufferFirst(), TorchBufferFirst())):
        assert [n for n, _ in ours.named_parameters()] == \
            [n for n, _ in theirs.named_parameters()]
        assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
        assert list(ours.state_dict()) == list(theirs.state_dict())
