"""nn.plotting, the notebooks' drawing helpers: what they draw and how they refuse bad input."""

import matplotlib

matplotlib.use("Agg")  # before pyplot: no display needed

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from nn.plotting import (  # noqa: E402
    confusion_matrix,
    plot_confusion_matrix,
    plot_contours,
    plot_decision_boundary,
    plot_path,
)


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


def bowl(x, y):
    return x**2 + 10 * y**2


def test_contours_fix_the_view_so_a_diverging_path_does_not_rescale_it(ax):
    plot_contours(bowl, (-2, 2), (-1, 1), ax=ax)
    plot_path([(0.0, 0.0), (50.0, -80.0)], ax=ax)
    assert ax.get_xlim() == (-2.0, 2.0) and ax.get_ylim() == (-1.0, 1.0)


def test_log_contour_levels_are_geometric_between_the_grid_extremes(ax):
    contours = plot_contours(bowl, (0.5, 2), (0.5, 1), ax=ax, log=True, levels=5)
    levels = np.asarray(contours.levels)
    ratios = levels[1:] / levels[:-1]
    np.testing.assert_allclose(ratios, ratios[0])
    assert levels[0] == pytest.approx(bowl(0.5, 0.5)) and levels[-1] == pytest.approx(bowl(2, 1))


def test_contours_reject_a_function_that_is_not_elementwise(ax):
    with pytest.raises(ValueError, match="plot_contours: f returned shape"):
        plot_contours(lambda x, y: float(np.sum(x)), (0, 1), (0, 1), ax=ax)
    with pytest.raises(ValueError, match="low < high"):
        plot_contours(bowl, (1, 0), (0, 1), ax=ax)


def test_path_skips_points_after_a_divergence_and_keeps_one_colour(ax):
    line = plot_path([(0, 0), (1, 1), (np.inf, np.nan)], ax=ax, color="tab:red")
    np.testing.assert_array_equal(line.get_xdata(), [0, 1])
    assert {l.get_color() for l in ax.get_lines()} == {"tab:red"}


def test_paths_without_a_colour_take_successive_cycle_colours(ax):
    first = plot_path([(0, 0), (1, 1)], ax=ax)
    second = plot_path([(0, 1), (1, 0)], ax=ax)
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    assert (first.get_color(), second.get_color()) == (cycle[0], cycle[1])


def test_path_rejects_anything_but_points_in_the_plane(ax):
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        plot_path([1.0, 2.0, 3.0], ax=ax)


def test_decision_boundary_shades_one_region_per_predicted_class(ax):
    X = np.array([[-1.0, 0.0], [1.0, 0.0]])
    y = np.array([-1, 1])
    # Labels as a sign activation makes them (floats); the legend still reads −1 and 1.
    regions = plot_decision_boundary(lambda P: np.sign(P[:, 0]), X, y.astype(float), ax=ax)
    assert len(regions.levels) == 3  # two bands: one per class
    assert sorted(t.get_text() for t in ax.legend().get_texts()) == ["class -1", "class 1"]


def test_decision_boundary_requires_one_label_per_grid_point(ax):
    X, y = np.zeros((2, 2)), np.array([0, 1])
    with pytest.raises(ValueError, match="one label per"):
        plot_decision_boundary(lambda P: np.zeros((len(P), 2)), X, y, ax=ax)


def test_confusion_matrix_counts_true_rows_against_predicted_columns():
    matrix = confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 2, 0])
    np.testing.assert_array_equal(matrix, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    assert confusion_matrix([0], [0], n_classes=3).shape == (3, 3)
    with pytest.raises(ValueError, match="class indices"):
        confusion_matrix([0, 1], [0.5, 1.0])


def test_plotted_confusion_matrix_labels_every_nonzero_cell(ax):
    matrix = plot_confusion_matrix([0, 1, 1], [0, 1, 0], ax=ax, class_names=["a", "b"])
    np.testing.assert_array_equal(matrix, [[1, 0], [1, 1]])
    assert sorted(t.get_text() for t in ax.texts) == ["1", "1", "1"]
