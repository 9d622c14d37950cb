"""A tracegrad training step as a user writes it, shared by the nn workloads (W3, W9, W10,
W10T): zero the gradients, compute the loss, backward, one SGD step; and PyTorch's
classification step for the peers' column of W9 and W10."""

from __future__ import annotations

import optim


class TrainingStep:
    """`model` trained by SGD(lr) on `loss_fn(model(x), target)`."""

    def __init__(self, model, loss_fn, lr):
        self.model, self.loss_fn = model, loss_fn
        self.params = list(model.parameters())
        self.optimizer = optim.SGD(self.params, lr=lr)

    def loss(self, x, target):
        return self.loss_fn(self.model(x), target)

    def loss_and_grads(self, x, target):
        self.optimizer.zero_grad()
        loss = self.loss(x, target)
        loss.backward()
        return loss, [p.grad for p in self.params]

    def step(self, x, target):
        loss, _ = self.loss_and_grads(x, target)
        self.optimizer.step()
        return loss


def torch_step(torch, model, optimizer, x, labels):
    """The same step in PyTorch: cross-entropy of model(x), backward, optimizer.step()."""
    optimizer.zero_grad()
    loss = torch.nn.functional.cross_entropy(model(x), labels)
    loss.backward()
    optimizer.step()
    return loss
