"""Version counters and in-place rules: how tracegrad notices a saved value was changed.

Every Tensor carries a version counter, a one-element list shared (one list object) by
the tensors that share its memory: views made by reshape, transpose and basic indexing,
and detach()ed tensors. An in-place change (+=, zero_(), t[i] = v, t.data = ...) adds 1.
When a node saves an input or its output for backward, it records (position, counter,
version now) in `node.versions`; backward refuses to run the node if a counter moved
since (RELIABILITY D6), instead of computing wrong gradients silently.
"""

from __future__ import annotations

from .grad_mode import _state


def share_counter_with_viewed_input(result, out, variables):
    """Give `result` the version counter of the input whose memory its array `out` is or
    views (reshape, transpose, basic indexing), so an in-place change through either is
    seen by both; a fresh array keeps its own counter."""
    base = out.base
    for variable in variables:
        data = variable._data
        if data is out or (base is not None and (data is base or data.base is base)):
            result._version_counter = variable._version_counter
            return


def note_saved(node, saved, out, variables, result):
    """Remember which saved value is the output (node.out_pos, for create_graph), and the
    version counters of the saved inputs and output with their current values."""
    # The common layouts first, without a search: the output alone (exp, tanh, sigmoid),
    # the first one or two inputs in their own positions (mul, div, matmul, linear, log),
    # the first input and the output, or the inputs in order followed by the output.
    count = len(saved)
    if count == 1:
        value = saved[0]
        if value is out:
            node.out_pos = 0
            counter = result._version_counter  # shared with an input it may be (a view)
            node.versions = ((None, counter, counter[0]),)
            return
        if value is variables[0]._data:
            counter = variables[0]._version_counter
            node.versions = ((0, counter, counter[0]),)
            return
    elif count == 2:
        first, second = saved
        if first is variables[0]._data and first is not out:
            counter0 = variables[0]._version_counter
            if second is out:  # the input and the output (prod, std, the scans)
                node.out_pos = 1
                counter = result._version_counter
                node.versions = ((0, counter0, counter0[0]), (None, counter, counter[0]))
                return
            if len(variables) >= 2 and second is variables[1]._data and second is not out:
                counter1 = variables[1]._version_counter
                node.versions = ((0, counter0, counter0[0]), (1, counter1, counter1[0]))
                return
    if count > 1:  # inputs in argument order, then perhaps the output (lerp, hypot, prod, std)
        inputs = count - 1 if saved[-1] is out else count
        if inputs <= len(variables):
            versions = []
            for i in range(inputs):
                value, variable = saved[i], variables[i]
                if value is not variable._data or value is out:
                    break
                counter = variable._version_counter
                versions.append((i, counter, counter[0]))
            else:
                if inputs < count:
                    node.out_pos = inputs
                    counter = result._version_counter
                    versions.append((None, counter, counter[0]))
                node.versions = tuple(versions)
                return
    versions = []
    found = 0  # bit i: input i recorded; one pass over `saved`, each variable once
    for i, value in enumerate(saved):
        if value is out:
            if node.out_pos < 0:
                node.out_pos = i
            continue
        for position, variable in enumerate(variables):
            if value is variable._data:
                if not found >> position & 1:
                    found |= 1 << position
                    counter = variable._version_counter
                    versions.append((position, counter, counter[0]))
                break
    if node.out_pos >= 0:
        counter = result._version_counter
        versions.append((None, counter, counter[0]))
    if versions:
        node.versions = tuple(versions)


def check_versions(node):
    """Raise if a value `node` saved was modified in place since (node.versions holds
    (input position, or None for the output; version counter; version when saved))."""
    for position, counter, expected in node.versions:
        if counter[0] != expected:
            raise _modified_error(node, position, counter[0], expected)


def _modified_error(node, position, version, expected) -> RuntimeError:
    name = node.op.name
    if position is None:
        label = f"the output of '{name}'"
        shape = getattr(node.saved[node.out_pos], "shape", ())
    else:
        variable = node.inputs[position]
        label = f"tensor '{variable.name}'" if variable.name else f"input {position}"
        shape = variable.shape
    return RuntimeError(
        f"backward: {label} (shape {shape}, saved by '{name}') was modified in place after "
        f"it was used (version {version}, expected {expected}); gradients would be wrong. "
        "Clone it before modifying it, or modify it under no_grad() before the forward pass."
    )


def check_inplace(tensor, op_name):
    """In-place writes are not recorded in the graph, so they are refused on tensors that
    require grad while grad mode is on: on a leaf the change would be invisible to
    backward (RELIABILITY D7), on an intermediate it would give wrong gradients."""
    if not (tensor.requires_grad and _state.grad_enabled):
        return
    label = f" '{tensor.name}'" if tensor.name else ""
    if tensor.grad_fn is None:
        raise RuntimeError(
            f"{op_name}: in-place operation on leaf tensor{label} that requires grad; "
            "wrap the update in no_grad()"
        )
    raise RuntimeError(
        f"{op_name}: in-place operation on tensor{label} made by "
        f"'{tensor.grad_fn.op.name}', which is part of a graph; no gradient flows through "
        "an in-place write, so gradients would be wrong. Compute the new value out of "
        "place (e.g. with where()), or modify it under no_grad()"
    )


def records_through(tensor, other, op_name) -> bool:
    """Whether `tensor op= other` must build a graph node (grad mode on and either side
    requires grad): then it is computed out of place and Python rebinds the name, so
    every saved value stays intact; a leaf that requires grad refuses instead."""
    other_requires_grad = getattr(other, "requires_grad", False)
    if _state.grad_enabled and (tensor.requires_grad or other_requires_grad):
        if tensor.grad_fn is None and tensor.requires_grad:
            check_inplace(tensor, op_name)
        return True
    return False


def update_inplace(tensor, operand, ufunc, op_name):
    """tensor op= operand (a raw array or number) in place: the version counter goes up."""
    try:
        ufunc(tensor._data, operand, out=tensor._data)
    except (TypeError, ValueError) as error:  # numpy's subclasses take other arguments
        kind = TypeError if isinstance(error, TypeError) else ValueError
        raise kind(
            f"{op_name}: cannot update a tensor of shape {tensor.shape} and dtype "
            f"{tensor.dtype} in place with an operand of shape {getattr(operand, 'shape', ())} "
            f"and dtype {getattr(operand, 'dtype', type(operand).__name__)} ({error}); use "
            f"the out-of-place form x = x {op_name[:-1]} y"
        ) from error
    bump(tensor)


def bump(tensor):
    """Count one in-place change of `tensor`'s memory (seen by every tensor sharing it)."""
    tensor._version_counter[0] += 1
