"""Record PyTorch's values and input gradients for shape_torch_cases.CASES into
shape_reference.json, so CI compares tracegrad with PyTorch without installing it.

Run with a Python that has torch (e.g. python3 -m venv /tmp/t && /tmp/t/bin/pip install
torch numpy): /tmp/t/bin/python tests/autograd/make_shape_reference.py
"""

import json
import pathlib
import sys

HERE = pathlib.Path(__file__).parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))

import torch  # noqa: E402
from shape_torch_cases import CASES, inputs, upstream  # noqa: E402


def record(name):
    _, _, theirs = CASES[name]
    x = torch.tensor(inputs(name), dtype=torch.float64, requires_grad=True)
    out = theirs(torch, x)
    (out * torch.tensor(upstream(tuple(out.shape), name))).sum().backward()
    return {"out": out.detach().numpy().tolist(), "grad": x.grad.numpy().tolist(),
            "shape": list(out.shape)}


if __name__ == "__main__":
    reference = {"torch": torch.__version__, "cases": {n: record(n) for n in sorted(CASES)}}
    (HERE / "shape_reference.json").write_text(json.dumps(reference, indent=1) + "\n")
    print(f"recorded {len(CASES)} cases with torch {torch.__version__}")
