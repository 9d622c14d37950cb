"""Issue 4's accuracy targets: an MLP on the bundled digits and on two moons.

Digits: standardised, 75/25 split with seed 0, at least 97% test accuracy. Moons: 100%.
Each trains in well under a second here; the time limit only guards against a
pathological slowdown, with room for a loaded 2-core machine.
"""

import time

import nn
import optim
from nn.datasets import load_digits, make_moons


def train(model, X_train, y_train, loss_fn, lr, batch_size, epochs, seed=0):
    optimizer = optim.Adam(model.parameters(), lr=lr)
    loader = nn.DataLoader(X_train, y_train, batch_size=batch_size, shuffle=True, seed=seed)
    start = time.perf_counter()
    nn.fit(model, loss_fn, optimizer, loader, epochs=epochs, progress=False)
    return time.perf_counter() - start


def test_mlp_reaches_97_percent_on_the_digits_test_split():
    X, y = load_digits()
    X_train, X_test, y_train, y_test = nn.train_test_split(X, y, test_size=0.25, seed=0)
    scaler = nn.StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    nn.manual_seed(0)
    model = nn.MLP(64, [128], 10)
    seconds = train(model, X_train, y_train, nn.CrossEntropyLoss(label_smoothing=0.1),
                    lr=3e-3, batch_size=64, epochs=20)
    model.eval()
    assert nn.accuracy(model(X_test), y_test) >= 0.97
    assert seconds < 30


def test_mlp_separates_two_moons_perfectly():
    X, y = make_moons(400, noise=0.1, seed=0)
    X_train, X_test, y_train, y_test = nn.train_test_split(X, y, test_size=0.25, seed=0)
    nn.manual_seed(0)
    model = nn.MLP(2, [16, 16], 2)
    seconds = train(model, X_train, y_train, nn.CrossEntropyLoss(), lr=1e-2, batch_size=32,
                    epochs=50)
    model.eval()
    assert nn.accuracy(model(X_test), y_test) == 1.0
    assert nn.accuracy(model(X_train), y_train) == 1.0
    assert seconds < 30
