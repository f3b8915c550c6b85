"""Persistence: a model saved mid-stream and reloaded goes on exactly as if it never
stopped (pickle and joblib; scikit-learn estimators by partial_fit chunks, online
estimators by learn_one rows), and pickles hold CPU tensors only, so a model trained
on a GPU loads on a machine without one."""

import io
import pickle
import re
import warnings
from pathlib import Path

import joblib
import numpy as np
import pytest
import torch
from river.datasets import synth

from dream_sklearn import DREAMClassifier, DREAMRegressor
from dream_sklearn._sklearn import _base
from dream_sklearn.online import DREAMOnlineClassifier, DREAMOnlineRegressor

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def _dumps_loads(obj, how: str):
    if how == "pickle":
        return pickle.loads(pickle.dumps(obj))
    buffer = io.BytesIO()
    joblib.dump(obj, buffer)
    buffer.seek(0)
    return joblib.load(buffer)


def _chunks(regression: bool, n_chunks: int = 6, size: int = 24):
    rng = np.random.RandomState(0)
    for k in range(n_chunks):
        X = rng.normal(size=(size, 5, 3)) + (k >= n_chunks // 2)  # a shift half way
        score = X[:, -2:, 0].sum(axis=1) - X[:, 0, 1]
        yield X, (score if regression else np.where(score > 1, "a", "b"))


def _outputs(est, X):
    return est.predict(X) if isinstance(est, DREAMRegressor) else est.predict_proba(X)


def _fit_chunk(est, X, y):
    if isinstance(est, DREAMClassifier):
        return est.partial_fit(X, y, classes=["a", "b"])
    return est.partial_fit(X, y)


@pytest.mark.parametrize("how", ["pickle", "joblib"])
@pytest.mark.parametrize("Estimator", [DREAMClassifier, DREAMRegressor])
def test_sklearn_reload_mid_stream_continues_identically(Estimator, how):
    chunks = list(_chunks(Estimator is DREAMRegressor))
    k = 2
    est = Estimator(hidden_dim=8, rank=2, solver="adam", random_state=0, device="cpu")
    for X, y in chunks[: k + 1]:
        _fit_chunk(est, X, y)
    loaded = _dumps_loads(est, how)
    for X, y in chunks[k + 1 :]:
        # Same predictions before learning the chunk (from the carried memory) ...
        np.testing.assert_array_equal(_outputs(loaded, X), _outputs(est, X))
        _fit_chunk(est, X, y)
        _fit_chunk(loaded, X, y)
        # ... and the same memory, Adam moments and weights after.
        for a, b in zip(est.memory_, loaded.memory_, strict=True):
            assert torch.equal(a, b)
        for a, b in zip(est.module_.parameters(), loaded.module_.parameters(), strict=True):
            assert torch.equal(a, b)
        np.testing.assert_array_equal(est.surprise_, loaded.surprise_)
    assert loaded.n_iter_ == est.n_iter_ == len(chunks)
    # The loaded optimiser steps the loaded module's parameters, not copies of them.
    params = {id(p) for p in loaded.module_.parameters()}
    assert {id(p) for g in loaded.optimizer_.param_groups for p in g["params"]} == params


def _rows(regression: bool, n: int = 400):
    if regression:
        data = synth.Friedman(seed=0).take(n)
    else:
        data = synth.ConceptDriftStream(
            synth.SEA(seed=1, variant=0), synth.SEA(seed=2, variant=2), seed=3, position=n // 2
        ).take(n)
    return list(data)


@pytest.mark.parametrize("how", ["pickle", "joblib"])
@pytest.mark.parametrize("Model", [DREAMOnlineClassifier, DREAMOnlineRegressor])
def test_online_reload_mid_stream_continues_identically(Model, how):
    rows = _rows(Model is DREAMOnlineRegressor)
    k = 150
    model = Model(hidden_dim=8, rank=2, seed=0)
    for x, y in rows[: k + 1]:
        model.learn_one(x, y)
    loaded = _dumps_loads(model, how)
    predict = "predict_proba_one" if Model is DREAMOnlineClassifier else "predict_one"
    for x, y in rows[k + 1 :]:
        assert getattr(loaded, predict)(x) == getattr(model, predict)(x)
        model.learn_one(x, y)
        loaded.learn_one(x, y)
    for a, b in zip(model.memory(), loaded.memory(), strict=True):
        assert torch.equal(a, b)
    assert loaded.n_steps_ == model.n_steps_ == len(rows)
    assert loaded.last_surprise_ == model.last_surprise_


@pytest.mark.parametrize("mode", ["r", "r+"])
@pytest.mark.parametrize("Model", [DREAMOnlineClassifier, DREAMOnlineRegressor])
def test_an_online_model_loaded_with_mmap_mode_learns_as_the_model_and_leaves_the_file(
    Model, mode, tmp_path
):
    """joblib.load(mmap_mode="r") gave read-only arrays: the kNN expert's learn failed
    part-way, and left the row half learned; "r+" wrote the stream into the file
    (review 288). A loaded model learns as the one it was saved from."""
    rows = _rows(Model is DREAMOnlineRegressor, 300)
    model = Model(hidden_dim=8, rank=2, seed=0, n_neighbors=3)
    for x, y in rows[:150]:
        model.learn_one(x, y)
    path = tmp_path / "model.joblib"
    joblib.dump(model, path)
    saved = path.read_bytes()
    loaded = joblib.load(path, mmap_mode=mode)
    predict = "predict_proba_one" if Model is DREAMOnlineClassifier else "predict_one"
    for x, y in rows[150:]:
        assert getattr(loaded, predict)(x) == getattr(model, predict)(x)
        model.learn_one(x, y)
        loaded.learn_one(x, y)
    assert loaded.n_steps_ == model.n_steps_ == len(rows)
    assert path.read_bytes() == saved


@pytest.mark.parametrize("solver", ["ridge", "adam"])
def test_a_sklearn_model_loaded_with_mmap_mode_goes_on_as_the_model(solver, tmp_path):
    """joblib's read-only mapped arrays: partial_fit and predict as on a plain load,
    without torch's warning about a read-only array (the cell bank's thresholds)."""
    chunks = list(_chunks(False, n_chunks=3))
    est = DREAMClassifier(hidden_dim=8, rank=2, solver=solver, random_state=0, max_iter=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (ConvergenceWarning at max_iter=2)
        _fit_chunk(est, *chunks[0])
    path = tmp_path / "model.joblib"
    joblib.dump(est, path)
    plain, mapped = joblib.load(path), joblib.load(path, mmap_mode="r")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _fit_chunk(plain, *chunks[1])
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.filterwarnings("ignore", "maximum iterations")
        _fit_chunk(mapped, *chunks[1])
        np.testing.assert_array_equal(_outputs(mapped, chunks[2][0]), _outputs(plain, chunks[2][0]))


def _non_cpu_tensors(obj) -> list:
    """Every torch tensor reachable in a pickle of ``obj`` that is not on the CPU."""
    found = []

    class Spy(pickle.Pickler):
        def reducer_override(self, o):
            if isinstance(o, torch.Tensor) and o.device.type != "cpu":
                found.append(o)
            return NotImplemented

    Spy(io.BytesIO()).dump(obj)
    return found


@pytest.mark.parametrize("device", DEVICES)
def test_pickle_holds_cpu_tensors_and_loads_without_cuda(device, monkeypatch):
    X, y = next(_chunks(False))
    est = DREAMClassifier(8, rank=2, solver="adam", random_state=0, device=device, max_iter=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, y)
    est.partial_fit(X, y)  # Adam moments exist
    blob = pickle.dumps(est)
    assert _non_cpu_tensors(est) == []  # whatever the device, the pickle is CPU only
    # Load as on a machine without a GPU: nothing touches CUDA.
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    loaded = pickle.loads(blob)
    assert _non_cpu_tensors(loaded) == []
    assert all(p.device.type == "cpu" for p in loaded.module_.parameters())
    assert all(t.device.type == "cpu" for t in loaded.memory_)
    moments = [t for s in loaded.optimizer_.state.values() for t in s.values()]
    assert moments and all(t.device.type == "cpu" for t in moments)
    # (float32: the GPU's kernels round otherwise than the CPU's, within 1e-7 here)
    tol = 1e-10 if device == "cpu" else 1e-6
    np.testing.assert_allclose(loaded.predict_proba(X), est.predict_proba(X), atol=tol)
    loaded.partial_fit(X, y)  # and it keeps learning there
    # The estimator that was pickled is left on its device.
    assert next(est.module_.parameters()).device.type == device


def test_gpu_pickling_path_makes_independent_cpu_copies(monkeypatch):
    """The branch of ``__getstate__`` taken for a model on a GPU, run on the CPU: it
    pickles a copy of the module with a new Adam over the copy's parameters and the
    same moments, so the reloaded model trains on exactly as the original does."""
    chunks = list(_chunks(False))
    est = DREAMClassifier(8, rank=2, solver="adam", random_state=0, device="cpu")
    for X, y in chunks[:2]:
        _fit_chunk(est, X, y)
    monkeypatch.setattr(_base, "_on_cpu", lambda module: False)
    state = est.__getstate__()
    assert state["module_"] is not est.module_ and est.__dict__["module_"] is est.module_
    copied = {id(p) for p in state["module_"].parameters()}
    stepped = {id(p) for g in state["optimizer_"].param_groups for p in g["params"]}
    assert stepped == copied
    loaded = pickle.loads(pickle.dumps(est))
    for X, y in chunks[2:]:
        _fit_chunk(est, X, y)
        _fit_chunk(loaded, X, y)
        np.testing.assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))


def test_model_fitted_for_cuda_loads_and_predicts_on_cpu_only_machine(monkeypatch):
    X, y = next(_chunks(False))
    est = DREAMClassifier(8, rank=2, solver="adam", random_state=0, device="cpu", max_iter=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, y)
    est.set_params(device="cuda")  # as if it had been fitted on a GPU machine
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    loaded = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))
    loaded.partial_fit(X, y)  # the fitted network stays on the CPU and keeps learning
    with pytest.raises(ValueError, match="'cuda' but CUDA is not available"):
        loaded.fit(X, y)


def test_persistence_doc_snippet_runs(capsys):
    doc = Path(__file__).resolve().parents[1] / "docs" / "scale_out.md"
    section = doc.read_text().split("## Persistence", 1)[1]
    snippet = re.findall(r"```python\n(.*?)```", section, flags=re.S)[0]
    exec(compile(snippet, str(doc), "exec"), {"__name__": "persistence_doc"})
    assert capsys.readouterr().out.split() == ["1000", "1000"]
