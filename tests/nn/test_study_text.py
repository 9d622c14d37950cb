"""The study text's own worked examples, reproduced number for number.

Linear regression ŷ = w·x + b with the text's MSE, L = (1/N) Σ (ŷᵢ − yᵢ)², whose
gradient is ∇L(w) = (2/N) Σ (ŷᵢ − yᵢ)·xᵢ and ∇L(b) = (2/N) Σ (ŷᵢ − yᵢ); and the
one-hidden-layer network with J = L + s, s = (λ/2)(‖W1‖² + ‖W2‖²).
"""

import numpy as np
import pytest

import autograd
import nn
import optim

X4, Y4 = np.array([1.0, 2.0, 3.0, 4.0]), np.array([2.0, 4.0, 6.0, 8.0])
X8 = np.arange(1.0, 9.0)
Y8 = 2 * X8


def regression_model():
    """ŷ = w·x + b as a Linear(1, 1) with w = b = 0, the text's starting point."""
    model = nn.Linear(1, 1)
    nn.init.zeros_(model.weight)
    nn.init.zeros_(model.bias)
    return model


def w_and_b(model):
    return model.weight.data.item(), model.bias.data.item()


def text_gradient(w, b, x, y):
    """The text's formulas: (2/N) Σ (ŷ − y)·x and (2/N) Σ (ŷ − y) over the batch."""
    error = w * x + b - y
    return 2 / len(x) * np.sum(error * x), 2 / len(x) * np.sum(error)


def test_batch_gradient_descent_step_gives_the_texts_numbers():
    model = regression_model()
    optimizer = optim.SGD(model.parameters(), lr=0.01)
    loss = nn.MSELoss()(model(X4.reshape(-1, 1)), Y4.reshape(-1, 1))
    loss.backward()
    assert model.weight.grad.item() == pytest.approx(-30.0, rel=1e-15)
    assert model.bias.grad.item() == pytest.approx(-10.0, rel=1e-15)
    optimizer.step()
    w, b = w_and_b(model)
    assert w == pytest.approx(0.3, rel=1e-15) and b == pytest.approx(0.1, rel=1e-15)


def test_per_sample_gradients_are_the_texts_terms():
    """−1, −4, −9, −16 for w and −1, −2, −3, −4 for b: the summands of −30 and −10."""
    model = regression_model()
    losses = nn.mse_loss(model(X4.reshape(-1, 1)), Y4.reshape(-1, 1), reduction="none")
    for i, (grad_w, grad_b) in enumerate([(-1, -1), (-4, -2), (-9, -3), (-16, -4)]):
        dw, db = autograd.grad(losses[i, 0] / 4, [model.weight, model.bias],
                               retain_graph=True)
        assert (dw.item(), db.item()) == pytest.approx((grad_w, grad_b), rel=1e-15)


def hand_written_run(batch_size, epochs, lr=0.01, momentum=None):
    """The text's procedure in plain numpy: (w, b) after every update, samples in order."""
    w = b = 0.0
    v_w = v_b = 0.0
    trajectory = []
    for _ in range(epochs):
        for start in range(0, len(X8), batch_size):
            x, y = X8[start:start + batch_size], Y8[start:start + batch_size]
            g_w, g_b = text_gradient(w, b, x, y)
            if momentum is None:
                w, b = w - lr * g_w, b - lr * g_b
            else:  # the text's form: v ← μ·v + η·∇L;  θ ← θ − v
                v_w, v_b = momentum * v_w + lr * g_w, momentum * v_b + lr * g_b
                w, b = w - v_w, b - v_b
            trajectory.append((w, b))
    return trajectory


def tracegrad_run(batch_size, epochs, optimizer_kwargs):
    model = regression_model()
    optimizer = optim.SGD(model.parameters(), **optimizer_kwargs)
    loader = nn.DataLoader(X8.reshape(-1, 1), Y8.reshape(-1, 1), batch_size=batch_size)
    loss_fn = nn.MSELoss()
    trajectory = []
    for _ in range(epochs):
        for x, y in loader:
            optimizer.zero_grad()
            loss_fn(model(x), y).backward()
            optimizer.step()
            trajectory.append(w_and_b(model))
    return trajectory


@pytest.mark.parametrize("name, batch_size, momentum", [
    ("mini-batch, batches of 4", 4, None),
    ("stochastic, one sample at a time", 1, None),
    ("momentum 0.9, one sample at a time", 1, 0.9),
], ids=["minibatch", "sgd", "momentum"])
def test_gradient_descent_variants_follow_the_texts_formulas_step_by_step(name, batch_size,
                                                                          momentum):
    epochs = 3
    expected = hand_written_run(batch_size, epochs, momentum=momentum)
    kwargs = {"lr": 0.01} if momentum is None else {"lr": 0.01, "momentum": momentum}
    actual = tracegrad_run(batch_size, epochs, kwargs)
    assert len(actual) == len(expected) == epochs * len(X8) // batch_size
    np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-14, err_msg=name)


def test_first_mini_batch_step_by_hand():
    """Batch 1 of x = 1..8: the same gradient as the BGD example, −30 and −10."""
    w, b = hand_written_run(batch_size=4, epochs=1)[0]
    assert (w, b) == pytest.approx((0.3, 0.1), rel=1e-15)


def test_fit_reproduces_the_mini_batch_procedure():
    model = regression_model()
    optimizer = optim.SGD(model.parameters(), lr=0.01)
    loader = nn.DataLoader(X8.reshape(-1, 1), Y8.reshape(-1, 1), batch_size=4)
    nn.fit(model, nn.MSELoss(), optimizer, loader, epochs=5, progress=False)
    np.testing.assert_allclose(w_and_b(model), hand_written_run(4, 5)[-1], rtol=1e-12)


def test_one_hidden_layer_gradients_equal_the_texts_closed_forms():
    """J = L + s without biases: ∂J/∂W2 = (∂J/∂o) hᵀ + λ·W2, ∂J/∂W1 = (∂J/∂z) xᵀ + λ·W1,
    with ∂J/∂h = W2ᵀ ∂J/∂o and ∂J/∂z = ∂J/∂h ⊙ φ'(z)."""
    lam, label = 0.1, 2
    rng = np.random.default_rng(0)
    x = rng.normal(size=4)
    hidden, output = nn.Linear(4, 5, bias=False), nn.Linear(5, 3, bias=False)
    W1, W2 = hidden.weight, output.weight

    z = hidden(x)
    h = z.tanh()
    o = output(h)
    J = nn.cross_entropy(o, label) + nn.l2_penalty([W1, W2], lam)
    J.backward()

    p = np.exp(o.data - o.data.max())
    p /= p.sum()
    dJ_do = p - np.eye(3)[label]  # ∂L/∂o for cross-entropy (∂J/∂L = 1)
    dJ_dh = W2.data.T @ dJ_do
    dJ_dz = dJ_dh * (1 - np.tanh(z.data) ** 2)
    np.testing.assert_allclose(W2.grad.data, np.outer(dJ_do, h.data) + lam * W2.data,
                               rtol=1e-12)
    np.testing.assert_allclose(W1.grad.data, np.outer(dJ_dz, x) + lam * W1.data, rtol=1e-12)
    s = lam / 2 * ((W1.data ** 2).sum() + (W2.data ** 2).sum())
    assert J.item() == pytest.approx(-np.log(p[label]) + s, rel=1e-12)
