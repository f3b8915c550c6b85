"""Every Python snippet in README.md and docs/sklearn.md runs (or is the tested one from
docs/scale_out.md)."""

import re
import warnings
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SNIPPETS = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)
DOC_SNIPPETS = re.findall(
    r"```python\n(.*?)```", (ROOT / "docs" / "scale_out.md").read_text(), flags=re.S
)
SKLEARN_SNIPPETS = re.findall(
    r"```python\n(.*?)```", (ROOT / "docs" / "sklearn.md").read_text(), flags=re.S
)


def test_readme_has_the_sections_snippets():
    assert len(SNIPPETS) == 5


def run_snippet(index, capsys):
    """Run README snippet ``index``; return its namespace and its printed lines."""
    namespace = {"__name__": "readme"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning of the short fits
        exec(compile(SNIPPETS[index], f"README.md snippet {index}", "exec"), namespace)
    return namespace, capsys.readouterr().out.strip().splitlines()


def test_readme_scikit_learn_snippet(capsys):
    ns, lines = run_snippet(0, capsys)
    assert len(lines) == 2
    scores = np.array([float(v) for v in lines[0].strip("[]").split()])
    # Three folds; the label is a sum's sign: 0.5 is chance, a learning model beats it.
    assert scores.shape == (3,) and scores.mean() > 0.65 and (scores > 0.55).all()
    clf, adam = ns["clf"], ns["adam"]
    # The ridge solver took in every chunk: 200 sequences, one readout call each.
    assert clf.solver == "ridge" and clf.n_iter_ == 3
    # The last partial_fit chunk: 50 sequences of 12 steps; U is (1, hidden, rank).
    assert lines[1] == f"(50, 12) torch.Size([1, {adam.hidden_dim}, {adam.rank}])"
    assert float(adam.memory_.U.abs().sum()) == 0  # reset_memory() ran last
    pipe, X, y = ns["pipe"], ns["X"], ns["y"]
    assert pipe.score(X, y) > 0.6


def test_readme_river_snippet(capsys):
    ns, lines = run_snippet(1, capsys)
    assert len(lines) == 3
    accuracy = re.fullmatch(r"Accuracy: ([\d.]+)%", lines[0])
    assert accuracy and float(accuracy[1]) >= 88.0  # river's LogisticRegression: 89.3%
    assert 0.0 <= float(lines[1]) <= 1.0  # a surprise is a sigmoid's value
    clf = ns["clf"]
    expected = clf.predict(np.array([[[0.3, -1.0]]]))[0]
    assert lines[2] == str(expected)  # the online model starts as the batch one


def test_readme_pytorch_snippet(capsys):
    ns, lines = run_snippet(2, capsys)
    assert lines == ["torch.Size([32, 50, 128]) torch.Size([32, 50]) torch.Size([32, 50])"]
    out, states = ns["out"], ns["states"]
    assert out.shape == (32, 50, 32) and [s.h.shape[1] for s in states] == [64, 32]
    # Upper layers integrate more slowly (tau_growth=2.0).
    taus = [layer.config.ltc_tau_sys for layer in ns["stack"].layers]
    assert taus[1] == 2.0 * taus[0]


def test_scale_out_and_persistence_snippets_are_the_tested_ones():
    # tests/test_dask.py and tests/test_persistence.py execute these two from the docs.
    assert SNIPPETS[3:] == DOC_SNIPPETS


def test_sklearn_docs_snippets_run_in_order(capsys):
    # (review 331) two of them used data they never defined: a NameError as written
    pytest.importorskip("aeon")
    namespace = {"__name__": "sklearn_docs"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning of the short fits
        for i, snippet in enumerate(SKLEARN_SNIPPETS):
            exec(compile(snippet, f"docs/sklearn.md snippet {i}", "exec"), namespace)
    assert len(SKLEARN_SNIPPETS) == 6
    assert namespace["scores"].shape == (5,)
    assert namespace["clf"].estimator_.coef_.shape[0] == len(np.unique(namespace["y"]))
    surprises = [float(line) for line in capsys.readouterr().out.split()]
    assert len(surprises) == 3 and all(0.0 < s < 1.0 for s in surprises)
    assert [name for name, _ in namespace["model"].steps][0] == "dreamfeatures"
