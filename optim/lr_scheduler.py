"""Learning-rate schedules: change each parameter group's "lr" as training goes on.

PyTorch's classes, arguments and numbers. Call `scheduler.step()` once per epoch (or
per batch, as the schedule intends) after `optimizer.step()`:

    opt = SGD(params, lr=0.1, momentum=0.9)
    sched = StepLR(opt, step_size=30, gamma=0.1)
    for epoch in range(100):
        train_one_epoch(opt)
        sched.step()

Creating a scheduler sets every group's "initial_lr" (if missing) and applies the
schedule's value for epoch 0. As in PyTorch, StepLR, ExponentialLR and
CosineAnnealingLR update the current lr recursively from its previous value, so they
compose with other changes to group["lr"]; LambdaLR uses the closed form.
The deprecated `step(epoch)` argument of PyTorch is not supported.
"""

from __future__ import annotations

import copy
import math
import numbers
import types
import warnings

from .optimizer import Optimizer, passed_instead

__all__ = [
    "LRScheduler",
    "LambdaLR",
    "StepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "ReduceLROnPlateau",
]


class LRScheduler:
    """Base class: subclasses write `get_lr()`, the lrs for epoch `last_epoch`.

    optimizer: the Optimizer whose param_groups' "lr" this schedule sets.
    last_epoch: index of the last epoch seen; -1 (default) starts a new schedule. Other
        values resume one and need "initial_lr" in every group (a loaded optimizer).

    Attributes: base_lrs (each group's initial_lr), last_epoch (steps taken, counting
    the one at construction as epoch 0).

    A schedule's settings (gamma, step_size, T_max, eta_min, factor, patience, ...) are
    checked when assigned, in the constructor or later, and again at every step().
    """

    def __setattr__(self, name, value):
        _check_setting(type(self).__name__, name, value)
        object.__setattr__(self, name, value)

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1):
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            missing = [i for i, g in enumerate(optimizer.param_groups) if "initial_lr" not in g]
            if missing:
                raise KeyError(
                    f"param 'initial_lr' is not specified in param_groups{missing} when "
                    f"resuming a scheduler with last_epoch={last_epoch}; load the optimizer's "
                    "state dict first, or use last_epoch=-1 for a new schedule"
                )
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        self._is_initial = True
        self.step()
        self._is_initial = False

    def get_lr(self) -> list[float]:
        """The learning rate of each group at epoch `last_epoch` (called by step())."""
        raise NotImplementedError(f"{type(self).__name__} must define get_lr()")

    def step(self) -> None:
        """Advance one epoch and write the new learning rates into the optimizer."""
        _check_settings(self)
        if self._step_count == 1 and self.optimizer._step_count == 0:
            warnings.warn(
                "Detected call of `lr_scheduler.step()` before `optimizer.step()`: call "
                "`optimizer.step()` first, or the first value of the schedule is skipped",
                UserWarning,
                stacklevel=2,
            )
        self._step_count += 1
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr(), strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The learning rates the last step() set, one per parameter group."""
        return list(self._last_lr)

    def state_dict(self) -> dict:
        """Every attribute except the optimizer (copied)."""
        return {k: copy.deepcopy(v) for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore a state_dict() of the same kind of scheduler; all or nothing."""
        self._check_loadable(state_dict)
        self.__dict__.update(copy.deepcopy(state_dict))

    def _check_loadable(self, state_dict) -> None:
        _check_keys(type(self).__name__, state_dict, set(self.state_dict()))
        if len(state_dict["base_lrs"]) != len(self.optimizer.param_groups):
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: the state dict has "
                f"{len(state_dict['base_lrs'])} base_lrs, but the optimizer has "
                f"{len(self.optimizer.param_groups)} parameter groups"
            )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, lr={self._last_lr})"


class LambdaLR(LRScheduler):
    """lr = base_lr · λ(epoch), with one function λ for all groups or one per group.

    lr_lambda: a function of the epoch index (int) returning a factor, or a list of them.
    Closed form: each epoch's lr depends only on base_lr and the epoch, never on the
    previous lr. state_dict() saves callable objects' attributes but not plain functions
    or lambdas (they cannot be saved), as in PyTorch.
    """

    def __init__(self, optimizer: Optimizer, lr_lambda, last_epoch: int = -1):
        _check_optimizer(optimizer)
        n_groups = len(optimizer.param_groups)
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != n_groups:
                raise ValueError(f"Expected {n_groups} lr_lambdas, but got {len(lr_lambda)}")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * n_groups
        for fn in self.lr_lambdas:
            if not callable(fn):
                raise TypeError(f"lr_lambda must be callable, got {type(fn).__name__}")
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [
            base * fn(self.last_epoch)
            for fn, base in zip(self.lr_lambdas, self.base_lrs, strict=True)
        ]

    def state_dict(self):
        state = {
            k: copy.deepcopy(v)
            for k, v in self.__dict__.items()
            if k not in ("optimizer", "lr_lambdas")
        }
        state["lr_lambdas"] = [
            None if isinstance(fn, types.FunctionType) else copy.deepcopy(fn.__dict__)
            for fn in self.lr_lambdas
        ]
        return state

    def load_state_dict(self, state_dict):
        self._check_loadable(state_dict)
        saved_fns = state_dict["lr_lambdas"]
        if not isinstance(saved_fns, list) or len(saved_fns) != len(self.lr_lambdas):
            raise ValueError(
                f"LambdaLR.load_state_dict: expected 'lr_lambdas', a list of "
                f"{len(self.lr_lambdas)} entries, got {saved_fns!r}"
            )
        state = {k: v for k, v in state_dict.items() if k != "lr_lambdas"}
        self.__dict__.update(copy.deepcopy(state))  # the live functions stay
        for fn, attributes in zip(self.lr_lambdas, saved_fns, strict=True):
            if attributes is not None:
                fn.__dict__.update(copy.deepcopy(attributes))


class StepLR(LRScheduler):
    """Multiply lr by gamma every step_size epochs.

        lr_e = lr_{e−1} · γ   if e > 0 and e mod step_size = 0,   else lr_{e−1}

    which from a constant start is base_lr · γ^⌊e / step_size⌋ (PyTorch applies it as
    the recursion above, so it composes with other changes to lr).
    """

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ):
        if isinstance(step_size, bool) or not isinstance(step_size, int) or step_size < 1:
            raise ValueError(f"StepLR: step_size must be a positive int, got {step_size!r}")
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        groups = self.optimizer.param_groups
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return [group["lr"] for group in groups]
        return [group["lr"] * self.gamma for group in groups]


class ExponentialLR(LRScheduler):
    """Multiply lr by gamma every epoch: lr_e = lr_{e−1} · γ, i.e. base_lr · γᵉ."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        groups = self.optimizer.param_groups
        if self._is_initial:
            return [group["lr"] for group in groups]
        return [group["lr"] * self.gamma for group in groups]


class CosineAnnealingLR(LRScheduler):
    """Anneal lr from base_lr to eta_min along half a cosine over T_max epochs (SGDR).

        lr_e = η_min + ½·(base_lr − η_min)·(1 + cos(π·e / T_max))

    PyTorch computes it recursively from the previous lr,

        lr_e = η_min + (lr_{e−1} − η_min) · (1 + cos(π·e/T_max)) / (1 + cos(π·(e−1)/T_max)),

    which equals the closed form when nothing else changes lr; past T_max the lr rises
    again along the cosine (period 2·T_max, no restart).
    """

    def __init__(
        self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1
    ):
        if isinstance(T_max, bool) or not isinstance(T_max, int) or T_max < 1:
            raise ValueError(f"CosineAnnealingLR: T_max must be a positive int, got {T_max!r}")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        groups, e, T = self.optimizer.param_groups, self.last_epoch, self.T_max
        if self._is_initial:
            return [group["lr"] for group in groups]
        if (e - 1 - T) % (2 * T) == 0:  # leaving the minimum: the recursion divides by 0
            return [
                group["lr"] + (base - self.eta_min) * (1 - math.cos(math.pi / T)) / 2
                for base, group in zip(self.base_lrs, groups, strict=True)
            ]
        ratio = (1 + math.cos(math.pi * e / T)) / (1 + math.cos(math.pi * (e - 1) / T))
        return [ratio * (group["lr"] - self.eta_min) + self.eta_min for group in groups]


class ReduceLROnPlateau(LRScheduler):
    """Cut lr by `factor` when a metric has stopped improving for `patience` epochs.

    Call step(metric) after each validation. A metric is an improvement when

        mode="min", threshold_mode="rel":  metric < best · (1 − threshold)
        mode="min", threshold_mode="abs":  metric < best − threshold
        mode="max", threshold_mode="rel":  metric > best · (1 + threshold)
        mode="max", threshold_mode="abs":  metric > best + threshold

    After more than `patience` epochs in a row without improvement, every group's
    lr ← max(lr · factor, min_lr), skipped where the change would be ≤ eps; then
    `cooldown` epochs pass in which bad epochs are not counted.

    Defaults are PyTorch's: mode="min", factor=0.1, patience=10, threshold=1e-4,
    threshold_mode="rel", cooldown=0, min_lr=0 (a number or one per group), eps=1e-8.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr=0,
        eps: float = 1e-8,
    ):
        _check_optimizer(optimizer)
        if not factor < 1.0:
            raise ValueError("Factor should be < 1.0.")
        if mode not in ("min", "max"):
            raise ValueError(f"mode {mode!r} is unknown! (expected 'min' or 'max')")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(
                f"threshold mode {threshold_mode!r} is unknown! (expected 'rel' or 'abs')"
            )
        n_groups = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != n_groups:
                raise ValueError(f"expected {n_groups} min_lrs, got {len(min_lr)}")
            self.min_lrs = list(min_lr)
        else:
            self.min_lrs = [min_lr] * n_groups
        self.optimizer = optimizer
        self.mode, self.factor, self.patience = mode, factor, patience
        self.threshold, self.threshold_mode = threshold, threshold_mode
        self.cooldown, self.eps = cooldown, eps
        self.last_epoch = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]
        self.best = math.inf if mode == "min" else -math.inf
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def step(self, metrics) -> None:  # type: ignore[override]
        """Record this epoch's metric (a number or a one-element Tensor) and maybe cut lr."""
        _check_settings(self)
        current = float(metrics.item() if hasattr(metrics, "item") else metrics)
        self.last_epoch += 1
        if self._is_better(current):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs during cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    @property
    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def _is_better(self, current: float) -> bool:
        best, threshold = self.best, self.threshold
        if self.mode == "min":
            if self.threshold_mode == "rel":
                return current < best * (1.0 - threshold)
            return current < best - threshold
        if self.threshold_mode == "rel":
            return current > best * (threshold + 1.0)
        return current > best + threshold

    def _reduce_lr(self) -> None:
        if len(self.min_lrs) != len(self.optimizer.param_groups):
            raise RuntimeError(
                f"ReduceLROnPlateau: the optimizer has {len(self.optimizer.param_groups)} "
                f"parameter groups but min_lrs has {len(self.min_lrs)} entries (a group was "
                "added after the scheduler was made); set scheduler.min_lrs to match"
            )
        for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs, strict=True):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, min_lr)
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr

    def load_state_dict(self, state_dict: dict) -> None:
        _check_keys("ReduceLROnPlateau", state_dict, set(self.state_dict()))
        self.__dict__.update(copy.deepcopy(state_dict))


def _finite(low, inclusive=True):
    def check(value):
        return (not isinstance(value, bool) and isinstance(value, numbers.Real)
                and math.isfinite(value) and (value >= low if inclusive else value > low))

    check.wants = f"a finite number {'>=' if inclusive else '>'} {low}"
    return check


def _int(low):
    def check(value):
        return not isinstance(value, bool) and isinstance(value, numbers.Integral) and value >= low

    check.wants = f"an int >= {low}"
    return check


def _each(check):
    def each(value):
        return isinstance(value, (list, tuple)) and all(check(v) for v in value)

    each.wants = f"a list, each {check.wants}"
    return each


# The settings of every schedule, by attribute name: checked when assigned and at step().
_SETTINGS = {
    "gamma": _finite(0, inclusive=False), "step_size": _int(1), "T_max": _int(1),
    "eta_min": _finite(0), "factor": _finite(0), "patience": _int(0), "cooldown": _int(0),
    "threshold": _finite(0), "eps": _finite(0), "min_lrs": _each(_finite(0)),
    "base_lrs": _each(_finite(0)),
}


def _check_setting(where: str, name: str, value) -> None:
    check = _SETTINGS.get(name)
    if check is not None and not check(value):
        raise ValueError(f"{where}: {name} must be {check.wants}, got {value!r}")


def _check_settings(scheduler) -> None:
    """Again at each step: load_state_dict and __dict__ writes bypass __setattr__."""
    where = type(scheduler).__name__
    for name, value in vars(scheduler).items():
        _check_setting(where, name, value)


def _check_optimizer(optimizer) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")


def _check_keys(name: str, state_dict, expected: set) -> None:
    if not isinstance(state_dict, dict):
        raise TypeError(f"{name}.load_state_dict: expected a dict like scheduler.state_dict() "
                        f"returns, {passed_instead(state_dict, 'scheduler')}")
    missing, unexpected = sorted(expected - set(state_dict)), sorted(set(state_dict) - expected)
    if missing or unexpected:
        raise ValueError(
            f"{name}.load_state_dict: missing key(s) {missing}, unexpected key(s) "
            f"{unexpected} (a state dict of another kind of scheduler?)"
        )
