"""fit(): the loop it runs, its history, validation, early stopping, tol, nan, Ctrl-C."""

import numpy as np
import pytest

import nn
import optim
from nn.datasets import make_moons

X, Y = make_moons(120, noise=0.1, seed=0)
X_VAL, Y_VAL = make_moons(40, noise=0.1, seed=1)


def setup(seed=0, lr=0.05, hidden=(8,)):
    nn.manual_seed(seed)
    model = nn.MLP(2, list(hidden), 2)
    return model, optim.SGD(model.parameters(), lr=lr, momentum=0.9)


def loader(batch_size=16):
    return nn.DataLoader(X, Y, batch_size=batch_size, shuffle=True, seed=0)


def test_fit_runs_the_five_line_loop_exactly():
    model, optimizer = setup()
    twin, twin_optimizer = setup()
    nn.fit(model, nn.CrossEntropyLoss(), optimizer, loader(), epochs=3, progress=False)
    twin_loader = loader()  # same seed: the same batches, epoch after epoch
    for _ in range(3):
        for X_batch, y_batch in twin_loader:
            twin_optimizer.zero_grad()
            loss = nn.cross_entropy(twin(X_batch), y_batch)
            loss.backward()
            twin_optimizer.step()
    for (name, p), q in zip(model.named_parameters(), twin.parameters()):
        np.testing.assert_array_equal(p.data, q.data, err_msg=name)


def test_history_has_one_value_per_epoch_for_every_metric():
    model, optimizer = setup()
    history = nn.fit(model, nn.CrossEntropyLoss(), optimizer, loader(), epochs=4,
                     val_data=(X_VAL, Y_VAL), metrics=["accuracy"], progress=False)
    assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(values) == 4 for values in history.values())
    assert history.epochs == 4 and not history.stopped_early and not history.interrupted
    assert history["loss"][-1] < history["loss"][0]
    final = nn.evaluate(model, nn.CrossEntropyLoss(), (X_VAL, Y_VAL), ["accuracy"])
    assert history["val_loss"][-1] == pytest.approx(final["loss"], rel=1e-12)
    assert history["val_accuracy"][-1] == final["accuracy"]


def test_training_loss_is_the_sample_weighted_mean_over_the_epochs_batches():
    model, optimizer = setup()
    seen = []

    def recording_loss(out, y):
        loss = nn.cross_entropy(out, y)
        seen.append((loss.item(), len(y)))
        return loss

    history = nn.fit(model, recording_loss, optimizer, loader(batch_size=50), epochs=1,
                     progress=False)
    assert [n for _, n in seen] == [50, 50, 20]
    expected = sum(value * n for value, n in seen) / 120
    assert history["loss"][0] == pytest.approx(expected, rel=1e-12)


def test_custom_metric_functions_and_dicts():
    model, optimizer = setup()

    def error_rate(out, y):
        return 1 - nn.accuracy(out, y)

    history = nn.fit(model, nn.CrossEntropyLoss(), optimizer, loader(), epochs=2,
                     val_data=(X_VAL, Y_VAL), metrics={"err": error_rate, "acc": "accuracy"},
                     progress=False)
    for a, e in zip(history["val_acc"], history["val_err"]):
        assert a + e == pytest.approx(1.0)
    with pytest.raises(ValueError, match="unknown metric 'f1'"):
        nn.fit(model, nn.CrossEntropyLoss(), optimizer, loader(), 1, metrics=["f1"],
               progress=False)


def test_early_stopping_stops_and_restores_the_best_parameters():
    model, optimizer = setup(lr=0.5)
    stopper = nn.EarlyStopping(patience=2, min_delta=0.0, restore_best=True)
    history = nn.fit(model, nn.CrossEntropyLoss(), optimizer, loader(), epochs=200,
                     val_data=(X_VAL, Y_VAL), early_stopping=stopper, progress=False)
    assert history.stopped_early and history.epochs < 200
    best = history.best_epoch
    assert history["val_loss"][best] == min(history["val_loss"])
    assert history.epochs == best + 1 + 2  # two epochs without improvement after the best
    restored = nn.evaluate(model, nn.CrossEntropyLoss(), (X_VAL, Y_VAL))["loss"]
    assert restored == pytest.approx(history["val_loss"][best], rel=1e-12)


def test_early_stopping_can_monitor_a_maximised_metric():
    model, optimizer = setup()
    stopper = nn.EarlyStopping(patience=1, monitor="accuracy", mode="max",
                               restore_best=False)
    history = nn.fit(model, nn.CrossEntropyLoss(), optimizer, loader(), epochs=100,
                     metrics=["accuracy"], early_stopping=stopper, progress=False)
    assert history.stopped_early
    assert history["accuracy"][-1] <= history["accuracy"][history.best_epoch]
    with pytest.raises(ValueError, match="monitors 'val_loss', which this run does not record"):
        nn.fit(model, nn.CrossEntropyLoss(), optimizer, loader(), 2, progress=False,
               early_stopping=nn.EarlyStopping(monitor="val_loss"))


def test_tol_stops_when_no_parameter_moves_by_tol_in_an_epoch():
    model, optimizer = setup(lr=0.02)
    history = nn.fit(model, nn.CrossEntropyLoss(), optimizer, loader(batch_size=40),
                     epochs=500, tol=1e-2, progress=False)
    changes = history["max_change"]
    assert history.stopped_early and "tol=0.01" in history.stop_reason
    assert changes[-1] < 1e-2 and all(c >= 1e-2 for c in changes[:-1])
    assert history.epochs == len(changes) > 1


def test_tol_measures_the_largest_move_of_any_parameter_element():
    model, optimizer = setup()
    before = model.state_dict()
    history = nn.fit(model, nn.CrossEntropyLoss(), optimizer, loader(), epochs=1, tol=1e-12,
                     progress=False)
    largest = max(np.abs(p.data - before[n]).max() for n, p in model.named_parameters())
    assert history["max_change"] == [pytest.approx(largest, rel=1e-12)]


def test_nan_loss_raises_naming_epoch_and_step_and_keeps_history():
    model, optimizer = setup(lr=1e6)
    with pytest.raises(FloatingPointError, match="loss became (nan|inf) at epoch \\d+, step \\d+") \
            as info:
        with np.errstate(all="ignore"):
            nn.fit(model, nn.MSELoss(), optimizer,
                   nn.DataLoader(X, X * 1e3, batch_size=8), epochs=50, progress=False)
    assert info.value.history.epochs >= 0


def test_keyboard_interrupt_returns_the_history_so_far():
    model, optimizer = setup()
    calls = []

    def interrupting_loss(out, y):
        calls.append(1)
        if len(calls) == 20:
            raise KeyboardInterrupt
        return nn.cross_entropy(out, y)

    history = nn.fit(model, interrupting_loss, optimizer, loader(), epochs=10, progress=False)
    assert history.interrupted and history.epochs == 2  # 8 batches per epoch
    assert len(history["loss"]) == 2


def test_model_mode_is_restored_after_fit_and_evaluate():
    model, optimizer = setup()
    model.eval()
    nn.fit(model, nn.CrossEntropyLoss(), optimizer, loader(), epochs=1,
           val_data=(X_VAL, Y_VAL), progress=False)
    assert not model.training
    model.train()
    nn.evaluate(model, nn.CrossEntropyLoss(), (X_VAL, Y_VAL))
    assert model.training


def test_dropout_is_off_during_validation():
    nn.manual_seed(0)
    model = nn.MLP(2, [32], 2, dropout=0.5)
    optimizer = optim.SGD(model.parameters(), lr=0.0)  # nothing moves
    history = nn.fit(model, nn.CrossEntropyLoss(), optimizer, loader(), epochs=2,
                     val_data=(X_VAL, Y_VAL), progress=False)
    assert history["val_loss"][0] == history["val_loss"][1]  # deterministic: no dropout


def test_progress_bar_shows_epochs_and_latest_values(capsys):
    model, optimizer = setup()
    nn.fit(model, nn.CrossEntropyLoss(), optimizer, loader(), epochs=2, progress=True)
    err = capsys.readouterr().err
    assert "2/2" in err and "loss=" in err


def test_validation_data_may_be_a_loader_and_matches_the_array_pair():
    model, optimizer = setup()
    nn.fit(model, nn.CrossEntropyLoss(), optimizer, loader(), epochs=1, progress=False)
    whole = nn.evaluate(model, nn.CrossEntropyLoss(), (X_VAL, Y_VAL), ["accuracy"])
    batched = nn.evaluate(model, nn.CrossEntropyLoss(), nn.DataLoader(X_VAL, Y_VAL, 7),
                          ["accuracy"])
    assert batched["loss"] == pytest.approx(whole["loss"], rel=1e-12)
    assert batched["accuracy"] == pytest.approx(whole["accuracy"], rel=1e-12)


def test_fit_argument_checks():
    model, optimizer = setup()
    with pytest.raises(ValueError, match="epochs must be an int >= 0"):
        nn.fit(model, nn.CrossEntropyLoss(), optimizer, loader(), epochs=-1)
    with pytest.raises(ValueError, match="tol must be a finite number > 0"):
        nn.fit(model, nn.CrossEntropyLoss(), optimizer, loader(), 1, tol=0)
    with pytest.raises(ValueError, match="patience must be a positive int"):
        nn.EarlyStopping(patience=0)


def test_accuracy_for_multiclass_scores_and_binary_logits():
    assert nn.accuracy(np.array([[0.1, 0.9], [2.0, -1.0]]), np.array([1, 1])) == 0.5
    assert nn.accuracy(np.array([[1.5], [-0.2], [0.3]]), np.array([1, 0, 0])) == 2 / 3
    with pytest.raises(ValueError, match="do not match targets"):
        nn.accuracy(np.zeros((4, 3)), np.zeros(5, dtype=int))


def test_a_float32_model_trained_on_float32_data_stays_float32():
    nn.manual_seed(0)
    model = nn.MLP(2, [8], 2, dtype=np.float32)
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    data = nn.DataLoader(X.astype(np.float32), Y, batch_size=16)
    history = nn.fit(model, nn.CrossEntropyLoss(), optimizer, data, epochs=2,
                     val_data=(X_VAL.astype(np.float32), Y_VAL), progress=False)
    assert {p.dtype for p in model.parameters()} == {np.dtype(np.float32)}
    assert {p.grad.dtype for p in model.parameters()} == {np.dtype(np.float32)}
    assert model(X_VAL.astype(np.float32)).dtype == np.float32
    assert history["loss"][1] < history["loss"][0]
