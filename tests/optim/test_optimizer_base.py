"""The Optimizer contract shared by all optimisers: construction, errors, step,
zero_grad, parameter groups, state_dict / load_state_dict and repr."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from optim_problem import flat, make_params, run, set_grads

import autograd
from autograd import Tensor
from optim import SGD, Adadelta, Adagrad, Adam, AdamW, Momentum, Nesterov, Optimizer, RMSprop

ALL_OPTIMIZERS = [
    (SGD, {"lr": 0.05}),
    (SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    (SGD, {"lr": 0.002, "momentum": 0.5, "dampening": 0.2, "maximize": True}),
    (Momentum, {"lr": 0.05}),
    (Nesterov, {"lr": 0.05}),
    (Adagrad, {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1}),
    (Adadelta, {"weight_decay": 0.01}),
    (RMSprop, {"momentum": 0.5, "centered": True}),
    (Adam, {"lr": 0.05, "amsgrad": True}),
    (AdamW, {"lr": 0.05}),
]
IDS = [f"{cls.__name__}{sorted(kw)}" for cls, kw in ALL_OPTIMIZERS]


def param(values=(1.0, 2.0, 3.0), name=None, dtype=np.float64):
    return Tensor(np.array(values, dtype=dtype), requires_grad=True, name=name)


# -- construction errors -----------------------------------------------------------------


def test_empty_parameter_list_is_rejected():
    with pytest.raises(ValueError, match="^optimizer got an empty parameter list$"):
        SGD([], lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        Adam(p for p in [])


def test_a_bare_tensor_is_not_an_iterable_of_parameters():
    with pytest.raises(TypeError, match="iterable of Tensors or dicts, but got Tensor"):
        SGD(param(), lr=0.1)


def test_a_set_of_parameters_is_rejected_because_its_order_is_not_stable():
    with pytest.raises(TypeError, match="ordered collection"):
        SGD({param()}, lr=0.1)


def test_a_non_iterable_is_a_type_error():
    with pytest.raises(TypeError, match="iterable of Tensors or dicts, but got int"):
        SGD(3, lr=0.1)


def test_non_tensor_parameters_are_a_type_error():
    with pytest.raises(TypeError, match="parameter 1 of group 0 is ndarray"):
        SGD([param(), np.ones(3)], lr=0.1)


def test_a_parameter_that_does_not_require_grad_is_rejected():
    frozen = Tensor(np.ones((2, 2)), requires_grad=False, name="frozen")
    with pytest.raises(
        ValueError,
        match=r"parameter 1 of group 0 \('frozen', shape \(2, 2\)\)"
        r" has requires_grad=False",
    ):
        SGD([param(), frozen], lr=0.1)


def test_a_non_leaf_tensor_is_rejected():
    w = param()
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        SGD([w * 2.0], lr=0.1)


def test_the_same_tensor_in_two_groups_is_rejected_by_name():
    w, b = param(name="w"), param(name="b")
    with pytest.raises(
        ValueError,
        match=r"parameter 0 of group 1 \('w', shape \(3,\)\) is "
        r"already parameter 0 of group 0",
    ):
        SGD([{"params": [w, b]}, {"params": [w]}], lr=0.1)


def test_the_same_tensor_twice_in_one_group_is_rejected():
    w = param(name="w")
    with pytest.raises(ValueError, match="'w'.*already parameter 0 of group 0"):
        Adam([w, w])


def test_a_group_without_params_is_rejected():
    opt = SGD([param()], lr=0.1)
    with pytest.raises(ValueError, match="no 'params' entry"):
        opt.add_param_group({"lr": 0.1})
    with pytest.raises(TypeError, match="must be a dict"):
        opt.add_param_group([param()])


BAD_HYPERPARAMETERS = [
    (SGD, {"lr": -0.1}, "Invalid learning rate: -0.1"),
    (SGD, {"lr": float("nan")}, "Invalid learning rate: nan"),
    (SGD, {"lr": 0.1, "momentum": -0.5}, "Invalid momentum value: -0.5"),
    (SGD, {"lr": 0.1, "weight_decay": -1e-4}, "Invalid weight_decay value: -0.0001"),
    (
        SGD,
        {"lr": 0.1, "nesterov": True},
        "Nesterov momentum requires a momentum and zero dampening",
    ),
    (
        SGD,
        {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "nesterov": True},
        "Nesterov momentum requires a momentum and zero dampening",
    ),
    (Adagrad, {"lr": -1.0}, "Invalid learning rate: -1.0"),
    (Adagrad, {"lr_decay": -0.1}, "Invalid lr_decay value: -0.1"),
    (Adagrad, {"initial_accumulator_value": -1}, "Invalid initial_accumulator_value value: -1"),
    (Adagrad, {"eps": 0.0}, "Invalid epsilon value: 0.0"),
    (Adadelta, {"rho": 1.5}, "Invalid rho value: 1.5"),
    (Adadelta, {"eps": -1e-6}, "Invalid epsilon value: -1e-06"),
    (Adadelta, {"weight_decay": -1}, "Invalid weight_decay value: -1"),
    (RMSprop, {"alpha": -0.1}, "Invalid alpha value: -0.1"),
    (RMSprop, {"momentum": -0.1}, "Invalid momentum value: -0.1"),
    (RMSprop, {"eps": 0}, "Invalid epsilon value: 0"),
    (Adam, {"betas": (1.0, 0.999)}, "Invalid beta parameter at index 0: 1.0"),
    (Adam, {"betas": (0.9, -0.1)}, "Invalid beta parameter at index 1: -0.1"),
    (Adam, {"betas": (0.9,)}, "betas must be a pair"),
    (Adam, {"eps": 0.0}, "Invalid epsilon value: 0.0"),
    (Adam, {"lr": -0.1}, "Invalid learning rate: -0.1"),
    (AdamW, {"weight_decay": -0.01}, "Invalid weight_decay value: -0.01"),
    (AdamW, {"betas": (0.9, 1.0)}, "Invalid beta parameter at index 1: 1.0"),
    (Momentum, {"momentum": -0.9}, "Invalid momentum value: -0.9"),
    (Nesterov, {"momentum": 0}, "Nesterov momentum requires a momentum"),
]


@pytest.mark.parametrize(
    "cls, kwargs, message",
    BAD_HYPERPARAMETERS,
    ids=[f"{c.__name__}-{m[:30]}" for c, _, m in BAD_HYPERPARAMETERS],
)
def test_invalid_hyperparameters_raise_pytorchs_value_error(cls, kwargs, message):
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(".", r"\.")):
        cls([param()], **kwargs)


def test_invalid_hyperparameters_in_a_group_are_caught_too():
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        SGD([{"params": [param()], "lr": -1}], lr=0.1)
    opt = Adam([param()])
    with pytest.raises(ValueError, match="Invalid beta parameter at index 0: 2"):
        opt.add_param_group({"params": [param()], "betas": (2, 0.9)})
    assert len(opt.param_groups) == 1


def test_a_hyperparameter_that_is_not_a_number_is_a_type_error():
    with pytest.raises(TypeError, match="lr must be a real number, got str '0.1'"):
        SGD([param()], lr="0.1")
    with pytest.raises(TypeError, match=r"betas\[1\] must be a real number"):
        Adam([param()], betas=(0.9, None))


def test_an_unchanged_group_is_not_validated_again_at_every_step(monkeypatch):
    # Issue 14 (W6 time): the group is checked when its values change, not per step.
    w = param()
    opt = Adam([w], lr=0.01)
    calls = []
    monkeypatch.setattr(opt, "_validate", lambda group: calls.append(dict(group)))
    opt.param_groups[0]._validate = opt._validate
    for _ in range(3):
        w.grad = Tensor(np.ones(3))
        opt.step()
    assert len(calls) == 1  # the first step: nothing had been checked by this function
    opt.param_groups[0]["lr"] = 0.02  # checked where assigned
    dict.__setitem__(opt.param_groups[0], "eps", 1e-6)  # behind the group's back
    opt.step()
    assert [c["eps"] for c in calls[1:]] == [1e-8, 1e-6]


def test_a_list_hyperparameter_edited_in_place_is_caught_at_the_next_step():
    w = param()
    opt = Adam([w], betas=[0.9, 0.999])
    w.grad = Tensor(np.ones(3))
    opt.step()
    before = w.data.copy()
    opt.param_groups[0]["betas"][0] = 1.5
    with pytest.raises(ValueError, match="Invalid beta parameter at index 0: 1.5"):
        opt.step()
    np.testing.assert_array_equal(w.data, before)


# -- defaults and groups -----------------------------------------------------------------


def test_defaults_are_pytorchs():
    w = [param()]
    assert SGD(w).defaults == dict(
        lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, maximize=False
    )
    assert Adagrad(w).defaults == dict(
        lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10, maximize=False
    )
    assert Adadelta(w).defaults == dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False)
    assert RMSprop(w).defaults == dict(
        lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False, maximize=False
    )
    assert Adam(w).defaults == dict(
        lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, maximize=False
    )
    assert AdamW(w).defaults["weight_decay"] == 1e-2


def test_groups_take_missing_hyperparameters_from_the_defaults():
    w, b = param(), param()
    opt = SGD([{"params": [w]}, {"params": b, "lr": 0.01}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.01]
    assert [g["momentum"] for g in opt.param_groups] == [0.9, 0.9]
    assert opt.param_groups[1]["params"] == [b] or opt.param_groups[1]["params"][0] is b


def test_add_param_group_steps_the_new_group_with_its_own_lr():
    w, b = param(), param()
    opt = SGD([w], lr=0.1)
    opt.add_param_group({"params": [b], "lr": 0.5})
    w.grad, b.grad = Tensor(np.ones(3)), Tensor(np.ones(3))
    opt.step()
    np.testing.assert_allclose(w.data, [0.9, 1.9, 2.9])
    np.testing.assert_allclose(b.data, [0.5, 1.5, 2.5])
    with pytest.raises(ValueError, match="already parameter 0 of group 1"):
        opt.add_param_group({"params": [b]})


def test_state_is_keyed_by_the_tensor_itself():
    w = param()
    opt = Adam([w], lr=0.1)
    w.grad = Tensor(np.ones(3))
    opt.step()
    assert set(opt.state[w]) == {"step", "exp_avg", "exp_avg_sq"}
    assert opt.state[w]["step"] == 1


# -- the step ----------------------------------------------------------------------------


@pytest.mark.parametrize("cls, kwargs", ALL_OPTIMIZERS, ids=IDS)
def test_step_updates_data_in_place_and_keeps_views_valid(cls, kwargs):
    w = param(np.linspace(-1.0, 1.0, 6).reshape(2, 3))
    data, view = w.data, w.data[1]
    opt = cls([w], **kwargs)
    before, version = view.copy(), w._version
    w.grad = Tensor(np.full((2, 3), 0.5))
    opt.step()
    assert w.data is data
    assert w._version > version, "the step counts as an in-place change of w"
    assert not np.array_equal(view, before), "a view taken before the step sees the update"
    assert w.grad_fn is None and w.requires_grad


@pytest.mark.parametrize("cls, kwargs", ALL_OPTIMIZERS, ids=IDS)
def test_float32_parameters_and_state_stay_float32(cls, kwargs):
    params = make_params(np.float32)
    opt = cls(params, **{k: np.float64(v) if k == "lr" else v for k, v in kwargs.items()})
    run(opt, params, steps=5)
    assert all(p.data.dtype == np.float32 for p in params)
    for state in opt.state.values():
        for value in state.values():
            if isinstance(value, np.ndarray):
                assert value.dtype == np.float32


@pytest.mark.parametrize("cls, kwargs", ALL_OPTIMIZERS, ids=IDS)
def test_a_parameter_whose_grad_is_none_is_skipped(cls, kwargs):
    w, frozen_now = param(name="w"), param(name="idle")
    opt = cls([w, frozen_now], **kwargs)
    w.grad = Tensor(np.ones(3))
    opt.step()
    np.testing.assert_array_equal(frozen_now.data, [1.0, 2.0, 3.0])
    assert frozen_now not in opt.state or not opt.state[frozen_now]
    assert not np.array_equal(w.data, [1.0, 2.0, 3.0])


def test_step_with_no_gradients_at_all_is_a_no_op():
    w = param()
    opt = Adam([w], lr=0.1)
    opt.step()
    np.testing.assert_array_equal(w.data, [1.0, 2.0, 3.0])
    assert not opt.state[w]


@pytest.mark.parametrize(
    "cls, kwargs",
    [
        (SGD, {"lr": 0.1, "momentum": 0.9}),
        (RMSprop, {"momentum": 0.9}),
        (Adam, {"lr": 0.1}),
        (Nesterov, {"lr": 0.1}),
    ],
    ids=["SGD", "RMSprop", "Adam", "Nesterov"],
)
def test_a_zero_gradient_still_steps_and_momentum_carries_on(cls, kwargs):
    w = param()
    opt = cls([w], **kwargs)
    w.grad = Tensor(np.ones(3))
    opt.step()
    after_first = w.data.copy()
    opt.zero_grad(set_to_none=False)
    opt.step()
    assert not np.array_equal(w.data, after_first), "the accumulated momentum moves w"
    if "step" in opt.state[w]:
        assert opt.state[w]["step"] == 2
    opt.zero_grad()  # set_to_none=True: the next step skips w entirely
    frozen = w.data.copy()
    opt.step()
    np.testing.assert_array_equal(w.data, frozen)


def test_zero_grad_sets_none_by_default_or_zeros_in_place():
    w, b = param(), param()
    opt = SGD([w, b], lr=0.1)
    w.grad, b.grad = Tensor(np.ones(3)), Tensor(np.ones(3))
    grad_object = b.grad
    opt.zero_grad(set_to_none=False)
    assert b.grad is grad_object
    np.testing.assert_array_equal(b.grad.data, np.zeros(3))
    opt.zero_grad()
    assert w.grad is None and b.grad is None


def test_step_does_not_build_graph_nodes_and_runs_under_no_grad():
    seen = []

    class Probe(SGD):
        def _update(self, p, grad, state, group):
            seen.append((p * 2.0).grad_fn)  # would be an operator node with grad enabled
            super()._update(p, grad, state, group)

    w = param()
    w.grad = Tensor(np.ones(3))
    Probe([w], lr=0.1).step()
    assert seen == [None]
    assert w.grad_fn is None


def test_closure_recomputes_the_loss_under_enable_grad_and_step_returns_it():
    w = param()
    target = np.array([0.5, -1.0, 2.0])
    opt = SGD([w], lr=0.1)
    calls = []

    def closure():
        opt.zero_grad()
        loss = ((w - Tensor(target)) ** 2).sum()
        loss.backward()
        calls.append(loss)
        return loss

    with autograd.no_grad():  # the closure still builds its graph
        returned = opt.step(closure)
    assert returned is calls[0] and len(calls) == 1
    np.testing.assert_allclose(returned.data, ((np.array([1.0, 2.0, 3.0]) - target) ** 2).sum())
    np.testing.assert_allclose(w.data, [1.0, 2.0, 3.0] - 0.1 * 2 * ([1.0, 2.0, 3.0] - target))
    assert opt.step() is None


def test_a_gradient_of_the_wrong_shape_changes_nothing():
    w, b = param(name="w"), param(name="b")
    opt = SGD([w, b], lr=0.1)
    w.grad, b.grad = Tensor(np.ones(3)), Tensor(np.ones((3, 1)))
    with pytest.raises(
        RuntimeError,
        match=r"gradient of parameter 1 of group 0 \('b', shape "
        r"\(3,\)\) has shape \(3, 1\), expected \(3,\)",
    ):
        opt.step()
    np.testing.assert_array_equal(w.data, [1.0, 2.0, 3.0])


def test_a_gradient_that_is_not_a_tensor_is_a_type_error():
    w = param()
    opt = SGD([w], lr=0.1)
    w.grad = np.ones(3)
    with pytest.raises(TypeError, match="is a ndarray; expected a Tensor"):
        opt.step()


def test_gradients_from_a_real_backward_give_the_same_trajectory():
    """The engine's backward and the hand-written gradient of optim_problem agree."""
    params, reference = make_params(), make_params()
    opt, ref_opt = Adam(params, lr=0.05), Adam(reference, lr=0.05)
    from optim_problem import PROBLEM

    for step in range(10):
        opt.zero_grad()
        loss = 0.0
        for p, s, c in zip(params, PROBLEM["scale"], PROBLEM["center"], strict=True):
            s, c = Tensor(np.array(s)), Tensor(np.array(c))
            loss = loss + 0.5 * (s * (p - c) ** 2).sum() + 0.25 * ((p * p - 1.0) ** 2).sum()
        loss.backward()
        opt.step()
        set_grads(reference, step)
        ref_opt.step()
    np.testing.assert_allclose(flat(params), flat(reference), rtol=1e-12, atol=1e-14)


# -- state_dict --------------------------------------------------------------------------


def two_group(cls, kwargs, params):
    second_lr = kwargs["lr"] / 2 if "lr" in kwargs else 0.004
    return cls([{"params": [params[0]]}, {"params": [params[1]], "lr": second_lr}], **kwargs)


@pytest.mark.parametrize("cls, kwargs", ALL_OPTIMIZERS, ids=IDS)
def test_state_dict_round_trip_continues_the_identical_trajectory(cls, kwargs):
    params = make_params()
    opt = two_group(cls, kwargs, params)
    run(opt, params, steps=7)
    saved = opt.state_dict()

    clones = [Tensor(p.data.copy(), requires_grad=True) for p in params]
    fresh = two_group(cls, {}, clones)  # default hyperparameters until the load
    fresh.load_state_dict(saved)
    assert fresh.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    np.testing.assert_array_equal(run(fresh, clones, steps=8), run(opt, params, steps=8))


def test_state_dict_numbers_parameters_and_copies_arrays():
    w, b = param(name="w"), param(name="b")
    opt = SGD([{"params": [w]}, {"params": [b], "lr": 0.5}], lr=0.1, momentum=0.9)
    w.grad = Tensor(np.ones(3))
    opt.step()
    saved = opt.state_dict()
    assert [g["params"] for g in saved["param_groups"]] == [[0], [1]]
    assert saved["param_groups"][1]["lr"] == 0.5
    assert list(saved["state"]) == [0]  # b has no state: it never had a gradient
    buffer = saved["state"][0]["momentum_buffer"]
    opt.step()
    np.testing.assert_array_equal(buffer, np.ones(3)), "later steps leave the saved copy alone"
    opt.load_state_dict(saved)
    opt.step()
    np.testing.assert_array_equal(saved["state"][0]["momentum_buffer"], np.ones(3))


def test_load_state_dict_casts_state_to_the_parameters_dtype():
    w64, w32 = param(), param(dtype=np.float32)
    opt64 = Adam([w64], lr=0.1)
    w64.grad = Tensor(np.ones(3))
    opt64.step()
    opt32 = Adam([w32], lr=0.1)
    opt32.load_state_dict(opt64.state_dict())
    assert opt32.state[w32]["exp_avg"].dtype == np.float32


def test_step_counts_saved_as_numpy_integers_load_as_ints():
    w = param()
    opt = Adam([w], lr=0.1)
    w.grad = Tensor(np.ones(3))
    opt.step()
    saved = opt.state_dict()
    saved["state"][0]["step"] = np.array(1)  # what an .npz round trip gives back
    opt.load_state_dict(saved)
    assert opt.state[w]["step"] == 1 and isinstance(opt.state[w]["step"], int)


def stepped_adam():
    w, b = param(name="w"), param((1.0, 2.0), name="b")
    opt = Adam([w, b], lr=0.1)
    w.grad, b.grad = Tensor(np.ones(3)), Tensor(np.ones(2))
    opt.step()
    return opt


def assert_load_fails_and_changes_nothing(opt, state_dict, error, match):
    before = copy.deepcopy(opt.state_dict())
    with pytest.raises(error, match=match):
        opt.load_state_dict(state_dict)
    after = opt.state_dict()
    assert after["param_groups"] == before["param_groups"]
    for idx, entries in before["state"].items():
        for key, value in entries.items():
            np.testing.assert_array_equal(after["state"][idx][key], value)


def test_load_state_dict_rejects_a_different_number_of_groups():
    opt = stepped_adam()
    saved = opt.state_dict()
    saved["param_groups"].append({**saved["param_groups"][0], "params": []})
    assert_load_fails_and_changes_nothing(
        opt, saved, ValueError, "loaded state dict has 2 parameter groups, but the optimizer has 1"
    )


def test_load_state_dict_rejects_a_different_number_of_parameters():
    opt = stepped_adam()
    saved = opt.state_dict()
    saved["param_groups"][0]["params"] = [0, 1, 2]
    saved["param_groups"][0]["lr"] = 0.5
    assert_load_fails_and_changes_nothing(
        opt, saved, ValueError, "group 0 has 3 parameters in the state dict but 2 in the optimizer"
    )


def test_load_state_dict_rejects_mis_shaped_state_before_assigning_anything():
    opt = stepped_adam()
    saved = opt.state_dict()
    saved["param_groups"][0]["lr"] = 0.5  # would be applied first by a careless load
    saved["state"][0]["exp_avg"] = np.zeros(3) + 7.0
    saved["state"][1]["exp_avg_sq"] = np.zeros((2, 2))
    assert_load_fails_and_changes_nothing(
        opt,
        saved,
        ValueError,
        r"state 'exp_avg_sq' of parameter 1 has shape \(2, 2\), but the parameter has shape "
        r"\(2,\)",
    )


def test_load_state_dict_rejects_another_optimizers_state():
    w = param()
    sgd = SGD([w], lr=0.1, momentum=0.9)
    opt = Adam([param()])
    assert_load_fails_and_changes_nothing(
        opt, sgd.state_dict(), ValueError, r"lacks hyperparameter\(s\) \['amsgrad', 'betas'"
    )


def test_load_state_dict_rejects_unknown_indices_and_bad_hyperparameters():
    opt = stepped_adam()
    saved = opt.state_dict()
    saved["state"][5] = saved["state"].pop(1)
    assert_load_fails_and_changes_nothing(opt, saved, ValueError, "parameter index 5")
    saved = opt.state_dict()
    saved["param_groups"][0]["lr"] = -3.0
    assert_load_fails_and_changes_nothing(opt, saved, ValueError, "Invalid learning rate: -3.0")
    assert_load_fails_and_changes_nothing(opt, {"state": {}}, ValueError, "param_groups")
    with pytest.raises(TypeError, match=r"expected a dict like optimizer.state_dict\(\) "
                                        "returns, got a list"):
        opt.load_state_dict([])


def test_load_state_dict_keeps_the_group_dicts_a_scheduler_holds():
    opt = stepped_adam()
    group = opt.param_groups[0]
    saved = opt.state_dict()
    saved["param_groups"][0]["lr"] = 0.25
    opt.load_state_dict(saved)
    assert opt.param_groups[0] is group and group["lr"] == 0.25


# -- repr --------------------------------------------------------------------------------


def test_repr_lists_each_group_and_its_hyperparameters():
    w, b = param(), param(np.ones((2, 2)))
    text = repr(SGD([{"params": [w]}, {"params": [b], "lr": 0.01}], lr=0.1, momentum=0.9))
    assert text.startswith("SGD (\nParameter Group 0\n")
    assert "    params: 1 tensors of shapes (3,)" in text
    assert "    momentum: 0.9" in text and "    lr: 0.01" in text
    assert "Parameter Group 1" in text and "(2, 2)" in text
    assert text.endswith(")")


def test_optimizer_subclass_without_update_says_so():
    class Incomplete(Optimizer):
        pass

    w = param()
    opt = Incomplete([w], {"lr": 0.1})
    w.grad = Tensor(np.ones(3))
    with pytest.raises(NotImplementedError, match="Incomplete must define _update"):
        opt.step()


def test_a_graph_that_saved_a_parameter_before_the_step_refuses_backward_after_it():
    w = param(name="w")
    opt = SGD([w], lr=0.1)
    loss = (w * w).sum()  # mul saves w's values for its backward
    w.grad = Tensor(np.ones(3))
    version = w._version
    opt.step()
    assert w._version > version
    with pytest.raises(RuntimeError, match="modified in place"):
        loss.backward()


def test_zero_grad_replaces_a_create_graph_gradient_instead_of_mutating_it():
    w = param()
    (w * w).sum().backward(create_graph=True)
    graph_grad = w.grad
    assert graph_grad.grad_fn is not None
    SGD([w], lr=0.1).zero_grad(set_to_none=False)
    np.testing.assert_array_equal(w.grad.data, np.zeros(3))
    np.testing.assert_array_equal(graph_grad.data, [2.0, 4.0, 6.0])
    assert w.grad.grad_fn is None
