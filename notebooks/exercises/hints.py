"""Hints for the exercises, handed out one at a time by verdict.hint().

Kept out of the notebooks so that reading an exercise does not show them.
"""

HINTS = {
    '01_tanh': [
        'The local derivative of tanh is 1 − tanh²(x), and out already holds tanh(x).',
        'Square the output: out * out (or out ** 2).',
        'Multiply by grad_out, the gradient arriving from above: return grad_out * (1 - out * out).',
    ],
    '02_neuron': [
        'Every gradient goes through tanh first: start with d = grad_out * (1 - out * out).',
        'Then ∂/∂w1 = d·x1 (the other factor of the product), ∂/∂b = d, ∂/∂x1 = d·w1.',
        'return d * x1, d * x2, d, d * w1, d * w2',
    ],
    '03_softmax_cross_entropy': [
        'Compute the probabilities p = softmax(logits) inside backward: e = ctx.xp.exp(logits - logits.max(axis=1, keepdims=True)), p = e / e.sum(axis=1, keepdims=True).',
        'The gradient of the summed loss is p − onehot; the forward takes the mean over N = logits.shape[0] rows.',
        'return grad_out * (p - onehot) / logits.shape[0]',
    ],
    '04_matmul_broadcasting': [
        "Shapes first: ∂L/∂x must have x's shape (B, N, K); grad_out is (B, N, M) and W is (K, M).",
        '(B, N, M) @ (M, K) gives (B, N, K): the x gradient is grad_out @ W.T (W is 2-d, so .T is fine there).',
        'For W: x.swapaxes(-1, -2) @ grad_out has shape (B, K, M); return it and the engine sums the batch axis: return grad_out @ W.T, x.swapaxes(-1, -2) @ grad_out',
    ],
    '05_layer_norm': [
        'Recompute sigma exactly as forward does: mu = x.mean(axis=-1, keepdims=True), sigma = ctx.xp.sqrt(((x - mu) ** 2).mean(axis=-1, keepdims=True) + eps).',
        'μ and σ depend on x too: besides g/σ there are two terms, −mean(g)/σ and −y·mean(g·y)/σ, means over the last axis with keepdims=True.',
        'g = grad_out; return (g - g.mean(axis=-1, keepdims=True) - y * (g * y).mean(axis=-1, keepdims=True)) / sigma',
    ],
}
