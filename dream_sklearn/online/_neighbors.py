"""The online estimators' k-nearest-neighbours expert (``n_neighbors``).

A second opinion beside the readouts' mixture, for concepts that are local in the
input space (a checkerboard, clusters of a class), where trees and kNN outdo a
linear readout over a random cell: the last ``neighbors_window`` labelled rows (their
values, the previous label's or target's slots left out) are kept, and a row's
nearest among them answer, by their inverse distance, taken in each slot's current
running standard deviation (the fast scaling's: kept rows read in one scale). A
slot absent on one side only (a missing value, a feature not yet made when a row was
kept, a one-hot key of another category) counts as far apart as a difference can
(``_FAR``); absent on both, it adds nothing. Until review 132 an absent value added
nothing on either side: a kept row with every value missing was at distance 0 from
every row and took every vote (a checkerboard's vote 0.904 to 0.482).

- The classifier's (:class:`_NeighborVote`): they vote for the row's class; the
  prediction is the leader's (the readouts' mixture, or the vote): each expert's
  weight is multiplied by ``exp(-_ETA)`` after a mistake, then a fixed share of the
  total is spread back evenly (Fixed Share, as the readouts' mixture).
- The regressor's (:class:`_NeighborMean`): the mean of their targets is the
  estimate; the prediction is the weighted mean of the readouts' mixture's and the
  estimate, the weights by Fixed Share on their absolute errors in the target's
  standard deviations (the readouts' mixture's rule). A target set aside is not kept.

After a change of concept the window holds the concept just left, so it is emptied.
The regressor's where the readouts' drift recovery acts on a drift (``n_drifts_``
grows; ``benchmarks/knn_expert.py``): a switch chosen in round 17 with the report
half in view (without it the vote lagged DREAM for the 500 rows after a change on
the report half's Sine and Mixed; on the tuning half it changed nothing measurable),
while the expert was opt-in; docs/streams.md lists it with the rule's other breaches.
The classifier's, since round 61 (when its default began to run the expert on
streams of at most three features, ``n_neighbors="auto"``), where the vote's own 0/1
loss rises (``_NeighborVote.rose``: ADWIN, with ``drift_recovery``): the readouts'
loss need not rise where the concept changes where the vote answers, and on
``benchmarks/knots.py``'s development streams of one abrupt change the vote's own
detector is ahead of the readouts' on all four over the 500 rows after the change
(bands -> intervals, where the readouts' detector acted on one seed of three: 0.961
against 0.755), SEA and STAGGER as before (``_classifier._window_rule``).

Under ``n_neighbors="auto"`` (round 62) the classifier's vote runs on every row only
while it holds its place (a weight of 0.05 at least) or refills its window; out of
play it runs on every 64th row (``_EVERY``), and where the readouts' drift recovery
acts it is put on trial, its window emptied (``_NeighborVote.on_drift``): a
threshold on one of four features, then a checkerboard on two, 0.70 against 0.55 over
the 500 rows after the change without the trial (``benchmarks/knots.py``). An int
``n_neighbors`` runs it on every row, as before.

The nearest rows are found by one numba function (``_kernels._nearest``, in
``neighbor_vote`` and ``neighbor_mean``) while the compiled row is on, around its
kernels or the NumPy path's step (a growth event); with it off (``set_compiled``) or
numba absent, :func:`_nearest_numpy` and the NumPy sums compute the same numbers to
the bit (the same operations in the same order). Of kept rows at one distance, the
one in the window's lower slot is the nearer (the window is a ring: the older one
until it wraps). ``benchmarks/RESULTS.md``, "Round
18", has its speed.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from river.drift import ADWIN

from ._compiled import _compiled_call
from ._readouts import _CLOCK, _decay, _rose, _share_losses, _share_mistakes

__all__: list[str] = []

_ETA = 0.5  # the leader's learning rate on the 0/1 loss (chosen on the tuning half)
_SHARE = 0.002  # Fixed Share's share (chosen on the tuning half)
_DECAY = _decay(_ETA)  # a weight's factor after a mistake
_TINY = 1e-12  # added to a distance before it is inverted (an exact match wins)
_FAR = 10.0  # a slot's difference, in its standard deviations, counts at most this
# The classifier's vote watches its own 0/1 loss (round 61): ADWIN at this delta (the
# classifier's drift detector's) empties the window on a rise, where the readouts'
# detector saw none (docs/online.md, "Round 61: the vote's own detector").
_VOTE_DELTA = 0.01
# n_neighbors="auto" (round 62): a vote out of play, its weight below _IN_PLAY (where
# it does not lead, the prediction is the readouts' mixture's), runs on every _EVERY-th
# row only: only that row is read, scored and kept. In play, and while its window
# holds fewer than _REFILL rows (at the start, and after it was emptied), on every
# row. Where the readouts' drift recovery acts, a vote out of play is put on trial:
# its window, of rows of the concept just left kept one in 64, is emptied (on_drift).
# Where the vote does not earn its place (Elec2, Hyperplane) it costs a fraction of
# its search. Chosen on the tuning half and benchmarks/knots.py's development streams
# (docs/online.md, "Round 62: a vote that runs where it earns its place").
_EVERY = 64
_IN_PLAY = 0.05
_REFILL = 100
# A window holds room for this many rows at first, and doubles it as rows come, up to
# its size (a window of 10**12 rows, allocated at once, raised a MemoryError).
_FIRST_SIZE = 64


class _Seen(NamedTuple):
    """The kNN expert's read of the row the compiled row's buffers hold, kept for a
    later read of the same row (the learn_one after a predict_one)."""

    read: Any  # the estimator's ``_fast_row`` it was taken on (compared by identity)
    row: np.ndarray  # the row as the expert reads it (NaN: absent)
    q: Any  # the vote (classifier), or the estimate (regressor); None: no row kept
    scale: float | None = None  # the regressor's: the target's scale before the row


def _nearest_numpy(rows: np.ndarray, x: np.ndarray, scale: np.ndarray, k: int):
    """``_kernels._nearest`` in NumPy, to the bit: the squared distances of the
    ``k`` nearest of ``rows`` (n, width) to ``x``, ascending, and their rows (of rows
    at one distance, the one in the window's lower slot). Each row's sum runs over
    the slots in order, as the kernel's does."""
    diff = np.abs((rows - x) * scale)  # (n, width)
    one_side = np.isnan(rows) != np.isnan(x)  # (absent on one side only: _FAR)
    np.nan_to_num(diff, copy=False, nan=0.0)
    np.minimum(diff, _FAR, out=diff)
    diff[one_side] = _FAR
    diff *= diff
    d2 = np.zeros(len(rows))
    for column in diff.T:
        d2 += column
    near = np.argsort(d2, kind="stable")[:k]
    return d2[near], near


class _NeighborVote:
    """The window of labelled rows, its vote, and the leader between it and the
    readouts' mixture.

    ``window``: the rows kept at most; ``cols`` (width, room): each kept row's values,
    a column (NaN where it lacked a slot, or the slot did not exist yet; ``rows`` is
    its transpose), ``room`` growing to the window as rows come (only the first ``n``
    are read; a slot's values lie together, which the search reads four times faster
    than a row's: round 62); ``labels`` (room,): its
    class index; ``n``: rows kept (at most the window); ``at``: where the next one
    goes; ``w`` (2,): the readouts' mixture's and the vote's weights.
    """

    window: int | None = None  # (None in a window pickled before it grew: its length)
    kept_ever = 0  # rows kept since the window was made (drop_kept numbers rows by it)
    watch: ADWIN | None = None  # the vote's own detector (see rose; made at its first row)
    n_emptied = 0  # windows emptied on a rise of the vote's own loss (rose)
    every = 1  # out of play, the vote runs on every every-th row (1: on every row; set
    # by the estimators' _gate_vote)
    wait = 0  # rows to pass by before the vote runs again (see score; 0: the next)
    lead = False  # whether the vote leads: w[1] > w[0] (read on every prediction)

    def __init__(self, window: int) -> None:
        self.window = window
        size = min(window, _FIRST_SIZE)  # (grown as rows come: see keep)
        self.cols = np.zeros((0, size))  # (raw values, a column a row; NaN: absent)
        self.labels = np.zeros(size, dtype=np.intp)
        self.n = 0
        self.at = 0
        self.w = np.full(2, 0.5)

    @property
    def rows(self) -> np.ndarray:
        """The kept rows' values, a row each: (room, width), a view of ``cols``."""
        return self.cols.T

    def _fit(self, width: int) -> None:
        """Widen the kept rows to ``width`` slots (a new slot is absent in them)."""
        have = self.cols.shape[0]
        if width > have:
            self.cols = np.pad(self.cols, ((0, width - have), (0, 0)), constant_values=np.nan)

    def proba(self, x: np.ndarray, scale: np.ndarray, k: int, n_classes: int) -> np.ndarray | None:
        """The vote on the rows ``x`` (b, width; NaN where a slot is absent): (b,
        n_classes) probabilities, each class's share of the inverse distances of the
        ``k`` nearest kept rows; None while no row is kept. A distance is taken in
        the slots' current standard deviations (``scale``: one over each), a
        difference bounded by ``_FAR`` of them, a slot absent on one side only
        counting as ``_FAR``, one absent on both adding nothing."""
        if self.n == 0:
            return None
        self._fit(x.shape[1])
        return np.stack([self._vote(row, scale, k, n_classes) for row in x])

    def proba_one(
        self, x: np.ndarray, scale: np.ndarray, k: int, n_classes: int
    ) -> np.ndarray | None:
        """:meth:`proba` of one row ``x`` (width,): (n_classes,), or None."""
        if self.n == 0:
            return None
        self._fit(len(x))
        return self._vote(x, scale, k, n_classes)

    def _vote(self, x: np.ndarray, scale: np.ndarray, k: int, n_classes: int) -> np.ndarray:
        """:meth:`proba` of one row ``x`` (width,): the compiled vote where numba is
        installed (both paths of the classifier), else :meth:`_vote_numpy`."""
        # (a plain int within the rows kept: validation passes np.uint64(5) and
        # 2**63, which numba's kernel refused or overflowed on: review 132)
        k = min(int(k), self.n)
        if len(scale) == len(x):  # (else the NumPy one says what is wrong)
            args = (self.cols, self.labels, self.n, x, scale, k, n_classes, _FAR, _TINY)
            votes = _compiled_call("neighbor_vote", *args)
            if votes is not None:
                return votes
        return self._vote_numpy(x, scale, k, n_classes)

    def read_vote(self, raw, present, ys, width: int, scale, k: int, n_classes: int):
        """``(row, vote)`` of the row the compiled row's buffers hold (``raw``,
        ``present``): what the expert reads of it (``_base._fast_neighbor_row``: NaN in
        the previous label's slots ``ys`` and past the row, up to ``width``) and
        :meth:`proba_one` of it, in one compiled call (``_kernels.neighbor_read_vote``,
        the same numbers); None where it cannot run (numba absent or off, a scale of
        another width: the caller reads the row as before, which says what is wrong)."""
        size = max(width, len(raw))
        if len(scale) != size:
            return None
        self._fit(size)
        k = min(int(k), self.n)  # (a plain int: see _vote)
        args = (raw, present, ys, width, self.cols, self.labels, self.n, scale, k, n_classes)
        read = _compiled_call("neighbor_read_vote", *args, _FAR, _TINY)
        if read is None:
            return None
        row, q = read
        return row, (q if self.n else None)

    def choice(self, p: np.ndarray, q: np.ndarray) -> int | None:
        """The class of :meth:`blend` of the readouts' mixture's probabilities ``p``
        and the vote's ``q`` (its argmax), in one compiled call
        (``_kernels.blend_argmax``); None where it cannot run. (``p`` comes from the
        caller's NumPy mixture, as ``predict_proba_one``'s: a kernel that summed the
        mixture itself picked another class than ``predict_proba_one`` on near-ties,
        review 395.)"""
        return _compiled_call("blend_argmax", p, self.w, q)

    def _vote_numpy(self, x: np.ndarray, scale: np.ndarray, k: int, n_classes: int) -> np.ndarray:
        """:meth:`_vote` in NumPy (``_kernels.neighbor_vote``, to the bit)."""
        d2, near = _nearest_numpy(self.cols[:, : self.n].T, x, scale, k)
        weight = 1.0 / (np.sqrt(d2) + _TINY)
        votes = np.bincount(self.labels[near], weights=weight, minlength=n_classes)
        total = 0.0  # (in order, as the kernel sums)
        for v in votes.tolist():
            total += v
        return votes / total

    def __setstate__(self, state: dict) -> None:
        if "rows" in state:  # (pickled before round 62: a kept row a row)
            state = dict(state)
            state["cols"] = np.ascontiguousarray(state.pop("rows").T)
        self.__dict__.update(state)
        if "lead" not in state:  # (pickled before round 62: lead was read off w)
            self.lead = bool(self.w[1] > self.w[0])

    def leads(self) -> bool:
        """Whether the vote leads the readouts' mixture."""
        return self.lead

    def on_drift(self) -> None:
        """The readouts' drift recovery acted: a vote out of play (``every`` > 1) is put
        on trial, its window emptied, to run on every row while it refills."""
        if self.every > 1 and self.w[1] < _IN_PLAY:
            self.forget()

    def passes(self) -> bool:
        """Whether the vote passes the next row by (out of play, between the rows it
        runs on: ``every``), counting it; a row passed by is neither scored nor kept."""
        if not self.wait:
            return False
        self.wait -= 1
        return True

    def blend(self, p: np.ndarray, q: np.ndarray) -> np.ndarray:
        """The readouts' probabilities ``p`` and the vote's ``q`` (..., classes) by
        the experts' weights: where the vote leads, the prediction. The vote alone
        gave 0 to every class none of the nearest rows has, the true one on many
        rows (review 183: cross-entropy 0.988 on ImageSegments, 0.397 without the
        expert)."""
        return self.w[0] * p + self.w[1] * q

    def score(self, c: int, mixture_wrong: bool, vote: np.ndarray | None) -> bool:
        """Weigh both experts by their mistakes on a row of class ``c``: the
        readouts' mixture's, and the ``vote``'s on it before it is kept (a mistake
        where None: no row kept). Whether the vote was wrong."""
        vote_wrong = vote is None or int(vote.argmax()) != c
        self.w = _share_mistakes(self.w, mixture_wrong, vote_wrong, _DECAY, _SHARE)
        w0, w1 = self.w.tolist()
        self.lead = w1 > w0
        self._pass_next(w1 >= _IN_PLAY)
        return vote_wrong

    def _pass_next(self, in_play: bool) -> None:
        """After a row the expert ran on: out of play (not ``in_play``) with a full
        enough window (``_REFILL`` rows), the next ``every - 1`` rows pass by."""
        self.wait = 0 if in_play or self.n < _REFILL else self.every - 1

    def rose(self, wrong: bool) -> bool:
        """Feed the vote's 0/1 loss on a row it voted on to its own detector (ADWIN,
        ``_VOTE_DELTA``, checking every ``_CLOCK`` rows); whether its loss rose. The
        readouts' detector watches their mixture's loss, which need not rise when
        the concept changes where the vote answers (bands, then intervals on the same
        feature: the readouts did no worse after the change, and the vote kept the
        old bands' rows; round 61)."""
        if self.watch is None:
            self.watch = ADWIN(delta=_VOTE_DELTA, clock=_CLOCK)
        return _rose(self.watch, 1.0 if wrong else 0.0)

    def keep(self, x: np.ndarray, c: int) -> None:
        """Keep the row ``x`` (width,) of class ``c``, over the oldest when full."""
        width = len(x)
        self._fit(width)
        at, room = self.at, len(self.labels)
        window = self.window or room
        if at == room < window:  # (room made as rows come, doubling)
            grow = min(room, window - room)
            self.cols = np.concatenate([self.cols, np.zeros((len(self.cols), grow))], axis=1)
            self.labels = np.concatenate([self.labels, np.zeros(grow, self.labels.dtype)])
        cols = self.cols
        if width == len(cols):
            cols[:, at] = x
        else:
            cols[:width, at] = x
            cols[width:, at] = np.nan
        self.labels[at] = c
        self.at = (at + 1) % window
        self.n = min(self.n + 1, window)
        self.kept_ever += 1

    def drop_kept(self, numbers: list[int]) -> None:
        """Drop the rows kept as the ``numbers``-th (``kept_ever`` just after each was
        kept) that are still in the window; the others keep their order (a glitch's
        rows, undone from the target's statistics after they were kept:
        ``_regressor``)."""
        n, newest = self.n, self.kept_ever
        gone = {n - 1 - (newest - k) for k in numbers if 0 <= newest - k < n}
        if not gone:
            return
        ring = self.window or len(self.labels)
        order = [(self.at - n + i) % ring for i in range(n) if i not in gone]  # oldest first
        self.cols[:, : len(order)] = self.cols[:, order]
        self.labels[: len(order)] = self.labels[order]
        self.n = self.at = len(order)
        self.kept_ever -= len(gone)  # (the last n numbers are again the rows kept)

    def forget(self) -> None:
        """Empty the window (a drift was acted on); the leader's weights stay; the
        vote's own detector starts again with the window."""
        self.n = self.at = 0
        self.watch = None
        self.wait = 0


class _NeighborMean(_NeighborVote):
    """The regressor's kNN expert: the window of rows and their targets
    (``labels``, float), the inverse-distance weighted mean of the ``k`` nearest
    targets as its estimate, and its mix with the readouts' mixture: their weighted
    mean, the weights ``w`` kept by Fixed Share on each side's absolute error in the
    target's standard deviations (the readouts' mixture's rule, ``_regressor._ETA``)."""

    in_play = True  # whether the estimate's weight is at least _IN_PLAY (reads)

    def __init__(self, window: int) -> None:
        super().__init__(window)
        self.labels = np.zeros(len(self.labels))  # (the targets)
        self.w = np.array([1.0 - _SHARE / 2, _SHARE / 2])  # (it earns its place)
        self.in_play = False

    def estimate(
        self, x: np.ndarray, scale: np.ndarray, k: int, bounds: tuple[float, float]
    ) -> float | None:
        """The estimate on one row ``x`` (width,; NaN where a slot is absent), each
        kept target bounded to ``bounds`` (the target's as they are now: a target kept
        within the bounds of its day, statistics a long glitch had widened, stayed at
        its full size after they recovered; review 334); None while no row is kept."""
        if self.n == 0:
            return None
        self._fit(len(x))
        k = min(int(k), self.n)  # (a plain int: see _vote)
        lo, hi = float(bounds[0]), float(bounds[1])
        if len(scale) == len(x):  # (else the NumPy one says what is wrong)
            args = (self.cols, self.labels, self.n, x, scale, k, _FAR, _TINY, lo, hi)
            q = _compiled_call("neighbor_mean", *args)
            if q is not None:
                return q
        d2, near = _nearest_numpy(self.cols[:, : self.n].T, x, scale, k)
        total = weight = 0.0  # (in order, as the kernel sums)
        weights = (1.0 / (np.sqrt(d2) + _TINY)).tolist()
        for w, target in zip(weights, self.labels[near].tolist(), strict=True):
            total += w * min(max(target, lo), hi)
            weight += w
        return total / weight

    def mix(self, p: float, q: float | None, bound: float) -> float:
        """The prediction from the readouts' mixture's ``p`` and the estimate ``q``;
        ``p`` alone where ``q`` lies more than ``bound`` from it (the forecast's rule
        for a readout far from the others, ``_regressor._FAR_FORECAST``: on the row
        after a far shift taken in at once, the window still holds the old level's
        targets, and on a target switching between 0 and 1,000 their mean put that
        row's prediction up to 921 off; review 374)."""
        if q is None or abs(q - p) > bound:
            return p
        return float(self.w[0] * p + self.w[1] * q)

    def relabel(self, kept: tuple, lo: float, hi: float) -> None:
        """Give the rows kept as the ``k``-th (``kept_ever`` just after each) that are
        still in the window the targets ``y``, bounded to ``lo``..``hi``, for each
        ``(k, y)`` of ``kept`` (a run of far targets the statistics took in:
        ``_regressor``)."""
        ring = self.window or len(self.labels)
        for k, y in kept:
            back = self.kept_ever - k
            if 0 <= back < self.n:
                self.labels[(self.at - 1 - back) % ring] = min(max(y, lo), hi)

    def after_jump(self) -> None:
        """The target jumped on the row just learned: the next row is not passed by
        (``_regressor.DREAMOnlineRegressor._target_jumped``)."""
        self.wait = 0

    def reads(self) -> bool:
        """Whether a prediction reads the estimate: on every row where the estimate
        runs on every row (``every`` 1: an int ``n_neighbors``), else (``"auto"``,
        round 63) where its weight is at least ``_IN_PLAY``. Out of play its share of
        the prediction was below 5%: the prediction is the readouts' mixture's."""
        return self.every == 1 or self.in_play

    def score_errors(self, errors: list, eta: float) -> None:
        """Fixed Share on both sides' absolute errors ``errors`` (standardised)."""
        self.w = _share_losses(self.w, [min(e, 50.0) for e in errors], eta, _SHARE)
        self.in_play = float(self.w[1]) >= _IN_PLAY

    def ran(self) -> None:
        """The estimate ran on a row it keeps, scored or not (a target without spread
        is not: :meth:`_regressor.DREAMOnlineRegressor._score_unit`): out of play,
        with a full enough window, the next ``every - 1`` rows pass by
        (:meth:`_NeighborVote._pass_next`, the vote's rule). (Set where it was scored
        only, on a constant target the estimate ran on every row and was read on none:
        review 400.)"""
        self._pass_next(self.in_play)
