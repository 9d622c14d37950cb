"""Issue 18, items 4-7 (viz side): pictures a teacher can put in front of a class."""

import re
import shutil

import numpy as np
import pytest

from autograd import Scalar, Tensor, viz
from autograd.viz import style

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")


def _labels(figure, word):
    """Labels of the nodes whose class has `word`, read from the DOT source."""
    found = []
    for line in figure.source.splitlines():
        if f'class="{word}' in line or (f"class={word}" in line) or (
                re.search(rf'class="[^"]*\b{word}\b', line)):
            match = re.search(r"label=<(.*)>", line)
            if match:
                found.append(match.group(1))
    return found


# 18.5 --------------------------------------------------------------------------------


def test_gradient_flow_colour_and_printed_number_use_one_measure():
    rng = np.random.default_rng(0)
    # Same ‖grad‖ (1), different RMS: 0.25 and 0.125 — and a single number, 0.5.
    a = Tensor(rng.normal(size=16), requires_grad=True, name="a")
    c = Tensor(rng.normal(size=64), requires_grad=True, name="c")
    s = Tensor([3.0], requires_grad=True, name="s")
    loss = (a * 0.25).sum() + (c * 0.125).sum() + (s * 0.5).sum()
    figure = viz.gradient_flow(loss, run_backward=True)
    lines = re.findall(r'<FONT COLOR="(#[0-9a-f]{6})">■</FONT> <FONT[^>]*>([^<]*)</FONT>',
                       figure.source)
    assert len(lines) >= 4
    for color, text in lines:
        number = float(re.search(r"(?:grad|rms) \[*(-?[\d.e+-]+)", text).group(1))
        expected = style.magnitude_color(abs(number))
        # equal up to the rounding of the printed number (4 significant digits)
        assert max(abs(int(color[i:i + 2], 16) - int(expected[i:i + 2], 16))
                   for i in (1, 3, 5)) <= 2, (text, color, expected)
    texts = [t for _, t in lines]
    assert "rms 0.25  ‖grad‖ 1" in texts and "rms 0.125  ‖grad‖ 1" in texts


# 18.6 --------------------------------------------------------------------------------


def test_operator_glyphs_use_no_letters():
    x = Tensor(np.ones((2, 3)), requires_grad=True, name="x")
    w = Tensor(np.ones((3, 2)), requires_grad=True, name="w")
    y = ((-(x ** 2) - x / 2.0) * x) @ w + x.T.sum()
    figure = viz.forward_graph(y.sum())
    glyphs = {}
    for label in _labels(figure, "operator"):
        text = re.sub(r"<[^>]*>", " ", label).split()
        glyphs[" ".join(text)] = label
    symbolic = [g for g in glyphs if g not in ("sum",)]
    assert len(symbolic) >= 7  # +, −, ×, ÷, −(·), @, (·)², (·)ᵀ
    for glyph in symbolic:
        assert not re.search(r"[A-Za-z]", glyph), glyph
    assert "(·)²" in glyphs and "(·)ᵀ" in glyphs and "−(·)" in glyphs
    scalar = viz.forward_graph(-(Scalar(2.0, name="x") ** 2))
    assert not any(re.search(r"[A-Za-z]", re.sub(r"<[^>]*>", "", g))
                   for g in _labels(scalar, "operator"))


# 18.7 --------------------------------------------------------------------------------


def _neuron():
    x0, x1 = Scalar(1.0, name="x0", requires_grad=False), Scalar(2.0, name="x1",
                                                                 requires_grad=False)
    w0, w1, b = Scalar(0.2739, name="w0"), Scalar(-0.4604, name="w1"), Scalar(-0.9181, name="b")
    product = w1 * x1
    out = (w0 * x0 + (product + b)).tanh()
    out.name = "o"
    return out, w1, product


def _caption(figure):
    label = re.search(r'WIDTH="\d+" HEIGHT="\d+"><FONT POINT-SIZE="12">(.*?)</FONT>',
                      figure.source).group(1)
    return label.split("<BR/>")


def test_backward_steps_captions_show_the_steps_numbers():
    out, w1, product = _neuron()
    steps = viz.backward_steps(out)
    slope = 1 - out.data ** 2  # tanh's local derivative
    first = _caption(steps[1])
    assert first[1] == "receives ∂o/∂o = 1, sends gradients to t3"
    assert first[2] == f"to t3: 1 × {style.number(slope)} = {style.number(slope)}"
    mul = _caption(steps[steps.frame_of(product)])  # w1 · x1 hands w1 its gradient
    assert mul[2] == f"to w1: {style.number(slope)} × 2 = {style.number(slope * 2)}", mul
    assert w1.grad == pytest.approx(slope * 2)
    # arrays: no made-up arithmetic, the formula still there
    x = Tensor([1.0, 2.0], requires_grad=True, name="x")
    caption = _caption(viz.backward_steps((x * x).sum())[2])
    assert caption[2] == "" and "grad_out" in caption[3]
