"""Every ```python block of README.md runs, in order, in one namespace."""

import re
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def python_blocks(path):
    return re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S)


def test_readme_code_runs(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the training example writes a checkpoint
    blocks = python_blocks(ROOT / "README.md")
    assert len(blocks) >= 3
    namespace = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)
    printed = capsys.readouterr().out
    assert "dy/dw" in printed and "(2, 3) <sum>" in printed
    assert "sloppy_cube: input 0" in printed  # gradcheck caught the wrong backward
    accuracy = float(printed.split("test accuracy: ")[1].split("%")[0])
    assert accuracy >= 97.0
    assert "= tanh(" in printed  # the listing of the neuron's graph
    assert "Newton after 7 steps: [1. 1.]" in printed
    assert "(4, 3, 5)" in printed  # nn.functional's cross_entropy in PyTorch's layout
    assert "<einsum> (2, 4, 2) (2, 4, 8)" in printed  # surface-shape (issue 15)
    assert (tmp_path / "neuron.svg").read_text().lstrip().startswith(("<?xml", "<svg"))
    namespace["test_cube_gradients"]()  # the property test in the README passes
    # "When you outgrow tracegrad": ONNX Runtime computes the trained model's logits
    expected = namespace["model"](namespace["X_test"][:5]).data
    np.testing.assert_allclose(namespace["logits"], expected, rtol=1e-10, atol=1e-12)
