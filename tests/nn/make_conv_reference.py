"""Records PyTorch's values and gradients for conv_cases (functional calls, modules with
seeded weights, the LeNet-style CNN trained 5 steps) into conv_reference.json, which
test_conv_torch.py checks without torch.

    python3 -m venv /tmp/torch && /tmp/torch/bin/pip install torch==2.13.0 numpy
    /tmp/torch/bin/python tests/nn/make_conv_reference.py
"""

import json
import pathlib
import sys
import types

import numpy as np
import torch

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from conv_cases import (  # noqa: E402
    FUNCTIONAL,
    MODULES,
    SECOND_ORDER,
    run_functional,
    run_module,
    run_second_order,
    train_lenet,
)

OUT = pathlib.Path(__file__).with_name("conv_reference.json")


def _assign(param, values):
    with torch.no_grad():
        param.copy_(torch.tensor(values))


def _grad(output, inputs, create_graph=False):
    return torch.autograd.grad(output, inputs, create_graph=create_graph)


TORCH = types.SimpleNamespace(
    F=torch.nn.functional,
    nn=torch.nn,
    SGD=torch.optim.SGD,
    tensor=lambda values, requires_grad=True: torch.tensor(values,
                                                           requires_grad=requires_grad),
    labels=lambda y: torch.tensor(y),
    shape=lambda t: tuple(t.shape),
    numpy=lambda t: t.detach().numpy().copy(),
    assign=_assign,
    grad=_grad,
)


def record():
    torch.set_default_dtype(torch.float64)
    functional = []
    for i in range(len(FUNCTIONAL)):
        out, grads = run_functional(TORCH, i)
        functional.append({"out": out.tolist(), "grads": [g.tolist() for g in grads]})
    modules = []
    for i in range(len(MODULES)):
        out, grads, state, extra = run_module(TORCH, i)
        modules.append({"out": out.tolist(), "grads": {k: g.tolist() for k, g in grads.items()},
                        "state_dict": state, "extra_repr": extra})
    second_order = [[g.tolist() for g in run_second_order(TORCH, i)]
                    for i in range(len(SECOND_ORDER))]
    losses, first_grads, final = train_lenet(TORCH)
    return {
        "torch": torch.__version__,
        "functional": functional,
        "modules": modules,
        "second_order": second_order,
        "lenet": {"losses": losses,
                  "first_grads": {k: g.tolist() for k, g in first_grads.items()},
                  "final": {k: p.tolist() for k, p in final.items()}},
    }


if __name__ == "__main__":
    np.set_printoptions(precision=17)
    OUT.write_text(json.dumps(record()) + "\n")
    print(f"wrote {OUT}")
