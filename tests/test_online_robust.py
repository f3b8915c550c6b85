"""Robustness of the online estimators (issue 12): outliers, missing values, delayed
labels. Streams are tuning streams only (SEA, Elec2; see docs/online.md)."""

import collections
import copy
import functools
import math
import warnings
from decimal import Decimal
from functools import partial
from types import MappingProxyType

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import torch
from river import evaluate, metrics
from river.datasets import synth

from dream_sklearn.datasets import iter_elec2
from dream_sklearn.online import (
    DREAMOnlineClassifier,
    DREAMOnlineRegressor,
    _regressor,
    _scaling,
    _target,
    set_compiled,
)
from dream_sklearn.online._neighbors import _NeighborMean

ESTIMATORS = [DREAMOnlineClassifier, DREAMOnlineRegressor]


@pytest.fixture
def numpy_path():
    """The NumPy path only: ``advance_on_predict`` always takes it, and these tests
    compare an advancing model with a default one bit for bit (the compiled row
    equals the NumPy path to rounding: tests/test_online_compiled.py)."""
    previous = set_compiled(False)
    yield
    set_compiled(previous)


def fitted_state(model):
    """Everything a model has learned, for exact comparison: its arrays (not
    ``_scale_read``, the scale an advancing model read its row in flight in, for the
    kNN expert: scratch), its cell's state, and the kNN expert's window and weights."""
    arrays = {
        k: v for k, v in vars(model).items() if isinstance(v, np.ndarray) and k != "_scale_read"
    }
    state = {f"state{i}": s for i, s in enumerate(model._state or ())}
    vote = getattr(model, "_neighbors", None)
    if vote is not None:
        state.update(knn_rows=vote.rows[: vote.n], knn_labels=vote.labels[: vote.n], knn_w=vote.w)
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


def _against_twin(model, rows, t0, x_bad, y_bad, score):
    """``model`` learns ``rows[:t0]``, then a twin is copied and ``model`` alone learns
    ``(x_bad, y_bad)`` for row ``t0``; both then predict and learn the next 500 rows.
    The sums of ``score(prediction, y)`` over those rows: ``model``'s, the twin's."""
    for x, y in rows[:t0]:
        model.predict_one(x)
        model.learn_one(x, y)
    twin = copy.deepcopy(model)
    model.predict_one(x_bad)
    model.learn_one(x_bad, y_bad)
    total = twin_total = 0.0
    for x, y in rows[t0 + 1 : t0 + 501]:
        total += score(model.predict_one(x), y)
        twin_total += score(twin.predict_one(x), y)
        model.learn_one(x, y)
        twin.learn_one(x, y)
    return total, twin_total


def _outlier_cost(rows, t0, feature, value):
    """Accuracy points lost over the 500 rows after one row with ``feature`` at
    ``value``, against a twin that never saw that row."""
    x, y = rows[t0]
    hits, twin_hits = _against_twin(
        DREAMOnlineClassifier(seed=0), rows, t0, {**x, feature: value}, y, lambda p, y: p == y
    )
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


@pytest.mark.parametrize("compiled", [True, False])
def test_a_value_set_aside_leaves_its_slots_moments_as_they_were(compiled):
    """(review 268) A value set aside (read as missing in its row) had moved its slot's
    running mean and variance as a value 5 standard deviations out: at a slot's 21st
    value that widened its spread 1.44 times for good, and one outlier row early in a
    stream cost up to 1.8 points over the next 500 rows against a twin. It now counts
    as seen (and in its run) and moves nothing; the slot's next value is read on the
    scale it had."""
    rng = np.random.default_rng(0)
    rows = [({"a": rng.uniform(), "b": rng.uniform()}, int(rng.uniform() > 0.5)) for _ in range(60)]
    previous = set_compiled(compiled)
    try:
        model = DREAMOnlineClassifier(seed=0)
        for x, y in rows[:20]:
            model.predict_one(x)
            model.learn_one(x, y)
        slot = model._x_slot["a"]
        mean, var = model._stat_mean[:, slot].copy(), model._stat_var[:, slot].copy()
        count = model._count[slot]
        twin = copy.deepcopy(model)
        model.predict_one({"a": 1e30, "b": 0.5})
        model.learn_one({"a": 1e30, "b": 0.5}, 1)
        np.testing.assert_array_equal(model._stat_mean[:, slot], mean)
        np.testing.assert_array_equal(model._stat_var[:, slot], var)
        assert model._count[slot] == count + 1 and model._n_over[0, slot] == 1
        # b was present and near: its moments moved as usual
        assert not np.array_equal(
            model._stat_mean[:, model._x_slot["b"]], twin._stat_mean[:, twin._x_slot["b"]]
        )
        # a value near again: the run ends, and the slot reads it on its old scale
        model.learn_one(rows[20][0], rows[20][1])
        twin.learn_one(rows[20][0], rows[20][1])
        assert model._n_over[0, slot] == 0
        np.testing.assert_allclose(model._stat_var[:, slot], twin._stat_var[:, slot], rtol=0.1)
    finally:
        set_compiled(previous)


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


# --- a far value among a slot's first 8 (_scaling._first_outliers) ---------------------


def _sea_accuracy(rows, at, value, compiled):
    """DREAMOnlineClassifier(seed=0)'s accuracy over SEA ``rows`` from row 2,000 on,
    feature 0 at ``value`` on row ``at`` (a row, or a tuple of rows; None: no row
    changed)."""
    at = at if isinstance(at, tuple) else (at,)
    previous = set_compiled(compiled)
    try:
        model, hits = DREAMOnlineClassifier(seed=0), 0
        for t, (x, y) in enumerate(rows):
            if t in at:
                x = {**x, 0: value}
            hits += t >= 2000 and model.predict_one(x) == y
            model.learn_one(x, y)
    finally:
        set_compiled(previous)
    return hits / (len(rows) - 2000)


@pytest.mark.parametrize(
    "at, value, compiled",
    [
        (3, 1e30, True),
        (3, 1e6, True),
        (6, 1e30, True),
        (6, 1e6, True),
        (3, 1e30, False),
        ((7, 8), 1e30, True),
        ((7, 8), 1e30, False),
        ((3, 6), 1e30, True),
        ((3, 6), 1e30, False),
        ((6, 7), 1e6, True),
        ((1, 7), -1e30, True),
    ],
)
def test_a_far_value_among_the_first_eight_costs_at_most_half_a_point_on_sea(at, value, compiled):
    """Before part first8, a slot's first 8 values were taken in full: feature 0 at
    1e30 on row 3 cost 21 points over rows 2,000-3,999 (0.7725 against 0.9860), the
    classifier's cumulative slow scaling never forgetting it. A glitch on the slot's
    8th and 9th values (rows 7 and 8): the 8th is dropped and counted, so the 9th is
    judged by the rule for later values (with the count back to 7 it came in
    unjudged: 21.35 points, a review's reproducer). Two far values among the 8 (rows
    3 and 6...): each hid the other from a test against the other 7 (before round 14,
    both were taken in: 1e30 on rows 3 and 6 cost 21.35 points here, 1e6 on rows 6 and
    7 2.15)."""
    twin = _sea_twin_accuracy(compiled)
    assert 100.0 * (twin - _sea_accuracy(_sea(4000), at, value, compiled)) <= 0.5


@functools.cache
def _sea_twin_accuracy(compiled):
    """:func:`_sea_accuracy` over 4,000 rows with no row changed (kept for the tests
    that compare with it)."""
    return _sea_accuracy(_sea(4000), None, None, compiled)


def _first_rows(model, rows):
    for x, y in rows:
        model.predict_one(x)
        model.learn_one(x, y)
    return model


SCALING = ("_stat_mean", "_stat_var", "_stat_scale", "_n_over", "_range", "_count", "_first")


@pytest.mark.parametrize(
    "make",
    [*ESTIMATORS, partial(DREAMOnlineClassifier, standardize_rate=0.5, slow_rate=0.2)],
    ids=["classifier", "regressor", "classifier-fast-rates"],
)
def test_a_far_value_among_the_first_eight_leaves_the_statistics_of_the_others(make, numpy_path):
    """Feature 0 at 1e30 on row 3 is set aside on row 7 (its 8th value): the slot's
    statistics, runs, range, count and first values are then, to the bit, those of a
    model whose row 3 lacks feature 0 (the replay is the running update, also at
    rates above 1/8, past its 1/n phase before 8 values), but for the count: the
    dropped value counts as seen (8, the other model's 7), so the slot's first values
    are tested once and its next value is judged by the rule for later values."""
    rows = [(dict(x), float(y)) for x, y in _sea(12)]
    far = _first_rows(
        make(seed=0), [((x if t != 3 else {**x, 0: 1e30}), y) for t, (x, y) in enumerate(rows[:8])]
    )
    gap = _first_rows(
        make(seed=0),
        [((x if t != 3 else {1: x[1], 2: x[2]}), y) for t, (x, y) in enumerate(rows[:8])],
    )
    j = far._x_slot[0]
    assert far._count[j] == 8 and gap._count[j] == 7
    for name in ("_stat_mean", "_stat_var", "_stat_scale", "_n_over", "_range"):
        np.testing.assert_array_equal(
            getattr(far, name)[..., j], getattr(gap, name)[..., j], err_msg=name
        )
    assert np.isnan(far._first[:, j]).all()  # emptied: tested once


def test_a_rare_real_value_among_the_first_eight_is_kept(numpy_path):
    """Among a slot's first 8 values only one far from the others' mean by more than
    30 of their standard deviations, outside their range widened by its width, is set
    aside: one 1 among seven 0s (the others constant), a commission that is mostly 0
    (Agrawal's; the median and MAD of the 8 values would set 76,893 aside) are kept;
    a third feature's 1e6 is not."""
    commission = [0.0, 0.0, 30830.975, 0.0, 76892.591, 0.0, 0.0, 0.0]
    model = DREAMOnlineClassifier(seed=0)
    for t in range(8):
        x = {"rare": float(t == 5), "commission": commission[t], "far": 1e6 if t == 2 else t / 8}
        model.learn_one(x, t % 2)
    count, rng = model._count, model._range
    for name, top in (("rare", 1.0), ("commission", 76892.591)):
        j = model._x_slot[name]
        assert count[j] == 8 and rng[1, j] == top, name
        assert model._stat_mean[0, j] == pytest.approx(sum(commission) / 8 if top > 1 else 1 / 8)
    j = model._x_slot["far"]  # dropped from the range and the statistics, counted
    assert count[j] == 8 and rng[1, j] == 7 / 8
    assert model._stat_mean[0, j] == pytest.approx((28 - 2) / 8 / 7)


@pytest.mark.parametrize(
    "values, far",
    [
        ([0.1, 0.2, 0.15, 1e30, 0.12, 0.18, 1e30, 0.11], [3, 6]),  # a pair, alike
        ([0.1, -1e6, 0.15, 0.13, 0.12, 0.18, 1e6, 0.11], [1, 6]),  # a pair, either side
        ([0.1, 0.2, 0.15, 1e30, 0.12, 0.18, 3e6, 0.11], [3, 6]),  # a pair, unalike
        ([0.1, 0.2, 0.15, 1e30, 0.12, 0.18, 0.14, 0.11], [3]),  # one
        ([0.0, 0.0, 0.0, 5.0, 0.0, 0.0, 3.0, 0.0], []),  # rare real values: the rest constant
        ([0.0, 0.0, 30830.975, 0.0, 76892.591, 0.0, 0.0, 0.0], []),  # Agrawal's commission
        ([0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1e30], [7]),  # (as before: against the other 7)
        ([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], []),
        ([0.1, 1e30, 0.15, 1e30, 0.12, 0.18, 1e30, 0.11], []),  # three: taken in (a limit)
    ],
)
def test_the_first_values_test_finds_a_far_value_and_a_pair_of_them(values, far):
    """_first_outliers, column by column and all at once: each value against the other 7,
    and against the other 6 without the one farthest from their mean when that one is
    far from the 6 too. Before round 14 a pair of far values hid each other (each
    against 7 values holding the other: about 2.5 standard deviations out)."""
    column = np.array(values)[:, None]
    assert np.flatnonzero(_scaling._first_outliers(column)[:, 0]).tolist() == far
    nan = column.copy()
    nan[0] = np.nan  # a value not known (an older pickle): none set aside
    both = np.hstack([column, nan, column[::-1]])
    got = _scaling._first_outliers(both)
    assert np.flatnonzero(got[:, 0]).tolist() == far and not got[:, 1].any()
    assert np.flatnonzero(got[::-1, 2]).tolist() == far


def test_a_pickle_without_first_values_loads_and_learns_on():
    """An estimator pickled before the buffer of first values: the slots still warming
    up keep theirs (not known: NaN), a slot added later has its first values tested."""
    rows = _sea(40)
    model = DREAMOnlineClassifier(seed=0)
    for x, y in rows[:4]:
        model.learn_one(x, y)
    state = model.__getstate__()
    state.pop("_first")
    old = DREAMOnlineClassifier.__new__(DREAMOnlineClassifier)
    old.__setstate__(state)
    assert old._first.shape == (8, model._stat_mean.shape[1]) and np.isnan(old._first).all()
    for t, (x, y) in enumerate(rows[4:]):
        x = {**x, 0: 1e30} if t == 1 else x  # (among feature 0's first 8: not known)
        x = {**x, "new": 1e6 if t == 10 else t / 40} if t >= 8 else x
        old.predict_one(x)
        old.learn_one(x, y)
    assert old._range[1, old._x_slot[0]] == 1e30  # taken in, as before the buffer
    j = old._x_slot["new"]
    assert old._count[j] == 28 and old._range[1, j] < 1.0  # set aside (and counted)


# --- a glitch that ends is undone (_scaling._UNDO_ROWS) ---------------------------------


def _sea_run(rows, change, compiled):
    """DREAMOnlineClassifier(seed=0) on SEA ``rows`` whose feature 0 ``change(t, x0)``
    rewrites: its accuracy over rows 2,000 on, the model, and per row the rows its
    feature 0 keeps statistics for (``_undo_n``)."""
    previous = set_compiled(compiled)
    try:
        model, hits, kept = DREAMOnlineClassifier(seed=0), 0, []
        for t, (x, y) in enumerate(rows):
            x = {**x, 0: change(t, x[0])}
            hits += t >= 2000 and model.predict_one(x) == y
            model.learn_one(x, y)
            kept.append(int(model._undo_n[0, model._x_slot[0]]))
    finally:
        set_compiled(previous)
    return hits / (len(rows) - 2000), model, kept


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "numpy"])
@pytest.mark.parametrize("length", [4, 6, 10])
def test_a_glitch_that_ends_costs_at_most_half_a_point_on_sea(length, compiled):
    """A sensor stuck at 1e30 for 4 to 10 rows: its run is taken in as a real shift
    (> _WINSOR_RUN rows), then undone when the values come back. Before: 4 rows cost
    21.6 points over rows 2,000-3,999 and the cumulative slow scaling never recovered."""
    rows = _sea(4000)
    twin = _sea_twin_accuracy(compiled)  # (the same model as _sea_run's on rows as they are)
    glitch = range(1000, 1000 + length)
    acc, model, kept = _sea_run(rows, lambda t, v: 1e30 if t in glitch else v, compiled)
    assert 100.0 * (twin - acc) <= 0.5
    assert max(kept) > 0 and kept[-1] == 0  # statistics kept, then restored
    assert np.abs(model._stat_mean[:, model._x_slot[0]]).max() < 100.0  # no 1e30 left


def test_a_real_level_shift_is_still_taken_in(monkeypatch):
    """A feature moving for good by +50 standard deviations: statistics are kept at
    the shift and dropped when its values do not come back; the model is the one
    that keeps none (``_UNDO_ROWS = 0``, the rule before), to the bit."""

    rows = _sea(3000)
    shift = 50.0 * 10.0 / np.sqrt(12.0)  # SEA's features are uniform on [0, 10]

    def moved(t, v):
        return v + shift if t >= 1000 else v

    acc, model, kept = _sea_run(rows, moved, compiled=False)
    monkeypatch.setattr(_scaling, "_UNDO_ROWS", 0)
    before, old, never = _sea_run(rows, moved, compiled=False)
    assert max(never) == 0 and max(kept) > 0 and kept[-1] == 0
    assert (acc - before) * 100.0 >= -0.5
    # The slow scaling is the rule's before (the fast one settled on the new level:
    # test_a_feature_offset_for_good_reads_as_before); its other slots, every scaling.
    np.testing.assert_array_equal(model._stat_mean[1:], old._stat_mean[1:])
    np.testing.assert_array_equal(model._stat_var[1:], old._stat_var[1:])
    others = np.arange(model._stat_mean.shape[1]) != model._x_slot[0]
    np.testing.assert_array_equal(model._stat_mean[:, others], old._stat_mean[:, others])
    assert abs(model._stat_mean[0, model._x_slot[0]] - (5.0 + shift)) < 1.0


def _offset_run(rows, shift, at, back, compiled, probe):
    """DREAMOnlineClassifier(seed=0) on SEA ``rows`` with ``shift`` added to feature 0
    on rows ``at`` to ``back`` - 1: per row whether it was predicted right, and the
    fast scaling's mean of feature 0 after each row in ``probe``."""
    previous = set_compiled(compiled)
    try:
        model, hits, means = DREAMOnlineClassifier(seed=0), [], {}
        for t, (x, y) in enumerate(rows):
            x = {**x, 0: x[0] + shift} if at <= t < back else x
            hits.append(model.predict_one(x) == y)
            model.learn_one(x, y)
            if t in probe:
                means[t] = model._stat_mean[0, model._x_slot[0]]
    finally:
        set_compiled(previous)
    return np.array(hits), means


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "numpy"])
def test_a_feature_offset_for_good_reads_as_before(compiled):
    """A recalibrated sensor: feature 0 reads 1,000 of its standard deviations higher
    from row 1,500 on, the labels those of its true values. Its fast scaling settles on
    the new level (_scaling._UNDO_ROWS, a new level), so rows 100-499 after score
    within 3 points of the stream with no offset (0.960 against 0.985). Before, the
    shift inflated the variance for some 500 rows and the feature read as nearly
    constant: 0.778."""
    rows = _sea(2000)
    shift = 1000.0 * 10.0 / np.sqrt(12.0)
    hits, means = _offset_run(rows, shift, 1500, 2000, compiled, {1530})
    twin, _ = _offset_run(rows, 0.0, 1500, 2000, compiled, set())
    assert abs(means[1530] - (5.0 + shift)) < 2.0  # settled (the update alone: 1,640 off)
    assert twin[1600:2000].mean() - hits[1600:2000].mean() <= 0.03


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "numpy"])
def test_a_return_to_a_level_seen_before_does_not_settle(compiled):
    """Feature 0 shifted by 1,000 standard deviations on rows 1,000-1,499, then back:
    the first shift settles (a level never seen), the return does not (its level lies
    in the range the shift's values widened): the running update moves it, as before."""
    rows = _sea(1600)
    shift = 1000.0 * 10.0 / np.sqrt(12.0)
    _, means = _offset_run(rows, shift, 1000, 1500, compiled, {1030, 1530})
    assert abs(means[1030] - (5.0 + shift)) < 2.0
    assert means[1530] > 100.0  # (settled, it would read about 5)


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "numpy"])
@pytest.mark.parametrize("length", [17, 22, 30])
def test_a_shift_that_ends_soon_after_it_settled_is_undone(length, compiled):
    """A shift of 1,000 standard deviations for 17 to 30 rows: it settles on its 20th
    row, and the values that come back within the 16 rows after restore the statistics
    from before it, as a glitch's (review 379: the settled level stayed, and the rows
    after scored below the rule before, 0.79 against 0.81 over rows 1,025-1,599)."""
    rows = _sea(1600)
    shift = 1000.0 * 10.0 / np.sqrt(12.0)
    hits, means = _offset_run(rows, shift, 1000, 1000 + length, compiled, {1040})
    twin, _ = _offset_run(rows, 0.0, 1000, 1000, compiled, set())
    assert abs(means[1040] - 5.0) < 2.0  # (the settled level stayed: 1,846 at row 1,030)
    assert twin[1040:1600].mean() - hits[1040:1600].mean() <= 0.03  # (0.17 before)


def test_a_pickle_without_kept_statistics_loads_with_none_and_learns_on():
    rows = _sea(300)
    model = DREAMOnlineClassifier(seed=0)
    for x, y in rows[:200]:
        model.learn_one(x, y)
    state = model.__getstate__()
    state.pop("_undo")
    state.pop("_undo_n")
    old = DREAMOnlineClassifier.__new__(DREAMOnlineClassifier)
    old.__setstate__(state)
    S, m = model._stat_mean.shape
    assert old._undo.shape == (3 * S + 4, m) and not old._undo_n.any()  # none kept
    for t, (x, y) in enumerate(rows[200:]):  # a glitch of 4 rows, undone
        old.predict_one(x)
        old.learn_one({**x, 0: 1e30} if t < 4 else x, y)
    assert np.abs(old._stat_mean).max() < 100.0


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "numpy"])
def test_a_restore_after_settling_keeps_the_level_in_the_range(compiled):
    """An event of 20 rows at 1,000 standard deviations, undone by the window after
    its settling: the statistics come back, the range keeps the event's level, so the
    same event 300 rows later is no new level (its first row is read, not set aside)."""
    rows = _sea(1400)
    shift = 1000.0 * 10.0 / np.sqrt(12.0)
    previous = set_compiled(compiled)
    try:
        model = DREAMOnlineClassifier(seed=0)
        for t, (x, y) in enumerate(rows[:1100]):
            model.learn_one({**x, 0: x[0] + shift} if 1000 <= t < 1020 else x, y)
        slot = model._x_slot[0]
        assert abs(model._stat_mean[0, slot] - 5.0) < 2.0  # restored
        assert model._range[1, slot] > shift  # the level seen
        x, _ = rows[1100]
        raw, present = np.zeros(len(model._mean)), np.zeros(len(model._mean))
        for key, value in {**x, 0: x[0] + shift}.items():
            raw[model._x_slot[key]], present[model._x_slot[key]] = value, 1.0
        u = model._standardise(raw, present)
        assert u[slot] == 5.0  # read, clipped (set aside, it would read 0)
    finally:
        set_compiled(previous)


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "numpy"])
def test_the_fed_back_target_slot_does_not_settle(compiled):
    """The regressor's previous target is a slot, but its target keeps its own rules
    for far runs: a target shifted for good by 1,000 standard deviations leaves that
    slot's fast scaling to the running update, where a feature so shifted settles."""
    rng = np.random.default_rng(0)
    previous = set_compiled(compiled)
    try:
        model = DREAMOnlineRegressor(seed=0)
        for t in range(1040):
            a = float(rng.normal())
            level = 1000.0 if t >= 1000 else 0.0
            model.learn_one({"a": a, "b": float(rng.normal()) + level}, a + level)
        y_slot, b_slot = model._y_slot[None], model._x_slot["b"]
        assert abs(model._stat_mean[0, b_slot] - 1000.0) < 2.0  # settled
        assert model._stat_mean[0, y_slot] < 900.0  # the running update's
    finally:
        set_compiled(previous)


def test_a_pickle_whose_kept_statistics_lack_the_windows_loads_and_settles_later():
    """A pickle from before round 56 keeps 3 S + 2 rows of statistics per slot, and
    nothing of the values since a run was taken in: a window under way reads as not
    known (NaN) and settles nothing; a later far shift's window settles as ever."""
    rows = _sea(1300)
    shift = 1000.0 * 10.0 / np.sqrt(12.0)
    model = DREAMOnlineClassifier(seed=0)
    for t, (x, y) in enumerate(rows[:1010]):  # a shift under way, its window open
        model.learn_one({**x, 0: x[0] + shift} if t >= 1000 else x, y)
    slot, S = model._x_slot[0], len(model._stat_mean)
    assert model._undo_n[0, slot] > 0
    state = model.__getstate__()
    state["_undo"] = state["_undo"][: 3 * S + 2]
    old = DREAMOnlineClassifier.__new__(DREAMOnlineClassifier)
    old.__setstate__(state)
    assert old._undo.shape == (3 * S + 4, model._undo.shape[1])
    assert np.isnan(old._undo[3 * S + 2 :, slot]).all()
    for t, (x, y) in enumerate(rows[1010:1100], 1010):  # the window ends: no settling
        old.learn_one({**x, 0: x[0] + shift} if t < 1050 else x, y)
        if t == 1040:
            assert old._stat_mean[0, slot] < 5.0 + shift - 100.0
    other = old._x_slot[1]  # (its window's rows NaN too, until a run is taken in)
    for t, (x, y) in enumerate(rows[1100:], 1100):  # feature 1 shifts: it settles
        old.learn_one({**x, 1: x[1] + shift} if t >= 1200 else x, y)
    assert abs(old._stat_mean[0, other] - (5.0 + shift)) < 2.0


# --- missing values ---------------------------------------------------------------------


def _rows_with_gaps(n=150, seed=0):
    """Rows of 3 features with NaN / None holes, the same rows without those keys,
    and labels; feature "late" is NaN on its first rows (it must not exist before)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    holey, absent, ys = [], [], []
    gaps = [float("nan"), None, np.nan, np.float32("nan")]
    for t, row in enumerate(X):
        x = {"a": row[0], "b": row[1], "c": row[2], "late": row[3]}
        if t < 30:
            x["late"] = gaps[t % 4]
        elif t % 7 == 0:
            x["b"] = gaps[t % 4]
        if t % 11 == 0:
            x["a"] = None
        holey.append(x)
        absent.append({k: v for k, v in x.items() if not _gap(v)})
        ys.append("up" if row[0] + row[2] > 0 else "down")
    return holey, absent, ys


def _gap(v):
    return v is None or v != v


def _targets(cls, ys):
    return ys if issubclass(cls, DREAMOnlineClassifier) else [float(len(y)) for y in ys]


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_nan_and_none_are_missing_like_an_absent_key_in_learn_one_and_predict_one(cls):
    holey, absent, ys = _rows_with_gaps()
    ys = _targets(cls, ys)
    model = cls(hidden_dim=8, rank=2, seed=0)
    twin = cls(hidden_dim=8, rank=2, seed=0)
    for x, x_absent, y in zip(holey, absent, ys, strict=True):
        assert model.predict_one(x) == twin.predict_one(x_absent)
        model.learn_one(x, y)
        twin.learn_one(x_absent, y)
    assert_same_state(model, twin)
    assert model.features_ == ["b", "c", "a", "late"]  # "a" is None in row 0, "late" until 30


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_nan_and_none_are_missing_in_learn_many_and_predict_many_alike(cls):
    holey, absent, ys = _rows_with_gaps()
    ys = _targets(cls, ys)
    one = cls(hidden_dim=8, rank=2, seed=0)
    many = cls(hidden_dim=8, rank=2, seed=0)
    for x, y in zip(holey[:100], ys[:100], strict=True):
        one.learn_one(x, y)
    frame = pd.DataFrame(holey)  # None in an object column, NaN in float ones
    many.learn_many(frame.iloc[:50], pd.Series(ys[:50]))
    many.learn_many(frame.iloc[50:100], pd.Series(ys[50:100], index=range(50, 100)))
    assert_same_state(one, many)
    predicted = many.predict_many(frame.iloc[100:])
    for i, x in enumerate(holey[100:]):
        if cls is DREAMOnlineClassifier:
            assert predicted.iloc[i] == one.predict_one(x)
        else:
            assert predicted.iloc[i] == pytest.approx(one.predict_one(x), rel=1e-9)


def _strict_calls(model, x, y):
    frame = pd.DataFrame([x])
    return {
        "learn_one": lambda: model.learn_one(x, y),
        "predict_one": lambda: model.predict_one(x),
        "learn_many": lambda: model.learn_many(frame, pd.Series([y])),
        "predict_many": lambda: model.predict_many(frame),
    }


@pytest.mark.parametrize("method", ["learn_one", "predict_one", "learn_many", "predict_many"])
@pytest.mark.parametrize("gap", [float("nan"), None], ids=["nan", "None"])
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_strict_mode_raises_on_a_missing_value_and_changes_nothing(cls, gap, method):
    _, absent, ys = _rows_with_gaps()
    ys = _targets(cls, ys)
    model = cls(hidden_dim=8, rank=2, seed=0, missing="raise")
    for x, y in zip(absent[40:80], ys[40:80], strict=True):
        model.learn_one(x, y)
    model.predict_one(absent[80])  # a cached step must survive the failure too
    twin = copy.deepcopy(model)
    bad = {**absent[80], "b": gap}
    with pytest.raises(ValueError, match=r"Feature 'b' has a missing value .*missing='raise'"):
        _strict_calls(model, bad, ys[80])[method]()
    assert_same_state(model, twin)
    for x, y in zip(absent[80:], ys[80:], strict=True):
        assert model.predict_one(x) == twin.predict_one(x)
        model.learn_one(x, y)
        twin.learn_one(x, y)
    assert_same_state(model, twin)


@pytest.mark.parametrize(
    "name",
    [float("nan"), np.float64("nan"), pd.NA, ("a", float("nan"))],
    ids=["nan", "np.nan", "pd.NA", "tuple"],
)
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_a_feature_named_nan_is_refused_by_learning_and_changes_nothing(cls, name):
    # A NaN name is found again only through the very same object: a row naming it by
    # another NaN (or a model after a pickle) added it as a new feature (reviews 91 and
    # 96: a tuple holding a NaN too). Predicting drops it, as any feature not seen.
    _, absent, ys = _rows_with_gaps()
    ys = _targets(cls, ys)
    message = "Feature names must be equal to themselves"
    fresh = cls(hidden_dim=8, rank=2, seed=0)
    with pytest.raises(ValueError, match=message):
        fresh.learn_one({**absent[0], name: 1.0}, ys[0])
    frame = pd.DataFrame(absent[:10]).assign(z=1.0)
    frame.columns = [*frame.columns[:-1], name]
    with pytest.raises(ValueError, match=message):
        fresh.learn_many(frame, pd.Series(ys[:10]))
    assert fresh.features_ == []
    model = cls(hidden_dim=8, rank=2, seed=0)
    for x, y in zip(absent[:40], ys[:40], strict=True):
        model.learn_one(x, y)
        fresh.learn_one(x, y)
    assert_same_state(fresh, model)
    twin = copy.deepcopy(model)
    with pytest.raises(ValueError, match=message):
        model.learn_one({**absent[40], name: 1.0}, ys[40])
    frame = pd.DataFrame(absent[40:50]).assign(z=1.0)
    frame.columns = [*frame.columns[:-1], name]
    with pytest.raises(ValueError, match=message):
        model.learn_many(frame, pd.Series(ys[40:50]))
    assert_same_state(model, twin)
    assert model.predict_one({**absent[40], name: 1.0}) == model.predict_one(absent[40])
    frame = frame.set_axis([*frame.columns[:-1], "z"], axis=1)
    model.learn_many(frame, pd.Series(ys[40:50]))
    assert model.features_ == [*twin.features_, "z"]


@pytest.mark.parametrize("missing", ["ignore", "raise"])
@pytest.mark.parametrize("method", ["learn_one", "predict_one", "learn_many", "predict_many"])
def test_text_keeps_its_error_pointing_to_one_hot_encoding(method, missing):
    model = DREAMOnlineClassifier(hidden_dim=8, rank=2, seed=0, missing=missing)
    model.learn_one({"a": 1.0, "b": 0.0}, "up")
    message = "Feature 'b' has a non-numeric value 'high'.*OneHotEncoder"
    with pytest.raises(ValueError, match=message):
        _strict_calls(model, {"a": 1.0, "b": "high"}, "up")[method]()
    assert model.n_steps_ == 1


class _Celsius:
    """No number, but ``float()`` takes it."""

    def __float__(self) -> float:
        return 21.0


@pytest.mark.parametrize("value", [bytearray(b"2.5"), _Celsius()])
@pytest.mark.parametrize("other", [1.0, None])
def test_what_float_merely_accepts_is_refused_whatever_else_the_row_holds(value, other):
    """(review 270) A bytearray of digits, or an object with ``__float__``, was read
    as a number, unless another value of the row was missing: then it was refused."""
    model = DREAMOnlineRegressor(hidden_dim=8, rank=2, seed=0)
    model.learn_one({"a": 0.0, "b": 1.0}, 1.0)
    twin = copy.deepcopy(model)
    for call in (
        lambda: model.predict_one({"a": value, "b": other}),
        lambda: model.learn_one({"a": value, "b": other}, 1.0),
    ):
        with pytest.raises(ValueError, match="Feature 'a' has a non-numeric value.*OneHot"):
            call()
    with pytest.raises(ValueError, match="is not a number"):
        model.learn_one({"a": 0.5, "b": 1.0}, value)
    assert_same_state(model, twin)


@pytest.mark.parametrize(
    "column, match",
    [
        (pd.Series(["1.5", "2"], dtype="category"), "dtype category, not real numbers.*OneHot"),
        # NumPy dates and durations in an object column (read as counts of their unit)
        (pd.Series([np.datetime64("1970-01-02"), 1.0], dtype=object), "non-numeric value"),
        (pd.Series([np.timedelta64(5, "s"), 1.0], dtype=object), "non-numeric value"),
        (pd.Series([1 + 2j, 1.0]), "dtype complex128, not real numbers.*OneHotEncoder"),
        (pd.Series([np.complex64(1 + 2j), 1.0], dtype=object), "non-numeric value.*OneHotEncoder"),
        (pd.to_datetime(pd.Series(["2026-01-01", "2026-01-02"])), "dtype datetime64"),
        (pd.Series([10**400, 1], dtype=object), "value too large: 1000"),
        # pyarrow's durations (an IndexError that named nothing): a review's finding
        (pd.Series([5, 6], dtype="duration[s][pyarrow]"), "dtype duration.*not real numbers"),
        (pd.Series([torch.tensor([1.5]), 1.0], dtype=object), "non-numeric value tensor"),
        # what float() merely accepts (review 270)
        (pd.Series([bytearray(b"2.5"), 1.0], dtype=object), "non-numeric value bytearray"),
        (pd.Series([_Celsius(), 1.0], dtype=object), "non-numeric value <.*_Celsius"),
        # pyarrow lists (one value each was read as that value; a row's list is refused)
        (pd.Series([[1.5], [2.0]], dtype=pd.ArrowDtype(pa.list_(pa.float64()))), "dtype list"),
        # pyarrow bytes (b"1.5" read as 1.5) and intervals (pandas' NotImplementedError,
        # naming nothing): review 284
        (pd.Series([b"1.5", b"nan"], dtype=pd.ArrowDtype(pa.binary())), "dtype binary"),
        (
            pd.Series(
                [pa.scalar((1, 2, 3), type=pa.month_day_nano_interval()).as_py()] * 2,
                dtype=pd.ArrowDtype(pa.month_day_nano_interval()),
            ),
            "dtype month_day_nano_interval.*not real numbers",
        ),
        # (pandas' own tests raised NotImplementedError on it: review 287)
        (pd.Series(["1.5", "2"], dtype=pd.ArrowDtype(pa.string_view())), "non-numeric value"),
    ],
)
@pytest.mark.parametrize("method", ["learn_many", "predict_many"])
def test_a_frame_is_refused_what_a_row_is_refused(column, match, method):
    """Text in a categorical column, complex numbers and ints beyond float's range:
    a ValueError naming the feature, as learn_one gives, and nothing learned (the
    frame read "1.5" as 1.5 and dropped imaginary parts)."""
    model = DREAMOnlineClassifier(hidden_dim=8, rank=2, seed=0)
    model.learn_one({"a": 1.0, "b": 0.0}, "up")
    twin = copy.deepcopy(model)
    X = pd.DataFrame({"a": [0.5, 0.2], "b": column})
    calls = {
        "learn_many": lambda: model.learn_many(X, pd.Series(["up", "down"])),
        "predict_many": lambda: model.predict_many(X),
    }
    with pytest.raises(ValueError, match=match):
        calls[method]()
    with pytest.raises(ValueError, match="Feature 'b' has a (non-numeric )?value"):
        model.learn_one({"a": 0.5, "b": column[0]}, "up")
    assert_same_state(model, twin)


@pytest.mark.parametrize("compiled", [True, False])
def test_a_frames_column_of_missing_values_only_is_named_as_a_rows_missing_key(compiled):
    """(review 284) learn_one judges the names of a row's keys with a value only; a
    frame's NaN-named column of missing values only was refused by learn_many, and
    taken by a learn_one loop. One with a value is refused by both."""
    values = np.linspace(-1, 1, 20).tolist()
    rows = [{"a": v, float("nan"): None} for v in values]
    ys = ["x" if v > 0 else "y" for v in values]
    previous = set_compiled(compiled)
    try:
        one, many = DREAMOnlineClassifier(seed=0), DREAMOnlineClassifier(seed=0)
        for x, y in zip(rows, ys, strict=True):
            one.learn_one(x, y)
        many.learn_many(pd.DataFrame({"a": values, float("nan"): [None] * 20}), pd.Series(ys))
        assert_same_state(one, many)
        twin = copy.deepcopy(many)
        with pytest.raises(ValueError, match="Feature names must be equal to themselves"):
            many.learn_many(pd.DataFrame({"a": [0.5], float("nan"): [1.0]}), pd.Series(["x"]))
        with pytest.raises(ValueError, match="Feature names must be equal to themselves"):
            one.learn_one({"a": 0.5, float("nan"): 1.0}, "x")
        assert_same_state(many, twin)
    finally:
        set_compiled(previous)


def test_pyarrow_bool8_and_null_text_columns_are_read_as_a_rows_values():
    """(review 287) the pyarrow whitelist refused bool8 (an extension type: its
    storage is int8), which a learn_one loop takes; (review 289) its storage of 2,
    true, was read as 2, where a row's True reads 1; a string_view column of nulls
    only raised pandas' NotImplementedError."""
    bool8 = pa.ExtensionArray.from_storage(pa.bool8(), pa.array([2, 0, 2, 0, 1, 0], pa.int8()))
    a = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
    frames = [
        pd.DataFrame({"a": a, "z": pd.Series(pd.arrays.ArrowExtensionArray(bool8))}),
        pd.DataFrame({"a": a, "s": pd.Series([None] * 6, dtype=pd.ArrowDtype(pa.string_view()))}),
    ]
    y = pd.Series([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    for X, features in zip(frames, (["a", "z"], ["a"]), strict=True):
        many, loop = DREAMOnlineRegressor(seed=0), DREAMOnlineRegressor(seed=0)
        many.learn_many(X, y)
        for x, target in zip(X.to_dict(orient="records"), y, strict=True):
            loop.learn_one(x, target)
        assert many.n_steps_ == 6 and many.features_ == features
        assert_same_state(many, loop)
        rows = X.to_dict("records")
        assert many.predict_many(X).tolist() == [many.predict_one(x) for x in rows]


def test_a_converted_models_frames_judge_the_columns_with_a_value():
    """(review 289) learn_many judged only the columns with a value, predict_many
    every column: a converted model's all-missing column 0 (a position, where its
    features have names) passed one and was refused by the other. With a value, both
    refuse it, as learn_one and predict_one do."""
    from dream_sklearn import DREAMRegressor
    from dream_sklearn.online import from_sklearn

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(40, 2)), columns=["a", "b"])
    fitted = DREAMRegressor(hidden_dim=8, solver="adam", max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted.fit(X, X["a"].to_numpy())
    for compiled in (True, False):
        previous = set_compiled(compiled)
        try:
            model = from_sklearn(fitted)
            blank = pd.DataFrame({"a": [0.1, 0.2], "b": [0.3, 0.4], 0: [np.nan, np.nan]})
            model.learn_many(blank, pd.Series([0.2, 0.4]))
            assert len(model.predict_many(blank)) == 2
            filled = blank.copy()
            filled[0] = [1.0, 2.0]
            with pytest.raises(ValueError, match="look like column positions"):
                model.predict_many(filled)
            with pytest.raises(ValueError, match="look like column positions"):
                model.learn_many(filled, pd.Series([0.2, 0.4]))
        finally:
            set_compiled(previous)


def test_learn_many_after_a_predict_is_a_learn_one_loop_for_the_next_repeat():
    """(review 284) learn_many left the "row predicted since" flag set: the next
    learn_one counted as the first after a predict, and the same row learned again
    right after it was dropped as a repeat, where a learn_one loop learns both."""
    rng = np.random.default_rng(0)
    rows = [{"a": v, "b": w} for v, w in rng.normal(size=(30, 2)).tolist()]
    ys = ["p" if r["a"] > 0 else "n" for r in rows]
    many, loop = DREAMOnlineClassifier(seed=0), DREAMOnlineClassifier(seed=0)
    for model in (many, loop):
        model.learn_many(pd.DataFrame(rows[:10]), pd.Series(ys[:10]))
        model.predict_one(rows[10])
    many.learn_many(pd.DataFrame(rows[10:20]), pd.Series(ys[10:20]))
    for x, y in zip(rows[10:20], ys[10:20], strict=True):
        loop.learn_one(x, y)
    for model in (many, loop):
        model.learn_one(rows[25], ys[25])
        model.learn_one(rows[25], ys[25])
    assert many.n_steps_ == loop.n_steps_ == 22
    assert_same_state(many, loop)


def test_pandas_na_in_an_object_column_is_missing_in_a_frame_as_in_a_row():
    rows = [{"a": 0.5, "b": 0.1}, {"a": 0.2, "b": pd.NA}, {"a": 0.9, "b": 0.4}]
    one = DREAMOnlineClassifier(hidden_dim=8, rank=2, seed=0)
    many = copy.deepcopy(one)
    for x, y in zip(rows, ["up", "down", "up"], strict=True):
        one.learn_one(x, y)
    X = pd.DataFrame({"a": [0.5, 0.2, 0.9], "b": pd.Series([0.1, pd.NA, 0.4], dtype=object)})
    many.learn_many(X, pd.Series(["up", "down", "up"]))
    assert_same_state(one, many)


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize(
    "bad", [[0.5, 1.0], None, np.array([0.5, 1.0]), MappingProxyType({"a": 0.5, "b": 1.0})]
)
def test_a_row_that_is_not_a_dict_gets_a_type_error_naming_x(cls, bad):
    model = cls(hidden_dim=8, rank=2, seed=0)
    model.learn_one({"a": 1.0, "b": 0.0}, _targets(cls, ["up"])[0])
    twin = copy.deepcopy(model)
    for call in (model.predict_one, lambda x: model.learn_one(x, _targets(cls, ["up"])[0])):
        with pytest.raises(TypeError, match="x must be a dict of feature values; got"):
            call(bad)
    with pytest.raises(TypeError, match="X must be a pandas DataFrame; got list"):
        model.learn_many([{"a": 1.0}], [_targets(cls, ["up"])[0]])
    assert_same_state(model, twin)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"missing": "drop"}, r"'missing' parameter of .* must be one of \('ignore', 'raise'\)"),
        ({"missing": None}, "'missing' parameter"),
        ({"advance_on_predict": "yes"}, "'advance_on_predict' parameter of .* must be a bool"),
    ],
)
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_new_parameters_are_checked(cls, params, match):
    with pytest.raises(ValueError, match=match):
        cls(**params).learn_one({"a": 1.0}, _targets(cls, ["up"])[0])


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_a_frame_with_a_bad_target_changes_nothing(cls):
    _, absent, ys = _rows_with_gaps()
    ys = _targets(cls, ys)
    model = cls(hidden_dim=8, rank=2, seed=0)
    for x, y in zip(absent[:40], ys[:40], strict=True):
        model.learn_one(x, y)
    twin = copy.deepcopy(model)
    bad_ys = list(ys[40:50])
    bad_ys[6] = None if cls is DREAMOnlineClassifier else float("nan")
    with pytest.raises(ValueError, match="a missing label|not finite"):
        model.learn_many(pd.DataFrame(absent[40:50]), pd.Series(bad_ys, dtype=object))
    assert_same_state(model, twin)


@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_a_row_after_pandas_na_at_the_same_key_is_read(cls, compiled):
    """predict_one keeps the row it read for a following learn_one; the next row is
    compared with it, and pd.NA == 1.0 has no truth value: that comparison raised
    TypeError on every later row with a number at that key (a review's reproducer)."""
    previous = set_compiled(compiled)
    try:
        y = _targets(cls, ["up", "down"])
        model = cls(hidden_dim=8, rank=2, seed=0)
        for i in range(20):
            model.learn_one({"a": float(i % 3), "b": float(i % 5)}, y[i % 2])
        twin = copy.deepcopy(model)
        model.predict_one({"a": pd.NA, "b": 1.0})
        for m in (model, twin):
            m.learn_one({"a": 1.0, "b": 1.0}, y[0])
        assert model.predict_one({"a": 2.0, "b": 1.0}) == twin.predict_one({"a": 2.0, "b": 1.0})
        model.predict_one({"a": 1.0, "b": 1.0})
        with pytest.raises(ValueError, match="Feature 'a' has a non-numeric value"):
            model.learn_one({"a": np.array([1.0, 2.0]), "b": 1.0}, y[0])
        # Decimal("sNaN") == 1.0 raises its own error; a Decimal NaN is a missing value
        twin = copy.deepcopy(model)
        model.predict_one({"a": 1.0, "b": 1.0})
        model.learn_one({"a": 1.0, "b": Decimal("sNaN")}, y[0])
        twin.learn_one({"a": 1.0}, y[0])
        assert_same_state(model, twin)
    finally:
        set_compiled(previous)


def _warmed_ab(cls, n=30):
    """A small model that learned ``n`` rows of features "a" and "b", and its labels."""
    y = _targets(cls, ["up", "down"])
    model = cls(hidden_dim=8, rank=2, seed=0)
    for i in range(n):
        model.learn_one({"a": float(i % 3), "b": float(i % 5)}, y[i % 2])
    return model, y


@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_a_decimal_value_is_read_alike_beside_a_missing_value(cls, compiled):
    """A Decimal feature is a number in any row (it was refused, "non-numeric", only
    in a row that also had a missing value, and accepted by learn_many); a Decimal
    NaN is a missing value in a row as in a frame (a review's reproducer)."""
    previous = set_compiled(compiled)
    try:
        model, y = _warmed_ab(cls)
        rows = [
            ({"a": Decimal("1.5"), "b": None}, {"a": 1.5}),
            ({"a": Decimal("1.5"), "b": Decimal("NaN")}, {"a": 1.5}),
            ({"a": Decimal("1.5"), "b": Decimal("2")}, {"a": 1.5, "b": 2.0}),
        ]
        for x, plain in rows:
            assert model.predict_one(x) == model.predict_one(plain)
        frame = pd.DataFrame([x for x, _ in rows], dtype=object)
        plain = pd.DataFrame([p for _, p in rows])
        assert model.predict_many(frame).tolist() == model.predict_many(plain).tolist()
        twin = copy.deepcopy(model)
        for (x, p), label in zip(rows, y, strict=False):
            model.learn_one(x, label)
            twin.learn_one(p, label)
        assert_same_state(model, twin)
    finally:
        set_compiled(previous)


@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_missing_set_to_raise_between_predict_and_learn_takes_effect(cls, compiled):
    """A row read by predict_one with missing="ignore" and learned after missing was
    set to "raise": refused on both paths (the NumPy path reused the row it had
    read, validated the old way, and learned it)."""
    previous = set_compiled(compiled)
    try:
        model, y = _warmed_ab(cls)
        x = {"a": 1.0, "b": float("nan")}
        model.predict_one(x)
        twin = copy.deepcopy(model)
        model.missing = "raise"
        with pytest.raises(ValueError, match="Feature 'b' has a missing value"):
            model.learn_one(x, y[0])
        model.missing = "ignore"
        assert_same_state(model, twin)
    finally:
        set_compiled(previous)


def test_feedback_changed_after_the_first_row_is_not_half_taken():
    """feedback is read at the first row (the target slots are made with it): set to
    "none" later, a new class got no slot, and the NumPy path raised a bare KeyError
    after the cell's step and the readouts' (a review's reproducer); the compiled row
    learned it. Now both learn it, alike."""
    runs = []
    for compiled in (True, False):
        previous = set_compiled(compiled)
        try:
            model, out = DREAMOnlineClassifier(seed=0, hidden_dim=8), []
            for i in range(30):
                model.learn_one({"a": float(i % 3)}, "ab"[i % 2])
            model.feedback = "none"
            for i in range(20):
                x = {"a": float(i % 3)}
                out.append(model.predict_proba_one(x).get("c", 0.0))
                model.learn_one(x, "abc"[i % 3])
            assert model.n_steps_ == 50 and sorted(model.classes_) == ["a", "b", "c"]
            runs.append(np.array(out))
        finally:
            set_compiled(previous)
    np.testing.assert_allclose(runs[0], runs[1], rtol=0, atol=1e-12)


@pytest.mark.parametrize("advance", [False, True])
@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_a_dict_changed_by_the_caller_after_predict_one_is_not_learned(cls, compiled, advance):
    """learn_one(x2, y) learns x2: the NumPy path kept the caller's own dict from
    predict_one and learned it, changed since, on a hit (a new key became a feature;
    with advance_on_predict the label then matched no row advanced on: review 92)."""
    previous = set_compiled(compiled)
    try:
        model, y = _warmed_ab(cls)
        model.advance_on_predict = advance
        twin = copy.deepcopy(model)
        for m in (model, twin):
            x = {"a": 1.0, "b": 2.0}
            m.predict_one(x)
            as_predicted = dict(x)
            if m is model:  # the caller uses its dict again
                x["a"], x["new"] = 1e6, 3.0
            m.learn_one(as_predicted, y[0])
        assert model.features_ == twin.features_ == ["a", "b"]
        assert_same_state(model, twin)
        assert len(model._pending_rows) == len(twin._pending_rows) == 0
    finally:
        set_compiled(previous)


@pytest.mark.parametrize("missing", [lambda: float("nan"), lambda: None])
def test_a_row_with_a_missing_value_predicted_twice_advances_once(missing):
    """advance_on_predict: the same row predicted twice steps the cell once, with its
    missing value a new NaN object each time (as a Series' to_dict gives it): two NaN
    objects compare unequal, and the second call stepped again and left a pending row
    no label would take (a review's reproducer)."""
    rows = _clf_stream(30)
    kw = dict(hidden_dim=8, rank=2, seed=0, advance_on_predict=True)
    model, once = _warm(DREAMOnlineClassifier(**kw), rows), _warm(DREAMOnlineClassifier(**kw), rows)
    x = {"f0": 1.0, "f1": 0.5}
    model.predict_proba_one({**x, "f2": missing()})
    model.predict_one({**x, "f2": missing()})
    once.predict_proba_one({**x, "f2": missing()})
    assert len(model._pending_rows) == len(once._pending_rows) == 1
    np.testing.assert_array_equal(model.memory().h, once.memory().h)


@pytest.mark.parametrize(
    "bad, error, match",
    [
        (
            pd.DataFrame({"label": [1.0, 0.0]}),
            TypeError,
            "y must be a pandas Series .* got DataFrame",
        ),
        ({0: 1.0, 1: 0.0}, TypeError, "got dict"),
        ("ab", TypeError, "got str"),
        (3.0, TypeError, "got float"),
        (np.ones((2, 1)), ValueError, r"y must be 1-d .* got shape \(2, 1\)"),
    ],
)
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_learn_many_refuses_a_y_that_is_not_one_target_per_row(cls, bad, error, match):
    """A DataFrame, dict or string y was read as a sequence: its column names, keys
    or characters became the targets (classes_ ['label'])."""
    model = cls(hidden_dim=8, rank=2, seed=0)
    X = pd.DataFrame({"a": [0.1, 0.9], "b": [0.4, 0.2]})
    model.learn_many(X, pd.Series(_targets(cls, ["up", "down"])))
    twin = copy.deepcopy(model)
    with pytest.raises(error, match=match):
        model.learn_many(X, bad)
    assert_same_state(model, twin)
    model.learn_many(X, list(_targets(cls, ["down", "up"])))  # a list is read by position
    model.learn_many(X, np.array(_targets(cls, ["down", "up"])))


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_learn_many_names_the_row_of_a_bad_target(cls):
    """A bad target in a frame is named with its row, as a bad value is (it said only
    "The target nan is not finite": review 118); nothing is learned."""
    model = cls(hidden_dim=8, rank=2, seed=0)
    X = pd.DataFrame({"a": np.linspace(0.0, 1.0, 6)}, index=list("uvwxyz"))
    model.learn_many(X, pd.Series(_targets(cls, ["up", "down"] * 3), index=X.index))
    twin = copy.deepcopy(model)
    y = pd.Series(_targets(cls, ["up", "down"] * 3), index=X.index, dtype=object)
    y["x"] = None if cls is DREAMOnlineClassifier else float("nan")
    with pytest.raises(ValueError, match=r"\(row 'x'\)\.$"):
        model.learn_many(X, y)
    assert_same_state(model, twin)


def test_learn_many_takes_tuple_labels_in_a_list_as_learn_one_does():
    """A list of hashable labels is read by position, tuples too (an array made of it
    would be 2-d, or ragged); a pandas Index as well."""
    X = pd.DataFrame({"a": [0.1, 0.9, 0.4]})
    for ys in ([("a", 1), ("b", 2), ("a", 1)], [("a", 1), ("b",), ("a", 1)]):
        model = DREAMOnlineClassifier(hidden_dim=8, rank=2, seed=0)
        one = DREAMOnlineClassifier(hidden_dim=8, rank=2, seed=0)
        model.learn_many(X, ys)
        for (_, row), y in zip(X.iterrows(), ys, strict=True):
            one.learn_one(row.to_dict(), y)
        assert model.classes_ == one.classes_ == list(dict.fromkeys(ys))
        assert_same_state(model, one)
    model = DREAMOnlineClassifier(hidden_dim=8, rank=2, seed=0)
    model.learn_many(X, pd.Index(["a", "b", "a"]))
    assert sorted(model.classes_) == ["a", "b"]


@pytest.mark.parametrize("kind", ["tuple", "no strict"])
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_a_row_cache_pickled_before_round_10_is_kept(cls, kind):
    """advance_on_predict: a row predicted before pickling and predicted again after
    loading steps the cell once. A cache pickled as a 6-tuple, or as a _Cached
    without its strict field (missing="raise"), was dropped or missed after loading,
    and the second predict stepped again, leaving a pending row no label takes."""
    y = _targets(cls, ["up", "down"])
    model = cls(hidden_dim=8, rank=2, seed=0, advance_on_predict=True, missing="raise")
    for i in range(30):
        model.learn_one({"a": float(i % 3), "b": float(i % 5)}, y[i % 2])
    x = {"a": 1.0, "b": 2.0}
    model.predict_one(x)
    state = model.__getstate__()
    state.pop("_feedback")
    cache = state["_cache"]
    state["_cache"] = tuple(cache)[:6] if kind == "tuple" else cache._replace(strict=False)
    old = cls.__new__(cls)
    old.__setstate__(state)
    old.predict_one(x)
    assert len(old._pending_rows) == 1
    old.learn_one(x, y[0])
    assert len(old._pending_rows) == 0


@pytest.mark.parametrize("items", [7, 6, 5])
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_rows_advanced_on_pickled_as_positional_tuples_are_learned(cls, items):
    """The rows waiting for their labels were positional tuples until round 21 (of 6
    items before the delayed-label readout, of 5 before the "diff" block's previous
    row); they are named now (_Pending), and a pickle of any form loads and learns
    their labels (the 5-item form failed to load: review 96)."""
    y = _targets(cls, ["up", "down"])
    # (without the kNN expert: the tuple forms predate the scale a row was read in,
    # which its expert reads it in; without it the regressor's expert reads the row
    # in the scale now, and its weights, judged on continuous errors, end a unit in
    # the last place apart)
    model = cls(hidden_dim=8, rank=2, seed=0, advance_on_predict=True, n_neighbors=0)
    rows = [({"a": float(i % 3), "b": float(i % 5)}, y[i % 2]) for i in range(36)]
    for x, label in rows[:30]:
        model.predict_one(x)
        model.learn_one(x, label)
    for x, _ in rows[30:]:
        model.predict_one(x)
    assert len(model._pending_rows) == 6
    state = copy.deepcopy(model).__getstate__()  # (its arrays apart from the model's)
    state["_pending_rows"] = type(state["_pending_rows"])(
        (seq, (key, tuple(entry)[:items])) for seq, (key, entry) in state["_pending_rows"].items()
    )
    old = cls.__new__(cls)
    old.__setstate__(state)
    for x, label in rows[30:]:
        old.learn_one(x, label)
        model.learn_one(x, label)
    assert not old._pending_rows and old.n_steps_ == model.n_steps_ == 36
    if items == 7:
        # (to rounding: the old form has no features kept, and its rows are read again
        # on the NumPy path, where the model's own were read in the compiled row)
        sa, sb = fitted_state(old), fitted_state(model)
        assert sa.keys() == sb.keys()
        for k in sa:
            np.testing.assert_allclose(sa[k], sb[k], rtol=0, atol=1e-12, err_msg=k)
        assert old.features_ == model.features_


@pytest.mark.parametrize("method", ["learn_many", "predict_many"])
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_a_frame_with_duplicate_column_names_is_refused(cls, method):
    """Two columns named "a": the rows' dicts kept the last one, and the first was
    dropped without a word."""
    model = cls(hidden_dim=8, rank=2, seed=0)
    model.learn_many(pd.DataFrame({"a": [0.1, 0.9]}), pd.Series(_targets(cls, ["up", "down"])))
    twin = copy.deepcopy(model)
    X = pd.DataFrame([[1.0, 2.0], [3.0, 4.0]], columns=["a", "a"])
    call = getattr(model, method)
    args = (X, pd.Series(_targets(cls, ["up", "down"]))) if method == "learn_many" else (X,)
    with pytest.raises(ValueError, match=r"X has duplicate column names \['a'\]"):
        call(*args)
    assert_same_state(model, twin)


@pytest.mark.parametrize(
    "missing",
    [float("nan"), np.float32("nan"), pd.NA, None, Decimal("NaN"), np.datetime64("NaT")],
)
def test_a_missing_label_is_refused_not_made_a_class(missing):
    """Every NaN is a different object: taken as a label, each would add a class."""
    model = DREAMOnlineClassifier(hidden_dim=8, rank=2, seed=0)
    rows = _clf_stream(60)
    for x, y in rows[:40]:
        model.learn_one(x, 1.0 if y == "up" else 0.0)
    twin = copy.deepcopy(model)
    with pytest.raises(ValueError, match=r"label y must be a class label; got .*missing label"):
        model.learn_one(rows[40][0], missing)
    ys = pd.Series([1.0, missing, 0.0], dtype=object)
    with pytest.raises(ValueError, match="missing label"):
        model.learn_many(pd.DataFrame([x for x, _ in rows[41:44]]), ys)
    assert_same_state(model, twin)
    assert sorted(model.classes_) == [0.0, 1.0]


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "numpy"])
def test_a_tuple_label_holding_a_nan_is_refused(compiled):
    """Each such tuple made anew (or copied by a pickle) was a new class: 24 classes
    after 30 rows of two labels (a review's finding)."""
    previous = set_compiled(compiled)
    try:
        model = DREAMOnlineClassifier(hidden_dim=8, rank=2, seed=0)
        rows = _clf_stream(40)
        for x, y in rows[:30]:
            model.learn_one(x, ("a", 0) if y == "up" else ("b", 0))
        twin = copy.deepcopy(model)
        for label in (("a", float("nan")), ("a", ("b", np.nan)), ("a", pd.NA)):
            with pytest.raises(ValueError, match="tuple holding a NaN"):
                model.learn_one(rows[30][0], label)
            with pytest.raises(ValueError, match="tuple holding a NaN"):
                model.learn_many(pd.DataFrame([rows[31][0]]), [label])
        assert_same_state(model, twin)
        assert sorted(model.classes_) == [("a", 0), ("b", 0)]
    finally:
        set_compiled(previous)


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "numpy"])
def test_a_masked_label_is_missing_and_a_frozenset_holding_a_nan_refused(compiled):
    """(review 336) NumPy's masked value, a missing feature, was learned as a label:
    its item() is 0.0, the class 0, silently; and each frozenset holding a NaN made
    anew was a new class, as such tuples were before."""
    previous = set_compiled(compiled)
    try:
        model = DREAMOnlineClassifier(hidden_dim=8, rank=2, seed=0)
        rows = _clf_stream(40)
        for x, y in rows[:30]:
            model.learn_one(x, int(y == "up"))
        twin = copy.deepcopy(model)
        for label in (np.ma.masked, np.ma.masked_array(1, mask=True)):
            with pytest.raises(ValueError, match="a missing label"):
                model.learn_one(rows[30][0], label)
        with pytest.raises(ValueError, match="frozenset holding a NaN"):
            model.learn_one(rows[30][0], frozenset([float("nan")]))
        assert_same_state(model, twin)
        assert sorted(model.classes_) == [0, 1]
        model.learn_one(rows[30][0], np.ma.masked_array(1, mask=False))  # (not masked: 1)
        assert sorted(model.classes_) == [0, 1]
    finally:
        set_compiled(previous)


# --- unlabelled rows, delayed labels ---------------------------------------------------


def _clf_stream(n=400, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)) + np.cumsum(rng.normal(scale=0.05, size=(n, 3)), axis=0)
    return [
        ({f"f{j}": float(v) for j, v in enumerate(row)}, "up" if row[0] - row[1] > 0 else "down")
        for row in X
    ]


def _warm(model, rows):
    """Learn rows without predicting (both classes seen: no slot appears later)."""
    for x, y in rows:
        model.learn_one(x, y)
    return model


@pytest.mark.usefixtures("numpy_path")
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_advance_on_predict_without_delay_is_the_default_model_after_a_missing_value(cls):
    """A row that lacks a feature keeps that slot's pairs apart; the first row with
    every slot again grants them at its commit. The default model commits after the
    readouts' step; an advancing one at predict time, and its label's step read the
    new pairs on the row, trained on it: the two parted from that row on (0.3 on a
    regressor's targets of 1-3; review 314). Pairs granted since a row was read read 0
    at its label, as new slots do."""
    rows = _clf_stream(300, seed=2)  # (seed 0's rows 0-2 share a label: no step on row 2)
    del rows[1][0]["f1"]  # (every feature seen at row 0; row 1 lacks one)
    if cls is DREAMOnlineRegressor:
        rows = [(x, float(x.get("f0", 0.0) - x.get("f1", 0.0))) for x, _ in rows]
    kw = {"hidden_dim": 8, "rank": 2, "seed": 0, "feedback": "none"}
    default, advancing = cls(**kw), cls(**kw, advance_on_predict=True)
    for x, y in rows:
        if cls is DREAMOnlineClassifier:
            assert advancing.predict_proba_one(x) == default.predict_proba_one(x)
        else:
            assert advancing.predict_one(x) == default.predict_one(x)
        default.learn_one(x, y)
        advancing.learn_one(x, y)
    assert default._pairs.shape[1] > 0  # (pairs were granted, the missing slot's too)
    assert_same_state(default, advancing)


@pytest.mark.usefixtures("numpy_path")
@pytest.mark.parametrize("feedback", ["cell", "none"])
def test_advance_on_predict_without_delay_is_the_default_model(feedback):
    rows = _clf_stream()
    kw = {"hidden_dim": 8, "rank": 2, "seed": 0, "feedback": feedback}
    default = _warm(DREAMOnlineClassifier(**kw), rows[:10])
    advancing = _warm(DREAMOnlineClassifier(**kw, advance_on_predict=True), rows[:10])
    for x, y in rows[10:]:
        assert default.predict_proba_one(x) == advancing.predict_proba_one(dict(x))
        assert advancing.predict_one(dict(x)) == default.predict_one(x)  # not a second step
        default.learn_one(x, y)
        advancing.learn_one(x, y)
    assert_same_state(default, advancing)
    assert not advancing._pending and not advancing._pending_rows


@pytest.mark.usefixtures("numpy_path")
@pytest.mark.parametrize("readouts", [("last",), None])
def test_advance_on_predict_without_delay_is_the_default_model_across_set_aside_targets(
    readouts,
):
    """A far target set aside leaves "diff" at the row before (round 48); an advanced
    row had moved it on when read, so without a delay the advancing regressor parted
    from the default one after each such target (0.62 apart with "last", 0.026 with
    the default readouts; review 279)."""
    rng = np.random.default_rng(0)
    a = rng.normal(size=500)
    y = 2 * a + np.cumsum(0.05 * rng.normal(size=500))
    rows = [({"a": v, "b": w}, t) for v, w, t in zip(a, rng.normal(size=500), y, strict=True)]
    kw = {"seed": 0} if readouts is None else {"seed": 0, "readouts": readouts}
    default = DREAMOnlineRegressor(**kw)
    advancing = DREAMOnlineRegressor(**kw, advance_on_predict=True)
    for t, (x, target) in enumerate(rows):
        assert advancing.predict_one(dict(x)) == default.predict_one(x)
        if t == 420:  # (river's clone copies each attribute apart: review 287)
            advancing = advancing.clone(include_attributes=True)
        target = 1e6 if t in (300, 420) else float(target)
        default.learn_one(x, target)
        advancing.learn_one(x, target)
    assert advancing._y_stats.tolist() == default._y_stats.tolist()
    np.testing.assert_array_equal(advancing._prev_u, default._prev_u)


def _an_advancing_regressor():
    """(model, rows): an advancing regressor reading "last", its first 30 of 40 rows
    (y = 2a) predicted and learned."""
    rng = np.random.default_rng(0)
    rows = [{"a": v, "b": w} for v, w in rng.normal(size=(40, 2)).tolist()]
    model = DREAMOnlineRegressor(seed=0, readouts=("last",), advance_on_predict=True)
    for x in rows[:30]:
        model.predict_one(x)
        model.learn_one(x, 2 * x["a"])
    return model, rows


@pytest.mark.usefixtures("numpy_path")
def test_a_set_aside_label_after_other_labels_puts_diff_back_to_the_row_before():
    """(review 289) predict A1 and A2, learn A1, then A2's far label: "diff" holds
    A2's read, and goes back to the row before it (A1's), as the set-aside rule says;
    A1's label, which moved nothing, had blocked it. A model pickled with the round's
    first forms of the record (the entry, a pair) learns on."""
    model, rows = _an_advancing_regressor()
    a1, a2 = rows[30], rows[31]
    model.predict_one(a1)
    after_a1 = model._prev_u.copy()
    model.predict_one(a2)
    model.learn_one(a1, 2 * a1["a"])
    model.learn_one(a2, 1e6)
    assert model._y_run == 1  # (set aside)
    np.testing.assert_array_equal(model._prev_u, after_a1)
    from dream_sklearn.online._pending import _Pending

    entry = _Pending(np.zeros(2), np.zeros((1, 2)), np.zeros(2), np.ones(2), 0.0, None)
    for old in (entry, (3, 30)):
        state = {**model.__getstate__(), "_advanced_last": old}
        loaded = DREAMOnlineRegressor.__new__(DREAMOnlineRegressor)
        loaded.__setstate__(state)
        assert loaded._advanced_last is None
        loaded.predict_one(rows[32])
        loaded.learn_one(rows[32], 1.0)


@pytest.mark.usefixtures("numpy_path")
def test_a_set_aside_label_keeps_diff_on_a_row_learned_after_its_advance():
    """(review 287) predict A, learn B (never predicted), then A's far label: "diff"
    had gone back to the row before A, undoing B's step, where the default model
    keeps it on B."""
    model, rows = _an_advancing_regressor()
    a, b = rows[30], rows[31]
    model.predict_one(a)
    model.learn_one(b, 2 * b["a"])
    after_b = model._prev_u.copy()
    model.learn_one(a, 1e6)
    assert model._y_run == 1  # (set aside)
    np.testing.assert_array_equal(model._prev_u, after_b)


@pytest.mark.usefixtures("numpy_path")
@pytest.mark.parametrize("delay", [1, 10, 50])
def test_under_delay_the_cell_steps_once_per_row_in_order(delay):
    """With feedback off, the cell's input and the scaling depend on the rows only: under
    progressive_val_score(delay=...) the advancing model's memory is that of the default
    model without delay (the cell stepped once on every row, in order)."""
    rows = _clf_stream()
    kw = {"hidden_dim": 8, "rank": 2, "seed": 0, "feedback": "none"}
    default = _warm(DREAMOnlineClassifier(**kw), rows[:2])
    advancing = _warm(DREAMOnlineClassifier(**kw, advance_on_predict=True), rows[:2])
    evaluate.progressive_val_score(rows[2:], default, metrics.Accuracy())
    evaluate.progressive_val_score(rows[2:], advancing, metrics.Accuracy(), delay=delay)
    for a, b in zip(default.memory(), advancing.memory(), strict=True):
        assert torch.equal(a, b)
    np.testing.assert_array_equal(default._stat_mean, advancing._stat_mean)
    np.testing.assert_array_equal(default._stat_var, advancing._stat_var)
    assert advancing.n_steps_ == len(rows) and not advancing._pending_rows


def _rows_taken(model, data, delay):
    """Run ``data`` through ``model`` under river's delay protocol (``simulate_qa``);
    return, per label that looked for a waiting row, (its row, the row whose state it
    took: None for none), and the rows advanced on, in order."""
    from river import stream as river_stream

    advanced, rows, taken, now = {}, [], [], {}  # (advanced: entry's id -> row, while kept)
    keep, take = model._keep_advanced, model._take_pending

    def recorded_keep(key, entry, out):  # (a row advanced on, on either path)
        kept = keep(key, entry, out)
        advanced[id(kept)] = now["i"]
        rows.append(now["i"])
        return kept

    def recorded_take(row):
        got = take(row)
        taken.append((now["i"], None if got is None else advanced.pop(id(got))))
        return got

    model._keep_advanced, model._take_pending = recorded_keep, recorded_take
    for i, x, y in river_stream.simulate_qa(data, moment=None, delay=delay):
        now["i"] = i
        model.predict_one(x) if y is None else model.learn_one(x, y)
    return taken, rows


def test_a_row_predicted_before_anything_was_built_keeps_its_label():
    """(review 106) Matched by values, the label of a row predicted before anything
    was built (the first rows under a delay) took the state of a later row of equal
    values still waiting, which its own label then stepped a second time: each label
    takes the row advanced on for it, and the first rows' labels step theirs."""
    rows = _clf_stream(60)
    rows[6] = (dict(rows[2][0]), rows[2][1])  # (row 6 repeats row 2: a discrete stream)
    model = DREAMOnlineClassifier(hidden_dim=8, rank=2, seed=0, advance_on_predict=True)
    taken, advanced = _rows_taken(model, rows, delay=5)
    assert advanced[0] < 6 and [(i, got) for i, got in taken if got is not None] == [
        (i, i) for i in advanced
    ]
    assert not model._pending_rows and not model._unbuilt


def _predictions(rows, model, delay):
    metric = metrics.Accuracy() if isinstance(model, DREAMOnlineClassifier) else metrics.MAE()
    steps = evaluate.iter_progressive_val_score(
        rows, model, metric, delay=delay, yield_predictions=True
    )
    return [step["Prediction"] for step in steps]


@pytest.mark.parametrize(
    "cls, kw, delay",
    [
        (DREAMOnlineClassifier, {}, None),
        (DREAMOnlineClassifier, {"advance_on_predict": True}, None),
        (DREAMOnlineClassifier, {"advance_on_predict": True}, 20),
        (DREAMOnlineRegressor, {}, None),
        (DREAMOnlineRegressor, {"advance_on_predict": True}, 20),
    ],
)
def test_the_prediction_at_row_t_does_not_depend_on_y_t(cls, kw, delay):
    rows = _clf_stream(300)
    if cls is DREAMOnlineRegressor:
        rows = [(x, x["f0"] - 2.0 * x["f1"]) for x, _ in rows]
    T = 200
    flip = {"up": "down", "down": "up"}
    changed = [
        (x, (flip[y] if cls is DREAMOnlineClassifier else -y) if t >= T else y)
        for t, (x, y) in enumerate(rows)
    ]
    make = lambda: cls(hidden_dim=8, rank=2, seed=0, **kw)  # noqa: E731
    a = _predictions(rows, make(), delay)
    b = _predictions(changed, make(), delay)
    # iter_progressive_val_score yields in answer order: with a delay, row t's
    # prediction comes once its label is revealed, still in row order here.
    assert a[: T + 1] == b[: T + 1]
    assert a != b  # the labels after T do change what is learned


def test_advance_on_predict_is_not_pure_and_the_default_is():
    rows = _clf_stream(60)
    pure = _warm(DREAMOnlineClassifier(hidden_dim=8, rank=2, seed=0), rows[:50])
    advancing = _warm(
        DREAMOnlineClassifier(hidden_dim=8, rank=2, seed=0, advance_on_predict=True), rows[:50]
    )
    before = pure.memory(), advancing.memory()
    for x, _ in rows[50:]:
        pure.predict_proba_one(x)
        advancing.predict_proba_one(x)
    assert all(torch.equal(a, b) for a, b in zip(before[0], pure.memory(), strict=True))
    assert not torch.equal(before[1].h, advancing.memory().h)
    assert len(advancing._pending_rows) == 10 and advancing.n_steps_ == 50


def test_a_row_advanced_on_is_matched_whatever_its_keys_order_or_number_types():
    """The label of a row advanced on at predict time comes with the row: the same
    content with its keys in another order, an int for a float, or a NumPy 0-d array
    for a number is the same row (the cell does not step on it twice)."""
    rows = [({**x, "k": 2.0}, y) for x, y in _clf_stream(60)]
    model = _warm(
        DREAMOnlineClassifier(hidden_dim=8, rank=2, seed=0, advance_on_predict=True), rows[:50]
    )
    x, y = rows[50]
    model.predict_one(x)
    model.predict_one(rows[51][0])
    steps = model.n_steps_
    memory = model.memory()
    reordered = {k: np.asarray(x[k]) for k in reversed(list(x))}
    reordered["k"] = 2  # an int
    model.learn_one(reordered, y)
    assert len(model._pending_rows) == 1  # rows[51] still waits
    assert model.n_steps_ == steps + 1
    assert all(torch.equal(a, b) for a, b in zip(memory, model.memory(), strict=True))


class _Column:  # a feature name that keeps object's repr (its address)
    pass


def test_a_row_advanced_on_is_matched_whatever_its_keys_order_with_names_of_default_repr():
    """Names of a class that keeps ``object``'s ``repr`` have no order of their own
    (they are registered in the row's order); a row of them that comes back with its
    keys in another order is still the same row (review 213: its label found no row,
    and the cell stepped on it twice)."""
    a, b = _Column(), _Column()
    rng = np.random.default_rng(0)
    rows = [dict(zip((a, b), rng.normal(size=2), strict=True)) for _ in range(30)]
    model = DREAMOnlineRegressor(seed=0, advance_on_predict=True)
    model.learn_one({a: 0.0, b: 0.0}, 0.0)
    for i, row in enumerate(rows):
        model.predict_one(row)
        if i >= 2:  # (two rows behind: the row just predicted is matched another way)
            old = rows[i - 2]
            model.learn_one({b: old[b], a: old[a]}, 3 * old[a] - old[b])
    assert len(model._pending_rows) == 2


class _Label:  # a feature name equal by its label, with object's repr
    def __init__(self, label: str) -> None:
        self.label = label

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Label) and other.label == self.label

    def __hash__(self) -> int:
        return hash(self.label)


def test_a_row_advanced_on_is_matched_when_its_names_are_equal_objects_made_anew():
    """Each row built with new name objects equal to the last ones: the same row (review
    215: sorted by address, most labels found no row, and the cell stepped twice)."""
    rng = np.random.default_rng(0)
    values = rng.normal(size=(60, 2))

    def row(i):
        return {_Label("a"): values[i, 0], _Label("b"): values[i, 1]}

    model = DREAMOnlineRegressor(seed=0, advance_on_predict=True)
    model.learn_one(row(0), 0.0)
    for i in range(1, 60):
        model.predict_one(row(i))
        if i >= 3:
            model.learn_one(row(i - 2), 3 * values[i - 2, 0] - values[i - 2, 1])
    assert len(model._pending_rows) == 2


def test_rows_waiting_for_a_label_are_bounded():
    from dream_sklearn.online import _pending

    rows = _clf_stream(_pending._MAX_PENDING + 30)
    model = _warm(
        DREAMOnlineClassifier(hidden_dim=8, rank=2, seed=0, advance_on_predict=True), rows[:5]
    )
    with pytest.warns(UserWarning, match="rows advanced on are still waiting"):
        for x, _ in rows[5:]:
            model.predict_one(x)
    assert len(model._pending_rows) == _pending._MAX_PENDING
    assert sum(len(q) for q in model._pending.values()) == _pending._MAX_PENDING
    # The oldest were forgotten: their label is learned as a new row (a step).
    h = model.memory().h
    model.learn_one(*rows[5])
    assert not torch.equal(h, model.memory().h)
    # A row still waiting: the readouts learn, the cell does not step again.
    h = model.memory().h
    model.learn_one(*rows[-1])
    assert torch.equal(h, model.memory().h)
    assert len(model._pending_rows) == _pending._MAX_PENDING - 1


def _elec2_score(n, delay, **kw):
    model = DREAMOnlineClassifier(seed=0, **kw)
    rows = list(iter_elec2(n))
    return evaluate.progressive_val_score(rows, model, metrics.Accuracy(), delay=delay).get()


def test_delayed_labels_on_elec2_keep_most_of_the_accuracy():
    """Elec2 (a tuning stream), first 4,000 rows, labels 50 rows late: advancing the
    cell, and the delayed-label readout (on by default) on top of it."""
    no_delay = _elec2_score(4000, None)
    pure = _elec2_score(4000, 50)
    off = _elec2_score(4000, 50, advance_on_predict=True, delayed_readout=False)
    advancing = _elec2_score(4000, 50, advance_on_predict=True)
    print(f"no delay {no_delay:.4f}, delay 50: pure {pure:.4f}, advancing {advancing:.4f}")
    assert off > pure + 0.05
    assert advancing > off + 0.015  # 0.9362 against 0.9053 (round 34)
    assert advancing > no_delay - 0.03


def _trend_stream(n, seed=0, window=20):
    """A random walk and two noise features; the label: the walk above the mean of its
    previous ``window`` values (a label the rows carry, as Elec2's does)."""
    rng = np.random.default_rng(seed)
    level = np.cumsum(rng.normal(size=n))
    noise = rng.normal(size=(n, 2))
    return [
        (
            {"level": float(level[t]), "n0": float(noise[t, 0]), "n1": float(noise[t, 1])},
            "up" if t and level[t] > level[max(0, t - window) : t].mean() else "down",
        )
        for t in range(n)
    ]


@pytest.mark.parametrize("seed", [0, 1])
def test_the_delayed_readout_under_delay_against_it_off(seed):
    """progressive_val_score(delay=50) with advance_on_predict: the readout over the
    rows' own temporal features against the same model without it (measured:
    0.779 against 0.737, seed 0; 0.771 against 0.698, seed 1)."""
    rows = _trend_stream(1000, seed)
    kw = {"hidden_dim": 8, "rank": 2, "seed": 0, "advance_on_predict": True}
    on = DREAMOnlineClassifier(**kw)
    off = DREAMOnlineClassifier(**kw, delayed_readout=False)
    a = evaluate.progressive_val_score(rows, on, metrics.Accuracy(), delay=50).get()
    b = evaluate.progressive_val_score(rows, off, metrics.Accuracy(), delay=50).get()
    assert a > b + 0.02
    assert on._delayed.active and on._delayed.w[1] > 0.5  # it leads the mixture
    assert off._delayed is None


def test_the_delayed_readout_reads_features_in_any_unit():
    """The trend stream with every feature in units of 1e-7: the delayed readout
    scores as in units of 1 (its variance floor was an absolute 1e-12, so features
    with a standard deviation below about 1e-6 read 0 and it never took part; a
    review's reproducer on Elec2: 0.8919 against 0.9308)."""
    scores = []
    for unit in (1.0, 1e-7):
        rows = [({k: v * unit for k, v in x.items()}, y) for x, y in _trend_stream(1000)]
        model = DREAMOnlineClassifier(hidden_dim=8, rank=2, seed=0, advance_on_predict=True)
        scores.append(evaluate.progressive_val_score(rows, model, metrics.Accuracy(), delay=50))
        assert model._delayed.active and model._delayed.w[1] > 0.5
    assert scores[0].get() == pytest.approx(scores[1].get(), abs=0.005)


@pytest.mark.usefixtures("numpy_path")
def test_the_delayed_readout_takes_no_part_without_a_delay():
    """Under no delay it learns alongside but never reaches a prediction: the model is
    the one without it, prediction for prediction."""
    rows = _trend_stream(300)
    kw = {"hidden_dim": 8, "rank": 2, "seed": 0, "advance_on_predict": True}
    on, off = DREAMOnlineClassifier(**kw), DREAMOnlineClassifier(**kw, delayed_readout=False)
    for x, y in rows:
        assert on.predict_proba_one(x) == off.predict_proba_one(dict(x))
        on.learn_one(x, y)
        off.learn_one(x, y)
    assert on._delayed is not None and not on._delayed.active
    assert_same_state(on, off)
    # Then labels come late: it takes part once later rows wait (a running mean of
    # their number above half a row), and the prediction moves with it.
    for x, _ in rows[:100]:
        on.predict_one(x)
        off.predict_one(x)
    on.learn_one(*rows[0])
    off.learn_one(*rows[0])
    assert on._delayed.active
    x = rows[100][0]
    assert on.predict_proba_one(x) != off.predict_proba_one(x)


def test_delayed_readout_is_checked():
    with pytest.raises(ValueError, match="'delayed_readout' parameter of .* must be a bool"):
        DREAMOnlineClassifier(delayed_readout="yes").learn_one({"a": 1.0}, "up")


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_river_checks_with_advance_on_predict_and_strict_missing(cls):
    """Every river check passes but the two that compare predict_many (pure: each row
    from the committed state) with predict_one called after it (which moves the state
    under advance_on_predict, by design)."""
    from river.checks import yield_checks

    model = cls(hidden_dim=8, rank=2, seed=1, advance_on_predict=True, missing="raise")
    failed = set()
    for check in yield_checks(model):
        try:
            check(model.clone())
        except AssertionError:
            failed.add(check.__name__)
    expected = {"check_predict_many_matches_predict_one"}
    if cls is DREAMOnlineClassifier:
        expected.add("check_predict_proba_many_matches_predict_proba_one")
    assert failed == expected


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_the_scaling_reads_features_in_any_unit_alike(cls):
    """The same stream with every feature in units 1e8 times smaller, or shifted by
    1e10: the same predictions (a variance floor of 1e-12 left features with a
    standard deviation below about 1e-6 unscaled: SEA's accuracy fell from 0.98 to
    0.70; one of 1e-20 * mean**2 read a shift of 1e12 as a constant feature)."""
    rows = list(synth.SEA(seed=1).take(1500))
    if cls is DREAMOnlineRegressor:
        rows = [(x, x[0] + 0.5 * x[1] - x[2]) for x, _ in rows]
    runs = []
    for unit, offset in ((1.0, 0.0), (1e-8, 0.0), (1.0, 1e10)):
        model, out = cls(seed=0), []
        for x, y in rows:
            x = {k: v * unit + offset for k, v in x.items()}
            out.append(model.predict_one(x))
            model.learn_one(x, y)
        runs.append(np.asarray(out))
    for other in runs[1:]:
        if cls is DREAMOnlineRegressor:
            np.testing.assert_allclose(other, runs[0], rtol=1e-5, atol=1e-5)
        else:
            assert np.mean(other == runs[0]) > 0.99


@pytest.mark.parametrize("compiled", [True, False])
def test_a_slot_still_warming_up_does_not_widen_the_others_ranges(compiled):
    """A sparse feature keeps its first 8 values' warm-up going for long; meanwhile
    an outlier of another feature must neither enter that feature's range nor be
    read (before: every slot's range took every value while any slot warmed up)."""
    from dream_sklearn.online import set_compiled

    rng = np.random.default_rng(1)
    previous = set_compiled(compiled)
    try:
        model = DREAMOnlineClassifier(seed=0)
        for t in range(700):
            a, b = rng.normal(), rng.uniform()
            x = {"a": 1e30 if t == 600 else a, "b": b}
            if t % 400 == 7:
                x["rare"] = 1.0  # 2 values by row 700
            model.predict_one(x)
            model.learn_one(x, a + b > 0.5)
    finally:
        set_compiled(previous)
    assert model._warming
    assert np.abs(model._range[:, model._x_slot["a"]]).max() < 10.0


def test_a_rare_recurring_value_is_not_set_aside():
    """A rare event (1 every 400 rows, 0 otherwise) is many standard deviations out
    each time, but within the range seen: it is read (clipped), not set aside."""
    rng = np.random.default_rng(0)
    model = DREAMOnlineClassifier(seed=0)
    hits = events = 0
    for t in range(8000):
        event = float(t % 400 == 0)
        x = {"event": event, "noise": rng.uniform()}
        if t > 2000 and event:
            hits += model.predict_one(x) == 1
            events += 1
        model.learn_one(x, int(event))
    # With every value beyond 30 stds set aside: 0. The first event after row 2000
    # is a coin flip (its probability is 0.50 to two decimals), the later ones are not.
    assert events == 14 and hits >= 13


@pytest.mark.parametrize("value", [1e6, 1e30])
def test_one_outlier_row_barely_moves_the_regressor_on_friedman_drift(value):
    """FriedmanDrift "lea" (a tuning stream): MAE over the 500 rows after one row with
    a feature at ``value``, against a twin that never saw it (before: up to +46%)."""
    rows = list(
        synth.FriedmanDrift(drift_type="lea", position=(1000, 2000, 3000), seed=1).take(901)
    )
    worst = 0.0
    for feature in range(10):
        model = DREAMOnlineRegressor(seed=0)
        for x, y in rows[:400]:
            model.predict_one(x)
            model.learn_one(x, y)
        twin = copy.deepcopy(model)
        x, y = rows[400]
        model.predict_one({**x, feature: value})
        model.learn_one({**x, feature: value}, y)
        error = twin_error = 0.0
        for x, y in rows[401:]:
            error += abs(model.predict_one(x) - y)
            twin_error += abs(twin.predict_one(x) - y)
            model.learn_one(x, y)
            twin.learn_one(x, y)
        worst = max(worst, error / twin_error)
    assert worst <= 1.01


def test_learn_many_brings_the_labels_of_rows_advanced_on():
    rows = _clf_stream(40)
    model = _warm(
        DREAMOnlineClassifier(hidden_dim=8, rank=2, seed=0, advance_on_predict=True), rows[:20]
    )
    for x, _ in rows[20:]:
        model.predict_one(x)
    h = model.memory().h.clone()
    X = pd.DataFrame([x for x, _ in rows[20:]])
    model.learn_many(X, pd.Series([y for _, y in rows[20:]]))
    assert torch.equal(h, model.memory().h)  # no second step
    assert model.n_steps_ == 40 and not model._pending_rows


@pytest.mark.usefixtures("numpy_path")
def test_regressor_advancing_on_predict_reads_the_change_it_saw_then():
    """The regressor's "last" readout reads the change of the inputs since the previous
    row ("diff"). Advanced at prediction, a row is read against the row before it then,
    and its later label trains the readouts on that same reading: without delay the
    model is the default one, and under delay it runs (issue 12's merge of the two)."""
    rows = [
        ({"a": float(np.sin(t / 7)), "b": float(np.cos(t / 5))}, float(np.sin(t / 7) + t / 50))
        for t in range(300)
    ]
    kw = {"hidden_dim": 8, "rank": 2, "seed": 0}
    default, advancing = (
        DREAMOnlineRegressor(**kw),
        DREAMOnlineRegressor(**kw, advance_on_predict=True),
    )
    assert "last" in default.readouts  # the readout that reads "diff"
    for x, y in rows:
        assert advancing.predict_one(dict(x)) == default.predict_one(x)
        default.learn_one(x, y)
        advancing.learn_one(x, y)
    assert_same_state(default, advancing)
    delayed = DREAMOnlineRegressor(**kw, advance_on_predict=True)
    mae = evaluate.progressive_val_score(rows, delayed, metrics.MAE(), delay=5)
    assert mae.get() < np.mean(np.abs([y for _, y in rows]))  # learned something
    assert delayed.n_steps_ == len(rows) and not delayed._pending_rows


# --- the delayed-label readout: review findings -----------------------------------------


def _delayed_run(rows, model, delay):
    """Predict each row, then learn the row ``delay`` rows older (labels that come late,
    as progressive_val_score(delay=...) feeds them)."""
    for t, (x, _) in enumerate(rows):
        model.predict_one(x)
        if t >= delay:
            model.learn_one(*rows[t - delay])
    return model


def test_predict_many_mixes_the_delayed_readout_as_predict_one_does():
    """predict_proba_many([x]) is predict_proba_one(x) from the same committed state,
    with the delayed-label readout taking part (and predict_proba_many stays pure)."""
    rows = _trend_stream(700)
    # (5 knots: with the default's for the stream's feature, 15, the readouts lead and
    # the delayed readout's share stays near its floor, 0.989 to the readouts)
    kw = {"hidden_dim": 8, "rank": 2, "seed": 0, "advance_on_predict": True, "n_knots": 5}
    model = _delayed_run(rows[:600], DREAMOnlineClassifier(**kw), 50)
    late = model._delayed
    assert late.active and 0.05 < late.w[1] < 0.95  # the mixture moves the prediction
    for t in range(600, 700):
        x = rows[t][0]
        before = late.mean.copy(), late.var.copy(), model._pending_seq
        many = model.predict_proba_many(pd.DataFrame([x]))
        np.testing.assert_array_equal(late.mean, before[0])
        np.testing.assert_array_equal(late.var, before[1])
        assert model._pending_seq == before[2]
        one = model.predict_proba_one(x)
        np.testing.assert_allclose(many.iloc[0][list(one)].to_numpy(float), list(one.values()))
        model.learn_one(*rows[t - 50])
    # Several rows at once: each from the committed state, as for the readouts.
    X = pd.DataFrame([x for x, _ in rows[650:660]])
    many = model.predict_proba_many(X)
    for i, x in enumerate(X.to_dict("records")):
        np.testing.assert_allclose(many.iloc[[i]], model.predict_proba_many(pd.DataFrame([x])))


def _labels_lost(rows, share: float):
    """Advancing models with the delayed-label readout on and off, each row predicted
    (both alike, asserted) then learned at once but for ``share`` of the rows, whose
    labels never come: the model with it."""
    rng = np.random.default_rng(0)
    kw = {"hidden_dim": 8, "rank": 2, "seed": 0, "advance_on_predict": True}
    on, off = DREAMOnlineClassifier(**kw), DREAMOnlineClassifier(**kw, delayed_readout=False)
    for x, y in rows:
        assert on.predict_proba_one(x) == off.predict_proba_one(dict(x))
        if rng.random() >= share:
            on.learn_one(x, y)
            off.learn_one(x, y)
    return on


def test_the_delayed_readout_takes_no_part_when_some_labels_never_come():
    """Labels come at once, but a tenth of the rows never get one: those rows wait for
    ever, yet no label is late (no row was predicted after a labelled one before its
    label came), so the readout takes no part: the predictions are those without it."""
    on = _labels_lost(_trend_stream(1000), 0.1)
    assert len(on._pending_rows) > 50  # the rows that never got a label
    assert on._delayed is not None and not on._delayed.active


def test_lost_labels_of_recurring_rows_do_not_read_as_a_delay():
    """Rows of equal values recur (STAGGER: 27 of them) and a twentieth of the labels
    never come; the others come at once. Matched by values, a label takes the oldest
    waiting row of its values, one whose label was lost; its delay is counted from
    the newest such row, so no label reads as late and the readout takes no part (it
    took part on 2,955 of 3,000 rows of this stream, default model, when counted from
    the row taken: review 363).
    Under a delay of 50 on the same rows it still does."""
    rows = list(synth.STAGGER(seed=0).take(1500))
    on = _labels_lost(rows, 0.05)
    assert len(on._pending_rows) > 50  # the rows whose label never came
    assert not on._delayed.active and on._delayed.lag == 0.0
    kw = {"hidden_dim": 8, "rank": 2, "seed": 0, "advance_on_predict": True}
    late = _delayed_run(rows, DREAMOnlineClassifier(**kw), 50)._delayed
    assert late.active and late.lag > 10


def test_a_label_matched_by_order_after_values_counts_its_own_rows_delay():
    """A label matched by values notes the newest row of its values still waiting;
    matched by order after ``match_labels_by`` was changed (``advance_on_predict`` off:
    the rows waiting still take their labels), the next label's delay is its own
    row's, not one counted from that note (review 366: 0 for a true 19)."""
    model = DREAMOnlineClassifier(hidden_dim=4, rank=1, seed=0, advance_on_predict=True)
    a, b, c = {"a": 1.0}, {"a": 2.0}, {"a": 3.0}
    model.learn_one(dict(a), 0)
    model.learn_one(dict(b), 1)
    for i in range(20):  # b, then a and c in turn
        model.predict_one(dict(b) if i == 0 else dict(a) if i % 2 else dict(c))
    model.learn_one(dict(a), 0)  # by values: the first a waiting; the newest a is the 20th
    model.match_labels_by, model.advance_on_predict = "order", False
    seen = []
    model._delayed.saw = seen.append
    model.learn_one(dict(b), 1)  # by order: the oldest row waiting, the b
    assert seen == [19]


@pytest.mark.parametrize("setting", ["delayed_readout", "advance_on_predict"])
def test_a_setting_turned_off_stops_the_delayed_readout(setting):
    """After ``model.delayed_readout = False`` (or ``advance_on_predict``) the readout's
    probabilities for an earlier row are never mixed in: the prediction is the
    readouts' mixture alone."""
    rows = _trend_stream(1000)
    kw = {"hidden_dim": 8, "rank": 2, "seed": 0, "advance_on_predict": True}
    model = _delayed_run(rows[:800], DREAMOnlineClassifier(**kw), 50)
    assert model._delayed.active and model._delayed.w[1] > 0.1
    setattr(model, setting, False)
    for t in range(800, 900):
        x = rows[t][0]
        got = model.predict_proba_one(x)
        alone = model._proba(model._predict_raw_one(x))  # (the same row: no new step)
        np.testing.assert_array_equal(list(got.values()), alone)
        model.learn_one(*rows[t - 50])
    # Back on: it takes part again, on the row just read.
    setattr(model, setting, True)
    x = rows[900][0]
    got = model.predict_proba_one(x)
    assert not np.array_equal(list(got.values()), model._proba(model._predict_raw_one(x)))


# --- the floor a delay sets (benchmarks/online_robust.py) ---------------------------------


@pytest.fixture(scope="module")
def robust_bench():
    """benchmarks/online_robust.py and the streams.py it reads, loaded as modules."""
    import importlib.util
    import sys
    from pathlib import Path

    here = Path(__file__).parents[1] / "benchmarks"
    sys.path.insert(0, str(here))
    spec = importlib.util.spec_from_file_location("online_robust_bench", here / "online_robust.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    import streams

    yield module, streams
    sys.path.remove(str(here))
    sys.modules.pop("streams", None)


def test_the_oracle_floor_by_hand(robust_bench):
    """Two concepts that disagree on every row, a change at row 20 of 40, labels 5 rows
    late: the oracle predicts rows 20..24 under the old concept (5 wrong of the 35 rows
    it predicts, rows 5..39), and without delay only row 20 (1 wrong of 39)."""
    bench, _ = robust_bench
    rows = [({"a": float(t % 2)}, t % 2 == (t < 20)) for t in range(40)]
    concepts = [lambda x: x["a"] == 1.0, lambda x: x["a"] == 0.0]
    bench._check_concepts(rows, [20], concepts)
    late, now = (
        bench.oracle_hits(rows, [20], concepts, 5),
        bench.oracle_hits(rows, [20], concepts, 1),
    )
    assert np.isnan(late[:5]).all() and np.isnan(now[:1]).all()
    assert np.flatnonzero(late == 0).tolist() == [20, 21, 22, 23, 24]
    assert np.flatnonzero(now == 0).tolist() == [20]
    assert np.nanmean(now) - np.nanmean(late) == pytest.approx(38 / 39 - 30 / 35)
    # The points by region add up to the accuracy lost.
    blind = np.zeros(40, bool)
    blind[20:25] = True
    parts = bench._points(now, late, blind) + bench._points(now, late, ~blind)
    assert parts == pytest.approx(100 * (38 / 39 - 30 / 35))
    assert bench._points(now, late, blind) == pytest.approx(100 * (5 / 35 - 1 / 39))
    assert bench._points(now, late, ~blind) == 0.0  # no errors elsewhere on either side
    with pytest.raises(AssertionError, match="do not give the stream's labels"):
        bench._check_concepts(rows, [20], concepts[::-1])


def test_the_advance_cost_part_prints_each_models_two_accuracies_and_their_gap(
    robust_bench, capsys
):
    """``--part advance-cost``: a row per model, the default's and the advance's
    accuracies under the delay (each as ``progressive_val_score`` gives it), and the
    gap between them in points."""
    bench, streams = robust_bench
    bench.advance_cost(300, ["SEA"], 1)
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| SEA |")]
    assert [r.split(" | ")[1] for r in rows] == [
        "full model",
        "linear readout alone",
        "standardize_rate=0.002",
    ]
    data = list(streams.STREAMS["SEA"].make(0, 300))
    variants = ({}, {"readouts": ("linear",)}, {"standardize_rate": 0.002})
    for row, kw in zip(rows, variants, strict=True):
        cells = [float(c.split(" (")[0]) for c in row.strip("| ").split(" | ")[2:]]
        both = [
            bench._score(data, DREAMOnlineClassifier(seed=0, **kw, **extra), 50)
            for extra in ({}, {"advance_on_predict": True, "delayed_readout": False})
        ]
        assert cells[:2] == pytest.approx(both, abs=5e-5)
        assert cells[2] == pytest.approx(100 * (both[1] - both[0]), abs=0.05)


@pytest.mark.parametrize("name", ["STAGGER", "SEA", "Agrawal"])
def test_the_benchmarks_concepts_give_the_streams_labels(robust_bench, name):
    """The oracle's concepts are those of streams.py's segments, in order (and a
    different order is caught)."""
    bench, streams = robust_bench
    stream = streams.STREAMS[name]
    rows = list(stream.make(1, 600))
    bench._check_concepts(rows, stream.changes(600), bench.CONCEPTS[name])
    with pytest.raises(AssertionError, match="the concepts do not give the stream.s labels"):
        bench._check_concepts(rows, stream.changes(600), bench.CONCEPTS[name][::-1])


def test_under_delay_the_recovery_after_a_change_is_the_no_delay_one_shifted():
    """STAGGER, concept 0 then 2 (they disagree on 7 rows in 9), labels 50 rows late:
    before the first label of the new concept, the advancing model predicts as the old
    concept did (nothing says it changed); from that label on it recovers at least as
    fast as the model without delay did from the same labels (benchmarks/
    online_robust.py: where the points go)."""
    c, lag = 400, 50
    rows = list(synth.STAGGER(seed=1, classification_function=0).take(c))
    rows += list(synth.STAGGER(seed=2, classification_function=2).take(c))

    def hits(model, delay):
        from river import stream as river_stream

        out = np.full(len(rows), np.nan)
        for i, x, y in river_stream.simulate_qa(rows, moment=None, delay=delay):
            if y is None:
                out[i] = model.predict_one(x) == rows[i][1]
            else:
                model.learn_one(x, y)
        return out

    late = hits(DREAMOnlineClassifier(seed=0, advance_on_predict=True), lag)
    now = hits(DREAMOnlineClassifier(seed=0), None)
    # the old concept, small and red (size 0, colour 0), against the new labels
    old = np.array([(x["size"] == 0 and x["color"] == 0) == y for x, y in rows[c : c + lag]])
    assert late[c - 100 : c].mean() == 1.0  # the old concept learned
    np.testing.assert_array_equal(late[c : c + lag], old)
    # (the same labels known: row c's before row c + lag is predicted under the delay,
    # before row c + 1 without it)
    assert late[c + lag : c + lag + 150].mean() >= now[c + 1 : c + 151].mean() - 0.02


# --- the regressor's target: one outlier row, a real shift -------------------------------


def _random_walk(n, seed=0):
    rng = np.random.default_rng(seed)
    level = np.cumsum(rng.standard_normal(n))
    return [({f"x{i}": rng.random() for i in range(3)}, float(y)) for y in level]


def _target_outlier_cost(rows, t0, value):
    """MAE over the 500 rows after one row whose target is ``value``, over the MAE of
    a twin that never saw that row."""
    error, twin_error = _against_twin(
        DREAMOnlineRegressor(seed=0), rows, t0, rows[t0][0], value, lambda p, y: abs(p - y)
    )
    return error / twin_error


@pytest.mark.parametrize("value", [1e4, -1e6, 1e30])
@pytest.mark.parametrize("stream", ["friedman", "random_walk", "trump"])
def test_one_target_outlier_costs_at_most_one_percent_of_mae(stream, value):
    """One row whose target is far out (the others near 0, 5 or 40) costs at most 1%
    of the MAE over the next 500 rows against a twin (before the target's rule: 17
    times the twin's MAE on FriedmanDrift, 33 on a random walk, 600 on TrumpApproval,
    with 1e4)."""
    if stream == "friedman":
        rows = list(
            synth.FriedmanDrift(drift_type="lea", position=(1000, 2000, 3000), seed=1).take(901)
        )
    elif stream == "random_walk":
        rows = _random_walk(901)
    else:
        from river.datasets import TrumpApproval

        rows = list(TrumpApproval())[:901]
    assert _target_outlier_cost(rows, 400, value) <= 1.01


def _glitch_rows(stream, n):
    """The first ``n`` rows of FriedmanDrift "lea" (seed 1) or of a random walk."""
    if stream == "friedman":
        return list(
            synth.FriedmanDrift(drift_type="lea", position=(1000, 2000, 3000), seed=1).take(n)
        )
    return _random_walk(n)


@pytest.mark.parametrize("length", [2, 3])
@pytest.mark.parametrize("value", [1e4, 1e30])
@pytest.mark.parametrize("stream", ["friedman", "random_walk"])
def test_a_short_run_of_far_targets_costs_at_most_3_percent_of_mae(
    stream, value, length, robust_bench
):
    """A target stuck far out for 2 or 3 rows: the first is set aside, the others are
    taken into the statistics as targets 5 standard deviations out (winsorised), and
    no readout steps by more than its error clipped (_ERR_BOUND), so what was learned
    survives (before round 9, on this setup: the target's running standard deviation
    1.4e29 after two rows at 1e30, and the MAE 7.7e26 to 1.4e27 times the twin's).
    When the target comes back, the readouts, the mixture's weights and the drift
    detectors are put back as they were before the run (_target._follow_run): 0.99 to
    1.00 times the twin's MAE. Before round 37 the mixture's weight had moved to the
    last value on the forecast of 1e30 and was earned back over hundreds of rows, and
    the glitch's losses could start fresh readouts: 1.02-1.07 on FriedmanDrift,
    1.06-1.11 on the random walk."""
    # (the measure the benchmark prints: online_robust.py --part regression)
    glitch_cost = robust_bench[0]._glitch_cost
    assert glitch_cost(_glitch_rows(stream, 903), 400, value, length) <= 1.03


@pytest.mark.parametrize("length", [4, 6, 19])
@pytest.mark.parametrize("value", [1e4, 1e30])
@pytest.mark.parametrize("stream", ["friedman", "random_walk"])
def test_a_longer_glitch_of_the_target_that_ends_is_undone(stream, value, length, robust_bench):
    """A target stuck far out for 4 to 19 rows (kept on its 4th row, _UNDO_ROWS = 16
    to come back): from its 4th row it is taken in full, as a real shift would be;
    the first target back within 5 standard deviations of the statistics from before
    that row restores them, and the readouts as they were before the run (0.996 to
    1.011 times the twin's MAE; 1.14 to 1.24 on FriedmanDrift before round 37, which
    left the readouts as the glitch's rows had moved them). Before the undo, 4 rows
    at 1e30 left the MAE 3e25 to 8e25 times the twin's here (predictions near 1e28
    until the running mean decayed), and 4 rows at 1e4 1.3 to 1.7 times."""
    glitch_cost = robust_bench[0]._glitch_cost  # (as the benchmark prints it)
    assert glitch_cost(_glitch_rows(stream, 920), 400, value, length) <= 1.03


def test_a_level_a_feature_announces_held_to_the_bit_is_learned(robust_bench):
    """A target at 100 exactly on blocks of 40 rows that a feature announces, noise
    elsewhere (a saturated reading; ``online_robust.py --part regimes``, its held
    table): each run of the level looks like a target stuck at one value, but it is a
    level to learn. An undo held open for stuck targets (round 58, reverted) undid the
    first run, and every later switch settled as a shift in the noise's spread: the MAE
    over the last 1,000 rows 2.86-3.07 over seeds 0-2, about the last value's 3.33,
    where it is 0.76-0.93."""
    bench = robust_bench[0]
    rows = bench._regime_rows(100.0, 40, 3000, 0, held=True)
    errors = bench._abs_errors(DREAMOnlineRegressor(seed=0), rows)
    assert errors[-1000:].mean() < 1.5


def _on_both_paths(run) -> list:
    """``run()`` with the compiled row on, then with the NumPy path alone: both
    results."""
    out = []
    for compiled in (True, False):
        previous = set_compiled(compiled)
        try:
            out.append(run())
        finally:
            set_compiled(previous)
    return out


def _put_back(W: np.ndarray, scale: float, model) -> np.ndarray:
    """The readouts' weights ``W``, copied where the target's running standard
    deviation was ``scale``, as ``model`` puts them back now: the "last" readouts'
    rescaled to its standard deviation now (``_last_keeps_scale``), the others as
    they were."""
    W = W.copy()
    rows = np.isin(np.arange(len(W)) % len(model._heads), model._last_at)
    W[rows] *= scale / model._y_scale()
    return W


@pytest.mark.parametrize("l2", [0.0, 0.01])
@pytest.mark.parametrize("length", [2, 3, 6])
def test_a_glitch_of_the_target_that_ends_leaves_the_readouts_as_before_it(length, l2):
    """What the readouts learned from a run of far targets that ends leaves with it:
    on the row the target comes back, the readouts' weights, the mixture's, their
    ages and the drift detectors are as they were before the run's first row (copied
    before its readout step: set aside, it moves no weight by its error, but its
    decay (l2), the ages and the detectors (its loss, the target clipped) step; a
    review's finding), on both paths alike; the row that comes back is not learned
    by them. The glitch's rows had moved them (winsorised, and the mixture judged on
    the target as it is). The "last" readout's weights are put back on the target's
    scale now (``_put_back``)."""
    rows = _glitch_rows("friedman", 430)
    rows = [(x, 1e30 if 400 <= t < 400 + length else y) for t, (x, y) in enumerate(rows)]

    def run():
        model, out = DREAMOnlineRegressor(seed=0, l2=l2), []
        for t, (x, y) in enumerate(rows):
            if t == 400:
                W, weights, age = model._W.copy(), model._weights.copy(), model._age.copy()
                detector = copy.deepcopy(model._drift)
                scale = model._y_scale()
            if t == 400 + length:  # (the glitch moved them)
                assert model._W.shape != W.shape or not np.allclose(model._W, W)
            out.append(model.predict_one(x))
            model.learn_one(x, y)
            if t == 400 + length:
                assert model._y_readouts is None
                np.testing.assert_array_equal(model._W, _put_back(W, scale, model))
                np.testing.assert_array_equal(model._weights, weights)
                np.testing.assert_array_equal(model._age, age)
                assert model._drift.estimation == detector.estimation
                assert model._drift.width == detector.width
        return np.array(out)

    compiled, numpy_path = _on_both_paths(run)
    np.testing.assert_allclose(compiled, numpy_path, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("length", [2, 3])
def test_a_drift_the_glitch_fired_is_put_back_with_the_knn_window(length):
    """On the row a short glitch ends, the readouts still carry what its rows taught
    them, and the loss there can fire the drift detector, which empties the kNN
    expert's window and counts a drift; the restore after that row puts back the
    window and the count with the readouts (review 199: the window stayed empty,
    MAE 1.039 times the twin's over rows 410-699 with n_neighbors=5, and n_drifts_
    counted a drift that was undone)."""
    rows = _glitch_rows("friedman", 700)
    ys = np.array([y for _, y in rows])
    glitched = [(x, 1e30 if 400 <= t < 400 + length else y) for t, (x, y) in enumerate(rows)]

    def run(stream):
        def go():
            model, out = DREAMOnlineRegressor(seed=0, n_neighbors=5), []
            for x, y in stream:
                out.append(model.predict_one(x))
                model.learn_one(x, y)
            return np.array(out), model.n_drifts_

        return go

    (twin, twin_drifts), _ = _on_both_paths(run(rows))
    (compiled, drifts), (numpy_path, _) = _on_both_paths(run(glitched))
    np.testing.assert_allclose(compiled, numpy_path, rtol=1e-12, atol=1e-12)
    assert drifts == twin_drifts
    ratio = np.abs(compiled[410:] - ys[410:]).mean() / np.abs(twin[410:] - ys[410:]).mean()
    assert ratio < 1.01


def _switching_levels(n: int, spikes: bool = False) -> tuple[list, np.ndarray]:
    """Rows ``{"a", "b"}`` and targets ``level + a + noise``, the level switching
    between 0 and 1,000 every 500 rows (some 700 running standard deviations); with
    ``spikes``, the level stays at 0 and each switch's row alone is at 1,000 (a lone
    spike that returns)."""
    rng = np.random.default_rng(0)
    a, b, noise = rng.normal(size=(3, n))
    t = np.arange(n)
    level = 1000.0 * (t % 500 == 0) * (t > 0) if spikes else 1000.0 * ((t // 500) % 2)
    ys = level + a + noise
    return [{"a": float(u), "b": float(v)} for u, v in zip(a, b, strict=True)], ys


def _level_forecasts(rows, ys, extra=()) -> tuple:
    """The regressor's forecast of each row, learning each after it (then the rows
    and targets of ``extra``, forecasts too); and the model."""
    model, out = DREAMOnlineRegressor(seed=0), []
    for x, y in [*zip(rows, ys, strict=True), *extra]:
        out.append(model.predict_one(x))
        model.learn_one(x, float(y))
    return np.array(out), model


def test_a_far_target_like_the_shifts_seen_is_followed_at_once():
    """A target switching between two levels far apart. Nothing known of far targets,
    the first switch's first row is set aside (its forecast of the next row: the old
    level), and whether the next target stayed near it is kept. From the third
    switch on (the second's distance, in the running spread a switch leaves, is
    another), a far target like those that stayed is taken in and the readouts that
    start from the previous target get the mixture's weight: the row after the switch
    is forecast at the new level, as the last value forecasts it. Both paths alike.
    (Before: every switch's second row forecast at the old level, off by the whole
    1,000; the MAE over 20,000 rows, seed 0, 5.77 against the last value's 3.53, now
    3.77, and about 3.03 with the settling below.)"""
    rows, ys = _switching_levels(4000)
    (compiled, model), (numpy_path, _) = _on_both_paths(lambda: _level_forecasts(rows, ys))
    np.testing.assert_allclose(compiled, numpy_path, rtol=1e-12, atol=1e-9)
    errors = np.abs(compiled - ys)
    assert errors[501] > 900  # (the first switch: set aside)
    assert errors[[1501, 2001, 2501, 3001, 3501]].max() < 50
    assert errors[[1502, 2002, 2502, 3002, 3502]].max() < 50
    assert [stayed for _, stayed in model._y_far_seen] == [True] * 7
    # The next target stayed, some 150 standard deviations out: the running mean
    # settles at it (_settle_shift), and the rows after each switch err as the last
    # value's do (rows 3-49 after the later switches: mean 1.14 against the last
    # value's 1.60, at most 4.5; 5.0 with the shift left to the running update, 6.9
    # before round 54, up to 29).
    later = np.concatenate([errors[s + 3 : s + 50] for s in range(1500, 4000, 500)])
    last = np.concatenate([np.abs(np.diff(ys))[s + 2 : s + 49] for s in range(1500, 4000, 500)])
    assert later.mean() < last.mean() and later.max() < 10


def test_the_knn_estimate_far_from_the_mixture_is_left_out():
    """``n_neighbors=5`` on a target switching between 0 and 1,000 every 500 rows.
    From the third switch on, a far target like the shifts seen is taken in at once
    and the readouts from the previous target get the mixture's weight (round 54),
    while the kNN window still holds the old level's targets: their mean, more than
    _FAR_FORECAST standard deviations from the mixture's prediction, now takes no part
    in the row's (at the expert's weight it put the row after a switch 658 and 921
    off, the paths 1e-11 apart; review 374). Both paths alike."""
    rows, ys = _switching_levels(4000)

    def run():
        model, out = DREAMOnlineRegressor(seed=0, n_neighbors=5), []
        for x, y in zip(rows, ys, strict=True):
            out.append(model.predict_one(x))
            model.learn_one(x, float(y))
        return np.array(out)

    compiled, numpy_path = _on_both_paths(run)
    np.testing.assert_allclose(compiled, numpy_path, rtol=1e-12, atol=1e-9)
    errors = np.abs(compiled - ys)
    assert errors[[1501, 2001, 2501, 3001, 3501]].max() < 50
    later = np.concatenate([errors[s + 1 : s + 50] for s in range(1500, 4000, 500)])
    assert later.mean() < 2.0
    # An estimate within the bound still counts, by the experts' weights (the stream
    # above passes with every estimate dropped too: review 376).
    window = _NeighborMean(10)
    window.w = np.array([0.75, 0.25])
    assert window.mix(1.0, 3.0, 5.0) == 1.5
    assert window.mix(1.0, 30.0, 5.0) == 1.0 and window.mix(1.0, None, 5.0) == 1.0


@pytest.mark.parametrize("share", [0.0, 0.01])
def test_a_shift_taken_in_gives_the_mixture_to_the_readouts_from_the_previous_target(share):
    """On the row a far target is taken in as a shift, the "last" and "hold" readouts
    get all of the mixture's weight but ``mixture_share``, on both paths; with
    ``mixture_share=0`` the others' weights, at 0 after the first such row, stay
    numbers (review 367: 0 / 0, every forecast NaN from the next shift on)."""
    rows, ys = _switching_levels(4000)

    def run():
        model, anchored = DREAMOnlineRegressor(seed=0, mixture_share=share), []
        for t, (x, y) in enumerate(zip(rows, ys, strict=True)):
            model.predict_one(x)
            model.learn_one(x, float(y))
            if t % 500 == 0 and t >= 1500:  # (a switch taken in as a shift)
                w = model._weights
                mask = np.isin(np.arange(len(w)) % len(model._heads), model._last_at)
                anchored.append((model._y_run, w[mask].sum(), w.sum()))
        return np.array(anchored), model.predict_one(rows[0])

    (compiled, last), (numpy_path, _) = _on_both_paths(run)
    np.testing.assert_allclose(compiled, numpy_path, rtol=1e-12)
    assert (compiled[:, 0] == 2).all()  # (taken in as a run's second row)
    np.testing.assert_allclose(compiled[:, 1], 1.0 - share, rtol=1e-9)
    np.testing.assert_allclose(compiled[:, 2], 1.0, rtol=1e-9)
    assert math.isfinite(last)


def test_the_settling_bound_is_the_forecasts():
    """A shift settles the target's statistics beyond the bound past which the
    forecast leaves a readout out (_target._SETTLE, _regressor._FAR_FORECAST): one
    number, written in two modules that cannot import each other's."""
    from dream_sklearn.online import _regressor, _target

    assert _target._SETTLE == _regressor._FAR_FORECAST


def test_a_lone_spike_like_those_that_returned_is_still_set_aside():
    """Lone spikes of the same size as the switches above, each back at once: each is
    kept as one that did not stay, and each later one is set aside as before (the
    forecast of the row after it at the level, not at the spike)."""
    rows, ys = _switching_levels(4000, spikes=True)
    forecasts, model = _level_forecasts(rows, ys)
    assert [stayed for _, stayed in model._y_far_seen] == [False] * 7
    assert np.abs(forecasts - ys)[[1001, 2001, 3001, 3501]].max() < 10


def test_a_glitch_far_beyond_the_shifts_seen_is_still_set_aside():
    """After the switches between levels (far targets that stayed), a lone target of
    1e30 is unlike them: set aside, and the next forecast is at the level."""
    rows, ys = _switching_levels(3900)
    glitch = [(rows[1], 1e30), (rows[2], ys[3899])]
    forecasts, model = _level_forecasts(rows, ys, glitch)
    assert abs(forecasts[-1] - ys[3899]) < 50  # (the level, 1,000)
    assert abs(model._y_mean - 1000.0) < 50


def test_a_lone_far_target_keeps_the_row_after_it_learned():
    """A lone far target (set aside: no readout steps by its error; its decay, the
    readouts' ages and the detectors' read of its loss stay) ends with nothing put
    back: the row after it is learned as any row."""
    rows = _glitch_rows("friedman", 402)
    model = DREAMOnlineRegressor(seed=0)
    for x, y in rows[:400]:
        model.predict_one(x)
        model.learn_one(x, y)
    model.learn_one(rows[400][0], 1e30)
    assert model._y_readouts is not None and model._y_run == 1
    assert model._y_readouts.longest == 1  # (the run's length so far)
    W = model._W.copy()
    model.learn_one(*rows[401])
    assert model._y_readouts is None
    assert not np.allclose(model._W, W)


@pytest.mark.parametrize("compiled", [True, False])
def test_a_lone_far_target_leaves_the_diff_blocks_last_row_with_the_previous_target(compiled):
    """The "last" readout starts from the previous target and reads "diff", the
    inputs' change since the row that target came with. A lone far target, set
    aside, leaves the previous target where it was, but "diff" moved on to its row:
    the row after it read the previous target plus one row's change of two, its
    error 25 times a twin's (review 277: MAE 2.16 against 0.088 on y = 2a + a walk).
    """
    rng = np.random.default_rng(0)
    a = rng.normal(size=600)
    y = 2 * a + np.cumsum(0.05 * rng.normal(size=600))
    xs = [{"a": float(v), "b": float(rng.normal())} for v in a]
    previous = set_compiled(compiled)
    try:
        errors = {False: [], True: []}
        for at in range(300, 590, 29):
            for far in (False, True):
                model = DREAMOnlineRegressor(seed=0, readouts=("last",))
                for t in range(at + 2):
                    if t == at + 1:
                        errors[far].append(abs(model.predict_one(xs[t]) - y[t]))
                    if t == at and far:
                        kept = model._prev_u.copy()
                    model.learn_one(xs[t], 1e6 if far and t == at else float(y[t]))
                    if t == at and far:
                        assert model._y_run == 1  # (set aside)
                        np.testing.assert_array_equal(model._prev_u, kept)
    finally:
        set_compiled(previous)
    assert np.mean(errors[True]) < 1.2 * np.mean(errors[False])


def test_a_glitchs_undo_ending_on_a_row_set_aside_moves_diff_on_both_paths():
    """A glitch's undo can end on a row the running statistics set aside (a fast
    standardize_rate has moved toward the glitch): its target is then taken in, and
    "diff" moves on to it. The compiled row decided before the undo and held "diff"
    back: predictions 4.2 apart from the NumPy path's (review 279)."""
    rng = np.random.default_rng(1)
    a = rng.normal(size=120)
    y = 2 * a + 0.1 * rng.normal(size=120)
    y[40:58] = 1000 + 0.01 * rng.normal(size=18)
    xs = [{"a": float(v), "b": float(rng.normal())} for v in a]
    runs = []
    for compiled in (True, False):
        previous = set_compiled(compiled)
        try:
            model = DREAMOnlineRegressor(seed=0, readouts=("last",), standardize_rate=0.3)
            forecasts = []
            for x, t in zip(xs, y, strict=True):
                forecasts.append(model.predict_one(x))
                model.learn_one(x, float(t))
        finally:
            set_compiled(previous)
        runs.append((np.array(forecasts), model._prev_u.copy(), model._W.copy()))
    (fc, uc, wc), (fn, un, wn) = runs
    np.testing.assert_allclose(fc, fn, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(uc, un, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(wc, wn, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_a_build_that_raises_leaves_the_estimator_unbuilt(cls):
    """(review 280) n_knots=2**62 passed the parameter check and failed in NumPy
    after the feature slots were made: the estimator looked built, and every later
    call raised AttributeError, whatever n_knots was set to after."""
    model = cls(seed=0, n_knots=2**62)
    with pytest.raises(ValueError):
        model.learn_one({"a": 1.0}, 1)
    assert not model._built
    model.n_knots = 5
    model.learn_one({"a": 1.0}, 1)
    twin = cls(seed=0, n_knots=5)
    twin.learn_one({"a": 1.0}, 1)
    assert model.predict_one({"a": 0.5}) == twin.predict_one({"a": 0.5})


@pytest.mark.parametrize("advance", [False, True])
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_a_first_row_whose_slots_are_refused_leaves_the_estimator_unbuilt(cls, advance):
    """(review 299) A value refused when the first row's slots are made: the cell
    refuses base_plasticity=1e300 in float32. The estimator stayed built with it, read
    once, so that every later row was refused the same way after the parameter was set
    right; the classifier even predicted the refused row's label."""
    rows = [{"a": 1.0, "b": 2.0}, {"a": 0.5, "b": -1.0}, {"a": -0.3, "b": 0.4}]
    params = dict(seed=0, hidden_dim=8, advance_on_predict=advance)
    model = cls(**params, cell_params={"base_plasticity": 1e300})
    twin = cls(**params)
    for m in (model, twin):  # (with advance_on_predict, rows waiting for their labels)
        for x in rows:
            m.predict_one(x)
    with pytest.raises(ValueError, match="base_plasticity"):
        model.learn_one(rows[0], 1)
    assert not model._built
    assert model.predict_one(rows[1]) == cls().predict_one(rows[1])  # (nothing learned)
    model.cell_params = None
    read = "predict_proba_one" if cls is DREAMOnlineClassifier else "predict_one"
    for m in (model, twin):
        for x, y in zip(rows, (1, 0, 1), strict=True):
            m.learn_one(x, y)
    assert model.n_steps_ == twin.n_steps_ == 3
    assert getattr(model, read)({"a": 0.2, "b": 0.1}) == getattr(twin, read)({"a": 0.2, "b": 0.1})


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_clone_keeping_attributes_refuses_a_parameter_read_once(cls):
    """(review 299) clone(new_params, include_attributes=True) of a model that had
    learned said hidden_dim=16, n_knots=2, readouts=("cell",) and ran the learned
    8-unit model with its three readouts; its own clone() then started a 16-unit one.
    The parameters each row reads (river's mutate) still change."""
    rng = np.random.default_rng(0)
    rows = [({"a": a, "b": b}, int(a + b > 0)) for a, b in rng.normal(size=(60, 2)).tolist()]
    model = cls(seed=0, hidden_dim=8, rank=2)
    fresh = model.clone({"hidden_dim": 16}, include_attributes=True)  # (not built yet)
    assert fresh.hidden_dim == 16
    for x, y in rows[:50]:
        model.learn_one(x, y)
    for new in ({"hidden_dim": 16}, {"n_knots": 2, "l2": 0.5}, {"readouts": ("cell",)}):
        with pytest.raises(ValueError, match=r"include_attributes=True\) keeps what"):
            model.clone(new, include_attributes=True)
    # the same value is no change (of another type the rules take alike too); a
    # parameter each row reads changes the copy
    same = model.clone({"hidden_dim": np.int64(8), "rank": 2}, include_attributes=True)
    readouts = {"readouts": list(model.readouts)}
    assert model.clone(readouts, include_attributes=True).readouts == list(model.readouts)
    with pytest.raises(ValueError, match="keeps what"):
        model.clone({"hidden_dim": 8.0}, include_attributes=True)  # (a float: no int)
    changed = model.clone({"l2": 0.5}, include_attributes=True)
    assert changed.l2 == 0.5
    for x, y in rows[50:]:
        for m in (model, same, changed):
            m.learn_one(x, y)
    x = {"a": 0.3, "b": -0.1}
    read = "predict_proba_one" if cls is DREAMOnlineClassifier else "predict_one"
    assert getattr(same, read)(x) == getattr(model, read)(x)
    assert getattr(changed, read)(x) != getattr(model, read)(x)


@pytest.mark.parametrize("compiled", [True, False])
def test_a_shallow_copy_learns_on_its_own_on_both_paths(compiled):
    """(review 280) copy.copy shared the learned arrays, which the NumPy path updates
    in place: the copy's learning changed the original there, not on the compiled
    row's path."""
    rng = np.random.default_rng(0)
    rows = [({"a": v, "b": w}, int(v * w > 0)) for v, w in rng.normal(size=(300, 2)).tolist()]
    previous = set_compiled(compiled)
    try:
        model = DREAMOnlineClassifier(seed=0, hidden_dim=8)
        for x, y in rows[:200]:
            model.learn_one(x, y)
        before = copy.deepcopy(model)
        other = copy.copy(model)
        for x, y in rows[200:]:
            other.learn_one(x, 1 - y)
        assert_same_state(model, before)
    finally:
        set_compiled(previous)


def test_pairs_are_listed_no_further_than_max_pairs():
    """(review 280) every pair of a slot was listed before the cut to max_pairs:
    n_knots=3,000 with max_pairs=10 took 1.3 GB on the first rows."""
    import tracemalloc

    rng = np.random.default_rng(0)
    model = DREAMOnlineClassifier(seed=0, n_knots=2000, max_pairs=10, readouts=("pairs",))
    tracemalloc.start()
    try:
        for v, w in rng.normal(size=(5, 2)).tolist():
            model.learn_one({"a": v, "b": w, "c": v - w}, int(v > 0))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert model._pairs.shape == (2, 10)
    assert peak < 100e6


def _on_a_constant(ys, compiled):
    """(absolute errors, model) of the regressor on targets ``ys`` over two random
    features, predict_one then learn_one."""
    previous = set_compiled(compiled)
    try:
        rng = np.random.default_rng(0)
        model, errors = DREAMOnlineRegressor(seed=0, hidden_dim=8, rank=2), []
        for y in ys:
            x = {"a": rng.normal(), "b": rng.normal()}
            errors.append(abs(model.predict_one(x) - y))
            model.learn_one(x, float(y))
    finally:
        set_compiled(previous)
    return np.array(errors), model


@pytest.mark.parametrize("compiled", [True, False])
def test_a_spike_on_a_constant_target_is_undone(compiled):
    """One target of 3 + 1e6 among 3.0s: a constant's bounds are 0 wide, so the spike
    was taken in at once and in full, and predictions stayed off for hundreds of rows
    (MAE 373.7 over rows 170-399, the last prediction -9.3; review 118). Its
    statistics are now kept and restored when the constant comes back; a recurring
    value (a count's 1 among 0s) is taken in the second time; a level that moves for
    good is taken in as before (errors below 0.07 from 2 rows after the move; 0.035
    before round 35, when the fed-back target took in the move a row earlier: it
    reads the constant on the row after a departure, see the next test)."""
    spike = np.full(400, 3.0)
    spike[150] += 1e6
    errors, model = _on_a_constant(spike, compiled)
    assert errors[152:].max() < 1e-9 and model._y_var == 0.0
    rare = np.zeros(400)
    rare[[100, 250]] = 1.0
    _, model = _on_a_constant(rare, compiled)
    assert model._y_spikes == (1.0,) and model._y_var > 0.0  # (the second 1 taken in)
    moved = np.where(np.arange(400) < 150, 3.0, 10.0)
    errors, model = _on_a_constant(moved, compiled)
    assert errors[152:].max() < 0.07 and abs(model._y_mean - 10.0) < 0.1
    # Unrelated spikes are each undone: two undone spikes made a range, widened by its
    # width, that took a third between them in at once and in full (review 136: the
    # mean 11.67 350 rows later, MAE 223.5 over rows 452-799).
    spikes = np.full(800, 3.0)
    spikes[[150, 300, 450]] += [-1e6, 1e6, 5e5]
    errors, model = _on_a_constant(spikes, compiled)
    assert errors[452:].max() < 1e-9 and model._y_var == 0.0
    assert model._y_spikes == (3.0 - 1e6, 3.0 + 1e6, 3.0 + 5e5)


def _constant_then_sine(level: float = 0.0) -> np.ndarray:
    """1,500 targets: ``level`` for 300 rows, then a sine of period 12 (amplitude 10)
    with noise 0.3."""
    rng = np.random.default_rng(0)
    ys = np.full(1500, level)
    ys[300:] = 10 * np.sin(np.arange(1200) * 2 * np.pi / 12) + 0.3 * rng.normal(size=1200)
    return ys


def _forecasts(model, ys, slot_at: int | None = None) -> tuple:
    """``model``'s forecasts of targets ``ys`` with no features (predict_one, then
    learn_one), and after row ``slot_at`` the fed-back target's slot: its fast
    scaling's mean and variance, and its range."""
    forecasts, slot = [], None
    for t, y in enumerate(ys):
        forecasts.append(model.predict_one({}))
        model.learn_one({}, float(y))
        if t == slot_at:
            j = model._y_slot[None]
            slot = (model._stat_mean[0, j], model._stat_var[0, j], *model._range[:, j])
    return np.array(forecasts), slot


@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.parametrize("spike", [1e6, 1e30])
def test_a_spike_on_a_constant_target_leaves_the_fed_back_target_alone(compiled, spike):
    """The target's statistics undid a spike on a constant target, but the previous
    target, fed back as an input, took it into its slot in full (a constant slot has
    no bounds): a target at 0 for 300 rows, a spike on row 150, then a sine of period
    12 was forecast no better than by the last value 1,000 rows on (review 176: MAE
    3.344, against 0.691 without the spike). The slot reads the constant on the row
    after a departure: the forecasts are the twin's while the target is constant, and
    within 2% of its error once the sine starts (the readouts keep what they learned
    on the spike's row, review 176's third finding, not mended)."""
    clean = _constant_then_sine()
    spiked = clean.copy()
    spiked[150] = spike
    previous = set_compiled(compiled)
    try:
        runs = [
            _forecasts(DREAMOnlineRegressor(hidden_dim=8, rank=2, seed=0), ys)[0]
            for ys in (clean, spiked)
        ]
    finally:
        set_compiled(previous)
    # (row 151 is forecast from the spike, as the last value would: documented)
    assert np.array_equal(runs[0][152:301], runs[1][152:301])
    for start, stop in ((400, 1000), (1000, 1500)):
        errors = [np.abs(run[start:stop] - clean[start:stop]).mean() for run in runs]
        assert errors[1] < 1.02 * errors[0], (start, errors)  # (before: 3.344, 1.8 to 5x)


@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.parametrize(
    ("length", "spike", "params"),
    [
        (2, 1e30, {}),
        (3, 1e6, {}),
        (5, 1e30, {}),
        (8, 1e30, {"standardize_rate": 0.005}),
        (8, 1e30, {"slow_rate": 0.001}),
    ],
)
def test_a_glitch_of_rows_on_a_constant_target_leaves_the_fed_back_target_alone(
    compiled, length, spike, params
):
    """As above with the spike on 2 to 8 rows: the second row's target is the slot's
    next value, which the slot, constant, took in full, for good (review 182: MAE
    3.341 over rows 400-999 against 0.987 for the twin, 3.344 against 0.691 over rows
    1,000-1,499). The slot's state is kept at the departure and put back with the
    target's statistics when the constant comes back, its own kept statistics of a
    glitch too (review 196: with a slower scaling the slot had kept them mid-glitch,
    and its own undo put the glitch back a few rows after: MAE 3.337)."""
    clean = _constant_then_sine()
    spiked = clean.copy()
    spiked[150 : 150 + length] = spike
    previous = set_compiled(compiled)
    try:
        runs = []
        for ys in (clean, spiked):
            model = DREAMOnlineRegressor(hidden_dim=8, rank=2, seed=0, **params)
            runs.append(_forecasts(model, ys)[0])
    finally:
        set_compiled(previous)
    for start, stop in ((400, 1000), (1000, 1500)):
        errors = [np.abs(run[start:stop] - clean[start:stop]).mean() for run in runs]
        assert errors[1] < 1.02 * errors[0], (start, errors)
    assert model._y_slot_kept is None  # (the sine's own departure: dropped)


@pytest.mark.parametrize(("at", "level"), [(0, 0.0), (4, 0.0), (6, 0.0), (3, 5.0)])
def test_a_spike_among_the_first_targets_leaves_the_fed_back_target_alone(at, level):
    """A departure among the first 8 targets of a constant, undone by the first
    targets' test, leaves the fed-back target's slot too (its statistics replayed
    without it), on both paths alike: the slot, still warming, had kept it (its own
    test keeps one value among 7 equal others), MAE 3.344 against 0.874 for the twin
    over rows 400-999 (review 196). A constant of 5 too: the slot's column holds 0
    where it has no value yet, which the replay must not read (review 198: mean
    4.375, variance 2.7 and range [0, 5] where the twin's slot has 5, 0 and [5, 5])."""
    clean = _constant_then_sine(level)
    spiked = clean.copy()
    spiked[at] = 1e30
    runs = {}
    for compiled in (True, False):
        previous = set_compiled(compiled)
        try:
            for name, ys in (("clean", clean), ("spiked", spiked)):
                # (the slot's statistics after row 8: the twin's)
                forecasts, slot = _forecasts(DREAMOnlineRegressor(seed=0), ys, slot_at=8)
                runs[name, compiled], runs[name, compiled, "slot"] = forecasts, slot
        finally:
            set_compiled(previous)
    np.testing.assert_allclose(runs["spiked", True], runs["spiked", False], rtol=1e-12, atol=1e-12)
    for compiled in (True, False):
        assert runs["spiked", compiled, "slot"] == runs["clean", compiled, "slot"]
    errors = [
        np.abs(runs[name, True][400:1000] - clean[400:1000]).mean() for name in ("clean", "spiked")
    ]
    assert errors[1] < 1.02 * errors[0], errors


@pytest.mark.parametrize("values", [(1e30, 1e30), (1e30, 1.105e30), (1.105e30, 1e30)])
@pytest.mark.parametrize("rows", [(3, 4), (5, 6), (6, 7)])
@pytest.mark.parametrize("level", [0.0, 3.0])
def test_a_glitch_of_rows_among_the_first_targets_of_a_constant_is_undone(rows, level, values):
    """Two far targets on consecutive rows among the first 8 of a constant are one
    departure (a glitch of two rows), undone when the constant comes back, as after
    the first 8; ending on the 8th, it is kept to be undone on the 9th. They were
    read as a value that recurs and kept (review 199: MAE 6.2e23 against 1.70 for the
    twin with 1e30 on rows 3 and 4). Both paths alike, and either order of two values
    10.5% apart (review 200: 1e30 then 1.105e30 was no run)."""
    clean = _constant_then_sine(level)
    spiked = clean.copy()
    spiked[list(rows)] = values
    (twin, _), _ = _on_both_paths(lambda: _forecasts(DREAMOnlineRegressor(seed=0), clean))
    (compiled, _), (numpy_path, _) = _on_both_paths(
        lambda: _forecasts(DREAMOnlineRegressor(seed=0), spiked)
    )
    np.testing.assert_allclose(compiled, numpy_path, rtol=1e-12, atol=1e-12)
    for start, stop in ((400, 1000), (1000, 1500)):
        errors = [np.abs(run[start:stop] - clean[start:stop]).mean() for run in (twin, compiled)]
        assert errors[1] < 1.02 * errors[0], (start, errors)


@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.parametrize("at", [4, 7])
def test_a_spike_among_the_first_targets_of_a_constant_is_undone(compiled, at):
    """One target of 3 + 1e6 among the first 8 of a constant 3.0: the first targets'
    test keeps a value among constant others (as a slot's 1 among 0s), and it stayed in
    the statistics for good (the mean of every target seen 1003.0; MAE about 3,000 over
    the next 200 rows), where on the 9th target it was undone (review 147). Now it is
    read as a departure from the constant is: dropped, or (the 8th) undone when the
    constant comes back. A value that departs twice among them (a count's 1) stays."""
    spike = np.full(400, 3.0)
    spike[at] += 1e6
    errors, model = _on_a_constant(spike, compiled)
    assert errors[at + 2 + (at < 7) * (7 - at) :].max() < 1e-9
    assert model._y_var == 0.0 and model._y_avg == 3.0
    assert model._y_spikes == (3.0 + 1e6,)  # (a later one near it is taken in)
    counts = np.zeros(400)
    counts[[2, 5, 100]] = 1.0
    _, model = _on_a_constant(counts, compiled)
    assert model._y_var > 0.0 and model._y_avg == pytest.approx(3 / 400)
    # a level that moves on the 7th target (the constant does not come back) stays
    # (review 150: its first value was dropped as a spike)
    moved = np.r_[np.full(6, 3.0), 5.0, 7.0, np.full(392, 6.0)]
    _, model = _on_a_constant(moved, compiled)
    assert model._y_spikes is None and model._y_avg == pytest.approx(moved.mean())


@pytest.mark.parametrize("compiled", [True, False])
def test_a_real_shift_of_the_target_is_not_undone(compiled, monkeypatch):
    """A level that moves for good by 100 standard deviations arms the undo on its 4th
    row and never comes back within bounds: the model learns exactly as without the
    undo (its _UNDO_ROWS at 0), and the kept statistics are dropped after 16 rows."""
    rng = np.random.default_rng(0)
    rows = [
        ({"a": rng.random()}, (0.0 if t < 300 else 1000.0) + rng.standard_normal())
        for t in range(400)
    ]

    def run():
        model, out = DREAMOnlineRegressor(seed=0), []
        for t, (x, y) in enumerate(rows):
            out.append(model.predict_one(x))
            model.learn_one(x, y)
            if t == 303:
                assert model._y_undo_left == (16 if _target._UNDO_ROWS else 0)
        assert model._y_undo_left == 0  # (dropped, or never kept)
        return np.array(out)

    previous = set_compiled(compiled)
    try:
        with_undo = run()
        monkeypatch.setattr(_target, "_UNDO_ROWS", 0)
        without = run()
    finally:
        set_compiled(previous)
    np.testing.assert_array_equal(with_undo, without)


def test_a_target_glitch_undone_on_both_paths_alike():
    """The compiled row and the NumPy path through a 6-row glitch at 1e30 and its
    undo; a deepcopy taken while the undo is armed continues as the original does."""
    rows = list(
        synth.FriedmanDrift(drift_type="lea", position=(1000, 2000, 3000), seed=1).take(700)
    )
    rows = [(x, 1e30 if 400 <= t < 406 else y) for t, (x, y) in enumerate(rows)]
    runs = []
    for compiled in (True, False):
        previous = set_compiled(compiled)
        try:
            model, out = DREAMOnlineRegressor(seed=0), []
            for t, (x, y) in enumerate(rows):
                if t == 405:
                    assert model._y_undo_left > 0
                    twin, late = copy.deepcopy(model), []
                out.append(model.predict_one(x))
                model.learn_one(x, y)
            assert model._y_undo is None
            for x, y in rows[405:]:
                late.append(twin.predict_one(x))
                twin.learn_one(x, y)
            assert late == out[405:]
            runs.append(np.array(out))
        finally:
            set_compiled(previous)
    np.testing.assert_allclose(runs[0], runs[1], rtol=1e-12, atol=1e-12)
    assert np.all(np.abs(runs[0][408:]) < 100)  # back on the target's scale


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_mixture_follows_the_last_value_when_the_target_level_moves(seed):
    """A level that moves for good by 100 standard deviations: the first row is set
    aside, the next two are taken into the statistics winsorised, and the mixture
    judges its readouts against the target as it is, so the last value, the forecast
    that is right from the second row on, keeps its weight: the MAE over the 10 rows
    from the move is about 3 rows' worth of the jump (31-32; 58-65 with the mixture
    judging against the target clipped to 5 standard deviations, 43-45 before round 9)."""
    rng = np.random.default_rng(seed)
    model = DREAMOnlineRegressor(seed=0)
    errors = []
    for t in range(520):
        x = {"a": rng.random()}
        y = (0.0 if t < 500 else 100.0) + rng.standard_normal()
        errors.append(abs(model.predict_one(x) - y))
        model.learn_one(x, y)
    assert np.mean(errors[500:510]) < 36.0
    assert np.mean(errors[510:]) < 2.0


def _level_switch_errors(seed: int, compiled: bool) -> np.ndarray:
    """Each row's absolute error of DREAMOnlineRegressor(seed=0) on 2,000 rows of a
    target that switches between 0 and 100 every 500 rows, plus an input ``a`` and
    noise (``online_robust.py --part levels``), under progressive validation."""
    rng = np.random.default_rng(seed)
    a, b, noise = rng.normal(size=(3, 2000))
    previous = set_compiled(compiled)
    try:
        model = DREAMOnlineRegressor(seed=0)
        errors = np.empty(2000)
        for t in range(2000):
            x = {"a": float(a[t]), "b": float(b[t])}
            y = 100.0 * ((t // 500) % 2) + float(a[t]) + float(noise[t])
            errors[t] = abs(model.predict_one(x) - y)
            model.learn_one(x, y)
    finally:
        set_compiled(previous)
    return errors


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_last_readout_keeps_its_correction_across_a_level_switch(seed):
    """At each switch the target's running standard deviation grows some hundredfold.
    The "last" readout's weights are scaled down as much (``_last_keeps_scale``), so
    the correction it learned (the input ``a`` moves the target one for one) keeps
    its size: over rows 3-49 after each of the three switches the MAE is 1.26-1.32
    (seeds 0-2), against 1.65-2.00 when the correction grew with the scale. Both paths
    alike."""
    compiled = _level_switch_errors(seed, True)
    numpy_path = _level_switch_errors(seed, False)
    np.testing.assert_allclose(compiled, numpy_path, rtol=1e-9, atol=1e-9)
    after = np.mean([compiled[s + 3 : s + 50].mean() for s in (500, 1000, 1500)])
    assert after < 1.45
    assert compiled.mean() < 1.50  # (1.45-1.48; 1.53-1.58 before)


def _a_line_with_a_glitch(n: int, rows: slice, value: float) -> tuple:
    """``n`` rows of one input ``a`` and a target ``3 a + 5`` plus a little noise, the
    target at ``value`` on ``rows``: ``(a, y)``."""
    rng = np.random.default_rng(0)
    a, e = rng.normal(size=(2, n))
    y = 3 * a + 0.3 * e + 5
    y[rows] = value
    return a, y


@pytest.mark.parametrize("compiled", [True, False])
def test_a_glitch_that_ends_leaves_the_last_readouts_correction_its_size(compiled):
    """A glitch of 3 rows (1e6) that ends: the readouts copied before it are put back,
    while the target's statistics keep its two winsorised steps. The "last" readout's
    correction on the target's scale (its weights times the running standard
    deviation) is then what it was before the glitch (1.46 times that before the
    restore rescaled it: review 340)."""
    a, y = _a_line_with_a_glitch(204, slice(200, 203), 1e6)
    previous = set_compiled(compiled)
    try:
        model = DREAMOnlineRegressor(seed=0)
        last = list(model.readouts).index("last")
        for t in range(204):
            if t == 200:
                before = model._y_scale() * model._W[last].copy()
            model.predict_one({"a": float(a[t])})
            model.learn_one({"a": float(a[t])}, float(y[t]))
        after = model._y_scale() * model._W[last]
    finally:
        set_compiled(previous)
    np.testing.assert_allclose(after, before, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("compiled", [True, False])
def test_the_row_after_a_two_row_glitch_is_forecast_on_the_targets_scale(compiled):
    """Two rows at 1e30: the second is taken in as the previous target, and the "last"
    readout, with the share of the mixture it had earned (0.3%), starts from it. Beyond
    _FAR_FORECAST standard deviations of the readouts' weighted median it takes no
    part in the forecast: the next row is forecast as the rows before it (6.95 for a
    target of -0.32), where it was 3.5e27."""
    a, y = _a_line_with_a_glitch(206, slice(200, 202), 1e30)
    previous = set_compiled(compiled)
    try:
        model = DREAMOnlineRegressor(seed=0)
        forecasts = []
        for t in range(206):
            forecasts.append(model.predict_one({"a": float(a[t])}))
            if t == 202:
                assert 0.0 < model._weights[list(model.readouts).index("last")] < 0.01
            model.learn_one({"a": float(a[t])}, float(y[t]))
    finally:
        set_compiled(previous)
    assert np.all(np.abs(np.array(forecasts)[202:] - 5.0) < 10.0)  # (3.5e27 at 202)


@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.parametrize("rows_at", [(3,), (7,), (7, 8), (3, 6), (1, 7)])
@pytest.mark.parametrize("value", [1e4, 1e30])
def test_a_far_target_among_the_first_eight_costs_at_most_one_percent(value, rows_at, compiled):
    """A target far out among the first 8 (row 3, or row 7, the 8th target itself):
    when the 8th target comes, each is tested against the other 7 as a slot's first
    values are, and one far out leaves the target's statistics and the mean of every
    target seen. MAE over rows 1,000-1,499 of FriedmanDrift against a twin that never
    saw those rows (before: 1.08 times the twin's at 1e4, 9e22 times at 1e30, the mean
    of every target seen 6.7e26 for good). On rows 7 and 8 (a glitch on the 8th and
    9th targets), the 8th is dropped and counted, and the 9th is judged by the rule for
    later targets (with the count back to 7 it came in unjudged: 9e22 times). Two
    far targets among the 8 (rows 3 and 6, 1 and 7) are both found (before round 14
    each hid the other, and both stayed in the statistics)."""
    error, model = _friedman_error(rows_at, value, compiled)
    assert abs(model._y_avg) < 100.0 and abs(model._y_mean) < 100.0
    assert error / _friedman_error(rows_at, None, compiled)[0] <= 1.01


@functools.cache
def _friedman_error(rows_at, value, compiled):
    """(the absolute error over rows 1,000-1,499 of FriedmanDrift, the model) of
    DREAMOnlineRegressor(seed=0), the target at ``value`` on ``rows_at`` (None: the
    twin, which never learns those rows; kept for the other values)."""
    rows = list(
        synth.FriedmanDrift(drift_type="lea", position=(1000, 2000, 3000), seed=1).take(1500)
    )
    previous = set_compiled(compiled)
    try:
        model, error = DREAMOnlineRegressor(seed=0), 0.0
        for t, (x, y) in enumerate(rows):
            p = model.predict_one(x)
            if t >= 1000:
                error += abs(p - y)
            if t not in rows_at or value is not None:
                model.learn_one(x, value if t in rows_at else y)
    finally:
        set_compiled(previous)
    return error, model


@pytest.mark.parametrize("compiled", [True, False])
def test_a_shift_on_a_slots_eighth_value_is_taken_in(compiled):
    """A feature that moves for good (5 to 100, spread 1) on its 8th value: the first
    values' test drops that value, once; the next brings the count back to 8 untested
    and the rule for later values takes the shift in. Before the review of part first8
    each new value was tested again and dropped, the slot warmed up for good reading
    +5, and the accuracy over rows 1,000-1,999 was 0.499 (0.974 with the shift a row
    earlier)."""
    previous = set_compiled(compiled)
    try:
        rng = np.random.default_rng(0)
        model, hits = DREAMOnlineClassifier(seed=0), 0
        for t in range(2000):
            level = 5.0 if t < 7 else 100.0
            x = {"a": level + rng.normal(), "b": rng.normal()}
            y = int(x["a"] > level)
            hits += t >= 1000 and model.predict_one(x) == y
            model.learn_one(x, y)
    finally:
        set_compiled(previous)
    j = model._x_slot["a"]
    assert model._count[j] == 2000 and not model._warming
    assert abs(model._stat_mean[0, j] - 100.0) < 1.0
    assert hits / 1000 > 0.95


@pytest.mark.parametrize("compiled", [True, False])
def test_a_shift_on_the_eighth_target_is_taken_in(compiled):
    """A target level that moves for good (5 to 100) on the 8th target: the first
    targets' test drops it, once, and the targets after it are the rule's for later
    targets (before the review: each was tested again and dropped, the count stayed
    at 7, the running mean at 6.5, and the MAE over rows 1,000-1,999 was 91)."""
    previous = set_compiled(compiled)
    try:
        rng = np.random.default_rng(0)
        model, errors = DREAMOnlineRegressor(seed=0), []
        for t in range(2000):
            y = (5.0 if t < 7 else 100.0) + 3.0 * np.sin(t / 5) + 0.1 * rng.normal()
            x = {"b": rng.normal()}
            errors.append(abs(model.predict_one(x) - y))
            model.learn_one(x, y)
    finally:
        set_compiled(previous)
    # (the 8th target dropped and counted, the 9th set aside by the later rule)
    assert model._y_count == 1999 and abs(model._y_mean - 100.0) < 2.0
    assert np.mean(errors[1000:]) < 1.0


def test_a_real_shift_of_the_target_is_taken_in_after_a_few_rows():
    """Only a lone target is set aside: a level that moves for good (0 to 1000, 100
    standard deviations) is learned from its second row on."""
    rng = np.random.default_rng(0)
    model = DREAMOnlineRegressor(seed=0)
    errors = []
    for t in range(800):
        x = {"a": rng.random()}
        y = (0.0 if t < 500 else 1000.0) + rng.standard_normal()
        errors.append(abs(model.predict_one(x) - y))
        model.learn_one(x, y)
        if t == 500:  # the first row out of bounds: set aside
            assert model._y_count == 500 and model._y_run == 1
        if t == 501:  # the second: taken in
            assert model._y_count == 501 and model._y_run == 2
    assert model._y_run == 0 and model._y_count == 799
    assert abs(model._y_mean - 1000.0) < 5.0  # (the running mean's lag: 0.98**297 * 1000)
    assert np.mean(errors[700:]) < 2.0  # the noise's MAE is 0.8


@pytest.mark.parametrize("compiled", [True, False])
def test_a_large_l2_never_makes_a_prediction_infinite(compiled):
    """The decay (1 - step * l2) went below 0 for step * l2 above 1 and flipped the
    weights' sign every row; above 2 it grew them to inf and NaN (regressor l2=8:
    NaN from row 583; classifier learning_rate=1, l2=3: NaN from row 1025; a
    review's reproducers). It stops at 0 now."""
    previous = set_compiled(compiled)
    try:
        rng = np.random.default_rng(0)
        regressor = DREAMOnlineRegressor(l2=8.0, seed=0)
        classifier = DREAMOnlineClassifier(learning_rate=1.0, l2=3.0, seed=0)
        for _ in range(1200):
            x = {"a": rng.normal(), "b": rng.normal()}
            p = regressor.predict_one(x)
            proba = classifier.predict_proba_one(x)
            assert math.isfinite(p) and abs(p) < 100
            assert all(math.isfinite(v) for v in proba.values())
            regressor.learn_one(x, 2 * x["a"] - x["b"])
            classifier.learn_one(x, int(x["a"] + x["b"] > 0))
    finally:
        set_compiled(previous)


def test_a_pipeline_that_changes_rows_before_the_model_is_warned_about(monkeypatch):
    """advance_on_predict matches labels to rows by their values; river's
    StandardScaler upstream changes a row between predict and learn, so no label
    finds its row, every label steps the cell again, and the rows waiting pile up
    (a review: Elec2 86.05% in such a pipeline against 94.13% alone). Said once."""
    import warnings

    from river import preprocessing

    from dream_sklearn.online import _pending

    monkeypatch.setattr(_pending, "_MAX_PENDING", 20)
    model = DREAMOnlineClassifier(hidden_dim=8, rank=2, seed=0, advance_on_predict=True)
    pipeline = preprocessing.StandardScaler() | model
    rows = _clf_stream(80)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        evaluate.progressive_val_score(rows, pipeline, metrics.Accuracy(), delay=5)
    said = [w for w in caught if "rows advanced on are still waiting" in str(w.message)]
    assert len(said) == 1 and "StandardScaler in a Pipeline" in str(said[0].message)


def _matched_behind_one_hot(estimator, rows, delay, **params):
    """Scores and models of ``estimator`` with ``advance_on_predict``, its labels
    matched by values and by order, behind river's ``OneHotEncoder()`` of "cat"
    (beside "v") under ``progressive_val_score(delay=delay)``."""
    from river import compose, preprocessing

    scores, models = {}, {}
    for match in ("values", "order"):
        models[match] = model = estimator(
            seed=0, advance_on_predict=True, match_labels_by=match, **params
        )
        encoded = compose.Select("v") + (compose.Select("cat") | preprocessing.OneHotEncoder())
        metric = metrics.MAE() if estimator is DREAMOnlineRegressor else metrics.Accuracy()
        evaluate.progressive_val_score(rows, encoded | model, metric, delay=delay)
        scores[match] = metric.get()
    return scores, models


@pytest.mark.parametrize("estimator", [DREAMOnlineClassifier, DREAMOnlineRegressor])
def test_labels_find_their_rows_behind_a_one_hot_encoder_that_adds_zeros(estimator):
    """river's default OneHotEncoder() gives every row a key, at 0, for each category
    seen so far, so a row's label (delay=10) came with keys its row did not have
    when it was predicted: by values, labels found no row (review 172: 806 of 2,000,
    without a warning), stepped the cell again, and their rows waited for good.
    Matched by values a feature at 0 and an absent one are alike now: every label
    finds its row, and the stream scores what matching by order scores."""

    rng = np.random.default_rng(0)
    rows = []
    for t in range(600):
        category = int(rng.integers(0, 1 + t // 20))  # (a new category every 20 rows)
        x = {"cat": f"c{category}", "v": float(rng.normal())}
        y = x["v"] + category % 3 if estimator is DREAMOnlineRegressor else category % 3 == 0
        rows.append((x, y))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scores, models = _matched_behind_one_hot(estimator, rows, 10, hidden_dim=8, rank=2)
    assert not models["values"]._pending_rows  # (each label found its row)
    assert scores["values"] == scores["order"]
    assert models["values"].n_steps_ == models["order"].n_steps_


def test_a_label_with_a_zero_added_takes_the_older_row_that_lacked_it():
    """Behind river's OneHotEncoder() a row predicted before a category was learned
    lacks its key, and its label has it at 0: that label took a later row of the same
    values waiting under the label's own key, and the later row's label the older
    row's state (review 349: 859 of 1,500 labels under delay=50). The older row is
    the label's where no row read before it had that key at 0; a model pickled
    before that was kept matches the label's own key first, as it did."""

    def stream(model):
        model.learn_one({"v": 0.5, "c1": 1.0}, "a")
        model.predict_one({"v": 1.0, "c1": 1.0})  # row A (seq 0)
        model.predict_one({"v": 2.0, "c1": 0.0, "c2": 1.0})  # c2 learned since
        model.predict_one({"v": 1.0, "c1": 1.0, "c2": 0.0})  # row B: A's values
        return model

    model = stream(DREAMOnlineClassifier(hidden_dim=4, rank=1, seed=0, advance_on_predict=True))
    old = DREAMOnlineClassifier.__new__(DREAMOnlineClassifier)
    state = copy.deepcopy(model.__getstate__())
    del state["_zero_seen"]
    old.__setstate__(state)
    model.learn_one({"v": 1.0, "c1": 1.0, "c2": 0.0}, "a")  # A's label, c2 at 0 now
    assert list(model._pending_rows) == [1, 2]
    model.learn_one({"v": 2.0, "c1": 0.0, "c2": 1.0}, "b")
    model.learn_one({"v": 1.0, "c1": 1.0, "c2": 0.0}, "b")  # B's
    assert not model._pending_rows and not model._pending and not model._pending_loose
    old.learn_one({"v": 1.0, "c1": 1.0, "c2": 0.0}, "a")
    assert list(old._pending_rows) == [0, 1]  # (as before: B's state)
    # (B out of the index of keys without zeros too: review 351's KeyError)
    assert {q for seqs in old._pending_loose.values() for q in seqs} <= {0, 1}
    old.predict_one({"v": 5.0})
    old.learn_one({"v": 1.0, "c1": 1.0}, "a")  # (A's, by its own key)
    old.learn_one({"v": 1.0}, "b")  # (no row: steps as a new one, no KeyError)

    # A row that lacks a key seen at 0 before it was read is not the label's while a
    # row of its own key waits (review 182: a feature at 0 and an absent one differ).
    model = DREAMOnlineClassifier(hidden_dim=4, rank=1, seed=0, advance_on_predict=True)
    model.learn_one({"v": 0.5, "c1": 1.0}, "a")
    model.predict_one({"v": 3.0, "c2": 0.0})  # c2 seen at 0
    model.predict_one({"v": 1.0, "c1": 1.0})  # lacks c2
    model.predict_one({"v": 1.0, "c1": 1.0, "c2": 0.0})
    model.learn_one({"v": 1.0, "c1": 1.0, "c2": 0.0}, "a")
    assert list(model._pending_rows) == [0, 1]


@pytest.mark.parametrize("estimator", [DREAMOnlineClassifier, DREAMOnlineRegressor])
def test_labels_behind_a_one_hot_encoder_find_their_rows_among_rows_of_equal_values(estimator):
    """Review 349's stream: few values, a category learned every 40 rows, delay=50
    (the first 50 rows predicted before anything is built). Matched by values, every
    label finds its own row, as by order. (The classifier's delayed-label readout is
    off: by values it counts a label's delay from the newest equal row waiting, by
    order from the label's own row, and takes part a little differently.)"""

    rng = np.random.default_rng(0)
    rows = []
    for t in range(600):
        category = int(rng.integers(0, 2 + t // 40))
        v = float(rng.choice([0.1, 0.2, 0.3]))
        y = (category % 2 == 0) ^ (v > 0.15)
        rows.append(
            (
                {"cat": f"k{category}", "v": v},
                float(y) + v if estimator is DREAMOnlineRegressor else y,
            )
        )
    off = {"delayed_readout": False} if estimator is DREAMOnlineClassifier else {}
    scores, models = _matched_behind_one_hot(estimator, rows, 50, hidden_dim=4, rank=1, **off)
    assert not models["values"]._pending_rows and not models["values"]._unbuilt
    assert scores["values"] == scores["order"]


def test_a_label_takes_its_own_row_before_one_that_differs_only_by_a_zero():
    """A feature at 0 and an absent one differ to the model. A label matched first by
    the key without its zeros (round 35's first mend of the OneHotEncoder case) took,
    under delays that vary, the row that differed from its own only there (review 182:
    accuracy 0.782 against 0.941 on a stream whose label is whether "s" is there).
    Its own row first; the key without zeros only when no row waits under its own."""
    model = DREAMOnlineClassifier(hidden_dim=8, rank=2, seed=0, advance_on_predict=True)
    for i in range(30):
        model.learn_one({"s": 0.0} if i % 2 else {}, bool(i % 2))
    model.predict_one({"s": 0.0})
    model.predict_one({})
    first, second = model._pending_rows
    model.learn_one({}, False)  # (the label of the second row, first)
    assert list(model._pending_rows) == [first]
    model.learn_one({"s": 0.0, "t": 0.0}, True)  # (its own row, with a key at 0 added)
    assert not model._pending_rows and not model._pending and not model._pending_loose

    rng = np.random.default_rng(1)
    rows = []
    for _ in range(3000):
        has, b = rng.random() < 0.5, float(rng.integers(0, 2))
        rows.append(({"b": b, "s": 0.0} if has else {"b": b}, bool(has)))
    delays = iter(rng.integers(1, 31, size=len(rows)).tolist())
    model = DREAMOnlineClassifier(hidden_dim=8, rank=2, seed=0, advance_on_predict=True)
    accuracy = evaluate.progressive_val_score(
        rows, model, metrics.Accuracy(), delay=lambda x, y: next(delays)
    )
    assert accuracy.get() > 0.9 and not model._pending_rows  # (loosely first: 0.78)


def test_a_label_with_zeros_added_is_of_the_row_predicted_before_the_build():
    """A row predicted before anything was built is older than any row waiting; its
    label, with a key at 0 added since (river's OneHotEncoder() meeting a category),
    missed it and took, by the key without zeros, the state of a later row of those
    values (review 184, as before review 106). A row waiting under the label's own
    key still comes first (review 185), and a label that lacks a feature of the
    unbuilt row is not its (a feature at 0 and an absent one differ: review 182)."""
    import warnings

    model = DREAMOnlineClassifier(hidden_dim=4, rank=2, seed=0, advance_on_predict=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (a prediction before the build: no classes)
        model.predict_one({"a": 1.0, "c0": 1.0})  # row A, before the build
    model.learn_one({"a": 2.0, "c0": 1.0}, 0)  # (another row builds the model)
    model.predict_one({"a": 1.0, "c0": 1.0})  # row B, the same values
    model.learn_one({"a": 1.0, "c0": 1.0, "c1": 0.0}, 1)  # A's label, c1 met since
    assert len(model._pending_rows) == 1 and not model._unbuilt  # (B waits for its own)

    model = DREAMOnlineClassifier(hidden_dim=4, rank=2, seed=0, advance_on_predict=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.predict_one({"a": 1.0, "s": 0.0})  # before the build
    model.learn_one({"a": 2.0}, 0)
    model.predict_one({"a": 1.0})
    model.learn_one({"a": 1.0}, 1)  # the waiting row's label: it lacks "s"
    assert not model._pending_rows and model._unbuilt


def test_a_pickle_from_before_the_running_runs_keeps_no_loose_index_of_dropped_rows():
    """A model pickled before the scaling's runs (``_n_over``) loses its waiting rows
    when it loads; the loose index built from them stayed, and a label took a new
    row that shared a sequence number with a dropped one (review 184)."""
    model = DREAMOnlineClassifier(hidden_dim=4, rank=2, seed=0, advance_on_predict=True)
    for i in range(20):
        model.learn_one({"a": float(i % 3), "b": 1.0}, i % 2)
    model.predict_one({"a": 1.0, "b": 0.0})  # (waits; its key has a 0)
    state = copy.deepcopy(model.__getstate__())
    del state["_pending_loose"], state["_n_over"]
    old = DREAMOnlineClassifier.__new__(DREAMOnlineClassifier)
    old.__setstate__(state)
    assert not old._pending_rows and not old._pending_loose
    old.predict_one({"a": 2.0, "b": 5.0})
    old.learn_one({"a": 1.0}, 1)  # (the dropped row's loose key: no row of its)
    assert list(old._pending_rows) == [0]


def test_a_pickle_from_before_the_running_runs_matched_by_order_counts_its_dropped_rows():
    """Matched by order, the rows such a pickle drops still have labels to come:
    they find nothing, as rows forgotten past the limit do (``_not_waiting``); the
    first took the next new row's state (review 185)."""
    model = DREAMOnlineClassifier(
        hidden_dim=4, rank=2, seed=0, advance_on_predict=True, match_labels_by="order"
    )
    for i in range(20):
        model.learn_one({"a": float(i % 3)}, i % 2)
    model.predict_one({"a": 1.0})
    model.predict_one({"a": 2.0})
    state = copy.deepcopy(model.__getstate__())
    del state["_n_over"]
    old = DREAMOnlineClassifier.__new__(DREAMOnlineClassifier)
    old.__setstate__(state)
    old.predict_one({"a": 0.0})  # (a new row)
    old.learn_one({"a": 1.0}, 1)  # (the dropped rows' labels)
    old.learn_one({"a": 2.0}, 0)
    assert list(old._pending_rows) == [0]  # (the new row waits for its own)


def test_rows_waiting_in_a_pickle_made_before_the_loose_index_find_their_labels():
    """A model pickled before round 35 has no index of the rows waiting by their keys
    without zeros: it is made from the rows waiting when the pickle loads."""
    model = DREAMOnlineClassifier(hidden_dim=8, rank=2, seed=0, advance_on_predict=True)
    for i in range(20):
        model.learn_one({"a": float(i % 3), "c0": 1.0}, bool(i % 2))
    model.predict_one({"a": 1.0, "c0": 0.0, "c1": 1.0})
    state = copy.deepcopy(model.__getstate__())
    del state["_pending_loose"]  # (as a pickle of round 34 holds it)
    old = DREAMOnlineClassifier.__new__(DREAMOnlineClassifier)
    old.__setstate__(state)
    old.learn_one({"a": 1.0, "c0": 0.0, "c1": 1.0, "c2": 0.0}, True)  # (a category since)
    assert not old._pending_rows and not old._pending_loose
    # one with no row waiting gets an index of its own, not the class's to fill
    state = copy.deepcopy(old.__getstate__())
    del state["_pending_loose"]
    empty = DREAMOnlineClassifier.__new__(DREAMOnlineClassifier)
    empty.__setstate__(state)
    empty.predict_one({"a": 2.0, "c0": 0.0})
    assert empty._pending_loose and not DREAMOnlineClassifier._pending_loose


@pytest.mark.parametrize("how", ["learn_many", "pipeline", "progressive_val_score", "pending"])
@pytest.mark.parametrize("estimator", [DREAMOnlineClassifier, DREAMOnlineRegressor])
def test_the_delayed_label_warnings_name_the_callers_line(how, estimator, monkeypatch):
    """The warnings of advance_on_predict point at the user's line however the rows
    came in: they counted a fixed number of frames, and named the package's own
    learn_many, or river's compose/pipeline.py, before."""
    from river import preprocessing

    from dream_sklearn.online import _pending

    regression = estimator is DREAMOnlineRegressor
    rows = [(x, x["f0"] if regression else y) for x, y in _clf_stream(120)]
    model = estimator(hidden_dim=8, rank=2, seed=0, advance_on_predict=True)
    for x, y in rows[:20]:
        model.learn_one(x, y)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if how == "learn_many":  # labels of rows changed after they were predicted
            for x, _ in rows[20:]:
                model.predict_one(x)
            frame = pd.DataFrame([x for x, _ in rows[20:]]) + 1e-3
            model.learn_many(frame, pd.Series([y for _, y in rows[20:]]))
        elif how == "pipeline":
            pipeline = preprocessing.StandardScaler() | model
            for x, y in rows:
                pipeline.predict_one(x)
                pipeline.learn_one(x, y)
        elif how == "progressive_val_score":
            pipeline = preprocessing.StandardScaler() | model
            metric = metrics.MAE() if regression else metrics.Accuracy()
            evaluate.progressive_val_score(rows, pipeline, metric, delay=5)
        else:  # more rows waiting than are kept, predicted through a Pipeline
            monkeypatch.setattr(_pending, "_MAX_PENDING", 20)
            pipeline = preprocessing.StandardScaler() | model
            for x, y in rows[:20]:  # (an unfitted scaler reads every row as zeros)
                pipeline.learn_one(x, y)
            for x, _ in rows[20:]:
                pipeline.predict_one(x)
    said = [w for w in caught if "advance_on_predict=True" in str(w.message)]
    assert len(said) == 1
    assert said[0].filename == __file__, said[0].filename


@pytest.mark.parametrize("scaled", [True, False])
def test_labels_that_find_no_row_are_warned_about_early(scaled):
    """Behind river's StandardScaler no label finds its row (match_labels_by="values"):
    said once, after 32 labels in a row found none while rows waited, not at 2,048
    rows waiting (review 134: TrumpApproval's MAE 0.439 against 0.413 with the option
    off, 997 rows waiting after 1,000, no warning). Labels that find their rows: none."""
    import warnings

    from river import preprocessing

    model = DREAMOnlineClassifier(hidden_dim=8, rank=2, seed=0, advance_on_predict=True)
    pipeline = (preprocessing.StandardScaler() | model) if scaled else model
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        evaluate.progressive_val_score(_clf_stream(80), pipeline, metrics.Accuracy(), delay=5)
    said = [str(w.message) for w in caught if "advance_on_predict=True" in str(w.message)]
    if scaled:
        assert len(said) == 1 and "32 labels in a row found no row waiting" in said[0]
        assert "match_labels_by='order'" in said[0]
    else:
        assert not said and not model._pending_rows


def test_learn_only_rows_among_predicted_ones_are_no_unmatched_labels():
    """Labels of rows never predicted (learned only) find no row waiting, as they
    should: no warning while few rows wait (review 137: rows predicted before the
    build, an unlabelled query, a sampled prediction whose label comes 40 rows later,
    each with learned-only rows around it, were warned about with advice that would
    pair the labels with the wrong rows). Rows that pile up are, once, pointing at
    the caller's line."""
    import warnings

    rows = _clf_stream(200)

    def said(run):
        model = DREAMOnlineClassifier(hidden_dim=8, rank=2, seed=0, advance_on_predict=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            run(model)
        return [w for w in caught if "advance_on_predict=True" in str(w.message)]

    def unbuilt_then_learned(model):
        for x, _ in rows[:3]:
            model.predict_one(x)
        for x, y in rows[3:80]:
            model.learn_one(x, y)

    def a_query_then_learned(model):
        for x, y in rows[:50]:
            model.learn_one(x, y)
        model.predict_one({"a": 0.0, "b": 0.0})
        for x, y in rows[50:120]:
            model.learn_one(x, y)

    def sampled(model):
        due = []
        for i, (x, y) in enumerate(rows):
            if i % 50 == 0:
                model.predict_one(x)
                due.append((i + 40, x, y))
            else:
                model.learn_one(x, y)
            while due and due[0][0] == i:
                model.learn_one(*due.pop(0)[1:])

    for run in (unbuilt_then_learned, a_query_then_learned, sampled):
        assert not said(run), run.__name__

    def changed_before_learning(model):  # (as a scaler upstream changes each row)
        for x, y in rows:
            model.predict_one(x)
            model.learn_one({k: v + 1e-3 for k, v in x.items()}, y)  # (the line warned)

    warned = said(changed_before_learning)
    assert len(warned) == 1 and warned[0].filename == __file__
    assert "labels in a row found no row waiting for them" in str(warned[0].message)


def _count_steps(model):
    """Count the cell's committed steps of ``model`` (an advancing one's: its
    compiled row never runs the default layout): an instance's own _commit (the
    NumPy path), the rows its compiled row advanced on (_fast_advance: its advance
    kernel commits), and the rows not advanced on that it learned in the advancing
    layout (_fast_unadvanced: its learn kernel commits; round 72)."""
    calls = []
    commit, fast, unadvanced = model._commit, model._fast_advance, model._fast_unadvanced

    def counted(*args):
        calls.append(1)
        return commit(*args)

    def advanced(*args):
        got = fast(*args)
        if got is not None:
            calls.append(1)
        return got

    def learned(*args):
        got = unadvanced(*args)
        if got:
            calls.append(1)
        return got

    model._commit, model._fast_advance, model._fast_unadvanced = counted, advanced, learned
    return calls


_POINT = collections.namedtuple("_POINT", "x y")


@pytest.mark.parametrize(
    "other, row",
    [
        ({np.str_("b"): 1.0, "c": 2.0}, {"b": 1.0, "c": 2.0}),
        ({_POINT(1, 2): 1.0, "c": 2.0}, {(1, 2): 1.0, "c": 2.0}),
    ],
    ids=["numpy-text", "namedtuple"],
)
def test_a_rows_key_does_not_depend_on_the_rows_read_before(other, row):
    """A label finds its row by the row's key (names and values, in an order of the
    names that does not depend on the dict's). The order kept for a tuple of names
    served names equal to them but of another type, which sort apart: after a row
    named ``np.str_("b")``, "c", the key of ``{"b": 1.0, "c": 2.0}`` came out in
    another order than the same row's with its keys the other way round, and a label
    whose row came back so found nothing (review 420)."""
    from dream_sklearn.online import _rows

    _rows._KEY_ORDERS.clear()  # (the process's rows read so far: none)
    _rows._row_key(other)  # (first: its names' order, if kept, is kept for theirs)
    assert _rows._row_key(row) == _rows._row_key(dict(reversed(row.items())))


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("delay", [None, 1, 10])
def test_order_matching_behind_a_scaler_steps_the_cell_once_per_row(cls, delay):
    """match_labels_by="order": behind river's StandardScaler, whose rows differ
    between predict and learn, each label finds the row predicted for it, in order
    (the rows predicted before anything was built included): the cell steps once per
    row and nothing is left waiting; matched by values, every label steps it again."""
    from river import preprocessing

    rows = _clf_stream(120)
    if cls is DREAMOnlineRegressor:
        rows = [(x, x["f0"] - x["f1"]) for x, _ in rows]
    metric = metrics.Accuracy() if cls is DREAMOnlineClassifier else metrics.MAE()
    steps = {}
    for match in ("order", "values"):
        model = cls(hidden_dim=8, rank=2, seed=0, advance_on_predict=True, match_labels_by=match)
        calls = _count_steps(model)
        pipeline = preprocessing.StandardScaler() | model
        evaluate.progressive_val_score(rows, pipeline, metric.clone(), delay=delay)
        steps[match] = len(calls)
        if match == "order":
            assert not model._pending_rows and not model._pending and model._not_waiting == 0
    assert steps["order"] == len(rows)
    assert steps["values"] > len(rows) + len(rows) // 2  # (the warm-up rows: stepped once)


def _record_labels(model):
    """Record, per label that looks for a waiting row, ``(the label's row, the row it
    took)`` (None: none taken) into the list returned; ``now["i"]``: the row being
    predicted or learned, set by the caller."""
    advanced, taken, now = {}, [], {}
    keep, take = model._keep_advanced, model._take_pending

    def recorded_keep(key, entry, out):  # (a row advanced on, on either path)
        advanced[model._pending_seq] = now["i"]
        return keep(key, entry, out)

    def recorded_take(row):
        oldest = next(iter(model._pending_rows), None) if model._pending_rows else None
        waiting = model._not_waiting
        got = take(row)
        taken.append((now["i"], None if got is None or waiting else advanced[oldest]))
        return got

    model._keep_advanced, model._take_pending = recorded_keep, recorded_take
    return taken, now


def _labels_and_rows(model, rows, delay, *, front=None, bad=(), bad_x=(), predicted=None):
    """Run ``rows`` with each label ``delay`` rows late (``front``: the pipeline to call,
    the model at its end); return, per label that looked for a waiting row, the index of
    the label's row and of the row it took (None: none taken, stepped as a new row).
    ``bad``: rows whose label is refused (NaN for a regressor, a list for a classifier);
    ``bad_x``: rows with a value refused (a string), at prediction and learning alike."""
    front = model if front is None else front
    taken, now = _record_labels(model)
    regression = isinstance(model, DREAMOnlineRegressor)
    for i in range(len(rows) + delay):
        if i < len(rows) and (predicted is None or i in predicted):
            now["i"] = i
            if i in bad_x:
                with pytest.raises(ValueError):
                    front.predict_one({**rows[i][0], "f0": "oops"})
            else:
                front.predict_one(rows[i][0])
        j = i - delay
        if j >= 0:
            now["i"] = j
            x, y = rows[j]
            if j in bad_x:
                with pytest.raises(ValueError):
                    front.learn_one({**x, "f0": "oops"}, y)
            elif j in bad:
                with pytest.raises((ValueError, TypeError)):
                    front.learn_one(x, float("nan") if regression else [y])
            else:
                front.learn_one(x, y)
    return taken


def _stream_for(cls, n):
    rows = _clf_stream(n)
    return [(x, x["f0"] - x["f1"]) for x, _ in rows] if cls is DREAMOnlineRegressor else rows


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("scaled", [False, True])
@pytest.mark.parametrize("delay", [1, 10])
def test_order_matching_gives_each_label_its_own_row(cls, scaled, delay):
    """Every label takes the row predicted for it (behind a scaler too), after the
    rows predicted before anything was built, whose labels step the cell."""
    from river import preprocessing

    model = cls(hidden_dim=8, rank=2, seed=0, advance_on_predict=True, match_labels_by="order")
    front = preprocessing.StandardScaler() | model if scaled else model
    rows = _stream_for(cls, 80)
    taken = _labels_and_rows(model, rows, delay, front=front)
    # (this loop predicts row t before the label of row t - delay: delay + 1 rows come
    # before anything is built)
    assert [i for i, got in taken if got is None] == list(range(delay + 1))
    assert all(got == i for i, got in taken if got is not None)
    assert len(taken) == len(rows) and not model._pending_rows


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_order_matching_a_refused_label_of_a_row_with_a_missing_value(cls):
    """(review 107) A refused label whose row has a missing value raises the label's
    own error and still takes its row's place (a check of the labels' order, since
    removed, read the raw row and raised a TypeError on its None first)."""
    model = cls(hidden_dim=8, rank=2, seed=0, advance_on_predict=True, match_labels_by="order")
    for i in range(5):
        x = {"a": float(i), "b": 1.0}
        model.predict_one(x)
        model.learn_one(x, i % 2 if cls is DREAMOnlineClassifier else float(i))
    x = {"a": None, "b": 2.0}
    model.predict_one(x)
    model.predict_one({"a": 3.0, "b": 3.0})
    with pytest.raises(ValueError, match="nan"):
        model.learn_one(x, float("nan"))
    assert len(model._pending_rows) == 1


def test_equal_rows_of_a_stream_predicted_first_are_rows_of_their_own():
    """(review 110) Before anything was built, two equal rows of the stream predicted
    one after the other were counted as one (the same row predicted again), and the
    second one's label took a later equal row's state, and so on down the stream:
    each label takes its own row (river's delay protocol copies each row)."""
    a, b = {"a": 1.0}, {"a": 2.0}
    data = [(dict(x), i % 2) for i, x in enumerate([a, a, b] + [a, b] * 20)]
    model = DREAMOnlineClassifier(hidden_dim=4, rank=2, seed=0, advance_on_predict=True)
    taken, advanced = _rows_taken(model, data, delay=3)
    assert [(i, got) for i, got in taken if got is not None] == [(i, i) for i in advanced]
    assert model.n_steps_ == len(data) and not model._pending_rows
    # the same object predicted again at once is one row
    fresh = DREAMOnlineClassifier(hidden_dim=4, rank=2, seed=0, advance_on_predict=True)
    fresh.predict_proba_one(a)
    fresh.predict_one(a)
    assert fresh._unbuilt == {(("a", 1.0),): 1}


def test_the_keys_of_rows_predicted_first_are_forgotten_as_rows_advanced_on_are():
    """(reviews 107, 109) A key of a row predicted before anything was built whose
    label never comes is forgotten once 2,048 rows were advanced on since (it stayed
    for good); and it is kept until then, for a delay that varies (review 107's
    mend dropped the keys at the first label that found a row advanced on, and a row's
    late label then took a later equal row's state)."""
    model = DREAMOnlineRegressor(hidden_dim=4, rank=2, seed=0, advance_on_predict=True)
    a, b, c = {"a": 1.0}, {"a": 2.0}, {"a": 3.0}
    model.predict_one(a)  # (row 1: nothing built yet)
    model.predict_one(b)  # (row 2)
    model.learn_one(b, 0.0)  # (row 2's label first: a delay that varies)
    model.predict_one(c)
    model.learn_one(c, 0.0)  # (row 3's label finds its row)
    model.predict_one(dict(a))  # (row 4, advanced on: row 1's values)
    model.learn_one(a, 1.0)  # (row 1's label, late: its own row, stepped now)
    assert len(model._pending_rows) == 1  # (row 4 still waits for its label)
    model.learn_one(a, 1.0)  # (row 4's label takes row 4)
    assert not model._pending_rows and model.n_steps_ == 4
    # a row predicted first and never learned: its key is forgotten 2,048 rows on
    model = DREAMOnlineClassifier(hidden_dim=4, rank=2, seed=0, advance_on_predict=True)
    model.predict_one({"a": -1.0})  # (never learned)
    for i in range(2100):
        x = {"a": float(i % 7)}
        model.predict_one(x)
        model.learn_one(x, i % 2)
        if i == 2000:
            assert model._unbuilt == {(("a", -1.0),): 1}
    assert model._unbuilt is None and not model._pending_rows


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_order_matching_a_refused_label_takes_its_rows_place(cls):
    """A label refused (and the refusal caught) still brings its row's turn: the
    labels after it find their own rows."""
    model = cls(hidden_dim=8, rank=2, seed=0, advance_on_predict=True, match_labels_by="order")
    rows = _stream_for(cls, 60)
    taken = _labels_and_rows(model, rows, 5, bad={2, 30})
    assert all(got == i for i, got in taken if got is not None)
    assert {i for i, got in taken if got is None} == {0, 1, 2, 3, 4, 5}
    assert 30 in {i for i, _ in taken} and not model._pending_rows


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_order_matching_a_row_refused_for_its_values_is_no_row(cls):
    """A row whose values are refused is refused by predict_one too: it is no row of
    the stream, and its refused learn_one takes no other row's place (before anything
    is built and after)."""
    model = cls(hidden_dim=8, rank=2, seed=0, advance_on_predict=True, match_labels_by="order")
    rows = _stream_for(cls, 60)
    taken = _labels_and_rows(model, rows, 3, bad_x={1, 20})
    assert all(got == i for i, got in taken if got is not None)
    assert {i for i, got in taken if got is None} == {0, 2, 3}
    assert not model._pending_rows and model._not_waiting == 0


@pytest.mark.parametrize("keys", [{"a": 1.0}, {0: 1.0}])
def test_order_matching_a_row_a_converted_model_cannot_read_is_no_row(keys):
    """A converted model refuses, in predict_one as in learn_one, a row whose keys are
    none of its features, or positions where its features have names: no row of the
    stream, so its refused learn_one takes no row's place. It took the oldest
    waiting row's, and every later label met the row before its own (review 276)."""
    from dream_sklearn import DREAMClassifier
    from dream_sklearn.online import from_sklearn

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 2)), columns=["f0", "f1"])
    y = (X["f0"] > 0).astype(int)
    fitted = DREAMClassifier(hidden_dim=8, solver="adam", max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (3 epochs: not converged)
        fitted.fit(X, y)
    model = from_sklearn(fitted, advance_on_predict=True, match_labels_by="order")
    rows = [dict(zip(["f0", "f1"], map(float, r), strict=True)) for r in rng.normal(size=(6, 2))]
    for x in rows[:3]:
        model.predict_one(x)
    twin = copy.deepcopy(model)
    for call in (model.predict_one, partial(model.learn_one, y=1)):
        with pytest.raises(ValueError, match="none of them a feature|column positions"):
            call(keys)
    assert len(model._pending_rows) == 3
    for x in rows[:3]:
        for m in (model, twin):
            m.learn_one(x, int(x["f0"] > 0))
    assert not model._pending_rows and model.n_steps_ == twin.n_steps_
    assert_same_state(model, twin)
    # (review 279) with a bad label too: the label was checked first, and its
    # refusal took the oldest row's place
    model.predict_one(rows[3])
    with pytest.raises(ValueError, match="none of them a feature|column positions"):
        model.learn_one(keys, float("nan"))
    assert len(model._pending_rows) == 1
    # (a fresh model's refused first row asked for rows waiting that it had not made)
    fresh = DREAMOnlineClassifier(advance_on_predict=True, match_labels_by="order").clone()
    with pytest.raises(ValueError, match="non-numeric value"):
        fresh.learn_one({"a": "oops"}, "x")


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("how", ["mutate", "attribute"])
def test_order_matching_a_row_read_before_missing_changed_takes_its_place(cls, how):
    """With match_labels_by="order", a row predict_one read with a value missing
    (missing="ignore") and refused for it at its label (missing="raise" since, by
    river's mutate or by assignment) was a row of the stream: its refused learn_one
    takes its place, and the labels after it meet their own rows. It kept its place,
    and every later label met the row before its own (review 148, review 150)."""
    model = cls(hidden_dim=8, rank=2, seed=0, advance_on_predict=True, match_labels_by="order")
    rows = _stream_for(cls, 40)
    rows[10] = ({**rows[10][0], "f0": float("nan")}, rows[10][1])
    taken, now = _record_labels(model)
    for i in range(len(rows) + 3):
        if i < len(rows):
            now["i"] = i
            model.predict_one(rows[i][0])
        if i == 11:  # row 10 waits for its label
            if how == "mutate":
                model.mutate({"missing": "raise"})
            else:
                model.missing = "raise"
        j = i - 3
        if j >= 0:
            now["i"] = j
            if j == 10:
                with pytest.raises(ValueError, match="missing"):
                    model.learn_one(*rows[j])
            else:
                model.learn_one(*rows[j])
    assert (10, 10) in taken
    assert all(got == i for i, got in taken if got is not None)
    assert not model._pending_rows


def test_order_matching_forgotten_rows_leave_the_others_aligned(monkeypatch):
    """Past _MAX_PENDING rows waiting the oldest is forgotten (warned); its label,
    when it comes, steps the cell as a new row's, and the others find their own."""
    from dream_sklearn.online import _pending

    monkeypatch.setattr(_pending, "_MAX_PENDING", 20)
    model = DREAMOnlineClassifier(
        hidden_dim=8, rank=2, seed=0, advance_on_predict=True, match_labels_by="order"
    )
    rows = _clf_stream(120)
    with pytest.warns(UserWarning, match="rows advanced on are still waiting"):
        taken = _labels_and_rows(model, rows, 30)
    assert all(got == i for i, got in taken if got is not None)
    none = [i for i, got in taken if got is None]
    assert none[:31] == list(range(31)) and len(none) > 31  # the forgotten ones too
    assert not model._pending_rows and model._not_waiting == 0


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_match_labels_by_set_mid_stream_is_checked(cls):
    model = cls(hidden_dim=8, rank=2, seed=0, advance_on_predict=True, match_labels_by="order")
    rows = _stream_for(cls, 10)
    for x, y in rows[:5]:
        model.predict_one(x)
        model.learn_one(x, y)
    model.match_labels_by = "Order"
    steps = model.n_steps_
    with pytest.raises(ValueError, match="match_labels_by"):
        model.learn_one(*rows[5])
    assert model.n_steps_ == steps


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_a_row_refused_for_its_feature_name_gives_up_its_place_in_order_matching(cls):
    """With match_labels_by="order", a label refused for its row's feature name (a
    NaN) drops that row's place, as a refused label does: the row waited on, and
    every later label met the row before its own (review 96)."""
    rows = _stream_for(cls, 40)
    model = cls(hidden_dim=8, rank=2, seed=0, advance_on_predict=True, match_labels_by="order")
    for x, y in rows[:20]:
        model.predict_one(x)
        model.learn_one(x, y)
    twin = copy.deepcopy(model)
    bad, y = {**rows[20][0], float("nan"): 1.0}, rows[20][1]
    for m in (model, twin):
        m.predict_one(bad)  # a row of the stream, advanced on
    with pytest.raises(ValueError, match="Feature names must be equal to themselves"):
        model.learn_one(bad, y)
    with pytest.raises(ValueError):
        twin.learn_one(bad, None)  # the refused label's way (tested above)
    for x, y in rows[21:]:
        for m in (model, twin):
            m.predict_one(x)
            m.learn_one(x, y)
    assert not model._pending_rows and model._not_waiting == 0
    assert_same_state(model, twin)


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("delay", [None, 20])
def test_order_matching_is_value_matching_where_rows_come_back_unchanged(cls, delay):
    """Fed the rows themselves, matching by order and by values are one model."""
    rows = _clf_stream(200)
    if cls is DREAMOnlineRegressor:
        rows = [(x, x["f0"] - x["f1"]) for x, _ in rows]
    got = {
        match: _predictions(
            rows, cls(seed=3, advance_on_predict=True, match_labels_by=match), delay
        )
        for match in ("values", "order")
    }
    assert got["order"] == got["values"]


def test_order_matching_counts_each_prediction_as_a_row():
    """Each predict call is a row of the stream under "order" (before anything is
    built too): the labels then come back one per call, oldest first."""
    model = DREAMOnlineClassifier(hidden_dim=8, rank=2, seed=0, advance_on_predict=True)
    model.match_labels_by = "order"
    rows = _clf_stream(6)
    for x, _ in rows[:2]:
        model.predict_one(x)
    assert model._not_waiting == 2
    model.learn_one(*rows[0])  # builds; its row was not advanced on
    model.learn_one(*rows[1])
    assert model._not_waiting == 0 and not model._pending_rows
    x = rows[2][0]
    model.predict_one(x)
    model.predict_proba_one(x)  # a second call: a second row
    assert len(model._pending_rows) == 2


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_match_labels_by_is_checked(cls):
    model = cls(advance_on_predict=True, match_labels_by="Order")
    with pytest.raises(ValueError, match="match_labels_by"):
        model.learn_one({"a": 1.0}, 1)


# --- parameters set as attributes after the first row (review 47) ----------------------


@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.parametrize(
    "cls, name, bad",
    [
        (DREAMOnlineClassifier, "l2", float("nan")),
        (DREAMOnlineClassifier, "mixture_share", -0.5),
        (DREAMOnlineClassifier, "surprise_gain", None),
        (DREAMOnlineClassifier, "l2", "0.1"),
        # (not read by the compiled row: learn_one learned the row there, review 92)
        (DREAMOnlineClassifier, "max_pairs", -1),
        (DREAMOnlineClassifier, "match_labels_by", "bogus"),
        (DREAMOnlineClassifier, "delayed_readout", 2),
        (DREAMOnlineRegressor, "max_pairs", -1),
        (DREAMOnlineRegressor, "match_labels_by", "bogus"),
    ],
)
def test_a_bad_value_set_mid_stream_raises_and_changes_nothing(cls, name, bad, compiled):
    """river users set parameters as attributes; a value read on every row was not
    validated again: l2=nan gave NaN on one path and not the other, mixture_share
    -0.5 drove the mixture's weights to 4e5, all silently."""
    previous = set_compiled(compiled)
    try:
        model, y = _warmed_ab(cls)
        twin = copy.deepcopy(model)
        good = getattr(model, name)
        setattr(model, name, bad)
        x = {"a": 1.0, "b": 2.0}
        with pytest.raises(ValueError, match=f"The '{name}' parameter of {cls.__name__}"):
            model.predict_one(x)
        with pytest.raises(ValueError, match=f"The '{name}' parameter"):
            model.learn_one(x, y[0])
        with pytest.raises(ValueError, match=f"The '{name}' parameter"):
            model.predict_many(pd.DataFrame([x]))
        setattr(model, name, good)
        for m in (model, twin):
            m.learn_one(x, y[0])
        assert_same_state(model, twin)
    finally:
        set_compiled(previous)


@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_a_bad_value_given_to_a_clone_with_its_attributes_is_refused(cls, compiled):
    """river's clone(include_attributes=True) makes the copy with the new parameters,
    then copies every other attribute over, the count of settings with them: the copy's
    count then equals the one its parameters were checked at, and l2=nan was learned
    (review 422: NaN weights, a NaN prediction)."""
    previous = set_compiled(compiled)
    try:
        model, y = _warmed_ab(cls)
        clone = model.clone({"l2": float("nan")}, include_attributes=True)
        with pytest.raises(ValueError, match=f"The 'l2' parameter of {cls.__name__}"):
            clone.learn_one({"a": 1.0, "b": 2.0}, y[0])
        assert model.clone({"l2": 0.5}, include_attributes=True).l2 == 0.5
    finally:
        set_compiled(previous)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_a_bad_value_behind_a_subclass_property_is_refused_on_the_numpy_path(cls):
    """The NumPy path validates the live parameters again only where a setting was
    counted since they were checked (each setting of one is: _compiled._LayoutParam);
    a subclass's own property for one is not counted, and its parameters are checked
    on every row, as before the count was read there."""

    class WithProperty(cls):
        @property
        def l2(self):
            return self._l2_value

        @l2.setter
        def l2(self, value):
            self._l2_value = value

    assert cls._params_counted and not WithProperty._params_counted
    previous = set_compiled(False)
    try:
        model, y = _warmed_ab(WithProperty)
        steps = model.n_steps_
        model.l2 = float("nan")
        with pytest.raises(ValueError, match="The 'l2' parameter of WithProperty"):
            model.learn_one({"a": 1.0, "b": 2.0}, y[0])
        assert model.n_steps_ == steps
    finally:
        set_compiled(previous)


@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("name, bad", [("max_pairs", -1), ("advance_on_predict", 0)])
def test_a_frame_refuses_a_bad_value_set_mid_stream_before_any_row(cls, name, bad, compiled):
    """predict_many and learn_many check the live parameters once a frame, before any
    row: a bad value of one the compiled row does not read (max_pairs), or one equal
    to the old value (advance_on_predict=0 for False), passed predict_many on the
    compiled row (predict_proba_many refused it), and learn_many learned a frame's
    rows up to its first growth event (a new feature), then raised (review 90)."""
    previous = set_compiled(compiled)
    try:
        model, y = _warmed_ab(cls)
        twin = copy.deepcopy(model)
        setattr(model, name, bad)
        X = pd.DataFrame([{"a": 1.0, "b": 2.0}] * 3 + [{"a": 1.0, "b": 2.0, "c": 0.5}] * 3)
        with pytest.raises(ValueError, match=f"The '{name}' parameter"):
            model.predict_many(X)
        with pytest.raises(ValueError, match=f"The '{name}' parameter"):
            model.learn_many(X, [y[0]] * len(X))
        assert_same_state(model, twin)
    finally:
        set_compiled(previous)


@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("name, value", [("hidden_dim", 16), ("cell", "pretrained")])
def test_the_cells_size_and_kind_are_read_once(cls, name, value, compiled):
    """hidden_dim and cell are read at the first row (docs/online.md); they were read
    again at every growth event: a new feature after a change crashed the model, and
    it stayed broken after the change was undone."""
    previous = set_compiled(compiled)
    try:
        model, y = _warmed_ab(cls)
        twin = copy.deepcopy(model)
        setattr(model, name, value)
        for m in (model, twin):
            for i in range(5):
                m.learn_one({"a": 1.0, "b": float(i), "new": float(i % 2)}, y[i % 2])
        assert_same_state(model, twin)
    finally:
        set_compiled(previous)


@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_a_value_equal_to_the_old_but_refused_is_caught_before_a_growth_event(cls, compiled):
    """max_pairs = 20.0 (== 20) passed an equality test of the live parameters; the
    next new feature then failed half-way through its growth (slots grown, readouts
    not), and the model stayed broken after max_pairs was set back (a review's
    finding). The check is by identity now: refused before anything changes."""
    previous = set_compiled(compiled)
    try:
        model, y = _warmed_ab(cls)
        twin = copy.deepcopy(model)
        model.max_pairs = float(model.max_pairs)
        x = {"a": 1.0, "b": 2.0, "new": 3.0}
        with pytest.raises(ValueError, match="The 'max_pairs' parameter"):
            model.learn_one(x, y[0])
        assert_same_state(model, twin)
        model.max_pairs = twin.max_pairs
        for m in (model, twin):
            m.learn_one(x, y[0])
        assert_same_state(model, twin)
    finally:
        set_compiled(previous)


@pytest.mark.parametrize(
    "value",
    [
        np.timedelta64(5, "s"),  # a NumPy integer: the compiled row raised a bare TypeError
        np.datetime64("1970-01-02"),  # was read as 1.0 (days since the epoch)
        np.array([1.0]),  # a list [1.0] is refused: so is an array of one value
        np.array("1.5"),  # text in a 0-d array was read as 1.5
        np.timedelta64("NaT"),  # a NumPy integer unequal to itself: read as missing
        torch.tensor([1.5]),  # read as 1.5 alone, refused beside a missing value
    ],
    ids=["timedelta64", "datetime64", "array of one", "0-d text", "NaT duration", "tensor"],
)
@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "numpy"])
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_numpy_dates_durations_and_arrays_are_not_numbers_on_either_path(Est, compiled, value):
    previous = set_compiled(compiled)
    try:
        model = Est(seed=0)
        for x, y in _sea(30):
            model.predict_one(x)
            model.learn_one(x, y if Est is DREAMOnlineClassifier else float(x[0]))
        n, before = model.n_steps_, model.predict_one({0: 5.0, 1: 5.0, 2: 5.0})
        row = {0: 5.0, 1: value, 2: 5.0}
        with pytest.raises(ValueError, match="Feature 1 has a non-numeric value"):
            model.predict_one(row)
        with pytest.raises(ValueError, match="Feature 1 has a non-numeric value"):
            model.learn_one(row, True if Est is DREAMOnlineClassifier else 1.0)
        assert model.n_steps_ == n
        assert model.predict_one({0: 5.0, 1: 5.0, 2: 5.0}) == before
        # a 0-d array of a number is that number, on both paths
        assert model.predict_one({0: 5.0, 1: np.array(4.0), 2: 5.0}) == model.predict_one(
            {0: 5.0, 1: 4.0, 2: 5.0}
        )
        # and a 0-d NaN or None is missing, as NaN and None are (the NumPy path said
        # "non-finite" and "non-numeric"); a 0-d object array of a number is that number
        absent = model.predict_one({0: 5.0, 2: 5.0})
        for missing in (np.array(np.nan), np.array(None), np.array(pd.NA, dtype=object)):
            assert model.predict_one({0: 5.0, 1: missing, 2: 5.0}) == absent
        for v in np.linspace(-3.0, 7.0, 21):  # (the same path: equal, not to rounding)
            assert model.predict_one({0: 5.0, 1: np.array(v, dtype=object), 2: 5.0}) == (
                model.predict_one({0: 5.0, 1: float(v), 2: 5.0})
            )
        with pytest.raises(ValueError, match="non-numeric"):  # (its value would read None)
            model.predict_one({0: 5.0, 1: np.array(np.datetime64("NaT")), 2: 5.0})
        # a 0-d tensor is its value, and NumPy's masked a missing value, with or without
        # another missing value in the row (one path read each otherwise: a review's
        # finding)
        for other in (5.0, None):
            assert model.predict_one({0: 5.0, 1: torch.tensor(4.0), 2: other}) == (
                model.predict_one({0: 5.0, 1: 4.0, 2: other})
            )
            without = model.predict_one({0: 5.0, 2: other})
            # (a 0-d masked array with its mask set, as a masked row's element read by
            # a 0-d view: the NumPy path refused it as non-finite, review 134)
            masked = np.ma.masked_array(0.5, mask=True)
            for missing in (np.ma.masked, masked, torch.tensor(float("nan"))):
                assert model.predict_one({0: 5.0, 1: missing, 2: other}) == without
                # (with a new key: the compiled row hands the row to the NumPy path)
                assert model.predict_one({0: 5.0, 1: missing, 2: other, "new": 1.0}) == (
                    model.predict_one({0: 5.0, 2: other, "new": 1.0})
                )
        with pytest.raises(ValueError, match="Feature 1 has a non-numeric value"):
            model.predict_one({0: 5.0, 1: value, 2: None})
        assert model.n_steps_ == n
    finally:
        set_compiled(previous)


class _SelfHolding:
    ndim = 0

    def item(self):
        return self


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "numpy"])
def test_other_libraries_arrays_are_read_as_numpys(compiled):
    """A dask 0-d array, and a 0-d tensor that requires a gradient, are their value
    on both paths (the NumPy path raised an AttributeError for the dask array, and
    read the tensor otherwise than the compiled row: the change's review); a tensor
    of one element is refused by name."""
    da = pytest.importorskip("dask.array")  # (in the test extra; not on every machine)

    previous = set_compiled(compiled)
    try:
        model = DREAMOnlineClassifier(seed=0)
        for x, y in _sea(30):
            model.predict_one(x)
            model.learn_one(x, y)
        for other in (5.0, None):
            assert model.predict_one({0: 5.0, 1: da.from_array(np.array(4.0)), 2: other}) == (
                model.predict_one({0: 5.0, 1: 4.0, 2: other})
            )
            grad = torch.tensor(4.0, requires_grad=True)
            assert model.predict_one({0: 5.0, 1: grad, 2: other}) == (
                model.predict_one({0: 5.0, 1: 4.0, 2: other})
            )
            nan = torch.tensor(float("nan"), requires_grad=True)
            assert model.predict_one({0: 5.0, 1: nan, 2: other}) == (
                model.predict_one({0: 5.0, 2: other})
            )
            one = torch.tensor([4.0], requires_grad=True)
            with pytest.raises(ValueError, match="Feature 1 has a non-numeric value"):
                model.learn_one({0: 5.0, 1: one, 2: other}, True)
            # (an object with ndim 0 that NumPy holds as itself: a RecursionError)
            with pytest.raises(ValueError, match="Feature 1 has a non-numeric value"):
                model.learn_one({0: 5.0, 1: _SelfHolding(), 2: other}, True)
        assert model.n_steps_ == 30
    finally:
        set_compiled(previous)


@pytest.mark.parametrize(
    "target", [np.timedelta64(5, "s"), np.array([1.0]), np.array("2")], ids=repr
)
def test_a_regressor_target_that_is_a_duration_an_array_or_text_is_refused(target):
    model = DREAMOnlineRegressor(seed=0)
    model.learn_one({"a": 1.0}, 1.0)
    with pytest.raises(ValueError, match="is not a number"):
        model.learn_one({"a": 2.0}, target)
    assert model.n_steps_ == 1


@pytest.mark.parametrize("kind", ["pandas", "pyarrow", "pyarrow period"])
@pytest.mark.parametrize("method", ["learn_many", "predict_many"])
def test_a_categorical_column_of_numbers_is_refused_as_one_of_text(method, kind):
    """Categories are labels: numbers among them were read as an ordinal scale
    (pyarrow's dictionary columns until round 23: a review's finding); so were
    pyarrow's periods, as month ordinals through their storage (review 289), where a
    native period column is refused."""
    model = DREAMOnlineClassifier(hidden_dim=8, rank=2, seed=0)
    model.learn_one({"a": 1.0, "b": 0.0}, "up")
    twin = copy.deepcopy(model)
    if kind == "pandas":
        column, dtype = pd.Categorical([1.0, 2.0]), "category"
    elif kind == "pyarrow":
        column = pd.Series([1, 2], dtype="int64[pyarrow]").astype(
            pd.ArrowDtype(pa.dictionary(pa.int32(), pa.int64()))
        )
        dtype = "dictionary"
    else:
        periods = pd.array(pd.period_range("2020-01", periods=2, freq="M"))
        column = pd.Series(pd.arrays.ArrowExtensionArray(pa.array(periods)))
        dtype = "extension<pandas.period"
    X = pd.DataFrame({"a": [0.5, 0.2], "b": column})
    with pytest.raises(ValueError, match=f"'b' has values of dtype {dtype}.*OneHotEncoder"):
        if method == "learn_many":
            model.learn_many(X, pd.Series(["up", "down"]))
        else:
            model.predict_many(X)
    assert_same_state(model, twin)


def test_a_zero_dimensional_array_label_is_its_value():
    """``y_array[i]`` of a NumPy array is a 0-d array and of a torch tensor a 0-d
    tensor: NumPy's was refused as unhashable and a tensor, hashed by identity, made
    every row a new class, silently (review 162). Each is read as its one label."""
    rows = [({"a": float(i % 7)}, i % 2) for i in range(60)]
    want = DREAMOnlineClassifier(seed=0)
    for x, y in rows:
        want.learn_one(x, y)
    for wrap in (np.array, torch.tensor):
        model = DREAMOnlineClassifier(seed=0)
        for x, y in rows:
            model.learn_one(x, wrap(y))
        assert sorted(model._classes) == [0, 1]
        assert model.predict_proba_one(rows[0][0]) == want.predict_proba_one(rows[0][0])
        frame = pd.DataFrame([x for x, _ in rows])
        many = DREAMOnlineClassifier(seed=0)
        many.learn_many(frame, pd.Series([wrap(y) for _, y in rows], dtype=object))
        assert sorted(many._classes) == [0, 1]
    with pytest.raises(ValueError, match=r"one class label; got an array of shape \(2,\)"):
        DREAMOnlineClassifier(seed=0).learn_one(rows[0][0], np.array([0, 1]))


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_order_matching_warns_when_labels_never_come(cls):
    """Under match_labels_by="order" a label that never comes shifted every later
    label by a row, without a word (Elec2 with 5% of its labels lost: 0.505, below
    the majority class; review 172). A warning comes after 32 labels in a row whose
    own rows wait behind the oldest. (A delay that varies by row misaligns them too,
    but its labels come in and out of order: not warned.) None where every label
    comes at a constant delay, from an
    unbuilt model (a first mend counted the rows waiting, and warned from a delay of
    97: review 174), or behind a scaler (river's StandardScaler, MinMaxScaler)."""
    from river import preprocessing

    rows = _stream_for(cls, 1500)

    def run(lost: float, delay, front=None) -> list:
        rng = np.random.default_rng(0)
        dropped = rng.random(len(rows)) < lost
        model = cls(hidden_dim=8, rank=2, seed=0, advance_on_predict=True, match_labels_by="order")
        step = model if front is None else front() | model
        due: list = []
        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always")
            for t, (x, _) in enumerate(rows):
                step.predict_one(x)
                due.append((t + delay(rng), t))
                for _, s in sorted(d for d in due if d[0] <= t):
                    if not dropped[s]:
                        step.learn_one(rows[s][0], rows[s][1])
                due = [d for d in due if d[0] > t]
        return [str(w.message) for w in said]

    said = run(0.05, lambda rng: 20)
    assert len(said) == 1 and "waited behind the oldest row predicted" in said[0]
    assert run(0.0, lambda rng: 20) == []
    assert run(0.0, lambda rng: 120) == []
    assert run(0.0, lambda rng: 20, preprocessing.StandardScaler) == []
    assert run(0.0, lambda rng: 20, preprocessing.MinMaxScaler) == []


@pytest.mark.parametrize("compiled", [True, False])
def test_a_short_glitch_while_a_real_shifts_statistics_are_kept_is_put_back(compiled):
    """A short glitch that comes while an earlier run's statistics are kept (a level
    that moved for good, the undo still armed) has its own copy of the readouts, put
    back when it ends; with one copy for both (a review's finding), the short glitch's
    learning stayed once the earlier run's undo expired as a real shift."""
    rng = np.random.default_rng(0)
    rows = []
    for t in range(440):
        x = {"a": rng.normal(), "b": rng.normal()}
        y = (0.0 if t < 400 else 100.0) + x["a"] + 0.1 * rng.normal()
        rows.append((x, 1e30 if t in (408, 409) else y))
    previous = set_compiled(compiled)
    try:
        model = DREAMOnlineRegressor(seed=0)
        for t, (x, y) in enumerate(rows):
            if t == 408:
                assert model._y_undo_left > 0 and model._y_run == 0  # (armed; run over)
                W, weights, scale = model._W.copy(), model._weights.copy(), model._y_scale()
            model.predict_one(x)
            model.learn_one(x, y)
            if t == 410:
                np.testing.assert_array_equal(model._W, _put_back(W, scale, model))
                np.testing.assert_array_equal(model._weights, weights)
    finally:
        set_compiled(previous)
    assert model._y_undo is None and model._y_undo_readouts is None  # (a real shift)
    assert model._y_readouts is None


@pytest.mark.parametrize("length", [2, 6])
def test_pairs_granted_as_the_target_comes_back_leave_both_paths_alike(length):
    """Two features first met together on the row a target glitch ends: their pair
    widens the readouts on that row, so the copy from before the glitch no longer
    lines up and is not put back, on both paths (review 195: the compiled row put it
    back before granting the pair, the NumPy path after; predictions 2.1 apart)."""
    rng = np.random.default_rng(0)
    rows = []
    for t in range(300):
        a, b, c = rng.normal(size=3)
        x = {"a": a, "b": b, "c": c} if t == 100 + length else {"a": a, "bc"[t % 2]: b}
        y = 1e4 if 100 <= t < 100 + length else a + 0.5 * b + 0.1 * rng.normal()
        rows.append((x, y))

    def run():
        model, out = DREAMOnlineRegressor(seed=0), []
        for t, (x, y) in enumerate(rows):
            out.append(model.predict_one(x))
            width = model._W.shape[2] if t else 0
            model.learn_one(x, y)
            if t == 100 + length:
                assert model._W.shape[2] > width  # (the pair granted on that row)
        return np.array(out)

    compiled, numpy_path = _on_both_paths(run)
    np.testing.assert_allclose(compiled, numpy_path, rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("compiled", [True, False])
def test_a_run_that_ends_at_a_new_level_keeps_what_the_readouts_learned(compiled, monkeypatch):
    """A short run of far targets also ends when the winsorised statistics reach a new
    level (a sine starting after a constant, read with standardize_rate=0.005): the
    start of a real change. Its rows stay learned; the readouts are put back only
    where the target comes back within 5 standard deviations of the statistics from
    before the run (before, this stream's forecasts moved: MAE over rows 400-999
    1.007 against 0.991)."""
    rng = np.random.default_rng(0)
    ys = np.zeros(600)
    ys[300:] = 10 * np.sin(np.arange(300) * 2 * np.pi / 12) + 0.3 * rng.normal(size=300)
    restored = []
    put_back = _target._TargetScaling._restore_readouts
    monkeypatch.setattr(
        _target._TargetScaling,
        "_restore_readouts",
        # (a call with nothing kept, the statistics' undo of a run with no copy, is
        # no restore)
        lambda self, kept: (kept is not None and restored.append(kept)) or put_back(self, kept),
    )
    previous = set_compiled(compiled)
    try:
        model = DREAMOnlineRegressor(seed=0, standardize_rate=0.005)
        copies = 0
        for y in ys:
            model.predict_one({})
            model.learn_one({}, float(y))
            copies += model._y_readouts is not None
    finally:
        set_compiled(previous)
    assert copies > 0  # (runs of far targets there were)
    assert restored == []


def test_a_trending_target_costs_the_regressor_no_more_as_the_stream_goes_on():
    """On a target with a trend, the mean of every target seen falls behind without
    bound, and the "average" readout, at the mixture's floor weight, added that lag's
    share to every prediction: the error grew with the stream (rows 9,000-10,000 at 1.4x
    rows 6,000-7,000 at a trend of 10 a row; 79 against the last value's 10 by row
    90,000; review 312). Its start is bounded to _AVG_CAP standard deviations from the
    running mean, on both paths alike."""
    from dream_sklearn.online._regressor import _AVG_CAP
    from dream_sklearn.online._target import T_AVG, T_MEAN

    rng = np.random.default_rng(0)
    rows = []
    for i in range(10_000):
        x = {"a": float(rng.normal()), "b": float(rng.normal())}
        rows.append((x, 10.0 * i + x["a"] + rng.normal()))
    predictions, far = {}, 0.0
    for compiled in (True, False):
        previous = set_compiled(compiled)
        try:
            model, got = DREAMOnlineRegressor(seed=0), []
            for x, y in rows:
                got.append(model.predict_one(x))
                model.learn_one(x, y)
                if compiled and model._y_scale():
                    stats = model._y_stats
                    far = max(far, abs(stats[T_AVG] - stats[T_MEAN]) / model._y_scale())
        finally:
            set_compiled(previous)
        predictions[compiled] = np.array(got)
    assert far > _AVG_CAP  # (the bound is reached)
    np.testing.assert_allclose(predictions[True], predictions[False], rtol=1e-12, atol=1e-9)
    err = np.abs(predictions[True] - np.array([y for _, y in rows]))
    assert err[9_000:].mean() <= 1.05 * err[6_000:7_000].mean()
    assert err[9_000:].mean() < np.abs(np.diff([y for _, y in rows]))[8_999:].mean()


def test_on_a_trending_target_the_average_readout_costs_little():
    """Bounded at 50 standard deviations from the running mean (round 50), the
    "average" readout, at the mixture's floor weight, still took the error on a trend
    of 10 a row to 4.4, against 1.2 without the readout (online_robust.py --part
    trend); it starts at most as far as a target is read, _CLIP (round 51)."""
    rng = np.random.default_rng(0)
    rows = []
    for i in range(10_000):
        x = {"a": float(rng.normal()), "b": float(rng.normal())}
        rows.append((x, 10.0 * i + x["a"] + rng.normal()))
    ys = np.array([y for _, y in rows])
    err = {}
    for readouts in (
        ("last", "cell", "pairs", "hold", "mean", "average"),
        ("last", "cell", "pairs", "hold", "mean"),
    ):
        model, got = DREAMOnlineRegressor(seed=0, readouts=readouts), []
        for x, y in rows:
            got.append(model.predict_one(x))
            model.learn_one(x, y)
        err[len(readouts)] = np.abs(np.array(got) - ys)[9_000:].mean()
    assert DREAMOnlineRegressor().readouts == ("last", "cell", "pairs", "hold", "mean", "average")
    assert err[6] <= 1.2 * err[5]


def _excursion_stream(n: int = 700, at: int = 400, length: int = 20, seed: int = 0) -> list:
    """``y = a + noise``, 1e6 higher on rows ``at`` to ``at + length - 1``: a far level
    shift that ends (review 357; ``benchmarks/online_robust.py --part excursion``)."""
    rng = np.random.default_rng(seed)
    a, b, noise = rng.normal(size=(3, n))
    level = np.where((np.arange(n) >= at) & (np.arange(n) < at + length), 1e6, 0.0)
    return [
        ({"a": float(a[t]), "b": float(b[t])}, float(level[t] + a[t] + noise[t])) for t in range(n)
    ]


def _regressor_errors(model, rows: list) -> np.ndarray:
    errors = []
    for x, y in rows:
        errors.append(abs(model.predict_one(x) - y))
        model.learn_one(x, y)
    return np.array(errors)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize(("kind", "amplitude"), [("held", 300.0), ("walk", 3000.0)])
def test_after_a_medium_shift_that_ends_the_mixture_comes_back_to_the_last_value(
    robust_bench, kind, amplitude, seed
):
    """On the return of a shift that lasted 25 rows, the readouts that start from the
    previous target err by the whole shift and a naive one (the mean of every target
    seen) by far less: with Fixed Share reading errors up to 50 spreads, that one row
    left every other readout at the share's floor, and over the 474 rows after (426-899),
    the model erred 2.6-3.2 times as much as the last value (review 383). Read up to 10
    (_regressor._LOSS_CAP, round 59): 1.18-1.22 times. Both paths alike."""
    # (online_robust.py --part excursion's second table's stream, shorter: rows 400-424
    # shifted, 900 rows)
    rows = robust_bench[0]._held_rows(kind, amplitude, 900, seed, at=400)
    ys = np.array([y for _, y in rows])
    last_value = np.abs(np.diff(ys))[425:899].mean()  # (the rows 426-899)
    errors = {}
    for compiled in (True, False):
        previous = set_compiled(compiled)
        try:
            errors[compiled] = _regressor_errors(DREAMOnlineRegressor(seed=seed), rows)
        finally:
            set_compiled(previous)
    np.testing.assert_allclose(errors[True], errors[False], rtol=1e-12, atol=1e-9)
    assert errors[True][426:].mean() < 1.5 * last_value


def test_a_random_walk_stuck_twenty_rows_far_out_costs_little_after():
    """A random walk's target stuck at 10,000 for 20 rows (one row beyond what a glitch's
    undo covers) from row 600, against a twin that never saw them: over the 500 rows
    from the second row after, 2.8 times the twin's MAE while Fixed Share read errors
    up to 50 spreads (the row the target came back left every readout but one at the
    share's floor), 1.02 with 10 (round 59; ``online_robust.py --part regression``)."""
    rng = np.random.default_rng(201)
    y = np.cumsum(rng.normal(size=1_200))
    rows = [({"x0": float(v)}, float(t)) for v, t in zip(rng.random(1_200), y, strict=True)]
    model = DREAMOnlineRegressor(seed=0)
    for x, target in rows[:600]:
        model.predict_one(x)
        model.learn_one(x, target)
    twin = copy.deepcopy(model)
    for x, _ in rows[600:620]:
        model.predict_one(x)
        model.learn_one(x, 10_000.0)
    error = twin_error = 0.0
    for i, (x, target) in enumerate(rows[620:1_121]):
        p, q = model.predict_one(x), twin.predict_one(x)
        if i:  # (the first row after is forecast from the stuck value, as the last value's)
            error, twin_error = error + abs(p - target), twin_error + abs(q - target)
        model.learn_one(x, target)
        twin.learn_one(x, target)
    assert error < 1.5 * twin_error


def _errors_with_the_spread_on_and_off(rows: list, monkeypatch) -> tuple:
    """``_regressor_errors`` of ``DREAMOnlineRegressor(seed=0)`` on ``rows``, then of
    one whose mixture's spread is off (its ratio 1: the NumPy path, where it can be
    turned off)."""
    on = _regressor_errors(DREAMOnlineRegressor(seed=0), rows)
    with monkeypatch.context() as patch:
        patch.setattr(_regressor, "_spread_ratio", lambda s, times: 1.0)
        off = _regressor_errors(DREAMOnlineRegressor(seed=0), rows)
    return on, off


@pytest.mark.parametrize("seed", [0, 1])
def test_a_far_shift_of_the_target_that_ends_costs_about_the_last_values_error(seed):
    """After a shift of 1e6 that lasted 20 rows, the mixture judges its readouts in the
    typical change from one target to the next, not in the running standard deviation
    the shift inflated (_target._spread_ratio): over the rows after the shift's end,
    the regressor errs about as the last value does (before: 2,566-4,375 times the
    noise's error on these streams). Both paths alike."""
    rows = _excursion_stream(seed=seed)
    ys = np.array([y for _, y in rows])
    last_value = np.abs(np.diff(ys))[420:699].mean()  # (the rows 421-699)
    errors, stats = {}, {}
    for compiled in (True, False):
        previous = set_compiled(compiled)
        try:
            model = DREAMOnlineRegressor(seed=seed)
            errors[compiled] = _regressor_errors(model, rows)
            stats[compiled] = model._y_stats.copy()
        finally:
            set_compiled(previous)
    np.testing.assert_allclose(errors[True], errors[False], rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(stats[True], stats[False], rtol=1e-12)  # (the change too)
    assert errors[True][421:].mean() < 1.2 * last_value


def test_the_mixtures_spread_changes_nothing_where_the_spread_stays_within_bounds(
    numpy_path, monkeypatch
):
    """Where the target's running standard deviation stays below _STEP_LOSS and
    _STEP_FAR times the typical change (Elec2's demand as the target, its level drifting
    by day), the regressor predicts to the bit as with the spread turned off; the
    shift of 1e6 is where it acts."""
    rows = [(dict(x), x["nswdemand"]) for x, _ in iter_elec2(n_rows=1500)]
    for x, _ in rows:
        x.pop("nswdemand")
    stream = _excursion_stream()
    (on, off), (on_shift, off_shift) = (
        _errors_with_the_spread_on_and_off(r, monkeypatch) for r in (rows, stream)
    )
    np.testing.assert_array_equal(on, off)
    assert off_shift[421:].mean() > 100 * on_shift[421:].mean()


def test_a_target_that_moves_again_after_a_constant_stretch_is_judged_as_before(
    numpy_path, monkeypatch
):
    """Noise, then 2,000 rows at 5.0, then the noise again: the typical change decays to
    nothing over the constant stretch, and the changes after it, far beyond it, come
    running, so they are taken in full from the 4th (_target._step_update). Winsorised
    all along (review 381), the mixture judged its readouts in a spread near 0 for
    hundreds of rows: MAE over the 600 rows after 1.291 against 0.927 with the spread
    off. Now within 1% of the spread off."""
    rng = np.random.default_rng(0)
    a, e = rng.normal(size=(2, 2900))
    y = a + e
    y[300:2300] = 5.0
    rows = [({"a": float(a[t])}, float(y[t])) for t in range(2900)]
    on, off = _errors_with_the_spread_on_and_off(rows, monkeypatch)
    assert on[2300:].mean() < 1.01 * off[2300:].mean()


@pytest.mark.parametrize("glitch", [False, True])
def test_a_target_held_ten_rows_then_jumping_is_judged_as_before(numpy_path, monkeypatch, glitch):
    """A value held 10 rows, then redrawn (a feature reads it): 9 changes of 0 to one
    jump. Winsorised, such changes drive the typical change to nothing; as the spread's
    only reference it left the mixture judging in a spread near 0, MAE 9 times the
    spread off's (review 382). The spread now turns on only after a far target, from
    the standard deviation before it: with no far target, or after one lone far target
    (set aside), the model errs as with the spread off, to within 1%."""
    rng = np.random.default_rng(0)
    a = rng.normal(size=3000)
    held = rng.normal(size=302)[(np.arange(3000) + 6) // 10]
    y = held.copy()
    if glitch:
        y[1500] = 1e3
    rows = [({"v": float(held[t] + 0.1 * a[t])}, float(y[t])) for t in range(3000)]
    on, off = _errors_with_the_spread_on_and_off(rows, monkeypatch)
    assert on[1600:].mean() < 1.01 * off[1600:].mean()


def test_after_a_held_value_s_shift_ends_the_knn_expert_costs_nothing(robust_bench):
    """A value redrawn every 10 rows, 3,000 higher for 25 rows (online_robust.py --part
    excursion's stream, seed 1): most rows change by 0, the typical change near 0
    (1e-5). Read in it on the row after a redraw (a jump in that unit; a rule tried
    in round 65, not kept), a difference of 0.3 between the experts was Fixed Share's
    cap, the expert took 0.999 of the weight on that row, and stayed in play after the
    shift ended, its window still at 3,000 (MAE over the 475 rows after 0.849, 0.140
    without the expert). Read in the running standard deviation, it stays out of
    play."""
    rows = robust_bench[0]._held_rows("held", 3000.0, 1600, 1)
    ys = np.array([y for _, y in rows])
    errors = {}
    for k in ("auto", 0):
        errors[k] = _regressor_errors(DREAMOnlineRegressor(seed=1, n_neighbors=k), rows)
    after = slice(1026, 1501)
    assert errors["auto"][after].mean() < 1.1 * errors[0][after].mean()
    assert np.abs(np.diff(ys))[1025:1500].mean() < 0.2  # (the value held: few changes)


def test_the_regression_errors_under_a_delay_by_hand(robust_bench):
    """``_regression_errors``: each row's absolute error, predicted before its label;
    under ``delay=2`` the no-change baseline predicts the target two rows back, and
    None (no label yet: rows 0 and 1) reads 0.0."""
    bench, streams = robust_bench
    ys = [float(i * i) for i in range(8)]
    rows = [({"x": float(i)}, y) for i, y in enumerate(ys)]
    late = bench._regression_errors(rows, streams.NoChange(), 2)
    assert late.tolist() == [ys[0], ys[1]] + [ys[i] - ys[i - 2] for i in range(2, 8)]
    now = bench._regression_errors(rows, streams.NoChange(), None)
    assert now.tolist() == [ys[0]] + [ys[i] - ys[i - 1] for i in range(1, 8)]


def test_the_delay_regression_part_prints_each_models_two_maes(robust_bench, capsys, monkeypatch):
    """``--part delay-regression`` on a hand-made regression stream: a row per model in
    order, the no-change baseline's MAEs over rows 50 on as computed by hand (the
    target one row back, and 50 rows back), their ratio, and the advancing regressor
    without a delay equal to the default model."""
    bench, streams = robust_bench
    rng = np.random.default_rng(0)
    ys = np.cumsum(rng.normal(size=90)).tolist()
    rows = [({"a": float(v)}, y) for v, y in zip(rng.normal(size=90), ys, strict=True)]
    hand = streams.Stream(
        "hand", "tuning", "regression", "none", lambda seed, n: iter(rows[:n]), None, False, 90
    )
    monkeypatch.setattr(streams, "STREAMS", {"hand": hand})
    bench.delay_regression(90, 1)
    lines = [line for line in capsys.readouterr().out.splitlines() if "| hand |" in line]
    models = [line.split(" | ")[2] for line in lines]
    assert models == [
        "last-value",
        "mean",
        "LinReg",
        "HATR",
        "ARFR",
        "DREAM",
        "DREAM advance",
        "DREAM, no previous target",
        "DREAMDelayedRegressor",
    ]
    cells = [[float(c.split(" (")[0]) for c in line.strip("| ").split(" | ")[3:]] for line in lines]
    y = np.array(ys)
    now, late = np.abs(y[50:] - y[49:-1]).mean(), np.abs(y[50:] - y[:-50]).mean()
    assert cells[0] == pytest.approx([now, late, late / now], rel=1e-3)
    assert cells[6][0] == cells[5][0]  # (no delay: advance_on_predict is the default model)
    assert cells[6][1] != cells[5][1]
