"""The small checks docs/sklearn.md quotes: where each solver of DREAMClassifier stands.

Four parts, each a Markdown table of test accuracy (mean and min-max over ``--seeds``
seeds; a seed draws the data, where the data are drawn, and the models'
``random_state``), each with the majority class of the training labels as the naive
baseline:

* ``rule``: a simple linear rule of a few steps. 400 training sequences of 12 steps
  and 3 features, labelled by the sign of feature 0's mean over the sequence; 1,000
  fresh test sequences. ``DREAMClassifier()`` (the ridge solver, the default), a
  ``LogisticRegression`` on the flattened array, and the gradient solver
  (``solver="adam"``, ``max_iter=100``, other parameters default).
* ``digits``: scikit-learn's ``load_digits`` read as 8 steps (rows) of 8 features
  (pixels), the first 1,200 images to train and the other 597 to test (the split is
  fixed; the seed is the models' ``random_state``). The gradient solver with
  ``hidden_dim=32`` after 20 and 60 epochs: the defaults (``standardize=True``,
  ``time_step=1.0``, ``learning_rate_init=0.01``), then one of them changed; and the
  ridge solver's default, which trains no epochs, for reference.
* ``small``: few sequences. 60 training sequences of 6 steps and 2 features,
  labelled by the sign of feature 0 summed over the last two steps; 1,000 fresh test
  sequences. The ridge solver at ``hidden_dim`` 16, 32 and 64, a
  ``LogisticRegression`` on the flattened array, and the gradient solver
  (``max_iter=100``).
* ``in-context``: the task of ``tests/test_sklearn.py::
  test_plasticity_learns_a_rule_the_sequence_teaches`` (its data generation and its
  parameters): each sequence has its own random direction ``w``; 9 rows of 2 features
  with their labels ``sign(w . x)`` as a third column, then a query row with label 0;
  the target is the query's label. 2,000 training and 1,000 test sequences. The ridge
  solver's default against the gradient solver with plastic fast weights
  (``hidden_dim=16, rank=3, max_iter=15, learning_rate_init=0.02,
  fast_weight_scale=0.5, target_norm=10``), with plasticity on and off.

Run (each part a minute or two on one core)::

    OMP_NUM_THREADS=1 python benchmarks/sklearn_checks.py              # all parts, 3 seeds
    OMP_NUM_THREADS=1 python benchmarks/sklearn_checks.py --part digits --seeds 1
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from dream_sklearn import DREAMClassifier

PARTS = ("rule", "digits", "small", "in-context")
N_TEST = 1000


def majority_score(y_train: np.ndarray, y_test: np.ndarray) -> float:
    """Accuracy of predicting the most frequent training label everywhere."""
    labels, counts = np.unique(y_train, return_counts=True)
    return float(np.mean(y_test == labels[np.argmax(counts)]))


def logistic_score(X, y, X_test, y_test) -> float:
    """A standardised ``LogisticRegression`` on the flattened (steps x features) array."""
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    model.fit(X.reshape(len(X), -1), y)
    return float(model.score(X_test.reshape(len(X_test), -1), y_test))


def dream_score(X, y, X_test, y_test, **params) -> float:
    return float(DREAMClassifier(**params).fit(X, y).score(X_test, y_test))


def cell(values: list[float]) -> str:
    a = np.asarray(values)
    if np.ptp(a) == 0:
        return f"{a.mean():.3f}"
    return f"{a.mean():.3f} ({a.min():.3f}-{a.max():.3f})"


def print_table(title: str, columns: list[str], rows: dict[str, list[list[float]]]) -> None:
    print(title + "\n")
    print("| model | " + " | ".join(columns) + " |")
    print("| --- |" + " ---: |" * len(columns))
    for name, per_column in rows.items():
        print(f"| {name} | " + " | ".join(cell(v) for v in per_column) + " |")
    print()


def drawn(seed: int, n_train: int, steps: int, features: int, label) -> tuple:
    """``(X, y, X_test, y_test)``: ``n_train`` training and ``N_TEST`` test sequences of
    standard normal values, labelled by ``label(X)``, drawn from ``seed``."""
    X = np.random.default_rng(seed).normal(size=(n_train + N_TEST, steps, features))
    y = label(X).astype(int)
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


# --------------------------------------------------------------------------- rule


def rule_part(seeds: int) -> None:
    steps, features, n_train, epochs = 12, 3, 400, 100
    rows: dict[str, list[float]] = {}
    for seed in range(seeds):
        data = drawn(seed, n_train, steps, features, lambda X: X[:, :, 0].mean(axis=1) > 0)
        scores = {
            "majority class": majority_score(data[1], data[3]),
            "DREAMClassifier() (ridge solver, default)": dream_score(*data, random_state=seed),
            "LogisticRegression (flattened array)": logistic_score(*data),
            f"DREAMClassifier(solver='adam', max_iter={epochs})": dream_score(
                *data, solver="adam", max_iter=epochs, random_state=seed
            ),
        }
        for name, score in scores.items():
            rows.setdefault(name, []).append(score)
    print_table(
        f"Part rule: {n_train} training sequences of {steps} steps x {features} features, "
        f"label = sign of feature 0's mean; test accuracy on {N_TEST:,} fresh sequences, "
        f"mean (min-max) over {seeds} seeds",
        ["test accuracy"],
        {name: [v] for name, v in rows.items()},
    )


# --------------------------------------------------------------------------- digits

DIGITS_EPOCHS = (20, 60)
DIGITS_VARIANTS = {
    "defaults (standardize=True, time_step=1.0, learning_rate_init=0.01)": {},
    "standardize=False": {"standardize": False},
    "time_step=0.1": {"time_step": 0.1},
    "learning_rate_init=0.03": {"learning_rate_init": 0.03},
}


def digits_part(seeds: int) -> None:
    digits = load_digits()
    X, y = digits.images, digits.target  # (1797, 8, 8): 8 rows of 8 pixels
    data = X[:1200], y[:1200], X[1200:], y[1200:]
    rows: dict[str, list[list[float]]] = {}
    short = []  # fits that stopped before max_iter (the training loss stalled)
    base = "majority class"
    rows[base] = [[majority_score(data[1], data[3])] * seeds for _ in DIGITS_EPOCHS]
    ridge = [dream_score(*data, random_state=seed) for seed in range(seeds)]
    rows["ridge solver, DREAMClassifier() (no epochs)"] = [ridge for _ in DIGITS_EPOCHS]
    for name, change in DIGITS_VARIANTS.items():
        per_column = []
        for epochs in DIGITS_EPOCHS:
            scores = []
            for seed in range(seeds):
                params = dict(hidden_dim=32, solver="adam", max_iter=epochs, random_state=seed)
                clf = DREAMClassifier(**{**params, **change}).fit(data[0], data[1])
                scores.append(float(clf.score(data[2], data[3])))
                if clf.n_iter_ < epochs:
                    short.append(f"{name}, max_iter={epochs}, seed {seed}: {clf.n_iter_}")
            per_column.append(scores)
        rows[f"adam, hidden_dim=32, {name}"] = per_column
    print_table(
        "Part digits: load_digits as 8 steps x 8 features, first 1,200 images to train, "
        "the other 597 to test; test accuracy, mean (min-max) over "
        f"{seeds} seeds (the models' random_state)",
        [f"max_iter={e}" for e in DIGITS_EPOCHS],
        rows,
    )
    print("Fits stopped early (epochs run): " + ("; ".join(short) if short else "none") + "\n")


# --------------------------------------------------------------------------- small


def small_part(seeds: int) -> None:
    steps, features, n_train, epochs = 6, 2, 60, 100
    rows: dict[str, list[float]] = {}
    for seed in range(seeds):
        data = drawn(seed, n_train, steps, features, lambda X: X[:, -2:, 0].sum(axis=1) > 0)
        scores = {"majority class": majority_score(data[1], data[3])}
        for hidden in (16, 32, 64):
            scores[f"DREAMClassifier(hidden_dim={hidden}) (ridge solver)"] = dream_score(
                *data, hidden_dim=hidden, random_state=seed
            )
        scores["LogisticRegression (flattened array)"] = logistic_score(*data)
        scores[f"DREAMClassifier(solver='adam', max_iter={epochs})"] = dream_score(
            *data, solver="adam", max_iter=epochs, random_state=seed
        )
        for name, score in scores.items():
            rows.setdefault(name, []).append(score)
    print_table(
        f"Part small: {n_train} training sequences of {steps} steps x {features} features, "
        "label = sign of feature 0 summed over the last two steps; test accuracy on "
        f"{N_TEST:,} fresh sequences, mean (min-max) over {seeds} seeds",
        ["test accuracy"],
        {name: [v] for name, v in rows.items()},
    )


# --------------------------------------------------------------------------- in-context


def in_context_task(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The data of test_plasticity_learns_a_rule_the_sequence_teaches."""
    w, rows = rng.normal(size=(n, 2)), rng.normal(size=(n, 10, 2))
    labels = np.sign(np.einsum("nd,ntd->nt", w, rows))
    shown = labels.copy()
    shown[:, -1] = 0.0  # the query
    return np.concatenate([rows, shown[:, :, None]], axis=2), (labels[:, -1] > 0).astype(int)


IN_CONTEXT = dict(
    hidden_dim=16,
    rank=3,
    solver="adam",
    max_iter=15,
    learning_rate_init=0.02,
    fast_weight_scale=0.5,
    target_norm=10.0,
)


def in_context_part(seeds: int) -> None:
    rows: dict[str, list[float]] = {}
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        X, y = in_context_task(2000, rng)
        X_test, y_test = in_context_task(N_TEST, rng)
        data = X, y, X_test, y_test
        scores = {
            "majority class": majority_score(y, y_test),
            "DREAMClassifier() (ridge solver, default)": dream_score(*data, random_state=seed),
            "adam, plasticity on (the test's parameters)": dream_score(
                *data, **IN_CONTEXT, plasticity=True, random_state=seed
            ),
            "adam, plasticity off": dream_score(
                *data, **IN_CONTEXT, plasticity=False, random_state=seed
            ),
        }
        for name, score in scores.items():
            rows.setdefault(name, []).append(score)
    print_table(
        "Part in-context: the task of test_plasticity_learns_a_rule_the_sequence_teaches "
        "(9 labelled rows of 2 features under each sequence's own rule, then a query); "
        f"2,000 training and {N_TEST:,} test sequences; adam: hidden_dim=16, rank=3, "
        "max_iter=15, learning_rate_init=0.02, fast_weight_scale=0.5, target_norm=10; "
        f"test accuracy, mean (min-max) over {seeds} seeds",
        ["test accuracy"],
        {name: [v] for name, v in rows.items()},
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1 (default 3)")
    parser.add_argument("--part", nargs="+", default=list(PARTS), choices=PARTS)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    run = {"rule": rule_part, "digits": digits_part, "small": small_part}
    run["in-context"] = in_context_part
    for part in args.part:
        start = time.perf_counter()
        run[part](args.seeds)
        print(f"({time.perf_counter() - start:.0f} s)\n")


if __name__ == "__main__":
    main()
