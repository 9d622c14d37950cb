"""Pictures of computation graphs, on the `graphviz` package and Graphviz's `dot`.

forward_graph(y)       the graph behind y: variables as boxes, operators as circles
gradient_flow(y)       the same after backward, edges coloured by gradient magnitude
backward_steps(y)      one picture per backward step (saveable as SVGs or one HTML page)
gradient_table(y)      per-parameter gradient norms, as text
save(fig, path)        .svg / .png / .pdf / .dot in one call
svg_size(svg)          (width, height) in browser pixels of an SVG text (fig.svg_size() too)

Every function returns a Figure, a graphviz.Digraph that shows inline in Jupyter, laid out
and sized to fit a projected notebook (max_size=(1000, 1400) px; None for no limit).
"""

from .draw import draw_dot, forward_graph
from .figure import DotNotFoundError, Figure, save, svg_size
from .gradients import GradientTable, gradient_flow, gradient_table

__all__ = ["forward_graph", "draw_dot", "gradient_flow", "gradient_table", "GradientTable",
           "Figure", "DotNotFoundError", "save", "svg_size"]
from .steps import BackwardSteps, backward_steps  # noqa: E402

__all__ += ["backward_steps", "BackwardSteps"]
