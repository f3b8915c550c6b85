"""DREAMOnlineRegressor: a river regressor on one long stream, with a DREAM cell."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from river import base

from .._limits import MAX_ABS
from ._base import _CLIP, _DEFAULT, _DREAMOnline

__all__ = ["DREAMOnlineRegressor"]


class DREAMOnlineRegressor(_DREAMOnline, base.MiniBatchRegressor):
    """Online regressor: a DREAM cell run along the stream, with a linear readout.

    Each ``learn_one`` is one time step of one long stream: the cell's hidden state
    and fast weights carry over from row to row. Inputs and the target go through
    running standardisations; the cell takes one step on the inputs (and, with
    ``feedback``, on the previous row's target); a linear readout over the hidden
    state and the standardised inputs learns by normalised least mean squares
    (an SGD step divided by ``1 + ‖[h, u, 1]‖²``, stable on any scale). Features
    may appear at any time. ``predict_one`` is pure.

    Parameters
    ----------
    hidden_dim : int, default=32
        Number of hidden units of the cell.
    rank : int, default=4
        Rank of the cell's fast weights.
    learning_rate : float, default=0.5
        Normalised step of the readout, in (0, 2) for stability.
    l2 : float, default=0.0
        L2 penalty of the readout (weight decay ``learning_rate * l2`` per row).
    feedback : {"cell", "readout", "none"}, default="cell"
        Where the previous row's target goes as an input: into the cell and the
        readout, into the readout only, or nowhere.
    standardize_rate : float, default=0.02
        Rate of the running mean/variance of each input and of the target after
        the first ``1 / standardize_rate`` rows (cumulative before); 0 gives
        cumulative (Welford) statistics throughout.
    slow_rate : float or None, default=None
        Rate of a second, slow running standardisation that the readout's linear
        term reads (0: cumulative, Welford); the cell and the ramps keep the fast
        one (``standardize_rate``). None: the readout reads the fast one too.
    n_knots : int, default=0
        Fixed ramps ``0.5 tanh(3 (u - c))`` of each standardised input ``u`` at
        ``n_knots`` thresholds ``c`` evenly spaced in [-1.5, 1.5], added to the
        readout (per-feature threshold rules); 0: none.
    surprise_gain : float, default=0.0
        Surprise-modulated readout: each SGD step is multiplied by
        ``1 + surprise_gain * S`` where ``S`` is the cell's surprise on that row.
        Helps recovery after a change that shows in the inputs; costs accuracy on
        the drift suite (see docs/online.md), hence off by default.
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
        ``learn_one`` takes the step (see docs/online.md, "Delayed labels").
    seed : int, default=None
        Seed of the cell's random initialisation.

    Attributes
    ----------
    cell_ : DREAMCell
        The cell (its input dimension grows with the features seen).
    last_surprise_ : float
        Surprise of the last committed step (``nan`` before any).
    last_tau_ : float
        Time constant of the last committed step.
    n_steps_ : int
        Number of rows learned.

    Examples
    --------
    >>> from river import datasets, evaluate, metrics
    >>> from dream_sklearn.online import DREAMOnlineRegressor
    >>> model = DREAMOnlineRegressor(seed=0)
    >>> evaluate.progressive_val_score(datasets.TrumpApproval(), model, metrics.MAE())
    MAE: 0.23
    """

    _task = "regression"

    def __init__(
        self,
        hidden_dim: int = _DEFAULT["hidden_dim"],
        rank: int = _DEFAULT["rank"],
        learning_rate: float = 0.5,
        l2: float = 0.0,
        feedback: str = "cell",
        standardize_rate: float = 0.02,
        slow_rate: float | None = None,
        n_knots: int = 0,
        surprise_gain: float = 0.0,
        cell_params: dict | None = None,
        missing: str = "ignore",
        advance_on_predict: bool = False,
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
        self.missing = missing
        self.advance_on_predict = advance_on_predict
        self.seed = seed

    @classmethod
    def _unit_test_params(cls):
        yield {"hidden_dim": 8, "rank": 2, "seed": 1}
        yield {
            "hidden_dim": 8,
            "rank": 2,
            "seed": 1,
            "n_knots": 3,
            "slow_rate": 0.0,
            "surprise_gain": 2.0,
        }  # the other readout options

    def _unit_test_skips(self) -> set[str]:
        return set()

    # ------------------------------------------------------------------ task hooks

    def _build(self) -> None:
        super()._build()
        self._y_count = 0
        self._y_mean = 0.0
        self._y_var = 0.0

    def _check_target(self, y) -> float:
        if isinstance(y, str | bytes):  # "1.5" too: text is not read as a number
            raise ValueError(f"The target {y!r} is not a number.")
        try:
            value = float(y)
        except (TypeError, ValueError) as err:
            raise ValueError(f"The target {y!r} is not a number.") from err
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

    def _y_scale(self) -> float:
        return math.sqrt(self._y_var) if self._y_count > 1 else 0.0

    def _link(self, z: np.ndarray) -> np.ndarray:
        return z

    def _readout_step(self, out, y, phi) -> np.ndarray:
        scale = self._y_scale()
        t = 0.0 if scale == 0.0 else (y - self._y_mean) / scale
        t = min(max(t, -_CLIP), _CLIP)
        norm = 1.0 + float(phi @ phi)  # 1 + ‖[h, u, ramps, 1]‖²
        return self._head_lr[:, None] * (out - t) / norm

    def _update_target_stats(self, y: float) -> None:
        self._y_count += 1
        rate = max(self.standardize_rate, 1.0 / self._y_count)
        delta = y - self._y_mean
        self._y_mean += rate * delta
        self._y_var = (1.0 - rate) * (self._y_var + rate * delta * delta)

    def _target_raw(self, y: float) -> np.ndarray:
        raw = np.zeros(len(self._mean))
        raw[self._y_slot[None]] = y
        return raw

    def _to_target(self, out: np.ndarray) -> np.ndarray:
        return self._y_mean + self._y_scale() * out

    # ------------------------------------------------------------------ river API

    def learn_one(self, x: dict, y: base.typing.RegTarget) -> None:
        """Learn one row: one step of the stream, then one step of the readout."""
        self._learn(x, y)

    def predict_one(self, x: dict) -> float:
        """Prediction for the next step (pure); 0.0 before any learning."""
        out = self._predict_raw_one(x)
        if out is None:
            return 0.0
        return float(self._to_target(out[0, 0]))

    def learn_many(self, X: pd.DataFrame, y: pd.Series) -> None:
        """Learn the rows of ``X`` in order, as consecutive steps (NaN: missing).

        A Series ``y`` is matched to the rows by its index (the same labels, in any
        order; other labels raise a ValueError); a list or array is read in row order.
        """
        self._learn_frame(X, y)

    def predict_many(self, X: pd.DataFrame) -> pd.Series:
        """Per row, ``predict_one`` from the committed state (NaN: missing)."""
        out = self._predict_raw_many(X)
        if out is None:
            return pd.Series(np.zeros(len(X)), index=X.index)
        return pd.Series(self._to_target(out[:, 0, 0]), index=X.index)
