"""Ctrl-C that waits for the end of an update, so a step is applied whole or not at all."""

from __future__ import annotations

import contextlib
import signal
import threading

__all__ = ["deferred_interrupts"]

_depth = [0]  # nesting of deferred blocks in the main thread


@contextlib.contextmanager
def deferred_interrupts():
    """Hold back Ctrl-C (SIGINT) inside the block: one that arrives meanwhile raises
    KeyboardInterrupt when the block ends; a second one raises at once (the way out of a
    block that never ends). Only Python's own handler is deferred, only in the main thread
    (the one Python delivers signals to); elsewhere, and nested, the block runs as is."""
    if (_depth[0] or threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield
        return
    received = []

    def hold(signum, frame):
        if received:
            raise KeyboardInterrupt
        received.append(signum)

    signal.signal(signal.SIGINT, hold)
    _depth[0] += 1
    try:
        yield
    finally:
        _depth[0] -= 1
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if received:
        raise KeyboardInterrupt
