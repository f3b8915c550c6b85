"""Issue 13: sequence learning of DREAMClassifier / DREAMRegressor (dtype, fast features)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from scipy.special import softmax
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import parametrize_with_checks

from dream_sklearn import DREAMClassifier, DREAMFeatures, DREAMRegressor
from dream_sklearn.nn import DREAMState
from dream_sklearn.online import from_sklearn


@pytest.fixture
def small_seq():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 8, 2))
    y = (X[:, :, 0].mean(axis=1) > 0).astype(int)
    return X, y


@pytest.mark.parametrize("Est", [DREAMClassifier, DREAMRegressor])
def test_float32_is_the_default_and_float64_on_request(Est, small_seq):
    X, y = small_seq
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        params = dict(hidden_dim=8, rank=2, solver="adam", max_iter=5, random_state=0)
        est32 = Est(**params).fit(X, y)
        est64 = Est(**params, dtype="float64").fit(X, y)
    assert est32.dtype == "float32"
    assert all(p.dtype == torch.float32 for p in est32.module_.parameters())
    assert all(p.dtype == torch.float64 for p in est64.module_.parameters())
    assert est32.memory_.h.dtype == torch.float32 and est64.memory_.U.dtype == torch.float64
    if Est is DREAMClassifier:
        p32, p64 = est32.predict_proba(X), est64.predict_proba(X)
        assert p32.dtype == np.float64
        np.testing.assert_allclose(p32, p64, atol=1e-4)
        np.testing.assert_array_equal(est32.predict(X), est64.predict(X))
    else:
        np.testing.assert_allclose(est32.predict(X), est64.predict(X), atol=1e-4)
    # The memory moves the same way in both.
    np.testing.assert_allclose(est32.memory_.U.double(), est64.memory_.U, atol=1e-4)


def test_dtype_is_validated(small_seq):
    X, y = small_seq
    with pytest.raises(ValueError, match="The 'dtype' parameter of DREAMClassifier must be"):
        DREAMClassifier(dtype="float16").fit(X, y)


@pytest.mark.parametrize("Est", [DREAMClassifier, DREAMRegressor])
def test_ridge_solver_bank_runs_in_dtype_and_float32_agrees_with_float64(Est, small_seq):
    X, y = small_seq
    target = y if Est is DREAMClassifier else X[:, :, 0].mean(axis=1)
    est32 = Est(hidden_dim=8, random_state=0).fit(X, target)
    est64 = Est(hidden_dim=8, random_state=0, dtype="float64").fit(X, target)
    assert est32.features_.dtype == "float32" and est64.features_.dtype == "float64"
    assert all(p.dtype == torch.float32 for p in est32.features_.module_.parameters())
    assert all(p.dtype == torch.float64 for p in est64.features_.module_.parameters())
    # The readout's statistics and solve are float64 in both.
    assert est32.coef_.dtype == np.float64 and est32._ridge_stats.scatter.dtype == np.float64
    assert est32.alpha_ == est64.alpha_
    if Est is DREAMClassifier:
        p32, p64 = est32.predict_proba(X), est64.predict_proba(X)
        assert p32.dtype == np.float64
        np.testing.assert_allclose(p32, p64, atol=1e-4)
        np.testing.assert_array_equal(est32.predict(X), est64.predict(X))
    else:
        np.testing.assert_allclose(est32.predict(X), est64.predict(X), atol=1e-4)


def test_features_dtype_is_validated_and_float32_agrees_with_float64(small_seq):
    X, _ = small_seq
    with pytest.raises(ValueError, match="The 'dtype' parameter of DREAMFeatures must be"):
        DREAMFeatures(dtype="float16").fit(X)
    f32 = DREAMFeatures(hidden_dim=8, random_state=0).fit_transform(X)
    f64 = DREAMFeatures(hidden_dim=8, random_state=0, dtype="float64").fit_transform(X)
    assert f32.dtype == f64.dtype == np.float64
    np.testing.assert_allclose(f32, f64, atol=1e-4)
    assert not np.array_equal(f32, f64)  # the cell did run in each dtype


def test_a_fitted_bank_keeps_its_dtype_after_set_params(small_seq):
    # dtype is read at fit: a fitted bank transforms in the dtype it was built in.
    X, _ = small_seq
    bank = DREAMFeatures(hidden_dim=8, random_state=0).fit(X)
    before = bank.transform(X)
    bank.set_params(dtype="float64")
    np.testing.assert_array_equal(bank.transform(X), before)
    bank.set_params(dtype="float16")
    np.testing.assert_array_equal(bank.transform(X), before)


def test_a_ridge_model_pickled_before_the_bank_had_dtype_loads_as_float32(small_seq):
    X, y = small_seq
    clf = DREAMClassifier(hidden_dim=8, random_state=0).fit(X, y)
    state = clf.__getstate__()
    bank_state = clf.features_.__getstate__()
    del bank_state["dtype"]  # as an older version pickled its (float32) bank
    state["features_"] = DREAMFeatures.__new__(DREAMFeatures)
    state["features_"].__setstate__(bank_state)
    old = DREAMClassifier.__new__(DREAMClassifier)
    old.__setstate__(state)
    assert old.features_.dtype == "float32"
    np.testing.assert_array_equal(old.predict_proba(X), clf.predict_proba(X))


# -- DREAMFeatures: the fast mode ---------------------------------------------------------

FEAT = dict(
    hidden_dim=6, rank=2, timescales=(2.0, 8.0), fast_weights=True, plasticity=True, random_state=0
)


@parametrize_with_checks([DREAMFeatures(**FEAT)])
def test_dream_features_passes_sklearn_checks(estimator, check, monkeypatch):
    monkeypatch.setenv("SCIPY_ARRAY_API", "1")
    check(estimator)


def _ragged(seed=0, n=12, d=2):
    rng = np.random.RandomState(seed)
    return [rng.normal(size=(rng.randint(3, 15), d)) for _ in range(n)]


def test_dream_features_unequal_lengths_are_each_sequence_alone():
    seqs = _ragged()
    feats = DREAMFeatures(**FEAT).fit(seqs)
    together = feats.transform(seqs)
    alone = np.vstack([feats.transform([s]) for s in seqs])
    np.testing.assert_allclose(together, alone, rtol=1e-5, atol=1e-6)
    assert together.shape == (12, feats.n_features_out_)
    assert np.isfinite(together).all()
    # Chunking does not change the features, and fit_transform (one pass) gives
    # those of fit then transform.
    chunked = feats.set_params(batch_size=5).transform(seqs)
    np.testing.assert_allclose(chunked, together, rtol=1e-5, atol=1e-6)
    for batch_size in (5, 256):
        feats = DREAMFeatures(**FEAT, batch_size=batch_size)
        one_pass = feats.fit_transform(seqs)
        np.testing.assert_allclose(one_pass, feats.transform(seqs), rtol=1e-5, atol=1e-6)


def test_dream_features_batch_size_only_bounds_memory():
    # 80 sequences: more than the 32 that place the PPV thresholds, and more than a
    # small batch. The fitted transformer and its features do not depend on batch_size.
    seqs = _ragged(n=80)
    fits = [DREAMFeatures(**{**FEAT, "batch_size": b}).fit(seqs) for b in (5, 256)]
    np.testing.assert_allclose(fits[0].thresholds_, fits[1].thresholds_, rtol=1e-5, atol=1e-6)
    one_pass = DREAMFeatures(**{**FEAT, "batch_size": 7}).fit_transform(seqs)
    np.testing.assert_allclose(one_pass, fits[1].transform(seqs), rtol=1e-5, atol=1e-6)


def test_dream_features_layout_and_count():
    X = np.random.RandomState(1).normal(size=(10, 7, 3))
    feats = DREAMFeatures(**FEAT).fit(X)
    out = feats.transform(X)
    # per copy: 4 pooled statistics of 6 units, then U (6 x 2)
    assert feats.n_features_out_ == 2 * (4 * 6 + 6 * 2) == out.shape[1]
    per_copy = out.reshape(10, 2, -1)
    # "last" is the final h, which lies in [-1, 1] (tanh, float32); "ppv" is a proportion in [0, 1].
    last, ppv = per_copy[:, :, 12:18], per_copy[:, :, 18:24]
    assert np.all(np.abs(last) <= 1) and np.all((ppv >= 0) & (ppv <= 1))
    # "max" is at least "mean"
    assert np.all(per_copy[:, :, 6:12] >= per_copy[:, :, 0:6] - 1e-6)
    # the copies differ: another time constant gives other features
    assert not np.allclose(per_copy[:, 0], per_copy[:, 1])


def test_dream_features_reads_aeon_layouts_and_checks_cell_params_by_dreamconfig():
    rng = np.random.RandomState(3)
    X = rng.normal(size=(8, 12, 2))  # (n, time, features)
    want = DREAMFeatures(**FEAT).fit_transform(X)
    aeon = DREAMFeatures(**FEAT, layout="channels_first")
    np.testing.assert_allclose(aeon.fit_transform(X.transpose(0, 2, 1)), want, rtol=1e-6)
    unequal = [rng.normal(size=(1, n)) for n in (9, 15, 12)]  # aeon's list of (1, L_i)
    got = aeon.fit(unequal).transform(unequal)
    assert got.shape == (3, aeon.n_features_out_) and np.isfinite(got).all()
    with pytest.raises(ValueError, match="The 'rank' parameter of DREAMFeatures must be an int"):
        DREAMFeatures(rank=0).fit(X)


def test_dream_features_reproducible_and_seeded():
    X = np.random.RandomState(2).normal(size=(10, 7, 2))
    a = DREAMFeatures(**FEAT).fit_transform(X)
    b = DREAMFeatures(**FEAT).fit_transform(X)
    np.testing.assert_array_equal(a, b)
    c = DREAMFeatures(**{**FEAT, "random_state": 1}).fit_transform(X)
    assert not np.allclose(a, c)


def test_dream_features_plasticity_switch_controls_the_fast_weights():
    X = np.random.RandomState(3).normal(size=(10, 20, 2))
    on = DREAMFeatures(**FEAT, pooling=()).fit_transform(X)
    off = DREAMFeatures(**{**FEAT, "plasticity": False}, pooling=()).fit_transform(X)
    assert np.abs(on).max() > 0
    np.testing.assert_array_equal(off, 0.0)


@pytest.mark.parametrize(
    "param, value, match",
    [
        ("timescales", (), "'timescales' parameter of DREAMFeatures"),
        ("timescales", (1.0, -2.0), "'timescales' parameter of DREAMFeatures"),
        ("pooling", ("mean", "median"), "'pooling' parameter of DREAMFeatures"),
        ("hidden_dim", 0, "'hidden_dim' parameter of DREAMFeatures"),
    ],
)
def test_dream_features_bad_parameters(param, value, match):
    X = np.zeros((4, 3, 1))
    with pytest.raises(ValueError, match=match):
        DREAMFeatures(**{**FEAT, param: value}).fit(X)


def test_dream_features_refuses_other_feature_counts():
    feats = DREAMFeatures(**FEAT).fit(np.zeros((4, 3, 2)))
    with pytest.raises(ValueError, match="features"):
        feats.transform(np.zeros((4, 3, 5)))


# -- readout over the trajectory -----------------------------------------------------------


def _fit_quiet(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


@pytest.mark.parametrize("readout", ["last", "mean", "pool"])
def test_readout_reads_the_trajectory_it_names(readout):
    seqs = _ragged(seed=4, n=16, d=2)
    y = np.array([s[:, 0].mean() > 0 for s in seqs]).astype(int)
    clf = _fit_quiet(
        DREAMClassifier(
            hidden_dim=6, rank=2, solver="adam", max_iter=3, readout=readout, random_state=0
        ),
        seqs,
        y,
    )
    net = clf.module_
    n = 6
    assert net.head.in_features == {"last": n, "mean": n, "pool": 3 * n}[readout]
    # Each sequence alone through the layer, pooled by hand, then the head.
    logits = []
    with torch.no_grad():
        for s in seqs:
            x = torch.as_tensor((s - clf.x_mean_) / clf.x_scale_, dtype=torch.float32)[None]
            out, final = net.dream(x, DREAMState(*clf.memory_))
            h = out[0] if out.dim() == 3 else None
            z = {
                "last": final.h[0],
                "mean": None if h is None else h.mean(0),
                "pool": None if h is None else torch.cat([h.mean(0), h.amax(0), final.h[0]]),
            }[readout]
            logits.append(net.head(z).numpy())
    expected = softmax(np.array(logits), axis=1)
    np.testing.assert_allclose(clf.predict_proba(seqs), expected, rtol=1e-4, atol=1e-5)


def test_readout_is_validated_and_from_sklearn_refuses_pooled_readouts():
    X = np.random.RandomState(5).normal(size=(20, 4, 2))
    y = (X[:, :, 0].mean(axis=1) > 0).astype(int)
    with pytest.raises(ValueError, match="The 'readout' parameter of DREAMClassifier"):
        DREAMClassifier(readout="first").fit(X, y)
    for readout in ("mean", "pool"):
        reg = _fit_quiet(
            DREAMRegressor(hidden_dim=4, rank=2, solver="adam", max_iter=1, readout=readout), X, y
        )
        with pytest.raises(ValueError, match=f"readout='{readout}'"):
            from_sklearn(reg)
    assert from_sklearn(
        _fit_quiet(DREAMRegressor(hidden_dim=4, rank=2, solver="adam", max_iter=1), X, y)
    )


def test_float32_inputs_far_beyond_training_stay_finite():
    # Standardised to ~1e90, beyond float32's range: clipped to the cell's bound.
    X = np.random.RandomState(6).normal(size=(10, 6, 2))
    feats = DREAMFeatures(**FEAT).fit(X)
    far = X.copy()
    far[::2, 3, 0] = 1e90
    assert np.isfinite(feats.transform(far)).all()


def test_a_model_pickled_before_dtype_and_readout_loads_as_float64_last():
    X = np.random.RandomState(7).normal(size=(12, 4, 2))
    y = (X[:, -1, 0] > 0).astype(int)
    clf = _fit_quiet(DREAMClassifier(4, rank=2, solver="adam", max_iter=1, dtype="float64"), X, y)
    state = clf.__getstate__()
    del state["dtype"], state["readout"]  # as an older version pickled it
    old = DREAMClassifier.__new__(DREAMClassifier)
    old.__setstate__(state)
    assert old.get_params()["dtype"] == "float64" and old.get_params()["readout"] == "last"
    np.testing.assert_array_equal(old.predict_proba(X), clf.predict_proba(X))


def test_features_refuse_a_two_d_array_after_longer_sequences():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(12, 5, 3))
    features = DREAMFeatures(hidden_dim=4, timescales=(2.0,), random_state=0).fit(X)
    with pytest.raises(ValueError, match="sequences of up to 5 steps"):
        features.transform(X[:, 0, :])
    # Fitted on one-step rows, one-step rows stay accepted.
    flat = DREAMFeatures(hidden_dim=4, timescales=(2.0,), random_state=0).fit(X[:, 0, :])
    assert flat.transform(X[:, 0, :]).shape == (12, flat.n_features_out_)
