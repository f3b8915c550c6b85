"""DREAMRegressor: one (possibly multi-output) target per sequence."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import torch
from sklearn.base import RegressorMixin, _fit_context
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split
from sklearn.utils import check_array
from torch.nn import functional as F

from ._base import _BaseDREAM, _named_conversion
from ._docs import ATTRIBUTES, PARAMETERS
from ._input import _user_stacklevel, check_magnitude, column_stats, fitted_scale

# A target of a later call (partial_fit, or fit with warm_start=True) this many of the
# first call's standard deviations from its mean is off the scale the adam solver
# learns on (_scale_targets warns).
_FAR_TARGET = 100.0

__all__ = ["DREAMRegressor"]


class DREAMRegressor(RegressorMixin, _BaseDREAM):
    __doc__ = (
        """Sequence regressor: DREAM cells read out by a linear layer.

    Each sequence gets one target (a vector with 2-D ``y``). With the default
    ``solver="ridge"`` it is predicted by a ridge readout (fitted in closed form,
    its penalty by generalised cross-validation) of the pooled hidden states of a
    bank of untrained cells (:class:`DREAMFeatures`); with ``solver="adam"``, from
    one cell's hidden state at the last step, trained end to end by gradient
    descent (see :class:`DREAMClassifier`). Targets are standardised inside
    (``y_mean_``, ``y_scale_``) and the squared error is minimised. ``X`` takes
    the same forms as in :class:`DREAMClassifier`.
"""
        + PARAMETERS
        + """
    Attributes
    ----------
    n_outputs_ : int
        Number of targets.
    y_mean_, y_scale_ : ndarray of shape (n_outputs_,)
        The target standardisation of the first fit."""
        + ATTRIBUTES
        + """
    See Also
    --------
    DREAMClassifier : The same network for class labels.
    to_sequences : A ``(sequence id, time)`` DataFrame as a list of sequences.

    Examples
    --------
    >>> import numpy as np
    >>> from dream_sklearn import DREAMRegressor
    >>> rng = np.random.RandomState(0)
    >>> t = np.arange(40)
    >>> freq = rng.uniform(0.1, 0.4, size=120)   # the target: each sine's frequency
    >>> X = np.sin(freq[:, None] * t + rng.uniform(0, 6, size=(120, 1)))[:, :, None]
    >>> X = X + 0.2 * rng.normal(size=X.shape)
    >>> reg = DREAMRegressor(hidden_dim=16, random_state=0).fit(X[:80], freq[:80])
    >>> reg.predict(X[80:82]).shape
    (2,)
    >>> bool(reg.score(X[80:], freq[80:]) >= 0.8)  # R², 0.84 measured
    True
    """
    )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _n_outputs(self) -> int:
        return self.n_outputs_

    def _encode_targets(self, y: Any, *, first: bool, incremental: bool, classes: Any):
        # (allow_nd: a 3-D y gets the message below, which names y)
        with _named_conversion("y"):
            y = check_array(y, ensure_2d=False, allow_nd=True, dtype=np.float64, input_name="y")
        check_magnitude(y, "y")
        if y.ndim == 1:
            y = y[:, None]
        elif y.ndim != 2:
            raise ValueError(f"y must be 1-D or 2-D; got an array of shape {y.shape}.")
        if first:
            self.n_outputs_ = y.shape[1]
        elif y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {y.shape[1]} outputs, but {self._shown_name} was fitted "
                f"with {self.n_outputs_}."
            )
        return y

    def _scale_targets(self, y: np.ndarray, weight: np.ndarray | None, *, first: bool):
        if first:
            self.y_mean_, scale = column_stats(y, weight)
            self.y_scale_ = fitted_scale(scale, self.y_mean_, len(y))
        z = (y - self.y_mean_) / self.y_scale_
        if not first and self.solver == "adam":
            # (the scale is the first call's for good: a first chunk of nearly equal
            # targets left later ones 1e5 standard deviations out, and the solver
            # learned nothing, silently; review 250. Rows of weight 0 add nothing to
            # the loss: not counted; review 254)
            counted = z if weight is None else z[weight > 0]
            far = np.abs(counted).max(axis=0) if len(counted) else np.zeros(0)
            largest = far.max() if far.size else 0.0
            top = torch.finfo(self._module_dtype()).max if hasattr(self, "module_") else np.inf
            spread = counted.std(axis=0) if len(counted) > 1 else np.zeros(0)
            narrow = (spread > 0) & (spread < 1.0 / _FAR_TARGET)
            if largest > top:
                # (the network's targets were inf, and the fit failed as a diverged loss,
                # advising a lower learning rate; review 274)
                raise ValueError(
                    f"y has targets {largest:.3g} y_scale_ from y_mean_ (both kept from "
                    "the first call to fit or partial_fit), beyond what the network's "
                    f"{self._module_dtype()} holds ({top:.3g}): refit with "
                    "warm_start=False, start partial_fit with a chunk whose targets span "
                    "their range, or use solver='ridge'."
                )
            if largest > _FAR_TARGET:
                j = int(far.argmax())
                output = f" (output {j})" if z.shape[1] > 1 else ""
                warnings.warn(
                    f"{self._shown_name}: y has targets{output} {far[j]:.3g} y_scale_ "
                    "from y_mean_, both kept from the first call to fit or partial_fit "
                    "(its targets' mean and standard deviation; y_scale_ is 1 where they "
                    "were all equal). The adam solver learns on targets standardised by "
                    "those, and learns little this far out: start partial_fit with a "
                    "chunk whose targets span their range, refit with warm_start=False, "
                    "or use solver='ridge'.",
                    UserWarning,
                    stacklevel=_user_stacklevel(),
                )
            # The mirror: targets spread over a hundredth of y_scale_ or less (a first
            # chunk of one sequence, or of equal targets, leaves y_scale_ at 1, and
            # targets in units of 1e-3 were learned as noise: R^2 -142,162 without a
            # word; review 274)
            elif narrow.any():
                j = int(np.flatnonzero(narrow)[0])
                output = f" (output {j})" if z.shape[1] > 1 else ""
                warnings.warn(
                    f"{self._shown_name}: y has targets{output} spread over "
                    f"{spread[j]:.3g} y_scale_ (their standard deviation), y_scale_ kept "
                    "from the first call to fit or partial_fit (1 where its targets were "
                    "one or all equal). The adam solver learns on targets standardised by "
                    "it, and learns little of a spread this narrow: start partial_fit "
                    "with a chunk whose targets span their range, refit with "
                    "warm_start=False, or use solver='ridge'.",
                    UserWarning,
                    stacklevel=_user_stacklevel(),
                )
        return z

    def _ridge_offset(self) -> np.ndarray:
        # (several targets: each by its own spread; a target constant in its units is
        # rounding around y_mean_ / y_scale_ here)
        return np.atleast_1d(self.y_mean_ / self.y_scale_)

    def _ridge_targets(self, y: np.ndarray) -> np.ndarray:
        return y

    def _target_tensor(self, y: np.ndarray, device: torch.device) -> torch.Tensor:
        return torch.as_tensor(y, dtype=self._module_dtype(), device=device)

    def _loss(
        self, output: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None
    ) -> torch.Tensor:
        if weight is None:
            return 0.5 * F.mse_loss(output, target)
        per_row = F.mse_loss(output, target, reduction="none").mean(dim=1)
        return 0.5 * (per_row * weight).sum() / weight.sum()

    def _validation_score(
        self, output: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None
    ) -> float:
        return float(r2_score(y, output, sample_weight=sample_weight))

    def _split(self, n: int, y: np.ndarray, rng: np.random.RandomState):
        return train_test_split(np.arange(n), test_size=self.validation_fraction, random_state=rng)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> DREAMRegressor:
        """Fit the network on sequences ``X`` and their targets ``y``.

        Parameters
        ----------
        X : array-like of shape (n_sequences, n_steps, n_features), list of 2-D arrays, \
DataFrame or array-like of shape (n_samples, n_features)
            The sequences (see :class:`DREAMClassifier`).
        y : array-like of shape (n_sequences,) or (n_sequences, n_outputs)
            One target (or target vector) per sequence.
        sample_weight : array-like of shape (n_sequences,), default=None
            Weight of each sequence (non-negative; ``None``: all 1). With
            ``solver="ridge"`` it weighs the sequence's row in the readout's
            statistics and in the input standardisation (weights count relative to
            each other, so a weight of 2 is not the sequence given twice: the
            penalty chosen, ``alpha_``, may differ; weight 0 is the sequence left
            out, as are the lightest sequences whose weights together make up about
            a millionth of the total or less). With ``solver="adam"``, each mini-batch's
            loss is the weighted mean over its sequences, the L2 penalty is divided by
            the mini-batch's total weight (as in ``MLPRegressor``), and the input and
            target standardisations and the plastic memory's mean are weighted too:
            a sequence of weight 0 is as if it were absent (exactly so when the data
            fit in one mini-batch), an integer weight as if it were repeated.

        Returns
        -------
        self : DREAMRegressor
            The fitted estimator (with ``solver="adam"``, its plastic memory
            starts from zero).
        """
        return self._fit(X, y, incremental=False, sample_weight=sample_weight)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> DREAMRegressor:
        """Learn from one more chunk of sequences.

        With ``solver="ridge"`` the chunk's features are added to the readout's
        statistics and the readout solved again (exactly the readout of one fit on
        every chunk so far, with the first call's feature map and scaling). With
        ``solver="adam"``, one pass over ``X`` in order, carrying the plastic
        memory over from the last call.

        Parameters
        ----------
        X : array-like of shape (n_sequences, n_steps, n_features), list of 2-D arrays, \
DataFrame or array-like of shape (n_samples, n_features)
            The sequences.
        y : array-like of shape (n_sequences,) or (n_sequences, n_outputs)
            One target per sequence.
        sample_weight : array-like of shape (n_sequences,), default=None
            Weight of each sequence, as in :meth:`fit`.

        Returns
        -------
        self : DREAMRegressor
            The updated estimator.
        """
        return self._fit(X, y, incremental=True, sample_weight=sample_weight)

    def predict(self, X: Any) -> np.ndarray:
        """Predicted target of each sequence (with ``solver="adam"``, each started
        from ``memory_``).

        Parameters
        ----------
        X : array-like of shape (n_sequences, n_steps, n_features), list of 2-D arrays, \
DataFrame or array-like of shape (n_samples, n_features)
            The sequences.

        Returns
        -------
        y : ndarray of shape (n_sequences,) or (n_sequences, n_outputs_)
            1-D when there is a single target.
        """
        y = self._predict_outputs(X) * self.y_scale_ + self.y_mean_
        return y.ravel() if self.n_outputs_ == 1 else y

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """R² on ``X`` and ``y`` (``y`` aligned by sequence id when it can be).

        Parameters
        ----------
        X : array-like, list of 2-D arrays or DataFrame
            The sequences.
        y : array-like of shape (n_sequences,) or (n_sequences, n_outputs)
            True targets.
        sample_weight : array-like of shape (n_sequences,), default=None
            Weights of the sequences.

        Returns
        -------
        score : float
            The coefficient of determination.
        """
        if sample_weight is not None:
            sample_weight = self._aligned_y(X, sample_weight, "sample_weight")  # (by id, as fit)
        y = self._aligned_y(X, y)
        y_pred = self.predict(X)
        # R² in units of the power of two nearest y_scale_: the same value (a division
        # by a power of two is exact), where in a target's own units below about 1e-154
        # every squared residual underflowed to 0 and R² read 1.0 (0 / 0; review 323).
        # Anything else (text, another number of outputs) goes to scikit-learn's score,
        # which says what is wrong.
        try:
            y_true = np.asarray(y, dtype=np.float64)
        except (TypeError, ValueError):
            y_true = None
        unit = np.exp2(np.round(np.log2(self.y_scale_)))
        if self.n_outputs_ == 1:
            unit = unit[0]
        elif y_true is None or y_true.ndim != 2 or y_true.shape[1] != len(unit):
            y_true = None
        if y_true is None or not np.all(np.isfinite(unit)):
            return super().score(X, y, sample_weight)
        return float(r2_score(y_true / unit, y_pred / unit, sample_weight=sample_weight))
