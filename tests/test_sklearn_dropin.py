"""Issue 14, scikit-learn part: the estimators as drop-ins for scikit-learn's tools.

sample_weight / class_weight, warm_start bookkeeping, the (sequence id, time) DataFrame
with scikit-learn's splitters, 2-D input to a model fitted on longer sequences, and
from_sklearn (standardisation, loaded statistics, feature names).
"""

import warnings
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.ensemble import AdaBoostClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, KFold, cross_val_predict, cross_val_score
from sklearn.neural_network import MLPClassifier
from sklearn.utils.class_weight import compute_sample_weight

from dream_sklearn import DREAMClassifier, DREAMRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# float64: these tests compare paths to 1e-9 (float32, the default: test_sequence_learning.py).
SMALL = dict(
    solver="adam",
    plasticity=True,  # the plastic memory these tests follow
    hidden_dim=6,
    rank=2,
    max_iter=5,
    learning_rate_init=0.05,
    random_state=0,
    dtype="float64",
)


def data(n=40, steps=5, d=2, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, steps, d))
    s = X[:, -2:, 0].sum(axis=1)
    return X, np.where(s > 0, "up", "down"), s


def weights_of(est):
    return {k: v.detach().numpy().copy() for k, v in est.module_.state_dict().items()}


def assert_same_model(a, b, rtol=1e-7, atol=1e-10):
    wa, wb = weights_of(a), weights_of(b)
    assert wa.keys() == wb.keys()
    for k in wa:
        np.testing.assert_allclose(wa[k], wb[k], rtol=rtol, atol=atol, err_msg=k)
    for ta, tb in zip(a.memory_, b.memory_, strict=True):
        np.testing.assert_allclose(ta.numpy(), tb.numpy(), rtol=rtol, atol=atol)
    np.testing.assert_allclose(a.x_mean_, b.x_mean_, rtol=rtol, atol=atol)
    np.testing.assert_allclose(a.x_scale_, b.x_scale_, rtol=rtol, atol=atol)


# ---------------------------------------------------------------- 1. sample_weight


@pytest.mark.parametrize("Estimator", [DREAMClassifier, DREAMRegressor])
def test_zero_weight_is_the_same_as_leaving_the_sequence_out(Estimator):
    X, labels, s = data()
    y = labels if Estimator is DREAMClassifier else s
    w = np.ones(len(X))
    w[::4] = 0.0  # a quarter of the sequences weigh nothing
    keep = w > 0
    params = dict(SMALL, shuffle=False)
    weighted = Estimator(**params).fit(X, y, sample_weight=w)
    without = Estimator(**params).fit(X[keep], y[keep])
    assert_same_model(weighted, without)
    if Estimator is DREAMRegressor:
        np.testing.assert_allclose(weighted.y_mean_, without.y_mean_)
        np.testing.assert_allclose(weighted.y_scale_, without.y_scale_)
    np.testing.assert_allclose(weighted.loss_curve_, without.loss_curve_, rtol=1e-9)
    out = "predict_proba" if Estimator is DREAMClassifier else "predict"
    np.testing.assert_allclose(
        getattr(weighted, out)(X), getattr(without, out)(X), rtol=1e-7, atol=1e-10
    )
    # the weights are not ignored: with all sequences the model differs
    everything = Estimator(**params).fit(X, y)
    assert not np.allclose(
        weights_of(everything)["head.weight"], weights_of(weighted)["head.weight"]
    )


@pytest.mark.parametrize("Estimator", [DREAMClassifier, DREAMRegressor])
def test_integer_weights_are_the_same_as_repeated_sequences(Estimator):
    # One mini-batch ("auto" = min(200, n)), so the mean loss over the repeated data
    # and the weighted mean are the same sum: equal up to rounding.
    X, labels, s = data(n=30)
    y = labels if Estimator is DREAMClassifier else s
    w = np.random.RandomState(1).randint(0, 4, size=len(X))
    params = dict(SMALL, shuffle=False)
    weighted = Estimator(**params).fit(X, y, sample_weight=w)
    repeated = Estimator(**params).fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    assert_same_model(weighted, repeated, rtol=1e-6, atol=1e-9)


def test_zero_weight_in_partial_fit_is_the_same_as_leaving_it_out():
    X, y, _ = data()
    w = np.ones(len(X))
    w[1::3] = 0.0
    a = DREAMClassifier(**SMALL).partial_fit(X, y, classes=["down", "up"], sample_weight=w)
    b = DREAMClassifier(**SMALL).partial_fit(X[w > 0], y[w > 0], classes=["down", "up"])
    assert_same_model(a, b)


def test_sample_weight_is_validated_the_scikit_learn_way():
    X, y, _ = data(n=10)
    clf = DREAMClassifier(**SMALL)
    with pytest.raises(ValueError, match="Negative values in data passed to `sample_weight`"):
        clf.fit(X, y, sample_weight=-np.ones(10))
    with pytest.raises(ValueError, match=r"sample_weight.shape == \(3,\), expected \(10,\)"):
        clf.fit(X, y, sample_weight=np.ones(3))
    with pytest.raises(ValueError, match="at least one non-zero"):
        clf.fit(X, y, sample_weight=np.zeros(10))


@pytest.mark.parametrize("Estimator", [DREAMClassifier, DREAMRegressor])
def test_sample_weights_of_a_far_scale_train_a_float32_fit(Estimator):
    # The loss is a weighted mean: without the L2 penalty (alpha=0) the weights' scale
    # changes nothing. float32 held 1e-46 as 0 (every mini-batch skipped: nothing
    # learned, the loss curve 0) and 1e39 as inf (a fit said to diverge).
    X, labels, s = data()
    y = labels if Estimator is DREAMClassifier else s
    params = dict(SMALL, dtype="float32", alpha=0.0)
    plain = Estimator(**params).fit(X, y, sample_weight=np.ones(len(X)))
    # (1e307: near float64's limit, the weights' sums overflowed there too: the
    # standardisation's means NaN, and the loss curve's inf / inf read as a
    # diverged fit; review 202)
    for scale in (1e-46, 1e39, 1e307):
        scaled = Estimator(**params).fit(X, y, sample_weight=np.full(len(X), scale))
        assert_same_model(scaled, plain, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(scaled.loss_curve_, plain.loss_curve_, rtol=1e-5)
    # With the penalty, weights too small for its factor in float32 are named: over
    # the fit, or in one mini-batch (a batch of tiny weights froze the matrices).
    with pytest.raises(ValueError, match=r"sample_weight: a mini-batch's weights sum to 4e-39 \("):
        Estimator(**dict(params, alpha=1e-4)).fit(X, y, sample_weight=np.full(len(X), 1e-40))
    w = np.full(len(X), 1e-26)
    w[0] = 1.0
    with pytest.raises(ValueError, match=r"sum to 4e-26 \(batch_size=4\)"):
        Estimator(**dict(params, alpha=1e-4, batch_size=4, shuffle=False)).fit(
            X, y, sample_weight=w
        )
    # Without weights the same rule, naming alpha: alpha=1e22 trained with Adam's
    # squared gradients at inf, the matrices frozen, silently, where weights of 1 were
    # refused (review 310).
    huge = Estimator(**dict(params, alpha=1e22, batch_size=4))
    for weights in (None, np.ones(len(X))):
        with pytest.raises(ValueError, match=r"alpha=1e\+22\), is too large for torch.float32"):
            huge.fit(X, y, sample_weight=weights)
    with pytest.raises(ValueError, match=r"^alpha: a mini-batch of 4 sequences"):
        huge.fit(X, y)


@pytest.mark.parametrize("Estimator", [DREAMClassifier, DREAMRegressor])
def test_ridge_fit_with_weights_near_float64s_limit_is_the_unweighted_fit(Estimator):
    # The weighted standardisation summed the weights as given: 1e307 each
    # overflowed, the means were NaN and every prediction NaN, silently (review 202).
    X, labels, s = data()
    y = labels if Estimator is DREAMClassifier else s
    plain = Estimator(random_state=0, hidden_dim=8).fit(X, y)
    for scale in (1e306, 1e307):
        far = Estimator(random_state=0, hidden_dim=8).fit(X, y, sample_weight=np.full(40, scale))
        np.testing.assert_allclose(far.x_mean_, plain.x_mean_, rtol=1e-12, atol=1e-14)
        if Estimator is DREAMClassifier:
            np.testing.assert_allclose(far.predict_proba(X), plain.predict_proba(X), atol=1e-9)
        else:
            np.testing.assert_allclose(far.predict(X), plain.predict(X), atol=1e-9)


@pytest.mark.parametrize("Estimator", [DREAMClassifier, DREAMRegressor])
@pytest.mark.parametrize("call", ["partial_fit", "warm fit"])
def test_a_call_refused_on_a_mini_batchs_weights_leaves_the_network_as_it_was(Estimator, call):
    # (review 108) The refusal comes mid-pass, after the mini-batches before it took
    # their steps: the network and Adam's state had moved under the old n_iter_ and
    # loss curve, and a retry learned those mini-batches twice.
    import copy

    X, labels, s = data(n=8)
    y = labels if Estimator is DREAMClassifier else s
    params = dict(SMALL, dtype="float32", alpha=1e-4, batch_size=4, shuffle=False)
    model = Estimator(**params, warm_start=call == "warm fit").fit(X, y)
    before = copy.deepcopy(model.module_.state_dict())
    adam = copy.deepcopy(model.optimizer_.state_dict())
    w = np.array([1.0] * 4 + [1e-30] * 4)
    with pytest.raises(ValueError, match=r"sum to 4e-30 \(batch_size=4\)"):
        if call == "partial_fit":
            model.partial_fit(X, y, sample_weight=w)
        else:
            model.fit(X, y, sample_weight=w)
    after = model.module_.state_dict()
    assert all(np.array_equal(before[k].numpy(), after[k].numpy()) for k in before)
    steps = [v["step"].item() for v in model.optimizer_.state_dict()["state"].values()]
    assert steps == [v["step"].item() for v in adam["state"].values()]


def test_float32_reads_raw_inputs_far_from_one_as_float64_does():
    # (review 108) With standardize=False, float32 clipped the inputs to 1e8: raw
    # values of 5e8 (timestamps, amounts in cents) were read as 1e8, and the same
    # network's predictions moved by 0.5 against float64's.
    import copy

    import torch

    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 4, 2)) * np.array([5e8, 1.5e8])
    y = rng.normal(size=30)
    params = dict(hidden_dim=4, solver="adam", max_iter=2, standardize=False, random_state=0)
    wide = DREAMRegressor(**params, dtype="float64").fit(X, y)
    narrow = copy.deepcopy(wide)
    narrow.module_.to(torch.float32)
    narrow.memory_ = narrow.memory_.to(torch.float32)
    narrow.dtype = "float32"
    np.testing.assert_allclose(narrow.predict(X), wide.predict(X), atol=1e-5)
    assert np.abs(wide.predict(X) - wide.predict(np.clip(X, -1e8, 1e8))).max() > 0.1
    huge = X * 1e28  # (within float32's range once clipped: finite)
    assert np.isfinite(narrow.predict(huge)).all()


def test_a_float32_fit_on_raw_inputs_beyond_its_clip_warns():
    # (review 352) float32 reads the cell's inputs clipped to 1e30; with
    # standardize=False raw inputs of 1e31 were read at the clip, and the model was
    # not float64's (R^2 0.523 against 0.848), without a word.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 6, 2))
    y = X[:, :, 0].mean(1)
    params = dict(hidden_dim=4, random_state=0, standardize=False)
    with pytest.warns(UserWarning, match=r"beyond \+-1e\+30 .* Set dtype='float64'"):
        DREAMRegressor(**params).fit(X * 1e31, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        DREAMRegressor(**params).fit(X * 1e29, y)  # (within the clip)
        DREAMRegressor(**params, dtype="float64").fit(X * 1e31, y)
        DREAMRegressor(hidden_dim=4, random_state=0).fit(X * 1e31, y)  # (standardised)


def _held_out_rows(Estimator, monkeypatch) -> list:
    """The rows each later fit's early-stopping split holds out, as fit draws them."""
    held_out = []
    split = Estimator._split

    def spy(self, *args):
        train, val = split(self, *args)
        held_out.append(val)
        return train, val

    monkeypatch.setattr(Estimator, "_split", spy)
    return held_out


@pytest.mark.parametrize("Estimator", [DREAMClassifier, DREAMRegressor])
def test_early_stopping_names_a_validation_split_without_weight(Estimator, monkeypatch):
    # (the validation score divided by a total weight of 0: a bare ZeroDivisionError,
    # or scikit-learn's false message that every weight was 0)
    X, labels, s = data(n=20)
    y = labels if Estimator is DREAMClassifier else s
    params = dict(SMALL, early_stopping=True, validation_fraction=0.2)
    held_out = _held_out_rows(Estimator, monkeypatch)
    est = Estimator(**params).fit(X, y)
    assert len(est.validation_scores_) == est.n_iter_
    val = held_out[0]
    w = np.ones(len(X))
    w[val] = 0.0
    with pytest.raises(ValueError, match=r"early_stopping=True: the validation split \(valid"):
        Estimator(**params).fit(X, y, sample_weight=w)


def test_early_stopping_scores_by_sample_weight_alone_as_sgd_classifier_does(monkeypatch):
    # class_weight weighs the loss, not the held-out score: validation_scores_ is the
    # accuracy on the held-out sequences, weighted by sample_weight alone, as
    # score(X, y, sample_weight) and SGDClassifier's early stopping read it (class
    # weights 1 and 100 made it 0.03 where the accuracy was 0.64; review 294)
    X, y, _ = data(n=30)
    held_out = _held_out_rows(DREAMClassifier, monkeypatch)
    w = np.random.RandomState(1).uniform(0.5, 2.0, len(X))
    for class_weight in (None, {"up": 100.0}, {"down": 0.0}):
        clf = DREAMClassifier(
            **dict(SMALL, early_stopping=True, validation_fraction=0.3, max_iter=1),
            class_weight=class_weight,
        ).fit(X, y, sample_weight=w)
        val = held_out[-1]
        # (one epoch: the model scored is the one kept)
        assert clf.validation_scores_[0] == pytest.approx(clf.score(X[val], y[val], w[val]))


def test_early_stopping_needs_two_validation_sequences():
    # (one sequence: the regressor's R^2 was NaN every epoch, so early stopping never
    # stopped the fit nor kept a best epoch; MLPRegressor refuses it)
    X, _, s = data(n=10)
    params = dict(SMALL, early_stopping=True, max_iter=30, n_iter_no_change=2)
    with pytest.raises(ValueError, match="validation split holds 1 sequence of 10"):
        DREAMRegressor(**params).fit(X, s)
    est = DREAMRegressor(**dict(params, validation_fraction=0.2)).fit(X, s)
    assert np.isfinite(est.validation_scores_).all()
    assert est.best_validation_score_ == max(est.validation_scores_)


def test_errors_of_the_gradient_fit_name_what_is_wrong():
    X, y, _ = data()
    # (torch's Adam failed converting its first step: a RuntimeError naming nothing)
    with pytest.raises(
        ValueError, match=r"learning_rate_init=1e\+38 is too large for torch\.float32"
    ):
        DREAMClassifier(**dict(SMALL, dtype="float32", learning_rate_init=1e38)).fit(X, y)
    # (the message spoke of a first call to partial_fit that never happened)
    clf = DREAMClassifier(**SMALL).fit(X, y)
    with pytest.raises(ValueError, match=r"the classes_ this estimator was fitted with"):
        clf.partial_fit(X, y, classes=["down", "up", "flat"])


def test_sample_weight_as_a_series_is_aligned_by_sequence_id():
    X, y, _ = data(n=20, steps=3)
    ids = [f"s{i}" for i in range(20)]
    frame = pd.DataFrame(
        X.reshape(-1, 2),
        index=pd.MultiIndex.from_product([ids, range(3)]),
        columns=["a", "b"],
    )
    w = np.arange(20) % 3 * 1.0
    shuffled = pd.Series(w, index=ids).iloc[::-1]  # same weights, other order
    a = DREAMClassifier(**SMALL).fit(frame, pd.Series(y, index=ids), sample_weight=shuffled)
    b = DREAMClassifier(**SMALL).fit(X, y, sample_weight=w)
    assert_same_model(a, b)
    # score aligns the weights by sequence id too: with weight 1 on the right answers
    # only (every other label flipped, so some are wrong), the weighted accuracy is 1
    labels = np.where(np.arange(20) % 2 == 0, y, np.where(y == "up", "down", "up"))
    right = (a.predict(frame) == labels).astype(float)
    assert 0 < right.sum() < len(right)
    weights = pd.Series(right, index=ids).iloc[::-1]
    assert a.score(frame, pd.Series(labels, index=ids).iloc[::-1], sample_weight=weights) == 1.0


def test_class_weight_dict_equals_the_same_sample_weight():
    X, y, _ = data()
    cw = {"up": 3.0, "down": 0.5}
    a = DREAMClassifier(class_weight=cw, **SMALL).fit(X, y)
    b = DREAMClassifier(**SMALL).fit(X, y, sample_weight=np.where(y == "up", 3.0, 0.5))
    assert_same_model(a, b)
    assert a.get_params()["class_weight"] == cw
    # labels left out of the dict weigh 1, and both weights multiply
    c = DREAMClassifier(class_weight={"up": 2.0}, **SMALL).fit(X, y, sample_weight=np.full(40, 3))
    d = DREAMClassifier(**SMALL).fit(X, y, sample_weight=np.where(y == "up", 6.0, 3.0))
    assert_same_model(c, d)


def test_class_weight_balanced_is_scikit_learns():
    X, y, _ = data()
    y = y.copy()
    y[:30] = "down"  # imbalanced
    a = DREAMClassifier(class_weight="balanced", **SMALL).fit(X, y)
    b = DREAMClassifier(**SMALL).fit(X, y, sample_weight=compute_sample_weight("balanced", y))
    assert_same_model(a, b)
    with pytest.raises(ValueError, match="class_weight='balanced' is not supported by partial_fit"):
        DREAMClassifier(class_weight="balanced", **SMALL).partial_fit(X, y, classes=["down", "up"])
    with pytest.raises(ValueError, match="The 'class_weight' parameter of DREAMClassifier"):
        DREAMClassifier(class_weight="even").fit(X, y)


@pytest.mark.parametrize(
    "class_weight, match",
    [
        ({"0": 5.0}, r"keys \['0'\] that are not class labels"),
        ({"up": -2.0}, "finite weights >= 0"),
    ],
)
def test_class_weight_with_an_unknown_label_or_a_negative_weight_is_refused(class_weight, match):
    X, y, _ = data(n=20, steps=3)
    with pytest.raises(ValueError, match=match):
        DREAMClassifier(class_weight=class_weight, **SMALL).fit(X, y)


def test_class_weight_keys_of_labels_a_fit_lacks_are_taken_where_every_label_has_one():
    # (review 328) a fold of cross_val_predict or of a search without a rare class:
    # its key was refused as "not a class label", where scikit-learn takes it
    X, y, _ = data(n=20, steps=3)
    a = DREAMClassifier(class_weight={"up": 3.0, "down": 1.0, "flat": 2.0}, **SMALL).fit(X, y)
    b = DREAMClassifier(class_weight={"up": 3.0}, **SMALL).fit(X, y)
    assert_same_model(a, b)
    with pytest.raises(ValueError, match="finite weights >= 0"):  # (its weight still read)
        DREAMClassifier(class_weight={"up": 3.0, "down": 1.0, "flat": -2.0}, **SMALL).fit(X, y)
    # (cross_val_predict hands each fold integer labels: the keys are integers)
    order = np.argsort(y, kind="stable")  # (the folds of KFold(3): each lacks one label)
    X3 = np.concatenate([X[order], X[order][:10]])
    y3 = np.concatenate([(y[order] == "up").astype(int), [2] * 10])
    weights = {0: 1.0, 1: 3.0, 2: 2.0}
    proba = cross_val_predict(
        DREAMClassifier(class_weight=weights, **SMALL), X3, y3, cv=KFold(3), method="predict_proba"
    )
    assert proba.shape == (30, 3) and np.allclose(proba.sum(axis=1), 1.0)


@pytest.mark.parametrize("kind", ["datetime", "timedelta"])
def test_class_weight_keys_name_nanosecond_date_and_duration_labels(kind):
    # (review 278) tolist() makes nanosecond dates and durations integers, so a key
    # equal to a label, even classes_[i] itself, was refused as "not a class label"
    X, y, _ = data()
    up = y == "up"
    if kind == "datetime":
        values = pd.to_datetime(["2020-01-01", "2021-01-01"]).as_unit("ns").values
        keys = [values[1], pd.Timestamp("2021-01-01"), datetime(2021, 1, 1)]
        number = int(values[1].astype(np.int64))
    else:
        values = np.array([1, 2], dtype="m8[ns]")
        keys = [values[1], pd.Timedelta(2, unit="ns")]
        number = 2
    labels = values[up.astype(int)]
    b = DREAMClassifier(**SMALL).fit(X, labels, sample_weight=np.where(up, 3.0, 1.0))
    for key in keys:
        a = DREAMClassifier(class_weight={key: 3.0}, **SMALL).fit(X, labels)
        assert_same_model(a, b)
    # (review 279) a number names no date or duration, whatever NumPy's equality in
    # the labels' unit says; two keys for one label are refused, not the last taken
    for weights in ({values[0] - values[1] + values[0]: 3.0}, {number: 3.0}):
        with pytest.raises(ValueError, match="not class labels"):
            DREAMClassifier(class_weight=weights, **SMALL).fit(X, labels)
    if kind == "timedelta":
        with pytest.raises(ValueError, match="several keys for the labels"):
            DREAMClassifier(class_weight=dict(zip(keys, (2.0, 3.0), strict=True)), **SMALL).fit(
                X, labels
            )


def test_class_weight_refuses_an_unknown_key_before_a_bad_weight():
    X, y, _ = data(n=20, steps=3)
    with pytest.raises(ValueError, match=r"keys \['zz'\] that are not class labels"):
        DREAMClassifier(class_weight={"up": "x", "zz": 1.0}, **SMALL).fit(X, y)


@pytest.mark.parametrize("solver", ["ridge", "adam"])
def test_sample_weight_times_class_weight_that_overflows_is_refused(solver):
    # (review 263: the ridge solver read the infinite products as the lightest
    # weights of all, placed its thresholds from the other class, and fit NaN)
    X, y, _ = data(n=20, steps=3)
    model = DREAMClassifier(**{**SMALL, "solver": solver, "class_weight": {"up": 10.0}})
    model.fit(X, y)
    before = model.predict_proba(X)
    with pytest.raises(ValueError, match="sample_weight times class_weight overflows.*1e\\+308"):
        model.partial_fit(X, y, sample_weight=np.full(20, 1e308))
    np.testing.assert_array_equal(model.predict_proba(X), before)
    with pytest.raises(ValueError, match="got inf for [0-9]+ sequence"):
        clone(model).fit(X, y, sample_weight=np.full(20, 1e308))
    # the same weights without the class weight, or a product within range, are taken
    assert np.isfinite(
        clone(model)
        .set_params(class_weight=None)
        .fit(X, y, sample_weight=np.full(20, 1e308))
        .predict_proba(X)
    ).all()
    model.partial_fit(X, y, sample_weight=np.full(20, 1e307))


def test_class_weight_is_a_parameter_of_the_classifier_only():
    assert DREAMClassifier().get_params()["class_weight"] is None
    assert "class_weight" not in DREAMRegressor().get_params()
    # every other parameter is still there, with its default
    assert set(DREAMClassifier().get_params()) - {"class_weight"} == set(
        DREAMRegressor().get_params()
    )


def test_adaboost_runs_on_sequences():
    X, y, _ = data(n=80, steps=4)
    base = DREAMClassifier(hidden_dim=6, rank=2, solver="adam", max_iter=30, random_state=0)
    ada = AdaBoostClassifier(base, n_estimators=3, random_state=0).fit(X, y)
    assert len(ada.estimators_) >= 2
    assert ada.score(X, y) > 0.7


# ---------------------------------------------------------------- 2. warm_start


def test_warm_start_accumulates_n_iter_and_loss_curve_like_mlp():
    X, y, _ = data()
    # The reference: MLPClassifier (scikit-learn 1.9) appends each warm fit's epochs to
    # loss_curve_ (its n_iter_ counts the last call only; ours stays len(loss_curve_)).
    mlp = MLPClassifier(hidden_layer_sizes=(4,), max_iter=3, warm_start=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(X[:, -1], y)
        first_mlp = list(mlp.loss_curve_)
        mlp.fit(X[:, -1], y)
    assert len(mlp.loss_curve_) == 6 and mlp.loss_curve_[:3] == first_mlp

    params = dict(SMALL, max_iter=3, tol=0.0)
    clf = DREAMClassifier(warm_start=True, **params).fit(X, y)
    first = list(clf.loss_curve_)
    assert clf.n_iter_ == 3 and len(first) == 3
    clf.fit(X, y)
    assert clf.n_iter_ == 6 and len(clf.loss_curve_) == 6
    assert clf.loss_curve_[:3] == first
    clf.partial_fit(X, y)  # partial_fit adds one epoch, as before
    assert clf.n_iter_ == 7 and len(clf.loss_curve_) == 7
    # it went on from the previous weights: the loss keeps going down from there
    assert clf.loss_curve_[3] < first[0]
    # without warm_start each fit starts over
    cold = DREAMClassifier(**params).fit(X, y).fit(X, y)
    assert cold.n_iter_ == 3 and cold.loss_curve_ == first


def test_warm_start_refuses_a_new_class_and_keeps_the_model():
    X, y, _ = data()
    clf = DREAMClassifier(warm_start=True, **SMALL).fit(X, y)
    before = weights_of(clf)
    y_new = y.copy()
    y_new[:5] = "flat"
    with pytest.raises(ValueError, match=r"\['flat'\].*warm start cannot add classes"):
        clf.fit(X, y_new)
    assert list(clf.classes_) == ["down", "up"]
    for k, v in weights_of(clf).items():
        np.testing.assert_array_equal(v, before[k])
    # the way out the message gives: refit without warm_start
    clf.set_params(warm_start=False).fit(X, y_new)
    assert list(clf.classes_) == ["down", "flat", "up"]
    # MLPClassifier refuses it as well
    mlp = MLPClassifier(hidden_layer_sizes=(4,), max_iter=2, warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(X[:, -1], y)
        with pytest.raises(ValueError, match="same classes"):
            mlp.fit(X[:, -1], y_new)


# ---------------------------------------------------------------- 4. 2-D X after sequences


@pytest.mark.parametrize("Estimator", [DREAMClassifier, DREAMRegressor])
def test_two_d_input_is_refused_by_a_model_fitted_on_longer_sequences(Estimator):
    X, labels, s = data()
    y = labels if Estimator is DREAMClassifier else s
    est = Estimator(**SMALL).fit(X, y)
    flat = X[:, -1, :]  # a plain 2-D array
    msg = r"X is a 2-D array of shape \(40, 2\).*fitted on sequences of up to 5 steps"
    calls = [est.predict, lambda Z: est.score(Z, y), est.advance_memory]
    if Estimator is DREAMClassifier:
        calls.append(est.predict_proba)
    for call in calls:
        with pytest.raises(ValueError, match=msg):
            call(flat)
    with pytest.raises(ValueError, match=msg):
        est.partial_fit(flat, y)
    # one-step sequences on purpose: as a 3-D array
    assert est.predict(flat[:, None, :]).shape == (40,)


def test_a_model_fitted_on_two_d_data_still_predicts_two_d():
    X, y, _ = data()
    flat = X[:, -1, :]
    clf = DREAMClassifier(**SMALL).fit(flat, y)
    np.testing.assert_array_equal(clf.predict_proba(flat), clf.predict_proba(flat[:, None, :]))
    clf.partial_fit(flat, y)
    # it may learn longer sequences later; then 2-D is refused like above
    clf.partial_fit(X, y)
    with pytest.raises(ValueError, match="fitted on sequences of up to 5 steps"):
        clf.predict(flat)


def test_n_steps_keeps_reading_flat_rows_as_sequences():
    X, y, _ = data()
    clf = DREAMClassifier(n_steps=5, **SMALL).fit(X.reshape(40, -1), y)
    ref = DREAMClassifier(**SMALL).fit(X, y)
    np.testing.assert_allclose(clf.predict_proba(X.reshape(40, -1)), ref.predict_proba(X))


# ---------------------------------------------------------------- 3. DataFrame + splitters


def long_frame(n=30, seed=0):
    """A (sequence id, time) frame with ragged sequences, ids not sorted, rows shuffled."""
    rng = np.random.RandomState(seed)
    rows, index, y = [], [], {}
    for i in rng.permutation(n):
        steps = rng.randint(2, 6)
        x = rng.normal(size=(steps, 2))
        rows.append(x)
        index += [(f"id{i}", t) for t in range(steps)]
        y[f"id{i}"] = "up" if x[-1, 0] > 0 else "down"
    frame = pd.DataFrame(
        np.concatenate(rows), index=pd.MultiIndex.from_tuples(index), columns=["a", "b"]
    )
    frame = frame.iloc[rng.permutation(len(frame))]  # rows in any order
    return frame, pd.Series(y)


def test_scikit_learns_splitters_count_rows_of_the_frame():
    frame, y = long_frame()
    # the failure as reported: scikit-learn counts rows, not sequences
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        cross_val_score(DREAMClassifier(**SMALL), frame, y, cv=3)
    # y given per row: our message points to the route
    y_rows = y.loc[frame.index.get_level_values(0)].to_numpy()
    with pytest.raises(ValueError, match=r"dream_sklearn\.to_sequences\(X\)"):
        DREAMClassifier(**SMALL).fit(frame, y_rows)


def test_to_sequences_gives_the_sequences_the_estimators_read():
    from dream_sklearn import to_sequences

    frame, y = long_frame()
    sequences, ids = to_sequences(frame)
    assert len(sequences) == len(ids) == 30
    for seq, i in zip(sequences, ids, strict=True):
        expected = frame.loc[i].sort_index().to_numpy()
        np.testing.assert_array_equal(seq, expected)
    a = DREAMClassifier(**SMALL).fit(frame, y)
    b = DREAMClassifier(**SMALL).fit(sequences, y.loc[ids].to_numpy())
    assert_same_model(a, b, rtol=0, atol=0)
    with pytest.raises(TypeError, match="two-level MultiIndex"):
        to_sequences(frame.reset_index(drop=True))
    # No rows: no sequence (np.split gave one empty sequence and no id; review 95).
    sequences, ids = to_sequences(frame.iloc[:0])
    assert sequences == [] and len(ids) == 0


@pytest.mark.parametrize("field", ["input_dim", "hidden_dim", "rank", "plasticity_enabled"])
def test_features_refuse_cell_params_that_are_their_own_parameters(field):
    # A TypeError from functools.partial or DREAM, or (plasticity_enabled) an override
    # of plasticity= without a word, until review 95.
    from dream_sklearn import DREAMFeatures

    X = np.random.default_rng(0).normal(size=(6, 4, 2))
    with pytest.raises(ValueError, match=rf"'cell_params' parameter of DREAMFeatures.*{field}"):
        DREAMFeatures(4, rank=2, cell_params={field: 2}).fit(X)
    DREAMFeatures(4, rank=2, cell_params={"ltc_enabled": False}).fit(X)


def test_cross_val_score_and_grid_search_on_converted_frames_equal_frame_fits():
    from dream_sklearn import to_sequences

    frame, y = long_frame()
    sequences, ids = to_sequences(frame)
    y_seq = y.loc[ids].to_numpy()
    cv = KFold(3)
    scores = cross_val_score(DREAMClassifier(**SMALL), sequences, y_seq, cv=cv)
    # the same folds, fitted and scored on the DataFrame's rows directly
    direct = []
    for train, test in cv.split(sequences):
        clf = DREAMClassifier(**SMALL).fit(frame.loc[ids[train]], y)
        direct.append(clf.score(frame.loc[ids[test]], y))
    np.testing.assert_allclose(scores, direct, rtol=0, atol=1e-12)

    grid = GridSearchCV(DREAMClassifier(**SMALL), {"hidden_dim": [4, 6]}, cv=cv)
    grid.fit(sequences, y_seq)
    assert grid.best_params_["hidden_dim"] in (4, 6)
    np.testing.assert_allclose(
        grid.cv_results_["split0_test_score"][1], scores[0], rtol=0, atol=1e-12
    )
    # the refitted best model predicts the frame like the list
    with pytest.warns(UserWarning, match="fitted without feature names"):
        from_frame = grid.best_estimator_.predict(frame)
    np.testing.assert_array_equal(grid.predict(sequences), from_frame)


# ---------------------------------------------------------------- 5. from_sklearn


@pytest.mark.parametrize("standardize", [False, True])
def test_online_rows_continue_the_trained_cell_as_the_batch_model_reads_them(standardize):
    from dream_sklearn.online import from_sklearn

    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 6, 2)) * [3.0, 0.5] + [1.0, -2.0]  # raw values beyond +-5
    y = np.where(X[:, -1, 0] > 1.0, "up", "down")
    clf = DREAMClassifier(standardize=standardize, **SMALL).fit(X, y)
    # a near-zero readout rate: what changes online is the cell's state and scaling only
    online = from_sklearn(clf, learning_rate=1e-12, standardize_rate=0.2)
    stream = X[0] * 1.5 + 0.5  # a stream unlike the training data's statistics
    assert np.abs(stream).max() > 5
    for t, row in enumerate(stream):
        # after t rows learned, the next prediction is the batch model's on the
        # sequence of those t + 1 rows, started from the same memory
        proba = online.predict_proba_one(dict(enumerate(row)))
        expected = clf.predict_proba(stream[None, : t + 1])[0]
        # (the loaded statistics are held fixed: the same numbers up to rounding)
        np.testing.assert_allclose([proba["down"], proba["up"]], expected, rtol=0, atol=1e-9)
        online.learn_one(dict(enumerate(row)), y[0])


def test_loaded_statistics_stay_as_trained_while_new_features_learn():
    from dream_sklearn.online import from_sklearn

    # Raw inputs near 100 (standardize=False): the cell was trained on them as they
    # are, so its scaling must stay mean 0, scale 1 however many rows arrive.
    rng = np.random.RandomState(0)
    X = rng.normal(100.0, 10.0, size=(40, 4, 2))
    y = np.where(X[:, -1, 0] > 100.0, "up", "down")
    clf = DREAMClassifier(standardize=False, **SMALL).fit(X, y)
    online = from_sklearn(clf)
    slots = [online._x_slot[0], online._x_slot[1]]
    for row in rng.normal(100.0, 10.0, size=(2000, 2)):
        online.learn_one({0: row[0], 1: row[1], "new": row[0] - 100.0}, "up")
    np.testing.assert_array_equal(online._mean[slots], [0.0, 0.0])
    np.testing.assert_allclose(online._scale[slots], [1.0, 1.0], rtol=1e-9)
    # a feature first seen online is scaled by its own running statistics
    assert online._mean[online._x_slot["new"]] != 0.0
    assert 0.05 < online._scale[online._x_slot["new"]] < 0.2  # its std is 10


def test_rows_keyed_by_position_are_refused_after_a_dataframe_fit():
    from dream_sklearn.online import from_sklearn

    X, y, _ = data(n=20, steps=3)
    index = pd.MultiIndex.from_product([range(20), range(3)])
    frame = pd.DataFrame(X.reshape(-1, 2), index=index, columns=["price", "volume"])
    clf = DREAMClassifier(**SMALL).fit(frame, y)
    online = from_sklearn(clf)
    by_position = {0: 0.3, 1: -1.0}
    msg = r"look like column positions.*named \['price', 'volume'\]"
    with pytest.raises(ValueError, match=msg):
        online.predict_proba_one(by_position)
    with pytest.raises(ValueError, match=msg):
        online.learn_one(by_position, "up")
    with pytest.raises(ValueError, match=msg):
        online.predict_proba_many(pd.DataFrame([by_position]))
    assert online.features_ == ["price", "volume"] and online.n_steps_ == 0
    # keyed by name, the row is the batch model's one-step sequence
    proba = online.predict_proba_one({"price": 0.3, "volume": -1.0})
    one_step = pd.DataFrame(
        [[0.3, -1.0]], columns=["price", "volume"], index=pd.MultiIndex.from_tuples([(0, 0)])
    )
    expected = clf.predict_proba(one_step)[0]
    np.testing.assert_allclose([proba["down"], proba["up"]], expected, rtol=1e-9)
    # other new keys are still new features, as online
    online.learn_one({"price": 0.3, "volume": -1.0, "news": 1.0}, "up")
    assert online.features_ == ["price", "volume", "news"]
    # a model fitted on arrays takes positions
    plain = from_sklearn(DREAMClassifier(**SMALL).fit(X, y))
    plain.learn_one(by_position, "up")
    assert plain.features_ == [0, 1]


def test_a_series_y_indexed_by_some_ids_or_by_ids_of_another_type_is_refused():
    # (review 108) One id missing from y's index, or the ids as text: y was taken by
    # position, each sequence given another's label, with no word said; score named
    # y where sample_weight was the one refused.
    rng = np.random.RandomState(0)
    n = 12
    X = rng.normal(size=(n, 4, 2))
    y = np.where(X[:, -1, 0] > 0, "up", "down")
    ids = [f"s{i}" for i in rng.permutation(n)]
    index = pd.MultiIndex.from_tuples([(ids[i], t) for i in range(n) for t in range(4)])
    frame = pd.DataFrame(X.reshape(-1, 2), index=index, columns=["a", "b"])
    by_id = pd.Series(y, index=ids)
    typo = by_id.rename(index={ids[3]: "s99"})
    with pytest.raises(ValueError, match=rf"y is a pandas .*missing: \['{ids[3]}'\]"):
        DREAMClassifier(**SMALL).fit(frame, typo)
    twice = pd.concat([by_id, by_id.iloc[:1]])
    with pytest.raises(ValueError, match="y is a pandas .* some more than once"):
        DREAMClassifier(**SMALL).fit(frame, twice)
    # (review 109) more ids than X's, one of the others twice: aligned by id
    more = pd.concat([by_id, pd.Series(["up", "down"], index=["other", "other"])])
    assert_same_model(
        DREAMClassifier(**SMALL).fit(frame, more),
        DREAMClassifier(**SMALL).fit(frame, by_id),
        rtol=0,
        atol=0,
    )
    model = DREAMClassifier(**SMALL).fit(frame, by_id)
    weight = pd.Series(np.ones(n), index=ids).rename(index={ids[0]: "x"})
    with pytest.raises(ValueError, match="sample_weight is a pandas .*missing"):
        model.score(frame, by_id, sample_weight=weight)
    # the ids as another type
    int_ids = rng.permutation(n) + 100
    index = pd.MultiIndex.from_tuples([(int_ids[i], t) for i in range(n) for t in range(4)])
    framed = pd.DataFrame(X.reshape(-1, 2), index=index, columns=["a", "b"])
    as_text = pd.Series(y, index=[str(i) for i in int_ids])
    with pytest.raises(ValueError, match=r"as another type \('(1\d\d)' for np.int64\(\1\)"):
        DREAMClassifier(**SMALL).fit(framed, as_text)
    # (review 214) dates as text or as datetime.date, where X's ids are datetimes (a y
    # read from a CSV, or grouped by ts.dt.date), and the other way round: their text
    # is not the ids' (np.datetime64's has a "T"), and y was taken by position
    days = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.permutation(n), unit="D")
    index = pd.MultiIndex.from_tuples([(days[i], t) for i in range(n) for t in range(4)])
    dated = pd.DataFrame(X.reshape(-1, 2), index=index, columns=["a", "b"])
    by_day = pd.Series(y, index=days).sort_index()
    for keys in (by_day.index.strftime("%Y-%m-%d"), by_day.index.date, by_day.index.astype(str)):
        with pytest.raises(ValueError, match="y's index holds X's sequence ids as another type"):
            DREAMClassifier(**SMALL).fit(dated, by_day.set_axis(list(keys)))
    assert_same_model(
        DREAMClassifier(**SMALL).fit(dated, by_day),
        DREAMClassifier(**SMALL).fit(dated, y),
        rtol=0,
        atol=0,
    )
    as_text_ids = dated.rename(index=lambda d: d.strftime("%Y-%m-%d"), level=0)
    with pytest.raises(ValueError, match="y's index holds X's sequence ids as another type"):
        DREAMClassifier(**SMALL).fit(as_text_ids, by_day)
    # (round 40) ids with a time zone and y's without (their wall or UTC times), or
    # the other way round: pandas casts neither to the other, and y was taken by position
    zoned_days = days.tz_localize("Europe/Paris")
    zoned = dated.rename(index=dict(zip(days, zoned_days, strict=True)), level=0)
    by_zoned_day = pd.Series(y, index=zoned_days).sort_index()
    for keys in (by_zoned_day.index.tz_localize(None), by_zoned_day.index.tz_convert(None)):
        with pytest.raises(ValueError, match="y's index holds X's sequence ids as another type"):
            DREAMClassifier(**SMALL).fit(zoned, by_zoned_day.set_axis(keys))
    with pytest.raises(ValueError, match="y's index holds X's sequence ids as another type"):
        DREAMClassifier(**SMALL).fit(dated, by_day.tz_localize("UTC"))
    assert_same_model(
        DREAMClassifier(**SMALL).fit(zoned, by_zoned_day),
        DREAMClassifier(**SMALL).fit(zoned, y),
        rtol=0,
        atol=0,
    )
    # (review 215) numbers that a cast would make ids (0.5 -> 0, True -> 1) are no ids:
    # such a y is taken by position, as before
    positions = pd.MultiIndex.from_tuples([(100 + i, t) for i in range(n) for t in range(4)])
    numbered = pd.DataFrame(X.reshape(-1, 2), index=positions, columns=["a", "b"])
    # (review 217) but text read as the integer ids is theirs: "0100" for 100
    padded_text = pd.Series(y, index=[f"{100 + i:04d}" for i in range(n)])
    with pytest.raises(ValueError, match="y's index holds X's sequence ids as another type"):
        DREAMClassifier(**SMALL).fit(numbered, padded_text)
    for index in (np.arange(n) + 100.5, [True] + [False] * (n - 1)):
        assert_same_model(
            DREAMClassifier(**SMALL).fit(numbered, pd.Series(y, index=index)),
            DREAMClassifier(**SMALL).fit(numbered, y),
            rtol=0,
            atol=0,
        )
    # pandas' default index over ids it partly shares is still taken by position
    low = pd.MultiIndex.from_tuples([(i + 6, t) for i in range(n) for t in range(4)])
    shifted = pd.DataFrame(X.reshape(-1, 2), index=low, columns=["a", "b"])
    assert_same_model(
        DREAMClassifier(**SMALL).fit(shifted, pd.Series(y)),
        DREAMClassifier(**SMALL).fit(shifted, y),
        rtol=0,
        atol=0,
    )


def test_a_default_indexed_series_y_is_refused_where_ids_and_positions_disagree():
    # (review 53) pandas' default index 0..n-1 over a frame whose integer ids come in
    # another order: the Series was matched by id, the same values as an array by
    # position, two different models with no word said.
    rng = np.random.RandomState(0)
    n = 24
    X = rng.normal(size=(n, 4, 2))
    y = np.where(X[:, -1, 0] > 0, "up", "down")
    ids = rng.permutation(n)
    index = pd.MultiIndex.from_tuples([(ids[i], t) for i in range(n) for t in range(4)])
    frame = pd.DataFrame(X.reshape(-1, 2), index=index, columns=["a", "b"])
    for call in (
        lambda: DREAMClassifier(**SMALL).fit(frame, pd.Series(y)),
        lambda: DREAMClassifier(**SMALL).fit(frame, y, sample_weight=pd.Series(np.ones(n))),
    ):
        with pytest.raises(ValueError, match="default index 0..23.*by id or by position"):
            call()
    by_position = DREAMClassifier(**SMALL).fit(frame, y)
    by_id = DREAMClassifier(**SMALL).fit(frame, pd.Series(y, index=pd.Index(ids)))
    assert_same_model(by_position, by_id, rtol=0, atol=0)
    # the message's recipe for values indexed by id: y.loc[ids] (ids in X's order)
    indexed_by_id = pd.Series(y, index=ids).sort_index()
    from_recipe = DREAMClassifier(**SMALL).fit(frame, indexed_by_id.loc[ids])
    assert_same_model(by_position, from_recipe, rtol=0, atol=0)
    # an integer index 0..n-1 made by grouping over the ids is ids (review 58)
    grouped = pd.DataFrame({"id": ids, "label": y}).groupby("id")["label"].first()
    assert not isinstance(grouped.index, pd.RangeIndex)
    assert_same_model(by_position, DREAMClassifier(**SMALL).fit(frame, grouped), rtol=0, atol=0)
    with pytest.raises(ValueError, match="by id or by position"):
        by_position.score(frame, pd.Series(y))
    # ids 0..n-1 in order: both readings agree, and a default index is taken
    in_order = pd.DataFrame(
        X.reshape(-1, 2), index=pd.MultiIndex.from_product([range(n), range(4)])
    )
    assert_same_model(
        DREAMClassifier(**SMALL).fit(in_order, pd.Series(y)),
        DREAMClassifier(**SMALL).fit(in_order, y),
        rtol=0,
        atol=0,
    )


@pytest.mark.parametrize(
    "rows, match",
    [
        ([("a", 2.0), ("a", np.nan), ("a", 1.0)], "has a missing time"),  # (was step 0)
        ([("a", 0), ("a", 0), ("a", 1)], "repeats a \\(sequence id, time\\) pair"),
        ([("a", 1), ("a", "0"), ("a", 0.5)], "mixes values that have no common order"),
        (
            [("a", date(2020, 1, 2)), ("a", pd.Timestamp("2020-01-01")), ("a", date(2020, 1, 3))],
            "mixes values that have no common order",
        ),
    ],
    ids=["missing time", "repeated step", "numbers and text", "dates and timestamps"],
)
def test_a_frame_whose_steps_have_no_order_is_refused(rows, match):
    # (review 59) each was read without a word, in an order pandas chose
    from dream_sklearn import DREAMFeatures, to_sequences

    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0]}, index=pd.MultiIndex.from_tuples(rows))
    with pytest.raises(ValueError, match=match):
        to_sequences(frame)
    with pytest.raises(ValueError, match=match):
        DREAMFeatures(hidden_dim=4, random_state=0).fit(frame)


def test_a_categorical_time_level_is_read_in_time_order_unless_it_declares_one():
    # (review 108) An unordered categorical time level (a dictionary-encoded parquet
    # column: its categories in order of appearance) was read in its categories'
    # order; the same values as integers in time order.
    from dream_sklearn import to_sequences

    def frame(time):
        index = pd.MultiIndex.from_arrays([[0, 0, 0, 1, 1, 1], time])
        return pd.DataFrame({"x": [20.0, 0.0, 10.0, 21.0, 1.0, 11.0]}, index=index)

    plain = to_sequences(frame([2, 0, 1, 2, 0, 1]))[0]
    unordered = pd.Categorical([2, 0, 1, 2, 0, 1], categories=[2, 0, 1])
    np.testing.assert_array_equal(to_sequences(frame(unordered))[0], plain)
    np.testing.assert_array_equal(plain[0].ravel(), [0.0, 10.0, 20.0])
    declared = pd.Categorical([2, 0, 1, 2, 0, 1], categories=[2, 0, 1], ordered=True)
    np.testing.assert_array_equal(to_sequences(frame(declared))[0][0].ravel(), [20.0, 0.0, 10.0])
    # (review 109) text categories keep their list's order, as pandas sorts them
    months = pd.Categorical(["Mar", "Jan", "Feb"] * 2, categories=["Jan", "Feb", "Mar"])
    np.testing.assert_array_equal(to_sequences(frame(months))[0][0].ravel(), [0.0, 10.0, 20.0])
    # (review 110) periods and decimals are times by value, as numbers are
    from decimal import Decimal

    periods = pd.period_range("2020-01", periods=3, freq="M")
    for values in (periods, [Decimal(v) for v in (0, 1, 2)]):
        cats = [values[2], values[0], values[1]]
        by_list = pd.Categorical(cats * 2, categories=cats)
        np.testing.assert_array_equal(to_sequences(frame(by_list))[0][0].ravel(), [0.0, 10.0, 20.0])


def test_a_time_level_of_mixed_types_with_one_order_is_read_in_that_order():
    from decimal import Decimal

    from dream_sklearn import to_sequences

    rows = [("a", Decimal("1.5")), ("a", 0), ("a", 2)]
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0]}, index=pd.MultiIndex.from_tuples(rows))
    np.testing.assert_array_equal(to_sequences(frame)[0][0].ravel(), [2.0, 1.0, 3.0])


def test_torch_tensors_that_require_a_gradient_are_read_as_their_values():
    # A tensor that requires a gradient (the output of a torch feature extractor, say)
    # raised torch's RuntimeError through NumPy; the estimators never differentiate
    # through X: it reads as its values, as a list of such tensors, and flat rows.
    import torch

    from dream_sklearn import DREAMFeatures

    X = torch.randn(20, 5, 2, generator=torch.Generator().manual_seed(0))
    y = np.arange(20) % 2
    plain = DREAMClassifier(hidden_dim=4, random_state=0).fit(X.numpy(), y)
    expected = plain.predict_proba(X.numpy())
    graded = X.clone().requires_grad_(True)
    np.testing.assert_array_equal(plain.predict_proba(graded), expected)
    model = DREAMClassifier(hidden_dim=4, random_state=0).fit(graded, y)
    np.testing.assert_array_equal(model.predict_proba(X.numpy()), expected)
    listed = [t.clone().requires_grad_(True) for t in X]
    model = DREAMClassifier(hidden_dim=4, random_state=0).fit(listed, y)
    np.testing.assert_array_equal(model.predict_proba(X.numpy()), expected)
    flat = X.reshape(20, -1).clone().requires_grad_(True)
    model = DREAMClassifier(hidden_dim=4, n_steps=5, random_state=0).fit(flat, y)
    np.testing.assert_allclose(model.predict_proba(flat), expected, atol=1e-12)
    bank = DREAMFeatures(hidden_dim=4, random_state=0).fit(X.numpy())
    np.testing.assert_array_equal(bank.transform(graded), bank.transform(X.numpy()))


def test_torch_tensor_targets_and_weights_are_read_as_their_values():
    # y and sample_weight as torch tensors that require a gradient, or in bfloat16,
    # raised torch's RuntimeError or TypeError through NumPy in fit and score (X was
    # read as its values, its targets not): they read as their values too.
    import torch

    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 5, 2))
    y = X.sum(axis=(1, 2))
    w = rng.uniform(0.5, 2.0, size=20)
    plain = DREAMRegressor(hidden_dim=4, max_iter=3, random_state=0).fit(X, y, sample_weight=w)
    graded_y = torch.tensor(y, requires_grad=True)
    graded_w = torch.tensor(w, requires_grad=True)
    model = DREAMRegressor(hidden_dim=4, max_iter=3, random_state=0)
    model.fit(X, graded_y, sample_weight=graded_w)
    np.testing.assert_array_equal(model.predict(X), plain.predict(X))
    assert model.score(X, graded_y, sample_weight=graded_w) == plain.score(X, y, sample_weight=w)
    half = torch.tensor(y).to(torch.bfloat16)
    expected = DREAMRegressor(hidden_dim=4, max_iter=3, random_state=0).fit(X, half.float().numpy())
    model = DREAMRegressor(hidden_dim=4, max_iter=3, random_state=0).fit(X, half)
    np.testing.assert_array_equal(model.predict(X), expected.predict(X))
    labels = torch.tensor((y > 0).astype(np.int64))
    clf = DREAMClassifier(hidden_dim=4, max_iter=3, random_state=0).fit(X, labels.numpy())
    graded_w_clf = torch.tensor(w, requires_grad=True)
    assert clf.score(X, labels, sample_weight=graded_w_clf) == clf.score(X, labels.numpy(), w)


def test_a_list_of_dataframes_keeps_its_column_names():
    # A list of DataFrames (aeon's df-list, unequal lengths) was read as its values:
    # a later list with the columns in another order was read as the same features,
    # silently (review 112). Its names are checked as a DataFrame's are now.
    from dream_sklearn import DREAMFeatures

    rng = np.random.RandomState(0)
    frames = [
        pd.DataFrame(rng.normal(size=(k, 2)) * [1, 10], columns=["u", "v"]) for k in (5, 6, 7, 8)
    ]
    swapped = [f[["v", "u"]] for f in frames]
    arrays = [f.to_numpy() for f in frames]
    y = [0, 1, 0, 1]
    bank = DREAMFeatures(hidden_dim=4, random_state=0).fit(frames)
    assert list(bank.feature_names_in_) == ["u", "v"]
    plain = DREAMFeatures(hidden_dim=4, random_state=0).fit(arrays)
    np.testing.assert_array_equal(bank.transform(frames), plain.transform(arrays))
    for solver in ("ridge", "adam"):
        model = DREAMClassifier(hidden_dim=4, solver=solver, max_iter=2, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(frames, y)
        assert list(model.feature_names_in_) == ["u", "v"]
        with pytest.raises(ValueError, match="feature names should match"):
            model.predict(swapped)
    with pytest.raises(ValueError, match="X\\[1\\] has \\['v', 'u'\\]"):
        DREAMClassifier(hidden_dim=4, random_state=0).fit([frames[0], swapped[1]], [0, 1])


def test_a_list_of_dataframes_keeps_labels_that_are_not_names_for_from_sklearn():
    # Labels that are not strings (scikit-learn records no feature_names_in_ for them)
    # key the online model's features (_column_labels); a list of frames lost them and
    # from_sklearn read river's {1: a, 0: b} with the columns swapped (review 114).
    from dream_sklearn.online import from_sklearn

    rng = np.random.RandomState(0)
    frames = [pd.DataFrame(rng.normal(size=(k, 2)) * [1, 10], columns=[1, 0]) for k in (5, 6, 7, 8)]
    y = [0.0, 1.0, 0.5, 2.0]
    est = DREAMRegressor(hidden_dim=4, solver="adam", max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(frames, y)
    assert est._column_labels == [1, 0]
    row = frames[0].iloc[0].to_dict()  # {1: a, 0: b}, as river's rows of the frame
    online = from_sklearn(est).predict_one(row)
    # (float32 training, the online model in float64: 1e-8 apart; swapped, 0.34)
    assert online == pytest.approx(est.predict(frames[0].iloc[[0]].to_numpy()[None])[0], abs=1e-6)


@pytest.mark.parametrize(
    "y",
    [
        np.array(["2020-01-01", "NaT"] * 20, dtype="datetime64[ns]"),
        np.array(["up", None] * 20, dtype=object),
        pd.Series(["up", pd.NA] * 20, dtype="string"),
    ],
    ids=["NaT", "None", "pd.NA"],
)
def test_a_missing_label_is_named(y):
    # (NaT was blamed on warm_start, "labels that the previous fit did not have";
    # None failed in NumPy's sort with a TypeError; review 209)
    X, _, _ = data()
    with pytest.raises(ValueError, match=r"y has a missing label .* at position 1 \(20 in all\)"):
        DREAMClassifier(random_state=0, hidden_dim=4).fit(X, y)
