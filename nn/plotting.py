"""Small matplotlib helpers for the teaching notebooks: loss landscapes and optimiser paths,
decision boundaries of classifiers in the plane, and confusion matrices.

matplotlib is optional (the `notebooks` extra), so it is imported when a function is first
called, not when this module is imported. Every function draws on `ax` when given, else on
the current axes, and returns what it drew so a caller can restyle it.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "confusion_matrix",
    "plot_confusion_matrix",
    "plot_contours",
    "plot_decision_boundary",
    "plot_path",
]


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


def _as_labels(values, where, name):
    array = np.asarray(getattr(values, "data", values))
    if array.ndim != 1:
        raise ValueError(
            f"{where}: {name} must be one label per sample, shape (n,), got {array.shape}"
        )
    return array


def plot_decision_boundary(
    predict, X, y, *, ax=None, resolution=300, margin=0.5, cmap="coolwarm", markersize=30
):
    """The regions of the plane a classifier assigns to each class, with the data on top.

    `predict` takes an (n, 2) float64 array of points and returns one class label per
    point (shape (n,), e.g. `lambda P: model(P).data.argmax(axis=1)`); any labels work
    (−1/+1, 0/1, 0..K−1) as long as they are those of `y`. The grid covers the data
    plus `margin` on every side. Regions are shaded, the boundaries between them drawn
    as black lines, and each sample is a dot coloured by its true class, so a dot on
    the wrong colour is a mistake. Returns the filled contour set.
    """
    where = "plot_decision_boundary"
    X = np.asarray(getattr(X, "data", X), dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"{where}: X must have shape (n, 2), got {X.shape}")
    y = _as_labels(y, where, "y")
    if len(y) != len(X):
        raise ValueError(f"{where}: X has {len(X)} samples but y has {len(y)}")
    ax = _axes(ax)
    (x0, y0), (x1, y1) = X.min(axis=0) - margin, X.max(axis=0) + margin
    gx, gy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    predicted = _as_labels(predict(grid), where, "predict(points)")
    if predicted.shape != (len(grid),):
        raise ValueError(
            f"{where}: predict returned shape {predicted.shape} for "
            f"{len(grid)} points; it must return one label per point"
        )
    classes = np.unique(np.concatenate([y, predicted]))
    index = np.searchsorted(classes, predicted).reshape(gx.shape)
    k = len(classes)
    boundaries = np.arange(k + 1) - 0.5
    regions = ax.contourf(gx, gy, index, levels=boundaries, cmap=cmap, alpha=0.3)
    if k > 1:
        ax.contour(gx, gy, index, levels=boundaries[1:-1], colors="black", linewidths=1)
    colors = _pyplot().get_cmap(cmap)(np.linspace(0, 1, max(k, 2)))
    for i, label in enumerate(classes):
        members = y == label
        if members.any():
            ax.scatter(
                X[members, 0],
                X[members, 1],
                s=markersize,
                color=colors[i],
                edgecolors="black",
                linewidths=0.6,
                label=f"class {label:g}",
                zorder=3,
            )
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    return regions


def confusion_matrix(y_true, y_pred, n_classes=None):
    """Counts C[i, j] of samples of true class i predicted as class j (labels 0..K−1)."""
    where = "confusion_matrix"
    y_true = _as_labels(y_true, where, "y_true")
    y_pred = _as_labels(y_pred, where, "y_pred")
    if y_true.shape != y_pred.shape:
        raise ValueError(f"{where}: y_true has shape {y_true.shape} but y_pred has {y_pred.shape}")
    for name, labels in (("y_true", y_true), ("y_pred", y_pred)):
        if labels.size and (not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0):
            raise ValueError(f"{where}: {name} must hold class indices 0..K−1")
    largest = int(max(y_true.max(initial=-1), y_pred.max(initial=-1)))
    k = largest + 1 if n_classes is None else int(n_classes)
    if largest >= k:
        raise ValueError(f"{where}: label {largest} does not fit n_classes={k}")
    matrix = np.zeros((k, k), dtype=np.int64)
    np.add.at(matrix, (y_true, y_pred), 1)
    return matrix


def plot_confusion_matrix(y_true, y_pred, *, ax=None, class_names=None, cmap="Blues"):
    """Draw the confusion matrix of integer labels: rows are the true classes, columns the
    predicted ones, every cell labelled with its count, so the diagonal holds the correct
    predictions and any other dark cell is a common confusion. Returns the matrix."""
    n = None if class_names is None else len(class_names)
    matrix = confusion_matrix(y_true, y_pred, n)
    ax = _axes(ax)
    ax.imshow(matrix, cmap=cmap)
    k = len(matrix)
    names = [str(i) for i in range(k)] if class_names is None else list(class_names)
    ax.set_xticks(range(k), names)
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    threshold = matrix.max() / 2
    for i in range(k):
        for j in range(k):
            if matrix[i, j]:
                ax.text(
                    j,
                    i,
                    str(matrix[i, j]),
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if matrix[i, j] > threshold else "black",
                )
    return matrix
