"""Pictures of computation graphs, on the `graphviz` package and Graphviz's `dot`.

forward_graph(y)       the graph behind y: variables as boxes, operators as circles
gradient_flow(y)       the same after backward, edges coloured by gradient magnitude
backward_steps(y)      one picture per backward step (saveable as SVGs or one HTML page)
gradient_table(y)      per-parameter gradient norms, as text
save(fig, path)        .svg / .png / .pdf / .dot in one call

Every function returns a Figure, a graphviz.Digraph that shows inline in Jupyter.
"""

from .draw import draw_dot, forward_graph
from .figure import DotNotFoundError, Figure, save
from .gradients import GradientTable, gradient_flow, gradient_table

__all__ = ["forward_graph", "draw_dot", "gradient_flow", "gradient_table", "GradientTable",
           "Figure", "DotNotFoundError", "save"]
from .steps import BackwardSteps, backward_steps  # noqa: E402

__all__ += ["backward_steps", "BackwardSteps"]
