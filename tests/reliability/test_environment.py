"""RELIABILITY §4 J: the environment — the HIPS autograd name clash and the numpy line."""

import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import autograd
from autograd import Tensor
from autograd.environment import hips_autograd_clash, warn_about_hips_autograd

ROOT = Path(__file__).resolve().parents[2]


def fake_site_dir(tmp_path, dist_info="autograd-1.6.2.dist-info"):
    """A site directory holding only the metadata pip writes for HIPS autograd."""
    site = tmp_path / "site-packages"
    meta = site / dist_info
    meta.mkdir(parents=True)
    (meta / "METADATA").write_text("Metadata-Version: 2.1\nName: autograd\nVersion: 1.6.2\n")
    return site


def test_J1_no_warning_without_hips_autograd():
    assert hips_autograd_clash() is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_about_hips_autograd()


@pytest.mark.parametrize("dist_info", ["autograd-1.6.2.dist-info",
                                       "autograd-1.6.2-py3.11.egg-info"])
def test_J1_hips_metadata_on_the_path_gives_a_runtime_warning_with_the_fix(
    tmp_path, monkeypatch, dist_info
):
    site = fake_site_dir(tmp_path, dist_info)
    monkeypatch.syspath_prepend(str(site))
    with pytest.warns(RuntimeWarning) as caught:
        warn_about_hips_autograd()
    message = str(caught[0].message)
    assert "HIPS autograd 1.6.2 is installed in the same environment as tracegrad" in message
    assert str(site) in message
    assert "import package named 'autograd'" in message
    assert "fresh virtual environment" in message


def test_J1_distributions_that_merely_start_with_autograd_do_not_count(tmp_path, monkeypatch):
    site = fake_site_dir(tmp_path, "autograd_gamma-0.5.0.dist-info")
    monkeypatch.syspath_prepend(str(site))
    assert hips_autograd_clash() is None


def test_J1_import_autograd_warns_in_a_fresh_interpreter(tmp_path):
    site = fake_site_dir(tmp_path)
    code = "import warnings; warnings.simplefilter('always'); import autograd"
    env = {"PYTHONPATH": f"{site}:{ROOT}", "PATH": ""}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, timeout=60, check=True)
    assert "RuntimeWarning: HIPS autograd 1.6.2 is installed" in result.stderr
    clean = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env={"PYTHONPATH": str(ROOT), "PATH": ""}, timeout=60, check=True)
    assert "HIPS" not in clean.stderr


def test_J1_the_tracegrad_package_is_the_one_imported():
    assert Path(autograd.__file__).resolve().parent == ROOT / "autograd"
    assert hasattr(autograd, "Tensor") and hasattr(autograd, "Scalar")


def _declared_numpy_floor():
    text = (ROOT / "pyproject.toml").read_text()
    match = re.search(r'"numpy>=([0-9.]+)"', text)
    assert match, "pyproject.toml must declare a numpy floor"
    return tuple(int(part) for part in match.group(1).split("."))


def test_J2_the_declared_numpy_floor_has_nep_50_promotion_and_is_installed():
    # tracegrad promises numpy 2's promotion rules (C3); numpy 1.x casts by value, so
    # f32 * np.float64(2.5) would stay float32 there. Hence numpy>=2 is declared.
    assert _declared_numpy_floor() >= (2, 0)
    installed = tuple(int(part) for part in np.__version__.split(".")[:2])
    assert installed >= _declared_numpy_floor()[:2]


def test_J2_promotion_is_the_one_documented_in_C3():
    f32 = Tensor(np.ones(2, dtype=np.float32))
    assert (f32 * 2.5).dtype == np.float32
    assert (f32 * np.float64(2.5)).dtype == np.float64
    assert (f32 + np.ones(2)).dtype == np.float64


def test_J1_a_free_threaded_build_without_the_gil_gets_a_runtime_warning(monkeypatch):
    from autograd.environment import warn_about_free_threading

    monkeypatch.setattr(sys, "_is_gil_enabled", lambda: False, raising=False)
    with pytest.warns(RuntimeWarning, match="without the global interpreter lock"):
        warn_about_free_threading()
    monkeypatch.setattr(sys, "_is_gil_enabled", lambda: True, raising=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_about_free_threading()
