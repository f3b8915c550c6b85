"""Robustness of the online estimators (issue 12): outliers, missing values, delayed
labels. Streams are tuning streams only (SEA, Elec2; see docs/online.md)."""

import copy

import numpy as np
import pytest
from river.datasets import synth

from dream_sklearn.datasets import iter_elec2
from dream_sklearn.online import DREAMOnlineClassifier, DREAMOnlineRegressor

ESTIMATORS = [DREAMOnlineClassifier, DREAMOnlineRegressor]


def fitted_state(model):
    """Everything a model has learned, for exact comparison."""
    arrays = {k: v for k, v in vars(model).items() if isinstance(v, np.ndarray)}
    state = {f"state{i}": s for i, s in enumerate(model._state or ())}
    return {**arrays, **state}


def assert_same_state(a, b):
    sa, sb = fitted_state(a), fitted_state(b)
    assert sa.keys() == sb.keys()
    for k in sa:
        np.testing.assert_array_equal(sa[k], sb[k], err_msg=k)
    assert a.features_ == b.features_
    assert a.n_steps_ == b.n_steps_


def _sea(n):
    return list(synth.SEA(seed=1, variant=0).take(n))


# --- robust running statistics ----------------------------------------------------------


def _outlier_cost(rows, t0, feature, value):
    """Accuracy points lost over the 500 rows after one row with ``feature`` at
    ``value``, against a twin that never saw that row."""
    model = DREAMOnlineClassifier(seed=0)
    for x, y in rows[:t0]:
        model.predict_one(x)
        model.learn_one(x, y)
    twin = copy.deepcopy(model)
    x, y = rows[t0]
    bad = {**x, feature: value}
    model.predict_one(bad)
    model.learn_one(bad, y)
    hits = twin_hits = 0
    for x, y in rows[t0 + 1 : t0 + 501]:
        hits += model.predict_one(x) == y
        twin_hits += twin.predict_one(x) == y
        model.learn_one(x, y)
        twin.learn_one(x, y)
    return 100.0 * (twin_hits - hits) / 500


@pytest.mark.parametrize("value", [1e6, 1e30])
@pytest.mark.parametrize("feature", [0, 1])
def test_one_outlier_row_costs_at_most_half_a_point_on_sea(feature, value):
    # Before winsorised statistics: 9 to 24 points on this stream.
    assert _outlier_cost(_sea(1501), 1000, feature, value) <= 0.5


@pytest.mark.parametrize("value", [1e6, 1e30])
def test_one_outlier_row_costs_at_most_half_a_point_on_elec2(value):
    # Before: 15 points on this slice.
    assert _outlier_cost(list(iter_elec2(1501)), 1000, "nswprice", value) <= 0.5


def test_a_real_shift_is_taken_in_after_a_few_rows():
    """Winsorising bounds one row; a feature that moves for good moves the scaling."""
    rng = np.random.default_rng(0)
    model = DREAMOnlineClassifier(seed=0)
    for t in range(800):
        level = 0.0 if t < 500 else 100.0
        model.learn_one({"a": level + rng.uniform(), "b": rng.uniform()}, t % 2)
    slot = model._x_slot["a"]
    # The fast scaling (rate 0.02) has followed the new level, 300 rows on.
    assert abs(model._stat_mean[0, slot] - 100.5) < 1.0
    assert not model._n_over.any()


def test_a_constant_feature_that_starts_to_vary_is_not_held_back():
    model = DREAMOnlineClassifier(seed=0)
    for t in range(200):
        model.learn_one({"a": 0.0 if t < 100 else float(t % 2)}, t % 2)
    slot = model._x_slot["a"]
    assert abs(model._stat_mean[0, slot] - 0.5) < 0.1
    assert abs(model._stat_var[0, slot] - 0.25) < 0.1
