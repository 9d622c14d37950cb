"""Issue 12, items 12-16: the picture defects found by using viz as its users do."""

import re
import shutil
import subprocess
import sys
import warnings

import numpy as np
import pytest

from autograd import Scalar, Tensor, viz

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")


def tensor_loss():
    rng = np.random.default_rng(0)
    x = Tensor(rng.normal(size=(4, 3)), name="x")
    w = Tensor(rng.normal(size=(3, 2)), requires_grad=True, name="w")
    b = Tensor(np.zeros(2), requires_grad=True, name="b")
    loss = ((x @ w + b).tanh() ** 2).mean()
    loss.name = "L"
    return loss


# 12.12 -------------------------------------------------------------------------------


@pytest.mark.filterwarnings("error")
def test_gradient_flow_emits_no_nonleaf_grad_warning():
    loss = tensor_loss()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        before = viz.gradient_flow(loss)
        loss.backward()
        after = viz.gradient_flow(loss)
        viz.gradient_table(loss)
        viz.gradient_flow(tensor_loss(), run_backward=True)
        viz.backward_steps(tensor_loss())[2]
    assert "no gradients yet" in before.source
    assert "intermediate gradients were not kept" in after.source
    assert after.source.count("grad not kept") == 5  # x@w, +b, tanh, **2 and L itself


def test_retains_grad_follows_pytorch():
    loss = tensor_loss()
    w = loss.grad_fn.inputs[0].grad_fn.inputs[0]  # the power's input, tanh(...)
    assert not w.retains_grad
    w.retain_grad()
    assert w.retains_grad
    leaf = Tensor([1.0], requires_grad=True)
    assert not leaf.retains_grad


# 12.13 -------------------------------------------------------------------------------

NASTY = {
    "ansi": "\x1b[31mred\x1b[0m",
    "nul": "a\x00b",
    "vertical tab": "a\x0bb",
    "lone surrogate": "x\udcff",
    "bidi override": "ab\u202ecd",
    "long": "w" * 20_000,
}


def _svg_texts(svg: str) -> str:
    import xml.etree.ElementTree as ET

    root = ET.fromstring(svg.encode("utf-8"))  # raises on a control character in the SVG
    return " ".join(t for t in root.itertext() if t.strip())


@needs_dot
@pytest.mark.parametrize("kind", sorted(NASTY))
def test_control_char_surrogate_and_long_names_render_escaped_through_dot(kind):
    from autograd.graph import scope

    bad = NASTY[kind]
    x = Tensor([1.0, 2.0], name=bad)
    w = Tensor([0.5, -1.0], requires_grad=True, name=bad + "w")
    with scope(bad):
        out = (x * w).sum()
    out.name = bad
    s = Scalar(2.0, name=bad) * Scalar(3.0, name="k")
    pictures = [viz.forward_graph(out, title=bad), viz.gradient_flow(out, run_backward=True),
                viz.forward_graph(out, modules="collapse"), viz.forward_graph(s)]
    steps = viz.backward_steps((Tensor([1.0], requires_grad=True, name=bad) * 2).sum())
    pictures += list(steps)
    for figure in pictures:
        svg = figure.pipe(format="svg", encoding="utf-8")  # dot accepts it
        text = _svg_texts(svg)
        assert not any(c in text for c in "\x00\x0b\x1b\u202e")
        assert len(figure.source) < 30_000  # a name is shortened for display
    assert x.name == bad and out.name == bad  # the variables keep their full names
    shown = _svg_texts(viz.forward_graph(out).pipe(format="svg", encoding="utf-8"))
    expected = {"ansi": "\\x1b[31mred\\x1b[0m", "nul": "a\\x00b", "vertical tab": "a\\x0bb",
                "lone surrogate": "x\\udcff", "bidi override": "ab\\u202ecd",
                "long": "w" * 39 + "…"}[kind]
    assert expected in shown


def test_printable_keeps_ordinary_unicode_and_cuts_long_text():
    from autograd.viz import style

    assert style.printable("θ₁ größe ∂L/∂w 😀") == "θ₁ größe ∂L/∂w 😀"
    assert style.printable("tab\there") == "tab\\x09here"
    assert style.printable("abcdef", 4) == "abc…"
    assert style.name("<" + "n" * 50) == "&lt;" + "n" * 38 + "…"


# 12.15 -------------------------------------------------------------------------------

# The player's HTML around stand-in frames (the frames need dot; the id does not).
PLAYER = """
import re
from autograd.viz.steps import _player_html
print(re.search(r'id="(tg-steps-[^"]+)"', _player_html(["<svg/>"], "t", False)).group(1))
"""


def test_players_made_in_different_processes_get_unique_ids():
    ids = [subprocess.run([sys.executable, "-c", PLAYER], capture_output=True, text=True,
                          check=True, timeout=60).stdout.strip() for _ in range(2)]
    from autograd.viz import steps

    ids += [re.search(r'id="(tg-steps-[^"]+)"', steps._player_html(["<svg/>"], "t", False))
            .group(1) for _ in range(2)]
    assert len(set(ids)) == 4, ids


# 12.16 -------------------------------------------------------------------------------

SVG = "{http://www.w3.org/2000/svg}"


def _legend_elements(svg: str):
    """The graph label's texts (x, y, size, text) and filled boxes (left x, top, bottom):
    the direct children of the top group, which hold the title and the legends."""
    import xml.etree.ElementTree as ET

    top = ET.fromstring(svg.encode("utf-8")).find(f"{SVG}g")
    texts, boxes = [], []
    for element in top:
        if element.tag == f"{SVG}text" and (element.text or "").strip():
            texts.append((float(element.get("x")), float(element.get("y")),
                          float(element.get("font-size")), element.text))
        elif element.tag == f"{SVG}polygon" and element.get("fill") not in (None, "none",
                                                                             "white"):
            points = [tuple(map(float, p.split(","))) for p in element.get("points").split()]
            xs, ys = [p[0] for p in points], [p[1] for p in points]
            boxes.append((min(xs), min(ys), max(ys)))
    return texts, boxes


@needs_dot
@pytest.mark.parametrize("draw", [viz.gradient_flow, viz.forward_graph])
def test_gradient_flow_legend_labels_do_not_overlap_swatches(draw):
    svg = draw(tensor_loss(), run_backward=True) if draw is viz.gradient_flow else \
        draw(tensor_loss())
    texts, boxes = _legend_elements(svg.pipe(format="svg", encoding="utf-8"))
    assert len(boxes) >= 3 and texts
    for x, y, size, text in texts:
        # what follows on the same line: boxes spanning the baseline, texts on it
        after = [bx for bx, top, bottom in boxes if bx > x and top - 2 <= y <= bottom + 6]
        after += [tx for tx, ty, _, _ in texts if tx > x and abs(ty - y) < 1]
        if after:
            # room for the label in a font 20% wider than Helvetica's average 0.5 em
            assert min(after) - x >= 0.6 * size * len(text), (text, x, min(after))


# 12.14 -------------------------------------------------------------------------------


def _chain(n_operators):
    x = Scalar(0.5, name="x")
    y = x
    for _ in range(n_operators // 2):
        y = y * 0.999 + x  # x has n/2 uses: its "d of n uses in" texts grow with the graph
    return y


def _seconds_for_steps(n_operators):
    import time

    best = float("inf")
    for _ in range(3):  # CPU time, best of 3: other jobs on the machine don't count
        out = _chain(n_operators)
        start = time.process_time()
        viz.backward_steps(out, max_nodes=None, max_frames=None)
        best = min(best, time.process_time() - start)
    return best


def test_backward_steps_is_linear_in_the_number_of_operators():
    # Measured before the fix: 1,000 / 4,000 operators took 2.8 / 31.5 s (×11 for ×4);
    # after it 0.03 / 0.15 s.
    small, large = _seconds_for_steps(1000), _seconds_for_steps(4000)
    assert large < 3.0, large
    assert large / max(small, 1e-3) < 8, (small, large)


def test_backward_steps_refuses_more_than_max_frames_before_backward_runs():
    out = _chain(1000)
    with pytest.raises(ValueError) as caught:
        viz.backward_steps(out)
    message = str(caught.value)
    assert "1,000 operators" in message and "1,001 frames" in message
    assert "max_frames=1,000" in message and "max_frames=None" in message
    leaf = out.grad_fn.inputs[1]
    assert leaf.name == "x" and leaf.grad is None  # backward has not run
    assert len(viz.backward_steps(out, max_frames=1001)) == 1001
    with pytest.raises(ValueError, match="max_frames must be an int"):
        viz.backward_steps(out, max_frames=0)


@needs_dot
def test_backward_steps_reports_progress_on_long_renders(capsys, tmp_path):
    steps = viz.backward_steps(_chain(6))
    steps.to_html(progress=True)
    err = capsys.readouterr().err
    assert "backward_steps: rendering frame 7 of 7" in err
    steps.save(tmp_path, progress=True)
    assert "saving frame 7 of 7" in capsys.readouterr().err
    steps.to_html()  # quick: the default reports only after 2 s
    assert capsys.readouterr().err == ""
