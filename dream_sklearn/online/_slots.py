"""The online estimators' input slots: which feature (or previous target) is which
column of the running statistics, the readouts and the cell's input, and how they grow.

A slot is a feature (``("x", name)`` in ``_x_slot``) or, with ``feedback``, the
previous target (``_y_slot``: a class label, or None for a regressor). Slots are only
ever added, in order; each new one grows the running scaling
(:meth:`_RunningScaling._grow_scaling`), the readouts (``_grow_readouts``) and, when it
feeds the cell, the cell's input (its old weights kept: ``_CellWeights.grown``). A
mixin of the estimators' base (``_base._DREAMOnline``), which holds the state.
"""

from __future__ import annotations

import reprlib
from typing import Any

import numpy as np
import torch

from ..nn import DREAMConfig, DREAMState
from ..nn._cell import _CellWeights, _step_flags, _with_inputs
from ..nn._config import _is_int
from . import _pretrained
from ._rows import _sort_key

__all__: list[str] = []


def _unequal(key: Any) -> bool:
    """Whether ``key`` holds a value unequal to itself: a NaN, pandas' NA (neither
    equal nor unequal), or a tuple or frozenset holding one (they compare their items
    by identity first: ``("a", nan)`` equals itself, but not a copy with another NaN;
    review 336)."""
    if isinstance(key, tuple | frozenset):
        return any(map(_unequal, key))
    try:
        return bool(key != key)
    except TypeError:  # (pandas' NA: its comparison is neither true nor false)
        return True


class _UnreadKeys(ValueError):
    """A row refused for keys a converted model cannot read (:meth:`_Slots._check_new_keys`):
    ``predict_one`` refuses it too, so it is no row of the stream."""


def _check_names(keys: list) -> None:
    """Refuse a feature named by a value unequal to itself (:func:`_unequal`): its
    slot is found again only through the very same object (``np.nan`` itself, until
    a pickle or a copy makes another), so a row naming it by another NaN adds a new
    feature, silently."""
    for key in keys:
        if _unequal(key):
            raise ValueError(
                f"Feature names must be equal to themselves; got {key!r} (a NaN in a name "
                "is found again only through the same object, so another row, or the "
                "model after a pickle, would make it a new feature). Rename the column "
                "or key."
            )


class _Slots:
    """The slot tables and their growth (a mixin of the online estimators' base)."""

    @property
    def features_(self) -> list:
        """The features seen so far, in slot order."""
        return list(self._x_slot) if self._built else []

    def _add_slots(self, keys: list, table: dict, to_cell: bool) -> None:
        """Slots for ``keys`` in ``table`` (features, or the previous target's), after
        the slots there are: their statistics, readout weights and, ``to_cell``, the
        cell's inputs grow with them."""
        m = len(self._mean)
        for i, key in enumerate(keys):
            table[key] = m + i
        k = len(keys)
        self._grow_scaling(k)
        self._born = np.concatenate([self._born, np.full(k, float(self.n_steps_))])
        self._grow_readouts(m, k, paired=table is self._x_slot)
        if self._prev_y is not None:
            self._prev_y = np.concatenate([self._prev_y, np.zeros(k)])
        self._ys = np.fromiter(self._y_slot.values(), dtype=np.intp, count=len(self._y_slot))
        if to_cell:
            self._cell_slots = np.concatenate([self._cell_slots, np.arange(m, m + k)])
            self._resize_cell(len(self._cell_slots))
        self._version += 1

    def _resize_cell(self, d_new: int) -> None:
        if self._cell == "pretrained":  # a fixed cell; its input map grows instead
            _pretrained.attach(self, d_new)
            return
        n, r = self._hidden_dim, self._rank
        weights = self._cell_weights
        if weights is None:
            config = DREAMConfig(d_new, n, rank=r, **self._config)
            weights = _CellWeights.drawn(config, self._seed)
            self._np_flags = _step_flags(config)
        else:
            config = _with_inputs(self._cell_config, d_new)
            weights = weights.grown(config, self._seed)
        self._cell_config, self._cell_weights, self._cell_module = config, weights, None
        self._np_params = weights.step_params(config)
        if self._state is None:
            zeros = DREAMState.zeros(1, d_new, n, r, dtype=torch.float64)
            self._state = tuple(t.numpy().copy() for t in zeros)
        else:
            h, U, Ut, em, ev, sb = self._state
            k = d_new - em.shape[1]
            em = np.concatenate([em, np.zeros((1, k))], axis=1)
            ev = np.concatenate([ev, np.ones((1, k))], axis=1)
            self._state = (h, U, Ut, em, ev, sb)

    def _check_keys(self, x: dict | list, given: dict | list | None = None) -> None:
        """Refuse a row (or a frame's columns) whose new feature names cannot be learned,
        before anything is built or changed: see :func:`_check_names` and
        :meth:`_check_new_keys` (``given``: the row's keys, its missing values'
        included, where ``x`` is the row without them)."""
        known = self._x_slot if self._built else {}
        new = [k for k in x if k not in known]
        if new:
            _check_names(new)
            self._check_new_keys(new, x if given is None else given)

    def _register_features(self, x: dict) -> None:
        """Slots for ``x``'s features not seen yet (its keys checked: _check_keys)."""
        new = [k for k in x if k not in self._x_slot]
        if new:
            self._add_slots(sorted(new, key=_sort_key), self._x_slot, to_cell=True)
            if getattr(self, "_neighbors", None) is not None and not self._k_neighbors:
                # n_neighbors="auto" turned the kNN expert off (a fourth feature): its
                # window and weights go, as when n_neighbors is set to 0; set on again,
                # it starts empty (review 395: they stayed, and came back stale)
                self._drop_window()

    def _check_new_keys(self, keys: list, given: Any) -> None:
        """On a model with a loaded cell (``from_sklearn``), refuse a row whose new
        ``keys`` look like positions when the cell's features have names, and a row
        whose keys (``given``, every one) are none of the model's features: the
        trained inputs would all read as missing (review 134: a river stream's names
        after a fit on an array were taken as new features, silently)."""
        features = self._loaded_features
        if features is None:
            return
        names = self._loaded_names
        positions = [k for k in keys if _is_int(k) and 0 <= k < len(names or ())]
        if positions:
            raise _UnreadKeys(
                f"x has keys {positions!r} that look like column positions, but this model "
                "was converted from an estimator fitted on a DataFrame: its features are "
                f"named {names!r}. Key each row by those names (e.g. "
                "dict(zip(feature_names_in_, row)))."
            )
        if not any(k in self._x_slot for k in given):
            raise _UnreadKeys(
                f"x has keys {reprlib.repr(list(given))}, none of them a feature of this "
                "model, which was converted from a fitted estimator whose cell reads "
                f"{reprlib.repr(features)} (features_; after a fit on an array or with "
                "n_steps, the per-step features' positions): every trained input would "
                "read as missing. Key each row by those features."
            )

    def _add_target_slots(self, keys: list) -> None:
        """Slots for the previous target (with ``feedback``), in the cell if 'cell'."""
        feedback = self._feedback or self.feedback  # (None: pickled before it was kept)
        if feedback != "none":
            self._add_slots(keys, self._y_slot, to_cell=feedback == "cell")
