"""The online estimators' readouts: their product with the features, their
mixture's drift recovery.

All readouts (and, after a drift warning, background ones) live in one weight
array ``_W`` (J', k, F); the mixture's weights in ``_weights``. The task's link and
loss (softmax and Fixed Share on mistakes; identity and Fixed Share on absolute
errors) are the classifier's and the regressor's hooks.
"""

from __future__ import annotations

import numpy as np
from river.drift import ADWIN

from ._compiled import _compiled_call
from ._features import _PAIR_SCALE, _insert_zeros

__all__: list[str] = []

# drift_recovery (chosen on the tuning streams: benchmarks/recovery.py, docs/online.md).
# ADWIN over the mixture's loss, checking every _CLOCK rows; a rise flagged at the
# drift level takes fresh readouts into the mixture with a share _FRESH_SHARE of its
# weight; of two generations, one whose weight falls below _DROP goes. With a warning
# level above the drift level (ARF's 0.01 and 0.001: the regressor's), a rise flagged
# there first starts background readouts that learn until the drift. The classifier
# acts at the warning level (_CLF_DRIFT_DELTA: a drift about 5 rows sooner on
# STAGGER); there the two detectors would fire together, so its warning stage is off.
# A readout of age n (rows learned since it started; the first ones never count as
# fresh) steps
# 1 + _BOOST * (_BOOST_ROWS / (_BOOST_ROWS + n) - _BOOST_ROWS / (_BOOST_ROWS + _FRESH_ROWS))
# times its usual step while n < _FRESH_ROWS (the usual step from then on).
# The classifier's replay (_replay_rows): the features, class, mixture's loss and row
# number of the last _REPLAY_ROWS rows kept (rows the mixture erred on, and those
# near them: _record) are kept; at a drift, the rows since the change (the split of
# the 0/1 losses of every row since the oldest kept one, the rows not kept as 0, of
# the greatest likelihood: chosen on the tuning half over the kept rows read as
# adjacent, docs/online.md) train the fresh readouts,
# _REPLAY_EPOCHS passes in order at _REPLAY_STEP times their usual step, so that
# the rows read before the detector fired are not lost (about 15 on STAGGER).
# The regressor's normalised step (each readout's learning rate times the surprise
# gain and a fresh readout's boost) is at most max(its learning rate, _MAX_STEP):
# the multipliers never push it past 1, the step that fits the row exactly (beyond
# 2 normalised LMS diverges; learning_rate itself must be below 2).
_MAX_STEP = 1.0
_WARN_DELTA = 0.01
_DRIFT_DELTA = 0.001
_CLF_DRIFT_DELTA = 0.01
_CLOCK = 4
_FRESH_SHARE = 0.5
_DROP = 0.01
# Two generations' weights within _TIE of each other are a tie (the old one is kept).
_TIE = 1e-12
_BOOST = 10.0
_BOOST_ROWS = 100.0
_FRESH_ROWS = 4000
_REPLAY_ROWS = 128
_REPLAY_EPOCHS = 3
_REPLAY_STEP = 10.0
_RECORD_AFTER = 16
_REPLAY_SPAN = 65536  # rows kept longer ago than this are not replayed (the split's cost)


# Fixed Share of two experts of weights w (summing to 1), the two-expert mixtures' step
# (the delayed readout's and the kNN vote's, on a 0/1 loss: _share_mistakes; the
# regressor's kNN leader, on absolute errors: _share_losses): each weight times
# exp(-eta * loss), then `share` of the total spread evenly. In Python floats, with
# NumPy's exp: the numbers of the NumPy version they replaced, to the bit (tested
# against it in tests/test_online_neighbors.py), at a fifth of its time on a row. The
# readouts' own mixture (_readout_step) is mirrored by the compiled learn kernel.


def _decay(eta: float) -> float:
    """``exp(-eta)``, a weight's factor after a mistake, as NumPy's exp of a float
    array computes it, for :func:`_share_mistakes`."""
    return float(np.exp(-eta * np.ones(2))[0])


def _share_mistakes(w: np.ndarray, wrong0: bool, wrong1: bool, decay: float, share: float):
    """Fixed Share of two experts on a 0/1 loss (see above): ``decay`` is
    :func:`_decay` of the learning rate."""
    return _share_two(w, decay if wrong0 else 1.0, decay if wrong1 else 1.0, share)


def _share_losses(w: np.ndarray, losses: list, eta: float, share: float) -> np.ndarray:
    """Fixed Share of two experts on any ``losses`` (see above): the exp in NumPy,
    the rest in Python floats."""
    f0, f1 = np.exp(-eta * np.asarray(losses, dtype=float)).tolist()
    return _share_two(w, f0, f1, share)


def _share_two(w: np.ndarray, f0: float, f1: float, share: float) -> np.ndarray:
    """Fixed Share's step of two experts of weights ``w`` (summing to 1) given each
    one's factor ``exp(-eta * loss)``, in Python floats, in the NumPy version's order
    (a weight times 1.0 is itself)."""
    w0, w1 = w.tolist()
    w0 *= f0
    w1 *= f1
    scale = (1.0 - share) / (w0 + w1)
    half = share / 2
    return np.array([w0 * scale + half, w1 * scale + half])


def _change_point(loss: np.ndarray) -> int:
    """The first row of the second segment of the split of a 0/1 loss sequence into
    two Bernoulli segments of the greatest likelihood, the second's rate above the
    first's (0: no such split)."""
    n = len(loss)
    if n < 2:
        return 0
    a = np.cumsum(loss)[:-1]  # the first segment's mistakes, split at s = 1 .. n - 1
    na = np.arange(1.0, n)
    b, nb = loss.sum() - a, n - na
    ll = np.zeros(n - 1)
    for k, m in ((a, na), (na - a, na), (b, nb), (nb - b, nb)):
        ll += np.where(k > 0, k * np.log(np.maximum(k, 1.0) / m), 0.0)
    ll[b / nb <= a / na] = -np.inf
    s = int(np.argmax(ll))
    return s + 1 if ll[s] > -np.inf else 0


def _has_helper() -> bool:
    adwin = ADWIN()
    helper = getattr(adwin, "_helper", None)
    return all(
        hasattr(helper, name) for name in ("get_width", "get_total", "update")
    ) and isinstance(getattr(adwin, "_drift_detected", None), bool)


# river's ADWIN keeps its window in a compiled helper; its Python properties
# (estimation, update, drift_detected) cost about 0.4 µs a row of the compiled
# online row for the two detectors. _rose makes the same calls on the helper
# (the same numbers, the same detections); the public API where river changes.
_DIRECT = _has_helper()


def _rose(adwin: ADWIN, x: float) -> bool:
    """``adwin.update(x)``; whether it detected a change with the estimation
    risen (``adwin.drift_detected and adwin.estimation > before``)."""
    if not _DIRECT:
        before = adwin.estimation
        adwin.update(x)
        return adwin.drift_detected and adwin.estimation > before
    if adwin._drift_detected:  # as ADWIN.update: a new window after a detection
        adwin._reset()
    helper = adwin._helper
    width = helper.get_width()
    before = helper.get_total() / width if width else 0.0
    detected = adwin._drift_detected = helper.update(x)
    return detected and adwin.estimation > before


class _Readouts:
    """The readouts' outputs and drift recovery (a mixin)."""

    _warn_delta = _WARN_DELTA  # the detectors' levels (drift_recovery; see _watch)
    _drift_delta = _DRIFT_DELTA
    _replay_rows = 0  # rows kept for a replay at a drift (the classifier's: see _record)
    _ring: np.ndarray | None = None  # the kept rows (see _new_ring)
    _ring_rows: np.ndarray | None = None
    _ring_at: np.ndarray | None = None

    def _readout(self, h: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every readout's output after the task's link (b, J, k), and ``phi`` (b, F)."""
        phi = self._features(h, u)
        return self._outputs(phi), phi

    def _outputs(self, phi: np.ndarray) -> np.ndarray:
        """Every readout's output on features ``phi`` (b, F), after the task's link
        (b, J, k)."""
        J, k, F = self._W.shape
        return self._link((phi @ self._W.reshape(J * k, F).T).reshape(-1, J, k))

    def _new_ring(self) -> None:
        """An empty ring for the replay (None: no replay, or no drift recovery).

        ``_ring`` (R, Fr): each kept row's ``phi`` without its pairs and bias (the
        replay computes them again from the ramps: ``_ring_features``), rounded to
        float32, so that a pickle stores it as float32 losslessly (``__getstate__``);
        ``_ring_rows`` (R, 3): its class index, the mixture's loss and its row number
        (the ring's clock); ``_ring_at``: rows written, rows left to keep since the
        last mistake, the row of that mistake, the clock. The compiled learn kernel
        writes them too (``_kernels._record``): arrays changed in place only.
        """
        self._ring = self._ring_rows = self._ring_at = None
        if self._replay_rows and self._drift is not None:
            width = self._hidden_dim + len(self._mean) * (1 + len(self._knots))
            width += len(self._mean) if self._reads_diff else 0
            self._ring = np.zeros((self._replay_rows, width))
            self._ring_rows = np.zeros((self._replay_rows, 3))
            self._ring_at = np.array([0.0, 0.0, -1e9, 0.0])

    def _grow_ring(self, m_old: int, k: int) -> None:
        """Pad the kept rows for ``k`` new slots (after ``m_old``): each reads as a
        row with those features missing does (``u`` 0, its ramps 0); a new
        class's index is appended, so the kept ones stay valid."""
        if self._ring is None:
            return
        n, n_k = self._hidden_dim, len(self._knots)
        width = self._ring.shape[1]
        at = [n + m_old] * k + [n + m_old * (1 + n_k)] * (k * n_k)
        if self._reads_diff:
            at += [width] * k
        self._ring = _insert_zeros(self._ring, at)

    def _record(self, phi: np.ndarray, c: int, loss: float) -> None:
        """Count the row; keep its features ``phi``, class ``c`` and the mixture's
        loss in the ring (the last ``_replay_rows`` rows kept: see ``_new_ring``).

        Only while the mixture errs: a row it erred on, and the ``_RECORD_AFTER``
        rows after two mistakes at most ``_RECORD_AFTER`` rows apart (about 1 row in
        5 on Elec2; after a change, nearly every row). A row not kept had no loss:
        ``_replay`` reads the gaps between kept rows as such. The compiled row's
        learn kernel does the same (``_kernels._record``).
        """
        at = self._ring_at
        row = at[3]
        at[3] = row + 1.0
        if loss:
            # a mistake within _RECORD_AFTER rows of the last: keep the next ones too
            at[1] = _RECORD_AFTER if row - at[2] <= _RECORD_AFTER else 1.0
            at[2] = row
        elif not at[1]:
            return
        at[1] -= 1.0
        ring = self._ring
        i = int(at[0]) % len(ring)
        a = self._hidden_dim + len(self._mean) * (1 + len(self._knots))  # (the pairs' start)
        ring[i, :a] = phi[:a].astype(np.float32)
        ring[i, a:] = phi[a + self._pairs.shape[1] : -1].astype(np.float32)
        self._ring_rows[i] = c, loss, row
        at[0] += 1.0

    def _ring_features(self, rows: np.ndarray) -> np.ndarray:
        """``phi`` (b, F) of kept rows: their pairs (``_features``) and bias again."""
        a = self._hidden_dim + len(self._mean) * (1 + len(self._knots))
        parts = [rows[:, :a]]
        if self._pairs.shape[1]:
            ramps = rows[:, self._hidden_dim + len(self._mean) : a]
            pairs = ramps[:, self._pairs[0]]
            pairs *= ramps[:, self._pairs[1]]
            pairs *= _PAIR_SCALE
            parts.append(pairs)
        parts += [rows[:, a:], np.ones((len(rows), 1))]
        return np.concatenate(parts, axis=1)

    def _replay(self) -> None:
        """At a drift: the newest generation of readouts learns the rows kept since
        the change (:func:`_change_point` of the losses since the oldest kept row,
        the rows not kept read as the zeros they were), in order,
        ``_REPLAY_EPOCHS`` passes, at ``_REPLAY_STEP`` times the readouts' step.

        Where the compiled row is on, one kernel (``_kernels.replay``) takes the
        steps; the loop below is its reference. Each output is summed over the
        features in order (``np.add.accumulate``), as the kernel sums it: summed by
        ``einsum`` (until round 67), whose order a loop cannot follow, the two paths'
        outputs differed in the last place, and a replay's large steps carried that
        to 6e-12 in the probabilities later (the paths' tests allow 1e-12)."""
        if self._ring is None or not self._ring_at[0]:
            return
        at, kept = self._ring_at, self._ring_rows
        n = int(min(at[0], len(self._ring)))
        rows = np.arange(int(at[0]) - n, int(at[0])) % len(self._ring)
        rows = rows[kept[rows, 2] >= at[3] - _REPLAY_SPAN]
        if not len(rows):
            return
        when = (kept[rows, 2] - kept[rows[0], 2]).astype(np.intp)  # rows since the oldest
        loss = np.zeros(int(at[3] - kept[rows[0], 2]))
        loss[when] = kept[rows, 1]
        rows = rows[when >= _change_point(loss)]
        phis = self._ring_features(self._ring[rows])
        classes = kept[rows, 0].astype(np.intp)
        J, M = len(self._heads), len(self._weights)
        W = self._W[M - J : M]  # the fresh readouts (a view)
        lr = self._head_lr * _REPLAY_STEP
        args = (W, phis, classes, lr, self._head_mask, float(self.l2), _REPLAY_EPOCHS)
        if _compiled_call("replay", *args) is not None:  # (None: the NumPy loop runs)
            return
        for _ in range(_REPLAY_EPOCHS):
            for phi, c in zip(phis, classes, strict=True):
                g = self._link(np.add.accumulate(W * phi, axis=-1)[..., -1])  # (in order)
                g[:, c] -= 1.0
                self._sgd(W, g, lr, self._head_mask, phi)

    def _sgd(
        self, W: np.ndarray, g: np.ndarray, step: np.ndarray, mask: np.ndarray, phi: np.ndarray
    ) -> None:
        """The readouts' SGD step, in place: ``W`` (J, k, F) by the loss gradients on
        their outputs ``g`` (J, k; scaled in place) at ``step`` (J,), through ``mask``
        (J, F), after the L2 decay of every weight but the bias (the compiled
        learn kernel's is the same)."""
        g *= step[:, None]
        if self.l2:  # weight decay, the bias excepted
            # (at most to 0: a factor below 0, step * l2 above 1, flipped the weights'
            # sign every row, and above 2 grew them to inf: a review's finding)
            W[:, :, :-1] *= np.maximum(0.0, 1.0 - step * self.l2)[:, None, None]
        W -= g[:, :, None] * (mask * phi)[:, None, :]

    def _adwin(self, delta: float) -> ADWIN:
        return ADWIN(delta=delta, clock=_CLOCK)

    def _watch(self, loss: float, first: float | None = None) -> None:
        """``drift_recovery``: feed the mixture's loss on this row to the detectors.

        ``_W`` holds the mixture's readouts (one or two generations of ``J``, as many
        as ``_weights``), then, after a warning, ``J`` background readouts. A rise of
        the loss flagged by the warning detector starts background readouts (zero
        weights, learning alongside; a later warning restarts them); one flagged by
        the drift detector takes them into the mixture as a new generation (zero
        readouts if no warning came first), beside the generation the mixture trusts
        more (ARF swaps a background tree in; here the old one stays until the
        mixture gives up on it: see _drop_generation). The warning stage runs only
        with ``_warn_delta > _drift_delta`` (the regressor's; the classifier's are
        both 0.01). ``first``: the first generation's share of the mixture's weight
        after the row, as the compiled row's learn kernel summed it (``_RES.first``;
        None: _drop_generation sums it).
        """
        # (the sizes are read only where a detector fires: most rows do not)
        if self._warn_delta > self._drift_delta and _rose(self._warn, loss):
            J, M = len(self._heads), len(self._weights)
            self._W = np.concatenate([self._W[:M], np.zeros_like(self._W[:J])])
            self._age = np.concatenate([self._age[:M], np.zeros(J)])
            self._fresh_rows = _FRESH_ROWS
            self._warn = self._adwin(self._warn_delta)
        if _rose(self._drift, loss):
            J, M = len(self._heads), len(self._weights)
            if len(self._W) > M:
                fresh, age = self._W[M:], self._age[M:]
            else:
                fresh, age = np.zeros_like(self._W[:J]), np.zeros(J)
                self._fresh_rows = _FRESH_ROWS
            w = self._weights
            # (a tie kept the old generation: the paths sum the weights in another
            # order, and a tie by construction, both generations erring alike, fell
            # to either side by rounding; _TIE absorbs that)
            keep = slice(0, J) if M == J or w[:J].sum() >= w[J:].sum() - _TIE else slice(J, M)
            self._W = np.concatenate([self._W[keep], fresh])
            self._age = np.concatenate([self._age[keep], age])
            kept = w[keep] * (1.0 - _FRESH_SHARE) / w[keep].sum()
            self._weights = np.concatenate([kept, _FRESH_SHARE * self._fresh_weights(kept)])
            self._replay()
            self._warn = self._adwin(self._warn_delta)
            self._drift = self._adwin(self._drift_delta)
            self.n_drifts_ += 1
        elif len(self._weights) > len(self._heads) and (
            first is None or min(first, 1.0 - first) < _DROP
        ):
            self._drop_generation()

    def _fresh_weights(self, kept: np.ndarray) -> np.ndarray:
        """How a new generation shares its part of the mixture's weight, given the
        kept generation's weights ``kept`` (J,): evenly (a task hook)."""
        return np.full(len(kept), 1.0 / len(kept))

    def _drop_generation(self) -> None:
        """Of two generations of readouts, drop one the mixture has given up on."""
        J, w = len(self._heads), self._weights
        # (added left to right, as the compiled row's learn kernel adds it, _RES.first:
        # Python's sum() compensates its rounding since 3.12, and the two paths then
        # differed in the last bit; review 248)
        total = 0.0
        for share in w.tolist()[:J]:
            total += share
        if min(total, 1.0 - total) < _DROP:
            gone = slice(0, J) if total < 0.5 else slice(J, 2 * J)
            keep = np.ones(len(self._W), dtype=bool)
            keep[gone] = False
            self._W, self._age = self._W[keep], self._age[keep]
            w = np.delete(w, np.arange(len(w))[gone])
            self._weights = w / w.sum()
