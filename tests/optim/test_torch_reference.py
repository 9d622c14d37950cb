"""tracegrad's optimisers and schedulers reproduce PyTorch 2.13's numbers.

reference_trajectories.json was recorded once by make_reference.py with torch 2.13.0 (CPU,
single-tensor code path) on the problem of optim_problem.py; these tests only read it.
The last test re-checks a few cases against a live torch when one is installed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from optim_problem import REFERENCE, flat, gradient, make_params, run, set_grads

import optim
from optim import lr_scheduler

# float64: PyTorch's kernels use fused multiply-adds where numpy rounds twice, so the
# last bits differ; after 20 steps the worst relative difference measured is ~1e-14.
RTOL64, ATOL64 = 1e-12, 1e-14
# float32: the same effect at float32's precision (2⁻²⁴ ≈ 6e-8 per operation).
RTOL32, ATOL32 = 2e-5, 1e-6

LAMBDAS = {  # the same functions make_reference.py used, by name
    "inverse": lambda e: 1.0 / (1.0 + 0.3 * e),
    "power": lambda e: 0.9**e,
    "wave": lambda e: 1.0 + 0.5 * math.sin(e),
}


def build(name, kwargs, params, groups=None):
    cls = getattr(optim, name)
    kwargs = {k: tuple(v) if k == "betas" else v for k, v in kwargs.items()}
    if groups is None:
        return cls(params, **kwargs)
    groups = [
        {"params": [p], **{k: tuple(v) if k == "betas" else v for k, v in g.items()}}
        for p, g in zip(params, groups, strict=True)
    ]
    return cls(groups, **kwargs)


def two_group_sgd():
    params = make_params()
    return optim.SGD([{"params": [params[0]]}, {"params": [params[1]], "lr": 0.03}], lr=0.1)


def test_reference_file_was_recorded_with_pytorch_2_13():
    assert REFERENCE["torch_version"].startswith("2.13")
    assert len(REFERENCE["optimizers"]) >= 30


@pytest.mark.parametrize("case", sorted(REFERENCE["optimizers"]))
def test_optimizer_matches_pytorch_for_20_steps(case):
    ref = REFERENCE["optimizers"][case]
    params = make_params()
    actual = run(build(ref["optimizer"], ref["kwargs"], params), params)
    np.testing.assert_allclose(actual, ref["trajectory"], rtol=RTOL64, atol=ATOL64)


@pytest.mark.parametrize("case", sorted(REFERENCE["special"]))
def test_groups_missing_grads_and_float32_match_pytorch(case):
    ref = REFERENCE["special"][case]
    dtype = np.dtype(ref.get("dtype", "float64"))
    params = make_params(dtype)
    opt = build(ref["optimizer"], ref["kwargs"], params, ref.get("groups"))
    actual = run(opt, params, none_every=ref.get("none_every"))
    assert all(p.data.dtype == dtype for p in params)
    rtol, atol = (RTOL32, ATOL32) if dtype == np.float32 else (RTOL64, ATOL64)
    np.testing.assert_allclose(actual, ref["trajectory"], rtol=rtol, atol=atol)


@pytest.mark.parametrize("case", sorted(REFERENCE["schedulers"]))
def test_scheduler_matches_pytorch(case):
    ref = REFERENCE["schedulers"][case]
    kwargs = dict(ref["kwargs"])
    if "lr_lambda" in kwargs:
        names = kwargs["lr_lambda"]
        kwargs["lr_lambda"] = (
            [LAMBDAS[n] for n in names] if isinstance(names, list) else LAMBDAS[names]
        )
    opt = two_group_sgd()
    sched = getattr(lr_scheduler, ref["scheduler"])(opt, **kwargs)
    lrs = [sched.get_last_lr()]
    for _ in range(len(ref["lrs"]) - 1):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr())
    np.testing.assert_allclose(lrs, ref["lrs"], rtol=1e-15, atol=0)


@pytest.mark.parametrize("case", sorted(REFERENCE["plateau"]))
def test_reduce_lr_on_plateau_matches_pytorch(case):
    ref = REFERENCE["plateau"][case]
    opt = two_group_sgd()
    sched = lr_scheduler.ReduceLROnPlateau(opt, **ref["kwargs"])
    lrs = []
    for metric in ref["metrics"]:
        opt.step()
        sched.step(metric)
        lrs.append(sched.get_last_lr())
    assert lrs == ref["lrs"]


@pytest.mark.parametrize("case", sorted(REFERENCE["training"]))
def test_optimizer_with_scheduler_matches_pytorch(case):
    ref = REFERENCE["training"][case]
    params = make_params()
    opt = build(ref["optimizer"], ref["kwargs"], params)
    sched = getattr(lr_scheduler, ref["scheduler"])(opt, **ref["scheduler_kwargs"])
    lrs = []
    rows = []
    for step in range(REFERENCE["steps"]):
        set_grads(params, step)
        opt.step()
        sched.step()
        rows.append(flat(params))
        lrs.append(sched.get_last_lr())
    np.testing.assert_allclose(lrs, ref["lrs"], rtol=1e-15, atol=0)
    np.testing.assert_allclose(rows, ref["trajectory"], rtol=RTOL64, atol=ATOL64)


LIVE_CASES = [
    "sgd_nesterov",
    "adagrad_lr_decay",
    "adadelta",
    "rmsprop_centered_momentum",
    "adam_amsgrad",
    "adamw_maximize",
]


@pytest.mark.parametrize("case", LIVE_CASES)
def test_live_pytorch_agrees(case):
    """Optional: with torch installed, run PyTorch now on the same problem and compare."""
    torch = pytest.importorskip("torch")
    ref = REFERENCE["optimizers"][case]
    kwargs = {k: tuple(v) if k == "betas" else v for k, v in ref["kwargs"].items()}
    theirs = [torch.tensor(p.data.copy(), requires_grad=True) for p in make_params()]
    torch_opt = getattr(torch.optim, ref["optimizer"])(theirs, foreach=False, **kwargs)
    ours = make_params()
    our_opt = build(ref["optimizer"], ref["kwargs"], ours)
    for step in range(REFERENCE["steps"]):
        set_grads(ours, step)
        for i, p in enumerate(theirs):
            p.grad = torch.from_numpy(gradient(i, p.detach().numpy()))
        torch_opt.step()
        our_opt.step()
    np.testing.assert_allclose(
        flat(ours),
        np.concatenate([p.detach().numpy().ravel() for p in theirs]),
        rtol=RTOL64,
        atol=ATOL64,
    )
