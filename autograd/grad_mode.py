"""Grad mode: whether operators record graph nodes. Thread-local, like PyTorch's."""

from __future__ import annotations

import functools
import threading


class _ThreadState(threading.local):
    # Class attributes are the defaults every new thread starts with.
    grad_enabled = True
    anomaly_enabled = False


_state = _ThreadState()


class _OpenAnywhere:
    """How many blocks that may change a thread's modes are open, in all threads together:
    grad-mode blocks and backward passes (`grad_mode`), detect_anomaly() blocks
    (`anomaly`). While a count is 0 every thread has that mode's default, so operators
    test these plain attributes before the thread-local flags: a thread-local read costs
    a tenth of a Scalar operator.

    Each count is the length of a list: append and pop are single C calls, atomic
    without a lock (which would cost more than the block it guards)."""

    def __init__(self):
        self.grad_mode: list = []
        self.anomaly: list = []

    def enter_grad_mode(self):
        self.grad_mode.append(None)

    def exit_grad_mode(self):
        self.grad_mode.pop()


_open_anywhere = _OpenAnywhere()


def is_grad_enabled() -> bool:
    """True when operators record the graph (the default in every thread)."""
    return _state.grad_enabled


class _GradModeContext:
    """Context manager and decorator that sets grad mode and restores it on exit."""

    _mode: bool

    def __enter__(self):
        _open_anywhere.enter_grad_mode()
        self._previous = _state.grad_enabled
        _state.grad_enabled = self._mode

    def __exit__(self, *exc_info):
        _state.grad_enabled = self._previous
        _open_anywhere.exit_grad_mode()

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(self._mode):  # a fresh context per call: calls may nest
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradModeContext):
    """Operators inside record no graph: results have no grad_fn and do not require grad.

    Use it for inference and for parameter updates. It is thread-local: other threads
    are unaffected, and a new thread starts with grad mode on.
    """

    _mode = False


class enable_grad(_GradModeContext):
    """Turn recording back on inside a no_grad() block."""

    _mode = True


class set_grad_enabled(_GradModeContext):
    """`with set_grad_enabled(False): ...` — grad mode chosen by a flag."""

    def __init__(self, mode: bool):
        self._mode = bool(mode)
