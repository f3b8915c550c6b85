"""DREAMOnlineClassifier: a river classifier on one long stream, with a DREAM cell."""

from __future__ import annotations

import math
from collections.abc import Collection
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from river import base

from ..nn._config import _BOOL, _INT_GE0, _INT_GE1, _UNIT
from ._base import _DEFAULT, _check_params, _DREAMOnline, _readouts_rule
from ._delayed import _DelayedReadout
from ._fast_row import _TARGET_C
from ._neighbors import _NeighborVote, _Seen
from ._params import _NEIGHBORS
from ._readouts import _CLF_DRIFT_DELTA, _REPLAY_ROWS
from ._slots import _unequal

__all__ = ["DREAMOnlineClassifier"]

# The rules of the classifier's own parameters (beside the base's).
_CLASSIFIER_RULES = {
    "readouts": _readouts_rule(("linear", "cell", "pairs")),
    "max_pairs": _INT_GE0,
    "mixture_share": _UNIT,
    "delayed_readout": _BOOL,
    "n_neighbors": _NEIGHBORS,
    "neighbors_window": _INT_GE1,
}
_MISTAKE = math.exp(-1.0)  # a readout's weight is multiplied by this for each mistake


def _as_learned(build: Any, labels: list) -> Any:
    """``build(labels)``, a Series or an Index of the classes (``predict_many``'s,
    ``predict_proba_many``'s columns), of the dtype pandas infers, unless that
    changes a label (2**53 + 1 with 0.5, read as floats, is 2**53): then of
    dtype object, each label as learned."""
    built = build(labels)
    if built.dtype != object and built.tolist() != labels:
        built = build(labels, dtype=object)
    return built


def _softmax(z: np.ndarray) -> np.ndarray:
    """Softmax over the last axis."""
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    e /= e.sum(axis=-1, keepdims=True)
    return e


def _is_missing_label(y: Any) -> bool:
    """None, pandas' NA or NaT, or a value unequal to itself (a NaN of any type:
    float, NumPy, Decimal, complex, NaT)."""
    if y is None or y is pd.NA or y is pd.NaT:
        return True
    try:
        return bool(y != y)
    except (TypeError, ValueError):  # (an object whose != is not a truth value)
        return False


class DREAMOnlineClassifier(_DREAMOnline, base.MiniBatchClassifier):
    """Online classifier: a DREAM cell run along the stream, with softmax readouts.

    Each ``learn_one`` is one time step of one long stream: the cell's hidden state
    and fast weights carry over from row to row. Inputs go through a running
    standardisation; the cell takes one step on them (and, with ``feedback``, on
    the previous row's label, one-hot); softmax readouts over the hidden state and
    the standardised inputs learn by SGD. Features and classes may appear at any
    time; a NaN or None value is a missing feature. ``predict_proba_one`` is pure:
    it computes the next step from the committed state without committing it (and
    keeps it for a ``learn_one`` on the same row), unless ``advance_on_predict``.

    With several ``readouts`` the prediction is their mixture (prediction with
    expert advice, Fixed Share): after each row, the weight of every readout that
    predicted the wrong class is multiplied by ``exp(-1)``, the weights are
    normalised, and a share ``mixture_share`` of the total is spread evenly again,
    so that no readout's weight falls below ``mixture_share / len(readouts)`` (half
    that while two generations share the mixture after a drift) and
    one that starts to predict better after a change regains the lead within a few
    rows. A linear readout wins on linear concepts, the readout with pair features
    on interactions, the one over the cell's state on streams whose past matters;
    the mixture follows whichever is making the fewest mistakes now
    (``readout_weights_``).

    With ``drift_recovery`` (default), a detector watches the mixture's own
    mistakes, the surprise that matters when ``P(y | x)`` changes and the inputs do
    not: river's ADWIN over the 0/1 loss at ARF's warning level (``delta`` 0.01). A
    rise it flags takes fresh readouts (the same kinds, zero weights) into the
    mixture with half of its weight, beside the old readouts; whichever of the two
    generations falls below 1% of the weight goes (the fresh one, after a false
    alarm), and a drift flagged while two are present drops the less trusted at
    once. The fresh readouts first learn the rows read since the change (where
    the recent mistakes rise, among the last 128 rows kept while the mixture errs;
    every kept row where no rise is found: three passes at 10 times their step),
    so that the rows before the detector fired are not lost. A fresh readout's
    step starts about 11 times its usual one and falls back as it learns (to
    twice after about 700 rows, to its usual step after 4,000).

    Most parameters are read once, at the first row (an assignment afterwards changes
    nothing; ``clone()`` with the new value starts over); river's ``mutate`` changes
    those rows read as they come. Which is which: docs/online.md, "Speed: the compiled row".

    Parameters
    ----------
    hidden_dim : int, default=32
        Number of hidden units of the cell.
    rank : int, default=4
        Rank of the cell's fast weights.
    learning_rate : float, default=0.02
        SGD step of the readout.
    l2 : float, default=0.0
        L2 penalty of the readouts (weight decay of each readout's own step times
        ``l2`` per row, the step being ``learning_rate`` times the readout's share
        and the surprise and fresh-readout gains; at most the whole weight: a step
        times ``l2`` above 1 sets the weights to 0).
    feedback : {"cell", "readout", "none"}, default="cell"
        Where the previous row's label goes as an input: into the cell and the
        readout, into the readout only, or nowhere. The readouts that read the
        features' slots alone (``"linear"``) do not read it: with
        ``readouts=("linear",)`` it changes nothing (review 262).
    standardize_rate : float, default=0.02
        Rate of the running mean/variance of each input after the first
        ``1 / standardize_rate`` rows (cumulative before); 0 gives cumulative
        (Welford) statistics throughout; below 1 (at 1 the variance stays 0).
    slow_rate : float or None, default=0.0
        Rate of a second, slow running standardisation that the readout's linear
        term reads (0: cumulative, Welford); the cell and the ramps keep the fast
        one (``standardize_rate``). None: the readout reads the fast one too.
    n_knots : int or "auto", default="auto"
        Fixed ramps ``0.5 tanh(3 (u - c))`` of each standardised input ``u`` at
        ``n_knots`` thresholds ``c`` evenly spaced in [-1.5, 1.5], added to the
        readout (per-feature threshold rules); 0: none; at most 10,000.
        ``"auto"``: by the number of features of the first row, 15 for one or two,
        9 for three, 5 for four or more (5 was the default until round 60), so that
        a stream of few features gets a finer grid of pair features.
    readouts : tuple of str, default=("linear", "cell", "pairs")
        The readouts trained side by side and mixed: ``"linear"`` reads the
        standardised inputs (step ``learning_rate / 2``); ``"cell"`` the hidden
        state, the inputs and their ramps (step ``learning_rate``); ``"pairs"`` the
        same plus the products of two ramps of different inputs (step
        ``learning_rate / 2``; per-row cost grows with the square of the number of
        inputs, up to ``max_pairs``).
    max_pairs : int, default=4096
        At most this many pair features. An input gets its pairs once its values
        vary, the first to vary first: a constant input takes none (one present on
        some rows only reads as an indicator, and takes them). Two inputs get their
        pair once a row has both (two categories of a one-hot feature never do).
    mixture_share : float, default=0.001
        Share of the mixture's weight spread evenly over the readouts after each
        row (0: plain exponential weights, which can lock on one readout).
    surprise_gain : float, default=0.0
        Surprise-modulated readout: each SGD step is multiplied by
        ``1 + surprise_gain * S`` where ``S`` is the cell's surprise on that row.
        Helps recovery after a change that shows in the inputs; costs accuracy on
        the drift suite (see docs/online.md), hence off by default.
    drift_recovery : bool, default=True
        Detect a rise of the mixture's mistakes and bring in fresh readouts
        (above); False: the readouts only ever learn by their SGD steps. Read at
        the first row, as the cell's sizes are (a later assignment,
        ``model.drift_recovery = False``, changes nothing: docs/online.md, "Speed:
        the compiled row").
    cell_params : dict, default=None
        Other :class:`~dream_sklearn.nn.DREAMConfig` fields of the cell
        (``plasticity_enabled``, ``time_step``...).
    missing : {"ignore", "raise"}, default="ignore"
        A NaN or None value is a missing feature, as an absent key is (river's
        convention), in every ``*_one`` and ``*_many`` method; ``"raise"``: a
        ValueError naming the feature instead.
    advance_on_predict : bool, default=False
        For labels that come later (``progressive_val_score(delay=...)``):
        ``predict_one`` / ``predict_proba_one`` commit the cell's step on the row
        and its running statistics, so that the memory stays current; the
        ``learn_one`` that brings the row's label (the same row, matched by its
        values, oldest first) then only trains the readouts on what the cell read
        at prediction time, without stepping again. False: prediction is pure and
        ``learn_one`` takes the step (see docs/online.md, "Delayed labels"). Set it
        where a label depends on the rows just before it (Elec2 under ``delay=50``:
        1.3 points lost against 11.5 without it); where rows are independent it
        cost up to 2.3 points against the default in round 66's benchmark
        (``benchmarks/online_robust.py --part delay``).
    match_labels_by : {"values", "order"}, default="values"
        With ``advance_on_predict``, how ``learn_one`` finds the row predicted
        earlier that its label belongs to. ``"values"``: the oldest waiting row
        with the same values (a row never predicted, or changed in between, is
        stepped as a new one; the same row predicted twice in a row with nothing
        learned in between is one row, and two once another row came between).
        ``"order"``: the oldest row predicted, whatever
        its values, as ``progressive_val_score(delay=...)`` hands the labels
        back when the delay is the same for every row (a delay that varies by
        row returns labels out of order, each matched to another row; use
        ``"values"`` there): each
        ``predict_one`` or ``predict_proba_one`` call that does not raise is a
        row of the stream, and each ``learn_one`` (each row of
        ``learn_many``) brings the label of the oldest one not yet learned, a
        label ``learn_one`` refuses too (it takes its row's place; ``learn_many``
        checks every row first and a refused frame takes none); ``predict_many``
        is pure and counts no row. The model may then sit behind a step that
        learns, such as river's ``StandardScaler`` in a ``Pipeline``, whose rows
        differ between predict and learn. Set both parameters before
        the stream starts: rows predicted while ``advance_on_predict`` is off are
        not counted, so turning it on (or switching the matching) with rows
        predicted and not yet learned misaligns the labels that follow. Under
        ``"order"`` every row predicted needs its ``learn_one``: a label that never
        comes, or comes twice, shifts every later label by a row (Elec2's first 4,000 rows
        under ``delay=50`` with 5% of their labels lost: accuracy 0.500, ``online_robust.py
        --part lost-labels``); a warning comes (once) after 32 labels in a row
        whose own rows (by their values) wait behind the oldest, which a step that
        changes rows (a scaler) hides, and a label given twice does not bring. Under
        ``"values"`` such a row waits for
        good (at most 2,048 are kept). By values a label with keys at 0 is
        also the label of an older row that lacks some of them, where no row read
        before that one had them at 0: behind river's ``OneHotEncoder()``, which
        adds a key at 0 to every row once it has learned a category, a row predicted
        before then lacks the key its label has. A label that finds no row this way
        takes the oldest whose values differ from its own only by features at 0.
    delayed_readout : bool, default=True
        With ``advance_on_predict``, once a delay is seen (a row's label comes
        after later rows were predicted): a further softmax readout over what the
        rows say without labels (each feature against a running mean of its last
        30 or so values, and a ramp of that; a small step) joins the prediction,
        mixed with the readouts above by exponential weights on both sides'
        mistakes. Under no delay it takes no part (rows that never get a label
        included, where rows of equal values do not recur: matched by values, a
        later label of such values then takes the unlabelled row and reads as
        late, and the readout joins); after a delay of 50 ends it keeps taking
        part for some 430 labels (67 after a delay of 1), then stops. False:
        none.
    n_neighbors : int or "auto", default="auto"
        ``"auto"``: 5 while the classifier has seen at most 128 features (32 in round
        62), 0 once it has seen more (a one-hot key of many categories: from its
        126th or so on),
        and a vote that has lost its place runs on few rows: where its weight is
        below 0.05 it is read, scored and kept on every 64th row only, and where
        the readouts' drift recovery acts it is put on trial (its window emptied,
        run on every row while it refills). Local capacity where a linear readout
        over ramps lacks it, at a small cost where it does not pay
        (``docs/online.md``, "Round 61: the kNN expert on narrow rows" and "Round
        62: a vote that runs where it earns its place", and "Round 63: the kNN
        expert on rows of up to 128 features"). An int runs the vote on
        every row. 0: none. Otherwise a k-nearest-neighbours expert beside the readouts, for
        concepts local in the input space (a checkerboard, clusters of a class):
        the last ``neighbors_window`` labelled rows vote for a row's class, each by
        its inverse distance, among the ``n_neighbors`` nearest; the distance is
        taken in each feature's running standard deviation (a difference counts
        at most 10 of them, as does a value absent on one side only; a slot absent
        on both adds nothing; the previous label is not a feature). The prediction
        is the leader's, the readouts' mixture's or the vote's, by exponential
        weights on their mistakes (Fixed Share). Where the vote leads, the
        probabilities are both experts' by those weights: the vote's alone gave 0
        to a class none of the ``n_neighbors`` rows has, and cross-entropy
        suffered (ImageSegments: 0.988 against 0.397 without the expert; review
        183). With ``neighbors_window`` below ``n_neighbors`` the vote reads the
        whole window. With ``drift_recovery`` the window is emptied where the
        vote's own 0/1 loss rises (ADWIN, delta 0.01; before round 61, where the
        readouts' drift recovery acted on a drift).
        Of rows at one distance
        the one in the window's lower slot is the nearer (the window is a ring).
        The vote is compiled (numba) and runs beside the compiled row: on river's
        Bananas (two features) the default classifier ran at 38,584 rows/s, without
        the expert 93,179, river's ARF 1,295 in the same run (``speed.py --only
        online-narrow``; ``docs/online.md``).
    neighbors_window : int, default=1000
        The labelled rows the kNN expert keeps (read when its window is made: at its
        first row, and again where ``n_neighbors`` was set to 0 and back, which
        empties the window).
    seed : int, default=None
        Seed of the cell's random initialisation (and of the pretrained cell's
        projection). Read modulo ``2**31``: ``seed`` and ``seed + 2**31`` give one
        model. None draws one from the system.
    cell : {"random", "pretrained"}, default="random"
        ``"random"``: a random cell whose input grows with the slots seen.
        ``"pretrained"``: the cell meta-trained on a prior of synthetic drifting
        streams that ships with the package (``docs/pretrained.md``); its input
        has a fixed width (the slots reach it through a fixed random projection
        drawn from ``seed``); ``hidden_dim`` and ``rank`` must stay 32 and 4, and
        ``cell_params`` (e.g. ``plasticity_enabled``) override its configuration,
        except the starting values of its learned scalars (``base_plasticity``,
        ``base_threshold``, ``kappa``, ...): a ValueError names them. It was
        trained with the previous label (or target) on 4 inputs of its own: with
        ``feedback`` other than ``"cell"`` those inputs read 0 on every row. Its
        rows take the NumPy path, not the compiled row (about 4,700 rows/s on
        Elec2 against 77,500 for the random cell, in review 262's run).

    Attributes
    ----------
    cell_ : DREAMCell or None
        The cell (its input dimension grows with the features seen; with
        ``cell="pretrained"`` it is the pretrained cell's, fixed), float64;
        None while no input has reached it. The estimator steps its own copies of the
        weights (NumPy arrays, and the compiled row's buffers) and builds this
        module from them when it is read: it is for reading; changing it in place
        is not a way to change the model.
    classes_ : list
        The labels seen so far, in the order first seen. Labels that compare
        equal are one class, as in a dict (and in river's classifiers): ``0``
        and ``False``, ``1`` and ``1.0``; the first seen names it. ``"1"`` and
        ``1`` are two.
    last_surprise_ : float
        Surprise of the last committed step (0.0 while no row has reached the
        cell, ``last_tau_`` then being ``nan``).
    last_tau_ : float
        Time constant of the last committed step.
    readout_weights_ : dict
        The weight of each readout in the mixture now (the generations of a
        readout summed, with ``drift_recovery``).
    n_drifts_ : int
        Drifts acted on (``drift_recovery``).
    n_steps_ : int
        Number of rows learned.

    The attributes ending in ``_`` are fitted attributes, as scikit-learn's: they
    exist from the first ``learn_one`` (or ``learn_many``) on, and reading one before
    it raises ``AttributeError``; but ``n_drifts_`` and ``readout_weights_`` (0 and
    empty until then), and ``classes_`` and ``features_`` (empty lists until then).

    Examples
    --------
    >>> from river import datasets, evaluate, metrics
    >>> from dream_sklearn.online import DREAMOnlineClassifier
    >>> model = DREAMOnlineClassifier(seed=0)
    >>> metric = evaluate.progressive_val_score(datasets.Phishing(), model, metrics.Accuracy())
    >>> metric  # river's StandardScaler | LogisticRegression: 89.3%
    Accuracy: 90.31%

    The three readouts are mixed by their recent mistakes; at the end of this
    stream the one over the cell's state leads:

    >>> weights = model.readout_weights_
    >>> sorted(weights), max(weights, key=weights.get), round(sum(weights.values()), 6)
    (['cell', 'linear', 'pairs'], 'cell', 1.0)

    The hidden state carries over from row to row; ``predict_proba_one`` does not
    move it, ``learn_one`` does:

    >>> x = {"a": 1.0, "b": -0.5}
    >>> model = DREAMOnlineClassifier(seed=0)
    >>> model.learn_one(x, "up")
    >>> model.learn_one(x, "down")
    >>> {label: round(p, 3) for label, p in model.predict_proba_one(x).items()}
    {'up': 0.497, 'down': 0.503}
    >>> model.n_steps_, model.cell_.config.input_dim  # 2 features, 2 previous labels
    (2, 4)
    >>> 0.0 <= model.last_surprise_ <= 1.0
    True

    A NaN or None value is read as an absent feature:

    >>> model.predict_proba_one({"a": 1.0, "b": None}) == model.predict_proba_one({"a": 1.0})
    True

    For labels that come later, ``advance_on_predict=True`` steps the cell when a
    row is predicted; its label, when it comes, trains the readouts only:

    >>> model = DREAMOnlineClassifier(seed=0, advance_on_predict=True)
    >>> for a in (1.0, -1.0, 0.0):
    ...     model.learn_one({"a": a, "b": -a}, "up" if a > 0 else "down")
    >>> h = model.memory().h.clone()
    >>> model.predict_one({"a": 0.5, "b": 0.0})  # from three rows
    'down'
    >>> bool((model.memory().h != h).any())  # the cell has stepped on the row
    True
    >>> h = model.memory().h.clone()
    >>> model.learn_one({"a": 0.5, "b": 0.0}, "up")  # its label: no second step
    >>> bool((model.memory().h != h).any()), model.n_steps_
    (False, 4)
    """

    _task = "classification"
    # drift_recovery: a drift acted on at ARF's warning level (see _readouts.py).
    _drift_delta = _CLF_DRIFT_DELTA
    # drift_recovery: the last rows kept, for the fresh readouts to learn at a drift.
    _replay_rows = _REPLAY_ROWS
    delayed_readout = True  # (estimators pickled before it existed)
    _delayed: _DelayedReadout | None = None
    neighbors_window = 1000  # (estimators pickled before the kNN expert existed)
    _neighbors: _NeighborVote | None = None  # the kNN expert's window (n_neighbors)
    # What empties the kNN expert's window: "vote", a rise of the vote's own loss (since
    # round 61); "readouts", the readouts' drift recovery acting (rounds 17-60);
    # "kept", nothing. benchmarks/knots.py prints the three (docs/online.md, "Round 61:
    # the vote's own detector").
    _window_rule = "vote"
    # (the compiled row's _fast_row a vote was taken on, the row as the expert reads
    # it, the vote: predict_one's, for the learn_one on the same row)
    _neighbor_seen: _Seen | None = None

    def __init__(
        self,
        hidden_dim: int = _DEFAULT["hidden_dim"],
        rank: int = _DEFAULT["rank"],
        learning_rate: float = 0.02,
        l2: float = 0.0,
        feedback: str = "cell",
        standardize_rate: float = 0.02,
        slow_rate: float | None = 0.0,
        n_knots: int | str = "auto",
        readouts: tuple[str, ...] = ("linear", "cell", "pairs"),
        max_pairs: int = 4096,
        mixture_share: float = 0.001,
        surprise_gain: float = 0.0,
        drift_recovery: bool = True,
        cell_params: dict | None = None,
        missing: str = "ignore",
        advance_on_predict: bool = False,
        match_labels_by: str = "values",
        delayed_readout: bool = True,
        n_neighbors: int | str = "auto",
        neighbors_window: int = 1000,
        seed: int | None = None,
        cell: str = "random",
    ) -> None:
        self.hidden_dim = hidden_dim
        self.rank = rank
        self.learning_rate = learning_rate
        self.l2 = l2
        self.feedback = feedback
        self.standardize_rate = standardize_rate
        self.slow_rate = slow_rate
        self.n_knots = n_knots
        self.readouts = readouts
        self.max_pairs = max_pairs
        self.mixture_share = mixture_share
        self.surprise_gain = surprise_gain
        self.drift_recovery = drift_recovery
        self.cell_params = cell_params
        self.missing = missing
        self.advance_on_predict = advance_on_predict
        self.match_labels_by = match_labels_by
        self.delayed_readout = delayed_readout
        self.n_neighbors = n_neighbors
        self.neighbors_window = neighbors_window
        self.seed = seed
        self.cell = cell

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
            "readouts": ("cell",),
            "drift_recovery": False,
        }  # the other readout options
        yield {"hidden_dim": 8, "rank": 2, "seed": 1, "readouts": ("pairs",), "max_pairs": 5}
        yield {"hidden_dim": 8, "rank": 2, "seed": 1, "n_neighbors": 3, "neighbors_window": 50}

    def _unit_test_skips(self) -> set[str]:
        return set()

    @property
    def _multiclass(self) -> bool:
        return True

    @property
    def classes_(self) -> list:
        return list(self._classes) if self._built else []

    @property
    def readout_weights_(self) -> dict:
        """``{readout: weight}`` of the mixture now (empty before any learning)."""
        if not self._built:
            return {}
        J = len(self._heads)  # the generations of each readout summed (drift_recovery)
        weights = self._weights.reshape(-1, J).sum(axis=0)
        return dict(zip(self._heads, weights.tolist(), strict=True))

    def _proba(self, p: np.ndarray) -> np.ndarray:
        """Mixture of the readouts' probabilities: (..., J, k) -> (..., k)."""
        M = len(self._weights)
        if M == 1:
            return p[..., 0, :]
        return self._weights @ p[..., :M, :]  # background readouts take no part

    _task_rules = _CLASSIFIER_RULES  # (read again by _recheck)

    def _validate_params(self) -> None:
        super()._validate_params()
        owner = type(self).__name__
        _check_params(owner, _CLASSIFIER_RULES, self)

    # ------------------------------------------------------------------ task hooks

    def _readout_names(self) -> tuple:
        return tuple(self.readouts)

    def _build(self, first_keys: Collection = ()) -> None:
        super()._build(first_keys)
        self._classes: dict = {}
        self._delayed = None
        self._neighbors = self._neighbor_seen = None

    # ------------------------------------------------------------------ the kNN expert

    def _neighbor_choice(
        self, p: np.ndarray, raw: np.ndarray, present: np.ndarray, scale: np.ndarray
    ) -> np.ndarray:
        """The probabilities on rows ``raw`` (b, m), given the readouts' (b, k): where
        the vote leads and has rows (see ``_neighbors.py``), both by their weights
        (``_NeighborVote.blend``); its distances in ``scale`` (the committed state's,
        before the rows)."""
        vote = self._neighbors
        if vote is None or not vote.leads():
            return p
        rows = self._neighbor_rows(raw, present)
        q = vote.proba(rows, scale, self._k_neighbors, p.shape[-1])
        return p if q is None else vote.blend(p, q)

    def _neighbor_read(
        self, raw: np.ndarray, present: np.ndarray, scale: np.ndarray, out: np.ndarray, y: Any
    ):
        """(row, vote): what the kNN expert reads of the row, and its vote on it."""
        row = self._neighbor_rows(raw, present)
        return row, self._vote_on(row, scale)

    def _neighbor_learn(self, read: tuple, y: Any, loss: float, drifted: bool) -> None:
        self._neighbor_step(*read, self._classes[y], loss, drifted)

    def _fast_neighbor_learn(self, read: tuple, target: tuple, loss: float, drifted: bool) -> None:
        self._neighbor_step(*read, target[_TARGET_C], loss, drifted)

    def _vote_on(self, row: np.ndarray, scale: np.ndarray) -> np.ndarray | None:
        """The vote's probabilities on one ``row`` (as _neighbor_rows gives it), in
        ``scale``; None while no row is kept."""
        return self._vote_window().proba_one(row, scale, self._k_neighbors, len(self._classes))

    def _vote_window(self) -> _NeighborVote:
        """The kNN expert's window, made at its first row (its size read then)."""
        if self._neighbors is None:
            self._neighbors = _NeighborVote(int(self.neighbors_window))
            self._gate_vote(self._neighbors)
        return self._neighbors

    def _vote_gated(self) -> bool:
        return self._window_rule == "vote"  # (the earlier rounds' rules: every row)

    def _fast_neighbor_read(self, target: tuple | None = None) -> tuple:
        """(row, vote) of the row the compiled row's buffers hold: what the kNN expert
        reads of it and its vote, kept for a later read of the same row (the
        learn_one after a predict_one: read in this state, its parameters checked
        then; a setting since lays the compiled row out again, which checks them)."""
        seen = self._neighbor_seen
        if seen is not None and seen.read is self._fast_row:
            return seen.row, seen.q
        self._recheck_neighbors()
        fast = self._fast
        k, n_classes = self._k_neighbors, len(self._classes)
        read = self._vote_window().read_vote(
            fast.raw, fast.present, self._ys, len(self._mean), self._scale, k, n_classes
        )
        if read is None:  # (the same numbers in two steps, or the error that says why)
            row = self._fast_neighbor_row()
            read = row, self._vote_on(row, self._scale)
        self._neighbor_seen = _Seen(self._fast_row, *read)
        return read

    def _neighbor_step(
        self, row: np.ndarray, q: np.ndarray | None, c: int, loss: float, drifted: bool
    ) -> None:
        """Score the leader on a row of class index ``c`` (``q`` the vote on it before
        it is kept, ``loss`` the readouts' mixture's 0/1 loss), empty the window where
        the vote's own loss rose (with ``drift_recovery``: ``_NeighborVote.rose``),
        keep the row. (``drifted``, whether the readouts' drift recovery acted on the
        row, emptied the window until round 61: ``_window_rule``.)"""
        self._neighbor_seen = None
        vote = self._neighbors
        wrong = vote.score(c, loss != 0.0, q)
        rule = self._window_rule
        if rule == "vote":
            # (drift_recovery as read at the first row: its detectors, or None; a
            # later setting changes nothing, as for the readouts: review 397)
            if q is not None and self._drift is not None and vote.rose(wrong):
                vote.n_emptied += 1
                vote.forget()
        elif rule == "readouts" and drifted:
            vote.forget()
        if drifted:  # (out of play under "auto": on trial; _NeighborVote.on_drift)
            vote.on_drift()
        vote.keep(row, c)

    def _fast_neighbor_choice(self, best: float) -> int:
        """The class index the compiled row predicts (``best``: the readouts'
        mixture's) with the kNN expert: where the vote leads and has rows, the most
        probable of both by their weights, as ``predict_proba_one`` gives them. The
        vote is kept for the learn_one on the same row (_fast_neighbor_read); a vote
        that does not lead is not read (the learn_one reads it where it runs)."""
        vote = self._neighbors
        if vote is not None and not vote.lead:
            return int(best)
        _, q = self._fast_neighbor_read()
        vote = self._neighbors
        if q is None or not vote.lead:
            return int(best)
        p = self._proba(self._fast.out)
        c = vote.choice(p, q)
        return int(vote.blend(p, q).argmax()) if c is None else c

    def _read_delayed(self, raw: np.ndarray, present: np.ndarray, out: np.ndarray):
        """(features, the readouts' predicted class, this readout's, the row's sequence
        number among the rows advanced on) of the row."""
        late = self._delayed
        if not self.delayed_readout:
            if late is not None:
                late.q = None  # (for an earlier row)
            return None
        if late is None:
            late = self._delayed = _DelayedReadout()
        seq = late.q_seq = self._pending_seq - 1  # (_advance numbered the row already)
        feats = late.read(raw, self._delayed_present(present))
        if not self._classes:
            late.q = None
            return feats, -1, -1, seq
        q = late.q = late.proba(feats, len(self._classes))
        return feats, int(self._proba(out).argmax()), int(q.argmax()), seq

    def _learn_delayed(self, late: tuple, out: np.ndarray, y: Any) -> None:
        """The mixture weighs both sides by their mistakes at prediction time: the
        readouts' outputs now, on a row ``d`` rows old, come from fresher weights
        than any prediction under the delay does."""
        feats, theirs, mine, seq = late
        # The label's delay: the rows predicted after this one (not the rows still
        # waiting, which counts rows that never get a label as late ones); matched by
        # values, after the newest row of its values still waiting (_matched).
        if self._newest_alike is not None:
            seq = max(seq, self._newest_alike)
        self._delayed.saw(self._pending_seq - 1 - seq)
        self._delayed.learn(feats, self._classes[y], len(self._classes), theirs, mine)

    def _delayed_present(self, present: np.ndarray) -> np.ndarray:
        """The slots the delayed-label readout reads: the previous label is not a
        feature of the row."""
        if self._y_slot:
            present = present.copy()
            present[..., self._ys] = 0.0
        return present

    def _proba_many(self, raw: np.ndarray, present: np.ndarray, out: np.ndarray) -> np.ndarray:
        """(b, k) predictions of rows each one step from the committed state, as
        :meth:`_proba_row` gives each (the delayed-label readout's statistics are read,
        not updated: predict_many is pure)."""
        p = self._proba(out)
        late = self._delayed
        if self.advance_on_predict and self.delayed_readout and late is not None and late.active:
            q = late.proba(late.features(raw, self._delayed_present(present)), p.shape[-1])
            p = late.mix(p, q)
        if self._k_neighbors:
            p = self._neighbor_choice(p, raw, present, self._scale)
        return p

    def _proba_row(self, out: np.ndarray) -> np.ndarray:
        """The prediction for the row just read: the readouts' mixture, and under a
        delay the delayed-label readout's (``delayed_readout``)."""
        p = self._proba(out)
        late, cache = self._delayed, self._cache
        if (
            self.advance_on_predict
            and self.delayed_readout
            and late is not None
            and late.active
            and late.q is not None
            and len(late.q) == len(p)
            # q is this row's: the row just read was advanced on, and last
            and cache is not None
            and cache.advanced
            and late.q_seq == self._pending_seq - 1
        ):
            p = late.mix(p, late.q)
        if self._k_neighbors and cache is not None:  # (cache: the row just read)
            # (a row advanced on has been taken into the statistics: the scale it was
            # read in, as predict_proba_many reads it; a review's finding)
            advanced = cache.advanced and self._scale_read is not None
            scale = self._scale_read if advanced else self._scale
            fwd = cache.forward
            p = self._neighbor_choice(p[None], fwd.raw[None], fwd.present[None], scale)[0]
        elif self._k_neighbors and self._fast_row is not None:  # (the compiled row read it)
            vote = self._neighbors
            if vote is None or vote.lead:  # (a vote that does not lead changes nothing)
                _, q = self._fast_neighbor_read()
                if q is not None and self._neighbors.lead:
                    p = self._neighbors.blend(p, q)
        return p

    def _check_target(self, y):
        # A 0-d array (NumPy's, a torch tensor: y_array[i]) is its one label, as the
        # regressor reads a 0-d target. A torch tensor hashes by identity: each row's
        # tensor(1) was a new class, silently; NumPy's was refused as unhashable
        # (review 162). NumPy's masked value is a missing label, as it is a missing
        # feature: its item() is 0.0, learned as the class 0 (review 336).
        if np.ma.is_masked(y):
            raise ValueError(
                f"The label y must be a class label; got {y!r}, a missing label. "
                "Leave the row out until its label is known."
            )
        if hasattr(y, "ndim") and not isinstance(y, np.generic):
            if y.ndim != 0:
                raise ValueError(
                    f"The label y must be one class label; got an array of shape {tuple(y.shape)}."
                )
            y = y.item()
        try:
            hash(y)
        except TypeError as err:
            raise ValueError(f"The label {y!r} is not hashable.") from err
        if _is_missing_label(y):  # (each NaN is a new object: each would be a new class)
            raise ValueError(
                f"The label y must be a class label; got {y!r}, a missing label. "
                "Leave the row out until its label is known."
            )
        if isinstance(y, tuple | frozenset) and _unequal(y):  # (as a feature named so)
            raise ValueError(
                f"The label y must be a class label equal to itself; got {y!r}, a "
                f"{type(y).__name__} holding a NaN: each such one made anew (or copied by "
                "a pickle) would be a new class."
            )
        return y

    def _new_targets(self, y) -> list:
        return [] if y in self._classes else [y]

    def _add_targets(self, labels: list) -> None:
        for label in labels:
            self._classes[label] = len(self._classes)
        J, _, F = self._W.shape
        self._W = np.concatenate([self._W, np.zeros((J, len(labels), F))], axis=1)
        self._add_target_slots(labels)
        self._version += 1

    def _link(self, z: np.ndarray) -> np.ndarray:
        return _softmax(z)

    def _readout_step(self, out, y, phi) -> tuple[np.ndarray, float]:
        """Score the readouts' predictions on ``y``; their log-loss gradients and the
        mixture's 0/1 loss."""
        c = self._classes[y]
        M = len(self._weights)
        loss = float(self._proba(out).argmax() != c)
        if M > 1:  # Fixed Share: down-weight the readouts that erred, then share
            w = self._weights * np.where(out[:M].argmax(axis=1) != c, _MISTAKE, 1.0)
            w *= (1.0 - self.mixture_share) / w.sum()
            w += self.mixture_share / M
            self._weights = w
        g = out.copy()  # (J, k) probabilities
        g[:, c] -= 1.0
        return g, loss

    def _before_readouts(self, y) -> None:
        pass

    def _update_target_stats(self, y) -> None:
        pass

    def _target_set_aside(self) -> bool:
        return False

    def _fast_ready(self) -> bool:
        return bool(self._classes)

    def _fast_target(self, y) -> tuple | None:
        """The label ``y`` as the compiled row learns it (``_fast_row._TARGET_*``),
        or None for a new (or invalid) label."""
        try:
            c = self._classes.get(y)
        except TypeError:
            return None
        if c is None:
            return None
        return c, self._y_slot.get(y, -1), 1.0

    def _target_raw(self, y) -> np.ndarray:
        raw = np.zeros(len(self._mean))
        raw[self._y_slot[y]] = 1.0
        return raw

    # ------------------------------------------------------------------ river API

    def learn_one(self, x: dict, y: base.typing.ClfTarget) -> None:
        """Learn one row: one step of the stream, then one SGD step of each readout.

        A call that repeats the last one, as river's bagging and boosting ensembles
        repeat a row for its weight, is learned once: the cell steps once a row, and
        the label is fed back once (what counts as a repeat, and which ensembles it
        covers: docs/online.md, "In river's ensembles").
        """
        self._learn_row(x, y)

    def predict_one(self, x: dict) -> base.typing.ClfTarget | None:
        """The most probable class for the next step; None before any label.

        Pure: no prediction or learned state changes. It marks the stream as read,
        so that a ``learn_one`` of the same row twice in a row after it counts once
        (river's ensembles repeat a row for its weight; docs/online.md, "In river's
        ensembles"). A row it refuses leaves the model as it was, that mark too.
        """
        marks = self._read, self._learned_last
        self._read = True  # (see _repeated)
        try:  # (inline, not a helper: the compiled row's time is counted in calls)
            best = self._fast_forward(x)
            if best is not None:
                vote = self._neighbors  # (a vote that does not lead changes nothing)
                if self._fast.knn and (vote is None or vote.lead):
                    return self._fast_predicted(best)  # (n_neighbors as the layout read it)
                return self._fast.labels[int(best)]
            out = self._predict_raw_one(x)
        except BaseException:  # (a refused row: the marks as they were; _repeated)
            self._read, self._learned_last = marks
            raise
        if out is None or not self._classes:
            return None
        return list(self._classes)[int(self._proba_row(out).argmax())]

    def _fast_predicted(self, r: float) -> base.typing.ClfTarget:
        if self._fast.knn:  # (as the layout read n_neighbors: laid out anew after a setting)
            r = self._fast_neighbor_choice(r)
        return self._fast.labels[int(r)]

    def predict_proba_one(self, x: dict) -> dict[base.typing.ClfTarget, float]:
        """Probability of each class seen so far for the next step (pure)."""
        marks = self._read, self._learned_last
        self._read = True  # (see _repeated)
        try:
            out = self._predict_raw_one(x)
        except BaseException:  # (a refused row: the marks as they were; _repeated)
            self._read, self._learned_last = marks
            raise
        if out is None or not self._classes:
            return {}
        return dict(zip(self._classes, self._proba_row(out).tolist(), strict=True))

    def learn_many(self, X: pd.DataFrame, y: pd.Series) -> None:
        """Learn the rows of ``X`` in order, as consecutive steps (NaN: missing).

        A Series ``y`` is matched to the rows by its index (the same labels, in any
        order; other labels raise a ValueError); a list or array is read in row order.
        """
        self._learn_frame(X, y)

    def predict_proba_many(self, X: pd.DataFrame) -> pd.DataFrame:
        """Per row, ``predict_proba_one`` from the committed state (NaN: missing)."""
        return self._proba_frame(X, compiled=True)

    def _proba_frame(self, X: pd.DataFrame, compiled: bool) -> pd.DataFrame:
        """``predict_proba_many``, through the compiled row unless not ``compiled``
        (it was tried on this frame already)."""
        forward = self._fast_forward_many(X) if compiled else None
        if forward is None:
            forward = self._forward_many(X)
        if not self._built or not self._classes or (forward is None and len(X)):
            return pd.DataFrame(index=X.index)  # (no class yet)
        # (a tuple is one label, not a level of a MultiIndex)
        columns = _as_learned(partial(pd.Index, tupleize_cols=False), list(self._classes))
        if forward is None:  # an empty frame: the classes' columns still (review 252)
            return pd.DataFrame(np.zeros((0, len(columns))), index=X.index, columns=columns)
        return pd.DataFrame(self._proba_many(*forward), index=X.index, columns=columns)

    def predict_many(self, X: pd.DataFrame) -> pd.Series:
        """Per row, ``predict_one`` from the committed state (NaN: missing)."""
        if not self._k_neighbors:  # (the kNN expert's votes: a frame's in one pass, below)
            labels = self._fast_predict_frame(X, self._fast_predicted)  # (the compiled row)
            if labels is not None:
                return _as_learned(partial(pd.Series, index=X.index), labels)
        proba = self._proba_frame(X, compiled=bool(self._k_neighbors))
        if proba.shape[1] == 0:
            return pd.Series([None] * len(X), index=X.index, dtype=object)
        labels: list[Any] = list(self._classes)  # (the columns' order)
        best = proba.to_numpy().argmax(axis=1)
        return _as_learned(partial(pd.Series, index=X.index), [labels[i] for i in best])
