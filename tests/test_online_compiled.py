"""The online estimators' compiled row computes what the NumPy path computes.

Each test runs the same stream twice, once with the compiled row (numba kernels)
and once on the NumPy path only (``set_compiled(False)``), and compares every
prediction (the regressor's with its target statistics, row by row) and the learned
state (``STATE``, ``TARGET``, the replay ring ``RING``) to 1e-12. The streams are
Elec2's first 2,000 rows, changed so that growth events (a feature that appears
mid-stream, a new class), missing values (NaN, None, absent keys), a drift and
(regressor) targets set aside happen in them.
The first compile of the kernels takes about half a minute; numba caches them
on disk for the next run.
"""

import pickle
from functools import partial

import numpy as np
import pandas as pd
import pytest
from river.datasets import synth

from dream_sklearn.datasets import iter_elec2
from dream_sklearn.online import (
    DREAMOnlineClassifier,
    DREAMOnlineRegressor,
    _compiled,
    _target,
    compiled_available,
    set_compiled,
)
from dream_sklearn.online._base import _DREAMOnline

pytestmark = pytest.mark.skipif(not compiled_available(), reason="numba is not installed")

N_ROWS = 2000
TOL = 1e-12


def _elec2_rows():
    return list(iter_elec2(N_ROWS))


ELEC2 = _elec2_rows()


def classification_stream(n=N_ROWS):
    """Elec2 with: a feature from row 500 on, a third class from row 1200 on, the
    labels flipped from row 900 (a drift), NaN / None / absent values now and then."""
    rows, ys = [], []
    for i, (x, y) in enumerate(ELEC2[:n]):
        x = dict(x)
        if i >= 500:
            x["extra"] = x["nswprice"] * x["period"]
        if i % 97 == 5:
            x["vicprice"] = float("nan")
        if i % 131 == 7:
            x["transfer"] = None
        if i % 71 == 3:
            del x["vicdemand"]
        label = "up" if y else "down"
        if i >= 900:
            label = "down" if y else "up"
        if i >= 1200 and x["period"] > 0.8:
            label = "late"
        rows.append(x)
        ys.append(label)
    return rows, ys


def plain_stream(n=N_ROWS):
    """Elec2 as it is (no missing values)."""
    return [dict(x) for x, _ in ELEC2[:n]], [y for _, y in ELEC2[:n]]


def regression_stream(n=N_ROWS):
    """Elec2's demand as the target, the rest as features; a feature from row 600
    on, a target far out on row 700 (set aside) and on three rows from 800 (the first
    set aside, the next two taken in winsorised), a target ten times as large and
    noisy from row 1000 on (a drift: one row set aside, two winsorised, then taken in
    in full), missing values now and then."""
    rows, ys = [], []
    noise = np.random.default_rng(0).normal(scale=3.0, size=n)
    for i, (x, _) in enumerate(ELEC2[:n]):
        x = dict(x)
        y = x.pop("nswdemand") * 10.0 + noise[i] if i >= 1000 else x.pop("nswdemand")
        if i == 700 or 800 <= i < 803:
            y = 1e4 if i % 2 else -1e6
        if i >= 600:
            x["extra"] = x["nswprice"] - x["vicprice"]
        if i % 89 == 4:
            x["transfer"] = float("nan")
        if i % 113 == 9:
            del x["period"]
        rows.append(x)
        ys.append(y)
    return rows, ys


STATE = (
    "_W",
    "_weights",
    "_age",
    "_stat_mean",
    "_stat_var",
    "_stat_scale",
    "_count",
    "_range",
    "_n_over",
    "_undo",
    "_undo_n",
    "_first",
    "_absent",
    "_y_first",  # (the regressor's first targets; None on the classifier)
    "_prev_y",
    "_prev_u",
)
# The regressor's target statistics (None on the classifier).
TARGET = ("_y_count", "_y_mean", "_y_var", "_y_avg", "_last_y", "_y_run")
# The classifier's replay ring (_readouts.py _new_ring / _record; the regressor keeps
# none); any other attribute whose name starts with "_ring" is compared too.
RING = ("_ring", "_ring_rows", "_ring_at")


def run(model, rows, ys, compiled, proba=True):
    """Predictions of predict_(proba_)one then learn_one on each row (the regressor's
    with its target statistics after the row: ``(prediction, *TARGET)``), and the model."""
    previous = set_compiled(compiled)
    try:
        preds = []
        for i, (x, y) in enumerate(zip(rows, ys, strict=True)):
            if isinstance(model, DREAMOnlineClassifier):
                p = model.predict_proba_one(x) if proba or i % 2 else model.predict_one(x)
                preds.append(p)
            else:
                p = model.predict_one(x)
            model.learn_one(x, y)
            if isinstance(model, DREAMOnlineRegressor):  # and its target state, row by row
                preds.append((p, *(getattr(model, name) for name in TARGET)))
    finally:
        set_compiled(previous)
    return preds, model


def assert_same(a_preds, a, b_preds, b):
    assert len(a_preds) == len(b_preds)
    for pa, pb in zip(a_preds, b_preds, strict=True):
        if isinstance(pa, dict):
            assert pa.keys() == pb.keys()
            np.testing.assert_allclose(list(pa.values()), list(pb.values()), rtol=0, atol=TOL)
        elif isinstance(pa, tuple):  # (prediction, *TARGET); None: no previous target
            va, vb = (np.array(v, dtype=float) for v in (pa, pb))
            np.testing.assert_allclose(va, vb, rtol=TOL, atol=TOL)
        elif isinstance(pa, float):
            assert abs(pa - pb) <= TOL * max(1.0, abs(pa))
        else:
            assert pa == pb
    ring = {k for k in (*vars(a), *vars(b)) if k.startswith("_ring")}
    for name in (*STATE, *TARGET, *RING, *sorted(ring - set(RING))):
        va, vb = getattr(a, name, None), getattr(b, name, None)
        if va is None or vb is None:
            assert va is None and vb is None, name
            continue
        np.testing.assert_allclose(va, vb, rtol=0, atol=TOL, err_msg=name)
    for sa, sb in zip(a._state, b._state, strict=True):
        np.testing.assert_allclose(sa, sb, rtol=0, atol=TOL)
    assert a.n_steps_ == b.n_steps_ and a.n_drifts_ == b.n_drifts_
    assert abs(a.last_surprise_ - b.last_surprise_) <= TOL
    assert abs(a.last_tau_ - b.last_tau_) <= TOL
    assert a._running == b._running and a._warming == b._warming


def compiled_learns(fn):
    """``fn()`` and how many rows learn_one learned in the compiled row meanwhile."""
    original, count = _DREAMOnline._fast_learn, [0]

    def spy(self, x, y):
        done = original(self, x, y)
        count[0] += done
        return done

    _DREAMOnline._fast_learn = spy
    try:
        return fn(), count[0]
    finally:
        _DREAMOnline._fast_learn = original


def compare(make, stream, n=N_ROWS, proba=True):
    rows, ys = stream(n)
    np_preds, np_model = run(make(), rows, ys, compiled=False, proba=proba)
    (c_preds, c_model), learned = compiled_learns(
        lambda: run(make(), rows, ys, compiled=True, proba=proba)
    )
    assert learned > n // 2  # most rows learned in the compiled row
    assert np_model._fast is None
    # The compiled row did run: the model's arrays are views of its buffers.
    assert c_model._fast is not None
    assert np.shares_memory(c_model._W, c_model._fast.fb)
    assert_same(c_preds, c_model, np_preds, np_model)
    return c_model


def sparse_stream(n=N_ROWS):
    """Elec2 with sparse features (river's rows that leave a zero out): a flag 1.0
    present only when set (the period past noon), a one-hot quarter of the day with
    only the quarter's key (``OneHotEncoder(drop_zeros=True)``), and a flag that takes a
    second value (2.0) from row 1,000 on; the label flipped from row 900."""
    rows, ys = plain_stream(n)
    for i, x in enumerate(rows):
        if x["period"] > 0.5:
            x["afternoon"] = 1.0
        x[f"quarter_{min(int(x['period'] * 4), 3)}"] = 1.0
        if i % 3 == 0:
            x["flag"] = 2.0 if i >= 1000 and i % 2 else 1.0
        if i >= 900:
            ys[i] = not ys[i]
    return rows, ys


def for_task(make, stream, target):
    """``stream`` as ``make``'s task reads it: with its labels, or with the regressor's
    targets ``target(rows, labels)``."""
    if make is not DREAMOnlineRegressor:
        return stream

    def regression(n=N_ROWS):
        rows, ys = stream(n)
        return rows, target(rows, ys)

    return regression


@pytest.mark.parametrize("make", [DREAMOnlineClassifier, DREAMOnlineRegressor])
def test_sparse_indicator_slots_match_numpy(make):
    stream = for_task(make, sparse_stream, lambda rows, _: [x.pop("nswdemand") for x in rows])
    model = compare(lambda: make(seed=0), stream)
    m = model._x_slot
    assert model._absent[m["afternoon"]] == 1.0 and model._absent[m["nswprice"]] == 0.0
    ind = model._indicator()
    assert ind[m["afternoon"]] and ind[m["quarter_2"]]  # read as indicators
    assert not ind[m["flag"]] and not ind[m["nswprice"]]  # two values; never absent
    # pairs only between slots some row has together (_grant_pairs): never two quarters,
    # which wait apart, but a quarter past noon and the afternoon flag
    quarters = [m[f"quarter_{q}"] for q in range(4)]
    slots = {frozenset(p) for p in (model._pairs // len(model._knots)).T.tolist()}
    assert not any(frozenset((a, b)) in slots for a in quarters for b in quarters if a != b)
    assert frozenset((m["quarter_3"], m["afternoon"])) in slots
    assert frozenset((m["quarter_0"], m["afternoon"])) not in slots
    assert {frozenset(p) for p in model._apart.T.tolist()} >= {
        frozenset((a, b)) for a in quarters for b in quarters if a < b
    }


def wide_stream(n=N_ROWS):
    """One-hot rows of 40 categories (the row's category's key alone, as
    ``OneHotEncoder(drop_zeros=True)`` gives it) beside two numeric features: pairs
    granted as categories meet the numeric features, never two categories (they wait
    apart, _FeatureMap._grant_pairs); the label flips from row 1,200 on."""
    rng = np.random.default_rng(3)
    rows, ys = [], []
    for i in range(n):
        c, a, b = int(rng.integers(0, 40)), float(rng.normal()), float(rng.normal())
        rows.append({f"cat_{c}": 1.0, "x0": a, "x1": b})
        ys.append(bool((c % 3 == 0) ^ (a > 0.5)) ^ (i >= 1200))
    return rows, ys


@pytest.mark.parametrize("make", [DREAMOnlineClassifier, DREAMOnlineRegressor])
def test_wide_sparse_rows_match_numpy(make):
    stream = for_task(
        make,
        wide_stream,
        lambda rows, ys: [float(y) + x["x1"] for x, y in zip(rows, ys, strict=True)],
    )
    # (5 knots: the count below; the classifier's default for this first row of three
    # keys, 9, is compared in test_auto_knots_match_numpy)
    model = compare(lambda: make(seed=0, n_knots=5), stream)
    # every category's pairs with the numeric features (25 each), and theirs: 81 x 25
    assert model._pairs.shape[1] == (2 * 40 + 1) * 25
    assert model._apart.shape[1] == 40 * 39 // 2  # two categories: never in a row


def test_auto_knots_match_numpy():
    """The classifier's default knots, by its first row's features (round 60): 9 for
    the wide stream's three keys, every product of their ramps between them (3 pairs of
    slots, 81 each), 5 of the 9 knots in each pair with a category that came later (the
    other 39, with each numeric feature: 25 each); 15 for two numeric features; both
    paths the same."""
    model = compare(lambda: DREAMOnlineClassifier(seed=0), wide_stream)
    assert len(model._knots) == 9
    assert model._pairs.shape[1] == 3 * 81 + 39 * 2 * 25
    assert model._apart.shape[1] == 40 * 39 // 2  # two categories: never in a row

    def two_features(n=N_ROWS):
        rows, ys = wide_stream(n)
        return [{"x0": x["x0"], "x1": x["x1"]} for x in rows], ys

    model = compare(lambda: DREAMOnlineClassifier(seed=0), two_features)
    assert len(model._knots) == 15 and model._pairs.shape[1] == 15 * 15


def test_classifier_default_matches_numpy():
    model = compare(lambda: DREAMOnlineClassifier(seed=0), classification_stream, proba=False)
    assert model.n_drifts_ >= 1  # drift recovery acted (new readouts mid-stream)
    assert model._ring is not None and model._ring_at[0] > 0  # the ring was compared
    assert model.classes_ == ["up", "down", "late"]
    assert "extra" in model.features_


@pytest.mark.parametrize(
    "readouts",
    [("linear",), ("cell",), ("pairs",), ("linear", "cell"), ("cell", "pairs")],
)
def test_classifier_readouts_match_numpy(readouts):
    compare(lambda: DREAMOnlineClassifier(seed=1, readouts=readouts), classification_stream)


@pytest.mark.parametrize(
    "params",
    [
        {"feedback": "readout"},
        {"feedback": "none", "drift_recovery": False},
        {"slow_rate": None, "n_knots": 0},
        {"l2": 0.01, "surprise_gain": 2.0, "max_pairs": 30},
        {"missing": "raise", "hidden_dim": 8, "rank": 2},
        {"cell_params": {"surprise_mode": "absolute", "sleep_enabled": False}},
        {"cell_params": {"plasticity_enabled": False, "ltc_enabled": False}},
        {"n_neighbors": 5, "neighbors_window": 300},
        {"n_neighbors": 1, "feedback": "none", "missing": "raise"},
    ],
)
def test_classifier_options_match_numpy(params):
    stream = plain_stream if params.get("missing") == "raise" else classification_stream
    compare(lambda: DREAMOnlineClassifier(seed=2, **params), stream)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"readouts": ("last",)},
        {"readouts": ("hold", "mean", "cell")},
        {"readouts": ("average", "cell"), "standardize_rate": 0.1},
        {"readouts": ("average",), "feedback": "none", "drift_recovery": False},
        {"readouts": ("cell",), "slow_rate": 0.0},
        {"readouts": ("pairs", "linear"), "n_knots": 0},
        {"feedback": "readout", "drift_recovery": False, "l2": 0.01},
        {"feedback": "none", "surprise_gain": 1.0},
        {"n_neighbors": 5, "neighbors_window": 300},
    ],
)
def test_regressor_matches_numpy(params):
    model = compare(lambda: DREAMOnlineRegressor(seed=3, **params), regression_stream)
    assert "extra" in model.features_


def test_regressor_drift_recovery_acts():
    model = compare(lambda: DREAMOnlineRegressor(seed=4), regression_stream)
    assert model.n_drifts_ >= 1


def glitch_stream(n=N_ROWS):
    """Elec2 with glitches in its running statistics (_scaling._UNDO_ROWS): nswprice
    at 1e30 on rows 300-303 (undone), period at -1e30 on rows 600-609 with the
    feature absent on row 605 and NaN on row 612 (undone), nswdemand moved by +50
    for good from row 1100 (kept), day at 1e30 for 150 rows from row 1500 (the
    kept statistics dropped, then taken in)."""
    rows, ys = plain_stream(n)
    for i, x in enumerate(rows):
        if 300 <= i < 304:
            x["nswprice"] = 1e30
        if 600 <= i < 610:
            x["period"] = -1e30
        if i == 605:
            del x["period"]
        if i == 612:
            x["period"] = float("nan")
        if i >= 1100:
            x["nswdemand"] += 50.0
        if 1500 <= i < 1650:
            x["day"] = 1e30
    return rows, ys


@pytest.mark.parametrize(
    "make",
    [
        lambda: DREAMOnlineClassifier(seed=6),
        lambda: DREAMOnlineClassifier(seed=6, slow_rate=None),
        lambda: DREAMOnlineRegressor(seed=6),
    ],
    ids=["classifier", "classifier-one-scaling", "regressor"],
)
def test_a_glitch_undone_matches_numpy(make):
    rows, ys = glitch_stream()
    if isinstance(make(), DREAMOnlineRegressor):  # Elec2's clean price and period
        ys = [x["nswprice"] + x["period"] for x, _ in ELEC2[:N_ROWS]]

    def stream(n):
        return rows[:n], ys[:n]

    model = compare(make, stream)
    for name in ("nswprice", "period"):  # undone: no 1e30 left in any scaling
        assert np.abs(model._stat_mean[:, model._x_slot[name]]).max() < 1e3, name
    # The real shift kept: the statistics follow nswdemand to its new level.
    assert model._stat_mean[0, model._x_slot["nswdemand"]] > 40.0
    # day's kept statistics dropped (the run outlasted _UNDO_ROWS): taken in.
    assert np.abs(model._stat_mean[:, model._x_slot["day"]]).min() > 1e3
    assert not model._undo_n.any()


def test_the_kernels_tanh_is_numpys_within_two_ulps_of_one():
    """The compiled row's tanh (``_numba_ops.tanh``: 1 - 2 / (exp(2a) + 1), half the
    time of libm's) against NumPy's, near 0, where it saturates, where exp overflows
    (a > 354), at the infinities and NaN."""
    numba = pytest.importorskip("numba")
    from dream_sklearn.nn import _numba_ops

    tanh = numba.njit(lambda a: _numba_ops.tanh(a))
    extremes = [0.0, -0.0, 5e-324, -1e-300, 1e-9, 354.0, 355.0, -400.0, 1e6, np.inf, -np.inf]
    a = np.concatenate([np.linspace(-30.0, 30.0, 20_001), extremes])
    got = tanh(a)
    np.testing.assert_allclose(got, np.tanh(a), rtol=0.0, atol=4.5e-16)
    assert np.abs(got).max() == 1.0  # (never past the bounds)
    assert np.isnan(tanh(np.array([np.nan]))[0])


def test_fallback_without_numba(monkeypatch):
    """With numba missing, every row takes the NumPy path, with the same results."""
    rows, ys = classification_stream(600)
    c_preds, c_model = run(DREAMOnlineClassifier(seed=5), rows, ys, compiled=True)
    monkeypatch.setattr(_compiled, "_AVAILABLE", False)  # as _unavailable() leaves them
    monkeypatch.setattr(_compiled, "_ON", False)
    assert not compiled_available()
    f_preds, f_model = run(DREAMOnlineClassifier(seed=5), rows, ys, compiled=True)
    assert f_model._fast is None
    assert_same(c_preds, c_model, f_preds, f_model)


def test_a_kernel_that_would_return_an_array_turns_the_compiled_row_off(monkeypatch):
    """The kernels read their buffers without an owner (_kernels._borrowed), so an
    array must never leave them: the first compiled row checks that both return a
    float, and otherwise warns and leaves every row to the NumPy path."""
    import numba

    from dream_sklearn.online import _kernels

    class _ReturnsAnArray:  # the real kernel, seen as one that returns an array
        def __init__(self, real):
            self.real = real

        def compile(self, sig):
            return self.real.compile(sig)

        @property
        def nopython_signatures(self):
            return [numba.types.float64[:](*sig.args) for sig in self.real.nopython_signatures]

    for name in ("_AVAILABLE", "_ON", "_CHECKED", "_ENTRY"):  # (restored afterwards)
        monkeypatch.setattr(_compiled, name, getattr(_compiled, name))
    monkeypatch.setattr(_compiled, "_CHECKED", False)
    monkeypatch.setattr(_compiled, "_ENTRY", ())
    monkeypatch.setattr(_kernels, "forward", _ReturnsAnArray(_kernels.forward))
    rows, ys = classification_stream(200)
    with pytest.warns(RuntimeWarning, match="must return a float64"):
        preds, model = run(DREAMOnlineClassifier(seed=5), rows, ys, compiled=True)
    assert not compiled_available() and model._fast is None
    monkeypatch.setattr(_compiled, "_AVAILABLE", False)
    n_preds, n_model = run(DREAMOnlineClassifier(seed=5), rows, ys, compiled=False)
    assert_same(preds, model, n_preds, n_model)


def test_pickle_mid_stream_continues_alike():
    """A pickled model (its arrays views of the buffers) continues as the original."""
    rows, ys = classification_stream(800)
    _, model = run(DREAMOnlineClassifier(seed=6), rows[:400], ys[:400], compiled=True)
    assert model._fast is not None
    copy = pickle.loads(pickle.dumps(model))
    assert copy._fast is None
    (a_preds, a), learned_a = compiled_learns(lambda: run(model, rows[400:], ys[400:], True))
    (b_preds, b), learned_b = compiled_learns(lambda: run(copy, rows[400:], ys[400:], True))
    assert learned_a > 300 and learned_b > 300
    assert_same(a_preds, a, b_preds, b)


@pytest.mark.parametrize(
    "older", ["separate attributes", "before the run and average", "before the typical change"]
)
def test_a_regressor_pickled_before_its_target_statistics_were_one_array(older):
    """A regressor pickled when its target statistics were attributes of their own
    (``_y_count``, ``_y_mean``...; ``_y_avg`` and ``_y_run`` came later: their
    defaults then were 0), or one array without the typical change from one target to
    the next (``T_STEP``, ``T_STEPS``: 0, counted again from the next target), loads
    into ``_y_stats`` and continues as the original (the typical change counts only
    where the target's spread outgrows it: not on this stream). Such pickles predate
    the kNN expert by default (round 63), so the model has none: since round 64 the
    expert also runs on the row after a jump of the target, which the typical change
    counted again finds on other rows."""
    rows, ys = regression_stream(1200)
    model = DREAMOnlineRegressor(seed=3, n_neighbors=0)
    _, model = run(model, rows[:600], ys[:600], compiled=True)
    state = model.__getstate__()
    stats = state.pop("_y_stats")
    if older == "before the typical change":
        state["_y_stats"] = stats[: _target.T_STEP].copy()
    else:
        state.update(_y_count=int(stats[0]), _y_mean=float(stats[1]), _y_var=float(stats[2]))
        state.update(_last_y=float(stats[3]) if stats[4] else None)
    if older == "separate attributes":
        state.update(_y_avg=float(stats[5]), _y_run=int(stats[6]))
    elif older == "before the run and average":  # (nor the first targets, nor a glitch's)
        for name in ("_y_first", "_y_undo", "_y_undo_left", "_y_undo_ok"):
            state.pop(name)
    old = DREAMOnlineRegressor.__new__(DREAMOnlineRegressor)
    old.__setstate__(pickle.loads(pickle.dumps(state)))
    assert "_y_mean" not in old.__dict__
    assert stats[_target.T_STEPS] == 599 and stats[_target.T_STEP] > 0.0
    expected = stats.copy()
    expected[_target.T_STEP :] = 0.0
    if older == "before the run and average":
        expected[5:] = 0.0
    np.testing.assert_array_equal(old._y_stats, expected)
    (b_preds, b), learned = compiled_learns(lambda: run(old, rows[600:], ys[600:], True))
    assert learned > 500 and old._y_count > stats[0] + 500
    assert old._y_stats[_target.T_STEPS] == 600
    if older != "before the run and average":  # the same model: it goes on alike
        (a_preds, a), _ = compiled_learns(lambda: run(model, rows[600:], ys[600:], True))
        assert_same(a_preds, a, b_preds, b)
    else:  # the average and the run it lacked start again at 0: it goes on, finite
        assert np.isfinite([p[0] for p in b_preds]).all()


def test_bad_values_still_raise_as_on_the_numpy_path():
    rows, ys = classification_stream(50)
    _, model = run(DREAMOnlineClassifier(seed=7), rows, ys, compiled=True)
    x = dict(rows[10])
    x["period"] = float("inf")
    with pytest.raises(ValueError, match="'period' has a non-finite value"):
        model.learn_one(x, "up")
    x["period"] = "1.5"
    with pytest.raises(ValueError, match="'period' has a non-numeric value"):
        model.predict_one(x)
    assert model.n_steps_ == 50


def test_set_compiled_validates():
    with pytest.raises(TypeError, match="set_compiled takes True or False"):
        set_compiled("yes")


def test_a_row_refused_part_way_between_predict_and_learn():
    """predict_one(x), then a row the kernel refuses part-way (its last value too
    large, after it has read the others), then learn_one(x): x is learned as on
    the NumPy path (the work buffers no longer hold x's reading: x is read again)."""
    rows, ys = plain_stream(400)
    runs = []
    for compiled in (True, False):
        _, model = run(DREAMOnlineClassifier(seed=3), rows[:300], ys[:300], compiled=compiled)
        previous = set_compiled(compiled)
        try:
            preds = []
            for x, y in zip(rows[300:], ys[300:], strict=True):
                preds.append(model.predict_proba_one(x))
                bad = {k: v * 7.0 + 1.0 for k, v in x.items()}
                bad[list(bad)[-1]] = 1e300
                with pytest.raises(ValueError, match="too large"):
                    model.predict_one(bad)
                model.learn_one(x, y)
        finally:
            set_compiled(previous)
        runs.append((preds, model))
    assert runs[0][1]._fast is not None
    assert_same(*runs[0], *runs[1])


def first_far_stream(n=N_ROWS):
    """Elec2 with far values among a slot's first 8 (_scaling._first_outliers):
    nswprice at 1e30 on row 3 (set aside on row 7), period absent on row 2 and at
    -1e6 on row 6 (set aside on row 8), a feature from row 500 on at 1e30 on its
    3rd row (set aside on its 8th, in the compiled row) and at 1e6 on its 12th (set
    aside by the rule for later values), a feature from row 600 on at 1e30 on its 8th
    and 9th values (the 8th dropped by the test, the 9th set aside by the rule for
    later values), and a feature from row 700 that is 0 but for one 1 (kept); a pair:
    nswdemand at 1e30 on rows 1 and 5 (both set aside on row 7), a feature from row
    800 on at -1e6 and 1e6 on its 2nd and 8th values (in the compiled row)."""
    rows, ys = plain_stream(n)
    for i, x in enumerate(rows):
        if i in (1, 5):
            x["nswdemand"] = 1e30
        if i >= 800:
            x["late3"] = -1e6 if i == 801 else 1e6 if i == 807 else x["transfer"] - x["period"]
        if i == 3:
            x["nswprice"] = 1e30
        if i == 2:
            del x["period"]
        if i == 6:
            x["period"] = -1e6
        if i >= 500:
            x["late"] = 1e30 if i == 502 else 1e6 if i == 511 else x["nswprice"] * x["period"]
        if i >= 600:
            x["late2"] = 1e30 if i in (607, 608) else x["vicprice"] + x["period"]
        if i >= 700:
            x["rare"] = 1.0 if i == 703 else 0.0
    return rows, ys


@pytest.mark.parametrize(
    "make",
    [
        lambda: DREAMOnlineClassifier(seed=7),
        lambda: DREAMOnlineClassifier(seed=7, standardize_rate=0.5, slow_rate=0.2),
        lambda: DREAMOnlineRegressor(seed=7),
        lambda: DREAMOnlineRegressor(seed=7, feedback="readout", slow_rate=0.0),
    ],
    ids=["classifier", "classifier-fast-rates", "regressor", "regressor-slow"],
)
def test_a_far_value_among_a_slots_first_eight_matches_numpy(make):
    rows, ys = first_far_stream()
    if isinstance(make(), DREAMOnlineRegressor):  # Elec2's demand, 1e4 on row 4:
        # the previous target's slot has it on row 5, among its first 8 values, and
        # the target's own first 8 drop it on row 7 (the compiled run tests them in
        # Python after the kernel's update of that row, in the array the kernel reads)
        ys = [1e4 if i == 4 else x["nswdemand"] for i, (x, _) in enumerate(ELEC2[:N_ROWS])]

    def stream(n):
        return rows[:n], ys[:n]

    model = compare(make, stream)
    for name in ("nswprice", "period", "late", "late2", "nswdemand", "late3"):  # set aside:
        j = model._x_slot[name]
        assert np.abs(model._stat_mean[:, j]).max() < 1e3, name
        assert np.abs(model._range[:, j]).max() < 1e3, name
    assert model._range[1, model._x_slot["rare"]] == 1.0  # the rare 1 kept
    if isinstance(model, DREAMOnlineRegressor):  # the previous target's slot: 1e4 set aside
        assert np.abs(model._stat_mean[:, model._y_slot[None]]).max() < 1e3


@pytest.mark.parametrize("far_rows", [(3,), (7,), (7, 8), (2, 5), (1, 7)])
@pytest.mark.parametrize("feedback", ["cell", "none"])
def test_a_far_target_among_the_first_eight_matches_numpy(far_rows, feedback):
    """The regressor's first 8 targets tested on both paths alike: 1e30 on row 3, on
    row 7 (the 8th target: the previous target falls back to the 7th), on rows 7
    and 8 (the 9th then judged by the rule for later targets), and a pair (rows 2 and
    5, 1 and 7: each found against the other 6). Over 500 rows: the far targets are
    among the first 9, and the options' runs over 2,000 rows are the tests above."""

    def stream(n):
        rows, _ = plain_stream(n)
        ys = [x.pop("nswdemand") for x in rows]
        return rows, [1e30 if i in far_rows else y for i, y in enumerate(ys)]

    model = compare(lambda: DREAMOnlineRegressor(seed=7, feedback=feedback), stream, n=500)
    assert abs(model._y_avg) < 1e3 and abs(model._y_mean) < 1e3


def test_river_memory_usage_counts_the_estimator_not_numba():
    """river's _memory_usage walks every object an estimator refers to; the compiled
    row's kernels, held by each estimator, took it into numba's compiled library:
    2.85 MiB for a classifier whose own memory is about 0.3 (a review's measurement)."""
    model = DREAMOnlineClassifier(seed=0)
    for x, y in synth.SEA(seed=1).take(300):
        model.predict_one(x)
        model.learn_one(x, y)
    assert model._fast is not None  # (the compiled row ran)
    assert model._raw_memory_usage < 1_000_000


def run_frames(model, rows, ys, compiled, size=250):
    """predict_many then learn_many over frames of ``size`` rows (a feature absent
    from a row is NaN in its frame): every prediction, and the model."""
    previous = set_compiled(compiled)
    try:
        preds = []
        for start in range(0, len(rows), size):
            X = pd.DataFrame(
                rows[start : start + size],
                index=range(start, start + len(rows[start : start + size])),
            )
            preds += model.predict_many(X).tolist()
            if isinstance(model, DREAMOnlineClassifier):
                preds += model.predict_proba_many(X).to_dict("records")
            model.learn_many(X, ys[start : start + size])
    finally:
        set_compiled(previous)
    return preds, model


def frame_paths(fn):
    """``fn()``, the rows learned in the compiled row meanwhile, and how many frames
    a built model's predict_many or predict_proba_many read on the NumPy path (its
    batch: ``_forward_many``)."""
    commit, batch, count = _DREAMOnline._fast_commit, _DREAMOnline._forward_many, [0, 0]

    def spy_commit(self, y):
        done = commit(self, y)
        count[0] += done
        return done

    def spy_batch(self, X):
        count[1] += self._built
        return batch(self, X)

    _DREAMOnline._fast_commit, _DREAMOnline._forward_many = spy_commit, spy_batch
    try:
        return fn(), count[0], count[1]
    finally:
        _DREAMOnline._fast_commit, _DREAMOnline._forward_many = commit, batch


@pytest.mark.parametrize("neighbors", [0, 5])
@pytest.mark.parametrize(
    "make, stream",
    [(DREAMOnlineClassifier, classification_stream), (DREAMOnlineRegressor, regression_stream)],
)
def test_frames_match_numpy(make, stream, neighbors):
    """learn_many, predict_many and predict_proba_many read a frame's rows in the
    compiled row (no dict per row, no NumPy batch): the same predictions and state as
    the NumPy path's, through the stream's growth events (a feature, a class that
    first appear within a frame), missing values and targets set aside; the kNN
    expert's too."""
    rows, ys = stream(1500)
    np_preds, np_model = run_frames(make(seed=2, n_neighbors=neighbors), rows, ys, compiled=False)
    (c_preds, c_model), commits, batches = frame_paths(
        lambda: run_frames(make(seed=2, n_neighbors=neighbors), rows, ys, compiled=True)
    )
    assert commits > 1400  # every row but the growth events, in the compiled row
    assert batches == 0
    assert np.shares_memory(c_model._W, c_model._fast.fb)
    assert_same(c_preds, c_model, np_preds, np_model)


def test_predict_many_between_predict_one_and_learn_one():
    """predict_many leaves its frame's last row in the compiled row's work buffers:
    a learn_one after it reads its own row again, though predict_one read it before."""
    rows, ys = plain_stream(400)
    a, b = DREAMOnlineClassifier(seed=3), DREAMOnlineClassifier(seed=3)
    for x, y in zip(rows[:300], ys[:300], strict=True):
        a.predict_one(x)
        a.learn_one(x, y)
        b.learn_one(x, y)
    frame = pd.DataFrame(rows[350:400])
    for x, y in zip(rows[300:], ys[300:], strict=True):
        a.predict_one(x)
        a.predict_many(frame)
        a.learn_one(x, y)
        b.learn_one(x, y)
    assert a._fast is not None
    assert_same([], a, [], b)


def test_a_weight_outside_its_readouts_mask_is_read_alike_on_both_paths():
    # The kernels read each readout's weights over the span of its mask and the bias
    # (_compiled._spans); every path keeps the others at 0, but a weight written there
    # (by code to come, or by hand) was read by the NumPy path and skipped by the
    # kernels: the two predicted 0.647 and 0.336 for one row (review 141). The span
    # takes in such a column.
    import copy

    rows = list(iter_elec2(260))
    model = DREAMOnlineClassifier(seed=0)
    for x, y in rows[:200]:
        model.predict_one(x)
        model.learn_one(x, y)
    j = model._heads.index("linear")
    probas = {}
    for compiled in (False, True):
        previous = set_compiled(compiled)
        try:
            twin = copy.deepcopy(model)
            twin._W[j, 0, 0] = 3.0  # (an h column: outside the linear readout's mask)
            probas[compiled] = [twin.predict_proba_one(x)[True] for x, _ in rows[200:]]
            for x, y in rows[200:]:
                twin.learn_one(x, y)
            probas[compiled].append(twin.predict_proba_one(rows[0][0])[True])
        finally:
            set_compiled(previous)
    np.testing.assert_allclose(probas[True], probas[False], rtol=0, atol=1e-12)


def test_the_kernels_results_are_read_by_the_names_of_their_fields():
    """The kernels write a row's results at ``_kernels.R_*``, the Python reads them at
    ``_compiled._RES``: each constant is its field's position, one field each, and no
    kernel reads RES at a literal position (review 237: the learn kernel read the
    surprise at ``res[0]``, which a reorder of the fields would have made the time
    constant); a learned row's surprise and time constant, which ``surprise_gain``
    reads back in the kernel, are the NumPy path's."""
    import inspect
    import re

    from dream_sklearn.online import _kernels
    from dream_sklearn.online._compiled import _RowResult

    constants = {name: getattr(_kernels, "R_" + name.upper()) for name in _RowResult._fields}
    assert list(constants.values()) == list(range(len(_RowResult._fields)))
    assert _kernels.N_RES == len(_RowResult._fields)
    assert not re.search(r"\bres\[\s*\d", inspect.getsource(_kernels))
    rows, ys = classification_stream(300)
    ys = [float(i % 7) + (y == "up") for i, y in enumerate(ys)]
    seen = []
    for compiled in (True, False):
        model = DREAMOnlineRegressor(seed=2, surprise_gain=1.0)
        set_compiled(compiled)
        try:
            got = []
            for x, y in zip(rows, ys, strict=True):
                got.append(model.predict_one(x))
                model.learn_one(x, y)
                got.append((model.last_surprise_, model.last_tau_))
        finally:
            set_compiled(True)
        seen.append(got)
    np.testing.assert_allclose(
        np.array([g for g in seen[0] if isinstance(g, tuple)]),
        np.array([g for g in seen[1] if isinstance(g, tuple)]),
        rtol=1e-12,
        atol=1e-12,
    )
    np.testing.assert_allclose(
        [g for g in seen[0] if not isinstance(g, tuple)],
        [g for g in seen[1] if not isinstance(g, tuple)],
        rtol=1e-12,
        atol=1e-12,
    )


@pytest.mark.parametrize("compiled", [False, True])
@pytest.mark.parametrize("make", [DREAMOnlineClassifier, DREAMOnlineRegressor])
def test_a_pickle_with_positional_cache_entries_loads_and_learns_on(make, compiled):
    """Before round 42 the NumPy path's cached readouts and the kNN expert's read of a
    row on the compiled row were positional tuples: a pickle holding them loads and
    learns on as its twin (``compiled``: the row after the load on the compiled row,
    which reads the expert's; else on the NumPy path, which reads the cache)."""
    rows, ys = classification_stream(200)
    if make is DREAMOnlineRegressor:
        ys = [float(i % 7) + (y == "up") for i, y in enumerate(ys)]
    set_compiled(compiled)
    try:
        models = [make(seed=3, n_neighbors=3) for _ in range(2)]
        for model in models:
            for x, y in zip(rows[:150], ys[:150], strict=True):
                model.predict_one(x)
                model.learn_one(x, y)
            model.predict_one(rows[150])
        old = models[1]
        state = old.__getstate__()
        if compiled:  # (as a pickle before round 42 held it: a tuple on _fast_row)
            if make is DREAMOnlineClassifier:  # (its predict_one reads a vote that leads)
                old._fast_neighbor_read()
            assert old._neighbor_seen is not None
            state["_neighbor_seen"] = tuple(old._neighbor_seen[:3])
        else:
            state["_cache"] = old._cache._replace(readout=tuple(old._cache.readout))
        loaded = make.__new__(make)
        loaded.__setstate__(pickle.loads(pickle.dumps(state)))
        twin = pickle.loads(pickle.dumps(models[0]))
        for model in (twin, loaded):
            for x, y in zip(rows[150:], ys[150:], strict=True):
                model.predict_one(x)
                model.learn_one(x, y)
        assert twin.predict_one(rows[0]) == loaded.predict_one(rows[0])
    finally:
        set_compiled(True)


# advance_on_predict (the classifier's): predict_one commits the cell's step in the
# compiled row (forward and advance kernels) and keeps the row's features; the label,
# DELAY rows later, is learned from them (read_kept and learn_kept kernels), the
# delayed-label readout's row in its own kernels.
DELAY = 50
DELAYED = ("mean", "var", "count", "lacked", "W", "b", "w")


def run_delayed(model, rows, ys, compiled, start=0):
    """predict_(proba_)one on each row from ``start`` on, learn_one on the row DELAY
    rows back; the predictions and the model, with how many rows the compiled row
    advanced on, how many labels it learned from kept features, and how many rows
    it learned that were not advanced on (predicted before the build)."""
    previous = set_compiled(compiled)
    counts = {"_fast_advance": 0, "_learn_kept": 0, "_fast_unadvanced": 0}
    originals = {name: getattr(_DREAMOnline, name) for name in counts}

    def spy(name):
        def call(self, *args):
            got = originals[name](self, *args)
            counts[name] += name == "_learn_kept" or bool(got)  # (None / False: NumPy)
            return got

        return call

    try:
        for name in counts:
            setattr(_DREAMOnline, name, spy(name))
        preds = []
        for i in range(start, len(rows)):
            x = rows[i]
            preds.append(model.predict_proba_one(x) if i % 2 else model.predict_one(x))
            if i >= DELAY:
                model.learn_one(rows[i - DELAY], ys[i - DELAY])
    finally:
        set_compiled(previous)
        for name, original in originals.items():
            setattr(_DREAMOnline, name, original)
    return preds, model, counts


def assert_same_delayed(a_preds, a, b_preds, b):
    assert_same(a_preds, a, b_preds, b)
    la, lb = a._delayed, b._delayed
    if la is None or lb is None:  # (delayed_readout=False)
        assert la is None and lb is None
        return
    for name in DELAYED:
        np.testing.assert_allclose(getattr(la, name), getattr(lb, name), atol=TOL, err_msg=name)
    assert abs(la.lag - lb.lag) <= TOL and la.active == lb.active
    assert [e.seq for _, e in a._pending_rows.values()] == [
        e.seq for _, e in b._pending_rows.values()
    ]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"n_neighbors": 0},
        {"match_labels_by": "order"},
        {"feedback": "none", "delayed_readout": False, "drift_recovery": False},
        {"readouts": ("linear", "cell"), "max_pairs": 30, "surprise_gain": 2.0},
        # (review 420: one readout and no label fed back, whose rows learned on the
        # NumPy path at a growth event replace no array the layout was checked by)
        {"feedback": "none", "readouts": ("linear",)},
    ],
)
def test_advance_on_predict_matches_numpy(params):
    """Under labels 50 rows late, through the stream's growth events (a feature from
    row 500, a class from row 1,200: the rows waiting then are learned on the NumPy
    path), missing values and a drift, the compiled row advances on most rows and
    learns most labels from kept features, equal to the NumPy path to 1e-12."""
    make = partial(DREAMOnlineClassifier, seed=4, advance_on_predict=True, **params)
    rows, ys = classification_stream()
    np_preds, np_model, np_counts = run_delayed(make(), rows, ys, compiled=False)
    c_preds, c_model, counts = run_delayed(make(), rows, ys, compiled=True)
    assert not any(np_counts.values()) and np_model._fast_adv is None
    assert counts["_fast_advance"] > 0.9 * N_ROWS and counts["_learn_kept"] > 0.8 * N_ROWS
    # (the labels of the rows predicted before the build: in kernels too, but the
    # first, which builds; a new class's or feature's row grows on the NumPy path and
    # is then learned in the layout laid out anew; round 72)
    assert counts["_fast_unadvanced"] >= DELAY - 3
    assert np.shares_memory(c_model._W, c_model._fast_adv.fb)
    if params.get("delayed_readout", True):
        assert c_model._delayed.active  # (its kernels ran: the labels came late)
    assert_same_delayed(c_preds, c_model, np_preds, np_model)


def test_advance_on_predict_pickled_with_rows_waiting_continues_alike():
    """A pickle taken while 50 rows wait for their labels (their features kept, the
    buffers not pickled) learns them, and goes on, as the original."""
    rows, ys = classification_stream(900)
    make = partial(DREAMOnlineClassifier, seed=6, advance_on_predict=True)
    _, model, _ = run_delayed(make(), rows[:450], ys[:450], compiled=True)
    assert len(model._pending_rows) == DELAY and model._fast_adv is not None
    copy = pickle.loads(pickle.dumps(model))
    assert copy._fast_adv is None and copy._pending_rows.keys() == model._pending_rows.keys()
    (a_preds, a, a_counts), (b_preds, b, b_counts) = (
        run_delayed(m, rows, ys, compiled=True, start=450) for m in (model, copy)
    )
    # (all but the rows waiting at row 500's new feature)
    assert a_counts["_learn_kept"] > 350 and b_counts["_learn_kept"] > 350
    assert_same_delayed(a_preds, a, b_preds, b)


def test_the_labels_of_rows_predicted_before_the_build_keep_the_advancing_layout():
    """Under advance_on_predict the rows predicted before anything was built were not
    advanced on: their labels, learned in the advancing layout's kernels since round
    72, leave its buffers as they are (on the NumPy path each label replaced arrays
    of theirs, and the next row laid them out again: about half a millisecond a row)."""
    rows, ys = plain_stream(2 * DELAY + 10)
    model = DREAMOnlineClassifier(seed=1, advance_on_predict=True)
    layouts = []
    for i, x in enumerate(rows):
        model.predict_one(x)
        if i >= DELAY:
            model.learn_one(rows[i - DELAY], ys[i - DELAY])
            if 2 * DELAY - 30 <= i < 2 * DELAY:  # (the labels of rows 20-49)
                fast = model._fast_adv
                layouts.append(fast)
                assert fast is not None and np.shares_memory(model._W, fast.fb)
    assert all(fast is layouts[0] for fast in layouts)
