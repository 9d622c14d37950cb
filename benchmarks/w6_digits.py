"""W6 digits: train a small classifier end to end on the bundled handwritten digits.

The 1,797 8×8 digits, split 75/25 with seed 0, standardised with the training split's
statistics; MLP 64→64→10 with ReLU, softmax cross-entropy, Adam (lr 1e-3, β = (0.9,
0.999), ε = 1e-8, PyTorch's form), batches of 32 reshuffled every epoch, 50 epochs,
float64. Reported: test accuracy (mean over 3 seeds; the seed sets the initial weights
and the shuffling) and training seconds (median over the seeds).

Every implementation starts from the same Glorot-uniform weights (scikit-learn's
initialisation, biases included) and sees the same batches. The tracegrad model is what
a user writes: nn.MLP, nn.CrossEntropyLoss and optim.Adam, with the initial weights
loaded into the model's parameters. scikit-learn's MLPClassifier runs with the same
settings (alpha=0, so no L2 penalty, and no early stop: all 50 epochs), with its own
initialisation and shuffling from the same seed.
"""

from __future__ import annotations

import warnings

import numpy as np

import nn
import optim
from autograd import Tensor
from nn.data import DataLoader, StandardScaler, train_test_split
from nn.datasets import load_digits

from .harness import NOT_INSTALLED, Config, Result, check_all_close, optional_import

ID, NAME = "W6", "digits"
HIDDEN, CLASSES = 64, 10
LR, BETAS, EPS = 1e-3, (0.9, 0.999), 1e-8
BATCH = 32


def problem(config: Config):
    X, y = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, seed=0)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    if config.quick:
        X_train, y_train = X_train[:256], y_train[:256]
    return X_train, X_test, y_train, y_test


def settings(config: Config) -> tuple[int, tuple]:
    """(epochs, seeds)."""
    return (2, (0, 1)) if config.quick else (50, (0, 1, 2))


def initial_weights(seed, n_in):
    """Glorot uniform, ±√(6 / (fan_in + fan_out)), for weights and biases alike."""
    rng = np.random.default_rng(seed)
    weights = []
    for fan_in, fan_out in ((n_in, HIDDEN), (HIDDEN, CLASSES)):
        bound = np.sqrt(6.0 / (fan_in + fan_out))
        weights += [rng.uniform(-bound, bound, (fan_out, fan_in)),
                    rng.uniform(-bound, bound, fan_out)]
    return weights


class Adam:
    """The floor's update, in numpy:
    m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  p ← p − η·m̂/(√v̂ + ε),
    with m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ). Updates numpy arrays in place."""

    def __init__(self, arrays):
        self.arrays = arrays
        self.m = [np.zeros_like(a) for a in arrays]
        self.v = [np.zeros_like(a) for a in arrays]
        self.t = 0

    def step(self, grads):
        self.t += 1
        beta1, beta2 = BETAS
        for p, g, m, v in zip(self.arrays, grads, self.m, self.v, strict=True):
            m *= beta1
            m += (1 - beta1) * g
            v *= beta2
            v += (1 - beta2) * g * g
            m_hat = m / (1 - beta1**self.t)
            v_hat = v / (1 - beta2**self.t)
            p -= LR * m_hat / (np.sqrt(v_hat) + EPS)


def accuracy(weights, X, y) -> float:
    W1, b1, W2, b2 = weights
    logits = np.maximum(X @ W1.T + b1, 0) @ W2.T + b2
    return float((logits.argmax(axis=1) == y).mean())


# --------------------------------------------------------------------------------------
# tracegrad, as a user writes it: nn.MLP, nn.CrossEntropyLoss, optim.Adam


def tracegrad_model(weights, n_in):
    """nn.MLP(n_in, [HIDDEN], CLASSES) holding `weights` (W₁, b₁, W₂, b₂)."""
    model = nn.MLP(n_in, [HIDDEN], CLASSES)
    names = [name for name, _ in model.named_parameters()]
    model.load_state_dict(dict(zip(names, weights, strict=True)))
    return model


def train_tracegrad(weights, X, y, epochs, seed):
    model = tracegrad_model(weights, X.shape[1])
    loss_fn = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=LR, betas=BETAS, eps=EPS)
    loader = DataLoader(X, y, batch_size=BATCH, shuffle=True, seed=seed)
    for _ in range(epochs):
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(Tensor(xb)), yb)
            loss.backward()
            optimizer.step()
    return [p.data for p in model.parameters()]


# --------------------------------------------------------------------------------------
# the numpy floor


def numpy_grads(weights, xb, yb):
    W1, b1, W2, b2 = weights
    z1 = xb @ W1.T + b1
    h1 = np.maximum(z1, 0)
    logits = h1 @ W2.T + b2
    shifted = logits - logits.max(axis=1, keepdims=True)
    probs = np.exp(shifted)
    probs /= probs.sum(axis=1, keepdims=True)
    rows = np.arange(len(yb))
    g = probs  # ∂L/∂logits = (softmax − onehot) / B
    g[rows, yb] -= 1
    g /= len(yb)
    gh = (g @ W2) * (z1 > 0)
    return [gh.T @ xb, gh.sum(axis=0), g.T @ h1, g.sum(axis=0)]


def train_numpy(weights, X, y, epochs, seed):
    weights = [w.copy() for w in weights]
    adam = Adam(weights)
    loader = DataLoader(X, y, batch_size=BATCH, shuffle=True, seed=seed)
    for _ in range(epochs):
        for xb, yb in loader:
            adam.step(numpy_grads(weights, xb, yb))
    return weights


# --------------------------------------------------------------------------------------
# peers (optional)


def train_torch(weights, X, y, epochs, seed):
    import torch

    model = torch.nn.Sequential(torch.nn.Linear(X.shape[1], HIDDEN, dtype=torch.float64),
                                torch.nn.ReLU(),
                                torch.nn.Linear(HIDDEN, CLASSES, dtype=torch.float64))
    with torch.no_grad():
        for p, w in zip(model.parameters(), weights, strict=True):
            p.copy_(torch.from_numpy(w))
    optimizer = torch.optim.Adam(model.parameters(), lr=LR, betas=BETAS, eps=EPS)
    loader = DataLoader(X, y, batch_size=BATCH, shuffle=True, seed=seed)
    for _ in range(epochs):
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(torch.from_numpy(xb)),
                                                     torch.from_numpy(yb))
            loss.backward()
            optimizer.step()
    return [p.detach().numpy() for p in model.parameters()]


def train_sklearn(weights, X, y, epochs, seed):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    model = MLPClassifier(hidden_layer_sizes=(HIDDEN,), activation="relu", solver="adam",
                          alpha=0.0, batch_size=BATCH, learning_rate_init=LR,
                          beta_1=BETAS[0], beta_2=BETAS[1], epsilon=EPS, max_iter=epochs,
                          shuffle=True, random_state=seed, tol=0.0, n_iter_no_change=epochs + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # it ran all epochs, as asked
        model.fit(X, y)
    return [model.coefs_[0].T, model.intercepts_[0], model.coefs_[1].T, model.intercepts_[1]]


TRAINERS = {"tracegrad": train_tracegrad, "floor": train_numpy, "torch": train_torch,
            "scikit-learn": train_sklearn}
PEER_MODULES = {"torch": "torch", "scikit-learn": "sklearn"}


def run(config: Config) -> list[Result]:
    X_train, X_test, y_train, y_test = problem(config)
    epochs, seeds = settings(config)
    first = initial_weights(seeds[0], X_train.shape[1])
    expected = train_numpy(first, X_train, y_train, 1, seeds[0])
    worst = check_all_close("W6 tracegrad vs numpy floor after one epoch",
                            train_tracegrad(first, X_train, y_train, 1, seeds[0]), expected,
                            rtol=1e-9, atol=1e-12)
    check = f"weights after one epoch equal to the floor (max diff {worst:.1e})"
    trainers, peer_notes = {"tracegrad": train_tracegrad, "floor": train_numpy}, {}
    for peer, module in PEER_MODULES.items():
        if not config.peers:
            peer_notes[peer] = "not measured (--no-peers)"
        elif optional_import(module) is None:
            peer_notes[peer] = NOT_INSTALLED
        else:
            trainers[peer] = TRAINERS[peer]
    if "torch" in trainers:
        worst = check_all_close("W6 torch vs numpy floor after one epoch",
                                train_torch(first, X_train, y_train, 1, seeds[0]), expected,
                                rtol=1e-9, atol=1e-12)
        check += f"; torch too ({worst:.1e})"

    seconds = {name: [] for name in trainers}
    accuracies = {name: [] for name in trainers}
    for train in trainers.values():  # warm-up: one epoch each
        train(first, X_train[:BATCH * 4], y_train[:BATCH * 4], 1, seeds[0])
    for seed in seeds:  # interleaved: each seed runs every implementation in turn
        weights = initial_weights(seed, X_train.shape[1])
        for name, train in trainers.items():
            start = config.now()
            trained = train(weights, X_train, y_train, epochs, seed)
            seconds[name].append(config.now() - start)
            accuracies[name].append(accuracy(trained, X_test, y_test))
    return _results(config, epochs, seeds, len(X_train), check, seconds, accuracies,
                    peer_notes)


def _results(config, epochs, seeds, n_train, check, seconds, accuracies, peer_notes):
    mean_acc = {name: 100 * float(np.mean(values)) for name, values in accuracies.items()}
    median_s = {name: float(np.median(values)) for name, values in seconds.items()}
    peers_acc = {**peer_notes, **{k: v for k, v in mean_acc.items()
                                  if k not in ("tracegrad", "floor")}}
    peers_s = {**peer_notes, **{k: v for k, v in median_s.items()
                                if k not in ("tracegrad", "floor")}}
    case = f"64-64-10, {n_train} train, {epochs} epochs, {len(seeds)} seeds"
    sk_acc, sk_s = mean_acc.get("scikit-learn"), median_s.get("scikit-learn")
    accuracy_row = Result(ID, NAME, case + ": test accuracy", "%", mean_acc["tracegrad"],
                          mean_acc["floor"], peers_acc, check, "≥ scikit-learn",
                          extra={"per_seed": accuracies})
    time_row = Result(ID, NAME, case + ": training time", "s", median_s["tracegrad"],
                      median_s["floor"], peers_s, check, "≤ scikit-learn",
                      extra={"per_seed": seconds})
    if not config.quick and sk_acc is not None:
        accuracy_row.met = mean_acc["tracegrad"] >= sk_acc
        time_row.met = median_s["tracegrad"] <= sk_s
    return [accuracy_row, time_row]
