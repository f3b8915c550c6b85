"""DREAMDelayedClassifier: the classifier for labels that come late, with or without
advancing on the rows predicted, chosen by the labels as they come."""

from __future__ import annotations

import random
from collections import deque
from typing import Any

from river import base

from ._classifier import DREAMOnlineClassifier
from ._rows import _row_key

__all__ = ["DREAMDelayedClassifier"]

# The predictions kept for labels still to come, at most (the oldest row's go first):
# rows predicted whose labels never come must not grow without bound.
_MAX_WAITING = 100_000


class DREAMDelayedClassifier(base.Classifier):
    """A :class:`DREAMOnlineClassifier` for labels that come late, which finds out
    from the labels themselves whether to advance on the rows it predicts.

    Under a delay (``progressive_val_score(delay=...)``) ``advance_on_predict=True``
    pays where a label depends on the rows just before it (Elec2: 1.3 points lost
    to a delay of 50 rows, 11.5 without it) and costs where rows are independent
    (Agrawal: 2.3 points lost, 1.4 without it). This runs both: two copies of
    ``model`` with one seed, one with ``advance_on_predict=False`` and one with
    ``True``. Each prediction is the one of the copy that has made fewer mistakes
    on the labels that came, counted with exponential forgetting (each mistake
    weighs ``decay`` times less per label after it); on a tie, the copy that does
    not advance. Without a delay both copies are one model (the advance only acts
    on rows whose labels are still to come), so the predictions are ``model``'s.

    Each call goes to both copies, so a row costs what two rows of ``model`` cost,
    and the advancing copy runs on the NumPy path (the compiled row does not read
    advanced rows): about 3,000 rows/s on Elec2 (``benchmarks/online_robust.py
    --part delay`` prints both copies' figures and this one's).

    Parameters
    ----------
    model : DREAMOnlineClassifier, default=None
        The classifier to copy (None: ``DREAMOnlineClassifier()``). Its own
        ``advance_on_predict`` is not read; with ``seed=None`` one seed is drawn
        for both copies at the first row. Its ``match_labels_by`` is how a label
        finds the predictions it scores, as the advancing copy finds its row:
        ``"values"``, the oldest row predicted with the same values; ``"order"``,
        the oldest row predicted. A label that finds none scores neither copy.
    decay : float, default=0.995
        The weight of a mistake one label later, in (0, 1): about the last
        ``1 / (1 - decay)`` labels (200) decide. Chosen on two tuning streams
        (Elec2 and Agrawal under ``delay=50``; 0.99 lost 1.9 points on Agrawal,
        0.998 lost 1.7 with a seed at 2.2).

    Attributes
    ----------
    experts_ : tuple
        ``(model without advancing, model advancing)`` once a row was read; () before.
    leader_ : str
        ``"default"`` or ``"advance"``: the copy the next prediction comes from.
    mistakes_ : dict
        Each copy's mistakes on the labels that came, with forgetting.

    Examples
    --------
    >>> from river import evaluate, metrics
    >>> from dream_sklearn.datasets import iter_elec2
    >>> from dream_sklearn.online import DREAMDelayedClassifier, DREAMOnlineClassifier
    >>> model = DREAMDelayedClassifier(DREAMOnlineClassifier(seed=0))
    >>> rows = list(iter_elec2(1000))
    >>> score = evaluate.progressive_val_score(rows, model, metrics.Accuracy(), delay=50)
    >>> score.get() > 0.85, model.leader_
    (True, 'advance')
    """

    def __init__(self, model: DREAMOnlineClassifier | None = None, decay: float = 0.995) -> None:
        self.model = model
        self.decay = decay
        self._experts: tuple = ()
        self._mistakes = [0.0, 0.0]
        self._waiting: dict = {}  # key -> deque of (default's, advance's) predictions
        self._order: deque = deque()  # (match_labels_by="order": every row's, in order)
        self._last_read: Any = None  # the key of the row read last, until a label comes

    @classmethod
    def _unit_test_params(cls):
        yield {"model": DREAMOnlineClassifier(hidden_dim=8, rank=2, seed=1)}

    @property
    def _multiclass(self) -> bool:
        return True

    @property
    def experts_(self) -> tuple:
        return self._experts

    @property
    def leader_(self) -> str:
        return ("default", "advance")[self._lead()]

    @property
    def mistakes_(self) -> dict:
        return dict(zip(("default", "advance"), self._mistakes, strict=True))

    def _build(self) -> tuple:
        """The two copies of ``model``, made at the first row (parameters checked)."""
        if not self._experts:
            model = DREAMOnlineClassifier() if self.model is None else self.model
            if not isinstance(model, DREAMOnlineClassifier):
                raise TypeError(
                    "model must be a DREAMOnlineClassifier (or None), got "
                    f"{type(model).__name__}: {model!r}."
                )
            decay = self.decay
            if isinstance(decay, bool) or not isinstance(decay, int | float):
                raise TypeError(f"decay must be a real number in (0, 1), got {decay!r}.")
            if not 0 < decay < 1:
                raise ValueError(f"decay must be a real number in (0, 1), got {decay!r}.")
            seed = model.seed
            if seed is None:
                seed = random.SystemRandom().randrange(2**31)
            self._experts = tuple(
                model.clone({"seed": seed, "advance_on_predict": advance})
                for advance in (False, True)
            )
        return self._experts

    def _by_order(self) -> bool:
        return self._experts[0].match_labels_by == "order"

    def _lead(self) -> int:
        """0 (the copy that does not advance) or 1 (the one that does): the one with
        fewer mistakes; on a tie, 0."""
        return int(self._mistakes[1] < self._mistakes[0])

    def _keep(self, x: dict, predictions: tuple) -> None:
        """Keep both copies' predictions on ``x`` for its label. A second read of
        the same row (the same values) with no label in between replaces the
        first's, as the advancing copy counts it as one row."""
        try:
            key = _row_key(x)
        except (TypeError, ValueError):  # (the copies read it; it has no key here)
            key = None
        again = key is not None and key == self._last_read
        self._last_read = key
        if self._by_order():
            if again and self._order:
                self._order[-1] = predictions
            else:
                self._order.append(predictions)
                if len(self._order) > _MAX_WAITING:
                    self._order.popleft()
            return
        if key is None:
            return
        kept = self._waiting.get(key)
        if kept and again:
            kept[-1] = predictions
            return
        if kept is None:
            kept = self._waiting[key] = deque()
            if len(self._waiting) > _MAX_WAITING:
                del self._waiting[next(iter(self._waiting))]
        kept.append(predictions)

    def _matched(self, x: dict) -> tuple | None:
        """The predictions kept for the row whose label came, out of the store."""
        if self._by_order():
            return self._order.popleft() if self._order else None
        try:
            key = _row_key(x)
        except (TypeError, ValueError):
            return None
        kept = self._waiting.get(key)
        if not kept:
            return None
        predictions = kept.popleft()
        if not kept:
            del self._waiting[key]
        return predictions

    def predict_proba_one(self, x: dict) -> dict:
        """The leading copy's probabilities (see the class's description)."""
        probas = tuple(expert.predict_proba_one(x) for expert in self._build())
        self._keep(x, tuple(max(p, key=p.get) if p else None for p in probas))
        return probas[self._lead()]

    def predict_one(self, x: dict) -> Any:
        """The leading copy's prediction (None before any label)."""
        predictions = tuple(expert.predict_one(x) for expert in self._build())
        self._keep(x, predictions)
        return predictions[self._lead()]

    def learn_one(self, x: dict, y: Any) -> None:
        """Score both copies' predictions on ``x`` against ``y``, then both learn it."""
        default, advance = self._build()
        default.learn_one(x, y)  # (first: a bad row or label raises, nothing changed)
        advance.learn_one(x, y)
        self._last_read = None
        predictions = self._matched(x)
        if predictions is not None:
            decay = self.decay
            for i, predicted in enumerate(predictions):
                self._mistakes[i] = decay * self._mistakes[i] + (predicted != y)
