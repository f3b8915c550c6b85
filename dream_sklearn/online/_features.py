"""The online estimators' feature map ``phi = [h, u, ramps, pairs, local, diff, 1]``.

``h``: the cell's state; ``u``: the standardised slots (the slow scaling with
``slow_rate``); ``ramps``: fixed ``tanh`` ramps of each slot at ``n_knots``
thresholds; ``pairs``: products of two ramps of different feature slots (up to
``max_pairs``, with a ``"pairs"`` readout); ``local``: a kernel over the last
rows learned (with a ``"local"`` readout); ``diff``: the change of the fast-scaled
slots since the last learned row (when a readout reads it); a bias. Each readout
reads some blocks (:data:`_READOUTS`, the mask). This mixin holds the map, its
blocks and their growth; the state lives on the estimator (``_pairs``,
``_knots``, ``_local_c``, ``_local_f``, ``_local_n``, ``_prev_u``, ``_head_mask``).
"""

from __future__ import annotations

import numpy as np

__all__: list[str] = []

_RAMP = 3.0  # slope of the readout's per-slot ramps (``n_knots``)
_RAMP_SCALE = 0.5  # their amplitude (a smaller SGD step on their weights)
_PAIR_SCALE = 2.0  # amplitude of the pair features (products of two ramps)
# The "local" readout: a soft nearest-neighbour vote over the last _LOCAL_D learned
# rows (their fast-scaled feature slots, kept in a ring). Its features are
# max(0, 1 - (d_k - min_j d_j) / _LOCAL_RADIUS)^2, d_k the squared distance of the
# row to kept row k (0 for a place not yet filled): the nearest kept row counts 1,
# one _LOCAL_RADIUS (squared standardised units) farther, nothing. (exp(-(d - min d))
# scored 0.3 point more on RandomRBFDrift at 2.7 times the compiled cost: no
# transcendental here.) Its weights are _LOCAL_VOTE on kept row k's class and 0
# elsewhere, set when the row is kept, and never changed by SGD (step 0). So its
# output is softmax(_LOCAL_VOTE * the kernel-weighted class counts). A fresh
# generation of readouts (drift_recovery) starts with zero weights: its vote counts
# the rows kept since only. Chosen on the tuning streams (docs/online.md, "An opt-in
# local readout"): 64 rows gain nothing on RandomRBFDrift, 128 about 2 points.
_LOCAL_D = 128
_LOCAL_RADIUS = 4.0
_LOCAL_VOTE = 4.0
# The readouts and the blocks of phi = [h, u, ramps, pairs, diff, 1] each one reads, with
# its step as a multiple of ``learning_rate``.
_READOUTS = {
    "linear": (("x",), 0.5),  # "x": the features' part of u (not the previous target)
    "cell": (("h", "u", "ramps"), 1.0),
    "pairs": (("h", "u", "ramps", "pairs"), 0.5),
    # Opt-in (classifier): a vote of the last rows learned, nearest first (see above).
    "local": (("local",), 0.0),
    # The regressor's: its output starts from the previous target, and it learns a
    # correction from the change of the (fast-scaled) slots since the previous row.
    "last": (("diff",), 0.1),
    # The regressor's naive forecasts, which learn nothing: the previous target
    # ("hold"), the running mean of the target ("mean", a standardised output of 0)
    # and the mean of every target seen ("average").
    # In the mixture they keep it close to the best of them where nothing in the
    # inputs predicts the target (a random walk; noise around a level).
    "hold": ((), 0.0),
    "mean": ((), 0.0),
    "average": ((), 0.0),
}
# The readouts whose output starts from the previous target.
_FROM_LAST = ("last", "hold")
# The readouts whose output starts from the mean of every target seen.
_FROM_AVERAGE = ("average",)


class _FeatureMap:
    """The readouts' features of a row, their blocks and mask (a mixin)."""

    def _blocks(self) -> dict:
        """``{block: slice}`` of ``phi = [h, u, ramps, pairs, local, diff, 1]``.

        (A readout that reads ``"x"`` reads the features' slots of ``u``: see _mask.)
        """
        n, m = self.hidden_dim, len(self._mean)
        sizes = [("h", n), ("u", m), ("ramps", m * len(self._knots))]
        sizes += [("pairs", self._pairs.shape[1]), ("local", self._n_local())]
        sizes.append(("diff", m if self._reads_diff else 0))
        sizes.append(("bias", 1))
        out, start = {}, 0
        for name, size in sizes:
            out[name] = slice(start, start + size)
            start += size
        return out

    def _n_local(self) -> int:
        """Width of the ``local`` block (0 without a ``"local"`` readout)."""
        c = self._local_c
        return 0 if c is None else c.shape[1]

    def _new_local(self) -> None:
        """The ``local`` block's ring of kept rows (None without a ``"local"``
        readout): ``_local_c`` (m, D) their fast-scaled slots, slot-major (the
        compiled row's loops over the kept rows vectorise), ``_local_f`` (m,) 1 on
        a feature slot (the distance reads no previous-label slot), ``_local_n``
        (1,) rows kept so far (row ``n`` goes to place ``n % D``; an array, which
        the compiled row's buffers hold)."""
        self._local_c = self._local_f = self._local_n = None
        if any("local" in _READOUTS[r][0] for r in self._heads):
            self._local_c = np.zeros((0, _LOCAL_D))
            self._local_f = np.zeros(0)
            self._local_n = np.zeros(1)

    def _grow_local(self, k: int, paired: bool) -> None:
        """``k`` new slots in the kept rows: 0 there (as a missing value reads)."""
        if self._local_c is not None:
            self._local_c = np.concatenate([self._local_c, np.zeros((k, self._n_local()))])
            self._local_f = np.concatenate([self._local_f, np.full(k, float(paired))])

    def _keep_local(self, u: np.ndarray, c: int) -> None:
        """Keep a learned row (``u``: its fast-scaled slots then, a prefix of today's)
        of class ``c`` in the ring; every generation of the ``"local"`` readout votes
        ``_LOCAL_VOTE`` for ``c`` on its place (the row it replaces no longer votes).
        The compiled learn kernel does the same."""
        i = int(self._local_n[0]) % self._n_local()
        self._local_c[:, i] = 0.0
        self._local_c[: len(u), i] = u
        self._local_n[0] += 1.0
        col = self._blocks()["local"].start + i
        W = self._W[self._heads.index("local") :: len(self._heads)]  # (a view)
        W[:, :, col] = 0.0
        W[:, c, col] = _LOCAL_VOTE

    def _mask(self) -> np.ndarray:
        """(J, F): 1 where readout j reads feature f of ``phi`` (the bias always)."""
        blocks = self._blocks()
        mask = np.zeros((len(self._heads), blocks["bias"].stop))
        features = blocks["u"].start + np.fromiter(self._x_slot.values(), dtype=np.intp)
        for j, name in enumerate(self._heads):
            for block in (*_READOUTS[name][0], "bias"):
                mask[j, features if block == "x" else blocks[block]] = 1.0
        return mask

    def _grow_readouts(self, m_old: int, k: int, paired: bool) -> None:
        """Zero weights for ``k`` new slots (after ``m_old``): their ``u``, ramps, pairs.

        With a ``"pairs"`` readout and ``paired`` (feature slots, not target ones),
        each new ramp gets a pair feature with every ramp of an earlier paired slot,
        in order, up to ``max_pairs`` in all.
        """
        n, n_k = self.hidden_dim, len(self._knots)
        p_old = self._pairs.shape[1]
        at_u, at_ramps = n + m_old, n + m_old + m_old * n_k
        at_pairs = at_ramps + p_old
        new_pairs: list = []
        room = self.max_pairs - p_old if "pairs" in self._heads and paired else 0
        for s in range(m_old, m_old + k) if room > 0 else ():
            for b in range(s * n_k, (s + 1) * n_k):
                for t in self._paired_slots:
                    new_pairs += [(a, b) for a in range(t * n_k, (t + 1) * n_k)]
            self._paired_slots.append(s)
            if len(new_pairs) >= room:
                new_pairs = new_pairs[:room]
                break
        if new_pairs:
            self._pairs = np.concatenate([self._pairs, np.array(new_pairs, dtype=np.intp).T], 1)
        at = [at_u] * k + [at_ramps] * (k * n_k) + [at_pairs] * len(new_pairs)
        if self._reads_diff:
            at += [self._W.shape[2] - 1] * k  # before the bias
        self._W = np.insert(self._W, at, 0.0, axis=2)
        self._grow_local(k, paired)
        self._head_mask = self._mask()
        self._grow_ring(m_old, k)

    def _expand(self, u: np.ndarray) -> np.ndarray:
        """Fixed ramps of each standardised slot at ``n_knots`` thresholds, (..., m * K)."""
        ramps = np.tanh(_RAMP * (u[..., None] - self._knots))
        ramps *= _RAMP_SCALE
        return ramps.reshape(*u.shape[:-1], -1)

    def _local_kernel(self, u: np.ndarray) -> np.ndarray:
        """``max(0, 1 - (d - min d) / _LOCAL_RADIUS)^2`` (b, D) over the kept rows'
        places, ``d`` the squared distance of the fast-scaled feature slots ``u``
        (b, m) to each kept row; 0 at a place not yet filled."""
        D = self._n_local()
        n = min(int(self._local_n[0]), D)
        z = np.zeros((len(u), D))
        if n:
            diff = u[:, :, None] - self._local_c[None, :, :n]
            diff *= self._local_f[:, None]
            d = np.einsum("bmn,bmn->bn", diff, diff)
            d -= d.min(axis=1, keepdims=True)
            d *= -1.0 / _LOCAL_RADIUS
            d += 1.0
            np.maximum(d, 0.0, out=d)
            np.square(d, out=z[:, :n])
        return z

    def _features(self, h: np.ndarray, u: np.ndarray) -> np.ndarray:
        """``phi = [h, u, ramps, pairs, local, diff, 1]`` (b, F) from ``h`` and the row."""
        a = self._lin()
        parts = [h, u[:, a:]]
        if self._pairs.shape[1]:
            ramps = u[:, a + len(self._mean) :]
            if len(ramps) == 1:  # one row: 1-D indexing costs half as much
                ramps = ramps[0]
            pairs = ramps[..., self._pairs[0]]
            pairs *= ramps[..., self._pairs[1]]
            pairs *= _PAIR_SCALE
            parts.append(pairs.reshape(len(h), -1))
        if self._local_c is not None:  # the kernel over the kept rows (see _LOCAL_D)
            parts.append(self._local_kernel(u[:, : len(self._mean)]))
        if self._reads_diff:  # the fast-scaled slots' change since the previous row
            m, prev = len(self._mean), self._prev_u
            if prev is None:
                parts.append(np.zeros((len(h), m)))
            else:
                parts.append(u[:, :m] - np.pad(prev, (0, m - len(prev))))
        parts.append(self._ones if h.shape[0] == 1 else np.ones((h.shape[0], 1)))
        return np.concatenate(parts, axis=1)
