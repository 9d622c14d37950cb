"""tracegrad's benchmark suite (issue 7): `python -m benchmarks [--quick] [--only W1,W2]`.

Each workload module has `ID`, `NAME` and `run(config) -> list[Result]`; results compare
tracegrad with a hand-written numpy forward+backward of the same computation (the floor)
and with micrograd, PyTorch and scikit-learn where they are installed. See README.md.
"""

WORKLOADS = {
    "W1": "benchmarks.w1_scalar_mlp",
    "W2": "benchmarks.w2_op_overhead",
    "W3": "benchmarks.w3_mlp_step",
    "W4": "benchmarks.w4_deep_chain",
    "W5": "benchmarks.w5_render",
    "W6": "benchmarks.w6_digits",
    "W7": "benchmarks.w7_second_order",
    "W8": "benchmarks.w8_per_operator",  # surface-math (issue 15): one row per operator
    "W9": "benchmarks.w9_lenet",  # conv (issue 16): LeNet-style CNN step
    "W10": "benchmarks.w10_lstm",  # rnn (issue 16): LSTM training step
    "W10T": "benchmarks.w10_transformer",  # attn (issue 16): a transformer encoder block step
    "W11": "benchmarks.w11_onnx",  # export (issue 19): W3's network on onnxruntime
}
