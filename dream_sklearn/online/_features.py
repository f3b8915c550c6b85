"""The online estimators' feature map ``phi = [h, u, ramps, pairs, diff, 1]``.

``h``: the cell's state; ``u``: the standardised slots (the slow scaling with
``slow_rate``); ``ramps``: fixed ``tanh`` ramps of each slot at ``n_knots``
thresholds; ``pairs``: products of two ramps of different feature slots (up to
``max_pairs``, with a ``"pairs"`` readout); ``diff``: the change of the fast-scaled
slots since the last learned row (when a readout reads it); a bias. Each readout
reads some blocks (:data:`_READOUTS`, the mask). This mixin holds the map, its
blocks and their growth; the state lives on the estimator (``_pairs``,
``_knots``, ``_prev_u``, ``_head_mask``).
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from ._scaling import _CLIP

__all__: list[str] = []

_RAMP = 3.0  # slope of the readout's per-slot ramps (``n_knots``)
_RAMP_SCALE = 0.5  # their amplitude (a smaller SGD step on their weights)
_PAIR_SCALE = 2.0  # amplitude of the pair features (products of two ramps)
# At most this many pairs of slots wait for a row that has both (``_apart``); beyond
# them the pairs least likely to meet go, never granted (``_likeliest``). (Slots that
# no row has together, the categories of a one-hot feature, would keep a pair for
# every two of them: where the newest were dropped, they filled it for good, and with
# 100 categories a numeric key that came later never got its pairs with them, review
# 153; where the oldest were, they pushed out a part-time key's pairs, review 155.)
_APART_MAX = 4096
# With n_knots="auto" a first row of one to three features takes 9 or 15 knots
# (_params._AUTO_KNOTS): a pair of two slots whose keys came with the first row takes
# every product of their ramps; a pair with a slot of a key that came later, the
# products of _COARSE of each slot's knots, evenly spread (all of them where there are
# no more). Where later rows are wider than the first (a one-hot feature's keys), their
# pairs cost what they cost at 5 knots, and the budget (max_pairs) reaches as many
# slots (review 393: at 15 knots a key that came later got none of its pairs with the
# categories). An n_knots given as an int pairs every knot.
_COARSE = 5


def _coarse_knots(n_k: int) -> range | list:
    """The indices of the knots a pair with a slot of a key that came after the first
    row takes (of ``n_k``)."""
    if n_k <= _COARSE:
        return range(n_k)
    return np.round(np.linspace(0, n_k - 1, _COARSE)).astype(int).tolist()


def _insert_zeros(a: np.ndarray, at: list) -> np.ndarray:
    """``np.insert(a, at, 0.0, axis=-1)`` for positions ``at`` in any order (repeats
    insert side by side), by a copy of each block of columns between two positions.
    (``np.insert`` copies through a mask of the new columns: on wide rows, a new
    category's readout weights and replay ring, 5 MB with 1,000 categories, took
    about 0.6 ms an insert.)"""
    out = np.zeros((*a.shape[:-1], a.shape[-1] + len(at)), dtype=a.dtype)
    src = dst = 0
    for pos, repeats in sorted(Counter(at).items()):
        step = pos - src
        out[..., dst : dst + step] = a[..., src:pos]
        dst += step + repeats
        src = pos
    out[..., dst:] = a[..., src:]
    return out


# The readouts and the blocks of phi = [h, u, ramps, pairs, diff, 1] each one reads, with
# its step as a multiple of ``learning_rate``.
_READOUTS = {
    "linear": (("x",), 0.5),  # "x": the features' part of u (not the previous target)
    "cell": (("h", "u", "ramps"), 1.0),
    "pairs": (("h", "u", "ramps", "pairs"), 0.5),
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
        """``{block: slice}`` of ``phi = [h, u, ramps, pairs, diff, 1]``.

        (A readout that reads ``"x"`` reads the features' slots of ``u``: see _mask.)
        """
        n, m = self._hidden_dim, len(self._mean)
        sizes = [("h", n), ("u", m), ("ramps", m * len(self._knots))]
        sizes += [("pairs", self._pairs.shape[1]), ("diff", m if self._reads_diff else 0)]
        sizes.append(("bias", 1))
        out, start = {}, 0
        for name, size in sizes:
            out[name] = slice(start, start + size)
            start += size
        return out

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
        """Zero weights for ``k`` new slots (after ``m_old``): their ``u``, ramps, diff.

        With a ``"pairs"`` readout, feature slots (``paired``: not target ones) wait
        in ``_unpaired`` for their pair features (:meth:`_grant_pairs`).
        """
        n, n_k = self._hidden_dim, len(self._knots)
        at = [n + m_old] * k + [n + m_old * (1 + n_k)] * (k * n_k)
        if self._reads_diff:
            at += [self._W.shape[2] - 1] * k  # before the bias
        self._W = _insert_zeros(self._W, at)
        if paired and "pairs" in self._heads:
            self._unpaired += range(m_old, m_old + k)
        self._head_mask = self._mask()
        self._grow_ring(m_old, k)

    def _grant_pairs(self, present: np.ndarray | None = None) -> None:
        """Pair features for the slots this row has together (``present``, the row's
        own presence (m,); None: every slot), up to ``max_pairs`` in all, zero
        weights. Run after a row's statistics are taken in, on both paths, so that the
        next row reads the pairs.

        First the pairs of slots that no row had together until this one (``_apart``,
        in the order they were set apart: each ramp of the later slot times every ramp
        of the earlier one). Then the waiting slots (``_unpaired``) that this row has
        and whose ramps now read something (not a constant's: see ``_standardise``),
        in slot order: each ramp of such a slot times every ramp of each slot paired
        before it that this row has too; the pair with one this row lacks waits in
        ``_apart`` for a row with both.

        A pair with a constant slot reads 0 (its ramps do), and so does a pair of slots
        no row has together (an absent slot's ramps read 0: two categories of one
        one-hot feature, river's ``OneHotEncoder(drop_zeros=True)``), so holding them
        back changes no prediction; it keeps the budget for the pairs that can read
        something. A slot or pair the budget did not reach waits, and a raised
        ``max_pairs`` pairs it (the slot it reached partway keeps the pairs it got).
        """
        # (int: a value equal to the old one, 30.0 for 30, acts as it on the compiled
        # row until the NumPy path refuses it: docs/online.md, "Parameters"; review 142)
        room = int(self.max_pairs) - self._pairs.shape[1]
        if room <= 0 or not (self._unpaired or self._apart.shape[1]):
            return
        n_k = len(self._knots)
        coarse = _coarse_knots(n_k)
        # (whether each slot's key came with the first row; None before round 60 and
        # with an int n_knots: every pair takes every knot)
        first_keys = getattr(self, "_first_keys", None)
        first = [first_keys is None] * len(self._mean)
        if first_keys is not None:
            for key, j in self._x_slot.items():
                first[j] = key in first_keys
        new_pairs: list = []

        def pair(s: int, partners: list) -> bool:  # whether the budget is spent
            # (no further than the budget: every pair of a slot was listed first, and
            # n_knots=3,000 took 1.3 GB for max_pairs=10; review 280)
            for q in range(n_k):
                b = s * n_k + q
                for t in partners:
                    grid = range(n_k) if first[s] and first[t] else coarse
                    if q not in grid:
                        continue
                    left = room - len(new_pairs)
                    if left <= 0:
                        return True
                    new_pairs.extend((t * n_k + r, b) for r in grid[:left])
            return len(new_pairs) >= room

        # (None: a loaded model's first grant, every slot at once, nothing apart yet)
        has = np.ones(len(self._mean), bool) if present is None else np.asarray(present) > 0
        apart = self._apart
        spent, met = False, np.zeros(0, dtype=np.intp)
        if apart.shape[1]:
            met = np.flatnonzero(has[apart[0]] & has[apart[1]])
            for i, (t, s) in enumerate(apart[:, met].T.tolist()):
                if pair(s, [t]):
                    met, spent = met[: i + 1], True
                    break
            apart = np.delete(apart, met, axis=1)
        waiting = np.array(self._unpaired, dtype=np.intp)
        # (a slot takes its pairs on a row that has it)
        live = (~self._flat()[waiting] | (self._absent[waiting] > 0.0)) & has[waiting]
        granted: list = []
        held_back: list = []
        for s in [] if spent else waiting[live].tolist():
            earlier = self._paired_slots + granted
            together = [t for t in earlier if has[t]]
            held_back += [(t, s) for t in earlier if not has[t]]
            granted.append(s)
            if pair(s, together):
                break
        if held_back:
            held = np.array(held_back, dtype=np.intp).T
            apart = self._likeliest(np.concatenate([apart, held], axis=1))
        self._apart = apart
        if granted:
            self._paired_slots += granted
            self._unpaired = [s for s in self._unpaired if s not in granted]
        if not granted and not len(met):
            return
        if new_pairs:
            new_pairs = new_pairs[:room]
            m = len(self._mean)
            at = self._hidden_dim + m * (1 + n_k) + self._pairs.shape[1]
            self._pairs = np.concatenate([self._pairs, np.array(new_pairs, dtype=np.intp).T], 1)
            self._W = _insert_zeros(self._W, [at] * len(new_pairs))
            self._head_mask = self._mask()
        self._version += 1
        # (the compiled row's WAITING, APART: laid out anew, advance_on_predict's too)
        self._fast = self._fast_row = self._fast_adv = None

    def _likeliest(self, apart: np.ndarray) -> np.ndarray:
        """Of the pairs waiting apart (2, P), the ``_APART_MAX`` likeliest to meet, in
        their order: by the product of their two slots' presence rates (rows that had
        the slot over the rows since it was made), the newer first among equals. (The
        oldest went first before review 155: behind a part-time key's pairs came the
        categories' pairs that never meet, and pushed them out; with 300 categories and
        ``max_pairs=20000``, 182 of 300 granted.)"""
        if apart.shape[1] <= _APART_MAX:
            return apart
        since = np.maximum(float(self.n_steps_) - self._born, 1.0)
        rate = np.minimum(self._count / since, 1.0)  # (a loaded cell's held slots: inf)
        score = rate[apart[0]] * rate[apart[1]]
        order = np.lexsort((-np.arange(apart.shape[1]), -score))
        return apart[:, np.sort(order[:_APART_MAX])]

    def _expand(self, u: np.ndarray) -> np.ndarray:
        """Fixed ramps of each standardised slot at ``n_knots`` thresholds, (..., m * K)."""
        ramps = np.tanh(_RAMP * (u[..., None] - self._knots))
        ramps *= _RAMP_SCALE
        return ramps.reshape(*u.shape[:-1], -1)

    def _features(self, h: np.ndarray, u: np.ndarray) -> np.ndarray:
        """``phi = [h, u, ramps, pairs, diff, 1]`` (b, F) from the cell's ``h`` and the row."""
        a = self._lin()
        lin = u[:, a:]
        held = self._held_slots
        if len(held):
            # A loaded cell's slots read unclipped (_standardise: the cell reads its
            # inputs as in training); the readouts read them clipped, as every other
            # slot: one glitch of 1e3 in a feature of std 1 took their SGD step to
            # weights of 13 and the accuracy from 0.96 to 0.62 for good (review 159).
            m, S = len(self._mean), len(self._stat_mean)
            cols = (np.arange(S)[:, None] * m + held).ravel() - a
            cols = cols[cols >= 0]
            lin = lin.copy()
            lin[:, cols] = np.clip(lin[:, cols], -_CLIP, _CLIP)
        parts = [h, lin]
        if self._pairs.shape[1]:
            ramps = u[:, a + len(self._mean) :]
            if len(ramps) == 1:  # one row: 1-D indexing costs half as much
                ramps = ramps[0]
            pairs = ramps[..., self._pairs[0]]
            pairs *= ramps[..., self._pairs[1]]
            pairs *= _PAIR_SCALE
            parts.append(pairs.reshape(len(h), -1))
        if self._reads_diff:  # the fast-scaled slots' change since the previous row
            m, prev = len(self._mean), self._prev_u
            if prev is None:
                parts.append(np.zeros((len(h), m)))
            else:
                now, prev = u[:, :m], np.pad(prev, (0, m - len(prev)))
                if len(held):  # (clipped, as above)
                    now, prev = now.copy(), prev.copy()
                    now[:, held] = np.clip(now[:, held], -_CLIP, _CLIP)
                    prev[held] = np.clip(prev[held], -_CLIP, _CLIP)
                parts.append(now - prev)
        parts.append(self._ones if h.shape[0] == 1 else np.ones((h.shape[0], 1)))
        return np.concatenate(parts, axis=1)
