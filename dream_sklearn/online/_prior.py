"""A prior of synthetic drifting streams, drawn on the fly, to meta-train a cell on.

Every draw is a short stream of ``n_rows`` rows with its own features, concept and
changes, so that no fixed weights can know its rule: a cell trained on many of them
has to learn how to adapt within a stream. One draw picks

- a task: classification (2 to 5 classes) or regression;
- 2 to 12 features, each standard normal or a binary one (+1 / -1), some irrelevant;
- a concept family per segment: a hyperplane (argmax of random linear scores / a
  random linear function), a random tree of depth 1 to 3 (axis-aligned splits, a
  class or a value per leaf), a mixture of RBF centroids (the nearest one's class /
  a sum of Gaussian bumps), or a rule over the binary inputs (a parity or a
  threshold of their sum, taken modulo the number of classes / a value per pattern);
- a change: none, abrupt (a new concept from a row on), gradual (the new concept's
  share of rows rises linearly over a window) or recurring (the first concept
  comes back);
- label noise (a random class for a share of 0 to 15% of the rows) or Gaussian noise
  (0 to 0.3 of the target's spread).

Features are drawn already standardised (the online estimators read their inputs
through a running standardisation); a regression target is scaled to unit spread.
None of these generators is one of river's: the stream benchmark's report streams
(docs/streams.md) are built from river's generators and data sets, which a cell
trained here never sees.

Only NumPy, from one ``numpy.random.Generator``: the same generator state draws the
same stream on every machine.
"""

from __future__ import annotations

import numbers
from typing import NamedTuple

import numpy as np

__all__: list[str] = []

MAX_FEATURES = 12
MAX_CLASSES = 5
_FAMILIES = ("hyperplane", "tree", "rbf", "rule")
_DRIFTS = ("none", "abrupt", "gradual", "recurring")
_DRIFT_P = (0.15, 0.45, 0.2, 0.2)
CLASSIFICATION_SHARE = 0.6
LABEL_NOISE_MAX = 0.15  # a stream's share of random labels: uniform in [0, this]
TARGET_NOISE_MAX = 0.3  # a stream's Gaussian noise sd (target spread 1): uniform in [0, this]


def describe() -> dict:
    """The prior's parameters, read from this module's own tables (for a record)."""
    return {
        "max_features": MAX_FEATURES,
        "max_classes": MAX_CLASSES,
        "families": list(_FAMILIES),
        "drifts": dict(zip(_DRIFTS, _DRIFT_P, strict=True)),
        "classification_share": CLASSIFICATION_SHARE,
        "label_noise": f"uniform share in [0, {LABEL_NOISE_MAX}]",
        "target_noise": f"uniform sd in [0, {TARGET_NOISE_MAX}]",
    }


class PriorStream(NamedTuple):
    """One draw: ``X`` (T, f) standardised features, ``y`` (T,) labels (int classes or
    float targets), ``n_classes`` (0 for regression), ``changes`` (rows where a new
    concept starts or starts to come in)."""

    X: np.ndarray
    y: np.ndarray
    n_classes: int
    changes: list


def _features(rng: np.random.Generator, n_rows: int, f: int) -> tuple[np.ndarray, np.ndarray]:
    """(T, f) inputs and which columns are binary (+1 / -1, else standard normal)."""
    binary = rng.random(f) < 0.35
    X = rng.standard_normal((n_rows, f))
    X[:, binary] = np.where(rng.random((n_rows, int(binary.sum()))) < 0.5, -1.0, 1.0)
    return X, binary


def _concept(rng: np.random.Generator, f: int, binary: np.ndarray, k: int):
    """A random concept: a function from (T, f) rows to (T,) classes (k > 0) or values."""
    family = _FAMILIES[rng.integers(len(_FAMILIES))]
    if family == "rule" and binary.sum() < 2:
        family = "tree"
    relevant = rng.random(f) < 0.75
    relevant[rng.integers(f)] = True
    if family == "hyperplane":
        W = rng.standard_normal((max(k, 1), f)) * relevant
        b = 0.5 * rng.standard_normal(max(k, 1))
        if k:
            return lambda X: np.argmax(X @ W.T + b, axis=1)
        return lambda X: X @ W[0] / np.sqrt(relevant.sum()) + b[0]
    if family == "tree":
        depth = int(rng.integers(1, 4))
        feats = rng.choice(np.flatnonzero(relevant), size=2**depth - 1)
        thresholds = 0.6 * rng.standard_normal(2**depth - 1) * ~binary[feats]
        leaves = rng.integers(k, size=2**depth) if k else rng.standard_normal(2**depth)
        if k and len(np.unique(leaves)) == 1:
            leaves[0] = (leaves[0] + 1) % k

        def tree(X):
            node = np.zeros(len(X), dtype=np.intp)
            for _ in range(depth):
                go = X[np.arange(len(X)), feats[node]] > thresholds[node]
                node = 2 * node + 1 + go
            return leaves[node - (2**depth - 1)]

        return tree
    if family == "rbf":
        n_c = int(rng.integers(max(k, 2), 3 * max(k, 2) + 1))
        centres = rng.standard_normal((n_c, f)) * relevant
        labels = np.arange(n_c) % k if k else rng.standard_normal(n_c)
        width = 1.0 + rng.random() * np.sqrt(relevant.sum())

        def rbf(X):
            d2 = ((X[:, None, :] * relevant - centres) ** 2).sum(-1)
            if k:
                return labels[np.argmin(d2, axis=1)]
            return np.exp(-d2 / (2 * width**2)) @ labels

        return rbf
    bits = rng.choice(np.flatnonzero(binary), size=min(int(binary.sum()), 3), replace=False)
    if k:
        if rng.random() < 0.5:  # parity of 2 or 3 bits, modulo k
            return lambda X: ((X[:, bits] > 0).sum(1) % 2 + (X[:, bits[0]] > 0) * (k > 2)) % k
        cut = int(rng.integers(1, len(bits) + 1))
        return lambda X: ((X[:, bits] > 0).sum(1) >= cut).astype(np.intp) * (1 + (k > 2)) % k
    values = rng.standard_normal(2 ** len(bits))
    powers = 2 ** np.arange(len(bits))
    return lambda X: values[(X[:, bits] > 0) @ powers]


# The fewest rows a draw takes: below, a change fell on row 0 (no change at all) or a
# recurring concept's return on its change, and fewer than 5 failed inside NumPy
# (review 281).
_MIN_ROWS = 12


def prior_stream(
    rng: np.random.Generator, n_rows: int, task: str | None = None, drift: str | None = None
) -> PriorStream:
    """Draw one stream of the prior (``task``: "classification" or "regression",
    ``drift``: one of "none", "abrupt", "gradual", "recurring"; random when None).

    Examples
    --------
    >>> import numpy as np
    >>> from dream_sklearn.online._prior import prior_stream
    >>> s = prior_stream(np.random.default_rng(0), 100, "classification", "abrupt")
    >>> s.X.shape[0], s.y.shape, len(s.changes)
    (100, (100,), 1)
    """
    # (a misspelt task drew a regression stream, a misspelt drift one without drift)
    if isinstance(n_rows, bool) or not isinstance(n_rows, numbers.Integral) or n_rows < _MIN_ROWS:
        raise ValueError(
            f"n_rows must be an integer of at least {_MIN_ROWS} (room for a change and its "
            f"return); got {n_rows!r}."
        )
    if task not in (None, "classification", "regression"):
        raise ValueError(f"task must be 'classification', 'regression' or None; got {task!r}.")
    if drift is not None and drift not in _DRIFTS:
        raise ValueError(
            f"drift must be one of {', '.join(map(repr, _DRIFTS))} or None; got {drift!r}."
        )
    if task is None:
        task = "classification" if rng.random() < CLASSIFICATION_SHARE else "regression"
    if drift is None:
        drift = _DRIFTS[rng.choice(len(_DRIFTS), p=_DRIFT_P)]
    k = int(rng.integers(2, MAX_CLASSES + 1)) if task == "classification" else 0
    f = int(rng.integers(2, MAX_FEATURES + 1))
    X, binary = _features(rng, n_rows, f)
    first, second = _concept(rng, f, binary, k), _concept(rng, f, binary, k)
    a, b = first(X), second(X)
    use_b = np.zeros(n_rows, dtype=bool)
    changes: list = []
    if drift in ("abrupt", "recurring"):
        cuts = np.sort(
            rng.integers(n_rows // 5, 4 * n_rows // 5, size=1 if drift == "abrupt" else 2)
        )
        if drift == "recurring" and cuts[1] - cuts[0] < n_rows // 6:
            cuts[1] = min(cuts[0] + n_rows // 6, n_rows - 1)
        use_b[cuts[0] :] = True
        if drift == "recurring":
            use_b[cuts[1] :] = False
        changes = [int(c) for c in cuts]
    elif drift == "gradual":
        start = int(rng.integers(n_rows // 5, n_rows // 2))
        width = max(int(rng.integers(n_rows // 8, n_rows // 3)), 1)
        share = np.clip((np.arange(n_rows) - start) / width, 0.0, 1.0)
        use_b = rng.random(n_rows) < share
        changes = [start]
    y = np.where(use_b, b, a)
    if k:
        noisy = rng.random(n_rows) < LABEL_NOISE_MAX * rng.random()
        y = np.where(noisy, rng.integers(k, size=n_rows), y).astype(np.intp)
    else:
        y = y.astype(float)
        spread = max(float(np.std(y)), 1e-3)
        y = (y - float(np.mean(y[: max(n_rows // 5, 1)]))) / spread
        y = y + TARGET_NOISE_MAX * rng.random() * rng.standard_normal(n_rows)
    return PriorStream(X, y, k, changes)
