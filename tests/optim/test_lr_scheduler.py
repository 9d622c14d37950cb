"""Learning-rate schedulers: the closed forms they follow, PyTorch's bookkeeping
(initial_lr, last_epoch, get_last_lr, state_dict), ReduceLROnPlateau's rules, and errors.
(The numbers themselves are also checked against PyTorch in test_torch_reference.py.)"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from autograd import Tensor
from optim import SGD, Adam
from optim.lr_scheduler import (
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LRScheduler,
    ReduceLROnPlateau,
    StepLR,
)


def sgd(lr=0.1, second_lr=None):
    groups = [{"params": [Tensor(np.ones(2), requires_grad=True)]}]
    if second_lr is not None:
        groups.append({"params": [Tensor(np.ones(3), requires_grad=True)], "lr": second_lr})
    return SGD(groups, lr=lr)


def schedule(opt, sched, epochs):
    """lrs at epochs 0..epochs (epoch 0 is set by the constructor)."""
    lrs = [sched.get_last_lr()]
    for _ in range(epochs):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr())
    return np.array(lrs)


def test_steplr_is_base_times_gamma_to_the_floor_of_epoch_over_step_size():
    opt = sgd(0.1, second_lr=0.02)
    lrs = schedule(opt, StepLR(opt, step_size=3, gamma=0.5), 12)
    epochs = np.arange(13)[:, None]
    np.testing.assert_allclose(lrs, np.array([0.1, 0.02]) * 0.5 ** (epochs // 3), rtol=1e-15)


def test_exponentiallr_is_base_times_gamma_to_the_epoch():
    opt = sgd(0.1)
    lrs = schedule(opt, ExponentialLR(opt, gamma=0.9), 30)
    np.testing.assert_allclose(lrs[:, 0], 0.1 * 0.9 ** np.arange(31), rtol=1e-14)


@pytest.mark.parametrize("eta_min", [0.0, 0.01])
def test_cosine_annealing_follows_the_closed_form_down_and_back_up(eta_min):
    opt = sgd(0.1)
    T = 6
    lrs = schedule(opt, CosineAnnealingLR(opt, T_max=T, eta_min=eta_min), 3 * T)
    e = np.arange(3 * T + 1)
    closed = eta_min + (0.1 - eta_min) * (1 + np.cos(np.pi * e / T)) / 2
    np.testing.assert_allclose(lrs[:, 0], closed, rtol=1e-12, atol=1e-15)
    assert lrs[T, 0] == pytest.approx(eta_min, abs=1e-15)


def test_lambdalr_scales_each_groups_base_lr_by_its_function():
    opt = sgd(0.1, second_lr=0.02)
    sched = LambdaLR(opt, [lambda e: 1 / (1 + e), lambda e: 0.5**e])
    lrs = schedule(opt, sched, 5)
    e = np.arange(6)
    np.testing.assert_allclose(lrs[:, 0], 0.1 / (1 + e), rtol=1e-15)
    np.testing.assert_allclose(lrs[:, 1], 0.02 * 0.5**e, rtol=1e-15)


def test_constructing_a_scheduler_records_initial_lr_and_sets_epoch_zero():
    opt = sgd(0.1)
    sched = LambdaLR(opt, lambda e: 0.5 + e)
    assert opt.param_groups[0]["initial_lr"] == 0.1
    assert sched.base_lrs == [0.1] and sched.last_epoch == 0
    assert opt.param_groups[0]["lr"] == pytest.approx(0.05)
    sched.get_last_lr().append(99.0)
    assert sched.get_last_lr() == [pytest.approx(0.05)], "get_last_lr returns a copy"


def test_the_recursive_schedules_compose_with_a_manual_lr_change():
    """StepLR multiplies the current lr (PyTorch's chainable form), not the base lr."""
    opt = sgd(0.1)
    sched = StepLR(opt, step_size=2, gamma=0.5)
    opt.step()
    sched.step()
    opt.param_groups[0]["lr"] = 1.0
    opt.step()
    sched.step()
    assert sched.get_last_lr() == [0.5]


def test_stepping_the_scheduler_before_the_optimizer_warns():
    opt = sgd()
    sched = StepLR(opt, step_size=2)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()
    opt = sgd()
    sched = StepLR(opt, step_size=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
        sched.step()


def test_resuming_with_last_epoch_needs_initial_lr():
    with pytest.raises(KeyError, match="initial_lr"):
        ExponentialLR(sgd(), gamma=0.9, last_epoch=4)


@pytest.mark.parametrize(
    "make",
    [
        lambda opt: StepLR(opt, step_size=3, gamma=0.5),
        lambda opt: ExponentialLR(opt, gamma=0.8),
        lambda opt: CosineAnnealingLR(opt, T_max=5, eta_min=0.001),
        lambda opt: LambdaLR(opt, lambda e: 1 / (1 + e)),
    ],
    ids=["StepLR", "ExponentialLR", "CosineAnnealingLR", "LambdaLR"],
)
def test_state_dict_round_trip_continues_the_same_schedule(make):
    opt = sgd(0.1, second_lr=0.05)
    sched = make(opt)
    schedule(opt, sched, 7)
    saved = sched.state_dict()
    assert "optimizer" not in saved and saved["last_epoch"] == 7

    opt2 = sgd(0.1, second_lr=0.05)
    sched2 = make(opt2)
    sched2.load_state_dict(saved)
    for group, group2 in zip(opt.param_groups, opt2.param_groups, strict=True):
        group2["lr"] = group["lr"]  # the optimiser's own state_dict carries the lr
    np.testing.assert_array_equal(schedule(opt2, sched2, 8), schedule(opt, sched, 8))


def test_lambdalr_state_dict_keeps_callable_objects_state_but_not_functions():
    class Warmup:
        def __init__(self, steps):
            self.steps = steps

        def __call__(self, epoch):
            return min(1.0, (epoch + 1) / self.steps)

    opt = sgd(0.1, second_lr=0.1)
    sched = LambdaLR(opt, [Warmup(4), lambda e: 1.0])
    saved = sched.state_dict()
    assert saved["lr_lambdas"] == [{"steps": 4}, None]
    other = LambdaLR(sgd(0.1, second_lr=0.1), [Warmup(10), lambda e: 1.0])
    other.load_state_dict(saved)
    assert other.lr_lambdas[0].steps == 4


def test_load_state_dict_rejects_another_schedulers_state_and_changes_nothing():
    opt = sgd()
    cosine = CosineAnnealingLR(opt, T_max=5)
    before = cosine.state_dict()
    with pytest.raises(
        ValueError,
        match=r"missing key\(s\) \['T_max', 'eta_min'\], "
        r"unexpected key\(s\) \['gamma', 'step_size'\]",
    ):
        cosine.load_state_dict(StepLR(sgd(), step_size=2).state_dict())
    assert cosine.state_dict() == before
    wrong_groups = StepLR(sgd(0.1, second_lr=0.1), step_size=2).state_dict()
    step = StepLR(sgd(), step_size=2)
    with pytest.raises(ValueError, match="2 base_lrs, but the optimizer has 1 parameter group"):
        step.load_state_dict(wrong_groups)
    with pytest.raises(TypeError, match="expected a dict"):
        step.load_state_dict(None)


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: StepLR(object(), step_size=2), TypeError, "object is not an Optimizer"),
        (lambda: StepLR(sgd(), step_size=0), ValueError, "step_size must be a positive int"),
        (lambda: CosineAnnealingLR(sgd(), T_max=0), ValueError, "T_max must be a positive int"),
        (
            lambda: LambdaLR(sgd(), [lambda e: 1, lambda e: 2]),
            ValueError,
            "Expected 1 lr_lambdas, but got 2",
        ),
        (lambda: LambdaLR(sgd(), 0.5), TypeError, "lr_lambda must be callable"),
        (lambda: ReduceLROnPlateau(sgd(), factor=1.0), ValueError, "Factor should be < 1.0."),
        (lambda: ReduceLROnPlateau(sgd(), mode="avg"), ValueError, "mode 'avg' is unknown"),
        (
            lambda: ReduceLROnPlateau(sgd(), threshold_mode="pct"),
            ValueError,
            "threshold mode 'pct' is unknown",
        ),
        (
            lambda: ReduceLROnPlateau(sgd(), min_lr=[0.1, 0.2]),
            ValueError,
            "expected 1 min_lrs, got 2",
        ),
        (lambda: ReduceLROnPlateau("opt"), TypeError, "str is not an Optimizer"),
    ],
    ids=[
        "not-optimizer",
        "step_size",
        "T_max",
        "lambdas",
        "lambda-type",
        "factor",
        "mode",
        "threshold_mode",
        "min_lr",
        "plateau-not-optimizer",
    ],
)
def test_bad_scheduler_arguments(make, error, message):
    with pytest.raises(error, match=message.replace("(", r"\(").replace(".", r"\.")):
        make()


def test_a_scheduler_without_get_lr_says_so():
    class Incomplete(LRScheduler):
        pass

    with pytest.raises(NotImplementedError, match="Incomplete must define get_lr"):
        Incomplete(sgd())


# -- ReduceLROnPlateau -------------------------------------------------------------------


def plateau_lrs(metrics, **kwargs):
    opt = sgd(1.0)
    sched = ReduceLROnPlateau(opt, **kwargs)
    lrs = []
    for metric in metrics:
        opt.step()
        sched.step(metric)
        lrs.append(sched.get_last_lr()[0])
    return lrs


def test_plateau_cuts_lr_after_more_than_patience_bad_epochs():
    # best = 1.0 at epoch 1; epochs 2, 3 are bad (patience 2 allows them); 4 cuts.
    lrs = plateau_lrs([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0], patience=2, factor=0.5)
    assert lrs == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25]


def test_plateau_improvement_resets_the_count():
    lrs = plateau_lrs([3.0, 3.0, 2.0, 2.0, 1.0, 1.0, 1.0], patience=1, factor=0.5)
    assert lrs == [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5]


def test_plateau_relative_threshold_ignores_tiny_improvements():
    # 0.99995 is not below 1.0·(1 − 1e-4) = 0.9999 (a cut follows); 0.9998 is.
    lrs = plateau_lrs([1.0, 0.99995, 0.9998], patience=0, factor=0.5)
    assert lrs == [1.0, 0.5, 0.5]


def test_plateau_abs_threshold_and_max_mode():
    assert plateau_lrs(
        [1.0, 1.4, 1.6], mode="max", threshold_mode="abs", threshold=0.5, patience=0, factor=0.5
    ) == [1.0, 0.5, 0.5]


def test_plateau_cooldown_ignores_bad_epochs_then_counts_again():
    lrs = plateau_lrs([1.0] * 8, patience=0, cooldown=2, factor=0.5)
    assert lrs == [1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125]


def test_plateau_never_goes_below_min_lr_and_skips_changes_below_eps():
    assert plateau_lrs([1.0] * 6, patience=0, factor=0.1, min_lr=0.005) == [
        1.0,
        pytest.approx(0.1),
        pytest.approx(0.01),
        0.005,
        0.005,
        0.005,
    ]
    assert plateau_lrs([1.0] * 3, patience=0, factor=0.99, eps=0.05) == [1.0, 1.0, 1.0]


def test_plateau_accepts_a_one_element_tensor_metric_and_round_trips_its_state():
    opt = sgd(1.0)
    sched = ReduceLROnPlateau(opt, patience=0, factor=0.5)
    sched.step(Tensor(2.0))
    sched.step(Tensor(np.array([3.0])))
    assert sched.best == 2.0 and sched.get_last_lr() == [0.5]
    saved = sched.state_dict()
    other = ReduceLROnPlateau(sgd(1.0), patience=5)
    other.load_state_dict(saved)
    assert (other.best, other.patience, other.num_bad_epochs) == (2.0, 0, 0)
    with pytest.raises(ValueError, match="missing key"):
        other.load_state_dict({"best": 1.0})


def test_plateau_with_an_optimizer_group_added_later_needs_matching_min_lrs():
    opt = Adam([Tensor(np.ones(2), requires_grad=True)], lr=1.0)
    sched = ReduceLROnPlateau(opt, patience=0, min_lr=[0.1])
    opt.add_param_group({"params": [Tensor(np.ones(2), requires_grad=True)]})
    sched.step(1.0)
    with pytest.raises(RuntimeError, match="2 parameter groups but min_lrs has 1"):
        sched.step(1.0)


def test_repr_shows_the_epoch_and_lrs():
    opt = sgd(0.1)
    assert repr(ExponentialLR(opt, gamma=0.5)) == "ExponentialLR(last_epoch=0, lr=[0.1])"
    assert math.isinf(ReduceLROnPlateau(opt).best)
