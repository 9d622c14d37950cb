"""Specification of nn.data (batches, scaling, splitting) and nn.datasets."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nn.data import DataLoader, StandardScaler, standardize, train_test_split
from nn.datasets import load_digits, make_moons, make_regression, make_spirals


def _rows(n, features=3, dtype=np.float64):
    """n distinct rows; row i starts with i, so a batch's first column names its samples."""
    return np.arange(n * features, dtype=dtype).reshape(n, features) / features


def _epoch_ids(loader):
    """Sample ids seen in one epoch, in order (from X's first column)."""
    return np.concatenate([xb[:, 0] for xb, _ in loader]).astype(int)


# ---------------------------------------------------------------------------- DataLoader


@pytest.mark.parametrize(
    "batch_size, sizes",
    [
        (10, [10]),              # batch gradient descent: the whole set, one update per epoch
        (1, [1] * 10),           # stochastic gradient descent: one sample per update
        (4, [4, 4, 2]),          # mini-batch: the last batch holds the remainder
        (5, [5, 5]),
        (25, [10]),              # batch_size > N: one batch with everything
    ],
    ids=["batch", "stochastic", "mini-batch", "mini-batch-exact", "larger-than-N"],
)
def test_batch_sizes_and_count(batch_size, sizes):
    X, y = _rows(10), np.arange(10)
    loader = DataLoader(X, y, batch_size=batch_size)
    assert len(loader) == len(sizes)
    assert [len(xb) for xb, _ in loader] == sizes
    assert [len(yb) for _, yb in loader] == sizes


def test_unshuffled_batches_keep_stored_order_and_pair_x_with_y():
    X, y = _rows(7), np.arange(7) * 10
    batches = list(DataLoader(X, y, batch_size=3))
    np.testing.assert_array_equal(batches[0][0], X[:3])
    np.testing.assert_array_equal(batches[2][0], X[6:])
    for xb, yb in batches:
        np.testing.assert_array_equal(yb, xb[:, 0].astype(int) * 10)


def test_shuffled_batches_still_pair_x_with_y():
    X, y = _rows(50), np.arange(50) * 10
    for xb, yb in DataLoader(X, y, batch_size=8, shuffle=True, seed=1):
        np.testing.assert_array_equal(yb, xb[:, 0].astype(int) * 10)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 80), batch_size=st.integers(1, 100), shuffle=st.booleans(),
       seed=st.integers(0, 2**32 - 1))
def test_batches_partition_the_data(n, batch_size, shuffle, seed):
    loader = DataLoader(_rows(n), np.arange(n), batch_size=batch_size, shuffle=shuffle,
                        seed=seed)
    batches = list(loader)
    assert len(batches) == len(loader) == -(-n // batch_size)
    assert all(len(xb) == batch_size for xb, _ in batches[:-1])
    assert 1 <= len(batches[-1][0]) <= batch_size
    np.testing.assert_array_equal(np.sort(_epoch_ids(loader)), np.arange(n))


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 80), batch_size=st.integers(1, 80), seed=st.integers(0, 1000))
def test_drop_last_keeps_only_full_batches_without_repeats(n, batch_size, seed):
    if batch_size > n:
        return  # covered by test_drop_last_larger_than_data_raises
    loader = DataLoader(_rows(n), np.arange(n), batch_size=batch_size, shuffle=True,
                        seed=seed, drop_last=True)
    sizes = [len(xb) for xb, _ in loader]
    assert sizes == [batch_size] * (n // batch_size) and len(loader) == len(sizes)
    ids = _epoch_ids(loader)
    assert len(np.unique(ids)) == len(ids) == (n // batch_size) * batch_size


def test_drop_last_drops_the_short_batch():
    loader = DataLoader(_rows(10), batch_size=4, drop_last=True)
    assert len(loader) == 2
    assert [len(xb) for xb in loader] == [4, 4]


def test_same_seed_gives_the_same_sequence_of_epochs():
    X, y = _rows(40), np.arange(40)
    a = DataLoader(X, y, batch_size=8, shuffle=True, seed=123)
    b = DataLoader(X, y, batch_size=8, shuffle=True, seed=123)
    for _ in range(3):
        np.testing.assert_array_equal(_epoch_ids(a), _epoch_ids(b))


def test_a_generator_seed_is_used_as_given():
    X = _rows(40)
    a = DataLoader(X, np.arange(40), shuffle=True, seed=np.random.default_rng(5))
    b = DataLoader(X, np.arange(40), shuffle=True, seed=np.random.default_rng(5))
    np.testing.assert_array_equal(_epoch_ids(a), _epoch_ids(b))


def test_each_epoch_is_a_new_permutation():
    loader = DataLoader(_rows(40), np.arange(40), batch_size=8, shuffle=True, seed=0)
    epochs = [_epoch_ids(loader) for _ in range(3)]
    assert not np.array_equal(epochs[0], epochs[1])
    assert not np.array_equal(epochs[1], epochs[2])
    assert not np.array_equal(epochs[0], np.arange(40))
    for ids in epochs:
        np.testing.assert_array_equal(np.sort(ids), np.arange(40))


def test_different_seeds_give_different_orders():
    X, y = _rows(40), np.arange(40)
    a = _epoch_ids(DataLoader(X, y, shuffle=True, seed=1))
    b = _epoch_ids(DataLoader(X, y, shuffle=True, seed=2))
    assert not np.array_equal(a, b)


def test_the_permutation_is_drawn_when_the_epoch_starts():
    loader = DataLoader(_rows(30), np.arange(30), batch_size=30, shuffle=True, seed=7)
    first, second = iter(loader), iter(loader)     # two epochs begun, none consumed
    reference = DataLoader(_rows(30), np.arange(30), batch_size=30, shuffle=True, seed=7)
    np.testing.assert_array_equal(next(first)[1], next(iter(reference))[1])
    np.testing.assert_array_equal(next(second)[1], next(iter(reference))[1])


def test_without_y_yields_arrays():
    batches = list(DataLoader(_rows(5), batch_size=2))
    assert all(isinstance(xb, np.ndarray) for xb in batches)
    assert [xb.shape for xb in batches] == [(2, 3), (2, 3), (1, 3)]


def test_batches_are_copies_not_views():
    X = _rows(6)
    xb = next(iter(DataLoader(X, batch_size=3)))
    xb[:] = -1.0
    assert X.min() >= 0.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float_dtype_of_x_is_kept(dtype):
    xb, yb = next(iter(DataLoader(_rows(10, dtype=dtype), np.arange(10), shuffle=True,
                                  seed=0)))
    assert xb.dtype == dtype
    assert np.issubdtype(yb.dtype, np.integer)


@pytest.mark.parametrize("label_dtype", [np.int64, np.int32, np.uint8])
def test_integer_labels_stay_integer(label_dtype):
    _, yb = next(iter(DataLoader(_rows(10), np.arange(10, dtype=label_dtype), batch_size=4)))
    assert yb.dtype == label_dtype


def test_accepts_lists_and_multidimensional_samples():
    images = np.zeros((12, 8, 8), dtype=np.float32)
    xb, yb = next(iter(DataLoader(images, list(range(12)), batch_size=5)))
    assert xb.shape == (5, 8, 8) and yb.tolist() == [0, 1, 2, 3, 4]
    (xb,) = list(DataLoader([[1.0, 2.0], [3.0, 4.0]], batch_size=2))
    assert xb.dtype == np.float64 and xb.shape == (2, 2)


class _TensorLike:
    """Stands in for a tracegrad Tensor: the loader only relies on its `.data` ndarray."""

    def __init__(self, data):
        self.data = np.asarray(data)


def test_uses_the_data_of_tensor_like_inputs():
    X, y = _rows(6, dtype=np.float32), np.arange(6)
    xb, yb = next(iter(DataLoader(_TensorLike(X), _TensorLike(y), batch_size=6)))
    assert isinstance(xb, np.ndarray) and xb.dtype == np.float32
    np.testing.assert_array_equal(xb, X)
    np.testing.assert_array_equal(yb, y)


def test_accepts_tracegrad_tensors():
    from autograd import Tensor

    X = np.arange(12.0).reshape(6, 2)
    xb, yb = next(iter(DataLoader(Tensor(X), Tensor(np.arange(6.0)),
                                  batch_size=6)))
    assert isinstance(xb, np.ndarray)
    np.testing.assert_array_equal(xb, X)


def test_repr_names_the_settings():
    text = repr(DataLoader(_rows(10), batch_size=4, shuffle=True, seed=0))
    assert "samples=10" in text and "batch_size=4" in text and "batches=3" in text


@pytest.mark.parametrize("bad", [0, -3])
def test_batch_size_below_one_raises_value_error(bad):
    with pytest.raises(ValueError, match=rf"DataLoader: batch_size .* got {bad}"):
        DataLoader(_rows(4), batch_size=bad)


@pytest.mark.parametrize("bad", [2.5, 4.0, "8", None, True])
def test_non_integer_batch_size_raises_type_error(bad):
    with pytest.raises(TypeError, match=r"DataLoader: batch_size must be a positive int, got"):
        DataLoader(_rows(4), batch_size=bad)


def test_numpy_integer_batch_size_is_accepted():
    assert len(DataLoader(_rows(10), batch_size=np.int64(5))) == 2


@pytest.mark.parametrize("empty", [np.zeros((0, 3)), [], np.zeros(0)])
def test_empty_data_raises_value_error(empty):
    with pytest.raises(ValueError, match=r"DataLoader: X is empty"):
        DataLoader(empty)


def test_scalar_data_raises_value_error():
    with pytest.raises(ValueError, match=r"DataLoader: X must have at least one dimension"):
        DataLoader(np.float64(3.0))


def test_length_mismatch_names_both_lengths():
    with pytest.raises(ValueError, match=r"X has 10 samples but y has 9"):
        DataLoader(_rows(10), np.arange(9))


def test_drop_last_larger_than_data_raises():
    with pytest.raises(ValueError, match=r"drop_last=True with batch_size=16 > 10 samples"):
        DataLoader(_rows(10), batch_size=16, drop_last=True)


def test_object_data_raises_type_error():
    with pytest.raises(TypeError, match=r"DataLoader: X has dtype object"):
        DataLoader(np.array([{"a": 1}, {"b": 2}], dtype=object))


@pytest.mark.parametrize("seed", [-1, "abc", 1.5, True])
def test_bad_seed_raises(seed):
    with pytest.raises((TypeError, ValueError), match=r"DataLoader: seed must be"):
        DataLoader(_rows(4), shuffle=True, seed=seed)


# ------------------------------------------------------------------------- standardize


def test_standardize_gives_zero_mean_unit_std_per_column():
    X = np.random.default_rng(0).normal([5.0, -2.0, 100.0], [3.0, 0.1, 40.0], size=(200, 3))
    Z = standardize(X)
    np.testing.assert_allclose(Z.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(Z.std(axis=0), 1.0, rtol=1e-12)
    np.testing.assert_allclose(Z, (X - X.mean(0)) / X.std(0), rtol=1e-12)


def test_standardize_along_other_axes():
    X = np.random.default_rng(1).normal(3.0, 2.0, size=(4, 50))
    np.testing.assert_allclose(standardize(X, axis=1).std(axis=1), 1.0, rtol=1e-12)
    whole = standardize(X, axis=None)
    assert whole.mean() == pytest.approx(0.0, abs=1e-12)
    assert whole.std() == pytest.approx(1.0, rel=1e-12)


@pytest.mark.parametrize("value", [0.0, 0.1, 7.3, -1e6, 1e-30])
def test_standardize_maps_a_constant_column_to_zeros(value):
    X = np.column_stack([np.full(1000, value), np.arange(1000.0)])
    Z = standardize(X)
    assert np.all(np.isfinite(Z))
    np.testing.assert_allclose(Z[:, 0], 0.0, atol=1e-9)
    assert Z[:, 1].std() == pytest.approx(1.0)


def test_standardize_keeps_tiny_but_real_variation():
    X = np.array([[1e-20], [3e-20], [5e-20]])
    np.testing.assert_allclose(standardize(X)[:, 0], [-np.sqrt(1.5), 0, np.sqrt(1.5)])


def test_standardize_keeps_float32_and_promotes_integers():
    assert standardize(np.arange(10, dtype=np.float32).reshape(5, 2)).dtype == np.float32
    assert standardize(np.arange(10).reshape(5, 2)).dtype == np.float64


def test_standardize_rejects_nan_and_bad_axis():
    with pytest.raises(ValueError, match=r"standardize: X contains NaN or inf"):
        standardize(np.array([[1.0, np.nan], [2.0, 3.0]]))
    with pytest.raises(ValueError, match=r"standardize: .*axis 2"):
        standardize(np.ones((3, 2)), axis=2)


# ---------------------------------------------------------------------- StandardScaler


def test_scaler_round_trip_and_learned_statistics():
    X = np.random.default_rng(2).normal([1.0, -4.0], [2.0, 0.5], size=(300, 2))
    scaler = StandardScaler().fit(X)
    np.testing.assert_allclose(scaler.mean_, X.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(scaler.scale_, X.std(axis=0), rtol=1e-12)
    np.testing.assert_allclose(scaler.var_, X.var(axis=0), rtol=1e-12)
    Z = scaler.transform(X)
    np.testing.assert_allclose(Z.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(scaler.inverse_transform(Z), X, rtol=1e-12)


def test_scaler_applies_training_statistics_to_new_data():
    train, test = np.array([[0.0], [2.0], [4.0]]), np.array([[6.0], [2.0]])
    scaler = StandardScaler().fit(train)   # μ = 2, σ = sqrt(8/3)
    np.testing.assert_allclose(scaler.transform(test)[:, 0], [4 / np.sqrt(8 / 3), 0.0])


def test_fit_transform_equals_fit_then_transform():
    X = np.random.default_rng(3).normal(size=(20, 4))
    np.testing.assert_array_equal(StandardScaler().fit_transform(X),
                                  StandardScaler().fit(X).transform(X))


def test_scaler_constant_column_gets_scale_one():
    X = np.column_stack([np.full(10, 3.7), np.arange(10.0)])
    scaler = StandardScaler().fit(X)
    assert scaler.scale_[0] == 1.0 and scaler.var_[0] == pytest.approx(0.0, abs=1e-24)
    Z = scaler.transform(X)
    np.testing.assert_allclose(Z[:, 0], 0.0, atol=1e-12)
    np.testing.assert_allclose(scaler.inverse_transform(Z), X, rtol=1e-12)


def test_scaler_works_on_stacks_of_images_and_keeps_float32():
    images = np.random.default_rng(4).random((30, 8, 8)).astype(np.float32)
    scaler = StandardScaler().fit(images)
    assert scaler.mean_.shape == (8, 8)
    assert scaler.transform(images).dtype == np.float32


def test_transform_before_fit_raises_runtime_error():
    for method in (StandardScaler().transform, StandardScaler().inverse_transform):
        with pytest.raises(RuntimeError, match=r"not fitted yet; call fit"):
            method(np.ones((2, 3)))


def test_wrong_feature_count_names_both_shapes():
    scaler = StandardScaler().fit(np.ones((5, 4)))
    with pytest.raises(ValueError, match=r"X has shape \(3, 5\).*fitted on shape \(n, 4\)"):
        scaler.transform(np.ones((3, 5)))


def test_scaler_fit_rejects_empty_and_nan():
    with pytest.raises(ValueError, match=r"StandardScaler.fit: X is empty"):
        StandardScaler().fit(np.zeros((0, 3)))
    with pytest.raises(ValueError, match=r"StandardScaler.fit: X contains NaN"):
        StandardScaler().fit(np.array([[np.inf], [1.0]]))


# -------------------------------------------------------------------- train_test_split


def test_default_split_is_75_25_disjoint_and_complete():
    X, y = _rows(100), np.arange(100)
    X_train, X_test, y_train, y_test = train_test_split(X, y)
    assert (len(X_train), len(X_test)) == (75, 25)
    ids = np.concatenate([y_train, y_test])
    np.testing.assert_array_equal(np.sort(ids), np.arange(100))
    np.testing.assert_array_equal(X_train[:, 0].astype(int), y_train)   # rows stay paired
    np.testing.assert_array_equal(X_test[:, 0].astype(int), y_test)


def test_split_is_reproducible_and_seed_dependent():
    X, y = _rows(50), np.arange(50)
    a, b, c = (train_test_split(X, y, seed=s)[3] for s in (0, 0, 1))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(np.sort(a), np.sort(c))


@pytest.mark.parametrize("test_size, n_test", [(0.2, 20), (0.333, 34), (10, 10), (99, 99)])
def test_test_size_as_fraction_rounds_up_or_as_count(test_size, n_test):
    X_train, X_test = train_test_split(_rows(100), test_size=test_size)
    assert (len(X_train), len(X_test)) == (100 - n_test, n_test)


def test_stratified_split_keeps_class_proportions():
    y = np.repeat([0, 1, 2], [60, 30, 10])
    _, _, y_train, y_test = train_test_split(_rows(100), y, test_size=0.2, stratify=y)
    assert np.bincount(y_test).tolist() == [12, 6, 2]
    assert np.bincount(y_train).tolist() == [48, 24, 8]


@settings(max_examples=40, deadline=None)
@given(counts=st.lists(st.integers(1, 30), min_size=2, max_size=5),
       fraction=st.floats(0.05, 0.95), seed=st.integers(0, 1000))
def test_stratified_counts_are_within_one_of_proportional(counts, fraction, seed):
    y = np.repeat(np.arange(len(counts)), counts)
    n = len(y)
    n_test = int(np.ceil(fraction * n))
    if not 1 <= n_test <= n - 1:
        return
    _, y_test = train_test_split(y, test_size=fraction, stratify=y, seed=seed)
    assert len(y_test) == n_test
    got = np.bincount(y_test, minlength=len(counts))
    assert np.all(np.abs(got - n_test * np.array(counts) / n) < 1)


@pytest.mark.parametrize("test_size, error", [(0.0, ValueError), (1.0, ValueError),
                                              (100, ValueError), (0, ValueError),
                                              ("0.25", TypeError), (True, TypeError)])
def test_bad_test_size_raises(test_size, error):
    with pytest.raises(error, match=r"train_test_split: .*test_size"):
        train_test_split(_rows(100), np.arange(100), test_size=test_size)


def test_split_length_mismatch_and_bad_stratify_raise():
    with pytest.raises(ValueError, match=r"X has 10 samples but y has 8"):
        train_test_split(_rows(10), np.arange(8))
    with pytest.raises(ValueError, match=r"stratify must be one label per sample"):
        train_test_split(_rows(10), np.arange(10), stratify=np.arange(9))


# ---------------------------------------------------------------------------- datasets


def test_digits_shape_dtype_and_pixel_range():
    X, y = load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 16.0
    np.testing.assert_array_equal(X, np.round(X))   # counts of ink pixels: integers


def test_digits_classes_are_the_ten_digits_nearly_balanced():
    _, y = load_digits()
    counts = np.bincount(y)
    assert len(counts) == 10 and counts.sum() == 1797
    assert counts.min() >= 174 and counts.max() <= 183
    # scikit-learn's documented per-class counts for this partition
    assert counts.tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


def test_digits_are_real_images_not_noise():
    X, y = load_digits()
    images = X.reshape(-1, 8, 8)
    # Handwriting is centred: the left and right pixel columns are nearly always blank.
    assert images[:, :, [0, 7]].mean() < 0.5 < images[:, :, 3:5].mean()
    # Class means differ: a nearest-class-mean classifier gets most images right.
    means = np.stack([X[y == k].mean(axis=0) for k in range(10)])
    predicted = np.argmin(((X[:, None, :] - means[None]) ** 2).sum(-1), axis=1)
    assert (predicted == y).mean() > 0.85


def test_digits_returns_fresh_arrays():
    X, _ = load_digits()
    X[:] = -1.0
    assert load_digits()[0].min() == 0.0


def test_moons_shapes_dtypes_and_balance():
    X, y = make_moons(n_samples=101, noise=0.1, seed=0)
    assert X.shape == (101, 2) and X.dtype == np.float64
    assert y.shape == (101,) and y.dtype == np.int64
    assert np.bincount(y).tolist() == [50, 51]


def test_noiseless_moons_lie_on_their_half_circles():
    X, y = make_moons(n_samples=40, noise=0.0, seed=0)
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0)
    assert upper[:, 1].min() >= -1e-12 and lower[:, 1].max() <= 0.5 + 1e-12


def _linear_accuracy(X, y):
    """Training accuracy of the best least-squares linear classifier (one-vs-rest)."""
    A = np.column_stack([X, np.ones(len(X))])
    W = np.linalg.lstsq(A, np.eye(y.max() + 1)[y], rcond=None)[0]
    return (np.argmax(A @ W, axis=1) == y).mean()


def _nearest_neighbour_accuracy(X, y):
    """Leave-one-out accuracy of 1-nearest-neighbour: high when the classes are learnable."""
    d = ((X[:, None, :] - X[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    return (y[d.argmin(axis=1)] == y).mean()


def test_moons_need_a_nonlinear_model():
    X, y = make_moons(n_samples=200, noise=0.1, seed=0)
    assert _linear_accuracy(X, y) < 0.92
    assert _nearest_neighbour_accuracy(X, y) > 0.97


def test_spirals_shapes_classes_and_nonlinearity():
    X, y = make_spirals(n_samples=301, n_classes=3, noise=0.2, seed=0)
    assert X.shape == (301, 2) and X.dtype == np.float64 and y.dtype == np.int64
    assert np.bincount(y).tolist() == [101, 100, 100]
    assert np.all(np.hypot(*X.T) <= 1.0 + 1e-12)
    assert _linear_accuracy(X, y) < 0.7
    assert _nearest_neighbour_accuracy(X, y) > 0.95


def test_regression_recovers_its_coefficients():
    X, y, coef = make_regression(n_samples=500, n_features=3, noise=0.1, seed=0, bias=2.0)
    assert X.shape == (500, 3) and y.shape == (500,) and coef.shape == (3,)
    fitted = np.linalg.lstsq(np.column_stack([X, np.ones(500)]), y, rcond=None)[0]
    np.testing.assert_allclose(fitted, [*coef, 2.0], atol=0.03)


def test_regression_uses_given_coefficients_and_noise_level():
    X, y, coef = make_regression(n_samples=2000, n_features=2, noise=0.5, seed=1,
                                 coef=[1.5, -2.0])
    np.testing.assert_array_equal(coef, [1.5, -2.0])
    assert np.std(y - X @ coef) == pytest.approx(0.5, rel=0.1)


@pytest.mark.parametrize("make", [make_moons, make_spirals, make_regression],
                         ids=lambda f: f.__name__)
def test_generators_are_deterministic_by_seed(make):
    first, again, other = make(seed=42), make(seed=42), make(seed=43)
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], other[0])
    rng_a, rng_b = np.random.default_rng(9), np.random.default_rng(9)
    np.testing.assert_array_equal(make(seed=rng_a)[0], make(seed=rng_b)[0])


@pytest.mark.parametrize("make", [make_moons, make_spirals], ids=lambda f: f.__name__)
def test_generated_samples_come_shuffled(make):
    _, y = make(seed=0)
    assert np.any(np.diff(y) < 0)   # not sorted by class


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: make_moons(n_samples=1), ValueError, r"make_moons: n_samples must be at"),
        (lambda: make_moons(n_samples=2.5), TypeError, r"make_moons: n_samples must be"),
        (lambda: make_moons(noise=-0.1), ValueError, r"make_moons: noise must be .* -0.1"),
        (lambda: make_spirals(n_classes=1), ValueError, r"make_spirals: need n_classes >= 2"),
        (lambda: make_spirals(n_samples=2, n_classes=3), ValueError, r"n_samples=2"),
        (lambda: make_regression(n_features=2, coef=[1.0]), ValueError,
         r"make_regression: coef must have shape \(2,\)"),
        (lambda: make_regression(noise="x"), TypeError, r"make_regression: noise must be"),
    ],
)
def test_generator_bad_arguments_raise(call, error, message):
    with pytest.raises(error, match=message):
        call()
