"""Turning the estimators' inputs into one "long" 2-D table plus sequence lengths.

Every accepted form of ``X`` (see ``docs/sklearn.md``) is first flattened to a long
table of shape ``(total_steps, n_features)`` that holds the valid steps of every
sequence one after the other, and a vector of sequence lengths. The long table goes
through scikit-learn's ``validate_data`` (so ``n_features_in_``,
``feature_names_in_`` and the usual messages for NaN, inf, strings, sparse input and
a wrong number of features come from scikit-learn itself); :class:`_Ragged` then
reads it a chunk of sequences at a time as the padded ``(rows, steps, n_features)``
array the network reads.

With the estimators' ``n_steps`` parameter set, ``X`` is instead a flat 2-D table
``(n_sequences, n_steps * n_features)`` (each row one sequence, its steps side by
side, step-major). That table is validated as it is (``n_features_in_`` is its
number of columns) and :func:`unflatten` then gives the long table. This is the
form for tools that only pass 2-D blocks around, such as ``dask_ml``'s
``Incremental``.

The estimators' ``layout`` parameter says which axis of a 3-D array (or of each 2-D
array of a list) is time: ``"channels_last"`` (the default reading) takes
``(n_sequences, n_steps, n_features)``, ``"channels_first"`` takes aeon's and
sktime's ``(n_cases, n_channels, n_timepoints)``. :func:`to_long` turns the latter
into the former before anything else, so every later stage sees one layout. Under
the default ``layout=None`` a 3-D array (or list) whose shape looks like the
channels-first layout is still read channels-last, with a :class:`LayoutWarning`.
"""

from __future__ import annotations

import reprlib
import warnings
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch

from .._limits import MAX_ABS
from .._stack import user_stacklevel as _user_stacklevel

__all__ = ["LayoutWarning", "to_sequences"]

# Below float64, the inputs the cell reads are clipped to +-this: a value beyond
# float32's range (3.4e38; 1e90 after standardising, or raw with standardize=False)
# would otherwise become inf. Up to it the cell computes what float64 does, to
# rounding: it reads x through its projections x @ B and x @ V (sums of d terms of at
# most 1e30 times a weight, far from float32's overflow, then saturated by tanh) and
# through its prediction error, which it clips itself (nn._step._ERROR_BOUND). The
# bound was that error bound, 1e8, until a review found raw inputs of 5e8
# (standardize=False: timestamps, amounts in cents) read as 1e8 in float32, the
# predictions 0.5 off float64's (review 108).
_INPUT_BOUND = 1e30


# The floating-point types the estimators' ``dtype`` parameter names.
_DTYPES = {"float32": torch.float32, "float64": torch.float64}


def _input_tensor(X3: np.ndarray, dtype: torch.dtype, device: Any = None) -> torch.Tensor:
    """The standardised inputs (a padded chunk, ``_Ragged[rows, :steps]``) as a tensor
    of ``dtype`` (clipped below float64). In float32 the chunk is cast, then clipped in
    place, and the tensor shares its memory: one copy of the chunk, not three (the same
    values: a value beyond float32 is inf when cast, and the clip's bound then)."""
    if dtype == torch.float32:
        with np.errstate(over="ignore"):
            out = np.asarray(X3).astype(np.float32)
        return torch.as_tensor(np.clip(out, -_INPUT_BOUND, _INPUT_BOUND, out=out), device=device)
    if dtype != torch.float64:
        X3 = np.clip(X3, -_INPUT_BOUND, _INPUT_BOUND)
    return torch.as_tensor(X3, dtype=dtype, device=device)


LAYOUTS = ("channels_last", "channels_first")
# Under the default layout, a 3-D array (n, a, b) read as a steps of b features looks
# like a channels-first array (n, channels=a, timepoints=b) when b > a: more
# "features" than "steps", as aeon's multivariate sets have (NATOPS (n, 24, 51),
# RacketSports (n, 6, 30), PenDigits (n, 2, 8), BasicMotions (n, 6, 100)), and a
# univariate series read as one step (n, 1, L). Until round 32 it took b >= 10 a, and
# a review found a third of the UEA multivariate archive read sideways without a word
# (near chance). One step of a few features, e.g. the first step of a stream
# (1, 1, 3), is common on purpose and a series of fewer than 10 points rare, so
# (n, 1, b < _ONE_STEP_FEATURES) does not warn.
_ONE_STEP_FEATURES = 10


class LayoutWarning(UserWarning):
    """An input whose shape suggests it was given in the other layout.

    Raised (as a warning) by :class:`DREAMClassifier` and :class:`DREAMRegressor`
    when ``layout`` is left at its default (``None``, read as
    ``"channels_last"``: ``(n_sequences, n_steps, n_features)``) and a 3-D array, or
    every 2-D array of a list, has more "features" than "steps" (one step: 10 or more
    features), as aeon's and sktime's ``(n_cases, n_channels, n_timepoints)`` arrays
    mostly do. Set ``layout="channels_first"`` for such data, or
    ``layout="channels_last"`` to keep the reading and silence the warning.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from dream_sklearn import DREAMClassifier, LayoutWarning
    >>> X = np.random.RandomState(0).normal(size=(6, 1, 50))  # 6 univariate series
    >>> y = [0, 1, 0, 1, 0, 1]
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = DREAMClassifier(hidden_dim=4).fit(X, y)
    >>> [w.category.__name__ for w in caught if issubclass(w.category, LayoutWarning)]
    ['LayoutWarning']
    >>> clf = DREAMClassifier(4, solver="adam", max_iter=1, layout="channels_first")
    >>> clf = clf.fit(X, y)
    >>> clf.n_features_in_, clf.surprise_.shape     # 1 channel, 50 steps
    (1, (6, 50))
    """


def one_step_lengths(long: np.ndarray, seen: int, owner: str) -> np.ndarray:
    """Lengths of a plain 2-D table read as sequences of one step each.

    Refused (``ValueError``) by an estimator fitted on sequences of up to ``seen > 1``
    steps: its rows would silently be read as one-step sequences.
    """
    if seen > 1:
        raise ValueError(
            f"X is a 2-D array of shape {long.shape}, which reads as {long.shape[0]} "
            f"sequences of one step each, but {owner} was fitted on sequences of up to "
            f"{seen} steps of {long.shape[1]} features. Pass X as a 3-D array "
            "(n_sequences, n_steps, n_features), a list of 2-D arrays or a DataFrame "
            "with a (sequence id, time) index; for one-step sequences on purpose, "
            "X[:, None, :] with layout='channels_last'."
        )
    return np.ones(long.shape[0], dtype=np.int64)


def _looks_transposed(steps: int, features: int) -> bool:
    if steps == 1:
        return features >= _ONE_STEP_FEATURES
    return steps > 1 and features > steps


def fitted_width(estimator: Any) -> int | None:
    """The features per step a fitted ``estimator`` reads, where its fit's longest
    sequences did not look channels-first (:func:`to_long`'s ``width``), else
    None: a model fitted on sideways data keeps warning at ``predict``."""
    width = getattr(estimator, "n_features_in_", None)
    steps = getattr(estimator, "_max_steps", None)
    if width is None or steps is None or _looks_transposed(steps, width):
        return None
    return width


def _warn_transposed(shape: str, steps: int, features: int) -> None:
    warnings.warn(
        f"X {shape} is read as sequences of {steps} step{'s' * (steps != 1)} of "
        f"{features} features each (layout=None reads (n_sequences, n_steps, "
        "n_features)), but the shape looks like aeon's / sktime's (n_cases, n_channels, "
        f"n_timepoints): {steps} channel{'s' * (steps != 1)} of {features} time points. "
        "If so, set layout='channels_first'; set layout='channels_last' to keep this "
        "reading and silence this warning.",
        LayoutWarning,
        stacklevel=_user_stacklevel(),
    )


def _check_layout(layout: Any) -> None:
    if layout is not None and layout not in LAYOUTS:
        raise ValueError(
            f"The 'layout' parameter must be one of {LAYOUTS} or None; got {layout!r}."
        )


def _is_multiindex_frame(X: Any) -> bool:
    return isinstance(X, pd.DataFrame) and isinstance(X.index, pd.MultiIndex)


def _series_ids(X: Any) -> np.ndarray | None:
    """The index of a pandas Series of sequences (one sequence per entry, labels
    unique), as the sequence ids a pandas ``y`` indexed by them is aligned by
    (:func:`align_targets`); None for any other ``X``. A ``y`` indexed by the same
    ids in another order was taken by position, each sequence given another's
    target (review 328)."""
    if isinstance(X, pd.Series) and X.index.is_unique:
        return X.index.to_numpy()
    return None


def plain_input(X: Any) -> Any:
    """``X`` with its torch tensors (``X`` itself, or the items of a list) read as NumPy
    arrays: detached and on the CPU, bfloat16 as float32. Through NumPy alone a tensor
    that requires a gradient, or one on a GPU, raised torch's own error; the
    estimators never differentiate through their inputs."""

    def plain(t: torch.Tensor) -> np.ndarray:
        t = t.detach().cpu()
        return (t.float() if t.dtype == torch.bfloat16 else t).numpy()

    if isinstance(X, torch.Tensor):
        return plain(X)
    if isinstance(X, list | tuple) and any(isinstance(x, torch.Tensor) for x in X):
        return [plain(x) if isinstance(x, torch.Tensor) else x for x in X]
    return X


def _nested_frame(X: Any) -> bool:
    """Whether ``X`` is a DataFrame whose cells hold series or arrays (sktime's
    ``nested_univ``): NumPy's "setting an array element with a sequence" named
    neither ``X`` nor a form that works (review 214)."""
    return (
        isinstance(X, pd.DataFrame)
        and X.size > 0
        and all(dtype.kind == "O" for dtype in X.dtypes)
        and isinstance(X.iat[0, 0], pd.Series | np.ndarray | list)
    )


def _sequence_items(X: Any, layout: str | None = None) -> Any:
    """``X`` as a list where it is a 1-D object array or a pandas Series of arrays
    (``df.groupby("id").apply(lambda g: g.to_numpy())``, a nested column): read as the
    list of its items. They fell through to NumPy's "setting an array element with a
    sequence", which named neither X nor a form that works (review 158).

    Items of one dimension are univariate series under ``layout="channels_first"``
    (aeon's nested column; a plain 2-D array reads so there too), each a
    ``(1, n_timepoints_i)`` array. Under any other layout they are refused, naming
    both readings: rows of a 2-D ``X`` (one step each, or a flattened sequence with
    ``n_steps``) or univariate series. Read as a list, equal lengths became one-step
    rows of that many features, silently (review 160); the message gave the
    channels-last expression under ``"channels_first"`` too (review 161).
    """
    if _nested_frame(X):
        if layout != "channels_first":
            raise ValueError(
                "X is a DataFrame whose cells are series (sktime's nested format: one row "
                "per case, one column per channel). Set layout='channels_first', which "
                "reads each row as its (n_channels, n_timepoints) series."
            )
        rows = X.itertuples(index=False)
        try:
            arrays = [np.stack([np.asarray(c, dtype=float) for c in row]) for row in rows]
        except ValueError as err:
            raise ValueError(
                "X is a DataFrame of series (sktime's nested format) whose cells are not "
                f"series of numbers of one length within each row: {err}"
            ) from None
        # (as frames whose index names the channels: their names kept, as a list of
        # DataFrames keeps them)
        return [pd.DataFrame(a, index=X.columns) for a in arrays]
    if isinstance(X, pd.Series) or (
        isinstance(X, np.ndarray) and X.dtype == object and X.ndim == 1
    ):
        # (tensors as their values first: one that requires a gradient raised torch's
        # own error in np.asarray below; review 214)
        items = plain_input(list(X))
        if items and np.ndim(items[0]) >= 2:
            return items
        if items and np.ndim(items[0]) == 1:
            if layout == "channels_first":
                return [np.asarray(item)[None, :] for item in items]
            raise ValueError(
                f"X is a {type(X).__name__} of 1-D arrays, which reads two ways: pass "
                "[np.asarray(s, dtype=float)[:, None] for s in X] for univariate series "
                "(one feature per step; or set layout='channels_first', aeon's layout, "
                "which reads them so), or np.stack(list(X)) to read each item as one "
                "row of a 2-D X."
            )
    return X


def to_long(
    X: Any, layout: str | None = None, width: int | None = None
) -> tuple[Any, np.ndarray | None, np.ndarray | None]:
    """``(long, lengths, sequence_ids)`` for any accepted form of ``X``.

    ``long`` is still unvalidated (an array-like or a DataFrame keeping the column
    names); ``sequence_ids`` is the id of each sequence for a DataFrame with a
    two-level index, else ``None``. Forms that are neither sequences nor 2-D
    tables are passed through unchanged with ``lengths=None`` (one step per row once
    validated), so that scikit-learn's own validation reports what is wrong with them.

    ``layout`` (the estimators' parameter): ``"channels_first"`` reads a 3-D array as
    ``(n, channels, time)``, each 2-D array of a list as ``(channels, time)`` and a
    plain 2-D array as ``(n, time)`` univariate series (aeon's forms); ``None`` and
    ``"channels_last"`` read today's ``(n, time, features)``, ``None`` warning when
    the shape looks channels-first. A DataFrame with a two-level index always has
    one row per step.

    ``width``: the features per step of a fitted model whose fit's data did not
    look channels-first (:func:`fitted_width`). A shape read with that many features is
    what the model expects and does not warn: short prefixes of the fit's sequences,
    ``X[:, :t]`` with ``t`` steps under its features' count, warned at ``predict``
    (review 161).
    """
    _check_layout(layout)
    X = plain_input(_sequence_items(X, layout))
    first = layout == "channels_first"
    if isinstance(X, list | tuple) and len(X) == 0:  # (scikit-learn's own message
        # said to reshape(-1, 1), which makes one-step sequences of nothing)
        raise ValueError(f"X contains no sequence: got an empty {type(X).__name__}.")
    if _is_multiindex_frame(X):
        if X.index.nlevels != 2:
            raise ValueError(
                "A DataFrame X with a MultiIndex must have exactly two levels "
                f"(sequence id, time); got {X.index.nlevels} levels."
            )
        codes, ids = pd.factorize(X.index.get_level_values(0))
        if (codes < 0).any():  # (factorize codes a missing id -1)
            i = int(np.argmax(codes < 0))
            raise ValueError(
                "A DataFrame X with a (sequence id, time) index needs an id on every "
                f"row; row {i} (index {X.index[i]!r}) has a missing id."
            )
        time = X.index.get_level_values(1)
        if time.isna().any():  # (sorted first, as step 0 of its sequence: a review's finding)
            i = int(np.argmax(time.isna()))
            raise ValueError(
                "A DataFrame X with a (sequence id, time) index needs a time on every "
                f"row; row {i} (index {X.index[i]!r}) has a missing time."
            )
        if _times_by_value(time.dtype):
            # (sorted by its values: an unordered categorical's codes follow the list of
            # categories, e.g. their order of first appearance in a parquet file, and
            # its steps came in that order, not in time; review 108)
            time = time.astype(time.dtype.categories.dtype)
        if time.dtype == object:  # (pandas' safe sort put numbers before text)
            try:
                sorted(pd.unique(time))
            except TypeError as err:
                raise ValueError(
                    "The time level of X's (sequence id, time) index mixes values that "
                    f"have no common order ({err}): give it numbers, or datetimes."
                ) from None
        key = pd.MultiIndex.from_arrays([codes, time])
        if key.has_duplicates:  # (their order, and the sequence's length, were arbitrary)
            i = int(np.argmax(key.duplicated()))
            raise ValueError(
                "A DataFrame X with a (sequence id, time) index has one row per step: "
                f"row {i} (index {X.index[i]!r}) repeats a (sequence id, time) pair. "
                "Aggregate the repeated rows first, or add what orders them to the time."
            )
        order = key.sortlevel([0, 1], sort_remaining=False)[1]
        lengths = np.bincount(codes, minlength=len(ids)).astype(np.int64)
        return X.iloc[np.asarray(order)], lengths, np.asarray(ids)
    if isinstance(X, list | tuple) and len(X) > 0 and np.ndim(X[0]) >= 3:
        # (scikit-learn's check said "dim <= 2 is required" of the list as one array:
        # the estimators take 3-D arrays, and a list holds 2-D ones; review 158)
        form = "(n_channels, n_timepoints)" if first else "(n_steps, n_features)"
        raise ValueError(
            f"X given as a list must hold 2-D arrays {form}, one per sequence; X[0] has "
            f"shape {np.shape(X[0])}. A batch of equal-length sequences is one 3-D array: "
            "pass it as it is, or np.concatenate(X) for a list of such batches."
        )
    if isinstance(X, list | tuple) and len(X) > 0 and np.ndim(X[0]) == 2:
        seqs = [np.asarray(s) for s in X]
        form = "(n_channels, n_timepoints)" if first else "(n_steps, n_features)"
        for i, s in enumerate(seqs):
            if s.ndim != 2:
                raise ValueError(
                    f"X given as a list must hold 2-D arrays {form}; X[{i}] has shape {s.shape}."
                )
        if first:
            seqs = [s.T for s in seqs]
        for i, s in enumerate(seqs):
            if s.shape[1] != seqs[0].shape[1]:
                what = "channels" if first else "features"
                hint = ""
                if not first and len({t.shape[0] for t in seqs}) == 1:
                    hint = (
                        f" Every array has {s.shape[0]} row(s) and a different number of "
                        "columns: they look like aeon's / sktime's (n_channels, "
                        "n_timepoints) series. Set layout='channels_first' (or pass "
                        "[s.T for s in X]), so that each array is read as "
                        "(n_timepoints, n_channels)."
                    )
                raise ValueError(
                    f"Every sequence of X must have the same number of {what}; "
                    f"X[0] has {seqs[0].shape[1]} and X[{i}] has {s.shape[1]}.{hint}"
                )
        _check_no_empty([s.shape[0] for s in seqs])
        if (
            layout is None
            and seqs[0].shape[1] != width
            and all(_looks_transposed(*s.shape) for s in seqs)
        ):
            shape = f"(a list of {len(seqs)} arrays of shape {seqs[0].shape}, ...)"
            _warn_transposed(shape, seqs[0].shape[0], seqs[0].shape[1])
        lengths = np.array([s.shape[0] for s in seqs], dtype=np.int64)
        if all(isinstance(s, pd.DataFrame) for s in X) and _names_channels(X, first):
            # (channels first, aeon's list of frames: the channels are the rows, named
            # by the index. Read as an array, their names were lost, and a later list
            # with its channels in another order was read without a word; review 214)
            return _named_frames([s.T for s in X] if first else X), lengths, None
        return np.concatenate(seqs, axis=0), lengths, None
    if isinstance(X, list | tuple) and len(X) > 0 and np.ndim(X[0]) == 1:
        # A 2-D array when their lengths agree; ragged 1-D arrays are no form of X (NumPy's
        # own "inhomogeneous shape" error said nothing of the forms that are).
        shapes = [np.shape(s) for s in X]
        for i, shape in enumerate(shapes):
            if shape != shapes[0]:
                form = "(n_channels, n_timepoints)" if first else "(n_steps, n_features)"
                one = "np.asarray(s)[None, :]" if first else "np.asarray(s)[:, None]"
                flat = (
                    "univariate series of one length, (n_cases, n_timepoints)"
                    if first
                    else "a 2-D table, one step per row"
                )
                raise ValueError(
                    f"X given as a list holds arrays of different shapes: X[0] has shape "
                    f"{shapes[0]} and X[{i}] has shape {shape}. A list of sequences holds 2-D "
                    f"arrays {form} (univariate series: [{one} for s in X]); a list of "
                    f"1-D arrays of one length is {flat}."
                )
    if (
        not sp.issparse(X)
        and not isinstance(X, list | tuple | pd.DataFrame)
        and getattr(X, "ndim", None) in (3, None)
        and np.asarray(X).ndim == 3
    ):
        X = np.asarray(X)
        if first:
            X = X.transpose(0, 2, 1)
        elif (
            layout is None
            and X.shape[0] > 0
            and X.shape[2] != width
            and _looks_transposed(*X.shape[1:])
        ):
            _warn_transposed(f"of shape {X.shape}", *X.shape[1:])
        _check_nan_padding(X, first)
        _check_no_empty([X.shape[1]] * X.shape[0])
        if X.shape[0] == 0:
            raise ValueError(f"X contains no sequence: got an array of shape {X.shape}.")
        # (the rows' count spelled out: with no feature, -1 has no one answer and NumPy's
        # own error hid scikit-learn's, which names the empty feature axis)
        long = X.reshape(X.shape[0] * X.shape[1], X.shape[2])
        return long, np.full(X.shape[0], X.shape[1], np.int64), None
    if isinstance(X, list | tuple) and len(X) and np.ndim(X[0]) == 0:
        X = np.asarray(X)  # (a flat list of values: told as a 1-D array is; review 373)
    ndim = getattr(X, "ndim", None)  # (arrays, tensors; not asked of other objects)
    numeric = getattr(getattr(X, "dtype", None), "kind", "O") != "O"
    if isinstance(ndim, int) and (ndim > 3 or (ndim < 2 and numeric)) and not sp.issparse(X):
        # (scikit-learn's check said 2-D at most, or "Expected 2D array, got 1D array"
        # with the data printed, for a 1-D or 0-D one (review 368): the sequences' own
        # 3-D was not named)
        form = (
            "(n_cases, n_channels, n_timepoints)" if first else "(n_sequences, n_steps, n_features)"
        )
        # (scikit-learn's checks look for "Reshape your data" where X is 1-D)
        hint = " Reshape your data into one of those forms." if ndim < 2 else ""
        raise ValueError(
            f"X must be a 3-D array {form}, a list of 2-D sequences or a 2-D table; "
            f"got an array of {ndim} dimension{'' if ndim == 1 else 's'}, shape "
            f"{tuple(X.shape)}.{hint}"
        )
    if first and not sp.issparse(X) and np.ndim(X) == 2:
        # aeon's 2-D form: (n_cases, n_timepoints), univariate equal-length series.
        X = np.asarray(X)
        _check_no_empty([X.shape[1]] * X.shape[0])
        if X.shape[0] == 0:
            raise ValueError(f"X contains no sequence: got an array of shape {X.shape}.")
        return X.reshape(-1, 1), np.full(X.shape[0], X.shape[1], np.int64), None
    return X, None, None


def _check_nan_padding(X: np.ndarray, first: bool) -> None:
    """A ValueError that says how to pass unequal lengths where a 3-D array ``X``
    (n, steps, features) is NaN-padded: its NaN are whole steps at the end of some
    sequences, as tslearn and sktime pad them. scikit-learn's own message advised an
    imputer, which would invent those steps (review 158). Other NaN are left to it."""
    if X.dtype.kind != "f" or X.size == 0:
        return
    nan = np.isnan(X)
    if not nan.any():
        return
    step = nan.all(axis=2)  # (n, steps): whole steps missing
    if (nan.any(axis=2) != step).any():
        return  # (a value missing within a step: no padding)
    # Padding only at the end: once a step is missing, every later one is.
    if (np.diff(step.astype(np.int8), axis=1) < 0).any():
        return
    padded = int(step[:, -1].sum())
    one = "s[:, ~np.isnan(s).all(axis=0)]" if first else "s[~np.isnan(s).all(axis=1)]"
    # A sequence that is NaN throughout has no step to keep: the list above would hold
    # it empty, refused in its turn (review 161). Say so here.
    empty = np.flatnonzero(step.all(axis=1))
    drop = (
        f" The sequences at positions {_first_five(empty.tolist())} are NaN throughout, "
        "with no step to keep: leave them (and their labels) out."
        if empty.size
        else ""
    )
    raise ValueError(
        f"X is NaN-padded: {padded} of its {X.shape[0]} sequences end in steps whose every "
        "value is NaN, as tslearn and sktime pad unequal lengths. Pass the sequences as a "
        f"list of their own lengths instead: [{one} for s in X] (the estimators pad and "
        "mask them inside; imputing the padding would invent steps)." + drop
    )


def _names_channels(frames: list | tuple, first: bool) -> bool:
    """Whether a list of DataFrames names its features: always under the channels-last
    layouts (their columns); under ``"channels_first"`` where every frame's index (its
    channels) is the same. Frames taken out of one table (``groupby``, ``iloc``) are
    indexed by their rows' positions there, 0-1, 2-3...: read by position, as before
    round 39 (review 215). A ValueError where the indexes differ and are not integers,
    or are the same labels in another order (review 217): the channels named in other
    orders or by other names."""
    if not first:
        return True
    index = frames[0].index
    if all(frame.index.equals(index) for frame in frames):
        return True
    other = next(i for i, frame in enumerate(frames) if not frame.index.equals(index))
    reordered = any(
        not frame.index.equals(index) and set(frame.index) == set(index) for frame in frames
    )
    if not reordered and all(pd.api.types.is_integer_dtype(frame.index) for frame in frames):
        return False
    raise ValueError(
        "Every DataFrame of X, read with layout='channels_first', must name its channels "
        f"(its index) alike, in the same order; X[0] has {list(index)} and X[{other}] has "
        f"{list(frames[other].index)}."
    )


def _named_frames(frames: list | tuple) -> pd.DataFrame:
    """A list of DataFrames, one per sequence (rows the steps), as one table that keeps
    their column names, so that scikit-learn's validation records them at fit and
    checks them after (their values alone read a later list whose columns came in
    another order as the same features: a review's finding). A ValueError where the
    frames' columns differ."""
    columns = frames[0].columns
    for i, frame in enumerate(frames):
        if not frame.columns.equals(columns):
            raise ValueError(
                "Every DataFrame of X must have the same columns, in the same order; "
                f"X[0] has {list(columns)} and X[{i}] has {list(frame.columns)}."
            )
    return pd.concat(frames, ignore_index=True)


def to_sequences(X: pd.DataFrame) -> tuple[list[np.ndarray], np.ndarray]:
    """Split a ``(sequence id, time)`` DataFrame into one 2-D array per sequence.

    scikit-learn's splitters and model-selection tools (``train_test_split``,
    ``KFold``, ``cross_val_score``, ``GridSearchCV``, ...) count the rows of ``X``, so
    they cannot split a long DataFrame that holds several rows per sequence. Convert
    it once with this function, take ``y`` in the order of the returned ids, and
    hand the list to those tools: they index a list by sequence, and the estimators
    read it as the same sequences (a fit on the list equals a fit on the DataFrame
    rows of the same ids; only ``feature_names_in_`` is not set).

    Parameters
    ----------
    X : pandas.DataFrame with a two-level MultiIndex ``(sequence id, time)``
        One row per step; the columns are the features.

    Returns
    -------
    sequences : list of ndarray of shape (n_steps_i, n_features)
        One float64 array per sequence, its steps sorted by time, the sequences in
        the order their ids first appear in ``X`` (the order the estimators use).
    ids : ndarray of shape (n_sequences,)
        The sequence id of each array.

    Examples
    --------
    >>> import pandas as pd
    >>> from dream_sklearn import to_sequences
    >>> df = pd.DataFrame(
    ...     {"x": [1.0, 2.0, 3.0, 4.0, 5.0]},
    ...     index=pd.MultiIndex.from_tuples(
    ...         [("b", 0), ("b", 1), ("a", 1), ("a", 0), ("a", 2)], names=["id", "t"]
    ...     ),
    ... )
    >>> sequences, ids = to_sequences(df)
    >>> ids
    array(['b', 'a'], dtype=object)
    >>> [s.ravel().tolist() for s in sequences]
    [[1.0, 2.0], [4.0, 3.0, 5.0]]
    >>> y = pd.Series({"a": 1, "b": 0})
    >>> y.loc[ids].tolist()                        # targets in the same order
    [0, 1]
    """
    if not _is_multiindex_frame(X):
        raise TypeError(
            "X must be a pandas DataFrame with a two-level MultiIndex (sequence id, "
            f"time); got {type(X).__name__}"
            + (f" with a {type(X.index).__name__}" if isinstance(X, pd.DataFrame) else "")
            + "."
        )
    long, lengths, ids = to_long(X)
    try:
        values = long.to_numpy(dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(
            f"X must hold numbers only; its columns have dtypes {sorted(map(str, set(X.dtypes)))}."
        ) from err
    if not len(lengths):  # (np.split would give one empty sequence: a review's finding)
        return [], ids
    return np.split(values, np.cumsum(lengths)[:-1]), ids


def _first_five(positions: list[int]) -> str:
    return f"{positions[:5]}{'...' if len(positions) > 5 else ''}"


def _check_no_empty(lengths: list[int]) -> None:
    empty = [i for i, n in enumerate(lengths) if n == 0]
    if empty:
        raise ValueError(
            "Every sequence of X needs at least one step; got empty sequences at "
            f"positions {_first_five(empty)}."
        )


class _Ragged:
    """Sequences held as their steps one after another (``long``, (sum(lengths), d)),
    read as the padded array (n, max(lengths), d), zeros after each sequence's end,
    a part at a time: ``ragged[rows, :steps]`` is the padded array of ``rows`` (what
    indexes a NumPy array's first axis: an index array, a slice, a mask) up to
    ``steps`` (at least their longest), and ``ragged[rows]`` those sequences, held
    alike. The solvers read the sequences a chunk (a mini-batch) at a time, so the
    whole padded array is never made (one series of 20,000 steps among 500 of 20 made
    one of 80 MB, for 0.24 MB of values). A read costs what the rows read hold, not
    the whole collection (review 205: a first version took time in the collection's
    size at each chunk, quadratic over a transform)."""

    def __init__(self, long: np.ndarray, lengths: np.ndarray) -> None:
        self.long = long
        self.lengths = np.asarray(lengths, dtype=np.int64)
        self.starts = np.cumsum(self.lengths) - self.lengths
        self.shape = (
            len(self.lengths),
            int(self.lengths.max()) if len(self.lengths) else 0,
            long.shape[1],
        )  # (the padded array's)

    def __len__(self) -> int:
        return len(self.lengths)

    def _gather(self, rows: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Of the sequences ``rows``, in their order: their lengths, and for each of
        their steps its sequence (0 for the first of ``rows``...), its position in
        that sequence, and its place in ``long``."""
        lengths, starts = self.lengths[rows], self.starts[rows]
        first = np.cumsum(lengths) - lengths  # (each sequence's first step, gathered)
        seq = np.repeat(np.arange(len(lengths)), lengths)
        pos = np.arange(int(lengths.sum())) - np.repeat(first, lengths)
        return lengths, seq, pos, np.repeat(starts, lengths) + pos

    def __getitem__(self, key: Any) -> Any:
        if not isinstance(key, tuple):  # the sequences ``key``, held alike
            if isinstance(key, slice) and key.step in (None, 1):  # (a view)
                lengths = self.lengths[key]
                a = int(self.starts[key][0]) if len(lengths) else 0
                return _Ragged(self.long[a : a + int(lengths.sum())], lengths)
            lengths, _, _, src = self._gather(key)
            return _Ragged(self.long[src], lengths)
        rows, cut = key
        lengths, seq, pos, src = self._gather(rows)
        steps = len(range(*cut.indices(self.shape[1])))
        if len(lengths) == 0 or steps < int(lengths.max()):
            raise ValueError(f"_Ragged reads whole sequences (steps={steps}).")
        out = np.zeros((len(lengths), steps, self.long.shape[1]), dtype=self.long.dtype)
        out[seq, pos] = self.long[src]
        return out


def _times_by_value(dtype: Any) -> bool:
    """Whether a time level of ``dtype`` is sorted by its values, not its codes: an
    unordered categorical of anything but text or booleans (numbers, datetimes,
    durations, periods, decimals), whose list of categories says nothing of time. Text
    categories keep their list's order (months in their order: pandas sorts them so
    too; review 109), and an ordered categorical the order it declares."""
    if not isinstance(dtype, pd.CategoricalDtype) or dtype.ordered:
        return False
    return not all(isinstance(c, str | bool | np.bool_) for c in dtype.categories)


def align_targets(y: Any, sequence_ids: np.ndarray | None, name: str = "y") -> Any:
    """``y`` reordered by sequence id when it is a pandas object indexed by those ids.

    Its index may hold more ids than ``X`` (e.g. the targets of every sequence, with
    ``X`` a split of the frame): the ids of ``X`` are then taken from it.

    A ValueError where that reading and the positional one both fit and differ:
    ``y``'s index is pandas' default (a ``RangeIndex`` 0..n-1, what ``pd.Series(values)``
    gets), one entry per sequence, and ``X``'s ids are those integers in another order
    (a review found such a ``y`` silently matched by id, where the same values as an
    array are taken by position: two different models). An index of the same integers
    made otherwise (``groupby`` over the ids) is taken as ids.

    A ValueError too where ``y``'s index, other than pandas' default (taken by
    position), holds some of ``X``'s ids but not every one, holds one twice, or holds
    them all as another type (``"12"`` for ``12``): it was taken by position, each
    sequence given another's target (review 108).

    A torch tensor (``y``, ``sample_weight``) is read as its values, as ``X`` is
    (:func:`plain_input`).
    """
    y = plain_input(y)  # (a torch tensor as its values, as X: plain_input)
    if sequence_ids is None or not isinstance(y, pd.Series | pd.DataFrame):
        return y
    ids, held, index = set(sequence_ids), set(y.index), y.index
    found = ids & held
    default = isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1
    # (each of X's ids once: the index may hold more ids, repeated or not; review 109)
    once = bool(index[index.isin(list(found))].is_unique) if found else True
    if found and not default and (found != ids or not once):
        missing = [i for i in sequence_ids if i not in held][:5]
        what = f"not every one (missing: {missing!r}" + (", ...)" if len(ids - held) > 5 else ")")
        if found == ids:
            what = "some more than once"
        raise ValueError(
            f"{name} is a pandas object whose index holds X's sequence ids, but {what}: "
            f"it can be aligned by id only with each id once. Pass {name}.to_numpy() if "
            "its values are in the order of X's sequences (dream_sklearn.to_sequences(X) "
            "returns the ids in that order)."
        )
    other_type = None if found or default or not ids else _ids_as_another_type(ids, held)
    if other_type is not None:
        theirs, mine = other_type
        raise ValueError(
            f"{name}'s index holds X's sequence ids as another type ({theirs!r} for "
            f"{mine!r}, ...): cast one of them, or pass {name}.to_numpy() if its values "
            "are in the order of X's sequences."
        )
    if found == ids and once:
        n = len(index)
        positions = np.arange(n)
        if (
            n == len(sequence_ids)
            and isinstance(index, pd.RangeIndex)
            and index.start == 0
            and index.step == 1
            and not np.array_equal(np.asarray(sequence_ids, dtype=object), positions)
        ):
            raise ValueError(
                f"{name} is a pandas object with pandas' default index 0..{n - 1}, "
                "and X's sequence ids are those integers in another order, so it could be "
                f"meant by id or by position. Pass {name}.to_numpy() if its values are in "
                f"the order of X's sequences, or {name}.loc[ids] if they are indexed by id "
                "(ids: X's sequence ids in order, as dream_sklearn.to_sequences(X) "
                "returns them)."
            )
        return y.loc[sequence_ids]
    return y


def _ids_as_another_type(ids: set, held: set) -> tuple[Any, Any] | None:
    """``(a key of held, the id of ids it stands for)`` where ``held`` holds every id
    of ``ids`` as another type: the same text (``"12"`` for ``12``), or, where one side
    holds dates or durations, the same values once cast to theirs (``"2020-01-03"`` or
    ``datetime.date(2020, 1, 3)`` for a datetime id: review 214 found such a ``y``
    taken by position, most sequences given another's target), or text read as the
    integer ids (``"001"`` for ``1``, review 217); else None. (Numbers cast to numbers
    lose digits: ``0.5`` is no name of ``0``, review 215; and a float equal to an int
    id is that id already.)"""
    by_text = {str(h): h for h in held}
    if all(str(i) in by_text for i in ids):
        mine = next(iter(ids))
        return by_text[str(mine)], mine
    zoned = _zone_apart(ids, held)
    if zoned is not None:
        return zoned
    for source, target in ((held, ids), (ids, held)):
        dtype = pd.Index(list(target)).dtype
        from_text = all(isinstance(v, str) for v in source)
        if not (dtype.kind in "Mm" or (from_text and dtype.kind in "iu")):
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                cast = list(pd.Index(list(source)).astype(dtype))
        except (TypeError, ValueError, OverflowError):
            continue
        pairs = list(zip(cast, source, strict=True))  # (cast value, as given)
        if source is held and ids <= set(cast):
            mine = next(iter(ids))
            return next(given for value, given in pairs if value == mine), mine
        if source is ids and set(cast) <= held:
            theirs, mine = pairs[0]
            return theirs, mine
    return None


def _zone_apart(ids: set, held: set) -> tuple[Any, Any] | None:
    """``(a key of held, the id of ids it stands for)`` where one side holds datetimes
    with a time zone and the other every id as naive datetimes, their wall times or
    their UTC times (pandas refuses to cast one to the other, so such a ``y`` was
    taken by position: round 40); else None."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mine, theirs = pd.Index(list(ids)), pd.Index(list(held))
    if not (isinstance(mine, pd.DatetimeIndex) and isinstance(theirs, pd.DatetimeIndex)):
        return None
    if (mine.tz is None) == (theirs.tz is None):
        return None
    for naive in (lambda i: i.tz_localize(None), lambda i: i.tz_convert(None)):
        a = mine if mine.tz is None else naive(mine)
        b = theirs if theirs.tz is None else naive(theirs)
        if set(a) <= set(b):
            return theirs[b.get_loc(a[0])], mine[0]
    return None


def check_time_columns(estimator: Any, X: Any, layout: str | None, *, reset: bool) -> None:
    """Under ``layout="channels_first"`` the columns of a plain 2-D ``X`` are time
    points of univariate series, not features: ``n_features_in_`` is 1 and
    scikit-learn records no names. A fit keeps their number (``_time_width``) and a
    DataFrame's labels (``_time_columns``); a later DataFrame whose labels differ
    where both have one (reordered, renamed; a prefix or a longer frame is taken) is
    refused, as scikit-learn refuses features' names that differ. Without it, a frame
    with its columns reversed was read back to front and scored 0.62 against 0.953,
    silently (review 163). A frame after an array, or an array after a frame, is read
    by position, as scikit-learn reads features."""
    flat = (
        layout == "channels_first"
        and not sp.issparse(X)
        and not isinstance(X, list | tuple)
        and not _is_multiindex_frame(X)
        and not _nested_frame(X)
        and np.ndim(X) == 2
    )
    columns = list(X.columns) if flat and isinstance(X, pd.DataFrame) else None
    if reset:
        estimator.__dict__.pop("_time_columns", None)
        estimator.__dict__.pop("_time_width", None)
        if flat:
            estimator._time_width = int(np.shape(X)[1])
            if columns is not None:
                estimator._time_columns = columns
        return
    fitted = getattr(estimator, "_time_columns", None)
    # A shorter or longer frame is a prefix or an extension of the fit's series, as an
    # array of another length is (review 164): only the labels both have must agree.
    both = None if columns is None or fitted is None else min(len(columns), len(fitted))
    if both is not None and columns[:both] != fitted[:both]:
        raise ValueError(
            "X's columns are time points (layout='channels_first', a 2-D table of "
            "univariate series) and must be those the fit saw, in its order, as far as "
            f"both run; got {reprlib.repr(columns)} where the fit saw {reprlib.repr(fitted)}."
        )


_AS_FITTED = object()  # (check_flat's default: the parameter as the fit read it)


def check_flat(X: Any, n_steps: int, name: str, now: Any = _AS_FITTED) -> None:
    """A clear ValueError when ``X`` is a sequence form while ``n_steps`` is set
    (``now``: the parameter as it is now, where it differs from ``n_steps``, the value
    the fit read ``X`` with: set_params changed it since, and the message says when the
    change takes effect; it said "Set n_steps=None", which the user had just done, a
    review's finding)."""
    X = _sequence_items(X)
    if (
        _is_multiindex_frame(X)
        or (isinstance(X, list | tuple) and len(X) > 0 and np.ndim(X[0]) == 2)
        or (getattr(X, "ndim", 0) or 0) >= 3
    ):
        if now is _AS_FITTED or now == n_steps:
            why, what = (
                f"{name} has n_steps={n_steps}, so",
                " Set n_steps=None to pass sequences directly.",
            )
        else:
            why = (
                f"{name} was fitted with n_steps={n_steps} and reads X so until a fit that "
                "starts a new model, so"
            )
            what = f" set_params(n_steps={now!r}) takes effect at that fit (warm_start=False)."
        raise ValueError(
            f"{why} X must be a 2-D array of shape (n_sequences, n_steps * n_features), one "
            "flattened sequence per row; got a sequence form (3-D array, list of 2-D arrays "
            "or a DataFrame with a two-level index)." + what
        )


def unflatten(
    flat: np.ndarray, n_steps: int, layout: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``(long, lengths)`` of a validated flat table: row i is steps ``0..n_steps-1``
    of sequence i, each ``n_features = n_columns / n_steps`` wide, side by side.

    With ``layout="channels_first"`` row i is instead its channels side by side, each
    ``n_steps`` long (an ``(n, n_channels, n_steps)`` array flattened row by row)."""
    _check_layout(layout)
    n, cols = flat.shape
    if cols % n_steps:
        raise ValueError(
            f"X has {cols} columns, which is not a multiple of n_steps={n_steps}; "
            "with n_steps set each row must hold n_steps * n_features values."
        )
    if layout == "channels_first":
        flat = flat.reshape(n, cols // n_steps, n_steps).transpose(0, 2, 1)
    long = flat.reshape(n * n_steps, cols // n_steps)
    return long, np.full(n, n_steps, dtype=np.int64)


# Below this largest |value| a column's statistics are taken on the column divided by
# it: the squares of deviations below about 1e-154 underflow to 0, and such a column
# (a unit of 1e-170, say) read as constant (a review's finding, round 11). Above it the
# statistics are computed as they always were, to the bit.
_TINY_UNIT = 1e-100


# Above this largest weight, column_stats takes the weights in units of the largest.
# Below it they are read as given, to the bit as before: with values of at most MAX_ABS
# (1e100), a squared deviation times a weight stays below about 4e250.
_HUGE_WEIGHT = 1e50


def column_stats(a: np.ndarray, weights: np.ndarray | None = None) -> tuple:
    """The mean and standard deviation of each column of ``a`` (n, k) (2-D), weighted by
    ``weights`` (n,) when given, in any unit, however small (see ``_TINY_UNIT``)."""
    if a.ndim != 2:
        raise ValueError(f"column_stats takes a 2-D array; got {a.ndim}-D.")
    if weights is not None and len(weights) and weights.max() > _HUGE_WEIGHT:
        # In units of the largest (the same average under any scale): weights near
        # float64's limit overflowed the weighted sums, the means NaN (review 202:
        # sample_weight=1e307, every prediction NaN, silently).
        weights = weights / weights.max()

    def stats(b):
        if weights is None:
            return b.mean(axis=0), b.std(axis=0)
        mean = np.average(b, axis=0, weights=weights)
        return mean, np.sqrt(np.average((b - mean) ** 2, axis=0, weights=weights))

    mean, std = stats(a)
    top = np.abs(a).max(axis=0) if len(a) else np.zeros(a.shape[1:])
    tiny = (top > 0) & (top < _TINY_UNIT)
    if np.any(tiny):
        m, d = stats(a[:, tiny] / top[tiny])
        mean[tiny], std[tiny] = m * top[tiny], d * top[tiny]
    return mean, std


def fitted_scale(scale: np.ndarray, mean: np.ndarray, n: int) -> np.ndarray:
    """``scale`` (a standard deviation per column over ``n`` values) with 1 where
    the column is constant: a spread within the rounding of its mean (``n`` times
    machine epsilon times ``|mean|``: a constant 123456.789 has a computed spread of
    about 1e-9, which an absolute floor read as a feature; a column in units of
    1e-15, which it left unscaled, has a spread far above that)."""
    eps = np.finfo(np.float64).eps
    return np.where(scale <= max(n, 1) * eps * np.abs(mean), 1.0, scale)


def check_magnitude(a: np.ndarray, input_name: str) -> None:
    """A ValueError for values beyond :data:`MAX_ABS` (validated, finite ``a``)."""
    if a.size and np.abs(a).max() > MAX_ABS:
        where = np.unravel_index(np.abs(a).argmax(), a.shape)
        raise ValueError(
            f"Input {input_name} contains a value too large: {float(a[where]):g} (at most "
            f"{MAX_ABS:g} in absolute value is accepted; such a value is usually a "
            "sentinel or a data error)."
        )
