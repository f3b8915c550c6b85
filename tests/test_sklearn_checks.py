"""scikit-learn's own estimator checks, every one of them, on both estimators and
both solvers."""

import warnings

import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import parametrize_with_checks

from dream_sklearn import DREAMClassifier, DREAMRegressor

# Small settings so that every check is quick; no check is skipped or marked xfail in
# float64. The float32 default runs them all too (test_sklearn_compatible_float32).
SMALL = dict(
    hidden_dim=8,
    rank=2,
    solver="adam",
    max_iter=30,
    learning_rate_init=0.05,
    random_state=0,
    dtype="float64",
)
FLOAT32 = {**SMALL, "dtype": "float32"}
# Checks that compare two fits to rtol=1e-7, beyond float32's rounding (the same
# comparisons hold to ~1e-4 in float32 and exactly in float64, above).
_FLOAT32_ROUNDING = "compares two fits to rtol 1e-7; float32 rounding differs at ~1e-5"
FLOAT32_EXPECTED = {
    "check_sample_weight_equivalence_on_dense_data": _FLOAT32_ROUNDING,
}


@parametrize_with_checks(
    [DREAMClassifier(**FLOAT32), DREAMRegressor(**FLOAT32)],
    expected_failed_checks=lambda est: FLOAT32_EXPECTED,
)
def test_sklearn_compatible_float32(estimator, check, monkeypatch):
    monkeypatch.setenv("SCIPY_ARRAY_API", "1")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


# The default solver. Sequences repeated are not the same as sequences weighted in
# one place: the thresholds of the "ppv" pooling are quantiles over a random draw of
# (up to 32) training sequences, and a repeated sequence can be drawn twice; and the
# penalty's cross-validation counts rows (weights count relative to each other).
# Weight 0 is exactly a missing sequence (tests/test_ridge_solver.py).
RIDGE_EXPECTED = {
    "check_sample_weight_equivalence_on_dense_data": (
        "repeats are drawn into the PPV thresholds' sample and counted as rows by the "
        "penalty's GCV; weights are not"
    ),
}


@parametrize_with_checks(
    [DREAMClassifier(hidden_dim=8, random_state=0), DREAMRegressor(hidden_dim=8, random_state=0)],
    expected_failed_checks=lambda est: RIDGE_EXPECTED,
)
def test_sklearn_compatible_ridge(estimator, check, monkeypatch):
    monkeypatch.setenv("SCIPY_ARRAY_API", "1")
    check(estimator)


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
