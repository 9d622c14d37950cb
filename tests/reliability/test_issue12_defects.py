"""Regression tests for issue 12 (defects found by using tracegrad as its users do), one
or more per item, named after it. Values and gradients that PyTorch also computes are
compared with issue12_references.json (recorded by make_issue12_references.py with torch
2.13), and with a live torch when one is installed."""

from __future__ import annotations

import importlib.util
import json
import pathlib
import warnings

import numpy as np
import pytest

import autograd as ag
import nn
from autograd import Tensor, no_grad

HERE = pathlib.Path(__file__).parent
REFERENCE = json.loads((HERE / "issue12_references.json").read_text())


def leaf(values):
    return Tensor(np.array(values, dtype=np.float64), requires_grad=True)


def silently(fn, *args):
    """fn(*args) with every warning an error: what backward meets on purpose stays quiet."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn(*args)


# tracegrad's side of each recorded case (make_issue12_references.CASES is torch's)
CASES = {
    "pow_tensor_at_zero": lambda t: t["x"] ** t["y"],
    "pow_number_at_zero": lambda t: ag.stack([t["x"][0] ** 0, t["x"][1] ** 0.5,
                                              t["x"][2] ** 1]),
    "bce_target": lambda t: nn.binary_cross_entropy(t["p"], t["t"]),
    "bce_target_sum": lambda t: nn.binary_cross_entropy(t["p"], t["t"], reduction="sum"),
    "bce_with_logits_target": lambda t: nn.binary_cross_entropy_with_logits(t["z"], t["t"]),
    "bce_with_logits_target_none": lambda t: nn.binary_cross_entropy_with_logits(
        t["z"], t["t"], reduction="none"),
    "mse_target": lambda t: nn.mse_loss(t["x"], t["t"]),
    "std_one_element": lambda t: t["x"].std(),
    "std_constant_row": lambda t: t["x"].std(axis=1),
    "std_size_one_axis_ddof0": lambda t: t["x"].std(axis=1),
    "std_ddof1": lambda t: t["x"].std(axis=1, ddof=1),
    "var_ddof_equals_count": lambda t: t["x"].var(axis=1, ddof=1),
    "std_ddof_equals_count": lambda t: t["x"].std(axis=1, ddof=1),
    "sum_0d_axis_minus_1": lambda t: t["x"].sum(-1),
    "mean_0d_axis_minus_1": lambda t: t["x"].mean(-1),
    "max_0d_axis_minus_1": lambda t: t["x"].max(-1),
    "min_0d_axis_minus_1": lambda t: t["x"].min(-1),
    "var_0d_axis_minus_1": lambda t: t["x"].var(-1),
    "std_0d_axis_minus_1": lambda t: t["x"].std(-1),
    "logsumexp_0d_axis_minus_1": lambda t: t["x"].logsumexp(-1),
    "softmax_0d": lambda t: t["x"].softmax(-1),
    "log_softmax_0d": lambda t: t["x"].log_softmax(-1),
    "squeeze_0d_axis_minus_1": lambda t: t["x"].squeeze(-1) * 3,
    "max_with_nan": lambda t: t["x"].max(),
    "logsumexp_row_of_minus_inf": lambda t: t["x"].logsumexp(0),
    "log_softmax_row_of_minus_inf": lambda t: t["x"].log_softmax(0),
}


def run_case(name, inputs):
    """(value, {name: gradient}) from tracegrad, as arrays; numpy's forward warnings for
    ddof >= count are PyTorch's too and not what these cases test."""
    tensors = {k: leaf(v) for k, v in inputs.items()}
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # numpy's forward warnings (0 ** -1, ddof >= N)
        out = CASES[name](tensors)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning from any backward (item 1's class)
        out.sum().backward()
    return out.data, {k: t.grad.data for k, t in tensors.items()}


def assert_matches(name, value, grads, expected):
    np.testing.assert_allclose(value, np.array(expected["value"], dtype=float),
                               rtol=1e-12, atol=1e-12, err_msg=f"{name}: value")
    for k, g in grads.items():
        np.testing.assert_allclose(g, np.array(expected["grads"][k], dtype=float),
                                   rtol=1e-12, atol=1e-12, err_msg=f"{name}: gradient of {k}")


def test_reference_file_was_recorded_with_pytorch_2_13_and_covers_every_case():
    assert REFERENCE["torch_version"].startswith("2.13")
    assert set(REFERENCE["cases"]) == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_issue12_case_matches_recorded_pytorch(name):
    expected = REFERENCE["cases"][name]
    value, grads = run_case(name, expected["inputs"])
    assert_matches(name, value, grads, expected)


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch not installed")
@pytest.mark.parametrize("name", sorted(CASES))
def test_issue12_case_matches_live_pytorch(name):
    spec = importlib.util.spec_from_file_location("make_issue12_references",
                                                  HERE / "make_issue12_references.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    inputs, torch_fn = script.CASES[name]
    value, grads = script.run(inputs, torch_fn)
    assert_matches(name, *run_case(name, inputs), {"value": value, "grads": grads})


# -- 1. x ** y at 0 ----------------------------------------------------------------------


def test_pow_zero_to_zero_gradient():
    x, y = leaf([0.0, 2.0]), leaf([0.0, 0.0])
    silently(lambda: (x**y).sum().backward())
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0])  # PyTorch: 0 (x⁰ is flat)
    np.testing.assert_allclose(y.grad.data, [0.0, np.log(2.0)])


def test_pow_zero_to_zero_second_derivative_is_finite_away_from_the_corner():
    # The corner's where must not change x^y's mixed derivative where only y is 0:
    # ∂²(x^y)/∂x∂y at y = 0 is 1/x.
    x, y = leaf([2.0]), leaf([0.0])
    (grad_x,) = ag.grad((x**y).sum(), [x], create_graph=True)
    (mixed,) = ag.grad(grad_x.sum(), [y])
    np.testing.assert_allclose(mixed.data, [0.5])
    assert ag.gradgradcheck(lambda a, b: a**b, (Tensor([0.5, 2.0]), Tensor([0.7, -1.3])))


@pytest.mark.parametrize("label, fn, value, expected", [
    ("sqrt at 0", lambda t: t.sqrt(), 0.0, np.inf),
    ("x ** 0.5 at 0", lambda t: t**0.5, 0.0, np.inf),
    ("x ** -1 at 0", lambda t: t**-1.0, 0.0, -np.inf),
    ("x ** y at 0, y = 0.5", lambda t: t ** Tensor(0.5), 0.0, np.inf),
    ("x ** y at x < 0, y = 0.5", lambda t: t ** Tensor(0.5), -1.0, np.nan),
    ("log at 0", lambda t: t.log(), 0.0, np.inf),
    ("1 / x at 0", lambda t: 1.0 / t, 0.0, -np.inf),
])
def test_pow_zero_to_zero_gradient_class_backward_meets_inf_without_warnings(
        label, fn, value, expected):
    """Every backward that divides by x or takes log x at a domain edge: the gradient is
    the formula's inf or nan (PyTorch's), and numpy says nothing from inside backward."""
    x = leaf([value])
    with np.errstate(all="ignore"):  # the forward's own warnings are numpy's business
        out = fn(x)
    silently(out.sum().backward)
    np.testing.assert_array_equal(x.grad.data, [expected], err_msg=label)


# -- 2. targets that require grad ------------------------------------------------------


def test_bce_target_gradient():
    p, t = leaf([0.3, 0.8]), leaf([0.0, 1.0])
    nn.binary_cross_entropy(p, t).backward()
    np.testing.assert_allclose(t.grad.data, [0.4236489301936018, -0.6931471805599454])


def test_bce_with_logits_target_gradient():
    z, t = leaf([-0.5, 1.5]), leaf([0.25, 1.0])
    nn.binary_cross_entropy_with_logits(z, t).backward()
    np.testing.assert_allclose(t.grad.data, [0.25, -0.75])


@pytest.mark.parametrize("loss", [nn.mse_loss, nn.binary_cross_entropy,
                                  nn.binary_cross_entropy_with_logits,
                                  nn.MSELoss(reduction="sum"), nn.BCELoss(reduction="none"),
                                  nn.BCEWithLogitsLoss()])
def test_bce_target_gradient_every_float_loss_differentiates_its_target(loss):
    """The audit: every loss with a float target, as a function and as a Module, gives
    both inputs gradients that match finite differences, to second order."""
    p = Tensor([[0.2, 0.7], [0.45, 0.9]])
    t = Tensor([[0.1, 0.5], [1.0, 0.3]])
    fn = lambda a, b: loss(a, b)  # noqa: E731
    assert ag.gradcheck(fn, (p, t))
    assert ag.gradgradcheck(fn, (p, t))


def test_bce_target_gradient_constant_targets_still_work_and_clamps_stay_finite():
    p = leaf([0.0, 1.0])
    t = leaf([0.5, 0.5])
    silently(lambda: nn.binary_cross_entropy(p, t).backward())
    # the slope of the clamped loss: log terms are at least -100 (PyTorch gives ±inf here)
    np.testing.assert_allclose(t.grad.data, [50.0, -50.0])
    q = leaf([0.3, 0.8])
    nn.binary_cross_entropy(q, np.array([0.0, 1.0])).backward()
    np.testing.assert_allclose(q.grad.data, [0.7142857142857143, -0.625])


# -- 6. std where the standard deviation is 0 --------------------------------------------


def test_std_gradient_at_zero_deviation():
    x = leaf([3.5])
    silently(lambda: x.std().backward())
    np.testing.assert_array_equal(x.grad.data, [0.0])
    rows = leaf([[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]])
    silently(lambda: rows.std(axis=1).sum().backward())
    assert np.all(np.isfinite(rows.grad.data))
    np.testing.assert_array_equal(rows.grad.data[0], [0.0, 0.0, 0.0])
    column = leaf([[1.0], [2.0]])
    silently(lambda: column.std(axis=1).sum().backward())
    np.testing.assert_array_equal(column.grad.data, [[0.0], [0.0]])


def test_std_gradient_at_zero_deviation_is_one_operator_with_a_finite_second_derivative():
    x = leaf([3.5, 3.5])
    out = x.std()
    assert out.grad_fn.op.name == "std"
    (g,) = ag.grad(out, [x], create_graph=True)
    (h,) = silently(lambda: ag.grad(g.sum(), [x], allow_unused=True, materialize_grads=True))
    assert np.all(np.isfinite(h.data))
    assert ag.gradgradcheck(lambda t: t.std(axis=0, ddof=1), (Tensor([[1.0, 2.0], [3.0, 5.0]]),))


# -- 8. var/std with count − ddof <= 0 ---------------------------------------------------


@pytest.mark.parametrize("method", ["var", "std"])
@pytest.mark.parametrize("ddof", [1, 2])
def test_var_ddof_exceeds_count_gradient_nan(method, ddof):
    x = leaf([[1.0], [2.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numpy's forward warning (PyTorch warns too)
        out = getattr(x, method)(axis=1, ddof=ddof)
    silently(out.sum().backward)  # was ZeroDivisionError
    assert x.grad.shape == (2, 1) and np.all(np.isnan(x.grad.data))


# -- 9. axis=-1 on a 0-d tensor --------------------------------------------------------


@pytest.mark.parametrize("method", ["sum", "mean", "max", "min", "var", "std", "logsumexp",
                                    "squeeze", "softmax", "log_softmax"])
@pytest.mark.parametrize("axis", [-1, 0])
def test_negative_axis_on_0d(method, axis):
    x = Tensor(2.0, requires_grad=True)
    out = getattr(x, method)(axis)
    assert out.shape == ()
    out.backward()
    assert x.grad.shape == ()
    with pytest.raises(ValueError, match=rf"{method}: axis 1 is out of range .* valid axes "
                                         r"are -1 to 0"):
        getattr(x, method)(1)


def test_negative_axis_on_0d_functions_and_swapaxes():
    x = Tensor(2.0, requires_grad=True)
    for fn in (ag.softmax, ag.log_softmax, ag.logsumexp, ag.squeeze):
        assert fn(x, -1).shape == ()
    assert ag.swapaxes(x, 0, -1).shape == ()
    assert nn.Softmax(axis=-1)(x).item() == 1.0


# -- 10. arange with a zero step -------------------------------------------------------


def test_arange_zero_step():
    with pytest.raises(ValueError, match="arange: step must be nonzero"):
        ag.arange(0, 10, 0)
    with pytest.raises(ValueError, match="arange: step must be a finite number"):
        ag.arange(0, 10, float("nan"))
    with pytest.raises(ValueError, match="arange: stop must be a finite number"):
        ag.arange(0, float("inf"))
    np.testing.assert_array_equal(ag.arange(3).data, [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(ag.arange(1, 2, 0.25).data, [1.0, 1.25, 1.5, 1.75])


@pytest.mark.parametrize("factory, args", [
    (ag.zeros, (2, -1)), (ag.ones, ((-3,),)), (ag.full, ((2, -1), 0.0)),
    (ag.randn, (-1,)), (ag.rand, (-2, 2)),
])
def test_arange_zero_step_class_factories_name_themselves(factory, args):
    with pytest.raises(ValueError, match=rf"^{factory.__name__}: sizes must be >= 0"):
        factory(*args)


# -- 3. integer tensors and requires_grad ----------------------------------------------


def test_integer_tensor_refuses_requires_grad():
    with pytest.raises(TypeError, match="requires_grad=True needs a floating dtype, got int64"):
        Tensor(np.array([1, 2]), requires_grad=True)
    w = nn.Parameter(Tensor([1.0, 2.0]))
    w.name = "w"
    # was: accepted, and (w * 2.5).sum() then gave the truncated gradient [2, 2]
    with pytest.raises(TypeError, match=r"Tensor.data: tensor 'w' requires grad.*int64.*"
                                        r"astype\(float64\)"):
        w.data = np.array([1, 2])
    assert w.dtype == np.float64
    (w * 2.5).sum().backward()
    np.testing.assert_array_equal(w.grad.data, [2.5, 2.5])


def test_integer_tensor_refuses_requires_grad_but_constants_may_change_dtype():
    labels = Tensor(np.array([0.0, 1.0]))
    labels.data = np.array([1, 0])  # no gradient to truncate: allowed
    assert labels.dtype == np.int64
    w = nn.Parameter(Tensor([1.0, 2.0]))
    w.data = np.array([3.0, 4.0], dtype=np.float32)  # another float dtype: PyTorch allows it
    (w * 2.5).sum().backward()
    assert w.grad.dtype == np.float32
    for factory in (lambda: ag.arange(3, dtype=np.int64, requires_grad=True),
                    lambda: Tensor(np.array([True]), requires_grad=True),
                    lambda: Tensor(np.array([1, 2])).requires_grad_()):
        with pytest.raises(TypeError, match="floating dtype"):
            factory()


# -- 4. in-place writes after a forward pass --------------------------------------------


class _Affine(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(Tensor([1.0, 2.0]))

    def forward(self, x):
        return (self.weight * x).sum()


def test_data_write_after_forward_advice_is_checked_at_backward():
    model = _Affine()
    with pytest.raises(TypeError) as caught:
        model.weight = Tensor([0.0, 0.0])
    advice = str(caught.value)
    assert ".data[" not in advice and "self.weight[...] = value" in advice
    # following the advice after a forward pass: backward refuses, naming the tensor
    x = Tensor([3.0, 4.0])
    loss = model(x * x)
    with no_grad():
        model.weight[...] = np.array([5.0, 6.0])
    with pytest.raises(RuntimeError, match=r"tensor 'weight' .* modified in place"):
        loss.backward()
    # so does assigning a new array
    loss = model(Tensor([1.0, 1.0]).exp() * model.weight)
    model.weight.data = np.array([0.0, 0.0])
    with pytest.raises(RuntimeError, match=r"tensor 'weight' .* modified in place"):
        loss.backward()


def test_data_write_after_forward_raw_numpy_writes_are_documented_as_unchecked():
    """Writing into the ndarray itself cannot be seen (it has no version counter): every
    place that hands it out says so and shows the checked way."""
    for doc in (Tensor.data.__doc__, Tensor.numpy.__doc__, ag.from_numpy.__doc__):
        words = " ".join(doc.split()).lower()
        assert "not checked" in words or "unchecked" in words, doc
    assert "with no_grad(): t[...] = v" in Tensor.data.__doc__
    design = (HERE.parents[1] / "docs" / "design.md").read_text()
    assert "`with no_grad(): w[...] = v`" in design
    docs = [HERE.parents[1] / "README.md", *(HERE.parents[1] / "docs").glob("*.md")]
    for path in docs:
        for line in path.read_text().splitlines():
            if ".data[...] =" in line:  # never given as advice, only named as unchecked
                assert "not" in line or "unchecked" in line.lower() or "NOT" in line, line


# -- 5. bitwise operators --------------------------------------------------------------


def test_bitwise_ops_follow_numpy():
    a, b = np.array([1, -8, 6]), np.array([3, 5, -2])
    x, y = Tensor(a), Tensor(b)
    np.testing.assert_array_equal((~x).data, ~a)  # [-2, 7, -7], was [False] * 3
    np.testing.assert_array_equal((x & y).data, a & b)
    np.testing.assert_array_equal((x | y).data, a | b)
    np.testing.assert_array_equal((x ^ y).data, a ^ b)
    np.testing.assert_array_equal((x & 6).data, a & 6)
    np.testing.assert_array_equal((6 | x).data, 6 | a)
    np.testing.assert_array_equal((b ^ x).data, b ^ a)
    np.testing.assert_array_equal(np.invert(x).data, np.invert(a))
    np.testing.assert_array_equal(np.bitwise_and(b, x).data, b & a)


def test_bitwise_ops_follow_numpy_on_masks_and_refuse_floats():
    m, n = np.array([True, False, True]), np.array([True, True, False])
    np.testing.assert_array_equal((~Tensor(m)).data, ~m)
    np.testing.assert_array_equal((Tensor(m) & Tensor(n)).data, m & n)
    np.testing.assert_array_equal((Tensor(m) ^ n).data, m ^ n)
    x = Tensor([0.5, -1.0])
    np.testing.assert_array_equal(((x > 0) | (x < -0.5)).data, [True, True])
    with pytest.raises(TypeError, match=r"&: bitwise operators need integer or bool "
                                        r"tensors, got float64"):
        _ = x & x
    with pytest.raises(TypeError, match=r"~: .* float64"):
        _ = ~x


# -- 7. lists of tensors where a tensor is expected -------------------------------------


def test_list_of_tensors_keeps_graph():
    x = leaf([1.0, 2.0])
    m = ag.mean([x, x + 2])  # was a constant 2.5: the gradient was lost without a word
    assert m.requires_grad and m.item() == 2.5
    m.backward()
    np.testing.assert_allclose(x.grad.data, [0.5, 0.5])
    t, u = leaf([1.0, 2.0]), Tensor([3.0])
    joined = np.concatenate([t, u])  # was a plain ndarray
    assert isinstance(joined, Tensor) and joined.grad_fn.op.name == "concatenate"
    (joined * Tensor([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(t.grad.data, [1.0, 2.0])


def test_list_of_tensors_keeps_graph_everywhere_a_tensor_is_expected():
    y = leaf(1.0)
    (Tensor([1.0, 1.0]) * [y, y * 2]).sum().backward()  # an operand
    assert y.grad.item() == 3.0
    z = leaf(2.0)
    ag.exp([[z, 1.0], [0.0, z]]).sum().backward()  # nested, with numbers
    np.testing.assert_allclose(z.grad.data, 2 * np.exp(2.0))
    s = leaf([1.0, 2.0])
    np.stack([s, s]).sum().backward()
    np.sum(s * 2).backward()
    np.testing.assert_array_equal(s.grad.data, [4.0, 4.0])
    with pytest.raises(TypeError, match=r"Tensor: the list holds tensors that require grad.*"
                                        r"autograd.stack"):
        Tensor([y, y])
    with pytest.raises(TypeError, match="cannot stack a Scalar"):
        ag.mean([ag.Scalar(1.0), ag.Scalar(2.0)])


def test_list_of_tensors_keeps_graph_other_numpy_functions_refuse_to_drop_gradients():
    t = leaf([3.0, 4.0])
    with pytest.raises(TypeError, match=r"np.linalg.norm is not differentiable"):
        np.linalg.norm(t)
    with pytest.raises(TypeError, match=r"np.sum on Tensors runs autograd.sum, which does "
                                        r"not take dtype"):
        np.sum(t, dtype=np.float32)
    # results that carry no gradient, and tensors without one, keep working
    assert np.allclose(t, [3.0, 4.0]) and np.argmax(t) == 1
    assert np.linalg.norm(t.detach()) == 5.0
    assert np.asarray(t).tolist() == [3.0, 4.0]


# -- 17, 18, 19. checks that mislead -----------------------------------------------------


class _WrongSquare(ag.Operator):
    """out = x²; backward says 3x (wrong on purpose)."""

    name = "wrong_square"

    @staticmethod
    def forward(ctx, x):
        ctx.save(x)
        return x * x

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return grad_out * 3 * x


def test_gradcheck_failure_names_the_function():
    def network(t):
        return _WrongSquare.apply(t.tanh()).sum()

    with pytest.raises(ag.GradcheckError) as caught:
        ag.gradcheck(network, (Tensor([0.5, -1.0, 2.0]),))
    message = str(caught.value)
    # was "sum: input 0 ...": the last operator, which is right
    assert message.startswith("the function 'network': input 0 (shape (3,))")
    assert "check_graph" in message and "sum:" not in message
    with pytest.raises(ag.GradcheckError, match=r"^the function: input 0"):
        ag.gradcheck(lambda t: _WrongSquare.apply(t).sum(), (Tensor([0.5, 2.0]),))
    class FlatBackward(ag.Operator):  # right first derivative, whose own slope is lost
        name = "flat_backward"

        @staticmethod
        def forward(ctx, x):
            ctx.save(x)
            return x * x

        @staticmethod
        def backward(ctx, grad_out):
            (x,) = ctx.saved
            return grad_out * (2 * x if isinstance(x, np.ndarray) else Tensor(2 * x.data))

    def second(t):
        return FlatBackward.apply(t.tanh()).sum()

    with pytest.raises(ag.GradcheckError, match=r"^the function 'second' \(second derivative\)"):
        ag.gradgradcheck(second, (Tensor([0.5, -1.0, 2.0]),))
    # an operator checked on its own is named as before
    with pytest.raises(ag.GradcheckError, match=r"^wrong_square: input 0"):
        ag.gradcheck(_WrongSquare.apply, (Tensor([0.5, 2.0]),))


def test_gradcheck_reports_missing_gradient():
    def escapes_the_graph(t):  # numpy on .data: the result is a constant
        return Tensor(np.sin(t.data))

    with pytest.raises(ag.GradcheckError) as caught:
        ag.gradcheck(escapes_the_graph, (Tensor([0.5, 2.0]),))
    message = str(caught.value)
    assert "analytic 0" not in message  # the old words: 0 is not what it got
    assert "no gradient reached this input" in message and "but numeric" in message
    with pytest.raises(ag.GradcheckError, match=r"input 1 (?s:.)*no gradient reached this input"):
        ag.gradcheck(lambda a, b: a * Tensor(b.data), (Tensor([1.0, 2.0]), Tensor([3.0, 4.0])))
    # an input the outputs truly do not depend on is fine
    assert ag.gradcheck(lambda a, b: a * 2.0, (Tensor([1.0]), Tensor([3.0])))


def test_gradcheck_reports_missing_gradient_in_check_graph():
    class Forgets(ag.Operator):
        name = "forgets_y"

        @staticmethod
        def forward(ctx, x, y):
            ctx.save(y)
            return x * y

        @staticmethod
        def backward(ctx, grad_out):
            (y,) = ctx.saved
            return grad_out * y, None  # y's gradient forgotten

    report = ag.check_graph(lambda a, b: Forgets.apply(a, b).sum(), Tensor([2.0]),
                            Tensor([3.0]), raise_exception=False)
    assert [c.result for c in report.checks] == ["WRONG", "ok"]
    assert "input 1, worst element [0]: no gradient reached this input (backward returned " \
           "None for it), but numeric" in report.first_failure.describe()


def test_check_graph_relu_kink_is_not_wrong():
    x = Tensor([[0.0, 1.0], [-1.0, 2.0]], requires_grad=True)
    report = ag.check_graph(lambda t: (t.relu() * 2).sum(), x)  # was GraphCheckError
    assert report.ok and [c.result for c in report.checks] == ["kink", "ok", "ok"]
    assert "input 0 element [0, 0] is at a kink" in str(report)
    # a user operator's kink too, and a tie in max
    class MyAbs(ag.Operator):
        name = "my_abs"

        @staticmethod
        def forward(ctx, x):
            ctx.save(x)
            return abs(x)

        @staticmethod
        def backward(ctx, grad_out):
            (x,) = ctx.saved
            return grad_out * ctx.xp.sign(x)

    assert ag.check_graph(lambda t: MyAbs.apply(t).sum() + t.max(), Tensor([0.0, 0.0])).ok


def test_check_graph_relu_kink_is_not_wrong_but_a_wrong_operator_still_is():
    x = Tensor([[0.0, 1.0], [-1.0, 2.0]], requires_grad=True)
    with pytest.raises(ag.GraphCheckError) as caught:
        ag.check_graph(lambda t: _WrongSquare.apply(t.relu()).sum(), x)
    report = caught.value.report
    assert [c.result for c in report.checks] == ["kink", "WRONG", "ok"]
    message = str(caught.value)
    first_line = message.splitlines()[0]
    assert first_line.startswith("#1 'wrong_square'")
    assert message.count(first_line) == 1  # was printed twice


def test_check_graph_relu_kink_is_not_wrong_highlight_of_another_graph_raises():
    pytest.importorskip("graphviz")
    x = Tensor([1.0, -2.0], requires_grad=True)
    first = (x * 2).relu().sum()
    second = (x * 3).tanh().sum()
    ag.viz.forward_graph(first, highlight=first.grad_fn)  # its own node: fine
    with pytest.raises(ValueError, match="viz: highlight=.* is not a node or variable of "
                                         "this graph"):
        ag.viz.forward_graph(second, highlight=first.grad_fn)


# -- 22. autograd.testing needs only runtime dependencies ---------------------------------


def test_testing_importable_with_runtime_deps():
    """Every third-party module that the package imports at module level (autograd.testing
    imports hypothesis) is in [project.dependencies], so `pip install tracegrad` is enough
    for `import autograd.testing`; anything optional must be imported lazily."""
    import ast
    import sys

    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    root = HERE.parents[1]
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    declared = {dep.split(">")[0].split("=")[0].split("[")[0].split("<")[0].strip().lower()
                for dep in project["dependencies"]}
    packages = {"autograd", "nn", "optim"}
    imported = {}
    for path in sorted(p for package in packages for p in (root / package).rglob("*.py")):
        for node in ast.parse(path.read_text()).body:
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and not node.level else [])
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in packages:
                    imported.setdefault(top, path.relative_to(root).as_posix())
    assert "hypothesis" in imported  # autograd.testing's own import, the case at hand
    # export (issue 19): the package an optional extra exists for may import it at module
    # level (`import autograd.export` then names the extra); nothing else may
    extras = project["optional-dependencies"]
    owners = {"autograd/export/": "export"}
    missing = {module: where for module, where in imported.items() if module not in declared
               and not any(where.startswith(folder) and module in {
                   dep.split(">")[0].split("=")[0].strip().lower() for dep in extras[extra]}
                   for folder, extra in owners.items())}
    assert not missing, f"imported at module level but not a runtime dependency: {missing}"


def test_list_of_tensors_keeps_graph_as_a_loss_target():
    x, a, b = leaf([0.5, 1.5]), leaf(1.0), leaf(2.0)
    nn.mse_loss(x, [a, b]).backward()  # was: the list became a constant
    assert a.grad.item() == pytest.approx(0.5) and b.grad.item() == pytest.approx(0.5)


def test_integer_tensor_refuses_requires_grad_set_by_assignment():
    """requires_grad assigned past the constructor (or Module.requires_grad_) is caught
    when a gradient would be truncated, in backward and in grad()."""
    t = Tensor(np.array([1, 2]), name="counts")
    t.requires_grad = True
    with pytest.raises(TypeError, match=r"backward: leaf 'counts': requires_grad=True needs "
                                        r"a floating dtype, got int64"):
        (t * 2.5).sum().backward()
    with pytest.raises(TypeError, match=r"grad: input 'counts': .* floating dtype"):
        ag.grad((t * 2.5).sum(), [t])


@pytest.mark.parametrize("path", ["init", "load_state_dict", "sgd", "adamw", "zero_"])
def test_data_write_after_forward_every_library_in_place_path_is_checked(path):
    """The library's own in-place writes (initialisers, load_state_dict, optimiser steps,
    zero_) go through the version counter, so a backward after them refuses."""
    import optim

    model = _Affine()
    loss = model(Tensor([1.0, 2.0]).exp())
    with no_grad():
        if path == "init":
            nn.init.normal_(model.weight)
        elif path == "load_state_dict":
            model.load_state_dict({"weight": np.array([0.0, 1.0])})
        elif path == "zero_":
            model.weight.zero_()
        else:
            model.weight.grad = Tensor([1.0, 1.0])
            opt = (optim.SGD(model.parameters(), lr=0.1) if path == "sgd"
                   else optim.AdamW(model.parameters(), lr=0.1, weight_decay=0.1))
            opt.step()
    with pytest.raises(RuntimeError, match=r"tensor 'weight' .* modified in place"):
        loss.backward()


def test_list_of_tensors_keeps_graph_numpy_ufuncs_never_drop_gradients_silently():
    t, u = leaf([1.0, 2.0]), Tensor([0.5, 3.0])
    assert np.exp(t).grad_fn.op.name == "exp"  # tracegrad's operator
    # np.spacing: a ufunc without an operator (np.arctan and // have one since issue 15)
    for call, name in ((lambda: np.spacing(t), r"np.spacing"),
                       (lambda: np.add.reduce(t), r"np.add.reduce"),
                       (lambda: np.heaviside(t, 0.5), r"np.heaviside")):
        with pytest.raises(TypeError, match=rf"^{name} is not differentiable in tracegrad"):
            call()
    np.testing.assert_allclose(np.sin(u), np.sin([0.5, 3.0]))  # no gradient to lose
    assert np.add.reduce(u) == 3.5
