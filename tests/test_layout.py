"""The ``layout`` parameter: aeon's / sktime's (n_cases, n_channels, n_timepoints) input.

aeon and sktime hand over channels-first arrays and lists of ``(n_channels, length)``
arrays. ``layout="channels_first"`` must read them exactly as the same data
transposed by hand is read under the default layout; the default layout must warn
when a 3-D array looks transposed and say which parameter to set.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
import torch

from dream_sklearn import DREAMClassifier, DREAMFeatures, DREAMRegressor, LayoutWarning

# solver="adam": these tests read surprise_, whose shape shows how each step was read.
SMALL = dict(
    hidden_dim=6, rank=2, solver="adam", max_iter=4, learning_rate_init=0.05, random_state=0
)


@pytest.fixture
def rng():
    return np.random.RandomState(0)


def _no_layout_warning():
    """A context in which a LayoutWarning fails the test."""
    ctx = warnings.catch_warnings()
    ctx.__enter__()
    warnings.simplefilter("error", LayoutWarning)
    return ctx


@pytest.mark.parametrize("Estimator", [DREAMClassifier, DREAMRegressor])
def test_channels_first_equals_manual_transpose(Estimator, rng):
    X = rng.normal(size=(30, 2, 15))  # (n_cases, n_channels, n_timepoints)
    y = (X[:, 0, -3:].sum(axis=1) > 0).astype(int)
    ours = Estimator(**SMALL, layout="channels_first").fit(X, y)
    manual = Estimator(**SMALL, layout="channels_last").fit(X.transpose(0, 2, 1), y)
    assert ours.n_features_in_ == 2
    assert ours.surprise_.shape == (30, 15)
    Xt = rng.normal(size=(7, 2, 15))
    out = "predict_proba" if Estimator is DREAMClassifier else "predict"
    np.testing.assert_array_equal(
        getattr(ours, out)(Xt), getattr(manual, out)(Xt.transpose(0, 2, 1))
    )
    # partial_fit and advance_memory read the same layout as fit.
    ours.partial_fit(Xt, y[:7]).advance_memory(Xt)
    manual.partial_fit(Xt.transpose(0, 2, 1), y[:7]).advance_memory(Xt.transpose(0, 2, 1))
    np.testing.assert_array_equal(
        getattr(ours, out)(Xt), getattr(manual, out)(Xt.transpose(0, 2, 1))
    )
    np.testing.assert_array_equal(ours.surprise_, manual.surprise_)


def test_channels_first_other_forms_match_the_3d_array(rng):
    X = rng.normal(size=(24, 3, 10))
    y = np.arange(24) % 2
    ref = DREAMClassifier(**SMALL, layout="channels_first").fit(X, y)
    proba = ref.predict_proba(X)
    # A list of (n_channels, n_timepoints) arrays.
    as_list = DREAMClassifier(**SMALL, layout="channels_first").fit(list(X), y)
    # (equal to rounding: the standardisation sums the steps in another order)
    np.testing.assert_allclose(as_list.predict_proba(list(X)), proba, rtol=1e-10, atol=1e-12)
    # Flat rows with n_steps: each row the channels side by side, as X.reshape(n, -1).
    flat = DREAMClassifier(**SMALL, layout="channels_first", n_steps=10)
    flat.fit(X.reshape(24, -1), y)
    np.testing.assert_allclose(flat.predict_proba(X.reshape(24, -1)), proba, rtol=1e-10, atol=1e-12)
    # A plain 2-D array is aeon's (n_cases, n_timepoints): univariate series.
    uni = DREAMClassifier(**SMALL, layout="channels_first").fit(X[:, 0], y)
    want = DREAMClassifier(**SMALL, layout="channels_last").fit(X[:, 0, :, None], y)
    assert uni.n_features_in_ == 1 and uni.surprise_.shape == (24, 10)
    np.testing.assert_allclose(
        uni.predict_proba(X[:, 0]), want.predict_proba(X[:, 0, :, None]), rtol=1e-10, atol=1e-12
    )


@pytest.mark.parametrize(
    "shape",
    [(20, 1, 40), (20, 1, 10), (20, 3, 60), (20, 24, 51), (20, 6, 30), (20, 2, 8)],
    # (the last three: NATOPS's, RacketSports's and PenDigits's shapes, below 10 time
    # points per channel, read sideways without a warning until round 32: review 158)
    ids=["univariate", "short", "3-channels", "natops", "racketsports", "pendigits"],
)
def test_transposed_looking_array_warns_under_default_layout(shape, rng):
    X = rng.normal(size=shape)
    y = np.arange(shape[0]) % 2
    clf = DREAMClassifier(**SMALL)
    with pytest.warns(LayoutWarning, match=r"layout='channels_first'") as record:
        clf.fit(X, y)
    # It says what was read, and points at the caller (this file), not the package.
    layout_warnings = [w for w in record if w.category is LayoutWarning]
    assert f"of shape {shape}" in str(layout_warnings[0].message)
    assert layout_warnings[0].filename == __file__
    # The default still reads today's (n, steps, features): nothing silently changes.
    assert clf.n_features_in_ == shape[2] and clf.surprise_.shape == shape[:2]
    with pytest.warns(LayoutWarning):
        clf.predict(X)


def test_layout_warning_under_cross_validation_points_at_the_caller(rng):
    # scikit-learn's cross-validation runs each fit through joblib: the warning names
    # this file, not joblib/parallel.py (review 144).
    from sklearn.model_selection import cross_val_score

    X, y = rng.normal(size=(20, 1, 40)), np.arange(20) % 2
    with pytest.warns(LayoutWarning) as record:
        cross_val_score(DREAMClassifier(**SMALL), X, y, cv=2)
    files = {w.filename for w in record if w.category is LayoutWarning}
    assert files == {__file__}


def test_equal_length_aeon_list_warns_under_default_layout(rng):
    X = [rng.normal(size=(1, 30)) for _ in range(10)]
    with pytest.warns(LayoutWarning, match=r"list of 10 arrays of shape \(1, 30\)"):
        DREAMClassifier(**SMALL).fit(X, np.arange(10) % 2)


@pytest.mark.parametrize(
    "X_shape, layout",
    [
        ((20, 12, 3), None),  # an ordinary (n, steps, features) array
        ((20, 1, 3), None),  # one step of a few features (e.g. a stream's first step)
        ((20, 6, 6), None),  # as many steps as features
        ((20, 1, 40), "channels_last"),  # explicit: one step of 40 features on purpose
        ((20, 1, 40), "channels_first"),  # explicit: univariate series of 40 points
    ],
)
def test_no_warning_for_normal_arrays_or_an_explicit_layout(X_shape, layout, rng):
    X = rng.normal(size=X_shape)
    y = np.arange(X_shape[0]) % 2
    ctx = _no_layout_warning()
    try:
        clf = DREAMClassifier(**SMALL, layout=layout).fit(X, y)
        clf.predict(X)
    finally:
        ctx.__exit__(None, None, None)


def test_unequal_length_aeon_list_under_channels_first(rng):
    lengths = [35, 20, 28, 41, 17, 30, 25, 38, 22, 33, 19, 40]
    X = [rng.normal(size=(1, n)) + (i % 2) for i, n in enumerate(lengths)]
    y = np.array([f"c{i % 2}" for i in range(len(X))])
    clf = DREAMClassifier(**SMALL, layout="channels_first").fit(X, y)
    assert clf.n_features_in_ == 1
    assert clf.surprise_.shape == (len(X), max(lengths))
    # Each sequence has its own length: surprise is nan exactly past its end.
    np.testing.assert_array_equal(np.isfinite(clf.surprise_).sum(axis=1), lengths)
    manual = DREAMClassifier(**SMALL, layout="channels_last").fit([s.T for s in X], y)
    np.testing.assert_array_equal(clf.predict_proba(X), manual.predict_proba([s.T for s in X]))
    assert set(clf.predict(X)) <= {"c0", "c1"}
    # Multivariate unequal length too: (2, L_i) arrays.
    X2 = [rng.normal(size=(2, n)) for n in lengths]
    reg = DREAMRegressor(**SMALL, layout="channels_first").fit(X2, np.arange(12.0))
    assert reg.n_features_in_ == 2 and reg.predict(X2).shape == (12,)


def test_channels_first_list_of_frames_keeps_its_channel_names(rng):
    # aeon's list of DataFrames, one (n_channels, n_timepoints) frame per case, the
    # channels named by the index: read as arrays, their names were lost, and a later
    # list with its channels swapped was read without a word (review 214: 1.0 -> 0.5).
    X = [
        pd.DataFrame(rng.normal(size=(2, n)), index=["acc", "gyro"])
        for n in (30, 31, 32, 30, 29, 33, 30, 31, 30, 32)
    ]
    y = np.arange(len(X)) % 2
    for frame, label in zip(X, y, strict=True):
        frame.loc["gyro"] += 3 * label
    clf = DREAMClassifier(**SMALL, layout="channels_first").fit(X, y)
    assert list(clf.feature_names_in_) == ["acc", "gyro"]
    arrays = [frame.to_numpy() for frame in X]
    plain = DREAMClassifier(**SMALL, layout="channels_first").fit(arrays, y)
    np.testing.assert_array_equal(clf.predict_proba(X), plain.predict_proba(arrays))
    with pytest.raises(ValueError, match="Feature names must be in the same order"):
        clf.predict([frame.loc[["gyro", "acc"]] for frame in X])
    with pytest.raises(ValueError, match="must name its channels \\(its index\\) alike"):
        clf.predict([frame.loc[["gyro", "acc"]] if i else frame for i, frame in enumerate(X)])
    # Frames taken out of one table are indexed by their rows there (0-1, 2-3, ...):
    # read by position, as arrays (review 215: refused as differing columns)
    table = pd.concat([frame.iloc[:, :29] for frame in X], ignore_index=True)
    parts = [table.iloc[2 * i : 2 * i + 2] for i in range(len(X))]
    assert parts[1].index.tolist() == [2, 3]
    by_rows = DREAMClassifier(**SMALL, layout="channels_first").fit(parts, y)
    arrays = [part.to_numpy() for part in parts]
    plain = DREAMClassifier(**SMALL, layout="channels_first").fit(arrays, y)
    np.testing.assert_array_equal(by_rows.predict_proba(parts), plain.predict_proba(arrays))
    # the same integer labels in another order are channels reordered: refused (review 217)
    numbered = [pd.DataFrame(a) for a in arrays]
    numbered[1] = numbered[1].loc[[1, 0]]
    with pytest.raises(ValueError, match="must name its channels \\(its index\\) alike"):
        by_rows.predict(numbered)


def test_a_nested_frame_reads_as_its_series_under_channels_first(rng):
    # sktime's nested_univ DataFrame (a row per case, a column per channel, each cell a
    # series) died in NumPy's "setting an array element with a sequence" (review 214).
    # Under channels_first each row is read as its series, the columns as the channels'
    # names; under the default layout it is refused, saying which layout reads it.
    y = np.arange(10) % 2
    X = pd.DataFrame(
        {
            "acc": [pd.Series(rng.normal(size=30) + label) for label in y],
            "gyro": [pd.Series(rng.normal(size=30)) for _ in y],
        }
    )
    with pytest.raises(ValueError, match="sktime's nested format.*layout='channels_first'"):
        DREAMClassifier(**SMALL).fit(X, y)
    clf = DREAMClassifier(**SMALL, layout="channels_first").fit(X, y)
    assert list(clf.feature_names_in_) == ["acc", "gyro"]
    arrays = [np.stack([np.asarray(cell) for cell in row]) for row in X.itertuples(index=False)]
    plain = DREAMClassifier(**SMALL, layout="channels_first").fit(arrays, y)
    np.testing.assert_array_equal(clf.predict_proba(X), plain.predict_proba(arrays))
    with pytest.raises(ValueError, match="Feature names must be in the same order"):
        clf.predict(X[["gyro", "acc"]])
    ragged = X.copy()
    ragged.iat[0, 1] = pd.Series(rng.normal(size=12))
    with pytest.raises(ValueError, match="of one length within each row"):
        clf.predict(ragged)


def test_an_object_array_of_tensors_that_require_grad_reads_as_their_values(rng):
    # (review 214) torch's "Can't call numpy() on Tensor that requires grad", where a
    # list of the same tensors was read as their values
    y = np.arange(8) % 2
    tensors = [torch.tensor(rng.normal(size=25) + label, requires_grad=True) for label in y]
    items = np.empty(len(tensors), dtype=object)
    for i, t in enumerate(tensors):  # (a slice assignment reads them through NumPy)
        items[i] = t
    clf = DREAMClassifier(**SMALL, layout="channels_first").fit(items, y)
    values = [t.detach().numpy()[None, :] for t in tensors]
    plain = DREAMClassifier(**SMALL, layout="channels_first").fit(values, y)
    np.testing.assert_array_equal(clf.predict_proba(items), plain.predict_proba(values))


def test_aeon_list_under_default_layout_says_to_transpose(rng):
    X = [rng.normal(size=(1, n)) for n in (30, 25, 40)]
    with pytest.raises(ValueError, match=r"X\[0\] has 30 and X\[1\] has 25") as info:
        DREAMClassifier(**SMALL).fit(X, [0, 1, 0])
    message = str(info.value)
    assert "layout='channels_first'" in message and "[s.T for s in X]" in message
    # A genuine mistake in (n_steps, n_features) lists gets no such hint.
    with pytest.raises(ValueError, match="same number of features") as info:
        DREAMClassifier(**SMALL).fit([np.zeros((5, 2)), np.zeros((6, 3))], [0, 1])
    assert "channels_first" not in str(info.value)


def test_channels_first_list_with_unequal_channels_is_refused(rng):
    X = [rng.normal(size=(1, 30)), rng.normal(size=(2, 30))]
    with pytest.raises(ValueError, match=r"same number of channels; X\[0\] has 1 and X\[1\] has 2"):
        DREAMClassifier(**SMALL, layout="channels_first").fit(X, [0, 1])


def test_bad_layout_value_is_refused(rng):
    with pytest.raises(ValueError, match=r"The 'layout' parameter of DREAMRegressor must be"):
        DREAMRegressor(layout="ntc").fit(rng.normal(size=(4, 3, 2)), np.arange(4.0))


def test_channels_first_frame_keeps_its_time_columns_in_order():
    """Under layout='channels_first' a 2-D DataFrame's columns are time points: a
    frame with its columns reversed was read back to front and scored 0.62 against
    0.953 on GunPoint, silently, and a ColumnTransformer's get_feature_names_out
    refused the time points' names (review 163)."""
    from sklearn.compose import ColumnTransformer

    rng = np.random.default_rng(0)
    columns = [f"t{i:02d}" for i in range(12)]
    frame = pd.DataFrame(np.cumsum(rng.normal(size=(20, 12)), axis=1), columns=columns)
    y = (frame["t11"] > frame["t00"]).astype(int).to_numpy()
    clf = DREAMClassifier(hidden_dim=4, max_iter=5, random_state=0, layout="channels_first")
    clf.fit(frame, y)
    assert clf.n_features_in_ == 1
    clf.predict(frame)
    clf.predict(frame.to_numpy())  # (an array after a frame: by position, as scikit-learn)
    for other in (frame[columns[::-1]], frame.set_axis([c.upper() for c in columns], axis=1)):
        with pytest.raises(ValueError, match=r"columns are time points .* in its order"):
            clf.predict(other)
    features = DREAMFeatures(hidden_dim=4, random_state=0, layout="channels_first").fit(frame)
    with pytest.raises(ValueError, match=r"columns are time points"):
        features.transform(frame[columns[::-1]])
    ct = ColumnTransformer(
        [("seq", DREAMFeatures(hidden_dim=4, random_state=0, layout="channels_first"), columns)]
    ).set_output(transform="pandas")
    out = ct.fit_transform(frame)
    assert list(out.columns)[:2] == ["seq__dreamfeatures0", "seq__dreamfeatures1"]
    with pytest.raises(ValueError, match=r"input_features must be the 12 time points"):
        features.get_feature_names_out(columns[::-1])
    # A prefix or a longer frame is taken, as an array of another length (review 164).
    np.testing.assert_array_equal(
        clf.predict_proba(frame.iloc[:, :7]), clf.predict_proba(frame.to_numpy()[:, :7])
    )
    clf.predict(frame.assign(t12=frame["t11"]))
    with pytest.raises(ValueError, match=r"columns are time points"):
        clf.predict(frame.iloc[:, :7].set_axis(columns[1:8], axis=1))
    # A frame whose labels are not text: scikit-learn names them x0... (review 164).
    plain = pd.DataFrame(frame.to_numpy())
    ct = ColumnTransformer(
        [("seq", DREAMFeatures(hidden_dim=4, random_state=0, layout="channels_first"), [0, 1])]
    )
    ct.fit_transform(plain.iloc[:, :2])
    assert list(ct.get_feature_names_out())[:1] == ["seq__dreamfeatures0"]


def test_short_prefixes_of_the_fits_shape_do_not_warn_at_predict(rng):
    """A fitted model's own width is what it expects: X[:, :t] with fewer steps than
    features warned at predict (6 of 10 prefixes of (40, 50, 8) data), though the
    sideways reading could not have been its input (review 161). Another width still
    warns."""
    X = rng.normal(size=(12, 20, 8))
    y = np.arange(12) % 2
    clf = DREAMClassifier(**SMALL).fit(X, y)
    features = DREAMFeatures(hidden_dim=4, random_state=0).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error", LayoutWarning)
        for t in range(1, 11):
            clf.predict(X[:2, :t])
            clf.predict([s[:t] for s in X[:2]])
            features.transform(X[:2, :t])
    with pytest.warns(LayoutWarning):
        with pytest.raises(ValueError):  # (30 features where 8 were fitted)
            clf.predict(rng.normal(size=(2, 8, 30)))
