"""The classifier's replay at a drift (issue 12): the rows it keeps, which of them it
replays, their growth with the model, their size in a pickle, their update rule."""

from __future__ import annotations

import copy
import itertools
import pickle

import numpy as np
import pytest
from river.datasets import synth

from dream_sklearn.online import DREAMOnlineClassifier, _readouts, compiled_available, set_compiled


class _WithoutReplay(DREAMOnlineClassifier):
    _replay_rows = 0


def _learn(model, stream) -> None:
    for x, y in stream:
        model.predict_one(x)
        model.learn_one(x, y)


def _stagger(seed: int, rows: int, concept: int = 0):
    return synth.STAGGER(classification_function=concept, seed=seed).take(rows)


def _replayed(model) -> list:
    """The rows (their features) that ``model._replay`` learns, spied on."""
    seen = []
    original = model._ring_features

    def spy(rows):
        seen.append(rows.copy())
        return original(rows)

    model._ring_features = spy
    try:
        model._replay()
    finally:
        del model._ring_features
    return seen[0] if seen else np.zeros((0, 0))


def _built(**params) -> DREAMOnlineClassifier:
    model = DREAMOnlineClassifier(seed=0, **params)
    _learn(model, _stagger(0, 50))
    return model


def test_change_point_reads_the_rows_not_kept_as_no_loss():
    """Twenty mistakes 50 rows apart, then twenty in a row: the change is where the
    burst starts. Read as adjacent (the row numbers ignored), the forty kept losses
    are all ones, with no change in them, and every kept row would be replayed."""
    model = _built()
    model._new_ring()
    phi = np.zeros(model._W.shape[2])
    mistakes = {50 * i for i in range(20)} | set(range(1000, 1020))
    for row in range(1020):
        phi[0] = row  # (the kept row's mark)
        model._record(phi, 0, 1.0 if row in mistakes else 0.0)
    kept = model._ring_rows[: int(model._ring_at[0]), 2]
    assert set(range(1000, 1020)) <= set(kept) and 0.0 in kept
    replayed = _replayed(model)[:, 0]
    assert replayed.tolist() == list(range(1000, 1020))


@pytest.mark.parametrize("new", ["feature", "class"])
def test_growth_keeps_the_rows(new):
    """A new feature or class pads the kept rows (a new feature reads as missing), so
    that a drift right after it replays them all, not the one row since the growth."""
    model = _built()
    model._new_ring()
    rng = np.random.default_rng(0)
    for _ in range(30):  # mistakes in a row: all kept, none of them before a change
        model._record(rng.normal(size=model._W.shape[2]), 1, 1.0)
    before = model._ring[:30].copy()
    m = len(model._mean)
    x, y = next(iter(_stagger(1, 1)))
    if new == "feature":
        x = {**x, "extra": 1.0}
    else:
        y = "new"
    model.predict_one(x)
    model.learn_one(x, y)
    assert int(model._ring_at[0]) == 31
    if new == "feature":
        assert len(model._mean) == m + 1
        n, K = model.hidden_dim, len(model._knots)
        # the old columns as they were; the new slot's u 0 and its ramps 0, as a row
        # that lacks it reads them (round 26: the ramps of 0 before)
        new_ramps = range(n + m + 1 + m * K, n + (m + 1) * (1 + K))
        old = np.delete(model._ring[:30], [n + m, *new_ramps], 1)
        np.testing.assert_array_equal(old, before)
        assert not model._ring[:30, n + m].any()
        assert not model._ring[:30, new_ramps].any()
    assert len(_replayed(model)) == 31


def test_pickle_of_the_ring_is_small_and_exact():
    """The ring pickles as float32 values without the pairs and the bias: less than a
    third of what float64 rows of every feature took (8-9 times the twin's pickle on
    Elec2); the pickled model goes on as the original, its ring exact."""
    stream = list(itertools.chain(_stagger(0, 1500), _stagger(1, 300, concept=1)))
    a, off = DREAMOnlineClassifier(seed=0), _WithoutReplay(seed=0)
    _learn(a, stream[:1200])
    _learn(off, stream[:1200])
    assert a._ring is not None and off._ring is None
    size, twin = len(pickle.dumps(a)), len(pickle.dumps(off))
    R, F = a._ring.shape[0], a._W.shape[2]
    assert size - twin <= 1.1 * (a._ring.size * 4 + a._ring_rows.nbytes), (size, twin)
    assert size - twin <= 0.3 * R * F * 8, (size, twin, R * F * 8)
    b = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(a._ring, b._ring)
    for x, y in stream[1200:]:
        assert a.predict_proba_one(x) == b.predict_proba_one(x)
        a.learn_one(x, y)
        b.learn_one(x, y)
    assert a.n_drifts_ == b.n_drifts_ == 1


def _before_a_replay(l2: float, classes: int = 2) -> DREAMOnlineClassifier:
    """A model of two generations, the fresh one at zero, its ring full of rows: on
    STAGGER (2 classes) or on LED (10: NumPy sums a softmax of 8 or more classes in
    another order than of fewer)."""
    model = DREAMOnlineClassifier(seed=0, l2=l2)
    if classes == 2:
        stream = list(itertools.chain(_stagger(0, 1000), _stagger(1, 40, concept=1)))
    else:
        stream = list(synth.LED(seed=0, noise_percentage=0.1).take(1000))
    _learn(model, stream)
    assert len(model.classes_) == classes
    J = len(model._heads)
    model._W = np.concatenate([model._W[:J], np.zeros_like(model._W[:J])])
    model._weights = np.full(2 * J, 0.5 / J)
    return model


def test_replay_takes_the_same_step_as_learning():
    """The replay's step is the readouts' own (``_sgd``), with its L2 decay (the NumPy
    loop, which the compiled replay matches: the next test)."""
    model = _before_a_replay(0.05)
    J = len(model._heads)
    without_l2 = copy.deepcopy(model)
    without_l2.l2 = 0.0
    calls = []
    original = model._sgd
    model._sgd = lambda *args: calls.append(args[2].copy()) or original(*args)
    previous = set_compiled(False)
    try:
        model._replay()
        without_l2._replay()
    finally:
        set_compiled(previous)
    del model._sgd
    rows = len(_replayed(copy.deepcopy(model)))
    assert len(calls) == _readouts._REPLAY_EPOCHS * rows > 0
    np.testing.assert_allclose(calls[0], model._head_lr * _readouts._REPLAY_STEP)
    fresh, plain = model._W[J:, :, :-1], without_l2._W[J:, :, :-1]
    assert np.abs(fresh).sum() < np.abs(plain).sum()  # decayed


@pytest.mark.skipif(not compiled_available(), reason="numba is not installed")
@pytest.mark.parametrize("classes", [2, 10])
@pytest.mark.parametrize("l2", [0.0, 0.05])
def test_compiled_replay_matches_the_numpy_loop(l2, classes):
    """Where the compiled row is on, the replay runs as one kernel
    (``_kernels.replay``), not the NumPy loop of ``_sgd`` steps, with the same weights
    to 1e-12, the L2 decay included; the old generation untouched."""
    model = _before_a_replay(l2, classes)
    J = len(model._heads)
    reference = copy.deepcopy(model)
    calls = []
    original = model._sgd
    model._sgd = lambda *args: calls.append(1) or original(*args)
    previous = set_compiled(True)
    try:
        model._replay()
    finally:
        set_compiled(previous)
    del model._sgd
    previous = set_compiled(False)
    try:
        reference._replay()
    finally:
        set_compiled(previous)
    assert calls == []  # (the kernel ran)
    assert np.abs(reference._W[J:]).sum() > 0  # (it learned)
    np.testing.assert_array_equal(model._W[:J], reference._W[:J])
    np.testing.assert_allclose(model._W[J:], reference._W[J:], rtol=0, atol=1e-12)


def test_a_pickle_with_the_old_ring_loads_with_an_empty_new_one():
    """A pickle from before (a float64 ring of every feature, lists beside it) loads
    with an empty ring of the kept columns, and learns on."""
    model = _built()
    state = model.__getstate__()
    R, F = len(model._ring), model._W.shape[2]
    for name in ("_ring_rows", "_ring_at"):
        state.pop(name)
    state.update(_ring=np.ones((R, F)), _ring_c=[0] * R, _ring_loss=[0.0] * R, _ring_n=R)
    state.update(_rec_left=0, _last_miss=-(10**9))
    old = DREAMOnlineClassifier.__new__(DREAMOnlineClassifier)
    old.__setstate__(state)
    assert old._ring.shape == model._ring.shape and not old._ring.any()
    assert not hasattr(old, "_ring_c") and old._ring_at[0] == 0
    _learn(old, _stagger(2, 100))
    assert old._ring_at[3] == 100


def test_a_pickle_made_before_the_first_mistake_gets_a_ring():
    """Before round 7 the ring was made at the first mistake: a pickle without one
    (no mistake yet, or made before the replay) loads with an empty ring, not none."""
    model = _built()
    state = model.__getstate__()
    for name in ("_ring_rows", "_ring_at"):
        state.pop(name)
    state.update(_ring=None, _rec_left=0, _last_miss=-(10**9))
    old = DREAMOnlineClassifier.__new__(DREAMOnlineClassifier)
    old.__setstate__(state)
    assert old._ring is not None and old._ring.shape == model._ring.shape
    assert not hasattr(old, "_rec_left") and not hasattr(old, "_last_miss")
    _learn(old, _stagger(2, 100))
    assert old._ring_at[3] == 100


def test_rows_kept_too_long_ago_are_not_replayed(monkeypatch):
    """The split reads every row since the oldest kept one: rows kept more than
    ``_REPLAY_SPAN`` rows ago are left out (its cost stays bounded)."""
    monkeypatch.setattr(_readouts, "_REPLAY_SPAN", 100)
    model = _built()
    model._new_ring()
    phi = np.zeros(model._W.shape[2])
    for row in range(300):
        phi[0] = row
        model._record(phi, 0, 1.0)  # no change in the losses: every kept row replayed
    assert model._ring_rows[:, 2].min() == 300 - len(model._ring)
    assert _replayed(model)[:, 0].tolist() == list(range(200, 300))
