"""The online estimators' kNN expert (``n_neighbors``): local concepts, its window
emptied at a drift, both paths alike, and the river protocol (pure predictions,
pickles, mini-batches)."""

import copy
import functools
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from river import evaluate, metrics

from dream_sklearn.online import (
    DREAMOnlineClassifier,
    DREAMOnlineRegressor,
    _compiled,
    _neighbors,
    compiled_available,
    set_compiled,
)


def board(n, seed, flip_at=None):
    """A 4 x 4 checkerboard on the unit square: a local concept no linear readout of
    a random cell gets; its labels reversed from row ``flip_at`` on."""
    rng = np.random.default_rng(seed)
    for i in range(n):
        a, b = rng.random(2)
        y = (int(a * 4) + int(b * 4)) % 2
        yield {"a": a, "b": b}, (1 - y if flip_at is not None and i >= flip_at else y)


def linear(n, seed, flip_at):
    """``a > b``, reversed from row ``flip_at`` on: a change the readouts detect."""
    rng = np.random.default_rng(seed)
    for i in range(n):
        a, b = rng.random(2)
        yield {"a": a, "b": b}, int(a > b) if i < flip_at else int(a <= b)


def accuracy(model, rows, start):
    hits = []
    for i, (x, y) in enumerate(rows):
        if i >= start:
            hits.append(model.predict_one(x) == y)
        model.learn_one(x, y)
    return float(np.mean(hits))


def test_the_vote_learns_a_local_concept_the_readouts_miss(seed=0):
    # Rows 2,000-2,999 of the checkerboard: the readouts alone 0.62-0.64, with the
    # vote 0.93-0.95 (seeds 0-2 measured). The default runs the vote on these two
    # features (n_neighbors="auto").
    alone = accuracy(DREAMOnlineClassifier(seed=seed, n_neighbors=0), board(3000, seed), 2000)
    both = accuracy(DREAMOnlineClassifier(seed=seed), board(3000, seed), 2000)
    assert alone < 0.75 and both > 0.88


def _one_hot(n, seed):
    """Two numbers and a category of 160 as river's one-hot keys (the category's key
    alone, at 1): the classifier sees 3 features at the first row, more after, and
    more than 128 once 127 categories came."""
    rng = np.random.default_rng(seed)
    for _ in range(n):
        a, b, c = rng.random(), rng.random(), int(rng.integers(160))
        yield {"a": a, "b": b, f"cat_{c}": 1.0}, int(a > 0.5) ^ (c % 2)


@pytest.mark.parametrize("compiled", [True, False])
def test_auto_runs_the_vote_while_at_most_128_features_were_seen(compiled):
    """n_neighbors="auto", the classifier's default: 5 neighbours while the classifier
    has seen at most 128 features (three until round 62, 32 in round 62), none once it
    has seen more
    (the regressor's default too since round 63). The vote takes no part in what the readouts
    learn, so a model whose vote went off predicts as a twin that never ran it."""
    if compiled and not compiled_available():
        pytest.skip("numba is not installed")
    previous = set_compiled(compiled)
    try:
        for d, want in [(1, 5), (3, 5), (4, 5), (33, 5), (128, 5), (129, 0), (140, 0)]:
            model = DREAMOnlineClassifier(seed=0)
            assert model._k_neighbors == 0  # (no row yet)
            for i in range(3):
                model.learn_one({f"x{j}": float(i + j) for j in range(d)}, i % 2 == 0)
            assert model._k_neighbors == want, d
            assert (model._neighbors is not None) == (want > 0), d
        rows = list(_one_hot(800, 0))
        auto, twin = DREAMOnlineClassifier(seed=0), DREAMOnlineClassifier(seed=0, n_neighbors=0)
        on, seen = [], []
        for x, y in rows:
            on.append(auto._k_neighbors)
            seen.append(len(auto.features_))
            p, q = auto.predict_proba_one(x), twin.predict_proba_one(x)
            if len(auto.features_) > 128:  # (off: the twin's predictions, to the bit)
                assert p == q and auto.predict_one(x) == twin.predict_one(x)
            auto.learn_one(x, y)
            twin.learn_one(x, y)
        assert on[1] == 5 and on[-1] == 0  # (three features after the first row)
        assert on[1:] == [5 if d <= 128 else 0 for d in seen[1:]]  # (off at the 129th)
        assert seen.index(129) > 100
        np.testing.assert_array_equal(auto._W, twin._W)  # (the readouts learned alike)
        # off, its window and weights are gone (review 395: they stayed, and came back
        # stale where n_neighbors was then set): set on, it starts empty
        assert auto._neighbors is None
        auto.n_neighbors = 5
        auto.learn_one(*rows[0])
        assert auto._neighbors.n == auto._neighbors.kept_ever == 1
        assert DREAMOnlineRegressor().n_neighbors == "auto"
    finally:
        set_compiled(previous)


def _wide(n, seed, d, change_at=None):
    """``d`` features on [0, 1]: their sum above d / 2 (a linear concept the readouts
    get and the vote trails), or from row ``change_at`` on a 3 x 3 checkerboard on the
    first two (a local one the readouts miss)."""
    rng = np.random.default_rng(seed)
    for i in range(n):
        x = rng.random(d)
        if change_at is None or i < change_at:
            y = int(x.sum() > d / 2)
        else:
            y = (int(x[0] * 3) + int(x[1] * 3)) % 2
        yield {f"x{j}": float(v) for j, v in enumerate(x)}, y


@pytest.mark.parametrize("compiled", [True, False])
def test_a_vote_out_of_play_runs_on_every_64th_row_and_changes_no_prediction(compiled):
    """n_neighbors="auto" (round 62): a vote whose weight is below 0.05 is neither
    read, scored nor kept on 63 rows of 64; where it does not lead the prediction is
    the readouts' mixture's, which learn as a twin's without the expert."""
    if compiled and not compiled_available():
        pytest.skip("numba is not installed")
    previous = set_compiled(compiled)
    try:
        rows = list(_wide(3000, 0, 8))
        auto, twin = DREAMOnlineClassifier(seed=0), DREAMOnlineClassifier(seed=0, n_neighbors=0)
        ran, out_of_play = 0, 0
        for i, (x, y) in enumerate(rows):
            vote = auto._neighbors
            if vote is not None and not vote.lead:
                assert auto.predict_one(x) == twin.predict_one(x), i
            if i >= 1000:
                out_of_play += vote.w[1] < 0.05
                kept = vote.kept_ever
            auto.learn_one(x, y)
            twin.learn_one(x, y)
            if i >= 1000:
                ran += auto._neighbors.kept_ever - kept
        assert auto._k_neighbors == 5 and out_of_play > 1900
        assert ran <= 2000 // 64 + 2000 - out_of_play + 1
        np.testing.assert_array_equal(auto._W, twin._W)
    finally:
        set_compiled(previous)


def _with_new_keys(n, seed, from_row):
    """:func:`_wide`'s linear concept on four features, and from row ``from_row`` on a
    one-hot key of one of seven categories beside them: new features, each a growth
    event, while the vote is out of play."""
    for i, (x, y) in enumerate(_wide(n, seed, 4)):
        if i >= from_row:
            x = {**x, f"c{i % 7}": 1.0}
        yield x, y


@pytest.mark.parametrize("api", ["one", "many"])
def test_both_paths_pass_the_same_rows_by_through_new_features(api):
    """A row the vote passes by is counted once, on whichever path learns it: the
    compiled row lowered its count before the kernel found a new feature, and the NumPy
    path that then learned the row lowered it again (review 398: 395 predictions of
    2,000 apart)."""
    if not compiled_available():
        pytest.skip("numba is not installed")
    rows = list(_with_new_keys(2000, 2, 700))
    runs = []
    for compiled in (True, False):
        previous = set_compiled(compiled)
        try:
            model, preds = DREAMOnlineClassifier(seed=2), []
            if api == "one":
                for x, y in rows:
                    preds.append(model.predict_one(x))
                    model.learn_one(x, y)
            else:
                for at in range(0, len(rows), 50):
                    frame = pd.DataFrame([x for x, _ in rows[at : at + 50]])
                    preds += model.predict_many(frame).tolist()
                    model.learn_many(frame, [y for _, y in rows[at : at + 50]])
        finally:
            set_compiled(previous)
        vote = model._neighbors
        runs.append((preds, vote.wait, vote.kept_ever, vote.w.tolist(), vote.lead))
    assert runs[0] == runs[1]
    assert runs[0][2] < 1500  # (out of play: the vote passed rows by)


def test_setting_n_neighbors_sets_how_the_vote_runs():
    """An int runs the vote on every row, "auto" a vote out of play on every 64th,
    whichever made the window (review 398: the window kept the rule it was made
    under)."""
    rows = list(_wide(2600, 0, 8))
    model = DREAMOnlineClassifier(seed=0)
    for x, y in rows[:2000]:
        model.learn_one(x, y)
    vote = model._neighbors
    assert vote.w[1] < 0.05 and vote.every == 64
    model.n_neighbors = 5
    kept = vote.kept_ever
    for x, y in rows[2000:2300]:
        model.learn_one(x, y)
    assert model._neighbors is vote and vote.kept_ever - kept == 300
    model.n_neighbors = "auto"
    kept = vote.kept_ever
    for x, y in rows[2300:]:
        model.learn_one(x, y)
    assert vote.every == 64 and vote.kept_ever - kept <= 300 // 64 + 1
    restored = pickle.loads(pickle.dumps(model))
    assert restored._neighbors.every == 64


def test_a_vote_in_play_runs_on_every_row_as_with_an_int():
    """Where the vote keeps its place (a checkerboard), "auto" is n_neighbors=5."""
    auto, five = DREAMOnlineClassifier(seed=1), DREAMOnlineClassifier(seed=1, n_neighbors=5)
    for x, y in board(3000, 1):
        assert auto.predict_one(x) == five.predict_one(x)
        auto.learn_one(x, y)
        five.learn_one(x, y)
    assert auto._neighbors.kept_ever == five._neighbors.kept_ever == 3000


def test_a_drift_of_the_readouts_puts_a_vote_out_of_play_on_trial(monkeypatch):
    """A linear concept on four features (the vote out of play), then a checkerboard
    on two of them: the readouts' drift recovery acts, the vote's window is emptied
    and it runs on every row while it refills, and takes the lead. Without the trial
    it stays out of play on its stale rows (seed 0: 0.70 and 0.86 over rows
    1,500-1,999 and 2,000-2,999 measured, against 0.55 and 0.68)."""
    rows = list(_wide(3000, 0, 4, change_at=1500))

    def run():
        model, hits = DREAMOnlineClassifier(seed=0), []
        for x, y in rows:
            hits.append(model.predict_one(x) == y)
            model.learn_one(x, y)
        assert model.n_drifts_ >= 1
        return np.mean(hits[1500:2000]), np.mean(hits[2000:]), model

    soon, later, model = run()
    assert soon > 0.65 and later > 0.8 and model._neighbors.lead
    monkeypatch.setattr(_neighbors._NeighborVote, "on_drift", lambda self: None)
    soon, later, model = run()
    assert soon < 0.62 and later < 0.75 and not model._neighbors.lead


def test_auto_is_a_value_of_n_neighbors_and_other_strings_are_refused():
    rows = list(board(20, 3))
    model = DREAMOnlineClassifier(seed=0, n_neighbors="auto")
    for x, y in rows:
        model.learn_one(x, y)
    model.n_neighbors = "Auto"
    with pytest.raises(ValueError, match="n_neighbors.*'auto' or an int >= 0"):
        model.learn_one(*rows[0])
    assert model.n_steps_ == 20
    with pytest.raises(ValueError, match="n_neighbors.*'auto' or an int >= 0"):
        DREAMOnlineRegressor(n_neighbors="AUTO").learn_one({"a": 1.0}, 1.0)


@pytest.mark.parametrize("compiled", [True, False])
def test_where_the_vote_leads_the_probabilities_blend_both_experts(compiled):
    """The vote alone gave 0 to every class none of the 5 nearest rows had, the true
    one on many rows, and cross-entropy suffered (review 183: ImageSegments 0.988
    against 0.397 without the expert). Where it leads, both experts by their
    weights: the true class reads 0 only before its first label, the probabilities
    sum to 1, and predict_one is their most probable class."""
    rng = np.random.default_rng(0)
    rows = []
    for _ in range(3000):  # (a board of 4 classes: a local concept the vote leads on)
        a, b = rng.random(2)
        rows.append(({"a": a, "b": b}, (int(a * 4) + 2 * int(b * 4)) % 4))
    previous = set_compiled(compiled)
    try:
        model = DREAMOnlineClassifier(seed=0, n_neighbors=5)
        zero, led, log_loss = 0, 0, []
        for i, (x, y) in enumerate(rows):
            p = model.predict_proba_one(x)
            if i >= 100:
                led += model._neighbors.leads()
                zero += p.get(y, 0.0) == 0.0
                assert abs(sum(p.values()) - 1.0) < 1e-12
                assert model.predict_one(x) == max(p, key=p.get)
                log_loss.append(-np.log(max(p.get(y, 0.0), 1e-15)))
            model.learn_one(x, y)
    finally:
        set_compiled(previous)
    # (the vote alone: the true class at 0 on 8 rows, log loss 0.233; now 0.160, and
    # accuracy as before, 0.939)
    assert led > 2000 and zero == 0
    assert np.mean(log_loss) < 0.2


def _vote_alone(model):
    """The vote on the row predict_one just read, whichever path read it."""
    if model._cache is not None:  # (the NumPy path's)
        fwd = model._cache.forward
        return model._vote_on(model._neighbor_rows(fwd.raw, fwd.present))
    return model._fast_neighbor_read()[1]  # (the compiled row's, kept for learn_one)


def _vote_after_change(seed, monkeypatch, forget):
    if not forget:
        monkeypatch.setattr(_neighbors._NeighborVote, "forget", lambda self: None)
    model = DREAMOnlineClassifier(seed=seed, n_neighbors=5)
    hits = []
    for i, (x, y) in enumerate(linear(1800, seed, 1500)):
        model.predict_one(x)
        if i >= 1500:  # the vote alone, whoever leads
            q = _vote_alone(model)
            hits.append(list(model._classes)[int(q.argmax())] == y)
        model.learn_one(x, y)
    assert model.n_drifts_ >= 1  # (the readouts' drift recovery acted on the change)
    return float(np.mean(hits))


def test_the_window_is_emptied_where_the_rule_reverses(monkeypatch):
    # Over the 300 rows after the rule reverses, the vote on a window kept through
    # the change answers with the old rule (0.08-0.10 measured); emptied (its own
    # loss rose), 0.90-0.91.
    assert _vote_after_change(0, monkeypatch, forget=True) > 0.8
    assert _vote_after_change(0, monkeypatch, forget=False) < 0.3


def _bands_then_intervals(n, seed):
    """One feature: the sign of a sine (bands) up to row n // 2, then three intervals:
    the readouts' loss does not rise at the change (they did worse on the bands)."""
    x = np.random.default_rng(6_000 + seed).uniform(0.0, 1.0, n)
    bands, intervals = np.sin(6 * np.pi * x) > 0, ((x > 0.3) & (x < 0.45)) | (x > 0.8)
    y = np.where(np.arange(n) < n // 2, bands, intervals)
    return [({"a": float(a)}, bool(c)) for a, c in zip(x, y, strict=True)]


@pytest.mark.parametrize("compiled", [True, False])
def test_the_vote_empties_its_window_where_its_own_loss_rises(compiled):
    """Round 61: the window is emptied on a rise of the vote's own 0/1 loss (ADWIN),
    not on the readouts' drift recovery, which saw no drift here on this seed (the
    vote then kept the old bands' rows: 0.67 over the 500 rows after the change);
    with drift_recovery=False nothing empties it."""
    if compiled and not compiled_available():
        pytest.skip("numba is not installed")
    rows = _bands_then_intervals(4000, 1)
    previous = set_compiled(compiled)
    try:
        scores = {}
        for recovery in (True, False):
            model = DREAMOnlineClassifier(seed=1, drift_recovery=recovery)
            hits = []
            for i, (x, y) in enumerate(rows):
                if i >= 2000:
                    hits.append(model.predict_one(x) == y)
                model.learn_one(x, y)
                if i == 1999:
                    assert model._neighbors.n_emptied == 0
            scores[recovery] = float(np.mean(hits[:500]))
            if recovery:
                assert model.n_drifts_ == 0  # (the readouts' detector saw nothing)
                assert model._neighbors.n_emptied >= 1
                assert model._neighbors.kept_ever > model._neighbors.n
            else:
                assert model._neighbors.n_emptied == 0 and model._neighbors.n == 1000
        assert scores[True] > 0.9 and scores[False] < 0.8, scores
        # drift_recovery is read at the first row: set later, it changes nothing, the
        # vote's detector no more than the readouts' (review 397: it was read on every row)
        model = DREAMOnlineClassifier(seed=1)
        for i, (x, y) in enumerate(rows[:2600]):
            if i == 100:
                model.drift_recovery = False
            model.learn_one(x, y)
        assert model._neighbors.n_emptied >= 1
    finally:
        set_compiled(previous)


def _vote_run(compiled, rows):
    """predict_one, predict_proba_one, nothing, or predict_one then predict_one of
    another row, before each learn_one, in turn; the answers, the leader's weight on
    the vote after each row, the model."""
    previous = set_compiled(compiled)
    try:
        model = DREAMOnlineClassifier(seed=0, n_neighbors=3, neighbors_window=200)
        answers, leads = [], []
        for i, (x, y) in enumerate(rows):
            if i % 4 == 0:
                answers.append(model.predict_one(x))
            elif i % 4 == 1:
                answers.append(model.predict_proba_one(x))
            elif i % 4 == 3:  # (the vote kept is the other row's: learn_one reads anew)
                answers.append(model.predict_one(x))
                answers.append(model.predict_one(rows[i - 1][0]))
            model.learn_one(x, y)
            leads.append(model._neighbors.w[1])
        return answers, leads, model
    finally:
        set_compiled(previous)


@pytest.mark.skipif(not compiled_available(), reason="numba is not installed")
def test_the_compiled_row_runs_the_vote_as_the_numpy_path_does():
    # The checkerboard (the vote leads), then a linear rule reversed at row 1,100
    # (drift recovery empties the window; the readouts take the lead back).
    rows = list(board(600, 3)) + list(linear(900, 3, 500))
    a_answers, a_leads, a = _vote_run(True, rows)
    b_answers, b_leads, b = _vote_run(False, rows)
    assert a._fast is not None and b._fast is None  # (the compiled row did run)
    assert a.n_drifts_ == b.n_drifts_ >= 1
    assert max(a_leads) > 0.9 and min(a_leads[100:]) < 0.5
    for p, q in zip(a_answers, b_answers, strict=True):
        if isinstance(p, dict):
            assert p.keys() == q.keys()
            np.testing.assert_allclose(list(p.values()), list(q.values()), rtol=0, atol=1e-12)
        else:
            assert p == q
    np.testing.assert_allclose(a_leads, b_leads, rtol=0, atol=1e-12)
    va, vb = a._neighbors, b._neighbors
    assert (va.n, va.at) == (vb.n, vb.at)
    np.testing.assert_allclose(va.rows[: va.n], vb.rows[: vb.n], rtol=0, atol=1e-12)
    assert (va.labels[: va.n] == vb.labels[: vb.n]).all()


def test_pickled_mid_stream_it_continues_identically_and_predictions_are_pure():
    rows = list(board(600, 4))
    model = DREAMOnlineClassifier(seed=0, n_neighbors=5)
    for x, y in rows[:300]:
        model.learn_one(x, y)
    assert model._neighbors.leads()  # (the vote's probabilities are the ones read)
    copy = pickle.loads(pickle.dumps(model))
    for x, y in rows[300:]:
        before = model.predict_proba_one(x)
        assert model.predict_proba_one(x) == before  # pure: nothing moved
        assert copy.predict_proba_one(x) == before
        model.learn_one(x, y)
        copy.learn_one(x, y)


def test_predict_many_is_predict_proba_one_of_each_row_from_the_committed_state():
    rows = list(board(500, 5))
    model = DREAMOnlineClassifier(seed=0, n_neighbors=5)
    for x, y in rows[:400]:
        model.learn_one(x, y)
    X = pd.DataFrame([x for x, _ in rows[400:]])
    many = model.predict_proba_many(X)
    for i, x in enumerate(X.to_dict("records")):
        one = model.predict_proba_one(x)
        np.testing.assert_allclose(many.iloc[i][list(one)].to_numpy(), list(one.values()))


def test_a_new_feature_and_a_new_class_mid_stream():
    model = DREAMOnlineClassifier(seed=0, n_neighbors=3)
    for x, y in board(200, 6):
        model.learn_one(x, y)
    # A third feature: the rows kept before lack it (it adds nothing to their distance).
    model.learn_one({"a": 0.5, "b": 0.5, "c": 3.0}, 2)
    proba = model.predict_proba_one({"a": 0.1, "b": 0.1, "c": 1.0})
    assert set(proba) == {0, 1, 2} and sum(proba.values()) == pytest.approx(1.0)
    assert model._neighbors.rows.shape[1] >= 3


def test_delayed_labels_keep_the_rows_the_cell_advanced_on():
    rows = list(board(1500, 7))
    model = DREAMOnlineClassifier(seed=0, n_neighbors=5, advance_on_predict=True)
    metric = evaluate.progressive_val_score(iter(rows), model, metrics.Accuracy(), delay=10)
    assert model._neighbors.n == 1000  # (the window: every label came, the last 1,000 kept)
    assert metric.get() > 0.8  # (the readouts alone stay near 0.6 on the board)


@pytest.mark.parametrize("make", [DREAMOnlineClassifier, DREAMOnlineRegressor])
def test_advance_on_predict_without_delay_is_the_default_model_with_the_expert(make):
    # A row advanced on has its statistics taken in at predict time; the expert is
    # scored at learn time on the vote in the scale the row was read in (the one
    # shown), as the default model scores it: equal, bit for bit, on the NumPy path
    # (it was scored in the scale holding the row: the classifier's predictions
    # differed by 0.58 at most, from row 362 of a review's stream). A class first seen
    # at a label is a documented difference of its own (docs/online.md).
    rows = [(x, y if make is DREAMOnlineClassifier else float(y)) for x, y in board(600, 2)]
    previous = set_compiled(False)
    try:
        default = make(seed=0, hidden_dim=8, rank=2, n_neighbors=3)
        advancing = make(seed=0, hidden_dim=8, rank=2, n_neighbors=3, advance_on_predict=True)
        for x, y in rows[:10]:  # (both classes: a class new at a label is another case)
            default.learn_one(x, y)
            advancing.learn_one(x, y)
        assert len({y for _, y in rows[:10]}) == 2
        for x, y in rows[10:]:
            if make is DREAMOnlineClassifier:
                assert advancing.predict_proba_one(x) == default.predict_proba_one(x)
            else:
                assert advancing.predict_one(x) == default.predict_one(x)
            default.learn_one(x, y)
            advancing.learn_one(x, y)
    finally:
        set_compiled(previous)
    assert advancing._neighbors.w.tolist() == default._neighbors.w.tolist()
    assert 0.5 < default._neighbors.w[1] < 1.0  # (the expert was scored, and led)


@pytest.mark.parametrize(
    "params, name",
    [({"n_neighbors": -1}, "n_neighbors"), ({"neighbors_window": 0}, "neighbors_window")],
)
def test_bad_parameters_are_named(params, name):
    model = DREAMOnlineClassifier(**params)
    with pytest.raises(ValueError, match=name):
        model.learn_one({"a": 1.0}, 0)
    assert not model._built  # (nothing was learned)


def test_turned_on_mid_stream_it_takes_the_next_rows():
    # river users set parameters as attributes: the vote starts from an empty window
    # (the compiled row runs it).
    model = DREAMOnlineClassifier(seed=0, n_neighbors=0)
    rows = list(board(300, 8))
    for x, y in rows[:200]:
        model.learn_one(x, y)
    assert model._neighbors is None
    model.n_neighbors = 5
    for x, y in rows[200:]:
        model.predict_one(x)
        model.learn_one(x, y)
    assert model._neighbors.n == 100 and model._fast is not None
    model.n_neighbors = -2
    with pytest.raises(ValueError, match="n_neighbors"):
        model.learn_one(*rows[0])
    assert model.n_steps_ == 300


@pytest.mark.parametrize("match", ["values", "order"])
def test_with_advance_on_predict_one_and_many_read_a_row_alike(match):
    # predict_proba_one advances on the row (its statistics taken in), then voted in
    # the scale after it, where predict_proba_many reads the committed state before:
    # up to 0.10 apart (a review's finding). Both read the scale the row was read in.
    model = DREAMOnlineClassifier(
        seed=0, n_neighbors=5, advance_on_predict=True, match_labels_by=match
    )
    led = 0
    for i, (x, y) in enumerate(board(400, 1)):
        if i > 150:
            many = model.predict_proba_many(pd.DataFrame([x])).iloc[0]
            one = model.predict_proba_one(x)
            np.testing.assert_allclose(many[list(one)].to_numpy(), list(one.values()), rtol=1e-12)
            led += model._neighbors.leads()
        else:
            model.predict_one(x)
        model.learn_one(x, y)
    assert led > 100  # (the vote's probabilities were the ones compared)


def test_the_previous_label_is_not_a_feature_of_the_vote():
    model = DREAMOnlineClassifier(seed=0, n_neighbors=3)  # (feedback="cell": label slots)
    for x, y in board(50, 9):
        model.learn_one(x, y)
    kept = model._neighbors.rows[: model._neighbors.n]
    assert len(model._ys) == 2 and np.isnan(kept[:, model._ys]).all()
    assert not np.isnan(kept[:, [model._x_slot["a"], model._x_slot["b"]]]).any()


def test_a_bad_window_set_mid_stream_is_refused_before_anything_changes():
    # neighbors_window was read at the vote's first row, after the readouts' step:
    # 0 raised an IndexError there on every later row (a review's finding).
    rows = list(board(60, 10))
    model = DREAMOnlineClassifier(seed=0, n_neighbors=0)
    for x, y in rows[:40]:
        model.learn_one(x, y)
    model.n_neighbors, model.neighbors_window = 3, 0
    W = model._W.copy()
    with pytest.raises(ValueError, match="neighbors_window"):
        model.learn_one(*rows[40])
    assert model.n_steps_ == 40 and np.array_equal(model._W, W)
    model.neighbors_window = 20
    for x, y in rows[40:]:
        model.learn_one(x, y)
    assert model._neighbors.n == 20


def test_turned_off_and_on_again_the_vote_starts_afresh():
    rows = list(board(300, 11))
    model = DREAMOnlineClassifier(seed=0, n_neighbors=5)
    for x, y in rows[:100]:
        model.learn_one(x, y)
    model.n_neighbors = 0  # (the compiled row takes the next rows: the window misses them)
    for x, y in rows[100:200]:
        model.learn_one(x, y)
    model.n_neighbors = 5
    for x, y in rows[200:210]:
        model.learn_one(x, y)
    assert model._neighbors.n == 10


@pytest.mark.skipif(not compiled_available(), reason="numba is not installed")
@pytest.mark.parametrize("ties", [False, True])
def test_the_compiled_vote_and_the_numpy_vote_agree_to_the_bit(ties):
    # The NumPy vote and mean (the compiled row off, or no numba) compute the
    # compiled ones' numbers to the bit: with distinct distances, and with rows at
    # equal distances (whole values) in a window that wrapped (the lower slot is the
    # nearer, in both); 10 classes (a sum of more than 8 terms); k past the rows kept.
    rng = np.random.default_rng(0)
    vote, mean = _neighbors._NeighborVote(30), _neighbors._NeighborMean(30)
    for _ in range(50):
        row = rng.integers(0, 3, 4).astype(float) if ties else rng.normal(size=4)
        row[rng.random(4) < 0.1] = np.nan  # (absent values)
        vote.keep(row, int(rng.integers(0, 10)))
        mean.keep(row, float(rng.normal()))
    assert vote.n == 30 and vote.at == 20  # (wrapped)
    scale = np.array([1.0, 0.5, 2.0, 0.0])  # (a slot with no spread yet: 0)
    for _ in range(40):
        x = rng.integers(0, 3, 4).astype(float) if ties else rng.normal(size=4) * 3
        x[rng.random(4) < 0.1] = np.nan
        for k in (1, 5, 80, 10**10):  # (past the rows kept, by far)
            previous = set_compiled(False)
            try:
                b, q_b = vote._vote(x, scale, k, 10), mean.estimate(x, scale, k, (-1.0, 1.5))
            finally:
                set_compiled(previous)
            a, q_a = vote._vote(x, scale, k, 10), mean.estimate(x, scale, k, (-1.0, 1.5))
            assert a.tolist() == b.tolist() and q_a == q_b
    assert "neighbor_vote" in _compiled._CALLED  # (the compiled ones did run)


def test_the_compiled_rows_read_and_choice_are_the_numpy_steps_to_the_bit():
    """The classifier's compiled row reads a row for the vote and votes in one call
    (``read_vote``), and picks the class of both experts blended in another
    (``choice``): the numbers of ``_neighbor_rows``, ``_vote_numpy`` and ``blend``'s
    argmax, on near-ties too (a tie to the first class), or None where it cannot
    run."""
    if not compiled_available():
        pytest.skip("numba is not installed")
    rng = np.random.default_rng(4)
    empty = _neighbors._NeighborVote(30)
    raw, present, ys = rng.normal(size=4), np.ones(4), np.array([], dtype=np.intp)
    row, q = empty.read_vote(raw, present, ys, 5, np.ones(5), 5, 3)
    assert q is None and np.isnan(row[4]) and row[:4].tolist() == raw.tolist()
    assert empty.read_vote(raw, present, ys, 5, np.ones(4), 5, 3) is None  # (a scale apart)
    vote = _neighbors._NeighborVote(30)
    for _ in range(40):
        kept = rng.normal(size=5)
        kept[rng.random(5) < 0.1] = np.nan
        vote.keep(kept, int(rng.integers(0, 3)))
    for trial in range(60):
        raw, present = rng.normal(size=4), (rng.random(4) > 0.2).astype(float)
        ys = np.array([3] if trial % 2 else [], dtype=np.intp)  # (a previous label's slot)
        scale = rng.random(5)
        row, q = vote.read_vote(raw, present, ys, 5, scale, 5, 3)
        want = np.append(np.where(present > 0, raw, np.nan), np.nan)
        want[ys] = np.nan
        np.testing.assert_array_equal(row, want)
        assert q.tolist() == vote._vote_numpy(want, scale, 5, 3).tolist()
        vote.w = rng.dirichlet(np.ones(2))
        p = rng.dirichlet(np.ones(3))
        assert vote.choice(p, q) == int(vote.blend(p, q).argmax())
        # near-ties: a class's blend a rounding apart from another's, or equal (the first)
        tied = vote.blend(p, q)
        p2 = p.copy()
        p2[1] = (tied[0] - vote.w[1] * q[1]) / vote.w[0]
        for pp in (p2, np.nextafter(p2, 1.0), np.nextafter(p2, 0.0), np.full(3, 1 / 3)):
            assert vote.choice(pp, q) == int(vote.blend(pp, q).argmax())
            assert vote.choice(pp, q.copy()) == vote.choice(pp, q)
        assert vote.choice(np.full(3, 0.5), np.full(3, 0.5)) == 0


def _with_gaps(rows, seed):
    """``rows`` with one labelled row of no values at row 100 and "b" missing from a
    fifth of the first 150 rows."""
    rng = np.random.default_rng(seed)
    for i, (x, y) in enumerate(rows):
        if i == 100:
            yield {}, y
        yield ({"a": x["a"], "b": None} if i < 150 and rng.random() < 0.2 else x), y


@pytest.mark.parametrize("compiled", [True, False])
def test_rows_kept_with_values_missing_are_not_everyones_nearest(compiled):
    # A slot absent on one side only counts as far apart as a difference can; absent
    # on both, it adds nothing (review 132: absent values added nothing on either
    # side, so a kept row of no values was at distance 0 from every row and took
    # every vote: the vote's accuracy over rows 150-599 fell from 0.90 to 0.48 for
    # the classifier, the regressor's MAE rose 4.4 times).
    previous = set_compiled(compiled)
    try:
        rows = list(board(600, 3))
        clean = accuracy(DREAMOnlineClassifier(seed=0, n_neighbors=5), rows, 150)
        gaps = list(_with_gaps(rows, 0))
        gapped = accuracy(DREAMOnlineClassifier(seed=0, n_neighbors=5), gaps, 151)
        targets = list(board_target(700, 4))
        clean_mae = mae(DREAMOnlineRegressor(seed=0, n_neighbors=5), targets, 200)
        gaps = list(_with_gaps(targets, 1))
        gapped_mae = mae(DREAMOnlineRegressor(seed=0, n_neighbors=5), gaps, 201)
    finally:
        set_compiled(previous)
    assert clean > 0.8 and gapped > clean - 0.03
    assert gapped_mae < 1.15 * clean_mae


@pytest.mark.parametrize("k", [np.uint64(5), 2**63])
@pytest.mark.parametrize("make", [DREAMOnlineClassifier, DREAMOnlineRegressor])
def test_n_neighbors_of_any_integral_type_runs_on_the_compiled_row(make, k):
    # np.uint64(5) and 2**63 pass validation (an integral >= 0); the kernels took
    # them as they came: numba refused np.uint64 (and at its first call turned the
    # compiled row off for the process) and overflowed on 2**63 (review 132).
    rows = list(board(120, 5))
    window = 50
    plain = make(seed=0, n_neighbors=int(min(k, window)), neighbors_window=window)
    odd = make(seed=0, n_neighbors=k, neighbors_window=window)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        for x, y in rows:
            assert odd.predict_one(x) == plain.predict_one(x)
            odd.learn_one(x, y)
            plain.learn_one(x, y)
    assert odd._fast is not None or not compiled_available()


@pytest.mark.skipif(not compiled_available(), reason="numba is not installed")
def test_a_difference_past_floats_in_a_slot_of_no_spread_counts_nothing_on_both_paths():
    # (review 137) inf times a scale of 0 is NaN: NumPy's sum read it as 0, the
    # kernel's as a NaN sum that never entered (3.875 against 3.5 for the mean). The
    # estimators refuse values past 1e100, so only the expert's own API reaches it.
    mean = _neighbors._NeighborMean(20)
    for i, v in enumerate([5.0, 5.0, 1.0, 1e308, 2.0, 3.0, 1.0, 4.0]):
        mean.keep(np.array([v]), float(i % 4) + 0.5)
    x, scale = np.array([-1e308]), np.array([0.0])
    previous = set_compiled(False)
    try:
        want = mean.estimate(x, scale, 8, (-np.inf, np.inf))
    finally:
        set_compiled(previous)
    assert mean.estimate(x, scale, 8, (-np.inf, np.inf)) == want


@pytest.mark.skipif(not compiled_available(), reason="numba is not installed")
def test_a_row_read_on_the_numpy_path_then_one_on_the_compiled_row():
    # A row read on the NumPy path (set_compiled(False): it is kept for a learn_one),
    # then another the compiled row reads: the second's vote is its own, as the
    # NumPy path gives it (a review's finding: the first's was read).
    rows = list(board(700, 0))
    model = DREAMOnlineClassifier(seed=0, n_neighbors=3)
    for x, y in rows[:600]:
        model.learn_one(x, y)
    assert model._neighbors.leads()
    for i in range(600, 660):
        a, b = rows[i][0], rows[i + 1][0]
        set_compiled(False)
        try:
            model.predict_proba_one(a)
            expected = model.predict_proba_one(b)
            model.predict_proba_one(a)
        finally:
            set_compiled(True)
        assert model.predict_proba_one(b) == pytest.approx(expected, abs=1e-12)


# --- the regressor's kNN expert


def board_target(n, seed, far_at=()):
    """A 4 x 4 checkerboard of levels 0 and 1 on the unit square, with a little noise:
    a target local in the inputs; far out (1e6) on the rows ``far_at``."""
    rng = np.random.default_rng(seed)
    for i in range(n):
        a, b = rng.random(2)
        y = float((int(a * 4) + int(b * 4)) % 2) + 0.05 * rng.normal()
        yield {"a": a, "b": b}, (1e6 if i in far_at else y)


def mae(model, rows, start):
    errors = []
    for i, (x, y) in enumerate(rows):
        if i >= start:
            errors.append(abs(model.predict_one(x) - y))
        model.learn_one(x, y)
    return float(np.mean(errors))


def test_the_regressors_estimate_learns_a_local_target_the_readouts_miss(seed=0):
    # Rows 2,000-2,999: the readouts alone MAE 0.41 (0.406-0.413), with the
    # estimate 0.11-0.13 (seeds 0-2 measured).
    alone = mae(DREAMOnlineRegressor(seed=seed, n_neighbors=0), board_target(3000, seed), 2000)
    both = mae(DREAMOnlineRegressor(seed=seed, n_neighbors=5), board_target(3000, seed), 2000)
    assert alone > 0.35 and both < 0.2


def _regressor_run(compiled, rows):
    previous = set_compiled(compiled)
    try:
        model = DREAMOnlineRegressor(seed=0, n_neighbors=4, neighbors_window=300)
        answers, weights = [], []
        for i, (x, y) in enumerate(rows):
            if i % 2 == 0:  # (a learn_one with no predict_one before it, every other row)
                answers.append(model.predict_one(x))
            model.learn_one(x, y)
            weights.append(model._neighbors.w[1])
        return answers, weights, model
    finally:
        set_compiled(previous)


@pytest.mark.skipif(not compiled_available(), reason="numba is not installed")
def test_the_regressors_estimate_runs_alike_on_both_paths():
    # The checkerboard with a far target on row 500 (set aside: neither scored nor
    # kept) and missing values now and then.
    rows = []
    for i, (x, y) in enumerate(board_target(900, 5, far_at=(500,))):
        if i % 37 == 3:
            x["b"] = float("nan")
        rows.append((x, y))
    a_answers, a_weights, a = _regressor_run(True, rows)
    b_answers, b_weights, b = _regressor_run(False, rows)
    assert a._fast is not None and b._fast is None  # (the compiled row did run)
    np.testing.assert_allclose(a_answers, b_answers, rtol=0, atol=1e-10)
    np.testing.assert_allclose(a_weights, b_weights, rtol=0, atol=1e-10)
    assert max(a_weights) > 0.9  # (the estimate led)
    va, vb = a._neighbors, b._neighbors
    assert (
        (va.n, va.at) == (vb.n, vb.at) == (300, (900 - 8 - 1) % 300)
    )  # (the first 8, row 500 not kept)
    np.testing.assert_allclose(va.rows, vb.rows, rtol=0, atol=1e-12)
    np.testing.assert_allclose(va.labels, vb.labels, rtol=0, atol=1e-12)


def test_the_regressors_predict_many_is_predict_one_on_each_row():
    rows = list(board_target(400, 6))
    model = DREAMOnlineRegressor(seed=0, n_neighbors=5)
    for x, y in rows[:300]:
        model.learn_one(x, y)
    X = pd.DataFrame([x for x, _ in rows[300:]])
    many = model.predict_many(X)
    one = [model.predict_one(x) for x, _ in rows[300:]]
    np.testing.assert_allclose(many.to_numpy(), one, rtol=0, atol=1e-10)
    assert model._neighbors.w[1] > 0.5  # (the estimate weighs in them)


@pytest.mark.skipif(not compiled_available(), reason="numba is not installed")
def test_a_vote_kernel_that_fails_to_compile_turns_the_compiled_row_off(monkeypatch):
    # Its first call in the process compiles it; a failure there warns, turns the
    # compiled row off (every row to the NumPy path, as a failure of the row's own
    # kernels does) and the NumPy vote answers.
    from dream_sklearn.online import _compiled, _kernels

    def fails(*args):
        raise TypeError("cannot compile this")

    for name in ("_AVAILABLE", "_ON"):  # (restored afterwards)
        monkeypatch.setattr(_compiled, name, getattr(_compiled, name))
    monkeypatch.setattr(_compiled, "_CALLED", set())
    monkeypatch.setattr(_kernels, "neighbor_vote", fails)
    vote = _neighbors._NeighborVote(10)
    for i in range(10):
        vote.keep(np.array([float(i), 1.0]), i % 2)
    x, scale = np.array([3.2, 1.0]), np.ones(2)
    with pytest.warns(RuntimeWarning, match="cannot compile this"):
        q = vote._vote(x, scale, 3, 2)
    assert not compiled_available()
    assert q.tolist() == vote._vote_numpy(x, scale, 3, 2).tolist()
    assert q.argmax() == 1  # (row 3, class 1: 1 / 0.2 against 1 / 0.8 + 1 / 1.2 for 0)


def test_a_glitch_of_the_target_weighs_in_the_window_bounded():
    # 1e30 on rows 1,000-1,003 (taken in from the second, then undone): the window
    # keeps them bounded to 10 running standard deviations (a review's finding: kept
    # in full, the estimate erred by 3e29 on later rows).
    rows = list(board_target(1500, 1, far_at=(1000, 1001, 1002, 1003)))
    model = DREAMOnlineRegressor(seed=0, n_neighbors=5)
    errors = []
    for i, (x, y) in enumerate(rows):
        if i > 1010:
            errors.append(abs(model.predict_one(x) - y))
        model.learn_one(x, y)
    assert model._neighbors.labels.max() < 100 and max(errors) < 100


@functools.cache
def _glitch_mae(length, compiled):
    """MAE over rows 550-1,499 of a linear target with +1e6 on ``length`` rows from
    row 500, and the kNN window's largest target at the end (review 118's stream)."""
    previous = set_compiled(compiled)
    try:
        rng = np.random.default_rng(12)
        X = [{"a": rng.normal(), "b": rng.normal()} for _ in range(1500)]
        ys = [2 * x["a"] - x["b"] + 0.1 * rng.normal() for x in X]
        model, errors = DREAMOnlineRegressor(seed=0, hidden_dim=8, rank=2, n_neighbors=3), []
        for t, (x, y) in enumerate(zip(X, ys, strict=True)):
            y = y + 1e6 if 500 <= t < 500 + length else y
            errors.append(abs(model.predict_one(x) - y))
            model.learn_one(x, y)
    finally:
        set_compiled(previous)
    window = model._neighbors
    return np.mean(errors[550:]), np.abs(window.labels[: window.n]).max()


@pytest.mark.parametrize("length, compiled", [(5, True), (8, False), (16, True)])
def test_a_glitch_that_ends_leaves_the_window_as_it_leaves_the_statistics(length, compiled):
    """A target glitch of 5 to 16 rows, undone from the target's statistics when it
    ends (``_target.py``), leaves the kNN window too: its rows kept after drift
    recovery emptied the window, bounded by the glitch's own statistics, had stayed
    there near 1e6 for 1,000 rows (MAE 78 to 283 against 0.109; review 118)."""
    clean, _ = _glitch_mae(0, compiled)
    mae, largest = _glitch_mae(length, compiled)
    assert largest < 100.0 and mae <= 1.25 * clean


@pytest.mark.parametrize("compiled", [True, False])
def test_a_long_glitch_taken_in_weighs_in_the_window_as_the_statistics_now_bound_it(compiled):
    """(review 334) A glitch longer than the undo's 16 rows is taken into the target's
    statistics for good; the rows kept after drift recovery emptied the window were
    bounded by the widened statistics, so at their full 1e4, and stayed there after
    the statistics recovered: MAE over rows 500-1,199 4.5 times the model's without
    the expert. Each kept target is now read within the bounds of the statistics as
    they are: 1.9 times (the bounds narrow as the statistics recover; not mended
    further)."""
    previous = set_compiled(compiled)
    try:
        rng = np.random.default_rng(5)
        rows = []
        for i in range(1200):
            a, b = rng.uniform(0, 1, 2)
            y = 1e4 if 400 <= i < 420 else np.sin(6 * a) + b * b + 0.05 * rng.normal()
            rows.append(({"a": a, "b": b}, float(y)))
        mae = {}
        for k in (0, 5):
            model, errors = DREAMOnlineRegressor(n_neighbors=k, seed=0), []
            for x, y in rows:
                errors.append(abs(model.predict_one(x) - y))
                model.learn_one(x, y)
            mae[k] = np.mean(errors[500:])
    finally:
        set_compiled(previous)
    assert np.abs(model._neighbors.labels[: model._neighbors.n]).max() > 1e3  # (still kept)
    assert mae[5] <= 2.5 * mae[0]


@pytest.mark.parametrize("full", [False, True])
def test_dropping_kept_rows_keeps_the_others_in_order(full):
    """``drop_kept``: the rows kept as the given numbers leave, those already gone are
    ignored, the others keep their order, and the next row goes after them."""
    window = _neighbors._NeighborMean(6 if full else 20)
    for i in range(10):
        window.keep(np.array([float(i), -float(i)]), float(i))
    window.drop_kept([2, 6, 9])  # rows 1 (gone when full), 5 and 8
    kept = [0, 2, 3, 4, 6, 7, 9] if not full else [4, 6, 7, 9]
    assert window.n == len(kept) and window.labels[: window.n].tolist() == kept
    assert window.rows[: window.n, 0].tolist() == kept
    window.keep(np.array([10.0, -10.0]), 10.0)
    assert window.labels[: window.n].tolist()[-2:] == [9, 10]
    window.drop_kept([window.kept_ever])  # the newest, numbered anew
    assert window.labels[: window.n].tolist() == kept


def test_the_regressors_window_is_emptied_when_drift_recovery_acts():
    # The checkerboard's levels shifted by 50 from row 800: drift recovery acts on
    # it (the first far rows set aside) and the window starts again from there.
    rows = [(x, y + (50.0 if i >= 800 else 0.0)) for i, (x, y) in enumerate(board_target(1000, 2))]
    model = DREAMOnlineRegressor(seed=0, n_neighbors=5)
    for x, y in rows:
        model.learn_one(x, y)
    assert model.n_drifts_ >= 1
    vote = model._neighbors  # (emptied at row 803: the rows since, at the new level)
    assert vote.n < 200 and np.median(vote.labels[: vote.n]) > 40


def _wide_target(n, seed, d, change_at=None):
    """``d`` features on [0, 1]: their sum plus a little noise (a linear target the
    readouts get and the estimate trails), or from row ``change_at`` on the levels 0
    and 1 of a 3 x 3 checkerboard on the first two (a local one the readouts miss)."""
    rng = np.random.default_rng(seed)
    for i in range(n):
        x = rng.random(d)
        if change_at is None or i < change_at:
            y = float(x.sum())
        else:
            y = float((int(x[0] * 3) + int(x[1] * 3)) % 2)
        yield {f"x{j}": float(v) for j, v in enumerate(x)}, y + 0.05 * rng.normal()


@pytest.mark.parametrize("compiled", [True, False])
def test_the_regressors_estimate_out_of_play_runs_on_every_64th_row_and_changes_nothing(
    compiled,
):
    """n_neighbors="auto", the regressor's default since round 63: an estimate whose
    weight is below 0.05 is neither read, scored nor kept on 63 rows of 64, and the
    prediction is then the readouts' mixture's: a twin's without the expert, whose
    readouts learn alike."""
    if compiled and not compiled_available():
        pytest.skip("numba is not installed")
    previous = set_compiled(compiled)
    try:
        rows = list(_wide_target(3000, 0, 8))
        auto, twin = DREAMOnlineRegressor(seed=0), DREAMOnlineRegressor(seed=0, n_neighbors=0)
        ran, out_of_play, read = 0, 0, 0
        for i, (x, y) in enumerate(rows):
            window = auto._neighbors
            p, q = auto.predict_one(x), twin.predict_one(x)
            if window is not None and not window.reads():
                assert p == q, i
            else:
                read += 1
            if i >= 1000:
                out_of_play += window.w[1] < 0.05
                kept = window.kept_ever
            auto.learn_one(x, y)
            twin.learn_one(x, y)
            if i >= 1000:
                ran += auto._neighbors.kept_ever - kept
        assert auto._k_neighbors == 5 and out_of_play > 1900 and read < 1000
        assert ran <= 2000 // 64 + 2000 - out_of_play + 1
        np.testing.assert_array_equal(auto._W, twin._W)
        with_int = DREAMOnlineRegressor(seed=0, n_neighbors=5)  # (every row, read)
        for x, y in rows:
            with_int.learn_one(x, y)
        assert with_int._neighbors.kept_ever == 3000 - 8  # (the first 8 are not kept)
    finally:
        set_compiled(previous)


def test_the_regressors_estimate_in_play_runs_on_every_row_as_with_an_int():
    """Where the estimate keeps its place (a checkerboard of levels), "auto" is
    n_neighbors=5 to the bit once the estimate came into play: it starts at Fixed
    Share's floor (the 0.001 of its weight it mixes in with an int), and runs on every
    row until then."""
    auto, five = DREAMOnlineRegressor(seed=1), DREAMOnlineRegressor(seed=1, n_neighbors=5)
    read = 0
    for x, y in board_target(2000, 1):
        p, q = auto.predict_one(x), five.predict_one(x)
        if auto._neighbors is not None and auto._neighbors.reads():
            assert p == q
            read += 1
        auto.learn_one(x, y)
        five.learn_one(x, y)
    assert read > 1900
    assert auto._neighbors.kept_ever == five._neighbors.kept_ever == 2000 - 8
    assert auto._neighbors.reads() and auto._neighbors.w[1] > 0.5


@pytest.mark.parametrize("compiled", [True, False])
def test_on_a_constant_target_the_regressors_estimate_runs_on_every_64th_row(compiled):
    """A target without spread is not scored (review 400: then nothing set the rows to
    pass by, and the estimate ran on every row and was read on none); it is kept on
    every 64th row, and the prediction is the readouts' mixture's."""
    if compiled and not compiled_available():
        pytest.skip("numba is not installed")
    previous = set_compiled(compiled)
    try:
        rng = np.random.default_rng(0)
        auto, twin = DREAMOnlineRegressor(seed=0), DREAMOnlineRegressor(seed=0, n_neighbors=0)
        for _ in range(2000):
            x = {"a": float(rng.random()), "b": float(rng.random())}
            assert auto.predict_one(x) == twin.predict_one(x)
            auto.learn_one(x, 3.0)
            twin.learn_one(x, 3.0)
        window = auto._neighbors
        assert not window.reads() and window.w[1] < 0.05
        assert window.kept_ever <= 100 + (2000 - 100) // 64 + 1
    finally:
        set_compiled(previous)


def test_a_drift_brings_the_regressors_estimate_out_of_play_back_in(monkeypatch):
    """A linear target on four features (the estimate out of play), then a
    checkerboard's levels on two of them: drift recovery empties the window, which
    runs on every row while it refills, and the estimate takes its place. Without
    the window emptied it stays out of play on its stale rows (seed 0 measured:
    MAE over rows 2,000-2,999 0.246, as n_neighbors=5's, against 0.443 without the
    expert and with the window kept)."""
    rows = list(_wide_target(3000, 0, 4, change_at=1500))

    def run(**params):
        model = DREAMOnlineRegressor(seed=0, **params)
        return mae(model, rows, 2000), model

    auto, model = run()
    assert model.n_drifts_ >= 1 and model._neighbors.reads()
    (five, _), (alone, _) = run(n_neighbors=5), run(n_neighbors=0)
    monkeypatch.setattr(_neighbors._NeighborMean, "forget", lambda self: None)
    kept, model = run()
    assert auto < 0.3 and abs(auto - five) < 0.01 and alone > 0.4
    assert kept > 0.4 and not model._neighbors.reads()


@pytest.mark.parametrize("make", [_neighbors._NeighborVote, _neighbors._NeighborMean])
def test_the_window_makes_room_as_rows_come_and_keeps_the_last_ones(make):
    # Room for a window's rows is made as they come (doubling), not at once: a window
    # of 10**12 rows raised a MemoryError at its first row. Past its size the oldest
    # row is the one replaced, through the growth and the wrap.
    huge = make(10**12)
    huge.keep(np.ones(3), 1)
    assert huge.n == 1 and len(huge.labels) < 10**6
    # Each row lands in the slot a window allocated in full (as before, and as one
    # pickled then: no window attribute) puts it in, through growth, wraps, a new
    # column and a drift's forget; so the nearer of rows at one distance is the same.
    grown, full = make(150), make(150)
    full.window = None
    full.cols, full.labels = np.zeros((0, 150)), np.zeros(150, full.labels.dtype)
    rng = np.random.default_rng(0)
    for i in range(500):
        row = rng.integers(0, 3, 2 if i < 200 else 3).astype(float)  # (ties; a new column)
        for w in (grown, full):
            if i == 320:
                w.forget()
            w.keep(row, i % 7)
        assert (grown.n, grown.at) == (full.n, full.at)
        n = grown.n
        assert np.array_equal(grown.rows[:n], full.rows[:n], equal_nan=True)
        assert np.array_equal(grown.labels[:n], full.labels[:n])
    assert grown.n == 150 and len(grown.labels) == 150


@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.parametrize("make", [DREAMOnlineClassifier, DREAMOnlineRegressor])
@pytest.mark.parametrize("n_neighbors", [0, 3])
@pytest.mark.parametrize("first", ["predict_one", "learn_one"])
def test_a_bad_window_set_mid_stream_is_refused_on_both_paths(first, n_neighbors, make, compiled):
    # A bad neighbors_window set mid-stream got its named error on the NumPy path only:
    # the compiled row went on, with the expert on (it rechecked n_neighbors alone) or
    # off (the window is not read then; the NumPy path refuses the value all the same).
    rows = [(x, float(y)) for x, y in board(80, 12)]
    previous = set_compiled(compiled)
    try:
        model = make(seed=0, n_neighbors=n_neighbors)
        for x, y in rows[:60]:
            model.predict_one(x)
            model.learn_one(x, y)
        model.neighbors_window = 0
        W, steps = model._W.copy(), model.n_steps_
        with pytest.raises(ValueError, match="neighbors_window"):
            if first == "predict_one":
                model.predict_one(rows[60][0])
            model.learn_one(*rows[60])
        assert model.n_steps_ == steps and np.array_equal(model._W, W)
        model.neighbors_window = 40  # (read once, at the first row: the window stays)
        for x, y in rows[60:]:
            model.predict_one(x)
            model.learn_one(x, y)
        assert model.n_steps_ == 80
        if n_neighbors:
            assert model._neighbors.window == 1000
    finally:
        set_compiled(previous)


@pytest.mark.parametrize("eta, share", [(_neighbors._ETA, _neighbors._SHARE), (0.3, 0.001)])
def test_the_two_experts_share_on_mistakes_is_fixed_shares_numbers(eta, share):
    # The kNN vote's and the delayed readout's leaders step in Python floats: the
    # same numbers, to the bit, as the NumPy Fixed Share they replace.
    # The regressor's leader, on absolute errors (capped at 50), likewise.
    from dream_sklearn.online._readouts import _decay, _share_losses, _share_mistakes

    def _fixed_share(w, loss, eta, share):  # (the NumPy version the package had)
        w = w * np.exp(-eta * np.asarray(loss, dtype=float))
        w *= (1.0 - share) / w.sum()
        return w + share / len(w)

    rng = np.random.default_rng(0)
    decay = _decay(eta)
    for _ in range(500):
        w = rng.dirichlet([0.3, 0.3])
        for wrong in ((False, False), (True, False), (False, True), (True, True)):
            fast = _share_mistakes(w, *wrong, decay, share)
            assert fast.tolist() == _fixed_share(w, list(wrong), eta, share).tolist()
        errors = [float(e) for e in rng.exponential(size=2) * rng.choice([0.0, 1.0, 10.0, 99.0])]
        capped = [min(e, 50.0) for e in errors]
        expected = _fixed_share(w, np.minimum(errors, 50.0), eta, share)
        assert _share_losses(w, capped, eta, share).tolist() == expected.tolist()


@pytest.mark.skipif(not compiled_available(), reason="numba is not installed")
@pytest.mark.parametrize("make", [DREAMOnlineClassifier, DREAMOnlineRegressor])
def test_the_compiled_row_reads_a_row_for_the_window_as_the_numpy_path_does(make):
    # One numba call reads the row the kernels hold for the kNN expert: its values,
    # NaN where absent and in the previous label's or target's slots, to the bit.
    rng = np.random.default_rng(1)
    model = make(seed=0, n_neighbors=3)
    seen = 0
    for i in range(300):
        x = {"a": rng.normal(), "b": rng.normal() * 100}
        if i >= 100:
            x["c"] = rng.normal()  # (a new feature mid-stream)
        if i % 7 == 0:
            x["a"] = None  # (a missing value)
        y = int(x["b"] > 0) if make is DREAMOnlineClassifier else float(x["b"])
        model.predict_one(x)
        if model._fast_row is not None:
            fast = model._fast
            expected = model._neighbor_rows(fast.raw, fast.present)
            got = model._fast_neighbor_row()
            np.testing.assert_array_equal(got, expected)
            assert np.isnan(got[model._ys]).all() and len(model._ys) > 0
            seen += i % 7 == 0
        model.learn_one(x, y)
    assert seen > 20


@pytest.mark.parametrize("make", [_neighbors._NeighborVote, _neighbors._NeighborMean])
def test_a_window_pickled_a_kept_row_a_row_loads_a_slot_a_row(make):
    """Until round 62 a window held its kept rows a row each (``rows``, (room, width));
    since, a slot's values lie together (``cols``, (width, room)), which the search
    reads faster. A window pickled before loads into the new layout: the same rows, the
    same votes, and it keeps on learning."""
    window, rng = make(40), np.random.default_rng(3)
    for i in range(60):
        window.keep(rng.random(3), i % 2)
    state = dict(window.__dict__)
    state["rows"] = np.ascontiguousarray(state.pop("cols").T)  # (as pickled then)
    old = make.__new__(make)
    old.__setstate__(pickle.loads(pickle.dumps(state)))
    assert "rows" not in old.__dict__ and old.cols.shape == (3, 40)
    np.testing.assert_array_equal(old.rows, window.rows)
    x, scale = rng.random(3), np.ones(3)
    if make is _neighbors._NeighborVote:
        np.testing.assert_array_equal(
            old.proba_one(x, scale, 5, 2), window.proba_one(x, scale, 5, 2)
        )
    else:
        assert old.estimate(x, scale, 5, (0.0, 1.0)) == window.estimate(x, scale, 5, (0.0, 1.0))
    for w in (old, window):
        w.keep(np.full(3, 0.5), 1)
    np.testing.assert_array_equal(old.cols, window.cols)


def _regimes(n, seed, amplitude=1000.0, block=40):
    """``y = a + noise + amplitude * r``, the feature ``r`` switching between 0 and 1
    every ``block`` rows (online_robust.py --part regimes): a level a feature
    announces, whose first switch is a far target."""
    rng = np.random.default_rng(seed)
    for t in range(n):
        r = float((t // block) % 2)
        a = float(rng.normal())
        yield {"a": a, "r": r}, a + float(rng.normal()) + amplitude * r


@pytest.mark.parametrize("compiled", [True, False])
def test_a_far_level_taken_in_is_kept_in_the_window_at_its_targets(compiled):
    """The first switch to a level 1,000 higher is a run of far targets: the window
    keeps them bounded to the statistics of their day, in case it is a glitch. The
    statistics take the level in, and so does the window: its rows of that run get
    their targets back. (Kept bounded, at 13-15 (seeds 0-2 measured; 15-22 on
    online_robust.py's draw of blocks of 100, seed 0), they were among
    the nearest rows of the level for the window's life: "auto" left the estimate
    out of play, MAE over rows 2,000-2,999 3.123 on seed 0, as without the expert;
    1.088 with them, as n_neighbors=5's.)"""
    if compiled and not compiled_available():
        pytest.skip("numba is not installed")
    previous = set_compiled(compiled)
    try:
        model = DREAMOnlineRegressor(seed=0, n_neighbors=5)
        for x, y in _regimes(120, 0):
            model.learn_one(x, y)
        window = model._neighbors
        on = window.rows[: window.n, model._x_slot["r"]] == 1.0
        assert on.sum() > 30 and window.labels[: window.n][on].min() > 900.0
        rows = list(_regimes(3000, 0))
        auto = mae(DREAMOnlineRegressor(seed=0), rows, 2000)
        alone = mae(DREAMOnlineRegressor(seed=0, n_neighbors=0), rows, 2000)
    finally:
        set_compiled(previous)
    assert auto < 1.5 and alone > 2.5


@pytest.mark.parametrize("full", [False, True])
def test_relabelling_kept_rows_finds_them_in_the_ring(full):
    """``_NeighborMean.relabel`` reaches the rows by the number they were kept as,
    in a window still growing and in a full one that wrapped; rows already gone are
    passed over; each target is bounded."""
    window = _neighbors._NeighborMean(5)
    kept = 8 if full else 3
    for i in range(kept):
        window.keep(np.array([float(i)]), float(i))
    newest = window.kept_ever
    window.relabel(((newest, 100.0), (newest - 1, -100.0), (newest - 9, 7.0)), -50.0, 50.0)
    order = [(window.at - window.n + i) % 5 for i in range(window.n)]  # oldest first
    labels = window.labels[order].tolist()
    rows = window.rows[order, 0].tolist()
    assert rows == [float(i) for i in range(kept - window.n, kept)]
    assert labels[-2:] == [-50.0, 50.0] and labels[:-2] == rows[:-2]


def _kept_on(model, rows):
    """The rows (their indices) the kNN window kept while ``model`` learned ``rows``
    (each predicted first), and whether the estimate was read before each."""
    kept, read = [], []
    for i, (x, y) in enumerate(rows):
        model.predict_one(x)
        window = model._neighbors
        before = window.kept_ever if window is not None else 0
        read.append(window is not None and window.reads())
        model.learn_one(x, y)
        if model._neighbors.kept_ever > before:
            kept.append(i)
    return kept, read


@pytest.mark.parametrize("compiled", [True, False])
def test_out_of_play_the_estimate_runs_on_the_row_after_a_jump_of_the_target(compiled, monkeypatch):
    """A linear target (the estimate out of play, run on every 64th row), 5 higher
    from row 1,500 on: a change of more than 5 typical changes (``_step_update``'s
    T_STEP_RUN). The next row is run and kept on both paths; with the rule off
    (``after_jump`` a no-op) it is passed by."""
    if compiled and not compiled_available():
        pytest.skip("numba is not installed")
    rows = [
        (x, y + (5.0 if i >= 1500 else 0.0)) for i, (x, y) in enumerate(_wide_target(1600, 0, 4))
    ]
    previous = set_compiled(compiled)
    try:
        kept, read = _kept_on(DREAMOnlineRegressor(seed=0), rows)
        monkeypatch.setattr(_neighbors._NeighborMean, "after_jump", lambda self: None)
        kept_off, _ = _kept_on(DREAMOnlineRegressor(seed=0), rows)
    finally:
        set_compiled(previous)
    assert not any(read[1400:1502])  # (out of play)
    assert 1501 in kept and 1501 not in kept_off
    assert [i for i in kept if i < 1500] == [i for i in kept_off if i < 1500]


@pytest.mark.parametrize("compiled", [True, False])
def test_a_level_a_feature_announces_brings_the_estimate_into_play(compiled):
    """Blocks of 100 rows, the level 1,000 higher where the feature ``r`` is 1: the
    estimate's gains come on the rows after each switch, before the readouts have
    moved. Run on those rows (the rule above), "auto" does as n_neighbors=5 (seed 0
    measured, MAE over rows 2,000-2,999: 1.0624 both; without the rule 3.0951, the
    readouts alone 3.3706)."""
    if compiled and not compiled_available():
        pytest.skip("numba is not installed")
    rows = list(_regimes(3000, 0, block=100))
    previous = set_compiled(compiled)
    try:
        auto = mae(DREAMOnlineRegressor(seed=0), rows, 2000)
        five = mae(DREAMOnlineRegressor(seed=0, n_neighbors=5), rows, 2000)
        alone = mae(DREAMOnlineRegressor(seed=0, n_neighbors=0), rows, 2000)
    finally:
        set_compiled(previous)
    assert auto < 1.2 * five and alone > 2.5


def test_a_run_watched_under_a_window_gone_relabels_nothing_in_the_next():
    """Review 402: a window dropped (n_neighbors set to 0) while a run of far targets
    was watched, and made anew, numbers its rows from 0 again; the old run's numbers
    gave a new row the old run's target (1,000 where the row's was 0)."""
    model = DREAMOnlineRegressor(seed=0, n_neighbors=5)
    rng = np.random.default_rng(0)
    for i in range(8):
        model.learn_one({"a": float(i)}, float(rng.normal()))
    model.learn_one({"a": 8.0}, 1e3)
    model.learn_one({"a": 9.0}, 1e3)
    assert model._y_watched  # (the run, watched)
    model.n_neighbors = 0
    for i in range(30):
        model.learn_one({"a": 10.0 + i}, 1e3)
    model.n_neighbors = 5
    model.learn_one({"a": 50.0}, 0.0)
    window = model._neighbors
    assert window.n == 1 and window.labels[0] == 0.0


def _glitches(n, seed=2):
    """A walk plus a feature, and glitches of the target: 1e4 for 1, 3 and 20 rows,
    1e30 for 1, 3 and 20 rows, -1e4 for one (review 403's stream)."""
    rng = np.random.default_rng(seed)
    glitch, level = {}, 0.0
    for start, length, value in [
        (200, 1, 1e4), (300, 3, 1e4), (400, 20, 1e4),
        (500, 1, 1e30), (600, 3, 1e30), (700, 20, 1e30), (850, 1, -1e4),
    ]:  # fmt: skip
        glitch.update({start + k: value for k in range(length)})
    for t in range(n):
        x = {"a": float(rng.normal()), "b": float(rng.normal())}
        level += 0.1 * rng.normal()
        yield x, glitch.get(t, level + x["a"] + 0.1 * rng.normal())


@pytest.mark.skipif(not compiled_available(), reason="numba is not installed")
def test_glitches_of_1e30_weigh_the_estimate_alike_on_both_paths():
    """On the row after a jump to 1e30 the estimate runs (round 64); the readouts'
    mixtures of the two paths were a unit in the last place of 1e30 apart there, and
    read in the target's running standard deviation that was Fixed Share's cap on one
    path and 0 on the other: the experts' weights split for the rest of the stream
    (review 403: 299 of 1,000 rows). Errors are read in no unit below 1e-6 of the
    target's own size."""
    rows = list(_glitches(1000))
    weights = []
    for compiled in (True, False):
        previous = set_compiled(compiled)
        try:
            model, w = DREAMOnlineRegressor(seed=0), []
            for x, y in rows:
                model.predict_one(x)
                model.learn_one(x, y)
                w.append(model._neighbors.w.copy())
        finally:
            set_compiled(previous)
        weights.append(np.array(w))
    np.testing.assert_allclose(weights[0], weights[1], rtol=1e-12, atol=0)


def _two_row_glitch(changes: dict) -> tuple:
    """``y = 2a + 0.5`` for 3,000 rows, 1e6 on rows 2,500-2,501 (a glitch undone when
    it ends: the readouts and the kNN window put back as they were before it), with
    ``n_neighbors`` set to ``changes[i]`` before row ``i``; the model, and its window
    as it was after row 2,499."""
    rng = np.random.default_rng(0)
    model, before = DREAMOnlineRegressor(seed=0, hidden_dim=8, rank=2), None
    for i, a in enumerate(rng.normal(size=3000).tolist()):
        if i in changes:
            model.n_neighbors = changes[i]
        model.learn_one({"a": a}, 1e6 if i in (2500, 2501) else 2 * a + 0.5)
        if i == 2499:
            before = copy.deepcopy(model._neighbors)
    return model, before


@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.parametrize("first, then", [("auto", 5), (5, "auto")])
def test_n_neighbors_set_during_a_glitch_holds_after_the_glitch_is_undone(compiled, first, then):
    """Review 404: the undo of a short glitch put the kNN window back with the rule
    it ran by before the glitch; n_neighbors set from "auto" to 5 on the glitch's
    2nd row ran the estimate on every 64th row for the rest of the stream, out of
    play (and from 5 to "auto", on every row, always mixed in)."""
    previous = set_compiled(compiled)
    try:
        model, _ = _two_row_glitch({0: first, 2501: then})
        window = model._neighbors
        assert window.every == (1 if then == 5 else _neighbors._EVERY)
        if then == 5:  # (an int: every row run, kept and read)
            kept = window.kept_ever
            for a in np.linspace(-1.0, 1.0, 100).tolist():
                model.learn_one({"a": a}, 2 * a + 0.5)
            assert window.kept_ever - kept == 100 and window.reads()
    finally:
        set_compiled(previous)


@pytest.mark.parametrize("compiled", [True, False])
def test_a_window_dropped_during_a_glitch_does_not_come_back_with_its_undo(compiled):
    """Review 404: n_neighbors set to 0 on a glitch's 2nd row, and on again on the
    next, starts a new window (as anywhere else: a window turned off goes); the
    glitch's undo brought the old one back, its rows from before the glitch in it."""
    previous = set_compiled(compiled)
    try:
        model, before = _two_row_glitch({2501: 0, 2502: "auto"})
    finally:
        set_compiled(previous)
    window = model._neighbors
    assert window.kept_ever < before.kept_ever  # (the old one counted on from there)
    assert window.n == window.kept_ever  # (every row it holds kept since it was made)


def _with_and_without_the_expert(rows, seed, start, compiled):
    """The default regressor's MAE on ``rows`` from row ``start`` on, and its twin's
    without the kNN expert (``n_neighbors=0``), on the compiled row or the NumPy path."""
    previous = set_compiled(compiled)
    try:
        auto = mae(DREAMOnlineRegressor(seed=seed), rows, start)
        alone = mae(DREAMOnlineRegressor(seed=seed, n_neighbors=0), rows, start)
    finally:
        set_compiled(previous)
    return auto, alone


def _after_a_far_level(n=2000, seed=1):
    """Review 400's stream: ``y = level + a``, the level 0, then 1e5 on rows 800-1,199
    (taken in: the running standard deviation stays inflated for hundreds of rows),
    0 again, and 100 from row 1,600 on, a shift no feature announces."""
    rng = np.random.default_rng(seed)
    for i in range(n):
        a, b = rng.random(2).tolist()
        level = 1e5 if 800 <= i < 1200 else (100.0 if i >= 1600 else 0.0)
        yield {"a": a, "b": b}, level + a


@pytest.mark.xfail(strict=True, reason="review 400's case, open: docs/online.md, Round 65")
@pytest.mark.parametrize("compiled", [True, False])
def test_after_a_shift_an_estimate_of_the_old_level_leaves_play(compiled):
    """Review 400: at the shift of 100 the estimate was in play, its window all rows
    of the old level. Scored in the running standard deviation, inflated by the far
    level before, its error costs it almost nothing: in play for 37 rows, MAE over
    rows 1,600-1,999 1.777 against 0.579 without the expert. Its excess miss read in
    the typical change on the row after the jump mended it (0.648), but took the
    estimate out of play on a held value a feature announces (review 410, below): not
    kept, and this stays open."""
    if compiled and not compiled_available():
        pytest.skip("numba is not installed")
    auto, alone = _with_and_without_the_expert(list(_after_a_far_level()), 1, 1600, compiled)
    assert auto < 1.25 * alone


@pytest.mark.parametrize("compiled", [True, False])
def test_on_the_row_after_a_switch_the_estimate_reads_the_level_it_announces(compiled):
    """A level held at 1,000 where the feature ``r`` is 1, ``a + noise`` elsewhere,
    blocks of 250 rows: at each switch the target's statistics lag the level for rows.
    The kept targets the estimate reads were bounded to those statistics alone, and
    on the row after a switch it read 984.6 where the readouts' "last" had 994.5
    (the level 1,000): the expert lost weight there at every switch to the level.
    Bounded to take in the previous target too, it reads the level, and gains. At the
    first switch back to the noise (row 500) both missed by far, the mixture by 999
    and the estimate by 168: read in the standard deviation the estimate leads from
    there (read in the typical change, as tried in round 65, both were Fixed Share's
    cap, and it stayed out of play for 1,000 rows; review 408)."""
    if compiled and not compiled_available():
        pytest.skip("numba is not installed")
    rng = np.random.default_rng(1)
    a, noise = rng.normal(size=(2, 3000)).tolist()
    previous = set_compiled(compiled)
    try:
        model, gains, leads = DREAMOnlineRegressor(seed=1), [], None
        for t in range(3000):
            r = (t // 250) % 2
            x = {"a": a[t], "r": float(r)}
            before = float(model._neighbors.w[1]) if model._neighbors is not None else None
            model.predict_one(x)
            model.learn_one(x, 1000.0 if r else a[t] + noise[t])
            if t >= 1000 and t % 500 == 251:  # (the row after a switch to the level)
                gains.append(float(model._neighbors.w[1]) > before)
            if t == 501:
                leads = float(model._neighbors.w[1]) > 0.5
    finally:
        set_compiled(previous)
    assert len(gains) == 4 and all(gains) and leads


@pytest.mark.parametrize("compiled", [True, False])
def test_one_lucky_row_after_a_redraw_does_not_hand_the_estimate_the_lead(compiled):
    """Review 408: a value redrawn every 10 rows, features that say nothing of it, and
    a lone 1e6 every 150 rows. The typical change is near 0, and with both experts'
    errors read in it on the row after a jump (tried in round 65, not kept), an
    estimate from random neighbours that happened to miss less than the readouts took
    0.999 of the weight on that one row."""
    if compiled and not compiled_available():
        pytest.skip("numba is not installed")
    rng = np.random.default_rng(0)
    previous = set_compiled(compiled)
    try:
        model, value, most = DREAMOnlineRegressor(seed=0), 0.0, 0.0
        for i in range(2500):
            a, b = rng.random(2).tolist()
            if i % 10 == 0:
                value = float(rng.normal())
            x = {"a": a, "b": b}
            model.predict_one(x)
            model.learn_one(x, 1e6 if i > 300 and i % 150 == 0 else value)
            if model._neighbors is not None:
                most = max(most, float(model._neighbors.w[1]))
    finally:
        set_compiled(previous)
    assert most < 0.05


@pytest.mark.parametrize("compiled", [True, False])
def test_a_held_value_a_feature_announces_keeps_the_estimate_in_play(compiled):
    """Review 410: a value redrawn every 10 rows that a feature reads (noise 0.01). On
    the row after a redraw the readouts' "last" has the new value and the estimate,
    with few neighbours at it yet, misses by a little more. Read in the typical
    change (near 0 on a held value; tried in round 65), that little was Fixed Share's
    cap, and the estimate left play for good: MAE 0.01704, as without the expert,
    where it is 0.01285 in play."""
    if compiled and not compiled_available():
        pytest.skip("numba is not installed")
    rng = np.random.default_rng(0)
    rows, value = [], 0.0
    for t in range(2000):
        if t % 10 == 0:
            value = float(rng.normal())
        rows.append(({"v": value + 0.01 * float(rng.normal())}, value))
    auto, alone = _with_and_without_the_expert(rows, 0, 0, compiled)
    assert auto < 0.85 * alone
