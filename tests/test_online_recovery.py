"""Issue 12, drift recovery and the regressor: the online estimators after a change."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from river import datasets, linear_model, preprocessing
from river.datasets import synth

from dream_sklearn.online import DREAMOnlineClassifier, DREAMOnlineRegressor
from dream_sklearn.online._readouts import _change_point


def _stagger_change(seed: int, before: int = 1000, after: int = 200, to: int = 2):
    """STAGGER's concept 0 for ``before`` rows, then concept ``to`` (an abrupt change)."""
    return itertools.chain(
        synth.STAGGER(classification_function=0, seed=seed).take(before),
        synth.STAGGER(classification_function=to, seed=seed + 1).take(after),
    )


def _correct(model, stream) -> np.ndarray:
    out = []
    for x, y in stream:
        out.append(model.predict_one(x) == y)
        model.learn_one(x, y)
    return np.asarray(out)


@pytest.mark.parametrize("seed", [0, 1])
def test_drift_recovery_recovers_faster_than_without(seed):
    """After an abrupt change of P(y | x), the readouts' loss detector starts fresh
    readouts; without it the old readouts have to unlearn by SGD."""
    on = DREAMOnlineClassifier(seed=0)
    off = DREAMOnlineClassifier(seed=0, drift_recovery=False)
    acc_on = _correct(on, _stagger_change(seed))[1000:].mean()
    acc_off = _correct(off, _stagger_change(seed))[1000:].mean()
    assert on.n_drifts_ == 1 and off.n_drifts_ == 0
    assert acc_on >= acc_off + 0.15, (acc_on, acc_off)
    assert acc_on >= 0.85


def test_drift_recovery_leaves_a_stable_stream_alone():
    """No change, no drift: the mixture stays one generation of readouts."""
    model = DREAMOnlineClassifier(seed=0)
    _correct(model, synth.STAGGER(classification_function=1, seed=5).take(2000))
    assert model.n_drifts_ == 0
    assert len(model._weights) == len(model.readouts)
    assert set(model.readout_weights_) == set(model.readouts)


def test_drift_recovery_is_reproducible_and_predict_stays_pure():
    stream = list(_stagger_change(3, before=600, after=300))
    a, b = DREAMOnlineClassifier(seed=0), DREAMOnlineClassifier(seed=0)
    probas = []
    for x, y in stream:
        p = a.predict_proba_one(x)
        assert a.predict_proba_one(x) == p  # predicting twice changes nothing
        probas.append(p)
        a.learn_one(x, y)
        b.learn_one(x, y)
    assert a.n_drifts_ >= 1
    assert a.readout_weights_ == b.readout_weights_
    x = stream[-1][0]
    assert a.predict_proba_one(x) == b.predict_proba_one(x)
    assert sum(a.readout_weights_.values()) == pytest.approx(1.0)


class _AtArfsDriftLevel(DREAMOnlineClassifier):
    """The classifier with ARF's two levels (warning 0.01, drift 0.001), as the regressor."""

    _drift_delta = 0.001


def _drift_rows(model, stream) -> tuple[list[int], bool]:
    """The rows at which a drift was acted on; whether background readouts ever ran."""
    rows, background = [], False
    for i, (x, y) in enumerate(stream):
        before = model.n_drifts_
        model.predict_one(x)
        model.learn_one(x, y)
        background |= len(model._W) > len(model._weights)
        if model.n_drifts_ > before:
            rows.append(i)
    return rows, background


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_classifier_acts_on_a_drift_at_the_warning_level(seed):
    """The classifier acts at ARF's warning level: sooner after the change than at ARF's
    drift level, with no background readouts (a warning stage would only repeat it)."""
    # (5 knots, the default until round 60: with the default's 9 for STAGGER's three
    # features the readouts' mistakes rise so steeply after the change that on seeds 0
    # and 2 both levels flag it on the same row, 1,011 and 1,015: the rows 5 knots
    # flag at the warning level, review 393)
    rows, background = _drift_rows(DREAMOnlineClassifier(seed=0, n_knots=5), _stagger_change(seed))
    twin_rows, _ = _drift_rows(_AtArfsDriftLevel(seed=0, n_knots=5), _stagger_change(seed))
    assert not background
    assert len(rows) == len(twin_rows) == 1
    assert 1000 <= rows[0] < twin_rows[0], (rows, twin_rows)


class _WithoutReplay(DREAMOnlineClassifier):
    """The classifier whose fresh readouts start from zero at a drift (no replay)."""

    _replay_rows = 0


def test_replay_recovers_sooner_than_fresh_readouts_alone():
    """STAGGER, concept 0 then 1 (the change the classifier lost to ARF on): at the
    drift, the fresh readouts learn the rows read since the change; without that,
    they start from zero about 15 rows after it. (The readouts alone: the kNN expert,
    on by default for STAGGER's three features, votes beside them.)"""
    on, off = [], []
    for seed in range(5):
        stream = list(_stagger_change(seed, after=100, to=1))
        kw = {"seed": 0, "n_neighbors": 0}
        with_replay, without = DREAMOnlineClassifier(**kw), _WithoutReplay(**kw)
        on.append(_correct(with_replay, stream)[1000:].mean())
        off.append(_correct(without, stream)[1000:].mean())
        assert with_replay.n_drifts_ == without.n_drifts_ == 1
    assert all(a > b for a, b in zip(on, off, strict=True)), (on, off)
    assert np.mean(on) >= np.mean(off) + 0.04, (on, off)


def test_change_point_splits_the_losses_where_they_rise():
    rng = np.random.default_rng(0)
    loss = np.concatenate([rng.random(80) < 0.05, rng.random(20) < 0.6]).astype(float)
    assert abs(_change_point(loss) - 80) <= 3
    assert _change_point(np.zeros(50)) == 0  # no rise: no split
    assert _change_point(np.array([1.0, 1.0, 0.0, 0.0])) == 0  # a fall is not a change
    assert _change_point(np.array([0.0, 0.0, 1.0, 1.0])) == 2


# --- the regressor ----------------------------------------------------------------------


def _mae_from_second_row(model, stream) -> float:
    errors = []
    for x, y in stream:
        errors.append(abs(model.predict_one(x) - y))
        model.learn_one(x, y)
    return float(np.mean(errors[1:]))  # the first row, before anything is seen, is nobody's


class _LastValue:
    def __init__(self) -> None:
        self.last = 0.0

    def predict_one(self, x):
        return self.last

    def learn_one(self, x, y):
        self.last = y


def test_last_readout_starts_from_the_previous_target():
    """A "last" readout that has learned nothing predicts the previous target."""
    model = DREAMOnlineRegressor(
        seed=0, readouts=("last",), learning_rate=1e-12, n_neighbors=0
    )  # (the readout alone: without the default's kNN expert beside it)
    rng = np.random.default_rng(0)
    y_prev = None
    for t in range(50):
        x = {"a": float(rng.normal()), "b": float(rng.normal())}
        y = float(10.0 + np.cumsum(rng.normal(size=1))[0] + t)
        if y_prev is not None and t > 2:
            assert model.predict_one(x) == pytest.approx(y_prev, rel=1e-9)
        model.learn_one(x, y)
        y_prev = y


def test_regressor_beats_the_last_value_on_trump_approval():
    """The last value (MAE 0.151) was ahead of the regressor (0.183 from the second
    row); the "last" readout corrects it by the inputs' change."""
    dream = _mae_from_second_row(DREAMOnlineRegressor(seed=0), datasets.TrumpApproval())
    last = _mae_from_second_row(_LastValue(), datasets.TrumpApproval())
    assert last == pytest.approx(0.151, abs=0.001)
    assert dream < last - 0.005, (dream, last)


def test_regressor_beats_linear_regression_on_chick_weights():
    dream = _mae_from_second_row(DREAMOnlineRegressor(seed=0), datasets.ChickWeights())
    linear = preprocessing.StandardScaler() | linear_model.LinearRegression()
    assert dream < _mae_from_second_row(linear, datasets.ChickWeights()) - 0.5


def _flip(seed: int, n: int = 1400, at: int = 1000):
    """A linear target whose coefficients change sign at row ``at``."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    w = np.array([2.0, -1.0, 0.5])
    y = np.where(np.arange(n) < at, X @ w, -(X @ w)) + 0.1 * rng.normal(size=n)
    return [
        ({f"f{j}": float(v) for j, v in enumerate(r)}, float(t)) for r, t in zip(X, y, strict=True)
    ]


def test_regressor_drift_recovery_recovers_faster_than_without():
    on, off = [], []
    for seed in range(3):
        for flag, out in ((True, on), (False, off)):
            model = DREAMOnlineRegressor(seed=0, drift_recovery=flag)
            errors = []
            for x, y in _flip(seed):
                errors.append(abs(model.predict_one(x) - y))
                model.learn_one(x, y)
            out.append(np.mean(errors[1000:1200]))
            assert model.n_drifts_ == (1 if flag else 0)
    assert np.mean(on) < 0.9 * np.mean(off), (on, off)


@pytest.mark.parametrize("compiled", [True, False])
def test_a_fresh_readouts_boost_does_not_make_a_large_step_diverge(compiled):
    """learning_rate=1.9 is inside the documented (0, 2); a fresh readout's boost
    (up to about 2x) must not push its normalised step past 2, where it diverges."""
    from dream_sklearn.online import set_compiled

    previous = set_compiled(compiled)
    try:
        mae = {}
        for flag in (True, False):
            model = DREAMOnlineRegressor(seed=0, learning_rate=1.9, drift_recovery=flag)
            errors = []
            for x, y in _flip(0):
                errors.append(abs(model.predict_one(x) - y))
                model.learn_one(x, y)
            assert model.n_drifts_ == (1 if flag else 0)
            assert np.abs(model._W).max() < 10.0
            mae[flag] = np.mean(errors[1000:])
    finally:
        set_compiled(previous)
    assert mae[True] < 1.5 * mae[False], mae


@pytest.mark.parametrize("rate", [2.0, 0.0, 3.5])
def test_the_regressors_learning_rate_must_lie_in_0_2(rate):
    with pytest.raises(ValueError, match=r"'learning_rate' .* a float in \(0, 2\)|> 0"):
        DREAMOnlineRegressor(learning_rate=rate).learn_one({"a": 1.0}, 1.0)


@pytest.mark.parametrize("cls", [DREAMOnlineClassifier, DREAMOnlineRegressor])
def test_prediction_at_row_t_does_not_depend_on_later_labels(cls):
    """With drift recovery acting on the labels' losses, the prediction at row t still
    depends on the labels before t only: replace the labels from row T on."""
    if cls is DREAMOnlineClassifier:
        rows = list(_stagger_change(4, before=500, after=300))
        other = [(x, not y) for x, y in rows]
    else:
        rows = _flip(4, n=800, at=500)
        other = [(x, -y + 3.0) for x, y in rows]
    T = 600
    runs = []
    for labels in (rows, rows[:T] + other[T:]):
        model, preds = cls(seed=0), []
        for x, y in labels:
            preds.append(model.predict_one(x))
            model.learn_one(x, y)
        runs.append(preds)
    assert runs[0][: T + 1] == runs[1][: T + 1]
    assert runs[0][T + 1 :] != runs[1][T + 1 :]


@pytest.mark.parametrize("direct", [True, False])
def test_adwin_fed_by_rose_detects_as_its_update(monkeypatch, direct):
    """_rose (the helper's calls, or the public API) gives ADWIN.update's detections
    and leaves the same window, over a loss that rises twice."""
    import random

    from river.drift import ADWIN

    from dream_sklearn.online import _readouts

    monkeypatch.setattr(_readouts, "_DIRECT", direct and _readouts._DIRECT)
    rng = random.Random(3)
    rates = [0.1] * 700 + [0.6] * 700 + [0.05] * 300 + [0.9] * 800
    losses = [float(rng.random() < r) for r in rates]
    ours, river_ = ADWIN(delta=0.01, clock=4), ADWIN(delta=0.01, clock=4)
    got, want = [], []
    for loss in losses:
        got.append(_readouts._rose(ours, loss))
        before = river_.estimation
        river_.update(loss)
        want.append(river_.drift_detected and river_.estimation > before)
    assert sum(want) >= 2
    assert got == want
    assert (ours.width, ours.estimation, ours.n_detections) == (
        river_.width,
        river_.estimation,
        river_.n_detections,
    )
