"""fit_restarts(): train the same network from several random starts and keep the best.

Gradient descent on a non-convex loss ends in a minimum that depends on where it
started. The study text's remedy: run it from several initial values and keep the run
whose loss is lowest. Each restart seeds nn.manual_seed(seed), so the starts are
reproducible, builds a fresh model and optimiser, and trains with nn.fit:

    for seed in seeds:
        manual_seed(seed);  model = make_model();  fit(model, ..., make_optimizer(params))
    best = the restart with the lowest monitored value (the training loss, or the
           validation loss when there is validation data)
"""

from __future__ import annotations

import math

from .init import manual_seed
from .module import Module
from .training import History, fit

__all__ = ["fit_restarts", "Restarts"]


class Restarts:
    """The outcome of fit_restarts: `model`, `seed` and `history` of the best restart,
    `scores` ({seed: monitored value} for every restart, the value it was ranked by) and
    `histories` ({seed: History}). Only the best model is kept."""

    def __init__(self, model, seed, history, scores, histories, monitor):
        self.model, self.seed, self.history = model, seed, history
        self.scores, self.histories, self.monitor = scores, histories, monitor

    def __repr__(self):
        return (f"Restarts(best seed {self.seed} of {len(self.scores)}, "
                f"{self.monitor}={self.scores[self.seed]:.4g})")


def fit_restarts(make_model, make_optimizer, loss_fn, train_loader, epochs: int, seeds=5,
                 val_data=None, monitor: str | None = None, **fit_kwargs) -> Restarts:
    """Train `make_model()` once per seed with fit() and return the best as a Restarts.

    - make_model(): a new Module (called after manual_seed(seed), so its weights differ
      per seed); make_optimizer(parameters): a new optimiser for it.
    - seeds: an int n (seeds 0..n-1) or an iterable of int seeds.
    - monitor: the history entry a restart is ranked by, lowest wins: "val_loss" when
      val_data is given, else "loss"; its value at the epoch whose parameters the model
      holds (the last, or the best one that early stopping restored).
    - fit_kwargs go to fit (metrics, early_stopping, tol, ...); progress defaults to
      False, since one bar per restart is noise.
    A restart whose loss became nan or inf ranks last instead of ending the search.
    """
    seeds = _seed_list(seeds)
    if not callable(make_model) or not callable(make_optimizer):
        raise TypeError("fit_restarts: make_model and make_optimizer must be callables, "
                        "e.g. lambda: nn.MLP(2, [4], 1) and lambda p: optim.Adam(p, lr=0.1)")
    monitor = monitor or ("val_loss" if val_data is not None else "loss")
    fit_kwargs.setdefault("progress", False)
    fit_kwargs.setdefault("check_finite", False)  # a diverged start is ranked, not raised
    best, scores, histories = None, {}, {}
    for seed in seeds:
        manual_seed(seed)
        model = make_model()
        if not isinstance(model, Module):
            raise TypeError(f"fit_restarts: make_model() returned {type(model).__name__}, "
                            "not an nn.Module")
        history = fit(model, loss_fn, make_optimizer(model.parameters()), train_loader,
                      epochs, val_data=val_data, **fit_kwargs)
        scores[seed] = _score(history, monitor)
        histories[seed] = history
        if best is None or scores[seed] < scores[best[0]]:
            best = (seed, model)
    seed, model = best
    return Restarts(model, seed, histories[seed], scores, histories, monitor)


def _seed_list(seeds) -> list:
    if isinstance(seeds, int) and not isinstance(seeds, bool):
        if seeds < 1:
            raise ValueError(f"fit_restarts: seeds must be >= 1 restarts, got {seeds}")
        return list(range(seeds))
    try:
        seeds = list(seeds)
    except TypeError:
        raise TypeError(f"fit_restarts: seeds must be an int or an iterable of ints, got "
                        f"{type(seeds).__name__}") from None
    if not seeds or not all(isinstance(s, int) and not isinstance(s, bool) for s in seeds):
        raise ValueError(f"fit_restarts: seeds must be a non-empty list of ints, got {seeds!r}")
    return seeds


def _score(history: History, monitor: str) -> float:
    if monitor not in history:
        raise ValueError(f"fit_restarts: monitor {monitor!r} is not in the history "
                         f"({', '.join(history)})")
    values = history[monitor]
    # The epoch whose parameters the model holds: the best one if early stopping put
    # them back, else the last.
    restored = history.best_epoch is not None and history.best_epoch < len(values)
    value = values[history.best_epoch] if restored else values[-1]
    return value if math.isfinite(value) else math.inf
