"""Scopes: operator nodes created inside `scope(name, module)` point to a `Scope`.

nn.Module.__call__ opens one per call, so pictures can cluster or collapse a module's
nodes and listings can say which module each operator came from. This module owns the
scope state; engine.new_node reads it when it builds a node.
"""

from __future__ import annotations

import threading
from typing import Any


class Scope:
    """One call of a module or composite function; the nodes made inside it point here.

    `name` is the label shown in pictures, `module` the object called (an nn.Module, or
    None), `parent` the enclosing Scope (None at the top), `composite` True for a function
    made of primitives (cross-entropy) that pictures draw as one operator until expanded.
    """

    __slots__ = ("name", "module", "parent", "composite")

    def __init__(self, name, module=None, parent=None, composite=False):
        self.name = name
        self.module = module
        self.parent = parent
        self.composite = composite

    @property
    def depth(self) -> int:
        """0 for a scope opened outside every other scope."""
        depth, parent = 0, self.parent
        while parent is not None:
            depth, parent = depth + 1, parent.parent
        return depth

    def chain(self) -> list:
        """The scopes from the outermost down to this one."""
        chain, scope_ = [], self
        while scope_ is not None:
            chain.append(scope_)
            scope_ = scope_.parent
        return chain[::-1]

    def __repr__(self):
        return f"<Scope {self.name!r}>"


class scope:  # noqa: N801 - a context manager used like a function, as no_grad is
    """Context manager: operator nodes created inside it belong to a new `Scope`.

        with autograd.graph.scope("Linear", module=self):
            out = self.forward(x)

    `name` labels the scope in pictures and listings; `module` (any object, typically an
    nn.Module) lets them name the scope and its parameters by module path (its
    `named_modules()` and `named_parameters()` are used when it has them);
    `composite=True` marks a function built from primitives (cross-entropy) that pictures
    draw as one operator node unless `expand=True`. Scopes nest and are thread-local;
    `__enter__` returns the new Scope. Each `with` needs its own scope(...) object.
    """

    __slots__ = ("name", "module", "composite", "_record")

    def __init__(self, name: str, module: Any = None, composite: bool = False):
        if not isinstance(name, str) or not name:
            raise TypeError(f"scope: name must be a non-empty str, got {name!r}")
        self.name = name
        self.module = module
        self.composite = bool(composite)
        self._record = None

    def __enter__(self) -> Scope:
        if self._record is not None:
            raise RuntimeError(f"scope {self.name!r} is already open; create a new scope()")
        self._record = open_scope(self.name, self.module, self.composite)
        return self._record

    def __exit__(self, *exc_info):
        close_scope(self._record)


class _ThreadScope(threading.local):
    current = None  # the innermost open Scope in this thread


class _OpenAnywhere:
    """The threads that have a scope open: {thread id: its outermost Scope}. While it is
    empty, node creation (engine.new_node) skips the thread-local read: the hot path pays
    one attribute load. Only a thread's outermost scope enters or leaves it, each thread
    under its own key, so no lock is needed (one dict operation is atomic)."""

    threads: dict = {}


this_thread = _ThreadScope()
open_anywhere = _OpenAnywhere()


def open_scope(name, module=None, composite=False) -> Scope:
    """Open a Scope in this thread and return it; close it with close_scope(). The
    functional form of `scope`, for hot paths: nn.Module.__call__ runs it on every call,
    where the context-manager object cost 3 % of a W6 step."""
    parent = this_thread.current
    record = Scope(name, module, parent, composite)
    this_thread.current = record
    if parent is None:
        open_anywhere.threads[threading.get_ident()] = record
    return record


def close_scope(record: Scope) -> None:
    """Close the innermost Scope, `record`, opened by open_scope()."""
    this_thread.current = record.parent
    if record.parent is None:
        open_anywhere.threads.pop(threading.get_ident(), None)


def current_scope() -> Scope | None:
    """The innermost scope open in this thread, or None."""
    return this_thread.current


def scope_of(node) -> Scope | None:
    """The Scope an operator node was created in (None outside every scope)."""
    return getattr(node, "scope", None)
