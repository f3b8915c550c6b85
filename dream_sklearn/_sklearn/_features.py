"""DREAMFeatures: an untrained DREAM cell as a fast feature map of whole sequences."""

from __future__ import annotations

import dataclasses
import reprlib
from collections.abc import Iterator
from functools import partial
from numbers import Integral, Real
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import sklearn
import torch
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, InvalidParameterError, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ..nn import DREAM, DREAMConfig
from ..nn._cell import _seeded
from ..nn._config import _check_cell_param, _front_defaults
from ._input import (
    _DTYPES,
    _input_tensor,
    _is_multiindex_frame,
    _Ragged,
    _series_ids,
    align_targets,
    check_magnitude,
    check_time_columns,
    column_stats,
    fitted_scale,
    fitted_width,
    one_step_lengths,
    to_long,
)

__all__ = ["DREAMFeatures"]

# The cell's parameters it takes by name: DREAMConfig's defaults, except the
# overrides in nn._config._FRONT_OVERRIDES["features"].
_CELL_PARAMS = ("hidden_dim", "rank", "plasticity")
# DREAMConfig's fields that cell_params may not hold: set from X and _CELL_PARAMS.
_OWN_FIELDS = ("input_dim", "hidden_dim", "rank", "plasticity_enabled")
_DEFAULT = _front_defaults("features", _CELL_PARAMS)

_POOLS = ("mean", "max", "last", "ppv")


class _Bank(NamedTuple):
    """The parameters that shape the features, as ``fit`` read them (``_bank``): a
    fitted bank keeps them until the next fit (its cell's inputs and its PPV
    thresholds were made for them; ``set_params`` between fit and transform mixed
    the two, or failed deep in the cell: a review's finding)."""

    timescales: tuple[float, ...]
    differences: bool
    lags: int
    pooling: tuple[str, ...]
    fast_weights: bool
    input_scale: float

    @classmethod
    def of(cls, est: DREAMFeatures) -> _Bank:
        return cls(
            tuple(float(s) for s in est.timescales),
            bool(est.differences),
            int(est.lags),
            tuple(est.pooling),
            bool(est.fast_weights),
            float(est.input_scale),
        )


# Steps per sequence sampled (per bank and unit) to place the PPV thresholds.
_QUANTILE_SAMPLE = 4096
# Training sequences run to place the PPV thresholds.
_THRESHOLD_SEQUENCES = 32
# Time steps the bank runs at once: a longer chunk runs in windows of this many steps,
# its state carried from one to the next and its pooling summed over them (one series
# of 100,000 steps among 500 of 20 grew the process by 736 MB, its trajectories and
# their copies held whole; round 40). A chunk of at most this many steps runs as one window,
# its features as before to the bit; a longer one's move by rounding (sums taken in
# another order).
_WINDOW = 4096


def _chunks(lengths: np.ndarray, batch_size: int) -> Iterator[np.ndarray]:
    """The positions of the sequences run at once: in order of length, at most
    ``batch_size`` of them, and a chunk's padded steps at most twice its sequences'
    own (at least one sequence).

    A chunk is padded to its longest sequence: run in the order given, one long
    sequence among short ones padded its whole chunk, 256 sequences of 50 steps to
    2,000, about 3 GB and 15 times the time (review 169). (A budget of ``batch_size``
    times the median length ran long sequences one at a time where just over half
    were short, 18 times slower: review 174.) Sequences of one length keep their
    order and chunks, so their features are as before to the bit.
    """
    order = np.argsort(lengths, kind="stable")
    start, n = 0, len(order)
    while start < n:
        stop, steps = start + 1, int(lengths[order[start]])
        while stop < n and stop - start < batch_size:
            longest = int(lengths[order[stop]])  # (in order: the chunk's longest)
            if (stop - start + 1) * longest > 2 * (steps + longest):
                break
            steps += longest
            stop += 1
        yield order[start:stop]
        start = stop


def _own_quantiles(values: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """Unit j's quantile ``q[j]`` of its column ``values[:, j]``, (units,): one sort,
    then torch.quantile's linear interpolation, to the bit. torch.quantile with a
    quantile per unit took every unit's quantile of every column, a (units, units)
    matrix whose diagonal was kept: 2 GB at hidden_dim=8000 (review 317)."""
    ordered = values.sort(dim=0).values
    ranks = q * (len(values) - 1)
    below = ranks.to(torch.long)
    above = ranks.ceil().to(torch.long)
    columns = torch.arange(values.shape[1])
    return torch.lerp(ordered[below, columns], ordered[above, columns], ranks - below)


class DREAMFeatures(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Features of whole sequences from an untrained DREAM cell (a random-feature map).

    Each sequence is run through one DREAM cell with random, untrained weights,
    several times at once with different time constants (a bank: each copy gets
    its own Euler step ``dt`` through the layer's ``timespans``, so its hidden
    state remembers about ``timescales[k]`` steps). The trajectory of the hidden
    state ``h`` of each copy is pooled over the sequence's valid steps, and the
    copy's fast weights ``U`` after the last step can be appended. Nothing is
    learned by gradient: ``fit`` only sets the input standardisation and the
    thresholds of the ``"ppv"`` pooling, so it takes about as long as one pass
    over the data. Put a linear readout behind it, e.g.
    ``make_pipeline(DREAMFeatures(), StandardScaler(), RidgeClassifierCV())``
    (the idea of MiniRocket and of reservoir computing).

    Parameters
    ----------
    hidden_dim : int, default=64
        Hidden units of the cell.
    rank : int, default=4
        Rank of the fast weights ``U``.
    timescales : tuple of float, default=(2.0, 8.0, 32.0, 128.0)
        Memory of each copy of the bank, in steps: copy ``k`` runs with
        ``dt = ltc_tau_sys / timescales[k]`` (capped at ``ltc_tau_sys``, a step
        that moves ``h`` all the way to its target).
    differences : bool, default=True
        Give the cell the first difference of every feature (``x_t - x_{t-1}``,
        zero at the first step) as extra features.
    lags : int, default=2
        Earlier steps given to the cell beside each step: copy ``k`` reads
        ``x_t, x_{t-δ}, ..., x_{t-lags·δ}`` with the dilation ``δ = max(1,
        round(timescales[k] / 4))`` (zeros before the first step), so each unit's
        drive is a random dilated filter of the input, as in MiniRocket.
    pooling : tuple of {"mean", "max", "last", "ppv"}, default=("mean", "max", "last", "ppv")
        Statistics of each unit's ``h`` over the valid steps: mean, maximum, value
        at the last step, and the proportion of steps where it exceeds a threshold
        (MiniRocket's PPV; the threshold of each unit is a random quantile, in
        [0.25, 0.75], of its values on a sample of the training sequences' steps:
        up to 32 sequences, then up to 4,096 of their steps, both drawn by position
        with ``random_state``, so the thresholds depend on the order of the
        training sequences as well as on their values).
    fast_weights : bool, default=False
        Append the fast weights ``U`` (``hidden_dim * rank`` values per copy) after
        each sequence. Off by default: on the development sets they did not make
        a better summary than the pooled ``h`` (``docs/sklearn.md``).
    plasticity : bool, default=False
        Hebbian updates of ``U`` while each sequence runs (with ``False``, ``U``
        stays zero and ``fast_weights`` adds only zeros). Off by default: on the
        development sets the plastic cell's pooled states scored the same (mean
        accuracy 0.874 vs 0.871 over 3 seeds) and took about 20% longer
        (``docs/sklearn.md``).
    input_scale : float, default=2.0
        Factor on the standardised inputs (larger values drive the ``tanh`` of the
        cell further into saturation).
    cell_params : dict, default=None
        Other fields of :class:`dream_sklearn.nn.DREAMConfig` (e.g.
        ``{"ltc_enabled": False}``); not ``input_dim``, ``hidden_dim``, ``rank`` or
        ``plasticity_enabled``, which come from ``X`` and the parameters above (a
        ``ValueError``). ``time_step`` is taken and not read: each copy steps by its
        own timescale (``timescales``).
    standardize : bool, default=True
        Standardise each feature with its mean and standard deviation over all
        steps of the training sequences.
    batch_size : int, default=256
        Sequences run at once (times ``len(timescales)`` rows in the cell); bounds
        the memory the cell uses. Sequences of unequal lengths are run in order
        of length, and a chunk's padded steps are at most twice its sequences'
        own; each chunk is padded as it runs, so one series of 20,000 steps among
        500 of 20 costs what its values do (until round 38 the standardised
        sequences were held padded to the longest, all at once: 80 MB for 0.24 MB
        of values; ``python benchmarks/speed.py --only memory``). A chunk longer
        than 4,096 steps runs in windows of 4,096, its state carried from one to
        the next: until round 40 its trajectories were held whole (one series of
        100,000 steps: 736 MB, now 54 MB); its features move by rounding.
    layout : {"channels_last", "channels_first"} or None, default=None
        How ``X`` is laid out, as for :class:`DREAMClassifier`: ``None`` and
        ``"channels_last"`` read ``(n, n_steps, n_features)`` (``None`` warns when it
        looks channels-first); ``"channels_first"`` reads aeon's ``(n_cases,
        n_channels, n_timepoints)`` and lists of ``(n_channels, n_timepoints_i)``.
    dtype : {"float32", "float64"}, default="float32"
        Floating-point type the cell runs in. float32 is faster and its features
        are the same up to rounding; the features are returned as float64 either
        way.
    random_state : int, RandomState instance or None, default=None
        Seeds the cell's weights and the PPV thresholds.

    Attributes
    ----------
    n_features_in_ : int
        Features per step.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features, when ``X`` was a DataFrame with string column names.
    module_ : dream_sklearn.nn.DREAM
        The untrained layer (in ``dtype``).
    x_mean_, x_scale_ : ndarray of shape (n_features_in_,)
        The input standardisation.
    thresholds_ : ndarray of shape (len(timescales), hidden_dim)
        The PPV threshold of each unit of each copy.
    n_features_out_ : int
        Number of output features.

    Notes
    -----
    A fitted bank keeps the parameters that shape its features (``timescales``,
    ``differences``, ``lags``, ``pooling``, ``fast_weights``, ``input_scale``, and
    as for every fitted bank ``hidden_dim``, ``rank``, ``plasticity``,
    ``cell_params``, ``standardize`` and ``dtype``) as they were at ``fit``:
    ``set_params`` changes them from the next fit on. ``batch_size`` and ``layout``
    are read by each call.

    See Also
    --------
    DREAMClassifier : This bank with a ridge readout (its default solver), or one
        cell trained end to end by gradient descent (``solver="adam"``).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import RidgeClassifierCV
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from dream_sklearn import DREAMFeatures
    >>> rng = np.random.RandomState(0)
    >>> t = np.arange(60)
    >>> freq = rng.choice([0.1, 0.3], size=120)       # two frequencies to tell apart
    >>> X = np.sin(freq[:, None] * t + rng.uniform(0, 6, size=(120, 1)))[:, :, None]
    >>> X = X + 0.3 * rng.normal(size=X.shape)         # 120 sequences, 60 steps, 1 feature
    >>> y = (freq > 0.2).astype(int)
    >>> features = DREAMFeatures(hidden_dim=16, random_state=0).fit(X[:80])
    >>> features.transform(X[:2]).shape
    (2, 256)
    >>> model = make_pipeline(DREAMFeatures(hidden_dim=16, random_state=0),
    ...                       StandardScaler(), RidgeClassifierCV())
    >>> round(model.fit(X[:80], y[:80]).score(X[80:], y[80:]), 2)
    1.0
    """

    _parameter_constraints: dict = {
        # the cell's parameters: DREAMConfig's rules (_validate_params)
        "hidden_dim": "no_validation",
        "rank": "no_validation",
        "timescales": [tuple, list],
        "differences": ["boolean"],
        "lags": [Interval(Integral, 0, None, closed="left")],
        "pooling": [tuple, list],
        "fast_weights": ["boolean"],
        "plasticity": "no_validation",
        "input_scale": [Interval(Real, 0, None, closed="neither")],
        "cell_params": [dict, None],
        "standardize": ["boolean"],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "layout": [StrOptions({"channels_last", "channels_first"}), None],
        "dtype": [StrOptions(set(_DTYPES))],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        hidden_dim: int = _DEFAULT["hidden_dim"],
        *,
        rank: int = _DEFAULT["rank"],
        timescales: tuple[float, ...] = (2.0, 8.0, 32.0, 128.0),
        differences: bool = True,
        lags: int = 2,
        pooling: tuple[str, ...] = _POOLS,
        fast_weights: bool = False,
        plasticity: bool = _DEFAULT["plasticity"],
        input_scale: float = 2.0,
        cell_params: dict | None = None,
        standardize: bool = True,
        batch_size: int = 256,
        layout: str | None = None,
        dtype: str = "float32",
        random_state: int | np.random.RandomState | None = None,
    ) -> None:
        self.hidden_dim = hidden_dim
        self.rank = rank
        self.timescales = timescales
        self.differences = differences
        self.lags = lags
        self.pooling = pooling
        self.fast_weights = fast_weights
        self.plasticity = plasticity
        self.input_scale = input_scale
        self.cell_params = cell_params
        self.standardize = standardize
        self.batch_size = batch_size
        self.layout = layout
        self.dtype = dtype
        self.random_state = random_state

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """The names of the features out: ``dreamfeatures0``, ``dreamfeatures1``, ...

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Checked against the names seen in ``fit``. After a fit on a 2-D table of
            univariate series (``layout="channels_first"``), the names of its columns,
            its time points (a ``ColumnTransformer`` passes them; they were refused
            as not ``n_features_in_`` long, review 163).

        Returns
        -------
        ndarray of str objects
            One name per feature out.

        Examples
        --------
        >>> import numpy as np
        >>> from dream_sklearn import DREAMFeatures
        >>> X = np.random.default_rng(0).normal(size=(6, 5, 2))
        >>> DREAMFeatures(hidden_dim=2, random_state=0).fit(X).get_feature_names_out()[:2]
        array(['dreamfeatures0', 'dreamfeatures1'], dtype=object)
        """
        width = getattr(self, "_time_width", None)
        if (
            input_features is not None
            and width is not None
            and len(input_features) != getattr(self, "n_features_in_", None)
        ):
            names = [str(c) for c in input_features]
            fitted = getattr(self, "_time_columns", None)
            # (labels that are not text: scikit-learn passes the names it makes, x0...,
            # review 164; only their count is checked then)
            text = fitted is not None and all(isinstance(c, str) for c in fitted)
            if len(names) != width or (text and names != fitted):
                raise ValueError(
                    f"input_features must be the {width} time points' column names the fit "
                    f"saw (layout='channels_first'); got {reprlib.repr(names)}."
                )
            input_features = None
        return super().get_feature_names_out(input_features)

    @property
    def _n_features_out(self) -> int:
        """For ``get_feature_names_out`` (``dreamfeatures0``, ...) and ``set_output``."""
        return self.n_features_out_

    def __setstate__(self, state: dict) -> None:
        """Load a pickled state; one saved before ``dtype`` existed ran in float32
        (``_dtype_defaulted``: the estimator holding it may say otherwise)."""
        if "dtype" not in state:
            state = {"dtype": "float32", "_dtype_defaulted": True, **state}
        super().__setstate__(state)
        if "module_" in state and "_bank" not in state:  # (fitted before _bank was kept)
            self._bank = _Bank.of(self)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags

    def _validate_params(self) -> None:
        """scikit-learn's checks of ``_parameter_constraints``, then the cell's
        parameters by DREAMConfig's rules."""
        super()._validate_params()
        for name in _CELL_PARAMS:
            _check_cell_param(type(self).__name__, name, getattr(self, name), InvalidParameterError)

    def _check_options(self) -> None:
        name = type(self).__name__
        # (they went to the cell twice: a TypeError from functools.partial, or from
        # DREAM; plasticity_enabled overrode plasticity silently: a review's finding)
        # (torch's device and dtype reached the cell once it took them: a bank runs on
        # the CPU in `dtype`; review 114)
        fields = {f.name for f in dataclasses.fields(DREAMConfig)}
        unknown = [k for k in (self.cell_params or {}) if k not in fields]
        if unknown:
            raise ValueError(
                f"The 'cell_params' parameter of {name} takes fields of DREAMConfig; "
                f"{unknown} are not (the bank runs on the CPU, in its dtype parameter). "
                f"Got {self.cell_params!r} instead."
            )
        taken = [k for k in _OWN_FIELDS if k in (self.cell_params or {})]
        if taken:
            raise ValueError(
                f"The 'cell_params' parameter of {name} must not hold {taken}: the number "
                "of inputs comes from X, and hidden_dim, rank and plasticity are "
                f"{name}'s own parameters. Got {self.cell_params!r} instead."
            )
        scales = list(self.timescales)
        if not scales or not all(
            isinstance(s, Real) and not isinstance(s, bool) and np.isfinite(s) and s > 0
            for s in scales
        ):
            raise ValueError(
                f"The 'timescales' parameter of {name} must be a non-empty tuple of "
                f"finite floats > 0. Got {self.timescales!r} instead."
            )
        pools = list(self.pooling)
        bad = [p for p in pools if p not in _POOLS]
        if bad or len(set(pools)) != len(pools) or not (pools or self.fast_weights):
            raise ValueError(
                f"The 'pooling' parameter of {name} must be a tuple of distinct names "
                f"from {_POOLS} (non-empty unless fast_weights=True). "
                f"Got {self.pooling!r} instead."
            )

    def _start(self) -> None:
        """Check the parameters and keep those that shape the features (``_bank``),
        before a bank is built from them (``fit``, or an estimator's ridge solver)."""
        self._check_options()
        self._bank = _Bank.of(self)

    def _read(self, X: Any, *, reset: bool) -> tuple[_Ragged, np.ndarray]:
        """The standardised sequences and their lengths (:meth:`_run` pads each
        chunk and makes its cell inputs)."""
        check_time_columns(self, X, self.layout, reset=reset)
        long, lengths, _ = to_long(X, self.layout, None if reset else fitted_width(self))
        long = validate_data(self, long, reset=reset, dtype=np.float64)
        check_magnitude(long, "X")
        if lengths is None:
            seen = 1 if reset else getattr(self, "_max_steps", 1)
            lengths = one_step_lengths(long, seen, type(self).__name__)
        if reset:
            self._max_steps = int(lengths.max())
            if self.standardize:
                self.x_mean_, scale = column_stats(long)
                self.x_scale_ = fitted_scale(scale, self.x_mean_, len(long))
            else:
                self.x_mean_ = np.zeros(long.shape[1])
                self.x_scale_ = np.ones(long.shape[1])
        return _Ragged((long - self.x_mean_) / self.x_scale_, lengths), lengths

    def _cell_inputs(self, X3: np.ndarray) -> np.ndarray:
        """The standardised padded array as the cell reads it: with the first
        differences appended (when ``differences``), times ``input_scale``. Made a
        chunk at a time (:meth:`_run`): for the whole array, padded to its longest
        sequence, it was two more copies of it (one series of 20,000 steps among
        500 of 20: 401 MB; review 170)."""
        if self._bank.differences:
            diff = np.diff(X3, axis=1, prepend=X3[:, :1])
            # The step after a sequence's end is padding: its difference is not used.
            X3 = np.concatenate([X3, diff], axis=2)
        return X3 * self._bank.input_scale

    def _dilation(self, k: int) -> int:
        return max(1, round(float(self._bank.timescales[k]) / 4))

    def _taps(self, x: torch.Tensor, k: int) -> torch.Tensor:
        """Copy ``k``'s input: ``x_t`` and ``lags`` earlier steps ``x_{t - j * dilation}``
        (zeros before the start) side by side."""
        taps, delta, steps = [x], self._dilation(k), x.shape[1]
        for j in range(1, self._bank.lags + 1):
            shift = min(j * delta, steps)
            taps.append(
                torch.cat([x.new_zeros(x.shape[0], shift, x.shape[2]), x[:, : steps - shift]], 1)
            )
        return torch.cat(taps, dim=2)

    def _bank_dtype(self) -> torch.dtype:
        """The fitted bank's dtype (``dtype`` as it was at fit; set_params does not
        change a fitted bank)."""
        return next(self.module_.parameters()).dtype

    def _dts(self) -> torch.Tensor:
        tau = float(self.module_.config.ltc_tau_sys)
        dtype = self._bank_dtype()
        return torch.tensor([min(tau / s, tau) for s in self._bank.timescales], dtype=dtype)

    def _run(self, X3: _Ragged, lengths: np.ndarray):
        """Yield ``(rows, lengths, windows)`` chunk by chunk (:func:`_chunks`: ``rows``
        the chunk's positions in the standardised array ``X3``, ``lengths`` its
        sequences' lengths repeated for each copy), ``windows`` yielding ``(outputs,
        state, mask)`` over consecutive windows of at most :data:`_WINDOW` steps,
        the state carried from one to the next (the last's is the final state). The
        bank's copies are stacked copy-major: row ``k * b + i`` is copy ``k`` of
        sequence ``i``."""
        K, dts, dtype = len(self._bank.timescales), self._dts(), self._bank_dtype()
        for rows in _chunks(lengths, self.batch_size):
            lb = torch.as_tensor(lengths[rows])
            steps = int(lb.max())
            lk = lb.repeat(K)
            spans = dts.repeat_interleave(len(rows))[:, None]
            yield rows, lk, self._windows(X3[rows, :steps], lk, spans, dtype)

    def _windows(self, xs: np.ndarray, lk: torch.Tensor, spans: torch.Tensor, dtype):
        """The windows of one chunk ``xs`` (its padded standardised sequences), as
        :meth:`_run` yields them. Each window's cell inputs are made from its steps
        and the ones before it that its differences and lags read."""
        K, steps = len(self._bank.timescales), xs.shape[1]
        # (a lag reads the step lags * dilation back, and that step's difference the
        # one before it: review 225 found the maximum of the two taken, not the sum)
        back = self._bank.lags * max(self._dilation(k) for k in range(K))
        back += int(self._bank.differences)
        state = None
        for a in range(0, steps, _WINDOW):
            b = min(a + _WINDOW, steps)
            lo = max(0, a - back)
            xb = _input_tensor(self._cell_inputs(xs[:, lo:b]), dtype)
            xk = torch.cat([self._taps(xb, k)[:, a - lo :] for k in range(K)])
            lw = (lk - a).clamp(0, b - a)
            same = bool((lw == b - a).all())
            with torch.inference_mode():
                out, state = self.module_(
                    xk, state, lengths=None if same else lw, timespans=spans.expand(-1, b - a)
                )
            mask = torch.arange(b - a)[None, :] < lw[:, None]
            yield out, state, mask

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any = None) -> DREAMFeatures:
        """Build the cell, set the input standardisation and the PPV thresholds.

        Parameters
        ----------
        X : array-like of shape (n_sequences, n_steps, n_features), list of 2-D arrays, \
DataFrame or array-like of shape (n_samples, n_features)
            The sequences (as for :class:`DREAMClassifier`).
        y : None or array-like of shape (n_sequences,)
            Not read, but a pandas ``y`` indexed by the sequence ids of a (sequence id,
            time) DataFrame ``X`` must list them in ``X``'s order, or a ValueError is
            raised: the features come in that order, and the next step of a pipeline
            takes ``y`` by position.

        Returns
        -------
        self : DREAMFeatures
            The fitted transformer.
        """
        self._check_targets(X, y)
        self._fit(X)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X: Any, y: Any = None) -> np.ndarray:
        """``fit(X).transform(X)`` in one pass over ``X`` (the same features).

        Parameters
        ----------
        X : array-like of shape (n_sequences, n_steps, n_features), list of 2-D arrays, \
DataFrame or array-like of shape (n_samples, n_features)
            The sequences.
        y : None or array-like of shape (n_sequences,)
            As for :meth:`fit`.

        Returns
        -------
        features : ndarray of shape (n_sequences, n_features_out_)
            As :meth:`transform` gives them.
        """
        self._check_targets(X, y)
        return self._framed(self._features(*self._fit(X)), X)

    @staticmethod
    def _check_targets(X: Any, y: Any) -> None:
        """A ValueError where ``y``, a pandas object indexed by the sequence ids of a
        (sequence id, time) DataFrame ``X`` (or by the index of a pandas Series of
        sequences: review 328), does not list them in ``X``'s order.

        The features come one row per sequence in ``X``'s order, and a pipeline's next
        step takes ``y`` by position: a ``y`` indexed by id in another order (sorted,
        as ``groupby`` gives it) gave each sequence another's label, with no error,
        where :class:`DREAMClassifier` aligns the same ``y`` by id (a review's finding).
        """
        if y is None or not isinstance(y, pd.Series | pd.DataFrame):
            return
        ids = to_long(X)[2] if _is_multiindex_frame(X) else _series_ids(X)
        if ids is None:
            return
        try:
            aligned = align_targets(y, ids)
        except ValueError:
            # (a y the estimators cannot align by id, pandas' default index or the ids
            # of another type, is taken by position as before: review 156)
            return
        if not aligned.index.equals(y.index):
            raise ValueError(
                "y is indexed by X's sequence ids, but not in the order of X's sequences "
                "(or holds more ids): DREAMFeatures gives one row per sequence in X's "
                "order, and the next step of a pipeline takes y by position. Pass "
                "y.loc[ids] (ids: X's sequence ids in order, as "
                "dream_sklearn.to_sequences(X) returns them), to fit and to score alike."
            )

    def _framed(self, out: np.ndarray, X: Any) -> Any:
        """``out``, or with pandas output (``set_output``) and ``X`` a DataFrame of
        (sequence id, time) rows, a DataFrame indexed by the sequence ids: one row per
        sequence (scikit-learn would index it by X's rows, one per step, and fail)."""
        if not _is_multiindex_frame(X):
            return out
        # (as scikit-learn reads it: the estimator's own setting, "default" included,
        # over the global one; "default" here had read the global one, review 266)
        mode = getattr(self, "_sklearn_output_config", {}).get("transform")
        if mode is None:
            mode = sklearn.get_config()["transform_output"]
        if mode != "pandas":
            return out
        level = X.index.get_level_values(0)
        ids = pd.Index(pd.factorize(level)[1], name=level.name)  # (to_long's order)
        return pd.DataFrame(out, index=ids, columns=self.get_feature_names_out())

    def _fit(self, X: Any) -> tuple[_Ragged, np.ndarray]:
        """What :meth:`fit` does; returns the read inputs for :meth:`fit_transform`."""
        fitted = dict(self.__dict__)
        try:
            self._start()
            X3, lengths = self._read(X, reset=True)
            self._build(X3, lengths, check_random_state(self.random_state))
        except BaseException:
            # (a refused fit leaves the fitted bank as it was: its _bank had already taken
            # the new parameters beside the old cell and thresholds; review 114)
            self.__dict__.clear()
            self.__dict__.update(fitted)
            raise
        return X3, lengths

    def _build(self, X3: _Ragged, lengths: np.ndarray, rng: np.random.RandomState) -> None:
        """Build the cell and set the PPV thresholds from the standardised ``X3``.

        The thresholds come from (up to) 32 training sequences drawn from all of
        them, run on their own: ``batch_size`` only bounds the memory used.
        """
        config = dict(self.cell_params or {})
        config.setdefault("plasticity_enabled", bool(self.plasticity))
        n_inputs = X3.shape[2] * (1 + self._bank.differences) * (1 + self._bank.lags)
        build = partial(DREAM, n_inputs, self.hidden_dim, rank=self.rank, **config)
        module = _seeded(build, int(rng.randint(np.iinfo(np.int32).max)))
        self.module_ = module.to(_DTYPES[self.dtype]).eval()
        K, units = len(self._bank.timescales), self.hidden_dim
        n_pool = len(self._bank.pooling) * units + (
            units * self.rank if self._bank.fast_weights else 0
        )
        self.n_features_out_ = K * n_pool
        pick = np.sort(rng.permutation(len(lengths))[:_THRESHOLD_SEQUENCES])
        # Each unit's threshold: a random quantile in [0.25, 0.75] of its copy's valid
        # values over these sequences, or of 4,096 of them drawn by their position
        # (sequence by sequence in the order drawn, review 174), drawn before the run,
        # so that a window keeps only the values drawn (held whole, one series of
        # 100,000 steps held 100 MB and twice that once joined; review 225).
        dtype = _DTYPES[self.dtype]
        quantiles = torch.as_tensor(rng.uniform(0.25, 0.75, size=(K, units)), dtype=dtype)
        total = int(lengths[pick].sum())
        drawn = [
            np.sort(rng.choice(total, _QUANTILE_SAMPLE, replace=False))
            if total > _QUANTILE_SAMPLE
            else np.arange(total)
            for _ in range(K)
        ]
        offsets = np.cumsum(lengths[pick]) - lengths[pick]
        values: list[list] = [[] for _ in range(K)]
        for rows, _, windows in self._run(X3[pick], lengths[pick]):
            b, start = len(rows), 0
            for out, _, mask in windows:
                for k in range(K):
                    for i, r in enumerate(rows):
                        valid = out[k * b + i][mask[k * b + i]]
                        first = offsets[r] + start  # (its first step's position)
                        lo, hi = np.searchsorted(drawn[k], [first, first + len(valid)])
                        values[k].append(valid[torch.as_tensor(drawn[k][lo:hi] - first)])
                start += out.shape[1]
        # (the quantiles sort the values: the order they were gathered in is not read)
        self.thresholds_ = np.empty((K, units), dtype=np.dtype(self.dtype))
        for k in range(K):
            self.thresholds_[k] = _own_quantiles(torch.cat(values[k]), quantiles[k]).numpy()

    def _features(self, X3: _Ragged, lengths: np.ndarray) -> np.ndarray:
        """The pooled features of the standardised sequences ``X3``, (n, n_features_out_)."""
        result = np.empty((len(lengths), self.n_features_out_), dtype=np.float64)
        with torch.inference_mode():
            for rows, lk, windows in self._run(X3, lengths):
                result[rows] = self._pool(windows, lk)
        return result

    def _pool(self, windows, lk) -> np.ndarray:
        """The features of one chunk run by :meth:`_run`, (b, n_features_out_): each
        pooling summed (or its maximum taken) over the chunk's windows."""
        K = len(self._bank.timescales)
        thresholds = torch.tensor(self.thresholds_)  # (a copy: a mapped array is read-only)
        sums: dict[str, torch.Tensor] = {}
        for window in windows:
            out, final, mask = window
            b = out.shape[0] // K
            for pool in self._bank.pooling:
                if pool == "mean":
                    part = out.sum(1)  # padded steps output 0
                elif pool == "max":
                    part = out.masked_fill(~mask[:, :, None], -torch.inf).amax(1)
                elif pool == "ppv":
                    thr = thresholds.repeat_interleave(b, dim=0)[:, None, :]
                    part = ((out > thr) & mask[:, :, None]).sum(1).to(out.dtype)
                else:  # ("last": the final state's)
                    continue
                if pool not in sums:
                    sums[pool] = part
                elif pool == "max":
                    sums[pool] = torch.maximum(sums[pool], part)
                else:
                    sums[pool] = sums[pool] + part
        count = lk.to(out.dtype)[:, None]
        parts = []
        for pool in self._bank.pooling:
            if pool == "last":
                parts.append(final.h)
            elif pool == "max":
                parts.append(sums[pool])
            else:
                parts.append(sums[pool] / count)
        if self._bank.fast_weights:
            parts.append(final.U.reshape(K * b, -1))
        feats = torch.cat(parts, dim=1)  # (K * b, per copy)
        return feats.reshape(K, b, -1).transpose(0, 1).reshape(b, -1).numpy()

    def transform(self, X: Any) -> np.ndarray:
        """The pooled features of each sequence.

        Parameters
        ----------
        X : array-like of shape (n_sequences, n_steps, n_features), list of 2-D arrays, \
DataFrame or array-like of shape (n_samples, n_features)
            The sequences.

        Returns
        -------
        features : ndarray of shape (n_sequences, n_features_out_)
            For each copy of the bank in turn: the pooled statistics (in the order
            of ``pooling``, ``hidden_dim`` values each), then ``U`` flattened.
        """
        check_is_fitted(self)
        return self._framed(self._features(*self._read(X, reset=False)), X)
