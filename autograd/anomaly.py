"""Anomaly detection: stop at the first operator that makes a NaN or an inf, and say which
line of your code created it.

    with detect_anomaly():
        loss = model(x)          # forward: raises at the first non-finite operator output
        loss.backward()          # backward: raises at the first non-finite input gradient

Inside the context each new operator node remembers the user's source line that created
it (the first stack frame outside tracegrad's own packages). Outside it nothing is
recorded and nothing is checked: the engine only tests one thread-local flag.
"""

from __future__ import annotations

import functools
import linecache
import math
import os
import sys
import threading

import numpy as np

from .grad_mode import _open_anywhere, _state
from .variable import Variable

_PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_OWN_DIRS = tuple(os.path.join(_PACKAGE_ROOT, name) + os.sep
                  for name in ("autograd", "nn", "optim"))

_WHERE_TRAP_HINT = (
    "A nan from a finite incoming gradient usually means 0·inf inside this operator's "
    "derivative. The where-trap: where(x > 0, log(x), 0) at x = 0 still sends a 0 "
    "gradient into log's backward, and 0/0 = nan. Guard the input instead: "
    "log(where(x > 0, x, 1))."
)


class _Options(threading.local):
    check_forward = True  # the default every thread starts with
    running_backward = None  # under create_graph: the node whose backward is running


_options = _Options()


class detect_anomaly:
    """Context manager (and decorator) that raises FloatingPointError at the first
    operator whose forward output, or whose computed input gradient in backward, holds
    NaN or ±inf. The message names the operator and the file:line of your code that
    created it. Thread-local, like grad mode.

    detect_anomaly(forward=False) checks only gradients: use it when non-finite forward
    values are expected and masked (where(x > 0, log(x), 0) makes log(0) = -inf on
    purpose), to find the operator whose backward turns them into nan.

    Scalar operators are checked when they record a node (grad mode, an input that
    requires grad); Tensor operators always.
    """

    def __init__(self, forward: bool = True):
        self.forward = bool(forward)
        self._previous: list = []

    def __enter__(self):
        self._previous.append((_state.anomaly_enabled, _options.check_forward))
        _open_anywhere.anomaly.append(None)
        _state.anomaly_enabled = True
        _options.check_forward = self.forward
        return self

    def __exit__(self, *exc_info):
        _state.anomaly_enabled, _options.check_forward = self._previous.pop()
        _open_anywhere.anomaly.pop()

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.forward):
                return fn(*args, **kwargs)

        return wrapper


def is_anomaly_enabled() -> bool:
    """True inside detect_anomaly() (in this thread)."""
    return _state.anomaly_enabled


# --------------------------------------------------------------------------------------
# the engine's entry points (called only while anomaly mode is on)


def check_forward(op, out, inputs, node=None):
    """Record where `node` was created, then raise if `out` is not finite."""
    site = _user_site()
    if node is not None:
        node.site = site
    if not _options.check_forward or _is_finite(out):
        return
    shapes = ", ".join(str(np.shape(_raw(v))) for v in inputs)
    upstream = [i for i, v in enumerate(inputs) if not _is_finite(_raw(v))]
    cause = (f"input {upstream[0]} was already non-finite" if upstream
             else "its inputs were finite")
    running = _options.running_backward
    if running is not None:  # create_graph=True: backward formulas record operators too
        site = getattr(running, "site", None)
        raise FloatingPointError(
            f"detect_anomaly: operator '{op.name}', recorded by the backward of operator "
            f"'{running.op.name}' {_where(site)} under create_graph=True, produced "
            f"{_kind(out)} (input shapes {shapes}; {cause}){_source(site)}"
        )
    raise FloatingPointError(
        f"detect_anomaly: operator '{op.name}' {_where(site)} produced {_kind(out)} in its "
        f"forward output (input shapes {shapes}; {cause}){_source(site)}"
    )


def check_backward(node, grad_out, grads):
    """Raise if the gradient `node`'s backward computed for one of its inputs is not
    finite (`grads` is in input order, before broadcasting is summed away)."""
    for i, grad in enumerate(grads):
        if grad is None or not node.inputs[i].requires_grad or _is_finite(_raw(grad)):
            continue  # a constant's gradient is thrown away: no alarm for it
        site = getattr(node, "site", None)
        shape = np.shape(_raw(node.inputs[i]))
        if _is_finite(_raw(grad_out)):
            cause = "the incoming gradient was finite"
            if math.isnan(np.max(np.abs(_raw(grad)))):
                cause += ". " + _WHERE_TRAP_HINT
        else:
            cause = (f"the incoming gradient already held {_kind(_raw(grad_out))} (from "
                     "backward's grad= argument or a hook)")
        raise FloatingPointError(
            f"detect_anomaly: the backward of operator '{node.op.name}' {_where(site)} "
            f"produced {_kind(_raw(grad))} in the gradient for input {i} (shape {shape}); "
            f"{cause}{_source(site)}"
        )


def set_running_backward(node):
    """Backward tells anomaly mode which node's backward is recording operators (under
    create_graph), so a non-finite value they make is traced to it; None when done."""
    _options.running_backward = node


# --------------------------------------------------------------------------------------
# helpers


def _user_site():
    """(file, line, function) of the innermost frame outside tracegrad's packages."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_OWN_DIRS):
        frame = frame.f_back
    if frame is None:
        return None
    return frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name


def _where(site) -> str:
    if site is None:
        return ("(created outside detect_anomaly(), so its source line is unknown: run the "
                "forward pass inside the context too)")
    filename, line, function = site
    return f"(created at {filename}:{line}, in {function})"


def _source(site) -> str:
    if site is None:
        return ""
    text = linecache.getline(site[0], site[1]).strip()
    return f"\n    {site[1]} | {text}" if text else ""


def _raw(value):
    """The number or array behind a variable (or the value itself)."""
    return value.data if isinstance(value, Variable) else value


def _is_finite(value) -> bool:
    if type(value) is float:
        return math.isfinite(value)
    array = np.asarray(value)
    if array.dtype.kind != "f":
        return True  # integer and bool results cannot be nan or inf
    return bool(np.isfinite(array).all())


def _kind(value) -> str:
    """'nan', 'inf', '-inf' or a list of them, for the message."""
    array = np.asarray(value, dtype=np.float64)
    kinds = [name for name, present in (("nan", np.isnan(array).any()),
                                        ("inf", np.isposinf(array).any()),
                                        ("-inf", np.isneginf(array).any())) if present]
    return " and ".join(kinds)
