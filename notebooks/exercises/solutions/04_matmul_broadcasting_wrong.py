"""A typical wrong answer to 04_matmul_broadcasting.ipynb, which the grader must catch."""

from autograd import Operator


class BatchedMatmul(Operator):
    """out = x @ W, x of shape (B, N, K), W of shape (K, M);
    ∂L/∂x = G @ Wᵀ,  ∂L/∂W = Σ_b x_bᵀ @ G_b  (G = grad_out, shape (B, N, M))."""

    name = "batched_matmul"

    @staticmethod
    def forward(ctx, x, W):
        ctx.save(x, W)
        return x @ W

    @staticmethod
    def backward(ctx, grad_out):
        x, W = ctx.saved
        return grad_out @ W, x.swapaxes(-1, -2) @ grad_out  # typical mistake: W not transposed
