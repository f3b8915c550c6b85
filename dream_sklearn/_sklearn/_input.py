"""Turning the estimators' inputs into one "long" 2-D table plus sequence lengths.

Every accepted form of ``X`` (see ``docs/sklearn.md``) is first flattened to a long
table of shape ``(total_steps, n_features)`` that holds the valid steps of every
sequence one after the other, and a vector of sequence lengths. The long table goes
through scikit-learn's ``validate_data`` (so ``n_features_in_``,
``feature_names_in_`` and the usual messages for NaN, inf, strings, sparse input and
a wrong number of features come from scikit-learn itself); :func:`pad` then builds
the padded ``(n_sequences, max_steps, n_features)`` array the network reads.

With the estimators' ``n_steps`` parameter set, ``X`` is instead a flat 2-D table
``(n_sequences, n_steps * n_features)`` (each row one sequence, its steps side by
side, step-major). That table is validated as it is (``n_features_in_`` is its
number of columns) and :func:`unflatten` then gives the long table. This is the
form for tools that only pass 2-D blocks around, such as ``dask_ml``'s
``Incremental``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .._limits import MAX_ABS

__all__ = ["to_sequences"]


def _is_multiindex_frame(X: Any) -> bool:
    return isinstance(X, pd.DataFrame) and isinstance(X.index, pd.MultiIndex)


def to_long(X: Any) -> tuple[Any, np.ndarray | None, np.ndarray | None]:
    """``(long, lengths, sequence_ids)`` for any accepted form of ``X``.

    ``long`` is still unvalidated (an array-like or a DataFrame keeping the column
    names); ``sequence_ids`` is the id of each sequence for a DataFrame with a
    two-level index, else ``None``. Forms that are neither sequences nor 2-D
    tables are passed through unchanged with ``lengths=None`` (one step per row once
    validated), so that scikit-learn's own validation reports what is wrong with them.
    """
    if _is_multiindex_frame(X):
        if X.index.nlevels != 2:
            raise ValueError(
                "A DataFrame X with a MultiIndex must have exactly two levels "
                f"(sequence id, time); got {X.index.nlevels} levels."
            )
        codes, ids = pd.factorize(X.index.get_level_values(0))
        order = pd.MultiIndex.from_arrays([codes, X.index.get_level_values(1)]).sortlevel(
            [0, 1], sort_remaining=False
        )[1]
        lengths = np.bincount(codes, minlength=len(ids)).astype(np.int64)
        return X.iloc[np.asarray(order)], lengths, np.asarray(ids)
    if isinstance(X, list | tuple) and len(X) > 0 and np.ndim(X[0]) == 2:
        seqs = [np.asarray(s) for s in X]
        for i, s in enumerate(seqs):
            if s.ndim != 2:
                raise ValueError(
                    "X given as a list must hold 2-D arrays (n_steps, n_features); "
                    f"X[{i}] has shape {s.shape}."
                )
            if s.shape[1] != seqs[0].shape[1]:
                raise ValueError(
                    "Every sequence of X must have the same number of features; "
                    f"X[0] has {seqs[0].shape[1]} and X[{i}] has {s.shape[1]}."
                )
        _check_no_empty([s.shape[0] for s in seqs])
        lengths = np.array([s.shape[0] for s in seqs], dtype=np.int64)
        return np.concatenate(seqs, axis=0), lengths, None
    if (
        not sp.issparse(X)
        and not isinstance(X, list | tuple | pd.DataFrame)
        and getattr(X, "ndim", None) in (3, None)
        and np.asarray(X).ndim == 3
    ):
        X = np.asarray(X)
        _check_no_empty([X.shape[1]] * X.shape[0])
        if X.shape[0] == 0:
            raise ValueError(f"X contains no sequence: got an array of shape {X.shape}.")
        return X.reshape(-1, X.shape[2]), np.full(X.shape[0], X.shape[1], np.int64), None
    return X, None, None


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
    return np.split(values, np.cumsum(lengths)[:-1]), ids


def _check_no_empty(lengths: list[int]) -> None:
    empty = [i for i, n in enumerate(lengths) if n == 0]
    if empty:
        raise ValueError(
            "Every sequence of X needs at least one step; got empty sequences at "
            f"positions {empty[:5]}{'...' if len(empty) > 5 else ''}."
        )


def pad(long: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The padded (n_sequences, max(lengths), n_features) array; padding is 0."""
    n, steps = len(lengths), int(lengths.max())
    if np.all(lengths == steps):
        return np.ascontiguousarray(long.reshape(n, steps, long.shape[1]))
    out = np.zeros((n, steps, long.shape[1]), dtype=long.dtype)
    seq = np.repeat(np.arange(n), lengths)
    starts = np.cumsum(lengths) - lengths
    out[seq, np.arange(len(long)) - np.repeat(starts, lengths)] = long
    return out


def align_targets(y: Any, sequence_ids: np.ndarray | None) -> Any:
    """``y`` reordered by sequence id when it is a pandas object indexed by those ids.

    Its index may hold more ids than ``X`` (e.g. the targets of every sequence, with
    ``X`` a split of the frame): the ids of ``X`` are then taken from it.
    """
    if (
        sequence_ids is not None
        and isinstance(y, pd.Series | pd.DataFrame)
        and y.index.is_unique
        and set(sequence_ids) <= set(y.index)
    ):
        return y.loc[sequence_ids]
    return y


def check_flat(X: Any, n_steps: int, name: str) -> None:
    """A clear ValueError when ``X`` is a sequence form while ``n_steps`` is set."""
    if (
        _is_multiindex_frame(X)
        or (isinstance(X, list | tuple) and len(X) > 0 and np.ndim(X[0]) == 2)
        or (getattr(X, "ndim", 0) or 0) >= 3
    ):
        raise ValueError(
            f"{name} has n_steps={n_steps}, so X must be a 2-D array of shape "
            "(n_sequences, n_steps * n_features), one flattened sequence per row; "
            "got a sequence form (3-D array, list of 2-D arrays or a DataFrame with a "
            "two-level index). Set n_steps=None to pass sequences directly."
        )


def unflatten(flat: np.ndarray, n_steps: int) -> tuple[np.ndarray, np.ndarray]:
    """``(long, lengths)`` of a validated flat table: row i is steps ``0..n_steps-1``
    of sequence i, each ``n_features = n_columns / n_steps`` wide, side by side."""
    n, cols = flat.shape
    if cols % n_steps:
        raise ValueError(
            f"X has {cols} columns, which is not a multiple of n_steps={n_steps}; "
            "with n_steps set each row must hold n_steps * n_features values."
        )
    long = flat.reshape(n * n_steps, cols // n_steps)
    return long, np.full(n, n_steps, dtype=np.int64)


def check_magnitude(a: np.ndarray, input_name: str) -> None:
    """A ValueError for values beyond :data:`MAX_ABS` (validated, finite ``a``)."""
    if a.size and np.abs(a).max() > MAX_ABS:
        where = np.unravel_index(np.abs(a).argmax(), a.shape)
        raise ValueError(
            f"Input {input_name} contains a value too large: {float(a[where]):g} (at most "
            f"{MAX_ABS:g} in absolute value is accepted; such a value is usually a "
            "sentinel or a data error)."
        )
