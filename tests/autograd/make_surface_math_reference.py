"""Record PyTorch's values and gradients for issue 15's math operators (surface-math):

    /tmp/torch-venv/bin/python tests/autograd/make_surface_math_reference.py

writes surface_math_reference.json next to this file. test_surface_math_torch.py checks
tracegrad against the recording always, and against live PyTorch where it is installed.
Each case: tracegrad's name, PyTorch's call, its inputs, and the gradient of Σ w·out with a
fixed upstream weight w (so a backward that ignores grad_out is caught).
"""

from __future__ import annotations

import json
import pathlib

import numpy as np

HERE = pathlib.Path(__file__).parent
OUT = HERE / "surface_math_reference.json"

RNG = np.random.default_rng(15)
X = [0.35, -0.6, 0.8, -0.15, 0.5]  # inside (−1, 1): every inverse function's domain
POS = [0.3, 1.7, 2.4, 0.9, 1.2]
Y = [1.3, -0.7, 2.2, 0.45, -1.6]
ABOVE1 = [1.3, 2.5, 1.05, 3.2, 1.8]
ZEROS1 = [2.0, 0.0, 3.0, 4.0, -1.5]
ZEROS2 = [2.0, 0.0, 3.0, 0.0, -1.5]
MAT = [[0.3, -1.2, 2.0], [1.1, 0.4, -0.8]]

# name, the torch expression (inputs a, b, c; torch as t), the inputs
CASES = [
    ("tan", "t.tan(a)", [X]), ("arcsin", "t.asin(a)", [X]), ("arccos", "t.acos(a)", [X]),
    ("arctan", "t.atan(a)", [Y]), ("arctan2", "t.atan2(a, b)", [Y, X]),
    ("sinh", "t.sinh(a)", [Y]), ("cosh", "t.cosh(a)", [Y]), ("arcsinh", "t.asinh(a)", [Y]),
    ("arccosh", "t.acosh(a)", [ABOVE1]), ("arctanh", "t.atanh(a)", [X]),
    ("log2", "t.log2(a)", [POS]), ("log10", "t.log10(a)", [POS]),
    ("log1p", "t.log1p(a)", [X]), ("expm1", "t.expm1(a)", [Y]), ("exp2", "t.exp2(a)", [Y]),
    ("rsqrt", "t.rsqrt(a)", [POS]), ("reciprocal", "t.reciprocal(a)", [Y]),
    ("square", "t.square(a)", [Y]), ("floor", "t.floor(a)", [Y]), ("ceil", "t.ceil(a)", [Y]),
    ("round", "t.round(a)", [Y]), ("trunc", "t.trunc(a)", [Y]),
    ("remainder", "t.remainder(a, b)", [Y, POS]), ("fmod", "t.fmod(a, b)", [Y, POS]),
    ("hypot", "t.hypot(a, b)", [Y, X]), ("lerp", "t.lerp(a, b, c)", [X, Y, POS]),
    ("logaddexp", "t.logaddexp(a, b)", [Y, X]),
    ("prod", "t.prod(a)", [Y]), ("prod_one_zero", "t.prod(a)", [ZEROS1]),
    ("prod_two_zeros", "t.prod(a)", [ZEROS2]), ("prod_axis", "t.prod(a, 1)", [MAT]),
    ("cumsum", "t.cumsum(a, 0)", [Y]), ("cumprod", "t.cumprod(a, 0)", [Y]),
    ("cumprod_zeros", "t.cumprod(a, 0)", [ZEROS2]),
    ("logcumsumexp", "t.logcumsumexp(a, 0)", [Y]),
    ("logcumsumexp_wide", "t.logcumsumexp(a, 0)", [[-300.0, 300.0, -300.0, 299.0]]),
    ("median", "t.median(a)", [Y]), ("amax", "t.amax(a, 1)", [MAT]),
    ("amin", "t.amin(a, 0)", [MAT]),
    ("norm_1", "t.linalg.vector_norm(a, 1, dim=1)", [MAT]),
    ("norm_3", "t.linalg.vector_norm(a, 3, dim=1)", [MAT]),
    ("norm_inf", "t.linalg.vector_norm(a, float('inf'), dim=0)", [MAT]),
    ("var_mean", "sum(r * k for r, k in zip(t.var_mean(a, 1, correction=0), (1, 2)))", [MAT]),
    ("std_mean", "sum(r * k for r, k in zip(t.std_mean(a, 1, correction=0), (1, 2)))", [MAT]),
]


def record(torch) -> dict:
    torch.set_default_dtype(torch.float64)
    cases = {}
    for name, expression, inputs in CASES:
        tensors = [torch.tensor(v, requires_grad=True) for v in inputs]
        out = eval(expression, {"t": torch, "sum": sum}, dict(zip("abc", tensors)))
        weight = RNG.uniform(0.5, 1.5, tuple(out.shape))
        (out * torch.tensor(weight)).sum().backward()
        cases[name] = {"torch": expression, "inputs": inputs, "weight": weight.tolist(),
                       "value": out.detach().numpy().tolist(),
                       "grads": [t.grad.numpy().tolist() for t in tensors]}
    return {"torch_version": torch.__version__, "cases": cases}


if __name__ == "__main__":
    import torch

    recorded = record(torch)
    lines = [f"  {json.dumps(name)}: {json.dumps(case)}" for name, case in
             recorded["cases"].items()]
    OUT.write_text(f'{{"torch_version": {json.dumps(recorded["torch_version"])}, "cases": {{\n'
                   + ",\n".join(lines) + "\n}}\n", encoding="utf-8")
    print(f"wrote {OUT}")
