"""Issue 12, drift recovery and the regressor: the online estimators after a change."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from river.datasets import synth

from dream_sklearn.online import DREAMOnlineClassifier, DREAMOnlineRegressor


def _stagger_change(seed: int, before: int = 1000, after: int = 200):
    """STAGGER's concept 0 for ``before`` rows, then concept 2 (an abrupt change)."""
    return itertools.chain(
        synth.STAGGER(classification_function=0, seed=seed).take(before),
        synth.STAGGER(classification_function=2, seed=seed + 1).take(after),
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
