"""RELIABILITY §4 E: graph semantics — released graphs, retain_graph, create_graph, unused
and duplicate inputs, fan-out, no_grad results, detach, Scalar/Tensor mixing, interrupts.
(E4, E8 and E12, about freeing memory, are in test_checklist_memory.py.)"""

import time

import numpy as np
import pytest

import autograd as ag
from autograd import Scalar, Tensor


def leaf(values, name=None):
    return Tensor(np.asarray(values, dtype=np.float64), requires_grad=True, name=name)


class CountingIdentity(ag.Operator):
    """out = x; counts how often its backward runs."""

    name = "counting_identity"
    backward_calls = 0

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, grad_out):
        CountingIdentity.backward_calls += 1
        return grad_out


def test_E1_backward_twice_names_the_first_freed_operator_and_retain_graph():
    x = leaf([1.0, 2.0])
    y = (x.exp() * x).sum()  # backward visits sum (saves nothing), then mul
    y.backward()
    with pytest.raises(RuntimeError) as info:
        y.backward()
    message = str(info.value)
    assert message.startswith("backward: the values 'mul' saved for backward were already "
                              "freed by an earlier backward() or grad()")
    assert "retain_graph=True" in message


def test_E1_grad_frees_the_graph_too():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    ag.grad(y, x)
    with pytest.raises(RuntimeError, match="'mul'.*retain_graph=True"):
        y.backward()


def test_E2_retain_graph_allows_a_second_backward_and_leaf_grads_accumulate():
    x = leaf(3.0)
    y = x * x
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.item() == 12.0  # 6 + 6 (torch: x*x at 2 twice gives 8)


def test_E3_create_graph_gives_differentiable_gradients_to_third_order():
    x = leaf(2.0)
    (d1,) = ag.grad(x**3, x, create_graph=True)
    (d2,) = ag.grad(d1, x, create_graph=True)
    (d3,) = ag.grad(d2, x)
    assert d1.grad_fn is not None and d2.grad_fn is not None
    assert (d1.item(), d2.item(), d3.item()) == (12.0, 12.0, 6.0)


def test_E3_gradgradcheck_on_a_composite_of_several_operators():
    x = leaf(np.random.default_rng(3).uniform(0.5, 2.0, size=(2, 3)))

    def f(t):
        return (t.log() * t.tanh() + t.sigmoid() ** 2).softmax(axis=1) @ t.T

    assert ag.gradgradcheck(f, (x,))


def test_E5_an_unused_leaf_keeps_grad_none_after_backward():
    used, unused = leaf([1.0]), leaf([2.0])
    (used * 2).sum().backward()
    assert unused.grad is None


def test_E5_grad_of_an_unused_input_raises_naming_its_index_and_name():
    used, unused = leaf([1.0]), leaf([2.0], name="bias")
    out = (used * 2).sum()
    with pytest.raises(RuntimeError) as info:
        ag.grad(out, [used, unused], retain_graph=True)
    message = str(info.value)
    assert message.startswith("grad: input 1 'bias' (shape (1,)) was not used")
    assert "allow_unused=True" in message and "materialize_grads=True" in message


def test_E5_allow_unused_gives_none_and_materialize_grads_gives_zeros():
    used, unused = leaf([1.0]), leaf([2.0, 3.0])
    out = (used * 2).sum()
    _, none = ag.grad(out, [used, unused], allow_unused=True, retain_graph=True)
    _, zeros = ag.grad(out, [used, unused], materialize_grads=True)
    assert none is None
    np.testing.assert_array_equal(zeros.data, [0.0, 0.0])


def test_E6_duplicate_inputs_sum_their_contributions():
    x = leaf(3.0)
    (x * x).backward()
    assert x.grad.item() == 6.0
    z = leaf(3.0)
    (z + z).backward()
    assert z.grad.item() == 2.0
    w = leaf(3.0)
    first, second = ag.grad(w * w, [w, w])
    assert first.item() == second.item() == 6.0


def test_E7_a_value_used_ten_thousand_times_gets_one_summed_gradient_and_one_backward():
    CountingIdentity.backward_calls = 0
    x = leaf(1.0)
    h = CountingIdentity.apply(x)
    total = h * 0.0
    for i in range(10_000):
        total = total + h * float(i)
    total.backward()
    assert x.grad.item() == sum(range(10_000))
    assert CountingIdentity.backward_calls == 1


def test_E7_a_diamond_ladder_of_depth_sixty_takes_linear_time():
    x = leaf(1.0)
    y = x
    for _ in range(60):  # 2**60 paths from y back to x
        y = y + y
    start = time.perf_counter()
    y.backward()
    assert time.perf_counter() - start < 1.0
    assert x.grad.item() == 2.0**60


def test_E9_backward_through_a_no_grad_result_says_why_it_has_no_grad_fn():
    x = leaf([1.0, 2.0])
    with ag.no_grad():
        y = (x * 2).sum()
    with pytest.raises(RuntimeError) as info:
        y.backward()
    message = str(info.value)
    assert message.startswith("backward:")
    assert "does not require grad and has no grad_fn" in message
    assert "no_grad()" in message


def test_E10_detach_shares_data_and_the_version_counter():
    x = leaf([1.0, 2.0])
    d = x.detach()
    assert np.shares_memory(d.data, x.data) and d.is_leaf and not d.requires_grad
    y = (x * x).sum()
    d += 1  # in place through the detached alias: x's memory changes
    assert x._version == 1
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


def test_E10_copy_and_clone_do_not_share():
    x = leaf([1.0, 2.0])
    c = x.copy()
    assert not np.shares_memory(c.data, x.data)
    c.sum().backward()  # copy() is differentiable
    np.testing.assert_array_equal(x.grad.data, [1.0, 1.0])


def test_E11_mixing_scalar_and_tensor_is_a_clear_type_error():
    with pytest.raises(TypeError, match=r"mul: cannot combine Scalar and Tensor.*"
                                        r"Tensor\(scalar\.data\)"):
        Tensor([1.0], requires_grad=True) * Scalar(2.0)
    with pytest.raises(TypeError, match=r"add: cannot combine Tensor and Scalar"):
        Scalar(2.0) + Tensor([1.0])
    with pytest.raises(TypeError, match="backward: cannot mix Scalar and Tensor"):
        ag.backward([Scalar(1.0) * 2, leaf([1.0]).sum()])


def test_E11_the_documented_conversion_works():
    s = Scalar(2.0)
    t = Tensor(s.data, requires_grad=True)
    (t * t).backward()
    assert t.grad.item() == 4.0


def test_E13_an_interrupt_inside_backward_leaves_a_graph_that_refuses_a_second_backward():
    x = leaf([1.0, 2.0])
    h = x.exp()
    y = (h * 2).sum()

    def interrupt(grad):
        raise KeyboardInterrupt

    h.register_hook(interrupt)
    with pytest.raises(KeyboardInterrupt):
        y.backward()
    assert x.grad is None  # interrupted before reaching the leaf
    with pytest.raises(RuntimeError, match="'mul'.*retain_graph=True"):
        y.backward()
