"""scikit-learn's own estimator checks, every one of them, on both estimators."""

import warnings

import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import parametrize_with_checks

from dream_sklearn import DREAMClassifier, DREAMRegressor

# Small settings so that every check is quick; no check is skipped or marked xfail.
SMALL = dict(hidden_dim=8, rank=2, max_iter=30, learning_rate_init=0.05, random_state=0)


@parametrize_with_checks([DREAMClassifier(**SMALL), DREAMRegressor(**SMALL)])
def test_sklearn_compatible_estimator(estimator, check, monkeypatch):
    # The array-API check skips itself unless this is set; with it, it runs (and passes).
    monkeypatch.setenv("SCIPY_ARRAY_API", "1")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


@pytest.mark.parametrize("Estimator", [DREAMClassifier, DREAMRegressor])
def test_three_d_array_tag(Estimator):
    tags = Estimator().__sklearn_tags__()
    assert tags.input_tags.three_d_array and tags.input_tags.two_d_array
    assert tags.target_tags.multi_output == (Estimator is DREAMRegressor)
