"""fit(): an optional training loop with a progress bar, history, validation, early
stopping and the study text's stop rule.

One epoch is one pass over `train_loader`; each batch does the five steps every
PyTorch loop does, in this order:

    optimizer.zero_grad();  out = model(X);  loss = loss_fn(out, y);
    loss.backward();  optimizer.step()

Written out so that a learner can replace fit() by those lines at any time.
"""

from __future__ import annotations

import importlib.util
import math
import numbers
import warnings

import numpy as np

from autograd import Tensor, from_numpy, no_grad
from optim.interrupts import deferred_interrupts

__all__ = ["fit", "evaluate", "EarlyStopping", "History", "accuracy"]


def accuracy(output, target) -> float:
    """Fraction of correct predictions. `output` holds logits or scores with classes on
    the last axis (argmax is the prediction); a single column or a 1-d output is a binary
    logit, predicted 1 when > 0. `target` holds the integer labels."""
    scores = np.asarray(output.data if isinstance(output, Tensor) else output)
    labels = np.asarray(target.data if isinstance(target, Tensor) else target)
    if scores.ndim >= 2 and scores.shape[-1] > 1:
        predicted = scores.argmax(axis=-1)
    else:
        predicted = (scores.reshape(labels.shape) > 0).astype(labels.dtype)
    if predicted.shape != labels.shape:
        raise ValueError(f"accuracy: predictions of shape {predicted.shape} (from output "
                         f"{scores.shape}) do not match targets of shape {labels.shape}")
    return float((predicted == labels).mean())


_METRICS = {"accuracy": accuracy}


class History(dict):
    """{"loss": [...], "val_loss": [...], "accuracy": [...], ...}: one value per epoch.

    Attributes: `epochs` (epochs run), `stopped_early` (EarlyStopping or tol ended the
    run), `stop_reason` (a sentence, or None), `best_epoch` (0-based, with early
    stopping), `interrupted` (Ctrl-C ended the run; fit returned instead of raising).
    Every list has `epochs` values: an epoch is recorded whole, after its validation, or
    not at all.
    """

    def __init__(self):
        super().__init__()
        self.epochs = 0
        self.stopped_early = False
        self.stop_reason = None
        self.best_epoch = None
        self.interrupted = False

    def append(self, name, value):
        self.setdefault(name, []).append(float(value))

    def __repr__(self):
        last = ", ".join(f"{k}={v[-1]:.4g}" for k, v in self.items() if v)
        return f"History(epochs={self.epochs}, {last})"


class EarlyStopping:
    """Stop when the monitored value has not improved by more than `min_delta` for
    `patience` epochs in a row; with restore_best=True the model gets back the parameters
    of its best epoch. `monitor` defaults to "val_loss" when fit() has validation data,
    else "loss"; mode "min" (losses) or "max" (accuracies)."""

    def __init__(self, patience: int = 5, min_delta: float = 0.0, restore_best: bool = True,
                 monitor: str | None = None, mode: str = "min"):
        self.patience = patience
        self.min_delta = min_delta
        self.restore_best = bool(restore_best)
        self.monitor = monitor
        self.mode = mode
        self.reset()

    def __setattr__(self, name, value):
        """Each setting is checked when set (here) and when step() reads it (_check)."""
        _check_setting(name, value)
        if name == "min_delta":
            value = float(value)
        object.__setattr__(self, name, value)

    def _check(self):
        for name in ("patience", "min_delta", "mode", "monitor"):
            _check_setting(name, getattr(self, name))

    def reset(self):
        self.best = None
        self.best_epoch = None
        self.best_state = None
        self.wait = 0

    def step(self, value: float, epoch: int, model) -> bool:
        """Record this epoch's value; True when training should stop."""
        self._check()
        sign = 1.0 if self.mode == "min" else -1.0
        if self.best is None or sign * (self.best - value) > self.min_delta:
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best:
                self.best_state = model.state_dict()
            return False
        self.wait += 1
        return self.wait >= self.patience

    def __repr__(self):
        return (f"EarlyStopping(patience={self.patience}, min_delta={self.min_delta}, "
                f"restore_best={self.restore_best}, monitor={self.monitor!r})")


def _check_setting(name, value):
    if name == "patience" and (isinstance(value, bool) or not isinstance(value, int)
                               or value < 1):
        raise ValueError(f"EarlyStopping: patience must be a positive int, got {value!r}")
    if name == "min_delta" and (isinstance(value, bool) or not isinstance(value, numbers.Real)
                                or not 0 <= value < math.inf):
        raise ValueError(f"EarlyStopping: min_delta must be a finite number >= 0, got "
                         f"{value!r}")
    if name == "mode" and value not in ("min", "max"):
        raise ValueError(f"EarlyStopping: mode must be 'min' or 'max', got {value!r}")
    if name == "monitor" and value is not None and not isinstance(value, str):
        raise TypeError(f"EarlyStopping: monitor must be a history key such as 'val_loss', "
                        f"or None, got {value!r}")


def _metric_functions(metrics) -> dict:
    if metrics is None:
        return {}
    if isinstance(metrics, (str,)) or callable(metrics):
        metrics = [metrics]
    items = metrics.items() if isinstance(metrics, dict) else (
        (m if isinstance(m, str) else getattr(m, "__name__", "metric"), m) for m in metrics)
    functions = {}
    for name, metric in items:
        if isinstance(metric, str):
            if metric not in _METRICS:
                raise ValueError(f"fit: unknown metric {metric!r}; built in: "
                                 f"{', '.join(_METRICS)}, or pass a function (output, y)")
            metric = _METRICS[metric]
        if not callable(metric):
            raise TypeError(f"fit: metric {name!r} is not callable")
        functions[name] = metric
    return functions


def _as_input(X):
    if isinstance(X, Tensor):
        return X
    return from_numpy(np.asarray(X))


def _batches(data, where):
    """A validation set as batches: an (X, y) tuple is one batch; a loader (or a list of
    (X, y) batches) is its own batches."""
    if isinstance(data, tuple):
        if len(data) != 2:
            raise ValueError(f"{where}: val_data must be an (X, y) pair or a loader of (X, y) "
                             f"batches, got a tuple of {len(data)} items")
        X, y = data
        if len(X) != len(y):
            raise ValueError(f"{where}: val_data's X has {len(X)} samples but y has {len(y)}")
        if len(y) == 0:
            raise ValueError(f"{where}: val_data is empty (0 samples); pass at least one "
                             "sample, or val_data=None")
        return [data]
    if hasattr(data, "__iter__") and not isinstance(data, (str, bytes, dict)):
        if hasattr(data, "__len__") and len(data) == 0:
            raise ValueError(f"{where}: val_data has no batches; pass (X, y), a loader with "
                             "batches, or val_data=None")
        return data
    raise TypeError(f"{where}: val_data must be an (X, y) pair or a DataLoader, got "
                    f"{type(data).__name__}")


def _pair(batch, where, name, epoch, step):
    """(X, y) of one batch, or an error saying what the loader yielded instead."""
    at = f"epoch {epoch}, step {step}" if epoch is not None else f"batch {step}"
    try:
        X, y = batch
        n = len(y)
    except (TypeError, ValueError):
        raise TypeError(f"{where}: {name} must yield (X, y) pairs; at {at} it yielded a "
                        f"{type(batch).__name__}") from None
    if n == 0:
        raise ValueError(f"{where}: {name} yielded an empty batch (0 samples) at {at}; "
                         "check the loader (a DataLoader never does)")
    return X, y


def evaluate(model, loss_fn, data, metrics=None) -> dict:
    """{"loss": ..., metric: ...} of `model` on `data` ((X, y) or a loader), in eval mode
    and without recording a graph; averages are weighted by batch size. The model's
    train/eval mode is restored afterwards."""
    functions = _metric_functions(metrics)
    was_training = model.training
    model.eval()
    totals, count = {}, 0
    try:
        with no_grad():
            for step, batch in enumerate(_batches(data, "evaluate")):
                X, y = _pair(batch, "evaluate", "val_data", None, step)
                out = model(_as_input(X))
                n = len(y)
                values = {"loss": float(loss_fn(out, y).item())}
                values.update((name, f(out, y)) for name, f in functions.items())
                for name, value in values.items():
                    totals[name] = totals.get(name, 0.0) + n * float(value)
                count += n
    finally:
        model.train(was_training)
    if count == 0:
        raise ValueError("evaluate: the data yielded no batches (an exhausted generator?); "
                         "pass (X, y) or a loader that can be iterated again")
    return {name: total / count for name, total in totals.items()}


def _progress_bar(total, enabled):
    if not enabled:
        return None
    try:
        # tqdm.auto picks the notebook widget inside Jupyter, which needs ipywidgets; without
        # it tqdm.auto warns "IProgress not found" in every notebook. The text bar works there.
        if importlib.util.find_spec("ipywidgets") is not None:
            from tqdm.auto import tqdm
        else:
            from tqdm import tqdm
    except ImportError:
        warnings.warn("fit: tqdm is not installed, so no progress bar is shown "
                      "(pip install tqdm, or pass progress=False)", RuntimeWarning,
                      stacklevel=3)
        return None
    return tqdm(total=total, desc="fit", unit="epoch", leave=True)


def _train_epoch(model, loss_fn, optimizer, loader, functions, epoch, check_finite):
    """One pass over the loader; returns {"loss": ..., metric: ...} averaged per sample.
    A Ctrl-C during a step takes effect when the step is done: never half an update."""
    model.train()
    totals, count = {}, 0
    for step, batch in enumerate(loader):
        X, y = _pair(batch, "fit", "train_loader", epoch, step)
        with deferred_interrupts():
            optimizer.zero_grad()
            out = model(_as_input(X))
            loss = loss_fn(out, y)
            value = float(loss.item())
            if check_finite and not math.isfinite(value):
                raise FloatingPointError(f"fit: loss became {value} at epoch {epoch}, step "
                                         f"{step}; lower the learning rate or standardise the "
                                         "inputs (check_finite=False trains on regardless)")
            loss.backward()
            optimizer.step()
            n = len(y)
            totals["loss"] = totals.get("loss", 0.0) + n * value
            for name, f in functions.items():
                totals[name] = totals.get(name, 0.0) + n * float(f(out.detach(), y))
            count += n
    if count == 0:
        raise ValueError(f"fit: train_loader yielded no batches in epoch {epoch}"
                         + (" (an iterator runs out after one pass: pass a list of batches "
                            "or a DataLoader)" if epoch else ""))
    return {name: total / count for name, total in totals.items()}


def _check_arguments(model, loss_fn, optimizer, train_loader, epochs, val_data, tol,
                     early_stopping):
    """Everything fit can check before its first step, so a mistake costs no training."""
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"fit: epochs must be an int >= 0, got {epochs!r}")
    if tol is not None and (isinstance(tol, bool) or not isinstance(tol, numbers.Real)
                            or not 0 < tol < math.inf):
        raise ValueError(f"fit: tol must be a finite number > 0, got {tol!r}")
    for name, value, needs in (("model", model, ("__call__", "train")),
                               ("loss_fn", loss_fn, ("__call__",)),
                               ("optimizer", optimizer, ("step", "zero_grad"))):
        missing = [attribute for attribute in needs if not hasattr(value, attribute)]
        if missing:
            raise TypeError(f"fit: {name} has no {', '.join(missing)} (got "
                            f"{type(value).__name__}); see fit's docstring for what it takes")
    if early_stopping is not None and not isinstance(early_stopping, EarlyStopping):
        raise TypeError(f"fit: early_stopping must be an EarlyStopping, got "
                        f"{type(early_stopping).__name__}")
    for name, data in (("train_loader", train_loader), ("val_data", val_data)):
        if data is None or (name == "val_data" and isinstance(data, tuple)):
            continue
        if not hasattr(data, "__iter__") or isinstance(data, (str, bytes, dict)):
            raise TypeError(f"fit: {name} must be a loader of (X, y) batches (a DataLoader or "
                            f"a list), got {type(data).__name__}")
        if hasattr(data, "__next__") and epochs > 1:
            raise TypeError(f"fit: {name} is an iterator ({type(data).__name__}), which runs "
                            f"out after one pass, so epoch 1 would see no batches; pass a "
                            "list of batches or a DataLoader")
        if hasattr(data, "__len__") and len(data) == 0:
            raise ValueError(f"fit: {name} has no batches")
    if train_loader is None:
        raise TypeError("fit: train_loader is None; pass a DataLoader of (X, y) batches")
    if val_data is not None:
        _batches(val_data, "fit")


def _largest_change(model, before) -> float:
    return max((float(np.max(np.abs(p.data - before[name]), initial=0.0))
                for name, p in model.named_parameters()), default=0.0)


def fit(model, loss_fn, optimizer, train_loader, epochs: int, val_data=None, metrics=None,
        early_stopping: EarlyStopping | None = None, tol: float | None = None,
        progress: bool = True, check_finite: bool = True) -> History:
    """Train `model` for up to `epochs` passes over `train_loader`; returns a History.

    - train_loader: re-iterable (X, y) batches, e.g. nn.data.DataLoader; its batch size
      picks batch, mini-batch or stochastic gradient descent.
    - val_data: (X_val, y_val) or a loader, evaluated after every epoch in eval mode;
      adds "val_loss" and "val_<metric>" to the history.
    - metrics: names ("accuracy") or functions f(output, y) -> float, or a dict of them;
      training values are averaged over the epoch's batches (as the model was during the
      epoch), validation values are computed after it.
    - early_stopping: an EarlyStopping; restores the best parameters if it says so.
    - tol: the study text's stop rule: stop once no parameter element moved by tol or
      more during an epoch (history["max_change"] records the largest move).
    - progress: a tqdm progress bar over epochs, showing the latest values.
    - check_finite: a nan or inf loss raises FloatingPointError naming epoch and step;
      the history so far is attached to the error as `error.history`.

    The arguments are checked before the first step (TypeError or ValueError saying what
    was expected); an empty batch raises ValueError before any update from it.

    Ctrl-C: a step in progress is finished first (zero_grad to optimizer.step, never half
    of an update); during validation, training stops at once. fit then returns the
    history with interrupted=True. The history holds the completed epochs only (every
    list equally long); the model holds the parameters after the last finished step,
    which may lie inside the interrupted epoch (restored to the best epoch's if
    EarlyStopping says so). A second Ctrl-C during a step stops it at once. The model is
    left in the train/eval mode it had before.
    """
    _check_arguments(model, loss_fn, optimizer, train_loader, epochs, val_data, tol,
                     early_stopping)
    functions = _metric_functions(metrics)
    if early_stopping is not None and early_stopping.monitor is not None:
        names = ["loss", *functions]
        recorded = (names + (["val_" + name for name in names] if val_data is not None else [])
                    + (["max_change"] if tol is not None else []))
        if early_stopping.monitor not in recorded:
            raise ValueError(f"fit: EarlyStopping monitors {early_stopping.monitor!r}, which "
                             f"this run does not record (it records {', '.join(recorded)})")
    history = History()
    was_training = model.training
    if early_stopping is not None:
        early_stopping.reset()
    bar = _progress_bar(epochs, progress)
    try:
        for epoch in range(epochs):
            before = model.state_dict() if tol is not None else None
            values = _train_epoch(model, loss_fn, optimizer, train_loader, functions, epoch,
                                  check_finite)
            if val_data is not None:
                validated = evaluate(model, loss_fn, val_data, functions)
                values.update(("val_" + name, value) for name, value in validated.items())
            with deferred_interrupts():  # the epoch's record goes in whole
                for name, value in values.items():
                    history.append(name, value)
                history.epochs = epoch + 1
                reason = _stop_reason(model, history, before, tol, early_stopping, val_data)
            _show_progress(bar, history)
            if reason is not None:
                history.stopped_early, history.stop_reason = True, reason
                break
    except KeyboardInterrupt:
        history.interrupted = True
    except FloatingPointError as error:
        error.history = history
        raise
    finally:
        if bar is not None:
            bar.close()
        model.train(was_training)
    if early_stopping is not None:
        history.best_epoch = early_stopping.best_epoch
        if early_stopping.restore_best and early_stopping.best_state is not None:
            model.load_state_dict(early_stopping.best_state)
    return history


def _stop_reason(model, history, before, tol, early_stopping, val_data):
    """Why training stops after this epoch (the tol rule, early stopping), or None."""
    epoch = history.epochs - 1
    if tol is not None:
        change = _largest_change(model, before)
        history.append("max_change", change)
        if change < tol:
            return f"every parameter moved less than tol={tol} in epoch {epoch}"
    if early_stopping is not None:
        monitor = early_stopping.monitor or ("val_loss" if val_data is not None else "loss")
        if monitor not in history:
            raise ValueError(f"fit: EarlyStopping monitors {monitor!r}, which is not in the "
                             f"history ({', '.join(history)})")
        if early_stopping.step(history[monitor][-1], epoch, model):
            return f"{monitor} did not improve for {early_stopping.patience} epochs"
    return None


def _show_progress(bar, history):
    if bar is not None:
        bar.set_postfix({k: f"{v[-1]:.4g}" for k, v in history.items()}, refresh=False)
        bar.update(1)
