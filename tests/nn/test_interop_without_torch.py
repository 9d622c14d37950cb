"""nn.to_torch / nn.from_torch where PyTorch is missing: an ImportError that says what to
install (torch is an optional test dependency; the converters import it on first use)."""

import importlib

import pytest

import nn


@pytest.mark.parametrize("convert", [nn.to_torch, nn.from_torch])
def test_without_torch_the_error_says_how_to_install_it(monkeypatch, convert):
    real = importlib.import_module

    def no_torch(name, *args, **kwargs):
        if name == "torch":
            raise ImportError("No module named 'torch'")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(importlib, "import_module", no_torch)
    with pytest.raises(ImportError, match=rf"nn.{convert.__name__} needs PyTorch, which "
                                          "tracegrad does not install: pip install torch"):
        convert(nn.Linear(2, 2))


def test_the_registry_covers_the_basic_layers_without_importing_torch():
    assert {nn.Linear: "Linear", nn.Sequential: "Sequential", nn.ReLU: "ReLU",
            nn.CrossEntropyLoss: "CrossEntropyLoss"}.items() <= nn.interop.converters().items()
