"""autograd.grad: PyTorch's torch.autograd.grad contract.

Gradients are returned, never accumulated into `.grad`; an unused input raises unless
allow_unused=True; only the part of the graph between the outputs and the inputs runs.
"""

import numpy as np
import pytest

from autograd import Operator, Scalar, Tensor, grad


def leaf(values, dtype=None):
    return Tensor(values, requires_grad=True, dtype=dtype)


def test_grad_returns_the_gradient_and_leaves_dot_grad_untouched():
    x = leaf([1.0, 2.0, 3.0])
    (g,) = grad((x * x).sum(), x)
    np.testing.assert_array_equal(g.data, [2.0, 4.0, 6.0])
    assert x.grad is None


def test_grad_does_not_add_to_an_existing_dot_grad():
    x = leaf([1.0, 2.0])
    (x * 3).sum().backward()
    before = x.grad.data.copy()
    grad((x * 5).sum(), x)
    np.testing.assert_array_equal(x.grad.data, before)


def test_grad_accepts_a_single_input_or_a_sequence_and_returns_a_tuple():
    x, y = leaf(2.0), leaf(3.0)
    assert isinstance(grad(x * y, x), tuple)
    gx, gy = grad(x * y, (x, y))
    assert (gx.item(), gy.item()) == (3.0, 2.0)


def test_grad_with_respect_to_an_intermediate_variable():
    x = leaf([1.0, 2.0])
    h = x * 2
    gh, gx = grad((h * h).sum(), [h, x])
    np.testing.assert_array_equal(gh.data, 2 * h.data)  # ∂Σh²/∂h = 2h
    np.testing.assert_array_equal(gx.data, 8 * x.data)  # ∂Σ4x²/∂x = 8x


def test_grad_of_several_outputs_sums_their_gradients():
    x = leaf([1.0, 2.0])
    (g,) = grad([(x * x).sum(), (3 * x).sum()], x)
    np.testing.assert_array_equal(g.data, 2 * x.data + 3)


def test_grad_outputs_weight_each_output():
    x = leaf([1.0, 2.0])
    for weights in (Tensor([1.0, 10.0]), np.array([1.0, 10.0]), [np.array([1.0, 10.0])]):
        (g,) = grad(x * 3, x, grad_outputs=weights)
        np.testing.assert_array_equal(g.data, [3.0, 30.0])


def test_non_scalar_output_without_grad_outputs_raises_naming_the_shape():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"shape \(2,\)"):
        grad(x * 3, x)


def test_grad_outputs_of_the_wrong_shape_or_count_raise_value_error():
    x = leaf([1.0, 2.0])
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        grad(x * 3, x, grad_outputs=np.ones(3))
    with pytest.raises(ValueError, match="2 grad_outputs for 1 outputs"):
        grad(x * 3, x, grad_outputs=[np.ones(2), np.ones(2)])


def test_unused_input_raises_naming_its_index_and_allow_unused():
    x, z = leaf(1.0), leaf(2.0)
    z.name = "z"
    with pytest.raises(RuntimeError, match=r"input 1 'z'.*allow_unused=True"):
        grad(x * x, [x, z])


def test_allow_unused_gives_none_and_materialize_grads_gives_zeros():
    x, z = leaf(1.0), leaf([2.0, 3.0])
    gx, gz = grad(x * x, [x, z], allow_unused=True)
    assert gx.item() == 2.0 and gz is None
    _, gz = grad(x * x, [x, z], materialize_grads=True)
    np.testing.assert_array_equal(gz.data, [0.0, 0.0])


def test_the_same_input_twice_gets_the_same_gradient_twice():
    x = leaf(3.0)
    g1, g2 = grad(x * x, [x, x])
    assert g1.item() == g2.item() == 6.0


def test_gradient_of_an_output_with_respect_to_itself_is_its_seed():
    x = leaf([1.0, 2.0])
    (g,) = grad(x, x, grad_outputs=np.array([5.0, 7.0]))
    np.testing.assert_array_equal(g.data, [5.0, 7.0])


def test_graph_is_freed_after_grad_unless_retain_graph():
    x = leaf(2.0)
    y = x * x
    grad(y, x)
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        grad(y, x)
    y = x * x
    first = grad(y, x, retain_graph=True)[0].item()
    second = grad(y, x)[0].item()
    assert first == second == 4.0  # returned, not accumulated


def test_create_graph_makes_the_gradient_differentiable():
    x = leaf(2.0)
    (g,) = grad(x**3, x, create_graph=True)
    assert g.grad_fn is not None and g.item() == 12.0  # 3x²
    (g2,) = grad(g, x)
    assert g2.item() == 12.0  # 6x


def test_scalar_graphs_return_floats():
    a, b = Scalar(2.0), Scalar(-1.0)
    ga, gb = grad(a * a * b, [a, b])
    assert (ga, gb) == (-4.0, 4.0)
    (g,) = grad(a * a * a, a, create_graph=True)
    assert grad(g, a) == (12.0,)


def test_returned_gradients_share_memory_with_nothing():
    x = leaf([1.0, 2.0])
    seed = Tensor([1.0, 1.0])
    h = x * 1
    gx, gh = grad(h, [x, h], grad_outputs=seed)
    assert not np.shares_memory(gh.data, seed.data)
    assert not np.shares_memory(gh.data, gx.data)


def test_float32_inputs_get_float32_gradients():
    x = leaf(np.array([1.0, 2.0], dtype=np.float32))
    (g,) = grad((x * x).sum(), x)
    assert g.dtype == np.float32


def test_output_or_input_that_does_not_require_grad_raises():
    x, c = leaf([1.0]), Tensor([1.0])
    with pytest.raises(RuntimeError, match="does not require grad"):
        grad((c * 2).sum(), x)
    with pytest.raises(RuntimeError, match="does not require grad"):
        grad((x * 2).sum(), c)


def test_mixing_scalar_and_tensor_raises_type_error():
    with pytest.raises(TypeError, match="cannot mix Scalar and Tensor"):
        grad(Scalar(1.0) * 2, Tensor(1.0, requires_grad=True))


# -- only the part of the graph between outputs and inputs runs -------------------------


def test_grad_with_respect_to_an_intermediate_keeps_the_graph_below_it():
    # grad(y, h) must not run (and free) the node that made h: a later backward through
    # h still works, as in PyTorch.
    x = leaf([1.0, 2.0])
    h = x * x
    grad((h * 3).sum(), h)
    h.sum().backward()
    np.testing.assert_array_equal(x.grad.data, 2 * x.data)


class MustNotRun(Operator):
    """out = x; its backward fails the test if the engine ever calls it."""

    name = "must_not_run"

    @staticmethod
    def forward(ctx, x):
        return x * 1

    @staticmethod
    def backward(ctx, grad_out):
        raise AssertionError("grad() ran a node that does not lead to its inputs")


def test_nodes_that_do_not_lead_to_the_inputs_are_not_run():
    x, y = leaf(1.0), leaf(2.0)
    out = MustNotRun.apply(x * 2) + y * 3
    (gy,) = grad(out, y)
    assert gy.item() == 3.0
    (gy,) = grad(MustNotRun.apply(x * 2), y, allow_unused=True)
    assert gy is None


def test_grad_runs_the_hooks_of_its_inputs_only():
    a, b = leaf(1.0), leaf(2.0)
    calls = []
    a.register_hook(lambda g: calls.append("a"))
    b.register_hook(lambda g: calls.append("b"))
    grad(a * b, a)
    assert calls == ["a"]


def test_grad_leaves_a_retained_intermediate_gradient_untouched():
    x = leaf([1.0, 2.0])
    h = x * 2
    h.retain_grad()
    grad(h.sum(), x)
    assert h.grad is None and x.grad is None
