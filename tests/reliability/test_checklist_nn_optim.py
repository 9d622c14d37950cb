"""RELIABILITY §4 I: nn and optim misuse, checked as rows (the nn and optim suites test
the same code in more depth), plus E13's fit() half and the optimiser side of D6."""

import re

import numpy as np
import pytest

import autograd as ag
import nn
import optim
from autograd import Tensor


def param(values, name=None):
    return nn.Parameter(np.asarray(values, dtype=np.float64), name=name)


def test_I1_an_empty_parameter_list_is_refused_with_pytorchs_words():
    with pytest.raises(ValueError, match="^optimizer got an empty parameter list$"):
        optim.SGD([], lr=0.1)


def test_I2_a_parameter_in_two_groups_is_named():
    w = param([1.0, 2.0], name="w")
    with pytest.raises(ValueError, match=r"'w', shape \(2,\).*only once"):
        optim.SGD([{"params": [w]}, {"params": [w]}], lr=0.1)


@pytest.mark.parametrize("make, message", [
    (lambda p: optim.SGD(p, lr=-0.1), "Invalid learning rate: -0.1"),
    (lambda p: optim.Adam(p, betas=(0.9, 1.0)), "Invalid beta parameter at index 1: 1.0"),
    (lambda p: optim.Adam(p, eps=0.0), "Invalid epsilon value: 0.0"),
    (lambda p: optim.SGD(p, lr=0.1, momentum=-1.0), "Invalid momentum value: -1.0"),
    (lambda p: optim.SGD(p, lr=0.1, nesterov=True), "Nesterov momentum requires a momentum"),
])
def test_I3_invalid_hyperparameters_raise_value_errors_in_pytorchs_style(make, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        make([param([1.0])])


@pytest.mark.parametrize("make", [lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
                                  lambda p: optim.Adam(p), lambda p: optim.RMSprop(p)])
def test_I4_step_skips_parameters_whose_grad_is_none(make):
    used, unused = param([1.0, 2.0]), param([3.0])
    opt = make([used, unused])
    (used * used).sum().backward()
    opt.step()
    assert not np.array_equal(used.data, [1.0, 2.0])
    np.testing.assert_array_equal(unused.data, [3.0])
    opt.zero_grad()
    opt.step()  # every grad None: a no-op
    assert used.grad is None


def test_I5_a_nan_loss_stops_fit_naming_epoch_and_step_and_keeps_history():
    model = nn.Linear(2, 1)
    X = np.array([[1.0, 2.0], [3.0, np.nan], [0.5, 0.5], [1.0, 1.0]])
    y = np.ones((4, 1))
    loader = nn.DataLoader(X, y, batch_size=2)
    with pytest.raises(FloatingPointError, match=r"loss became nan at epoch 0, step 0") as info:
        nn.fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), loader, epochs=3,
               progress=False)
    assert isinstance(info.value.history, nn.History)
    history = nn.fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), loader,
                     epochs=1, progress=False, check_finite=False)  # the opt-out
    assert np.isnan(history["loss"][0])


def test_I6_linear_names_its_in_features_and_the_shapes():
    with pytest.raises(ValueError, match=r"^Linear\(in_features=3\): input has shape \(8, 4\), "
                                         r"expected \(\.\.\., 3\)"):
        nn.Linear(3, 2)(Tensor(np.ones((8, 4))))


@pytest.mark.parametrize("target, error, message", [
    (np.array([0.0, 1.0]), TypeError, "target must hold integer class labels, got dtype float64"),
    (np.array([0, 3]), IndexError, r"label 3 at position \(1,\) is out of range for 3 classes"),
    (np.array([0, 1, 2]), ValueError, r"input of shape \(2, 3\) needs a target of shape \(2,\)"),
])
def test_I7_cross_entropy_misuse_has_the_right_type_and_names_shapes(target, error, message):
    with pytest.raises(error, match=message):
        nn.CrossEntropyLoss()(Tensor(np.zeros((2, 3)), requires_grad=True), target)


def test_I8_data_loader_refuses_bad_sizes_and_is_reproducible_with_a_seed():
    X, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    with pytest.raises(ValueError, match="batch_size must be a positive int, got 0"):
        nn.DataLoader(X, y, batch_size=0)
    with pytest.raises(ValueError, match=r"X is empty \(shape \(0, 2\)\)"):
        nn.DataLoader(X[:0], y[:0], batch_size=2)
    assert len(list(nn.DataLoader(X, y, batch_size=100))) == 1

    def order(seed):
        return [b.tolist() for _, b in nn.DataLoader(X, y, batch_size=3, shuffle=True,
                                                     seed=seed)]

    assert order(7) == order(7) and order(7) != order(8)


def test_I9_dropout_scales_in_train_is_the_identity_in_eval_and_p1_gives_zeros():
    x = Tensor(np.ones(10_000))
    ag.manual_seed(0)
    drop = nn.Dropout(0.25)
    kept = drop(x).data
    assert set(np.unique(kept)) == {0.0, 1 / 0.75}  # inverted dropout
    assert abs((kept != 0).mean() - 0.75) < 0.02
    drop.eval()
    np.testing.assert_array_equal(drop(x).data, x.data)
    with np.errstate(divide="raise", invalid="raise"):
        np.testing.assert_array_equal(nn.Dropout(1.0)(x).data, np.zeros(10_000))


def test_E13_fit_returns_the_history_with_interrupted_set_on_ctrl_c():
    model = nn.Linear(2, 1)
    X, y = np.ones((8, 2)), np.ones((8, 1))
    calls = []

    def loss_fn(out, target):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return nn.mse_loss(out, target)

    history = nn.fit(model, loss_fn, optim.SGD(model.parameters(), lr=0.1),
                     nn.DataLoader(X, y, batch_size=4), epochs=5, progress=False)
    assert history.interrupted and history.epochs == 1 and len(history["loss"]) == 1


def test_D6_a_real_optimiser_step_between_forward_and_backward_is_caught():
    w = param([1.0, 2.0], name="w")
    opt = optim.SGD([w], lr=0.1)
    loss = (w * w).sum()
    loss.backward(retain_graph=True)
    opt.step()
    assert w._version == 1
    with pytest.raises(RuntimeError, match=r"tensor 'w' .*modified in place"):
        loss.backward()
