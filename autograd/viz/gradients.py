"""Gradient flow: the graph after backward, and a per-parameter gradient table.

Where the gradients come from: backward keeps only leaf gradients (PyTorch's semantics),
so `gradient_flow(y, run_backward=True)` calls `retain_grad()` on every intermediate
variable of the graph and then runs `backward` — exactly `y.backward()`, leaf gradients
accumulate as usual, plus every intermediate keeps its `.grad`. Without run_backward the
picture shows whatever `.grad` the variables already hold.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .. import functional
from . import style
from .draw import PROJECTOR, Painter, _row, as_graph, legend_row, paint, swatch_cell
from .figure import Figure
from .scene import DEFAULT_MAX_NODES, build_scene


def gradients_of(graph) -> dict:
    """{id(variable): its .grad as a float or ndarray, or None} for every variable."""
    return {id(v): style.grad_array(v) for v in graph.variables}


def run_backward_retaining(graph, grad=None, retain_graph=False) -> None:
    """backward from the graph's outputs, keeping every intermediate variable's gradient."""
    for variable in graph.variables:
        if variable.grad_fn is not None and variable.requires_grad:
            variable.retain_grad()
    grads = None if grad is None else (grad if isinstance(grad, list) else [grad])
    functional.backward(list(graph.outputs), grads, retain_graph=retain_graph)


class GradientPainter(Painter):
    """Each variable shows its gradient; edges are coloured and widened by the gradient
    magnitude of the variable they connect to (|grad| for one number, else the RMS, as
    the box prints it), on a log scale with a legend."""

    def __init__(self, graph, grads, title=None, legend=True, rankdir=None, highlight=None,
                 max_size=PROJECTOR):
        super().__init__(graph, title=title, legend=legend, rankdir=rankdir,
                         highlight=highlight, max_size=max_size)
        self.grads = grads

    def variable_lines(self, variable) -> list:
        lines = super().variable_lines(variable)
        return lines + self.grad_lines(variable)

    def grad_lines(self, variable) -> list:
        grad = self.grads.get(id(variable))
        if grad is None:
            why = "no gradient" if not variable.requires_grad else "grad not kept"
            return [style.small(f"<I>{why}</I>", "#999999")]
        color = style.magnitude_color(style.magnitude(grad))
        text = [style.escape(line) for line in style.grad_lines(grad)]
        return [style.swatch(color) + " " + style.small(text[0], "#000000", 10)] + \
            [style.small(line, "#000000", 10) for line in text[1:]]

    def fold_lines(self, item, params) -> list:
        lines = []
        for param in params:
            name = self.local_name(item, param)
            grad = self.grads.get(id(param))
            if grad is None:
                lines.append(style.swatch(style.NONE_COLOR) + " "
                             + style.small(f"{style.name(name)}: no grad", "#999999"))
                continue
            color = style.magnitude_color(style.magnitude(grad))
            text = style.name(name) + " " + style.escape(style.grad_lines(grad, one_line=True)[0])
            lines.append(style.swatch(color) + " " + style.small(text, "#000000"))
        return lines

    def fold_attrs(self, item) -> dict:
        """A layer or run box outlined in the colour and width of the gradient reaching its
        outputs, like the edges: a layer whose gradient vanishes fades out."""
        attrs = super().fold_attrs(item)
        if item.kind in ("module", "repeat") and "penwidth" not in attrs:
            size = joint_magnitude([self.grads.get(id(v)) for v in item.outputs])
            if size is not None:
                attrs.update(color=style.magnitude_color(size),
                             penwidth=str(max(1.0, style.magnitude_width(size))))
        return attrs

    def output_lines(self, item) -> list:
        """A fold's output shape, then the gradient reaching its outputs; a run's as one
        mark per step (earliest first), so gradients vanishing over time show as a fade."""
        lines = super().output_lines(item)
        if item.kind == "repeat":
            return lines + self.step_lines(item.obj)
        size = joint_magnitude([self.grads.get(id(v)) for v in item.outputs])
        if not item.outputs:
            return lines
        if size is None:
            return lines + [style.swatch(style.NONE_COLOR) + " "
                            + style.small("<I>output: no gradient</I>", "#999999")]
        text = style.escape(f"output grad rms {style.number(size)}")
        return lines + [style.swatch(style.magnitude_color(size)) + " "
                        + style.small(text, "#000000")]

    def runs_lines(self, item) -> list:
        """Each run of time steps inside a folded module, with its gradient strip."""
        lines = []
        for run in item.runs:
            lines.append(style.small(style.escape(f"{run.first.name} ×{len(run)}"), "#222222"))
            lines += self.step_lines(run)
        return lines

    def step_lines(self, run) -> list:
        if not run.step_outputs:
            return []
        sizes = [joint_magnitude([self.grads.get(id(v)) for v in outputs])
                 for outputs in run.step_outputs]
        per_mark = math.ceil(len(sizes) / STEP_MARKS)
        marks = [_largest(sizes[i:i + per_mark]) for i in range(0, len(sizes), per_mark)]
        rows = ["".join(f'<FONT COLOR="{style.magnitude_color(m)}">■</FONT>'
                        for m in marks[i:i + MARKS_PER_LINE])
                for i in range(0, len(marks), MARKS_PER_LINE)]
        what = "output grad by step" + (f" ({per_mark} steps a mark)" if per_mark > 1 else "")
        ends = (f"first {_number_or_none(sizes[0])}, last {_number_or_none(sizes[-1])}")
        return ([style.small(style.escape(what + ":"), "#000000")]
                + [f'<FONT POINT-SIZE="8">{row}</FONT>' for row in rows]
                + [style.small(style.escape(ends), "#000000")])

    def edge_magnitude(self, edge):
        sizes = [style.magnitude(self.grads.get(id(v))) for v in edge.variables]
        sizes = [m for m in sizes if m is not None]
        if not sizes:
            return None
        return math.nan if any(math.isnan(m) for m in sizes) else max(sizes)

    def edge_attrs(self, edge, scene) -> dict:
        size = self.edge_magnitude(edge)
        tip = "no gradient" if size is None else f"gradient rms {style.number(size)}"
        return {"color": style.magnitude_color(size), "penwidth": str(style.magnitude_width(size)),
                "style": style.magnitude_style(size), "tooltip": tip}

    def legend_rows(self) -> list:
        return super().legend_rows() + scale_legend()


STEP_MARKS = 64  # a run's gradient strip: at most this many marks (longer runs share)
MARKS_PER_LINE = 32


def joint_magnitude(grads) -> float | None:
    """The RMS over every element of several gradients together (None ones skipped;
    None if all are), nan if any is nan or inf: a fold's outputs measured as one."""
    arrays = [np.asarray(g, dtype=np.float64).ravel() for g in grads if g is not None]
    if not arrays:
        return None
    return style.magnitude(np.concatenate(arrays))


def _largest(sizes):
    known = [m for m in sizes if m is not None]
    if not known:
        return None
    return math.nan if any(math.isnan(m) for m in known) else max(known)


def _number_or_none(size) -> str:
    return "no grad" if size is None else style.number(size)


def scale_legend() -> list:
    """The colour scale as two legend lines: what the colour measures, then swatches
    from vanishing to exploding and the three special styles."""
    low, high = int(math.log10(style.SCALE_LOW)), int(math.log10(style.SCALE_HIGH))
    marks = [(swatch_cell(style.magnitude_color(10.0 ** e)), f"1e{e}")
             for e in range(low, high + 1, 2)]
    special = [(swatch_cell(style.ZERO_COLOR), "0 (dotted)"),
               (swatch_cell(style.NONE_COLOR), "none (dashed)"),
               (swatch_cell(style.NAN_COLOR), "nan/inf")]
    what = ("colour and width = the gradient number printed beside ■ (rms for an array), "
            "log scale")
    return [_row(style.small(style.escape(what), "#222222", 10)),
            legend_row(marks, lead="vanishing", tail="exploding"), legend_row(special)]


def _notes(graph, grads) -> list:
    needing = [v for v in graph.variables if v.requires_grad]
    if needing and all(grads.get(id(v)) is None for v in needing):
        return ["no gradients yet: call backward() first, or pass run_backward=True"]
    lost = [v for v in needing if v.grad_fn is not None and grads.get(id(v)) is None]
    if lost:
        return [f"{len(lost)} intermediate gradients were not kept (backward keeps leaf "
                "gradients only): pass run_backward=True, or retain_grad() before backward"]
    return []


def gradient_flow(output, *, run_backward=False, grad=None, retain_graph=False,
                  modules="auto", expand=False, max_nodes=DEFAULT_MAX_NODES, title=None,
                  legend=True, rankdir=None, highlight=None, max_size=PROJECTOR) -> Figure:
    """The graph behind `output` with every variable's gradient, edges coloured and
    thickened by gradient magnitude (the RMS of the gradient's elements, log scale from
    1e-7 to 1e3) so vanishing and exploding gradients stand out; dotted edges carry an
    exactly zero gradient, dashed ones none, magenta ones nan or inf.

    run_backward=True runs backward first (keeping intermediate gradients, see the module
    docstring); `grad` and `retain_graph` are passed to it. The other options are
    forward_graph's.
    """
    graph = as_graph(output)
    scene = build_scene(graph, modules, expand, max_nodes)  # bad options fail before backward
    painter = GradientPainter(graph, {}, title=title, legend=legend, rankdir=rankdir,
                              max_size=max_size,
                              highlight=highlight)
    if run_backward:
        run_backward_retaining(graph, grad, retain_graph)
    grads = painter.grads = gradients_of(graph)
    return paint(scene, painter, notes=_notes(graph, grads))


# --------------------------------------------------------------------------------------
# the table


class GradientRow(NamedTuple):
    name: str
    shape: tuple
    norm: float | None  # ‖grad‖₂
    rms: float | None  # ‖grad‖₂ / √size
    max_abs: float | None
    param_norm: float
    flag: str  # "", "no grad", "nan/inf", "zero", "vanishing", "exploding"


def _flag(rms) -> str:
    if rms is None:
        return "no grad"
    if math.isnan(rms):
        return "nan/inf"
    if rms == 0:
        return "zero"
    if rms < style.VANISHING:
        return "vanishing"
    return "exploding" if rms > style.EXPLODING else ""


def _row_for(name, parameter) -> GradientRow:
    data = np.asarray(getattr(parameter, "data", parameter), dtype=np.float64)
    shape = getattr(parameter, "shape", ())
    grad = style.grad_array(parameter)
    param_norm = float(np.linalg.norm(data.ravel()))
    if grad is None:
        return GradientRow(name, shape, None, None, None, param_norm, "no grad")
    g = np.asarray(grad, dtype=np.float64).ravel()
    rms = style.magnitude(grad)
    norm = float(np.linalg.norm(g)) if np.isfinite(g).all() else math.nan
    max_abs = float(np.abs(g).max()) if g.size else 0.0
    return GradientRow(name, shape, norm, rms, max_abs, param_norm, _flag(rms))


class GradientTable:
    """Per-parameter gradient sizes for one backward; str() is a text table."""

    def __init__(self, rows):
        self.rows = list(rows)

    def __iter__(self):
        return iter(self.rows)

    def __len__(self):
        return len(self.rows)

    def __str__(self):
        header = ("parameter", "shape", "‖grad‖", "rms", "max |g|", "‖param‖",
                  "‖grad‖/‖param‖", "")
        body = [header] + [self._cells(row) for row in self.rows]
        widths = [max(len(r[i]) for r in body) for i in range(len(header))]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip()
                 for r in body]
        flagged = [r for r in self.rows if r.flag]
        lines.append(f"{len(flagged)} of {len(self.rows)} parameters flagged"
                     f" (vanishing: rms < {style.VANISHING:g}, exploding: rms > "
                     f"{style.EXPLODING:g})")
        return "\n".join(lines)

    __repr__ = __str__

    @staticmethod
    def _cells(row) -> tuple:
        def fmt(x):
            return "-" if x is None else f"{x:.3e}"

        ratio = None
        if row.norm is not None and row.param_norm > 0:
            ratio = row.norm / row.param_norm
        return (row.name, str(row.shape), fmt(row.norm), fmt(row.rms), fmt(row.max_abs),
                fmt(row.param_norm), fmt(ratio), row.flag)


def gradient_table(source) -> GradientTable:
    """Gradient norms per parameter: of a model (anything with named_parameters(), such
    as an nn.Module), or of the parameters (leaves that require grad) in the graph behind
    an output or a Graph. Run it after backward (or after gradient_flow(...,
    run_backward=True)); parameters without a gradient are listed as "no grad"."""
    named = getattr(source, "named_parameters", None)
    if callable(named):
        return GradientTable(_row_for(name, p) for name, p in named())
    graph = as_graph(source)
    return GradientTable(_row_for(graph.name_of(p), p) for p in graph.parameters)
