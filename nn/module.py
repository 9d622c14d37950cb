"""Module and Parameter: the building blocks every layer and model is made of.

A Module registers what is assigned to its attributes: a `Parameter` becomes one of its
parameters, a `Module` one of its children, in assignment order; `register_buffer` adds a
buffer, a Tensor that is state but not learned (BatchNorm's running statistics).
Everything else (`parameters()`, `buffers()`, `state_dict()`, `zero_grad()`,
`train()`/`eval()`, `to()`, the repr) walks that tree. Parameters and buffers are named by
their path in the tree (`layers.0.weight`), and the name is stored in `tensor.name` so
graph listings and pictures show it.
"""

from __future__ import annotations

from collections import OrderedDict, namedtuple

import numpy as np

from autograd import Tensor, no_grad
from autograd.graph import close_scope, open_scope
from optim.optimizer import passed_instead

__all__ = ["Module", "Parameter", "StateDictError", "IncompatibleKeys"]


class Parameter(Tensor):
    """A Tensor that is a model's learnable parameter: a leaf with requires_grad=True.

    Parameter(data, requires_grad=True, name=None) copies `data` (like Tensor); Python
    numbers and lists become float64, float32 arrays stay float32. Assigning one to a
    Module attribute registers it. Pickling and copy.deepcopy keep the data, dtype,
    requires_grad and name, never `.grad` (PyTorch does the same).
    """

    __slots__ = ()

    def __init__(self, data, requires_grad=True, name=None):
        if isinstance(data, Tensor):
            data = data.data
        super().__init__(data, requires_grad=requires_grad, name=name)
        if self.dtype.kind != "f":
            raise TypeError(f"Parameter: needs a floating dtype, got {self.dtype}; pass "
                            "float data or call .astype(np.float64)")

    def __reduce_ex__(self, protocol):
        return (Parameter, (self.data, self.requires_grad, self.name))

    def __repr__(self):
        body = super().__repr__()[len("Tensor"):]
        # array2string indented continuation lines for "Tensor(": shift them under "Parameter(".
        return "Parameter" + body.replace("\n" + " " * 7, "\n" + " " * 10)


class StateDictError(ValueError):
    """A state dict that does not fit the module: lists every missing, unexpected and
    mis-shaped entry at once."""


IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Module:
    """Base class of layers and models: subclass it, assign parameters and submodules in
    __init__, and write forward(). Calling the module runs forward.

        class Affine(Module):
            def __init__(self, n):
                super().__init__()
                self.weight = Parameter(np.ones(n))
                self.bias = Parameter(np.zeros(n))

            def forward(self, x):
                return x * self.weight + self.bias

    State that is saved but not learned (a running average) is a buffer:
    self.register_buffer("running_mean", Tensor(np.zeros(n))).
    """

    def __init__(self):
        # One registry in registration order: name -> Parameter, Module, or a buffer (any
        # other Tensor, or None for a buffer registered empty).
        object.__setattr__(self, "_members", OrderedDict())
        # Buffers left out of the state dict (register_buffer(..., persistent=False)).
        object.__setattr__(self, "_non_persistent_buffers_set", set())
        object.__setattr__(self, "training", True)

    @property
    def _parameters(self) -> OrderedDict:
        return OrderedDict((n, v) for n, v in self._members.items() if isinstance(v, Parameter))

    @property
    def _buffers(self) -> OrderedDict:
        """name -> Tensor or None, for this module's own buffers."""
        return OrderedDict((n, v) for n, v in self._members.items() if _is_buffer(v))

    @property
    def _modules(self) -> OrderedDict:
        return OrderedDict((n, v) for n, v in self._members.items() if isinstance(v, Module))

    # -- registration by attribute ------------------------------------------------------

    def __setattr__(self, name, value):
        members = self.__dict__.get("_members")
        if members is None:
            if isinstance(value, (Parameter, Module)):
                raise AttributeError(
                    f"cannot assign {type(value).__name__} '{name}' before "
                    f"{type(self).__name__}.__init__ called super().__init__()"
                )
        elif isinstance(value, (Parameter, Module)):
            _check_name(self, name, "parameter" if isinstance(value, Parameter) else "module")
            members[name] = value
            self._non_persistent_buffers_set.discard(name)
            if isinstance(value, Parameter):
                value.name = name
            else:
                _rename_members(value, name)
        elif name in members and _is_buffer(members[name]):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"{type(self).__name__}: cannot assign {type(value).__name__} "
                                f"to buffer '{name}' (a Tensor or None expected); wrap it: "
                                f"self.{name} = Tensor(value)")
            members[name] = value
            if value is not None:
                value.name = name
        elif isinstance(members.get(name), Parameter) and isinstance(value, Tensor):
            raise TypeError(
                f"{type(self).__name__}: cannot assign a plain Tensor to parameter "
                f"'{name}'; wrap it in nn.Parameter(...), or update the values in place "
                f"under no_grad() (with no_grad(): self.{name}[...] = value), which "
                "backward checks"
            )
        else:
            members.pop(name, None)
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        self._members.pop(name, None)
        self._non_persistent_buffers_set.discard(name)
        object.__delattr__(self, name)

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a buffer: a Tensor that belongs to the module's state but is not learned
        (BatchNorm's running_mean). It is an attribute (self.name), listed by buffers(),
        cast by to(dtype), saved in state_dict() when `persistent`, and never given to an
        optimizer. Assigning a Tensor (or None) to the name later replaces it, as in
        PyTorch. None registers the name without a value (left out of the state dict)."""
        if "_members" not in self.__dict__:
            raise AttributeError(f"cannot assign buffer '{name}' before "
                                 f"{type(self).__name__}.__init__ called super().__init__()")
        _check_name(self, name, "buffer")
        if hasattr(self, name) and not (name in self._members
                                        and _is_buffer(self._members[name])):
            raise KeyError(f"{type(self).__name__}.register_buffer: attribute '{name}' already "
                           "exists; pick another name, or delete the attribute first")
        if isinstance(tensor, Parameter):
            raise TypeError(f"{type(self).__name__}.register_buffer: '{name}' is a Parameter "
                            "(learned); use register_parameter, or pass a plain Tensor")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"{type(self).__name__}.register_buffer: '{name}' must be a Tensor "
                            f"or None, got {type(tensor).__name__}; wrap it in Tensor(...)")
        self._members[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)
        if tensor is not None:
            tensor.name = name
        object.__setattr__(self, name, tensor)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """setattr(self, name, param), for names chosen at run time."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: '{name}' must be a Parameter or None, got "
                            f"{type(param).__name__}")
        _check_name(self, name, "parameter")
        setattr(self, name, param)

    def add_module(self, name: str, module: Module | None) -> None:
        """setattr(self, name, module), for names chosen at run time (Sequential uses it)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: '{name}' must be a Module, got "
                            f"{type(module).__name__}")
        _check_name(self, name, "module")
        setattr(self, name, module)

    # -- calling ----------------------------------------------------------------------

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward() method")

    def __call__(self, *args, **kwargs):
        # nodes made inside belong to this call's scope: a labelled cluster in pictures
        record = open_scope(type(self).__name__, self)
        try:
            return self.forward(*args, **kwargs)
        finally:
            close_scope(record)

    # -- walking the tree ---------------------------------------------------------------

    def named_children(self):
        """(name, child) for each direct submodule, in registration order."""
        return iter(self._modules.items())

    def children(self):
        return (module for _, module in self.named_children())

    def named_modules(self, prefix: str = ""):
        """(path, module) for this module and every descendant, each once, depth first in
        registration order."""
        return ((path, member) for path, member, _ in _walk(self, prefix, recurse=True)
                if isinstance(member, Module))

    def modules(self):
        return (module for _, module in self.named_modules())

    def named_parameters(self, prefix: str = "", recurse: bool = True):
        """(path, parameter) pairs in PyTorch's order: module by module (this one, then its
        descendants depth first), each module's own parameters in registration order; a
        parameter shared by several modules appears once, under its first path."""
        seen = set()
        for path, member, _ in _own_members(self, prefix, recurse):
            if isinstance(member, Parameter) and id(member) not in seen:
                seen.add(id(member))
                yield path, member

    def parameters(self, recurse: bool = True):
        return (param for _, param in self.named_parameters(recurse=recurse))

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True):
        """(path, buffer) pairs in named_parameters' order, persistent or not (buffers
        registered as None are skipped); a shared buffer appears once unless
        remove_duplicate=False."""
        seen = set()
        for path, member, _ in _own_members(self, prefix, recurse):
            if isinstance(member, Tensor) and not isinstance(member, Parameter):
                if remove_duplicate and id(member) in seen:
                    continue
                seen.add(id(member))
                yield path, member

    def buffers(self, recurse: bool = True):
        return (buffer for _, buffer in self.named_buffers(recurse=recurse))

    def num_parameters(self) -> int:
        """Number of learnable scalars (shared parameters counted once)."""
        return sum(p.size for p in self.parameters())

    # -- training state -----------------------------------------------------------------

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget accumulated gradients: .grad = None (default) or zeros."""
        for param in self.parameters():
            if set_to_none or param.grad is None:
                param.grad = None
            else:
                param.grad.data[...] = 0

    def train(self, mode: bool = True) -> Module:
        """Training mode for this module and all descendants (Dropout drops); returns self."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self) -> Module:
        """Evaluation mode (Dropout is the identity); same as train(False)."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Freeze (False) or unfreeze every parameter; returns self."""
        for param in self.parameters():
            param.requires_grad = bool(requires_grad)
        return self

    def to(self, dtype) -> Module:
        """Cast every parameter and floating buffer to a floating dtype in place
        (np.float32 for speed, or np.float64); integer buffers (num_batches_tracked) keep
        theirs, as in PyTorch; gradients are dropped. Returns self. PyTorch's device "cpu"
        is accepted and changes nothing (tracegrad computes with numpy, on the CPU)."""
        if isinstance(dtype, str) and dtype.split(":")[0] in ("cpu", "cuda", "mps", "xpu"):
            if dtype.split(":")[0] == "cpu":
                return self
            raise ValueError(f"{type(self).__name__}.to: tracegrad computes with numpy on the "
                             f"CPU; there is no device {dtype!r} (use 'cpu' or leave it out)")
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"{type(self).__name__}.to: needs a floating dtype, got {dtype}")
        for param in self.parameters():
            param.data = param.data.astype(dtype)
            param.grad = None
        for buffer in self.buffers():
            if buffer.dtype.kind == "f":
                buffer.data = buffer.data.astype(dtype)
        return self

    # -- state dicts --------------------------------------------------------------------

    def _state_entries(self):
        """(path, tensor) for every parameter and persistent buffer, in PyTorch's
        state-dict order (module by module: its parameters, then its buffers, then its
        descendants'); each tensor once."""
        seen = set()
        for path, member, owner in _own_members(self, "", recurse=True, parameters_first=True):
            if isinstance(member, Parameter) or (
                    isinstance(member, Tensor)
                    and path.rpartition(".")[2] not in owner._non_persistent_buffers_set):
                if id(member) not in seen:
                    seen.add(id(member))
                    yield path, member

    def state_dict(self) -> OrderedDict:
        """{path: ndarray}: a copy of every parameter's and persistent buffer's values, in
        registration order.

        Copies, not views (unlike PyTorch), so a saved state is a snapshot that later
        training does not change; EarlyStopping's restore_best relies on it.
        """
        return OrderedDict((name, tensor.data.copy()) for name, tensor in self._state_entries())

    def load_state_dict(self, state_dict, strict: bool = True) -> IncompatibleKeys:
        """Copy values from `state_dict` into the parameters and persistent buffers: all or
        nothing.

        Everything is checked first and nothing is assigned unless all of it fits; one
        StateDictError (a ValueError) then lists every missing key, unexpected key,
        shape mismatch and non-numeric entry. With strict=False, missing and unexpected
        keys are allowed (shape mismatches still are not). Values are cast to each
        parameter's or buffer's dtype (as PyTorch does). Returns (missing_keys,
        unexpected_keys).
        """
        if not hasattr(state_dict, "items") or not hasattr(state_dict, "__contains__") or (
                isinstance(state_dict, Module)):
            raise TypeError(f"{type(self).__name__}.load_state_dict: expected a state dict (a "
                            f"mapping of parameter names to arrays), "
                            f"{passed_instead(state_dict, 'model')}")
        own = OrderedDict(self._state_entries())
        values, problems = {}, []
        missing = [key for key in own if key not in state_dict]
        unexpected = [key for key in state_dict if key not in own]
        if strict and missing:
            problems.append("missing key(s): " + ", ".join(repr(k) for k in missing))
        if strict and unexpected:
            problems.append("unexpected key(s): " + ", ".join(repr(k) for k in unexpected))
        nested = [key for key in unexpected if isinstance(state_dict[key], dict)]
        if nested and not any(key in state_dict for key in own):
            problems.append(f"{', '.join(map(repr, nested))} hold state dicts of their own (a "
                            f"checkpoint of a whole run?): pass one of them, e.g. "
                            f"model.load_state_dict(checkpoint[{nested[0]!r}])")
        for key, param in own.items():
            if key in state_dict:
                value, problem = _checked_value(key, state_dict[key], param)
                if problem:
                    problems.append(problem)
                values[key] = value
        if problems:
            raise StateDictError(
                f"error(s) in loading state_dict for {type(self).__name__}:\n  "
                + "\n  ".join(problems)
            )
        with no_grad():
            for key, value in values.items():
                own[key][...] = value
        return IncompatibleKeys(missing, unexpected)

    # -- display ------------------------------------------------------------------------

    def extra_repr(self) -> str:
        """The text inside this module's parentheses (override in layers)."""
        return ""

    def __repr__(self):
        return _repr_tree(self, top=True)


def _is_buffer(member) -> bool:
    """Whether a registry entry is a buffer: anything but a Parameter or a Module (a
    Tensor, or None for a buffer registered empty)."""
    return not isinstance(member, (Parameter, Module))


def _walk(module, prefix, recurse):
    """(path, member, owner) for `module` (owner None) and, depth first in registration
    order, everything registered below it, with the module it is registered in; each
    module is entered once (iteratively: no recursion limit)."""
    yield prefix, module, None
    entered = {id(module)}
    stack = [(prefix, module, iter(module._members.items()))]
    while stack:
        path, owner, members = stack[-1]
        for name, member in members:
            full = f"{path}.{name}" if path else name
            if isinstance(member, Module):
                if not recurse or id(member) in entered:
                    continue
                entered.add(id(member))
                yield full, member, owner
                stack.append((full, member, iter(member._members.items())))
                break
            yield full, member, owner
        else:
            stack.pop()


def _own_members(module, prefix, recurse, parameters_first=False):
    """(path, member, owner) for every parameter and buffer, module by module as
    named_modules() lists them, each module's own in registration order (parameters
    before buffers with `parameters_first`, as PyTorch's state_dict has them)."""
    modules = (((path, member) for path, member, _ in _walk(module, prefix, recurse=True)
                if isinstance(member, Module)) if recurse else [(prefix, module)])
    for path, owner in modules:
        own = [(name, member) for name, member in owner._members.items()
               if not isinstance(member, Module)]
        if parameters_first:
            own.sort(key=lambda item: not isinstance(item[1], Parameter))  # stable
        for name, member in own:
            yield (f"{path}.{name}" if path else name), member, owner


def _rename_members(module, prefix):
    """Name a new child's parameters and buffers by their path from the parent."""
    for path, tensor in (*module.named_parameters(), *module.named_buffers()):
        tensor.name = f"{prefix}.{path}"


def _check_name(module, name, kind: str) -> None:
    """PyTorch's rule: a member's name is a non-empty str without a dot, since dots join
    the names of a path (`layers.0.weight`) and a dotted name would collide with one."""
    if not isinstance(name, str):
        raise TypeError(f"{type(module).__name__}: {kind} name must be a str, got "
                        f"{type(name).__name__} {name!r}")
    if name == "":
        raise KeyError(f'{type(module).__name__}: {kind} name can\'t be empty string ""')
    if "." in name:
        raise KeyError(f'{type(module).__name__}: {kind} name can\'t contain ".", got: '
                       f'{name!r} (it would collide with the path of a submodule\'s member)')


def _checked_value(key, value, param):
    """(array cast to param's dtype, None) or (None, a description of what is wrong);
    `param` is a parameter or a buffer."""
    if isinstance(value, Tensor):
        value = value.data
    try:
        array = np.asarray(value)
    except ValueError:  # numpy's "inhomogeneous shape"
        return None, f"{key!r}: a ragged list (rows of different lengths), not an array"
    if array.dtype.kind not in "fiub":
        return None, f"{key!r}: unsupported dtype {array.dtype} (numeric arrays only)"
    if array.shape != param.shape:
        kind = "parameter" if isinstance(param, Parameter) else "buffer"
        return None, (f"size mismatch for {key!r}: checkpoint has shape {array.shape}, "
                      f"the model's {kind} has shape {param.shape}")
    return array.astype(param.dtype, copy=True), None


def _count(n: int) -> str:
    return f"{n:,} param" + ("" if n == 1 else "s")


def _repr_tree(module, top=False) -> str:
    """PyTorch's nested layout, each module with parameters annotated with its count."""
    name = type(module).__name__
    extra = module.extra_repr()
    count = module.num_parameters()
    note = f"  # {_count(count)}" if count else ""
    children = list(module._modules.items())
    if not children:
        return f"{name}({extra}){note}"
    lines = [f"{name}({extra}" if extra else f"{name}("]
    if extra:
        lines[0] += ","
    for child_name, child in children:
        body = _repr_tree(child).replace("\n", "\n  ")
        lines.append(f"  ({child_name}): {body}")
    lines.append(f"){note}")
    return "\n".join(lines)
