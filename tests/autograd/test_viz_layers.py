"""Issue 16 item 5: pictures of layered networks. A layer (innermost module call) folds
into one box with its type, extra_repr() and output shape; a run of time steps folds into
one box "×32"; expand= opens them; gradient flow paints folded layers and steps; the
pictures fit a page. Tested on stand-ins built from existing operators and nn.Linear
(tests/autograd/layer_standins.py)."""

import json
import math
import re
import shutil

import numpy as np
import pytest
from layer_standins import attention_loss, cnn_loss, lstm_loss
from test_viz import by_class, parse

import nn
from autograd import Tensor, viz
from autograd.graph import Graph, scope
from autograd.viz import style
from autograd.viz.draw import EXTRA_WIDTH, wrap_arguments
from autograd.viz.folds import find_runs
from autograd.viz.scene import build_scene

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")
PAGE = (1000, 1400)  # px: what a notebook shows without scrolling (the notebooks' limit)


def labels(dot, word="module"):
    return [a["label"] for a in by_class(dot, word).values()]


def text(label: str) -> str:
    """A label's text without markup, entities decoded, one space between words."""
    inner = label[1:-1] if label.startswith("<<") else label
    plain = re.sub(r"<[^>]*>", " ", inner).replace("&#x27;", "'").replace("&quot;", '"')
    return " ".join(plain.split())


# --------------------------------------------------------------------------------------
# a CNN: one box per layer


def test_a_cnn_of_ten_layers_draws_one_box_per_layer_by_default():
    _, loss = cnn_loss()
    dot = parse(viz.forward_graph(loss))
    boxes = [text(label) for label in labels(dot)]
    assert len(boxes) == 10
    conv = next(b for b in boxes if b.startswith("0: ConvLike"))
    assert "1, 8, kernel_size=(3, 3)," in conv and "padding=(1, 1)" in conv
    assert "→ (16, 8, 8, 8)" in conv and "weight (8, 1, 3, 3)" in conv
    assert "→ (16, 64)" in next(b for b in boxes if b.startswith("6: FlattenLike"))
    assert "in_features=64, out_features=32," in next(b for b in boxes if "7: Linear" in b)
    assert not by_class(dot, "parameter")  # listed in their layer's box
    inputs = by_class(dot, "input")  # the patches (x needs no gradient), pad's zeros
    assert inputs and all(dot["cluster_of"][i] == [] for i in inputs)  # outside modules
    # nothing between two layers: each box feeds the next directly
    ids = {text(a["label"]).split(" ")[0]: i for i, a in by_class(dot, "module").items()}
    assert (ids["0:"], ids["1:"], {}) in [(s, t, {}) for s, t, _ in dot["edges"]]


def test_extra_repr_is_wrapped_after_top_level_commas_and_cut_with_the_whole_in_the_tooltip():
    pool = "kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False"
    lines = wrap_arguments(pool)
    assert lines == ["kernel_size=2, stride=2,", "padding=0, dilation=1 …"]
    conv = "1, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1)"
    assert wrap_arguments(conv) == ["1, 8, kernel_size=(3, 3),", "stride=(1, 1), padding=(1, 1)"]
    assert all(len(line) <= EXTRA_WIDTH for line in wrap_arguments("x" * 100 + ", y"))
    assert wrap_arguments("") == []
    _, loss = cnn_loss()
    dot = parse(viz.forward_graph(loss))
    box = next(a for a in by_class(dot, "module").values() if "MaxPoolLike" in a["label"])
    assert "ceil_mode" not in box["label"] and "ceil_mode=False" in box["tooltip"]


def test_modules_cluster_collapse_and_depth_keep_their_meaning():
    _, loss = cnn_loss()
    clustered = parse(viz.forward_graph(loss, modules="cluster"))
    assert not by_class(clustered, "module")
    assert len(clustered["clusters"]) == 11  # Sequential and its ten layers
    assert by_class(clustered, "parameter")
    collapsed = parse(viz.forward_graph(loss, modules="collapse"))
    assert len(by_class(collapsed, "module")) == 10
    whole = parse(viz.forward_graph(loss, modules=0))
    assert [text(label).split(" ")[0] for label in labels(whole)] == ["Sequential"]


def test_a_small_mlp_keeps_its_operators_in_clusters_by_default():
    nn.manual_seed(0)
    model = nn.MLP(4, [8, 8], 3)  # Linear ReLU Linear ReLU Linear: five layers
    loss = nn.cross_entropy(model(Tensor(np.ones((2, 4)))), np.array([0, 2]))
    dot = parse(viz.forward_graph(loss))
    assert not by_class(dot, "module") and len(by_class(dot, "parameter")) == 6


# --------------------------------------------------------------------------------------
# expand=


def test_expand_opens_layers_named_by_path_or_type_and_true_opens_everything():
    _, loss = cnn_loss()
    first = parse(viz.forward_graph(loss, expand="0"))
    assert len(by_class(first, "module")) == 9
    assert any("0: ConvLike" in c.get("label", "") for c in first["clusters"].values())
    both = parse(viz.forward_graph(loss, expand="ConvLike"))
    assert len(by_class(both, "module")) == 8
    assert len([a for a in by_class(both, "operator").values() if "einsum" in a["label"]]) == 2
    listed = parse(viz.forward_graph(loss, expand=["0", "7: Linear"]))
    assert len(by_class(listed, "module")) == 8
    everything = parse(viz.forward_graph(loss, expand=True))
    assert not by_class(everything, "module") and not by_class(everything, "composite")
    assert by_class(everything, "expanded")  # cross-entropy drawn as its primitives


def test_expand_refuses_names_it_cannot_find_and_other_types():
    _, loss = cnn_loss()
    types_then_paths = r"expand='conv9' names no module.*'ConvLike', 'ReLU'.*'0', '1'"
    with pytest.raises(ValueError, match=types_then_paths):
        viz.forward_graph(loss, expand="conv9")
    with pytest.raises(ValueError, match="names no module, scope or fused operator"):
        viz.forward_graph(loss, expand="tanh")  # drawn as one node anyway: nothing to open
    with pytest.raises(TypeError, match="expand must be True, False, a name or a list"):
        viz.forward_graph(loss, expand=3)
    with pytest.raises(TypeError, match="expand must be"):
        viz.gradient_flow(loss, expand=[1])
    with pytest.raises(ValueError, match="modules must be 'auto', 'cluster'"):
        viz.forward_graph(loss, modules="layers")


# --------------------------------------------------------------------------------------
# an unrolled LSTM: time steps fold into runs


def test_an_unrolled_lstm_folds_each_layers_time_steps_into_one_box_with_the_count():
    _, loss = lstm_loss(steps=32)
    figure = viz.forward_graph(loss)
    dot = parse(figure)
    runs = {text(a["label"]).split(" ×")[0]: text(a["label"]) for a in
            by_class(dot, "repeat").values()}
    assert sorted(runs) == ["l0 step", "l1 step"]
    assert "l0 step ×32 → (4, 16) per step 32 steps:" in runs["l0 step"]
    assert "ih0.weight (64, 8)" in runs["l0 step"] and "hh1.bias (64,)" in runs["l1 step"]
    inputs = [text(a["label"]) for a in by_class(dot, "inputs").values()]
    assert inputs == ["x0, x2, …, x32 (4, 8) float64 32 inputs, one per step"]  # x1: h0
    assert all(dot["cluster_of"][i] == [] for i in by_class(dot, "input"))
    assert figure.drawn_nodes <= 20  # was 1,100 operators and variables


def test_runs_are_chains_of_one_module_or_scope_name():
    x = Tensor(np.ones((2, 3)), requires_grad=True, name="x")
    nn.manual_seed(0)
    shared, other = nn.Linear(3, 3), nn.Linear(3, 3)
    with scope("net"):
        h = x
        for _ in range(3):
            h = shared(h)  # one module applied three times in a chain: a run
        chained = other(h)
        side = shared(x) + shared(x * 2)  # two calls side by side: not a run
    graph = Graph.from_outputs(chained.sum() + side.sum())
    runs = find_runs(graph)
    assert [len(run) for run in runs] == [3]
    assert all(s.module is shared for s in runs[0].scopes)
    labels_ = [text(a["label"]) for a in by_class(parse(viz.forward_graph(graph)), "module")
               .values()]
    assert sum(label.startswith("Linear ×3") for label in labels_) == 1
    seq = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 3))  # two modules, one type: no run
    assert find_runs(Graph.from_outputs(seq(x).sum())) == []


def test_expand_a_step_name_opens_its_run_into_one_cluster_per_step():
    _, loss = lstm_loss(steps=8)
    dot = parse(viz.forward_graph(loss, expand="l0 step", max_nodes=None))
    steps = [c for c in dot["clusters"].values() if c.get("label") == "<<B>l0 step</B>>"]
    assert len(steps) == 8
    assert [text(a["label"]).split(" →")[0] for a in by_class(dot, "repeat").values()] == [
        "l1 step ×8"]
    scene = build_scene(Graph.from_outputs(loss))
    assert sorted(len(item.obj) for item in scene.items.values() if item.kind == "repeat") \
        == [8, 8]


# --------------------------------------------------------------------------------------
# attention: its own math folds with its projections


def test_attention_is_one_layer_box_until_expanded():
    _, loss = attention_loss()
    dot = parse(viz.forward_graph(loss, modules="collapse"))
    attention = [text(label) for label in labels(dot) if "AttentionLike" in label]
    assert len(attention) == 2 and "embed_dim=16, num_heads=4," in attention[0]
    assert "in_proj.weight (48, 16)" in attention[0] and "→ (2, 6, 16)" in attention[0]
    assert not any("softmax" in a["label"] for a in by_class(dot, "operator").values())
    opened = parse(viz.forward_graph(loss, modules="collapse", expand="0.self_attn"))
    softmax = [a for a in by_class(opened, "operator").values() if "softmax" in a["label"]]
    assert len(softmax) == 1  # one node for all four heads: heads are an axis


def test_a_long_chain_of_layer_boxes_folds_into_blocks_by_default():
    _, loss = attention_loss()  # two blocks of attention, 2 Linear, residual adds: 22 ranks
    figure = viz.forward_graph(loss)
    dot = parse(figure)
    assert [text(label).split(" ")[0] for label in labels(dot)] == ["0:", "1:"]
    assert figure.notes == ["6 layers drawn in 2 blocks: expand='0' opens one, "
                            "modules='collapse' shows every layer"]
    assert "self_attn.in_proj.weight (48, 16)" in labels(dot)[0]
    first = parse(viz.forward_graph(loss, expand="0"))
    boxes = sorted(text(label).split(":")[0] for label in labels(first))
    assert boxes == ["0.linear1", "0.linear2", "0.self_attn", "1"]


# --------------------------------------------------------------------------------------
# gradient flow on folded layers and steps


def _marks(label):
    return re.findall(r'<FONT COLOR="(#[0-9a-f]{6})">■</FONT>', label)


def test_gradient_flow_paints_each_layer_box_with_its_parameters_and_outputs():
    model, loss = cnn_loss()
    dot = parse(viz.gradient_flow(loss, run_backward=True))
    conv = next(a["label"] for a in by_class(dot, "module").values() if "0: ConvLike" in a["label"])
    grad = model[0].weight.grad.data
    assert f"weight rms {style.number(np.sqrt(np.mean(grad**2)))}" in conv
    assert "output grad rms" in conv
    between = [attrs for source, target, attrs in dot["edges"]
               if source in by_class(dot, "module") and target in by_class(dot, "module")]
    assert len(between) == 9 and all(a["color"] != style.NONE_COLOR for a in between)
    boxes = by_class(dot, "module")  # outlined like the edges leaving them
    for box_id, box in boxes.items():
        leaving = next(a for s, _, a in dot["edges"] if s == box_id)
        assert box["color"] == leaving["color"] and box["color"] != style.MODULE_BORDER


def test_gradient_flow_marks_each_time_step_and_shows_the_gradient_vanishing_back_in_time():
    model, loss = lstm_loss(steps=32)
    dot = parse(viz.gradient_flow(loss, run_backward=True))
    run = next(a["label"] for a in by_class(dot, "repeat").values() if "l1 step" in a["label"])
    marks = _marks(run)[:32]  # the strip; the parameter lines' swatches follow
    assert len(marks) == 32
    luminance = [style.relative_luminance(c) for c in marks]
    assert luminance[0] > luminance[-1]  # step 1 gets a fainter (smaller) gradient

    def rms(*values):  # of what leaves a step: h and c, the last step only h
        grads = np.concatenate([v.grad.data.ravel() for v in values])
        return np.sqrt(np.mean(grads**2))

    layer1 = model.rnn.states[32:]
    first, last = rms(*layer1[0]), rms(layer1[-1][0])
    assert first < 1e-3 * last
    assert f"first {style.number(first)}, last {style.number(last)}" in text(run)


def test_a_run_of_more_steps_than_marks_shares_marks():
    _, loss = lstm_loss(steps=100)
    dot = parse(viz.gradient_flow(loss, run_backward=True, max_nodes=None))
    run = next(a["label"] for a in by_class(dot, "repeat").values() if "l0 step" in a["label"])
    assert "(2 steps a mark)" in run and len(_marks(run)) == 50 + 4  # 4 parameter lines


def test_backward_steps_play_through_folded_layers():
    _, loss = cnn_loss(batch=2)
    steps = viz.backward_steps(loss)
    frame = parse(steps[len(steps) - 1])
    assert len(by_class(frame, "module")) == 10
    assert any(a.get("dir") == "back" for _, _, a in frame["edges"])


# --------------------------------------------------------------------------------------
# sizes: through dot's own output


def _fits(draw):
    """The picture's size within the page, and the scale dot had to shrink it to."""
    width, height = draw().svg_size()
    natural = draw(max_size=None).svg_size()
    return (width, height), min(1.0, PAGE[0] / natural[0], PAGE[1] / natural[1])


@needs_dot
@pytest.mark.parametrize("name", ["forward", "gradient flow"])
def test_a_two_layer_lstm_over_32_steps_fits_a_page(name):
    _, loss = lstm_loss(steps=32)
    if name == "forward":
        def draw(**o):
            return viz.forward_graph(loss, title="a 2-layer LSTM over 32 steps", **o)
    else:
        def draw(**o):
            return viz.gradient_flow(loss, run_backward=True, retain_graph=True, **o)
    (width, height), scale = _fits(draw)
    assert width <= PAGE[0] and height <= PAGE[1]
    assert scale >= 0.7, scale  # readable: shrunk by at most 30 %


@needs_dot
@pytest.mark.parametrize("name", ["cnn", "cnn flow", "attention", "attention flow"])
def test_layered_pictures_fit_a_page_without_options(name):
    _, loss = attention_loss() if name.startswith("attention") else cnn_loss()

    def draw(**o):
        if name.endswith("flow"):
            return viz.gradient_flow(loss, run_backward=True, retain_graph=True, **o)
        return viz.forward_graph(loss, **o)

    (width, height), scale = _fits(draw)
    assert width <= PAGE[0] and height <= PAGE[1]
    assert scale >= 0.6, scale
    assert not math.isnan(scale)


@needs_dot
def test_user_text_in_layer_and_run_boxes_is_escaped():
    class Odd(nn.Module):
        def forward(self, x):
            return x.tanh()

        def extra_repr(self):
            return "fn=<lambda>, path=C:\\new, quote=\"&\""

    odd = Odd()
    h = Tensor(np.ones((2, 3)), requires_grad=True, name="x")
    for _ in range(3):
        with scope("<step>"):
            h = odd(h) * 2
    folded = viz.forward_graph(h.sum())
    assert "<B>&lt;step&gt; ×3</B>" in folded.source
    assert "&lt;step&gt; ×3" in folded.pipe(format="svg", encoding="utf-8")
    opened = viz.forward_graph(h.sum(), modules=1, expand="<step>")  # each Odd call a box
    assert opened.source.count("fn=&lt;lambda&gt;, path=C:\\new,") == 3
    assert "fn=&lt;lambda&gt;" in opened.pipe(format="svg", encoding="utf-8")


@needs_dot
def test_backward_steps_keep_folded_boxes_the_same_size_in_every_frame():
    _, loss = lstm_loss(steps=3)
    steps = viz.backward_steps(loss, modules="collapse")

    def sizes(k):
        layout = json.loads(steps[k].pipe(format="json"))
        return {o["name"]: (o["width"], o["height"]) for o in layout["objects"]
                if o.get("class", "").startswith("module")}

    first, last = sizes(0), sizes(len(steps) - 1)
    assert len(first) == 2 and first == last  # rnn (with its runs) and head


def test_a_box_of_many_parameters_lists_eleven_and_says_how_to_see_the_rest():
    nn.manual_seed(0)
    model = nn.Sequential(*[nn.Linear(2, 2) for _ in range(7)])  # 14 parameters
    loss = model(Tensor(np.ones((1, 2)))).sum()
    for draw in (viz.forward_graph, viz.gradient_flow):
        (box,) = labels(parse(draw(loss, modules=0)))
        assert "7 operators, 14 parameters" in box
        assert "5.weight" in box and "5.bias" not in box
        assert "… 3 more: expand='Sequential' shows them" in text(box)


def test_auto_never_draws_the_whole_model_as_one_box():
    class Deep(nn.Module):  # one module call of 40 operators: no layers inside
        def forward(self, x):
            for _ in range(40):
                x = (x * 0.9).tanh()
            return x

    out = Deep()(Tensor(np.ones(3), requires_grad=True)).sum()
    figure = viz.forward_graph(out, max_nodes=None)
    assert figure.drawn_nodes > 60 and not by_class(parse(figure), "module")
    assert len(by_class(parse(viz.forward_graph(out, modules="collapse")), "module")) == 1


def test_three_step_inputs_are_one_node_naming_all_three():
    _, loss = lstm_loss(steps=3)
    (inputs,) = [text(a["label"]) for a in by_class(parse(viz.forward_graph(loss)), "inputs")
                 .values()]
    names = inputs.split(" (")[0].split(", ")
    assert len(names) == 3 and "…" not in inputs and inputs.endswith("3 inputs, one per step")


def test_an_opened_run_under_collapse_is_the_unrolled_loop_one_box_per_step():
    _, loss = lstm_loss(steps=4)
    dot = parse(viz.forward_graph(loss, modules="collapse", expand="l0 step"))
    steps = [text(label) for label in labels(dot) if text(label).startswith("l0 step")]
    assert len(steps) == 4 and all("×" not in step for step in steps)
    assert "→ (4, 16)" in steps[0]
    assert [text(a["label"]).split(" →")[0] for a in by_class(dot, "repeat").values()] == [
        "l1 step ×4"]
    step_ids = [i for i, a in by_class(dot, "module").items() if "l0 step</B>" in a["label"]]
    chained = [(s, t) for s, t, _ in dot["edges"] if s in step_ids and t in step_ids]
    assert len(chained) == 3  # step t hands its state to step t + 1


def test_modules_refuses_a_float_depth():
    _, loss = cnn_loss()
    with pytest.raises(ValueError, match="modules must be"):
        viz.forward_graph(loss, modules=1.0)


def test_modules_false_draws_no_module_boxes_and_true_or_none_are_refused():
    _, loss = cnn_loss()
    clustered = parse(viz.forward_graph(loss, modules="cluster"))
    flat = parse(viz.forward_graph(loss, modules=False))
    assert not flat["clusters"] and not by_class(flat, "module")
    assert len(by_class(flat, "operator")) == len(by_class(clustered, "operator"))
    assert len(by_class(flat, "parameter")) == len(by_class(clustered, "parameter"))
    # a composite opened by expand= keeps its own dashed box: it is not a module
    opened = parse(viz.forward_graph(loss, modules=False, expand="cross_entropy"))
    assert len(opened["clusters"]) == 1
    for option in (True, None):
        with pytest.raises(ValueError, match="False \\(no module boxes\\)"):
            viz.forward_graph(loss, modules=option)


def test_expand_names_a_fused_operator_to_draw_it_as_its_primitives():
    model, loss = cnn_loss()
    dot = parse(viz.forward_graph(loss, expand="cross_entropy"))
    assert len(by_class(dot, "module")) == 10  # the layers stay folded
    assert by_class(dot, "expanded")  # max-shift, exp, sum, log ... of the fused loss
    assert any("fused operator" in c.get("label", "") for c in dot["clusters"].values())


# --------------------------------------------------------------------------------------
# the real layers: issue 16's nn.Conv2d and pooling, nn.TransformerEncoder


def lenet_loss():
    nn.manual_seed(0)
    rng = np.random.default_rng(0)
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    x = Tensor(rng.normal(size=(16, 1, 8, 8)), name="digits")
    return nn.cross_entropy(model(x), rng.integers(0, 10, 16))


def test_nn_conv2d_layers_are_boxes_with_their_kernel_and_output_shape():
    dot = parse(viz.forward_graph(lenet_loss()))
    boxes = [text(label) for label in labels(dot)]
    assert len(boxes) == 10
    conv = next(b for b in boxes if b.startswith("0: Conv2d"))
    assert "1, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1)" in conv
    assert "→ (16, 8, 8, 8)" in conv and "weight (8, 1, 3, 3)" in conv
    assert "→ (16, 8, 4, 4)" in next(b for b in boxes if b.startswith("2: MaxPool2d"))
    (digits,) = by_class(dot, "input")
    assert dot["cluster_of"][digits] == []




@needs_dot
@pytest.mark.parametrize("name", ["forward", "gradient flow"])
def test_a_lenet_of_nn_layers_fits_a_page_without_options(name):
    loss = lenet_loss()

    def draw(**o):
        if name == "forward":
            return viz.forward_graph(loss, **o)
        return viz.gradient_flow(loss, run_backward=True, retain_graph=True, **o)

    (width, height), scale = _fits(draw)
    assert width <= PAGE[0] and height <= PAGE[1] and scale >= 0.65, scale


@needs_dot
def test_a_two_layer_transformer_encoder_is_two_blocks_that_fit_a_page():
    nn.manual_seed(0)
    layer = nn.TransformerEncoderLayer(d_model=32, nhead=4, dim_feedforward=64,
                                       batch_first=True, dropout=0.0)
    model = nn.TransformerEncoder(layer, num_layers=2)
    loss = (model(Tensor(np.random.default_rng(0).normal(size=(2, 6, 32)))) ** 2).mean()
    figure = viz.gradient_flow(loss, run_backward=True, retain_graph=True)
    assert [text(a).split(":")[0] for a in labels(parse(figure))] == ["layers.0", "layers.1"]
    opened = parse(viz.forward_graph(loss, expand="layers.0"))
    attention = next(text(a) for a in labels(opened) if "MultiheadAttention" in a)
    assert attention.startswith("layers.0.self_attn: MultiheadAttention")
    (width, height), scale = _fits(lambda **o: viz.gradient_flow(loss, **o))
    assert width <= PAGE[0] and height <= PAGE[1] and scale >= 0.9


# --------------------------------------------------------------------------------------
# the real recurrent layers: issue 16's nn.LSTM and nn.GRU (checked against the rnn
# branch before it merged; they run once nn has them)

needs_rnn = pytest.mark.skipif(not hasattr(nn, "LSTM"), reason="nn.LSTM not merged yet")


class LSTMClassifier(nn.Module):
    def __init__(self, input_size=8, hidden=16):
        super().__init__()
        self.lstm = nn.LSTM(input_size, hidden, num_layers=2)
        self.head = nn.Linear(hidden, 4)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out[-1])


def nn_lstm_loss(steps=32):
    nn.manual_seed(0)
    rng = np.random.default_rng(0)
    x = Tensor(rng.normal(size=(steps, 4, 8)), name="sequences")
    return nn.cross_entropy(LSTMClassifier()(x), rng.integers(0, 4, 4))


@needs_rnn
def test_nn_lstm_folds_its_time_steps_and_opens_on_request():
    loss = nn_lstm_loss()
    dot = parse(viz.forward_graph(loss))
    runs = sorted(text(a["label"]).split(" →")[0] for a in by_class(dot, "repeat").values())
    assert runs == ["l0 step ×32", "l1 step ×32"]
    assert len(by_class(dot, "inputs")) == 1  # the 32 slices x[t]: one node
    folded = parse(viz.forward_graph(loss, modules="collapse"))
    lstm = next(text(a) for a in labels(folded) if "lstm: LSTM" in a)
    assert "8, 16, num_layers=2" in lstm and "l0 step ×32 l1 step ×32" in lstm
    assert "weight_ih_l0 (64, 8)" in lstm
    opened = parse(viz.forward_graph(loss, modules="collapse", expand="lstm"))
    assert len(by_class(opened, "repeat")) == 2
    steps = parse(viz.forward_graph(loss, expand="l1 step", max_nodes=None))
    assert sum(c.get("label") == "<<B>l1 step</B>>" for c in steps["clusters"].values()) == 32


@needs_rnn
def test_nn_lstm_gradient_flow_fades_back_through_time():
    dot = parse(viz.gradient_flow(nn_lstm_loss(), run_backward=True))
    for run in (a["label"] for a in by_class(dot, "repeat").values()):
        marks = _marks(run)[:32]
        assert len(marks) == 32
        assert style.relative_luminance(marks[0]) > style.relative_luminance(marks[-1])


@needs_dot
@needs_rnn
@pytest.mark.parametrize("name", ["forward", "gradient flow", "collapsed flow"])
def test_a_two_layer_nn_lstm_over_32_steps_fits_a_page(name):
    loss = nn_lstm_loss()

    def draw(**o):
        if name == "forward":
            return viz.forward_graph(loss, **o)
        modules = "collapse" if name == "collapsed flow" else "auto"
        return viz.gradient_flow(loss, run_backward=True, retain_graph=True, modules=modules,
                                 **o)

    (width, height), scale = _fits(draw)
    assert width <= PAGE[0] and height <= PAGE[1]
    assert scale >= {"forward": 0.75, "gradient flow": 0.6, "collapsed flow": 0.9}[name], scale


@needs_rnn
def test_a_bidirectional_gru_folds_each_direction_of_each_layer():
    nn.manual_seed(0)
    x = Tensor(np.random.default_rng(0).normal(size=(4, 12, 8)), name="x")
    out, _ = nn.GRU(8, 16, num_layers=2, bidirectional=True, batch_first=True)(x)
    dot = parse(viz.forward_graph((out**2).mean()))
    runs = sorted(text(a["label"]).split(" →")[0] for a in by_class(dot, "repeat").values())
    assert runs == ["l0 step ×12", "l0_reverse step ×12", "l1 step ×12",
                    "l1_reverse step ×12"]
    layers = [a for a in by_class(dot, "module").values() if "repeat" not in a["class"]]
    assert not layers  # the GRU alone: no box for the whole model


def test_a_folded_layer_counts_only_its_modules_parameters_not_an_input_that_requires_grad():
    nn.manual_seed(0)
    rnn = nn.RNN(2, 3)  # weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0
    x = Tensor(np.ones((3, 1, 2)), requires_grad=True)
    out, _ = rnn(x)
    source = viz.forward_graph(out.sum()).source
    counts = set(re.findall(r"(\d+) parameters?", source))
    assert counts == {"4"}, counts


# --------------------------------------------------------------------------------------
# A module's state that is not trained (buffers, frozen parameters) is its constant


def test_buffers_and_frozen_parameters_are_drawn_as_constants_inside_their_module():
    """BatchNorm's running statistics in eval mode, and a frozen layer's weight, were drawn
    as blue graph inputs outside every module: they belong to the module, untrained."""
    model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.Linear(3, 2))
    model[2].requires_grad_(False)
    model.eval()
    x = Tensor(np.random.default_rng(0).normal(size=(5, 4)), requires_grad=True, name="x")
    y = model(x).sum()
    graph = Graph.from_outputs(y)
    for state in (model[1].running_mean, model[1].running_var, model[2].weight):
        assert graph.kind_of(state) == "constant"
    dot = parse(viz.forward_graph(y, modules="cluster"))
    for word in ("running_mean", "running_var", "2.weight", "2.bias"):
        (node,) = [i for i, a in dot["nodes"].items() if f"{word}</B>" in a.get("label", "")]
        assert "constant" in dot["nodes"][node]["class"].split(), word
        (user,) = [target for source, target, _ in dot["edges"] if source == node]
        assert dot["cluster_of"][node] == dot["cluster_of"][user], word  # in its module
        assert len(dot["cluster_of"][node]) == 2, word  # Sequential, then the layer
