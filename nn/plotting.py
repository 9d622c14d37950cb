"""Small matplotlib helpers for the teaching notebooks: loss landscapes and optimiser paths.

matplotlib is optional (the `notebooks` extra), so it is imported when a function is first
called, not when this module is imported. Every function draws on `ax` when given, else on
the current axes, and returns what it drew so a caller can restyle it.
"""

from __future__ import annotations

import numpy as np

__all__ = ["plot_contours", "plot_path"]


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("nn.plotting needs matplotlib: pip install 'tracegrad[notebooks]'") from e
    return plt


def _axes(ax):
    return ax if ax is not None else _pyplot().gca()


def _limits(lim, where, name):
    try:
        low, high = (float(v) for v in lim)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{where}: {name} must be a pair (low, high), got {lim!r}") from e
    if not low < high:
        raise ValueError(f"{where}: {name} must have low < high, got {lim!r}")
    return low, high


def plot_contours(
    f,
    xlim,
    ylim,
    *,
    ax=None,
    levels=20,
    log=False,
    resolution=200,
    minimum=None,
    cmap="viridis",
    filled=False,
):
    """Contour lines of f(x, y) over the rectangle xlim × ylim: the backdrop for paths.

    `f` is called once with two arrays of shape (resolution, resolution) (a meshgrid) and
    must return an array of that shape, so write it with numpy operators, e.g.
    `lambda x, y: (1 - x)**2 + 100 * (y - x**2)**2`. `levels` is a count or explicit values.
    With `log=True` the levels are spaced geometrically between the smallest and largest
    positive value on the grid, for landscapes whose features span decades (Rosenbrock).
    `minimum=(x, y)` marks the minimiser with a star. The view is fixed to the rectangle,
    so a path that runs off (a diverging optimiser) is clipped instead of rescaling the
    picture. Returns the matplotlib contour set.
    """
    where = "plot_contours"
    x0, x1 = _limits(xlim, where, "xlim")
    y0, y1 = _limits(ylim, where, "ylim")
    ax = _axes(ax)
    X, Y = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    Z = np.asarray(f(X, Y), dtype=np.float64)
    if Z.shape != X.shape:
        raise ValueError(
            f"{where}: f returned shape {Z.shape} for a grid of shape {X.shape}; "
            f"write f with elementwise numpy operations"
        )
    if log and isinstance(levels, int):
        positive = Z[Z > 0]
        if positive.size == 0:
            raise ValueError(f"{where}: log=True needs positive values of f on the grid")
        levels = np.geomspace(positive.min(), positive.max(), levels)
    draw = ax.contourf if filled else ax.contour
    contours = draw(X, Y, Z, levels=levels, cmap=cmap, linewidths=None if filled else 0.8)
    if minimum is not None:
        ax.plot(
            *minimum,
            marker="*",
            markersize=14,
            color="gold",
            markeredgecolor="black",
            linestyle="none",
            zorder=5,
        )
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.autoscale(False)
    return contours


def plot_path(path, *, ax=None, label=None, color=None, markersize=3, **line_kwargs):
    """Draw an optimiser's path through the plane: a line through the visited points, a
    hollow circle at the start and a filled dot at the end.

    `path` is a sequence of (x, y) points (e.g. a list of two-element arrays), one per
    step, the starting point first. Points that are NaN or infinite (after a divergence)
    are left out. Returns the path's Line2D.
    """
    points = np.asarray(path, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 2 or len(points) == 0:
        raise ValueError(
            f"plot_path: path must be a non-empty sequence of (x, y) points, "
            f"got an array of shape {points.shape}"
        )
    points = points[np.isfinite(points).all(axis=1)]
    if len(points) == 0:
        raise ValueError("plot_path: every point of the path is NaN or infinite")
    ax = _axes(ax)
    (line,) = ax.plot(
        points[:, 0],
        points[:, 1],
        marker="o",
        markersize=markersize,
        label=label,
        color=color,
        linewidth=1.2,
        **line_kwargs,
    )
    color = line.get_color()
    # Explicit colors everywhere, so the two markers do not advance the colour cycle.
    ax.plot(
        *points[0],
        marker="o",
        markersize=8,
        color=color,
        markerfacecolor="white",
        linestyle="none",
        zorder=4,
    )
    ax.plot(*points[-1], marker="o", markersize=7, color=color, linestyle="none", zorder=4)
    return line
