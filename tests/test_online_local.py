"""The opt-in ``"local"`` readout: a vote of the last rows learned, nearest first
(``_features.py``). Its compiled row is compared with the NumPy path in
``test_online_compiled.py``."""

import pickle

import numpy as np
import pytest

from dream_sklearn.online import DREAMOnlineClassifier, set_compiled
from dream_sklearn.online import _features as F


def _rows(n, seed=0, d=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    return [{f"f{j}": float(v) for j, v in enumerate(r)} for r in X], X


def _disc(n, seed):
    """A local concept: inside a disc of radius 1 in the first two features (no
    linear readout can learn it)."""
    rows, X = _rows(n, seed)
    return rows, ((X[:, 0] ** 2 + X[:, 1] ** 2) < 1.0).astype(int).tolist()


def _learn(model, rows, ys):
    correct = []
    for x, y in zip(rows, ys, strict=True):
        correct.append(model.predict_one(x) == y)
        model.learn_one(x, y)
    return np.array(correct, dtype=float)


def test_local_block_is_a_kernel_over_the_kept_rows():
    rows, _ = _rows(50)
    ys = [i % 3 for i in range(50)]  # previous-label slots: the distance must not read them
    model = DREAMOnlineClassifier(seed=3, readouts=("linear", "local"))
    kept = []
    previous = set_compiled(False)  # (the NumPy path's cache holds what the row read)
    try:
        for x, y in zip(rows, ys, strict=True):
            model.predict_one(x)
            if model._built:
                kept.append(model._cache.forward.u[0, : len(model._mean)].copy())
            model.learn_one(x, y)
    finally:
        set_compiled(previous)
    D, m = F._LOCAL_D, len(model._mean)
    assert model._local_c.shape == (m, D) and model._local_n[0] == 50
    features = np.fromiter(model._x_slot.values(), dtype=np.intp)
    labels = np.fromiter(model._y_slot.values(), dtype=np.intp)
    assert len(labels) == 3 and not model._local_f[labels].any() and model._local_f[features].all()
    # rows 1..49 kept as their fast-scaled slots then (row 0: before any slot existed)
    for i, u in enumerate(kept, start=1):
        np.testing.assert_array_equal(model._local_c[: len(u), i], u)
    local = model._blocks()["local"]
    W = model._W[model._heads.index("local"), :, local]  # (k, D): the vote
    classes = [model._classes[y] for y in ys]
    np.testing.assert_array_equal(W[:, :50], F._LOCAL_VOTE * np.eye(3)[classes].T)
    assert not W[:, 50:].any()
    # phi's "local" block for a new row: max(0, 1 - (d - min d) / R)^2, d over the
    # feature slots
    x = {"f0": 0.1, "f1": -0.2, "f2": 0.3}
    fwd = model._forward_one(x, np.array(list(x.values())))
    phi = model._features(fwd.step.h, fwd.u)[0]
    u = fwd.u[0, :m]
    assert u[labels].any()  # (the previous label is in u, and must be left out)
    d = (((u[:, None] - model._local_c[:, :50]) * model._local_f[:, None]) ** 2).sum(axis=0)
    want = np.zeros(D)
    want[:50] = np.maximum(0.0, 1.0 - (d - d.min()) / F._LOCAL_RADIUS) ** 2
    assert 1 < np.count_nonzero(want) < 50  # (the nearest rows vote, the far ones not)
    np.testing.assert_allclose(phi[local], want, rtol=0, atol=1e-13)
    # the readout reads that block and the bias, nothing else
    mask = model._head_mask[model._heads.index("local")]
    assert mask.sum() == D + 1 and mask[local].all() and mask[-1] == 1


def test_local_ring_replaces_the_oldest_row_and_grows_with_the_slots():
    D = F._LOCAL_D
    rows, X = _rows(D + 30)
    ys = [int(v > 0) for v in X[:, 0]]
    model = DREAMOnlineClassifier(seed=5, readouts=("local",), feedback="none")
    _learn(model, rows[:D], ys[:D])
    old = model._local_c.copy()
    news = [{**x, "new": float(i % 7)} for i, x in enumerate(rows[D:])]
    _learn(model, news, ys[D:])
    assert model._local_n[0] == D + 30 and model._local_c.shape == (4, D)
    # the 30 oldest places hold the new rows (with the new slot); the rest as they were,
    # the new slot read as missing (0) there (and in its first two rows: a slot seen
    # fewer than twice reads 0)
    np.testing.assert_array_equal(model._local_c[:3, 30:], old[:, 30:])
    assert not model._local_c[3, 30:].any() and model._local_c[3, 2:30].any()
    W = model._W[0, :, model._blocks()["local"]]
    vote = F._LOCAL_VOTE * np.eye(2)[[model._classes[y] for y in ys]].T
    np.testing.assert_array_equal(W[:, :30], vote[:, D:])
    np.testing.assert_array_equal(W[:, 30:], vote[:, 30:D])


@pytest.mark.parametrize("seed", [0, 1])
def test_local_readout_learns_a_local_concept(seed):
    rows, ys = _disc(3000, seed)
    scores = {}
    for readouts in (("linear",), ("local",)):
        model = DREAMOnlineClassifier(seed=seed, readouts=readouts, drift_recovery=False)
        scores[readouts] = _learn(model, rows, ys)[1500:].mean()
    majority = max(np.mean(ys), 1 - np.mean(ys))  # about 0.61
    assert scores[("linear",)] < majority + 0.03  # a disc is out of a linear readout's reach
    # the vote of the last 128 rows, nearest first (about 0.85 here; the third feature
    # is noise that the distance reads too)
    assert scores[("local",)] > majority + 0.2


def test_local_readout_through_a_drift_replay_and_a_pickle():
    # An abrupt change (the disc's labels flipped) makes drift recovery start fresh
    # readouts; the fresh "local" readout votes with the rows kept since only.
    rows, ys = _disc(2400, 1)
    ys = ys[:1200] + [1 - y for y in ys[1200:]]
    model = DREAMOnlineClassifier(seed=2, readouts=("linear", "local"))
    J, li = 2, 1
    drifts = []
    for x, y in zip(rows[:1600], ys[:1600], strict=True):
        n = model.n_drifts_
        model.predict_one(x)
        model.learn_one(x, y)
        if model.n_drifts_ > n:
            # the new generation (after the kept one) has no vote yet (the drift's row
            # was kept before the drift: its vote starts with the next row); the kept
            # one votes with every kept row
            assert len(model._W) == 2 * J
            votes = model._W[:, :, model._blocks()["local"]].any(axis=1)  # (2J, D)
            drifts.append((model._local_n[0], votes[li].sum(), votes[J + li].sum()))
    D = F._LOCAL_D
    assert drifts and drifts[0][0] > 1200
    assert all(old == D and new == 0 for _, old, new in drifts)
    width = model.hidden_dim + len(model._mean) * (1 + len(model._knots)) + D
    assert model._ring.shape[1] == width  # the replay ring keeps the local block
    copy = pickle.loads(pickle.dumps(model))
    a, b = _learn(model, rows[1600:], ys[1600:]), _learn(copy, rows[1600:], ys[1600:])
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(model._W, copy._W)
    np.testing.assert_array_equal(model._local_c, copy._local_c)
    assert a[-400:].mean() > 0.75  # the flipped disc learned (majority: about 0.61)
