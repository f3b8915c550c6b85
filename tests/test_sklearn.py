"""Behaviour of DREAMClassifier / DREAMRegressor: inputs, memory, tools, errors."""

import copy
import itertools
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from dream_sklearn import DREAMClassifier, DREAMRegressor
from dream_sklearn._sklearn import _base, _input
from dream_sklearn.nn import DREAM, DREAMState

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# float64: these tests compare paths to 1e-9 (float32, the default: test_sequence_learning.py).
SMALL = dict(
    solver="adam",
    plasticity=True,  # the plastic memory these tests follow
    hidden_dim=6,
    rank=2,
    max_iter=8,
    learning_rate_init=0.05,
    random_state=0,
    dtype="float64",
)


@pytest.fixture
def seq_data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 5, 3))
    y = np.where(X[:, :, 0].sum(axis=1) > 0, "pos", "neg")
    return X, y


def _memory_equal(a: DREAMState, b: DREAMState) -> bool:
    # (on the CPU: a model fitted with device="cuda" or "auto" holds its memory on a GPU)
    return all(torch.equal(s.cpu(), t.cpu()) for s, t in zip(a, b, strict=True))


def _weights(est):
    return {k: v.clone() for k, v in est.module_.state_dict().items()}


# -- inputs -------------------------------------------------------------------------------


@pytest.mark.parametrize("Estimator", [DREAMClassifier, DREAMRegressor])
def test_every_input_format_gives_the_same_model(Estimator, seq_data):
    X, y = seq_data
    if Estimator is DREAMRegressor:
        y = X[:, -1, 1] + X[:, 0, 0]
    ref = Estimator(**SMALL).fit(X, y)
    expected = ref.predict(X)

    as_list = Estimator(**SMALL).fit(list(X), y)
    np.testing.assert_array_equal(as_list.predict(list(X)), expected)
    assert as_list.loss_curve_ == ref.loss_curve_

    # DataFrame (sequence id, time), rows shuffled, ids not in sorted order.
    ids = np.array([f"s{i:02d}" for i in range(len(X))])[::-1]
    index = pd.MultiIndex.from_product([ids, range(X.shape[1])], names=["seq", "t"])
    frame = pd.DataFrame(X.reshape(-1, 3), index=index, columns=["a", "b", "c"])
    shuffled = frame.sample(frac=1.0, random_state=0)
    y_by_id = pd.Series(y, index=ids).sample(frac=1.0, random_state=1)  # aligned by id
    as_frame = Estimator(**SMALL).fit(shuffled, y_by_id)
    assert list(as_frame.feature_names_in_) == ["a", "b", "c"]
    # Sequences come in order of first appearance, so sums run in another order:
    # equal up to rounding.
    np.testing.assert_allclose(as_frame.loss_curve_, ref.loss_curve_, rtol=1e-12)
    np.testing.assert_allclose(as_frame._predict_outputs(frame), ref._predict_outputs(X), rtol=1e-9)
    if Estimator is DREAMClassifier:
        np.testing.assert_array_equal(as_frame.predict(frame), expected)
    assert as_frame.score(shuffled, y_by_id) == pytest.approx(ref.score(X, y), rel=1e-9)


def test_two_d_input_is_sequences_of_one_step(seq_data):
    X, y = seq_data
    flat = X[:, 0, :]
    a = DREAMClassifier(**SMALL).fit(flat, y)
    b = DREAMClassifier(**SMALL).fit(flat[:, None, :], y)
    np.testing.assert_array_equal(a.predict_proba(flat), b.predict_proba(flat[:, None, :]))
    assert a.surprise_.shape == (len(flat), 1)


def test_padding_never_changes_a_prediction(seq_data):
    X, y = seq_data
    ragged = [x[: 2 + i % 4] for i, x in enumerate(X)]
    clf = DREAMClassifier(**SMALL).fit(ragged, y)
    together = clf.predict_proba(ragged)
    alone = np.vstack([clf.predict_proba([s]) for s in ragged])
    np.testing.assert_allclose(together, alone, rtol=1e-12, atol=1e-14)
    assert clf.surprise_.shape == (len(X), 5)
    assert np.isnan(clf.surprise_[0, 2:]).all() and not np.isnan(clf.surprise_[0, :2]).any()
    assert np.nanmin(clf.surprise_) >= 0 and np.nanmax(clf.surprise_) <= 1


def test_padding_never_changes_training(seq_data, monkeypatch):
    X, y = seq_data
    ragged = [x[: 2 + i % 4] for i, x in enumerate(X)]
    clean = DREAMClassifier(**SMALL).fit(ragged, y)

    # (what the adam solver's mini-batches are padded by: round 40's review found this
    # test patching _input.pad, which no solver calls since round 39, so it could not fail)
    real_read = _input._Ragged.__getitem__

    def garbage_read(self, key):  # fill the padding with large values instead of 0
        out = real_read(self, key)
        if isinstance(key, tuple):
            lengths = self.lengths[key[0]]
            out[np.arange(out.shape[1])[None, :] >= lengths[:, None]] = 1e3
        return out

    monkeypatch.setattr(_input._Ragged, "__getitem__", garbage_read)
    dirty = DREAMClassifier(**SMALL).fit(ragged, y)
    assert dirty.loss_curve_ == clean.loss_curve_
    for k, v in _weights(clean).items():
        torch.testing.assert_close(_weights(dirty)[k], v, rtol=0, atol=0)


def test_string_and_integer_labels_and_multioutput(seq_data):
    X, y = seq_data
    y_int = (y == "pos").astype(int) * 7
    clf = DREAMClassifier(**SMALL).fit(X, y_int)
    assert clf.classes_.tolist() == [0, 7]
    assert set(clf.predict(X)) <= {0, 7} and clf.predict_proba(X).shape == (40, 2)
    np.testing.assert_allclose(clf.predict_proba(X).sum(axis=1), 1.0)
    Y = np.c_[X[:, -1, 0], 10 * X[:, -1, 1] + 100]
    reg = DREAMRegressor(**SMALL).fit(X, Y)
    assert reg.predict(X).shape == (40, 2) and reg.n_outputs_ == 2
    assert reg.y_mean_.shape == (2,) and abs(reg.y_mean_[1] - Y[:, 1].mean()) < 1e-12


# -- bad inputs ---------------------------------------------------------------------------


def test_bad_inputs_raise_value_errors(seq_data):
    X, y = seq_data
    clf = DREAMClassifier(**SMALL).fit(X, y)
    bad = X.copy()
    bad[3, 2, 1] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        clf.predict(bad)
    bad[3, 2, 1] = np.inf
    with pytest.raises(ValueError, match="Input X contains infinity"):
        DREAMClassifier(**SMALL).fit(bad, y)
    with pytest.raises(ValueError, match="X has 2 features, but DREAMClassifier is expecting 3"):
        clf.predict(X[:, :, :2])
    with pytest.raises(ValueError, match=r"at least one step; got empty sequences at .*\[1\]"):
        clf.predict([X[0], np.empty((0, 3))])
    with pytest.raises(ValueError, match="at least one step"):
        DREAMClassifier().fit(np.empty((4, 0, 3)), y[:4])
    with pytest.raises(ValueError, match=r"same number of features; X\[0\] has 3 and X\[1\] has 2"):
        clf.predict([X[0], X[1][:, :2]])
    # (NumPy's own errors came first: "cannot reshape array of size 0", "inhomogeneous shape")
    with pytest.raises(ValueError, match=r"Found array with 0 feature\(s\) \(shape=\(12, 0\)\)"):
        DREAMClassifier(**SMALL).fit(np.empty((4, 3, 0)), y[:4])
    with pytest.raises(ValueError, match=r"Found array with 0 feature\(s\)"):
        clf.predict(np.empty((2, 3, 0)))
    for layout, one in [(None, r"\[:, None\]"), ("channels_first", r"\[None, :\]")]:
        with pytest.raises(
            ValueError,
            match=rf"different shapes: X\[0\] has shape \(5,\) and X\[1\] has shape \(3,\).*{one}",
        ):
            DREAMClassifier(**SMALL, layout=layout).fit([np.arange(5.0), np.arange(3.0)], y[:2])
    # (a 4-D array was told "dim <= 2 is required", when 3-D is what X is)
    with pytest.raises(ValueError, match=r"X must be a 3-D array \(n_sequences, n_steps, n_feat"):
        clf.predict(X[..., None])
    with pytest.raises(ValueError, match=r"3-D array \(n_cases, n_channels, n_timepoints\)"):
        DREAMClassifier(**SMALL, layout="channels_first").fit(X[None], y[:1])
    # (a 1-D or 0-D one was told "Expected 2D array, got 1D array", its data printed:
    # review 368)
    with pytest.raises(ValueError, match=r"3-D array .*got an array of 1 dimension, shape \(40,\)"):
        DREAMClassifier(**SMALL).fit(X[:, 0, 0], y)
    with pytest.raises(ValueError, match=r"3-D array .*got an array of 0 dimensions, shape \(\)"):
        clf.predict(np.float64(1.0))
    with pytest.raises(ValueError, match=r"3-D array .*1 dimension, shape \(3,\)\. Reshape"):
        clf.predict([1.0, 2.0, 3.0])  # (a flat list, as its array: review 373)
    # (a list of 3-D arrays was told "dim <= 2 is required" too; review 158)
    with pytest.raises(
        ValueError, match=r"list must hold 2-D arrays.*X\[0\] has shape \(40, 5, 3\)"
    ):
        clf.predict([X, X])
    with pytest.raises(ValueError, match="X has 40 sequences but y has 39 targets"):
        DREAMClassifier(**SMALL).fit(X, y[:-1])
    with pytest.raises(ValueError, match="requires y to be passed"):
        DREAMRegressor(**SMALL).fit(X, None)
    with pytest.raises(ValueError, match="Input y contains NaN"):
        DREAMRegressor(**SMALL).fit(X, np.full(40, np.nan))
    # (NumPy's "could not convert string to float" named neither argument: review 344)
    with pytest.raises(ValueError, match=r"^y must hold numbers \(could not convert"):
        DREAMRegressor(**SMALL).fit(X, y)
    with pytest.raises(ValueError, match=r"^sample_weight must hold numbers \(could not"):
        DREAMClassifier(**SMALL).fit(X, y, sample_weight=np.array(["1"] * 39 + ["a"]))
    # (and of X, as a sequence or as flat rows: review 352)
    with pytest.raises(ValueError, match=r"^X must hold numbers \(could not convert"):
        DREAMClassifier(**SMALL).fit(np.full(X.shape, "a"), y)
    with pytest.raises(ValueError, match=r"^X must hold numbers \(could not convert"):
        DREAMClassifier(**SMALL, n_steps=5).fit(np.full((40, 15), "a"), y)
    with pytest.raises(ValueError, match="at least 2 classes; got 1 class"):
        DREAMClassifier(**SMALL).fit(X, np.ones(40))
    with pytest.raises(ValueError, match="The 'hidden_dim' parameter of DREAMClassifier must be"):
        DREAMClassifier(hidden_dim=0).fit(X, y)
    with pytest.raises(ValueError, match="The 'surprise_mode' parameter of DREAMRegressor"):
        DREAMRegressor(surprise_mode="loud").fit(X, y == "pos")


@pytest.mark.parametrize("solver", ["adam", "ridge"])
@pytest.mark.parametrize(
    "bad", [{"batch_size": -5}, {"batch_size": 0}, {"alpha": -10.0}, {"shuffle": "yes"}]
)
def test_a_later_partial_fit_checks_the_parameters_as_fit_does(seq_data, bad, solver):
    """scikit-learn's _fit_context checks the parameters on a partial_fit of an
    unfitted model only: set between two calls, batch_size=-5 learned nothing while
    n_iter_ counted on, batch_size=0 died in a ZeroDivisionError, a negative alpha
    trained with a negative penalty (review 177). Refused, and nothing changes."""
    from sklearn.utils._param_validation import InvalidParameterError

    X, y = seq_data
    # (on the CPU: a GPU model's pickle copies its tensors to new storages, whose keys,
    # their addresses, differ from one pickle to the next)
    model = DREAMClassifier(**{**SMALL, "solver": solver, "device": "cpu"})
    model.partial_fit(X, y, classes=["neg", "pos"])
    before = pickle.dumps(model)
    name = next(iter(bad))
    good = model.get_params()[name]
    model.set_params(**bad)
    with pytest.raises(InvalidParameterError, match=f"The '{name}' parameter"):
        model.partial_fit(X, y)
    if solver == "adam" and name == "batch_size":  # (the parameter it reads)
        with pytest.raises(InvalidParameterError, match=f"The '{name}' parameter"):
            model.advance_memory(X)
    assert pickle.dumps(model.set_params(**{name: good})) == before


def test_partial_fit_label_errors(seq_data):
    X, y = seq_data
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        DREAMClassifier(**SMALL).partial_fit(X, y)
    clf = DREAMClassifier(**SMALL).partial_fit(X, y, classes=["neg", "pos"])
    y_new = y.astype(object)
    y_new[0] = "zero"
    with pytest.raises(ValueError, match=r"y contains labels not seen .*\['zero'\]"):
        clf.partial_fit(X, y_new)
    with pytest.raises(ValueError, match=r"classes=\['a', 'b'\] is not the same"):
        clf.partial_fit(X, y, classes=["a", "b"])
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping"):
        DREAMClassifier(solver="adam", early_stopping=True).partial_fit(
            X, y, classes=["neg", "pos"]
        )


@pytest.mark.parametrize("solver", ["ridge", "adam"])
def test_a_refused_fit_leaves_the_model_as_it_was(seq_data, solver):
    """A refit refused on its sample_weight (after X and y were read), a refit on
    more features refused on y, and a partial_fit refused on an unseen label leave a
    fitted model as it was: it had kept the new classes_ (or width) over the old
    coefficients and predicted the new labels from them (a review's reproducer). A
    first fit refused on y leaves the estimator unfitted."""
    from sklearn.exceptions import NotFittedError

    X, y = seq_data
    params = {**SMALL, "solver": solver}
    clf = DREAMClassifier(**params).fit(X, y)
    before, state = clf.predict_proba(X), dict(clf.__dict__)
    with pytest.raises(ValueError, match="Negative values in data passed to `sample_weight`"):
        clf.fit(X, np.array(["a", "b", "c", "d"] * 10), sample_weight=-np.ones(40))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        clf.fit(np.concatenate([X, X], axis=2), y[:10])
    # A y too short is named as such, before its labels are counted (it was "needs at
    # least 2 classes; got 1 class: []" for an empty y; review 307).
    for short in ([], ["neg"] * 5):
        with pytest.raises(ValueError, match="X has 40 sequences but y has"):
            clf.fit(X, short)
    with pytest.raises(
        ValueError, match=r"y should be a 1d array, got an array of shape \(1, 40\)"
    ):
        clf.fit(X, y[None, :])  # (a row of labels: its shape said first, review 313)
    with pytest.raises(ValueError, match="y contains labels that fit did not have"):
        clf.partial_fit(np.concatenate([X, X], axis=1), np.array(["zero"] * 40, dtype=object))
    assert clf.__dict__.keys() == state.keys()
    assert list(clf.classes_) == ["neg", "pos"] and clf.n_features_in_ == 3
    np.testing.assert_array_equal(clf.predict_proba(X), before)
    fresh = DREAMClassifier(**params)
    with pytest.raises(ValueError):
        fresh.fit(X, np.zeros(40))  # one class
    with pytest.raises(NotFittedError):
        fresh.predict(X)
    if solver == "adam":  # refused by the early-stopping split, after the module was built
        few = np.array(["neg"] * 19 + ["pos"] * 20 + ["odd"], dtype=object)
        clf.set_params(early_stopping=True, validation_fraction=0.01)
        with pytest.raises(ValueError, match="validation split holds 1 sequence"):
            clf.fit(X, few)
        np.testing.assert_array_equal(clf.predict_proba(X), before)


def test_a_frame_with_a_missing_sequence_id_is_a_clear_error():
    idx = pd.MultiIndex.from_arrays([[0, 0, np.nan, np.nan, 1, 1], [0, 1, 0, 1, 0, 1]])
    df = pd.DataFrame(np.random.RandomState(0).normal(size=(6, 2)), index=idx, columns=["a", "b"])
    with pytest.raises(ValueError, match="needs an id on every row; row 2 .* has a missing id"):
        DREAMClassifier(hidden_dim=4).fit(df, [0, 1, 0])


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_without_cuda_is_a_clear_error(seq_data):
    X, y = seq_data
    with pytest.raises(ValueError, match="'device' parameter .* CUDA is not available"):
        DREAMClassifier(solver="adam", device="cuda").fit(X, y)


# -- scikit-learn tools -------------------------------------------------------------------


def test_pipeline_grid_search_and_cross_validation_on_sequences(seq_data):
    X, y = seq_data
    pipe = make_pipeline(FunctionTransformer(np.tanh), DREAMClassifier(**SMALL))
    assert pipe.fit(X, y).score(X, y) > 0.5
    grid = GridSearchCV(DREAMClassifier(**SMALL), {"hidden_dim": [4, 8]}, cv=2).fit(X, y)
    assert grid.best_params_["hidden_dim"] in (4, 8) and grid.predict(X).shape == (40,)
    scores = cross_val_score(DREAMRegressor(**SMALL), X, X[:, -1, 0], cv=3)
    assert scores.shape == (3,) and np.isfinite(scores).all()


@pytest.mark.parametrize("Estimator", [DREAMClassifier, DREAMRegressor])
def test_score_reads_a_channels_first_list_as_fit_does(Estimator):
    # aeon's unequal-length form, a list of (channels, time) arrays: score (and so
    # cross_val_score) re-read it under the default layout, because a list has an
    # `index` method (a review's finding): a ValueError on ragged lists, and a
    # LayoutWarning on equal-length ones.
    rng = np.random.RandomState(0)
    X = [rng.normal(size=(2, n)) for n in rng.randint(4, 9, size=24)]
    y = np.array([float(x[0].sum() > 0) for x in X])
    y = y.astype(int) if Estimator is DREAMClassifier else y
    model = Estimator(hidden_dim=4, layout="channels_first", random_state=0).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (no LayoutWarning either)
        same_length = [x[:, :4] for x in X]
        model.score(same_length, y)
        got = model.score(X, y)
    pred = model.predict(X)
    if Estimator is DREAMClassifier:
        assert got == pytest.approx(np.mean(pred == y))
    else:
        assert got == pytest.approx(1 - ((y - pred) ** 2).sum() / ((y - y.mean()) ** 2).sum())
    scores = cross_val_score(Estimator(hidden_dim=4, layout="channels_first"), X, y, cv=3)
    assert scores.shape == (3,) and np.isfinite(scores).all()


def test_clone_and_pickle(seq_data):
    X, y = seq_data
    clf = DREAMClassifier(**SMALL).fit(X[:20], y[:20])
    clf.partial_fit(X[20:], y[20:])
    copy = clone(clf)
    assert copy.get_params() == clf.get_params() and not hasattr(copy, "module_")
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    assert _memory_equal(restored.memory_, clf.memory_)
    restored.partial_fit(X[:20], y[:20])
    clf.partial_fit(X[:20], y[:20])
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))


def test_reproducible_and_leaves_torch_rng_alone(seq_data):
    X, y = seq_data
    before = torch.get_rng_state()
    a = DREAMClassifier(**SMALL).fit(X, y)
    assert torch.equal(torch.get_rng_state(), before)
    b = DREAMClassifier(**SMALL).fit(X, y)
    assert a.loss_curve_ == b.loss_curve_
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    c = DREAMClassifier(**{**SMALL, "random_state": 1}).fit(X, y)
    assert c.loss_curve_ != a.loss_curve_


@pytest.mark.parametrize("solver", ["ridge", "adam"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_random_state_fixes_the_model_whatever_torchs_default_dtype(seq_data, solver, dtype):
    # The weights were drawn in torch's default dtype: in a process that had set it to
    # float64 the same random_state gave another model (predict_proba up to 0.39
    # apart; a review's finding).
    X, y = seq_data
    params = {**SMALL, "solver": solver, "dtype": dtype}
    want = DREAMClassifier(**params).fit(X, y).predict_proba(X)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        got = DREAMClassifier(**params).fit(X, y).predict_proba(X)
    finally:
        torch.set_default_dtype(previous)
    np.testing.assert_array_equal(got, want)


# -- plastic memory -----------------------------------------------------------------------


def test_predict_never_changes_the_estimator(seq_data):
    X, y = seq_data
    clf = DREAMClassifier(**SMALL).partial_fit(X, y, classes=["neg", "pos"])
    memory, weights, surprise = clf.memory_, _weights(clf), clf.surprise_.copy()
    first = clf.predict_proba(X)
    clf.predict(X[::-1])
    clf.score(X, y)
    assert clf.memory_ is memory
    assert _memory_equal(clf.memory_, memory)
    assert all(torch.equal(v, weights[k]) for k, v in _weights(clf).items())
    np.testing.assert_array_equal(clf.surprise_, surprise)
    np.testing.assert_array_equal(clf.predict_proba(X), first)


def test_partial_fit_carries_memory_and_reset_forgets_it(seq_data):
    X, y = seq_data
    chunks = [(X[:20], y[:20]), (X[20:], y[20:])]
    carried = DREAMClassifier(**SMALL)
    reset = DREAMClassifier(**SMALL)
    for Xc, yc in chunks:
        carried.partial_fit(Xc, yc, classes=["neg", "pos"])
        if hasattr(reset, "module_"):
            reset.reset_memory()
        reset.partial_fit(Xc, yc, classes=["neg", "pos"])
    # After the first call both have the same weights; the second call started from
    # the carried memory in one and from zeros in the other.
    assert float(carried.memory_.U.abs().sum()) > 0
    assert carried.n_iter_ == 2 and len(carried.loss_curve_) == 2
    assert carried.loss_curve_[0] == reset.loss_curve_[0]
    assert carried.loss_curve_[1] != reset.loss_curve_[1]
    assert not np.allclose(carried.predict_proba(X), reset.predict_proba(X))

    zero = DREAMState.zeros(1, 3, 6, 2, dtype=torch.float64)
    carried.reset_memory()
    assert _memory_equal(carried.memory_, zero)


def test_advance_memory_changes_memory_not_weights(seq_data):
    X, y = seq_data
    clf = DREAMClassifier(**SMALL).fit(X, y)
    weights, memory = _weights(clf), clf.memory_
    clf.advance_memory(X[:10])
    assert not _memory_equal(clf.memory_, memory)
    assert all(torch.equal(v, weights[k]) for k, v in _weights(clf).items())
    assert clf.surprise_.shape == (10, 5)
    # The memory after advancing equals the mean final state of the batch run from
    # the previous memory through the fitted layer.
    with torch.no_grad():
        xs = (X[:10] - clf.x_mean_) / clf.x_scale_
        start = DREAMState(*(t.expand(10, *t.shape[1:]) for t in memory))
        _, final = clf.module_.dream(torch.as_tensor(xs, device=start.h.device), start)
    for got, want in zip(clf.memory_, final, strict=True):
        torch.testing.assert_close(got, want.mean(0, keepdim=True))


def test_fit_starts_memory_afresh(seq_data):
    X, y = seq_data
    fresh = DREAMClassifier(**SMALL).fit(X, y)
    used = DREAMClassifier(**SMALL).partial_fit(X, y, classes=["neg", "pos"])
    used.partial_fit(X, y).fit(X, y)
    np.testing.assert_array_equal(used.predict_proba(X), fresh.predict_proba(X))


def test_fitted_contract_for_online_conversion(seq_data):
    X, y = seq_data
    reg = DREAMRegressor(**SMALL).fit(X, X[:, -1, 0])
    assert isinstance(reg.module_.dream, DREAM)
    assert isinstance(reg.module_.head, torch.nn.Linear)
    assert reg.module_.head.in_features == 6 and reg.module_.head.out_features == 1
    assert isinstance(reg.memory_, DREAMState) and reg.memory_.batch_size == 1
    # Recompute predictions by hand from the contract's pieces.
    start = DREAMState(*(t.expand(len(X), *t.shape[1:]) for t in reg.memory_))
    xs = torch.as_tensor((X - reg.x_mean_) / reg.x_scale_, device=start.h.device)
    with torch.no_grad():
        _, final = reg.module_.dream(xs, start)
        manual = reg.module_.head(final.h).cpu().numpy().ravel() * reg.y_scale_ + reg.y_mean_
    np.testing.assert_allclose(reg.predict(X), manual, rtol=1e-10)


# -- training options ---------------------------------------------------------------------


def test_fast_weight_scale_and_target_norm_reach_the_cell(seq_data):
    X, y = seq_data
    clf = DREAMClassifier(fast_weight_scale=0.7, target_norm=3.0, **SMALL).fit(X, y)
    config = clf.module_.dream.config
    assert (config.fast_weight_scale, config.target_norm) == (0.7, 3.0)
    norms = clf.memory_.U.flatten(1).norm(dim=1)
    assert bool((norms <= 3.0 + 1e-9).all()) and float(norms.max()) > 0.0
    # With no fast-weight term the fast weights cannot act: plasticity changes nothing.
    silent = dict(SMALL, fast_weight_scale=0.0)
    with_u = DREAMClassifier(**silent).fit(X, y)
    without_u = DREAMClassifier(**{**silent, "plasticity": False}).fit(X, y)
    np.testing.assert_allclose(with_u.predict_proba(X), without_u.predict_proba(X), rtol=1e-10)
    assert not _memory_equal(with_u.memory_, without_u.memory_)  # U itself still learned


def test_compile_runs_the_compiled_loop_and_changes_no_result(seq_data, monkeypatch):
    """``compile=True`` routes fit and predict through the layer's compiled loop.

    The loop is stubbed here by the eager one (recording its calls), so that the test
    costs no compilation; tests/test_speed_paths.py checks the compiled loop itself.
    """
    calls = _recording_loop(monkeypatch)
    X, y = seq_data
    plain = DREAMClassifier(**SMALL).fit(X, y)
    assert calls == []
    compiled = DREAMClassifier(compile=True, **SMALL).fit(X, y)
    n_train = len(calls)
    assert n_train >= SMALL["max_iter"] and compiled.module_.dream.compile_step
    np.testing.assert_allclose(compiled.predict_proba(X), plain.predict_proba(X), rtol=1e-12)
    assert len(calls) > n_train
    compiled.set_params(compile=False).partial_fit(X, y)  # takes effect at the next fit
    assert not compiled.module_.dream.compile_step


def _recording_loop(monkeypatch) -> list:
    """Stub the compiled loop by the eager one, recording the calls (no compilation)."""
    from dream_sklearn.nn import _layer

    calls = []

    def loop(*args):
        calls.append(args[2].shape)
        return _layer._run_steps(*args)

    monkeypatch.setattr(_layer, "_COMPILED_LOOP", loop)
    return calls


def test_compile_auto_decides_by_the_number_of_step_evaluations():
    assert _base._auto_compile(_base._COMPILE_AUTO_STEPS)
    assert _base._auto_compile(10 * _base._COMPILE_AUTO_STEPS)
    assert not _base._auto_compile(_base._COMPILE_AUTO_STEPS - 1)
    assert not _base._auto_compile(0)
    assert DREAMClassifier().compile == "auto"
    with pytest.raises(ValueError, match="The 'compile' parameter of DREAMClassifier must be"):
        DREAMClassifier(solver="adam", compile="always").fit(np.zeros((4, 3, 2)), [0, 1, 0, 1])


@pytest.mark.parametrize(("threshold", "compiled"), [(60, True), (61, False)])
def test_compile_auto_compiles_a_fit_of_that_many_step_evaluations(
    seq_data, monkeypatch, threshold, compiled
):
    # 3 epochs x 4 mini-batches (40 sequences, batch 10) x 5 steps = 60 step evaluations.
    calls = _recording_loop(monkeypatch)
    monkeypatch.setattr(_base, "_COMPILE_AUTO_STEPS", threshold)
    X, y = seq_data
    params = dict(SMALL, max_iter=3, batch_size=10, n_iter_no_change=10)
    clf = DREAMClassifier(**params).fit(X, y)  # compile="auto", the default
    assert clf.n_iter_ == 3
    assert len(calls) == (12 if compiled else 0)
    assert clf.module_.dream.compile_step == compiled
    # predict is one pass of 5 steps: short, so eager, whatever the fit did.
    proba = clf.predict_proba(X)
    assert len(calls) == (12 if compiled else 0) and not clf.module_.dream.compile_step
    eager = DREAMClassifier(**params, compile=False).fit(X, y)
    np.testing.assert_allclose(proba, eager.predict_proba(X), rtol=1e-12)


@pytest.mark.parametrize(("threshold", "compiled"), [(310, True), (311, False)])
def test_compile_auto_counts_the_steps_each_mini_batch_runs(monkeypatch, threshold, compiled):
    # 40 sequences of 5 steps and one of 300, one epoch in mini-batches of 20 in order:
    # they run 5, 5 and 300 steps, 310 step evaluations (each is as long as its
    # longest). Until round 40 "auto" counted each at the longest of all, 900, and one
    # long series among short ones compiled a fit the eager loop runs faster, and in
    # less memory (docs/sklearn.md). predict runs chunks of like lengths: 5 and 300.
    calls = _recording_loop(monkeypatch)
    rng = np.random.default_rng(0)
    X = [rng.normal(size=(5, 2)) for _ in range(40)] + [rng.normal(size=(300, 2))]
    y = np.arange(41) % 2
    params = dict(SMALL, max_iter=1, batch_size=20, shuffle=False)
    monkeypatch.setattr(_base, "_COMPILE_AUTO_STEPS", threshold)
    clf = DREAMClassifier(**params).fit(X, y)
    assert len(calls) == (3 if compiled else 0) and clf.module_.dream.compile_step == compiled
    monkeypatch.setattr(_base, "_COMPILE_AUTO_STEPS", threshold - 5)
    clf.predict_proba(X)
    assert len(calls) == (5 if compiled else 0)


def test_compile_auto_counts_each_call_by_the_order_it_runs(monkeypatch):
    # 20 sequences of 300 steps, then 21 of 5, in mini-batches of 20: in order they
    # run 300, 5 and 5 steps (310); shuffled, most mini-batches hold a long one. Each
    # call counts its own: fit as shuffled (over its training split), partial_fit and
    # advance_memory in order, early stopping's validation in chunks of like lengths.
    counts = []
    monkeypatch.setattr(_base, "_auto_compile", lambda steps: counts.append(steps) or False)
    rng = np.random.default_rng(0)
    X = [rng.normal(size=(300, 2)) for _ in range(20)] + [
        rng.normal(size=(5, 2)) for _ in range(21)
    ]
    y = np.arange(41) % 2
    lengths = np.array([300] * 20 + [5] * 21)
    params = dict(SMALL, max_iter=2, batch_size=20, n_iter_no_change=10)
    clf = DREAMClassifier(**params, shuffle=False).fit(X, y)
    assert counts == [2 * 310]
    shuffled = _base._batch_steps(lengths, 20, True)
    assert shuffled > 600  # (the expected steps of a random order, brute-forced below)
    DREAMClassifier(**params).fit(X, y)
    assert counts[1] == pytest.approx(2 * shuffled)
    clf.partial_fit(X, y)
    clf.advance_memory(X)
    clf.predict(X)
    assert counts[2:] == [310, 310, 305]
    splits = []
    split = DREAMClassifier._split

    def recording_split(self, n, y, rng):
        splits.append(split(self, n, y, rng))
        return splits[-1]

    monkeypatch.setattr(DREAMClassifier, "_split", recording_split)
    counts.clear()
    DREAMClassifier(**params, early_stopping=True, validation_fraction=0.3).fit(X, y)
    train, val = splits[0]
    assert counts[0] == pytest.approx(2 * _base._batch_steps(lengths[train], 20, True))
    assert counts[1] == 2 * (300 * (lengths[val] == 300).any() + 5 * (lengths[val] == 5).any())


def test_adam_fit_trains_a_long_sequence_in_recomputed_spans(monkeypatch):
    # Past _CHECKPOINT_FROM steps, training runs the layer's loop in spans of about the
    # square root of the longest (100 steps: 10 spans of 10), recomputed in the
    # backward pass: the same fit, to rounding; prediction (no gradient) runs whole.
    from dream_sklearn.nn import _layer

    seen = []
    run_spans = _layer._run_spans

    def recording(run, params, state, spans, *inputs):
        seen.append(None if spans is None else len(spans))
        return run_spans(run, params, state, spans, *inputs)

    monkeypatch.setattr(_layer, "_run_spans", recording)
    rng = np.random.default_rng(0)
    X = [rng.normal(size=(100, 2))] + [rng.normal(size=(5, 2)) for _ in range(11)]
    y = np.arange(12) % 2
    params = dict(SMALL, dtype="float64", max_iter=3, batch_size=6, compile=False)
    whole = DREAMClassifier(**params).fit(X, y)
    assert whole.module_.dream.checkpoint_steps is None and set(seen) == {None}
    monkeypatch.setattr(_base, "_CHECKPOINT_FROM", 50)
    seen.clear()
    clf = DREAMClassifier(**params).fit(X, y)
    assert clf.module_.dream.checkpoint_steps == 10
    assert seen.count(10) == 3  # (each epoch's mini-batch with the long sequence)
    seen.clear()
    np.testing.assert_allclose(clf.predict_proba(X), whole.predict_proba(X), rtol=1e-9, atol=1e-12)
    assert set(seen) == {None}
    assert _base._checkpoint_span(np.array([50, 3])) is None
    assert _base._checkpoint_span(np.array([51, 3])) == 8  # (the square root, rounded up)


def test_compile_auto_counts_a_shuffled_epoch_at_its_expected_steps():
    # The expected steps of an epoch in a random order: each mini-batch as long as its
    # longest, averaged over every order of 7 sequences (batch 3: 3, 3 and 1).
    lengths = np.array([4, 9, 1, 9, 30, 2, 7])
    orders = list(itertools.permutations(range(7)))
    for batch in (1, 2, 3, 7):
        runs = [
            sum(lengths[list(o[i : i + batch])].max() for i in range(0, 7, batch)) for o in orders
        ]
        assert _base._batch_steps(lengths, batch, True) == pytest.approx(np.mean(runs), abs=1e-6)
    assert _base._batch_steps(lengths, 3, False) == 9 + 30 + 7


def test_padded_batches_are_each_mini_batch_in_order_and_of_drawn_orders_shuffled():
    # In order, every mini-batch padded to its longest (batch 3: 4, 9, 1 | 9, 30, 2 |
    # 7): 27, 90 and 7 sequence-steps, 27/14, 90/41 and 1 times their own.
    lengths = np.array([4, 9, 1, 9, 30, 2, 7])
    padded, ratio = _base._padded_batches(lengths, 3, False)
    np.testing.assert_array_equal(padded, [27, 90, 7])
    np.testing.assert_allclose(ratio, [27 / 14, 90 / 41, 1.0])
    # shuffled, every mini-batch of min(epochs, 32) orders drawn: each order holds
    # every sequence once, the same draws each call, equal lengths never padded
    padded, ratio = _base._padded_batches(lengths, 3, True, epochs=5)
    assert len(padded) == 5 * 3
    np.testing.assert_allclose((padded / ratio).reshape(5, 3).sum(1), lengths.sum())
    again = _base._padded_batches(lengths, 3, True, epochs=5)
    np.testing.assert_array_equal(again[0], padded)
    assert len(_base._padded_batches(lengths, 3, True, epochs=200)[0]) == 32 * 3
    assert set(_base._padded_batches(np.full(50, 7), 8, True, epochs=9)[1]) == {1.0}
    # ten long and ten short sequences in mini-batches of ten: an order pads one over
    # twice unless it splits them 5 and 5 (65.6% of orders); the draws differ, and
    # the global NumPy generator is left as it was
    state = np.random.get_state()[1].copy()
    mixed = np.array([2000] * 10 + [10] * 10)
    ratio = _base._padded_batches(mixed, 10, True, epochs=32)[1]
    assert ratio.max() > 2 and len(np.unique(ratio)) > 3
    np.testing.assert_array_equal(np.random.get_state()[1], state)


@pytest.mark.parametrize(
    ("n_long", "short", "budget", "compiled"),
    [(10, 200, 0, True), (5, 5, 0, False), (5, 5, 6000, True)],
)
def test_compile_auto_leaves_out_a_fit_the_compiled_loop_would_mostly_pad(
    monkeypatch, n_long, short, budget, compiled
):
    # The compiled loop pads each mini-batch to its longest sequence (the eager one
    # runs them packed). One mini-batch of 20 sequences, `n_long` of 300 steps and the
    # rest of `short`: padded, 6,000 sequence-steps; their own 5,000 (1.2 times:
    # compiled) or 1,575 (3.8 times, over _COMPILE_AUTO_PADDING's 2: eager, unless the
    # 6,000 are within _COMPILE_AUTO_PADDED, `budget`: a small fit compiles, padded or
    # not; review 230). Until round 41 "auto" compiled any fit long enough.
    calls = _recording_loop(monkeypatch)
    monkeypatch.setattr(_base, "_COMPILE_AUTO_STEPS", 0)
    monkeypatch.setattr(_base, "_COMPILE_AUTO_PADDED", budget)
    rng = np.random.default_rng(0)
    X = [rng.normal(size=(300, 2)) for _ in range(n_long)]
    X += [rng.normal(size=(short, 2)) for _ in range(20 - n_long)]
    y = np.arange(20) % 2
    params = dict(SMALL, max_iter=1, batch_size=20)
    clf = DREAMClassifier(**params).fit(X, y)
    assert clf.module_.dream.compile_step == compiled and bool(calls) == compiled
    clf.partial_fit(X, y)
    assert clf.module_.dream.compile_step == compiled
    clf.advance_memory(X)  # (no graph kept: the padding costs time only, it compiles)
    assert clf.module_.dream.compile_step


def test_compile_auto_judges_the_padding_of_the_mini_batch_holding_the_longest(monkeypatch):
    # 200 sequences of 100 steps and one of 2,000, shuffled in mini-batches of 10:
    # over the epoch the compiled loop pads to about 1.8 times the sequences' steps,
    # but the mini-batch that holds the long one to 20,000 sequence-steps, 6.9 times
    # its own 2,900. That mini-batch sets the compiled loop's peak memory: eager
    # (review 231: the epoch's ratio compiled one series of 20,000 steps among 10,000
    # of 1,000, its mini-batch padded to 4 million sequence-steps).
    _recording_loop(monkeypatch)
    monkeypatch.setattr(_base, "_COMPILE_AUTO_STEPS", 0)
    monkeypatch.setattr(_base, "_COMPILE_AUTO_PADDED", 19_999)
    rng = np.random.default_rng(0)
    X = [rng.normal(size=(100, 1)) for _ in range(200)] + [rng.normal(size=(2000, 1))]
    y = np.arange(201) % 2
    lengths = np.array([100] * 200 + [2000])
    padded, ratio = _base._padded_batches(lengths, 10, True)
    assert padded.max() == 20_000 and ratio.max() == pytest.approx(20_000 / 2_900)
    params = dict(SMALL, hidden_dim=2, rank=1, max_iter=1, batch_size=10)
    assert not DREAMClassifier(**params).fit(X, y).module_.dream.compile_step
    # in order the long one is alone in the last mini-batch: nothing padded, compiled;
    # partial_fit runs in order too
    clf = DREAMClassifier(**params, shuffle=False).fit(X, y)
    assert clf.module_.dream.compile_step
    clf = DREAMClassifier(**params).partial_fit(X, y, classes=[0, 1])
    assert clf.module_.dream.compile_step


@pytest.mark.parametrize(
    ("lengths", "batch", "compiled"),
    [
        # (review 232) the longest alone in the last mini-batch, a full one padded to
        # 1,999 steps 6.9 times its own: eager
        ([1999] + [100] * 9 + [2000], 10, False),
        # the first of two longest unpadded, the second's mini-batch padded 8.7 times
        ([300] * 11 + [5] * 9, 10, False),
        # a mini-batch padded exactly twice its own steps is not over twice: compiled
        ([300, 100, 100, 100] * 5, 4, True),
        # (review 233) one mini-batch over the size (unpadded), another over the
        # ratio (100 sequence-steps, 5.3 times): neither over both, compiled
        ([200] * 10 + [10] + [1] * 9, 10, True),
    ],
)
def test_compile_auto_in_order_judges_every_mini_batch(monkeypatch, lengths, batch, compiled):
    _recording_loop(monkeypatch)
    monkeypatch.setattr(_base, "_COMPILE_AUTO_STEPS", 0)
    monkeypatch.setattr(_base, "_COMPILE_AUTO_PADDED", 1000)
    rng = np.random.default_rng(0)
    X = [rng.normal(size=(n, 1)) for n in lengths]
    y = np.arange(len(X)) % 2
    params = dict(SMALL, hidden_dim=2, rank=1, max_iter=1, batch_size=batch, shuffle=False)
    assert DREAMClassifier(**params).fit(X, y).module_.dream.compile_step == compiled


def test_compile_auto_judges_the_mini_batches_of_shuffled_orders(monkeypatch):
    # 20 sequences of 200 steps, 20 of 2 and one of 201, shuffled in mini-batches of
    # 10: a mini-batch mixing them (4 long of 10: 2,010 sequence-steps, 2.5 times
    # their own) comes in 93% of orders; the expected mini-batch holding the
    # longest (201 and 9 of the others' mean, 101) read 1.8 times and compiled
    # (review 233). In order the mini-batches hold one length each: compiled.
    _recording_loop(monkeypatch)
    monkeypatch.setattr(_base, "_COMPILE_AUTO_STEPS", 0)
    monkeypatch.setattr(_base, "_COMPILE_AUTO_PADDED", 1000)
    rng = np.random.default_rng(0)
    lengths = [200] * 20 + [2] * 20 + [201]
    X = [rng.normal(size=(n, 1)) for n in lengths]
    y = np.arange(len(X)) % 2
    params = dict(SMALL, hidden_dim=2, rank=1, max_iter=2, batch_size=10)
    seen = []
    padded_batches = _base._padded_batches

    def recording(lengths, batch, shuffled, epochs=1):
        seen.append((len(lengths), batch, shuffled, epochs))
        return padded_batches(lengths, batch, shuffled, epochs)

    monkeypatch.setattr(_base, "_padded_batches", recording)
    clf = DREAMClassifier(**params).fit(X, y)
    assert not clf.module_.dream.compile_step and seen == [(41, 10, True, 2)]
    assert DREAMClassifier(**params, shuffle=False).fit(X, y).module_.dream.compile_step
    clf.partial_fit(X, y)  # (one epoch, in order)
    assert seen[1:] == [(41, 10, False, 2), (41, 10, False, 1)]
    DREAMClassifier(**params, compile=False).fit(X, y)  # (not read: not drawn)
    assert len(seen) == 3


def test_compile_auto_judges_the_training_split_under_early_stopping(monkeypatch):
    # The long sequence held out for validation: the training split is unpadded and
    # compiles; judged over all rows, its mini-batch would pad 6.9 times (eager).
    _recording_loop(monkeypatch)
    monkeypatch.setattr(_base, "_COMPILE_AUTO_STEPS", 0)
    monkeypatch.setattr(_base, "_COMPILE_AUTO_PADDED", 1000)
    monkeypatch.setattr(
        DREAMClassifier,
        "_split",
        lambda self, n, y, rng: (np.arange(2, n), np.array([0, 1])),
    )
    rng = np.random.default_rng(0)
    X = [rng.normal(size=(2000, 1)), rng.normal(size=(100, 1))]
    X += [rng.normal(size=(100, 1)) for _ in range(18)]
    y = np.arange(20) % 2
    params = dict(SMALL, hidden_dim=2, rank=1, max_iter=1, batch_size=10, early_stopping=True)
    assert DREAMClassifier(**params).fit(X, y).module_.dream.compile_step
    assert DREAMClassifier(**params, compile=True).fit(X, y).module_.dream.compile_step


def test_predict_follows_the_compile_setting_of_the_fit_not_a_later_set_params(
    seq_data, monkeypatch
):
    # set_params is validated at the next fit: until then, predict and advance_memory
    # keep what the fit ran with ("bogus" would read as True).
    calls = _recording_loop(monkeypatch)
    X, y = seq_data
    clf = DREAMClassifier(**SMALL, compile=False).fit(X, y)
    clf.set_params(compile="bogus")
    clf.predict_proba(X)
    clf.advance_memory(X[:2])
    assert calls == [] and not clf.module_.dream.compile_step
    with pytest.raises(ValueError, match="The 'compile' parameter of DREAMClassifier must be"):
        clf.fit(X, y)


@pytest.mark.slow
def test_compile_auto_long_fit_compiles_for_real_and_agrees_with_eager(seq_data, monkeypatch):
    """A real compilation (tens of seconds; ``-m slow``): the fit compile="auto" takes
    for a long one agrees with the eager fit to rounding."""
    from dream_sklearn.nn import _layer

    monkeypatch.setattr(_base, "_COMPILE_AUTO_STEPS", 60)
    monkeypatch.setattr(_layer, "_COMPILED_LOOP", _layer._CompiledLoop())
    X, y = seq_data
    params = dict(SMALL, max_iter=3, batch_size=10, n_iter_no_change=10)
    auto = DREAMClassifier(**params).fit(X, y)
    assert auto.module_.dream.compile_step and _layer._COMPILED_LOOP._compiled
    assert _layer._COMPILED_LOOP.failed is None
    eager = DREAMClassifier(**params, compile=False).fit(X, y)
    np.testing.assert_allclose(auto.predict_proba(X), eager.predict_proba(X), atol=1e-9)
    np.testing.assert_allclose(auto.loss_curve_, eager.loss_curve_, rtol=1e-9)


def test_plasticity_learns_a_rule_the_sequence_teaches():
    """Each sequence shows rows with their labels under its own random rule, then a query.

    Fixed weights cannot know the rule; the Hebbian fast weights bind rows to labels
    and recall them (benchmarks/plasticity.py has the full measurement).
    """
    rng = np.random.default_rng(0)

    def task(n):
        w, rows = rng.normal(size=(n, 2)), rng.normal(size=(n, 10, 2))
        labels = np.sign(np.einsum("nd,ntd->nt", w, rows))
        shown = labels.copy()
        shown[:, -1] = 0.0  # the query
        return np.concatenate([rows, shown[:, :, None]], axis=2), labels[:, -1] > 0

    X, y = task(2000)
    X_test, y_test = task(1000)
    params = dict(hidden_dim=16, rank=3, solver="adam", max_iter=15, learning_rate_init=0.02)
    params.update(plasticity=True, random_state=0)
    params.update(fast_weight_scale=0.5, target_norm=10.0)
    plastic = DREAMClassifier(**params).fit(X, y).score(X_test, y_test)
    fixed = DREAMClassifier(**{**params, "plasticity": False}).fit(X, y).score(X_test, y_test)
    assert plastic > 0.8 and plastic > fixed + 0.1, (plastic, fixed)


def test_early_stopping_restores_the_best_epoch(seq_data):
    X, y = seq_data
    params = {**SMALL, "max_iter": 40, "early_stopping": True, "n_iter_no_change": 3}
    params["validation_fraction"] = 0.25
    reg = DREAMRegressor(**params).fit(X, X[:, -1, 0])
    scores = reg.validation_scores_
    assert len(scores) == reg.n_iter_ and reg.best_validation_score_ == max(scores)
    best_epoch = int(np.argmax(scores)) + 1
    assert best_epoch < reg.n_iter_  # (the last epoch is not the best)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        short = DREAMRegressor(**{**params, "max_iter": best_epoch}).fit(X, X[:, -1, 0])
    np.testing.assert_allclose(short.predict(X), reg.predict(X), rtol=1e-12)
    # Its surprise and optimiser state are the best epoch's too: it goes on as the fit
    # that stopped there (it went on with the last epoch's Adam moments: review 187).
    np.testing.assert_array_equal(reg.surprise_, short.surprise_)
    for model in (reg, short):
        model.set_params(early_stopping=False).partial_fit(X, X[:, -1, 0])
    np.testing.assert_allclose(short.predict(X), reg.predict(X), rtol=1e-12)


def test_validation_scores_belong_to_the_last_call(seq_data):
    """A fit without early stopping (cold or warm) and a partial_fit left the scores
    of an earlier early-stopping fit behind; plot_loss_curve drew them against the
    new epochs or failed on the lengths (a review's finding)."""
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from dream_sklearn.plotting import plot_loss_curve

    X, y = seq_data
    params = {**SMALL, "max_iter": 6, "early_stopping": True, "n_iter_no_change": 100}
    for then in [
        lambda m: m.set_params(early_stopping=False, max_iter=3).fit(X, y),
        lambda m: m.set_params(early_stopping=False, max_iter=3, warm_start=True).fit(X, y),
        lambda m: m.set_params(early_stopping=False).partial_fit(X, y),
    ]:
        clf = DREAMClassifier(**params).fit(X, y)
        assert len(clf.validation_scores_) == 6
        then(clf)
        assert not hasattr(clf, "validation_scores_")
        assert not hasattr(clf, "best_validation_score_")
        assert len(plot_loss_curve(clf).axes) == 1  # the training loss alone
    warm = DREAMClassifier(**{**params, "warm_start": True}).fit(X, y)
    warm.set_params(max_iter=3).fit(X, y)  # a warm fit with early stopping: its own 3
    assert len(warm.validation_scores_) == 3 and len(warm.loss_curve_) == 9


def test_warm_start_continues_from_previous_weights(seq_data):
    X, y = seq_data
    clf = DREAMClassifier(**{**SMALL, "warm_start": True}).fit(X, y)
    first_curve = list(clf.loss_curve_)
    clf.fit(X, y)
    # loss_curve_ goes on (as MLPClassifier's does): the second fit's epochs follow
    assert clf.loss_curve_[: len(first_curve)] == first_curve
    assert clf.loss_curve_[len(first_curve)] < first_curve[0]


def test_warm_start_refuses_a_network_built_with_other_shaping_parameters(seq_data):
    # (review 53) set_params(hidden_dim=16, ...) then a warm fit went on training the
    # hidden_dim=6 network while get_params() said 16.
    X, y = seq_data
    clf = DREAMClassifier(**{**SMALL, "warm_start": True}).fit(X, y)
    before, built = _weights(clf), clf.get_params()
    for name, value in (("hidden_dim", 16), ("readout", "pool"), ("dtype", "float32")):
        clf.set_params(**{name: value})
        for call in (clf.fit, clf.partial_fit):
            with pytest.raises(ValueError, match=f"{name}=.* -> "):
                call(X, y)
        clf.set_params(**{name: built[name]})
    assert all(torch.equal(before[k], v) for k, v in _weights(clf).items())
    clf.set_params(max_iter=3, learning_rate_init=0.02).fit(X, y)  # (training ones may change)
    assert clf.n_iter_ > SMALL["max_iter"]


@pytest.mark.parametrize("Estimator", [DREAMClassifier, DREAMRegressor])
def test_a_diverging_gradient_fit_raises_rather_than_predicting_nan(seq_data, Estimator):
    # (review 53) lr 1e30: loss [0.7, inf, nan, ...], then NaN probabilities, one class.
    X, y = seq_data
    target = y if Estimator is DREAMClassifier else X[:, -1, 0]
    est = Estimator(
        solver="adam", hidden_dim=4, max_iter=5, learning_rate_init=1e30, random_state=0
    )
    with pytest.raises(ValueError, match="non-finite weights"):
        est.fit(X, target)
    assert not hasattr(est, "module_")  # (an unfitted model stays unfitted)


def test_a_diverging_warm_fit_leaves_the_model_as_it_was(seq_data):
    # (review 56) the refused warm fit put the attributes back but left the weights
    # NaN: the "previous" model predicted NaN.
    X, y = seq_data
    clf = DREAMClassifier(**{**SMALL, "warm_start": True, "dtype": "float32"}).fit(X, y)
    before, proba, n_iter = _weights(clf), clf.predict_proba(X), clf.n_iter_
    curve = list(clf.loss_curve_)
    clf.set_params(learning_rate_init=1e30, plasticity=SMALL["plasticity"])
    with pytest.raises(ValueError, match="non-finite weights"):
        clf.fit(X, y)
    assert all(torch.equal(before[k], v) for k, v in _weights(clf).items())
    np.testing.assert_array_equal(clf.predict_proba(X), proba)
    assert clf.n_iter_ == n_iter
    assert clf.loss_curve_ == curve  # (the list was extended in place: review 58)


@pytest.mark.parametrize("loss", [float("nan"), 0.5], ids=["loss NaN", "loss finite"])
def test_early_stopping_keeps_the_best_epoch_when_a_later_one_diverges(seq_data, monkeypatch, loss):
    # as MLPClassifier: the best epoch's weights are put back, then checked; the loss
    # is measured before each step, so the last step may leave NaN under a finite one
    X, y = seq_data
    params = {**SMALL, "early_stopping": True, "max_iter": 6, "n_iter_no_change": 10}
    clean = DREAMClassifier(**{**params, "max_iter": 3}).fit(X, y)
    clf = DREAMClassifier(**params)
    real_pass, calls = DREAMClassifier._pass, []

    def diverging(self, *args, **kwargs):
        calls.append(1)
        real = real_pass(self, *args, **kwargs)
        if len(calls) == 4:  # the 4th epoch: every weight NaN
            with torch.no_grad():
                for p in self.module_.parameters():
                    p.fill_(float("nan"))
            return loss
        return real

    monkeypatch.setattr(DREAMClassifier, "_pass", diverging)
    escalated = copy.deepcopy(clf)
    with pytest.warns(ConvergenceWarning, match="diverged at epoch 4; the fit ends on its best"):
        clf.fit(X, y)
    assert clf.n_iter_ == 3 and len(calls) == 4
    # Made an error, the warning leaves the best epoch put back too (review 272: it was
    # raised before, and the NaN weights stayed under the attributes of before)
    calls.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        with pytest.raises(ConvergenceWarning, match="diverged at epoch 4"):
            escalated.fit(X, y)
    assert escalated.n_iter_ == 3
    np.testing.assert_array_equal(escalated.predict_proba(X), clf.predict_proba(X))
    assert all(torch.isfinite(p).all() for p in clf.module_.parameters())
    # its optimiser state and surprise are the best epoch's too (they were NaN)
    moments = [t for state in clf.optimizer_.state.values() for t in state.values()]
    assert moments and all(torch.isfinite(t).all() for t in moments)
    assert np.isfinite(clf.surprise_).all()
    best = int(np.argmax(clean.validation_scores_))
    assert clf.best_validation_score_ == clean.validation_scores_[best]
    monkeypatch.undo()
    clf.set_params(early_stopping=False).partial_fit(X, y)  # (it raised "non-finite")
    assert clf.n_iter_ == 4 and np.isfinite(clf.loss_curve_[-1])


def test_a_network_pickled_before_its_readout_was_kept_continues(seq_data):
    X, y = seq_data
    clf = DREAMClassifier(**{**SMALL, "warm_start": True}).fit(X, y)
    del clf.module_.readout  # (what a network pickled before it holds: "last")
    old = pickle.loads(pickle.dumps(clf))
    old.partial_fit(X, y)
    old.fit(X, y)
    assert old.n_iter_ > clf.n_iter_


@pytest.mark.parametrize("solver", ["adam", "ridge"])
def test_both_solvers_compare_the_cells_plain_values(seq_data, solver):
    # (review 60) the ridge path compared raw values: Fraction(1, 10) against the
    # bank's 0.1 was refused, np.float32(0.1) (0.10000000149 in the cell) accepted
    from fractions import Fraction

    X, y = seq_data
    params = {**SMALL, "solver": solver, "warm_start": True, "base_threshold": 0.1}
    est = DREAMClassifier(**params).fit(X, y)
    est.set_params(base_threshold=Fraction(1, 10)).partial_fit(X, y)
    with pytest.raises(ValueError, match="built with other parameters"):
        est.set_params(base_threshold=np.float32(0.1)).partial_fit(X, y)


def test_the_ridge_solver_continues_through_a_change_of_time_step(seq_data):
    # (a review's finding) the ridge solver's bank steps each cell by its own timescale: a
    # change of time_step changes no feature, and partial_fit refused it
    X, y = seq_data
    params = {**SMALL, "solver": "ridge"}
    kept = DREAMClassifier(**params).fit(X, y).partial_fit(X, y)
    moved = DREAMClassifier(**params).fit(X, y)
    moved.set_params(time_step=2.5).partial_fit(X, y)
    np.testing.assert_array_equal(moved.predict_proba(X), kept.predict_proba(X))
    # (the claim itself: a bank built with another time_step has the same features)
    fresh = DREAMClassifier(**params, time_step=2.5).fit(X, y)
    np.testing.assert_array_equal(
        fresh.features_.transform(X), DREAMClassifier(**params).fit(X, y).features_.transform(X)
    )
    with pytest.raises(ValueError, match="built with other parameters"):
        moved.set_params(base_threshold=0.05).partial_fit(X, y)


def test_parameters_equal_as_values_are_the_ones_the_network_was_built_with(seq_data):
    # (review 58) time_step=Fraction(1, 10) is 0.1 in the cell: every warm fit was refused
    from fractions import Fraction

    X, y = seq_data
    clf = DREAMClassifier(**{**SMALL, "time_step": Fraction(1, 10), "rank": np.int64(2)})
    clf.fit(X, y).partial_fit(X, y)
    assert clf.n_iter_ == SMALL["max_iter"] + 1


def test_verbose_shows_a_progress_bar_with_the_loss(seq_data, capsys):
    X, y = seq_data
    DREAMClassifier(**{**SMALL, "max_iter": 2, "verbose": True}).fit(X, y)
    assert "loss=" in capsys.readouterr().err


def test_convergence_warning_when_max_iter_is_reached(seq_data):
    X, y = seq_data
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        with pytest.raises(ConvergenceWarning, match="maximum iterations \\(2\\)"):
            DREAMClassifier(**{**SMALL, "max_iter": 2}).fit(X, y)
    with pytest.warns(ConvergenceWarning) as record:  # (at the caller's line, not ours)
        DREAMClassifier(**{**SMALL, "max_iter": 2}).fit(X, y)
    assert record[0].filename == __file__


@pytest.mark.parametrize("warm", [False, True])
def test_a_convergence_warning_made_an_error_leaves_the_fit_whole(seq_data, warm):
    """(review 272) The warning was issued within the call, so an error made of it put
    every attribute back: a warm fit kept its weights trained in place beside the
    n_iter_, loss_curve_, optimiser and memory of before; a first fit was thrown away.
    As scikit-learn's MLP: the fit stands, its records with it."""
    X, y = seq_data
    params = {**SMALL, "max_iter": 2, "warm_start": warm}
    model, twin = DREAMClassifier(**params), DREAMClassifier(**params)
    if warm:
        model.fit(X, y)
        twin.fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        with pytest.raises(ConvergenceWarning, match="maximum iterations"):
            model.fit(X, y)
    twin.fit(X, y)  # (warned, not raised)
    assert model.n_iter_ == twin.n_iter_ == (4 if warm else 2)
    assert model.loss_curve_ == twin.loss_curve_
    np.testing.assert_array_equal(model.predict_proba(X), twin.predict_proba(X))
    assert _memory_equal(model.memory_, twin.memory_)


@pytest.mark.parametrize("value", [123456.789, 1e8 / 3])
def test_a_constant_column_is_constant_whatever_its_value(value):
    """A constant column's computed spread is its mean's rounding (about 1e-9 for
    123456.789), which an absolute floor of 2e-15 standardised to +-1: predictions
    moved by 0.19 against the same column at 0 (a review's reproducer)."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 8, 2))
    y = X[:, :, 0].mean(axis=1) + 0.1 * rng.normal(size=60)
    with_const = [np.concatenate([X, np.full((60, 8, 1), c)], axis=2) for c in (0.0, value)]
    preds = [
        DREAMRegressor(hidden_dim=8, random_state=0).fit(Xc, y).predict(Xc) for Xc in with_const
    ]
    np.testing.assert_allclose(preds[1], preds[0], rtol=1e-6, atol=1e-6)


def test_inputs_in_tiny_units_are_standardised():
    """Every column in units of 1e-15 (spread 1e-15) was left unscaled, as if constant."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 8, 2))
    y = X[:, :, 0].mean(axis=1) + 0.1 * rng.normal(size=60)
    unit = DREAMRegressor(hidden_dim=8, random_state=0).fit(X, y).predict(X)
    tiny = DREAMRegressor(hidden_dim=8, random_state=0).fit(X * 1e-15, y).predict(X * 1e-15)
    np.testing.assert_allclose(tiny, unit, rtol=1e-5, atol=1e-5)


def test_dream_features_names_its_outputs_and_sets_pandas_output():
    from dream_sklearn import DREAMFeatures

    X = np.random.RandomState(0).normal(size=(20, 6, 2))
    features = DREAMFeatures(hidden_dim=4, random_state=0).set_output(transform="pandas")
    out = features.fit_transform(X)
    names = features.get_feature_names_out()
    assert isinstance(out, pd.DataFrame) and list(out.columns) == list(names)
    assert len(names) == features.n_features_out_ and names[0] == "dreamfeatures0"
    # A (sequence id, time) frame: one row per sequence, indexed by the ids (scikit-learn
    # indexed the output by X's rows, one per step, and raised).
    index = pd.MultiIndex.from_product([list("edcba"), range(4)], names=["id", "t"])
    frame = pd.DataFrame(np.random.RandomState(1).normal(size=(20, 2)), index=index)
    out = features.fit_transform(frame)
    assert list(out.index) == list("edcba") and out.index.name == "id"
    assert out.equals(features.transform(frame))
    # The estimator's own "default" holds over a global pandas setting, as for
    # scikit-learn's transformers (review 266: a frame of sequences got a DataFrame)
    import sklearn

    with sklearn.config_context(transform_output="pandas"):
        plain = DREAMFeatures(hidden_dim=4, random_state=0).set_output(transform="default")
        assert type(plain.fit_transform(frame)) is np.ndarray
        assert type(plain.transform(frame)) is np.ndarray
        assert type(plain.fit_transform(X)) is np.ndarray
        unset = DREAMFeatures(hidden_dim=4, random_state=0)
        assert isinstance(unset.fit_transform(frame), pd.DataFrame)


# --- round 11: a review of the estimators --------------------------------------------


@pytest.mark.parametrize("unit", [1e-150, 1e-170, 1e-300])
def test_a_column_in_a_tiny_unit_is_standardised_as_any(unit):
    # The squares of deviations below about 1e-154 underflowed: the column's spread
    # came out 0, it was read as constant (scale 1) and carried nothing.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 6, 2))
    y = np.where(X[:, :, 0].mean(1) > 0, "a", "b")
    base = DREAMClassifier(hidden_dim=4, rank=2, random_state=0).fit(X, y)
    tiny = DREAMClassifier(hidden_dim=4, rank=2, random_state=0).fit(X * unit, y)
    np.testing.assert_allclose(tiny.x_scale_ / unit, base.x_scale_, rtol=1e-12)
    np.testing.assert_allclose(
        tiny.predict_proba(X * unit), base.predict_proba(X), rtol=0, atol=1e-6
    )
    yr = X[:, :, 0].mean(1)
    reg = DREAMRegressor(hidden_dim=4, rank=2, random_state=0).fit(X, yr)
    reg_tiny = DREAMRegressor(hidden_dim=4, rank=2, random_state=0).fit(X, yr * unit)
    np.testing.assert_allclose(reg_tiny.y_scale_ / unit, reg.y_scale_, rtol=1e-12)
    np.testing.assert_allclose(reg_tiny.predict(X) / unit, reg.predict(X), rtol=1e-6, atol=1e-9)


def test_column_stats_is_numpys_above_the_tiny_unit():
    from dream_sklearn._sklearn._input import column_stats

    rng = np.random.RandomState(1)
    a = rng.normal(size=(50, 3)) * [1.0, 1e-80, 1e5]
    w = rng.uniform(0.5, 2.0, size=50)
    mean, std = column_stats(a)
    assert np.array_equal(mean, a.mean(axis=0)) and np.array_equal(std, a.std(axis=0))
    mean, std = column_stats(a, w)
    ref = np.average(a, axis=0, weights=w)
    assert np.array_equal(mean, ref)
    assert np.array_equal(std, np.sqrt(np.average((a - ref) ** 2, axis=0, weights=w)))


def test_early_stopping_keeps_a_label_of_one_sequence():
    # (the stratified split refused it, naming the label; since review 127 the split
    # falls back to a plain random one, as MLPClassifier's for more than two classes)
    X = np.random.RandomState(0).normal(size=(30, 6, 2))
    y = np.array(["a", "b"] * 15)
    y[0] = "c"
    model = DREAMClassifier(hidden_dim=4, rank=2, solver="adam", early_stopping=True, max_iter=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        assert list(model.fit(X, y).classes_) == ["a", "b", "c"]


@pytest.mark.parametrize("solver", ["adam", "ridge"])
def test_predict_reads_x_as_the_fit_did_and_a_continued_fit_refuses_a_change(solver):
    """n_steps, layout and standardize as the last fit read them: predict after
    set_params(n_steps=12) on a model fitted with 4 read 12 flat columns as one feature
    a step and answered (review 117); a continued fit refuses the change, as it
    refuses a change of the cell's parameters."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(20, 4, 3))
    y = np.arange(20) % 2
    flat = X.reshape(20, -1)
    model = DREAMClassifier(**{**SMALL, "max_iter": 2, "solver": solver}, n_steps=4)
    model.partial_fit(flat, y, classes=[0, 1])
    expected = model.predict_proba(flat)
    for change in ({"n_steps": 12}, {"n_steps": 2}, {"layout": "channels_first"}):
        model.set_params(**change)
        np.testing.assert_array_equal(model.predict_proba(flat), expected)
        with pytest.raises(ValueError, match=f"{next(iter(change))}=.* -> "):
            model.partial_fit(flat, y)
        model.set_params(n_steps=4, layout=None)
    model.set_params(standardize=False)
    with pytest.raises(ValueError, match="standardize=True -> False"):
        model.partial_fit(flat, y)
    np.testing.assert_array_equal(model.predict_proba(flat), expected)
    # X shaped for the new n_steps: the change is named, not X's width (review 121)
    model.set_params(standardize=True, n_steps=2)
    with pytest.raises(ValueError, match="n_steps=4 -> 2"):
        model.partial_fit(X[:, :2].reshape(20, -1), y)
    model.set_params(n_steps=4, standardize=False)
    model.fit(flat, y)  # a new fit reads X as it says now
    assert model._read_as["standardize"] is False
    # a model pickled before _read_as: a continued fit keeps what it reads now
    del model._read_as
    model.partial_fit(flat, y)
    assert model._read_as == {"n_steps": 4, "layout": None, "standardize": False}


def test_predict_after_set_params_says_the_change_takes_effect_at_the_next_fit():
    """After set_params(n_steps=None) on a model fitted with n_steps=4, predict on
    sequences said "Set n_steps=None to pass sequences directly", which the user had
    just done (a review's finding); the same for a layout changed after the fit."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(20, 4, 3))
    y = np.arange(20) % 2
    model = DREAMClassifier(**{**SMALL, "max_iter": 2}, n_steps=4).fit(X.reshape(20, -1), y)
    model.set_params(n_steps=None)
    with pytest.raises(ValueError, match="fitted with n_steps=4 .* set_params") as error:
        model.predict(X)
    assert "Set n_steps=None" not in str(error.value)
    # (a warm_start fit refuses the change: the note says which fit takes it, review 156)
    assert r"set_params(n_steps=None) takes effect at that fit (warm_start=False)" in str(
        error.value
    )
    model.set_params(n_steps=4)
    with pytest.raises(ValueError, match="Set n_steps=None to pass sequences directly"):
        model.predict(X)  # (the parameter as fitted: the hint stays)
    single = rng.normal(size=(20, 30, 1))
    model = DREAMClassifier(**{**SMALL, "max_iter": 2}).fit(single, y)
    model.set_params(layout="channels_first")
    with pytest.raises(
        ValueError,
        match=r"30 features read with layout=None, as DREAMClassifier was fitted, and "
        r"DREAMClassifier expects 1: set_params\(layout='channels_first'\) takes effect",
    ):
        model.predict(single.transpose(0, 2, 1))
    with pytest.raises(ValueError, match=r"got an array of 1 dimension.*Reshape your data"):
        model.predict(np.zeros(5))  # (the forms X takes, not an IndexError)


@pytest.mark.parametrize(
    "classes, error, match",
    [
        ([0, 1, np.nan], ValueError, "NaN"),
        ([0, 1, 2.5], ValueError, "classes: Unknown label type"),
        ([[0, 1], [2, 3]], ValueError, r"1-D .* shape \(2, 2\)"),
        (["a", 0, 1], ValueError, "mixes strings"),
        ({0, 1}, TypeError, "got a set"),
        # (a label column's .to_numpy() with a gap: NumPy's sort raised a TypeError
        # that named neither classes nor the label; review 307)
        (np.array(["a", "b", None], dtype=object), ValueError, "classes mixes strings"),
        (np.array([0, 1, None], dtype=object), ValueError, "classes must not contain a missing"),
        (pd.array(["a", "b", None], dtype="string"), ValueError, "classes must not contain a"),
    ],
)
def test_partial_fit_refuses_classes_that_are_no_labels(seq_data, classes, error, match):
    """As MLPClassifier refuses them (each was taken: a NaN class, a class 2.5, a 2-D
    array flattened to 4 classes; review 117); a column of labels is taken, as
    MLPClassifier takes it (review 121)."""
    X, _ = seq_data
    y = np.arange(len(X)) % 2
    with pytest.raises(error, match=match):
        DREAMClassifier(**SMALL).partial_fit(X, y, classes=classes)
    model = DREAMClassifier(**{**SMALL, "max_iter": 1})
    assert model.partial_fit(X, y, classes=np.array([[0], [1]])).classes_.tolist() == [0, 1]


def test_a_regressor_names_y_of_three_dimensions(seq_data):
    """scikit-learn's check_array said "Found array with dim 3" without naming y
    (review 307)."""
    X, _ = seq_data
    with pytest.raises(ValueError, match=r"y must be 1-D or 2-D; got an array of shape \(40, 5"):
        DREAMRegressor(**SMALL).fit(X, X)


def test_messages_of_a_new_label_after_fit_of_class_weight_and_of_no_sequence(seq_data):
    X, y = seq_data
    model = DREAMClassifier(**{**SMALL, "max_iter": 1}).fit(X, y)
    with pytest.raises(ValueError, match="labels that fit did not have: \\['new'\\]"):
        model.partial_fit(X, np.where(y == "pos", "new", y))
    # A first partial_fit names its own call's classes, not a fit's (review 143), and
    # as this call's own (review 158); one after the other solver's fit is refused
    # (review 283: it replaced the fitted model with one of its chunk, silently).
    model.set_params(solver="ridge")
    with pytest.raises(ValueError, match="fitted with solver='adam', and solver is 'ridge'"):
        model.partial_fit(X, y)
    with pytest.raises(
        ValueError, match="not in classes: \\['new'\\]; classes is \\['neg', 'pos'\\]"
    ):
        DREAMClassifier(**SMALL).partial_fit(
            X, np.where(y == "pos", "new", y), classes=["neg", "pos"]
        )
    with pytest.raises(ValueError, match="class_weight must map labels .*'a'"):
        DREAMClassifier(**SMALL, class_weight={"pos": "a"}).fit(X, y)
    for empty in ([], ()):
        with pytest.raises(ValueError, match="X contains no sequence"):
            DREAMClassifier(**SMALL).fit(empty, [])


@pytest.mark.parametrize("solver", ["ridge", "adam"])
def test_balanced_class_weight_counts_the_sample_weights(solver):
    # "balanced" counted the classes by heads, so a sequence of weight 0 still moved
    # every class weight: 0.034 (adam) and 0.093 (ridge) in predict_proba against the
    # fit without it, where scikit-learn's compute_class_weight counts the weights
    # (review 127).
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 5, 2))
    y = (X[:, -1, 0] > 0).astype(int)
    sw = np.ones(30)
    sw[np.flatnonzero(y == 1)[:6]] = 0.0
    keep = sw > 0
    kw = dict(
        solver=solver,
        hidden_dim=4,
        max_iter=3,
        random_state=0,
        dtype="float64",
        class_weight="balanced",
    )
    weighted = DREAMClassifier(**kw).fit(X, y, sample_weight=sw)
    dropped = DREAMClassifier(**kw).fit(X[keep], y[keep])
    np.testing.assert_allclose(weighted.predict_proba(X), dropped.predict_proba(X), atol=1e-10)
    # the weights themselves: scikit-learn's, from the weighted counts
    from sklearn.utils.class_weight import compute_class_weight

    want = compute_class_weight("balanced", classes=np.array([0, 1]), y=y, sample_weight=sw)
    got = weighted._sample_weight(sw, None, y, incremental=False).train
    np.testing.assert_allclose(got, sw * want[y])


def test_early_stopping_splits_data_the_stratified_split_cannot_take():
    # A class of one sequence, or a split smaller than the number of classes, was
    # refused with train_test_split's own error, naming neither early_stopping nor
    # validation_fraction; MLPClassifier fits such data (review 127). The split is
    # stratified where it can be, a plain random one otherwise.
    rng = np.random.RandomState(1)
    X = rng.normal(size=(30, 4, 2))
    y = np.array([0] * 15 + [1] * 14 + [2])
    kw = dict(solver="adam", hidden_dim=4, max_iter=2, early_stopping=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = DREAMClassifier(**kw).fit(X, y)
        assert list(model.classes_) == [0, 1, 2] and len(model.validation_scores_) == 2
        # 10 sequences, a validation part of 1: the package's own message
        with pytest.raises(
            ValueError, match=r"validation split holds 1 sequence.*validation_fraction"
        ):
            DREAMClassifier(**kw).fit(X[:10], np.arange(10) % 2)
        # where it can, the split is stratified: both classes in a validation part of 4
        balanced = np.arange(30) % 2
        split = DREAMClassifier(**kw, validation_fraction=0.13)
        split.classes_ = np.array([0, 1])
        _, val = split._split(30, balanced, np.random.RandomState(0))
        assert sorted(np.bincount(balanced[val])) == [2, 2]


def test_an_object_array_or_series_of_sequences_reads_as_their_list():
    """pandas' ``groupby(...).apply(lambda g: g.to_numpy())`` gives a Series (or, with
    ``.to_numpy()``, an object array) of 2-D arrays: NumPy's "setting an array
    element with a sequence" named neither X nor a form that works (review 158)."""
    from dream_sklearn import DREAMFeatures

    rng = np.random.default_rng(0)
    seqs = [rng.normal(size=(n, 2)) for n in rng.integers(3, 8, size=12)]
    y = np.arange(12) % 2
    items = np.empty(12, dtype=object)
    items[:] = seqs
    series = pd.Series(seqs, index=[f"s{i}" for i in range(12)])
    want = DREAMClassifier(hidden_dim=4, random_state=0).fit(seqs, y).predict_proba(seqs)
    features = DREAMFeatures(hidden_dim=4, random_state=0).fit_transform(seqs)
    for X in (items, series):
        got = DREAMClassifier(hidden_dim=4, random_state=0).fit(X, y).predict_proba(X)
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(
            DREAMFeatures(hidden_dim=4, random_state=0).fit_transform(X), features
        )


def test_a_series_of_sequences_aligns_a_y_indexed_by_its_ids_by_id():
    """(review 328) A Series of sequences indexed by ids, with ``y`` a Series of those
    ids in another order: each sequence was given another's target by position, where
    the same ids of a (sequence id, time) frame are aligned by id."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from dream_sklearn import DREAMFeatures

    rng = np.random.default_rng(1)
    seqs = [rng.normal(size=(n, 2)) for n in rng.integers(3, 8, size=12)]
    series = pd.Series(seqs, index=[f"s{i}" for i in range(12)])
    y = pd.Series(np.arange(12) % 3 == 0, index=series.index)
    w = pd.Series(rng.uniform(0.5, 2.0, size=12), index=series.index)
    want = DREAMClassifier(hidden_dim=4, random_state=0).fit(seqs, y.to_numpy(), w.to_numpy())
    got = DREAMClassifier(hidden_dim=4, random_state=0).fit(series, y[::-1], w[::-1])
    np.testing.assert_array_equal(got.predict_proba(series), want.predict_proba(seqs))
    assert got.score(series, y[::-1], w[::-1]) == want.score(seqs, y.to_numpy(), w.to_numpy())
    # DREAMFeatures cannot reorder y for the next step of a pipeline: refused
    with pytest.raises(ValueError, match="not in the order of X's sequences"):
        make_pipeline(DREAMFeatures(hidden_dim=4), LogisticRegression()).fit(series, y[::-1])
    make_pipeline(DREAMFeatures(hidden_dim=4), LogisticRegression()).fit(series, y)


def test_partial_fit_says_which_labels_are_not_in_classes_on_the_first_call():
    """The first call's refusal blamed "the first call" (this one) and said nothing
    of int labels against string classes (review 158)."""
    X = np.random.default_rng(0).normal(size=(12, 4, 2))
    with pytest.raises(ValueError, match=r"not in classes: \[0, 1\].*numbers against strings"):
        DREAMClassifier(**SMALL).partial_fit(X, np.array([0, 1] * 6), classes=["0", "1"])
    with pytest.raises(ValueError, match=r"not in classes: \[2\]; classes is \[0, 1\]\. Pass ev"):
        DREAMClassifier(**SMALL).partial_fit(X, np.array([0, 1, 2] * 4), classes=[0, 1])
    model = DREAMClassifier(**SMALL).partial_fit(X, np.array([0, 1] * 6), classes=[0, 1])
    with pytest.raises(ValueError, match=r"not seen in the first call: \[2\]") as err:
        model.partial_fit(X, np.array([0, 1, 2] * 4))
    assert "different types" not in str(err.value)


@pytest.mark.parametrize("first", ["partial_fit", "fit", "warm_start"])
def test_later_calls_say_when_labels_and_classes_differ_in_type(first):
    """After the first call, string labels for int classes were refused as labels
    "not seen in the first call" (or that fit "did not have"), though the user had
    passed every label: the message now says the types differ (review 250)."""
    X = np.random.default_rng(0).normal(size=(12, 4, 2))
    y = np.array([0, 1] * 6)
    model = DREAMClassifier(**SMALL, warm_start=first == "warm_start")
    if first == "partial_fit":
        model.partial_fit(X, y, classes=[0, 1])
    else:
        model.fit(X, y)
    again = model.fit if first == "warm_start" else model.partial_fit
    with pytest.raises(ValueError, match=r"\['0', '1'\].*numbers against strings"):
        again(X, y.astype(str))


@pytest.mark.parametrize("layout", [None, "channels_first"])
def test_a_nan_padded_array_is_told_to_come_as_a_list(layout):
    """tslearn and sktime pad unequal lengths with trailing NaN steps; scikit-learn's
    message advised an imputer, which would invent those steps (review 158). The
    list the message gives fits; NaN within a step keeps scikit-learn's message."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 6, 2))
    X[0, 4:], X[3, 5:] = np.nan, np.nan
    y = np.arange(12) % 2
    if layout == "channels_first":
        X = X.transpose(0, 2, 1)
    with pytest.raises(ValueError, match=r"NaN-padded: 2 of its 12 sequences") as err:
        DREAMClassifier(**SMALL, layout=layout).fit(X, y)
    if layout is None:
        assert "[s[~np.isnan(s).all(axis=1)] for s in X]" in str(err.value)
        listed = [s[~np.isnan(s).all(axis=1)] for s in X]
    else:
        assert "[s[:, ~np.isnan(s).all(axis=0)] for s in X]" in str(err.value)
        listed = [s[:, ~np.isnan(s).all(axis=0)] for s in X]
    assert [s.shape[0 if layout is None else 1] for s in listed][:4] == [4, 6, 6, 5]
    DREAMClassifier(**SMALL, layout=layout).fit(listed, y)
    # A sequence NaN throughout is named: the list would hold it empty (review 161).
    whole = X.copy()
    whole[2] = np.nan
    with pytest.raises(ValueError, match=r"positions \[2\] are NaN throughout"):
        DREAMClassifier(**SMALL, layout=layout).fit(whole, y)
    X[1, 0, 0] = np.nan  # (a value missing within a step: no padding)
    with pytest.raises(ValueError, match=r"Input X contains NaN"):
        DREAMClassifier(**SMALL, layout=layout).fit(X, y)


@pytest.mark.parametrize("wrap", ["series", "object_array"])
def test_a_series_of_one_dimensional_arrays_is_refused_naming_both_readings(wrap):
    """A Series (or object array) of 1-D arrays, aeon's nested univariate column,
    was read as one-step rows of that many features, silently (review 160): the
    error gives the expression for each reading, and both work."""
    rng = np.random.default_rng(0)
    series = [rng.normal(size=6) for _ in range(10)]
    y = np.arange(10) % 2
    if wrap == "series":
        X = pd.Series(series)
    else:
        X = np.empty(10, dtype=object)
        X[:] = series
    with pytest.raises(ValueError, match=r"1-D arrays, which reads two ways") as info:
        DREAMClassifier(hidden_dim=4, random_state=0).fit(X, y)
    assert "[np.asarray(s, dtype=float)[:, None] for s in X]" in str(info.value)
    univariate = [np.asarray(s, dtype=float)[:, None] for s in X]
    assert DREAMClassifier(hidden_dim=4, random_state=0).fit(univariate, y).n_features_in_ == 1
    rows = np.stack(list(X))
    assert DREAMClassifier(hidden_dim=4, random_state=0).fit(rows, y).n_features_in_ == 6
    # aeon's layout reads them as univariate series, as it reads a plain 2-D array (the
    # message gave the channels-last expression there too, review 161).
    first = DREAMClassifier(hidden_dim=4, random_state=0, layout="channels_first")
    want = clone(first).fit(rows, y).predict_proba(rows)
    np.testing.assert_array_equal(first.fit(X, y).predict_proba(X), want)
    assert first.n_features_in_ == 1


def test_one_long_sequence_pads_only_its_own_chunk(monkeypatch):
    """Sequences of unequal lengths run in order of length, and a chunk holds no more
    padded steps than ``batch_size`` times their median length: one sequence of
    2,000 steps among 300 of 20-40 padded the 45 others of its chunk to 2,000 steps
    (about 3 GB and 15 times the time on 1,000 sequences; review 169). The features
    are each sequence's own, as it gives alone."""
    from dream_sklearn._sklearn import _features

    rng = np.random.default_rng(0)
    X = [rng.normal(size=(int(n), 2)) for n in rng.integers(20, 41, size=300)]
    X.append(rng.normal(size=(2000, 2)))
    y = np.array([int(s[:, 0].mean() > 0) for s in X])
    padded = []
    run = _features._input_tensor

    def counted(x, dtype):
        padded.append(x.shape[0] * x.shape[1])
        return run(x, dtype)

    monkeypatch.setattr(_features, "_input_tensor", counted)
    model = DREAMClassifier(hidden_dim=8, random_state=0).fit(X, y)
    steps = sum(len(s) for s in X)
    assert sum(padded) <= 3 * steps  # (the thresholds' 32 sequences, the fit's run)
    padded.clear()
    bank = model.features_
    together = bank.transform(X)
    assert sum(padded) <= 1.25 * steps  # (before: 100,240)
    alone = np.vstack([bank.transform(X[i : i + 1]) for i in (0, 150, 300)])
    np.testing.assert_allclose(together[[0, 150, 300]], alone, rtol=1e-5, atol=1e-6)


def test_the_cells_inputs_are_made_a_chunk_at_a_time():
    """``DREAMFeatures`` made the cell's inputs (differences appended, times
    ``input_scale``) for the whole array padded to its longest sequence: two more
    copies of it, each twice its width. One series of 20,000 steps among 200 of 20
    peaked at about 5 times the padded array; now the chunks' inputs are made as they
    run (review 170). The padded array itself is still made whole."""
    import tracemalloc

    from dream_sklearn import DREAMFeatures

    rng = np.random.default_rng(0)
    X = [rng.normal(size=(20, 1)) for _ in range(200)] + [rng.normal(size=(20000, 1))]
    padded = len(X) * 20000 * 8
    tracemalloc.start()
    try:
        DREAMFeatures(hidden_dim=4, random_state=0, batch_size=16).fit_transform(X)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 * padded


def test_an_interrupted_ridge_refit_leaves_the_fitted_model(seq_data, monkeypatch):
    """A KeyboardInterrupt in a ridge refit (the bank's features, the slow part) had
    left the new bank and scaling over the old coefficients: a model that predicted
    without an error, at chance (review 169). The ridge solver trains nothing in
    place, so the model is put back as it was."""
    X, y = seq_data
    model = DREAMClassifier(hidden_dim=8, random_state=0).fit(X, y)
    before = model.predict_proba(X)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
        yield  # (a generator, as the method is)

    model.set_params(random_state=1)
    monkeypatch.setattr(_base._BaseDREAM, "_bank_features", interrupted)
    with pytest.raises(KeyboardInterrupt):
        model.fit(X, y)
    monkeypatch.undo()
    np.testing.assert_array_equal(model.predict_proba(X), before)


def test_prediction_leaves_an_adam_fitted_model_as_it_was(seq_data):
    """aeon's check that predict changes no state compares ``estimator_`` by identity
    under ``solver="adam"`` (its optimizer cannot be hashed), so it proves nothing
    there (review 170). Checked here: the weights, the optimizer's state and every
    other attribute after predict, predict_proba and score on unequal lengths."""
    import copy

    X, y = seq_data
    model = DREAMClassifier(**SMALL).fit(X, y)
    weights, optimizer = _weights(model), copy.deepcopy(model.optimizer_.state_dict())
    others = {k: copy.deepcopy(v) for k, v in vars(model).items() if k != "module_"}
    ragged = [X[0], X[1, :3], X[2, :1]]
    model.predict(ragged)
    model.predict_proba(ragged)
    model.score(X, y)
    assert all(torch.equal(a, _weights(model)[k]) for k, a in weights.items())

    def same(a, b) -> bool:
        if isinstance(a, torch.Tensor):
            return isinstance(b, torch.Tensor) and torch.equal(a, b)
        if isinstance(a, np.ndarray):
            return np.array_equal(a, b)
        if isinstance(a, dict):
            return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
        if isinstance(a, (list, tuple)):
            return len(a) == len(b) and all(same(u, v) for u, v in zip(a, b, strict=True))
        return a == b

    assert same(model.optimizer_.state_dict(), optimizer)
    assert set(vars(model)) == set(others) | {"module_"}
    for key, value in others.items():
        plain = (torch.Tensor, np.ndarray, dict, list, tuple, int, float, str, type(None))
        if key != "optimizer_" and isinstance(value, plain):
            assert same(getattr(model, key), value), key


def test_chunks_pad_at_most_twice_their_steps_and_keep_full_chunks():
    """A chunk's padded steps are at most twice its sequences' own; sequences of one
    length come in full chunks, in their order. A budget of batch_size times the
    median length ran the long half of a mixed set one at a time, 18 times slower
    (review 174)."""
    from dream_sklearn._sklearn._features import _chunks

    rng = np.random.default_rng(0)
    for lengths in (
        np.array([1] * 1020 + [300] * 980),
        rng.integers(1, 500, size=700),
        np.array([50] * 1000 + [2000]),
    ):
        chunks = list(_chunks(lengths, 256))
        assert np.array_equal(np.sort(np.concatenate(chunks)), np.arange(len(lengths)))
        for rows in chunks:
            assert 1 <= len(rows) <= 256
            assert len(rows) * lengths[rows].max() <= 2 * lengths[rows].sum()
    mixed = list(_chunks(np.array([1] * 1020 + [300] * 980), 256))
    assert [len(c) for c in mixed] == [256, 256, 256, 252, 256, 256, 256, 212]
    same = list(_chunks(np.full(600, 7), 256))
    assert [c.tolist() for c in same] == [list(range(a, min(a + 256, 600))) for a in (0, 256, 512)]


def test_the_thresholds_do_not_depend_on_the_order_chunks_run_in(monkeypatch):
    """The thresholds sample more than 4,096 values by position: with the chunks in
    order of length, their values came in another order, and the thresholds moved by
    0.023 (review 174). They are taken in the order of the sequences drawn."""
    from dream_sklearn import DREAMFeatures
    from dream_sklearn._sklearn import _features

    rng = np.random.default_rng(0)
    X = [rng.normal(size=(int(n), 2)) for n in rng.integers(150, 401, size=50)]
    sorted_run = DREAMFeatures(hidden_dim=8, rank=2, random_state=0).fit(X).thresholds_

    def in_order(lengths, batch_size):
        for start in range(0, len(lengths), batch_size):
            yield np.arange(start, min(start + batch_size, len(lengths)))

    monkeypatch.setattr(_features, "_chunks", in_order)
    given_order = DREAMFeatures(hidden_dim=8, rank=2, random_state=0).fit(X).thresholds_
    np.testing.assert_array_equal(sorted_run, given_order)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_surprise_is_kept_in_the_networks_dtype(seq_data, dtype):
    """In float64 it was most of a pickled model (800 of 820 KB at 2,000 sequences of 50
    steps; review 177); it is computed in the network's dtype, and kept in it."""
    X, y = seq_data
    clf = DREAMClassifier(**{**SMALL, "dtype": dtype}).fit(X, y)
    assert clf.surprise_.dtype == np.dtype(dtype)
    assert clf.advance_memory(X[:3]).surprise_.dtype == np.dtype(dtype)


@pytest.mark.parametrize("cls", [DREAMClassifier, DREAMRegressor])
def test_a_validation_split_that_leaves_nothing_to_train_on_is_named(seq_data, cls):
    """train_test_split's own error named its test_size and train_size, which the user
    did not set (review 187)."""
    X, y = seq_data
    target = y if cls is DREAMClassifier else X[:20, -1, 0]
    model = cls(**{**SMALL, "early_stopping": True, "validation_fraction": 0.97})
    with pytest.raises(ValueError, match=r"validation_fraction=0\.97 of 20 sequences leaves none"):
        model.fit(X[:20], target[:20])


def test_partial_fit_steps_with_a_learning_rate_set_since(seq_data):
    """partial_fit kept the first call's learning_rate_init after a set_params, with no
    error, where alpha set since was used (review 187)."""
    X, y = seq_data
    kept = DREAMClassifier(**SMALL).partial_fit(X, y, classes=["neg", "pos"])
    changed = clone(kept).partial_fit(X, y, classes=["neg", "pos"])
    changed.set_params(learning_rate_init=0.5).partial_fit(X, y)
    kept.partial_fit(X, y)
    assert [g["lr"] for g in changed.optimizer_.param_groups] == [0.5]
    assert [g["lr"] for g in kept.optimizer_.param_groups] == [SMALL["learning_rate_init"]]
    assert not np.allclose(changed.predict_proba(X), kept.predict_proba(X))
    # A call refused for its rate (past float32's range) leaves the rate the optimiser
    # had (review 189: it kept the refused one).
    model = DREAMClassifier(**{**SMALL, "dtype": "float32"})
    model.partial_fit(X, y, classes=["neg", "pos"])
    model.set_params(learning_rate_init=1e38)
    with pytest.raises(ValueError, match="too large for torch.float32"):
        model.partial_fit(X, y)
    assert [g["lr"] for g in model.optimizer_.param_groups] == [SMALL["learning_rate_init"]]


def test_a_model_saved_with_a_time_constant_below_the_floor_predicts_and_refuses_to_train(
    seq_data,
):
    """Before round 36 an ltc_tau_sys below the step's floor (1e-3) was taken, and acted
    as 1e-3. Such a model, loaded now, predicts as before; a partial_fit refuses the
    value by name (docs in DREAMConfig)."""
    X, y = seq_data
    clf = DREAMClassifier(**SMALL).fit(X, y)
    want = clf.predict_proba(X)
    clf.ltc_tau_sys = 1e-4  # (as a pickle from before the rule holds it)
    old = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(old.predict_proba(X), want)
    with pytest.raises(ValueError, match=r"'ltc_tau_sys' parameter .* >= 0\.001"):
        old.partial_fit(X, y)


@pytest.mark.parametrize("solver", ["adam", "ridge"])
def test_later_targets_far_off_the_first_calls_scale_warn_with_adam(solver):
    """The targets' scale comes from the first call for good: a first chunk of nearly
    equal targets left the later ones 1e5 standard deviations out, and adam learned
    nothing (R^2 about 0), silently (review 250). It warns now; ridge, which solves
    for the readout in closed form, does not need to; a first chunk like the rest
    gives no warning."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 5, 2))
    y = 3 * X[:, -1, 0] + 10

    def later_warnings(first_y):
        model = DREAMRegressor(**{**SMALL, "solver": solver}).partial_fit(X[:20], first_y)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.partial_fit(X[20:], y[20:])
        return [w for w in caught if "y_scale_ from y_mean_" in str(w.message)]

    flat = later_warnings(np.full(20, 10.0) + 1e-5 * rng.normal(size=20))
    assert len(flat) == (1 if solver == "adam" else 0)
    if flat:
        assert flat[0].category is UserWarning and flat[0].filename == __file__
        assert "solver='ridge'" in str(flat[0].message)
    assert later_warnings(y[:20]) == []


def test_later_targets_narrow_on_the_first_calls_scale_warn_with_adam():
    """(review 274) A first chunk of one sequence leaves y_scale_ at 1; targets in
    units of 1e-3 after it were learned as noise (R^2 -142,162), without a word. The
    mirror of the far-target warning; a later chunk like the first, or a constant
    one, gives none."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 5, 2))
    y = 1e-3 * (3 * X[:, -1, 0] + 10)

    def later_warnings(first, later):
        model = DREAMRegressor(**SMALL).partial_fit(X[: len(first)], first)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.partial_fit(X[20:], later)
        return [w for w in caught if "spread over" in str(w.message)]

    narrow = later_warnings(y[:1], y[20:])
    assert len(narrow) == 1 and narrow[0].filename == __file__
    assert "solver='ridge'" in str(narrow[0].message)
    assert later_warnings(y[:20], y[20:]) == []
    assert later_warnings(y[:1], np.full(40, 0.5)) == []  # (constant: nothing to learn)


def test_later_targets_beyond_the_networks_dtype_are_refused_by_name():
    """(review 274) Targets 1e50 y_scale_ out were inf in float32: the fit failed as a
    diverged loss, advising a lower learning rate."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 5, 2))
    y = X[:, -1, 0] * 1e50
    model = DREAMRegressor(**{**SMALL, "dtype": "float32"}).partial_fit(X[:1], y[:1])
    with pytest.raises(
        ValueError, match="y has targets .* beyond what the network's torch.float32"
    ):
        model.partial_fit(X[1:], y[1:])
    assert model.n_iter_ == 1


def test_the_far_target_warning_counts_weighted_rows_and_names_the_output():
    """Review 254: a far row of weight 0 (nothing in the loss) warned; with several
    outputs the warning did not say which one was far."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 5, 2))
    Y = np.column_stack([X[:, -1, 0], 3 * X[:, -1, 1] + 10])
    model = DREAMRegressor(**SMALL).partial_fit(X[:20], Y[:20])
    far = Y[20:].copy()
    far[0, 1] = 1e6  # output 1, the first row of the call
    weight = np.ones(40)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        weight[0] = 0.0
        model.partial_fit(X[20:], far, sample_weight=weight)  # (no warning: weight 0)
    weight[0] = 1.0
    with pytest.warns(UserWarning, match=r"y has targets \(output 1\) [0-9.e+]+ y_scale_ from"):
        model.partial_fit(X[20:], far, sample_weight=weight)


@pytest.mark.parametrize("patience", [1, 3])
def test_n_iter_no_change_epochs_are_allowed_and_the_next_one_stops(patience):
    """As its docstring now says (review 261: it read "epochs without an improvement
    before stopping", one fewer than run): the first epoch improves on nothing seen,
    then ``n_iter_no_change`` epochs without an improvement of ``tol`` are allowed,
    and the fit stops at the next one, as MLPClassifier's."""
    X = np.random.default_rng(0).normal(size=(30, 6, 2))
    y = np.arange(30) % 2
    model = DREAMClassifier(**{**SMALL, "max_iter": 50}, tol=100.0, n_iter_no_change=patience)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    assert model.n_iter_ == 1 + patience + 1
