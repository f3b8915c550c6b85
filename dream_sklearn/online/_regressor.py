"""DREAMOnlineRegressor: a river regressor on one long stream, with a DREAM cell."""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from river import base

from .._limits import MAX_ABS
from ..nn._config import _INT_GE0, _INT_GE1, _UNIT, _is_real, _Rule
from ._base import (
    _CLIP,
    _DEFAULT,
    _check_params,
    _DREAMOnline,
    _readouts_rule,
)
from ._fast_row import _ROW_R, _TARGET_Y
from ._features import _FROM_AVERAGE, _FROM_LAST
from ._neighbors import _NeighborMean, _Seen
from ._params import _NEIGHBORS
from ._rows import _SHORT, _finite, _not_a_number
from ._scaling import _WINSOR
from ._target import (
    _STEP_FAR,
    _STEP_LOSS,
    _Y_ASIDE,
    _Y_RUN,
    _Y_WARMUP,
    N_STATS,
    _spread_ratio,
    _TargetScaling,
)

__all__ = ["DREAMOnlineRegressor"]

# The rules of the regressor's own parameters (beside the base's).
_REGRESSOR_RULES = {
    "readouts": _readouts_rule(("last", "cell", "linear", "pairs", "hold", "mean", "average")),
    "max_pairs": _INT_GE0,
    "mixture_share": _UNIT,
    "n_neighbors": _NEIGHBORS,
    "neighbors_window": _INT_GE1,
    # normalised LMS steps: 2 and above diverge (see _readouts._MAX_STEP)
    "learning_rate": _Rule("a float in (0, 2)", lambda v: _is_real(v) and 0 < v < 2, float),
}
# Fixed Share: a readout's weight times exp(-_ETA * its absolute error), standardised.
# Absolute rather than squared (the loss until the naive readouts came): at least as good
# on each regression stream of the tuning half (docs/online.md, "The regressor's naive readouts").
_ETA = 1.0
# A readout's error in its step is clipped to +-_ERR_BOUND (standardised): the target
# is read clipped to +-_CLIP, so a readout within those bounds errs by at most twice
# that; one far beyond (a "last" or "hold" readout right after a target far out was
# taken in as the previous target) would otherwise take a step as large as its error
# and keep weights of that size. Never reached on the tuning streams (docs/online.md,
# "Outliers").
_ERR_BOUND = 2.0 * _CLIP
# Fixed Share reads no error beyond _LOSS_CAP of the mixture's spread: one row moves
# one readout's weight against another's by a factor of at most exp(_ETA * _LOSS_CAP).
# Its errors, and the forecast's bound below, are read in the mixture's spread: the
# running standard deviation, or, after a far target, _STEP_LOSS and _STEP_FAR times a
# reference (the typical change from one target to the next, floored) where those are
# smaller, as after a far shift that ended (_target._spread_ratio, round 57).
# 10 since round 59 (50, the forecast's bound, until then): above log(M / mixture_share),
# 8.7 for the default's 6 readouts and 9.4 for the 12 of two generations after a drift,
# so that one row still lifts a readout from the share's floor to the lead (the "hold"
# readout on the row after a far shift it follows; at 5 that took a row more: the MAE
# during a shift of 1,000 twice as large). Not far above it: on a row where every
# readout but one errs by far (the return of a shift that ended, where the readouts
# that start from the previous target err by the whole shift), the others no longer
# all sink to the floor, from which they took some 10 rows to come back. Chosen on the
# development streams of online_robust.py (--part excursion: a target held or walking
# 300 to 3,000 higher for 25 rows, MAE over the 475 rows after 0.37-0.50 -> 0.15-0.18,
# the walk's 2.73 -> 1.10; --part regression: a target stuck at 10,000 for 20 rows,
# 1.7-9.3 times a twin's MAE -> 1.3-5.2); no MAE of the tuning half's regression
# streams moved (streams.py, to four decimals). docs/online.md, "Round 59: Fixed
# Share's cap".
_LOSS_CAP = 10.0
# The forecast reads no readout beyond _FAR_FORECAST standard deviations of the
# mixture's weighted median (_forecast_weights): such a readout takes no part in the
# forecast and the mixture's loss, the others' weights renormalised (its own weight is
# kept, and judged as before). After a glitch of two rows at 1e30, the "last" readout
# starts from the glitch's value with the share it had earned (0.3%), and the row after
# it was forecast at 3.5e27 (the target about 5); now 6.95. Where the readouts that
# start from the previous target ("last", "hold") hold more than half the weight (a
# random walk), the median is the glitch's value and it is still forecast, as the
# last value would forecast it (review 346). Where the readouts agree
# within those bounds (every row of every tuning stream: their MAEs the same to the
# bit) the forecast is the weighted mean as before. Not tuned: the bound was Fixed
# Share's own (50) until round 59 brought that one to 10 (above); the forecast's stayed.
_FAR_FORECAST = 50.0
# The "average" readout starts at most _AVG_CAP standard deviations from the running
# mean: as far as a target is read (the readouts learn it clipped to +-_CLIP). On a
# target with a trend the mean of every target seen falls behind without bound, and
# at the floor's weight it alone took the mixture's MAE to 39.8 over rows
# 45,000-49,999 of a trend of 10 a row, and 81.5 over rows 95,000-99,999, against the
# last value's 10 (review 312; online_robust.py --part trend). Bounded at _LOSS_CAP
# (round 50, when that was 50) it added the floor times 50 standard deviations: 4.44 in each block,
# 1.16-1.18 without the readout. Chosen on the tuning half (round 51): no printed MAE
# of its regression streams moves with the bound at 50, 10, 5, 3 or 2 (RandomWalk's,
# whose mean of every target seen reaches 29 standard deviations, by at most 5e-5 at
# 5). Where the target switches between levels some 70 standard deviations apart,
# the mean of every target seen, halfway, helped at each switch: bounded, MAE up to 7%
# more (online_robust.py --part levels; review 330).
_AVG_CAP = _CLIP
# The kNN expert's scoring reads errors in no unit smaller than this fraction of the
# target's running mean's size (_score_unit, round 63): on a target constant for 100
# rows the standard deviation fell to 1e-12 of the mean, and the last place of the
# readouts' prediction, which the two paths round apart, moved the weights 10% apart.
# At 1e-9 the predictions were still 1e-6 apart; at 1e-6, 8e-10 (a review's fuzzer
# stream: tests/test_online_compiled_review.py). Not tuned otherwise.
_ROUNDING = 1e-6


class _Kept(NamedTuple):
    """What the kNN window keeps of a row's target (``_kept_target``)."""

    value: float  # the target, bounded to lo..hi
    watched: bool  # in a run of far targets, or while a glitch's statistics are kept
    lo: float  # the bounds then: _Y_ASIDE running standard deviations of the mean
    hi: float


def _spread_rows(z: np.ndarray, far: float) -> np.ndarray:
    """The rows of outputs ``z`` (n, M) whose range exceeds ``far``: the only ones
    whose forecast weights differ from the mixture's."""
    return np.flatnonzero(z.max(-1) - z.min(-1) > far)


def _forecast_weights(z: np.ndarray, weights: np.ndarray, far: float) -> np.ndarray:
    """The mixture's weights for the forecast from the readouts' standardised outputs
    ``z`` (M,): ``weights`` where every output is within ``far`` (``_FAR_FORECAST``
    in the mixture's spread: ``DREAMOnlineRegressor._far``) of their weighted median
    (the first in ascending order whose cumulative weight reaches half the total);
    else those of the readouts within it, renormalised, the others 0. The compiled
    forward and learn kernels compute the same (``_kernels._forecast_weights``)."""
    values = z.tolist()  # (a few readouts: Python's max and min are the quicker)
    if not max(values) - min(values) > far:  # (the median lies within the range)
        return weights
    order = np.argsort(z, kind="stable")
    cum = np.cumsum(weights[order])
    median = z[order][np.searchsorted(cum, 0.5 * cum[-1])]
    kept = np.where(np.abs(z - median) <= far, weights, 0.0)
    total = kept.sum()
    return kept / total if total > 0.0 else weights  # (0: an infinite output, review 346)


class DREAMOnlineRegressor(_TargetScaling, _DREAMOnline, base.MiniBatchRegressor):
    """Online regressor: a DREAM cell run along the stream, with a mixture of readouts.

    Each ``learn_one`` is one time step of one long stream: the cell's hidden state
    and fast weights carry over from row to row. Inputs and the target go through
    running standardisations; the cell takes one step on the inputs (and, with
    ``feedback``, on the previous row's target); linear readouts over the hidden
    state and the standardised inputs learn by normalised least mean squares (an
    SGD step divided by ``1 + ‖what the readout reads‖²``, stable on any scale).
    Features may appear at any time. ``predict_one`` is pure.

    With several ``readouts`` the prediction is their weighted mean, the weights
    kept by Fixed Share over the absolute (standardised) errors: after each row the
    weight of each readout is multiplied by ``exp(-|e|)``, normalised, and a share
    ``mixture_share`` of the total spread evenly again. A readout more than 50
    standard deviations from the readouts' weighted median takes no part in that
    row's prediction (after a glitch of two rows the readouts that start from the
    previous target start from the glitch's value: left out where they hold less than
    half the weight, followed where they hold more). The ``"last"`` readout
    starts from the previous target: before it has learned anything it predicts
    the last value, and it learns a correction from how the inputs changed since
    the previous row (on TrumpApproval the last value is hard to beat).

    With ``drift_recovery``, a detector (ADWIN) watches the mixture's absolute
    error, as in :class:`DREAMOnlineClassifier`: a rise flagged at its warning level
    starts background readouts, one flagged at its drift level takes them into the
    mixture beside the old ones (zero readouts where no warning came first), with up
    to twice the usual step while they are fresh.

    Most parameters are read once, at the first row (an assignment afterwards changes
    nothing; ``clone()`` with the new value starts over); river's ``mutate`` changes
    those rows read as they come. Which is which: docs/online.md, "Speed: the compiled row".

    Parameters
    ----------
    hidden_dim : int, default=32
        Number of hidden units of the cell.
    rank : int, default=4
        Rank of the cell's fast weights.
    learning_rate : float, default=0.5
        Normalised step of the readouts, in (0, 2) (``"cell"``: this step,
        ``"pairs"`` and ``"linear"`` half of it, ``"last"`` a tenth). The surprise
        gain and a fresh readout's boost never push a readout's step above
        ``max(its step, 1)`` (1 fits the row exactly; 2 and above diverge).
    l2 : float, default=0.0
        L2 penalty of the readouts (weight decay of each readout's own step times
        ``l2`` per row, the step being ``learning_rate`` times the readout's share
        and the surprise and fresh-readout gains; at most the whole weight: a step
        times ``l2`` above 1 sets the weights to 0).
    feedback : {"cell", "readout", "none"}, default="cell"
        Where the previous row's target goes as an input: into the cell and the
        readout, into the readout only, or nowhere. The readouts that read the
        features' slots alone (``"linear"``) do not read it (the ``"last"`` and
        ``"hold"`` readouts start from the previous target whatever ``feedback``).
    standardize_rate : float, default=0.02
        Rate of the running mean/variance of each input and of the target after
        the first ``1 / standardize_rate`` rows (cumulative before); 0 gives
        cumulative (Welford) statistics throughout; below 1 (at 1 the variance stays
        0). A target more than 10 standard
        deviations from the target's running mean (after 8 targets) is set aside
        when it comes alone: the readouts, the mixture and the target's statistics
        do not learn from it (the cell and the inputs' statistics still take the
        row); a second such row in a row is taken in, and so are those after it
        (the 2nd and 3rd move the target's statistics as a target 5 standard
        deviations out would; from the 4th in full: docs/online.md, "Outliers").
    slow_rate : float or None, default=None
        Rate of a second, slow running standardisation that the readout's linear
        term reads (0: cumulative, Welford); the cell and the ramps keep the fast
        one (``standardize_rate``). None: the readout reads the fast one too.
    n_knots : int, default=5
        Fixed ramps ``0.5 tanh(3 (u - c))`` of each standardised input ``u`` at
        ``n_knots`` thresholds ``c`` evenly spaced in [-1.5, 1.5], added to the
        readout (per-feature threshold rules); 0: none; at most 10,000;
        ``"auto"`` as :class:`DREAMOnlineClassifier` takes it (its development
        streams, of one and two features, were measured at 5 knots: the regressor
        keeps 5 until they are measured again).
    readouts : tuple of str, default=("last", "cell", "pairs", "hold", "mean", "average")
        The readouts trained side by side and mixed: ``"last"`` the previous target
        plus a correction from the change of the standardised inputs since the
        previous row; ``"cell"`` the hidden state, the inputs and their ramps;
        ``"pairs"`` the same plus products of two ramps of different inputs (up to
        ``max_pairs``); ``"linear"`` the standardised inputs. Three naive forecasts
        that learn nothing: ``"hold"`` the previous target, ``"mean"`` the running
        mean of the target (at ``standardize_rate``), ``"average"`` the mean of
        every target seen (cumulative); in the mixture they keep the prediction
        close to the best of them where the inputs do not predict the target (a
        random walk, noise around a level that moves or stays).
    max_pairs : int, default=4096
        At most this many pair features. An input gets its pairs once its values
        vary, the first to vary first: a constant input takes none (one present on
        some rows only reads as an indicator, and takes them). Two inputs get their
        pair once a row has both (two categories of a one-hot feature never do).
    mixture_share : float, default=0.001
        Share of the mixture's weight spread evenly over the readouts after each
        row.
    surprise_gain : float, default=0.0
        Surprise-modulated readout: each SGD step is multiplied by
        ``1 + surprise_gain * S`` where ``S`` is the cell's surprise on that row.
        Helps recovery after a change that shows in the inputs; costs accuracy on
        the drift suite (see docs/online.md), hence off by default.
    drift_recovery : bool, default=True
        Detect a rise of the mixture's error and bring in fresh readouts (above).
        Read at the first row, as the cell's sizes are.
    cell_params : dict, default=None
        Other :class:`~dream_sklearn.nn.DREAMConfig` fields of the cell.
    missing : {"ignore", "raise"}, default="ignore"
        A NaN or None value is a missing feature, as an absent key is (river's
        convention), in every ``*_one`` and ``*_many`` method; ``"raise"``: a
        ValueError naming the feature instead.
    advance_on_predict : bool, default=False
        For labels that come later (``progressive_val_score(delay=...)``):
        ``predict_one`` commits the cell's step on the row
        and its running statistics, so that the memory stays current; the
        ``learn_one`` that brings the row's label (the same row, matched by its
        values, oldest first) then only trains the readouts on what the cell read
        at prediction time, without stepping again. False: prediction is pure and
        ``learn_one`` takes the step (see docs/online.md, "Delayed labels"). For
        the regressor it did not pay: under ``delay=50`` its MAE was not below the
        default's on any tuning stream of ``benchmarks/streams.py``, and below it on
        3 of the other 13 regression streams by at most 1.3% (docs/online.md, "Round
        73: the regressor under a delay"); its rows run on the NumPy path. For
        targets that come late, :class:`DREAMDelayedRegressor` was below the
        default's MAE on 16 of those 18 streams.
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
        ``predict_one`` call that does not raise is a row of the
        stream, and each ``learn_one`` (each row of ``learn_many``) brings the
        label of the oldest one not yet learned, a label ``learn_one`` refuses
        too (it takes its row's place; ``learn_many`` checks every row first and
        a refused frame takes none); ``predict_many`` is pure and counts no row.
        The model may then sit behind a step that learns, such as river's
        ``StandardScaler`` in a ``Pipeline``, whose rows differ between predict
        and learn. Set both parameters before
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
    n_neighbors : int or "auto", default="auto"
        ``"auto"`` (since round 63): 5 while the regressor has seen at most 128
        features, 0 once it has seen more, and an estimate out of play runs on few
        rows: where its weight is below 0.05 the prediction is the readouts'
        mixture's alone, and the estimate is read, scored and kept on every 64th row
        only (on every row while its window holds fewer than 100 rows: at the start,
        and after drift recovery emptied it); its weight starts at Fixed Share's
        floor, so that it earns its place. Local capacity where the readouts lack it,
        at a small cost where it does not pay (``docs/online.md``, "Round 63: the
        regressor's kNN expert by default"). An int runs the estimate on every row
        and always mixes it in. 0: none. Otherwise a k-nearest-neighbours expert
        beside the readouts, for targets local in the input space: the last
        ``neighbors_window`` rows estimate a row's target by the mean of the
        ``n_neighbors`` nearest rows' targets, each weighted by its inverse distance
        (the distance as :class:`DREAMOnlineClassifier`'s expert takes it; the
        previous target is not a feature). The prediction is the weighted mean of
        the readouts' mixture's and the estimate, the weights kept by Fixed Share on
        their absolute errors in the target's standard deviations (at least 1e-6 of
        the running mean's size), as the readouts' mixture is. A target set aside is
        neither kept nor scored, nor any of the first 8 the model learned (a model
        from ``from_sklearn`` has learned them: it keeps its first streamed target);
        a kept target is bounded to 10 running standard deviations of the running
        mean; an estimate farther from the mixture's prediction than the forecast's
        bound on a readout (50 of the mixture's spread) takes no part in the row's;
        drift recovery's action empties the window.
    neighbors_window : int, default=1000
        The rows the kNN expert keeps (read when its window is made: at its first
        row, and again where ``n_neighbors`` was set to 0 and back, which empties the
        window).
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
        ``feedback`` other than ``"cell"`` those inputs read 0 on every row.

    Attributes
    ----------
    cell_ : DREAMCell or None
        The cell (its input dimension grows with the features seen; with
        ``cell="pretrained"`` it is the pretrained cell's, fixed), float64;
        None while no input has reached it. The estimator steps its own copies of the
        weights (NumPy arrays, and the compiled row's buffers) and builds this
        module from them when it is read: it is for reading; changing it in place
        is not a way to change the model.
    last_surprise_ : float
        Surprise of the last committed step (0.0 while no row has reached the
        cell, ``last_tau_`` then being ``nan``).
    last_tau_ : float
        Time constant of the last committed step.
    readout_weights_ : dict
        The weight of each readout in the mixture now.
    n_drifts_ : int
        Drifts acted on (``drift_recovery``).
    n_steps_ : int
        Number of rows learned.

    The attributes ending in ``_`` are fitted attributes, as scikit-learn's: they
    exist from the first ``learn_one`` (or ``learn_many``) on, and reading one before
    it raises ``AttributeError``; but ``n_drifts_`` and ``readout_weights_`` (0 and
    empty until then), and ``features_`` (an empty list until then).

    Examples
    --------
    >>> from river import datasets, evaluate, metrics
    >>> from dream_sklearn.online import DREAMOnlineRegressor
    >>> model = DREAMOnlineRegressor(seed=0)
    >>> evaluate.progressive_val_score(datasets.TrumpApproval(), model, metrics.MAE())
    MAE: 0.184201

    That counts the first row, predicted 0.0 before anything is seen (an error of
    about 43 there); from the second row on the MAE is 0.141, where the last value
    scores 0.151. The mixture leans on the readout that starts from the last value:

    >>> max(model.readout_weights_, key=model.readout_weights_.get)
    'last'
    """

    _task = "regression"
    # drift_recovery: a fresh readout's step starts twice its usual (its normalised
    # step must stay below 2; 1 recovered best on a sign flip of a linear concept).
    _boost = 1.0
    # Defaults for regressors pickled before the mixture existed (one readout).
    _weights = np.ones(1)
    _last_at = np.zeros(0, dtype=np.intp)
    # ... and before the "average" readout (the mean of every target seen).
    _avg_at = np.zeros(0, dtype=np.intp)
    # ... and before the kNN expert (n_neighbors): none.
    neighbors_window = 1000
    _neighbors: _NeighborMean | None = None  # its window
    # (the compiled row's _fast_row an estimate was taken on, the row as the expert
    # reads it, the estimate, the target's scale: predict_one's, for learn_one)
    _neighbor_seen: _Seen | None = None
    # (kept_ever, target) of the rows kept in the kNN window while their target came in
    # a run of far targets or a glitch's statistics were kept (_glitch_undone)
    _y_watched: tuple = ()
    # (and the target statistics' own: _TargetScaling, __setstate__)

    def __init__(
        self,
        hidden_dim: int = _DEFAULT["hidden_dim"],
        rank: int = _DEFAULT["rank"],
        learning_rate: float = 0.5,
        l2: float = 0.0,
        feedback: str = "cell",
        standardize_rate: float = 0.02,
        slow_rate: float | None = None,
        n_knots: int | str = 5,
        readouts: tuple[str, ...] = ("last", "cell", "pairs", "hold", "mean", "average"),
        max_pairs: int = 4096,
        mixture_share: float = 0.001,
        surprise_gain: float = 0.0,
        drift_recovery: bool = True,
        cell_params: dict | None = None,
        missing: str = "ignore",
        advance_on_predict: bool = False,
        match_labels_by: str = "values",
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
        self.n_neighbors = n_neighbors
        self.neighbors_window = neighbors_window
        self.seed = seed
        self.cell = cell

    @classmethod
    def _unit_test_params(cls):
        yield {"hidden_dim": 8, "rank": 2, "seed": 1}
        yield {"hidden_dim": 8, "rank": 2, "seed": 1, "n_neighbors": 3, "neighbors_window": 50}
        yield {
            "hidden_dim": 8,
            "rank": 2,
            "seed": 1,
            "n_knots": 3,
            "slow_rate": 0.0,
            "surprise_gain": 2.0,
            "readouts": ("cell", "linear"),
            "drift_recovery": False,
        }  # the other readout options

    def _unit_test_skips(self) -> set[str]:
        return set()

    def __setstate__(self, state: dict) -> None:
        """Unpickle; a regressor pickled before ``_y_stats`` existed kept its target's
        statistics as attributes of their own (``_y_mean``...)."""
        if "_y_mean" in state and "_y_stats" not in state:
            state = dict(state)
            self._target_stats_from(state)
        elif "_y_stats" in state and len(state["_y_stats"]) < N_STATS:
            state = dict(state)  # (pickled before the typical change: none counted yet)
            stats = state["_y_stats"]
            state["_y_stats"] = np.concatenate([stats, np.zeros(N_STATS - len(stats))])
        super().__setstate__(state)

    _task_rules = _REGRESSOR_RULES  # (read again by _recheck)

    def _validate_params(self) -> None:
        super()._validate_params()
        _check_params(type(self).__name__, _REGRESSOR_RULES, self)

    @property
    def readout_weights_(self) -> dict:
        """``{readout: weight}`` of the mixture now (empty before any learning)."""
        if not self._built:
            return {}
        J = len(self._heads)  # the generations of each readout summed (drift_recovery)
        weights = self._weights.reshape(-1, J).sum(axis=0)
        return dict(zip(self._heads, weights.tolist(), strict=True))

    # ------------------------------------------------------------------ task hooks

    def _readout_names(self) -> tuple:
        return tuple(self.readouts)

    def _build(self, first_keys: Collection = ()) -> None:
        super()._build(first_keys)
        self._build_target_stats()
        self._neighbors = self._neighbor_seen = None
        self._last_at = np.array([j for j, r in enumerate(self._heads) if r in _FROM_LAST], int)
        self._avg_at = np.array([j for j, r in enumerate(self._heads) if r in _FROM_AVERAGE], int)

    def _check_target(self, y) -> float:
        if _not_a_number(y):  # "1.5" too: text is not read as a number (nor a date, an array,
            # nor what float() merely accepts: a bytearray, an object with __float__)
            raise ValueError(f"The target {y!r} is not a number.")
        try:
            value = float(y)
        except OverflowError as err:  # an int or Fraction beyond float's range
            raise ValueError(  # (10**400 was printed whole; review 159)
                f"The target {_SHORT.repr(y)} is too large (at most {MAX_ABS:g} in absolute value)."
            ) from err
        except (TypeError, ValueError) as err:
            raise ValueError(f"The target {y!r} is not a number.") from err
        if math.isinf(value) and _finite(y):  # a Decimal or long double beyond float's
            raise ValueError(  # (read as "not finite": review 357)
                f"The target {_SHORT.repr(y)} is too large (at most {MAX_ABS:g} in absolute value)."
            )
        if not math.isfinite(value):
            raise ValueError(f"The target {y!r} is not finite (NaN or inf).")
        if abs(value) > MAX_ABS:
            raise ValueError(
                f"The target {y!r} is too large (at most {MAX_ABS:g} in absolute value)."
            )
        return value

    def _new_targets(self, y: float) -> list:
        return [] if self._y_count else [None]

    def _add_targets(self, keys: list) -> None:
        self._add_target_slots(keys)

    def _starts(self) -> tuple[np.ndarray, np.ndarray]:
        """Where each readout's output starts, (J,) twice: on the target's scale and
        standardised. A ``"last"`` or ``"hold"`` readout starts from the previous
        target, an ``"average"`` readout from the mean of every target seen (at most
        ``_AVG_CAP`` standard deviations from the running mean), the others from the
        running mean (standardised 0); while the target has no
        spread yet, every readout from the running mean."""
        J = len(self._heads)
        start, shift = np.full(J, self._y_mean), np.zeros(J)
        if self._y_scale() != 0.0:
            if len(self._last_at) and self._last_y is not None:
                start[self._last_at] = self._last_y
                shift[self._last_at] = self._standard(self._last_y)
            if len(self._avg_at) and self._y_count:
                avg, z = self._y_avg, self._standard(self._y_avg)
                if abs(z) > _AVG_CAP:  # (a trend: see _AVG_CAP)
                    z = math.copysign(_AVG_CAP, z)
                    avg = self._y_mean + z * self._y_scale()
                start[self._avg_at] = avg
                shift[self._avg_at] = z
        return start, shift

    def _link(self, z: np.ndarray) -> np.ndarray:
        """The readouts' outputs (standardised), each from its start (_starts)."""
        shift = self._starts()[1]
        if shift.any():  # (the readouts of every generation in _W)
            z[..., 0] += np.tile(shift, z.shape[-2] // len(shift))
        return z

    def _mix(self, out: np.ndarray) -> np.ndarray:
        """The mixture of the readouts' outputs: (..., J, 1) -> (...), each row's
        weights as the forecast reads them (_forecast_weights)."""
        M, far = len(self._weights), self._far()
        z = out[..., :M, 0]  # background readouts take no part
        if z.ndim == 1:
            return z @ _forecast_weights(z, self._weights, far)
        mix = z @ self._weights
        for i in _spread_rows(z, far):
            mix[i] = z[i] @ _forecast_weights(z[i], self._weights, far)
        return mix

    def _far(self) -> float:
        """The forecast's bound on a readout's distance from the others
        (``_forecast_weights``), standardised: ``_FAR_FORECAST`` in the mixture's
        spread (``_target._spread_ratio``)."""
        return _FAR_FORECAST * _spread_ratio(self._y_stats, _STEP_FAR)

    def _fresh_weights(self, kept: np.ndarray) -> np.ndarray:
        """A new generation (drift_recovery) shares its part of the weight as the kept
        one does, readout by readout: its naive readouts predict what the kept ones
        do, and each fresh learned readout starts from its naive forecast (or from
        what it learned since the warning, as background readouts), so the
        prediction stays near the one the mixture trusted until the fresh readouts
        earn or lose weight (an even share put weight on the running mean at once,
        e.g. on a random walk: docs/online.md, "The regressor's average readout")."""
        return kept / kept.sum()

    def _readout_step(self, out, y, phi) -> tuple[np.ndarray, float]:
        """Score the readouts on ``y``: their normalised LMS steps (each divided by
        ``1 + ‖what it reads‖²``), the mixture's absolute error (standardised).
        The readouts learn from the target clipped to ``+-_CLIP`` (their errors
        clipped to ``+-_ERR_BOUND``); the mixture weighs them by their errors against
        the target as it is (a forecast is judged by what happened: with the target's
        statistics held back in a short run of far targets, the clipped target made the
        right forecast, the last value, look far off). A target set aside
        (``_Y_ASIDE``): no step and the mixture's weights as they are; its loss (the
        target clipped) still reaches the drift detector."""
        t = min(max(self._standard(y), -_CLIP), _CLIP)
        err = out[:, 0] - t
        M = len(self._weights)
        loss = abs(float(self._mix(out)) - t)
        if self._y_run < _Y_RUN and self._target_far(y):
            return np.zeros((len(out), 1)), loss
        if M > 1:  # Fixed Share on the absolute errors (from the target as it is), in
            # the mixture's spread (_target._spread_ratio)
            spread = _spread_ratio(self._y_stats, _STEP_LOSS)
            miss = np.abs(out[:M, 0] - self._standard(y)) / spread
            w = self._weights * np.exp(-_ETA * np.minimum(miss, _LOSS_CAP))
            w *= (1.0 - self.mixture_share) / w.sum()
            w += self.mixture_share / M
            self._weights = w
        mask = self._head_mask
        reps = len(out) // len(mask)
        norm = 1.0 + (mask @ (phi * phi))  # (J,)
        if reps > 1:
            norm = np.tile(norm, reps)
        return (np.clip(err, -_ERR_BOUND, _ERR_BOUND) / norm)[:, None], loss

    # ------------------------------------------------------------------ the kNN expert

    def _estimate_on(self, row: np.ndarray, scale: np.ndarray) -> float | None:
        """The kNN estimate on one ``row`` (as _neighbor_rows gives it), in
        ``scale``; None while no row is kept."""
        if self._neighbors is None:  # (the window's size read once: its first row)
            self._neighbors = _NeighborMean(int(self.neighbors_window))
            self._gate_vote(self._neighbors)
            # (the rows of a window gone, numbered as it kept them: a new window
            # numbers its own from 0, and a run watched under the old one relabelled
            # the new one's rows; review 402)
            self._y_watched = ()
        return self._neighbors.estimate(row, scale, self._k_neighbors, self._read_bounds())

    def _read_bounds(self) -> tuple[float, float]:
        """The bounds of each kept target the estimate reads: :meth:`_kept_bounds`,
        widened to the previous target taken in. Where a level announced by a feature
        switches, the statistics lag the level for rows; bounded to them alone, the
        rows kept at the level were read at the bounds, and on the row after the
        switch the estimate missed the level the readouts' "last" already had (984.6
        against 994.5, the level 1,000; online_robust.py --part regimes). A glitch
        taken in as the previous target widens them as far as it, but each kept target
        was bounded when the window kept it (:meth:`_kept_target`): only rows kept
        while the statistics had taken a far level in reach that far."""
        lo, hi = self._kept_bounds()
        last = self._last_y
        return (lo, hi) if last is None else (min(lo, last), max(hi, last))

    def _kept_bounds(self) -> tuple[float, float]:
        """``_Y_ASIDE`` running standard deviations either side of the running mean:
        the bounds of a target the kNN window keeps (:meth:`_kept_target`), and of
        each kept target its estimate reads (``_NeighborMean.estimate``), there
        widened to the previous target (:meth:`_read_bounds`)."""
        bound = _Y_ASIDE * self._y_scale()
        return self._y_mean - bound, self._y_mean + bound

    def _kept_target(self, y: float) -> _Kept | None:
        """What the kNN window keeps of target ``y``, read before the row's update:
        None while fewer than ``_Y_WARMUP`` targets are in (their test comes later)
        and for a target set aside (``_Y_ASIDE``); else ``y`` bounded to ``_Y_ASIDE``
        running standard deviations of the running mean, so that a glitch the
        statistics take in for a few rows and undo later (``_target.py``) cannot
        weigh in the window at its full size (a review's finding: 1e30 on four rows);
        whether the row comes in a run of far targets or while a glitch's statistics
        are kept (:meth:`_glitch_undone` may drop it then, and a row after the run
        that is neither gives its rows their targets back: :meth:`_neighbor_step`);
        and the bounds."""
        if self._y_count < _Y_WARMUP or (self._y_run < _Y_RUN and self._target_far(y)):
            return None
        lo, hi = self._kept_bounds()
        watched = self._y_run > 0 or self._y_undo is not None or self._target_far(y)
        return _Kept(min(max(y, lo), hi), watched, lo, hi)

    def _glitch_undone(self, mean: float, scale: float) -> None:
        """The target's statistics from before a glitch are back (``_undo_target``):
        its rows leave the kNN window too, those of the run kept while it was watched
        whose targets are more than _WINSOR standard deviations (``scale``: the kept
        one, at least the floor of a constant's) from the kept mean. Bounded by the
        glitch's own statistics as they were kept, they had stayed there near their
        full size (a glitch of 8 rows at +1e6 left 4 rows labelled about 1e6 in the
        window for 1,000 rows after the statistics were restored: MAE 171.5 against
        0.109 without it; review 118)."""
        far = [k for k, y in self._y_watched if abs(y - mean) > _WINSOR * scale]
        if far and self._neighbors is not None:
            self._neighbors.drop_kept(far)
        self._y_watched = ()

    def _neighbor_read(
        self, raw: np.ndarray, present: np.ndarray, scale: np.ndarray, out: np.ndarray, y: Any
    ):
        """(row, estimate, the readouts' mixture's prediction, the target's scale,
        the target as the window keeps it: :meth:`_kept_target`, None for none),
        before the row's update."""
        row = self._neighbor_rows(raw, present)
        prediction = float(self._to_target(out))
        return (
            row,
            self._estimate_on(row, scale),
            prediction,
            self._score_unit(),
            self._kept_target(y),
        )

    def _neighbor_learn(self, read: tuple, y: Any, loss: float, drifted: bool) -> None:
        self._neighbor_step(*read, y, drifted)

    def _fast_neighbor_read(self, target: tuple) -> tuple:
        row, q, scale = self._fast_neighbor_seen()
        return row, q, self._fast_row[_ROW_R], scale, self._kept_target(target[_TARGET_Y])

    def _fast_neighbor_learn(self, read: tuple, target: tuple, loss: float, drifted: bool) -> None:
        self._neighbor_step(*read, target[_TARGET_Y], drifted)

    def _fast_neighbor_seen(self) -> tuple:
        """(row, estimate, the target's scale) of the row the compiled row's buffers
        hold, kept for a later read of the same row (the learn_one after a
        predict_one)."""
        self._recheck_neighbors()
        seen = self._neighbor_seen
        if seen is not None and seen.read is self._fast_row:
            return seen.row, seen.q, seen.scale
        row = self._fast_neighbor_row()
        seen = _Seen(self._fast_row, row, self._estimate_on(row, self._scale), self._score_unit())
        self._neighbor_seen = seen
        return seen.row, seen.q, seen.scale

    def _target_jumped(self) -> None:
        """The target of the row just learned moved far from the one before
        (``_target._step_update``: more than ``_WINSOR`` typical changes, the first
        row of such a run): the kNN estimate runs on the next row, out of play too
        (``_NeighborMean.after_jump``). Where a feature announces a new level, the
        rows after its first are where the estimate knows it before the readouts do:
        out of play it is scored on every 64th row only, and its gains after a
        switch rarely fell on one (online_robust.py --part regimes; docs/online.md,
        "Round 64: the kNN estimate after a jump of the target")."""
        if self._neighbors is not None:
            self._neighbors.after_jump()

    def _score_unit(self) -> float:
        """The unit of both experts' errors where the kNN expert is scored: the
        target's running standard deviation, at least ``_ROUNDING`` of its running
        mean's size (0 while there is no spread; read before the row)."""
        scale = self._y_scale()
        return max(scale, _ROUNDING * abs(self._y_mean)) if scale > 0.0 else 0.0

    def _neighbor_step(
        self, row, q: float | None, p: float, scale: float, kept, y: float, drifted: bool
    ) -> None:
        """Empty the window after a drift; weigh the readouts' mixture (its prediction
        ``p``) and the estimate ``q`` by their absolute errors on target ``y``, in
        ``scale`` (:meth:`_score_unit`, before the row); keep the row with
        ``kept`` (:meth:`_kept_target`). A target set aside, or among the first
        ``_Y_WARMUP``, is neither scored nor kept (the readouts do not learn from a
        target set aside)."""
        self._neighbor_seen = None
        window = self._neighbors
        if drifted:  # (first: a drift often acts on a target set aside)
            window.forget()
        if kept is None:
            return
        if q is not None and scale > 0.0:
            # (in no unit smaller than _ROUNDING of the target's own size, too: on the
            # row after a jump to 1e30, the two paths' mixtures were a unit in the last
            # place apart, 1.4e14, which in the running standard deviation of 600 was
            # Fixed Share's cap of 50 on one path and 0 on the other; review 403)
            unit = max(scale, _ROUNDING * abs(y))
            window.score_errors([abs(p - y) / unit, abs(q - y) / unit], _ETA)
        window.ran()
        window.keep(row, kept.value)
        if kept.watched:  # (a glitch's row, maybe: _glitch_undone)
            self._y_watched = (*self._y_watched, (window.kept_ever, y))
        elif self._y_watched:
            # The run was no glitch: the statistics took it in. Its rows get their
            # targets back, bounded as this row's: kept bounded to the statistics of
            # their day, a new level's first rows stayed near the old one (the first
            # switch of a level announced by a feature, 1,000 higher, kept at 15-22:
            # 3 of the 19 rows with the feature on, among the nearest of most rows
            # there, the estimate some 250 low; online_robust.py --part regimes).
            window.relabel(self._y_watched, kept.lo, kept.hi)
            self._y_watched = ()

    def _neighbor_mix(self, p: float, raw: np.ndarray, present: np.ndarray, scale) -> float:
        """The prediction on one row from the readouts' mixture's ``p`` (NumPy path)."""
        if self._neighbors is None or not self._neighbors.reads():
            return p
        q = self._estimate_on(self._neighbor_rows(raw, present), scale)
        return self._neighbors.mix(p, q, self._estimate_bound())

    def _estimate_bound(self) -> float:
        """How far from the readouts' mixture the kNN estimate may lie and still
        count (``_NeighborMean.mix``): the forecast's bound on a readout's distance
        from the others (:meth:`_far`), in the target's units: _FAR_FORECAST times
        the mixture's spread (none while there is no spread yet). In the running
        standard deviation alone (until round 63), which a far shift inflates, an
        estimate from rows kept during a shift of 1e6 that ended counted, and the
        row after its end was off by 9,155 with n_neighbors=5 (the readouts' mixture by 2.84)."""
        scale = self._y_scale()
        return self._far() * scale if scale > 0.0 else math.inf

    def _fast_ready(self) -> bool:
        return self._y_count > 0

    def _fast_target(self, y) -> tuple:
        """The target ``y`` as the compiled row learns it (``_fast_row._TARGET_*``;
        validated as learn_one does; the kernel standardises it)."""
        if type(y) is not float or not -MAX_ABS <= y <= MAX_ABS:  # (NaN and inf too)
            y = self._check_target(y)
        return 0, self._y_slot.get(None, -1), y

    def _target_raw(self, y: float) -> np.ndarray:
        raw = np.zeros(len(self._mean))
        raw[self._y_slot[None]] = y
        return raw

    def _to_target(self, out: np.ndarray) -> np.ndarray:
        """The prediction on the target's scale from the readouts' outputs ``out``
        (..., J', 1), standardised, as ``_link`` leaves them: the mixture of each
        readout's prediction, its start (the previous target, the mean of every target
        seen, or the running mean) plus its learned part on the target's scale.

        Mixing the standardised outputs and scaling back (``y_mean + scale * mix``)
        is the same sum, but lost a naive readout's start to rounding where the
        running mean is far larger than the target (``"hold"`` 5% off the previous
        target after a real shift to 1e30 came back to 1e15: a review's finding).
        """
        M, J, far = len(self._weights), len(self._heads), self._far()
        start, shift = (np.tile(a, -(-M // J))[:M] for a in self._starts())
        z, scale = out[..., :M, 0], self._y_scale()
        if z.ndim == 1:
            w = _forecast_weights(z, self._weights, far)
            return start @ w + scale * ((z - shift) @ w)
        w = self._weights
        forecast = start @ w + scale * ((z - shift) @ w)
        for i in _spread_rows(z, far):
            w = _forecast_weights(z[i], self._weights, far)
            forecast[i] = start @ w + scale * ((z[i] - shift) @ w)
        return forecast

    # ------------------------------------------------------------------ river API

    @property
    def _mutable_attributes(self) -> set:
        return super()._mutable_attributes | {"standardize_rate"}  # (the target's rate)

    def learn_one(self, x: dict, y: base.typing.RegTarget) -> None:
        """Learn one row: one step of the stream, then one step of the readout.

        A call that repeats the last one, as river's bagging and boosting ensembles
        repeat a row for its weight, is learned once: the cell steps once a row, and
        the target is fed back once (what counts as a repeat, and which ensembles it
        covers: docs/online.md, "In river's ensembles").

        ``y`` is a real number; a bool is read as 0 or 1, as river's and
        scikit-learn's regressors read it. Text (``"1.5"``), NaN, inf and values
        beyond 1e100 in absolute value are refused with a ValueError, and the model
        is left as it was.
        """
        self._learn_row(x, y)

    def _fast_predicted(self, r: float) -> float:
        window = self._neighbors
        if window is not None and not window.reads():  # (out of play: not read)
            return r
        if self._k_neighbors:  # (the kNN expert's estimate, kept for learn_one)
            _, q, _ = self._fast_neighbor_seen()
            return self._neighbors.mix(r, q, self._estimate_bound())
        return r

    def predict_one(self, x: dict) -> float:
        """Prediction for the next step; 0.0 before any learning.

        Pure: no prediction or learned state changes. It marks the stream as read,
        so that a ``learn_one`` of the same row twice in a row after it counts once
        (river's ensembles repeat a row for its weight; docs/online.md, "In river's
        ensembles"). A row it refuses leaves the model as it was, that mark too.
        """
        marks = self._read, self._learned_last
        self._read = True  # (see _repeated)
        try:  # (inline, not a helper: the compiled row's time is counted in calls)
            prediction = self._fast_forward(x)  # (the kernel applies _to_target)
            if prediction is not None:
                window = self._neighbors  # (out of play: not read; inline, a row's cost)
                if self._fast.knn and (window is None or window.reads()):
                    return self._fast_predicted(prediction)
                return prediction
            out = self._predict_raw_one(x)
        except BaseException:  # (a refused row: the marks as they were; _repeated)
            self._read, self._learned_last = marks
            raise
        if out is None:
            return 0.0
        prediction = float(self._to_target(out))
        cache = self._cache
        if self._k_neighbors and cache is not None:  # (cache: the row just read)
            advanced = cache.advanced and self._scale_read is not None
            scale = self._scale_read if advanced else self._scale
            prediction = self._neighbor_mix(
                prediction, cache.forward.raw, cache.forward.present, scale
            )
        return prediction

    def learn_many(self, X: pd.DataFrame, y: pd.Series) -> None:
        """Learn the rows of ``X`` in order, as consecutive steps (NaN: missing).

        A Series ``y`` is matched to the rows by its index (the same labels, in any
        order; other labels raise a ValueError); a list or array is read in row order.
        """
        self._learn_frame(X, y)

    def predict_many(self, X: pd.DataFrame) -> pd.Series:
        """Per row, ``predict_one`` from the committed state (NaN: missing)."""
        # (the compiled row, where it can run: predict_one's numbers, the kNN expert's
        # mix too; a frame's outputs mixed by NumPy ended a unit in the last place
        # apart from them)
        predictions = self._fast_predict_frame(X, self._fast_predicted)
        if predictions is not None:
            return pd.Series(predictions, index=X.index, dtype=float)
        forward = self._forward_many(X)
        if forward is None:
            return pd.Series(np.zeros(len(X)), index=X.index)
        raw, present, out = forward
        predictions = self._to_target(out)
        if self._k_neighbors:
            predictions = np.array(
                [
                    self._neighbor_mix(float(p), r, q, self._scale)
                    for p, r, q in zip(predictions, raw, present, strict=True)
                ]
            )
        return pd.Series(predictions, index=X.index)
