"""Issue 13, items 10, 12, 13, 14 and 16: interrupts, nonsense refused before work starts,
hyperparameters checked when set and when read, state-dict arguments, member names."""

import copy
import os
import pickle
import signal

import numpy as np
import pytest

import nn
import optim
from nn.datasets import make_moons
from optim import lr_scheduler

X, Y = make_moons(64, noise=0.1, seed=0)


def setup(opt=optim.SGD, **kwargs):
    model = nn.MLP(2, [8], 2, generator=0)
    return model, opt(model.parameters(), **({"lr": 0.05} | kwargs))


def loader():
    return nn.DataLoader(X, Y, batch_size=16, shuffle=True, seed=0)


def ctrl_c():
    """A real SIGINT to this process, as a terminal's Ctrl-C sends."""
    os.kill(os.getpid(), signal.SIGINT)


def snapshot(model):
    return [p.data.copy() for p in model.parameters()]


# -- 12: Ctrl-C ------------------------------------------------------------------------------


def test_ctrl_c_inside_optimizer_step_finishes_the_step(monkeypatch):
    model, opt = setup(optim.Adam, lr=0.1, amsgrad=True)  # amsgrad: one parameter at a time
    (model(X) ** 2).sum().backward()
    calls = []
    original = optim.Adam._update

    def update_then_ctrl_c(self, p, grad, state, group):
        original(self, p, grad, state, group)
        calls.append(p)
        if len(calls) == 1:
            ctrl_c()  # after the first of four parameters is updated

    monkeypatch.setattr(optim.Adam, "_update", update_then_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        opt.step()
    assert len(calls) == 4
    assert [opt.state[p]["step"] for p in model.parameters()] == [1, 1, 1, 1]
    assert opt._step_count == 1


def test_ctrl_c_inside_a_fit_step_finishes_the_step_then_returns():
    model, opt = setup()
    calls = []

    def loss_fn(out, y):
        calls.append(1)
        if len(calls) == 6:  # epoch 1, step 1: between forward and step
            ctrl_c()
        return nn.cross_entropy(out, y)

    history = nn.fit(model, loss_fn, opt, loader(), epochs=5, progress=False)
    assert history.interrupted and history.epochs == 1
    assert opt._step_count == 6  # the interrupted step was taken whole
    assert {len(v) for v in history.values()} == {1}


def test_ctrl_c_during_validation_keeps_history_rectangular():
    model, opt = setup()
    epochs_seen = []

    class Validation:
        def __len__(self):
            return 1

        def __iter__(self):
            epochs_seen.append(1)
            if len(epochs_seen) == 2:  # epoch 2's validation
                ctrl_c()
            yield X, Y

    history = nn.fit(model, nn.CrossEntropyLoss(), opt, loader(), epochs=5,
                     val_data=Validation(), metrics=["accuracy"], progress=False)
    assert history.interrupted and history.epochs == 1
    assert {name: len(values) for name, values in history.items()} == {
        "loss": 1, "accuracy": 1, "val_loss": 1, "val_accuracy": 1}


# -- 13: nonsense refused before the first step ---------------------------------------------


@pytest.mark.parametrize("val_data, error, message", [
    ((X, Y, Y), ValueError, "an \\(X, y\\) pair or a loader of \\(X, y\\) batches, got a tuple "
                            "of 3 items"),
    ((X[:0], Y[:0]), ValueError, "val_data is empty \\(0 samples\\)"),
    ([], ValueError, "val_data has no batches"),
    ((X, Y[:5]), ValueError, "X has 64 samples but y has 5"),
    (iter([(X, Y)]), TypeError, "val_data is an iterator \\(list_iterator\\), which runs out"),
    ("val.npz", TypeError, "val_data must be a loader of \\(X, y\\) batches"),
])
def test_fit_validates_arguments_before_the_first_step(val_data, error, message):
    model, opt = setup()
    before = snapshot(model)
    with pytest.raises(error, match=message):
        nn.fit(model, nn.CrossEntropyLoss(), opt, loader(), epochs=2, val_data=val_data,
               progress=False)
    assert opt._step_count == 0
    assert all(np.array_equal(a, b) for a, b in zip(before, snapshot(model)))


def test_fit_refuses_a_generator_train_loader_for_several_epochs():
    model, opt = setup()
    batches = ((x, y) for x, y in loader())
    with pytest.raises(TypeError, match="train_loader is an iterator \\(generator\\), which "
                                        "runs out after one pass"):
        nn.fit(model, nn.CrossEntropyLoss(), opt, batches, epochs=2, progress=False)
    assert opt._step_count == 0


def test_fit_names_an_empty_batch_instead_of_blaming_the_learning_rate():
    model, opt = setup()
    batches = [(X[:16], Y[:16]), (X[:0], Y[:0])]
    with pytest.raises(ValueError, match="train_loader yielded an empty batch \\(0 samples\\) "
                                         "at epoch 0, step 1"):
        nn.fit(model, nn.CrossEntropyLoss(), opt, batches, epochs=1, progress=False)


def test_fit_refuses_batches_that_are_not_pairs_and_an_unrecorded_monitor():
    model, opt = setup()
    with pytest.raises(TypeError, match="must yield \\(X, y\\) pairs; at epoch 0, step 0 it "
                                        "yielded a ndarray"):
        nn.fit(model, nn.CrossEntropyLoss(), opt, [X], epochs=1, progress=False)
    with pytest.raises(ValueError, match="monitors 'val_accuracy', which this run does not "
                                         "record"):
        nn.fit(model, nn.CrossEntropyLoss(), opt, loader(), epochs=1, progress=False,
               early_stopping=nn.EarlyStopping(monitor="val_accuracy"))
    assert opt._step_count == 0


# -- 14: hyperparameters checked when set and when step() reads them ---------------------------


def test_hyperparameters_checked_when_set_and_when_step_reads_them():
    with pytest.raises(ValueError, match="min_delta must be a finite number >= 0, got nan"):
        nn.EarlyStopping(min_delta=float("nan"))
    stopper = nn.EarlyStopping()
    with pytest.raises(ValueError, match="min_delta"):
        stopper.min_delta = float("nan")
    with pytest.raises(ValueError, match="Invalid dampening value: nan"):
        optim.SGD(setup()[0].parameters(), lr=0.1, momentum=0.9, dampening=float("nan"))
    with pytest.raises(ValueError, match="lam must be a number >= 0 and finite, got nan"):
        nn.l2_penalty(setup()[0].parameters(), lam=float("nan"))
    model, opt = setup()
    with pytest.raises(ValueError, match="Invalid learning rate: nan"):
        opt.param_groups[0]["lr"] = float("nan")
    with pytest.raises(ValueError, match="Invalid lr value: inf"):
        opt.param_groups[0].update(lr=float("inf"))
    assert opt.param_groups[0]["lr"] == 0.05
    dict.__setitem__(opt.param_groups[0], "momentum", -1.0)  # behind the check's back
    (model(X) ** 2).sum().backward()
    before = snapshot(model)
    with pytest.raises(ValueError, match="Invalid momentum value: -1.0"):
        opt.step()
    assert all(np.array_equal(a, b) for a, b in zip(before, snapshot(model)))


def test_a_scheduler_cannot_write_a_nan_learning_rate():
    _, opt = setup()
    sched = lr_scheduler.LambdaLR(opt, lambda epoch: float("nan") if epoch == 2 else 1.0)
    opt.step()
    sched.step()
    with pytest.raises(ValueError, match="Invalid learning rate: nan"):
        sched.step()


def test_early_stopping_rereads_its_settings_at_each_step():
    stopper = nn.EarlyStopping()
    object.__setattr__(stopper, "patience", 0)
    with pytest.raises(ValueError, match="patience must be a positive int"):
        stopper.step(1.0, 0, setup()[0])


# -- 10: what was passed instead of a state dict --------------------------------------------


@pytest.mark.parametrize("passed, said, advice", [
    (None, "got None", "pass other.state_dict\\(\\), or what nn.load\\(path\\) returned"),
    ("model.npz", "got the path 'model.npz'", "load the file first: "
                                              "model.load_state_dict\\(nn.load\\('model.npz'\\)\\)"),
    (nn.MLP(2, [3], 1), "got a MLP", "pass its state_dict\\(\\): "
                                     "model.load_state_dict\\(other.state_dict\\(\\)\\)"),
])
def test_load_state_dict_of_none_a_path_or_a_model_says_what_to_pass(passed, said, advice):
    with pytest.raises(TypeError, match=f"MLP.load_state_dict: expected a state dict .*{said}; "
                                        f"{advice}"):
        nn.MLP(2, [3], 1).load_state_dict(passed)


def test_optimizer_and_scheduler_load_state_dict_of_a_path_or_an_optimizer_say_what_to_pass():
    _, opt = setup()
    sched = lr_scheduler.StepLR(opt, step_size=2)
    with pytest.raises(TypeError, match="got the path 'opt.npz'; load the file first"):
        opt.load_state_dict("opt.npz")
    with pytest.raises(TypeError, match="got a SGD; pass its state_dict\\(\\)"):
        opt.load_state_dict(opt)
    with pytest.raises(TypeError, match="StepLR.load_state_dict: .* got None"):
        sched.load_state_dict(None)


def test_load_state_dict_of_a_whole_run_checkpoint_says_which_entry_to_pass():
    model = nn.MLP(2, [3], 1)
    with pytest.raises(nn.StateDictError, match=r"'model', 'optimizer' hold state dicts of "
                                                r"their own .* model.load_state_dict\("
                                                r"checkpoint\['model'\]\)"):
        model.load_state_dict({"model": model.state_dict(), "optimizer": {"state": {}}})


def test_ragged_lists_in_a_state_dict_or_a_data_loader_name_the_key():
    model = nn.MLP(2, [3], 1)
    state = dict(model.state_dict(), **{"layers.0.bias": [1.0, [2.0, 3.0], 4.0]})
    with pytest.raises(nn.StateDictError, match="'layers.0.bias': a ragged list"):
        model.load_state_dict(state)
    with pytest.raises(ValueError, match="DataLoader: X is a ragged list"):
        nn.DataLoader([[1.0, 2.0], [3.0]], [0, 1])


# -- 16: names that collide ------------------------------------------------------------------


def test_dotted_and_empty_member_names_are_refused():
    outer = nn.Module()
    outer.inner = nn.Linear(2, 2)
    with pytest.raises(KeyError, match=r"parameter name can\W+t contain \".\", got: "
                                       r"\W+inner\.weight"):
        outer.register_parameter("inner.weight", nn.Parameter(np.zeros((2, 2))))
    with pytest.raises(KeyError, match="parameter name can.+t be empty string"):
        outer.register_parameter("", nn.Parameter(np.zeros(1)))
    with pytest.raises(KeyError, match="module name can.+t contain"):
        outer.add_module("a.b", nn.Linear(1, 1))
    with pytest.raises(KeyError, match="module name can.+t be empty"):
        outer.add_module("", nn.Linear(1, 1))
    with pytest.raises(TypeError, match="module name must be a str"):
        outer.add_module(3, nn.Linear(1, 1))
    assert list(outer.state_dict()) == ["inner.weight", "inner.bias"]


def test_param_groups_stay_checked_after_deepcopy_and_pickle():
    _, opt = setup(optim.Adam, lr=0.1)
    for twin in (copy.deepcopy(opt), pickle.loads(pickle.dumps(opt))):
        assert twin.param_groups[0]["lr"] == 0.1
        with pytest.raises(ValueError, match="Invalid learning rate: nan"):
            twin.param_groups[0]["lr"] = float("nan")


def test_scheduler_settings_checked_when_set_and_at_step():
    _, opt = setup()
    with pytest.raises(ValueError, match="StepLR: gamma must be a finite number > 0, got nan"):
        lr_scheduler.StepLR(opt, step_size=2, gamma=float("nan"))
    sched = lr_scheduler.ExponentialLR(opt, gamma=0.9)
    with pytest.raises(ValueError, match="ExponentialLR: gamma must be"):
        sched.gamma = float("inf")
    vars(sched)["gamma"] = float("nan")  # behind the check's back
    with pytest.raises(ValueError, match="gamma must be"):
        sched.step()
    assert opt.param_groups[0]["lr"] == 0.05
    with pytest.raises(ValueError, match="ReduceLROnPlateau: patience must be an int >= 0"):
        lr_scheduler.ReduceLROnPlateau(opt, patience=-1)
    with pytest.raises(ValueError, match="min_lrs must be a list, each a finite number >= 0"):
        lr_scheduler.ReduceLROnPlateau(opt, min_lr=float("nan"))
