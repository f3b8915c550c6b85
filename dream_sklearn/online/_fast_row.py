"""The compiled row's side of the online estimators (a mixin of ``_DREAMOnline``).

A row with no growth event (no new feature, no new class) is read and learned by the
kernels of ``_kernels.py`` over the buffers ``_compiled._Compiled`` lays out; these
methods decide when they can (the buffers still the estimator's, the parameters
unchanged, the switch on), hand the row to them, and finish in Python what the
kernels leave (the drift detector, the kNN expert, the regressor's rare target
rows, the classifier's rows kept for their labels under ``advance_on_predict``). Where
they cannot, they return None or False and the NumPy path
(``_base._DREAMOnline``) reads the row: the reference, and the fallback for growth
events and when numba is absent.
"""

from __future__ import annotations

import operator
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from . import _compiled
from ._compiled import _RES
from ._pending import _Pending
from ._rows import _as_float, _frame_values, _row_key, _same_row

__all__: list[str] = []

_FLOAT = np.dtype(np.float64)
# What the Python reads of a row's results after the learn kernel (``_RES``: each
# field's position in the kernels' RES buffer), by name; and the regressor's target
# statistics before the row (_after_target_kernel's ``before``).
_READ_RES = operator.itemgetter(
    _RES.surprise, _RES.tau, _RES.running, _RES.warming, _RES.grant, _RES.y_after, _RES.jumped
)
_READ_BEFORE = operator.itemgetter(_RES.y_mean0, _RES.y_var0, _RES.y_avg0)


# The compiled row's per-row tuples are plain tuples read at named positions: made as
# NamedTuples (0.1-0.2 µs more each), these three and the results' read cost the
# compiled row 9-13% of its time (round 42, speed.py --only online-base).
# ``_fast_row``, the row the work buffers hold, read by the forward kernel: the
# estimator's ``_version`` then, a copy of the row as given (None: a frame's row, not
# kept), the kernel's value (the class's index, or the prediction).
_ROW_VERSION, _ROW_X, _ROW_R = range(3)
# ``_learned_last``, the row learn_one learned last until a row is read (_repeated):
# the row object as given (compared by identity), a copy of its values, its target.
_LAST_X, _LAST_VALUES, _LAST_Y = range(3)
# A target as the learn kernel takes it (``_fast_target``): the class's index (the
# regressor: 0), the slot of the previous label or target fed back (-1: none), the
# regressor's target (the classifier: 1.0).
_TARGET_C, _TARGET_SLOT, _TARGET_Y = range(3)


class _Advanced(NamedTuple):
    """A row ``_fast_advance`` read and advanced on: what was kept for its label, and
    the readouts' outputs on it (a copy)."""

    entry: _Pending
    out: np.ndarray


class _CompiledRow:
    """The online estimators' compiled row: forward, learn and mini-batch reads."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _compiled._count_layout_params(cls)  # (the parameters its layout reads, counted)

    def _fast_ready(self) -> bool:
        """Whether the task's state lets the compiled row run (task hook)."""
        return False

    def _fast_forward(self, x: dict) -> float | None:
        """Read ``x`` in the compiled row: its prediction (class index, or the
        regressor's prediction), kept for a following learn_one (``_fast_row``: the
        version and the row its work buffers hold); None where the NumPy path must
        read it (see ``_compiled``)."""
        self._learned_last = None  # (a row read: a learn_one after it is no repeat)
        fast = self._fast
        if (
            fast is None
            or fast.W is not self._W
            or fast.state is not self._state
            or fast.params_set != self._params_set  # (a parameter set: _LayoutParam)
            or not _compiled._ON
        ):
            fast = self._relayout()
            if fast is None:
                return None
        if type(x) is not dict and not isinstance(x, dict):  # the NumPy path says why
            return None
        keys = tuple(x)
        slots = fast.slots.get(keys)
        if slots is None:
            slots = fast.slots_of(keys)
            if slots is None:
                return None
        try:
            values = np.array(tuple(x.values()))
        # ragged lists, a tensor that requires a gradient (torch's RuntimeError)...:
        # the NumPy path says why
        except Exception:
            return None
        # The kernels take float64, 1-d, C-contiguous values (as np.array makes them)
        # and do not check it (_Compiled._first_forward).
        if values.dtype is not _FLOAT or values.ndim != 1:
            values = _as_float(values)
            if values is None:
                return None
        r = fast.forward(fast.fb, fast.ib, values, slots)
        if r != r:  # the work buffers may hold part of this row
            self._fast_row = None
            return None
        self._fast_row = (self._version, dict(x), r)  # (r: the kNN expert reads it)
        return r

    def _fast_learn(self, x: dict, y: Any) -> bool:
        """Learn ``(x, y)`` in the compiled row; False where the NumPy path must."""
        seen, fast = self._fast_row, self._fast
        if (
            seen is None
            or fast is None  # (a copy made between predict_one and learn_one)
            or fast.W is not self._W  # (a copy of the buffers apart from the arrays)
            or seen[_ROW_VERSION] != self._version
            or not _same_row(seen[_ROW_X], x, True)  # (exact: a NaN object apart reads it anew)
            or fast.params_set != self._params_set  # (a parameter set: _LayoutParam)
            or not _compiled._ON
        ) and self._fast_forward(x) is None:
            return False
        values = self._fast_row[_ROW_X]  # (a copy of the row's values)
        if not self._fast_commit(y):
            return False
        if self._read_now:  # (the first learn_one after a predict: see _repeated)
            self._learned_last = (x, values, y)
        return True

    def _relayout(self) -> Any:
        """Lay the compiled row's buffers out again (``_compiled._Compiled``): the
        NumPy path replaced one of their arrays, a parameter changed, or the switch
        turned. None where the NumPy path must read the next row."""
        self._fast_row = None
        if self.advance_on_predict:  # (its own layout, _advance_layout, not this one)
            self._fast = None
            return None
        if self._built:
            self._recheck()
        fast = self._fast = _compiled._build(self)
        return fast

    def _fast_commit(self, y: Any) -> bool:
        """Learn the row the compiled row's buffers hold (``_fast_row``: read by its
        forward kernel) with target ``y``; False where the NumPy path must (a new
        class, a new feature: nothing learned)."""
        target = self._fast_target(y)
        if target is None:
            return False
        fast = self._fast
        # the kNN expert's read of the row, in the scale before the row's update; or
        # none where the vote passes the row by (inline: see _vote_passes), counted
        # once the row is learned here (a growth event's row is counted by the NumPy
        # path that learns it: review 398)
        vote = self._neighbors
        passes = fast.knn and vote is not None and vote.wait > 0
        neighbors = self._fast_neighbor_read(target) if fast.knn and not passes else None
        fresh = self._fresh_rows
        # (the regressor holding no copy of its readouts: the kernel stops, -2, at a
        # target that starts a run of far ones, before it learns anything, for the copy)
        hold = 1 if fast.regression and self._y_readouts is None else 0
        loss = fast.learn(fast.fb, fast.ib, *target, fresh, hold)
        if loss == -2.0:
            self._hold_readouts(target[_TARGET_Y])
            loss = fast.learn(fast.fb, fast.ib, *target, fresh, 0)
        if loss < 0.0:  # a new feature: a growth event (nothing learned)
            return False
        if passes:
            vote.wait -= 1
        if fresh:
            self._fresh_rows = fresh - 1
        drifts = self.n_drifts_
        res = fast.res.tolist()  # (before _watch: a drift's replay writes a new _W)
        if self._drift is not None:
            # (the kernel kept the row for a replay, _record; and summed the first
            # generation's weight, which _drop_generation compares)
            self._watch(loss, res[_RES.first])
        if neighbors is not None:
            self._fast_neighbor_learn(neighbors, target, loss, self.n_drifts_ > drifts)
        elif self.n_drifts_ > drifts and vote is not None:  # (a row the vote passed by)
            vote.on_drift()
        surprise, tau, running, warming, grant, after, jumped = _READ_RES(res)
        self.last_surprise_, self.last_tau_ = surprise, tau
        self._running, self._warming = running != 0.0, warming != 0.0
        if grant:  # (a waiting slot's ramps read something, or slots apart met: pairs)
            self._grant_pairs(fast.present)
        # The regressor's target statistics (the kernel updated them in place): the
        # rows the kernel flags (``after``: a target out of bounds, one of the first,
        # one that left a constant target) and those of a glitch's kept statistics
        # or readouts go on in Python (_TargetScaling._after_target_kernel); most
        # need nothing. After the pairs' grant, as on the NumPy path (_commit before
        # _update_target_stats): a restore of the readouts checks their width against
        # it (review 195: restored on the old width, then widened, on this path only).
        if fast.regression and (after or self._y_undo_left or self._y_readouts is not None):
            aside = self._target_set_aside()  # (as the kernel read it: "diff" held back)
            self._after_target_kernel(target[_TARGET_Y], _READ_BEFORE(res))
            held = aside and self._reads_diff and self._prev_u is not None
            if held and not self._target_set_aside():
                # A glitch's undo ended on the row: its target was taken in after all,
                # and "diff" moves on to it, as on the NumPy path (review 279).
                self._prev_u[:] = fast.urow[: len(self._prev_u)]
        if jumped:  # (after the target's rows in Python, as _update_target_stats)
            self._target_jumped()
        self.n_steps_ += 1
        self._version += 1
        self._cache = self._fast_row = None
        return True

    # ------------------------------------------------- advance_on_predict's rows

    def _advance_layout(self) -> Any:
        """The buffers of ``advance_on_predict``'s compiled row (the classifier's:
        ``_fast_adv``), laid out again where the NumPy path read or learned a row
        (``_advance`` and ``_learn_numpy`` let it go: they replace some of its arrays,
        the running scale among them, and set its flags; review 420), or replaced one
        of the arrays checked here (drift recovery's readouts, a replay), a parameter
        changed or the switch turned; None where the NumPy path must read the row."""
        fast = self._fast_adv
        if (
            fast is None
            or fast.W is not self._W
            or fast.state is not self._state
            or fast.weights is not self._weights
            or fast.prev_y is not self._prev_y
            or fast.prev_u is not self._prev_u
            or fast.params_set != self._params_set
            or not _compiled._ON
        ):
            self._fast_row = None
            if self._built:  # (as _relayout: a parameter set since, validated first)
                self._recheck()
            fast = self._fast_adv = _compiled._build(self, advance=True)
        return fast

    def _fast_advance(self, x: dict, row: dict) -> _Advanced | None:
        """``predict_one``'s read of ``x`` (``row``: without its missing values) with
        ``advance_on_predict``, in the compiled row: the forward kernel, the commit of
        the cell's step and of the statistics (the advance kernel), and the row kept
        for its label with its features (``_PendingRows._keep_advanced``), as
        ``_PendingRows._advance`` does on the NumPy path; None where the NumPy path
        must read the row (nothing changed)."""
        fast = self._advance_layout()
        if fast is None or (type(x) is not dict and not isinstance(x, dict)):
            return None
        key = _row_key(row)  # (first: nothing is changed if the row has no key)
        if self._advance_read(fast, x) is None:
            return None
        prev = None if self._prev_u is None else self._prev_u.copy()  # ("diff" read it)
        raw, present, u = fast.raw.copy(), fast.present.copy(), fast.urow[None].copy()
        out, phi = fast.out.copy(), fast.phi.copy()
        scale = None
        if self._k_neighbors:  # (the scale the row was read in: the kNN vote's)
            scale = self._scale_read = self._scale.copy()
        pairs = self._pairs.shape[1]  # (before the commit grants the row's new pairs)
        _compiled._ADVANCE[0](fast.fb, fast.ib)
        surprise, tau, running, warming, grant, _, _ = _READ_RES(fast.res.tolist())
        self.last_surprise_, self.last_tau_ = surprise, tau
        self._running, self._warming = running != 0.0, warming != 0.0
        if grant:  # (a waiting slot's ramps read something, or slots apart met: pairs)
            self._grant_pairs(present)
        entry = _Pending(
            self._state[0].copy(), u, raw, present, surprise, prev, None, scale,
            self._strict(), None, pairs, phi, (len(self._mean), pairs),
        )  # fmt: skip
        entry = self._keep_advanced(key, entry, out)
        self._fast_row = None  # (its label finds it waiting: no learn of the buffers' row)
        return _Advanced(entry, out)

    def _advance_read(self, fast: Any, x: dict) -> float | None:
        """The forward kernel on row ``x`` in the advancing layout ``fast`` (its work
        buffers then hold the row): the kernel's value, or None where the NumPy path
        must read the row (a value the kernel does not take, a new feature, which the
        NumPy path grows). ``_fast_forward`` reads the default layout's rows inline."""
        keys = tuple(x)
        slots = fast.slots.get(keys)
        if slots is None:
            slots = fast.slots_of(keys)
            if slots is None:
                return None
        try:
            values = np.array(tuple(x.values()))
        except Exception:  # (the NumPy path reads it: see _fast_forward)
            return None
        if values.dtype is not _FLOAT or values.ndim != 1:
            values = _as_float(values)
            if values is None:
                return None
        r = fast.forward(fast.fb, fast.ib, values, slots)
        if r != r or fast.res[_RES.unknown]:
            return None
        return r

    def _fast_unadvanced(self, x: dict, y: Any) -> bool:
        """Learn ``(x, y)`` in the advancing layout's buffers, a row the cell did not
        advance on under ``advance_on_predict`` (predicted before anything was built,
        or learned without a prediction): the forward and learn kernels, as the
        default layout learns a row (``_fast_commit``). ``x`` validated, its features
        and classes registered (``_learn_numpy``); ``y`` the label as validated. False
        where the NumPy path must learn it (nothing changed). On the NumPy path each
        such label let the layout go, and the next row laid it out again: the first
        ``delay`` labels under a delay cost about half a millisecond each (round 72)."""
        if not (self.advance_on_predict and self._task == "classification" and _compiled._ON):
            return False  # (the regressor's rows advanced on take the NumPy path)
        fast = self._advance_layout()
        if fast is None:
            return False
        r = self._advance_read(fast, x)
        if r is None:
            return False
        # _fast_commit reads the row the default layout's buffers hold: here, these
        # (the default layout is never laid out under advance_on_predict: _relayout)
        self._fast, self._fast_row = fast, (self._version, None, r)
        try:
            return self._fast_commit(y)
        finally:
            self._fast = self._fast_row = None

    def _fast_read_kept(self, entry: Any) -> Any:
        """Read a row advanced on (``entry``, a ``_Pending``) in the compiled row at
        its label: its features as kept when it was read, under the readouts as they
        are now (the read kernel: the buffers' PHI and OUT), where the feature map has
        the same columns as then (no slot or pair since: ``_pending_step`` reads
        those as absent); its learn kernel comes after the kNN expert's read
        (``_base._learn_numpy``). The layout, or None where the NumPy path must read
        it (nothing changed)."""
        if entry.columns != (len(self._mean), self._pairs.shape[1]):
            return None
        fast = self._advance_layout()
        if fast is None:
            return None
        _compiled._ADVANCE[1](fast.fb, fast.ib, entry.phi)
        return fast

    def _learn_kept(self, fast: Any, y: Any, surprise: float) -> tuple[float, float]:
        """Learn label ``y`` on the row :meth:`_fast_read_kept` read, by the learn
        kernel of kept rows: the readouts' steps and mixture (``surprise``: the cell's
        on the row when it was advanced on), the row kept for a replay, the label fed
        back. The mixture's loss, and the first generation's share of its weight after
        the row (the drift detector reads both: ``_learn_numpy`` goes on from here)."""
        fresh = self._fresh_rows
        c, y_slot = self._classes[y], self._y_slot.get(y, -1)
        loss = _compiled._ADVANCE[2](fast.fb, fast.ib, c, y_slot, fresh, surprise)
        if fresh:
            self._fresh_rows = fresh - 1
        return loss, float(fast.res[_RES.first])

    def _fast_frame(self, values: np.ndarray) -> np.ndarray | None:
        """A validated frame's values (``_frame_values``: NaN where missing) as the
        compiled row reads them, a row at a time (C-contiguous float64), or None where
        every row takes the row-by-row path (the switch off, or a built model the
        compiled row does not read: ``advance_on_predict``...). The parameters are
        read here, once a frame (none changes within a call); each row checks that
        the buffers are still the estimator's (``_fast_values``)."""
        if not _compiled._ON:
            return None
        fast = self._fast
        if (fast is None or fast.params_set != self._params_set) and self._built:
            if self._relayout() is None:
                return None
        return np.array(values, dtype=np.float64, order="C")  # (a copy: writable)

    def _fast_values(self, keys: tuple, values: np.ndarray) -> float | None:
        """Read one row of a frame in the compiled row: ``values`` in the order of
        ``keys`` (a row of ``_fast_frame``'s). What ``_fast_forward`` returns and
        keeps (no copy of the row: a learn_one after it reads its row anew), or None
        where the row-by-row path must read it."""
        fast = self._fast
        if fast is None or fast.W is not self._W or fast.state is not self._state:
            fast = self._relayout()
            if fast is None:
                return None
        slots = fast.slots.get(keys)
        if slots is None:
            slots = fast.slots_of(keys)
            if slots is None:
                return None
        r = fast.forward(fast.fb, fast.ib, values, slots)
        if r != r:
            self._fast_row = None
            return None
        self._fast_row = (self._version, None, r)
        return r

    def _fast_predicted(self, r: float) -> Any:
        """``predict_one``'s prediction from the compiled row's value ``r`` on the row
        its buffers hold (task hook; ``predict_one`` reads ``r`` inline where the
        kNN expert is off)."""
        raise NotImplementedError

    def _fast_outputs(self, r: float) -> tuple:
        """``(raw, present, out)`` of the row the compiled row's buffers hold, as
        ``_forward_many`` gives each row's: its values, the slots it has, the readouts'
        outputs (copies)."""
        fast = self._fast
        return fast.raw.copy(), fast.present.copy(), fast.out.copy()

    def _fast_forward_many(self, X: pd.DataFrame) -> tuple | None:
        """``_forward_many``'s ``(raw, present, out)`` by the compiled row, a row at a
        time, or None where the NumPy path must read the frame."""
        read = self._fast_predict_frame(X, self._fast_outputs)
        return None if read is None else tuple(np.stack(a) for a in zip(*read, strict=True))

    def _fast_predict_frame(self, X: pd.DataFrame, read: Any) -> list | None:
        """``read(r)`` after the compiled row read each row of ``X`` from the
        committed state (``r``: the kernel's value, see ``_fast_forward``), or None
        where the NumPy path must read the frame (nothing learned either way: the
        compiled row's work buffers alone change)."""
        if not _compiled._ON or not self._built or not len(X):
            return None  # (the NumPy path reads the frame: _forward_many)
        values, present = _frame_values(X, self._strict())
        self._recheck()  # (as _forward_many: a live parameter changed to a bad value)
        cols = X.columns.tolist()  # (one conversion: pandas' string columns iterate slowly)
        new = [c for c in cols if c not in self._x_slot]
        if new:  # (those with a value, as a row's keys: review 289)
            has = dict(zip(cols, present.any(axis=0).tolist(), strict=True))
            new = [c for c in new if has[c]]
        if new:
            self._check_new_keys(new, cols)
        self._learned_last = None  # (rows read, once accepted: see _repeated)
        rows, keys = self._fast_frame(values), tuple(cols)
        if rows is None:
            return None
        predictions = []
        for row in rows:
            r = self._fast_values(keys, row)
            if r is None:
                predictions = None
                break
            predictions.append(read(r))
        self._fast_row = None
        return predictions
