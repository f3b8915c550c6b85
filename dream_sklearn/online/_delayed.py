"""The classifier's readout for delayed labels (``advance_on_predict``).

Under a delay, the readouts learn from labels that are ``d`` rows old: what the
default model gets from the newest label (its fed-back input, and readouts that
follow the stream within tens of rows) is gone. This readout reads only what the
rows themselves say, each feature against a running mean of its recent values
(a rate ``_RATE``, about the last 30 rows) and a ramp of that, and learns with a
small step, so that 50-row-old labels still fit it. It takes part in the
prediction only while labels come late (rows were predicted after a row before
its label came), mixed with the usual readouts by exponential weights on both
sides' mistakes (docs/online.md, "Delayed labels"; chosen on Elec2, a tuning
stream: benchmarks/online_robust.py).
"""

from __future__ import annotations

import numpy as np

from ._compiled import _compiled_call
from ._moments import _moments_rate, _moments_step, _var_floor
from ._readouts import _decay, _share_mistakes

__all__: list[str] = []

_RATE = 0.03  # running mean and variance of each feature (Welford for the first rows)
_STEP = 0.02  # the readout's SGD step
_ETA = 0.3  # the mixture's weights: times exp(-_ETA) for each mistake
_SHARE = 0.001  # ... then this share of the total spread evenly (Fixed Share)
_DECAY = _decay(_ETA)
_CLIP = 5.0  # standardised values clipped to +-_CLIP; updates winsorised there
_MIN = 8  # rows before the update is winsorised
_RAMP, _RAMP_SCALE = 3.0, 0.5  # the ramp of each standardised value
# The delay: a running mean (rate _LAG_RATE) of how many rows were predicted after a
# row when its label comes (matched by values: after the newest row of its values
# still waiting, _PendingRows._matched); the readout takes part while it is above
# _LAGGING rows
# (never under no delay, where it is 0, even when some rows never get a label;
# through the end of a stream, where the last labels come with fewer rows after).
_LAG_RATE = 0.01
_LAGGING = 0.5


class _DelayedReadout:
    """Softmax readout over ``[z, ramp(z), 1]``, ``z`` each feature slot standardised
    by a running mean and variance at rate ``_RATE``, and its weight in the
    prediction against the estimator's readouts (``w``: [theirs, this one's])."""

    def __init__(self) -> None:
        self.mean = np.zeros(0)
        self.var = np.zeros(0)
        self.count = np.zeros(0)
        self.lacked = np.zeros(0)  # per slot, 1.0 once a row lacked it after a value
        self.W = np.zeros((0, 2, 0))  # (k classes, [z, ramp], m slots)
        self.b = np.zeros(0)
        self.w = np.array([0.5, 0.5])
        self.lag = 0.0  # rows predicted after a row when its label came (running mean)
        self.q: np.ndarray | None = None  # its probabilities for the row last read
        self.q_seq = -1  # that row's sequence number among the rows advanced on

    @property
    def active(self) -> bool:
        """Whether labels come late: the readout then takes part."""
        return self.lag > _LAGGING

    def saw(self, after: int) -> None:
        """A row's label came after ``after`` later rows were predicted."""
        self.lag += _LAG_RATE * (after - self.lag)

    lacked: np.ndarray | None = None  # (None: pickled before round 11; see _lacked)

    def _lacked(self) -> np.ndarray:
        """The slots a row has lacked (an older pickle's: none known, zeros)."""
        if self.lacked is None:  # (_grow keeps it as long as mean)
            self.lacked = np.zeros(len(self.mean))
        return self.lacked

    def _grow(self, m: int, k: int) -> None:
        extra = m - len(self.mean)
        if extra > 0:
            lacked = self._lacked()
            self.mean = np.concatenate([self.mean, np.zeros(extra)])
            self.var = np.concatenate([self.var, np.zeros(extra)])
            self.count = np.concatenate([self.count, np.zeros(extra)])
            self.lacked = np.concatenate([lacked, np.zeros(extra)])
            self.W = np.concatenate([self.W, np.zeros((len(self.W), 2, extra))], axis=2)
        if k > len(self.W):
            more = k - len(self.W)
            self.W = np.concatenate([self.W, np.zeros((more, 2, len(self.mean)))])
            self.b = np.concatenate([self.b, np.zeros(more)])

    def features(self, raw: np.ndarray, present: np.ndarray) -> np.ndarray:
        """The features (..., 2, m) of rows ``raw`` (..., m) for this readout, from the
        running statistics as they are (read-only: ``predict_many``'s path).

        ``present`` is 1 on the feature slots the row has (0 on the target slots);
        slots the statistics have not seen yet read 0. A slot a row has lacked after
        a value, whose values so far are all the same, reads 1 where present (as the
        estimator's indicator slots do: ``_RunningScaling._indicator``).
        """
        m = raw.shape[-1]
        mean, var, count, lacked = (np.zeros(m) for _ in range(4))
        n = min(m, len(self.mean))
        mean[:n], var[:n], count[:n] = self.mean[:n], self.var[:n], self.count[:n]
        lacked[:n] = self._lacked()[:n]
        # (the estimator's floor, relative to the mean: an absolute 1e-12 left a
        # feature with a standard deviation below about 1e-6 unread)
        constant = var <= _var_floor(mean)
        seen = (count >= 2) & ~constant
        scale = np.where(seen, 1.0 / np.sqrt(np.where(seen, var, 1.0)), 0.0)
        z = np.clip((raw - mean) * scale, -_CLIP, _CLIP)
        z = np.where((lacked > 0) & (count >= 1) & constant, 1.0, z) * present
        return np.stack([z, _RAMP_SCALE * np.tanh(_RAMP * z)], axis=-2)

    def read(self, raw: np.ndarray, present: np.ndarray) -> np.ndarray:
        """The row's features (2, m) (:meth:`features`), then take the row into the
        running statistics (label-free: called once per row, at prediction time)."""
        m = len(raw)
        self._grow(m, len(self.W))
        feats = np.empty((2, m))  # (the compiled row's kernel, where it runs)
        lacked = self._lacked()
        if (
            _compiled_call(
                "delayed_read", self.mean, self.var, self.count, lacked, raw, present, feats
            )
            is not None
        ):
            return feats
        feats = self.features(raw, present)
        mean, var, count = self.mean[:m], self.var[:m], self.count[:m]
        seen = (count >= 2) & (var > _var_floor(mean))
        # Update: Welford until 1/n < _RATE; a value beyond _CLIP standard deviations
        # counts as _CLIP away (one far row must not take the statistics over).
        on = present > 0
        self._lacked()[:m][~on & (count > 0)] = 1.0  # (the target slots never count)
        count[on] += 1
        r = _moments_rate(count, _RATE)
        d = raw - mean
        bound = _CLIP * np.sqrt(var)
        d = np.where(seen & (count > _MIN), np.clip(d, -bound, bound), d)
        d *= on
        r = r * on
        new_mean, new_var = _moments_step(mean, var, d, r)
        mean[:] = new_mean
        var[:] = np.where(on, new_var, var)
        return feats

    def proba(self, feats: np.ndarray, k: int) -> np.ndarray:
        """(..., k) class probabilities for features (..., 2, m) of :meth:`features`
        (read-only: slots or classes the weights do not have yet weigh 0)."""
        if feats.ndim == 2:  # (one row: the compiled row's kernel, where it runs)
            q = np.empty(k)
            if _compiled_call("delayed_proba", self.W, self.b, feats, q) is not None:
                return q
        kk, m = min(k, len(self.W)), min(feats.shape[-1], self.W.shape[2])
        z = np.zeros(feats.shape[:-2] + (k,))
        z[..., :kk] = np.einsum("kjm,...jm->...k", self.W[:kk, :, :m], feats[..., :m])
        z[..., :kk] += self.b[:kk]
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    def mix(self, p: np.ndarray, q: np.ndarray) -> np.ndarray:
        """The prediction: the estimator's ``p`` and this readout's ``q`` mixed."""
        return self.w[0] * p + self.w[1] * q[..., : p.shape[-1]]

    def learn(self, feats: np.ndarray, c: int, k: int, theirs: int, mine: int) -> None:
        """One SGD step on the row's features with class index ``c`` (of ``k``), and
        the mixture's update on both sides' mistakes when the row was predicted
        (``theirs``, ``mine``: the class each predicted then; -1: none)."""
        if theirs >= 0 and mine >= 0:
            self.w = _share_mistakes(self.w, theirs != c, mine != c, _DECAY, _SHARE)
        self._grow(feats.shape[1], k)
        q = np.empty(k)  # (the compiled row's kernel, where it runs)
        if _compiled_call("delayed_learn", self.W, self.b, feats, c, q) is not None:
            return
        q = self.proba(feats, k)
        g = q.copy()
        g[c] -= 1.0
        m = feats.shape[1]
        self.W[:k, :, :m] -= _STEP * g[:, None, None] * feats[None]
        self.b[:k] -= _STEP * g
