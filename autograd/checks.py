"""check_graph: check every operator of a recorded graph against finite differences.

gradcheck(fn, x) says whether a whole function's gradient is right; when it is not, it
cannot say which of the hundred operators inside a network is to blame. check_graph runs
the function once, then checks each operator node on its own: it re-applies the node's
operator to float64 copies of that node's recorded inputs and compares the backward with
central differences, as gradcheck does (random upstream gradient):

    ∂⟨v, op(x)⟩/∂xⱼ ≈ (⟨v, op(x + eps·eⱼ)⟩ − ⟨v, op(x − eps·eⱼ)⟩) / (2·eps)

Nodes are checked in the order the forward pass ran them (a topological order of the
graph, from engine.topological_order), and the report names the first wrong one.

Where the central difference disagrees with backward, the one-sided differences
(f(x + eps) − f(x))/eps and (f(x) − f(x − eps))/eps are compared too: if they disagree
with each other, the node sits on a kink (relu at 0, a tie in max) where the function has
no derivative, and any value between them is a fair answer. Such a node is reported as
"kink", not WRONG, for built-in and user operators alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .anomaly import detect_anomaly
from .engine import Node, topological_order
from .grad_mode import enable_grad
from .gradcheck import (
    GradcheckError,
    _analytic_gradients,
    _as_tuple,
    _is_float_output,
    _numeric_gradient,
    _prepare_inputs,
    _shifted_value,
)
from .scalar import Scalar
from .tensor import Tensor


class GraphCheckError(GradcheckError):
    """An operator's backward in the graph disagrees with finite differences; `.report`
    holds the whole GraphCheckReport."""

    def __init__(self, message, report):
        super().__init__(message)
        self.report = report


@dataclass
class NodeCheck:
    """The check of one operator node (one row of the report).

    `error` is max |analytic − numeric| over the checked inputs. For a wrong node, `worst`
    is (input index, element index, analytic, numeric, tolerance) at the element that
    exceeds its tolerance the most, and `mismatches` counts the elements that do.
    """

    index: int
    node: Node
    input_shapes: tuple
    ok: bool
    error: float = 0.0
    worst: tuple | None = None
    mismatches: int = 0
    problem: str | None = None  # an exception raised while re-running the operator
    kink: tuple | None = None  # (input, element, left slope, right slope, analytic)

    @property
    def result(self) -> str:
        if not self.ok:
            return "WRONG"
        return "kink" if self.kink else "ok"

    @property
    def name(self) -> str:
        return self.node.op.name

    def describe(self) -> str:
        """One line on what is wrong with this node, or on the kink it sits on ('' if
        neither)."""
        if self.ok and self.kink:
            i, element, left, right, analytic = self.kink
            where = f" element {list(element)}" if element else ""
            return (f"#{self.index} '{self.name}'{_site(self.node)}: input {i}{where} is at a "
                    f"kink (non-differentiable point): slope {left:.6g} from the left, "
                    f"{right:.6g} from the right; backward gives {analytic:.6g}")
        if self.ok:
            return ""
        head = f"#{self.index} '{self.name}'{_site(self.node)}"
        if self.problem:
            return f"{head}: could not re-run the operator ({self.problem})"
        i, element, analytic, numeric, tolerance = self.worst
        where = f", worst element {list(element)}" if element else ""
        if analytic is None:
            return (f"{head}: input {i}{where}: no gradient reached this input (backward "
                    f"returned None for it), but numeric {numeric:.6g} > atol = {tolerance:.3g}")
        return (f"{head}: input {i}{where}: analytic {analytic:.6g}, numeric {numeric:.6g}, "
                f"|diff| {abs(analytic - numeric):.3g} > atol + rtol·|numeric| = "
                f"{tolerance:.3g} ({self.mismatches} element(s) differ)")


class GraphCheckReport:
    """Every operator node checked, in forward order. str() is a table; `ok` (also the
    truth value) says whether all passed; `first_failure` and `failed_node` point at the
    first wrong one (the Node, so a picture of the graph can highlight it);
    `outputs` are the function's outputs, so the whole graph can be drawn:
    viz.forward_graph(report.outputs, highlight=report.failed_node)."""

    def __init__(self, checks, atol, rtol, outputs=()):
        self.checks = checks
        self.atol, self.rtol = atol, rtol
        self.outputs = list(outputs)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def __bool__(self) -> bool:
        return self.ok

    @property
    def failures(self) -> list:
        return [check for check in self.checks if not check.ok]

    @property
    def first_failure(self) -> NodeCheck | None:
        failures = self.failures
        return failures[0] if failures else None

    @property
    def failed_node(self) -> Node | None:
        first = self.first_failure
        return first.node if first is not None else None

    @property
    def kinks(self) -> list:
        """The nodes that passed only because they sit on a kink (see the module doc)."""
        return [check for check in self.checks if check.ok and check.kink]

    def summary(self) -> str:
        wrong = len(self.failures)
        head = f"check_graph: {len(self.checks)} operators checked, {wrong} wrong"
        if self.kinks:
            head += f", {len(self.kinks)} at a kink"
        first = self.first_failure
        return head + (f" (first: #{first.index} '{first.name}')" if first else "")

    def _table(self) -> list:
        rows = [("#", "operator", "input shapes", "max |analytic − numeric|", "result")]
        for check in self.checks:
            shapes = ", ".join(str(s) for s in check.input_shapes)
            error = "—" if check.problem else f"{check.error:.2g}"
            rows.append((str(check.index), check.name, shapes, error, check.result))
        widths = [max(len(row[k]) for row in rows) for k in range(4)]
        lines = []
        for row in rows:
            cells = [row[k].ljust(widths[k]) for k in range(4)] + [row[4]]
            lines.append("  ".join(cells).rstrip())
        return lines

    def __str__(self):
        notes = [check.describe() for check in self.failures + self.kinks]
        return "\n".join([self.summary(), ""] + self._table() + [""] + notes).rstrip()

    def _error_message(self) -> str:
        """The first failure's line, then the table and any other notes (each line once)."""
        first = self.first_failure
        notes = [check.describe() for check in self.failures + self.kinks if check is not first]
        return "\n".join([first.describe(), "", self.summary(), ""] + self._table()
                         + [""] + notes).rstrip()

    def __repr__(self):
        return f"<GraphCheckReport: {len(self.checks)} operators, {len(self.failures)} wrong>"


def check_graph(fn, *inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Run fn(*inputs) once and check every operator node of the recorded graph against
    central differences on that node's own inputs, with gradcheck's tolerance
    |analytic − numeric| ≤ atol + rtol·|numeric|.

    Returns a GraphCheckReport (a table of every node: operator, input shapes, largest
    error, ok or WRONG). If a node is wrong and raise_exception is True, raises
    GraphCheckError naming the first wrong operator, its worst element, both values and
    the tolerance, with the report attached. Inputs that require grad are used as given
    (parameters used inside fn are checked too); if none does, floating ones are copied
    and made to. Each node costs two evaluations of its operator per input element. A
    disagreement where the one-sided differences disagree with each other (a kink: relu
    at 0, a tie in max) is reported as "kink", not as wrong (report.kinks lists them).
    """
    outputs = _record(fn, inputs)
    roots = [o.grad_fn for o in outputs if getattr(o, "grad_fn", None) is not None]
    if not roots:
        raise ValueError("check_graph: the function recorded no operator; does any input "
                         "or parameter require grad?")
    order = topological_order(roots)[::-1]  # the order the forward pass ran them
    checks = [_check_node(i, node, eps, atol, rtol) for i, node in enumerate(order)]
    report = GraphCheckReport(checks, atol, rtol, outputs)
    if raise_exception and not report.ok:
        raise GraphCheckError(report._error_message(), report)
    return report


def _record(fn, inputs):
    inputs = list(inputs)
    if not any(getattr(x, "requires_grad", False) for x in inputs):
        inputs = [_fresh(x, True) for x in inputs]
    # forward=False: nothing is checked, but every node remembers its source line.
    with enable_grad(), detect_anomaly(forward=False):
        outputs = fn(*inputs)
    return [o for o in _as_tuple(outputs) if _is_float_output(o)]


def _fresh(variable, requires_grad):
    """A new leaf with a float64 copy of a variable's data (constants stay as they are)."""
    if isinstance(variable, Scalar):
        return Scalar(variable.data, requires_grad=requires_grad)
    if isinstance(variable, Tensor) and variable.dtype.kind == "f":
        return Tensor(variable.data, dtype=np.float64, requires_grad=requires_grad)
    return variable


def _check_node(index, node, eps, atol, rtol):
    shapes = tuple(np.shape(v.data) for v in node.inputs)
    params = node.params or {}

    def apply(*xs):
        return node.op.apply(*xs, **params)

    try:
        leaves = [_fresh(v, v.requires_grad) for v in node.inputs]
        xs, checked = _prepare_inputs(leaves)
        with enable_grad():
            outputs = [o for o in _as_tuple(apply(*xs)) if _is_float_output(o)]
        rng = np.random.default_rng(index)
        cotangents = [rng.standard_normal(np.shape(o.data)) for o in outputs]
        analytic = _analytic_gradients(outputs, cotangents, xs, checked)
        numeric = [_numeric_gradient(apply, xs, i, cotangents, eps) for i in checked]
        slopes = lambda i, element: _one_sided(apply, xs, i, element, cotangents, eps)  # noqa: E731
        return _compare(index, node, shapes, checked, analytic, numeric, atol, rtol, slopes)
    except (ArithmeticError, LookupError, RuntimeError, TypeError, ValueError) as error:
        return NodeCheck(index, node, shapes, ok=False, problem=f"{type(error).__name__}: "
                                                                 f"{error}")


def _one_sided(fn, xs, i, element, cotangents, eps):
    """(left, right) slopes of ⟨v, fn⟩ in input i's `element`: backward and forward
    differences, which disagree at a kink."""
    position = int(np.ravel_multi_index(element, np.shape(xs[i].data))) if element else 0
    left, middle, right = (_shifted_value(fn, xs, i, position, step, cotangents)
                           for step in (-eps, 0.0, eps))
    return (middle - left) / eps, (right - middle) / eps


def _compare(index, node, shapes, checked, analytic, numeric, atol, rtol, slopes):
    check = NodeCheck(index, node, shapes, ok=True)
    worst_excess = -np.inf
    for i, a, n in zip(checked, analytic, numeric, strict=True):
        if n.size == 0:
            continue
        if a is None:  # no gradient reached this input: right only if it has no effect
            if np.all(np.abs(n) <= atol):
                continue
            flat = int(np.argmax(np.abs(n)))
            element = tuple(int(k) for k in np.unravel_index(flat, n.shape))
            check.ok = False
            check.error = max(check.error, float(np.nanmax(np.abs(n))))
            check.mismatches += int((np.abs(n) > atol).sum())
            check.worst = (i, element, None, float(n.flat[flat]), atol)
            worst_excess = np.inf
            continue
        diff = np.abs(a - n)
        tolerance = atol + rtol * np.abs(n)
        both_nan = np.isnan(a) & np.isnan(n)
        check.error = max(check.error, float(np.nanmax(np.where(both_nan, 0.0, diff))))
        mismatch = ~(diff <= tolerance) & ~both_nan
        mismatch &= ~_at_kinks(i, a, mismatch, atol, rtol, slopes, check)
        if not mismatch.any():
            continue
        excess = np.where(mismatch, np.nan_to_num(diff - tolerance, nan=np.inf), -np.inf)
        flat = int(np.argmax(excess))
        if excess.flat[flat] > worst_excess:
            worst_excess = excess.flat[flat]
            element = tuple(int(k) for k in np.unravel_index(flat, a.shape))
            check.worst = (i, element, float(a.flat[flat]), float(n.flat[flat]),
                           float(tolerance.flat[flat]))
        check.ok = False
        check.mismatches += int(mismatch.sum())
    return check


def _at_kinks(i, analytic, mismatch, atol, rtol, slopes, check):
    """The mismatched elements that sit on a kink: their left and right slopes disagree,
    and backward's value lies between them (a one-sided derivative or in between, as
    relu'(0) = 0 does). The first one is noted on `check`."""
    kinks = np.zeros(mismatch.shape, dtype=bool)
    for flat in np.flatnonzero(mismatch):
        element = tuple(int(k) for k in np.unravel_index(flat, mismatch.shape))
        left, right = slopes(i, element)
        a = float(analytic.flat[flat])
        gap = abs(left - right)
        if gap > atol + rtol * max(abs(left), abs(right)) and \
                min(left, right) - atol <= a <= max(left, right) + atol:
            kinks.flat[flat] = True
            if check.kink is None:
                check.kink = (i, element, left, right, a)
    return kinks


def _site(node) -> str:
    site = getattr(node, "site", None)
    return f" (created at {site[0]}:{site[1]})" if site else ""
