"""Checks on the environment tracegrad is imported in (RELIABILITY J1).

The engine's thread safety assumes CPython's global interpreter lock: a node counts its
consumers with a plain `+= 1` on a slot, which the lock never splits; only leaf
accumulation and releasing saved values take locks of their own. On a free-threaded
build running without the lock, two threads building graphs on one shared intermediate
could lose a count and run its node before all gradients arrived, so tracegrad warns.

HIPS autograd (PyPI distribution "autograd") and tracegrad (distribution "tracegrad") both
install an import package named `autograd`. Installing one overwrites the other's files
and uninstalling either breaks the other, while `pip check` reports nothing wrong. So at
import time tracegrad looks for the HIPS distribution's metadata directory and warns.
"""

from __future__ import annotations

import os
import sys
import warnings


def _hips_metadata_dirs():
    """`autograd-<version>.dist-info` / `.egg-info` directories on sys.path. A directory
    listing per path entry: cheaper than importing importlib.metadata (~20 ms)."""
    found = []
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:  # zip files, missing directories
            continue
        for name in names:
            lower = name.lower()
            if lower.startswith("autograd-") and lower.endswith((".dist-info", ".egg-info")):
                found.append(os.path.join(entry or ".", name))
    return found


def hips_autograd_clash() -> str | None:
    """The warning text if the HIPS "autograd" distribution is installed, else None."""
    found = _hips_metadata_dirs()
    if not found:
        return None
    stem = os.path.basename(found[0])
    version = stem[: stem.rfind(".")].split("-")[1]  # autograd-1.6.2[-py3.11].dist-info
    return (
        f"HIPS autograd {version} is installed in the same environment as tracegrad "
        f"({found[0]}). Both install an import package named 'autograd', so each overwrites "
        "the other's files and `import autograd` may load a mix of the two. Fix: install "
        "tracegrad in a fresh virtual environment (python -m venv .venv) without HIPS "
        "autograd, or `pip uninstall autograd tracegrad` and reinstall only one."
    )


def warn_about_hips_autograd(stacklevel: int = 2) -> None:
    """Issue the RuntimeWarning described in hips_autograd_clash(), if it applies."""
    message = hips_autograd_clash()
    if message is not None:
        warnings.warn(message, RuntimeWarning, stacklevel=stacklevel + 1)


def gil_disabled() -> bool:
    """True on a free-threaded CPython build running without the GIL (3.13t and later)."""
    is_enabled = getattr(sys, "_is_gil_enabled", None)
    return is_enabled is not None and not is_enabled()


def warn_about_free_threading(stacklevel: int = 2) -> None:
    """Warn when the GIL is off (see the module docstring)."""
    if gil_disabled():
        warnings.warn(
            "tracegrad: this Python runs without the global interpreter lock. Building graphs "
            "from several threads on one shared intermediate tensor is not supported (a "
            "node's consumer count may lose an update and give wrong gradients); one "
            "thread per graph is fine. Run with PYTHON_GIL=1 to be safe.",
            RuntimeWarning,
            stacklevel=stacklevel + 1,
        )
