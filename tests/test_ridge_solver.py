"""solver="ridge", the estimators' default: an untrained cell bank and an exact ridge readout."""

import pickle
import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge
from sklearn.metrics import r2_score
from sklearn.preprocessing import StandardScaler

from dream_sklearn import DREAMClassifier, DREAMFeatures, DREAMRegressor
from dream_sklearn._sklearn._ridge import _RidgeStats
from dream_sklearn.online import from_sklearn


def _frequencies(n, seed=0, steps=40):
    """Two frequencies to tell apart, random phase, noise: a known answer."""
    rng = np.random.RandomState(seed)
    freq = rng.choice([0.15, 0.35], size=n)
    t = np.arange(steps)
    X = np.sin(freq[:, None] * t + rng.uniform(0, 6, size=(n, 1)))[:, :, None]
    return X + 0.3 * rng.normal(size=X.shape), np.where(freq > 0.2, "fast", "slow")


def test_running_statistics_give_sklearns_ridge_exactly():
    # Chunked, weighted statistics solve the same problem as Ridge on the
    # (weighted) standardised features, with an unpenalised intercept; the weights
    # count relative to each other (rescaled to average 1 over the rows).
    rng = np.random.RandomState(0)
    F = rng.normal(size=(60, 25)) * rng.uniform(0.1, 5, size=25) + 3
    Y = rng.normal(size=(60, 2))
    w = rng.uniform(0, 2, size=60)
    stats = _RidgeStats(25, 2)
    for rows in np.array_split(np.arange(60), 4):
        stats.update(F[rows], Y[rows], w[rows])
    solution = stats.solve(np.array([7.0]))
    scaler = StandardScaler().fit(F, sample_weight=w)
    ref = Ridge(alpha=7.0).fit(scaler.transform(F), Y, sample_weight=w * 60 / w.sum())
    np.testing.assert_allclose(
        F @ solution.coef + solution.intercept, ref.predict(scaler.transform(F)), atol=1e-10
    )


@pytest.mark.parametrize("n_features", [12, 80])  # fewer and more features than rows
def test_penalty_is_the_generalised_cross_validation_minimum(n_features):
    rng = np.random.RandomState(1)
    F = rng.normal(size=(50, n_features))
    y = F[:, :2].sum(1, keepdims=True) + 0.8 * rng.normal(size=(50, 1))
    alphas = np.array([0.01, 1.0, 30.0, 1000.0])
    Z = np.hstack([StandardScaler().fit_transform(F), np.ones((50, 1))])
    gcv = []
    for alpha in alphas:  # the hat matrix, built explicitly
        penalty = np.diag([alpha] * n_features + [0.0])
        H = Z @ np.linalg.solve(Z.T @ Z + penalty, Z.T)
        dof = np.trace(H)
        gcv.append(((y - H @ y) ** 2).sum() / (1 - dof / 50) ** 2 if dof < 50 else np.inf)
    assert np.isfinite(gcv).sum() >= 2  # a real choice
    stats = _RidgeStats(n_features, 1)
    stats.update(F, y)
    chosen = stats.solve(alphas).alpha
    assert chosen == alphas[int(np.argmin(gcv))]
    # Equal weights at any scale (AdaBoost's 1/n, say) choose the same penalty.
    for scale in (1 / 50, 1e3):
        weighted = _RidgeStats(n_features, 1)
        weighted.update(F, y, np.full(50, scale))
        assert weighted.solve(alphas).alpha == chosen


def test_defaults_are_the_ridge_solver_and_learn_a_known_answer():
    X, y = _frequencies(240)
    clf = DREAMClassifier(random_state=0)
    assert clf.solver == "ridge"
    clf.fit(X[:160], y[:160])
    assert clf.score(X[160:], y[160:]) >= 0.95
    assert clf.coef_.shape == (2, clf.features_.n_features_out_)
    assert not hasattr(clf, "module_") and not hasattr(clf, "memory_")


def test_partial_fit_equals_one_ridge_on_every_chunk():
    # After several partial_fit calls the readout is the ridge (at the chosen
    # alpha_) of all their sequences' features, with the first call's feature map.
    X, y = _frequencies(150, seed=2)
    clf = DREAMClassifier(hidden_dim=16, random_state=0)
    for rows in np.array_split(np.arange(150), 3):
        clf.partial_fit(X[rows], y[rows], classes=["fast", "slow"])
    assert clf.n_iter_ == 3
    F = clf.features_.transform(X)
    scaler = StandardScaler().fit(F)
    target = (y[:, None] == clf.classes_).astype(float)
    ref = Ridge(alpha=clf.alpha_).fit(scaler.transform(F), target)
    np.testing.assert_allclose(
        F @ clf.coef_.T + clf.intercept_, ref.predict(scaler.transform(F)), atol=1e-8
    )


def test_probabilities_sum_to_one_and_agree_with_predict():
    X, y = _frequencies(120, seed=3)
    y = np.where(np.arange(120) % 3 == 0, "third", y)  # three classes, one noise
    clf = DREAMClassifier(hidden_dim=16, random_state=0).fit(X[:80], y[:80])
    proba = clf.predict_proba(X[80:])
    # The readout's own scores (fitted to each class's 0/1 indicator) sum to 1.
    scores = clf.features_.transform(X[80:]) @ clf.coef_.T + clf.intercept_
    np.testing.assert_allclose(scores.sum(1), 1.0, atol=1e-8)
    assert (scores < 1e-6).any()  # some are raised to the floor ...
    np.testing.assert_allclose(proba.sum(1), 1.0)
    assert (proba > 0).all()  # ... so that every probability is positive
    np.testing.assert_allclose(
        proba, np.maximum(scores, 1e-6) / np.maximum(scores, 1e-6).sum(1, keepdims=True)
    )
    np.testing.assert_array_equal(clf.classes_[proba.argmax(1)], clf.predict(X[80:]))


def test_regressor_beats_the_training_mean():
    rng = np.random.RandomState(4)
    X = rng.normal(size=(200, 30, 2))
    y = X[:, :10, 0].mean(1) - X[:, -5:, 1].mean(1)  # a window early, one late
    reg = DREAMRegressor(random_state=0).fit(X[:150], y[:150])
    rmse = np.sqrt(np.mean((reg.predict(X[150:]) - y[150:]) ** 2))
    assert rmse < 0.6 * np.sqrt(np.mean((y[:150].mean() - y[150:]) ** 2))


def test_features_are_the_bank_configured_by_the_estimator():
    X, y = _frequencies(60, seed=5)
    params = dict(hidden_dim=8, rank=2, plasticity=True, forgetting_rate=0.02)
    clf = DREAMClassifier(**params, random_state=0).fit(X, y)
    bank = clf.features_
    assert isinstance(bank, DREAMFeatures)
    assert (bank.hidden_dim, bank.rank, bank.plasticity) == (8, 2, True)
    config = bank.module_.config
    assert config.plasticity_enabled and config.forgetting_rate == 0.02
    # The readout reads exactly these features.
    scores = bank.transform(X) @ clf.coef_.T + clf.intercept_
    np.testing.assert_array_equal(clf.classes_[scores.argmax(1)], clf.predict(X))
    # The same bank refits from its own parameters (random_state passed on).
    np.testing.assert_allclose(clone(bank).fit(X).transform(X), bank.transform(X), atol=1e-6)


def test_sample_weights_count_relative_to_each_other():
    X, y = _frequencies(150, seed=10)
    plain = DREAMClassifier(hidden_dim=16, random_state=0).fit(X[:100], y[:100])
    tiny = DREAMClassifier(hidden_dim=16, random_state=0)
    tiny.fit(X[:100], y[:100], sample_weight=np.full(100, 1 / 100))  # as AdaBoost starts
    assert tiny.alpha_ == plain.alpha_
    np.testing.assert_allclose(tiny.predict_proba(X[100:]), plain.predict_proba(X[100:]))


@pytest.mark.parametrize("scale", [1e155, 1e-310])
def test_weights_of_any_scale_count_relative_to_each_other_across_partial_fits(scale):
    """Uniform weights of 1e155 overflowed the statistics' merge, of 1e-310 their
    inverse: NaN predictions, and a classifier that predicted its first class, with
    no error (a review's finding)."""
    X, y = _frequencies(90, seed=12)
    plain = DREAMClassifier(hidden_dim=16, random_state=0)
    scaled = DREAMClassifier(hidden_dim=16, random_state=0)
    for part in (slice(0, 30), slice(30, 60)):
        plain.partial_fit(X[part], y[part], classes=np.unique(y))
        scaled.partial_fit(X[part], y[part], classes=np.unique(y), sample_weight=np.full(30, scale))
    assert scaled.alpha_ == plain.alpha_
    np.testing.assert_allclose(scaled.predict_proba(X[60:]), plain.predict_proba(X[60:]), atol=1e-9)


@pytest.mark.parametrize("first, second", [(1e-310, 1e-300), (1e150, 1e155), (1e-310, 1.0)])
def test_weights_count_relative_to_each_other_whatever_the_first_calls_scale(first, second):
    # (the change's review) the weights were read in units of the first call's
    # largest only: 1e-310 then 1 (1e310 times larger) overflowed to NaN predictions
    X, y = _frequencies(90, seed=13)
    scaled = DREAMClassifier(hidden_dim=16, random_state=0)
    for part, w in ((slice(0, 30), first), (slice(30, 60), second)):
        scaled.partial_fit(X[part], y[part], classes=np.unique(y), sample_weight=np.full(30, w))
    proba = scaled.predict_proba(X[60:])
    assert np.isfinite(proba).all()
    ratio = second / first
    if np.isfinite(ratio):  # (the same weights relative to each other, near 1)
        plain = DREAMClassifier(hidden_dim=16, random_state=0)
        for part, w in ((slice(0, 30), 1.0), (slice(30, 60), ratio)):
            plain.partial_fit(X[part], y[part], classes=np.unique(y), sample_weight=np.full(30, w))
        np.testing.assert_allclose(proba, plain.predict_proba(X[60:]), atol=1e-6)


def test_warm_start_belongs_to_the_adam_solver():
    X, y = _frequencies(80, seed=11)
    clf = DREAMClassifier(hidden_dim=8, warm_start=True, random_state=0).fit(X, y)
    clf.fit(X * 5 + 3, y)  # the ridge solver refits everything, scaling included
    fresh = DREAMClassifier(hidden_dim=8, random_state=0).fit(X * 5 + 3, y)
    np.testing.assert_allclose(clf.x_mean_, fresh.x_mean_)
    np.testing.assert_array_equal(clf.predict_proba(X), fresh.predict_proba(X))
    assert clf.n_iter_ == 1


def test_memory_methods_belong_to_the_adam_solver():
    X, y = _frequencies(40, seed=6)
    ridge = DREAMClassifier(hidden_dim=8, random_state=0).fit(X, y)
    assert not hasattr(ridge, "reset_memory") and not hasattr(ridge, "advance_memory")
    ridge.set_params(solver="adam")  # not refitted: still the ridge model, no memory
    assert not hasattr(ridge, "reset_memory")
    adam = DREAMClassifier(hidden_dim=8, solver="adam", max_iter=2, random_state=0)
    assert hasattr(adam, "reset_memory") and hasattr(adam, "advance_memory")
    adam.fit(X, y).set_params(solver="ridge")  # fitted by gradient: the memory is there
    assert hasattr(adam, "reset_memory") and adam.reset_memory() is adam


def test_a_model_pickled_before_the_solver_existed_loads_as_adam():
    X, y = _frequencies(40, seed=12)
    est = DREAMClassifier(hidden_dim=8, solver="adam", max_iter=2, random_state=0).fit(X, y)
    state = est.__getstate__()
    del state["solver"]
    old = DREAMClassifier.__new__(DREAMClassifier)
    old.__setstate__(state)
    assert old.solver == "adam"
    np.testing.assert_array_equal(old.predict_proba(X), est.predict_proba(X))


def test_switching_solver_replaces_the_fitted_model():
    X, y = _frequencies(40, seed=7)
    clf = DREAMClassifier(hidden_dim=8, random_state=0, warm_start=True).fit(X, y)
    clf.set_params(solver="adam", max_iter=2).fit(X, y)
    assert hasattr(clf, "module_") and not hasattr(clf, "features_")
    assert not hasattr(clf, "coef_")
    clf.set_params(solver="ridge").fit(X, y)
    assert hasattr(clf, "features_") and not hasattr(clf, "module_")
    fresh = DREAMClassifier(hidden_dim=8, random_state=0).fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba(X), fresh.predict_proba(X))


@pytest.mark.parametrize("Estimator", [DREAMClassifier, DREAMRegressor])
@pytest.mark.parametrize("before, after", [("ridge", "adam"), ("adam", "ridge")])
def test_partial_fit_refuses_a_model_fitted_with_the_other_solver(Estimator, before, after):
    # (review 283) it replaced the fitted model with one of its chunk alone, silently
    # (R2 0.944 after seven chunks, 0.352 after a chunk of 5 sequences); fit replaces
    X, labels = _frequencies(40, seed=7)
    y = labels if Estimator is DREAMClassifier else (labels == "fast").astype(float)
    model = Estimator(hidden_dim=8, random_state=0, solver=before, max_iter=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    state = pickle.dumps(model)
    model.set_params(solver=after)
    with pytest.raises(ValueError, match=f"fitted with solver='{before}', and solver is"):
        model.partial_fit(X[:5], y[:5])
    model.set_params(solver=before)
    assert pickle.dumps(model) == state  # (nothing changed)


@pytest.mark.parametrize("solver", ["ridge", "adam"])
def test_setting_the_layout_none_reads_explicitly_is_no_change(solver):
    # (review 283) the LayoutWarning asks for the layout set explicitly; that refused
    # partial_fit and warm starts as a change of how X is read
    # (review 286) and silences the warning in later calls, as it says it will
    from dream_sklearn import LayoutWarning

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(30, 3, 40)), rng.integers(0, 2, 30)  # (looks channels-first)
    model = DREAMClassifier(hidden_dim=8, random_state=0, solver=solver, max_iter=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with pytest.warns(LayoutWarning):
            model.fit(X, y)
        model.set_params(layout="channels_last")
        warnings.simplefilter("error", LayoutWarning)
        model.predict(X)
        model.partial_fit(X, y)
        model.predict(X)
    model.set_params(layout="channels_first")
    with pytest.raises(ValueError, match="layout="):
        model.partial_fit(X.transpose(0, 2, 1), y)


@pytest.mark.parametrize("Estimator", [DREAMClassifier, DREAMRegressor])
def test_pickle_and_clone_keep_predictions(Estimator):
    X, y = _frequencies(50, seed=8)
    target = y if Estimator is DREAMClassifier else X[:, -1, 0]
    est = Estimator(hidden_dim=8, random_state=0).fit(X, target)
    again = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(again.predict(X), est.predict(X))
    np.testing.assert_array_equal(clone(est).fit(X, target).predict(X), est.predict(X))


def test_from_sklearn_refuses_the_ridge_solver():
    X, y = _frequencies(30, seed=9)
    clf = DREAMClassifier(hidden_dim=8, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="solver='adam'"):
        from_sklearn(clf)


@pytest.mark.parametrize("Estimator", [DREAMClassifier, DREAMRegressor])
def test_weight_zero_is_the_sequence_left_out(Estimator):
    X, y = _frequencies(90, seed=13)
    target = y if Estimator is DREAMClassifier else X[:, -1, 0]
    w = np.where(np.arange(90) % 4 == 0, 0.0, np.arange(90) % 3 + 1.0)
    keep = w > 0
    weighted = Estimator(hidden_dim=8, random_state=0).fit(X, target, sample_weight=w)
    without = Estimator(hidden_dim=8, random_state=0)
    without.fit(X[keep], target[keep], sample_weight=w[keep])
    assert weighted.alpha_ == without.alpha_
    out = "predict_proba" if Estimator is DREAMClassifier else "predict"
    # The same up to float32 rounding in the bank (its batches hold other sequences).
    np.testing.assert_allclose(getattr(weighted, out)(X), getattr(without, out)(X), atol=1e-5)


@pytest.mark.parametrize("eps", [1e-300, 1e-12])
def test_negligible_weights_count_as_missing_in_the_ridge_readout(eps):
    """Until round 47 every row of positive weight counted as a whole row in GCV and
    in the rescaling of the weights, and through the estimator junk sequences placed
    the pooling thresholds too (review 255): 1,000 rows at 1e-300 beside 30 real ones
    changed the readout, where RidgeCV's does not move. Rows that together hold at
    most a millionth of the weight now count as missing."""
    rng = np.random.default_rng(0)
    F, Fj = rng.normal(size=(30, 8)), rng.normal(size=(1000, 8)) * 5
    y = F @ rng.normal(size=8) + 3 * rng.normal(size=30)
    yj = 10 * rng.normal(size=1000)
    real = _RidgeStats(8, 1)
    real.update(F, y[:, None])
    both = _RidgeStats(8, 1)
    both.update(np.vstack([F, Fj]), np.r_[y, yj][:, None], np.r_[np.ones(30), np.full(1000, eps)])
    assert both.count == 30
    want, got = real.solve(), both.solve()
    assert got.alpha == want.alpha
    np.testing.assert_allclose(got.coef, want.coef, rtol=1e-6, atol=1e-9)
    for w in (np.ones(30), np.full(30, 0.1), np.full(30, 3e-200)):
        equal = _RidgeStats(8, 1)
        equal.update(F, y[:, None], w)
        assert equal.count == 30

    # Through the estimator: the penalty of the fit without them, and about its score.
    X = rng.normal(size=(40, 15, 1))
    target = 3 * X[:, :, 0].mean(1) + rng.normal(size=40)
    junk = 5 * rng.normal(size=(400, 15, 1)) + 2
    test = rng.normal(size=(200, 15, 1))
    test_y = 3 * test[:, :, 0].mean(1) + rng.normal(size=200)
    alone = DREAMRegressor(hidden_dim=6, random_state=0).fit(X, target)
    weighted = DREAMRegressor(hidden_dim=6, random_state=0).fit(
        np.concatenate([X, junk]),
        np.r_[target, 10 * rng.normal(size=400)],
        sample_weight=np.r_[np.ones(40), np.full(400, eps)],
    )
    assert weighted.alpha_ == alone.alpha_
    assert weighted.score(test, test_y) > alone.score(test, test_y) - 0.05


def test_one_heavy_weight_leaves_the_other_rows_counted():
    """A guard for a fix of review 255: Kish's effective number of rows, (sum w)^2 /
    sum w^2, tried in round 46, fell to about 1.7 with one weight 1,000 times the
    others' (300 rows), and the largest penalty was chosen (review 257). Rows a
    thousandth of the largest weight count as rows: together they hold 23% of it."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 20, 1))
    y = 3 * X[:, :, 0].mean(1) + 0.5 * rng.normal(size=300)
    test = rng.normal(size=(200, 20, 1))
    test_y = 3 * test[:, :, 0].mean(1) + 0.5 * rng.normal(size=200)
    w = np.ones(300)
    w[0] = 1000.0
    heavy = DREAMRegressor(hidden_dim=8, random_state=0).fit(X, y, sample_weight=w)
    plain = DREAMRegressor(hidden_dim=8, random_state=0).fit(X, y)
    assert heavy.alpha_ <= 10 * plain.alpha_
    assert heavy.score(test, test_y) > 0.3
    stats = _RidgeStats(2, 1)
    stats.update(rng.normal(size=(300, 2)), rng.normal(size=(300, 1)), w)
    assert stats.count == 300


def test_which_rows_count_does_not_depend_on_the_order_of_the_chunks():
    """A guard for a fix of review 255: a line at a millionth of the largest weight
    seen so far, tried in round 46, counted a light row when it came before a heavy
    one and not after it (review 258). Which rows count is decided over all the rows
    seen, whatever their order; weights spread over 12 decades (as boosting's can
    be) lose only the rows that together hold a millionth of the weight."""
    rng = np.random.default_rng(5)
    F = rng.normal(size=(600, 4))
    y = F @ rng.normal(size=4) + rng.normal(size=600)
    w = 10.0 ** rng.uniform(-12, 0, size=600)
    solutions, counts = [], []
    for order in (np.arange(600), np.argsort(w), np.argsort(-w)):
        stats = _RidgeStats(4, 1)
        for part in np.array_split(order, 3):
            stats.update(F[part], y[part, None], w[part])
        solutions.append(stats.solve())
        counts.append(stats.count)
    # the rows that count: every row but the lightest, which hold a millionth at most
    # (told apart by bins of 2% in weight: a row or two either side of the line)
    light = np.sort(w)
    dropped = int(np.searchsorted(np.cumsum(light), 1e-6 * w.sum(), side="right"))
    assert counts[0] == counts[1] == counts[2]
    assert abs(counts[0] - (600 - dropped)) <= 3
    assert 200 < counts[0] < 600  # (log-uniform: about half hold under a millionth)
    assert solutions[0].alpha == solutions[1].alpha == solutions[2].alpha
    np.testing.assert_allclose(solutions[1].coef, solutions[0].coef, rtol=1e-9)
    np.testing.assert_allclose(solutions[2].coef, solutions[0].coef, rtol=1e-9)


def test_statistics_pickled_before_the_weight_bins_count_every_positive_row():
    # (before round 47 the statistics had no bins: each positive row counted)
    rng = np.random.default_rng(6)
    stats = _RidgeStats(3, 1)
    stats.update(rng.normal(size=(20, 3)), rng.normal(size=(20, 1)))
    state = dict(stats.__dict__)
    for name in ("bins", "bin_counts"):
        del state[name]
    old = _RidgeStats.__new__(_RidgeStats)
    old.__dict__.update(state)
    old.update(
        rng.normal(size=(10, 3)), rng.normal(size=(10, 1)), np.r_[np.ones(5), 1e-300 * np.ones(5)]
    )
    assert old.count == 30
    assert np.isfinite(old.solve().coef).all()


def test_more_sequences_than_one_chunk_give_the_same_readout():
    # The features are computed and taken in 1,024 sequences at a time.
    rng = np.random.RandomState(14)
    X = rng.normal(size=(1100, 5, 2))
    y = X[:, -1, 0] + 0.1 * rng.normal(size=1100)
    reg = DREAMRegressor(hidden_dim=4, rank=2, random_state=0).fit(X, y)
    F = reg.features_.transform(X)
    scaler = StandardScaler().fit(F)
    target = (y - reg.y_mean_[0]) / reg.y_scale_[0]
    ref = Ridge(alpha=reg.alpha_).fit(scaler.transform(F), target)
    expected = ref.predict(scaler.transform(F)) * reg.y_scale_[0] + reg.y_mean_[0]
    np.testing.assert_allclose(reg.predict(X), expected, atol=1e-8)


def test_per_target_penalty_does_not_depend_on_the_targets_scales():
    rng = np.random.RandomState(1)
    F = rng.normal(size=(80, 20))
    Y = np.c_[F[:, 0] + 0.5 * rng.normal(size=80), rng.normal(size=80)]

    def alpha(Y, per_target):
        stats = _RidgeStats(20, 2)
        stats.update(F, Y)
        return stats.solve(per_target=per_target).alpha

    # the noise target shrunk 1000-fold: its errors no longer count in the plain sum
    shrunk = Y * [1.0, 1e-3]
    assert alpha(shrunk, True) == alpha(Y, True) == alpha(Y / Y.std(0), False)
    assert alpha(shrunk, False) != alpha(Y, False)


def test_chunked_regressor_chooses_the_penalty_one_fit_chooses():
    # (review 53) The targets are scaled by the first call's statistics: a target that
    # barely varied there outweighed the other in the penalty's choice (alpha 1e5
    # against one fit's 100), and the learnable target was shrunk to nothing.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 6, 2))
    Y = np.c_[X[:, -1, 0], rng.normal(size=300)]
    Y[:50, 1] *= 0.01
    chunked = DREAMRegressor(hidden_dim=8, random_state=0).partial_fit(X[:50], Y[:50])
    chunked.partial_fit(X[50:], Y[50:])
    one = DREAMRegressor(hidden_dim=8, random_state=0).fit(X, Y)
    assert chunked.alpha_ == one.alpha_
    Xt = rng.normal(size=(200, 6, 2))
    r2 = 1 - ((chunked.predict(Xt)[:, 0] - Xt[:, -1, 0]) ** 2).mean() / Xt[:, -1, 0].var()
    assert r2 > 0.6


def test_a_constant_target_beside_another_does_not_move_the_penalty():
    # (review 56) With sample weights a constant target's centred sum of squares is
    # rounding (about 1e-60, not 0): weighed by it, its noise chose alpha 1000
    # against 0.01 for the other target alone.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 8, 3))
    y = X[:, :, 0].sum(1) + 0.3 * rng.normal(size=120)
    w = rng.uniform(0.1, 3, size=120)
    alone = DREAMRegressor(hidden_dim=16, random_state=0).fit(X, y, sample_weight=w).alpha_
    for c in (0.1, 0.7, 1e10):
        both = DREAMRegressor(hidden_dim=16, random_state=0)
        both.fit(X, np.column_stack([y, np.full(120, c)]), sample_weight=w)
        assert both.alpha_ == alone, c
    # (review 61) a target constant to rounding (0.1 + 0.2 beside 0.3): the scaling reads
    # it as constant, its centred values are +-1 unit in the last place around 0, and
    # judged around that 0 their noise chose alpha 316 against 31.6
    noisy = np.array([0.1 + 0.2, 0.3] * 60)
    plain = DREAMRegressor(hidden_dim=16, random_state=0).fit(X, y).alpha_
    both = DREAMRegressor(hidden_dim=16, random_state=0).fit(X, np.column_stack([y, noisy]))
    assert both.alpha_ == plain


def test_partial_fit_refuses_a_bank_built_with_other_parameters():
    # (review 56) the ridge solver's partial_fit went on with the old cell bank after
    # set_params(hidden_dim=64), as the gradient solver's warm fit had.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 6, 2))
    y = X[:, -1, 0]
    reg = DREAMRegressor(hidden_dim=8, random_state=0).partial_fit(X[:20], y[:20])
    coef = reg.coef_.copy()
    reg.set_params(hidden_dim=16)
    with pytest.raises(ValueError, match="hidden_dim=8 -> 16.*call fit"):
        reg.partial_fit(X[20:], y[20:])
    np.testing.assert_array_equal(reg.coef_, coef)
    assert reg.fit(X, y).features_.hidden_dim == 16  # (fit builds a new bank)
    reg.set_params(dtype="float64")
    with pytest.raises(ValueError, match="dtype='float32' -> 'float64'"):
        reg.partial_fit(X, y)  # (the bank would go on in float32)
    # a bank pickled before it had a dtype ran in float32, whatever the estimator said
    state = reg.features_.__getstate__()
    del state["dtype"]
    old = type(reg.features_).__new__(type(reg.features_))
    old.__setstate__(state)
    reg.features_ = old
    reg.partial_fit(X, y)


def test_a_target_in_small_units_still_counts_by_its_own_spread():
    # (review 58) a first chunk of one sequence leaves the targets unscaled: a real
    # target in units of 1e-12 was dropped as constant beside the other (alpha 1e4
    # against 316, R2 0.21 against 0.83); its choice must not depend on its units
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 6, 2))
    small = X[:, -1, 0] + 0.5 * X[:, -2, 1]
    noise = rng.normal(size=400)

    def chunked(unit):
        Y = np.c_[noise, unit * small]
        reg = DREAMRegressor(hidden_dim=16, random_state=0).partial_fit(X[:1], Y[:1])
        for start in range(1, 400, 100):
            reg.partial_fit(X[start : start + 100], Y[start : start + 100])
        return reg.alpha_

    assert chunked(1e-12) == chunked(1.0)


@pytest.mark.parametrize("unit", [1e-160, 1e-200, 1e-300])
def test_partial_fit_on_targets_in_tiny_units_is_the_fit_in_units_of_one(unit):
    # (review 274, open until round 48) after a first chunk of one sequence the
    # targets are unscaled (y_scale_ 1); in units below about 1e-154 their squares
    # underflowed in the statistics, and GCV chose the largest penalty (R2 0.015
    # against 0.84). The readout must be the one in units of 1, times the unit.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 6, 2))
    y = X[:, -1, 0] + 0.5 * X[:, -2, 1] + 0.1 * rng.normal(size=300)

    def chunked(scale):
        reg = DREAMRegressor(hidden_dim=16, random_state=0).partial_fit(X[:1], scale * y[:1])
        for start in range(1, 250, 83):
            reg.partial_fit(X[start : start + 83], scale * y[start : start + 83])
        return reg

    ones, tiny = chunked(1.0), chunked(unit)
    assert tiny.alpha_ == ones.alpha_
    assert np.allclose(tiny.predict(X[250:]) / unit, ones.predict(X[250:]), rtol=1e-9)
    assert ones.score(X[250:], y[250:]) > 0.5


@pytest.mark.parametrize("unit", [1e-200, 1e-300])
def test_score_in_any_unit_is_the_score_in_units_of_one(unit):
    # (review 323) score was scikit-learn's r2_score in the target's own units: below
    # about 1e-154 every squared residual underflowed to 0 and R2 read 1.0 (0 / 0),
    # so a search ranked every model as perfect
    rng = np.random.default_rng(4)
    X = rng.normal(size=(60, 8, 2))
    y = X[:, :, 0].mean(1) + 0.1 * rng.normal(size=60)
    Y = np.c_[y, X[:, -1, 1]]
    for target in (y, Y):
        ones = DREAMRegressor(hidden_dim=8, random_state=0).fit(X, target)
        scaled = DREAMRegressor(hidden_dim=8, random_state=0).fit(X, unit * target)
        expected = r2_score(target, ones.predict(X))
        assert ones.score(X, target) == expected < 0.99
        assert scaled.score(X, unit * target) == pytest.approx(expected, rel=1e-9)
        w = rng.uniform(0.5, 2.0, size=60)
        assert scaled.score(X, unit * target, sample_weight=w) == pytest.approx(
            r2_score(target, ones.predict(X), sample_weight=w), rel=1e-9
        )


def test_a_row_of_weight_zero_changes_nothing_whatever_its_targets_unit():
    # (review 279) the unit reads rows of positive weight only; a row of weight 0
    # whose target overflowed in it made the statistics NaN (0 x inf)
    rng = np.random.default_rng(3)
    F, Y = rng.normal(size=(50, 4)), 1e-300 * rng.normal(size=(50, 1))
    with_row, without = _RidgeStats(4, 1), _RidgeStats(4, 1)
    with_row.update(
        np.vstack([F, rng.normal(size=(1, 4))]), np.vstack([Y, [[1e100]]]), np.r_[np.ones(50), 0.0]
    )
    without.update(F, Y)
    a, b = with_row.solve(), without.solve()
    assert a.alpha == b.alpha and np.isfinite(a.coef).all()
    np.testing.assert_allclose(a.coef, b.coef, rtol=1e-12)
    np.testing.assert_allclose(a.intercept, b.intercept, rtol=1e-9, atol=1e-312)


def test_statistics_in_units_of_one_are_the_targets_as_they_come():
    # targets of ordinary size are read as they come, to the bit; a tiny unit kept
    # across updates gives the readout in units of 1 times the unit; a pickle from
    # before the units reads the targets as they come
    rng = np.random.default_rng(7)
    F, Y = rng.normal(size=(40, 3)), rng.normal(size=(40, 2))
    Y[:, 1] += F[:, 0]
    stats, tiny = _RidgeStats(3, 2), _RidgeStats(3, 2)
    for rows in (slice(0, 20), slice(20, 40)):
        stats.update(F[rows], Y[rows])
        tiny.update(F[rows], Y[rows] * [1.0, 1e-170])
    assert np.array_equal(stats.y_unit, [1.0, 1.0])
    assert tiny.y_unit[0] == 1.0 and 1e-171 < tiny.y_unit[1] < 1e-169
    solved, expected = tiny.solve(per_target=True), stats.solve(per_target=True)
    assert solved.alpha == expected.alpha
    assert np.allclose(solved.coef / [1.0, 1e-170], expected.coef, rtol=1e-9)
    assert np.allclose(solved.intercept / [1.0, 1e-170], expected.intercept, atol=1e-12)
    old = _RidgeStats.__new__(_RidgeStats)
    old.__dict__.update({k: v for k, v in stats.__dict__.items() if k not in ("y_unit", "y_top")})
    old.update(F, Y * 1e-170)  # (as before: in units of 1)
    assert np.array_equal(old.y_unit, [1.0, 1.0]) and np.isfinite(old.solve().coef).all()


@pytest.mark.parametrize("layout", ["channels_last", "channels_first"])
def test_with_n_steps_the_bank_reads_the_flat_rows_reshaped_as_documented(layout):
    # (review 108) The docs gave one reshape; under channels_first each flat row holds
    # the channels' steps side by side, and the bank reads X.reshape(n, -1, n_steps).
    rng = np.random.RandomState(0)
    X3 = rng.normal(size=(20, 4, 3))  # (n, steps, channels)
    y = rng.randint(0, 2, 20)
    first = layout == "channels_first"
    X = X3.transpose(0, 2, 1) if first else X3  # (channels_first: (n, channels, steps))
    flat = X.reshape(20, -1)
    clf = DREAMClassifier(hidden_dim=4, n_steps=4, layout=layout, random_state=0).fit(flat, y)
    seqs = flat.reshape(20, -1, 4) if first else flat.reshape(20, 4, -1)
    scores = clf.features_.transform(seqs) @ clf.coef_.T + clf.intercept_
    plain = DREAMClassifier(hidden_dim=4, layout=layout, random_state=0).fit(X, y)
    np.testing.assert_allclose(
        scores, plain.features_.transform(X) @ plain.coef_.T + plain.intercept_
    )


@pytest.mark.parametrize(
    "change",
    [
        {"timescales": (1.0, 4.0, 16.0, 64.0)},
        {"timescales": (2.0,)},
        {"input_scale": 0.5},
        {"pooling": ("max", "mean", "last", "ppv")},
        {"pooling": ("mean",)},
        {"lags": 0},
        {"differences": False},
        {"fast_weights": True},
    ],
)
def test_a_fitted_bank_keeps_its_parameters_until_the_next_fit(change):
    # set_params between fit and transform mixed the new parameters with the bank's
    # fitted thresholds and cell (other features under the same names), or failed deep
    # in the cell (review 112); they take effect at the next fit, as dtype's did.
    X = np.random.RandomState(0).normal(size=(10, 20, 2))
    bank = DREAMFeatures(hidden_dim=4, random_state=0).fit(X)
    before = bank.transform(X)
    bank.set_params(**change)
    np.testing.assert_array_equal(bank.transform(X), before)
    refit = bank.fit(X).transform(X)
    expected = DREAMFeatures(hidden_dim=4, random_state=0, **change).fit_transform(X)
    np.testing.assert_array_equal(refit, expected)
    assert refit.shape[1] == len(bank.get_feature_names_out())


def test_a_bank_pickled_before_it_kept_its_parameters_loads_with_its_own():
    X = np.random.RandomState(0).normal(size=(6, 12, 2))
    bank = DREAMFeatures(hidden_dim=4, random_state=0, lags=1).fit(X)
    state = dict(bank.__getstate__())  # (a copy: it is the bank's own __dict__)
    del state["_bank"]  # (as a fitted bank pickled by an earlier version holds it)
    old = DREAMFeatures.__new__(DREAMFeatures)
    old.__setstate__(state)
    np.testing.assert_array_equal(old.transform(X), bank.transform(X))
    assert old._bank == bank._bank


@pytest.mark.parametrize("change", [{"timescales": (2.0,)}, {"lags": 0}, {"pooling": ("mean",)}])
def test_a_refused_refit_leaves_the_fitted_bank_as_it_was(change):
    # (the kept parameters had taken the new ones beside the old cell and thresholds,
    # and transform failed deep in the cell: review 114)
    X = np.random.RandomState(0).normal(size=(10, 20, 2))
    bad = X.copy()
    bad[0, 0, 0] = np.nan
    bank = DREAMFeatures(hidden_dim=4, random_state=0).fit(X)
    before = bank.transform(X)
    bank.set_params(**change)
    with pytest.raises(ValueError, match="NaN"):
        bank.fit(bad)
    np.testing.assert_array_equal(bank.transform(X), before)


@pytest.mark.parametrize("key, value", [("dtype", torch.float64), ("device", "meta")])
def test_bank_cell_params_refuse_torchs_factory_arguments(key, value):
    # (the cell takes device= and dtype= since round 25; a bank's cell_params did not,
    # and must not: dtype was overridden by the bank's own, device failed deep in torch)
    X = np.random.RandomState(0).normal(size=(8, 5, 2))
    with pytest.raises(ValueError, match=rf"'cell_params' parameter.*\['{key}'\] are not"):
        DREAMFeatures(hidden_dim=4, random_state=0, cell_params={key: value}).fit(X)


def test_a_partial_fit_that_raises_part_way_leaves_the_readout_as_it_was(monkeypatch):
    # The chunks taken before the error stayed in the statistics, and a rerun of the
    # call counted them twice (review 123): 80 sequences' weight after 60.
    from dream_sklearn._sklearn import _base

    monkeypatch.setattr(_base, "_PREDICT_CHUNK", 10)
    X, y = _frequencies(60)
    reference = DREAMClassifier(hidden_dim=4, rank=2, random_state=0)
    reference.partial_fit(X[:20], y[:20], classes=["fast", "slow"]).partial_fit(X[20:], y[20:])
    model = DREAMClassifier(hidden_dim=4, rank=2, random_state=0)
    model.partial_fit(X[:20], y[:20], classes=["fast", "slow"])
    features, calls = DREAMFeatures._features, []

    def failing(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise MemoryError("a chunk too many")
        return features(self, *args, **kwargs)

    monkeypatch.setattr(DREAMFeatures, "_features", failing)
    with pytest.raises(MemoryError):
        model.partial_fit(X[20:], y[20:])
    monkeypatch.setattr(DREAMFeatures, "_features", features)
    assert model._ridge_stats.weight == 20.0
    model.partial_fit(X[20:], y[20:])
    assert model._ridge_stats.weight == reference._ridge_stats.weight == 60.0
    np.testing.assert_allclose(model.predict_proba(X), reference.predict_proba(X), atol=1e-12)


def test_features_in_tiny_units_are_standardised_as_standard_scaler_does():
    # An absolute floor read features of std 1e-13 as constant (R^2 0 where
    # StandardScaler + Ridge gets 0.99: review 123); constant is now relative to the
    # features' level, as the estimators' own scaling reads it.
    rng = np.random.RandomState(3)
    F = rng.normal(size=(80, 3)) * 1e-13
    F = np.hstack([F, np.full((80, 1), 5.0)])  # (and a constant one still weighs nothing)
    Y = (F[:, :3] @ np.array([1.0, -2.0, 0.5]) * 1e13)[:, None] + 0.01 * rng.normal(size=(80, 1))
    stats = _RidgeStats(4, 1)
    stats.update(F, Y)
    solution = stats.solve(np.array([1.0]))
    ref = Ridge(alpha=1.0).fit(StandardScaler().fit_transform(F), Y)
    np.testing.assert_allclose(
        (F @ solution.coef + solution.intercept).ravel(),
        np.ravel(ref.predict(StandardScaler().fit_transform(F))),
        rtol=1e-8,
        atol=1e-8,
    )
    assert solution.coef[3, 0] == 0.0


def test_a_bank_in_a_pipeline_refuses_targets_indexed_by_id_in_another_order():
    # DREAMFeatures gives one row per sequence in X's order, and the next step of a
    # pipeline takes y by position: a y indexed by id in another order (sorted, as
    # groupby gives it) gave each sequence another's label with no error (a review's
    # finding: the pipeline scored 0.8 on its own training data, DREAMClassifier 1.0).
    import pandas as pd
    from sklearn.linear_model import RidgeClassifierCV
    from sklearn.pipeline import make_pipeline

    from dream_sklearn import to_sequences

    rng = np.random.RandomState(0)
    label = rng.randint(0, 2, size=20)
    ids = [f"id{k:02d}" for k in range(20)]
    order = rng.permutation(20)  # rows not sorted by id
    rows = [(ids[k], t, label[k] * 2.0 + rng.normal()) for k in order for t in range(6)]
    X = pd.DataFrame(rows, columns=["id", "t", "x"]).set_index(["id", "t"])
    y = pd.Series(label, index=ids)
    pipe = make_pipeline(DREAMFeatures(hidden_dim=8, random_state=0), RidgeClassifierCV())
    with pytest.raises(ValueError, match=r"not in the order of X's sequences.*y\.loc\[ids\]"):
        pipe.fit(X, y)
    with pytest.raises(ValueError, match="not in the order of X's sequences"):
        DREAMFeatures(hidden_dim=8).fit_transform(X, y)
    # in X's order (as the message says), or by position, it is taken
    in_order = y.loc[to_sequences(X)[1]]
    assert pipe.fit(X, in_order).score(X, in_order) == 1.0
    DREAMFeatures(hidden_dim=8).fit(X, in_order.to_numpy())
    # a y the estimators cannot align by id is taken by position, as before (review 156:
    # pandas' default index over integer ids in another order was refused)
    ints = X.rename(index={i: k for k, i in enumerate(ids)}, level=0)
    DREAMFeatures(hidden_dim=8).fit(ints, pd.Series(in_order.to_numpy()))


def test_two_sequences_take_the_largest_penalty():
    """With two sequences every penalty has the same cross-validation score, and the
    choice was rounding noise (0.01 say): an unseen sequence read a probability of
    1e-6. Ties go to the largest penalty (review 169)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3, 20, 2))
    model = DREAMClassifier(random_state=0).fit(X[:2], [0, 1])
    assert model.alpha_ == pytest.approx(1e5)
    assert np.all(model.predict_proba(X[2:]) > 0.01)


def _padded(long, lengths):
    """The padded array of sequences held one after another, made step by step."""
    padded = np.zeros((len(lengths), max(lengths), long.shape[1]))
    starts = np.cumsum(lengths) - lengths
    for i, (a, n) in enumerate(zip(starts, lengths, strict=True)):
        padded[i, :n] = long[a : a + n]
    return padded


def test_ragged_sequences_read_as_their_padded_array():
    from dream_sklearn._sklearn._input import _Ragged

    rng = np.random.RandomState(0)
    lengths = rng.randint(1, 30, size=40)
    long = rng.normal(size=(lengths.sum(), 3))
    ragged, padded = _Ragged(long, lengths), _padded(long, lengths)
    assert ragged.shape == padded.shape
    picks = (np.array([5, 2, 39]), slice(3, 17), np.arange(40), rng.permutation(40)[:9])
    for rows in (*picks, np.array([-1, 0, -7]), slice(30, 2, -3), slice(0, 40, 4)):
        steps = int(lengths[rows].max())
        np.testing.assert_array_equal(ragged[rows, :steps], padded[rows, :steps])
        wider = ragged[rows, : steps + 4]  # (a chunk read wider than its longest: zeros)
        np.testing.assert_array_equal(wider[:, :steps], padded[rows, :steps])
        assert not wider[:, steps:].any()
        part = ragged[rows]  # the sequences themselves, held alike
        np.testing.assert_array_equal(part.lengths, lengths[rows])
        np.testing.assert_array_equal(_padded(part.long, part.lengths), padded[rows, :steps])
    assert len(ragged[5:5]) == 0 and ragged[5:5].shape == (0, 0, 3)
    keep = rng.uniform(size=40) > 0.5
    part = ragged[keep]
    np.testing.assert_array_equal(_padded(part.long, part.lengths), padded[keep, : part.shape[1]])
    with pytest.raises(ValueError, match="whole sequences"):
        ragged[np.array([0, 1]), : int(lengths[:2].max()) - 1]


def test_no_solver_pads_the_whole_collection(monkeypatch):
    # Until round 38 the ridge solver (and DREAMFeatures) held the standardised
    # sequences padded to the longest, all at once: one series of 20,000 steps among
    # 500 of 20 made an array of 80 MB for 0.24 MB of values; until round 39 the adam
    # solver did. Both now pad a chunk (a mini-batch) at a time.
    from dream_sklearn._sklearn import _input

    rng = np.random.RandomState(1)
    X = [rng.normal(size=(n, 2)) for n in rng.randint(1, 40, size=60)] + [rng.normal(size=(900, 2))]
    y = np.arange(len(X)) % 2
    w = rng.uniform(0.5, 2.0, size=len(X))

    def adam_run():
        model = DREAMClassifier(
            solver="adam",
            max_iter=2,
            batch_size=16,
            early_stopping=True,
            validation_fraction=0.2,
            n_iter_no_change=5,
            random_state=0,
            hidden_dim=8,
        )
        model.fit(X, y, sample_weight=w)
        seen = [model.predict_proba(X), model.surprise_, model.loss_curve_]
        model.set_params(early_stopping=False).partial_fit(X[:30], y[:30])
        seen += [model.predict_proba(X), model.surprise_]
        model.advance_memory(X[40:])
        return [*seen, model.predict_proba(X), model.surprise_]

    expected = DREAMClassifier(random_state=0, hidden_dim=8).fit(X, y).predict_proba(X)
    expected_adam = adam_run()

    read = _input._Ragged.__getitem__

    def refuse(self, key):  # (a padded read of all 61 sequences at once)
        if isinstance(key, tuple) and len(self.lengths[key[0]]) == len(X):
            raise AssertionError("the whole collection padded")
        return read(self, key)

    monkeypatch.setattr(_input._Ragged, "__getitem__", refuse)
    got = DREAMClassifier(random_state=0, hidden_dim=8).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(got, expected)
    DREAMRegressor(random_state=0, hidden_dim=8).fit(X, y.astype(float)).predict(X)
    DREAMFeatures(random_state=0, hidden_dim=8).fit(X).transform(X)
    for got, expected in zip(adam_run(), expected_adam, strict=True):
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"fast_weights": True, "pooling": ("mean", "max", "last", "ppv"), "lags": 3},
        # (short memories: a window's inputs read steps before it, back to its lags'
        # differences; review 225 found the last of them read as 0)
        {"timescales": (2.0, 4.0), "lags": 2},
        {"timescales": (2.0, 4.0), "lags": 0},
        {"timescales": (2.0, 4.0), "differences": False},
    ],
)
def test_long_sequences_run_in_windows_give_the_features_of_one_pass(monkeypatch, options):
    # A chunk longer than _WINDOW steps runs in windows, the state carried and the
    # pooling summed over them (one series of 100,000 steps grew the process by 736 MB
    # in one pass; round 40). With windows of 7 steps (sequences ending before, in and
    # on a window's edge; lags and differences reading across its edge) the features
    # and the PPV thresholds are one pass's, to rounding.
    from dream_sklearn._sklearn import _features

    # (the thresholds from 50 values drawn by position: a window keeps the ones drawn)
    monkeypatch.setattr(_features, "_QUANTILE_SAMPLE", 50)
    rng = np.random.RandomState(0)
    X = [rng.normal(size=(n, 2)) for n in (1, 6, 7, 8, 13, 14, 30, 61)]
    params = dict(random_state=0, hidden_dim=6, dtype="float64", batch_size=4, **options)
    whole = DREAMFeatures(**params).fit(X)
    expected = whole.transform(X)
    monkeypatch.setattr(_features, "_WINDOW", 7)
    windowed = DREAMFeatures(**params).fit(X)
    np.testing.assert_allclose(windowed.thresholds_, whole.thresholds_, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(windowed.transform(X), expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(whole.transform(X), expected, rtol=1e-10, atol=1e-12)


def test_the_thresholds_are_quantiles_of_values_drawn_by_position(monkeypatch):
    # The rule, step by step (the bank's random draws in their order; every valid value
    # of the sequences drawn, each run alone in one pass, sequence by sequence in the
    # order drawn; a sample of them by position), against the bank's thresholds, which
    # are drawn before the run and kept window by window (windows of 7 steps here: a
    # draw's position must follow a sequence across them; review 227 found no test
    # that would fail with it one step off, or with the sequences' order reversed).
    from dream_sklearn._sklearn import _features

    monkeypatch.setattr(_features, "_QUANTILE_SAMPLE", 50)
    monkeypatch.setattr(_features, "_WINDOW", 7)
    rng = np.random.RandomState(1)
    X = [rng.normal(size=(n, 2)) for n in rng.randint(1, 30, size=40)]
    bank = DREAMFeatures(random_state=0, hidden_dim=5, dtype="float64", batch_size=4).fit(X)
    draws = np.random.RandomState(0)
    draws.randint(np.iinfo(np.int32).max)  # (the cell's seed)
    pick = np.sort(draws.permutation(len(X))[:32])
    K = len(bank.timescales)
    levels = torch.as_tensor(draws.uniform(0.25, 0.75, size=(K, 5)))
    X3, lengths = bank._read(X, reset=False)
    monkeypatch.setattr(_features, "_WINDOW", 10**6)
    values = [[] for _ in range(K)]
    for r in pick:
        ((_, _, windows),) = bank._run(X3[[r]], lengths[[r]])
        ((out, _, mask),) = windows
        for k in range(K):
            values[k].append(out[k][mask[k]])
    for k in range(K):
        v = torch.cat(values[k])
        assert len(v) > 50  # (a sample is drawn)
        v = v[torch.as_tensor(draws.choice(len(v), 50, replace=False))]
        want = torch.diagonal(torch.quantile(v, levels[k], dim=0)).numpy()
        np.testing.assert_allclose(bank.thresholds_[k], want, rtol=0, atol=1e-12)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_each_units_threshold_is_torch_quantile_of_its_column_to_the_bit(dtype):
    """One sort and torch.quantile's interpolation, not torch.quantile of every column
    at every unit's level (a (units, units) matrix: 2 GB at hidden_dim=8000; review
    317): the same values, ties and one or two rows included."""
    from dream_sklearn._sklearn._features import _own_quantiles

    g = torch.Generator().manual_seed(0)
    for n, units in ((4096, 64), (37, 300), (1, 5), (2, 7)):
        values = torch.randn(n, units, generator=g, dtype=dtype)
        values[: n // 2] = values[: n // 2].round()  # (ties)
        levels = 0.25 + 0.5 * torch.rand(units, generator=g, dtype=dtype)
        want = torch.diagonal(torch.quantile(values, levels, dim=0))
        assert torch.equal(_own_quantiles(values, levels), want)


def test_adam_predicts_in_chunks_of_like_lengths(monkeypatch):
    # The adam solver's predict ran the sequences in the order given, 1,024 at once,
    # each chunk padded to its longest: one long series among short ones padded them
    # all (160 MB of NumPy arrays for 0.24 MB of values in speed.py's memory row). It
    # now runs them in chunks of like lengths, as the ridge solver does: at most twice
    # their own steps padded, and the predictions as sequence by sequence.
    from dream_sklearn._sklearn import _base

    rng = np.random.RandomState(2)
    X = [rng.normal(size=(n, 2)) for n in rng.randint(1, 30, size=80)]
    X.insert(17, rng.normal(size=(600, 2)))
    y = np.arange(len(X)) % 3
    model = DREAMClassifier(
        solver="adam", max_iter=1, random_state=0, hidden_dim=8, dtype="float64"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    read, as_tensor = [], _base._input_tensor

    def counted(X3, *args):  # (the padded steps the network is given)
        read.append(X3.shape[0] * X3.shape[1])
        return as_tensor(X3, *args)

    monkeypatch.setattr(_base, "_input_tensor", counted)
    proba = model.predict_proba(X)
    assert sum(read) <= 2 * sum(len(x) for x in X)
    one_by_one = np.concatenate([model.predict_proba([x]) for x in X[::10]])
    np.testing.assert_allclose(proba[::10], one_by_one, rtol=1e-12, atol=1e-15)
