"""Make tests/autograd's table files importable from one another.

The suite runs with --import-mode=importlib, which does not put test directories on
sys.path; test_operator_gradients.py collects the names of the operator rows that the
issue-15 test files (test_surface_*.py) hold, so every registered operator is covered.
"""

import pathlib
import sys

_HERE = str(pathlib.Path(__file__).parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
