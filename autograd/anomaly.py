"""Anomaly detection: stop at the first operator that produces NaN or inf."""

from __future__ import annotations

import numpy as np

from .grad_mode import _state


class detect_anomaly:
    """Inside this context, an operator whose forward output holds NaN or inf raises
    FloatingPointError naming the operator and its inputs' shapes. Thread-local."""

    def __enter__(self):
        self._previous = _state.anomaly_enabled
        _state.anomaly_enabled = True
        return self

    def __exit__(self, *exc_info):
        _state.anomaly_enabled = self._previous


def check_forward(op, out, inputs):
    if np.all(np.isfinite(out)):
        return
    bad = "nan" if np.any(np.isnan(out)) else "inf"
    shapes = ", ".join(str(np.shape(v.data)) for v in inputs)
    raise FloatingPointError(
        f"detect_anomaly: operator '{op.name}' produced {bad} in its forward output "
        f"(input shapes {shapes})"
    )
