"""DREAMDelayedClassifier: the labels that come choose between a copy of the model that
advances on the rows it predicts and one that does not."""

import numpy as np
import pytest
from river import base, checks, datasets, evaluate, linear_model, metrics
from river import stream as river_stream

from dream_sklearn.datasets import iter_elec2
from dream_sklearn.online import (
    DREAMDelayedClassifier,
    DREAMDelayedRegressor,
    DREAMOnlineClassifier,
    DREAMOnlineRegressor,
    _choice,
    _pending,
)

ELEC2 = list(iter_elec2(2000))


def test_river_check_estimator():
    for params in DREAMDelayedClassifier._unit_test_params():
        checks.check_estimator(DREAMDelayedClassifier(**params))


def _predictions(model, rows, delay):
    """Every prediction of ``model`` under ``progressive_val_score``'s protocol."""
    out = []
    for _, x, y in river_stream.simulate_qa(rows, moment=None, delay=delay):
        if y is None:
            out.append(model.predict_one(x))
        else:
            model.learn_one(x, y)
    return out


def test_without_a_delay_its_predictions_are_the_models():
    rows = ELEC2[:600]
    choice = DREAMDelayedClassifier(DREAMOnlineClassifier(seed=3))
    assert _predictions(choice, rows, None) == _predictions(
        DREAMOnlineClassifier(seed=3), rows, None
    )
    assert choice.leader_ == "default"


def test_with_no_seed_both_copies_get_one():
    """seed=None: one seed drawn for both copies, so that without a delay they are
    one model and make the same mistakes."""
    choice = DREAMDelayedClassifier()
    _predictions(choice, ELEC2[:400], None)
    default, advance = choice.experts_
    assert default.seed == advance.seed is not None
    assert (default.advance_on_predict, advance.advance_on_predict) == (False, True)
    assert choice.mistakes_["default"] == choice.mistakes_["advance"] > 0


def test_under_a_delay_it_follows_the_copy_that_advances_on_elec2():
    """Elec2's label depends on the rows just before it: under delay=50 the copy
    that advances is far ahead, and the choice follows it."""
    rows = ELEC2[:2000]

    def accuracy(model):
        return evaluate.progressive_val_score(rows, model, metrics.Accuracy(), delay=50).get()

    choice = DREAMDelayedClassifier(DREAMOnlineClassifier(seed=0))
    got = accuracy(choice)
    default = accuracy(DREAMOnlineClassifier(seed=0))
    advance = accuracy(DREAMOnlineClassifier(seed=0, advance_on_predict=True))
    assert advance - default > 0.05  # (the premise)
    assert choice.leader_ == "advance"
    assert got >= advance - 0.01


class _Stub(base.Classifier):
    """Right (or wrong, ``right=False``) about the label in the row's "y" feature."""

    def __init__(self, right: bool = True, match_labels_by: str = "values") -> None:
        self.right = right
        self.match_labels_by = match_labels_by

    def learn_one(self, x, y):
        pass

    def predict_proba_one(self, x):
        return {bool(x["y"]) == self.right: 1.0}


@pytest.mark.parametrize("match", ["values", "order"])
@pytest.mark.parametrize("right", [0, 1])
def test_the_copy_right_more_often_leads(right, match):
    """Labels 5 rows late, matched to the predictions they score by ``match``: the
    copy that is right leads from the first label on, and every prediction after
    it is that copy's. Two distinct rows only, so equal rows come in a row: by
    order each read is a row (review 418: they were kept as one, and every later
    label scored the next row's predictions)."""
    choice = DREAMDelayedClassifier()
    choice._experts = (_Stub(right == 0, match), _Stub(right == 1, match))
    rng = np.random.default_rng(0)
    rows = [({"y": float(y)}, bool(y)) for y in rng.integers(0, 2, 300)]
    predicted = _predictions(choice, rows, 5)
    assert choice.leader_ == ("default", "advance")[right]
    assert choice.mistakes_[choice.leader_] == 0.0
    assert choice.mistakes_[("default", "advance")[1 - right]] > 5
    assert predicted[6:] == [y for _, y in rows[6:]]
    assert not choice._kept and not choice._by_key  # (every label found its row)


def test_a_row_read_twice_is_one_row():
    choice = DREAMDelayedClassifier(DREAMOnlineClassifier(seed=1))
    x, y = ELEC2[0]
    choice.predict_one(x)
    choice.predict_proba_one(dict(x))
    assert len(choice._kept) == 1
    choice.learn_one(x, y)
    assert not choice._kept and not choice._by_key


@pytest.mark.parametrize("missing", [None, float("nan")])
def test_a_row_with_a_missing_value_finds_its_predictions(missing):
    """Keyed as the advancing copy keys it, without its missing values: a NaN given
    again as another NaN object, or None, still matches (review 418: they stayed
    waiting for good)."""
    choice = DREAMDelayedClassifier(DREAMOnlineClassifier(seed=1))
    for x, y in ELEC2[:5]:
        choice.predict_one(x)
        choice.learn_one(x, y)
    x, y = dict(ELEC2[5][0], vicprice=missing), ELEC2[5][1]
    choice.predict_one(x)
    before = dict(choice.mistakes_)
    choice.learn_one(dict(x, vicprice=np.float64("nan") if missing is not None else None), y)
    assert not choice._kept and not choice._by_key
    assert choice.mistakes_ != before  # (scored: the forgetting moved both counts)


@pytest.mark.parametrize("match", ["values", "order"])
def test_the_predictions_kept_for_labels_to_come_are_bounded(monkeypatch, match):
    """At most _MAX_WAITING rows' predictions, the oldest dropped first, whether
    the rows are distinct or the same few again (review 418: a bound on distinct
    rows let repeated ones grow without limit)."""
    monkeypatch.setattr(_choice, "_MAX_WAITING", 3)
    choice = DREAMDelayedClassifier(DREAMOnlineClassifier(seed=1, match_labels_by=match))
    rows = [x for x, _ in ELEC2[:3]] * 4 + [x for x, _ in ELEC2[3:10]]
    for x in rows:
        choice.predict_one(x)
    assert list(choice._kept) == [16, 17, 18]  # (the last three rows read)
    assert sum(len(seqs) for seqs in choice._by_key.values()) == (3 if match == "values" else 0)


@pytest.mark.parametrize("match", ["values", "order"])
@pytest.mark.parametrize("task", ["classification", "regression"])
def test_labels_of_rows_past_the_bound_score_nothing(monkeypatch, match, task):
    """Seven distinct rows read, then their labels: with room for three rows'
    predictions, the labels of the first four score neither copy, and the last
    three score their own rows': the exact copy's sum stays 0, the other's is its
    error on those three. By order the first four labels used to score the kept
    rows' predictions, each another row's (before round 74 the exact copy's sum
    here was 0.25, the classifier's, and 2.25, the regressor's)."""
    monkeypatch.setattr(_choice, "_MAX_WAITING", 3)
    decay = 0.5
    if task == "classification":
        choice = DREAMDelayedClassifier(decay=decay)
        choice._experts = (_Stub(True, match), _Stub(False, match))
        labels = [bool(v) for v in (1, 0, 1, 1, 0, 0, 1)]
        error = 1.0  # (the wrong copy's mistake on each row)
        sums = lambda: list(choice.mistakes_.values())  # noqa: E731
    else:
        choice = DREAMDelayedRegressor(decay=decay)
        choice._experts = (_RegStub(0.0, match), _RegStub(2.0, match))
        labels = [float(v) for v in (1, 0, 2, 1, 0, 2, 1)]
        error = 2.0
        sums = lambda: list(choice.errors_.values())  # noqa: E731
    rows = [({"y": float(y), "i": float(i)}, y) for i, y in enumerate(labels)]
    for x, _ in rows:
        choice.predict_one(x)
    assert len(choice._kept) == 3
    for x, y in rows:
        choice.learn_one(x, y)
    assert sums() == [0.0, error * (decay**2 + decay + 1)]
    assert not choice._kept and not choice._by_key and choice._unkept == 0


def test_the_predictions_kept_are_as_many_as_the_advancing_copy_keeps_rows():
    """Rows read whose targets never come: the store keeps the last 2,048 rows'
    predictions, as the advancing copy keeps its rows (100,000 before round 74, some
    150 MB of keys and entries on six features)."""
    choice = DREAMDelayedRegressor(DREAMOnlineRegressor(seed=1))
    rows = [
        ({"a": float(i % 7), "b": i / 10}, float(i % 5)) for i in range(_pending._MAX_PENDING + 40)
    ]
    for x, y in rows[:5]:
        choice.learn_one(x, y)
    for x, _ in rows:
        choice.predict_one(x)
    assert len(choice._kept) == _pending._MAX_PENDING == 2048
    assert list(choice._kept)[0] == 40  # (the oldest 40 went)


def test_a_refused_label_lets_its_row_go_by_order_as_the_advancing_copy_does():
    """match_labels_by="order": a missing label is refused and its row (the oldest
    waiting) let go by the advancing copy, so that a caller who goes on keeps later
    labels on their rows; the predictions kept for it go with it (review 418)."""
    choice = DREAMDelayedClassifier(DREAMOnlineClassifier(seed=1, match_labels_by="order"))
    for x, y in ELEC2[:20]:
        choice.learn_one(x, y)
    for x, _ in ELEC2[20:23]:
        choice.predict_one(x)
    advance = choice.experts_[1]
    with pytest.raises(ValueError):
        choice.learn_one(ELEC2[20][0], None)
    assert len(choice._kept) == len(advance._pending_rows) == 2
    for x, y in ELEC2[21:23]:
        choice.learn_one(x, y)
    assert not choice._kept and not advance._pending_rows


def test_the_keys_read_from_the_advancing_copy_are_the_rows_own(monkeypatch):
    """The store keys each row by the key the advancing copy just gave it (its
    ``_key_read``), and keys the row itself where that call gave none: the same
    row twice, a label whose row was never predicted, rows before the first label.
    Over rows with missing values, a new feature and values at 0, under a delay,
    its store after every call and its choices are those of a store keyed afresh
    every time."""
    rng = np.random.default_rng(0)
    rows = []
    for i, (x, y) in enumerate(ELEC2[:400]):
        x = dict(x)
        if i % 11 == 0:
            x["vicprice"] = None if i % 2 else float("nan")
        if i > 200:
            x["extra"] = float(rng.integers(0, 2))  # (a new feature, at 0 half the time)
        rows.append((x, y))

    def run(model):
        kept = []
        for i, (x, _) in enumerate(rows):
            if i % 13 != 5:  # (some rows learned only)
                model.predict_one(x)
            if i % 17 == 0:
                model.predict_proba_one(dict(x))  # (the same row again)
            if i >= 30:
                model.learn_one(*rows[i - 30])
            kept.append((list(model._kept.items()), {k: list(v) for k, v in model._by_key.items()}))
        return kept, model.mistakes_, model.leader_

    got = run(DREAMDelayedClassifier(DREAMOnlineClassifier(seed=5)))
    keyed = []

    def own_key(x):
        keyed.append(x)
        return _choice._row_key(_choice._row_values(x)[0])

    class _NoneRead:  # (the advancing copy's key never read: each row keyed afresh)
        def __get__(self, obj, owner=None):
            return None

        def __set__(self, obj, value):
            pass

    from dream_sklearn.online._pending import _PendingRows

    monkeypatch.setattr(_choice, "_key_of", own_key)
    monkeypatch.setattr(_PendingRows, "_key_read", _NoneRead())
    want = run(DREAMDelayedClassifier(DREAMOnlineClassifier(seed=5)))
    assert len(keyed) > 600  # (the second run keyed every row itself)
    assert got == want


def test_a_prediction_does_not_read_its_own_label_or_later_ones():
    """Under delay=50 the predictions up to row T are the same whatever the labels
    from row T on (the protocol the choice reads them by)."""
    rows = ELEC2[:700]
    flipped = rows[:500] + [(x, not y) for x, y in rows[500:]]
    a = _predictions(DREAMDelayedClassifier(DREAMOnlineClassifier(seed=2)), rows, 50)
    b = _predictions(DREAMDelayedClassifier(DREAMOnlineClassifier(seed=2)), flipped, 50)
    assert a[:501] == b[:501]


def test_a_bad_row_changes_nothing():
    choice = DREAMDelayedClassifier(DREAMOnlineClassifier(seed=4))
    twin = DREAMDelayedClassifier(DREAMOnlineClassifier(seed=4))
    head, tail = ELEC2[:300], ELEC2[300:500]
    _predictions(choice, head, 20)
    _predictions(twin, head, 20)
    bad = dict(ELEC2[300][0], nswprice="high")
    with pytest.raises(ValueError, match="OneHotEncoder"):
        choice.learn_one(bad, True)
    assert _predictions(choice, tail, 20) == _predictions(twin, tail, 20)
    assert choice.mistakes_ == twin.mistakes_


def test_its_parameters_are_checked_at_the_first_row():
    with pytest.raises(TypeError, match="model must be a DREAMOnlineClassifier"):
        DREAMDelayedClassifier(linear_model.LogisticRegression()).predict_one({"a": 1.0})
    for decay, error in (
        (0.0, ValueError),
        (1.0, ValueError),
        (True, TypeError),
        ("0.9", TypeError),
    ):
        with pytest.raises(error, match="decay must be a real number in"):
            DREAMDelayedClassifier(decay=decay).learn_one({"a": 1.0}, True)
    model = DREAMDelayedClassifier(decay=np.float32(0.99))  # (a NumPy real: review 418)
    model.learn_one({"a": 1.0}, True)
    model.decay = 2.0  # (read at every label)
    with pytest.raises(ValueError, match="decay must be a real number in"):
        model.learn_one({"a": 1.0}, True)


# --- DREAMDelayedRegressor -------------------------------------------------------------

TRUMP = list(datasets.TrumpApproval())


def test_the_regressor_passes_river_check_estimator():
    for params in DREAMDelayedRegressor._unit_test_params():
        checks.check_estimator(DREAMDelayedRegressor(**params))


def _mae(model, rows, delay):
    """The MAE of ``model`` under ``progressive_val_score`` with ``delay``."""
    return evaluate.progressive_val_score(rows, model, metrics.MAE(), delay=delay).get()


def test_the_regressor_follows_the_copy_closer_under_a_delay_and_the_model_without():
    """TrumpApproval: without a delay the model as given is far ahead (it reads the
    previous target), and the choice follows it to within 1e-3 of its MAE; under
    delay=50 the copy without the previous target is ahead, and the choice follows
    it to within 0.02 of its MAE."""
    other = {"feedback": "none", "readouts": ("cell", "pairs", "mean", "average")}
    default = _mae(DREAMOnlineRegressor(seed=0), TRUMP, None)
    choice = DREAMDelayedRegressor(DREAMOnlineRegressor(seed=0))
    assert _mae(choice, TRUMP, None) == pytest.approx(default, abs=1e-3)
    assert choice.leader_ == "default"
    late = [_mae(DREAMOnlineRegressor(seed=0, **kw), TRUMP, 50) for kw in ({}, other)]
    assert late[0] - late[1] > 0.05  # (the premise)
    choice = DREAMDelayedRegressor(DREAMOnlineRegressor(seed=0))
    assert _mae(choice, TRUMP, 50) <= late[1] + 0.02
    assert choice.leader_ == "no previous target"


def test_the_regressors_copies_share_a_seed_and_the_second_reads_no_previous_target():
    """seed=None: one seed for both copies; the second has feedback="none" and the
    model's readouts without "last" and "hold" (("cell",) where none is left);
    neither advances on the rows it predicts, whatever the model's setting."""
    choice = DREAMDelayedRegressor(DREAMOnlineRegressor(advance_on_predict=True))
    _predictions(choice, TRUMP[:30], None)
    default, other = choice.experts_
    assert default.seed == other.seed is not None
    assert (default.advance_on_predict, other.advance_on_predict) == (False, False)
    assert (default.feedback, other.feedback) == ("cell", "none")
    assert default.readouts == ("last", "cell", "pairs", "hold", "mean", "average")
    assert other.readouts == ("cell", "pairs", "mean", "average")
    only_last = DREAMDelayedRegressor(DREAMOnlineRegressor(seed=1, readouts=("last", "hold")))
    only_last.predict_one({"a": 1.0})
    assert only_last.experts_[1].readouts == ("cell",)


class _RegStub(base.Regressor):
    """Predicts the row's "y" feature plus ``offset``."""

    def __init__(self, offset: float = 0.0, match_labels_by: str = "values") -> None:
        self.offset = offset
        self.match_labels_by = match_labels_by

    def learn_one(self, x, y):
        pass

    def predict_one(self, x):
        return x["y"] + self.offset

    def _check_target(self, y):
        return float(y)


@pytest.mark.parametrize("match", ["values", "order"])
@pytest.mark.parametrize("exact", [0, 1])
def test_the_regressor_copy_closer_leads(exact, match):
    """Targets 5 rows late, matched to the predictions they score by ``match``: the
    copy that is exact leads from the first target on, every prediction after it is
    that copy's, and the other's errors add up with forgetting."""
    choice = DREAMDelayedRegressor(decay=0.5)
    choice._experts = (
        _RegStub(0.0 if exact == 0 else 2.0, match),
        _RegStub(0.0 if exact else 2.0, match),
    )
    rng = np.random.default_rng(0)
    rows = [({"y": float(y)}, float(y)) for y in rng.integers(0, 3, 300)]
    predicted = _predictions(choice, rows, 5)
    names = ("default", "no previous target")
    assert choice.leader_ == names[exact]
    assert choice.errors_[names[exact]] == 0.0
    assert choice.errors_[names[1 - exact]] == pytest.approx(2.0 / (1 - 0.5))  # (2 + 1 + ...)
    assert predicted[6:] == [y for _, y in rows[6:]]
    assert not choice._kept and not choice._by_key  # (every target found its row)


@pytest.mark.parametrize("match", ["values", "order"])
def test_a_refused_target_lets_its_prediction_go(match):
    """A refused target (NaN) raises, and the predictions kept for its row go, so
    that (by order) the later targets score their own rows' predictions: each
    copy's sum moves by exactly its errors on rows 21 and 22."""
    choice = DREAMDelayedRegressor(DREAMOnlineRegressor(seed=1, match_labels_by=match))
    for x, y in TRUMP[:20]:
        choice.learn_one(x, y)
    for x, _ in TRUMP[20:23]:
        choice.predict_one(x)
    with pytest.raises(ValueError, match="not finite"):
        choice.learn_one(TRUMP[20][0], float("nan"))
    kept = [predictions for _, predictions in choice._kept.values()]
    assert len(kept) == 2
    want = [0.0, 0.0]  # (no target scored before)
    for (_, y), predictions in zip(TRUMP[21:23], kept, strict=True):
        want = [0.995 * w + abs(p - y) for w, p in zip(want, predictions, strict=True)]
    for x, y in TRUMP[21:23]:
        choice.learn_one(x, y)
    assert not choice._kept and not choice._by_key
    assert list(choice.errors_.values()) == pytest.approx(want, rel=1e-12)


def test_the_regressor_with_a_bad_row_changes_nothing_and_checks_its_parameters():
    choice = DREAMDelayedRegressor(DREAMOnlineRegressor(seed=4))
    twin = DREAMDelayedRegressor(DREAMOnlineRegressor(seed=4))
    head, tail = TRUMP[:200], TRUMP[200:300]
    _predictions(choice, head, 20)
    _predictions(twin, head, 20)
    bad = dict(TRUMP[200][0], ordinal_date="high")
    with pytest.raises(ValueError, match="OneHotEncoder"):
        choice.learn_one(bad, 40.0)
    assert _predictions(choice, tail, 20) == _predictions(twin, tail, 20)
    assert choice.errors_ == twin.errors_
    with pytest.raises(TypeError, match="model must be a DREAMOnlineRegressor"):
        DREAMDelayedRegressor(DREAMOnlineClassifier()).predict_one({"a": 1.0})
    with pytest.raises(ValueError, match="decay must be a real number in"):
        DREAMDelayedRegressor(decay=1.5).learn_one({"a": 1.0}, 1.0)


@pytest.mark.parametrize("regression", [False, True])
def test_a_refused_label_of_a_refused_row_lets_no_row_go_by_order(regression):
    """match_labels_by="order": a row refused for its values (text) is no row of the
    stream, as predict_one refused it, even with a missing label: the predictions
    kept stay, in step with the advancing copy's rows (review 429: the oldest row's
    went, and every later label scored the next row's)."""
    if regression:
        choice = DREAMDelayedRegressor(DREAMOnlineRegressor(seed=1, match_labels_by="order"))
        rows, label = TRUMP, float("nan")
    else:
        choice = DREAMDelayedClassifier(DREAMOnlineClassifier(seed=1, match_labels_by="order"))
        rows, label = ELEC2, None
    for x, y in rows[:20]:
        choice.learn_one(x, y)
    for x, _ in rows[20:23]:
        choice.predict_one(x)
    bad = dict(rows[20][0])
    bad[next(iter(bad))] = "high"
    with pytest.raises(ValueError):
        choice.learn_one(bad, label)
    assert len(choice._kept) == 3
    if not regression:
        assert len(choice.experts_[1]._pending_rows) == 3
    for x, y in rows[20:23]:
        choice.learn_one(x, y)
    assert not choice._kept
