"""detect_anomaly: the first operator that makes a NaN or an inf, in forward or backward,
named together with the line of the user's code that created it."""

import threading

import numpy as np
import pytest

import autograd
from autograd import Scalar, Tensor, detect_anomaly, log, sqrt, where
from autograd.anomaly import is_anomaly_enabled
from autograd.grad_mode import _state

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy's log(0) etc.

HERE = __file__


def line_of(marker):
    """The number of the line in this file that carries `marker` in a comment."""
    with open(HERE, encoding="utf-8") as source:
        lines = source.read().splitlines()
    return next(n for n, text in enumerate(lines, 1) if text.endswith(f"# {marker}"))


def leaf(values):
    return Tensor(values, requires_grad=True)


# -- forward ----------------------------------------------------------------------------


def test_forward_raises_at_the_operator_that_makes_nan_naming_it_and_the_line():
    x = leaf([1.0, -1.0])
    with detect_anomaly(), pytest.raises(FloatingPointError) as caught:
        y = x * 2
        z = y.log()  # MARK-forward-log
        z.exp()
    message = str(caught.value)
    assert "operator 'log'" in message and "nan" in message
    assert f"{HERE}:{line_of('MARK-forward-log')}" in message
    assert "z = y.log()" in message  # the source line itself


def test_forward_names_the_first_bad_operator_not_the_ones_it_poisons():
    x = leaf([0.0, 4.0])
    with detect_anomaly(), pytest.raises(FloatingPointError, match="operator 'log'"):
        (x.log() * 3 + 1).exp()


def test_forward_reports_inf_as_inf():
    with detect_anomaly(), pytest.raises(FloatingPointError, match=r"'exp'.* inf "):
        leaf([1000.0]).exp()


def test_forward_says_when_an_input_was_already_non_finite():
    with detect_anomaly(), pytest.raises(FloatingPointError, match="input 0 was already"):
        leaf([np.nan]) * 2


def test_forward_checks_scalar_operators_too():
    a = Scalar(-1.0)
    with detect_anomaly(), pytest.raises(FloatingPointError, match="operator 'log'"):
        (a * 2).log()


def test_site_skips_tracegrads_own_frames():
    # autograd.log → Tensor.log → Operator.apply → Tensor._apply: all inside the package.
    with detect_anomaly(), pytest.raises(FloatingPointError) as caught:
        autograd.log(leaf([-1.0]))  # MARK-functional-log
    assert f"{HERE}:{line_of('MARK-functional-log')}" in str(caught.value)
    assert "functional.py" not in str(caught.value)


def test_without_anomaly_mode_nan_passes_silently():
    x = leaf([-1.0])
    y = x.log()
    assert np.isnan(y.data).all()


# -- backward ---------------------------------------------------------------------------


def test_backward_names_log_in_the_where_trap():
    # where(x > 0, log(x), 0) at x = 0: forward is finite, but log's backward computes
    # 0 / 0 = nan. forward=False, because log(0) = -inf is intended and masked here.
    x = leaf([0.0, 1.0, 2.0])
    with detect_anomaly(forward=False), pytest.raises(FloatingPointError) as caught:
        y = where(x > 0, log(x), 0.0)  # MARK-where-trap
        y.sum().backward()
    message = str(caught.value)
    assert "backward of operator 'log'" in message
    assert "nan in the gradient for input 0 (shape (3,))" in message
    assert f"{HERE}:{line_of('MARK-where-trap')}" in message
    assert "where-trap" in message


def test_where_trap_gives_nan_gradient_without_anomaly_mode():
    x = leaf([0.0, 1.0])
    where(x > 0, log(x), 0.0).sum().backward()
    assert np.isnan(x.grad.data[0])


def test_default_mode_stops_the_where_trap_at_logs_forward():
    x = leaf([0.0, 1.0])
    with detect_anomaly(), pytest.raises(FloatingPointError, match=r"'log'.*-inf.*forward"):
        where(x > 0, log(x), 0.0)


def test_backward_names_the_first_operator_whose_gradient_is_not_finite():
    x = leaf([0.0, 1.0])
    with detect_anomaly(), pytest.raises(FloatingPointError) as caught:
        (sqrt(x) * 0).sum().backward()  # sqrt'(0) = inf, and 0 · inf = nan
    assert "backward of operator 'sqrt'" in str(caught.value)


def test_backward_says_when_the_incoming_gradient_was_already_bad():
    x = leaf([1.0, 2.0])
    with detect_anomaly(), pytest.raises(FloatingPointError, match="already held nan"):
        (x * 2).backward(Tensor([np.nan, 1.0]))


def test_backward_of_a_graph_built_outside_the_context_says_the_site_is_unknown():
    x = leaf([0.0])
    y = (sqrt(x) * 0).sum()
    with detect_anomaly(), pytest.raises(FloatingPointError, match="created outside"):
        y.backward()


def test_backward_checks_under_create_graph():
    # Under create_graph the backward formulas record operators (sqrt's: a div), which
    # the forward check sees first; the message still names sqrt and its line.
    for forward, expected in ((True, "recorded by the backward of operator 'sqrt'"),
                              (False, "the backward of operator 'sqrt'")):
        x = leaf([0.0])
        with detect_anomaly(forward=forward), pytest.raises(FloatingPointError) as caught:
            y = (sqrt(x) * 0).sum()  # MARK-create-graph
            autograd.grad(y, x, create_graph=True)
        assert expected in str(caught.value)
        assert f"{HERE}:{line_of('MARK-create-graph')}" in str(caught.value)


def test_gradient_of_a_constant_input_is_not_flagged():
    # mul's backward also computes a gradient for the constant 2 (grad · w = inf); the
    # engine throws it away, so it is no anomaly. w's own gradient (2) is finite.
    w = leaf([np.inf])
    with detect_anomaly(forward=False):
        (w * 2).sum().backward()
    assert w.grad.item() == 2.0


def test_backward_checks_scalar_graphs():
    a = Scalar(1000.0)  # exp(1000) = inf, and exp's backward computes 0 · inf = nan
    with detect_anomaly(forward=False), pytest.raises(FloatingPointError, match="'exp'"):
        (a.exp() * 0).backward()


def test_finite_computation_passes_and_gives_the_usual_gradient():
    x = leaf([1.0, 2.0])
    with detect_anomaly():
        (x.log() * x).sum().backward()
    np.testing.assert_allclose(x.grad.data, np.log([1.0, 2.0]) + 1)


def test_integer_results_are_not_checked():
    with detect_anomaly():
        Tensor(np.array([1, 2])) * 3  # no float, nothing to flag


# -- cost and state -------------------------------------------------------------------


def test_creation_site_is_recorded_only_in_anomaly_mode():
    x = leaf([1.0])
    y = x * 2
    assert getattr(y.grad_fn, "site", None) is None
    with detect_anomaly():
        z = x * 2  # MARK-site
    assert z.grad_fn.site[:2] == (HERE, line_of("MARK-site"))


def test_the_context_restores_the_previous_state_even_after_an_error():
    assert not is_anomaly_enabled()
    with pytest.raises(FloatingPointError):
        with detect_anomaly():
            with detect_anomaly(forward=False):
                leaf([-1.0]).log()  # inner context: not checked in forward
            assert is_anomaly_enabled()
            leaf([-1.0]).log()  # outer context: checked again
    assert not is_anomaly_enabled()


def test_detect_anomaly_works_as_a_decorator():
    @detect_anomaly()
    def bad():
        return leaf([-1.0]).log()

    with pytest.raises(FloatingPointError):
        bad()
    assert not is_anomaly_enabled()


def test_anomaly_mode_is_thread_local():
    seen = []
    inside, done = threading.Event(), threading.Event()

    def other_thread():
        inside.wait()
        seen.append(_state.anomaly_enabled)
        leaf([-1.0]).log()  # must not raise here
        done.set()

    thread = threading.Thread(target=other_thread)
    thread.start()
    with detect_anomaly():
        inside.set()
        done.wait(5)
    thread.join()
    assert seen == [False]
