"""tracegrad's optimisers: PyTorch's names, defaults and numbers, one readable class each.

    from optim import SGD, Adam
    opt = Adam(model.parameters(), lr=1e-3)
    for x, y in data:
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

Each class's docstring states its update rule as numbered formulas and, where the study
text writes a rule differently, how the two relate. Learning-rate schedules are in
`optim.lr_scheduler`.
"""

from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .lbfgs import LBFGS
from .newton import Newton, NewtonCG
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD, Momentum, Nesterov

__all__ = [
    "Optimizer",
    "SGD",
    "Momentum",
    "Nesterov",
    "Adagrad",
    "Adadelta",
    "RMSprop",
    "Adam",
    "AdamW",
    "LBFGS",
    "Newton",
    "NewtonCG",
    "lr_scheduler",
]
