"""The rows the cell advanced on before their label came (``advance_on_predict``).

With ``advance_on_predict``, ``predict_one`` commits the cell's step on a row and
keeps what the readouts' step will need (:class:`_Pending`) until ``learn_one``
brings the row's label. This module holds that bookkeeping: finding the row a label
belongs to (by the row's values, or by the order the rows were predicted:
``match_labels_by``), forgetting the oldest past ``_MAX_PENDING``, and reading a
kept row under the readouts as they are when its label comes.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict, deque
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np

from .._stack import ONLINE_OUTSIDE, user_stacklevel
from ._rows import _row_key

__all__: list[str] = []

# With advance_on_predict, at most this many rows predicted and not yet learned are
# kept (their features for the readouts' step once the label comes); beyond that the
# oldest are forgotten, and a label for one of them is learned as a new row.
_MAX_PENDING = 2048
# Labels in a row that found no row waiting, while rows wait, before a warning that
# the rows and their labels do not match (match_labels_by="values"); or, under "order",
# whose own rows waited behind the oldest (see _watch_order)
_UNMATCHED_RUN = 32


def _loose_key(key: tuple) -> tuple:
    """A row key (``_row_key``) without its features at 0: the key a label's row is
    matched by when no row waits under its own (see ``_PendingRows._loose_match``)."""
    return tuple(item for item in key if item[1] != 0.0)


class _Pending(NamedTuple):
    """What ``learn_one`` needs of a row advanced on (``advance_on_predict``), kept
    until its label comes (``_pending_rows``)."""

    h: np.ndarray  # the cell's hidden state after the row's step
    u: np.ndarray  # the standardised row the readouts read
    raw: np.ndarray  # its slot values
    present: np.ndarray  # the slots it had
    surprise: float  # the step's surprise
    prev: np.ndarray | None  # the row the "diff" block read it against
    late: Any = None  # the delayed-label readout's read of it (the classifier's), or None
    scale: np.ndarray | None = None  # the scale the kNN expert read it in (n_neighbors)
    # whether it was read with missing="raise" (None: kept by a model pickled before
    # round 30); a row read under one setting and refused under the other at its label
    # was a row of the stream (_DREAMOnline._read_under_other_missing)
    strict: bool | None = None
    seq: int | None = None  # its sequence number (None: kept by a model pickled before)
    # the pair features there were when it was read, before its step's commit granted
    # any (None: kept by a model pickled before round 50)
    pairs: int | None = None
    # read in the compiled row (_fast_row._fast_advance): its features ``[h, u, ramps,
    # pairs, diff, 1]`` then, and the feature map's size then (slots, pairs), with which
    # they are still its features at the label (neither shrinks: _fast_read_kept);
    # None on the NumPy path (its label's row reads them anew: _pending_step)
    phi: np.ndarray | None = None
    columns: tuple | None = None


class _PendingRows:
    """The rows waiting for their label, as a part of the online estimators (a mixin:
    it reads the running scaling, the feature map and the readouts through ``self``).
    """

    # match_labels_by="order": the oldest rows predicted whose labels will find nothing
    # waiting (predicted before anything was built, or forgotten past _MAX_PENDING);
    # their labels come before the waiting rows' and step the cell as unmatched
    _not_waiting = 0
    # match_labels_by="values": the keys of the rows predicted before anything was built
    # (key -> count; the same row object predicted again at once is one row: see
    # _unbuilt_last), whose labels step the cell as unmatched; without them such a
    # label took the state of a later row of equal values still waiting, which was then
    # stepped twice (review 106). They are forgotten once _MAX_PENDING rows were
    # advanced on since the build (until then a key whose label never comes takes the
    # label of the next row of its values; dropping the keys at the first label that
    # found a row advanced on, review 107's mend, undid review 106's under a delay that
    # varies, review 109).
    _unbuilt: dict | None = None
    # (the row object and key predicted last before anything was built: the same object
    # predicted again at once, predict_proba_one then predict_one, is one row; equal
    # rows of a stream, river's copies, are rows of their own: review 110)
    _unbuilt_last: tuple | None = None
    # the keys of _unbuilt without their features at 0 (_grown_unbuilt), or None: made
    # from _unbuilt when needed (an entry whose count is spent stays, harmless)
    _unbuilt_loose: set | None = None
    _pending: dict = {}
    # The sequence number of the row advanced on whose read "diff" holds (None once a
    # row learned moves it): a target set aside at that row's label puts "diff" back
    # to the row before it (_base._learn_numpy). A number, not the entry itself, which a
    # river clone(include_attributes=True) copies apart from it (review 287).
    _advanced_last: int | None = None
    # advance_on_predict's compiled row (the classifier's: _fast_row._advance_layout);
    # not pickled
    _fast_adv = None
    # (before the build, nothing waits: a learn_one refused then asked, review 276)
    _pending_rows: Mapping = MappingProxyType({})
    # row key without its features at 0 -> deque of sequence numbers (oldest first), of
    # the rows waiting whose key has a feature at 0 (_loose_match); rebuilt for pickles
    # made before it (_base.__setstate__)
    _pending_loose: dict = {}
    # feature name -> the sequence number of the first row read with it at 0 (of the
    # next row predicted, where that was a label's row): _note_zeros, _grown_match;
    # None in a model pickled before it
    _zero_seen: dict | None = None
    # the newest row still waiting, when a label was matched by values, under the
    # label's key or its row's (or that row, if none): the delayed-label readout counts
    # the label's delay from it (_matched)
    _newest_alike: int | None = None
    # the key of the row kept last (_keep_advanced, _predicted_unbuilt) or of the label
    # matched last by values (_take_pending): DREAMDelayedClassifier keys its own store
    # of predictions alike, and reads it here instead of keying the row again (it sets
    # it to None before each call, and keys the row itself where the call set none)
    _key_read: tuple | None = None
    _warned_pending = False  # whether unmatched labels were warned about
    _unmatched_run = 0  # labels in a row that found no row waiting (see _take_pending)
    _behind_run = 0  # labels in a row whose own row waited behind the oldest (order)
    advance_on_predict = False
    match_labels_by = "values"  # (estimators pickled before it existed)

    def _new_pending(self) -> None:
        """Start with no row waiting (at the build)."""
        # _pending: row key -> deque of sequence numbers (oldest first);
        # _pending_rows: sequence number -> (row key, what learn_one needs), oldest first.
        self._pending = {}
        self._pending_loose = {}
        self._pending_rows: OrderedDict = OrderedDict()
        self._pending_seq = 0
        # (the keys at 0 of rows predicted before the build: seen before any row waits)
        unbuilt = self._unbuilt or ()
        self._zero_seen = {name: -1 for key in unbuilt for name, v in key if v == 0.0}
        self._behind_run = 0
        self._unbuilt_last = None  # (no row is predicted unbuilt from here: let it go)

    def _advance(self, row: dict, fwd: tuple, out: np.ndarray) -> None:
        """Commit the cell's step on ``row`` before its label (advance_on_predict).

        What the readouts' step needs later is kept under the row's key; the
        running statistics take in the row now, as learn_one would. ``out``: the
        readouts' outputs on the row (what was predicted).
        """
        raw, present, u, step = fwd
        key = _row_key(row)  # (first: nothing is changed if the row has no key)
        scale = None
        if self._k_neighbors:  # (the scale the row was read in: the kNN vote's)
            scale = self._scale_read = self._scale.copy()
        pairs = self._pairs.shape[1]  # (before the commit grants the row's new pairs)
        self._commit(raw, present, step)
        prev = self._prev_u  # what the "diff" block read this row against
        if self._reads_diff:
            self._prev_u = u[0, : len(self._mean)].copy()
        self._fast_adv = None  # (arrays replaced: the advancing layout laid out anew)
        h, surprise = step.h, float(step.surprise[0])
        strict = self._strict()
        entry = _Pending(h, u, raw, present, surprise, prev, None, scale, strict, None, pairs)
        self._keep_advanced(key, entry, out)

    def _keep_advanced(self, key: tuple, entry: _Pending, out: np.ndarray) -> _Pending:
        """Keep ``entry`` (a row advanced on, its step committed) for its label under
        the row's ``key``, numbered, with the delayed-label readout's read of it
        (given the readouts' outputs ``out``); the oldest forgotten past
        ``_MAX_PENDING``. Both paths' (:meth:`_advance`, ``_fast_row._fast_advance``).
        Returns the entry as kept."""
        self._version += 1
        self._key_read = key
        seq = self._pending_seq
        self._pending_seq += 1
        self._pending.setdefault(key, deque()).append(seq)
        loose = _loose_key(key)
        if loose != key:  # (a key at 0: else nothing for _note_zeros)
            self._note_zeros(key, seq)
            self._pending_loose.setdefault(loose, deque()).append(seq)
        late = self._read_delayed(entry.raw, entry.present, out)  # for the delayed-label readout
        entry = entry._replace(late=late, seq=seq)
        self._pending_rows[seq] = (key, entry)
        self._advanced_last = seq
        if len(self._pending_rows) > _MAX_PENDING:
            _, (old_key, _) = self._pending_rows.popitem(last=False)
            self._pop_seq(old_key)
            if self.match_labels_by == "order":  # its label, when it comes, finds nothing
                self._not_waiting += 1
            self._warn_unmatched(
                f"{_MAX_PENDING} rows advanced on are still waiting for their labels; the "
                "oldest is dropped",
                "Otherwise the labels come back later than that, or not at all (river's "
                "resampling ensembles, bagging and boosting, learn some rows 0 times: "
                "advance_on_predict does not fit them): the forgotten rows' labels step "
                "the cell as a new row's.",
            )
        return entry

    def _note_zeros(self, key: tuple, at: int) -> None:
        """Keep, for each of a row's keys at 0 seen at 0 for the first time, ``at``:
        the sequence number of the row (or, for a label's row, of the next row
        predicted) (``_zero_seen``, read by :meth:`_grown_match`)."""
        zeros = self._zero_seen
        if zeros is not None:
            for name, value in key:
                if value == 0.0 and name not in zeros:
                    zeros[name] = at

    def _warn_unmatched(self, what: str, otherwise: str) -> None:
        """Warn, once, that the labels do not find the rows advanced on (``what``
        happened; ``otherwise``: the other causes), at the user's line: the first
        outside the package and river (a count of frames named the package's own
        ``learn_many``, or river's Pipeline, before)."""
        if self._warned_pending:
            return
        self._warned_pending = True
        warnings.warn(
            f"{type(self).__name__}(advance_on_predict=True): {what}. With "
            "match_labels_by='values' labels are matched to rows by the rows' values: a "
            "step upstream that changes a row between predict and learn (river's "
            "StandardScaler in a Pipeline) leaves every row unmatched, and each label "
            "then steps the cell again; match_labels_by='order' matches them in the order "
            f"the rows were predicted. {otherwise}",
            UserWarning,
            stacklevel=user_stacklevel(ONLINE_OUTSIDE),
        )

    def _watch_order(self, row: dict) -> None:
        """match_labels_by="order": warn (once) after :data:`_UNMATCHED_RUN` labels in
        a row whose own row (by its values) waits behind the oldest, the row the label
        is given. A label that never came shifted every later label by a row, without
        a word (Elec2 with 5% of its labels lost: 0.505, below the majority class;
        review 172; ``online_robust.py --part lost-labels`` prints 0.500). A delay that
        varies by row misaligns them too, but its labels come in and out of order, and
        seldom make such a run. Behind a step that
        changes rows (a scaler) a label's row rarely has its values at predict time,
        and this stays silent: lost labels are not seen there. (A count of the rows
        waiting, review 172's first mend, warned on constant delays of 97 rows or more
        from an unbuilt model: review 174.)"""
        if self._warned_pending or self._not_waiting or not self._pending_rows:
            return  # (said once: no row key to build on every label after it)
        _, (oldest, _) = next(iter(self._pending_rows.items()))
        own = _row_key(row)
        if own == oldest or own not in self._pending:
            self._behind_run = 0
            return
        self._behind_run += 1
        if self._behind_run >= _UNMATCHED_RUN:
            self._warn_unmatched(
                f"{self._behind_run} labels in a row came while their own rows (by their "
                "values) waited behind the oldest row predicted, the row each is given",
                "With match_labels_by='order' every row predicted needs its learn_one, in "
                "the order predicted: a label that never comes gives every later label "
                "another row's state; 'values' matches each label to its own row.",
            )

    def _read_delayed(self, raw: np.ndarray, present: np.ndarray, out: np.ndarray):
        """What the readout for delayed labels (the classifier's, ``_delayed.py``)
        keeps of a row advanced on, given the readouts' outputs ``out`` on it, or
        None where there is none (task hook)."""
        return None

    def _learn_delayed(self, late: Any, out: np.ndarray, y: Any) -> None:
        """Train the readout for delayed labels on a matched row (task hook)."""

    def _pop_seq(self, key: tuple, loose: tuple | None = None) -> int:
        """The oldest row waiting under ``key``, out of the indexes (``loose``: its
        :func:`_loose_key`, where known)."""
        seq = _drop(self._pending, key, None)
        loose = _loose_key(key) if loose is None else loose
        if loose != key:
            _drop(self._pending_loose, loose, seq)
        return seq

    def _loose_match(self, key: tuple) -> int | None:
        """The oldest row waiting whose key is ``key`` but for features at 0, out of
        the indexes; None if there is none. A label whose own key finds no row:
        river's OneHotEncoder() adds a key at 0 to a row for each category seen
        between its prediction and its label, and such labels found no row (review
        172: 806 of 2,000). Only then: to the model a feature at 0 and an absent one
        differ, and a label matched loosely first took, under delays that vary, a
        row that differed only there (review 182: accuracy 0.782 against 0.941)."""
        loose = _loose_key(key)
        found = []
        if loose != key and loose in self._pending:  # (a row waiting with no 0)
            found.append(self._pending[loose][0])
        if loose in self._pending_loose:
            found.append(self._pending_loose[loose][0])
        if not found:
            return None
        seq = min(found)
        own = self._pending_rows[seq][0]
        _drop(self._pending, own, seq)
        if own != loose:
            _drop(self._pending_loose, loose, seq)
        return seq

    def _grown_match(self, key: tuple) -> int | None:
        """The oldest row waiting that a label of ``key`` can be of by its values: one
        under ``key`` itself, or one that lacks some of its keys at 0 that no row read
        before it had at 0 (``_zero_seen``): river's ``OneHotEncoder()`` adds a key at 0
        to every row once it has learned a category, so a row predicted before then
        lacks it and its label has it. Where a later row of those values waited under
        the label's own key, the label took that row's state, and that row's label the
        older one's (review 349: 859 of 1,500 labels behind ``OneHotEncoder()`` under
        ``delay=50``). Not a row that lacks a key seen at 0 before it: a feature at 0
        and an absent one differ to the model (review 182). What it cannot tell: at a
        key's first row at 0, a label that comes before an older row's (a delay that
        varies), without zeros added, still takes the older row (review 351). Out of
        the indexes; None if there is none."""
        exact = self._pending.get(key)
        loose = _loose_key(key)
        zeros = self._zero_seen
        # (no key at 0: only its own can be its row; a model pickled before _zero_seen:
        # its own key first, as then. Out of both indexes: review 351 found the loose
        # one keeping the row, which a later label then looked up)
        if loose == key or zeros is None:
            return None if exact is None else self._pop_seq(key, loose)
        names = {name for name, _ in key}

        def grown(seq: int) -> bool:  # (its key is the label's but for keys at 0...)
            own = self._pending_rows[seq][0]
            lacked = names.difference(name for name, _ in own)
            # (... that no row read before it had at 0)
            return len(lacked) + len(own) == len(key) and all(
                zeros.get(name, seq + 1) > seq for name in lacked
            )

        found = None if exact is None else (exact[0], key)
        if loose in self._pending:  # (the oldest row of the label's keys but its zeros)
            seq = self._pending[loose][0]
            if (found is None or seq < found[0]) and grown(seq):
                found = (seq, loose)
        for seq in self._pending_loose.get(loose, ()):  # (rows with keys at 0, oldest first)
            if found is not None and seq >= found[0]:
                break
            own = self._pending_rows[seq][0]
            if own != key and grown(seq):
                found = (seq, own)
                break
        if found is None:
            return None
        seq, own = found
        _drop(self._pending, own, seq)
        if own != loose:
            _drop(self._pending_loose, loose, seq)
        return seq

    def _grown_unbuilt(self, key: tuple) -> bool:
        """Count the label as one of a row predicted before anything was built whose
        features it has, and more at 0 (river's OneHotEncoder() adds a key at 0 for
        each category seen since), where no row waits under its own key: such rows
        are older than any row waiting, and the label took a later row's state by
        the key without zeros (review 184, as before review 106). Not a row it lacks
        a feature of: one at 0 and an absent one differ (review 182); nor a row that
        lacks a key some row predicted before the build had at 0 (``_zero_seen``).
        Before the rows waiting, which are younger (review 349): where such a row's
        label never comes, it takes the label of a later row waiting under the label's
        own key, which then waits (review 351); in a model pickled before
        ``_zero_seen``, after the exact matches (review 185: before them, a waiting
        row's own label, a key at 0 more than an unbuilt row's, was counted as that
        row's)."""
        loose = _loose_key(key)
        if loose == key:  # (no feature at 0: nothing grown)
            return False
        known = self.__dict__.get("_unbuilt_loose")
        if known is None:  # (a model pickled before it)
            known = self._unbuilt_loose = {_loose_key(k) for k in self._unbuilt}
        if loose not in known:  # (no scan of every key on each label: review 185)
            return False
        grown = set(key)
        zeros = self._zero_seen or {}  # (a key seen at 0 before the build: not grown since)
        other = next(
            (
                k
                for k in self._unbuilt
                if grown.issuperset(k)
                and _loose_key(k) == loose
                and all(zeros.get(name, 0) >= 0 for name, _ in grown.difference(k))
            ),
            None,
        )
        return other is not None and _take_unbuilt(self._unbuilt, other)

    def _index_loose(self) -> None:
        """``_pending_loose`` from the rows waiting (a model pickled before it)."""
        self._pending_loose = {}
        for seq, (key, _) in getattr(self, "_pending_rows", {}).items():
            loose = _loose_key(key)
            if loose != key:
                self._pending_loose.setdefault(loose, deque()).append(seq)

    def _predicted_unbuilt(self, x: dict, row: dict) -> None:
        """Count a row predicted before anything was built, by its key (the rows
        matched by values; see ``_unbuilt``), at most ``_MAX_PENDING`` keys: ``x`` as
        the caller gave it, ``row`` as read."""
        key = self._key_read = _row_key(row)
        last = self._unbuilt_last
        if last is not None and last[0] is x and last[1] == key:  # (one row, again)
            return
        self._unbuilt_last = (x, key)
        keys = self._unbuilt
        if keys is None:
            keys = self._unbuilt = {}
            self._unbuilt_loose = set()
        if key in keys or len(keys) < _MAX_PENDING:
            keys[key] = keys.get(key, 0) + 1
            known = self.__dict__.get("_unbuilt_loose")
            if known is not None:  # (else made from _unbuilt when needed)
                known.add(_loose_key(key))

    def _by_order(self) -> bool:
        """Whether labels are matched to the rows predicted by order (see _take_pending)."""
        return bool(self.advance_on_predict) and self.match_labels_by == "order"

    def _take_pending(self, row: dict):
        """The row advanced on whose label ``row`` brings, or None (step ``row``):
        after the rows predicted before anything was built (``_unbuilt``), whose
        labels find nothing, with ``row``'s key or (:meth:`_grown_unbuilt`) its
        features and more at 0, the oldest waiting with ``row``'s key or that key
        but for keys at 0 it lacked (:meth:`_grown_match`), else the oldest waiting
        whose key differs from it only by features at 0 (:meth:`_loose_match`); or with
        match_labels_by="order" the oldest of all, after the rows counted in
        ``_not_waiting`` (predicted before anything was built, or forgotten past
        _MAX_PENDING)."""
        self._newest_alike = None  # (set where a label is matched by values: _matched)
        if self.match_labels_by == "order":
            if self._not_waiting:
                self._not_waiting -= 1
                return None
            if not self._pending_rows:
                return None
            seq, (key, _) = next(iter(self._pending_rows.items()))
            self._pop_seq(key)
            return self._pending_rows.pop(seq)[1]
        key = self._key_read = _row_key(row)
        unbuilt = self._unbuilt
        if unbuilt and self._pending_seq >= _MAX_PENDING:  # (forgotten: see _unbuilt)
            unbuilt = self._unbuilt = None
        if unbuilt and _take_unbuilt(unbuilt, key):
            return None  # (its row was not advanced on)
        # (by their zeros, rows predicted before the build are the oldest; in a model
        # pickled before _zero_seen, a row waiting under the label's key came first)
        fresh = self._zero_seen is not None or key not in self._pending
        if unbuilt and fresh and self._grown_unbuilt(key):
            return None
        seq = self._grown_match(key) if self._pending_rows else None
        self._note_zeros(key, self._pending_seq)
        if seq is None:
            seq = self._loose_match(key) if self._pending_rows else None
            if seq is not None:
                self._unmatched_run = 0
                return self._matched(seq, key)
            # (a label whose row is not waiting, while rows pile up: warned about before
            # they reach _MAX_PENDING, review 134; not while few rows wait, as with
            # learn-only rows between predicted ones, review 137)
            if self._pending_rows:
                self._unmatched_run += 1
            waiting = len(self._pending_rows)
            if self._unmatched_run >= _UNMATCHED_RUN and waiting >= _UNMATCHED_RUN:
                self._warn_unmatched(
                    f"{self._unmatched_run} labels in a row found no row waiting for "
                    f"them, while {waiting} rows wait",
                    "Otherwise these labels are of rows that were not predicted (learned "
                    "only): each steps the cell as a new row, as it should.",
                )
            return None
        self._unmatched_run = 0
        return self._matched(seq, key)

    def _matched(self, seq: int, key: tuple) -> _Pending:
        """Take out the row ``seq`` that a label of ``key`` was matched to by values,
        noting the newest row still waiting under ``key`` or the row's own key
        (``_newest_alike``). By values a label takes the oldest of equal rows, which
        may be a row whose label never comes: a label that came at once then seemed
        as late as that row was old, and the delayed-label readout took part with no
        delay (review 363: STAGGER, labels at once, 1% of them lost). The newest of
        the equal rows is the latest its label can be of."""
        own, entry = self._pending_rows.pop(seq)
        newest = seq
        for alike in (key, own):
            if alike in self._pending:
                newest = max(newest, self._pending[alike][-1])
        self._newest_alike = newest
        return entry

    def _pending_step(self, entry: _Pending, row: dict) -> tuple:
        """(out, phi, surprise) of a row advanced on, under the readouts now.

        The standardised row is the one the cell read. Slots added since (new
        features of ``row``, new classes) read 0, and so do their ramps, as the
        slots of a row that lacks them do, and their running statistics take in
        this row, as learn_one would have done had the row not been advanced on.
        Pair features granted since it was read read 0 too (those its own step's
        commit granted: learn_one grants them after the readouts' step; review 314
        found them read, and trained on it, from a row's first missing value on),
        but for the pairs of its new slots, granted here (their ramps read 0).
        """
        h, u, raw, surprise, prev = entry.h, entry.u, entry.raw, entry.surprise, entry.prev
        m_then, m = len(raw), len(self._mean)
        since = (entry.pairs, self._pairs.shape[1])  # (granted between its read and now)
        if m > m_then:
            values = np.fromiter(row.values(), dtype=float, count=len(row))
            raw, present = self._raw(row, values)
            has = present.copy()  # (the row's own presence: which slots it has together)
            present[:m_then] = 0.0
            self._mark_lacked(present, m_then)  # (the others: when it was advanced on)
            self._update_stats(raw, present)
            if self._unpaired or self._apart.shape[1]:  # (before the readouts read it)
                self._grant_pairs(has)
            S = len(self._floors)
            z = np.zeros((S, m))
            z[:, :m_then] = u[0, : S * m_then].reshape(S, m_then)
            parts = [z.reshape(-1), u[0, S * m_then :]]
            if len(self._knots):
                parts.append(np.zeros((m - m_then) * len(self._knots)))  # (absent: 0)
            u = np.concatenate(parts)[None, :]
        now, self._prev_u = self._prev_u, prev  # "diff" as it was when the row was read
        try:
            phi = self._features(h, u)
        finally:
            self._prev_u = now
        if since[0] is not None and since[0] < since[1]:
            at = self._blocks()["pairs"].start
            phi[:, at + since[0] : at + since[1]] = 0.0
        return self._outputs(phi)[0], phi[0], surprise


def _take_unbuilt(unbuilt: dict, key: tuple) -> bool:
    """Count one label of a row predicted before anything was built under ``key`` in
    ``unbuilt`` (``_PendingRows._unbuilt``); False if none is counted there."""
    count = unbuilt.get(key, 0)
    if count == 1:
        del unbuilt[key]
    elif count:
        unbuilt[key] = count - 1
    return bool(count)


def _drop(index: dict, key: tuple, seq: int | None) -> int:
    """Take sequence number ``seq`` (None: the oldest) out of ``index[key]``, and
    the key once it holds none; returns it."""
    seqs = index[key]
    if seq is None or seqs[0] == seq:
        seq = seqs.popleft()
    else:
        seqs.remove(seq)
    if not seqs:
        del index[key]
    return seq
