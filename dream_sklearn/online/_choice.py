"""The online estimators for labels that come late: two copies of a model, and the
one to predict with chosen by the labels as they come. DREAMDelayedClassifier: with
and without advancing on the rows predicted; DREAMDelayedRegressor: with and without
reading the previous target."""

from __future__ import annotations

import numbers
import random
from collections import OrderedDict, deque
from typing import Any

from river import base

from ._classifier import DREAMOnlineClassifier, _is_missing_label
from ._pending import _MAX_PENDING
from ._regressor import DREAMOnlineRegressor
from ._rows import _row_key, _row_values

__all__ = ["DREAMDelayedClassifier", "DREAMDelayedRegressor"]

# The rows' predictions kept for labels still to come, at most (the oldest go first):
# as many as the advancing copy keeps rows, so that rows predicted whose labels never
# come cost what they cost it. A row's key and its entries take 1.5 kB with Elec2's
# six features and 8 kB with 100 more (tracemalloc): the bound of 100,000 rows before
# round 74 let the store reach 150 MB and 800 MB there.
_MAX_WAITING = _MAX_PENDING


def _key_of(x: dict) -> tuple | None:
    """The key a row is matched by, as the advancing copy keys it (its values without
    the missing ones), or None where it has none."""
    try:
        return _row_key(_row_values(x)[0])
    except (TypeError, ValueError, OverflowError):
        return None


class _DelayedChoice:
    """Two copies of an online model (``_experts``, made by the subclass's ``_build``
    at the first row), the predictions of both kept for the labels to come, and the
    copy to predict with: the one with the smaller sum of its losses on the labels
    that came, with exponential forgetting (``decay``); on a tie, the first.
    ``_NAMES``: the copies' names, in order (``leader_``)."""

    _NAMES: tuple = ()

    # match_labels_by="order": the oldest rows read whose predictions went past
    # _MAX_WAITING and whose labels are still to come; they come first, and score
    # nothing (the advancing copy's _not_waiting counts its own such rows)
    _unkept = 0

    def _start(self) -> None:
        self._experts: tuple = ()
        self._mistakes = [0.0, 0.0]  # (each copy's losses, with forgetting)
        # The predictions kept for labels to come: by a number in reading order,
        # (the row's key, (the first copy's, the second's)); and (matched by values)
        # each key's numbers, oldest first.
        self._kept: OrderedDict = OrderedDict()
        self._by_key: dict = {}
        self._seq = 0
        self._unkept = 0
        self._last_read: Any = None  # the key of the row read last, until a label comes

    @property
    def experts_(self) -> tuple:
        return self._experts

    def _checked_decay(self) -> float:
        """``decay``, checked (at every label: a later setting is read there)."""
        decay = self.decay
        if type(decay) is float and 0.0 < decay < 1.0:  # (the usual value: no test more)
            return decay
        if isinstance(decay, bool) or not isinstance(decay, numbers.Real):
            raise TypeError(f"decay must be a real number in (0, 1), got {decay!r}.")
        if not 0 < decay < 1:
            raise ValueError(f"decay must be a real number in (0, 1), got {decay!r}.")
        return float(decay)

    def _copied(self, kind: type) -> tuple[Any, int]:
        """``model`` (None: a ``kind()``), checked to be a ``kind``, and the seed both
        copies take: its own, or one drawn where it has none (``decay`` checked too:
        at the first row, with the copies)."""
        model = kind() if self.model is None else self.model
        if not isinstance(model, kind):
            raise TypeError(
                f"model must be a {kind.__name__} (or None), got {type(model).__name__}: {model!r}."
            )
        self._checked_decay()
        seed = model.seed
        if seed is None:
            seed = random.SystemRandom().randrange(2**31)
        return model, seed

    @property
    def leader_(self) -> str:
        return self._NAMES[self._lead()]

    def _lead(self) -> int:
        """0 (the first copy) or 1 (the second): the one with the smaller losses; on a
        tie, 0."""
        return int(self._mistakes[1] < self._mistakes[0])

    def _by_order(self) -> bool:
        return self._experts[0].match_labels_by == "order"

    def _keep(self, x: dict, predictions: tuple, key: tuple | None) -> None:
        """Keep both copies' predictions on ``x`` for its label, as an advancing copy
        keeps the row: by order, every read; by values, under the row's key (its
        values without the missing ones: ``key``, as a copy keyed it, or None where
        none did), a second read of the same row with no label in between replacing
        the first's."""
        if self._by_order():
            key = None
        else:
            key = _key_of(x) if key is None else key
            if key is None:  # (nothing kept)
                return
            seqs = self._by_key.get(key)
            if seqs and key == self._last_read:
                self._kept[seqs[-1]] = (key, predictions)
                return
            self._last_read = key
            self._by_key.setdefault(key, deque()).append(self._seq)
        self._kept[self._seq] = (key, predictions)
        self._seq += 1
        # the oldest rows' go: one, or more in a model pickled before round 74 with
        # more rows waiting than the bound
        while len(self._kept) > _MAX_WAITING:
            _, (old, _) = self._kept.popitem(last=False)
            if old is None:  # (by order: its label, when it comes, scores nothing)
                self._unkept += 1
            else:
                self._drop_oldest(old)

    def _drop_oldest(self, key: tuple) -> int:
        """The number of the oldest predictions kept under ``key``, out of its list."""
        seqs = self._by_key[key]
        seq = seqs.popleft()
        if not seqs:
            del self._by_key[key]
        return seq

    def _matched(self, x: dict, key: tuple | None) -> tuple | None:
        """The predictions kept for the row whose label came, out of the store
        (``key``: the row's, as a copy keyed it, or None)."""
        if self._by_order():
            if self._unkept:  # (the oldest row's predictions went past the bound)
                self._unkept -= 1
                return None
            return self._kept.popitem(last=False)[1][1] if self._kept else None
        key = _key_of(x) if key is None else key
        if key is None or key not in self._by_key:
            return None
        return self._kept.pop(self._drop_oldest(key))[1]


class DREAMDelayedClassifier(_DelayedChoice, base.Classifier):
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
    not advance. Without a delay both copies learn one model (the advance only
    acts on rows whose labels are still to come), by two routes that agree to
    1e-12 (the first with the compiled row's forward and learn kernels, the second
    with its advance and kept-row kernels, and the NumPy path around growth events):
    the predictions are ``model``'s but where the two break a near-tie between
    classes apart and the choice follows the second copy for a while (round 69's
    scratch run, with the second copy on the NumPy path: 4 and 1 of 2,000 rows on
    two of LEDDrift's three seeds).

    Each call goes to both copies, so a row costs what a row of each costs, and the
    store of both copies' predictions: 10,472-10,796 rows/s on Elec2's first 5,000 rows
    with labels 50 rows late, where the advancing copy alone runs at 15,326-15,359,
    the default classifier at 64,995-65,952, river's ``StandardScaler |
    LogisticRegression`` at 95,621-99,893 and its ARF at 2,139-2,194
    (``benchmarks/speed.py --only online-delayed``, two runs).

    Parameters
    ----------
    model : DREAMOnlineClassifier, default=None
        The classifier to copy (None: ``DREAMOnlineClassifier()``). Its own
        ``advance_on_predict`` is not read; with ``seed=None`` one seed is drawn
        for both copies at the first row. Its ``match_labels_by`` is how a label
        finds the predictions it scores, as the advancing copy finds its row:
        ``"values"``, the oldest row predicted with the same values; ``"order"``,
        the oldest row predicted. A label that finds none scores neither copy. The
        predictions of the last 2,048 rows read wait for their labels, as many as
        the advancing copy keeps rows: a label that comes later than that scores
        neither copy (and, by order, leaves the later labels on their own rows).
    decay : float, default=0.995
        The weight of a mistake one label later, in (0, 1): about the last
        ``1 / (1 - decay)`` labels (200) decide. Chosen on two tuning streams
        (Elec2 and Agrawal under ``delay=50``, a scratch script: 0.99 lost 1.9
        points on Agrawal, 0.998 1.7 with a seed at 2.2).

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

    _NAMES = ("default", "advance")  # (the copies, as leader_ and mistakes_ name them)

    def __init__(self, model: DREAMOnlineClassifier | None = None, decay: float = 0.995) -> None:
        self.model = model
        self.decay = decay
        self._start()  # (the copies, made at the first row, and the predictions kept)

    @classmethod
    def _unit_test_params(cls):
        yield {"model": DREAMOnlineClassifier(hidden_dim=8, rank=2, seed=1)}

    @property
    def _multiclass(self) -> bool:
        return True

    @property
    def mistakes_(self) -> dict:
        return dict(zip(self._NAMES, self._mistakes, strict=True))

    def _build(self) -> tuple:
        """The two copies of ``model``, made at the first row (parameters checked)."""
        if not self._experts:
            model, seed = self._copied(DREAMOnlineClassifier)
            self._experts = tuple(
                model.clone({"seed": seed, "advance_on_predict": advance})
                for advance in (False, True)
            )
        return self._experts

    def predict_proba_one(self, x: dict) -> dict:
        """The leading copy's probabilities (see the class's description)."""
        default, advance = self._build()
        advance._key_read = None  # (the advancing copy keys the row: see _keep)
        probas = (default.predict_proba_one(x), advance.predict_proba_one(x))
        self._keep(x, tuple(max(p, key=p.get) if p else None for p in probas), advance._key_read)
        return probas[self._lead()]

    def predict_one(self, x: dict) -> Any:
        """The leading copy's prediction (None before any label)."""
        default, advance = self._build()
        advance._key_read = None  # (the advancing copy keys the row: see _keep)
        predictions = (default.predict_one(x), advance.predict_one(x))
        self._keep(x, predictions, advance._key_read)
        return predictions[self._lead()]

    def learn_one(self, x: dict, y: Any) -> None:
        """Score both copies' predictions on ``x`` against ``y``, then both learn it."""
        default, advance = self._build()
        decay = self._checked_decay()
        if _is_missing_label(y) and self._by_order():
            # The advancing copy refuses the label and lets its row go (the oldest
            # waiting: match_labels_by="order"), so that a caller who goes on keeps
            # the later labels on their rows; the predictions kept for it go too.
            # (not where the row itself is refused, as predict_one refused it: no row
            # of the stream, it lets none go; review 429)
            marks = len(advance._pending_rows), advance._not_waiting
            try:
                advance.learn_one(x, y)
            finally:
                let_go = (len(advance._pending_rows), advance._not_waiting) != marks
                if let_go:
                    self._matched(x, None)
        default.learn_one(x, y)  # (first: a bad row or label raises, nothing changed)
        advance._key_read = None  # (the advancing copy keys the row: see _keep)
        advance.learn_one(x, y)
        self._last_read = None
        predictions = self._matched(x, advance._key_read)
        if predictions is not None:
            for i, predicted in enumerate(predictions):
                self._mistakes[i] = decay * self._mistakes[i] + (predicted != y)


# The regressor's readouts that read the previous target: the second copy of
# DREAMDelayedRegressor goes without them
_READ_PREVIOUS = ("last", "hold")


def _takes_target(model: Any, y: Any) -> bool:
    """Whether ``model`` takes ``y`` as a target (read after a ``learn_one`` that
    raised: the target checked once a row otherwise)."""
    try:
        model._check_target(y)
    except (TypeError, ValueError):
        return False
    return True


def _reads(model: Any, x: Any) -> bool:
    """Whether ``model`` reads ``x`` as a row (its values and keys), as its
    ``predict_one`` does: a row it refuses is no row of the stream."""
    try:
        row, _ = _row_values(x, model._strict())
        model._check_keys(row, x)
    except (TypeError, ValueError, OverflowError):
        return False
    return True


class DREAMDelayedRegressor(_DelayedChoice, base.Regressor):
    """A :class:`DREAMOnlineRegressor` for targets that come late, which finds out
    from the targets themselves whether to read the previous target.

    The regressor reads the previous target (``feedback``, and its ``"last"`` and
    ``"hold"`` readouts, which start from it). A row is learned with the target just
    before it, but under a delay (``progressive_val_score(delay=...)``) a row is
    predicted with the latest target known, ``delay`` rows old: where the target moves,
    the mixture keeps trusting the readouts that read it (TrumpApproval under
    ``delay=50``: an MAE of 0.9455 against LinearRegression's 0.8897, where without the
    delay it is ahead of every baseline; docs/online.md, "Round 73"). This runs two
    copies of ``model`` with one seed: the model as given, and one with no part that
    reads the previous target (``feedback="none"``, its readouts without ``"last"``
    and ``"hold"``; ``("cell",)`` if none is left). Each prediction is the one of the
    copy whose predictions for the targets that came were the closer (the sum of
    their absolute errors, each weighing ``decay`` times less per target after it);
    on a tie, the model as given. Both copies learn each row at its target (neither
    advances on the rows it predicts, which did not pay for the regressor).

    Each call goes to both copies, so a row costs what a row of each costs, and the
    store of both copies' predictions: 24,847-25,070 rows/s on Elec2's demand with
    labels 50 rows late, where the default regressor runs at 69,655-70,176 and
    river's ``StandardScaler | LinearRegression`` at 127,770-128,863
    (``benchmarks/speed.py --only online-delayed``, two runs).

    Parameters
    ----------
    model : DREAMOnlineRegressor, default=None
        The regressor to copy (None: ``DREAMOnlineRegressor()``). Its own
        ``advance_on_predict`` is not read (both copies learn each row at its
        target); with ``seed=None`` one seed is drawn for both copies at the first
        row. Its ``match_labels_by`` is how a target finds the predictions it scores:
        ``"values"``, the oldest row predicted with the same values; ``"order"``, the
        oldest row predicted (each ``predict_one`` call a row, and each ``learn_one``
        the target of the oldest one not yet learned, a refused target too where
        ``predict_one`` reads its row). A target that finds none scores neither copy.
        The predictions of the last 2,048 rows read wait for their targets: a target
        that comes later than that scores neither copy (and, by order, leaves the
        later targets on their own rows).
    decay : float, default=0.995
        The weight of an error one target later, in (0, 1): about the last
        ``1 / (1 - decay)`` targets (200) decide. ``DREAMDelayedClassifier``'s.

    Attributes
    ----------
    experts_ : tuple
        ``(the model as given, the model without the previous target)`` once a row
        was read; () before.
    leader_ : str
        ``"default"`` or ``"no previous target"``: the copy the next prediction comes
        from.
    errors_ : dict
        Each copy's absolute errors on the targets that came, with forgetting.

    Examples
    --------
    >>> from river import datasets, evaluate, metrics
    >>> from dream_sklearn.online import DREAMDelayedRegressor, DREAMOnlineRegressor
    >>> model = DREAMDelayedRegressor(DREAMOnlineRegressor(seed=0))
    >>> rows = datasets.TrumpApproval()
    >>> score = evaluate.progressive_val_score(rows, model, metrics.MAE(), delay=50)
    >>> model.leader_
    'no previous target'
    """

    _NAMES = ("default", "no previous target")  # (as leader_ and errors_ name them)

    def __init__(self, model: DREAMOnlineRegressor | None = None, decay: float = 0.995) -> None:
        self.model = model
        self.decay = decay
        self._start()  # (the copies, made at the first row, and the predictions kept)

    @classmethod
    def _unit_test_params(cls):
        yield {"model": DREAMOnlineRegressor(hidden_dim=8, rank=2, seed=1)}

    @property
    def errors_(self) -> dict:
        return dict(zip(self._NAMES, self._mistakes, strict=True))

    def _build(self) -> tuple:
        """The two copies of ``model``, made at the first row (parameters checked)."""
        if not self._experts:
            model, seed = self._copied(DREAMOnlineRegressor)
            kept = tuple(r for r in model.readouts if r not in _READ_PREVIOUS) or ("cell",)
            self._experts = (
                model.clone({"seed": seed, "advance_on_predict": False}),
                model.clone(
                    {
                        "seed": seed,
                        "advance_on_predict": False,
                        "feedback": "none",
                        "readouts": kept,
                    }
                ),
            )
        return self._experts

    def predict_one(self, x: dict) -> float:
        """The leading copy's prediction (0.0 before any learning)."""
        default, other = self._build()
        predictions = (default.predict_one(x), other.predict_one(x))
        self._keep(x, predictions, None)
        return predictions[self._lead()]

    def learn_one(self, x: dict, y: Any) -> None:
        """Score both copies' predictions on ``x`` against ``y``, then both learn it."""
        default, other = self._build()
        decay = self._checked_decay()
        try:
            default.learn_one(x, y)  # (first: a bad row or target raises, nothing changed)
        except (TypeError, ValueError):
            # (the refused target of a row predict_one reads takes its row's place: its
            # predictions go, and by order the later targets then score their own
            # rows'; a row refused itself is no row of the stream, review 429)
            if not _takes_target(default, y) and _reads(default, x):
                self._matched(x, None)
            raise
        value = float(y)  # (as the copy read it: _check_target's value)
        other.learn_one(x, y)
        self._last_read = None
        predictions = self._matched(x, None)
        if predictions is not None:
            for i, predicted in enumerate(predictions):
                self._mistakes[i] = decay * self._mistakes[i] + abs(predicted - value)
