"""W7 second_order: what Newton-CG and L-BFGS cost, in gradient evaluations and overhead.

Newton-CG on W3's network (MLP 784→512→256→10, ReLU, cross-entropy, batch 128, float32),
max_cg_iter=5, no line search, every timed step from W3's initial weights: one step is
one gradient recorded with create_graph=True, then one Hessian-vector product per CG
iteration (CG stops early at a direction of negative curvature, which this ReLU
network's Hessian has). An hvp is one backward pass through the double-backward graph
(the backward of the first backward), so it should cost about two gradients; a step
with k CG iterations then about 1 + 2k gradients (plus the create_graph overhead of the
first pass). Reported against W3's own gradient step (forward, backward, SGD update),
in milliseconds and as a ratio: "floor" is the gradient step.

L-BFGS on W6's model (nn.MLP 64→64→10 on the standardised digits training split,
full batch, float64): its overhead beyond the closure calls, i.e. the two-loop
recursion, the flat gradient copies and the line search's bookkeeping, as a fraction of
the step. Target ≤ 10 %. "floor" is the time spent inside the closure.
"""

from __future__ import annotations

import numpy as np

import nn
import optim
from autograd import Tensor, enable_grad, functional

from . import w3_mlp_step, w6_digits
from .harness import Config, Result, compare

ID, NAME = "W7", "second_order"
CG_ITERATIONS = 5
LBFGS_STEPS = 5
LBFGS_TARGET = 0.10


# --------------------------------------------------------------------------------------
# Newton-CG on W3's network


def _w3_model(weights):
    """W3's model as a user writes it (nn.Sequential of nn.Linear and nn.ReLU, optim.SGD),
    on its own copy of the weights."""
    return w3_mlp_step.ModuleMLP([(W.copy(), b.copy()) for W, b in weights])


def _hvp_timer(model, x, labels):
    """A function computing one H·v on a gradient graph recorded once (retain_graph)."""
    with enable_grad():
        grads = functional.grad(model.loss(x, labels), model.params, create_graph=True)
    rng = np.random.default_rng(0)
    seeds = [Tensor(rng.standard_normal(p.data.shape).astype(p.data.dtype))
             for p in model.params]

    def hvp():
        return functional.grad(grads, model.params, grad_outputs=seeds, retain_graph=True)

    return hvp


def newton_cg_results(config: Config) -> list[Result]:
    x, labels, weights, sizes = w3_mlp_step.problem(config)
    x = Tensor(x)
    sgd_model, fixed_model, newton_model = (_w3_model(weights) for _ in range(3))
    newton = optim.NewtonCG(newton_model.params, max_cg_iter=CG_ITERATIONS,
                            line_search_fn=None)

    def gradient():
        fixed_model.optimizer.zero_grad()
        fixed_model.loss(x, labels).backward()

    def create_graph_gradient():
        with enable_grad():
            functional.grad(fixed_model.loss(x, labels), fixed_model.params, create_graph=True)

    start = [p.data.copy() for p in newton_model.params]

    def newton_cg_step():
        for p, value in zip(newton_model.params, start, strict=True):
            np.copyto(p.data, value)  # every timed step from the same point: the same k
        newton.step(lambda: newton_model.loss(x, labels))

    fns = {"gradient step": lambda: sgd_model.step(x, labels), "gradient": gradient,
           "create_graph gradient": create_graph_gradient,
           "hvp": _hvp_timer(fixed_model, x, labels), "Newton-CG step": newton_cg_step}
    times = compare(fns, config)
    ms = {name: t.median * 1e3 for name, t in times.items()}
    cg_iters = newton.state[newton_model.params[0]]["cg_iters"]
    grad_ms = ms["gradient"]
    case = f"{'-'.join(map(str, sizes))}, batch {len(labels)}, float32"
    predicted = ms["create_graph gradient"] / grad_ms + 2 * cg_iters
    hvp_row = Result(ID, NAME, case + ": one Hessian-vector product", "ms", ms["hvp"],
                     grad_ms, check="hvp through the recorded double-backward graph; "
                     "floor = one gradient (forward + backward)", target="≈ 2 gradients")
    step_row = Result(ID, NAME, case + f": Newton-CG step, {cg_iters} CG iterations", "ms",
                      ms["Newton-CG step"], ms["gradient step"],
                      check=f"{cg_iters} hvps; floor = one SGD gradient step",
                      target=f"≈ {predicted:.1f} gradients (create_graph pass + 2 per hvp)")
    for row in (hvp_row, step_row):
        row.extra = {"ms": ms, "cg_iterations": cg_iters,
                     "in_gradients": {k: v / grad_ms for k, v in ms.items()},
                     "timings": {k: v.as_dict() for k, v in times.items()}}
    return [hvp_row, step_row]


# --------------------------------------------------------------------------------------
# L-BFGS on W6's model


def lbfgs_overhead(config: Config, line_search_fn) -> Result:
    """LBFGS steps, and the time spent inside their closure calls. The closure returns
    the loss detached, so freeing its graph is timed inside the closure, where a plain
    training loop pays for it too."""
    X_train, _, y_train, _ = w6_digits.problem(config)
    weights = w6_digits.initial_weights(0, X_train.shape[1])
    x = Tensor(X_train)
    loss_fn = nn.CrossEntropyLoss()
    fractions, step_seconds, closure_seconds, calls = [], [], [], []
    for _ in range(2 if config.quick else max(config.repeat, 9)):
        model = w6_digits.tracegrad_model(weights, X_train.shape[1])
        opt = optim.LBFGS(model.parameters(), line_search_fn=line_search_fn)
        inside = [0.0, 0]

        def closure(model=model, opt=opt, inside=inside):
            start = config.now()
            opt.zero_grad()
            loss = loss_fn(model(x), y_train)
            loss.backward()
            value = loss.detach()
            del loss  # the graph goes here, inside the timed closure
            inside[0] += config.now() - start
            inside[1] += 1
            return value

        start = config.now()
        for _ in range(LBFGS_STEPS):
            opt.step(closure)
        total = config.now() - start
        fractions.append((total - inside[0]) / total)
        step_seconds.append(total / LBFGS_STEPS)
        closure_seconds.append(inside[0] / LBFGS_STEPS)
        calls.append(inside[1] / LBFGS_STEPS)
    i = int(np.argsort(fractions)[len(fractions) // 2])  # the median run
    search = line_search_fn or "no line search"
    result = Result(ID, NAME, f"LBFGS on W6's 64-64-10, {len(y_train)} samples full batch, "
                    f"{search}: step vs its closure calls", "ms/step", step_seconds[i] * 1e3,
                    closure_seconds[i] * 1e3,
                    check=f"{calls[i]:.1f} closure calls per step (max_iter=20)",
                    target=f"overhead ≤ {LBFGS_TARGET:.0%} of the step")
    result.met = None if config.quick else fractions[i] <= LBFGS_TARGET
    result.extra = {"overhead_fraction": fractions[i], "all_fractions": fractions,
                    "closure_calls_per_step": calls[i],
                    "history_pairs": len(opt.state[next(iter(model.parameters()))]["old_dirs"])}
    return result


def run(config: Config) -> list[Result]:
    return [*newton_cg_results(config), lbfgs_overhead(config, None),
            lbfgs_overhead(config, "strong_wolfe")]
