"""Scalar: a single Python float that records the operators applied to it (micrograd's
Value), for teaching neurons one weight at a time.

It shares the operators, the graph walk and backward with Tensor, but its data is a plain
float and its math is Python's `math` module: no numpy on the hot path.
"""

from __future__ import annotations

from .anomaly import check_forward
from .backprop import backward_method
from .engine import (
    DiscardingContext,
    Node,
    ctx_attribute_error,
    is_ctx_attribute_error,
    new_node,
    next_sequence,
)
from .grad_mode import _open_anywhere, _state
from .hooks import register_hook, retain_grad
from .ops import arithmetic as ar
from .ops import elementwise as el
from .scopes import open_anywhere as _scopes
from .scopes import this_thread as _scope_here
from .variable import Variable
from .xp import GraphXP, MathXP


class ScalarNode(Node):
    __slots__ = ()
    xp = MathXP


_NO_GRAD_CTX = DiscardingContext(MathXP)
_new = object.__new__


def _make(data, node):
    result = _new(Scalar)
    result.data = data
    result.grad = None
    result.requires_grad = node is not None
    result.grad_fn = node
    result.name = None
    result._hooks = None
    return result


def _constant(value, op_name):
    if type(value) is float:  # the common case first: y * 1.0001
        return _make(value, None)
    if isinstance(value, (int, float)):
        return _make(float(value), None)
    if isinstance(value, Variable):
        raise TypeError(
            f"{op_name}: cannot combine {type(value).__name__} and Scalar in one operator; "
            "use Scalar(t.item()) or Tensor(s.data)"
        )
    if getattr(value, "shape", None) == () and hasattr(value, "__float__"):
        return _make(float(value), None)  # a numpy scalar or 0-d array
    raise TypeError(f"{op_name}: unsupported operand for Scalar: {type(value).__name__}")


def _note_output(node, out):
    for i, value in enumerate(node.saved):
        if value is out:
            node.out_pos = i
            return


def _unary(op, x):
    """Scalar's method for a one-input operator (exp, tanh, relu, ...)."""
    if x.requires_grad and (not _open_anywhere.grad_mode or _state.grad_enabled):
        node = new_node(ScalarNode, op, (x,), None)
        out = op.forward(node, x.data)
        saved = node.saved
        if saved and saved[0] is out:
            node.out_pos = 0
        if _open_anywhere.anomaly and _state.anomaly_enabled:
            check_forward(op, out, (x,), node)
        return _make(out, node)
    return _make(op.forward(_NO_GRAD_CTX, x.data), None)


def _binary_operator(op, reflected=False):
    """Scalar's method for x op y (or y op x when reflected) with one of the four arithmetic
    operators, none of which saves its output (so there is no out_pos to find). Python
    numbers become constant Scalars. One closure per method, so that `a * b` runs a single
    Python frame before the operator's own forward."""
    name = op.name
    forward = op.forward

    def method(self, other):
        if type(other) is not Scalar:
            other = _constant(other, name)
        x, y = (other, self) if reflected else (self, other)
        record = ((x.requires_grad or y.requires_grad)
                  and (not _open_anywhere.grad_mode or _state.grad_enabled))
        # engine.new_node and _make written inline: this method is the hot path of every
        # Scalar expression (65,000 calls per W1 step), where the two calls cost 13 % of
        # W4's forward (benchmarks/README.md). test_backward_walk keeps the nodes equal.
        if record:
            ctx = _new(ScalarNode)
            ctx.op = op
            ctx.inputs = (x, y)
            ctx.params = None
            ctx.saved = ()
            ctx.out_pos = -1
            ctx.hooks = None
            ctx.versions = None
            ctx.consumers = 0
            ctx.sequence = next_sequence()
            if _scopes.threads:
                ctx.scope = _scope_here.current
            producer = x.grad_fn
            if producer is not None:
                producer.consumers += 1
            producer = y.grad_fn
            if producer is not None:
                producer.consumers += 1
        else:
            ctx = _NO_GRAD_CTX
        try:
            out = forward(ctx, x.data, y.data)
        except ZeroDivisionError as error:
            raise _division_error(op, error, y) from error
        if not record:
            ctx = None
        elif _open_anywhere.anomaly and _state.anomaly_enabled:
            check_forward(op, out, (x, y), ctx)
        result = _new(Scalar)
        result.data = out
        result.grad = None
        result.requires_grad = record
        result.grad_fn = ctx
        result.name = None
        result._hooks = None
        return result

    method.__name__ = f"__{'r' if reflected else ''}{name}__"
    method.__doc__ = op.__doc__
    return method


def _division_error(op, error, divisor):
    return ZeroDivisionError(
        f"{op.name}: {error} (divisor {divisor.data!r}); Scalar follows Python float "
        "arithmetic, use Tensor for IEEE inf/nan results"
    )


class Scalar(Variable):
    """A differentiable Python float: Scalar(2.0, name="a").

    Leaves require grad by default (as micrograd's Values do); numbers mixed into an
    expression are constants. After backward, a leaf's .grad is a float.
    """

    __slots__ = ("data", "grad")

    def __init__(self, data, name=None, requires_grad=True, *, label=None):
        if label is not None:  # micrograd's Value(..., label="a")
            if name is not None:
                raise TypeError("Scalar: got both name and label (micrograd's name for it); "
                                "pass one")
            name = label
        if type(data) is Scalar:
            data = data.data
        try:
            data = float(data)
        except (TypeError, ValueError) as error:
            raise TypeError(
                f"Scalar: expected a real number, got {type(data).__name__} {data!r}"
            ) from error
        self.data = data
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self.grad_fn = None
        self.name = name
        self._hooks = None

    # -- the engine's hooks ---------------------------------------------------------

    @staticmethod
    def _apply(op, inputs, params):
        """General path (custom operators, operators with parameters)."""
        variables = tuple(v if type(v) is Scalar else _constant(v, op.name) for v in inputs)
        record = _state.grad_enabled and any(v.requires_grad for v in variables)
        ctx = new_node(ScalarNode, op, variables, params) if record else _NO_GRAD_CTX
        try:
            out = op.forward(ctx, *[v.data for v in variables], **params)
        except AttributeError as error:
            if not is_ctx_attribute_error(error, ctx):
                raise
            raise ctx_attribute_error(op, error, "forward") from None
        if not record:
            return _make(out, None)
        if ctx.saved:
            _note_output(ctx, out)
        if _open_anywhere.anomaly and _state.anomaly_enabled:
            check_forward(op, out, variables, ctx)
        return _make(out, ctx)

    _fit_grad = None  # no broadcasting: a Scalar's gradient is already the right shape
    _plain_accumulate = True  # a leaf's gradient is a float: grad = grad + g
    _graph_xp = GraphXP(MathXP)

    @staticmethod
    def _from_node(value, node):
        return _make(value, node)

    @staticmethod
    def _seed(output, grad, create_graph, caller):
        if grad is None:
            grad = 1.0
        if create_graph:
            return grad if type(grad) is Scalar else Scalar(grad, requires_grad=False)
        return grad.data if type(grad) is Scalar else float(grad)

    @staticmethod
    def _zeros_like(x):
        return 0.0

    @staticmethod
    def _wrap_grad(grad, x, create_graph):
        if create_graph:
            return grad if type(grad) is Scalar else Scalar(grad, requires_grad=False)
        return grad.data if type(grad) is Scalar else float(grad)

    @staticmethod
    def _as_hook_value(raw):
        return raw  # a Scalar's hooks see floats

    def _accumulate(self, grad, create_graph, fresh=False):
        if not create_graph and type(grad) is Scalar:
            grad = grad.data
        self.grad = grad if self.grad is None else self.grad + grad

    # -- arithmetic -----------------------------------------------------------------

    __add__ = _binary_operator(ar.Add)
    __radd__ = _binary_operator(ar.Add, reflected=True)  # other + self
    __sub__ = _binary_operator(ar.Sub)
    __rsub__ = _binary_operator(ar.Sub, reflected=True)
    __mul__ = _binary_operator(ar.Mul)
    __rmul__ = _binary_operator(ar.Mul, reflected=True)
    __truediv__ = _binary_operator(ar.Div)
    __rtruediv__ = _binary_operator(ar.Div, reflected=True)

    def __pow__(self, exponent):
        if not isinstance(exponent, (int, float)) or isinstance(exponent, bool):
            raise TypeError(
                f"pow: a Scalar's exponent must be a number, got {type(exponent).__name__}; "
                "for a variable exponent write (y * x.log()).exp()"
            )
        return Scalar._apply(ar.Pow, (self,), {"exponent": exponent})

    def __neg__(self):
        return _unary(ar.Neg, self)

    def exp(self):
        return _unary(el.Exp, self)

    def log(self):
        return _unary(el.Log, self)

    def tanh(self):
        return _unary(el.Tanh, self)

    def sigmoid(self):
        return _unary(el.Sigmoid, self)

    def relu(self):
        return _unary(el.Relu, self)

    exp.__doc__, log.__doc__, tanh.__doc__ = el.Exp.__doc__, el.Log.__doc__, el.Tanh.__doc__
    sigmoid.__doc__, relu.__doc__ = el.Sigmoid.__doc__, el.Relu.__doc__

    # comparisons compare values (for conditions in formulas and in user code); equality
    # stays identity so Scalars can be dict keys and set members.
    def __lt__(self, other):
        return self.data < _value(other)

    def __le__(self, other):
        return self.data <= _value(other)

    def __gt__(self, other):
        return self.data > _value(other)

    def __ge__(self, other):
        return self.data >= _value(other)

    __hash__ = object.__hash__

    def __float__(self):
        return self.data

    def item(self) -> float:
        return self.data

    # -- backward -------------------------------------------------------------------

    backward = backward_method
    retain_grad = retain_grad
    register_hook = register_hook

    def detach(self) -> Scalar:
        return Scalar(self.data, requires_grad=False)

    def __repr__(self):
        parts = [repr(self.data)]
        if self.name:
            parts.append(f"name={self.name!r}")
        if self.grad_fn is not None:
            parts.append(f"grad_fn=<{self.grad_fn.op.name}>")
        if self.grad is not None:
            parts.append(f"grad={self.grad!r}")
        return f"Scalar({', '.join(parts)})"


def _value(other):
    return other.data if type(other) is Scalar else other
