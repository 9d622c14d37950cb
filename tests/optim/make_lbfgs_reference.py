"""Record torch.optim.LBFGS on the problems of lbfgs_problems.py into lbfgs_reference.json.

Run once by hand, in a throwaway environment that has torch (not a tracegrad dependency;
the suite only reads the JSON), from the repository root:

    python -m venv /tmp/torch-venv && /tmp/torch-venv/bin/pip install torch==2.13.0 numpy
    /tmp/torch-venv/bin/python tests/optim/make_lbfgs_reference.py

Like make_reference.py, but LBFGS evaluates the loss itself (through the closure), so the
losses are computed in torch here and in tracegrad by the tests: the comparison covers
the forward and backward passes as well as the optimiser. Recorded per step: the
flattened parameters, the loss step() returned, and state["func_evals"], state["n_iter"];
after the last step, the rest of the state.
"""

from __future__ import annotations

import json
import pathlib
import re
import sys

import numpy as np
import torch

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # lbfgs_problems

import lbfgs_problems as problems  # noqa: E402

OUT = HERE / "lbfgs_reference.json"


def rosenbrock_loss(params):
    (x,) = params
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def hyperbola_loss(params):
    (x,) = params
    return ((x * x + 0.01).sqrt() - 0.3 * x).sum()


LOGISTIC_DATA = problems.logistic_data()
MLP_DATA = problems.mlp_data()


def logistic_loss(params):
    w, b = params
    X, y = (torch.from_numpy(a) for a in LOGISTIC_DATA)
    z = X @ w + b
    return (torch.nn.functional.binary_cross_entropy_with_logits(z, y)
            + 0.5 * problems.L2 * (w * w).sum())


def mlp_loss(params):
    W1, b1, W2, b2 = params
    X, y = (torch.from_numpy(a) for a in MLP_DATA)
    logits = torch.tanh(X @ W1.T + b1) @ W2.T + b2
    return torch.nn.functional.cross_entropy(logits, y)


LOSSES = {"rosenbrock": rosenbrock_loss, "hyperbola": hyperbola_loss,
          "logistic": logistic_loss, "mlp": mlp_loss}


def record(problem, kwargs):
    params = [torch.tensor(a, requires_grad=True) for a in problems.INIT[problem]()]
    opt = torch.optim.LBFGS(params, **kwargs)

    def closure():
        opt.zero_grad()
        loss = LOSSES[problem](params)
        loss.backward()
        return loss

    rows, losses, evals, iters = [], [], [], []
    for _ in range(problems.STEPS):
        losses.append(float(opt.step(closure).detach()))
        rows.append(np.concatenate([p.detach().numpy().ravel() for p in params]).tolist())
        state = opt.state[params[0]]
        evals.append(state["func_evals"])
        iters.append(state["n_iter"])
    final = {"state_keys": sorted(state), "t": float(state["t"]),
             "H_diag": float(state["H_diag"]), "prev_loss": float(state["prev_loss"]),
             "history": len(state["old_dirs"]), "d": state["d"].numpy().tolist()}
    return {"problem": problem, "kwargs": kwargs, "trajectory": rows, "losses": losses,
            "func_evals": evals, "n_iter": iters, "final_state": final}


def main():
    torch.set_default_dtype(torch.float64)
    data = {
        "torch_version": torch.__version__,
        "numpy_version": np.__version__,
        "python_version": sys.version.split()[0],
        "steps": problems.STEPS,
        "cases": {name: record(*case) for name, case in problems.CASES.items()},
    }
    text = json.dumps(data, indent=1)
    # One line per innermost list of numbers, as make_reference.py writes them.
    text = re.sub(
        r"\[\s*([-+0-9.eE,\s]+?)\s*\]",
        lambda m: "[" + ", ".join(m.group(1).split()).replace(",,", ",") + "]",
        text,
    )
    OUT.write_text(text + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
