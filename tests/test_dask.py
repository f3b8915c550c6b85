"""End to end on a real dask.distributed LocalCluster (2 worker processes x 1 thread).

(1) GridSearchCV on DREAMClassifier with its fits run on the workers under
``joblib.parallel_backend("dask")``; (2) ``dask_ml.wrappers.Incremental`` training
``DREAMClassifier(n_steps=...)`` block by block through ``partial_fit`` on a chunked
dask array of flat sequences; (3) the snippet of ``docs/scale_out.md`` runs.
Needs the ``[dask]`` extra (skipped without it).
"""

import re
import warnings
from pathlib import Path

import joblib
import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

from dream_sklearn import DREAMClassifier

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
dask_ml_wrappers = pytest.importorskip("dask_ml.wrappers")

pytestmark = [
    pytest.mark.dask,
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
]

DOC = Path(__file__).resolve().parents[1] / "docs" / "scale_out.md"


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.fixture(scope="module")
def sequences():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(160, 6, 3))
    return X, (X[:, -2:, 0].sum(axis=1) > 0).astype(int)


def test_grid_search_runs_on_the_cluster_and_matches_a_local_search(client, sequences):
    X, y = sequences
    grid = {"hidden_dim": [4, 8], "learning_rate_init": [0.01, 0.05]}

    def search():
        return GridSearchCV(DREAMClassifier(max_iter=8, random_state=0), grid, cv=3)

    with distributed.get_task_stream(client) as tasks:
        with joblib.parallel_backend("dask"):
            remote = search().fit(X, y)
    local = search().fit(X, y)
    # The fits (3 folds x 4 candidates, then the refit) ran as tasks on the cluster's
    # worker processes, not in this process.
    workers = {t["worker"] for t in tasks.data}
    assert len(tasks.data) >= 12 and workers <= set(client.scheduler_info()["workers"])
    # And they computed what a local search computes, candidate by candidate.
    np.testing.assert_allclose(
        remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )
    assert remote.best_params_ == local.best_params_
    np.testing.assert_array_equal(remote.predict(X), local.predict(X))


def test_incremental_trains_flat_sequences_block_by_block(client, sequences):
    X3, y = sequences
    flat = X3.reshape(len(X3), -1)  # (160, 6 * 3): one sequence per row
    X_dask = da.from_array(flat, chunks=(40, flat.shape[1]))
    y_dask = da.from_array(y, chunks=40)
    params = dict(n_steps=6, hidden_dim=8, rank=2, random_state=0)
    inc = dask_ml_wrappers.Incremental(DREAMClassifier(**params), shuffle_blocks=False)
    with distributed.get_task_stream(client) as tasks:
        for _ in range(3):
            inc.partial_fit(X_dask, y_dask, classes=[0, 1])
    # One partial_fit task per block and pass (dask-ml names them "fit-...").
    assert sum(str(t["key"][0]).startswith("fit-") for t in tasks.data) >= 3 * 4

    # The same blocks in the same order, locally, as sequences: the same model.
    local = DREAMClassifier(**params)
    for _ in range(3):
        for start in range(0, len(X3), 40):
            block = slice(start, start + 40)
            local.partial_fit(X3[block].reshape(40, -1), y[block], classes=[0, 1])
    fitted = inc.estimator_
    assert fitted.n_iter_ == local.n_iter_ == 12
    assert fitted.n_features_in_ == 18 and fitted.x_mean_.shape == (3,)
    # Equal to rounding: each worker runs on one thread (dask sets OMP_NUM_THREADS=1
    # there), this process on as many as the machine has, and on some machines a sum
    # split over threads rounds otherwise (6e-13 apart after 12 passes, round 20's).
    np.testing.assert_allclose(
        fitted.predict_proba(flat), local.predict_proba(flat), rtol=1e-9, atol=1e-12
    )
    # predict on the dask array runs block-wise and reads rows as sequences.
    np.testing.assert_array_equal(inc.predict(X_dask).compute(), local.predict(flat))
    assert inc.score(X_dask, y_dask) == pytest.approx(local.score(flat, y))
    # The flat reading is the 3-D one: the same weights read a 3-D array alike.
    seq = DREAMClassifier(hidden_dim=8, rank=2, random_state=0)
    for _ in range(3):
        for start in range(0, len(X3), 40):
            seq.partial_fit(X3[start : start + 40], y[start : start + 40], classes=[0, 1])
    np.testing.assert_array_equal(seq.predict_proba(X3), local.predict_proba(flat))


def test_scale_out_doc_snippet_runs(client, capsys):
    snippet = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)[0]
    assert "LocalCluster" in snippet and "Incremental" in snippet
    # Run as a script: its cluster starts under the __main__ guard (worker processes
    # import the script again; without the guard, run from a file, it stopped with
    # "An attempt has been made to start a new process": a review's finding).
    assert 'if __name__ == "__main__":' in snippet
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        exec(compile(snippet, str(DOC), "exec"), {"__name__": "__main__"})
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("{'hidden_dim': ")
    assert out[1].startswith("[")
