"""Make tests/optim's shared helper module (optim_problem.py) importable.

The suite runs with --import-mode=importlib, which does not put test directories on
sys.path; the optim tests share one fixed problem and the recorded PyTorch numbers.
"""

import pathlib
import sys

_HERE = str(pathlib.Path(__file__).parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
