"""Issue 13, item 11: training resumed from a checkpoint file continues bit-identically.

Model, optimizer, scheduler and data loader are saved mid-epoch, loaded into fresh objects
(initialised differently, so only the file can make them agree), and trained on; every
loss and every parameter bit must equal those of a run never interrupted. Every optimiser
exported by `optim` is covered (a new one is picked up by the table).
"""

import inspect

import numpy as np
import pytest

import nn
import optim
from optim import lr_scheduler

# Settings that switch on each optimiser's every piece of state.
SETTINGS = {
    "SGD": dict(lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01),
    "Momentum": dict(lr=0.1),
    "Nesterov": dict(lr=0.1, weight_decay=0.01),
    "Adagrad": dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1),
    "Adadelta": dict(lr=1.0, weight_decay=0.01),
    "RMSprop": dict(lr=0.01, momentum=0.5, centered=True),
    "Adam": dict(lr=0.01, amsgrad=True, weight_decay=0.01),
    "AdamW": dict(lr=0.01),
}
OPTIMIZERS = sorted(name for name in optim.__all__
                    if inspect.isclass(getattr(optim, name))
                    and issubclass(getattr(optim, name), optim.Optimizer)
                    and getattr(optim, name) is not optim.Optimizer)


def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 4))
    return X, (X[:, 0] + X[:, 1] > 0).astype(np.int64) + (X[:, 2] > 1)


def setup(name, generator):
    model = nn.MLP(4, [8], 3, generator=generator)
    opt = getattr(optim, name)(model.parameters(), **SETTINGS.get(name, dict(lr=0.01)))
    sched = lr_scheduler.StepLR(opt, step_size=1, gamma=0.8)
    X, y = data()
    loader = nn.DataLoader(X, y, batch_size=8, shuffle=True, seed=generator)
    return model, opt, sched, loader


def train(model, opt, sched, loader, batches):
    """Up to `batches` steps from where the loader is, stepping the scheduler at each
    epoch's end; the losses seen."""
    loss_fn, losses = nn.CrossEntropyLoss(), []
    # Newton and NewtonCG differentiate the closure's graph themselves (twice), so their
    # closure returns the loss without calling backward; every other optimiser's calls it.
    differentiates_itself = isinstance(opt, optim.newton._SecondOrder)
    while len(losses) < batches:
        for X, y in loader:
            def closure(X=X, y=y):
                if differentiates_itself:
                    return loss_fn(model(X), y)
                opt.zero_grad()
                loss = loss_fn(model(X), y)
                loss.backward()
                return loss

            losses.append(opt.step(closure).item())
            if len(losses) == batches:
                return losses
        sched.step()
    return losses


@pytest.mark.parametrize("suffix", [".safetensors", ".npz"])
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_resumed_training_is_bit_identical_for_every_optimizer(tmp_path, name, suffix):
    whole = setup(name, generator=0)
    expected = train(*whole, batches=17)  # 5 batches per epoch: ends inside epoch 4

    first = setup(name, generator=0)
    losses = train(*first, batches=7)  # stop inside epoch 2
    model, opt, sched, loader = first
    nn.save({"model": model.state_dict(), "optimizer": opt.state_dict(),
             "scheduler": sched.state_dict(), "loader": loader.state_dict(),
             "step": len(losses)}, tmp_path / f"run{suffix}")
    del first, model, opt, sched, loader

    resumed = setup(name, generator=1)
    checkpoint = nn.load(tmp_path / f"run{suffix}")
    model, opt, sched, loader = resumed
    model.load_state_dict(checkpoint["model"])
    opt.load_state_dict(checkpoint["optimizer"])
    sched.load_state_dict(checkpoint["scheduler"])
    loader.load_state_dict(checkpoint["loader"])
    losses += train(*resumed, batches=17 - checkpoint["step"])

    assert losses == expected
    for (key, a), b in zip(whole[0].state_dict().items(), model.state_dict().values()):
        assert a.tobytes() == b.tobytes(), key
    assert opt.param_groups[0]["lr"] == whole[1].param_groups[0]["lr"]


def test_the_table_covers_every_optimizer():
    assert set(SETTINGS) <= set(OPTIMIZERS)


def test_data_loader_state_dict_resumes_mid_epoch_and_between_epochs():
    X, y = data()
    original = nn.DataLoader(X, y, batch_size=8, shuffle=True, seed=3)
    epochs = [[b[1].tolist() for b in original] for _ in range(3)]
    for taken in (0, 2, 5):
        loader = nn.DataLoader(X, y, batch_size=8, shuffle=True, seed=3)
        it = iter(loader)
        for _ in range(taken):
            next(it)
        state = loader.state_dict()
        fresh = nn.DataLoader(X, y, batch_size=8, shuffle=True, seed=99)
        fresh.load_state_dict(state)
        assert fresh.state_dict() == state
        rest = [b[1].tolist() for b in fresh] + [b[1].tolist() for b in fresh]
        start = taken % 5
        expected = (epochs[0][start:] + epochs[1]) if taken < 5 else epochs[1] + epochs[2]
        assert rest == expected


def test_adam_load_state_dict_refuses_state_missing_exp_avg():
    model = nn.MLP(2, [3], 1, generator=0)
    opt = optim.Adam(model.parameters(), lr=0.1)
    (model(np.ones((1, 2))) ** 2).sum().backward()
    opt.step()
    saved = opt.state_dict()
    del saved["state"][1]["exp_avg"]
    fresh = optim.Adam(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match=r"the state of parameter 1 lacks \['exp_avg'\].*"
                                         "Adam would fail at its next step"):
        fresh.load_state_dict(saved)
    assert not fresh.state
    amsgrad = opt.state_dict()
    amsgrad["param_groups"][0]["amsgrad"] = True
    with pytest.raises(ValueError, match=r"lacks \['max_exp_avg_sq'\]"):
        fresh.load_state_dict(amsgrad)
