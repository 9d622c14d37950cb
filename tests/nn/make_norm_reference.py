"""Records PyTorch's values and gradients for norm_cases (normalisation and embedding,
issue 16) into norm_reference.json, which test_norm_torch.py checks without torch.

    python3 -m venv /tmp/torch && /tmp/torch/bin/pip install torch==2.13.0 numpy
    /tmp/torch/bin/python tests/nn/make_norm_reference.py
"""

import inspect
import json
import pathlib
import sys

import numpy as np
import torch

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from norm_cases import (  # noqa: E402
    FUNCTIONAL,
    LR,
    MODULES,
    batches,
    build,
    cotangent,
    parameter_values,
)

OUT = pathlib.Path(__file__).with_name("norm_reference.json")


def run_functional(case_):
    """{"value", "grads", "mutated"} of torch.nn.functional.<fn> on the case's arrays."""
    args, kwargs = build(case_)

    def tensor(value, key):
        if not isinstance(value, np.ndarray):
            return value
        return torch.tensor(value, requires_grad=key in case_["grads"])

    targs = [tensor(a, i) for i, a in enumerate(args)]
    tkwargs = {k: tensor(v, k) for k, v in kwargs.items()}
    out = getattr(torch.nn.functional, case_["fn"])(*targs, **tkwargs)
    leaves = [targs[k] if isinstance(k, int) else tkwargs[k] for k in case_["grads"]]
    v = torch.tensor(cotangent(tuple(out.shape), case_["id"]))
    grads = torch.autograd.grad((out * v).sum(), leaves)
    return {"value": out.detach().numpy(),
            "grads": {str(k): g.numpy() for k, g in zip(case_["grads"], grads)},
            "mutated": {str(k): targs[k].detach().numpy() for k in case_["mutated"]}}


def make_module(case_):
    module = getattr(torch.nn, case_["module"])(*case_["args"], **case_["kwargs"]).double()
    values = parameter_values(case_, [(n, tuple(p.shape))
                                      for n, p in module.named_parameters()])
    with torch.no_grad():
        for name, param in module.named_parameters():
            param.copy_(torch.tensor(values[name]))
    return module


def run_module(case_):
    """Per step (training steps, then eval): output, input gradient, parameter gradients;
    then the final state dict, its keys and shapes, and extra_repr."""
    module = make_module(case_)
    record = {"steps": [], "keys": [[k, list(v.shape)] for k, v in module.state_dict().items()],
              "extra_repr": module.extra_repr()}
    inputs = batches(case_)
    for step, x in enumerate(inputs):
        module.train(step < case_["steps"])
        floating = x.dtype.kind == "f"
        tx = torch.tensor(x, requires_grad=floating)
        out = module(tx)
        v = torch.tensor(cotangent(tuple(out.shape), case_["id"], step))
        (out * v).sum().backward()
        record["steps"].append({
            "value": out.detach().numpy(),
            "input_grad": tx.grad.numpy() if floating else None,
            "grads": {n: p.grad.numpy().copy() for n, p in module.named_parameters()
                      if p.grad is not None}})
        with torch.no_grad():
            for param in module.parameters():
                if param.grad is not None:
                    param -= LR * param.grad
                    param.grad = None
    record["state"] = {k: v.numpy() for k, v in module.state_dict().items()}
    return record


def jsonable(value):
    if isinstance(value, np.ndarray):
        return {"shape": list(value.shape), "dtype": str(value.dtype),
                "data": value.reshape(-1).tolist()}
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    return value


def signatures():
    """Parameter names of the functions and of the modules' constructors."""
    functions = {name: list(inspect.signature(getattr(torch.nn.functional, name)).parameters)
                 for name in sorted({c["fn"] for c in FUNCTIONAL})}
    modules = {name: list(inspect.signature(getattr(torch.nn, name)).parameters)
               for name in sorted({c["module"] for c in MODULES})}
    modules["Embedding.from_pretrained"] = list(
        inspect.signature(torch.nn.Embedding.from_pretrained).parameters)
    return {"functions": functions, "modules": modules}


def main():
    torch.set_default_dtype(torch.float64)
    reference = {
        "torch_version": torch.__version__,
        "functional": {c["id"]: jsonable(run_functional(c)) for c in FUNCTIONAL},
        "modules": {c["id"]: jsonable(run_module(c)) for c in MODULES},
        "signatures": signatures(),
    }
    OUT.write_text(json.dumps(reference, indent=0) + "\n")
    print(f"wrote {len(FUNCTIONAL)} functional and {len(MODULES)} module cases to {OUT}")


if __name__ == "__main__":
    main()
