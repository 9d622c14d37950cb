"""TransformerEncoderLayer and TransformerEncoder: structure as PyTorch's, gradients
against finite differences, train/eval, masks, and bad input. Equality with PyTorch is in
test_transformer_torch.py."""

import numpy as np
import pytest

import nn
from autograd import Tensor, gradcheck, gradgradcheck, viz
from nn.transformer import _is_causal_mask


def small_layer(**kwargs):
    kwargs.setdefault("dropout", 0.0)
    return nn.TransformerEncoderLayer(4, 2, 6, **kwargs)


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_layer_gradients_match_finite_differences_to_second_order(norm_first):
    layer = small_layer(activation="gelu", norm_first=norm_first, batch_first=True)
    src = Tensor(np.random.default_rng(0).standard_normal((2, 3, 4)), requires_grad=True)
    padding = np.array([[False, False, True], [False, False, False]])

    def fn(x):
        return layer(x, src_key_padding_mask=padding)

    assert gradcheck(fn, (src,))
    assert gradgradcheck(fn, (src,))


def test_encoder_copies_the_layer_deeply():
    layer = small_layer()
    encoder = nn.TransformerEncoder(layer, 3, norm=nn.LayerNorm(4))
    first, second = encoder.layers[0], encoder.layers[1]
    assert first is not layer and first.linear1.weight is not second.linear1.weight
    np.testing.assert_array_equal(first.linear1.weight.data, layer.linear1.weight.data)
    np.testing.assert_array_equal(second.self_attn.in_proj_weight.data,
                                  layer.self_attn.in_proj_weight.data)
    assert len(encoder.state_dict()) == 3 * 12 + 2
    assert "layers.2.self_attn.out_proj.weight" in encoder.state_dict()
    x = np.random.default_rng(1).standard_normal((5, 2, 4))
    out = encoder(x)
    expected = encoder.norm(encoder.layers[2](encoder.layers[1](encoder.layers[0](x))))
    np.testing.assert_allclose(out.data, expected.data)


def test_encoder_layer_activation_may_be_a_module_or_a_function():
    with_module = small_layer(activation=nn.GELU())
    assert "activation" in dict(with_module.named_children())  # registered, as in PyTorch
    with_function = small_layer(activation=nn.gelu)
    with_function.load_state_dict(with_module.state_dict())
    by_name = small_layer(activation="gelu")
    by_name.load_state_dict(with_module.state_dict())
    x = np.random.default_rng(2).standard_normal((3, 2, 4))
    np.testing.assert_allclose(with_module(x).data, by_name(x).data)
    np.testing.assert_allclose(with_function(x).data, by_name(x).data)
    with pytest.raises(ValueError, match="TransformerEncoderLayer: activation should be 'relu' "
                                         "or 'gelu'"):
        small_layer(activation="tanh")
    with pytest.raises(TypeError, match="TransformerEncoderLayer: activation must be"):
        small_layer(activation=3)


def test_encoder_layer_dropout_acts_in_training_only():
    layer = small_layer(dropout=0.5)
    x = np.random.default_rng(3).standard_normal((3, 2, 4))
    nn.manual_seed(0)
    train = layer(x).data
    layer.eval()
    np.testing.assert_array_equal(layer(x).data, layer(x).data)
    assert not np.allclose(train, layer(x).data)


def test_encoder_layer_takes_unbatched_input_and_keeps_float32():
    layer = small_layer(batch_first=True, dtype=np.float32)
    x = np.random.default_rng(4).standard_normal((3, 4)).astype(np.float32)
    out = layer(x)
    assert out.shape == (3, 4) and out.dtype == np.float32
    np.testing.assert_allclose(out.data, layer(x[None]).data[0], rtol=1e-6)


def test_causal_mask_is_detected_as_pytorch_does():
    bool_mask = np.triu(np.ones((4, 4), bool), 1)
    float_mask = np.where(bool_mask, -np.inf, 0.0)
    assert _is_causal_mask(bool_mask) and _is_causal_mask(float_mask)
    assert not _is_causal_mask(np.zeros((4, 4), bool))
    assert not _is_causal_mask(np.triu(np.ones((4, 5), bool), 1))
    # a causal mask changes nothing for the first position, and later ones see no future
    encoder = nn.TransformerEncoder(small_layer(), 2)
    x = np.random.default_rng(5).standard_normal((4, 1, 4))
    out = encoder(x, mask=bool_mask).data
    changed = x.copy()
    changed[3] += 1.0
    np.testing.assert_allclose(encoder(changed, mask=bool_mask).data[:3], out[:3])


def test_encoder_refuses_bad_settings():
    with pytest.raises(TypeError, match="TransformerEncoder: encoder_layer must be a Module"):
        nn.TransformerEncoder("layer", 2)
    with pytest.raises(ValueError, match="TransformerEncoder: num_layers must be a positive"):
        nn.TransformerEncoder(small_layer(), 0)
    with pytest.raises(ValueError, match="dim_feedforward must be a positive"):
        nn.TransformerEncoderLayer(4, 2, 0)
    with pytest.raises(ValueError, match=r"embed_dim \(4\) must be divisible by num_heads"):
        nn.TransformerEncoderLayer(4, 3)


def test_repr_prints_the_children_as_pytorch():
    text = repr(nn.TransformerEncoder(small_layer(), 2))
    for child in ("(self_attn): MultiheadAttention(", "(out_proj): Linear(in_features=4, "
                  "out_features=4, bias=True)", "(linear1): Linear(in_features=4, "
                  "out_features=6, bias=True)", "(norm1): LayerNorm(", "(dropout1): Dropout("):
        assert child in text


def test_gradient_flow_picture_crosses_the_attention_heads():
    layer = small_layer(batch_first=True)
    x = Tensor(np.random.default_rng(6).standard_normal((2, 3, 4)), requires_grad=True,
               name="x")
    # layers fold by default (viz "auto"); opening the attention shows its one sdpa node
    figure = viz.gradient_flow(layer(x).sum(), run_backward=True, expand="self_attn")
    assert "scaled_" in figure.source  # one node for every head (its name wraps)
    assert x.grad is not None and np.isfinite(x.grad.data).all()
    assert all(p.grad is not None for p in layer.parameters())  # every head's weights
