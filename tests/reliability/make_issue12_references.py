"""Record PyTorch's values and gradients for issue 12's cases into issue12_references.json.

Run once by hand, in a throwaway environment that has torch (not a tracegrad dependency;
the test suite only reads the JSON, and re-runs CASES against a live torch if one is
installed):

    python -m venv /tmp/torch-venv && /tmp/torch-venv/bin/pip install torch==2.13.0 numpy
    /tmp/torch-venv/bin/python tests/reliability/make_issue12_references.py

Each case is float64 inputs (all require grad), a function of them written with torch,
and the output's sum backpropagated; test_issue12_defects.py writes the same function
with tracegrad under the same name.
"""

from __future__ import annotations

import json
import pathlib
import warnings

import torch

OUT = pathlib.Path(__file__).with_name("issue12_references.json")
F = torch.nn.functional
nan, inf = float("nan"), float("inf")

CASES = {
    # item 1: a tensor exponent at 0 ** 0, 0 ** 0.5 and 0 ** -1
    "pow_tensor_at_zero": ({"x": [0.0, 2.0, 0.0, 0.0], "y": [0.0, 0.0, 0.5, -1.0]},
                           lambda t: t["x"] ** t["y"]),
    "pow_number_at_zero": ({"x": [0.0, 0.0, 0.0]},
                           lambda t: torch.stack([t["x"][0] ** 0, t["x"][1] ** 0.5,
                                                  t["x"][2] ** 1])),
    # item 2: targets that require grad
    "bce_target": ({"p": [0.3, 0.8], "t": [0.0, 1.0]},
                   lambda t: F.binary_cross_entropy(t["p"], t["t"])),
    "bce_target_sum": ({"p": [0.1, 0.5, 0.9], "t": [0.2, 0.7, 1.0]},
                       lambda t: F.binary_cross_entropy(t["p"], t["t"], reduction="sum")),
    "bce_with_logits_target": ({"z": [-0.5, 1.5], "t": [0.25, 1.0]},
                               lambda t: F.binary_cross_entropy_with_logits(t["z"], t["t"])),
    "bce_with_logits_target_none": (
        {"z": [-3.0, 0.0, 2.5], "t": [0.0, 0.5, 1.0]},
        lambda t: F.binary_cross_entropy_with_logits(t["z"], t["t"], reduction="none")),
    "mse_target": ({"x": [0.5, -1.0, 2.0], "t": [1.0, 0.0, 2.5]},
                   lambda t: F.mse_loss(t["x"], t["t"])),
    # item 6: std where the standard deviation is 0
    "std_one_element": ({"x": [3.5]}, lambda t: t["x"].std(correction=0)),
    "std_constant_row": ({"x": [[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]]},
                         lambda t: t["x"].std(dim=1, correction=0)),
    "std_size_one_axis_ddof0": ({"x": [[1.0], [2.0]]},
                                lambda t: t["x"].std(dim=1, correction=0)),
    "std_ddof1": ({"x": [[1.0, 2.0, 4.0], [3.0, 3.0, 3.0]]},
                  lambda t: t["x"].std(dim=1, correction=1)),
    # item 8: count − ddof = 0
    "var_ddof_equals_count": ({"x": [[1.0], [2.0]]},
                              lambda t: t["x"].var(dim=1, correction=1)),
    "std_ddof_equals_count": ({"x": [[1.0], [2.0]]},
                              lambda t: t["x"].std(dim=1, correction=1)),
    # item 9: axis -1 on a 0-d tensor
    "sum_0d_axis_minus_1": ({"x": 2.0}, lambda t: t["x"].sum(-1)),
    "mean_0d_axis_minus_1": ({"x": 2.0}, lambda t: t["x"].mean(-1)),
    "max_0d_axis_minus_1": ({"x": 2.0}, lambda t: t["x"].amax(-1)),
    "min_0d_axis_minus_1": ({"x": 2.0}, lambda t: t["x"].amin(-1)),
    "var_0d_axis_minus_1": ({"x": 2.0}, lambda t: t["x"].var(-1, correction=0)),
    "std_0d_axis_minus_1": ({"x": 2.0}, lambda t: t["x"].std(-1, correction=0)),
    "logsumexp_0d_axis_minus_1": ({"x": 2.0}, lambda t: t["x"].logsumexp(-1)),
    "softmax_0d": ({"x": 2.0}, lambda t: t["x"].softmax(-1)),
    "log_softmax_0d": ({"x": 2.0}, lambda t: t["x"].log_softmax(-1)),
    "squeeze_0d_axis_minus_1": ({"x": 2.0}, lambda t: t["x"].squeeze(-1) * 3),
    # same class as item 1: nan met on purpose (no warning; PyTorch's values)
    "max_with_nan": ({"x": [nan, 1.0]}, lambda t: t["x"].amax()),
    "logsumexp_row_of_minus_inf": ({"x": [-inf, -inf]}, lambda t: t["x"].logsumexp(0)),
    "log_softmax_row_of_minus_inf": ({"x": [-inf, -inf]}, lambda t: t["x"].log_softmax(0)),
}


def run(inputs, fn):
    """(value, {name: gradient}) of fn at inputs, as nested lists."""
    tensors = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
               for k, v in inputs.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns for ddof >= count, as numpy does
        out = fn(tensors)
        out.sum().backward()
    return out.detach().tolist(), {k: t.grad.tolist() for k, t in tensors.items()}


def main():
    record = {"torch_version": torch.__version__, "cases": {}}
    for name, (inputs, fn) in CASES.items():
        value, grads = run(inputs, fn)
        record["cases"][name] = {"inputs": inputs, "value": value, "grads": grads}
    OUT.write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {len(CASES)} cases to {OUT}")


if __name__ == "__main__":
    main()
