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


# 18.4 --------------------------------------------------------------------------------
# The notebooks' pictures, built with the notebooks' own code (copied from the cells that
# display them), must fit a projector at their default size: at most 1,000 px wide and
# 1,400 px tall as a browser draws the SVG, and not shrunk below 60 % to get there.

WIDTH, HEIGHT = 1000, 1400


def _notebook_01():
    x1 = Scalar(1.5, name="x1", requires_grad=False)
    x2 = Scalar(-0.5, name="x2", requires_grad=False)
    w1, w2, b = Scalar(0.8, name="w1"), Scalar(-1.2, name="w2"), Scalar(-0.4, name="b")
    t = 1.0
    z = x1 * w1 + x2 * w2 + b
    y = z.sigmoid()
    L = 0.5 * (y - t) ** 2
    z.name, y.name, L.name = "z", "y", "L"
    yield "01 forward", lambda **o: viz.forward_graph(
        L, title="L = ½(σ(x1·w1 + x2·w2 + b) − t)²", **o)
    yield "01 gradient flow", lambda **o: viz.gradient_flow(
        L, run_backward=True, retain_graph=True, title="the same graph after L.backward()", **o)
    w = Scalar(3.0, name="w")
    x = Scalar(2.0, name="x", requires_grad=False)
    f = w * x + w**2
    f.name = "f"
    yield "01 w used twice", lambda **o: viz.gradient_flow(
        f, run_backward=True, retain_graph=True, title="f = w·x + w², w used twice", **o)


def _network(x, y, W1, W2, lam, phi):
    import nn

    z = W1 @ x
    h = phi(z)
    o = W2 @ h
    L = 0.5 * ((o - y) ** 2).sum()
    s = nn.l2_penalty([W1, W2], lam)
    J = L + s
    for name, value in dict(z=z, h=h, o=o, L=L, s=s, J=J).items():
        value.name = name
    return J, dict(z=z, h=h, o=o, L=L, s=s)


def _house_network():
    x = Tensor([0.5], name="x")
    y = Tensor([2.8], name="y")
    W1 = Tensor([[2.0], [1.0], [-1.0]], requires_grad=True, name="W1")
    W2 = Tensor([[2.0, 2.0, 1.0]], requires_grad=True, name="W2")
    return x, y, W1, W2


def _notebook_02():
    import nn

    J, _ = _network(*_house_network(), 0.01, nn.relu)
    yield "02 forward", lambda **o: viz.forward_graph(
        J, title="J = L + s, drawn bottom to top like the study text's figure", rankdir="BT",
        **o)

    def frame(**o):
        J, parts = _network(*_house_network(), 0.01, nn.relu)
        steps = viz.backward_steps(J, rankdir="BT", **o)
        return steps[steps.frame_of(parts["s"])]

    yield "02 backward step", frame


def _notebook_05():
    import nn
    from nn.datasets import load_digits

    images, labels = load_digits()
    X, y = nn.standardize(images[:512]), labels[:512]
    initialisers = {
        "normal": lambda w: nn.init.normal_(w, 0.0, 1.0),
        "Xavier": nn.init.xavier_normal_,
        "He": lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu"),
    }

    def deep_mlp(activation, initialiser):
        nn.manual_seed(0)
        model = nn.MLP(64, [64] * 8, 10, activation=activation)
        for layer in model.modules():
            if isinstance(layer, nn.Linear):
                initialisers[initialiser](layer.weight)
                nn.init.zeros_(layer.bias)
        return model

    models = {name: deep_mlp(*name.split(", ")) for name in
              ["sigmoid, Xavier", "tanh, normal", "relu, He"]}
    losses = []
    for name, model in models.items():
        loss = nn.cross_entropy(model(Tensor(X, name=f"x ({name})")), y)
        loss.name = f"J ({name})"
        losses.append(loss)
    # The three networks side by side, each model one box listing every layer's gradient
    # (modules=0); one box per layer (modules="collapse") is 3,700 px tall.
    yield "05 three networks", lambda **o: viz.gradient_flow(
        losses, run_backward=True, retain_graph=True, modules=0, **o)


@needs_dot
@pytest.mark.parametrize("name, draw", [
    *_notebook_01(), *_notebook_02(), *_notebook_05()], ids=lambda v: v if isinstance(
        v, str) else "")
def test_notebook_pictures_fit_a_projector(name, draw):
    width, height = draw().svg_size()
    assert width <= WIDTH and height <= HEIGHT, (name, width, height)
    natural = draw(max_size=None).svg_size()
    scale = min(1.0, WIDTH / natural[0], HEIGHT / natural[1])
    assert scale >= 0.6, (name, natural, "shrunk to", scale)


def test_svg_size_reads_points_as_a_browser_does():
    svg_size = viz.svg_size
    assert svg_size('<?xml?><svg width="75pt" height="30pt" viewBox="0 0 75 30">') == (100, 40)
    assert svg_size('<svg height="12px" width="300">') == (300, 12)
    with pytest.raises(ValueError, match="no width"):
        svg_size("<svg>")


def test_max_size_and_rankdir_are_checked():
    out = Scalar(2.0, name="a") * 3
    with pytest.raises(ValueError, match="max_size must be"):
        viz.forward_graph(out, max_size=(0, 100))
    with pytest.raises(ValueError, match="max_size must be"):
        viz.backward_steps(out, max_size="big")
    assert "size" not in viz.forward_graph(out, max_size=None).graph_attr
    assert viz.forward_graph(out).graph_attr["size"] == "10.42,14.58"  # inches at 96 px/in


def test_a_tall_picture_repeats_its_legend_at_the_bottom():
    x = Scalar(0.5, name="x")
    y = x
    for _ in range(12):
        y = (y * 1.5).tanh()
    tall = viz.gradient_flow(y, run_backward=True)
    assert tall.graph_attr["rankdir"] == "TB"
    legend = [line for line in tall.source.splitlines() if 'class=legend' in line]
    assert len(legend) == 1 and "vanishing" in legend[0] and "parameter" in legend[0]
    assert re.search(r"\bv\d+ -> legend \[style=invis\]", tall.source)
    upwards = viz.forward_graph(y, rankdir="BT")
    assert re.search(r"legend -> v\d+ \[style=invis\]", upwards.source)  # under the inputs
    short = viz.gradient_flow(Scalar(2.0, name="a") * 3, run_backward=True)
    assert "class=legend" not in short.source
    assert "class=legend" not in viz.forward_graph(y, legend=False).source
