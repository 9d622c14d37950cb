"""Gradient hooks: register_hook() and retain_grad(), and how backward runs them.

A leaf keeps its hooks in `variable._hooks`, a non-leaf on the node that made it
(`node.hooks`), so a graph still holds no reference cycle (retain_grad's hook holds its
variable weakly).
"""

from __future__ import annotations

import weakref

from .variable import Variable


class _HookHandle:
    def __init__(self, hooks, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self):
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


class _UserHook:
    """Runs a user's hook on a gradient the way PyTorch does: the hook sees a Tensor (a
    float for a Scalar) and may return a replacement of the same shape, or None."""

    __slots__ = ("fn", "shape", "as_value")

    def __init__(self, fn, variable):
        self.fn = fn
        self.shape = getattr(variable, "shape", None)
        self.as_value = type(variable)._as_hook_value

    def __call__(self, grad):
        raw = not isinstance(grad, Variable)  # backward's fast path: bare numbers
        result = self.fn(self.as_value(grad) if raw else grad)
        if result is None:
            return None
        if self.shape is None:  # a Scalar's gradient: a float, or a Scalar (create_graph)
            return float(result) if raw else result
        if not isinstance(result, Variable):
            result = self.as_value(result)
        if result.shape != self.shape:
            name = getattr(self.fn, "__name__", type(self.fn).__name__)
            raise ValueError(f"register_hook: hook '{name}' returned a gradient of shape "
                             f"{result.shape} for a tensor of shape {self.shape}")
        return result.data if raw else result


def run_hooks(hooks, grad, accumulating=True):
    for hook in hooks:
        if not accumulating and getattr(hook, "stores_grad", False):
            continue  # retain_grad() fills .grad only in backward(), never in grad()
        replaced = hook(grad)
        if replaced is not None:
            grad = replaced
    return grad


def _hook_list(variable):
    """The list backward runs for `variable`: the leaf's own, or its operator node's."""
    if variable.grad_fn is None:
        if variable._hooks is None:
            variable._hooks = []
        return variable._hooks
    if variable.grad_fn.hooks is None:
        variable.grad_fn.hooks = []
    return variable.grad_fn.hooks


def register_hook(variable, hook):
    """Call hook(grad) whenever `variable`'s gradient is computed; a non-None return value
    (same shape) replaces the gradient that flows on. Hooks run in registration order and
    get a Tensor (a float for a Scalar). Returns a handle with .remove()."""
    if not variable.requires_grad:
        raise RuntimeError("register_hook: cannot register a hook on a tensor that does not "
                           "require grad")
    if not callable(hook):
        raise TypeError(f"register_hook: hook must be callable, got {type(hook).__name__}")
    hooks = _hook_list(variable)
    wrapped = _UserHook(hook, variable)
    # retain_grad's hook stays last, so .grad shows what every hook made of the gradient.
    retained = [i for i, h in enumerate(hooks) if isinstance(h, _RetainGrad)]
    hooks.insert(retained[0] if retained else len(hooks), wrapped)
    return _HookHandle(hooks, wrapped)


class _RetainGrad:
    """A hook that stores a non-leaf's gradient in its .grad (through a weak reference,
    so the graph still holds no cycle). The engine skips it inside grad()."""

    stores_grad = True

    def __init__(self, variable):
        self.target = weakref.ref(variable)

    def __call__(self, grad):
        variable = self.target()
        if variable is not None:
            variable._accumulate(grad, isinstance(grad, Variable))


def retain_grad(variable):
    """Keep a non-leaf variable's gradient in .grad after backward (leaves always do).
    The stored gradient is the one after all of the variable's hooks have run."""
    if not variable.requires_grad:
        raise RuntimeError("retain_grad: cannot retain the gradient of a tensor that does not "
                           "require grad")
    if variable.grad_fn is None:
        return
    hooks = _hook_list(variable)
    if not retains_grad(variable):
        hooks.append(_RetainGrad(variable))


def retains_grad(variable) -> bool:
    """Whether retain_grad() was called on this non-leaf variable."""
    hooks = variable.grad_fn.hooks or ()
    return any(isinstance(hook, _RetainGrad) and hook.target() is variable for hook in hooks)
