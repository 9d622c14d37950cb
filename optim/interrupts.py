"""Ctrl-C that waits for the end of an update, so a step is applied whole or not at all."""

from __future__ import annotations

import threading

try:  # signal's own C module: signal.signal converts to and from enums on every call,
    import _signal as _raw  # which would cost more than a small optimizer step itself
except ImportError:  # pragma: no cover - an interpreter without it
    import signal as _raw

__all__ = ["deferred_interrupts"]

_MAIN = threading.main_thread()


class deferred_interrupts:  # noqa: N801 - used like a function: `with deferred_interrupts():`
    """Hold back Ctrl-C (SIGINT) inside the block: one that arrives meanwhile raises
    KeyboardInterrupt when the block ends; a second one raises at once (the way out of a
    block that never ends). Only Python's own handler is deferred, only in the main thread
    (the one Python delivers signals to); elsewhere, and nested, the block runs as is."""

    __slots__ = ("_active", "_received")

    def __enter__(self):
        self._received = False
        self._active = (threading.current_thread() is _MAIN
                        and _raw.getsignal(_raw.SIGINT) is _raw.default_int_handler)
        if self._active:
            _raw.signal(_raw.SIGINT, self._hold)
        return self

    def _hold(self, signum, frame):
        if self._received:
            raise KeyboardInterrupt
        self._received = True

    def __exit__(self, kind, error, traceback):
        if self._active:
            _raw.signal(_raw.SIGINT, _raw.default_int_handler)
            if self._received and kind is None:
                raise KeyboardInterrupt
        return False
