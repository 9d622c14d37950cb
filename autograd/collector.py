"""Tuning of Python's cyclic garbage collector for big graphs, and its off switch."""

from __future__ import annotations

import gc
import threading

from .engine import next_sequence

_COLLECTOR_TUNING_FLOOR = 5_000  # nodes: smaller graphs leave the collector alone
_COLLECTOR_THRESHOLD_PER_NODE = 10  # a node, its inputs tuple and result are 3-4 objects
_COLLECTOR_TUNING_CEILING = 1_000_000


class _Collector:
    """Whether tuning is on, the thresholds the program had before tracegrad's changes,
    and the generation-0 threshold tracegrad last set (another value is the program's)."""

    tuning = True
    original: tuple | None = None
    ours = None
    lock = threading.Lock()


def tune_collector(node_count):
    """Raise the cyclic collector's generation-0 threshold for programs with big graphs.

    tracegrad graphs hold no reference cycles and die by reference counting, but every node
    and variable still counts as an allocation for CPython's cyclic collector, which by
    default runs every 700 allocations and walks every young object still alive: while a
    graph is being built, that is the whole graph, again and again (a third of micrograd's
    demo; 60 % of a million-step chain). After a backward over n nodes, or once a forward
    has built n nodes, the threshold is raised (never lowered) to 10n, at most 10⁶, so a
    collection comes every few graphs and finds most of them already freed. The cost: cyclic
    garbage of other code may wait that many allocations longer; set_collector_tuning(False)
    turns this off and restores the thresholds.
    """
    if node_count < _COLLECTOR_TUNING_FLOOR or not _Collector.tuning:
        return
    threshold, *older = gc.get_threshold()
    wanted = min(node_count * _COLLECTOR_THRESHOLD_PER_NODE, _COLLECTOR_TUNING_CEILING)
    if 0 < threshold < wanted:
        with _Collector.lock:
            if threshold != _Collector.ours:  # the program's own setting: keep it to restore
                _Collector.original = (threshold, *older)
            _Collector.ours = wanted
            gc.set_threshold(wanted, *older)


def set_collector_tuning(enabled: bool) -> None:
    """Turn tracegrad's tuning of Python's cyclic garbage collector on (the default) or off.

    After a backward over many nodes, tracegrad raises the collector's generation-0
    threshold (up to 10⁶ allocations) for the rest of the process, which makes big
    Scalar graphs several times faster. Off, the thresholds your program had before the
    first change are restored (gc.get_threshold()) and never changed again, so cyclic
    garbage of other code is collected as often as before.
    """
    with _Collector.lock:
        _Collector.tuning = bool(enabled)
        if not enabled and _Collector.original is not None:
            if gc.get_threshold()[0] == _Collector.ours:  # unless the program changed it since
                gc.set_threshold(*_Collector.original)
            _Collector.original = _Collector.ours = None


def is_collector_tuning_enabled() -> bool:
    """True while tracegrad may raise the collector's threshold (set_collector_tuning)."""
    return _Collector.tuning


class _GraphGrowthWatch:
    """A gc callback that sees a big graph being built before its first backward.

    At each collection it counts the nodes made since the previous one (node sequence
    numbers). While nodes are a large share of the
    allocations (each brings 3-4 objects), a graph is growing; once the growing run has
    made _COLLECTOR_TUNING_FLOOR nodes, the collector is tuned for it. It costs nothing
    between collections and returns at once when tuning is done or off.
    """

    last_sequence = 0
    growing = 0

    def __call__(self, phase, info):
        if phase != "start" or not _Collector.tuning:
            return
        threshold = gc.get_threshold()[0]
        if threshold >= _COLLECTOR_TUNING_CEILING or threshold == 0:
            return
        sequence = next_sequence()
        made = sequence - self.last_sequence
        self.last_sequence = sequence
        if made * 5 >= threshold:  # most allocations since the last collection: graph
            self.growing += made
            tune_collector(self.growing)
        else:
            self.growing = 0


gc.callbacks.append(_GraphGrowthWatch())
