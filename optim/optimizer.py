"""The optimiser base class: parameter groups, per-parameter state, step, zero_grad, state_dict.

Every optimiser in this package is a subclass that writes two things: `_validate(group)`,
which checks one group's hyperparameters, and `_update(p, grad, state, group)`, which
updates one parameter in place following the rule in the subclass's docstring.
"""

from __future__ import annotations

import copy
import math
import numbers
import os
from collections import defaultdict

import numpy as np

from autograd import Tensor, enable_grad, no_grad, versions

from .interrupts import deferred_interrupts


class Optimizer:
    """Base class of all optimisers: the parameters, their groups and their state.

    params: an iterable of Tensors with requires_grad=True, or a list of parameter groups,
        dicts like {"params": [w, b], "lr": 0.1}; a group's missing hyperparameters come
        from `defaults`.
    defaults: the hyperparameters of the subclass's constructor.

    Attributes:
        param_groups: list of dicts, each with "params" (a list of Tensors) and every
            hyperparameter; learning-rate schedulers change group["lr"] here. A value
            assigned there is checked at once (group["lr"] = nan raises ValueError), and
            a group changed some other way (dict.__setitem__, a list value edited in
            place) is checked again when the next step() starts.
        state: per-parameter dict keyed by the Tensor itself (Tensors hash by identity),
            e.g. `state[w]["momentum_buffer"]`; empty until the parameter's first step.

    One step updates p.data in place (so views of it and float32 stay what they are),
    under no_grad, without building graph nodes. A parameter whose .grad is None is
    skipped; a zero gradient still steps (momentum and running averages carry on). A
    Ctrl-C during the updates takes effect once every parameter is updated, so steps
    and step counts never differ across parameters.
    """

    # State entries load_state_dict requires of every parameter with state: under None,
    # always; under a hyperparameter's name, when the group's value of it is truthy.
    _required_state: dict = {}

    def __init__(self, params, defaults: dict):
        self.defaults = dict(defaults)
        _check_group(self._validate, self.defaults)
        self.state: defaultdict[Tensor, dict] = defaultdict(dict)
        self.param_groups: list[dict] = []
        self._step_count = 0  # read by lr_scheduler to warn when it steps first
        for group in _as_param_groups(params):
            self.add_param_group(group)

    # -- subclass hooks ------------------------------------------------------------------

    @staticmethod
    def _validate(group: dict) -> None:
        """Raise ValueError (PyTorch's wording) for an invalid hyperparameter in `group`.
        Called when a group is added or loaded, when a value in it is assigned, and at the
        start of a step() when the group changed since its last check."""

    def _update(self, p: Tensor, grad: np.ndarray, state: dict, group: dict) -> None:
        """Update p.data in place from its gradient `grad` (an ndarray of p's shape).

        Write `p.data -= ...`: Python then assigns the same array back through the
        Tensor.data setter, which bumps p's version, so a graph that saved p before the
        step refuses to backward through the changed values.
        """
        raise NotImplementedError(f"{type(self).__name__} must define _update()")

    # -- parameter groups ----------------------------------------------------------------

    def add_param_group(self, param_group: dict) -> None:
        """Add a group {"params": [...], hyperparameter: value, ...} to `param_groups`.

        Hyperparameters the group leaves out are taken from the optimiser's defaults.
        Raises TypeError for non-Tensor parameters and ValueError for a parameter that does
        not require grad, is not a leaf, or is already in a group.
        """
        if not isinstance(param_group, dict):
            raise TypeError(
                f"{type(self).__name__}.add_param_group: a parameter group must be a dict "
                f"with a 'params' entry, got {type(param_group).__name__}"
            )
        if "params" not in param_group:
            raise ValueError(
                f"{type(self).__name__}.add_param_group: the group has no 'params' entry "
                f"(keys: {sorted(param_group)})"
            )
        group_index = len(self.param_groups)
        params = _as_param_list(param_group["params"], f"parameter group {group_index}")
        seen = {
            id(p): (gi, pi)
            for gi, g in enumerate(self.param_groups)
            for pi, p in enumerate(g["params"])
        }
        for i, p in enumerate(params):
            _check_param(p, group_index, i)
            if id(p) in seen:
                where = seen[id(p)]
                raise ValueError(
                    f"{_describe(p, group_index, i)} is already parameter {where[1]} of group "
                    f"{where[0]}: a tensor may appear only once across all parameter groups"
                )
            seen[id(p)] = (group_index, i)
        group = {**self.defaults, **param_group, "params": params}
        _check_group(self._validate, group)
        self.param_groups.append(ParamGroup(self._validate, group))

    # -- the step ------------------------------------------------------------------------

    def step(self, closure=None):
        """Update every parameter that has a gradient; return closure's loss (or None).

        closure: optional function that clears the gradients, recomputes the loss, calls
            backward and returns the loss; it runs under enable_grad() before the update.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:  # a value changed behind the group's back
            check_if_changed(self._validate, group)
        # Check every gradient before touching any parameter: a bad one leaves all intact.
        updates = [(group, [(p, self._gradient_of(p, gi, pi))
                            for pi, p in enumerate(group["params"]) if p.grad is not None])
                   for gi, group in enumerate(self.param_groups)]
        with deferred_interrupts(), no_grad():
            for group, items in updates:
                for p, grad in items:
                    self._update(p, grad, self.state[p], group)
            self._step_count += 1
        return loss

    def _gradient_of(self, p: Tensor, group_index: int, index: int) -> np.ndarray:
        """p.grad as an ndarray of p's shape and dtype, or a clear error."""
        grad, data = p.grad, p.data
        if not isinstance(grad, Tensor):
            raise TypeError(
                f"{type(self).__name__}.step: the gradient of "
                f"{_describe(p, group_index, index)} is a {type(grad).__name__}; "
                "expected a Tensor (assign p.grad = Tensor(array))"
            )
        grad = grad.data
        if grad.shape != data.shape:
            raise RuntimeError(
                f"{type(self).__name__}.step: the gradient of "
                f"{_describe(p, group_index, index)} has shape {grad.shape}, "
                f"expected {data.shape}"
            )
        return grad if grad.dtype == data.dtype else grad.astype(data.dtype)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's gradient: set it to None (default) or fill it with zeros.

        With set_to_none=True the next step skips parameters that backward did not reach;
        with False it steps them with a zero gradient (momentum keeps moving them).
        """
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is None:
                    continue
                elif p.grad.grad_fn is not None:
                    # A create_graph gradient belongs to a graph: replace, don't mutate it.
                    p.grad = Tensor(np.zeros_like(p.grad.data))
                else:
                    with no_grad():
                        p.grad.zero_()

    # -- state_dict ----------------------------------------------------------------------

    def state_dict(self) -> dict:
        """{"state": {index: {name: value}}, "param_groups": [{..., "params": [index]}]}.

        Parameters are numbered 0, 1, 2, ... through the groups in order; arrays are
        copies, so later steps do not change a saved state dict.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            saved = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            saved["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(saved)
        state = {
            index[id(p)]: {k: _copy_value(v) for k, v in s.items()}
            for p, s in self.state.items()
            if s and id(p) in index
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore hyperparameters and state saved by state_dict(), all or nothing.

        Everything is checked before anything is assigned: the number of groups, the
        number of parameters in each group, the parameter indices, the hyperparameters and
        the shape of every state array. State arrays are copied and cast to the dtype of
        their parameter. Raises ValueError (TypeError for a non-dict) naming the mismatch.
        """
        groups, by_index = self._check_state_dict(state_dict)
        new_state: defaultdict[Tensor, dict] = defaultdict(dict)
        for idx, entries in state_dict["state"].items():
            p = by_index[idx]
            new_state[p] = {k: _copy_value(v, p.data.dtype) for k, v in entries.items()}
        for group, saved in zip(self.param_groups, groups, strict=True):
            params = group["params"]
            group.clear()  # update in place: schedulers and users hold these dicts
            group.update(saved)
            group["params"] = params
        self.state = new_state

    def _check_state_dict(self, state_dict):
        """Validate a state dict; return (copied groups, {saved index: parameter})."""
        name = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, dict):
            raise TypeError(f"{name}: expected a dict like optimizer.state_dict() returns, "
                            f"{passed_instead(state_dict, 'optimizer')}")
        missing = {"state", "param_groups"} - set(state_dict)
        if missing:
            raise ValueError(f"{name}: the state dict has no {sorted(missing)} entry")
        saved_groups = state_dict["param_groups"]
        if (
            not isinstance(state_dict["state"], dict)
            or not isinstance(saved_groups, list)
            or any(not isinstance(g, dict) or "params" not in g for g in saved_groups)
        ):
            raise ValueError(
                f"{name}: expected 'state' to be a dict and 'param_groups' a list of dicts "
                "with a 'params' entry, as state_dict() returns"
            )
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{name}: loaded state dict has {len(saved_groups)} parameter groups, "
                f"but the optimizer has {len(self.param_groups)}"
            )
        counts = [
            (i, len(s["params"]), len(g["params"]))
            for i, (s, g) in enumerate(zip(saved_groups, self.param_groups, strict=True))
        ]
        wrong = [
            f"group {i} has {n} parameters in the state dict but {m} in the optimizer"
            for i, n, m in counts
            if n != m
        ]
        if wrong:
            raise ValueError(f"{name}: parameter counts differ: " + "; ".join(wrong))
        by_index = {}
        for saved, group in zip(saved_groups, self.param_groups, strict=True):
            for idx, p in zip(saved["params"], group["params"], strict=True):
                if idx in by_index:
                    raise ValueError(f"{name}: parameter index {idx} appears twice")
                by_index[idx] = p
        groups = [self._check_saved_group(name, i, g) for i, g in enumerate(saved_groups)]
        for idx, entries in state_dict["state"].items():
            if idx not in by_index:
                raise ValueError(
                    f"{name}: state for parameter index {idx!r}, but the groups only list "
                    f"indices {sorted(by_index)}"
                )
            _check_state_entries(name, idx, entries, by_index[idx])
        required = {idx: self._required_keys(groups[gi])
                    for gi, saved in enumerate(saved_groups) for idx in saved["params"]}
        for idx, entries in state_dict["state"].items():
            missing = [key for key in required[idx] if key not in entries]
            if entries and missing:
                raise ValueError(
                    f"{name}: the state of parameter {idx} lacks {missing} (it has "
                    f"{sorted(entries)}); {type(self).__name__} would fail at its next step")
        return groups, by_index

    def _required_keys(self, group: dict) -> list:
        return [key for flag, keys in self._required_state.items()
                if flag is None or group.get(flag) for key in keys]

    def _check_saved_group(self, name: str, i: int, saved: dict) -> dict:
        missing = sorted(set(self.defaults) - set(saved))
        if missing:
            raise ValueError(
                f"{name}: parameter group {i} lacks hyperparameter(s) {missing} "
                f"of {type(self).__name__} (a state dict of another optimizer?)"
            )
        group = {k: copy.deepcopy(v) for k, v in saved.items() if k != "params"}
        _check_group(self._validate, group)
        return group

    # -- display -------------------------------------------------------------------------

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            shapes = ", ".join(str(tuple(p.data.shape)) for p in group["params"])
            lines.append(f"Parameter Group {i}")
            lines.append(f"    params: {len(group['params'])} tensors of shapes {shapes}")
            lines += [f"    {k}: {group[k]}" for k in sorted(group) if k != "params"]
        lines.append(")")
        return "\n".join(lines)


# -- helpers shared by the optimisers ------------------------------------------------------


def subtract_(p: Tensor, delta: np.ndarray) -> None:
    """p.data −= delta in place, counted as an in-place change of p (its version goes up,
    autograd.versions), so a graph that saved p refuses to backward through it."""
    data = p.data
    np.subtract(data, delta, out=data)
    versions.bump(p)


def check_real(group: dict, *keys: str) -> None:
    """TypeError unless every group[key] is a real number (bools excluded)."""
    for key in keys:
        value = group[key]
        if type(value) not in (int, float) and (  # the common case first: step() checks
                isinstance(value, bool) or not isinstance(value, numbers.Real)):
            raise TypeError(f"{key} must be a real number, got {type(value).__name__} {value!r}")


def _check_group(validate, group: dict) -> None:
    """The optimizer's own checks, then: every number in the group is finite (no update
    rule means anything with a nan or an infinite hyperparameter)."""
    validate(group)
    for key, value in group.items():
        if key == "params":
            continue
        for v in value if type(value) in (tuple, list) else (value,):
            if isinstance(v, (float, np.floating)) and not math.isfinite(v):
                raise ValueError(f"Invalid {key} value: {value} (hyperparameters must be "
                                 "finite)")


def check_if_changed(validate, group: dict) -> None:
    """_check_group, unless `group` is a ParamGroup whose values are the ones it last
    passed with (each is compared by identity first, so the usual case costs one dict
    comparison instead of the optimizer's whole validation)."""
    if type(group) is ParamGroup and group._checked is not None:
        try:
            if dict.__eq__(group, group._checked) is True:
                return
        except (TypeError, ValueError):  # a value whose == is not a bool (an array)
            pass
    _check_group(validate, group)
    if type(group) is ParamGroup:
        group._checked = _snapshot(group)


def _snapshot(group: dict) -> dict:
    """The group's values as checked. A list value (betas=[0.9, 0.99]) is kept as a
    tuple, which never equals a list: such a group, editable in place, is re-checked at
    every step."""
    return {key: tuple(value) if type(value) is list and key != "params" else value
            for key, value in group.items()}


def check_common(group: dict) -> None:
    """The checks every optimiser shares: lr ≥ 0 and weight_decay ≥ 0 (NaN fails)."""
    check_real(group, "lr", "weight_decay")
    if not 0.0 <= group["lr"]:
        raise ValueError(f"Invalid learning rate: {group['lr']}")
    if not 0.0 <= group["weight_decay"]:
        raise ValueError(f"Invalid weight_decay value: {group['weight_decay']}")


def check_eps(group: dict) -> None:
    """eps > 0. PyTorch accepts eps = 0; tracegrad refuses it, since it divides by zero."""
    check_real(group, "eps")
    if not 0.0 < group["eps"]:
        raise ValueError(f"Invalid epsilon value: {group['eps']} (eps must be > 0)")


class ParamGroup(dict):
    """One entry of `optimizer.param_groups`: a dict that checks each hyperparameter
    assigned to it with the optimizer's own validation, so group["lr"] = nan fails where
    it is written, not steps later."""

    __slots__ = ("_validate", "_checked")

    def __init__(self, validate, group: dict):
        super().__init__(group)
        self._validate = validate
        self._checked = None  # the values the last check passed (check_if_changed)

    def __setitem__(self, key, value):
        if key != "params":
            _check_group(self._validate, {**self, key: value})
        super().__setitem__(key, value)

    def __reduce__(self):  # copy and pickle whole, not key by key through __setitem__
        return (ParamGroup, (self._validate, dict(self)))

    def update(self, *args, **kwargs):
        changes = dict(*args, **kwargs)
        _check_group(self._validate, {**self, **changes})
        super().update(changes)


def passed_instead(value, receiver: str) -> str:
    """'got X; do Y', for a value passed to `receiver`.load_state_dict where a state dict
    belongs: None, a path (the file not loaded yet), or the object itself."""
    if isinstance(value, (str, bytes, os.PathLike)):
        path = os.fsdecode(value)
        return (f"got the path {path!r}; load the file first: "
                f"{receiver}.load_state_dict(nn.load({path!r}))")
    got = "None" if value is None else f"a {type(value).__name__}"
    if hasattr(value, "state_dict"):
        return f"got {got}; pass its state_dict(): {receiver}.load_state_dict(other.state_dict())"
    return f"got {got}; pass other.state_dict(), or what nn.load(path) returned"


def _as_param_groups(params) -> list[dict]:
    if isinstance(params, (Tensor, dict)):
        raise TypeError(
            "params argument given to the optimizer should be an iterable of Tensors or "
            f"dicts, but got {type(params).__name__}"
        )
    params = _as_param_list(params, "params argument given to the optimizer")
    if len(params) == 0:
        raise ValueError("optimizer got an empty parameter list")
    if all(isinstance(g, dict) for g in params):
        return params
    return [{"params": params}]


def _as_param_list(params, what: str) -> list:
    if isinstance(params, Tensor):
        return [params]
    if isinstance(params, (set, frozenset)):
        raise TypeError(
            f"{what}: parameters must be an ordered collection (a list), not a set, whose "
            "order changes between runs"
        )
    try:
        return list(params)
    except TypeError:
        raise TypeError(
            f"{what} should be an iterable of Tensors or dicts, but got {type(params).__name__}"
        ) from None


def _check_param(p, group_index: int, index: int) -> None:
    if not isinstance(p, Tensor):
        raise TypeError(
            f"optimizer can only optimize Tensors, but parameter {index} of group "
            f"{group_index} is {type(p).__name__}"
        )
    if not p.requires_grad:
        raise ValueError(
            f"optimizer can only optimize Tensors that require grad, but "
            f"{_describe(p, group_index, index)} has requires_grad=False"
        )
    if getattr(p, "grad_fn", None) is not None:
        raise ValueError(
            f"can't optimize a non-leaf Tensor: {_describe(p, group_index, index)} was made "
            "by an operation; optimize the leaf tensors it was computed from"
        )


def _describe(p: Tensor, group_index: int, index: int) -> str:
    name = getattr(p, "name", None)
    label = f"'{name}', " if name else ""
    return f"parameter {index} of group {group_index} ({label}shape {tuple(p.data.shape)})"


def _check_state_entries(name: str, idx, entries, p: Tensor) -> None:
    if not isinstance(entries, dict):
        raise ValueError(f"{name}: state of parameter {idx} is a {type(entries).__name__}")
    for key, value in entries.items():
        if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iu":
            continue  # a step count that went through np.savez; loaded as an int
        if isinstance(value, np.ndarray):
            if value.shape != p.data.shape:
                raise ValueError(
                    f"{name}: state '{key}' of parameter {idx} has shape {value.shape}, "
                    f"but the parameter has shape {p.data.shape}"
                )
            if value.dtype.kind not in "fiu":
                raise ValueError(
                    f"{name}: state '{key}' of parameter {idx} has dtype {value.dtype}"
                )
        elif value is not None and not isinstance(value, numbers.Number):
            raise ValueError(
                f"{name}: state '{key}' of parameter {idx} is a {type(value).__name__}; "
                "expected an ndarray or a number"
            )


def _copy_value(value, dtype=None):
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iu":
        return int(value)
    if isinstance(value, np.ndarray):
        return np.array(value, dtype=dtype if dtype is not None else value.dtype)
    return copy.deepcopy(value)
