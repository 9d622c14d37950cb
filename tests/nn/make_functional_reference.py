"""Records torch.nn.functional's values and gradients for functional_cases.CASES into
functional_reference.json, which test_functional_torch.py checks without torch.

    python3 -m venv /tmp/torch && /tmp/torch/bin/pip install torch==2.13.0 numpy
    /tmp/torch/bin/python tests/nn/make_functional_reference.py
"""

import inspect
import json
import pathlib
import sys

import numpy as np
import torch

# Imported by test_functional_torch (as tests.nn.make_functional_reference) the cases must
# be that test's module: build() recognises specs by class, and a second copy of
# functional_cases loaded from sys.path has other F64/Labels classes, so torch got specs.
if __package__:
    from .functional_cases import CASES, build, cotangent
else:
    sys.path.insert(0, str(pathlib.Path(__file__).parent))
    from functional_cases import CASES, build, cotangent  # noqa: E402

OUT = pathlib.Path(__file__).with_name("functional_reference.json")


def run_torch(case_):
    """(value, {grad key: gradient}) of torch.nn.functional.<fn> on the case's arrays."""
    args, kwargs = build(case_)

    def tensor(value, key):
        if not isinstance(value, np.ndarray):
            return value
        return torch.tensor(value, requires_grad=key in case_["grads"])

    targs = [tensor(a, i) for i, a in enumerate(args)]
    tkwargs = {k: tensor(v, k) for k, v in kwargs.items()}
    out = getattr(torch.nn.functional, case_["fn"])(*targs, **tkwargs)
    leaves = {key: targs[key] if isinstance(key, int) else tkwargs[key]
              for key in case_["grads"]}
    v = torch.tensor(cotangent(tuple(out.shape), case_["id"]))
    grads = torch.autograd.grad((out * v).sum(), list(leaves.values()))
    return out.detach().numpy(), {str(k): g.numpy() for k, g in zip(leaves, grads)}


def main():
    torch.set_default_dtype(torch.float64)
    cases = {}
    for case_ in CASES:
        value, grads = run_torch(case_)
        cases[case_["id"]] = {"value": value.tolist(), "shape": list(value.shape),
                              "grads": {k: g.tolist() for k, g in grads.items()}}
    signatures = {}
    for name in sorted({c["fn"] for c in CASES} | {"one_hot"}):
        try:  # functions written in Python; C builtins have no inspectable signature
            signatures[name] = list(inspect.signature(getattr(torch.nn.functional, name))
                                    .parameters)
        except ValueError:
            pass
    OUT.write_text(json.dumps({"torch_version": torch.__version__, "cases": cases,
                               "signatures": signatures}, indent=0) + "\n")
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
