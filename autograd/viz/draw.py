"""Turning a scene into a Figure: the forward graph and the gradient flow.

Variables are boxes (name, shape, dtype, value), operators circles, as in the study text's
computation-graph figure; edges follow the data flow, left to right. A Painter decides how
each item looks; the gradient-flow and backward-step painters only override a few methods.
"""

from __future__ import annotations

import html
import re

import numpy as np

from ..graph import Graph, dtype_of, format_value, operator_params, shape_of
from . import style
from .expand import expansion
from .figure import Figure
from .folds import Run, module_path
from .scene import DEFAULT_MAX_NODES, build_scene, ranks

RANKDIRS = ("LR", "TB", "BT", "RL")  # rankdir=None chooses LR or TB, whichever fits better
PROJECTOR = (1000, 1400)  # px, width × height a projected notebook shows without scrolling
PX_PER_POINT = 4 / 3  # browsers draw Graphviz's points (1/72 in) at 96 px per inch
MEDIUM, LARGE = 300, 1000  # node counts from which layout trades polish for speed (_layout)
TITLE_LIMIT = 160  # characters of a title shown above a picture


def check_rankdir(rankdir):
    if rankdir is not None and rankdir not in RANKDIRS:
        raise ValueError(f"viz: rankdir must be one of {', '.join(RANKDIRS)} or None "
                         f"(choose), got {rankdir!r}")


def check_max_size(max_size):
    """max_size as a (width, height) tuple of positive pixels, or None."""
    if max_size is None:
        return None
    try:
        width, height = max_size
        good = width > 0 and height > 0
    except (TypeError, ValueError):
        good = False
    if not good:
        raise ValueError(f"viz: max_size must be (width, height) in pixels, both > 0, or "
                         f"None (no limit), got {max_size!r}")
    return (width, height)


class Painter:
    """How the forward graph looks. Subclasses add gradients and highlights."""

    legend_kinds = ("input", "parameter", "constant", "output")

    def __init__(self, graph, title=None, legend=True, rankdir=None, highlight=None,
                 max_size=PROJECTOR):
        check_rankdir(rankdir)
        self.max_size = check_max_size(max_size)
        self.graph = graph
        self.title = title
        self.legend = legend
        self.rankdir = rankdir
        if highlight is not None and not isinstance(highlight, (list, tuple, set)):
            highlight = [highlight]
        self.highlight = {id(thing) for thing in highlight or ()}
        drawn = {id(thing) for thing in (*graph.operators, *graph.variables)}
        for thing in highlight or ():
            if id(thing) not in drawn:  # e.g. a node of an earlier run's graph
                raise ValueError(f"viz: highlight={thing!r} is not a node or variable of this "
                                 "graph; pass one from the graph being drawn (e.g. "
                                 "report.failed_node with report.outputs)")

    def lit(self, attrs, things) -> dict:
        """attrs, in the highlight colours if any of `things` is to be highlighted."""
        if any(id(thing) in self.highlight for thing in things):
            attrs.update(color=style.HIGHLIGHT, penwidth="3")
            if attrs.get("shape") != "box":
                attrs["fillcolor"] = style.HIGHLIGHT_FILL
        return attrs

    # -- variables ----------------------------------------------------------------------

    def variable_lines(self, variable) -> list:
        graph = self.graph
        kind = graph.kind_of(variable)
        name = style.name(graph.name_of(variable))
        data = getattr(variable, "data", None)
        values = [style.escape(line) for line in style.value_lines(_as_value(data))]
        if kind == "constant" and shape_of(variable) == () and not variable.name:
            return values or [name]
        head = f"<B>{name}</B>"
        if hasattr(variable, "shape"):  # Scalars are plain floats: no shape or dtype
            head += "  " + style.small(style.escape(
                style.shape_text(shape_of(variable), dtype_of(variable))))
        return [head] + [style.small(v, "#222222", 10) for v in values]

    def variable_attrs(self, variable) -> dict:
        kind = self.graph.kind_of(variable)
        attrs = {"shape": "box", "style": "filled", "class": f"variable {kind}"}
        attrs.update(style.KIND_STYLE[kind])
        if kind == "constant":
            attrs.update(style="filled,dashed", fontsize="10")
        if kind == "output":
            attrs["peripheries"] = "2"
        attrs["label"] = style.html_label(self.variable_lines(variable))
        return self.lit(attrs, [variable])

    # -- operators ----------------------------------------------------------------------

    def operator_attrs(self, node) -> dict:
        name = node.op.name
        attrs = {"shape": "circle", "style": "filled", "fillcolor": style.OPERATOR_FILL,
                 "color": style.OPERATOR_BORDER, "label": f"<{operator_label(node)}>",
                 "margin": "0.02" if node.op.display(node) else "0.03", "width": "0.35",
                 "class": f"operator op-{_css(name)}",
                 "tooltip": style.plain(_formula(node) + _param_tip(node))}
        return self.lit(attrs, [node])

    def fold_attrs(self, item) -> dict:
        if item.kind == "composite":
            return self.composite_attrs(item)
        run = item.obj if item.kind == "repeat" else None
        scope_ = run.first if run is not None else item.obj
        label = self.graph.scope_label(scope_)
        title = style.name(label) + (f" ×{len(run)}" if run is not None else "")
        owned = _owned_parameters(scope_)
        params = [v for v in item.hidden if self.graph.kind_of(v) == "parameter"
                  and (owned is None or id(v) in owned)]
        ops = len(item.members)
        detail = f"{ops} operator{'s' if ops != 1 else ''}"
        if params:
            detail += f", {len(params)} parameter{'s' if len(params) != 1 else ''}"
        if run is not None:
            detail = f"{len(run)} steps: {detail}"
        arguments = extra_repr_text(scope_.module)
        lines = [f"<B>{title}</B>"]
        lines += [style.small(style.escape(line), "#333333") for line in wrap_arguments(arguments)]
        name = module_path(self.graph, scope_) or scope_.name
        shown = params if len(params) <= PARAMS_SHOWN else params[:PARAMS_SHOWN - 1]
        lines += self.output_lines(item) + self.runs_lines(item)
        lines += [style.small(detail)] + self.fold_lines(item, shown)
        if len(shown) < len(params):
            lines.append(style.small(style.escape(
                f"… {len(params) - len(shown)} more: expand={name!r} shows them")))
        tip = f"{label}({arguments})" if arguments else label
        tip += f"; {detail}; expand={name!r} draws " + ("its steps" if run else "its operators")
        attrs = {"shape": "box3d", "style": "filled", "fillcolor": style.MODULE_FILL,
                 "color": style.MODULE_BORDER, "class": "module", "margin": "0.12,0.08",
                 "label": style.html_label(lines), "tooltip": style.plain(tip)}
        if run is not None:
            attrs.update(fillcolor=style.REPEAT_FILL, peripheries="2",
                         **{"class": "module repeat"})
        return self.lit(attrs, item.members + item.hidden)

    def composite_attrs(self, item) -> dict:
        scope_ = item.obj
        ops = len(item.members)
        name = _break_name(self.graph.scope_label(scope_))
        attrs = {"shape": "doublecircle", "style": "filled",
                 "fillcolor": style.OPERATOR_FILL, "color": style.OPERATOR_BORDER,
                 "class": "operator composite", "margin": "0.02",
                 "label": f'<<FONT POINT-SIZE="9">{name}</FONT>>',
                 "tooltip": style.plain(f"{self.graph.scope_label(scope_)}: {ops} operator"
                                        f"{'s' if ops != 1 else ''}; expand=True draws them")}
        return self.lit(attrs, item.members)

    def output_lines(self, item) -> list:
        """The shape a fold hands on ("→ (64, 8, 28, 28)"; a run's: per step)."""
        run = item.obj if item.kind == "repeat" else None
        outputs = run.step_outputs[0] if run is not None and run.step_outputs else item.outputs
        text = outputs_text([v for v in outputs if self.graph.kind_of(v) != "output"])
        if not text:
            return []
        return [style.small(style.escape("→ " + text + (" per step" if run else "")),
                            "#222222")]

    def runs_lines(self, item) -> list:
        """The runs of time steps inside a folded module ("l0 step ×32  l1 step ×32")."""
        entries = [f"{run.first.name} ×{len(run)}" for run in item.runs]
        return [style.small(style.escape(line), "#222222") for line in pack(entries, PARAMS_WIDTH)]

    def fold_lines(self, item, params) -> list:
        """The parameters of a folded module with their shapes, packed a few to a line
        (the gradient painter shows each one's gradient instead)."""
        entries = [self.local_name(item, p) + (f" {shape_of(p)}" if hasattr(p, "shape") else "")
                   for p in params]
        return [style.small(style.escape(line)) for line in pack(entries, PARAMS_WIDTH)]

    def local_name(self, item, param) -> str:
        """A folded module's parameter named inside the module: weight, not layers.0.weight
        (a run's: inside the module around it, weight_ih_l0, not rnn.weight_ih_l0)."""
        scope_ = item.obj.first if item.kind == "repeat" else item.obj
        name = self.graph.name_of(param)
        for outer in reversed(scope_.chain()):
            path = module_path(self.graph, outer)
            if path and name.startswith(path + "."):
                return name[len(path) + 1:]
        return name

    def inputs_attrs(self, item) -> dict:
        """A fold's many inputs of one shape (a run's x[t]) as one box: "x0, x2, …, x32",
        the shape, how many there are."""
        first, count = item.hidden[0], len(item.hidden)
        ends = item.hidden if count <= 3 else [item.hidden[0], item.hidden[1], None,
                                                 item.hidden[-1]]
        names = ", ".join("…" if v is None else style.name(self.graph.name_of(v)) for v in ends)
        head = f"<B>{names}</B>  " + style.small(style.escape(
            style.shape_text(shape_of(first), dtype_of(first))))
        steps = len(item.obj) if isinstance(item.obj, Run) else 0
        what = f"{count} inputs" + (", one per step" if count == steps else "")
        attrs = {"shape": "box", "style": "filled", "class": "variable input inputs",
                 "label": style.html_label([head, style.small(style.escape(what))])}
        attrs.update(style.KIND_STYLE["input"])
        attrs["peripheries"] = "2"
        return self.lit(attrs, item.hidden)

    def summary_attrs(self, item) -> dict:
        counts = item.obj or {}
        top = ", ".join(f"{style.escape(n)} ×{c}" for n, c in counts.most_common(4))
        lines = [f"<B>⋯ {len(item.members)} operators, {len(item.hidden)} variables "
                 "not drawn</B>", style.small(top), style.small("max_nodes=None draws all")]
        return {"shape": "note", "style": "filled", "fillcolor": style.SUMMARY_FILL,
                "color": "#b8a040", "class": "summary", "label": style.html_label(lines)}

    # -- edges and the graph ------------------------------------------------------------

    def edge_attrs(self, edge, scene) -> dict:
        return {}

    def title_rows(self) -> list:
        rows = []
        if self.title:
            title = style.escape(self.title, TITLE_LIMIT)
            rows.append(_row(f'<FONT POINT-SIZE="13"><B>{title}</B></FONT>'))
        return rows + (self.legend_rows() if self.legend else [])

    def legend_rows(self) -> list:
        present = {self.graph.kind_of(v) for v in self.graph.variables}
        return [legend_row([(_kind_swatch(k), style.KIND_LEGEND[k])
                            for k in self.legend_kinds if k in present])]


def _row(content: str) -> str:
    return f'<TR><TD ALIGN="LEFT" BALIGN="LEFT">{content}</TD></TR>'


SWATCH, GAP, SPACING = 11, 14, 2  # legend geometry in points
EM = 0.62  # a label cell's width per character, in font sizes: wider than Helvetica's
# average (about 0.5), so a viewer drawing the SVG with a wider font still fits each label


def swatch_cell(fill: str, border: str | None = None) -> str:
    """A legend swatch: a table cell filled with the colour. A drawn box, not a ■ glyph,
    so its place does not depend on the viewer's fonts."""
    edge = f' BORDER="1" COLOR="{border}"' if border else ""
    return (f'<TD FIXEDSIZE="TRUE" WIDTH="{SWATCH}" HEIGHT="{SWATCH}" BGCOLOR="{fill}"'
            f"{edge}></TD>")


def _kind_swatch(kind: str) -> str:
    look = style.KIND_STYLE[kind]
    return swatch_cell(look["fillcolor"], look["color"])


def legend_row(entries, lead: str = "", tail: str = "") -> str:
    """One legend line, a title row: every swatch and every label in a fixed-size cell of
    its own, each label's cell wider than the text needs, so a viewer whose font is wider
    than the one dot measured cannot run a label into the next swatch. (Fixed sizes also
    stop dot stretching the line to the picture's width.)"""
    cells, width = [], 0

    def text(words, size):
        nonlocal width
        cell = int(EM * size * len(words)) + 4
        width += cell + SPACING
        return (f'<TD FIXEDSIZE="TRUE" WIDTH="{cell}" HEIGHT="{SWATCH + 3}" ALIGN="LEFT">'
                f'{style.small(style.escape(words), "#222222", size)}</TD>')

    if lead:
        cells.append(text(lead, 10))
    for swatch, label in entries:
        cells += [swatch, text(label, 9), f'<TD FIXEDSIZE="TRUE" WIDTH="{GAP}" HEIGHT="1"></TD>']
        width += SWATCH + GAP + 2 * SPACING
    if tail:
        cells.append(text(tail, 10))
    table = (f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="{SPACING}" CELLPADDING="0">'
             f'<TR>{"".join(cells)}</TR></TABLE>')
    # The title table pads each cell by 1 point on every side.
    return (f'<TR><TD ALIGN="LEFT" FIXEDSIZE="TRUE" WIDTH="{width + SPACING + 2}" '
            f'HEIGHT="{SWATCH + 3 + 2 * SPACING + 2}">{table}</TD></TR>')


def operator_label(node) -> str:
    """The text inside an operator's circle: the operator's symbol for this node (×, @,
    (·)², (·)ᵀ; Operator.display), which stands for its parameters too, or the name (long
    names broken at an underscore) with short parameters such as axis=1 below. A glyph
    never uses a letter, which a reader would take for a variable."""
    symbol = node.op.display(node)
    if symbol:
        return f'<FONT POINT-SIZE="{_SYMBOL_SIZES.get(len(symbol), 13)}">' \
               f'{style.escape(symbol)}</FONT>'
    name, params = node.op.name, dict(_params(node))
    main = f'<FONT POINT-SIZE="{9 if len(name) > 6 else 10}">{_break_name(name)}</FONT>'
    extras = [key if value is True else f"{key}={_param(value)}"
              for key, value in params.items()]
    extras = [style.escape(e) for e in extras if len(e) <= 14]
    return main + ("<BR/>" + style.small("<BR/>".join(extras), size=8) if extras else "")


_SYMBOL_SIZES = {1: 14}  # points by length: "+" and "@" large, "(·)²" and "[ ]" less


EXTRA_WIDTH, EXTRA_LINES = 34, 2  # a layer box's extra_repr: characters a line, lines
PARAMS_WIDTH = 40  # characters of a layer box's parameter line
PARAMS_SHOWN = 12  # a box of more parameters (a block of layers) lists the first 11


def _owned_parameters(scope_):
    """ids of the parameters of the module nearest to `scope_` (a time step's scope sits
    inside its layer's), or None when no enclosing scope belongs to such a module: a leaf
    that requires grad counts as the box's parameter only when the module owns it, so an
    input with requires_grad=True is not listed as one."""
    for outer in reversed(scope_.chain()):
        parameters = getattr(outer.module, "parameters", None)
        if callable(parameters):
            return {id(p) for p in parameters()}
    return None


def extra_repr_text(module) -> str:
    """A module's `extra_repr()` on one line (PyTorch's convention: what its repr shows
    inside the parentheses), or "" for a scope without a module or a module without one."""
    method = getattr(module, "extra_repr", None)
    if module is None or not callable(method):
        return ""
    return " ".join(str(method()).split())


def wrap_arguments(text, width=EXTRA_WIDTH, max_lines=EXTRA_LINES) -> list:
    """An argument list ("1, 8, kernel_size=(3, 3), stride=(1, 1)") on lines of at most
    `width` characters, broken only after a comma outside brackets, so "(3, 3)" stays
    whole; past `max_lines` lines the last one ends in "…" (the tooltip has it all)."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += (char in "([{") - (char in ")]}")
        if char == "," and depth <= 0:
            parts.append(text[start:i + 1].strip())
            start = i + 1
    parts = [part for part in parts + [text[start:].strip()] if part]
    lines = pack(parts, width, " ")
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][:width - 2].rstrip(",") + " …"
    return lines


def pack(parts, width, separator="  ") -> list:
    """`parts` joined by `separator` into as few lines of at most `width` characters as
    fit; a part longer than a line is cut with "…"."""
    lines = []
    for part in parts:
        part = part if len(part) <= width else part[:width - 1] + "…"
        if lines and len(lines[-1]) + len(separator) + len(part) <= width:
            lines[-1] += separator + part
        else:
            lines.append(part)
    return lines


def outputs_text(outputs, limit: int = 2) -> str:
    """The distinct shapes among `outputs` ("(64, 8, 28, 28)"), at most `limit`."""
    shapes = list(dict.fromkeys(shape_of(v) for v in outputs if hasattr(v, "shape")))
    if not shapes:
        return ""
    text = ", ".join(str(shape) for shape in shapes[:limit])
    return text + (f" +{len(shapes) - limit} more" if len(shapes) > limit else "")


def _break_name(name: str) -> str:
    """A long snake_case name on two lines (log_<BR/>softmax), escaped."""
    text = style.name(name)
    return text.replace("_", "_<BR/>", 1) if len(name) > 7 and "_" in name else text


def _param_tip(node) -> str:
    params = _params(node)
    return ("; " + ", ".join(f"{k}={_param(v)}" for k, v in params)) if params else ""


def _as_value(data):
    """A variable's data as a float or ndarray."""
    if isinstance(data, np.ndarray) or data is None:
        return data
    return float(data)


def _params(node):
    return operator_params(node)


def _param(value) -> str:
    text = format_value(value)
    return text if len(text) <= 24 else text[:21] + "..."


def _css(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name[:style.NAME_LIMIT])


def _formula(node) -> str:
    """The first line of the operator's docstring that gives its derivative."""
    doc = node.op.__doc__ or ""
    for line in doc.splitlines():
        if "∂" in line or "grad_" in line:
            return line.strip()
    return node.op.name


# --------------------------------------------------------------------------------------
# emitting DOT


def _layout(size: int) -> dict:
    """Graph attributes by node count. dot's cost is crossing minimisation (mclimit) and
    network-simplex placement (nslimit), both superlinear, and long edges multiply the
    nodes placement works on. Under MEDIUM nodes dot runs with its full defaults; up to
    LARGE it caps both passes; from LARGE on it also draws straight edges and skips the
    final crossing pass, which keeps a 2,000-node graph to seconds where the defaults take
    30 s or more on graphs with many long edges (benchmarks/render_bench.py measures it)."""
    attrs = {"rankdir": "LR", "fontname": style.FONT, "nodesep": "0.18", "ranksep": "0.3",
             "labelloc": "t", "labeljust": "l", "newrank": "true", "bgcolor": "white"}
    if size >= LARGE:
        attrs.update(splines="line", nslimit="0.1", mclimit="0.1", remincross="false",
                     searchsize="10")
    elif size >= MEDIUM:
        attrs.update(nslimit="1", mclimit="0.5")
    return attrs


def paint(scene, painter: Painter, notes=()) -> Figure:
    """The Figure for a scene, styled by `painter`."""
    figure = Figure(name="tracegrad")  # never user text: a name like <lambda> reads as HTML
    figure.graph_attr.update(_layout(len(scene)))
    figure.attr("node", fontname=style.FONT, fontsize="11", height="0.3")
    figure.attr("edge", arrowsize="0.6", color="#666666")
    rows = painter.title_rows() + [
        _row(style.small(style.escape(note), "#8a4b00", 10))
        for note in list(scene.notes) + list(notes)]
    if rows:
        figure.attr("graph", label='<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="1">'
                    + "".join(rows) + "</TABLE>>")
    figure.drawn_nodes = len(scene)
    figure.notes = list(scene.notes) + list(notes)
    sizes = {}
    ports = _emit_items(figure, scene, painter, sizes)
    extents = _extents(scene, sizes)
    rankdir = painter.rankdir or choose_rankdir(extents, len(rows), painter.max_size)
    figure.graph_attr["rankdir"] = rankdir
    if painter.legend and rankdir in ("TB", "BT") and extents["TB"][1] > TALL:
        _legend_at_the_bottom(figure, painter, scene, rankdir)
    if painter.max_size is not None:
        # dot shrinks a drawing larger than `size` (inches) to fit and leaves others be.
        inches = [f"{px / PX_PER_POINT / 72:.2f}" for px in painter.max_size]
        figure.graph_attr["size"] = ",".join(inches)
    for edge in scene.edges:
        sources = [ports.get(edge.source, {}).get("out", edge.source)]
        port = ports.get(edge.target, {})
        targets = port.get("in", [edge.target])
        if "by_input" in port and edge.variables:  # an expansion reading inputs by position
            targets = port["by_input"].get(id(edge.variables[0]), targets)
        for source in sources:
            for target in targets:
                figure.edge(source, target, **painter.edge_attrs(edge, scene))
    return figure


def _estimate(attrs) -> tuple:
    """A node's (width, height) in points, guessed from its label: about 6 points per
    character of its longest line and 13 per line, plus margins."""
    label = attrs.get("label", "")
    lines = [re.sub(r"<[^>]*>", "", line) for line in re.split(r"<BR/>|</TR>", label)]
    lines = [html.unescape(line) for line in lines if line.strip()] or [""]
    if attrs.get("shape") in ("circle", "doublecircle"):
        side = max(25, 6 * max(len(line) for line in lines) + 8)
        return side, side
    return 6 * max(len(line) for line in lines) + 18, 13 * len(lines) + 10


def _extents(scene, sizes) -> dict:
    """{"LR": (width, height), "TB": (width, height)}: the drawing's size in points in
    either direction, estimated before dot runs: along the flow, the widest (or tallest)
    node of each rank plus ranksep; across it, the widest rank's nodes side by side."""
    along = {"LR": 0, "TB": 0}
    across = {"LR": 0, "TB": 0}
    by_rank = {}
    for item_id, rank in ranks(scene).items():
        by_rank.setdefault(rank, []).append(sizes.get(item_id, (60, 40)))
    for members in by_rank.values():
        along["LR"] += max(w for w, _ in members) + 22  # ranksep 0.3 in
        along["TB"] += max(h for _, h in members) + 22
        across["LR"] = max(across["LR"], sum(h for _, h in members) + 13 * len(members))
        across["TB"] = max(across["TB"], sum(w for w, _ in members) + 13 * len(members))
    return {"LR": (along["LR"], across["LR"]), "TB": (across["TB"], along["TB"])}


def choose_rankdir(extents, title_rows, max_size) -> str:
    """"LR" or "TB", whichever draws at the larger scale within max_size (LR on a tie):
    a long chain goes top to bottom, where a notebook has more room."""
    width, height = max_size or PROJECTOR
    room = (width / PX_PER_POINT, height / PX_PER_POINT - 16 * title_rows)

    def scale(rankdir):
        w, h = extents[rankdir]
        return min(1.0, room[0] / max(w, 1), room[1] / max(h, 1))

    return "LR" if scale("LR") >= scale("TB") else "TB"


TALL = 650  # points: a drawing taller than a screen repeats its legend at the far end


def _legend_at_the_bottom(figure, painter, scene, rankdir):
    """The legend again, as a node on a rank of its own below the drawing, so a reader
    at the bottom of a tall picture need not scroll back to the top. An invisible edge
    from the last rank (TB) or to the first (BT, drawn upwards) puts it there."""
    label = ('<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="1">'
             + "".join(painter.legend_rows()) + "</TABLE>>")
    figure.node("legend", label=label, shape="plaintext", margin="0", **{"class": "legend"})
    rank = ranks(scene)
    if rankdir == "TB":
        figure.edge(max(rank, key=rank.get), "legend", style="invis")
    else:
        figure.edge("legend", min(rank, key=rank.get), style="invis")


def _emit_items(figure, scene, painter, sizes) -> dict:
    """Declares every item inside its (nested) cluster; returns the entry and exit node
    ids of expanded composite operators."""
    by_home, children = {}, {}
    clusters = scene.clusters()
    for item in scene.items.values():
        by_home.setdefault(id(item.home) if item.home is not None else None, []).append(item)
    for scope_ in clusters:
        parent = id(scope_.parent) if scope_.parent is not None else None
        children.setdefault(parent, []).append(scope_)
    ports = {}
    index = {id(s): i for i, s in enumerate(scene.graph.scopes)}

    def emit(target, key, depth):
        for item in by_home.get(key, []):
            sizes[item.id] = _emit_item(target, item, scene, painter, ports)
        for child in children.get(key, []):
            with target.subgraph(name=f"cluster_s{index[id(child)]}") as sub:
                _cluster_style(sub, child, scene.graph, depth)
                emit(sub, id(child), depth + 1)

    emit(figure, None, 0)
    return ports


def _cluster_style(sub, scope_, graph, depth):
    label = style.name(graph.scope_label(scope_))
    if scope_.composite:
        sub.attr(label=f"<<I>{label}</I>>", style="dashed,rounded,filled",
                 fillcolor=style.COMPOSITE_CLUSTER_FILL, color="#b59a5a")
    else:
        sub.attr(label=f"<<B>{label}</B>>", style="rounded,filled",
                 fillcolor=style.CLUSTER_FILLS[depth % len(style.CLUSTER_FILLS)],
                 color=style.MODULE_BORDER)
    sub.attr(fontsize="10", fontname=style.FONT, labeljust="l", margin="6")


def _emit_item(target, item, scene, painter, ports) -> tuple:
    """Declares one item; returns its estimated size (see _estimate)."""
    if item.kind == "operator":
        fused = scene.expand is True or item.obj.op.name in scene.expand
        steps = expansion(item.obj) if fused else None
        if steps:
            ports[item.id] = _emit_expansion(target, item, steps, painter)
            return 70 * len(steps), 60
        attrs = painter.operator_attrs(item.obj)
    elif item.kind == "variable":
        attrs = painter.variable_attrs(item.obj)
    elif item.kind == "summary":
        attrs = painter.summary_attrs(item)
    elif item.kind == "inputs":
        attrs = painter.inputs_attrs(item)
    else:
        attrs = painter.fold_attrs(item)
    target.node(item.id, **attrs)
    return _estimate(attrs)


def _emit_expansion(target, item, steps, painter) -> dict:
    """A dashed sub-cluster with one circle per primitive and a small box per value."""
    node = item.obj
    base = item.id
    entries = []
    by_input = {}  # id of an input variable -> the steps reading it ("x" is input 0, "x2" 2)
    with target.subgraph(name=f"cluster_{base}") as sub:
        sub.attr(label=f"<<I>{style.escape(node.op.name)}</I> "
                 f"{style.small('(one fused operator in the engine)', size=8)}>",
                 style="dashed,rounded", color="#b59a5a", fontsize="10")
        for i, step in enumerate(steps):
            op_id = f"{base}_{i}"
            attrs = painter.operator_attrs(node)
            text = style.escape(step.symbol or step.op)
            attrs.update(label=f"<{text}>", tooltip=style.plain(step.name))
            attrs["class"] = "operator expanded"
            sub.node(op_id, **attrs)
            for arg in step.args:
                if isinstance(arg, str) and arg.startswith("x"):
                    entries.append(op_id)
                    variable = node.inputs[int(arg[1:] or 0)]
                    by_input.setdefault(id(variable), []).append(op_id)
                else:
                    sub.edge(f"{base}_{arg}_value", op_id, color="#999999")
            if i < len(steps) - 1:
                lines = [f"<I>{style.escape(step.name)}</I>",
                         style.small(style.escape(str(step.value.shape)))]
                sub.node(f"{base}_{i}_value", shape="box", style="filled,rounded",
                         fillcolor="#ffffff", color="#999999", fontsize="9",
                         label=style.html_label(lines), **{"class": "variable expanded"})
                sub.edge(op_id, f"{base}_{i}_value", color="#999999")
    return {"in": entries, "by_input": by_input, "out": f"{base}_{len(steps) - 1}"}


# --------------------------------------------------------------------------------------
# the forward graph


def as_graph(thing) -> Graph:
    """A Graph from a Graph, a variable, or a sequence of variables."""
    return thing if isinstance(thing, Graph) else Graph.from_outputs(thing)


def forward_graph(output, *, modules="auto", expand=False, max_nodes=DEFAULT_MAX_NODES,
                  title=None, legend=True, rankdir=None, highlight=None,
                  max_size=PROJECTOR) -> Figure:
    """The computation graph behind `output` (a Scalar or Tensor, a list of them, or a
    Graph): variables as boxes with name, shape, dtype and value (a summary when large),
    operators as circles, parameters (leaves that require grad) in orange.

    modules: "cluster" groups each nn.Module call in a labelled box (nested calls nest);
        "collapse" draws every layer (innermost module call) as one box showing its type,
        its extra_repr() (kernel_size=...), its output shape and its parameters; an int
        d draws each module call at depth d as one box (0: the whole model). "auto"
        (the default): "collapse" when there are more than six layers (a CNN), else
        "cluster" (a small MLP shows its operators). False: no module boxes at all,
        every operator at the top level, as micrograd draws. In every mode a run of time
        steps (consecutive sibling scopes of one name, each fed by the one before, e.g.
        an RNN's "l0 step") is one box "×32".
    expand: opens folds. True draws everything: every module, run and composite open,
        fused operators (softmax, log_softmax, logsumexp, nn's cross-entropy losses) as
        their primitives. A name or list of names opens the modules and scopes it
        matches, by module path ("features.0"), type ("Conv2d") or scope name
        ("l0 step"), and the ones around them (what is inside them folds as usual), and
        draws the fused operators of that name ("softmax") as primitives. A name that
        matches nothing raises ValueError listing the names.
    max_nodes: above this many nodes, modules fold (deepest first) and then the nodes
        farthest from the outputs are summarised in one node; None draws everything.
    title: a line above the picture; legend: the colour key; rankdir: None chooses
        "LR" or "TB", whichever fits max_size at the larger scale, or "LR" (data flows
        left to right), "TB", "BT" (the study text's bottom-to-top) or "RL".
    highlight: operator nodes or variables (one, or a list) drawn in orange, e.g.
        check_graph's report.failed_node.
    max_size: (width, height) in pixels a picture may take; dot shrinks a larger drawing
        to fit. The default fits a projected notebook (1000 × 1400); None: no limit.
        fig.svg_size() measures the result.
    """
    graph = as_graph(output)
    scene = build_scene(graph, modules, expand, max_nodes)
    painter = Painter(graph, title=title, legend=legend, rankdir=rankdir, highlight=highlight,
                      max_size=max_size)
    return paint(scene, painter)


draw_dot = forward_graph  # micrograd's name for the same picture
