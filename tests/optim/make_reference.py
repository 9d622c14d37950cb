"""Record PyTorch's optimiser and scheduler trajectories into reference_trajectories.json.

Run once by hand, in a throwaway environment that has torch (it is not a tracegrad
dependency, and the test suite never runs this script; it only reads the JSON):

    python -m venv /tmp/torch-venv && /tmp/torch-venv/bin/pip install torch==2.13.0 numpy
    /tmp/torch-venv/bin/python tests/optim/make_reference.py

The problem is fixed: two parameters, w of shape (5,) and M of shape (2, 3), and the
loss L(p) = ½·Σ s·(p − c)² + ¼·Σ (p² − 1)²  (a quadratic plus a double well), whose
gradient s·(p − c) + p·(p² − 1) is computed in numpy and handed to both libraries, so
the recorded numbers test the optimisers alone.
"""

from __future__ import annotations

import json
import math
import pathlib
import re
import sys

import numpy as np
import torch

OUT = pathlib.Path(__file__).with_name("reference_trajectories.json")
STEPS = 20
SCHEDULE_STEPS = 25

PROBLEM = {
    "init": [[0.3, -1.2, 2.0, 0.05, -0.7], [[1.5, -0.4, 0.9], [-2.1, 0.2, 0.6]]],
    "scale": [[1.0, 0.5, 2.0, 0.1, 3.0], [[0.7, 1.3, 0.2], [2.5, 0.9, 1.1]]],
    "center": [[1.0, 0.0, -0.5, 2.0, 0.3], [[-1.0, 0.4, 0.0], [1.2, -0.3, 0.8]]],
}

OPTIMIZERS = {
    "sgd": ("SGD", {"lr": 0.05}),
    "sgd_momentum": ("SGD", {"lr": 0.05, "momentum": 0.9}),
    "sgd_dampening": ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3}),
    "sgd_nesterov": ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    "sgd_weight_decay": ("SGD", {"lr": 0.05, "weight_decay": 0.1}),
    "sgd_maximize": ("SGD", {"lr": 0.002, "momentum": 0.5, "maximize": True}),
    "sgd_all": ("SGD", {"lr": 0.03, "momentum": 0.8, "weight_decay": 0.05, "nesterov": True}),
    "adagrad": ("Adagrad", {"lr": 0.1}),
    "adagrad_lr_decay": ("Adagrad", {"lr": 0.1, "lr_decay": 0.05}),
    "adagrad_weight_decay": ("Adagrad", {"lr": 0.1, "weight_decay": 0.1}),
    "adagrad_accumulator": ("Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.5, "eps": 1e-3}),
    "adagrad_maximize": ("Adagrad", {"lr": 0.05, "maximize": True}),
    "adadelta": ("Adadelta", {}),
    "adadelta_rho": ("Adadelta", {"lr": 0.5, "rho": 0.5, "eps": 1e-3}),
    "adadelta_weight_decay": ("Adadelta", {"weight_decay": 0.1}),
    "adadelta_maximize": ("Adadelta", {"maximize": True}),
    "rmsprop": ("RMSprop", {}),
    "rmsprop_centered": ("RMSprop", {"lr": 0.01, "centered": True}),
    "rmsprop_momentum": ("RMSprop", {"lr": 0.01, "momentum": 0.9}),
    "rmsprop_centered_momentum": (
        "RMSprop",
        {"lr": 0.005, "momentum": 0.5, "centered": True, "alpha": 0.9},
    ),
    "rmsprop_weight_decay": ("RMSprop", {"lr": 0.01, "weight_decay": 0.1}),
    "rmsprop_maximize": ("RMSprop", {"lr": 0.01, "maximize": True}),
    "adam": ("Adam", {"lr": 0.05}),
    "adam_defaults": ("Adam", {}),
    "adam_amsgrad": ("Adam", {"lr": 0.05, "amsgrad": True}),
    "adam_weight_decay": ("Adam", {"lr": 0.05, "weight_decay": 0.1}),
    "adam_betas": ("Adam", {"lr": 0.05, "betas": [0.3, 0.9], "eps": 1e-6}),
    "adam_maximize": ("Adam", {"lr": 0.05, "maximize": True, "amsgrad": True}),
    "adamw": ("AdamW", {"lr": 0.05}),
    "adamw_amsgrad": ("AdamW", {"lr": 0.05, "amsgrad": True, "weight_decay": 0.5}),
    "adamw_maximize": ("AdamW", {"lr": 0.05, "maximize": True}),
}

# Runs with more structure: two parameter groups, a gradient that is sometimes None,
# float32 parameters.
SPECIAL = {
    "sgd_momentum_two_groups": (
        "SGD",
        {"lr": 0.05, "momentum": 0.9},
        {"groups": [{}, {"lr": 0.01, "dampening": 0.5}]},
    ),
    "adam_two_groups": (
        "Adam",
        {"lr": 0.05},
        {"groups": [{"betas": [0.8, 0.99]}, {"lr": 0.02, "amsgrad": True}]},
    ),
    "adam_grad_none": ("Adam", {"lr": 0.05}, {"none_every": 3}),
    "sgd_momentum_grad_none": ("SGD", {"lr": 0.05, "momentum": 0.9}, {"none_every": 3}),
    "rmsprop_grad_none": (
        "RMSprop",
        {"lr": 0.01, "momentum": 0.5, "centered": True},
        {"none_every": 3},
    ),
    "adam_float32": ("Adam", {"lr": 0.05, "amsgrad": True}, {"dtype": "float32"}),
    "sgd_nesterov_float32": (
        "SGD",
        {"lr": 0.05, "momentum": 0.9, "nesterov": True},
        {"dtype": "float32"},
    ),
    "rmsprop_float32": (
        "RMSprop",
        {"lr": 0.01, "centered": True, "momentum": 0.5},
        {"dtype": "float32"},
    ),
}

LAMBDAS = {  # the tests define the same functions under the same names
    "inverse": lambda e: 1.0 / (1.0 + 0.3 * e),
    "power": lambda e: 0.9**e,
    "wave": lambda e: 1.0 + 0.5 * math.sin(e),
}

SCHEDULERS = {
    "steplr": ("StepLR", {"step_size": 3, "gamma": 0.5}),
    "steplr_one": ("StepLR", {"step_size": 1}),
    "exponentiallr": ("ExponentialLR", {"gamma": 0.9}),
    "cosine": ("CosineAnnealingLR", {"T_max": 6, "eta_min": 0.01}),
    "cosine_default": ("CosineAnnealingLR", {"T_max": 10}),
    "lambdalr": ("LambdaLR", {"lr_lambda": "inverse"}),
    "lambdalr_per_group": ("LambdaLR", {"lr_lambda": ["power", "wave"]}),
}

METRICS = [
    5.0,
    4.0,
    4.0,
    4.0,
    4.0,
    3.9999,
    4.0,
    3.0,
    3.0,
    3.5,
    3.5,
    3.5,
    3.5,
    2.0,
    2.0,
    2.0,
    2.0,
    2.0,
    2.0,
    1.9,
    1.9,
    1.9,
    1.9,
    1.9,
    1.9,
]

PLATEAU = {
    "plateau": {"patience": 2},
    "plateau_abs_cooldown": {
        "threshold_mode": "abs",
        "threshold": 0.5,
        "patience": 1,
        "cooldown": 2,
        "factor": 0.5,
    },
    "plateau_max": {"mode": "max", "patience": 1, "factor": 0.5, "min_lr": [0.02, 0.001]},
    "plateau_max_abs": {
        "mode": "max",
        "threshold_mode": "abs",
        "patience": 0,
        "factor": 0.7,
        "min_lr": 0.05,
    },
    "plateau_eps": {"patience": 0, "factor": 0.9, "eps": 0.02, "min_lr": 0.001},
}

TRAINING = {  # an optimiser and a scheduler together: the parameters' trajectory
    "sgd_momentum_steplr": (
        "SGD",
        {"lr": 0.05, "momentum": 0.9},
        "StepLR",
        {"step_size": 4, "gamma": 0.5},
    ),
    "adam_cosine": ("Adam", {"lr": 0.1}, "CosineAnnealingLR", {"T_max": 8, "eta_min": 0.001}),
    "rmsprop_exponential": (
        "RMSprop",
        {"lr": 0.02, "momentum": 0.5},
        "ExponentialLR",
        {"gamma": 0.8},
    ),
}


def gradient(p: np.ndarray, scale: np.ndarray, center: np.ndarray) -> np.ndarray:
    return scale * (p - center) + p * (p * p - 1.0)


def make_params(dtype):
    return [torch.tensor(np.array(x, dtype=dtype), requires_grad=True) for x in PROBLEM["init"]]


def set_grads(params, step, none_every=None):
    for i, p in enumerate(params):
        if none_every and i == 1 and step % none_every == none_every - 1:
            p.grad = None
            continue
        data = p.detach().numpy()
        scale = np.array(PROBLEM["scale"][i], dtype=data.dtype)
        center = np.array(PROBLEM["center"][i], dtype=data.dtype)
        p.grad = torch.from_numpy(gradient(data, scale, center))


def torch_kwargs(kwargs):
    out = dict(kwargs)
    if "betas" in out:
        out["betas"] = tuple(out["betas"])
    return out


def build(name, kwargs, params, groups=None):
    cls = getattr(torch.optim, name)
    extra = {} if name in ("LBFGS",) else {"foreach": False}
    if groups is None:
        return cls(params, **torch_kwargs(kwargs), **extra)
    param_groups = [{"params": [p], **torch_kwargs(g)} for p, g in zip(params, groups, strict=True)]
    return cls(param_groups, **torch_kwargs(kwargs), **extra)


def flat(params):
    return np.concatenate([p.detach().numpy().ravel() for p in params]).tolist()


def record_optimizer(name, kwargs, options):
    dtype = options.get("dtype", "float64")
    params = make_params(dtype)
    opt = build(name, kwargs, params, options.get("groups"))
    trajectory = []
    for step in range(STEPS):
        set_grads(params, step, options.get("none_every"))
        opt.step()
        trajectory.append(flat(params))
    return {"optimizer": name, "kwargs": kwargs, **options, "trajectory": trajectory}


def record_scheduler(name, kwargs):
    params = make_params("float64")
    opt = torch.optim.SGD(
        [{"params": [params[0]]}, {"params": [params[1]], "lr": 0.03}], lr=0.1, foreach=False
    )
    real = dict(kwargs)
    if "lr_lambda" in real:
        names = real["lr_lambda"]
        real["lr_lambda"] = (
            [LAMBDAS[n] for n in names] if isinstance(names, list) else LAMBDAS[names]
        )
    sched = getattr(torch.optim.lr_scheduler, name)(opt, **real)
    lrs = [sched.get_last_lr()]
    for _ in range(SCHEDULE_STEPS):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr())
    return {"scheduler": name, "kwargs": kwargs, "lrs": lrs}


def record_plateau(kwargs):
    params = make_params("float64")
    opt = torch.optim.SGD(
        [{"params": [params[0]]}, {"params": [params[1]], "lr": 0.03}], lr=0.1, foreach=False
    )
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
    lrs = []
    for metric in METRICS:
        opt.step()
        sched.step(metric)
        lrs.append(sched.get_last_lr())
    return {"kwargs": kwargs, "metrics": METRICS, "lrs": lrs}


def record_training(opt_name, opt_kwargs, sched_name, sched_kwargs):
    params = make_params("float64")
    opt = build(opt_name, opt_kwargs, params)
    sched = getattr(torch.optim.lr_scheduler, sched_name)(opt, **sched_kwargs)
    trajectory, lrs = [], []
    for step in range(STEPS):
        set_grads(params, step)
        opt.step()
        sched.step()
        trajectory.append(flat(params))
        lrs.append(sched.get_last_lr())
    return {
        "optimizer": opt_name,
        "kwargs": opt_kwargs,
        "scheduler": sched_name,
        "scheduler_kwargs": sched_kwargs,
        "trajectory": trajectory,
        "lrs": lrs,
    }


def main():
    torch.set_default_dtype(torch.float64)
    data = {
        "torch_version": torch.__version__,
        "numpy_version": np.__version__,
        "python_version": sys.version.split()[0],
        "problem": PROBLEM,
        "steps": STEPS,
        "optimizers": {k: record_optimizer(n, kw, {}) for k, (n, kw) in OPTIMIZERS.items()},
        "special": {k: record_optimizer(n, kw, opt) for k, (n, kw, opt) in SPECIAL.items()},
        "schedulers": {k: record_scheduler(n, kw) for k, (n, kw) in SCHEDULERS.items()},
        "plateau": {k: record_plateau(kw) for k, kw in PLATEAU.items()},
        "training": {k: record_training(*v) for k, v in TRAINING.items()},
    }
    text = json.dumps(data, indent=1)
    # One line per innermost list of numbers (a trajectory row), so the file stays small
    # and a diff shows which rows changed.
    text = re.sub(
        r"\[\s*([-+0-9.eE,\s]+?)\s*\]",
        lambda m: "[" + ", ".join(m.group(1).split()).replace(",,", ",") + "]",
        text,
    )
    OUT.write_text(text + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
