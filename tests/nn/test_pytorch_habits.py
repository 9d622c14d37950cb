"""Issue 15 item 7: PyTorch habits, each accepted as an alias or refused with an error
that names tracegrad's spelling — one test per row of docs/design.md's habits table."""

import re

import numpy as np
import pytest

import nn
from autograd import Scalar, Tensor, functional

X = np.arange(6.0).reshape(2, 3)


@pytest.mark.parametrize("method", ["sum", "mean", "max", "min", "var", "std", "logsumexp",
                                    "norm", "softmax", "log_softmax"])
def test_sum_dim_is_refused_naming_axis(method):
    with pytest.raises(TypeError, match=re.escape(f"x.{method}(axis=..., keepdims=...)")):
        getattr(Tensor(X), method)(dim=0)
    # numpy's spelling does what PyTorch's would have
    np.testing.assert_allclose(Tensor(X).sum(axis=0).data, X.sum(axis=0))


def test_keepdim_is_refused_naming_keepdims():
    with pytest.raises(TypeError, match="keepdims="):
        Tensor(X).sum(axis=0, keepdim=True)
    assert Tensor(X).sum(axis=0, keepdims=True).shape == (1, 3)


def test_view_is_refused_naming_reshape():
    with pytest.raises(TypeError, match=re.escape("x.reshape(-1)")):
        Tensor(X).view(-1)


def test_permute_is_transpose():
    x = Tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    np.testing.assert_array_equal(x.permute(2, 0, 1).data, x.data.transpose(2, 0, 1))
    x.permute(1, 0, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.ones((2, 3, 4)))


def test_size_call_is_refused_naming_shape_and_size_stays_numpys_count():
    x = Tensor(X)
    assert x.size == 6 and isinstance(x.size, int)
    with pytest.raises(TypeError, match="use x.shape for x.size()"):
        x.size()


def test_size_in_arithmetic_is_a_plain_int_so_float32_stays_float32():
    # numpy's x.size is a Python int, which keeps float32 (x / x.size is a mean)
    x = Tensor(np.ones(4, np.float32))
    for out in (x / x.size, x * x.size, x.size - x, x / x.numel()):
        assert out.dtype == np.float32
    np.testing.assert_array_equal((x / x.size).data, x.data / x.data.size)


def test_numel_is_the_element_count():
    assert Tensor(X).numel() == 6 and Tensor(np.zeros((0, 3))).numel() == 0


def test_t_transposes_at_most_two_dims():
    np.testing.assert_array_equal(Tensor(X).t().data, X.T)
    np.testing.assert_array_equal(Tensor(np.arange(3.0)).t().data, np.arange(3.0))
    with pytest.raises(ValueError, match="x.mT"):
        Tensor(np.zeros((2, 2, 2))).t()


def test_float_is_refused_naming_astype():
    with pytest.raises(TypeError, match=re.escape("x.astype(np.float32)")):
        Tensor(X).float()


def test_mm_multiplies_matrices_only():
    a, b = Tensor(X, requires_grad=True), Tensor(X.T)
    np.testing.assert_allclose(a.mm(b).data, X @ X.T)
    a.mm(b).sum().backward()
    np.testing.assert_allclose(a.grad.data, np.ones((2, 2)) @ X)
    with pytest.raises(ValueError, match="x @ y"):
        Tensor(np.arange(3.0)).mm(Tensor(np.arange(3.0)))


def test_pow_is_power():
    x = Tensor(X, requires_grad=True)
    x.pow(2).sum().backward()
    np.testing.assert_allclose(x.grad.data, 2 * X)


def test_clamp_is_clip():
    x = Tensor(X - 2.5)
    np.testing.assert_array_equal(x.clamp(0, 1).data, np.clip(X - 2.5, 0, 1))
    np.testing.assert_array_equal(x.clamp(min=0).data, np.clip(X - 2.5, 0, None))


def test_backward_gradient_keyword_is_pytorchs_name_for_grad():
    x = Tensor(X, requires_grad=True)
    g = np.full((2, 3), 3.0)
    (x * 2).backward(gradient=g)
    np.testing.assert_allclose(x.grad.data, 2 * g)
    with pytest.raises(TypeError, match="both grad and gradient"):
        (x * 2).backward(g, gradient=g)


def test_modulelist_takes_a_list_as_in_pytorch():
    layers = nn.ModuleList([nn.Linear(2, 3), nn.Linear(3, 1)])
    assert len(layers) == 2 and len(list(layers.parameters())) == 4
    assert len(nn.ModuleList()) == 0 and len(nn.ModuleList(nn.Linear(2, 2))) == 1
    with pytest.raises(TypeError, match="expected a Module, got int"):
        nn.ModuleList([1])


def test_model_to_cpu_is_accepted_and_other_devices_refused():
    model = nn.Linear(2, 2)
    before = model.weight.data.copy()
    assert model.to("cpu") is model
    np.testing.assert_array_equal(model.weight.data, before)
    with pytest.raises(ValueError, match="numpy on the CPU"):
        model.to("cuda")
    assert model.to(np.float32).weight.dtype == np.float32


def test_micrograds_label_names_a_scalar():
    a = Scalar(2.0, label="a")
    assert a.name == "a"
    with pytest.raises(TypeError, match="both name and label"):
        Scalar(2.0, name="a", label="b")


def test_softmax_module_takes_pytorchs_dim():
    np.testing.assert_allclose(nn.Softmax(dim=0)(Tensor(X)).data.sum(axis=0), np.ones(3))


def test_other_unknown_keywords_still_fail_as_python_would():
    with pytest.raises(TypeError, match="unexpected keyword argument 'axes'"):
        Tensor(X).sum(axes=0)


# -- opspeed (issue 15 leftovers): every reduction and scan refuses dim= / keepdim= ------

REDUCTIONS = ["sum", "mean", "max", "min", "var", "std", "logsumexp", "norm", "prod", "median",
              "argmax", "argmin", "any", "all", "amax", "amin"]
SCANS = ["cumsum", "cumprod", "logcumsumexp"]


@pytest.mark.parametrize("name", REDUCTIONS + SCANS)
def test_new_reductions_refuse_dim_naming_axis(name):
    """Issue 15 item 7 for the issue's new reductions and scans, methods and functions."""
    fix = "axis=...)" if name in SCANS else "axis=..., keepdims=...)"
    method = {"amax": "max", "amin": "min"}.get(name, name)  # numpy's aliases: one method
    with pytest.raises(TypeError, match=re.escape(f"x.{method}({fix}")):
        getattr(Tensor(X), name)(dim=0)
    with pytest.raises(TypeError, match=re.escape(f"{method}(x, {fix}")):
        getattr(functional, name)(Tensor(X), dim=0)
    # numpy's spelling does what PyTorch's would have
    if hasattr(np, name):
        expected = np.asarray(getattr(np, name)(X, axis=0))
        np.testing.assert_allclose(getattr(Tensor(X), name)(axis=0).data, expected)


@pytest.mark.parametrize("name", [n for n in REDUCTIONS if n not in ("amax", "amin")]
                         + ["var_mean", "std_mean"])
def test_new_reductions_refuse_keepdim_naming_keepdims(name):
    if name not in ("var_mean", "std_mean"):
        with pytest.raises(TypeError, match=re.escape("keepdims=...") + ".*keepdim="):
            getattr(Tensor(X), name)(axis=0, keepdim=True)
    with pytest.raises(TypeError, match=re.escape(f"{name}: tracegrad uses numpy's names")):
        getattr(functional, name)(Tensor(X), axis=0, keepdim=True)


@pytest.mark.parametrize("name", SCANS)
def test_scans_refuse_keepdim_as_an_unknown_argument(name):
    # neither numpy's nor PyTorch's scans have a keepdims: not a habit to translate
    with pytest.raises(TypeError, match="unexpected keyword argument 'keepdim'"):
        getattr(Tensor(X), name)(axis=0, keepdim=True)


def test_var_mean_and_std_mean_refuse_dim_naming_axis():
    for name in ("var_mean", "std_mean"):
        with pytest.raises(TypeError, match=re.escape(f"{name}(x, axis=..., keepdims=...)")):
            getattr(functional, name)(Tensor(X), dim=0)
        first, mean = getattr(functional, name)(Tensor(X), axis=0)
        np.testing.assert_allclose(mean.data, X.mean(axis=0))
