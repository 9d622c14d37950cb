"""Fixtures shared across the suite's folders.

`executed_notebook(path)` runs a notebook once per test session, in a fresh kernel, and
hands the same result to every test that asks: the notebook tests (tests/notebooks/)
and the documentation site's build (tests/docs/test_site.py), so `make test` executes
each notebook once.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# The suite checks correctness; speed is measured in benchmarks/. On a loaded 2-core machine
# hypothesis's per-example deadline and its slow-generation check fail correct tests.
settings.register_profile("suite", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("suite")

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("build_site", ROOT / "scripts" / "build_site.py")
build_site = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build_site)


@pytest.fixture(scope="session")
def executed_notebook(tmp_path_factory):
    """path -> (executed notebook, seconds, CellExecutionError or None), cached."""
    cache: dict = {}
    scratch = tmp_path_factory.mktemp("kernels")

    def run(path: Path):
        path = Path(path).resolve()
        if path not in cache:
            cache[path] = build_site.execute(path, scratch)
        return cache[path]

    return run


@pytest.fixture(scope="session")
def build_site_module():
    """scripts/build_site.py, which builds the documentation site (make docs)."""
    return build_site
