"""docs/train-mlp.md (the README's "train an MLP" example) runs as written."""

import pathlib
import re

import numpy as np

import nn

DOC = pathlib.Path(__file__).resolve().parents[2] / "docs" / "train-mlp.md"


def python_blocks(text):
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


def test_train_mlp_example_runs_and_reaches_97_percent(tmp_path, monkeypatch, capsys):
    (code,) = python_blocks(DOC.read_text(encoding="utf-8"))
    assert len(code.strip().splitlines()) <= 25
    monkeypatch.chdir(tmp_path)  # the example writes its checkpoint to the working directory
    namespace = {"__name__": "__main__"}
    exec(compile(code, str(DOC), "exec"), namespace)

    history, model = namespace["history"], namespace["model"]
    assert history["val_accuracy"][-1] >= 0.97
    out = capsys.readouterr().out
    assert "# 9,610 params" in out and "test accuracy: " in out
    saved = nn.load(tmp_path / "digits-mlp.safetensors")
    for name, param in model.named_parameters():
        np.testing.assert_array_equal(saved[name], param.data)
