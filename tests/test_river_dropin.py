"""river details (issue 14): learn_many's y by index, the drift detector's parameters,
text values, and seeding that leaves torch's global generators alone."""

import copy
import random
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from river import drift as river_drift
from sklearn.exceptions import ConvergenceWarning

from dream_sklearn import DREAMClassifier, DREAMRegressor
from dream_sklearn.drift import SurpriseDriftDetector
from dream_sklearn.nn import DREAMCell
from dream_sklearn.online import DREAMOnlineClassifier, DREAMOnlineRegressor


def _frame(n=40, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 3)), columns=["a", "b", "c"])
    X.index = rng.permutation(np.arange(100, 100 + n))  # not a RangeIndex
    return X


def _targets(X, task):
    s = X["a"] + 0.5 * X["b"]
    return (s > 0).map({True: "up", False: "down"}) if task == "c" else 2.0 * s + 1.0


ONLINE = [(DREAMOnlineClassifier, "c"), (DREAMOnlineRegressor, "r")]


def _state(model):
    return [s.copy() for s in model._state] + [model._W.copy(), model._stat_mean.copy()]


def _assert_same(a, b):
    for x, y in zip(_state(a), _state(b), strict=True):
        np.testing.assert_array_equal(x, y)


# --- 1. learn_many aligns y on X's index ---------------------------------------------------


@pytest.mark.parametrize("Online, task", ONLINE)
def test_learn_many_reads_y_by_index_not_position(Online, task):
    X = _frame()
    y = _targets(X, task)
    shuffled = y.sample(frac=1.0, random_state=1)
    assert not shuffled.index.equals(X.index)
    by_frame = Online(hidden_dim=8, rank=2, seed=0)
    by_frame.learn_many(X, shuffled)
    by_row = Online(hidden_dim=8, rank=2, seed=0)
    for i, x in X.iterrows():
        by_row.learn_one(x.to_dict(), y[i])
    _assert_same(by_frame, by_row)


@pytest.mark.parametrize("Online, task", ONLINE)
def test_learn_many_refuses_a_y_whose_index_does_not_match(Online, task):
    X = _frame()
    y = _targets(X, task).reset_index(drop=True)  # 0..n-1: other labels than X's
    model = Online(hidden_dim=8, rank=2, seed=0)
    with pytest.raises(ValueError, match="The index of y does not match the index of X"):
        model.learn_many(X, y)
    assert getattr(model, "n_steps_", 0) == 0
    # one label missing: the lengths said (the indexes' first labels alike: review 341)
    with pytest.raises(ValueError, match=f"X has {len(X)} rows but y has {len(X) - 1} values"):
        model.learn_many(X, _targets(X, task).iloc[:-1])
    # A list or an array has no index: it is read in the order of X's rows.
    model.learn_many(X, list(_targets(X, task)))
    assert model.n_steps_ == len(X)


@pytest.mark.parametrize("Online, task", ONLINE)
def test_a_repeated_index_label_is_matched_in_order_and_the_message_says_so(Online, task):
    """With an index label repeated, y must come in X's order (the rows a label names
    cannot be told apart otherwise), and the message says so: it said "in any order"
    (a review's finding in round 22)."""
    X = _frame().iloc[:4].set_axis([0, 0, 1, 1])
    y = _targets(X, task)
    model = Online(hidden_dim=8, rank=2, seed=0)
    with pytest.raises(ValueError, match="with a label repeated, in the same order") as info:
        model.learn_many(X, y.iloc[[2, 3, 0, 1]])
    assert "(in any order)" not in str(info.value)
    assert getattr(model, "n_steps_", 0) == 0
    model.learn_many(X, y)
    assert model.n_steps_ == 4


# --- 2. SurpriseDriftDetector validates its parameters, as river's detectors do -----------------


def test_river_detectors_validate_in_init():
    # The convention followed: river's own detectors refuse bad values when built.
    with pytest.raises(ValueError):
        river_drift.KSWIN(alpha=2.0)
    with pytest.raises(ValueError):
        river_drift.PageHinkley(mode="sideways")


@pytest.mark.parametrize(
    "name, bad, expected",
    [
        ("threshold", -1, "a finite float > 0"),
        ("threshold", float("inf"), "a finite float > 0"),
        ("drift_margin", -0.1, "a finite float >= 0"),
        ("reference_smoothing", 1.5, "a float in [0, 1]"),
        ("grace_period", -5, "an int >= 2"),
        ("grace_period", 1, "an int >= 2"),
        ("grace_period", 10.5, "an int >= 2"),
        ("hidden_dim", 0, "an int >= 1"),
        ("error_smoothing", -0.1, "a float in [0, 1)"),
        ("error_smoothing", 1.0, "a float in [0, 1)"),
        ("surprise_temperature", 0.0, "a finite float >= 0.001 (the step's floor)"),
        ("surprise_temperature", 1e-4, "a finite float >= 0.001 (the step's floor)"),
        ("seed", "0", "an int"),
        ("threshold", True, "a finite float > 0"),
    ],
)
def test_drift_detector_refuses_bad_parameters(name, bad, expected):
    message = (
        f"The '{name}' parameter of SurpriseDriftDetector must be {expected}. Got {bad!r} instead."
    )
    with pytest.raises(ValueError) as err:
        SurpriseDriftDetector(**{name: bad})
    assert str(err.value) == message


def test_drift_detector_takes_numpy_numbers_and_clones():
    det = SurpriseDriftDetector(
        threshold=np.float32(6.0),
        grace_period=np.int64(50),
        hidden_dim=np.int64(4),
        seed=np.int8(1),
    )
    for x in [random.Random(0).gauss(0, 1) for _ in range(100)]:
        det.update(x)
    assert 0.0 <= det.surprise <= 1.0
    clone = det.clone()
    assert clone.grace_period == 50 and clone.statistic == 0.0


# --- 3. text is never a number, np.str_ included ------------------------------------------------


@pytest.mark.parametrize("Online, task", ONLINE)
@pytest.mark.parametrize(
    "text",
    ["1.5", np.str_("1.5"), b"1.5", np.bytes_(b"1.5")],
    ids=["str", "np.str_", "bytes", "np.bytes_"],
)
def test_text_feature_values_are_refused_as_plain_str_is(Online, task, text):
    model = Online(hidden_dim=8, rank=2, seed=0)
    y = "up" if task == "c" else 1.0
    model.learn_one({"a": 1.0}, y)
    for call in (lambda: model.predict_one({"a": text}), lambda: model.learn_one({"a": text}, y)):
        with pytest.raises(ValueError) as err:
            call()
        assert str(err.value).startswith(f"Feature 'a' has a non-numeric value {text!r}; ")
        assert "river.preprocessing.OneHotEncoder" in str(err.value)
    assert model.n_steps_ == 1


@pytest.mark.parametrize("Online, task", ONLINE)
@pytest.mark.parametrize("dtype", [object, "string"])
def test_text_columns_are_refused_by_learn_many_and_predict_many(Online, task, dtype):
    X = pd.DataFrame({"a": [1.0, 2.0], "b": pd.Series(["0.5", "1.5"], dtype=dtype)})
    y = pd.Series(["up", "down"] if task == "c" else [1.0, 2.0])
    model = Online(hidden_dim=8, rank=2, seed=0)
    with pytest.raises(ValueError, match=r"Feature 'b' has a non-numeric value '0.5' \(row 0\)"):
        model.learn_many(X, y)
    model.learn_one({"a": 1.0}, y[0])
    with pytest.raises(ValueError, match="Feature 'b' has a non-numeric value"):
        model.predict_many(X)
    # Missing values in an object column stay missing values.
    ok = pd.DataFrame({"a": [1.0, 2.0], "b": pd.Series([0.5, None], dtype=object)})
    model.learn_many(ok, y)
    assert model.n_steps_ == 3


@pytest.mark.parametrize("text", ["1.5", np.str_("1.5")], ids=["str", "np.str_"])
def test_regressor_refuses_a_text_target(text):
    model = DREAMOnlineRegressor(hidden_dim=8, rank=2, seed=0)
    with pytest.raises(ValueError, match="is not a number"):
        model.learn_one({"a": 1.0}, text)


def test_labels_that_compare_equal_are_one_class():
    """As a dict keys them (river's classifiers too; documented under classes_): 0
    and False one class, named by the first seen; "1" and 1 two."""
    model = DREAMOnlineClassifier(hidden_dim=8, rank=2, seed=0)
    for i, y in enumerate([0, False, 1, True, 1.0, "1"]):
        model.learn_one({"a": float(i)}, y)
    assert model.classes_ == [0, 1, "1"]
    assert set(model.predict_proba_one({"a": 0.5})) == {0, 1, "1"}


def test_regressor_reads_a_bool_target_as_0_or_1():
    """As river's and scikit-learn's regressors read it (documented in learn_one)."""
    rng = np.random.default_rng(0)
    rows = [({"a": float(v)}, bool(v > 0)) for v in rng.normal(size=60)]
    as_bool, as_float = (DREAMOnlineRegressor(hidden_dim=8, rank=2, seed=0) for _ in range(2))
    for i, (x, y) in enumerate(rows):
        as_bool.learn_one(x, np.bool_(y) if i % 2 else y)  # (Python's bool and NumPy's)
        as_float.learn_one(x, float(y))
    assert as_bool.predict_one({"a": 0.5}) == as_float.predict_one({"a": 0.5})
    as_bool.learn_many(pd.DataFrame({"a": [0.1, -0.2]}), pd.Series([True, False]))
    as_float.learn_many(pd.DataFrame({"a": [0.1, -0.2]}), pd.Series([1.0, 0.0]))
    assert as_bool.predict_one({"a": 0.5}) == as_float.predict_one({"a": 0.5})


# --- 4. seeding through a torch.Generator -------------------------------------------------------


@pytest.fixture
def cuda_reseeds(monkeypatch):
    """Calls to torch.cuda.manual_seed_all (which torch.manual_seed makes) while used."""
    calls = []
    monkeypatch.setattr(torch.cuda, "manual_seed_all", lambda seed: calls.append(seed))
    return calls


def _fit_sklearn(Estimator, seed):
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(16, 4, 2)), np.arange(16) % 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return Estimator(4, rank=2, solver="adam", max_iter=2, random_state=seed).fit(X, y)


def _learn_online(Online, seed):
    model = Online(hidden_dim=4, rank=2, seed=seed)
    for i in range(20):
        model.learn_one({"a": np.sin(i), "b": np.cos(i)}, i % 2)
    model.learn_one({"a": 0.0, "b": 1.0, "c": 2.0}, 1)  # the cell grows: new weights drawn
    return model


def _detector(seed):
    det = SurpriseDriftDetector(seed=seed)
    for i in range(30):
        det.update(float(np.sin(i)))
    return det


BUILDS = {
    "DREAMClassifier": lambda seed: _fit_sklearn(DREAMClassifier, seed),
    "DREAMRegressor": lambda seed: _fit_sklearn(DREAMRegressor, seed),
    "DREAMOnlineClassifier": lambda seed: _learn_online(DREAMOnlineClassifier, seed),
    "DREAMOnlineRegressor": lambda seed: _learn_online(DREAMOnlineRegressor, seed),
    "SurpriseDriftDetector": _detector,
}


def _weights(built) -> dict:
    if hasattr(built, "module_"):
        return {k: v.clone() for k, v in built.module_.state_dict().items()}
    cell = built.cell_ if hasattr(built, "cell_") else built._cell
    out = {k: v.clone() for k, v in cell.state_dict().items()}
    if hasattr(built, "_W"):
        out["readout"] = torch.from_numpy(built._W.copy())
    return out


@pytest.mark.parametrize("name", list(BUILDS))
def test_seeding_leaves_torchs_global_generators_alone(name, cuda_reseeds):
    torch.manual_seed(1234)
    cuda_reseeds.clear()
    before = torch.get_rng_state()
    BUILDS[name](7)
    assert torch.equal(torch.get_rng_state(), before)
    assert cuda_reseeds == []  # no CUDA generator reseeded


@pytest.mark.parametrize("name", list(BUILDS))
def test_the_same_seed_builds_the_same_model(name):
    torch.manual_seed(0)
    a = _weights(BUILDS[name](7))
    torch.manual_seed(99)  # the global generator plays no part
    b = _weights(BUILDS[name](7))
    c = _weights(BUILDS[name](8))
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


def test_reset_parameters_draws_from_the_generator_given():
    cell = DREAMCell(3, 5, rank=2)
    before = torch.get_rng_state()
    cell.reset_parameters(torch.Generator().manual_seed(3))
    first = {k: v.clone() for k, v in cell.state_dict().items()}
    cell.reset_parameters(torch.Generator().manual_seed(3))
    assert torch.equal(torch.get_rng_state(), before)
    assert all(torch.equal(v, cell.state_dict()[k]) for k, v in first.items())
    # V stays semi-orthonormal (orthonormal columns here, rank <= input_dim).
    V = cell.V.double()
    torch.testing.assert_close(V.T @ V, torch.eye(2, dtype=torch.float64))
    # Without a generator: torch's global one, as before.
    torch.manual_seed(5)
    cell.reset_parameters()
    torch.manual_seed(5)
    again = DREAMCell(3, 5, rank=2)
    assert torch.equal(cell.B, again.B) and torch.equal(cell.V, again.V)


def _random_rows(task, n=600, seed=0):
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        x = {"a": rng.gauss(0, 1), "b": rng.gauss(0, 1)}
        rows.append((x, rng.random() < 0.5 if task == "c" else rng.gauss(0, 1)))
    return rows


@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.parametrize("Model, task", ONLINE)
def test_a_learn_one_repeated_on_the_same_row_is_learned_once(Model, task, compiled):
    # River's bagging and boosting learn a row k times for a weight k. Each time stepped
    # the cell again, with the row's own label fed back as the previous one: a model
    # learning each row twice predicted the previous label on 99.8% of a stream of
    # random labels (review 130). A repeat is learned once: the same model as one call.
    from dream_sklearn.online import set_compiled

    previous = set_compiled(compiled)
    try:
        once, twice = Model(seed=0, hidden_dim=8), Model(seed=0, hidden_dim=8)
        got, want = [], []
        for x, y in _random_rows(task):
            want.append(once.predict_one(x))
            got.append(twice.predict_one(x))
            once.learn_one(x, y)
            twice.learn_one(x, y)
            twice.learn_one(x, y)
        assert got == want and twice.n_steps_ == once.n_steps_ == 600
        # River's SRP predicts on a row and learns an equal copy of it, k times: one row.
        x, y = {"a": 0.3, "b": -0.2}, _random_rows(task, 1)[0][1]
        twice.predict_one(x)
        copy = dict(x)
        twice.learn_one(copy, y)
        twice.learn_one(copy, y)
        assert twice.n_steps_ == 601
        # Not a repeat: another label, values changed in place, a row read in between
        # (one row or a frame), or a row never predicted (a learn-only loop over one
        # dict object, a constant row, learns every call: review 131).
        other = (not y) if task == "c" else y + 1.0
        twice.learn_one(copy, other)
        copy["a"] = 0.4
        twice.learn_one(copy, other)
        twice.predict_one(copy)
        twice.learn_one(copy, other)
        twice.predict_many(pd.DataFrame([copy]))
        twice.learn_one(copy, other)
        assert twice.n_steps_ == 605
        constant = {"a": 1.0, "b": 1.0}
        for _ in range(3):
            twice.learn_one(constant, y)
        assert twice.n_steps_ == 608
        # A refused learn_one leaves the model as it was, the predict it follows
        # included: the next call learns the row once, and its repeat is one (the
        # refusal cleared the predict: review 134).
        twice.predict_one(x)
        with pytest.raises((TypeError, ValueError)):
            twice.learn_one(x, None)
        twice.learn_one(x, y)
        twice.learn_one(x, y)
        assert twice.n_steps_ == 609
    finally:
        set_compiled(previous)


@pytest.mark.parametrize("how", ["deepcopy", "clone"])
@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.parametrize("Model, task", ONLINE)
def test_a_copy_judges_a_repeated_learn_one_as_the_original(Model, task, compiled, how):
    """A copy made between a row's learn_one and its repeat (``copy.deepcopy``, river's
    ``clone(include_attributes=True)``) keeps the mark on the caller's row object, so it
    learns the repeat once, as the original does: the same steps, the same predictions
    after. Both dropped the mark, and the copy learned the repeat as a new row (review
    384: 6 steps against 7, the next predictions apart)."""
    from dream_sklearn.online import set_compiled

    previous = set_compiled(compiled)
    try:
        model = Model(seed=0, hidden_dim=8)
        for x, y in _random_rows(task, 30):
            model.predict_one(x)
            model.learn_one(x, y)
        x, y = _random_rows(task, 1, seed=1)[0]
        model.predict_one(x)
        model.learn_one(x, y)
        twin = copy.deepcopy(model) if how == "deepcopy" else model.clone(include_attributes=True)
        if how == "deepcopy":  # (a container copied with the model copies the row: review 387)
            _, row = copy.deepcopy([model, x])
            assert row == x and row is not x
        model.learn_one(x, y)
        twin.learn_one(x, y)
        assert twin.n_steps_ == model.n_steps_ == 31
        for x, y in _random_rows(task, 20, seed=2):
            assert twin.predict_one(x) == model.predict_one(x)
            model.learn_one(x, y)
            twin.learn_one(x, y)
    finally:
        set_compiled(previous)


@pytest.mark.parametrize("Model, task", ONLINE)
def test_a_copy_counts_a_row_predicted_again_before_any_label_as_the_original(Model, task):
    """``advance_on_predict=True`` counts a row predicted before anything is built once,
    however often the same row object is predicted (``_unbuilt_last``); a deepcopy made
    between two predictions of it counts it as the original does (review 387)."""
    model = Model(seed=0, advance_on_predict=True)
    x = {"a": 1.0, "b": 2.0}
    model.predict_one(x)
    twin = copy.deepcopy(model)
    model.predict_one(x)
    twin.predict_one(x)
    assert twin._unbuilt == model._unbuilt and sum(model._unbuilt.values()) == 1


def _refusals(model, y):
    """Calls the model refuses, each a row or frame of text where a number belongs."""
    bad, frame = {"a": "oops"}, pd.DataFrame({"a": ["oops"]})
    calls = [
        lambda: model.predict_one(bad),
        lambda: model.learn_one(bad, y),
        lambda: model.predict_many(frame),
        lambda: model.learn_many(frame, [y]),
    ]
    if hasattr(model, "predict_proba_one"):
        calls += [lambda: model.predict_proba_one(bad), lambda: model.predict_proba_many(frame)]
    return calls


@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.parametrize("Model, task", ONLINE)
def test_a_refused_call_leaves_the_repeat_marks_as_they_were(Model, task, compiled):
    """A refused predict marked the stream as read before it read the row: a learn-only
    loop over one dict object after it dropped its 2nd and 3rd calls as repeats, and
    a repeat after it was learned again (review 308). Each refused call leaves the
    model as it was: the same steps and predictions as a twin never given it."""
    from dream_sklearn.online import set_compiled

    previous = set_compiled(compiled)
    try:
        rows = _random_rows(task, 40)
        x, y = {"a": 1.0, "b": 2.0}, rows[0][1]
        probe = {"a": 0.0, "b": 1.0}

        def learned(refuse=None):
            model = Model(seed=0, hidden_dim=8)
            for row, label in rows:
                model.predict_one(row)
                model.learn_one(row, label)
            if refuse is not None:
                with pytest.raises((TypeError, ValueError)):
                    refuse(model)
            return model

        def loop(model):  # a learn-only loop over one dict object: every call learns
            for _ in range(3):
                model.learn_one(x, y)
            return model.n_steps_, model.predict_one(probe)

        def repeat(model):  # a predicted row learned twice (river's bagging): once
            model.learn_one(x, y)
            model.learn_one(x, y)
            return model.n_steps_, model.predict_one(probe)

        twin = learned()
        want_loop = loop(twin)
        assert want_loop[0] == len(rows) + 3
        for i in range(len(_refusals(twin, y))):
            assert loop(learned(lambda m, i=i: _refusals(m, y)[i]())) == want_loop, i
        twin = learned()
        twin.predict_one(x)
        want_repeat = repeat(twin)
        assert want_repeat[0] == len(rows) + 1
        for i in range(len(_refusals(twin, y))):
            model = learned()
            model.predict_one(x)
            model.learn_one(x, y)
            with pytest.raises((TypeError, ValueError)):
                _refusals(model, y)[i]()
            model.learn_one(x, y)  # (the repeat: learned once in all)
            assert (model.n_steps_, model.predict_one(probe)) == want_repeat, i
    finally:
        set_compiled(previous)


def test_a_bagged_model_learns_each_drawn_row_once():
    from river import ensemble

    bag = ensemble.BaggingClassifier(
        DREAMOnlineClassifier(seed=0, hidden_dim=8), n_models=3, seed=0
    )
    rows = _random_rows("c", 300)
    for x, y in rows:
        bag.predict_one(x)
        bag.learn_one(x, y)
    # (river draws k ~ Poisson(1) per member and row: a member learns the rows with k >= 1)
    assert all(0.5 * len(rows) < m.n_steps_ < 0.8 * len(rows) for m in bag)
    # With a scaler, before the ensemble: the members get the row it scaled, once a row.
    # (An ensemble of pipelines hands each draw a row scaled anew: learned each time.)
    from river import preprocessing

    scaled = preprocessing.StandardScaler() | ensemble.BaggingClassifier(
        DREAMOnlineClassifier(seed=0, hidden_dim=8), n_models=3, seed=0
    )
    for x, y in rows:
        scaled.predict_one(x)
        scaled.learn_one(x, y)
    members = scaled[list(scaled.steps)[-1]]
    assert all(0.5 * len(rows) < m.n_steps_ < 0.8 * len(rows) for m in members)


@pytest.mark.parametrize("Model, task", ONLINE)
def test_mutate_changes_a_parameter_each_row_reads_and_refuses_a_read_once_one(Model, task):
    rows = _random_rows(task, 300)
    mutated, assigned, kept = (Model(seed=0, hidden_dim=8) for _ in range(3))
    for t, (x, y) in enumerate(rows):
        if t == 150:
            mutated.mutate({"l2": 0.5, "surprise_gain": 2.0})
            assigned.l2, assigned.surprise_gain = 0.5, 2.0
        for model in (mutated, assigned, kept):
            model.learn_one(x, y)
    x = rows[0][0]
    assert mutated.predict_one(x) == assigned.predict_one(x)
    np.testing.assert_array_equal(mutated._W, assigned._W)
    assert not np.array_equal(mutated._W, kept._W)
    with pytest.raises(ValueError, match="learning_rate"):
        mutated.mutate({"learning_rate": 0.1})
    assert {"max_pairs", "n_neighbors"} <= mutated._mutable_attributes
    assert ("standardize_rate" in mutated._mutable_attributes) == (task == "r")
