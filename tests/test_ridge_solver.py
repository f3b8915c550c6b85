"""solver="ridge", the estimators' default: an untrained cell bank and an exact ridge readout."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import Ridge
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
    # (weighted) standardised features, with an unpenalised intercept.
    rng = np.random.RandomState(0)
    F = rng.normal(size=(60, 25)) * rng.uniform(0.1, 5, size=25) + 3
    Y = rng.normal(size=(60, 2))
    w = rng.uniform(0, 2, size=60)
    stats = _RidgeStats(25, 2)
    for rows in np.array_split(np.arange(60), 4):
        stats.update(F[rows], Y[rows], w[rows])
    solution = stats.solve(np.array([7.0]))
    scaler = StandardScaler().fit(F, sample_weight=w)
    ref = Ridge(alpha=7.0).fit(scaler.transform(F), Y, sample_weight=w)
    np.testing.assert_allclose(
        F @ solution.coef + solution.intercept, ref.predict(scaler.transform(F)), atol=1e-10
    )


def test_penalty_is_the_generalised_cross_validation_minimum():
    rng = np.random.RandomState(1)
    F = rng.normal(size=(50, 12))
    y = F[:, :2].sum(1, keepdims=True) + 0.8 * rng.normal(size=(50, 1))
    alphas = np.array([0.01, 1.0, 30.0, 1000.0])
    Z = np.hstack([StandardScaler().fit_transform(F), np.ones((50, 1))])
    gcv = []
    for alpha in alphas:  # the hat matrix, built explicitly
        penalty = np.diag([alpha] * 12 + [0.0])
        H = Z @ np.linalg.solve(Z.T @ Z + penalty, Z.T)
        gcv.append(((y - H @ y) ** 2).sum() / (1 - np.trace(H) / 50) ** 2)
    stats = _RidgeStats(12, 1)
    stats.update(F, y)
    assert stats.solve(alphas).alpha == alphas[int(np.argmin(gcv))]


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
    np.testing.assert_allclose(proba.sum(1), 1.0)
    assert (proba > 0).all()
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
    clf = DREAMClassifier(hidden_dim=8, rank=2, plasticity=False, random_state=0).fit(X, y)
    bank = clf.features_
    assert isinstance(bank, DREAMFeatures)
    assert (bank.hidden_dim, bank.rank, bank.plasticity) == (8, 2, False)
    assert bank.transform(X).shape == (60, bank.n_features_out_)


def test_memory_methods_belong_to_the_adam_solver():
    X, y = _frequencies(40, seed=6)
    ridge = DREAMClassifier(hidden_dim=8, random_state=0).fit(X, y)
    assert not hasattr(ridge, "reset_memory") and not hasattr(ridge, "advance_memory")
    adam = DREAMClassifier(hidden_dim=8, solver="adam", max_iter=2, random_state=0)
    assert hasattr(adam, "reset_memory") and hasattr(adam, "advance_memory")


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
