"""DREAMOnlineClassifier: a river classifier on one long stream, with a DREAM cell."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from river import base

from ._base import _DREAMOnline

__all__ = ["DREAMOnlineClassifier"]


def _softmax(z: np.ndarray) -> np.ndarray:
    if z.ndim == 1:
        e = np.exp(z - z.max())
        e /= e.sum()
        return e
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


class DREAMOnlineClassifier(_DREAMOnline, base.MiniBatchClassifier):
    """Online classifier: a DREAM cell run along the stream, with a softmax readout.

    Each ``learn_one`` is one time step of one long stream: the cell's hidden state
    and fast weights carry over from row to row. Inputs go through a running
    standardisation; the cell takes one step on them (and, with ``feedback``, on
    the previous row's label, one-hot); a softmax readout over the hidden state
    and the standardised inputs learns by SGD. Features and classes may appear at
    any time. ``predict_proba_one`` is pure: it computes the next step from the
    committed state without committing it (and keeps it for a ``learn_one`` on the
    same row).

    Parameters
    ----------
    hidden_dim : int, default=32
        Number of hidden units of the cell.
    rank : int, default=4
        Rank of the cell's fast weights.
    learning_rate : float, default=0.02
        SGD step of the readout.
    l2 : float, default=0.0
        L2 penalty of the readout (weight decay ``learning_rate * l2`` per row).
    feedback : {"cell", "readout", "none"}, default="cell"
        Where the previous row's label goes as an input: into the cell and the
        readout, into the readout only, or nowhere.
    standardize_rate : float, default=0.02
        Rate of the running mean/variance of each input after the first
        ``1 / standardize_rate`` rows (cumulative before); 0 gives cumulative
        (Welford) statistics throughout.
    slow_rate : float or None, default=0.0
        Rate of a second, slow running standardisation that the readout's linear
        term reads (0: cumulative, Welford); the cell and the ramps keep the fast
        one (``standardize_rate``). None: the readout reads the fast one too.
    n_knots : int, default=5
        Fixed ramps ``0.5 tanh(3 (u - c))`` of each standardised input ``u`` at
        ``n_knots`` thresholds ``c`` evenly spaced in [-1.5, 1.5], added to the
        readout (per-feature threshold rules); 0: none.
    surprise_gain : float, default=0.0
        Surprise-modulated readout: each SGD step is multiplied by
        ``1 + surprise_gain * S`` where ``S`` is the cell's surprise on that row.
        Helps recovery after a change that shows in the inputs; costs accuracy on
        the drift suite (see docs/online.md), hence off by default.
    cell_params : dict, default=None
        Other :class:`~dream_sklearn.nn.DREAMConfig` fields of the cell
        (``plasticity_enabled``, ``time_step``...).
    seed : int, default=None
        Seed of the cell's random initialisation.

    Attributes
    ----------
    cell_ : DREAMCell
        The cell (its input dimension grows with the features seen).
    classes_ : list
        The labels seen so far.
    last_surprise_ : float
        Surprise of the last committed step (``nan`` before any).
    last_tau_ : float
        Time constant of the last committed step.
    n_steps_ : int
        Number of rows learned.

    Examples
    --------
    >>> from river import datasets, evaluate, metrics
    >>> from dream_sklearn.online import DREAMOnlineClassifier
    >>> model = DREAMOnlineClassifier(seed=0)
    >>> evaluate.progressive_val_score(datasets.Phishing(), model, metrics.Accuracy())
    Accuracy: 89.6%

    The hidden state carries over from row to row; ``predict_proba_one`` does not
    move it, ``learn_one`` does:

    >>> x = {"a": 1.0, "b": -0.5}
    >>> model = DREAMOnlineClassifier(seed=0)
    >>> model.learn_one(x, "up")
    >>> model.learn_one(x, "down")
    >>> model.predict_proba_one(x)
    {'up': 0.475, 'down': 0.525}
    >>> model.n_steps_, model.cell_.config.input_dim  # 2 features, 2 previous labels
    (2, 4)
    >>> 0.0 <= model.last_surprise_ <= 1.0
    True
    """

    _task = "classification"

    def __init__(
        self,
        hidden_dim: int = 32,
        rank: int = 4,
        learning_rate: float = 0.02,
        l2: float = 0.0,
        feedback: str = "cell",
        standardize_rate: float = 0.02,
        slow_rate: float | None = 0.0,
        n_knots: int = 5,
        surprise_gain: float = 0.0,
        cell_params: dict | None = None,
        seed: int | None = None,
    ) -> None:
        self.hidden_dim = hidden_dim
        self.rank = rank
        self.learning_rate = learning_rate
        self.l2 = l2
        self.feedback = feedback
        self.standardize_rate = standardize_rate
        self.slow_rate = slow_rate
        self.n_knots = n_knots
        self.surprise_gain = surprise_gain
        self.cell_params = cell_params
        self.seed = seed

    @classmethod
    def _unit_test_params(cls):
        yield {"hidden_dim": 8, "rank": 2, "seed": 1}
        yield {
            "hidden_dim": 8,
            "rank": 2,
            "seed": 1,
            "n_knots": 0,
            "slow_rate": None,
            "surprise_gain": 2.0,
        }  # the other readout options

    def _unit_test_skips(self) -> set[str]:
        return set()

    @property
    def _multiclass(self) -> bool:
        return True

    @property
    def classes_(self) -> list:
        return list(self._classes) if self._built else []

    # ------------------------------------------------------------------ task hooks

    def _build(self) -> None:
        super()._build()
        self._classes: dict = {}

    def _check_target(self, y):
        try:
            hash(y)
        except TypeError as err:
            raise ValueError(f"The label {y!r} is not hashable.") from err
        if y is None:
            raise ValueError("The label is None.")
        return y

    def _new_targets(self, y) -> list:
        return [] if y in self._classes else [y]

    def _add_targets(self, labels: list) -> None:
        for label in labels:
            self._classes[label] = len(self._classes)
        k = len(labels)
        self._Wh = np.concatenate([self._Wh, np.zeros((k, self._Wh.shape[1]))])
        self._Wu = np.concatenate([self._Wu, np.zeros((k, self._Wu.shape[1]))])
        self._Wp = np.concatenate([self._Wp, np.zeros((k, self._Wp.shape[1]))])
        self._b = np.concatenate([self._b, np.zeros(k)])
        self._add_target_slots(labels)
        self._version += 1

    def _output_gradient(self, out, y, h, u) -> np.ndarray:
        g = _softmax(out)
        g[self._classes[y]] -= 1.0
        return self.learning_rate * g

    def _update_target_stats(self, y) -> None:
        pass

    def _target_raw(self, y) -> np.ndarray:
        raw = np.zeros(len(self._mean))
        raw[self._y_slot[y]] = 1.0
        return raw

    # ------------------------------------------------------------------ river API

    def learn_one(self, x: dict, y: base.typing.ClfTarget) -> None:
        """Learn one row: one step of the stream, then one SGD step of the readout."""
        self._learn(x, y)

    def predict_proba_one(self, x: dict) -> dict[base.typing.ClfTarget, float]:
        """Probability of each class seen so far for the next step (pure)."""
        out = self._predict_raw_one(x)
        if out is None or not self._classes:
            return {}
        return dict(zip(self._classes, _softmax(out).tolist(), strict=True))

    def learn_many(self, X: pd.DataFrame, y: pd.Series) -> None:
        """Learn the rows of ``X`` in order, as consecutive steps (NaN: missing)."""
        self._learn_frame(X, y)

    def predict_proba_many(self, X: pd.DataFrame) -> pd.DataFrame:
        """Per row, ``predict_proba_one`` from the committed state (NaN: missing)."""
        out = self._predict_raw_many(X)
        if out is None or not self._classes:
            return pd.DataFrame(index=X.index)
        return pd.DataFrame(_softmax(out), index=X.index, columns=list(self._classes))

    def predict_many(self, X: pd.DataFrame) -> pd.Series:
        """Per row, ``predict_one`` from the committed state (NaN: missing)."""
        proba = self.predict_proba_many(X)
        if proba.shape[1] == 0:
            return pd.Series([None] * len(X), index=X.index, dtype=object)
        labels: list[Any] = list(proba.columns)
        best = proba.to_numpy().argmax(axis=1)
        return pd.Series([labels[i] for i in best], index=X.index)
