"""Adam over one parameter group gives exactly the values of one group per parameter
(with gradients skipped, dtypes mixed and state reloaded mid-run)."""

import numpy as np
import pytest

import optim
from autograd import Tensor

SHAPES = [(4, 3), (4,), (2, 4)]


def _params(seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [Tensor(rng.standard_normal(s).astype(dtype), requires_grad=True) for s in SHAPES]


def _set_grads(params, step, skip=None):
    for i, p in enumerate(params):
        rng = np.random.default_rng(100 * step + i)
        p.grad = None if i == skip else Tensor(rng.standard_normal(p.shape).astype(p.dtype))


def _grouped_and_one_by_one(cls=optim.Adam, **options):
    """The same parameters twice: one group, and one group per parameter."""
    a, b = _params(), _params()
    flat = cls(a, lr=0.01, **options)
    single = cls([{"params": [p]} for p in b], lr=0.01, **options)
    return a, flat, b, single


def _step_both(a, first, b, second, step, skip=None):
    """The same gradients on both parameter lists, then one step of each optimiser."""
    _set_grads(a, step, skip)
    _set_grads(b, step, skip)
    first.step()
    second.step()


@pytest.mark.parametrize("cls, options", [
    (optim.Adam, {}), (optim.Adam, {"maximize": True}), (optim.Adam, {"betas": (0.5, 0.9)}),
    (optim.Adam, {"weight_decay": 0.1}), (optim.AdamW, {}), (optim.Adam, {"amsgrad": True})])
def test_the_group_update_equals_one_parameter_at_a_time_exactly(cls, options):
    a, flat, b, single = _grouped_and_one_by_one(cls, **options)
    versions = [p._version for p in a]
    for step in range(5):
        _step_both(a, flat, b, single, step)
    for p, q in zip(a, b):
        np.testing.assert_array_equal(p.data, q.data)
        np.testing.assert_array_equal(flat.state[p]["exp_avg"], single.state[q]["exp_avg"])
        np.testing.assert_array_equal(flat.state[p]["exp_avg_sq"],
                                      single.state[q]["exp_avg_sq"])
        assert flat.state[p]["step"] == single.state[q]["step"] == 5
    # every step is an in-place change of each parameter: a graph that saved it refuses
    assert [p._version for p in a] == [q._version for q in b]
    assert all(p._version >= v + 5 for p, v in zip(a, versions))  # AdamW's decay: 2 a step


def test_a_step_where_one_parameter_has_no_gradient_leaves_that_parameter_alone():
    a, flat, b, single = _grouped_and_one_by_one()
    for step in range(4):
        _step_both(a, flat, b, single, step, skip=1 if step == 2 else None)
    for p, q in zip(a, b):
        np.testing.assert_array_equal(p.data, q.data)
    assert flat.state[a[1]]["step"] == 3 and flat.state[a[0]]["step"] == 4


def test_training_resumes_exactly_after_load_state_dict():
    a, flat, b, _ = _grouped_and_one_by_one()
    for step in range(3):
        _set_grads(a, step)
        flat.step()
    saved = flat.state_dict()
    for p, q in zip(a, b):
        q.data[...] = p.data
    resumed = optim.Adam(b, lr=0.01)
    resumed.load_state_dict(saved)
    for step in range(3, 6):
        _step_both(a, flat, b, resumed, step)
    for p, q in zip(a, b):
        np.testing.assert_array_equal(p.data, q.data)


def test_the_state_arrays_a_user_reads_are_the_live_moments_and_float32_stays_float32():
    params = _params(dtype=np.float32)
    opt = optim.Adam(params, lr=0.01)
    _set_grads(params, 0)
    opt.step()
    first = [opt.state[p]["exp_avg"].copy() for p in params]
    _set_grads(params, 1)
    opt.step()
    for p, before in zip(params, first):
        m = opt.state[p]["exp_avg"]
        assert m.shape == p.shape and m.dtype == np.float32 and p.dtype == np.float32
        np.testing.assert_allclose(m, 0.9 * before + 0.1 * p.grad.data, rtol=1e-5, atol=1e-7)
