"""Backpropagation one operator at a time, as a sequence of pictures.

`backward_steps(y)` runs `y.backward()` once with hooks that record, in the engine's own
order, which operator runs at each step, the gradient that reaches it, and each leaf's
total gradient. Each frame then draws the graph with the operator being processed
highlighted, the edges it sends gradients along drawn against the data flow, and every
gradient that is complete so far (all the variable's uses have run) filled in; a variable
whose gradient is still being summed says how many of its uses are in. (The engine sums a
gradient's parts internally, so the partial sums themselves are not shown.) Every frame
has the same layout: gradient text sits in fixed-size cells, so nodes never move.
"""

from __future__ import annotations

import bisect
import html
import math
import secrets
import sys
import time
from pathlib import Path

import numpy as np

from .. import functional
from . import style
from .draw import (
    PROJECTOR,
    Painter,
    _estimate,
    _formula,
    _row,
    as_graph,
    check_max_size,
    check_rankdir,
    paint,
)
from .figure import DotNotFoundError, Figure, _write_atomically, save
from .gradients import GradientPainter
from .scene import DEFAULT_MAX_NODES, build_scene


class _Recorder:
    """Hooks that log the backward pass: the order the engine runs the operator nodes
    in, the gradient reaching each one, and each leaf's total gradient (leaf hooks run
    once, with the sum of every contribution, as in PyTorch)."""

    def __init__(self, graph):
        self.graph = graph
        self.order: list = []
        self.incoming: dict = {}  # node -> gradient of its output
        self.local: dict = {}  # node -> {input index: ∂output/∂input}, for single numbers
        self.leaf_totals: dict = {}  # id(leaf) -> its gradient from this backward

    def node_hook(self, node):
        def hook(grad):
            self.order.append(node)
            self.incoming[node] = _copy(grad)
            self.local[node] = _local_derivatives(node, self.incoming[node])

        return hook

    def leaf_hook(self, leaf):
        def hook(grad):
            self.leaf_totals[id(leaf)] = _copy(grad)

        return hook

    def run(self, grad, retain_graph):
        handles = []
        try:
            for node in self.graph.operators:
                output = self.graph.output_of(node)
                handles.append(functional.register_hook(output, self.node_hook(node)))
            for variable in self.graph.variables:
                if variable.grad_fn is None and variable.requires_grad:
                    handles.append(functional.register_hook(variable, self.leaf_hook(variable)))
            grads = None if grad is None else [grad]
            functional.backward(list(self.graph.outputs), grads, retain_graph=retain_graph)
        finally:
            for handle in handles:
                handle.remove()


def _copy(grad):
    data = getattr(grad, "data", grad)
    return np.array(data, copy=True) if isinstance(data, np.ndarray) else float(data)


def _raw(value):
    """A float or ndarray from a float, an ndarray, a Scalar or a Tensor."""
    if isinstance(value, (np.ndarray, float, int, np.number)):
        return value
    return getattr(value, "data", value)


def _number(value):
    """The value as a float if it is a single number (a float or a size-1 array)."""
    value = _raw(value)
    if isinstance(value, np.ndarray):
        return float(value.reshape(())) if value.size == 1 else None
    return None if value is None else float(value)


def _local_derivatives(node, grad_out) -> dict:
    """∂output/∂input for each single-number input of a single-number operator node, for
    the captions' arithmetic. The hook runs just before the engine runs this node's
    backward, so its saved values are still there: running that backward with a seed
    of 1 gives the local derivatives (a backward is linear in its seed)."""
    if _number(grad_out) is None or not any(v.requires_grad for v in node.inputs):
        return {}
    seed = np.ones_like(grad_out) if isinstance(grad_out, np.ndarray) else 1.0
    with np.errstate(all="ignore"):  # the engine's own call warns, if anything does
        grads = node.op.backward(node, seed)  # on the raw saved values: builds no graph
    grads = grads if isinstance(grads, tuple) else (grads,)
    local = {}
    for i, (variable, grad) in enumerate(zip(node.inputs, grads, strict=False)):
        value = _number(grad) if grad is not None and variable.requires_grad else None
        if value is not None and _number(variable.data) is not None:
            local[i] = value
    return local


class _Timeline:
    """What is known about each variable's gradient after each step: a gradient is
    complete once every operator that uses the variable has run its backward."""

    def __init__(self, graph, recorder):
        self.graph = graph
        self.order = recorder.order
        self.step_of = {node: i + 1 for i, node in enumerate(recorder.order)}
        self.incoming, self.local = recorder.incoming, recorder.local
        self.final = dict(recorder.leaf_totals)
        self.uses: dict = {}  # id(variable) -> the steps of its uses whose backward ran
        for node in graph.operators:
            step = self.step_of.get(node)
            for variable in node.inputs:
                uses = self.uses.setdefault(id(variable), [])
                if step is not None:
                    uses.append(step)
            if step is not None:
                self.final[id(graph.output_of(node))] = recorder.incoming[node]
        for uses in self.uses.values():
            uses.sort()

    def known_at(self, variable, k):
        """(state, value, uses done, uses) after step k; state is "known", "partial"
        (some uses have run), "pending", or "none" (no gradient reaches it)."""
        key = id(variable)
        if key not in self.final:
            return "none", None, 0, 0
        uses = self.uses.get(key, [])
        done = bisect.bisect_right(uses, k)
        if done == len(uses):
            return "known", self.final[key], done, len(uses)
        return ("partial" if done else "pending"), None, done, len(uses)


class StepPainter(GradientPainter):
    """One frame: known gradients filled in, the current operator highlighted."""

    def __init__(self, graph, timeline, k, widths, title_width, legend, rankdir, max_size,
                 fold_widths=None):
        super().__init__(graph, {}, title=None, legend=legend, rankdir=rankdir,
                         max_size=max_size)
        self.timeline, self.k = timeline, k
        self.widths, self.title_width = widths, title_width
        self.fold_widths = fold_widths or {}  # item id -> points, the widest frame's text
        self.node = timeline.order[k - 1] if k >= 1 else None
        self.touched = set() if self.node is None else {
            id(v) for v in self.node.inputs if v.requires_grad}
        for variable in graph.variables:
            state, value, _, _ = timeline.known_at(variable, k)
            self.grads[id(variable)] = value if state == "known" else None

    def grad_cell(self, variable) -> str | None:
        """The gradient as a fixed-size table cell, so every frame has the same layout."""
        state, value, done, uses = self.timeline.known_at(variable, self.k)
        if state == "none":
            return None
        width, height = self.widths[id(variable)]
        if state == "known":
            color = style.magnitude_color(style.magnitude(value))
            body = style.swatch(color) + " " + "<BR/>".join(
                style.escape(t) for t in style.grad_lines(value))
            body = style.small(body, "#000000", 10)
        else:
            body = style.small(style.escape(_waiting_text(state, done, uses)), "#999999", 10)
        return f'<TD FIXEDSIZE="TRUE" WIDTH="{width}" HEIGHT="{height}">{body}</TD>'

    def variable_attrs(self, variable) -> dict:
        attrs = super().variable_attrs(variable)
        rows = [f"<TD>{line}</TD>" for line in Painter.variable_lines(self, variable)]
        cell = self.grad_cell(variable)
        rows += [cell] if cell is not None else [f"<TD>{line}</TD>"
                                                 for line in super().grad_lines(variable)]
        attrs["label"] = ('<<TABLE BORDER="0" CELLPADDING="0" CELLSPACING="0">'
                          + "".join(f"<TR>{row}</TR>" for row in rows) + "</TABLE>>")
        if id(variable) in self.touched or (self.node is not None and variable is
                                            self.graph.output_of(self.node)):
            attrs.update(color=style.HIGHLIGHT, penwidth="3")
        return attrs

    def fold_attrs(self, item) -> dict:
        """A folded layer or run, as wide in every frame as in its widest one (its
        gradient lines read "no grad" early and give numbers later): nodes never move."""
        attrs = super().fold_attrs(item)
        width = self.fold_widths.get(item.id)
        if width is not None and attrs["label"].startswith("<"):
            attrs["label"] = ('<<TABLE BORDER="0" CELLBORDER="0" CELLPADDING="0" '
                              f'CELLSPACING="0"><TR><TD WIDTH="{width}">{attrs["label"][1:-1]}'
                              "</TD></TR></TABLE>>")
        return attrs

    def operator_attrs(self, node) -> dict:
        attrs = super().operator_attrs(node)
        if node is self.node:
            attrs.update(fillcolor=style.HIGHLIGHT_FILL, color=style.HIGHLIGHT, penwidth="3")
        return attrs

    def edge_attrs(self, edge, scene) -> dict:
        current = scene.item_of(self.node) if self.node is not None else None
        ends = {edge.source, edge.target}
        carries = any(v.requires_grad for v in edge.variables)
        if current is not None and current.id in ends and carries:
            return {"color": style.HIGHLIGHT, "penwidth": "3", "dir": "back"}
        ops = [scene.items[i] for i in ends if scene.items[i].kind not in ("variable", "inputs")]
        done = any(self._processed(item) for item in ops)
        if not done:
            return {"color": "#d0d0d0", "penwidth": "0.8"}
        return super().edge_attrs(edge, scene)

    def _processed(self, item) -> bool:
        nodes = item.members if item.kind != "operator" else [item.obj]
        return any(self.timeline.step_of.get(n, 10**9) <= self.k for n in nodes)

    def title_rows(self) -> list:
        text = frame_title(self.graph, self.timeline, self.k)
        lines = "<BR/>".join(style.escape(t) for t in text)
        cell = (f'<TABLE BORDER="0" CELLPADDING="0"><TR><TD FIXEDSIZE="TRUE" ALIGN="LEFT" '
                f'BALIGN="LEFT" WIDTH="{self.title_width}" HEIGHT="{15 * len(text)}">'
                f'<FONT POINT-SIZE="12">{lines}</FONT></TD></TR></TABLE>')
        return [_row(cell)] + super().title_rows()


def frame_title(graph, timeline, k) -> list:
    """Four lines saying what frame k shows: the step, what it receives and where it
    sends it, the step's own arithmetic (single numbers: grad_out × local derivative =
    what each input gets), and the operator's formula."""
    total = len(timeline.order)

    def name(variable):
        return style.printable(graph.name_of(variable), style.NAME_LIMIT)

    out = name(graph.outputs[0])
    if k == 0:
        return [f"backward step 0 of {total}: start", f"∂{out}/∂{out} = 1 (the seed)", "", ""]
    node = timeline.order[k - 1]
    result = name(graph.output_of(node))
    targets = ", ".join(name(v) for v in node.inputs if v.requires_grad)
    grad_out = _number(timeline.incoming[node])
    received = f"∂{out}/∂{result}" + (f" = {style.number(grad_out)}" if grad_out is not None
                                       else "")
    local = timeline.local.get(node, {})
    sums = [f"to {name(node.inputs[i])}: {style.number(grad_out)} × {style.number(d)} = "
            f"{style.number(grad_out * d)}" for i, d in local.items()]
    return [f"backward step {k} of {total}: {node.op.name}",
            f"receives {received}, sends gradients to {targets or 'nothing'}",
            ";  ".join(sums), _formula(node)]


def _waiting_text(state, done, uses) -> str:
    return f"grad: {done} of {uses} uses in" if state == "partial" else "grad ?"


def _text_widths(graph, timeline) -> dict:
    """Per variable, a (width, height) in points that fits every gradient text it shows
    in any frame: "grad ?", each "grad: d of n uses in", and its final gradient. Written
    from the uses directly, so the cost is linear in the graph, not variables × frames."""
    sizes = {}
    for variable in graph.variables:
        state, value, _, uses = timeline.known_at(variable, len(timeline.order))
        texts = [_waiting_text("pending", 0, uses)]
        if uses > 1:
            texts.append(_waiting_text("partial", uses - 1, uses))
        lines = style.grad_lines(value) if state == "known" else []
        longest = max(len(t) for t in texts + lines)
        sizes[id(variable)] = (int(5.8 * longest + 14), 13 * max(1, len(lines)) + 2)
    return sizes


class BackwardSteps:
    """The frames of one backward pass: iterate for Figures (frame 0 is the seed, then
    one per operator; frame_of(v) finds the step of the operator that made v); save()
    writes numbered images, save_html() one paged HTML file. In Jupyter it displays as a
    player with previous/next/play controls."""

    def __init__(self, graph, timeline, scene, legend=True, rankdir=None,
                 max_size=PROJECTOR):
        self.graph, self.timeline, self.scene = graph, timeline, scene
        self.legend, self.rankdir, self.max_size = legend, rankdir, max_size
        self._widths = _text_widths(graph, timeline)
        longest = max(len(line) for k in range(len(self))
                      for line in frame_title(graph, timeline, k))
        self._title_width = int(6.6 * longest + 20)
        self._fold_widths = {}
        folds = [item for item in scene.items.values() if item.kind in ("module", "repeat")]
        for k in (0, len(self) - 1) if folds else ():  # no gradients yet; all of them
            painter = self._painter(k, None)
            for item in folds:
                width = _estimate(painter.fold_attrs(item))[0]
                self._fold_widths[item.id] = max(width, self._fold_widths.get(item.id, 0))

    def __len__(self) -> int:
        return len(self.timeline.order) + 1

    def __getitem__(self, k: int) -> Figure:
        if not -len(self) <= k < len(self):
            raise IndexError(f"backward_steps: frame {k} out of range for {len(self)} frames")
        k %= len(self)
        if self.rankdir is None:  # chosen once, from the fullest frame: nodes never move
            self.rankdir = self._frame(len(self) - 1, None).graph_attr["rankdir"]
        return self._frame(k, self.rankdir)

    def _frame(self, k, rankdir) -> Figure:
        return paint(self.scene, self._painter(k, rankdir))

    def _painter(self, k, rankdir) -> StepPainter:
        return StepPainter(self.graph, self.timeline, k, self._widths, self._title_width,
                           self.legend, rankdir, self.max_size, self._fold_widths)

    def __iter__(self):
        return (self[k] for k in range(len(self)))

    def frame_of(self, variable) -> int:
        """The frame k in which backward runs the operator that made `variable`: the
        step that receives ∂out/∂variable and sends gradients on to its inputs."""
        producer = self.graph.producer_of(variable) if self.graph.contains(variable) else None
        if producer not in self.timeline.step_of:
            what = (f"{self.graph.name_of(variable)!r} is a leaf (or gets no gradient)"
                    if self.graph.contains(variable) else f"{variable!r} is not in the graph")
            raise ValueError(f"backward_steps: frame_of: {what}; only variables made by "
                             "an operator that backward runs have a frame")
        return self.timeline.step_of[producer]

    def save(self, directory, format: str = "svg", prefix: str = "step",  # noqa: A002
             progress=None) -> list:
        """Write frame k to directory/{prefix}_{k:03d}.{format}; returns the paths.
        progress: None reports on stderr once rendering has taken 2 s; True from the
        start; False never."""
        directory = Path(directory)
        paths = []
        report = _Progress("backward_steps: saving frame", len(self), progress)
        for k, figure in enumerate(self):
            paths.append(save(figure, directory / f"{prefix}_{k:03d}.{format}"))
            report(k + 1)
        return paths

    def to_html(self, title: str = "backward, step by step", standalone: bool = True,
                progress=None) -> str:
        """All frames as inline SVG with previous/next/play controls (one HTML file);
        `progress` as for save()."""
        report = _Progress("backward_steps: rendering frame", len(self), progress)
        frames = []
        for k, figure in enumerate(self):
            frames.append(_strip_xml_header(figure.pipe(format="svg", encoding="utf-8")))
            report(k + 1)
        return _player_html(frames, title, standalone)

    def save_html(self, path, title: str = "backward, step by step", progress=None) -> Path:
        """Write the paged player to `path` (a self-contained .html file)."""
        path = Path(path)
        _write_atomically(path, self.to_html(title, progress=progress).encode("utf-8"))
        return path

    def _repr_html_(self):
        try:
            return self.to_html(standalone=False)
        except DotNotFoundError as error:
            return f"<pre>{html.escape(str(error))}</pre>"


class _Progress:
    """`report(done)` writes "what done of total" on one stderr line, at most once a
    second, once `after` seconds have passed (None: 2 s; True: at once; False: never),
    and a final line when done reaches total."""

    def __init__(self, what, total, enabled):
        self.what, self.total = what, total
        self.start = time.perf_counter()
        self.after = {None: 2.0, True: 0.0, False: math.inf}[enabled]
        self.last = -math.inf

    def __call__(self, done):
        now = time.perf_counter()
        if now - self.start < self.after or (now - self.last < 1.0 and done < self.total):
            return
        if self.last == -math.inf and done == self.total and self.after > 0:
            return  # finished before the first report was due: nothing to say
        self.last = now
        end = "\n" if done == self.total else ""
        sys.stderr.write(f"\r{self.what} {done:,} of {self.total:,} "
                         f"({now - self.start:.0f} s){end}")
        sys.stderr.flush()


DEFAULT_MAX_FRAMES = 1000  # a player of more frames is slow to render and to click through


def backward_steps(output, *, grad=None, retain_graph=False, modules="auto",
                   expand=False, max_nodes=DEFAULT_MAX_NODES, legend=True,
                   rankdir=None, max_frames=DEFAULT_MAX_FRAMES,
                   max_size=PROJECTOR) -> BackwardSteps:
    """Run backward from `output` and return its frames, one per backward step.

    This is `output.backward(grad, retain_graph=...)`: leaf gradients accumulate into
    `.grad` as usual; the frames show this pass's gradients only. For the captions'
    arithmetic, each operator whose output is a single number runs its backward once
    more, on a seed of 1 (an operator with side effects in backward sees two calls).
    A graph with more than `max_frames` - 1 operators is refused before backward runs
    (None: no limit). The drawing options are forward_graph's.
    """
    check_rankdir(rankdir)  # bad options fail before backward runs, not at frame 0
    check_max_size(max_size)
    if max_frames is not None and (not isinstance(max_frames, int) or max_frames < 1):
        raise ValueError(f"backward_steps: max_frames must be an int >= 1 or None, got "
                         f"{max_frames!r}")
    graph = as_graph(output)
    if max_frames is not None and len(graph.operators) + 1 > max_frames:
        raise ValueError(
            f"backward_steps: the graph has {len(graph.operators):,} operators, so "
            f"{len(graph.operators) + 1:,} frames (one per backward step and the seed), "
            f"more than max_frames={max_frames:,}. Step through a smaller graph (a "
            "single neuron or layer shows every rule), or pass max_frames=None (or a "
            "larger number) to make them all; backward has not run.")
    scene = build_scene(graph, modules, expand, max_nodes)
    recorder = _Recorder(graph)
    recorder.run(grad, retain_graph)
    return BackwardSteps(graph, _Timeline(graph, recorder), scene, legend, rankdir, max_size)


def _strip_xml_header(svg: str) -> str:
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


_PLAYER_CSS = """
.tg-steps { font-family: Helvetica, Arial, sans-serif; }
.tg-steps .tg-bar { display: flex; gap: 6px; align-items: center; margin: 4px 0; }
.tg-steps button { font-size: 14px; padding: 2px 10px; cursor: pointer; }
.tg-steps .tg-frame { display: none; }
.tg-steps .tg-frame.tg-on { display: block; }
.tg-steps svg { max-width: 100%; height: auto; }
"""

_PLAYER_JS = """
(function () {
  var root = document.getElementById("%(id)s");
  var frames = root.querySelectorAll(".tg-frame");
  var slider = root.querySelector("input"), counter = root.querySelector(".tg-count");
  var play = root.querySelector("[data-act=play]"), k = 0, timer = null;
  function show(i) {
    k = Math.max(0, Math.min(frames.length - 1, i));
    frames.forEach(function (f, j) { f.classList.toggle("tg-on", j === k); });
    slider.value = k; counter.textContent = "step " + k + " of " + (frames.length - 1);
  }
  function stop() { clearInterval(timer); timer = null; play.textContent = "play"; }
  root.querySelector("[data-act=first]").onclick = function () { stop(); show(0); };
  root.querySelector("[data-act=prev]").onclick = function () { stop(); show(k - 1); };
  root.querySelector("[data-act=next]").onclick = function () { stop(); show(k + 1); };
  root.querySelector("[data-act=last]").onclick = function () { stop(); show(frames.length - 1); };
  play.onclick = function () {
    if (timer) { stop(); return; }
    if (k === frames.length - 1) { show(0); }
    play.textContent = "pause";
    timer = setInterval(function () {
      if (k >= frames.length - 1) { stop(); } else { show(k + 1); }
    }, 1200);
  };
  slider.oninput = function () { stop(); show(parseInt(slider.value, 10)); };
  root.addEventListener("keydown", function (e) {
    if (e.key === "ArrowRight") { stop(); show(k + 1); }
    if (e.key === "ArrowLeft") { stop(); show(k - 1); }
  });
  show(0);
})();
"""


def _player_html(frames, title, standalone) -> str:
    # Random, not a counter: a notebook re-run after a kernel restart keeps the old
    # player's HTML on the page, and a counter would restart at the same id.
    element = f"tg-steps-{secrets.token_hex(8)}"
    bar = ('<div class="tg-bar"><button data-act="first">|&lt;</button>'
           '<button data-act="prev">&lt; prev</button><button data-act="play">play</button>'
           '<button data-act="next">next &gt;</button><button data-act="last">&gt;|</button>'
           f'<input type="range" min="0" max="{len(frames) - 1}" value="0">'
           '<span class="tg-count"></span></div>')
    # Frame 0 starts visible, so a page whose scripts do not run still shows a picture.
    body = "".join(f'<div class="tg-frame{" tg-on" if k == 0 else ""}">{svg}</div>'
                   for k, svg in enumerate(frames))
    widget = (f'<style>{_PLAYER_CSS}</style><div class="tg-steps" id="{element}" tabindex="0">'
              f"{bar}{body}</div><script>{_PLAYER_JS % {'id': element}}</script>")
    if not standalone:
        return widget
    return (f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{html.escape(title)}'
            f"</title></head><body><h3>{html.escape(title)}</h3>{widget}</body></html>\n")
